#include "matcher_metrics.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_metrics_http.h"
#include "yq_banned.h"

/* The partition labels of a per-partition sample ("topic", "partition"); num holds the number. */
static void partition_labels(const struct matcher_partition_status *p, char num[16],
                             struct yq_metrics_http_label out[2])
{
    snprintf(num, 16, "%d", (int)p->partition);
    out[0] = (struct yq_metrics_http_label){"topic", p->topic};
    out[1] = (struct yq_metrics_http_label){"partition", num};
}

/* The samples of one family labelled kind="..." (errors, rebalances). */
struct kind_sample {
    const char *kind;
    uint64_t value;
};

static int kind_family(struct yq_buf *b, const char *name, const char *help,
                       const struct kind_sample *s, size_t n)
{
    int err = yq_metrics_http_family(b, name, "counter", help);

    for (size_t i = 0; i < n && !err; i++) {
        struct yq_metrics_http_label l = {"kind", s[i].kind};
        err = yq_metrics_http_sample(b, name, &l, 1, (int64_t)s[i].value);
    }
    return err;
}

/* Counters and gauges before the per-partition families, in the order of the document. */
static int head_families(struct yq_buf *b, const struct matcher_status *st)
{
    const struct kind_sample errors[] = {{"consume", st->consume_errors},
                                         {"delivery", st->delivery_errors},
                                         {"commit", st->commit_errors},
                                         {"batch_retry", st->batch_retries}};
    const struct kind_sample rebalances[] = {{"assign", st->assignments},
                                             {"revoke", st->revocations}};
    const struct {
        const char *name, *type, *help;
        int64_t value;
    } scalars[] = {
        {"yuqing_matcher_items_total", "counter", "items consumed (malformed ones included)",
         (int64_t)st->items},
        {"yuqing_matcher_alerts_total", "counter", "alerts delivered to the alerts topic",
         (int64_t)st->alerts},
        {"yuqing_matcher_malformed_total", "counter", "items that did not decode (skipped)",
         (int64_t)st->malformed},
        {"yuqing_matcher_excluded_total", "counter", "items dropped by an exclusion rule",
         (int64_t)st->excluded},
        {"yuqing_matcher_event_fallbacks_total", "counter",
         "alerts given the item's own event (Redis down past event_wait_ms, an error reply or a "
         "bad answer for the item)",
         (int64_t)st->event_fallbacks},
    };
    int err = 0;

    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]) && !err; i++) {
        err = yq_metrics_http_scalar(b, scalars[i].name, scalars[i].type, scalars[i].help,
                                     scalars[i].value);
    }
    if (!err) {
        err = kind_family(b, "yuqing_matcher_errors_total",
                          "errors by kind (each is retried or logged)", errors, 4);
    }
    if (!err) {
        err = kind_family(b, "yuqing_matcher_rebalances_total", "consumer group rebalances by kind",
                          rebalances, 2);
    }
    if (!err) {
        err =
            yq_metrics_http_scalar(b, "yuqing_matcher_assigned_partitions", "gauge",
                                   "partitions of the items topic held", (int64_t)st->n_partitions);
    }
    return err;
}

/* The lag (only where both offsets are known) and the position of each held partition. */
static int partition_families(struct yq_buf *b, const struct matcher_status *st)
{
    int err = yq_metrics_http_family(b, "yuqing_matcher_consumer_lag", "gauge",
                                     "messages of a held partition not consumed yet");

    for (size_t i = 0; i < st->n_partitions && !err; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        struct yq_metrics_http_label l[2];
        char num[16];
        if (p->position < 0 || p->high_watermark < 0) {
            continue;
        }
        partition_labels(p, num, l);
        err = yq_metrics_http_sample(
            b, "yuqing_matcher_consumer_lag", l, 2,
            p->high_watermark > p->position ? p->high_watermark - p->position : 0);
    }
    if (!err) {
        err = yq_metrics_http_family(b, "yuqing_matcher_partition_position", "gauge",
                                     "next offset to consume of a held partition");
    }
    for (size_t i = 0; i < st->n_partitions && !err; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        struct yq_metrics_http_label l[2];
        char num[16];
        partition_labels(p, num, l);
        err = yq_metrics_http_sample(b, "yuqing_matcher_partition_position", l, 2,
                                     p->position < 0 ? -1 : p->position);
    }
    return err;
}

