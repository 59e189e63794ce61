#include "archive_backtest.h"
#include "archive_backtest_int.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "match.h"
#include "norm.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define BAND_BUCKETS 65536
#define N_BANDS 4
#define N_COUNTS 4 /* per rule: draft hits, live hits, gained, lost */

enum { CNT_DRAFT = 0, CNT_LIVE = 1, CNT_GAINED = 2, CNT_LOST = 3 };

/* A draft hit kept for event grouping after the scan. */
struct bt_hit {
    int64_t time_s;
    char *own; /* "ev:<item id>": its own event when it joins no other */
    char *key; /* archived event key or "ev:<reply_to>"; NULL: group by SimHash */
    uint64_t simhash;
    uint32_t n_features;
    uint32_t n_rules; /* union rule indexes at rules[rules_off ..] of the thread */
    size_t rules_off;
    const char *event; /* after grouping: the event's key (borrowed from some hit) */
};

struct bt_run;

/* One rule that matched an item: its union index, the matcher's result and the set of it. */
struct bt_match {
    size_t u;
    const struct match_rule *mr;
    const struct rule_set *rs;
};

/* One scanning thread: its own archive handle, scratch, counters and samples. */
struct bt_thread {
    struct bt_run *run;
    struct archive *a;
    int64_t since_s, until_s;
    struct match_scratch *ms;      /* the draft's (or the combined set's) */
    struct match_scratch *ms_live; /* the live set's: a scratch sized for one database */
    struct norm_text nbuf;
    size_t *counts;                   /* n_union * N_COUNTS */
    struct backtest_sample **samples; /* n_union * BACKTEST_N_KINDS arrays of run->samples */
    size_t *n_samples;                /* n_union * BACKTEST_N_KINDS */
    struct bt_match *dr, *lv;         /* this item's draft / live hits (n_union each) */
    uint32_t *live_mark;              /* n_union stamps: live rule matched this item */
    uint32_t *draft_mark;
    uint32_t stamp;
    struct bt_hit *hits;
    size_t n_hits, cap_hits;
    uint32_t *rules; /* union rule indexes of the hits */
    size_t n_rules, cap_rules;
    size_t scanned, items_draft, items_live;
    struct backtest_day *days; /* the slice's days, newest first (the scan's order) */
    size_t n_days, cap_days;
    int err;
    char errbuf[512];
    pthread_t tid;
};

struct bt_run {
    const struct rule_set *draft, *live;
    size_t n_union;
    size_t *live_to_union;      /* live rule j -> union index */
    struct backtest_combined c; /* c.comb NULL: each item matched with each set */
    size_t samples;
    size_t max_items;
    atomic_size_t scanned;
    const struct archive_narrow *narrow;
};

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

/* Fill s from row and the rule's hits in mr (terms of rs). Returns 0 or ERR_NOMEM. */
static int sample_fill(struct backtest_sample *s, const struct archive_row *row,
                       const struct rule_set *rs, const struct match_rule *mr)
{
    memset(s, 0, sizeof(*s));
    s->time_s = row->time_s;
    s->item_id = dup_or_empty(row->item.id);
    s->title = dup_or_empty(row->item.title);
    s->url = dup_or_empty(row->item.url);
    s->terms = calloc(BACKTEST_MAX_TERMS_SHOWN, sizeof(*s->terms));
    if (!s->item_id || !s->title || !s->url || !s->terms) {
        backtest_sample_release(s);
        return ERR_NOMEM;
    }
    for (size_t h = 0; h < mr->n_hits && s->n_terms < BACKTEST_MAX_TERMS_SHOWN; h++) {
        const char *t = rs->terms[mr->hits[h].term];
        bool seen = false;
        for (size_t k = 0; k < s->n_terms && !seen; k++) {
            seen = strcmp(s->terms[k], t) == 0;
        }
        if (!seen) {
            if (!(s->terms[s->n_terms] = strdup(t))) {
                backtest_sample_release(s);
                return ERR_NOMEM;
            }
            s->n_terms++;
        }
    }
    return 0;
}

