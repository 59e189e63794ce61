/*
 * `yuqingctl store migrate` (store_migrate.h): a SQLite store with tickets, items, log, clock
 * history, events, a department, a user with a session and an API token, a published report
 * and a blind window is copied into a new store and read back through ticket_store_* and
 * web_auth_* with the same values: a login works with the old password, the log is still
 * append-only, the clock history is not doubled by the triggers, new tickets get new ids. Then:
 * the reverse copy gives the source's checksums again, a tampered copy is caught, a non-empty
 * target, a source at an older schema and a table the copy does not know are refused, and a
 * copy that fails half-way leaves the target empty.
 *
 * The target is a PostgreSQL schema in the -pg run (db_fixture.h), a second SQLite file
 * otherwise (the same code path on the SQLite side).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db_fixture.h"
#include "file_fixture.h"
#include "notifier_fixture.h"
#include "source_blind.h"
#include "store_cli.h"
#include "store_migrate.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "web_auth.h"
#include "yq_db.h"
#include "yq_err.h"

#define PASSWORD "Migrate-Old-Password-7"

struct env {
    char dir[64];
    char src[256];   /* SQLite source */
    char dst[512];   /* the target: PostgreSQL in -pg, else a second SQLite file */
    char back[256];  /* the reverse copy (SQLite) */
    char numbers[3][32];
    char token[64];
};

/* Run sql on store's database: 0 or the ERR_* code. */
static int store_exec(struct ticket_store *store, const char *sql, const char *what)
{
    char err[256];
    return yq_db_exec(ticket_store_db(store), sql, what, err, sizeof(err));
}

static void exec_ok(const char *location, const char *sql)
{
    struct yq_db *db = NULL;
    char err[512] = "";
    if (yq_db_open(location, 0, 1000, &db, err, sizeof(err)) != 0 ||
        yq_db_exec(db, sql, "test", err, sizeof(err)) != 0) {
        fail_msg("%s: %s", sql, err);
    }
    yq_db_close(db);
}

