//! Polynomials by Estrin's scheme and the coefficients of the series the kernels evaluate, and
//! the split of ln 2 for their range reduction.
//!
//! `exp(r) = 1 + r + r^2 p(r)` on `|r| <= ln2 / 2` and `log1p(e) = 2u + 2u^3 t(u^2)` with
//! `u = e / (2 + e) <= 1/3`: the Taylor coefficients of `p` and `t` in `f64` (all of them for
//! the double-double kernels, the leading ones for the `f64`-lane kernel of `f32` data), and
//! minimax ones in `f32` for the `f32`-lane kernel (`tools/fit_polynomials.py`).

use crate::simd::{Vector, VectorF32};

/// ln 2 split so that `k * LN2_HI` is exact for |k| < 2^21 (fdlibm's constants).
pub(crate) const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
pub(crate) const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `c[0] + c[1] x + ... + c[n-1] x^(n-1)` for `n` from 13 to 16, given `x^2`: `c[4..]` by
/// Estrin's scheme (its rounding errors are scaled by `x^4`), then four Horner steps, so that
/// the result carries about one rounding of its own size, as with Horner throughout, with a
/// dependency chain of about half the length.
#[inline(always)]
pub(crate) fn estrin<V: Vector>(x: V, x2: V, c: &[f64]) -> V {
    debug_assert!((13..=16).contains(&c.len()));
    // `c[i] + c[i + 1] x`, or `c[i]` alone past the end (functions, not closures: a closure
    // would not inline into the instruction-set paths' functions).
    #[inline(always)]
    fn pair<V: Vector>(x: V, c: &[f64], i: usize) -> V {
        if i + 1 < c.len() {
            x.mul_add(V::splat(c[i + 1]), V::splat(c[i]))
        } else {
            V::splat(c[i])
        }
    }
    let x4 = x2.mul(x2);
    let q4 = x2.mul_add(pair(x, c, 6), pair(x, c, 4));
    let q8 = x2.mul_add(pair(x, c, 10), pair(x, c, 8));
    // c[12..]: one to four coefficients.
    let q12 = if c.len() > 14 {
        x2.mul_add(pair(x, c, 14), pair(x, c, 12))
    } else {
        pair(x, c, 12)
    };
    let tail = x4.mul_add(x4.mul_add(q12, q8), q4);
    let mut p = tail;
    for &k in c[..4].iter().rev() {
        p = p.mul_add(x, V::splat(k));
    }
    p
}

/// `1 / k!` for k = 2..=14: the Taylor coefficients of `exp(r) - 1 - r`.
pub(crate) const EXP_COEFFS: [f64; 13] = [
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
    1.0 / 87_178_291_200.0,
];

/// `1 / (2i + 1)` for i = 1..=15: the series `atanh(u) / u - 1` in powers of `u^2`.
pub(crate) const ATANH_COEFFS: [f64; 15] = [
    1.0 / 3.0,
    1.0 / 5.0,
    1.0 / 7.0,
    1.0 / 9.0,
    1.0 / 11.0,
    1.0 / 13.0,
    1.0 / 15.0,
    1.0 / 17.0,
    1.0 / 19.0,
    1.0 / 21.0,
    1.0 / 23.0,
    1.0 / 25.0,
    1.0 / 27.0,
    1.0 / 29.0,
    1.0 / 31.0,
];

/// `1 / k!` for k = 2..=8: `exp(r) = 1 + r + r^2 p(r)`, truncation below 2^-32 for |r| <= ln2/2.
pub(crate) const EXP_WIDE: &[f64] = EXP_COEFFS.split_at(7).0;

/// `1 / (2i + 1)` for i = 1..=8: `log1p(e) = 2u (1 + u^2 t(u^2))`, `u = e / (2 + e) <= 1/3`,
/// truncation below 2^-32.
pub(crate) const ATANH_WIDE: &[f64] = ATANH_COEFFS.split_at(8).0;

/// `exp(r) = 1 + r + r^2 p(r)` for `|r| <= ln2 / 2`: the minimax polynomial for the relative
/// error of `exp` (a Lawson fit, `tools/fit_polynomials.py`), 2^-28.0 with these `f32`
/// coefficients.
pub(crate) const EXP_F32: [f32; 5] = [
    0.499_999_94,
    0.166_665_21,
    0.041_668_39,
    0.008_368_71,
    0.001_381_461_3,
];

/// `log1p(e) = 2w + 2w^3 t(w^2)` with `w = e / (2 + e) <= 1/3`: the minimax polynomial for the
/// relative error of `log1p` (same fit), 2^-31.0 with these `f32` coefficients.
pub(crate) const ATANH_F32: [f32; 5] = [
    0.333_333_37,
    0.199_994_45,
    0.143_083_08,
    0.107_152_68,
    0.121_451_676,
];

/// `c[0] + c[1] z + ... + c[7] z^7` (missing coefficients are 0) by Estrin's scheme: a
/// dependency chain of four steps instead of Horner's seven, which matters when one call has
/// only a few vectors to overlap.
#[inline(always)]
pub(crate) fn estrin8<V: Vector>(z: V, z2: V, c: &[f64]) -> V {
    let coeff = |i: usize| V::splat(c.get(i).copied().unwrap_or(0.0));
    let z4 = z2.mul(z2);
    let p01 = z.mul_add(coeff(1), coeff(0));
    let p23 = z.mul_add(coeff(3), coeff(2));
    let p45 = z.mul_add(coeff(5), coeff(4));
    let p67 = z.mul_add(coeff(7), coeff(6));
    let p03 = z2.mul_add(p23, p01);
    let p47 = z2.mul_add(p67, p45);
    z4.mul_add(p47, p03)
}

