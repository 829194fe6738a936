//! Each instruction-set path's lane types, and the one place that picks a path: work is
//! written once, generic over [`Path`], and [`dispatch`] runs it compiled for the selected
//! path's instructions (pulp's `Arch::dispatch`).

use super::isa::{isa, Isa};
use super::portable::{Scalar, Scalar32};
#[cfg(target_arch = "x86_64")]
use super::{avx2, avx512};
use super::{Vector, VectorF32};

/// Elements in a group of the element loops: every path's bundles hold this many lanes (the
/// [`One`] path's, one), so that a group covers the same elements on every path.
pub(crate) const GROUP: usize = 16;

/// A path's lane types, as the element loops take them: bundles of [`GROUP`] lanes (pulp's
/// `Simd` in miniature), or one lane for [`One`]. Only [`dispatch`] names a vector path, after
/// detection.
pub trait Path {
    /// `f64` lanes.
    type F64: Vector;
    /// `f32` lanes, with their `f64` widening.
    type F32: VectorF32;
    /// Whether a leaf's last elements go as one padded group (vector paths) or one at a time.
    const PAD: bool;
}

/// One element at a time: the lanes of a leaf's last few elements on every path, and the
/// portable path's reference for a single element.
pub(crate) struct One;

impl Path for One {
    type F64 = Scalar;
    type F32 = Scalar32;
    const PAD: bool = false;
}

/// Two groups of a path's lanes side by side.
pub(crate) struct Twice<P>(P);

impl<P: Path> Path for Twice<P> {
    type F64 = [P::F64; 2];
    type F32 = [P::F32; 2];
    const PAD: bool = P::PAD;
}

/// Sixteen lanes of plain Rust.
pub(crate) struct Portable;

impl Path for Portable {
    type F64 = [Scalar; GROUP];
    type F32 = [Scalar32; GROUP];
    const PAD: bool = false;
}

/// Four `f64` or eight `f32` lanes per vector: four and two vectors in flight.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Path for Avx2 {
    type F64 = [avx2::Avx2; 4];
    type F32 = [avx2::Avx2F32; 2];
    const PAD: bool = true;
}

/// Eight `f64` or sixteen `f32` lanes per vector: two and one vectors in flight.
#[cfg(target_arch = "x86_64")]
pub(crate) struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Path for Avx512 {
    type F64 = [avx512::Avx512; 2];
    type F32 = avx512::Avx512F32;
    const PAD: bool = true;
}

/// Work that runs on one path, compiled for that path's instructions.
pub(crate) trait OnPath {
    type Out;
    /// Runs on path `P`; must be `#[inline(always)]`, so that it is compiled into the path's
    /// entry function with that path's instructions.
    fn on<P: Path>(self) -> Self::Out;
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

/// The portable path on a CPU without FMA: out of line like the entries above, so that
/// [`run_unchecked`]'s own frame holds no path's locals (a thread's stack then holds one
/// path's frame per call, not two).
#[inline(never)]
fn on_portable<W: OnPath>(work: W) -> W::Out {
    work.on::<Portable>()
}

/// Runs work on path `isa`: the one place that matches on the instruction set.
///
/// # Safety
/// The CPU must support `isa`.
unsafe fn run_unchecked<W: OnPath>(isa: Isa, work: W) -> W::Out {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports the path (the caller's contract).
        Isa::Avx512 => unsafe { on_avx512(work) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Isa::Avx2 => unsafe { on_avx2(work) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU supports FMA, as just checked.
        _ if is_x86_feature_detected!("fma") => unsafe { on_portable_fma(work) },
        _ => on_portable(work),
    }
}

/// Runs work on path `isa`, or returns `None` where this CPU does not support it (for tests
/// that compare the paths).
#[cfg(test)]
pub(crate) fn run_on<W: OnPath>(isa: Isa, work: W) -> Option<W::Out> {
    // SAFETY: the CPU supports the path, as checked first.
    isa.is_supported()
        .then(|| unsafe { run_unchecked(isa, work) })
}

/// Runs work on the selected path.
#[inline]
pub(crate) fn dispatch<W: OnPath>(work: W) -> W::Out {
    // SAFETY: `isa()` only ever selects a path the CPU supports.
    unsafe { run_unchecked(isa(), work) }
}
