//! Threads: the library's own pool, its size, and the block tree that makes every result
//! independent of it.
//!
//! A pass is a [`Task`] over `len` elements. [`run`] splits it by a binary tree whose shape
//! depends on `len` alone: leaves are [`BLOCK`] elements (the last one shorter), and each node
//! splits at a block boundary near its middle. Partial sums are merged bottom-up along that
//! tree, so a reduction performs the same additions in the same order whether the tree runs on
//! one thread or many; threads only change which core evaluates which subtree.
//!
//! With `n` threads the calling thread is one of them. The tree is cut into pieces (whole
//! subtrees, a few dozen per thread), which the caller and the pool's `n - 1` workers take in
//! order from a shared counter until none is left; the pieces' results are then merged along
//! the same tree. The call costs no hand-over to the pool and no wake-up of the caller on its
//! critical path (which medium sizes feel), and a thread that is slowed down takes fewer
//! pieces.
//!
//! A process that forks keeps working in the child: the pool's threads do not exist there, so
//! a `fork` handler (registered with the first pool) forgets the pool in the child, and the
//! child's first large call builds a new one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rayon::{ThreadPool, ThreadPoolBuilder};

/// Elements in a leaf of the block tree.
pub const BLOCK: usize = 4096;

/// Calls on fewer elements run on the calling thread: waking the pool would cost more than
/// the work.
pub const PARALLEL_MIN: usize = 8 * BLOCK;

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

/// Pieces per thread: enough that the last piece taken is a small part of each thread's work.
const PIECES_PER_THREAD: usize = 64;

/// How long the caller, done with its pieces, waits busily for the workers before it sleeps:
/// a sleeping caller's wake-up would otherwise be on the critical path of every call.
const SPIN: Duration = Duration::from_micros(200);

/// A piece of the tree and then its result.
enum Piece<T: Task> {
    Todo(T),
    Taken,
    Done(T::Out),
}

/// `task` on `threads` threads: the caller and the `threads - 1` workers of `pool`.
fn shared<T: Task>(task: T, pool: &ThreadPool, threads: usize) -> T::Out {
    let len = task.len();
    let piece = (len / (PIECES_PER_THREAD * threads)).max(BLOCK);
    let mut pieces = Vec::new();
    cut(task, piece, &mut |t| {
        pieces.push(Mutex::new(Piece::Todo(t)))
    });
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let work = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(slot) = pieces.get(i) else { break };
        let Piece::Todo(t) = std::mem::replace(&mut *lock(slot), Piece::Taken) else {
            unreachable!("each piece is taken once")
        };
        let out = tree(t);
        *lock(slot) = Piece::Done(out);
        done.fetch_add(1, Ordering::Release);
    };
    pool.in_place_scope(|scope| {
        for _ in 1..threads {
            scope.spawn(|_| work());
        }
        work();
        let start = Instant::now();
        while done.load(Ordering::Acquire) < pieces.len() && start.elapsed() < SPIN {
            std::hint::spin_loop();
        }
    });
    let mut results =
        pieces.into_iter().map(
            |slot| match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
                Piece::Done(out) => out,
                _ => unreachable!("the scope ends when every piece is done"),
            },
        );
    merge_cut::<T>(len, piece, &mut results)
}

/// Locks a piece; a panic elsewhere leaves it valid (and the call panics when the scope ends).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether a node of `len` elements is a piece when pieces are about `piece` elements.
fn is_piece(len: usize, piece: usize) -> bool {
    len <= piece || len <= BLOCK
}

/// Cuts `task` into pieces of about `piece` elements along the tree, first to last.
fn cut<T: Task>(task: T, piece: usize, out: &mut impl FnMut(T)) {
    let len = task.len();
    if is_piece(len, piece) {
        return out(task);
    }
    let (earlier, later) = task.split_at(middle(len));
    cut(earlier, piece, out);
    cut(later, piece, out);
}

/// Merges the results of the pieces of a node of `len` elements, as the tree does.
fn merge_cut<T: Task>(
    len: usize,
    piece: usize,
    results: &mut impl Iterator<Item = T::Out>,
) -> T::Out {
    if is_piece(len, piece) {
        return results.next().expect("one result per piece");
    }
    let mid = middle(len);
    let earlier = merge_cut::<T>(mid, piece, results);
    let later = merge_cut::<T>(len - mid, piece, results);
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
fn pool() -> Option<(Arc<ThreadPool>, usize)> {
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
                PIECES_PER_THREAD * threads * BLOCK * 3 + 17,
            ] {
                let want = tree(Shape { start: 0, len });
                let got = shared(Shape { start: 0, len }, &pool, threads);
                assert_eq!(got, want, "{threads} threads, {len} elements");
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
