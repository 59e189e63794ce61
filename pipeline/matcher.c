#include "matcher.h"

#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "match.h"
#include "matcher_http.h"
#include "rules_store.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define MOFF(f) offsetof(struct matcher_opts, f)
static const struct cfg_key matcher_opt_keys[] = {
    {"rules_cache_path", CFG_STRING, "run/matcher-rules.json", 0, 0, MOFF(rules_cache_path),
     "on-disk copy of the last good rule set (used when Redis is down at start-up)", NULL},
    {"batch_size", CFG_INT, "100", 1, 10000, MOFF(batch_size),
     "items consumed before their alerts are flushed and offsets committed", NULL},
    {"poll_timeout_ms", CFG_MS, "100", 1, 10000, MOFF(poll_timeout_ms), "consumer poll wait",
     NULL},
    {"reload_check_ms", CFG_MS, "1000", 10, 600000, MOFF(reload_check_ms),
     "how often yuqing:rules:current is checked", NULL},
    {"retry_backoff_ms", CFG_MS, "500", 1, 60000, MOFF(retry_backoff_ms),
     "wait before re-producing an alert whose delivery failed", NULL},
    {"event_wait_ms", CFG_MS, "5000", 0, 3600000, MOFF(event_wait_ms),
     "how long a Redis outage may hold alerts back before items get their own event", NULL},
    {"event_window_s", CFG_INT, "259200", 60, 2592000, MOFF(event_window_s),
     "near-duplicate window in seconds (design §4: 72 h)", NULL},
    {"event_ttl_s", CFG_INT, "604800", 3600, 31536000, MOFF(event_ttl_s),
     "lifetime of per-item event answers, repost roots and event counters", NULL},
    {"log_level", CFG_STRING, "info", 0, 0, MOFF(log_level), "err, warn, info or debug", NULL},
    {"rules_verify_max_age_ms", CFG_MS, "10000", 100, 3600000, MOFF(rules_verify_max_age_ms),
     "alerts say rules_unverified when Redis last confirmed the rule version longer ago than "
     "this (or the last check failed)", NULL},
    {"metrics_address", CFG_STRING, "127.0.0.1", 0, 0, MOFF(metrics_address),
     "listen address of GET /metrics and /healthz; empty = no endpoint", NULL},
    {"metrics_port", CFG_INT, "9102", 0, 65535, MOFF(metrics_port),
     "port of GET /metrics and /healthz; 0 = any free port (logged)", NULL},
    {"source_weights", CFG_EXTERNAL, NULL, 0, 0, 0,
     "score factor per item source_id or source, 0.1..10 (weibo 1.2, wechat 1.1, others 1.0)",
     NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define COFF(f) offsetof(struct matcher_cfg, f)
const struct cfg_key matcher_cfg_keys[] = {
    {"kafka", CFG_SECTION, NULL, 0, 0, COFF(kafka), "Kafka", yq_kafka_cfg_keys},
    {"redis", CFG_SECTION, NULL, 0, 0, COFF(redis), "Redis (rule sets)", yq_redis_cfg_keys},
    {"matcher", CFG_SECTION, NULL, 0, 0, COFF(matcher), "matching stage", matcher_opt_keys},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

#define SUB_RETRY_MS 1000
#define STATUS_INTERVAL_MS 1000   /* /metrics and /healthz are republished this often */
#define KAFKA_PROBE_TIMEOUT_MS 1000
#define COMMITTED_TIMEOUT_MS 500
#define REDIS_BACKOFF_MAX_MS 5000

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
    if (!node || (node->type == YAML_SCALAR_NODE && cfg_scalar(node)[0] == '\0')) {
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
    int err, level;

    memset(cfg, 0, sizeof(*cfg));
    memset(&doc, 0, sizeof(doc));
    if (path) {
        err = cfg_doc_load(&doc, path, NULL, 0, errbuf, errlen);
        if (err) {
            cfg_doc_release(&doc);
            return err;
        }
        err = cfg_fill(matcher_cfg_keys, cfg, &doc, cfg_doc_root(&doc), errbuf, errlen);
        if (err == 0) {
            yaml_node_t *mn = cfg_map_get(&doc, cfg_doc_root(&doc), "matcher");
            err = load_weights(&cfg->matcher.source_weights, &doc,
                               mn ? cfg_map_get(&doc, mn, "source_weights") : NULL, errbuf,
                               errlen);
        }
    } else {
        err = cfg_fill(matcher_cfg_keys, cfg, NULL, NULL, errbuf, errlen);
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
    if (err == 0 && yq_log_level_parse(cfg->matcher.log_level, &level) != 0) {
        snprintf(errbuf, errlen, "%s: key 'matcher.log_level': bad value '%s'",
                 path ? path : "<defaults>", cfg->matcher.log_level);
        err = ERR_INVALID;
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

enum pending_state { PENDING_IN_FLIGHT, PENDING_DELIVERED, PENDING_FAILED };

/* One alert of the current batch, kept until Kafka reports it delivered. */
struct pending {
    char *payload;
    size_t len;
    char *key;
    enum pending_state state;
    rd_kafka_resp_err_t err;
};

struct matcher {
    const struct matcher_cfg *cfg;
    struct yq_redis *redis;
    redisContext *sub;        /* pub/sub connection for yuqing:rules:changed, or NULL */
    int64_t sub_retry_at_ms;  /* monotonic */
    struct rule_set *rules;   /* in use; NULL until one was loaded */
    struct match_scratch *scratch;
    struct norm_text simhash_buf;
    int64_t event_backoff_ms; /* grows while event assignment fails (Redis down) */
    int64_t events_down_since_ms; /* monotonic; 0 while event assignment works */
    bool events_fallback_logged;
    int64_t failed_version;   /* last version that could not be loaded (logged once) */
    int64_t next_check_ms;    /* monotonic time of the next yuqing:rules:current check */
    int64_t check_backoff_ms; /* grows while Redis is down */
    bool cache_tried;
    bool waiting_logged;
    /* rule-version confirmation (issue #10): see rules_unverified() */
    bool rules_confirmed;        /* the last check confirmed the version in use */
    int64_t confirmed_mono_ms;   /* monotonic time of the last confirmation */
    int64_t confirmed_at;        /* the same, seconds since the epoch; 0 = never */
    /* health and /metrics */
    struct matcher_http *http;   /* NULL when matcher.metrics_address is empty */
    int64_t next_status_ms;      /* monotonic time of the next publication */
    bool kafka_up, redis_up;
    bool kafka_known, redis_known; /* a check has run (transitions are logged after that) */
    uint64_t n_consume_errors, n_delivery_errors, n_commit_errors;
    uint64_t n_assignments, n_revocations, n_rules_rejected;
    rd_kafka_t *producer;
    rd_kafka_t *consumer;
    rd_kafka_message_t **batch;
    struct pending *pending;
    size_t n_pending;
    uint64_t n_items, n_alerts, n_malformed, n_excluded, n_event_retries;
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    struct pending *p = msg->_private;
    (void)rk;
    (void)opaque;
    if (!p) {
        return;
    }
    p->err = msg->err;
    p->state = msg->err ? PENDING_FAILED : PENDING_DELIVERED;
}

struct matcher *matcher_new(const struct matcher_cfg *cfg, char *errbuf, size_t errlen)
{
    struct matcher *m = calloc(1, sizeof(*m));

    if (!m) {
        snprintf(errbuf, errlen, "out of memory");
        return NULL;
    }
    m->cfg = cfg;
    m->check_backoff_ms = cfg->matcher.reload_check_ms;
    m->redis = yq_redis_new(&cfg->redis);
    m->scratch = match_scratch_new();
    m->batch = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->batch));
    m->pending = calloc((size_t)cfg->matcher.batch_size, sizeof(*m->pending));
    if (!m->redis || !m->batch || !m->pending || !m->scratch) {
        snprintf(errbuf, errlen, "out of memory");
        matcher_free(m);
        return NULL;
    }
    m->producer = yq_kafka_producer_new(&cfg->kafka, dr_cb, m, errbuf, errlen);
    if (!m->producer) {
        matcher_free(m);
        return NULL;
    }
    if (cfg->matcher.metrics_address && cfg->matcher.metrics_address[0]) {
        m->http = matcher_http_start(cfg->matcher.metrics_address, (int)cfg->matcher.metrics_port,
                                     errbuf, errlen);
        if (!m->http) {
            matcher_free(m);
            return NULL;
        }
        LOG_INFO("metrics listening address=%s port=%d", cfg->matcher.metrics_address,
                 matcher_http_port(m->http));
    }
    return m;
}

void matcher_free(struct matcher *m)
{
    if (!m) {
        return;
    }
    matcher_http_stop(m->http); /* first: its thread reads nothing of m, but stop serving */
    if (m->consumer) {
        rd_kafka_consumer_close(m->consumer);
        rd_kafka_destroy(m->consumer);
    }
    if (m->producer) {
        rd_kafka_destroy(m->producer);
    }
    if (m->sub) {
        redisFree(m->sub);
    }
    yq_redis_free(m->redis);
    rule_set_free(m->rules);
    match_scratch_free(m->scratch);
    norm_text_release(&m->simhash_buf);
    free(m->batch);
    free(m->pending);
    free(m);
}

int64_t matcher_rules_version(const struct matcher *m)
{
    return m->rules ? m->rules->version : 0;
}

int matcher_metrics_port(const struct matcher *m)
{
    return m->http ? matcher_http_port(m->http) : -1;
}

/*
 * Whether an alert made now must say rules_unverified: the last check of
 * yuqing:rules:current did not confirm the version in use (Redis unreachable, no or a bad
 * pointer, a newer set not loaded yet), or the last confirmation is older than
 * matcher.rules_verify_max_age_ms (checks held up, e.g. by a long batch).
 */
static bool rules_unverified(const struct matcher *m)
{
    return !m->rules_confirmed ||
           yq_time_mono_ms() - m->confirmed_mono_ms > m->cfg->matcher.rules_verify_max_age_ms;
}

/* Record the state of a dependency; a change is logged once. */
static void set_dep(bool *up, bool *known, const char *name, bool now_up)
{
    if (*known && *up != now_up) {
        if (now_up) {
            LOG_INFO("dependency up dependency=%s", name);
        } else {
            LOG_WARN("dependency down dependency=%s", name);
        }
    }
    *up = now_up;
    *known = true;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* --- hot reload ------------------------------------------------------------------------- */

static void sub_close(struct matcher *m)
{
    if (m->sub) {
        redisFree(m->sub);
        m->sub = NULL;
    }
}

/* Open the pub/sub connection. Returns 0 or ERR_RETRY. */
static int sub_open(struct matcher *m)
{
    const struct yq_redis_cfg *rc = &m->cfg->redis;
    struct timeval tv = {.tv_sec = rc->connect_timeout_ms / 1000,
                         .tv_usec = (rc->connect_timeout_ms % 1000) * 1000};
    redisReply *reply = NULL;

    m->sub = redisConnectWithTimeout(rc->host, (int)rc->port, tv);
    if (!m->sub || m->sub->err) {
        sub_close(m);
        return ERR_RETRY;
    }
    tv.tv_sec = rc->command_timeout_ms / 1000;
    tv.tv_usec = (rc->command_timeout_ms % 1000) * 1000;
    if (redisSetTimeout(m->sub, tv) != REDIS_OK) {
        sub_close(m);
        return ERR_RETRY;
    }
    if (rc->password_file) {
        char *pw = NULL;
        size_t len = 0;
        if (yq_fs_read_secret(rc->password_file, 4096, &pw, &len, NULL, 0) != 0) {
            sub_close(m);
            return ERR_RETRY; /* yq_redis logs the unreadable file */
        }
        while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r')) {
            pw[--len] = '\0';
        }
        reply = redisCommand(m->sub, "AUTH %b", pw, len);
        memset(pw, 0, len);
        free(pw);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            goto fail;
        }
        freeReplyObject(reply);
    }
    reply = redisCommand(m->sub, "SUBSCRIBE %s", RULES_CHANNEL);
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        goto fail;
    }
    freeReplyObject(reply);
    LOG_DEBUG("subscribed channel=%s", RULES_CHANNEL);
    return 0;
fail:
    if (reply) {
        freeReplyObject(reply);
    }
    sub_close(m);
    return ERR_RETRY;
}

/*
 * True when a change notification arrived or the subscription was (re)opened (a
 * notification may have been missed while it was down). Never blocks on a live connection.
 */
static bool sub_poll(struct matcher *m)
{
    struct pollfd pfd;
    void *reply = NULL;
    bool seen = false;
    int64_t now = yq_time_mono_ms();

    if (!m->sub) {
        if (now < m->sub_retry_at_ms) {
            return false;
        }
        m->sub_retry_at_ms = now + SUB_RETRY_MS;
        return sub_open(m) == 0;
    }
    pfd.fd = m->sub->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, 0) <= 0) {
        return false;
    }
    if (redisBufferRead(m->sub) != REDIS_OK) {
        sub_close(m);
        return true;
    }
    while (redisGetReplyFromReader(m->sub, &reply) == REDIS_OK && reply) {
        freeReplyObject(reply);
        reply = NULL;
        seen = true;
    }
    if (m->sub->err) {
        sub_close(m);
        return true;
    }
    return seen;
}

