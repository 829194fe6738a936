//! The element loops of a chunk, one per element type, written once for every path.
//!
//! `f32` data runs through [`super::fast`], a branch-free kernel in `f32` lanes (eight per AVX2
//! vector) that covers nearly every real input, and, lane by lane, through the `f64`-lane kernel
//! of [`super::wide`] for the rest: margins beyond 64 in size, NaN and infinite values, tiny
//! targets and factors. Which kernel an element goes through depends only on the element, so
//! results do not depend on neighbours or positions. Every path performs the same IEEE
//! operations per lane, so all give the same bits; sums use sixteen accumulators (element `i`
//! of a leaf into accumulator `i % 16`) whatever the vector width, so they agree bitwise too.
//!
//! `f64` data runs the same way through [`super::fast`] in `f64` lanes and, lane by lane,
//! through the double-double kernel of [`super::exact`] for the rest, with sixteen compensated
//! accumulators.

use super::chunk::{Chunk, GradScale};
use super::eft::{fast_two_sum, two_sum};
use super::exact::point;
use super::factor::{canonical_nan, mean_factor, product, product_in_range, Factor};
use super::fast::{fast, Fast, FastImpl, MAX_FACTOR_F32, MAX_FACTOR_F64};
use super::path::Path;
use super::wide::any_f32;
use crate::simd::portable::{Scalar, Scalar32};
use crate::simd::{Simd, Vector, VectorF32};
use crate::sum::{self, Compensated, CompensatedLanes, Lanes, LANES};

/// The gradient of one lane group of `f32` data in `f64` lanes: `slope` times its factor, in
/// `f64`, where it cannot overflow (both are below 2^128 in size); `each` loads the group's
/// per-element factors, and is only called for [`GradScale::Each`].
///
/// A NaN result is made the canonical quiet NaN: where a NaN slope meets a NaN factor with
/// another payload, the product's payload is the first NaN operand's, and which operand is
/// first is the compiler's choice, different in each path's code.
#[inline(always)]
fn scaled_slope<V: Vector>(slope: V, scale: GradScale, each: impl FnOnce() -> V) -> V {
    let v = match scale {
        GradScale::Each => slope.mul(each()),
        GradScale::Times(g) => slope.mul(V::splat(g)),
        GradScale::TimesOver(g, n) => match mean_factor(g, n) {
            Some((c_hi, c_lo)) => product(slope, V::splat(0.0), V::splat(c_hi), V::splat(c_lo)),
            None => slope.mul(V::splat(g)).div(V::splat(n)),
        },
    };
    canonical_nan(v)
}

/// The chunk's length, after checking that every buffer has it: said once before a loop, the
/// loop then needs no bounds checks.
#[inline(always)]
fn checked_len<T>(c: &Chunk<'_, T>) -> usize {
    let n = c.x.len();
    let len_ok = |len: Option<usize>| len.is_none_or(|len| len == n);
    assert!(
        c.y.len() == n
            && len_ok(c.each.map(<[T]>::len))
            && len_ok(c.loss.as_deref().map(<[T]>::len))
            && len_ok(c.grad.as_deref().map(<[T]>::len))
    );
    n
}

/// Which results a chunk's loop computes, `(LOSS, GRAD)`: each combination is compiled on its
/// own, so a loop that needs no gradient (or no loss) does none of that half's arithmetic.
#[inline(always)]
fn needs<T>(c: &Chunk<'_, T>) -> (bool, bool) {
    (c.loss.is_some() || c.sum, c.grad.is_some())
}

/// Elements `start..start + V::LANES` of the chunk on path `V`; the losses are added to `acc`.
#[inline(always)]
fn group<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f32>,
    start: usize,
    acc: &mut V,
) {
    let (loss, slope) = any_f32(V::load_f32(&c.x[start..]), V::load_f32(&c.y[start..]));
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        loss.store_f32(&mut out[start..]);
    }
    if LOSS && c.sum {
        *acc = acc.add(loss);
    }
    if let (true, Some(out)) = (GRAD, c.grad.as_deref_mut()) {
        scaled_slope(
            slope,
            c.scale,
            #[inline(always)]
            || V::load_f32(&c.each.expect("per-element factors")[start..]),
        )
        .store_f32(&mut out[start..]);
    }
}

