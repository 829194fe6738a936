//! The C interface: `include/softmargin.h` is generated from this module by cbindgen.
//!
//! Every export is `#[no_mangle] extern "C"` and its body is one call to `guard` (`guard.rs`),
//! which catches panics; `tests/exports.rs` checks both. The doc comments are the header's
//! documentation and are written for C programmers.

mod args;
mod calls;
mod guard;
mod status;
// The exports, in the header's order (cbindgen takes them in the order of these lines).
// The loss and its gradient:
mod loss;
// both derivatives:
mod second;
// shards and their partial sums (the partial's type first):
mod partial;
mod shards;
// the statuses' descriptions, the version, the path and the threads.
mod library;

pub use library::*;
pub use loss::*;
pub use partial::*;
pub use second::*;
pub use shards::*;
pub use status::*;

/// Reduction: every element's loss is returned (`len` values).
pub const SOFTMARGIN_REDUCTION_NONE: i32 = 0;
/// Reduction: the mean of the losses (one value; NaN when `len` is 0).
pub const SOFTMARGIN_REDUCTION_MEAN: i32 = 1;
/// Reduction: the sum of the losses (one value; 0 when `len` is 0).
pub const SOFTMARGIN_REDUCTION_SUM: i32 = 2;

/// The largest thread count `softmargin_set_num_threads` accepts.
pub const SOFTMARGIN_MAX_THREADS: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constants_match_the_core() {
        assert_eq!(SOFTMARGIN_MAX_THREADS, crate::MAX_THREADS);
        assert_eq!(
            crate::tree::PARALLEL_MIN,
            32768,
            "update the set_num_threads docs"
        );
    }
}
