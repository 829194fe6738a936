//! Shared test support: the high-precision reference, input generators, and the element type
//! abstraction the accuracy tests are written against.
#![allow(dead_code)]

pub mod reference;

use reference::{Dd, Format, Scaled};

/// SplitMix64: a small, reproducible generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * 2f64.powi(-53)
    }

    /// Uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn sign(&mut self) -> f64 {
        if self.next_u64() & 1 == 0 {
            1.0
        } else {
            -1.0
        }
    }
}

/// The element types under test, with what the tests need of each.
pub trait Elem: softmargin::Float + Copy + Default + PartialEq + std::fmt::Debug {
    const FORMAT: Format;
    const NAME: &'static str;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn bits(self) -> u64;
    /// The value with these bits (the low ones, for the narrower types).
    fn from_bits(bits: u64) -> Self;
    /// A finite value with uniformly random bits (every exponent equally likely).
    fn random_finite(rng: &mut Rng) -> Self;
    /// The margin below which the loss is subnormal in this format.
    const SUBNORMAL_MARGIN: f64;
    /// The contract for each element's loss and gradient, in ulps of the exact value:
    /// correctly rounded (at most half an ulp) for `f32` and the 16-bit types, within 2 ulp for
    /// `f64`.
    const ELEMENT_BOUND: f64;
}

impl Elem for f32 {
    const FORMAT: Format = reference::F32;
    const NAME: &'static str = "f32";
    const SUBNORMAL_MARGIN: f64 = -87.3;
    const ELEMENT_BOUND: f64 = 0.5;
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
    fn bits(self) -> u64 {
        u64::from(self.to_bits())
    }
    fn from_bits(bits: u64) -> Self {
        f32::from_bits(bits as u32)
    }
    fn random_finite(rng: &mut Rng) -> Self {
        loop {
            let v = f32::from_bits(rng.next_u64() as u32);
            if v.is_finite() {
                return v;
            }
        }
    }
}

