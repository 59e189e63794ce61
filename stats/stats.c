#include "stats.h"

#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define DAY_S 86400

const int64_t stats_ttr_bucket_upper_s[STATS_TTR_BUCKETS] = {
    3600, 5 * 3600, 24 * 3600, 48 * 3600, 120 * 3600, INT64_MAX,
};
const char *const stats_ttr_bucket_labels[STATS_TTR_BUCKETS] = {
    "≤1小时", "1–5小时", "5–24小时", "24–48小时", "48–120小时", "120小时以上",
};

/* ------------------------------------------------------------- windows */

int stats_month_window(int year, int month, int64_t *start_out, int64_t *end_out)
{
    int ny = month == 12 ? year + 1 : year;
    int nm = month == 12 ? 1 : month + 1;

    if (year < 1970 || year > 9999 || month < 1 || month > 12) {
        return ERR_INVALID;
    }
    /* 00:00 Asia/Shanghai of the 1st is 16:00 UTC of the day before */
    *start_out = yq_time_days_from_civil(year, (unsigned)month, 1) * DAY_S - YQ_SHANGHAI_OFFSET_S;
    *end_out = yq_time_days_from_civil(ny, (unsigned)nm, 1) * DAY_S - YQ_SHANGHAI_OFFSET_S;
    return 0;
}

int stats_year_window(int year, int64_t *start_out, int64_t *end_out)
{
    if (year < 1970 || year > 9999) {
        return ERR_INVALID;
    }
    *start_out = yq_time_days_from_civil(year, 1, 1) * DAY_S - YQ_SHANGHAI_OFFSET_S;
    *end_out = yq_time_days_from_civil(year + 1, 1, 1) * DAY_S - YQ_SHANGHAI_OFFSET_S;
    return 0;
}

/* The Asia/Shanghai day number of t (floor division: correct before 1970 too). */
static int64_t day_of(int64_t t)
{
    int64_t x = t + YQ_SHANGHAI_OFFSET_S;
    return x >= 0 ? x / DAY_S : -((-x + DAY_S - 1) / DAY_S);
}

void stats_month_of(int64_t t, int *year_out, int *month_out)
{
    int64_t y;
    unsigned m, d;

    yq_time_civil_from_days(day_of(t), &y, &m, &d);
    *year_out = (int)y;
    *month_out = (int)m;
}

void stats_previous_month(int64_t now, int *year_out, int *month_out)
{
    int y, m;
    stats_month_of(now, &y, &m);
    if (m == 1) {
        y--;
        m = 12;
    } else {
        m--;
    }
    *year_out = y;
    *month_out = m;
}

static int parse_digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return ERR_PARSE;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int stats_parse_month(const char *s, int *year_out, int *month_out)
{
    int y, m;
    if (!s || strlen(s) != 7 || s[4] != '-' || parse_digits(s, 4, &y) ||
        parse_digits(s + 5, 2, &m) || y < 1970 || m < 1 || m > 12) {
        return ERR_PARSE;
    }
    *year_out = y;
    *month_out = m;
    return 0;
}

int stats_parse_year(const char *s, int *year_out)
{
    int y;
    if (!s || strlen(s) != 4 || parse_digits(s, 4, &y) || y < 1970) {
        return ERR_PARSE;
    }
    *year_out = y;
    return 0;
}

static bool is_working_day(const struct stats_calendar *cal, int64_t day)
{
    int64_t wd;
    if (cal && cal->is_working_day) {
        return cal->is_working_day(cal->ctx, day);
    }
    wd = ((day % 7) + 11) % 7; /* 1970-01-01 was a Thursday: 0 = Sunday .. 6 = Saturday */
    return wd >= 1 && wd <= 5;
}

enum stats_band stats_band_of(const struct stats_calendar *cal, int64_t t)
{
    int64_t day = day_of(t);
    int64_t sec = t + YQ_SHANGHAI_OFFSET_S - day * DAY_S; /* seconds since local midnight */

    if (sec >= 18 * 3600 && sec < 22 * 3600) {
        return STATS_BAND_EVENING;
    }
    if (sec >= 22 * 3600 || sec < 9 * 3600) {
        return STATS_BAND_NIGHT;
    }
    return is_working_day(cal, day) ? STATS_BAND_BUSINESS : STATS_BAND_REST_DAY;
}

/* ------------------------------------------------------------- summaries */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The nearest-rank percentile p (1..100) of sorted v[n], n >= 1: v[ceil(p n / 100) - 1]. */
static int64_t nearest_rank(const int64_t *v, size_t n, unsigned p)
{
    size_t rank = (p * n + 99) / 100;
    return v[rank == 0 ? 0 : rank - 1];
}

void stats_summarise(int64_t *v, size_t n, struct stats_summary *out)
{
    int64_t sum = 0;

    memset(out, 0, sizeof(*out));
    if (n == 0) {
        return;
    }
    qsort(v, n, sizeof(v[0]), cmp_i64);
    for (size_t i = 0; i < n; i++) {
        sum += v[i];
    }
    out->n = n;
    out->median_s = nearest_rank(v, n, 50);
    out->p90_s = nearest_rank(v, n, 90);
    /* round half up (durations are >= 0 in practice; negative sums round toward +inf too) */
    out->mean_s = sum >= 0 ? (2 * sum + (int64_t)n) / (2 * (int64_t)n)
                           : -((-2 * sum - (int64_t)n + 1) / (2 * (int64_t)n));
}

/* ------------------------------------------------------------- one ticket */

enum clock_status {
    CS_NONE = 0, /* does not apply, or not settled in this window */
    CS_ON_TIME,
    CS_LATE,
    CS_MISSED,
    CS_PENDING,
    CS_EXCLUDED,
};

static const char *const clock_status_names[] = {"none",   "on_time", "late",
                                                 "missed", "pending", "excluded"};

/*
 * One clock a ticket had: its kind, deadline, the event that met it (0: none visible), the
 * department it belongs to (held when it settled) and how it ended in the window.
 */
struct clock_inst {
    enum stats_clock kind;
    enum clock_status st;
    int64_t start, deadline, event;
    const char *department;
};

/* Every 签收 and 办结 clock of each clock set, plus the response clocks (a bound per ticket). */
#define STATS_INST_MAX (2 * STATS_CLOCK_SETS_MAX + 3)

