//! Throughput of every pass, for f32, f64, f16 and bf16, at several sizes and thread counts, against the
//! memory floors and the straightforward libm loop measured in the same run.
//!
//! Run with `cargo bench --bench throughput` (add `-- quick` for fewer repetitions; sizes such
//! as `65536`, `f32`, `f64`, `f16` or `bf16`, `1t` or `2t`, or `c` for the C entry row alone pick rows). Each figure
//! is the median of repeated runs; the machine's other load shows in the spread, not the median.
//!
//! Every pass is timed through the exported C functions, as a C caller runs them. With
//! `SOFTMARGIN_BASELINE` set to the path of another build of `libsoftmargin.so` (an older
//! commit, say), its exported functions are measured in the same turns, and each row shows how
//! many times faster this build is.

use std::hint::black_box;
use std::time::Instant;

// The element-type helpers of the tests (conversions, bit patterns, names).
#[path = "../tests/common/mod.rs"]
mod common;

use common::Elem;
use rayon::prelude::*;
use softmargin::set_num_threads;

/// Median wall times of one run of each of `count` measurements, in nanoseconds: `f(k)` runs
/// measurement `k`. The measurements take turns, sample after sample, so that a ratio of two
/// medians compares runs made at the same times: the machine's load shifts both alike. Each
/// sample times enough back-to-back runs (about 64K elements' worth) that the clock's own cost
/// vanishes.
fn medians(reps: usize, n: usize, count: usize, mut f: impl FnMut(usize)) -> Vec<f64> {
    for k in 0..count {
        f(k); // warm up: page faults, pool start
    }
    let runs = (65_536 / n.max(1)).max(1);
    let mut times = vec![Vec::with_capacity(reps); count];
    for _ in 0..reps {
        for (k, samples) in times.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..runs {
                f(k);
            }
            samples.push(t.elapsed().as_nanos() as f64 / runs as f64);
        }
    }
    times
        .into_iter()
        .map(|mut samples| {
            samples.sort_by(f64::total_cmp);
            samples[reps / 2]
        })
        .collect()
}

/// The floors on the pool's threads: a pass that only reads x and y (`write` false), or one
/// that also writes `out`; both do one trivial integer or float operation per element.
fn floor<T: Elem>(pool: &rayon::ThreadPool, x: &[T], y: &[T], out: &mut [T], write: bool) {
    let grain = 1 << 15;
    if write {
        pool.install(|| {
            out.par_chunks_mut(grain)
                .zip(x.par_chunks(grain).zip(y.par_chunks(grain)))
                .for_each(|(o, (a, b))| {
                    for ((o, p), q) in o.iter_mut().zip(a).zip(b) {
                        *o = T::from_bits(p.bits() ^ q.bits());
                    }
                })
        });
        black_box(&out);
    } else {
        let v = pool.install(|| {
            x.par_chunks(grain)
                .zip(y.par_chunks(grain))
                .map(|(a, b)| {
                    a.iter()
                        .zip(b)
                        .fold(0u64, |acc, (p, q)| acc ^ p.bits() ^ q.bits())
                })
                .reduce(|| 0, |a, b| a ^ b)
        });
        black_box(v);
    }
}

/// One element's loss the straightforward way, in the element's own precision: `expf` and
/// `log1pf` for `f32`, `exp` and `log1p` for `f64`.
trait Libm: Elem {
    fn libm_loss(x: Self, y: Self) -> f64;
}

impl Libm for f32 {
    fn libm_loss(x: f32, y: f32) -> f64 {
        f64::from((-y * x).exp().ln_1p())
    }
}

impl Libm for f64 {
    fn libm_loss(x: f64, y: f64) -> f64 {
        (-y * x).exp().ln_1p()
    }
}

/// The half types the straightforward way: widened to `f32`, `expf` and `log1pf`.
impl Libm for softmargin::F16 {
    fn libm_loss(x: Self, y: Self) -> f64 {
        f32::libm_loss(x.to_f32(), y.to_f32())
    }
}

impl Libm for softmargin::Bf16 {
    fn libm_loss(x: Self, y: Self) -> f64 {
        f32::libm_loss(x.to_f32(), y.to_f32())
    }
}

/// The straightforward loop over libm, one thread: mean of log1p(exp(-y x)).
fn libm_loop<T: Libm>(x: &[T], y: &[T]) {
    let s: f64 = x
        .iter()
        .zip(y)
        .map(|(&a, &b)| T::libm_loss(black_box(a), b))
        .sum();
    black_box(s / x.len() as f64);
}

/// The exported functions of a build (this one's, or a baseline's), for one element type.
struct Api<T> {
    forward: ForwardFn<T>,
    backward: BackwardFn<T>,
    forward_backward: FusedFn<T>,
    /// `None` where the baseline predates it for this type.
    gradient_hessian: Option<FusedFn<T>>,
}

