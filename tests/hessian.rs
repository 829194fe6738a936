//! softmargin_gradient_hessian: both derivatives against the independent double-double
//! reference (the second as the product of the reference's two slopes, at m and at -m), for
//! every input family, both kinds of target, all three reductions and margins of +-1000; the
//! same bits for any thread count; the C entry points' rules.

mod common;

use approx::assert_relative_eq;
use common::reference::{self, Dd, Scaled};
use common::{inputs, ulps, Elem, Family, Targets};
use softmargin::ffi::*;
use softmargin::{gradient_hessian, Bf16, Reduced, F16};

const FAMILIES: [Family; 5] = [
    Family::Moderate,
    Family::AnyFinite,
    Family::SubnormalResults,
    Family::NearZero,
    Family::FarResults,
];

/// The reference second derivative `c y^2 s(m) s(-m)`, as a magnitude.
fn ref_hessian(x: f64, y: f64, c: Dd) -> Option<Scaled> {
    let (_, a) = reference::slope(x, y)?;
    let (_, b) = reference::slope(-x, y)?;
    if a.v.hi == 0.0 || b.v.hi == 0.0 {
        return Some(Scaled::plain(Dd::ZERO));
    }
    Some(Scaled {
        v: a.v.mul(b.v).mul(c),
        k: a.k + b.k,
    })
}

/// The largest errors, in ulps, of the gradient and the second derivative over `x`, `y`.
fn worst<T: Elem>(x: &[T], y: &[T], reduction: Option<Reduced>) -> (f64, f64) {
    let n = x.len();
    let mut grad = vec![T::default(); n];
    let mut hess = vec![T::default(); n];
    gradient_hessian(x, y, reduction, &mut grad, &mut hess).unwrap();
    let c = match reduction {
        Some(Reduced::Mean) => Dd::ONE.div(Dd::from(n as f64)),
        _ => Dd::ONE,
    };
    let (mut wg, mut wh) = (0.0f64, 0.0f64);
    for i in 0..n {
        let (xd, yd) = (x[i].to_f64(), y[i].to_f64());
        let Some((sign, g)) = reference::slope(xd, yd) else {
            continue;
        };
        let g = Scaled {
            v: g.v.mul(c),
            k: g.k,
        };
        let h = ref_hessian(xd, yd, c).unwrap();
        let (eg, eh) = (ulps(grad[i], sign, g), ulps(hess[i], 1.0, h));
        // Every result is within 1 ulp (nearly all correctly rounded).
        let bound = 1.0;
        assert!(
            eg <= bound && eh <= bound,
            "{} at x = {xd:e}, y = {yd:e}, {reduction:?}: gradient {:e} ({eg} ulp), second \
             derivative {:e} ({eh} ulp)",
            T::NAME,
            grad[i].to_f64(),
            hess[i].to_f64()
        );
        assert!(hess[i].to_f64() >= 0.0 && !hess[i].to_f64().is_nan());
        (wg, wh) = (wg.max(eg), wh.max(eh));
    }
    (wg, wh)
}

fn against_the_reference<T: Elem>() {
    for family in FAMILIES {
        for targets in [Targets::Signs, Targets::Any] {
            let (x, y) = inputs::<T>(family, targets, 20_000, 11);
            for reduction in [None, Some(Reduced::Sum), Some(Reduced::Mean)] {
                let (g, h) = worst(&x, &y, reduction);
                println!(
                    "{} {family:?} {targets:?} {reduction:?}: gradient {g:.3} ulp, second \
                     derivative {h:.3} ulp",
                    T::NAME
                );
            }
        }
    }
}

#[test]
fn f32_against_the_reference() {
    against_the_reference::<f32>();
}

#[test]
fn f64_against_the_reference() {
    against_the_reference::<f64>();
}

#[test]
fn f16_against_the_reference() {
    against_the_reference::<F16>();
}

#[test]
fn bf16_against_the_reference() {
    against_the_reference::<Bf16>();
}

