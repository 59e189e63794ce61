/*
 * The 研判 inbox side of intake (ticket_intake.h, docs/desk.md): events, their items, the
 * watch thresholds, the policy's handover at intake and the events of older tickets.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "desk_policy.h"
#include "event_flow.h"
#include "event_intake_int.h"
#include "silence.h"
#include "response_store.h"
#include "spike.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_intake_int.h"
#include "ticket_store_int.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_sentiment.h"
#include "yq_time.h"
#include "yq_banned.h"

/* --- events: the 研判 inbox (issue #13, docs/desk.md) ----------------------------------- */

/* How many merged_into links intake follows to an event's root (merge rejects cycles). */
#define EVENT_MAX_HOPS 16
/* At most this many distinct entries in an event's rule_ids / rule_groups / source_kinds. */
#define EVENT_LIST_MAX 200

/* A deep copy of src into dst. Returns 0 or ERR_NOMEM (dst zeroed). */
static int event_ref_copy(const struct event_ref *src, struct event_ref *dst)
{
    *dst = *src;
    dst->event_key = strdup(src->event_key);
    dst->rule_ids = strdup(src->rule_ids);
    dst->rule_groups = strdup(src->rule_groups);
    dst->source_kinds = strdup(src->source_kinds);
    if (!dst->event_key || !dst->rule_ids || !dst->rule_groups || !dst->source_kinds) {
        event_ref_release(dst);
        return ERR_NOMEM;
    }
    return 0;
}

int ticket_intake_event_for_ticket(struct ticket_store *store, int64_t ticket_id, int64_t now,
                                   int64_t *event_id_out)
{
    struct yq_stmt *st = NULL;
    int64_t id = 0;
    int rc, err;

    err = ticket_store_prepare(store, "SELECT id FROM events WHERE ticket_id = ? ORDER BY id LIMIT 1",
                               &st, "ticket event lookup");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        id = yq_stmt_column_int64(st, 0);
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "ticket event lookup");
    }
    yq_stmt_finalize(st);
    if (err || id > 0) {
        *event_id_out = id;
        return err;
    }
    /* as migration 9 did for the tickets before it: the ticket's event, judged at creation */
    err = ticket_store_prepare(store,
                               TICKET_STORE_EVENT_OF_TICKET "?2, ?2 FROM tickets t WHERE t.id = ?1 "
                                                            "RETURNING id",
                               &st, "ticket event insert");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_int64(st, 2, now);
    err = ticket_store_step_id(store, st, "ticket event insert", &id);
    if (err) {
        return err;
    }
    if (id == 0) {
        return ERR_NOT_FOUND;
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO event_items (event_id, item_id, source, source_id, channel, url, title, "
        "excerpt, author, published_at, matched_at, rule_ids, matches, added_at, fetched_at_ms, "
        "matched_at_ms, stored_at_ms) "
        "SELECT ?1, i.item_id, i.source, i.source_id, i.channel, i.url, i.title, i.excerpt, "
        "i.author, i.published_at, i.added_at, i.rule_ids, i.matches, i.added_at, "
        "i.fetched_at_ms, i.matched_at_ms, i.stored_at_ms FROM ticket_items i WHERE i.ticket_id = ?2 ON CONFLICT (event_id, item_id) DO NOTHING",
        &st, "ticket event items");
    if (!err) {
        yq_stmt_bind_int64(st, 1, id);
        yq_stmt_bind_int64(st, 2, ticket_id);
        err = ticket_store_step_done(store, st, "ticket event items");
    }
    if (!err) {
        err = ticket_store_event_log_append(store, id, now, "system", "system", "created", "", "assigned",
                               "event of an existing ticket (created by an older notifier)");
    }
    if (!err) {
        *event_id_out = id;
    }
    return err;
}

/*
 * existing (the stored JSON array text of column, borrowed; read by yq_json_column_array()) with
 * the n strings of add that it lacks appended (NULL and "" skipped; at most EVENT_LIST_MAX
 * entries). New text or NULL.
 */
