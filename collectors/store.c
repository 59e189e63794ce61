#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seen_cache.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define STORE_KEY_MAX 512

/*
 * The recent sets this store refreshed the TTL of lately (store_mark_many()): a source's
 * EXPIRE is sent at most every STORE_RECENT_EXPIRE_EVERY_MS, not with each batch. A slot
 * holds the FNV-1a hash of the key; a collision only costs an EXPIRE more.
 */
#define STORE_RECENT_EXPIRE_SLOTS 1024
#define STORE_RECENT_EXPIRE_EVERY_MS (3600 * 1000)

struct store {
    const struct yq_redis_cfg *cfg;
    struct yq_redis *redis;
    int64_t retry_ms;
    int64_t down_until_ms;
    struct {
        uint64_t hash;
        int64_t at_ms; /* monotonic */
    } expired[STORE_RECENT_EXPIRE_SLOTS];
};

struct store *store_new(const struct yq_redis_cfg *cfg, int64_t retry_ms)
{
    struct store *s = calloc(1, sizeof(*s));
    if (!s) {
        return NULL;
    }
    s->cfg = cfg;
    s->retry_ms = retry_ms;
    s->redis = yq_redis_new(cfg);
    if (!s->redis) {
        free(s);
        return NULL;
    }
    return s;
}

void store_free(struct store *s)
{
    if (!s) {
        return;
    }
    yq_redis_free(s->redis);
    free(s);
}

bool store_is_down(const struct store *s)
{
    return s->down_until_ms && yq_time_mono_ms() < s->down_until_ms;
}

struct yq_redis *store_redis(struct store *s)
{
    return store_is_down(s) ? NULL : s->redis;
}

void store_redis_done(struct store *s)
{
    s->down_until_ms = yq_redis_is_up(s->redis) ? 0 : yq_time_mono_ms() + s->retry_ms;
}

/* Run one command unless in the quiet period; NULL means "retry later". */
static redisReply *run(struct store *s, int argc, const char **argv)
{
    redisReply *reply;

    if (store_is_down(s)) {
        return NULL;
    }
    reply = yq_redis_command_argv(s->redis, argc, argv, NULL);
    if (!reply) {
        s->down_until_ms = yq_time_mono_ms() + s->retry_ms;
        return NULL;
    }
    s->down_until_ms = 0;
    if (reply->type == REDIS_REPLY_ERROR) {
        LOG_WARN("redis error reply command=%s err=%s", argv[0], reply->str);
        freeReplyObject(reply);
        return NULL;
    }
    return reply;
}

int store_ping(struct store *s)
{
    const char *argv[] = {"PING"};
    redisReply *reply = run(s, 1, argv);

    if (!reply) {
        return ERR_RETRY;
    }
    freeReplyObject(reply);
    return 0;
}

static int run_status(struct store *s, int argc, const char **argv)
{
    redisReply *reply = run(s, argc, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    freeReplyObject(reply);
    return 0;
}

static void key(char *buf, size_t len, const char *prefix, const char *id)
{
    snprintf(buf, len, "%s%s", prefix, id);
}

static void recent_key(char *buf, size_t len, const char *source_id);

static char *dup_elem(const redisReply *r)
{
    if (r->type != REDIS_REPLY_STRING || r->len == 0) {
        return NULL;
    }
    return strndup(r->str, r->len);
}

int store_get_validators(struct store *s, const char *source_id, char **etag,
                         char **last_modified)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HMGET", k, "etag", "last_modified"};
    redisReply *reply;

    *etag = NULL;
    *last_modified = NULL;
    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    reply = run(s, 4, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2) {
        *etag = dup_elem(reply->element[0]);
        *last_modified = dup_elem(reply->element[1]);
    }
    freeReplyObject(reply);
    return 0;
}

int store_crawled_before(struct store *s, const char *source_id, bool *out)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HMGET", k, "baseline_at", "last_success"};
    redisReply *reply;

    *out = false;
    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    reply = run(s, 4, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i < reply->elements; i++) {
            *out = *out || reply->element[i]->type == REDIS_REPLY_STRING;
        }
    }
    freeReplyObject(reply);
    return 0;
}

