//! What differs between the two compute types in the element loop, as Highway's `ExpImpl<float>`
//! and `ExpImpl<double>` hold what differs between theirs: which kernels a group goes through,
//! how losses are summed, and the one-element fallbacks of the lanes outside the fast kernel's
//! range. `f32` is the compute type of `f32` data (through the bounded kernel in `f64` lanes)
//! and of the 16-bit types (held exactly in `f32`); `f64` of `f64` data.

use crate::kernel::bounded::{bounded, ends, BOUNDED_ERROR};
use crate::kernel::eft::{fast_two_sum, two_sum};
use crate::kernel::exact::point;
use crate::kernel::factor::{canonical_nan, product_in_range, Factor, Split};
use crate::kernel::fast::{fast, Fast, FastImpl};
use crate::kernel::second::float_data;
use crate::kernel::second_dd::{double_data, rounding_ends, DOUBLE_DATA_ERROR};
use crate::kernel::wide::any_f32;
use crate::simd::portable::Scalar;
use crate::simd::{Path, Simd, VectorF32};
use crate::sum::{self, Compensated, CompensatedLanes, Lanes, LeafSum};

/// A compute type: the lanes the kernels run on, the sums they add into, and how one group
/// and one element go through the kernels.
pub trait Compute: Copy + Default + std::fmt::Debug + 'static {
    /// A path's lanes of this type: [`crate::simd::dispatch::GROUP`] of them, or one for
    /// [`crate::simd::One`].
    type Lanes<P: Path>: Simd<Elem = Self>;
    /// A block's lane sums.
    type Sum: LeafSum;

    /// The value as an `f64` (exact).
    fn to_f64(self) -> f64;
    /// The lane sums as a group loop keeps them, in registers.
    type Acc<P: Path>: Copy;

    /// The sums of lanes `lane..` of `sum`, as many as the path has lanes.
    fn acc_load<P: Path>(sum: &Self::Sum, lane: usize) -> Self::Acc<P>;
    /// Sums of zero, for loops that do not sum.
    fn acc_zero<P: Path>() -> Self::Acc<P>;
    /// Writes `acc` back into lanes `lane..` of `sum`.
    fn acc_store<P: Path>(acc: Self::Acc<P>, sum: &mut Self::Sum, lane: usize);

    /// The one factor of the fast kernel as `hi + lo`, `None` where it is outside that
    /// kernel's range: then every lane goes through the kernel for every input.
    fn fast_factor(f: Factor) -> Option<(Self, Self)>;

    /// One group: the results of the outputs asked for (`L` the loss, for an output or the
    /// sum; `G` the gradient; `H` both derivatives) through the bounded kernel (`bounded`,
    /// for `f32` data: each result as the ends of an interval), the fast kernel (`FAST`) or the
    /// kernel for every input, the losses added to `acc` (with `sum`); `each` holds the lanes'
    /// own factors for [`Factor::Each`].
    #[allow(clippy::too_many_arguments)]
    fn kernels<P: Path, const L: bool, const G: bool, const H: bool, const FAST: bool>(
        x: Self::Lanes<P>,
        y: Self::Lanes<P>,
        each: Option<Self::Lanes<P>>,
        factor: Factor,
        fast_factor: (Self, Self),
        acc: &mut Self::Acc<P>,
        sum: bool,
        bounded: bool,
    ) -> Group<Self::Lanes<P>>;

    /// One element's loss through the kernel for every input, added to lane `lane` of `sum`
    /// when `add`.
    fn loss_one(x: Self, y: Self, sum: &mut Self::Sum, lane: usize, add: bool) -> Self;
    /// One element's gradient through the kernel for every input, `each` its own factor.
    fn grad_one(x: Self, y: Self, each: Self, factor: Factor) -> Self;
}

impl Compute for f32 {
    type Lanes<P: Path> = P::F32;
    type Sum = Lanes;
    type Acc<P: Path> = <P::F32 as VectorF32>::Wide;

    fn to_f64(self) -> f64 {
        f64::from(self)
    }

    #[inline(always)]
    fn acc_load<P: Path>(sum: &Lanes, lane: usize) -> Self::Acc<P> {
        Simd::load(&sum.0[lane..])
    }
    #[inline(always)]
    fn acc_zero<P: Path>() -> Self::Acc<P> {
        Simd::splat(0.0)
    }
    #[inline(always)]
    fn acc_store<P: Path>(acc: Self::Acc<P>, sum: &mut Lanes, lane: usize) {
        acc.store(&mut sum.0[lane..]);
    }

    fn fast_factor(f: Factor) -> Option<(f32, f32)> {
        f.fast_f32()
    }

