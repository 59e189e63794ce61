#include "ticket_api.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_clock.h"
#include "ticket_flow.h"
#include "yq_banned.h"
#include "yq_err.h"
#include "yq_time.h"

#define MAX_ITEMS 200

static json_t *str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_string(""); /* not UTF-8: "" rather than failing the whole answer */
}

static json_t *when(int64_t t)
{
    char buf[32];
    return t > 0 ? json_string(yq_time_format_utc(t, buf, sizeof(buf))) : json_null();
}

static const char *state_label(const char *state)
{
    static const char *const map[][2] = {
        {"open", "待签收"},   {"acknowledged", "已签收"}, {"responded", "已回应"},
        {"closed", "已办结"}, {"returned", "退回"},       {"dismissed", "不予处置"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strcmp(map[i][0], state) == 0) {
            return map[i][1];
        }
    }
    return state;
}

/*
 * The group of each rule of an item, in the order of rule_ids (a JSON array of rule ids), from
 * its stored matches (JSON, each {"rule_id","group",...}): the group string, or null when the
 * item was stored before alerts carried groups. New reference (an empty array when rule_ids is
 * not an array), NULL on ERR_NOMEM.
 */
static json_t *rule_groups(const json_t *rule_ids, const char *matches_json)
{
    json_t *matches = json_loads(matches_json ? matches_json : "[]", 0, NULL);
    json_t *out = json_array();
    size_t i, j;
    const json_t *id, *m;

    if (!out) {
        json_decref(matches);
        return NULL;
    }
    json_array_foreach(rule_ids, i, id)
    {
        const json_t *g = NULL;
        json_array_foreach(matches, j, m)
        {
            if (json_equal(json_object_get(m, "rule_id"), id)) {
                g = json_object_get(m, "group");
                break;
            }
        }
        /* json_stringn() NULL (NOMEM) makes the append fail */
        if (json_array_append_new(out,
                                  json_is_string(g) && json_string_length(g) > 0
                                      ? json_stringn(json_string_value(g), json_string_length(g))
                                      : json_null()) != 0) {
            json_decref(out);
            out = NULL;
            break;
        }
    }
    json_decref(matches);
    return out;
}

static json_t *clock_json(const char *name, const char *label, int64_t deadline, int64_t met_at,
                          bool overdue)
{
    return json_pack("{s:s,s:s,s:o,s:o,s:b}", "name", name, "label", label, "deadline",
                     when(deadline), "met_at", when(met_at), "overdue", overdue);
}

