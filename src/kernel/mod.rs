//! The kernels: the loss and its gradient for chunks of elements, on every instruction-set path.
//!
//! A reader finds each concept in its own file:
//!
//! - [`chunk`]: what a kernel runs on.
//! - [`loops`]: the element loops, one per element type, written once for every path: they
//!   load vectors of elements, call the fast kernel, send the lanes outside its range to the
//!   kernel for every input, store the results and add the losses to the sums.
//! - [`fast`]: the fast kernel, for the inputs that cover nearly all real data (margins up to
//!   64 in size), in lanes of the element type with double-length arithmetic, written once for
//!   both types.
//! - [`wide`] and [`exact`]: the kernels for every input, of `f32` data (in `f64` lanes) and of
//!   `f64` data (in double-double), with the limits of infinite and NaN inputs.
//! - [`factor`]: how the gradient's factor enters with one rounding.
//! - [`poly`] and [`eft`]: the polynomials and the error-free transforms they are built of.
//! - [`path`]: each instruction-set path's lane types.
//! - this file: the dispatch, the one place that picks a path.
//!
//! Every kernel is branch-free and written against the lane traits of [`crate::simd`], so each
//! lane gets the same IEEE operations on every path: results are bitwise the same on all.

mod chunk;
mod eft;
mod exact;
mod factor;
mod fast;
mod loops;
pub(crate) mod poly;
mod wide;

mod path;

pub(crate) use chunk::{Chunk, GradScale};
pub(crate) use factor::{canonical_nan, Factor};
pub(crate) use path::Path;

/// The double-double loss and slope of one `f64` element, as the exact kernel computes them:
/// for results that must be rounded to a narrower type with care (`crate::half`).
pub(crate) fn exact_point(x: f64, y: f64) -> exact::Point<simd::portable::Scalar> {
    exact::point(simd::portable::Scalar(x), simd::portable::Scalar(y))
}

use crate::simd::{self, Isa};
use crate::sum::{CompensatedLanes, Lanes};
use path::Portable;
#[cfg(target_arch = "x86_64")]
use path::{Avx2, Avx512};

/// The element loops of one element type, for any path.
pub(crate) trait Loops: Sized {
    /// How the chunk's losses are summed.
    type Sum;
    /// Runs a chunk on path `P`.
    fn chunk<P: Path>(c: Chunk<'_, Self>, total: &mut Self::Sum);
}

impl Loops for f32 {
    type Sum = Lanes;
    #[inline(always)]
    fn chunk<P: Path>(c: Chunk<'_, f32>, total: &mut Lanes) {
        loops::chunk_f32::<P>(c, total)
    }
}

impl Loops for f64 {
    type Sum = CompensatedLanes;
    #[inline(always)]
    fn chunk<P: Path>(c: Chunk<'_, f64>, total: &mut CompensatedLanes) {
        loops::chunk_f64::<P>(c, total)
    }
}

/// Work that runs on one path, compiled for that path's instructions: a chunk through the
/// element loops ([`ChunkRun`]), or any other loop that should be (`crate::half`'s conversions).
pub(crate) trait OnPath {
    type Out;
    /// Runs on path `P`; must be `#[inline(always)]`, so that it is compiled into the path's
    /// entry function with that path's instructions.
    fn on<P: Path>(self) -> Self::Out;
}

/// A chunk run through the element loops of its type.
struct ChunkRun<'c, 't, T: Loops> {
    chunk: Chunk<'c, T>,
    total: &'t mut T::Sum,
}

impl<T: Loops> OnPath for ChunkRun<'_, '_, T> {
    type Out = ();
    #[inline(always)]
    fn on<P: Path>(self) {
        T::chunk::<P>(self.chunk, self.total)
    }
}

/// For each path, a function compiled for its instructions that runs work on it.
macro_rules! path_entry {
    ($(#[$cfg:meta])* $name:ident, $path:ty, $features:literal) => {
        /// # Safety
        #[doc = concat!("The CPU must support ", $features, ".")]
        $(#[$cfg])*
        #[target_feature(enable = $features)]
        unsafe fn $name<W: OnPath>(work: W) -> W::Out {
            work.on::<$path>()
        }
    };
}

path_entry!(
    #[cfg(target_arch = "x86_64")]
    on_avx512,
    Avx512,
    "avx512f,avx512vl,avx512dq,avx512bw,avx2,fma,f16c"
);
path_entry!(
    #[cfg(target_arch = "x86_64")]
    on_avx2,
    Avx2,
    "avx2,fma,f16c"
);
// The portable path with FMA instructions where the CPU has them (`mul_add` is otherwise a libm
// call; the results are the same).
path_entry!(
    #[cfg(target_arch = "x86_64")]
    on_portable_fma,
    Portable,
    "fma"
);

/// Runs work on the selected path: the one place that matches on the instruction set.
pub(crate) fn dispatch<W: OnPath>(work: W) -> W::Out {
    match simd::isa() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx512 only when the CPU supports all it needs.
        Isa::Avx512 => unsafe { on_avx512(work) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `isa()` returns Avx2 only when the CPU supports AVX2, FMA and F16C.
        Isa::Avx2 => unsafe { on_avx2(work) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports FMA, as just checked.
        _ if is_x86_feature_detected!("fma") => unsafe { on_portable_fma(work) },
        _ => work.on::<Portable>(),
    }
}

/// Runs a chunk on the selected path.
pub(crate) fn run<T: Loops>(chunk: Chunk<'_, T>, total: &mut T::Sum) {
    dispatch(ChunkRun { chunk, total })
}
