//! What the element loop needs of a storage type (the type of the caller's buffers): its
//! compute type, how its values become lanes of that type and back (a widening and a
//! narrowing, as Highway's `PromoteTo` and `DemoteTo`), which narrowings are open, and the
//! exact results of the elements whose narrowing is. The rows for `f32`, `f64` and the 16-bit
//! types are `crate::element`'s.

use super::compute::Compute;
use crate::kernel::factor::{Factor, Split};
use crate::simd::portable::Scalar;
use crate::simd::Path;

/// A path's lanes of the compute type of `S`.
pub(crate) type LanesOf<S, P> = <<S as Storage>::Compute as Compute>::Lanes<P>;

/// A storage type. (Public in name only: the crate's sealed element trait extends it.)
pub trait Storage: Copy + Default + Send + Sync + std::fmt::Debug + 'static {
    /// The type the kernels compute on.
    type Compute: Compute;
    /// The value 1 (the padding of a group's target and factor).
    const ONE: Self;
    /// Whether the fast kernel's passes that do not sum go two groups at a time on vector
    /// paths, as the second derivative does: a group's narrowing and open test then overlap
    /// the next group's kernels.
    const PAIRED: bool;
    /// Whether the compute type's kernels give this type's losses and gradients as the ends of
    /// an interval that holds the exact value ([`crate::kernel::bounded`]), stored by
    /// [`Storage::store_bounded`]: correct rounding, with the open lanes computed again.
    const BOUNDED: bool;
    /// Whether the loop over a chunk's full groups is compiled twice where losses are
    /// computed, once summing them and once not (a constant in each): the loop that does not
    /// sum then carries no lane sums, at the cost of a second copy of the kernels in the build.
    const LOOP_PER_SUM: bool;

    /// The first lanes' worth of `src`, widened (exactly).
    fn load<P: Path>(src: &[Self]) -> LanesOf<Self, P>;
    /// Stores `v` narrowed into the first lanes' worth of `dst`; returns the lanes whose
    /// narrowing is open (bit `i` for lane `i`): where the exact value a lane approximates, a
    /// result of the fast or the wide kernel, may narrow otherwise than the lane does.
    fn store<P: Path>(v: LanesOf<Self, P>, dst: &mut [Self]) -> u32;
    /// Stores results known to lie between `lo` and `hi` (each within an ulp of the compute
    /// type of the exact value, which lies between them), narrowed; returns the open lanes:
    /// those where the narrowings of `lo` and `hi` may differ.
    fn store_bounded<P: Path>(lo: LanesOf<Self, P>, hi: LanesOf<Self, P>, dst: &mut [Self]) -> u32;

    /// One value widened (exactly).
    fn widen(self) -> Self::Compute;
    /// One value of the compute type narrowed, and whether that narrowing is open (as for
    /// [`Storage::store`]).
    fn narrow(v: Self::Compute) -> (Self, bool);
    /// The value as an `f64` (exact).
    fn widen_f64(self) -> f64;
    /// `v` rounded once to this type.
    fn narrow_f64(v: f64) -> Self;

    /// The exact kernel's loss of one element, narrowed: the value for a lane whose narrowing
    /// is open.
    fn exact_loss(x: Self::Compute, y: Self::Compute) -> Self;
    /// The exact kernel's gradient of one element for the factor `f`, narrowed.
    fn exact_grad(x: Self::Compute, y: Self::Compute, f: Split<Scalar>) -> Self;
    /// The exact kernel's gradient and second derivative of one element for the factor `f`
    /// (one for all elements).
    fn exact_second(x: Self::Compute, y: Self::Compute, f: Factor) -> (Self, Self);
}