static int64_t count_at(const char *location, const char *sql)
{
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
    char err[512] = "";
    int64_t n = -1;
    assert_int_equal(yq_db_open(location, YQ_DB_READONLY_OPEN, 1000, &db, err, sizeof(err)), 0);
    assert_int_equal(yq_db_prepare(db, sql, &st, "count", err, sizeof(err)), 0);
    if (yq_db_step(db, st, "count", err, sizeof(err)) == 1) {
        n = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    yq_db_close(db);
    return n;
}

static void store_create(const char *location)
{
    struct ticket_store_cfg cfg = {.path = (char *)location, .busy_timeout_ms = 1000};
    char err[512] = "";
    bool created = false;
    if (ticket_store_init(&cfg, &created, err, sizeof(err)) != 0) {
        fail_msg("init %s: %s", location, err);
    }
}

/* Fill the SQLite source with a bit of everything. */
static void fill_source(struct env *e)
{
    struct ticket_store_cfg cfg = {.path = e->src, .busy_timeout_ms = 1000};
    struct ticket_store *store = NULL;
    char err[512] = "";
    static const char *const keys[3] = {"ev:mig1", "ev:mig2", "ev:mig3"};

    store_create(e->src);
    assert_int_equal(ticket_store_open(&cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* tickets at intake */
    assert_int_equal(ticket_store_write_probe(store), 0);            /* as a notifier leaves it */
    for (int i = 0; i < 3; i++) {
        struct test_alert_spec s = TEST_ALERT_LAND(keys[i], "rss:mig", "III",
                                                   "2026-11-30T09:00:00+08:00",
                                                   "2026-11-30T08:30:00+08:00", 40.0 + i);
        char item[32];
        struct ticket_intake_result res;
        snprintf(item, sizeof(item), "rss:mig%d", i);
        s.item_id = item;
        assert_int_equal(notifier_intake(store, &s, notifier_ts(s.matched_at) + i, &res), 0);
        memcpy(e->numbers[i], res.number, 32);
    }
    /* a second item on the first ticket, an assignment (a clock-history row by trigger) */
    {
        struct test_alert_spec s = TEST_ALERT_LAND("ev:mig1", "rss:mig1b", "II",
                                                   "2026-11-30T10:00:00+08:00", NULL, 55.0);
        struct ticket_intake_result res;
        assert_int_equal(notifier_intake(store, &s, notifier_ts(s.matched_at), &res), 0);
    }
    struct ticket_action a = {.kind = TICKET_ACT_ASSIGN, .number = e->numbers[0],
                              .actor = "值班员甲", .department = "市自然资源局"};
    notifier_apply_ok(store, &a, notifier_ts("2026-11-30T11:00:00+08:00"), NULL);
    /* a published report (append-only) and a blind window */
    assert_int_equal(
        store_exec(store,
                          "INSERT INTO stats_publications (period, window_start, cutoff,"
                          " published_at, published_by, role, report_json, report_text,"
                          " report_csv, report_html, tickets_json) VALUES ('2026-10', 1790000000,"
                          " 1793000000, 1793000100, '主任', 'head', '{\"n\":3}', '十月 3 件',"
                          " 'n\n3\n', '<p>3</p>', '{}')",
                          "publication"),
        0);
    assert_int_equal(
        store_exec(store,
                          "INSERT INTO source_blind_windows (source_id, source_name, source_kind,"
                          " department, reason, detail, started_at, ended_at, opened_at,"
                          " closed_at) VALUES ('weibo-ak', '安康发布', 'weibo', '市委网信办',"
                          " 'walled', '登录墙', 1795000000, 1795003600, 1795000100, 1795003700)",
                          "blind window"),
        0);
    ticket_store_free(store);
    /* a table the store makes on first use (outbox.c's channel_faults), not by a migration */
    exec_ok(e->src, "CREATE TABLE IF NOT EXISTS channel_faults (channel TEXT PRIMARY KEY,"
                    " failing INTEGER NOT NULL DEFAULT 0 CHECK (failing IN (0, 1)),"
                    " faults INTEGER NOT NULL DEFAULT 0, failing_since INTEGER,"
                    " last_error TEXT NOT NULL DEFAULT '', recovered_at INTEGER);"
                    "INSERT INTO channel_faults (channel, failing, faults, failing_since,"
                    " last_error) VALUES ('wecom-duty', 1, 2, 1795000000, 'errcode 40014')");

    /* web: a department, a liaison with a session and an API token */
    struct web_auth_cfg ac = notifier_fixture_auth_cfg();
    struct web_auth *wa = NULL;
    char session[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry = 0;
    assert_int_equal(web_auth_open(&ac, e->src, &wa, err, sizeof(err)), 0);
    assert_int_equal(web_department_add(wa, "市自然资源局", "局长", 1795000000), 0);
    assert_int_equal(web_user_add(wa, "liaison_zr", "联络员乙", WEB_ROLE_LIAISON, "市自然资源局",
                                  PASSWORD, false, 1795000000, NULL, err, sizeof(err)),
                     0);
    assert_int_equal(web_token_create(wa, "liaison_zr", "脚本", 0, 1795000000, e->token,
                                      sizeof(e->token), NULL),
                     0);
    assert_int_equal(web_login(wa, "liaison_zr", PASSWORD, "127.0.0.1", 1795000100, session, &p,
                               &retry),
                     0);
    web_auth_free(wa);
}

static int setup(void **state)
{
    struct env *e = calloc(1, sizeof(*e));
    char sqlite_dst[128];

    snprintf(e->dir, sizeof(e->dir), "/tmp/yq-mig-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->src, sizeof(e->src), "%s/src.db", e->dir);
    snprintf(e->back, sizeof(e->back), "sqlite:%s/back.db", e->dir);
    snprintf(sqlite_dst, sizeof(sqlite_dst), "%s/dst.db", e->dir);
    db_fixture_new(e->dst, sizeof(e->dst), sqlite_dst);
    fill_source(e);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    struct env *e = *state;
    db_fixture_drop(e->dst);
    assert_int_equal(file_fixture_remove_dir(e->dir), 0);
    free(e);
    return 0;
}

static void migrate_ok(const char *from, const char *to)
{
    char err[1024] = "";
    int64_t rows = 0;
    if (store_migrate_copy(from, to, NULL, 1000, &rows, err, sizeof(err)) != 0) {
        fail_msg("migrate %s -> %s: %s", from, to, err);
    }
    assert_true(rows > 20);
}

/* The report of from vs to; fails the test when it cannot be made. */
static void verify(const char *from, const char *to, struct store_migrate_report *r)
{
    char err[1024] = "";
    if (store_migrate_verify(from, to, 1000, r, err, sizeof(err)) != 0) {
        fail_msg("verify: %s", err);
    }
}

static const struct store_migrate_check *check_of(const struct store_migrate_report *r,
                                                  const char *table)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->tables[i].table, table) == 0) {
            return &r->tables[i];
        }
    }
    fail_msg("no check of %s", table);
    return NULL;
}

static void test_copy_reads_back_the_same(void **state)
{
    struct env *e = *state;
    struct ticket_store_cfg scfg = {.path = e->src, .busy_timeout_ms = 1000};
    struct ticket_store_cfg dcfg = {.path = e->dst, .busy_timeout_ms = 1000};
    struct ticket_store *s = NULL, *d = NULL;
    struct store_migrate_report r;
    char err[512] = "";

    migrate_ok(e->src, e->dst);
    verify(e->src, e->dst, &r);
    assert_true(store_migrate_report_ok(&r));
    assert_int_equal(check_of(&r, "tickets")->rows_to, 3);
    assert_int_equal(check_of(&r, "ticket_items")->rows_to, 4);
    assert_int_equal(check_of(&r, "web_users")->rows_to, 1);
    assert_int_equal(check_of(&r, "web_api_tokens")->rows_to, 1);
    assert_int_equal(check_of(&r, "web_sessions")->rows_to, 1);
    assert_int_equal(check_of(&r, "stats_publications")->rows_to, 1);
    assert_int_equal(check_of(&r, "source_blind_windows")->rows_to, 1);
    assert_int_equal(check_of(&r, "channel_faults")->rows_to, 1); /* created on the target */
    /* the history as in the source: 3 creations + the assignment, nothing added by triggers */
    assert_int_equal(check_of(&r, "ticket_clock_history")->rows_from, 4);
    assert_int_equal(check_of(&r, "ticket_clock_history")->rows_to, 4);
    store_migrate_report_release(&r);

    /* read back through the store's own functions */
    assert_int_equal(ticket_store_open(&scfg, &s, err, sizeof(err)), 0);
    if (ticket_store_open(&dcfg, &d, err, sizeof(err)) != 0) {
        fail_msg("open target: %s", err);
    }
    ticket_store_set_policy(d, notifier_policy_hand_over_all());
    /* the write probe's counter is not data: not copied (migration 16) */
    assert_int_equal(notifier_count(s, "SELECT count(*) FROM store_probe"), 1);
    assert_int_equal(notifier_count(d, "SELECT count(*) FROM store_probe"), 0);
    for (int i = 0; i < 3; i++) {
        struct ticket a, b;
        int64_t la = 0, lb = 0;
        struct ticket_item_list ia, ib;
        assert_int_equal(ticket_store_get_by_number(s, e->numbers[i], &a), 0);
        assert_int_equal(ticket_store_get_by_number(d, e->numbers[i], &b), 0);
        assert_int_equal(a.id, b.id);
        assert_string_equal(a.title, b.title);
        assert_string_equal(a.department, b.department);
        assert_int_equal(a.level, b.level);
        assert_int_equal(a.state, b.state);
        assert_int_equal(a.ack_deadline, b.ack_deadline);
        assert_int_equal(a.response_deadline, b.response_deadline);
        assert_int_equal(a.assigned_at, b.assigned_at);
        assert_true(a.score == b.score);
        assert_int_equal(ticket_store_count_log(s, a.id, &la), 0);
        assert_int_equal(ticket_store_count_log(d, b.id, &lb), 0);
        assert_int_equal(la, lb);
        assert_true(lb >= 1);
        assert_int_equal(ticket_store_list_items(s, a.id, 100, &ia), 0);
        assert_int_equal(ticket_store_list_items(d, b.id, 100, &ib), 0);
        assert_int_equal(ia.n, ib.n);
        for (size_t k = 0; k < ia.n; k++) {
            assert_string_equal(ia.v[k].item_id, ib.v[k].item_id);
        }
        ticket_item_list_release(&ia);
        ticket_item_list_release(&ib);
        ticket_release(&a);
        ticket_release(&b);
    }
    {
        struct ticket t;
        assert_int_equal(ticket_store_get_by_number(d, e->numbers[0], &t), 0);
        assert_string_equal(t.department, "市自然资源局");
        assert_int_equal(t.item_count, 2);
        ticket_release(&t);
    }
    struct source_blind_list bl;
    memset(&bl, 0, sizeof(bl));
    assert_int_equal(source_blind_list(d, NULL, 0, 2000000000, 10, &bl), 0);
    assert_int_equal(bl.n, 1);
    assert_string_equal(bl.v[0].source_name, "安康发布");
    assert_string_equal(bl.v[0].reason, "walled");
    assert_int_equal(bl.v[0].ended_at, 1795003600);
    source_blind_list_release(&bl);

    /* the log is still append-only there */
    assert_int_not_equal(store_exec(d, "UPDATE ticket_log SET note = 'x'", "tamper"), 0);
    assert_int_not_equal(store_exec(d, "DELETE FROM ticket_log", "tamper"), 0);
    assert_int_not_equal(store_exec(d, "DELETE FROM stats_publications", "tamper"), 0);

    /* a new ticket on the target: ids continue after the copied ones, the trigger is back */
    {
        struct test_alert_spec sp = TEST_ALERT_LAND("ev:after", "rss:after", "IV",
                                                    "2026-12-01T09:00:00+08:00", NULL, 10.0);
        struct ticket_intake_result res;
        int64_t before = notifier_count(d, "SELECT count(*) FROM ticket_clock_history");
        assert_int_equal(notifier_intake(d, &sp, notifier_ts(sp.matched_at), &res), 0);
        assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
        assert_true(res.ticket_id > 3);
        assert_int_equal(notifier_count(d, "SELECT count(*) FROM ticket_clock_history"),
                         before + 1);
    }
    ticket_store_free(s);
    ticket_store_free(d);

    /* the old password and the API token still work there */
    struct web_auth_cfg ac = notifier_fixture_auth_cfg();
    struct web_auth *wa = NULL;
    char session[WEB_TOKEN_LEN + 1];
    struct web_principal p;
    int64_t retry = 0;
    assert_int_equal(web_auth_open(&ac, e->dst, &wa, err, sizeof(err)), 0);
    assert_int_equal(web_login(wa, "liaison_zr", PASSWORD, "127.0.0.1", 1795000200, session, &p,
                               &retry),
                     0);
    assert_string_equal(p.user.department, "市自然资源局");
    assert_string_equal(p.user.display_name, "联络员乙");
    assert_int_not_equal(web_login(wa, "liaison_zr", "wrong-password-1", "127.0.0.1", 1795000300,
                                   session, &p, &retry),
                         0);
    memset(&p, 0, sizeof(p));
    assert_int_equal(web_token_lookup(wa, e->token, 1795000400, &p), 0);
    assert_string_equal(p.user.username, "liaison_zr");
    /* a new user gets a new id */
    int64_t uid = 0;
    assert_int_equal(web_user_add(wa, "duty2", NULL, WEB_ROLE_DUTY, NULL, PASSWORD, false,
                                  1795000500, &uid, err, sizeof(err)),
                     0);
    assert_true(uid > 1);
    web_auth_free(wa);
}

/* Back to SQLite: the copy of the copy has the source's checksums. */
static void test_reverse_direction(void **state)
{
    struct env *e = *state;
    struct store_migrate_report r1, r2;

    migrate_ok(e->src, e->dst);
    migrate_ok(e->dst, e->back);
    verify(e->src, e->back, &r1);
    assert_true(store_migrate_report_ok(&r1));
    verify(e->dst, e->back, &r2);
    assert_true(store_migrate_report_ok(&r2));
    assert_int_equal(r1.n, r2.n);
    for (size_t i = 0; i < r1.n; i++) {
        assert_string_equal(r1.tables[i].sum_from, r2.tables[i].sum_to);
    }
    assert_int_equal(check_of(&r1, "ticket_clock_history")->rows_to, 4);
    store_migrate_report_release(&r1);
    store_migrate_report_release(&r2);
}

static void test_tampered_copy_is_caught(void **state)
{
    struct env *e = *state;
    struct store_migrate_report r;

    migrate_ok(e->src, e->dst);
    exec_ok(e->dst, "UPDATE web_users SET display_name = '冒名' WHERE username = 'liaison_zr'");
    verify(e->src, e->dst, &r);
    assert_false(store_migrate_report_ok(&r));
    const struct store_migrate_check *c = check_of(&r, "web_users");
    assert_false(c->ok);
    assert_int_equal(c->rows_from, c->rows_to);
    assert_string_not_equal(c->sum_from, c->sum_to);
    assert_true(check_of(&r, "tickets")->ok);
    /* a row more is caught by the count */
    store_migrate_report_release(&r);
    exec_ok(e->dst, "INSERT INTO web_login_throttle (key, failures, first_at) VALUES ('x', 1, 0)");
    verify(e->src, e->dst, &r);
    c = check_of(&r, "web_login_throttle");
    assert_false(c->ok);
    assert_int_equal(c->rows_to, c->rows_from + 1);
    /* the printed table names the mismatch */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    store_migrate_report_print(&r, f);
    fclose(f);
    assert_non_null(strstr(buf, "table"));
    assert_non_null(strstr(buf, "MISMATCH"));
    free(buf);
    store_migrate_report_release(&r);
}

static void test_refusals(void **state)
{
    struct env *e = *state;
    char err[1024] = "", old[256], odd[256], loc2[512];

    /* a target that holds rows */
    migrate_ok(e->src, e->dst);
    assert_int_equal(store_migrate_copy(e->src, e->dst, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "not empty"));
    assert_non_null(strstr(err, "ticket_number_seq"));
    /* the same store on both sides */
    assert_int_equal(store_migrate_copy(e->src, e->src, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    /* a source at an older schema */
    snprintf(old, sizeof(old), "%s/old.db", e->dir);
    store_create(old);
    {
        char del[96];
        snprintf(del, sizeof(del), "DELETE FROM schema_version WHERE version = %d",
                 TICKET_STORE_SCHEMA_VERSION); /* the newest step: the store is one behind */
        exec_ok(old, del);
    }
    snprintf(loc2, sizeof(loc2), "%s/x.db", e->dir);
    assert_int_equal(store_migrate_copy(old, loc2, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "run the notifier once to migrate it first"));
    /* a table the copy does not know (a later migration's) */
    snprintf(odd, sizeof(odd), "%s/odd.db", e->dir);
    store_create(odd);
    exec_ok(odd, "CREATE TABLE ticket_votes (id INTEGER PRIMARY KEY)");
    assert_int_equal(store_migrate_copy(odd, loc2, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "ticket_votes"));
    /* no store at all */
    snprintf(old, sizeof(old), "%s/none.db", e->dir);
    assert_int_not_equal(store_migrate_copy(old, loc2, NULL, 1000, NULL, err, sizeof(err)), 0);
}

/* A row the target refuses (an item of a ticket that is not there) fails the copy: nothing. */
static void test_failed_copy_leaves_target_empty(void **state)
{
    struct env *e = *state;
    char err[1024] = "";

    exec_ok(e->src, "PRAGMA foreign_keys = OFF;"
                    "INSERT INTO ticket_items (id, ticket_id, item_id, added_at)"
                    " VALUES (900, 77, 'rss:orphan', 0)");
    assert_int_not_equal(store_migrate_copy(e->src, e->dst, NULL, 1000, NULL, err, sizeof(err)),
                         0);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM web_users"), 0);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM ticket_clock_history"), 0);
    /* fixed at the source, the same target takes the copy */
    exec_ok(e->src, "DELETE FROM ticket_items WHERE id = 900");
    migrate_ok(e->src, e->dst);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM tickets"), 3);
}

/* The command: usage errors exit 2, a good copy 0 with the table, a second copy 1. */
static void test_cli(void **state)
{
    struct env *e = *state;
    char *none[] = {"store", "migrate", NULL};
    char *no_to[] = {"store", "migrate", "--from", e->src, NULL};
    char *extra[] = {"store", "migrate", "--from", e->src, "--to", e->dst, "--bogus", NULL};
    char *empty[] = {"store", "migrate", "--from", "", "--to", e->dst, NULL};
    char *good[] = {"store", "migrate", "--from", e->src, "--to", e->dst, NULL};

    assert_int_equal(store_cli_main(2, none), 2);
    assert_int_equal(store_cli_main(4, no_to), 2);
    assert_int_equal(store_cli_main(7, extra), 2);
    assert_int_equal(store_cli_main(6, empty), 2);
    assert_int_equal(store_cli_main(6, good), 0);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM tickets"), 3);
    assert_int_equal(store_cli_main(6, good), 1); /* the target is no longer empty */
}

/*
 * Issue #16: a SQLite store a running notifier holds (ticket_store_lock_acquire()) is refused
 * as the source and as the target, naming the side and the holder's pid; nothing is written;
 * once the notifier is gone the same copy goes through.
 */
static void test_issue_16_notifier_held_store_is_refused(void **state)
{
    struct env *e = *state;
    struct ticket_store_cfg scfg = {.path = e->src, .busy_timeout_ms = 1000};
    struct ticket_store_lock *held = NULL;
    char err[1024] = "", pid[32], target[256];

    snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
    assert_int_equal(ticket_store_lock_acquire(&scfg, &held, err, sizeof(err)), 0);
    assert_int_equal(store_migrate_copy(e->src, e->dst, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "the source is in use"));
    assert_non_null(strstr(err, pid));
    assert_non_null(strstr(err, "stop that notifier"));
    ticket_store_lock_release(held);
    held = NULL;

    /* a SQLite target a notifier already runs on (created, so it can be held) */
    snprintf(target, sizeof(target), "sqlite:%s/held.db", e->dir);
    store_create(target);
    {
        struct ticket_store_cfg tcfg = {.path = target, .busy_timeout_ms = 1000};
        assert_int_equal(ticket_store_lock_acquire(&tcfg, &held, err, sizeof(err)), 0);
    }
    assert_int_equal(store_migrate_copy(e->src, target, NULL, 1000, NULL, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "the target is in use"));
    assert_non_null(strstr(err, pid));
    assert_int_equal(count_at(target, "SELECT count(*) FROM tickets"), 0);
    ticket_store_lock_release(held);

    /* the notifiers gone: both copies go through, and leave no hold behind */
    migrate_ok(e->src, target);
    migrate_ok(e->src, e->dst);
    assert_int_equal(count_at(e->dst, "SELECT count(*) FROM tickets"), 3);
    assert_int_equal(ticket_store_lock_acquire(&scfg, &held, err, sizeof(err)), 0);
    ticket_store_lock_release(held);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_copy_reads_back_the_same),
        FX(test_reverse_direction),
        FX(test_tampered_copy_is_caught),
        FX(test_refusals),
        FX(test_failed_copy_leaves_target_empty),
        FX(test_cli),
        FX(test_issue_16_notifier_held_store_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
