//! Every element's loss and gradient against the double-double reference, both precisions,
//! over moderate, extreme, subnormal-result and near-zero inputs, with +/-1 and arbitrary
//! targets.

mod common;

use approx::{abs_diff_eq, assert_abs_diff_eq};
use common::reference::{self, Dd, Scaled};
use common::{inputs, ref_loss, ref_slope, ulps, Elem, Family, Targets, FAMILIES};
use softmargin::{
    backward_none, backward_reduced, forward_backward_none, forward_none, set_isa, Operand, Reduced,
};

/// Elements per (type, family, targets) combination.
const N: usize = 100_000;

/// Checks one element's loss and slope; returns their errors in ulps.
fn check_element<T: Elem>(x: T, y: T, loss: T, slope: T) -> (f64, f64) {
    match (ref_loss(x, y), ref_slope(x, y)) {
        (Some(rl), Some((sign, rs))) => (ulps(loss, 1.0, rl), ulps(slope, sign, rs)),
        _ => {
            // The margin -y x overflows the reference's f64: the loss is +inf and the slope -y
            // when it is +inf; 0 and 0 when it is -inf.
            let positive = (-y.to_f64() * x.to_f64()) > 0.0;
            let (want_loss, want_slope) = if positive {
                (f64::INFINITY, -y.to_f64())
            } else {
                (0.0, 0.0)
            };
            let ok =
                loss.to_f64() == want_loss && slope.to_f64() == T::from_f64(want_slope).to_f64();
            if ok {
                (0.0, 0.0)
            } else {
                (f64::INFINITY, f64::INFINITY)
            }
        }
    }
}

fn elementwise<T: Elem>(family: Family, targets: Targets, seed: u64) {
    let (x, y) = inputs::<T>(family, targets, N, seed);
    let mut loss = vec![T::default(); N];
    forward_none(&x[..], &y[..], &mut loss).unwrap();
    let ones: Vec<T> = std::iter::repeat_n(T::from_f64(1.0), N).collect();
    let mut grad = vec![T::default(); N];
    backward_none(&ones[..], &x[..], &y[..], &mut grad).unwrap();

    let (mut worst_loss, mut worst_slope) = (0.0f64, 0.0f64);
    for i in 0..N {
        let (el, es) = check_element(x[i], y[i], loss[i], grad[i]);
        assert!(
            el <= T::ELEMENT_BOUND && es <= T::ELEMENT_BOUND,
            "{} {family:?} {targets:?}: x = {:e}, y = {:e}: loss {:e} ({el} ulp), slope {:e} ({es} ulp)",
            T::NAME,
            x[i].to_f64(),
            y[i].to_f64(),
            loss[i].to_f64(),
            grad[i].to_f64(),
        );
        worst_loss = worst_loss.max(el);
        worst_slope = worst_slope.max(es);
    }
    println!(
        "{} {family:?} {targets:?}: max error loss {worst_loss:.3} ulp, gradient {worst_slope:.3} ulp",
        T::NAME
    );

    // The fused pass gives bitwise the same values; so does the in-place form.
    let mut fused_loss = vec![T::default(); N];
    let mut fused_grad = vec![T::default(); N];
    forward_backward_none(&x[..], &y[..], &mut fused_loss, &mut fused_grad).unwrap();
    assert!(fused_loss
        .iter()
        .zip(&loss)
        .all(|(a, b)| a.bits() == b.bits()));
    assert!(fused_grad
        .iter()
        .zip(&grad)
        .all(|(a, b)| a.bits() == b.bits()));
    let mut in_place = x.clone();
    forward_none(Operand::Loss, &y[..], &mut in_place).unwrap();
    assert!(in_place
        .iter()
        .zip(&loss)
        .all(|(a, b)| a.bits() == b.bits()));
}

macro_rules! elementwise_tests {
    ($($name:ident: $t:ty, $targets:expr;)*) => {$(
        #[test]
        fn $name() {
            for (i, family) in FAMILIES.into_iter().enumerate() {
                elementwise::<$t>(family, $targets, 1000 + i as u64);
            }
        }
    )*};
}

elementwise_tests! {
    f32_elements_with_sign_targets: f32, Targets::Signs;
    f32_elements_with_any_targets: f32, Targets::Any;
    f64_elements_with_sign_targets: f64, Targets::Signs;
    f64_elements_with_any_targets: f64, Targets::Any;
}

