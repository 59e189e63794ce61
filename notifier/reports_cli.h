/*
 * `yuqingctl reports ...`: the daily briefing (舆情日报) and an event's 专报 on the command line
 * (issue #14, docs/archive.md), over the same functions as the notifier's scheduler and the web
 * (briefing.h).
 *
 *   reports daily [--day YYYY-MM-DD] [--out FILE]  the stored briefing of that day (the Beijing
 *                                  date its period ends on; default the latest ended), written
 *                                  now (with its summary queued to briefing.channels) when none
 *                                  is stored; the HTML to FILE (stats-report.css beside it) or
 *                                  stdout
 *   reports event ID [--out FILE]  a new 专报 of event ID, stored; its HTML as above
 *   reports list [--kind daily|event] [--limit N]  stored reports, newest first
 * Common options: --config FILE (default config/notifier.yaml: store path, briefing section,
 * web.redis for source health, web.archive_dir), --set KEY=VALUE, --db PATH, --by NAME (who;
 * default $USER), --now TIME (RFC 3339; default now).
 * Exit codes: 0 done, 1 refused or failed (no such event, store error), 2 usage or bad value.
 */
#ifndef NOTIFIER_REPORTS_CLI_H
#define NOTIFIER_REPORTS_CLI_H

/* Run "reports" with argv[0] = "reports". Returns the process exit code. */
int reports_cli_main(int argc, char **argv);

#endif
