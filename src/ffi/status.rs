//! Status codes and their descriptions.

use std::ffi::CStr;

/// The call succeeded.
pub const SOFTMARGIN_STATUS_OK: i32 = 0;
/// A pointer that must not be NULL was NULL: an array pointer with a nonzero `len`, or the
/// pointer to a single value (the MEAN/SUM `output`, the MEAN/SUM `grad_output`).
pub const SOFTMARGIN_STATUS_NULL_POINTER: i32 = 1;
/// `reduction` is not one of the `SOFTMARGIN_REDUCTION_*` values.
pub const SOFTMARGIN_STATUS_INVALID_REDUCTION: i32 = 2;
/// An output buffer overlaps an input buffer without being exactly the same buffer of the same
/// length, or two output buffers overlap.
pub const SOFTMARGIN_STATUS_OVERLAP: i32 = 3;
/// A target is not exactly -1 or +1 (from `softmargin_check_target_*` only).
pub const SOFTMARGIN_STATUS_INVALID_TARGET: i32 = 4;
/// An argument is out of range: `len` so large that the buffer would not fit in the address
/// space, a buffer that would wrap around the end of the address space, or a thread count above
/// `SOFTMARGIN_MAX_THREADS`.
pub const SOFTMARGIN_STATUS_INVALID_ARGUMENT: i32 = 5;
/// An internal error stopped the call (a bug in the library; please report it). Output
/// buffers may have been partly written.
pub const SOFTMARGIN_STATUS_PANIC: i32 = 6;
/// A non-NULL pointer is not aligned for its type (4 bytes for `float`, 8 for `double`, 2 for
/// the 16-bit types, the alignment of `size_t` for `first_invalid`), whatever the length.
pub const SOFTMARGIN_STATUS_MISALIGNED: i32 = 7;
/// A `softmargin_partial` read by the call is not one: its checksum, magic or version is wrong,
/// or it describes a sum no data can give; or a merge's count would pass UINT64_MAX (see
/// `softmargin_partial`).
pub const SOFTMARGIN_STATUS_INVALID_PARTIAL: i32 = 8;

/// The description of a status; every integer has one.
pub(crate) fn status_str(status: i32) -> &'static CStr {
    match status {
        SOFTMARGIN_STATUS_OK => c"success",
        SOFTMARGIN_STATUS_NULL_POINTER => c"a required pointer is NULL",
        SOFTMARGIN_STATUS_INVALID_REDUCTION => {
            c"invalid reduction (expected SOFTMARGIN_REDUCTION_NONE, _MEAN or _SUM)"
        }
        SOFTMARGIN_STATUS_OVERLAP => {
            c"an output overlaps an input (other than as the very same buffer) or another output"
        }
        SOFTMARGIN_STATUS_INVALID_TARGET => c"a target is not exactly -1 or +1",
        SOFTMARGIN_STATUS_INVALID_ARGUMENT => c"an argument is out of range",
        SOFTMARGIN_STATUS_PANIC => c"internal error (a bug in softmargin)",
        SOFTMARGIN_STATUS_MISALIGNED => c"a pointer is not aligned for its type",
        SOFTMARGIN_STATUS_INVALID_PARTIAL => {
            c"a partial sum is corrupted or impossible, or a merge's count would overflow"
        }
        _ => c"unknown status",
    }
}
