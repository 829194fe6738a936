//! The first and second derivatives of `f64` data in double-double lanes: the fast kernel of
//! `gradient_hessian` for `f64`, with a proven error bound.
//!
//! [`double_data`] evaluates `-y s(m) c` and `y^2 s(m) s(-m) c` (`s` the sigmoid, `m = -y x`,
//! `c` the factor) to about 2^-68 relative; [`rounding_ends`] rounds both ends of that
//! interval to `f64`, and where they agree that is the correctly rounded value. The element
//! loop sends the rest (405 of 1M elements with margins uniform in [-300, 300]) to the same
//! kernel in its exact variant, to about 2^-96 ([`double_data_exact`]), and the elements out
//! of its range ([`DOUBLE_DATA_LIMIT`]) to [`super::second::ExactSecond`].
//!
//! Every path computes the same operations, so the results are bitwise the same on all.

use super::eft::{dd_mul, dd_mul_f64, fast_two_sum, two_prod, two_sum};
use super::poly::{estrin, INV_FACTORIAL, LN2_HI, LN2_LO, LN2_LO2};
use crate::simd::portable::Scalar;
use crate::simd::{Simd, Vector};

/// Margins beyond this in size, and targets beyond 2^200 or below 2^-200 in size, go to the
/// exact kernel: within them every intermediate value and result of [`double_data`] is a
/// normal number (the second derivative is at least 2^-400 2^-434 2^-64, for a MEAN over
/// fewer than 2^64 elements).
pub(crate) const DOUBLE_DATA_LIMIT: f64 = 300.0;

/// The gradient factors [`double_data`]'s analysis covers (`hi` of `hi + lo`): 1, and `1 / len`
/// for a MEAN over fewer than 2^64 elements. Other factors go to the exact kernel.
pub(crate) const DOUBLE_DATA_FACTORS: std::ops::RangeInclusive<f64> =
    1.0 / (1u128 << 64) as f64..=1.0;

/// The relative error [`double_data`] is held to: its analysis bounds the error by about
/// 2^-68.
pub(crate) const DOUBLE_DATA_ERROR: f64 = 1.0 / (1u128 << 66) as f64;

/// `exp(r)` as a double-double for `|r| <= ln2 / 2` (and a little more): the Taylor
/// polynomial to `r^ALL`, its terms from `r^(DD + 1)` on in `f64` (Estrin's scheme) and the
/// rest in double-double (Horner, with double-double coefficients; the pairs are left
/// unnormalised between steps, `|lo|` within a few ulps of `hi`, which costs nothing in
/// accuracy and shortens the chain of dependent operations).
#[inline(always)]
fn exp_dd<V: Vector, const DD: usize, const ALL: usize>(r: V) -> (V, V) {
    let coeffs: [f64; 18] = std::array::from_fn(|i| {
        INV_FACTORIAL
            .get(DD + 1 + i)
            .filter(|_| DD + 1 + i <= ALL)
            .map_or(0.0, |c| c.0)
    });
    let r2 = r.mul(r);
    let p = estrin(r, r2, &coeffs[..(ALL - DD).clamp(13, 16)]);
    let (mut hi, mut lo) = (p, V::splat(0.0));
    for i in (0..=DD).rev() {
        // c_i + (hi + lo) r, the coefficient the larger (|c_i| > |(hi + lo) r| for these r).
        let (s, s_err) = two_prod(hi, r);
        let (c_hi, c_lo) = INV_FACTORIAL[i];
        let (t, t_err) = fast_two_sum(V::splat(c_hi), s);
        hi = t;
        lo = t_err.add(lo.mul_add(r, s_err).add(V::splat(c_lo)));
    }
    (hi, lo)
}

