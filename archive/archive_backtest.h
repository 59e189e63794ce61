/*
 * Rules tried on history (issue #14, docs/matching.md "Backtest"): a draft rule set and the
 * live one matched over the archived items of a time range with the matcher's own library
 * (match_item()), reported per rule.
 *
 * Per rule id (the union of both sets' ids; a rule in one set only has 0 on the other side):
 *   draft_hits   archived items in range that the draft's rule matches
 *   live_hits    ... that the live rule with that id matches
 *   gained       items the draft's rule matches and the live rule with the same id does not
 *   lost         items the live rule matches and the draft's rule does not
 *   events       distinct events among the draft hits (below)
 * and up to `samples` items of each of hits, gained and lost, newest first.
 *
 * Events: an item's event is the event key of its archived match rows (the matcher's event
 * assignment, event.h) when it has one; else, when it is a repost (reply_to), "ev:<reply_to>"
 * (the key the matcher gives a repost of an original it has not seen); else its near-duplicate
 * group, found as the matcher finds it: SimHash of the normalised title and text
 * (event_simhash()), an earlier draft hit within EVENT_MAX_DISTANCE bits (event_hamming()) and
 * EVENT_WINDOW_S seconds before it, looked up through the four 16-bit bands; else its own
 * "ev:<item id>". Items with fewer than EVENT_MIN_FEATURES features take no part in
 * near-duplicate search (as in the matcher). Draft hits are grouped in archive-time order.
 *
 * Matching: when both sets have the same exclude and place lists, the draft's rules and the
 * live rules that differ from the draft's rule of the same id are compiled into one set and each
 * item is matched once (rules equal in both are evaluated once); otherwise each item is matched
 * with each set.
 *
 * Work: the range is cut into one time slice per archive handle given, each scanned by its own
 * thread with its own match_scratch (handles are not shared between threads). Optional
 * narrowing: the index is asked only for items holding one of the positive terms of either set
 * (a rule cannot match without one, match.h), which is exact, and faster or slower depending
 * on how many terms the sets have (docs/operations.md "Backtest" has the measurement).
 */
#ifndef ARCHIVE_BACKTEST_H
#define ARCHIVE_BACKTEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"
#include "rules.h"
#include "rules_digest.h"

#define BACKTEST_MAX_SAMPLES 50 /* largest samples per rule and kind */
#define BACKTEST_DEFAULT_SAMPLES 5
#define BACKTEST_MAX_THREADS 8      /* largest number of archive handles (threads) */
#define BACKTEST_MAX_TERMS_SHOWN 16 /* matched terms listed per sample */

enum backtest_narrowing {
    BACKTEST_NARROW_NONE = 0,  /* read every item of the range */
    BACKTEST_NARROW_TERMS = 1, /* OR of both sets' positive terms (normalised) */
};

struct backtest_opts {
    int64_t since_s; /* archive time at or after, seconds UTC (> 0) */
    int64_t until_s; /* archive time before (> since_s) */
    size_t samples;  /* per rule and kind, 0..BACKTEST_MAX_SAMPLES */
    enum backtest_narrowing narrowing;
    size_t max_items; /* stop with ERR_TOO_BIG after this many items scanned; 0 = no bound */
};

/* One sample item. Strings owned. */
struct backtest_sample {
    char *item_id;
    int64_t time_s; /* archive time, seconds UTC */
    char *title;    /* "" when none */
    char *url;      /* "" when none */
    char **terms;   /* distinct matched terms of the rule (as written in the rule), n_terms */
    size_t n_terms;
};

enum backtest_kind {
    BACKTEST_HITS = 0,   /* the draft's rule matched */
    BACKTEST_GAINED = 1, /* the draft's rule matched, the live one did not */
    BACKTEST_LOST = 2,   /* the live rule matched, the draft's did not */
    BACKTEST_N_KINDS = 3,
};

