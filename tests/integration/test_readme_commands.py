#!/usr/bin/env python3
"""The README's commands run as written once the demo's state exists (issue #11).

The state is made the way scripts/demo.sh makes it on its first run: `yuqingctl store init`,
the departments of its `for dept in ...` line (`users dept-add`), then `yuqingctl
demo-history` (here with a fixed --now, so the history's exact totals are asserted). Then each
line of the README's block between `<!-- readme-commands` and `<!-- /readme-commands -->` runs
from a directory laid out like the repository root (config/ and .demo/tickets.db), with
`./build/tools/yuqingctl` standing for the binary of this build: each must exit 0 and print
something (or, with --out FILE, write a non-empty FILE).

Usage: test_readme_commands.py --build-dir DIR --source-dir DIR
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

NOW = "2026-12-04T12:00:00+08:00"
CTL_PREFIX = "./build/tools/yuqingctl"


def run(cmd, cwd, check=True):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if check and p.returncode != 0:
        sys.exit("FAIL: %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p


def readme_commands(source_dir):
    text = open(os.path.join(source_dir, "README.md"), encoding="utf-8").read()
    m = re.search(r"<!-- readme-commands[^>]*-->\s*```sh\n(.*?)```\s*<!-- /readme-commands -->",
                  text, re.S)
    if not m:
        sys.exit("FAIL: README.md has no readme-commands block")
    lines = [ln.strip() for ln in m.group(1).splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def demo_departments(source_dir):
    script = open(os.path.join(source_dir, "scripts", "demo.sh"), encoding="utf-8").read()
    m = re.search(r"^\s*for dept in ([^;]+);", script, re.M)
    if not m:
        sys.exit("FAIL: scripts/demo.sh registers no departments")
    return m.group(1).split()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build-dir", required=True)
    ap.add_argument("--source-dir", required=True)
    args = ap.parse_args()
    ctl = os.path.join(os.path.abspath(args.build_dir), "tools", "yuqingctl")
    src = os.path.abspath(args.source_dir)

    with tempfile.TemporaryDirectory(prefix="yq-readme-") as root:
        os.symlink(os.path.join(src, "config"), os.path.join(root, "config"))
        db = [ "--config", "config/notifier.yaml", "--db", ".demo/tickets.db"]
        run([ctl, "store", "init"] + db, root)
        for dept in demo_departments(src):
            run([ctl, "users", "dept-add", "--department", dept] + db, root)

        # the demo's history: deterministic for a given --now and seed
        p = run([ctl, "demo-history", "--now", NOW] + db, root)
        summary = p.stdout.decode().strip()
        want = "demo history: 67 tickets (60 closed, 7 dismissed), 195 actions"
        if summary != want:
            sys.exit("FAIL: demo-history printed %r, expected %r" % (summary, want))
        p = run([ctl, "demo-history", "--now", NOW] + db, root)
        if "nothing added" not in p.stdout.decode():
            sys.exit("FAIL: a second demo-history added tickets: %r" % p.stdout.decode())
        # its November through the product's own statistics
        p = run([ctl, "stats", "month", "2026-11", "--format", "json", "--now", NOW] + db, root)
        co = json.loads(p.stdout)["carry_over"]
        got = {k: co[k] for k in ("carried_in", "added", "closed", "dismissed", "carried_out")}
        want_co = {"carried_in": 3, "added": 22, "closed": 19, "dismissed": 4, "carried_out": 2}
        if got != want_co:
            sys.exit("FAIL: 2026-11 from the demo history: %r, expected %r" % (got, want_co))
        p = run([ctl, "tickets", "list", "--state", "all", "--limit", "1000", "--json"] + db, root)
        states = {}
        for t in json.loads(p.stdout):
            states[t["state"]] = states.get(t["state"], 0) + 1
        if states != {"closed": 60, "dismissed": 7}:
            sys.exit("FAIL: the history should hold 60 closed and 7 dismissed tickets: %r" % states)

        cmds = readme_commands(src)
        if len(cmds) < 5:
            sys.exit("FAIL: the README block lists only %d commands" % len(cmds))
        for line in cmds:
            argv = shlex.split(line)
            if argv[0] != CTL_PREFIX:
                sys.exit("FAIL: README command does not start with %s: %s" % (CTL_PREFIX, line))
            p = run([ctl] + argv[1:], root)
            if "--out" in argv:
                out = os.path.join(root, argv[argv.index("--out") + 1])
                if not os.path.exists(out) or os.path.getsize(out) == 0:
                    sys.exit("FAIL: %s wrote nothing to %s" % (line, out))
            elif not p.stdout.strip():
                sys.exit("FAIL: %s printed nothing" % line)
            print("ok: %s" % line)
    print("PASS: %d README commands" % len(cmds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
