/*
 * Alert intake (ticket_intake.h): tickets, items, revisions, routing, reopening.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "ticket_clock.h"
#include "ticket_flow.h"
#include "ticket_held.h"
#include "ticket_intake.h"
#include "ticket_intake_int.h"
#include "ticket_store_int.h"
#include "yq_json.h"
#include "yq_utf8.h"
#include "yq_labels.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/* Bounds on what one alert may put in a row: feed text is untrusted. */
#define TITLE_MAX_CP 200
#define AUTHOR_MAX_CP 100
#define TITLE_FROM_TEXT_CP 80
#define EXCERPT_BEFORE_CP 40
#define EXCERPT_CP 160
#define METRIC_CAP 1000000000LL

/* --- UTF-8 slices of untrusted text ---------------------------------------------------- */

/* Byte offset of code point cp in s (or strlen(s) when s is shorter). */
static size_t utf8_offset(const char *s, size_t cp)
{
    size_t i = 0, len = strlen(s);
    int32_t c;

    for (; i < len && cp > 0; cp--) {
        i += yq_utf8_next(s + i, len - i, &c);
    }
    return i;
}

/* A new copy of n_cp code points of s from code point start; NULL on ERR_NOMEM. */
static char *utf8_slice(const char *s, size_t start, size_t n_cp)
{
    size_t from, to;
    char *out;

    s = s ? s : "";
    from = utf8_offset(s, start);
    to = from + utf8_offset(s + from, n_cp);
    out = malloc(to - from + 1);
    if (out) {
        memcpy(out, s + from, to - from);
        out[to - from] = '\0';
    }
    return out;
}

char *intake_title(const struct yq_item *item)
{
    if (item->title && item->title[0]) {
        return utf8_slice(item->title, 0, TITLE_MAX_CP);
    }
    if (item->text && item->text[0]) {
        return utf8_slice(item->text, 0, TITLE_FROM_TEXT_CP);
    }
    return strdup("(无标题)");
}

/* The text around the first match in the text field, else the start of the text. */
static char *make_excerpt(const struct yq_alert *alert)
{
    size_t start = 0;
    for (size_t i = 0; i < alert->n_matches; i++) {
        const struct yq_alert_match *m = &alert->matches[i];
        for (size_t j = 0; j < m->n_terms; j++) {
            if (strcmp(m->terms[j].field, "text") == 0 && m->terms[j].start >= 0) {
                int64_t s = m->terms[j].start - EXCERPT_BEFORE_CP;
                start = s > 0 ? (size_t)s : 0;
                goto found;
            }
        }
    }
found:
    return utf8_slice(alert->item.text, start, EXCERPT_CP);
}

/*
 * JSON texts for ticket_items.rule_ids and .matches (yq_alert_matches_json(): each match
 * rule_id, name, group when known, department, level, terms); both new (free()) or NULL on
 * NOMEM.
 */
static int make_match_json(const struct yq_alert *alert, char **ids_out, char **matches_out)
{
    json_t *ids = json_array(), *matches = yq_alert_matches_json(alert, false);
    int rc = 0;

    *ids_out = NULL;
    *matches_out = NULL;
    if (!ids || !matches) {
        goto nomem;
    }
    for (size_t i = 0; i < alert->n_matches; i++) {
        rc |= json_array_append_new(ids, json_string(alert->matches[i].rule_id));
    }
    if (rc) {
        goto nomem;
    }
    *ids_out = yq_json_dumps(ids, JSON_COMPACT);
    *matches_out = yq_json_dumps(matches, JSON_COMPACT);
    json_decref(ids);
    json_decref(matches);
    if (!*ids_out || !*matches_out) {
        free(*ids_out);
        free(*matches_out);
        *ids_out = NULL;
        *matches_out = NULL;
        return ERR_NOMEM;
    }
    return 0;
nomem:
    json_decref(ids);
    json_decref(matches);
    return ERR_NOMEM;
}

