//! The first and second derivatives of the loss with respect to each input, in one pass: what
//! Newton and IRLS solvers for logistic regression and the custom objectives of gradient
//! boosting libraries take.
//!
//! With `m = -y x` and `s(m) = sigmoid(m)`, the gradient is `-y s(m)` and the second derivative
//! `y^2 s(m) s(-m)`.
//!
//! - `f32` data: in `f64` lanes ([`fast_lanes`]), each result with an error bound; where the
//!   interval of that bound rounds to one `f32`, that is the correctly rounded value. The rest
//!   (a few in a million) and margins beyond [`FAST_LIMIT`] go to the exact kernel below.
//! - Every other type, and those elements: the double-double kernel (`kernel::exact_point`),
//!   once for `m` and once for `-m`. The gradient is `-y s(m) c` rounded once (`c` the
//!   reduction's factor). For the second derivative, the larger of the two sigmoids (at least
//!   1/2) enters as a factor, `-y s c` rounded once, and the smaller one's slope is multiplied
//!   by it with the kernel's exact scaling and one more rounding: so nothing underflows or
//!   overflows before the result does, and a tiny second derivative (large `|m|`) is the small
//!   number it is, not `0 / 0`.
//!
//! Every path computes the same operations, so the results are bitwise the same on all and for
//! any thread count.

use crate::float::Float;
use crate::half::{flagged, PIECE};
use crate::kernel::poly::{estrin, EXP_COEFFS, LN2_HI, LN2_LO};
use crate::kernel::{canonical_nan, dispatch, exact_point, Factor, OnPath, Path};
use crate::ops::{common_len, Error, Reduced};
use crate::parallel::{self, Task};
use crate::pass::Operand;
use crate::simd::portable::Scalar;
use crate::simd::Vector;
use crate::sum::LANES;

/// Writes `grad[i] = c (-y sigmoid(m))` and `hessian[i] = c y^2 sigmoid(m) sigmoid(-m)`, with
/// `m = -target[i] input[i]`: the first and second derivatives, with respect to `input[i]`, of
/// the losses reduced by `reduction` (`None`: each element's own loss, `c = 1`; `Sum`: `c = 1`;
/// `Mean`: `c = 1 / len`).
pub fn gradient_hessian<T: Float>(
    input: &[T],
    target: &[T],
    reduction: Option<Reduced>,
    grad: &mut [T],
    hessian: &mut [T],
) -> Result<(), Error> {
    let len = common_len(
        &[Operand::Slice(input), Operand::Slice(target)],
        &[Some(grad.len()), Some(hessian.len())],
    )?;
    let mean_len = (reduction == Some(Reduced::Mean)).then_some(len as f64);
    parallel::run(Derivatives {
        x: input,
        y: target,
        grad,
        hessian,
        mean_len,
    });
    Ok(())
}

struct Derivatives<'a, T> {
    x: &'a [T],
    y: &'a [T],
    grad: &'a mut [T],
    hessian: &'a mut [T],
    /// The element count for MEAN, by which the derivatives are divided.
    mean_len: Option<f64>,
}

impl<T: Float> Task for Derivatives<'_, T> {
    type Out = ();

    fn len(&self) -> usize {
        self.x.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (xa, xb) = self.x.split_at(mid);
        let (ya, yb) = self.y.split_at(mid);
        let (ga, gb) = self.grad.split_at_mut(mid);
        let (ha, hb) = self.hessian.split_at_mut(mid);
        (
            Derivatives {
                x: xa,
                y: ya,
                grad: ga,
                hessian: ha,
                mean_len: self.mean_len,
            },
            Derivatives {
                x: xb,
                y: yb,
                grad: gb,
                hessian: hb,
                mean_len: self.mean_len,
            },
        )
    }

    fn leaf(self) {
        T::derivatives(self.x, self.y, self.grad, self.hessian, self.mean_len);
    }

    fn merge(_: (), _: ()) {}
}

