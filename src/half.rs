//! Half-precision data: IEEE binary16 ([`F16`]) and bfloat16 ([`Bf16`], the upper 16 bits of a
//! binary32), held by their bits.
//!
//! A pass over half data converts each leaf of the block tree to `f32`, a cache-sized piece at a
//! time (exactly: every half value is an `f32`, and so is the margin `-y x` of two, a product of
//! two 11- or 8-bit significands), runs the `f32` kernel on it, and rounds each result to the
//! half type once.
//! Rounding an `f32` result again would be a double rounding, which differs from the correctly
//! rounded value where the `f32` result lies near the midpoint of two half values. So each
//! result is first tested ([`open`]): the `f32` kernels are within [`F32_ERROR_ULPS`] of the
//! exact value, and when no half rounding boundary lies that close, the `f32` result rounds as
//! the exact value does. The few that are open (about 1 in 700 for `f16`, 1 in 5,000 for
//! `bf16`) are computed again in double-double (`kernel::exact`), and that value is rounded
//! with round-to-odd to `f32` and then to the half type, a single correct rounding.
//!
//! Sums accumulate the `f32` pass's losses in `f64` and are rounded to the half type once.

use crate::kernel::{self, dispatch, exact_point, Chunk, Factor, OnPath, Path};
use crate::parallel::Task;
use crate::pass::{Operand, Pass, Scale};
use crate::simd::portable::Scalar;
use crate::sum::{Lanes, Total};

/// An IEEE 754 binary16 value, held by its bits (`uint16_t` in C).
#[repr(transparent)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash)]
pub struct F16(u16);

/// A bfloat16 value, the upper 16 bits of an IEEE binary32, held by its bits (`uint16_t` in C,
/// as OpenBLAS and oneDNN take it).
#[repr(transparent)]
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq, Hash)]
pub struct Bf16(u16);

/// The bits of the canonical quiet NaN of each format.
const F16_NAN: u16 = 0x7e00;
const BF16_NAN: u16 = 0x7fc0;

impl F16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> Self {
        F16(bits)
    }
    /// The bits of the value.
    pub const fn to_bits(self) -> u16 {
        self.0
    }
    /// The value as an `f32` (exact; a NaN becomes a quiet NaN with its payload). Branch-free, so
    /// that loops over it vectorize.
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        let h = u32::from(self.0);
        let sign = (h & 0x8000) << 16;
        let a = h & 0x7fff;
        // Normal: the exponent rebiased by 127 - 15; infinities and NaN: all ones.
        let normal = (a << 13) + (112 << 23);
        // NaN quieted (the quiet bit set, the payload kept), as the F16C conversion does.
        let quiet = u32::from(a & 0x3ff != 0) << 22;
        let special = (a << 13) | 0x7f80_0000 | quiet;
        // Zero and subnormals: a * 2^-24, exact in f32.
        let small = (a as f32 * f32::from_bits(0x3380_0000)).to_bits();
        let bits = if a >= 0x7c00 {
            special
        } else if a >= 0x0400 {
            normal
        } else {
            small
        };
        f32::from_bits(sign | bits)
    }
    /// `v` rounded to the nearest binary16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7e00). Branch-free, so that loops over it vectorize.
    #[inline(always)]
    pub fn from_f32(v: f32) -> Self {
        let b = v.to_bits();
        let sign = (b >> 16) & 0x8000;
        let a = b & 0x7fff_ffff;
        // Normal: rebias the exponent (127 - 15 = 112) and round away 13 bits, ties to even; a
        // carry into the exponent is the right result.
        let m = a.wrapping_sub(0x3800_0000);
        let normal = (m.wrapping_add(0xfff + ((m >> 13) & 1))) >> 13;
        // Subnormal or zero: the multiple of 2^-24 (exact scaling), rounded ties to even by
        // adding 2^23, whose low bits then hold it (for the values it is chosen for, below 1024).
        let small = (f32::from_bits(a) * 16_777_216.0 + 8_388_608.0).to_bits() & 0x7f_ffff;
        // 65520 and above: the midpoint between 65504 and 2^16 rounds to even, which is inf.
        let bits = if a > 0x7f80_0000 {
            u32::from(F16_NAN)
        } else if a >= 0x477f_f000 {
            sign | 0x7c00
        } else if a >= 0x3880_0000 {
            sign | normal
        } else {
            sign | small
        };
        F16(bits as u16)
    }
}

