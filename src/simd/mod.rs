//! Lanes: vectors of `f64` and of `f32` lanes, their instruction-set paths, and the one place
//! that picks a path at run time.
//!
//! The kernels (`crate::kernel`) are written once against the lane traits of this module:
//! [`Simd`] (what both element types share), [`Vector`] (`f64` lanes) and [`VectorF32`] (`f32`
//! lanes, with their widening to `f64` and their loads and stores of the 16-bit formats). Each
//! is implemented by [`portable::Scalar`] and [`portable::Scalar32`] (one lane, plain Rust,
//! every target) and, on x86-64, by [`avx2::Avx2`] and [`avx2::Avx2F32`] (four and eight lanes,
//! AVX2, FMA and F16C) and [`avx512::Avx512`] and [`avx512::Avx512F32`] (eight and sixteen
//! lanes, AVX-512). Every operation is exactly rounded IEEE arithmetic (or an exact bit
//! operation), so each lane gets the same bits on every path; only speed differs.
//!
//! - [`bundle`]: several vectors side by side, as one.
//! - [`isa`]: the paths, and which one this CPU runs (`SOFTMARGIN_ISA`, [`set_isa`]).
//! - [`dispatch`]: each path's lane types ([`Path`]) and the function that runs work on the
//!   selected path, compiled for its instructions.
//! - [`prefetch`]: a hint to the cache, the same on every path, which the element loop gives
//!   for the inputs ahead of the group it computes.

pub(crate) mod bundle;
pub(crate) mod dispatch;
mod isa;
pub(crate) mod portable;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;

#[cfg(test)]
mod tests;

pub(crate) use dispatch::{dispatch, OnPath, One, Path};
pub use isa::{isa, set_isa, Isa, UnsupportedIsa, ISA_ENV};

use crate::half::{Bf16, F16};

/// A vector of `LANES` values of one element type with the arithmetic every kernel needs: the
/// one lane trait, which [`Vector`] (`f64` lanes) and [`VectorF32`] (`f32` lanes) extend with
/// what only one element type's kernels use. Every operation is exactly rounded IEEE
/// arithmetic, and where IEEE leaves a choice open (which NaN `max` returns) every path makes
/// the same one, so each lane gets the same bits on every path.
///
/// Implementations other than [`portable::Scalar`] and [`portable::Scalar32`] use CPU
/// instructions that the caller must have checked for: their values may only be created and
/// used inside a function that is compiled for those instructions and reached after run-time
/// detection ([`dispatch`]).
pub trait Simd: Copy {
    /// The element type.
    type Elem: Copy;
    /// Lanes per vector.
    const LANES: usize;
    /// Every lane's bit (lane `i` in bit `i`), as [`Simd::bits`] gives them.
    const ALL_LANES: u32 = u32::MAX >> (32 - Self::LANES);
    /// A per-lane condition.
    type Mask: Copy;

    fn splat(v: Self::Elem) -> Self;
    /// Loads `src[..LANES]`.
    fn load(src: &[Self::Elem]) -> Self;
    /// Stores the lanes into `dst[..LANES]`.
    fn store(self, dst: &mut [Self::Elem]);

    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn mul(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    /// `self * b + c` with one rounding.
    fn mul_add(self, b: Self, c: Self) -> Self;
    /// `self` with the sign bit cleared.
    fn abs(self) -> Self;
    /// `self` with the sign bit flipped.
    fn neg(self) -> Self;
    /// The larger of `self` and `o`; `o` when either is NaN, and `o` of two zeros (as `maxpd`).
    fn max(self, o: Self) -> Self;

    fn ge(self, o: Self) -> Self::Mask;
    fn and(a: Self::Mask, b: Self::Mask) -> Self::Mask;
    /// Lane `i`'s condition in bit `i`.
    fn bits(mask: Self::Mask) -> u32;
    /// Per lane, `a` where `mask` holds and `b` elsewhere.
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self;
}

/// [`Simd`] of `f64`, with what the `f64`-lane kernels need beyond it.
pub trait Vector: Simd<Elem = f64> {
    /// Loads `LANES` values from `src[..LANES]`, widened to `f64` (exact).
    fn load_f32(src: &[f32]) -> Self;
    /// Stores the lanes rounded to `f32` into `dst[..LANES]`.
    fn store_f32(self, dst: &mut [f32]);
    /// Rounded to the nearest integer, ties to even.
    fn round(self) -> Self;
    /// Only the sign bit of `self` (a zero of `self`'s sign).
    fn sign(self) -> Self;
    /// `2^self` for integral lanes in `-1022..=1023`.
    fn exp2_int(self) -> Self;
    /// `table[self]` for integral lanes in `0..16` (an in-register table on `avx512`).
    fn lookup16(self, table: &[f64; 16]) -> Self;
    /// `(f, e)` with `self = f 2^e`, `1 <= |f| < 2` (`f` of `self`'s sign) and `e` integral,
    /// subnormal lanes included; `(self, 0)` for zeros, infinities and NaN.
    fn frexp(self) -> (Self, Self);

