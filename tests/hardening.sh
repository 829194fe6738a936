#!/usr/bin/env bash
# The hardening checks: the C programs under AddressSanitizer + UndefinedBehaviorSanitizer and
# under valgrind, the many-threads program, a short coverage-guided fuzz session over the C entry
# points, and the tests over more than 2^31 and 2^32 elements.
#
#   tests/hardening.sh [FUZZ_SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds=${1:-60}
work=$(mktemp -d)
# Background builds still running when the script stops (on a failure) go with it.
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The fuzz target's instrumented build (its own target directory) goes on in the background
# while the sanitizer and valgrind runs use the other core.
FUZZ_BUILD_ONLY=1 fuzz/run.sh >"$work/fuzz-build.log" 2>&1 &
fuzz_build=$!

cargo build --lib -p softmargin
lib=target/debug
cflags=(-std=c99 -Wall -Wextra -Wpedantic -Werror -g -Iinclude)
link=(-L"$lib" -lsoftmargin -Wl,-rpath,"$PWD/$lib" -lm)
programs=(examples/basic.c examples/train.c examples/errors.c tests/c/api_test.c tests/c/hardening.c)

echo "== AddressSanitizer + UndefinedBehaviorSanitizer"
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
# The sanitizers must really be active: a canary with a heap overflow has to be caught.
cat > "$work/canary.c" <<'C'
#include <stdlib.h>
int main(void) { volatile char *p = malloc(4); p[4] = 1; free((void *)p); return 0; }
C
cc "${san[@]}" -g "$work/canary.c" -o "$work/canary"
if "$work/canary" 2>"$work/canary.err"; then
    echo "the sanitizer did not catch the canary's overflow" >&2
    exit 1
fi
grep -q "AddressSanitizer: heap-buffer-overflow" "$work/canary.err"
# Runs a sanitized program, its output in $1.out and $1.err; on failure prints both, returns 1.
sanitized() {
    if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
        "$1" >"$1.out" 2>"$1.err"; then
        echo "$1 failed; its output:"
        cat "$1.out" "$1.err"
        return 1
    fi
}
for src in "${programs[@]}"; do
    exe="$work/asan-$(basename "$src" .c)"
    cc "${cflags[@]}" "${san[@]}" "$src" "${link[@]}" -o "$exe"
    # Into a file first: with pipefail, `ldd | grep -q` fails whenever grep quits before ldd
    # has written its last line (ldd exits 1 on the SIGPIPE).
    ldd "$exe" >"$exe.ldd"
    grep -q libasan "$exe.ldd"
    grep -q libubsan "$exe.ldd"
    sanitized "$exe"
    echo "$src: clean ($(tail -n 1 "$exe.out"))"
done

echo "== valgrind"
vg=(valgrind -q --error-exitcode=1 --leak-check=full --num-callers=40
    --suppressions=tests/valgrind.supp)
cat > "$work/vg-canary.c" <<'C'
#include <stdlib.h>
int main(void) { int *p = malloc(4 * sizeof *p); int v = p[4]; free(p); return v == 12345; }
C
cc -g "$work/vg-canary.c" -o "$work/vg-canary"
if "${vg[@]}" "$work/vg-canary" 2>/dev/null; then
    echo "valgrind did not report the canary's invalid read" >&2
    exit 1
fi
# valgrind cannot execute AVX-512 instructions: its runs take the AVX2 path (the best one
# below), while the sanitizer runs above keep the default.
for src in "${programs[@]}"; do
    exe="$work/vg-$(basename "$src" .c)"
    cc "${cflags[@]}" -O1 "$src" "${link[@]}" -o "$exe"
    if ! SOFTMARGIN_ISA=avx2 "${vg[@]}" "$exe" >"$exe.out" 2>"$exe.err"; then
        echo "$src failed under valgrind; its output:"
        cat "$exe.out" "$exe.err"
        exit 1
    fi
    echo "$src: 0 errors ($(tail -n 1 "$exe.out"))"
done

echo "== many threads at once, thread count changing underneath"
cc "${cflags[@]}" -O1 -pthread tests/c/concurrency.c "${link[@]}" -o "$work/concurrency"
"$work/concurrency"

echo "== fuzzing the C entry points for ${fuzz_seconds}s"
wait "$fuzz_build" || { cat "$work/fuzz-build.log"; exit 1; }
fuzz/run.sh "$fuzz_seconds" 2>&1 | grep -E "^Done|^stat::(number_of_executed_units|new_units_added)|^#[0-9]+ +DONE"

echo "== more than 2^31 and 2^32 elements"
cargo test --test huge -- --ignored --test-threads 1
