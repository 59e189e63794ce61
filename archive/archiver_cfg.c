/* The archiver's configuration (archiver.h): one key table, --print-config. */
#include "archiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log_cfg.h"
#include "yq_banned.h"

static const struct cfg_key archiver_metrics_keys[] = YQ_METRICS_HTTP_CFG_KEYS("9110");

#define AOFF(f) offsetof(struct archiver_opts, f)
static const struct cfg_key archiver_opt_keys[] = {
    {"dir", CFG_STRING, NULL, 0, 0, AOFF(dir),
     "the archive, made once by `yuqingctl archive init DIR` (required)", NULL},
    {"retention_days", CFG_INT, CFG_QUOTE(ARCHIVE_DEFAULT_RETENTION_DAYS), 1, 36500,
     AOFF(retention_days), "month files that ended longer ago than this are deleted", NULL},
    {"batch_size", CFG_INT, "500", 1, 10000, AOFF(batch_size),
     "messages stored in one transaction and committed together", NULL},
    {"batch_wait_ms", CFG_MS, "1000", 1, 600000, AOFF(batch_wait_ms),
     "a batch that is not full is stored this long after its first message", NULL},
    {"poll_timeout_ms", CFG_MS, "100", 1, 10000, AOFF(poll_timeout_ms), "consumer poll wait",
     NULL},
    {"retry_backoff_ms", CFG_MS, "500", 1, ARCHIVER_MAX_BACKOFF_MS, AOFF(retry_backoff_ms),
     "first wait before a failed store is retried (doubles up to 30 s)", NULL},
    {"prune_interval_s", CFG_INT, "3600", 1, 604800, AOFF(prune_interval_s),
     "how often retention runs (also once at start)", NULL},
    {"stop_timeout_ms", CFG_MS, "10000", 0, 600000, AOFF(stop_timeout_ms),
     "on SIGTERM, how long a failing store is retried before the batch is left uncommitted",
     NULL},
    {"log", CFG_GROUP, NULL, 0, 0, AOFF(log_level), "the log level", yq_log_cfg_keys},
    {"metrics", CFG_GROUP, NULL, 0, 0, AOFF(metrics), "the monitoring endpoint",
     archiver_metrics_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define COFF(f) offsetof(struct archiver_cfg, f)
const struct cfg_key archiver_cfg_keys[] = {
    {"kafka", CFG_SECTION, NULL, 0, 0, COFF(kafka), "Kafka (reads the items and alerts topics)",
     yq_kafka_cfg_keys},
    {"archive", CFG_SECTION, NULL, 0, 0, COFF(archive), "the archive and its consumer",
     archiver_opt_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

int archiver_cfg_load(const char *path, const char *const *sets, int n_sets,
                      struct archiver_cfg *cfg, char *errbuf, size_t errlen)
{
    const char *where = path ? path : "<defaults>";
    struct cfg_doc doc;
    int err;

    memset(cfg, 0, sizeof(*cfg));
    err = cfg_load(archiver_cfg_keys, cfg, path, NULL, 0, &doc, errbuf, errlen);
    cfg_doc_release(&doc);
    if (err == 0) {
        err = cfg_set_all(archiver_cfg_keys, cfg, sets, n_sets, errbuf, errlen);
    }
    if (err == 0 && !cfg->kafka.group_id) {
        cfg->kafka.group_id = strdup(ARCHIVER_DEFAULT_GROUP);
        err = cfg->kafka.group_id ? 0 : ERR_NOMEM;
    }
    if (err == 0 && (!cfg->archive.dir || !cfg->archive.dir[0])) {
        snprintf(errbuf, errlen, "%s: key 'archive.dir' is required (the archive made by "
                 "`yuqingctl archive init DIR`)", where);
        err = ERR_INVALID;
    }
    if (err == 0 && strcmp(cfg->kafka.items_topic, cfg->kafka.alerts_topic) == 0) {
        snprintf(errbuf, errlen, "%s: keys 'kafka.items_topic' and 'kafka.alerts_topic' name "
                 "the same topic '%s'", where, cfg->kafka.items_topic);
        err = ERR_INVALID;
    }
    if (err == 0) {
        err = yq_log_cfg_check(cfg->archive.log_level, where, "archive", errbuf, errlen);
    }
    return err;
}

void archiver_cfg_print(FILE *out, const struct archiver_cfg *cfg)
{
    cfg_print(out, archiver_cfg_keys, cfg, 0);
}

void archiver_cfg_release(struct archiver_cfg *cfg)
{
    cfg_release(archiver_cfg_keys, cfg);
}