/// The half types' two derivatives for a factor of 1 are correctly rounded: every finite input
/// with targets +1 and -1 (NONE), and random pairs with any target (SUM).
fn halves_correctly_rounded<T: Elem>() {
    let x: Vec<T> = (0..1u64 << 16)
        .map(T::from_bits)
        .filter(|v| v.to_f64().is_finite())
        .collect();
    let mut pairs: Vec<(Vec<T>, Vec<T>, Option<Reduced>)> = [1.0, -1.0]
        .iter()
        .map(|&t| (x.clone(), vec![T::from_f64(t); x.len()], None))
        .collect();
    let (xa, ya) = inputs::<T>(Family::AnyFinite, Targets::Any, 50_000, 3);
    pairs.push((xa, ya, Some(Reduced::Sum)));
    let mut checked = 0usize;
    for (x, y, reduction) in pairs {
        let n = x.len();
        let (mut grad, mut hess) = (vec![T::default(); n], vec![T::default(); n]);
        gradient_hessian(&x, &y, reduction, &mut grad, &mut hess).unwrap();
        for i in 0..n {
            let (xd, yd) = (x[i].to_f64(), y[i].to_f64());
            let Some((sign, g)) = reference::slope(xd, yd) else {
                continue;
            };
            let h = ref_hessian(xd, yd, Dd::ONE).unwrap();
            let (eg, eh) = (ulps(grad[i], sign, g), ulps(hess[i], 1.0, h));
            // Near m = 0 the exact values are -y (1/2 + m/4 - ...) and y^2 (1/4 - m^2/16 + ...):
            // where -y/2 or y^2/4 is a midpoint of the format, the reference (to about
            // 2^-100) holds the exact value on it, an error of exactly 1/2; the exact value is
            // then beyond it in magnitude for the gradient when m > 0, short of it when m < 0,
            // and short of it for the second derivative; m = 0 is a true tie (to even).
            let m = -yd * xd;
            let settled = |err: f64, got: T, sign: f64, want: Scaled, beyond: bool| {
                if err != 0.5 {
                    return err < 0.5;
                }
                if m == 0.0 {
                    return got.bits() & 1 == 0;
                }
                let above = reference::ldexp(got.to_f64() * sign, -want.k) > want.v.hi;
                above == beyond
            };
            assert!(
                settled(eg, grad[i], sign, g, m > 0.0) && settled(eh, hess[i], 1.0, h, false),
                "{} at x = {xd:e}, y = {yd:e}: gradient {:e} ({eg} ulp), second derivative                  {:e} ({eh} ulp)",
                T::NAME,
                grad[i].to_f64(),
                hess[i].to_f64()
            );
            checked += 1;
        }
    }
    assert!(checked > 150_000, "{checked}");
}

#[test]
fn f16_correctly_rounded() {
    halves_correctly_rounded::<F16>();
}

#[test]
fn bf16_correctly_rounded() {
    halves_correctly_rounded::<Bf16>();
}

/// Margins of +-1000 and the tiny second derivatives short of underflow: the small numbers they
/// are, and 0 only where the exact value underflows.
#[test]
fn large_margins() {
    fn check<T: Elem>(margins: &[f64]) {
        let x: Vec<T> = margins.iter().map(|&m| T::from_f64(-m)).collect();
        let y = vec![T::from_f64(1.0); x.len()];
        worst(&x, &y, None);
        let mut grad = vec![T::default(); x.len()];
        let mut hess = vec![T::default(); x.len()];
        gradient_hessian(&x, &y, None, &mut grad, &mut hess).unwrap();
        for (i, &m) in margins.iter().enumerate() {
            println!(
                "{} m = {m}: gradient {:e}, second derivative {:e}",
                T::NAME,
                grad[i].to_f64(),
                hess[i].to_f64()
            );
        }
    }
    check::<f32>(&[1000.0, -1000.0, 100.0, -100.0, 80.0, -80.0, 0.0]);
    check::<f64>(&[1000.0, -1000.0, 740.0, -740.0, 700.0, -700.0, 0.0]);
    let mut g = [0.0f64; 2];
    let mut h = [0.0f64; 2];
    gradient_hessian(&[-700.0, 700.0], &[1.0, 1.0], None, &mut g, &mut h).unwrap();
    assert!(h[0] > 0.0 && h[1] > 0.0 && h[0] == h[1], "{h:?}");
    // m = 700: the gradient rounds to -1; m = -700: it is -exp(-700), the second derivative's
    // size too.
    assert_eq!(g[0], -1.0);
    assert_relative_eq!(-g[1], h[1], max_relative = 1e-16);
}

