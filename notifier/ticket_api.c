#include "ticket_api.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "response_store.h"
#include "ticket_clock.h"
#include "ticket_flow.h"
#include "ticket_store_int.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_time.h"
#include "yq_banned.h"

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

/* Beijing time "YYYY-MM-DD HH:MM" for display, or null. */
static json_t *when_bj(int64_t t)
{
    char buf[32];
    return t > 0 ? json_string(yq_time_format_shanghai(t, buf, sizeof(buf))) : json_null();
}

/*
 * The field ("group" or "name") of each rule of an item, in the order of rule_ids (a JSON
 * array of rule ids), from its stored matches (JSON, each {"rule_id","group","name",...}): the
 * string, or when the match has none (items stored before alerts carried it) null, or the rule
 * id itself when id_fallback. New reference (an empty array when rule_ids is not an array),
 * NULL on ERR_NOMEM.
 */
static json_t *rule_field(const json_t *rule_ids, const char *matches_json, const char *field,
                          bool id_fallback)
{
    json_t *matches = yq_json_column_array(matches_json, "matches");
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
                g = json_object_get(m, field);
                break;
            }
        }
        if (!(json_is_string(g) && json_string_length(g) > 0) && id_fallback) {
            g = id;
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

static json_t *rule_groups(const json_t *rule_ids, const char *matches_json)
{
    return rule_field(rule_ids, matches_json, "group", false);
}

/* Each rule's name (命中规则 shows names, not ids); the id when the match has no name. */
static json_t *rule_names(const json_t *rule_ids, const char *matches_json)
{
    return rule_field(rule_ids, matches_json, "name", true);
}

/*
 * One clock of t. A clock is "met" when its step was taken (stopped_at = then), "running" while
 * the ticket is active, and on a settled (closed or dismissed) ticket "stopped" (stopped before
 * its deadline) or "missed" (its deadline had passed), stopped_at = when the ticket was settled:
 * a settled ticket's clock never shows time remaining (issue #11).
 */
static json_t *clock_json(const struct ticket *t, const char *name, int64_t deadline,
                          int64_t met_at, bool overdue)
{
    bool dismissed = t->state == TICKET_STATE_DISMISSED;
    bool settled = ticket_state_settled(t->state);
    int64_t stopped_at = met_at;
    const char *state = "running", *state_label = "进行中";

    if (met_at > 0) {
        state = "met";
        state_label = met_at > deadline && deadline > 0 ? "超时完成" : "已完成";
    } else if (settled) {
        stopped_at = dismissed ? t->dismissed_at : t->closed_at;
        state = stopped_at > deadline && deadline > 0 ? "missed" : "stopped";
        state_label = dismissed ? "已撤销" : "已停止";
    }
    return json_pack("{s:s,s:s,s:o,s:o,s:o,s:b,s:s,s:s,s:o,s:o,s:b}", "name", name, "label",
                     yq_label(YQ_LABEL_CLOCK, name), "deadline", when(deadline), "met_at",
                     when(met_at), "deadline_display", when_bj(deadline), "overdue", overdue,
                     "state", state, "state_label", state_label, "stopped_at", when(stopped_at),
                     "stopped_at_display", when_bj(stopped_at), "settled", settled);
}

/* The value of key in a log note "k1=v1 k2=v2 note=free text" into buf ("" when absent). */
const char *ticket_api_note_value(const char *note, const char *key, char *buf, size_t len)
{
    size_t klen = strlen(key);
    const char *p = note;

    buf[0] = '\0';
    while (p && *p) {
        if (strncmp(p, key, klen) == 0 && p[klen] == '=' && (p == note || p[-1] == ' ')) {
            const char *v = p + klen + 1;
            /* note and deadline ("YYYY-MM-DD HH:MM") run to the end; the rest to a space */
            size_t n = strcmp(key, "note") == 0 || strcmp(key, "deadline") == 0 ? strlen(v)
                                                                               : strcspn(v, " ");
            snprintf(buf, len, "%.*s", (int)n, v);
            return buf;
        }
        p = strchr(p + 1, ' ');
        p = p ? p + 1 : NULL;
    }
    return buf;
}

/* The source kind's label of an item id "rss:…" ("" when it has no kind prefix). */
static const char *item_source_label(const char *item_id, char *buf, size_t len)
{
    size_t n = strcspn(item_id, ":");
    if (!item_id[n]) {
        buf[0] = '\0';
        return buf;
    }
    snprintf(buf, len, "%.*s", (int)n, item_id);
    return yq_label(YQ_LABEL_SOURCE_KIND, buf);
}

const char *ticket_api_co_text(const char *co, const char *none, char *buf, size_t len)
{
    json_t *arr = yq_json_column_array(co, "co_departments"), *d; /* before buf is written */
    size_t i, n = 0;

    buf[0] = '\0';
    json_array_foreach(arr, i, d)
    {
        if (json_is_string(d) && n < len) {
            n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "、" : "", json_string_value(d));
        }
    }
    json_decref(arr);
    if (!buf[0]) {
        snprintf(buf, len, "%s", none);
    }
    return buf;
}

