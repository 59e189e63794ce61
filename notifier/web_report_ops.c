#include "web_report_ops.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "briefing.h"
#include "ticket_store_int.h"
#include "web_notifier_ctx.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The row JSON of web_types.h (new reference or NULL). */
static json_t *row_json(const struct briefing_report *r)
{
    char s[40], e[40], c[40], url[48];
    snprintf(url, sizeof(url), "/api/reports/%lld", (long long)r->id);
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "id", (json_int_t)r->id,
                     "kind", r->kind, "title", r->title, "period_start",
                     yq_time_format_utc(r->period_start, s, sizeof(s)), "period_end",
                     yq_time_format_utc(r->period_end, e, sizeof(e)), "event_id",
                     r->event_id > 0 ? json_integer(r->event_id) : json_null(), "created_at",
                     yq_time_format_utc(r->created_at, c, sizeof(c)), "created_by", r->created_by,
                     "url", url);
}

static int ops_list(void *ctx, const char *kind, const char *department, size_t max, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    struct briefing_report *v = NULL;
    json_t *arr;
    size_t n = 0;
    int err;

    *out = NULL;
    pthread_mutex_lock(x->lock);
    err = briefing_reports_list(x->reader, kind, department, max, &v, &n);
    pthread_mutex_unlock(x->lock);
    if (err) {
        return err;
    }
    arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        if (json_array_append_new(arr, row_json(&v[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    briefing_reports_free(v, n);
    if (!arr || !(*out = json_pack("{s:o}", "reports", arr))) {
        return ERR_NOMEM;
    }
    return 0;
}

static int ops_get(void *ctx, int64_t id, const char *department, char **html_out,
                   size_t *len_out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = briefing_report_get(x->reader, id, department, html_out, NULL);
    pthread_mutex_unlock(x->lock);
    *len_out = err ? 0 : strlen(*html_out);
    return err;
}

/* {"report":row,"created":created} of stored report id (writer handle, lock held). */
static int result_of(struct ticket_store *store, int64_t id, bool created, json_t **out)
{
    struct briefing_report row;
    char *html = NULL;
    int err = briefing_report_get(store, id, NULL, &html, &row);
    if (err) {
        return err;
    }
    free(html);
    *out = json_pack("{s:o, s:b}", "report", row_json(&row), "created", created);
    briefing_report_release(&row);
    return *out ? 0 : ERR_NOMEM;
}

static int ops_daily(void *ctx, const char *day, const struct web_actor *actor, json_t **out,
                     char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    const struct briefing_env *env = ticket_store_policy_or_default(x->writer)->briefing;
    const struct briefing_cfg *cfg = env && env->cfg ? env->cfg : briefing_cfg_defaults();
    int64_t now = yq_time_now(), d, id = 0;
    bool created = false;
    char why[400] = "";
    int err;

    *out = NULL;
    if (day && briefing_parse_day(day, &d) != 0) {
        snprintf(errbuf, errlen, "day 须为 YYYY-MM-DD 格式的日期");
        return ERR_INVALID;
    }
    if (!day) {
        d = briefing_latest_day(now, cfg->hour);
    }
    if (briefing_day_too_old(d, now)) {
        snprintf(errbuf, errlen, "只能生成 %d 天以内的日报，该日过早", BRIEFING_MAX_PAST_DAYS);
        return ERR_INVALID;
    }
    pthread_mutex_lock(x->lock);
    err = briefing_daily_ensure(x->writer, env, d, actor->username, now, &id, &created, why,
                                sizeof(why));
    if (!err) {
        err = result_of(x->writer, id, created, out);
    }
    pthread_mutex_unlock(x->lock);
    if (err == ERR_INVALID) {
        snprintf(errbuf, errlen, "该日的统计时段（截至当日 %02lld:00）尚未结束",
                 (long long)cfg->hour);
    } else if (err == ERR_BAD_STATE) {
        snprintf(errbuf, errlen, "交办单库版本过旧，无法生成日报：%s", why);
    }
    return err;
}

static int ops_event(void *ctx, int64_t event_id, const struct web_actor *actor, json_t **out,
                     char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    const struct briefing_env *env = ticket_store_policy_or_default(x->writer)->briefing;
    int64_t id = 0;
    char why[400] = "";
    int err;

    *out = NULL;
    pthread_mutex_lock(x->lock);
    err = briefing_event_create(x->writer, env, event_id, actor->username, yq_time_now(), &id,
                                why, sizeof(why));
    if (!err) {
        err = result_of(x->writer, id, true, out);
    }
    pthread_mutex_unlock(x->lock);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "事件不存在");
    }
    return err;
}

const struct web_report_ops web_report_ops = {
    .list = ops_list,
    .get = ops_get,
    .daily = ops_daily,
    .event = ops_event,
};
