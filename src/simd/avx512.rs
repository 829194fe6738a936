//! Eight `f64` lanes ([`Avx512`]) and sixteen `f32` lanes ([`Avx512F32`]) with AVX-512 F, VL,
//! DQ and BW; conditions live in mask registers.
//!
//! Every method is `#[inline(always)]` and only ever runs inlined into a function compiled with
//! `#[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,f16c")]`, which
//! [`super::dispatch`] calls only after [`super::Isa::Avx512`] was detected; that is the safety
//! argument for each intrinsic below. Each operation is the IEEE operation of the other paths, with the same
//! choices where IEEE leaves one open (`max` and `min` return the second operand when either
//! is NaN, as `maxpd` and the portable path do), so every lane gets the same bits.

use std::arch::x86_64::*;

use super::{Simd, Vector, VectorF32, F16_MIN_NORMAL, HALF_WINDOW};
use crate::half::{Bf16, BF16_NAN, F16, F16_NAN};

#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512(__m512d);

/// Sixteen `f32` lanes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Avx512F32(__m512);

/// The round-to-nearest-even immediate of `vrndscale`, exceptions suppressed.
const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

impl Simd for Avx512 {
    type Elem = f64;
    const LANES: usize = 8;
    type Mask = __mmask8;

    #[inline(always)]
    fn splat(v: f64) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_set1_pd(v) })
    }
    #[inline(always)]
    fn load(src: &[f64]) -> Self {
        assert!(src.len() >= 8);
        // SAFETY: eight readable doubles (checked); AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_loadu_pd(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f64]) {
        assert!(dst.len() >= 8);
        // SAFETY: eight writable doubles (checked); AVX-512 F is available (module docs).
        unsafe { _mm512_storeu_pd(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_add_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_sub_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_mul_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_div_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_fmadd_pd(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_abs_pd(self.0) })
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: AVX-512 DQ is available (module docs).
        Avx512(unsafe { _mm512_xor_pd(_mm512_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_max_pd(self.0, o.0) })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> __mmask8 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmp_pd_mask::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn and(a: __mmask8, b: __mmask8) -> __mmask8 {
        a & b
    }
    #[inline(always)]
    fn bits(mask: __mmask8) -> u32 {
        u32::from(mask)
    }
    #[inline(always)]
    fn select(mask: __mmask8, a: Self, b: Self) -> Self {
        // vblendmpd takes the second operand where the mask bit is set.
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_mask_blend_pd(mask, b.0, a.0) })
    }
}

impl Vector for Avx512 {
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        assert!(src.len() >= 8);
        // SAFETY: eight readable floats (checked); AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_cvtps_pd(_mm256_loadu_ps(src.as_ptr())) })
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        assert!(dst.len() >= 8);
        // SAFETY: eight writable floats (checked); AVX-512 F is available (module docs).
        unsafe { _mm256_storeu_ps(dst.as_mut_ptr(), _mm512_cvtpd_ps(self.0)) }
    }
    #[inline(always)]
    fn round(self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_roundscale_pd::<NEAREST>(self.0) })
    }
    #[inline(always)]
    fn sign(self) -> Self {
        // SAFETY: AVX-512 DQ is available (module docs).
        Avx512(unsafe { _mm512_and_pd(_mm512_set1_pd(-0.0), self.0) })
    }
    #[inline(always)]
    fn exp2_int(self) -> Self {
        // vscalefpd: 1 * 2^floor(k), exact for integral k in the normal exponent range.
        // SAFETY: AVX-512 F is available (module docs).
        Avx512(unsafe { _mm512_scalef_pd(_mm512_set1_pd(1.0), self.0) })
    }
    #[inline(always)]
    fn lookup16(self, table: &[f64; 16]) -> Self {
        // vpermi2pd: sixteen doubles in two registers, indexed by the low four bits of each
        // lane's integer.
        // SAFETY: AVX-512 F and DQ are available (module docs); the loads read 16 doubles.
        Avx512(unsafe {
            let idx = _mm512_cvtpd_epi64(self.0);
            let lo = _mm512_loadu_pd(table.as_ptr());
            let hi = _mm512_loadu_pd(table.as_ptr().add(8));
            _mm512_permutex2var_pd(lo, idx, hi)
        })
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        // vgetmantpd and vgetexppd: the significand in [1, 2) with the sign of the value, and
        // floor(log2 |v|), subnormals normalised first; zeros, infinities and NaN (which these
        // instructions map otherwise) stay as they are, with an exponent of 0.
        // SAFETY: AVX-512 F is available (module docs).
        unsafe {
            let v = self.0;
            let f = _mm512_getmant_pd::<_MM_MANT_NORM_1_2, _MM_MANT_SIGN_SRC>(v);
            let e = _mm512_getexp_pd(v);
            let size = _mm512_abs_pd(v);
            let special = _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(v, _mm512_setzero_pd())
                | _mm512_cmp_pd_mask::<_CMP_NLT_UQ>(size, _mm512_set1_pd(f64::INFINITY));
            (
                Avx512(_mm512_mask_blend_pd(special, f, v)),
                Avx512(_mm512_mask_blend_pd(special, e, _mm512_setzero_pd())),
            )
        }
    }
    #[inline(always)]
    fn lt(self, o: Self) -> __mmask8 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmp_pd_mask::<_CMP_LT_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn eq(self, o: Self) -> __mmask8 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmp_pd_mask::<_CMP_EQ_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn is_nan(self) -> __mmask8 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmp_pd_mask::<_CMP_UNORD_Q>(self.0, self.0) }
    }
}

