/*
 * Spike alerts (突增, issue #13, docs/desk.md "Spikes"): intake counts items per UTC hour per
 * rule group and per event (table rate_counts, migration 9); a periodic scan compares the last
 * full hour with a baseline and raises a spike (table spikes, UNIQUE (scope, key, hour): once
 * per scope, key and hour).
 *
 *   scope  key                baseline (mean items per hour)             on a spike
 *   group  the rule group     the same hour on each of the previous      a new inbox event of kind
 *                             group_baseline_days days (days without      'spike' (pending, level
 *                             items count as 0)                           spike.level)
 *   event  the event id       the previous event_baseline_hours hours,    the event's spike JSON,
 *          (decimal text)     counting only hours since the hour of the   resurfaced (a watching
 *                             event's first item (detected_at); fewer     event returns to pending),
 *                             when it is young; an event in its first     event_log 'spike'; with a
 *                             hour has none and raises no event spike     ticket: ticket_log 'spike'
 *                                                                         and the duty officer told
 *
 * A spike is raised when count >= min_count and count * 100 >= factor_percent * baseline
 * (a baseline of 0 needs only min_count). Hours are UTC epoch hours: floor(t / 3600) * 3600.
 *
 * Functions take a writable store handle (one thread per handle, ticket_store.h).
 */
#ifndef NOTIFIER_SPIKE_H
#define NOTIFIER_SPIKE_H

#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_alert.h"
#include "yq_cfg.h"

/* The spike: section of notifier.yaml. Factors are per cent (300 = 3x): yq_cfg has no reals. */
struct spike_cfg {
    int64_t group_factor_percent; /* count >= this share of the group baseline (300) */
    int64_t group_min_count;      /* and at least this many items in the hour (10) */
    int64_t group_baseline_days;  /* the same hour on this many previous days (7) */
    int64_t event_factor_percent; /* count >= this share of the event baseline (300) */
    int64_t event_min_count;      /* and at least this many items in the hour (5) */
    int64_t event_baseline_hours; /* the event's previous hours (6) */
    char *level;                  /* the level of a group spike's inbox event ("III"); NULL = III */
    int64_t scan_interval_ms;     /* how often the notifier scans (5 min) */
};

/* Keys of the "spike:" section of notifier.yaml, with the defaults above (one source). */
extern const struct cfg_key spike_cfg_keys[];

/* The built-in defaults (level NULL = III). Static; thread-safe. */
const struct spike_cfg *spike_cfg_defaults(void);

/*
 * Check cfg after cfg_fill(): level must parse (yq_level_parse()). Returns 0 or ERR_INVALID
 * with one line in errbuf.
 */
int spike_cfg_check(const struct spike_cfg *cfg, char *errbuf, size_t errlen);

/* The seconds of the UTC epoch hour holding t (floor(t / 3600) * 3600, also for t < 0). */
int64_t spike_hour_of(int64_t t);

/*
 * Inside the caller's open transaction (intake): count one item of alert for the hour of
 * alert->matched_at: rate_counts (group, <group>, hour) += 1 for each distinct non-empty rule
 * group among alert->matches, and (event, "<event_id>", hour) += 1 when event_id > 0.
 * now: unused by the count itself (kept for the contract's injected clock); the hour comes
 * from the alert. Group names longer than 200 bytes are not counted.
 * Returns 0, ERR_INVALID (store or alert NULL), ERR_RETRY, ERR_IO or ERR_NOMEM; on failure the
 * caller rolls back.
 */
int spike_count_item(struct ticket_store *store, const struct yq_alert *alert, int64_t event_id,
                     int64_t now);

/*
 * The counts spike_count_item() adds for alert, handed to fn one by one instead (issue #16: a
 * batch of intake sums them and writes each key once): scope "group" or "event", key (borrowed
 * for the call), the hour; each call is one item. Stops at fn's first non-zero result and
 * returns it; 0 when all went through; ERR_INVALID for a NULL alert.
 */
int spike_item_counts(const struct yq_alert *alert, int64_t event_id,
                      int (*fn)(void *ctx, const char *scope, const char *key, int64_t hour),
                      void *ctx);

/*
 * rate_counts (scope, key, hour) += n (n >= 1) inside the caller's open transaction, as a
 * deferred statement (yq_db.h: its error may come with the next statement).
 * Returns 0, ERR_RETRY, ERR_IO or ERR_NOMEM; on failure the caller rolls back.
 */
int spike_count_add(struct ticket_store *store, const char *scope, const char *key,
                    int64_t hour, int64_t n);

/*
 * One scan in its own transaction (the caller must not have one open): for the last full hour
 * H = spike_hour_of(now) - 3600, every group with a count in H, and every open event (state
 * pending, watching, auto_assigned or assigned, last item within 24 h of now) with a count in
 * H, is compared with its baseline (table above); each spike not raised before is inserted
 * into spikes and acted on (table above). A group spike's event: event_key
 * "spike:group:<group>:<H>", title "【突增】<group> 近1小时 <count> 条，基线 <baseline> 条/小时"
 * (baseline with one decimal), level cfg->level, state pending, detected_at = now,
 * judge_deadline = now + judge_deadline_s, rule_groups ["<group>"], event_log 'created'.
 * Its spike JSON (events.spike, both scopes):
 *   {"scope":"group","key":"征地拆迁","hour":1764900000,"count":23,"baseline":2.3,
 *    "factor":3.0,"min_count":10}
 * (factor = factor_percent / 100). An event spike's note (event_log, ticket_log) and its duty
 * notification's detail line (outbox kind "spike", OUTBOX_TO_DUTY, not urgent) read
 * "【突增】近1小时 <count> 条，基线 <baseline> 条/小时". At most 1000 groups and 1000 events
 * are judged per scan.
 * cfg: NULL = spike_cfg_defaults(). raised_out (may be NULL): spikes raised by this scan.
 * Returns 0, ERR_INVALID (bad cfg level), ERR_RETRY (busy: nothing changed), ERR_IO,
 * ERR_TOO_BIG (a notification too long) or ERR_NOMEM; on failure nothing changes.
 */
int spike_scan(struct ticket_store *store, const struct spike_cfg *cfg, int64_t judge_deadline_s,
               int64_t now, size_t *raised_out);

#endif