/* Keep row as a sample of (rule u, kind) when fewer than run->samples are kept. */
static int keep_sample(struct bt_thread *t, size_t u, enum backtest_kind kind,
                       const struct archive_row *row, const struct rule_set *rs,
                       const struct match_rule *mr)
{
    size_t slot = u * BACKTEST_N_KINDS + kind;

    if (t->n_samples[slot] >= t->run->samples) {
        return 0;
    }
    if (!t->samples[slot]) {
        t->samples[slot] = calloc(t->run->samples, sizeof(struct backtest_sample));
        if (!t->samples[slot]) {
            return ERR_NOMEM;
        }
    }
    if (sample_fill(&t->samples[slot][t->n_samples[slot]], row, rs, mr) != 0) {
        return ERR_NOMEM;
    }
    t->n_samples[slot]++;
    return 0;
}

/* Remember a draft hit for event grouping. Returns 0 or ERR_NOMEM. */
static int keep_hit(struct bt_thread *t, const struct archive_row *row, size_t n_dr)
{
    struct bt_hit *h;
    const char *key = NULL;
    int err = yq_array_reserve(&t->hits, &t->cap_hits, t->n_hits + 1, sizeof(*t->hits));

    if (!err) {
        err = yq_array_reserve(&t->rules, &t->cap_rules, t->n_rules + n_dr, sizeof(*t->rules));
    }
    if (err) {
        return err;
    }
    h = &t->hits[t->n_hits];
    memset(h, 0, sizeof(*h));
    h->time_s = row->time_s;
    {
        size_t n = strlen(row->item.id ? row->item.id : "") + 4;
        if ((h->own = malloc(n)) != NULL) {
            snprintf(h->own, n, "ev:%s", row->item.id ? row->item.id : "");
        }
    }
    for (size_t i = 0; i < row->n_matches && !key; i++) {
        if (row->matches[i].event_key && row->matches[i].event_key[0]) {
            key = row->matches[i].event_key;
        }
    }
    if (key) {
        h->key = strdup(key);
    } else if (row->item.reply_to && row->item.reply_to[0]) {
        size_t n = strlen(row->item.reply_to) + 4;
        if ((h->key = malloc(n)) != NULL) {
            snprintf(h->key, n, "ev:%s", row->item.reply_to);
        }
    }
    if (!h->own || ((key || (row->item.reply_to && row->item.reply_to[0])) && !h->key)) {
        free(h->own);
        free(h->key);
        return ERR_NOMEM;
    }
    {
        size_t nf = 0;
        int rc = event_simhash(&row->item, &t->nbuf, &h->simhash, &nf);
        if (rc == ERR_NOMEM) {
            free(h->own);
            free(h->key);
            return rc;
        }
        h->n_features = rc == 0 && nf < UINT32_MAX ? (uint32_t)nf : 0;
    }
    h->rules_off = t->n_rules;
    for (size_t i = 0; i < n_dr; i++) {
        t->rules[t->n_rules++] = (uint32_t)t->dr[i].u;
    }
    h->n_rules = (uint32_t)n_dr;
    t->n_hits++;
    return 0;
}

/* Count one item's hits (t->dr[0..n_dr), t->lv[0..n_lv)) and keep its samples. */
static int count_item(struct bt_thread *t, const struct archive_row *row, size_t n_dr, size_t n_lv)
{
    const struct bt_run *run = t->run;
    int rc = 0;

    if (++t->stamp == 0) { /* wrapped: clear the marks once every 4 billion items */
        memset(t->live_mark, 0, run->n_union * sizeof(*t->live_mark));
        memset(t->draft_mark, 0, run->n_union * sizeof(*t->draft_mark));
        t->stamp = 1;
    }
    struct backtest_day *d = &t->days[t->n_days - 1]; /* the row's day (on_row()) */

    t->items_draft += n_dr > 0;
    t->items_live += n_lv > 0;
    d->items_draft += n_dr > 0;
    d->items_live += n_lv > 0;
    d->draft_hits += n_dr;
    d->live_hits += n_lv;
    for (size_t i = 0; i < n_lv; i++) {
        t->live_mark[t->lv[i].u] = t->stamp;
    }
    for (size_t i = 0; i < n_dr && rc == 0; i++) {
        size_t u = t->dr[i].u;
        t->draft_mark[u] = t->stamp;
        t->counts[u * N_COUNTS + CNT_DRAFT]++;
        rc = keep_sample(t, u, BACKTEST_HITS, row, t->dr[i].rs, t->dr[i].mr);
        if (rc == 0 && t->live_mark[u] != t->stamp) {
            t->counts[u * N_COUNTS + CNT_GAINED]++;
            d->gained++;
            rc = keep_sample(t, u, BACKTEST_GAINED, row, t->dr[i].rs, t->dr[i].mr);
        }
    }
    for (size_t i = 0; i < n_lv && rc == 0; i++) {
        size_t u = t->lv[i].u;
        t->counts[u * N_COUNTS + CNT_LIVE]++;
        if (t->draft_mark[u] != t->stamp) {
            t->counts[u * N_COUNTS + CNT_LOST]++;
            d->lost++;
            rc = keep_sample(t, u, BACKTEST_LOST, row, t->lv[i].rs, t->lv[i].mr);
        }
    }
    if (rc == 0 && n_dr > 0) {
        rc = keep_hit(t, row, n_dr);
    }
    return rc;
}