void intake_item_row_release(struct intake_item_row *r)
{
    free(r->title);
    free(r->excerpt);
    free(r->author);
    free(r->rule_ids);
    free(r->matches);
    memset(r, 0, sizeof(*r));
}

/*
 * The row texts of alert's item; title_from_text: a missing title is made from the text
 * (intake_title(), as a held item shows it). Returns 0 or ERR_NOMEM (r released).
 */
int intake_item_row_make(const struct yq_alert *alert, bool title_from_text, struct intake_item_row *r)
{
    const struct yq_item *item = &alert->item;
    int err;

    memset(r, 0, sizeof(*r));
    r->title = title_from_text ? intake_title(item) : utf8_slice(item->title, 0, TITLE_MAX_CP);
    r->excerpt = make_excerpt(alert);
    r->author = utf8_slice(item->author, 0, AUTHOR_MAX_CP);
    err = make_match_json(alert, &r->rule_ids, &r->matches);
    if (err || !r->title || !r->excerpt || !r->author) {
        intake_item_row_release(r);
        return ERR_NOMEM;
    }
    return 0;
}

/* Bind n texts (borrowed; NULL binds "") to the parameters first, first + 1, ... of st. */
void intake_bind_texts(struct yq_stmt *st, int first, const char *const *texts, int n)
{
    for (int i = 0; i < n; i++) {
        yq_stmt_bind_text(st, first + i, ticket_store_nz(texts[i]));
    }
}

/* Bind the item's published_at to parameter i (NULL when it has none). */
void intake_bind_published(struct yq_stmt *st, int i, const struct yq_item *item)
{
    if (item->has_published) {
        yq_stmt_bind_int64(st, i, item->published_at);
    } else {
        yq_stmt_bind_null(st, i);
    }
}

void intake_bind_times_ms(struct ticket_store *store, struct yq_stmt *st, int first,
                          const struct yq_alert *alert)
{
    int64_t stored = store->intake_ms;
    int64_t v[2] = {yq_item_fetched_ms(&alert->item), yq_alert_matched_ms(alert)};

    for (int i = 0; i < 2; i++) {
        if (v[i] <= 0) {
            yq_stmt_bind_null(st, first + i);
        } else {
            yq_stmt_bind_int64(st, first + i, stored > 0 && v[i] > stored ? stored : v[i]);
        }
    }
    if (stored > 0) {
        yq_stmt_bind_int64(st, first + 2, stored);
    } else {
        yq_stmt_bind_null(st, first + 2);
    }
}

