#include "web_system.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "rules.h"
#include "rules_store.h"
#include "web_internal.h"
#include "web_reply.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

#define SOURCE_PREFIX "yuqing:source:"
#define MAX_SOURCES 1000
#define MAX_SCAN_ROUNDS 200
#define MAX_TEST_BYTES 65536
/* GET /api/sources/blind: the default range (the sources page's 30 days) and list bounds */
#define BLIND_DEFAULT_RANGE_S (30 * 24 * 3600)
#define BLIND_DEFAULT_LIMIT 500
#define BLIND_MAX_LIMIT 1000
#define BLIND_MAX_SOURCE_ID_BYTES 256

static bool reply_is(const redisReply *r, int type)
{
    return r && r->type == type;
}

/* Every yuqing:source:* key (bounded SCAN). Caller holds redis_lock. */
static int source_keys(struct web *w, json_t *keys)
{
    char cursor[32] = "0";
    int rounds = 0;

    do {
        redisReply *r = yq_redis_command(w->redis, "SCAN %s MATCH %s* COUNT 200", cursor,
                                         SOURCE_PREFIX);
        if (!reply_is(r, REDIS_REPLY_ARRAY) || r->elements != 2 ||
            !reply_is(r->element[0], REDIS_REPLY_STRING) ||
            !reply_is(r->element[1], REDIS_REPLY_ARRAY)) {
            if (r) {
                freeReplyObject(r);
            }
            return ERR_RETRY;
        }
        snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++) {
            redisReply *k = r->element[1]->element[i];
            /* source ids have no ':'; yuqing:source:<id>:recent (a sorted set) and
             * :longtext are the collector's side keys, not health hashes */
            if (reply_is(k, REDIS_REPLY_STRING) && k->len > strlen(SOURCE_PREFIX) &&
                !memchr(k->str + strlen(SOURCE_PREFIX), ':', k->len - strlen(SOURCE_PREFIX)) &&
                json_array_size(keys) < MAX_SOURCES) {
                json_array_append_new(keys, json_stringn(k->str, k->len));
            }
        }
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0 && ++rounds < MAX_SCAN_ROUNDS);
    return 0;
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

/* Beijing time "YYYY-MM-DD HH:MM" of an RFC 3339 string, or null. New reference. */
static json_t *display_time(const char *iso, size_t n)
{
    char buf[40], out[32];
    int64_t t = 0;

    snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) ? n : sizeof(buf) - 1), iso);
    if (yq_time_parse_iso(buf, &t, NULL) != 0 || t <= 0) {
        return json_null();
    }
    return json_string(yq_time_format_shanghai(t, out, sizeof(out)));
}

/*
 * The display fields of one source's health object s (issue #11): "name" (the configured
 * name, else the id), "kind_label", "state_label", and of "last_error" ("<RFC 3339> <code>:
 * <detail>", the code possibly repeated by older collectors): "error_code", "error_label"
 * (Chinese), "error_detail" (the rest, once), "last_error_at" and "last_error_at_display";
 * "last_success_display" (Beijing time). Returns 0 or ERR_NOMEM.
 */
static int source_display(json_t *s)
{
    const char *id = json_string_value(json_object_get(s, "id"));
    const char *kind = json_string_value(json_object_get(s, "kind"));
    const char *state = json_string_value(json_object_get(s, "state"));
    const char *ok = json_string_value(json_object_get(s, "last_success"));
    const char *err = json_string_value(json_object_get(s, "last_error"));
    int rc = 0;

    if (!json_string_value(json_object_get(s, "name"))) {
        rc |= json_object_set_new(s, "name", json_string(id ? id : ""));
    }
    if (kind) {
        rc |= json_object_set_new(s, "kind_label",
                                  json_string(yq_label(YQ_LABEL_SOURCE_KIND, kind)));
    }
    if (state) {
        rc |= json_object_set_new(s, "state_label",
                                  json_string(yq_label(YQ_LABEL_SOURCE_ERROR, state)));
    }
    rc |= json_object_set_new(s, "last_success_display",
                              ok ? display_time(ok, strlen(ok)) : json_null());
    if (err) {
        const char *sp = strchr(err, ' ');
        const char *rest = sp ? sp + 1 : err;
        char code[64] = "", again[64];
        const char *detail = yq_label_split_error(rest, code, sizeof(code));
        /* "not_a_feed: not_a_feed: ..." from collectors before issue #11: the code once */
        const char *more = yq_label_split_error(detail, again, sizeof(again));
        if (code[0] && strcmp(code, again) == 0) {
            detail = more;
        }
        if (!code[0] && state) {
            snprintf(code, sizeof(code), "%s", state);
        }
        rc |= json_object_set_new(s, "last_error_at",
                                  sp ? json_stringn(err, (size_t)(sp - err)) : json_null());
        rc |= json_object_set_new(s, "last_error_at_display",
                                  sp ? display_time(err, (size_t)(sp - err)) : json_null());
        rc |= json_object_set_new(s, "error_code", json_string(code));
        rc |= json_object_set_new(
            s, "error_label", json_string(code[0] ? yq_label(YQ_LABEL_SOURCE_ERROR, code) : ""));
        rc |= json_object_set_new(s, "error_detail", json_string(detail));
    }
    return rc ? ERR_NOMEM : 0;
}

