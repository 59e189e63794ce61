#include "yq_hot.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_banned.h"

#define KEY_MAX 512
#define SOURCE_ID_MAX 200

bool yq_hot_sha1_valid(const char *s)
{
    if (!s || strlen(s) != YQ_HOT_SHA1_HEX) {
        return false;
    }
    for (const char *c = s; *c; c++) {
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f'))) {
            return false;
        }
    }
    return true;
}

/* "yuqing:hot:<source_id>:<suffix>" into buf; false when source_id is unusable. */
static bool hot_key(char *buf, size_t len, const char *source_id, const char *suffix)
{
    int n;
    if (!source_id || !source_id[0] || strlen(source_id) > SOURCE_ID_MAX) {
        return false;
    }
    n = snprintf(buf, len, "%s%s:%s", YQ_HOT_PREFIX, source_id, suffix);
    return n > 0 && (size_t)n < len;
}

static const struct yq_hot_stay *find_stay(const struct yq_hot_stay *v, size_t n, const char *sha1)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].sha1, sha1) == 0) {
            return &v[i];
        }
    }
    return NULL;
}

int yq_hot_track(const struct yq_hot_stay *prev, size_t n_prev, struct yq_hot_seen *seen,
                 size_t n_seen, int64_t now, int64_t rise_rank, struct yq_hot_stay **out,
                 size_t *n_out)
{
    size_t cap = n_seen + n_prev, n = 0;
    struct yq_hot_stay *v;

    *out = NULL;
    *n_out = 0;
    v = calloc(cap ? cap : 1, sizeof(*v));
    if (!v) {
        return ERR_NOMEM;
    }
    /* the entries of this poll first: they are kept whatever the bound */
    for (size_t i = 0; i < n_seen && n < YQ_HOT_STAYS_MAX; i++) {
        struct yq_hot_seen *e = &seen[i];
        const struct yq_hot_stay *old = find_stay(prev, n_prev, e->sha1);
        struct yq_hot_stay *s = &v[n++];
        bool ranked = e->rank > 0;

        memset(s, 0, sizeof(*s));
        snprintf(s->sha1, sizeof(s->sha1), "%s", e->sha1);
        s->on = true;
        s->last_seen = now;
        if (old && old->on) {
            *s = *old;
            s->on = true;
            s->last_seen = now;
            e->trigger = YQ_HOT_NONE;
            if (ranked && (s->best_rank == 0 || e->rank < s->best_rank)) {
                s->best_rank = e->rank;
            }
            if (ranked && rise_rank > 0 && e->rank <= rise_rank && !s->rose) {
                s->rose = true;
                e->trigger = YQ_HOT_ROSE;
            }
        } else {
            s->entered_at = now;
            if (old && old->entered_at >= now) {
                s->entered_at = old->entered_at + 1; /* a new stay, never an old stay's id */
            }
            s->best_rank = ranked ? e->rank : 0;
            s->rose = ranked && rise_rank > 0 && e->rank <= rise_rank;
            e->trigger = YQ_HOT_ENTERED;
        }
        e->entered_at = s->entered_at;
    }
    /* then those that left (now or earlier), remembered for a while */
    for (size_t i = 0; i < n_prev && n < YQ_HOT_STAYS_MAX; i++) {
        bool again = false;
        for (size_t j = 0; j < n_seen && !again; j++) {
            again = strcmp(seen[j].sha1, prev[i].sha1) == 0;
        }
        if (again || now - prev[i].last_seen >= YQ_HOT_GONE_KEEP_S) {
            continue;
        }
        v[n] = prev[i];
        v[n].on = false;
        n++;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static bool reply_ok(const redisReply *r)
{
    return r && r->type != REDIS_REPLY_ERROR;
}

/* One stay from its hash field (sha1) and JSON value; false when not well-formed. */
static bool stay_from(const char *sha1, const char *json, size_t len, struct yq_hot_stay *out)
{
    json_t *o;
    const json_t *ea, *br, *ls;
    bool ok;

    if (!yq_hot_sha1_valid(sha1)) {
        return false;
    }
    o = json_loadb(json, len, 0, NULL);
    ea = json_object_get(o, "entered_at");
    br = json_object_get(o, "best_rank");
    ls = json_object_get(o, "last_seen");
    ok = json_is_object(o) && json_is_integer(ea) && json_is_integer(br) && json_is_integer(ls) &&
         json_integer_value(br) >= 0;
    if (ok) {
        memset(out, 0, sizeof(*out));
        snprintf(out->sha1, sizeof(out->sha1), "%s", sha1);
        out->entered_at = json_integer_value(ea);
        out->best_rank = json_integer_value(br);
        out->last_seen = json_integer_value(ls);
        out->rose = json_is_true(json_object_get(o, "rose"));
        out->on = json_is_true(json_object_get(o, "on"));
    }
    json_decref(o);
    return ok;
}

int yq_hot_stays_load(struct yq_redis *r, const char *source_id, struct yq_hot_stay **out,
                      size_t *n)
{
    char key[KEY_MAX];
    const char *argv[2] = {"HGETALL", key};
    redisReply *rep;
    struct yq_hot_stay *v = NULL;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (!hot_key(key, sizeof(key), source_id, "current")) {
        return ERR_INVALID;
    }
    rep = yq_redis_read_argv(r, 2, argv, NULL, REDIS_REPLY_ARRAY);
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return ERR_RETRY;
    }
    if (rep->elements >= 2) {
        v = calloc(rep->elements / 2, sizeof(*v));
        if (!v) {
            freeReplyObject(rep);
            return ERR_NOMEM;
        }
    }
    for (size_t i = 0; i + 1 < rep->elements && k < YQ_HOT_STAYS_MAX; i += 2) {
        const redisReply *f = rep->element[i], *val = rep->element[i + 1];
        if (f->type == REDIS_REPLY_STRING && val->type == REDIS_REPLY_STRING &&
            stay_from(f->str, val->str, val->len, &v[k])) {
            k++;
        }
    }
    freeReplyObject(rep);
    if (k == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}

int yq_hot_stays_save(struct yq_redis *r, const char *source_id, const struct yq_hot_stay *stays,
                      size_t n)
{
    char key[KEY_MAX], tmp[KEY_MAX], ttl[32];
    const char **argv = NULL;
    char **vals = NULL;
    redisReply *rep;
    int err = 0;

    if (!hot_key(key, sizeof(key), source_id, "current") ||
        !hot_key(tmp, sizeof(tmp), source_id, "current:tmp")) {
        return ERR_INVALID;
    }
    if (n > YQ_HOT_STAYS_MAX) {
        n = YQ_HOT_STAYS_MAX;
    }
    if (n == 0) {
        rep = yq_redis_command(r, "DEL %s", key);
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
        return err;
    }
    argv = calloc(2 + 2 * n, sizeof(*argv));
    vals = calloc(n, sizeof(*vals));
    if (!argv || !vals) {
        err = ERR_NOMEM;
        goto done;
    }
    argv[0] = "HSET";
    argv[1] = tmp;
    for (size_t i = 0; i < n; i++) {
        char buf[256];
        snprintf(buf, sizeof(buf),
                 "{\"entered_at\":%" PRId64 ",\"best_rank\":%" PRId64 ",\"last_seen\":%" PRId64
                 ",\"rose\":%s,\"on\":%s}",
                 stays[i].entered_at, stays[i].best_rank, stays[i].last_seen,
                 stays[i].rose ? "true" : "false", stays[i].on ? "true" : "false");
        vals[i] = strdup(buf);
        if (!vals[i]) {
            err = ERR_NOMEM;
            goto done;
        }
        argv[2 + 2 * i] = stays[i].sha1;
        argv[3 + 2 * i] = vals[i];
    }
    rep = yq_redis_command(r, "DEL %s", tmp);
    err = reply_ok(rep) ? 0 : ERR_RETRY;
    freeReplyObject(rep);
    if (!err) {
        rep = yq_redis_command_argv(r, (int)(2 + 2 * n), argv, NULL);
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
    }
    if (!err) {
        snprintf(ttl, sizeof(ttl), "%d", YQ_HOT_TTL_S);
        rep = yq_redis_command(r, "EXPIRE %s %s", tmp, ttl);
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
    }
    if (!err) {
        rep = yq_redis_command(r, "RENAME %s %s", tmp, key);
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
    }
done:
    if (vals) {
        for (size_t i = 0; i < n; i++) {
            free(vals[i]);
        }
    }
    free(vals);
    free(argv);
    return err;
}

int yq_hot_record(struct yq_redis *r, const char *source_id, const char *sha1,
                  const struct yq_hot_point *p)
{
    char key[KEY_MAX], member[96], score[32];
    redisReply *rep;
    int err;

    if (!yq_hot_sha1_valid(sha1) || !hot_key(key, sizeof(key), source_id, sha1)) {
        return ERR_INVALID;
    }
    snprintf(member, sizeof(member), "%" PRId64 " %" PRId64 " %" PRId64, p->at, p->rank, p->heat);
    snprintf(score, sizeof(score), "%" PRId64, p->at);
    rep = yq_redis_command(r, "ZADD %s %s %s", key, score, member);
    err = reply_ok(rep) ? 0 : ERR_RETRY;
    freeReplyObject(rep);
    if (!err) {
        /* the newest YQ_HOT_POINTS_MAX: ranks 0 .. -(MAX + 1) are the oldest beyond it */
        rep = yq_redis_command(r, "ZREMRANGEBYRANK %s 0 %d", key, -(YQ_HOT_POINTS_MAX + 1));
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
    }
    if (!err) {
        rep = yq_redis_command(r, "EXPIRE %s %d", key, YQ_HOT_TTL_S);
        err = reply_ok(rep) ? 0 : ERR_RETRY;
        freeReplyObject(rep);
    }
    return err;
}

int yq_hot_points(struct yq_redis *r, const char *source_id, const char *sha1, int64_t since,
                  size_t max, struct yq_hot_point **out, size_t *n)
{
    char key[KEY_MAX], min[32], count[32];
    const char *argv[7] = {"ZRANGEBYSCORE", key, min, "+inf", "LIMIT", "0", count};
    redisReply *rep;
    struct yq_hot_point *v = NULL;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (!yq_hot_sha1_valid(sha1) || !hot_key(key, sizeof(key), source_id, sha1)) {
        return ERR_INVALID;
    }
    if (max > YQ_HOT_POINTS_MAX) {
        max = YQ_HOT_POINTS_MAX;
    }
    snprintf(min, sizeof(min), "%" PRId64, since);
    snprintf(count, sizeof(count), "%zu", max);
    rep = yq_redis_read_argv(r, 7, argv, NULL, REDIS_REPLY_ARRAY);
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return ERR_RETRY;
    }
    if (rep->elements > 0) {
        v = calloc(rep->elements, sizeof(*v));
        if (!v) {
            freeReplyObject(rep);
            return ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < rep->elements && k < max; i++) {
        const redisReply *m = rep->element[i];
        long long at, rank, heat;
        int used = 0;
        if (m->type == REDIS_REPLY_STRING && m->len < 96 &&
            sscanf(m->str, "%lld %lld %lld%n", &at, &rank, &heat, &used) == 3 &&
            (size_t)used == m->len && rank >= 0 && heat >= -1) {
            v[k].at = at;
            v[k].rank = rank;
            v[k].heat = heat;
            k++;
        }
    }
    freeReplyObject(rep);
    if (k == 0) {
        free(v);
        v = NULL;
    }
    *out = v;
    *n = k;
    return 0;
}

int yq_hot_fold(const char *s, char **out)
{
    utf8proc_uint8_t *dst = NULL;
    utf8proc_ssize_t n;

    *out = NULL;
    n = utf8proc_map((const utf8proc_uint8_t *)s, 0, &dst,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |
                         UTF8PROC_CASEFOLD | UTF8PROC_IGNORE);
    if (n < 0) {
        return n == UTF8PROC_ERROR_NOMEM ? ERR_NOMEM : ERR_INVALID;
    }
    *out = (char *)dst;
    return 0;
}
