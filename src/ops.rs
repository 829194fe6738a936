//! The operations: forward, backward, and both in one pass, for each reduction.

use crate::float::Float;
use crate::parallel::{self, Task};
use crate::partial::Partial;
use crate::pass::{Operand, Pass, Scale};
use crate::sum::Total;

/// How per-element losses are reduced to one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduced {
    /// The sum divided by the number of elements (NaN for none).
    Mean,
    /// The sum (0 for no elements).
    Sum,
}

/// Why an operation refused its arguments. Nothing has been written when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A slice's length differs from the input's.
    LengthMismatch,
    /// An [`Operand`] names an output buffer the operation does not write.
    NoSuchOutput,
    /// A shard's length exceeds the total element count given for the whole data set.
    ShardBeyondTotal,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::LengthMismatch => "a slice's length differs from the input's",
            Error::NoSuchOutput => "an operand names an output the operation does not write",
            Error::ShardBeyondTotal => "a shard holds more elements than the whole data set",
        })
    }
}

impl std::error::Error for Error {}

/// The operation's element count: the length of the first slice operand, or of the first output
/// when every operand is aliased. Every other slice must match it.
pub(crate) fn common_len<T>(
    operands: &[Operand<'_, T>],
    outputs: &[Option<usize>],
) -> Result<usize, Error> {
    let lens = operands
        .iter()
        .filter_map(|op| match op {
            Operand::Slice(s) => Some(s.len()),
            _ => None,
        })
        .chain(outputs.iter().flatten().copied());
    let mut lens = lens.peekable();
    let len = lens.peek().copied().unwrap_or(0);
    if lens.all(|l| l == len) {
        Ok(len)
    } else {
        Err(Error::LengthMismatch)
    }
}

/// Checks that every aliased operand names an output that is there.
pub(crate) fn check_aliases<T>(
    operands: &[Operand<'_, T>],
    loss: bool,
    grad: bool,
) -> Result<(), Error> {
    let ok = operands.iter().all(|op| match op {
        Operand::Slice(_) => true,
        Operand::Loss => loss,
        Operand::Grad => grad,
    });
    if ok {
        Ok(())
    } else {
        Err(Error::NoSuchOutput)
    }
}

fn reduce<T: Float>(total: Total<T::Sum>, reduction: Reduced, len: usize) -> T {
    T::narrow(total.reduce(reduction, len))
}

/// Writes each element's loss `log(1 + exp(-target[i] * input[i]))` into `loss`.
///
/// `input` or `target` may be [`Operand::Loss`]: the buffer then holds that input on entry.
pub fn forward_none<'a, T: Float>(
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    loss: &mut [T],
) -> Result<(), Error> {
    let (input, target) = (input.into(), target.into());
    let len = common_len(&[input, target], &[Some(loss.len())])?;
    check_aliases(&[input, target], true, false)?;
    T::run(Pass {
        len,
        input,
        target,
        loss: Some(loss),
        grad: None,
        scale: Scale::Times(1.0),
        sum: false,
    });
    Ok(())
}

/// The mean or the sum of the losses of `input` against `target`.
pub fn forward_reduced<T: Float>(
    input: &[T],
    target: &[T],
    reduction: Reduced,
) -> Result<T, Error> {
    let (total, len) = loss_sum(input, target)?;
    Ok(reduce::<T>(total, reduction, len))
}

/// The summed losses of `input` against `target`, and their count.
fn loss_sum<T: Float>(input: &[T], target: &[T]) -> Result<(Total<T::Sum>, usize), Error> {
    let len = common_len(&[input.into(), target.into()], &[])?;
    let total = T::run(Pass {
        len,
        input: input.into(),
        target: target.into(),
        loss: None,
        grad: None,
        scale: Scale::Times(1.0),
        sum: true,
    });
    Ok((total, len))
}

/// Writes `grad_output[i] * d loss[i] / d input[i]` into `grad_input`: the backward pass of
/// [`forward_none`].
///
/// Any operand may be [`Operand::Grad`]: the buffer then holds that input on entry.
pub fn backward_none<'a, T: Float>(
    grad_output: impl Into<Operand<'a, T>>,
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    grad_input: &mut [T],
) -> Result<(), Error> {
    let (grad_output, input, target) = (grad_output.into(), input.into(), target.into());
    let operands = [grad_output, input, target];
    let len = common_len(&operands, &[Some(grad_input.len())])?;
    check_aliases(&operands, false, true)?;
    T::run(Pass {
        len,
        input,
        target,
        loss: None,
        grad: Some(grad_input),
        scale: Scale::Each(grad_output),
        sum: false,
    });
    Ok(())
}

