//! The precise kernel: one element's loss and gradient of `f32` data to about 2^-100 relative,
//! in scalar double-double, each rounded once to `f32` ([`nearest_f32`]). The bounded kernel
//! ([`super::bounded`]) leaves it the results whose rounding its error bound cannot decide,
//! about one in four million: their exact values lie within 2^-46 (relative) of a midpoint of two
//! `f32`s, and this kernel decides every one whose exact value is not within about 2^-100 of
//! one. (No loss or gradient of finite data other than a zero margin is a midpoint: they are
//! transcendental. With targets +1 and -1, the exhaustive test checks every `f32` input
//! against an independent reference.)
//!
//! It is slow (about a microsecond) and plain: series summed to far below its precision, with
//! no table and no fitted polynomial. For finite targets and factors; the element loops give
//! the others (whose results are limits or NaN) to the exact kernel.

use super::eft::{fast_two_sum, two_prod, two_sum};
use super::factor::Split;
use super::round::nearest_f32;
use crate::simd::portable::Scalar;
use crate::simd::Vector;

/// An unevaluated sum `hi + lo`, `|lo|` at most half an ulp of `hi`.
#[derive(Clone, Copy, Debug)]
struct Dd {
    hi: f64,
    lo: f64,
}

impl Dd {
    const ONE: Dd = Dd { hi: 1.0, lo: 0.0 };

    fn of(v: f64) -> Dd {
        Dd { hi: v, lo: 0.0 }
    }

    fn norm(hi: f64, lo: f64) -> Dd {
        let (hi, lo) = fast_two_sum(Scalar(hi), Scalar(lo));
        Dd { hi: hi.0, lo: lo.0 }
    }

    /// The exact product of two doubles.
    fn prod(a: f64, b: f64) -> Dd {
        let (p, e) = two_prod(Scalar(a), Scalar(b));
        Dd { hi: p.0, lo: e.0 }
    }

