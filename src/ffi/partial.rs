//! The partial sum's C type: its bytes.

use crate::Partial;

/// The size in bytes of a `softmargin_partial`.
pub const SOFTMARGIN_PARTIAL_SIZE: usize = 312;

const _: () = assert!(SOFTMARGIN_PARTIAL_SIZE == Partial::BYTES);

/// An exact partial sum of losses and the number of elements it covers, as bytes in one
/// format on every host, so it may be sent as it is between processes and machines (MPI_BYTE,
/// a socket, a file). The alignment is 1, so any address holds one. The empty sum is what
/// `softmargin_forward_partial_f32(NULL, NULL, 0, &p)` writes; zeroed bytes are not a partial.
///
/// The format, version 1; every integer is little-endian, whatever the host's byte order:
///  - bytes 0..4: the magic "SMPS";
///  - bytes 4..8: the format version, 1 (uint32);
///  - bytes 8..16: the element count (uint64);
///  - bytes 16..24: the flags (uint64): 1 a NaN loss was seen, 2 an infinite one;
///  - bytes 24..304: the sum of the finite losses in units of 2^-1074, an integer of 35 words
///    of 64 bits, two's complement, least significant word first;
///  - bytes 304..312: CRC-64/XZ (ECMA-182 polynomial, reflected, initial value and final XOR
///    all ones; the CRC of "123456789" is 0x995DC9BBDF1939FA) of bytes 0..304 (uint64).
///
/// `softmargin_partial_merge` and the `softmargin_partial_finish_*` functions check every
/// partial they read and refuse (`SOFTMARGIN_STATUS_INVALID_PARTIAL`) one whose checksum,
/// magic or version is wrong, or whose state no data can produce: a negative sum, a -inf loss
/// (losses are never negative) or any flag but 1 and 2, a count of 0 with a sum or a flag, a
/// sum of count * 2^1025 or more (a loss is below 2^1024), or a merge whose count would pass
/// UINT64_MAX. The checksum finds every change of up to 64 consecutive bits (so every single
/// flipped bit) and any other damage but for one chance in 2^64. It cannot tell a partial made
/// on purpose (anyone can compute the checksum) nor a valid partial used wrongly: one of other
/// data, one merged twice, one missing.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartialBytes {
    /// The partial's bytes.
    pub bytes: [u8; SOFTMARGIN_PARTIAL_SIZE],
}