static char *json_union(const char *existing, const char *column, const char *const *add, size_t n)
{
    json_t *arr = yq_json_column_array(existing, column);
    char *text;

    if (!arr) {
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        size_t j;
        json_t *have;
        if (!add[i] || !add[i][0] || json_array_size(arr) >= EVENT_LIST_MAX) {
            continue;
        }
        json_array_foreach(arr, j, have)
        {
            if (json_is_string(have) && strcmp(json_string_value(have), add[i]) == 0) {
                seen = true;
            }
        }
        if (!seen) {
            /* json_string() refuses invalid UTF-8: such an entry is left out */
            json_array_append_new(arr, json_string(add[i]));
        }
    }
    text = yq_json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

/* The alert's rule ids (kind 0) or rule groups (kind 1) as a borrowed vector (free() it). */
static const char **alert_names(const struct yq_alert *alert, int kind)
{
    const char **v = calloc(alert->n_matches + 1, sizeof(*v));
    if (v) {
        for (size_t i = 0; i < alert->n_matches; i++) {
            v[i] = kind == 0 ? alert->matches[i].rule_id : alert->matches[i].group;
        }
    }
    return v;
}

/*
 * What one item adds to its event's heat (issue #13, docs/desk.md "Sentiment and heat"): the
 * ticket's item heat (1 + reposts + comments + likes, intake_item_heat()), counted twice when
 * the item reads negative, so that negative coverage ranks an event higher in the inbox.
 */
#define EVENT_NEGATIVE_HEAT_FACTOR 2

static int64_t event_item_heat(const struct yq_item *item, bool negative)
{
    return intake_item_heat(item) * (negative ? EVENT_NEGATIVE_HEAT_FACTOR : 1);
}

/* An item's sentiment as event_items records it. */
struct item_senti {
    bool scored; /* false: no lexicon, or the scanner failed (the item is left unscored) */
    bool negative;
    struct yq_sentiment_result r;
};

/* The sentiment of alert's item under the store's policy into s. Returns 0 or ERR_NOMEM. */
static int item_senti_score(struct ticket_store *store, const struct yq_alert *alert,
                            struct item_senti *s)
{
    const struct yq_sentiment *lex = ticket_store_policy_or_default(store)->sentiment;
    int err;

    memset(s, 0, sizeof(*s));
    if (!lex) {
        return 0;
    }
    err = yq_sentiment_score(lex, alert->item.title, alert->item.text, &s->r);
    if (err == ERR_NOMEM) {
        return err;
    }
    if (err) {
        /* a scanner failure leaves the item unscored rather than refusing the alert */
        LOG_WARN("sentiment failed item_id=%s err='%s'", alert->item.id, yq_strerror(err));
        memset(s, 0, sizeof(*s));
        return 0;
    }
    s->scored = true;
    s->negative = s->r.label == YQ_SENTIMENT_NEGATIVE;
    return 0;
}

/*
 * Record the alert's item in event_items of event e (once per item id) and, when it is new
 * there, add it to the event's counts, heat, times, score and lists. *inserted says which.
 * first: the item's sentiment, when e's row was just written counting the item already (its
 * first item, event_create()); NULL: scored here.
 */
static int event_add_item(struct ticket_store *store, struct event_ref *e,
                          const struct yq_alert *alert, int64_t now, struct intake_known *k,
                          const struct item_senti *first, bool *inserted)
{
    const struct yq_item *item = &alert->item;
    const char **ids = alert_names(alert, 0), **groups = alert_names(alert, 1);
    const char *kinds[] = {item->source};
    char *groups_json = NULL, *u_ids = NULL, *u_groups = NULL, *u_kinds = NULL;
    struct item_senti scored;
    const struct item_senti *sn = first ? first : &scored;
    struct intake_item_row r;
    struct yq_stmt *st = NULL;
    bool negative;
    int err;

    *inserted = false;
    memset(&r, 0, sizeof(r));
    if (!ids || !groups) {
        err = ERR_NOMEM;
        goto done;
    }
    if (!first && (err = item_senti_score(store, alert, &scored)) != 0) {
        goto done;
    }
    negative = sn->negative;
    err = intake_item_row_make(alert, true, &r);
    if (err) {
        goto done;
    }
    groups_json = json_union("[]", "rule_groups", groups, alert->n_matches);
    if (!groups_json) {
        err = ERR_NOMEM;
        goto done;
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO event_items (event_id, item_id, source, source_id, channel, url, title, "
        "excerpt, author, region, published_at, matched_at, reposts, comments, likes, heat, "
        "rule_ids, rule_groups, matches, added_at, sentiment, sentiment_score, simhash, "
        "fetched_at_ms, matched_at_ms, stored_at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (event_id, item_id) DO NOTHING",
        &st, "event item insert");
    if (err) {
        goto done;
    }
    {
        const char *texts[] = {item->id,  item->source, item->source_id, item->channel, item->url,
                               r.title,   r.excerpt,    r.author,        item->region};
        yq_stmt_bind_int64(st, 1, e->id);
        intake_bind_texts(st, 2, texts, 9);
        intake_bind_published(st, 11, item);
        yq_stmt_bind_int64(st, 12, alert->matched_at);
        yq_stmt_bind_int64(st, 13, item->metrics.known ? intake_clamp_metric(item->metrics.reposts) : 0);
        yq_stmt_bind_int64(st, 14, item->metrics.known ? intake_clamp_metric(item->metrics.comments) : 0);
        yq_stmt_bind_int64(st, 15, item->metrics.known ? intake_clamp_metric(item->metrics.likes) : 0);
        yq_stmt_bind_int64(st, 16, event_item_heat(item, negative));
        intake_bind_texts(st, 17, (const char *const[]){r.rule_ids, groups_json, r.matches}, 3);
        yq_stmt_bind_int64(st, 20, now);
        yq_stmt_bind_text(st, 21, sn->scored ? yq_sentiment_name(sn->r.label) : "");
        yq_stmt_bind_double(st, 22, sn->scored ? sn->r.score : 0.0);
        /* issue #15: the matcher's SimHash, for response detection ('' when it has none) */
        char hex[17] = "";
        if (alert->has_simhash) {
            snprintf(hex, sizeof(hex), "%016" PRIx64, alert->simhash);
        }
        yq_stmt_bind_text(st, 23, hex);
        intake_bind_times_ms(store, st, 24, alert);
    }
    if (known_item_has(k, e->id, item->id) >= 0) {
        /* the batch knows the event's items: the insert need not wait for its answer */
        bool had = known_item_has(k, e->id, item->id) == 1;
        if (had) {
            yq_stmt_finalize(st);
            goto done; /* a redelivered alert: the event is unchanged */
        }
        err = ticket_store_step_deferred(store, st, "event item insert");
    } else {
        err = ticket_store_step_done(store, st, "event item insert");
        if (!err && yq_db_changes(store->db) == 0) {
            goto done; /* a redelivered alert: the event is unchanged */
        }
    }
    if (err) {
        goto done;
    }
    *inserted = true;
    if (k) {
        known_item_add(k, e->id, item->id);
    }
    if (first) {
        goto done; /* the row and the copy count it already */
    }
    u_ids = json_union(e->rule_ids, "rule_ids", ids, alert->n_matches);
    u_groups = json_union(e->rule_groups, "rule_groups", groups, alert->n_matches);
    u_kinds = json_union(e->source_kinds, "source_kinds", kinds, 1);
    if (!u_ids || !u_groups || !u_kinds) {
        err = ERR_NOMEM;
        goto done;
    }
    {
        /* the copy follows the row (res->item_count; a batch's next alert of the event) */
        char *t;
        e->item_count++;
        e->last_item_at = e->last_item_at > alert->matched_at ? e->last_item_at : alert->matched_at;
        t = e->rule_ids, e->rule_ids = u_ids, u_ids = t;
        t = e->rule_groups, e->rule_groups = u_groups, u_groups = t;
        t = e->source_kinds, e->source_kinds = u_kinds, u_kinds = t;
    }
    if (k) {
        /* a batch writes the row once per event (known_write_events()) */
        err = known_pend_item(k, e, alert, event_item_heat(item, negative), negative, now);
        goto done;
    }
    err = ticket_store_prepare(
        store,
        "UPDATE events SET item_count = item_count + 1, heat = heat + ?1, "
        "negative_count = negative_count + ?2, last_item_at = max(last_item_at, ?3), "
        "first_post_at = CASE WHEN CAST(?4 AS BIGINT) IS NULL THEN first_post_at "
        "  WHEN first_post_at IS NULL OR ?4 < first_post_at THEN ?4 ELSE first_post_at END, "
        "score = max(score, ?5), rule_ids = ?6, rule_groups = ?7, source_kinds = ?8, "
        "region = CASE WHEN region = '' THEN ?9 ELSE region END, updated_at = ?10 "
        "WHERE id = ?11",
        &st, "event update");
    if (err) {
        goto done;
    }
    yq_stmt_bind_int64(st, 1, event_item_heat(item, negative));
    yq_stmt_bind_int(st, 2, negative ? 1 : 0);
    yq_stmt_bind_int64(st, 3, alert->matched_at);
    if (item->has_published) {
        yq_stmt_bind_int64(st, 4, yq_item_effective_time(item));
    } else {
        yq_stmt_bind_null(st, 4);
    }
    yq_stmt_bind_double(st, 5, alert->score);
    intake_bind_texts(
        st, 6, (const char *const[]){e->rule_ids, e->rule_groups, e->source_kinds, item->region},
        4);
    yq_stmt_bind_int64(st, 10, now);
    yq_stmt_bind_int64(st, 11, e->id);
    err = ticket_store_step_deferred(store, st, "event update");
done:
    free(ids);
    free(groups);
    free(groups_json);
    free(u_ids);
    free(u_groups);
    free(u_kinds);
    intake_item_row_release(&r);
    return err;
}

/*
 * A watched event (持续关注) that took a new item: back to pending when its item count or heat
 * reached the officer's threshold, or when the item came after at least the quiet period
 * without one (prev_last_item_at: the event's last item before this one). A fresh 研判
 * deadline runs from now.
 */
static int event_check_watch(struct ticket_store *store, int64_t event_id,
                             int64_t prev_last_item_at, const struct yq_alert *alert, int64_t now)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    struct yq_stmt *st = NULL;
    int64_t items = 0, heat = 0, w_items = 0, w_heat = 0, w_quiet = 0;
    const char *reason = NULL;
    char note[160];
    int rc, err;

    err = ticket_store_prepare(store,
                               "SELECT item_count, heat, coalesce(watch_items, 0), "
                               "coalesce(watch_heat, 0), coalesce(watch_quiet_s, 0) "
                               "FROM events WHERE id = ?",
                               &st, "watch lookup");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, event_id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        items = yq_stmt_column_int64(st, 0);
        heat = yq_stmt_column_int64(st, 1);
        w_items = yq_stmt_column_int64(st, 2);
        w_heat = yq_stmt_column_int64(st, 3);
        w_quiet = yq_stmt_column_int64(st, 4);
    } else {
        err = ticket_store_fail(store, rc, "watch lookup");
    }
    yq_stmt_finalize(st);
    if (err) {
        return err;
    }
    if (w_items > 0 && items >= w_items) {
        reason = "items";
        snprintf(note, sizeof(note), "item_count %lld >= %lld", (long long)items,
                 (long long)w_items);
    } else if (w_heat > 0 && heat >= w_heat) {
        reason = "heat";
        snprintf(note, sizeof(note), "heat %lld >= %lld", (long long)heat, (long long)w_heat);
    } else if (w_quiet > 0 && alert->matched_at - prev_last_item_at >= w_quiet) {
        reason = "quiet";
        snprintf(note, sizeof(note), "new item after %lld s quiet >= %lld s",
                 (long long)(alert->matched_at - prev_last_item_at), (long long)w_quiet);
    }
    if (!reason) {
        return 0;
    }
    err = ticket_store_prepare(store,
                               "UPDATE events SET state = 'pending', resurfaced_at = ?1, "
                               "resurface_reason = ?2, judge_deadline = ?3, "
                               "judge_reminded_at = NULL, version = version + 1, "
                               "updated_at = ?1 WHERE id = ?4",
                               &st, "event resurface");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_text(st, 2, reason);
    yq_stmt_bind_int64(st, 3, desk_policy_judge_deadline(pol->desk, alert->level, now));
    yq_stmt_bind_int64(st, 4, event_id);
    err = ticket_store_step_deferred(store, st, "event resurface");
    if (!err) {
        err = ticket_store_event_log_append(store, event_id, now, "system", "system", "resurfaced", "watching",
                               "pending", note);
    }
    return err;
}

