//! Checking raw C arguments and turning them into slices and operands.
//!
//! Nothing here dereferences a pointer until every rule of a call has been checked; the only
//! `unsafe` is building slices from buffers that passed those checks.

use std::mem::{align_of, size_of};

use super::status::{
    SOFTMARGIN_STATUS_INVALID_ARGUMENT, SOFTMARGIN_STATUS_MISALIGNED,
    SOFTMARGIN_STATUS_NULL_POINTER, SOFTMARGIN_STATUS_OVERLAP,
};
use crate::Operand;

/// A nonzero status: why a call was refused.
pub(crate) type Refusal = i32;

/// A caller's buffer: a pointer and an element count, checked to be non-NULL (unless empty),
/// aligned (unless empty), and to fit in the address space.
pub(crate) struct Buffer<T> {
    ptr: *const T,
    len: usize,
}

impl<T> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Buffer<T> {}

/// Bytes `start..end` of the address space.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Region {
    start: usize,
    end: usize,
}

impl Region {
    fn is_empty(self) -> bool {
        self.start == self.end
    }

    fn overlaps(self, other: Region) -> bool {
        !self.is_empty() && !other.is_empty() && self.start < other.end && other.start < self.end
    }
}

/// Checks that `len` elements of `T` have a size that a buffer can have.
pub(crate) fn check_len<T>(len: usize) -> Result<(), Refusal> {
    match len.checked_mul(size_of::<T>()) {
        Some(bytes) if bytes <= isize::MAX as usize => Ok(()),
        _ => Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT),
    }
}

