#!/usr/bin/env bash
# Every command the README and docs/ show in a shell block is run by CI as written: each line of
# a ```sh block must appear, verbatim, in .ci/run or a script of tests/ (which run it through a
# check that the document still shows it). A command added to the documents without a run here
# fails this check.
#
#   tests/doc-commands.sh
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
count=0
while IFS= read -r entry; do
    doc=${entry%%:*}
    cmd=${entry#*:}
    count=$((count + 1))
    if ! grep -qF -- "$cmd" .ci/run tests/*.sh; then
        echo "$doc shows a command CI does not run: $cmd" >&2
        missing=1
    fi
done < <(awk '
    /^```/ { if (block == "") { block = substr($0, 4); if (block == "") block = "text" } else block = ""; next }
    block == "sh" && NF { print FILENAME ":" $0 }
' README.md docs/*.md)
[ "$missing" = 0 ]
echo "the $count commands of the README's and docs/'s shell blocks are all run by CI"