static int insert_item(struct ticket_store *store, int64_t ticket_id, const struct yq_alert *alert,
                       int64_t now, struct intake_known *k, bool *inserted)
{
    const struct yq_item *item = &alert->item;
    struct intake_item_row r;
    struct yq_stmt *st = NULL;
    int err;

    int known = intake_known_item(k, ticket_id, item->id);

    *inserted = false;
    if (known == 1) {
        return 0; /* the batch knows the ticket has it */
    }
    err = intake_item_row_make(alert, false, &r);
    if (err) {
        return err;
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO ticket_items (ticket_id, item_id, source, source_id, channel, "
        "url, title, excerpt, published_at, rule_ids, matches, added_at, author, "
        "fetched_at_ms, matched_at_ms, stored_at_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (ticket_id, item_id) DO NOTHING",
        &st, "item insert");
    if (!err) {
        const char *texts[] = {item->id, item->source, item->source_id, item->channel,
                               item->url, r.title,     r.excerpt};
        yq_stmt_bind_int64(st, 1, ticket_id);
        intake_bind_texts(st, 2, texts, 7);
        intake_bind_published(st, 9, item);
        intake_bind_texts(st, 10, (const char *const[]){r.rule_ids, r.matches}, 2);
        yq_stmt_bind_int64(st, 12, now);
        yq_stmt_bind_text(st, 13, r.author);
        intake_bind_times_ms(store, st, 14, alert);
        if (known == 0) {
            /* the batch knows it is new: no need to wait for the answer */
            err = ticket_store_step_deferred(store, st, "item insert");
            *inserted = !err;
        } else {
            err = ticket_store_step_done(store, st, "item insert");
            *inserted = !err && yq_db_changes(store->db) > 0;
        }
    }
    if (*inserted) {
        intake_known_item_add(k, ticket_id, item->id);
    }
    intake_item_row_release(&r);
    return err;
}

/* Next number of the month of detected_at, e.g. "YQ-2026-12-0001", into buf. */
static int next_number(struct ticket_store *store, int64_t detected_at, char *buf, size_t len)
{
    char prefix[32], month[16];
    struct yq_stmt *st = NULL;
    int rc, err;

    ticket_number_prefix(detected_at, prefix, sizeof(prefix), month, sizeof(month));
    err = ticket_store_prepare(store,
                               "INSERT INTO ticket_number_seq (month, last_seq) VALUES (?, 1) "
                               "ON CONFLICT (month) DO UPDATE "
                               "SET last_seq = ticket_number_seq.last_seq + 1 "
                               "RETURNING last_seq",
                               &st, "number sequence");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, month);
    rc = yq_stmt_step(st);
    if (rc != YQ_DB_ROW) {
        err = ticket_store_fail(store, rc, "number sequence");
        yq_stmt_finalize(st);
        return err;
    }
    /* four digits as the format asks; a 10000th ticket in one month simply gets five */
    int n = snprintf(buf, len, "%s%04lld", prefix, (long long)yq_stmt_column_int64(st, 0));
    yq_stmt_finalize(st);
    return (n < 0 || (size_t)n >= len) ? ERR_TOO_BIG : 0;
}

/*
 * The co-handling departments of an alert: other matched rules' departments, as JSON, the first
 * TICKET_MAX_CO_DEPARTMENTS of them in match order (the limit every 交办 keeps; more are left
 * out with a warning, so a ticket opened on arrival is one a later action can resend).
 */
char *intake_co_departments(const struct yq_alert *alert)
{
    json_t *arr = json_array();
    char *text;

    if (!arr) {
        return NULL;
    }
    for (size_t i = 0; i < alert->n_matches; i++) {
        const char *d = alert->matches[i].department;
        bool seen = false;
        size_t j;
        json_t *have;
        if (!d || !d[0] || (alert->department && strcmp(d, alert->department) == 0)) {
            continue;
        }
        json_array_foreach(arr, j, have)
        {
            if (strcmp(json_string_value(have), d) == 0) {
                seen = true;
            }
        }
        if (!seen && json_array_size(arr) == TICKET_MAX_CO_DEPARTMENTS) {
            LOG_WARN("more than %d co-handling departments event_key=%s: '%s' and later ones "
                     "left out",
                     TICKET_MAX_CO_DEPARTMENTS, alert->event_key ? alert->event_key : "-", d);
            break;
        }
        if (!seen && json_array_append_new(arr, json_string(d)) != 0) {
            /* not valid UTF-8 (json_string returned NULL): leave it out */
            continue;
        }
    }
    text = yq_json_dumps(arr, JSON_COMPACT);
    json_decref(arr);
    return text;
}

int64_t intake_clamp_metric(int64_t v)
{
    return v < 0 ? 0 : (v > METRIC_CAP ? METRIC_CAP : v);
}

/* How much one item adds to a ticket's heat: 1 plus its engagement when known. */
int64_t intake_item_heat(const struct yq_item *item)
{
    if (!item->metrics.known) {
        return 1;
    }
    return 1 + intake_clamp_metric(item->metrics.reposts) + intake_clamp_metric(item->metrics.comments) +
           intake_clamp_metric(item->metrics.likes);
}

