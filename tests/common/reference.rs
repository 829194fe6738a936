//! An independent high-precision reference: double-double arithmetic (about 106 bits) with its
//! own exp and log, and formulas other than the library's.
//!
//! The library evaluates `max(m, 0) + log1p(exp(-|m|))` with its own polynomials; this module
//! evaluates `log(1 + exp(m))` directly where that is well conditioned (m >= -1), the series
//! `2 atanh(e / (2 + e))` for `log1p(e)` below, and `m + exp(-m)` far above, all in
//! double-double. Values too small for a normal `f64` are carried as a double-double times a
//! power of two, so subnormal results are checked exactly.

/// An unevaluated sum `hi + lo` with `|lo| <= ulp(hi) / 2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dd {
    pub hi: f64,
    pub lo: f64,
}

fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd {
        hi: p,
        lo: a.mul_add(b, -p),
    }
}

impl Dd {
    pub const ZERO: Dd = Dd { hi: 0.0, lo: 0.0 };
    pub const ONE: Dd = Dd { hi: 1.0, lo: 0.0 };

    pub fn from(v: f64) -> Dd {
        Dd { hi: v, lo: 0.0 }
    }

    fn renorm(hi: f64, lo: f64) -> Dd {
        let s = hi + lo;
        Dd {
            hi: s,
            lo: lo - (s - hi),
        }
    }

    pub fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        let t = two_sum(self.lo, o.lo);
        let r = Dd::renorm(s.hi, s.lo + t.hi);
        Dd::renorm(r.hi, r.lo + t.lo)
    }

    pub fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }

    pub fn sub(self, o: Dd) -> Dd {
        self.add(o.neg())
    }

    pub fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        Dd::renorm(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }

    pub fn mul_f(self, v: f64) -> Dd {
        self.mul(Dd::from(v))
    }

    pub fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self.sub(o.mul_f(q1));
        let q2 = r.hi / o.hi;
        let r = r.sub(o.mul_f(q2));
        let q3 = r.hi / o.hi;
        Dd::renorm(q1, q2).add(Dd::from(q3))
    }

    /// Division by a small integer.
    pub fn div_int(self, d: u32) -> Dd {
        let d = f64::from(d);
        let q1 = self.hi / d;
        let r = self.sub(two_prod(q1, d));
        Dd::renorm(q1, r.hi / d)
    }

    /// Multiplication by 2^k, exact while the result stays normal.
    pub fn scale(self, k: i32) -> Dd {
        let p = pow2(k);
        Dd {
            hi: self.hi * p,
            lo: self.lo * p,
        }
    }

    pub fn to_f64(self) -> f64 {
        self.hi + self.lo
    }
}