int store_put_validators(struct store *s, const char *source_id, const char *etag,
                         const char *last_modified)
{
    char k[STORE_KEY_MAX];
    const char *set[6] = {"HSET", k};
    const char *del[4] = {"HDEL", k};
    int n_set = 2, n_del = 2, err = 0;

    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    if (etag) {
        set[n_set++] = "etag";
        set[n_set++] = etag;
    } else {
        del[n_del++] = "etag";
    }
    if (last_modified) {
        set[n_set++] = "last_modified";
        set[n_set++] = last_modified;
    } else {
        del[n_del++] = "last_modified";
    }
    if (n_set > 2) {
        err = run_status(s, n_set, set);
    }
    if (!err && n_del > 2) {
        err = run_status(s, n_del, del);
    }
    return err;
}

int store_seen(struct store *s, const char *item_id, bool *seen)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"EXISTS", k};
    redisReply *reply;

    key(k, sizeof(k), STORE_SEEN_PREFIX, item_id);
    reply = run(s, 2, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(reply);
        return ERR_RETRY;
    }
    *seen = reply->integer > 0;
    freeReplyObject(reply);
    return 0;
}

int store_mark_seen(struct store *s, const char *item_id)
{
    char k[STORE_KEY_MAX], ttl[32];
    const char *argv[] = {"SET", k, "1", "EX", ttl};

    key(k, sizeof(k), STORE_SEEN_PREFIX, item_id);
    snprintf(ttl, sizeof(ttl), "%lld", (long long)s->cfg->seen_ttl_s);
    return run_status(s, 5, argv);
}

/* A pipeline on the store's connection; a failed connection starts the retry pause. */
static int run_pipeline(struct store *s, size_t n, const int *argc, const char **const *argv,
                        redisReply **replies)
{
    int err;

    for (size_t i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    if (store_is_down(s)) {
        return ERR_RETRY;
    }
    err = yq_redis_pipeline(s->redis, n, argc, argv, replies);
    s->down_until_ms = err ? yq_time_mono_ms() + s->retry_ms : 0;
    return err;
}

/* The commands of one pipeline: argument slots, each command's argv and argc, the replies. */
struct batch {
    const char **args;   /* every command's arguments, one after the other */
    const char ***argvs; /* command i's first argument in args */
    int *argcs;
    redisReply **replies;
    size_t n_cmd;        /* commands added */
};

/* Room for max_cmds commands of max_args arguments in all. Returns 0 or ERR_NOMEM. */
static int batch_init(struct batch *b, size_t max_args, size_t max_cmds)
{
    b->n_cmd = 0;
    b->args = malloc(max_args * sizeof(*b->args));
    b->argvs = malloc(max_cmds * sizeof(*b->argvs));
    b->argcs = malloc(max_cmds * sizeof(*b->argcs));
    b->replies = calloc(max_cmds, sizeof(*b->replies));
    return b->args && b->argvs && b->argcs && b->replies ? 0 : ERR_NOMEM;
}

/* Run b's commands in one round trip (run_pipeline()). */
static int batch_run(struct store *s, struct batch *b)
{
    return run_pipeline(s, b->n_cmd, b->argcs, (const char **const *)b->argvs, b->replies);
}

static void batch_release(struct batch *b)
{
    for (size_t i = 0; b->replies && i < b->n_cmd; i++) {
        if (b->replies[i]) {
            freeReplyObject(b->replies[i]);
        }
    }
    free(b->replies);
    free(b->argcs);
    free(b->argvs);
    free(b->args);
}

int store_seen_many(struct store *s, const char *const *ids, size_t n,
                    enum store_seen_answer *out)
{
    const size_t plen = strlen(STORE_SEEN_PREFIX);
    size_t n_cmd = (n + STORE_SEEN_BATCH_MAX - 1) / STORE_SEEN_BATCH_MAX, bytes = 0, unknown = 0;
    char *keys = NULL, *at;
    struct batch b;
    int err;

    for (size_t i = 0; i < n; i++) {
        out[i] = STORE_SEEN_UNKNOWN;
        bytes += plen + strlen(ids[i]) + 1;
    }
    if (n == 0) {
        return 0;
    }
    keys = malloc(bytes);
    err = batch_init(&b, n + n_cmd, n_cmd);
    if (!keys || err) {
        err = ERR_NOMEM;
        goto done;
    }
    at = keys;
    for (size_t i = 0; b.n_cmd < n_cmd;) {
        size_t end = i + STORE_SEEN_BATCH_MAX < n ? i + STORE_SEEN_BATCH_MAX : n;
        const char **a = b.args + b.n_cmd + i; /* "MGET" then the chunk's keys */
        b.argvs[b.n_cmd] = a;
        b.argcs[b.n_cmd++] = (int)(end - i + 1);
        *a++ = "MGET";
        for (; i < end; i++) {
            size_t len = plen + strlen(ids[i]) + 1;
            snprintf(at, len, "%s%s", STORE_SEEN_PREFIX, ids[i]);
            *a++ = at;
            at += len;
        }
    }
    err = batch_run(s, &b);
    if (err) {
        goto done;
    }
    for (size_t c = 0; c < n_cmd; c++) {
        const redisReply *r = b.replies[c];
        size_t first = c * STORE_SEEN_BATCH_MAX, k = (size_t)b.argcs[c] - 1;
        /* never read another command's reply as this one (FC-022): exactly k values */
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != k) {
            if (r && r->type == REDIS_REPLY_ERROR) {
                LOG_WARN("redis error reply command=MGET err=%s", r->str);
            }
            unknown += k;
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            out[first + j] =
                r->element[j]->type == REDIS_REPLY_NIL ? STORE_SEEN_NO : STORE_SEEN_YES;
        }
    }
    err = unknown ? ERR_RETRY : 0;
done:
    batch_release(&b);
    free(keys);
    return err;
}

