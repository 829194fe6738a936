//! The public operations: forward, backward, both in one pass, and both derivatives, for each
//! reduction and every element type. Each checks its arguments and describes one [`Pass`]; the
//! engine runs it.
//!
//! - [`shards`]: the exact partial sums of shards of a data set, and the shard's gradient.
//! - [`targets`]: the check of the targets.

mod shards;
mod targets;

pub use shards::{forward_backward_shard, forward_partial};
pub use targets::first_invalid_target;

use crate::element::Float;
use crate::error::Error;
use crate::kernel::factor::Factor;
use crate::loops::SumOf;
use crate::pass::{Operand, Pass};
use crate::reduction::Reduced;
use crate::total::Total;

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

/// The reduced value of a pass's sum, rounded once to `T`.
fn reduce<T: Float>(total: Total<SumOf<T>>, reduction: Reduced, len: usize) -> T {
    T::narrow_f64(total.reduce(reduction, len))
}

/// The gradient's factor for a reduction: `g` for SUM, `g / len` for MEAN.
fn reduced_factor(g: f64, reduction: Reduced, len: usize) -> Factor {
    match reduction {
        Reduced::Sum => Factor::Times(g),
        Reduced::Mean => Factor::Over(g, len as f64),
    }
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
    T::evaluate_pass(Pass {
        loss: Some(loss),
        ..Pass::new(len, input, target)
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
fn loss_sum<T: Float>(input: &[T], target: &[T]) -> Result<(Total<SumOf<T>>, usize), Error> {
    let len = common_len(&[input.into(), target.into()], &[])?;
    let total = T::evaluate_pass(Pass {
        sum: true,
        ..Pass::new(len, input.into(), target.into())
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
    T::evaluate_pass(Pass {
        each: Some(grad_output),
        grad: Some(grad_input),
        factor: Factor::Each,
        ..Pass::new(len, input, target)
    });
    Ok(())
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
    T::evaluate_pass(Pass {
        grad: Some(grad_input),
        factor: reduced_factor(grad_output.widen_f64(), reduction, len),
        ..Pass::new(len, input, target)
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
    T::evaluate_pass(Pass {
        loss: Some(loss),
        grad: Some(grad),
        ..Pass::new(len, input, target)
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
) -> Result<(Total<SumOf<T>>, usize), Error> {
    let len = common_len(&[input, target], &[Some(grad.len())])?;
    check_aliases(&[input, target], false, true)?;
    let total_len = total_len.unwrap_or(len);
    if total_len < len {
        return Err(Error::ShardBeyondTotal);
    }
    let total = T::evaluate_pass(Pass {
        grad: Some(grad),
        factor: reduced_factor(1.0, reduction, total_len),
        sum: true,
        ..Pass::new(len, input, target)
    });
    Ok((total, len))
}

/// Writes `grad[i] = c (-y sigmoid(m))` and `hessian[i] = c y^2 sigmoid(m) sigmoid(-m)`, with
/// `m = -target[i] input[i]`: the first and second derivatives, with respect to `input[i]`, of
/// the losses reduced by `reduction` (`None`: each element's own loss, `c = 1`; `Sum`: `c = 1`;
/// `Mean`: `c = 1 / len`).
pub fn gradient_hessian<T: Float>(
    input: &[T],
    target: &[T],
    reduction: Option<Reduced>,
    grad: &mut [T],
    hessian: &mut [T],
) -> Result<(), Error> {
    let len = common_len(
        &[Operand::Slice(input), Operand::Slice(target)],
        &[Some(grad.len()), Some(hessian.len())],
    )?;
    T::evaluate_pass(Pass {
        grad: Some(grad),
        second: Some(hessian),
        factor: match reduction {
            Some(Reduced::Mean) => Factor::Over(1.0, len as f64),
            _ => Factor::Times(1.0),
        },
        ..Pass::new(len, input.into(), target.into())
    });
    Ok(())
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