/* SHA-256 (hex) of the item's title and text: what makes two revisions identical. */
static int content_hash(const struct yq_item *item, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *title = ticket_store_nz(item->title), *text = ticket_store_nz(item->text);
    int ok;

    if (!ctx) {
        return ERR_NOMEM;
    }
    ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
         EVP_DigestUpdate(ctx, title, strlen(title)) == 1 &&
         EVP_DigestUpdate(ctx, "\x1f", 1) == 1 && EVP_DigestUpdate(ctx, text, strlen(text)) == 1 &&
         EVP_DigestFinal_ex(ctx, md, &md_len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return ERR_NOMEM;
    }
    for (unsigned i = 0; i < md_len && i < 32; i++) {
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    }
    out[64] = '\0';
    return 0;
}

/* Record a revision of the item; *inserted is false when that content was already known. */
static int insert_revision(struct ticket_store *store, int64_t ticket_id,
                           const struct yq_item *item, int64_t now, struct intake_known *k,
                           bool *inserted)
{
    char hash[65];
    char *title;
    struct yq_stmt *st = NULL;
    int err, known;

    *inserted = false;
    err = content_hash(item, hash);
    if (err) {
        return err;
    }
    known = intake_known_revision(k, ticket_id, item->id, hash);
    if (known == 1) {
        return 0; /* that content is known already */
    }
    title = utf8_slice(item->title, 0, TITLE_MAX_CP);
    if (!title) {
        return ERR_NOMEM;
    }
    err = ticket_store_prepare(store,
                               "INSERT INTO ticket_item_revisions (ticket_id, item_id, "
                               "content_hash, title, added_at) VALUES (?, ?, ?, ?, ?) "
                               "ON CONFLICT (ticket_id, item_id, content_hash) DO NOTHING",
                               &st, "revision insert");
    if (!err) {
        yq_stmt_bind_int64(st, 1, ticket_id);
        yq_stmt_bind_text(st, 2, item->id);
        yq_stmt_bind_text(st, 3, hash);
        yq_stmt_bind_text(st, 4, title);
        yq_stmt_bind_int64(st, 5, now);
        if (known == 0) {
            err = ticket_store_step_deferred(store, st, "revision insert");
            *inserted = !err;
        } else {
            err = ticket_store_step_done(store, st, "revision insert");
            *inserted = !err && yq_db_changes(store->db) > 0;
        }
        if (*inserted) {
            intake_known_revision_add(k, ticket_id, item->id, hash);
        }
    }
    free(title);
    return err;
}

static unsigned urgent_level(enum yq_level level)
{
    return level == YQ_LEVEL_I || level == YQ_LEVEL_II;
}

/* What add_alert_item() needs. */
struct intake_ctx {
    const struct yq_alert *alert;
    int64_t now;
    struct intake_known *k; /* may be NULL */
};

