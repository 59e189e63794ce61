/*
 * The archive searched in the rule language (issue #14, docs/api.md "Search"):
 *   GET    /api/search?q=&since=&until=&source=&source_id=&channel=&matched=&sentiment=
 *                     &sort=time|heat&offset=&limit=[&format=csv]
 *   GET    /api/search/saved               the caller's saved searches
 *   POST   /api/search/saved               {"name","query","filters":{...}} -> 201 the saved one
 *   DELETE /api/search/saved/{id}          the caller's own only (else 404)
 *   GET    /api/search/saved/{id}/rule     a draft rule file (YAML) with the query as expr
 * The engine is archive_query.h over web_archive() (503 while there is none). Roles
 * (docs/archive.md): admins and duty officers search everything; a liaison or a department head
 * searches only items matched by a rule whose lead department is their own (forced filter). Saved
 * searches live in the ticket store's table saved_searches (migration 10), opened per request
 * on the web's database file; POST and DELETE pass web.c's CSRF check like every other write.
 */
#include "web_search.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "archive.h"
#include "archive_query.h"
#include "rules.h"
#include "web_reply.h"
#include "web_text.h"
#include "yq_json.h"
#include "yq_buf.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_text.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define SAVED_MAX_PER_USER 100 /* saved searches of one user */
#define SAVED_NAME_MAX_CP 64   /* code points of a saved search's name */
#define SAVED_NAME_MAX_BYTES 256
#define SAVED_FILTERS_MAX_BYTES 2048 /* the filters object as JSON */
#define FILTER_VALUE_MAX_BYTES 256   /* one filter value (source, channel, ...) */
#define CSV_BOM "\xEF\xBB\xBF"       /* so that spreadsheet programs read the CSV as UTF-8 */

/* The filter keys a saved search keeps (the GET parameters other than q, offset, format). */
static const char *const filter_keys[] = {"since",   "until",     "source", "source_id", "channel",
                                          "matched", "sentiment", "sort",   "limit"};

static const char *arg(struct web_call *call, const char *key)
{
    const char *v = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, key);
    return v && v[0] ? v : NULL;
}

static bool method_is(const struct web_call *call, const char *m)
{
    return strcmp(call->method, m) == 0;
}

static bool is_get(const struct web_call *call)
{
    return method_is(call, MHD_HTTP_METHOD_GET) || method_is(call, MHD_HTTP_METHOD_HEAD);
}

static json_t *time_json(int64_t t)
{
    char buf[32];
    return json_string(yq_time_format_utc(t, buf, sizeof(buf)));
}

/* A non-negative decimal at most max. Returns 0 or ERR_INVALID. */
static int parse_size(const char *s, size_t max, size_t *out)
{
    char *end = NULL;
    unsigned long long v;

    if (!s || s[0] < '0' || s[0] > '9') {
        return ERR_INVALID;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || *end || v > max) {
        return ERR_INVALID;
    }
    *out = (size_t)v;
    return 0;
}

/* A time bound: RFC 3339 or a date (Beijing time); an until date means the end of that day. */
static int parse_bound(const char *s, bool until, int64_t *out)
{
    int err = until ? yq_time_parse_until(s, out) : yq_time_parse_iso(s, out, NULL);
    return err ? ERR_INVALID : 0;
}

static bool value_ok(const char *s)
{
    size_t bad;
    return strlen(s) <= FILTER_VALUE_MAX_BYTES && yq_utf8_valid(s, strlen(s), &bad);
}

/* ------------------------------------------------------------ GET /api/search */

/* Where read_params() takes a parameter from: its value, NULL when absent or empty. */
typedef const char *(*param_fn)(void *src, const char *key);

static const char *request_param(void *src, const char *key)
{
    return arg(src, key);
}

/* A saved search's filters object (string values; check_filters() checked the types). */
static const char *filters_param(void *src, const char *key)
{
    const char *v = json_string_value(json_object_get(src, key));
    return v && v[0] ? v : NULL;
}

