//! The element loop: one loop for every storage type, every output and every path.
//!
//! A chunk's elements go through in groups of [`GROUP`]: each group is loaded and widened to
//! its compute type ([`Storage::load`]), goes through that type's kernels
//! ([`Compute::kernels`]), and its results are narrowed and stored ([`Storage::store`]). The
//! fast kernels mark the lanes they leave to a slower one in lane masks: those outside their
//! range, and those whose narrowing is open. One place, [`redo`], computes those lanes again,
//! one element at a time. Which kernel an element goes through depends only on the element, so
//! results do not depend on neighbours or positions; every path performs the same IEEE
//! operations per lane, so all give the same bits. A chunk's last elements go as one padded
//! group on vector paths (from [`PAD_MIN`] of them), else one at a time ([`One`]). Ahead of each
//! group, the loop asks the cache for the inputs [`AHEAD`] bytes further on.
//!
//! - [`compute`]: what differs between the compute types (`f32` and `f64`).
//! - [`storage`]: what the loop needs of a storage type.

pub(crate) mod compute;
pub(crate) mod storage;

pub(crate) use compute::Compute;
pub(crate) use storage::{LanesOf, Storage};

use crate::kernel::factor::Factor;
use crate::simd::dispatch::Twice;
use crate::simd::dispatch::GROUP;
use crate::simd::{dispatch, prefetch, OnPath, One, Path, Simd};
use crate::sum::LeafSum;

/// The block sum of a storage type's losses.
pub(crate) type SumOf<S> = <<S as Storage>::Compute as Compute>::Sum;

/// A run of elements of a block (a leaf) of a pass, every input in a slice of its own. It starts
/// at a multiple of [`GROUP`] within its leaf, so that element `i` of the leaf goes into sum
/// lane `i % GROUP` whatever the chunks.
pub(crate) struct Chunk<'c, S> {
    pub x: &'c [S],
    pub y: &'c [S],
    /// The per-element factors of [`Factor::Each`].
    pub each: Option<&'c [S]>,
    pub loss: Option<&'c mut [S]>,
    pub grad: Option<&'c mut [S]>,
    /// Written with the second derivatives (with `grad`, and without `loss` and `sum`).
    pub second: Option<&'c mut [S]>,
    pub factor: Factor,
    /// Whether the losses are summed.
    pub sum: bool,
    /// Whether the sums the chunk adds to are still zero (a leaf's first chunk): its lane sums
    /// then start at zero in registers instead of being loaded.
    pub sum_is_zero: bool,
}

/// Runs a chunk on the selected path, adding its losses to `sum` when it sums.
pub(crate) fn run_chunk<S: Storage>(c: Chunk<'_, S>, sum: &mut SumOf<S>) {
    let (loss, grad, second) = (
        c.loss.is_some() || c.sum,
        c.grad.is_some(),
        c.second.is_some(),
    );
    // The one factor in the fast kernel's form; without a gradient, any.
    let fast = if grad && !second {
        S::Compute::fast_factor(c.factor)
    } else {
        Some(Default::default())
    };
    let f = fast.unwrap_or_default();
    // Each combination of outputs is compiled on its own, so a loop that needs no gradient
    // (or no loss) does none of that half's arithmetic.
    match (fast.is_some(), loss, grad, second) {
        (_, _, _, true) => run::<S, false, false, true, true>(c, sum, f),
        (true, true, false, _) => run::<S, true, false, false, true>(c, sum, f),
        (true, false, true, _) => run::<S, false, true, false, true>(c, sum, f),
        (true, _, _, _) => run::<S, true, true, false, true>(c, sum, f),
        (false, true, false, _) => run::<S, true, false, false, false>(c, sum, f),
        (false, false, true, _) => run::<S, false, true, false, false>(c, sum, f),
        (false, _, _, _) => run::<S, true, true, false, false>(c, sum, f),
    }
}

/// A chunk with the outputs `L`, `G`, `H` (see [`Compute::kernels`]): its whole groups, then
/// its last elements, each dispatched on its own, so that each path's entry function holds
/// the locals of one of them and a call's stack one loop's frame (the tail's padded arrays
/// are not in the frame of the groups' loop, nor one output combination's in another's).
fn run<S: Storage, const L: bool, const G: bool, const H: bool, const FAST: bool>(
    mut c: Chunk<'_, S>,
    sum: &mut SumOf<S>,
    fast: (S::Compute, S::Compute),
) {
    // The lengths are checked inside each path's loop, where the check serves its bounds.
    let n = c.x.len();
    if n >= GROUP {
        dispatch(Elements::<S, L, G, H, FAST, false>(&mut c, sum, fast));
    }
    if !n.is_multiple_of(GROUP) {
        dispatch(Elements::<S, L, G, H, FAST, true>(&mut c, sum, fast));
    }
}

