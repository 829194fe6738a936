//! The partial sum's C type: its bytes.

use crate::Partial;

/// The size in bytes of a `softmargin_partial`.
pub const SOFTMARGIN_PARTIAL_SIZE: usize = 312;

const _: () = assert!(SOFTMARGIN_PARTIAL_SIZE == Partial::BYTES);

/// An exact partial sum of losses and the number of elements it covers, as bytes in one
/// format on every host (little-endian words, whatever the host's byte order), so it may be
/// sent as it is between processes and machines (MPI_BYTE, a socket, a file). Its layout (a
/// magic, a format version, the count, the sum, a CRC-64 checksum) is the library's own; the
/// alignment is 1, so any address holds one. The empty sum is what
/// `softmargin_forward_partial_f32(NULL, NULL, 0, &p)` writes; zeroed bytes are not a partial.
///
/// `softmargin_partial_merge` and the `softmargin_partial_finish_*` functions check every
/// partial they read and refuse (`SOFTMARGIN_STATUS_INVALID_PARTIAL`) one whose checksum,
/// magic or version is wrong, or whose state no data can produce: a negative sum, a -inf loss
/// (losses are never negative), an unknown flag, a count of 0 with a sum or a flag, a
/// sum larger than its count of losses can reach, or a merge whose count would pass
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
