/*
 * An event's special report (专报) figures (briefing.h): the event, its timeline (event_log and,
 * when it has a ticket, ticket_log), items per hour, key posts, the 研判 record and the
 * ticket's responses.
 */
#include "briefing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "event_read.h"
#include "ticket_api.h"
#include "ticket_store_int.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_banned.h"

struct eg {
    struct ticket_store *store;
    char *errbuf;
    size_t errlen;
};

static int eg_fail(struct eg *g, int rc, const char *what)
{
    int err = ticket_store_fail(g->store, rc, what);
    snprintf(g->errbuf, g->errlen, "%s: %s", what, ticket_store_errmsg(g->store));
    return err;
}

static int eg_prepare(struct eg *g, const char *sql, struct yq_stmt **st, const char *what)
{
    int rc = yq_stmt_prepare(g->store->db, sql, st);
    return rc == YQ_DB_OK ? 0 : eg_fail(g, rc, what);
}

static char *dup_col(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? (const char *)s : "");
}

/* The label of code in kind, or code itself when the table has none. New string. */
static char *label_dup(enum yq_label_kind kind, const char *code)
{
    const char *l = code && code[0] ? yq_label(kind, code) : "";
    return strdup(l ? l : code);
}

static int read_event(struct eg *g, int64_t id, struct briefing_event_report *r, int64_t *ticket)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    err = eg_prepare(g,
                     "SELECT e.id, e.title, e.level, e.department, e.state, e.kind, "
                     "coalesce(t.number, ''), e.detected_at, e.heat, e.judged_by, "
                     "coalesce(e.judged_at, 0), e.outcome, e.opinion, e.dismiss_reason, "
                     "coalesce(t.state, ''), coalesce(e.ticket_id, 0), "
                     "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id), "
                     "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id AND "
                     "i.sentiment = 'negative'), "
                     "(SELECT count(*) FROM event_items i WHERE i.event_id = e.id AND "
                     "i.sentiment <> ''), "
                     "(SELECT min(matched_at) FROM event_items i WHERE i.event_id = e.id), "
                     "(SELECT max(matched_at) FROM event_items i WHERE i.event_id = e.id) "
                     "FROM events e LEFT JOIN tickets t ON t.id = e.ticket_id WHERE e.id = ?",
                     &st, "report event");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_DONE) {
        snprintf(g->errbuf, g->errlen, "no event %lld", (long long)id);
        yq_stmt_finalize(st);
        return ERR_NOT_FOUND;
    }
    if (rc != YQ_DB_ROW) {
        err = eg_fail(g, rc, "report event");
        yq_stmt_finalize(st);
        return err;
    }
    r->ev.id = yq_stmt_column_int64(st, 0);
    r->ev.title = dup_col(st, 1);
    r->ev.level = dup_col(st, 2);
    r->ev.department = dup_col(st, 3);
    {
        const char *s = yq_stmt_column_text(st, 4);
        r->ev.state = label_dup(YQ_LABEL_EVENT_STATE, s ? (const char *)s : "");
    }
    r->ev.kind = dup_col(st, 5);
    r->ev.ticket = dup_col(st, 6);
    r->ev.detected_at = yq_stmt_column_int64(st, 7);
    r->ev.heat = yq_stmt_column_int64(st, 8);
    r->judged_by = dup_col(st, 9);
    r->judged_at = yq_stmt_column_int64(st, 10);
    {
        const char *o = yq_stmt_column_text(st, 11);
        const char *why = yq_stmt_column_text(st, 13);
        const char *ts = yq_stmt_column_text(st, 14);
        /* the outcome's word is the state's (交办 = assigned, ...) */
        r->outcome = label_dup(YQ_LABEL_EVENT_STATE, o ? (const char *)o : "");
        r->dismiss_reason = label_dup(YQ_LABEL_DISMISS_REASON, why ? (const char *)why : "");
        r->ticket_state = label_dup(YQ_LABEL_STATE, ts ? (const char *)ts : "");
    }
    r->opinion = dup_col(st, 12);
    *ticket = yq_stmt_column_int64(st, 15);
    r->ev.items = yq_stmt_column_int64(st, 16);
    r->ev.negative = yq_stmt_column_int64(st, 17);
    r->ev.sentiment_known = yq_stmt_column_int64(st, 18);
    r->first_at = yq_stmt_column_int64(st, 19);
    r->last_at = yq_stmt_column_int64(st, 20);
    yq_stmt_finalize(st);
    if (!r->ev.title || !r->ev.level || !r->ev.department || !r->ev.state || !r->ev.kind ||
        !r->ev.ticket || !r->judged_by || !r->outcome || !r->opinion || !r->dismiss_reason ||
        !r->ticket_state) {
        return ERR_NOMEM;
    }
    return 0;
}

