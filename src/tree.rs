//! The block tree: what makes every result independent of the thread count.
//!
//! A pass is a [`Task`] over `len` elements. [`evaluate`] splits it by a binary tree whose shape
//! depends on `len` alone: leaves are [`BLOCK`] elements (the last one shorter), and each node
//! splits at a block boundary near its middle. Partial sums are merged bottom-up along that
//! tree, so a reduction performs the same additions in the same order whether the tree runs on
//! one thread or many; threads only change which core evaluates which subtree.
//!
//! With `n` threads (`crate::pool`) the calling thread is one of them. The tree is cut into
//! shares (whole subtrees, a few dozen per thread), which the caller and the pool's `n - 1`
//! workers take in order from a shared counter until none is left; the shares' results are
//! then merged along the same tree. The call costs no hand-over to the pool and no wake-up of
//! the caller on its critical path (which medium sizes feel), and a thread that is slowed down
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
    /// Combines the results of two adjacent ranges.
    fn merge(earlier: Self::Out, later: Self::Out) -> Self::Out;
}

/// Runs `task` over the block tree, on the pool when it is large enough.
pub(crate) fn evaluate<T: Task>(task: T) -> T::Out {
    if task.len() < PARALLEL_MIN {
        return tree(task);
    }
    match pool() {
        Some((pool, threads)) => shared(task, &pool, threads),
        None => tree(task),
    }
}

/// The split point of a node of `len > BLOCK` elements.
fn middle(len: usize) -> usize {
    len.div_ceil(BLOCK) / 2 * BLOCK
}

/// Shares per thread: enough that the last share taken is a small part of each thread's work.
const SHARES_PER_THREAD: usize = 64;

/// How long the caller, done with its shares, waits busily for the workers before it sleeps:
/// a sleeping caller's wake-up would otherwise be on the critical path of every call.
const SPIN: Duration = Duration::from_micros(200);

/// A share of the tree and then its result.
enum Share<T: Task> {
    Todo(T),
    Taken,
    Done(T::Out),
}

/// `task` on `threads` threads: the caller and the `threads - 1` workers of `pool`.
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
        let out = tree(t);
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
    let mut results =
        shares.into_iter().map(
            |slot| match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Share::Done(out) => out,
                _ => unreachable!("the scope ends when every share is done"),
            },
        );
    merge_cut::<T>(len, share, &mut results)
}

/// Locks a share; a panic elsewhere leaves it valid (and the call panics when the scope ends).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a node of `len` elements is a share when shares are about `share` elements.
fn is_share(len: usize, share: usize) -> bool {
    len <= share || len <= BLOCK
}

/// Cuts `task` into shares of about `share` elements along the tree, first to last.
fn cut<T: Task>(task: T, share: usize, out: &mut impl FnMut(T)) {
    let len = task.len();
    if is_share(len, share) {
        return out(task);
    }
    let (earlier, later) = task.split_at(middle(len));
    cut(earlier, share, out);
    cut(later, share, out);
}

/// Merges the results of the shares of a node of `len` elements, as the tree does.
fn merge_cut<T: Task>(
    len: usize,
    share: usize,
    results: &mut impl Iterator<Item = T::Out>,
) -> T::Out {
    if is_share(len, share) {
        return results.next().expect("one result per share");
    }
    let mid = middle(len);
    let earlier = merge_cut::<T>(mid, share, results);
    let later = merge_cut::<T>(len - mid, share, results);
    T::merge(earlier, later)
}

/// `task` on the calling thread, leaf after leaf.
fn tree<T: Task>(task: T) -> T::Out {
    let len = task.len();
    if len <= BLOCK {
        return task.leaf();
    }
    let (earlier, later) = task.split_at(middle(len));
    T::merge(tree(earlier), tree(later))
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

    /// The leaves `(start, len)` and how they were merged.
    #[derive(Debug, PartialEq)]
    enum Tree {
        Leaf(usize, usize),
        Node(Box<Tree>, Box<Tree>),
    }

    impl Tree {
        fn leaves(&self) -> Vec<(usize, usize)> {
            match self {
                Tree::Leaf(start, len) => vec![(*start, *len)],
                Tree::Node(a, b) => [a.leaves(), b.leaves()].concat(),
            }
        }
    }

    impl Task for Shape {
        type Out = Tree;
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
        fn leaf(self) -> Tree {
            Tree::Leaf(self.start, self.len)
        }
        fn merge(earlier: Tree, later: Tree) -> Tree {
            Tree::Node(Box::new(earlier), Box::new(later))
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
            let leaves = tree(Shape { start: 0, len }).leaves();
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
    /// merge exactly as the sequential tree merges them, for any thread count.
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
                let want = tree(Shape { start: 0, len });
                let got = shared(Shape { start: 0, len }, &pool, threads);
                assert_eq!(got, want, "{threads} threads, {len} elements");
            }
        }
    }
}
