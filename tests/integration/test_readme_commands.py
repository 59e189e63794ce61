#!/usr/bin/env python3
"""The README's commands run as written once the demo's state exists (issue #11).

The state is made the way scripts/demo.sh makes it on its first run: `yuqingctl store init`,
the departments of its `for dept in ...` line (`users dept-add`), then `yuqingctl
demo-history` (here with a fixed --now, so the history's exact totals are asserted). Then each
line of the README's block between `<!-- readme-commands` and `<!-- /readme-commands -->` runs
from a directory laid out like the repository root (config/ and .demo/tickets.db), with
`./build-demo/tools/yuqingctl` (the demo's build) standing for the binary of this build: each must exit 0 and print
something (or, with --out FILE, write a non-empty FILE). `.demo/notifier.yaml` is made from
deploy/demo/notifier.yaml as the demo makes it. The block between `<!-- readme-ticket-commands`
and its end runs with NUMBER replaced by a dismissed and a closed ticket of the history: `show`
exits 0 and shows the stopped clocks; the actions reach the department through the README's
--config (refused for the ticket's state, never for a missing channel), while the same line
with the shipped config/notifier.yaml is refused for naming no channel (review of issue #11).
Then, in the order given, the block acts on an open II ticket (a fresh demo's only ticket is
the sample feed's II 重大 燃气泄漏): each line exits 0, so the README's set-level is to a level
that ticket has not got.

Usage: test_readme_commands.py --build-dir DIR --source-dir DIR
"""
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import tempfile

import yq_procs

NOW = "2026-12-04T12:00:00+08:00"
CTL_PREFIX = "./build-demo/tools/yuqingctl"


def run(cmd, cwd, check=True):
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if check and p.returncode != 0:
        sys.exit("FAIL: %s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace")))
    return p