/// The gradient of a scaling for [`Reduced`]: `g` for SUM, `g / len` for MEAN.
fn reduced_scale<'a, T>(grad_output: f64, reduction: Reduced, len: usize) -> Scale<'a, T> {
    match reduction {
        Reduced::Sum => Scale::Times(grad_output),
        Reduced::Mean => Scale::TimesOver(grad_output, len as f64),
    }
}

/// Writes `grad_output * d loss / d input[i]` into `grad_input`, where `loss` is the reduced
/// loss of [`forward_reduced`].
///
/// `input` or `target` may be [`Operand::Grad`].
pub fn backward_reduced<'a, T: Float>(
    grad_output: T,
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    reduction: Reduced,
    grad_input: &mut [T],
) -> Result<(), Error> {
    let (input, target) = (input.into(), target.into());
    let len = common_len(&[input, target], &[Some(grad_input.len())])?;
    check_aliases(&[input, target], false, true)?;
    T::run(Pass {
        len,
        input,
        target,
        loss: None,
        grad: Some(grad_input),
        scale: reduced_scale(grad_output.widen(), reduction, len),
        sum: false,
    });
    Ok(())
}

/// [`forward_none`] and the gradient for a `grad_output` of ones, in one pass.
///
/// `input` or `target` may be [`Operand::Loss`] or [`Operand::Grad`].
pub fn forward_backward_none<'a, T: Float>(
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    loss: &mut [T],
    grad: &mut [T],
) -> Result<(), Error> {
    let (input, target) = (input.into(), target.into());
    let len = common_len(&[input, target], &[Some(loss.len()), Some(grad.len())])?;
    check_aliases(&[input, target], true, true)?;
    T::run(Pass {
        len,
        input,
        target,
        loss: Some(loss),
        grad: Some(grad),
        scale: Scale::Times(1.0),
        sum: false,
    });
    Ok(())
}

/// [`forward_reduced`] and the gradient of that reduced loss, in one pass. Returns the loss.
///
/// `input` or `target` may be [`Operand::Grad`].
pub fn forward_backward_reduced<'a, T: Float>(
    input: impl Into<Operand<'a, T>>,
    target: impl Into<Operand<'a, T>>,
    reduction: Reduced,
    grad: &mut [T],
) -> Result<T, Error> {
    let (total, len) = summed_with_gradient(input.into(), target.into(), reduction, None, grad)?;
    Ok(reduce::<T>(total, reduction, len))
}

/// The summed losses and their count, with the gradient of the MEAN over `total_len` elements
/// (the call's own count for `None`) or of the SUM written into `grad`.
fn summed_with_gradient<T: Float>(
    input: Operand<'_, T>,
    target: Operand<'_, T>,
    reduction: Reduced,
    total_len: Option<usize>,
    grad: &mut [T],
) -> Result<(Total<T::Sum>, usize), Error> {
    let len = common_len(&[input, target], &[Some(grad.len())])?;
    check_aliases(&[input, target], false, true)?;
    let total_len = total_len.unwrap_or(len);
    if total_len < len {
        return Err(Error::ShardBeyondTotal);
    }
    let total = T::run(Pass {
        len,
        input,
        target,
        loss: None,
        grad: Some(grad),
        scale: reduced_scale(1.0, reduction, total_len),
        sum: true,
    });
    Ok((total, len))
}