/* What one ticket adds to the rows it belongs to. */
struct contrib {
    bool carried_in, detected, reopened, closed, dismissed, carried_out, returned;
    const char *department; /* held at the cut-off: the department of the ticket figures */
    struct clock_inst inst[STATS_INST_MAX]; /* clocks settled (or pending) in the window */
    size_t n_inst;
    bool settled_unacknowledged, unacknowledged_at_end;
};

/* The instants one computation reads a ticket at: window [a, b), cut-off c, knowledge k. */
struct when {
    int64_t a, b, c, k;
};

static bool is_active(enum ticket_state s)
{
    return !ticket_state_settled(s);
}

/* The state after every change strictly before t; false when not yet detected at t. */
static bool state_before(const struct stats_ticket *t, int64_t at, enum ticket_state *out)
{
    enum ticket_state s = TICKET_STATE_OPEN;

    if (t->detected_at >= at) {
        return false;
    }
    if (t->n_changes > 0) {
        for (size_t i = 0; i < t->n_changes && t->changes[i].at < at; i++) {
            s = t->changes[i].state;
        }
    } else {
        /* implied history: open, then closed or dismissed (the later one wins) */
        int64_t last = 0;
        if (t->closed_at > 0 && t->closed_at < at) {
            s = TICKET_STATE_CLOSED;
            last = t->closed_at;
        }
        if (t->dismissed_at > 0 && t->dismissed_at < at && t->dismissed_at >= last) {
            s = TICKET_STATE_DISMISSED;
        }
    }
    *out = s;
    return true;
}

/* Whether a 签收 was recorded at any time before c (the last acknowledged_at, or the log). */
static bool acknowledged_before(const struct stats_ticket *t, int64_t c)
{
    if (t->acknowledged_at > 0 && t->acknowledged_at < c) {
        return true;
    }
    for (size_t i = 0; i < t->n_changes && t->changes[i].at < c; i++) {
        if (t->changes[i].state == TICKET_STATE_ACKNOWLEDGED) {
            return true;
        }
    }
    return false;
}

/*
 * Whether an active ticket awaits a 签收 at c: with a state log, its state is open or returned
 * (acknowledged and responded follow a 签收 of the current assignment); without one, no
 * acknowledged_at before c, or a return after the last 签收.
 */
static bool unacknowledged_at(const struct stats_ticket *t, int64_t c, enum ticket_state s)
{
    if (t->n_changes > 0) {
        return s == TICKET_STATE_OPEN || s == TICKET_STATE_RETURNED;
    }
    if (t->acknowledged_at <= 0 || t->acknowledged_at >= c) {
        return true;
    }
    return t->returned_at > t->acknowledged_at && t->returned_at < c;
}

/*
 * Whether the ticket became active (detected, or reopened from closed/dismissed) in [a, c).
 * A ticket detected in the window is new (新交办) even when it is closed and reopened in the
 * same window: each ticket is counted once on the identity's left side.
 */
static bool became_active_in(const struct stats_ticket *t, int64_t a, int64_t c, bool *reopened)
{
    enum ticket_state prev = TICKET_STATE_OPEN;

    *reopened = false;
    if (t->detected_at >= a && t->detected_at < c) {
        return true;
    }
    for (size_t i = 0; i < t->n_changes; i++) {
        const struct stats_state_change *ch = &t->changes[i];
        if (ch->at >= c) {
            break;
        }
        if (ch->at >= a && !is_active(prev) && is_active(ch->state)) {
            *reopened = true;
            return true;
        }
        prev = ch->state;
    }
    return false;
}

/* ---- the clock sets */

/*
 * The last reopening (a change from closed or dismissed to an active state), or detected_at:
 * where the current cycle's 办结 clock starts (the notifier computes close_deadline from it).
 */
static int64_t cycle_start(const struct stats_ticket *t)
{
    enum ticket_state prev = TICKET_STATE_OPEN;
    int64_t from = t->detected_at;

    for (size_t i = 0; i < t->n_changes; i++) {
        if (!is_active(prev) && is_active(t->changes[i].state)) {
            from = t->changes[i].at;
        }
        prev = t->changes[i].state;
    }
    return from;
}

/*
 * The clock sets known at k (at least one). Without a history, the ticket's own columns make
 * one set from its last cycle's start: the cycles before a reopening are not known then.
 */
static size_t known_sets(const struct stats_ticket *t, int64_t k, struct stats_clock_set *own,
                         const struct stats_clock_set **out)
{
    size_t n = 0;

    if (t->n_clock_sets == 0 || !t->clock_sets) {
        memset(own, 0, sizeof(*own));
        own->at = cycle_start(t);
        own->department = t->department;
        own->level = t->level;
        own->assigned_at = t->assigned_at > 0 ? t->assigned_at : t->detected_at;
        own->ack_deadline = t->ack_deadline;
        own->response_deadline = t->response_deadline;
        own->press_deadline = t->press_deadline;
        own->close_deadline = t->close_deadline;
        *out = own;
        return 1;
    }
    while (n < t->n_clock_sets && t->clock_sets[n].at < k) {
        n++;
    }
    *out = t->clock_sets;
    return n > 0 ? n : 1; /* created after k but detected before: its first set */
}

/* The department of the last set from at or before x (the first set's before it). */
static const char *department_at(const struct stats_clock_set *v, size_t n, int64_t x)
{
    const char *d = v[0].department;
    for (size_t i = 1; i < n && v[i].at <= x; i++) {
        d = v[i].department;
    }
    return d;
}

/* ---- events */

/*
 * Whether event e is known at the cut-off c for a clock with deadline d: before the cut-off,
 * or at the deadline's instant when that is the cut-off (24:00 of a month's last day).
 */
static bool visible(int64_t e, int64_t d, int64_t c)
{
    return e > 0 && (e < c || (e == d && d == c));
}

/*
 * The first change to state in [from, to) (to 0: no end), or, without a state log, fallback
 * when it lies in that range. 0: none.
 */
static int64_t first_change(const struct stats_ticket *t, enum ticket_state state, int64_t from,
                            int64_t to, int64_t fallback)
{
    if (t->n_changes == 0) {
        return fallback >= from && (to == 0 || fallback < to) ? fallback : 0;
    }
    for (size_t i = 0; i < t->n_changes; i++) {
        const struct stats_state_change *ch = &t->changes[i];
        if (to != 0 && ch->at >= to) {
            break;
        }
        if (ch->at >= from && ch->state == state) {
            return ch->at;
        }
    }
    return 0;
}

