#include "fake_tickets.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_labels.h"
#include "yq_time.h"

struct fake_tickets {
    pthread_mutex_t lock;
    json_t *tickets; /* array of full ticket objects */
    int64_t seq;
    int64_t marker;
    int64_t changes;
};

static const char *const channels[] = {"权威发布", "新闻发布会", "吹风会", "政务微博",
                                       "政务微信", "网站",       "答复",   NULL};

static json_t *iso(int64_t t)
{
    char buf[32];
    return json_string(yq_time_format_utc(t, buf, sizeof(buf)));
}

struct fake_tickets *fake_tickets_new(void)
{
    struct fake_tickets *ft = calloc(1, sizeof(*ft));
    if (!ft) {
        return NULL;
    }
    pthread_mutex_init(&ft->lock, NULL);
    ft->tickets = json_array();
    return ft;
}

void fake_tickets_free(struct fake_tickets *ft)
{
    if (!ft) {
        return;
    }
    json_decref(ft->tickets);
    pthread_mutex_destroy(&ft->lock);
    free(ft);
}

int64_t fake_tickets_changes(struct fake_tickets *ft)
{
    int64_t n;
    pthread_mutex_lock(&ft->lock);
    n = ft->changes;
    pthread_mutex_unlock(&ft->lock);
    return n;
}

static json_t *clock_new(const char *name, const char *label, int64_t deadline)
{
    return json_pack("{s:s, s:s, s:o, s:n}", "name", name, "label", label, "deadline",
                     iso(deadline), "met_at");
}

/*
 * A log entry with its display text as the notifier's API gives it (issue #11): "<who>
 * <action label>：<note>", the actor "system" as 系统 and a dismissal's note (its reason code)
 * as the reason's label.
 */
static void log_add(json_t *t, const char *actor, const char *action, const char *note)
{
    char text[1024];
    const char *shown = note ? note : "";
    if (strcmp(action, "dismissed") == 0) {
        shown = yq_label(YQ_LABEL_DISMISS_REASON, shown);
    }
    snprintf(text, sizeof(text), "%s %s%s%s", yq_label(YQ_LABEL_ROLE, actor),
             yq_label(YQ_LABEL_LOG_ACTION, action), shown[0] ? "：" : "", shown);
    json_array_append_new(json_object_get(t, "log"),
                          json_pack("{s:o, s:s, s:s, s:s, s:s}", "at", iso(yq_time_now()), "actor",
                                    actor, "action", action, "note", note ? note : "", "text",
                                    text));
}

/*
 * The clocks of t after its state became to (issue #11, as the notifier's API): on a settled
 * ticket a clock not met is "stopped" at now (已撤销 when dismissed, 已停止 when closed); on a
 * reopened ticket it runs again.
 */
static void clocks_settle(json_t *t, const char *to)
{
    bool dismissed = strcmp(to, "dismissed") == 0;
    bool settled = dismissed || strcmp(to, "closed") == 0;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "clocks"), i, c)
    {
        if (!json_is_null(json_object_get(c, "met_at"))) {
            json_object_set_new(c, "state", json_string("met"));
            json_object_set_new(c, "state_label", json_string("已完成"));
            json_object_set(c, "stopped_at", json_object_get(c, "met_at"));
        } else if (settled) {
            json_object_set_new(c, "state", json_string("stopped"));
            json_object_set_new(c, "state_label", json_string(dismissed ? "已撤销" : "已停止"));
            json_object_set_new(c, "stopped_at", iso(yq_time_now()));
        } else {
            json_object_set_new(c, "state", json_string("running"));
            json_object_set_new(c, "state_label", json_string("进行中"));
            json_object_set_new(c, "stopped_at", json_null());
        }
    }
}

static void clock_met(json_t *t, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(t, "clocks"), i, c)
    {
        if (strcmp(json_string_value(json_object_get(c, "name")), name) == 0 &&
            json_is_null(json_object_get(c, "met_at"))) {
            json_object_set_new(c, "met_at", iso(yq_time_now()));
        }
    }
}

