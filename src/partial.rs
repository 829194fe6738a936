//! Exact partial sums of losses: what shards of one data set (MPI ranks, say) compute, send as
//! bytes and merge, so that the combined MEAN or SUM is the one process's result bit for bit.
//!
//! A [`Partial`] holds the exact sum of the block sums it was given as a fixed-point integer:
//! 35 words of 64 bits, two's complement, the lowest bit worth 2^-1074 (the smallest
//! subnormal `f64`). Every finite `f64` (times the 2^128 of the huge-loss sums) is such an
//! integer, and the sum of fewer than 2^64 losses, each at most the largest `f64`, stays below
//! 2^1088, well inside the range. Adding one is an integer addition, so merging is exact,
//! commutative and associative: any order and grouping of merges gives the same bits.
//! Infinite and NaN block sums are kept as flags beside it.
//!
//! Single-process reductions merge their block sums the same way (`crate::total`), so a
//! sum over shards that start at multiples of [`crate::BLOCK`] elements, whose block
//! sums are then the single process's, finishes to the same bits.
//!
//! - [`wire`]: a partial's bytes, the same on every host, and the checks on reading them.

mod wire;

use crate::error::Error;

/// The words of the fixed-point sum.
pub(crate) const WORDS: usize = 35;

/// The weight of the lowest bit, as a power of two.
const UNIT: i64 = -1074;

/// The flag of a NaN block sum.
const NAN: u64 = 1;
/// The flag of a `+inf` block sum.
const POS_INF: u64 = 2;
/// The flag of a `-inf` block sum.
const NEG_INF: u64 = 4;

/// An exact partial sum of losses and the number of elements it covers. To send it to another
/// process, send [`Partial::to_bytes`] (the same on every host) and read it there with
/// [`Partial::from_bytes`], which refuses corrupted or impossible bytes. `Partial::default()`
/// is the empty sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Partial {
    /// The sum of the finite block sums, in units of 2^-1074, two's complement, least
    /// significant word first.
    pub(crate) words: [u64; 35],
    /// The number of elements whose losses the sum holds.
    pub(crate) count: u64,
    /// Which non-finite block sums were seen (NaN, `+inf`, `-inf`).
    pub(crate) flags: u64,
}

impl Default for Partial {
    fn default() -> Self {
        Partial {
            words: [0; WORDS],
            count: 0,
            flags: 0,
        }
    }
}

/// `value` added at word `at`, carried upward (wrapping above the top word).
fn add_at(words: &mut [u64; WORDS], at: usize, value: u64) {
    let mut carry = value;
    for w in &mut words[at..] {
        let (sum, over) = w.overflowing_add(carry);
        *w = sum;
        if !over {
            return;
        }
        carry = 1;
    }
}

/// `value` subtracted at word `at`, borrowed upward (two's complement: wraps below zero).
fn sub_at(words: &mut [u64; WORDS], at: usize, value: u64) {
    let mut borrow = value;
    for w in &mut words[at..] {
        let (diff, under) = w.overflowing_sub(borrow);
        *w = diff;
        if !under {
            return;
        }
        borrow = 1;
    }
}

/// The position of the highest set bit.
fn top_bit(words: &[u64; WORDS]) -> Option<i64> {
    (0..WORDS)
        .rev()
        .find(|&i| words[i] != 0)
        .map(|i| i as i64 * 64 + 63 - i64::from(words[i].leading_zeros()))
}

/// Bit `pos` (0 below the lowest).
fn bit(words: &[u64; WORDS], pos: i64) -> bool {
    pos >= 0 && (words[pos as usize / 64] >> (pos % 64)) & 1 == 1
}

/// Bits `lo..lo + n` (`n <= 64`) as an integer.
fn field(words: &[u64; WORDS], lo: i64, n: i64) -> u64 {
    (0..n).fold(0, |acc, k| acc | (u64::from(bit(words, lo + k)) << k))
}

/// Whether any bit below `pos` is set.
fn any_below(words: &[u64; WORDS], pos: i64) -> bool {
    if pos <= 0 {
        return false;
    }
    let (full, rest) = ((pos / 64) as usize, pos % 64);
    words[..full].iter().any(|&w| w != 0) || (rest > 0 && words[full] & ((1 << rest) - 1) != 0)
}

/// The words below bit `pos` (the others cleared).
fn below(words: &[u64; WORDS], pos: i64) -> [u64; WORDS] {
    let mut low = [0; WORDS];
    let (full, rest) = ((pos / 64) as usize, pos % 64);
    low[..full].copy_from_slice(&words[..full]);
    if rest > 0 {
        low[full] = words[full] & ((1 << rest) - 1);
    }
    low
}