/// `c[0] + c[1] v + ... + c[4] v^4` by Estrin's scheme, given `v^2`.
#[inline(always)]
pub(crate) fn estrin5<V: VectorF32>(v: V, v2: V, c: &[f32; 5]) -> V {
    // Each splat written out: `c.map(V::splat)` goes through `array::map`, which the
    // inliner gives up on in the larger loops, and then the splat, compiled without the path's
    // features, is a call per coefficient (measured: 7 instructions per element of the 16-bit
    // types' paired loops).
    let [c0, c1, c2, c3, c4] = [
        V::splat(c[0]),
        V::splat(c[1]),
        V::splat(c[2]),
        V::splat(c[3]),
        V::splat(c[4]),
    ];
    let p01 = v.mul_add(c1, c0);
    let p23 = v.mul_add(c3, c2);
    let p24 = v2.mul_add(c4, p23);
    v2.mul_add(p24, p01)
}

/// `1 / k!` for k = 0..=23 as double-doubles `(hi, lo)`, `hi` the nearest `f64` and `lo` the
/// nearest to the rest: the Taylor coefficients of `exp`, to about 2^-106 relative.
pub(crate) const INV_FACTORIAL: [(f64, f64); 24] = [
    (f64::from_bits(0x3ff0_0000_0000_0000), 0.0),
    (f64::from_bits(0x3ff0_0000_0000_0000), 0.0),
    (f64::from_bits(0x3fe0_0000_0000_0000), 0.0),
    (
        f64::from_bits(0x3fc5_5555_5555_5555),
        f64::from_bits(0x3c65_5555_5555_5555),
    ),
    (
        f64::from_bits(0x3fa5_5555_5555_5555),
        f64::from_bits(0x3c45_5555_5555_5555),
    ),
    (
        f64::from_bits(0x3f81_1111_1111_1111),
        f64::from_bits(0x3c01_1111_1111_1111),
    ),
    (
        f64::from_bits(0x3f56_c16c_16c1_6c17),
        f64::from_bits(0xbbef_49f4_9f49_f49f),
    ),
    (
        f64::from_bits(0x3f2a_01a0_1a01_a01a),
        f64::from_bits(0x3b6a_01a0_1a01_a01a),
    ),
    (
        f64::from_bits(0x3efa_01a0_1a01_a01a),
        f64::from_bits(0x3b3a_01a0_1a01_a01a),
    ),
    (
        f64::from_bits(0x3ec7_1de3_a556_c734),
        f64::from_bits(0xbb6c_154f_8ddc_6c00),
    ),
    (
        f64::from_bits(0x3e92_7e4f_b778_9f5c),
        f64::from_bits(0x3b3c_bbc0_5b4f_a99a),
    ),
    (
        f64::from_bits(0x3e5a_e645_67f5_44e4),
        f64::from_bits(0xbafc_062e_06d1_f209),
    ),
    (
        f64::from_bits(0x3e21_eed8_eff8_d898),
        f64::from_bits(0xbac2_aec9_59e1_4c06),
    ),
    (
        f64::from_bits(0x3de6_1246_13a8_6d09),
        f64::from_bits(0x3a8f_28e0_cc74_8ebe),
    ),
    (
        f64::from_bits(0x3da9_3974_a8c0_7c9d),
        f64::from_bits(0x3a30_5d6f_8a2e_fd1f),
    ),
    (
        f64::from_bits(0x3d6a_e7f3_e733_b81f),
        f64::from_bits(0x39e1_d865_6b0e_e8cb),
    ),
    (
        f64::from_bits(0x3d2a_e7f3_e733_b81f),
        f64::from_bits(0x39a1_d865_6b0e_e8cb),
    ),
    (
        f64::from_bits(0x3ce9_52c7_7030_ad4a),
        f64::from_bits(0x398a_c981_465d_dc6c),
    ),
    (
        f64::from_bits(0x3ca6_8278_63b9_7d97),
        f64::from_bits(0x394e_ec01_221a_8b0b),
    ),
    (
        f64::from_bits(0x3c62_f49b_4681_4157),
        f64::from_bits(0x38f2_650f_61db_dcb4),
    ),
    (
        f64::from_bits(0x3c1e_542b_a402_0225),
        f64::from_bits(0x387e_a72b_4afe_3c2f),
    ),
    (
        f64::from_bits(0x3bd7_1b8e_f6dc_f572),
        f64::from_bits(0xb87d_043a_e40c_4647),
    ),
    (
        f64::from_bits(0x3b90_ce39_6db7_f853),
        f64::from_bits(0xb83a_ebcd_bd20_331c),
    ),
    (
        f64::from_bits(0x3b47_61b4_1316_381a),
        f64::from_bits(0xb7d3_423c_7d91_404f),
    ),
];

/// The rest of ln 2 after [`LN2_HI`] and [`LN2_LO`], rounded: `ln 2 = LN2_HI + LN2_LO + LN2_LO2`
/// to about 2^-139.
pub(crate) const LN2_LO2: f64 = f64::from_bits(0x3a8c_c01f_97b5_7a08);