int ticket_intake_open_ticket(struct ticket_store *store, const struct ticket_open *o,
                              int64_t now, int64_t *ticket_id_out, char *number_out)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    struct ticket_deadline_set dl;
    char number[32];
    struct yq_stmt *st = NULL;
    int64_t log_id = 0, ticket_id;
    int err;

    err = next_number(store, o->detected_at, number, sizeof(number));
    if (err) {
        return err;
    }
    /* statutory clocks from detection; the acknowledgement clock from the handover */
    ticket_clock_deadlines(pol->clock, pol->cal, o->level, o->detected_at, o->assigned_at, &dl);
    err = ticket_store_prepare(
        store,
        "INSERT INTO tickets (number, event_key, title, level, department, state, "
        "first_post_at, detected_at, ack_deadline, response_deadline, item_count, "
        "score, rules_version, url, created_at, updated_at, co_departments, heat, assigned_at, "
        "press_deadline, close_deadline) "
        "VALUES (?, ?, ?, ?, ?, '" TICKET_STATE_NAME_OPEN "', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &st, "ticket insert");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, number);
    yq_stmt_bind_text(st, 2, o->event_key);
    yq_stmt_bind_text(st, 3, o->title);
    yq_stmt_bind_text(st, 4, yq_level_name(o->level));
    yq_stmt_bind_text(st, 5, ticket_store_nz(o->department));
    if (o->has_first_post) {
        yq_stmt_bind_int64(st, 6, o->first_post_at);
    } else {
        yq_stmt_bind_null(st, 6);
    }
    yq_stmt_bind_int64(st, 7, o->detected_at);
    yq_stmt_bind_int64(st, 8, dl.ack);
    yq_stmt_bind_int64(st, 9, dl.response);
    yq_stmt_bind_int64(st, 10, o->item_count);
    yq_stmt_bind_double(st, 11, o->score);
    yq_stmt_bind_int64(st, 12, o->rules_version);
    yq_stmt_bind_text(st, 13, ticket_store_nz(o->url));
    yq_stmt_bind_int64(st, 14, now);
    yq_stmt_bind_int64(st, 15, now);
    yq_stmt_bind_text(st, 16, o->co_departments ? o->co_departments : "[]");
    yq_stmt_bind_int64(st, 17, o->heat);
    yq_stmt_bind_int64(st, 18, o->assigned_at);
    if (dl.press) {
        yq_stmt_bind_int64(st, 19, dl.press);
    } else {
        yq_stmt_bind_null(st, 19);
    }
    yq_stmt_bind_int64(st, 20, dl.close);
    err = ticket_store_step_id(store, st, "ticket insert", &ticket_id);
    if (err) {
        return err;
    }
    if (o->add_items) {
        err = o->add_items(store, ticket_id, o->ctx);
    }
    if (!err) {
        err = ticket_store_log_append(store, ticket_id, now, o->actor ? o->actor : "system",
                                      o->role ? o->role : "system", "created", NULL,
                                      TICKET_STATE_NAME_OPEN, o->note, &log_id);
    }
    if (!err) {
        /* after the items: the message quotes the first item's excerpt */
        err = outbox_enqueue(store, ticket_id, log_id, "created",
                             OUTBOX_TO_LIAISON | OUTBOX_TO_CO_LIAISON | OUTBOX_TO_DUTY,
                             urgent_level(o->level), NULL, now, NULL);
    }
    if (!err) {
        /* issue #15: the department may have answered before the ticket reached it */
        err = ticket_flow_detect_for_ticket(store, ticket_id, now, NULL);
    }
    if (!err) {
        if (ticket_id_out) {
            *ticket_id_out = ticket_id;
        }
        if (number_out) {
            snprintf(number_out, 32, "%s", number);
        }
    }
    return err;
}

/* add_items of intake_create_ticket(): the alert's item and its first revision. */
static int add_alert_item(struct ticket_store *store, int64_t ticket_id, void *ctx)
{
    const struct intake_ctx *c = ctx;
    bool inserted;
    int err;

    intake_known_ticket_new(c->k, ticket_id); /* opened just now: no items yet */
    err = insert_item(store, ticket_id, c->alert, c->now, c->k, &inserted);
    if (!err) {
        err = insert_revision(store, ticket_id, &c->alert->item, c->now, c->k, &inserted);
    }
    return err;
}

/* A ticket for the alert's event at once (policy), its one item, as intake always did. */
int intake_create_ticket(struct ticket_store *store, const struct yq_alert *alert,
                         const char *event_key, int64_t detected_at, int64_t now,
                         struct intake_known *k, struct ticket_intake_result *res)
{
    const struct yq_item *item = &alert->item;
    struct intake_ctx ctx = {.alert = alert, .now = now, .k = k};
    struct ticket_open o;
    char *title = NULL, *co = NULL, note[256];
    int err;