static void swap_rules(struct matcher *m, struct rule_set *rs, const char *from)
{
    LOG_INFO("rule set in use version=%" PRId64 " rules=%zu terms=%zu from=%s", rs->version,
             rs->n_rules, rs->n_terms, from);
    rule_set_free(m->rules);
    m->rules = rs;
}

static void try_cache(struct matcher *m)
{
    struct rule_set *rs = NULL;
    char err[512] = "";

    if (m->rules || m->cache_tried) {
        return;
    }
    m->cache_tried = true;
    if (rules_cache_load(m->cfg->matcher.rules_cache_path, &rs, err, sizeof(err)) != 0) {
        LOG_WARN("no usable rule set cache path='%s' err=%s", m->cfg->matcher.rules_cache_path,
                 err);
        return;
    }
    swap_rules(m, rs, "cache");
}

static void confirm_rules(struct matcher *m, int64_t now_mono_ms)
{
    m->rules_confirmed = true;
    m->confirmed_mono_ms = now_mono_ms;
    m->confirmed_at = yq_time_now();
}

/* Check for a new rule set when due (or notified) and switch to it when it is valid. */
static void maybe_reload(struct matcher *m, bool force)
{
    struct rule_set *rs = NULL;
    char err[512] = "";
    int64_t now = yq_time_mono_ms(), version = 0;
    int rc;

    if (sub_poll(m)) {
        force = true;
    }
    if (!force && now < m->next_check_ms) {
        return;
    }
    rc = rules_store_current(m->redis, &version);
    m->rules_confirmed = false; /* until this check confirms the version in use */
    set_dep(&m->redis_up, &m->redis_known, "redis", rc != ERR_RETRY);
    if (rc == ERR_RETRY) {
        /* Redis down: keep what we hold, back off, start from the cache if we hold nothing */
        m->check_backoff_ms = m->check_backoff_ms * 2 > REDIS_BACKOFF_MAX_MS
                                  ? REDIS_BACKOFF_MAX_MS
                                  : m->check_backoff_ms * 2;
        m->next_check_ms = now + m->check_backoff_ms;
        try_cache(m);
        return;
    }
    m->check_backoff_ms = m->cfg->matcher.reload_check_ms;
    m->next_check_ms = now + m->check_backoff_ms;
    if (rc != 0) {
        if (m->failed_version != -1) {
            LOG_WARN("bad rule set pointer key=%s", RULES_KEY_CURRENT);
            m->failed_version = -1;
        }
        try_cache(m);
        return;
    }
    if (version > 0 && (version == matcher_rules_version(m) || version == m->failed_version)) {
        /* current, or a newer set that was rejected (the one in use is kept on purpose) */
        confirm_rules(m, now);
        return;
    }
    if (version == 0) {
        return;
    }
    rc = rules_store_load(m->redis, version, &rs, err, sizeof(err));
    if (rc == ERR_RETRY || rc == ERR_NOMEM) {
        /* Redis down or memory short: nothing is wrong with the version, try it again later */
        if (rc == ERR_NOMEM) {
            LOG_WARN("cannot load rule set version=%" PRId64 " err=%s", version, err);
        }
        try_cache(m);
        return;
    }
    if (rc != 0) {
        LOG_ERR("rule set rejected, keeping version=%" PRId64 " new_version=%" PRId64 " err=%s",
                matcher_rules_version(m), version, err);
        m->failed_version = version;
        m->n_rules_rejected++;
        try_cache(m);
        return;
    }
    swap_rules(m, rs, "redis");
    confirm_rules(m, now);
    rc = rules_cache_save(m->cfg->matcher.rules_cache_path, m->rules);
    if (rc != 0) {
        LOG_WARN("cannot write rule set cache path='%s' err=%s",
                 m->cfg->matcher.rules_cache_path, yq_strerror(rc));
    }
}