/// Element `i`'s derivatives from the double-double kernel, rounded once each.
fn exact_one<T: Float>(x: T, y: T, factor: Factor<Scalar>) -> (T, T) {
    let (x, y) = (x.widen(), y.widen());
    // The margin of -x is -m.
    let (at_m, at_minus_m) = (exact_point(x, y), exact_point(-x, y));
    let g = at_m.slope.times(factor);
    // The larger sigmoid's slope times c: the gradient itself where that is s(m).
    let (big_c, small) = if -y * x >= 0.0 {
        (g, at_minus_m)
    } else {
        (at_minus_m.slope.times(factor), at_m)
    };
    let h = small.slope.times(Factor::of(big_c));
    (T::narrow(canonical_nan(g).0), T::narrow(canonical_nan(h).0))
}

/// The derivatives' factor: `1 / len` for MEAN, else 1.
fn factor(mean_len: Option<f64>) -> Factor<Scalar> {
    match mean_len {
        Some(len) => Factor::quotient(1.0, len),
        None => Factor::of(Scalar(1.0)),
    }
}

/// Every element through the double-double kernel: the leaf for `f64` and the half types.
pub(crate) fn exact_leaf<T: Float>(
    x: &[T],
    y: &[T],
    grad: &mut [T],
    hessian: &mut [T],
    mean_len: Option<f64>,
) {
    let factor = factor(mean_len);
    for i in 0..x.len() {
        (grad[i], hessian[i]) = exact_one(x[i], y[i], factor);
    }
}

/// The leaf for `f32`: each piece through the `f64`-lane kernel ([`fast_lanes`]), then the
/// elements it flags computed again by [`exact_one`]. Both give the correctly rounded values.
pub(crate) fn fast_leaf_f32(
    x: &[f32],
    y: &[f32],
    grad: &mut [f32],
    hessian: &mut [f32],
    mean_len: Option<f64>,
) {
    let factor = factor(mean_len);
    let mut start = 0;
    while start < x.len() {
        let n = PIECE.min(x.len() - start);
        let range = start..start + n;
        let mut flags = [0u8; PIECE];
        dispatch(FastPiece {
            x: &x[range.clone()],
            y: &y[range.clone()],
            grad: &mut grad[range.clone()],
            hessian: &mut hessian[range],
            divisor: mean_len,
            flags: &mut flags[..n],
        });
        for i in flagged(flags, n) {
            let j = start + i;
            (grad[j], hessian[j]) = exact_one(x[j], y[j], factor);
        }
        start += n;
    }
}

/// Margins beyond this in size go to the exact kernel: there `exp(-|m|) < 2^-432`, and the
/// second derivative (at most `y^2 exp(-|m|)`, `y^2 < 2^256`) is below the smallest `f32`.
const FAST_LIMIT: f64 = 300.0;

/// How far the `f64` results of [`fast_lanes`] may be from the exact values, relative: the
/// analysis in its docs bounds the error by about 2^-47.5; this is eight times that.
const FAST_ERROR: f64 = 1.0 / (1u64 << 44) as f64;

/// A piece of `f32` elements through [`fast_lanes`]: writes each result's rounding where the
/// whole interval of its error bound rounds to the same `f32` (then that is the correctly
/// rounded value), and flags the elements where it does not or whose margin is out of range.
struct FastPiece<'a> {
    x: &'a [f32],
    y: &'a [f32],
    grad: &'a mut [f32],
    hessian: &'a mut [f32],
    /// `len` for MEAN.
    divisor: Option<f64>,
    flags: &'a mut [u8],
}

