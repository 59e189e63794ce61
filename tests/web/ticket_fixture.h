/*
 * The notifier's real ticket store for the web tests and the browser-test server: a SQLite
 * file in /tmp with a writer and a read-only handle, served to the web layer through
 * web_notifier_ops (notifier/web_notifier_ops.h), exactly as the notifier serves it. Tickets
 * are added through the real intake (ticket_intake_alert()) from a spec in the shape the
 * browser tests post. Thread-safe (the ops' mutex; ticket_fixture_add() takes it too).
 */
#ifndef TEST_WEB_TICKET_FIXTURE_H
#define TEST_WEB_TICKET_FIXTURE_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "ticket_store.h"
#include "web.h"
#include "web_notifier_ctx.h"

/*
 * The store and what the ops serve it with; a test may use writer (under lock, as the notifier
 * does), reader, ctx and path directly.
 */
struct ticket_fixture {
    char path[256]; /* the SQLite file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct ticket_store *writer, *reader;
    struct ticket_policy policy; /* the writer's: every level handed over at intake */
    pthread_mutex_t lock;
    struct web_notifier_ctx ctx;
    struct notifier_metrics metrics; /* ctx.metrics: the intake flags (every one up at start) */
    int64_t seq; /* makes event keys and item ids unique */
};

/* web_notifier_ops, for web_new() with ticket_fixture_ctx(). */
extern const struct web_ticket_ops *const ticket_fixture_ops;

/*
 * A new, empty store in a new temporary file (removed by ticket_fixture_free()), or NULL
 * with the reason on stderr.
 */
struct ticket_fixture *ticket_fixture_new(void);
void ticket_fixture_free(struct ticket_fixture *tf);

/* Remove the SQLite file at path with its -wal and -shm files (missing ones are fine). */
void ticket_fixture_remove_db(const char *path);

/* The ops_ctx to give web_new() with ticket_fixture_ops (borrowed from tf). */
void *ticket_fixture_ctx(struct ticket_fixture *tf);

/*
 * Add a ticket from spec (borrowed), as one alert per item through the real intake:
 * {"title","level" (default IV),"department" ("" = 待分派),"co_departments":[...],
 * "source" (kind, default "rss"),"source_id","channel","url","excerpt","terms":[...],
 * "detected_at" (seconds, default now),"rules":[rule id],
 * "items":[{"item_id","title","url","channel","author","excerpt","published_at" (RFC 3339),
 * "source","source_id","terms":[...],"rules":[rule id],"rule_names":[name]}]}; without
 * items, one item is made of the ticket's own fields; only the first rule id and name count. The
 * number comes from the store's sequence; the clocks are the notifier's defaults. number_out (may
 * be NULL): at least 32 bytes. Returns 0, ERR_INVALID (spec) or the intake's error.
 */
int ticket_fixture_add(struct ticket_fixture *tf, json_t *spec, char *number_out);

/* How many transitions people made (ticket_log rows not written by the system). */
int64_t ticket_fixture_changes(struct ticket_fixture *tf);

#endif