/* --- one batch ---------------------------------------------------------------------------- */

/*
 * Put the alert's item into its event (event.h): replaces the item's own event that
 * match_build_alert() wrote. Returns 0, ERR_RETRY (Redis down: the batch is retried) or
 * ERR_NOMEM.
 */
static int assign_event(struct matcher *m, struct yq_alert *alert)
{
    struct event_assignment ea;
    struct event_opts opts = {.window_s = m->cfg->matcher.event_window_s,
                              .ttl_s = m->cfg->matcher.event_ttl_s};
    uint64_t sh = 0;
    size_t n_features = 0;
    int rc;

    rc = event_simhash(&alert->item, &m->simhash_buf, &sh, &n_features);
    if (rc) {
        return rc == ERR_NOMEM ? rc : ERR_RETRY;
    }
    rc = event_assign(m->redis, &alert->item, sh, n_features, yq_time_now(), &opts, &ea);
    set_dep(&m->redis_up, &m->redis_known, "redis", rc != ERR_RETRY);
    if (rc == ERR_RETRY) {
        /*
         * Redis down: hold the batch back (it is retried) for up to event_wait_ms, then let
         * alerts flow with the item's own event rather than stop alerting.
         */
        int64_t now = yq_time_mono_ms();
        if (m->events_down_since_ms == 0) {
            m->events_down_since_ms = now;
        }
        if (now - m->events_down_since_ms < m->cfg->matcher.event_wait_ms) {
            return ERR_RETRY;
        }
        if (!m->events_fallback_logged) {
            LOG_WARN("redis down for event assignment, items get their own event waited_ms=%" PRId64,
                     now - m->events_down_since_ms);
            m->events_fallback_logged = true;
        }
        free(alert->event_via);
        alert->event_via = strdup("own");
        return alert->event_via ? 0 : ERR_NOMEM;
    }
    if (m->events_down_since_ms) {
        LOG_INFO("event assignment works again%s", "");
        m->events_down_since_ms = 0;
        m->events_fallback_logged = false;
    }
    if (rc == ERR_PARSE) {
        /* a corrupt answer in Redis: keep the item's own event rather than stall forever */
        LOG_WARN("bad event answer in redis, using the item's own event item_id=%s",
                 alert->item.id);
        return 0;
    }
    if (rc) {
        return rc;
    }
    free(alert->event_key);
    free(alert->event_via);
    alert->event_key = ea.event_key;
    ea.event_key = NULL;
    alert->event_via = strdup(ea.via);
    alert->event_new = ea.is_new;
    alert->event_items = ea.items;
    event_assignment_release(&ea);
    return alert->event_via ? 0 : ERR_NOMEM;
}

