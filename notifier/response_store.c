/*
 * Official posts and proposed responses (response_store.h, docs/responses.md).
 */
#include "response_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "outbox.h"
#include "response_detect.h"
#include "store_json.h"
#include "ticket_store_int.h"
#include "ticket_text.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* What is read of a ticket's event for scoring (raw rows; distinct). */
#define VIEW_MAX_TERMS 256
#define VIEW_MAX_TITLES 64
#define VIEW_MAX_SIMHASHES 256
#define VIEW_MAX_ROWS 500

/*
 * The states a ticket may get a proposal in: not yet answered, not settled, held by a
 * department (a returned ticket is back with the duty officer and cannot be answered).
 */
#define OPEN_STATES "'open','acknowledged'"

static const char *const channels[] = {"权威发布", "政务微博", "政务微信", "网站"};

/* The response channel of an official item (response_store.h). Static string. */
static const char *post_channel(const struct yq_item *item)
{
    for (size_t i = 0; item->response_channel && i < sizeof(channels) / sizeof(channels[0]);
         i++) {
        if (strcmp(item->response_channel, channels[i]) == 0) {
            return channels[i];
        }
    }
    if (item->source && strcmp(item->source, "weibo") == 0) {
        return "政务微博";
    }
    if (item->source && strcmp(item->source, "wechat") == 0) {
        return "政务微信";
    }
    return "网站";
}

/*
 * Invisible format characters (Unicode Cf) a feed may carry besides the bidi controls
 * ticket_text_char_problem() names: soft hyphen, zero-width space, word joiner and the
 * invisible operators, the byte-order mark. ZWJ and ZWNJ (U+200D, U+200C) stay: emoji
 * sequences and some scripts need them.
 */
static bool invisible_format(int32_t cp)
{
    return cp == 0x00AD || cp == 0x180E || cp == 0x200B || (cp >= 0x2060 && cp <= 0x2064) ||
           cp == 0xFEFF;
}

/*
 * A new copy of s (NULL: "") without the characters a ticket's text may not hold
 * (ticket_text_char_problem(): control, C1, bidi; newline and tab kept when multiline), the
 * invisible format characters and invalid bytes, cut at a character to at most max bytes.
 * NULL on ERR_NOMEM.
 */
static char *cleaned(const char *s, size_t max, bool multiline)
{
    size_t len = s ? strlen(s) : 0, n = 0;
    char *out = malloc((len < max ? len : max) + 1);

    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t k = yq_utf8_next(s + i, len - i, &cp);
        bool bad = (cp == 0xFFFD && k == 1) || ticket_text_char_problem(cp, multiline) ||
                   invisible_format(cp);
        if (!bad) {
            if (n + k > max) {
                break;
            }
            memcpy(out + n, s + i, k);
            n += k;
        }
        i += k;
    }
    out[n] = '\0';
    return out;
}

int response_store_add_post(struct ticket_store *store, const struct yq_alert *alert,
                            int64_t now, int64_t *post_id_out)
{
    const struct yq_item *item = &alert->item;
    char *title = NULL, *text = NULL, *channel = NULL, *url = NULL, hex[17] = "";
    struct yq_stmt *st = NULL;
    int err;

    *post_id_out = 0;
    if (!item->official || !item->id || !item->id[0]) {
        return ERR_INVALID;
    }
    title = cleaned(item->title, RESPONSE_POST_TITLE_MAX_BYTES, false);
    text = cleaned(item->text, RESPONSE_POST_TEXT_MAX_BYTES, true);
    channel = cleaned(item->channel, RESPONSE_POST_CHANNEL_MAX_BYTES, false);
    /* only a link a respond typed by hand could carry (javascript:, data: ... are dropped) */
    url = strdup(ticket_text_url_ok(item->url) ? item->url : "");
    if (!title || !text || !channel || !url) {
        err = ERR_NOMEM;
        goto done;
    }
    if (alert->has_simhash) {
        snprintf(hex, sizeof(hex), "%016" PRIx64, alert->simhash);
    }
    err = ticket_store_prepare(
        store,
        "INSERT INTO official_posts (item_id, source_id, department, response_channel, "
        "channel, url, title, text, simhash, published_at, fetched_at, received_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) "
        "ON CONFLICT (item_id) DO NOTHING RETURNING id",
        &st, "official post insert");
    if (err) {
        goto done;
    }
    yq_stmt_bind_text(st, 1, item->id);
    yq_stmt_bind_text(st, 2, ticket_store_nz(item->source_id));
    yq_stmt_bind_text(st, 3, ticket_store_nz(item->department));
    yq_stmt_bind_text(st, 4, post_channel(item));
    yq_stmt_bind_text(st, 5, channel);
    yq_stmt_bind_text(st, 6, url);
    yq_stmt_bind_text(st, 7, title);
    yq_stmt_bind_text(st, 8, text);
    yq_stmt_bind_text(st, 9, hex);
    if (item->has_published && !item->future_timestamp) {
        yq_stmt_bind_int64(st, 10, item->published_at);
    } else {
        yq_stmt_bind_null(st, 10);
    }
    yq_stmt_bind_int64(st, 11, item->fetched_at);
    yq_stmt_bind_int64(st, 12, now);
    {
        int64_t id = 0;
        err = ticket_store_step_id(store, st, "official post insert", &id);
        if (!err && id > 0) {
            *post_id_out = id;
        }
    }
done:
    free(title);
    free(text);
    free(channel);
    free(url);
    return err;
}

