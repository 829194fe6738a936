//! Half-precision data: IEEE binary16 ([`F16`]) and bfloat16 ([`Bf16`], the upper 16 bits of a
//! binary32), held by their bits.
//!
//! A pass over half data converts each leaf of the block tree to `f32` (exactly: every half
//! value is an `f32`, and so is the margin `-y x` of two, a product of two 11- or 8-bit
//! significands), runs the `f32` pass on it, and rounds each result to the half type once.
//! Rounding an `f32` result again would be a double rounding, which differs from the correctly
//! rounded value where the `f32` result lies near the midpoint of two half values. So each
//! result is first tested ([`open`]): the `f32` kernels are within [`F32_ERROR_ULPS`] of the
//! exact value, and when no half rounding boundary lies that close, the `f32` result rounds as
//! the exact value does. The few that are open (about 1 in 700 for `f16`, 1 in 5,000 for
//! `bf16`) are computed again in double-double (`kernel::exact`), and that value is rounded
//! with round-to-odd to `f32` and then to the half type, a single correct rounding.
//!
//! Sums accumulate the `f32` pass's losses in `f64` and are rounded to the half type once.

use crate::kernel::{exact_point, Factor};
use crate::parallel::{Task, BLOCK};
use crate::pass::{Operand, Pass, Scale};
use crate::simd::portable::Scalar;
use crate::sum::{Accumulator, Lanes};

/// An IEEE 754 binary16 value, held by its bits (`uint16_t` in C).
#[repr(transparent)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash)]
pub struct F16(u16);

/// A bfloat16 value, the upper 16 bits of an IEEE binary32, held by its bits (`uint16_t` in C,
/// as OpenBLAS and oneDNN take it).
#[repr(transparent)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash)]
pub struct Bf16(u16);

/// The bits of the canonical quiet NaN of each format.
const F16_NAN: u16 = 0x7e00;
const BF16_NAN: u16 = 0x7fc0;

impl F16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> Self {
        F16(bits)
    }
    /// The bits of the value.
    pub const fn to_bits(self) -> u16 {
        self.0
    }
    /// The value as an `f32` (exact; a NaN stays a NaN with its payload).
    pub fn to_f32(self) -> f32 {
        let h = u32::from(self.0);
        let sign = (h & 0x8000) << 16;
        let exp = (h >> 10) & 0x1f;
        let mant = h & 0x3ff;
        match exp {
            // Zero and subnormals: mant * 2^-24, exact in f32.
            0 => f32::from_bits(sign | (mant as f32 * f32::from_bits(0x3380_0000)).to_bits()),
            0x1f => f32::from_bits(sign | 0x7f80_0000 | (mant << 13)),
            _ => f32::from_bits(sign | ((exp + 112) << 23) | (mant << 13)),
        }
    }
    /// `v` rounded to the nearest binary16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7e00).
    pub fn from_f32(v: f32) -> Self {
        let b = v.to_bits();
        let sign = ((b >> 16) & 0x8000) as u16;
        let a = b & 0x7fff_ffff;
        if a > 0x7f80_0000 {
            return F16(F16_NAN);
        }
        if a >= 0x477f_f000 {
            // 65520 and above: the midpoint between 65504 and 2^16 rounds to even, which is inf.
            return F16(sign | 0x7c00);
        }
        if a >= 0x3880_0000 {
            // Normal: rebias the exponent (127 - 15 = 112) and round away 13 bits, ties to
            // even; a carry into the exponent is the right result.
            let m = a - 0x3800_0000;
            return F16(sign | ((m + 0xfff + ((m >> 13) & 1)) >> 13) as u16);
        }
        // Subnormal or zero: the multiple of 2^-24, rounded ties to even (exact scaling).
        let q = f32::from_bits(a) * 16_777_216.0;
        F16(sign | q.round_ties_even() as u16)
    }
}

