#include "web_notifier_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_api.h"
#include "ticket_flow.h"
#include "ticket_held.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define LIST_MAX 5000

/* The distinct matched terms of an item's matches JSON (text, borrowed). */
static void add_terms(json_t *terms, const char *matches_text)
{
    json_t *matches = json_loads(matches_text ? matches_text : "[]", 0, NULL), *m, *t, *have;
    size_t i, j, k;

    json_array_foreach(matches, i, m)
    {
        json_array_foreach(json_object_get(m, "terms"), j, t)
        {
            json_t *term = json_object_get(t, "term");
            bool seen = false;
            if (!json_is_string(term)) {
                continue;
            }
            json_array_foreach(terms, k, have)
            {
                seen |= json_equal(have, term);
            }
            if (!seen) {
                json_array_append(terms, term);
            }
        }
    }
    json_decref(matches);
}

/*
 * Detail JSON of number with "terms" on each item and the summary fields the queue shows
 * ("source", "channel", "author", "excerpt" from the first item; "terms" and "rules" over all
 * items).
 * Lock held.
 */
static int detail(struct web_notifier_ctx *x, const char *number, json_t **out)
{
    struct ticket_item_list items = {0};
    struct ticket t;
    json_t *d = NULL, *all_terms, *all_rules, *jitems, *ji;
    size_t i;
    int err;

    err = ticket_api_detail(x->reader, number, &d);
    if (err) {
        return err;
    }
    memset(&t, 0, sizeof(t));
    err = ticket_store_get_by_number(x->reader, number, &t);
    if (!err) {
        err = ticket_store_list_items(x->reader, t.id, x->max_items, &items);
    }
    ticket_release(&t);
    if (err) {
        json_decref(d);
        return err;
    }
    all_terms = json_array();
    all_rules = json_array();
    jitems = json_object_get(d, "items");
    json_array_foreach(jitems, i, ji)
    {
        size_t r;
        json_t *rule;
        json_array_foreach(json_object_get(ji, "rules"), r, rule)
        {
            bool seen = false;
            size_t q;
            json_t *have;
            json_array_foreach(all_rules, q, have)
            {
                seen |= json_equal(have, rule);
            }
            if (!seen) {
                json_array_append(all_rules, rule);
            }
        }
        const char *id = json_string_value(json_object_get(ji, "item_id"));
        json_t *terms = json_array();
        for (size_t k = 0; id && k < items.n; k++) {
            if (strcmp(items.v[k].item_id, id) == 0) {
                add_terms(terms, items.v[k].matches);
                if (!json_object_get(ji, "source_id")) {
                    json_object_set_new(ji, "source_id", json_string(items.v[k].source_id));
                }
            }
        }
        {
            size_t n;
            json_t *term;
            json_array_foreach(terms, n, term)
            {
                bool seen = false;
                size_t q;
                json_t *have;
                json_array_foreach(all_terms, q, have)
                {
                    seen |= json_equal(have, term);
                }
                if (!seen) {
                    json_array_append(all_terms, term);
                }
            }
        }
        json_object_set_new(ji, "terms", terms);
        if (i == 0) {
            json_object_set(d, "source", json_object_get(ji, "source"));
            json_object_set(d, "channel", json_object_get(ji, "channel"));
            json_object_set(d, "author", json_object_get(ji, "author"));
            json_object_set(d, "excerpt", json_object_get(ji, "excerpt"));
        }
    }
    json_object_set_new(d, "terms", all_terms);
    json_object_set_new(d, "rules", all_rules); /* every rule that matched any item */
    ticket_item_list_release(&items);
    *out = d;
    return 0;
}

static bool in_department(json_t *t, const char *dept)
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

static bool has_source(json_t *t, const char *source)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(t, "items"), i, it)
    {
        const char *s = json_string_value(json_object_get(it, "source"));
        const char *sid = json_string_value(json_object_get(it, "source_id"));
        if ((s && strcmp(s, source) == 0) || (sid && strcmp(sid, source) == 0)) {
            return true;
        }
    }
    return false;
}

static int ops_list(void *ctx, const struct web_ticket_query *q, json_t **out)
{
    struct web_notifier_ctx *x = ctx;
    struct ticket_filter filter;
    struct ticket_list list = {0};
    json_t *arr = json_array();
    int err;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    memset(&filter, 0, sizeof(filter));
    filter.state = !q->state ? "active" : strcmp(q->state, "all") == 0 ? NULL : q->state;
    pthread_mutex_lock(x->lock);
    err = ticket_store_list(x->reader, &filter, LIST_MAX, &list);
    for (size_t i = 0; !err && i < list.n && json_array_size(arr) < q->max; i++) {
        json_t *d = NULL;
        if (q->level && strcmp(q->level, yq_level_name(list.v[i].level)) != 0) {
            continue;
        }
        err = detail(x, list.v[i].number, &d);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            continue;
        }
        if (err) {
            break;
        }
        if ((q->department && !in_department(d, q->department)) ||
            (q->source && !has_source(d, q->source))) {
            json_decref(d);
            continue;
        }
        json_object_del(d, "log");
        json_object_del(d, "items");
        json_object_del(d, "responses");
        json_array_append_new(arr, d);
    }
    pthread_mutex_unlock(x->lock);
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
    err = detail(x, number, out);
    pthread_mutex_unlock(x->lock);
    return err;
}

static int ops_act(void *ctx, const char *number, const char *action,
                   const struct web_actor *actor, json_t *args, char *errbuf, size_t errlen)
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
    err = ticket_api_act(x->writer, number, action, actor->username, actor->role, a,
                         yq_time_now(), &answer, errbuf, errlen);
    pthread_mutex_unlock(x->lock);
    json_decref(answer);
    json_decref(a);
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

static int ops_list_held(void *ctx, const char *reason, const char *query, size_t max,
                         json_t **out)
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

const struct web_ticket_ops web_notifier_ops = {
    .list = ops_list,
    .get = ops_get,
    .act = ops_act,
    .change_marker = NULL, /* max(ticket_log.id) on the web's own connection */
    .role_may = ops_role_may,
    .list_held = ops_list_held,
};
