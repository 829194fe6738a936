//! Threads: the library's own pool and its size.
//!
//! A process that forks keeps working in the child: the pool's threads do not exist there, so
//! a `fork` handler (registered with the first pool) forgets the pool in the child, and the
//! child's first large call builds a new one.

use std::sync::{Arc, Mutex, MutexGuard};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// The largest thread count [`set_num_threads`] accepts.
pub const MAX_THREADS: usize = 1024;

/// The environment variable that sets the default thread count.
pub const NUM_THREADS_ENV: &str = "SOFTMARGIN_NUM_THREADS";

/// The thread count requested and the pool built for it.
struct Threads {
    /// The resolved count; `None` until first needed.
    count: Option<usize>,
    /// Built on the first call that needs it; `None` for one thread or if building failed.
    pool: Option<Arc<ThreadPool>>,
}

static THREADS: Mutex<Threads> = Mutex::new(Threads {
    count: None,
    pool: None,
});

fn threads() -> MutexGuard<'static, Threads> {
    // The state is valid whatever a panicking holder did, so poisoning is ignored.
    THREADS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The default thread count: `SOFTMARGIN_NUM_THREADS` when it holds a count from 1 to
/// [`MAX_THREADS`] (decimal digits, surrounding whitespace ignored; taken as given, also above
/// the CPU count), otherwise the number of CPUs this process may use.
pub fn default_num_threads() -> usize {
    crate::env::count(NUM_THREADS_ENV, 1..=MAX_THREADS).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(MAX_THREADS)
    })
}

/// The number of threads large calls use.
pub fn num_threads() -> usize {
    let mut t = threads();
    *t.count.get_or_insert_with(default_num_threads)
}

/// The requested thread count was above [`MAX_THREADS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooManyThreads;

/// Sets the number of threads large calls use; 0 restores the default.
///
/// Calls already running finish on the pool they started with. Results do not depend on it.
pub fn set_num_threads(count: usize) -> Result<(), TooManyThreads> {
    if count > MAX_THREADS {
        return Err(TooManyThreads);
    }
    let resolved = if count == 0 {
        default_num_threads()
    } else {
        count
    };
    let mut t = threads();
    if t.count != Some(resolved) {
        t.count = Some(resolved);
        t.pool = None;
    }
    Ok(())
}

/// The pool for the current thread count, built on first use, with that count: `None` for
/// one thread. The pool has one worker fewer than the count, the caller being the other.
pub(crate) fn pool() -> Option<(Arc<ThreadPool>, usize)> {
    let mut t = threads();
    let count = *t.count.get_or_insert_with(default_num_threads);
    if count <= 1 {
        return None;
    }
    if t.pool.is_none() {
        fork::watch();
        // If the threads cannot be created the call runs on the calling thread: same result.
        t.pool = ThreadPoolBuilder::new()
            .num_threads(count - 1)
            .thread_name(|i| format!("softmargin-{i}"))
            .build()
            .ok()
            .map(Arc::new);
    }
    t.pool.clone().map(|pool| (pool, count))
}

/// What `fork` does to the pool: nothing in the parent; in the child, where none of its
/// threads exist (a call on it would wait for them forever), the pool is forgotten, and the
/// child's next large call builds a new one. The handlers hold the state's lock across the
/// fork, so that the child never inherits it locked by a thread it does not have.
#[cfg(unix)]
mod fork {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        /// The state's lock, held by the forking thread from `prepare` to `parent` or `child`.
        static HELD: RefCell<Option<MutexGuard<'static, Threads>>> = const { RefCell::new(None) };
    }

    // The handlers must not panic (a panic cannot cross into C): nothing here can, and the
    // thread-local is reached with `try_with`, which fails only during thread exit.

    extern "C" fn prepare() {
        let guard = threads();
        let _ = HELD.try_with(|held| held.replace(Some(guard)));
    }

    extern "C" fn parent() {
        let _ = HELD.try_with(|held| drop(held.take()));
    }

    extern "C" fn child() {
        let _ = HELD.try_with(|held| {
            if let Some(mut t) = held.take() {
                // Dropping the pool would signal its threads through locks that a thread of
                // the parent may have held: it is leaked instead, once per fork.
                std::mem::forget(t.pool.take());
            }
        });
    }

    /// Registers the handlers, once per process (a child inherits them).
    pub(super) fn watch() {
        use std::sync::Once;
        static ONCE: Once = Once::new();
        ONCE.call_once(|| {
            // SAFETY: the handlers are plain functions that do not unwind (they only lock,
            // move and forget values); registration can only fail for lack of memory, and
            // then a child behaves as before.
            unsafe { libc::pthread_atfork(Some(prepare), Some(parent), Some(child)) };
        });
    }
}

#[cfg(not(unix))]
mod fork {
    /// No `fork` here.
    pub(super) fn watch() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thread_count_is_capped_and_zero_is_default() {
        assert_eq!(set_num_threads(MAX_THREADS + 1), Err(TooManyThreads));
        assert_eq!(set_num_threads(0), Ok(()));
        assert_eq!(num_threads(), default_num_threads());
        assert!(num_threads() >= 1);
    }
}