/* A new event of the alert in the inbox (pending), with its first item; *e filled. */
static int event_create(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                        struct intake_known *k, struct event_ref *e)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct yq_item *item = &alert->item;
    char *title = intake_title(item), *co = intake_co_departments(alert);
    const char **ids = alert_names(alert, 0), **groups = alert_names(alert, 1);
    const char *kinds[] = {item->source};
    char *u_ids = NULL, *u_groups = NULL, *u_kinds = NULL;
    struct item_senti senti;
    struct yq_stmt *st = NULL;
    bool found = false, inserted = false;
    int64_t reserved;
    int err;

    if (!title || !co || !ids || !groups) {
        err = ERR_NOMEM;
        goto done;
    }
    /* the row counts its first item at once (issue #16: no UPDATE after the INSERT); the
       values event_add_item() would add to the table's defaults */
    err = item_senti_score(store, alert, &senti);
    if (err) {
        goto done;
    }
    u_ids = json_union("[]", "rule_ids", ids, alert->n_matches);
    u_groups = json_union("[]", "rule_groups", groups, alert->n_matches);
    u_kinds = json_union("[]", "source_kinds", kinds, 1);
    if (!u_ids || !u_groups || !u_kinds) {
        err = ERR_NOMEM;
        goto done;
    }
    /* PostgreSQL in a batch: an id taken at the batch's start, and the insert need not wait
       for its answer (deferred); else the row's id from RETURNING */
    reserved = known_take_event_id(k);
