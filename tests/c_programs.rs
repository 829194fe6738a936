//! Compiles the C examples and C/C++ tests with the system compiler found by the `cc` crate,
//! links each once against the shared and once against the static library, runs them, and
//! checks their exit status and output.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Native libraries the static library needs, as rustc reports them (found by build.rs).
const STATIC_LIBS: &str = env!("SOFTMARGIN_NATIVE_STATIC_LIBS");

#[derive(Clone, Copy, Debug)]
enum Link {
    Shared,
    Static,
}

/// Where cargo put libsoftmargin.so and libsoftmargin.a for this test run.
fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let deps = exe.parent().unwrap().to_path_buf();
    for lib in ["libsoftmargin.so", "libsoftmargin.a"] {
        assert!(
            deps.join(lib).exists(),
            "{lib} not found in {}",
            deps.display()
        );
    }
    deps
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Compiles and links `source` into an executable; returns its path. C is C99; C++ is the
/// standard `cpp_std` names.
fn build_std(source: &str, cpp_std: Option<&str>, link: Link) -> PathBuf {
    let cpp = cpp_std.is_some();
    let tool = cc::Build::new()
        .cargo_metadata(false)
        .cargo_warnings(false)
        .cpp(cpp)
        .opt_level(1)
        .target(env!("TARGET"))
        .host(env!("TARGET"))
        .get_compiler();
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c-programs");
    std::fs::create_dir_all(&out_dir).unwrap();
    let stem = Path::new(source).file_stem().unwrap().to_str().unwrap();
    // A name of its own for every build: tests run in parallel and several build the same
    // source; one writing the executable another is starting fails the start (ETXTBSY).
    static BUILDS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let build = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let exe = out_dir
        .join(format!("{stem}-{}-{link:?}-{build}", cpp_std.unwrap_or("c99")).to_lowercase());
    let libs = lib_dir();
    let mut cmd = tool.to_command();
    cmd.arg(format!("-std={}", cpp_std.unwrap_or("c99")))
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-pthread"])
        .arg("-I")
        .arg(root().join("include"))
        .arg(root().join(source))
        .arg("-o")
        .arg(&exe);
    match link {
        Link::Shared => {
            cmd.arg(format!("-L{}", libs.display()))
                .arg("-lsoftmargin")
                .arg(format!("-Wl,-rpath,{}", libs.display()))
                .arg("-lm");
        }
        Link::Static => {
            cmd.arg(libs.join("libsoftmargin.a"))
                .args(STATIC_LIBS.split_whitespace());
        }
    }
    let output = cmd.output().expect("the C compiler runs");
    assert!(
        output.status.success(),
        "compiling {source} ({link:?}) failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    exe
}

/// Builds `source` both ways, runs each, and returns the output of the static build after
/// checking that both succeed with the same output.
fn build_and_run(source: &str, cpp: bool) -> String {
    build_and_run_std(source, if cpp { Some("c++11") } else { None })
}

fn build_and_run_std(source: &str, cpp_std: Option<&str>) -> String {
    let mut outputs = Vec::new();
    for link in [Link::Shared, Link::Static] {
        let exe = build_std(source, cpp_std, link);
        // cargo's LD_LIBRARY_PATH lists target/<profile> before deps/: a libsoftmargin.so left
        // there by an earlier `cargo build` would win over the run path to the one under test.
        let out = Command::new(&exe)
            .env_remove("SOFTMARGIN_NUM_THREADS")
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "{source} ({link:?}) exited with {}:\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        outputs.push(stdout);
    }
    assert_eq!(
        outputs[0], outputs[1],
        "{source}: shared and static builds differ"
    );
    outputs.pop().unwrap()
}

#[test]
fn basic_example_prints_the_reference_losses() {
    let out = build_and_run("examples/basic.c", false);
    let x = [0.5f64, -2.0, 3.1, -0.2];
    let y = [1.0f64, -1.0, 1.0, -1.0];
    let mut sum = 0.0;
    for i in 0..4 {
        // The values in double from the textbook formula, independent of the library.
        let l = (-y[i] * f64::from(x[i] as f32)).exp().ln_1p();
        sum += l;
        let line = format!("loss[{i}] (x = {:+.1}, y = {:+.0}) = {l:.6}", x[i], y[i]);
        assert!(out.contains(&line), "missing {line:?} in\n{out}");
    }
    let line = format!("mean = {:.6}", sum / 4.0);
    assert!(out.contains(&line), "missing {line:?} in\n{out}");
    // The reference's own figures: about 0.47 for the first, 0.12 for the second.
    assert!(out.contains("= 0.474077") && out.contains("= 0.126928"));
}

/// The losses `train.c` and `train.cpp` print fall every epoch and end at 90% accuracy or more.
fn check_training(out: &str) {
    let losses = losses(out, "epoch ");
    assert!(losses.len() >= 10, "{out}");
    assert!(
        losses.windows(2).all(|w| w[1] < w[0]),
        "loss must fall: {losses:?}"
    );
    let accuracy: f64 = out
        .split("accuracy ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no accuracy in\n{out}"));
    assert!(accuracy >= 0.9, "accuracy {accuracy}");
}

