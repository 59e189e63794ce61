/* What the archive backends do alike (archive_row.h). */
#include "archive_row.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

void archive_bind_text(struct yq_stmt *s, int i, const char *v)
{
    yq_stmt_bind_text(s, i, v ? v : "");
}

void archive_bind_opt_text(struct yq_stmt *s, int i, const char *v)
{
    if (v) {
        yq_stmt_bind_text(s, i, v);
    } else {
        yq_stmt_bind_null(s, i);
    }
}

/* How an item column is read from struct yq_item and bound. */
enum item_col_kind {
    COL_TEXT,      /* char *: bind_text */
    COL_OPT_TEXT,  /* char * or const char *: bind_opt_text */
    COL_INT64,     /* int64_t */
    COL_BOOL,      /* bool, bound as 0 / 1 */
    COL_UNSIGNED,  /* unsigned */
    COL_PUBLISHED, /* published_at, NULL unless has_published */
};

/* The item's own columns, parameters 1..25 in ITEM_COLS order (the rest are the put's). */
static const struct item_col {
    enum item_col_kind kind;
    size_t offset;
} item_cols[] = {
#define COL(kind, field) {kind, offsetof(struct yq_item, field)}
    COL(COL_TEXT, id),
    COL(COL_TEXT, source),
    COL(COL_TEXT, source_id),
    COL(COL_TEXT, channel),
    COL(COL_TEXT, url),
    COL(COL_TEXT, title),
    COL(COL_TEXT, text),
    COL(COL_TEXT, author),
    COL(COL_PUBLISHED, published_at),
    COL(COL_OPT_TEXT, precision),
    COL(COL_INT64, fetched_at),
    COL(COL_BOOL, metrics.known),
    COL(COL_BOOL, metrics.capped),
    COL(COL_INT64, metrics.reposts),
    COL(COL_INT64, metrics.comments),
    COL(COL_INT64, metrics.likes),
    COL(COL_OPT_TEXT, region),
    COL(COL_OPT_TEXT, reply_to),
    COL(COL_OPT_TEXT, department),
    COL(COL_BOOL, truncated),
    COL(COL_UNSIGNED, truncated_fields),
    COL(COL_BOOL, future_timestamp),
    COL(COL_BOOL, official),
    COL(COL_BOOL, local),
    COL(COL_BOOL, backlog),
#undef COL
};

/* The sentiment of it by model (NULL or a failed score: NULL label and score), parameters i, i+1.
 */
static void bind_sentiment(struct yq_stmt *s, int i, const struct yq_item *it,
                           const struct yq_sentiment *model)
{
    struct yq_sentiment_result sres;

    if (model && yq_sentiment_score(model, it->title, it->text, &sres) == 0) {
        yq_stmt_bind_int(s, i, (int)sres.label);
        yq_stmt_bind_double(s, i + 1, sres.score);
    } else {
        yq_stmt_bind_null(s, i);
        yq_stmt_bind_null(s, i + 1);
    }
}

void archive_bind_item(struct yq_stmt *s, int first, const struct yq_item *it, int64_t t,
                       int64_t now_s, const struct yq_sentiment *model,
                       archive_bind_text_fn bind_text, archive_bind_text_fn bind_opt_text)
{
    const size_t n_cols = sizeof(item_cols) / sizeof(item_cols[0]);
    int i = first;

    for (size_t k = 0; k < n_cols; k++, i++) {
        const char *field = (const char *)it + item_cols[k].offset;
        switch (item_cols[k].kind) {
        case COL_TEXT:
            bind_text(s, i, *(char *const *)field);
            break;
        case COL_OPT_TEXT:
            bind_opt_text(s, i, *(const char *const *)field);
            break;
        case COL_INT64:
            yq_stmt_bind_int64(s, i, *(const int64_t *)field);
            break;
        case COL_BOOL:
            yq_stmt_bind_int(s, i, *(const bool *)field);
            break;
        case COL_UNSIGNED:
            yq_stmt_bind_int64(s, i, *(const unsigned *)field);
            break;
        case COL_PUBLISHED:
            if (it->has_published) {
                yq_stmt_bind_int64(s, i, it->published_at);
            } else {
                yq_stmt_bind_null(s, i);
            }
            break;
        }
    }
    yq_stmt_bind_int64(s, i++, t);
    yq_stmt_bind_int64(s, i++, now_s);
    yq_stmt_bind_int64(s, i++, archive_item_heat(it));
    bind_sentiment(s, i, it, model);
}