/*
 * The stated time of the first response recorded by k (on 新闻发布会 only when press):
 * the first *recorded* response counts, even when a later entry states an earlier time (the
 * notifier's responded_at is the same). Without a response list: the ticket's columns.
 */
static int64_t first_response(const struct stats_ticket *t, int64_t k, bool press)
{
    int64_t best = 0, best_rec = INT64_MAX;

    if (t->n_responses == 0 || !t->responses) {
        return press ? t->press_held_at : t->responded_at;
    }
    for (size_t i = 0; i < t->n_responses; i++) {
        const struct stats_response *r = &t->responses[i];
        int64_t rec = r->recorded_at > 0 ? r->recorded_at : r->at;
        if (rec > k || (press && (!r->channel || strcmp(r->channel, "新闻发布会") != 0))) {
            continue;
        }
        if (rec < best_rec) {
            best_rec = rec;
            best = r->at;
        }
    }
    return best;
}

/*
 * Whether a ticket dismissed at `when` (its state then) was reopened later by a change
 * recorded before k.
 */
static bool dismissal_reversed(const struct stats_ticket *t, int64_t when, int64_t k)
{
    enum ticket_state prev = TICKET_STATE_DISMISSED;

    for (size_t i = 0; i < t->n_changes && t->changes[i].at < k; i++) {
        const struct stats_state_change *ch = &t->changes[i];
        if (ch->at < when) {
            continue;
        }
        if (!is_active(prev) && is_active(ch->state)) {
            return true;
        }
        prev = ch->state;
    }
    return false;
}

/*
 * Settle one clock with deadline d and visible event e for window w. A clock settles at e
 * when e <= d, else at d; it belongs to the month of that instant, an instant at the deadline
 * counting as the last second it covers (24:00 of a day belongs to that day). Missed: no
 * event known and d <= the cut-off; pending: d after the cut-off.
 */
static enum clock_status settle_at(int64_t d, int64_t e, const struct when *w)
{
    enum clock_status st;
    int64_t s, key;

    if (d <= 0) {
        return CS_NONE;
    }
    if (visible(e, d, w->c)) {
        st = e <= d ? CS_ON_TIME : CS_LATE;
        s = e <= d ? e : d;
    } else if (d <= w->c) {
        st = CS_MISSED;
        s = d;
    } else {
        st = CS_PENDING;
        s = d;
    }
    key = s == d ? d - 1 : s;
    return key >= w->a && key < w->b ? st : CS_NONE;
}

/* The state at the deadline d (changes at d included), or at the cut-off when that is earlier. */
static bool state_at_deadline(const struct stats_ticket *t, int64_t d, int64_t c,
                              enum ticket_state *out)
{
    return state_before(t, d < c ? d + 1 : c, out);
}

static void inst_add(struct contrib *out, enum stats_clock kind, enum clock_status st,
                     int64_t start, int64_t d, int64_t e, const char *department)
{
    struct clock_inst *ci;

    if (st == CS_NONE || out->n_inst >= STATS_INST_MAX) {
        return;
    }
    ci = &out->inst[out->n_inst++];
    ci->kind = kind;
    ci->st = st;
    ci->start = start;
    ci->deadline = d;
    ci->event = st == CS_ON_TIME || st == CS_LATE ? e : 0;
    ci->department = department;
}

/*
 * The 签收 clocks: one per (re)assignment or reopening (a set whose assigned_at or
 * ack_deadline differs from the one before), met by the first 签收 before the next one. Not
 * counted (不计) when not met and the clock ended before its deadline (superseded by a new
 * assignment or a reopening, judged on its own) or the ticket was dismissed or returned at the
 * deadline. A change at the deadline's instant counts as made by the deadline.
 */
static void ack_clocks(const struct stats_ticket *t, const struct stats_clock_set *v, size_t n,
                       const struct when *w, struct contrib *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1;
        int64_t start = v[i].assigned_at > 0 ? v[i].assigned_at : v[i].at;
        int64_t end, d = v[i].ack_deadline, e, settled = d;
        enum clock_status st;

        if (i > 0 && v[i].assigned_at == v[i - 1].assigned_at &&
            v[i].ack_deadline == v[i - 1].ack_deadline) {
            continue; /* the same clock (another field changed) */
        }
        while (j < n && v[j].assigned_at == v[i].assigned_at &&
               v[j].ack_deadline == v[i].ack_deadline) {
            j++;
        }
        end = j < n ? (v[j].assigned_at > 0 ? v[j].assigned_at : v[j].at) : 0;
        e = first_change(t, TICKET_STATE_ACKNOWLEDGED, start, end, t->acknowledged_at);
        st = settle_at(d, e, w);
        if (st == CS_MISSED || st == CS_PENDING) {
            enum ticket_state s;
            if (end > 0 && end <= d && end < w->k) {
                st = CS_EXCLUDED;
                settled = end - 1; /* held by the department it was taken from */
            } else if (state_at_deadline(t, d, w->c, &s) &&
                       (s == TICKET_STATE_DISMISSED || s == TICKET_STATE_RETURNED)) {
                st = CS_EXCLUDED;
            }
        }
        inst_add(out, STATS_CLOCK_ACK, st, start, d, e,
                 department_at(v, n, st == CS_ON_TIME ? e : settled));
    }
}

/* Whether a change at exactly `at` reopened the ticket (closed or dismissed -> active). */
static bool reopened_at(const struct stats_ticket *t, int64_t at)
{
    enum ticket_state prev = TICKET_STATE_OPEN;

    for (size_t i = 0; i < t->n_changes && t->changes[i].at <= at; i++) {
        if (t->changes[i].at == at && !is_active(prev) && is_active(t->changes[i].state)) {
            return true;
        }
        prev = t->changes[i].state;
    }
    return false;
}

/*
 * The 办结 clocks: one per cycle (the ticket's detection, then each reopening: a set with
 * another close_deadline, or made by a reopening - two reopenings on one day get the same
 * 24:00 deadline), met by the first closure from its start before the next one. 不计 when not
 * met and a reopening superseded it before its deadline or the ticket was dismissed at the
 * deadline: the reopening's own 办结 clock is judged on its own.
 */
