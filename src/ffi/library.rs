//! The library itself: the statuses' descriptions, its version, the instruction-set path in
//! use, and the thread count.

use std::ffi::c_char;

use super::guard::guard;
use super::status::{self, SOFTMARGIN_STATUS_INVALID_ARGUMENT, SOFTMARGIN_STATUS_OK};

/// Describes a status in English. Takes any integer; an unknown value gives "unknown status".
///
/// Returns a static, NUL-terminated string that must not be freed; never NULL.
#[no_mangle]
pub extern "C" fn softmargin_status_str(status: i32) -> *const c_char {
    guard(|| status::status_str(status).as_ptr())
}

/// The library's version as "MAJOR.MINOR.PATCH", the same as `SOFTMARGIN_VERSION_STRING` in
/// the header it was built with. A static string; never NULL.
#[no_mangle]
pub extern "C" fn softmargin_version() -> *const c_char {
    guard(|| VERSION.as_ptr())
}

/// The name of the instruction-set path the kernels use, for logs: "avx512" (AVX-512 F, VL, DQ
/// and BW, on x86-64 CPUs that have them), "avx2" (AVX2, FMA and F16C) or "portable" (plain code,
/// everywhere). The path is the best the CPU
/// supports, capped by the environment variable `SOFTMARGIN_ISA` when it names one of these
/// (read once, at first use, by the rule of `SOFTMARGIN_NUM_THREADS`: surrounding whitespace
/// and case ignored; any other value is ignored). Results are bitwise the same on every path;
/// only speed differs.
///
/// A static, NUL-terminated string that must not be freed; never NULL. May be called from any
/// thread at any time.
#[no_mangle]
pub extern "C" fn softmargin_isa() -> *const c_char {
    guard(|| crate::isa().c_name().as_ptr())
}

static VERSION: &std::ffi::CStr = match std::ffi::CStr::from_bytes_with_nul(
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes(),
) {
    Ok(v) => v,
    Err(_) => panic!("the package version contains a NUL byte"),
};

/// Sets the number of threads used by calls on large buffers; 0 restores the default, which is
/// the value of the environment variable `SOFTMARGIN_NUM_THREADS` when it holds a count from 1
/// to `SOFTMARGIN_MAX_THREADS` (decimal digits, surrounding whitespace ignored, taken as given
/// also above the CPU count), and otherwise the number of CPUs available to the process. A
/// count above the CPU count is accepted here too.
///
/// With `n` threads, a call on a large buffer runs on the calling thread and on `n - 1` worker
/// threads that the library creates on first use; a calling thread that has finished its part
/// waits busily (for at most 0.2 ms) for the workers' last parts before it sleeps. Calls on
/// small buffers (fewer than 32768 elements) always run on the calling thread alone. Results are
/// bitwise the same for every thread count. Calls already running finish with the threads they
/// started with. May be called from any thread at any time.
///
/// A count above the number of CPUs gains nothing, and every worker is a thread that each large
/// call wakes. A few per CPU cost little; many cost much. Measured on a 2-CPU machine, a
/// 2,000,000-element `float` MEAN (median of 21 warm calls): 1.9 ms with 2 threads, 2.2 ms with
/// 64, 75 ms with 1024, whose first call also took 0.9 s to create the workers.
///
/// Returns `SOFTMARGIN_STATUS_OK`, or `SOFTMARGIN_STATUS_INVALID_ARGUMENT` (nothing changed)
/// when `num_threads` exceeds `SOFTMARGIN_MAX_THREADS`.
#[no_mangle]
pub extern "C" fn softmargin_set_num_threads(num_threads: usize) -> i32 {
    guard(|| match crate::set_num_threads(num_threads) {
        Ok(()) => SOFTMARGIN_STATUS_OK,
        Err(crate::TooManyThreads) => SOFTMARGIN_STATUS_INVALID_ARGUMENT,
    })
}

/// The number of threads calls on large buffers use (at least 1).
#[no_mangle]
pub extern "C" fn softmargin_get_num_threads() -> usize {
    guard(crate::num_threads)
}
