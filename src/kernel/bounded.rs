//! The bounded kernel: the loss and the slope of data of 24 bits or fewer (`f32`, held exactly
//! in `f64` lanes, where the margin `-y x` is exact) with a proven error bound, so that each
//! result rounds correctly to `f32` wherever both ends of its bound round alike
//! ([`ends`]). The element loops give the rest, about one result in four million, to the precise
//! kernel ([`super::precise`]).
//!
//! The error, in units of `u = 2^-53` (each rounding of a value within `u` of it, relative):
//!
//! - `m = -y x` and `a = -|m|` are exact; `exp(a) = 2^q 2^(j/16) exp(r)` with `16q + j = k`, the
//!   integer nearest `16 a / ln 2`: `r = a - k ln2/16` by an exact step with ln 2's high part
//!   (|k| < 2^13 and `k LN2_HI` has 45 bits) and one rounding with its low part, so within 2^-59
//!   (|r| <= ln2/32, about); `2^(j/16)` from a table, within `u/2`; `exp(r) = 1 + r + r^2 p(r)`,
//!   the Taylor series to `r^7` (truncation below 2^-59), whose roundings are scaled by
//!   `r^2 < 2^-11`; one rounding of `2^(j/16) (1 + r + r^2 p)` by FMA, and `2^q` exact: `e = exp(a)`
//!   within `1.6u`.
//! - `d1 = 1 + e`, `d2 = 2 + e`, `q = 1 / (d1 d2)`, `u = e d1 q = e / d2` and `1 / d1 = d2 q`: five
//!   roundings and `e`'s error, through `e / (2 + e)` and `1 / (1 + e)` at most once, so `u` within
//!   `6.6u` and `1 / (1 + e)` within `4.8u` (the one-output passes divide once: less).
//! - `log1p(e) = 2u + 2u^3 t(u^2)`: `u`'s error enters at most 1.08 times (`u <= 1/3`), the series
//!   to `u^31` (truncation below 2^-55) and its roundings scaled by 0.05, one final rounding:
//!   within `8.3u`; the loss `max(m, 0) + log1p(e)` (no cancellation) within `9.3u`.
//! - The sigmoid `1 / (1 + e)` or `e / (1 + e)` within `7.4u`, the slope `-y s` within `8.4u`,
//!   times a factor (`g`, or `g / n` rounded once) within `10.4u`.
//!
//! So every result is within 2^-49.6 of the exact value; [`BOUNDED_ERROR`] is eight times that.
//!
//! Beyond [`BOUNDED_LIMIT`] the margin is taken as at the limit, where the analysis does not
//! hold but the rounding does: with `m >= 300` the loss is `m` and the slope `-y` in `f64`,
//! within 2^-400 of the exact values; with `m <= -300` the loss and the gradient (below
//! `2^256 exp(-300) < 2^-176` for any `f32` target and factor) round to zeros, as the exact
//! values do. Infinite and NaN margins are reported in a mask.

use super::poly::{estrin, ATANH_COEFFS, EXP_COEFFS, LN2_HI, LN2_LO};
use crate::simd::Vector;

/// Margins beyond this in size are taken as at it (see the module documentation).
pub(crate) const BOUNDED_LIMIT: f64 = 300.0;

/// How far the results of [`bounded`] may be from the exact values, relative: eight times the
/// analysis's bound.
pub(crate) const BOUNDED_ERROR: f64 = 1.0 / (1u64 << 46) as f64;

