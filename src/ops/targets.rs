//! The check of the targets: the first that is not exactly -1 or +1.

use crate::element::Float;
use crate::tree::{evaluate, Task};

/// The index of the first target that is not exactly -1 or +1 (NaN included), if any.
pub fn first_invalid_target<T: Float>(target: &[T]) -> Option<usize> {
    evaluate(TargetScan { target, offset: 0 })
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
                let y = y.widen_f64();
                y != 1.0 && y != -1.0
            })
            .map(|i| self.offset + i)
    }

    fn merge(earlier: &mut Option<usize>, later: Option<usize>) {
        *earlier = earlier.or(later);
    }
}
