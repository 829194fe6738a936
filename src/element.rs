//! The loss and its derivative for one element, in the stable form.
//!
//! With the margin `m = -y x`, the loss is `softplus(m) = log(1 + exp(m))` and its derivative
//! with respect to `x` is `-y sigmoid(m)`. Both come from one `e = exp(-|m|)`, which lies in
//! `[0, 1]` and so never overflows:
//!
//! - `softplus(m) = max(m, 0) + log1p(e)`
//! - `sigmoid(m) = 1 / (1 + e)` for `m >= 0`, `e / (1 + e)` for `m < 0`
//!
//! Everything is evaluated in double-double (`f64` pairs `hi + lo`) with the crate's own
//! polynomial `exp` and `log1p`, to a relative error near 2^-55, and rounded once at the end
//! (`tests/accuracy.rs` measures at most 0.78 ulp for `f64` results and 0.5 for `f32`). The margin itself is carried exactly: an `f32` product is exact in `f64`, and the
//! rounding error of an `f64` product is recovered with a fused multiply-add, so targets other
//! than +/-1 are as accurate as +/-1. No libm function is called, so results are the same on
//! every platform.

/// The loss and its derivative with respect to the input, at one element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// `log(1 + exp(-y x))`, rounded to `f64`.
    pub loss: f64,
    /// The rounding error of `loss` (what remains of the double-double value).
    pub loss_err: f64,
    /// `-y sigmoid(-y x)`, the derivative of the loss with respect to `x`, rounded to `f64`.
    pub slope: f64,
}

/// `a + b` exactly, as a rounded sum and its error, when `|a| >= |b|` or `a` is 0 (Fast2Sum).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `a + b` exactly, as a rounded sum and its error, for any `a` and `b` (Knuth's TwoSum).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// `a * b` exactly, as a rounded product and its error.
#[inline(always)]
fn two_prod(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    (p, a.mul_add(b, -p))
}

/// 2^k for k in the normal exponent range.
#[inline(always)]
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// 2^k for any k >= -1074 (subnormal powers included); 0 below.
#[inline(always)]
fn pow2_any(k: i32) -> f64 {
    if k >= -1022 {
        pow2(k)
    } else if k >= -1074 {
        f64::from_bits(1u64 << (k + 1074))
    } else {
        0.0
    }
}

/// `v * 2^k` for `-2200 <= k <= 0`, in two exact steps where the result is normal, so it is
/// rounded at most where it is subnormal.
#[inline(always)]
fn ldexp(v: f64, k: i32) -> f64 {
    if k >= -1022 {
        return v * pow2(k);
    }
    let half = k / 2;
    v * pow2_any(half) * pow2_any(k - half)
}

/// ln 2 split so that `k * LN2_HI` is exact for |k| < 2^21 (fdlibm's constants).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `1 / k!` for k = 2..=14: the Taylor coefficients of `exp(r) - 1 - r`.
const EXP_COEFFS: [f64; 13] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
];

/// `exp(a_hi + a_lo)` as a double-double times a power of two, `(e_hi, e_lo, k)` with
/// `e_hi` in about [0.7, 1.42], for `-1500 <= a_hi <= 0`; relative error about 2^-55.
#[inline(always)]
fn exp_neg(a_hi: f64, a_lo: f64) -> (f64, f64, i32) {
    // a = k ln2 + r, |r| <= ln2 / 2; k ln2_hi is exact and a_hi - k ln2_hi exact (Sterbenz).
    let k = (a_hi * std::f64::consts::LOG2_E).round();
    let r_hi = a_hi - k * LN2_HI;
    let r_lo = a_lo - k * LN2_LO;
    let (r, r_err) = fast_two_sum(r_hi, r_lo);
    // exp(r) = 1 + r + r^2 p(r); the error of p is scaled by r^2 / 2 < 0.061.
    let mut p = EXP_COEFFS[12];
    for &c in EXP_COEFFS[..12].iter().rev() {
        p = p.mul_add(r, c);
    }
    let (one_r, one_r_err) = fast_two_sum(1.0, r);
    let tail = one_r_err + (r * r).mul_add(p, r_err * (1.0 + r));
    let (e_hi, e_lo) = fast_two_sum(one_r, tail);
    (e_hi, e_lo, k as i32)
}

/// The value of `(e_hi + e_lo) 2^k` as a double-double; below the normal range, the high part
/// rounded once and no low part.
#[inline(always)]
fn scaled(e_hi: f64, e_lo: f64, k: i32) -> (f64, f64) {
    if k >= -1021 {
        let scale = pow2(k);
        (e_hi * scale, e_lo * scale)
    } else {
        (ldexp(e_hi, k), 0.0)
    }
}

/// `1 / (2i + 1)` for i = 1..=15: the series `atanh(u) / u - 1` in powers of `u^2`.
const ATANH_COEFFS: [f64; 15] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
    1.0 / 29.0,
    1.0 / 31.0,
];

