#!/usr/bin/env bash
# Every command the READMEs (the repository's, python/'s), CHANGELOG.md and docs/ show is run by
# CI as written: each line of a ```sh block, and each command written in the prose as inline
# code (a span that starts with a program such as cargo, python3, cmake, cc, go or node, or with
# a script of the repository), must appear verbatim in the code of .ci/run or a script of tests/
# (which run it, mostly through a check that the document still shows it), or be an example's
# build-and-run line (which tests/build-lines.sh and tests/other-languages.sh run). A `<...>` in
# a span stands for any one word. A command added to the documents without a run fails this
# check; `--list` prints every command found, and where it runs. (tests/documents.py lists the
# documents and reads their blocks and prose.)
#
#   tests/doc-commands.sh [--list]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, re, sys

sys.path.insert(0, "tests")
from documents import documents, parts

listing = sys.argv[1:] == ["--list"]
scripts = [".ci/run"] + sorted(glob.glob("tests/*.sh"))
# Their code, not their comments (a usage line is not a run).
ci = {path: re.sub(r"^\s*#.*$", "", open(path).read(), flags=re.M) for path in scripts}
# The examples' build-and-run lines, which tests/build-lines.sh and tests/other-languages.sh run
# as their opening comments write them.
for path in sorted(glob.glob("examples/*")):
    lines = re.findall(r"^(?: \*   |//\s+)((?:cc|c\+\+|mpicc|npm|node|go) .*)$",
                       open(path).read(), re.M)
    if lines:
        ci[path] = "\n".join(lines)

# The programs a command may start with (after any VAR=value words), and the scripts.
PROGRAMS = {"cargo", "rustc", "python3", "python", "pip", "cmake", "ctest", "cc", "c++", "gcc",
            "go", "node", "npm", "mpicc", "mpirun", "valgrind", "pytest", "export", "ldconfig"}
SCRIPT = re.compile(r"^(\./)?(tests|fuzz)/\S+\.sh$")

def is_command(span):
    words = re.sub(r"<[^>]*>", "WORD", span).split()
    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
        words = words[1:]
    if not words:
        return False
    if SCRIPT.match(words[0]):
        return True
    # A program's bare name is a mention; with arguments it is a command.
    return words[0] in PROGRAMS and len(words) > 1

def commands(path):
    """(line number, command) of every shell-block line and every inline command span."""
    for part in parts(path):
        if part[0] == "prose":
            _, start, text = part
            for m in re.finditer(r"`([^`]+)`", text):
                span = " ".join(m.group(1).split())
                if is_command(span):
                    yield start, span
        elif part[2] == "sh":
            yield from ((n, line) for n, line in part[3]
                        if line.strip() and not line.lstrip().startswith("#"))

def runs(cmd):
    """The CI scripts that hold `cmd` (a `<...>` matching any one word)."""
    parts = re.split(r"<[^>]*>", cmd)
    pattern = re.compile(r"\S+".join(re.escape(p) for p in parts))
    return [path for path, text in ci.items() if pattern.search(text)]

missing = count = 0
for doc in documents():
    for n, cmd in commands(doc):
        count += 1
        where = runs(cmd)
        if listing:
            print(f"{doc}:{n}: {cmd}\n    run by: {', '.join(where) or 'NOTHING'}")
        if not where:
            print(f"{doc}:{n} shows a command CI does not run: {cmd}", file=sys.stderr)
            missing += 1
if missing:
    sys.exit(1)
print(f"the {count} commands the READMEs, CHANGELOG.md and docs/ show are all run by CI")
PY
