//! A partial sum's bytes, the same on every host: what travels between processes, checked on
//! the way in.
//!
//! The format, version 1, [`Partial::BYTES`] bytes, every integer little-endian:
//!
//! | bytes     | content                                                          |
//! |-----------|------------------------------------------------------------------|
//! | 0..4      | the magic `SMPS`                                                 |
//! | 4..8      | the format version, 1 (`u32`)                                    |
//! | 8..16     | the element count (`u64`)                                        |
//! | 16..24    | the flags: 1 a NaN loss was seen, 2 an infinite one (`u64`)      |
//! | 24..304   | the sum in units of 2^-1074, 35 words of 64 bits, lowest first   |
//! | 304..312  | CRC-64/XZ of bytes 0..304 (`u64`)                                |
//!
//! [`Partial::from_bytes`] refuses bytes that are not such a partial: a wrong magic, version or
//! checksum, or a state no data can produce (a negative sum, a `-inf` or unknown flag, a count
//! of 0 with a sum or a flag, a sum larger than its count of losses can reach). The checksum
//! finds every change of up to 64 consecutive bits (so every flipped bit), and other damage
//! but for one chance in 2^64; it is no defence against bytes made on purpose (anyone can
//! compute it), nor against a valid partial in the wrong place (of other data, or merged
//! twice).

use super::{Partial, NAN, NEG_INF, POS_INF, UNIT, WORDS};
use crate::error::Error;

/// The format's first bytes.
const MAGIC: [u8; 4] = *b"SMPS";
/// The format's version.
const VERSION: u32 = 1;
/// Where the words start, and where the checksum does.
const WORDS_AT: usize = 24;
const CHECK_AT: usize = WORDS_AT + 8 * WORDS;

/// CRC-64/XZ (the ECMA-182 polynomial, reflected, as xz and Go's `crc64.ECMA` use).
const CRC: crc::Crc<u64> = crc::Crc::<u64>::new(&crc::CRC_64_XZ);

/// A loss is at most the largest `f64`, below 2^1024; the blocks' rounded sums may exceed the
/// exact one by a few ulp. So a valid sum of `count` losses is below `count * 2^1025`: in units
/// of 2^-1074, its bits from `LIMIT` up, as an integer, are below `count`. The bound is linear
/// in the count, so the merge of two valid partials is valid.
const LIMIT: i64 = 1025 - UNIT;

impl Partial {
    /// The size of a partial's bytes ([`Partial::to_bytes`]).
    pub const BYTES: usize = CHECK_AT + 8;

