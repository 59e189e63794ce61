#include "silence.h"

#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "yq_db.h"

#include "norm.h"
#include "ticket_store_int.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* The kinds: enum value - 1 indexes the SQL names (silences.match_kind). */
static const char *const kind_names[] = {"rule", "group", "source", "account", "term"};
#define N_KINDS (sizeof(kind_names) / sizeof(kind_names[0]))

/* "YYYY-MM-DDTHH:MM:SS+08:00" and its NUL. */
#define ISO_BJ_BYTES 32

const char *silence_kind_name(enum silence_kind k)
{
    if ((int)k < 1 || (size_t)k > N_KINDS) {
        return NULL;
    }
    return kind_names[k - 1];
}

int silence_kind_parse(const char *s, enum silence_kind *out)
{
    for (size_t i = 0; s && i < N_KINDS; i++) {
        if (strcmp(s, kind_names[i]) == 0) {
            *out = (enum silence_kind)(i + 1);
            return 0;
        }
    }
    return ERR_INVALID;
}

/* Set store's last error to one formatted line and return code. */
static int refuse(struct ticket_store *store, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct ticket_store *store, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(store->last_error, sizeof(store->last_error), fmt, ap);
    va_end(ap);
    return code;
}

/* t in Asia/Shanghai as ISO 8601 with its offset into buf (ISO_BJ_BYTES). Returns buf. */
static char *iso_bj(int64_t t, char *buf)
{
    int64_t local = t + YQ_SHANGHAI_OFFSET_S;
    int64_t days = local / 86400, sod = local % 86400, y;
    unsigned m, d;

    if (sod < 0) {
        sod += 86400;
        days--;
    }
    yq_time_civil_from_days(days, &y, &m, &d);
    snprintf(buf, ISO_BJ_BYTES, "%04lld-%02u-%02uT%02d:%02d:%02d+08:00", (long long)y, m, d,
             (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    return buf;
}

static json_t *when_bj(int64_t t)
{
    char buf[ISO_BJ_BYTES];
    return json_string(iso_bj(t, buf));
}

/* A JSON string of s (NULL reads as ""); "" when s is not UTF-8 (stored feed text). */
static json_t *text(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_string("");
}

/* Is c white space at either end of a value: ASCII space and controls, U+3000 (全角空格)? */
static size_t space_at(const char *s, size_t len)
{
    if (len >= 1 && (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))) {
        return 1;
    }
    if (len >= 3 && memcmp(s, "\xe3\x80\x80", 3) == 0) {
        return 3;
    }
    return 0;
}

/* The trimmed span of s: *start, *len (bytes). */
static void trim_span(const char *s, const char **start, size_t *len)
{
    size_t n = strlen(s), k;

    while ((k = space_at(s, n)) > 0) {
        s += k;
        n -= k;
    }
    for (;;) {
        if (n >= 1 && space_at(s + n - 1, 1)) {
            n--;
        } else if (n >= 3 && space_at(s + n - 3, 3) == 3) {
            n -= 3;
        } else {
            break;
        }
    }
    *start = s;
    *len = n;
}

/*
 * Check one text argument: trimmed, non-empty, at most max bytes, UTF-8. On success *out is
 * a new copy of the trimmed text (free()). what: the argument's name for the message (Chinese
 * and English). Returns 0, ERR_INVALID (message in store) or ERR_NOMEM.
 */
static int take_text(struct ticket_store *store, const char *s, size_t max, const char *what_zh,
                     const char *what, char **out)
{
    const char *start;
    size_t len;

    *out = NULL;
    if (!s) {
        return refuse(store, ERR_INVALID, "缺少%s (%s missing)", what_zh, what);
    }
    trim_span(s, &start, &len);
    if (len == 0) {
        return refuse(store, ERR_INVALID, "%s为空 (%s empty)", what_zh, what);
    }
    if (len > max) {
        return refuse(store, ERR_INVALID, "%s超过 %zu 字节 (%s longer than %zu bytes)", what_zh,
                      max, what, max);
    }
    if (!yq_utf8_valid(start, len, NULL)) {
        return refuse(store, ERR_INVALID, "%s不是 UTF-8 文本 (%s is not UTF-8)", what_zh, what);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)start[i];
        if (c < 0x20 || c == 0x7f) { /* a terminal's escapes must not reach `silences list` */
            return refuse(store, ERR_INVALID, "%s含控制字符 (%s contains control characters)",
                          what_zh, what);
        }
    }
    *out = strndup(start, len);
    return *out ? 0 : ERR_NOMEM;
}