void archive_bind_completion(struct yq_stmt *s, int first, const struct yq_item *it,
                             const struct yq_sentiment *model, archive_bind_text_fn bind_text)
{
    bind_text(s, first, it->title);
    bind_text(s, first + 1, it->text);
    yq_stmt_bind_int64(s, first + 2, it->truncated_fields);
    bind_sentiment(s, first + 3, it, model);
}

void archive_bind_match(struct yq_stmt *s, int first, const struct yq_alert *al,
                        const struct yq_alert_match *m, archive_bind_text_fn bind_text)
{
    bind_text(s, first, al->item.id);
    bind_text(s, first + 1, m->rule_id);
    bind_text(s, first + 2, al->event_key);
    bind_text(s, first + 3, m->group);
    bind_text(s, first + 4, m->department);
    yq_stmt_bind_int(s, first + 5, (int)m->level);
    yq_stmt_bind_int64(s, first + 6, al->rules_version);
    yq_stmt_bind_int64(s, first + 7, al->matched_at);
}

int archive_put_normalise(struct archive_put_base *base, const struct yq_item *it)
{
    const char *title = it->title ? it->title : "";
    const char *text = it->text ? it->text : "";
    int err = norm_apply(base->norm, title, strlen(title), ARCHIVE_INDEX_MAX_BYTES, &base->title);

    if (err == 0 || err == ERR_TOO_BIG) {
        err = norm_apply(base->norm, text, strlen(text), ARCHIVE_INDEX_MAX_BYTES, &base->text);
    }
    return err;
}

/* Whether s (may be NULL) is at most max bytes long. */
static bool fits(const char *s, size_t max)
{
    return !s || strnlen(s, max + 1) <= max;
}

bool archive_item_accepted(const struct yq_item *it, struct archive_put_result *res)
{
    if (!it->id || !it->id[0]) {
        res->items_refused++;
        LOG_WARN("archive: item without id refused (source %s)",
                 it->source_id && fits(it->source_id, ARCHIVE_MAX_KEY_BYTES) ? it->source_id : "?");
        return false;
    }
    if (!fits(it->id, ARCHIVE_MAX_KEY_BYTES) || !fits(it->source, ARCHIVE_MAX_KEY_BYTES) ||
        !fits(it->source_id, ARCHIVE_MAX_KEY_BYTES) ||
        !fits(it->channel, YQ_ITEM_MAX_CHANNEL_BYTES)) {
        res->items_refused++;
        LOG_WARN("archive: item with an overlong id, source, source_id or channel refused "
                 "(id_bytes=%zu channel_bytes=%zu)",
                 strlen(it->id), it->channel ? strlen(it->channel) : (size_t)0);
        return false;
    }
    return true;
}

bool archive_alert_accepted(const struct yq_alert *al, struct archive_put_result *res)
{
    bool fit =
        fits(al->item.id, ARCHIVE_MAX_KEY_BYTES) && fits(al->event_key, ARCHIVE_MAX_KEY_BYTES);

    for (size_t i = 0; fit && i < al->n_matches; i++) {
        const struct yq_alert_match *m = &al->matches[i];
        fit = fits(m->rule_id, ARCHIVE_MAX_KEY_BYTES) && fits(m->group, ARCHIVE_MAX_KEY_BYTES) &&
              fits(m->department, ARCHIVE_MAX_KEY_BYTES);
    }
    if (!al->item.id || !al->item.id[0] || !al->event_key || !fit) {
        res->items_refused++; /* counted with the items: an alert without its item's id */
        LOG_WARN("archive: alert without item id or event key, or with an overlong key, refused");
        return false;
    }
    return true;
}

