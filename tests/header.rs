//! The committed header's version macros are the package's, and it has its guard and C++
//! linkage. (That it is what cbindgen generates from the sources is `softmargin-header`'s
//! test.)

use std::path::Path;

fn committed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/softmargin.h");
    std::fs::read_to_string(path).expect("include/softmargin.h is committed")
}

fn macro_value(header: &str, name: &str) -> String {
    let prefix = format!("#define {name} ");
    let line = header
        .lines()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("{name} is not defined"));
    line[prefix.len()..].trim().to_owned()
}

#[test]
fn version_macros_match_cargo_toml() {
    let h = committed();
    assert_eq!(
        macro_value(&h, "SOFTMARGIN_VERSION_MAJOR"),
        env!("CARGO_PKG_VERSION_MAJOR")
    );
    assert_eq!(
        macro_value(&h, "SOFTMARGIN_VERSION_MINOR"),
        env!("CARGO_PKG_VERSION_MINOR")
    );
    assert_eq!(
        macro_value(&h, "SOFTMARGIN_VERSION_PATCH"),
        env!("CARGO_PKG_VERSION_PATCH")
    );
    assert_eq!(
        macro_value(&h, "SOFTMARGIN_VERSION_STRING"),
        format!("\"{}\"", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn header_has_guard_and_cpp_linkage() {
    let h = committed();
    assert!(h.contains("#ifndef SOFTMARGIN_H\n#define SOFTMARGIN_H\n"));
    assert!(h.contains("#ifdef __cplusplus\nextern \"C\" {"));
    assert!(
        h.trim_end().ends_with("#endif  /* SOFTMARGIN_H */"),
        "{}",
        &h[h.len() - 80..]
    );
}
