#include "yq_hot.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_json.h"
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
        /* on the list before, or back within YQ_HOT_REENTRY_S of leaving it: the same stay */
        if (old && (old->on || now - old->last_seen <= YQ_HOT_REENTRY_S)) {
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

/* Free the n replies of a pipeline; 0 when every one is a reply and none an error, else
   ERR_RETRY. */
static int replies_done(redisReply **rep, size_t n)
{
    int err = 0;

    for (size_t i = 0; i < n; i++) {
        if (!reply_ok(rep[i])) {
            err = ERR_RETRY;
        }
        freeReplyObject(rep[i]);
    }
    return err;
}

/*
 * The array answer to argv (argc words) read into a new vector *out of elem_size elements,
 * at most max: take reads the stride (1 or 2) answer elements from one position into the
 * next element, or returns false to skip them. *out is NULL when nothing was taken.
 * Returns 0, ERR_RETRY (no array answer) or ERR_NOMEM.
 */
static int read_array(struct yq_redis *r, int argc, const char **argv, size_t stride, size_t max,
                      size_t elem_size, bool (*take)(redisReply *const *el, void *elem), void **out,
                      size_t *n)
{
    redisReply *rep = yq_redis_read_argv(r, argc, argv, NULL, REDIS_REPLY_ARRAY);
    char *v = NULL;
    size_t k = 0;

    *out = NULL;
    *n = 0;
    if (!rep || rep->type != REDIS_REPLY_ARRAY) {
        freeReplyObject(rep);
        return ERR_RETRY;
    }
    if (rep->elements >= stride) {
        v = calloc(rep->elements / stride, elem_size);
        if (!v) {
            freeReplyObject(rep);
            return ERR_NOMEM;
        }
    }
    for (size_t i = 0; i + stride <= rep->elements && k < max; i += stride) {
        if (take(&rep->element[i], v + k * elem_size)) {
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

/* One stay from its hash field (sha1) and JSON value; false when not well-formed. */
static bool stay_from(const char *sha1, const char *json, size_t len, struct yq_hot_stay *out)
{
    json_t *o;
    const json_t *ea, *br, *ls;
    bool ok;

    if (!yq_hot_sha1_valid(sha1)) {
        return false;
    }
    if (yq_json_decode_object(json, len, 0, "hot stay", &o, NULL, 0) != 0) {
        return false;
    }
    ea = json_object_get(o, "entered_at");
    br = json_object_get(o, "best_rank");
    ls = json_object_get(o, "last_seen");
    ok = json_is_integer(ea) && json_is_integer(br) && json_is_integer(ls) &&
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

/* One stay from a field and its value of the HGETALL answer (read_array's take). */
static bool take_stay(redisReply *const *el, void *elem)
{
    return el[0]->type == REDIS_REPLY_STRING && el[1]->type == REDIS_REPLY_STRING &&
           stay_from(el[0]->str, el[1]->str, el[1]->len, elem);
}

int yq_hot_stays_load(struct yq_redis *r, const char *source_id, struct yq_hot_stay **out,
                      size_t *n)
{
    char key[KEY_MAX];
    const char *argv[2] = {"HGETALL", key};

    *out = NULL;
    *n = 0;
    if (!hot_key(key, sizeof(key), source_id, "current")) {
        return ERR_INVALID;
    }
    return read_array(r, 2, argv, 2, YQ_HOT_STAYS_MAX, sizeof(**out), take_stay, (void **)out, n);
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
        return replies_done(&rep, 1);
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
    snprintf(ttl, sizeof(ttl), "%d", YQ_HOT_TTL_S);
    {
        /* one round trip: DEL tmp, HSET tmp ..., EXPIRE tmp, RENAME tmp key */
        const char *del[] = {"DEL", tmp}, *expire[] = {"EXPIRE", tmp, ttl},
                   *rename[] = {"RENAME", tmp, key};
        const char **cmds[4] = {del, argv, expire, rename};
        int argcs[4] = {2, (int)(2 + 2 * n), 3, 3};
        redisReply *rep4[4];
        err = yq_redis_pipeline(r, 4, argcs, cmds, rep4);
        if (!err) {
            err = replies_done(rep4, 4);
        }
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

/* Commands per entry in yq_hot_record_all(): ZADD, ZREMRANGEBYRANK, EXPIRE. */
#define RECORD_CMDS 3

int yq_hot_record_all(struct yq_redis *r, const char *source_id, const char *const *sha1,
                      const struct yq_hot_point *p, size_t n)
{
    /* per entry: its key, score and member; the trim's bound and the TTL are shared */
    struct rec {
        char key[KEY_MAX], member[96], score[32];
        const char *zadd[4], *trim[4], *expire[3];
    } *v = NULL;
    char stop[16], ttl[16];
    int *argc = NULL;
    const char ***argv = NULL;
    redisReply **rep = NULL;
    int err = 0;

    if (n == 0) {
        return 0;
    }
    if (n > YQ_HOT_STAYS_MAX) {
        return ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++) {
        char key[KEY_MAX];
        if (!yq_hot_sha1_valid(sha1[i]) || !hot_key(key, sizeof(key), source_id, sha1[i])) {
            return ERR_INVALID;
        }
    }
    v = calloc(n, sizeof(*v));
    argc = calloc(RECORD_CMDS * n, sizeof(*argc));
    argv = calloc(RECORD_CMDS * n, sizeof(*argv));
    rep = calloc(RECORD_CMDS * n, sizeof(*rep));
    if (!v || !argc || !argv || !rep) {
        err = ERR_NOMEM;
        goto done;
    }
    /* the newest YQ_HOT_POINTS_MAX: ranks 0 .. -(MAX + 1) are the oldest beyond it */
    snprintf(stop, sizeof(stop), "%d", -(YQ_HOT_POINTS_MAX + 1));
    snprintf(ttl, sizeof(ttl), "%d", YQ_HOT_TTL_S);
    for (size_t i = 0; i < n; i++) {
        struct rec *e = &v[i];
        hot_key(e->key, sizeof(e->key), source_id, sha1[i]);
        snprintf(e->member, sizeof(e->member), "%" PRId64 " %" PRId64 " %" PRId64, p[i].at,
                 p[i].rank, p[i].heat);
        snprintf(e->score, sizeof(e->score), "%" PRId64, p[i].at);
        e->zadd[0] = "ZADD", e->zadd[1] = e->key, e->zadd[2] = e->score, e->zadd[3] = e->member;
        e->trim[0] = "ZREMRANGEBYRANK", e->trim[1] = e->key, e->trim[2] = "0", e->trim[3] = stop;
        e->expire[0] = "EXPIRE", e->expire[1] = e->key, e->expire[2] = ttl;
        argc[RECORD_CMDS * i] = 4, argv[RECORD_CMDS * i] = e->zadd;
        argc[RECORD_CMDS * i + 1] = 4, argv[RECORD_CMDS * i + 1] = e->trim;
        argc[RECORD_CMDS * i + 2] = 3, argv[RECORD_CMDS * i + 2] = e->expire;
    }
    err = yq_redis_pipeline(r, RECORD_CMDS * n, argc, argv, rep);
    if (!err) {
        err = replies_done(rep, RECORD_CMDS * n);
    }
done:
    free(v);
    free(argc);
    free(argv);
    free(rep);
    return err;
}

int yq_hot_record(struct yq_redis *r, const char *source_id, const char *sha1,
                  const struct yq_hot_point *p)
{
    return yq_hot_record_all(r, source_id, &sha1, p, 1);
}

/* One point from a "<at> <rank> <heat>" member of the ZRANGEBYSCORE answer (read_array's take). */
static bool take_point(redisReply *const *el, void *elem)
{
    const redisReply *m = el[0];
    struct yq_hot_point *p = elem;
    long long at, rank, heat;
    int used = 0;

    if (m->type == REDIS_REPLY_STRING && m->len < 96 &&
        sscanf(m->str, "%lld %lld %lld%n", &at, &rank, &heat, &used) == 3 &&
        (size_t)used == m->len && rank >= 0 && heat >= -1) {
        p->at = at;
        p->rank = rank;
        p->heat = heat;
        return true;
    }
    return false;
}

int yq_hot_points(struct yq_redis *r, const char *source_id, const char *sha1, int64_t since,
                  size_t max, struct yq_hot_point **out, size_t *n)
{
    char key[KEY_MAX], min[32], count[32];
    const char *argv[7] = {"ZRANGEBYSCORE", key, min, "+inf", "LIMIT", "0", count};

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
    return read_array(r, 7, argv, 1, max, sizeof(**out), take_point, (void **)out, n);
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