#[test]
fn training_example_learns() {
    check_training(&build_and_run("examples/train.c", false));
}

/// The losses a training example prints on its lines starting with `prefix`, in order.
fn losses(out: &str, prefix: &str) -> Vec<f64> {
    out.lines()
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|l| l.split_whitespace().nth(2).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn newton_reaches_gradient_descent_s_loss_in_a_handful_of_steps() {
    let descent = build_and_run("examples/train.c", false);
    let target = *losses(&descent, "epoch ").last().unwrap();
    let newton = build_and_run("examples/newton.c", false);
    let steps = losses(&newton, "step ");
    assert!(
        steps.windows(2).all(|w| w[1] < w[0]),
        "loss must fall: {steps:?}"
    );
    let reached = steps.iter().position(|&l| l <= target);
    assert!(
        matches!(reached, Some(k) if k <= 6),
        "Newton {steps:?} against gradient descent's final {target}"
    );
}

#[test]
fn cpp_training_example_learns_what_the_c_one_learns() {
    let cpp = build_and_run("examples/train.cpp", true);
    check_training(&cpp);
    // The same data and arithmetic through the SoftMarginLoss object: the same printout.
    assert_eq!(cpp, build_and_run("examples/train.c", false));
}

#[test]
fn error_example_reports_every_status() {
    let out = build_and_run("examples/errors.c", false);
    assert!(out.contains("all statuses as documented"), "{out}");
    assert!(out.contains("unknown status"), "{out}");
    assert!(out.contains("first invalid index 1"), "{out}");
}

#[test]
fn c_api_test_passes() {
    let out = build_and_run("tests/c/api_test.c", false);
    let last = out.lines().last().unwrap_or("");
    assert!(last.ends_with(" passed, 0 failed"), "{out}");
    let passed: u32 = last.split_whitespace().next().unwrap().parse().unwrap();
    assert!(passed >= 25, "{out}");
}

/// A child after fork() computes what its parent does, whether the parent's worker threads were
/// idle at the fork or busy with a large call on another thread; the program's watchdogs turn a
/// hang into a failure.
#[test]
fn forked_children_get_the_parents_results() {
    let out = build_and_run("tests/c/fork_test.c", false);
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn header_works_from_cpp() {
    let out = build_and_run("tests/cpp/header_test.cpp", true);
    assert!(out.starts_with("C++: mean "), "{out}");
}

#[test]
fn cpp_wrapper_works_in_cpp11_and_cpp20() {
    let out = build_and_run_std("tests/cpp/wrapper_test.cpp", Some("c++11"));
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
    assert!(!out.contains("spans"), "{out}");
    let out = build_and_run_std("tests/cpp/wrapper_test.cpp", Some("c++20"));
    assert!(out.contains("C++20 spans tested"), "{out}");
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

/// Every export on a thread with a small stack, on every path this CPU has, within the stack
/// bound the header states for this build: a build with debug assertions (cargo test's) 12.5
/// KiB, on a 24 KiB stack; a release build 10 KiB, on a 16 KiB stack (`PTHREAD_STACK_MIN`),
/// which `tests/small-stack.sh` checks in CI against the release library.
#[test]
fn every_export_stays_within_the_header_s_stack_bound() {
    let (stack, bound) = if cfg!(debug_assertions) {
        ("24576", "12800")
    } else {
        ("16384", "10240")
    };
    let exe = build_std("tests/c/small_stack.c", None, Link::Shared);
    for isa in softmargin::Isa::ALL {
        if !isa.is_supported() {
            println!("small stack: {} skipped (not on this CPU)", isa.name());
            continue;
        }
        let out = Command::new(&exe)
            .args([stack, bound])
            .env("SOFTMARGIN_ISA", isa.name())
            .env_remove("SOFTMARGIN_NUM_THREADS")
            .env_remove("LD_LIBRARY_PATH")
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        println!("{stdout}");
        assert!(
            out.status.success(),
            "{}: {}\n{stdout}",
            isa.name(),
            out.status
        );
        assert!(stdout.contains(&format!("path {}", isa.name())), "{stdout}");
        assert!(stdout.trim_end().ends_with(" passed, 0 failed"), "{stdout}");
    }
}