impl<T> Buffer<T> {
    /// An array of `len` elements, which may be NULL (and is then never read) when `len` is 0.
    pub(crate) fn array(ptr: *const T, len: usize) -> Result<Self, Refusal> {
        check_len::<T>(len)?;
        if len == 0 {
            return Ok(Buffer {
                ptr: std::ptr::null(),
                len: 0,
            });
        }
        if ptr.is_null() {
            return Err(SOFTMARGIN_STATUS_NULL_POINTER);
        }
        if (ptr as usize) % align_of::<T>() != 0 {
            return Err(SOFTMARGIN_STATUS_MISALIGNED);
        }
        // check_len bounds the size by isize::MAX; the end must not wrap either.
        if (ptr as usize).checked_add(len * size_of::<T>()).is_none() {
            return Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT);
        }
        Ok(Buffer { ptr, len })
    }

    /// A single value, which must not be NULL.
    pub(crate) fn scalar(ptr: *const T) -> Result<Self, Refusal> {
        if ptr.is_null() {
            return Err(SOFTMARGIN_STATUS_NULL_POINTER);
        }
        Self::array(ptr, 1)
    }

    fn region(&self) -> Region {
        let start = self.ptr as usize;
        Region {
            start,
            end: start + self.len * size_of::<T>(),
        }
    }

    /// Whether the two buffers share a byte (empty buffers share none).
    pub(crate) fn overlaps<U>(&self, other: &Buffer<U>) -> bool {
        self.region().overlaps(other.region())
    }

    /// Whether the two buffers are the very same non-empty memory.
    fn same(&self, other: &Buffer<T>) -> bool {
        !self.region().is_empty() && self.region() == other.region()
    }

    /// The rule between an input and an output of a call: `Ok(true)` when they are the very
    /// same buffer, `Ok(false)` when disjoint, `SOFTMARGIN_STATUS_OVERLAP` otherwise.
    pub(crate) fn is_alias_of(&self, output: &Buffer<T>) -> Result<bool, Refusal> {
        if self.same(output) {
            Ok(true)
        } else if self.overlaps(output) {
            Err(SOFTMARGIN_STATUS_OVERLAP)
        } else {
            Ok(false)
        }
    }

    /// How an input reaches the core, given the outputs of the call and the operand naming each.
    ///
    /// # Safety
    /// The buffer must be readable for `len` elements for the lifetime `'a`, and not written
    /// through any other path during it, except through the outputs listed.
    pub(crate) unsafe fn operand<'a>(
        &self,
        outputs: &[(Buffer<T>, Operand<'static, T>)],
    ) -> Result<Operand<'a, T>, Refusal> {
        for (output, alias) in outputs {
            if self.is_alias_of(output)? {
                return Ok(match alias {
                    Operand::Loss => Operand::Loss,
                    Operand::Grad => Operand::Grad,
                    Operand::Slice(_) => unreachable!("outputs are named by Loss or Grad"),
                });
            }
        }
        // SAFETY: disjoint from every output, and readable by the caller's contract.
        Ok(Operand::Slice(unsafe { self.slice() }))
    }

    /// The buffer as a slice.
    ///
    /// # Safety
    /// The buffer must be readable for `len` elements and not written during `'a`.
    pub(crate) unsafe fn slice<'a>(&self) -> &'a [T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: non-NULL, aligned, and within one allocation of at most isize::MAX bytes
        // (checked in `array`); readable and unaliased by the caller's contract.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    /// The buffer as a mutable slice.
    ///
    /// # Safety
    /// The buffer must be writable for `len` elements and not accessed through any other path
    /// during `'a`.
    pub(crate) unsafe fn slice_mut<'a>(&self) -> &'a mut [T] {
        if self.len == 0 {
            return &mut [];
        }
        // SAFETY: as for `slice`, and exclusive by the caller's contract.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.cast_mut(), self.len) }
    }

    /// Writes the first element.
    ///
    /// # Safety
    /// The buffer must be a writable [`Buffer::scalar`] that no live reference covers.
    pub(crate) unsafe fn write(&self, value: T) {
        // SAFETY: non-NULL and aligned (checked in `scalar`); writable by the caller's contract.
        unsafe { self.ptr.cast_mut().write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_is_accepted_only_for_empty_arrays() {
        assert!(Buffer::<f32>::array(std::ptr::null(), 0).is_ok());
        assert_eq!(
            Buffer::<f32>::array(std::ptr::null(), 1).err(),
            Some(SOFTMARGIN_STATUS_NULL_POINTER)
        );
        assert_eq!(
            Buffer::<f64>::scalar(std::ptr::null()).err(),
            Some(SOFTMARGIN_STATUS_NULL_POINTER)
        );
    }

    #[test]
    fn sizes_beyond_the_address_space_are_refused() {
        let x = [0.0f64; 2];
        assert_eq!(
            check_len::<f64>(usize::MAX / 8 + 1),
            Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(
            check_len::<f64>(isize::MAX as usize / 8 + 1),
            Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT)
        );
        assert_eq!(check_len::<f64>(isize::MAX as usize / 8), Ok(()));
        let end = (usize::MAX - 15) as *const f64;
        assert_eq!(
            Buffer::array(end, 4).err(),
            Some(SOFTMARGIN_STATUS_INVALID_ARGUMENT)
        );
        assert!(Buffer::array(x.as_ptr(), 2).is_ok());
    }

    #[test]
    fn misaligned_pointers_are_refused() {
        let x = [0.0f64; 3];
        let odd = (x.as_ptr() as usize + 4) as *const f64;
        assert_eq!(
            Buffer::array(odd, 2).err(),
            Some(SOFTMARGIN_STATUS_MISALIGNED)
        );
        // Nothing is read from an empty buffer, so its pointer is not checked.
        assert!(Buffer::array(odd, 0).is_ok());
    }

    #[test]
    fn overlap_rules() {
        let x = [0.0f32; 8];
        let p = x.as_ptr();
        let whole = Buffer::array(p, 8).unwrap();
        let head = Buffer::array(p, 4).unwrap();
        // SAFETY: in bounds of x.
        let tail = Buffer::array(unsafe { p.add(4) }, 4).unwrap();
        let shifted = Buffer::array(unsafe { p.add(1) }, 4).unwrap();
        assert_eq!(whole.is_alias_of(&whole), Ok(true));
        assert_eq!(head.is_alias_of(&tail), Ok(false));
        assert_eq!(head.is_alias_of(&whole), Err(SOFTMARGIN_STATUS_OVERLAP));
        assert_eq!(head.is_alias_of(&shifted), Err(SOFTMARGIN_STATUS_OVERLAP));
        let empty = Buffer::<f32>::array(p, 0).unwrap();
        assert_eq!(empty.is_alias_of(&whole), Ok(false));
    }
}