void response_made_list_release(struct response_made_list *list)
{
    if (list) {
        free(list->v);
        memset(list, 0, sizeof(*list));
    }
}

/* --- what is scored ------------------------------------------------------------------------ */

/* A ticket's event as response_detect_score() sees it, with the texts it owns. */
struct event_view {
    struct response_event_view v;
    char *terms[VIEW_MAX_TERMS];
    char *titles[VIEW_MAX_TITLES];
    uint64_t simhashes[VIEW_MAX_SIMHASHES];
    size_t n_terms, n_titles, n_simhashes;
};

static void event_view_release(struct event_view *e)
{
    for (size_t i = 0; i < e->n_terms; i++) {
        free(e->terms[i]);
    }
    for (size_t i = 0; i < e->n_titles; i++) {
        free(e->titles[i]);
    }
    memset(e, 0, sizeof(*e));
}

/* Add s (borrowed) to v[*n] unless empty, already there, or v full. */
static int add_distinct(char **v, size_t *n, size_t max, const char *s)
{
    if (!s || !s[0] || *n >= max) {
        return 0;
    }
    for (size_t i = 0; i < *n; i++) {
        if (strcmp(v[i], s) == 0) {
            return 0;
        }
    }
    v[*n] = strdup(s);
    if (!v[*n]) {
        return ERR_NOMEM;
    }
    (*n)++;
    return 0;
}

/* The terms of a stored matches text ([{"terms":[{"term":...}]}], untrusted shape). */
static int add_terms(struct event_view *e, const char *matches)
{
    json_t *arr = yq_json_column_array(matches, "matches"), *m, *t;
    size_t i, j;
    int err = 0;

    json_array_foreach(arr, i, m)
    {
        json_array_foreach(json_object_get(m, "terms"), j, t)
        {
            if (!err) {
                err = add_distinct(e->terms, &e->n_terms, VIEW_MAX_TERMS,
                                   json_string_value(json_object_get(t, "term")));
            }
        }
    }
    json_decref(arr);
    return err;
}

/* 16 hex digits into *out; false otherwise. */
static bool parse_hex(const char *s, uint64_t *out)
{
    char *end = NULL;
    if (!s || strlen(s) != 16) {
        return false;
    }
    *out = strtoull(s, &end, 16);
    return end && *end == '\0';
}

/* The scoring view of ticket_id: its title, its items' and its events' items' titles and
   terms, and the items' SimHashes. */
