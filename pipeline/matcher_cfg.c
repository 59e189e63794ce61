/* The matcher's configuration (matcher.h): key tables, source weights, --print-config. */
#include "matcher.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_log_cfg.h"
#include "yq_banned.h"

static const struct cfg_key matcher_metrics_keys[] = YQ_METRICS_HTTP_CFG_KEYS("9102");

#define CFG_KEYS_OF matcher_opts
static const struct cfg_key matcher_opt_keys[] = {
    CFG_STRING_KEY(rules_cache_path, "run/matcher-rules.json",
                   "on-disk copy of the last good rule set (used when Redis is down at start-up)"),
    /*
     * issue #16: a batch is what is already queued when its first item arrives, at most
     * batch_size: a lone item never waits for others; under load one Redis round trip, one
     * flush and one commit serve up to batch_size items. 1000: bench/e2e at 5,000 items/s
     * drained in 29 s with 1000 where 100 took 83 s (each batch waits for its alerts' acks and
     * a synchronous commit), and at 1,000 items/s the steady p99 was no worse.
     */
    CFG_INT_KEY(
        batch_size, "1000", 1, 10000,
        "most items matched as one batch (those already queued; one Redis round trip, one alert "
        "flush and offset commit per batch)"),
    CFG_MS_KEY(
        poll_timeout_ms, "100", 1, 10000,
        "longest wait for a first item when none is queued (bounds how late a reload or stop is "
        "noticed while idle)"),
    CFG_MS_KEY(reload_check_ms, "1000", 10, 600000, "how often yuqing:rules:current is checked"),
    CFG_MS_KEY(retry_backoff_ms, "500", 1, 60000,
               "wait before re-producing an alert whose delivery failed"),
    CFG_MS_KEY(
        event_wait_ms, "5000", 0, 3600000,
        "how long a Redis outage (no reply) may hold alerts back, from its first failure, before "
        "items get their own event (an error reply for one item holds nothing)"),
    CFG_INT_KEY(event_window_s, "259200", 60, 2592000,
                "near-duplicate window in seconds (design §4: 72 h)"),
    CFG_INT_KEY(event_ttl_s, "604800", 3600, 31536000,
                "lifetime of per-item event answers, repost roots and event counters"),
    CFG_GROUP_KEY("log", log_level, "the log level", yq_log_cfg_keys),
    CFG_MS_KEY(
        rules_verify_max_age_ms, "10000", 100, 3600000,
        "alerts say rules_unverified when Redis last confirmed the rule version longer ago than "
        "this (or the last check failed)"),
    CFG_MS_KEY(stuck_after_ms, "300000", 1000, 86400000,
               "/healthz says progress stuck when a batch is retried or waited for longer"),
    CFG_GROUP_KEY("metrics", metrics, "the monitoring endpoint", matcher_metrics_keys),
    CFG_EXTERNAL_KEY(
        "source_weights", NULL,
        "score factor per item source_id or source, 0.1..10 (weibo 1.2, wechat 1.1, others 1.0)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CFG_KEYS_OF matcher_cfg
const struct cfg_key matcher_cfg_keys[] = {
    CFG_SECTION_KEY(kafka, "Kafka", yq_kafka_cfg_keys),
    CFG_SECTION_KEY(redis, "Redis (rule sets)", yq_redis_cfg_keys),
    CFG_SECTION_KEY(matcher, "matching stage", matcher_opt_keys),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define WEIGHTS_KEY "matcher.source_weights"

/* A weight as text: a finite number in MATCH_WEIGHT_MIN..MATCH_WEIGHT_MAX. */
static int parse_weight(const char *text, double *out)
{
    char *end = NULL;
    double v;

    if (!text || !text[0]) {
        return ERR_INVALID;
    }
    v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v) || v < MATCH_WEIGHT_MIN || v > MATCH_WEIGHT_MAX) {
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}

/*
 * A weight's name: a source ("weibo") or a source id ("people-politics"), printable ASCII
 * without spaces, quotes or backslashes (so that --print-config can quote it as is).
 */
static bool weight_name_ok(const char *name, size_t len)
{
    if (len == 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\') {
            return false;
        }
    }
    return true;
}

/* matcher.source_weights (node may be NULL: none) into mw. */
static int load_weights(struct match_weights *mw, struct cfg_doc *doc, yaml_node_t *node,
                        char *errbuf, size_t errlen)
{
    if (cfg_value_empty(node)) {
        return 0;
    }
    if (node->type != YAML_MAPPING_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: key '" WEIGHTS_KEY "': must be a mapping of source "
                 "or source_id to weight", doc->file, node->start_mark.line + 1);
        return ERR_INVALID;
    }
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *kn = cfg_doc_node(doc, p->key);
        yaml_node_t *vn = cfg_doc_node(doc, p->value);
        const char *name = kn ? cfg_scalar(kn) : NULL;
        size_t line = kn ? kn->start_mark.line + 1 : node->start_mark.line + 1;
        double w;
        int err;

        if (!name || !weight_name_ok(name, kn->data.scalar.length)) {
            snprintf(errbuf, errlen, "%s:%zu: key '" WEIGHTS_KEY "': a name must be a source "
                     "or source_id (printable ASCII, no spaces or quotes)", doc->file, line);
            return ERR_INVALID;
        }
        for (size_t i = 0; i < mw->n; i++) {
            if (strcmp(mw->w[i].name, name) == 0) {
                snprintf(errbuf, errlen, "%s:%zu: key '" WEIGHTS_KEY ".%s': given twice",
                         doc->file, line, name);
                return ERR_INVALID;
            }
        }
        if (!vn || parse_weight(cfg_scalar(vn), &w) != 0) {
            snprintf(errbuf, errlen, "%s:%zu: key '" WEIGHTS_KEY ".%s': weight must be a number "
                     "from 0.1 to 10", doc->file, vn ? vn->start_mark.line + 1 : line, name);
            return ERR_INVALID;
        }
        err = match_weights_set(mw, name, w);
        if (err) {
            return err;
        }
    }
    return 0;
}