/* Whether a normalised term is long enough to silence with: at least SILENCE_TERM_MIN_CP code
   points, and SILENCE_TERM_MIN_ASCII when it is all ASCII. */
static bool term_long_enough(const char *t)
{
    bool ascii = true;
    size_t n = strlen(t);

    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)t[i] >= 0x80) {
            ascii = false;
            break;
        }
    }
    return yq_utf8_count_cp(t, n) >= (size_t)(ascii ? SILENCE_TERM_MIN_ASCII : SILENCE_TERM_MIN_CP);
}

/*
 * An account name as account silences compare it: NFKC with case folding (utf8proc), then
 * trimmed. New string (free()); NULL when s is NULL, not UTF-8, or on ERR_NOMEM.
 */
static char *account_fold(const char *s)
{
    utf8proc_uint8_t *mapped = NULL;
    const char *start;
    size_t len;
    char *out;

    if (!s) {
        return NULL;
    }
    if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &mapped,
                     UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
                         UTF8PROC_CASEFOLD) < 0) {
        return NULL;
    }
    trim_span((const char *)mapped, &start, &len);
    out = strndup(start, len);
    free(mapped);
    return out;
}

/* The matcher's normalisation tables (norm_global()), or NULL with the reason in store. */
static const struct norm *term_norm(struct ticket_store *store)
{
    const struct norm *n = NULL;
    char err[160] = "";

    if (norm_global(&n, err, sizeof(err)) != 0) {
        refuse(store, ERR_IO, "silence: text normalisation unavailable: %s", err);
        return NULL;
    }
    return n;
}