/// The gradient `-y s(m) c` and the second derivative `y^2 s(m) s(-m) c` of `f64` data as
/// double-doubles `(hi, lo)` (not normalised), `c = c.0 + c.1` the factor, and the mask of
/// the lanes outside the range ([`DOUBLE_DATA_LIMIT`]), whose results mean nothing. With
/// `EXACT`, to about 2^-96 relative (the fallback of the results the other leaves open); else
/// to about 2^-68.
///
/// The error: `m + m_lo = -y x` exactly (FMA). `-|m| = k ln2 + r + r_lo`: `k ln2_hi` and its
/// difference exact, `k ln2_lo` as an exact product pair, `k ln2_lo2` and the low parts added
/// with roundings far below 2^-96 of `r`'s scale; `|r_lo|` below half an ulp of `r`, so
/// `exp(r_lo) = 1 + r_lo` to 2^-110. `exp(r)` by [`exp_dd`]: the `f64` part from `r^6` on is
/// at most 2^-18.6 with a relative error near 2^-52 (and `f64` coefficients 2^-53 off), so
/// 2^-69.3 in all, truncation below 2^-74 at `r^16`; the double-double steps 2^-104 each
/// (the exact variant: `r^12` on in `f64`, 2^-99; to `r^23`). `1 + e`, the two quotients
/// `1 / (1 + e)` and `e / (1 + e)` (a division each and the FMA residuals) and the products
/// with `y c` and `y^2 c` add about 2^-104 each. The sigmoids carry `e`'s error at most once
/// each (`1 + e` only `e / (1 + e)` of it): the gradient is within 2^-68.4 and the second
/// derivative 2^-67.9 of the exact values ([`DOUBLE_DATA_ERROR`] is four times that).
#[inline(always)]
pub(crate) fn double_data<V: Vector, const EXACT: bool>(
    x: V,
    y: V,
    c: (f64, f64),
) -> ([V; 2], [V; 2], V::Mask) {
    let zero = V::splat(0.0);
    let one = V::splat(1.0);
    let neg_y = y.neg();
    let m = neg_y.mul(x);
    let m_lo = neg_y.mul_add(x, m.neg());
    let size = m.abs();
    let y_size = y.abs();
    let limit = V::splat(DOUBLE_DATA_LIMIT);
    let in_range = V::and(
        limit.ge(size),
        V::and(
            y_size.ge(V::splat(2f64.powi(-200))),
            V::splat(2f64.powi(200)).ge(y_size),
        ),
    );
    let positive = m.ge(zero);
    // The factors of the two results, off the chain that waits for exp: -y c and y^2 c.
    let (neg_y_c, y2_c) = if c == (1.0, 0.0) {
        ((neg_y, zero), two_prod(y, y))
    } else {
        let c = (V::splat(c.0), V::splat(c.1));
        (dd_mul_f64(c, neg_y), dd_mul(two_prod(y, y), c))
    };
    // Out-of-range lanes (NaN included: max returns its second operand) compute on the limit.
    let a = size.neg().max(limit.neg());
    let a_lo = V::select(positive, m_lo.neg(), m_lo);
    let k = a.mul(V::splat(std::f64::consts::LOG2_E)).round();
    let r_hi = k.mul_add(V::splat(-LN2_HI), a);
    let (t, t_err) = two_prod(k, V::splat(LN2_LO));
    let (r, r_err) = two_sum(r_hi, t.neg());
    let rest = a_lo.sub(t_err).sub(k.mul(V::splat(LN2_LO2)));
    let (r, r_lo) = two_sum(r, r_err.add(rest));
    let (q_hi, q_lo) = if EXACT {
        exp_dd::<V, 11, 23>(r)
    } else {
        exp_dd::<V, 5, 16>(r)
    };
    // e = exp(r) (1 + r_lo) 2^k, exactly scaled (k >= -433).
    let scale = k.exp2_int();
    let e = (q_hi.mul(scale), q_hi.mul_add(r_lo, q_lo).mul(scale));
    // d = 1 + e; 1 / d and e / d, the larger and the smaller sigmoid, each by a division and
    // its residual (by FMA), side by side.
    let (d, d_err) = fast_two_sum(one, e.0);
    let d_lo = d_err.add(e.1);
    let q = one.div(d);
    let q_small = e.0.div(d);
    let larger = (q, q.mul(q.neg().mul_add(d, one).sub(q.mul(d_lo))));
    let rest = q_small
        .neg()
        .mul_add(d, e.0)
        .add(e.1.sub(q_small.mul(d_lo)));
    let smaller = (q_small, rest.mul(q));
    let s = (
        V::select(positive, larger.0, smaller.0),
        V::select(positive, larger.1, smaller.1),
    );
    let grad = dd_mul(s, neg_y_c);
    let second = dd_mul(dd_mul(smaller, larger), y2_c);
    // The mask of the lanes out of range, by selecting.
    let out = V::select(in_range, zero, one).ge(one);
    ([grad.0, grad.1], [second.0, second.1], out)
}

