//! The lanes of every path against the plain statements of their operations.

use super::dispatch::{run_on, GROUP};
use super::portable::Scalar;
use super::*;

/// Values of every kind: zeros, subnormals, normals at both ends, infinities, NaN.
const VALUES: [f64; 14] = [
    0.0,
    -0.0,
    5e-324,
    -f64::from_bits(0x000f_ffff_ffff_ffff), // the largest subnormal
    f64::MIN_POSITIVE,
    1.0,
    -1.5,
    3.0,
    0.1,
    -1e300,
    f64::MAX,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
];

#[test]
fn frexp_splits_into_significand_and_exponent() {
    for v in VALUES {
        let (f, e) = Scalar(v).frexp();
        if v == 0.0 || !v.is_finite() {
            assert_eq!((f.0.to_bits(), e.0), (v.to_bits(), 0.0), "{v:e}");
            continue;
        }
        assert!(
            (1.0..2.0).contains(&f.0.abs()) && f.0.signum() == v.signum(),
            "{v:e}"
        );
        // f 2^e in two exact steps (e may be below the normal exponents).
        let half = (e.0 / 2.0).trunc();
        let back = f.0 * 2f64.powi(half as i32) * 2f64.powi((e.0 - half) as i32);
        assert_eq!(back.to_bits(), v.to_bits(), "{v:e}: {f:?} {e:?}");
    }
}

/// `frexp` of [`VALUES`] (padded to whole groups) on a path.
struct Frexp<'a>(&'a [f64]);

impl OnPath for Frexp<'_> {
    type Out = Vec<(u64, u64)>;
    #[inline(always)]
    fn on<P: Path>(self) -> Self::Out {
        let mut out = Vec::new();
        for group in self.0.chunks(GROUP) {
            let (f, e) = P::F64::load(group).frexp();
            let (mut fs, mut es) = ([0.0; GROUP], [0.0; GROUP]);
            f.store(&mut fs);
            e.store(&mut es);
            out.extend(fs.iter().zip(&es).map(|(f, e)| (f.to_bits(), e.to_bits())));
        }
        out
    }
}

#[test]
fn frexp_is_the_same_on_every_path() {
    let mut values = VALUES.to_vec();
    values.resize(GROUP, 1.0);
    let want = run_on(Isa::Portable, Frexp(&values)).unwrap();
    for isa in Isa::ALL {
        match run_on(isa, Frexp(&values)) {
            Some(got) => assert_eq!(got, want, "{}", isa.name()),
            None => println!("frexp on {}: skipped, not on this CPU", isa.name()),
        }
    }
}

/// Every 16-bit lane operation over `f32` patterns and all 16-bit values, on a path: the
/// widened halves, the rounded and the open flags of the floats, per format, as bits.
struct HalfLanes<'a> {
    floats: &'a [f32],
    halves: &'a [u16],
}

impl OnPath for HalfLanes<'_> {
    type Out = Vec<u32>;
    #[inline(always)]
    fn on<P: Path>(self) -> Vec<u32> {
        let mut out = Vec::new();
        for group in self.halves.chunks(GROUP) {
            let f16: Vec<F16> = group.iter().map(|&b| F16::from_bits(b)).collect();
            let bf16: Vec<Bf16> = group.iter().map(|&b| Bf16::from_bits(b)).collect();
            let mut wide = [0.0f32; GROUP];
            P::F32::load_f16(&f16).store(&mut wide);
            out.extend(wide.map(f32::to_bits));
            P::F32::load_bf16(&bf16).store(&mut wide);
            out.extend(wide.map(f32::to_bits));
        }
        for group in self.floats.chunks(GROUP) {
            let v = P::F32::load(group);
            let mut f16 = [F16::from_bits(0); GROUP];
            let mut bf16 = [Bf16::from_bits(0); GROUP];
            v.store_f16(&mut f16);
            v.store_bf16(&mut bf16);
            out.extend(f16.map(|h| u32::from(h.to_bits())));
            out.extend(bf16.map(|h| u32::from(h.to_bits())));
            out.push(v.open_f16());
            out.push(v.open_bf16());
        }
        out
    }
}