    fn lt(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    fn is_nan(self) -> Self::Mask;
}

/// How far, in `f32` ulps (steps of the bit pattern), a rounding boundary of a 16-bit format
/// may lie from an `f32` result for [`VectorF32::open_f16`] and [`VectorF32::open_bf16`] to
/// call its rounding open: the `f32` kernels are within 2 ulp of the correctly rounded value,
/// so within 2.5 of the exact one, and the boundaries are `f32` values, whole steps away: one 3
/// or more steps away lies beyond the exact value too.
pub(crate) const HALF_WINDOW: u32 = 2;

/// [`Simd`] of `f32`, with what the `f32`-lane kernels need beyond it: the widening to `f64`
/// lanes, and the loads and stores of the 16-bit formats that are computed through `f32`
/// (Highway's `PromoteTo` and `DemoteTo`).
pub trait VectorF32: Simd<Elem = f32> {
    /// The [`Vector`] of `f64` lanes with the same lane count.
    type Wide: Vector;

    /// The lanes widened to `f64` (exact).
    fn widen(self) -> Self::Wide;
    /// `f64` lanes rounded to `f32` (to nearest, ties to even).
    fn from_wide(w: Self::Wide) -> Self;
    /// `2^k` for lanes holding `k + 1.5 * 2^23 + 127`, `k` integral in `-126..=127`: the
    /// bits shifted into the exponent field.
    fn exp2_biased(self) -> Self;
    /// The lanes whose bits equal `o`'s (`-0` is not `+0`; a NaN is its own bits).
    fn same_bits(self, o: Self) -> Self::Mask;

    /// Loads `LANES` binary16 values, widened (exact; a NaN keeps its payload, quieted).
    fn load_f16(src: &[F16]) -> Self;
    /// Stores the lanes rounded to binary16 ([`F16::from_f32`]: to nearest, ties to even,
    /// every NaN the canonical one).
    fn store_f16(self, dst: &mut [F16]);
    /// The lanes (bit `i` for lane `i`) whose rounding to binary16 is open ([`open_f16`]): those
    /// with a rounding boundary within [`HALF_WINDOW`] steps (below `2^-14`, steps of `2^-37`),
    /// where the exact value a lane approximates may round otherwise than the lane does.
    fn open_f16(self) -> u32;
    /// Loads `LANES` bfloat16 values, widened (exact).
    fn load_bf16(src: &[Bf16]) -> Self;
    /// Stores the lanes rounded to bfloat16 ([`Bf16::from_f32`]).
    fn store_bf16(self, dst: &mut [Bf16]);
    /// The lanes (bit `i` for lane `i`) whose rounding to bfloat16 is open ([`open_bf16`]):
    /// those whose 16 dropped bits are within [`HALF_WINDOW`] of the midpoint `0x8000`.
    fn open_bf16(self) -> u32;
}

/// The smallest normal binary16 value, `2^-14`, as the bits of an `f32`.
pub(crate) const F16_MIN_NORMAL: u32 = 0x3880_0000;

/// The plain statement of [`VectorF32::open_f16`] for one value, which every path computes.
///
/// Rounding to binary16 drops the low 13 bits of a value of its normal range, and the
/// rounding boundaries are where those bits are `0x1000`: the test is on the bits, with no
/// conversion. Below `2^-14` the quantum is `2^-24` in every binade; adding `2^-14` brings such
/// a value into `[2^-14, 2^-13)`, whose `f32` step (`2^-37`) is `2^-13` of that quantum as in
/// the normal binades, so the same test applies: its window there is [`HALF_WINDOW`] of those
/// steps, no narrower than that many of the value's own, the rounding of the sum included. The
/// infinities are not open; a NaN may be, which costs a recomputation that gives the NaN the
/// store gives.
#[inline(always)]
pub(crate) fn open_f16(v: f32) -> bool {
    let a = v.to_bits() & 0x7fff_ffff;
    let u = if a < F16_MIN_NORMAL {
        (f32::from_bits(a) + f32::from_bits(F16_MIN_NORMAL)).to_bits()
    } else {
        a
    };
    near_midpoint::<13>(u)
}

/// The plain statement of [`VectorF32::open_bf16`] for one value, which every path computes:
/// the low 16 bits within [`HALF_WINDOW`] of `0x8000`, with no test of the sign or the
/// exponent (the infinities are not open; a NaN may be, as for [`open_f16`]).
#[inline(always)]
pub(crate) fn open_bf16(v: f32) -> bool {
    near_midpoint::<16>(v.to_bits())
}

/// Whether the low `DROPPED` bits of `bits` are within [`HALF_WINDOW`] of their midpoint
/// (`1 << (DROPPED - 1)`), the test of [`open_f16`] and [`open_bf16`] that every path computes
/// in its lanes: the bits shifted by the midpoint and the window, masked, are at most twice the
/// window.
#[inline(always)]
pub(crate) fn near_midpoint<const DROPPED: u32>(bits: u32) -> bool {
    let mask = (1 << DROPPED) - 1;
    bits.wrapping_add((1 << (DROPPED - 1)) + HALF_WINDOW) & mask <= 2 * HALF_WINDOW
}

/// Asks the cache for the `bytes` bytes from `at`, ahead of their use: a hint, which changes
/// no value. Any address may be given: a prefetch neither faults nor reads anything the
/// program sees, and the pointer is not dereferenced. On targets without a prefetch
/// instruction it does nothing.
#[inline(always)]
pub(crate) fn prefetch(at: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    for line in (0..bytes).step_by(64) {
        // SAFETY: `prefetcht0` belongs to SSE, which every x86-64 CPU has; it accesses no
        // memory the program sees and cannot fault, whatever the address.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                at.wrapping_add(line).cast(),
            )
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (at, bytes);
}
