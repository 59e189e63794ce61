#include "web_desk_ops.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "event_flow.h"
#include "event_read.h"
#include "event_words.h"
#include "silence.h"
#include "ticket_flow.h"
#include "web_notifier_ctx.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_time.h"
#include "yq_banned.h"

static int ops_inbox_list(void *ctx, const struct web_inbox_query *q, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    const struct event_inbox_query eq = {
        .state = q->state,
        .level = q->level,
        .group = q->group,
        .source_kind = q->source_kind,
        .region = q->region,
        .since = q->since,
        .until = q->until,
        .offset = q->offset,
        .max = q->max,
    };
    int err;

    pthread_mutex_lock(x->lock);
    err = event_read_inbox(x->reader, &eq, yq_time_now(), out);
    pthread_mutex_unlock(x->lock);
    return err;
}

/*
 * The event page: its data under the store lock, then its hot words (event_words.h) from the
 * newest items' texts after the lock is released, so segmenting never holds up intake.
 */
static int ops_inbox_get(void *ctx, int64_t id, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    char **texts = NULL;
    size_t n = 0;
    int err;

    pthread_mutex_lock(x->lock);
    err = event_read_detail(x->reader, id, yq_time_now(), out);
    if (!err) {
        err = event_read_texts(x->reader, id, EVENT_READ_MAX_WORD_TEXTS, &texts, &n);
    }
    pthread_mutex_unlock(x->lock);
    if (!err) {
        err = event_words_fill_page(*out, texts, n);
    }
    event_read_texts_release(texts, n);
    if (err) {
        json_decref(*out);
        *out = NULL;
    }
    return err;
}

/* ------------------------------------------------------------- actions */

/* Where an action's arguments and answer travel (one call of ops_inbox_act()). */
struct act_call {
    struct ticket_store *store; /* the writer */
    int64_t id;
    const struct event_actor *who;
    json_t *args;      /* the request body (borrowed) */
    int64_t version;   /* "version", or -1 */
    const char *level; /* the event's level now ("I".."IV") */
    int64_t now;
    json_t *result; /* what the action made (new), or NULL */
    char *errbuf;
    size_t errlen;
};

/* A string argument: absent or null -> dflt; another type -> ERR_INVALID with the reason. */
static int arg_text(struct act_call *a, const char *key, const char *dflt, const char **out)
{
    json_t *v = json_object_get(a->args, key);

    *out = dflt;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        snprintf(a->errbuf, a->errlen, "argument_type: 参数 %s 须为字符串", key);
        return ERR_INVALID;
    }
    *out = json_string_value(v);
    return 0;
}

/* An integer argument >= 0: absent or null -> dflt; otherwise ERR_INVALID with the reason. */
static int arg_count(struct act_call *a, const char *key, int64_t dflt, int64_t *out)
{
    json_t *v = json_object_get(a->args, key);

    *out = dflt;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0) {
        snprintf(a->errbuf, a->errlen, "argument_type: 参数 %s 须为非负整数", key);
        return ERR_INVALID;
    }
    *out = json_integer_value(v);
    return 0;
}

/* 交办: {"lead","co":[...],"level","opinion","version"} -> {"ticket":{"number"}}. */
static int act_assign(struct act_call *a)
{
    const char *lead, *level, *opinion, *co[TICKET_MAX_CO_DEPARTMENTS];
    json_t *arr = json_object_get(a->args, "co"), *d;
    char number[32] = "";
    enum yq_level lv;
    size_t n_co = 0, i;
    int err;

    if ((err = arg_text(a, "lead", "", &lead)) || (err = arg_text(a, "level", a->level, &level)) ||
        (err = arg_text(a, "opinion", "", &opinion))) {
        return err;
    }
    if (!lead[0]) {
        snprintf(a->errbuf, a->errlen, "department_required: 请选择牵头部门");
        return ERR_INVALID;
    }
    if (yq_level_parse(level, &lv) != 0) {
        snprintf(a->errbuf, a->errlen, "level_invalid: 级别须为 I、II、III 或 IV");
        return ERR_INVALID;
    }
    if (arr && !json_is_null(arr) && !json_is_array(arr)) {
        snprintf(a->errbuf, a->errlen, "co_department_invalid: 协办部门须为部门名称的列表");
        return ERR_INVALID;
    }
    json_array_foreach(arr, i, d)
    {
        if (!json_is_string(d)) {
            snprintf(a->errbuf, a->errlen, "co_department_invalid: 协办部门须为部门名称的列表");
            return ERR_INVALID;
        }
        if (n_co >= TICKET_MAX_CO_DEPARTMENTS) {
            snprintf(a->errbuf, a->errlen, "too_many_co_departments: 协办部门至多 %d 个",
                     TICKET_MAX_CO_DEPARTMENTS);
            return ERR_INVALID;
        }
        co[n_co++] = json_string_value(d);
    }
    err = event_assign(a->store, a->id, a->who, lead, co, n_co, lv, opinion, a->version, a->now,
                       NULL, number);
    if (!err) {
        a->result = json_pack("{s:{s:s}}", "ticket", "number", number);
        err = a->result ? 0 : ERR_NOMEM;
    }
    return err;
}