static void close_clocks(const struct stats_ticket *t, const struct stats_clock_set *v, size_t n,
                         const struct when *w, struct contrib *out)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1;
        /* the first set of a history starts at the ticket's creation; its clock at detection */
        int64_t start = i == 0 && t->n_clock_sets > 0 ? t->detected_at : v[i].at;
        int64_t end, d = v[i].close_deadline, e, settled = d;
        enum clock_status st;

        if (i > 0 && v[i].close_deadline == v[i - 1].close_deadline && !reopened_at(t, v[i].at)) {
            continue;
        }
        while (j < n && v[j].close_deadline == v[i].close_deadline && !reopened_at(t, v[j].at)) {
            j++;
        }
        end = j < n ? v[j].at : 0;
        e = first_change(t, TICKET_STATE_CLOSED, start, end, t->closed_at);
        st = settle_at(d, e, w);
        if (st == CS_MISSED || st == CS_PENDING) {
            enum ticket_state s;
            if (end > 0 && end <= d && end < w->k) {
                st = CS_EXCLUDED;
                settled = end - 1;
            } else if (state_at_deadline(t, d, w->c, &s) && s == TICKET_STATE_DISMISSED) {
                st = CS_EXCLUDED;
            }
        }
        inst_add(out, STATS_CLOCK_CLOSE, st, start, d, e,
                 department_at(v, n, st == CS_ON_TIME ? e : settled));
    }
}

/*
 * A statutory response clock (首次回应 and its level's own, or 新闻发布会): one per ticket, its
 * deadline never restarted. 不计 only when not met and the ticket was dismissed at the deadline
 * and that dismissal stands: a reopening (recorded before the knowledge cut-off) says the
 * dismissal was wrong, so the clock counts as if it had never been lifted (issue #17: answering
 * late never scores worse than staying silent).
 */
static enum clock_status response_clock(const struct stats_ticket *t, int64_t d, int64_t e,
                                        const struct when *w)
{
    enum clock_status st = settle_at(d, e, w);
    enum ticket_state s;

    if ((st == CS_MISSED || st == CS_PENDING) && state_at_deadline(t, d, w->c, &s) &&
        s == TICKET_STATE_DISMISSED &&
        !dismissal_reversed(t, d < w->c ? d + 1 : w->c, w->k)) {
        st = CS_EXCLUDED;
    }
    return st;
}

static void ticket_contrib(const struct stats_ticket *t, const struct when *w, struct contrib *out)
{
    enum ticket_state s;
    bool reopened = false;
    struct stats_clock_set own;
    const struct stats_clock_set *v;
    size_t n = known_sets(t, w->k, &own, &v);
    const struct stats_clock_set *last = &v[n - 1];
    enum stats_clock specific = STATS_CLOCK_RESPONSE_WD;
    int64_t d, e, pd, pe;
    enum clock_status st;

    memset(out, 0, sizeof(*out));
    out->department = department_at(v, n, w->c - 1);
    out->carried_in = state_before(t, w->a, &s) && is_active(s);
    if (!out->carried_in && became_active_in(t, w->a, w->c, &reopened)) {
        out->detected = !reopened;
        out->reopened = reopened;
    }
    if (out->carried_in || out->detected || out->reopened) {
        if (!state_before(t, w->c, &s)) {
            s = TICKET_STATE_OPEN; /* not reached: became active before c */
        }
        out->closed = s == TICKET_STATE_CLOSED;
        out->dismissed = s == TICKET_STATE_DISMISSED;
        out->carried_out = is_active(s);
        out->settled_unacknowledged = !out->carried_out && !acknowledged_before(t, w->c);
        out->unacknowledged_at_end = out->carried_out && unacknowledged_at(t, w->c, s);
    }
    out->returned = t->returned_at >= w->a && t->returned_at < w->c;

    ack_clocks(t, v, n, w, out);
    switch (last->level) {
    case YQ_LEVEL_I:
    case YQ_LEVEL_II:
        specific = STATS_CLOCK_INFO_5H;
        break;
    case YQ_LEVEL_III:
        specific = STATS_CLOCK_RESPONSE_48H;
        break;
    default:
        specific = STATS_CLOCK_RESPONSE_WD;
        break;
    }
    d = last->response_deadline;
    e = first_response(t, w->k, false);
    st = response_clock(t, d, e, w);
    {
        const char *dept = department_at(v, n, st == CS_ON_TIME ? e : d);
        inst_add(out, STATS_CLOCK_RESPONSE, st, t->detected_at, d, e, dept);
        inst_add(out, specific, st, t->detected_at, d, e, dept);
    }
    if (last->level == YQ_LEVEL_I || last->level == YQ_LEVEL_II) {
        pd = last->press_deadline;
        pe = first_response(t, w->k, true);
        st = response_clock(t, pd, pe, w);
        inst_add(out, STATS_CLOCK_PRESS_24H, st, t->detected_at, pd, pe,
                 department_at(v, n, st == CS_ON_TIME ? pe : pd));
    }
    close_clocks(t, v, n, w, out);
}

static bool clock_is_overdue(enum clock_status st)
{
    return st == CS_LATE || st == CS_MISSED;
}

/* The clocks listed as overdue: the combined response clock is listed by its specific one. */
static bool clock_listed(int k)
{
    return k != STATS_CLOCK_RESPONSE;
}

/* The duration a met clock adds: MTTA, time to response, time to close (from the clock's start). */
static bool inst_met(const struct clock_inst *ci)
{
    return ci->st == CS_ON_TIME || ci->st == CS_LATE;
}

/* Whether department filter (NULL: any) takes dept. */
static bool dept_match(const char *filter, const char *dept)
{
    return !filter || strcmp(filter, dept && *dept ? dept : "（未指定）") == 0;
}

/* ------------------------------------------------------------- rows */

/*
 * The growing arrays of a computation are bounded buffers (struct yq_buf) whose maximum follows
 * from the input: a ticket adds at most one sample per clock (STATS_INST_MAX) to each duration
 * of a row, at most one row to each dimension (the department dimension: one per department of
 * its clocks) and at most STATS_INST_MAX entries to the overdue list. Reaching one is
 * ERR_TOO_BIG (a bug, not a big input).
 */

/* Append the n_bytes at elem to the array in b. Returns 0, ERR_TOO_BIG or ERR_NOMEM. */
static int array_push(struct yq_buf *b, const void *elem, size_t n_bytes)
{
    return yq_buf_add(b, elem, n_bytes);
}

