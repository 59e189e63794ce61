/*
 * What every process's main() shares: the common command line (--config FILE,
 * --print-config, --set KEY=VALUE ..., --log-level LEVEL, --help) and SIGINT/SIGTERM handling.
 */
#ifndef YQ_PROC_H
#define YQ_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

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

/*
 * yq_proc_parse_args() for a yuqingctl command that reads a process's config but prints none
 * (tickets, events, reports, store): the same options, but --print-config, which only a
 * process answers, is refused instead of being ignored. prog ("yuqingctl tickets"): starts the
 * message, borrowed. Returns what yq_proc_parse_args() returns; for --print-config ERR_INVALID
 * after "PROG: 选项 '--print-config' 只用于服务进程，此命令不打印配置 (this command prints no
 * config)" and usage on stderr.
 */
int yq_proc_parse_cmd_args(const char *prog, int argc, char **argv, const char *default_config,
                           const char *usage, struct yq_proc_args *out);

/*
 * A long-running process (the matcher, the notifier): what its main() does between the
 * shared steps. cfg points at the process's config struct (caller storage); every op takes it.
 */
struct yq_proc_service {
    const char *name;           /* "yuqing-matcher": the log's process name, usage errors */
    const char *default_config; /* "config/matcher.yaml" */
    const char *usage;          /* printed for --help and on a usage error */
    void *cfg;
    /* Load args->config_path and args->sets into cfg. 0 or an ERR_* with one line in errbuf. */
    int (*load)(void *cfg, const struct yq_proc_args *args, char *errbuf, size_t errlen);
    void (*print)(FILE *out, const void *cfg); /* --print-config */
    void (*release)(void *cfg);                /* whatever load left, also after a failure */
    /*
     * Start, run until yq_proc_stop is set, stop. Returns the exit code: 0 after a signal,
     * 1 when start-up failed (the reason in errbuf, logged as "start failed: ..."), 2 for an
     * operator's fault that a restart loop would only repeat (also logged).
     */
    int (*run)(void *cfg, char *errbuf, size_t errlen);
};

/*
 * The main() of service: the log named svc->name, the common command line (no other
 * arguments), the config (a failure is logged as "config failed: ..." and exits 2),
 * --print-config, the signal handlers, then svc->run. Returns the process's exit code.
 */
int yq_proc_service_main(const struct yq_proc_service *svc, int argc, char **argv);

/* Set once SIGINT or SIGTERM arrives. */
extern volatile sig_atomic_t yq_proc_stop;

/* Install SIGINT/SIGTERM handlers that set yq_proc_stop, and ignore SIGPIPE. */
void yq_proc_install_signals(void);

#endif