#define EVENT_INSERT_COLS                                                                          \
    "INSERT INTO events (event_key, kind, state, title, level, department, co_departments, "       \
    "detected_at, last_item_at, rules_version, judge_deadline, created_at, updated_at, "           \
    "item_count, heat, negative_count, first_post_at, score, rule_ids, rule_groups, "              \
    "source_kinds, region"
#define EVENT_INSERT_VALUES                                                                        \
    "VALUES (?, 'match', 'pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?"
    err = ticket_store_prepare(store,
                               reserved > 0
                                   ? EVENT_INSERT_COLS ", id) " EVENT_INSERT_VALUES ", ?)"
                                   : EVENT_INSERT_COLS ") " EVENT_INSERT_VALUES ") RETURNING id",
                               &st, "event insert");
#undef EVENT_INSERT_COLS
#undef EVENT_INSERT_VALUES
    if (err) {
        goto done;
    }
    yq_stmt_bind_text(st, 1, alert->event_key);
    yq_stmt_bind_text(st, 2, title);
    yq_stmt_bind_text(st, 3, yq_level_name(alert->level));
    yq_stmt_bind_text(st, 4, ticket_store_nz(alert->department));
    yq_stmt_bind_text(st, 5, co);
    yq_stmt_bind_int64(st, 6, alert->matched_at);
    yq_stmt_bind_int64(st, 7, alert->matched_at);
    yq_stmt_bind_int64(st, 8, alert->rules_version);
    yq_stmt_bind_int64(st, 9, desk_policy_judge_deadline(pol->desk, alert->level,
                                                         alert->matched_at));
    yq_stmt_bind_int64(st, 10, now);
    yq_stmt_bind_int64(st, 11, now);
    yq_stmt_bind_int64(st, 12, event_item_heat(item, senti.negative));
    yq_stmt_bind_int64(st, 13, senti.negative ? 1 : 0);
    if (item->has_published) {
        yq_stmt_bind_int64(st, 14, yq_item_effective_time(item));
    } else {
        yq_stmt_bind_null(st, 14);
    }
    yq_stmt_bind_double(st, 15, alert->score > 0.0 ? alert->score : 0.0); /* max(0, score) */
    intake_bind_texts(st, 16,
                      (const char *const[]){u_ids, u_groups, u_kinds, ticket_store_nz(item->region)},
                      4);
    int64_t new_id = reserved;
    if (reserved > 0) {
        yq_stmt_bind_int64(st, 20, reserved);
        err = ticket_store_step_deferred(store, st, "event insert");
    } else {
        err = ticket_store_step_id(store, st, "event insert", &new_id);
    }
    if (!err && new_id <= 0) {
        err = ERR_IO;
    }
    if (!err) {
        /* the row just written, as event_read() would give it (its first item, no ticket),
           without a round trip */
        memset(e, 0, sizeof(*e));
        e->id = new_id;
        snprintf(e->state, sizeof(e->state), "pending");
        e->last_item_at = alert->matched_at;
        e->detected_at = alert->matched_at;
        e->level = alert->level;
        e->item_count = 1;
        e->event_key = strdup(alert->event_key);
        e->rule_ids = u_ids;
        e->rule_groups = u_groups;
        e->source_kinds = u_kinds;
        u_ids = u_groups = u_kinds = NULL;
        found = e->event_key != NULL;
        err = found ? 0 : ERR_NOMEM;
    }
    if (!err && k) {
        known_event_new(k, e->id); /* new: no items yet (out of memory: read) */
    }
    if (!err) {
        err = event_add_item(store, e, alert, now, k, &senti, &inserted);
    }
    if (!err && inserted) {
        /* 突增: the hour's counts (a batch sums them and writes them at its end) */
        err = k ? spike_item_counts(alert, e->id, known_count, k)
                : spike_count_item(store, alert, e->id, now);
    }
    if (!err) {
        char note[256];
        snprintf(note, sizeof(note), "level=%s department=%.60s item_id=%.120s",
                 yq_level_name(alert->level), ticket_store_nz(alert->department), alert->item.id);
        err = ticket_store_event_log_append(store, e->id, now, "system", "system", "created", "", "pending",
                               note);
    }