impl Bf16 {
    /// The value with these bits.
    pub const fn from_bits(bits: u16) -> Self {
        Bf16(bits)
    }
    /// The bits of the value.
    pub const fn to_bits(self) -> u16 {
        self.0
    }
    /// The value as an `f32` (exact).
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        f32::from_bits(u32::from(self.0) << 16)
    }
    /// `v` rounded to the nearest bfloat16, ties to even; every NaN becomes the canonical quiet
    /// NaN (0x7fc0). Branch-free, so that loops over it vectorize.
    #[inline(always)]
    pub fn from_f32(v: f32) -> Self {
        let b = v.to_bits();
        let rounded = (b.wrapping_add(0x7fff + ((b >> 16) & 1))) >> 16;
        let nan = (b & 0x7fff_ffff) > 0x7f80_0000;
        Bf16(if nan { BF16_NAN } else { rounded as u16 })
    }
}

impl From<F16> for f32 {
    fn from(h: F16) -> f32 {
        h.to_f32()
    }
}

impl From<Bf16> for f32 {
    fn from(h: Bf16) -> f32 {
        h.to_f32()
    }
}

/// How far the `f32` results may be from the exact values, in `f32` ulps: the header's 2 ulp
/// from the correctly rounded value, plus that rounding's half ulp, and a margin.
pub(crate) const F32_ERROR_ULPS: f64 = 3.0;
/// [`F32_ERROR_ULPS`] as the integer the bit tests compare with.
const WINDOW: u32 = F32_ERROR_ULPS as u32;

/// What rounding to a half format needs to know of it.
pub(crate) trait Half: Copy + Default + Send + Sync + 'static {
    /// Significand bits after the binary point.
    #[cfg(test)]
    const MANT: i32;
    /// The exponent of the quantum of the subnormals (the smallest subnormal is 2^this).
    #[cfg(test)]
    const MIN_QUANTUM: i32;
    /// Magnitudes from which every value rounds to infinity, as far from the overflow midpoint
    /// as no error bound reaches (f32::INFINITY where the format's range is `f32`'s).
    #[cfg(test)]
    const ALL_INFINITE: f32;
    fn widen(self) -> f32;
    fn round(v: f32) -> Self;
    /// [`open`] for `v`, from its bits with integer operations alone (branch-free).
    fn open_fast(v: f32) -> bool;
    /// Each of `from` rounded into `into`, on path `P`.
    #[inline(always)]
    fn round_block<P: Path>(from: &[f32], into: &mut [Self]) {
        for (o, &r) in into.iter_mut().zip(from) {
            *o = Self::round(r);
        }
    }
    /// Each of `from` widened into `into`, on path `P`.
    #[inline(always)]
    fn widen_block<P: Path>(from: &[Self], into: &mut [f32]) {
        for (d, s) in into.iter_mut().zip(from) {
            *d = s.widen();
        }
    }
}