    #[inline(always)]
    fn kernels<P: Path, const L: bool, const G: bool, const H: bool, const FAST: bool>(
        x: P::F32,
        y: P::F32,
        each: Option<P::F32>,
        factor: Factor,
        fast_factor: (f32, f32),
        acc: &mut Self::Acc<P>,
        sum: bool,
        bounded: bool,
    ) -> Group<P::F32> {
        let mut out = Group::empty();
        if H {
            let (g, n) = match factor {
                Factor::Times(g) => (g, 1.0),
                Factor::Over(g, n) => (g, n),
                Factor::Each => unreachable!("the derivatives take one factor"),
            };
            let ([g_lo, g_hi], [h_lo, h_hi], outside) = float_data(x.widen(), y.widen(), g, n);
            out.grad = P::F32::from_wide(g_lo);
            out.grad_hi = P::F32::from_wide(g_hi);
            out.second = P::F32::from_wide(h_lo);
            out.second_hi = P::F32::from_wide(h_hi);
            out.outside_second = <P::F32 as VectorF32>::Wide::bits(outside);
        } else if bounded {
            bounded_group::<P, L, G>(x, y, each, factor, acc, sum, &mut out);
        } else if FAST {
            let r = fast::<P::F32, L, G>(x, y);
            let ok_grad = if G {
                let (grad, ok_grad) = fast_gradient(&r, each, fast_factor);
                out.grad = grad;
                ok_grad
            } else {
                r.ok_grad
            };
            if L {
                out.loss = r.loss_hi.add(r.loss_lo);
                if sum {
                    let zero = P::F32::splat(0.0);
                    let hi = P::F32::select(r.ok, r.loss_hi, zero).widen();
                    let lo = P::F32::select(r.ok, r.loss_lo, zero).widen();
                    *acc = acc.add(hi.add(lo));
                }
            }
            (out.outside_loss, out.outside_grad) = outside::<P::F32, L, G>(r.ok, ok_grad);
        } else {
            let (loss, slope) = any_f32(x.widen(), y.widen());
            if L {
                out.loss = P::F32::from_wide(loss);
                if sum {
                    *acc = acc.add(loss);
                }
            }
            if G {
                let grad = factor.times_wide(
                    slope,
                    #[inline(always)]
                    || each.expect("per-element factors").widen(),
                );
                out.grad = P::F32::from_wide(grad);
            }
        }
        out
    }

    fn loss_one(x: f32, y: f32, sum: &mut Lanes, lane: usize, add: bool) -> f32 {
        let (loss, _) = any_f32(Scalar(f64::from(x)), Scalar(f64::from(y)));
        if add {
            sum.0[lane] += loss.0;
        }
        loss.0 as f32
    }

    fn grad_one(x: f32, y: f32, each: f32, factor: Factor) -> f32 {
        let (_, slope) = any_f32(Scalar(f64::from(x)), Scalar(f64::from(y)));
        factor.times_wide(slope, || Scalar(f64::from(each))).0 as f32
    }
}

impl Compute for f64 {
    type Lanes<P: Path> = P::F64;
    type Sum = CompensatedLanes;
    /// The compensated sums `hi + lo`, and the sum of the huge losses.
    type Acc<P: Path> = (P::F64, P::F64, Compensated);

    fn to_f64(self) -> f64 {
        self
    }

    #[inline(always)]
    fn acc_load<P: Path>(sum: &CompensatedLanes, lane: usize) -> Self::Acc<P> {
        (
            P::F64::load(&sum.hi[lane..]),
            P::F64::load(&sum.lo[lane..]),
            sum.big,
        )
    }
    #[inline(always)]
    fn acc_zero<P: Path>() -> Self::Acc<P> {
        (
            P::F64::splat(0.0),
            P::F64::splat(0.0),
            Compensated::default(),
        )
    }
    #[inline(always)]
    fn acc_store<P: Path>(acc: Self::Acc<P>, sum: &mut CompensatedLanes, lane: usize) {
        acc.0.store(&mut sum.hi[lane..]);
        acc.1.store(&mut sum.lo[lane..]);
        sum.big = acc.2;
    }

    fn fast_factor(f: Factor) -> Option<(f64, f64)> {
        f.fast_f64()
    }