int fake_tickets_add(struct fake_tickets *ft, json_t *spec, char *number_out)
{
    const char *level = json_string_value(json_object_get(spec, "level"));
    json_t *det = json_object_get(spec, "detected_at"), *t, *clocks, *items;
    int64_t detected = json_is_integer(det) ? json_integer_value(det) : yq_time_now();
    bool severe;
    char number[32];

    if (!level) {
        level = "IV";
    }
    severe = strcmp(level, "I") == 0 || strcmp(level, "II") == 0;
    clocks = json_array();
    json_array_append_new(clocks, clock_new("ack", "签收时限", detected + 3600));
    json_array_append_new(clocks, clock_new("response", severe ? "权威信息发布时限" : "回应时限",
                                            detected + (severe ? 5 : 48) * 3600));
    if (severe) {
        json_array_append_new(clocks, clock_new("press", "新闻发布会时限", detected + 24 * 3600));
    }
    json_array_append_new(clocks, clock_new("close", "办结时限", detected + 15 * 86400));
    items = json_object_get(spec, "items");
    pthread_mutex_lock(&ft->lock);
    snprintf(number, sizeof(number), "YQ-2026-11-%04lld", (long long)++ft->seq);
    t = json_deep_copy(spec);
    if (!t) {
        pthread_mutex_unlock(&ft->lock);
        json_decref(clocks);
        return ERR_NOMEM;
    }
    json_object_del(t, "detected_at");
    json_object_set_new(t, "number", json_string(number));
    json_object_set_new(t, "level", json_string(level));
    json_object_set_new(t, "state", json_string("open"));
    json_object_set_new(t, "detected_at", iso(detected));
    json_object_set_new(t, "updated_at", iso(detected));
    json_object_set_new(t, "clocks", clocks);
    json_object_set_new(t, "item_count", json_integer((json_int_t)json_array_size(items)));
    if (!json_object_get(t, "co_departments")) {
        json_object_set_new(t, "co_departments", json_array());
    }
    if (!items) {
        json_object_set_new(t, "items", json_array());
    }
    json_object_set_new(t, "log", json_array());
    json_object_set_new(t, "responses", json_array());
    log_add(t, "system", "created", "");
    json_array_append_new(ft->tickets, t);
    ft->marker++;
    pthread_mutex_unlock(&ft->lock);
    if (number_out) {
        snprintf(number_out, 32, "%s", number);
    }
    return 0;
}

/* Caller holds the lock. Borrowed. */
static json_t *find(struct fake_tickets *ft, const char *number)
{
    size_t i;
    json_t *t;
    json_array_foreach(ft->tickets, i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "number")), number) == 0) {
            return t;
        }
    }
    return NULL;
}

static bool in_dept(json_t *t, const char *dept)
{
    size_t i;
    json_t *d;
    const char *lead = json_string_value(json_object_get(t, "department"));
    if (lead && strcmp(lead, dept) == 0) {
        return true;
    }
    json_array_foreach(json_object_get(t, "co_departments"), i, d)
    {
        if (json_is_string(d) && strcmp(json_string_value(d), dept) == 0) {
            return true;
        }
    }
    return false;
}

static int fake_list(void *ctx, const struct web_ticket_query *q, json_t **out)
{
    struct fake_tickets *ft = ctx;
    json_t *arr = json_array(), *t;
    size_t i;

    pthread_mutex_lock(&ft->lock);
    json_array_foreach(ft->tickets, i, t)
    {
        const char *st = json_string_value(json_object_get(t, "state"));
        json_t *summary;
        if (!q->state && (strcmp(st, "closed") == 0 || strcmp(st, "dismissed") == 0)) {
            continue;
        }
        if (q->state && strcmp(q->state, "all") != 0 && strcmp(q->state, st) != 0) {
            continue;
        }
        if (q->level && strcmp(q->level, json_string_value(json_object_get(t, "level"))) != 0) {
            continue;
        }
        if (q->department && !in_dept(t, q->department)) {
            continue;
        }
        if (q->source) {
            const char *s = json_string_value(json_object_get(t, "source"));
            if (!s || strcmp(s, q->source) != 0) {
                continue;
            }
        }
        if (json_array_size(arr) >= q->max) {
            break;
        }
        summary = json_deep_copy(t);
        json_object_del(summary, "items");
        json_object_del(summary, "log");
        json_array_append_new(arr, summary);
    }
    pthread_mutex_unlock(&ft->lock);
    *out = arr;
    return 0;
}

static int fake_get(void *ctx, const char *number, json_t **out)
{
    struct fake_tickets *ft = ctx;
    json_t *t;
    pthread_mutex_lock(&ft->lock);
    t = find(ft, number);
    *out = t ? json_deep_copy(t) : NULL;
    pthread_mutex_unlock(&ft->lock);
    return t ? 0 : ERR_NOT_FOUND;
}

static bool state_in(const char *st, const char *const *list)
{
    for (; *list; list++) {
        if (strcmp(st, *list) == 0) {
            return true;
        }
    }
    return false;
}

static const char *sfield(json_t *args, const char *key)
{
    const char *s = json_string_value(json_object_get(args, key));
    return s && s[0] ? s : NULL;
}