impl Half for F16 {
    #[cfg(test)]
    const MANT: i32 = 10;
    #[cfg(test)]
    const MIN_QUANTUM: i32 = -24;
    #[cfg(test)]
    const ALL_INFINITE: f32 = 65536.0;
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn round(v: f32) -> Self {
        F16::from_f32(v)
    }
    #[inline(always)]
    fn open_fast(v: f32) -> bool {
        // Bits dropped in rounding |v| to binary16: 13 in the normal range; below it, as many
        // more as the exponent is short of -14 (the quantum there is 2^-24). Beyond 24 the
        // value is under 2^-25 by a factor of two or more: no boundary near.
        let a = v.to_bits() & 0x7fff_ffff;
        let e = (a >> 23) as i32 - 127;
        let k = (-1 - e).clamp(13, 25) as u32;
        let significand = (a & 0x7f_ffff) | 0x80_0000;
        let dropped = significand & ((1u32 << k.min(24)) - 1);
        let distance = (dropped as i32 - (1i32 << (k.min(24) - 1))).unsigned_abs();
        // Non-short-circuit `&` and integer compares: a branch-free, vectorizable body.
        (k < 25) & (a < 0x4780_0000) & (distance <= WINDOW)
    }
    #[inline(always)]
    fn round_block<P: Path>(from: &[f32], into: &mut [Self]) {
        #[cfg(target_arch = "x86_64")]
        let done = if P::F16C {
            // SAFETY: paths with F16C are selected only on CPUs with it and AVX2.
            unsafe { f16c::round(from, into) }
        } else {
            0
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        for (o, &r) in into[done..].iter_mut().zip(&from[done..]) {
            *o = F16::from_f32(r);
        }
    }
    #[inline(always)]
    fn widen_block<P: Path>(from: &[Self], into: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        let done = if P::F16C {
            // SAFETY: as in round_block.
            unsafe { f16c::widen(from, into) }
        } else {
            0
        };
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        for (d, s) in into[done..].iter_mut().zip(&from[done..]) {
            *d = s.to_f32();
        }
    }
}

/// The F16C conversions, eight values at a time: the IEEE conversions (round to nearest, ties to
/// even), so bitwise what [`F16::from_f32`] and [`F16::to_f32`] compute, NaN made canonical
/// where those make it.
#[cfg(target_arch = "x86_64")]
mod f16c {
    use super::{F16, F16_NAN};
    use std::arch::x86_64::*;

    /// Rounds the longest multiple of eight of `from` into `into`; returns how many.
    ///
    /// # Safety
    /// The CPU must support AVX2 and F16C.
    #[target_feature(enable = "avx2,f16c")]
    pub(super) unsafe fn round(from: &[f32], into: &mut [F16]) -> usize {
        let n = from.len().min(into.len()) / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: i + 8 <= n elements of both slices; the features are the caller's.
            unsafe {
                let v = _mm256_loadu_ps(from.as_ptr().add(i));
                let h = _mm256_cvtps_ph::<_MM_FROUND_TO_NEAREST_INT>(v);
                let nan = _mm256_castps_si256(_mm256_cmp_ps::<_CMP_UNORD_Q>(v, v));
                let nan16 = _mm_packs_epi32(
                    _mm256_castsi256_si128(nan),
                    _mm256_extracti128_si256::<1>(nan),
                );
                let h = _mm_blendv_epi8(h, _mm_set1_epi16(F16_NAN as i16), nan16);
                _mm_storeu_si128(into.as_mut_ptr().add(i).cast(), h);
            }
        }
        n
    }

    /// Widens the longest multiple of eight of `from` into `into`; returns how many.
    ///
    /// # Safety
    /// The CPU must support AVX2 and F16C.
    #[target_feature(enable = "avx2,f16c")]
    pub(super) unsafe fn widen(from: &[F16], into: &mut [f32]) -> usize {
        let n = from.len().min(into.len()) / 8 * 8;
        for i in (0..n).step_by(8) {
            // SAFETY: as in round.
            unsafe {
                let h = _mm_loadu_si128(from.as_ptr().add(i).cast());
                _mm256_storeu_ps(into.as_mut_ptr().add(i), _mm256_cvtph_ps(h));
            }
        }
        n
    }
}

impl Half for Bf16 {
    #[cfg(test)]
    const MANT: i32 = 7;
    #[cfg(test)]
    const MIN_QUANTUM: i32 = -133;
    #[cfg(test)]
    const ALL_INFINITE: f32 = f32::INFINITY;
    #[inline(always)]
    fn widen(self) -> f32 {
        self.to_f32()
    }
    #[inline(always)]
    fn round(v: f32) -> Self {
        Bf16::from_f32(v)
    }
    #[inline(always)]
    fn open_fast(v: f32) -> bool {
        // bfloat16 has f32's exponents: 16 bits are dropped everywhere, subnormals included.
        let a = v.to_bits() & 0x7fff_ffff;
        let distance = ((a & 0xffff) as i32 - 0x8000).unsigned_abs();
        (a != 0) & (a < 0x7f80_0000) & (distance <= WINDOW)
    }
}