int silence_add(struct ticket_store *store, enum silence_kind kind, const char *value,
                const char *reason, const char *created_by, int64_t expires_at, int64_t now,
                int64_t *id_out)
{
    char *v = NULL, *r = NULL, *by = NULL;
    struct yq_stmt *st = NULL;
    int64_t active = 0;
    int err;

    if (!silence_kind_name(kind)) {
        return refuse(store, ERR_INVALID,
                      "屏蔽类型须为 rule、group、source、account、term (unknown kind)");
    }
    if (expires_at <= now) {
        return refuse(store, ERR_INVALID, "到期时间须晚于现在 (expiry must be after now)");
    }
    if (expires_at - now > SILENCE_MAX_DURATION_S) {
        return refuse(store, ERR_INVALID, "屏蔽最长 %d 天 (a silence lasts at most %d days)",
                      SILENCE_MAX_DURATION_S / 86400, SILENCE_MAX_DURATION_S / 86400);
    }
    err = take_text(store, value, SILENCE_VALUE_MAX_BYTES, "屏蔽内容", "value", &v);
    if (!err) {
        err = take_text(store, reason, SILENCE_REASON_MAX_BYTES, "屏蔽原因", "reason", &r);
    }
    if (!err) {
        err = take_text(store, created_by, SILENCE_BY_MAX_BYTES, "创建人", "created_by", &by);
    }
    if (!err && kind == SILENCE_TERM) {
        /* a term of invisible characters only would normalise to "" and match every text */
        const struct norm *nm = term_norm(store);
        char *normed = NULL;
        err = nm ? norm_string(nm, v, &normed) : ERR_IO;
        if (!err && normed[0] == '\0') {
            err = refuse(store, ERR_INVALID,
                         "屏蔽词规范化后为空 (term is empty after normalisation)");
        } else if (!err && !term_long_enough(normed)) {
            /* a term is found as a substring: one character (的) would mute nearly everything */
            err = refuse(store, ERR_INVALID,
                         "屏蔽词至少 %d 个汉字或 %d 个字母数字 (a term needs at least %d characters, "
                         "%d when all ASCII)",
                         SILENCE_TERM_MIN_CP, SILENCE_TERM_MIN_ASCII, SILENCE_TERM_MIN_CP,
                         SILENCE_TERM_MIN_ASCII);
        }
        free(normed);
    }
    if (err) {
        goto out;
    }
    err = ticket_store_begin(store, "silence add begin");
    if (err) {
        goto out;
    }
    err = ticket_store_prepare(store,
                               "SELECT count(*) FROM silences WHERE revoked_at IS NULL AND "
                               "created_at <= ?1 AND expires_at > ?1",
                               &st, "silence add count");
    if (!err) {
        yq_stmt_bind_int64(st, 1, now);
        int rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            active = yq_stmt_column_int64(st, 0);
        } else {
            err = ticket_store_fail(store, rc, "silence add count");
        }
        yq_stmt_finalize(st);
    }
    if (!err && active >= SILENCE_ACTIVE_MAX) {
        err = refuse(store, ERR_TOO_BIG,
                     "已有 %d 条生效的屏蔽，请先撤销不再需要的 (at most %d active silences)",
                     SILENCE_ACTIVE_MAX, SILENCE_ACTIVE_MAX);
    }
    if (!err) {
        err = ticket_store_prepare(store,
                                   "INSERT INTO silences (match_kind, match_value, reason, "
                                   "created_by, created_at, expires_at) VALUES (?,?,?,?,?,?) RETURNING id",
                                   &st, "silence add");
    }
    if (!err) {
        yq_stmt_bind_text(st, 1, silence_kind_name(kind));
        yq_stmt_bind_text(st, 2, v);
        yq_stmt_bind_text(st, 3, r);
        yq_stmt_bind_text(st, 4, by);
        yq_stmt_bind_int64(st, 5, now);
        yq_stmt_bind_int64(st, 6, expires_at);
        int64_t new_id = 0;
        err = ticket_store_step_id(store, st, "silence add", &new_id);
        if (!err && id_out) {
            *id_out = new_id;
        }
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "silence add commit");
    }
    ticket_store_rollback(store); /* no-op after COMMIT */
out:
    free(v);
    free(r);
    free(by);
    return err;
}

int silence_revoke(struct ticket_store *store, int64_t id, const char *by, int64_t now)
{
    struct yq_stmt *st = NULL;
    char *who = NULL;
    int err, rc;

    err = take_text(store, by, SILENCE_BY_MAX_BYTES, "撤销人", "by", &who);
    if (err) {
        return err;
    }
    err = ticket_store_begin(store, "silence revoke begin");
    if (!err) {
        err = ticket_store_prepare(store,
                                   "SELECT revoked_at IS NOT NULL, expires_at <= ? FROM silences "
                                   "WHERE id = ?",
                                   &st, "silence revoke read");
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, now);
        yq_stmt_bind_int64(st, 2, id);
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_DONE) {
            err = refuse(store, ERR_NOT_FOUND, "没有屏蔽 %lld (no silence %lld)", (long long)id,
                         (long long)id);
        } else if (rc != YQ_DB_ROW) {
            err = ticket_store_fail(store, rc, "silence revoke read");
        } else if (yq_stmt_column_int(st, 0)) {
            err = refuse(store, ERR_BAD_STATE, "屏蔽 %lld 已撤销 (already revoked)",
                         (long long)id);
        } else if (yq_stmt_column_int(st, 1)) {
            err = refuse(store, ERR_BAD_STATE, "屏蔽 %lld 已到期 (already expired)",
                         (long long)id);
        }
        yq_stmt_finalize(st);
    }
    if (!err) {
        err = ticket_store_prepare(store,
                                   "UPDATE silences SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                                   &st, "silence revoke");
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, now);
        yq_stmt_bind_text(st, 2, who);
        yq_stmt_bind_int64(st, 3, id);
        err = ticket_store_step_done(store, st, "silence revoke");
    }
    if (!err) {
        err = ticket_store_exec(store, "COMMIT", "silence revoke commit");
    }
    ticket_store_rollback(store);
    free(who);
    return err;
}