/// The 16-bit lanes of every path are bitwise the portable ones (F16C and the AVX-512
/// conversions included): every binary16 and bfloat16 value widened, and every 61st `f32`
/// pattern plus the neighbours of every binary16 and bfloat16 midpoint rounded and tested.
#[test]
fn half_lanes_are_the_same_on_every_path() {
    let halves: Vec<u16> = (0..=u16::MAX).collect();
    let mut floats: Vec<f32> = (0..=u32::MAX).step_by(61).map(f32::from_bits).collect();
    for upper in (0..=u32::MAX >> 16).step_by(5) {
        floats.extend((0x7ffa..0x8006).map(|low| f32::from_bits(upper << 16 | low)));
    }
    floats.resize(floats.len().next_multiple_of(GROUP), 1.0);
    let lanes = || HalfLanes {
        floats: &floats,
        halves: &halves,
    };
    let want = run_on(Isa::Portable, lanes()).unwrap();
    // The portable lanes are the scalar conversions.
    for (i, &h) in halves.iter().enumerate().step_by(997) {
        let group = i / GROUP * 2 * GROUP + i % GROUP;
        assert_eq!(want[group], F16::from_bits(h).to_f32().to_bits());
    }
    for isa in Isa::ALL {
        match run_on(isa, lanes()) {
            Some(got) => assert!(got == want, "{}: the 16-bit lanes differ", isa.name()),
            None => println!("16-bit lanes on {}: skipped, not on this CPU", isa.name()),
        }
    }
}

/// The rounding boundaries of a 16-bit format as `f32` values: the midpoints between
/// neighbouring finite values (and the overflow threshold), all exact in `f32`.
fn boundaries(widen: fn(u16) -> f32) -> Vec<f32> {
    (0..0x7fffu16)
        .filter_map(|bits| {
            let (a, b) = (f64::from(widen(bits)), f64::from(widen(bits + 1)));
            (a.is_finite() && !b.is_nan()).then(|| {
                // Past the largest finite value, the overflow threshold: half a quantum above.
                let b = if b.is_infinite() {
                    2.0 * a - f64::from(widen(bits - 1))
                } else {
                    b
                };
                let mid = (a + b) / 2.0;
                assert_eq!(f64::from(mid as f32), mid, "{bits:#06x}");
                mid as f32
            })
        })
        .collect()
}

/// `open_f16` and `open_bf16` flag what their statement promises: every value with a rounding
/// boundary within [`HALF_WINDOW`] steps of its bit pattern (the error of the `f32` kernels,
/// 2.5 ulp, cannot reach one 3 steps away), and none farther from every boundary.
#[test]
fn open_flags_the_values_near_a_boundary() {
    type Format = (&'static str, fn(u16) -> f32, fn(f32) -> bool);
    let formats: [Format; 2] = [
        ("f16", |b| F16::from_bits(b).to_f32(), open_f16),
        ("bf16", |b| Bf16::from_bits(b).to_f32(), open_bf16),
    ];
    for (name, widen, open) in formats {
        let mids = boundaries(widen);
        for &mid in &mids {
            for steps in -6i32..=6 {
                let bits = mid.to_bits().wrapping_add_signed(steps);
                for v in [f32::from_bits(bits), -f32::from_bits(bits)] {
                    if steps.unsigned_abs() <= HALF_WINDOW {
                        assert!(open(v), "{name}: {v:e}, {steps} steps from {mid:e}");
                    }
                    // Below 2^-14, binary16's window is counted in steps of 2^-37, the
                    // f32 step at 2^-14 (at least as wide as the value's own steps there).
                    let coarse = name == "f16" && bits & 0x7fff_ffff < F16_MIN_NORMAL;
                    if coarse {
                        let far = f64::from(v.abs()) - f64::from(mid);
                        let window = f64::from(HALF_WINDOW + 1) * 2f64.powi(-37);
                        assert!(far.abs() <= window || !open(v), "{name}: {v:e}");
                    } else if steps.unsigned_abs() > HALF_WINDOW {
                        // Unless another boundary is that close (the smallest subnormals).
                        let at = mids.partition_point(|m| m.to_bits() < bits);
                        let near = mids[at.saturating_sub(1)..(at + 1).min(mids.len())]
                            .iter()
                            .any(|m| m.to_bits().abs_diff(bits) <= HALF_WINDOW);
                        assert!(near || !open(v), "{name}: {v:e}, {steps} steps");
                    }
                }
            }
        }
        // Below 2^-14, binary16's coarse window ends: two of its steps past it, not open.
        if name == "f16" {
            let step = 2f32.powi(-37);
            for &mid in mids.iter().filter(|m| m.to_bits() < F16_MIN_NORMAL) {
                for far in [-1.0, 1.0].map(|s| mid + s * (HALF_WINDOW + 2) as f32 * step) {
                    assert!(!open(far), "{name}: {far:e} near {mid:e}");
                }
            }
        }
        // Far from every boundary: zero, ordinary values, the infinities and NaN.
        for v in [
            0.0f32,
            -0.0,
            1.0,
            3.0,
            1e30,
            f32::INFINITY,
            -f32::INFINITY,
            f32::NAN,
        ] {
            assert!(!open(v), "{name}: {v:e}");
        }
    }
}