/// `2^e` as an `f64`, for `e` in the normal range.
#[cfg(test)]
fn pow2(e: i32) -> f64 {
    f64::from_bits(((1023 + e) as u64) << 52)
}

/// Whether a rounding boundary of `H` (the midpoint of two neighbouring values, the overflow
/// threshold among them) lies within [`F32_ERROR_ULPS`] `f32` ulps of `v`: then the exact value
/// `v` approximates may round differently from `v`. The plain arithmetic statement of what
/// [`Half::open_fast`] computes from the bits; the tests hold one to the other.
#[cfg(test)]
fn open<H: Half>(v: f32) -> bool {
    let a = v.abs();
    // Infinities, NaN, zero (the first boundary above it is 2^(MIN_QUANTUM - 1), far beyond the
    // error of an f32 zero), and magnitudes that round to infinity whatever their error.
    if !(a > 0.0 && a < H::ALL_INFINITE) {
        return false;
    }
    let wide = f64::from(a);
    let e = ((wide.to_bits() >> 52) as i32) - 1023;
    // The format's quantum at a, and a in quanta: an integer plus a fraction, exactly.
    let quantum = (e - H::MANT).max(H::MIN_QUANTUM);
    let q = wide * pow2(-quantum);
    let distance = (q - q.floor() - 0.5).abs();
    // The f32 ulp at a, in quanta.
    let ulp = pow2(e.max(-126) - 23 - quantum);
    distance <= F32_ERROR_ULPS * ulp
}

/// `hi + lo` rounded to `f32` with round-to-odd: the truncation toward zero, with its last bit
/// set when anything was dropped. Rounding that to a format of fewer bits (all but the
/// subnormal `f32`s have 13 or 16 bits to spare here) is then the correct rounding of `hi + lo`.
pub(crate) fn round_to_odd(hi: f64, lo: f64) -> f32 {
    let f = hi as f32;
    if !f.is_finite() {
        return f;
    }
    // hi - f is exact (f is hi rounded), and either nonzero and at least an f64 ulp of hi (so
    // at least twice lo), or zero: its sum with lo has the sign of what f lacks.
    let rest = (hi - f64::from(f)) + lo;
    if rest == 0.0 {
        return f;
    }
    let positive = if f != 0.0 { f > 0.0 } else { rest > 0.0 };
    // f is beyond the exact value (farther from zero) when rest points back toward zero.
    let beyond = f != 0.0 && ((rest > 0.0) != positive);
    let magnitude = (f.to_bits() & 0x7fff_ffff) - u32::from(beyond);
    let sign = if positive { 0 } else { 0x8000_0000 };
    f32::from_bits(sign | magnitude | 1)
}

/// `v` rounded once to a half format.
pub(crate) fn narrow_f64<H: Half>(v: f64) -> H {
    H::round(round_to_odd(v, 0.0))
}

/// How the gradient of each element is scaled, as the exact path takes it.
fn factor_of<H>(scale: &Scale<'_, H>, each: &[f32], i: usize) -> Factor<Scalar> {
    match *scale {
        Scale::Each(_) => Factor::of(Scalar(f64::from(each[i]))),
        Scale::Times(g) => Factor::of(Scalar(g)),
        Scale::TimesOver(g, n) => Factor::quotient(g, n),
    }
}

/// Rounds every `f32` result into `out` and flags the ones that are [`open`], to be computed
/// again. The loop is branch-free, so that it vectorizes; it runs compiled for the selected
/// path's instructions (`kernel::dispatch`), with the same results on every path.
struct RoundAll<'a, H> {
    results: &'a [f32],
    out: &'a mut [H],
    open: &'a mut [u8],
}

impl<H: Half> OnPath for RoundAll<'_, H> {
    type Out = ();
    #[inline(always)]
    fn on<P: Path>(self) {
        H::round_block::<P>(self.results, self.out);
        for (flag, &r) in self.open.iter_mut().zip(self.results) {
            *flag = u8::from(H::open_fast(r));
        }
    }
}