/// The gradient of a group from the fast kernel's slope `r`, stored into the chunk's gradient
/// (when it has one): `(slope_hi + slope_lo)` times each element's factor ([`GradScale::Each`])
/// or the chunk's one `factor` (`hi + lo`), one rounding. Lanes whose own factor is outside the
/// kernel's range (not normal, or beyond [`FastImpl::MAX_FACTOR`]) are taken out of `ok_grad`.
#[inline(always)]
fn fast_gradient<V: Simd>(
    c: &mut Chunk<'_, V::Elem>,
    start: usize,
    r: &Fast<V>,
    factor: (V::Elem, V::Elem),
    ok_grad: &mut V::Mask,
) where
    V::Elem: FastImpl<V>,
{
    let Some(out) = c.grad.as_deref_mut() else {
        return;
    };
    let (c_hi, c_lo) = match c.scale {
        GradScale::Each => {
            let g = V::load(&c.each.expect("per-element factors")[start..]);
            let size = g.abs();
            let in_range = V::and(
                size.ge(V::splat(V::Elem::MIN_NORMAL)),
                V::splat(V::Elem::MAX_FACTOR).ge(size),
            );
            *ok_grad = V::and(*ok_grad, in_range);
            (g, V::splat(V::Elem::ZERO))
        }
        _ => (V::splat(factor.0), V::splat(factor.1)),
    };
    product_in_range(r.slope_hi, r.slope_lo, c_hi, c_lo).store(&mut out[start..]);
}

/// The lanes of a group outside the fast kernel's range (lane `i` in bit `i`): for the loss
/// (`ok` not set; none without `LOSS`) and for the gradient (`ok_grad` not set, which holds
/// wherever the loss is outside; none without `GRAD`).
#[inline(always)]
fn outside<V: Simd, const LOSS: bool, const GRAD: bool>(
    ok: V::Mask,
    ok_grad: V::Mask,
) -> (u32, u32) {
    let all = u32::MAX >> (32 - V::LANES);
    let loss = if LOSS { !V::bits(ok) & all } else { 0 };
    let grad = if GRAD { !V::bits(ok_grad) & all } else { 0 };
    (loss, grad)
}

/// Elements `start..start + V::LANES` of the chunk on path `V` through the kernel in `f32`
/// lanes ([`super::fast`]); the lanes outside its range go through [`group`] one at a time. Each
/// element's result depends only on the element, whichever way it went.
#[inline(always)]
fn group_single<V: VectorF32, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f32>,
    start: usize,
    acc: &mut V::Wide,
    factor: (f32, f32),
) {
    let r = fast::<V, LOSS, GRAD>(V::load(&c.x[start..]), V::load(&c.y[start..]));
    let mut ok_grad = r.ok_grad;
    if GRAD {
        fast_gradient(c, start, &r, factor, &mut ok_grad);
    }
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        r.loss_hi.add(r.loss_lo).store(&mut out[start..]);
    }
    if LOSS && c.sum {
        let zero = V::splat(0.0);
        let hi = V::select(r.ok, r.loss_hi, zero).widen();
        let lo = V::select(r.ok, r.loss_lo, zero).widen();
        *acc = acc.add(hi.add(lo));
    }
    let (outside, outside_grad) = outside::<V, LOSS, GRAD>(r.ok, ok_grad);
    if outside | outside_grad != 0 {
        let mut lanes = [0.0; LANES];
        acc.store(&mut lanes);
        outside_lanes::<LOSS, GRAD>(c, start, &mut lanes, outside, outside_grad);
        *acc = V::Wide::load(&lanes);
    }
}

