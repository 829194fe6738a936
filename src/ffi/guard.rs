//! The panic boundary every exported function goes through.
//!
//! Unwinding out of an `extern "C"` function aborts the host process, and a C caller could not
//! handle a Rust panic anyway. Every export's body is one call to [`guard`], which turns a panic
//! into a value the caller can check; `tests/exports.rs` fails if an export's body is anything
//! else.

use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::status::{status_str, SOFTMARGIN_STATUS_PANIC};

/// What an exported function returns when its body panicked.
pub(crate) trait OnPanic {
    fn on_panic() -> Self;
}

/// Statuses: `SOFTMARGIN_STATUS_PANIC`.
impl OnPanic for i32 {
    fn on_panic() -> Self {
        SOFTMARGIN_STATUS_PANIC
    }
}

/// Thread counts: 0, which no successful call returns.
impl OnPanic for usize {
    fn on_panic() -> Self {
        0
    }
}

/// Strings: the description of `SOFTMARGIN_STATUS_PANIC`, never NULL.
impl OnPanic for *const c_char {
    fn on_panic() -> Self {
        status_str(SOFTMARGIN_STATUS_PANIC).as_ptr()
    }
}

/// Runs an exported function's body, returning [`OnPanic::on_panic`] if it panics.
///
/// Unwind safety is asserted: a panic can only come from a bug in the library, and the library
/// keeps no state that a half-finished call could leave inconsistent (the thread-pool state is
/// behind a mutex whose poisoning is ignored, as every value it holds is valid).
pub(crate) fn guard<R: OnPanic>(body: impl FnOnce() -> R) -> R {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|_| R::on_panic())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    #[test]
    fn a_panic_becomes_the_fallback_value() {
        assert_eq!(
            guard(|| -> i32 { panic!("test panic") }),
            SOFTMARGIN_STATUS_PANIC
        );
        assert_eq!(guard(|| -> usize { panic!("test panic") }), 0);
        let s = guard(|| -> *const c_char { panic!("test panic") });
        // SAFETY: on_panic returns a pointer to a static C string.
        let s = unsafe { CStr::from_ptr(s) };
        assert_eq!(s, status_str(SOFTMARGIN_STATUS_PANIC));
    }

    #[test]
    fn without_a_panic_the_body_s_value_passes_through() {
        assert_eq!(guard(|| 5i32), 5);
        assert_eq!(guard(|| 7usize), 7);
    }
}