    title = intake_title(item);
    co = intake_co_departments(alert);
    if (!title || !co) {
        err = ERR_NOMEM;
        goto done;
    }
    snprintf(note, sizeof(note), "level=%s department=%.60s item_id=%.120s",
             yq_level_name(alert->level), ticket_store_nz(alert->department), item->id);
    memset(&o, 0, sizeof(o));
    o.event_key = event_key;
    o.title = title;
    o.level = alert->level;
    o.department = alert->department;
    o.co_departments = co;
    o.has_first_post = item->has_published;
    /* a future timestamp (issue #10) counts as the fetch time */
    o.first_post_at = item->has_published ? yq_item_effective_time(item) : 0;
    o.detected_at = detected_at;
    o.assigned_at = alert->matched_at > detected_at ? alert->matched_at : detected_at;
    o.item_count = 1;
    o.heat = intake_item_heat(item);
    o.score = alert->score;
    o.rules_version = alert->rules_version;
    o.url = item->url;
    o.note = note;
    o.add_items = add_alert_item;
    o.ctx = &ctx;
    err = ticket_intake_open_ticket(store, &o, now, &res->ticket_id, res->number);
    if (!err) {
        res->item_count = 1;
        res->outcome = TICKET_INTAKE_CREATED;
    }
done:
    free(title);
    free(co);
    return err;
}

/*
 * A change (new item or revision) arrived for a closed ticket: reopen it when it was closed
 * at most reopen_window_ms ago and has never been reopened (FC-036: once, one notification).
 */
static int maybe_reopen(struct ticket_store *store, int64_t ticket_id, const char *item_id,
                        int64_t now, struct ticket_intake_result *res)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct ticket_clock_cfg *clk = pol->clock ? pol->clock : ticket_clock_defaults();
    struct ticket_deadline_set dl;
    struct ticket t;
    char note[200];
    struct yq_stmt *st = NULL;
    int64_t log_id = 0;
    int err;

    err = ticket_store_get_by_id(store, ticket_id, &t);
    if (err) {
        return err;
    }
    if (t.state != TICKET_STATE_CLOSED || t.reopen_count > 0 || t.closed_at == 0 ||
        now - t.closed_at > clk->reopen_window_ms / 1000) {
        ticket_release(&t);
        return 0;
    }
    /* a fresh acknowledgement clock and closure period; the response clocks stay as they were */
    ticket_clock_deadlines(clk, pol->cal, t.level, now, now, &dl);
    err = ticket_store_prepare(store,
                               "UPDATE tickets SET state = '" TICKET_STATE_NAME_OPEN
                               "', reopened_at = ?1, "
                               "reopen_count = reopen_count + 1, closed_at = NULL, "
                               "assigned_at = ?1, ack_deadline = ?2, close_deadline = ?3, "
                               "acknowledged_at = NULL, ack_overdue = 0, close_overdue = 0, "
                               "version = version + 1, updated_at = ?1 WHERE id = ?4",
                               &st, "reopen");
    if (!err) {
        yq_stmt_bind_int64(st, 1, now);
        yq_stmt_bind_int64(st, 2, dl.ack);
        yq_stmt_bind_int64(st, 3, dl.close);
        yq_stmt_bind_int64(st, 4, ticket_id);
        err = ticket_store_step_done(store, st, "reopen");
    }
    snprintf(note, sizeof(note), "changed after closure: item_id=%.120s", item_id);
    if (!err) {
        err = ticket_store_log_append(store, ticket_id, now, "system", "system", "reopened",
                                      ticket_state_name(TICKET_STATE_CLOSED),
                                      ticket_state_name(TICKET_STATE_OPEN), note, &log_id);
    }
    if (!err) {
        err =
            outbox_enqueue(store, ticket_id, log_id, "reopened", OUTBOX_TO_LIAISON | OUTBOX_TO_DUTY,
                           urgent_level(t.level), note, now, NULL);
    }
    if (!err) {
        res->reopened = true;
    }
    ticket_release(&t);
    return err;
}