/// `m 2^e` for `m <= 2^53`: one rounding at most, at the last step (the steps before are
/// exact), so an overflow gives infinity and an underflow the value rounded once.
fn scaled(m: u64, e: i64) -> f64 {
    let pow2 = |k: i64| f64::from_bits(((1023 + k) as u64) << 52);
    let mut v = m as f64;
    let mut e = e;
    while e > 1000 {
        v *= pow2(1000);
        e -= 1000;
    }
    while e < -1000 {
        v *= pow2(-1000);
        e += 1000;
    }
    v * pow2(e)
}

/// A non-negative integer rounded to nearest, ties to even, to 53 bits: the significand, the
/// exponent of its last bit, and the rest (the integer minus the rounded value) as a magnitude
/// and whether it is negative.
fn round53(words: &[u64; WORDS]) -> Option<(u64, i64, [u64; WORDS], bool)> {
    let top = top_bit(words)?;
    if top < 53 {
        return Some((field(words, 0, 53), 0, [0; WORDS], false));
    }
    let e = top - 52;
    let m = field(words, e, 53);
    let up = bit(words, e - 1) && (any_below(words, e - 1) || m & 1 == 1);
    let mut rest = below(words, e);
    if up {
        // 2^e minus the bits below e, which are more than 2^(e-1): positive.
        let mut power = [0u64; WORDS];
        power[e as usize / 64] = 1 << (e % 64);
        for (i, &w) in rest.iter().enumerate() {
            sub_at(&mut power, i, w);
        }
        rest = power;
    }
    Some((m + u64::from(up), e, rest, up))
}

impl Partial {
    /// The number of elements the sum covers.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Adds `other` into `self`, counts included: exact, so any order and grouping of merges
    /// gives the same bits. Refuses ([`Error::InvalidPartial`], `self` unchanged) a merge
    /// whose count would pass `u64::MAX`.
    pub fn merge(&mut self, other: &Partial) -> Result<(), Error> {
        self.count = self
            .count
            .checked_add(other.count)
            .ok_or(Error::InvalidPartial)?;
        self.merge_sum(other);
        Ok(())
    }

    /// Adds the sum and flags of `other` into `self`, not its count.
    pub(crate) fn merge_sum(&mut self, other: &Partial) {
        let mut carry = false;
        for (w, &o) in self.words.iter_mut().zip(&other.words) {
            let (s1, c1) = w.overflowing_add(o);
            let (s2, c2) = s1.overflowing_add(u64::from(carry));
            *w = s2;
            carry = c1 | c2;
        }
        self.flags |= other.flags;
    }

    /// Adds `v 2^scale` (`scale >= 0`) exactly; a non-finite `v` is kept as a flag.
    pub(crate) fn add(&mut self, v: f64, scale: i64) {
        if v.is_nan() {
            self.flags |= NAN;
            return;
        }
        if v.is_infinite() {
            self.flags |= if v > 0.0 { POS_INF } else { NEG_INF };
            return;
        }
        let bits = v.to_bits();
        let field = ((bits >> 52) & 0x7ff) as i64;
        let fraction = bits & ((1 << 52) - 1);
        let (m, e) = if field == 0 {
            (fraction, -1074)
        } else {
            (fraction | 1 << 52, field - 1075)
        };
        if m == 0 {
            return;
        }
        let pos = e - UNIT + scale;
        let (at, shift) = ((pos / 64) as usize, pos % 64);
        let wide = u128::from(m) << shift;
        let (low, high) = (wide as u64, (wide >> 64) as u64);
        if v > 0.0 {
            add_at(&mut self.words, at, low);
            add_at(&mut self.words, at + 1, high);
        } else {
            sub_at(&mut self.words, at, low);
            sub_at(&mut self.words, at + 1, high);
        }
    }

    /// The non-finite value the flags make the sum, if any: NaN for a NaN or for both
    /// infinities, else the infinity seen.
    pub(crate) fn non_finite(&self) -> Option<f64> {
        match self.flags {
            0 => None,
            POS_INF => Some(f64::INFINITY),
            NEG_INF => Some(f64::NEG_INFINITY),
            _ => Some(f64::NAN),
        }
    }

    /// The position of the highest bit of the sum's magnitude, as a power of two (`None` for
    /// zero).
    pub(crate) fn magnitude_exponent(&self) -> Option<i64> {
        top_bit(&self.magnitude().0).map(|p| p + UNIT)
    }