/*
 * Read the parameters of src (through get) into o (filter strings borrowed from src). The one
 * check of a search's parameters: GET /api/search's and a saved search's filters. Returns NULL,
 * or the reason (Chinese) for a 400.
 */
static const char *read_params_from(param_fn get, void *src, struct archive_search_opts *o,
                                    bool *csv)
{
    const char *v;

    memset(o, 0, sizeof(*o));
    *csv = false;
    if ((v = get(src, "since")) && parse_bound(v, false, &o->filter.since_s)) {
        return "since_invalid: since 应为日期或时间（如 2026-11-01 或 2026-11-01T08:00:00+08:00）";
    }
    if ((v = get(src, "until")) && parse_bound(v, true, &o->filter.until_s)) {
        return "until_invalid: until 应为日期或时间（如 2026-11-30 或 2026-11-30T18:00:00+08:00）";
    }
    if (o->filter.since_s && o->filter.until_s && o->filter.until_s <= o->filter.since_s) {
        return "range_invalid: until 应晚于 since";
    }
    o->filter.source = get(src, "source");
    if (o->filter.source && !yq_label_known_code(YQ_LABEL_SOURCE_KIND, o->filter.source)) {
        /* no archived item has another kind: the answer would be an empty list */
        return "source_invalid: source "
               "须为来源类型代码（rss、atom、json、wechat、weibo、wechat_feed、"
               "weibo_user、weibo_search、weibo_hot）";
    }
    o->filter.source_id = get(src, "source_id");
    o->filter.channel = get(src, "channel");
    if ((o->filter.source && !value_ok(o->filter.source)) ||
        (o->filter.source_id && !value_ok(o->filter.source_id)) ||
        (o->filter.channel && !value_ok(o->filter.channel))) {
        return "来源或账号过长或不是 UTF-8";
    }
    v = get(src, "matched");
    if (!v || strcmp(v, "any") == 0 || strcmp(v, "all") == 0) {
        o->filter.matched = 0;
    } else if (strcmp(v, "yes") == 0 || strcmp(v, "1") == 0 || strcmp(v, "true") == 0) {
        o->filter.matched = 1;
    } else if (strcmp(v, "no") == 0 || strcmp(v, "0") == 0 || strcmp(v, "false") == 0) {
        o->filter.matched = 2;
    } else {
        return "matched_invalid: matched 只能是 yes（命中规则）、no（未命中）或 any";
    }
    if ((v = get(src, "sentiment")) && strcmp(v, "any") != 0) {
        if (yq_sentiment_parse(v, &o->filter.sentiment) != 0) {
            return "sentiment_invalid: sentiment 只能是 positive、neutral 或 negative";
        }
        o->filter.has_sentiment = true;
    }
    v = get(src, "sort");
    if (!v || strcmp(v, "time") == 0) {
        o->sort = ARCHIVE_SORT_TIME;
    } else if (strcmp(v, "heat") == 0) {
        o->sort = ARCHIVE_SORT_HEAT;
    } else {
        return "sort_invalid: sort 只能是 time 或 heat";
    }
    if ((v = get(src, "offset")) && parse_size(v, ARCHIVE_SEARCH_MAX_OFFSET, &o->offset)) {
        return "offset_invalid: offset 应为 0 到 100000 的整数";
    }
    o->limit = ARCHIVE_SEARCH_DEFAULT_LIMIT;
    if ((v = get(src, "limit")) &&
        (parse_size(v, ARCHIVE_SEARCH_MAX_LIMIT, &o->limit) || o->limit == 0)) {
        return "limit_invalid: limit 应为 1 到 200 的整数";
    }
    v = get(src, "format");
    if (v && strcmp(v, "csv") == 0) {
        *csv = true;
    } else if (v && strcmp(v, "json") != 0) {
        return "format 只能是 json 或 csv";
    }
    return NULL;
}