/// The lanes of a group outside the range of [`super::fast`], through the `f64`-lane kernel one
/// at a time: lane `i` (element `start + i`, accumulator `lanes[i]`) in `outside` for its loss
/// and gradient, in `outside_grad` only for its gradient. Out of line, so that the rare case
/// costs the common one nothing.
#[cold]
#[inline(never)]
fn outside_lanes<const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f32>,
    start: usize,
    lanes: &mut [f64; LANES],
    outside: u32,
    outside_grad: u32,
) {
    for (i, lane) in lanes.iter_mut().enumerate() {
        let mut a = Scalar(*lane);
        if outside >> i & 1 == 1 {
            group::<Scalar, LOSS, GRAD>(c, start + i, &mut a);
        } else if outside_grad >> i & 1 == 1 {
            group::<Scalar, false, GRAD>(c, start + i, &mut a);
        }
        *lane = a.0;
    }
}

/// The gradient factor of a chunk as `hi + lo` in `f32`, when both are within the range of
/// [`super::fast`] (a normal `hi` up to [`MAX_FACTOR_F32`]); `None` sends the chunk to the
/// `f64`-lane kernel.
fn single_factor(scale: GradScale) -> Option<(f32, f32)> {
    let c = match scale {
        GradScale::Each => return Some((1.0, 0.0)),
        GradScale::Times(g) => g,
        GradScale::TimesOver(g, n) => g / n,
    };
    let hi = c as f32;
    (hi.is_normal() && hi.abs() <= MAX_FACTOR_F32).then(|| (hi, (c - f64::from(hi)) as f32))
}

/// A chunk of `f32` elements on path `P`; chunks start at multiples of [`LANES`] within their
/// leaf. The leaf's last elements go as one padded group where `P::PAD` (vector paths), else one
/// at a time.
#[inline(always)]
pub(crate) fn chunk_f32<P: Path>(c: Chunk<'_, f32>, total: &mut Lanes) {
    let (loss, grad) = needs(&c);
    let factor = if grad {
        single_factor(c.scale)
    } else {
        Some((1.0, 0.0))
    };
    match (loss, grad, factor) {
        (_, _, None) => chunk_f32_wide::<P::F64>(c, total),
        (true, false, Some(f)) => chunk_f32_of::<P::F32, true, false>(c, total, f, P::PAD),
        (false, true, Some(f)) => chunk_f32_of::<P::F32, false, true>(c, total, f, P::PAD),
        (_, _, Some(f)) => chunk_f32_of::<P::F32, true, true>(c, total, f, P::PAD),
    }
}

#[inline(always)]
fn chunk_f32_of<B: VectorF32, const LOSS: bool, const GRAD: bool>(
    mut c: Chunk<'_, f32>,
    total: &mut Lanes,
    factor: (f32, f32),
    pad_tail: bool,
) {
    debug_assert_eq!(B::LANES, LANES);
    let n = checked_len(&c);
    let full = n / LANES * LANES;
    if full > 0 {
        let mut acc = B::Wide::load(&total.0);
        for group in 0..n / LANES {
            group_single::<B, LOSS, GRAD>(&mut c, group * LANES, &mut acc, factor);
        }
        acc.store(&mut total.0);
    }
    // Padding pays from a few elements on (measured: about 50 ns for the padded group, 15 to
    // 30 ns per element one at a time).
    let pad = pad_tail && n - full >= PAD_MIN;
    if pad {
        tail_single::<B, LOSS, GRAD>(&mut c, full, total, factor);
    }
    for i in full..if pad { full } else { n } {
        let mut a = Scalar(total.0[i % LANES]);
        group_single::<Scalar32, LOSS, GRAD>(&mut c, i, &mut a, factor);
        total.0[i % LANES] = a.0;
    }
}

/// Tails of at least this many elements go as one padded group on vector paths.
const PAD_MIN: usize = 4;

