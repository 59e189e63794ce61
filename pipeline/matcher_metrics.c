#include "matcher_metrics.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/* A label value as Prometheus text: backslash, quote and newline escaped. */
static void put_label(FILE *f, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"') {
            fputc('\\', f);
            fputc(*v, f);
        } else if (*v == '\n') {
            fputs("\\n", f);
        } else {
            fputc(*v, f);
        }
    }
}

/* Close the memstream f (whose buffer is *buf, *len) and hand the text to out. */
static int close_mem(FILE *f, char **buf, size_t *len, char **out, size_t *out_len)
{
    bool failed = ferror(f) != 0;

    if (fclose(f) != 0 || failed) {
        free(*buf);
        return ERR_NOMEM;
    }
    *out = *buf;
    *out_len = *len;
    return 0;
}

#define COUNTER(f, name, help, v)                                                                  \
    fprintf(f, "# HELP " name " " help "\n# TYPE " name " counter\n" name " %" PRIu64 "\n",        \
            (uint64_t)(v))

int matcher_status_metrics(const struct matcher_status *st, char **out, size_t *out_len)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    if (!f) {
        return ERR_NOMEM;
    }
    COUNTER(f, "yuqing_matcher_items_total", "items consumed (malformed ones included)", st->items);
    COUNTER(f, "yuqing_matcher_alerts_total", "alerts delivered to the alerts topic", st->alerts);
    COUNTER(f, "yuqing_matcher_malformed_total", "items that did not decode (skipped)",
            st->malformed);
    COUNTER(f, "yuqing_matcher_excluded_total", "items dropped by an exclusion rule", st->excluded);
    fputs("# HELP yuqing_matcher_errors_total errors by kind (each is retried or logged)\n"
          "# TYPE yuqing_matcher_errors_total counter\n",
          f);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"consume\"} %" PRIu64 "\n", st->consume_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"delivery\"} %" PRIu64 "\n", st->delivery_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"commit\"} %" PRIu64 "\n", st->commit_errors);
    fprintf(f, "yuqing_matcher_errors_total{kind=\"batch_retry\"} %" PRIu64 "\n",
            st->batch_retries);
    fputs("# HELP yuqing_matcher_rebalances_total consumer group rebalances by kind\n"
          "# TYPE yuqing_matcher_rebalances_total counter\n",
          f);
    fprintf(f, "yuqing_matcher_rebalances_total{kind=\"assign\"} %" PRIu64 "\n", st->assignments);
    fprintf(f, "yuqing_matcher_rebalances_total{kind=\"revoke\"} %" PRIu64 "\n", st->revocations);
    fprintf(f,
            "# HELP yuqing_matcher_assigned_partitions partitions of the items topic held\n"
            "# TYPE yuqing_matcher_assigned_partitions gauge\n"
            "yuqing_matcher_assigned_partitions %zu\n",
            st->n_partitions);
    fputs("# HELP yuqing_matcher_consumer_lag messages of a held partition not consumed yet\n"
          "# TYPE yuqing_matcher_consumer_lag gauge\n",
          f);
    for (size_t i = 0; i < st->n_partitions; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        int64_t lag;
        if (p->position < 0 || p->high_watermark < 0) {
            continue;
        }
        lag = p->high_watermark > p->position ? p->high_watermark - p->position : 0;
        fputs("yuqing_matcher_consumer_lag{topic=\"", f);
        put_label(f, p->topic);
        fprintf(f, "\",partition=\"%d\"} %" PRId64 "\n", (int)p->partition, lag);
    }
    fputs("# HELP yuqing_matcher_partition_position next offset to consume of a held partition\n"
          "# TYPE yuqing_matcher_partition_position gauge\n",
          f);
    for (size_t i = 0; i < st->n_partitions; i++) {
        const struct matcher_partition_status *p = &st->partitions[i];
        fputs("yuqing_matcher_partition_position{topic=\"", f);
        put_label(f, p->topic);
        fprintf(f, "\",partition=\"%d\"} %" PRId64 "\n", (int)p->partition,
                p->position < 0 ? (int64_t)-1 : p->position);
    }
    fprintf(f,
            "# HELP yuqing_matcher_rules_version version of the rule set in use (0 = none)\n"
            "# TYPE yuqing_matcher_rules_version gauge\n"
            "yuqing_matcher_rules_version %" PRId64 "\n",
            st->rules_version);
    COUNTER(f, "yuqing_matcher_alerts_rejected_total",
            "alerts Kafka refused for good (message too large, invalid record); items settled",
            st->alerts_rejected);
    fprintf(f,
            "# HELP yuqing_matcher_progress_stuck 1 while a batch is retried longer than "
            "matcher.stuck_after_ms or the consumer left its group\n"
            "# TYPE yuqing_matcher_progress_stuck gauge\n"
            "yuqing_matcher_progress_stuck %d\n",
            st->stuck ? 1 : 0);
    COUNTER(f, "yuqing_matcher_rules_rejected_total",
            "pushed rule set versions that did not load (the set in use was kept)",
            st->rules_rejected);
    fprintf(f,
            "# HELP yuqing_matcher_rules_checked_timestamp_seconds last time Redis confirmed "
            "the version in use (0 = never)\n"
            "# TYPE yuqing_matcher_rules_checked_timestamp_seconds gauge\n"
            "yuqing_matcher_rules_checked_timestamp_seconds %" PRId64 "\n",
            st->rules_checked_at);
    fprintf(f,
            "# HELP yuqing_matcher_rules_unverified 1 while alerts carry rules_unverified\n"
            "# TYPE yuqing_matcher_rules_unverified gauge\n"
            "yuqing_matcher_rules_unverified %d\n",
            st->rules_unverified ? 1 : 0);
    {
        struct yq_dep deps[] = {{"kafka", st->kafka}, {"redis", st->redis}};
        char dep_text[512];
        int n = yq_health_metrics("matcher", deps, 2, dep_text, sizeof(dep_text));
        if (n < 0) {
            fclose(f);
            free(buf);
            return ERR_NOMEM;
        }
        fputs(dep_text, f);
    }
    return close_mem(f, &buf, &len, out, out_len);
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