/// `log1p(e_hi + e_lo)` as a double-double, for `0 <= e_hi <= 1`; relative error about 2^-55.
#[inline(always)]
fn log1p_unit(e_hi: f64, e_lo: f64) -> (f64, f64) {
    if e_hi < 1.0 / (1u64 << 60) as f64 {
        // log1p(e) = e - e^2 / 2 + O(e^3), and e / (2 + e) below would lose subnormal bits.
        return (e_hi, e_lo - 0.5 * e_hi * e_hi);
    }
    // log1p(e) = 2 atanh(u), u = e / (2 + e) <= 1/3.
    let (d, d_err) = fast_two_sum(2.0, e_hi);
    let u = e_hi / d;
    // u_err = (e - u (2 + e)) / (2 + e), the division's residual computed exactly by the FMA.
    let residual = (-u).mul_add(d, e_hi) + (e_lo - u * (d_err + e_lo));
    let u_err = residual / d;
    let u2 = u * u;
    let mut q = ATANH_COEFFS[14];
    for &c in ATANH_COEFFS[..14].iter().rev() {
        q = q.mul_add(u2, c);
    }
    // 2 (u + u^3 q): 2u is exact; the rest is below a tenth of it.
    let (hi, lo) = fast_two_sum(2.0 * u, 2.0 * u_err + 2.0 * u * u2 * q);
    (hi, lo)
}

/// `-y (s_hi + s_lo) 2^k`, rounded once (twice at most where subnormal); the limit 0 where `s`
/// is 0 and `y` infinite.
#[inline(always)]
fn slope(y: f64, s_hi: f64, s_lo: f64, k: i32) -> f64 {
    if s_hi == 0.0 {
        return 0.0f64.copysign(-y);
    }
    // Keep -y s finite before the scaling when y is near the top of the range.
    let (y, k) = if k < 0 && y.abs() > pow2(1000) {
        (y * pow2(-64), k + 64)
    } else {
        (y, k)
    };
    let (p, p_err) = two_prod(-y, s_hi);
    if !p.is_finite() {
        return p;
    }
    ldexp(p + (-y).mul_add(s_lo, p_err), k)
}

/// Loss and slope for the exact margin `m_hi + m_lo` (`|m_lo| <= ulp(m_hi) / 2`) and target `y`.
#[inline(always)]
pub(crate) fn point(m_hi: f64, m_lo: f64, y: f64) -> Point {
    if !m_hi.is_finite() {
        // +inf: loss +inf, sigmoid 1. -inf: loss 0, sigmoid 0. NaN stays NaN.
        let (loss, s) = if m_hi > 0.0 {
            (f64::INFINITY, 1.0)
        } else if m_hi < 0.0 {
            (0.0, 0.0)
        } else {
            (f64::NAN, f64::NAN)
        };
        let slope = if s.is_nan() { s } else { slope(y, s, 0.0, 0) };
        return Point {
            loss,
            loss_err: 0.0,
            slope,
        };
    }
    let positive = m_hi >= 0.0;
    // a = -|m|; e = exp(a) = (e_hi + e_lo) 2^k, and its value (ev_hi + ev_lo).
    let (a_hi, a_lo) = if positive {
        (-m_hi, -m_lo)
    } else {
        (m_hi, m_lo)
    };
    let (e_hi, e_lo, k) = if a_hi < -1500.0 {
        // exp(a) < 2^-2164: nothing, even times the largest target, is left of it.
        (0.0, 0.0, 0)
    } else {
        exp_neg(a_hi, a_lo)
    };
    let (ev_hi, ev_lo) = scaled(e_hi, e_lo, k);

    // softplus(m) = max(m, 0) + log1p(e).
    let (l_hi, l_lo) = log1p_unit(ev_hi, ev_lo);
    let (loss_hi, loss_lo) = if positive {
        let (s, err) = two_sum(m_hi, l_hi);
        (s, err + (m_lo + l_lo))
    } else {
        (l_hi, l_lo)
    };
    let (loss, loss_err) = fast_two_sum(loss_hi, loss_lo);

    // sigmoid(m) = n / (1 + e) with n = 1 for m >= 0; for m < 0, n = e, kept unscaled (2^k
    // applied after the product with y, so that a huge target still sees a tiny sigmoid).
    let (d_hi, d_err) = fast_two_sum(1.0, ev_hi);
    let d_lo = d_err + ev_lo;
    let (n_hi, n_lo, k) = if positive {
        (1.0, 0.0, 0)
    } else {
        (e_hi, e_lo, k)
    };
    let s_hi = n_hi / d_hi;
    let s_lo = ((-s_hi).mul_add(d_hi, n_hi) + (n_lo - s_hi * d_lo)) / d_hi;

    Point {
        loss,
        loss_err,
        slope: slope(y, s_hi, s_lo, k),
    }
}

/// Loss and slope of an `f64` element (`-y x` not necessarily exact).
#[inline(always)]
pub(crate) fn point_f64(x: f64, y: f64) -> Point {
    let (m_hi, m_lo) = margin_f64(x, y);
    point(m_hi, m_lo, y)
}