/* Whether recent set k's TTL is to be refreshed now (and noted as refreshed at now_ms). */
static bool recent_expire_due(struct store *s, const char *k, int64_t now_ms)
{
    uint64_t h = seen_cache_hash(k);
    size_t slot = (size_t)(h % STORE_RECENT_EXPIRE_SLOTS);

    if (s->expired[slot].hash == h && s->expired[slot].at_ms &&
        now_ms - s->expired[slot].at_ms < STORE_RECENT_EXPIRE_EVERY_MS) {
        return false;
    }
    s->expired[slot].hash = h;
    s->expired[slot].at_ms = now_ms;
    return true;
}

static void recent_expire_forget(struct store *s, const char *k)
{
    uint64_t h = seen_cache_hash(k);
    size_t slot = (size_t)(h % STORE_RECENT_EXPIRE_SLOTS);

    if (s->expired[slot].hash == h) {
        s->expired[slot].at_ms = 0;
    }
}

int store_mark_many(struct store *s, const struct store_mark *marks, size_t n)
{
    enum { KEY_MAX = STORE_KEY_MAX };
    /* per item: its seen key, its alias's, its score; per source: its recent key */
    char(*seen_keys)[KEY_MAX] = NULL, (*alias_keys)[KEY_MAX] = NULL, (*scores)[24] = NULL;
    char(*recent_keys)[KEY_MAX] = NULL;
    char ttl[24], recent_ttl[24];
    const char **srcs = NULL; /* the distinct source ids */
    size_t n_src = 0, n_args = 0;
    int64_t now_ms;
    struct batch b;
    int err;

    if (n == 0) {
        return 0;
    }
    if (n > STORE_MARK_BATCH_MAX) {
        return ERR_INVALID;
    }
    seen_keys = malloc(n * sizeof(*seen_keys));
    alias_keys = malloc(n * sizeof(*alias_keys));
    scores = malloc(n * sizeof(*scores));
    recent_keys = malloc(n * sizeof(*recent_keys));
    srcs = malloc(n * sizeof(*srcs));
    /* commands: <= 2 SET per item + ZADD and EXPIRE per source; args: 5 per SET, ZADD 2 + 2
     * per item, EXPIRE 3 */
    err = batch_init(&b, 10 * n + 2 * n + 2 * n + 3 * n, 4 * n);
    if (!seen_keys || !alias_keys || !scores || !recent_keys || !srcs || err) {
        err = ERR_NOMEM;
        goto done;
    }
    snprintf(ttl, sizeof(ttl), "%lld", (long long)s->cfg->seen_ttl_s);
    snprintf(recent_ttl, sizeof(recent_ttl), "%d", STORE_RECENT_TTL_S);
    for (size_t i = 0; i < n; i++) {
        const char *ids[2] = {marks[i].alias, marks[i].id};
        for (int k = 0; k < 2; k++) {
            char *buf = k ? seen_keys[i] : alias_keys[i];
            const char **a = b.args + n_args;
            if (!ids[k]) {
                continue;
            }
            key(buf, KEY_MAX, STORE_SEEN_PREFIX, ids[k]);
            a[0] = "SET";
            a[1] = buf;
            a[2] = "1";
            a[3] = "EX";
            a[4] = ttl;
            b.argvs[b.n_cmd] = a;
            b.argcs[b.n_cmd++] = 5;
            n_args += 5;
        }
        if (marks[i].source_id) {
            size_t j = 0;
            while (j < n_src && strcmp(srcs[j], marks[i].source_id) != 0) {
                j++;
            }
            if (j == n_src) {
                srcs[n_src++] = marks[i].source_id;
            }
        }
        snprintf(scores[i], sizeof(scores[i]), "%lld", (long long)marks[i].fetched_at);
    }
    /* after the seen keys, as store_recent_add() after store_mark_seen() */
    now_ms = yq_time_mono_ms();
    for (size_t j = 0; j < n_src; j++) {
        const char **a = b.args + n_args;
        int argc = 2;
        recent_key(recent_keys[j], KEY_MAX, srcs[j]);
        a[0] = "ZADD";
        a[1] = recent_keys[j];
        for (size_t i = 0; i < n; i++) {
            if (marks[i].source_id && strcmp(marks[i].source_id, srcs[j]) == 0) {
                a[argc++] = scores[i];
                a[argc++] = marks[i].id;
            }
        }
        b.argvs[b.n_cmd] = a;
        b.argcs[b.n_cmd++] = argc;
        n_args += (size_t)argc;
        if (!recent_expire_due(s, recent_keys[j], now_ms)) {
            continue;
        }
        a = b.args + n_args;
        a[0] = "EXPIRE";
        a[1] = recent_keys[j];
        a[2] = recent_ttl;
        b.argvs[b.n_cmd] = a;
        b.argcs[b.n_cmd++] = 3;
        n_args += 3;
    }
    err = batch_run(s, &b);
    for (size_t c = 0; !err && c < b.n_cmd; c++) {
        if (!b.replies[c] || b.replies[c]->type == REDIS_REPLY_ERROR) {
            LOG_WARN("redis error reply command=%s err=%s", b.argvs[c][0],
                     b.replies[c] ? b.replies[c]->str : "none");
            err = ERR_RETRY;
        }
    }
    if (err) {
        /* the EXPIREs may not have run: send them with the retry */
        for (size_t j = 0; j < n_src; j++) {
            recent_expire_forget(s, recent_keys[j]);
        }
    }
done:
    batch_release(&b);
    free(srcs);
    free(recent_keys);
    free(scores);
    free(alias_keys);
    free(seen_keys);
    return err;
}