/* Durations in seconds, at most one per clock of a ticket. */
static void samples_init(struct yq_buf *s, size_t n_tickets)
{
    yq_buf_init(s, n_tickets * STATS_INST_MAX * sizeof(int64_t));
}

static int samples_push(struct yq_buf *s, int64_t x)
{
    return array_push(s, &x, sizeof(x));
}

struct row_acc {
    struct stats_row row;
    struct yq_buf mtta, ttr, ttc; /* samples (int64_t) */
};

/* Start acc with key (taken: freed by row_acc_release()). */
static void row_acc_init(struct row_acc *acc, char *key, char *id, size_t n_tickets)
{
    memset(acc, 0, sizeof(*acc));
    acc->row.key = key;
    acc->row.id = id;
    samples_init(&acc->mtta, n_tickets);
    samples_init(&acc->ttr, n_tickets);
    samples_init(&acc->ttc, n_tickets);
}

/* Free what acc still owns (the key and id unless moved, the samples). */
static void row_acc_release(struct row_acc *acc)
{
    free(acc->row.key);
    free(acc->row.id);
    yq_buf_release(&acc->mtta);
    yq_buf_release(&acc->ttr);
    yq_buf_release(&acc->ttc);
}

/* The rows of one dimension: an array of struct row_acc, at most one per ticket. */
struct dim_acc {
    struct yq_buf rows;
    size_t n_tickets;
};

static struct row_acc *dim_rows(const struct dim_acc *d)
{
    return (struct row_acc *)(void *)d->rows.data;
}

static size_t dim_count(const struct dim_acc *d)
{
    return d->rows.len / sizeof(struct row_acc);
}

/* Whether the ticket figures (carry-over, 退回) of c are not all zero. */
static bool ticket_part(const struct contrib *c)
{
    return c->carried_in || c->detected || c->reopened || c->returned;
}

/*
 * Add c to acc: its ticket figures when the department it is held by at the cut-off passes
 * filter (NULL: any), and each clock whose department passes it.
 */
static int row_add(struct row_acc *acc, const struct contrib *c, const char *filter)
{
    struct stats_row *r = &acc->row;
    bool overdue = false;
    int err = 0;

    if (dept_match(filter, c->department)) {
        r->carried_in += c->carried_in;
        r->detected += c->detected;
        r->reopened += c->reopened;
        r->added += c->detected || c->reopened;
        r->closed += c->closed;
        r->dismissed += c->dismissed;
        r->carried_out += c->carried_out;
        r->returned += c->returned;
        r->settled_unacknowledged += c->settled_unacknowledged;
        r->unacknowledged_at_end += c->unacknowledged_at_end;
    }
    for (size_t i = 0; !err && i < c->n_inst; i++) {
        const struct clock_inst *ci = &c->inst[i];
        struct stats_clock_tally *ct = &r->clocks[ci->kind];
        if (!dept_match(filter, ci->department)) {
            continue;
        }
        switch (ci->st) {
        case CS_ON_TIME:
            ct->due++;
            ct->on_time++;
            break;
        case CS_LATE:
            ct->due++;
            ct->late++;
            break;
        case CS_MISSED:
            ct->due++;
            ct->missed++;
            break;
        case CS_PENDING:
            ct->pending++;
            break;
        case CS_EXCLUDED:
            ct->excluded++;
            break;
        case CS_NONE:
            break;
        }
        if (clock_listed(ci->kind) && clock_is_overdue(ci->st)) {
            overdue = true;
        }
        if (!inst_met(ci)) {
            continue;
        }
        if (ci->kind == STATS_CLOCK_ACK) {
            err = samples_push(&acc->mtta, ci->event - ci->start);
        } else if (ci->kind == STATS_CLOCK_CLOSE) {
            err = samples_push(&acc->ttc, ci->event - ci->start);
        } else if (ci->kind == STATS_CLOCK_RESPONSE) {
            int64_t ttr = ci->event - ci->start;
            err = samples_push(&acc->ttr, ttr);
            for (int k = 0; k < STATS_TTR_BUCKETS; k++) {
                if (ttr <= stats_ttr_bucket_upper_s[k]) {
                    r->ttr_hist[k]++;
                    break;
                }
            }
        }
    }
    r->overdue_tickets += overdue;
    return err;
}

/*
 * The row of d for key, added when missing. id (may be NULL): the row is found by id instead
 * and shows key (the source dimension: rows per source id, shown by the source's name).
 */
static struct row_acc *dim_find(struct dim_acc *d, const char *key, const char *id)
{
    struct row_acc *v = dim_rows(d), acc;
    size_t n = dim_count(d);
    char *k, *i_copy;

    for (size_t i = 0; i < n; i++) {
        const struct stats_row *row = &v[i].row;
        if (id ? row->id && strcmp(row->id, id) == 0 : strcmp(row->key, key) == 0) {
            return &v[i];
        }
    }
    k = strdup(key);
    i_copy = id ? strdup(id) : NULL;
    row_acc_init(&acc, k, i_copy, d->n_tickets);
    if (!k || (id && !i_copy) || array_push(&d->rows, &acc, sizeof(acc)) != 0) {
        row_acc_release(&acc);
        return NULL;
    }
    return &dim_rows(d)[n];
}

/* Summarise one buffer of samples into out (sorts them in place). */
static void summarise(struct yq_buf *samples, struct stats_summary *out)
{
    stats_summarise((int64_t *)(void *)samples->data, samples->len / sizeof(int64_t), out);
}

static void row_acc_finish(struct row_acc *acc)
{
    summarise(&acc->mtta, &acc->row.mtta);
    summarise(&acc->ttr, &acc->row.ttr);
    summarise(&acc->ttc, &acc->row.ttc);
    yq_buf_release(&acc->mtta);
    yq_buf_release(&acc->ttr);
    yq_buf_release(&acc->ttc);
}

static const char *level_key(enum yq_level level)
{
    switch (level) {
    case YQ_LEVEL_I:
        return "I 特别重大";
    case YQ_LEVEL_II:
        return "II 重大";
    case YQ_LEVEL_III:
        return "III 较大";
    case YQ_LEVEL_IV:
        return "IV 一般";
    }
    return "?";
}

