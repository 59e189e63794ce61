#!/usr/bin/env python3
"""Report circles between the project's C files (issue #12: no two C files include each other's
headers in a circle, and none call each other).

Two checks, both over the production folders (common, collectors, pipeline, notifier, web,
stats, tools):
- includes: module A (A.c with A.h) depends on module B when A.c or A.h includes "B.h"; a
  circle is a cycle of such includes (read from the sources);
- calls: see below (read from the objects of a build).

File A depends on file B when A's object uses a symbol that B's object defines (read with `nm`
from a build tree, so calls through internal headers count as well as includes). A circle is a
set of two or more files that reach each other through such uses, e.g. poller.c calling
poller_weibo.c which calls back into poller.c. Only the production libraries and programs count
(common, collectors, pipeline, notifier, web, stats, tools); tests, fuzz targets and benchmarks
are left out.

Usage: check-circles.py BUILD_DIR
Prints each circle as its files, one circle a line, and exits 1 if there is any; otherwise
prints "no include circles (N modules)" and "no circles between C files (N files)" and exits
0. Exits 2 when BUILD_DIR has no objects (build first).
"""
import os
import re
import subprocess
import sys

DIRS = ("common", "collectors", "pipeline", "notifier", "web", "stats", "tools")


def objects(build):
    out = []
    for d in DIRS:
        top = os.path.join(build, d, "CMakeFiles")
        if not os.path.isdir(top):
            continue
        for dirpath, _, files in os.walk(top):
            for f in files:
                if f.endswith(".c.o"):
                    out.append(os.path.join(dirpath, f))
    return out


def symbols(obj):
    text = subprocess.run(["nm", "-P", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDBRGSVWC":
            defined.add(name)
    return defined, used


def strong_components(graph):
    """Tarjan's strongly connected components of graph (node -> set of nodes), size > 1."""
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    return sccs


def include_graph(root):
    """Module (folder/name of a .c) -> modules whose header its .c or .h includes."""
    pattern = re.compile(r'^\s*#\s*include\s+"([^"/]+)\.h"', re.M)
    modules = {}
    for d in DIRS:
        folder = os.path.join(root, d)
        if os.path.isdir(folder):
            for name in os.listdir(folder):
                if name.endswith(".c"):
                    modules[name[:-2]] = d
    graph = {}
    for name, d in modules.items():
        deps = set()
        for ext in (".c", ".h"):
            path = os.path.join(root, d, name + ext)
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as f:
                    deps |= {h for h in pattern.findall(f.read()) if h in modules and h != name}
        graph[d + "/" + name] = {modules[h] + "/" + h for h in deps}
    return graph


def main():
    if len(sys.argv) != 2:
        print("usage: check-circles.py BUILD_DIR", file=sys.stderr)
        return 2
    build = sys.argv[1]
    objs = objects(build)
    if not objs:
        print("no objects under %s: build first" % build, file=sys.stderr)
        return 2
    # one node per source file (the same file may be compiled into two targets)
    name_of = {o: os.path.basename(o)[:-2] for o in objs}
    defined_by, uses = {}, {}
    for o in objs:
        d, u = symbols(o)
        src = os.path.relpath(os.path.dirname(o), build).split(os.sep)[0] + "/" + name_of[o]
        uses.setdefault(src, set()).update(u)
        for s in d:
            defined_by.setdefault(s, set()).add(src)
    graph = {f: set() for f in uses}
    for f, u in uses.items():
        for s in u:
            for g in defined_by.get(s, ()):
                if g != f:
                    graph[f].add(g)

    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    includes = include_graph(root)
    include_circles = strong_components(includes)
    for comp in include_circles:
        print("includes: " + " <-> ".join(c + ".h" for c in comp))
    sccs = strong_components(graph)
    for comp in sccs:
        print("calls: " + " <-> ".join(comp))
    if sccs or include_circles:
        print("%d include circle(s), %d call circle(s) between C files"
              % (len(include_circles), len(sccs)))
        return 1
    print("no include circles (%d modules)" % len(includes))
    print("no circles between C files (%d files)" % len(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())