static const char *read_params(struct web_call *call, struct archive_search_opts *o, bool *csv)
{
    return read_params_from(request_param, call, o, csv);
}

/* Roles: a liaison's forced filter. Returns false when the caller may not search at all. */
static bool apply_role(const struct web_call *call, struct archive_search_opts *o, bool *restricted)
{
    *restricted = false;
    switch (call->p.user.role) {
    case WEB_ROLE_ADMIN:
    case WEB_ROLE_DUTY:
        return true;
    case WEB_ROLE_HEAD: /* bound to a department like a liaison (as for tickets and 专报) */
    case WEB_ROLE_LIAISON:
        if (!call->p.user.department[0]) {
            return false;
        }
        o->filter.department = call->p.user.department;
        o->filter.matched = 1;
        *restricted = true;
        return true;
    case WEB_ROLE_NONE:
    default:
        return false;
    }
}

static enum MHD_Result reply_query_error(struct web_call *call, int err, const char *why)
{
    char msg[600];
    if (err == ERR_NOMEM || err == ERR_NOT_FOUND) {
        LOG_WARN("search query failed err='%s' reason='%s'", yq_strerror(err), why);
        return web_reply_store_error(call, err == ERR_NOT_FOUND ? ERR_IO : err);
    }
    snprintf(msg, sizeof(msg), "检索式有误：%s", why);
    return web_reply_error(call, MHD_HTTP_BAD_REQUEST, "bad_query", msg);
}

/*
 * The archive cannot be read: 503 with a message that names no path, host, user or database
 * (any signed-in user may search; the reason goes to the log for the administrator).
 */
static enum MHD_Result reply_archive_error(struct web_call *call, int err, const char *why)
{
    LOG_WARN("search archive unavailable err='%s' reason='%s'", yq_strerror(err), why);
    snprintf(call->retry_after, sizeof(call->retry_after), "30");
    return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "no_archive",
                           "舆情档案库不可用（原因见通知服务的日志）");
}

/*
 * Give each match of hits (a JSON array of archive_hit_json() objects) the ticket store's
 * "event_id" of its event key, when the store knows the event (the page links it to the event
 * page). Best effort: without a store or its events table the matches stay as they are.
 */
static void add_event_ids(struct web_call *call, json_t *hits)
{
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    char why[256] = "";
    bool has = false;
    size_t i, k;
    json_t *hit, *m;

    if (yq_db_open(call->w->db_path, YQ_DB_READONLY_OPEN, call->w->cfg.auth.busy_timeout_ms, &db,
                       why, sizeof(why)) != 0 ||
        yq_db_has_table(db, "events", &has, why, sizeof(why)) != 0 || !has ||
        yq_db_prepare(db, "SELECT id FROM events WHERE event_key = ?1", &st, "event ids", why,
                          sizeof(why)) != 0) {
        yq_db_close(db);
        return;
    }
    json_array_foreach(hits, i, hit)
    {
        json_array_foreach(json_object_get(hit, "matches"), k, m)
        {
            const char *key = json_string_value(json_object_get(m, "event_key"));
            if (!key || !key[0]) {
                continue;
            }
            yq_stmt_reset(st);
            yq_stmt_bind_text(st, 1, key);
            if (yq_stmt_step(st) == YQ_DB_ROW) {
                json_object_set_new(m, "event_id", json_integer(yq_stmt_column_int64(st, 0)));
            }
        }
    }
    yq_stmt_finalize(st);
    yq_db_close(db);
}

static enum MHD_Result route_search(struct web_call *call)
{
    const char *qtext = arg(call, "q"), *bad;
    struct archive_search_opts o;
    struct archive_search_result res;
    struct archive_query *q = NULL;
    struct archive *a = NULL;
    char why[512] = "";
    bool csv, restricted;
    int64_t t0 = yq_time_mono_ms();
    json_t *hits, *out;
    int err;

