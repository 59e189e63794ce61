/*
 * Blind windows of one source (issue #15, 监测盲区): the stretches of time in which the
 * collector could not see what a source published, by reason (common/yq_source_event.h):
 *
 *   failing   blind_after_failures consecutive failed polls (any failure state but the wall);
 *             the window starts at the first failure of the run, ends at the next successful
 *             poll
 *   walled    a login wall or expired cookie (auth_required; a wechat_feed bridge serving its
 *             login page, not_a_feed): opens at the first walled poll, ends at the next
 *             successful poll; a walled poll is a failure, never "no new posts"
 *   stale     the newest item is older than stale_after (FC-008): starts at newest item time
 *             + stale_after, ends when a newer item appears
 *   quiet     no new item for max(quiet_factor x usual interval, quiet_min), the usual interval
 *             being the median gap between the source's last SOURCE_BLIND_ARRIVALS_MAX
 *             arrivals of new items (judged only with >= SOURCE_BLIND_MIN_GAPS gaps): starts
 *             at last arrival + that threshold, ends when an item arrives
 *   unpolled  the previous poll attempt ended more than max(3 x delay, delay + 10 min) before
 *             this one, delay being what was scheduled after it (interval, or the backoff):
 *             the closed window [previous attempt + delay, now) is reported at once
 *
 * The tracker is pure (no I/O, time passed in as UTC seconds): source_run.c feeds it every
 * poll attempt and turns the changes into log lines, source events and Redis fields; it is
 * saved to and loaded from the health hash yuqing:source:<id> (source_blind_fields(),
 * source_blind_load()) so a restarted collector neither loses nor re-opens a window.
 * Quiet and stale are judged at successful polls only (a failing source has its own window).
 * Reasons overlap freely: each is its own window. Not thread-safe (one tracker per source,
 * the event loop's thread).
 */
#ifndef YQ_SOURCE_BLIND_H
#define YQ_SOURCE_BLIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "source_health.h"
#include "yq_source_event.h"

/* Arrival times of new items kept per source (the quiet rule's history). */
#define SOURCE_BLIND_ARRIVALS_MAX 32
/* Gaps between arrivals needed before a source is ever judged quiet. */
#define SOURCE_BLIND_MIN_GAPS 5
/* unpolled: a gap longer than max(FACTOR x delay, delay + SLACK_S) after an attempt. */
#define SOURCE_BLIND_UNPOLLED_FACTOR 3
#define SOURCE_BLIND_UNPOLLED_SLACK_S 600
/* Longest detail or renew text kept per window, in bytes (cut at a character boundary). */
#define SOURCE_BLIND_TEXT_MAX 256
/* Most changes one call reports (each reason opens or closes at most once per call). */
#define SOURCE_BLIND_CHANGES_MAX (2 * YQ_BLIND_REASON_COUNT)

/* The source's keys that the rules read (collector_cfg.h), in seconds. */
struct source_blind_params {
    int64_t blind_after_failures; /* >= 1; consecutive failed polls that open "failing" */
    int64_t stale_after_s;        /* <= 0: no staleness */
    int64_t quiet_factor;         /* 0: never quiet */
    int64_t quiet_min_s;          /* quiet never before this long without a new item */
};

struct source_blind_window {
    bool open;
    int64_t started_at;                   /* UTC seconds */
    char detail[SOURCE_BLIND_TEXT_MAX];   /* why, one line ("http status 404") */
    char renew[SOURCE_BLIND_TEXT_MAX];    /* walled: what to renew; "" otherwise */
};

struct source_blind {
    struct source_blind_window win[YQ_BLIND_REASON_COUNT]; /* [YQ_BLIND_UNPOLLED] never open */
    int64_t failures;         /* consecutive failed polls, walls not counted */
    int64_t failing_first_at; /* end of the first failed poll of that run; 0 = none */
    int64_t arrivals[SOURCE_BLIND_ARRIVALS_MAX]; /* polls that brought new items, oldest first */
    size_t n_arrivals;
    int64_t last_poll_at;     /* end of the previous poll attempt; 0 = never polled */
    int64_t next_delay_s;     /* delay scheduled after it */
    struct staleness stale;   /* the FC-008 state (source_health.h) */
};

/* One window opened or closed by a call. */
struct source_blind_change {
    enum yq_blind_reason reason;
    bool open;          /* true: opened (ended_at 0); false: closed */
    int64_t started_at; /* UTC seconds */
    int64_t ended_at;   /* closes: UTC seconds, >= started_at */
    char detail[SOURCE_BLIND_TEXT_MAX];
    char renew[SOURCE_BLIND_TEXT_MAX];
};