type ForwardFn<T> = unsafe extern "C" fn(*const T, *const T, usize, i32, *mut T) -> i32;
type BackwardFn<T> = unsafe extern "C" fn(*const T, *const T, *const T, usize, i32, *mut T) -> i32;
type FusedFn<T> = unsafe extern "C" fn(*const T, *const T, usize, i32, *mut T, *mut T) -> i32;
type SetThreadsFn = unsafe extern "C" fn(usize) -> i32;
type Symbol = *mut libc::c_void;

/// The environment variable naming the baseline's shared library.
const BASELINE_ENV: &str = "SOFTMARGIN_BASELINE";

/// The baseline library's functions for `T` (`suffix` `f32`, `f64`, `f16` or `bf16`), its pool
/// set to `threads`; `None` without `SOFTMARGIN_BASELINE` or when the baseline has no such
/// type.
fn baseline<T>(suffix: &str, threads: usize) -> Option<Api<T>> {
    let path = std::env::var(BASELINE_ENV).ok()?;
    let c_path = std::ffi::CString::new(path.clone()).unwrap();
    // SAFETY: a NUL-terminated path; the handle is never closed, so the symbols stay valid.
    let handle = unsafe { libc::dlopen(c_path.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL) };
    assert!(!handle.is_null(), "{BASELINE_ENV}={path}: cannot be loaded");
    let symbol = |name: String| {
        let c_name = std::ffi::CString::new(name).unwrap();
        // SAFETY: a valid handle and a NUL-terminated name.
        let p = unsafe { libc::dlsym(handle, c_name.as_ptr()) };
        (!p.is_null()).then_some(p)
    };
    let forward = symbol(format!("softmargin_forward_{suffix}"))?;
    // SAFETY: the baseline exports these functions with these C signatures (every version
    // of the header that has the type has them).
    unsafe {
        let set_threads = std::mem::transmute::<Symbol, SetThreadsFn>(
            symbol("softmargin_set_num_threads".into()).unwrap(),
        );
        assert_eq!(set_threads(threads), 0);
        let fused = |name: &str| {
            symbol(format!("softmargin_{name}_{suffix}"))
                .map(|p| std::mem::transmute::<Symbol, FusedFn<T>>(p))
        };
        Some(Api {
            forward: std::mem::transmute::<Symbol, ForwardFn<T>>(forward),
            backward: std::mem::transmute::<Symbol, BackwardFn<T>>(
                symbol(format!("softmargin_backward_{suffix}")).unwrap(),
            ),
            forward_backward: fused("forward_backward").unwrap(),
            gradient_hessian: fused("gradient_hessian"),
        })
    }
}

/// This build's exported functions for `T`: the passes are timed through the C entry points, as
/// a baseline's are, so that both pay the same argument checks.
fn ours<T: Libm>() -> Api<T> {
    use softmargin::ffi::*;
    // SAFETY: `T` is the element type of the functions named for it (the 16-bit types are
    // `repr(transparent)` over the `uint16_t` the C functions take): the same C ABI.
    unsafe {
        match T::NAME {
            "f32" => std::mem::transmute::<Api<f32>, Api<T>>(Api {
                forward: softmargin_forward_f32,
                backward: softmargin_backward_f32,
                forward_backward: softmargin_forward_backward_f32,
                gradient_hessian: Some(softmargin_gradient_hessian_f32),
            }),
            "f64" => std::mem::transmute::<Api<f64>, Api<T>>(Api {
                forward: softmargin_forward_f64,
                backward: softmargin_backward_f64,
                forward_backward: softmargin_forward_backward_f64,
                gradient_hessian: Some(softmargin_gradient_hessian_f64),
            }),
            "f16" => std::mem::transmute::<Api<u16>, Api<T>>(Api {
                forward: softmargin_forward_f16,
                backward: softmargin_backward_f16,
                forward_backward: softmargin_forward_backward_f16,
                gradient_hessian: Some(softmargin_gradient_hessian_f16),
            }),
            _ => std::mem::transmute::<Api<u16>, Api<T>>(Api {
                forward: softmargin_forward_bf16,
                backward: softmargin_backward_bf16,
                forward_backward: softmargin_forward_backward_bf16,
                gradient_hessian: Some(softmargin_gradient_hessian_bf16),
            }),
        }
    }
}

