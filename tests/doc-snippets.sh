#!/usr/bin/env bash
# Every C, C++ and Python block of the documents (tests/documents.py: the READMEs, CHANGELOG.md
# and docs/) runs as the reader copies it. A C or C++ block's `#include`s and definitions (a line
# at the margin through the line `}`) stay at file scope and its other lines go inside main(),
# compiled with warnings as errors against target/release (declarations there must agree with
# the header's: a block-scope redeclaration of another type fails) and run, which must succeed
# with nothing on stderr; a block that includes <mpi.h> is built with mpicc (its functions
# compiled and linked, not called). A Python block runs from the repository's root. Where a line
# prints and carries a comment (`print(...)  # text`, `printf(...);  // text`), the comment is
# the printed line. Needs `cargo build --release` first, and a Python with the softmargin
# package, torch and xgboost installed (PYTHON; python3 by default).
#
#   tests/doc-snippets.sh [PYTHON]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "${1:-python3}" <<'PY'
import os, re, subprocess, sys, tempfile

sys.path.insert(0, "tests")
from documents import documents, parts

python = sys.argv[1]
work = tempfile.TemporaryDirectory()
lib = os.path.abspath("target/release")

def blocks(path):
    """(line number of its fence, language, text) of every fenced block."""
    for part in parts(path):
        if part[0] == "block":
            _, start, lang, lines = part
            yield start, lang, "".join(line + "\n" for _, line in lines)

def c_program(text):
    """The block as a program: includes and definitions at file scope, the rest in main()."""
    top, body = ["#include <stdio.h>\n", "#include <softmargin.h>\n"], []
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines):
        # A statement or declaration: its lines through the one that ends it.
        j = i
        while j + 1 < len(lines) and not lines[j].rstrip().endswith((";", "{", "}", "*/")) \
                and not lines[j].startswith("#"):
            j += 1
        head = "".join(lines[i:j + 1])
        control = re.match(r"(if|for|while|do|switch|else)\b", head)
        if lines[i].startswith("#"):
            top.append(head)
        elif head.rstrip().endswith("{") and "(" in head and not control and head[0] != " ":
            # A function's definition: through the line `}` at the margin.
            while lines[j].rstrip() != "}":
                j += 1
            top.append("".join(lines[i:j + 1]))
        else:
            body.extend("    " + line for line in lines[i:j + 1])
        i = j + 1
    return "".join(top) + "\nint main(void) {\n" + "".join(body) + "    return 0;\n}\n"

def run(what, cmd, quiet=False):
    """The command's output; it must succeed, and if `quiet`, write nothing to stderr."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0 or (quiet and r.stderr):
        sys.exit(f"{what}: {' '.join(cmd)} failed\n{r.stdout}{r.stderr}")
    return r.stdout

count = 0
for doc in documents():
    for n, lang, text in blocks(doc):
        where = f"{doc}:{n}"
        if lang in ("c", "cpp"):
            src = os.path.join(work.name, f"snippet{count}.{'c' if lang == 'c' else 'cpp'}")
            exe = src + ".out"
            open(src, "w").write(c_program(text))
            cc = ["mpicc"] if "<mpi.h>" in text else ["cc", "-std=c99"] if lang == "c" else ["c++", "-std=c++17"]
            run(where, cc + ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-Iinclude", src, "-L" + lib,
                             "-lsoftmargin", "-Wl,-rpath," + lib, "-lm", "-o", exe])
            # A block's error messages go to stderr: there must be none.
            out = run(where, [exe], quiet=True)
        elif lang == "python":
            out = run(where, [python, "-c", text])
        else:
            continue
        # A line that prints, with a comment: the comment is what it prints.
        want = re.findall(r"^\s*(?:print|std::printf|printf)\(.*\);?\s+(?:#|//)\s*(.*)$", text, re.M)
        if want and out.splitlines()[-len(want):] != want:
            sys.exit(f"{where}: printed\n{out}but its comments say\n" + "\n".join(want))
        count += 1
        print(f"{where}: {lang} block ran" + (f": {out.splitlines()[-1]}" if out.strip() else ""))
print(f"the {count} C, C++ and Python blocks of the READMEs and docs/ all ran")
PY