/* 确认交办: {"opinion","version"}. */
static int act_confirm(struct act_call *a)
{
    const char *opinion;
    int err = arg_text(a, "opinion", "", &opinion);

    if (!err) {
        err = event_confirm(a->store, a->id, a->who, opinion, a->version, a->now);
    }
    return err;
}

/* 并入: {"into_event":id} or {"into_ticket":"YQ-..."}, "note", "version". */
static int act_merge(struct act_call *a)
{
    const char *ticket, *note;
    int64_t into_event = 0, ticket_id = 0;
    int err;

    if ((err = arg_count(a, "into_event", 0, &into_event)) ||
        (err = arg_text(a, "into_ticket", "", &ticket)) || (err = arg_text(a, "note", "", &note))) {
        return err;
    }
    if ((into_event > 0) == (ticket[0] != '\0')) {
        snprintf(
            a->errbuf, a->errlen,
            "target_required: 请选择要并入的事件（into_event）或交办单（into_ticket），二选一");
        return ERR_INVALID;
    }
    if (ticket[0]) {
        err = event_read_ticket_id(a->store, ticket, &ticket_id);
        if (err == ERR_NOT_FOUND) {
            snprintf(a->errbuf, a->errlen, "not_found: 交办单 %.40s 不存在", ticket);
        }
        if (err) {
            return err;
        }
    }
    err = event_merge(a->store, a->id, a->who, into_event, ticket_id, note, a->version, a->now);
    if (err == ERR_NOT_FOUND) {
        snprintf(a->errbuf, a->errlen, "not_found: 事件或并入目标不存在");
    }
    return err;
}

/* 持续关注: {"items","heat","quiet_s","note","version"}. */
static int act_watch(struct act_call *a)
{
    int64_t items, heat, quiet_s;
    const char *note;
    int err;

    if ((err = arg_count(a, "items", 0, &items)) || (err = arg_count(a, "heat", 0, &heat)) ||
        (err = arg_count(a, "quiet_s", 0, &quiet_s)) || (err = arg_text(a, "note", "", &note))) {
        return err;
    }
    err = event_watch(a->store, a->id, a->who, items, heat, quiet_s, note, a->version, a->now);
    return err;
}

/* 不予处置: {"reason","note","version"}; reason a code or its label (误报). */
static int act_dismiss(struct act_call *a)
{
    const char *reason, *note;
    int err;

    if ((err = arg_text(a, "reason", "", &reason)) || (err = arg_text(a, "note", "", &note))) {
        return err;
    }
    return event_dismiss(a->store, a->id, a->who, reason, note, a->version, a->now);
}

/* The officer's actions: the web layer's names, their labels (for reasons) and runners. */
static const struct desk_action {
    const char *name;
    const char *label;
    int (*run)(struct act_call *a);
} desk_actions[] = {
    {"assign", "交办", act_assign},       {"confirm", "确认交办", act_confirm},
    {"merge", "并入", act_merge},         {"watch", "持续关注", act_watch},
    {"dismiss", "不予处置", act_dismiss},
};

static int ops_inbox_act(void *ctx, int64_t id, const char *action, const struct web_actor *actor,
                         json_t *args, json_t **result, char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    const struct desk_action *act = NULL;
    /* duty_officer or admin; the flow writes an ERR_INVALID's reason (its code) into errbuf */
    struct event_actor who = {actor->username, actor->role, errbuf, errlen};
    struct act_call a = {.id = id, .who = &who, .args = args, .errbuf = errbuf, .errlen = errlen};
    char state[24] = "", level[4] = "";
    int64_t version = 0;
    json_t *v = json_object_get(args, "version");
    int err;

    *result = NULL;
    errbuf[0] = '\0';
    for (size_t i = 0; i < sizeof(desk_actions) / sizeof(desk_actions[0]); i++) {
        if (strcmp(desk_actions[i].name, action) == 0) {
            act = &desk_actions[i];
        }
    }
    if (!act) {
        snprintf(errbuf, errlen, "unknown_action: 未知的研判操作");
        return ERR_INVALID;
    }
    if (v && !json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 0)) {
        snprintf(errbuf, errlen, "expected_version_invalid: version 须为非负整数");
        return ERR_INVALID;
    }
    a.version = json_is_integer(v) ? json_integer_value(v) : -1;
    pthread_mutex_lock(x->lock);
    a.store = x->writer;
    a.now = yq_time_now();
    err = event_read_state(x->writer, id, state, sizeof(state), level, &version);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "not_found: 事件不存在");
    }
    if (!err) {
        a.level = level;
        err = act->run(&a);
    }
    if (err == ERR_BAD_STATE) {
        enum event_state es;
        if (a.version >= 0 && a.version != version) {
            snprintf(errbuf, errlen, "version_changed: 事件已被他人更新，请刷新后重试");
        } else {
            snprintf(errbuf, errlen, "state_not_allowed: 事件当前为“%s”，不能%s",
                     event_state_parse(state, &es) == 0 ? event_state_label(es) : state,
                     act->label);
        }
    }
    pthread_mutex_unlock(x->lock);
    if (err) {
        json_decref(a.result);
        return err;
    }
    *result = a.result;
    return 0;
}

