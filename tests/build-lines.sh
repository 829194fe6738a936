#!/usr/bin/env bash
# The build-and-run line at the top of each example runs as written: each `cc`, `c++` or `mpicc`
# line of an example's opening comment, from the repository's root against target/release,
# must build a program that starts and exits 0 from another directory too (the run path, not
# the working directory, finds the library). Needs `cargo build --release` first, and OpenMPI
# for the MPI example.
#
#   tests/build-lines.sh
set -euo pipefail
cd "$(dirname "$0")/.."
made=()
trap 'rm -f "${made[@]}"' EXIT
# mpirun as root, and more ranks than cores, in CI's containers.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
for src in examples/*.c examples/*.cpp; do
    line=$(sed -n 's/^ \*   \(\(cc\|c++\|mpicc\) .*\)$/\1/p' "$src")
    if [ -z "$line" ] || [ "$(wc -l <<<"$line")" -ne 1 ]; then
        echo "$src: no single build-and-run line in its opening comment" >&2
        exit 1
    fi
    exe=$(sed -n 's/.* -o \([^ ]*\) .*/\1/p' <<<"$line")
    made+=("$exe")
    if ! out=$(bash -c "$line" 2>&1); then
        echo "$src: the line failed: $line"
        echo "$out"
        exit 1
    fi
    # The program starts from elsewhere too.
    run=("$PWD/$exe")
    if [[ $line == mpicc* ]]; then
        run=(mpirun -np 2 "$PWD/$exe")
    fi
    (cd / && "${run[@]}" >/dev/null)
    echo "$src: built and ran ($(tail -n 1 <<<"$out"))"
done
