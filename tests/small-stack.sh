#!/usr/bin/env bash
# The release library on a small stack: tests/c/small_stack.c calls every export on a thread with
# a 16 KiB stack (PTHREAD_STACK_MIN), on every instruction-set path this CPU has, and checks
# each call's deepest stack use against the header's bound for the release build (10 KiB).
#
#   tests/small-stack.sh   (after `cargo build --release`)
set -euo pipefail
cd "$(dirname "$0")/.."
lib=target/release
exe=$(mktemp -d)/small_stack
trap 'rm -rf "$(dirname "$exe")"' EXIT
cc -std=c99 -O1 -Wall -Wextra -Wpedantic -Werror -pthread -Iinclude tests/c/small_stack.c \
    -L"$lib" -lsoftmargin -Wl,-rpath,"$PWD/$lib" -lm -o "$exe"
for isa in avx512 avx2 portable; do
    out=$(SOFTMARGIN_ISA=$isa "$exe" 16384 10240) || { echo "$out"; exit 1; }
    if ! grep -qx "path $isa" <<<"$out"; then
        echo "$isa: skipped (not on this CPU: $(grep '^path ' <<<"$out"))"
        continue
    fi
    # The deepest call, and the summary line.
    echo "$isa: $(grep ' bytes$' <<<"$out" | grep -v '^stack' | sort -k2 -n | tail -n 1 | tr -s ' '); $(tail -n 1 <<<"$out")"
    tail -n 1 <<<"$out" | grep -q ' passed, 0 failed$'
done