    if (!is_get(call)) {
        return web_reply_method_not_allowed(call);
    }
    if ((bad = read_params(call, &o, &csv))) {
        return web_reply_bad_request(call, bad);
    }
    if (!apply_role(call, &o, &restricted)) {
        return web_reply_forbidden(call);
    }
    err = archive_query_compile(qtext ? qtext : "", &q, why, sizeof(why));
    if (err) {
        return reply_query_error(call, err, why);
    }
    err = web_archive(call->w, &a, why, sizeof(why));
    if (err) {
        archive_query_free(q);
        return reply_archive_error(call, err, why);
    }
    if (csv) {
        char *body = NULL, *withbom;
        size_t len = 0, rows = 0;
        o.offset = 0;
        err = archive_search_csv(a, q, &o, ARCHIVE_SEARCH_CSV_MAX_ROWS, &body, &len, &rows, why,
                                 sizeof(why));
        archive_query_free(q);
        if (err) {
            LOG_WARN("search csv failed err='%s' reason='%s'", yq_strerror(err), why);
            return web_reply_store_error(call, err);
        }
        withbom = malloc(len + sizeof(CSV_BOM));
        if (!withbom) {
            free(body);
            return MHD_NO;
        }
        memcpy(withbom, CSV_BOM, sizeof(CSV_BOM) - 1);
        memcpy(withbom + sizeof(CSV_BOM) - 1, body, len);
        free(body);
        LOG_INFO("search csv user=%s rows=%zu", YQ_Q(call->p.user.username), rows);
        return web_reply_body(call, MHD_HTTP_OK, "text/csv; charset=utf-8", withbom,
                              len + sizeof(CSV_BOM) - 1,
                              "attachment; filename=\"yuqing-search.csv\"");
    }
    err = archive_search(a, q, &o, &res, why, sizeof(why));
    if (err) {
        archive_query_free(q);
        archive_search_result_release(&res);
        LOG_WARN("search failed err='%s' reason='%s'", yq_strerror(err), why);
        return web_reply_store_error(call, err);
    }
    hits = json_array();
    for (size_t i = 0; hits && i < res.n_hits; i++) {
        if (json_array_append_new(hits, archive_hit_json(&res.hits[i]))) {
            json_decref(hits);
            hits = NULL;
        }
    }
    if (hits) {
        add_event_ids(call, hits);
    }
    out = json_pack("{s:s, s:I, s:b, s:b, s:b, s:I, s:I, s:s, s:b, s:I, s:s, s:o*, s:I}", "query",
                    archive_query_text(q), "total", (json_int_t)res.total, "total_exact",
                    res.total_exact, "heat_capped", res.heat_capped, "scan_capped", res.scan_capped,
                    "offset", (json_int_t)o.offset, "limit", (json_int_t)o.limit, "sort",
                    o.sort == ARCHIVE_SORT_HEAT ? "heat" : "time", "restricted", restricted,
                    "candidates", (json_int_t)res.candidates, "plan", res.walked ? "walk" : "index",
                    "hits", hits, "took_ms", (json_int_t)(yq_time_mono_ms() - t0));
    archive_query_free(q);
    archive_search_result_release(&res);
    if (!out) {
        return MHD_NO;
    }
    return web_reply_json(call, MHD_HTTP_OK, out);
}

/* ------------------------------------------------------------ saved searches */

static int saved_open(struct web_call *call, struct yq_db **db, char *why, size_t whylen)
{
    bool has = false;
    int err =
        yq_db_open(call->w->db_path, 0, call->w->cfg.auth.busy_timeout_ms, db, why, whylen);
    if (!err) {
        err = yq_db_has_table(*db, "saved_searches", &has, why, whylen);
    }
    if (!err && !has) {
        snprintf(why, whylen,
                 "the database has no table saved_searches (ticket store migration 10)");
        err = ERR_NOT_FOUND;
    }
    if (err) {
        yq_db_close(*db);
        *db = NULL;
    }
    return err;
}

