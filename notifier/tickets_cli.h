/*
 * `yuqingctl tickets ...`: the duty officer's and departments' ticket commands on the command
 * line, over the same code as the JSON API (ticket_flow_apply(), ticket_api_detail()).
 *
 *   tickets list [--state S|active|all] [--department D] [--overdue] [--limit N] [--json]
 *   tickets show NUMBER [--json]
 *   tickets assign NUMBER --department D [--co D2,D3] [--note T]
 *   tickets ack NUMBER [--note T]
 *   tickets respond NUMBER --channel C [--url U] [--at TIME] [--note T]
 *   tickets close NUMBER --note RESULT    the 处置结果 is required (result_required)
 *   tickets dismiss NUMBER --reason R [--note T]
 *   tickets return NUMBER --reason T
 *   tickets reopen NUMBER [--note T]
 *   tickets escalate [--now TIME]          record due 催办/督办 now (normally the notifier does)
 *   tickets outbox [--state pending|delivered|failed]   notifications and their state
 *   tickets redeliver ID                   put a failed notification back to pending
 * Common options: --config FILE (default config/notifier.yaml: store path, clocks, routes),
 * --set KEY=VALUE, --as NAME (the actor; default $USER), --role ROLE (duty_officer, liaison,
 * head, admin; default duty_officer), --no-notify (act although the config's channels reach
 * nobody concerned). Times are shown in Asia/Shanghai; output and errors are Chinese (the
 * English code may follow in parentheses); --json output is the API's.
 * assign, set-level, dismiss, reopen, return and escalate are refused (exit 2) when the
 * config has no channel reaching whom they would tell (issue #11: the shipped config has
 * channels {} and the CLI queued nothing where the web UI told the department).
 * Reasons, levels, channels and states are taken by their label or code (yq_label_code()).
 * Exit codes: 0 done, 1 refused (state, version) or failed (reason on stderr), 2 usage or
 * config error or a bad value (unknown department, reason, channel, role: named on stderr).
 */
#ifndef NOTIFIER_TICKETS_CLI_H
#define NOTIFIER_TICKETS_CLI_H

/* Run "tickets" with argv[0] = "tickets". Returns the process exit code. */
int tickets_cli_main(int argc, char **argv);

#endif
