/*
 * The statistics API of the web UI (issue #7, docs/statistics.md): a month's or a year's report
 * of the ticket store (stats_render.h) as JSON or as a CSV download, computed on a read-only
 * SQLite connection of the ticket database opened for the request (stats_load() reads one
 * consistent snapshot while the notifier keeps writing in WAL mode), with the notifier's
 * working-day calendar (web_cfg.calendar).
 *
 * Any logged-in role may ask. A liaison or department head always gets their own department's
 * figures, whatever the query says; duty officers and admins may filter by department.
 *
 * Issue #17: a published month shows the published 通报 with "publication" and "differences"
 * (stats_publish.h: stats_month_view()); the year adds "published" (the figures from the
 * published months plus their differences). POST /api/stats/publish?month=YYYY-MM publishes a
 * month that has ended: admins and duty officers (the office's 值班室 issues the 通报; liaisons
 * and heads, bound to a department, may not), on a read-write connection of the store; 409
 * when it was published already (a publication never changes) or the month has not ended.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stats_load.h"
#include "stats_publish.h"
#include "stats_render.h"
#include "web_internal.h"
#include "web_reply.h"
#include "web_stats.h"
#include "yq_departments.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_banned.h"

/* A department name in a query: at most this many bytes (web_auth's own limit). */
#define STATS_DEPARTMENT_MAX WEB_DEPARTMENT_MAX

/* What a statistics request asks for, after the access rules were applied. */
struct stats_query {
    enum stats_period period;
    int year;
    int month; /* 1..12 for a month */
    const char *department; /* NULL = every department; borrowed from the request */
    enum stats_format fmt;  /* STATS_FORMAT_JSON or STATS_FORMAT_CSV */
};

static const char *query_arg(struct web_call *call, const char *key)
{
    const char *v = MHD_lookup_connection_value(call->c, MHD_GET_ARGUMENT_KIND, key);
    return v && v[0] ? v : NULL;
}

/* True when s is valid UTF-8 (jansson refuses anything else, so a report could not carry it). */
static bool utf8_ok(const char *s)
{
    json_t *v = json_string(s);
    bool ok = v != NULL;
    json_decref(v);
    return ok;
}

/*
 * Percent-encode s for an RFC 5987 filename* parameter (attr-char kept, all else %XX) into out
 * (len bytes, NUL-terminated). Returns 0 or ERR_TOO_BIG.
 */
static int percent_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_';
        size_t need = keep ? 1 : 3;
        if (o + need >= len) {
            return ERR_TOO_BIG;
        }
        if (keep) {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 0x0f];
        }
    }
    out[o] = '\0';
    return 0;
}

/*
 * Fill q from the query string of call and the caller's role. Returns NULL when the request is
 * fine, else the zh-CN reason for a 400 (*forbidden set for a 403 instead).
 */
static const char *parse_query(struct web_call *call, enum stats_period period,
                               struct stats_query *q, bool *forbidden)
{
    const char *format = query_arg(call, "format");
    enum web_role role = call->p.user.role;

    memset(q, 0, sizeof(*q));
    *forbidden = false;
    q->period = period;
    if (period == STATS_PERIOD_MONTH) {
        const char *month = query_arg(call, "month");
        if (!month) {
            stats_previous_month(call->now, &q->year, &q->month); /* the scheduled report's */
        } else if (stats_parse_month(month, &q->year, &q->month) != 0) {
            return "月份格式应为 YYYY-MM";
        }
    } else {
        const char *year = query_arg(call, "year");
        if (!year || stats_parse_year(year, &q->year) != 0) {
            return "年份格式应为 YYYY";
        }
    }
    if (!format || strcmp(format, "json") == 0) {
        q->fmt = STATS_FORMAT_JSON;
    } else if (strcmp(format, "csv") == 0) {
        q->fmt = STATS_FORMAT_CSV;
    } else {
        return "格式应为 json 或 csv";
    }
    if (role == WEB_ROLE_LIAISON || role == WEB_ROLE_HEAD) {
        /* their own department, whatever the query says */
        if (!call->p.user.department[0]) {
            *forbidden = true;
            return "无权访问";
        }
        q->department = call->p.user.department;
    } else {
        q->department = query_arg(call, "department");
    }
    if (q->department &&
        (strlen(q->department) >= STATS_DEPARTMENT_MAX || !utf8_ok(q->department))) {
        return "部门名称无效";
    }
    return NULL;
}

