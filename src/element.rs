//! The element types: a row of the engine's tables for each of `f32`, `f64`, [`F16`] and
//! [`Bf16`]. A row names the type's compute type and says how its values widen into lanes of
//! it and narrow back, which narrowings are open, and how the exact kernel's results round to
//! it; the engine does the rest. A new storage type is a new row, not a new engine. Each
//! type's pass evaluation ([`Float::evaluate_pass`]) is a plain function here, so the engine is
//! compiled in this crate once per type, not again in every crate calling the operations.
//!
//! `f32` data computes in `f64` lanes through the bounded kernel, whose losses and gradients
//! come as the ends of an interval that holds the exact value: where both ends round to one
//! `f32`, that is the correctly rounded value; the few others (about one in four million) are
//! computed again by the precise kernel, rounded once ([`crate::kernel::precise`]).
//!
//! The 16-bit types compute through `f32` (every value of theirs is an `f32`, and so is the
//! margin `-y x` of two, a product of two 11- or 8-bit significands). Rounding an `f32` result
//! to them again would be a double rounding, which differs from the correctly rounded value
//! where the `f32` result lies near a midpoint of two 16-bit values; so each result is tested
//! on its way out ([`VectorF32::open_f16`], [`VectorF32::open_bf16`]): the `f32` kernels are
//! within 2 ulp of the correctly rounded value, and where no 16-bit rounding boundary lies that
//! close the `f32` result rounds as the exact value does. The few that are open (about 1 in 700
//! for `f16`, 1 in 5,000 for `bf16`) are computed again in double-double, rounded to odd in
//! `f32` and then to the 16-bit type: a single correct rounding.

use crate::half::{Bf16, F16};
use crate::kernel::exact::point;
use crate::kernel::factor::{Factor, Split};
use crate::kernel::precise;
use crate::kernel::round::round_to_odd;
use crate::kernel::second::ExactSecond;
use crate::kernel::second_dd::double_data_exact;
use crate::loops::{LanesOf, Storage, SumOf};
use crate::pass::Pass;
use crate::simd::portable::Scalar;
use crate::simd::{open_bf16, open_f16, Path, Simd, VectorF32};
use crate::total::Total;
use crate::tree::evaluate;

/// The element types the library computes on: `f32`, `f64`, and the half-precision [`F16`]
/// and [`Bf16`], which are computed through `f32` and rounded once. Sealed.
pub trait Float: Storage + PartialEq + sealed::Sealed {
    /// Runs a pass block by block. Each type's is a plain function of this crate, so the
    /// engine is compiled here once per type; a generic call would compile it again in every
    /// crate that calls the operations. Not part of the API (its types are the crate's own).
    #[doc(hidden)]
    fn evaluate_pass(pass: Pass<'_, Self>) -> Total<SumOf<Self>>;
}

/// The engine for each element type, compiled in this crate.
macro_rules! float_rows {
    ($($t:ty),*) => {
        $(
            impl Float for $t {
                #[inline(never)]
                fn evaluate_pass(pass: Pass<'_, $t>) -> Total<SumOf<$t>> {
                    evaluate(pass)
                }
            }
        )*
    };
}

float_rows!(f32, f64, F16, Bf16);

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
    impl Sealed for super::F16 {}
    impl Sealed for super::Bf16 {}
}

/// The lanes (bit `i` for lane `i`) where two bundles differ in any bit.
#[inline(always)]
fn differ<V: Simd>(same: V::Mask) -> u32 {
    !V::bits(same) & V::ALL_LANES
}

impl Storage for f32 {
    type Compute = f32;
    const ONE: f32 = 1.0;
    // Not measured paired: pairing every type's loops made the release build pass 15
    // CPU-minutes.
    const PAIRED: bool = false;
    const BOUNDED: bool = true;
    const LOOP_PER_SUM: bool = false;

