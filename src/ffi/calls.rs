//! The bodies of the exported functions, generic over the element type.
//!
//! Each checks every rule of its call in the order the header documents (the reduction, then
//! each rule of [`check`] over all the buffers, then overlaps), and only then builds slices and
//! calls the core. So on every refusal no output byte has been written.

use super::args::{check, Buffer, Refusal};
use super::partial::PartialBytes;
use super::status::{
    SOFTMARGIN_STATUS_INVALID_ARGUMENT, SOFTMARGIN_STATUS_INVALID_PARTIAL,
    SOFTMARGIN_STATUS_INVALID_REDUCTION, SOFTMARGIN_STATUS_INVALID_TARGET, SOFTMARGIN_STATUS_OK,
    SOFTMARGIN_STATUS_OVERLAP,
};
use super::{SOFTMARGIN_REDUCTION_MEAN, SOFTMARGIN_REDUCTION_NONE, SOFTMARGIN_REDUCTION_SUM};
use crate::{Float, Operand, Partial, Reduced};

/// A call's result as a status.
fn status(result: Result<(), Refusal>) -> i32 {
    result.err().unwrap_or(SOFTMARGIN_STATUS_OK)
}

/// `None` for SOFTMARGIN_REDUCTION_NONE, the reduction otherwise.
fn reduction(raw: i32) -> Result<Option<Reduced>, Refusal> {
    match raw {
        SOFTMARGIN_REDUCTION_NONE => Ok(None),
        SOFTMARGIN_REDUCTION_MEAN => Ok(Some(Reduced::Mean)),
        SOFTMARGIN_REDUCTION_SUM => Ok(Some(Reduced::Sum)),
        _ => Err(SOFTMARGIN_STATUS_INVALID_REDUCTION),
    }
}