int ticket_api_detail(struct ticket_store *store, const char *number, json_t **out)
{
    struct ticket t;
    struct ticket_item_list items;
    struct ticket_log_list log;
    struct ticket_response_list resp;
    json_t *o = NULL, *arr;
    int err, rc = 0;

    *out = NULL;
    err = ticket_store_get_by_number(store, number, &t);
    if (err) {
        return err;
    }
    memset(&items, 0, sizeof(items));
    memset(&log, 0, sizeof(log));
    memset(&resp, 0, sizeof(resp));
    err = ticket_store_list_items(store, t.id, MAX_ITEMS, &items);
    if (!err) {
        err = ticket_store_list_log(store, t.id, &log);
    }
    if (!err) {
        err = ticket_store_list_responses(store, t.id, &resp);
    }
    if (err) {
        goto done;
    }
    err = ERR_NOMEM;
    o = json_object();
    if (!o) {
        goto done;
    }
    rc |= json_object_set_new(o, "number", str(t.number));
    rc |= json_object_set_new(o, "title", str(t.title));
    rc |= json_object_set_new(o, "level", str(yq_level_name(t.level)));
    rc |= json_object_set_new(o, "level_label", str(yq_level_label(t.level)));
    rc |= json_object_set_new(o, "department", str(t.department));
    arr = json_loads(t.co_departments, 0, NULL);
    rc |= json_object_set_new(o, "co_departments", json_is_array(arr) ? arr : json_array());
    if (!json_is_array(arr)) {
        json_decref(arr);
    }
    rc |= json_object_set_new(o, "state", str(t.state));
    rc |= json_object_set_new(o, "state_label", str(state_label(t.state)));
    rc |= json_object_set_new(o, "event_key", str(t.event_key));
    rc |= json_object_set_new(o, "item_count", json_integer(t.item_count));
    rc |= json_object_set_new(o, "heat", json_integer(t.heat));
    rc |= json_object_set_new(o, "score", json_real(t.score));
    rc |= json_object_set_new(o, "version", json_integer(t.version));
    rc |= json_object_set_new(o, "url", str(t.url));
    /* issue #10: matched while the matcher could not check its rule version */
    rc |= json_object_set_new(o, "rules_unverified", json_boolean(t.rules_unverified));
    rc |= json_object_set_new(o, "rules_checked_at", when(t.rules_checked_at));
    rc |= json_object_set_new(o, "detected_at", when(t.detected_at));
    rc |= json_object_set_new(o, "first_post_at", when(t.has_first_post ? t.first_post_at : 0));
    rc |= json_object_set_new(o, "assigned_at", when(t.assigned_at));
    rc |= json_object_set_new(o, "acknowledged_at", when(t.acknowledged_at));
    rc |= json_object_set_new(o, "responded_at", when(t.responded_at));
    rc |= json_object_set_new(o, "closed_at", when(t.closed_at));
    rc |= json_object_set_new(o, "returned_at", when(t.returned_at));
    rc |= json_object_set_new(o, "dismissed_at", when(t.dismissed_at));
    rc |= json_object_set_new(o, "reopened_at", when(t.reopened_at));
    rc |= json_object_set_new(o, "dismiss_reason", str(t.dismiss_reason));
    rc |= json_object_set_new(o, "reopen_count", json_integer(t.reopen_count));
    arr = json_array();
    rc |= json_object_set_new(o, "clocks", arr);
    rc |= json_array_append_new(
        arr, clock_json("ack", "签收时限", t.ack_deadline, t.acknowledged_at, t.ack_overdue));
    rc |= json_array_append_new(arr, clock_json("response", "回应时限", t.response_deadline,
                                                t.responded_at, t.response_overdue));
    if (t.press_deadline) {
        rc |= json_array_append_new(arr, clock_json("press", "新闻发布会时限", t.press_deadline,
                                                    t.press_held_at, t.press_overdue));
    }
    if (t.close_deadline) {
        rc |= json_array_append_new(
            arr, clock_json("close", "办结时限", t.close_deadline, t.closed_at, t.close_overdue));
    }
    arr = json_array();
    rc |= json_object_set_new(o, "items", arr);
    for (size_t i = 0; i < items.n; i++) {
        const struct ticket_item *it = &items.v[i];
        json_t *rules = json_loads(it->rule_ids, 0, NULL);
        if (!json_is_array(rules)) {
            json_decref(rules);
            rules = json_array();
        }
        rc |= json_array_append_new(
            arr,
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "item_id", str(it->item_id),
                      "title", str(it->title), "url", str(it->url), "channel", str(it->channel),
                      "author", str(it->author), "source", str(it->source), "published_at",
                      when(it->has_published ? it->published_at : 0), "excerpt", str(it->excerpt),
                      "rules", rules, "groups", rule_groups(rules, it->matches)));
    }
    arr = json_array();
    rc |= json_object_set_new(o, "responses", arr);
    for (size_t i = 0; i < resp.n; i++) {
        const struct ticket_response *r = &resp.v[i];
        rc |= json_array_append_new(
            arr,
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "channel", str(r->channel), "url", str(r->url),
                      "responded_at", when(r->responded_at), "recorded_at", when(r->recorded_at),
                      "recorded_by", str(r->recorded_by), "note", str(r->note)));
    }
    arr = json_array();
    rc |= json_object_set_new(o, "log", arr);
    for (size_t i = 0; i < log.n; i++) {
        const struct ticket_log_entry *e = &log.v[i];
        rc |= json_array_append_new(
            arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "at", when(e->at), "actor",
                           str(e->actor), "role", str(e->role), "action", str(e->action), "from",
                           str(e->from_state), "to", str(e->to_state), "note", str(e->note)));
    }
    if (rc) {
        json_decref(o);
        o = NULL;
        goto done;
    }
    err = 0;
    *out = o;
