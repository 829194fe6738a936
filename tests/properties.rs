//! Properties of the core over arbitrary inputs (proptest): in-place and fused forms agree with
//! the plain ones bit for bit, reductions agree with the per-element losses, the gradient has
//! the documented sign and size, and the target check finds the first bad target.

use proptest::prelude::*;
use softmargin::{
    backward_none, backward_reduced, first_invalid_target, forward_backward_none,
    forward_backward_reduced, forward_none, forward_reduced, Operand, Reduced,
};

/// Any f32 bit pattern, or an ordinary value, or a target.
fn value() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<u32>().prop_map(f32::from_bits),
        -120.0f32..120.0,
        Just(1.0f32),
        Just(-1.0f32),
    ]
}

fn pairs(max: usize) -> impl Strategy<Value = (Vec<f32>, Vec<f32>)> {
    (0..max).prop_flat_map(|n| {
        (
            prop::collection::vec(value(), n),
            prop::collection::vec(value(), n),
        )
    })
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn in_place_and_fused_forms_agree((x, y) in pairs(300)) {
        let n = x.len();
        let mut loss = vec![0.0f32; n];
        forward_none(&x[..], &y[..], &mut loss).unwrap();
        let ones = vec![1.0f32; n];
        let mut grad = vec![0.0f32; n];
        backward_none(&ones[..], &x[..], &y[..], &mut grad).unwrap();

        let mut a = x.clone();
        let mut b = y.clone();
        forward_backward_none(Operand::Loss, Operand::Grad, &mut a, &mut b).unwrap();
        prop_assert_eq!(bits(&a), bits(&loss));
        prop_assert_eq!(bits(&b), bits(&grad));

        let mut c = y.clone();
        forward_none(&x[..], Operand::Loss, &mut c).unwrap();
        prop_assert_eq!(bits(&c), bits(&loss));

        for r in [Reduced::Mean, Reduced::Sum] {
            let mut g1 = vec![0.0f32; n];
            let value = forward_backward_reduced(&x[..], &y[..], r, &mut g1).unwrap();
            prop_assert_eq!(value.to_bits(), forward_reduced(&x, &y, r).unwrap().to_bits());
            let mut g2 = x.clone();
            backward_reduced(1.0, Operand::Grad, &y[..], r, &mut g2).unwrap();
            prop_assert_eq!(bits(&g1), bits(&g2));
        }
    }

    #[test]
    fn losses_and_gradients_have_the_documented_shape((x, y) in pairs(200)) {
        let n = x.len();
        let mut loss = vec![0.0f32; n];
        let mut grad = vec![0.0f32; n];
        forward_backward_none(&x[..], &y[..], &mut loss, &mut grad).unwrap();
        for i in 0..n {
            let m = -f64::from(y[i]) * f64::from(x[i]);
            if m.is_nan() {
                prop_assert!(loss[i].is_nan() && grad[i].is_nan());
                continue;
            }
            // The loss is at least max(m, 0) (rounded) and never negative.
            prop_assert!(loss[i] >= 0.0);
            prop_assert!(f64::from(loss[i]) >= (m.max(0.0) as f32) as f64);
            // The gradient is -y s with 0 <= s <= 1: opposite in sign to y, at most |y|.
            prop_assert!(grad[i].abs() <= y[i].abs());
            prop_assert!(grad[i] == 0.0 || grad[i].signum() == -y[i].signum());
        }
    }

    #[test]
    fn the_sum_is_the_sum_of_the_losses((x, y) in pairs(500)) {
        let n = x.len();
        let mut loss = vec![0.0f32; n];
        forward_none(&x[..], &y[..], &mut loss).unwrap();
        let sum = forward_reduced(&x, &y, Reduced::Sum).unwrap();
        let mean = forward_reduced(&x, &y, Reduced::Mean).unwrap();
        // The losses as rounded to f32 differ from the exact ones by at most half an ulp each.
        if n == 0 {
            prop_assert!(mean.is_nan() && sum == 0.0);
            return Ok(());
        }
        let rounded: f64 = loss.iter().map(|&l| f64::from(l)).sum();
        let slack: f64 = loss.iter().map(|&l| f64::from(l) * 2f64.powi(-24)).sum();
        if rounded.is_finite() {
            prop_assert!((f64::from(sum) - rounded).abs() <= slack + f64::from(sum) * 2f64.powi(-23));
            prop_assert!((f64::from(mean) - rounded / n as f64).abs()
                <= (slack + rounded * 2f64.powi(-23)) / n as f64 + 1e-45);
        } else if rounded.is_nan() {
            prop_assert!(sum.is_nan() && mean.is_nan());
        } else {
            prop_assert!(sum.is_infinite());
        }
    }

    #[test]
    fn first_invalid_target_is_the_first((_, y) in pairs(400)) {
        let want = y.iter().position(|&t| t != 1.0 && t != -1.0);
        prop_assert_eq!(first_invalid_target(&y), want);
    }
}