done:
    free(title);
    free(co);
    free(ids);
    free(groups);
    free(u_ids);
    free(u_groups);
    free(u_kinds);
    return err;
}

/* Whether the policy hands the alert over at once (a level or a matched rule group). */
static bool auto_assign(struct ticket_store *store, const struct yq_alert *alert)
{
    const char **groups = alert_names(alert, 1);
    bool yes;

    if (!groups) {
        /* out of memory: the level alone decides (never blocks intake) */
        return desk_policy_auto_assign(ticket_store_policy_or_default(store)->desk, alert->level,
                                       NULL, 0);
    }
    yes = desk_policy_auto_assign(ticket_store_policy_or_default(store)->desk, alert->level,
                                  groups, alert->n_matches);
    free(groups);
    return yes;
}

/* The policy's 交办 at intake: the ticket of the new event e, which becomes auto_assigned. */
static int event_auto_assign(struct ticket_store *store, struct event_ref *e,
                             const struct yq_alert *alert, int64_t now, struct intake_known *k,
                             struct ticket_intake_result *res)
{
    struct yq_stmt *st = NULL;
    char note[120];
    int err = intake_create_ticket(store, alert, e->event_key, e->detected_at, now, k, res);

    e->stale = true; /* a ticket and a new state */
    if (err) {
        return err;
    }
    err = ticket_store_prepare(store,
                               "UPDATE events SET ticket_id = ?1, state = 'auto_assigned', "
                               "version = version + 1, updated_at = ?2 WHERE id = ?3",
                               &st, "event auto assign");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, res->ticket_id);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_int64(st, 3, e->id);
    err = ticket_store_step_deferred(store, st, "event auto assign");
    snprintf(note, sizeof(note), "desk policy: level %s; ticket %.40s",
             yq_level_name(alert->level), res->number);
    if (!err) {
        err = ticket_store_event_log_append(store, e->id, now, "system", "system", "auto_assigned", "pending",
                               "auto_assigned", note);
    }
    return err;
}

