//! The element loops of a chunk, one per element type, and the `f64`-lane kernel for `f32` data.
//!
//! `f32` data runs through [`single`], a branch-free kernel in `f32` lanes (eight per AVX2
//! vector) that covers nearly every real input, and, lane by lane, through [`loss_slope`] for
//! the rest: margins beyond 64 in size, NaN and infinite values, tiny targets and factors.
//! [`loss_slope`] computes in `f64` lanes, exact to about 2^-32 before the final rounding to
//! `f32`, and handles every input. Which kernel an element goes through depends only on the
//! element, so results do not depend on neighbours or positions. Every path performs the same
//! IEEE operations per lane, so all give the same bits; sums use sixteen accumulators
//! (element `i` of a leaf into accumulator `i % 16`) whatever the vector width, so they agree
//! bitwise too.
//!
//! `f64` data runs the same way through [`double`] (the design of [`single`] in `f64` lanes)
//! and, lane by lane, through the double-double kernel of [`crate::element`] for the rest, with
//! sixteen compensated accumulators.

use crate::element::{two_sum, Factor, ATANH_COEFFS, EXP_COEFFS};
use crate::pass::{Chunk, Scale};
use crate::simd::portable::{Scalar, Scalar32};
use crate::simd::{self, Isa, Vector, VectorF32};
use crate::sum::{self, Compensated, CompensatedLanes, Lanes, LANES};
use crate::{double, single};

const LOG2E: f64 = std::f64::consts::LOG2_E;

/// `1 / k!` for k = 2..=8: `exp(r) = 1 + r + r^2 p(r)`, truncation below 2^-32 for |r| <= ln2/2.
const EXP: &[f64] = EXP_COEFFS.split_at(7).0;

/// `1 / (2i + 1)` for i = 1..=8: `log1p(e) = 2u (1 + u^2 t(u^2))`, `u = e / (2 + e) <= 1/3`,
/// truncation below 2^-32.
const ATANH: &[f64] = ATANH_COEFFS.split_at(8).0;

/// Margins are clamped to at least this in `exp`: below -282, `sigmoid(m) < 2^-406`, which even
/// times the largest `f32` target and the largest `f32` factor (2^256) is below half the
/// smallest subnormal, so every finite-factor result there is the zero it rounds to. The
/// clamped value (2^-577) keeps `-y sigmoid(m)` nonzero in `f64` for every target such a margin
/// can have (|y| >= 2^-119), so that an infinite factor gives the infinity of the exact product.
const FAR: f64 = -400.0;

/// `c[0] + c[1] z + ... + c[7] z^7` (missing coefficients are 0) by Estrin's scheme: a
/// dependency chain of four steps instead of Horner's seven, which matters when one call has
/// only a few vectors to overlap.
#[inline(always)]
fn estrin<V: Vector>(z: V, z2: V, c: &[f64]) -> V {
    let coeff = |i: usize| V::splat(c.get(i).copied().unwrap_or(0.0));
    let z4 = z2.mul(z2);
    let p01 = z.mul_add(coeff(1), coeff(0));
    let p23 = z.mul_add(coeff(3), coeff(2));
    let p45 = z.mul_add(coeff(5), coeff(4));
    let p67 = z.mul_add(coeff(7), coeff(6));
    let p03 = z2.mul_add(p23, p01);
    let p47 = z2.mul_add(p67, p45);
    z4.mul_add(p47, p03)
}

/// The loss `log(1 + exp(-y x))` and the slope `-y sigmoid(-y x)` of `f32` inputs held in `f64`
/// lanes, to about 2^-32 relative before rounding to `f32`.
#[inline(always)]
pub(crate) fn loss_slope<V: Vector>(x: V, y: V) -> (V, V) {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = zero.sub(y);
    // Exact: a product of two 24-bit significands.
    let m = neg_y.mul(x);
    // e = exp(a), a = -|m| clamped to FAR (NaN lanes are fixed at the end).
    let a = zero.sub(m.abs()).max(V::splat(FAR));
    let k = a.mul(V::splat(LOG2E)).round();
    // |k| <= 577, so one fused step with ln 2 rounded to f64 leaves r within 2^-44 of exact.
    let r = k.mul_add(V::splat(-std::f64::consts::LN_2), a);
    let r2 = r.mul(r);
    let p = estrin(r, r2, EXP);
    let e = r2.mul_add(p, r).add(one).mul(k.exp2_int());
    // One division gives both u = e / (2 + e) and 1 / (1 + e).
    let d1 = e.add(one);
    let d2 = e.add(V::splat(2.0));
    let q = one.div(d1.mul(d2));
    let u = e.mul(d1).mul(q);
    let inv = d2.mul(q);
    let u2 = u.mul(u);
    let t = estrin(u2, u2.mul(u2), ATANH);
    let two_u = u.add(u);
    let log1p_e = two_u.mul(u2).mul_add(t, two_u);
    let loss = m.max(zero).add(log1p_e);
    // sigmoid(m): 1 / (1 + e) for m >= 0, e / (1 + e) below, the limit 0 at m = -inf.
    let minus_inf = m.eq(V::splat(f64::NEG_INFINITY));
    let s = V::select(m.ge(zero), inv, V::select(minus_inf, zero, e.mul(inv)));
    // -y s, with the limit 0 (not inf * 0) where s is 0.
    let slope = V::select(s.eq(zero), neg_y.sign(), neg_y.mul(s));
    let nan = m.is_nan();
    let quiet = V::splat(f64::NAN);
    (V::select(nan, quiet, loss), V::select(nan, quiet, slope))
}

