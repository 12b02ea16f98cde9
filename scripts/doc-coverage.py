#!/usr/bin/env python3
"""Documentation coverage of the public declarations of Swift sources.

A public declaration is a line whose code starts with `public ` or `open ` (after any attributes
such as `@inlinable`, and modifiers such as `final`, `static`, `nonisolated`). It is documented
when the line immediately above it — skipping attribute-only lines (`@inlinable`,
`@discardableResult`, `@available(...)`) — is a `///` comment or closes a `/** … */` block.

With `--implicit`, the declarations that are public without saying so are counted too: the
`case` lines of a public enum and the requirements of a public protocol.

Usage:
  scripts/doc-coverage.py [--list] [--implicit] DIR_OR_FILE...

Prints one line per argument (documented / total and the percentage), then the total; with
`--list`, also each undocumented declaration as `file:line: declaration`. Python 3, no
dependencies; reads the files only.
"""

import os
import re
import sys

ATTRIBUTE = re.compile(r"@[A-Za-z_][\w.]*(\((?:[^()]|\([^()]*\))*\))?\s*")
MODIFIERS = {
    "final", "static", "class", "nonisolated", "override", "required", "convenience", "mutating",
    "nonmutating", "lazy", "weak", "unowned", "indirect", "dynamic", "optional", "prefix", "postfix",
    "infix", "consuming", "borrowing", "distributed", "package", "internal", "fileprivate", "private",
    "public", "open",
}
ACCESS = re.compile(r"^(public|open)(\(set\))?$")
REQUIREMENT = re.compile(r"^(static\s+|mutating\s+|nonisolated\s+)*(func|var|let|init|subscript|associatedtype)\b")


def strip_attributes(code):
    """`code` without its leading attributes."""
    while code.startswith("@"):
        m = ATTRIBUTE.match(code)
        if not m:
            break
        code = code[m.end():]
    return code


def is_public(code):
    """Whether `code` (a stripped line) declares something `public` or `open`."""
    rest = strip_attributes(code)
    if not rest:
        return False
    for word in re.split(r"\s+", rest):
        word = re.sub(r"\(set\)$", "", word)
        if ACCESS.match(word):
            return True
        if word not in MODIFIERS:
            return False
    return False


def is_attribute_only(code):
    """Whether `code` holds attributes and nothing else."""
    return code.startswith("@") and strip_attributes(code) == ""


def code_only(line):
    """The line without string literals and `//` comments (for counting braces)."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c == '"':
            i += 1
            while i < n and line[i] != '"':
                i += 2 if line[i] == "\\" else 1
            i += 1
            continue
        if line.startswith("//", i):
            break
        out.append(c)
        i += 1
    return "".join(out)


def declarations(path, implicit):
    """(line number, text, documented) for each public declaration of the file at `path`."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    found = []
    in_string = False  # inside a multi-line string literal
    in_block = False  # inside a /* */ comment
    scopes = []  # one entry per open brace: "enum", "protocol" (public ones) or "other"

    def documented(index):
        j = index - 1
        while j >= 0 and is_attribute_only(lines[j].strip()):
            j -= 1
        if j < 0:
            return False
        above = lines[j].strip()
        if above.startswith("///"):
            return True
        if above.endswith("*/"):
            k = j
            while k >= 0 and "/*" not in lines[k]:
                k -= 1
            return k >= 0 and "/**" in lines[k]
        return False

    for i, raw in enumerate(lines):
        stripped = raw.strip()
        if in_string:
            if stripped.count('"""') % 2 == 1:
                in_string = False
            continue
        if in_block:
            if "*/" in stripped:
                in_block = False
            continue
        if stripped.startswith("/*") and "*/" not in stripped:
            in_block = True
            continue
        if stripped.startswith("//") or not stripped:
            continue
        top = scopes[-1] if scopes else None
        if is_public(stripped):
            found.append((i + 1, stripped, documented(i)))
        elif implicit and top == "enum" and re.match(r"^(indirect\s+)?case\b", stripped):
            found.append((i + 1, stripped, documented(i)))
        elif implicit and top == "protocol" and REQUIREMENT.match(strip_attributes(stripped)):
            found.append((i + 1, stripped, documented(i)))
        if stripped.count('"""') % 2 == 1:
            in_string = True
        code = code_only(stripped)
        decl = strip_attributes(code)
        kind = "other"
        if is_public(stripped):
            if re.search(r"\benum\b", decl.split("{")[0]):
                kind = "enum"
            elif re.search(r"\bprotocol\b", decl.split("{")[0]):
                kind = "protocol"
        first = True
        for c in code:
            if c == "{":
                scopes.append(kind if first else "other")
                first = False
            elif c == "}" and scopes:
                scopes.pop()
    return found


def swift_files(target):
    if os.path.isfile(target):
        return [target]
    out = []
    for root, dirs, files in os.walk(target):
        dirs.sort()
        out.extend(os.path.join(root, f) for f in sorted(files) if f.endswith(".swift"))
    return out


def main(argv):
    listing = "--list" in argv
    implicit = "--implicit" in argv
    targets = [a for a in argv if not a.startswith("--")]
    if not targets:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    total_doc = total_all = 0
    missing = []
    width = max(len(t) for t in targets)
    for target in targets:
        doc = count = 0
        for path in swift_files(target):
            for number, text, ok in declarations(path, implicit):
                count += 1
                doc += ok
                if not ok:
                    missing.append(f"{path}:{number}: {text}")
        total_doc += doc
        total_all += count
        share = 100.0 * doc / count if count else 100.0
        print(f"{target:<{width}}  {doc:4d} / {count:4d} documented  {share:5.1f}%")
    share = 100.0 * total_doc / total_all if total_all else 100.0
    print(f"{'total':<{width}}  {total_doc:4d} / {total_all:4d} documented  {share:5.1f}%")
    if listing and missing:
        print()
        print("\n".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