/// `2^((i - 8) / 16)` for `i` in `0..16`, each rounded to `f64` (within 2^-53).
const EXP2_SIXTEENTHS: [f64; 16] = [
    f64::from_bits(0x3fe6_a09e_667f_3bcd),
    f64::from_bits(0x3fe7_a114_73eb_0187),
    f64::from_bits(0x3fe8_ace5_422a_a0db),
    f64::from_bits(0x3fe9_c491_82a3_f090),
    f64::from_bits(0x3fea_e89f_995a_d3ad),
    f64::from_bits(0x3fec_199b_dd85_529c),
    f64::from_bits(0x3fed_5818_dcfb_a487),
    f64::from_bits(0x3fee_a4af_a2a4_90da),
    f64::from_bits(0x3ff0_0000_0000_0000),
    f64::from_bits(0x3ff0_b558_6cf9_890f),
    f64::from_bits(0x3ff1_72b8_3c7d_517b),
    f64::from_bits(0x3ff2_387a_6e75_6238),
    f64::from_bits(0x3ff3_06fe_0a31_b715),
    f64::from_bits(0x3ff3_dea6_4c12_3422),
    f64::from_bits(0x3ff4_bfda_d536_2a27),
    f64::from_bits(0x3ff5_ab07_dd48_5429),
];

/// `exp(a)` for `-BOUNDED_LIMIT <= a <= 0` (exact `a`) by a table: `a = (16 q + j) ln2 / 16 + r`
/// with `j` in `-8..8` and `|r| <= ln2 / 32`, so `exp(a) = 2^q 2^(j/16) exp(r)`; within `1.6u`
/// (see the module documentation).
#[inline(always)]
fn exp_by_table<V: Vector>(a: V) -> V {
    let k = a.mul(V::splat(16.0 * std::f64::consts::LOG2_E)).round();
    // q = floor((k + 8) / 16), as the nearest integer to (k + 1/2) / 16, never a tie: j = k - 16 q
    // in -8..8. Exact throughout.
    let q = k.add(V::splat(0.5)).mul(V::splat(1.0 / 16.0)).round();
    let i = q.mul_add(V::splat(-16.0), k).add(V::splat(8.0));
    // Exact with ln 2's high part (|k| < 2^13, whose 32 bits make 45), one rounding with its
    // low part.
    let r = k.mul_add(V::splat(-LN2_HI / 16.0), a);
    let r = k.mul_add(V::splat(-LN2_LO / 16.0), r);
    let r2 = r.mul(r);
    // exp(r) = 1 + r + r^2 p(r), the Taylor series to r^7 (truncation below 2^-59), by Horner:
    // the kernel is bound by the FMA units, not by this chain.
    let mut p = V::splat(EXP_COEFFS[5]);
    for &c in EXP_COEFFS[..5].iter().rev() {
        p = p.mul_add(r, V::splat(c));
    }
    let t = i.lookup16(&EXP2_SIXTEENTHS);
    t.mul_add(r2.mul_add(p, r), t).mul(q.exp2_int())
}

/// What [`bounded`] computes for a vector of elements.
pub(crate) struct Bounded<V: Vector> {
    /// The loss (with `LOSS`), within [`BOUNDED_ERROR`].
    pub loss: V,
    /// The slope `-y sigmoid(-y x)` (with `GRAD`), within [`BOUNDED_ERROR`] less the two
    /// roundings of a factor.
    pub slope: V,
    /// The lanes whose margin is finite: the others' results mean nothing.
    pub finite: V::Mask,
}

/// The loss (`LOSS`) and the slope (`GRAD`) of `f32` data held in `f64` lanes, each within
/// [`BOUNDED_ERROR`] of the exact value (the slope leaves room for a factor). The loss does
/// not depend on `GRAD`, so a fused pass sums the same values as a forward pass.
#[inline(always)]
pub(crate) fn bounded<V: Vector, const LOSS: bool, const GRAD: bool>(x: V, y: V) -> Bounded<V> {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = zero.sub(y);
    // Exact: a product of two 24-bit significands.
    let m = neg_y.mul(x);
    let size = m.abs();
    let finite = V::splat(f64::MAX).ge(size);
    // Margins beyond the limit (and NaN: max returns its second operand) as at the limit.
    let a = zero.sub(size).max(V::splat(-BOUNDED_LIMIT));
    let e = exp_by_table(a);
    let d1 = one.add(e);
    let (mut loss, mut slope) = (zero, zero);
    let inv = if LOSS {
        // One division for both quotients.
        let d2 = e.add(V::splat(2.0));
        let q = one.div(d1.mul(d2));
        let u = e.mul(d1).mul(q);
        let u2 = u.mul(u);
        let t = estrin(u2, u2.mul(u2), &ATANH_COEFFS);
        let two_u = u.add(u);
        loss = m.max(zero).add(two_u.mul(u2).mul_add(t, two_u));
        d2.mul(q)
    } else {
        one.div(d1)
    };
    if GRAD {
        let s = V::select(m.ge(zero), inv, e.mul(inv));
        slope = neg_y.mul(s);
    }
    Bounded {
        loss,
        slope,
        finite,
    }
}