/// The last `n - full` (< [`LANES`]) elements of a chunk as one group, padded with an
/// in-range element: a vector group costs less than even two elements one at a time. Element
/// `full + j` takes lane `j` and its loss goes into accumulator `j`, as added one at a time:
/// the group's accumulators start at 0, and `0 + loss` is exactly `loss`.
#[inline(always)]
fn tail_single<B: VectorF32, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f32>,
    full: usize,
    total: &mut Lanes,
    factor: (f32, f32),
) {
    let m = c.x.len() - full;
    let mut x = [0.0f32; LANES];
    let mut y = [1.0f32; LANES];
    let mut each = [1.0f32; LANES];
    x[..m].copy_from_slice(&c.x[full..]);
    y[..m].copy_from_slice(&c.y[full..]);
    if let Some(g) = c.each {
        each[..m].copy_from_slice(&g[full..]);
    }
    let mut loss = [0.0f32; LANES];
    let mut grad = [0.0f32; LANES];
    let mut padded = Chunk {
        x: &x,
        y: &y,
        each: c.each.map(|_| &each[..]),
        loss: c.loss.as_ref().map(|_| &mut loss[..]),
        grad: c.grad.as_ref().map(|_| &mut grad[..]),
        scale: c.scale,
        sum: c.sum,
    };
    let mut acc = <B::Wide as Simd>::splat(0.0);
    group_single::<B, LOSS, GRAD>(&mut padded, 0, &mut acc, factor);
    let mut sums = [0.0; LANES];
    acc.store(&mut sums);
    for (t, s) in total.0.iter_mut().zip(&sums[..m]) {
        *t += s;
    }
    if let Some(out) = c.loss.as_deref_mut() {
        out[full..].copy_from_slice(&loss[..m]);
    }
    if let Some(out) = c.grad.as_deref_mut() {
        out[full..].copy_from_slice(&grad[..m]);
    }
}

/// A chunk of `f32` elements all through the `f64`-lane kernel, with `B` a bundle of
/// [`LANES`] `f64` lanes.
#[inline(always)]
fn chunk_f32_wide<B: Vector>(c: Chunk<'_, f32>, total: &mut Lanes) {
    match needs(&c) {
        (true, false) => chunk_f32_wide_of::<B, true, false>(c, total),
        (false, true) => chunk_f32_wide_of::<B, false, true>(c, total),
        _ => chunk_f32_wide_of::<B, true, true>(c, total),
    }
}

#[inline(always)]
fn chunk_f32_wide_of<B: Vector, const LOSS: bool, const GRAD: bool>(
    mut c: Chunk<'_, f32>,
    total: &mut Lanes,
) {
    debug_assert_eq!(B::LANES, LANES);
    let n = checked_len(&c);
    let full = n / LANES * LANES;
    let mut acc = B::load(&total.0);
    for g in 0..n / LANES {
        group::<B, LOSS, GRAD>(&mut c, g * LANES, &mut acc);
    }
    acc.store(&mut total.0);
    for i in full..n {
        let mut a = Scalar(total.0[i % LANES]);
        group::<Scalar, LOSS, GRAD>(&mut c, i, &mut a);
        total.0[i % LANES] = a.0;
    }
}

/// Elements `start..start + V::LANES` of an `f64` chunk on path `V`; the losses are added to
/// the compensated sums `hi + lo`.
#[inline(always)]
fn group_f64<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f64>,
    start: usize,
    hi: &mut V,
    lo: &mut V,
    big: &mut Compensated,
) {
    let (x, y) = (V::load(&c.x[start..]), V::load(&c.y[start..]));
    let p = point(x, y);
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        p.loss.store(&mut out[start..]);
    }
    if LOSS && c.sum {
        // Huge losses go to `big` (see `sum::BIG`), and add 0 here.
        let huge = p.loss.ge(V::splat(sum::BIG));
        let huge_lanes = V::bits(huge);
        let (loss, loss_err) = if huge_lanes == 0 {
            (p.loss, p.loss_err)
        } else {
            add_big(x, y, p.loss, p.loss_err, huge_lanes, big);
            let zero = V::splat(0.0);
            (
                V::select(huge, zero, p.loss),
                V::select(huge, zero, p.loss_err),
            )
        };
        // The running sum and the loss exactly; both errors go to `lo`.
        let (s, err) = two_sum(*hi, loss);
        *hi = s;
        *lo = lo.add(err.add(loss_err));
    }
    if let (true, Some(out)) = (GRAD, c.grad.as_deref_mut()) {
        let factor = match c.scale {
            GradScale::Each => Factor::of(V::load(&c.each.expect("per-element factors")[start..])),
            GradScale::Times(g) => Factor::splat(Factor::of(Scalar(g))),
            GradScale::TimesOver(g, n) => Factor::splat(Factor::quotient(g, n)),
        };
        canonical_nan(p.slope.times(factor)).store(&mut out[start..]);
    }
}