/* One row of SILENCE_COLUMNS as the JSON object of silence_list(); NULL on ERR_NOMEM. */
#define SILENCE_COLUMNS                                                                            \
    "id, match_kind, match_value, reason, created_by, created_at, expires_at, revoked_at, "       \
    "revoked_by, hit_count"

/* How one column of a row becomes a JSON value (row_json()). */
enum json_col_kind {
    JC_INT,          /* an integer */
    JC_TEXT,         /* text(): NULL reads as "" */
    JC_WHEN,         /* seconds as Beijing time (when_bj()) */
    JC_WHEN_OR_NULL, /* as JC_WHEN; SQL NULL as null */
    JC_JSON_ARRAY,   /* stored JSON text read by yq_json_column_array() */
};

/* A member of a row's JSON object: name and how its column reads. */
struct json_col {
    const char *name;
    enum json_col_kind kind;
};

/* Column i of st's row as c says (new reference), NULL on ERR_NOMEM. */
static json_t *col_json(struct yq_stmt *st, int i, const struct json_col *c)
{
    switch (c->kind) {
    case JC_INT:
        return json_integer((json_int_t)yq_stmt_column_int64(st, i));
    case JC_TEXT:
        return text(yq_stmt_column_text(st, i));
    case JC_WHEN:
        return when_bj(yq_stmt_column_int64(st, i));
    case JC_WHEN_OR_NULL:
        return yq_stmt_column_type(st, i) == YQ_DB_NULL ? json_null()
                                                         : when_bj(yq_stmt_column_int64(st, i));
    case JC_JSON_ARRAY:
        return yq_json_column_array(yq_stmt_column_text(st, i), c->name);
    }
    return NULL;
}