impl Bf16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> Self {
        Bf16(bits)
    }
    /// The bits of the value.
    pub const fn to_bits(self) -> u16 {
        self.0
    }
    /// The value as an `f32` (exact).
    pub fn to_f32(self) -> f32 {
        f32::from_bits(u32::from(self.0) << 16)
    }
    /// `v` rounded to the nearest bfloat16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7fc0).
    pub fn from_f32(v: f32) -> Self {
        if v.is_nan() {
            return Bf16(BF16_NAN);
        }
        let b = v.to_bits();
        Bf16(((b + 0x7fff + ((b >> 16) & 1)) >> 16) as u16)
    }
}

impl From<F16> for f32 {
    fn from(h: F16) -> f32 {
        h.to_f32()
    }
}

impl From<Bf16> for f32 {
    fn from(h: Bf16) -> f32 {
        h.to_f32()
    }
}

/// How far the `f32` results may be from the exact values, in `f32` ulps: the header's 2 ulp
/// from the correctly rounded value, plus that rounding's half ulp, and a margin.
pub(crate) const F32_ERROR_ULPS: f64 = 3.0;

/// What rounding to a half format needs to know of it.
pub(crate) trait Half: Copy + Default + Send + Sync + 'static {
    /// Significand bits after the binary point.
    const MANT: i32;
    /// The exponent of the quantum of the subnormals (the smallest subnormal is 2^this).
    const MIN_QUANTUM: i32;
    /// Magnitudes from which every value rounds to infinity, as far from the overflow midpoint
    /// as no error bound reaches (f32::INFINITY where the format's range is `f32`'s).
    const ALL_INFINITE: f32;
    fn widen(self) -> f32;
    fn round(v: f32) -> Self;
}

impl Half for F16 {
    const MANT: i32 = 10;
    const MIN_QUANTUM: i32 = -24;
    const ALL_INFINITE: f32 = 65536.0;
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn round(v: f32) -> Self {
        F16::from_f32(v)
    }
}

impl Half for Bf16 {
    const MANT: i32 = 7;
    const MIN_QUANTUM: i32 = -133;
    const ALL_INFINITE: f32 = f32::INFINITY;
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn round(v: f32) -> Self {
        Bf16::from_f32(v)
    }
}

/// `2^e` as an `f64`, for `e` in the normal range.
fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// Whether a rounding boundary of `H` (the midpoint of two neighbouring values, the overflow
/// threshold among them) lies within [`F32_ERROR_ULPS`] `f32` ulps of `v`: then the exact value
/// `v` approximates may round differently from `v`.
#[inline]
pub(crate) fn open<H: Half>(v: f32) -> bool {
    let a = v.abs();
    // Infinities, NaN, zero (the first boundary above it is 2^(MIN_QUANTUM - 1), far beyond the
    // error of an f32 zero), and magnitudes that round to infinity whatever their error.
    if !(a > 0.0 && a < H::ALL_INFINITE) {
        return false;
    }
    let wide = f64::from(a);
    let e = ((wide.to_bits() >> 52) as i32) - 1023;
    // The format's quantum at a, and a in quanta: an integer plus a fraction, exactly.
    let quantum = (e - H::MANT).max(H::MIN_QUANTUM);
    let q = wide * pow2(-quantum);
    let distance = (q - q.floor() - 0.5).abs();
    // The f32 ulp at a, in quanta.
    let ulp = pow2(e.max(-126) - 23 - quantum);
    distance <= F32_ERROR_ULPS * ulp
}

/// `hi + lo` rounded to `f32` with round-to-odd: the truncation toward zero, with its last bit
/// set when anything was dropped. Rounding that to a format of fewer bits (all but the
/// subnormal `f32`s have 13 or 16 bits to spare here) is then the correct rounding of `hi + lo`.
pub(crate) fn round_to_odd(hi: f64, lo: f64) -> f32 {
    let f = hi as f32;
    if !f.is_finite() {
        return f;
    }
    // hi - f is exact (f is hi rounded), and either nonzero and at least an f64 ulp of hi (so
    // at least twice lo), or zero: its sum with lo has the sign of what f lacks.
    let rest = (hi - f64::from(f)) + lo;
    if rest == 0.0 {
        return f;
    }
    let positive = if f != 0.0 { f > 0.0 } else { rest > 0.0 };
    // f is beyond the exact value (farther from zero) when rest points back toward zero.
    let beyond = f != 0.0 && ((rest > 0.0) != positive);
    let magnitude = (f.to_bits() & 0x7fff_ffff) - u32::from(beyond);
    let sign = if positive { 0 } else { 0x8000_0000 };
    f32::from_bits(sign | magnitude | 1)
}

