//! What a kernel runs on: a chunk of elements, every input in a slice of its own.

/// How a chunk's gradient is scaled: by each element's factor (in [`Chunk::each`]), by one
/// factor (SUM, and the passes without a `grad_output`), or by one factor over the element
/// count (MEAN).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum GradScale {
    Each,
    Times(f64),
    TimesOver(f64, f64),
}

/// A run of elements of a leaf of the block tree: the whole leaf, or part of it when an input
/// is copied aside; it starts at a multiple of 16 within its leaf, so that element `i` of the
/// leaf goes into sum lane `i % 16` whatever the chunks. (Public only in name: the crate's
/// sealed element trait takes it; nothing outside the crate can reach it.)
pub struct Chunk<'c, T> {
    pub x: &'c [T],
    pub y: &'c [T],
    /// The per-element factors of [`GradScale::Each`].
    pub each: Option<&'c [T]>,
    pub loss: Option<&'c mut [T]>,
    pub grad: Option<&'c mut [T]>,
    pub scale: GradScale,
    /// Whether the losses are summed.
    pub sum: bool,
}
