//! The crate's layers only look down: every `crate::` and `super::` path in `src/` (in `use`
//! declarations and in code) names a file of the same layer or a lower one, and no files of a
//! layer import each other in a circle. The layers are the ones the crate's top-level doc
//! declares (`src/lib.rs`); every file of `src/` must be in one.
//!
//! Paths to items that a module re-exports (`pub use child::Item`) are followed to the file
//! that defines them, so a `mod.rs` that gathers its children is not a circle with them.
//!
//! So that the test cannot pass by finding nothing, it also checks a scratch copy of `src/`
//! with one import made to go up a layer and another with two files of one layer importing
//! each other: the checker must report each.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom to top: each file's module path by its first segments.
const LAYERS: &[(&str, &[&str])] = &[
    ("vocabulary", &["env", "error", "half", "reduction"]),
    ("lanes", &["simd"]),
    ("kernel math", &["kernel"]),
    ("reductions", &["partial", "sum", "total"]),
    ("element loop", &["loops"]),
    ("engine", &["pass", "leaf", "tree", "pool"]),
    ("element types", &["element"]),
    ("operations", &["ops"]),
    ("C door", &["ffi"]),
];

/// A module path: `["simd", "dispatch"]` for `src/simd/dispatch.rs`, `[]` for `src/lib.rs`.
type Module = Vec<String>;

/// Every `.rs` file under `dir`, by module path.
fn modules(src: &Path) -> BTreeMap<Module, String> {
    fn walk(dir: &Path, src: &Path, out: &mut BTreeMap<Module, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, src, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                    module.pop();
                }
                out.insert(module, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(src, src, &mut out);
    out
}

/// The text without comments (line comments and doc comments; block comments are not used).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| {
            // A `//` outside a string literal starts a comment.
            let mut quotes = 0;
            let bytes = line.as_bytes();
            for i in 0..bytes.len() {
                match bytes[i] {
                    b'"' if i == 0 || bytes[i - 1] != b'\\' => quotes += 1,
                    b'/' if quotes % 2 == 0 && bytes.get(i + 1) == Some(&b'/') => {
                        return &line[..i];
                    }
                    _ => {}
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How many inline modules (`mod name { ... }`, the tests' among them) enclose each byte of
/// `code`: a `super::` written there first leaves those.
fn inline_depths(code: &str) -> Vec<usize> {
    let mut depths = vec![0; code.len() + 1];
    // The brace depth at which each open inline module started.
    let mut open: Vec<usize> = Vec::new();
    let mut braces = 0usize;
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' => {
                // An inline module: `mod name {` just before.
                let head = code[..i].trim_end();
                let word_start = head.rfind(|c: char| !(c.is_alphanumeric() || c == '_'));
                let before = word_start.map_or("", |w| head[..w + 1].trim_end());
                if before.ends_with("mod") && word_start.is_some() {
                    open.push(braces);
                }
                braces += 1;
            }
            b'}' => {
                braces = braces.saturating_sub(1);
                if open.last() == Some(&braces) {
                    open.pop();
                }
            }
            _ => {}
        }
        depths[i] = open.len();
        i += 1;
    }
    depths
}

/// The paths of `use` declarations, braces expanded: `use a::{b, c::{d, e}};` gives `a::b`,
/// `a::c::d`, `a::c::e`; whether each is a `pub` re-export; and where it is written.
fn use_paths(code: &str) -> Vec<(bool, String, usize)> {
    fn expand(prefix: &str, tree: &str, out: &mut Vec<String>) {
        let tree = tree.trim();
        match tree.find('{') {
            None => {
                let item = tree.split(" as ").next().unwrap().trim();
                out.push(format!("{prefix}{item}"));
            }
            Some(open) => {
                let head = &tree[..open];
                let inner = &tree[open + 1..tree.rfind('}').unwrap()];
                // Split at top-level commas.
                let (mut depth, mut start) = (0, 0);
                for (i, ch) in inner.char_indices() {
                    match ch {
                        '{' => depth += 1,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            expand(&format!("{prefix}{head}"), &inner[start..i], out);
                            start = i + 1;
                        }
                        _ => {}
                    }
                }
                if !inner[start..].trim().is_empty() {
                    expand(&format!("{prefix}{head}"), &inner[start..], out);
                }
            }
        }
    }
    let mut found = Vec::new();
    let mut offset = 0;
    while let Some(found_at) = code[offset..].find("use ") {
        let at = offset + found_at;
        let before = &code[..at];
        let starts = before.is_empty()
            || before.ends_with(|c: char| c.is_whitespace() || c == ';' || c == '{');
        let public = before.trim_end().ends_with(')') || before.trim_end().ends_with("pub");
        let end = code[at..].find(';').map_or(code.len(), |e| at + e);
        if starts {
            let mut paths = Vec::new();
            expand("", &code[at + 4..end], &mut paths);
            found.extend(
                paths
                    .into_iter()
                    .map(|p| (public, p.replace(char::is_whitespace, ""), at)),
            );
        }
        offset = if starts { end } else { at + 4 };
        if offset >= code.len() {
            break;
        }
    }
    found
}

