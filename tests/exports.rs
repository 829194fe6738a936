//! Every exported C function goes through the panic guard, and the exports are exactly the
//! functions the header declares.
//!
//! cbindgen cannot see through a macro on the stable toolchain, so exports are written out as
//! `#[no_mangle] extern "C" fn`; this test enforces the shape instead: the body of every export
//! is a single `guard(...)` call, and `#[no_mangle]` appears nowhere else in the crate.

use std::collections::BTreeSet;
use std::path::Path;

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

/// (name, body) of every `extern "C" fn` in `text`, with a check that `#[no_mangle]` is the
/// line just before it.
fn exports(file: &str, text: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("no_mangle") && !line.trim_start().starts_with("//") {
            let next = lines.get(i + 1).copied().unwrap_or("");
            assert!(
                line.trim() == "#[no_mangle]"
                    && next.starts_with("pub ")
                    && next.contains("extern \"C\" fn "),
                "{file}:{}: #[no_mangle] must sit directly on a `pub extern \"C\" fn`",
                i + 1
            );
        }
        let Some(at) = line.find("extern \"C\" fn ") else {
            continue;
        };
        if line.trim_start().starts_with("//") {
            continue;
        }
        // A private `extern "C" fn` is no symbol: a callback handed to C (the fork handlers).
        if !line.trim_start().starts_with("pub ") {
            assert!(
                i == 0 || !lines[i - 1].contains("no_mangle"),
                "{file}:{}: a private extern \"C\" fn must not be exported",
                i + 1
            );
            continue;
        }
        assert!(
            i > 0 && lines[i - 1].trim() == "#[no_mangle]",
            "{file}:{}: extern \"C\" fn without #[no_mangle] directly above",
            i + 1
        );
        let name: String = line[at + 14..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        // The body runs from the signature's opening brace to the first `}` in column 0.
        let start = lines[i..].iter().position(|l| l.ends_with('{')).unwrap() + i + 1;
        let end = lines[start..].iter().position(|l| *l == "}").unwrap() + start;
        found.push((name, lines[start..end].join("\n")));
    }
    found
}

/// The functions `include/softmargin.h` declares.
fn declared() -> BTreeSet<String> {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/softmargin.h"))
            .unwrap();
    header
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && !l.starts_with('/'))
        .filter_map(|l| l.split_once('(').map(|(head, _)| head))
        .filter_map(|head| head.split_whitespace().last())
        .map(|name| name.trim_start_matches('*').to_owned())
        .filter(|name| name.starts_with("softmargin_"))
        .collect()
}

/// The shared library's dynamic symbol table exports exactly the declared functions: no Rust
/// symbol, no helper, nothing from the dependencies.
#[test]
#[cfg(target_os = "linux")]
fn shared_library_exports_exactly_the_header() {
    let exe = std::env::current_exe().unwrap();
    let lib = exe.parent().unwrap().join("libsoftmargin.so");
    let out = std::process::Command::new("nm")
        .args(["-D", "--defined-only"])
        .arg(&lib)
        .output()
        .expect("nm (binutils) runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut functions = BTreeSet::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (kind, name) = (fields[fields.len() - 2], fields[fields.len() - 1]);
        // Version-definition entries (absolute symbols of kind A) name no code or data.
        if kind == "A" {
            continue;
        }
        assert_eq!(kind, "T", "unexpected export {name} ({kind})");
        functions.insert(name.to_owned());
    }
    assert_eq!(functions, declared());
}

#[test]
fn every_export_is_guarded_and_declared() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut exported = BTreeSet::new();
    for (file, text) in &files {
        for (name, body) in exports(file, text) {
            let body = body.trim();
            assert!(
                body.starts_with("guard(") && body.ends_with(')') && !body.contains(';'),
                "{file}: the body of {name} must be a single guard(...) call:\n{body}"
            );
            assert!(name.starts_with("softmargin_"), "{name} lacks the prefix");
            exported.insert(name);
        }
    }
    // The full matrix: each of the four element types has each of the six operations.
    for ty in ["f32", "f64", "f16", "bf16"] {
        for op in [
            "forward",
            "backward",
            "forward_backward",
            "gradient_hessian",
            "forward_partial",
            "forward_backward_shard",
        ] {
            let name = format!("softmargin_{op}_{ty}");
            assert!(exported.contains(&name), "{name} is missing");
        }
    }
    // Those 24, a target check and a partial's finish per type, the merge, the status
    // strings, the version, the path and the two thread controls.
    assert_eq!(exported.len(), 24 + 4 + 4 + 1 + 5, "{exported:?}");
    assert_eq!(exported, declared());
}