static int fake_act(void *ctx, const char *number, const char *action,
                    const struct web_actor *actor, json_t *args, char *errbuf, size_t errlen)
{
    static const char *const active[] = {"open", "acknowledged", "responded", "returned", NULL};
    struct fake_tickets *ft = ctx;
    const char *st, *to = NULL, *note = sfield(args, "note");
    char to_copy[32];
    json_t *t;
    int err = 0;

    pthread_mutex_lock(&ft->lock);
    t = find(ft, number);
    if (!t) {
        pthread_mutex_unlock(&ft->lock);
        return ERR_NOT_FOUND;
    }
    st = json_string_value(json_object_get(t, "state"));
    if (strcmp(action, "ack") == 0) {
        to = strcmp(st, "open") == 0 ? "acknowledged" : NULL;
    } else if (strcmp(action, "respond") == 0) {
        const char *ch = sfield(args, "channel"), *url = sfield(args, "url");
        bool known = false;
        for (size_t i = 0; ch && channels[i]; i++) {
            known |= strcmp(ch, channels[i]) == 0;
        }
        if (!known || (url && !web_url_linkable(url))) {
            snprintf(errbuf, errlen, "回应渠道或链接无效");
            err = ERR_INVALID;
        } else if (strcmp(st, "acknowledged") == 0 || strcmp(st, "responded") == 0) {
            to = "responded";
            json_array_append_new(json_object_get(t, "responses"),
                                  json_pack("{s:s, s:s, s:s?, s:s}", "channel", ch, "url",
                                            url ? url : "", "responded_at",
                                            sfield(args, "responded_at"), "note",
                                            note ? note : ""));
            note = ch;
        }
    } else if (strcmp(action, "return") == 0) {
        note = sfield(args, "reason");
        if (!note) {
            snprintf(errbuf, errlen, "请填写退回原因");
            err = ERR_INVALID;
        } else if (strcmp(st, "open") == 0 || strcmp(st, "acknowledged") == 0) {
            to = "returned";
        }
    } else if (strcmp(action, "close") == 0) {
        note = sfield(args, "result");
        if (!note) {
            snprintf(errbuf, errlen, "请填写处置结果");
            err = ERR_INVALID;
        } else if (strcmp(st, "responded") == 0) {
            to = "closed";
        }
    } else if (strcmp(action, "assign") == 0) {
        const char *dept = sfield(args, "department");
        if (!dept) {
            snprintf(errbuf, errlen, "请选择主办部门");
            err = ERR_INVALID;
        } else if (strcmp(st, "open") == 0 || strcmp(st, "returned") == 0) {
            json_object_set_new(t, "department", json_string(dept));
            to = "open";
            note = dept;
        }
    } else if (strcmp(action, "set_level") == 0) {
        const char *lv = sfield(args, "level");
        if (!lv || (strcmp(lv, "I") && strcmp(lv, "II") && strcmp(lv, "III") && strcmp(lv, "IV"))) {
            snprintf(errbuf, errlen, "级别无效");
            err = ERR_INVALID;
        } else if (state_in(st, active)) {
            json_object_set_new(t, "level", json_string(lv));
            to = st;
            note = lv;
        }
    } else if (strcmp(action, "dismiss") == 0) {
        const char *reason = sfield(args, "reason");
        if (!reason) {
            snprintf(errbuf, errlen, "请选择不予处置原因");
            err = ERR_INVALID;
        } else if (state_in(st, active)) {
            to = "dismissed";
            json_object_set_new(t, "dismiss_reason", json_string(reason));
            json_object_set_new(t, "dismiss_reason_label",
                                json_string(yq_label(YQ_LABEL_DISMISS_REASON, reason)));
            json_object_set_new(t, "dismissed_at", iso(yq_time_now()));
            note = reason;
        }
    } else if (strcmp(action, "reopen") == 0) {
        to = (strcmp(st, "closed") == 0 || strcmp(st, "dismissed") == 0) ? "open" : NULL;
    } else {
        err = ERR_INVALID;
    }
    if (!err && !to) {
        snprintf(errbuf, errlen, "交办单当前为 %s，不能%s", st, action);
        err = ERR_BAD_STATE;
    }
    if (!err) {
        /* to may be the ticket's own "state" string (set_level), freed when state is set */
        snprintf(to_copy, sizeof(to_copy), "%s", to);
        to = to_copy;
    }
    if (!err) {
        static const struct {
            const char *action, *log, *clock;
        } map[] = {
            {"ack", "acknowledged", "ack"}, {"respond", "responded", "response"},
            {"close", "closed", "close"},   {"return", "returned", NULL},
            {"assign", "assigned", NULL},   {"set_level", "level_set", NULL},
            {"dismiss", "dismissed", NULL}, {"reopen", "reopened", NULL},
        };
        for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
            if (strcmp(map[i].action, action) == 0) {
                log_add(t, actor->username, map[i].log, note);
                if (map[i].clock) {
                    clock_met(t, map[i].clock);
                }
            }
        }
        json_object_set_new(t, "state", json_string(to));
        json_object_set_new(t, "state_label", json_string(yq_label(YQ_LABEL_STATE, to)));
        json_object_set_new(t, "updated_at", iso(yq_time_now()));
        clocks_settle(t, to);
        ft->marker++;
        ft->changes++;
    }
    pthread_mutex_unlock(&ft->lock);
    return err;
}

static int fake_marker(void *ctx, int64_t *out)
{
    struct fake_tickets *ft = ctx;
    pthread_mutex_lock(&ft->lock);
    *out = ft->marker;
    pthread_mutex_unlock(&ft->lock);
    return 0;
}

const struct web_ticket_ops fake_ticket_ops = {
    .list = fake_list,
    .get = fake_get,
    .act = fake_act,
    .change_marker = fake_marker,
    .role_may = NULL,
};