/// The `crate::` and `super::` paths written in code (outside `use` declarations too), and
/// where.
fn inline_paths(code: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        let mut offset = 0;
        while let Some(found_at) = code[offset..].find(start) {
            let at = offset + found_at;
            let before = code[..at].chars().last();
            let tail = &code[at..];
            let len = tail
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(tail.len());
            let path = tail[..len].trim_end_matches(':');
            // A bare `crate::` opens a `use` group, read by `use_paths`.
            if !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && path.contains("::") {
                found.push((path.to_owned(), at));
            }
            offset = at + len.max(1);
        }
    }
    found
}

/// A path written in `module` inside `inline` inline modules, made absolute: segments after
/// `crate`.
fn absolute(module: &Module, inline: usize, path: &str) -> Option<Module> {
    let mut segments: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut base: Module = match segments.first()? {
        &"crate" => {
            segments.remove(0);
            vec![]
        }
        &"super" | &"self" => {
            // The inline modules around the path come first.
            let mut inline = inline;
            while inline > 0 && segments.first() == Some(&"super") {
                segments.remove(0);
                inline -= 1;
            }
            if segments.is_empty() || segments.first() != Some(&"super") {
                if segments.first() == Some(&"self") {
                    segments.remove(0);
                }
                let mut base = module.clone();
                base.extend(segments.iter().map(|s| s.to_string()));
                return Some(base);
            }
            // A file's module path is its directory's for `mod.rs`: each `super` goes up one.
            let mut base = module.clone();
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
            if segments.first() == Some(&"self") {
                segments.remove(0);
            }
            base
        }
        _ => return None,
    };
    base.extend(segments.iter().map(|s| s.to_string()));
    Some(base)
}

/// The file module a full path lands in: the longest prefix that is a file, following the
/// re-exports of the modules along the way.
fn resolve(
    path: &Module,
    files: &BTreeSet<Module>,
    reexports: &BTreeMap<Module, Module>,
    depth: usize,
) -> Module {
    for len in (0..=path.len()).rev() {
        let prefix = path[..len].to_vec();
        if !files.contains(&prefix) {
            continue;
        }
        // The next segment may be an item the module re-exports from elsewhere.
        if let Some(item) = path.get(len) {
            let mut key = prefix.clone();
            key.push(item.clone());
            if let Some(target) = reexports.get(&key) {
                if depth < 8 && *target != key {
                    let mut full = target.clone();
                    full.extend(path[len + 1..].iter().cloned());
                    return resolve(&full, files, reexports, depth + 1);
                }
            }
        }
        return prefix;
    }
    vec![]
}

