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

static int load(void *cfg, const struct yq_proc_args *args, char *errbuf, size_t errlen)
{
    return matcher_cfg_load(args->config_path, args->sets, args->n_sets, cfg, errbuf, errlen);
}

static void print(FILE *out, const void *cfg)
{
    matcher_cfg_print(out, cfg);
}

static void release(void *cfg)
{
    matcher_cfg_release(cfg);
}

static int run(void *cfg_v, char *errbuf, size_t errlen)
{
    struct matcher_cfg *cfg = cfg_v;
    struct matcher *m;
    int rc, level;

    /* --log-level, if given, beats the config file */
    if (yq_log_level_cur == YQ_LOG_INFO &&
        yq_log_level_parse(cfg->matcher.log_level, &level) == 0) {
        yq_log_init("yuqing-matcher", level);
    }
    m = matcher_new(cfg, errbuf, errlen);
    if (!m) {
        return 1;
    }
    rc = matcher_run(m, &yq_proc_stop);
    matcher_free(m);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct matcher_cfg cfg;
    const struct yq_proc_service svc = {
        "yuqing-matcher", "config/matcher.yaml", usage, &cfg, load, print, release, run,
    };

    return yq_proc_service_main(&svc, argc, argv);
}
