#include "source_blind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_item.h" /* yq_utf8_boundary */
#include "yq_time.h"
#include "yq_banned.h"

/* The reasons whose window stays open across polls (unpolled is reported closed at once). */
static const enum yq_blind_reason open_reasons[] = {YQ_BLIND_FAILING, YQ_BLIND_WALLED,
                                                   YQ_BLIND_STALE, YQ_BLIND_QUIET};
#define N_OPEN_REASONS (sizeof(open_reasons) / sizeof(open_reasons[0]))

/*
 * The field table: one row per Redis field of the health hash, in HMGET order. Rows 2 .. 10
 * are the per-reason fields (since and detail of failing, walled, stale, quiet, and walled's
 * renew), written by source_blind_fields() and read back by source_blind_load().
 */
enum field_idx {
    F_BLIND = 0,      /* open reasons, comma-separated: the sources page's "blind now" */
    F_BLIND_SINCE,    /* earliest start of the open windows */
    F_FAILING_SINCE,
    F_FAILING_DETAIL,
    F_WALLED_SINCE,
    F_WALLED_DETAIL,
    F_WALLED_RENEW,
    F_STALE_SINCE,
    F_STALE_DETAIL,
    F_QUIET_SINCE,
    F_QUIET_DETAIL,
    F_FAILURES,       /* consecutive failed polls (walls not counted) */
    F_FAILING_FIRST,  /* end of the run's first failed poll */
    F_ARRIVALS,       /* UTC seconds of the polls that brought new items, oldest first */
    F_LAST_POLL,      /* end of the last poll attempt */
    F_NEXT_DELAY,     /* seconds scheduled after it */
    F_NEWEST_ITEM,    /* newest item publication time seen (FC-008) */
    F_STALE,          /* "1" while stale, else "0" (issue #3's field, kept) */
    F_COUNT,
};

const char *const source_blind_field_names[F_COUNT] = {
    [F_BLIND] = "blind",
    [F_BLIND_SINCE] = "blind_since",
    [F_FAILING_SINCE] = "blind_failing_since",
    [F_FAILING_DETAIL] = "blind_failing_detail",
    [F_WALLED_SINCE] = "blind_walled_since",
    [F_WALLED_DETAIL] = "blind_walled_detail",
    [F_WALLED_RENEW] = "blind_walled_renew",
    [F_STALE_SINCE] = "blind_stale_since",
    [F_STALE_DETAIL] = "blind_stale_detail",
    [F_QUIET_SINCE] = "blind_quiet_since",
    [F_QUIET_DETAIL] = "blind_quiet_detail",
    [F_FAILURES] = "blind_failures",
    [F_FAILING_FIRST] = "blind_failing_first_at",
    [F_ARRIVALS] = "blind_arrivals",
    [F_LAST_POLL] = "last_poll_at",
    [F_NEXT_DELAY] = "next_poll_delay_s",
    [F_NEWEST_ITEM] = "newest_item_at",
    [F_STALE] = "stale",
};
const size_t source_blind_field_count = F_COUNT;
_Static_assert(F_COUNT <= SOURCE_BLIND_FIELDS_MAX, "struct source_blind_fields holds them all");

/* The since and detail fields of an open-able reason (-1: none). */
static int since_field(enum yq_blind_reason r)
{
    switch (r) {
    case YQ_BLIND_FAILING:
        return F_FAILING_SINCE;
    case YQ_BLIND_WALLED:
        return F_WALLED_SINCE;
    case YQ_BLIND_STALE:
        return F_STALE_SINCE;
    case YQ_BLIND_QUIET:
        return F_QUIET_SINCE;
    default:
        return -1;
    }
}

/* Copy s (may be NULL) into dst of len bytes, cut at a character boundary, one line. */
static void copy_text(char *dst, size_t len, const char *s)
{
    size_t n = s ? strlen(s) : 0;

    if (n >= len) {
        n = yq_utf8_boundary(s, len - 1);
    }
    if (n) {
        memcpy(dst, s, n);
    }
    dst[n] = '\0';
    for (char *c = dst; *c; c++) {
        if (*c == '\n' || *c == '\r' || *c == '\t') {
            *c = ' ';
        }
    }
}

void source_blind_init(struct source_blind *b)
{
    memset(b, 0, sizeof(*b));
}

static struct source_blind_change *add_change(struct source_blind_changes *out,
                                              enum yq_blind_reason r, bool open,
                                              int64_t started_at, int64_t ended_at)
{
    struct source_blind_change *c;

    if (out->n >= SOURCE_BLIND_CHANGES_MAX) {
        return NULL; /* cannot happen: each reason changes at most twice per call */
    }
    c = &out->v[out->n++];
    memset(c, 0, sizeof(*c));
    c->reason = r;
    c->open = open;
    c->started_at = started_at;
    c->ended_at = ended_at;
    return c;
}