/// Runs pass `k` (of [`PASSES`]) through `b`, which must have it.
fn run_api<T: Elem>(b: &Api<T>, k: usize, x: &[T], y: &[T], out: &mut [T], grad: &mut [T]) {
    let (n, mut scalar) = (x.len(), T::default());
    let (xp, yp, op, gp) = (x.as_ptr(), y.as_ptr(), out.as_mut_ptr(), grad.as_mut_ptr());
    // SAFETY: every buffer holds n values; MEAN writes one value to `scalar`.
    let status = unsafe {
        match k {
            0 => (b.forward)(xp, yp, n, 1, &mut scalar),
            1 => (b.forward)(xp, yp, n, 0, op),
            2 => (b.backward)(yp, xp, yp, n, 0, gp),
            3 => (b.forward_backward)(xp, yp, n, 1, &mut scalar, gp),
            4 => (b.forward_backward)(xp, yp, n, 0, op, gp),
            _ => (b.gradient_hessian.expect("a pass the baseline has"))(xp, yp, n, 0, gp, op),
        }
    };
    assert_eq!(status, 0);
    black_box(scalar);
}

/// The passes measured, with the arrays each reads and writes.
const PASSES: [(&str, f64); 6] = [
    ("forward MEAN", 2.0),
    ("forward NONE", 3.0),
    ("backward NONE", 4.0),
    ("forward_backward MEAN", 3.0),
    ("forward_backward NONE", 4.0),
    ("gradient_hessian NONE", 4.0),
];

/// The median times (ns per call) of a type's passes, in the order of [`PASSES`], and for a
/// 16-bit type those of the same passes in `f32` on the same values, measured in the same
/// turns (so that their ratio compares runs made at the same times).
struct Times {
    own: Vec<f64>,
    f32_same_turns: Option<Vec<f64>>,
}

/// Measures every pass of `T` at `n` elements on `threads` threads and prints a row each.
fn bench<T: Libm>(n: usize, threads: usize, reps: usize) -> Times {
    let x: Vec<T> = (0..n)
        .map(|i| T::from_f64(((i * 7919) % 20011) as f64 * 0.001 - 10.0))
        .collect();
    let y: Vec<T> = (0..n)
        .map(|i| T::from_f64(if i % 2 == 0 { 1.0 } else { -1.0 }))
        .collect();
    let mut out = vec![T::default(); n];
    let mut grad = vec![T::default(); n];
    set_num_threads(threads).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let base = baseline::<T>(T::NAME, threads);
    // The baseline's passes: all but the second derivative where it predates it.
    let base_passes: Vec<usize> = match &base {
        None => vec![],
        Some(b) => (0..PASSES.len())
            .filter(|&k| k < 5 || b.gradient_hessian.is_some())
            .collect(),
    };
    let passes = PASSES.len();
    // A 16-bit type's values in f32, and f32's passes on them.
    let half = std::mem::size_of::<T>() == 2;
    let n32 = if half { n } else { 0 };
    let x32: Vec<f32> = x[..n32].iter().map(|v| v.to_f64() as f32).collect();
    let y32: Vec<f32> = y[..n32].iter().map(|v| v.to_f64() as f32).collect();
    let (mut out32, mut grad32) = (vec![0.0f32; n32], vec![0.0f32; n32]);
    let api32 = ours::<f32>();
    // Measurements 0..passes are the passes, then the read floor, the read+write floor and
    // the libm loop, then the baseline's passes, then (for a 16-bit type) f32's passes, all
    // taking turns.
    let first32 = passes + 3 + base_passes.len();
    let count = first32 + if half { passes } else { 0 };
    let own = ours::<T>();
    let times = medians(reps, n, count, |k| match k {
        k if k < passes => run_api(&own, k, &x, &y, &mut out, &mut grad),
        k if k == passes => floor(&pool, &x, &y, &mut out, false),
        k if k == passes + 1 => floor(&pool, &x, &y, &mut out, true),
        k if k == passes + 2 => libm_loop(&x, &y),
        k if k >= first32 => run_api(&api32, k - first32, &x32, &y32, &mut out32, &mut grad32),
        k => run_api(
            base.as_ref().unwrap(),
            base_passes[k - passes - 3],
            &x,
            &y,
            &mut out,
            &mut grad,
        ),
    });
    let (read, write, libm) = (times[passes], times[passes + 1], times[passes + 2]);
    let elem = std::mem::size_of::<T>() as f64;
    for (k, &(name, arrays)) in PASSES.iter().enumerate() {
        let ns = times[k];
        let floor = if arrays > 2.0 { write } else { read };
        let versus = match base_passes.iter().position(|&b| b == k) {
            Some(j) => format!(
                "  {:>5.2}x the baseline's speed",
                times[passes + 3 + j] / ns
            ),
            None => String::new(),
        };
        println!(
            "{:<22} {:<4} {:>9} {:>2}  {:>8.3} ns/elem {:>7.2} GB/s  {:>6.1}x floor  {:>6.2}x the libm loop's speed{}",
            name,
            T::NAME,
            n,
            threads,
            ns / n as f64,
            arrays * elem * n as f64 / ns,
            ns / floor,
            libm / ns,
            versus,
        );
    }
    println!(
        "{:<22} {:<4} {:>9} {:>2}  read floor {:.3} ns/elem, read+write floor {:.3} ns/elem, libm loop (1 thread) {:.3} ns/elem",
        "floors",
        T::NAME,
        n,
        threads,
        read / n as f64,
        write / n as f64,
        libm / n as f64
    );
    Times {
        own: times[..passes].to_vec(),
        f32_same_turns: half.then(|| times[first32..].to_vec()),
    }
}