struct source_blind_changes {
    size_t n;
    struct source_blind_change v[SOURCE_BLIND_CHANGES_MAX];
};

/* An empty tracker (never polled, nothing open) in caller storage. */
void source_blind_init(struct source_blind *b);

/*
 * A poll attempt ended at now (UTC seconds), the next one scheduled next_delay_s later.
 * Appends to out (caller storage; n is not reset) an "unpolled" close when the previous
 * attempt ended more than max(3 x its delay, its delay + 10 min) ago: [previous + delay,
 * now). The first attempt of a source (none recorded) reports nothing. Call it before
 * source_blind_ok()/_fail() of the same attempt.
 */
void source_blind_attempt(struct source_blind *b, int64_t now, int64_t next_delay_s,
                          struct source_blind_changes *out);

/*
 * A failed poll at now. walled: a login wall (see above), opening "walled" at once with
 * renew (borrowed, may be NULL); otherwise it counts towards "failing". detail (borrowed,
 * may be NULL): the failure, one line. Changes are appended to out.
 */
void source_blind_fail(struct source_blind *b, const struct source_blind_params *par,
                       int64_t now, bool walled, const char *detail, const char *renew,
                       struct source_blind_changes *out);

/*
 * A successful poll at now: closes "failing" and "walled"; new_items > 0 records an arrival
 * (closing "quiet"); otherwise judges "quiet". has_newest/newest (UTC seconds): the newest
 * item publication time of the poll, for "stale". A rule switched off (stale_after or
 * quiet_factor 0) closes its open window. Changes are appended to out.
 */
void source_blind_ok(struct source_blind *b, const struct source_blind_params *par,
                     int64_t now, bool has_newest, int64_t newest, int64_t new_items,
                     struct source_blind_changes *out);

/*
 * A source that is not polled any more (disabled, or removed from the config): every open
 * window of b is closed at now (never before its start) with detail (borrowed, may be NULL:
 * why, one line), appended to out, and b forgets everything (source_blind_init()), so that a
 * source enabled again later starts afresh rather than report its rest as unpolled. Returns
 * the number of closes appended.
 */
size_t source_blind_retire(struct source_blind *b, int64_t now, const char *detail,
                           struct source_blind_changes *out);

/*
 * The usual interval between arrivals in seconds: the median of the gaps between the kept
 * arrival times, or -1 with fewer than SOURCE_BLIND_MIN_GAPS gaps. The median, not the
 * mean: one long outage or a night without posts would drag a mean up (and the threshold
 * with it, hiding the next outage), a burst of items would drag it down; the median of 31
 * gaps moves only when most of them change.
 */
int64_t source_blind_usual_gap_s(const struct source_blind *b);

/* The open windows as a comma-separated list ("failing,stale"; "" when none) into buf. */
void source_blind_open_list(const struct source_blind *b, char *buf, size_t len);

/*
 * The Redis fields of the tracker in the health hash (docs/collectors.md, 监测盲区):
 * source_blind_field_count names (at most SOURCE_BLIND_FIELDS_MAX), each value at most
 * SOURCE_BLIND_FIELD_VALUE_MAX bytes with its NUL (the arrivals: 32 times of up to 20 digits
 * and a space each).
 */
#define SOURCE_BLIND_FIELDS_MAX 32
#define SOURCE_BLIND_FIELD_VALUE_MAX (24 * SOURCE_BLIND_ARRIVALS_MAX)
extern const char *const source_blind_field_names[];
extern const size_t source_blind_field_count;

struct source_blind_fields {
    size_t n;                                   /* == source_blind_field_count */
    const char *name[SOURCE_BLIND_FIELDS_MAX];  /* static names */
    char value[SOURCE_BLIND_FIELDS_MAX][SOURCE_BLIND_FIELD_VALUE_MAX]; /* "" when closed */
};

/* Every field of b (names in source_blind_field_names order) into out (caller storage). */
void source_blind_fields(const struct source_blind *b, struct source_blind_fields *out);

/*
 * Load b (initialised first) from values[i] of source_blind_field_names[i] as read from
 * Redis (NULL or "" = absent), n values. Values that do not parse (a time that is not RFC
 * 3339, a count that is not a number, more arrivals than kept) are ignored. Returns the
 * number of values ignored (0 when all were good or absent).
 */
size_t source_blind_load(struct source_blind *b, const char *const *values, size_t n);

#endif