/*
 * Count row in the day of its archive time, t->days[t->n_days - 1] afterwards: rows come in
 * time order, so a new day is appended. Returns 0 or ERR_NOMEM.
 */
static int count_day(struct bt_thread *t, const struct archive_row *row)
{
    int64_t start = yq_time_shanghai_day_start(row->time_s);

    if (t->n_days == 0 || t->days[t->n_days - 1].start_s != start) {
        int rc = yq_array_reserve(&t->days, &t->cap_days, t->n_days + 1, sizeof(*t->days));
        if (rc) {
            return rc;
        }
        memset(&t->days[t->n_days], 0, sizeof(*t->days));
        t->days[t->n_days++].start_s = start;
    }
    t->days[t->n_days - 1].items_scanned++;
    return 0;
}

static int on_row(const struct archive_row *row, void *arg)
{
    struct bt_thread *t = arg;
    const struct bt_run *run = t->run;
    struct match_result md, ml;
    size_t n_dr = 0, n_lv = 0;
    int rc;

    memset(&md, 0, sizeof(md));
    memset(&ml, 0, sizeof(ml));
    if (run->max_items && atomic_fetch_add(&t->run->scanned, 1) >= run->max_items) {
        return ERR_TOO_BIG;
    }
    t->scanned++;
    rc = count_day(t, row);
    if (rc) {
        return rc;
    }
    if (run->c.comb) {
        rc = match_item(run->c.comb, t->ms, &row->item, &md);
        for (size_t i = 0; rc == 0 && i < md.n_rules; i++) {
            size_t k = md.rules[i].rule;
            if (run->c.comb_draft[k] != SIZE_MAX) {
                t->dr[n_dr++] = (struct bt_match){run->c.comb_draft[k], &md.rules[i], run->c.comb};
            }
            if (run->c.comb_live[k] != SIZE_MAX) {
                t->lv[n_lv++] = (struct bt_match){run->c.comb_live[k], &md.rules[i], run->c.comb};
            }
        }
    } else {
        rc = match_item(run->draft, t->ms, &row->item, &md);
        if (rc == 0 && run->live) {
            rc = match_item(run->live, t->ms_live, &row->item, &ml);
        }
        for (size_t i = 0; rc == 0 && i < md.n_rules; i++) {
            t->dr[n_dr++] = (struct bt_match){md.rules[i].rule, &md.rules[i], run->draft};
        }
        for (size_t i = 0; rc == 0 && i < ml.n_rules; i++) {
            t->lv[n_lv++] =
                (struct bt_match){run->live_to_union[ml.rules[i].rule], &ml.rules[i], run->live};
        }
    }
    if (rc == 0) {
        rc = count_item(t, row, n_dr, n_lv);
    }
    match_result_release(&md);
    match_result_release(&ml);
    return rc;
}

static void *thread_main(void *arg)
{
    struct bt_thread *t = arg;
    struct archive_filter f;

    memset(&f, 0, sizeof(f));
    f.since_s = t->since_s;
    f.until_s = t->until_s;
    f.order = ARCHIVE_NEWEST_FIRST;
    f.narrow = t->run->narrow;
    t->err = archive_scan(t->a, &f, on_row, t, t->errbuf, sizeof(t->errbuf));
    if (t->err == ERR_TOO_BIG) {
        snprintf(t->errbuf, sizeof(t->errbuf), "more than %zu items in the range",
                 t->run->max_items);
    } else if (t->err && !t->errbuf[0]) {
        snprintf(t->errbuf, sizeof(t->errbuf), "backtest failed: %s", yq_strerror(t->err));
    }
    return NULL;
}