done:
    ticket_release(&t);
    ticket_item_list_release(&items);
    ticket_log_list_release(&log);
    ticket_response_list_release(&resp);
    return err;
}

/* A string argument: absent or null -> NULL; present but not a string -> error. */
static int arg_str(json_t *args, const char *key, const char **out)
{
    json_t *v = args ? json_object_get(args, key) : NULL;
    *out = NULL;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return ERR_INVALID;
    }
    *out = json_string_value(v);
    return 0;
}

static json_t *refusal(const char *msg)
{
    return json_pack("{s:b,s:o}", "ok", 0, "error", str(msg));
}

int ticket_api_act(struct ticket_store *store, const char *number, const char *action,
                   const char *actor, const char *role, json_t *args, int64_t now, json_t **out,
                   char *errbuf, size_t errlen)
{
    struct ticket_action act;
    struct ticket_action_result res;
    const char *co[16], *when_s = NULL, *level_s = NULL;
    json_t *cov, *ev;
    int err;

    *out = NULL;
    memset(&act, 0, sizeof(act));
    if (ticket_action_parse(action, &act.kind)) {
        snprintf(errbuf, errlen, "unknown action '%.40s'", action ? action : "");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    if (args && !json_is_object(args)) {
        snprintf(errbuf, errlen, "the request body must be a JSON object");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    act.number = number;
    act.actor = actor;
    act.role = role;
    if (arg_str(args, "note", &act.note) || arg_str(args, "department", &act.department) ||
        arg_str(args, "channel", &act.channel) || arg_str(args, "url", &act.url) ||
        arg_str(args, "reason", &act.reason) || arg_str(args, "responded_at", &when_s) ||
        arg_str(args, "level", &level_s)) {
        snprintf(errbuf, errlen,
                 "note, department, channel, url, reason, responded_at and level must "
                 "be strings");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    ev = args ? json_object_get(args, "expected_version") : NULL;
    if (ev && !json_is_null(ev)) {
        if (!json_is_integer(ev) || json_integer_value(ev) < 1) {
            snprintf(errbuf, errlen, "expected_version must be a positive integer");
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        act.expected_version = json_integer_value(ev);
    }
    if (level_s && yq_level_parse(level_s, &act.level)) {
        snprintf(errbuf, errlen, "level must be I, II, III or IV");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    if (when_s && yq_time_parse_iso(when_s, &act.responded_at, NULL)) {
        snprintf(errbuf, errlen, "responded_at must be an RFC 3339 time");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    cov = args ? json_object_get(args, "co_departments") : NULL;
    if (cov && !json_is_null(cov)) {
        size_t i;
        json_t *d;
        if (!json_is_array(cov) || json_array_size(cov) > 16) {
            snprintf(errbuf, errlen, "co_departments must be a list of at most 10 names");
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        json_array_foreach(cov, i, d)
        {
            if (!json_is_string(d)) {
                snprintf(errbuf, errlen, "co_departments must be a list of names");
                *out = refusal(errbuf);
                return ERR_INVALID;
            }
            co[i] = json_string_value(d);
        }
        act.co_departments = co;
        act.n_co_departments = json_array_size(cov);
    }
    err = ticket_flow_apply(store, &act, now, &res, errbuf, errlen);
    if (err) {
        *out = refusal(errbuf);
        return err;
    }
    *out = json_pack("{s:b,s:s,s:s,s:s,s:I,s:i}", "ok", 1, "number", res.number, "from",
                     res.from_state, "to", res.to_state, "version", (json_int_t)res.version,
                     "notifications", res.notifications);
    return 0;
}

unsigned ticket_api_http_status(int err)
{
    switch (err) {
    case 0:
        return 200;
    case ERR_NOT_FOUND:
        return 404;
    case ERR_BAD_STATE:
        return 409;
    case ERR_INVALID:
    case ERR_PARSE:
        return 400;
    case ERR_TOO_BIG:
        return 413;
    case ERR_RETRY:
        return 503;
    default:
        return 500;
    }
}
