/* The backtest report (archive_backtest.h): release and JSON. */
#include "archive_backtest_int.h"

#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

void backtest_sample_release(struct backtest_sample *s)
{
    free(s->item_id);
    free(s->title);
    free(s->url);
    for (size_t i = 0; i < s->n_terms; i++) {
        free(s->terms[i]);
    }
    free(s->terms);
    memset(s, 0, sizeof(*s));
}

void backtest_report_release(struct backtest_report *r)
{
    if (!r) {
        return;
    }
    for (size_t u = 0; u < r->n_rules; u++) {
        struct backtest_rule *x = &r->rules[u];
        free(x->rule_id);
        free(x->name);
        free(x->group);
        for (size_t k = 0; k < BACKTEST_N_KINDS; k++) {
            for (size_t s = 0; s < x->n_samples[k]; s++) {
                backtest_sample_release(&x->samples[k][s]);
            }
            free(x->samples[k]);
        }
    }
    free(r->rules);
    free(r->days);
    memset(r, 0, sizeof(*r));
}

/* --- JSON ----------------------------------------------------------------------------- */

static json_t *time_json(int64_t t)
{
    char buf[32];
    return json_string(yq_time_format_utc(t, buf, sizeof(buf)));
}

static json_t *samples_json(const struct backtest_sample *s, size_t n)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < n; i++) {
        json_t *terms = json_array();
        for (size_t k = 0; terms && k < s[i].n_terms; k++) {
            if (json_array_append_new(terms, json_string(s[i].terms[k])) != 0) {
                json_decref(terms);
                terms = NULL;
            }
        }
        if (!terms || json_array_append_new(
                          arr, json_pack("{s:s, s:o, s:s, s:s, s:o}", "item_id", s[i].item_id,
                                         "time", time_json(s[i].time_s), "title", s[i].title, "url",
                                         s[i].url, "terms", terms)) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *rule_json(const struct backtest_rule *r, bool with_samples)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b, s:I, s:I, s:I, s:I, s:I}", "rule_id",
                          r->rule_id, "name", r->name, "group", r->group, "in_draft", r->in_draft,
                          "in_live", r->in_live, "draft_hits", (json_int_t)r->draft_hits,
                          "live_hits", (json_int_t)r->live_hits, "gained", (json_int_t)r->gained,
                          "lost", (json_int_t)r->lost, "events", (json_int_t)r->events);
    if (o && with_samples) {
        json_t *s = json_pack(
            "{s:o?, s:o?, s:o?}", "hits",
            samples_json(r->samples[BACKTEST_HITS], r->n_samples[BACKTEST_HITS]), "gained",
            samples_json(r->samples[BACKTEST_GAINED], r->n_samples[BACKTEST_GAINED]), "lost",
            samples_json(r->samples[BACKTEST_LOST], r->n_samples[BACKTEST_LOST]));
        if (!s || json_object_size(s) != 3 || json_object_set_new(o, "samples", s) != 0) {
            json_decref(s);
            json_decref(o);
            return NULL;
        }
    }
    return o;
}

/* The report's days (struct backtest_day) as JSON, oldest first; NULL on ERR_NOMEM. */
static json_t *days_json(const struct backtest_report *r)
{
    json_t *arr = json_array();

    for (size_t i = 0; arr && i < r->n_days; i++) {
        const struct backtest_day *d = &r->days[i];
        char day[32];
        /* "YYYY-MM-DD HH:MM" of the day's 00:00 in Beijing: its date */
        yq_time_format_shanghai(d->start_s, day, sizeof(day));
        day[10] = '\0';
        if (json_array_append_new(
                arr,
                json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "day", day, "items_scanned",
                          (json_int_t)d->items_scanned, "items_draft", (json_int_t)d->items_draft,
                          "items_live", (json_int_t)d->items_live, "draft_hits",
                          (json_int_t)d->draft_hits, "live_hits", (json_int_t)d->live_hits,
                          "gained", (json_int_t)d->gained, "lost", (json_int_t)d->lost)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    }
    return arr;
}

int backtest_report_json(const struct backtest_report *r, bool with_samples, json_t **out)
{
    json_t *rules = json_array(), *o, *days;

    *out = NULL;
    for (size_t u = 0; rules && u < r->n_rules; u++) {
        json_t *x = rule_json(&r->rules[u], with_samples);
        if (!x || json_array_append_new(rules, x) != 0) {
            json_decref(rules);
            rules = NULL;
        }
    }
    days = rules ? days_json(r) : NULL;
    if (!days) {
        json_decref(rules);
        return ERR_NOMEM;
    }
    o = json_pack(
        "{s:s, s:s?, s:o, s:o, s:o, s:s, s:b, s:I, s:I, s:I, s:I, "
        "s:{s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
        "draft_digest", r->draft_digest, "live_digest", r->live_digest[0] ? r->live_digest : NULL,
        "live_version", r->live_version ? json_integer(r->live_version) : json_null(), "since",
        time_json(r->since_s), "until", time_json(r->until_s), "narrowing",
        r->narrowing ? r->narrowing : "none", "combined", r->combined, "items_scanned",
        (json_int_t)r->items_scanned, "items_draft", (json_int_t)r->items_draft, "items_live",
        (json_int_t)r->items_live, "elapsed_ms", (json_int_t)(r->elapsed_s * 1000.0), "totals",
        "draft_hits", (json_int_t)r->draft_hits, "live_hits", (json_int_t)r->live_hits, "gained",
        (json_int_t)r->gained, "lost", (json_int_t)r->lost, "events", (json_int_t)r->events, "days",
        days, "rules", rules);
    if (!o) {
        return ERR_NOMEM;
    }
    *out = o;
    return 0;
}