/* Items per hour: the newest BRIEFING_EVENT_MAX_HOURS hours of the event's items. */
static int read_hours(struct eg *g, struct briefing_event_report *r)
{
    struct yq_stmt *st = NULL;
    int64_t first_h, last_h;
    int err, rc;

    if (r->ev.items == 0) {
        return 0;
    }
    first_h = r->first_at - ((r->first_at % 3600) + 3600) % 3600;
    last_h = r->last_at - ((r->last_at % 3600) + 3600) % 3600;
    if ((last_h - first_h) / 3600 + 1 > BRIEFING_EVENT_MAX_HOURS) {
        first_h = last_h - (BRIEFING_EVENT_MAX_HOURS - 1) * 3600;
    }
    r->hours_start = first_h;
    r->n_hours = (size_t)((last_h - first_h) / 3600 + 1);
    err = eg_prepare(g,
                     "SELECT (matched_at - ?2) / 3600, count(*) FROM event_items "
                     "WHERE event_id = ?1 AND matched_at >= ?2 GROUP BY 1",
                     &st, "report hours");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, r->ev.id);
    yq_stmt_bind_int64(st, 2, first_h);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        int64_t k = yq_stmt_column_int64(st, 0);
        if (k >= 0 && (size_t)k < r->n_hours) {
            r->hourly[k] = yq_stmt_column_int64(st, 1);
        }
    }
    if (rc != YQ_DB_DONE) {
        err = eg_fail(g, rc, "report hours");
    }
    yq_stmt_finalize(st);
    return err;
}

static int read_posts(struct eg *g, struct briefing_event_report *r)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    r->posts = calloc(BRIEFING_EVENT_MAX_POSTS, sizeof(*r->posts));
    if (!r->posts) {
        return ERR_NOMEM;
    }
    err = eg_prepare(g,
                     "SELECT title, url, channel, author, sentiment, "
                     "coalesce(published_at, matched_at), heat FROM event_items "
                     "WHERE event_id = ? ORDER BY heat DESC, matched_at, id LIMIT ?",
                     &st, "report posts");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, r->ev.id);
    yq_stmt_bind_int(st, 2, BRIEFING_EVENT_MAX_POSTS);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && r->n_posts < BRIEFING_EVENT_MAX_POSTS) {
        struct briefing_post *p = &r->posts[r->n_posts++];
        p->title = dup_col(st, 0);
        p->url = dup_col(st, 1);
        p->channel = dup_col(st, 2);
        p->author = dup_col(st, 3);
        p->sentiment = dup_col(st, 4);
        p->at = yq_stmt_column_int64(st, 5);
        p->heat = yq_stmt_column_int64(st, 6);
        if (!p->title || !p->url || !p->channel || !p->author || !p->sentiment) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = eg_fail(g, rc, "report posts");
    }
    yq_stmt_finalize(st);
    return err;
}

