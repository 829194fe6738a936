//! The fast kernel for `f32` data, in `f32` lanes: twice the lanes of [`super::wide::any_f32`] per
//! vector, for the inputs that cover nearly all real data.
//!
//! Single-precision arithmetic alone loses too much on the way (the margin `y x`, `1 + e`,
//! `e / (2 + e)` are each rounded), so the values that decide the result are carried as unevaluated
//! sums `hi + lo` of two `f32`s: the margin exactly (by FMA), `e = exp(-|m|)` to about 2^-28, the
//! `log1p` argument and the sigmoid with their division remainders (by FMA), and the loss up to
//! its last addition. Every result is one rounding of a value within about 2^-27 relative of the
//! exact one.
//!
//! The kernel covers the lanes where all of that stays in the normal range: margins with
//! `|y x| <= 64` (`e >= 2^-93`) and, for gradients, targets with `|y| >= 2^-8` (and, for per-element
//! factors, factors of normal size). It reports the lanes outside in a mask; the caller computes
//! those with [`super::wide::any_f32`], which handles every input.

use super::poly::{estrin5, ATANH_F32, EXP_F32};
use crate::simd::VectorF32;

/// Margins up to this size are in the kernel's range.
pub(crate) const MAX_MARGIN: f32 = 64.0;

/// Targets at least this large (in size) are in the kernel's range for gradients.
pub(crate) const MIN_TARGET: f32 = 1.0 / 256.0;

/// `ln 2` rounded to `f32`, and the rest.
const LN2_HI: f32 = std::f32::consts::LN_2;
const LN2_LO: f32 = (std::f64::consts::LN_2 - LN2_HI as f64) as f32;

/// The `f32` value `1.5 * 2^23 + 127`: adding it to a value below 2^22 in size rounds that to
/// an integer `k` (ties to even) and leaves `k + 127` in the low bits, which shifted into the
/// exponent field give `2^k`.
const ROUNDER: f32 = 12_582_912.0 + 127.0;

/// What the kernel computes for a vector of elements: `loss_*` only with `LOSS` and in the
/// lanes of `ok`, `slope_*` only with `GRAD` and in the lanes of `ok_grad`. The losses do not
/// depend on `GRAD`, so a fused pass gives the same bits as a forward pass.
pub(crate) struct Single<V: VectorF32> {
    /// The loss is `loss_hi + loss_lo`.
    pub loss_hi: V,
    pub loss_lo: V,
    /// The slope `-y sigmoid(-y x)` (the gradient before its factor) is `slope_hi + slope_lo`.
    pub slope_hi: V,
    pub slope_lo: V,
    /// The lanes whose loss the kernel covers.
    pub ok: V::Mask,
    /// The lanes whose slope the kernel covers (some of `ok`).
    pub ok_grad: V::Mask,
}

/// `(a + b, error)` exactly when `|a| >= |b|` or `a` is 0 (Dekker's Fast2Sum).
#[inline(always)]
fn fast_two_sum<V: VectorF32>(a: V, b: V) -> (V, V) {
    let s = a.add(b);
    (s, b.sub(s.sub(a)))
}

