//! Every instruction-set path this CPU supports gives bitwise the same results as the portable
//! path (every pass, the second derivative included) for f32 and f64, at lengths around the
//! vector, bundle and group widths and on special values, and each path's losses and gradients
//! are within 2 ulp of the double-double reference; an element's result is the same alone and
//! among any neighbours. (The 16-bit types' paths: `tests/half.rs`.) One test in its own
//! binary, since the path is process-wide.

mod common;

use common::{inputs, ref_loss, ref_slope, ulps, Elem, Family, Targets, FAMILIES};
use softmargin::{
    backward_none, forward_backward_none, forward_backward_reduced, gradient_hessian, isa, set_isa,
    Isa, Reduced,
};

/// Every output of the passes for `x`, `y`, `g` of one type, as bits.
fn outputs<T: Elem>(x: &[T], y: &[T], g: &[T]) -> Vec<u64> {
    let n = x.len();
    let mut bits = Vec::new();
    let mut loss = vec![T::default(); n];
    let mut grad = vec![T::default(); n];
    forward_backward_none(x, y, &mut loss, &mut grad).unwrap();
    bits.extend(loss.iter().chain(&grad).map(|v| v.bits()));
    backward_none(g, x, y, &mut grad).unwrap();
    bits.extend(grad.iter().map(|v| v.bits()));
    for reduction in [Reduced::Mean, Reduced::Sum] {
        let l = forward_backward_reduced(x, y, reduction, &mut grad).unwrap();
        bits.push(l.bits());
        bits.extend(grad.iter().map(|v| v.bits()));
    }
    let mut hessian = vec![T::default(); n];
    for reduction in [None, Some(Reduced::Mean)] {
        gradient_hessian(x, y, reduction, &mut grad, &mut hessian).unwrap();
        bits.extend(grad.iter().chain(&hessian).map(|v| v.bits()));
    }
    bits
}

/// Every output of the element-wise passes for element `i` alone, as bits.
fn alone<T: Elem>(x: T, y: T, g: T) -> [u64; 3] {
    let (mut loss, mut grad, mut scaled) = ([T::default()], [T::default()], [T::default()]);
    forward_backward_none(&[x][..], &[y][..], &mut loss, &mut grad).unwrap();
    backward_none(&[g][..], &[x][..], &[y][..], &mut scaled).unwrap();
    [loss[0].bits(), grad[0].bits(), scaled[0].bits()]
}

/// Both types' outputs for one case; the per-element factors include NaNs whose payload
/// differs from the canonical NaN that NaN inputs give.
fn both(x: &[f32], y: &[f32]) -> Vec<u64> {
    let factors = [
        0.75f32,
        f32::from_bits(0xffff_ffff),
        -2.5,
        0.75,
        f32::from_bits(0x7fc0_0001),
    ];
    let g: Vec<f32> = (0..x.len()).map(|i| factors[i % factors.len()]).collect();
    let mut bits = outputs(x, y, &g);
    let wide = |v: &[f32]| {
        v.iter()
            .map(|&a| f64::from(a) * 1.000_000_1)
            .collect::<Vec<f64>>()
    };
    bits.extend(outputs(&wide(x), &wide(y), &wide(&g)));
    bits
}

fn special_inputs() -> (Vec<f32>, Vec<f32>) {
    let inf = f32::INFINITY;
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        -100.0,
        100.0,
        -104.0,
        -87.5,
        200.0,
        -201.0,
        inf,
        -inf,
        f32::NAN,
        f32::MAX,
        -f32::MAX,
        f32::MIN_POSITIVE,
        1e-45,
        -1e-45,
        3.0e38,
        0.5,
    ];
    let targets = [
        1.0,
        -1.0,
        0.0,
        0.5,
        -3.0,
        inf,
        -inf,
        f32::NAN,
        1e-30,
        f32::MAX,
    ];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for &a in &specials {
        for &b in &targets {
            x.push(a);
            y.push(b);
        }
    }
    (x, y)
}

#[test]
fn every_path_agrees_with_the_portable_one_and_is_within_two_ulp() {
    agree_with_portable();
    within_two_ulp();
    each_element_on_its_own();
}

