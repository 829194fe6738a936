//! Rounding to odd: a double-double value rounded to `f32` so that a second rounding, to a
//! format of fewer bits, is the correct rounding of the double-double value.

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
}