/*
 * Match one consumed item; may add one entry to m->pending. Returns 0, ERR_NOMEM or
 * ERR_RETRY (matching or event assignment must be retried).
 */
static int handle_message(struct matcher *m, const rd_kafka_message_t *msg)
{
    struct yq_item item;
    struct match_result mr;
    struct yq_alert alert;
    char err[256] = "";
    int rc;

    m->n_items++;
    rc = yq_item_decode(msg->payload ? msg->payload : "", msg->len, &item, err, sizeof(err));
    if (rc == ERR_NOMEM) {
        return rc;
    }
    if (rc) {
        m->n_malformed++;
        LOG_WARN("malformed item skipped topic=%s partition=%d offset=%" PRId64 " err=%s",
                 rd_kafka_topic_name(msg->rkt), (int)msg->partition, (int64_t)msg->offset, err);
        return 0;
    }
    rc = match_item(m->rules, m->scratch, &item, &mr);
    if (rc == 0 && mr.excluded_by) {
        m->n_excluded++;
        LOG_DEBUG("item excluded item_id=%s", item.id);
    } else if (rc == 0 && mr.n_rules > 0) {
        rc = match_build_alert_weighted(m->rules, &mr, &item, &m->cfg->matcher.source_weights,
                                        yq_time_now(), &alert);
        if (rc == 0) {
            rc = assign_event(m, &alert);
        }
        if (rc == 0 && rules_unverified(m)) {
            /* matched on a set Redis did not (recently) confirm as current: say so */
            alert.rules_unverified = true;
            alert.rules_checked_at = m->confirmed_at;
        }
        if (rc == 0) {
            struct pending *p = &m->pending[m->n_pending];
            memset(p, 0, sizeof(*p));
            rc = yq_alert_encode(&alert, &p->payload, &p->len);
            if (rc == 0) {
                p->key = strdup(alert.event_key);
                if (!p->key) {
                    free(p->payload);
                    rc = ERR_NOMEM;
                } else {
                    m->n_pending++;
                    LOG_DEBUG("item matched item_id=%s rules=%zu event_key=%s", item.id,
                              mr.n_rules, alert.event_key);
                }
            }
        }
        yq_alert_release(&alert);
    }
    match_result_release(&mr);
    yq_item_release(&item);
    return rc;
}

