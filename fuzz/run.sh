#!/usr/bin/env bash
# Builds the fuzz target with coverage instrumentation on the stable toolchain (the
# sanitizer-coverage pass that cargo-fuzz also uses, without its nightly-only sanitizers) and
# runs libFuzzer.
#
#   fuzz/run.sh SECONDS [libFuzzer options...]
#
# With FUZZ_BUILD_ONLY=1, it builds and stops.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
export RUSTFLAGS="--cfg fuzzing -Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks"
# With an explicit --target, RUSTFLAGS reach the target crates only, not build scripts.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --bin c_entry_points --target "$host"
if [ "${FUZZ_BUILD_ONLY:-0}" = 1 ]; then
    exit 0
fi
mkdir -p corpus/c_entry_points
exec "target/$host/release/c_entry_points" corpus/c_entry_points -max_total_time="$seconds" \
    -max_len=4096 -print_final_stats=1 "$@"