static void recent_key(char *buf, size_t len, const char *source_id)
{
    snprintf(buf, len, "%s%s%s", STORE_SOURCE_PREFIX, source_id, STORE_RECENT_SUFFIX);
}

int store_recent_add(struct store *s, const char *source_id, const char *item_id,
                     int64_t fetched_at)
{
    char k[STORE_KEY_MAX], score[24], ttl[24];
    const char *zadd[] = {"ZADD", k, score, item_id};
    const char *expire[] = {"EXPIRE", k, ttl};
    int err;

    recent_key(k, sizeof(k), source_id);
    snprintf(score, sizeof(score), "%lld", (long long)fetched_at);
    snprintf(ttl, sizeof(ttl), "%d", STORE_RECENT_TTL_S);
    err = run_status(s, 4, zadd);
    return err ? err : run_status(s, 3, expire);
}

int store_recent_update(struct store *s, const char *source_id, int64_t now, int64_t *out)
{
    char k[STORE_KEY_MAX], hk[STORE_KEY_MAX], before[32], count[24];
    const char *trim[] = {"ZREMRANGEBYSCORE", k, "-inf", before};
    const char *card[] = {"ZCARD", k};
    const char *hset[] = {"HSET", hk, "items_24h", count};
    redisReply *reply;
    long long n;
    int err;

    recent_key(k, sizeof(k), source_id);
    key(hk, sizeof(hk), STORE_SOURCE_PREFIX, source_id);
    /* exclusive bound: an item fetched exactly 24 h ago still counts */
    snprintf(before, sizeof(before), "(%lld", (long long)(now - STORE_RECENT_WINDOW_S));
    err = run_status(s, 4, trim);
    if (err) {
        return err;
    }
    reply = run(s, 2, card);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        freeReplyObject(reply);
        return ERR_RETRY;
    }
    n = reply->integer;
    freeReplyObject(reply);
    snprintf(count, sizeof(count), "%lld", n);
    err = run_status(s, 4, hset);
    if (!err && out) {
        *out = (int64_t)n;
    }
    return err;
}

