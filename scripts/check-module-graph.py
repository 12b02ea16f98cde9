#!/usr/bin/env python3
"""Checks that the module graph written in Package.swift's header is the real one.

Three sources must agree, for every target under Sources/:
  1. the header's line for the module: `//   Module ← Dep1, Dep2  (what it holds)`;
  2. the target's package dependencies in Package.swift (`dependencies: [...]`, the package's
     own targets only; products of other packages are left out);
  3. the package modules its sources import (`import X`, `@_exported import X`).

Also: every target has a header line, the header lists modules in an order where each
module comes after everything it depends on (arrows point one way), and no module depends on
one listed after it.

  scripts/check-module-graph.py          check (exit 1 with a list of the differences)
  scripts/check-module-graph.py --print  print the header lines for the current graph
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def package_targets(text):
    """{target: [package-internal dependencies]} from Package.swift's `.target(...)` entries."""
    targets = {}
    for m in re.finditer(r"\.(target|executableTarget)\(\s*name:\s*\"(\w+)\"", text):
        name = m.group(2)
        # The argument list of this call: up to the matching parenthesis.
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"(": 1, ")": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i]
        deps = []
        d = re.search(r"dependencies:\s*\[", body)
        if d:
            depth, j = 1, d.end()
            while depth and j < len(body):
                depth += {"[": 1, "]": -1}.get(body[j], 0)
                j += 1
            listing = re.sub(r"\.product\([^)]*\)", "", body[d.end():j - 1])
            deps = re.findall(r"\"(\w+)\"", listing)
        targets[name] = deps
    return targets


def imports(module):
    found = set()
    directory = os.path.join(ROOT, "Sources", module)
    for base, _, files in os.walk(directory):
        for f in files:
            if not f.endswith(".swift"):
                continue
            for line in open(os.path.join(base, f), encoding="utf-8"):
                m = re.match(r"\s*(?:@_exported\s+|@_implementationOnly\s+|public\s+|internal\s+)?import\s+(\w+)", line)
                if m:
                    found.add(m.group(1))
    return found


def header_graph(text):
    """[(module, [deps])] from the header lines `//   Module ← A, B  (…)` in order."""
    out, continues = [], False
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        # A dependency list that ends with a comma goes on on the next line.
        c = re.match(r"//\s{5,}([\w, ]+?)\s*(\(.*)?$", line)
        if continues and c:
            out[-1][1].extend(d.strip() for d in c.group(1).split(",") if d.strip())
            continues = c.group(1).rstrip().endswith(",")
            continue
        m = re.match(r"//\s{3}(\w+)\s*(?:←\s*([\w, ]+?))?\s*(\(.*)?$", line)
        continues = False
        if m and (m.group(2) is not None or m.group(3)):
            deps = [d.strip() for d in (m.group(2) or "").split(",") if d.strip()]
            out.append((m.group(1), deps))
            continues = (m.group(2) or "").rstrip().endswith(",")
    return out


def order(targets):
    """The targets in an order where each comes after its dependencies (stable by name)."""
    done, out = set(), []
    while len(out) < len(targets):
        ready = sorted(t for t in targets if t not in done and all(d in done or d not in targets for d in targets[t]))
        if not ready:
            raise SystemExit("cycle among: " + ", ".join(sorted(set(targets) - done)))
        # One level at a time keeps the printed graph readable.
        for t in ready:
            done.add(t)
            out.append(t)
    return out


def main():
    text = open(os.path.join(ROOT, "Package.swift"), encoding="utf-8").read()
    targets = package_targets(text)
    sources = {t for t in targets if os.path.isdir(os.path.join(ROOT, "Sources", t))}
    targets = {t: [d for d in deps if d in targets] for t, deps in targets.items() if t in sources}
    if "--print" in sys.argv:
        width = max(len(t) for t in targets)
        for t in order(targets):
            deps = sorted(targets[t])
            print("//   " + t + (" ← " + ", ".join(deps) if deps else ""))
        return 0
    problems = []
    for t, deps in sorted(targets.items()):
        imported = imports(t) & set(targets)
        imported.discard(t)
        if set(deps) - imported:
            problems.append(f"{t}: Package.swift declares {', '.join(sorted(set(deps) - imported))}, which its sources never import")
        if imported - set(deps):
            problems.append(f"{t}: its sources import {', '.join(sorted(imported - set(deps)))}, not declared in Package.swift")
    header = header_graph(text)
    seen = set()
    listed = {m for m, _ in header}
    for module, deps in header:
        if module not in targets:
            problems.append(f"header: {module} is not a target under Sources/")
            continue
        if set(deps) != set(targets[module]):
            problems.append(f"header: {module} ← {', '.join(sorted(deps)) or '(nothing)'}, but Package.swift has ← {', '.join(sorted(targets[module])) or '(nothing)'}")
        for d in deps:
            if d not in seen and d in listed:
                problems.append(f"header: {module} depends on {d}, which is listed after it (arrows must point one way)")
        seen.add(module)
    for t in sorted(set(targets) - listed):
        problems.append(f"header: no line for {t}")
    for p in problems:
        print("module graph: " + p, file=sys.stderr)
    if not problems:
        print(f"module graph: {len(targets)} modules; the header, Package.swift and the imports agree")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
