/*
 * Held items (ticket_held.h, issue #11): read back what the intake recorded in held_items,
 * and their JSON for the duty officer's list.
 */
#include "ticket_held.h"

#include <jansson.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "ticket_store_int.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_time.h"
#include "yq_banned.h"

#define HCOL(i, type, field) TICKET_STORE_COL(struct ticket_held, i, type, field)

/* The columns of the held list's SELECT, in order, and where each goes. */
static const struct ticket_store_col held_cols[] = {
    HCOL(0, INT, id),
    HCOL(1, TEXT, item_id),
    HCOL(2, TEXT, event_key),
    HCOL(3, TEXT, reason),
    HCOL(4, TEXT, source),
    HCOL(5, TEXT, source_id),
    HCOL(6, TEXT, channel),
    HCOL(7, TEXT, url),
    HCOL(8, TEXT, title),
    HCOL(9, TEXT, excerpt),
    HCOL(10, TEXT, author),
    HCOL(11, PRESENT, has_published),
    HCOL(11, INT, published_at),
    HCOL(12, TEXT_OR_NULL, published_precision),
    HCOL(13, INT, fetched_at),
    HCOL(14, INT, detected_at),
    HCOL(15, TEXT, level),
    HCOL(16, TEXT, department),
    HCOL(17, TEXT, source_department),
    HCOL(18, TEXT, rule_ids),
    HCOL(19, REAL, score),
    HCOL(20, INT, held_at),
};
TICKET_STORE_ROWS(held_rows, struct ticket_held, held_cols, struct ticket_held_list,
                  ticket_held_list_release);

int ticket_store_list_held(struct ticket_store *store, const char *reason, const char *query,
                           size_t max, struct ticket_held_list *out)
{
    struct yq_stmt *st = NULL;
    int err;

    memset(out, 0, sizeof(*out));
    max = max ? max : 1;
    err = ticket_store_prepare(
        store,
        "SELECT id, item_id, event_key, reason, source, source_id, channel, url, "
        "title, excerpt, author, published_at, published_precision, fetched_at, detected_at, "
        "level, department, source_department, rule_ids, score, held_at FROM held_items "
        "WHERE (CAST(?1 AS TEXT) IS NULL OR reason = ?1) AND "
        "(CAST(?3 AS TEXT) IS NULL OR instr(title, ?3) > 0 OR instr(excerpt, ?3) > 0 OR "
        "instr(channel, ?3) > 0 OR instr(author, ?3) > 0 OR "
        "instr(url, ?3) > 0) ORDER BY detected_at DESC, id DESC LIMIT ?2",
        &st, "held list");
    if (err) {
        return err;
    }
    if (reason) {
        yq_stmt_bind_text(st, 1, reason);
    } else {
        yq_stmt_bind_null(st, 1);
    }
    yq_stmt_bind_int64(st, 2, (int64_t)max);
    if (query && query[0]) {
        yq_stmt_bind_text(st, 3, query);
    } else {
        yq_stmt_bind_null(st, 3);
    }
    err = ticket_store_collect_rows(store, st, "held list", max, &held_rows, (void **)&out->v,
                                    &out->n);
    if (err) {
        ticket_held_list_release(out);
    }
    return err;
}

static json_t *held_str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_string(""); /* not UTF-8: "" rather than failing the whole answer */
}

static json_t *held_when(int64_t t, bool bj)
{
    char buf[32];
    if (t <= 0) {
        return json_null();
    }
    return json_string(bj ? yq_time_format_shanghai(t, buf, sizeof(buf))
                          : yq_time_format_utc(t, buf, sizeof(buf)));
}

json_t *ticket_held_json(const struct ticket_held *h)
{
    json_t *o, *rules = yq_json_column_array(h->rule_ids, "rule_ids");
    bool old = strcmp(h->reason, "old") == 0, undated = strcmp(h->reason, "undated") == 0;
    int64_t pub = h->has_published ? h->published_at : 0;

    o = json_object();
    if (!o || !rules) {
        json_decref(o);
        json_decref(rules);
        return NULL;
    }
    json_object_set_new(o, "id", json_integer(h->id));
    json_object_set_new(o, "item_id", held_str(h->item_id));
    json_object_set_new(o, "event_key", held_str(h->event_key));
    json_object_set_new(o, "reason", held_str(h->reason));
    json_object_set_new(o, "reason_label",
                        json_string(yq_label(YQ_LABEL_HELD_REASON, h->reason))); /* one table */
    json_object_set_new(o, "old", json_boolean(old));
    json_object_set_new(o, "undated", json_boolean(undated));
    json_object_set_new(o, "official", json_boolean(!old && !undated));
    json_object_set_new(o, "title", held_str(h->title));
    json_object_set_new(o, "excerpt", held_str(h->excerpt));
    json_object_set_new(o, "url", held_str(h->url));
    json_object_set_new(o, "source", held_str(h->source));
    json_object_set_new(o, "source_id", held_str(h->source_id));
    json_object_set_new(o, "channel", held_str(h->channel));
    json_object_set_new(o, "author", held_str(h->author));
    json_object_set_new(o, "published_at", held_when(pub, false));
    json_object_set_new(o, "published_at_bj", held_when(pub, true));
    json_object_set_new(o, "published_precision",
                        h->published_precision ? held_str(h->published_precision) : json_null());
    /* how long before its fetch the item was published, whole hours (null: unknown) */
    json_object_set_new(o, "age_hours",
                        h->has_published && h->fetched_at > h->published_at
                            ? json_integer((h->fetched_at - h->published_at) / 3600)
                            : json_null());
    json_object_set_new(o, "fetched_at", held_when(h->fetched_at, false));
    json_object_set_new(o, "detected_at", held_when(h->detected_at, false));
    json_object_set_new(o, "detected_at_bj", held_when(h->detected_at, true));
    json_object_set_new(o, "level", held_str(h->level));
    json_object_set_new(o, "department", held_str(h->department));
    json_object_set_new(o, "source_department", held_str(h->source_department));
    json_object_set_new(o, "rule_ids", rules);
    json_object_set_new(o, "score", json_real(h->score));
    json_object_set_new(o, "held_at", held_when(h->held_at, false));
    return o;
}