/* The row of st as a JSON object: column i as member cols[i] (n of them). NULL on ERR_NOMEM. */
static json_t *row_json(struct yq_stmt *st, const struct json_col *cols, size_t n)
{
    json_t *o = json_object();

    for (size_t i = 0; o && i < n; i++) {
        if (json_object_set_new(o, cols[i].name, col_json(st, (int)i, &cols[i])) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

static json_t *silence_row_json(struct yq_stmt *st, int64_t now)
{
    /* the members in SILENCE_COLUMNS order, then "active" */
    static const struct json_col cols[] = {{"id", JC_INT},          {"kind", JC_TEXT},
                                           {"value", JC_TEXT},      {"reason", JC_TEXT},
                                           {"created_by", JC_TEXT}, {"created_at", JC_WHEN},
                                           {"expires_at", JC_WHEN}, {"revoked_at", JC_WHEN_OR_NULL},
                                           {"revoked_by", JC_TEXT}, {"hit_count", JC_INT}};
    int64_t created = yq_stmt_column_int64(st, 5), expires = yq_stmt_column_int64(st, 6);
    bool revoked = yq_stmt_column_type(st, 7) != YQ_DB_NULL;
    json_t *o = row_json(st, cols, sizeof(cols) / sizeof(cols[0]));

    if (o && json_object_set_new(o, "active",
                                 json_boolean(!revoked && created <= now && now < expires)) != 0) {
        json_decref(o);
        o = NULL;
    }
    return o;
}

/*
 * Step st (bound, finalized here) to its end, appending row(st) for each row to a new array
 * *out. Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM (then *out is NULL).
 */
static int collect_json(struct ticket_store *store, struct yq_stmt *st, const char *what,
                        json_t *(*row)(struct yq_stmt *st, int64_t now), int64_t now, json_t **out)
{
    json_t *arr = json_array();
    int rc = YQ_DB_DONE, err = 0;

    while (arr && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        if (json_array_append_new(arr, row(st, now)) != 0) {
            err = ERR_NOMEM;
            break;
        }
    }
    if (!arr) {
        err = ERR_NOMEM;
    } else if (!err && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, what);
    }
    yq_stmt_finalize(st);
    if (err) {
        json_decref(arr);
        arr = NULL;
    }
    *out = arr;
    return err;
}

int silence_list(struct ticket_store *store, bool include_inactive, int64_t now, json_t **out)
{
    struct yq_stmt *st = NULL;
    int err;

    *out = NULL;
    err = ticket_store_prepare(store,
                               include_inactive
                                   ? "SELECT " SILENCE_COLUMNS " FROM silences WHERE "
                                     "CAST(?1 AS BIGINT) = ?1 ORDER BY id DESC LIMIT ?2"
                                   : "SELECT " SILENCE_COLUMNS " FROM silences WHERE revoked_at "
                                     "IS NULL AND created_at <= ?1 AND expires_at > ?1 ORDER BY "
                                     "id DESC LIMIT ?2",
                               &st, "silence list");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_int(st, 2, SILENCE_LIST_MAX_ROWS);
    return collect_json(store, st, "silence list", silence_row_json, now, out);
}

/* What silence_check() derives from an alert once, when a silence of its kind needs it. */
struct alert_view {
    const struct yq_alert *alert;
    const struct norm *nm;
    bool accounts_done; /* author, channel below are set (or NULL) */
    char *author;       /* account_fold(item.author) */
    char *channel;      /* account_fold(item.channel) for wechat and rss items, else NULL */
    bool terms_done;
    char **terms; /* normalised matched terms, n_terms of them (NULL entries: not UTF-8) */
    size_t n_terms;
    struct norm_text title, body; /* normalised item title and text */
};

static void view_release(struct alert_view *v)
{
    free(v->author);
    free(v->channel);
    for (size_t i = 0; i < v->n_terms; i++) {
        free(v->terms[i]);
    }
    free(v->terms);
    norm_text_release(&v->title);
    norm_text_release(&v->body);
}

static int view_accounts(struct alert_view *v)
{
    const struct yq_item *it = &v->alert->item;

    if (v->accounts_done) {
        return 0;
    }
    v->accounts_done = true;
    v->author = account_fold(it->author);
    if (it->source && (strcmp(it->source, "wechat") == 0 || strcmp(it->source, "rss") == 0)) {
        v->channel = account_fold(it->channel);
    }
    return 0;
}

/* Normalise an item field (may be NULL) into out; a text over the scan bound keeps its prefix. */
static int view_field(const struct norm *nm, const char *s, struct norm_text *out)
{
    int err = norm_apply(nm, s ? s : "", s ? strlen(s) : 0, SILENCE_TERM_SCAN_MAX_BYTES, out);
    return err == ERR_TOO_BIG ? 0 : err;
}

static int view_terms(struct ticket_store *store, struct alert_view *v)
{
    const struct yq_alert *a = v->alert;
    size_t n = 0;
    int err;

    if (v->terms_done) {
        return 0;
    }
    if (!v->nm && !(v->nm = term_norm(store))) {
        return ERR_NOT_FOUND; /* no tables: covers_term() lets the alert through */
    }
    for (size_t i = 0; i < a->n_matches; i++) {
        n += a->matches[i].n_terms;
    }
    v->terms = n ? calloc(n, sizeof(*v->terms)) : NULL;
    if (n && !v->terms) {
        return ERR_NOMEM;
    }
    v->n_terms = n;
    n = 0;
    for (size_t i = 0; i < a->n_matches; i++) {
        for (size_t j = 0; j < a->matches[i].n_terms; j++, n++) {
            const char *t = a->matches[i].terms[j].term;
            err = t ? norm_string(v->nm, t, &v->terms[n]) : 0;
            if (err == ERR_NOMEM) {
                return err;
            }
        }
    }
    err = view_field(v->nm, a->item.title, &v->title);
    if (!err) {
        err = view_field(v->nm, a->item.text, &v->body);
    }
    if (!err) {
        v->terms_done = true;
    }
    return err;
}

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* Does account silence value cover the alert? */
static int covers_account(struct alert_view *v, const char *value, bool *hit)
{
    char *folded = account_fold(value);
    int err = view_accounts(v);

    *hit = false;
    if (!folded) {
        return value ? ERR_NOMEM : 0;
    }
    if (!err && folded[0]) {
        *hit = eq(folded, v->author) || eq(folded, v->channel);
    }
    free(folded);
    return err;
}

/* Whether the missing normalisation tables were logged (once per process). */
static atomic_bool term_norm_warned;

/* Does term silence value cover the alert? */
static int covers_term(struct ticket_store *store, struct alert_view *v, const char *value,
                      bool *hit)
{
    char *t = NULL;
    int err = view_terms(store, v);

    *hit = false;
    if (err == ERR_NOT_FOUND) {
        /*
         * Without the matcher's tables (OpenCC's data missing) no term can be compared: the
         * alert is let through to the inbox rather than intake stopping on every alert.
         * silence_add() refuses term silences in that state, so this needs a process whose
         * environment differs from the one that added the silence.
         */
        if (!atomic_exchange(&term_norm_warned, true)) {
            LOG_WARN("term silences not applied: %s", ticket_store_errmsg(store));
        }
        return 0;
    }
    if (!err) {
        err = norm_string(v->nm, value, &t);
        if (err == ERR_INVALID) {
            return 0; /* not UTF-8: silence_add() never stores one */
        }
    }
    if (err || !t[0]) {
        free(t);
        return err;
    }
    for (size_t i = 0; i < v->n_terms && !*hit; i++) {
        *hit = eq(t, v->terms[i]);
    }
    if (!*hit) {
        *hit = (v->title.buf && strstr(v->title.buf, t)) || (v->body.buf && strstr(v->body.buf, t));
    }
    free(t);
    return 0;
}

/*
 * Mark in covered[] the matches of a whose rule id (rule) or group (group) equals value.
 * Returns whether any was marked.
 */
static bool cover_matches(const struct yq_alert *a, enum silence_kind kind, const char *value,
                          bool *covered)
{
    bool any = false;

    for (size_t i = 0; i < a->n_matches; i++) {
        const char *key = kind == SILENCE_RULE ? a->matches[i].rule_id : a->matches[i].group;
        if (key && key[0] && eq(key, value)) {
            covered[i] = true;
            any = true;
        }
    }
    return any;
}

int silence_any_active(struct ticket_store *store, int64_t now, bool *any)
{
    struct yq_stmt *st = NULL;
    int rc, err = ticket_store_prepare(store,
                                       "SELECT count(*) FROM silences WHERE revoked_at IS NULL AND "
                                       "created_at <= ?1 AND expires_at > ?1",
                                       &st, "silence any");

    *any = true;
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, now);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        *any = yq_stmt_column_int64(st, 0) > 0;
    } else {
        err = ticket_store_fail(store, rc, "silence any");
    }
    yq_stmt_finalize(st);
    return err;
}

