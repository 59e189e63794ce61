/*
 * `yuqingctl store init [--config FILE] [--db PATH]`: create the ticket store before the first
 * start (issue #10). The notifier, the web UI, `yuqingctl tickets` and `yuqingctl users` never
 * create it: a missing store is an error naming the path and this command, so a moved or
 * unmounted disk cannot silently be replaced by a new empty database.
 *
 * init creates the missing parent directories (0750) and the database file 0600 (its -wal and
 * -shm follow the file's mode), switches it to WAL and applies every migration
 * (ticket_store_init()). On an existing store it sets the modes to 0600 and applies pending
 * migrations; running it twice is harmless.
 * Options: --config FILE (default config/notifier.yaml; store.path and busy_timeout_ms),
 * --set KEY=VALUE, --db PATH (overrides store.path).
 * Exit codes: 0 created or already there, 1 failed (reason on stderr), 2 usage or config error.
 */
#ifndef NOTIFIER_STORE_CLI_H
#define NOTIFIER_STORE_CLI_H

/* Run "store" with argv[0] = "store". Returns the process exit code. */
int store_cli_main(int argc, char **argv);

#endif
