/*
 * What every process's main() shares: the common command line (--config FILE,
 * --print-config, --set KEY=VALUE ..., --log-level LEVEL, --help) and SIGINT/SIGTERM handling.
 */
#ifndef YQ_PROC_H
#define YQ_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#define YQ_PROC_MAX_SETS 64

struct yq_proc_args {
    const char *config_path;            /* borrowed from argv; default given by the caller */
    bool print_config;
    int n_sets;
    const char *sets[YQ_PROC_MAX_SETS]; /* "key=value" strings, borrowed from argv */
    int n_rest;                         /* arguments that are not options, in order */
    char **rest;                        /* borrowed from argv (points into it) */
};

/*
 * Parse argv. Options may appear anywhere; "--" ends them. usage: printed for --help and on
 * error. Returns 0, 1 when --help was given (caller exits 0), or ERR_INVALID with a message
 * already printed to stderr (caller exits 2). rest points into argv (argv is permuted).
 */
int yq_proc_parse_args(int argc, char **argv, const char *default_config, const char *usage,
                       struct yq_proc_args *out);

/* Set once SIGINT or SIGTERM arrives. */
extern volatile sig_atomic_t yq_proc_stop;

/* Install SIGINT/SIGTERM handlers that set yq_proc_stop, and ignore SIGPIPE. */
void yq_proc_install_signals(void);

#endif