/// `v` rounded once to a half format.
pub(crate) fn narrow_f64<H: Half>(v: f64) -> H {
    H::round(round_to_odd(v, 0.0))
}

/// How the gradient of each element is scaled, as the exact path takes it.
fn factor_of(scale: &Scale<'_, f32>, each: &[f32], i: usize) -> Factor<Scalar> {
    match *scale {
        Scale::Each(_) => Factor::of(Scalar(f64::from(each[i]))),
        Scale::Times(g) => Factor::of(Scalar(g)),
        Scale::TimesOver(g, n) => Factor::quotient(g, n),
    }
}

/// A pass over half data: the same [`Pass`], run as the module docs describe.
pub(crate) struct HalfPass<'a, H>(pub Pass<'a, H>);

/// An input of a leaf widened into `into`: from its own slice or from the output it aliases.
fn widen_into<H: Half>(
    operand: &Operand<'_, H>,
    loss: Option<&[H]>,
    grad: Option<&[H]>,
    into: &mut [f32],
) {
    let source = match *operand {
        Operand::Slice(s) => s,
        Operand::Loss => loss.expect("an aliased operand names an output of the pass"),
        Operand::Grad => grad.expect("an aliased operand names an output of the pass"),
    };
    for (d, s) in into.iter_mut().zip(source) {
        *d = s.widen();
    }
}

