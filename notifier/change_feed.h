/*
 * The change feed of one notifier (issue #16, docs/operations.md "Scaling"): with several
 * notifiers on one PostgreSQL store, a change made by one must reach the web UI's live streams
 * (GET /api/events) of every other. Migration 13 makes every statement that appends to
 * ticket_log or event_log send NOTIFY yuqing_changes '{"table":"ticket_log"}' (or event_log),
 * delivered at its transaction's commit; this thread LISTENs on its own connection and calls
 * on_change for each notification, so the streams re-read the change marker at once instead of
 * at their next poll. A lost connection is reopened (backoff 0.25 s doubling to 8 s) and
 * LISTENed again; on_live tells whether notifications are arriving (false while reconnecting:
 * the streams fall back to polling, and one on_change follows each reconnect, for what
 * happened meanwhile).
 *
 * A notifier's own changes arrive here too: harmless, as a stream sends an event only when the
 * marker moved (the change is sent once, whichever wake-up sees it first).
 * PostgreSQL only; SQLite has one notifier per store, whose streams poll the store.
 */
#ifndef NOTIFIER_CHANGE_FEED_H
#define NOTIFIER_CHANGE_FEED_H

#include <stdbool.h>
#include <stdint.h>

/* The NOTIFY channel of migration 13's triggers. */
#define CHANGE_FEED_CHANNEL "yuqing_changes"

struct change_feed;

struct change_feed_hooks {
    /* one notification; payload: its text (borrowed for the call; untrusted, <= 8000 bytes) */
    void (*on_change)(void *ctx, const char *payload);
    /* notifications arrive (true) or the LISTEN connection is down (false); may be NULL */
    void (*on_live)(void *ctx, bool live);
    void *ctx;
};

/*
 * Start the thread on location (a postgresql:// URL; borrowed, copied). The first connection
 * is made by the thread, so an unreachable server delays live updates, never start-up.
 * hooks: copied; called from the feed's thread. out: the feed (change_feed_stop()).
 * Returns 0, ERR_INVALID (not a PostgreSQL location) or ERR_NOMEM.
 */
int change_feed_start(const char *location, const struct change_feed_hooks *hooks,
                      struct change_feed **out);

/* Notifications received so far (tests, metrics). Thread-safe. */
int64_t change_feed_count(const struct change_feed *f);

/* Whether the LISTEN connection is up now. Thread-safe. */
bool change_feed_live(const struct change_feed *f);

/* Stop and join the thread (within about 0.3 s), close its connection, free. NULL: no-op. */
void change_feed_stop(struct change_feed *f);

#endif
