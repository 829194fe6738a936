//! Every element's loss and gradient against the double-double reference, both precisions,
//! over moderate, extreme, subnormal-result and near-zero inputs, with +/-1 and arbitrary
//! targets.

mod common;

use common::reference::{self, Dd, Scaled};
use common::{inputs, ref_loss, ref_slope, ulps, Elem, Family, Targets, FAMILIES};
use softmargin::{
    backward_none, backward_reduced, forward_backward_none, forward_none, Operand, Reduced,
};

/// The contract: every element within 2 ulp of the correctly rounded value.
const BOUND: f64 = 2.0;

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
    forward_none(x[..].into(), y[..].into(), &mut loss).unwrap();
    let ones: Vec<T> = std::iter::repeat_n(T::from_f64(1.0), N).collect();
    let mut grad = vec![T::default(); N];
    backward_none(ones[..].into(), x[..].into(), y[..].into(), &mut grad).unwrap();

    let (mut worst_loss, mut worst_slope) = (0.0f64, 0.0f64);
    for i in 0..N {
        let (el, es) = check_element(x[i], y[i], loss[i], grad[i]);
        assert!(
            el <= BOUND && es <= BOUND,
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
    forward_backward_none(x[..].into(), y[..].into(), &mut fused_loss, &mut fused_grad).unwrap();
    assert!(fused_loss
        .iter()
        .zip(&loss)
        .all(|(a, b)| a.bits() == b.bits()));
    assert!(fused_grad
        .iter()
        .zip(&grad)
        .all(|(a, b)| a.bits() == b.bits()));
    let mut in_place = x.clone();
    forward_none(Operand::Loss, y[..].into(), &mut in_place).unwrap();
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

/// One rounding per extra factor: `* g` for a general `grad_output`, `/ len` for MEAN. For `f32`
/// all factors are applied in double precision and rounded once.
fn extra_bound<T: Elem>(factors: u32) -> f64 {
    if T::NAME == "f32" {
        BOUND
    } else {
        BOUND + 0.5 * f64::from(factors)
    }
}

fn scaled_gradients<T: Elem>(seed: u64) {
    let n = 20_000;
    let (x, y) = inputs::<T>(Family::Moderate, Targets::Signs, n, seed);
    let mut rng = common::Rng::new(seed + 1);
    let g: Vec<T> = (0..n)
        .map(|_| T::from_f64(rng.uniform(-3.0, 3.0)))
        .collect();
    let mut grad = vec![T::default(); n];
    backward_none(g[..].into(), x[..].into(), y[..].into(), &mut grad).unwrap();
    for i in 0..n {
        let (sign, s) = ref_slope(x[i], y[i]).unwrap();
        let gi = g[i].to_f64();
        let want = Scaled {
            v: s.v.mul_f(gi.abs()),
            k: s.k,
        };
        let e = ulps(grad[i], sign * gi.signum(), want);
        assert!(e <= extra_bound::<T>(1), "{} g = {gi}: {e} ulp", T::NAME);
    }

    let g0 = T::from_f64(0.37);
    for reduction in [Reduced::Sum, Reduced::Mean] {
        backward_reduced(g0, x[..].into(), y[..].into(), reduction, &mut grad).unwrap();
        check_gradients(&x, &y, g0, Some(reduction), &grad);
    }
}

/// Checks `grad`, the gradients of `x` against `y` with the factor `g` and `reduction` (`None`:
/// `g` for every element), against the reference: one rounding more for `g`, one more for
/// MEAN's division. The reference scales instead of overflowing, so wants beyond the format's
/// range are exact too.
fn check_gradients<T: Elem>(x: &[T], y: &[T], g: T, reduction: Option<Reduced>, grad: &[T]) {
    let gv = g.to_f64();
    let (f, eg) = reference::split_pow2(gv);
    let mean = reduction == Some(Reduced::Mean);
    for i in 0..x.len() {
        let (sign, s) = ref_slope(x[i], y[i]).unwrap();
        let mut v = s.v.mul_f(f);
        if mean {
            v = v.div(Dd::from(x.len() as f64));
        }
        let want = Scaled { v, k: s.k + eg };
        let e = ulps(grad[i], sign * gv.signum(), want);
        assert!(
            e <= extra_bound::<T>(1 + u32::from(mean)),
            "{} {reduction:?}, g = {gv:e}, x = {:e}, y = {:e}: got {:e}, {e} ulp",
            T::NAME,
            x[i].to_f64(),
            y[i].to_f64(),
            grad[i].to_f64()
        );
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

/// Gradients for a `grad_output` anywhere in the range, with arbitrary targets: the result is
/// `slope * g` (per element, or SUM) or `slope * g / len` (MEAN), finite wherever that value is,
/// even when `slope * g` alone is beyond the largest finite value (targets far from 1 with a
/// huge `g`), an infinity of the right sign where it overflows, and correct where it is
/// subnormal.
fn gradients_at_the_limits_of_grad_output<T: Elem>(seed: u64) {
    let n = 3000;
    let (x, y) = inputs::<T>(Family::Moderate, Targets::Any, n, seed);
    let reference::Format {
        mantissa,
        emin,
        emax,
    } = T::FORMAT;
    let pow2 = |k| reference::ldexp(1.0, k);
    let largest = reference::largest(T::FORMAT);
    let factors = [
        largest,
        -largest / 3.0,
        pow2(emax - 20) * 1.375,
        pow2(emax / 2) * -1.1,
        1.0 + pow2(-mantissa),
        pow2(emin) * 1.5,
        pow2(emin - mantissa) * 3.0,
    ];
    let mut grad = vec![T::default(); n];
    for g in factors.map(T::from_f64) {
        let each = vec![g; n];
        for reduction in [None, Some(Reduced::Sum), Some(Reduced::Mean)] {
            match reduction {
                None => backward_none(each[..].into(), x[..].into(), y[..].into(), &mut grad),
                Some(r) => backward_reduced(g, x[..].into(), y[..].into(), r, &mut grad),
            }
            .unwrap();
            check_gradients(&x, &y, g, reduction, &grad);
        }
    }
}

#[test]
fn f32_gradients_at_the_limits_of_grad_output() {
    gradients_at_the_limits_of_grad_output::<f32>(9);
}

#[test]
fn f64_gradients_at_the_limits_of_grad_output() {
    gradients_at_the_limits_of_grad_output::<f64>(10);
}

/// The reference checked against facts it does not compute from: ln 2, e, and the identities
/// softplus(m) - softplus(-m) = m and sigmoid(m) + sigmoid(-m) = 1.
#[test]
fn reference_self_check() {
    let ln2 = reference::softplus(Dd::ZERO).v;
    assert_eq!(ln2.hi, std::f64::consts::LN_2);
    assert!((ln2.lo - 2.319_046_813_846_299_6e-17).abs() < 1e-31);
    let e = reference::exp(Dd::ONE);
    assert_eq!(e.hi, std::f64::consts::E);
    assert!((e.lo - 1.445_646_891_729_250_2e-16).abs() < 1e-30);
    let mut rng = common::Rng::new(3);
    for _ in 0..2000 {
        let m = Dd::from(rng.uniform(-600.0, 600.0));
        let plus = reference::softplus(m);
        let minus = reference::softplus(m.neg());
        let scaled = |s: Scaled| s.v.scale(s.k.max(-1000));
        let d = scaled(plus).sub(scaled(minus)).sub(m);
        assert!(
            d.hi.abs() <= 1e-28 * m.hi.abs().max(1.0),
            "softplus identity at {m:?}: {d:?}"
        );
        let s = scaled(reference::sigmoid(m)).add(scaled(reference::sigmoid(m.neg())));
        assert!(
            (s.sub(Dd::ONE)).hi.abs() < 1e-28,
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
    assert!(log2.abs() < 1e-12);
}