const char *ticket_api_log_detail(const char *action, const char *note, char *d, size_t len)
{
    const char *a = action ? action : "";
    char v1[600], v2[600], v3[2100], src[32];
    enum yq_level lv;

    note = note ? note : "";
    d[0] = '\0';

    if (strcmp(a, "created") == 0) {
        ticket_api_created_text(note, d, len);
        /* a ticket opened by 交办 from the 研判 inbox carries the officer's 研判意见 */
        ticket_api_note_value(note, "note", v3, sizeof(v3));
        if (v3[0]) {
            snprintf(d + strlen(d), len - strlen(d), "；研判意见：%s", v3);
        }
    } else if (strcmp(a, "assigned") == 0) {
        ticket_api_note_value(note, "department", v1, sizeof(v1));
        ticket_api_note_value(note, "co_departments", v2, sizeof(v2));
        ticket_api_note_value(note, "note", v3, sizeof(v3));
        snprintf(d, len, "主办 %s", v1);
        ticket_api_co_text(v2, "", v2, sizeof(v2));
        if (v2[0]) {
            snprintf(d + strlen(d), len - strlen(d), "，协办 %s", v2);
        }
        if (v3[0]) {
            snprintf(d + strlen(d), len - strlen(d), "；%s", v3);
        }
    } else if (strcmp(a, "responded") == 0) {
        ticket_api_note_value(note, "channel", v1, sizeof(v1));
        ticket_api_note_value(note, "url", v2, sizeof(v2));
        ticket_api_note_value(note, "note", v3, sizeof(v3));
        snprintf(d, len, "%s%s%s%s%s", v1, v2[0] ? " " : "", v2, v3[0] ? "；" : "", v3);
    } else if (strcmp(a, "dismissed") == 0) {
        ticket_api_note_value(note, "reason", v1, sizeof(v1));
        ticket_api_note_value(note, "note", v3, sizeof(v3));
        snprintf(d, len, "原因 %s%s%s", yq_label(YQ_LABEL_DISMISS_REASON, v1), v3[0] ? "；" : "",
                 v3);
    } else if (strcmp(a, "level_set") == 0) {
        ticket_api_note_value(note, "level", v1, sizeof(v1));
        ticket_api_note_value(note, "was", v2, sizeof(v2));
        ticket_api_note_value(note, "note", v3, sizeof(v3));
        snprintf(d, len, "由 %s %s 调整为 %s %s%s%s", v2,
                 yq_level_parse(v2, &lv) == 0 ? yq_level_label(lv) : "", v1,
                 yq_level_parse(v1, &lv) == 0 ? yq_level_label(lv) : "", v3[0] ? "；" : "", v3);
    } else if (strcmp(a, "remind") == 0 || strcmp(a, "supervise") == 0) {
        ticket_api_note_value(note, "clock", v1, sizeof(v1));
        ticket_api_note_value(note, "deadline", v2, sizeof(v2));
        snprintf(d, len, "%s %s（北京时间）%s", yq_label(YQ_LABEL_CLOCK, v1), v2,
                 strcmp(a, "remind") == 0 ? "即将到期" : "已超时");
    } else if (strcmp(a, "item_added") == 0 || strcmp(a, "revision_added") == 0) {
        snprintf(d, len, "%s%s", item_source_label(note, src, sizeof(src))[0] ? "来源 " : "",
                 item_source_label(note, src, sizeof(src)));
    } else if (strcmp(a, "reopened") == 0 && strncmp(note, "changed after closure", 21) == 0) {
        snprintf(d, len, "办结后原文有更新");
    } else {
        snprintf(d, len, "%s", note); /* 签收, 办结 (处置结果), 退回 (理由), 重新打开 */
    }
    return d;
}

/*
 * The log entry e in Chinese for a person: "<actor> <action label>：<details>", e.g.
 * "系统 交办：级别 II 重大，市应急管理局，来源 网站". New reference.
 */
