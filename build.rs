//! Generates the C header from `src/ffi` with cbindgen.
//!
//! The header is written to `OUT_DIR`, where `tests/header.rs` compares it with the committed
//! `include/softmargin.h`. Set `SOFTMARGIN_UPDATE_HEADER=1` to overwrite the committed header
//! with the generated one (it is also written when missing).

use std::env;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=src/ffi");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/softmargin.h");
    println!("cargo:rerun-if-env-changed=SOFTMARGIN_UPDATE_HEADER");
    println!("cargo:rerun-if-env-changed=SOFTMARGIN_SONAME");
    // The installed shared library carries a versioned soname (set by the CMake front end,
    // which installs the matching symlinks); plain cargo builds stay without one, so that
    // programs linked against target/*/libsoftmargin.so find it under that name.
    if let Ok(soname) = env::var("SOFTMARGIN_SONAME") {
        if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        }
    }
    // Tests that build C programs need the target triple, which cargo gives only to build scripts,
    // and the native libraries a static library of it needs.
    println!("cargo:rustc-env=TARGET={}", env::var("TARGET").unwrap());
    println!(
        "cargo:rustc-env=SOFTMARGIN_NATIVE_STATIC_LIBS={}",
        native_static_libs()
    );

    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let version = |part: &str| env::var(format!("CARGO_PKG_VERSION_{part}")).unwrap();
    config.after_includes = Some(format!(
        "\n/** The version of this header: major, minor and patch, as in softmargin_version(). */\n\
         #define SOFTMARGIN_VERSION_MAJOR {}\n\
         #define SOFTMARGIN_VERSION_MINOR {}\n\
         #define SOFTMARGIN_VERSION_PATCH {}\n\
         /** The version of this header as a string, \"MAJOR.MINOR.PATCH\". */\n\
         #define SOFTMARGIN_VERSION_STRING \"{}\"",
        version("MAJOR"),
        version("MINOR"),
        version("PATCH"),
        env::var("CARGO_PKG_VERSION").unwrap(),
    ));
    // Python's cffi reads declarations without preprocessor lines (integer `#define`s aside)
    // and without C++ guards: the same items, bare.
    let mut bare = config.clone();
    bare.include_guard = None;
    bare.cpp_compat = false;
    bare.sys_includes.clear();
    bare.after_includes = None;
    bare.documentation = false;
    let generate = |config: cbindgen::Config| {
        cbindgen::Builder::new()
            .with_config(config)
            .with_src(root.join("src/ffi/mod.rs"))
            .generate()
            .expect("cbindgen generates the header")
    };
    let bindings = generate(config);
    // maturin's cffi bindings (python/pyproject.toml) take their declarations from `header.h`
    // in the target directory. `OUT_DIR` is `<target>[/<triple>]/<profile>/build/<pkg>/out`.
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    let triple = env::var("TARGET").unwrap();
    let mut target = out_dir.ancestors().nth(4);
    if target.and_then(Path::file_name) == Some(triple.as_ref()) {
        target = target.and_then(Path::parent);
    }
    if let Some(target) = target {
        generate(bare).write_to_file(target.join("header.h"));
    }

    let generated = out_dir.join("softmargin.h");
    bindings.write_to_file(&generated);
    println!(
        "cargo:rustc-env=SOFTMARGIN_GENERATED_HEADER={}",
        generated.display()
    );

    let committed = root.join("include/softmargin.h");
    if env::var_os("SOFTMARGIN_UPDATE_HEADER").is_some_and(|v| v != "0")
        || !Path::new(&committed).exists()
    {
        bindings.write_to_file(&committed);
    }
}

/// The native libraries a static library of the target needs, as rustc reports them for an
/// empty one (this crate links none of its own beyond the standard library's): `-lgcc_s -lc`
/// and the like.
fn native_static_libs() -> String {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let probe = out.join("native-libs-probe.rs");
    std::fs::write(&probe, "").unwrap();
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = std::process::Command::new(rustc)
        .args(["--crate-type", "staticlib", "--print", "native-static-libs"])
        .args(["--target", &env::var("TARGET").unwrap(), "-o"])
        .arg(out.join("libnative-libs-probe.a"))
        .arg(&probe)
        .output()
        .expect("rustc runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    stderr
        .lines()
        .find_map(|l| {
            l.split_once("native-static-libs: ")
                .map(|(_, libs)| libs.trim())
        })
        .unwrap_or_else(|| panic!("rustc reports no native-static-libs:\n{stderr}"))
        .to_string()
}