/* Follow e's merged_into links to the root event (the one items go to); e is replaced. */
static int event_root(struct ticket_store *store, struct event_ref *e)
{
    for (int hop = 0; e->merged_into > 0; hop++) {
        struct event_ref next;
        bool found = false;
        int err;
        if (hop >= EVENT_MAX_HOPS) {
            LOG_WARN("merge chain too long event_id=%lld: items stay on it", (long long)e->id);
            return 0;
        }
        err = event_read(store, NULL, e->merged_into, &next, &found);
        if (err) {
            return err;
        }
        if (!found) {
            return 0; /* a dangling link (foreign keys are off): keep the event itself */
        }
        event_ref_release(e);
        *e = next;
        e->stale = true; /* the alert's key names another event */
    }
    return 0;
}

/* ticket_intake.h: the change a more serious level makes, for intake and for 并入. */
int ticket_intake_event_raise_level(struct ticket_store *store, int64_t event_id,
                                    const char *from_state, enum yq_level from_level,
                                    enum yq_level level, const char *cause, int64_t now)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    int64_t deadline = desk_policy_judge_deadline(pol->desk, level, now);
    struct yq_stmt *st = NULL;
    char note[200];
    int err;

    snprintf(note, sizeof(note), "level %s -> %s %.160s", yq_level_name(from_level),
             yq_level_name(level), cause ? cause : "");
    err = ticket_store_prepare(
        store,
        "UPDATE events SET level = ?1, state = 'pending', "
        "judge_deadline = CASE WHEN state = 'pending' AND judge_deadline <= ?2 "
        "  THEN judge_deadline ELSE ?2 END, "
        "judge_reminded_at = CASE WHEN state = 'pending' AND judge_deadline <= ?2 "
        "  THEN judge_reminded_at ELSE NULL END, "
        "resurfaced_at = CASE WHEN state = 'pending' THEN resurfaced_at ELSE ?3 END, "
        "resurface_reason = CASE WHEN state = 'pending' THEN resurface_reason ELSE 'level' END, "
        "version = version + 1, updated_at = ?3 WHERE id = ?4",
        &st, "event level");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, yq_level_name(level));
    yq_stmt_bind_int64(st, 2, deadline);
    yq_stmt_bind_int64(st, 3, now);
    yq_stmt_bind_int64(st, 4, event_id);
    err = ticket_store_step_deferred(store, st, "event level");
    if (!err) {
        err = ticket_store_event_log_append(store, event_id, now, "system", "system",
                                            "level_raised", from_state, "pending", note);
    }
    return err;
}

/*
 * A more serious alert (alert->level more severe than the event's) for an event without a
 * ticket that is pending, watching or dismissed (review of issue #13): the event takes the
 * level and comes back to the inbox (state pending; from watching or dismissed with
 * resurfaced_at and resurface_reason 'level'), its 研判 deadline is the new level's from now
 * when that is sooner (and its reminder may fire again), event_log 'level_raised'. When the
 * policy hands the new level (or the alert's rule groups) over at once, the ticket opens as
 * for a new event (auto_assigned), its statutory clocks from the event's detection; it takes
 * the alert's item (the earlier ones stay on the event page).
 */
static int event_raise_level(struct ticket_store *store, struct event_ref *e,
                             const struct yq_alert *alert, int64_t now, struct intake_known *k,
                             struct ticket_intake_result *res)
{
    char cause[140];
    int err;

    e->stale = true; /* level, state and deadlines */
    snprintf(cause, sizeof(cause), "item_id=%.120s", alert->item.id);
    err =
        ticket_intake_event_raise_level(store, e->id, e->state, e->level, alert->level, cause, now);
    if (err) {
        return err;
    }
    e->level = alert->level;
    snprintf(e->state, sizeof(e->state), "pending");
    return auto_assign(store, alert) ? event_auto_assign(store, e, alert, now, k, res) : 0;
}

/* The alert for the root event e: record the item, attach it to the ticket or watch it. */
static int event_take(struct ticket_store *store, struct event_ref *e, const struct yq_alert *alert,
                      int64_t now, struct intake_known *k, struct ticket_intake_result *res)
{
    bool inserted = false;
    int64_t prev_last = e->last_item_at;
    int err;

    res->event_id = e->id;
    err = event_add_item(store, e, alert, now, k, NULL, &inserted);
    if (!err && inserted) {
        /* 突增: the hour's counts (a batch sums them and writes them at its end) */
        err = k ? spike_item_counts(alert, e->id, known_count, k)
                : spike_count_item(store, alert, e->id, now);
    }
    if (err) {
        return err;
    }
    if (e->ticket_id > 0) {
        /* the ticket was read with the event (event_read) */
        res->ticket_id = e->ticket_id;
        if (!e->ticket_found) {
            snprintf(store->last_error, sizeof(store->last_error),
                     "ticket lookup: ticket %lld of event %lld not found", (long long)e->ticket_id,
                     (long long)e->id);
            return ERR_NOT_FOUND;
        }
        snprintf(res->number, sizeof(res->number), "%s", e->ticket_number);
        res->item_count = e->ticket_items;
        /* a repost that matched no rule says nothing new: it never reopens a closed ticket */
        err = intake_attach_item(store, alert, now,
                                 e->ticket_closed && !yq_alert_is_repost_only(alert), k, res);
        e->ticket_items = res->item_count;
        e->stale = e->stale || res->reopened;
        return err;
    }
    res->outcome = inserted ? TICKET_INTAKE_QUEUED : TICKET_INTAKE_DUPLICATE;
    if (inserted && alert->level < e->level &&
        (strcmp(e->state, "pending") == 0 || strcmp(e->state, "watching") == 0 ||
         strcmp(e->state, "dismissed") == 0)) {
        /* the batch's pending changes first: a ticket opened here starts from the event */
        err = known_write_events(store, k);
        if (!err) {
            err = event_raise_level(store, e, alert, now, k, res);
        }
        if (err || res->ticket_id > 0) {
            return err;
        }
    } else if (inserted && strcmp(e->state, "watching") == 0) {
        e->stale = true;                    /* it may have resurfaced */
        err = known_write_events(store, k); /* the check reads the count and heat */
        if (!err) {
            err = event_check_watch(store, e->id, prev_last, alert, now);
        }
    }
    if (!err) {
        /* read with the event, counted on by event_add_item() */
        res->item_count = e->item_count;
    }
    return err;
}