impl Simd for Avx512F32 {
    type Elem = f32;
    const LANES: usize = 16;
    type Mask = __mmask16;
    #[inline(always)]
    fn splat(v: f32) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_set1_ps(v) })
    }
    #[inline(always)]
    fn load(src: &[f32]) -> Self {
        assert!(src.len() >= 16);
        // SAFETY: sixteen readable floats (checked); AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_loadu_ps(src.as_ptr()) })
    }
    #[inline(always)]
    fn store(self, dst: &mut [f32]) {
        assert!(dst.len() >= 16);
        // SAFETY: sixteen writable floats (checked); AVX-512 F is available (module docs).
        unsafe { _mm512_storeu_ps(dst.as_mut_ptr(), self.0) }
    }
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_add_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_sub_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_mul_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn div(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_div_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_fmadd_ps(self.0, b.0, c.0) })
    }
    #[inline(always)]
    fn abs(self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_abs_ps(self.0) })
    }
    #[inline(always)]
    fn neg(self) -> Self {
        // SAFETY: AVX-512 DQ is available (module docs).
        Avx512F32(unsafe { _mm512_xor_ps(_mm512_set1_ps(-0.0), self.0) })
    }
    #[inline(always)]
    fn max(self, o: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_max_ps(self.0, o.0) })
    }
    #[inline(always)]
    fn ge(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmp_ps_mask::<_CMP_GE_OQ>(self.0, o.0) }
    }
    #[inline(always)]
    fn and(a: __mmask16, b: __mmask16) -> __mmask16 {
        a & b
    }
    #[inline(always)]
    fn bits(mask: __mmask16) -> u32 {
        u32::from(mask)
    }
    #[inline(always)]
    fn select(mask: __mmask16, a: Self, b: Self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe { _mm512_mask_blend_ps(mask, b.0, a.0) })
    }
}

impl VectorF32 for Avx512F32 {
    type Wide = [Avx512; 2];

