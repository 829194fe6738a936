//! No call allocates memory in proportion to its length: the peak resident set grows by far less
//! than the buffers themselves during calls on 16M elements. One test in its own binary, since
//! the peak is process-wide.

use softmargin::{
    backward_none, forward_backward_none, forward_backward_reduced, forward_none, forward_reduced,
    Operand, Reduced,
};

/// The process's peak resident set size, in bytes (Linux).
fn peak_rss() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

#[test]
#[cfg(target_os = "linux")]
fn calls_use_no_memory_proportional_to_len() {
    const N: usize = 1 << 24;
    let x: Vec<f32> = (0..N).map(|i| (i % 1000) as f32 * 0.01 - 5.0).collect();
    let y: Vec<f32> = (0..N)
        .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
        .collect();
    let mut a = vec![0.0f32; N];
    let mut b = vec![0.0f32; N];
    let xd: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let yd: Vec<f64> = y.iter().map(|&v| f64::from(v)).collect();
    let mut ad = vec![0.0f64; N];
    // Touch every output page and start the thread pool before measuring.
    forward_none(&x[..], &y[..], &mut b).unwrap();
    forward_none(&xd[..], &yd[..], &mut ad).unwrap();
    a.copy_from_slice(&x);
    let before = peak_rss();

    forward_reduced(&x, &y, Reduced::Mean).unwrap();
    forward_none(&x[..], &y[..], &mut b).unwrap();
    backward_none(&y[..], &x[..], &y[..], &mut b).unwrap();
    forward_backward_none(Operand::Loss, &y[..], &mut a, &mut b).unwrap();
    forward_backward_reduced(&x[..], &y[..], Reduced::Sum, &mut b).unwrap();
    forward_reduced(&xd, &yd, Reduced::Sum).unwrap();
    forward_backward_reduced(&xd[..], &yd[..], Reduced::Mean, &mut ad).unwrap();

    let growth = peak_rss().saturating_sub(before);
    let buffer = N * std::mem::size_of::<f32>();
    println!("peak RSS growth during the calls: {growth} bytes (one f32 buffer: {buffer} bytes)");
    // A copy of even a sixteenth of one buffer would show.
    assert!(growth < buffer / 16, "peak RSS grew by {growth} bytes");
}
