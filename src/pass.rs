//! One pass over the elements: losses, gradients or both, written out and/or summed.
//!
//! Every operation of the crate is one [`Pass`] run over the block tree. An input may be the
//! very buffer an output is written to ([`Operand::Loss`], [`Operand::Grad`]): the pass then
//! copies each small chunk of it aside before overwriting that chunk, so no shared and mutable
//! reference ever cover the same memory.

use crate::float::{Float, Native};
use crate::kernel::{Chunk, GradScale};
use crate::parallel::Task;
use crate::sum::Total;

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
    fn split_at(self, mid: usize) -> (Self, Self) {
        match self {
            Operand::Slice(s) => {
                let (a, b) = s.split_at(mid);
                (Operand::Slice(a), Operand::Slice(b))
            }
            other => (other, other),
        }
    }
}

/// Elements handled at a time inside a leaf; aliased inputs are copied aside this many at once.
pub(crate) const CHUNK: usize = 64;

/// A chunk of an input: borrowed from its own buffer, or copied from an output buffer into
/// `aside` before that output is written.
fn read<'b, T: Float>(
    operand: &Operand<'b, T>,
    start: usize,
    loss: Option<&[T]>,
    grad: Option<&[T]>,
    aside: &'b mut [T; CHUNK],
    n: usize,
) -> &'b [T] {
    let source = match *operand {
        Operand::Slice(s) => return &s[start..start + n],
        Operand::Loss => loss,
        Operand::Grad => grad,
    };
    // The operations check that an aliased output exists before building a pass.
    let source = source.expect("an aliased operand names an output of the pass");
    aside[..n].copy_from_slice(&source[start..start + n]);
    &aside[..n]
}

/// How each gradient element is scaled: `grad_input[i] = slope[i] * factor`.
#[derive(Clone, Copy, Debug)]
pub enum Scale<'a, T> {
    /// By each element of `grad_output` (reduction NONE).
    Each(Operand<'a, T>),
    /// By `g` (SUM).
    Times(f64),
    /// By `g`, then divided by the element count `n` (MEAN).
    TimesOver(f64, f64),
}

impl<T> Scale<'_, T> {
    /// The kernel's form: the per-element factors go into the chunk's own slice.
    pub(crate) fn for_chunk(&self) -> GradScale {
        match *self {
            Scale::Each(_) => GradScale::Each,
            Scale::Times(g) => GradScale::Times(g),
            Scale::TimesOver(g, n) => GradScale::TimesOver(g, n),
        }
    }
}

/// What a pass computes over `len` elements. (`pub` only because the sealed element trait takes
/// it; nothing outside the crate can reach it.)
pub struct Pass<'a, T> {
    pub len: usize,
    pub input: Operand<'a, T>,
    pub target: Operand<'a, T>,
    /// Written with each element's loss.
    pub loss: Option<&'a mut [T]>,
    /// Written with each element's gradient.
    pub grad: Option<&'a mut [T]>,
    /// How gradients are scaled; ignored without `grad`.
    pub scale: Scale<'a, T>,
    /// Whether the losses are summed (the pass's result is 0 otherwise).
    pub sum: bool,
}

type Output<'a, T> = Option<&'a mut [T]>;

fn split_output<T>(out: Output<'_, T>, mid: usize) -> (Output<'_, T>, Output<'_, T>) {
    match out {
        Some(s) => {
            let (a, b) = s.split_at_mut(mid);
            (Some(a), Some(b))
        }
        None => (None, None),
    }
}

impl<T: Copy> Pass<'_, T> {
    /// The first `mid` elements and the rest.
    pub(crate) fn split(self, mid: usize) -> (Self, Self) {
        let (input_a, input_b) = self.input.split_at(mid);
        let (target_a, target_b) = self.target.split_at(mid);
        let (loss_a, loss_b) = split_output(self.loss, mid);
        let (grad_a, grad_b) = split_output(self.grad, mid);
        let (scale_a, scale_b) = match self.scale {
            Scale::Each(g) => {
                let (a, b) = g.split_at(mid);
                (Scale::Each(a), Scale::Each(b))
            }
            other => (other, other),
        };
        let first = Pass {
            len: mid,
            input: input_a,
            target: target_a,
            loss: loss_a,
            grad: grad_a,
            scale: scale_a,
            sum: self.sum,
        };
        let second = Pass {
            len: self.len - mid,
            input: input_b,
            target: target_b,
            loss: loss_b,
            grad: grad_b,
            scale: scale_b,
            sum: self.sum,
        };
        (first, second)
    }
}

impl<T: Float + Native> Task for Pass<'_, T> {
    type Out = Total<T::Sum>;

    fn len(&self) -> usize {
        self.len
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        self.split(mid)
    }

    fn leaf(self) -> Total<T::Sum> {
        let Pass {
            len,
            input,
            target,
            mut loss,
            mut grad,
            scale,
            sum,
        } = self;
        let mut total = T::Sum::default();
        // Without aliasing, the whole leaf is one chunk and nothing is copied aside.
        if let (Operand::Slice(x), Operand::Slice(y)) = (input, target) {
            let each = match scale {
                Scale::Each(Operand::Slice(g)) => Some(Some(g)),
                Scale::Each(_) => None,
                _ => Some(None),
            };
            if let Some(each) = each {
                let chunk = Chunk {
                    x,
                    y,
                    each,
                    loss,
                    grad,
                    scale: scale.for_chunk(),
                    sum,
                };
                T::run_chunk(chunk, &mut total);
                return Total::Block(total);
            }
        }
        let mut x_aside = [T::default(); CHUNK];
        let mut y_aside = [T::default(); CHUNK];
        let mut g_aside = [T::default(); CHUNK];
        let mut start = 0;
        while start < len {
            let n = CHUNK.min(len - start);
            let (l_in, g_in) = (loss.as_deref(), grad.as_deref());
            let x = read(&input, start, l_in, g_in, &mut x_aside, n);
            let y = read(&target, start, l_in, g_in, &mut y_aside, n);
            let each = match scale {
                Scale::Each(g) => Some(read(&g, start, l_in, g_in, &mut g_aside, n)),
                _ => None,
            };
            let chunk = Chunk {
                x,
                y,
                each,
                loss: loss.as_deref_mut().map(|l| &mut l[start..start + n]),
                grad: grad.as_deref_mut().map(|g| &mut g[start..start + n]),
                scale: scale.for_chunk(),
                sum,
            };
            T::run_chunk(chunk, &mut total);
            start += n;
        }
        Total::Block(total)
    }

    fn merge(earlier: Total<T::Sum>, later: Total<T::Sum>) -> Total<T::Sum> {
        Total::merge(earlier, later)
    }
}