static json_t *log_text(const struct ticket_log_entry *e)
{
    char d[8192];

    return ticket_api_log_line(e->actor, yq_label(YQ_LABEL_LOG_ACTION, e->action),
                               ticket_api_log_detail(e->action, e->note, d, sizeof(d)));
}

json_t *ticket_api_log_line(const char *actor, const char *action_label, const char *detail)
{
    const char *who = actor && strcmp(actor, "system") == 0 ? "系统" : actor ? actor : "";
    char *out = NULL;
    json_t *j;

    if (asprintf(&out, "%s %s%s%s", who, action_label, detail[0] ? "：" : "", detail) < 0) {
        return json_string("");
    }
    j = str(out);
    free(out);
    return j;
}

const char *ticket_api_created_text(const char *note, char *buf, size_t len)
{
    char level[16], department[600], item_id[600], src[32];
    const char *kind;
    enum yq_level lv;

    ticket_api_note_value(note, "level", level, sizeof(level));
    ticket_api_note_value(note, "department", department, sizeof(department));
    ticket_api_note_value(note, "item_id", item_id, sizeof(item_id));
    kind = item_source_label(item_id, src, sizeof(src));
    snprintf(buf, len, "级别 %s %s，%s%s%s", level,
             yq_level_parse(level, &lv) == 0 ? yq_level_label(lv) : "",
             department[0] ? department : "待分派", kind[0] ? "，来源 " : "", kind);
    return buf;
}

/* The distinct matched terms of an item's matches JSON (text, borrowed). New reference. */
static json_t *item_terms(const char *matches_text)
{
    json_t *matches = yq_json_column_array(matches_text, "matches"), *m, *t;
    json_t *terms = json_array(), *one = json_array();
    size_t i, j;
    int rc = terms && one ? 0 : -1;

    json_array_foreach(matches, i, m)
    {
        json_array_foreach(json_object_get(m, "terms"), j, t)
        {
            json_t *term = json_object_get(t, "term");
            if (json_is_string(term)) {
                rc |= json_array_append(one, term);
            }
        }
    }
    rc |= yq_json_array_add_distinct(terms, one, true);
    json_decref(one);
    json_decref(matches);
    if (rc) {
        json_decref(terms);
        return NULL;
    }
    return terms;
}

/* A millisecond time (issue #16): the integer, or null when unknown (0). New reference. */
static json_t *ms_or_null(int64_t ms)
{
    return ms > 0 ? json_integer(ms) : json_null();
}

/*
 * The item's fetch, match and intake times in milliseconds (issue #16, migration 13) and
 * latency_ms = stored_at_ms - fetched_at_ms (at least 0; null when either is unknown) into
 * obj. Returns obj, or NULL (obj released) on ERR_NOMEM.
 */
static json_t *item_times(json_t *obj, const struct ticket_item *it)
{
    bool known = it->fetched_at_ms > 0 && it->stored_at_ms > 0;
    int64_t lat = known ? it->stored_at_ms - it->fetched_at_ms : 0;

    if (obj && (json_object_set_new(obj, "fetched_at_ms", ms_or_null(it->fetched_at_ms)) ||
                json_object_set_new(obj, "matched_at_ms", ms_or_null(it->matched_at_ms)) ||
                json_object_set_new(obj, "stored_at_ms", ms_or_null(it->stored_at_ms)) ||
                json_object_set_new(obj, "latency_ms",
                                    known ? json_integer(lat < 0 ? 0 : lat) : json_null()))) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/* One item's JSON (the detail's "items" entry). New reference, NULL on ERR_NOMEM. */
static json_t *item_json(const struct ticket_item *it)
{
    char src[32];
    json_t *rules = yq_json_column_array(it->rule_ids, "rule_ids");

    return item_times(json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "item_id",
                     str(it->item_id), "title", str(it->title), "url", str(it->url), "channel",
                     str(it->channel), "author", str(it->author), "source", str(it->source),
                     "source_id", str(it->source_id), "source_label",
                     str(item_source_label(it->item_id, src, sizeof(src))), "published_at",
                     when(it->has_published ? it->published_at : 0), "published_at_display",
                     when_bj(it->has_published ? it->published_at : 0), "excerpt", str(it->excerpt),
                     "rules", rules, "groups", rule_groups(rules, it->matches), "rule_names",
                     rule_names(rules, it->matches), "terms", item_terms(it->matches)),
                      it);
}