/// The exact gradient `-y sigmoid(-y x) g / n` (`n` = 1 but for MEAN) as a sign and magnitude,
/// for finite `x`, `y` and `g`; also where the margin overflows the reference's `f64`: there
/// the sigmoid is 1 (margin +inf) or below `exp(-2^1000)` (margin -inf), which times any
/// finite factor rounds to 0.
fn exact_gradient<T: Elem>(x: T, y: T, g: f64, n: f64) -> (f64, Scaled) {
    let (fg, eg) = reference::split_pow2(g);
    let (sign, s) = ref_slope(x, y).unwrap_or_else(|| {
        let positive = -y.to_f64() * x.to_f64() > 0.0;
        let (fy, ey) = reference::split_pow2(y.to_f64());
        let v = if positive { Dd::from(fy) } else { Dd::ZERO };
        (-y.to_f64().signum(), Scaled { v, k: ey })
    });
    let v = s.v.mul_f(fg).div(Dd::from(n));
    (sign * g.signum(), Scaled { v, k: s.k + eg })
}

/// Checks `grad`, the gradients of `x` against `y` with the factor `g` and `reduction` (`None`:
/// `g` for every element): each within the contract of the exact product, whatever the factor. The
/// reference scales instead of overflowing, so wants beyond the format's range are exact too.
fn check_gradients<T: Elem>(x: &[T], y: &[T], g: T, reduction: Option<Reduced>, grad: &[T]) {
    let gv = g.to_f64();
    let n = if reduction == Some(Reduced::Mean) {
        x.len() as f64
    } else {
        1.0
    };
    for i in 0..x.len() {
        let (sign, want) = exact_gradient(x[i], y[i], gv, n);
        let e = ulps(grad[i], sign, want);
        assert!(
            e <= T::ELEMENT_BOUND,
            "{:?} {} {reduction:?}, g = {gv:e}, x = {:e}, y = {:e}: got {:e}, {e} ulp",
            softmargin::isa(),
            T::NAME,
            x[i].to_f64(),
            y[i].to_f64(),
            grad[i].to_f64()
        );
    }
}

/// The gradients of `x` against `y` for the factor `g`: per element (`None`), SUM or MEAN.
fn gradients<T: Elem>(x: &[T], y: &[T], g: T, reduction: Option<Reduced>) -> Vec<T> {
    let mut grad = vec![T::default(); x.len()];
    match reduction {
        None => {
            let each = vec![g; x.len()];
            backward_none(&each[..], x, y, &mut grad)
        }
        Some(r) => backward_reduced(g, x, y, r, &mut grad),
    }
    .unwrap();
    grad
}

const REDUCTIONS: [Option<Reduced>; 3] = [None, Some(Reduced::Sum), Some(Reduced::Mean)];

fn scaled_gradients<T: Elem>(seed: u64) {
    let n = 20_000;
    let (x, y) = inputs::<T>(Family::Moderate, Targets::Signs, n, seed);
    let mut rng = common::Rng::new(seed + 1);
    let g: Vec<T> = (0..n)
        .map(|_| T::from_f64(rng.uniform(-3.0, 3.0)))
        .collect();
    let mut grad = vec![T::default(); n];
    backward_none(&g[..], &x[..], &y[..], &mut grad).unwrap();
    for i in 0..n {
        let gi = g[i].to_f64();
        let (sign, want) = exact_gradient(x[i], y[i], gi, 1.0);
        let e = ulps(grad[i], sign, want);
        assert!(e <= T::ELEMENT_BOUND, "{} g = {gi}: {e} ulp", T::NAME);
    }

    let g0 = T::from_f64(0.37);
    for reduction in [Reduced::Sum, Reduced::Mean] {
        backward_reduced(g0, &x[..], &y[..], reduction, &mut grad).unwrap();
        check_gradients(&x, &y, g0, Some(reduction), &grad);
    }
}

#[test]
fn f32_gradients_scaled_by_grad_output() {
    scaled_gradients::<f32>(7);
}

#[test]
fn f64_gradients_scaled_by_grad_output() {
    scaled_gradients::<f64>(8);
}