int archive_put_matches(struct yq_db *db, struct yq_stmt *s, const struct yq_alert *al,
                        int64_t month, archive_bind_text_fn bind_text,
                        struct archive_put_result *res, char *errbuf, size_t errlen)
{
    for (size_t i = 0; i < al->n_matches; i++) {
        const struct yq_alert_match *m = &al->matches[i];
        if (!m->rule_id || !m->rule_id[0]) {
            continue;
        }
        yq_stmt_reset(s);
        archive_bind_match(s, 1, al, m, bind_text);
        if (month >= 0) {
            yq_stmt_bind_int64(s, ARCHIVE_MATCH_PARAMS + 1, month);
        }
        int r = yq_db_step(db, s, "archive: insert match", errbuf, errlen);
        yq_stmt_reset(s);
        if (r < 0) {
            return r;
        }
        if (yq_db_changes(db) > 0) {
            res->matches_new++;
        } else {
            res->matches_dup++;
        }
    }
    return 0;
}

int archive_bind_filter(struct yq_stmt *s, const struct archive_filter *f, int i,
                        archive_bind_text_fn bind_text)
{
    if (f->since_s) {
        yq_stmt_bind_int64(s, i++, f->since_s);
    }
    if (f->until_s) {
        yq_stmt_bind_int64(s, i++, f->until_s);
    }
    if (f->source && f->source[0]) {
        bind_text(s, i++, f->source);
    }
    if (f->source_id && f->source_id[0]) {
        bind_text(s, i++, f->source_id);
    }
    if (f->channel && f->channel[0]) {
        bind_text(s, i++, f->channel);
    }
    if (f->department && f->department[0]) {
        bind_text(s, i++, f->department);
    }
    if (f->has_sentiment) {
        yq_stmt_bind_int(s, i++, (int)f->sentiment);
    }
    return i;
}

int archive_stats_month(json_t *months, const char *name, int64_t items, int64_t matched,
                        int64_t bytes, int64_t *items_sum, int64_t *matched_sum,
                        int64_t *bytes_sum)
{
    *items_sum += items;
    *matched_sum += matched;
    *bytes_sum += bytes;
    if (json_array_append_new(months, json_pack("{s:s, s:I, s:I, s:I}", "month", name, "items",
                                                (json_int_t)items, "matched",
                                                (json_int_t)matched, "bytes",
                                                (json_int_t)bytes)) != 0) {
        return ERR_NOMEM;
    }
    return 0;
}

void archive_month_split(int64_t mk, int64_t *y, unsigned *m)
{
    int64_t r = mk % 12;

    *y = mk / 12;
    if (r < 0) {
        r += 12;
        (*y)--;
    }
    *m = (unsigned)r + 1;
}

int archive_prune_months(const int64_t *months, size_t n_months, int64_t now_s,
                         int64_t retention_days, archive_drop_month_fn drop, void *ctx,
                         size_t *n_removed, char *errbuf, size_t errlen)
{
    for (size_t k = 0; k < n_months; k++) {
        char what[PATH_MAX];
        int64_t y;
        unsigned m;
        int r;

        archive_month_split(months[k], &y, &m);
        if (!archive_month_expired(y, m, now_s, retention_days)) {
            continue;
        }
        r = drop(ctx, months[k], what, sizeof what, errbuf, errlen);
        if (r < 0) {
            return r;
        }
        if (r > 0) {
            continue;
        }
        LOG_INFO("archive: pruned %s (retention %lld days)", what, (long long)retention_days);
        if (n_removed) {
            (*n_removed)++;
        }
    }
    return 0;
}

char *archive_col_dup(struct yq_stmt *s, int i)
{
    const char *v = yq_stmt_column_text(s, i);
    return v ? strdup(v) : NULL;
}

int archive_match_from_stmt(struct yq_stmt *s, int col, struct archive_match *m)
{
    memset(m, 0, sizeof *m);
    m->rule_id = archive_col_dup(s, col);
    m->rule_group = archive_col_dup(s, col + 1);
    m->department = archive_col_dup(s, col + 2);
    int lv = yq_stmt_column_int(s, col + 3);
    m->level = lv >= YQ_LEVEL_I && lv <= YQ_LEVEL_IV ? (enum yq_level)lv : YQ_LEVEL_IV;
    m->event_key = archive_col_dup(s, col + 4);
    m->rules_version = yq_stmt_column_int64(s, col + 5);
    m->matched_at = yq_stmt_column_int64(s, col + 6);
    if (!m->rule_id || !m->rule_group || !m->department || !m->event_key) {
        return ERR_NOMEM;
    }
    return 0;
}
