//! The loss and its derivative for one element, in the stable form.
//!
//! With the margin `m = -y x`, the loss is `softplus(m) = log(1 + exp(m))` and its derivative
//! with respect to `x` is `-y sigmoid(m)`. Both come from one `e = exp(-|m|)`, which lies in
//! `[0, 1]` and so never overflows:
//!
//! - `softplus(m) = max(m, 0) + log1p(e)`
//! - `sigmoid(m) = 1 / (1 + e)` for `m >= 0`, `e / (1 + e)` for `m < 0`
//!
//! Everything is evaluated in `f64`. An `f32` product `y x` is exact in `f64`, so `f32` results
//! carry a single final rounding. For `f64` data the rounding error of `y x` is recovered with a
//! fused multiply-add and fed back through the derivative, so targets other than +/-1 stay
//! accurate too.

/// The loss and its derivative with respect to the input, at one element.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// `log(1 + exp(-y x))`.
    pub loss: f64,
    /// `-y sigmoid(-y x)`, the derivative of `loss` with respect to `x`.
    pub slope: f64,
}

/// `e = exp(-|m|)` and `1 + e` split into a rounded value and its exact rounding error.
#[derive(Clone, Copy)]
struct Margin {
    m: f64,
    e: f64,
    d: f64,
    d_err: f64,
}

impl Margin {
    #[inline]
    fn new(m: f64) -> Self {
        let e = (-m.abs()).exp();
        let d = 1.0 + e;
        // Exact because 1 >= e (Fast2Sum).
        let d_err = (1.0 - d) + e;
        Margin { m, e, d, d_err }
    }

    /// `softplus(m)`.
    #[inline]
    fn softplus(&self) -> f64 {
        // `f64::max` returns 0 for a NaN margin; `e` is NaN then and carries it through.
        self.m.max(0.0) + self.e.ln_1p()
    }

    /// `sigmoid(m)`, with the rounding error of `1 + e` corrected to first order.
    #[inline]
    fn sigmoid(&self) -> f64 {
        let numerator = if self.m >= 0.0 { 1.0 } else { self.e };
        let s = numerator / self.d;
        s - s * (self.d_err / self.d)
    }

    /// `sigmoid(m) (1 - sigmoid(m)) = e / (1 + e)^2`, the derivative of `sigmoid`.
    #[inline]
    fn sigmoid_slope(&self) -> f64 {
        self.e / (self.d * self.d)
    }
}

/// `-y s`, with the limit 0 where `s` is 0 and `y` infinite (not NaN from `inf * 0`).
#[inline]
fn slope(y: f64, s: f64) -> f64 {
    if s == 0.0 {
        0.0f64.copysign(-y)
    } else {
        -y * s
    }
}

/// Loss of one element whose margin `-y x` is exactly `m`.
#[inline]
pub(crate) fn loss_exact(m: f64) -> f64 {
    Margin::new(m).softplus()
}

/// Loss and slope of one element whose margin `-y x` is exactly `m`.
#[inline]
pub(crate) fn point_exact(m: f64, y: f64) -> Point {
    let margin = Margin::new(m);
    Point {
        loss: margin.softplus(),
        slope: slope(y, margin.sigmoid()),
    }
}

/// Slope of one element whose margin `-y x` is exactly `m`.
#[inline]
pub(crate) fn slope_exact(m: f64, y: f64) -> f64 {
    slope(y, Margin::new(m).sigmoid())
}

/// The margin `-y x` as a rounded product and the product's rounding error, which is zero when
/// the product is exact (always for +/-1 targets) and ignored when it is not finite.
#[inline]
fn margin_with_error(x: f64, y: f64) -> (f64, f64) {
    let m = -y * x;
    let err = (-y).mul_add(x, -m);
    if err.is_finite() {
        (m, err)
    } else {
        (m, 0.0)
    }
}

/// Loss of an `f64` element, `-y x` not necessarily exact.
#[inline]
pub(crate) fn loss_f64(x: f64, y: f64) -> f64 {
    let (m, err) = margin_with_error(x, y);
    let margin = Margin::new(m);
    let loss = margin.softplus();
    if err == 0.0 {
        loss
    } else {
        loss + err * margin.sigmoid()
    }
}

/// Loss and slope of an `f64` element, `-y x` not necessarily exact.
#[inline]
pub(crate) fn point_f64(x: f64, y: f64) -> Point {
    let (m, err) = margin_with_error(x, y);
    let margin = Margin::new(m);
    let s = margin.sigmoid();
    if err == 0.0 {
        Point {
            loss: margin.softplus(),
            slope: slope(y, s),
        }
    } else {
        Point {
            loss: margin.softplus() + err * s,
            slope: slope(y, s + err * margin.sigmoid_slope()),
        }
    }
}