/// Factors from the whole range of the format: the largest, huge, moderate, near 1, tiny,
/// subnormal and zero.
fn factors<T: Elem>() -> Vec<T> {
    let reference::Format {
        mantissa,
        emin,
        emax,
    } = T::FORMAT;
    let pow2 = |k| reference::ldexp(1.0, k);
    let largest = reference::largest(T::FORMAT);
    [
        largest,
        -largest / 3.0,
        pow2(emax - 3) * 1.7,
        pow2(emax - 20) * 1.375,
        pow2(emax / 2) * -1.1,
        f64::from_bits(0x402f_ec8f_6f3b_bae4), // 15.96...
        2.0,
        -37.0,
        64.0,
        1.0 + pow2(-mantissa),
        -0.37,
        pow2(emin) * 1.5,
        pow2(emin - mantissa) * 3.0,
        pow2(emin - mantissa),
        0.0,
    ]
    .map(T::from_f64)
    .to_vec()
}

/// Gradients for a `grad_output` anywhere in the range, with any targets and inputs, on every
/// path: within the contract ([`Elem::ELEMENT_BOUND`]) of the exact `slope * g` (per element, or SUM) or `slope * g / len`
/// (MEAN), finite wherever that value is (even when `slope * g` alone is beyond the largest
/// finite value), an infinity of the right sign where it overflows, and correct where it is
/// subnormal or rounds to zero (also where the gradient for a factor of 1 does).
fn gradients_for_any_factor<T: Elem>(seed: u64) {
    let n = 1000;
    for path in common::supported_paths("gradients_for_any_factor") {
        set_isa(path).unwrap();
        for (i, family) in FAMILIES.into_iter().chain([Family::FarResults]).enumerate() {
            for targets in [Targets::Signs, Targets::Any] {
                let (x, y) = inputs::<T>(family, targets, n, seed + i as u64);
                for g in factors::<T>() {
                    for reduction in REDUCTIONS {
                        let grad = gradients(&x, &y, g, reduction);
                        check_gradients(&x, &y, g, reduction, &grad);
                    }
                }
            }
        }
    }
}

#[test]
fn f32_gradients_for_any_factor() {
    gradients_for_any_factor::<f32>(9);
}

#[test]
fn f64_gradients_for_any_factor() {
    gradients_for_any_factor::<f64>(10);
}

/// Where the gradient for a factor of 1 is subnormal or zero, a factor other than 1 must not
/// multiply its rounding error: the cases found by probing, and their neighbours.
#[test]
fn f64_gradients_whose_unit_slope_is_subnormal_or_zero() {
    let mut cases = vec![
        (
            f64::from_bits(0x4086_2e66_6666_6666),
            1.0,
            f64::from_bits(0x402f_ec8f_6f3b_bae4),
        ),
        (745.0, 1.0, 1e300),
        (0.0, 4.9e-324, f64::MAX),
        (-1e-300, -1e-10, f64::MAX),
        (1500.0, 1.0, f64::MAX),
        (2.0, -f64::MAX, f64::MAX / 7.0),
    ];
    for g in 2..=64 {
        cases.push((709.9, 1.0, f64::from(g)));
        cases.push((-709.9, -1.0, f64::from(g) * 1.1));
    }
    for path in common::supported_paths("f64_gradients_whose_unit_slope_is_subnormal_or_zero") {
        set_isa(path).unwrap();
        for &(x, y, g) in &cases {
            for reduction in REDUCTIONS {
                let (x, y) = ([x; 3], [y; 3]);
                let grad = gradients(&x, &y, g, reduction);
                check_gradients(&x, &y, g, reduction, &grad);
            }
        }
    }
}