/* *out: ticket_id has any revision of item_id (an item handed over from the inbox has none). */
static int has_revision(struct ticket_store *store, int64_t ticket_id, const char *item_id,
                        const struct intake_known *k, bool *out)
{
    struct yq_stmt *st = NULL;
    int rc, err, known = intake_known_revision(k, ticket_id, item_id, NULL);

    *out = known == 1;
    if (known >= 0) {
        return 0; /* the batch knows */
    }
    err = ticket_store_prepare(store,
                               "SELECT 1 FROM ticket_item_revisions WHERE ticket_id = ? AND "
                               "item_id = ? LIMIT 1",
                               &st, "revision lookup");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_text(st, 2, item_id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *out = true;
    } else if (rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "revision lookup");
    }
    yq_stmt_finalize(st);
    return err;
}

int intake_attach_item(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                       bool maybe_closed, struct intake_known *k, struct ticket_intake_result *res)
{
    struct yq_stmt *st = NULL;
    bool inserted, revised, known = true;
    int err;

    err = insert_item(store, res->ticket_id, alert, now, k, &inserted);
    if (err) {
        return err;
    }
    if (!inserted) {
        err = has_revision(store, res->ticket_id, alert->item.id, k, &known);
        if (err) {
            return err;
        }
    }
    err = insert_revision(store, res->ticket_id, &alert->item, now, k, &revised);
    if (err) {
        return err;
    }
    if (!inserted && !known) {
        /* the item came from the 研判 inbox (event_items keep no text): its first content
           seen here is the baseline, not a change */
        revised = false;
    }
    if (!inserted && !revised) {
        res->outcome = TICKET_INTAKE_DUPLICATE;
        return 0;
    }
    err = ticket_store_prepare(store,
                               "UPDATE tickets SET item_count = item_count + ?5, "
                               "heat = heat + ?6, score = max(score, ?1), "
                               "first_post_at = CASE WHEN CAST(?2 AS BIGINT) IS NULL "
                               "  THEN first_post_at "
                               "  WHEN first_post_at IS NULL OR ?2 < first_post_at THEN ?2 "
                               "  ELSE first_post_at END, "
                               "updated_at = ?3 WHERE id = ?4",
                               &st, "ticket update");
    if (err) {
        return err;
    }
    yq_stmt_bind_double(st, 1, alert->score);
    if (alert->item.has_published) {
        yq_stmt_bind_int64(st, 2, yq_item_effective_time(&alert->item));
    } else {
        yq_stmt_bind_null(st, 2);
    }
    yq_stmt_bind_int64(st, 3, now);
    yq_stmt_bind_int64(st, 4, res->ticket_id);
    yq_stmt_bind_int(st, 5, inserted ? 1 : 0);
    yq_stmt_bind_int64(st, 6, inserted ? intake_item_heat(&alert->item) : 0);
    err = ticket_store_step_deferred(store, st, "ticket update");
    if (err) {
        return err;
    }
    if (inserted) {
        res->item_count++;
        res->outcome = TICKET_INTAKE_ATTACHED;
    } else {
        res->outcome = TICKET_INTAKE_REVISED;
    }
    err = ticket_store_log_append(store, res->ticket_id, now, "system", "system",
                                  inserted ? "item_added" : "revision_added", NULL, NULL,
                                  alert->item.id, NULL);
    if (!err && maybe_closed) {
        err = maybe_reopen(store, res->ticket_id, alert->item.id, now, res);
    }
    return err;
}

/*
 * Migration 4 (issue #10): the alert was matched on a rule set the matcher could not check;
 * the ticket keeps the mark and the oldest known check time (checked_at 0 = never checked).
 */