/* --- health, /metrics, rebalances ------------------------------------------------------ */

/* "yuqing.items[0,1]": the partitions of parts, grouped by topic, into buf (len bytes). */
static void format_partitions(const rd_kafka_topic_partition_list_t *parts, char *buf,
                              size_t len)
{
    size_t off = 0;
    const char *topic = NULL;

    buf[0] = '\0';
    for (int i = 0; parts && i < parts->cnt && off + 1 < len; i++) {
        const rd_kafka_topic_partition_t *tp = &parts->elems[i];
        int n;
        if (!topic || strcmp(topic, tp->topic) != 0) {
            n = snprintf(buf + off, len - off, "%s%s[%d", topic ? "]," : "", tp->topic,
                         (int)tp->partition);
            topic = tp->topic;
        } else {
            n = snprintf(buf + off, len - off, ",%d", (int)tp->partition);
        }
        off += n > 0 ? (size_t)n : 0;
    }
    if (topic && off + 1 < len) {
        snprintf(buf + off, len - off, "]");
    }
}

/*
 * The consumer's rebalance callback (runs in the matcher's thread, inside consumer poll or
 * close): log which partitions this matcher takes or gives up, apply the change.
 */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    struct matcher *m = opaque;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t kerr = RD_KAFKA_RESP_ERR_NO_ERROR;
    char list[1024];

    format_partitions(parts, list, sizeof(list));
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        m->n_assignments++;
        LOG_INFO("partitions assigned partitions=%s count=%d group=%s", list, parts->cnt,
                 m->cfg->kafka.group_id);
        if (cooperative) {
            error = rd_kafka_incremental_assign(rk, parts);
        } else {
            kerr = rd_kafka_assign(rk, parts);
        }
    } else {
        if (err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
            m->n_revocations++;
            LOG_INFO("partitions revoked partitions=%s count=%d group=%s", list, parts->cnt,
                     m->cfg->kafka.group_id);
        } else {
            LOG_WARN("rebalance failed err=%s partitions=%s", rd_kafka_err2str(err), list);
        }
        if (cooperative) {
            error = rd_kafka_incremental_unassign(rk, parts);
        } else {
            kerr = rd_kafka_assign(rk, NULL);
        }
    }
    if (error) {
        LOG_ERR("cannot apply rebalance err=%s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (kerr) {
        LOG_ERR("cannot apply rebalance err=%s", rd_kafka_err2str(kerr));
    }
    m->next_status_ms = 0; /* publish the new assignment at once */
}

