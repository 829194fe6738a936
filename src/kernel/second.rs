//! The first and second derivatives of the loss with respect to each input, together: what
//! Newton and IRLS solvers for logistic regression and the custom objectives of gradient
//! boosting libraries take.
//!
//! With `m = -y x` and `s(m) = sigmoid(m)`, the gradient is `-y s(m) c` and the second
//! derivative `y^2 s(m) s(-m) c`, `c` the factor (1, or `1 / len` for MEAN).
//!
//! - [`float_data`]: data of 24 bits or fewer (`f32` and the 16-bit types, held in `f32`) in
//!   `f64` lanes, each result with a proven error bound: where the interval of that bound
//!   rounds to one `f32`, that is the correctly rounded value. The element loops send the rest
//!   (a few in a million) and margins beyond [`FLOAT_DATA_LIMIT`] to the exact kernel below.
//! - [`super::second_dd`]: `f64` data in double-double lanes, with the same interval test at
//!   `f64`'s rounding.
//! - [`ExactSecond`]: the double-double kernel (`super::exact`), once for `m` and once for `-m`:
//!   the gradient is `-y s(m) c`, and the larger of the two sigmoids (at least 1/2) enters the
//!   second derivative as a factor, so that nothing underflows or overflows before the result
//!   does, and a tiny second derivative (large `|m|`) is the small number it is, not `0 / 0`.
//!
//! Every path computes the same operations, so the results are bitwise the same on all.

use super::exact::{point, Point};
use super::factor::{canonical_nan, Split};
use super::poly::{estrin, EXP_COEFFS, LN2_HI, LN2_LO};
use super::round::round_to_odd;
use crate::simd::portable::Scalar;
use crate::simd::Vector;

/// Margins beyond this in size go to the exact kernel: there `exp(-|m|) < 2^-432`, and the
/// second derivative (at most `y^2 exp(-|m|)`, `y^2 < 2^256`) is below the smallest `f32`.
pub(crate) const FLOAT_DATA_LIMIT: f64 = 300.0;

/// How far the `f64` results of [`float_data`] may be from the exact values, relative: the
/// analysis in its docs bounds the error by about 2^-47.5; this is eight times that.
const FLOAT_DATA_ERROR: f64 = 1.0 / (1u64 << 44) as f64;

/// The gradient `-y s(m) g / n` and the second derivative `y^2 s(m) s(-m) g / n` of data held
/// in `f32` (exact in `f64` lanes), each as the bounds of an interval that holds the exact
/// value (the result times `1 -+ FLOAT_DATA_ERROR`), and the mask of the lanes whose margin
/// `|m|` is not at most [`FLOAT_DATA_LIMIT`] (NaN included), whose results mean nothing. `g`
/// is 1 for the passes that take this kernel (the product is then exact).
///
/// The error: `m = -y x` and `y^2` are exact. `exp(-|m|) = 2^k exp(r)`: `r` by an exact step
/// with ln 2's high part and one rounding with its low part, so within 2^-53 of `r`;
/// `exp(r) = 1 + r + r^2 p(r)` with the Taylor polynomial to `r^14` (truncation below 2^-60),
/// about three roundings; `2^k` exact. So `e` is within 2^-51, `1 + e` within 2^-50. `1 / (1 + e)`,
/// `e / (1 + e)`, the products and the division by `n` add a rounding each: the gradient is
/// within about 2^-49 and the second derivative within 2^-47.5 of the exact values.
#[inline(always)]
pub(crate) fn float_data<V: Vector>(x: V, y: V, g: f64, n: f64) -> ([V; 2], [V; 2], V::Mask) {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = zero.sub(y);
    let m = neg_y.mul(x);
    let a = zero.sub(m.abs());
    let in_range = a.ge(V::splat(-FLOAT_DATA_LIMIT));
    // Out-of-range lanes (NaN included: max returns its second operand) compute on the limit.
    let a = a.max(V::splat(-FLOAT_DATA_LIMIT));
    let k = a.mul(V::splat(std::f64::consts::LOG2_E)).round();
    let r = k.mul_add(V::splat(-LN2_HI), a);
    let r = k.mul_add(V::splat(-LN2_LO), r);
    let r2 = r.mul(r);
    let p = estrin(r, r2, &EXP_COEFFS);
    let e = r2.mul_add(p, r).add(one).mul(k.exp2_int());
    let inv = one.div(one.add(e));
    // s(-|m|) and s(|m|): the smaller and the larger sigmoid.
    let small = e.mul(inv);
    let s = V::select(m.ge(zero), inv, small);
    let (mut grad, mut second) = (neg_y.mul(s), y.mul(y).mul(small.mul(inv)));
    if g != 1.0 {
        (grad, second) = (grad.mul(V::splat(g)), second.mul(V::splat(g)));
    }
    if n != 1.0 {
        (grad, second) = (grad.div(V::splat(n)), second.div(V::splat(n)));
    }
    // The mask of the lanes in range, inverted by selecting.
    let out = V::select(in_range, zero, one).ge(one);
    (bounds(grad), bounds(second), out)
}

