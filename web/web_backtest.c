/*
 * POST /api/rules/backtest (issue #14, docs/api.md): one rule file tried on the archive.
 *
 * The draft is the live rule set (Redis) with the file's rules added, or replacing the live
 * rules of the same id, its exclude and place lists merged in; with no live set the draft is the
 * file alone. The backtest (archive_backtest.h) runs in the request's thread over the web's
 * read-only archive (web.archive_dir), one at a time per process (a second request meanwhile
 * gets 429 busy), over the last since_days days (1..WEB_BACKTEST_MAX_DAYS) and at most
 * WEB_BACKTEST_MAX_ITEMS items; the request is exempt from web.max_request_ms (the connection
 * guard), which a month of a large archive may outlast. Its summary is recorded in Redis under the
 * draft's digest as the CLI records it (rules_digest.h), so the same set pushed from a directory
 * needs no second backtest.
 */
#include "web_backtest.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "archive_backtest.h"
#include "rules.h"
#include "rules_digest.h"
#include "rules_store.h"
#include "web_guard.h"
#include "web_reply.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_banned.h"

#define WEB_BACKTEST_MAX_DAYS 30
#define WEB_BACKTEST_DEFAULT_DAYS 7
#define WEB_BACKTEST_MAX_YAML_BYTES (256 * 1024)
#define WEB_BACKTEST_MAX_ITEMS 3000000 /* 30 days of a busy office (about 100,000 a day) */
#define WEB_BACKTEST_SAMPLES 5
#define WEB_BACKTEST_FILE_MAX 64

static atomic_flag backtest_busy = ATOMIC_FLAG_INIT;

/* The file name a pasted rule file is read as (its group when it names none). */
static int file_name(const char *s, char *out, size_t len)
{
    size_t n;

    if (!s || !s[0]) {
        s = "draft.yaml";
    }
    n = strlen(s);
    if (n > WEB_BACKTEST_FILE_MAX || strchr(s, '/') || s[0] == '.') {
        return ERR_INVALID;
    }
    snprintf(out, len, "%s%s", s, n > 5 && strcmp(s + n - 5, ".yaml") == 0 ? "" : ".yaml");
    return 0;
}

/* The draft's list under key (d's) gains the entries of f's it lacks. 0 or ERR_NOMEM. */
static int merge_list(json_t *d, const json_t *f, const char *key)
{
    return yq_json_array_add_distinct(json_object_get(d, key), json_object_get(f, key), false);
}

/*
 * The draft: live (may be NULL) with file's rules added or replacing those of the same id.
 * out: new compiled set. Returns 0, ERR_NOMEM or rule_set_decode()'s errors (errbuf).
 */
static int build_draft(const struct rule_set *live, const struct rule_set *file,
                       struct rule_set **out, char *errbuf, size_t errlen)
{
    char *ltext = NULL, *ftext = NULL, *dtext = NULL;
    json_t *d = NULL, *f = NULL, *rules = NULL;
    int rc = ERR_NOMEM;

