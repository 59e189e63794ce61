#include "yq_proc.h"

#include <stdio.h>
#include <string.h>

#include "yq_cli.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

volatile sig_atomic_t yq_proc_stop = 0;

static void on_signal(int sig)
{
    (void)sig;
    yq_proc_stop = 1;
}

void yq_proc_install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int yq_proc_parse_args(int argc, char **argv, const char *default_config, const char *usage,
                       struct yq_proc_args *out)
{
    int n_rest = 0;
    bool options_done = false;

    memset(out, 0, sizeof(*out));
    out->config_path = default_config;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options_done && strcmp(a, "--") == 0) {
            options_done = true;
        } else if (!options_done && (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)) {
            fputs(usage, stdout);
            return 1;
        } else if (!options_done && strcmp(a, "--print-config") == 0) {
            out->print_config = true;
        } else if (!options_done && (strcmp(a, "--config") == 0 || strcmp(a, "--set") == 0 ||
                                     strcmp(a, "--log-level") == 0)) {
            if (i + 1 >= argc) {
                (void)yq_cli_missing_value(argv[0], usage, a);
                return ERR_INVALID;
            }
            const char *v = argv[++i];
            if (strcmp(a, "--config") == 0) {
                out->config_path = v;
            } else if (strcmp(a, "--set") == 0) {
                if (out->n_sets >= YQ_PROC_MAX_SETS) {
                    fprintf(stderr, "%s: --set 至多给出 %d 次 (too many --set options)\n", argv[0],
                            YQ_PROC_MAX_SETS);
                    return ERR_INVALID;
                }
                out->sets[out->n_sets++] = v;
            } else {
                int level;
                if (yq_log_level_parse(v, &level) != 0) {
                    fprintf(stderr,
                            "%s: --log-level 须为 err、warn、info 或 debug (--log-level "
                            "must be err, warn, info or debug)\n",
                            argv[0]);
                    return ERR_INVALID;
                }
                yq_log_level_cur = level;
            }
        } else if (!options_done && a[0] == '-' && a[1] == '-' && strchr(a, '=') &&
                   (strncmp(a, "--config=", 9) == 0 || strncmp(a, "--set=", 6) == 0)) {
            const char *v = strchr(a, '=') + 1;
            if (a[2] == 'c') {
                out->config_path = v;
            } else if (out->n_sets < YQ_PROC_MAX_SETS) {
                out->sets[out->n_sets++] = v;
            }
        } else {
            /* keep non-option arguments (and unknown options, for subcommands) in order */
            argv[1 + n_rest++] = argv[i];
        }
    }
    out->n_rest = n_rest;
    out->rest = argv + 1;
    return 0;
}

int yq_proc_parse_cmd_args(const char *prog, int argc, char **argv, const char *default_config,
                           const char *usage, struct yq_proc_args *out)
{
    int rc = yq_proc_parse_args(argc, argv, default_config, usage, out);

    if (rc == 0 && out->print_config) {
        fprintf(
            stderr,
            "%s: 选项 '--print-config' 只用于服务进程，此命令不打印配置 (this command prints no "
            "config)\n%s",
            prog, usage);
        return ERR_INVALID;
    }
    return rc;
}

int yq_proc_service_main(const struct yq_proc_service *svc, int argc, char **argv)
{
    struct yq_proc_args args;
    char err[1024] = "";
    int rc;

    yq_log_init(svc->name, YQ_LOG_INFO);
    rc = yq_proc_parse_args(argc, argv, svc->default_config, svc->usage, &args);
    if (rc != 0) {
        return rc > 0 ? 0 : 2;
    }
    if (args.n_rest > 0) {
        return yq_cli_extra_argument(svc->name, svc->usage, args.rest[0]);
    }
    if (svc->load(svc->cfg, &args, err, sizeof(err)) != 0) {
        LOG_ERR("config failed: %s", err);
        svc->release(svc->cfg);
        return 2; /* bad configuration, like every other process */
    }
    if (args.print_config) {
        svc->print(stdout, svc->cfg);
        svc->release(svc->cfg);
        return 0;
    }
    yq_proc_install_signals();
    err[0] = '\0';
    rc = svc->run(svc->cfg, err, sizeof(err));
    if (rc != 0 && err[0]) {
        LOG_ERR("start failed: %s", err);
    }
    svc->release(svc->cfg);
    return rc;
}