static int thread_init(struct bt_thread *t, struct bt_run *run, struct archive *a)
{
    size_t n = run->n_union ? run->n_union : 1;

    memset(t, 0, sizeof(*t));
    t->run = run;
    t->a = a;
    t->ms = match_scratch_new();
    t->ms_live = match_scratch_new();
    t->counts = calloc(n * N_COUNTS, sizeof(*t->counts));
    t->samples = calloc(n * BACKTEST_N_KINDS, sizeof(*t->samples));
    t->n_samples = calloc(n * BACKTEST_N_KINDS, sizeof(*t->n_samples));
    t->live_mark = calloc(n, sizeof(*t->live_mark));
    t->draft_mark = calloc(n, sizeof(*t->draft_mark));
    t->dr = calloc(n, sizeof(*t->dr));
    t->lv = calloc(n, sizeof(*t->lv));
    return t->ms && t->ms_live && t->counts && t->samples && t->n_samples && t->live_mark &&
                   t->draft_mark && t->dr && t->lv
               ? 0
               : ERR_NOMEM;
}

static void thread_release(struct bt_thread *t)
{
    size_t n = t->run ? t->run->n_union : 0;

    match_scratch_free(t->ms);
    match_scratch_free(t->ms_live);
    norm_text_release(&t->nbuf);
    for (size_t i = 0; t->samples && i < n * BACKTEST_N_KINDS; i++) {
        for (size_t k = 0; k < t->n_samples[i]; k++) {
            backtest_sample_release(&t->samples[i][k]);
        }
        free(t->samples[i]);
    }
    for (size_t i = 0; i < t->n_hits; i++) {
        free(t->hits[i].own);
        free(t->hits[i].key);
    }
    free(t->samples);
    free(t->n_samples);
    free(t->counts);
    free(t->live_mark);
    free(t->draft_mark);
    free(t->dr);
    free(t->lv);
    free(t->hits);
    free(t->rules);
    free(t->days);
    memset(t, 0, sizeof(*t));
}

/* --- rule ids ------------------------------------------------------------------------- */

static const struct rule_set *sort_rs; /* qsort has no argument: only under sort_lock */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int rule_idx_cmp(const void *a, const void *b)
{
    return strcmp(sort_rs->rules[*(const size_t *)a].id, sort_rs->rules[*(const size_t *)b].id);
}

