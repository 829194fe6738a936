//! Threads: the library's own pool, its size, and the block tree that makes every result
//! independent of it.
//!
//! A pass is a [`Task`] over `len` elements. [`run`] splits it by a binary tree whose shape
//! depends on `len` alone: leaves are [`BLOCK`] elements (the last one shorter), and each node
//! splits at a block boundary near its middle. Partial sums are merged bottom-up along that
//! tree, so a reduction performs the same additions in the same order whether the tree runs on
//! one thread or many; threads only change which core evaluates which subtree.

use std::sync::{Arc, Mutex, MutexGuard};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Elements in a leaf of the block tree.
pub const BLOCK: usize = 4096;

/// Calls on fewer elements run on the calling thread: waking the pool would cost more than
/// the work.
pub const PARALLEL_MIN: usize = 8 * BLOCK;

/// Subtrees smaller than this are not split across threads.
const JOIN_MIN: usize = 2 * BLOCK;

/// The largest thread count [`set_num_threads`] accepts.
pub const MAX_THREADS: usize = 1024;

/// The environment variable that sets the default thread count.
pub const NUM_THREADS_ENV: &str = "SOFTMARGIN_NUM_THREADS";

/// A computation over a range of elements that can be split and whose results merge.
pub(crate) trait Task: Sized + Send {
    /// A leaf's result.
    type Out: Send;
    /// The number of elements.
    fn len(&self) -> usize;
    /// The first `mid` elements and the rest.
    fn split_at(self, mid: usize) -> (Self, Self);
    /// Computes a leaf of at most [`BLOCK`] elements.
    fn leaf(self) -> Self::Out;
    /// Combines the results of two adjacent ranges.
    fn merge(earlier: Self::Out, later: Self::Out) -> Self::Out;
}

/// Runs `task` over the block tree, on the pool when it is large enough.
pub(crate) fn run<T: Task>(task: T) -> T::Out {
    if task.len() < PARALLEL_MIN {
        return tree(task, false);
    }
    match pool() {
        Some(pool) => pool.install(|| tree(task, true)),
        None => tree(task, false),
    }
}

fn tree<T: Task>(task: T, parallel: bool) -> T::Out {
    let len = task.len();
    if len <= BLOCK {
        return task.leaf();
    }
    let mid = len.div_ceil(BLOCK) / 2 * BLOCK;
    let (earlier, later) = task.split_at(mid);
    let (a, b) = if parallel && len >= JOIN_MIN {
        rayon::join(|| tree(earlier, true), || tree(later, true))
    } else {
        (tree(earlier, false), tree(later, false))
    };
    T::merge(a, b)
}

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

/// The default thread count: `SOFTMARGIN_NUM_THREADS` when it holds an integer in
/// `1..=MAX_THREADS`, otherwise the number of CPUs this process may use.
pub fn default_num_threads() -> usize {
    let from_env = std::env::var(NUM_THREADS_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=MAX_THREADS).contains(n));
    from_env.unwrap_or_else(|| {
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

/// The pool for the current thread count, built on first use; `None` for one thread.
fn pool() -> Option<Arc<ThreadPool>> {
    let mut t = threads();
    let count = *t.count.get_or_insert_with(default_num_threads);
    if count <= 1 {
        return None;
    }
    if t.pool.is_none() {
        // If the threads cannot be created the call runs on the calling thread: same result.
        t.pool = ThreadPoolBuilder::new()
            .num_threads(count)
            .thread_name(|i| format!("softmargin-{i}"))
            .build()
            .ok()
            .map(Arc::new);
    }
    t.pool.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the tree's leaves as (start, len) and merges them in order.
    struct Leaves {
        start: usize,
        len: usize,
    }

    impl Task for Leaves {
        type Out = Vec<(usize, usize)>;
        fn len(&self) -> usize {
            self.len
        }
        fn split_at(self, mid: usize) -> (Self, Self) {
            (
                Leaves {
                    start: self.start,
                    len: mid,
                },
                Leaves {
                    start: self.start + mid,
                    len: self.len - mid,
                },
            )
        }
        fn leaf(self) -> Self::Out {
            vec![(self.start, self.len)]
        }
        fn merge(mut earlier: Self::Out, later: Self::Out) -> Self::Out {
            earlier.extend(later);
            earlier
        }
    }

    #[test]
    fn leaves_are_whole_blocks_in_order() {
        for len in [
            0,
            1,
            BLOCK - 1,
            BLOCK,
            BLOCK + 1,
            3 * BLOCK + 5,
            100 * BLOCK + 17,
        ] {
            for parallel in [false, true] {
                let leaves = tree(Leaves { start: 0, len }, parallel);
                let mut next = 0;
                for (i, &(start, n)) in leaves.iter().enumerate() {
                    assert_eq!(start, next);
                    assert!(
                        n <= BLOCK && (n == BLOCK || i == leaves.len() - 1),
                        "{leaves:?}"
                    );
                    next += n;
                }
                assert_eq!(next, len);
            }
        }
    }

    #[test]
    fn thread_count_is_capped_and_zero_is_default() {
        assert_eq!(set_num_threads(MAX_THREADS + 1), Err(TooManyThreads));
        assert_eq!(set_num_threads(0), Ok(()));
        assert_eq!(num_threads(), default_num_threads());
        assert!(num_threads() >= 1);
    }
}