static void open_window(struct source_blind *b, enum yq_blind_reason r, int64_t started_at,
                        const char *detail, const char *renew, struct source_blind_changes *out)
{
    struct source_blind_window *w = &b->win[r];
    struct source_blind_change *c;

    w->open = true;
    w->started_at = started_at;
    copy_text(w->detail, sizeof(w->detail), detail);
    copy_text(w->renew, sizeof(w->renew), renew);
    c = add_change(out, r, true, started_at, 0);
    if (c) {
        memcpy(c->detail, w->detail, sizeof(c->detail));
        memcpy(c->renew, w->renew, sizeof(c->renew));
    }
}

static void close_window(struct source_blind *b, enum yq_blind_reason r, int64_t now,
                         struct source_blind_changes *out)
{
    struct source_blind_window *w = &b->win[r];
    struct source_blind_change *c;

    if (!w->open) {
        return;
    }
    /* a clock stepped back never makes a window end before it started */
    c = add_change(out, r, false, w->started_at, now > w->started_at ? now : w->started_at);
    if (c) {
        memcpy(c->detail, w->detail, sizeof(c->detail));
        memcpy(c->renew, w->renew, sizeof(c->renew));
    }
    memset(w, 0, sizeof(*w));
}

size_t source_blind_retire(struct source_blind *b, int64_t now, const char *detail,
                           struct source_blind_changes *out)
{
    size_t before = out->n;

    for (int r = 0; r < YQ_BLIND_REASON_COUNT; r++) {
        if (b->win[r].open) {
            /* the close says why it ended: the source is not polled any more */
            copy_text(b->win[r].detail, sizeof(b->win[r].detail), detail);
            close_window(b, (enum yq_blind_reason)r, now, out);
        }
    }
    source_blind_init(b);
    return out->n - before;
}

void source_blind_attempt(struct source_blind *b, int64_t now, int64_t next_delay_s,
                          struct source_blind_changes *out)
{
    if (b->last_poll_at > 0) {
        int64_t delay = b->next_delay_s > 0 ? b->next_delay_s : 0;
        int64_t bound = SOURCE_BLIND_UNPOLLED_FACTOR * delay;
        struct source_blind_change *c;

        if (bound < delay + SOURCE_BLIND_UNPOLLED_SLACK_S) {
            bound = delay + SOURCE_BLIND_UNPOLLED_SLACK_S;
        }
        if (now - b->last_poll_at > bound) {
            c = add_change(out, YQ_BLIND_UNPOLLED, false, b->last_poll_at + delay, now);
            if (c) {
                snprintf(c->detail, sizeof(c->detail), "no poll for %lld s (expected every "
                         "%lld s)", (long long)(now - b->last_poll_at), (long long)delay);
            }
        }
    }
    /* the first attempt of a source (nothing recorded) opens nothing: when it was added is
     * not known, and a new source is not blind before its first poll was due */
    b->last_poll_at = now;
    b->next_delay_s = next_delay_s > 0 ? next_delay_s : 0;
}

void source_blind_fail(struct source_blind *b, const struct source_blind_params *par,
                       int64_t now, bool walled, const char *detail, const char *renew,
                       struct source_blind_changes *out)
{
    int64_t after = par->blind_after_failures > 0 ? par->blind_after_failures : 1;