    #[inline(always)]
    fn widen(self) -> [Avx512; 2] {
        // SAFETY: AVX-512 F and DQ are available (module docs).
        unsafe {
            [
                Avx512(_mm512_cvtps_pd(_mm512_castps512_ps256(self.0))),
                Avx512(_mm512_cvtps_pd(_mm512_extractf32x8_ps::<1>(self.0))),
            ]
        }
    }
    #[inline(always)]
    fn from_wide(w: [Avx512; 2]) -> Self {
        // SAFETY: AVX-512 F and DQ are available (module docs).
        Avx512F32(unsafe {
            _mm512_insertf32x8::<1>(
                _mm512_castps256_ps512(_mm512_cvtpd_ps(w[0].0)),
                _mm512_cvtpd_ps(w[1].0),
            )
        })
    }
    #[inline(always)]
    fn exp2_biased(self) -> Self {
        // SAFETY: AVX-512 F is available (module docs).
        Avx512F32(unsafe {
            _mm512_castsi512_ps(_mm512_slli_epi32::<23>(_mm512_castps_si512(self.0)))
        })
    }
    #[inline(always)]
    fn same_bits(self, o: Self) -> __mmask16 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe { _mm512_cmpeq_epi32_mask(_mm512_castps_si512(self.0), _mm512_castps_si512(o.0)) }
    }
    #[inline(always)]
    fn load_f16(src: &[F16]) -> Self {
        assert!(src.len() >= 16);
        // SAFETY: sixteen readable 16-bit values (checked); AVX-512 F is available (module
        // docs).
        Avx512F32(unsafe { _mm512_cvtph_ps(_mm256_loadu_si256(src.as_ptr().cast())) })
    }
    #[inline(always)]
    fn store_f16(self, dst: &mut [F16]) {
        assert!(dst.len() >= 16);
        // SAFETY: sixteen writable 16-bit values (checked); AVX-512 F, BW and VL are available
        // (module docs).
        unsafe {
            let h = _mm512_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(self.0);
            // NaN made the canonical one, as F16::from_f32 makes it.
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0);
            let h = _mm256_mask_blend_epi16(nan, h, _mm256_set1_epi16(F16_NAN as i16));
            _mm256_storeu_si256(dst.as_mut_ptr().cast(), h);
        }
    }
    #[inline(always)]
    fn open_f16(self) -> u32 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe {
            // As super::open_f16: on the bits, values below 2^-14 moved up by 2^-14 first.
            let a = _mm512_and_si512(_mm512_castps_si512(self.0), _mm512_set1_epi32(0x7fff_ffff));
            let min = _mm512_set1_epi32(F16_MIN_NORMAL as i32);
            let small = _mm512_cmplt_epu32_mask(a, min);
            let a = _mm512_castsi512_ps(a);
            let u = _mm512_castps_si512(_mm512_mask_add_ps(a, small, a, _mm512_castsi512_ps(min)));
            near_midpoint::<13>(u)
        }
    }
    #[inline(always)]
    fn load_bf16(src: &[Bf16]) -> Self {
        assert!(src.len() >= 16);
        // SAFETY: sixteen readable 16-bit values (checked); AVX-512 F is available (module
        // docs).
        Avx512F32(unsafe {
            let h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(src.as_ptr().cast()));
            _mm512_castsi512_ps(_mm512_slli_epi32::<16>(h))
        })
    }
    #[inline(always)]
    fn store_bf16(self, dst: &mut [Bf16]) {
        assert!(dst.len() >= 16);
        // SAFETY: sixteen writable 16-bit values (checked); AVX-512 F is available (module
        // docs).
        unsafe {
            // As Bf16::from_f32: the upper half rounded to nearest, ties to even.
            let b = _mm512_castps_si512(self.0);
            let odd = _mm512_and_si512(_mm512_srli_epi32::<16>(b), _mm512_set1_epi32(1));
            let bias = _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff));
            let r = _mm512_srli_epi32::<16>(_mm512_add_epi32(b, bias));
            let nan = _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0);
            let r = _mm512_mask_blend_epi32(nan, r, _mm512_set1_epi32(i32::from(BF16_NAN)));
            _mm256_storeu_si256(dst.as_mut_ptr().cast(), _mm512_cvtepi32_epi16(r));
        }
    }
    #[inline(always)]
    fn open_bf16(self) -> u32 {
        // SAFETY: AVX-512 F is available (module docs).
        unsafe {
            // As super::open_bf16.
            near_midpoint::<16>(_mm512_castps_si512(self.0))
        }
    }
}

/// The lanes (bit `i` for lane `i`) of [`super::near_midpoint`].
///
/// # Safety
/// The CPU must support AVX-512 F.
#[inline(always)]
unsafe fn near_midpoint<const DROPPED: u32>(bits: __m512i) -> u32 {
    // SAFETY: AVX-512 F is available (the caller's contract).
    unsafe {
        let shift = (1 << (DROPPED - 1)) + HALF_WINDOW;
        let t = _mm512_add_epi32(bits, _mm512_set1_epi32(shift as i32));
        let distance = _mm512_and_si512(t, _mm512_set1_epi32((1 << DROPPED) - 1));
        let window = _mm512_set1_epi32(2 * HALF_WINDOW as i32);
        u32::from(_mm512_cmple_epu32_mask(distance, window))
    }
}