/// The gradient of one lane group of `f32` data in `f64` lanes: `slope` times its factor, in
/// `f64`, where it cannot overflow (both are below 2^128 in size); `each` loads the group's
/// per-element factors, and is only called for [`Scale::Each`].
///
/// A NaN result is made the canonical quiet NaN: where a NaN slope meets a NaN factor with
/// another payload, the product's payload is the first NaN operand's, and which operand is
/// first is the compiler's choice, different in each path's code.
#[inline(always)]
fn scaled<V: Vector, T>(slope: V, scale: Scale<'_, T>, each: impl FnOnce() -> V) -> V {
    let v = match scale {
        Scale::Each(_) => slope.mul(each()),
        Scale::Times(g) => slope.mul(V::splat(g)),
        Scale::TimesOver(g, n) => match quotient(g, n) {
            Some((c_hi, c_lo)) => product(slope, V::splat(0.0), V::splat(c_hi), V::splat(c_lo)),
            None => slope.mul(V::splat(g)).div(V::splat(n)),
        },
    };
    canonical_nan(v)
}

/// `v` with every NaN lane the canonical quiet NaN (see [`scaled`]).
#[inline(always)]
fn canonical_nan<V: Vector>(v: V) -> V {
    V::select(v.is_nan(), V::splat(f64::NAN), v)
}

/// `g / n` as `hi + lo`, the rounded quotient and the rest (to about 2^-106 relative), for a
/// finite `g` of at least 2^-900 in size, where both parts are normal numbers; `None` for the
/// others. The MEAN gradient is then the slope times this, with no division per element and no
/// overflow where `slope * g` alone would overflow; below 2^-900 (where `slope * g` cannot
/// overflow) it is `(slope * g) / n`.
fn quotient(g: f64, n: f64) -> Option<(f64, f64)> {
    if !(g.is_finite() && g.abs() >= 2f64.powi(-900)) {
        return None;
    }
    let hi = g / n;
    Some((hi, (-hi).mul_add(n, g) / n))
}

/// `(hi + lo) (c_hi + c_lo)` with one final rounding, for any factor. The small products
/// overflow only where `hi c_hi` is far beyond the largest `f64`, and then with either sign:
/// there they are dropped, and the result is the infinity of `hi c_hi`.
#[inline(always)]
fn product<V: Vector>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    let small = hi.mul_add(c_lo, lo.mul(c_hi));
    let small = V::select(V::splat(f64::MAX).ge(small.abs()), small, V::splat(0.0));
    hi.mul_add(c_hi, small)
}

/// [`product`] for factors up to [`double::MAX_FACTOR`], whose small products cannot overflow.
#[inline(always)]
fn product_in_range<V: Vector>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    hi.mul_add(c_hi, hi.mul_add(c_lo, lo.mul(c_hi)))
}

/// The chunk's length, after checking that every buffer has it: said once before a loop, the
/// loop then needs no bounds checks.
#[inline(always)]
fn checked_len<T>(c: &Chunk<'_, '_, T>) -> usize {
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
fn needs<T>(c: &Chunk<'_, '_, T>) -> (bool, bool) {
    (c.loss.is_some() || c.sum, c.grad.is_some())
}

/// Elements `start..start + V::LANES` of the chunk on path `V`; the losses are added to `acc`.
#[inline(always)]
fn group<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f32>,
    start: usize,
    acc: &mut V,
) {
    let (loss, slope) = loss_slope(V::load_f32(&c.x[start..]), V::load_f32(&c.y[start..]));
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        loss.store_f32(&mut out[start..]);
    }
    if LOSS && c.sum {
        *acc = acc.add(loss);
    }
    if let (true, Some(out)) = (GRAD, c.grad.as_deref_mut()) {
        scaled(
            slope,
            c.scale,
            #[inline(always)]
            || V::load_f32(&c.each.expect("per-element factors")[start..]),
        )
        .store_f32(&mut out[start..]);
    }
}

