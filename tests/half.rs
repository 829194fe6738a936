//! float16 and bfloat16: every input for targets +1 and -1, and random pairs with any target,
//! against the independent double-double reference, each result required to be the correctly
//! rounded one; reductions rounded once; the C entry points' rules.

mod common;

use common::reference::{self, Format, Scaled};
use common::{Rng, BF16_FORMAT, F16_FORMAT};
use softmargin::ffi::*;
use softmargin::{Bf16, Partial, BLOCK, F16};

type Forward = unsafe extern "C" fn(*const u16, *const u16, usize, i32, *mut u16) -> i32;
type Backward =
    unsafe extern "C" fn(*const u16, *const u16, *const u16, usize, i32, *mut u16) -> i32;
type Fused = unsafe extern "C" fn(*const u16, *const u16, usize, i32, *mut u16, *mut u16) -> i32;
type Check = unsafe extern "C" fn(*const u16, usize, *mut usize) -> i32;
type Hessian = unsafe extern "C" fn(*const u16, *const u16, usize, i32, *mut u16, *mut u16) -> i32;
type PartialOf = unsafe extern "C" fn(*const u16, *const u16, usize, *mut PartialBytes) -> i32;
type Shard = unsafe extern "C" fn(
    *const u16,
    *const u16,
    usize,
    usize,
    i32,
    *mut PartialBytes,
    *mut u16,
) -> i32;
type Finish = unsafe extern "C" fn(*const PartialBytes, i32, *mut u16) -> i32;

/// One half format: its conversions, its C entry points and its canonical NaN.
struct Api {
    name: &'static str,
    format: Format,
    widen: fn(u16) -> f32,
    round: fn(f32) -> u16,
    nan: u16,
    one: u16,
    forward: Forward,
    backward: Backward,
    fused: Fused,
    check: Check,
    hessian: Hessian,
    partial: PartialOf,
    shard: Shard,
    finish: Finish,
}

const F16_API: Api = Api {
    name: "f16",
    format: F16_FORMAT,
    widen: |b| F16::from_bits(b).to_f32(),
    round: |v| F16::from_f32(v).to_bits(),
    nan: 0x7e00,
    one: 0x3c00,
    forward: softmargin_forward_f16,
    backward: softmargin_backward_f16,
    fused: softmargin_forward_backward_f16,
    check: softmargin_check_target_f16,
    hessian: softmargin_gradient_hessian_f16,
    partial: softmargin_forward_partial_f16,
    shard: softmargin_forward_backward_shard_f16,
    finish: softmargin_partial_finish_f16,
};

const BF16_API: Api = Api {
    name: "bf16",
    format: BF16_FORMAT,
    widen: |b| Bf16::from_bits(b).to_f32(),
    round: |v| Bf16::from_f32(v).to_bits(),
    nan: 0x7fc0,
    one: 0x3f80,
    forward: softmargin_forward_bf16,
    backward: softmargin_backward_bf16,
    fused: softmargin_forward_backward_bf16,
    check: softmargin_check_target_bf16,
    hessian: softmargin_gradient_hessian_bf16,
    partial: softmargin_forward_partial_bf16,
    shard: softmargin_forward_backward_shard_bf16,
    finish: softmargin_partial_finish_bf16,
};

/// Whether `got` is the correctly rounded value of `sign * want` in `format`. Where the
/// reference holds the exact value exactly at a midpoint, it could not separate the two:
/// `beyond` says on which side the exact value is, in magnitude (`None`: a true tie, which
/// rounds to even).
fn correctly_rounded(
    got: f32,
    sign: f64,
    want: Scaled,
    format: Format,
    beyond: Option<bool>,
) -> bool {
    let err = reference::ulp_error(f64::from(got), sign, want, format);
    if err != 0.5 {
        return err < 0.5;
    }
    let above = reference::ldexp(f64::from(got) * sign, -want.k) > want.v.hi;
    match beyond {
        Some(b) => above == b,
        // Even: the last kept bit of the half value is 0 (f32 bits 13 or 16 up).
        None => {
            let shift = if format.mantissa == 10 { 13 } else { 16 };
            (got.to_bits() >> shift) & 1 == 0 || got == 0.0
        }
    }
}

