//! The wide kernel, for every `f32` input: the loss and the slope of `f32` data evaluated in
//! `f64` lanes (the margin `-y x` is then exact), to about 2^-32 relative before the rounding to
//! `f32`. For the 16-bit types, the element loops send it the lanes outside the range of the
//! fast kernel in `f32` lanes ([`super::fast`]): margins beyond 64 in size, NaN and infinite
//! values, tiny targets and factors; and every lane of a pass whose one factor is outside that
//! range. For `f32` data, only the losses that the sums take of infinite and NaN margins: the
//! stored results come from the bounded, precise and exact kernels.

use super::poly::{estrin8, ATANH_WIDE, EXP_WIDE};
use crate::simd::Vector;

const LOG2E: f64 = std::f64::consts::LOG2_E;

/// Margins are clamped to at least this in `exp`: below -282, `sigmoid(m) < 2^-406`, which even
/// times the largest `f32` target and the largest `f32` factor (2^256) is below half the
/// smallest subnormal, so every finite-factor result there is the zero it rounds to. The
/// clamped value (2^-577) keeps `-y sigmoid(m)` nonzero in `f64` for every target such a margin
/// can have (|y| >= 2^-119), so that an infinite factor gives the infinity of the exact product.
const FAR: f64 = -400.0;

/// The loss `log(1 + exp(-y x))` and the slope `-y sigmoid(-y x)` of `f32` inputs held in `f64`
/// lanes, to about 2^-32 relative before rounding to `f32`.
#[inline(always)]
pub(crate) fn any_f32<V: Vector>(x: V, y: V) -> (V, V) {
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
    let p = estrin8(r, r2, EXP_WIDE);
    let e = r2.mul_add(p, r).add(one).mul(k.exp2_int());
    // One division gives both u = e / (2 + e) and 1 / (1 + e).
    let d1 = e.add(one);
    let d2 = e.add(V::splat(2.0));
    let q = one.div(d1.mul(d2));
    let u = e.mul(d1).mul(q);
    let inv = d2.mul(q);
    let u2 = u.mul(u);
    let t = estrin8(u2, u2.mul(u2), ATANH_WIDE);
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