/// The core never refuses what the checks here let through; if it did, that is a bug.
fn core_ok<V>(result: Result<V, crate::Error>) -> V {
    result.unwrap_or_else(|e| panic!("the core refused checked arguments: {e}"))
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn forward<T: Float>(
    input: *const T,
    target: *const T,
    len: usize,
    reduction_raw: i32,
    output: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduction(reduction_raw)?;
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let out = match reduction {
            None => Buffer::array(output.cast_const(), len),
            Some(_) => Buffer::scalar(output.cast_const()),
        };
        check(&[x.claim(), y.claim(), out.claim()])?;
        match reduction {
            None => {
                let outputs = [(out, Operand::Loss)];
                // SAFETY: each input is readable (caller's contract); an aliased one is only
                // reached through `out`, which nothing else covers.
                unsafe {
                    let (x, y) = (x.operand(&outputs)?, y.operand(&outputs)?);
                    core_ok(crate::forward_none(x, y, out.slice_mut()));
                }
            }
            Some(reduction) => {
                x.is_alias_of(&out)?;
                y.is_alias_of(&out)?;
                // SAFETY: the inputs are only read, and the slices end before `out` is written.
                unsafe {
                    let value = core_ok(crate::forward_reduced(x.slice(), y.slice(), reduction));
                    out.write(value);
                }
            }
        }
        Ok(())
    })())
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn backward<T: Float>(
    grad_output: *const T,
    input: *const T,
    target: *const T,
    len: usize,
    reduction_raw: i32,
    grad_input: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduction(reduction_raw)?;
        let g = match reduction {
            None => Buffer::array(grad_output, len),
            Some(_) => Buffer::scalar(grad_output),
        };
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let out = Buffer::array(grad_input.cast_const(), len);
        check(&[g.claim(), x.claim(), y.claim(), out.claim()])?;
        let outputs = [(out, Operand::Grad)];
        g.is_alias_of(&out)?;
        // SAFETY: inputs are readable (caller's contract); an aliased one is only reached
        // through `out`, which nothing else covers; `g` of a reduction is read before any write.
        unsafe {
            let (xo, yo) = (x.operand(&outputs)?, y.operand(&outputs)?);
            match reduction {
                None => {
                    let go = g.operand(&outputs)?;
                    core_ok(crate::backward_none(go, xo, yo, out.slice_mut()));
                }
                Some(reduction) => {
                    let g = g.slice()[0];
                    core_ok(crate::backward_reduced(
                        g,
                        xo,
                        yo,
                        reduction,
                        out.slice_mut(),
                    ));
                }
            }
        }
        Ok(())
    })())
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn forward_backward<T: Float>(
    input: *const T,
    target: *const T,
    len: usize,
    reduction_raw: i32,
    output: *mut T,
    grad_input: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduction(reduction_raw)?;
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let out = match reduction {
            None => Buffer::array(output.cast_const(), len),
            Some(_) => Buffer::scalar(output.cast_const()),
        };
        let grad = Buffer::array(grad_input.cast_const(), len);
        check(&[x.claim(), y.claim(), out.claim(), grad.claim()])?;
        if out.overlaps(&grad) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        match reduction {
            None => {
                let outputs = [(out, Operand::Loss), (grad, Operand::Grad)];
                // SAFETY: inputs are readable; an aliased one is reached only through its
                // output; the two outputs are disjoint.
                unsafe {
                    let (xo, yo) = (x.operand(&outputs)?, y.operand(&outputs)?);
                    let (l, g) = (out.slice_mut(), grad.slice_mut());
                    core_ok(crate::forward_backward_none(xo, yo, l, g));
                }
            }
            Some(reduction) => {
                x.is_alias_of(&out)?;
                y.is_alias_of(&out)?;
                let outputs = [(grad, Operand::Grad)];
                // SAFETY: as above; `out` is disjoint from `grad` and written after the pass,
                // when no slice over the inputs is live.
                unsafe {
                    let (xo, yo) = (x.operand(&outputs)?, y.operand(&outputs)?);
                    let g = grad.slice_mut();
                    let value = core_ok(crate::forward_backward_reduced(xo, yo, reduction, g));
                    out.write(value);
                }
            }
        }
        Ok(())
    })())
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn check_target<T: Float>(
    target: *const T,
    len: usize,
    first_invalid: *mut usize,
) -> i32 {
    let result = (|| {
        let y = Buffer::array(target, len);
        // first_invalid may be NULL: then it is not written, and an empty buffer stands for it.
        let out = Buffer::array(
            first_invalid.cast_const(),
            usize::from(!first_invalid.is_null()),
        );
        check(&[y.claim(), out.claim()])?;
        if out.overlaps(&y) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        let out = (!first_invalid.is_null()).then_some(out);
        // SAFETY: the target is readable; `out` is disjoint from it and written after the scan.
        unsafe {
            let first = crate::first_invalid_target(y.slice());
            if let Some(out) = out {
                out.write(first.unwrap_or(len));
            }
            match first {
                Some(_) => Err(SOFTMARGIN_STATUS_INVALID_TARGET),
                None => Ok(()),
            }
        }
    })();
    status(result)
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn gradient_hessian<T: Float>(
    input: *const T,
    target: *const T,
    len: usize,
    reduction_raw: i32,
    grad_input: *mut T,
    hessian: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduction(reduction_raw)?;
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let grad = Buffer::array(grad_input.cast_const(), len);
        let hess = Buffer::array(hessian.cast_const(), len);
        check(&[x.claim(), y.claim(), grad.claim(), hess.claim()])?;
        // No in-place use: each element's inputs are read twice, after its outputs could be.
        let outputs_overlap = [&grad, &hess]
            .iter()
            .any(|out| out.overlaps(&x) || out.overlaps(&y));
        if outputs_overlap || grad.overlaps(&hess) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        // SAFETY: inputs are readable, outputs writable (caller's contract), and no output
        // overlaps anything else.
        unsafe {
            core_ok(crate::gradient_hessian(
                x.slice(),
                y.slice(),
                reduction,
                grad.slice_mut(),
                hess.slice_mut(),
            ));
        }
        Ok(())
    })())
}

