//! The element loop against the exact kernel, element by element.

use super::*;
use crate::kernel::mix::Mix;
use crate::kernel::second::ExactSecond;

/// The test inputs' `f32` values.
trait Floats {
    fn float(&mut self) -> f32;
}

impl Floats for Mix {
    /// An `f32` of any finite bit pattern, or of a margin-sized value.
    fn float(&mut self) -> f32 {
        let bits = self.next();
        let v = if bits & 1 == 0 {
            f32::from_bits((bits >> 32) as u32)
        } else {
            ((bits >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 200.0
        };
        if v.is_finite() {
            v
        } else {
            1.5
        }
    }
}

/// Both derivatives of a chunk through the loop.
fn second_derivatives<S: Storage>(x: &[S], y: &[S], factor: Factor) -> (Vec<S>, Vec<S>) {
    let n = x.len();
    let (mut grad, mut second) = (vec![S::default(); n], vec![S::default(); n]);
    let chunk = Chunk {
        x,
        y,
        each: None,
        loss: None,
        grad: Some(&mut grad),
        second: Some(&mut second),
        factor,
        sum: false,
        sum_is_zero: true,
    };
    run_chunk(chunk, &mut SumOf::<S>::default());
    (grad, second)
}

/// The `f32` second derivatives of the loop (the fast kernel, and the exact one for the
/// results it leaves open) are bitwise the exact kernel's alone, for any finite inputs, unit
/// targets and three factors.
#[test]
fn the_fast_f32_second_derivatives_are_the_exact_ones() {
    let n = 1 << 18;
    let mut mix = Mix(3);
    let x: Vec<f32> = (0..n).map(|_| mix.float()).collect();
    let y: Vec<f32> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                mix.float()
            } else {
                [1.0, -1.0][i / 2 % 2]
            }
        })
        .collect();
    for factor in [
        Factor::Times(1.0),
        Factor::Over(1.0, n as f64),
        Factor::Over(1.0, 3.0),
    ] {
        let (grad, second) = second_derivatives(&x, &y, factor);
        for i in 0..n {
            let exact = ExactSecond::new(f64::from(x[i]), f64::from(y[i]), factor.split(1.0));
            let (g, h) = exact.rounded();
            assert_eq!(
                (grad[i].to_bits(), second[i].to_bits()),
                ((g as f32).to_bits(), (h as f32).to_bits()),
                "x = {:e}, y = {:e}, {factor:?}",
                x[i],
                y[i]
            );
        }
    }
}

/// The `f64` second derivatives of the loop (the fast double-double kernel where its interval
/// settles the rounding, the exact variant elsewhere) are bitwise the fallback's alone, for any
/// finite inputs, unit targets and three factors.
#[test]
fn the_fast_f64_second_derivatives_are_the_exact_ones() {
    let n = 1 << 17;
    let mut mix = Mix(4);
    let wide = |mix: &mut Mix| {
        let v = f64::from(mix.float());
        // Margins of any size, and low bits the f32 values lack.
        v * (1.0 + (mix.next() >> 12) as f64 * 2f64.powi(-60))
    };
    let x: Vec<f64> = (0..n).map(|_| wide(&mut mix)).collect();
    let y: Vec<f64> = (0..n)
        .map(|i| {
            if i % 2 == 0 {
                wide(&mut mix)
            } else {
                [1.0, -1.0][i / 2 % 2]
            }
        })
        .collect();
    for factor in [
        Factor::Times(1.0),
        Factor::Over(1.0, n as f64),
        Factor::Over(1.0, 3.0),
    ] {
        let (grad, second) = second_derivatives(&x, &y, factor);
        for i in 0..n {
            let (g, h) = f64::exact_second(x[i], y[i], factor);
            assert_eq!(
                (grad[i].to_bits(), second[i].to_bits()),
                (g.to_bits(), h.to_bits()),
                "x = {:e}, y = {:e}, {factor:?}",
                x[i],
                y[i]
            );
        }
    }
}