/* Ask a broker for metadata: Kafka is up when one answers within KAFKA_PROBE_TIMEOUT_MS. */
static void probe_kafka(struct matcher *m)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr = rd_kafka_metadata(m->producer, 0, NULL, &md,
                                                 KAFKA_PROBE_TIMEOUT_MS);
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    set_dep(&m->kafka_up, &m->kafka_known, "kafka", kerr == RD_KAFKA_RESP_ERR_NO_ERROR);
}

/*
 * The held partitions with their positions and high watermarks (a new array in *out, free()
 * it, and the list it borrows topic names from in *list_out, destroy it). A partition that
 * consumed nothing yet reports its committed offset, if any.
 */
static size_t partition_status(struct matcher *m, struct matcher_partition_status **out,
                               rd_kafka_topic_partition_list_t **list_out)
{
    rd_kafka_topic_partition_list_t *parts = NULL, *unknown = NULL;
    struct matcher_partition_status *ps;

    *out = NULL;
    *list_out = NULL;
    if (!m->consumer || rd_kafka_assignment(m->consumer, &parts) != 0 || !parts) {
        return 0;
    }
    if (parts->cnt == 0 || !(ps = calloc((size_t)parts->cnt, sizeof(*ps)))) {
        rd_kafka_topic_partition_list_destroy(parts);
        return 0;
    }
    (void)rd_kafka_position(m->consumer, parts);
    for (int i = 0; i < parts->cnt; i++) {
        if (parts->elems[i].offset < 0) {
            if (!unknown) {
                unknown = rd_kafka_topic_partition_list_new(parts->cnt);
            }
            if (unknown) {
                rd_kafka_topic_partition_list_add(unknown, parts->elems[i].topic,
                                                  parts->elems[i].partition);
            }
        }
    }
    if (unknown && rd_kafka_committed(m->consumer, unknown, COMMITTED_TIMEOUT_MS) == 0) {
        for (int i = 0; i < unknown->cnt; i++) {
            rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_find(
                parts, unknown->elems[i].topic, unknown->elems[i].partition);
            if (tp && !unknown->elems[i].err) {
                tp->offset = unknown->elems[i].offset;
            }
        }
    }
    if (unknown) {
        rd_kafka_topic_partition_list_destroy(unknown);
    }
    for (int i = 0; i < parts->cnt; i++) {
        int64_t lo = -1, hi = -1;
        ps[i].topic = parts->elems[i].topic;
        ps[i].partition = parts->elems[i].partition;
        ps[i].position = parts->elems[i].offset >= 0 ? parts->elems[i].offset : -1;
        if (rd_kafka_get_watermark_offsets(m->consumer, ps[i].topic, ps[i].partition, &lo, &hi) !=
                RD_KAFKA_RESP_ERR_NO_ERROR ||
            hi < 0) {
            hi = -1;
        }
        ps[i].high_watermark = hi;
        if (ps[i].position < 0 && hi == 0) {
            ps[i].position = 0; /* an empty partition: nothing to consume */
        }
    }
    *out = ps;
    *list_out = parts;
    return (size_t)parts->cnt;
}

/* Render and publish /metrics and /healthz when due (every STATUS_INTERVAL_MS). */
static void publish_status(struct matcher *m)
{
    struct matcher_status st;
    struct matcher_partition_status *ps = NULL;
    rd_kafka_topic_partition_list_t *list = NULL;
    char *metrics = NULL, *health = NULL;
    size_t metrics_len = 0, health_len = 0;
    bool healthy = false;
    int64_t now = yq_time_mono_ms();

    if (!m->http || now < m->next_status_ms) {
        return;
    }
    probe_kafka(m);
    m->next_status_ms = yq_time_mono_ms() + STATUS_INTERVAL_MS;
    memset(&st, 0, sizeof(st));
    st.items = m->n_items;
    st.alerts = m->n_alerts;
    st.malformed = m->n_malformed;
    st.excluded = m->n_excluded;
    st.consume_errors = m->n_consume_errors;
    st.delivery_errors = m->n_delivery_errors;
    st.commit_errors = m->n_commit_errors;
    st.batch_retries = m->n_event_retries;
    st.assignments = m->n_assignments;
    st.revocations = m->n_revocations;
    st.rules_version = matcher_rules_version(m);
    st.rules_rejected = m->n_rules_rejected;
    st.rules_checked_at = m->confirmed_at;
    st.rules_unverified = rules_unverified(m);
    st.kafka_up = m->kafka_up;
    st.redis_up = m->redis_up;
    st.n_partitions = partition_status(m, &ps, &list);
    st.partitions = ps;
    if (matcher_status_metrics(&st, &metrics, &metrics_len) != 0 ||
        matcher_status_health(&st, &health, &health_len, &healthy) != 0 ||
        matcher_http_publish(m->http, metrics, metrics_len, health, health_len, healthy) != 0) {
        LOG_WARN("cannot publish metrics err=%s", yq_strerror(ERR_NOMEM));
    }
    free(metrics);
    free(health);
    free(ps);
    if (list) {
        rd_kafka_topic_partition_list_destroy(list);
    }
}