static int event_view_read(struct ticket_store *store, int64_t ticket_id, struct event_view *e)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(e, 0, sizeof(*e));
    err = ticket_store_prepare(
        store,
        "SELECT title, '[]', '' FROM tickets WHERE id = ?1 "
        "UNION ALL SELECT * FROM (SELECT title, matches, '' FROM ticket_items "
        "  WHERE ticket_id = ?1 ORDER BY id LIMIT 500) AS ti "
        "UNION ALL SELECT * FROM (SELECT ei.title, ei.matches, ei.simhash FROM event_items ei "
        "  JOIN events ev ON ev.id = ei.event_id WHERE ev.ticket_id = ?1 OR ev.event_key = "
        "  (SELECT event_key FROM tickets WHERE id = ?1) OR ev.merged_into IN "
        "  (SELECT e2.id FROM events e2 WHERE e2.ticket_id = ?1 OR e2.event_key = "
        "   (SELECT event_key FROM tickets WHERE id = ?1)) ORDER BY ei.id LIMIT 500) AS evi",
        &st, "response view");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        uint64_t h;
        err = add_distinct(e->titles, &e->n_titles, VIEW_MAX_TITLES,
                           yq_stmt_column_text(st, 0));
        if (!err) {
            err = add_terms(e, yq_stmt_column_text(st, 1));
        }
        if (!err && e->n_simhashes < VIEW_MAX_SIMHASHES &&
            parse_hex(yq_stmt_column_text(st, 2), &h)) {
            e->simhashes[e->n_simhashes++] = h;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "response view");
    }
    yq_stmt_finalize(st);
    e->v.terms = (const char *const *)e->terms;
    e->v.n_terms = e->n_terms;
    e->v.titles = (const char *const *)e->titles;
    e->v.n_titles = e->n_titles;
    e->v.simhashes = e->simhashes;
    e->v.n_simhashes = e->n_simhashes;
    if (err) {
        event_view_release(e);
    }
    return err;
}

/* An official post as read for scoring and for the log line. */
struct post_row {
    int64_t id;
    char *title, *text, *url, *channel, *department;
    struct response_post_view v;
};

static void post_row_release(struct post_row *p)
{
    free(p->title);
    free(p->text);
    free(p->url);
    free(p->channel);
    free(p->department);
    memset(p, 0, sizeof(*p));
}

static char *col_dup(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return strdup(s ? (const char *)s : "");
}

static int post_read(struct ticket_store *store, int64_t id, struct post_row *p)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(p, 0, sizeof(*p));
    err = ticket_store_prepare(store,
                               "SELECT title, text, url, response_channel, department, simhash "
                               "FROM official_posts WHERE id = ?",
                               &st, "official post read");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        p->id = id;
        p->title = col_dup(st, 0);
        p->text = col_dup(st, 1);
        p->url = col_dup(st, 2);
        p->channel = col_dup(st, 3);
        p->department = col_dup(st, 4);
        p->v.has_simhash = parse_hex(yq_stmt_column_text(st, 5), &p->v.simhash);
        if (!p->title || !p->text || !p->url || !p->channel || !p->department) {
            err = ERR_NOMEM;
        }
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "official post read");
    }
    yq_stmt_finalize(st);
    p->v.title = p->title;
    p->v.text = p->text;
    if (err) {
        post_row_release(p);
    }
    return err;
}

/* --- proposals ----------------------------------------------------------------------------- */