/// The element types the library computes on: `f32` and `f64`. Sealed.
pub trait Float:
    Copy + Default + Send + Sync + PartialEq + std::fmt::Debug + sealed::Kernel + 'static
{
}

impl Float for f32 {}
impl Float for f64 {}


/// Slope of an `f64` element, `-y x` not necessarily exact.
#[inline]
pub(crate) fn slope_f64(x: f64, y: f64) -> f64 {
    let (m, err) = margin_with_error(x, y);
    let margin = Margin::new(m);
    let s = margin.sigmoid();
    if err == 0.0 {
        slope(y, s)
    } else {
        slope(y, s + err * margin.sigmoid_slope())
    }
}

mod sealed {
    use super::{loss_exact, loss_f64, point_exact, point_f64, slope_exact, slope_f64, Point};
    use crate::sum::{Accumulator, Compensated, Wide};

    /// The per-element kernels of an element type; not nameable outside the crate.
    pub trait Kernel: Sized {
        /// How sums of this type's losses are accumulated.
        type Sum: Accumulator;
        /// The value widened to `f64` (exact).
        fn widen(self) -> f64;
        /// An `f64` rounded to this type.
        fn narrow(v: f64) -> Self;
        /// The loss of one element, before the final rounding to `Self`.
        fn loss_wide(x: Self, y: Self) -> f64;
        /// The slope `-y sigmoid(-y x)` of one element, before the final rounding to `Self`.
        fn slope_wide(x: Self, y: Self) -> f64;
        /// Loss and slope of one element, before the final rounding to `Self`.
        fn point_wide(x: Self, y: Self) -> Point;
    }

    impl Kernel for f32 {
        type Sum = Wide;
        #[inline]
        fn widen(self) -> f64 {
            f64::from(self)
        }
        #[inline]
        fn narrow(v: f64) -> Self {
            v as f32
        }
        #[inline]
        fn loss_wide(x: f32, y: f32) -> f64 {
            // Exact: a product of two 24-bit significands fits in 53 bits.
            loss_exact(-f64::from(y) * f64::from(x))
        }
        #[inline]
        fn slope_wide(x: f32, y: f32) -> f64 {
            let y = f64::from(y);
            slope_exact(-y * f64::from(x), y)
        }
        #[inline]
        fn point_wide(x: f32, y: f32) -> Point {
            let y = f64::from(y);
            point_exact(-y * f64::from(x), y)
        }
    }

    impl Kernel for f64 {
        type Sum = Compensated;
        #[inline]
        fn widen(self) -> f64 {
            self
        }
        #[inline]
        fn narrow(v: f64) -> Self {
            v
        }
        #[inline]
        fn loss_wide(x: f64, y: f64) -> f64 {
            loss_f64(x, y)
        }
        #[inline]
        fn slope_wide(x: f64, y: f64) -> f64 {
            slope_f64(x, y)
        }
        #[inline]
        fn point_wide(x: f64, y: f64) -> Point {
            point_f64(x, y)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sealed::Kernel;
    use super::*;

    #[test]
    fn pytorch_overflow_case_is_finite() {
        // PyTorch computes log1p(exp(100)) = inf and exp(100)/(1+exp(100)) = NaN here.
        let p = f32::point_wide(-100.0, 1.0);
        assert_eq!(f32::narrow(p.loss), 100.0);
        assert_eq!(f32::narrow(p.slope), -1.0);
        let p = f64::point_wide(-1000.0, 1.0);
        assert_eq!(p.loss, 1000.0);
        assert_eq!(p.slope, -1.0);
    }

    #[test]
    fn infinite_inputs_give_the_limits() {
        for y in [1.0f64, -1.0, 0.5, 3.0] {
            let far = f64::INFINITY.copysign(y);
            // Margin -> -inf: loss 0, slope 0.
            let p = point_f64(far, y);
            assert_eq!((p.loss, p.slope), (0.0, 0.0));
            // Margin -> +inf: loss inf, slope -y.
            let p = point_f64(-far, y);
            assert_eq!((p.loss, p.slope), (f64::INFINITY, -y));
        }
        // Infinite target, finite input: margin -inf gives slope 0, not inf * 0.
        let p = point_f64(2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (0.0, 0.0));
        let p = point_f64(-2.0, f64::INFINITY);
        assert_eq!((p.loss, p.slope), (f64::INFINITY, f64::NEG_INFINITY));
    }

    #[test]
    fn nan_propagates() {
        for (x, y) in [(f64::NAN, 1.0), (1.0, f64::NAN), (f64::NAN, f64::NAN)] {
            let p = point_f64(x, y);
            assert!(p.loss.is_nan() && p.slope.is_nan());
            assert!(loss_f64(x, y).is_nan());
        }
    }
}
