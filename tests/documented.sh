# Sourced by .ci/run and the test scripts: commands run exactly as a document shows them.

# shows DOC CMD: fails (exit 1) unless DOC has CMD as a whole line.
shows() {
    grep -qxF -- "$2" "$1" || { echo "$1 no longer shows: $2" >&2; exit 1; }
}

# documented DOC CMD: CMD run as DOC shows it, after checking that DOC still does.
documented() {
    shows "$1" "$2"
    echo "\$ $2    ($1)"
    bash -c "$2"
}
