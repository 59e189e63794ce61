/*
 * `yuqingctl events ...`: the duty officer's 研判 inbox on the command line (issue #13,
 * docs/desk.md), over the same functions as the web desk (event_flow.h).
 *
 *   events list [--state pending|auto_assigned|assigned|watching|merged|dismissed|inbox|all]
 *               [--limit N] [--json]        (default: inbox = pending and auto_assigned)
 *   events show ID [--json]                 the event, its items and its log
 *   events assign ID --lead D [--co D2,D3] [--level III] [--opinion T]   交办
 *   events confirm ID [--opinion T]         确认交办 of an auto_assigned event
 *   events merge ID --into-event N | --into-ticket NUMBER [--note T]     并入
 *   events watch ID [--items N] [--heat N] [--quiet 2h] [--note T]       持续关注
 *   events dismiss ID --reason R [--note T] 不予处置 (irrelevant, duplicate, false_alarm,
 *                                           out_of_scope, other: by code or label)
 * Common options: --config FILE (default config/notifier.yaml: store path, clocks, routes,
 * desk policy), --set KEY=VALUE, --db PATH, --by NAME (who acts; default $USER), --role
 * duty|admin (default duty), --version N (refuse unless the event still has version N),
 * --no-notify (assign although the config's channels reach nobody concerned).
 * assign, the one action that notifies (the new ticket's lead and co-handling liaisons), is
 * refused (exit 2) when the config has no channel reaching one of them, by the rule of
 * yuqingctl tickets (notifier_cli_unreached(): the shipped config has channels {}).
 * Times are shown in Asia/Shanghai; output and errors are Chinese (the English code may
 * follow in parentheses). States are taken by label or code.
 * Exit codes: 0 done, 1 refused (state, version, not found) or failed, 2 usage or a bad value.
 */
#ifndef NOTIFIER_EVENTS_CLI_H
#define NOTIFIER_EVENTS_CLI_H

/* Run "events" with argv[0] = "events". Returns the process exit code. */
int events_cli_main(int argc, char **argv);

#endif