impl<H: Half> Task for HalfPass<'_, H> {
    type Out = Lanes;

    fn len(&self) -> usize {
        self.0.len
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.0.split(mid);
        (HalfPass(a), HalfPass(b))
    }

    fn leaf(self) -> Lanes {
        let Pass {
            len,
            input,
            target,
            loss,
            grad,
            scale,
            sum,
        } = self.0;
        let mut x = [0.0f32; BLOCK];
        let mut y = [0.0f32; BLOCK];
        let mut each = [0.0f32; BLOCK];
        let (x, y, each) = (&mut x[..len], &mut y[..len], &mut each[..len]);
        // Every input is widened before any output is written, so aliased ones need no care.
        let (l_in, g_in) = (loss.as_deref(), grad.as_deref());
        widen_into(&input, l_in, g_in, x);
        widen_into(&target, l_in, g_in, y);
        if let Scale::Each(g) = scale {
            widen_into(&g, l_in, g_in, each);
        }
        let mut loss32 = [0.0f32; BLOCK];
        let mut grad32 = [0.0f32; BLOCK];
        let scale32 = match scale {
            Scale::Each(_) => Scale::Each(Operand::Slice(&each[..])),
            Scale::Times(g) => Scale::Times(g),
            Scale::TimesOver(g, n) => Scale::TimesOver(g, n),
        };
        let total = Pass {
            len,
            input: Operand::Slice(&x[..]),
            target: Operand::Slice(&y[..]),
            loss: loss.is_some().then_some(&mut loss32[..len]),
            grad: grad.is_some().then_some(&mut grad32[..len]),
            scale: scale32,
            sum,
        }
        .leaf();
        if let Some(loss) = loss {
            for (i, out) in loss.iter_mut().enumerate() {
                let l = loss32[i];
                *out = if open::<H>(l) {
                    let p = exact_point(f64::from(x[i]), f64::from(y[i]));
                    // The exact loss is above max(m, 0) + its double-double part: where that
                    // part vanished (log1p(exp(-|m|)) below 2^-106 of the margin), round as
                    // for a value just above.
                    let lo = if p.loss_err.0 == 0.0 {
                        f64::from_bits(1)
                    } else {
                        p.loss_err.0
                    };
                    H::round(round_to_odd(p.loss.0, lo))
                } else {
                    H::round(l)
                };
            }
        }
        if let Some(grad) = grad {
            for (i, out) in grad.iter_mut().enumerate() {
                let g = grad32[i];
                *out = if open::<H>(g) {
                    let (xd, yd) = (f64::from(x[i]), f64::from(y[i]));
                    let p = exact_point(xd, yd);
                    let exact = p.slope.times(factor_of(&scale32, each, i)).0;
                    // Where the margin m is tiny, sigmoid(m) = 1/2 + m/4 and the rounded
                    // product can sit exactly on a midpoint (-y/2 for a subnormal target):
                    // the exact value is then beyond it, in magnitude, when m > 0, and short
                    // of it when m < 0 (m = 0 is a true tie). Elsewhere such a tie does not
                    // occur, and the nudge, far below any rounding, changes nothing.
                    let m = -yd * xd;
                    let nudge = if m == 0.0 || exact == 0.0 {
                        0.0
                    } else {
                        f64::from_bits(1).copysign(exact * m)
                    };
                    H::round(round_to_odd(exact, nudge))
                } else {
                    H::round(g)
                };
            }
        }
        total
    }

    fn merge(earlier: Lanes, later: Lanes) -> Lanes {
        earlier.merge(later)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversions_round_trip_and_round_to_nearest_even() {
        for bits in 0..=u16::MAX {
            let h = F16(bits);
            let f = h.to_f32();
            if f.is_nan() {
                assert_eq!(F16::from_f32(f).0, F16_NAN);
                continue;
            }
            assert_eq!(F16::from_f32(f).0, bits, "{bits:#06x}");
        }
        // Between two neighbours: below, at and above the midpoint.
        let (a, b) = (F16(0x3c00).to_f32(), F16(0x3c01).to_f32());
        let mid = (a + b) / 2.0;
        assert_eq!(F16::from_f32(mid).0, 0x3c00);
        assert_eq!(F16::from_f32(f32::from_bits(mid.to_bits() + 1)).0, 0x3c01);
        assert_eq!(F16::from_f32(65519.0).0, 0x7bff);
        assert_eq!(F16::from_f32(65520.0).0, 0x7c00);
        assert_eq!(F16::from_f32(2f32.powi(-25)).0, 0);
        assert_eq!(
            F16::from_f32(f32::from_bits(2f32.powi(-25).to_bits() + 1)).0,
            1
        );
    }

    #[test]
    fn bf16_conversions_round_trip() {
        for bits in 0..=u16::MAX {
            let f = Bf16(bits).to_f32();
            let expect = if f.is_nan() { BF16_NAN } else { bits };
            assert_eq!(Bf16::from_f32(f).0, expect, "{bits:#06x}");
        }
        assert_eq!(Bf16::from_f32(f32::MAX).0, 0x7f80);
    }

    #[test]
    fn round_to_odd_keeps_what_was_dropped() {
        let one = 1.0f64;
        assert_eq!(round_to_odd(one, 0.0), 1.0);
        assert_eq!(round_to_odd(one, 1e-30).to_bits(), 1f32.to_bits() | 1);
        assert_eq!(round_to_odd(one, -1e-30).to_bits(), 1f32.to_bits() - 1);
        assert_eq!(round_to_odd(-one, -1e-30).to_bits(), (-1f32).to_bits() | 1);
        assert_eq!(round_to_odd(1e-300, 0.0).to_bits(), 1);
        assert_eq!(round_to_odd(-1e-300, 0.0).to_bits(), 0x8000_0001);
        assert_eq!(round_to_odd(1e300, 0.0), f32::INFINITY);
    }

    #[test]
    fn open_finds_the_midpoints() {
        let mid = (F16(0x3c00).to_f32() + F16(0x3c01).to_f32()) / 2.0;
        assert!(open::<F16>(mid));
        assert!(open::<F16>(f32::from_bits(mid.to_bits() + 3)));
        assert!(!open::<F16>(f32::from_bits(mid.to_bits() + 4)));
        assert!(!open::<F16>(1.0));
        assert!(open::<F16>(65520.0));
        assert!(!open::<F16>(70000.0));
        assert!(open::<F16>(2f32.powi(-25)));
        assert!(open::<Bf16>(f32::from_bits(0x3f80_8000)));
        assert!(!open::<Bf16>(f32::from_bits(0x3f80_4000)));
    }
}
