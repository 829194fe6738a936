//! Every `f32` input (or one in 4099 of them, by default) with targets +1 and -1, on every path
//! this CPU has: the loss and the gradient must be the correctly rounded values.
//!
//! The reference is independent of the library: the system's `f64` `exp` and `log1p`, whose
//! results are within a few `f64` ulps, decide the rounding wherever the exact value is not
//! within 2^-45 (relative) of a midpoint of two `f32`s; the others (a few in a million) go to
//! the double-double reference of `tests/common/reference.rs` (about 2^-100).
//!
//! The whole run is ignored by default (minutes in release on two cores; docs/numerics.md has
//! the figures): `cargo test --release --test exhaustive -- --ignored --nocapture`. With
//! `SOFTMARGIN_EXHAUSTIVE_STRIDE=n` it checks one input in `n` (bit patterns 0, n, 2n, ...), as
//! CI does to keep the command exercised in seconds.

mod common;

use common::{ref_loss, ref_slope, ulps};
use rayon::prelude::*;
use softmargin::{backward_none, forward_none, set_isa};

/// How far the `f64` evaluations below may be from the exact values, relative: a few `f64`
/// ulps, with a wide margin.
const LIBM_ERROR: f64 = 1.0 / (1u64 << 45) as f64;

/// The loss and the slope of the margin `m`, in `f64` through the system's `exp` and `log1p`.
fn libm(m: f64) -> (f64, f64) {
    let e = (-m.abs()).exp();
    let loss = m.max(0.0) + e.ln_1p();
    let sigmoid = if m >= 0.0 {
        1.0 / (1.0 + e)
    } else {
        e / (1.0 + e)
    };
    (loss, sigmoid)
}

/// Whether `got` is the correct rounding of a value `v` known within [`LIBM_ERROR`]: `Some` if
/// both ends of that interval round alike, `None` where they do not.
fn decided(got: f32, v: f64) -> Option<bool> {
    let (lo, hi) = (v * (1.0 - LIBM_ERROR), v * (1.0 + LIBM_ERROR));
    ((lo as f32).to_bits() == (hi as f32).to_bits()).then(|| (lo as f32).to_bits() == got.to_bits())
}

/// Counts of one run: results checked, those the `f64` evaluation left to the double-double
/// reference, and the results off correct rounding (with the first such input).
#[derive(Clone, Copy, Default)]
struct Counts {
    checked: u64,
    deferred: u64,
    wrong: u64,
    first_wrong: Option<f32>,
}

impl Counts {
    fn add(self, o: Counts) -> Counts {
        Counts {
            checked: self.checked + o.checked,
            deferred: self.deferred + o.deferred,
            wrong: self.wrong + o.wrong,
            first_wrong: self.first_wrong.or(o.first_wrong),
        }
    }

    fn record(&mut self, x: f32, ok: bool) {
        self.checked += 1;
        if !ok {
            self.wrong += 1;
            self.first_wrong.get_or_insert(x);
        }
    }
}

/// Checks one element's loss and gradient (target `y` of +1 or -1).
fn check_element(x: f32, y: f32, loss: f32, grad: f32, counts: &mut Counts) {
    let m = -f64::from(y) * f64::from(x);
    if x.is_nan() {
        counts.record(x, loss.is_nan() && grad.is_nan());
        return;
    }
    // Below -104 the loss and the sigmoid are under 2^-150, half the smallest f32: zeros.
    if m < -104.0 {
        let zero_grad = (0.0f32).copysign(-y).to_bits();
        counts.record(x, loss.to_bits() == 0 && grad.to_bits() == zero_grad);
        return;
    }
    if m.is_infinite() {
        counts.record(x, loss == f32::INFINITY && grad == -y);
        return;
    }
    let (l, s) = libm(m);
    let want = [(loss, l, true), (grad, -f64::from(y) * s, false)];
    for (got, v, is_loss) in want {
        let ok = decided(got, v).unwrap_or_else(|| {
            counts.deferred += 1;
            let e = if is_loss {
                ulps(got, 1.0, ref_loss(x, y).expect("a finite margin"))
            } else {
                let (sign, s) = ref_slope(x, y).expect("a finite margin");
                ulps(got, sign, s)
            };
            e <= 0.5
        });
        counts.record(x, ok);
    }
}

/// The counts for the inputs with bit patterns `start + i * stride` (`i < count`), target `y`.
fn run(y: f32, start: u64, stride: u64, count: u64) -> Counts {
    const BLOCK: u64 = 1 << 14;
    (0..count.div_ceil(BLOCK))
        .into_par_iter()
        .map(|b| {
            let x: Vec<f32> = (b * BLOCK..((b + 1) * BLOCK).min(count))
                .map(|i| f32::from_bits((start + i * stride) as u32))
                .collect();
            let n = x.len();
            let (ys, ones) = (vec![y; n], vec![1.0f32; n]);
            let (mut loss, mut grad) = (vec![0.0f32; n], vec![0.0f32; n]);
            forward_none(&x[..], &ys[..], &mut loss).unwrap();
            backward_none(&ones[..], &x[..], &ys[..], &mut grad).unwrap();
            let mut counts = Counts::default();
            for i in 0..n {
                check_element(x[i], y, loss[i], grad[i], &mut counts);
            }
            counts
        })
        .reduce(Counts::default, Counts::add)
}

fn check(start: u64, stride: u64, count: u64) {
    for path in common::supported_paths("exhaustive") {
        set_isa(path).unwrap();
        for y in [1.0, -1.0] {
            let c = run(y, start, stride, count);
            println!(
                "{} y = {y}: {count} inputs, {} results, {} decided by the double-double \
                 reference, {} not correctly rounded{}",
                path.name(),
                c.checked,
                c.deferred,
                c.wrong,
                c.first_wrong
                    .map_or(String::new(), |x| format!(" (first at x = {x:e})"))
            );
            assert_eq!(c.wrong, 0);
        }
    }
}

/// One `f32` input in 4099 (over a million, every exponent), targets +1 and -1.
#[test]
fn sampled_f32_inputs_with_unit_targets() {
    check(1234, 4099, (1 << 32) / 4099);
}

/// Every `f32` input, targets +1 and -1 (or one in `SOFTMARGIN_EXHAUSTIVE_STRIDE`: see the
/// module docs).
#[test]
#[ignore]
fn every_f32_input_with_unit_targets() {
    const STRIDE: &str = "SOFTMARGIN_EXHAUSTIVE_STRIDE";
    let stride = std::env::var(STRIDE).map_or(1, |s| match s.parse::<u64>() {
        Ok(n) if n > 0 => n,
        _ => panic!("{STRIDE}: a positive integer, not {s:?}"),
    });
    check(0, stride, (1u64 << 32).div_ceil(stride));
}