/* The rule set, progress and dependency families after the partitions. */
static int tail_families(struct yq_buf *b, const struct matcher_status *st)
{
    const struct {
        const char *name, *type, *help;
        int64_t value;
    } scalars[] = {
        {"yuqing_matcher_rules_version", "gauge", "version of the rule set in use (0 = none)",
         st->rules_version},
        {"yuqing_matcher_rules_skipped", "gauge",
         "rules, exclude terms and places of the set in use left out: they fail a check added "
         "after the set was pushed (a WARN names each)",
         (int64_t)st->rules_skipped},
        {"yuqing_matcher_alerts_rejected_total", "counter",
         "alerts Kafka refused for good (message too large, invalid record); items settled",
         (int64_t)st->alerts_rejected},
        {"yuqing_matcher_progress_stuck", "gauge",
         "1 while a batch is retried longer than matcher.stuck_after_ms or the consumer left "
         "its group",
         st->stuck ? 1 : 0},
        {"yuqing_matcher_rules_rejected_total", "counter",
         "pushed rule set versions that did not load (the set in use was kept)",
         (int64_t)st->rules_rejected},
        {"yuqing_matcher_rules_checked_timestamp_seconds", "gauge",
         "last time Redis confirmed the version in use (0 = never)", st->rules_checked_at},
        {"yuqing_matcher_rules_unverified", "gauge", "1 while alerts carry rules_unverified",
         st->rules_unverified ? 1 : 0},
    };
    struct yq_dep deps[] = {{"kafka", st->kafka}, {"redis", st->redis}};
    int err = 0;

    for (size_t i = 0; i < sizeof(scalars) / sizeof(scalars[0]) && !err; i++) {
        err = yq_metrics_http_scalar(b, scalars[i].name, scalars[i].type, scalars[i].help,
                                     scalars[i].value);
    }
    return err ? err : yq_health_metrics(b, "matcher", deps, 2);
}

int matcher_status_metrics(const struct matcher_status *st, char **out, size_t *out_len)
{
    struct yq_buf b;
    int err;

    yq_buf_init(&b, MATCHER_METRICS_MAX_BYTES);
    err = head_families(&b, st);
    if (!err) {
        err = partition_families(&b, st);
    }
    if (!err) {
        err = tail_families(&b, st);
    }
    if (!err) {
        *out = yq_buf_steal(&b, out_len);
        err = *out ? 0 : ERR_NOMEM;
    }
    yq_buf_release(&b);
    return err;
}

int matcher_status_health(const struct matcher_status *st, char **out, size_t *out_len,
                          bool *healthy)
{
    struct yq_dep deps[] = {{"kafka", st->kafka}, {"redis", st->redis}};
    char text[256], doc[320];
    int status = yq_health_json(deps, 2, text, sizeof(text));
    const char *rest;
    int n;

    if (status < 0) {
        return ERR_NOMEM; /* never: two short names */
    }
    rest = strstr(text, ",\"dependencies\"");
    if (!rest) {
        return ERR_NOMEM; /* never: yq_health_json() always writes them */
    }
    /* the progress between the status and the dependencies; stuck makes the status down */
    n = snprintf(doc, sizeof(doc), "{\"status\":\"%s\",\"progress\":\"%s\"%s\n",
                 status == 200 && !st->stuck ? "ok" : "down", st->stuck ? "stuck" : "ok", rest);
    if (n < 0 || (size_t)n >= sizeof(doc)) {
        return ERR_NOMEM;
    }
    *out = strdup(doc);
    if (!*out) {
        return ERR_NOMEM;
    }
    *out_len = (size_t)n;
    *healthy = status == 200 && !st->stuck;
    return 0;
}