impl OnPath for FastPiece<'_> {
    type Out = ();
    #[inline(always)]
    fn on<P: Path>(self) {
        let n = self.x.len();
        let mut g_hi = [0.0f32; PIECE];
        let mut h_hi = [0.0f32; PIECE];
        let full = n / LANES * LANES;
        for i in (0..full).step_by(LANES) {
            let out = [
                &mut self.grad[i..],
                &mut g_hi[i..],
                &mut self.hessian[i..],
                &mut h_hi[i..],
            ];
            let bits = group::<P::F64>(&self.x[i..], &self.y[i..], self.divisor, out);
            set_flags(&mut self.flags[i..i + LANES], bits);
        }
        if full < n {
            // The last group of fewer than LANES elements, padded (input 0, target 1).
            let k = n - full;
            let (mut xs, mut ys) = ([0.0f32; LANES], [1.0f32; LANES]);
            xs[..k].copy_from_slice(&self.x[full..]);
            ys[..k].copy_from_slice(&self.y[full..]);
            let mut padded = [[0.0f32; LANES]; 4];
            let [a, b, c, d] = &mut padded;
            let bits = group::<P::F64>(&xs, &ys, self.divisor, [a, b, c, d]);
            let out = [
                &mut self.grad[full..],
                &mut g_hi[full..n],
                &mut self.hessian[full..],
                &mut h_hi[full..n],
            ];
            for (dst, src) in out.into_iter().zip(&padded) {
                dst.copy_from_slice(&src[..k]);
            }
            set_flags(&mut self.flags[full..], bits);
        }
        for j in 0..n {
            let differ = (self.grad[j].to_bits() != g_hi[j].to_bits())
                | (self.hessian[j].to_bits() != h_hi[j].to_bits());
            self.flags[j] |= u8::from(differ);
        }
    }
}

/// One group of [`LANES`] elements (`x`, `y`) through [`fast_lanes`]: the gradient's bounds into
/// `out[0]` and `out[1]`, the second derivative's into `out[2]` and `out[3]` (their first
/// [`LANES`] elements each); returns the out-of-range lanes as bits.
#[inline(always)]
fn group<V: Vector>(x: &[f32], y: &[f32], divisor: Option<f64>, out: [&mut [f32]; 4]) -> u32 {
    let (x, y) = (V::load_f32(x), V::load_f32(y));
    let ([g_lo, g_up], [h_lo, h_up], out_of_range) = fast_lanes(x, y, divisor.map(V::splat));
    let [a, b, c, d] = out;
    g_lo.store_f32(a);
    g_up.store_f32(b);
    h_lo.store_f32(c);
    h_up.store_f32(d);
    V::bits(out_of_range)
}

/// Flag `j` set to bit `j` of `bits`.
#[inline(always)]
fn set_flags(flags: &mut [u8], bits: u32) {
    for (j, flag) in flags.iter_mut().enumerate() {
        *flag = ((bits >> j) & 1) as u8;
    }
}

/// The gradient `-y s(m) / divisor` and the second derivative `y^2 s(m) s(-m) / divisor` of
/// `f32` data in `f64` lanes, each as the bounds of an interval that holds the exact value
/// (the result times `1 -+ FAST_ERROR`), and the mask of the lanes whose margin `|m|` is not at
/// most [`FAST_LIMIT`] (NaN included), whose results mean nothing.
///
/// The error: `m = -y x` and `y^2` are exact. `exp(-|m|) = 2^k exp(r)`: `r` by an exact step
/// with ln 2's high part and one rounding with its low part, so within 2^-53 of `r`;
/// `exp(r) = 1 + r + r^2 p(r)` with the Taylor polynomial to `r^14` (truncation below 2^-60),
/// about three roundings; `2^k` exact. So `e` is within 2^-51, `1 + e` within 2^-50. `1 / (1 + e)`,
/// `e / (1 + e)`, the products and the division by `divisor` add a rounding each: the gradient
/// is within about 2^-49 and the second derivative within 2^-47.5 of the exact values.
#[inline(always)]
fn fast_lanes<V: Vector>(x: V, y: V, divisor: Option<V>) -> ([V; 2], [V; 2], V::Mask) {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = zero.sub(y);
    let m = neg_y.mul(x);
    let a = zero.sub(m.abs());
    let in_range = a.ge(V::splat(-FAST_LIMIT));
    // Out-of-range lanes (NaN included: max returns its second operand) compute on the limit.
    let a = a.max(V::splat(-FAST_LIMIT));
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
    let (mut g, mut h) = (neg_y.mul(s), y.mul(y).mul(small.mul(inv)));
    if let Some(d) = divisor {
        (g, h) = (g.div(d), h.div(d));
    }
    // The mask of the lanes in range, inverted by selecting.
    let out = V::select(in_range, zero, one).ge(one);
    (bounds(g), bounds(h), out)
}

