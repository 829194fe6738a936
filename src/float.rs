//! The element types the library computes on, and what a pass needs of each.

/// The element types the library computes on: `f32` and `f64`. Sealed.
pub trait Float:
    Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + sealed::Kernel + 'static
{
}

impl Float for f32 {}
impl Float for f64 {}

mod sealed {
    use crate::kernel::Chunk;
    use crate::sum::{Accumulator, CompensatedLanes, Lanes};

    /// The per-element-type parts of a pass; not nameable outside the crate.
    pub trait Kernel: Sized {
        /// How sums of this type's losses are accumulated.
        type Sum: Accumulator;
        /// The value widened to `f64` (exact).
        fn widen(self) -> f64;
        /// An `f64` rounded to this type.
        fn narrow(v: f64) -> Self;
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
        fn run_chunk(chunk: Chunk<'_, f64>, total: &mut CompensatedLanes) {
            crate::kernel::run(chunk, total)
        }
    }
}
