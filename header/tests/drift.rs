//! The committed `include/softmargin.h` is what cbindgen generates from the library's sources,
//! and the declarations the library's build script gives Python's cffi (taken from the
//! committed header) are the ones cbindgen generates bare.

// The build script's transformation, compiled here as a module (its `main` unused).
#[allow(dead_code)]
#[path = "../../build.rs"]
mod build_script;

use softmargin_header::{generate, root};

fn committed() -> String {
    std::fs::read_to_string(root().join("include/softmargin.h")).expect("the committed header")
}

#[test]
fn committed_header_is_in_sync() {
    assert!(
        committed() == generate(&root(), false),
        "include/softmargin.h differs from what cbindgen generates; run \
         `cargo run -p softmargin-header` and commit the result"
    );
}

/// A text's lines without comments, surrounding blanks and empty lines.
fn code_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_comment = false;
    for line in text.lines() {
        let mut t = line.trim();
        if in_comment {
            match t.find("*/") {
                Some(end) => {
                    in_comment = false;
                    t = t[end + 2..].trim();
                }
                None => continue,
            }
        }
        if let Some(start) = t.find("/*") {
            in_comment = !t[start..].contains("*/");
            t = t[..start].trim();
        }
        if let Some(start) = t.find("//") {
            t = t[..start].trim();
        }
        if !t.is_empty() {
            out.push(t.to_string());
        }
    }
    out
}

#[test]
fn cffi_declarations_are_cbindgen_s_bare_ones() {
    let from_build = build_script::cffi_declarations(&committed());
    let bare = generate(&root(), true);
    assert_eq!(code_lines(&from_build), code_lines(&bare));
    // A planted difference shows.
    let planted = committed().replace("size_t len,", "size_t length,");
    assert_ne!(
        code_lines(&build_script::cffi_declarations(&planted)),
        code_lines(&bare)
    );
}