#[test]
fn the_same_bits_for_any_thread_count() {
    let (x, y) = inputs::<f32>(Family::Moderate, Targets::Any, 300_000, 5);
    let mut first = None;
    for threads in [1, 2, 3] {
        softmargin::set_num_threads(threads).unwrap();
        let mut g = vec![0.0f32; x.len()];
        let mut h = vec![0.0f32; x.len()];
        gradient_hessian(&x, &y, Some(Reduced::Mean), &mut g, &mut h).unwrap();
        let bits: Vec<(u32, u32)> = g
            .iter()
            .zip(&h)
            .map(|(a, b)| (a.to_bits(), b.to_bits()))
            .collect();
        match &first {
            None => first = Some(bits),
            Some(f) => assert!(*f == bits, "{threads} threads differ"),
        }
    }
    softmargin::set_num_threads(0).unwrap();
}

#[test]
fn the_c_entry_points_refuse_bad_arguments_without_writing() {
    let x = [0.5f32, -2.0, 3.0, 0.0];
    let y = [1.0f32, -1.0, 1.0, 1.0];
    let mut g = [7.0f32; 5];
    let mut h = [7.0f32; 5];
    unsafe {
        let none = SOFTMARGIN_REDUCTION_NONE;
        assert_eq!(
            softmargin_gradient_hessian_f32(
                x.as_ptr(),
                y.as_ptr(),
                4,
                9,
                g.as_mut_ptr(),
                h.as_mut_ptr()
            ),
            SOFTMARGIN_STATUS_INVALID_REDUCTION
        );
        assert_eq!(
            softmargin_gradient_hessian_f32(
                x.as_ptr(),
                std::ptr::null(),
                4,
                none,
                g.as_mut_ptr(),
                h.as_mut_ptr()
            ),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        let odd = g.as_mut_ptr().cast::<u8>().add(1).cast::<f32>();
        assert_eq!(
            softmargin_gradient_hessian_f32(x.as_ptr(), y.as_ptr(), 4, none, odd, h.as_mut_ptr()),
            SOFTMARGIN_STATUS_MISALIGNED
        );
        assert_eq!(
            softmargin_gradient_hessian_f32(
                x.as_ptr(),
                y.as_ptr(),
                4,
                none,
                g.as_mut_ptr(),
                g.as_mut_ptr().add(1)
            ),
            SOFTMARGIN_STATUS_OVERLAP
        );
        let mut xs = x;
        assert_eq!(
            softmargin_gradient_hessian_f32(
                xs.as_ptr(),
                y.as_ptr(),
                4,
                none,
                xs.as_mut_ptr(),
                h.as_mut_ptr()
            ),
            SOFTMARGIN_STATUS_OVERLAP
        );
        assert!(g.iter().chain(&h).all(|&v| v == 7.0) && xs == x);
        // A good call: MEAN divides both by len; the f64 entry gives the same values widened.
        assert_eq!(
            softmargin_gradient_hessian_f32(
                x.as_ptr(),
                y.as_ptr(),
                4,
                SOFTMARGIN_REDUCTION_MEAN,
                g.as_mut_ptr(),
                h.as_mut_ptr()
            ),
            SOFTMARGIN_STATUS_OK
        );
        assert_eq!((g[3], h[3]), (-0.125, 0.0625));
        let xd = x.map(f64::from);
        let yd = y.map(f64::from);
        let (mut gd, mut hd) = ([0.0f64; 4], [0.0f64; 4]);
        assert_eq!(
            softmargin_gradient_hessian_f64(
                xd.as_ptr(),
                yd.as_ptr(),
                4,
                SOFTMARGIN_REDUCTION_SUM,
                gd.as_mut_ptr(),
                hd.as_mut_ptr()
            ),
            SOFTMARGIN_STATUS_OK
        );
        assert_eq!((gd[3], hd[3]), (-0.5, 0.25));
        assert_eq!(g[4], 7.0);
    }
}
