//! Why an operation refused its arguments: a word of the crate's vocabulary.

/// Why an operation refused its arguments. Nothing has been written when one is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A slice's length differs from the input's.
    LengthMismatch,
    /// An [`Operand`](crate::Operand) names an output buffer the operation does not write.
    NoSuchOutput,
    /// A shard's length exceeds the total element count given for the whole data set.
    ShardBeyondTotal,
    /// A partial sum's bytes are corrupted or describe no possible sum, or a merge's count
    /// would pass `u64::MAX`.
    InvalidPartial,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Error::LengthMismatch => "a slice's length differs from the input's",
            Error::NoSuchOutput => "an operand names an output the operation does not write",
            Error::ShardBeyondTotal => "a shard holds more elements than the whole data set",
            Error::InvalidPartial => {
                "a partial sum is corrupted or impossible, or a merge's count would overflow"
            }
        })
    }
}

impl std::error::Error for Error {}