static enum MHD_Result reply_saved_error(struct web_call *call, int err, const char *why)
{
    LOG_WARN("saved searches failed err='%s' reason='%s'", yq_strerror(err), why);
    if (err == ERR_NOT_FOUND) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "no_store",
                               "保存检索需要工单库（请先运行 yuqingctl tickets 迁移）");
    }
    return web_reply_store_error(call, err);
}

static json_t *saved_row_json(struct yq_stmt *st)
{
    const char *filters = yq_stmt_column_text(st, 3);
    json_t *f = json_loads(filters ? filters : "{}", 0, NULL);
    if (!json_is_object(f)) {
        json_decref(f);
        f = json_object();
    }
    return json_pack(
        "{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)yq_stmt_column_int64(st, 0), "name",
        yq_stmt_column_text(st, 1), "query", yq_stmt_column_text(st, 2),
        "filters", f, "created_at", time_json(yq_stmt_column_int64(st, 4)), "updated_at",
        time_json(yq_stmt_column_int64(st, 5)));
}

static enum MHD_Result saved_list(struct web_call *call)
{
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    char why[512] = "";
    json_t *arr = json_array();
    int err, rc;

    err = saved_open(call, &db, why, sizeof(why));
    if (!err) {
        err =
            yq_db_prepare(db,
                              "SELECT id, name, query, filters, created_at, updated_at FROM "
                              "saved_searches WHERE user_id = ?1 ORDER BY updated_at DESC, id DESC",
                              &st, "saved list", why, sizeof(why));
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, call->p.user.id);
        while ((rc = yq_db_step(db, st, "saved list", why, sizeof(why))) == 1) {
            if (!arr || json_array_append_new(arr, saved_row_json(st))) {
                err = ERR_NOMEM;
                break;
            }
        }
        if (rc < 0) {
            err = rc;
        }
    }
    yq_stmt_finalize(st);
    yq_db_close(db);
    if (err) {
        json_decref(arr);
        return reply_saved_error(call, err, why);
    }
    return web_reply_json(call, MHD_HTTP_OK, json_pack("{s:o}", "saved", arr));
}

/*
 * Check a saved search's filters object: string values of known keys only, each as GET
 * /api/search checks it. Returns NULL or the reason (Chinese) for a 400.
 */
static const char *check_filters(const json_t *f)
{
    struct archive_search_opts o;
    const char *key;
    bool csv;
    json_t *v;
    json_object_foreach((json_t *)f, key, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(filter_keys) / sizeof(filter_keys[0]); i++) {
            known = known || strcmp(key, filter_keys[i]) == 0;
        }
        if (!known) {
            return "filters 含未知的键";
        }
        if (!json_is_string(v) || !value_ok(json_string_value(v))) {
            return "filters 的值应为字符串";
        }
    }
    /* the values as GET /api/search would read them, so that the saved search opens */
    return read_params_from(filters_param, (void *)f, &o, &csv);
}

static enum MHD_Result saved_create(struct web_call *call)
{
    json_t *body = web_body_json(call), *filters;
    const char *name, *query, *bad = NULL;
    struct archive_query *q = NULL;
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    char why[512] = "", *fjson = NULL;
    int64_t id = 0, count = 0;
    int err;
    size_t badpos;