/// Adds the lanes of `loss + loss_err` in `lanes` (lane `i` in bit `i`) to `big`, in lane order,
/// scaled by [`sum::BIG_SCALE`]; a loss beyond the largest `f64` (its margin `-y x` overflowed,
/// and the loss is that margin) as the margin computed at that scale. Out of line: only margins
/// beyond 2^900 get here.
#[cold]
#[inline(never)]
fn add_big<V: Vector>(x: V, y: V, loss: V, loss_err: V, lanes: u32, big: &mut Compensated) {
    let (mut xs, mut ys, mut l, mut e) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
    x.store(&mut xs[..V::LANES]);
    y.store(&mut ys[..V::LANES]);
    loss.store(&mut l[..V::LANES]);
    loss_err.store(&mut e[..V::LANES]);
    for i in (0..V::LANES).filter(|i| lanes >> i & 1 == 1) {
        if l[i].is_finite() {
            big.add(l[i] * sum::BIG_SCALE, e[i] * sum::BIG_SCALE);
        } else {
            // The larger factor scaled (exactly: it is beyond 2^512), the product exactly.
            let (mut a, mut b) = (-ys[i], xs[i]);
            if a.abs() >= b.abs() {
                a *= sum::BIG_SCALE;
            } else {
                b *= sum::BIG_SCALE;
            }
            let m = a * b;
            big.add(m, if m.is_finite() { a.mul_add(b, -m) } else { 0.0 });
        }
    }
}

/// Elements `start..start + V::LANES` of an `f64` chunk on path `V` through [`super::fast`]; the
/// lanes outside its range go through [`group_f64`] one at a time (as in [`group_single`]).
#[inline(always)]
fn group_double<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f64>,
    start: usize,
    hi: &mut V,
    lo: &mut V,
    big: &mut Compensated,
    factor: (f64, f64),
) {
    let r = fast::<V, LOSS, GRAD>(V::load(&c.x[start..]), V::load(&c.y[start..]));
    let mut ok_grad = r.ok_grad;
    if GRAD {
        fast_gradient(c, start, &r, factor, &mut ok_grad);
    }
    // The loss rounded, and its rounding error.
    let (loss, loss_err) = fast_two_sum(r.loss_hi, r.loss_lo);
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        loss.store(&mut out[start..]);
    }
    if LOSS && c.sum {
        // As in group_f64, with the lanes outside adding 0 (exactly nothing) here.
        let zero = V::splat(0.0);
        let (s, err) = two_sum(*hi, V::select(r.ok, loss, zero));
        *hi = s;
        *lo = lo.add(err.add(V::select(r.ok, loss_err, zero)));
    }
    let (outside, outside_grad) = outside::<V, LOSS, GRAD>(r.ok, ok_grad);
    if outside | outside_grad != 0 {
        let (mut his, mut los) = ([0.0; LANES], [0.0; LANES]);
        hi.store(&mut his);
        lo.store(&mut los);
        outside_lanes_f64::<LOSS, GRAD>(c, start, &mut his, &mut los, big, outside, outside_grad);
        (*hi, *lo) = (V::load(&his), V::load(&los));
    }
}

/// The lanes of an `f64` group outside the range of [`super::fast`] (see [`outside_lanes`]).
#[cold]
#[inline(never)]
fn outside_lanes_f64<const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f64>,
    start: usize,
    his: &mut [f64; LANES],
    los: &mut [f64; LANES],
    big: &mut Compensated,
    outside: u32,
    outside_grad: u32,
) {
    for (i, (h, l)) in his.iter_mut().zip(los.iter_mut()).enumerate() {
        let (mut a, mut b) = (Scalar(*h), Scalar(*l));
        if outside >> i & 1 == 1 {
            group_f64::<Scalar, LOSS, GRAD>(c, start + i, &mut a, &mut b, big);
        } else if outside_grad >> i & 1 == 1 {
            group_f64::<Scalar, false, GRAD>(c, start + i, &mut a, &mut b, big);
        }
        (*h, *l) = (a.0, b.0);
    }
}

