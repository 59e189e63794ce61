/* yuqing-archiver: reads args and config, sets signals, runs the archiver loop, exits. */
#include <stdio.h>

#include "archiver.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqing-archiver [--config FILE] [--set KEY=VALUE ...] [--log-level LEVEL]\n"
    "                       [--print-config]\n"
    "Consumes the items and alerts topics and stores every item, with the rules it matched,\n"
    "in the archive (made once by `yuqingctl archive init DIR`; archive.dir in the config).\n"
    "Default config: config/archiver.yaml. SIGTERM stores and commits the batch, exits 0.\n";

static int load(void *cfg, const struct yq_proc_args *args, char *errbuf, size_t errlen)
{
    return archiver_cfg_load(args->config_path, args->sets, args->n_sets, cfg, errbuf, errlen);
}

static void print(FILE *out, const void *cfg)
{
    archiver_cfg_print(out, cfg);
}

static void release(void *cfg)
{
    archiver_cfg_release(cfg);
}

static int run(void *cfg_v, char *errbuf, size_t errlen)
{
    struct archiver_cfg *cfg = cfg_v;
    struct archiver *a;
    int rc, level;

    /* --log-level, if given, beats the config file */
    if (yq_log_level_cur == YQ_LOG_INFO &&
        yq_log_level_parse(cfg->archive.log_level, &level) == 0) {
        yq_log_init("yuqing-archiver", level);
    }
    a = archiver_new(cfg, NULL, errbuf, errlen);
    if (!a) {
        return 1;
    }
    rc = archiver_run(a, &yq_proc_stop);
    archiver_free(a);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct archiver_cfg cfg;
    const struct yq_proc_service svc = {
        "yuqing-archiver", "config/archiver.yaml", usage, &cfg, load, print, release, run,
    };

    return yq_proc_service_main(&svc, argc, argv);
}