/*
 * The actions ticket_flow's table allows from state, by name ("ack", "return", ...): the web UI
 * shows a button only for these, so the transition table stays the one authority (issue #12).
 * Who may take them is the role check of ticket_action_role_may(). New reference or NULL.
 */
static json_t *next_actions(enum ticket_state state)
{
    json_t *arr = json_array();

    for (int k = 0; arr && k < TICKET_ACT_COUNT; k++) {
        if (k == TICKET_ACT_CONFIRM_RESPONSE || k == TICKET_ACT_REJECT_RESPONSE) {
            continue; /* per proposal: the page offers them on each proposed 回应 */
        }
        if (ticket_action_allowed_from((enum ticket_action_kind)k, ticket_state_name(state)) &&
            json_array_append_new(arr, json_string(ticket_action_name((enum ticket_action_kind)k)))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

/*
 * The fields of t every view shows (everything but "items", "responses" and "log"), with the
 * queue's summary of items (n, borrowed, in attachment order): "source", "channel", "author",
 * "excerpt" of the first item, the distinct "terms" and "rules" of all. New reference, NULL on
 * ERR_NOMEM.
 */
static json_t *ticket_json(const struct ticket *t, const struct ticket_item *items, size_t n)
{
    bool settled = ticket_state_settled(t->state);
    json_t *o = json_object(), *arr, *terms = json_array(), *rules = json_array();
    int rc = o && terms && rules ? 0 : -1;

    if (rc) {
        goto fail;
    }
    rc |= json_object_set_new(o, "number", str(t->number));
    rc |= json_object_set_new(o, "title", str(t->title));
    rc |= json_object_set_new(o, "level", str(yq_level_name(t->level)));
    rc |= json_object_set_new(o, "level_label", str(yq_level_label(t->level)));
    rc |= json_object_set_new(o, "department", str(t->department));
    arr = yq_json_column_array(t->co_departments, "co_departments");
    rc |= json_object_set_new(o, "co_departments", arr);
    rc |= json_object_set_new(o, "state", str(ticket_state_name(t->state)));
    rc |= json_object_set_new(o, "state_label", str(ticket_state_label(t->state)));
    rc |= json_object_set_new(o, "event_key", str(t->event_key));
    rc |= json_object_set_new(o, "item_count", json_integer(t->item_count));
    rc |= json_object_set_new(o, "heat", json_integer(t->heat));
    rc |= json_object_set_new(o, "score", json_real(t->score));
    rc |= json_object_set_new(o, "version", json_integer(t->version));
    rc |= json_object_set_new(o, "url", str(t->url));
    /* issue #10: matched while the matcher could not check its rule version */
    rc |= json_object_set_new(o, "rules_unverified", json_boolean(t->rules_unverified));
    rc |= json_object_set_new(o, "rules_checked_at", when(t->rules_checked_at));
    rc |= json_object_set_new(o, "detected_at", when(t->detected_at));
    rc |= json_object_set_new(o, "first_post_at", when(t->has_first_post ? t->first_post_at : 0));
    rc |= json_object_set_new(o, "assigned_at", when(t->assigned_at));
    rc |= json_object_set_new(o, "acknowledged_at", when(t->acknowledged_at));
    rc |= json_object_set_new(o, "responded_at", when(t->responded_at));
    rc |= json_object_set_new(o, "closed_at", when(t->closed_at));
    rc |= json_object_set_new(o, "returned_at", when(t->returned_at));
    rc |= json_object_set_new(o, "dismissed_at", when(t->dismissed_at));
    rc |= json_object_set_new(o, "reopened_at", when(t->reopened_at));
    rc |= json_object_set_new(o, "dismiss_reason", str(t->dismiss_reason));
    rc |= json_object_set_new(o, "dismiss_reason_label",
                              str(yq_label(YQ_LABEL_DISMISS_REASON, t->dismiss_reason)));
    rc |= json_object_set_new(o, "settled", json_boolean(settled));
    rc |= json_object_set_new(o, "next_actions", next_actions(t->state));
    rc |= json_object_set_new(o, "detected_at_display", when_bj(t->detected_at));
    rc |= json_object_set_new(o, "first_post_at_display",
                              when_bj(t->has_first_post ? t->first_post_at : 0));
    rc |= json_object_set_new(o, "closed_at_display", when_bj(t->closed_at));
    rc |= json_object_set_new(o, "dismissed_at_display", when_bj(t->dismissed_at));
    rc |= json_object_set_new(o, "reopen_count", json_integer(t->reopen_count));
    arr = json_array();
    rc |= json_object_set_new(o, "clocks", arr);
    rc |= json_array_append_new(
        arr, clock_json(t, "ack", t->ack_deadline, t->acknowledged_at, t->ack_overdue));
    rc |= json_array_append_new(
        arr, clock_json(t, "response", t->response_deadline, t->responded_at, t->response_overdue));
    if (t->press_deadline) {
        rc |= json_array_append_new(
            arr, clock_json(t, "press", t->press_deadline, t->press_held_at, t->press_overdue));
    }
    if (t->close_deadline) {
        rc |= json_array_append_new(
            arr, clock_json(t, "close", t->close_deadline, t->closed_at, t->close_overdue));
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it_terms = item_terms(items[i].matches);
        json_t *it_rules = yq_json_column_array(items[i].rule_ids, "rule_ids");
        rc |= it_terms ? yq_json_array_add_distinct(terms, it_terms, true) : -1;
        rc |= yq_json_array_add_distinct(rules, it_rules,
                                         true); /* every rule that matched any item */
        json_decref(it_terms);
        json_decref(it_rules);
    }
    if (n > 0) {
        rc |= json_object_set_new(o, "source", str(items[0].source));
        rc |= json_object_set_new(o, "channel", str(items[0].channel));
        rc |= json_object_set_new(o, "author", str(items[0].author));
        rc |= json_object_set_new(o, "excerpt", str(items[0].excerpt));
    }
    rc |= json_object_set(o, "terms", terms);
    rc |= json_object_set(o, "rules", rules);
    if (rc) {
        goto fail;
    }
    json_decref(terms);
    json_decref(rules);
    return o;
fail:
    json_decref(terms);
    json_decref(rules);
    json_decref(o);
    return NULL;
}

json_t *ticket_api_summary(const struct ticket *t, const struct ticket_item *items, size_t n)
{
    return ticket_json(t, items, n);
}

/* The id of the event (issue #13) whose ticket is ticket_id into *out (0: none). */
static int event_of_ticket(struct ticket_store *store, int64_t ticket_id, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store,
                                   "SELECT id FROM events WHERE ticket_id = ?1 ORDER BY id LIMIT 1",
                                   &st, "event of ticket");
    int rc;

    *out = 0;
    if (err) {
        return err;
    }
    rc = yq_stmt_bind_int64(st, 1, ticket_id);
    if (rc == YQ_DB_OK) {
        rc = yq_stmt_step(st);
    }
    if (rc == YQ_DB_ROW) {
        *out = yq_stmt_column_int64(st, 0);
        rc = YQ_DB_DONE;
    }
    err = rc == YQ_DB_DONE ? 0 : ticket_store_fail(store, rc, "event of ticket");
    yq_stmt_finalize(st);
    return err;
}

int ticket_api_detail(struct ticket_store *store, const char *number, json_t **out)
{
    struct ticket t;
    struct ticket_item_list items;
    struct ticket_log_list log;
    struct ticket_response_list resp;
    json_t *o = NULL, *arr, *proposals = NULL;
    int64_t event_id = 0;
    bool *detected = NULL;
    size_t n_detected = 0;
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
        err = event_of_ticket(store, t.id, &event_id);
    }
    if (!err) {
        err = ticket_store_list_responses(store, t.id, &resp);
    }
    if (!err) {
        err = response_store_detected_flags(store, t.id, &detected, &n_detected);
    }
    if (!err) {
        err = response_store_ticket_json(store, t.id, &proposals);
    }
    if (err) {
        goto done;
    }
    err = ERR_NOMEM;
    o = ticket_json(&t, items.v, items.n);
    if (!o) {
        goto done;
    }
    /* issue #13: the event the ticket was opened from (its 研判 page), null for none */
    rc |= json_object_set_new(o, "event_id", event_id > 0 ? json_integer(event_id) : json_null());
    arr = json_array();
    rc |= json_object_set_new(o, "items", arr);
    for (size_t i = 0; i < items.n; i++) {
        rc |= json_array_append_new(arr, item_json(&items.v[i]));
    }
    arr = json_array();
    rc |= json_object_set_new(o, "responses", arr);
    for (size_t i = 0; i < resp.n; i++) {
        const struct ticket_response *r = &resp.v[i];
        rc |= json_array_append_new(
            arr,
            json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}", "channel", str(r->channel), "url",
                      str(r->url), "responded_at", when(r->responded_at), "responded_at_display",
                      when_bj(r->responded_at), "recorded_at", when(r->recorded_at),
                      "recorded_by", str(r->recorded_by), "note", str(r->note), "detected",
                      i < n_detected && detected[i]));
    }
    /* issue #15: the proposed 回应 found on official channels (response_store.h) */
    rc |= json_object_set_new(o, "proposals", proposals);
    proposals = NULL;
    arr = json_array();
    rc |= json_object_set_new(o, "log", arr);
    for (size_t i = 0; i < log.n; i++) {
        const struct ticket_log_entry *e = &log.v[i];
        rc |= json_array_append_new(
            arr, json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "at", when(e->at),
                           "at_display", when_bj(e->at), "actor", str(e->actor), "role",
                           str(e->role), "action", str(e->action), "action_label",
                           str(yq_label(YQ_LABEL_LOG_ACTION, e->action)), "from",
                           str(e->from_state), "to", str(e->to_state), "note", str(e->note),
                           "text", log_text(e)));
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
    json_decref(proposals);
    free(detected);
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

