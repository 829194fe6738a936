//! Rounding a double-double value once: to odd in `f32`, so that a second rounding, to a format
//! of fewer bits, is the correct rounding of the double-double value; and to the nearest `f32`.

/// `hi + lo` rounded to `f32` with round-to-odd: the truncation toward zero, with its last bit
/// set when anything was dropped. Rounding that to a format of fewer bits (all but the
/// subnormal `f32`s have 13 or 16 bits to spare here) is then the correct rounding of `hi + lo`.
pub(crate) fn round_to_odd(hi: f64, lo: f64) -> f32 {
    let f = hi as f32;
    if !f.is_finite() {
        return f;
    }
    // hi - f is exact (f is hi rounded), and either nonzero and at least an f64 ulp of hi (so
    // at least twice lo), or zero: its sum with lo has the sign of what f lacks.
    let rest = (hi - f64::from(f)) + lo;
    if rest == 0.0 {
        return f;
    }
    let positive = if f != 0.0 { f > 0.0 } else { rest > 0.0 };
    // f is beyond the exact value (farther from zero) when rest points back toward zero.
    let beyond = f != 0.0 && ((rest > 0.0) != positive);
    let magnitude = (f.to_bits() & 0x7fff_ffff) - u32::from(beyond);
    let sign = if positive { 0 } else { 0x8000_0000 };
    f32::from_bits(sign | magnitude | 1)
}

/// `hi + lo` rounded once to the nearest `f32` (ties to even), for a double-double value
/// (`|lo|` at most half an ulp of `hi`; only its sign counts where it is below an ulp of the
/// `f32` result): rounded to odd in `f64` first, which keeps what decides the second rounding.
pub(crate) fn nearest_f32(hi: f64, lo: f64) -> f32 {
    if lo == 0.0 || !hi.is_finite() {
        return hi as f32;
    }
    // The truncation of hi + lo toward zero: hi, or the next double toward zero where lo
    // points back to zero; then its last bit set, for what was dropped.
    let toward_zero = (lo < 0.0) == (hi > 0.0);
    let bits = hi.to_bits() - u64::from(toward_zero);
    f64::from_bits(bits | 1) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_to_odd_keeps_what_was_dropped() {
        let one = 1.0f64;
        assert_eq!(round_to_odd(one, 0.0), 1.0);
        assert_eq!(round_to_odd(one, 1e-30).to_bits(), 1f32.to_bits() | 1);
        assert_eq!(round_to_odd(one, -1e-30).to_bits(), 1f32.to_bits() - 1);
        assert_eq!(round_to_odd(-one, -1e-30).to_bits(), (-1f32).to_bits() | 1);
        assert_eq!(round_to_odd(1e-300, 0.0).to_bits(), 1);
        assert_eq!(round_to_odd(-1e-300, 0.0).to_bits(), 0x8000_0001);
        assert_eq!(round_to_odd(1e300, 0.0), f32::INFINITY);
    }

    #[test]
    fn nearest_f32_breaks_ties_by_the_low_part() {
        // 1 + 2^-24 is the midpoint of 1 and 1 + 2^-23.
        let mid = 1.0 + f64::from(f32::EPSILON) / 2.0;
        assert_eq!(nearest_f32(mid, 0.0), 1.0);
        assert_eq!(nearest_f32(mid, 1e-30), 1.0 + f32::EPSILON);
        assert_eq!(nearest_f32(mid, -1e-30), 1.0);
        assert_eq!(nearest_f32(-mid, -1e-30), -1.0 - f32::EPSILON);
        // Below a power of two: 1 - 2^-25 is the midpoint of 1 - 2^-24 and 1.
        let below = 1.0 - f64::from(f32::EPSILON) / 4.0;
        assert_eq!(nearest_f32(below, -1e-30), 1.0 - f32::EPSILON / 2.0);
        assert_eq!(nearest_f32(below, 1e-30), 1.0);
        assert_eq!(nearest_f32(1.0, -1e-30), 1.0);
    }
}
