/* yuqing-matcher: reads args and config, sets signals, runs the matcher loop, exits. */
#include <stdio.h>

#include "matcher.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqing-matcher [--config FILE] [--set KEY=VALUE ...] [--log-level LEVEL]\n"
    "                      [--print-config]\n"
    "Consumes items, matches them against the rule set in Redis and produces alerts.\n"
    "Default config: config/matcher.yaml. SIGTERM finishes the current batch and exits 0.\n";

int main(int argc, char **argv)
{
    struct yq_proc_args args;
    struct matcher_cfg cfg;
    struct matcher *m;
    char err[1024] = "";
    int rc, level;

    yq_log_init("yuqing-matcher", YQ_LOG_INFO);
    rc = yq_proc_parse_args(argc, argv, "config/matcher.yaml", usage, &args);
    if (rc != 0) {
        return rc == 1 ? 0 : 2;
    }
    if (args.n_rest > 0) {
        fprintf(stderr, "yuqing-matcher: unexpected argument '%s'\n%s", args.rest[0], usage);
        return 2;
    }
    level = yq_log_level_cur; /* --log-level, if given, beats the config file */
    rc = matcher_cfg_load(args.config_path, args.sets, args.n_sets, &cfg, err, sizeof(err));
    if (rc != 0) {
        LOG_ERR("cannot load config err=%s", err);
        matcher_cfg_release(&cfg);
        return 2; /* bad configuration, like every other process */
    }
    if (args.print_config) {
        matcher_cfg_print(stdout, &cfg);
        matcher_cfg_release(&cfg);
        return 0;
    }
    if (level == YQ_LOG_INFO && yq_log_level_parse(cfg.matcher.log_level, &level) == 0) {
        yq_log_init("yuqing-matcher", level);
    }
    yq_proc_install_signals();
    m = matcher_new(&cfg, err, sizeof(err));
    if (!m) {
        LOG_ERR("cannot start err=%s", err);
        matcher_cfg_release(&cfg);
        return 1;
    }
    rc = matcher_run(m, &yq_proc_stop);
    matcher_free(m);
    matcher_cfg_release(&cfg);
    return rc == 0 ? 0 : 1;
}
