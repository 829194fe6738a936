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

/// A caller's buffer: a pointer and an element count. Made unchecked by [`Buffer::array`] or
/// [`Buffer::scalar`]; a call passes all of its buffers to [`check`] before it uses any, and
/// then each is non-NULL (unless empty), aligned, and fits in the address space.
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

/// What [`check`] needs of a buffer of any element type.
#[derive(Clone, Copy)]
pub(crate) struct Claim {
    addr: usize,
    len: usize,
    size: usize,
    align: usize,
}

/// Whether a buffer keeps one rule of [`check`].
type Rule = fn(&Claim) -> bool;

/// Checks the buffers of a call, one rule at a time over all of them, in the header's order:
/// `SOFTMARGIN_STATUS_INVALID_ARGUMENT` (a size beyond the address space, or a buffer that
/// would wrap around its end), then `_NULL_POINTER`, then `_MISALIGNED`; the first rule that
/// a buffer breaks is the call's status, whichever buffer it is. An empty array's pointer is
/// never read, so it may be NULL; one that is not NULL must still be aligned, as the header
/// says of every pointer.
pub(crate) fn check(claims: &[Claim]) -> Result<(), Refusal> {
    let fits = |c: &Claim| match c.len.checked_mul(c.size) {
        Some(bytes) => bytes <= isize::MAX as usize && c.addr.checked_add(bytes).is_some(),
        None => false,
    };
    let rules: [(Rule, Refusal); 3] = [
        (fits, SOFTMARGIN_STATUS_INVALID_ARGUMENT),
        (
            |c| c.len == 0 || c.addr != 0,
            SOFTMARGIN_STATUS_NULL_POINTER,
        ),
        (|c| c.addr % c.align == 0, SOFTMARGIN_STATUS_MISALIGNED),
    ];
    for (holds, refusal) in rules {
        if !claims.iter().all(holds) {
            return Err(refusal);
        }
    }
    Ok(())
}

impl<T> Buffer<T> {
    /// An array of `len` elements, which may be NULL (and is then never read) when `len` is 0.
    pub(crate) fn array(ptr: *const T, len: usize) -> Self {
        Buffer { ptr, len }
    }

    /// A single value, which must not be NULL.
    pub(crate) fn scalar(ptr: *const T) -> Self {
        Buffer { ptr, len: 1 }
    }

    /// What [`check`] needs of the buffer.
    pub(crate) fn claim(&self) -> Claim {
        Claim {
            addr: self.ptr as usize,
            len: self.len,
            size: size_of::<T>(),
            align: align_of::<T>(),
        }
    }

    fn region(&self) -> Region {
        let start = self.ptr as usize;
        Region {
            start,
            // Checked not to wrap (an empty buffer is empty wherever it points).
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
        // (checked by `check`); readable and unaliased by the caller's contract.
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
        // SAFETY: non-NULL and aligned (checked by `check`); writable by the caller's contract.
        unsafe { self.ptr.cast_mut().write(value) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked<T>(buffers: &[Buffer<T>]) -> Result<(), Refusal> {
        check(&buffers.iter().map(Buffer::claim).collect::<Vec<_>>())
    }

    /// Whether `len` elements of `T` have a size that a buffer can have: the size rule alone
    /// (a NULL pointer breaks only the next rule).
    fn check_len<T>(len: usize) -> Result<(), Refusal> {
        match checked(&[Buffer::<T>::array(std::ptr::null(), len)]) {
            Err(SOFTMARGIN_STATUS_NULL_POINTER) => Ok(()),
            other => other,
        }
    }

    #[test]
    fn null_is_accepted_only_for_empty_arrays() {
        assert!(checked(&[Buffer::<f32>::array(std::ptr::null(), 0)]).is_ok());
        assert_eq!(
            checked(&[Buffer::<f32>::array(std::ptr::null(), 1)]),
            Err(SOFTMARGIN_STATUS_NULL_POINTER)
        );
        assert_eq!(
            checked(&[Buffer::<f64>::scalar(std::ptr::null())]),
            Err(SOFTMARGIN_STATUS_NULL_POINTER)
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
            checked(&[Buffer::array(end, 4)]),
            Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT)
        );
        assert!(checked(&[Buffer::array(x.as_ptr(), 2)]).is_ok());
    }

    #[test]
    fn misaligned_pointers_are_refused() {
        let x = [0.0f64; 3];
        let odd = (x.as_ptr() as usize + 4) as *const f64;
        assert_eq!(
            checked(&[Buffer::array(odd, 2)]),
            Err(SOFTMARGIN_STATUS_MISALIGNED)
        );
        // Nothing is read from an empty buffer, but a pointer that is not NULL must still be
        // aligned, as the header says of every pointer; NULL is.
        assert_eq!(
            checked(&[Buffer::array(odd, 0)]),
            Err(SOFTMARGIN_STATUS_MISALIGNED)
        );
        assert!(checked(&[Buffer::array(std::ptr::null::<f64>(), 0)]).is_ok());
    }

    /// A rule broken by a later buffer comes before a later rule broken by an earlier one.
    #[test]
    fn each_rule_is_checked_over_every_buffer_before_the_next() {
        let x = [0.0f64; 3];
        let odd = (x.as_ptr() as usize + 4) as *const f64;
        let wraps = (usize::MAX - 15) as *const f64;
        let null = std::ptr::null();
        let cases = [
            ([odd, null], SOFTMARGIN_STATUS_NULL_POINTER),
            ([null, odd], SOFTMARGIN_STATUS_NULL_POINTER),
            ([odd, wraps], SOFTMARGIN_STATUS_INVALID_ARGUMENT),
            ([null, wraps], SOFTMARGIN_STATUS_INVALID_ARGUMENT),
        ];
        for (ptrs, want) in cases {
            let buffers = ptrs.map(|p| Buffer::array(p, 2));
            assert_eq!(checked(&buffers), Err(want));
        }
    }

    #[test]
    fn overlap_rules() {
        let x = [0.0f32; 8];
        let p = x.as_ptr();
        let whole = Buffer::array(p, 8);
        let head = Buffer::array(p, 4);
        // SAFETY: in bounds of x.
        let tail = Buffer::array(unsafe { p.add(4) }, 4);
        let shifted = Buffer::array(unsafe { p.add(1) }, 4);
        assert!(checked(&[whole, head, tail, shifted]).is_ok());
        assert_eq!(whole.is_alias_of(&whole), Ok(true));
        assert_eq!(head.is_alias_of(&tail), Ok(false));
        assert_eq!(head.is_alias_of(&whole), Err(SOFTMARGIN_STATUS_OVERLAP));
        assert_eq!(head.is_alias_of(&shifted), Err(SOFTMARGIN_STATUS_OVERLAP));
        let empty = Buffer::<f32>::array(p, 0);
        assert_eq!(empty.is_alias_of(&whole), Ok(false));
    }
}