/* Hand p to the producer, waiting while its queue is full. */
static void produce(struct matcher *m, struct pending *p)
{
    for (;;) {
        rd_kafka_resp_err_t kerr = rd_kafka_producev(
            m->producer, RD_KAFKA_V_TOPIC(m->cfg->kafka.alerts_topic),
            RD_KAFKA_V_KEY(p->key, strlen(p->key)), RD_KAFKA_V_VALUE(p->payload, p->len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(p), RD_KAFKA_V_END);
        if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
            p->state = PENDING_IN_FLIGHT;
            return;
        }
        if (kerr != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            /* treated as a failed delivery: retried after the backoff */
            LOG_WARN("alert produce failed event_key=%s err=%s", p->key, rd_kafka_err2str(kerr));
            m->n_delivery_errors++;
            p->state = PENDING_FAILED;
            p->err = kerr;
            return;
        }
        rd_kafka_poll(m->producer, 100);
    }
}

/*
 * Produce every pending alert and wait for all delivery reports, re-producing failed ones.
 * Returns 0 when all were delivered, ERR_RETRY when stopped before that (after up to
 * kafka.flush_timeout_ms of trying once stop was set).
 */
static int deliver_all(struct matcher *m, volatile sig_atomic_t *stop)
{
    int64_t deadline = -1, retry_at = 0;

    for (size_t i = 0; i < m->n_pending; i++) {
        produce(m, &m->pending[i]);
    }
    for (;;) {
        bool done = true, failed = false;
        rd_kafka_flush(m->producer, 100);
        publish_status(m); /* a long wait (Kafka down) must show on /healthz */
        for (size_t i = 0; i < m->n_pending; i++) {
            done = done && m->pending[i].state == PENDING_DELIVERED;
            failed = failed || m->pending[i].state == PENDING_FAILED;
        }
        if (done) {
            return 0;
        }
        if (*stop && deadline < 0) {
            deadline = yq_time_mono_ms() + m->cfg->kafka.flush_timeout_ms;
        }
        if (deadline >= 0 && yq_time_mono_ms() >= deadline) {
            LOG_ERR("stopping with undelivered alerts; their items are not committed%s", "");
            return ERR_RETRY;
        }
        if (failed && yq_time_mono_ms() >= retry_at) {
            for (size_t i = 0; i < m->n_pending; i++) {
                struct pending *p = &m->pending[i];
                if (p->state == PENDING_FAILED) {
                    m->n_delivery_errors++;
                    LOG_WARN("alert delivery failed, retrying event_key=%s err=%s", p->key,
                             rd_kafka_err2str(p->err));
                    produce(m, p);
                }
            }
            retry_at = yq_time_mono_ms() + m->cfg->matcher.retry_backoff_ms;
        } else if (failed) {
            sleep_ms(10);
        }
    }
}

static void clear_pending(struct matcher *m)
{
    for (size_t i = 0; i < m->n_pending; i++) {
        free(m->pending[i].payload);
        free(m->pending[i].key);
    }
    memset(m->pending, 0, m->n_pending * sizeof(*m->pending));
    m->n_pending = 0;
}

/* Commit, per partition, the offset after the last message of the batch. */
static void commit_batch(struct matcher *m, size_t n)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_resp_err_t kerr;

    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *msg = m->batch[i];
        const char *topic = rd_kafka_topic_name(msg->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offsets, topic, msg->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(offsets, topic, msg->partition);
        }
        if (msg->offset + 1 > tp->offset) {
            tp->offset = msg->offset + 1;
        }
    }
    kerr = rd_kafka_commit(m->consumer, offsets, 0 /* sync */);
    if (kerr) {
        m->n_commit_errors++;
        LOG_WARN("offset commit failed messages=%zu err=%s (they will be matched again)", n,
                 rd_kafka_err2str(kerr));
    }
    rd_kafka_topic_partition_list_destroy(offsets);
}

