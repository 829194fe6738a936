//! Shards of one data set (MPI ranks, say): the exact partial sum of a shard's losses, and a
//! shard's part of the gradient of the whole data set's MEAN or SUM.

use super::summed_with_gradient;
use crate::element::Float;
use crate::error::Error;
use crate::loops::SumOf;
use crate::partial::Partial;
use crate::pass::Operand;
use crate::reduction::Reduced;
use crate::sum::LeafSum;
use crate::total::Total;

/// The exact partial sum of a shard's losses: merge the shards' partials ([`Partial::merge`],
/// in any order) and finish ([`Partial::finish`]) for the MEAN or SUM over all of them. When
/// every shard starts at a multiple of [`BLOCK`](crate::BLOCK) elements of the whole data set, the result is
/// bitwise [`forward_reduced`](crate::forward_reduced)'s over it; otherwise within 2 ulp of it.
pub fn forward_partial<T: Float>(input: &[T], target: &[T]) -> Result<Partial, Error> {
    let (total, len) = super::loss_sum(input, target)?;
    Ok(counted(total, len))
}

/// One shard's part of [`forward_backward_reduced`](crate::forward_backward_reduced) over a data set of `total_len` elements:
/// writes the gradient of the MEAN over all `total_len` (or of the SUM) with respect to this
/// shard's inputs, which is bitwise what the one call over the whole data set writes for them,
/// wherever the shard starts; returns the shard's [`forward_partial`].
pub fn forward_backward_shard<'a, T: Float>(
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    total_len: usize,
    reduction: Reduced,
    grad: &mut [T],
) -> Result<Partial, Error> {
    let (input, target) = (input.into(), target.into());
    let (total, len) = summed_with_gradient(input, target, reduction, Some(total_len), grad)?;
    Ok(counted(total, len))
}

/// A pass's sum as a partial covering `len` elements.
fn counted<S: LeafSum>(total: Total<S>, len: usize) -> Partial {
    let mut p = total.partial();
    p.count = len as u64;
    p
}

impl Partial {
    /// The MEAN (over [`Partial::count`] elements) or the SUM of the losses, as type `T`:
    /// rounded once from the exact sum, as the one-process reduction is. `T` must be the type
    /// the shards computed on for that reduction's bits.
    pub fn finish<T: Float>(&self, reduction: Reduced) -> T {
        let count = self.count() as usize;
        let value = SumOf::<T>::reduce_fixed(self, reduction, count);
        T::narrow_f64(value)
    }
}
