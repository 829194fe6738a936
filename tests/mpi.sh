#!/usr/bin/env bash
# examples/mpi_train.c built with mpicc against target/release and run on 1 to 4 ranks: the
# outputs must be the same bytes, and rank 0's check against one process over all the data
# must hold. Needs OpenMPI (mpicc, mpirun) and `cargo build --release` first.
#
#   tests/mpi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mpicc -std=c99 -O2 -Wall -Wextra -Wpedantic -Werror -Iinclude examples/mpi_train.c \
    -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o "$work/mpi_train"
for n in 1 2 3 4; do
    mpirun --allow-run-as-root --oversubscribe -np "$n" "$work/mpi_train" >"$work/out$n"
done
for n in 2 3 4; do
    if ! cmp -s "$work/out1" "$work/out$n"; then
        echo "$n ranks print otherwise than 1:"
        diff "$work/out1" "$work/out$n" || true
        exit 1
    fi
done
tail -n 1 "$work/out1" | grep -qx "the same bits as one process over all the data"
echo "1 to 4 ranks: the same $(wc -c <"$work/out1") bytes; $(tail -n 1 "$work/out1")"