static int read_log(struct eg *g, struct briefing_event_report *r, int64_t ticket)
{
    struct yq_stmt *st = NULL;
    char d[8192];
    int err, rc;

    r->log = calloc(BRIEFING_EVENT_MAX_LOG, sizeof(*r->log));
    if (!r->log) {
        return ERR_NOMEM;
    }
    err = eg_prepare(g,
                     "SELECT at, 0, actor, action, note, id FROM event_log WHERE event_id = ?1 "
                     "UNION ALL SELECT at, 1, actor, action, note, id FROM ticket_log "
                     "WHERE ticket_id = ?2 ORDER BY 1, 2, 6 LIMIT ?3",
                     &st, "report log");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, r->ev.id);
    yq_stmt_bind_int64(st, 2, ticket);
    yq_stmt_bind_int(st, 3, BRIEFING_EVENT_MAX_LOG);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && r->n_log < BRIEFING_EVENT_MAX_LOG) {
        struct briefing_log *l = &r->log[r->n_log++];
        const char *a = yq_stmt_column_text(st, 3);
        l->at = yq_stmt_column_int64(st, 0);
        l->ticket = yq_stmt_column_int(st, 1) != 0;
        l->actor = dup_col(st, 2);
        l->action = label_dup(l->ticket ? YQ_LABEL_LOG_ACTION : YQ_LABEL_EVENT_ACTION,
                              a ? (const char *)a : "");
        /* the note for a person, as the event page and the ticket page show it (the stored
           one carries codes and key=value words) */
        l->note =
            strdup(l->ticket ? ticket_api_log_detail(a, yq_stmt_column_text(st, 4), d, sizeof(d))
                             : event_read_log_detail(a, yq_stmt_column_text(st, 4), d, sizeof(d)));
        if (!l->actor || !l->action || !l->note) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
        err = eg_fail(g, rc, "report log");
    }
    yq_stmt_finalize(st);
    return err;
}

static int read_responses(struct eg *g, struct briefing_event_report *r, int64_t ticket)
{
    struct yq_stmt *st = NULL;
    size_t cap = 0; /* of r->responses, empty until here */
    int err, rc;

    if (ticket <= 0) {
        return 0;
    }
    err = eg_prepare(g,
                     "SELECT channel, url, note, recorded_by, responded_at FROM ticket_responses "
                     "WHERE ticket_id = ? ORDER BY responded_at, id LIMIT 200",
                     &st, "report responses");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket);
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        struct briefing_response *p;

        err = yq_array_reserve(&r->responses, &cap, r->n_responses + 1, sizeof(*r->responses));
        if (err) {
            break;
        }
        p = &r->responses[r->n_responses++];
        p->channel = dup_col(st, 0);
        p->url = dup_col(st, 1);
        p->note = dup_col(st, 2);
        p->recorded_by = dup_col(st, 3);
        p->at = yq_stmt_column_int64(st, 4);
        if (!p->channel || !p->url || !p->note || !p->recorded_by) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = eg_fail(g, rc, "report responses");
    }
    yq_stmt_finalize(st);
    return err;
}

int briefing_event_gather(struct ticket_store *store, int64_t event_id, int64_t now,
                          struct briefing_event_report *out, char *errbuf, size_t errlen)
{
    struct eg g = {store, errbuf, errlen};
    int64_t ticket = 0;
    int err;

    memset(out, 0, sizeof(*out));
    out->generated_at = now;
    err = read_event(&g, event_id, out, &ticket);
    if (!err) {
        err = read_hours(&g, out);
    }
    if (!err) {
        err = read_posts(&g, out);
    }
    if (!err) {
        err = read_log(&g, out, ticket);
    }
    if (!err) {
        err = read_responses(&g, out, ticket);
    }
    if (err == ERR_NOMEM) {
        snprintf(errbuf, errlen, "out of memory");
    }
    return err;
}

void briefing_event_report_release(struct briefing_event_report *r)
{
    if (!r) {
        return;
    }
    free(r->ev.title);
    free(r->ev.level);
    free(r->ev.department);
    free(r->ev.state);
    free(r->ev.kind);
    free(r->ev.ticket);
    for (size_t i = 0; i < r->n_log; i++) {
        free(r->log[i].actor);
        free(r->log[i].action);
        free(r->log[i].note);
    }
    free(r->log);
    for (size_t i = 0; i < r->n_posts; i++) {
        free(r->posts[i].title);
        free(r->posts[i].url);
        free(r->posts[i].channel);
        free(r->posts[i].author);
        free(r->posts[i].sentiment);
    }
    free(r->posts);
    free(r->judged_by);
    free(r->outcome);
    free(r->opinion);
    free(r->dismiss_reason);
    free(r->ticket_state);
    for (size_t i = 0; i < r->n_responses; i++) {
        free(r->responses[i].channel);
        free(r->responses[i].url);
        free(r->responses[i].note);
        free(r->responses[i].recorded_by);
    }
    free(r->responses);
    memset(r, 0, sizeof(*r));
}
