//! Bundles: `N` vectors side by side, used as one vector of `N` times the lanes. One kernel call
//! then keeps `N` independent dependency chains in flight, which a single vector's long chain
//! of operations would leave the CPU waiting on.

use super::{Simd, Vector, VectorF32};
use crate::half::{Bf16, F16};

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

/// `f(0) | f(1) | ... | f(N - 1)`: the vectors' lane bits gathered into one word, written as
/// a plain loop for the reason [`build`] is (an iterator's `fold` can stay out of line, and
/// the intrinsics inside it with it, called one by one).
#[inline(always)]
fn gather<const N: usize>(f: impl Fn(usize) -> u32) -> u32 {
    let mut bits = 0;
    for i in 0..N {
        bits |= f(i);
    }
    bits
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
        for i in 0..N {
            self[i].store(&mut dst[i * V::LANES..]);
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
        gather::<N>(
            #[inline(always)]
            |i| V::bits(mask[i]) << (i * V::LANES),
        )
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
        for i in 0..N {
            self[i].store_f32(&mut dst[i * V::LANES..]);
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
    fn lookup16(self, table: &[f64; 16]) -> Self {
        build(
            #[inline(always)]
            |i| self[i].lookup16(table),
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
    #[inline(always)]
    fn from_wide(w: Self::Wide) -> Self {
        build(
            #[inline(always)]
            |i| V::from_wide(w[i]),
        )
    }
    lanewise! {
        binary: ;
        unary: exp2_biased;
        compare: same_bits;
    }
    #[inline(always)]
    fn load_f16(src: &[F16]) -> Self {
        build(
            #[inline(always)]
            |i| V::load_f16(&src[i * V::LANES..]),
        )
    }
    #[inline(always)]
    fn store_f16(self, dst: &mut [F16]) {
        for i in 0..N {
            self[i].store_f16(&mut dst[i * V::LANES..]);
        }
    }
    #[inline(always)]
    fn open_f16(self) -> u32 {
        gather::<N>(
            #[inline(always)]
            |i| self[i].open_f16() << (i * V::LANES),
        )
    }
    #[inline(always)]
    fn load_bf16(src: &[Bf16]) -> Self {
        build(
            #[inline(always)]
            |i| V::load_bf16(&src[i * V::LANES..]),
        )
    }
    #[inline(always)]
    fn store_bf16(self, dst: &mut [Bf16]) {
        for i in 0..N {
            self[i].store_bf16(&mut dst[i * V::LANES..]);
        }
    }
    #[inline(always)]
    fn open_bf16(self) -> u32 {
        gather::<N>(
            #[inline(always)]
            |i| self[i].open_bf16() << (i * V::LANES),
        )
    }
}