    #[inline(always)]
    fn load<P: Path>(src: &[f32]) -> P::F32 {
        P::F32::load(src)
    }
    #[inline(always)]
    fn store<P: Path>(v: P::F32, dst: &mut [f32]) -> u32 {
        v.store(dst);
        0
    }
    #[inline(always)]
    fn store_bounded<P: Path>(lo: P::F32, hi: P::F32, dst: &mut [f32]) -> u32 {
        lo.store(dst);
        differ::<P::F32>(lo.same_bits(hi))
    }
    fn widen(self) -> f32 {
        self
    }
    fn narrow(v: f32) -> (f32, bool) {
        // Only the lanes of infinite and NaN margins come here (the bounded kernel takes the
        // rest): their limits come from the exact kernels, rounded once.
        (v, true)
    }
    fn widen_f64(self) -> f64 {
        f64::from(self)
    }
    fn narrow_f64(v: f64) -> f32 {
        v as f32
    }
    fn exact_loss(x: f32, y: f32) -> f32 {
        let (x, y) = (f64::from(x), f64::from(y));
        if x.is_nan() || y.is_nan() {
            return f32::NAN;
        }
        precise::loss(x, y)
    }
    fn exact_grad(x: f32, y: f32, f: Split<Scalar>) -> f32 {
        let (x, y) = (f64::from(x), f64::from(y));
        if y.is_finite() && !x.is_nan() && f.is_finite() {
            precise::grad(x, y, f)
        } else {
            // The limits of infinite targets and factors, and NaN.
            point(Scalar(x), Scalar(y)).slope.times(f).0 as f32
        }
    }
    fn exact_second(x: f32, y: f32, f: Factor) -> (f32, f32) {
        let (g, h) = ExactSecond::new(f64::from(x), f64::from(y), f.split(1.0)).rounded();
        (g as f32, h as f32)
    }
}

impl Storage for f64 {
    type Compute = f64;
    const ONE: f64 = 1.0;
    const PAIRED: bool = false;
    const BOUNDED: bool = false;
    const LOOP_PER_SUM: bool = true;

    #[inline(always)]
    fn load<P: Path>(src: &[f64]) -> P::F64 {
        P::F64::load(src)
    }
    #[inline(always)]
    fn store<P: Path>(v: P::F64, dst: &mut [f64]) -> u32 {
        v.store(dst);
        0
    }
    #[inline(always)]
    fn store_bounded<P: Path>(lo: P::F64, hi: P::F64, dst: &mut [f64]) -> u32 {
        lo.store(dst);
        // Equal values of the same sign: the same bits (the bounds are never NaN where the
        // kernel leaves them decided).
        let same = P::F64::and(lo.ge(hi), hi.ge(lo));
        differ::<P::F64>(same)
    }
    fn widen(self) -> f64 {
        self
    }
    fn narrow(v: f64) -> (f64, bool) {
        (v, false)
    }
    fn widen_f64(self) -> f64 {
        self
    }
    fn narrow_f64(v: f64) -> f64 {
        v
    }
    fn exact_loss(x: f64, y: f64) -> f64 {
        point(Scalar(x), Scalar(y)).loss.0
    }
    fn exact_grad(x: f64, y: f64, f: Split<Scalar>) -> f64 {
        point(Scalar(x), Scalar(y)).slope.times(f).0
    }
    fn exact_second(x: f64, y: f64, f: Factor) -> (f64, f64) {
        // The double-double kernel of the fast path at about 2^-96 where it reaches; the exact
        // kernel's beyond (margins over 300 in size, extreme targets, infinities and NaN).
        f.second_f64()
            .and_then(|c| double_data_exact(x, y, c))
            .unwrap_or_else(|| ExactSecond::new(x, y, f.split(1.0)).rounded_once())
    }
}