/* Compute and render q. out: new buffer (free()). Returns what stats_render_*() return. */
static int render(struct web *w, int64_t now, const struct stats_query *q, char **out,
                  size_t *out_len, char *errbuf, size_t errlen)
{
    struct yq_db *db = NULL;
    int err;

    err = stats_db_open(w->db_path, w->cfg.auth.busy_timeout_ms, &db, errbuf, errlen);
    if (err) {
        return err == ERR_NOT_FOUND ? ERR_BAD_STATE : err; /* no ticket store (yet) */
    }
    if (q->department) {
        /* issue #11: a department the registry does not know is an error, not an empty report */
        bool registry = false;
        err = yq_departments_check(db, q->department, &registry, errbuf, errlen);
        if (err) {
            yq_db_close(db);
            return err; /* ERR_NOT_FOUND: not registered */
        }
    }
    {
        const struct stats_opts sopts = {
            .period = q->period,
            .year = q->year,
            .month = q->month,
            .now = now,
            .department = q->department,
            .calendar = w->cfg.calendar,
        };
        const struct stats_render_opts ropts = {.asset_base = "/static/stats/", .office = NULL};
        err = (q->period == STATS_PERIOD_MONTH ? stats_month_view : stats_year_view)(
            db, &sopts, q->fmt, &ropts, out, out_len, errbuf, errlen);
    }
    if (yq_db_close(db) != YQ_DB_OK) {
        char where[512];
        LOG_WARN("stats connection did not close location=%s",
                 yq_db_redact(w->db_path, where, sizeof(where)));
    }
    return err;
}

static enum MHD_Result reply_render_error(struct web_call *call, int err, const char *why)
{
    LOG_WARN("statistics failed path=%s err='%s' reason='%s'", call->url, yq_strerror(err), why);
    switch (err) {
    case ERR_INVALID:
        return web_reply_bad_request(call, "统计期间无效");
    case ERR_RETRY:
        snprintf(call->retry_after, sizeof(call->retry_after), "2");
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "交办单数据库忙，请稍后重试");
    case ERR_BAD_STATE:
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "统计服务不可用：未找到交办单数据库");
    default:
        return web_reply_error(call, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal",
                               "服务器内部错误");
    }
}

/* The CSV as a download named yuqing-stats-<label>[-<department>].csv. */
static enum MHD_Result reply_csv(struct web_call *call, const struct stats_query *q, char *csv,
                                 size_t len)
{
    char label[16], dept[STATS_DEPARTMENT_MAX * 3 + 1] = "", disposition[1024];

    if (q->period == STATS_PERIOD_MONTH) {
        snprintf(label, sizeof(label), "%04d-%02d", q->year, q->month);
    } else {
        snprintf(label, sizeof(label), "%04d", q->year);
    }
    if (q->department && percent_encode(q->department, dept, sizeof(dept)) != 0) {
        dept[0] = '\0'; /* cannot happen within STATS_DEPARTMENT_MAX; keep the plain name */
    }
    if (dept[0]) {
        snprintf(disposition, sizeof(disposition),
                 "attachment; filename=\"yuqing-stats-%s.csv\"; "
                 "filename*=UTF-8''yuqing-stats-%s-%s.csv",
                 label, label, dept);
    } else {
        snprintf(disposition, sizeof(disposition), "attachment; filename=\"yuqing-stats-%s.csv\"",
                 label);
    }
    return web_reply_body(call, MHD_HTTP_OK, "text/csv; charset=utf-8", csv, len, disposition);
}

/* The roles that publish the office's 通报 (docs/statistics.md "The published 通报"). */
static bool may_publish(enum web_role role)
{
    return role == WEB_ROLE_ADMIN || role == WEB_ROLE_DUTY;
}

