/* What the archive backends do alike (archive_row.h). */
#include "archive_row.h"

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

void archive_bind_item(struct yq_stmt *s, const struct yq_item *it, int64_t t, int64_t now_s,
                       const struct yq_sentiment *model, archive_bind_text_fn bind_text,
                       archive_bind_text_fn bind_opt_text)
{
    struct yq_sentiment_result sres;
    bool has_sentiment = model && yq_sentiment_score(model, it->title, it->text, &sres) == 0;

    bind_text(s, 1, it->id);
    bind_text(s, 2, it->source);
    bind_text(s, 3, it->source_id);
    bind_text(s, 4, it->channel);
    bind_text(s, 5, it->url);
    bind_text(s, 6, it->title);
    bind_text(s, 7, it->text);
    bind_text(s, 8, it->author);
    if (it->has_published) {
        yq_stmt_bind_int64(s, 9, it->published_at);
    } else {
        yq_stmt_bind_null(s, 9);
    }
    bind_opt_text(s, 10, it->precision);
    yq_stmt_bind_int64(s, 11, it->fetched_at);
    yq_stmt_bind_int(s, 12, it->metrics.known);
    yq_stmt_bind_int(s, 13, it->metrics.capped);
    yq_stmt_bind_int64(s, 14, it->metrics.reposts);
    yq_stmt_bind_int64(s, 15, it->metrics.comments);
    yq_stmt_bind_int64(s, 16, it->metrics.likes);
    bind_opt_text(s, 17, it->region);
    bind_opt_text(s, 18, it->reply_to);
    bind_opt_text(s, 19, it->department);
    yq_stmt_bind_int(s, 20, it->truncated);
    yq_stmt_bind_int64(s, 21, it->truncated_fields);
    yq_stmt_bind_int(s, 22, it->future_timestamp);
    yq_stmt_bind_int(s, 23, it->official);
    yq_stmt_bind_int(s, 24, it->local);
    yq_stmt_bind_int(s, 25, it->backlog);
    yq_stmt_bind_int64(s, 26, t);
    yq_stmt_bind_int64(s, 27, now_s);
    yq_stmt_bind_int64(s, 28, archive_item_heat(it));
    if (has_sentiment) {
        yq_stmt_bind_int(s, 29, (int)sres.label);
        yq_stmt_bind_double(s, 30, sres.score);
    } else {
        yq_stmt_bind_null(s, 29);
        yq_stmt_bind_null(s, 30);
    }
}

int archive_put_start(bool readonly, const struct norm **norm, char *errbuf, size_t errlen)
{
    if (readonly) {
        snprintf(errbuf, errlen, "archive: read-only handle refuses to store");
        return ERR_BAD_STATE;
    }
    return norm_global(norm, errbuf, errlen);
}

int archive_put_each(const struct yq_item *const *items, size_t n_items,
                     const struct yq_alert *const *alerts, size_t n_alerts,
                     archive_put_item_fn put_item, archive_put_alert_fn put_alert, void *ctx,
                     struct archive_put_result *res)
{
    int err = 0;
    for (size_t i = 0; err == 0 && i < n_items; i++) {
        const struct yq_item *it = items[i];
        if (!it->id || !it->id[0]) {
            res->items_refused++;
            LOG_WARN("archive: item without id refused (source %s)",
                     it->source_id ? it->source_id : "?");
            continue;
        }
        err = put_item(ctx, it, res);
    }
    for (size_t i = 0; err == 0 && i < n_alerts; i++) {
        err = put_alert(ctx, alerts[i], res);
    }
    return err;
}

bool archive_alert_accepted(const struct yq_alert *al, struct archive_put_result *res)
{
    if (!al->item.id || !al->item.id[0] || !al->event_key) {
        res->items_refused++; /* counted with the items: an alert without its item's id */
        LOG_WARN("archive: alert without item id or event key refused");
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
        bind_text(s, 1, al->item.id);
        bind_text(s, 2, m->rule_id);
        bind_text(s, 3, al->event_key);
        bind_text(s, 4, m->group);
        bind_text(s, 5, m->department);
        yq_stmt_bind_int(s, 6, (int)m->level);
        yq_stmt_bind_int64(s, 7, al->rules_version);
        yq_stmt_bind_int64(s, 8, al->matched_at);
        if (month >= 0) {
            yq_stmt_bind_int64(s, 9, month);
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