    fn add(self, o: Dd) -> Dd {
        let (s, e) = two_sum(Scalar(self.hi), Scalar(o.hi));
        let (t, f) = two_sum(Scalar(self.lo), Scalar(o.lo));
        let r = Dd::norm(s.0, e.0 + t.0);
        Dd::norm(r.hi, r.lo + f.0)
    }

    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    fn mul(self, o: Dd) -> Dd {
        let p = Dd::prod(self.hi, o.hi);
        Dd::norm(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    fn div(self, o: Dd) -> Dd {
        let q = self.hi / o.hi;
        let r = self.add(o.mul(Dd::of(q)).neg());
        let q2 = r.hi / o.hi;
        let r2 = r.add(o.mul(Dd::of(q2)).neg());
        let s = Dd::norm(q, q2);
        Dd::norm(s.hi, s.lo + r2.hi / o.hi)
    }

    /// `self * 2^k` for `k` that keeps both parts normal.
    fn scale(self, k: i32) -> Dd {
        let p = Scalar(f64::from(k)).exp2_int().0;
        Dd {
            hi: self.hi * p,
            lo: self.lo * p,
        }
    }
}

/// ln 2 as three doubles (about 160 bits).
const LN2: [f64; 3] = [
    std::f64::consts::LN_2,
    2.319_046_813_846_299_6e-17,
    5.707_708_438_416_212e-34,
];

/// Margins beyond this in size leave `exp(-|m|)` below 2^-1009: it is taken as at that
/// margin, where it is still a normal `f64`, and only its sign shows in the results.
const FAR: f64 = 700.0;

/// `exp(a)` for `-FAR <= a <= 0`, as `v 2^k` with `v` in about [0.7, 1.42].
fn exp_scaled(a: f64) -> (Dd, i32) {
    let k = (a / LN2[0]).round();
    let r = Dd::of(a)
        .add(Dd::prod(k, LN2[0]).neg())
        .add(Dd::prod(k, LN2[1]).neg())
        .add(Dd::of(-k * LN2[2]));
    // exp(r) = 1 + r (1 + r/2 (1 + r/3 (...))), |r| <= 0.35: 24 terms leave under 2^-110.
    let mut p = Dd::ONE;
    for i in (1..=24).rev() {
        p = Dd::ONE.add(p.mul(r).div(Dd::of(f64::from(i))));
    }
    (p, k as i32)
}

/// `log1p(e)` for `e = v 2^k` in `(0, 1]`, as `w 2^j`.
fn log1p_scaled(v: Dd, k: i32) -> (Dd, i32) {
    if k < -60 {
        // log1p(e) = e (1 - e/2) to below 2^-118.
        let half_e = v.scale(k - 1);
        return (v.mul(Dd::ONE.add(half_e.neg())), k);
    }
    let e = v.scale(k);
    // log1p(e) = 2 atanh(u) = 2u (1 + u^2/3 + u^4/5 + ...), u = e / (2 + e) <= 1/3.
    let u = e.div(Dd::of(2.0).add(e));
    let u2 = u.mul(u);
    let mut s = Dd::ONE.div(Dd::of(73.0));
    for j in (0..36).rev() {
        s = Dd::ONE.div(Dd::of(f64::from(2 * j + 1))).add(s.mul(u2));
    }
    (u.mul(s).scale(1), 0)
}

/// `v 2^k` rounded once to `f32` (with `nudge`'s sign standing for a part too small to hold
/// where `v` is exact): a zero of `v`'s sign below 2^-200, far below half the smallest `f32`.
fn round_scaled(v: Dd, k: i32, nudge: f64) -> f32 {
    if v.hi == 0.0 || v.hi.abs().log2() + f64::from(k) < -200.0 {
        return (0.0f32).copysign(v.hi as f32);
    }
    let v = v.scale(k);
    nearest_f32(v.hi, if v.lo == 0.0 { nudge } else { v.lo })
}

/// The smallest positive `f64`: a nudge, whose sign alone counts.
const TINY: f64 = f64::from_bits(1);

/// The loss `log(1 + exp(-y x))` of finite `f32` data, correctly rounded to `f32`.
pub(crate) fn loss(x: f64, y: f64) -> f32 {
    // Exact: a product of two 24-bit significands.
    let m = -y * x;
    if !m.is_finite() {
        // The limits: +inf and 0 (NaN stays NaN).
        return if m.is_nan() {
            f32::NAN
        } else {
            m.max(0.0) as f32
        };
    }
    let (e, k) = exp_scaled(-m.abs().min(FAR));
    let (l, j) = log1p_scaled(e, k);
    if m <= 0.0 {
        return round_scaled(l, j, TINY);
    }
    // m + log1p(e); beyond FAR, log1p(e) < 2^-1009 shows only as a nudge upward.
    let sum = if m > FAR {
        Dd::of(m)
    } else {
        Dd::of(m).add(l.scale(j))
    };
    round_scaled(sum, 0, TINY)
}

/// The gradient `-y sigmoid(-y x) f` of finite `f32` data for a finite factor `f`, correctly
/// rounded to `f32`.
pub(crate) fn grad(x: f64, y: f64, f: Split<Scalar>) -> f32 {
    let m = -y * x;
    let c = Dd::norm(f.hi.0, f.lo.0);
    if !m.is_finite() {
        // The limits of an infinite input: -y f for a sigmoid of 1, a zero of that sign for 0.
        let v = c.mul(Dd::of(-y));
        return match m {
            f64::INFINITY => round_scaled(v, f.e.0 as i32, 0.0),
            f64::NEG_INFINITY => (0.0f32).copysign(v.hi as f32),
            _ => f32::NAN,
        };
    }
    let (e, k) = exp_scaled(-m.abs().min(FAR));
    let e_value = if k < -900 { Dd::of(0.0) } else { e.scale(k) };
    let d = Dd::ONE.add(e_value);
    // sigmoid(m): 1 / (1 + e) for m >= 0 (within e of 1 beyond FAR), e / (1 + e) below.
    let (s, k) = if m >= 0.0 {
        (Dd::ONE.div(d), 0)
    } else {
        (e.div(d), k)
    };
    let v = s.mul(c).mul(Dd::of(-y));
    let k = k + f.e.0 as i32;
    // Where 1 + e is 1 in double-double, the exact value is below v in size.
    let nudge = if m > 0.0 && e_value.hi < 1e-40 {
        -TINY.copysign(v.hi)
    } else {
        0.0
    };
    round_scaled(v, k, nudge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values_round_correctly() {
        // ln 2 = 0.693147180559945309417..., nearest f32 0.693147182464599609375.
        assert_eq!(loss(0.0, 1.0), std::f32::consts::LN_2);
        // log(1 + e) = 1.31326168751822283405..., between the f32s 1.31326162815093994 (5.94e-8
        // below) and 1.31326174736022949 (5.98e-8 above).
        assert_eq!(loss(-1.0, 1.0).to_bits(), 0x3fa8_18f5);
        // sigmoid(1) = 0.731058578630004879..., nearest f32 0.7310585975646972656.
        assert_eq!(grad(-1.0, 1.0, Split::one()), -0.731_058_6);
        // A zero margin: -y / 2 exactly, a tie rounded to even (y the smallest subnormal f32).
        let y = f64::from(f32::from_bits(1));
        assert_eq!(grad(0.0, y, Split::one()).to_bits(), 0x8000_0000);
        assert_eq!(grad(0.0, 3.0 * y, Split::one()).to_bits(), 0x8000_0002);
    }

    #[test]
    fn far_margins_nudge_the_rounding() {
        // A margin of 750, the target 3 and the factor 1 + 2^-23: -y f = -(3 + 1.5 2^-22) is
        // an f32 midpoint, and the exact gradient lies just inside it, so it rounds toward
        // zero (to the odd neighbour: a tie would go to the even one).
        let f = Split::of(Scalar(1.0 + f64::from(f32::EPSILON)));
        let g = grad(-250.0, 3.0, f);
        assert_eq!(f64::from(g), -3.0 - 2.0 * f64::from(f32::EPSILON));
        // The margin 3 (1 + 3 2^-23) 512 = 1536 + 4.5 2^-13 is a midpoint; the loss lies just
        // above it, so it rounds up (to the odd neighbour).
        let x = -(1.0 + 3.0 * f64::from(f32::EPSILON)) * 512.0;
        assert_eq!(f64::from(loss(x, 3.0)), 1536.0 + 5.0 / 8192.0);
        // Far on the other side: zeros of the right signs.
        assert_eq!(loss(1000.0, 1.0).to_bits(), 0);
        assert_eq!(grad(1000.0, 1.0, Split::one()).to_bits(), 0x8000_0000);
        assert_eq!(grad(-1000.0, -1.0, Split::one()).to_bits(), 0);
    }
}