/// A chunk's whole groups (`TAIL` false) or its last `len % GROUP` elements (`TAIL` true),
/// as work for a path.
struct Elements<
    'c,
    'b,
    's,
    S: Storage,
    const L: bool,
    const G: bool,
    const H: bool,
    const FAST: bool,
    const TAIL: bool,
>(
    &'c mut Chunk<'b, S>,
    &'s mut SumOf<S>,
    (S::Compute, S::Compute),
);

impl<
        S: Storage,
        const L: bool,
        const G: bool,
        const H: bool,
        const FAST: bool,
        const TAIL: bool,
    > OnPath for Elements<'_, '_, '_, S, L, G, H, FAST, TAIL>
{
    type Out = ();
    #[inline(always)]
    fn on<P: Path>(self) {
        let Elements(c, sum, fast) = self;
        if TAIL {
            tail::<P, S, L, G, H, FAST>(c, sum, fast);
        } else {
            groups::<P, S, L, G, H, FAST>(c, sum, fast);
        }
    }
}

/// How far ahead of the group it computes the loop asks the cache for the inputs, in bytes of
/// each input: far enough that memory's latency is hidden behind the kernels (which the
/// hardware's own prefetching does not do for them), near enough that the lines are still in
/// the first-level cache when their group comes. Measured on an Intel Xeon (AVX-512) at 16M
/// elements, 2 threads, both paths: every pass of every type at 0.98x to 1.54x the speed
/// without it (forward MEAN gains most); in cache, and at 32 elements, within 1%. Fetching
/// the outputs as well cost the passes with one output more than it saved.
const AHEAD: usize = 2048;

/// Asks the cache for the inputs of the `elements` elements [`AHEAD`] bytes after those at
/// `start` (one group's, or a pair's in the paired loop: one request per line then also for
/// the 16-bit types, whose group is half a line). Near a chunk's end that lies past the chunk,
/// where the next leaf's inputs usually are; at the end of the buffers, the prefetch is of
/// memory nobody reads, which costs nothing but the hint.
#[inline(always)]
fn fetch_ahead<S>(c: &Chunk<'_, S>, start: usize, elements: usize) {
    let bytes = elements * std::mem::size_of::<S>();
    for s in [c.x, c.y] {
        prefetch(
            s.as_ptr()
                .wrapping_add(start)
                .cast::<u8>()
                .wrapping_add(AHEAD),
            bytes,
        );
    }
}

/// Tails of at least this many elements go as one padded group on vector paths (measured:
/// about 50 ns for the padded group, 15 to 30 ns per element one at a time).
const PAD_MIN: usize = 4;

/// The chunk's length, after checking that every buffer has it: said once before the loop,
/// the loop then needs fewer bounds checks.
#[inline(always)]
fn checked_len<S>(c: &Chunk<'_, S>) -> usize {
    let n = c.x.len();
    let len_ok = |len: Option<usize>| len.is_none_or(|len| len == n);
    assert!(
        c.y.len() == n
            && len_ok(c.each.map(<[S]>::len))
            && len_ok(c.loss.as_deref().map(<[S]>::len))
            && len_ok(c.grad.as_deref().map(<[S]>::len))
            && len_ok(c.second.as_deref().map(<[S]>::len))
    );
    n
}

