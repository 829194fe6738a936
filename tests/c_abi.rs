//! The C interface's rules, called from Rust: statuses for every kind of bad input with
//! nothing written, NULL and aliasing rules, special values, and the small functions.

use std::ffi::CStr;
use std::ptr::{null, null_mut};

use approx::assert_abs_diff_eq;

use softmargin::ffi::*;

const CANARY: f64 = 12345.0;
const BAD_REDUCTIONS: [i32; 7] = [3, 7, -1, 1 << 30, i32::MIN, i32::MAX, 255];

fn status_text(status: i32) -> String {
    // SAFETY: softmargin_status_str returns a static NUL-terminated string for any input.
    unsafe { CStr::from_ptr(softmargin_status_str(status)) }
        .to_str()
        .unwrap()
        .to_owned()
}

macro_rules! abi_tests {
    ($m:ident, $t:ty, $fwd:ident, $bwd:ident, $fb:ident, $chk:ident) => {
        mod $m {
            use super::*;
            type T = $t;

            fn canary(n: usize) -> Vec<T> {
                vec![CANARY as T; n]
            }

            fn untouched(v: &[T]) -> bool {
                v.iter().all(|&e| e == CANARY as T)
            }

            fn xy() -> (Vec<T>, Vec<T>) {
                (
                    vec![0.5, -2.0, 3.1, -0.2, -100.0],
                    vec![1.0, -1.0, 1.0, -1.0, 1.0],
                )
            }

            #[test]
            fn invalid_reductions_are_refused_without_writing() {
                let (x, y) = xy();
                for r in BAD_REDUCTIONS {
                    let mut out = canary(5);
                    let mut grad = canary(5);
                    unsafe {
                        let s = $fwd(x.as_ptr(), y.as_ptr(), 5, r, out.as_mut_ptr());
                        assert_eq!(s, SOFTMARGIN_STATUS_INVALID_REDUCTION);
                        let s = $bwd(x.as_ptr(), x.as_ptr(), y.as_ptr(), 5, r, grad.as_mut_ptr());
                        assert_eq!(s, SOFTMARGIN_STATUS_INVALID_REDUCTION);
                        let s = $fb(
                            x.as_ptr(),
                            y.as_ptr(),
                            5,
                            r,
                            out.as_mut_ptr(),
                            grad.as_mut_ptr(),
                        );
                        assert_eq!(s, SOFTMARGIN_STATUS_INVALID_REDUCTION);
                    }
                    assert!(untouched(&out) && untouched(&grad));
                }
            }

            #[test]
            fn null_pointers() {
                let (x, y) = xy();
                let mut out = canary(5);
                let mut grad = canary(5);
                unsafe {
                    // len 0: NULL arrays are fine; a reduced output must still be given.
                    for r in [
                        SOFTMARGIN_REDUCTION_NONE,
                        SOFTMARGIN_REDUCTION_MEAN,
                        SOFTMARGIN_REDUCTION_SUM,
                    ] {
                        let expect = if r == SOFTMARGIN_REDUCTION_NONE {
                            SOFTMARGIN_STATUS_OK
                        } else {
                            SOFTMARGIN_STATUS_NULL_POINTER
                        };
                        assert_eq!($fwd(null(), null(), 0, r, null_mut()), expect);
                        assert_eq!($bwd(null(), null(), null(), 0, r, null_mut()), expect);
                        assert_eq!($fb(null(), null(), 0, r, null_mut(), null_mut()), expect);
                    }
                    // len > 0: every array pointer is required.
                    let r = SOFTMARGIN_REDUCTION_NONE;
                    assert_eq!(
                        $fwd(null(), y.as_ptr(), 5, r, out.as_mut_ptr()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $fwd(x.as_ptr(), null(), 5, r, out.as_mut_ptr()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $fwd(x.as_ptr(), y.as_ptr(), 5, r, null_mut()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $bwd(null(), x.as_ptr(), y.as_ptr(), 5, r, grad.as_mut_ptr()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $bwd(x.as_ptr(), x.as_ptr(), y.as_ptr(), 5, r, null_mut()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $fb(x.as_ptr(), y.as_ptr(), 5, r, out.as_mut_ptr(), null_mut()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    let m = SOFTMARGIN_REDUCTION_MEAN;
                    assert_eq!(
                        $bwd(null(), x.as_ptr(), y.as_ptr(), 5, m, grad.as_mut_ptr()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                    assert_eq!(
                        $fb(x.as_ptr(), y.as_ptr(), 5, m, null_mut(), grad.as_mut_ptr()),
                        SOFTMARGIN_STATUS_NULL_POINTER
                    );
                }
                assert!(untouched(&out) && untouched(&grad));
                // len 0 with a reduced output: MEAN is NaN, SUM is 0.
                let mut v: T = CANARY as T;
                unsafe {
                    assert_eq!(
                        $fwd(null(), null(), 0, SOFTMARGIN_REDUCTION_MEAN, &mut v),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert!(v.is_nan());
                    assert_eq!(
                        $fwd(null(), null(), 0, SOFTMARGIN_REDUCTION_SUM, &mut v),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert_eq!(v, 0.0);
                }
            }

            #[test]
            fn overlaps_are_refused_and_exact_aliases_work() {
                let (x, y) = xy();
                let mut expected = canary(5);
                let mut expected_grad = canary(5);
                unsafe {
                    assert_eq!(
                        $fb(
                            x.as_ptr(),
                            y.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_NONE,
                            expected.as_mut_ptr(),
                            expected_grad.as_mut_ptr()
                        ),
                        SOFTMARGIN_STATUS_OK
                    );
                    // Output shifted by one element over the input.
                    let mut buf = canary(6);
                    buf[..5].copy_from_slice(&x);
                    let before = buf.clone();
                    let p = buf.as_mut_ptr();
                    assert_eq!(
                        $fwd(p, y.as_ptr(), 5, SOFTMARGIN_REDUCTION_NONE, p.add(1)),
                        SOFTMARGIN_STATUS_OVERLAP
                    );
                    assert_eq!(
                        $bwd(
                            y.as_ptr(),
                            p.add(1),
                            y.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_NONE,
                            p
                        ),
                        SOFTMARGIN_STATUS_OVERLAP
                    );
                    // A scalar output inside a longer input.
                    assert_eq!(
                        $fwd(p, y.as_ptr(), 5, SOFTMARGIN_REDUCTION_MEAN, p.add(2)),
                        SOFTMARGIN_STATUS_OVERLAP
                    );
                    // The two outputs of the fused pass on one buffer.
                    assert_eq!(
                        $fb(x.as_ptr(), y.as_ptr(), 5, SOFTMARGIN_REDUCTION_NONE, p, p),
                        SOFTMARGIN_STATUS_OVERLAP
                    );
                    assert_eq!(
                        $fb(
                            x.as_ptr(),
                            y.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_SUM,
                            p.add(4),
                            p
                        ),
                        SOFTMARGIN_STATUS_OVERLAP
                    );
                    assert_eq!(buf, before);

                    // Exact aliases: in place over the input, over the target, fused over both.
                    let mut a = x.clone();
                    assert_eq!(
                        $fwd(
                            a.as_ptr(),
                            y.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_NONE,
                            a.as_mut_ptr()
                        ),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert_eq!(a, expected);
                    let mut a = x.clone();
                    let mut b = y.clone();
                    assert_eq!(
                        $fb(
                            a.as_ptr(),
                            b.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_NONE,
                            a.as_mut_ptr(),
                            b.as_mut_ptr()
                        ),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert_eq!((a, b), (expected.clone(), expected_grad.clone()));
                    // In place over the target.
                    let mut b = y.clone();
                    assert_eq!(
                        $fwd(
                            x.as_ptr(),
                            b.as_ptr(),
                            5,
                            SOFTMARGIN_REDUCTION_NONE,
                            b.as_mut_ptr()
                        ),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert_eq!(b, expected);
                    // grad_output, input and target all the output buffer.
                    let mut g = vec![1.0 as T; 5];
                    let s = $bwd(
                        g.as_ptr(),
                        g.as_ptr(),
                        g.as_ptr(),
                        5,
                        SOFTMARGIN_REDUCTION_NONE,
                        g.as_mut_ptr(),
                    );
                    assert_eq!(s, SOFTMARGIN_STATUS_OK);
                    // -1 * sigmoid(-1) * 1
                    assert_abs_diff_eq!(g[0] as f64, -0.268_941_421_369_995_1, epsilon = 1e-6);
                    // len 1: a scalar output may be the input itself.
                    let mut one = [-100.0 as T];
                    let s = $fwd(
                        one.as_ptr(),
                        y.as_ptr(),
                        1,
                        SOFTMARGIN_REDUCTION_MEAN,
                        one.as_mut_ptr(),
                    );
                    assert_eq!((s, one[0]), (SOFTMARGIN_STATUS_OK, 100.0));
                }
            }

            #[test]
            fn misaligned_and_oversized_buffers_are_refused() {
                let (x, y) = xy();
                let mut out = canary(6);
                unsafe {
                    let odd = out.as_mut_ptr().cast::<u8>().add(1).cast::<T>();
                    assert_eq!(
                        $fwd(x.as_ptr(), y.as_ptr(), 5, SOFTMARGIN_REDUCTION_NONE, odd),
                        SOFTMARGIN_STATUS_MISALIGNED
                    );
                    let odd_in = x.as_ptr().cast::<u8>().add(2).cast::<T>();
                    assert_eq!(
                        $fwd(
                            odd_in,
                            y.as_ptr(),
                            4,
                            SOFTMARGIN_REDUCTION_SUM,
                            out.as_mut_ptr()
                        ),
                        SOFTMARGIN_STATUS_MISALIGNED
                    );
                    for len in [
                        usize::MAX,
                        usize::MAX / 2,
                        isize::MAX as usize / std::mem::size_of::<T>() + 1,
                    ] {
                        assert_eq!(
                            $fwd(
                                x.as_ptr(),
                                y.as_ptr(),
                                len,
                                SOFTMARGIN_REDUCTION_NONE,
                                out.as_mut_ptr()
                            ),
                            SOFTMARGIN_STATUS_INVALID_ARGUMENT
                        );
                        let mut idx = 77usize;
                        assert_eq!(
                            $chk(y.as_ptr(), len, &mut idx),
                            SOFTMARGIN_STATUS_INVALID_ARGUMENT
                        );
                        assert_eq!(idx, 77);
                    }
                }
                assert!(untouched(&out));
            }

            #[test]
            fn check_target() {
                let mut idx = 999usize;
                unsafe {
                    let good = [1.0 as T, -1.0, 1.0];
                    assert_eq!($chk(good.as_ptr(), 3, &mut idx), SOFTMARGIN_STATUS_OK);
                    assert_eq!(idx, 3);
                    let zero_one = [1.0 as T, 0.0, 1.0, 0.0];
                    assert_eq!(
                        $chk(zero_one.as_ptr(), 4, &mut idx),
                        SOFTMARGIN_STATUS_INVALID_TARGET
                    );
                    assert_eq!(idx, 1);
                    let nan = [1.0 as T, -1.0, T::NAN];
                    assert_eq!(
                        $chk(nan.as_ptr(), 3, &mut idx),
                        SOFTMARGIN_STATUS_INVALID_TARGET
                    );
                    assert_eq!(idx, 2);
                    assert_eq!(
                        $chk(nan.as_ptr(), 3, null_mut()),
                        SOFTMARGIN_STATUS_INVALID_TARGET
                    );
                    assert_eq!($chk(null(), 0, &mut idx), SOFTMARGIN_STATUS_OK);
                    assert_eq!(idx, 0);
                    idx = 5;
                    assert_eq!($chk(null(), 2, &mut idx), SOFTMARGIN_STATUS_NULL_POINTER);
                    assert_eq!(idx, 5);
                    // first_invalid inside the targets.
                    let mut buf = [1.0 as T; 8];
                    let inside = buf.as_mut_ptr().cast::<usize>();
                    assert_eq!($chk(buf.as_ptr(), 8, inside), SOFTMARGIN_STATUS_OVERLAP);
                    assert!(buf.iter().all(|&v| v == 1.0));
                    let odd = (&mut idx as *mut usize).cast::<u8>().add(1).cast::<usize>();
                    assert_eq!($chk(good.as_ptr(), 3, odd), SOFTMARGIN_STATUS_MISALIGNED);
                }
            }

            #[test]
            fn special_values() {
                let inf = T::INFINITY;
                let x = [
                    -100.0,
                    inf,
                    -inf,
                    inf,
                    T::NAN,
                    1.0,
                    0.0,
                    T::MIN_POSITIVE / 4.0,
                    2.0,
                    inf,
                ];
                let y = [1.0, 1.0, 1.0, -0.5, 1.0, T::NAN, 1.0, 1.0, inf, 0.0];
                let n = x.len();
                let mut loss = canary(n);
                let mut grad = canary(n);
                unsafe {
                    let s = $fb(
                        x.as_ptr(),
                        y.as_ptr(),
                        n,
                        SOFTMARGIN_REDUCTION_NONE,
                        loss.as_mut_ptr(),
                        grad.as_mut_ptr(),
                    );
                    assert_eq!(s, SOFTMARGIN_STATUS_OK);
                }
                // PyTorch's overflow case: 100 and -1, not inf and NaN.
                assert_eq!((loss[0], grad[0]), (100.0, -1.0));
                // Infinite inputs: the limits.
                assert_eq!((loss[1], grad[1]), (0.0, 0.0));
                assert_eq!((loss[2], grad[2]), (inf, -1.0));
                assert_eq!((loss[3], grad[3]), (inf, 0.5));
                // NaN in, NaN out.
                assert!(
                    loss[4].is_nan() && grad[4].is_nan() && loss[5].is_nan() && grad[5].is_nan()
                );
                // Zero and subnormal inputs: log 2 and -1/2 (to the last place).
                assert_eq!((loss[6], grad[6]), (std::f64::consts::LN_2 as T, -0.5));
                assert_eq!((loss[7], grad[7]), (std::f64::consts::LN_2 as T, -0.5));
                // Infinite target, finite input: margin -inf, loss 0, gradient 0 (not inf * 0).
                assert_eq!((loss[8], grad[8]), (0.0, 0.0));
                // Zero target, infinite input: 0 * inf is undefined.
                assert!(loss[9].is_nan() && grad[9].is_nan());
                // Reductions carry inf and NaN.
                let mut v: T = 0.0;
                unsafe {
                    assert_eq!(
                        $fwd(
                            x[..4].as_ptr(),
                            y.as_ptr(),
                            4,
                            SOFTMARGIN_REDUCTION_SUM,
                            &mut v
                        ),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert_eq!(v, inf);
                    assert_eq!(
                        $fwd(x.as_ptr(), y.as_ptr(), n, SOFTMARGIN_REDUCTION_MEAN, &mut v),
                        SOFTMARGIN_STATUS_OK
                    );
                    assert!(v.is_nan());
                }
            }

            #[test]
            fn c_results_equal_the_core() {
                let n = 70_001;
                let x: Vec<T> = (0..n).map(|i| (i as T - 35_000.0) * 0.01).collect();
                let y: Vec<T> = (0..n)
                    .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
                    .collect();
                let mut out = canary(n);
                let mut mean: T = 0.0;
                unsafe {
                    assert_eq!(
                        $fwd(
                            x.as_ptr(),
                            y.as_ptr(),
                            n,
                            SOFTMARGIN_REDUCTION_NONE,
                            out.as_mut_ptr()
                        ),
                        0
                    );
                    assert_eq!(
                        $fwd(
                            x.as_ptr(),
                            y.as_ptr(),
                            n,
                            SOFTMARGIN_REDUCTION_MEAN,
                            &mut mean
                        ),
                        0
                    );
                }
                let mut core = vec![0.0 as T; n];
                softmargin::forward_none(&x[..], &y[..], &mut core).unwrap();
                assert_eq!(out, core);
                let core_mean =
                    softmargin::forward_reduced(&x, &y, softmargin::Reduced::Mean).unwrap();
                assert_eq!(mean.to_bits(), core_mean.to_bits());
            }

            /// Every pair of rules broken in one call gives the status of the rule the header
            /// lists first, wherever the two are broken: on the same buffer, the later rule's
            /// buffer before the earlier rule's, or after it.
            #[test]
            fn rules_are_checked_in_the_documented_order() {
                type Call = unsafe fn(&[usize], usize, i32) -> i32;
                let calls: [(&str, Call, &[usize], i32); 7] = [
                    (
                        "forward NONE",
                        |p, n, r| unsafe { $fwd(p[0] as _, p[1] as _, n, r, p[2] as _) },
                        &[2],
                        SOFTMARGIN_REDUCTION_NONE,
                    ),
                    (
                        "forward MEAN",
                        |p, n, r| unsafe { $fwd(p[0] as _, p[1] as _, n, r, p[2] as _) },
                        &[2],
                        SOFTMARGIN_REDUCTION_MEAN,
                    ),
                    (
                        "backward NONE",
                        |p, n, r| unsafe { $bwd(p[0] as _, p[1] as _, p[2] as _, n, r, p[3] as _) },
                        &[3],
                        SOFTMARGIN_REDUCTION_NONE,
                    ),
                    (
                        "backward SUM",
                        |p, n, r| unsafe { $bwd(p[0] as _, p[1] as _, p[2] as _, n, r, p[3] as _) },
                        &[3],
                        SOFTMARGIN_REDUCTION_SUM,
                    ),
                    (
                        "forward_backward NONE",
                        |p, n, r| unsafe { $fb(p[0] as _, p[1] as _, n, r, p[2] as _, p[3] as _) },
                        &[2, 3],
                        SOFTMARGIN_REDUCTION_NONE,
                    ),
                    (
                        "forward_backward MEAN",
                        |p, n, r| unsafe { $fb(p[0] as _, p[1] as _, n, r, p[2] as _, p[3] as _) },
                        &[2, 3],
                        SOFTMARGIN_REDUCTION_MEAN,
                    ),
                    // No reduction: the `reduction` argument is ignored.
                    (
                        "check_target",
                        |p, n, _| unsafe { $chk(p[0] as _, n, p[1] as _) },
                        &[1],
                        SOFTMARGIN_REDUCTION_NONE,
                    ),
                ];
                // The header's order.
                let rules = [
                    SOFTMARGIN_STATUS_INVALID_REDUCTION,
                    SOFTMARGIN_STATUS_INVALID_ARGUMENT,
                    SOFTMARGIN_STATUS_NULL_POINTER,
                    SOFTMARGIN_STATUS_MISALIGNED,
                    SOFTMARGIN_STATUS_OVERLAP,
                ];
                let n = 5;
                let mut mem = canary(6 * n);
                let size = std::mem::size_of::<T>();
                for (name, call, outputs, reduction) in calls {
                    let params = outputs.iter().max().unwrap() + 1;
                    let base: Vec<usize> = (0..params)
                        .map(|i| mem[i * n..].as_mut_ptr() as usize)
                        .collect();
                    // Which parameters can break a rule (None: the call itself breaks it).
                    let has_reduction = !name.starts_with("check");
                    let can = |rule: i32, j: usize| match rule {
                        SOFTMARGIN_STATUS_OVERLAP => outputs.contains(&j),
                        SOFTMARGIN_STATUS_INVALID_REDUCTION => false,
                        // first_invalid may be NULL.
                        SOFTMARGIN_STATUS_NULL_POINTER => has_reduction || j == 0,
                        _ => true,
                    };
                    let breaks_call = |rule| rule == SOFTMARGIN_STATUS_INVALID_REDUCTION;
                    let rules: Vec<i32> = rules
                        .into_iter()
                        .filter(|&r| has_reduction || !breaks_call(r))
                        .collect();
                    // Breaks `rule` at parameter `j` of `p` (or of the call).
                    let apply = |rule: i32, j: usize, p: &mut Vec<usize>, r: &mut i32| match rule {
                        SOFTMARGIN_STATUS_INVALID_REDUCTION => *r = 7,
                        // A buffer that would reach past the end of the address space (also
                        // a single value), aligned for its type.
                        SOFTMARGIN_STATUS_INVALID_ARGUMENT => p[j] = usize::MAX - (size - 1),
                        SOFTMARGIN_STATUS_NULL_POINTER => p[j] = 0,
                        SOFTMARGIN_STATUS_MISALIGNED => p[j] += 1,
                        // Partly over the first input.
                        _ => p[j] = base[0] + size,
                    };
                    for (a, &first) in rules.iter().enumerate() {
                        for &later in &rules[a + 1..] {
                            let firsts: Vec<Option<usize>> = if breaks_call(first) {
                                vec![None]
                            } else {
                                (0..params).filter(|&j| can(first, j)).map(Some).collect()
                            };
                            let laters: Vec<usize> =
                                (0..params).filter(|&j| can(later, j)).collect();
                            for &i in &firsts {
                                for &j in &laters {
                                    if i == Some(j) && later == SOFTMARGIN_STATUS_OVERLAP {
                                        continue;
                                    }
                                    let (mut p, mut r) = (base.clone(), reduction);
                                    apply(later, j, &mut p, &mut r);
                                    apply(first, i.unwrap_or(0), &mut p, &mut r);
                                    // SAFETY: the call is refused before any access.
                                    let got = unsafe { call(&p, n, r) };
                                    assert_eq!(
                                        got, first,
                                        "{name}: rule {first} at {i:?} and rule {later} at {j}"
                                    );
                                }
                            }
                        }
                    }
                }
                assert!(untouched(&mem));
            }
        }
    };
}

abi_tests!(
    f32_abi,
    f32,
    softmargin_forward_f32,
    softmargin_backward_f32,
    softmargin_forward_backward_f32,
    softmargin_check_target_f32
);
abi_tests!(
    f64_abi,
    f64,
    softmargin_forward_f64,
    softmargin_backward_f64,
    softmargin_forward_backward_f64,
    softmargin_check_target_f64
);

#[test]
fn status_str_describes_any_integer() {
    let known = [
        SOFTMARGIN_STATUS_OK,
        SOFTMARGIN_STATUS_NULL_POINTER,
        SOFTMARGIN_STATUS_INVALID_REDUCTION,
        SOFTMARGIN_STATUS_OVERLAP,
        SOFTMARGIN_STATUS_INVALID_TARGET,
        SOFTMARGIN_STATUS_INVALID_ARGUMENT,
        SOFTMARGIN_STATUS_PANIC,
        SOFTMARGIN_STATUS_MISALIGNED,
        SOFTMARGIN_STATUS_INVALID_PARTIAL,
    ];
    let mut texts: Vec<String> = known.iter().map(|&s| status_text(s)).collect();
    assert!(texts.iter().all(|t| !t.is_empty() && t != "unknown status"));
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), known.len(), "descriptions are distinct");
    for s in (-1000..1000).chain([i32::MIN, i32::MAX, 1 << 30]) {
        let text = status_text(s);
        assert_eq!(text == "unknown status", !known.contains(&s), "{s}: {text}");
    }
    assert_ne!(SOFTMARGIN_STATUS_OK, SOFTMARGIN_STATUS_PANIC);
}

#[test]
fn version_matches_the_package() {
    // SAFETY: softmargin_version returns a static NUL-terminated string.
    let v = unsafe { CStr::from_ptr(softmargin_version()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
}

#[test]
fn isa_names_the_path_in_use() {
    // SAFETY: softmargin_isa returns a static NUL-terminated string.
    let name = unsafe { CStr::from_ptr(softmargin_isa()) };
    assert_eq!(name.to_str().unwrap(), softmargin::isa().name());
    assert!(["portable", "avx2", "avx512"].contains(&softmargin::isa().name()));
}

#[test]
fn thread_count_bounds() {
    let before = softmargin_get_num_threads();
    assert!(before >= 1);
    assert_eq!(
        softmargin_set_num_threads(SOFTMARGIN_MAX_THREADS + 1),
        SOFTMARGIN_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(
        softmargin_set_num_threads(usize::MAX),
        SOFTMARGIN_STATUS_INVALID_ARGUMENT
    );
    assert_eq!(softmargin_get_num_threads(), before);
    assert_eq!(softmargin_set_num_threads(3), SOFTMARGIN_STATUS_OK);
    assert_eq!(softmargin_get_num_threads(), 3);
    assert_eq!(softmargin_set_num_threads(0), SOFTMARGIN_STATUS_OK);
    assert_eq!(
        softmargin_get_num_threads(),
        softmargin::default_num_threads()
    );
}