/* argv[*argc...] += the n extra field/value pairs; false when they do not fit (max slots). */
static bool add_pairs(const char **argv, int *argc, int max, const char *const *fields,
                      const char *const *values, size_t n)
{
    if (n > STORE_HEALTH_FIELDS_MAX || *argc + 2 * (int)n > max) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        argv[(*argc)++] = fields[i];
        argv[(*argc)++] = values[i];
    }
    return true;
}

int store_health_ok_with(struct store *s, const char *source_id, int64_t now, long http_status,
                         int64_t items_seen, const char *const *fields,
                         const char *const *values, size_t n)
{
    enum { ARGS_MAX = 12 + 2 * STORE_HEALTH_FIELDS_MAX };
    char k[STORE_KEY_MAX], ts[32], status[24], items[24];
    const char *argv[ARGS_MAX] = {"HSET", k, "last_success", ts, "consecutive_failures", "0",
                                  "last_status", status, "state", "ok"};
    int argc = 10;

    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    yq_time_format_utc(now, ts, sizeof(ts));
    snprintf(status, sizeof(status), "%ld", http_status);
    if (items_seen >= 0) {
        snprintf(items, sizeof(items), "%lld", (long long)items_seen);
        argv[argc++] = "items_last_seen";
        argv[argc++] = items;
    }
    if (!add_pairs(argv, &argc, ARGS_MAX, fields, values, n)) {
        return ERR_INVALID;
    }
    return run_status(s, argc, argv);
}

int store_health_ok(struct store *s, const char *source_id, int64_t now, long http_status,
                    int64_t items_seen)
{
    return store_health_ok_with(s, source_id, now, http_status, items_seen, NULL, NULL, 0);
}

int store_health_fail_with(struct store *s, const char *source_id, int64_t now,
                           long http_status, int64_t consecutive_failures, const char *state,
                           const char *error, const char *const *fields,
                           const char *const *values, size_t n)
{
    enum { ARGS_MAX = 10 + 2 * STORE_HEALTH_FIELDS_MAX };
    char k[STORE_KEY_MAX], ts[32], msg[512], cnt[24], status[24];
    const char *argv[ARGS_MAX] = {"HSET", k, "last_error", msg, "consecutive_failures", cnt,
                                  "last_status", status, "state", state};
    int argc = 10;

    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    /* the error may already start with its kind ("not_a_feed: ..."): say it once (issue #11) */
    if (error && strncmp(error, state, strlen(state)) == 0 && error[strlen(state)] == ':') {
        snprintf(msg, sizeof(msg), "%s %s", yq_time_format_utc(now, ts, sizeof(ts)), error);
    } else {
        snprintf(msg, sizeof(msg), "%s %s: %s", yq_time_format_utc(now, ts, sizeof(ts)), state,
                 error ? error : "");
    }
    snprintf(cnt, sizeof(cnt), "%lld", (long long)consecutive_failures);
    snprintf(status, sizeof(status), "%ld", http_status);
    if (!add_pairs(argv, &argc, ARGS_MAX, fields, values, n)) {
        return ERR_INVALID;
    }
    return run_status(s, argc, argv);
}