/// `v` times `1 -+ FAST_ERROR`. (A function, not a closure: a closure would not inline into
/// the instruction-set paths' functions.)
#[inline(always)]
fn bounds<V: Vector>(v: V) -> [V; 2] {
    let spread = v.abs().mul(V::splat(FAST_ERROR));
    [v.sub(spread), v.add(spread)]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small generator (SplitMix64), so that the test needs no crate.
    struct Mix(u64);

    impl Mix {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
        /// An `f32` of any finite bit pattern, or of a margin-sized value.
        fn float(&mut self) -> f32 {
            let bits = self.next();
            let v = if bits & 1 == 0 {
                f32::from_bits((bits >> 32) as u32)
            } else {
                ((bits >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 200.0
            };
            if v.is_finite() {
                v
            } else {
                1.5
            }
        }
    }

    /// How many of the elements with margins up to [`FAST_LIMIT`] in size the fast kernel
    /// leaves to the exact one: the open results, which must be rare for the kernel to pay.
    #[test]
    fn few_results_are_left_open() {
        let mut mix = Mix(5);
        let n = 1 << 22;
        let x: Vec<f32> = (0..n)
            .map(|_| (mix.next() >> 40) as f32 / (1u64 << 24) as f32 * 600.0 - 300.0)
            .collect();
        let y: Vec<f32> = (0..n).map(|i| [1.0, -1.0][i % 2]).collect();
        let (mut g, mut h) = (vec![0.0f32; n], vec![0.0f32; n]);
        let mut open = 0;
        for start in (0..n).step_by(PIECE) {
            let range = start..start + PIECE;
            let mut flags = [0u8; PIECE];
            dispatch(FastPiece {
                x: &x[range.clone()],
                y: &y[range.clone()],
                grad: &mut g[range.clone()],
                hessian: &mut h[range],
                divisor: None,
                flags: &mut flags,
            });
            open += flagged(flags, PIECE).count();
        }
        println!("{open} of {n} results open (margins uniform in [-300, 300])");
        assert!(open * 100_000 < n, "{open} of {n}");
    }

    /// The fast `f32` leaf writes bitwise what the double-double one writes (the correctly
    /// rounded values), for any finite inputs, unit targets and both factors; and it sends only
    /// a small share of the elements to the exact kernel.
    #[test]
    fn the_fast_f32_leaf_is_the_exact_one() {
        let n = 1 << 18;
        let mut mix = Mix(3);
        let x: Vec<f32> = (0..n).map(|_| mix.float()).collect();
        let y: Vec<f32> = (0..n)
            .map(|i| {
                if i % 2 == 0 {
                    mix.float()
                } else {
                    [1.0, -1.0][i / 2 % 2]
                }
            })
            .collect();
        for mean_len in [None, Some(n as f64), Some(3.0)] {
            let (mut g_fast, mut h_fast) = (vec![0.0f32; n], vec![0.0f32; n]);
            let (mut g_exact, mut h_exact) = (vec![0.0f32; n], vec![0.0f32; n]);
            fast_leaf_f32(&x, &y, &mut g_fast, &mut h_fast, mean_len);
            exact_leaf(&x, &y, &mut g_exact, &mut h_exact, mean_len);
            for i in 0..n {
                assert_eq!(
                    (g_fast[i].to_bits(), h_fast[i].to_bits()),
                    (g_exact[i].to_bits(), h_exact[i].to_bits()),
                    "x = {:e}, y = {:e}, {mean_len:?}",
                    x[i],
                    y[i]
                );
            }
        }
    }
}
