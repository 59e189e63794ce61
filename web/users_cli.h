/*
 * `yuqingctl users ...`: manage the web UI's users, departments and API tokens directly in
 * the ticket database (the notifier may be running: SQLite WAL and the busy timeout handle
 * the concurrent writer). The first admin is created this way.
 *
 *   users add --username NAME --role admin|duty_officer|liaison|head [--department D]
 *             [--display-name N] [--password-file FILE] [--must-change]
 *   users passwd --username NAME [--password-file FILE]
 *   users disable|enable --username NAME
 *   users list
 *   users token --username NAME [--name LABEL] [--ttl-days N]   prints the token once
 *   users dept-add --department D [--head NAME]
 *   users dept-list
 * Common options: --config FILE (notifier.yaml: store.path and web.auth; default
 * config/notifier.yaml), --db PATH (overrides store.path).
 * Without --password-file the password is the first line of standard input.
 */
#ifndef WEB_USERS_CLI_H
#define WEB_USERS_CLI_H

/*
 * Run the command; argv[0] is "users". Returns the process exit code: 0 on success, 1 when
 * the operation failed (message on stderr), 2 on a usage error.
 */
int users_cli_main(int argc, char **argv);

#endif
