#!/usr/bin/env python3
"""Check that the --print-config listings of docs/configuration.md are what the processes print.

docs/configuration.md shows each process's configuration as `--print-config` prints it for the
shipped file. This runs every process as the config_*_loads ctest cases do and compares: each
```yaml block of the page is cut into its top-level sections (a line starting without a
space begins one), and every section must be, line for line, the start of the section of the
same name that one of the processes prints (a listing may stop before a list element, e.g.
after the first source, but may not leave out or change a key). Blocks whose first key no process prints (the rule file and
calendar examples) are not listings and are skipped.

Usage: check-config-docs.py SOURCE_DIR COLLECTOR MATCHER NOTIFIER ARCHIVER
Prints each section that differs (the page's line and the printed one) and exits 1; otherwise
prints "N listed sections match --print-config" and exits 0.
"""
import os
import re
import subprocess
import sys


def sections(lines):
    """Top-level sections of YAML text lines: {name: [lines]}, first occurrence kept."""
    out, name = {}, None
    for line in lines:
        m = re.match(r"^([A-Za-z_][A-Za-z0-9_]*):", line)
        if m:
            name = m.group(1)
            if name in out:
                name = None  # a second occurrence: not a listing we compare
                continue
            out[name] = [line]
        elif line.startswith(" ") and name:
            out[name].append(line)
        else:
            name = None
    return out


def listed_ok(lines, real):
    """The listing is the printed section, or its start up to a list element (the first
    source of sources:)."""
    return real[: len(lines)] == lines and (len(lines) == len(real) or
                                             real[len(lines)].startswith("  - "))


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    src = argv[1]
    runs = [(argv[2], "sources.yaml"), (argv[3], "matcher.yaml"), (argv[4], "notifier.yaml"),
            (argv[5], "archiver.yaml")]
    printed = []
    for exe, cfg in runs:
        r = subprocess.run([exe, "--config", os.path.join(src, "config", cfg), "--print-config"],
                           cwd=src, capture_output=True, text=True)
        if r.returncode != 0:
            print(f"{exe} --print-config failed ({r.returncode}): {r.stderr.strip()}")
            return 1
        printed.append((os.path.basename(exe), sections(r.stdout.split("\n"))))
    page = os.path.join(src, "docs", "configuration.md")
    text = open(page, encoding="utf-8").read()
    bad = checked = 0
    for m in re.finditer(r"```yaml\n(.*?)```", text, re.S):
        first_line = text[: m.start(1)].count("\n") + 1
        block = m.group(1).rstrip("\n").split("\n")
        listed = sections(block)
        if not listed or not any(next(iter(listed)) in s for _, s in printed):
            continue
        for name, lines in listed.items():
            checked += 1
            candidates = [(exe, s[name]) for exe, s in printed if name in s]
            if any(listed_ok(lines, real) for _, real in candidates):
                continue
            bad += 1
            at = first_line + block.index(lines[0])
            print(f"{page}:{at}: section '{name}' is not what --print-config prints")
            for exe, real in candidates:
                for i, line in enumerate(lines):
                    if i >= len(real) or real[i] != line:
                        print(f"  page:  {line}")
                        print(f"  {exe}: {real[i] if i < len(real) else '(nothing)'}")
                        break
    if bad:
        print(f"{bad} of {checked} listed sections differ: regenerate them with --print-config")
        return 1
    print(f"{checked} listed sections match --print-config")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
