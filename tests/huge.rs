//! Buffers of more than 2^31 and 2^32 elements: no 32-bit index or count overflows, and the
//! sums stay accurate. The buffers are anonymous zero pages, which cost no memory when only
//! read; input and target are the same mapping (allowed: inputs may alias), so every element
//! has x = 0 and its loss is log 2.
//!
//! Ignored by default (tens of seconds); CI runs them with `cargo test --test huge -- --ignored`.

mod common;

use common::reference::{Dd, Scaled};
use common::{ulps, Elem};
use softmargin::{forward_reduced, Reduced};

/// `len` zeros of `T` in a read-only anonymous mapping, unmapped on drop.
struct Zeros<T> {
    ptr: *mut libc::c_void,
    bytes: usize,
    len: usize,
    _t: std::marker::PhantomData<T>,
}

impl<T> Zeros<T> {
    fn new(len: usize) -> Zeros<T> {
        let bytes = len * std::mem::size_of::<T>();
        // SAFETY: a fresh private anonymous mapping; checked for failure below.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap of {bytes} bytes failed");
        Zeros {
            ptr,
            bytes,
            len,
            _t: std::marker::PhantomData,
        }
    }

    fn slice(&self) -> &[T] {
        // SAFETY: the mapping holds `len` zero-initialised (valid for f32/f64) elements, is
        // aligned to a page, and lives as long as `self`.
        unsafe { std::slice::from_raw_parts(self.ptr.cast::<T>(), self.len) }
    }
}

impl<T> Drop for Zeros<T> {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `new`.
        unsafe { libc::munmap(self.ptr, self.bytes) };
    }
}

/// ln 2 as a double-double.
const LN2: Dd = Dd {
    hi: std::f64::consts::LN_2,
    lo: 2.319_046_813_846_299_6e-17,
};

fn check<T: Elem>(len: usize) {
    let zeros = Zeros::<T>::new(len);
    let x = zeros.slice();
    let mean = forward_reduced(x, x, Reduced::Mean).unwrap();
    let sum = forward_reduced(x, x, Reduced::Sum).unwrap();
    let e_mean = ulps(mean, 1.0, Scaled::plain(LN2));
    let e_sum = ulps(sum, 1.0, Scaled::plain(LN2.mul_f(len as f64)));
    println!(
        "{} len {len}: mean {:e} ({e_mean:.3} ulp), sum {:e} ({e_sum:.3} ulp)",
        T::NAME,
        mean.to_f64(),
        sum.to_f64()
    );
    assert!(e_mean <= 1.0, "mean {e_mean} ulp");
    assert!(e_sum <= 2.0, "sum {e_sum} ulp");
}

const BEYOND_2_31: usize = (1 << 31) + 17;
const BEYOND_2_32: usize = (1 << 32) + 17;

#[test]
#[ignore = "tens of seconds; run by CI"]
fn f32_beyond_2_31() {
    check::<f32>(BEYOND_2_31);
    // Through the C interface too: its size checks and pointer handling at this length.
    let zeros = Zeros::<f32>::new(BEYOND_2_31);
    let x = zeros.slice();
    let mut mean = 0.0f32;
    // SAFETY: x is readable for BEYOND_2_31 elements; mean is a separate float.
    let status = unsafe {
        softmargin::ffi::softmargin_forward_f32(
            x.as_ptr(),
            x.as_ptr(),
            x.len(),
            softmargin::ffi::SOFTMARGIN_REDUCTION_MEAN,
            &mut mean,
        )
    };
    assert_eq!(status, softmargin::ffi::SOFTMARGIN_STATUS_OK);
    let core = forward_reduced(x, x, Reduced::Mean).unwrap();
    assert_eq!(mean.to_bits(), core.to_bits());
}

#[test]
#[ignore = "tens of seconds; run by CI"]
fn f64_beyond_2_31() {
    check::<f64>(BEYOND_2_31);
}

#[test]
#[ignore = "tens of seconds; run by CI"]
fn f32_beyond_2_32() {
    check::<f32>(BEYOND_2_32);
}
