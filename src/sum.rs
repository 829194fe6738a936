//! Lane sums: the accumulators of the SUM and MEAN reductions within a block.
//!
//! Losses of data computed through `f32` are summed in plain `f64`, in sixteen lanes: 29 spare
//! bits keep the sum of millions of elements far inside half an `f32` ulp. `f64` losses are
//! summed with a compensated (double-length) accumulator, which carries the rounding error of
//! every addition.
//!
//! Each block of a pass (`crate::tree`) is summed so, in a fixed order; the blocks'
//! sums are then added exactly ([`Partial`], `crate::total`) and the result rounded once. So a
//! sum does not depend on the number of threads, nor on how the blocks are grouped: shards of
//! a data set that start at block boundaries merge to the one process's bits.

use crate::partial::Partial;
use crate::reduction::Reduced;
use crate::simd::dispatch::GROUP;

/// A partial sum of losses.
pub trait Accumulator: Copy + Default + Send {
    /// Combines two partial sums, `self` covering the terms before `later`'s.
    fn merge(self, later: Self) -> Self;
    /// The sum, rounded to `f64`.
    fn total(self) -> f64;
    /// The sum divided by `count`, rounded to `f64`; NaN for a count of 0.
    fn mean(self, count: usize) -> f64;
}

/// Sixteen plain `f64` sums, for data computed through `f32`: element `i` of a leaf goes into
/// lane `i % 16`, so vector paths of any width add in the same order; the lanes are then added
/// by a fixed pairwise tree. A merged sum keeps its value in lane 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Lanes(pub [f64; GROUP]);

impl Accumulator for Lanes {
    fn merge(self, later: Self) -> Self {
        let mut lanes = [0.0; GROUP];
        lanes[0] = self.total() + later.total();
        Lanes(lanes)
    }
    fn total(self) -> f64 {
        // A fixed pairwise tree: short dependency chains for small calls, same order always.
        pairwise(self.0, |a, b| a + b)
    }
    fn mean(self, count: usize) -> f64 {
        self.total() / count as f64
    }
}