/// Widens half values into `f32`s, compiled for the selected path as [`RoundAll`] is.
struct WidenAll<'a, H> {
    from: &'a [H],
    into: &'a mut [f32],
}

impl<H: Half> OnPath for WidenAll<'_, H> {
    type Out = ();
    #[inline(always)]
    fn on<P: Path>(self) {
        H::widen_block::<P>(self.from, self.into);
    }
}

/// Rounds `results` (at most a piece) into `out`; returns the indices of the open ones, in order.
fn round_all<H: Half>(results: &[f32], out: &mut [H]) -> impl Iterator<Item = usize> {
    // One flag per element, the ones past the end clear; on the stack: no allocation per piece.
    let mut open = [0u8; PIECE];
    dispatch(RoundAll {
        results,
        out,
        open: &mut open[..results.len()],
    });
    flagged(open, results.len())
}

/// The indices of the nonzero ones among the first `len` flags, in order. Eight flags are read
/// as one word: flagged elements are rare, so most words are zero.
pub(crate) fn flagged(flags: [u8; PIECE], len: usize) -> impl Iterator<Item = usize> {
    (0..len.div_ceil(8))
        .map(move |k| {
            (
                k,
                u64::from_ne_bytes(flags[8 * k..8 * k + 8].try_into().expect("8")),
            )
        })
        .filter(|&(_, word)| word != 0)
        .flat_map(move |(k, word)| {
            (0..8)
                .filter(move |&j| 8 * k + j < len && word.to_ne_bytes()[j] != 0)
                .map(move |j| 8 * k + j)
        })
}

/// The losses of a piece rounded into `out`, the open ones computed again exactly.
fn round_loss<H: Half>(loss32: &[f32], x: &[f32], y: &[f32], out: &mut [H]) {
    for i in round_all(loss32, out) {
        let p = exact_point(f64::from(x[i]), f64::from(y[i]));
        // The exact loss is above max(m, 0) + its double-double part: where that part
        // vanished (log1p(exp(-|m|)) below 2^-106 of the margin), round as for a value just
        // above.
        let lo = if p.loss_err.0 == 0.0 {
            f64::from_bits(1)
        } else {
            p.loss_err.0
        };
        out[i] = H::round(round_to_odd(p.loss.0, lo));
    }
}

/// The gradients of a piece rounded into `out`, the open ones computed again exactly.
fn round_grad<H: Half>(
    grad32: &[f32],
    x: &[f32],
    y: &[f32],
    scale: &Scale<'_, H>,
    each: &[f32],
    out: &mut [H],
) {
    for i in round_all(grad32, out) {
        let (xd, yd) = (f64::from(x[i]), f64::from(y[i]));
        let p = exact_point(xd, yd);
        let exact = p.slope.times(factor_of(scale, each, i)).0;
        // Where the margin m is tiny, sigmoid(m) = 1/2 + m/4 and the rounded product can sit
        // exactly on a midpoint (-y/2 for a subnormal target): the exact value is then beyond
        // it, in magnitude, when m > 0, and short of it when m < 0 (m = 0 is a true tie).
        // Elsewhere such a tie does not occur, and the nudge, far below any rounding, changes
        // nothing.
        let m = -yd * xd;
        let nudge = if m == 0.0 || exact == 0.0 {
            0.0
        } else {
            f64::from_bits(1).copysign(exact * m)
        };
        out[i] = H::round(round_to_odd(exact, nudge));
    }
}

/// A pass over half data: the same [`Pass`], run as the module docs describe.
pub(crate) struct HalfPass<'a, H>(pub Pass<'a, H>);

/// Elements of a leaf converted and computed at a time: the widened inputs and the `f32`
/// results of a piece (five arrays of it) stay in the first-level cache. A multiple of 16, so
/// that every piece starts on a sum lane boundary and the sums are those of the whole leaf.
pub(crate) const PIECE: usize = 512;