    #[inline(always)]
    fn kernels<P: Path, const L: bool, const G: bool, const H: bool, const FAST: bool>(
        x: P::F64,
        y: P::F64,
        each: Option<P::F64>,
        factor: Factor,
        fast_factor: (f64, f64),
        acc: &mut Self::Acc<P>,
        sum: bool,
        _: bool,
    ) -> Group<P::F64> {
        let mut out = Group::empty();
        let zero = P::F64::splat(0.0);
        if H {
            match factor.second_f64() {
                Some(c) => {
                    let (grad, second, outside) = double_data::<P::F64, false>(x, y, c);
                    [out.grad, out.grad_hi] = rounding_ends(grad, DOUBLE_DATA_ERROR);
                    [out.second, out.second_hi] = rounding_ends(second, DOUBLE_DATA_ERROR);
                    out.outside_second = P::F64::bits(outside);
                }
                // A factor the kernel's analysis does not cover: every lane to the exact one.
                None => out.outside_second = P::F64::ALL_LANES,
            }
        } else if FAST {
            let r = fast::<P::F64, L, G>(x, y);
            let ok_grad = if G {
                let (grad, ok_grad) = fast_gradient(&r, each, fast_factor);
                out.grad = grad;
                ok_grad
            } else {
                r.ok_grad
            };
            if L {
                // The loss rounded, and its rounding error.
                let (loss, loss_err) = fast_two_sum(r.loss_hi, r.loss_lo);
                out.loss = loss;
                if sum {
                    // The lanes outside add 0 (exactly nothing) here; the fallback adds them.
                    let (s, err) = two_sum(acc.0, P::F64::select(r.ok, loss, zero));
                    acc.0 = s;
                    acc.1 = acc.1.add(err.add(P::F64::select(r.ok, loss_err, zero)));
                }
            }
            (out.outside_loss, out.outside_grad) = outside::<P::F64, L, G>(r.ok, ok_grad);
        } else {
            let p = point(x, y);
            if L {
                out.loss = p.loss;
                if sum {
                    // Huge losses go to the fallback (see `sum::BIG`), and add 0 here.
                    let huge = p.loss.ge(P::F64::splat(sum::BIG));
                    out.outside_loss = P::F64::bits(huge);
                    let (s, err) = two_sum(acc.0, P::F64::select(huge, zero, p.loss));
                    acc.0 = s;
                    acc.1 = acc.1.add(err.add(P::F64::select(huge, zero, p.loss_err)));
                }
            }
            if G {
                let split = match (factor, each) {
                    (Factor::Each, Some(each)) => Split::of(each),
                    _ => Split::splat(factor.split(1.0)),
                };
                out.grad = canonical_nan(p.slope.times(split));
            }
        }
        out
    }

    fn loss_one(x: f64, y: f64, sum: &mut CompensatedLanes, lane: usize, add: bool) -> f64 {
        let p = point(Scalar(x), Scalar(y));
        if add {
            if p.loss.0 >= sum::BIG {
                add_big(x, y, p.loss.0, p.loss_err.0, &mut sum.big);
            } else {
                let (s, err) = two_sum(Scalar(sum.hi[lane]), p.loss);
                sum.hi[lane] = s.0;
                sum.lo[lane] += err.0 + p.loss_err.0;
            }
        }
        p.loss.0
    }

    fn grad_one(x: f64, y: f64, each: f64, factor: Factor) -> f64 {
        let p = point(Scalar(x), Scalar(y));
        canonical_nan(p.slope.times(factor.split(each))).0
    }
}

/// Adds a huge loss `loss + loss_err` to `big`, scaled by [`sum::BIG_SCALE`]; a loss beyond
/// the largest `f64` (its margin `-y x` overflowed, and the loss is that margin) as the margin
/// computed at that scale. Only margins beyond 2^900 get here.
fn add_big(x: f64, y: f64, loss: f64, loss_err: f64, big: &mut Compensated) {
    if loss.is_finite() {
        big.add(loss * sum::BIG_SCALE, loss_err * sum::BIG_SCALE);
    } else {
        // The larger factor scaled (exactly: it is beyond 2^512), the product exactly.
        let (mut a, mut b) = (-y, x);
        if a.abs() >= b.abs() {
            a *= sum::BIG_SCALE;
        } else {
            b *= sum::BIG_SCALE;
        }
        let m = a * b;
        big.add(m, if m.is_finite() { a.mul_add(b, -m) } else { 0.0 });
    }
}

