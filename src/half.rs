//! Half-precision values: IEEE binary16 ([`F16`]) and bfloat16 ([`Bf16`], the upper 16 bits of a
//! binary32), held by their bits, with their exact conversions to and from `f32`: words of the
//! crate's vocabulary, which the lanes widen on load and narrow on store.

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
pub(crate) const F16_NAN: u16 = 0x7e00;
pub(crate) const BF16_NAN: u16 = 0x7fc0;

impl F16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> Self {
        F16(bits)
    }
    /// The bits of the value.
    pub const fn to_bits(self) -> u16 {
        self.0
    }
    /// The value as an `f32` (exact; a NaN becomes a quiet NaN with its payload). Branch-free, so
    /// that loops over it vectorize.
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        let h = u32::from(self.0);
        let sign = (h & 0x8000) << 16;
        let a = h & 0x7fff;
        // Normal: the exponent rebiased by 127 - 15; infinities and NaN: all ones.
        let normal = (a << 13) + (112 << 23);
        // NaN quieted (the quiet bit set, the payload kept), as the F16C conversion does.
        let quiet = u32::from(a & 0x3ff != 0) << 22;
        let special = (a << 13) | 0x7f80_0000 | quiet;
        // Zero and subnormals: a * 2^-24, exact in f32.
        let small = (a as f32 * f32::from_bits(0x3380_0000)).to_bits();
        let bits = if a >= 0x7c00 {
            special
        } else if a >= 0x0400 {
            normal
        } else {
            small
        };
        f32::from_bits(sign | bits)
    }
    /// `v` rounded to the nearest binary16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7e00). Branch-free, so that loops over it vectorize.
    #[inline(always)]
    pub fn from_f32(v: f32) -> Self {
        let b = v.to_bits();
        let sign = (b >> 16) & 0x8000;
        let a = b & 0x7fff_ffff;
        // Normal: rebias the exponent (127 - 15 = 112) and round away 13 bits, ties to even; a
        // carry into the exponent is the right result.
        let m = a.wrapping_sub(0x3800_0000);
        let normal = (m.wrapping_add(0xfff + ((m >> 13) & 1))) >> 13;
        // Subnormal or zero: the multiple of 2^-24 (exact scaling), rounded ties to even by
        // adding 2^23, whose low bits then hold it (for the values it is chosen for, below 1024).
        let small = (f32::from_bits(a) * 16_777_216.0 + 8_388_608.0).to_bits() & 0x7f_ffff;
        // 65520 and above: the midpoint between 65504 and 2^16 rounds to even, which is inf.
        let bits = if a > 0x7f80_0000 {
            u32::from(F16_NAN)
        } else if a >= 0x477f_f000 {
            sign | 0x7c00
        } else if a >= 0x3880_0000 {
            sign | normal
        } else {
            sign | small
        };
        F16(bits as u16)
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
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        f32::from_bits(u32::from(self.0) << 16)
    }
    /// `v` rounded to the nearest bfloat16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7fc0). Branch-free, so that loops over it vectorize.
    #[inline(always)]
    pub fn from_f32(v: f32) -> Self {
        let b = v.to_bits();
        let rounded = (b.wrapping_add(0x7fff + ((b >> 16) & 1))) >> 16;
        let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
        Bf16(if nan { BF16_NAN } else { rounded as u16 })
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
}
