//! The results frozen: a hash of the bits of every loss, gradient and reduced value over a fixed
//! input set, for each element type, on every path this CPU has. A change of the kernels' layout must leave these
//! bits alone; a change meant to alter them (a better rounding, say) updates `GOLDEN` in the same
//! commit and says why. `SOFTMARGIN_PRINT_GOLDEN=1` prints the hash instead of failing on a
//! mismatch, to update it.
//!
//! This is a regression lock, not an accuracy test: `tests/accuracy.rs` checks the same families
//! against the independent reference.

mod common;

use common::{inputs, Elem, Family, Targets, FAMILIES};
use softmargin::{
    backward_none, forward_backward_none, forward_backward_reduced, forward_none, forward_reduced,
    gradient_hessian, set_isa, Bf16, Isa, Reduced, F16,
};

/// The hashes of the `f64` results as of the kernel layout of issue 11's start; of the `f32`
/// results as of their correct rounding (the loss and gradient of each element correctly
/// rounded, the reduced values summing the bounded kernel's `f64` losses).
const GOLDEN_F64: u64 = 0xf7ae_b652_4ab3_188c;
const GOLDEN_F32: u64 = 0x890e_ea19_0e10_cca6;
/// The half types' results as of the one-engine rebuild's start (correctly rounded, so any
/// correct engine gives these bits).
const GOLDEN_F16: u64 = 0x3732_f4c5_5e9f_d374;
const GOLDEN_BF16: u64 = 0x34ed_5722_5428_edee;
/// The first and second derivatives of `gradient_hessian`, as of the same start; for `f64`,
/// as of its double-double kernel (correctly rounded where that reaches, within 1 ulp
/// elsewhere; before it, within 2 ulp).
const GOLDEN_F32_HESSIAN: u64 = 0xc369_3997_78e5_9f36;
const GOLDEN_F64_HESSIAN: u64 = 0x2b7e_5440_ed2e_2dc2;

/// FNV-1a over 64-bit words.
struct Fnv(u64);

impl Fnv {
    fn add(&mut self, word: u64) {
        for byte in word.to_le_bytes() {
            self.0 = (self.0 ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

/// Every result of every pass over one input set: lengths that cover the vector widths, their
/// neighbours and a tail, and gradient factors of several sizes.
fn hash_results<T: Elem>(hash: &mut Fnv, x: &[T], y: &[T]) {
    let n = x.len();
    let zero = T::default();
    let mut loss = vec![zero; n];
    forward_none(x, y, &mut loss).unwrap();
    loss.iter().for_each(|v| hash.add(v.bits()));
    for reduction in [Reduced::Mean, Reduced::Sum] {
        hash.add(forward_reduced(x, y, reduction).unwrap().bits());
        let mut grad = vec![zero; n];
        let l = forward_backward_reduced(x, y, reduction, &mut grad).unwrap();
        hash.add(l.bits());
        grad.iter().for_each(|v| hash.add(v.bits()));
    }
    let factors: Vec<T> = (0..n)
        .map(|i| T::from_f64([1.0, -0.5, 3.0e-7, 1.0e300, 2.5e-310][i % 5]))
        .collect();
    let mut grad = vec![zero; n];
    backward_none(&factors[..], x, y, &mut grad).unwrap();
    grad.iter().for_each(|v| hash.add(v.bits()));
    let (mut loss, mut grad) = (vec![zero; n], vec![zero; n]);
    forward_backward_none(x, y, &mut loss, &mut grad).unwrap();
    loss.iter().chain(&grad).for_each(|v| hash.add(v.bits()));
}

/// Both outputs of `gradient_hessian` for every reduction.
fn hash_derivatives<T: Elem>(hash: &mut Fnv, x: &[T], y: &[T]) {
    let n = x.len();
    let (mut grad, mut hessian) = (vec![T::default(); n], vec![T::default(); n]);
    for reduction in [None, Some(Reduced::Mean), Some(Reduced::Sum)] {
        gradient_hessian(x, y, reduction, &mut grad, &mut hessian).unwrap();
        grad.iter().chain(&hessian).for_each(|v| hash.add(v.bits()));
    }
}

/// What a golden hash covers: the loss passes, or the second derivative.
type Hasher<T> = fn(&mut Fnv, &[T], &[T]);

fn golden_hash<T: Elem>(hash_results: Hasher<T>) -> u64 {
    let mut hash = Fnv(0xcbf2_9ce4_8422_2325);
    let mut seed = 1;
    for family in FAMILIES.into_iter().chain([Family::FarResults]) {
        for targets in [Targets::Signs, Targets::Any] {
            for n in [1, 3, 4, 5, 15, 16, 17, 33, 1000] {
                let (x, y) = inputs::<T>(family, targets, n, seed);
                seed += 1;
                hash_results(&mut hash, &x, &y);
            }
        }
    }
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        f64::MAX,
        -f64::MAX,
        f64::MIN_POSITIVE,
        5e-324,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
        1e300,
        -1e-300,
    ];
    let (x, y): (Vec<T>, Vec<T>) = specials
        .iter()
        .flat_map(|&a| {
            specials
                .iter()
                .map(move |&b| (T::from_f64(a), T::from_f64(b)))
        })
        .unzip();
    hash_results(&mut hash, &x, &y);
    // Long enough for the block tree of the sums and for the thread pool.
    let (x, y) = inputs::<T>(Family::Moderate, Targets::Any, 300_000, seed);
    hash_results(&mut hash, &x, &y);
    hash.0
}

fn frozen<T: Elem>(what: &str, hasher: Hasher<T>, golden: u64) {
    for isa in Isa::ALL {
        if set_isa(isa).is_err() {
            println!(
                "{} path {}: skipped, not supported by this CPU",
                T::NAME,
                isa.name()
            );
            continue;
        }
        let hash = golden_hash::<T>(hasher);
        println!("{} {what} path {}: {hash:#018x}", T::NAME, isa.name());
        if std::env::var_os("SOFTMARGIN_PRINT_GOLDEN").is_none() {
            assert_eq!(
                hash,
                golden,
                "the {} {what} changed on path {}",
                T::NAME,
                isa.name()
            );
        }
    }
}

#[test]
fn results_are_frozen_on_every_path() {
    frozen::<f64>("results", hash_results, GOLDEN_F64);
    frozen::<f32>("results", hash_results, GOLDEN_F32);
    frozen::<F16>("results", hash_results, GOLDEN_F16);
    frozen::<Bf16>("results", hash_results, GOLDEN_BF16);
    frozen::<f32>("derivatives", hash_derivatives, GOLDEN_F32_HESSIAN);
    frozen::<f64>("derivatives", hash_derivatives, GOLDEN_F64_HESSIAN);
}