/// The ratios the design holds itself to, from the rows just measured (`times` by type): each
/// type's second derivative against its forward_backward NONE (at most 1.5x), and each pass of
/// the 16-bit types against the same `f32` pass measured in the same turns (at most 1.1x).
fn targets(n: usize, threads: usize, times: &[(&str, Times)]) {
    for (name, t) in times {
        println!(
            "target {name:<4} {n:>9} {threads:>2}  gradient_hessian / forward_backward NONE: {:.2}x (at most 1.5x)",
            t.own[5] / t.own[4]
        );
    }
    for (half, t) in times {
        let Some(f32_times) = &t.f32_same_turns else {
            continue;
        };
        let ratios: Vec<String> = PASSES
            .iter()
            .enumerate()
            .map(|(k, (pass, _))| format!("{pass} {:.2}x", t.own[k] / f32_times[k]))
            .collect();
        println!(
            "target {half:<4} {n:>9} {threads:>2}  time / f32's (at most 1.1x): {}",
            ratios.join(", ")
        );
    }
}

/// A 32-element MEAN call through the exported C function (what a C caller runs, minus the
/// call through the PLT), with every argument check.
fn c_entry_small(reps: usize) {
    const N: usize = 32;
    let x: Vec<f32> = (0..N).map(|i| i as f32 * 0.37 - 6.0).collect();
    let y: Vec<f32> = (0..N)
        .map(|i| if i % 3 == 0 { 1.0 } else { -1.0 })
        .collect();
    let mut out = 0.0f32;
    set_num_threads(1).unwrap();
    let mut loss = [0.0f32; N];
    let times = medians(reps, N, 2, |reduction| {
        let dst = if reduction == 0 {
            loss.as_mut_ptr()
        } else {
            &mut out
        };
        // SAFETY: x and y hold N values, dst holds N values (NONE) or one (MEAN).
        let status = unsafe {
            softmargin::ffi::softmargin_forward_f32(
                black_box(x.as_ptr()),
                y.as_ptr(),
                N,
                reduction as i32,
                dst,
            )
        };
        assert_eq!(status, 0);
        black_box(dst);
    });
    for (name, ns) in ["NONE", "MEAN"].iter().zip(times) {
        println!("C entry softmargin_forward_f32, {N} elements, {name}: {ns:.1} ns per call");
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "quick");
    // Optional filters: sizes (`65536`), element types (`f32`, `f64`, `f16`, `bf16`), thread counts (`1t`, `2t`),
    // `c` for the C entry row alone; with none of a kind, all of that kind run.
    let sizes: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let types: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| ["f32", "f64", "f16", "bf16"].contains(a))
        .collect();
    let thread_counts: Vec<usize> = args
        .iter()
        .filter_map(|a| a.strip_suffix('t')?.parse().ok())
        .collect();
    let c_only = args.iter().any(|a| a == "c");
    // An empty filter picks everything of its kind.
    fn picked<T: PartialEq>(filter: &[T], v: T) -> bool {
        filter.is_empty() || filter.contains(&v)
    }
    println!("pass                   type         N th  time            bandwidth      ratio to floor  speed vs libm loop");
    for n in [32usize, 1 << 10, 1 << 16, 1 << 20, 1 << 22, 1 << 24] {
        if c_only || !picked(&sizes, n) {
            continue;
        }
        let reps = if quick {
            3
        } else if n >= 1 << 20 {
            7
        } else {
            31
        };
        for threads in [1, 2] {
            if !picked(&thread_counts, threads) {
                continue;
            }
            let mut times = Vec::new();
            if picked(&types, "f32") {
                times.push(("f32", bench::<f32>(n, threads, reps)));
            }
            if picked(&types, "f64") {
                times.push(("f64", bench::<f64>(n, threads, reps)));
            }
            if picked(&types, "f16") {
                times.push(("f16", bench::<softmargin::F16>(n, threads, reps)));
            }
            if picked(&types, "bf16") {
                times.push(("bf16", bench::<softmargin::Bf16>(n, threads, reps)));
            }
            targets(n, threads, &times);
        }
    }
    if c_only || sizes.is_empty() {
        c_entry_small(if quick { 5 } else { 31 });
    }
    set_num_threads(0).unwrap();
}