/// Elements `start..start + into.len()` of an input widened into `into`: from its own slice or
/// from the output it aliases.
fn widen_into<H: Half>(
    operand: &Operand<'_, H>,
    loss: Option<&[H]>,
    grad: Option<&[H]>,
    start: usize,
    into: &mut [f32],
) {
    let source = match *operand {
        Operand::Slice(s) => s,
        Operand::Loss => loss.expect("an aliased operand names an output of the pass"),
        Operand::Grad => grad.expect("an aliased operand names an output of the pass"),
    };
    let from = &source[start..start + into.len()];
    dispatch(WidenAll { from, into });
}

impl<H: Half> Task for HalfPass<'_, H> {
    type Out = Total<Lanes>;

    fn len(&self) -> usize {
        self.0.len
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.0.split(mid);
        (HalfPass(a), HalfPass(b))
    }

    fn leaf(self) -> Total<Lanes> {
        let Pass {
            len,
            input,
            target,
            mut loss,
            mut grad,
            scale,
            sum,
        } = self.0;
        let mut total = Lanes::default();
        // Zeroed once per leaf, not per piece.
        let (mut x_piece, mut y_piece, mut each_piece) =
            ([0.0f32; PIECE], [0.0; PIECE], [0.0; PIECE]);
        let (mut loss32, mut grad32) = ([0.0f32; PIECE], [0.0f32; PIECE]);
        let mut start = 0;
        while start < len {
            let n = PIECE.min(len - start);
            let (x, y) = (&mut x_piece[..n], &mut y_piece[..n]);
            let each = &mut each_piece[..n];
            // A piece's inputs are widened before its outputs are written, and an aliased
            // input is the very output buffer: it is read at no element written before.
            let (l_in, g_in) = (loss.as_deref(), grad.as_deref());
            widen_into(&input, l_in, g_in, start, x);
            widen_into(&target, l_in, g_in, start, y);
            if let Scale::Each(g) = scale {
                widen_into(&g, l_in, g_in, start, each);
            }
            let piece_loss = loss.as_deref_mut().map(|l| &mut l[start..start + n]);
            let piece_grad = grad.as_deref_mut().map(|g| &mut g[start..start + n]);
            let chunk = Chunk {
                x,
                y,
                each: matches!(scale, Scale::Each(_)).then_some(&each[..]),
                loss: piece_loss.is_some().then_some(&mut loss32[..n]),
                grad: piece_grad.is_some().then_some(&mut grad32[..n]),
                scale: scale.for_chunk(),
                sum,
            };
            kernel::run(chunk, &mut total);
            if let Some(loss) = piece_loss {
                round_loss(&loss32[..n], x, y, loss);
            }
            if let Some(grad) = piece_grad {
                round_grad(&grad32[..n], x, y, &scale, each, grad);
            }
            start += n;
        }
        Total::Block(total)
    }

    fn merge(earlier: Total<Lanes>, later: Total<Lanes>) -> Total<Lanes> {
        Total::merge(earlier, later)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_conversions_round_trip_and_round_to_nearest_even() {
        for bits in 0..=u16::MAX {
            let h = F16(bits);
            let f = h.to_f32();
            if f.is_nan() {
                assert_eq!(F16::from_f32(f).0, F16_NAN);
                continue;
            }
            assert_eq!(F16::from_f32(f).0, bits, "{bits:#06x}");
        }
        // Between two neighbours: below, at and above the midpoint.
        let (a, b) = (F16(0x3c00).to_f32(), F16(0x3c01).to_f32());
        let mid = (a + b) / 2.0;
        assert_eq!(F16::from_f32(mid).0, 0x3c00);
        assert_eq!(F16::from_f32(f32::from_bits(mid.to_bits() + 1)).0, 0x3c01);
        assert_eq!(F16::from_f32(65519.0).0, 0x7bff);
        assert_eq!(F16::from_f32(65520.0).0, 0x7c00);
        assert_eq!(F16::from_f32(2f32.powi(-25)).0, 0);
        assert_eq!(
            F16::from_f32(f32::from_bits(2f32.powi(-25).to_bits() + 1)).0,
            1
        );
    }

    /// The F16C conversions are bitwise the portable ones: every binary16 widened, and every
    /// 61st f32 pattern (all exponents, NaN payloads, the midpoints' neighbours) rounded.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn f16c_conversions_are_the_portable_ones() {
        if !(is_x86_feature_detected!("avx2") && is_x86_feature_detected!("f16c")) {
            println!("f16c: skipped, not on this CPU");
            return;
        }
        let halves: Vec<F16> = (0..=u16::MAX).map(F16).collect();
        let mut wide = vec![0.0f32; halves.len()];
        // SAFETY: the CPU has AVX2 and F16C, as just checked.
        assert_eq!(unsafe { f16c::widen(&halves, &mut wide) }, halves.len());
        for (h, w) in halves.iter().zip(&wide) {
            assert_eq!(w.to_bits(), h.to_f32().to_bits(), "{:#06x}", h.0);
        }
        let floats: Vec<f32> = (0..=u32::MAX).step_by(61).map(f32::from_bits).collect();
        let mut rounded = vec![F16(0); floats.len()];
        // SAFETY: as above.
        let done = unsafe { f16c::round(&floats, &mut rounded) };
        for (f, r) in floats[..done].iter().zip(&rounded) {
            assert_eq!(r.0, F16::from_f32(*f).0, "{:#010x}", f.to_bits());
        }
    }

    #[test]
    fn bf16_conversions_round_trip() {
        for bits in 0..=u16::MAX {
            let f = Bf16(bits).to_f32();
            let expect = if f.is_nan() { BF16_NAN } else { bits };
            assert_eq!(Bf16::from_f32(f).0, expect, "{bits:#06x}");
        }
        assert_eq!(Bf16::from_f32(f32::MAX).0, 0x7f80);
    }

    #[test]
    fn round_to_odd_keeps_what_was_dropped() {
        let one = 1.0f64;
        assert_eq!(round_to_odd(one, 0.0), 1.0);
        assert_eq!(round_to_odd(one, 1e-30).to_bits(), 1f32.to_bits() | 1);
        assert_eq!(round_to_odd(one, -1e-30).to_bits(), 1f32.to_bits() - 1);
        assert_eq!(round_to_odd(-one, -1e-30).to_bits(), (-1f32).to_bits() | 1);
        assert_eq!(round_to_odd(1e-300, 0.0).to_bits(), 1);
        assert_eq!(round_to_odd(-1e-300, 0.0).to_bits(), 0x8000_0001);
        assert_eq!(round_to_odd(1e300, 0.0), f32::INFINITY);
    }

    /// The integer test and the arithmetic one agree: over every 97th f32 and over every
    /// pattern near a midpoint of either format.
    #[test]
    fn open_fast_is_open() {
        fn agree<H: Half>(bits: u32) {
            let v = f32::from_bits(bits);
            assert_eq!(H::open_fast(v), open::<H>(v), "{bits:#010x} ({v:e})");
        }
        for bits in (0..=u32::MAX).step_by(97) {
            agree::<F16>(bits);
            agree::<Bf16>(bits);
        }
        for upper in (0..=u32::MAX >> 16).step_by(3) {
            for low in 0x7ff0..0x8010 {
                agree::<Bf16>(upper << 16 | low);
            }
        }
        for upper in 0..=u32::MAX >> 13 {
            for low in [0xffc, 0xffd, 0x1000, 0x1003, 0x1004] {
                agree::<F16>(upper << 13 | low);
            }
        }
    }

    #[test]
    fn open_finds_the_midpoints() {
        let mid = (F16(0x3c00).to_f32() + F16(0x3c01).to_f32()) / 2.0;
        assert!(open::<F16>(mid));
        assert!(open::<F16>(f32::from_bits(mid.to_bits() + 3)));
        assert!(!open::<F16>(f32::from_bits(mid.to_bits() + 4)));
        assert!(!open::<F16>(1.0));
        assert!(open::<F16>(65520.0));
        assert!(!open::<F16>(70000.0));
        assert!(open::<F16>(2f32.powi(-25)));
        assert!(open::<Bf16>(f32::from_bits(0x3f80_8000)));
        assert!(!open::<Bf16>(f32::from_bits(0x3f80_4000)));
    }
}
