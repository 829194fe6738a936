#!/usr/bin/env bash
# The examples in other languages print what examples/basic.c prints, byte for byte: Node.js
# through koffi (examples/basic.mjs) and Go through cgo (examples/basic.go), each run by the
# line at its top, as written, from the repository's root. Needs `cargo build --release` first,
# node with npm (koffi comes from npm) and go.
#
#   tests/other-languages.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
# koffi lands in ./node_modules, as the Node example's line installs it: removed after, unless it
# was there before.
if [ -e node_modules ]; then
    trap 'rm -rf "$work"' EXIT
else
    trap 'rm -rf "$work" node_modules' EXIT
fi
cc -std=c99 -Iinclude examples/basic.c -Ltarget/release -lsoftmargin \
    -Wl,-rpath,"$PWD/target/release" -lm -o "$work/basic"
"$work/basic" >"$work/c.out"
for src in examples/basic.mjs examples/basic.go; do
    # The run line: the comment line that starts a command.
    line=$(sed -n 's#^//[[:space:]]\+\(\(npm\|node\|go\) .*\)$#\1#p' "$src")
    if [ -z "$line" ] || [ "$(wc -l <<<"$line")" -ne 1 ]; then
        echo "$src: no single run line at its top" >&2
        exit 1
    fi
    if ! bash -c "$line" >"$work/out" 2>"$work/err"; then
        echo "$src: the line failed: $line"
        cat "$work/out" "$work/err"
        exit 1
    fi
    # npm's own chatter goes to stdout before the program's: compare the program's lines.
    tail -n "$(wc -l <"$work/c.out")" "$work/out" >"$work/lang.out"
    if ! cmp -s "$work/c.out" "$work/lang.out"; then
        echo "$src prints otherwise than examples/basic.c:"
        diff "$work/c.out" "$work/lang.out" || true
        exit 1
    fi
    echo "$src: $line: the C example's $(wc -l <"$work/c.out") lines"
done
