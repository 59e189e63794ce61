#include "change_feed.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "yq_db.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

#define FEED_POLL_MS 250         /* the longest wait for a notification: bounds stop latency */
#define FEED_BACKOFF_MIN_MS 250  /* first wait before reconnecting */
#define FEED_BACKOFF_MAX_MS 8000 /* the ceiling of the doubling */

struct change_feed {
    char *location;
    struct change_feed_hooks hooks;
    pthread_t thread;
    atomic_bool stop;
    atomic_bool live;
    atomic_llong count;
    char schema[128]; /* the store's schema: NOTIFY is database-wide (feed thread only) */
};

static void set_live(struct change_feed *f, bool live)
{
    if (atomic_exchange(&f->live, live) != live && f->hooks.on_live) {
        f->hooks.on_live(f->hooks.ctx, live);
    }
}

/* Sleep ms in FEED_POLL_MS slices, returning early once stopping. */
static void nap(struct change_feed *f, int64_t ms)
{
    while (ms > 0 && !atomic_load(&f->stop)) {
        int64_t step = ms < FEED_POLL_MS ? ms : FEED_POLL_MS;
        struct timespec ts = {(time_t)(step / 1000), (long)(step % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        ms -= step;
    }
}

/*
 * Whether payload names a schema other than the store's ({"table":..,"schema":..} from
 * migration 13's trigger). Anything else (not JSON, no schema: anyone may NOTIFY) is a
 * wake-up like any other.
 */
static bool other_schema(const struct change_feed *f, const char *payload)
{
    json_t *j = json_loads(payload, 0, NULL);
    const char *schema = j ? json_string_value(json_object_get(j, "schema")) : NULL;
    bool other = schema && f->schema[0] && strcmp(schema, f->schema) != 0;

    json_decref(j);
    return other;
}

/* A connection that LISTENs, or NULL (logged once per outage through *warned). */
static struct yq_db *connect_listen(struct change_feed *f, bool *warned)
{
    struct yq_db *db = NULL;
    char why[256] = "";
    int err = yq_db_open(f->location, 0, 5000, &db, why, sizeof(why));

    if (!err) {
        /* whose changes are ours: several stores may be schemas of one database */
        struct yq_stmt *st = NULL;
        f->schema[0] = '\0';
        if (yq_stmt_prepare(db, "SELECT current_schema()", &st) == YQ_DB_OK &&
            yq_stmt_step(st) == YQ_DB_ROW && yq_stmt_column_text(st, 0)) {
            snprintf(f->schema, sizeof(f->schema), "%s", yq_stmt_column_text(st, 0));
        }
        yq_stmt_finalize(st);
    }
    if (!err && (err = yq_db_listen(db, CHANGE_FEED_CHANNEL)) != 0) {
        snprintf(why, sizeof(why), "LISTEN failed: %s", yq_db_errmsg(db));
    }
    if (err) {
        if (!*warned) {
            LOG_WARN("change feed down, live updates from other notifiers wait for the next poll "
                     "reason='%s'",
                     why);
            *warned = true;
        }
        yq_db_close(db);
        return NULL;
    }
    return db;
}

static void *run(void *arg)
{
    struct change_feed *f = arg;
    struct yq_db *db = NULL;
    int64_t backoff = FEED_BACKOFF_MIN_MS;
    bool warned = false;

    while (!atomic_load(&f->stop)) {
        char chan[64];
        char *payload = NULL;
        int rc;

        if (!db) {
            db = connect_listen(f, &warned);
            if (!db) {
                nap(f, backoff);
                backoff = backoff * 2 > FEED_BACKOFF_MAX_MS ? FEED_BACKOFF_MAX_MS : backoff * 2;
                continue;
            }
            if (warned) {
                LOG_INFO("change feed listening again");
            }
            warned = false;
            backoff = FEED_BACKOFF_MIN_MS;
            set_live(f, true);
            f->hooks.on_change(f->hooks.ctx, ""); /* whatever changed while not listening */
        }
        rc = yq_db_poll_notify(db, FEED_POLL_MS, chan, sizeof(chan), &payload);
        if (rc == 1 && other_schema(f, payload)) {
            free(payload); /* another store's change in the same database */
        } else if (rc == 1) {
            atomic_fetch_add(&f->count, 1);
            f->hooks.on_change(f->hooks.ctx, payload);
            free(payload);
        } else if (rc < 0) {
            /* a lost session (ERR_IO) or a reconnect that forgot the LISTEN (ERR_RETRY) */
            LOG_WARN("change feed connection lost err='%s': reconnecting", yq_strerror(rc));
            warned = true;
            set_live(f, false);
            yq_db_close(db);
            db = NULL;
        }
    }
    set_live(f, false);
    yq_db_close(db);
    return NULL;
}

int change_feed_start(const char *location, const struct change_feed_hooks *hooks,
                      struct change_feed **out)
{
    struct change_feed *f;

    *out = NULL;
    if (!location || yq_db_backend_of(location) != YQ_DB_PG || !hooks || !hooks->on_change) {
        return ERR_INVALID;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        return ERR_NOMEM;
    }
    f->location = strdup(location);
    f->hooks = *hooks;
    atomic_init(&f->stop, false);
    atomic_init(&f->live, false);
    atomic_init(&f->count, 0);
    if (!f->location || pthread_create(&f->thread, NULL, run, f) != 0) {
        free(f->location);
        free(f);
        return ERR_NOMEM;
    }
    *out = f;
    return 0;
}

int64_t change_feed_count(const struct change_feed *f)
{
    return atomic_load(&((struct change_feed *)f)->count);
}

bool change_feed_live(const struct change_feed *f)
{
    return atomic_load(&((struct change_feed *)f)->live);
}

void change_feed_stop(struct change_feed *f)
{
    if (!f) {
        return;
    }
    atomic_store(&f->stop, true);
    pthread_join(f->thread, NULL);
    free(f->location);
    free(f);
}