/// The two ends of the test that settles the rounding of a double-double `v` known to within
/// `error` relative: `v` rounded, from below and from above the interval (with a margin for
/// the test's own roundings). Where both are the same value, every value in the interval
/// rounds to it: it is the correctly rounded value of the exact result. Where they differ,
/// the rounding is open; the lower end is then within an ulp of the exact value.
#[inline(always)]
pub(crate) fn rounding_ends<V: Vector>(v: [V; 2], error: f64) -> [V; 2] {
    let (nearest, rest) = fast_two_sum(v[0], v[1]);
    let margin = nearest.abs().mul(V::splat(2.0 * error));
    [nearest.add(rest.sub(margin)), nearest.add(rest.add(margin))]
}

/// [`double_data`] for one element in its exact variant (to about 2^-96), rounded to `f64`:
/// the correctly rounded values unless one lies within that of a midpoint; `None` outside
/// its range.
pub(crate) fn double_data_exact(x: f64, y: f64, c: (f64, f64)) -> Option<(f64, f64)> {
    let ([g_hi, g_lo], [h_hi, h_lo], out) = double_data::<Scalar, true>(Scalar(x), Scalar(y), c);
    (!out).then(|| (g_hi.add(g_lo).0, h_hi.add(h_lo).0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::mix::Mix;

    /// A double-double number for the reference below: plain error-free arithmetic, written
    /// apart from the kernels'.
    #[derive(Clone, Copy, Debug)]
    struct Dd(f64, f64);

    impl Dd {
        fn norm(hi: f64, lo: f64) -> Dd {
            let s = hi + lo;
            Dd(s, lo - (s - hi))
        }
        fn add(self, o: Dd) -> Dd {
            let s = self.0 + o.0;
            let v = s - self.0;
            let e = (self.0 - (s - v)) + (o.0 - v);
            Dd::norm(s, e + self.1 + o.1)
        }
        fn mul(self, o: Dd) -> Dd {
            let p = self.0 * o.0;
            Dd::norm(p, self.0.mul_add(o.0, -p) + self.0 * o.1 + self.1 * o.0)
        }
        fn div(self, o: Dd) -> Dd {
            // Two Newton steps on the quotient.
            let q1 = self.0 / o.0;
            let r = self.add(o.mul(Dd(-q1, 0.0)));
            let q2 = r.0 / o.0;
            let r = r.add(o.mul(Dd(-q2, 0.0)));
            Dd::norm(q1, 0.0).add(Dd::norm(q2, r.0 / o.0))
        }
        fn scale(self, e: i32) -> Dd {
            let f = 2f64.powi(e);
            Dd(self.0 * f, self.1 * f)
        }
    }

    /// `exp(a)` for a double-double `a <= 0` by scaling and squaring: `exp(r / 2^8)`, `r` the
    /// reduced argument, by its Taylor series, squared eight times (about 2^-95 relative).
    fn reference_exp(a: Dd) -> Dd {
        const LN2: Dd = Dd(std::f64::consts::LN_2, 2.319_046_813_846_299_6e-17);
        let n = (a.0 / LN2.0).round();
        let r = a.add(LN2.mul(Dd(-n, 0.0))).scale(-8);
        let (mut term, mut sum) = (Dd(1.0, 0.0), Dd(1.0, 0.0));
        for k in 1..12 {
            term = term.mul(r).div(Dd(f64::from(k), 0.0));
            sum = sum.add(term);
        }
        for _ in 0..8 {
            sum = sum.mul(sum);
        }
        sum.scale(n as i32)
    }

    /// The reference gradient and second derivative of one `f64` element.
    fn reference(x: f64, y: f64, c: Dd) -> (Dd, Dd) {
        let m = Dd::norm(-y * x, (-y).mul_add(x, y * x));
        let a = if m.0 >= 0.0 { Dd(-m.0, -m.1) } else { m };
        let e = reference_exp(a);
        let d = Dd(1.0, 0.0).add(e);
        let (larger, smaller) = (Dd(1.0, 0.0).div(d), e.div(d));
        let s = if m.0 >= 0.0 { larger } else { smaller };
        let grad = s.mul(Dd(-y, 0.0)).mul(c);
        let second = Dd(y, 0.0).mul(Dd(y, 0.0)).mul(smaller).mul(larger).mul(c);
        (grad, second)
    }

    /// The largest relative errors of [`double_data`] (`EXACT` or not) against the reference,
    /// over margins in range and targets of any size in range, for two factors.
    fn double_data_errors<const EXACT: bool>() -> (f64, f64) {
        let mut mix = Mix(11);
        let unit = |mix: &mut Mix| (mix.next() >> 11) as f64 / (1u64 << 53) as f64;
        let (mut worst_g, mut worst_h) = (0.0f64, 0.0f64);
        for i in 0..200_000 {
            let y = match i % 3 {
                0 => [1.0, -1.0][i % 2],
                1 => (unit(&mut mix) - 0.5) * 8.0,
                _ => 2f64.powf((unit(&mut mix) - 0.5) * 380.0) * [1.0, -1.0][i % 2],
            };
            let m = (unit(&mut mix) - 0.5) * 2.0 * DOUBLE_DATA_LIMIT * [1.0, 0.01][i % 2];
            let x = -m / y;
            for c in [Dd(1.0, 0.0), Dd(1.0, 0.0).div(Dd(3.0, 0.0))] {
                let ([gh, gl], [hh, hl], out) =
                    double_data::<Scalar, EXACT>(Scalar(x), Scalar(y), (c.0, c.1));
                if out {
                    continue;
                }
                let (g, h) = reference(x, y, c);
                let rel = |hi: Scalar, lo: Scalar, want: Dd| {
                    ((hi.0 - want.0) + (lo.0 - want.1)).abs() / want.0.abs()
                };
                worst_g = worst_g.max(rel(gh, gl, g));
                worst_h = worst_h.max(rel(hh, hl, h));
            }
        }
        (worst_g, worst_h)
    }

    /// [`double_data`] keeps the error its analysis claims: the fast variant within a
    /// quarter of [`DOUBLE_DATA_ERROR`], the exact one near the reference's own accuracy.
    #[test]
    fn double_data_is_within_its_bound() {
        let (g, h) = double_data_errors::<false>();
        println!("fast: gradient 2^{:.1}, second 2^{:.1}", g.log2(), h.log2());
        assert!(g.max(h) <= DOUBLE_DATA_ERROR / 4.0, "{g:e} {h:e}");
        let (g, h) = double_data_errors::<true>();
        println!(
            "exact: gradient 2^{:.1}, second 2^{:.1}",
            g.log2(),
            h.log2()
        );
        assert!(g.max(h) <= 2f64.powi(-90), "{g:e} {h:e}");
    }

    /// How many `f64` results [`double_data`] leaves open (ends of [`rounding_ends`] that
    /// differ), margins uniform in [-300, 300] and targets +-1: the elements the element loop
    /// sends to the exact variant, which must be rare for the kernel to pay.
    #[test]
    fn few_double_data_results_are_left_open() {
        let mut mix = Mix(7);
        let n = 1 << 20;
        let mut open = 0;
        for i in 0..n {
            let x = (mix.next() >> 11) as f64 / (1u64 << 53) as f64 * 600.0 - 300.0;
            let y = [1.0f64, -1.0][i % 2];
            let (g, h, out) = double_data::<Scalar, false>(Scalar(x), Scalar(y), (1.0, 0.0));
            let differ = |v: [Scalar; 2]| {
                let [a, b] = rounding_ends(v, DOUBLE_DATA_ERROR);
                a.0 != b.0
            };
            open += usize::from(out || differ(g) || differ(h));
        }
        println!("{open} of {n} results open (margins uniform in [-300, 300])");
        assert!(open * 1000 < n, "{open} of {n}");
    }
}