def readme_commands(source_dir, marker="readme-commands"):
    text = open(os.path.join(source_dir, "README.md"), encoding="utf-8").read()
    m = re.search(r"<!-- %s[^>]*-->\s*```sh\n(.*?)```\s*<!-- /%s -->" % (marker, marker),
                  text, re.S)
    if not m:
        sys.exit("FAIL: README.md has no %s block" % marker)
    lines = [ln.strip() for ln in m.group(1).splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def demo_departments(source_dir):
    script = open(os.path.join(source_dir, "scripts", "demo.sh"), encoding="utf-8").read()
    m = re.search(r"^\s*for dept in ([^;]+);", script, re.M)
    if not m:
        sys.exit("FAIL: scripts/demo.sh registers no departments")
    return m.group(1).split()


def demo_accounts(source_dir):
    """The (user, role, department or '-') of scripts/demo.sh's `for spec in ...` line."""
    script = open(os.path.join(source_dir, "scripts", "demo.sh"), encoding="utf-8").read()
    m = re.search(r"^\s*for spec in (.*?); do", script, re.M | re.S)
    if not m:
        sys.exit("FAIL: scripts/demo.sh creates no accounts")
    return [tuple(spec.split()) for spec in re.findall(r'"([^"]+)"', m.group(1))]


# ticket_flow.h: which roles may take each logged action
ACTION_ROLES = {
    "created": {"duty_officer", "admin"},  # 交办 from the 研判 inbox (issue #13)
    "merged": {"duty_officer", "admin"},   # an event merged (并入) into the ticket's
    "assigned": {"duty_officer", "admin"},
    "acknowledged": {"liaison", "duty_officer", "admin"},
    "responded": {"liaison", "duty_officer", "admin"},
    "closed": {"liaison", "duty_officer", "head", "admin"},
    "dismissed": {"duty_officer", "admin"},
    "returned": {"liaison", "head", "admin"},
    "reopened": {"duty_officer", "admin"},
    "level_set": {"duty_officer", "admin"},
}


def check_history_actors_and_titles(dbpath, ctl, root):
    """issue #11: every person in the history's log is a registered, enabled user whose role
    may take the action (a liaison only on their own department's tickets); titles are
    distinct, and each fires its ticket's rule in the shipped rule set."""
    con = sqlite3.connect(dbpath)
    users = {u: (r, d, dis) for u, r, d, dis in
             con.execute("SELECT username, role, department, disabled FROM web_users")}
    rows = con.execute("SELECT l.actor, l.actor_role, l.action, t.department, t.number "
                       "FROM ticket_log l JOIN tickets t ON t.id = l.ticket_id").fetchall()
    people = 0
    for actor, role, action, dept, number in rows:
        if actor == "system" and role == "system" and action in (
                "created", "remind", "supervise"):
            continue
        people += 1
        if actor not in users:
            sys.exit("FAIL: %s: %s by '%s', not a registered user" % (number, action, actor))
        urole, udept, disabled = users[actor]
        if disabled or urole != role or role not in ACTION_ROLES.get(action, ()):
            sys.exit("FAIL: %s: %s by '%s' as %s (user role %s)" % (number, action, actor, role,
                                                                   urole))
        if role == "liaison" and udept != dept:
            sys.exit("FAIL: %s: %s by liaison '%s' of %s on a ticket of %s" % (
                number, action, actor, udept, dept))
    if people != 196:
        sys.exit("FAIL: the history logs %d actions by people, expected 196" % people)
    # issue #13: every decision of the 研判 inbox is the duty officer's
    for actor, role, action in con.execute(
            "SELECT actor, actor_role, action FROM event_log WHERE actor != 'system'"):
        if role != "duty" or actor not in users or users[actor][0] != "duty_officer":
            sys.exit("FAIL: event %s by '%s' as %s, not a duty officer" % (action, actor, role))
    titles = con.execute("SELECT title, rule_ids FROM events").fetchall()
    con.close()
    if len({t for t, _ in titles}) != len(titles) or len(titles) != 64:
        sys.exit("FAIL: the history's 64 titles are not distinct: %r" % sorted(t for t, _ in titles))
    for title, rule_ids in titles:
        want = json.loads(rule_ids)[0]
        p = run([ctl, "rules", "test", "/dev/null", "--dir", "config/rules", "--title", title],
                root)
        if "（%s）" % want not in p.stdout.decode():
            sys.exit("FAIL: the history's title %r does not fire %s: %s" % (
                title, want, p.stdout.decode()))


def check_history_inbox(dbpath):
    """issue #13: the history went through the 研判 inbox: every event judged, with each kind of
    decision, the statutory clocks from detection and the acknowledgement clock from 交办."""
    con = sqlite3.connect(dbpath)
    outcomes = dict(con.execute("SELECT outcome, count(*) FROM events GROUP BY outcome"))
    if outcomes != {"assigned": 50, "dismissed": 11, "merged": 2, "watching": 1}:
        sys.exit("FAIL: the history's 研判 outcomes: %r" % outcomes)
    reasons = dict(con.execute("SELECT dismiss_reason, count(*) FROM events "
                               "WHERE state = 'dismissed' GROUP BY 1"))
    if reasons != {"duplicate": 2, "false_alarm": 5, "irrelevant": 1, "other": 3,
                   "out_of_scope": 1}:
        sys.exit("FAIL: the history's dismiss reasons: %r" % reasons)
    if con.execute("SELECT count(*) FROM events WHERE judged_at IS NULL OR "
                   "judged_at < detected_at").fetchone()[0] != 0:
        sys.exit("FAIL: an event of the history was not judged after its detection")
    # 研判 a few minutes after detection; eight were late and reminded the duty officer once
    late = con.execute("SELECT count(*) FROM event_log WHERE action = 'judge_reminded'").fetchone()
    if late[0] != 8:
        sys.exit("FAIL: the history's 研判 reminders: %d, expected 8" % late[0])
    bad = con.execute("SELECT t.number FROM tickets t JOIN events e ON e.ticket_id = t.id "
                      "WHERE t.detected_at != e.detected_at OR t.assigned_at < e.detected_at "
                      "OR (e.level = 'III' AND t.response_deadline != t.detected_at + 172800) "
                      "OR t.ack_deadline != t.assigned_at + 3600").fetchall()
    con.close()
    if bad:
        sys.exit("FAIL: tickets whose clocks do not run from detection and 交办: %r" % bad)


def main():
    build, src = yq_procs.build_and_source_dirs()
    ctl = os.path.join(build, "tools", "yuqingctl")

    with tempfile.TemporaryDirectory(prefix="yq-readme-") as root:
        os.symlink(os.path.join(src, "config"), os.path.join(root, "config"))
        db = [ "--config", "config/notifier.yaml", "--db", ".demo/tickets.db"]
        run([ctl, "store", "init"] + db, root)
        for dept in demo_departments(src):
            run([ctl, "users", "dept-add", "--department", dept] + db, root)
        # the demo's accounts (the history acts as them), as scripts/demo.sh adds them
        pw = os.path.join(root, "pw.txt")
        with open(pw, "w", encoding="utf-8") as f:
            f.write("demo-Passw0rd-123\n")
        for user, role, dept in demo_accounts(src):
            extra = [] if dept == "-" else ["--department", dept]
            run([ctl, "users", "add", "--username", user, "--role", role, "--password-file", pw]
                + extra + db, root)

        # the demo's history: deterministic for a given --now and seed
        p = run([ctl, "demo-history", "--now", NOW] + db, root)
        summary = p.stdout.decode().strip()
        want = ("demo history: 64 events (50 handed over: 47 closed, 3 withdrawn; 11 dismissed, "
                "2 merged, 1 watched), 212 actions")
        if summary != want:
            sys.exit("FAIL: demo-history printed %r, expected %r" % (summary, want))
        check_history_actors_and_titles(os.path.join(root, ".demo", "tickets.db"), ctl, root)
        check_history_inbox(os.path.join(root, ".demo", "tickets.db"))
        p = run([ctl, "demo-history", "--now", NOW] + db, root)
        if "nothing added" not in p.stdout.decode():
            sys.exit("FAIL: a second demo-history added tickets: %r" % p.stdout.decode())
        # its November through the product's own statistics
        p = run([ctl, "stats", "month", "2026-11", "--format", "json", "--now", NOW] + db, root)
        co = json.loads(p.stdout)["carry_over"]
        got = {k: co[k] for k in ("carried_in", "added", "closed", "dismissed", "carried_out")}
        want_co = {"carried_in": 1, "added": 21, "closed": 17, "dismissed": 1, "carried_out": 4}
        if got != want_co:
            sys.exit("FAIL: 2026-11 from the demo history: %r, expected %r" % (got, want_co))
        p = run([ctl, "tickets", "list", "--state", "all", "--limit", "1000", "--json"] + db, root)
        states = {}
        for t in json.loads(p.stdout):
            states[t["state"]] = states.get(t["state"], 0) + 1
        if states != {"closed": 47, "dismissed": 3}:
            sys.exit("FAIL: the history should hold 47 closed and 3 dismissed tickets: %r" % states)

        # the demo's notifier config, made as scripts/demo.sh makes it
        tmpl = open(os.path.join(src, "deploy", "demo", "notifier.yaml"), encoding="utf-8").read()
        for k, v in (("@CALENDAR_DIR@", os.path.join(src, "config", "calendar")),
                     ("@HTTP_PORT@", "8080"), ("@REDIS_PORT@", "16379"),
                     ("@HOOK_PORT@", "18099"),
                     ("@STORE_PATH@", os.path.join(root, ".demo", "tickets.db"))):
            tmpl = tmpl.replace(k, v)
        with open(os.path.join(root, ".demo", "notifier.yaml"), "w", encoding="utf-8") as f:
            f.write(tmpl)

        # the demo's archive, made as scripts/demo.sh makes it (empty here: no archiver runs)
        run([ctl, "archive", "init", os.path.join(root, ".demo", "archive")], root)

        cmds = readme_commands(src)
        if len(cmds) < 5:
            sys.exit("FAIL: the README block lists only %d commands" % len(cmds))
        outputs = {}
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
            outputs[" ".join(argv[1:3])] = p.stdout.decode()
            print("ok: %s" % line)

        # what they print is Chinese, by labels, with the API's clock states (issue #11)
        depts = sorted(demo_departments(src), key=lambda d: d.encode())
        liaison_of = {d: u for u, r, d in demo_accounts(src) if r == "liaison"}
        want = "部门             负责人 联络员\n" + "".join(
            d + " " * (16 - 2 * len(d)) + " -      %s\n" % liaison_of.get(d, "-") for d in depts)
        if outputs.get("users dept-list") != want:
            sys.exit("FAIL: users dept-list printed %r, expected %r" % (
                outputs.get("users dept-list"), want))
        p = run([ctl, "tickets", "list", "--state", "all", "--limit", "1000"] + db, root)
        rows = p.stdout.decode().splitlines()[1:]
        if any("!" in r for r in rows):
            sys.exit("FAIL: a settled ticket shows an overdue '!': %r" % [r for r in rows if "!" in r])
        if sum("已撤销" in r for r in rows) != 3 or sum("不予处置" in r for r in rows) != 3:
            sys.exit("FAIL: the 3 dismissed tickets should show 已撤销: %r" % rows)
        if not outputs.get("tickets outbox", "").startswith("编号   状态      渠道"):
            sys.exit("FAIL: tickets outbox heading: %r" % outputs.get("tickets outbox"))
        if outputs.get("tickets escalate") != "催办 0 次，督办 0 次，已排入 0 条通知\n":
            sys.exit("FAIL: tickets escalate printed %r" % outputs.get("tickets escalate"))
        if not outputs.get("rules validate", "").startswith("规则集 'config/rules' 有效："):
            sys.exit("FAIL: rules validate printed %r" % outputs.get("rules validate"))

        # the ticket commands, with a dismissed and a closed ticket of the history
        p = run([ctl, "tickets", "list", "--state", "all", "--limit", "1000", "--json"] + db, root)
        hist = json.loads(p.stdout)
        numbers = [next(t["number"] for t in hist if t["state"] == st and t["department"])
                   for st in ("dismissed", "closed")]
        tcmds = readme_commands(src, "readme-ticket-commands")
        for number in numbers:
            for line in tcmds:
                argv = [number if a == "NUMBER" else a for a in shlex.split(line)]
                if argv[0] != CTL_PREFIX or number not in argv:
                    sys.exit("FAIL: README ticket command is not %s ... NUMBER: %s" % (
                        CTL_PREFIX, line))
                if argv[2] == "show":
                    p = run([ctl] + argv[1:], root)
                    text = p.stdout.decode()
                    # the clock lines (the log below them may tell of a 督办 that was due)
                    clocks = "\n".join(ln for ln in text.splitlines() if "时限 " in ln
                                        and not ln.startswith(" "))
                    if "进行中" in clocks or "已超时" in clocks or not (
                            "已撤销" in clocks or "已停止" in clocks or "已完成" in clocks):
                        sys.exit("FAIL: %s: the clocks of a settled ticket: %s" % (line, text))
                    continue
                # a settled ticket refuses the action for its state, not for its config
                p = run([ctl] + argv[1:], root, check=False)
                err = p.stderr.decode()
                if p.returncode != 1 or "未执行" not in err or "没有能通知到" in err:
                    sys.exit("FAIL: %s on %s: exit %d, %s" % (line, number, p.returncode, err))
                shipped = ["config/notifier.yaml" if a == ".demo/notifier.yaml" else a
                           for a in argv[1:]]
                p = run([ctl] + shipped, root, check=False)
                err = p.stderr.decode()
                if p.returncode != 2 or "没有能通知到" not in err or "--config" not in err:
                    sys.exit("FAIL: %s with the shipped config: exit %d, %s" % (
                        line, p.returncode, err))
                print("ok: %s (%s)" % (line, number))

        # ... and in the order given they act on an open ticket of level II, as a fresh demo's
        # only one (the sample feed's 燃气泄漏, II 重大): show, set-level (its own level would
        # be refused: level_unchanged), dismiss; each exits 0 and names the ticket. The history
        # has settled tickets only: a closed one is reopened and, unless II, set to II first.
        number, level = next((t["number"], t["level"]) for t in hist
                             if t["state"] == "closed" and t["department"])
        run([ctl, "tickets", "reopen", number, "--no-notify"] + db, root)
        if level != "II":
            run([ctl, "tickets", "set-level", number, "--level", "重大", "--no-notify"] + db, root)
        for line in tcmds:
            argv = [number if a == "NUMBER" else a for a in shlex.split(line)]
            p = run([ctl] + argv[1:], root)
            if number not in p.stdout.decode():
                sys.exit("FAIL: %s on the open II %s printed %r" % (line, number,
                                                                     p.stdout.decode()))
            print("ok: %s (open II %s)" % (line, number))
    print("PASS: %d README commands, %d ticket commands" % (len(cmds), len(tcmds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
