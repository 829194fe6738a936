//! A data set split into shards, as MPI ranks hold it: each shard's gradient of the global MEAN
//! or SUM is bitwise the one call's over the whole data; the shards' exact partial loss sums,
//! merged in any order, finish to the one call's MEAN and SUM bit for bit when the shards start
//! at block boundaries, and within 2 ulp of it otherwise; the C entry points' rules.

mod common;

use common::{c_partial, Elem, Rng};
use softmargin::ffi::*;
use softmargin::{
    forward_backward_reduced, forward_backward_shard, forward_partial, forward_reduced, Partial,
    Reduced, BLOCK,
};

/// Inputs with margins in [-40, 40] and a sprinkle of wide ones, targets mostly +-1.
fn data<T: Elem>(n: usize, seed: u64) -> (Vec<T>, Vec<T>) {
    let mut rng = Rng::new(seed);
    let x = (0..n)
        .map(|i| {
            if i % 97 == 0 {
                T::random_finite(&mut rng)
            } else {
                T::from_f64(rng.uniform(-40.0, 40.0))
            }
        })
        .collect();
    let y = (0..n)
        .map(|i| {
            T::from_f64(if i % 11 == 0 {
                rng.uniform(-3.0, 3.0)
            } else {
                rng.sign()
            })
        })
        .collect();
    (x, y)
}

/// The shards' gradients (concatenated) and their partials, for shards cut at `cuts`.
fn sharded<T: Elem>(x: &[T], y: &[T], cuts: &[usize], r: Reduced) -> (Vec<T>, Vec<Partial>) {
    let n = x.len();
    let mut grad = vec![T::default(); n];
    let mut partials = Vec::new();
    let bounds: Vec<usize> = std::iter::once(0)
        .chain(cuts.iter().copied())
        .chain([n])
        .collect();
    for w in bounds.windows(2) {
        let (a, b) = (w[0], w[1]);
        let p = forward_backward_shard(&x[a..b], &y[a..b], n, r, &mut grad[a..b]).unwrap();
        assert_eq!(p.count(), (b - a) as u64);
        partials.push(p);
    }
    (grad, partials)
}

/// The partials merged in the given order.
fn merged(partials: &[Partial], order: impl Iterator<Item = usize>) -> Partial {
    let mut all = Partial::default();
    for i in order {
        all.merge(&partials[i]).unwrap();
    }
    all
}

fn ulps<T: Elem>(a: T, b: T) -> f64 {
    if a.bits() == b.bits() {
        return 0.0; // infinities included (a 16-bit SUM can overflow)
    }
    let (a, b) = (a.to_f64(), b.to_f64());
    let ulp = T::from_f64(b.abs()).to_f64();
    let next = T::from_bits(T::from_f64(ulp).bits() + 1).to_f64();
    (a - b).abs() / (next - ulp)
}

fn shards_agree<T: Elem>() {
    let n = 5 * BLOCK + 1234;
    let (x, y) = data::<T>(n, 17);
    for r in [Reduced::Mean, Reduced::Sum] {
        let mut one_grad = vec![T::default(); n];
        let one = forward_backward_reduced(&x[..], &y[..], r, &mut one_grad).unwrap();
        assert_eq!(one.bits(), forward_reduced(&x, &y, r).unwrap().bits());
        // Block-aligned shards, 1 to 4 of them, merged forward, backward and from the middle.
        for cuts in [
            vec![],
            vec![2 * BLOCK],
            vec![BLOCK, 3 * BLOCK],
            vec![BLOCK, 2 * BLOCK, 5 * BLOCK],
            vec![0, BLOCK, 4 * BLOCK],
        ] {
            let (grad, partials) = sharded(&x, &y, &cuts, r);
            let k = partials.len();
            assert!(grad
                .iter()
                .zip(&one_grad)
                .all(|(a, b)| a.bits() == b.bits()));
            let all = merged(&partials, 0..k);
            assert_eq!(all, merged(&partials, (0..k).rev()));
            assert_eq!(all, merged(&partials, (0..k).map(|i| (i + k / 2) % k)));
            assert_eq!(all.count(), n as u64);
            let finished: T = all.finish(r);
            assert_eq!(
                finished.bits(),
                one.bits(),
                "{} {r:?} cuts {cuts:?}",
                T::NAME
            );
        }
        // Anywhere else: the gradients still bitwise, the loss within 2 ulp.
        let mut rng = Rng::new(5);
        let mut worst: f64 = 0.0;
        for _ in 0..20 {
            let mut cuts: Vec<usize> = (0..1 + rng.below(5))
                .map(|_| rng.below(n as u64) as usize)
                .collect();
            cuts.sort();
            let (grad, partials) = sharded(&x, &y, &cuts, r);
            assert!(
                grad.iter()
                    .zip(&one_grad)
                    .all(|(a, b)| a.bits() == b.bits()),
                "{cuts:?}"
            );
            let finished: T = merged(&partials, 0..partials.len()).finish(r);
            let e = ulps(finished, one);
            assert!(e <= 2.0, "{} {r:?} cuts {cuts:?}: {e} ulp", T::NAME);
            worst = worst.max(e);
        }
        println!(
            "{} {r:?}: unaligned shards within {worst} ulp of one call",
            T::NAME
        );
    }
}