/* {"ok":false,"error":"中文说明","code":"machine_code"} from a "code: 中文说明" errbuf. */
static json_t *refusal(const char *msg)
{
    char code[64];
    const char *text = ticket_flow_error_split(msg, code, sizeof(code));
    return json_pack("{s:b,s:o,s:s}", "ok", 0, "error", str(text), "code",
                     code[0] ? code : "invalid");
}

int ticket_api_act(struct ticket_store *store, const char *number, const char *action,
                   const char *actor, const char *role, json_t *args, int64_t now, json_t **out,
                   char *errbuf, size_t errlen)
{
    struct ticket_action act;
    struct ticket_action_result res;
    const char *co[TICKET_MAX_CO_DEPARTMENTS], *when_s = NULL, *level_s = NULL;
    json_t *cov, *ev;
    int err;

    *out = NULL;
    memset(&act, 0, sizeof(act));
    if (ticket_action_parse(action, &act.kind)) {
        snprintf(errbuf, errlen, "unknown_action: 未知的操作“%.40s”", action ? action : "");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    if (args && !json_is_object(args)) {
        snprintf(errbuf, errlen, "body_invalid: 请求内容须为 JSON 对象");
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
                 "argument_type: note、department、channel、url、reason、responded_at 和 "
                 "level 须为字符串");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    ev = args ? json_object_get(args, "expected_version") : NULL;
    if (ev && !json_is_null(ev)) {
        /* 0 is a ticket's version until its first change */
        if (!json_is_integer(ev) || json_integer_value(ev) < 0) {
            snprintf(errbuf, errlen, "expected_version_invalid: expected_version 须为非负整数");
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        act.expected_version = json_integer_value(ev);
        act.expect_version = true;
    }
    ev = args ? json_object_get(args, "proposal_id") : NULL;
    if (ev && !json_is_null(ev)) {
        if (!json_is_integer(ev) || json_integer_value(ev) < 1) {
            snprintf(errbuf, errlen, "proposal_id_invalid: proposal_id 须为正整数");
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        act.proposal_id = json_integer_value(ev);
    }
    if (level_s && yq_level_parse(level_s, &act.level)) {
        snprintf(errbuf, errlen, "level_invalid: 级别须为 I、II、III 或 IV");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    if (when_s && yq_time_parse_iso(when_s, &act.responded_at, NULL)) {
        snprintf(errbuf, errlen, "response_time_invalid: 回应时间格式无效（须为 RFC 3339 时间）");
        *out = refusal(errbuf);
        return ERR_INVALID;
    }
    cov = args ? json_object_get(args, "co_departments") : NULL;
    if (cov && !json_is_null(cov)) {
        size_t i;
        json_t *d;
        if (!json_is_array(cov)) {
            snprintf(errbuf, errlen, "co_department_invalid: 协办部门须为部门名称的列表");
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        if (json_array_size(cov) > TICKET_MAX_CO_DEPARTMENTS) {
            snprintf(errbuf, errlen, "too_many_co_departments: 协办部门至多 %d 个",
                     TICKET_MAX_CO_DEPARTMENTS);
            *out = refusal(errbuf);
            return ERR_INVALID;
        }
        json_array_foreach(cov, i, d)
        {
            if (!json_is_string(d)) {
                snprintf(errbuf, errlen, "co_department_invalid: 协办部门须为部门名称的列表");
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