/// The gradient factor of an `f64` chunk as `hi + lo` (see [`mean_factor`]), when it is within the
/// range of [`super::fast`] (a normal `hi` up to [`MAX_FACTOR_F64`]); `None` sends the chunk to
/// [`super::exact`].
fn double_factor(scale: GradScale) -> Option<(f64, f64)> {
    let factor = match scale {
        GradScale::Each => Some((1.0, 0.0)),
        GradScale::Times(g) => g.is_normal().then_some((g, 0.0)),
        GradScale::TimesOver(g, n) => mean_factor(g, n),
    };
    factor.filter(|(hi, _)| hi.abs() <= MAX_FACTOR_F64)
}

/// A chunk of `f64` elements with `B` a bundle of [`LANES`] lanes (see [`chunk_f32`]): through
/// [`super::fast`], unless a gradient factor for the whole chunk is outside its range, then all
/// through [`super::exact`].
#[inline(always)]
pub(crate) fn chunk_f64<P: Path>(c: Chunk<'_, f64>, total: &mut CompensatedLanes) {
    let (loss, grad) = needs(&c);
    let factor = if grad {
        double_factor(c.scale)
    } else {
        Some((1.0, 0.0))
    };
    let f = factor.unwrap_or((1.0, 0.0));
    match (factor.is_some(), loss, grad) {
        (true, true, false) => chunk_f64_of::<P::F64, true, true, false>(c, total, f),
        (true, false, true) => chunk_f64_of::<P::F64, true, false, true>(c, total, f),
        (true, _, _) => chunk_f64_of::<P::F64, true, true, true>(c, total, f),
        (false, true, false) => chunk_f64_of::<P::F64, false, true, false>(c, total, f),
        (false, false, true) => chunk_f64_of::<P::F64, false, false, true>(c, total, f),
        (false, _, _) => chunk_f64_of::<P::F64, false, true, true>(c, total, f),
    }
}

/// Elements `start..start + V::LANES` of an `f64` chunk through [`group_double`] with `FAST`,
/// else all through [`group_f64`].
#[inline(always)]
fn group_f64_by<V: Vector, const FAST: bool, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, f64>,
    start: usize,
    hi: &mut V,
    lo: &mut V,
    big: &mut Compensated,
    factor: (f64, f64),
) {
    if FAST {
        group_double::<V, LOSS, GRAD>(c, start, hi, lo, big, factor)
    } else {
        group_f64::<V, LOSS, GRAD>(c, start, hi, lo, big)
    }
}

#[inline(always)]
fn chunk_f64_of<B: Vector, const FAST: bool, const LOSS: bool, const GRAD: bool>(
    mut c: Chunk<'_, f64>,
    total: &mut CompensatedLanes,
    factor: (f64, f64),
) {
    debug_assert_eq!(B::LANES, LANES);
    let n = checked_len(&c);
    let full = n / LANES * LANES;
    let (mut hi, mut lo) = (B::load(&total.hi), B::load(&total.lo));
    let mut big = total.big;
    for g in 0..n / LANES {
        group_f64_by::<B, FAST, LOSS, GRAD>(&mut c, g * LANES, &mut hi, &mut lo, &mut big, factor);
    }
    hi.store(&mut total.hi);
    lo.store(&mut total.lo);
    for i in full..n {
        let j = i % LANES;
        let (mut h, mut l) = (Scalar(total.hi[j]), Scalar(total.lo[j]));
        group_f64_by::<Scalar, FAST, LOSS, GRAD>(&mut c, i, &mut h, &mut l, &mut big, factor);
        (total.hi[j], total.lo[j]) = (h.0, l.0);
    }
    total.big = big;
}