/// The exact partial sum of a shard's losses: merge the shards' partials ([`Partial::merge`],
/// in any order) and finish ([`Partial::finish`]) for the MEAN or SUM over all of them. When
/// every shard starts at a multiple of [`BLOCK`](crate::BLOCK) elements of the whole data set, the result is
/// bitwise [`forward_reduced`]'s over it; otherwise within 2 ulp of it.
pub fn forward_partial<T: Float>(input: &[T], target: &[T]) -> Result<Partial, Error> {
    let (total, len) = loss_sum(input, target)?;
    Ok(counted(total, len))
}

/// One shard's part of [`forward_backward_reduced`] over a data set of `total_len` elements:
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
fn counted<S: crate::sum::LeafSum>(total: Total<S>, len: usize) -> Partial {
    let mut p = total.partial();
    p.count = len as u64;
    p
}

/// The index of the first target that is not exactly -1 or +1 (NaN included), if any.
pub fn first_invalid_target<T: Float>(target: &[T]) -> Option<usize> {
    parallel::run(TargetScan { target, offset: 0 })
}

struct TargetScan<'a, T> {
    target: &'a [T],
    offset: usize,
}

impl<T: Float> Task for TargetScan<'_, T> {
    type Out = Option<usize>;

    fn len(&self) -> usize {
        self.target.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.target.split_at(mid);
        (
            TargetScan {
                target: a,
                offset: self.offset,
            },
            TargetScan {
                target: b,
                offset: self.offset + mid,
            },
        )
    }

    fn leaf(self) -> Option<usize> {
        self.target
            .iter()
            .position(|&y| {
                let y = y.widen();
                y != 1.0 && y != -1.0
            })
            .map(|i| self.offset + i)
    }

    fn merge(earlier: Option<usize>, later: Option<usize>) -> Option<usize> {
        earlier.or(later)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_must_agree() {
        let (x, y) = ([0.5f32, 1.0], [1.0f32]);
        let mut out = [0.0f32; 2];
        assert_eq!(
            forward_none(&x[..], &y[..], &mut out),
            Err(Error::LengthMismatch)
        );
        assert_eq!(
            forward_reduced(&x, &y, Reduced::Sum),
            Err(Error::LengthMismatch)
        );
        assert_eq!(out, [0.0; 2]);
    }

    #[test]
    fn aliases_must_name_an_output_of_the_operation() {
        let y = [1.0f64; 3];
        let mut out = [7.0f64; 3];
        assert_eq!(
            forward_none(Operand::Grad, &y[..], &mut out),
            Err(Error::NoSuchOutput)
        );
        assert_eq!(
            backward_reduced(1.0, Operand::Loss, &y[..], Reduced::Sum, &mut out),
            Err(Error::NoSuchOutput)
        );
        assert_eq!(out, [7.0; 3]);
    }

    #[test]
    fn in_place_equals_out_of_place() {
        let n = 3 * 256 + 7;
        let x: Vec<f32> = (0..n).map(|i| (i as f32 - 400.0) * 0.37).collect();
        let y: Vec<f32> = (0..n)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        let mut expected = vec![0.0; n];
        forward_none(&x[..], &y[..], &mut expected).unwrap();
        let mut buf = x.clone();
        forward_none(Operand::Loss, &y[..], &mut buf).unwrap();
        assert_eq!(buf, expected);

        let mut expected_grad = vec![0.0; n];
        backward_none(&y[..], &x[..], &y[..], &mut expected_grad).unwrap();
        let mut buf = y.clone();
        backward_none(Operand::Grad, &x[..], Operand::Grad, &mut buf).unwrap();
        assert_eq!(buf, expected_grad);
    }

    #[test]
    fn first_invalid_target_finds_the_first() {
        let mut y = vec![1.0f64; 100_000];
        assert_eq!(first_invalid_target(&y), None);
        y[70_000] = 0.0;
        y[90_000] = f64::NAN;
        assert_eq!(first_invalid_target(&y), Some(70_000));
        y[5] = f64::NAN;
        assert_eq!(first_invalid_target(&y), Some(5));
        assert_eq!(first_invalid_target::<f32>(&[]), None);
    }
}