/* Index of the draft's rule with this id, or SIZE_MAX. by_id: draft indexes sorted by id. */
static size_t find_rule(const struct rule_set *rs, const size_t *by_id, const char *id)
{
    size_t lo = 0, hi = rs->n_rules;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(rs->rules[by_id[mid]].id, id);
        if (c == 0) {
            return by_id[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return SIZE_MAX;
}

/* The union of rule ids: draft rules keep their index, live-only ones follow. */
static int build_union(struct bt_run *run, struct backtest_report *out)
{
    const struct rule_set *d = run->draft, *l = run->live;
    size_t *by_id = calloc(d->n_rules ? d->n_rules : 1, sizeof(*by_id));
    size_t n_live = l ? l->n_rules : 0;
    int rc = ERR_NOMEM;

    run->live_to_union = calloc(n_live ? n_live : 1, sizeof(*run->live_to_union));
    out->rules = calloc(d->n_rules + n_live + 1, sizeof(*out->rules));
    if (!by_id || !run->live_to_union || !out->rules) {
        goto done;
    }
    for (size_t i = 0; i < d->n_rules; i++) {
        by_id[i] = i;
    }
    pthread_mutex_lock(&sort_lock);
    sort_rs = d;
    qsort(by_id, d->n_rules, sizeof(*by_id), rule_idx_cmp);
    pthread_mutex_unlock(&sort_lock);
    for (size_t i = 0; i < d->n_rules; i++) {
        struct backtest_rule *r = &out->rules[out->n_rules++];
        r->rule_id = strdup(d->rules[i].id);
        r->name = dup_or_empty(d->rules[i].name);
        r->group = dup_or_empty(d->rules[i].group);
        r->in_draft = true;
        if (!r->rule_id || !r->name || !r->group) {
            goto done;
        }
    }
    for (size_t j = 0; j < n_live; j++) {
        size_t u = find_rule(d, by_id, l->rules[j].id);
        if (u == SIZE_MAX) {
            struct backtest_rule *r = &out->rules[out->n_rules];
            u = out->n_rules++;
            r->rule_id = strdup(l->rules[j].id);
            r->name = dup_or_empty(l->rules[j].name);
            r->group = dup_or_empty(l->rules[j].group);
            if (!r->rule_id || !r->name || !r->group) {
                goto done;
            }
        }
        out->rules[u].in_live = true;
        run->live_to_union[j] = u;
    }
    run->n_union = out->n_rules;
    rc = 0;
done:
    free(by_id);
    return rc;
}

/* --- events --------------------------------------------------------------------------- */

struct hit_ref {
    struct bt_hit *h;
    const uint32_t *rules; /* the hit's thread's rule array */
};

static int hit_time_cmp(const void *a, const void *b)
{
    const struct bt_hit *x = ((const struct hit_ref *)a)->h, *y = ((const struct hit_ref *)b)->h;
    if (x->time_s != y->time_s) {
        return x->time_s < y->time_s ? -1 : 1;
    }
    return strcmp(x->own, y->own);
}

static int ref_event_cmp(const void *a, const void *b)
{
    return strcmp(((const struct hit_ref *)a)->h->event, ((const struct hit_ref *)b)->h->event);
}

/*
 * Assign each draft hit its event (header comment), then count distinct events per rule and
 * in all. refs: n hits in any order (sorted here by archive time, then by event).
 */
static int group_events(struct hit_ref *refs, size_t n, struct backtest_report *out)
{
    int32_t *head = NULL, *next = NULL;
    uint32_t *last = NULL; /* per rule: 1 + the last event counted */
    size_t n_events = 0;
    int rc = ERR_NOMEM;

    if (n == 0) {
        return 0;
    }
    if (n > INT32_MAX) {
        return ERR_TOO_BIG;
    }
    qsort(refs, n, sizeof(*refs), hit_time_cmp);
    head = malloc((size_t)N_BANDS * BAND_BUCKETS * sizeof(*head));
    next = malloc(n * N_BANDS * sizeof(*next));
    last = calloc(out->n_rules ? out->n_rules : 1, sizeof(*last));
    if (!head || !next || !last) {
        goto done;
    }
    memset(head, 0xff, (size_t)N_BANDS * BAND_BUCKETS * sizeof(*head)); /* -1 */
    for (size_t i = 0; i < n; i++) {
        struct bt_hit *h = refs[i].h;
        bool lsh = h->n_features >= EVENT_MIN_FEATURES;
        int best = EVENT_MAX_DISTANCE + 1;

        h->event = h->key;
        for (int b = 0; lsh && !h->event && b < N_BANDS; b++) {
            unsigned v = (unsigned)((h->simhash >> (16 * b)) & 0xFFFF);
            for (int32_t c = head[b * BAND_BUCKETS + v]; c >= 0;
                 c = next[(size_t)c * N_BANDS + b]) {
                const struct bt_hit *o = refs[c].h;
                int d;
                if (h->time_s - o->time_s > EVENT_WINDOW_S) {
                    break; /* the list is newest first */
                }
                d = event_hamming(h->simhash, o->simhash);
                if (d < best) {
                    best = d;
                    h->event = o->event;
                }
            }
        }
        if (!h->event) {
            h->event = h->own;
        }
        for (int b = 0; lsh && b < N_BANDS; b++) {
            unsigned v = (unsigned)((h->simhash >> (16 * b)) & 0xFFFF);
            next[i * N_BANDS + (size_t)b] = head[b * BAND_BUCKETS + v];
            head[b * BAND_BUCKETS + v] = (int32_t)i;
        }
    }
    /* the hits of one event next to each other: each rule counts an event once */
    qsort(refs, n, sizeof(*refs), ref_event_cmp);
    for (size_t i = 0; i < n; i++) {
        const struct bt_hit *h = refs[i].h;
        if (i == 0 || strcmp(refs[i - 1].h->event, h->event) != 0) {
            n_events++;
        }
        for (uint32_t k = 0; k < h->n_rules; k++) {
            uint32_t u = refs[i].rules[h->rules_off + k];
            if (last[u] != (uint32_t)n_events) {
                last[u] = (uint32_t)n_events;
                out->rules[u].events++;
            }
        }
    }
    out->events = n_events;
    rc = 0;
done:
    free(last);
    free(next);
    free(head);
    return rc;
}

/* --- run ------------------------------------------------------------------------------ */

/* Move the samples of every thread (newest slice first) into out, up to max per kind. */
static int merge_samples(struct bt_thread *th, size_t n_th, size_t max, struct backtest_report *out)
{
    for (size_t u = 0; u < out->n_rules; u++) {
        for (size_t k = 0; k < BACKTEST_N_KINDS; k++) {
            size_t slot = u * BACKTEST_N_KINDS + k, total = 0;
            struct backtest_rule *r = &out->rules[u];
            for (size_t t = 0; t < n_th; t++) {
                total += th[t].n_samples[slot];
            }
            if (total == 0) {
                continue;
            }
            r->samples[k] = calloc(total < max ? total : max, sizeof(*r->samples[k]));
            if (!r->samples[k]) {
                return ERR_NOMEM;
            }
            for (size_t t = 0; t < n_th; t++) {
                for (size_t s = 0; s < th[t].n_samples[slot]; s++) {
                    if (r->n_samples[k] < max) {
                        r->samples[k][r->n_samples[k]++] = th[t].samples[slot][s];
                    } else {
                        backtest_sample_release(&th[t].samples[slot][s]);
                    }
                }
                th[t].n_samples[slot] = 0;
            }
        }
    }
    return 0;
}

static int day_cmp(const void *a, const void *b)
{
    const struct backtest_day *x = a, *y = b;
    return x->start_s < y->start_s ? -1 : x->start_s > y->start_s;
}

/* The threads' days into out->days, oldest first, a day split between slices added up. */
static int merge_days(const struct bt_thread *th, size_t n_th, struct backtest_report *out)
{
    size_t n = 0, k = 0;

    for (size_t i = 0; i < n_th; i++) {
        n += th[i].n_days;
    }
    if (n == 0) {
        return 0;
    }
    out->days = malloc(n * sizeof(*out->days));
    if (!out->days) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n_th; i++) {
        for (size_t j = 0; j < th[i].n_days; j++) {
            out->days[k++] = th[i].days[j];
        }
    }
    qsort(out->days, n, sizeof(*out->days), day_cmp);
    k = 0;
    for (size_t i = 0; i < n; i++) {
        struct backtest_day *d = &out->days[k > 0 ? k - 1 : 0];
        if (k == 0 || d->start_s != out->days[i].start_s) {
            out->days[k++] = out->days[i];
            continue;
        }
        d->items_scanned += out->days[i].items_scanned;
        d->items_draft += out->days[i].items_draft;
        d->items_live += out->days[i].items_live;
        d->draft_hits += out->days[i].draft_hits;
        d->live_hits += out->days[i].live_hits;
        d->gained += out->days[i].gained;
        d->lost += out->days[i].lost;
    }
    out->n_days = k;
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int archive_backtest_run(struct archive *const *arcs, size_t n_arcs, const struct rule_set *draft,
                         const struct rule_set *live, const struct backtest_opts *opts,
                         struct backtest_report *out, char *errbuf, size_t errlen)
{
    struct bt_thread th[BACKTEST_MAX_THREADS];
    struct bt_run run;
    struct backtest_narrow nar;
    struct hit_ref *refs = NULL;
    size_t n_th = 0, n_refs = 0;
    double t0 = now_s();
    int rc;

    memset(out, 0, sizeof(*out));
    memset(&run, 0, sizeof(run));
    memset(&nar, 0, sizeof(nar));
    if (n_arcs < 1 || n_arcs > BACKTEST_MAX_THREADS || !draft || !draft->compiled ||
        (live && !live->compiled) || !opts || opts->since_s <= 0 ||
        opts->until_s <= opts->since_s || opts->samples > BACKTEST_MAX_SAMPLES) {
        snprintf(errbuf, errlen,
                 "backtest: needs 1..%d archive handles, compiled rule sets, 0 < since < until "
                 "and at most %d samples",
                 BACKTEST_MAX_THREADS, BACKTEST_MAX_SAMPLES);
        return ERR_INVALID;
    }
    run.draft = draft;
    run.live = live;
    run.samples = opts->samples;
    run.max_items = opts->max_items;
    atomic_init(&run.scanned, 0);
    out->since_s = opts->since_s;
    out->until_s = opts->until_s;
    out->live_version = live ? live->version : 0;
    out->narrowing = "none";
    rc = rule_set_digest(draft, out->draft_digest);
    if (rc == 0 && live) {
        rc = rule_set_digest(live, out->live_digest);
    }
    if (rc == 0) {
        rc = build_union(&run, out);
    }
    if (rc == 0) {
        run.c.draft = draft;
        run.c.live = live;
        run.c.live_to_union = run.live_to_union;
        rc = backtest_combined_build(&run.c);
        out->combined = run.c.comb != NULL;
    }
    if (rc == 0 && opts->narrowing == BACKTEST_NARROW_TERMS) {
        rc = backtest_narrow_build(&nar, draft, live, errbuf, errlen);
        if (rc == 0 && nar.usable) {
            run.narrow = &nar.root;
            out->narrowing = "terms";
        }
    }
    if (rc) {
        goto done;
    }
    {
        /* time slices, newest first: thread 0 the newest */
        int64_t span = (opts->until_s - opts->since_s + (int64_t)n_arcs - 1) / (int64_t)n_arcs;
        for (size_t i = 0; i < n_arcs; i++) {
            rc = thread_init(&th[i], &run, arcs[i]);
            n_th++;
            if (rc) {
                goto done;
            }
            th[i].until_s = opts->until_s - (int64_t)i * span;
            th[i].since_s = i + 1 == n_arcs ? opts->since_s : th[i].until_s - span;
        }
    }
    if (n_th == 1) {
        thread_main(&th[0]);
    } else {
        size_t started = 0;
        for (size_t i = 0; i < n_th; i++) {
            if (pthread_create(&th[i].tid, NULL, thread_main, &th[i]) != 0) {
                th[i].err = ERR_NOMEM;
                snprintf(th[i].errbuf, sizeof(th[i].errbuf), "cannot start a thread");
                break;
            }
            started++;
        }
        for (size_t i = 0; i < started; i++) {
            pthread_join(th[i].tid, NULL);
        }
    }
    for (size_t i = 0; i < n_th; i++) {
        if (th[i].err) {
            rc = th[i].err;
            snprintf(errbuf, errlen, "%s", th[i].errbuf);
            goto done;
        }
    }
    for (size_t i = 0; i < n_th; i++) {
        out->items_scanned += th[i].scanned;
        out->items_draft += th[i].items_draft;
        out->items_live += th[i].items_live;
        n_refs += th[i].n_hits;
        for (size_t u = 0; u < out->n_rules; u++) {
            const size_t *c = &th[i].counts[u * N_COUNTS];
            out->rules[u].draft_hits += c[CNT_DRAFT];
            out->rules[u].live_hits += c[CNT_LIVE];
            out->rules[u].gained += c[CNT_GAINED];
            out->rules[u].lost += c[CNT_LOST];
        }
    }
    for (size_t u = 0; u < out->n_rules; u++) {
        out->draft_hits += out->rules[u].draft_hits;
        out->live_hits += out->rules[u].live_hits;
        out->gained += out->rules[u].gained;
        out->lost += out->rules[u].lost;
    }
    rc = merge_samples(th, n_th, opts->samples, out);
    if (rc == 0) {
        rc = merge_days(th, n_th, out);
    }
    if (rc) {
        goto done;
    }
    refs = malloc((n_refs ? n_refs : 1) * sizeof(*refs));
    if (!refs) {
        rc = ERR_NOMEM;
        goto done;
    }
    n_refs = 0;
    for (size_t i = 0; i < n_th; i++) {
        for (size_t k = 0; k < th[i].n_hits; k++) {
            refs[n_refs].h = &th[i].hits[k];
            refs[n_refs++].rules = th[i].rules;
        }
    }
    rc = group_events(refs, n_refs, out);
    out->elapsed_s = now_s() - t0;
done:
    if (rc == ERR_NOMEM) {
        snprintf(errbuf, errlen, "backtest: out of memory");
    }
    free(refs);
    for (size_t i = 0; i < n_th; i++) {
        thread_release(&th[i]);
    }
    backtest_narrow_release(&nar);
    free(run.live_to_union);
    rule_set_free(run.c.comb);
    free(run.c.comb_draft);
    free(run.c.comb_live);
    if (rc) {
        backtest_report_release(out);
    }
    return rc;
}