int store_health_fail(struct store *s, const char *source_id, int64_t now, long http_status,
                      int64_t consecutive_failures, const char *state, const char *error)
{
    return store_health_fail_with(s, source_id, now, http_status, consecutive_failures, state,
                                  error, NULL, NULL, 0);
}

int store_health_set(struct store *s, const char *source_id, const char *field,
                     const char *value)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HSET", k, field, value};

    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    return run_status(s, 4, argv);
}

int store_health_get(struct store *s, const char *source_id, const char *const *fields,
                     size_t n, char **values)
{
    char k[STORE_KEY_MAX];
    const char *argv[STORE_HEALTH_FIELDS_MAX + 2] = {"HMGET", k};
    redisReply *reply;

    for (size_t i = 0; i < n && i < STORE_HEALTH_FIELDS_MAX; i++) {
        values[i] = NULL;
    }
    if (n == 0 || n > STORE_HEALTH_FIELDS_MAX) {
        return ERR_INVALID;
    }
    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    for (size_t i = 0; i < n; i++) {
        argv[i + 2] = fields[i];
    }
    reply = run(s, (int)n + 2, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != n) {
        freeReplyObject(reply);
        return ERR_RETRY; /* never read another command's reply as this one (FC-022) */
    }
    for (size_t i = 0; i < n; i++) {
        values[i] = dup_elem(reply->element[i]);
    }
    freeReplyObject(reply);
    return 0;
}

int store_health_set_many(struct store *s, const char *source_id, const char *const *fields,
                          const char *const *values, size_t n)
{
    char k[STORE_KEY_MAX];
    const char *argv[2 * STORE_HEALTH_FIELDS_MAX + 2] = {"HSET", k};

    if (n == 0 || n > STORE_HEALTH_FIELDS_MAX) {
        return ERR_INVALID;
    }
    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    for (size_t i = 0; i < n; i++) {
        argv[2 + 2 * i] = fields[i];
        argv[3 + 2 * i] = values[i];
    }
    return run_status(s, 2 + 2 * (int)n, argv);
}

int store_health_del(struct store *s, const char *source_id, const char *const *fields, size_t n)
{
    char k[STORE_KEY_MAX];
    const char *argv[STORE_HEALTH_FIELDS_MAX + 2] = {"HDEL", k};

    if (n == 0 || n > STORE_HEALTH_FIELDS_MAX) {
        return ERR_INVALID;
    }
    key(k, sizeof(k), STORE_SOURCE_PREFIX, source_id);
    for (size_t i = 0; i < n; i++) {
        argv[2 + i] = fields[i];
    }
    return run_status(s, 2 + (int)n, argv);
}

int store_source_ids(struct store *s, char ***ids, size_t *n)
{
    const size_t plen = strlen(STORE_SOURCE_PREFIX);
    char cursor[32] = "0", match[64];
    char **v = NULL;
    size_t k = 0, cap = 0;
    int rounds = 0, err = 0;

    *ids = NULL;
    *n = 0;
    snprintf(match, sizeof(match), "%s*", STORE_SOURCE_PREFIX);
    do {
        const char *argv[] = {"SCAN", cursor, "MATCH", match, "COUNT", "200"};
        redisReply *r = run(s, 6, argv);
        if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(r);
            err = ERR_RETRY;
            break;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements && k < STORE_SOURCE_IDS_MAX; i++) {
            const redisReply *e = r->element[1]->element[i];
            /* source ids have no ':' (collector_cfg.c): the side keys are not sources */
            if (e->type != REDIS_REPLY_STRING || e->len <= plen ||
                memchr(e->str + plen, ':', e->len - plen)) {
                continue;
            }
            if (yq_array_reserve(&v, &cap, k + 1, sizeof(*v)) != 0 ||
                !(v[k] = strndup(e->str + plen, e->len - plen))) {
                err = ERR_NOMEM; /* k stays below STORE_SOURCE_IDS_MAX: no ERR_TOO_BIG */
                break;
            }
            k++;
        }
        freeReplyObject(r);
    } while (!err && strcmp(cursor, "0") != 0 && ++rounds < STORE_SCAN_ROUNDS_MAX &&
             k < STORE_SOURCE_IDS_MAX);
    if (err) {
        store_strings_free(v, k);
        return err;
    }
    *ids = v;
    *n = k;
    return 0;
}

