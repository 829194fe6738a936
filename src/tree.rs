//! The blocks of a pass: what makes every result independent of the thread count.
//!
//! A pass is a [`Task`] over `len` elements, computed in leaves of [`BLOCK`] elements from the
//! start of the buffers (the last one shorter), whatever the thread count: the blocks depend on
//! `len` alone. Their results are merged first to last, and a pass's merge is exact (its sums
//! are added as integers, `crate::partial`), so any grouping of the merges gives the same bits;
//! threads only change which core computes which block. On one thread the blocks are a loop,
//! not a recursion: the stack a call needs does not grow with `len`.
//!
//! With `n` threads (`crate::pool`) the calling thread is one of them. The blocks are cut into
//! shares (runs of whole blocks, a few dozen per thread), which the caller and the pool's
//! `n - 1` workers take in order from a shared counter until none is left; the shares' results
//! are then merged in order. The call costs no hand-over to the pool and no wake-up of the
//! caller on its critical path (which medium sizes feel), and a thread that is slowed down
//! takes fewer shares.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rayon::ThreadPool;

use crate::pool::pool;

/// Elements in a leaf of the block tree.
pub const BLOCK: usize = 4096;

/// Calls on fewer elements run on the calling thread: waking the pool would cost more than
/// the work.
pub const PARALLEL_MIN: usize = 8 * BLOCK;

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
    /// Combines the results of two adjacent ranges into the earlier one's. Must be
    /// associative (exactly), as the shares are merged in a different grouping from the
    /// blocks of one thread.
    fn merge(earlier: &mut Self::Out, later: Self::Out);
}

/// Runs `task` block by block, on the pool when it is large enough.
pub(crate) fn evaluate<T: Task>(task: T) -> T::Out {
    if task.len() < PARALLEL_MIN {
        return blocks(task);
    }
    parallel(task)
}

/// `task` on the pool, or on the calling thread when there is one thread. Out of line, as
/// [`shared`] is: their locals (the pool's lock, its construction) stay off the stack of the
/// calls that run on one thread.
#[inline(never)]
fn parallel<T: Task>(task: T) -> T::Out {
    match pool() {
        Some((pool, threads)) => shared(task, &pool, threads),
        None => blocks(task),
    }
}

/// Shares per thread: enough that the last share taken is a small part of each thread's work.
const SHARES_PER_THREAD: usize = 64;

/// How long the caller, done with its shares, waits busily for the workers before it sleeps:
/// a sleeping caller's wake-up would otherwise be on the critical path of every call.
const SPIN: Duration = Duration::from_micros(200);

/// A share of the blocks and then its result.
enum Share<T: Task> {
    Todo(T),
    Taken,
    Done(T::Out),
}

/// `task` on `threads` threads: the caller and the `threads - 1` workers of `pool`.
#[inline(never)]
fn shared<T: Task>(task: T, pool: &ThreadPool, threads: usize) -> T::Out {
    let len = task.len();
    let share = (len / (SHARES_PER_THREAD * threads)).max(BLOCK);
    let mut shares = Vec::new();
    cut(task, share, &mut |t| {
        shares.push(Mutex::new(Share::Todo(t)))
    });
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = shares.get(i) else { break };
        let Share::Todo(t) = std::mem::replace(&mut *lock(slot), Share::Taken) else {
            unreachable!("each share is taken once")
        };
        let out = blocks(t);
        *lock(slot) = Share::Done(out);
        done.fetch_add(1, Ordering::Release);
    };
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| work());
        }
        work();
        let start = Instant::now();
        while done.load(Ordering::Acquire) < shares.len() && start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
    });
    shares
        .into_iter()
        .map(
            |slot| match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Share::Done(out) => out,
                _ => unreachable!("the scope ends when every share is done"),
            },
        )
        .reduce(|mut earlier, later| {
            T::merge(&mut earlier, later);
            earlier
        })
        .expect("at least one share")
}

/// Locks a share; a panic elsewhere leaves it valid (and the call panics when the scope ends).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Cuts `task` into shares of about `share` elements (whole blocks), first to last.
fn cut<T: Task>(mut task: T, share: usize, out: &mut impl FnMut(T)) {
    let share = (share / BLOCK).max(1) * BLOCK;
    while task.len() > share {
        let (first, rest) = task.split_at(share);
        out(first);
        task = rest;
    }
    out(task);
}

/// `task` on the calling thread, block after block, each block's result merged into those
/// before it. A loop of its own rather than [`cut`] into one-block shares: through `cut`'s
/// closure the leaf's frame joined the closure's (release, avx512: the deepest call's stack
/// 7.5 KB became 10.5 KB, past the header's bound).
fn blocks<T: Task>(mut task: T) -> T::Out {
    if task.len() <= BLOCK {
        return task.leaf();
    }
    let (first, rest) = task.split_at(BLOCK);
    let mut out = first.leaf();
    task = rest;
    while task.len() > BLOCK {
        let (block, rest) = task.split_at(BLOCK);
        T::merge(&mut out, block.leaf());
        task = rest;
    }
    T::merge(&mut out, task.leaf());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::ThreadPoolBuilder;

    /// A range of elements whose result is the tree it was computed by.
    struct Shape {
        start: usize,
        len: usize,
    }

    /// The leaves `(start, len)`, in the order their results were merged.
    type Leaves = Vec<(usize, usize)>;

    impl Task for Shape {
        type Out = Leaves;
        fn len(&self) -> usize {
            self.len
        }
        fn split_at(self, mid: usize) -> (Self, Self) {
            (
                Shape {
                    start: self.start,
                    len: mid,
                },
                Shape {
                    start: self.start + mid,
                    len: self.len - mid,
                },
            )
        }
        fn leaf(self) -> Leaves {
            vec![(self.start, self.len)]
        }
        fn merge(earlier: &mut Leaves, later: Leaves) {
            earlier.extend(later);
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
            let leaves = blocks(Shape { start: 0, len });
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

    /// Shared among the caller and the workers, every leaf is computed once and the results
    /// merge in the order of one thread's, for any thread count.
    #[test]
    fn shared_runs_merge_as_the_tree_does() {
        for threads in [2, 3, 4, 7] {
            let pool = ThreadPoolBuilder::new()
                .num_threads(threads - 1)
                .build()
                .unwrap();
            for len in [
                PARALLEL_MIN,
                PARALLEL_MIN + 1,
                37 * BLOCK + 5,
                64 * BLOCK,
                SHARES_PER_THREAD * threads * BLOCK * 3 + 17,
            ] {
                let want = blocks(Shape { start: 0, len });
                let got = shared(Shape { start: 0, len }, &pool, threads);
                assert_eq!(got, want, "{threads} threads, {len} elements");
            }
        }
    }
}
