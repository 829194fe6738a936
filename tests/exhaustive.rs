//! Every `f32` input (or one in 4099 of them, by default) against the library's own `f64`
//! results for the same inputs, targets +1 and -1: the loss and the gradient of the `f32` paths
//! within 2 ulp. The `f64` results come from double-double arithmetic, within about 2^-52
//! relative; `tests/accuracy.rs` checks them against an independent reference.
//!
//! The whole run is ignored by default (minutes in release on two cores; the README has the
//! figures): `cargo test --release --test exhaustive -- --ignored --nocapture`.

use rayon::prelude::*;

/// `|got - want|` in units of the last place of `f32` at `want`.
fn ulps(got: f32, want: f64) -> f64 {
    if got.is_nan() || want.is_nan() {
        return if got.is_nan() && want.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if want.is_infinite() || got.is_infinite() {
        return if f64::from(got) == want {
            0.0
        } else {
            f64::INFINITY
        };
    }
    let exponent = if want == 0.0 {
        -126
    } else {
        (((want.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-126)
    };
    (f64::from(got) - want).abs() / 2f64.powi(exponent - 23)
}

/// The worst errors `[(loss ulp, x), (gradient ulp, x)]` of the library's `f32` loss and
/// gradient at the inputs with bit patterns `start + i * stride` (`i < count`) and target
/// `y`, against its `f64` results on the same inputs (double-double arithmetic, within
/// about 2^-52 relative; `tests/accuracy.rs` checks them against an independent reference).
fn worst(y: f32, start: u64, stride: u64, count: u64) -> [(f64, f32); 2] {
    const BLOCK: u64 = 1 << 14;
    (0..count.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let x: Vec<f32> = (b * BLOCK..((b + 1) * BLOCK).min(count))
                .map(|i| f32::from_bits((start + i * stride) as u32))
                .collect();
            let n = x.len();
            let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let (y32, y64) = (vec![y; n], vec![f64::from(y); n]);
            let (ones32, ones64) = (vec![1.0f32; n], vec![1.0f64; n]);
            let (mut loss, mut grad) = (vec![0.0f32; n], vec![0.0f32; n]);
            let (mut loss64, mut grad64) = (vec![0.0f64; n], vec![0.0f64; n]);
            softmargin::forward_none(&x[..], &y32[..], &mut loss).unwrap();
            softmargin::backward_none(&ones32[..], &x[..], &y32[..], &mut grad).unwrap();
            softmargin::forward_none(&wide[..], &y64[..], &mut loss64).unwrap();
            softmargin::backward_none(&ones64[..], &wide[..], &y64[..], &mut grad64).unwrap();
            let mut worst = [(0.0f64, 0.0f32); 2];
            for i in 0..n {
                let errors = [ulps(loss[i], loss64[i]), ulps(grad[i], grad64[i])];
                for (w, e) in worst.iter_mut().zip(errors) {
                    if e > w.0 {
                        *w = (e, x[i]);
                    }
                }
            }
            worst
        })
        .reduce(
            || [(0.0, 0.0); 2],
            |a, b| std::array::from_fn(|k| if b[k].0 > a[k].0 { b[k] } else { a[k] }),
        )
}

fn check(y: f32, start: u64, stride: u64, count: u64) {
    let [(loss, lx), (grad, gx)] = worst(y, start, stride, count);
    println!(
        "y = {y}, {count} inputs: loss max {loss:.3} ulp (x = {lx:e}), \
         gradient max {grad:.3} ulp (x = {gx:e})"
    );
    assert!(loss <= 2.0 && grad <= 2.0);
}

/// One `f32` input in 4099 (over a million, every exponent), targets +1 and -1.
#[test]
fn sampled_f32_inputs_with_unit_targets() {
    for y in [1.0, -1.0] {
        check(y, 1234, 4099, (1 << 32) / 4099);
    }
}

/// Every `f32` input, targets +1 and -1 (see the module docs).
#[test]
#[ignore]
fn every_f32_input_with_unit_targets() {
    for y in [1.0, -1.0] {
        check(y, 0, 1, 1 << 32);
    }
}