/* The found terms (as written, distinct) as a JSON array text; new or NULL on ERR_NOMEM. */
static char *found_json(const struct event_view *e, const bool *found)
{
    json_t *arr = json_array();
    char *s;

    for (size_t i = 0; arr && i < e->n_terms; i++) {
        if (found[i] && json_array_append_new(arr, json_string(e->terms[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    s = arr ? yq_json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return s;
}

/* Insert the proposal row, its log row and its notification; *id_out 0 when it existed. */
static int proposal_insert(struct ticket_store *store, int64_t ticket_id, const char *state,
                           const struct post_row *p, const struct response_score *sc,
                           const char *terms, int64_t now, int64_t *id_out)
{
    struct yq_stmt *st = NULL;
    char note[3000], detail[3200]; /* title <= 600 bytes, url <= 2,000 (the post's bounds) */
    int64_t log_id = 0;
    int err;

    *id_out = 0;
    err = ticket_store_prepare(
        store,
        "INSERT INTO response_proposals (ticket_id, post_id, score, score_terms, score_simhash, "
        "score_title, simhash_distance, terms, state, proposed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?) ON CONFLICT (ticket_id, post_id) DO NOTHING RETURNING id",
        &st, "proposal insert");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    yq_stmt_bind_int64(st, 2, p->id);
    yq_stmt_bind_double(st, 3, sc->score);
    yq_stmt_bind_double(st, 4, sc->terms);
    yq_stmt_bind_double(st, 5, sc->simhash);
    yq_stmt_bind_double(st, 6, sc->title);
    if (sc->simhash_distance >= 0) {
        yq_stmt_bind_int(st, 7, sc->simhash_distance);
    } else {
        yq_stmt_bind_null(st, 7);
    }
    yq_stmt_bind_text(st, 8, terms);
    yq_stmt_bind_int64(st, 9, now);
    {
        int64_t id = 0;
        err = ticket_store_step_id(store, st, "proposal insert", &id);
        if (err || id == 0) {
            return err;
        }
        *id_out = id;
    }
    snprintf(note, sizeof(note), "%s“%s”（得分 %.2f）%s", p->channel,
             p->title[0] ? p->title : "(无标题)", sc->score, p->url);
    err = ticket_store_log_append(store, ticket_id, now, "system", "system", "response_proposed",
                                  state, state, note, &log_id);
    if (!err) {
        snprintf(detail, sizeof(detail),
                 "%s发布的内容疑似回应本交办单：“%s”（得分 %.2f）%s，请在交办单页面确认回应或驳回",
                 p->channel, p->title[0] ? p->title : "(无标题)", sc->score, p->url);
        err = outbox_enqueue(store, ticket_id, log_id, "response_proposed",
                             OUTBOX_TO_LIAISON | OUTBOX_TO_DUTY, false, detail, now, NULL);
    }
    return err;
}

/* Score post p against ticket_id and propose when it passes; append to out. */
static int score_pair(struct ticket_store *store, int64_t ticket_id, const char *state,
                      const struct post_row *p, int64_t now, struct response_made_list *out)
{
    const struct response_cfg *cfg = ticket_store_policy_or_default(store)->responses;
    struct event_view e;
    struct response_score sc;
    bool found[VIEW_MAX_TERMS];
    char *terms = NULL;
    int64_t id = 0;
    int err;

    err = event_view_read(store, ticket_id, &e);
    if (err) {
        return err;
    }
    err = response_detect_score(cfg, &e.v, &p->v, found, &sc);
    if (err == ERR_NOT_FOUND) {
        LOG_WARN("response detection skipped, normalisation tables missing ticket_id=%lld",
                 (long long)ticket_id);
        err = 0;
        goto done;
    }
    if (err || !response_detect_proposes(cfg, &sc)) {
        goto done;
    }
    terms = found_json(&e, found);
    err = terms ? proposal_insert(store, ticket_id, state, p, &sc, terms, now, &id) : ERR_NOMEM;
    if (!err && id > 0 && out) {
        struct response_made *m;

        err = yq_array_reserve(&out->v, &out->cap, out->n + 1, sizeof(*out->v));
        if (err) {
            goto done;
        }
        m = &out->v[out->n++];
        m->proposal_id = id;
        m->ticket_id = ticket_id;
        m->auto_confirm = response_detect_auto_confirms(cfg, &sc);
    }
    if (!err && id > 0) {
        LOG_INFO("response proposed ticket_id=%lld post_id=%lld score=%.3f terms=%.2f "
                 "simhash=%.2f title=%.2f",
                 (long long)ticket_id, (long long)p->id, sc.score, sc.terms, sc.simhash,
                 sc.title);
    }
done:
    free(terms);
    event_view_release(&e);
    return err;
}

/* The office departments as a JSON array text (a parameter of json_each()); new or NULL. */
static char *office_json(const struct response_cfg *cfg)
{
    json_t *arr = json_array();
    char *s;

    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    for (size_t i = 0; arr && i < cfg->n_office_departments; i++) {
        if (json_array_append_new(arr, json_string(cfg->office_departments[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    s = arr ? yq_json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    return s;
}

/* One candidate pair read by a pass. */
struct pair {
    int64_t ticket_id, post_id;
    char state[16];
};

/*
 * The candidate (ticket, post) pairs of sql (?1 the ticket or post id, ?2 now, ?3 lookback s,
 * ?4 slack s, ?5 office departments JSON), then each scored.
 */
static int run_pairs(struct ticket_store *store, const char *sql, int64_t id, int64_t now,
                     struct response_made_list *out)
{
    const struct response_cfg *cfg = ticket_store_policy_or_default(store)->responses;
    struct pair *pairs = NULL;
    size_t n = 0;
    struct yq_stmt *st = NULL;
    char *office = NULL;
    int rc, err;

    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    office = office_json(cfg);
    pairs = calloc(RESPONSE_MAX_CANDIDATES, sizeof(*pairs));
    if (!office || !pairs) {
        err = ERR_NOMEM;
        goto done;
    }
    err = ticket_store_prepare(store, sql, &st, "response candidates");
    if (err) {
        goto done;
    }
    yq_stmt_bind_int64(st, 1, id);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_int64(st, 3, cfg->lookback_ms / 1000);
    yq_stmt_bind_int64(st, 4, cfg->before_first_post_ms / 1000);
    yq_stmt_bind_text(st, 5, office);
    while (n < RESPONSE_MAX_CANDIDATES && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        pairs[n].ticket_id = yq_stmt_column_int64(st, 0);
        pairs[n].post_id = yq_stmt_column_int64(st, 1);
        snprintf(pairs[n].state, sizeof(pairs[n].state), "%s",
                 yq_stmt_column_text(st, 2));
        n++;
    }
    if (n < RESPONSE_MAX_CANDIDATES && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "response candidates");
    }
    yq_stmt_finalize(st);
    for (size_t i = 0; !err && i < n; i++) {
        struct post_row p;
        err = post_read(store, pairs[i].post_id, &p);
        if (!err) {
            err = score_pair(store, pairs[i].ticket_id, pairs[i].state, &p, now, out);
            post_row_release(&p);
        }
    }
done:
    free(office);
    free(pairs);
    return err;
}

/*
 * Who may answer a ticket: its lead or co-handling department (a corrupt co_departments names
 * none), or an office department (?5, a JSON array). JE: a STORE_JSON_EACH_* macro.
 */
#define DEPARTMENT_FITS(JE)                                                                        \
    "(p.department IN (SELECT o.value FROM " JE("?5", "o") ") OR "                                 \
    " (p.department <> '' AND (p.department = t.department OR p.department IN (SELECT c.value "    \
    "  FROM " JE(STORE_JSON_COLUMN("t.co_departments", "co_departments"), "c") "))))"
/* The post came after the complaint (less the slack). */
#define AFTER_FIRST_POST                                                                           \
    "coalesce(p.published_at, p.fetched_at) >= coalesce(t.first_post_at, t.detected_at) - ?4"
/* A post without a valid link cannot be confirmed (respond needs one on these channels). */
#define HAS_LINK "p.url <> ''"
#define NOT_PROPOSED                                                                               \
    "NOT EXISTS (SELECT 1 FROM response_proposals r WHERE r.ticket_id = t.id AND "                \
    "r.post_id = p.id)"

int response_store_propose_for_post(struct ticket_store *store, int64_t post_id, int64_t now,
                                    struct response_made_list *out)
{
    if (out) {
        memset(out, 0, sizeof(*out));
    }
#define FOR_POST_SQL(FITS)                                                                         \
    "SELECT t.id, p.id, t.state FROM official_posts p, tickets t WHERE p.id = ?1 AND t.state IN (" \
    OPEN_STATES ") AND " FITS " AND " AFTER_FIRST_POST " AND " HAS_LINK " AND " NOT_PROPOSED       \
    " ORDER BY t.id LIMIT 500"
    static const char *const sql[2] = {FOR_POST_SQL(DEPARTMENT_FITS(STORE_JSON_EACH_SQLITE)),
                                       FOR_POST_SQL(DEPARTMENT_FITS(STORE_JSON_EACH_PG))};
#undef FOR_POST_SQL
    return run_pairs(store, sql[store_json_pick(store->db)], post_id, now, out);
}

int response_store_propose_for_ticket(struct ticket_store *store, int64_t ticket_id,
                                      int64_t now, struct response_made_list *out)
{
    if (out) {
        memset(out, 0, sizeof(*out));
    }
#define FOR_TICKET_SQL(FITS)                                                                       \
    "SELECT t.id, p.id, t.state FROM tickets t, official_posts p WHERE t.id = ?1 AND t.state IN (" \
    OPEN_STATES ") AND p.received_at >= ?2 - ?3 AND " FITS " AND " AFTER_FIRST_POST " AND "        \
    HAS_LINK " AND " NOT_PROPOSED " ORDER BY p.id DESC LIMIT 500"
    static const char *const sql[2] = {FOR_TICKET_SQL(DEPARTMENT_FITS(STORE_JSON_EACH_SQLITE)),
                                       FOR_TICKET_SQL(DEPARTMENT_FITS(STORE_JSON_EACH_PG))};
#undef FOR_TICKET_SQL
    return run_pairs(store, sql[store_json_pick(store->db)], ticket_id, now, out);
}

/* --- decisions ----------------------------------------------------------------------------- */

void response_proposal_release(struct response_proposal *p)
{
    if (p) {
        free(p->channel);
        free(p->url);
        free(p->title);
        memset(p, 0, sizeof(*p));
    }
}

int response_store_proposal_get(struct ticket_store *store, int64_t id,
                                 struct response_proposal *out)
{
    struct yq_stmt *st = NULL;
    int rc, err;

    memset(out, 0, sizeof(*out));
    err = ticket_store_prepare(store,
                               "SELECT r.ticket_id, r.state, p.response_channel, p.url, p.title, "
                               "p.published_at, p.fetched_at, r.score FROM response_proposals r "
                               "JOIN official_posts p ON p.id = r.post_id WHERE r.id = ?",
                               &st, "proposal read");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        out->id = id;
        out->ticket_id = yq_stmt_column_int64(st, 0);
        snprintf(out->state, sizeof(out->state), "%s", yq_stmt_column_text(st, 1));
        out->channel = col_dup(st, 2);
        out->url = col_dup(st, 3);
        out->title = col_dup(st, 4);
        out->has_published = yq_stmt_column_type(st, 5) != YQ_DB_NULL;
        out->published_at = yq_stmt_column_int64(st, 5);
        out->fetched_at = yq_stmt_column_int64(st, 6);
        out->score = yq_stmt_column_double(st, 7);
        if (!out->channel || !out->url || !out->title) {
            err = ERR_NOMEM;
        }
    } else {
        err = rc == YQ_DB_DONE ? ERR_NOT_FOUND : ticket_store_fail(store, rc, "proposal read");
    }
    yq_stmt_finalize(st);
    if (err) {
        response_proposal_release(out);
    }
    return err;
}

int response_store_proposal_decide(struct ticket_store *store, int64_t id, const char *state,
                                   const char *decided_by, const char *note, bool auto_,
                                   int64_t response_id, int64_t now)
{
    struct yq_stmt *st = NULL;
    int err = ticket_store_prepare(store,
                                   "UPDATE response_proposals SET state = ?1, decided_at = ?2, "
                                   "decided_by = ?3, decided_note = ?4, auto = ?5, "
                                   "response_id = ?6 WHERE id = ?7 AND state = 'proposed'",
                                   &st, "proposal decide");
    if (err) {
        return err;
    }
    yq_stmt_bind_text(st, 1, state);
    yq_stmt_bind_int64(st, 2, now);
    yq_stmt_bind_text(st, 3, ticket_store_nz(decided_by));
    yq_stmt_bind_text(st, 4, ticket_store_nz(note));
    yq_stmt_bind_int(st, 5, auto_ ? 1 : 0);
    if (response_id > 0) {
        yq_stmt_bind_int64(st, 6, response_id);
    } else {
        yq_stmt_bind_null(st, 6);
    }
    yq_stmt_bind_int64(st, 7, id);
    err = ticket_store_step_done(store, st, "proposal decide");
    if (!err && yq_db_changes(store->db) != 1) {
        err = ERR_BAD_STATE;
    }
    return err;
}

/* --- reading ------------------------------------------------------------------------------- */

static json_t *time_or_null(struct yq_stmt *st, int i, bool display)
{
    char buf[40];
    if (yq_stmt_column_type(st, i) == YQ_DB_NULL) {
        return json_null();
    }
    return json_string(display ? yq_time_format_shanghai(yq_stmt_column_int64(st, i), buf,
                                                         sizeof(buf))
                               : yq_time_format_utc(yq_stmt_column_int64(st, i), buf,
                                                    sizeof(buf)));
}

static json_t *text_col(struct yq_stmt *st, int i)
{
    const char *s = yq_stmt_column_text(st, i);
    return json_string(s ? (const char *)s : "");
}

static const char *proposal_state_label(const char *state)
{
    return strcmp(state, "confirmed") == 0 ? "已确认"
           : strcmp(state, "rejected") == 0 ? "已驳回"
                                            : "待确认";
}

int response_store_ticket_json(struct ticket_store *store, int64_t ticket_id, json_t **out)
{
    struct yq_stmt *st = NULL;
    json_t *arr = json_array();
    int rc, err;

    *out = NULL;
    if (!arr) {
        return ERR_NOMEM;
    }
    err = ticket_store_prepare(
        store,
        "SELECT r.id, r.state, p.response_channel, p.url, p.title, p.channel, p.department, "
        "coalesce(p.published_at, p.fetched_at), r.score, r.score_terms, r.score_simhash, "
        "r.score_title, r.simhash_distance, r.terms, r.proposed_at, r.decided_at, r.decided_by, "
        "r.decided_note, r.auto, p.published_at FROM response_proposals r "
        "JOIN official_posts p ON p.id = r.post_id WHERE r.ticket_id = ? ORDER BY r.id LIMIT 100",
        &st, "proposals read");
    if (err) {
        json_decref(arr);
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        const char *state = yq_stmt_column_text(st, 1);
        json_t *terms = yq_json_column_array(yq_stmt_column_text(st, 13), "terms");
        json_t *o = json_pack(
            "{s:I,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:f,s:{s:f,s:f,s:f},s:o,s:o,s:o,s:o,s:o,"
            "s:o,s:b}",
            "id", (json_int_t)yq_stmt_column_int64(st, 0), "state", state ? state : "",
            "state_label", proposal_state_label(state ? state : ""), "channel", text_col(st, 2),
            "url", text_col(st, 3), "title", text_col(st, 4), "account", text_col(st, 5),
            "department", text_col(st, 6), "published_at", time_or_null(st, 7, false),
            "published_at_display", time_or_null(st, 7, true), "score",
            yq_stmt_column_double(st, 8), "parts", "terms", yq_stmt_column_double(st, 9),
            "simhash", yq_stmt_column_double(st, 10), "title", yq_stmt_column_double(st, 11),
            "simhash_distance",
            yq_stmt_column_type(st, 12) == YQ_DB_NULL ? json_null()
                                                        : json_integer(yq_stmt_column_int(st, 12)),
            "terms", terms, "proposed_at",
            time_or_null(st, 14, false), "decided_at", time_or_null(st, 15, false),
            "decided_by", text_col(st, 16), "note", text_col(st, 17), "auto",
            yq_stmt_column_int(st, 18) != 0);
        if (!o || json_array_append_new(arr, o) != 0) {
            err = ERR_NOMEM;
        }
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "proposals read");
    }
    yq_stmt_finalize(st);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

int response_store_detected_flags(struct ticket_store *store, int64_t ticket_id,
                                  bool **flags_out, size_t *n_out)
{
    struct yq_stmt *st = NULL;
    bool *flags = NULL;
    size_t n = 0, cap = 0;
    int rc, err;

    *flags_out = NULL;
    *n_out = 0;
    err = ticket_store_prepare(store,
                               "SELECT EXISTS (SELECT 1 FROM response_proposals p WHERE "
                               "p.response_id = r.id AND p.state = 'confirmed') "
                               "FROM ticket_responses r WHERE r.ticket_id = ? ORDER BY r.id "
                               "LIMIT 1000",
                               &st, "detected responses");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, ticket_id);
    while (!err && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        err = yq_array_reserve(&flags, &cap, n + 1, sizeof(*flags));
        if (err) {
            break;
        }
        flags[n++] = yq_stmt_column_int(st, 0) != 0;
    }
    if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "detected responses");
    }
    yq_stmt_finalize(st);
    if (err) {
        free(flags);
        return err;
    }
    *flags_out = flags;
    *n_out = n;
    return 0;
}