/* Seek each partition of the batch back to its first message in it. */
static void seek_back(struct matcher *m, size_t n)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new((int)n);
    rd_kafka_error_t *error;

    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *msg = m->batch[i];
        const char *topic = rd_kafka_topic_name(msg->rkt);
        if (!rd_kafka_topic_partition_list_find(offsets, topic, msg->partition)) {
            rd_kafka_topic_partition_list_add(offsets, topic, msg->partition)->offset =
                msg->offset;
        }
    }
    error = rd_kafka_seek_partitions(m->consumer, offsets, 1000);
    if (error) {
        LOG_WARN("seek back failed err=%s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(offsets);
}

/* Consume up to batch_size messages, match, deliver alerts, commit. Returns 0 or ERR_*. */
static int run_batch(struct matcher *m, volatile sig_atomic_t *stop)
{
    size_t n = 0;
    int rc = 0;
    rd_kafka_message_t *msg = rd_kafka_consumer_poll(m->consumer, (int)m->cfg->matcher.poll_timeout_ms);

    while (msg) {
        if (msg->err) {
            if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                m->n_consume_errors++;
                LOG_WARN("consume error err=%s", rd_kafka_message_errstr(msg));
            }
            rd_kafka_message_destroy(msg);
        } else {
            m->batch[n++] = msg;
        }
        if (n >= (size_t)m->cfg->matcher.batch_size || *stop) {
            break;
        }
        msg = rd_kafka_consumer_poll(m->consumer, 0);
    }
    if (n == 0) {
        return 0;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = handle_message(m, m->batch[i]);
    }
    if (rc == 0) {
        rc = deliver_all(m, stop);
    }
    if (rc == 0) {
        m->n_alerts += m->n_pending;
        commit_batch(m, n);
    } else {
        /*
         * Not committed: seek back so this process matches the batch again rather than
         * moving on past it (another member gets it after a rebalance or restart).
         */
        seek_back(m, n);
    }
    clear_pending(m);
    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_destroy(m->batch[i]);
        m->batch[i] = NULL;
    }
    return rc;
}

int matcher_run(struct matcher *m, volatile sig_atomic_t *stop)
{
    char err[512] = "";
    int rc;

    maybe_reload(m, true);
    publish_status(m);
    while (!*stop) {
        maybe_reload(m, false);
        if (!m->rules) {
            if (!m->waiting_logged) {
                LOG_WARN("no rule set yet, waiting before consuming key=%s cache='%s'",
                         RULES_KEY_CURRENT, m->cfg->matcher.rules_cache_path);
                m->waiting_logged = true;
            }
            publish_status(m);
            sleep_ms(m->cfg->matcher.poll_timeout_ms);
            continue;
        }
        if (!m->consumer) {
            m->consumer = yq_kafka_consumer_new_rb(&m->cfg->kafka, m->cfg->kafka.items_topic,
                                                   on_rebalance, m, err, sizeof(err));
            if (!m->consumer) {
                LOG_ERR("cannot create consumer err=%s", err);
                return ERR_INVALID;
            }
            LOG_INFO("consuming topic=%s group=%s", m->cfg->kafka.items_topic,
                     m->cfg->kafka.group_id);
        }
        rc = run_batch(m, stop);
        publish_status(m);
        if (rc == ERR_NOMEM) {
            LOG_ERR("out of memory matching a batch; retrying%s", "");
            sleep_ms(m->cfg->matcher.retry_backoff_ms);
        } else if (rc == ERR_RETRY) {
            /* Redis down during event assignment: nothing committed; back off and retry */
            m->n_event_retries++;
            m->event_backoff_ms = m->event_backoff_ms ? m->event_backoff_ms * 2
                                                      : m->cfg->matcher.retry_backoff_ms;
            if (m->event_backoff_ms > REDIS_BACKOFF_MAX_MS) {
                m->event_backoff_ms = REDIS_BACKOFF_MAX_MS;
            }
            if (m->n_event_retries == 1 || m->n_event_retries % 20 == 0) {
                LOG_WARN("batch not matched, retrying retries=%" PRIu64 " backoff_ms=%" PRId64,
                         m->n_event_retries, m->event_backoff_ms);
            }
            sleep_ms(m->event_backoff_ms);
        } else {
            m->event_backoff_ms = 0;
        }
    }
    m->next_status_ms = 0;
    publish_status(m); /* the final counts */
    LOG_INFO("stopping items=%" PRIu64 " alerts=%" PRIu64 " malformed=%" PRIu64
             " excluded=%" PRIu64,
             m->n_items, m->n_alerts, m->n_malformed, m->n_excluded);
    yq_kafka_flush(m->producer, m->cfg->kafka.flush_timeout_ms);
    if (m->consumer) {
        rd_kafka_consumer_close(m->consumer);
        rd_kafka_destroy(m->consumer);
        m->consumer = NULL;
    }
    return 0;
}