    if (!live) {
        if (rule_set_encode(file, &ftext, NULL) != 0) {
            goto done;
        }
        rc = rule_set_decode(ftext, strlen(ftext), out, errbuf, errlen);
        goto done;
    }
    if (rule_set_encode(live, &ltext, NULL) != 0 || rule_set_encode(file, &ftext, NULL) != 0 ||
        !(d = json_loads(ltext, 0, NULL)) || !(f = json_loads(ftext, 0, NULL)) ||
        !(rules = json_array())) {
        goto done;
    }
    {
        json_t *lr = json_object_get(d, "rules"), *fr = json_object_get(f, "rules"), *v, *w;
        size_t i, k;
        json_array_foreach(lr, i, v)
        {
            const char *id = json_string_value(json_object_get(v, "id"));
            json_t *repl = NULL;
            json_array_foreach(fr, k, w)
            {
                if (!repl && id && json_equal(json_object_get(w, "id"), json_object_get(v, "id"))) {
                    repl = w;
                }
            }
            if (json_array_append(rules, repl ? repl : v) != 0) {
                goto done;
            }
        }
        json_array_foreach(fr, k, w)
        {
            bool seen = false;
            json_array_foreach(lr, i, v)
            {
                seen = seen || json_equal(json_object_get(w, "id"), json_object_get(v, "id"));
            }
            if (!seen && json_array_append(rules, w) != 0) {
                goto done;
            }
        }
    }
    if (json_object_set(d, "rules", rules) != 0 || merge_list(d, f, "groups") ||
        merge_list(d, f, "exclude") || merge_list(d, f, "places") ||
        json_object_set_new(d, "version", json_integer(0)) ||
        json_object_set_new(d, "pushed_at", json_null()) ||
        json_object_set_new(d, "pushed_by", json_null()) ||
        json_object_set_new(d, "source", json_null()) ||
        !(dtext = yq_json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        goto done;
    }
    rc = rule_set_decode(dtext, strlen(dtext), out, errbuf, errlen);
done:
    if (rc == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    json_decref(rules);
    json_decref(d);
    json_decref(f);
    free(ltext);
    free(ftext);
    free(dtext);
    return rc;
}

/* The live set (NULL when none was pushed) and the record of the report, under redis_lock. */
static int live_set(struct web *w, struct rule_set **out, char *errbuf, size_t errlen)
{
    int rc;

    *out = NULL;
    pthread_mutex_lock(&w->redis_lock);
    rc = rules_store_load(w->redis, 0, out, errbuf, errlen);
    pthread_mutex_unlock(&w->redis_lock);
    return rc == ERR_NOT_FOUND ? 0 : rc;
}

/*
 * Records rep for the push gate (its JSON summary carries the live set's digest, which the gate
 * compares with the set live at push time). A report that scanned no item is not recorded: it
 * says nothing about the draft. Returns whether it was recorded.
 */
static bool record(struct web *w, const struct backtest_report *rep)
{
    char err[256] = "", *text = NULL;
    json_t *j = NULL;
    int rc = ERR_NOMEM;

    if (rep->items_scanned == 0) {
        return false;
    }
    if (backtest_report_json(rep, false, &j) == 0 && (text = yq_json_dumps(j, JSON_COMPACT))) {
        pthread_mutex_lock(&w->redis_lock);
        rc = rules_backtest_record_put(w->redis, rep->draft_digest, text, RULES_BACKTEST_TTL_S, err,
                                       sizeof(err));
        pthread_mutex_unlock(&w->redis_lock);
    }
    if (rc) {
        LOG_WARN("backtest not recorded digest=%s reason='%s'", rep->draft_digest, err);
    }
    free(text);
    json_decref(j);
    return rc == 0;
}

/* The reply for a run that failed with err (message why). */
static enum MHD_Result reply_failure(struct web_call *call, int err, const char *why)
{
    char msg[600];

    switch (err) {
    case ERR_PARSE:
    case ERR_INVALID:
    case ERR_TOO_BIG:
        snprintf(msg, sizeof(msg), "规则文件有误：%s", why);
        return web_reply_bad_request(call, msg);
    case ERR_NOMEM:
        return MHD_NO;
    default:
        snprintf(call->retry_after, sizeof(call->retry_after), "30");
        snprintf(msg, sizeof(msg), "回测暂不可用：%s", why);
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", msg);
    }
}

static enum MHD_Result run(struct web_call *call, const char *yaml, const char *file, int64_t days)
{
    struct web *w = call->w;
    struct rule_set *upload = NULL, *live = NULL, *draft = NULL;
    struct backtest_report rep;
    struct backtest_opts bo;
    struct archive *a = NULL;
    char why[512] = "";
    json_t *out = NULL, *ids;
    int rc;

    memset(&rep, 0, sizeof(rep));
    upload = rule_set_new();
    if (!upload) {
        return MHD_NO;
    }
    /*
     * The file is checked rule by rule here and compiled only as part of the draft (below): a rule
     * file alone may rely on the live set's places (every shipped rule is local: true while
     * places live in one file), so compiling it alone would refuse it (review of #14).
     */
    rc = rule_set_add_yaml(upload, file, yaml, strlen(yaml), why, sizeof(why));
    if (rc) {
        rule_set_free(upload);
        return reply_failure(call, rc == ERR_NOMEM ? ERR_NOMEM : ERR_INVALID, why);
    }
    rc = live_set(w, &live, why, sizeof(why));
    if (rc == 0) {
        rc = build_draft(live, upload, &draft, why, sizeof(why));
        if (rc && rc != ERR_NOMEM) {
            rc =
                ERR_INVALID; /* e.g. a local rule while neither the file nor the set lists places */
        }
    } else {
        rc = rc == ERR_NOMEM ? rc : ERR_RETRY;
    }
    if (rc == 0 && web_archive(w, &a, why, sizeof(why)) != 0) {
        rc = ERR_RETRY;
    }
    if (rc == 0) {
        memset(&bo, 0, sizeof(bo));
        bo.until_s = call->now;
        bo.since_s = call->now - days * 86400;
        bo.samples = WEB_BACKTEST_SAMPLES;
        bo.max_items = WEB_BACKTEST_MAX_ITEMS;
        bo.narrowing = BACKTEST_NARROW_NONE;
        rc = archive_backtest_run(&a, 1, draft, live, &bo, &rep, why, sizeof(why));
        if (rc == ERR_TOO_BIG) {
            snprintf(why, sizeof(why), "时间范围内超过 %d 条，请缩短天数", WEB_BACKTEST_MAX_ITEMS);
            rc = ERR_RETRY;
        } else if (rc && rc != ERR_NOMEM) {
            rc = ERR_RETRY;
        }
    }
    if (rc == 0) {
        bool recorded = record(w, &rep);
        rc = backtest_report_json(&rep, true, &out);
        if (rc == 0 && json_object_set_new(out, "recorded", json_boolean(recorded)) != 0) {
            rc = ERR_NOMEM;
        }
    }
    if (rc == 0) {
        /* the rules of the pasted file, for the page to show first */
        ids = json_array();
        for (size_t i = 0; ids && i < upload->n_rules; i++) {
            json_array_append_new(ids, json_string(upload->rules[i].id));
        }
        if (!ids || json_object_set_new(out, "file_rules", ids) != 0 ||
            json_object_set_new(out, "since_days", json_integer(days)) != 0) {
            rc = ERR_NOMEM;
        }
    }
    backtest_report_release(&rep);
    rule_set_free(draft);
    rule_set_free(live);
    rule_set_free(upload);
    if (rc) {
        json_decref(out);
        return reply_failure(call, rc, why);
    }
    return web_reply_json(call, MHD_HTTP_OK, out);
}

enum MHD_Result web_route_rules_backtest(struct web_call *call)
{
    struct web *w = call->w;
    json_t *body = web_body_json(call), *days_v;
    const char *yaml, *file;
    char name[WEB_BACKTEST_FILE_MAX + 8];
    json_int_t days = WEB_BACKTEST_DEFAULT_DAYS;
    enum MHD_Result res;

    yaml = json_string_value(json_object_get(body, "yaml"));
    file = json_string_value(json_object_get(body, "file"));
    days_v = json_object_get(body, "since_days");
    if (days_v) {
        days = json_is_integer(days_v) ? json_integer_value(days_v) : 0;
    }
    if (!yaml || !yaml[0] || strlen(yaml) > WEB_BACKTEST_MAX_YAML_BYTES) {
        json_decref(body);
        return web_reply_bad_request(call, "请粘贴一个规则文件（YAML，不超过 256 KB）");
    }
    if (days < 1 || days > WEB_BACKTEST_MAX_DAYS) {
        json_decref(body);
        return web_reply_bad_request(call, "回测天数须为 1 至 30");
    }
    if (file_name(json_is_string(json_object_get(body, "file")) ? file : NULL, name,
                  sizeof(name)) != 0) {
        json_decref(body);
        return web_reply_bad_request(call, "文件名须为不含 / 的 NAME.yaml（不超过 64 字节）");
    }
    if (!w->cfg.rules_enabled || !w->redis) {
        json_decref(body);
        snprintf(call->retry_after, sizeof(call->retry_after), "5");
        return web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable", "规则服务未启用");
    }
    if (atomic_flag_test_and_set(&backtest_busy)) {
        json_decref(body);
        snprintf(call->retry_after, sizeof(call->retry_after), "10");
        return web_reply_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "busy",
                               "另一个回测正在运行，请稍后再试");
    }
    /* the body is in; a 30-day backtest of a large archive may outlast web.max_request_ms
       (30 s by default): this request is bounded by its range, WEB_BACKTEST_MAX_ITEMS and
       one at a time instead (docs/api.md) */
    web_conn_exempt(w, call->c);
    res = run(call, yaml, name, (int64_t)days);
    atomic_flag_clear(&backtest_busy);
    json_decref(body);
    return res;
}