/// `v` times `1 -+ FLOAT_DATA_ERROR`. (A function, not a closure: a closure would not inline
/// into the instruction-set paths' functions.)
#[inline(always)]
fn bounds<V: Vector>(v: V) -> [V; 2] {
    let spread = v.abs().mul(V::splat(FLOAT_DATA_ERROR));
    [v.sub(spread), v.add(spread)]
}

/// One element's derivatives through the double-double kernel: its points at `m` and at `-m`
/// (the margin of `-x`), and the factor.
pub(crate) struct ExactSecond {
    at_m: Point<Scalar>,
    at_minus_m: Point<Scalar>,
    /// Whether `m >= 0`: then `s(m)` is the larger sigmoid.
    larger_at_m: bool,
    finite_inputs: bool,
    factor: Split<Scalar>,
}

impl ExactSecond {
    pub(crate) fn new(x: f64, y: f64, factor: Split<Scalar>) -> Self {
        let (x, y) = (Scalar(x), Scalar(y));
        ExactSecond {
            at_m: point(x, y),
            at_minus_m: point(Scalar(-x.0), y),
            larger_at_m: -y.0 * x.0 >= 0.0,
            finite_inputs: x.0.is_finite() && y.0.is_finite(),
            factor,
        }
    }

    /// The two points: the larger sigmoid's and the smaller one's.
    fn sides(&self) -> (&Point<Scalar>, &Point<Scalar>) {
        if self.larger_at_m {
            (&self.at_m, &self.at_minus_m)
        } else {
            (&self.at_minus_m, &self.at_m)
        }
    }

    /// Both derivatives rounded to `f64`, the second from the rounded product of the larger
    /// sigmoid with `-y c` (the gradient itself where that is `s(m)`): within 2 ulp in `f64`,
    /// and within 1 ulp once rounded again to `f32`.
    pub(crate) fn rounded(&self) -> (f64, f64) {
        let grad = self.at_m.slope.times(self.factor);
        let (larger, smaller) = self.sides();
        let larger_c = if self.larger_at_m {
            grad
        } else {
            larger.slope.times(self.factor)
        };
        let second = smaller.slope.times(Split::of(larger_c));
        (canonical_nan(grad).0, canonical_nan(second).0)
    }

    /// Both derivatives rounded once to `f64`: the second from the unrounded product of the
    /// larger sigmoid with `-y c`. Within 1 ulp (the kernel is good to about 2^-54).
    pub(crate) fn rounded_once(&self) -> (f64, f64) {
        if !(self.finite_inputs && self.factor.hi.0.is_finite()) {
            return self.rounded();
        }
        let grad = self.at_m.slope.times(self.factor);
        let (larger, smaller) = self.sides();
        let second = smaller.slope.times(larger.slope.times_split(self.factor));
        (canonical_nan(grad).0, canonical_nan(second).0)
    }

    /// Both derivatives rounded to odd in `f32` ([`round_to_odd`]): each then rounds once more,
    /// correctly, to a format of fewer bits. Non-finite inputs give their limits, exactly.
    pub(crate) fn odd(&self) -> (f32, f32) {
        if !(self.finite_inputs && self.factor.hi.0.is_finite()) {
            let (g, h) = self.rounded();
            return (g as f32, h as f32);
        }
        let (larger, smaller) = self.sides();
        let grad = self.at_m.slope.times_split(self.factor);
        let larger_c = larger.slope.times_split(self.factor);
        let second = smaller.slope.times_split(larger_c);
        (split_to_odd(grad), split_to_odd(second))
    }
}

/// `(hi + lo) 2^e` rounded to odd in `f32`.
fn split_to_odd(s: Split<Scalar>) -> f32 {
    let scale = |v: Scalar| ldexp(v.0, s.e.0);
    round_to_odd(scale(s.hi), scale(s.lo))
}

/// `v 2^e` for integral `e`, in two exact steps (one rounding at most, where subnormal).
fn ldexp(v: f64, e: f64) -> f64 {
    let pow2 = |k: f64| f64::from_bits(((k as i64 + 1023) as u64) << 52);
    let half = (e / 2.0).trunc().clamp(-1022.0, 1023.0);
    let rest = (e - half).clamp(-1022.0, 1023.0);
    v * pow2(half) * pow2(rest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::mix::Mix;

    /// How many of the elements with margins up to [`FLOAT_DATA_LIMIT`] in size
    /// [`float_data`] leaves to the exact kernel (bounds that round to different `f32`s): the
    /// open results, which must be rare for the kernel to pay.
    #[test]
    fn few_float_data_results_are_left_open() {
        let mut mix = Mix(5);
        let n = 1 << 22;
        let mut open = 0;
        for i in 0..n {
            let x = (mix.next() >> 40) as f32 / (1u64 << 24) as f32 * 600.0 - 300.0;
            let y = [1.0f32, -1.0][i % 2];
            let (g, h, out) = float_data(Scalar(f64::from(x)), Scalar(f64::from(y)), 1.0, 1.0);
            let differ = |b: [Scalar; 2]| b[0].0 as f32 != b[1].0 as f32;
            open += usize::from(out || differ(g) || differ(h));
        }
        println!("{open} of {n} results open (margins uniform in [-300, 300])");
        assert!(open * 100_000 < n, "{open} of {n}");
    }
}