/* The ticket of event_key without an event row (an older notifier made it): 0 when none. */
static int legacy_ticket(struct ticket_store *store, const char *event_key, int64_t *ticket_id)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    *ticket_id = 0;
    err = ticket_store_prepare(store, "SELECT id FROM tickets WHERE event_key = ?", &st,
                               "ticket lookup");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, event_key);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *ticket_id = yq_stmt_column_int64(st, 0);
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "ticket lookup");
    }
    yq_stmt_finalize(st);
    return err;
}

/* Inside the transaction: what intake does with the alert (ticket_intake.h). */
static int event_intake_in_tx(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                              struct intake_known *k, struct ticket_intake_result *res)
{
    struct known_event *ke = known_event_find(k, alert->event_key);
    struct event_ref e;
    bool found = false;
    int64_t legacy = 0;
    const char *why;
    int err;

    if (!(ke && ke->state == KNOWN_PRESENT) && (err = known_write_events(store, k)) != 0) {
        return err; /* what this alert reads of events must include the batch's changes */
    }
    if (ke && ke->state == KNOWN_PRESENT) {
        err = event_ref_copy(&ke->e, &e); /* the batch knows it: no read */
        found = err == 0;
    } else if (ke && ke->state == KNOWN_ABSENT) {
        memset(&e, 0, sizeof(e));
        err = 0;
    } else {
        err = event_read(store, alert->event_key, 0, &e, &found);
    }
    if (!err && !found && !(ke && ke->state == KNOWN_ABSENT)) {
        /* (the batch knows an absent key has no ticket either) */
        err = legacy_ticket(store, alert->event_key, &legacy);
        if (!err && legacy > 0) {
            int64_t id = 0;
            err = ticket_intake_event_for_ticket(store, legacy, now, &id);
            if (k) {
                known_items_inexact(k); /* it copied the ticket's items into event_items */
            }
            if (!err) {
                err = event_read(store, NULL, id, &e, &found);
            }
        }
    }
    if (err) {
        goto done;
    }
    if (found) {
        err = event_root(store, &e);
        if (!err) {
            err = event_take(store, &e, alert, now, k, res);
        }
        goto done;
    }
    if (yq_alert_is_repost_only(alert)) {
        /* a repost that matched no rule joins an event, never opens one (its event is gone:
           the store was replaced, or the matcher's Redis knew an event this store never got) */
        res->outcome = TICKET_INTAKE_NO_EVENT;
        goto done;
    }
    why = intake_hold_reason(store, alert, now);
    if (why) {
        err = intake_hold_item(store, alert, why, now, res);
        goto done;
    }
    /* a silence stops new events only: items of existing ones were taken above */
    err = known_silence_check(store, k, alert, now, &res->silence_id);
    if (!err && res->silence_id > 0) {
        err = silence_record(store, res->silence_id, alert, now);
        res->outcome = TICKET_INTAKE_SILENCED;
        goto done;
    }
    if (err) {
        goto done;
    }
    err = event_create(store, alert, now, k, &e);
    if (!err) {
        res->event_id = e.id;
        res->item_count = 1;
        res->outcome = TICKET_INTAKE_QUEUED;
        if (auto_assign(store, alert)) {
            err = event_auto_assign(store, &e, alert, now, k, res);
        }
    }
done:
    if (k && !err) {
        known_keep(k, alert->event_key, &e);
    }
    event_ref_release(&e);
    return err;
}

/* Whether alert can be taken in at all (ticket_intake_alert()): 0 or ERR_INVALID. */
static int intake_check(const struct yq_alert *alert)
{
    if (!alert->event_key || !alert->event_key[0] || !alert->item.id || !alert->item.id[0]) {
        return ERR_INVALID;
    }
    if (alert->n_matches == 0 && !alert->item.official && !yq_alert_is_repost_only(alert)) {
        return ERR_INVALID; /* yq_alert_decode() refuses it; a caller that built one errs */
    }
    return 0;
}

