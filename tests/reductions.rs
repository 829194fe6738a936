//! MEAN and SUM against the double-double sum of the reference losses, at sizes around the
//! chunk, block and parallel boundaries and into the millions; the fused pass against the
//! separate ones.

mod common;

use common::reference::{Dd, Scaled};
use common::{inputs, ref_loss, ref_sum, ulps, Elem, Family, Targets};
use softmargin::{backward_reduced, forward_backward_reduced, forward_reduced, Reduced};

/// The contract: within 2 ulp of the exact sum (or mean).
const BOUND: f64 = 2.0;

const SIZES: [usize; 16] = [
    1, 2, 255, 256, 257, 4095, 4096, 4097, 8193, 32767, 32768, 32769, 65536, 100_003, 262_145,
    1_048_577,
];

fn check_reductions<T: Elem>(family: Family, targets: Targets, n: usize, seed: u64) {
    let (x, y) = inputs::<T>(family, targets, n, seed);
    if x.iter().zip(&y).any(|(&a, &b)| ref_loss(a, b).is_none()) {
        return; // a margin overflows: covered by the special-value tests
    }
    let exact = ref_sum(&x, &y);
    let sum = forward_reduced(&x, &y, Reduced::Sum).unwrap();
    let mean = forward_reduced(&x, &y, Reduced::Mean).unwrap();
    if !exact.hi.is_finite() {
        // Only f64 data gets here: a sum beyond the f64 range. The sum is +inf, the mean is not.
        assert_eq!(sum.to_f64(), f64::INFINITY);
        let e_mean = ulps(mean, 1.0, Scaled::plain(ref_mean(&x, &y)));
        assert!(e_mean <= BOUND, "{} n = {n}: mean {e_mean} ulp", T::NAME);
        return;
    }
    let e_sum = ulps(sum, 1.0, Scaled::plain(exact));
    let e_mean = ulps(mean, 1.0, Scaled::plain(exact.div(Dd::from(n as f64))));
    assert!(
        e_sum <= BOUND && e_mean <= BOUND,
        "{} {family:?} {targets:?} n = {n}: sum {e_sum} ulp, mean {e_mean} ulp",
        T::NAME
    );

    // The fused pass: the same reduced loss, and the gradient backward_reduced gives for g = 1.
    for reduction in [Reduced::Mean, Reduced::Sum] {
        let mut fused = vec![T::default(); n];
        let loss = forward_backward_reduced(&x[..], &y[..], reduction, &mut fused).unwrap();
        let alone = forward_reduced(&x, &y, reduction).unwrap();
        assert_eq!(
            loss.bits(),
            alone.bits(),
            "{} {reduction:?} n = {n}",
            T::NAME
        );
        let mut grad = vec![T::default(); n];
        backward_reduced(T::from_f64(1.0), &x[..], &y[..], reduction, &mut grad).unwrap();
        assert!(fused.iter().zip(&grad).all(|(a, b)| a.bits() == b.bits()));
    }
}

fn all_sizes<T: Elem>() {
    for (i, &n) in SIZES.iter().enumerate() {
        let seed = 50 + i as u64;
        check_reductions::<T>(Family::Moderate, Targets::Signs, n, seed);
        if n <= 100_003 {
            check_reductions::<T>(Family::Moderate, Targets::Any, n, seed);
            check_reductions::<T>(Family::AnyFinite, Targets::Signs, n, seed);
            check_reductions::<T>(Family::NearZero, Targets::Signs, n, seed);
            check_reductions::<T>(Family::SubnormalResults, Targets::Signs, n, seed);
        }
    }
}

#[test]
fn f32_mean_and_sum_at_every_size() {
    all_sizes::<f32>();
}

#[test]
fn f64_mean_and_sum_at_every_size() {
    all_sizes::<f64>();
}

/// Millions of copies of one value: any bias of the per-element loss or the accumulation
/// would add up instead of averaging out.
fn identical_elements<T: Elem>() {
    let n = 3_000_017;
    for xv in [0.3, -2.5, 17.0, -40.0] {
        let x = vec![T::from_f64(xv); n];
        let y = vec![T::from_f64(1.0); n];
        let one = ref_loss(x[0], y[0]).unwrap().v;
        let exact = one.mul_f(n as f64);
        let sum = forward_reduced(&x, &y, Reduced::Sum).unwrap();
        let mean = forward_reduced(&x, &y, Reduced::Mean).unwrap();
        let e_sum = ulps(sum, 1.0, Scaled::plain(exact));
        let e_mean = ulps(mean, 1.0, Scaled::plain(one));
        assert!(
            e_sum <= BOUND && e_mean <= BOUND,
            "{} x = {xv}: sum {e_sum} ulp, mean {e_mean} ulp",
            T::NAME
        );
        println!(
            "{} {n} x {xv}: sum {e_sum:.3} ulp, mean {e_mean:.3} ulp",
            T::NAME
        );
    }
}

#[test]
fn f32_sum_of_millions_of_identical_elements() {
    identical_elements::<f32>();
}

#[test]
fn f64_sum_of_millions_of_identical_elements() {
    identical_elements::<f64>();
}

