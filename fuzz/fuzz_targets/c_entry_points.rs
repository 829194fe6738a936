//! Fuzzes the C entry points of all four element types (forward, backward, both, the target
//! check, the second derivative, a partial sum, a shard's pass, a partial's finish and the
//! merge): any reduction integer, lengths around the chunk sizes and past the
//! parallel threshold, any bit patterns as values, and pointer layouts with NULLs, exact aliases,
//! partial overlaps and misalignment, all inside one arena; and partials damaged on the way
//! (flipped bits, overwritten bytes) or made impossible with a correct checksum.
//!
//! For every call the expected status is derived here, independently, from the documented rules
//! (a partial's validity from the format's table, with a checksum computed bit by bit here); on
//! a refusal no byte of the arena or of a partial may have changed; on success every output must
//! equal, bit for bit, the portable (scalar) path run on separate copies of the inputs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use softmargin::ffi::*;
use softmargin::{Bf16, Isa, Operand, Partial, Reduced, F16};

/// A partial as the C functions take it.
type Wire = PartialBytes;

/// Reads the fuzzer's bytes; zeros once they run out.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    fn u16(&mut self) -> u16 {
        u16::from_le_bytes([self.u8(), self.u8()])
    }
    fn i32(&mut self) -> i32 {
        i32::from_le_bytes([self.u8(), self.u8(), self.u8(), self.u8()])
    }
    fn u64(&mut self) -> u64 {
        u64::from_le_bytes(std::array::from_fn(|_| self.u8()))
    }
}

/// CRC-64/XZ bit by bit, from its definition (reflected ECMA-182 polynomial, all-ones start and
/// end), independent of the library's table-driven one.
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

/// Where the format's fields are (the header's table).
const COUNT_AT: usize = 8;
const FLAGS_AT: usize = 16;
const WORDS_AT: usize = 24;
const CHECK_AT: usize = 304;

fn field(b: &Wire, at: usize) -> u64 {
    u64::from_le_bytes(b.bytes[at..at + 8].try_into().unwrap())
}