/*
 * The ticket's rule group: the one its alert carried, else the rule files' (opts), else the
 * rule id (docs/statistics.md).
 */
static const char *rule_group_of(const struct stats_opts *opts, const struct stats_ticket *t)
{
    const char *rule_id = t->rule_id;

    if (t->rule_group && *t->rule_group) {
        return t->rule_group;
    }
    if (!rule_id || !*rule_id) {
        return "（无规则）";
    }
    for (size_t i = 0; i < opts->n_rule_groups; i++) {
        if (opts->rule_groups[i].rule_id && strcmp(opts->rule_groups[i].rule_id, rule_id) == 0) {
            return opts->rule_groups[i].group;
        }
    }
    return rule_id;
}

static const char *or_unknown(const char *s, const char *dflt)
{
    return s && *s ? s : dflt;
}

/* Whether a ticket touches the window at all (otherwise every figure it adds is zero). */
static bool contrib_empty(const struct contrib *c, const char *filter)
{
    if (ticket_part(c) && dept_match(filter, c->department)) {
        return false;
    }
    for (size_t i = 0; i < c->n_inst; i++) {
        if (dept_match(filter, c->inst[i].department)) {
            return false;
        }
    }
    return true;
}

static int cmp_rows(const void *pa, const void *pb)
{
    const struct stats_row *a = pa, *b = pb;
    if (a->detected != b->detected) {
        return a->detected > b->detected ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

static int cmp_level_rows(const void *pa, const void *pb)
{
    return strcmp(((const struct stats_row *)pa)->key, ((const struct stats_row *)pb)->key);
}

static int cmp_overdue(const void *pa, const void *pb)
{
    const struct stats_overdue *a = pa, *b = pb;
    int r;
    if (a->deadline != b->deadline) {
        return a->deadline < b->deadline ? -1 : 1;
    }
    r = strcmp(a->number, b->number);
    return r ? r : (int)a->clock - (int)b->clock;
}

static void row_release(struct stats_row *r)
{
    free(r->key);
    free(r->id);
    r->key = NULL;
    r->id = NULL;
}

/* Free judge (stats_judge_compute()'s) and what it owns. NULL is a no-op. */
static void judge_free(struct stats_judge *judge)
{
    if (!judge) {
        return;
    }
    for (size_t i = 0; i < judge->n_groups; i++) {
        free(judge->groups[i].key);
    }
    free(judge->groups);
    free(judge);
}

void stats_blind_free(struct stats_blind *blind)
{
    if (!blind) {
        return;
    }
    for (size_t i = 0; i < blind->n_sources; i++) {
        free(blind->sources[i].source_id);
        free(blind->sources[i].name);
    }
    free(blind->sources);
    free(blind);
}

void stats_report_free(struct stats_report *report)
{
    if (!report) {
        return;
    }
    row_release(&report->total);
    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        for (size_t i = 0; i < report->n_rows[d]; i++) {
            row_release(&report->rows[d][i]);
        }
        free(report->rows[d]);
    }
    for (size_t i = 0; i < report->n_zero_response; i++) {
        free(report->zero_response_departments[i]);
    }
    free(report->zero_response_departments);
    for (size_t i = 0; i < report->n_overdue; i++) {
        free(report->overdue[i].number);
        free(report->overdue[i].title);
        free(report->overdue[i].department);
    }
    free(report->overdue);
    free(report->daily);
    free(report->department);
    judge_free(report->judge);
    stats_blind_free(report->blind);
    free(report);
}

/* Free the strings of the n overdue entries at v. */
static void overdue_release(struct stats_overdue *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].number);
        free(v[i].title);
        free(v[i].department);
    }
}

/* Append clock ci of t (late or missed) to the overdue list list (of struct stats_overdue). */
static int add_overdue(struct yq_buf *list, int64_t cutoff, const struct stats_ticket *t,
                       const struct clock_inst *ci)
{
    struct stats_overdue o;

    memset(&o, 0, sizeof(o));
    o.number = strdup(or_unknown(t->number, "?"));
    o.title = strdup(t->title ? t->title : "");
    o.department = strdup(or_unknown(ci->department, "（未指定）"));
    o.level = t->level;
    o.clock = ci->kind;
    o.deadline = ci->deadline;
    if (ci->st == CS_LATE) {
        o.met_at = ci->event;
        o.late_s = o.met_at - o.deadline;
    } else {
        o.late_s = cutoff > o.deadline ? cutoff - o.deadline : 0;
    }
    if (!o.number || !o.title || !o.department) {
        overdue_release(&o, 1);
        return ERR_NOMEM;
    }
    if (array_push(list, &o, sizeof(o)) != 0) {
        overdue_release(&o, 1);
        return ERR_NOMEM;
    }
    return 0;
}

static void count_window_events(struct stats_report *r, const struct stats_ticket *t,
                                const struct stats_opts *opts, int64_t k)
{
    int64_t a = r->start, c = r->cutoff;

    if (t->detected_at >= a && t->detected_at < c) {
        size_t day = (size_t)(day_of(t->detected_at) - day_of(a));
        if (day < r->n_days && t->level >= YQ_LEVEL_I && t->level <= YQ_LEVEL_IV) {
            r->daily[day][t->level - 1]++;
        }
        r->load_tickets[stats_band_of(opts->calendar, t->detected_at)]++;
    }
    for (size_t i = 0; i < t->n_alerts; i++) {
        if (t->alert_at[i] >= a && t->alert_at[i] < c) {
            r->load_alerts[stats_band_of(opts->calendar, t->alert_at[i])]++;
        }
    }
    if (t->n_responses > 0) {
        for (size_t i = 0; i < t->n_responses; i++) {
            const struct stats_response *rs = &t->responses[i];
            int64_t rec = rs->recorded_at > 0 ? rs->recorded_at : rs->at;
            if (rs->at >= a && rs->at < c && rec <= k) { /* stated in the window, known at k */
                r->responses++;
                r->press_conferences += rs->channel && strcmp(rs->channel, "新闻发布会") == 0;
            }
        }
    } else {
        /* no response list: the first response and the first press conference are known */
        r->responses += t->responded_at >= a && t->responded_at < c;
        r->press_conferences += t->press_held_at >= a && t->press_held_at < c;
    }
}