/// An infinite `grad_output`: the infinity of the exact product's sign wherever the exact
/// gradient is nonzero (also where its value for a factor of 1 underflows to 0), and NaN only
/// where it is exactly zero: a zero target, or an infinite input on the side where the limit is
/// 0.
fn infinite_factors<T: Elem>(seed: u64) {
    let n = 1000;
    let inf = T::from_f64(f64::INFINITY);
    let mut cases: Vec<(T, T)> = [(745.2, 1.0), (-745.2, -1.0), (0.0, 4.9e-324), (3.0, 0.0)]
        .map(|(x, y)| (T::from_f64(x), T::from_f64(y)))
        .to_vec();
    cases.extend([(inf, T::from_f64(2.0)), (inf, T::from_f64(-0.5))]);
    for (i, family) in FAMILIES.into_iter().chain([Family::FarResults]).enumerate() {
        let (x, y) = inputs::<T>(family, Targets::Any, n, seed + i as u64);
        cases.extend(x.into_iter().zip(y));
    }
    let (x, y): (Vec<T>, Vec<T>) = cases.into_iter().unzip();
    for path in common::supported_paths("infinite_factors") {
        set_isa(path).unwrap();
        for g in [f64::INFINITY, f64::NEG_INFINITY] {
            for reduction in REDUCTIONS {
                let grad = gradients(&x, &y, T::from_f64(g), reduction);
                for i in 0..x.len() {
                    let (xi, yi) = (x[i].to_f64(), y[i].to_f64());
                    // The margin's side: an infinite input has the limit 0 where -y x -> -inf.
                    let zero_limit = xi.is_infinite() && -yi * xi < 0.0;
                    let got = grad[i].to_f64();
                    if yi == 0.0 || zero_limit {
                        assert!(
                            got.is_nan(),
                            "{path:?} {} g = {g}, x = {xi:e}, y = {yi:e}: {got}",
                            T::NAME
                        );
                    } else {
                        let want = (-yi.signum() * g.signum()) * f64::INFINITY;
                        assert_eq!(
                            got,
                            want,
                            "{path:?} {} {reduction:?}, g = {g}, x = {xi:e}, y = {yi:e}",
                            T::NAME
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn f32_infinite_factors_give_infinities() {
    infinite_factors::<f32>(11);
}

#[test]
fn f64_infinite_factors_give_infinities() {
    infinite_factors::<f64>(12);
}

/// The reference checked against facts it does not compute from: ln 2, e, and the identities
/// softplus(m) - softplus(-m) = m and sigmoid(m) + sigmoid(-m) = 1.
#[test]
fn reference_self_check() {
    let ln2 = reference::softplus(Dd::ZERO).v;
    assert_eq!(ln2.hi, std::f64::consts::LN_2);
    assert_abs_diff_eq!(ln2.lo, 2.319_046_813_846_299_6e-17, epsilon = 1e-31);
    let e = reference::exp(Dd::ONE);
    assert_eq!(e.hi, std::f64::consts::E);
    assert_abs_diff_eq!(e.lo, 1.445_646_891_729_250_2e-16, epsilon = 1e-30);
    let mut rng = common::Rng::new(3);
    for _ in 0..2000 {
        let m = Dd::from(rng.uniform(-600.0, 600.0));
        let plus = reference::softplus(m);
        let minus = reference::softplus(m.neg());
        let scaled = |s: Scaled| s.v.scale(s.k.max(-1000));
        let d = scaled(plus).sub(scaled(minus)).sub(m);
        let epsilon = 1e-28 * m.hi.abs().max(1.0);
        assert!(
            abs_diff_eq!(d.hi, 0.0, epsilon = epsilon),
            "softplus identity at {m:?}: {d:?}"
        );
        let s = scaled(reference::sigmoid(m)).add(scaled(reference::sigmoid(m.neg())));
        assert!(
            abs_diff_eq!(s.sub(Dd::ONE).hi, 0.0, epsilon = 1e-28),
            "sigmoid identity at {m:?}"
        );
    }
    // Overflow: a value that rounds to infinity counts an infinity of its sign as exact, and
    // the largest finite value is not one; max + ulp(max) / 2 is (ties to even).
    let f64_max = Scaled::plain(Dd::from(f64::MAX));
    assert_eq!(reference::ulp_error_f64(f64::MAX, 1.0, f64_max), 0.0);
    assert_eq!(
        reference::ulp_error_f64(f64::INFINITY, 1.0, f64_max),
        f64::INFINITY
    );
    let half_past = Scaled::plain(Dd::from(f64::MAX).add(Dd::from(reference::pow2(970))));
    assert_eq!(reference::ulp_error_f64(f64::INFINITY, 1.0, half_past), 0.0);
    let huge = Scaled {
        v: Dd::from(1.5),
        k: 3000,
    };
    assert_eq!(reference::ulp_error_f64(f64::INFINITY, 1.0, huge), 0.0);
    assert_eq!(
        reference::ulp_error_f64(f64::NEG_INFINITY, 1.0, huge),
        f64::INFINITY
    );
    assert_eq!(
        reference::ulp_error_f32(f32::INFINITY, -1.0, huge),
        f64::INFINITY
    );
    assert_eq!(reference::ulp_error_f32(f32::NEG_INFINITY, -1.0, huge), 0.0);
    // The subnormal tail: log(1 + exp(-745)) is exp(-745) to 2^-1000, and exp(-745) = 2^-1074.75.
    let tail = reference::softplus(Dd::from(-745.0));
    let log2 = (tail.v.hi.log2() + f64::from(tail.k)) - (-745.0 / std::f64::consts::LN_2);
    assert_abs_diff_eq!(log2, 0.0, epsilon = 1e-12);
}