/// Elements `start..start + V::LANES` of the chunk on path `V` through the kernel in `f32`
/// lanes ([`single`]); the lanes outside its range go through [`group`] one at a time. Each
/// element's result depends only on the element, whichever way it went.
#[inline(always)]
fn group_single<V: VectorF32, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f32>,
    start: usize,
    acc: &mut V::Wide,
    factor: (f32, f32),
) {
    let r = single::loss_slope::<V, LOSS, GRAD>(V::load(&c.x[start..]), V::load(&c.y[start..]));
    let mut ok_grad = r.ok_grad;
    if let (true, Some(out)) = (GRAD, c.grad.as_deref_mut()) {
        let (c_hi, c_lo) = match c.scale {
            Scale::Each(_) => {
                let g = V::load(&c.each.expect("per-element factors")[start..]);
                let size = g.abs();
                let in_range = V::and(
                    size.ge(V::splat(f32::MIN_POSITIVE)),
                    size.le(V::splat(single::MAX_FACTOR)),
                );
                ok_grad = V::and(ok_grad, in_range);
                (g, V::splat(0.0))
            }
            _ => (V::splat(factor.0), V::splat(factor.1)),
        };
        single::times(r.slope_hi, r.slope_lo, c_hi, c_lo).store(&mut out[start..]);
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
    // The lanes outside the kernel's range, loss and gradient (a gradient is outside wherever
    // its loss is).
    let all = u32::MAX >> (32 - V::LANES);
    let outside = if LOSS { !V::bits(r.ok) & all } else { 0 };
    let outside_grad = if GRAD { !V::bits(ok_grad) & all } else { 0 };
    if outside | outside_grad != 0 {
        let mut lanes = [0.0; LANES];
        acc.store(&mut lanes);
        outside_lanes::<LOSS, GRAD>(c, start, &mut lanes, outside, outside_grad);
        *acc = V::Wide::load(&lanes);
    }
}

/// The lanes of a group outside the range of [`single`], through the `f64`-lane kernel one
/// at a time: lane `i` (element `start + i`, accumulator `lanes[i]`) in `outside` for its loss
/// and gradient, in `outside_grad` only for its gradient. Out of line, so that the rare case
/// costs the common one nothing.
#[cold]
#[inline(never)]
fn outside_lanes<const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f32>,
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
/// [`single`] (a normal `hi` up to [`single::MAX_FACTOR`]); `None` sends the chunk to the
/// `f64`-lane kernel.
fn single_factor(scale: Scale<'_, f32>) -> Option<(f32, f32)> {
    let c = match scale {
        Scale::Each(_) => return Some((1.0, 0.0)),
        Scale::Times(g) => g,
        Scale::TimesOver(g, n) => g / n,
    };
    let hi = c as f32;
    (hi.is_normal() && hi.abs() <= single::MAX_FACTOR).then(|| (hi, (c - f64::from(hi)) as f32))
}

/// A chunk of `f32` elements with `B` a bundle of [`LANES`] lanes; chunks start at multiples of
/// `LANES` within their leaf. The leaf's last elements go as one padded group with `PAD` (for
/// vector paths), else one at a time.
#[inline(always)]
fn chunk_f32<B: VectorF32, const PAD: bool>(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    let (loss, grad) = needs(&c);
    let factor = if grad {
        single_factor(c.scale)
    } else {
        Some((1.0, 0.0))
    };
    match (loss, grad, factor) {
        (_, _, None) => chunk_f32_wide::<B::Wide>(c, total),
        (true, false, Some(f)) => chunk_f32_of::<B, PAD, true, false>(c, total, f),
        (false, true, Some(f)) => chunk_f32_of::<B, PAD, false, true>(c, total, f),
        (_, _, Some(f)) => chunk_f32_of::<B, PAD, true, true>(c, total, f),
    }
}

#[inline(always)]
fn chunk_f32_of<B: VectorF32, const PAD: bool, const LOSS: bool, const GRAD: bool>(
    mut c: Chunk<'_, '_, f32>,
    total: &mut Lanes,
    factor: (f32, f32),
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
    let pad = PAD && n - full >= PAD_MIN;
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
    c: &mut Chunk<'_, '_, f32>,
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
    let mut acc = B::Wide::splat(0.0);
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
fn chunk_f32_wide<B: Vector>(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    match needs(&c) {
        (true, false) => chunk_f32_wide_of::<B, true, false>(c, total),
        (false, true) => chunk_f32_wide_of::<B, false, true>(c, total),
        _ => chunk_f32_wide_of::<B, true, true>(c, total),
    }
}

#[inline(always)]
fn chunk_f32_wide_of<B: Vector, const LOSS: bool, const GRAD: bool>(
    mut c: Chunk<'_, '_, f32>,
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

/// `chunk_f32` compiled for AVX2 and FMA: two vectors of eight lanes in flight.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chunk_f32_avx2(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    chunk_f32::<[simd::avx2::Avx2F32; 2], true>(c, total)
}

/// `chunk_f32` on the portable path, compiled with FMA instructions when the CPU has them (the
/// kernel's `mul_add` is otherwise a libm call; the results are the same).
fn chunk_f32_portable(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA, as just checked.
        return unsafe { chunk_f32_portable_fma(c, total) };
    }
    chunk_f32::<[Scalar32; LANES], false>(c, total)
}

/// # Safety
/// The CPU must support FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn chunk_f32_portable_fma(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    chunk_f32::<[Scalar32; LANES], false>(c, total)
}