/// A chunk's whole groups on path `P`, with the outputs `L`, `G`, `H` (see
/// [`Compute::kernels`]).
#[inline(always)]
fn groups<P: Path, S: Storage, const L: bool, const G: bool, const H: bool, const FAST: bool>(
    c: &mut Chunk<'_, S>,
    sum: &mut SumOf<S>,
    fast: (S::Compute, S::Compute),
) {
    let full = checked_len(c) / GROUP * GROUP;
    // Two groups at a time: the second derivatives' long chains of dependent operations then
    // overlap, as do a 16-bit group's narrowing and the next group's kernels. A pass that sums
    // goes one group at a time, each adding into the same lanes. The paired loop is compiled
    // only where it pays: the portable path and the kernel for every input keep one loop
    // (pairing every loop of the 16-bit types doubled the library's build time; these, 11%).
    // (`!L` first: without the loss a pass cannot sum, and the loop of such a pass is then
    // compiled paired only.)
    let paired = P::PAD && (H || (S::PAIRED && FAST && (!L || !c.sum)));
    if paired && full > 0 {
        debug_assert!(!c.sum, "a paired loop drops its sums");
        let pairs = full / (2 * GROUP) * (2 * GROUP);
        let mut acc = S::Compute::acc_zero::<Twice<P>>();
        for start in (0..pairs).step_by(2 * GROUP) {
            fetch_ahead(c, start, 2 * GROUP);
            group::<Twice<P>, S, L, G, H, FAST>(c, start, 0, &mut acc, fast, false);
        }
        if pairs < full {
            let mut acc = S::Compute::acc_zero::<P>();
            group::<P, S, L, G, H, FAST>(c, pairs, 0, &mut acc, fast, false);
        }
    } else if full > 0 {
        // The lanes start at zero unless they hold earlier chunks' sums, and are written back
        // only for a sum: no load of the sums just zeroed, whose narrower stores (outside the
        // path's instructions) a wide load could not take, a stall small calls feel.
        //
        // For the rows with `LOOP_PER_SUM`, whether the groups sum is a constant in each of
        // two loops, so that the one that does not has no branch on it in each group and
        // carries no lane sums.
        let summed = L && c.sum;
        if S::LOOP_PER_SUM && !summed {
            let mut acc = S::Compute::acc_zero::<P>();
            full_groups::<P, S, L, G, H, FAST>(c, full, &mut acc, fast, false);
        } else {
            let mut acc = if summed && !c.sum_is_zero {
                S::Compute::acc_load::<P>(sum, 0)
            } else {
                S::Compute::acc_zero::<P>()
            };
            full_groups::<P, S, L, G, H, FAST>(c, full, &mut acc, fast, summed);
            if summed {
                S::Compute::acc_store::<P>(acc, sum, 0);
            }
        }
    }
}

/// A chunk's last `len % GROUP` elements on path `P`: as one padded group on vector paths
/// (from [`PAD_MIN`] of them), else one at a time ([`One`]).
#[inline(always)]
fn tail<P: Path, S: Storage, const L: bool, const G: bool, const H: bool, const FAST: bool>(
    c: &mut Chunk<'_, S>,
    sum: &mut SumOf<S>,
    fast: (S::Compute, S::Compute),
) {
    let n = checked_len(c);
    let full = n / GROUP * GROUP;
    if P::PAD && n - full >= PAD_MIN {
        padded::<P, S, L, G, H, FAST>(c, full, sum, fast);
    } else {
        let summed = c.sum;
        for i in full..n {
            let lane = i % GROUP;
            let mut acc = S::Compute::acc_load::<One>(sum, lane);
            group::<One, S, L, G, H, FAST>(c, i, lane, &mut acc, fast, summed);
            S::Compute::acc_store::<One>(acc, sum, lane);
        }
    }
}

/// The chunk's first `full` elements (whole groups) one group at a time, their losses added
/// to `acc` when `sum`.
#[inline(always)]
fn full_groups<
    P: Path,
    S: Storage,
    const L: bool,
    const G: bool,
    const H: bool,
    const FAST: bool,
>(
    c: &mut Chunk<'_, S>,
    full: usize,
    acc: &mut <S::Compute as Compute>::Acc<P>,
    fast: (S::Compute, S::Compute),
    sum: bool,
) {
    for start in (0..full).step_by(GROUP) {
        fetch_ahead(c, start, GROUP);
        group::<P, S, L, G, H, FAST>(c, start, 0, acc, fast, sum);
    }
}

