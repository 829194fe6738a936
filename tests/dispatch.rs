//! Every instruction-set path this CPU supports gives bitwise the same results as the portable
//! path, at lengths around the vector, bundle and chunk widths, on special values, and within
//! 2 ulp of the double-double reference. One test in its own binary, since the path is
//! process-wide.

mod common;

use common::{inputs, ref_loss, ref_slope, ulps, Family, Targets, FAMILIES};
use softmargin::{
    backward_none, forward_backward_none, forward_backward_reduced, isa, set_isa, Isa, Reduced,
};

/// Every f32 output of the passes for `x`, `y`, `g`, as bits.
fn outputs(x: &[f32], y: &[f32], g: &[f32]) -> Vec<u32> {
    let n = x.len();
    let mut bits = Vec::new();
    let mut loss = vec![0.0f32; n];
    let mut grad = vec![0.0f32; n];
    forward_backward_none(x.into(), y.into(), &mut loss, &mut grad).unwrap();
    bits.extend(loss.iter().chain(&grad).map(|v| v.to_bits()));
    backward_none(g.into(), x.into(), y.into(), &mut grad).unwrap();
    bits.extend(grad.iter().map(|v| v.to_bits()));
    for reduction in [Reduced::Mean, Reduced::Sum] {
        let l = forward_backward_reduced(x.into(), y.into(), reduction, &mut grad).unwrap();
        bits.push(l.to_bits());
        bits.extend(grad.iter().map(|v| v.to_bits()));
    }
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
}

fn agree_with_portable() {
    let paths: Vec<Isa> = Isa::ALL.into_iter().filter(|p| p.is_supported()).collect();
    println!("paths on this CPU: {paths:?} (default {:?})", isa());
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
    let expected: Vec<Vec<u32>> = cases
        .iter()
        .map(|(x, y)| outputs(x, y, &vec![0.75; x.len()]))
        .collect();
    for &path in &paths {
        set_isa(path).unwrap();
        assert_eq!(isa(), path);
        for ((x, y), want) in cases.iter().zip(&expected) {
            let got = outputs(x, y, &vec![0.75; x.len()]);
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
                forward_backward_none(x[..].into(), y[..].into(), &mut loss, &mut grad).unwrap();
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
