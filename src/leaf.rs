//! The leaf driver: one block of a pass (at most [`crate::BLOCK`] elements) of any
//! [`Pass`] through the element loop (`crate::loops`). The one driver of every operation, for
//! every storage type.
//!
//! An input may be the very buffer an output is written to ([`Operand::Loss`],
//! [`Operand::Grad`]): the leaf is then run in pieces of [`ASIDE`] elements, and each piece of
//! such an input is copied aside before the piece's outputs are written, so no shared and
//! mutable reference ever cover the same memory. Without aliasing, the whole leaf is one
//! chunk and nothing is copied.

use crate::loops::{run_chunk, Chunk, Storage, SumOf};
use crate::pass::{Operand, Pass};
use crate::total::Total;
use crate::tree::Task;

/// Elements run at a time in a leaf whose inputs alias its outputs: a multiple of the group
/// size, so that every piece starts on a sum lane boundary and the sums are those of the
/// whole leaf.
const ASIDE: usize = 64;

/// A piece of an input: borrowed from its own buffer, or copied from an output buffer into
/// `aside` before that output is written.
fn read<'b, S: Copy>(
    operand: &Operand<'b, S>,
    start: usize,
    loss: Option<&[S]>,
    grad: Option<&[S]>,
    aside: &'b mut [S; ASIDE],
    n: usize,
) -> &'b [S] {
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

/// Elements `start..start + n` of an output.
fn piece<'o, S>(out: &'o mut Option<&mut [S]>, start: usize, n: usize) -> Option<&'o mut [S]> {
    out.as_deref_mut().map(|o| &mut o[start..start + n])
}

impl<S: Storage> Task for Pass<'_, S> {
    type Out = Total<SumOf<S>>;

    fn len(&self) -> usize {
        self.len
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        self.split(mid)
    }

    fn leaf(self) -> Total<SumOf<S>> {
        let mut total = SumOf::<S>::default();
        // Every input in a slice of its own (`Some(each)`), or some held in an output.
        let each = match self.each {
            None => Some(None),
            Some(Operand::Slice(e)) => Some(Some(e)),
            Some(_) => None,
        };
        let (Operand::Slice(x), Operand::Slice(y), Some(each)) = (self.input, self.target, each)
        else {
            aside(self, &mut total);
            return Total::Block(total);
        };
        let chunk = Chunk {
            x,
            y,
            each,
            loss: self.loss,
            grad: self.grad,
            second: self.second,
            factor: self.factor,
            sum: self.sum,
            sum_is_zero: true,
        };
        run_chunk(chunk, &mut total);
        Total::Block(total)
    }

    fn merge(earlier: &mut Self::Out, later: Self::Out) {
        earlier.merge(later)
    }
}

/// A leaf whose inputs alias its outputs, in pieces of [`ASIDE`] elements, each aliased
/// input's piece copied aside first. Out of line: the copies' arrays are on the stack only
/// while such a leaf runs, not in the frame of every leaf.
#[inline(never)]
fn aside<S: Storage>(pass: Pass<'_, S>, total: &mut SumOf<S>) {
    let Pass {
        len,
        input,
        target,
        each,
        mut loss,
        mut grad,
        mut second,
        factor,
        sum,
    } = pass;
    let mut x_aside = [S::default(); ASIDE];
    let mut y_aside = [S::default(); ASIDE];
    let mut e_aside = [S::default(); ASIDE];
    let mut start = 0;
    while start < len {
        let n = ASIDE.min(len - start);
        let (l_in, g_in) = (loss.as_deref(), grad.as_deref());
        let x = read(&input, start, l_in, g_in, &mut x_aside, n);
        let y = read(&target, start, l_in, g_in, &mut y_aside, n);
        let each = each.map(|e| read(&e, start, l_in, g_in, &mut e_aside, n));
        let chunk = Chunk {
            x,
            y,
            each,
            loss: piece(&mut loss, start, n),
            grad: piece(&mut grad, start, n),
            second: piece(&mut second, start, n),
            factor,
            sum,
            sum_is_zero: start == 0,
        };
        run_chunk(chunk, total);
        start += n;
    }
}
