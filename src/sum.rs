//! Accumulators for the SUM and MEAN reductions.
//!
//! `f32` losses are summed in plain `f64`: 29 spare bits keep the sum of millions of elements
//! far inside half an `f32` ulp. `f64` losses are summed with a compensated (double-length)
//! accumulator, which carries the rounding error of every addition.
//!
//! Both are combined in a fixed order by the block tree of [`crate::parallel`], so a sum does not
//! depend on the number of threads.

/// A running sum of `f64` terms.
pub trait Accumulator: Copy + Default + Send {
    /// Adds one term, given as a rounded value and its rounding error.
    fn add(&mut self, term: f64, term_err: f64);
    /// Combines two partial sums, `self` covering the terms before `later`'s.
    fn merge(self, later: Self) -> Self;
    /// The sum, rounded to `f64`.
    fn total(self) -> f64;
    /// The sum divided by `count`, rounded to `f64`; NaN for a count of 0.
    fn mean(self, count: usize) -> f64;
}

/// A plain `f64` sum, for `f32` data.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Wide(f64);

impl Accumulator for Wide {
    /// The rounding error is far below what an `f32` result can show.
    #[inline(always)]
    fn add(&mut self, term: f64, _term_err: f64) {
        self.0 += term;
    }
    #[inline]
    fn merge(self, later: Self) -> Self {
        Wide(self.0 + later.0)
    }
    fn total(self) -> f64 {
        self.0
    }
    fn mean(self, count: usize) -> f64 {
        self.0 / count as f64
    }
}

/// A sum kept as an unevaluated `hi + lo`, for `f64` data.
///
/// Every addition into `hi` is an error-free transformation (TwoSum), so the only errors left
/// are the additions into `lo`, which are about 2^-53 times smaller than the sum. Each term
/// brings its own rounding error too, so a sum of double-double losses stays double-double.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Compensated {
    hi: f64,
    lo: f64,
}

/// `a + b` as the rounded sum and its exact rounding error (Knuth's TwoSum).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    let err = (a - (s - bb)) + (b - bb);
    (s, err)
}

impl Compensated {
    /// The sum as `hi + lo` with `hi` holding the rounded value; `lo` is meaningless (and
    /// ignored) once `hi` is infinite or NaN.
    fn normalized(self) -> (f64, f64) {
        if self.hi.is_finite() {
            two_sum(self.hi, self.lo)
        } else {
            (self.hi, 0.0)
        }
    }
}

impl Accumulator for Compensated {
    #[inline(always)]
    fn add(&mut self, term: f64, term_err: f64) {
        let (s, err) = two_sum(self.hi, term);
        self.hi = s;
        self.lo += err + term_err;
    }
    #[inline]
    fn merge(self, later: Self) -> Self {
        let (s, err) = two_sum(self.hi, later.hi);
        Compensated {
            hi: s,
            lo: err + (self.lo + later.lo),
        }
    }
    fn total(self) -> f64 {
        self.normalized().0
    }
    fn mean(self, count: usize) -> f64 {
        let (hi, lo) = self.normalized();
        let n = count as f64;
        let q = hi / n;
        if !q.is_finite() || count == 0 {
            return q;
        }
        // The exact remainder hi - q n, then one correction step.
        let r = (-q).mul_add(n, hi) + lo;
        q + r / n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum<A: Accumulator>(terms: &[f64]) -> A {
        let mut acc = A::default();
        for &t in terms {
            acc.add(t, 0.0);
        }
        acc
    }

    #[test]
    fn compensated_keeps_what_plain_sum_loses() {
        // 1 + 2^-60 added 2^10 times: a plain f64 sum stays at 1.
        let mut terms = vec![1.0];
        terms.extend(std::iter::repeat_n(2f64.powi(-60), 1 << 10));
        assert_eq!(sum::<Wide>(&terms).total(), 1.0);
        assert_eq!(sum::<Compensated>(&terms).total(), 1.0 + 2f64.powi(-50));
    }

    #[test]
    fn merge_equals_sequential_for_exact_parts() {
        let a = sum::<Compensated>(&[1.0, 2f64.powi(-70)]);
        let b = sum::<Compensated>(&[3.0, 2f64.powi(-70)]);
        let both = a.merge(b);
        let (hi, lo) = both.normalized();
        assert_eq!((hi, lo), (4.0, 2f64.powi(-69)));
    }

    #[test]
    fn empty_mean_is_nan_and_empty_sum_zero() {
        assert!(Wide::default().mean(0).is_nan());
        assert!(Compensated::default().mean(0).is_nan());
        assert_eq!(Wide::default().total(), 0.0);
        assert_eq!(Compensated::default().total(), 0.0);
    }

    #[test]
    fn infinities_and_nan_survive_compensation() {
        let inf = sum::<Compensated>(&[1.0, f64::INFINITY, 2.0]);
        assert_eq!(inf.total(), f64::INFINITY);
        assert_eq!(inf.mean(3), f64::INFINITY);
        let nan = sum::<Compensated>(&[1.0, f64::NAN, f64::INFINITY]);
        assert!(nan.total().is_nan());
    }
}
