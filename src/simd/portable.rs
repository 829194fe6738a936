//! One lane of plain Rust: the portable path, and the scalar reference the vector paths are
//! tested against. Conditions are resolved with bit masks, not branches.

use super::{open_bf16, open_f16, Simd, Vector, VectorF32};
use crate::half::{Bf16, F16};

#[derive(Clone, Copy, Debug)]
pub struct Scalar(pub f64);

/// One `f32` lane.
#[derive(Clone, Copy, Debug)]
pub struct Scalar32(pub f32);

/// 2^64, which brings any subnormal `f64` into the normal range.
pub(crate) const TWO_64: f64 = 18_446_744_073_709_551_616.0;
/// The exponent field of an `f64`, and the bits of 1.0.
pub(crate) const EXPONENT: u64 = 0x7ff0_0000_0000_0000;
pub(crate) const ONE: u64 = 0x3ff0_0000_0000_0000;

impl Simd for Scalar {
    type Elem = f64;
    const LANES: usize = 1;
    type Mask = bool;

    #[inline(always)]
    fn splat(v: f64) -> Self {
        Scalar(v)
    }
    #[inline(always)]
    fn load(src: &[f64]) -> Self {
        Scalar(src[0])
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64]) {
        dst[0] = self.0;
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Scalar(self.0 + o.0)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Scalar(self.0 - o.0)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Scalar(self.0 * o.0)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Scalar(self.0 / o.0)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Scalar(self.0.mul_add(b.0, c.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Scalar(self.0.abs())
    }
    #[inline(always)]
    fn neg(self) -> Self {
        Scalar(-self.0)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Scalar(if self.0 > o.0 { self.0 } else { o.0 })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> bool {
        self.0 >= o.0
    }
    #[inline(always)]
    fn and(a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    fn bits(mask: bool) -> u32 {
        mask as u32
    }
    #[inline(always)]
    fn select(mask: bool, a: Self, b: Self) -> Self {
        // A branch-free blend: all ones or all zeros.
        let m = (mask as u64).wrapping_neg();
        Scalar(f64::from_bits((a.0.to_bits() & m) | (b.0.to_bits() & !m)))
    }
}

impl Vector for Scalar {
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        Scalar(f64::from(src[0]))
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        dst[0] = self.0 as f32;
    }
    #[inline(always)]
    fn round(self) -> Self {
        Scalar(self.0.round_ties_even())
    }
    #[inline(always)]
    fn sign(self) -> Self {
        Scalar(f64::from_bits(self.0.to_bits() & (1 << 63)))
    }
    #[inline(always)]
    fn exp2_int(self) -> Self {
        Scalar(f64::from_bits(((self.0 as i64 + 1023) as u64) << 52))
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        Scalar(table[self.0 as usize])
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let v = self.0;
        // Subnormals are brought into the normal range first, exactly.
        let subnormal = v.abs() < f64::MIN_POSITIVE;
        let w = if subnormal { v * TWO_64 } else { v };
        let bits = w.to_bits();
        let field = (bits >> 52) & 0x7ff;
        if v == 0.0 || field == 0x7ff {
            return (self, Scalar(0.0));
        }
        let f = f64::from_bits((bits & !EXPONENT) | ONE);
        let e = field as f64 - if subnormal { 1087.0 } else { 1023.0 };
        (Scalar(f), Scalar(e))
    }
    #[inline(always)]
    fn lt(self, o: Self) -> bool {
        self.0 < o.0
    }
    #[inline(always)]
    fn eq(self, o: Self) -> bool {
        self.0 == o.0
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        self.0.is_nan()
    }
}

impl Simd for Scalar32 {
    type Elem = f32;
    const LANES: usize = 1;
    type Mask = bool;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        Scalar32(v)
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        Scalar32(src[0])
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        dst[0] = self.0;
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Scalar32(self.0 + o.0)
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Scalar32(self.0 - o.0)
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        Scalar32(self.0 * o.0)
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        Scalar32(self.0 / o.0)
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        Scalar32(self.0.mul_add(b.0, c.0))
    }
    #[inline(always)]
    fn abs(self) -> Self {
        Scalar32(self.0.abs())
    }
    #[inline(always)]
    fn neg(self) -> Self {
        Scalar32(-self.0)
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        Scalar32(if self.0 > o.0 { self.0 } else { o.0 })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> bool {
        self.0 >= o.0
    }
    #[inline(always)]
    fn and(a: bool, b: bool) -> bool {
        a & b
    }
    #[inline(always)]
    fn bits(mask: bool) -> u32 {
        mask as u32
    }
    #[inline(always)]
    fn select(mask: bool, a: Self, b: Self) -> Self {
        let m = (mask as u32).wrapping_neg();
        Scalar32(f32::from_bits((a.0.to_bits() & m) | (b.0.to_bits() & !m)))
    }
}

impl VectorF32 for Scalar32 {
    type Wide = Scalar;

    #[inline(always)]
    fn widen(self) -> Scalar {
        Scalar(f64::from(self.0))
    }
    #[inline(always)]
    fn from_wide(w: Scalar) -> Self {
        Scalar32(w.0 as f32)
    }
    #[inline(always)]
    fn exp2_biased(self) -> Self {
        Scalar32(f32::from_bits(self.0.to_bits() << 23))
    }
    #[inline(always)]
    fn same_bits(self, o: Self) -> bool {
        self.0.to_bits() == o.0.to_bits()
    }
    #[inline(always)]
    fn load_f16(src: &[F16]) -> Self {
        Scalar32(src[0].to_f32())
    }
    #[inline(always)]
    fn store_f16(self, dst: &mut [F16]) {
        dst[0] = F16::from_f32(self.0);
    }
    #[inline(always)]
    fn open_f16(self) -> u32 {
        u32::from(open_f16(self.0))
    }
    #[inline(always)]
    fn load_bf16(src: &[Bf16]) -> Self {
        Scalar32(src[0].to_f32())
    }
    #[inline(always)]
    fn store_bf16(self, dst: &mut [Bf16]) {
        dst[0] = Bf16::from_f32(self.0);
    }
    #[inline(always)]
    fn open_bf16(self) -> u32 {
        u32::from(open_bf16(self.0))
    }
}