    if (walled) {
        /* one window per fault: a wall that lasts, or comes back before a success, is the
         * same window */
        if (!b->win[YQ_BLIND_WALLED].open) {
            open_window(b, YQ_BLIND_WALLED, now, detail, renew, out);
        }
        return;
    }
    if (b->failures == 0 || b->failing_first_at == 0) {
        b->failing_first_at = now;
    }
    b->failures++;
    if (!b->win[YQ_BLIND_FAILING].open && b->failures >= after) {
        open_window(b, YQ_BLIND_FAILING, b->failing_first_at, detail, NULL, out);
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t source_blind_usual_gap_s(const struct source_blind *b)
{
    int64_t gaps[SOURCE_BLIND_ARRIVALS_MAX];
    size_t n = 0;

    if (b->n_arrivals < SOURCE_BLIND_MIN_GAPS + 1) {
        return -1;
    }
    for (size_t i = 1; i < b->n_arrivals; i++) {
        int64_t g = b->arrivals[i] - b->arrivals[i - 1];
        gaps[n++] = g > 0 ? g : 0;
    }
    qsort(gaps, n, sizeof(gaps[0]), cmp_i64);
    return n % 2 ? gaps[n / 2] : (gaps[n / 2 - 1] + gaps[n / 2]) / 2;
}

static void add_arrival(struct source_blind *b, int64_t now)
{
    if (b->n_arrivals == SOURCE_BLIND_ARRIVALS_MAX) {
        memmove(b->arrivals, b->arrivals + 1, (SOURCE_BLIND_ARRIVALS_MAX - 1) * sizeof(int64_t));
        b->n_arrivals--;
    }
    b->arrivals[b->n_arrivals++] = now;
}

/* The quiet rule at a successful poll without new items. */
static void judge_quiet(struct source_blind *b, const struct source_blind_params *par,
                        int64_t now, struct source_blind_changes *out)
{
    int64_t usual, threshold, last;
    char detail[SOURCE_BLIND_TEXT_MAX];

    if (par->quiet_factor <= 0) {
        close_window(b, YQ_BLIND_QUIET, now, out); /* switched off: nothing stays open */
        return;
    }
    usual = source_blind_usual_gap_s(b);
    if (usual < 0 || b->win[YQ_BLIND_QUIET].open) {
        return; /* too little history to know the source's usual pace, or already open */
    }
    threshold = usual > INT64_MAX / par->quiet_factor ? INT64_MAX / 2 : par->quiet_factor * usual;
    if (threshold < par->quiet_min_s) {
        threshold = par->quiet_min_s;
    }
    last = b->arrivals[b->n_arrivals - 1];
    if (now - last > threshold) {
        snprintf(detail, sizeof(detail), "no new item for %lld s (usual interval %lld s, "
                 "quiet after %lld s)", (long long)(now - last), (long long)usual,
                 (long long)threshold);
        open_window(b, YQ_BLIND_QUIET, last + threshold, detail, NULL, out);
    }
}

void source_blind_ok(struct source_blind *b, const struct source_blind_params *par,
                     int64_t now, bool has_newest, int64_t newest, int64_t new_items,
                     struct source_blind_changes *out)
{
    enum stale_event ev;

    close_window(b, YQ_BLIND_FAILING, now, out);
    close_window(b, YQ_BLIND_WALLED, now, out);
    b->failures = 0;
    b->failing_first_at = 0;
    if (new_items > 0) {
        add_arrival(b, now);
        close_window(b, YQ_BLIND_QUIET, now, out);
    } else {
        judge_quiet(b, par, now, out);
    }
    ev = staleness_update(&b->stale, par->stale_after_s, has_newest, newest, now);
    if (ev == STALE_ALERT && !b->win[YQ_BLIND_STALE].open) {
        char detail[SOURCE_BLIND_TEXT_MAX], ts[40];
        snprintf(detail, sizeof(detail), "newest item %s, stale_after %lld s",
                 yq_time_format_utc(b->stale.newest, ts, sizeof(ts)),
                 (long long)par->stale_after_s);
        open_window(b, YQ_BLIND_STALE, b->stale.newest + par->stale_after_s, detail, NULL,
                    out);
    } else if (ev == STALE_RECOVERED || (par->stale_after_s <= 0 && b->stale.stale)) {
        b->stale.stale = false;
        close_window(b, YQ_BLIND_STALE, now, out);
    } else if (!b->stale.stale) {
        close_window(b, YQ_BLIND_STALE, now, out); /* stale_after switched off or raised */
    }
}

void source_blind_open_list(const struct source_blind *b, char *buf, size_t len)
{
    size_t off = 0;

    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < N_OPEN_REASONS; i++) {
        enum yq_blind_reason r = open_reasons[i];
        int n;
        if (!b->win[r].open) {
            continue;
        }
        n = snprintf(buf + off, len - off, "%s%s", off ? "," : "", yq_blind_reason_name(r));
        if (n < 0 || (size_t)n >= len - off) {
            return;
        }
        off += (size_t)n;
    }
}

static void put_time(char *dst, int64_t t)
{
    dst[0] = '\0';
    if (t > 0) {
        yq_time_format_utc(t, dst, SOURCE_BLIND_FIELD_VALUE_MAX);
    }
}

void source_blind_fields(const struct source_blind *b, struct source_blind_fields *out)
{
    int64_t since = 0;
    size_t off = 0;

    memset(out, 0, sizeof(*out));
    out->n = F_COUNT;
    for (size_t i = 0; i < F_COUNT; i++) {
        out->name[i] = source_blind_field_names[i];
    }
    source_blind_open_list(b, out->value[F_BLIND], sizeof(out->value[F_BLIND]));
    for (size_t i = 0; i < N_OPEN_REASONS; i++) {
        enum yq_blind_reason r = open_reasons[i];
        const struct source_blind_window *w = &b->win[r];
        int f = since_field(r);
        if (!w->open) {
            continue;
        }
        if (!since || w->started_at < since) {
            since = w->started_at;
        }
        put_time(out->value[f], w->started_at);
        copy_text(out->value[f + 1], SOURCE_BLIND_FIELD_VALUE_MAX, w->detail);
        if (r == YQ_BLIND_WALLED) {
            copy_text(out->value[F_WALLED_RENEW], SOURCE_BLIND_FIELD_VALUE_MAX, w->renew);
        }
    }
    put_time(out->value[F_BLIND_SINCE], since);
    snprintf(out->value[F_FAILURES], SOURCE_BLIND_FIELD_VALUE_MAX, "%lld",
             (long long)b->failures);
    put_time(out->value[F_FAILING_FIRST], b->failing_first_at);
    for (size_t i = 0; i < b->n_arrivals; i++) {
        int n = snprintf(out->value[F_ARRIVALS] + off, SOURCE_BLIND_FIELD_VALUE_MAX - off,
                         "%s%lld", i ? " " : "", (long long)b->arrivals[i]);
        if (n < 0 || (size_t)n >= SOURCE_BLIND_FIELD_VALUE_MAX - off) {
            break; /* cannot happen: 32 times of at most 20 digits and a space */
        }
        off += (size_t)n;
    }
    put_time(out->value[F_LAST_POLL], b->last_poll_at);
    snprintf(out->value[F_NEXT_DELAY], SOURCE_BLIND_FIELD_VALUE_MAX, "%lld",
             (long long)b->next_delay_s);
    put_time(out->value[F_NEWEST_ITEM], b->stale.has_newest ? b->stale.newest : 0);
    snprintf(out->value[F_STALE], SOURCE_BLIND_FIELD_VALUE_MAX, "%d", b->stale.stale ? 1 : 0);
}

/* A time field: 0 and true when absent, the time and true when RFC 3339, false otherwise. */
static bool get_time(const char *v, int64_t *out)
{
    *out = 0;
    return !v || !v[0] || yq_time_parse_iso(v, out, NULL) == 0;
}

/* A non-negative count field (absent: 0). */
static bool get_count(const char *v, int64_t *out)
{
    char *end;
    long long n;

    *out = 0;
    if (!v || !v[0]) {
        return true;
    }
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno || *end || n < 0) {
        return false;
    }
    *out = (int64_t)n;
    return true;
}

