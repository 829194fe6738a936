//! Vectors of `f64` and of `f32` lanes, and the choice of instruction set at run time.
//!
//! The kernels (`crate::kernel`) are written once
//! against [`Vector`] (`f64` lanes) or [`VectorF32`] (`f32` lanes) and instantiated with each
//! implementation: [`portable::Scalar`] and [`portable::Scalar32`] (one lane, plain Rust, every
//! target) and, on x86-64, [`avx2::Avx2`] and [`avx2::Avx2F32`] (four and eight lanes, AVX2 and
//! FMA) and [`avx512::Avx512`] and [`avx512::Avx512F32`] (eight and sixteen lanes, AVX-512). Every operation is exactly rounded IEEE arithmetic, so each lane gets the same bits on
//! every path; only speed differs.
//!
//! The path is chosen once: the best the CPU supports, capped by the environment variable
//! `SOFTMARGIN_ISA` (`portable`, `avx2` or `avx512`, read as `crate::env` says) or by [`set_isa`].

pub(crate) mod portable;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;

use std::sync::atomic::{AtomicU8, Ordering};

/// A vector of `LANES` values of one element type with the arithmetic every kernel needs: the
/// one lane trait, which [`Vector`] (`f64` lanes) and [`VectorF32`] (`f32` lanes) extend with
/// what only one element type's kernels use. Every operation is exactly rounded IEEE
/// arithmetic, and where IEEE leaves a choice open (which NaN `max` returns) every path makes
/// the same one, so each lane gets the same bits on every path.
///
/// Implementations other than [`portable::Scalar`] and [`portable::Scalar32`] use CPU
/// instructions that the caller must have checked for: their values may only be created and
/// used inside a function that is compiled for those instructions and reached after run-time
/// detection (see `kernel`).
pub(crate) trait Simd: Copy {
    /// The element type.
    type Elem: Copy;
    /// Lanes per vector.
    const LANES: usize;
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
pub(crate) trait Vector: Simd<Elem = f64> {
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
    /// `(f, e)` with `self = f 2^e`, `1 <= |f| < 2` (`f` of `self`'s sign) and `e` integral,
    /// subnormal lanes included; `(self, 0)` for zeros, infinities and NaN.
    fn frexp(self) -> (Self, Self);

    fn lt(self, o: Self) -> Self::Mask;
    fn eq(self, o: Self) -> Self::Mask;
    fn is_nan(self) -> Self::Mask;
}

/// [`Simd`] of `f32`, with what the `f32`-lane kernel needs beyond it.
pub(crate) trait VectorF32: Simd<Elem = f32> {
    /// The [`Vector`] of `f64` lanes with the same lane count.
    type Wide: Vector;

    /// The lanes widened to `f64` (exact).
    fn widen(self) -> Self::Wide;
    /// `2^k` for lanes holding `k + 1.5 * 2^23 + 127`, `k` integral in `-126..=127`: the
    /// bits shifted into the exponent field.
    fn exp2_biased(self) -> Self;
}

/// An instruction-set path for the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Isa {
    /// Plain Rust, one element at a time; available everywhere.
    Portable = 1,
    /// AVX2, FMA and F16C: four `f64` or eight `f32` lanes per vector (x86-64).
    Avx2 = 2,
    /// AVX-512 F, VL, DQ and BW (with AVX2 and FMA): eight `f64` or sixteen `f32` lanes per
    /// vector, conditions in mask registers (x86-64).
    Avx512 = 3,
}

impl Isa {
    /// Every path, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name `SOFTMARGIN_ISA` takes.
    pub fn name(self) -> &'static str {
        // The names are ASCII literals, so the conversion cannot fail.
        self.c_name().to_str().unwrap_or("")
    }

    /// [`Isa::name`] as a C string.
    pub fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            Isa::Portable => c"portable",
            Isa::Avx2 => c"avx2",
            Isa::Avx512 => c"avx512",
        }
    }

    fn from_u8(v: u8) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| *isa as u8 == v)
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("f16c")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.is_supported()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }
}

/// The environment variable that caps the path.
pub const ISA_ENV: &str = "SOFTMARGIN_ISA";

/// The path in use; 0 until first needed.
static ISA: AtomicU8 = AtomicU8::new(0);