/// The ends of the interval `v (1 -+ error)`, which holds the exact value of a result `v`
/// within `error` of it (up to a rounding far below `error`). Infinities, zeros and NaN are
/// their own ends.
#[inline(always)]
pub(crate) fn ends<V: Vector>(v: V, error: f64) -> [V; 2] {
    [v.mul(V::splat(1.0 - error)), v.mul(V::splat(1.0 + error))]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::exact::point;
    use crate::kernel::factor::Split;
    use crate::kernel::mix::Mix;
    use crate::simd::portable::Scalar;

    /// The analysis's bound holds against the double-double kernel (within about 2^-55) over
    /// margins across the range up to the limit, with +/-1 and arbitrary targets: the largest relative error
    /// seen is below 2^-49.6, an eighth of [`BOUNDED_ERROR`].
    #[test]
    fn errors_are_within_the_analysis() {
        let mut mix = Mix(11);
        let (mut worst_loss, mut worst_slope) = (0.0f64, 0.0f64);
        for i in 0..400_000 {
            let bits = mix.next();
            let size = [1e-3, 1.0, 30.0, 300.0][i % 4];
            let x = ((bits >> 40) as f64 / (1u64 << 24) as f64 * 2.0 - 1.0) * size;
            let y = if i % 3 == 0 {
                f32::from_bits((bits as u32 & 0x007f_ffff) | 0x3f00_0000) * 3.0
            } else {
                [1.0, -1.0][i % 2]
            };
            let (x, y) = (f64::from(x as f32), f64::from(y));
            if (x * y).abs() > BOUNDED_LIMIT {
                continue;
            }
            let r = bounded::<Scalar, true, true>(Scalar(x), Scalar(y));
            let p = point(Scalar(x), Scalar(y));
            let loss = p.loss.0 + p.loss_err.0;
            let slope = p.slope.times(Split::one()).0;
            worst_loss = worst_loss.max(((r.loss.0 - loss) / loss).abs());
            if slope != 0.0 {
                worst_slope = worst_slope.max(((r.slope.0 - slope) / slope).abs());
            }
        }
        println!(
            "largest relative errors: loss 2^{:.1}, slope 2^{:.1}",
            worst_loss.log2(),
            worst_slope.log2()
        );
        let analysis = 2f64.powf(-49.6);
        assert!(worst_loss < analysis && worst_slope < analysis);
    }

    /// How many results the interval leaves open (its ends round to different `f32`s), over
    /// margins uniform in [-300, 300] with targets +1 and -1: about one in four million (its
    /// width, 2^-45, over the spacing of `f32`s, 2^-23 to 2^-24), which the precise kernel then
    /// computes; a wider interval or a kernel off its bound would show here.
    #[test]
    fn few_results_are_left_open() {
        let mut mix = Mix(17);
        let n = 1 << 21;
        let mut open = 0;
        for i in 0..n {
            let x = ((mix.next() >> 40) as f64 / (1u64 << 24) as f64 * 600.0 - 300.0) as f32;
            let y = [1.0, -1.0][i % 2];
            let r = bounded::<Scalar, true, true>(Scalar(f64::from(x)), Scalar(y));
            let differ = |v: Scalar| {
                let [lo, hi] = ends(v, BOUNDED_ERROR);
                lo.0 as f32 != hi.0 as f32
            };
            open += usize::from(differ(r.loss)) + usize::from(differ(r.slope));
        }
        println!("{open} of {} results open", 2 * n);
        assert!(open * 100_000 < 2 * n, "{open} of {}", 2 * n);
    }
}