/// The loss and gradient bits of every pair, through the fused NONE entry point.
fn fused_none(api: &Api, x: &[u16], y: &[u16]) -> (Vec<u16>, Vec<u16>) {
    let mut loss = vec![0u16; x.len()];
    let mut grad = vec![0u16; x.len()];
    let status = unsafe {
        (api.fused)(
            x.as_ptr(),
            y.as_ptr(),
            x.len(),
            SOFTMARGIN_REDUCTION_NONE,
            loss.as_mut_ptr(),
            grad.as_mut_ptr(),
        )
    };
    assert_eq!(status, SOFTMARGIN_STATUS_OK);
    (loss, grad)
}

/// Every pair's loss and gradient checked against the reference; returns the count checked.
fn check_pairs(api: &Api, x: &[u16], y: &[u16]) -> usize {
    let (loss, grad) = fused_none(api, x, y);
    // The separate entry points give bitwise the same results.
    let mut separate = vec![0u16; x.len()];
    let ones = vec![api.one; x.len()];
    unsafe {
        let s = (api.forward)(
            x.as_ptr(),
            y.as_ptr(),
            x.len(),
            SOFTMARGIN_REDUCTION_NONE,
            separate.as_mut_ptr(),
        );
        assert_eq!(s, SOFTMARGIN_STATUS_OK);
        assert_eq!(
            separate, loss,
            "{}: forward and forward_backward differ",
            api.name
        );
        let s = (api.backward)(
            ones.as_ptr(),
            x.as_ptr(),
            y.as_ptr(),
            x.len(),
            SOFTMARGIN_REDUCTION_NONE,
            separate.as_mut_ptr(),
        );
        assert_eq!(s, SOFTMARGIN_STATUS_OK);
        assert_eq!(
            separate, grad,
            "{}: backward and forward_backward differ",
            api.name
        );
    }
    let mut checked = 0;
    for i in 0..x.len() {
        let (xf, yf) = ((api.widen)(x[i]), (api.widen)(y[i]));
        let (l, g) = ((api.widen)(loss[i]), (api.widen)(grad[i]));
        if xf.is_nan() || yf.is_nan() {
            assert_eq!(
                (loss[i], grad[i]),
                (api.nan, api.nan),
                "{}: NaN in",
                api.name
            );
            continue;
        }
        let (xd, yd) = (f64::from(xf), f64::from(yf));
        let Some(want) = reference::loss(xd, yd) else {
            continue; // an infinite margin: the limits are checked by the f32 tests
        };
        assert!(
            // The loss is above its margin: the reference's last term may vanish there.
            correctly_rounded(l, 1.0, want, api.format, Some(true)),
            "{}: loss at x = {xf:e}, y = {yf:e}: {l:e} ({:#06x}), {} ulp",
            api.name,
            loss[i],
            reference::ulp_error(f64::from(l), 1.0, want, api.format)
        );
        let (sign, want) = reference::slope(xd, yd).unwrap();
        // sigmoid(m) = 1/2 + m/4 for a tiny margin m, beyond what the reference resolves.
        let m = -yd * xd;
        let beyond = (m != 0.0).then_some(m > 0.0);
        assert!(
            correctly_rounded(g, sign, want, api.format, beyond),
            "{}: gradient at x = {xf:e}, y = {yf:e}: {g:e} ({:#06x}), {} ulp",
            api.name,
            grad[i],
            reference::ulp_error(f64::from(g), sign, want, api.format)
        );
        checked += 1;
    }
    checked
}

fn every_input_for_unit_targets(api: &Api) {
    let x: Vec<u16> = (0..=u16::MAX).collect();
    for target in [1.0f32, -1.0] {
        let y = vec![(api.round)(target); x.len()];
        let checked = check_pairs(api, &x, &y);
        println!(
            "{}: y = {target}: {checked} finite inputs correctly rounded",
            api.name
        );
        assert!(checked > 60_000);
    }
}