/// Elements `start..start + LANES` of the chunk on path `P`, their losses added to `acc`
/// (the sums of lanes `lane..`) when `sum` (the chunk's own `sum`, passed on its own so that
/// it is a constant in a loop that knows it).
#[inline(always)]
fn group<P: Path, S: Storage, const L: bool, const G: bool, const H: bool, const FAST: bool>(
    c: &mut Chunk<'_, S>,
    start: usize,
    lane: usize,
    acc: &mut <S::Compute as Compute>::Acc<P>,
    fast: (S::Compute, S::Compute),
    sum: bool,
) {
    // Every buffer sliced to the group's exact span: one bounds check each covers the whole
    // bundle's loads or stores.
    let span = start..start + <LanesOf<S, P> as Simd>::LANES;
    let x = S::load::<P>(&c.x[span.clone()]);
    let y = S::load::<P>(&c.y[span.clone()]);
    let each = match (G, c.each) {
        (true, Some(each)) => Some(S::load::<P>(&each[span.clone()])),
        _ => None,
    };
    let r =
        S::Compute::kernels::<P, L, G, H, FAST>(x, y, each, c.factor, fast, acc, sum, S::BOUNDED);
    let (mut open_loss, mut open_grad, mut open_second) = (0, 0, 0);
    // Losses not summed are an output (see `Run`): taken without a branch on whether they
    // are, which would leave the losses' arithmetic after it, apart from the kernel's.
    let loss_out = match (L, sum) {
        (true, false) => Some(c.loss.as_deref_mut().expect("the losses' output")),
        (true, true) => c.loss.as_deref_mut(),
        (false, _) => None,
    };
    if let Some(out) = loss_out {
        open_loss = store_result::<P, S>(r.loss, r.loss_hi, &mut out[span.clone()]);
    }
    if H {
        let grad = c
            .grad
            .as_deref_mut()
            .expect("the gradient beside the second");
        open_grad = S::store_bounded::<P>(r.grad, r.grad_hi, &mut grad[span.clone()]);
        let second = c.second.as_deref_mut().expect("the second derivative");
        open_second = S::store_bounded::<P>(r.second, r.second_hi, &mut second[span.clone()]);
    } else if let (true, Some(out)) = (G, c.grad.as_deref_mut()) {
        open_grad = store_result::<P, S>(r.grad, r.grad_hi, &mut out[span]);
    }
    let outside = r.outside_loss | r.outside_grad | r.outside_second;
    // The rare case: the masks are gathered only here, so the common one keeps them in
    // registers.
    if outside | open_loss | open_grad | open_second != 0 {
        let left = Left {
            outside_loss: r.outside_loss,
            outside_grad: r.outside_grad,
            outside_second: r.outside_second,
            open_loss,
            open_grad,
            open_second,
        };
        redo::<P, S>(c, start, lane, acc, left);
    }
}

/// Stores a loss or a gradient of a group: as the ends `lo` and `hi` of its interval where the
/// row's kernel gives them ([`Storage::BOUNDED`]), else `lo`, the one value. Returns the open
/// lanes.
#[inline(always)]
fn store_result<P: Path, S: Storage>(lo: LanesOf<S, P>, hi: LanesOf<S, P>, dst: &mut [S]) -> u32 {
    if S::BOUNDED {
        S::store_bounded::<P>(lo, hi, dst)
    } else {
        S::store::<P>(lo, dst)
    }
}

/// The lanes of a group the fast kernels left (bit `i` for lane `i`): outside their range
/// (for the loss, which is then also left out of the sum; for the gradient; for both
/// derivatives), and those whose narrowing is open.
#[derive(Clone, Copy)]
struct Left {
    outside_loss: u32,
    outside_grad: u32,
    outside_second: u32,
    open_loss: u32,
    open_grad: u32,
    open_second: u32,
}