/// The exact kernel's loss of one element, rounded once to a 16-bit format by `round`.
fn half_loss<H>(x: f32, y: f32, round: fn(f32) -> H) -> H {
    let p = point(Scalar(f64::from(x)), Scalar(f64::from(y)));
    // The exact loss is above max(m, 0) + its double-double part: where that part vanished
    // (log1p(exp(-|m|)) below 2^-106 of the margin), round as for a value just above.
    let lo = if p.loss_err.0 == 0.0 {
        f64::from_bits(1)
    } else {
        p.loss_err.0
    };
    round(round_to_odd(p.loss.0, lo))
}

/// The exact kernel's gradient of one element for the factor `f`, rounded once to a 16-bit
/// format by `round`.
fn half_grad<H>(x: f32, y: f32, f: Split<Scalar>, round: fn(f32) -> H) -> H {
    let (xd, yd) = (f64::from(x), f64::from(y));
    let exact = point(Scalar(xd), Scalar(yd)).slope.times(f).0;
    // Where the margin m is tiny, sigmoid(m) = 1/2 + m/4 and the rounded product can sit
    // exactly on a midpoint (-y/2 for a subnormal target): the exact value is then beyond it,
    // in magnitude, when m > 0, and short of it when m < 0 (m = 0 is a true tie). Elsewhere
    // such a tie does not occur, and the nudge, far below any rounding, changes nothing.
    let m = -yd * xd;
    let nudge = if m == 0.0 || exact == 0.0 {
        0.0
    } else {
        f64::from_bits(1).copysign(exact * m)
    };
    round(round_to_odd(exact, nudge))
}

/// The exact kernel's two derivatives of one element, each rounded once by `round`.
fn half_second<H>(x: f32, y: f32, f: Factor, round: fn(f32) -> H) -> (H, H) {
    let (g, h) = ExactSecond::new(f64::from(x), f64::from(y), f.split(1.0)).odd();
    (round(g), round(h))
}

/// The rows of the 16-bit types: the same calls with their own loads, stores and tests.
macro_rules! half_row {
    ($t:ty, $one:literal, $load:ident, $store:ident, $open:ident) => {
        impl Storage for $t {
            type Compute = f32;
            const ONE: $t = <$t>::from_bits($one);
            // Measured at 4M elements, 2 threads, avx512: forward NONE 1.05-1.09x,
            // backward NONE 1.07-1.19x, forward_backward NONE 1.16-1.21x as fast.
            const PAIRED: bool = true;
            const BOUNDED: bool = false;
            const LOOP_PER_SUM: bool = false;

            #[inline(always)]
            fn load<P: Path>(src: &[$t]) -> P::F32 {
                P::F32::$load(src)
            }
            #[inline(always)]
            fn store<P: Path>(v: P::F32, dst: &mut [$t]) -> u32 {
                v.$store(dst);
                v.$open()
            }
            #[inline(always)]
            fn store_bounded<P: Path>(lo: LanesOf<Self, P>, _: P::F32, dst: &mut [$t]) -> u32 {
                // Each bound is within an `f32` ulp of the exact value: well inside the window.
                Self::store::<P>(lo, dst)
            }
            fn widen(self) -> f32 {
                self.to_f32()
            }
            fn narrow(v: f32) -> ($t, bool) {
                (<$t>::from_f32(v), $open(v))
            }
            fn widen_f64(self) -> f64 {
                f64::from(self.to_f32())
            }
            fn narrow_f64(v: f64) -> $t {
                <$t>::from_f32(round_to_odd(v, 0.0))
            }
            fn exact_loss(x: f32, y: f32) -> $t {
                half_loss(x, y, <$t>::from_f32)
            }
            fn exact_grad(x: f32, y: f32, f: Split<Scalar>) -> $t {
                half_grad(x, y, f, <$t>::from_f32)
            }
            fn exact_second(x: f32, y: f32, f: Factor) -> ($t, $t) {
                half_second(x, y, f, <$t>::from_f32)
            }
        }
    };
}

half_row!(F16, 0x3c00, load_f16, store_f16, open_f16);
half_row!(Bf16, 0x3f80, load_bf16, store_bf16, open_bf16);
