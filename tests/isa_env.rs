//! SOFTMARGIN_ISA caps the instruction-set path. One test in its own binary: the variable is
//! read once, at first use.

use softmargin::{isa, Isa, ISA_ENV};

#[test]
fn the_environment_caps_the_path() {
    // Names are read without regard to case or surrounding whitespace.
    std::env::set_var(ISA_ENV, " PORTABLE\n");
    assert_eq!(isa(), Isa::Portable);
    // SAFETY: softmargin_isa returns a static NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(softmargin::ffi::softmargin_isa()) };
    assert_eq!(name.to_bytes(), b"portable");
    // The cap changes nothing in the results: the path is still usable end to end.
    let mut loss = [0.0f32; 3];
    softmargin::forward_none(&[-100.0f32, 0.0, 100.0], &[1.0f32; 3], &mut loss).unwrap();
    assert_eq!(
        loss,
        [100.0, std::f32::consts::LN_2, (-100f64).exp() as f32]
    );
}