/// One group of `f32` data through the bounded kernel, in `f64` lanes: each loss and gradient
/// as the ends of an interval that holds the exact value, narrowed to `f32`; the losses added
/// to `acc` (with `sum`); the lanes of infinite or NaN margins left to the element loop.
#[inline(always)]
fn bounded_group<P: Path, const L: bool, const G: bool>(
    x: P::F32,
    y: P::F32,
    each: Option<P::F32>,
    factor: Factor,
    acc: &mut <P::F32 as VectorF32>::Wide,
    sum: bool,
    out: &mut Group<P::F32>,
) {
    type Wide<P> = <<P as Path>::F32 as VectorF32>::Wide;
    let r = bounded::<Wide<P>, L, G>(x.widen(), y.widen());
    let outside = !Wide::<P>::bits(r.finite) & Wide::<P>::ALL_LANES;
    if L {
        // (Written out: an array's `map` would not inline into the paths' functions.)
        let [lo, hi] = ends(r.loss, BOUNDED_ERROR);
        (out.loss, out.loss_hi) = (P::F32::from_wide(lo), P::F32::from_wide(hi));
        if sum {
            *acc = acc.add(Wide::<P>::select(r.finite, r.loss, Simd::splat(0.0)));
        }
        out.outside_loss = outside;
    }
    if G {
        // One rounding of the slope's product with the factor (two for MEAN's `g / n`).
        let grad = match factor {
            Factor::Each => canonical_nan(r.slope.mul(each.expect("per-element factors").widen())),
            Factor::Times(1.0) => r.slope,
            Factor::Times(g) => r.slope.mul(Simd::splat(g)),
            Factor::Over(g, n) => r.slope.mul(Simd::splat(g / n)),
        };
        // A NaN from an infinite factor times a zero slope, as the other kernels give it.
        let grad = match factor {
            Factor::Times(g) | Factor::Over(g, _) if !g.is_finite() => canonical_nan(grad),
            _ => grad,
        };
        let [lo, hi] = ends(grad, BOUNDED_ERROR);
        (out.grad, out.grad_hi) = (P::F32::from_wide(lo), P::F32::from_wide(hi));
        out.outside_grad = outside;
    }
}

/// The gradient of a group from the fast kernel's slope: `(slope_hi + slope_lo)` times each
/// lane's own factor (`each`) or the one `factor` (`hi + lo`), one rounding; and the lanes it
/// covers: those of the kernel's `ok_grad` whose own factor is in its range (normal, up to
/// [`FastImpl::MAX_FACTOR`]).
#[inline(always)]
fn fast_gradient<V: Simd>(r: &Fast<V>, each: Option<V>, factor: (V::Elem, V::Elem)) -> (V, V::Mask)
where
    V::Elem: FastImpl<V>,
{
    let (c_hi, c_lo, ok_grad) = match each {
        Some(g) => {
            let size = g.abs();
            let in_range = V::and(
                size.ge(V::splat(V::Elem::MIN_NORMAL)),
                V::splat(V::Elem::MAX_FACTOR).ge(size),
            );
            (g, V::splat(V::Elem::ZERO), V::and(r.ok_grad, in_range))
        }
        None => (V::splat(factor.0), V::splat(factor.1), r.ok_grad),
    };
    (
        product_in_range(r.slope_hi, r.slope_lo, c_hi, c_lo),
        ok_grad,
    )
}

/// The lanes of a group outside the fast kernel's range (lane `i` in bit `i`): for the loss
/// (`ok` not set; none without `L`) and for the gradient (`ok_grad` not set, which holds
/// wherever the loss is outside; none without `G`).
#[inline(always)]
fn outside<V: Simd, const L: bool, const G: bool>(ok: V::Mask, ok_grad: V::Mask) -> (u32, u32) {
    let loss = if L { !V::bits(ok) & V::ALL_LANES } else { 0 };
    let grad = if G {
        !V::bits(ok_grad) & V::ALL_LANES
    } else {
        0
    };
    (loss, grad)
}

/// The results of one group, in lanes of its compute type, and the lanes left to the
/// element loop's fallback.
pub struct Group<V> {
    /// The loss; from the bounded kernel, one end of its interval, and the other end.
    pub loss: V,
    pub loss_hi: V,
    /// The gradient; with the second derivative or from the bounded kernel, one end of its
    /// interval, and the other end.
    pub grad: V,
    pub grad_hi: V,
    pub second: V,
    pub second_hi: V,
    /// Lanes outside the kernels' range: for the loss (left out of the sum too), for the
    /// gradient, for both derivatives.
    pub outside_loss: u32,
    pub outside_grad: u32,
    pub outside_second: u32,
}

impl<V: Simd> Group<V>
where
    V::Elem: Default,
{
    #[inline(always)]
    pub(crate) fn empty() -> Self {
        let zero = V::splat(V::Elem::default());
        Group {
            loss: zero,
            loss_hi: zero,
            grad: zero,
            grad_hi: zero,
            second: zero,
            second_hi: zero,
            outside_loss: 0,
            outside_grad: 0,
            outside_second: 0,
        }
    }
}