/// The lanes of a group that the fast kernels left (outside their range, or open), each
/// computed again, one element at a time: through the kernel for every input (whose result
/// may still narrow open), and where the narrowing is open, through the exact kernel. The
/// inputs are read again from the chunk, whose inputs are never its outputs (the leaf driver
/// copies an aliased input aside). Out of line, so that the rare case costs the common one
/// nothing.
#[cold]
#[inline(never)]
fn redo<P: Path, S: Storage>(
    c: &mut Chunk<'_, S>,
    start: usize,
    lane: usize,
    acc: &mut <S::Compute as Compute>::Acc<P>,
    left: Left,
) {
    // Only a loss outside the fast kernel's range changes the sums.
    let summed = c.sum && left.outside_loss != 0;
    let mut sums = <SumOf<S>>::default();
    if summed {
        S::Compute::acc_store::<P>(*acc, &mut sums, lane);
    }
    let bit = |mask: u32, i: usize| mask >> i & 1 == 1;
    // Only the lanes left, lowest first (with ordinary margins, one or two of a group).
    let mut lanes = left.outside_loss
        | left.outside_grad
        | left.outside_second
        | left.open_loss
        | left.open_grad
        | left.open_second;
    while lanes != 0 {
        let i = lanes.trailing_zeros() as usize;
        lanes &= lanes - 1;
        let at = start + i;
        let (x, y) = (c.x[at].widen(), c.y[at].widen());
        let e = c
            .each
            .map_or(S::Compute::default(), |each| each[at].widen());
        if bit(left.outside_loss, i) {
            let v = S::Compute::loss_one(x, y, &mut sums, lane + i, c.sum);
            if let Some(out) = c.loss.as_deref_mut() {
                out[at] = narrow_or(v, || S::exact_loss(x, y));
            }
        } else if bit(left.open_loss, i) {
            if let Some(out) = c.loss.as_deref_mut() {
                out[at] = S::exact_loss(x, y);
            }
        }
        if let Some(second) = c.second.as_deref_mut() {
            if bit(left.outside_second | left.open_grad | left.open_second, i) {
                let grad = c
                    .grad
                    .as_deref_mut()
                    .expect("the gradient beside the second");
                (grad[at], second[at]) = S::exact_second(x, y, c.factor);
            }
        } else if let Some(out) = c.grad.as_deref_mut() {
            if bit(left.outside_grad, i) {
                let v = S::Compute::grad_one(x, y, e, c.factor);
                out[at] = narrow_or(v, || S::exact_grad(x, y, c.factor.split(e.to_f64())));
            } else if bit(left.open_grad, i) {
                out[at] = S::exact_grad(x, y, c.factor.split(e.to_f64()));
            }
        }
    }
    if summed {
        *acc = S::Compute::acc_load::<P>(&sums, lane);
    }
}

/// `v` narrowed, or the exact value where that narrowing is open.
#[inline(always)]
fn narrow_or<S: Storage>(v: S::Compute, exact: impl FnOnce() -> S) -> S {
    match S::narrow(v) {
        (s, false) => s,
        (_, true) => exact(),
    }
}

/// The last `n - full` (< [`GROUP`]) elements of a chunk as one group, padded with an
/// in-range element: a vector group costs less than even two elements one at a time. Element
/// `full + j` takes lane `j`, and its loss goes into a sum of its own that the chunk's sum then
/// takes in ([`LeafSum::take_tail`]), as if added one at a time.
#[inline(always)]
fn padded<P: Path, S: Storage, const L: bool, const G: bool, const H: bool, const FAST: bool>(
    c: &mut Chunk<'_, S>,
    full: usize,
    sum: &mut SumOf<S>,
    fast: (S::Compute, S::Compute),
) {
    let m = c.x.len() - full;
    let zero = S::default();
    let mut x = [zero; GROUP];
    let mut y = [S::ONE; GROUP];
    let mut each = [S::ONE; GROUP];
    x[..m].copy_from_slice(&c.x[full..]);
    y[..m].copy_from_slice(&c.y[full..]);
    if let Some(g) = c.each {
        each[..m].copy_from_slice(&g[full..]);
    }
    let (mut loss, mut grad, mut second) = ([zero; GROUP], [zero; GROUP], [zero; GROUP]);
    let mut tail = Chunk {
        x: &x,
        y: &y,
        each: c.each.map(|_| &each[..]),
        loss: c.loss.as_ref().map(|_| &mut loss[..]),
        grad: c.grad.as_ref().map(|_| &mut grad[..]),
        second: c.second.as_ref().map(|_| &mut second[..]),
        factor: c.factor,
        sum: c.sum,
        sum_is_zero: true,
    };
    // The tail's sums are a local of this function: the compiler sees their zeros.
    let mut tail_sum = sum.tail();
    let mut acc = S::Compute::acc_load::<P>(&tail_sum, 0);
    group::<P, S, L, G, H, FAST>(&mut tail, 0, 0, &mut acc, fast, c.sum);
    if c.sum {
        S::Compute::acc_store::<P>(acc, &mut tail_sum, 0);
        sum.take_tail(tail_sum, m);
    }
    let outputs = [
        (c.loss.as_deref_mut(), &loss),
        (c.grad.as_deref_mut(), &grad),
        (c.second.as_deref_mut(), &second),
    ];
    for (out, values) in outputs {
        if let Some(out) = out {
            out[full..].copy_from_slice(&values[..m]);
        }
    }
}

#[cfg(test)]
mod tests;