/* Inside the caller's write transaction: everything one alert does (ticket_intake_alert()). */
static int intake_in_tx(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                        struct intake_known *k, struct ticket_intake_result *res)
{
    int err = 0;

    memset(res, 0, sizeof(*res));
    if (alert->item.official) {
        known_forget(k); /* its proposals may change tickets the batch has read */
        err = known_write_events(store, k);
    }
    if (!err && alert->item.official) {
        /* issue #15: every official post is kept and compared with the open tickets, in the
           same transaction as whatever else the alert does (docs/responses.md) */
        err = response_store_add_post(store, alert, now, &res->post_id);
        if (!err && res->post_id > 0) {
            err = ticket_flow_detect_for_post(store, res->post_id, now, &res->proposals);
        }
    }
    if (!err && alert->n_matches == 0 && !yq_alert_is_repost_only(alert)) {
        res->outcome = TICKET_INTAKE_OFFICIAL; /* matched by nothing: no event, ticket or hold */
    } else if (!err) {
        err = event_intake_in_tx(store, alert, now, k, res);
    }
    if (!err && alert->rules_unverified && res->ticket_id > 0 &&
        res->outcome != TICKET_INTAKE_DUPLICATE) {
        err = intake_mark_rules_unverified(store, res->ticket_id, alert->rules_checked_at);
    }
    return err;
}

/* One alert in its own write transaction, its items stored at now_ms. */
static int intake_one(struct ticket_store *store, const struct yq_alert *alert, int64_t now_ms,
                      struct ticket_intake_result *out)
{
    struct ticket_intake_result res;
    int err = intake_check(alert);

    if (err) {
        return err;
    }
    err = ticket_store_begin(store, "intake begin");
    if (err) {
        return err;
    }
    store->intake_ms = now_ms;
    err = intake_in_tx(store, alert, now_ms / 1000, NULL, &res);
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "intake commit");
    }
    store->intake_ms = 0;
    if (err) {
        ticket_store_rollback(store);
        return err;
    }
    if (out) {
        *out = res;
    }
    return 0;
}

int ticket_intake_alert(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                        struct ticket_intake_result *out)
{
    return intake_one(store, alert, now * 1000, out);
}

/* Whether err is the alert's own fault (refused by a constraint, too big): permanent. */
static bool alert_fault(int err)
{
    return err == ERR_INVALID || err == ERR_TOO_BIG;
}

int ticket_intake_batch(struct ticket_store *store, struct ticket_intake_entry *v, size_t n,
                        int64_t now_ms, struct ticket_intake_batch_stats *stats)
{
    struct ticket_intake_batch_stats st = {0};
    struct intake_known *k = NULL;
    size_t i, taken = 0;
    int err = 0;

    for (i = 0; i < n; i++) {
        memset(&v[i].res, 0, sizeof(v[i].res));
        v[i].err = v[i].alert ? intake_check(v[i].alert) : ERR_INVALID;
        taken += v[i].err == 0;
    }
    if (taken > 0) {
        err = ticket_store_begin(store, "intake batch begin");
        if (err) {
            goto out;
        }
        store->intake_ms = now_ms;
        /* one alert alone reads as it goes (the batch's lookups would cost more round trips) */
        err = taken > 1 ? known_load(store, v, n, &k) : 0;
        for (i = 0; !err && i < n; i++) {
            if (v[i].err == 0) {
                err = intake_in_tx(store, v[i].alert, now_ms / 1000, k, &v[i].res);
            }
        }
        if (!err && k) {
            err = known_write_events(store, k);
        }
        if (!err && k) {
            err = known_write_counts(store, k);
        }
        known_free(k);
        k = NULL;
        if (!err) {
            err = ticket_store_exec(store, "COMMIT", "intake batch commit");
        }
        store->intake_ms = 0;
        if (!err) {
            st.transactions = 1;
            goto out;
        }
        ticket_store_rollback(store);
        for (i = 0; i < n; i++) {
            memset(&v[i].res, 0, sizeof(v[i].res));
        }
        if (!alert_fault(err)) {
            goto out; /* the store failed: nothing recorded, the caller retries the batch */
        }
        /* one alert was refused (on SQLite a failed statement leaves the transaction usable,
           on PostgreSQL it does not): each alert alone, so the refused one is found and the
           others are recorded (docs/operations.md, "Batch intake") */
        err = 0;
        st.fallbacks = 1;
        for (i = 0; i < n; i++) {
            int e;
            if (v[i].err) {
                continue;
            }
            e = intake_one(store, v[i].alert, now_ms, &v[i].res);
            st.transactions++;
            if (alert_fault(e)) {
                v[i].err = e;
            } else if (e) {
                err = e; /* the store failed: what was recorded stays (idempotent on retry) */
                goto out;
            }
        }
    }
out:
    for (i = 0; i < n; i++) {
        st.refused += v[i].err != 0;
    }
    if (stats) {
        *stats = st;
    }
    return err;
}