struct backtest_rule {
    char *rule_id;
    char *name;  /* the draft's name, else the live one's */
    char *group; /* "" when none */
    bool in_draft;
    bool in_live;
    size_t draft_hits;
    size_t live_hits;
    size_t gained;
    size_t lost;
    size_t events;
    struct backtest_sample *samples[BACKTEST_N_KINDS]; /* newest first */
    size_t n_samples[BACKTEST_N_KINDS];
};

/*
 * The counts of one Beijing day (00:00 to 24:00 +08:00, by archive time) of the range: the
 * report's figures restricted to that day's items. Only days with an item scanned are listed.
 */
struct backtest_day {
    int64_t start_s;                            /* the day's 00:00 Beijing time, seconds UTC */
    size_t items_scanned;                       /* items of the day the archive returned */
    size_t items_draft;                         /* ... that matched some draft rule */
    size_t items_live;                          /* ... that matched some live rule */
    size_t draft_hits, live_hits, gained, lost; /* sums over the rules, as the totals */
};

struct backtest_report {
    char draft_digest[RULES_DIGEST_HEX_LEN + 1];
    char live_digest[RULES_DIGEST_HEX_LEN + 1]; /* "" without a live set */
    int64_t live_version;                       /* 0 without a live set or when not from Redis */
    int64_t since_s, until_s;
    const char *narrowing; /* static: "none" or "terms" */
    bool combined;         /* one match per item served both sets (same exclude and places) */
    size_t items_scanned;  /* items the archive returned (the narrowing may skip some) */
    size_t items_draft;    /* items that matched some draft rule */
    size_t items_live;
    size_t draft_hits, live_hits, gained, lost; /* sums over the rules */
    size_t events;                              /* distinct events among all draft hits */
    double elapsed_s;            /* wall time of the run (information, not compared) */
    struct backtest_rule *rules; /* draft rules in draft order, then live-only ones */
    size_t n_rules;
    struct backtest_day *days; /* oldest first; days without an item are left out */
    size_t n_days;
};

/*
 * Run the backtest of draft (compiled, borrowed) against live (compiled, borrowed, or NULL:
 * no live set, every live count 0 and every draft hit gained) over arcs[0..n_arcs) (1 to
 * BACKTEST_MAX_THREADS handles of the same archive, borrowed, each used by one thread only).
 * out: caller storage, filled on success (backtest_report_release()); live_version is taken
 * from live->version. Returns 0, ERR_INVALID (bad options: one line in errbuf), ERR_TOO_BIG
 * (more items than max_items), ERR_NOMEM, or the archive's error (ERR_RETRY, ERR_IO,
 * ERR_PARSE) with its line in errbuf.
 */
int archive_backtest_run(struct archive *const *arcs, size_t n_arcs, const struct rule_set *draft,
                         const struct rule_set *live, const struct backtest_opts *opts,
                         struct backtest_report *out, char *errbuf, size_t errlen);

/* Free what r owns and zero it (NULL is a no-op). */
void backtest_report_release(struct backtest_report *r);

/*
 * The report as JSON (docs/api.md "POST /api/rules/backtest"):
 *   {"draft_digest","live_digest"|null,"live_version"|null,"since","until" (RFC 3339),
 *    "narrowing","combined","items_scanned","items_draft","items_live","elapsed_ms",
 *    "totals":{"draft_hits","live_hits","gained","lost","events"},
 *    "days":[{"day":"YYYY-MM-DD" (Beijing),"items_scanned","items_draft","items_live",
 *             "draft_hits","live_hits","gained","lost"}] (struct backtest_day, oldest first),
 *    "rules":[{"rule_id","name","group","in_draft","in_live","draft_hits","live_hits",
 *              "gained","lost","events","samples":{"hits":[S],"gained":[S],"lost":[S]}}]}
 *   S = {"item_id","time" (RFC 3339),"title","url","terms":[...]}
 * with_samples false: no "samples" members (the summary recorded in Redis). out: new reference.
 * Returns 0 or ERR_NOMEM.
 */
int backtest_report_json(const struct backtest_report *r, bool with_samples, json_t **out);

#endif
