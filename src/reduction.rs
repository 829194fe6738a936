//! How per-element losses are reduced to one value: a word of the crate's vocabulary, used by
//! every layer above.

/// How per-element losses are reduced to one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduced {
    /// The sum divided by the number of elements (NaN for none).
    Mean,
    /// The sum (0 for no elements).
    Sum,
}