/// `chunk_f32` compiled for AVX-512: one vector of sixteen lanes.
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
unsafe fn chunk_f32_avx512(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    chunk_f32::<simd::avx512::Avx512F32, true>(c, total)
}

/// Runs a chunk of `f32` elements on the selected path.
pub(crate) fn run_f32(c: Chunk<'_, '_, f32>, total: &mut Lanes) {
    match simd::isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx2 only when the CPU supports AVX2 and FMA.
        Isa::Avx2 => unsafe { chunk_f32_avx2(c, total) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx512 only when the CPU supports all it needs.
        Isa::Avx512 => unsafe { chunk_f32_avx512(c, total) },
        _ => chunk_f32_portable(c, total),
    }
}

/// Elements `start..start + V::LANES` of an `f64` chunk on path `V`; the losses are added to
/// the compensated sums `hi + lo`.
#[inline(always)]
fn group_f64<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f64>,
    start: usize,
    hi: &mut V,
    lo: &mut V,
    big: &mut Compensated,
) {
    let (x, y) = (V::load(&c.x[start..]), V::load(&c.y[start..]));
    let p = crate::element::point(x, y);
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
            Scale::Each(_) => Factor::of(V::load(&c.each.expect("per-element factors")[start..])),
            Scale::Times(g) => Factor::splat(Factor::of(Scalar(g))),
            Scale::TimesOver(g, n) => Factor::splat(Factor::quotient(g, n)),
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

/// Elements `start..start + V::LANES` of an `f64` chunk on path `V` through [`double`]; the
/// lanes outside its range go through [`group_f64`] one at a time (see [`group_single`]).
#[inline(always)]
fn group_double<V: Vector, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f64>,
    start: usize,
    hi: &mut V,
    lo: &mut V,
    big: &mut Compensated,
    factor: (f64, f64),
) {
    let r = double::loss_slope::<V, LOSS, GRAD>(V::load(&c.x[start..]), V::load(&c.y[start..]));
    let mut ok_grad = r.ok_grad;
    if let (true, Some(out)) = (GRAD, c.grad.as_deref_mut()) {
        // (slope_hi + slope_lo) times the factor, one rounding.
        let (c_hi, c_lo) = match c.scale {
            Scale::Each(_) => {
                let g = V::load(&c.each.expect("per-element factors")[start..]);
                let size = g.abs();
                let in_range = V::and(
                    size.ge(V::splat(f64::MIN_POSITIVE)),
                    V::splat(double::MAX_FACTOR).ge(size),
                );
                ok_grad = V::and(ok_grad, in_range);
                (g, V::splat(0.0))
            }
            _ => (V::splat(factor.0), V::splat(factor.1)),
        };
        product_in_range(r.slope_hi, r.slope_lo, c_hi, c_lo).store(&mut out[start..]);
    }
    if let (true, Some(out)) = (LOSS, c.loss.as_deref_mut()) {
        r.loss.store(&mut out[start..]);
    }
    if LOSS && c.sum {
        // As in group_f64, with the lanes outside adding 0 (exactly nothing) here.
        let zero = V::splat(0.0);
        let (s, err) = two_sum(*hi, V::select(r.ok, r.loss, zero));
        *hi = s;
        *lo = lo.add(err.add(V::select(r.ok, r.loss_err, zero)));
    }
    let all = u32::MAX >> (32 - V::LANES);
    let outside = if LOSS { !V::bits(r.ok) & all } else { 0 };
    let outside_grad = if GRAD { !V::bits(ok_grad) & all } else { 0 };
    if outside | outside_grad != 0 {
        let (mut his, mut los) = ([0.0; LANES], [0.0; LANES]);
        hi.store(&mut his);
        lo.store(&mut los);
        outside_lanes_f64::<LOSS, GRAD>(c, start, &mut his, &mut los, big, outside, outside_grad);
        (*hi, *lo) = (V::load(&his), V::load(&los));
    }
}