int silence_check(struct ticket_store *store, const struct yq_alert *alert, int64_t now,
                  int64_t *silence_id_out)
{
    struct alert_view v;
    struct yq_stmt *st = NULL;
    bool *covered = NULL;
    int64_t direct = 0, combined = 0;
    int err, rc = YQ_DB_DONE;

    *silence_id_out = 0;
    memset(&v, 0, sizeof(v));
    v.alert = alert;
    if (alert->n_matches) {
        covered = calloc(alert->n_matches, sizeof(*covered));
        if (!covered) {
            return ERR_NOMEM;
        }
    }
    err = ticket_store_prepare(store,
                               "SELECT id, match_kind, match_value FROM silences WHERE "
                               "revoked_at IS NULL AND created_at <= ?1 AND expires_at > ?1 "
                               "ORDER BY id LIMIT ?2",
                               &st, "silence check");
    if (err) {
        free(covered);
        return err;
    }
    yq_stmt_bind_int64(st, 1, now);
    yq_stmt_bind_int(st, 2, SILENCE_ACTIVE_MAX);
    /* oldest first: the first silence covering on its own ends the scan */
    while (!err && !direct && (rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        int64_t id = yq_stmt_column_int64(st, 0);
        const char *value = yq_stmt_column_text(st, 2);
        enum silence_kind kind;
        bool hit = false;

        if (silence_kind_parse(yq_stmt_column_text(st, 1), &kind) || !value) {
            continue; /* the table's CHECK admits only the five kinds */
        }
        switch (kind) {
        case SILENCE_RULE:
        case SILENCE_GROUP:
            if (cover_matches(alert, kind, value, covered) && !combined) {
                combined = id;
            }
            break;
        case SILENCE_SOURCE:
            hit = eq(alert->item.source_id, value);
            break;
        case SILENCE_ACCOUNT:
            err = covers_account(&v, value, &hit);
            break;
        case SILENCE_TERM:
            err = covers_term(store, &v, value, &hit);
            break;
        }
        if (!err && hit) {
            direct = id;
        }
    }
    if (!err && !direct && rc != YQ_DB_DONE) {
        err = ticket_store_fail(store, rc, "silence check");
    }
    yq_stmt_finalize(st);
    if (!err) {
        bool all = alert->n_matches > 0;
        for (size_t i = 0; i < alert->n_matches; i++) {
            all = all && covered[i];
        }
        if (all && combined && (!direct || combined < direct)) {
            *silence_id_out = combined;
        } else {
            *silence_id_out = direct;
        }
    }
    free(covered);
    view_release(&v);
    return err;
}

/* The alert's rule ids as a JSON array text (free()); NULL on ERR_NOMEM. */
static char *rule_ids_json(const struct yq_alert *a)
{
    json_t *arr = json_array();
    char *s = NULL;

    for (size_t i = 0; arr && i < a->n_matches; i++) {
        if (json_array_append_new(arr, text(a->matches[i].rule_id)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    if (arr) {
        s = yq_json_dumps(arr, JSON_COMPACT);
    }
    json_decref(arr);
    return s;
}

/*
 * 0 when silence id exists; ERR_NOT_FOUND when it does not (the store's message in Chinese and
 * English when for_person, else in English); or ticket_store_fail()'s code for what.
 */
static int silence_exists(struct ticket_store *store, int64_t id, const char *what,
                          bool for_person)
{
    struct yq_stmt *st = NULL;
    int rc, err = ticket_store_prepare(store, "SELECT 1 FROM silences WHERE id = ?", &st, what);

    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    yq_stmt_finalize(st);
    if (rc == YQ_DB_DONE) {
        return for_person ? refuse(store, ERR_NOT_FOUND, "没有屏蔽 %lld (no silence %lld)",
                                   (long long)id, (long long)id)
                          : refuse(store, ERR_NOT_FOUND, "no silence %lld", (long long)id);
    }
    return rc == YQ_DB_ROW ? 0 : ticket_store_fail(store, rc, what);
}

int silence_record(struct ticket_store *store, int64_t silence_id, const struct yq_alert *alert,
                   int64_t now)
{
    struct yq_stmt *st = NULL;
    char *enc = NULL, *rules = NULL;
    int err;

    err = silence_exists(store, silence_id, "silence record read", false);
    if (err) {
        return err;
    }
    err = yq_alert_encode(alert, &enc, NULL);
    if (!err && !(rules = rule_ids_json(alert))) {
        err = ERR_NOMEM;
    }
    if (!err) {
        err = ticket_store_prepare(store,
                                   "INSERT OR IGNORE INTO silenced_alerts (silence_id, "
                                   "event_key, item_id, level, title, source_id, author, "
                                   "rule_ids, alert, matched_at, at) VALUES "
                                   "(?,?,?,?,?,?,?,?,?,?,?)",
                                   &st, "silence record");
    }
    if (!err) {
        yq_stmt_bind_int64(st, 1, silence_id);
        yq_stmt_bind_text(st, 2, ticket_store_nz(alert->event_key));
        yq_stmt_bind_text(st, 3, ticket_store_nz(alert->item.id));
        yq_stmt_bind_text(st, 4, yq_level_name(alert->level));
        yq_stmt_bind_text(st, 5, ticket_store_nz(alert->item.title));
        yq_stmt_bind_text(st, 6, ticket_store_nz(alert->item.source_id));
        yq_stmt_bind_text(st, 7, ticket_store_nz(alert->item.author));
        yq_stmt_bind_text(st, 8, rules);
        yq_stmt_bind_text(st, 9, enc);
        yq_stmt_bind_int64(st, 10, alert->matched_at);
        yq_stmt_bind_int64(st, 11, now);
        err = ticket_store_step_done(store, st, "silence record");
    }
    /* counted once per kept row: a redelivered alert changes nothing */
    if (!err && yq_db_changes(store->db) == 1) {
        err = ticket_store_prepare(store,
                                   "UPDATE silences SET hit_count = hit_count + 1 WHERE id = ?",
                                   &st, "silence count");
        if (!err) {
            yq_stmt_bind_int64(st, 1, silence_id);
            err = ticket_store_step_done(store, st, "silence count");
        }
    }
    free(enc);
    free(rules);
    return err;
}

#define SILENCED_COLUMNS                                                                           \
    "id, silence_id, event_key, item_id, level, title, source_id, author, rule_ids, matched_at, " \
    "at"

static json_t *silenced_row_json(struct yq_stmt *st, int64_t now)
{
    /* the members in SILENCED_COLUMNS order */
    static const struct json_col cols[] = {
        {"id", JC_INT},          {"silence_id", JC_INT}, {"event_key", JC_TEXT},
        {"item_id", JC_TEXT},    {"level", JC_TEXT},     {"title", JC_TEXT},
        {"source_id", JC_TEXT},  {"author", JC_TEXT},    {"rule_ids", JC_JSON_ARRAY},
        {"matched_at", JC_WHEN}, {"at", JC_WHEN}};

    (void)now;
    return row_json(st, cols, sizeof(cols) / sizeof(cols[0]));
}

int silence_alerts_list(struct ticket_store *store, int64_t silence_id, size_t max, json_t **out)
{
    struct yq_stmt *st = NULL;
    int err;

    *out = NULL;
    if (max == 0) {
        return refuse(store, ERR_INVALID, "silence alerts: max must be at least 1");
    }
    if (max > SILENCE_ALERTS_LIST_MAX_ROWS) {
        max = SILENCE_ALERTS_LIST_MAX_ROWS;
    }
    if (silence_id > 0) {
        err = silence_exists(store, silence_id, "silence alerts read", true);
        if (err) {
            return err;
        }
    }
    err = ticket_store_prepare(store,
                               "SELECT " SILENCED_COLUMNS " FROM silenced_alerts WHERE ?1 = 0 "
                               "OR silence_id = ?1 ORDER BY id DESC LIMIT ?2",
                               &st, "silence alerts");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, silence_id > 0 ? silence_id : 0);
    yq_stmt_bind_int64(st, 2, (int64_t)max);
    return collect_json(store, st, "silence alerts", silenced_row_json, 0, out);
}

int silence_alert_json(struct ticket_store *store, int64_t id, char **out)
{
    struct yq_stmt *st = NULL;
    int err, rc;

    *out = NULL;
    err = ticket_store_prepare(store, "SELECT alert FROM silenced_alerts WHERE id = ?", &st,
                               "silence alert read");
    if (err) {
        return err;
    }
    yq_stmt_bind_int64(st, 1, id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        const char *s = yq_stmt_column_text(st, 0);
        *out = strdup(s ? s : "");
        err = *out ? 0 : ERR_NOMEM;
    } else if (rc == YQ_DB_DONE) {
        err = refuse(store, ERR_NOT_FOUND, "no silenced alert %lld", (long long)id);
    } else {
        err = ticket_store_fail(store, rc, "silence alert read");
    }
    yq_stmt_finalize(st);
    return err;
}
