//! The element types the library computes on, and what a pass needs of each.

use crate::half::{Bf16, F16};

/// The element types the library computes on: `f32`, `f64`, and the half-precision [`F16`]
/// and [`Bf16`], which are computed through `f32` and rounded once. Sealed.
pub trait Float:
    Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + sealed::Kernel + 'static
{
}

impl Float for f32 {}
impl Float for f64 {}
impl Float for F16 {}
impl Float for Bf16 {}

pub(crate) use sealed::Native;

mod sealed {
    use crate::half::{Bf16, HalfPass, F16};
    use crate::kernel::Chunk;
    use crate::parallel;
    use crate::pass::Pass;
    use crate::sum::{CompensatedLanes, Lanes, LeafSum, Total};

    /// The per-element-type parts of an operation; not nameable outside the crate.
    pub trait Kernel: Sized {
        /// How sums of this type's losses are accumulated.
        type Sum: LeafSum;
        /// The value widened to `f64` (exact).
        fn widen(self) -> f64;
        /// An `f64` rounded to this type (once).
        fn narrow(v: f64) -> Self;
        /// Runs a pass over the block tree.
        fn run(pass: Pass<'_, Self>) -> Total<Self::Sum>;
        /// A leaf of `crate::hessian`: the gradient and second derivative of each element,
        /// divided by `mean_len` when given.
        fn derivatives(
            x: &[Self],
            y: &[Self],
            grad: &mut [Self],
            hessian: &mut [Self],
            mean_len: Option<f64>,
        ) where
            Self: crate::float::Float,
        {
            crate::hessian::exact_leaf(x, y, grad, hessian, mean_len);
        }
    }

    /// The types the kernels compute on directly.
    pub trait Native: Kernel {
        /// Runs one chunk of a pass, adding its losses to `total` when the pass sums.
        fn run_chunk(chunk: Chunk<'_, Self>, total: &mut Self::Sum);
    }

    impl Kernel for f32 {
        type Sum = Lanes;
        #[inline(always)]
        fn widen(self) -> f64 {
            f64::from(self)
        }
        #[inline(always)]
        fn narrow(v: f64) -> Self {
            v as f32
        }
        fn run(pass: Pass<'_, f32>) -> Total<Lanes> {
            parallel::run(pass)
        }
        fn derivatives(
            x: &[f32],
            y: &[f32],
            grad: &mut [f32],
            hessian: &mut [f32],
            mean_len: Option<f64>,
        ) {
            crate::hessian::fast_leaf_f32(x, y, grad, hessian, mean_len);
        }
    }

    impl Native for f32 {
        fn run_chunk(chunk: Chunk<'_, f32>, total: &mut Lanes) {
            crate::kernel::run(chunk, total)
        }
    }

    impl Kernel for f64 {
        type Sum = CompensatedLanes;
        #[inline(always)]
        fn widen(self) -> f64 {
            self
        }
        #[inline(always)]
        fn narrow(v: f64) -> Self {
            v
        }
        fn run(pass: Pass<'_, f64>) -> Total<CompensatedLanes> {
            parallel::run(pass)
        }
    }

    impl Native for f64 {
        fn run_chunk(chunk: Chunk<'_, f64>, total: &mut CompensatedLanes) {
            crate::kernel::run(chunk, total)
        }
    }

    macro_rules! half_kernel {
        ($t:ty) => {
            impl Kernel for $t {
                type Sum = Lanes;
                #[inline(always)]
                fn widen(self) -> f64 {
                    f64::from(self.to_f32())
                }
                #[inline(always)]
                fn narrow(v: f64) -> Self {
                    crate::half::narrow_f64(v)
                }
                fn run(pass: Pass<'_, $t>) -> Total<Lanes> {
                    parallel::run(HalfPass(pass))
                }
            }
        };
    }
    half_kernel!(F16);
    half_kernel!(Bf16);
}