static void cohort_add(struct stats_report *r, const struct stats_ticket *t, int64_t k)
{
    struct stats_cohort *co = &r->cohort;
    enum ticket_state s;
    int64_t c = r->cutoff;
    int64_t responded = first_response(t, k, false);

    if (t->detected_at < r->start || t->detected_at >= c) {
        return;
    }
    co->detected++;
    if (t->level >= YQ_LEVEL_I && t->level <= YQ_LEVEL_IV) {
        co->by_level[t->level - 1]++;
    }
    if (!state_before(t, c, &s)) {
        s = TICKET_STATE_OPEN;
    }
    co->dismissed += s == TICKET_STATE_DISMISSED;
    co->handed_over += s != TICKET_STATE_DISMISSED;
    co->closed += s == TICKET_STATE_CLOSED;
    if (responded > 0 && responded < c) {
        co->responded++;
        co->responded_on_time += t->response_deadline > 0 && responded <= t->response_deadline;
    }
}

static int dims_finish(struct stats_report *r, struct dim_acc *dims)
{
    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        r->rows[d] = calloc(dim_count(&dims[d]) ? dim_count(&dims[d]) : 1, sizeof(struct stats_row));
        if (!r->rows[d]) {
            return ERR_NOMEM;
        }
        struct row_acc *v = dim_rows(&dims[d]);
        for (size_t i = 0; i < dim_count(&dims[d]); i++) {
            row_acc_finish(&v[i]);
            r->rows[d][i] = v[i].row;
            v[i].row.key = NULL; /* moved */
            v[i].row.id = NULL;
        }
        r->n_rows[d] = dim_count(&dims[d]);
        qsort(r->rows[d], r->n_rows[d], sizeof(struct stats_row),
              d == STATS_DIM_LEVEL ? cmp_level_rows : cmp_rows);
    }
    return 0;
}

static int zero_responses(struct stats_report *r)
{
    size_t n = 0;
    const struct stats_row *rows = r->rows[STATS_DIM_DEPARTMENT];

    r->zero_response_departments = calloc(r->n_rows[STATS_DIM_DEPARTMENT] + 1, sizeof(char *));
    if (!r->zero_response_departments) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < r->n_rows[STATS_DIM_DEPARTMENT]; i++) {
        const struct stats_clock_tally *ct = &rows[i].clocks[STATS_CLOCK_RESPONSE];
        if (ct->due > 0 && ct->on_time + ct->late == 0) {
            r->zero_response_departments[n] = strdup(rows[i].key);
            if (!r->zero_response_departments[n]) {
                return ERR_NOMEM;
            }
            r->n_zero_response = ++n;
        }
    }
    return 0;
}

/*
 * The window [start, end) and cut-off of opts into w (the knowledge cut-off k: opts->known_at
 * when later than the cut-off, else the cut-off). Returns 0 or ERR_INVALID.
 */
static int window_of(const struct stats_opts *opts, struct when *w)
{
    int err = opts->period == STATS_PERIOD_MONTH
                  ? stats_month_window(opts->year, opts->month, &w->a, &w->b)
                  : (opts->period == STATS_PERIOD_YEAR ? stats_year_window(opts->year, &w->a, &w->b)
                                                       : ERR_INVALID);
    if (opts->period == STATS_PERIOD_SPAN && opts->end > opts->start && opts->start >= 0) {
        w->a = opts->start;
        w->b = opts->end;
        err = 0;
    }
    if (err) {
        return err;
    }
    w->c = opts->now < w->b ? opts->now : w->b;
    if (w->c < w->a) {
        w->c = w->a; /* a future window: nothing has happened in it yet */
    }
    w->k = opts->known_at > w->c ? opts->known_at : w->c;
    return 0;
}

/* Add c to every row of t: the total, each dimension (the department: each of its departments). */
static int ticket_rows(const struct stats_opts *opts, const struct stats_ticket *t,
                       const struct contrib *c, struct row_acc *total, struct dim_acc *dims)
{
    const char *filter = opts->department;
    const char *keys[STATS_DIM_COUNT];

    keys[STATS_DIM_DEPARTMENT] = NULL;
    keys[STATS_DIM_LEVEL] = level_key(t->level);
    keys[STATS_DIM_SOURCE] =
        t->source_name && t->source_name[0] ? t->source_name : or_unknown(t->source, "（未知）");
    keys[STATS_DIM_RULE_GROUP] = rule_group_of(opts, t);
    if (row_add(total, c, filter)) {
        return ERR_NOMEM;
    }
    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        const char *id = d == STATS_DIM_SOURCE ? or_unknown(t->source, "") : NULL;
        struct row_acc *acc;
        if (d == STATS_DIM_DEPARTMENT) {
            continue;
        }
        acc = dim_find(&dims[d], keys[d], id);
        if (!acc || row_add(acc, c, filter)) {
            return ERR_NOMEM;
        }
    }
    /* each department the ticket's figures or clocks belong to, once */
    for (size_t i = 0; i <= c->n_inst; i++) {
        const char *dept = or_unknown(i == 0 ? c->department : c->inst[i - 1].department,
                                      "（未指定）");
        bool seen = false;
        struct row_acc *acc;
        if (i == 0 && !ticket_part(c)) {
            continue;
        }
        for (size_t j = 0; j < i && !seen; j++) {
            seen = (j > 0 || ticket_part(c)) &&
                   strcmp(dept, or_unknown(j == 0 ? c->department : c->inst[j - 1].department,
                                           "（未指定）")) == 0;
        }
        if (seen || !dept_match(filter, dept)) {
            continue;
        }
        acc = dim_find(&dims[STATS_DIM_DEPARTMENT], dept, NULL);
        if (!acc || row_add(acc, c, dept)) {
            return ERR_NOMEM;
        }
    }
    return 0;
}

