//! Writes `include/softmargin.h`, generated from the library's sources: run after changing the
//! C interface or its documentation, and commit the result.

fn main() {
    let root = softmargin_header::root();
    let path = root.join("include/softmargin.h");
    std::fs::write(&path, softmargin_header::generate(&root, false))
        .expect("the header is written");
    println!("wrote {}", path.display());
}