/*
 * One "--set matcher.source_weights.NAME=W" (assignment borrowed). Returns 1 when assignment
 * is not about source weights (cfg_set's business), else 0, ERR_INVALID or ERR_NOMEM.
 */
static int set_weight(struct match_weights *mw, const char *assignment, char *errbuf,
                      size_t errlen)
{
    static const char prefix[] = WEIGHTS_KEY ".";
    const char *name = assignment + sizeof(prefix) - 1;
    const char *eq = strchr(assignment, '=');
    char buf[256];
    double w;

    if (strncmp(assignment, prefix, sizeof(prefix) - 1) != 0) {
        return 1;
    }
    if (!eq || (size_t)(eq - name) >= sizeof(buf) || !weight_name_ok(name, (size_t)(eq - name))) {
        snprintf(errbuf, errlen, "override '%s': expected " WEIGHTS_KEY ".NAME=WEIGHT",
                 assignment);
        return ERR_INVALID;
    }
    if (parse_weight(eq + 1, &w) != 0) {
        snprintf(errbuf, errlen, "override '%.*s': weight must be a number from 0.1 to 10",
                 (int)(eq - assignment), assignment);
        return ERR_INVALID;
    }
    snprintf(buf, sizeof(buf), "%.*s", (int)(eq - name), name);
    return match_weights_set(mw, buf, w);
}

int matcher_cfg_load(const char *path, const char *const *sets, int n_sets,
                     struct matcher_cfg *cfg, char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    int err;

    memset(cfg, 0, sizeof(*cfg));
    err = cfg_load(matcher_cfg_keys, cfg, path, NULL, 0, &doc, errbuf, errlen);
    if (err == 0 && path) {
        yaml_node_t *mn = cfg_map_get(&doc, cfg_doc_root(&doc), "matcher");
        err = load_weights(&cfg->matcher.source_weights, &doc,
                           mn ? cfg_map_get(&doc, mn, "source_weights") : NULL, errbuf, errlen);
    }
    cfg_doc_release(&doc);
    for (int i = 0; err == 0 && i < n_sets; i++) {
        err = set_weight(&cfg->matcher.source_weights, sets[i], errbuf, errlen);
        if (err == 1) {
            err = cfg_set(matcher_cfg_keys, cfg, sets[i], errbuf, errlen);
        }
    }
    if (err == 0 && !cfg->kafka.group_id) {
        cfg->kafka.group_id = strdup(MATCHER_DEFAULT_GROUP);
        err = cfg->kafka.group_id ? 0 : ERR_NOMEM;
    }
    if (err == 0) {
        err = yq_log_cfg_check(cfg->matcher.log_level, path ? path : "<defaults>", "matcher",
                               errbuf, errlen);
    }
    return err;
}

void matcher_cfg_print(FILE *out, const struct matcher_cfg *cfg)
{
    static const char *const builtin[] = {"weibo", "wechat"};
    const struct match_weights *mw = &cfg->matcher.source_weights;

    /* "matcher" is the table's last section: its source_weights follow its other keys */
    cfg_print(out, matcher_cfg_keys, cfg, 0);
    fputs("  source_weights:  # score factor per item source_id or source, 0.1..10; others 1.0\n",
          out);
    for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
        struct yq_item it = {.source = (char *)builtin[i]};
        bool configured = false;

        for (size_t j = 0; j < mw->n; j++) {
            configured = configured || strcmp(mw->w[j].name, builtin[i]) == 0;
        }
        if (!configured) {
            fprintf(out, "    \"%s\": %g\n", builtin[i], match_source_weight(NULL, &it));
        }
    }
    for (size_t j = 0; j < mw->n; j++) {
        fprintf(out, "    \"%s\": %g\n", mw->w[j].name, mw->w[j].weight);
    }
}

void matcher_cfg_release(struct matcher_cfg *cfg)
{
    match_weights_release(&cfg->matcher.source_weights);
    cfg_release(matcher_cfg_keys, cfg);
}