/* ------------------------------------------------------------- silences */

static int ops_silence_list(void *ctx, bool all, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_list(x->reader, all, yq_time_now(), out);
    pthread_mutex_unlock(x->lock);
    return err;
}

/* {"kind","value","reason","expires_at"|"duration_s"} -> silence_add(). */
static int ops_silence_add(void *ctx, const struct web_actor *actor, json_t *args, int64_t *id_out,
                           char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    const char *kind = json_string_value(json_object_get(args, "kind"));
    const char *value = json_string_value(json_object_get(args, "value"));
    const char *reason = json_string_value(json_object_get(args, "reason"));
    const char *expires = json_string_value(json_object_get(args, "expires_at"));
    json_t *duration = json_object_get(args, "duration_s");
    enum silence_kind k;
    int64_t now = yq_time_now(), until = 0;
    int err;

    *id_out = 0;
    if (!kind || silence_kind_parse(kind, &k) != 0) {
        snprintf(errbuf, errlen,
                 "kind_invalid: 屏蔽类型须为 rule（规则）、group（规则组）、source（来源）、"
                 "account（账号）或 term（词语）");
        return ERR_INVALID;
    }
    if (!value || !value[0] || !reason || !reason[0]) {
        snprintf(errbuf, errlen, "value_required: 请填写屏蔽对象和原因");
        return ERR_INVALID;
    }
    if (expires && !duration) {
        if (yq_time_parse_iso(expires, &until, NULL) != 0) {
            snprintf(errbuf, errlen, "expires_invalid: 到期时间须为 RFC 3339 时间");
            return ERR_INVALID;
        }
    } else if (duration && !expires && json_is_integer(duration) &&
               json_integer_value(duration) > 0 &&
               json_integer_value(duration) <= SILENCE_MAX_DURATION_S) {
        until = now + json_integer_value(duration);
    } else {
        snprintf(
            errbuf, errlen,
            "expires_required: 请设置到期时间（expires_at）或时长（duration_s，1 秒至 90 天），"
            "二选一");
        return ERR_INVALID;
    }
    if (until <= now || until > now + SILENCE_MAX_DURATION_S) {
        snprintf(errbuf, errlen, "expires_invalid: 到期时间须在当前时间之后 90 天以内");
        return ERR_INVALID;
    }
    pthread_mutex_lock(x->lock);
    err = silence_add(x->writer, k, value, reason, actor->username, until, now, id_out);
    if (err == ERR_INVALID) {
        /* the store names what it refused (too long, a term too short, control characters) */
        snprintf(errbuf, errlen, "silence_invalid: %s", ticket_store_errmsg(x->writer));
    }
    pthread_mutex_unlock(x->lock);
    if (err == ERR_TOO_BIG) {
        snprintf(errbuf, errlen,
                 "too_many_silences: 生效中的屏蔽规则已达上限 %d 条，请先撤销不用的",
                 SILENCE_ACTIVE_MAX);
        err = ERR_BAD_STATE;
    }
    return err;
}

static int ops_silence_revoke(void *ctx, int64_t id, const struct web_actor *actor, char *errbuf,
                              size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_revoke(x->writer, id, actor->username, yq_time_now());
    pthread_mutex_unlock(x->lock);
    if (err == ERR_NOT_FOUND) {
        snprintf(errbuf, errlen, "not_found: 屏蔽规则不存在");
    } else if (err == ERR_BAD_STATE) {
        snprintf(errbuf, errlen, "state_not_allowed: 该屏蔽规则已撤销或已到期");
    }
    return err;
}

static int ops_silence_alerts(void *ctx, int64_t id, size_t max, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;

    pthread_mutex_lock(x->lock);
    err = silence_alerts_list(x->reader, id, max, out);
    pthread_mutex_unlock(x->lock);
    return err;
}

const struct web_desk_ops web_desk_ops = {
    .inbox_list = ops_inbox_list,
    .inbox_get = ops_inbox_get,
    .inbox_act = ops_inbox_act,
    .silence_list = ops_silence_list,
    .silence_add = ops_silence_add,
    .silence_revoke = ops_silence_revoke,
    .silence_alerts = ops_silence_alerts,
};