fn agree_with_portable() {
    let paths = common::supported_paths("agree_with_portable");
    println!("default path: {:?}", isa());
    let mut cases = Vec::new();
    for n in (0..=40).chain([255, 256, 257, 4095, 4096, 4097, 70_001]) {
        let (x, y) = inputs::<f32>(Family::Moderate, Targets::Any, n, n as u64);
        cases.push((x, y));
    }
    for (i, family) in FAMILIES.into_iter().enumerate() {
        cases.push(inputs::<f32>(family, Targets::Signs, 5_000, 90 + i as u64));
    }
    cases.push(special_inputs());

    set_isa(Isa::Portable).unwrap();
    let expected: Vec<Vec<u64>> = cases.iter().map(|(x, y)| both(x, y)).collect();
    for &path in &paths {
        set_isa(path).unwrap();
        assert_eq!(isa(), path);
        for ((x, y), want) in cases.iter().zip(&expected) {
            let got = both(x, y);
            let first = got.iter().zip(want).position(|(a, b)| a != b);
            assert_eq!(first, None, "{path:?}, n = {}", x.len());
        }
    }
}

fn within_two_ulp() {
    for path in Isa::ALL.into_iter().filter(|p| p.is_supported()) {
        set_isa(path).unwrap();
        for (i, family) in FAMILIES.into_iter().enumerate() {
            for targets in [Targets::Signs, Targets::Any] {
                let (x, y) = inputs::<f32>(family, targets, 20_000, 300 + i as u64);
                let mut loss = vec![0.0f32; x.len()];
                let mut grad = vec![0.0f32; x.len()];
                forward_backward_none(&x[..], &y[..], &mut loss, &mut grad).unwrap();
                for j in 0..x.len() {
                    let (Some(rl), Some((sign, rs))) =
                        (ref_loss(x[j], y[j]), ref_slope(x[j], y[j]))
                    else {
                        continue;
                    };
                    let (el, es) = (ulps(loss[j], 1.0, rl), ulps(grad[j], sign, rs));
                    assert!(
                        el <= 2.0 && es <= 2.0,
                        "{path:?} {family:?}: x = {:e}, y = {:e}: {el} / {es} ulp",
                        x[j],
                        y[j]
                    );
                }
            }
        }
    }
}

/// The element loop computes whole groups of lanes and redoes the rare lanes its fast kernel
/// leaves open with the exact kernel: an element's result must not depend on its neighbours,
/// its position in a vector, or which of them were redone.
fn each_element_on_its_own() {
    let (sx, sy) = special_inputs();
    let (mx, my) = inputs::<f32>(Family::Moderate, Targets::Any, sx.len() * 3, 7);
    let factors = [
        1.0f32,
        0.5,
        0.0,
        -0.0,
        1e-40,
        3e38,
        f32::INFINITY,
        f32::NAN,
        -2.0,
    ];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..sx.len() {
        // Special elements at every position within the vectors, among ordinary ones.
        x.extend(
            [mx[3 * i], sx[i], mx[3 * i + 1], mx[3 * i + 2]]
                .iter()
                .cycle()
                .skip(i % 4)
                .take(4),
        );
        y.extend(
            [my[3 * i], sy[i], my[3 * i + 1], my[3 * i + 2]]
                .iter()
                .cycle()
                .skip(i % 4)
                .take(4),
        );
    }
    let g: Vec<f32> = (0..x.len()).map(|i| factors[i % factors.len()]).collect();
    let wide = |v: &[f32]| v.iter().map(|&a| f64::from(a)).collect::<Vec<f64>>();
    for path in Isa::ALL.into_iter().filter(|p| p.is_supported()) {
        set_isa(path).unwrap();
        on_its_own(path, &x, &y, &g);
        on_its_own(path, &wide(&x), &wide(&y), &wide(&g));
    }
}

fn on_its_own<T: Elem>(path: Isa, x: &[T], y: &[T], g: &[T]) {
    let n = x.len();
    let (mut loss, mut grad, mut scaled) = (
        vec![T::default(); n],
        vec![T::default(); n],
        vec![T::default(); n],
    );
    forward_backward_none(x, y, &mut loss, &mut grad).unwrap();
    backward_none(g, x, y, &mut scaled).unwrap();
    for i in 0..n {
        let together = [loss[i].bits(), grad[i].bits(), scaled[i].bits()];
        assert_eq!(
            together,
            alone(x[i], y[i], g[i]),
            "{path:?} {}: element {i}: x = {:?}, y = {:?}, g = {:?}",
            T::NAME,
            x[i],
            y[i],
            g[i]
        );
    }
}