/// The lanes of an `f64` group outside the range of [`double`] (see [`outside_lanes`]).
#[cold]
#[inline(never)]
fn outside_lanes_f64<const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f64>,
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

/// The gradient factor of an `f64` chunk as `hi + lo` (see [`quotient`]), when it is within the
/// range of [`double`] (a normal `hi` up to [`double::MAX_FACTOR`]); `None` sends the chunk to
/// [`crate::element`].
fn double_factor(scale: Scale<'_, f64>) -> Option<(f64, f64)> {
    let factor = match scale {
        Scale::Each(_) => Some((1.0, 0.0)),
        Scale::Times(g) => g.is_normal().then_some((g, 0.0)),
        Scale::TimesOver(g, n) => quotient(g, n),
    };
    factor.filter(|(hi, _)| hi.abs() <= double::MAX_FACTOR)
}

/// A chunk of `f64` elements with `B` a bundle of [`LANES`] lanes (see [`chunk_f32`]): through
/// [`double`], unless a gradient factor for the whole chunk is outside its range, then all
/// through [`crate::element`].
#[inline(always)]
fn chunk_f64<B: Vector>(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    let (loss, grad) = needs(&c);
    let factor = if grad {
        double_factor(c.scale)
    } else {
        Some((1.0, 0.0))
    };
    let f = factor.unwrap_or((1.0, 0.0));
    match (factor.is_some(), loss, grad) {
        (true, true, false) => chunk_f64_of::<B, true, true, false>(c, total, f),
        (true, false, true) => chunk_f64_of::<B, true, false, true>(c, total, f),
        (true, _, _) => chunk_f64_of::<B, true, true, true>(c, total, f),
        (false, true, false) => chunk_f64_of::<B, false, true, false>(c, total, f),
        (false, false, true) => chunk_f64_of::<B, false, false, true>(c, total, f),
        (false, _, _) => chunk_f64_of::<B, false, true, true>(c, total, f),
    }
}

/// Elements `start..start + V::LANES` of an `f64` chunk through [`group_double`] with `FAST`,
/// else all through [`group_f64`].
#[inline(always)]
fn group_f64_by<V: Vector, const FAST: bool, const LOSS: bool, const GRAD: bool>(
    c: &mut Chunk<'_, '_, f64>,
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
    mut c: Chunk<'_, '_, f64>,
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

/// `chunk_f64` compiled for AVX2 and FMA: four vectors of four lanes in flight.
///
/// # Safety
/// The CPU must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn chunk_f64_avx2(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    chunk_f64::<[simd::avx2::Avx2; 4]>(c, total)
}

/// `chunk_f64` on the portable path, with FMA instructions when the CPU has them.
fn chunk_f64_portable(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports FMA, as just checked.
        return unsafe { chunk_f64_portable_fma(c, total) };
    }
    chunk_f64::<[Scalar; LANES]>(c, total)
}

/// # Safety
/// The CPU must support FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn chunk_f64_portable_fma(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    chunk_f64::<[Scalar; LANES]>(c, total)
}

/// `chunk_f64` compiled for AVX-512: two vectors of eight lanes in flight.
///
/// # Safety
/// The CPU must support AVX-512 F, VL, DQ and BW, AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
unsafe fn chunk_f64_avx512(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    chunk_f64::<[simd::avx512::Avx512; 2]>(c, total)
}

/// Runs a chunk of `f64` elements on the selected path.
pub(crate) fn run_f64(c: Chunk<'_, '_, f64>, total: &mut CompensatedLanes) {
    match simd::isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx2 only when the CPU supports AVX2 and FMA.
        Isa::Avx2 => unsafe { chunk_f64_avx2(c, total) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx512 only when the CPU supports all it needs.
        Isa::Avx512 => unsafe { chunk_f64_avx512(c, total) },
        _ => chunk_f64_portable(c, total),
    }
}