int stats_compute(const struct stats_ticket *tickets, size_t n, const struct stats_opts *opts,
                  struct stats_report **out)
{
    struct stats_report *r = NULL;
    struct dim_acc dims[STATS_DIM_COUNT];
    struct row_acc total;
    struct yq_buf overdue; /* struct stats_overdue */
    struct contrib *c = NULL; /* one ticket's (a few KiB: not on the stack) */
    struct when w;
    int err;

    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        yq_buf_init(&dims[d].rows, n * (STATS_INST_MAX + 1) * sizeof(struct row_acc));
        dims[d].n_tickets = n;
    }
    row_acc_init(&total, NULL, NULL, n);
    yq_buf_init(&overdue, n * STATS_INST_MAX * sizeof(struct stats_overdue));
    *out = NULL;
    r = calloc(1, sizeof(*r));
    c = malloc(sizeof(*c));
    if (!r || !c) {
        err = ERR_NOMEM;
        goto done;
    }
    r->period = opts->period;
    r->year = opts->year;
    r->month = opts->period == STATS_PERIOD_MONTH ? opts->month : 0;
    err = window_of(opts, &w);
    if (err) {
        goto done;
    }
    r->start = w.a;
    r->end = w.b;
    r->cutoff = w.c;
    r->generated_at = opts->now;
    err = ERR_NOMEM;
    if (opts->department && !(r->department = strdup(opts->department))) {
        goto done;
    }
    r->n_days = (size_t)(day_of(r->end - 1) - day_of(r->start) + 1);
    r->daily = calloc(r->n_days, sizeof(*r->daily));
    total.row.key = strdup("合计");
    if (!r->daily || !total.row.key) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const struct stats_ticket *t = &tickets[i];

        if (t->detected_at >= r->cutoff) {
            continue; /* not yet detected at the cut-off (a run in the middle of a month) */
        }
        ticket_contrib(t, &w, c);
        if (dept_match(opts->department, c->department)) {
            count_window_events(r, t, opts, w.k);
            cohort_add(r, t, w.k);
        }
        if (contrib_empty(c, opts->department)) {
            continue;
        }
        if (ticket_rows(opts, t, c, &total, dims)) {
            goto done;
        }
        for (size_t k = 0; k < c->n_inst; k++) {
            const struct clock_inst *ci = &c->inst[k];
            if (clock_listed(ci->kind) && clock_is_overdue(ci->st) &&
                dept_match(opts->department, ci->department) &&
                add_overdue(&overdue, r->cutoff, t, ci)) {
                goto done;
            }
        }
    }
    row_acc_finish(&total);
    r->total = total.row;
    total.row.key = NULL;
    if (dims_finish(r, dims) || zero_responses(r)) {
        goto done;
    }
    if (overdue.len > 0) {
        r->n_overdue = overdue.len / sizeof(struct stats_overdue);
        r->overdue = (struct stats_overdue *)(void *)yq_buf_steal(&overdue, NULL);
        if (!r->overdue) {
            r->n_overdue = 0;
            goto done;
        }
    }
    if (r->n_overdue > 1) {
        qsort(r->overdue, r->n_overdue, sizeof(r->overdue[0]), cmp_overdue);
    }
    *out = r;
    r = NULL;
    err = 0;
done:
    free(c);
    row_acc_release(&total);
    for (int d = 0; d < STATS_DIM_COUNT; d++) {
        for (size_t i = 0; i < dim_count(&dims[d]); i++) {
            row_acc_release(&dim_rows(&dims[d])[i]);
        }
        yq_buf_release(&dims[d].rows);
    }
    overdue_release((struct stats_overdue *)(void *)overdue.data,
                    overdue.len / sizeof(struct stats_overdue));
    yq_buf_release(&overdue);
    stats_report_free(r);
    return err;
}

/* ------------------------------------------------------------- signatures */

#define SIGNATURE_MAX 4096

/* Append "name" or ",name" to b when on. */
static int sig_flag(struct yq_buf *b, bool on, const char *name)
{
    if (!on) {
        return 0;
    }
    if (b->len > 0 && yq_buf_add(b, ",", 1)) {
        return ERR_TOO_BIG;
    }
    return yq_buf_add(b, name, strlen(name)) ? ERR_TOO_BIG : 0;
}

static int sig_text(struct yq_buf *b, const char *a, const char *x, const char *y, const char *z)
{
    const char *parts[] = {a, x, y, z};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (parts[i] && yq_buf_add(b, parts[i], strlen(parts[i]))) {
            return ERR_TOO_BIG;
        }
    }
    return 0;
}

/* The canonical line of c (stats_signature_fn) into b, NUL-terminated. */
static int signature_of(const struct contrib *c, const char *filter,
                        const char *const *clock_names, struct yq_buf *b)
{
    int err = 0;

    yq_buf_reset(b);
    if (ticket_part(c) && dept_match(filter, c->department)) {
        err = sig_flag(b, c->carried_in, "carried_in") || sig_flag(b, c->detected, "detected") ||
              sig_flag(b, c->reopened, "reopened") || sig_flag(b, c->closed, "closed") ||
              sig_flag(b, c->dismissed, "dismissed") ||
              sig_flag(b, c->carried_out, "carried_out") || sig_flag(b, c->returned, "returned")
                  ? ERR_TOO_BIG
                  : sig_text(b, "@", or_unknown(c->department, "（未指定）"), NULL, NULL);
    }
    for (size_t i = 0; !err && i < c->n_inst; i++) {
        const struct clock_inst *ci = &c->inst[i];
        if (!dept_match(filter, ci->department)) {
            continue;
        }
        err = sig_text(b, b->len ? ";" : "", clock_names[ci->kind], ":",
                       clock_status_names[ci->st]) ||
                      sig_text(b, "@", or_unknown(ci->department, "（未指定）"), NULL, NULL)
                  ? ERR_TOO_BIG
                  : 0;
    }
    if (!err && yq_buf_add(b, "", 1)) {
        err = ERR_TOO_BIG;
    }
    return err;
}

int stats_signatures(const struct stats_ticket *tickets, size_t n, const struct stats_opts *opts,
                     const char *const clock_names[STATS_CLOCK_COUNT], stats_signature_fn fn,
                     void *ctx)
{
    struct contrib *c = malloc(sizeof(*c));
    struct yq_buf b;
    struct when w;
    int err;

    if (!c) {
        return ERR_NOMEM;
    }
    yq_buf_init(&b, SIGNATURE_MAX);
    err = window_of(opts, &w);
    for (size_t i = 0; !err && i < n; i++) {
        const struct stats_ticket *t = &tickets[i];
        if (t->detected_at >= w.c) {
            continue;
        }
        ticket_contrib(t, &w, c);
        if (contrib_empty(c, opts->department)) {
            continue;
        }
        err = signature_of(c, opts->department, clock_names, &b);
        if (!err) {
            err = fn(ctx, or_unknown(t->number, "?"), (const char *)b.data);
        }
    }
    yq_buf_release(&b);
    free(c);
    return err;
}