    /// The sum's magnitude and whether it is negative.
    fn magnitude(&self) -> ([u64; WORDS], bool) {
        let negative = self.words[WORDS - 1] >> 63 == 1;
        if !negative {
            return (self.words, false);
        }
        let mut m = [0u64; WORDS];
        for (i, &w) in self.words.iter().enumerate() {
            sub_at(&mut m, i, w);
        }
        (m, true)
    }

    /// The finite sum times `2^-shift` as a double-double `hi + lo`: `hi` the correctly
    /// rounded value, `lo` the rest correctly rounded (exact where the rest fits in 53 bits).
    pub(crate) fn double_double(&self, shift: i64) -> (f64, f64) {
        let (magnitude, negative) = self.magnitude();
        let sign = if negative { -1.0 } else { 1.0 };
        let Some((m, e, rest, rest_negative)) = round53(&magnitude) else {
            return (0.0, 0.0);
        };
        let hi = scaled(m, e + UNIT - shift);
        let lo = match round53(&rest) {
            Some((m2, e2, _, _)) => {
                let lo = scaled(m2, e2 + UNIT - shift);
                if rest_negative {
                    -lo
                } else {
                    lo
                }
            }
            None => 0.0,
        };
        (sign * hi, sign * lo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[f64]) -> Partial {
        let mut p = Partial::default();
        for &v in values {
            p.add(v, 0);
        }
        p
    }

    #[test]
    fn sums_are_exact_and_rounded_once() {
        // 1 + 2^-80 + 2^-80: a double-double of 1 and 2^-79.
        assert_eq!(
            of(&[1.0, 2f64.powi(-80), 2f64.powi(-80)]).double_double(0),
            (1.0, 2f64.powi(-79))
        );
        // 2^53 + 1 + 1 rounds to 2^53 + 2 once (a sum in f64 would lose both ones).
        assert_eq!(
            of(&[2f64.powi(53), 1.0, 1.0]).double_double(0),
            (2f64.powi(53) + 2.0, 0.0)
        );
        // A tie, 2^53 + 1: to even below, the rest +1.
        assert_eq!(
            of(&[2f64.powi(53), 1.0]).double_double(0),
            (2f64.powi(53), 1.0)
        );
        // Above the tie: up, the rest negative.
        let (hi, lo) = of(&[2f64.powi(53), 1.0, 2f64.powi(-30)]).double_double(0);
        assert_eq!((hi, lo), (2f64.powi(53) + 2.0, -1.0 + 2f64.powi(-30)));
        // The smallest subnormal and the largest double, and a cancellation to zero.
        assert_eq!(
            of(&[f64::from_bits(1)]).double_double(0),
            (f64::from_bits(1), 0.0)
        );
        assert_eq!(of(&[f64::MAX]).double_double(0), (f64::MAX, 0.0));
        assert_eq!(of(&[f64::MAX, f64::MAX]).double_double(0).0, f64::INFINITY);
        assert_eq!(
            of(&[f64::MAX, f64::MAX]).double_double(128).0,
            f64::MAX * 2f64.powi(-127)
        );
        assert_eq!(of(&[3.5, -3.5]).double_double(0), (0.0, 0.0));
        assert_eq!(of(&[1.0, -3.0]).double_double(0), (-2.0, 0.0));
    }

    #[test]
    fn every_order_and_grouping_gives_the_same_bits() {
        let values: Vec<f64> = (0..200)
            .map(|i| ((i * 7919 % 1000) as f64 - 300.0) * 2f64.powi((i * 37 % 400) - 200))
            .collect();
        let whole = of(&values);
        let mut forward = Partial::default();
        let mut backward = Partial::default();
        for chunk in values.chunks(7) {
            forward.merge_sum(&of(chunk));
        }
        for chunk in values.rchunks(13) {
            backward.merge_sum(&of(chunk));
        }
        assert_eq!(forward, whole);
        assert_eq!(backward, whole);
        // Against a plain sum of the values sorted by size: the exact value rounds to it or to
        // a neighbour.
        let mut sorted = values.clone();
        sorted.sort_by(|a, b| a.abs().total_cmp(&b.abs()));
        let naive: f64 = sorted.iter().sum();
        let (hi, _) = whole.double_double(0);
        approx::assert_relative_eq!(hi, naive, max_relative = 1e-15);
    }

    #[test]
    fn non_finite_sums_are_flags() {
        assert_eq!(of(&[1.0, f64::INFINITY]).non_finite(), Some(f64::INFINITY));
        assert!(of(&[f64::INFINITY, f64::NEG_INFINITY])
            .non_finite()
            .unwrap()
            .is_nan());
        assert!(of(&[f64::NAN, 2.0]).non_finite().unwrap().is_nan());
        assert_eq!(of(&[1.0]).non_finite(), None);
    }
}
