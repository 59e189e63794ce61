#include "web_notifier_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_read.h"
#include "ticket_api.h"
#include "ticket_flow.h"
#include "ticket_held.h"
#include "web_desk_ops.h"
#include "web_source_ops.h"
#include "web_report_ops.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/*
 * GET /api/tickets: one page in two statements under the lock, whatever the filters
 * (ticket_store_list() evaluates them all in SQL, ticket_store_list_items_of() reads the
 * page's items at once); the JSON is built after the lock is released.
 */
static int ops_list(void *ctx, const struct web_ticket_query *q, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    const struct ticket_filter filter = {
        .state = !q->state                      ? "active"
                 : strcmp(q->state, "all") == 0 ? NULL
                                                : q->state,
        .department = q->department, /* lead or co-handling */
        .level = q->level,
        .source = q->source,
        .detected_from = q->detected_from,
        .detected_until = q->detected_until,
        .offset = q->offset,
    };
    struct ticket_list list = {0};
    struct ticket_item_list items = {0};
    json_t *arr = json_array();
    size_t pos = 0;
    int err;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    pthread_mutex_lock(x->lock);
    err = ticket_store_list(x->reader, &filter, q->max, &list);
    if (!err) {
        err = ticket_store_list_items_of(x->reader, &list, x->max_items, &items);
    }
    pthread_mutex_unlock(x->lock);
    if (err == ERR_INVALID) {
        err = 0; /* not a level (the web layer answers 400 level_invalid first) */
    }
    for (size_t i = 0; !err && i < list.n; i++) {
        size_t n = 0;
        const struct ticket_item *run = ticket_item_run(&items, list.v[i].id, &pos, &n);
        json_t *t = ticket_api_summary(&list.v[i], run, n);
        if (!t || json_array_append_new(arr, t) != 0) {
            err = ERR_NOMEM;
        }
    }
    ticket_item_list_release(&items);
    ticket_list_release(&list);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

static int ops_get(void *ctx, const char *number, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    int err;
    pthread_mutex_lock(x->lock);
    err = ticket_api_detail(x->reader, number, out);
    pthread_mutex_unlock(x->lock);
    return err;
}

static int ops_act(void *ctx, const char *number, const char *action, const struct web_actor *actor,
                   json_t *args, char *errbuf, size_t errlen)
{
    struct web_notifier_ctx *x = ctx;
    json_t *answer = NULL, *a;
    int err;

    a = json_deep_copy(args);
    if (!a) {
        return ERR_NOMEM;
    }
    /* The UI's 处置结果 of a closure is the log note of ticket_flow's close. */
    if (strcmp(action, "close") == 0 && json_is_string(json_object_get(a, "result"))) {
        json_object_set(a, "note", json_object_get(a, "result"));
    }
    json_object_del(a, "result");
    json_object_del(a, "actor"); /* the actor is the authenticated user, never the body */
    json_object_del(a, "role");
    pthread_mutex_lock(x->lock);
    err = ticket_api_act(x->writer, number, action, actor->username, actor->role, a, yq_time_now(),
                         &answer, errbuf, errlen);
    pthread_mutex_unlock(x->lock);
    json_decref(answer);
    json_decref(a);
    return err;
}

static int ops_change_marker(void *ctx, int64_t *out)
{
    struct web_notifier_ctx *x = ctx;
    int err;
    pthread_mutex_lock(x->lock);
    err = event_read_change_marker(x->reader, out); /* ticket_log and event_log */
    pthread_mutex_unlock(x->lock);
    return err;
}

static bool ops_role_may(void *ctx, const char *action, const char *role)
{
    enum ticket_action_kind kind;
    (void)ctx;
    if (ticket_action_parse(action, &kind) != 0) {
        return false;
    }
    return ticket_action_role_may(kind, role);
}

static int ops_list_held(void *ctx, const char *reason, const char *query, size_t max, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    struct ticket_held_list list = {0};
    json_t *arr = json_array();
    int err;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    pthread_mutex_lock(x->lock);
    err = ticket_store_list_held(x->reader, reason, query, max, &list);
    pthread_mutex_unlock(x->lock);
    for (size_t i = 0; !err && i < list.n; i++) {
        json_t *o = ticket_held_json(&list.v[i]);
        if (!o || json_array_append_new(arr, o) != 0) {
            err = ERR_NOMEM;
        }
    }
    ticket_held_list_release(&list);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

/* The intake banner's dependencies: the flags /healthz reads (notifier_health_deps()). */
static size_t ops_intake(void *ctx, struct web_intake_dep *out, size_t max)
{
    struct web_notifier_ctx *x = ctx;
    struct yq_dep deps[2];
    int64_t since_ms[2];
    size_t n;

    if (!x->metrics) {
        return 0;
    }
    n = notifier_health_deps(x->metrics, deps, since_ms);
    for (size_t i = 0; i < n && i < max; i++) {
        out[i].dep = deps[i];
        out[i].since_ms = since_ms[i];
    }
    return n < max ? n : max;
}

const struct web_ticket_ops web_notifier_ops = {
    .list = ops_list,
    .get = ops_get,
    .act = ops_act,
    .change_marker = ops_change_marker, /* max(ticket_log.id) + max(event_log.id) */
    .role_may = ops_role_may,
    .list_held = ops_list_held,
    .desk = &web_desk_ops,
    .reports = &web_report_ops,
    .sources = &web_source_ops, /* issue #15: blind windows */
    .intake = ops_intake,       /* the duty page's banner while intake is down */
};
