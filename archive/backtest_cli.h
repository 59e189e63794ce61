/*
 * "yuqingctl rules backtest DIR ..." (issue #14): the draft rule set of DIR tried on the
 * archive next to the live set (archive_backtest.h), printed as a table or JSON, and its
 * summary recorded in Redis under the draft's digest (rules_digest.h) so that `yuqingctl rules
 * push DIR` lets the set through.
 *
 *   --since D      start of the range: "30d" / "12h" before --until, or an RFC 3339 time
 *                  (default 30d)
 *   --until T      end of the range (exclusive): RFC 3339 time or "Nd"/"Nh" before now
 *                  (default now)
 *   --archive DIR  the archive; or --config FILE: a YAML config whose archive.dir names it
 *                  (and whose redis: section, if any, is used as --redis is)
 *   --live DIR     the live set read from DIR instead of Redis's current version
 *   --redis H:P    Redis (default 127.0.0.1:6379): the live set and the record
 *   --json         the report as JSON (docs/api.md) instead of the table
 *   --samples N    sample items per rule and kind (0..50, default 5)
 *   --threads N    scanning threads, one archive handle each (1..8, default 2)
 *   --narrow M     "none" (default: measured faster) or "terms"
 *
 * The yuqingctl dispatcher calls backtest_cli_main() with argv[0] = "rules", argv[1] =
 * "backtest" (before rules_cli_main(), which does not know the archive).
 */
#ifndef BACKTEST_CLI_H
#define BACKTEST_CLI_H

/* Returns the exit code: 0 done (and recorded), 1 failure, 2 usage error. */
int backtest_cli_main(int argc, char **argv);

#endif