    name = json_string_value(json_object_get(body, "name"));
    query = json_string_value(json_object_get(body, "query"));
    filters = json_object_get(body, "filters");
    if (!name || !query) {
        json_decref(body);
        return web_reply_bad_request(call, "请填写检索名称和检索式");
    }
    if (!name[0] || strlen(name) > SAVED_NAME_MAX_BYTES ||
        !yq_utf8_valid(name, strlen(name), &badpos) ||
        yq_utf8_count_cp(name, strlen(name)) > SAVED_NAME_MAX_CP) {
        bad = "检索名称应为 1 到 64 个字";
    } else if (yq_text_has_control(name)) {
        bad = "检索名称不能含控制字符（换行、制表符等）";
    } else if (filters && !json_is_object(filters)) {
        bad = "filters 应为对象";
    } else if (filters) {
        bad = check_filters(filters);
    }
    if (bad) {
        json_decref(body);
        return web_reply_bad_request(call, bad);
    }
    err = archive_query_compile(query, &q, why, sizeof(why));
    if (!err && !archive_query_narrow(q)) {
        err = ERR_INVALID;
        snprintf(why, sizeof(why), "empty query");
    }
    archive_query_free(q);
    if (err) {
        json_decref(body);
        return reply_query_error(call, err, why);
    }
    fjson = yq_json_dumps(filters ? filters : json_object(), JSON_COMPACT | JSON_SORT_KEYS);
    if (!fjson || strlen(fjson) > SAVED_FILTERS_MAX_BYTES) {
        free(fjson);
        json_decref(body);
        return fjson ? web_reply_bad_request(call, "filters 过长") : MHD_NO;
    }
    err = saved_open(call, &db, why, sizeof(why));
    if (!err) {
        err = yq_db_exec(db, "BEGIN IMMEDIATE", "saved begin", why, sizeof(why));
    }
    if (!err) {
        err = yq_db_prepare(db, "SELECT count(*) FROM saved_searches WHERE user_id = ?1", &st,
                                "saved count", why, sizeof(why));
        if (!err) {
            yq_stmt_bind_int64(st, 1, call->p.user.id);
            err = yq_db_step(db, st, "saved count", why, sizeof(why));
            count = err == 1 ? yq_stmt_column_int64(st, 0) : 0;
            err = err == 1 ? 0 : err;
            yq_stmt_finalize(st);
            st = NULL;
        }
        if (!err && count >= SAVED_MAX_PER_USER) {
            err = ERR_TOO_BIG;
        }
        if (!err) {
            err = yq_db_prepare(db,
                                    "INSERT INTO saved_searches (user_id, name, query, filters, "
                                    "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5) RETURNING id",
                                    &st, "saved insert", why, sizeof(why));
        }
        if (!err) {
            yq_stmt_bind_int64(st, 1, call->p.user.id);
            yq_stmt_bind_text(st, 2, name);
            yq_stmt_bind_text(st, 3, query);
            yq_stmt_bind_text(st, 4, fjson);
            yq_stmt_bind_int64(st, 5, call->now);
            err = yq_db_run_id(db, st, &id, "saved insert", why, sizeof(why));
            st = NULL;
        }
        if (!err) {
            err = yq_db_exec(db, "COMMIT", "saved commit", why, sizeof(why));
        }
        if (err) {
            yq_db_rollback(db);
        }
    }
    yq_db_close(db);
    free(fjson);
    if (err == ERR_TOO_BIG) {
        json_decref(body);
        return web_reply_error(call, MHD_HTTP_CONFLICT, "too_many",
                               "保存的检索已达 100 条上限，请先删除不用的");
    }
    if (err == ERR_INVALID) {
        json_decref(body);
        return web_reply_error(call, MHD_HTTP_CONFLICT, "duplicate", "已有同名的保存检索");
    }
    if (err) {
        json_decref(body);
        return reply_saved_error(call, err, why);
    }
    LOG_INFO("search saved user=%s id=%lld", YQ_Q(call->p.user.username), (long long)id);
    {
        json_t *out =
            json_pack("{s:I, s:s, s:s, s:O, s:o, s:o}", "id", (json_int_t)id, "name", name, "query",
                      query, "filters", filters ? filters : json_object(), "created_at",
                      time_json(call->now), "updated_at", time_json(call->now));
        json_decref(body);
        return out ? web_reply_json(call, MHD_HTTP_CREATED, out) : MHD_NO;
    }
}