impl Elem for f64 {
    const FORMAT: Format = reference::F64;
    const NAME: &'static str = "f64";
    const SUBNORMAL_MARGIN: f64 = -708.4;
    const ELEMENT_BOUND: f64 = 2.0;
    fn from_f64(v: f64) -> Self {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn from_bits(bits: u64) -> Self {
        f64::from_bits(bits)
    }
    fn random_finite(rng: &mut Rng) -> Self {
        loop {
            let v = f64::from_bits(rng.next_u64());
            if v.is_finite() {
                return v;
            }
        }
    }
}

/// IEEE binary16, explicit mantissa bits and exponent range.
pub const F16_FORMAT: Format = Format {
    mantissa: 10,
    emin: -14,
    emax: 15,
};

/// bfloat16: `f32`'s exponent range with 7 mantissa bits.
pub const BF16_FORMAT: Format = Format {
    mantissa: 7,
    emin: -126,
    emax: 127,
};

macro_rules! half_elem {
    ($t:ty, $format:expr, $name:expr, $subnormal:expr) => {
        impl Elem for $t {
            const FORMAT: Format = $format;
            const NAME: &'static str = $name;
            const SUBNORMAL_MARGIN: f64 = $subnormal;
            const ELEMENT_BOUND: f64 = 0.5;
            /// Through `f32`: two roundings, which test inputs do not mind.
            fn from_f64(v: f64) -> Self {
                <$t>::from_f32(v as f32)
            }
            fn to_f64(self) -> f64 {
                f64::from(self.to_f32())
            }
            fn bits(self) -> u64 {
                u64::from(self.to_bits())
            }
            fn from_bits(bits: u64) -> Self {
                <$t>::from_bits(bits as u16)
            }
            fn random_finite(rng: &mut Rng) -> Self {
                loop {
                    let v = <$t>::from_bits(rng.next_u64() as u16);
                    if v.to_f32().is_finite() {
                        return v;
                    }
                }
            }
        }
    };
}
half_elem!(softmargin::F16, F16_FORMAT, "f16", -9.7);
half_elem!(softmargin::Bf16, BF16_FORMAT, "bf16", -87.3);

/// Error of `got` against `sign * want`, in ulps of `T`.
pub fn ulps<T: Elem>(got: T, sign: f64, want: Scaled) -> f64 {
    reference::ulp_error(got.to_f64(), sign, want, T::FORMAT)
}

/// The input families the accuracy tests cover.
#[derive(Clone, Copy, Debug)]
pub enum Family {
    /// Margins in [-30, 30]: where the loss is neither linear nor exponentially small.
    Moderate,
    /// Random bit patterns: every finite exponent, huge and subnormal inputs.
    AnyFinite,
    /// Margins around where the loss becomes subnormal, and below.
    SubnormalResults,
    /// Inputs and margins near zero, where the loss is near log 2.
    NearZero,
    /// Margins beyond those of subnormal losses, down to where no factor can make the gradient
    /// nonzero (`sigmoid(m)` times 2^256 in `f32`, 2^2048 in `f64`, below the subnormals).
    FarResults,
}

pub const FAMILIES: [Family; 4] = [
    Family::Moderate,
    Family::AnyFinite,
    Family::SubnormalResults,
    Family::NearZero,
];

/// How targets are drawn.
#[derive(Clone, Copy, Debug)]
pub enum Targets {
    /// -1 or +1.
    Signs,
    /// Any real value: uniform in [-4, 4] and random finite values.
    Any,
}

/// `n` (input, target) pairs of a family.
pub fn inputs<T: Elem>(family: Family, targets: Targets, n: usize, seed: u64) -> (Vec<T>, Vec<T>) {
    let mut rng = Rng::new(seed);
    let mut x = Vec::with_capacity(n);
    let mut y = Vec::with_capacity(n);
    for i in 0..n {
        let yi = match targets {
            Targets::Signs => T::from_f64(rng.sign()),
            Targets::Any => match i % 3 {
                0 => T::from_f64(rng.uniform(-4.0, 4.0)),
                1 => T::random_finite(&mut rng),
                _ => T::from_f64(rng.sign() * 2f64.powf(rng.uniform(-10.0, 10.0))),
            },
        };
        let scale = yi.to_f64().abs().max(f64::MIN_POSITIVE);
        let xi = match family {
            Family::Moderate => T::from_f64(rng.uniform(-30.0, 30.0) / scale.max(1e-30)),
            Family::AnyFinite => T::random_finite(&mut rng),
            Family::SubnormalResults => {
                let m = T::SUBNORMAL_MARGIN * rng.uniform(0.9, 1.25);
                T::from_f64(-m / yi.to_f64())
            }
            Family::NearZero => T::from_f64(rng.sign() * 2f64.powf(rng.uniform(-60.0, 2.0))),
            Family::FarResults => {
                let m = T::SUBNORMAL_MARGIN * rng.uniform(1.0, 3.2);
                T::from_f64(-m / yi.to_f64())
            }
        };
        // Inputs derived from a target can overflow or come out NaN (0 target): keep the pair
        // only when both are finite.
        let xi = if xi.to_f64().is_finite() {
            xi
        } else {
            T::from_f64(rng.uniform(-5.0, 5.0))
        };
        x.push(xi);
        y.push(yi);
    }
    (x, y)
}

/// The reference loss of one finite element; `None` when its margin overflows (checked apart).
pub fn ref_loss<T: Elem>(x: T, y: T) -> Option<Scaled> {
    reference::loss(x.to_f64(), y.to_f64())
}

/// The reference slope `-y sigmoid(-y x)` as a sign and magnitude.
pub fn ref_slope<T: Elem>(x: T, y: T) -> Option<(f64, Scaled)> {
    reference::slope(x.to_f64(), y.to_f64())
}

/// The reference sum of the losses of finite elements, in double-double.
pub fn ref_sum<T: Elem>(x: &[T], y: &[T]) -> Dd {
    x.iter().zip(y).fold(Dd::ZERO, |acc, (&xi, &yi)| {
        let l = ref_loss(xi, yi).expect("finite margin");
        if l.k == 0 {
            acc.add(l.v)
        } else {
            // Far below anything a sum of losses can resolve.
            acc.add(Dd::from(l.v.hi * reference::pow2_any(l.k.max(-1074))))
        }
    })
}

/// The instruction-set paths this CPU supports, after printing which ones a test runs and which
/// it skips (AVX-512 on a CPU without it, say).
#[allow(dead_code)]
pub fn supported_paths(test: &str) -> Vec<softmargin::Isa> {
    let (run, skipped): (Vec<_>, Vec<_>) = softmargin::Isa::ALL
        .into_iter()
        .partition(|p| p.is_supported());
    let names = |paths: &[softmargin::Isa]| paths.iter().map(|p| p.name()).collect::<Vec<_>>();
    println!(
        "{test}: paths run {:?}, skipped (not on this CPU) {:?}",
        names(&run),
        names(&skipped)
    );
    run
}

/// A partial as the C functions take it: its bytes.
pub fn c_partial(p: &softmargin::Partial) -> softmargin::ffi::PartialBytes {
    softmargin::ffi::PartialBytes {
        bytes: p.to_bytes(),
    }
}
