/*
 * `yuqingctl demo-history`: a few months of realistic, deterministic history for the demo's
 * ticket store, created through the product's own intake and actions, so the statistics,
 * charts and 通报 have something to show on first start.
 *
 *   yuqingctl demo-history [--config FILE] [--db PATH] [--now TIME] [--seed N] [--months N]
 *
 * The history covers the --months (default 3, 1..12) Beijing-time months before the month of
 * --now (RFC 3339, default now) and that month up to --now. Each generated post becomes a
 * matcher alert (the JSON the matcher writes, decoded with yq_alert_decode()) handed to
 * ticket_intake_alert() at its detection time; its 签收, 回应 (a 新闻发布会 too for
 * I/II), 办结 or 不予处置 then go through ticket_flow_apply() at their own times, with
 * ticket_flow_escalate() before each action (催办/督办 when a clock was missed). Every
 * notification of the history is marked delivered at the time it was queued, so starting the
 * notifier sends nothing old. Departments are the four of the demo's registry, places the
 * districts, counties and zones of 安康 (docs/example-deployment.md); each ticket's title
 * (prefix, place, one of the topic's post templates, tail; seeded) is its own, no two alike,
 * and fires the topic's shipped rule (config/rules). Every action is taken by a registered
 * user of the store (web_users, issue #11) with the role for it: 不予处置 by the first
 * enabled duty officer, 签收, 回应 and 办结 by the first enabled liaison of the ticket's
 * department (scripts/demo.sh adds one per department); when one is missing nothing is
 * added and the message names the `yuqingctl users add` to run (exit 1). A ticket whose last action would
 * fall after --now is not created: the history holds settled tickets only (closed or
 * dismissed), so the duty officer's queue stays what the feeds bring.
 * The same --now, --seed and --months give the same tickets, numbers and times.
 * A store that already has the history (a ticket whose event key starts with "demo-history:")
 * gets nothing more ("already holds it", exit 0). Exit codes: 0 done (one summary line on
 * stdout), 1 failed (the store is missing or an action failed; what was added before stays),
 * 2 usage or config error.
 */
#ifndef TOOLS_DEMO_HISTORY_H
#define TOOLS_DEMO_HISTORY_H

/* Run "demo-history" with argv[0] = "demo-history". Returns the process exit code. */
int demo_history_main(int argc, char **argv);

#endif
