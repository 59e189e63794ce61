/*
 * `yuqingctl silences ...`: the duty officer's silences (屏蔽) on the command line, over the
 * functions the web UI uses (silence.h; docs/desk.md "Silences").
 *
 *   silences add --kind rule|group|source|account|term --value V --reason TEXT
 *                (--for 30m|24h|7d | --until TIME) --by NAME
 *   silences list [--all] [--json]          active silences (--all: also revoked and expired)
 *   silences revoke ID --by NAME
 *   silences alerts [ID] [--limit N] [--json]   alerts kept by silence ID (all: none given)
 * Common options: --config FILE (default config/notifier.yaml: store.path), --db PATH (the
 * ticket database; then no config is read). TIME is ISO 8601 ("2026-12-31T00:00+08:00"; without
 * a zone it is Beijing time). The store must exist (yuqingctl store init creates one).
 * Exit codes: 0 done; 1 refused (no such silence, already revoked or expired, too many active
 * silences) or failed (store missing or unreadable), reason on stderr; 2 usage error or a bad
 * value (unknown kind, value or reason empty or too long, bad duration or time, expiry past
 * 90 days), named on stderr. --help prints the usage to stdout and exits 0.
 */
#ifndef NOTIFIER_SILENCES_CLI_H
#define NOTIFIER_SILENCES_CLI_H

/* Run "silences" with argv[0] = "silences". Returns the process exit code. */
int silences_cli_main(int argc, char **argv);

#endif