/// Combines the lanes by a balanced binary tree, left before right: neighbours first, then
/// neighbouring pairs, and so on. Written as loops over a fixed array so that it compiles to
/// straight-line code (a recursive form costs a call per node, which small calls feel).
#[inline(always)]
fn pairwise<V: Copy>(mut values: [V; GROUP], combine: impl Fn(V, V) -> V) -> V {
    let mut n = GROUP;
    while n > 1 {
        n /= 2;
        for i in 0..n {
            values[i] = combine(values[2 * i], values[2 * i + 1]);
        }
    }
    values[0]
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

impl Compensated {
    /// Adds one term, given as a rounded value and its rounding error (the kernels add in
    /// vector lanes; this is the same step on one lane).
    pub fn add(&mut self, term: f64, term_err: f64) {
        let (s, err) = two_sum(self.hi, term);
        self.hi = s;
        self.lo += err + term_err;
    }
}

impl Accumulator for Compensated {
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

/// `f64` losses at least this large (2^900) are summed apart, in [`CompensatedLanes::big`],
/// scaled by [`BIG_SCALE`]: the others cannot overflow a sum of fewer than 2^64 terms, and
/// these scaled cannot either, so a MEAN is finite wherever it is, even when the sum is not.
/// Only margins beyond 2^900 reach it.
pub const BIG: f64 = 8.452_712_498_170_644e270;

/// 2^-128, the scale of the sum of huge losses; exact for them.
pub const BIG_SCALE: f64 = 2.938_735_877_055_719e-39;

/// Sixteen compensated sums, for `f64` data, filled like [`Lanes`]: element `i` of a leaf into
/// lane `i % 16`; and the sum of the huge losses. A merged sum keeps its value in lane 0.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CompensatedLanes {
    pub hi: [f64; GROUP],
    pub lo: [f64; GROUP],
    /// The sum of the losses of at least [`BIG`], times [`BIG_SCALE`], in element order.
    pub big: Compensated,
}

impl CompensatedLanes {
    /// The lanes combined by a fixed pairwise tree.
    fn combined(self) -> Compensated {
        let lanes: [Compensated; GROUP] = std::array::from_fn(|j| Compensated {
            hi: self.hi[j],
            lo: self.lo[j],
        });
        pairwise(lanes, |a, b| a.merge(b))
    }

    /// The sum as a compensated value times `scale`: the lanes alone, or, with huge losses,
    /// the lanes brought to their scale and added to them.
    fn resolved(self) -> (Compensated, f64) {
        let lanes = self.combined();
        if self.big == Compensated::default() {
            return (lanes, 1.0);
        }
        let down = Compensated {
            hi: lanes.hi * BIG_SCALE,
            lo: lanes.lo * BIG_SCALE,
        };
        (down.merge(self.big), 1.0 / BIG_SCALE)
    }
}

impl Accumulator for CompensatedLanes {
    fn merge(self, later: Self) -> Self {
        let both = self.combined().merge(later.combined());
        let mut merged = CompensatedLanes::default();
        merged.hi[0] = both.hi;
        merged.lo[0] = both.lo;
        merged.big = self.big.merge(later.big);
        merged
    }
    fn total(self) -> f64 {
        let (sum, scale) = self.resolved();
        sum.total() * scale
    }
    fn mean(self, count: usize) -> f64 {
        let (sum, scale) = self.resolved();
        sum.mean(count) * scale
    }
}

/// A block sum, as the element loops leave it, and what an exact [`Partial`] makes of it.
pub trait LeafSum: Accumulator {
    /// Adds the sum exactly into `p`.
    fn add_to(self, p: &mut Partial);
    /// Whether [`LeafSum::reduce`] of this sum alone gives the bits [`LeafSum::reduce_fixed`]
    /// gives for a partial holding it (then a one-block call needs no partial).
    fn alone_is_fixed(&self) -> bool;
    /// The reduced value of this sum alone.
    fn reduce(self, reduction: Reduced, count: usize) -> f64 {
        match reduction {
            Reduced::Mean => self.mean(count),
            Reduced::Sum => self.total(),
        }
    }
    /// The reduced value of the exact sum `p`: a function of the sum's value alone.
    fn reduce_fixed(p: &Partial, reduction: Reduced, count: usize) -> f64;
    /// An empty sum to continue this one with: the sum of a block's last few elements, taken in
    /// by [`LeafSum::take_tail`].
    fn tail(&self) -> Self;
    /// Takes in `tail` (from [`LeafSum::tail`]), whose first `lanes` lanes hold the sums of the
    /// next elements: as if each had been added to `self` directly.
    fn take_tail(&mut self, tail: Self, lanes: usize);
}

impl LeafSum for Lanes {
    fn add_to(self, p: &mut Partial) {
        p.add(self.total(), 0);
    }
    fn tail(&self) -> Self {
        Lanes::default()
    }
    fn take_tail(&mut self, tail: Self, lanes: usize) {
        // 0 + loss is loss exactly, so each lane adds what the element alone would have.
        for (t, s) in self.0.iter_mut().zip(&tail.0[..lanes]) {
            *t += s;
        }
    }
    fn alone_is_fixed(&self) -> bool {
        true
    }
    fn reduce_fixed(p: &Partial, reduction: Reduced, count: usize) -> f64 {
        // The sum rounded once; then as for one block, whose sum is that value exactly.
        let total = p.non_finite().unwrap_or_else(|| p.double_double(0).0);
        let mut lanes = Lanes::default();
        lanes.0[0] = total;
        lanes.reduce(reduction, count)
    }
}

impl LeafSum for CompensatedLanes {
    fn tail(&self) -> Self {
        CompensatedLanes {
            big: self.big,
            ..CompensatedLanes::default()
        }
    }
    fn take_tail(&mut self, tail: Self, lanes: usize) {
        // A tail lane holds one term as `(loss, loss_err)` (TwoSum of 0 and a loss is the loss
        // exactly), added here as the loop adds a term; the huge losses were added in order.
        for j in 0..lanes {
            let (s, err) = two_sum(self.hi[j], tail.hi[j]);
            self.hi[j] = s;
            self.lo[j] += err + tail.lo[j];
        }
        self.big = tail.big;
    }
    fn add_to(self, p: &mut Partial) {
        let lanes = self.combined();
        for (part, scale) in [(lanes, 0), (self.big, 128)] {
            p.add(part.hi, scale);
            // The rounding error means nothing beside a non-finite value.
            if part.hi.is_finite() {
                p.add(part.lo, scale);
            }
        }
    }
    fn alone_is_fixed(&self) -> bool {
        self.big == Compensated::default()
    }
    fn reduce_fixed(p: &Partial, reduction: Reduced, count: usize) -> f64 {
        if let Some(v) = p.non_finite() {
            return match reduction {
                Reduced::Mean => v / count as f64,
                Reduced::Sum => v,
            };
        }
        // Sums from 2^1000 on are held at the scale of the huge losses, so that a MEAN is
        // finite where it is even when the sum is not. Below, a block without huge losses:
        // the double-double `(hi, lo)` is the one its compensated sum normalizes to.
        let shift = if p.magnitude_exponent().is_some_and(|e| e >= 1000) {
            128
        } else {
            0
        };
        let (hi, lo) = p.double_double(shift);
        let sum = Compensated { hi, lo };
        let value = match reduction {
            Reduced::Mean => sum.mean(count),
            Reduced::Sum => sum.total(),
        };
        value * f64::from_bits(((1023 + shift) as u64) << 52)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compensated(terms: &[f64]) -> Compensated {
        let mut acc = Compensated::default();
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
        assert_eq!(terms.iter().sum::<f64>(), 1.0);
        assert_eq!(compensated(&terms).total(), 1.0 + 2f64.powi(-50));
    }

    #[test]
    fn merge_equals_sequential_for_exact_parts() {
        let a = compensated(&[1.0, 2f64.powi(-70)]);
        let b = compensated(&[3.0, 2f64.powi(-70)]);
        let (hi, lo) = a.merge(b).normalized();
        assert_eq!((hi, lo), (4.0, 2f64.powi(-69)));
    }

    #[test]
    fn lanes_add_in_lane_order_and_merge_into_lane_zero() {
        let a = Lanes(std::array::from_fn(|i| i as f64 + 1.0));
        assert_eq!(a.total(), 136.0);
        // A fixed pairwise tree: (2^53 + 0) + (1 + 1) keeps the two ones that a left-to-right
        // sum would lose one at a time.
        let mut lanes = [0.0; GROUP];
        (lanes[0], lanes[2], lanes[3]) = (2f64.powi(53), 1.0, 1.0);
        assert_eq!(Lanes(lanes).total(), 2f64.powi(53) + 2.0);
        let merged = a.merge(Lanes([0.5; GROUP]));
        assert_eq!(merged.0[0], 144.0);
        assert!(merged.0[1..].iter().all(|&v| v == 0.0));
        assert_eq!(merged.mean(16), 9.0);
    }

    #[test]
    fn empty_mean_is_nan_and_empty_sum_zero() {
        assert!(Lanes::default().mean(0).is_nan());
        assert!(Compensated::default().mean(0).is_nan());
        assert_eq!(Lanes::default().total(), 0.0);
        assert_eq!(Compensated::default().total(), 0.0);
    }

    #[test]
    fn infinities_and_nan_survive_compensation() {
        let inf = compensated(&[1.0, f64::INFINITY, 2.0]);
        assert_eq!(inf.total(), f64::INFINITY);
        assert_eq!(inf.mean(3), f64::INFINITY);
        let nan = compensated(&[1.0, f64::NAN, f64::INFINITY]);
        assert!(nan.total().is_nan());
    }
}
