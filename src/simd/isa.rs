//! The instruction-set paths, and which one this CPU runs: the best it supports, capped by the
//! environment variable `SOFTMARGIN_ISA` (`portable`, `avx2` or `avx512`, read as `crate::env`
//! says) or by [`set_isa`].

use std::sync::atomic::{AtomicU8, Ordering};

/// An instruction-set path for the kernels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Isa {
    /// Plain Rust, one element at a time; available everywhere.
    Portable = 1,
    /// AVX2, FMA and F16C: four `f64` or eight `f32` lanes per vector (x86-64).
    Avx2 = 2,
    /// AVX-512 F, VL, DQ and BW (with AVX2 and FMA): eight `f64` or sixteen `f32` lanes per
    /// vector, conditions in mask registers (x86-64).
    Avx512 = 3,
}

impl Isa {
    /// Every path, slowest first.
    pub const ALL: [Isa; 3] = [Isa::Portable, Isa::Avx2, Isa::Avx512];

    /// The name `SOFTMARGIN_ISA` takes.
    pub fn name(self) -> &'static str {
        // The names are ASCII literals, so the conversion cannot fail.
        self.c_name().to_str().unwrap_or("")
    }

    /// [`Isa::name`] as a C string.
    pub fn c_name(self) -> &'static std::ffi::CStr {
        match self {
            Isa::Portable => c"portable",
            Isa::Avx2 => c"avx2",
            Isa::Avx512 => c"avx512",
        }
    }

    fn from_u8(v: u8) -> Option<Isa> {
        Isa::ALL.into_iter().find(|isa| *isa as u8 == v)
    }

    /// Whether this CPU can run the path.
    pub fn is_supported(self) -> bool {
        match self {
            Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                is_x86_feature_detected!("avx2")
                    && is_x86_feature_detected!("fma")
                    && is_x86_feature_detected!("f16c")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.is_supported()
                    && is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512vl")
                    && is_x86_feature_detected!("avx512dq")
                    && is_x86_feature_detected!("avx512bw")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }
}

/// The environment variable that caps the path.
pub const ISA_ENV: &str = "SOFTMARGIN_ISA";

/// The path in use; 0 until first needed.
static ISA: AtomicU8 = AtomicU8::new(0);

/// The best supported path, capped by `SOFTMARGIN_ISA` when it names one (surrounding
/// whitespace and ASCII case ignored; any other value is ignored).
fn detect() -> Isa {
    let names = Isa::ALL.map(Isa::name);
    let cap = crate::env::choice(ISA_ENV, &names).map(|i| Isa::ALL[i]);
    Isa::ALL
        .into_iter()
        .filter(|isa| isa.is_supported() && cap.is_none_or(|cap| *isa <= cap))
        .max()
        .unwrap_or(Isa::Portable)
}

/// The path the kernels use.
pub fn isa() -> Isa {
    match Isa::from_u8(ISA.load(Ordering::Relaxed)) {
        Some(isa) => isa,
        None => {
            let isa = detect();
            ISA.store(isa as u8, Ordering::Relaxed);
            isa
        }
    }
}

/// The requested path is not supported by this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnsupportedIsa(pub Isa);

/// Makes the kernels use `isa`. Results are bitwise the same on every path.
pub fn set_isa(isa: Isa) -> Result<(), UnsupportedIsa> {
    if !isa.is_supported() {
        return Err(UnsupportedIsa(isa));
    }
    ISA.store(isa as u8, Ordering::Relaxed);
    Ok(())
}