/* The caller's saved search id: *name and *query new strings (free()). ERR_NOT_FOUND. */
static int saved_get(struct web_call *call, int64_t id, char **name, char **query, char *why,
                     size_t whylen)
{
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    int err = saved_open(call, &db, why, whylen);

    *name = *query = NULL;
    if (!err) {
        err = yq_db_prepare(db,
                                "SELECT name, query FROM saved_searches WHERE id = ?1 AND "
                                "user_id = ?2",
                                &st, "saved get", why, whylen);
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, id);
        yq_stmt_bind_int64(st, 2, call->p.user.id);
        err = yq_db_step(db, st, "saved get", why, whylen);
        if (err == 1) {
            *name = strdup(yq_stmt_column_text(st, 0));
            *query = strdup(yq_stmt_column_text(st, 1));
            err = *name && *query ? 0 : ERR_NOMEM;
        } else if (err == 0) {
            err = ERR_NOT_FOUND;
            snprintf(why, whylen, "no saved search %lld of this user", (long long)id);
        }
    }
    yq_stmt_finalize(st);
    yq_db_close(db);
    if (err) {
        free(*name);
        free(*query);
        *name = *query = NULL;
    }
    return err;
}

static enum MHD_Result saved_delete(struct web_call *call, int64_t id)
{
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    char why[512] = "";
    bool missing = false;
    int err = saved_open(call, &db, why, sizeof(why));

    if (!err) {
        err = yq_db_prepare(db, "DELETE FROM saved_searches WHERE id = ?1 AND user_id = ?2",
                                &st, "saved delete", why, sizeof(why));
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, id);
        yq_stmt_bind_int64(st, 2, call->p.user.id);
        err = yq_db_run(db, st, "saved delete", why, sizeof(why));
        /* another user's search is not found either */
        missing = !err && yq_db_changes(db) == 0;
    }
    yq_db_close(db);
    if (missing) {
        return web_reply_not_found(call);
    }
    if (err) {
        return reply_saved_error(call, err, why);
    }
    LOG_INFO("search saved delete user=%s id=%lld", YQ_Q(call->p.user.username), (long long)id);
    return web_reply_no_content(call);
}

/*
 * Append s as a YAML double-quoted scalar that loads back byte-identical: '"' and '\\'
 * escaped, C0 and DEL as \\xNN, and the characters YAML reads as line breaks (U+0085,
 * U+2028, U+2029, which a double-quoted scalar would fold) as \\N, \\L, \\P.
 */
static int yaml_quoted(struct yq_buf *b, const char *s)
{
    int err = yq_buf_addc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; !err && *p; p++) {
        if (*p == '"' || *p == '\\') {
            err = yq_buf_addc(b, '\\');
            if (!err) {
                err = yq_buf_addc(b, (char)*p);
            }
        } else if (*p < 0x20 || *p == 0x7f) {
            err = yq_buf_addf(b, "\\x%02x", *p);
        } else if (p[0] == 0xc2 && p[1] == 0x85) {
            err = yq_buf_add(b, "\\N", 2); /* U+0085 NEL: a YAML line break if written raw */
            p++;
        } else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
            err = yq_buf_add(b, p[2] == 0xa8 ? "\\L" : "\\P", 2); /* U+2028, U+2029 */
            p += 2;
        } else {
            err = yq_buf_addc(b, (char)*p);
        }
    }
    return err ? err : yq_buf_addc(b, '"');
}