/// The margin `-y x` of `f64` values, exactly, as a rounded product and its error; the error is
/// dropped when the product overflows or underflows (it is then meaningless or negligible).
#[inline(always)]
pub(crate) fn margin_f64(x: f64, y: f64) -> (f64, f64) {
    let (m, err) = two_prod(-y, x);
    if err.is_finite() {
        (m, err)
    } else {
        (m, 0.0)
    }
}

/// The element types the library computes on: `f32` and `f64`. Sealed.
pub trait Float:
    Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + sealed::Kernel + 'static
{
}

impl Float for f32 {}
impl Float for f64 {}

mod sealed {
    use crate::pass::Chunk;
    use crate::sum::{Accumulator, Compensated, Lanes};

    /// The per-element-type parts of a pass; not nameable outside the crate.
    pub trait Kernel: Sized {
        /// How sums of this type's losses are accumulated.
        type Sum: Accumulator;
        /// The value widened to `f64` (exact).
        fn widen(self) -> f64;
        /// An `f64` rounded to this type.
        fn narrow(v: f64) -> Self;
        /// Runs one chunk of a pass, adding its losses to `total` when the pass sums.
        fn run_chunk(chunk: Chunk<'_, '_, Self>, total: &mut Self::Sum);
    }

    impl Kernel for f32 {
        type Sum = Lanes;
        #[inline(always)]
        fn widen(self) -> f64 {
            f64::from(self)
        }
        #[inline(always)]
        fn narrow(v: f64) -> Self {
            v as f32
        }
        fn run_chunk(chunk: Chunk<'_, '_, f32>, total: &mut Lanes) {
            crate::kernel::run_f32(chunk, total)
        }
    }

    impl Kernel for f64 {
        type Sum = Compensated;
        #[inline(always)]
        fn widen(self) -> f64 {
            self
        }
        #[inline(always)]
        fn narrow(v: f64) -> Self {
            v
        }
        fn run_chunk(chunk: Chunk<'_, '_, f64>, total: &mut Compensated) {
            crate::kernel::run_f64(chunk, total)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytorch_overflow_case_is_finite() {
        // PyTorch computes log1p(exp(100)) = inf and exp(100)/(1+exp(100)) = NaN here.
        let p = point_f64(-100.0, 1.0);
        assert_eq!((p.loss as f32, p.slope as f32), (100.0, -1.0));
        let p = point_f64(-1000.0, 1.0);
        assert_eq!(p.loss, 1000.0);
        assert_eq!(p.slope, -1.0);
    }

    #[test]
    fn exp_and_log1p_match_known_values() {
        // exp(-1) = 0.367879441171442321595523770161460867..., whose nearest double is
        // 0.36787944117144233402... : the tail is -1.2428753672788363e-17. The kernel promises
        // about 2^-55 relative, so the tail is right to within 2^-54 of the value.
        let (hi, lo, k) = exp_neg(-1.0, 0.0);
        let (hi, lo) = scaled(hi, lo, k);
        assert_eq!(hi, 0.367_879_441_171_442_33);
        assert!(
            (lo - -1.242_875_367_278_836_3e-17).abs() < 0.37 * 2f64.powi(-54),
            "{lo:e}"
        );
        // log1p(1) = ln 2 = 0.6931471805599453 + 2.3190468138462996e-17.
        let (hi, lo) = log1p_unit(1.0, 0.0);
        assert_eq!(hi, std::f64::consts::LN_2);
        assert!(
            (lo - 2.319_046_813_846_299_6e-17).abs() < 0.7 * 2f64.powi(-54),
            "{lo:e}"
        );
        // exp(-745) is the smallest subnormal, 2^-1074 (exp(-745) = 2^-1074.8, rounds up).
        let (hi, lo, k) = exp_neg(-745.0, 0.0);
        assert_eq!(scaled(hi, lo, k), (f64::from_bits(1), 0.0));
    }

    #[test]
    fn infinite_margins_give_the_limits() {
        for y in [1.0f64, -1.0, 0.5, 3.0] {
            let far = f64::INFINITY.copysign(y);
            // Margin -> -inf: loss 0, slope 0.
            let p = point_f64(far, y);
            assert_eq!((p.loss, p.slope), (0.0, 0.0));
            // Margin -> +inf: loss inf, slope -y.
            let p = point_f64(-far, y);
            assert_eq!((p.loss, p.slope), (f64::INFINITY, -y));
        }
        // Infinite target, finite input: margin -inf gives slope 0, not inf * 0.
        let p = point_f64(2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (0.0, 0.0));
        let p = point_f64(-2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn nan_propagates() {
        for (x, y) in [(f64::NAN, 1.0), (1.0, f64::NAN), (f64::NAN, f64::NAN)] {
            let p = point_f64(x, y);
            assert!(p.loss.is_nan() && p.slope.is_nan());
        }
    }
}
