#!/usr/bin/env bash
# The commands the README and docs/ give for the longer checks, the benchmarks and the API
# documentation, which no other CI script runs, run as the documents write them, so that none
# goes stale. Two run with a lighter load than their documents': the exhaustive test, over one
# input in 7 of the 2^32 (SOFTMARGIN_EXHAUSTIVE_STRIDE; the whole run takes minutes), and the
# benchmark's sweep of every size, with `quick` (fewer samples). The benchmarks' figures are not
# checked: a shared machine's timings are no test. (The Python benchmarks run in
# tests/install-consumers.sh, where the package is installed.) Needs `cargo build --release`
# first.
#
#   tests/doc-runs.sh
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== the tests docs/numerics.md and docs/performance.md name, with their output"
cargo test --test accuracy -- --nocapture
cargo test --test dispatch -- --nocapture

echo "== the exhaustive test (docs/numerics.md), one input in 7"
SOFTMARGIN_EXHAUSTIVE_STRIDE=7 cargo test --release --test exhaustive -- --ignored --nocapture

echo "== the half types' longer sweep (docs/numerics.md)"
SOFTMARGIN_HALF_PAIRS=20000000 cargo test --release --test half

echo "== the benchmark's commands (docs/performance.md, docs/numerics.md)"
cargo bench --bench throughput -- quick
cargo bench --bench throughput -- 4194304 2t
cargo bench --bench throughput -- 16777216 2t f32 f16 bf16
# Against a baseline build, measured in the same turns: this build stands for one here.
for path in avx2 portable; do
    SOFTMARGIN_ISA=$path SOFTMARGIN_BASELINE="$PWD/target/release/libsoftmargin.so" cargo bench --bench throughput -- 16777216 2t f32 f64
done

echo "== the static library's native libraries (docs/install.md): the list its link line names"
libs=$(cargo rustc --release --lib --crate-type staticlib -- --print native-static-libs 2>&1 |
    sed -n 's/.*native-static-libs: //p')
echo "rustc: $libs"
grep -qF -- "target/release/libsoftmargin.a $libs -o prog" docs/install.md ||
    { echo "docs/install.md's static link line does not name rustc's list: $libs" >&2; exit 1; }

echo "== the API documentation (the README, docs/install.md), without a warning; BROWSER stands for the browser"
BROWSER=true RUSTDOCFLAGS="-D warnings" cargo doc --open
