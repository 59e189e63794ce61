/*
 * `yuqingctl stats ...`: the monthly 通报 and the annual figures on the command line.
 *
 *   stats month [YYYY-MM] [--format text|html|csv|json] [--department NAME] [--out FILE]
 *   stats year YYYY [--format ...] [--department NAME] [--out FILE]
 * Options: --config FILE (notifier config: store.path and the holiday calendar; default
 * config/notifier.yaml), --db PATH (the ticket store, overrides store.path; opened read-only),
 * --rules DIR (rule files: the rule groups of tickets stored before alerts carried the group;
 * default config/rules; skipped with a warning when unreadable), --now TIME (RFC 3339; the run time, default now: the cut-off is
 * min(window end, now)), --office NAME (issuing office printed on the HTML).
 * Without YYYY-MM, "month" reports the Asia/Shanghai month before the current one (a run at
 * 2024-04-01 00:05 Beijing time reports 2024-03). --out writes the file atomically; with HTML
 * it also writes echarts.min.js, stats-charts.js and stats-report.css beside it, so the
 * report opens with no other site. Default format: text; output to stdout without --out.
 * Exit codes: 0 done, 1 failed (reason on stderr), 2 usage or config error.
 */
#ifndef STATS_STATS_CLI_H
#define STATS_STATS_CLI_H

/* Run "stats" with argv[0] = "stats". Returns the process exit code. */
int stats_cli_main(int argc, char **argv);

#endif
