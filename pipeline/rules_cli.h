/*
 * "yuqingctl rules ..." (design §1): the admin commands for rule sets. The yuqingctl
 * dispatcher calls rules_cli_main() with argv[0] = "rules".
 *
 *   rules push DIR [--by NAME]        validate the .yaml files of DIR, store it as the next version
 *   rules list [--limit N]            versions, who pushed them, when, rule count
 *   rules test FILE|- [--dir DIR] [--title TITLE] [--source S] [--source-id ID]
 *              [--local | --sources SOURCES_FILE]
 *                                     print every rule that fires on the text (from FILE or
 *                                     stdin), with matched terms and code-point offsets;
 *                                     --local: as from a local source (issue #11: local rules
 *                                     need no place name); --sources: the local: flag of
 *                                     source --source-id in the collector's sources file
 *   rules validate DIR                check the .yaml files of DIR without Redis
 *
 * Redis: --redis HOST:PORT (default 127.0.0.1:6379) or --config FILE (the matcher config;
 * its redis: section is used). "rules test" without --dir uses the current set in Redis.
 */
#ifndef RULES_CLI_H
#define RULES_CLI_H

/*
 * Run one subcommand; output on stdout, errors on stderr. argv is not modified.
 * Returns the process exit code: 0 ok, 1 failure (invalid rules, Redis unreachable, ...),
 * 2 usage error.
 */
int rules_cli_main(int argc, char **argv);

struct yq_redis_cfg;

/*
 * Point cfg at the Redis of --redis addr ("HOST:PORT", or "HOST" for port 6379; borrowed), as
 * `rules` and `rules backtest` take it: cfg->host replaced by a new string (the old one freed),
 * cfg->port set. Returns 0, ERR_INVALID (the port is not 1..65535; cfg unchanged) or ERR_NOMEM.
 */
int rules_cli_redis_addr(const char *addr, struct yq_redis_cfg *cfg);

#endif