int intake_mark_rules_unverified(struct ticket_store *store, int64_t ticket_id, int64_t checked_at)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store,
                                   "UPDATE tickets SET rules_unverified = 1, rules_checked_at = "
                                   "CASE WHEN CAST(?1 AS BIGINT) IS NULL THEN rules_checked_at "
                                   "  WHEN rules_checked_at IS NULL OR ?1 < rules_checked_at "
                                   "  THEN ?1 ELSE rules_checked_at END WHERE id = ?2",
                                   &st, "rules_unverified update");
    if (err) {
        return err;
    }
    if (checked_at > 0) {
        yq_stmt_bind_int64(st, 1, checked_at);
    } else {
        yq_stmt_bind_null(st, 1);
    }
    yq_stmt_bind_int64(st, 2, ticket_id);
    return ticket_store_step_deferred(store, st, "rules_unverified update");
}

/* --- held items (issue #11): old, undated backlog and official items open no ticket ---------- */


bool ticket_item_is_old(const struct yq_item *item, int64_t window_s, int64_t now)
{
    int64_t ref = item->fetched_at > 0 ? item->fetched_at : now;
    int64_t t;

    if (window_s <= 0 || !item->has_published) {
        return false;
    }
    t = yq_item_effective_time(item);
    if (item->precision && strcmp(item->precision, "day") == 0) {
        t += 86399; /* a date alone: the post may be from the end of that day */
    }
    return t < ref - window_s;
}

/*
 * Record the alert's item in held_items (once per item id) with reason "old", "undated" or
 * "official" (migration 6 allows 'undated').
 */
int intake_hold_item(struct ticket_store *store, const struct yq_alert *alert, const char *reason,
                     int64_t now, struct ticket_intake_result *res)
{
    const struct yq_item *item = &alert->item;
    struct intake_item_row r;
    struct yq_stmt *st = NULL;
    int err;

    err = intake_item_row_make(alert, true, &r);
    if (err) {
        return err;
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO held_items (item_id, event_key, reason, source, source_id, channel, url, "
        "title, excerpt, author, published_at, published_precision, fetched_at, detected_at, "
        "level, department, source_department, rule_ids, matches, score, held_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (item_id) DO NOTHING",
        &st, "held insert");
    if (!err) {
        const char *texts[] = {item->id,  alert->event_key, reason,  item->source,
                               item->source_id, item->channel, item->url, r.title,
                               r.excerpt, r.author};
        const char *rule_texts[] = {yq_level_name(alert->level), alert->department,
                                    item->department, r.rule_ids, r.matches};
        intake_bind_texts(st, 1, texts, 10);
        intake_bind_published(st, 11, item);
        if (item->has_published) {
            yq_stmt_bind_text(st, 12, item->precision ? item->precision : "second");
        }
        yq_stmt_bind_int64(st, 13, item->fetched_at);
        yq_stmt_bind_int64(st, 14, alert->matched_at);
        intake_bind_texts(st, 15, rule_texts, 5);
        yq_stmt_bind_double(st, 20, alert->score);
        yq_stmt_bind_int64(st, 21, now);
        err = ticket_store_step_done(store, st, "held insert");
    }
    if (!err) {
        res->outcome =
            yq_db_changes(store->db) > 0 ? TICKET_INTAKE_HELD : TICKET_INTAKE_DUPLICATE;
    }
    intake_item_row_release(&r);
    return err;
}

/*
 * Why a new event's alert opens no ticket: "official", "old", "undated" (no publication time
 * and fetched in its source's first poll: its age cannot be known and it is the source's
 * backlog, so no statutory clock may run from its fetch) or NULL (it opens one). An undated
 * item of a later poll is new: its fetch time is its effective time and it opens a ticket.
 */
const char *intake_hold_reason(struct ticket_store *store, const struct yq_alert *alert,
                               int64_t now)
{
    const struct ticket_policy *pol = ticket_store_policy_or_default(store);
    const struct ticket_clock_cfg *clk = pol->clock ? pol->clock : ticket_clock_defaults();

    if (alert->item.official) {
        return "official";
    }
    if (ticket_item_is_old(&alert->item, clk->old_item_after_ms / 1000, now)) {
        return "old";
    }
    if (!alert->item.has_published && alert->item.backlog) {
        return "undated";
    }
    return NULL;
}
