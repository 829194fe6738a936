//! The pass description: what one pass over the elements reads, computes and writes. Every
//! operation of the crate is one [`Pass`], run block by block by the leaf driver
//! (`crate::leaf`).

use crate::kernel::factor::Factor;

/// Where an input of an operation comes from.
#[derive(Debug)]
pub enum Operand<'a, T> {
    /// A buffer of its own, as long as the operation's input.
    Slice(&'a [T]),
    /// The loss output buffer: it holds this input on entry and is overwritten with the losses.
    Loss,
    /// The gradient output buffer: it holds this input on entry and is overwritten with the
    /// gradient.
    Grad,
}

impl<T> Clone for Operand<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Operand<'_, T> {}

impl<'a, T> From<&'a [T]> for Operand<'a, T> {
    fn from(slice: &'a [T]) -> Self {
        Operand::Slice(slice)
    }
}

impl<'a, T> From<&'a mut [T]> for Operand<'a, T> {
    fn from(slice: &'a mut [T]) -> Self {
        Operand::Slice(slice)
    }
}

impl<'a, T> From<&'a Vec<T>> for Operand<'a, T> {
    fn from(vec: &'a Vec<T>) -> Self {
        Operand::Slice(vec)
    }
}

impl<'a, T, const N: usize> From<&'a [T; N]> for Operand<'a, T> {
    fn from(array: &'a [T; N]) -> Self {
        Operand::Slice(array)
    }
}

impl<'a, T> Operand<'a, T> {
    pub(crate) fn split_at(self, mid: usize) -> (Self, Self) {
        match self {
            Operand::Slice(s) => {
                let (a, b) = s.split_at(mid);
                (Operand::Slice(a), Operand::Slice(b))
            }
            other => (other, other),
        }
    }
}

/// What a pass computes over `len` elements: which outputs (losses, gradients, second
/// derivatives), whether the losses are summed, and the gradient's one factor type. (`pub`
/// only because the sealed element trait takes it; nothing outside the crate can reach it.)
pub struct Pass<'a, S> {
    pub len: usize,
    pub input: Operand<'a, S>,
    pub target: Operand<'a, S>,
    /// The per-element factors, for [`Factor::Each`] (and only for it).
    pub each: Option<Operand<'a, S>>,
    /// Written with each element's loss.
    pub loss: Option<&'a mut [S]>,
    /// Written with each element's gradient.
    pub grad: Option<&'a mut [S]>,
    /// Written with each element's second derivative (with `grad`, without `loss` or `sum`).
    pub second: Option<&'a mut [S]>,
    /// The gradient's factor; ignored without `grad`.
    pub factor: Factor,
    /// Whether the losses are summed (the pass's result is 0 otherwise).
    pub sum: bool,
}

impl<'a, S> Pass<'a, S> {
    /// A pass over `input` and `target` that writes and sums nothing yet.
    pub(crate) fn new(len: usize, input: Operand<'a, S>, target: Operand<'a, S>) -> Self {
        Pass {
            len,
            input,
            target,
            each: None,
            loss: None,
            grad: None,
            second: None,
            factor: Factor::Times(1.0),
            sum: false,
        }
    }
}

type Output<'a, S> = Option<&'a mut [S]>;

fn split_output<S>(out: Output<'_, S>, mid: usize) -> (Output<'_, S>, Output<'_, S>) {
    match out {
        Some(s) => {
            let (a, b) = s.split_at_mut(mid);
            (Some(a), Some(b))
        }
        None => (None, None),
    }
}

impl<S> Pass<'_, S> {
    /// The first `mid` elements and the rest.
    pub(crate) fn split(self, mid: usize) -> (Self, Self) {
        let (input_a, input_b) = self.input.split_at(mid);
        let (target_a, target_b) = self.target.split_at(mid);
        let (each_a, each_b) = match self.each {
            Some(e) => {
                let (a, b) = e.split_at(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        let (loss_a, loss_b) = split_output(self.loss, mid);
        let (grad_a, grad_b) = split_output(self.grad, mid);
        let (second_a, second_b) = split_output(self.second, mid);
        let first = Pass {
            len: mid,
            input: input_a,
            target: target_a,
            each: each_a,
            loss: loss_a,
            grad: grad_a,
            second: second_a,
            factor: self.factor,
            sum: self.sum,
        };
        let rest = Pass {
            len: self.len - mid,
            input: input_b,
            target: target_b,
            each: each_b,
            loss: loss_b,
            grad: grad_b,
            second: second_b,
            factor: self.factor,
            sum: self.sum,
        };
        (first, rest)
    }
}