/// The best supported path, capped by `SOFTMARGIN_ISA` when it names one (surrounding
/// whitespace and ASCII case ignored; any other value is ignored).
fn detect() -> Isa {
    let names = Isa::ALL.map(Isa::name);
    let cap = crate::env::choice(ISA_ENV, &names).map(|i| Isa::ALL[i]);
    Isa::ALL
        .into_iter()
        .filter(|isa| isa.is_supported() && cap.is_none_or(|cap| *isa <= cap))
        .max()
        .unwrap_or(Isa::Portable)
}

/// The path the kernels use.
pub fn isa() -> Isa {
    match Isa::from_u8(ISA.load(Ordering::Relaxed)) {
        Some(isa) => isa,
        None => {
            let isa = detect();
            ISA.store(isa as u8, Ordering::Relaxed);
            isa
        }
    }
}

/// The requested path is not supported by this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedIsa(pub Isa);

/// Makes the kernels use `isa`. Results are bitwise the same on every path.
pub fn set_isa(isa: Isa) -> Result<(), UnsupportedIsa> {
    if !isa.is_supported() {
        return Err(UnsupportedIsa(isa));
    }
    ISA.store(isa as u8, Ordering::Relaxed);
    Ok(())
}

/// `[f(0), f(1), ..., f(N - 1)]`, built so that it always inlines into the kernels (the
/// machinery of `std::array::from_fn` and `map` can stop the inliner, and a vector passed to
/// an out-of-line function goes through memory).
#[inline(always)]
fn build<T: Copy, const N: usize>(f: impl Fn(usize) -> T) -> [T; N] {
    let mut out = [std::mem::MaybeUninit::<T>::uninit(); N];
    for (i, slot) in out.iter_mut().enumerate() {
        slot.write(f(i));
    }
    // SAFETY: every element was just written, and `MaybeUninit<T>` has the layout of `T`.
    unsafe { std::mem::transmute_copy(&out) }
}

/// The element-wise operations of a bundle: each lane operation applied to each vector.
macro_rules! lanewise {
    (binary: $($b:ident),*; unary: $($u:ident),*; compare: $($c:ident),*;) => {
        $(
            #[inline(always)]
            fn $b(self, o: Self) -> Self {
                build(
                    #[inline(always)]
                    |i| self[i].$b(o[i]),
                )
            }
        )*
        $(
            #[inline(always)]
            fn $u(self) -> Self {
                build(
                    #[inline(always)]
                    |i| self[i].$u(),
                )
            }
        )*
        $(
            #[inline(always)]
            fn $c(self, o: Self) -> Self::Mask {
                build(
                    #[inline(always)]
                    |i| self[i].$c(o[i]),
                )
            }
        )*
    };
}

/// `N` vectors side by side: one kernel call then keeps `N` independent dependency chains in
/// flight, which a single vector's long chain of operations would leave the CPU waiting on.
impl<V: Simd, const N: usize> Simd for [V; N] {
    type Elem = V::Elem;
    const LANES: usize = V::LANES * N;
    type Mask = [V::Mask; N];

    #[inline(always)]
    fn splat(v: V::Elem) -> Self {
        [V::splat(v); N]
    }
    #[inline(always)]
    fn load(src: &[V::Elem]) -> Self {
        build(
            #[inline(always)]
            |i| V::load(&src[i * V::LANES..]),
        )
    }
    #[inline(always)]
    fn store(self, dst: &mut [V::Elem]) {
        for (i, v) in self.into_iter().enumerate() {
            v.store(&mut dst[i * V::LANES..]);
        }
    }
    lanewise! {
        binary: add, sub, mul, div, max;
        unary: abs, neg;
        compare: ge;
    }
    #[inline(always)]
    fn mul_add(self, b: Self, c: Self) -> Self {
        build(
            #[inline(always)]
            |i| self[i].mul_add(b[i], c[i]),
        )
    }
    #[inline(always)]
    fn and(a: Self::Mask, b: Self::Mask) -> Self::Mask {
        build(
            #[inline(always)]
            |i| V::and(a[i], b[i]),
        )
    }
    #[inline(always)]
    fn bits(mask: Self::Mask) -> u32 {
        mask.into_iter()
            .enumerate()
            .fold(0, |acc, (i, m)| acc | V::bits(m) << (i * V::LANES))
    }
    #[inline(always)]
    fn select(mask: Self::Mask, a: Self, b: Self) -> Self {
        build(
            #[inline(always)]
            |i| V::select(mask[i], a[i], b[i]),
        )
    }
}