/// The loss `log(1 + exp(-y x))` and the slope `-y sigmoid(-y x)` of `f32` inputs, as
/// described in the module documentation.
#[inline(always)]
pub(crate) fn fast_f32<V: VectorF32, const LOSS: bool, const GRAD: bool>(x: V, y: V) -> Single<V> {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = y.neg();
    // m + m_lo = -y x exactly (the kernel's range is far from underflow where it matters).
    let m = neg_y.mul(x);
    let m_lo = neg_y.mul_add(x, m.neg());
    let ok = m.abs().le(V::splat(MAX_MARGIN));
    let ok_grad = V::and(ok, y.abs().ge(V::splat(MIN_TARGET)));
    // e = exp(a + a_lo) with a + a_lo = -|m + m_lo|.
    let a = m.abs().neg();
    let a_lo = m_lo.flip_sign_by(m.neg());
    let biased = a.mul_add(V::splat(std::f32::consts::LOG2_E), V::splat(ROUNDER));
    let k = biased.sub(V::splat(ROUNDER));
    // Exact: |k| <= 93 and the result is a multiple of ulp(a) or 2^-25 below 1/2.
    let r = k.mul_add(V::splat(-LN2_HI), a);
    let r_lo = k.mul_add(V::splat(-LN2_LO), a_lo);
    let r2 = r.mul(r);
    let p = estrin5(r, r2, &EXP_F32);
    // exp(r + r_lo) = exp(r) (1 + r_lo) to far below 2^-24, with exp(r) = 1 + r + r^2 p(r)
    // taken as fl(1 + r) + rest: everything but fl(1 + r) goes into t, then renormalised so
    // that e_lo is below half an ulp of e_hi.
    let one_r = one.add(r);
    let rest = r2.mul_add(p, r.sub(one_r.sub(one)));
    let t = r_lo.mul_add(one_r, rest.mul_add(r_lo, rest));
    let (e_hi, e_lo) = fast_two_sum(one_r, t);
    let scale = biased.exp2_biased();
    let (e_hi, e_lo) = (e_hi.mul(scale), e_lo.mul(scale));

    let two = V::splat(2.0);
    let d2 = two.add(e_hi);
    let d1 = one.add(e_hi);

    let mut loss_hi = zero;
    let mut loss_lo = zero;
    if LOSS {
        // w = e / (2 + e) as w_hi + w_lo: the remainder of the first quotient, by FMA.
        let inv2 = one.div(d2);
        let d2_lo = e_hi.sub(d2.sub(two)).add(e_lo);
        let w_hi = e_hi.mul(inv2);
        let rem = w_hi.neg().mul_add(d2, e_hi).add(e_lo);
        let w_lo = w_hi.neg().mul_add(d2_lo, rem).mul(inv2);
        // log1p(e) = 2 w + 2 w^3 t(w^2) at w = w_hi; the second term is below 1/27 of the
        // first.
        let w2 = w_hi.mul(w_hi);
        let t = estrin5(w2, w2.mul(w2), &ATANH_F32);
        let two_w = w_hi.add(w_hi);
        // With w = w_hi + w_lo, the low part enters through the derivative 2 / (1 - w^2),
        // taken as 2 (1 + w^2): the rest is below w^4 w_lo.
        let two_w_lo = w_lo.add(w_lo);
        let tail = two_w.mul(w2).mul_add(t, two_w_lo.mul_add(w2, two_w_lo));
        // loss = max(m, 0) + log1p(e), with m's own low part where m > 0.
        // Both terms are >= 0, so ordered by size their sum's error is exact (Fast2Sum).
        let positive = m.ge(zero);
        let m_plus = m.max(zero);
        let (s, err) = fast_two_sum(m_plus.max(two_w), m_plus.min(two_w));
        loss_hi = s;
        loss_lo = err.add(V::select(positive, m_lo, zero)).add(tail);
    }

    let mut slope_hi = zero;
    let mut slope_lo = zero;
    if GRAD {
        // sigmoid(m) = n / (1 + e), n = 1 for m >= 0 and e below; remainder by FMA.
        let inv1 = one.div(d1);
        let d1_lo = e_hi.sub(d1.sub(one)).add(e_lo);
        let positive = m.ge(zero);
        let n_hi = V::select(positive, one, e_hi);
        let n_lo = V::select(positive, zero, e_lo);
        let s_hi = n_hi.mul(inv1);
        let rem = s_hi.neg().mul_add(d1, n_hi).add(n_lo);
        let s_lo = s_hi.neg().mul_add(d1_lo, rem).mul(inv1);
        // -y s exactly enough: the product's rounding error by FMA.
        slope_hi = neg_y.mul(s_hi);
        slope_lo = neg_y.mul_add(s_lo, neg_y.mul_add(s_hi, slope_hi.neg()));
    }
    Single {
        loss_hi,
        loss_lo,
        slope_hi,
        slope_lo,
        ok,
        ok_grad,
    }
}

/// Gradient factors up to this size are in the kernel's range.
///
/// The slope's low part is below 2^-23 of the slope, which is at most `|y|`: with a factor up to
/// 2^20 in size, the small products of [`times`] stay below the largest `f32`. Beyond that they
/// could overflow, with either sign, where the gradient is an infinity of the other.
pub(crate) const MAX_FACTOR: f32 = 1_048_576.0;