/// MEAN or SUM; NONE and anything else refused.
fn reduced(raw: i32) -> Result<Reduced, Refusal> {
    reduction(raw)?.ok_or(SOFTMARGIN_STATUS_INVALID_REDUCTION)
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
pub(crate) unsafe fn forward_partial<T: Float>(
    input: *const T,
    target: *const T,
    len: usize,
    partial: *mut PartialBytes,
) -> i32 {
    status((|| {
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let out = Buffer::scalar(partial.cast_const());
        check(&[x.claim(), y.claim(), out.claim()])?;
        if out.overlaps(&x) || out.overlaps(&y) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        // SAFETY: the inputs are readable, the partial writable (caller's contract), apart.
        unsafe {
            let p = core_ok(crate::forward_partial(x.slice(), y.slice()));
            out.write(bytes(&p));
        }
        Ok(())
    })())
}

/// # Safety
/// Every non-NULL pointer must be valid for the documented number of elements.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn forward_backward_shard<T: Float>(
    input: *const T,
    target: *const T,
    len: usize,
    total_len: usize,
    reduction_raw: i32,
    partial: *mut PartialBytes,
    grad_input: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduced(reduction_raw)?;
        let x = Buffer::array(input, len);
        let y = Buffer::array(target, len);
        let p = Buffer::scalar(partial.cast_const());
        let grad = Buffer::array(grad_input.cast_const(), len);
        check(&[x.claim(), y.claim(), p.claim(), grad.claim()])?;
        if total_len < len {
            return Err(SOFTMARGIN_STATUS_INVALID_ARGUMENT);
        }
        if p.overlaps(&x) || p.overlaps(&y) || p.overlaps(&grad) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        let outputs = [(grad, Operand::Grad)];
        // SAFETY: inputs are readable (caller's contract); an aliased one is only reached
        // through `grad`, which nothing else covers; the partial overlaps nothing.
        unsafe {
            let (xo, yo) = (x.operand(&outputs)?, y.operand(&outputs)?);
            let sum = core_ok(crate::forward_backward_shard(
                xo,
                yo,
                total_len,
                reduction,
                grad.slice_mut(),
            ));
            p.write(bytes(&sum));
        }
        Ok(())
    })())
}

/// A partial's bytes, as the C type.
fn bytes(p: &Partial) -> PartialBytes {
    PartialBytes {
        bytes: p.to_bytes(),
    }
}

/// The partial these bytes hold, or `SOFTMARGIN_STATUS_INVALID_PARTIAL`.
fn decoded(b: &PartialBytes) -> Result<Partial, Refusal> {
    Partial::from_bytes(&b.bytes).map_err(|_| SOFTMARGIN_STATUS_INVALID_PARTIAL)
}

/// # Safety
/// Each pointer must be NULL or point to a `softmargin_partial`.
pub(crate) unsafe fn partial_merge(into: *mut PartialBytes, from: *const PartialBytes) -> i32 {
    status((|| {
        let a = Buffer::scalar(into.cast_const());
        let b = Buffer::scalar(from);
        check(&[a.claim(), b.claim()])?;
        b.is_alias_of(&a)?;
        // SAFETY: both are valid partials (caller's contract), the same or apart; both are
        // read whole before `into` is written.
        unsafe {
            let other = decoded(&b.slice()[0])?;
            let mut sum = decoded(&a.slice()[0])?;
            sum.merge(&other)
                .map_err(|_| SOFTMARGIN_STATUS_INVALID_PARTIAL)?;
            a.write(bytes(&sum));
        }
        Ok(())
    })())
}

/// # Safety
/// `partial` must be NULL or point to a `softmargin_partial`; `out` must be NULL or valid.
pub(crate) unsafe fn partial_finish<T: Float>(
    partial: *const PartialBytes,
    reduction_raw: i32,
    out: *mut T,
) -> i32 {
    status((|| {
        let reduction = reduced(reduction_raw)?;
        let p = Buffer::scalar(partial);
        let o = Buffer::scalar(out.cast_const());
        check(&[p.claim(), o.claim()])?;
        if o.overlaps(&p) {
            return Err(SOFTMARGIN_STATUS_OVERLAP);
        }
        // SAFETY: valid and apart (caller's contract and the check above).
        unsafe {
            let value = decoded(&p.slice()[0])?.finish::<T>(reduction);
            o.write(value);
        }
        Ok(())
    })())
}