/*
 * Each source of sources (a JSON array, borrowed) gets "blind_now": its windows open at the
 * call's now (issue #15), [] when none; nothing when the notifier keeps no windows. A store
 * that cannot be read leaves the field out (the page then shows no badge) and is logged.
 */
static int add_blind_now(struct web_call *call, json_t *sources)
{
    const struct web_source_ops *ops = call->w->ops ? call->w->ops->sources : NULL;
    json_t *by = NULL, *s;
    size_t i;
    int err;

    if (!ops || !ops->blind_now) {
        return 0;
    }
    err = ops->blind_now(call->w->ops_ctx, call->now, &by);
    if (err) {
        LOG_WARN("blind windows not read for /api/sources err='%s'", yq_strerror(err));
        return err == ERR_NOMEM ? err : 0;
    }
    json_array_foreach(sources, i, s)
    {
        json_t *open = json_object_get(by, json_string_value(json_object_get(s, "id")));
        if (json_object_set_new(s, "blind_now", open ? json_incref(open) : json_array()) != 0) {
            err = ERR_NOMEM;
            break;
        }
    }
    json_decref(by);
    return err;
}

enum MHD_Result web_route_sources_blind(struct web_call *call)
{
    const struct web_source_ops *ops = call->w->ops ? call->w->ops->sources : NULL;
    const char *since_s = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "since");
    const char *until_s = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "until");
    const char *source = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "source_id");
    const char *limit_s = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, "limit");
    int64_t until = call->now, since;
    long long limit = BLIND_DEFAULT_LIMIT;
    static const char *const names[] = {"since", "until", "source_id", "limit", NULL};
    char ts[40], tu[40], problem[128];
    json_t *out = NULL;
    int err;

    if (web_query_unknown(call, names, problem, sizeof(problem))) {
        return web_reply_bad_request(call, problem);
    }
    if (until_s && until_s[0] && yq_time_parse_iso(until_s, &until, NULL) != 0) {
        return web_reply_bad_request(call, "until_invalid: until 须为 RFC 3339 时间");
    }
    since = until - BLIND_DEFAULT_RANGE_S;
    if (since_s && since_s[0] && yq_time_parse_iso(since_s, &since, NULL) != 0) {
        return web_reply_bad_request(call, "since_invalid: since 须为 RFC 3339 时间");
    }
    if (since > until) {
        return web_reply_bad_request(call, "range_invalid: since 须早于 until");
    }
    if (source && (!source[0] || strlen(source) > BLIND_MAX_SOURCE_ID_BYTES)) {
        return web_reply_bad_request(call,
                                     "source_id_invalid: source_id 须为 1 至 256 字节的信息源编号");
    }
    if (limit_s) {
        char *end = NULL;
        limit = strtoll(limit_s, &end, 10);
        if (end == limit_s || *end || limit < 1 || limit > BLIND_MAX_LIMIT) {
            return web_reply_bad_request(call, "limit_invalid: limit 须为 1 至 1000 的整数");
        }
    }
    if (!ops || !ops->blind) {
        out = json_pack("{s:b, s:[], s:b}", "available", 0, "windows", "truncated", 0);
    } else {
        err = ops->blind(call->w->ops_ctx, since, until, source, (size_t)limit, call->now, &out);
        if (err) {
            return err == ERR_NOMEM ? MHD_NO : web_reply_store_error(call, err);
        }
        if (json_object_set_new(out, "available", json_true()) != 0) {
            json_decref(out);
            return MHD_NO;
        }
    }
    if (!out || json_object_set_new(out, "since",
                                    json_string(yq_time_format_utc(since, ts, sizeof(ts)))) ||
        json_object_set_new(out, "until", json_string(yq_time_format_utc(until, tu, sizeof(tu)))) ||
        json_object_set_new(out, "now", json_string(yq_time_format_utc(call->now, ts,
                                                                        sizeof(ts))))) {
        json_decref(out);
        return MHD_NO;
    }
    return web_reply_json(call, MHD_HTTP_OK, out);
}

enum MHD_Result web_route_sources(struct web_call *call)
{
    struct web *w = call->w;
    json_t *keys = json_array(), *sources = json_array(), **sorted = NULL;
    size_t n;
    int err = 0;

