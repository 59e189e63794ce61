/*
 * Source staleness (case FC-008): a bridge whose login expired keeps serving a valid feed
 * with HTTP 200 and no new items. The newest item time seen so far is tracked per source;
 * when it is older than the source's stale_after, one "stale" alert is raised, nothing more
 * while the state lasts, and one recovery notice when a newer item appears. HTTP-level
 * health is separate and stays OK throughout.
 */
#ifndef YQ_SOURCE_HEALTH_H
#define YQ_SOURCE_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

enum stale_event {
    STALE_NONE = 0,      /* no change: say nothing */
    STALE_ALERT,         /* became stale: raise one alert */
    STALE_RECOVERED,     /* was stale, a newer item appeared: one recovery notice */
};

struct staleness {
    bool has_newest;
    int64_t newest;      /* newest item publication time seen (UTC seconds) */
    bool stale;
};

/*
 * Update s after a successful poll at now (UTC seconds) whose newest item was
 * poll_newest (if has). stale_after_s <= 0 disables staleness (always STALE_NONE).
 * Returns the event to report. Pure; thread-safe on distinct s.
 */
enum stale_event staleness_update(struct staleness *s, int64_t stale_after_s, bool has,
                                  int64_t poll_newest, int64_t now);

#endif