    /// The partial's bytes, in the one format every host reads (see `src/partial/wire.rs`).
    pub fn to_bytes(&self) -> [u8; Partial::BYTES] {
        let mut b = [0u8; Partial::BYTES];
        b[0..4].copy_from_slice(&MAGIC);
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        b[8..16].copy_from_slice(&self.count.to_le_bytes());
        b[16..24].copy_from_slice(&self.flags.to_le_bytes());
        for (i, w) in self.words.iter().enumerate() {
            b[WORDS_AT + 8 * i..WORDS_AT + 8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        let check = CRC.checksum(&b[..CHECK_AT]);
        b[CHECK_AT..].copy_from_slice(&check.to_le_bytes());
        b
    }

    /// The partial whose bytes these are, or [`Error::InvalidPartial`] for bytes that are not
    /// one (corrupted, of another format, or of a state no data can produce).
    pub fn from_bytes(b: &[u8; Partial::BYTES]) -> Result<Partial, Error> {
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        let version = u32::from_le_bytes(b[4..8].try_into().expect("4 bytes"));
        if b[0..4] != MAGIC || version != VERSION || word(CHECK_AT) != CRC.checksum(&b[..CHECK_AT])
        {
            return Err(Error::InvalidPartial);
        }
        let p = Partial {
            words: std::array::from_fn(|i| word(WORDS_AT + 8 * i)),
            count: word(8),
            flags: word(16),
        };
        if p.is_possible() {
            Ok(p)
        } else {
            Err(Error::InvalidPartial)
        }
    }

    /// Whether some data gives this partial: losses are never negative nor `-inf`, and a
    /// count of losses bounds their sum.
    fn is_possible(&self) -> bool {
        let negative = self.words[WORDS - 1] >> 63 == 1;
        let flags_known = self.flags & !(NAN | POS_INF) == 0 && self.flags & NEG_INF == 0;
        let bounded = match super::top_bit(&self.words) {
            None => self.count > 0 || self.flags == 0,
            Some(top) => top < LIMIT + 64 && super::field(&self.words, LIMIT, 64) < self.count,
        };
        !negative && flags_known && bounded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// CRC-64/XZ, bit by bit from its definition (reflected ECMA-182 polynomial, all-ones
    /// start and end): the crate's table-driven one must agree.
    fn crc64_xz(data: &[u8]) -> u64 {
        let mut crc = !0u64;
        for &byte in data {
            crc ^= u64::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xC96C_5795_D787_0F42
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn the_checksum_is_crc64_xz() {
        // The catalogue's check value for "123456789".
        assert_eq!(crc64_xz(b"123456789"), 0x995D_C9BB_DF19_39FA);
        assert_eq!(CRC.checksum(b"123456789"), 0x995D_C9BB_DF19_39FA);
    }

    /// The bytes of a partial written out by hand from the format's table, independently of
    /// [`Partial::to_bytes`].
    fn by_hand(count: u64, flags: u64, words: &[(usize, u64)]) -> Vec<u8> {
        let mut b = b"SMPS".to_vec();
        b.extend(1u32.to_le_bytes());
        b.extend(count.to_le_bytes());
        b.extend(flags.to_le_bytes());
        let mut w = [0u64; 35];
        for &(i, v) in words {
            w[i] = v;
        }
        for v in w {
            b.extend(v.to_le_bytes());
        }
        let check = crc64_xz(&b);
        b.extend(check.to_le_bytes());
        b
    }

    #[test]
    fn the_bytes_are_the_documented_format() {
        // 2^20 is bit 1094 = 64 * 17 + 6 of the sum in units of 2^-1074.
        let mut p = Partial::default();
        p.add(2f64.powi(20), 0);
        p.count = 3;
        assert_eq!(p.to_bytes().to_vec(), by_hand(3, 0, &[(17, 1 << 6)]));
        // The two smallest subnormals, 1 and 2 units: 3 in word 0; and a NaN, flag 1.
        let mut p = Partial::default();
        p.add(f64::from_bits(1), 0);
        p.add(f64::from_bits(2), 0);
        p.add(f64::NAN, 0);
        p.count = 7;
        assert_eq!(p.to_bytes().to_vec(), by_hand(7, 1, &[(0, 3)]));
        assert_eq!(Partial::default().to_bytes().to_vec(), by_hand(0, 0, &[]));
        assert_eq!(Partial::BYTES, 312);
    }

    #[test]
    fn bytes_read_back_to_the_same_partial() {
        let mut p = Partial::default();
        for (i, v) in [1.5, 2f64.powi(-1000), 3e300, f64::INFINITY]
            .into_iter()
            .enumerate()
        {
            p.add(v, 0);
            p.count = i as u64 + 1;
            assert_eq!(Partial::from_bytes(&p.to_bytes()), Ok(p));
        }
    }

    /// A partial's bytes with the checksum made right again: only the content checks can
    /// refuse it.
    fn resealed(mut b: [u8; Partial::BYTES]) -> [u8; Partial::BYTES] {
        let check = crc64_xz(&b[..CHECK_AT]);
        b[CHECK_AT..].copy_from_slice(&check.to_le_bytes());
        b
    }

    #[test]
    fn impossible_partials_are_refused_even_with_a_right_checksum() {
        let mut p = Partial::default();
        p.add(2.5, 0);
        p.count = 2;
        let good = p.to_bytes();
        let refused = |b: [u8; Partial::BYTES]| Partial::from_bytes(&resealed(b)).is_err();
        let mut b = good;
        b[CHECK_AT - 1] |= 0x80; // the top word's sign bit: a negative sum
        assert!(refused(b));
        let mut b = good;
        b[16] = 4; // -inf
        assert!(refused(b));
        b[16] = 8; // a flag no version defines
        assert!(refused(b));
        let mut b = good;
        b[8..16].copy_from_slice(&0u64.to_le_bytes()); // no elements, a sum
        assert!(refused(b));
        let mut b = Partial::default().to_bytes();
        b[16] = 2; // no elements, a flag
        assert!(refused(b));
        // A sum larger than one loss can be: bit 2099 (2^1025) with a count of 1; with a
        // count of 2, 2^1025 is below the bound 2 * 2^1025.
        let mut b = good;
        let at = WORDS_AT + 8 * (2099 / 64);
        b[at..at + 8].copy_from_slice(&(1u64 << (2099 % 64)).to_le_bytes());
        b[8..16].copy_from_slice(&1u64.to_le_bytes());
        assert!(refused(b));
        b[8..16].copy_from_slice(&2u64.to_le_bytes());
        assert!(!refused(b));
        // Magic and version, with the checksum made right.
        let mut b = good;
        b[0] = b'X';
        assert!(refused(b));
        let mut b = good;
        b[4] = 2;
        assert!(refused(b));
        assert!(!refused(good));
    }

    #[test]
    fn every_flipped_bit_is_refused() {
        let mut p = Partial::default();
        for v in [0.3, 7e-300, 1e10, f64::NAN] {
            p.add(v, 0);
        }
        p.count = 4;
        let good = p.to_bytes();
        for bit in 0..8 * Partial::BYTES {
            let mut b = good;
            b[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                Partial::from_bytes(&b),
                Err(Error::InvalidPartial),
                "bit {bit}"
            );
        }
    }

    #[test]
    fn a_merge_whose_count_would_overflow_is_refused() {
        let mut a = Partial {
            count: u64::MAX - 1,
            ..Partial::default()
        };
        let b = Partial {
            count: 3,
            ..Partial::default()
        };
        let before = a;
        assert_eq!(a.merge(&b), Err(Error::InvalidPartial));
        assert_eq!(a, before);
        let b = Partial {
            count: 1,
            ..Partial::default()
        };
        assert_eq!(a.merge(&b), Ok(()));
        assert_eq!(a.count(), u64::MAX);
    }
}