    if (!keys || !sources) {
        json_decref(keys);
        json_decref(sources);
        return MHD_NO;
    }
    if (!w->cfg.sources_enabled || !w->redis) {
        json_decref(keys);
        return web_reply_json(call, MHD_HTTP_OK,
                              json_pack("{s:b, s:b, s:o}", "enabled", 0, "redis_up", 0, "sources",
                                        sources));
    }
    pthread_mutex_lock(&w->redis_lock);
    err = source_keys(w, keys);
    n = json_array_size(keys);
    sorted = n ? calloc(n, sizeof(*sorted)) : NULL;
    for (size_t i = 0; !err && i < n; i++) {
        sorted[i] = json_array_get(keys, i);
    }
    if (sorted) {
        qsort(sorted, n, sizeof(*sorted), key_cmp);
    }
    for (size_t i = 0; !err && sorted && i < n; i++) {
        const char *key = json_string_value(sorted[i]);
        redisReply *r = yq_redis_command(w->redis, "HGETALL %s", key);
        json_t *s;
        if (yq_redis_reply_wrongtype(r)) {
            /* not a hash (written by something else): not a source; Redis is up */
            LOG_WARN("source key skipped key=%s err=%s", key, r->str);
            freeReplyObject(r);
            continue;
        }
        if (!reply_is(r, REDIS_REPLY_ARRAY)) {
            if (r) {
                freeReplyObject(r);
            }
            err = ERR_RETRY;
            break;
        }
        s = json_pack("{s:s}", "id", key + strlen(SOURCE_PREFIX));
        for (size_t j = 0; s && j + 1 < r->elements; j += 2) {
            redisReply *f = r->element[j], *v = r->element[j + 1];
            if (!reply_is(f, REDIS_REPLY_STRING) || !reply_is(v, REDIS_REPLY_STRING)) {
                continue;
            }
            /* Only the health fields; validators (etag, ...) are of no use to a person. */
            if (strcmp(f->str, "last_success") == 0 || strcmp(f->str, "last_error") == 0 ||
                strcmp(f->str, "last_status") == 0 || strcmp(f->str, "state") == 0 ||
                strcmp(f->str, "name") == 0 || strcmp(f->str, "kind") == 0) {
                json_object_set_new(s, f->str, json_stringn(v->str, v->len));
            } else if (strcmp(f->str, "consecutive_failures") == 0 ||
                       strcmp(f->str, "items_last_seen") == 0 ||
                       strcmp(f->str, "items_24h") == 0) {
                char *end = NULL;
                long long num = strtoll(v->str, &end, 10);
                if (end && *end == '\0') {
                    json_object_set_new(s, f->str, json_integer(num));
                }
            }
        }
        freeReplyObject(r);
        if (s && source_display(s) != 0) {
            json_decref(s);
            s = NULL;
        }
        if (!s || json_array_append_new(sources, s) != 0) {
            err = ERR_NOMEM;
        }
    }
    pthread_mutex_unlock(&w->redis_lock);
    free(sorted);
    json_decref(keys);
    if (err != ERR_NOMEM && add_blind_now(call, sources) == ERR_NOMEM) {
        err = ERR_NOMEM;
    }
    if (err == ERR_NOMEM) {
        json_decref(sources);
        return MHD_NO;
    }
    return web_reply_json(call, MHD_HTTP_OK,
                          json_pack("{s:b, s:b, s:o}", "enabled", 1, "redis_up", err == 0,
                                    "sources", sources));
}

/*
 * Make w->rules the current rule set: reloaded when the version or the epoch changed (a Redis
 * that lost its data numbers a new set like the cached one; rules_store.h). Lock held.
 */
static int rules_refresh(struct web *w, char *errbuf, size_t errlen)
{
    struct rules_pointer cur;
    struct rule_set *rs = NULL;
    int err;

    err = rules_store_pointer(w->redis, &cur);
    if (err) {
        snprintf(errbuf, errlen, "无法读取规则版本（Redis 不可用）");
        return err;
    }
    if (cur.version == 0) {
        rule_set_free(w->rules);
        w->rules = NULL;
        return ERR_NOT_FOUND;
    }
    if (w->rules && rules_pointer_equal(&w->rules_ptr, &cur)) {
        return 0;
    }
    err = rules_store_load(w->redis, cur.version, &rs, errbuf, errlen);
    if (err) {
        LOG_WARN("rule set load failed version=%lld reason='%s'", (long long)cur.version, errbuf);
        return err;
    }
    rule_set_free(w->rules);
    w->rules = rs;
    w->rules_ptr = cur;
    return 0;
}

static enum MHD_Result rules_unavailable(struct web_call *call, int err, const char *why)
{
    if (err == ERR_NOT_FOUND) {
        return web_reply_error(call, MHD_HTTP_NOT_FOUND, "no_rules", "尚未推送规则集");
    }
    snprintf(call->retry_after, sizeof(call->retry_after), "5");
    return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", why);
}

