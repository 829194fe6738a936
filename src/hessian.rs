//! The first and second derivatives of the loss with respect to each input, in one pass: what
//! Newton and IRLS solvers for logistic regression and the custom objectives of gradient
//! boosting libraries take.
//!
//! With `m = -y x` and `s(m) = sigmoid(m)`, the gradient is `-y s(m)` and the second derivative
//! `y^2 s(m) s(-m)`. Both come from the double-double kernel (`kernel::exact_point`), once for
//! `m` and once for `-m`: the gradient is `-y s(m) c` rounded once (`c` the reduction's factor).
//! For the second derivative, the larger of the two sigmoids (at least 1/2) enters as a factor,
//! `-y s c` rounded once, and the smaller one's slope is multiplied by it with the kernel's exact
//! scaling and one more rounding: so nothing underflows or overflows before the result does,
//! and a tiny second derivative (large `|m|`) is the small number it is, not `0 / 0`. Every path computes the same
//! operations, so the results are bitwise the same on all and for any thread count.

use crate::float::Float;
use crate::kernel::{canonical_nan, exact_point, Factor};
use crate::ops::{common_len, Error, Reduced};
use crate::parallel::{self, Task};
use crate::pass::Operand;
use crate::simd::portable::Scalar;

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
    let factor = match reduction {
        Some(Reduced::Mean) => Factor::quotient(1.0, len as f64),
        _ => Factor::of(Scalar(1.0)),
    };
    parallel::run(Derivatives {
        x: input,
        y: target,
        grad,
        hessian,
        factor,
    });
    Ok(())
}

struct Derivatives<'a, T> {
    x: &'a [T],
    y: &'a [T],
    grad: &'a mut [T],
    hessian: &'a mut [T],
    factor: Factor<Scalar>,
}

impl<T: Float> Task for Derivatives<'_, T> {
    type Out = ();

    fn len(&self) -> usize {
        self.x.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (xa, xb) = self.x.split_at(mid);
        let (ya, yb) = self.y.split_at(mid);
        let (ga, gb) = self.grad.split_at_mut(mid);
        let (ha, hb) = self.hessian.split_at_mut(mid);
        (
            Derivatives {
                x: xa,
                y: ya,
                grad: ga,
                hessian: ha,
                factor: self.factor,
            },
            Derivatives {
                x: xb,
                y: yb,
                grad: gb,
                hessian: hb,
                factor: self.factor,
            },
        )
    }

    fn leaf(self) {
        for i in 0..self.x.len() {
            let (x, y) = (self.x[i].widen(), self.y[i].widen());
            // The margin of -x is -m.
            let (at_m, at_minus_m) = (exact_point(x, y), exact_point(-x, y));
            let g = at_m.slope.times(self.factor);
            // The larger sigmoid's slope times c: the gradient itself where that is s(m).
            let (big_c, small) = if -y * x >= 0.0 {
                (g, at_minus_m)
            } else {
                (at_minus_m.slope.times(self.factor), at_m)
            };
            let h = small.slope.times(Factor::of(big_c));
            self.grad[i] = T::narrow(canonical_nan(g).0);
            self.hessian[i] = T::narrow(canonical_nan(h).0);
        }
    }

    fn merge(_: (), _: ()) {}
}
