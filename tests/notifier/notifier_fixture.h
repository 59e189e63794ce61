/*
 * What the notifier's tests share (library yq_test_notifier): times, an in-memory ticket
 * store, intake of a test alert (test_alerts.h), counting rows, applying an action. Every
 * function fails the running cmocka test on an unexpected error, so call them from a test only.
 */
#ifndef NOTIFIER_FIXTURE_H
#define NOTIFIER_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "desk_policy.h"
#include "notify_cfg.h"
#include "test_alerts.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web_auth.h"

/* The instant of an RFC 3339 time (NUL-terminated), seconds since the epoch. */
int64_t notifier_ts(const char *iso);

/*
 * The login settings the auth tests use: 3 failures per account and 10 per address in 15 min
 * lock for 15 min, sessions 12 h (2 h idle), 2 concurrent logins, busy timeout 1 s, and the
 * cheapest password hash (opslimit 1, memlimit 8192 = crypto_pwhash_MEMLIMIT_MIN: fast tests).
 */
struct web_auth_cfg notifier_fixture_auth_cfg(void);

/* A ticket store's place in a new temporary directory (nothing created in it yet). */
struct notifier_tmp_store {
    char dir[32];                /* /tmp/yq-ts-XXXXXX, created */
    char path[256];              /* dir/file, or a PostgreSQL schema's URL (db_fixture.h) */
    struct ticket_store_cfg cfg; /* .path = path, .busy_timeout_ms = 1000; do not copy t */
};

/* Create the directory and name the store file in it (file may hold one subdirectory). */
void notifier_tmp_store_init(struct notifier_tmp_store *t, const char *file);

/* notifier_tmp_store_init(), then create the store there with ticket_store_init(). */
void notifier_tmp_store_create(struct notifier_tmp_store *t, const char *file);

/*
 * Remove the store file with its -wal, -shm and .lock files, its subdirectory (if any) and
 * the directory; what is already gone is skipped.
 */
void notifier_tmp_store_remove(struct notifier_tmp_store *t);

/*
 * The ticket tests' policy: defaults everywhere, but the desk policy hands every level over
 * at once (desk_policy_hand_over_all()), so every alert opens its ticket at intake as before
 * the 研判 inbox (issue #13). Tests of the inbox itself set their own policy. Static.
 */
const struct ticket_policy *notifier_policy_hand_over_all(void);

/*
 * A new ticket store in SQLite :memory: (busy timeout 1 s) with notifier_policy_hand_over_all()
 * set; free with ticket_store_free().
 */
struct ticket_store *notifier_store_memory(void);

/*
 * cmocka setup and teardown around a test of one store: *state becomes a new
 * notifier_store_memory() (the test reads it as struct ticket_store *), which the teardown
 * frees. Both return 0.
 */
int notifier_memory_store_setup(void **state);
int notifier_memory_store_teardown(void **state);

/* A :memory: ticket store with a routes file and the policy over them (notifier_env_open()). */
struct notifier_env {
    struct ticket_store *store;
    struct notify_routes routes;
    struct ticket_policy policy; /* the store points to it: do not copy an env */
};

/*
 * Open e (caller storage): notifier_store_memory() with the routes of routes_yaml (NUL-
 * terminated; must parse), a policy of those routes, the link base
 * "https://duty.example/ticket?number=" and desk (borrowed, may be NULL: the built-in desk
 * policy, I and II handed over at once), set on the store. Release with notifier_env_close().
 */
void notifier_env_open(struct notifier_env *e, const char *routes_yaml,
                       const struct desk_policy *desk);

/* Free e's store and routes. */
void notifier_env_close(struct notifier_env *e);

/* What each test of notifier_env_run_tests() is opened with: the routes file text and the desk policy (may be NULL). */
struct notifier_env_spec {
    const char *routes_yaml;
    const struct desk_policy *desk;
};

/*
 * Run the n tests (cmocka) as the group named group, each on an env of its own opened with
 * spec (borrowed; notifier_env_setup() and notifier_env_teardown() are set on every test).
 * Returns the number of tests that failed.
 */
struct CMUnitTest;
int notifier_env_run_tests(const char *group, struct CMUnitTest *tests, size_t n,
                           const struct notifier_env_spec *spec);

/*
 * Take the alert of spec (test_alert_make(); it must decode) into store at now; res may be
 * NULL. Returns the intake's result code (0, ERR_...).
 */
int notifier_intake(struct ticket_store *store, const struct test_alert_spec *spec, int64_t now,
                    struct ticket_intake_result *res);

/* The integer in the first column of the first row of sql (NUL-terminated) on store's database. */
int64_t notifier_count(struct ticket_store *store, const char *sql);

/*
 * Run sql (NUL-terminated) on store's database; fail the test unless it succeeds
 * (sqlite_fixture_exec()).
 */
void notifier_exec(struct ticket_store *store, const char *sql);

/*
 * Every row of sql on store's database as text, the same on SQLite and PostgreSQL (issue #16:
 * instead of group_concat, which PostgreSQL lacks, and of REAL and boolean values pasted into
 * text, which the two print differently): a row's columns joined by colsep, rows by rowsep;
 * NULL as "", integers and booleans (0/1) in decimal, REALs as SQLite prints them ("7.0",
 * "2.28571428571429"), text as it is. Order the rows with ORDER BY. New string (free()).
 */
char *notifier_rows_text(struct ticket_store *store, const char *sql, const char *colsep,
                         const char *rowsep);

/*
 * A corrupt stored JSON array column (a hand edit, a bad restore) must read as [] with one
 * warning in every reader, C and SQL filters alike, on both databases. For each corrupt text
 * naming name (not JSON, a JSON object and a JSON string holding it, a cut array): store it with
 * set_sql (one text parameter ?1) on store, call read_fn(store, ctx, got, len) with stderr
 * captured, then require got == want, exactly warnings lines "stored json column corrupt
 * column=<column>" (-1: at least one) in what it logged, and name nowhere in it. read_fn writes
 * what the readers gave (and any error code) as text into got; it must not assert (its
 * failure message would go to the captured stderr).
 */
void notifier_each_corrupt_json(struct ticket_store *store, const char *set_sql, const char *name,
                                const char *column, int warnings,
                                void (*read_fn)(struct ticket_store *store, void *ctx, char *got,
                                                size_t len),
                                void *ctx, const char *want);

/*
 * Parse the routes file text yaml (NUL-terminated; "channels", "duty_officer"...) into r
 * (release with notify_routes_release() whatever the result), secrets relative to no
 * directory. The YAML itself must load. Returns notify_routes_parse()'s code, its reason in
 * err.
 */
int notifier_routes_load(struct notify_routes *r, const char *yaml, char *err, size_t errlen);

/* Apply action a (borrowed) at now; res may be NULL. Fails the test with the flow's message
 * unless it succeeds. */
void notifier_apply_ok(struct ticket_store *store, const struct ticket_action *a, int64_t now,
                       struct ticket_action_result *res);

#endif
