//! Four `f64` lanes ([`Avx2`]) and eight `f32` lanes ([`Avx2F32`]) with AVX2 and FMA.
//!
//! Every method is `#[inline(always)]` and only ever runs inlined into a function compiled with
//! `#[target_feature(enable = "avx2,fma,f16c")]` (or more), which [`super::dispatch`] calls only
//! after [`super::Isa::Avx2`] (or [`super::Isa::Avx512`]) was detected; that is the safety
//! argument for each intrinsic below.

use std::arch::x86_64::*;

use super::portable::{EXPONENT, ONE, TWO_64};
use super::{Simd, Vector, VectorF32, F16_MIN_NORMAL, HALF_WINDOW};
use crate::half::{Bf16, BF16_NAN, F16, F16_NAN};

/// Four `u64` lanes of `bits`.
#[inline(always)]
unsafe fn splat64(bits: u64) -> __m256i {
    // SAFETY: AVX is available (module docs).
    unsafe { _mm256_set1_epi64x(bits as i64) }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2(__m256d);

/// Eight `f32` lanes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx2F32(__m256);

impl Simd for Avx2 {
    type Elem = f64;
    const LANES: usize = 4;
    type Mask = __m256d;

    #[inline(always)]
    fn splat(v: f64) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_set1_pd(v) })
    }
    #[inline(always)]
    fn load(src: &[f64]) -> Self {
        assert!(src.len() >= 4);
        // SAFETY: four readable doubles (checked); AVX is available (module docs).
        Avx2(unsafe { _mm256_loadu_pd(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64]) {
        assert!(dst.len() >= 4);
        // SAFETY: four writable doubles (checked); AVX is available (module docs).
        unsafe { _mm256_storeu_pd(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_add_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_sub_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_mul_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_div_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: FMA is available (module docs).
        Avx2(unsafe { _mm256_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_andnot_pd(_mm256_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_xor_pd(_mm256_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> __m256d {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_cmp_pd::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn and(a: __m256d, b: __m256d) -> __m256d {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_and_pd(a, b) }
    }
    #[inline(always)]
    fn bits(mask: __m256d) -> u32 {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_movemask_pd(mask) as u32 }
    }
    #[inline(always)]
    fn select(mask: __m256d, a: Self, b: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_blendv_pd(b.0, a.0, mask) })
    }
}

impl Vector for Avx2 {
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        assert!(src.len() >= 4);
        // SAFETY: four readable floats (checked); AVX is available (module docs).
        Avx2(unsafe { _mm256_cvtps_pd(_mm_loadu_ps(src.as_ptr())) })
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        assert!(dst.len() >= 4);
        // SAFETY: four writable floats (checked); AVX is available (module docs).
        unsafe { _mm_storeu_ps(dst.as_mut_ptr(), _mm256_cvtpd_ps(self.0)) }
    }
    #[inline(always)]
    fn round(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe {
            _mm256_round_pd::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(self.0)
        })
    }
    #[inline(always)]
    fn sign(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2(unsafe { _mm256_and_pd(_mm256_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn exp2_int(self) -> Self {
        // k + 1.5 * 2^52 + 1023 holds k + 1023 in its low bits; shifted into the exponent field.
        const MAGIC: f64 = 6_755_399_441_055_744.0 + 1023.0;
        // SAFETY: AVX2 is available (module docs).
        Avx2(unsafe {
            let biased = _mm256_castpd_si256(_mm256_add_pd(self.0, _mm256_set1_pd(MAGIC)));
            _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased))
        })
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        // SAFETY: AVX2 is available (module docs); the indices are in 0..16 (the caller's
        // contract, as the portable path's indexing checks), so every gathered load is in the
        // table.
        Avx2(unsafe {
            let idx = _mm256_cvtpd_epi32(self.0);
            _mm256_i32gather_pd::<8>(table.as_ptr(), idx)
        })
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        // As the portable path's: subnormals scaled by 2^64 first; the exponent field, biased,
        // converted through the bits of 2^52 + field.
        // SAFETY: AVX2 is available (module docs).
        unsafe {
            let v = self.0;
            let size = _mm256_andnot_pd(_mm256_set1_pd(-0.0), v);
            let subnormal = _mm256_cmp_pd::<_CMP_LT_OQ>(size, _mm256_set1_pd(f64::MIN_POSITIVE));
            let w = _mm256_blendv_pd(v, _mm256_mul_pd(v, _mm256_set1_pd(TWO_64)), subnormal);
            let bits = _mm256_castpd_si256(w);
            let field = _mm256_srli_epi64::<52>(_mm256_and_si256(bits, splat64(EXPONENT)));
            let two_52: f64 = 4_503_599_627_370_496.0;
            let biased = _mm256_sub_pd(
                _mm256_castsi256_pd(_mm256_or_si256(field, splat64(two_52.to_bits()))),
                _mm256_set1_pd(two_52),
            );
            let bias = _mm256_blendv_pd(_mm256_set1_pd(1023.0), _mm256_set1_pd(1087.0), subnormal);
            let e = _mm256_sub_pd(biased, bias);
            let f = _mm256_castsi256_pd(_mm256_or_si256(
                _mm256_andnot_si256(splat64(EXPONENT), bits),
                splat64(ONE),
            ));
            // Zeros, infinities and NaN (not below infinity in size) stay as they are.
            let special = _mm256_or_pd(
                _mm256_cmp_pd::<_CMP_EQ_OQ>(v, _mm256_setzero_pd()),
                _mm256_cmp_pd::<_CMP_NLT_UQ>(size, _mm256_set1_pd(f64::INFINITY)),
            );
            (
                Avx2(_mm256_blendv_pd(f, v, special)),
                Avx2(_mm256_blendv_pd(e, _mm256_setzero_pd(), special)),
            )
        }
    }
    #[inline(always)]
    fn lt(self, o: Self) -> __m256d {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_cmp_pd::<_CMP_LT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn eq(self, o: Self) -> __m256d {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_cmp_pd::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn is_nan(self) -> __m256d {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_cmp_pd::<_CMP_UNORD_Q>(self.0, self.0) }
    }
}

impl Simd for Avx2F32 {
    type Elem = f32;
    const LANES: usize = 8;
    type Mask = __m256;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_set1_ps(v) })
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        assert!(src.len() >= 8);
        // SAFETY: eight readable floats (checked); AVX is available (module docs).
        Avx2F32(unsafe { _mm256_loadu_ps(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        assert!(dst.len() >= 8);
        // SAFETY: eight writable floats (checked); AVX is available (module docs).
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_div_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: FMA is available (module docs).
        Avx2F32(unsafe { _mm256_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_andnot_ps(_mm256_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_xor_ps(_mm256_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> __m256 {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_cmp_ps::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn and(a: __m256, b: __m256) -> __m256 {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_and_ps(a, b) }
    }
    #[inline(always)]
    fn bits(mask: __m256) -> u32 {
        // SAFETY: AVX is available (module docs).
        unsafe { _mm256_movemask_ps(mask) as u32 }
    }
    #[inline(always)]
    fn select(mask: __m256, a: Self, b: Self) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_blendv_ps(b.0, a.0, mask) })
    }
}

impl VectorF32 for Avx2F32 {
    type Wide = [Avx2; 2];

    #[inline(always)]
    fn widen(self) -> [Avx2; 2] {
        // SAFETY: AVX is available (module docs).
        unsafe {
            [
                Avx2(_mm256_cvtps_pd(_mm256_castps256_ps128(self.0))),
                Avx2(_mm256_cvtps_pd(_mm256_extractf128_ps::<1>(self.0))),
            ]
        }
    }
    #[inline(always)]
    fn from_wide(w: [Avx2; 2]) -> Self {
        // SAFETY: AVX is available (module docs).
        Avx2F32(unsafe { _mm256_set_m128(_mm256_cvtpd_ps(w[1].0), _mm256_cvtpd_ps(w[0].0)) })
    }
    #[inline(always)]
    fn exp2_biased(self) -> Self {
        // SAFETY: AVX2 is available (module docs).
        Avx2F32(unsafe {
            _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_castps_si256(self.0)))
        })
    }
    #[inline(always)]
    fn same_bits(self, o: Self) -> __m256 {
        // SAFETY: AVX2 is available (module docs).
        unsafe {
            _mm256_castsi256_ps(_mm256_cmpeq_epi32(
                _mm256_castps_si256(self.0),
                _mm256_castps_si256(o.0),
            ))
        }
    }
    #[inline(always)]
    fn load_f16(src: &[F16]) -> Self {
        assert!(src.len() >= 8);
        // SAFETY: eight readable 16-bit values (checked); F16C is available (module docs).
        Avx2F32(unsafe { _mm256_cvtph_ps(_mm_loadu_si128(src.as_ptr().cast())) })
    }
    #[inline(always)]
    fn store_f16(self, dst: &mut [F16]) {
        assert!(dst.len() >= 8);
        // SAFETY: eight writable 16-bit values (checked); AVX2 and F16C are available (module
        // docs).
        unsafe {
            let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0);
            // NaN made the canonical one, as F16::from_f32 makes it.
            let h = _mm_blendv_epi8(h, _mm_set1_epi16(F16_NAN as i16), pack_mask(nan(self.0)));
            _mm_storeu_si128(dst.as_mut_ptr().cast(), h);
        }
    }
    #[inline(always)]
    fn open_f16(self) -> u32 {
        // SAFETY: AVX2 is available (module docs).
        unsafe {
            // As super::open_f16: on the bits, values below 2^-14 moved up by 2^-14 first.
            let a = _mm256_and_si256(_mm256_castps_si256(self.0), _mm256_set1_epi32(0x7fff_ffff));
            let min = _mm256_set1_epi32(F16_MIN_NORMAL as i32);
            // A signed compare is right: the magnitudes are below 2^31.
            let small = _mm256_cmpgt_epi32(min, a);
            let lift = _mm256_castsi256_ps(_mm256_and_si256(small, min));
            let u = _mm256_castps_si256(_mm256_add_ps(_mm256_castsi256_ps(a), lift));
            near_midpoint::<13>(u)
        }
    }
    #[inline(always)]
    fn load_bf16(src: &[Bf16]) -> Self {
        assert!(src.len() >= 8);
        // SAFETY: eight readable 16-bit values (checked); AVX2 is available (module docs).
        Avx2F32(unsafe {
            let h = _mm256_cvtepu16_epi32(_mm_loadu_si128(src.as_ptr().cast()));
            _mm256_castsi256_ps(_mm256_slli_epi32::<16>(h))
        })
    }
    #[inline(always)]
    fn store_bf16(self, dst: &mut [Bf16]) {
        assert!(dst.len() >= 8);
        // SAFETY: eight writable 16-bit values (checked); AVX2 is available (module docs).
        unsafe {
            // As Bf16::from_f32: the upper half rounded to nearest, ties to even.
            let b = _mm256_castps_si256(self.0);
            let odd = _mm256_and_si256(_mm256_srli_epi32::<16>(b), _mm256_set1_epi32(1));
            let bias = _mm256_add_epi32(odd, _mm256_set1_epi32(0x7fff));
            let r = _mm256_srli_epi32::<16>(_mm256_add_epi32(b, bias));
            let r = _mm256_blendv_epi8(
                r,
                _mm256_set1_epi32(i32::from(BF16_NAN)),
                _mm256_castps_si256(nan(self.0)),
            );
            let h = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256::<1>(r));
            _mm_storeu_si128(dst.as_mut_ptr().cast(), h);
        }
    }
    #[inline(always)]
    fn open_bf16(self) -> u32 {
        // SAFETY: AVX2 is available (module docs).
        unsafe {
            // As super::open_bf16.
            near_midpoint::<16>(_mm256_castps_si256(self.0))
        }
    }
}

/// The NaN lanes.
///
/// # Safety
/// The CPU must support AVX.
#[inline(always)]
unsafe fn nan(v: __m256) -> __m256 {
    // SAFETY: AVX is available (the caller's contract).
    unsafe { _mm256_cmp_ps::<_CMP_UNORD_Q>(v, v) }
}

/// Eight 32-bit lane masks as eight 16-bit ones.
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn pack_mask(m: __m256) -> __m128i {
    // SAFETY: AVX2 is available (the caller's contract).
    unsafe {
        let m = _mm256_castps_si256(m);
        _mm_packs_epi32(_mm256_castsi256_si128(m), _mm256_extracti128_si256::<1>(m))
    }
}

/// The lanes (bit `i` for lane `i`) of [`super::near_midpoint`].
///
/// # Safety
/// The CPU must support AVX2.
#[inline(always)]
unsafe fn near_midpoint<const DROPPED: u32>(bits: __m256i) -> u32 {
    // SAFETY: AVX2 is available (the caller's contract).
    unsafe {
        let shift = (1 << (DROPPED - 1)) + HALF_WINDOW;
        let t = _mm256_add_epi32(bits, _mm256_set1_epi32(shift as i32));
        let distance = _mm256_and_si256(t, _mm256_set1_epi32((1 << DROPPED) - 1));
        // Signed is right: the distances are below 2^16.
        let near = _mm256_cmpgt_epi32(_mm256_set1_epi32(2 * HALF_WINDOW as i32 + 1), distance);
        _mm256_movemask_ps(_mm256_castsi256_ps(near)) as u32
    }
}