#[test]
fn f32_shards_agree_with_one_call() {
    shards_agree::<f32>();
}

#[test]
fn f64_shards_agree_with_one_call() {
    shards_agree::<f64>();
}

#[test]
fn f16_shards_agree_with_one_call() {
    shards_agree::<softmargin::F16>();
}

#[test]
fn bf16_shards_agree_with_one_call() {
    shards_agree::<softmargin::Bf16>();
}

/// One shard holding everything is the one call, at every size around the block.
#[test]
fn a_whole_partial_finishes_to_the_one_call() {
    for n in [
        0,
        1,
        31,
        BLOCK - 1,
        BLOCK,
        BLOCK + 1,
        3 * BLOCK + 7,
        9 * BLOCK,
    ] {
        let (x, y) = data::<f32>(n, n as u64);
        let p = forward_partial(&x, &y).unwrap();
        for r in [Reduced::Mean, Reduced::Sum] {
            let want = forward_reduced(&x, &y, r).unwrap();
            assert_eq!(p.finish::<f32>(r).to_bits(), want.to_bits(), "{n} {r:?}");
        }
        let (xd, yd) = data::<f64>(n, n as u64);
        let p = forward_partial(&xd, &yd).unwrap();
        for r in [Reduced::Mean, Reduced::Sum] {
            let want = forward_reduced(&xd, &yd, r).unwrap();
            assert_eq!(p.finish::<f64>(r).to_bits(), want.to_bits(), "{n} {r:?}");
        }
    }
}

#[test]
fn a_shard_longer_than_the_total_is_refused() {
    let (x, y) = data::<f32>(10, 1);
    let mut g = vec![7.0f32; 10];
    assert_eq!(
        forward_backward_shard(&x, &y, 9, Reduced::Mean, &mut g),
        Err(softmargin::Error::ShardBeyondTotal)
    );
    assert!(g.iter().all(|&v| v == 7.0));
}