impl<V: Vector, const N: usize> Vector for [V; N] {
    #[inline(always)]
    fn load_f32(src: &[f32]) -> Self {
        build(
            #[inline(always)]
            |i| V::load_f32(&src[i * V::LANES..]),
        )
    }
    #[inline(always)]
    fn store_f32(self, dst: &mut [f32]) {
        for (i, v) in self.into_iter().enumerate() {
            v.store_f32(&mut dst[i * V::LANES..]);
        }
    }
    lanewise! {
        binary: ;
        unary: round, sign, exp2_int;
        compare: lt, eq;
    }
    #[inline(always)]
    fn is_nan(self) -> Self::Mask {
        build(
            #[inline(always)]
            |i| V::is_nan(self[i]),
        )
    }
    #[inline(always)]
    fn frexp(self) -> (Self, Self) {
        let parts: [(V, V); N] = build(
            #[inline(always)]
            |i| self[i].frexp(),
        );
        (
            build(
                #[inline(always)]
                |i| parts[i].0,
            ),
            build(
                #[inline(always)]
                |i| parts[i].1,
            ),
        )
    }
}

/// `N` vectors of `f32` lanes side by side, as for [`Vector`].
impl<V: VectorF32, const N: usize> VectorF32 for [V; N] {
    type Wide = [V::Wide; N];

    #[inline(always)]
    fn widen(self) -> Self::Wide {
        build(
            #[inline(always)]
            |i| V::widen(self[i]),
        )
    }
    lanewise! {
        binary: ;
        unary: exp2_biased;
        compare: ;
    }
}

#[cfg(test)]
mod tests {
    use super::portable::Scalar;
    use super::*;

    /// Values of every kind: zeros, subnormals, normals at both ends, infinities, NaN.
    const VALUES: [f64; 14] = [
        0.0,
        -0.0,
        5e-324,
        -f64::from_bits(0x000f_ffff_ffff_ffff), // the largest subnormal
        f64::MIN_POSITIVE,
        1.0,
        -1.5,
        3.0,
        0.1,
        -1e300,
        f64::MAX,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];

    #[test]
    fn frexp_splits_into_significand_and_exponent() {
        for v in VALUES {
            let (f, e) = Scalar(v).frexp();
            if v == 0.0 || !v.is_finite() {
                assert_eq!((f.0.to_bits(), e.0), (v.to_bits(), 0.0), "{v:e}");
                continue;
            }
            assert!(
                (1.0..2.0).contains(&f.0.abs()) && f.0.signum() == v.signum(),
                "{v:e}"
            );
            // f 2^e in two exact steps (e may be below the normal exponents).
            let half = (e.0 / 2.0).trunc();
            let back = f.0 * 2f64.powi(half as i32) * 2f64.powi((e.0 - half) as i32);
            assert_eq!(back.to_bits(), v.to_bits(), "{v:e}: {f:?} {e:?}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn frexp_is_the_same_on_every_path() {
        /// # Safety
        /// The CPU must support AVX2 and FMA.
        #[target_feature(enable = "avx2,fma")]
        unsafe fn on_avx2(v: &[f64; 8]) -> ([f64; 8], [f64; 8]) {
            let (f, e) = <[avx2::Avx2; 2]>::load(v).frexp();
            let (mut fs, mut es) = ([0.0; 8], [0.0; 8]);
            f.store(&mut fs);
            e.store(&mut es);
            (fs, es)
        }
        /// # Safety
        /// The CPU must support the AVX-512 path.
        #[target_feature(enable = "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")]
        unsafe fn on_avx512(v: &[f64; 8]) -> ([f64; 8], [f64; 8]) {
            let (f, e) = avx512::Avx512::load(v).frexp();
            let (mut fs, mut es) = ([0.0; 8], [0.0; 8]);
            f.store(&mut fs);
            e.store(&mut es);
            (fs, es)
        }
        type Path = unsafe fn(&[f64; 8]) -> ([f64; 8], [f64; 8]);
        let paths: [(Isa, Path); 2] = [(Isa::Avx2, on_avx2), (Isa::Avx512, on_avx512)];
        for (isa, path) in paths {
            if !isa.is_supported() {
                println!("frexp on {}: skipped, not on this CPU", isa.name());
                continue;
            }
            for chunk in VALUES.chunks(8) {
                let mut v = [1.0; 8];
                v[..chunk.len()].copy_from_slice(chunk);
                // SAFETY: the path is supported, as just checked.
                let (fs, es) = unsafe { path(&v) };
                for i in 0..8 {
                    let (f, e) = Scalar(v[i]).frexp();
                    assert_eq!((fs[i].to_bits(), es[i]), (f.0.to_bits(), e.0), "{:e}", v[i]);
                }
            }
        }
    }
}