/* The arrivals field: at most SOURCE_BLIND_ARRIVALS_MAX times, ascending. */
static bool get_arrivals(struct source_blind *b, const char *v)
{
    const char *at = v;

    b->n_arrivals = 0;
    while (at && *at) {
        char *end;
        long long t;
        errno = 0;
        t = strtoll(at, &end, 10);
        if (errno || end == at || t <= 0 || (*end && *end != ' ') ||
            b->n_arrivals == SOURCE_BLIND_ARRIVALS_MAX ||
            (b->n_arrivals && t < b->arrivals[b->n_arrivals - 1])) {
            b->n_arrivals = 0;
            return false;
        }
        b->arrivals[b->n_arrivals++] = (int64_t)t;
        at = *end ? end + 1 : end;
    }
    return true;
}

size_t source_blind_load(struct source_blind *b, const char *const *values, size_t n)
{
    const char *v[F_COUNT] = {0};
    size_t bad = 0;
    int64_t t;

    source_blind_init(b);
    for (size_t i = 0; i < n && i < F_COUNT; i++) {
        v[i] = values[i];
    }
    for (size_t i = 0; i < N_OPEN_REASONS; i++) {
        enum yq_blind_reason r = open_reasons[i];
        int f = since_field(r);
        if (!get_time(v[f], &t)) {
            bad++;
        } else if (t > 0) {
            b->win[r].open = true;
            b->win[r].started_at = t;
            copy_text(b->win[r].detail, sizeof(b->win[r].detail), v[f + 1]);
            if (r == YQ_BLIND_WALLED) {
                copy_text(b->win[r].renew, sizeof(b->win[r].renew), v[F_WALLED_RENEW]);
            }
        }
    }
    bad += !get_count(v[F_FAILURES], &b->failures);
    bad += !get_time(v[F_FAILING_FIRST], &b->failing_first_at);
    bad += !get_arrivals(b, v[F_ARRIVALS]);
    bad += !get_time(v[F_LAST_POLL], &b->last_poll_at);
    bad += !get_count(v[F_NEXT_DELAY], &b->next_delay_s);
    if (!get_time(v[F_NEWEST_ITEM], &t)) {
        bad++;
    } else if (t > 0) {
        b->stale.has_newest = true;
        b->stale.newest = t;
    }
    /* stale follows the window: a stale source stays stale after a restart, alerted once */
    b->stale.stale = b->win[YQ_BLIND_STALE].open && b->stale.has_newest;
    if (b->win[YQ_BLIND_STALE].open && !b->stale.has_newest) {
        b->stale.has_newest = true;
        b->stale.newest = b->win[YQ_BLIND_STALE].started_at; /* best known bound */
        b->stale.stale = true;
    }
    return bad;
}
