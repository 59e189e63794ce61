/* The archiver's configuration (archiver.h): one key table, --print-config. */
#include "archiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_log_cfg.h"
#include "yq_banned.h"

static const struct cfg_key archiver_metrics_keys[] = YQ_METRICS_HTTP_CFG_KEYS("9110");

#define CFG_KEYS_OF archiver_opts
static const struct cfg_key archiver_opt_keys[] = {
    CFG_STRING_KEY(dir, NULL, "the archive, made once by `yuqingctl archive init DIR` (required)"),
    CFG_INT_KEY(retention_days, CFG_QUOTE(ARCHIVE_DEFAULT_RETENTION_DAYS), 1, 36500,
                "month files that ended longer ago than this are deleted"),
    CFG_INT_KEY(batch_size, "500", 1, 10000,
                "messages stored in one transaction and committed together"),
    CFG_MS_KEY(batch_wait_ms, "1000", 1, 600000,
               "a batch that is not full is stored this long after its first message"),
    CFG_MS_KEY(poll_timeout_ms, "100", 1, 10000, "consumer poll wait"),
    CFG_MS_KEY(retry_backoff_ms, "500", 1, ARCHIVER_MAX_BACKOFF_MS,
               "first wait before a failed store is retried (doubles up to 30 s)"),
    CFG_INT_KEY(prune_interval_s, "3600", 1, 604800,
                "how often retention runs (also once at start)"),
    CFG_MS_KEY(
        stop_timeout_ms, "10000", 0, 600000,
        "on SIGTERM, how long a failing store is retried before the batch is left uncommitted"),
    CFG_GROUP_KEY("log", log_level, "the log level", yq_log_cfg_keys),
    CFG_GROUP_KEY("metrics", metrics, "the monitoring endpoint", archiver_metrics_keys),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CFG_KEYS_OF archiver_cfg
const struct cfg_key archiver_cfg_keys[] = {
    CFG_SECTION_KEY(kafka, "Kafka (reads the items and alerts topics)", yq_kafka_cfg_keys),
    CFG_SECTION_KEY(archive, "the archive and its consumer", archiver_opt_keys),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

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
