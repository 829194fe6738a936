//! The default thread count comes from SOFTMARGIN_NUM_THREADS when it holds a valid count
//! (decimal digits alone, surrounding whitespace ignored, 1 to 1024, also above the CPU count),
//! and from the CPU count otherwise. One test in its own binary: it changes the environment.

use softmargin::{default_num_threads, num_threads, set_num_threads, MAX_THREADS, NUM_THREADS_ENV};

#[test]
fn default_follows_the_environment() {
    let cpus = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(MAX_THREADS);
    for (value, expected) in [
        (Some("3"), 3),
        (Some(" 5 "), 5),
        (Some("5\n"), 5),
        (Some("\t7"), 7),
        (Some("+4"), cpus),
        (Some("4 4"), cpus),
        (Some("1e3"), cpus),
        (Some(""), cpus),
        (Some("1024"), 1024),
        (Some("0"), cpus),
        (Some("1025"), cpus),
        (Some("-2"), cpus),
        (Some("many"), cpus),
        (None, cpus),
    ] {
        match value {
            Some(v) => std::env::set_var(NUM_THREADS_ENV, v),
            None => std::env::remove_var(NUM_THREADS_ENV),
        }
        assert_eq!(default_num_threads(), expected, "{value:?}");
        set_num_threads(0).unwrap();
        assert_eq!(num_threads(), expected, "{value:?}");
    }
}
