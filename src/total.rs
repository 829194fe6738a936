//! A pass's sum over its blocks: one block's lane sums as the element loops left them,
//! or, once two blocks are merged, the exact fixed-point sum of the blocks' sums
//! ([`Partial`]). Rounded once, by [`Total::reduce`].

use crate::partial::Partial;
use crate::reduction::Reduced;
use crate::sum::LeafSum;

/// A pass's sum over its blocks: one block's sum as the loops left it, or, once two are
/// merged, the exact sum of the blocks' sums. Rounded once, by [`Total::reduce`].
// Both variants stay on the stack: a boxed partial would cost an allocation per merge.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Copy, Debug)]
pub enum Total<S> {
    Block(S),
    Fixed(Partial),
}

impl<S: LeafSum> Total<S> {
    /// Adds `later` (covering the blocks after this sum's) exactly, in place: a call's stack
    /// then holds two sums, not four. Out of line, so that the exact sum's temporaries are
    /// not in the frame that holds the sums.
    #[inline(never)]
    pub fn merge(&mut self, later: Self) {
        if let Total::Block(_) = self {
            *self = Total::Fixed(self.partial());
        }
        let Total::Fixed(p) = self else {
            unreachable!("made exact above")
        };
        match later {
            Total::Block(s) => s.add_to(p),
            Total::Fixed(q) => p.merge_sum(&q),
        }
    }

    /// The exact sum, its count 0 (the caller sets what it covers).
    pub fn partial(self) -> Partial {
        match self {
            Total::Block(s) => {
                let mut p = Partial::default();
                s.add_to(&mut p);
                p
            }
            Total::Fixed(p) => p,
        }
    }

    /// The MEAN over `count` elements or the SUM. Out of line: the rounding's locals stay off
    /// the stack while the pass runs.
    #[inline(never)]
    pub fn reduce(self, reduction: Reduced, count: usize) -> f64 {
        match self {
            Total::Block(s) if s.alone_is_fixed() => s.reduce(reduction, count),
            other => S::reduce_fixed(&other.partial(), reduction, count),
        }
    }
}