fn set_field(b: &mut Wire, at: usize, v: u64) {
    b.bytes[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// The checksum made right for the bytes as they are.
fn reseal(b: &mut Wire) {
    let check = crc64_xz(&b.bytes[..CHECK_AT]);
    set_field(b, CHECK_AT, check);
}

/// Whether the documented checks accept `b`: magic, version and checksum, and a state some
/// data gives (no negative sum, no -inf or unknown flag, no sum or flag without elements, no
/// sum of 2^1025 times the count or more).
fn valid(b: &Wire) -> bool {
    let words: Vec<u64> = (0..35).map(|i| field(b, WORDS_AT + 8 * i)).collect();
    let (count, flags) = (field(b, COUNT_AT), field(b, FLAGS_AT));
    // The sum over 2^1025 (bit 2099 in units of 2^-1074), rounded down, must be below the
    // count: as 128 bits from word 32 (bit 2048) up, shifted by 51.
    let high =
        (u128::from(words[33]) << 64 | u128::from(words[32])) >> 51 | u128::from(words[34]) << 77;
    let zero = words.iter().all(|&w| w == 0);
    let within = if zero {
        count > 0 || flags == 0
    } else {
        words[34] >> 51 == 0 && high < u128::from(count)
    };
    &b.bytes[0..4] == b"SMPS"
        && b.bytes[4..8] == [1, 0, 0, 0]
        && field(b, CHECK_AT) == crc64_xz(&b.bytes[..CHECK_AT])
        && words[34] >> 63 == 0
        && flags & !3 == 0
        && within
}

/// A partial as it may arrive: intact, with bits flipped, with fields overwritten and the
/// checksum made right (often an impossible state), or garbage.
fn arrived(b: &mut Bytes<'_>, p: Wire) -> Wire {
    let mut w = p;
    match b.u8() % 6 {
        0 | 1 => {}
        2 => {
            for _ in 0..1 + b.u8() % 4 {
                let bit = usize::from(b.u16()) % (8 * SOFTMARGIN_PARTIAL_SIZE);
                w.bytes[bit / 8] ^= 1 << (bit % 8);
            }
        }
        3 => {
            match b.u8() % 5 {
                0 => set_field(&mut w, COUNT_AT, b.u64()),
                1 => set_field(&mut w, COUNT_AT, u64::from(b.u8())),
                2 => set_field(&mut w, FLAGS_AT, u64::from(b.u8() % 16)),
                3 => set_field(&mut w, WORDS_AT + 8 * 34, b.u64()),
                _ => {
                    let i = usize::from(b.u8()) % 35;
                    set_field(&mut w, WORDS_AT + 8 * i, b.u64());
                }
            }
            reseal(&mut w);
        }
        4 => w.bytes = [0; SOFTMARGIN_PARTIAL_SIZE],
        _ => {
            let at = usize::from(b.u16()) % SOFTMARGIN_PARTIAL_SIZE;
            w.bytes[at] = b.u8();
        }
    }
    w
}

/// The calls of one element type `$t`, whose C functions take `$c` (its bits, for the halves).
macro_rules! entry_points {
    ($t:ty, $c:ty, $fwd:ident, $bwd:ident, $fused:ident, $check:ident, $hess:ident,
     $partial:ident, $shard:ident, $finish:ident) => {
        unsafe fn forward(x: *const $t, y: *const $t, n: usize, r: i32, o: *mut $t) -> i32 {
            unsafe { $fwd(x.cast::<$c>(), y.cast(), n, r, o.cast()) }
        }
        unsafe fn backward(
            g: *const $t,
            x: *const $t,
            y: *const $t,
            n: usize,
            r: i32,
            o: *mut $t,
        ) -> i32 {
            unsafe { $bwd(g.cast::<$c>(), x.cast(), y.cast(), n, r, o.cast()) }
        }
        unsafe fn fused(
            x: *const $t,
            y: *const $t,
            n: usize,
            r: i32,
            o: *mut $t,
            g: *mut $t,
        ) -> i32 {
            unsafe { $fused(x.cast::<$c>(), y.cast(), n, r, o.cast(), g.cast()) }
        }
        unsafe fn check(y: *const $t, n: usize, first: *mut usize) -> i32 {
            unsafe { $check(y.cast::<$c>(), n, first) }
        }
        unsafe fn hessian(
            x: *const $t,
            y: *const $t,
            n: usize,
            r: i32,
            g: *mut $t,
            h: *mut $t,
        ) -> i32 {
            unsafe { $hess(x.cast::<$c>(), y.cast(), n, r, g.cast(), h.cast()) }
        }
        unsafe fn partial(x: *const $t, y: *const $t, n: usize, p: *mut Wire) -> i32 {
            unsafe { $partial(x.cast::<$c>(), y.cast(), n, p) }
        }
        unsafe fn shard(
            x: *const $t,
            y: *const $t,
            n: usize,
            total: usize,
            r: i32,
            p: *mut Wire,
            g: *mut $t,
        ) -> i32 {
            unsafe { $shard(x.cast::<$c>(), y.cast(), n, total, r, p, g.cast()) }
        }
        unsafe fn finish(p: *const Wire, r: i32, o: *mut $t) -> i32 {
            unsafe { $finish(p, r, o.cast::<$c>()) }
        }
    };
}

trait Elem: softmargin::Float + Copy + Default + PartialEq + std::fmt::Debug + 'static {
    const SIZE: usize;
    fn value(b: &mut Bytes<'_>) -> Self;
    fn bits(self) -> u64;
    unsafe fn forward(x: *const Self, y: *const Self, n: usize, r: i32, o: *mut Self) -> i32;
    unsafe fn backward(
        g: *const Self,
        x: *const Self,
        y: *const Self,
        n: usize,
        r: i32,
        o: *mut Self,
    ) -> i32;
    unsafe fn fused(
        x: *const Self,
        y: *const Self,
        n: usize,
        r: i32,
        o: *mut Self,
        g: *mut Self,
    ) -> i32;
    unsafe fn check(y: *const Self, n: usize, first: *mut usize) -> i32;
    unsafe fn hessian(
        x: *const Self,
        y: *const Self,
        n: usize,
        r: i32,
        g: *mut Self,
        h: *mut Self,
    ) -> i32;
    unsafe fn partial(x: *const Self, y: *const Self, n: usize, p: *mut Wire) -> i32;
    #[allow(clippy::too_many_arguments)]
    unsafe fn shard(
        x: *const Self,
        y: *const Self,
        n: usize,
        total: usize,
        r: i32,
        p: *mut Wire,
        g: *mut Self,
    ) -> i32;
    unsafe fn finish(p: *const Wire, r: i32, o: *mut Self) -> i32;
}

/// A value: mostly ordinary numbers and targets, sometimes any bit pattern.
fn pick(b: &mut Bytes<'_>) -> f64 {
    match b.u8() % 8 {
        0 => 1.0,
        1 => -1.0,
        2 => f64::from(b.u8() as i8) * 0.5,
        3 => f64::from(b.i32()) * 1e-3,
        _ => f64::NAN, // replaced by raw bits below
    }
}

impl Elem for f32 {
    const SIZE: usize = 4;
    fn value(b: &mut Bytes<'_>) -> f32 {
        let v = pick(b);
        if v.is_nan() {
            f32::from_bits(b.i32() as u32)
        } else {
            v as f32
        }
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    entry_points!(
        f32,
        f32,
        softmargin_forward_f32,
        softmargin_backward_f32,
        softmargin_forward_backward_f32,
        softmargin_check_target_f32,
        softmargin_gradient_hessian_f32,
        softmargin_forward_partial_f32,
        softmargin_forward_backward_shard_f32,
        softmargin_partial_finish_f32
    );
}

impl Elem for f64 {
    const SIZE: usize = 8;
    fn value(b: &mut Bytes<'_>) -> f64 {
        let v = pick(b);
        if v.is_nan() {
            let lo = b.i32() as u32 as u64;
            let hi = b.i32() as u32 as u64;
            f64::from_bits(hi << 32 | lo)
        } else {
            v
        }
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    entry_points!(
        f64,
        f64,
        softmargin_forward_f64,
        softmargin_backward_f64,
        softmargin_forward_backward_f64,
        softmargin_check_target_f64,
        softmargin_gradient_hessian_f64,
        softmargin_forward_partial_f64,
        softmargin_forward_backward_shard_f64,
        softmargin_partial_finish_f64
    );
}

impl Elem for F16 {
    const SIZE: usize = 2;
    fn value(b: &mut Bytes<'_>) -> F16 {
        let v = pick(b);
        if v.is_nan() {
            F16::from_bits(b.u16())
        } else {
            F16::from_f32(v as f32)
        }
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    entry_points!(
        F16,
        u16,
        softmargin_forward_f16,
        softmargin_backward_f16,
        softmargin_forward_backward_f16,
        softmargin_check_target_f16,
        softmargin_gradient_hessian_f16,
        softmargin_forward_partial_f16,
        softmargin_forward_backward_shard_f16,
        softmargin_partial_finish_f16
    );
}

impl Elem for Bf16 {
    const SIZE: usize = 2;
    fn value(b: &mut Bytes<'_>) -> Bf16 {
        let v = pick(b);
        if v.is_nan() {
            Bf16::from_bits(b.u16())
        } else {
            Bf16::from_f32(v as f32)
        }
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    entry_points!(
        Bf16,
        u16,
        softmargin_forward_bf16,
        softmargin_backward_bf16,
        softmargin_forward_backward_bf16,
        softmargin_check_target_bf16,
        softmargin_gradient_hessian_bf16,
        softmargin_forward_partial_bf16,
        softmargin_forward_backward_shard_bf16,
        softmargin_partial_finish_bf16
    );
}

/// Where a buffer argument points, as a byte offset into the arena (or NULL).
#[derive(Clone, Copy, Debug)]
enum Place {
    Null,
    At(usize),
}

/// A buffer argument: its place and its length in elements.
#[derive(Clone, Copy, Debug)]
struct Arg {
    place: Place,
    len: usize,
}

impl Arg {
    fn bytes(&self, size: usize) -> Option<(usize, usize)> {
        match self.place {
            Place::At(off) if self.len > 0 => Some((off, off + self.len * size)),
            _ => None,
        }
    }
}

/// The documented overlap rule between an input and an output.
fn input_vs_output(input: Arg, output: Arg, size: usize) -> bool {
    match (input.bytes(size), output.bytes(size)) {
        (Some(a), Some(b)) => a == b || a.1 <= b.0 || b.1 <= a.0,
        _ => true,
    }
}

fn disjoint(a: Arg, b: Arg, size: usize) -> bool {
    match (a.bytes(size), b.bytes(size)) {
        (Some(a), Some(b)) => a.1 <= b.0 || b.1 <= a.0,
        _ => true,
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Forward,
    Backward,
    Fused,
    Check,
    /// gradient_hessian(x, y, len, r, grad, hess).
    Hessian,
    /// forward_partial(x, y, len, partial), the partial outside the arena (or NULL).
    Partial,
    /// forward_backward_shard(x, y, len, total_len, r, partial, grad), the partial outside the
    /// arena (or NULL).
    Shard,
    /// partial_finish(partial, r, out), the partial outside the arena (or NULL), as it may
    /// arrive ([`arrived`]).
    Finish,
    /// partial_merge(into, from): two partials as they may arrive, apart, the same, partly
    /// overlapping, or NULL.
    Merge,
}

impl Op {
    /// Whether the call takes a `softmargin_partial` (outside the arena).
    fn has_partial(self) -> bool {
        matches!(self, Op::Partial | Op::Shard | Op::Finish)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes { data, pos: 0 };
    let sel = b.u8();
    match sel & 3 {
        0 => run::<f32>(&mut b, sel >> 2),
        1 => run::<f64>(&mut b, sel >> 2),
        2 => run::<F16>(&mut b, sel >> 2),
        _ => run::<Bf16>(&mut b, sel >> 2),
    }
});

fn run<T: Elem>(b: &mut Bytes<'_>, sel: u8) {
    let op = [
        Op::Forward,
        Op::Backward,
        Op::Fused,
        Op::Check,
        Op::Hessian,
        Op::Partial,
        Op::Shard,
        Op::Finish,
        Op::Merge,
    ][usize::from(sel % 9)];
    if op == Op::Merge {
        return merge(b);
    }
    let size = T::SIZE;
    let k = b.u8();
    let reduction = if k < 200 { i32::from(k % 3) } else { b.i32() };
    let l = b.u16();
    let len = match l >> 13 {
        7 => 40_000 + usize::from(l & 0xfff), // past the parallel threshold
        6 if l & 0xff == 0xff => usize::MAX / 3, // too large for the address space
        _ => usize::from(l % 300),
    };
    // A finish has no length: its one output is a scalar.
    let len = if op == Op::Finish { 1 } else { len };
    let huge = len > 1 << 20;
    let reduced = matches!(reduction, 1 | 2);
    let valid_reduction = (0..=2).contains(&reduction);

    // The arena: three slots of `len` elements with gaps, as bytes of T.
    let slot_len = if huge { 8 } else { len + 8 };
    let arena_len = 3 * slot_len + 8;
    let mut arena: Vec<T> = (0..arena_len).map(|_| T::value(b)).collect();
    let place = |b: &mut Bytes<'_>| match b.u8() % 10 {
        0 => Place::Null,
        1 | 2 => Place::At(0),
        3 | 4 => Place::At(slot_len * size),
        5 | 6 => Place::At(2 * slot_len * size),
        7 => Place::At(size),                  // partial overlap with slot 0
        8 => Place::At(slot_len * size + 1),   // misaligned
        _ => Place::At((slot_len + 2) * size), // partial overlap with slot 1
    };
    let scalar_len = if reduced { 1 } else { len };
    let (p0, p1, p2, p3) = (place(b), place(b), place(b), place(b));
    let args: Vec<Arg> = match op {
        // forward(x, y, len, r, out) / fused(x, y, len, r, out, grad)
        Op::Forward | Op::Fused => {
            let mut v = vec![
                Arg { place: p0, len },
                Arg { place: p1, len },
                Arg {
                    place: p2,
                    len: scalar_len,
                },
            ];
            if op == Op::Fused {
                v.push(Arg { place: p3, len });
            }
            v
        }
        // backward(g, x, y, len, r, grad)
        Op::Backward => vec![
            Arg {
                place: p0,
                len: scalar_len,
            },
            Arg { place: p1, len },
            Arg { place: p2, len },
            Arg { place: p3, len },
        ],
        // check(y, len, first): `first` in a separate word, or inside the arena.
        Op::Check => vec![Arg { place: p0, len }],
        Op::Hessian => vec![
            Arg { place: p0, len },
            Arg { place: p1, len },
            Arg { place: p2, len },
            Arg { place: p3, len },
        ],
        Op::Partial => vec![Arg { place: p0, len }, Arg { place: p1, len }],
        Op::Finish => vec![Arg { place: p0, len: 1 }],
        Op::Merge => unreachable!("run by merge()"),
        Op::Shard => vec![
            Arg { place: p0, len },
            Arg { place: p1, len },
            Arg { place: p2, len },
        ],
    };
    // The shard's total: below, at or above its length; its partial NULL now and then.
    let total_len = match b.u8() % 4 {
        0 => len.saturating_sub(1),
        1 => len,
        _ => len.saturating_add(usize::from(b.u16())),
    };
    let partial_null = op.has_partial() && b.u8() % 8 == 0;
    let first_inside = op == Op::Check && b.u8() % 4 == 0;
    let first_null = !first_inside && op == Op::Check && b.u8() % 4 == 0;
    // An 8-byte-aligned word inside the arena, for `first_invalid` placed among the targets.
    let first_off = (8 - arena.as_ptr() as usize % 8) % 8 + 8;

    // The expected status, from the documented rules, in the documented order.
    let required = |i: usize, a: &Arg| -> bool {
        // Scalars (reduced output / grad_output) are always required; arrays when len > 0.
        let scalar = reduced
            && ((op == Op::Backward && i == 0)
                || (matches!(op, Op::Forward | Op::Fused) && i == 2));
        scalar || op == Op::Finish || a.len > 0
    };
    let mut expected = SOFTMARGIN_STATUS_OK;
    if matches!(op, Op::Shard | Op::Finish) && !reduced {
        expected = SOFTMARGIN_STATUS_INVALID_REDUCTION;
    } else if !matches!(op, Op::Check | Op::Partial) && !valid_reduction {
        expected = SOFTMARGIN_STATUS_INVALID_REDUCTION;
    } else if len
        .checked_mul(size)
        .is_none_or(|bytes| bytes > isize::MAX as usize)
    {
        expected = SOFTMARGIN_STATUS_INVALID_ARGUMENT;
    } else {
        // Each rule over every buffer before the next: NULL, then alignment.
        let breaks = |rule: &dyn Fn(&Arg) -> bool| {
            args.iter()
                .enumerate()
                .any(|(i, a)| required(i, a) && rule(a))
        };
        if breaks(&|a| matches!(a.place, Place::Null)) || partial_null {
            expected = SOFTMARGIN_STATUS_NULL_POINTER;
        } else if args
            .iter()
            .any(|a| matches!(a.place, Place::At(off) if off % size != 0))
        {
            // Every pointer that is not NULL must be aligned, even for no elements.
            expected = SOFTMARGIN_STATUS_MISALIGNED;
        } else if op == Op::Shard && total_len < len {
            expected = SOFTMARGIN_STATUS_INVALID_ARGUMENT;
        }
        if expected == SOFTMARGIN_STATUS_OK && op == Op::Check && first_inside {
            // `first_invalid` is the 8-byte word at `first_off` inside the arena.
            let word = (first_off, first_off + 8);
            if args[0]
                .bytes(size)
                .is_some_and(|t| word.0 < t.1 && t.0 < word.1)
            {
                expected = SOFTMARGIN_STATUS_OVERLAP;
            }
        }
        if expected == SOFTMARGIN_STATUS_OK && !matches!(op, Op::Check | Op::Partial | Op::Finish) {
            let (inputs, outputs): (Vec<Arg>, Vec<Arg>) = match op {
                Op::Forward => (vec![args[0], args[1]], vec![args[2]]),
                Op::Fused | Op::Hessian => (vec![args[0], args[1]], vec![args[2], args[3]]),
                Op::Shard => (vec![args[0], args[1]], vec![args[2]]),
                _ => (vec![args[0], args[1], args[2]], vec![args[3]]),
            };
            // The second derivative reads each input twice: no output may touch one, not
            // even as an exact alias.
            let apart = |i: Arg, o: Arg| match op {
                Op::Hessian => disjoint(i, o, size),
                _ => input_vs_output(i, o, size),
            };
            let ok = inputs.iter().all(|&i| outputs.iter().all(|&o| apart(i, o)))
                && (outputs.len() < 2 || disjoint(outputs[0], outputs[1], size));
            if !ok {
                expected = SOFTMARGIN_STATUS_OVERLAP;
            }
        }
    }
    if huge && expected == SOFTMARGIN_STATUS_OK {
        return; // the arena does not hold such a buffer; only refusals are exercised
    }

    // Call through the C interface on the best path.
    let before: Vec<u64> = arena.iter().map(|v| v.bits()).collect();
    let base = arena.as_mut_ptr().cast::<u8>();
    let ptr = |a: &Arg| -> *mut T {
        match a.place {
            Place::Null => std::ptr::null_mut(),
            // SAFETY (wrapping): only an address; the library decides whether to use it.
            Place::At(off) => base.wrapping_add(off).cast::<T>(),
        }
    };
    let mut first_word = usize::MAX - 1;
    let first_ptr: *mut usize = if first_null {
        std::ptr::null_mut()
    } else if first_inside {
        base.wrapping_add(first_off).cast::<usize>()
    } else {
        &mut first_word
    };
    let best = Isa::ALL
        .into_iter()
        .filter(|i| i.is_supported())
        .max()
        .unwrap();
    softmargin::set_isa(best).unwrap();
    let ps: Vec<*mut T> = args.iter().map(ptr).collect();
    // Not the empty sum, so that a write shows.
    let canary = wire(&softmargin::forward_partial(&[1.5f32][..], &[1.0f32][..]).unwrap());
    // A finish reads the partial as it arrived; the other calls only write it.
    let canary = if op == Op::Finish {
        arrived(b, canary)
    } else {
        canary
    };
    if op == Op::Finish && expected == SOFTMARGIN_STATUS_OK && !valid(&canary) {
        expected = SOFTMARGIN_STATUS_INVALID_PARTIAL;
    }
    let mut partial = canary;
    let partial_ptr: *mut Wire = if partial_null {
        std::ptr::null_mut()
    } else {
        &mut partial
    };
    // SAFETY: every pointer is NULL or into the arena; the library must refuse (and not touch)
    // any layout the rules forbid, which is what this target checks.
    let status = unsafe {
        match op {
            Op::Forward => T::forward(ps[0], ps[1], len, reduction, ps[2]),
            Op::Backward => T::backward(ps[0], ps[1], ps[2], len, reduction, ps[3]),
            Op::Fused => T::fused(ps[0], ps[1], len, reduction, ps[2], ps[3]),
            Op::Check => T::check(ps[0], len, first_ptr),
            Op::Hessian => T::hessian(ps[0], ps[1], len, reduction, ps[2], ps[3]),
            Op::Partial => T::partial(ps[0], ps[1], len, partial_ptr),
            Op::Shard => T::shard(ps[0], ps[1], len, total_len, reduction, partial_ptr, ps[2]),
            Op::Finish => T::finish(partial_ptr, reduction, ps[0]),
            Op::Merge => unreachable!("run by merge()"),
        }
    };

    if op == Op::Check {
        if expected != SOFTMARGIN_STATUS_OK {
            assert_eq!(status, expected, "{op:?} {args:?}");
            assert_eq!(first_word, usize::MAX - 1);
            assert!(arena.iter().zip(&before).all(|(v, &w)| v.bits() == w));
            return;
        }
        let targets: Vec<T> = read(&before, args[0], size);
        let want = softmargin::first_invalid_target(&targets);
        let want_status = if want.is_some() {
            SOFTMARGIN_STATUS_INVALID_TARGET
        } else {
            SOFTMARGIN_STATUS_OK
        };
        assert_eq!(status, want_status, "{args:?}");
        if !first_null && !first_inside {
            assert_eq!(first_word, want.unwrap_or(len));
        }
        return;
    }
    if expected != SOFTMARGIN_STATUS_OK {
        assert_eq!(status, expected, "{op:?} r={reduction} len={len} {args:?}");
        let unchanged = arena.iter().zip(&before).all(|(v, &w)| v.bits() == w);
        assert!(unchanged, "a refused call wrote to its buffers");
        assert_eq!(partial, canary, "a refused call wrote its partial");
        return;
    }
    assert_eq!(
        status, SOFTMARGIN_STATUS_OK,
        "{op:?} r={reduction} len={len} {args:?}"
    );

    // The scalar reference: the portable path, on copies of the inputs taken before the call.
    softmargin::set_isa(Isa::Portable).unwrap();
    let red = match reduction {
        1 => Some(Reduced::Mean),
        2 => Some(Reduced::Sum),
        _ => None,
    };
    let after: Vec<u64> = arena.iter().map(|v| v.bits()).collect();
    match op {
        Op::Forward => {
            let (x, y) = (read(&before, args[0], size), read(&before, args[1], size));
            let want: Vec<T> = match red {
                None => {
                    let mut out = vec![T::default(); len];
                    softmargin::forward_none(Operand::Slice(&x), Operand::Slice(&y), &mut out)
                        .unwrap();
                    out
                }
                Some(r) => vec![softmargin::forward_reduced(&x, &y, r).unwrap()],
            };
            compare(&after, args[2], &want, size);
        }
        Op::Backward => {
            let g = read(&before, args[0], size);
            let (x, y) = (read(&before, args[1], size), read(&before, args[2], size));
            let mut want = vec![T::default(); len];
            match red {
                None => softmargin::backward_none(
                    Operand::Slice(&g),
                    Operand::Slice(&x),
                    Operand::Slice(&y),
                    &mut want,
                ),
                Some(r) => softmargin::backward_reduced(
                    g[0],
                    Operand::Slice(&x),
                    Operand::Slice(&y),
                    r,
                    &mut want,
                ),
            }
            .unwrap();
            compare(&after, args[3], &want, size);
        }
        Op::Fused => {
            let (x, y) = (read(&before, args[0], size), read(&before, args[1], size));
            let mut grad = vec![T::default(); len];
            let loss: Vec<T> = match red {
                None => {
                    let mut loss = vec![T::default(); len];
                    softmargin::forward_backward_none(
                        Operand::Slice(&x),
                        Operand::Slice(&y),
                        &mut loss,
                        &mut grad,
                    )
                    .unwrap();
                    loss
                }
                Some(r) => vec![softmargin::forward_backward_reduced(
                    Operand::Slice(&x),
                    Operand::Slice(&y),
                    r,
                    &mut grad,
                )
                .unwrap()],
            };
            compare(&after, args[2], &loss, size);
            compare(&after, args[3], &grad, size);
        }
        Op::Shard => {
            let (x, y) = (read(&before, args[0], size), read(&before, args[1], size));
            let mut grad = vec![T::default(); len];
            let want = softmargin::forward_backward_shard(
                Operand::Slice(&x),
                Operand::Slice(&y),
                total_len,
                red.unwrap(),
                &mut grad,
            )
            .unwrap();
            assert_eq!(
                partial,
                wire(&want),
                "the partial differs from the portable path's"
            );
            compare(&after, args[2], &grad, size);
        }
        Op::Hessian => {
            let (x, y) = (read(&before, args[0], size), read(&before, args[1], size));
            let (mut grad, mut hess) = (vec![T::default(); len], vec![T::default(); len]);
            softmargin::gradient_hessian(&x, &y, red, &mut grad, &mut hess).unwrap();
            compare(&after, args[2], &grad, size);
            compare(&after, args[3], &hess, size);
        }
        Op::Partial => {
            let (x, y): (Vec<T>, Vec<T>) =
                (read(&before, args[0], size), read(&before, args[1], size));
            let want = softmargin::forward_partial(&x, &y).unwrap();
            assert_eq!(
                partial,
                wire(&want),
                "the partial differs from the portable path's"
            );
        }
        Op::Finish => {
            assert_eq!(partial, canary, "a finish wrote its partial");
            let read = Partial::from_bytes(&canary.bytes).unwrap();
            compare(&after, args[0], &[read.finish::<T>(red.unwrap())], size);
        }
        Op::Check | Op::Merge => unreachable!(),
    }
    // Nothing outside the outputs changed.
    let outputs: Vec<Arg> = match op {
        Op::Forward | Op::Shard => vec![args[2]],
        Op::Fused | Op::Hessian => vec![args[2], args[3]],
        Op::Partial => vec![],
        Op::Finish => vec![args[0]],
        _ => vec![args[3]],
    };
    for (i, (&a, &w)) in after.iter().zip(&before).enumerate() {
        let inside = outputs.iter().any(|o| {
            o.bytes(size)
                .is_some_and(|(s, e)| i * size >= s && i * size < e)
        });
        assert!(inside || a == w, "element {i} outside the outputs changed");
    }
}

/// The elements an argument covered, from a snapshot of the arena's bits.
fn read<T: Elem>(bits: &[u64], a: Arg, size: usize) -> Vec<T> {
    let Place::At(off) = a.place else {
        return Vec::new();
    };
    let start = off / size;
    (start..start + a.len)
        .map(|i| from_bits::<T>(bits[i]))
        .collect()
}

fn from_bits<T: Elem>(bits: u64) -> T {
    let mut v = T::default();
    // SAFETY: T is one of the four float types, plain bits, and `bits` came from a value of T
    // (little-endian: its bytes are the low ones).
    unsafe {
        std::ptr::copy_nonoverlapping(
            (&bits as *const u64).cast::<u8>(),
            (&mut v as *mut T).cast::<u8>(),
            std::mem::size_of::<T>(),
        )
    };
    v
}

/// The output argument's elements in the arena equal `want`, bit for bit.
fn compare<T: Elem>(after: &[u64], a: Arg, want: &[T], size: usize) {
    let got: Vec<T> = read(after, a, size);
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.bits(), w.bits(), "element {i}: {g:?} != {w:?}");
    }
}

/// A partial as the C type.
fn wire(p: &Partial) -> Wire {
    Wire {
        bytes: p.to_bytes(),
    }
}

/// partial_merge(into, from) on partials as they may arrive, in any layout: the documented
/// status, nothing written on a refusal, and on success the exact merge.
fn merge(b: &mut Bytes<'_>) {
    let of = |b: &mut Bytes<'_>| {
        let n = usize::from(b.u8() % 40);
        let x: Vec<f32> = (0..n).map(|_| f32::from_bits(b.i32() as u32)).collect();
        let y: Vec<f32> = (0..n).map(|_| f32::from_bits(b.i32() as u32)).collect();
        wire(&softmargin::forward_partial(&x, &y).unwrap())
    };
    let (first, second) = (of(b), of(b));
    let (first, second) = (arrived(b, first), arrived(b, second));
    // Two partials side by side in one buffer; `from` is the second, the first, NULL, or the
    // second shifted back by `shift` bytes so that it overlaps the first.
    let mut buf = [first, second];
    let size = SOFTMARGIN_PARTIAL_SIZE;
    let layout = b.u8() % 6;
    let shift = 1 + usize::from(b.u16()) % (size - 1);
    let into_null = b.u8() % 16 == 0;
    let before = buf;
    let base = buf.as_mut_ptr().cast::<u8>();
    let into: *mut Wire = if into_null {
        std::ptr::null_mut()
    } else {
        base.cast()
    };
    let (from, expected_pair): (*const Wire, Option<(Wire, Wire)>) = match layout {
        0 => (std::ptr::null(), None),
        1 => (base.cast_const().cast(), Some((first, first))),
        2 => (base.wrapping_add(size - shift).cast_const().cast(), None),
        _ => (
            base.wrapping_add(size).cast_const().cast(),
            Some((first, second)),
        ),
    };
    let expected = if into_null || from.is_null() {
        SOFTMARGIN_STATUS_NULL_POINTER
    } else if layout == 2 {
        SOFTMARGIN_STATUS_OVERLAP
    } else {
        let (a, c) = expected_pair.unwrap();
        let overflows = field(&a, COUNT_AT)
            .checked_add(field(&c, COUNT_AT))
            .is_none();
        if !valid(&a) || !valid(&c) || overflows {
            SOFTMARGIN_STATUS_INVALID_PARTIAL
        } else {
            SOFTMARGIN_STATUS_OK
        }
    };
    // SAFETY: both pointers are NULL or inside `buf`; the library must refuse the layouts the
    // rules forbid without touching them.
    let status = unsafe { softmargin_partial_merge(into, from) };
    assert_eq!(status, expected, "merge layout {layout} shift {shift}");
    if status != SOFTMARGIN_STATUS_OK {
        assert_eq!(buf, before, "a refused merge wrote");
        return;
    }
    let (a, c) = expected_pair.unwrap();
    let mut want = Partial::from_bytes(&a.bytes).unwrap();
    want.merge(&Partial::from_bytes(&c.bytes).unwrap()).unwrap();
    assert_eq!(buf[0], wire(&want), "the merge differs from the exact sum");
    assert_eq!(buf[1], before[1], "the merge wrote past its partial");
}