/// Random pairs: any finite input and target bits (a quarter of the targets near +-1); the
/// count is `n`, or `SOFTMARGIN_HALF_PAIRS` when set (for longer sweeps).
fn random_pairs(api: &Api, n: usize, seed: u64) {
    let n = std::env::var("SOFTMARGIN_HALF_PAIRS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(n);
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    while x.len() < n {
        let (a, b) = (rng.next_u64() as u16, rng.next_u64() as u16);
        let b = if rng.below(4) == 0 {
            (api.round)((api.widen)(api.one) * (1.0 + (b as f32 - 32768.0) * 1e-5))
        } else {
            b
        };
        if (api.widen)(a).is_finite() && (api.widen)(b).is_finite() {
            x.push(a);
            y.push(b);
        }
    }
    let checked = check_pairs(api, &x, &y);
    println!("{}: {checked} random pairs correctly rounded", api.name);
}

#[test]
fn f16_every_input_for_unit_targets() {
    every_input_for_unit_targets(&F16_API);
}

#[test]
fn bf16_every_input_for_unit_targets() {
    every_input_for_unit_targets(&BF16_API);
}

#[test]
fn f16_random_pairs_with_any_target() {
    random_pairs(&F16_API, 400_000, 1);
}

#[test]
fn bf16_random_pairs_with_any_target() {
    random_pairs(&BF16_API, 400_000, 2);
}

#[test]
fn where_pytorch_s_half_types_overflow() {
    let f16 = |v: f32| F16::from_f32(v).to_bits();
    let (loss, grad) = fused_none(&F16_API, &[f16(-12.0)], &[f16(1.0)]);
    assert_eq!((loss[0], grad[0]), (f16(12.0), f16(-1.0)));
    let bf16 = |v: f32| Bf16::from_f32(v).to_bits();
    let (loss, grad) = fused_none(&BF16_API, &[bf16(-100.0)], &[bf16(1.0)]);
    assert_eq!((loss[0], grad[0]), (bf16(100.0), bf16(-1.0)));
}

/// MEAN and SUM, accumulated wide and rounded once: within half an ulp of the exact value, give
/// or take the wide sum's own error; and the same bits for any thread count.
#[test]
fn reductions_are_rounded_once() {
    for api in [&F16_API, &BF16_API] {
        let mut rng = Rng::new(3);
        let n = 100_000;
        let x: Vec<u16> = (0..n)
            .map(|_| (api.round)(rng.uniform(-6.0, 6.0) as f32))
            .collect();
        let y: Vec<u16> = (0..n).map(|_| (api.round)(rng.sign() as f32)).collect();
        let exact = x.iter().zip(&y).fold(reference::Dd::ZERO, |acc, (&a, &b)| {
            let l = reference::loss(f64::from((api.widen)(a)), f64::from((api.widen)(b)));
            acc.add(l.unwrap().v)
        });
        for (reduction, want) in [
            (SOFTMARGIN_REDUCTION_SUM, exact),
            (
                SOFTMARGIN_REDUCTION_MEAN,
                exact.div(reference::Dd::from(n as f64)),
            ),
        ] {
            let mut results = Vec::new();
            for threads in [1, 2, 5] {
                softmargin::set_num_threads(threads).unwrap();
                let mut out = 0u16;
                let s = unsafe { (api.forward)(x.as_ptr(), y.as_ptr(), n, reduction, &mut out) };
                assert_eq!(s, SOFTMARGIN_STATUS_OK);
                results.push(out);
            }
            softmargin::set_num_threads(0).unwrap();
            assert!(results.iter().all(|&r| r == results[0]), "{results:?}");
            let got = f64::from((api.widen)(results[0]));
            let err = reference::ulp_error(got, 1.0, Scaled::plain(want), api.format);
            assert!(
                err <= 0.5 + 1e-3,
                "{} reduction {reduction}: {err} ulp",
                api.name
            );
        }
    }
}

/// The rules of the f32 entry points, for both half types: statuses, in their order, with
/// nothing written.
#[test]
fn bad_arguments_are_refused_without_writing() {
    const CANARY: u16 = 0x1234;
    for api in [&F16_API, &BF16_API] {
        let x = vec![api.one; 9];
        let y = vec![api.one; 9];
        let mut out = vec![CANARY; 9];
        let mut grad = vec![CANARY; 9];
        unsafe {
            assert_eq!(
                (api.forward)(x.as_ptr(), y.as_ptr(), 8, 3, out.as_mut_ptr()),
                SOFTMARGIN_STATUS_INVALID_REDUCTION
            );
            let none = SOFTMARGIN_REDUCTION_NONE;
            assert_eq!(
                (api.forward)(std::ptr::null(), y.as_ptr(), 8, none, out.as_mut_ptr()),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            assert_eq!(
                (api.forward)(
                    x.as_ptr(),
                    y.as_ptr(),
                    usize::MAX / 2,
                    none,
                    out.as_mut_ptr()
                ),
                SOFTMARGIN_STATUS_INVALID_ARGUMENT
            );
            let odd = x.as_ptr().cast::<u8>().add(1).cast::<u16>();
            assert_eq!(
                (api.forward)(odd, y.as_ptr(), 4, none, out.as_mut_ptr()),
                SOFTMARGIN_STATUS_MISALIGNED
            );
            // Overlapping by one element: refused; exactly the input: in place.
            let p = out.as_mut_ptr();
            assert_eq!(
                (api.forward)(p.add(1), y.as_ptr(), 8, none, p),
                SOFTMARGIN_STATUS_OVERLAP
            );
            assert_eq!(
                (api.fused)(
                    x.as_ptr(),
                    y.as_ptr(),
                    8,
                    none,
                    grad.as_mut_ptr(),
                    grad.as_mut_ptr()
                ),
                SOFTMARGIN_STATUS_OVERLAP
            );
            assert_eq!(
                (api.backward)(x.as_ptr(), x.as_ptr(), y.as_ptr(), 8, none, p.add(1)),
                SOFTMARGIN_STATUS_OK
            );
            assert!(out[0] == CANARY && grad.iter().all(|&g| g == CANARY));
            let mut first = 77usize;
            let mut bad = y.clone();
            bad[5] = 0;
            assert_eq!(
                (api.check)(bad.as_ptr(), 9, &mut first),
                SOFTMARGIN_STATUS_INVALID_TARGET
            );
            assert_eq!(first, 5);
            assert_eq!((api.check)(y.as_ptr(), 9, &mut first), SOFTMARGIN_STATUS_OK);
            assert_eq!(first, 9);
            // In place: the loss written over the input gives what a separate buffer does.
            let mut buf = x.clone();
            let mut sep = vec![0u16; 9];
            assert_eq!(
                (api.forward)(x.as_ptr(), y.as_ptr(), 9, none, sep.as_mut_ptr()),
                0
            );
            assert_eq!(
                (api.forward)(buf.as_ptr(), y.as_ptr(), 9, none, buf.as_mut_ptr()),
                0
            );
            assert_eq!(buf, sep);
        }
    }
}

/// Every path gives the bits the portable one gives (F16C conversions included), for every
/// input of both formats and both unit targets, and for a sum.
#[test]
fn every_path_gives_the_same_bits() {
    let x: Vec<u16> = (0..=u16::MAX).collect();
    for api in [&F16_API, &BF16_API] {
        let mut y: Vec<u16> = (0..x.len())
            .map(|i| (api.round)(if i % 3 == 0 { -1.0 } else { 1.0 }))
            .collect();
        y[7] = (api.round)(0.37);
        let run = || {
            let (loss, grad) = fused_none(api, &x, &y);
            let mut sum = 0u16;
            let s = unsafe {
                (api.forward)(
                    x.as_ptr(),
                    y.as_ptr(),
                    x.len(),
                    SOFTMARGIN_REDUCTION_SUM,
                    &mut sum,
                )
            };
            assert_eq!(s, SOFTMARGIN_STATUS_OK);
            (loss, grad, sum)
        };
        let before = softmargin::isa();
        softmargin::set_isa(softmargin::Isa::Portable).unwrap();
        let portable = run();
        for path in common::supported_paths(api.name) {
            softmargin::set_isa(path).unwrap();
            assert!(
                run() == portable,
                "{}: the {} path differs",
                api.name,
                path.name()
            );
        }
        softmargin::set_isa(before).unwrap();
    }
}

/// In place over several leaves (and the pieces a leaf is converted in): the loss written over
/// the input, and the gradient over grad_output or over the input, give what separate buffers
/// give.
#[test]
fn in_place_over_many_leaves_is_out_of_place() {
    for api in [&F16_API, &BF16_API] {
        let n = 3 * 4096 + 700;
        let mut rng = Rng::new(11);
        let x: Vec<u16> = (0..n)
            .map(|_| (api.round)((rng.below(2001) as f32 - 1000.0) / 64.0))
            .collect();
        let y: Vec<u16> = (0..n).map(|i| api.one ^ ((i as u16 % 3) << 15)).collect();
        let g: Vec<u16> = (0..n)
            .map(|_| (api.round)(rng.below(100) as f32 / 37.0))
            .collect();
        let none = SOFTMARGIN_REDUCTION_NONE;
        let (mut loss, mut grad) = (vec![0u16; n], vec![0u16; n]);
        // SAFETY: every buffer holds n values; an output is either its own buffer or exactly an
        // input, which the entry points allow.
        unsafe {
            assert_eq!(
                (api.forward)(x.as_ptr(), y.as_ptr(), n, none, loss.as_mut_ptr()),
                0
            );
            let b = (api.backward)(
                g.as_ptr(),
                x.as_ptr(),
                y.as_ptr(),
                n,
                none,
                grad.as_mut_ptr(),
            );
            assert_eq!(b, 0);
            let mut over_x = x.clone();
            let p = over_x.as_mut_ptr();
            assert_eq!((api.forward)(p, y.as_ptr(), n, none, p), 0);
            assert!(over_x == loss, "{}: forward in place", api.name);
            let mut over_g = g.clone();
            let p = over_g.as_mut_ptr();
            assert_eq!((api.backward)(p, x.as_ptr(), y.as_ptr(), n, none, p), 0);
            assert!(over_g == grad, "{}: backward over grad_output", api.name);
            let mut over_x = x.clone();
            let p = over_x.as_mut_ptr();
            assert_eq!((api.backward)(g.as_ptr(), p, y.as_ptr(), n, none, p), 0);
            assert!(over_x == grad, "{}: backward over the input", api.name);
        }
    }
}

/// The second derivative and the shards through the C entry points: shards cut at a block
/// boundary give the one call's gradient and loss bit for bit, a whole partial is the merged
/// shards', the second derivative's gradient is the fused call's; every refusal of the f32
/// entry points' rules, in their order, with nothing written.
#[test]
fn second_derivative_and_shards_through_c() {
    const CANARY: u16 = 0x1234;
    for api in [&F16_API, &BF16_API] {
        let n = 2 * BLOCK + 77;
        let mut rng = Rng::new(23);
        let x: Vec<u16> = (0..n)
            .map(|_| (api.round)(rng.uniform(-20.0, 20.0) as f32))
            .collect();
        let y: Vec<u16> = (0..n).map(|i| api.one ^ ((i as u16 % 3) << 15)).collect();
        let (xp, yp) = (x.as_ptr(), y.as_ptr());
        let (mean, none) = (SOFTMARGIN_REDUCTION_MEAN, SOFTMARGIN_REDUCTION_NONE);
        // SAFETY: every pointer is valid for what the call reads and writes, or deliberately
        // NULL, misaligned or overlapping where a refusal is expected.
        unsafe {
            let (mut one, mut one_grad) = (0u16, vec![0u16; n]);
            let s = (api.fused)(xp, yp, n, mean, &mut one, one_grad.as_mut_ptr());
            assert_eq!(s, SOFTMARGIN_STATUS_OK);
            let empty = common::c_partial(&Partial::default());
            let (mut first, mut second) = (empty, empty);
            let mut grad = vec![0u16; n];
            let gp = grad.as_mut_ptr();
            assert_eq!((api.shard)(xp, yp, BLOCK, n, mean, &mut first, gp), 0);
            let rest = (api.shard)(
                xp.add(BLOCK),
                yp.add(BLOCK),
                n - BLOCK,
                n,
                mean,
                &mut second,
                gp.add(BLOCK),
            );
            assert_eq!(rest, 0);
            assert!(grad == one_grad, "{}: shard gradients", api.name);
            assert_eq!(softmargin_partial_merge(&mut first, &second), 0);
            let mut whole = common::c_partial(&Partial::default());
            assert_eq!((api.partial)(xp, yp, n, &mut whole), 0);
            assert_eq!(whole, first);
            let mut out = CANARY;
            assert_eq!((api.finish)(&first, mean, &mut out), 0);
            assert_eq!(out, one, "{}: finished MEAN", api.name);
            let (mut g, mut h) = (vec![0u16; n], vec![0u16; n]);
            let s = (api.hessian)(xp, yp, n, mean, g.as_mut_ptr(), h.as_mut_ptr());
            assert_eq!(s, SOFTMARGIN_STATUS_OK);
            assert!(
                g == one_grad,
                "{}: the gradient beside the second",
                api.name
            );
            assert!(h.iter().all(|&v| (api.widen)(v) >= 0.0));

            // Refusals, each with nothing written.
            let (mut g, mut h) = (vec![CANARY; 9], vec![CANARY; 9]);
            let (gq, hq) = (g.as_mut_ptr(), h.as_mut_ptr());
            let hess = |x, y, len, r, g, h| (api.hessian)(x, y, len, r, g, h);
            assert_eq!(
                hess(xp, yp, 8, 7, gq, hq),
                SOFTMARGIN_STATUS_INVALID_REDUCTION
            );
            assert_eq!(
                hess(xp, yp, usize::MAX / 2, none, gq, hq),
                SOFTMARGIN_STATUS_INVALID_ARGUMENT
            );
            assert_eq!(
                hess(xp, std::ptr::null(), 8, none, gq, hq),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            let odd = hq.cast::<u8>().add(1).cast::<u16>();
            assert_eq!(hess(xp, yp, 8, none, gq, odd), SOFTMARGIN_STATUS_MISALIGNED);
            assert_eq!(
                hess(xp, yp, 8, none, gq, gq.add(1)),
                SOFTMARGIN_STATUS_OVERLAP
            );
            let mut xs = x[..8].to_vec();
            assert_eq!(
                hess(xs.as_ptr(), yp, 8, none, xs.as_mut_ptr(), hq),
                SOFTMARGIN_STATUS_OVERLAP
            );
            assert!(g.iter().chain(&h).all(|&v| v == CANARY) && xs[..] == x[..8]);

            let canary = common::c_partial(&Partial::default());
            let mut p = canary;
            let null = std::ptr::null_mut();
            assert_eq!(
                (api.shard)(xp, yp, 4, 4, none, &mut p, gq),
                SOFTMARGIN_STATUS_INVALID_REDUCTION
            );
            assert_eq!(
                (api.shard)(xp, yp, usize::MAX / 2, usize::MAX / 2, mean, &mut p, gq),
                SOFTMARGIN_STATUS_INVALID_ARGUMENT
            );
            assert_eq!(
                (api.shard)(xp, yp, 4, 4, mean, null, gq),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            let odd = gq.cast::<u8>().add(1).cast::<u16>();
            assert_eq!(
                (api.shard)(xp, yp, 4, 4, mean, &mut p, odd),
                SOFTMARGIN_STATUS_MISALIGNED
            );
            assert_eq!(
                (api.shard)(xp, yp, 4, 3, mean, &mut p, gq),
                SOFTMARGIN_STATUS_INVALID_ARGUMENT
            );
            assert_eq!(
                (api.shard)(xp, yp, 4, 4, mean, gq.cast::<PartialBytes>(), gq),
                SOFTMARGIN_STATUS_OVERLAP
            );
            assert_eq!(
                (api.partial)(std::ptr::null(), yp, 4, &mut p),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            assert_eq!(
                (api.partial)(xp, yp, 4, null),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            let mut v = CANARY;
            assert_eq!(
                (api.finish)(&first, none, &mut v),
                SOFTMARGIN_STATUS_INVALID_REDUCTION
            );
            assert_eq!(
                (api.finish)(&first, mean, std::ptr::null_mut()),
                SOFTMARGIN_STATUS_NULL_POINTER
            );
            let odd = (&mut v as *mut u16).cast::<u8>().add(1).cast::<u16>();
            assert_eq!(
                (api.finish)(&first, mean, odd),
                SOFTMARGIN_STATUS_MISALIGNED
            );
            assert!(g.iter().all(|&v| v == CANARY) && p == canary && v == CANARY);
            // The empty partial: a MEAN of NaN, a SUM of 0.
            assert_eq!((api.finish)(&p, mean, &mut v), 0);
            assert!((api.widen)(v).is_nan());
            assert_eq!((api.finish)(&p, SOFTMARGIN_REDUCTION_SUM, &mut v), 0);
            assert_eq!(v, 0);
        }
    }
}