/// 2^k for k in the normal exponent range.
pub fn pow2(k: i32) -> f64 {
    assert!((-1022..=1023).contains(&k), "2^{k} is not a normal f64");
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// ln 2 to about 160 bits, as three doubles.
const LN2: [f64; 3] = [
    std::f64::consts::LN_2,
    2.319_046_813_846_299_6e-17,
    5.707_708_438_416_212e-34,
];

/// A positive value `v * 2^k`, `v` a normal double-double: lets results below the normal range
/// keep their full precision.
#[derive(Clone, Copy, Debug)]
pub struct Scaled {
    pub v: Dd,
    pub k: i32,
}

impl Scaled {
    pub fn plain(v: Dd) -> Scaled {
        Scaled { v, k: 0 }
    }
}

/// `exp(x)` as `v * 2^k` with `v` in about [0.7, 1.5], for `x` in [-3000, 709].
pub fn exp_scaled(x: Dd) -> Scaled {
    assert!(x.hi >= -3000.0 && x.hi <= 709.8, "exp_scaled({x:?})");
    let k = (x.hi / LN2[0]).round();
    // r = x - k ln2, with k ln2 exact to far below the double-double precision.
    let r = x
        .sub(two_prod(k, LN2[0]))
        .sub(two_prod(k, LN2[1]))
        .sub(Dd::from(k * LN2[2]));
    // exp(r) = exp(r / 2^8)^(2^8); Taylor series for the small argument.
    let s = r.scale(-8);
    let mut term = Dd::ONE;
    let mut sum = Dd::ONE;
    for i in 1..=16 {
        term = term.mul(s).div_int(i);
        sum = sum.add(term);
    }
    for _ in 0..8 {
        sum = sum.mul(sum);
    }
    Scaled {
        v: sum,
        k: k as i32,
    }
}

/// `exp(x)` for `x` in [-700, 700].
pub fn exp(x: Dd) -> Dd {
    let e = exp_scaled(x);
    e.v.scale(e.k)
}

/// `ln(z)` for `z` >= 1 (Newton's iteration on `exp`).
pub fn ln(z: Dd) -> Dd {
    let mut y = Dd::from(z.hi.ln());
    for _ in 0..2 {
        // y += z exp(-y) - 1
        y = y.add(z.mul(exp(y.neg())).sub(Dd::ONE));
    }
    y
}

/// `log1p(e)` for `0 <= e <= 1`: `2 atanh(u)` with `u = e / (2 + e)`.
pub fn log1p_series(e: Dd) -> Dd {
    let u = e.div(Dd::from(2.0).add(e));
    let u2 = u.mul(u);
    let mut power = u;
    let mut sum = u;
    for i in 1..40 {
        power = power.mul(u2);
        if power.hi.abs() < 1e-40 * sum.hi.abs() {
            break;
        }
        sum = sum.add(power.div_int(2 * i + 1));
    }
    sum.scale(1)
}

/// The margin `-y x` exactly (while it does not overflow).
pub fn margin(x: f64, y: f64) -> Dd {
    two_prod(-y, x)
}

/// `log(1 + exp(m))` for a finite margin.
pub fn softplus(m: Dd) -> Scaled {
    if m.hi > 40.0 {
        // exp(-m) < 2^-57 m: the series' second term is below 2^-110 relative.
        if m.hi > 700.0 {
            return Scaled::plain(m);
        }
        return Scaled::plain(m.add(exp(m.neg())));
    }
    if m.hi >= -1.0 {
        return Scaled::plain(ln(Dd::ONE.add(exp(m))));
    }
    if m.hi < -1500.0 {
        return Scaled::plain(Dd::ZERO);
    }
    // log1p(e) = e (1 - e/2 + ...): carry e's scale through the series.
    let e = exp_scaled(m);
    if e.k < -900 {
        // e < 2^-900: log1p(e) = e to 2^-900 relative.
        return e;
    }
    Scaled::plain(log1p_series(e.v.scale(e.k)))
}

/// `sigmoid(m) = 1 / (1 + exp(-m))` for a finite margin; 0 below -3000, where it is below
/// 2^-4328, which no target and factor (at most 2^2048 together) can bring into any range.
pub fn sigmoid(m: Dd) -> Scaled {
    // Down to -600 the sigmoid (above 2^-866) and its low part stay normal numbers.
    if m.hi >= -600.0 {
        if m.hi > 700.0 {
            return Scaled::plain(Dd::ONE);
        }
        return Scaled::plain(Dd::ONE.div(Dd::ONE.add(exp(m.neg()))));
    }
    if m.hi < -3000.0 {
        return Scaled::plain(Dd::ZERO);
    }
    // e / (1 + e) = e (1 - e + ...), e < 2^-865: e itself, scaled, so that products of it
    // (the second derivative's) do not leave the normal range.
    exp_scaled(m)
}

/// The reference loss of one element with finite `x` and `y`; `None` if the margin overflows.
pub fn loss(x: f64, y: f64) -> Option<Scaled> {
    let m = margin(x, y);
    m.hi.is_finite().then(|| softplus(m))
}

/// The reference `-y sigmoid(-y x)`, as a sign and a magnitude; `None` if the margin overflows.
pub fn slope(x: f64, y: f64) -> Option<(f64, Scaled)> {
    let m = margin(x, y);
    if !m.hi.is_finite() {
        return None;
    }
    let s = sigmoid(m);
    // s |y| = s f 2^ey, which cannot overflow before its scaling.
    let (f, ey) = split_pow2(y);
    Some((
        -y.signum(),
        Scaled {
            v: s.v.mul_f(f),
            k: s.k + ey,
        },
    ))
}

/// 2^k for any k from -1074 up: also the subnormal powers.
pub fn pow2_any(k: i32) -> f64 {
    if k < -1022 {
        pow2(k + 64) * pow2(-64)
    } else {
        pow2(k)
    }
}

/// The binary exponent of the exact value `v`, `v` a normal double-double.
fn exponent(v: Dd) -> i32 {
    let bits = v.hi.abs().to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i32 - 1023;
    // A power of two with a negative tail lies just below it.
    if bits & ((1 << 52) - 1) == 0 && v.lo != 0.0 && v.lo.signum() != v.hi.signum() {
        e -= 1;
    }
    e
}

/// A binary floating-point format: explicit mantissa bits, minimum and maximum exponent.
#[derive(Clone, Copy)]
pub struct Format {
    pub mantissa: i32,
    pub emin: i32,
    pub emax: i32,
}

pub const F64: Format = Format {
    mantissa: 52,
    emin: -1022,
    emax: 1023,
};

pub const F32: Format = Format {
    mantissa: 23,
    emin: -126,
    emax: 127,
};

/// The distance from `got` to the exact value `sign * want`, in units in the last place of
/// `format` at the exact value (the subnormal ulp below the normal range). An infinite `got`
/// counts as exact when the exact value rounds to infinity in that format.
pub fn ulp_error(got: f64, sign: f64, want: Scaled, format: Format) -> f64 {
    let Scaled { v, k } = want;
    let Format {
        mantissa,
        emin,
        emax,
    } = format;
    if got.is_nan() {
        return f64::INFINITY;
    }
    if v.hi == 0.0 {
        return got.abs() / pow2_any(emin - mantissa);
    }
    if got.is_infinite() {
        // Round to nearest overflows from max + ulp(max) / 2 = 2^emax (2 - 2^(-mantissa - 1)):
        // compared as v 2^k = f 2^e with f in [1, 2), which stays in range for any k.
        let e = exponent(v);
        let f = v.scale(-e / 2).scale(-(e - e / 2));
        let big =
            e + k > emax || (e + k == emax && f.sub(Dd::from(2.0 - pow2(-mantissa - 1))).hi >= 0.0);
        return if big && got.signum() == sign {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let ulp_exp = (exponent(v) + k - mantissa).max(emin - mantissa);
    // (got / sign) 2^-k - v, in units of 2^(ulp_exp - k).
    let g = ldexp(got * sign, -k);
    let d = Dd::from(g).sub(v).hi.abs();
    ldexp(d, k - ulp_exp)
}

/// `|v| = f 2^e` exactly, with `f` in [1, 2) (up to the rounding of `log2` at a power of two),
/// as `(f, e)`; `(0, 0)` for 0.
pub fn split_pow2(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (0.0, 0);
    }
    let e = v.abs().log2().floor() as i32;
    (ldexp(v.abs(), -e), e)
}

/// The largest finite value of a format.
pub fn largest(format: Format) -> f64 {
    ldexp(2.0 - ldexp(1.0, -format.mantissa), format.emax)
}

/// `v * 2^k` for any `k`, in steps that stay in the normal range (one rounding at most).
pub fn ldexp(mut v: f64, mut k: i32) -> f64 {
    while k > 1000 {
        v *= pow2(1000);
        k -= 1000;
    }
    while k < -1000 {
        v *= pow2(-1000);
        k += 1000;
    }
    v * pow2(k)
}

/// Error of an `f64` result, in `f64` ulps.
pub fn ulp_error_f64(got: f64, sign: f64, want: Scaled) -> f64 {
    ulp_error(got, sign, want, F64)
}

/// Error of an `f32` result, in `f32` ulps.
pub fn ulp_error_f32(got: f32, sign: f64, want: Scaled) -> f64 {
    ulp_error(f64::from(got), sign, want, F32)
}