/// Each file's imports of other files, each with a path that makes it.
fn graph(src: &Path) -> BTreeMap<Module, BTreeMap<Module, String>> {
    let modules = modules(src);
    let files: BTreeSet<Module> = modules.keys().cloned().collect();
    // Items re-exported by `pub use` (any visibility): module path + name -> full path.
    let mut reexports = BTreeMap::new();
    for (module, text) in &modules {
        let code = code(text);
        let depths = inline_depths(&code);
        for (public, path, at) in use_paths(&code) {
            let Some(full) = absolute(module, depths[at], &path) else {
                // `pub use child::Item` relative to the module itself.
                if public {
                    let mut full = module.clone();
                    full.extend(path.split("::").map(str::to_owned));
                    let mut key = module.clone();
                    key.push(full.last().unwrap().clone());
                    reexports.insert(key, full);
                }
                continue;
            };
            if public {
                let mut key = module.clone();
                key.push(full.last().unwrap().clone());
                reexports.insert(key, full);
            }
        }
    }
    let mut edges = BTreeMap::new();
    for (module, text) in &modules {
        let code = code(text);
        let depths = inline_depths(&code);
        let mut targets = BTreeMap::new();
        let paths = use_paths(&code)
            .into_iter()
            .filter(|(public, _, _)| !public)
            .map(|(_, p, at)| (p, at))
            .chain(inline_paths(&code));
        for (path, at) in paths {
            let Some(full) = absolute(module, depths[at], &path) else {
                continue;
            };
            let target = resolve(&full, &files, &reexports, 0);
            // A module's own children and itself are not imports of another file.
            if target != *module && !(target.len() > module.len() && target.starts_with(module)) {
                targets.entry(target).or_insert(path);
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

/// The layer of a file (`None` for the crate root, above all), or an error for a file in none.
fn layer(module: &Module) -> Result<Option<usize>, String> {
    let Some(first) = module.first() else {
        return Ok(None);
    };
    LAYERS
        .iter()
        .position(|(_, names)| names.contains(&first.as_str()))
        .map(Some)
        .ok_or_else(|| format!("src/{}: in no layer", module.join("/")))
}

/// Every breach of the layering in `src`: imports going up, circles, files in no layer.
fn breaches(src: &Path) -> (Vec<String>, usize) {
    let edges = graph(src);
    let mut found = Vec::new();
    let count = edges.values().map(BTreeMap::len).sum();
    for (from, targets) in &edges {
        let from_layer = match layer(from) {
            Ok(l) => l,
            Err(e) => {
                found.push(e);
                continue;
            }
        };
        for (to, path) in targets {
            let to_layer = layer(to).ok().flatten();
            let up = match (from_layer, to_layer) {
                (_, None) => !to.is_empty() || from_layer.is_some(),
                (None, Some(_)) => false,
                (Some(f), Some(t)) => t > f,
            };
            if up {
                found.push(format!(
                    "src/{} imports src/{} from a higher layer ({path})",
                    from.join("/"),
                    to.join("/")
                ));
            }
        }
    }
    // Circles: a file that reaches itself.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&Module> = edges[start].keys().collect();
        while let Some(m) = stack.pop() {
            if m == start {
                found.push(format!("src/{} is in an import circle", start.join("/")));
                break;
            }
            if seen.insert(m.clone()) {
                stack.extend(edges.get(m).into_iter().flat_map(BTreeMap::keys));
            }
        }
    }
    (found, count)
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn every_import_looks_down_and_none_goes_round() {
    let (found, count) = breaches(&src());
    println!("{count} file-to-file imports checked");
    assert!(
        count > 100,
        "only {count} imports found: the parser misses them"
    );
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// A copy of `src/` in a scratch directory, with `edit` applied to one file's text.
fn scratch(name: &str, file: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("layers-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    copy(&src(), &dir);
    let path = dir.join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, edit(&text)).unwrap();
    dir
}

#[test]
fn an_import_going_up_is_found() {
    // The lane sums (reductions) made to use a public operation.
    let dir = scratch("up", "sum.rs", |t| {
        t.replacen(
            "use crate::partial::Partial;",
            "use crate::partial::Partial;\nuse crate::ops::forward_none;",
            1,
        )
    });
    let (found, _) = breaches(&dir);
    assert!(
        found.iter().any(|f| f.contains("src/sum imports src/ops")),
        "{found:?}"
    );
    // The same import written inline, in code.
    let dir = scratch("up-inline", "kernel/fast.rs", |t| {
        format!("{t}\nfn _wrong() {{ let _ = crate::tree::BLOCK; }}\n")
    });
    let (found, _) = breaches(&dir);
    assert!(
        found
            .iter()
            .any(|f| f.contains("src/kernel/fast imports src/tree")),
        "{found:?}"
    );
}

#[test]
fn a_circle_within_a_layer_is_found() {
    // The exact fixed-point sum made to use the lane sums, which use it.
    let dir = scratch("circle", "partial.rs", |t| {
        format!("use crate::sum::Lanes;\n{t}")
    });
    let (found, _) = breaches(&dir);
    assert!(
        found
            .iter()
            .any(|f| f.contains("src/partial is in an import circle")),
        "{found:?}"
    );
}

#[test]
fn a_file_in_no_layer_is_found() {
    let dir = scratch("stray", "lib.rs", |t| format!("{t}\nmod stray;\n"));
    std::fs::write(dir.join("stray.rs"), "//! A stray file.\n").unwrap();
    let (found, _) = breaches(&dir);
    assert!(
        found.iter().any(|f| f.contains("src/stray: in no layer")),
        "{found:?}"
    );
}
