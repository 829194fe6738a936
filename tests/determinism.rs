//! Results are bitwise identical for 1, 2 and 8 threads and from run to run. One test in its own
//! binary, since the thread count is process-wide.

use softmargin::{
    backward_none, forward_backward_reduced, forward_none, forward_reduced, num_threads,
    set_num_threads, Reduced,
};

/// Every value a run produces, as bits.
fn run(n: usize) -> Vec<u64> {
    let x32: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 20011) as f32 * 0.013 - 130.0)
        .collect();
    let y32: Vec<f32> = (0..n)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let x64: Vec<f64> = x32.iter().map(|&v| f64::from(v) * 1.000_000_1).collect();
    let y64: Vec<f64> = y32.iter().map(|&v| f64::from(v) * 0.75).collect();
    let mut bits = Vec::new();
    for reduction in [Reduced::Mean, Reduced::Sum] {
        bits.push(u64::from(
            forward_reduced(&x32, &y32, reduction).unwrap().to_bits(),
        ));
        bits.push(forward_reduced(&x64, &y64, reduction).unwrap().to_bits());
        let mut g32 = vec![0.0f32; n];
        let l = forward_backward_reduced(&x32[..], &y32[..], reduction, &mut g32);
        bits.push(u64::from(l.unwrap().to_bits()));
        bits.extend(g32.iter().map(|v| u64::from(v.to_bits())));
        let mut g64 = vec![0.0f64; n];
        let l = forward_backward_reduced(&x64[..], &y64[..], reduction, &mut g64);
        bits.push(l.unwrap().to_bits());
        bits.extend(g64.iter().map(|v| v.to_bits()));
    }
    let mut loss = vec![0.0f64; n];
    forward_none(&x64[..], &y64[..], &mut loss).unwrap();
    bits.extend(loss.iter().map(|v| v.to_bits()));
    let mut grad = vec![0.0f32; n];
    backward_none(&y32[..], &x32[..], &y32[..], &mut grad).unwrap();
    bits.extend(grad.iter().map(|v| u64::from(v.to_bits())));
    bits
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    for n in [32_768 * 3 + 5, 1_000_003, 2_500_000] {
        set_num_threads(1).unwrap();
        assert_eq!(num_threads(), 1);
        let single = run(n);
        for threads in [2, 8, 1, 8] {
            set_num_threads(threads).unwrap();
            assert_eq!(num_threads(), threads);
            let many = run(n);
            let first_diff = single.iter().zip(&many).position(|(a, b)| a != b);
            assert_eq!(first_diff, None, "n = {n}, {threads} threads");
            assert_eq!(single.len(), many.len());
        }
    }
    set_num_threads(0).unwrap();
}