#[test]
fn empty_mean_is_nan_and_empty_sum_is_zero() {
    let none: [f32; 0] = [];
    assert!(forward_reduced(&none, &none, Reduced::Mean)
        .unwrap()
        .is_nan());
    assert_eq!(
        forward_reduced(&none, &none, Reduced::Sum)
            .unwrap()
            .to_bits(),
        0
    );
    let none: [f64; 0] = [];
    assert!(forward_reduced(&none, &none, Reduced::Mean)
        .unwrap()
        .is_nan());
    assert_eq!(
        forward_reduced(&none, &none, Reduced::Sum)
            .unwrap()
            .to_bits(),
        0
    );
    let mut grad: [f64; 0] = [];
    let loss = forward_backward_reduced(&none[..], &none[..], Reduced::Mean, &mut grad);
    assert!(loss.unwrap().is_nan());
}

/// The reference mean of the losses of finite elements: the double-double sum of each loss
/// divided by the count first, which no loss of a finite element can overflow.
fn ref_mean<T: Elem>(x: &[T], y: &[T]) -> Dd {
    let n = Dd::from(x.len() as f64);
    x.iter().zip(y).fold(Dd::ZERO, |acc, (&xi, &yi)| {
        let l = ref_loss(xi, yi).expect("finite margin");
        // Losses scaled below the normal range are far below what a mean can resolve here.
        let l = if l.k == 0 { l.v } else { Dd::ZERO };
        acc.add(l.div(n))
    })
}

/// A MEAN whose sum of losses exceeds the largest finite value is still the finite mean, and
/// the SUM an infinity, whatever else the buffer holds, on both passes that reduce: huge
/// losses (margins near the largest finite values) among ordinary ones, in one block and across
/// blocks and threads.
fn huge_losses<T: Elem>(n: usize, huge_every: usize, seed: u64) {
    let (mut x, mut y) = inputs::<T>(Family::Moderate, Targets::Signs, n, seed);
    let mut rng = common::Rng::new(seed + 1);
    let big = common::reference::largest(T::FORMAT);
    for i in (0..n).step_by(huge_every) {
        y[i] = T::from_f64(1.0);
        x[i] = T::from_f64(-big * rng.uniform(0.5, 1.0));
    }
    let mean_ref = ref_mean(&x, &y);
    let mean = forward_reduced(&x, &y, Reduced::Mean).unwrap();
    let e = ulps(mean, 1.0, Scaled::plain(mean_ref));
    assert!(
        e <= BOUND,
        "{} MEAN of {n}: {:e}, {e} ulp",
        T::NAME,
        mean.to_f64()
    );
    let mut grad = vec![T::default(); n];
    let fused = forward_backward_reduced(&x[..], &y[..], Reduced::Mean, &mut grad);
    assert_eq!(fused.unwrap().to_f64().to_bits(), mean.to_f64().to_bits());
    let sum = forward_reduced(&x, &y, Reduced::Sum).unwrap().to_f64();
    let sum_ref = mean_ref.hi * n as f64;
    if sum_ref.is_infinite() {
        assert_eq!(sum, f64::INFINITY, "{} SUM of {n}", T::NAME);
    }
}

#[test]
fn f64_mean_of_losses_whose_sum_overflows() {
    for (n, every) in [(2, 1), (17, 3), (5000, 7), (70_001, 1001), (300_000, 2)] {
        huge_losses::<f64>(n, every, n as u64);
    }
}

#[test]
fn f32_mean_of_losses_whose_sum_exceeds_the_float_range() {
    for (n, every) in [(2, 1), (17, 3), (70_001, 1001)] {
        huge_losses::<f32>(n, every, n as u64);
    }
}

/// A MEAN is finite wherever it is, also when single losses exceed the largest `f64` (their
/// margins `-y x` overflow, and each loss is its margin): one or a few such elements among
/// ordinary ones, in one block and across blocks and threads; the SUM is +inf.
#[test]
fn f64_mean_of_losses_beyond_the_largest_double() {
    let pow2 = common::reference::pow2;
    for (n, huge) in [
        (100, vec![37]),
        (101, vec![0, 100]),
        (70_001, vec![5, 40_000, 69_999]),
    ] {
        let (mut x, mut y) = inputs::<f64>(Family::Moderate, Targets::Signs, n, n as u64);
        for &i in &huge {
            let share = 1e10 / huge.len() as f64;
            (x[i], y[i]) = (-1e300, share * (1.0 + i as f64 / n as f64));
        }
        // The reference: every loss divided by n, the huge ones at a scale of 2^-128.
        let nd = Dd::from(n as f64);
        let mut scaled = Dd::ZERO;
        for i in 0..n {
            let term = if huge.contains(&i) {
                common::reference::margin(x[i], y[i] * pow2(-128))
            } else {
                let l = ref_loss(x[i], y[i]).expect("finite margin");
                let l = if l.k == 0 { l.v } else { Dd::ZERO };
                l.scale(-128)
            };
            scaled = scaled.add(term.div(nd));
        }
        let want = scaled.scale(128);
        assert!(want.hi.is_finite());
        let mean = forward_reduced(&x, &y, Reduced::Mean).unwrap();
        let e = ulps(mean, 1.0, Scaled::plain(want));
        assert!(
            e <= BOUND,
            "MEAN of {n}: {mean:e} for {:e}, {e} ulp",
            want.hi
        );
        let mut grad = vec![0.0; n];
        let fused = forward_backward_reduced(&x[..], &y[..], Reduced::Mean, &mut grad);
        assert_eq!(fused.unwrap().to_bits(), mean.to_bits());
        let sum = forward_reduced(&x, &y, Reduced::Sum).unwrap();
        assert_eq!(sum, f64::INFINITY, "SUM of {n}");
    }
}
