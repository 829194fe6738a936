"""The project's documents as the scripts that check them read them (tests/doc-commands.sh,
tests/doc-snippets.sh): which they are, and their fenced blocks and paragraphs of prose."""

import glob


def documents():
    """The READMEs (the repository's and the Python package's), the changelog and docs/."""
    return ["README.md", "python/README.md", "CHANGELOG.md", *sorted(glob.glob("docs/*.md"))]


def parts(path):
    """The document's parts, in order: ("block", line number of the fence, language,
    [(line number, line), ...]) for a fenced block (its language "text" when the fence names
    none), ("prose", line number, text) for a paragraph, its lines stripped and joined by
    spaces."""
    block, para = None, []
    # A blank line after the last ends its paragraph.
    for n, line in enumerate(open(path).read().split("\n") + [""], 1):
        fence = line.startswith("```")
        if para and (fence or not line.strip()):
            yield "prose", para[0][0], " ".join(text for _, text in para)
            para = []
        if fence and block is None:
            block = (n, (line[3:].split() or ["text"])[0], [])
        elif fence:
            yield ("block",) + block
            block = None
        elif block is not None:
            block[2].append((n, line))
        elif line.strip():
            para.append((n, line.strip()))