/// The C entry points: the same results as the Rust ones, every refusal writing nothing.
#[test]
fn c_entry_points() {
    let n = 2 * BLOCK + 5;
    let (x, y) = data::<f32>(n, 3);
    let mean = SOFTMARGIN_REDUCTION_MEAN;
    let canary = c_partial(&Partial::default());
    let mut first = canary;
    let mut second = canary;
    let mut grad = vec![0.0f32; n];
    // SAFETY: every pointer is valid for what the call reads and writes, or deliberately NULL,
    // misaligned or overlapping where a refusal is expected.
    unsafe {
        let (xp, yp) = (x.as_ptr(), y.as_ptr());
        let cut = BLOCK;
        let s = softmargin_forward_backward_shard_f32(
            xp,
            yp,
            cut,
            n,
            mean,
            &mut first,
            grad.as_mut_ptr(),
        );
        assert_eq!(s, SOFTMARGIN_STATUS_OK);
        let s = softmargin_forward_backward_shard_f32(
            xp.add(cut),
            yp.add(cut),
            n - cut,
            n,
            mean,
            &mut second,
            grad.as_mut_ptr().add(cut),
        );
        assert_eq!(s, SOFTMARGIN_STATUS_OK);
        assert_eq!(
            softmargin_partial_merge(&mut first, &second),
            SOFTMARGIN_STATUS_OK
        );
        let mut out = 0.0f32;
        assert_eq!(softmargin_partial_finish_f32(&first, mean, &mut out), 0);
        let mut one = 0.0f32;
        let mut one_grad = vec![0.0f32; n];
        assert_eq!(
            softmargin_forward_backward_f32(xp, yp, n, mean, &mut one, one_grad.as_mut_ptr()),
            0
        );
        assert_eq!(out.to_bits(), one.to_bits());
        assert_eq!(grad, one_grad);
        let mut whole = canary;
        assert_eq!(softmargin_forward_partial_f32(xp, yp, n, &mut whole), 0);
        assert_eq!(whole, first);

        // Refusals, in the documented order, with nothing written.
        let mut p = canary;
        let mut g = vec![9.0f32; 4];
        let gp = g.as_mut_ptr();
        let none = SOFTMARGIN_REDUCTION_NONE;
        let shard = |x, y, len, total, r, p, g| {
            softmargin_forward_backward_shard_f32(x, y, len, total, r, p, g)
        };
        assert_eq!(
            shard(xp, yp, 4, 4, none, &mut p, gp),
            SOFTMARGIN_STATUS_INVALID_REDUCTION
        );
        assert_eq!(
            shard(xp, yp, 4, 4, 9, &mut p, gp),
            SOFTMARGIN_STATUS_INVALID_REDUCTION
        );
        let huge = usize::MAX / 2;
        assert_eq!(
            shard(xp, yp, huge, huge, mean, &mut p, gp),
            SOFTMARGIN_STATUS_INVALID_ARGUMENT
        );
        let null = std::ptr::null_mut();
        assert_eq!(
            shard(xp, yp, 4, 4, mean, null, gp),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        assert_eq!(
            shard(std::ptr::null(), yp, 4, 4, mean, &mut p, gp),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        let odd = gp.cast::<u8>().add(1).cast::<f32>();
        assert_eq!(
            shard(xp, yp, 4, 4, mean, &mut p, odd),
            SOFTMARGIN_STATUS_MISALIGNED
        );
        assert_eq!(
            shard(xp, yp, 4, 3, mean, &mut p, gp),
            SOFTMARGIN_STATUS_INVALID_ARGUMENT
        );
        let over = gp.cast::<PartialBytes>();
        assert_eq!(
            shard(xp, yp, 4, 4, mean, over, gp),
            SOFTMARGIN_STATUS_OVERLAP
        );
        assert!(g.iter().all(|&v| v == 9.0) && p == canary);
        assert_eq!(
            softmargin_forward_partial_f32(xp, yp, 4, null),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        assert_eq!(
            softmargin_partial_merge(null, &first),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        assert_eq!(
            softmargin_partial_merge(&mut p, std::ptr::null()),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        let mut v = 5.0f32;
        assert_eq!(
            softmargin_partial_finish_f32(&first, none, &mut v),
            SOFTMARGIN_STATUS_INVALID_REDUCTION
        );
        assert_eq!(
            softmargin_partial_finish_f32(&first, mean, std::ptr::null_mut()),
            SOFTMARGIN_STATUS_NULL_POINTER
        );
        assert_eq!(v, 5.0);
        assert_eq!(p, canary);
        // The empty partial: a MEAN of NaN, a SUM of 0; merging into itself doubles.
        assert_eq!(softmargin_partial_finish_f32(&p, mean, &mut v), 0);
        assert!(v.is_nan());
        let mut twice = first;
        assert_eq!(softmargin_partial_merge(&mut twice, &twice), 0);
        assert_eq!(read(&twice).count(), 2 * n as u64);
        let mut sum = 0.0f64;
        let mut sum2 = 0.0f64;
        let s = SOFTMARGIN_REDUCTION_SUM;
        assert_eq!(softmargin_partial_finish_f64(&first, s, &mut sum), 0);
        assert_eq!(softmargin_partial_finish_f64(&twice, s, &mut sum2), 0);
        assert_eq!(sum2, 2.0 * sum);
    }
}

/// The partial a C partial holds (which must be valid).
fn read(p: &PartialBytes) -> Partial {
    Partial::from_bytes(&p.bytes).unwrap()
}

/// Every single flipped bit of a valid partial is refused by the merge (on either side) and by
/// the finish, and nothing is written; so are a partly overlapping merge, a merge whose count
/// would overflow, and zeroed bytes.
#[test]
fn corrupted_partials_are_refused_and_nothing_is_written() {
    let (x, y) = data::<f32>(300, 5);
    let good = c_partial(&forward_partial(&x, &y).unwrap());
    let other = c_partial(&forward_partial(&x[..7], &y[..7]).unwrap());
    let mean = SOFTMARGIN_REDUCTION_MEAN;
    // SAFETY: every pointer is to a live partial or float of this function.
    unsafe {
        let mut out = 0.0f32;
        assert_eq!(softmargin_partial_finish_f32(&good, mean, &mut out), 0);
        let want = out;
        for bit in 0..8 * SOFTMARGIN_PARTIAL_SIZE {
            let mut bad = good;
            bad.bytes[bit / 8] ^= 1 << (bit % 8);
            let kept = bad;
            let mut into = other;
            assert_eq!(
                softmargin_partial_merge(&mut into, &bad),
                SOFTMARGIN_STATUS_INVALID_PARTIAL,
                "bit {bit} as from"
            );
            assert_eq!(into, other);
            assert_eq!(
                softmargin_partial_merge(&mut bad, &other),
                SOFTMARGIN_STATUS_INVALID_PARTIAL,
                "bit {bit} as into"
            );
            assert_eq!(bad, kept);
            let mut v = 7.0f32;
            assert_eq!(
                softmargin_partial_finish_f32(&bad, mean, &mut v),
                SOFTMARGIN_STATUS_INVALID_PARTIAL,
                "bit {bit} finished"
            );
            assert_eq!(v, 7.0);
        }
        assert_eq!(out, want);

        // Zeroed bytes are not the empty sum (which a partial of no elements is).
        let zero = PartialBytes {
            bytes: [0; SOFTMARGIN_PARTIAL_SIZE],
        };
        let mut v = 7.0f32;
        assert_eq!(
            softmargin_partial_finish_f32(&zero, mean, &mut v),
            SOFTMARGIN_STATUS_INVALID_PARTIAL
        );
        let mut empty = zero;
        let no_data: *const f32 = std::ptr::null();
        assert_eq!(
            softmargin_forward_partial_f32(no_data, no_data, 0, &mut empty),
            0
        );
        assert_eq!(read(&empty), Partial::default());

        // Two partials that share bytes without being the same one.
        let mut two = [good, good];
        let base = two.as_mut_ptr().cast::<u8>();
        let shifted = base.add(5).cast::<PartialBytes>();
        assert_eq!(
            softmargin_partial_merge(shifted, base.cast::<PartialBytes>()),
            SOFTMARGIN_STATUS_OVERLAP
        );
        assert_eq!(two, [good, good]);

        // A count that would pass UINT64_MAX: a partial doubled 64 times has 300 * 2^64.
        let mut big = good;
        let mut merged = 0;
        while softmargin_partial_merge(&mut big, &big) == 0 {
            merged += 1;
        }
        assert_eq!(merged, 55, "300 * 2^55 < 2^64 <= 300 * 2^56");
        let before = big;
        assert_eq!(
            softmargin_partial_merge(&mut big, &big),
            SOFTMARGIN_STATUS_INVALID_PARTIAL
        );
        assert_eq!(big, before);
    }
}

/// A pointer that is not NULL must be aligned even when its buffer is empty, as the header
/// says of every pointer.
#[test]
fn a_misaligned_pointer_is_refused_even_for_no_elements() {
    let buf = [0.0f64; 4];
    let odd = buf.as_ptr().cast::<u8>().wrapping_add(4).cast::<f64>();
    let mut out = 3.0f64;
    let mut p = c_partial(&Partial::default());
    // SAFETY: no element is read (len 0); the pointers only need to be refused.
    unsafe {
        assert_eq!(
            softmargin_forward_f64(odd, buf.as_ptr(), 0, SOFTMARGIN_REDUCTION_SUM, &mut out),
            SOFTMARGIN_STATUS_MISALIGNED
        );
        assert_eq!(
            softmargin_forward_partial_f64(buf.as_ptr(), odd, 0, &mut p),
            SOFTMARGIN_STATUS_MISALIGNED
        );
        assert_eq!(out, 3.0);
        assert_eq!(
            softmargin_forward_f64(
                std::ptr::null(),
                buf.as_ptr(),
                0,
                SOFTMARGIN_REDUCTION_SUM,
                &mut out
            ),
            SOFTMARGIN_STATUS_OK
        );
        assert_eq!(out, 0.0);
    }
}