/// `(hi + lo) (c_hi + c_lo)` with one final rounding, for `c_hi` up to [`MAX_FACTOR`] in size.
#[inline(always)]
pub(crate) fn times<V: VectorF32>(hi: V, lo: V, c_hi: V, c_lo: V) -> V {
    hi.mul_add(c_hi, hi.mul_add(c_lo, lo.mul(c_hi)))
}

#[cfg(test)]
mod tests {
    use rayon::prelude::*;

    /// `|got - want|` in units of the last place of `f32` at `want`.
    fn ulps(got: f32, want: f64) -> f64 {
        if got.is_nan() || want.is_nan() {
            return if got.is_nan() && want.is_nan() {
                0.0
            } else {
                f64::INFINITY
            };
        }
        if want.is_infinite() || got.is_infinite() {
            return if f64::from(got) == want {
                0.0
            } else {
                f64::INFINITY
            };
        }
        let exponent = if want == 0.0 {
            -126
        } else {
            (((want.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-126)
        };
        (f64::from(got) - want).abs() / 2f64.powi(exponent - 23)
    }

    /// The worst errors `[(loss ulp, x), (gradient ulp, x)]` of the library's `f32` loss and
    /// gradient at the inputs with bit patterns `start + i * stride` (`i < count`) and target
    /// `y`, against its `f64` results on the same inputs (double-double arithmetic, within
    /// about 2^-52 relative; `tests/accuracy.rs` checks them against an independent reference).
    fn worst(y: f32, start: u64, stride: u64, count: u64) -> [(f64, f32); 2] {
        const BLOCK: u64 = 1 << 14;
        (0..count.div_ceil(BLOCK))
            .into_par_iter()
            .map(|b| {
                let x: Vec<f32> = (b * BLOCK..((b + 1) * BLOCK).min(count))
                    .map(|i| f32::from_bits((start + i * stride) as u32))
                    .collect();
                let n = x.len();
                let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
                let (y32, y64) = (vec![y; n], vec![f64::from(y); n]);
                let (ones32, ones64) = (vec![1.0f32; n], vec![1.0f64; n]);
                let (mut loss, mut grad) = (vec![0.0f32; n], vec![0.0f32; n]);
                let (mut loss64, mut grad64) = (vec![0.0f64; n], vec![0.0f64; n]);
                crate::forward_none(x[..].into(), y32[..].into(), &mut loss).unwrap();
                crate::backward_none(ones32[..].into(), x[..].into(), y32[..].into(), &mut grad)
                    .unwrap();
                crate::forward_none(wide[..].into(), y64[..].into(), &mut loss64).unwrap();
                crate::backward_none(
                    ones64[..].into(),
                    wide[..].into(),
                    y64[..].into(),
                    &mut grad64,
                )
                .unwrap();
                let mut worst = [(0.0f64, 0.0f32); 2];
                for i in 0..n {
                    let errors = [ulps(loss[i], loss64[i]), ulps(grad[i], grad64[i])];
                    for (w, e) in worst.iter_mut().zip(errors) {
                        if e > w.0 {
                            *w = (e, x[i]);
                        }
                    }
                }
                worst
            })
            .reduce(
                || [(0.0, 0.0); 2],
                |a, b| std::array::from_fn(|k| if b[k].0 > a[k].0 { b[k] } else { a[k] }),
            )
    }

    fn check(y: f32, start: u64, stride: u64, count: u64) {
        let [(loss, lx), (grad, gx)] = worst(y, start, stride, count);
        println!(
            "y = {y}, {count} inputs: loss max {loss:.3} ulp (x = {lx:e}), \
             gradient max {grad:.3} ulp (x = {gx:e})"
        );
        assert!(loss <= 2.0 && grad <= 2.0);
    }

    /// One `f32` input in 4099 (over a million, every exponent), targets +1 and -1.
    #[test]
    fn sampled_f32_inputs_with_unit_targets() {
        for y in [1.0, -1.0] {
            check(y, 1234, 4099, (1 << 32) / 4099);
        }
    }

    /// Every `f32` input, targets +1 and -1: about a minute in release on two cores,
    /// `cargo test --release --lib -- --ignored every_f32_input --nocapture`.
    #[test]
    #[ignore]
    fn every_f32_input_with_unit_targets() {
        for y in [1.0, -1.0] {
            check(y, 0, 1, 1 << 32);
        }
    }
}
