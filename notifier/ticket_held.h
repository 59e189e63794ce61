/*
 * Held items (issue #11): matched items that open no ticket and run no statutory clock, kept
 * in the ticket store's held_items table (migration 5) so the duty officer sees and can search
 * them, and so the 研判 inbox of issue #13 can offer them:
 *
 *   reason "old":      published (yq_item_effective_time()) more than clocks.old_item_after_ms
 *                      before it was fetched; a publication time of day precision counts as
 *                      the end of that day (a date alone never makes a same-week post old);
 *   reason "undated":  no publication time and marked backlog by the collector (fetched in its
 *                      source's first successful poll, yq_item.backlog): its age cannot be
 *                      known and it is what the source held before the office watched it, so
 *                      no clock may start from its fetch (stored as 'undated', migration 6).
 *                      An undated item of
 *                      a later poll is new and opens a ticket (its fetch time counts);
 *   reason "official": from a source marked official (sources.yaml official: true): the
 *                      government's own posts are answers, not 舆情 (issue #15 will match them
 *                      to tickets as responses).
 *
 * ticket_intake_alert() decides and records (ticket_store.h); this header reads them.
 */
#ifndef TICKET_HELD_H
#define TICKET_HELD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ticket_store.h"
#include "yq_item.h"

/* One held_items row. Strings are new, owned (ticket_held_list_release()). */
struct ticket_held {
    int64_t id;
    char *item_id;
    char *event_key;
    char *reason; /* "old", "undated" or "official" */
    char *source, *source_id, *channel, *url, *title, *excerpt, *author; /* untrusted text */
    bool has_published;
    int64_t published_at;      /* seconds since the epoch, UTC (when has_published) */
    char *published_precision; /* "second", "minute", "day" or NULL */
    int64_t fetched_at;        /* seconds since the epoch, UTC */
    int64_t detected_at;       /* the alert's matched_at */
    char *level;               /* "I".."IV" of the most severe matched rule */
    char *department;          /* the lead department the rules named */
    char *source_department;   /* the official source's department, "" when none */
    char *rule_ids;            /* JSON array text of matched rule ids */
    double score;
    int64_t held_at; /* when intake recorded it */
};

TICKET_STORE_LIST(struct ticket_held_list, struct ticket_held, ticket_held_list_release);

/*
 * Whether item (borrowed) is old for a window of window_s seconds (0 = never old): it has a
 * publication time and yq_item_effective_time(item) (+ 86399 s for precision "day") lies more
 * than window_s before item->fetched_at (or before now when fetched_at is 0). Thread-safe.
 */
bool ticket_item_is_old(const struct yq_item *item, int64_t window_s, int64_t now);

/*
 * Held items, newest detection first, at most max (>= 1); reason: "old", "undated",
 * "official" or NULL (all); query: NULL/"" (all) or text that must occur in the title,
 * excerpt, channel, author or URL (byte substring, case-sensitive; the search of the held
 * list). Both borrowed.
 * out: caller storage, zeroed first; release with ticket_held_list_release().
 * Returns 0, ERR_RETRY (busy), ERR_IO or ERR_NOMEM (out then empty).
 */
int ticket_store_list_held(struct ticket_store *store, const char *reason, const char *query,
                           size_t max, struct ticket_held_list *out);

/*
 * The API form of h (borrowed): a new JSON object (json_decref()), NULL on ERR_NOMEM:
 *   {"id", "item_id", "event_key", "reason": "old"|"undated"|"official", "reason_label":
 *    "旧帖（发布已久）"|"未标注发布时间（首次采集的存量）"|"政务发布", "old": bool, "undated": bool,
 *    "official": bool, "title", "excerpt", "url", "source",
 *    "source_id", "channel", "author", "published_at" (RFC 3339 UTC or null),
 *    "published_at_bj" ("YYYY-MM-DD HH:MM" Beijing time or null), "published_precision",
 *    "age_hours" (whole hours from publication to fetch, or null), "fetched_at", "detected_at",
 *    "detected_at_bj", "level", "department" (lead department the rules named),
 *    "source_department", "rule_ids": [...], "score", "held_at"}
 * Strings are untrusted feed text (escape before display).
 */
json_t *ticket_held_json(const struct ticket_held *h);

#endif