/* POST /api/stats/publish?month=YYYY-MM */
static enum MHD_Result route_publish(struct web_call *call)
{
    struct web *w = call->w;
    const char *month = query_arg(call, "month");
    struct stats_opts sopts = {.period = STATS_PERIOD_MONTH, .now = call->now,
                               .calendar = w->cfg.calendar};
    struct stats_publication pub;
    char errbuf[512] = "";
    struct yq_db *db = NULL;
    json_t *body;
    int err;

    if (strcmp(call->method, MHD_HTTP_METHOD_POST) != 0) {
        return web_reply_method_not_allowed(call);
    }
    if (!may_publish(call->p.user.role)) {
        return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden",
                               "只有值班员和管理员可以发布通报");
    }
    if (!month || stats_parse_month(month, &sopts.year, &sopts.month) != 0) {
        return web_reply_bad_request(call, "月份格式应为 YYYY-MM");
    }
    err = yq_db_open(w->db_path, YQ_DB_WAL, w->cfg.auth.busy_timeout_ms, &db, errbuf,
                         sizeof(errbuf));
    if (!err) {
        err = stats_publish(db, &sopts, call->p.user.username,
                            web_role_name(call->p.user.role), NULL, &pub, errbuf,
                            sizeof(errbuf));
        yq_db_close(db);
    }
    if (err == ERR_EXISTS) {
        return web_reply_error(call, MHD_HTTP_CONFLICT, "published", errbuf);
    }
    if (err == ERR_BAD_STATE && sopts.year > 0 && strstr(errbuf, "尚未结束")) {
        return web_reply_error(call, MHD_HTTP_CONFLICT, "month_not_over", errbuf);
    }
    if (err == ERR_BAD_STATE && errbuf[0]) {
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", errbuf);
    }
    if (err) {
        return reply_render_error(call, err == ERR_NOT_FOUND ? ERR_BAD_STATE : err, errbuf);
    }
    LOG_INFO("statistics published period=%s by=%s", pub.period, pub.published_by);
    {
        char at[40];
        body = json_pack("{s:{s:s, s:s, s:s, s:s}}", "publication", "period", pub.period,
                         "published_at", yq_time_format_utc(pub.published_at, at, sizeof(at)),
                         "published_by", pub.published_by, "role", pub.role);
    }
    stats_publication_release(&pub);
    if (!body) {
        return reply_render_error(call, ERR_NOMEM, "publication JSON");
    }
    return web_reply_json(call, MHD_HTTP_OK, body);
}

enum MHD_Result web_route_stats(struct web_call *call, const char *rest)
{
    struct stats_query q;
    enum stats_period period;
    const char *why;
    char errbuf[256] = "";
    char *out = NULL;
    size_t len = 0;
    bool forbidden = false;
    json_t *report;
    int err;

    if (strcmp(rest, "month") == 0) {
        period = STATS_PERIOD_MONTH;
    } else if (strcmp(rest, "year") == 0) {
        period = STATS_PERIOD_YEAR;
    } else if (strcmp(rest, "publish") == 0) {
        return route_publish(call);
    } else {
        return web_reply_not_found(call);
    }
    if (strcmp(call->method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(call->method, MHD_HTTP_METHOD_HEAD) != 0) {
        return web_reply_method_not_allowed(call);
    }
    why = parse_query(call, period, &q, &forbidden);
    if (why) {
        return forbidden ? web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden", why)
                         : web_reply_bad_request(call, why);
    }
    err = render(call->w, call->now, &q, &out, &len, errbuf, sizeof(errbuf));
    if (err == ERR_NOT_FOUND && q.department) {
        char msg[256];
        free(out);
        snprintf(msg, sizeof(msg), "未登记的部门“%s”", q.department);
        return web_reply_bad_request(call, msg);
    }
    if (err) {
        free(out);
        return reply_render_error(call, err, errbuf);
    }
    if (q.fmt == STATS_FORMAT_CSV) {
        return reply_csv(call, &q, out, len);
    }
    /* Re-encode so that <, > and & are escaped like every other JSON answer of the web. */
    report = json_loadb(out, len, 0, NULL);
    free(out);
    if (!report) {
        return reply_render_error(call, ERR_NOMEM, "report JSON did not parse");
    }
    return web_reply_json(call, MHD_HTTP_OK, report);
}