enum MHD_Result web_route_rules(struct web_call *call)
{
    struct web *w = call->w;
    char why[256] = "规则服务未启用", *text = NULL;
    json_t *v = NULL;
    int err = ERR_RETRY;

    if (!w->cfg.rules_enabled || !w->redis) {
        return rules_unavailable(call, ERR_RETRY, why);
    }
    pthread_mutex_lock(&w->redis_lock);
    err = rules_refresh(w, why, sizeof(why));
    if (!err) {
        err = rule_set_encode(w->rules, &text, NULL);
    }
    pthread_mutex_unlock(&w->redis_lock);
    if (err) {
        free(text);
        return err == ERR_NOMEM ? MHD_NO : rules_unavailable(call, err, why);
    }
    v = json_loads(text, 0, NULL);
    free(text);
    if (!v) {
        return MHD_NO;
    }
    {
        /* issue #11: each rule's scope and level also as the page shows them (标题和正文, 重大) */
        size_t i;
        json_t *rule;
        json_array_foreach(json_object_get(v, "rules"), i, rule)
        {
            const char *scope = json_string_value(json_object_get(rule, "scope"));
            const char *level = json_string_value(json_object_get(rule, "level"));
            json_object_set_new(rule, "scope_label",
                                json_string(yq_label(YQ_LABEL_RULE_SCOPE, scope ? scope : "all")));
            if (level) {
                json_object_set_new(rule, "level_label",
                                    json_string(yq_label(YQ_LABEL_LEVEL, level)));
            }
        }
    }
    return web_reply_json(call, MHD_HTTP_OK, v);
}

/* The hits of one matched rule as JSON [{term, field, start, end}]. */
static json_t *hits_json(const struct rule_set *rs, const struct match_rule *mr)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < mr->n_hits; i++) {
        const struct match_hit *h = &mr->hits[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I}", "term", rs->terms[h->term],
                                             "field", match_field_name(h->field), "start",
                                             (json_int_t)h->start, "end", (json_int_t)h->end));
    }
    return arr;
}

enum MHD_Result web_route_rules_test(struct web_call *call)
{
    struct web *w = call->w;
    struct match_scratch *ms = NULL;
    struct match_result mr;
    struct yq_item item;
    char why[256] = "规则服务未启用";
    json_t *body = web_body_json(call), *out = NULL, *matches;
    const char *title, *text, *source;
    int err;

    title = json_string_value(json_object_get(body, "title"));
    text = json_string_value(json_object_get(body, "text"));
    source = json_string_value(json_object_get(body, "source"));
    if ((!title && !text) || (title && strlen(title) > MAX_TEST_BYTES) ||
        (text && strlen(text) > MAX_TEST_BYTES)) {
        json_decref(body);
        return web_reply_bad_request(call, "请输入标题或正文（各不超过 64 KB）");
    }
    if (!w->cfg.rules_enabled || !w->redis) {
        json_decref(body);
        return rules_unavailable(call, ERR_RETRY, why);
    }
    memset(&item, 0, sizeof(item));
    memset(&mr, 0, sizeof(mr));
    item.id = "test";
    item.source = (char *)(source && source[0] ? source : "rss");
    item.source_id = item.source;
    item.title = (char *)(title ? title : "");
    item.text = (char *)(text ? text : "");
    ms = match_scratch_new();
    if (!ms) {
        json_decref(body);
        return MHD_NO;
    }
    pthread_mutex_lock(&w->redis_lock);
    err = rules_refresh(w, why, sizeof(why));
    if (!err) {
        err = match_item(w->rules, ms, &item, &mr);
    }
    if (!err) {
        matches = json_array();
        for (size_t i = 0; matches && i < mr.n_rules; i++) {
            const struct rule *r = &w->rules->rules[mr.rules[i].rule];
            json_array_append_new(
                matches,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "rule_id", r->id, "name",
                          r->name, "department", r->department, "level", yq_level_name(r->level),
                          "scope", rule_scope_name(r->scope), "expr", rule_expr_text(r->expr),
                          "hits", hits_json(w->rules, &mr.rules[i])));
        }
        out = json_pack("{s:I, s:s?, s:o}", "version", (json_int_t)w->rules->version,
                        "excluded_by", mr.excluded_by, "matches",
                        matches ? matches : json_array());
    }
    pthread_mutex_unlock(&w->redis_lock);
    match_result_release(&mr);
    match_scratch_free(ms);
    json_decref(body);
    if (err) {
        return err == ERR_NOMEM ? MHD_NO : rules_unavailable(call, err, why);
    }
    return web_reply_json(call, MHD_HTTP_OK, out);
}
