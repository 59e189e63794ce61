/*
 * `yuqingctl sources check [--config FILE] [--source ID]` (design §1): fetch every enabled
 * source once with the collector's own HTTP options (fetch.h; no conditional GET), parse it
 * as the collector would, and print one line per source. Nothing is produced to Kafka and
 * nothing is read from or written to Redis.
 */
#ifndef YQ_SOURCES_CLI_H
#define YQ_SOURCES_CLI_H

#include <stdio.h>

#include "collector_cfg.h"
#include "source_state.h"

/* The outcome of one check, printed by sources_check_print(). */
struct source_check {
    const char *id;           /* borrowed from the config */
    const char *kind;         /* borrowed from the config */
    long http_status;         /* 0: no HTTP response */
    const char *format;       /* static: feed format ("rss20", ...), "weibo", or NULL */
    char encoding[32];        /* encoding the body was read in; "" when not parsed */
    int bozo;                 /* 1 not well-formed (recovered), 0 well-formed, -1 not parsed */
    long entries;             /* entries/posts; -1 when not parsed */
    int64_t newest;           /* newest publication time (UTC seconds); 0 when none */
    enum source_state state;
    char error[256];          /* one line when state is not ok; "" otherwise */
};

/*
 * Fetch and parse src (borrowed) once per cfg (borrowed) into out (zeroed first).
 * Returns 0 (the outcome is in out->state, ok or not) or ERR_NOMEM.
 */
int sources_check_one(const struct collector_config *cfg, const struct source_cfg *src,
                      struct source_check *out);

/*
 * One line for c: "<id> kind=<kind> http=<status> format=<f> encoding=<e> well_formed=<yes|no>
 * entries=<n> newest=<RFC 3339> state=<state>[ error='<reason>']" ("-" for unknown values).
 */
void sources_check_print(FILE *out, const struct source_check *c);

/*
 * The subcommand; argv[0] is "sources". Prints to stdout, errors to stderr.
 * Returns 0 when every checked source is ok, 1 when one is not, 2 on a usage or config error.
 */
int sources_cli_main(int argc, char **argv);

#endif