int web_search_draft_rule(int64_t id, const char *name, const char *query, const char *department,
                          char **out, char *errbuf, size_t errlen)
{
    struct yq_buf b;
    struct rule_set *rs = NULL;
    int err;

    *out = NULL;
    yq_buf_init(&b, 64 * 1024);
    err =
        yq_buf_addf(&b,
                    "# 规则草稿：由保存的检索生成。推送前请核对 department（牵头部门）与 level，\n"
                    "# 并先回测（yuqingctl rules backtest）。\n"
                    "group: 检索草稿\n"
                    "rules:\n"
                    "  - id: search-%lld\n"
                    "    name: ",
                    (long long)id);
    err = err ? err : yaml_quoted(&b, name);
    err = err ? err : yq_buf_adds(&b, "\n    department: ");
    err = err ? err : yaml_quoted(&b, department && department[0] ? department : "待指定");
    err = err ? err : yq_buf_adds(&b, "\n    level: IV\n    scope: all\n    expr: ");
    err = err ? err : yaml_quoted(&b, query);
    err = err ? err : yq_buf_addc(&b, '\n');
    if (err) {
        yq_buf_release(&b);
        snprintf(errbuf, errlen, "draft rule: %s", yq_strerror(err));
        return err;
    }
    /* the draft must be what the rules page and CLI accept */
    rs = rule_set_new();
    err = rs ? rule_set_add_yaml(rs, "draft.yaml", b.data, b.len, errbuf, errlen) : ERR_NOMEM;
    if (!err) {
        err = rule_set_compile(rs, errbuf, errlen);
    }
    rule_set_free(rs);
    if (err) {
        yq_buf_release(&b);
        return err;
    }
    *out = yq_buf_steal(&b, NULL);
    return *out ? 0 : ERR_NOMEM;
}

static enum MHD_Result saved_rule(struct web_call *call, int64_t id)
{
    char why[512] = "", *name = NULL, *query = NULL, *yaml = NULL, file[64];
    int err = saved_get(call, id, &name, &query, why, sizeof(why));
    json_t *out;

    if (err == ERR_NOT_FOUND && strncmp(why, "no saved", 8) == 0) {
        return web_reply_not_found(call);
    }
    if (err) {
        return reply_saved_error(call, err, why);
    }
    err = web_search_draft_rule(id, name, query, call->p.user.department, &yaml, why, sizeof(why));
    if (err) {
        free(name);
        free(query);
        return reply_query_error(call, err, why);
    }
    snprintf(file, sizeof(file), "search-%lld.yaml", (long long)id);
    out = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)id, "name", name, "query", query,
                    "file", file, "yaml", yaml);
    free(name);
    free(query);
    free(yaml);
    return out ? web_reply_json(call, MHD_HTTP_OK, out) : MHD_NO;
}

static enum MHD_Result route_saved(struct web_call *call, const char *rest)
{
    const char *slash;
    int64_t id;

    if (call->p.user.role == WEB_ROLE_NONE || call->p.user.id <= 0) {
        return web_reply_forbidden(call);
    }
    if (!rest[0]) {
        if (is_get(call)) {
            return saved_list(call);
        }
        if (method_is(call, MHD_HTTP_METHOD_POST)) {
            return saved_create(call);
        }
        return web_reply_method_not_allowed(call);
    }
    slash = strchr(rest, '/');
    if (web_parse_id(rest, slash ? (size_t)(slash - rest) : strlen(rest), 18, &id)) {
        return web_reply_not_found(call);
    }
    if (!slash) {
        return method_is(call, MHD_HTTP_METHOD_DELETE) ? saved_delete(call, id)
                                                       : web_reply_method_not_allowed(call);
    }
    if (strcmp(slash, "/rule") == 0) {
        return is_get(call) ? saved_rule(call, id) : web_reply_method_not_allowed(call);
    }
    return web_reply_not_found(call);
}

enum MHD_Result web_route_search(struct web_call *call, const char *rest)
{
    if (!rest[0]) {
        return route_search(call);
    }
    if (strncmp(rest, "saved", 5) == 0 && (rest[5] == '\0' || rest[5] == '/')) {
        return route_saved(call, rest[5] ? rest + 6 : "");
    }
    return web_reply_not_found(call);
}