/*
 * A hash next to the health hash, yuqing:source:<id><suffix>: the long texts still to fetch
 * (":longtext") and the source events not yet delivered (":blind_outbox").
 */
static void sub_key(char *buf, size_t len, const char *source_id, const char *suffix)
{
    snprintf(buf, len, "%s%s%s", STORE_SOURCE_PREFIX, source_id, suffix);
}

static int sub_put(struct store *s, const char *source_id, const char *suffix,
                   const char *field, const char *value)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HSET", k, field, value};

    sub_key(k, sizeof(k), source_id, suffix);
    return run_status(s, 4, argv);
}

static int sub_del(struct store *s, const char *source_id, const char *suffix,
                   const char *field)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HDEL", k, field};

    sub_key(k, sizeof(k), source_id, suffix);
    return run_status(s, 3, argv);
}

#define LONGTEXT_SUFFIX ":longtext"
#define OUTBOX_SUFFIX ":blind_outbox"

int store_longtext_put(struct store *s, const char *source_id, const char *mid,
                       const char *item_json)
{
    return sub_put(s, source_id, LONGTEXT_SUFFIX, mid, item_json);
}

int store_longtext_del(struct store *s, const char *source_id, const char *mid)
{
    return sub_del(s, source_id, LONGTEXT_SUFFIX, mid);
}

int store_outbox_put(struct store *s, const char *source_id, const char *field,
                     const char *event_json)
{
    return sub_put(s, source_id, OUTBOX_SUFFIX, field, event_json);
}

int store_outbox_del(struct store *s, const char *source_id, const char *field)
{
    return sub_del(s, source_id, OUTBOX_SUFFIX, field);
}

void store_strings_free(char **v, size_t n)
{
    if (!v) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        free(v[i]);
    }
    free(v);
}

static int sub_list(struct store *s, const char *source_id, const char *suffix, size_t max,
                    char ***mids, char ***jsons, size_t *n)
{
    char k[STORE_KEY_MAX];
    const char *argv[] = {"HGETALL", k};
    redisReply *reply;
    size_t cnt = 0, pairs;

    *mids = NULL;
    *jsons = NULL;
    *n = 0;
    sub_key(k, sizeof(k), source_id, suffix);
    reply = run(s, 2, argv);
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(reply);
        return ERR_RETRY; /* never read another command's reply as this one (FC-022) */
    }
    pairs = reply->elements / 2;
    if (pairs > max) {
        pairs = max;
    }
    *mids = calloc(pairs ? pairs : 1, sizeof(char *));
    *jsons = calloc(pairs ? pairs : 1, sizeof(char *));
    if (!*mids || !*jsons) {
        free(*mids);
        free(*jsons);
        *mids = *jsons = NULL;
        freeReplyObject(reply);
        return ERR_RETRY;
    }
    for (size_t i = 0; i < pairs; i++) {
        char *m = dup_elem(reply->element[2 * i]);
        char *j = dup_elem(reply->element[2 * i + 1]);
        if (!m || !j) {
            free(m);
            free(j);
            continue;
        }
        (*mids)[cnt] = m;
        (*jsons)[cnt] = j;
        cnt++;
    }
    *n = cnt;
    freeReplyObject(reply);
    return 0;
}

int store_longtext_list(struct store *s, const char *source_id, size_t max, char ***mids,
                        char ***jsons, size_t *n)
{
    return sub_list(s, source_id, LONGTEXT_SUFFIX, max, mids, jsons, n);
}

int store_outbox_list(struct store *s, const char *source_id, size_t max, char ***fields,
                      char ***jsons, size_t *n)
{
    return sub_list(s, source_id, OUTBOX_SUFFIX, max, fields, jsons, n);
}
