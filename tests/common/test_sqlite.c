/*
 * common/yq_sqlite: the pragmas an open sets (queried back), the one mapping of SQLite codes to
 * ERR_* (a file that is not a database, a read-only open of a missing file, a locked write),
 * and migrations on one schema_version track: order, idempotence, a gap, a newer file, a
 * failing step, and several connections migrating one new file at once.
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sqlite_fixture.h"
#include "yq_err.h"
#include "yq_db.h"

struct tmp_db {
    char dir[64];
    char path[128];
};

static void tmp_db_make(struct tmp_db *t)
{
    snprintf(t->dir, sizeof(t->dir), "/tmp/yq-sqlite-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
}

static void tmp_db_remove(struct tmp_db *t)
{
    char side[160];

    for (int i = 0; i < 3; i++) {
        snprintf(side, sizeof(side), "%s%s", t->path, i == 0 ? "" : i == 1 ? "-wal" : "-shm");
        unlink(side);
    }
    rmdir(t->dir);
}

/* --- open and pragmas ------------------------------------------------------------------ */

static void test_open_sets_the_project_pragmas(void **state)
{
    struct tmp_db t;
    struct yq_db *db = NULL, *ro = NULL;
    char err[256] = "";

    (void)state;
    tmp_db_make(&t);
    assert_int_equal(
        yq_db_open(t.path, YQ_DB_CREATE | YQ_DB_WAL, 1234, &db, err, sizeof(err)), 0);
    sqlite_fixture_text_is(db, "PRAGMA journal_mode", "wal");
    assert_int_equal(sqlite_fixture_scalar(db, "PRAGMA synchronous"), 2); /* FULL */
    assert_int_equal(sqlite_fixture_scalar(db, "PRAGMA foreign_keys"), 1);
    assert_int_equal(sqlite_fixture_scalar(db, "PRAGMA busy_timeout"), 1234);
    assert_int_equal(yq_db_exec(db, "CREATE TABLE t (x INTEGER)", "create", err, sizeof(err)),
                     0);

    /* read-only: the same lock wait and foreign keys; the file stays in WAL */
    assert_int_equal(yq_db_open(t.path, YQ_DB_READONLY_OPEN, 700, &ro, err, sizeof(err)), 0);
    assert_int_equal(sqlite_fixture_scalar(ro, "PRAGMA busy_timeout"), 700);
    assert_int_equal(sqlite_fixture_scalar(ro, "PRAGMA foreign_keys"), 1);
    sqlite_fixture_text_is(ro, "PRAGMA journal_mode", "wal");
    assert_int_equal(yq_db_exec(ro, "INSERT INTO t VALUES (1)", "insert", err, sizeof(err)),
                     ERR_IO); /* YQ_DB_READONLY */
    assert_non_null(strstr(err, "insert: "));
    assert_non_null(strstr(err, "readonly"));
    assert_int_equal(yq_db_close(ro), 0);

    /* without WAL a new file keeps SQLite's default journal */
    assert_int_equal(yq_db_close(db), 0);
    tmp_db_remove(&t);
    tmp_db_make(&t);
    assert_int_equal(yq_db_open(t.path, YQ_DB_CREATE, -1, &db, err, sizeof(err)), 0);
    sqlite_fixture_text_is(db, "PRAGMA journal_mode", "delete");
    assert_int_equal(sqlite_fixture_scalar(db, "PRAGMA busy_timeout"),
                     5000); /* out of range: the default */
    assert_int_equal(yq_db_close(db), 0);
    tmp_db_remove(&t);
}

static void test_memory_database_keeps_its_journal(void **state)
{
    const char *paths[] = {":memory:", "", "file::memory:", "file:x?mode=memory&cache=private"};
    char err[256] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        struct yq_db *db = NULL;
        assert_true(yq_db_is_memory(paths[i]));
        assert_int_equal(yq_db_open(paths[i], YQ_DB_WAL | YQ_DB_SERIALIZED, 100, &db,
                                        err, sizeof(err)),
                         0);
        /* "" is SQLite's private temporary database: not WAL either, and no error */
        sqlite_fixture_text_is(db, "PRAGMA journal_mode", paths[i][0] ? "memory" : "delete");
        assert_int_equal(sqlite_fixture_scalar(db, "PRAGMA foreign_keys"), 1);
        assert_int_equal(yq_db_close(db), 0);
    }
    assert_false(yq_db_is_memory("run/tickets.db"));
    assert_false(yq_db_is_memory("file:run/tickets.db"));
}

/* --- error mapping ----------------------------------------------------------------------- */

static void test_error_mapping_table(void **state)
{
    static const struct {
        int rc;
        int want;
    } cases[] = {
        {YQ_DB_OK, 0},
        {YQ_DB_ROW, 0},
        {YQ_DB_DONE, 0},
        {YQ_DB_BUSY, ERR_RETRY},
        {SQLITE_BUSY_SNAPSHOT, ERR_RETRY},
        {YQ_DB_LOCKED, ERR_RETRY},
        {SQLITE_LOCKED_SHAREDCACHE, ERR_RETRY},
        {YQ_DB_NOMEM, ERR_NOMEM},
        {YQ_DB_CONSTRAINT, ERR_INVALID},
        {SQLITE_CONSTRAINT_UNIQUE, ERR_INVALID},
        {YQ_DB_MISMATCH, ERR_INVALID},
        {YQ_DB_TOOBIG, ERR_INVALID},
        {YQ_DB_RANGE, ERR_INVALID},
        {YQ_DB_CORRUPT, ERR_PARSE},
        {YQ_DB_NOTADB, ERR_PARSE},
        {YQ_DB_FULL, ERR_IO},
        {YQ_DB_IOERR, ERR_IO},
        {SQLITE_IOERR_WRITE, ERR_IO},
        {YQ_DB_CANTOPEN, ERR_IO},
        {YQ_DB_READONLY, ERR_IO},
        {SQLITE_PERM, ERR_IO},
        {YQ_DB_ERROR, ERR_IO},
    };
    char err[128] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (yq_db_err(cases[i].rc) != cases[i].want) {
            fail_msg("rc=%d gave %d, want %d", cases[i].rc, yq_db_err(cases[i].rc),
                     cases[i].want);
        }
    }
    /* without a connection the reason is SQLite's text for the code */
    assert_int_equal(yq_db_fail(NULL, YQ_DB_FULL, "write", err, sizeof(err)), ERR_IO);
    assert_string_equal(err, "write: database or disk is full (rc=13)");
}

static void test_file_that_is_not_a_database(void **state)
{
    struct tmp_db t;
    struct yq_db *db = NULL;
    char err[512] = "", junk[4096];
    int fd;

    (void)state;
    tmp_db_make(&t);
    memset(junk, 'x', sizeof(junk));
    fd = open(t.path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, junk, sizeof(junk)), (ssize_t)sizeof(junk));
    close(fd);
    for (int ro = 0; ro < 2; ro++) {
        assert_int_equal(yq_db_open(t.path, ro ? YQ_DB_READONLY_OPEN : YQ_DB_WAL, 100, &db,
                                        err, sizeof(err)),
                         ERR_PARSE);
        assert_null(db);
        assert_non_null(strstr(err, t.path));
        assert_non_null(strstr(err, "not a database"));
    }
    tmp_db_remove(&t);
}

static void test_readonly_open_of_a_missing_file(void **state)
{
    struct tmp_db t;
    struct yq_db *db = NULL;
    char err[256] = "";

    (void)state;
    tmp_db_make(&t);
    assert_int_equal(yq_db_open(t.path, YQ_DB_READONLY_OPEN, 100, &db, err, sizeof(err)),
                     ERR_NOT_FOUND);
    assert_null(db);
    assert_non_null(strstr(err, t.path));
    assert_non_null(strstr(err, "does not exist"));
    /* read-write without CREATE does not create it either */
    assert_int_equal(yq_db_open(t.path, YQ_DB_WAL, 100, &db, err, sizeof(err)),
                     ERR_NOT_FOUND);
    assert_int_equal(access(t.path, F_OK), -1);
    /* read-only never creates, even when asked to */
    assert_int_equal(
        yq_db_open(t.path, YQ_DB_READONLY_OPEN | YQ_DB_CREATE, 100, &db, err, sizeof(err)),
        ERR_NOT_FOUND);
    tmp_db_remove(&t);
}

static void test_locked_write_is_retry_later(void **state)
{
    struct tmp_db t;
    struct yq_db *a = NULL, *b = NULL;
    struct yq_stmt *st = NULL;
    char err[256] = "";

    (void)state;
    tmp_db_make(&t);
    assert_int_equal(
        yq_db_open(t.path, YQ_DB_CREATE | YQ_DB_WAL, 1000, &a, err, sizeof(err)), 0);
    assert_int_equal(
        yq_db_exec(a, "CREATE TABLE t (x INTEGER PRIMARY KEY)", "create", err, sizeof(err)), 0);
    assert_int_equal(yq_db_open(t.path, YQ_DB_WAL, 0, &b, err, sizeof(err)), 0);
    assert_int_equal(yq_db_exec(a, "BEGIN IMMEDIATE", "begin", err, sizeof(err)), 0);
    assert_int_equal(yq_db_exec(b, "INSERT INTO t VALUES (1)", "insert", err, sizeof(err)),
                     ERR_RETRY);
    assert_non_null(strstr(err, "insert: database is locked"));
    /* prepare + step report the same way and leave the statement to the caller */
    assert_int_equal(
        yq_db_prepare(b, "INSERT INTO t VALUES (2)", &st, "prepare", err, sizeof(err)), 0);
    assert_int_equal(yq_db_step(b, st, "step", err, sizeof(err)), ERR_RETRY);
    yq_stmt_finalize(st);
    yq_db_rollback(a);
    yq_db_rollback(a); /* no transaction: nothing to do */
    assert_int_equal(yq_db_exec(b, "INSERT INTO t VALUES (1)", "insert", err, sizeof(err)), 0);
    /* a constraint is this value's fault: permanent, not retry */
    assert_int_equal(yq_db_exec(b, "INSERT INTO t VALUES (1)", "insert", err, sizeof(err)),
                     ERR_INVALID);
    assert_int_equal(yq_db_prepare(b, "SELECT nope FROM t", &st, "bad", err, sizeof(err)),
                     ERR_IO);
    assert_null(st);
    assert_non_null(strstr(err, "no such column"));
    assert_int_equal(yq_db_close(b), 0);
    assert_int_equal(yq_db_close(a), 0);
    assert_int_equal(yq_db_close(NULL), 0);
    tmp_db_remove(&t);
}

/* --- migrations ---------------------------------------------------------------------------- */

static int applied_by_fn; /* how often step_fn ran (the single-threaded tests) */

static int step_fn(struct yq_db *db, char *errbuf, size_t errlen)
{
    applied_by_fn++;
    return yq_db_exec(db, "INSERT INTO trail VALUES (3, 'fn')", "trail", errbuf, errlen);
}

static const struct yq_db_migration steps[] = {
    {1, "trail", "CREATE TABLE trail (v INTEGER, how TEXT); INSERT INTO trail VALUES (1, 'sql')",
     NULL, NULL},
    {2, "second", "INSERT INTO trail VALUES (2, 'sql')", NULL, NULL},
    {3, "by function", NULL, step_fn, NULL},
};

static const struct yq_db_schema schema = {"test db", steps, 3};

static void test_migrations_in_order_once(void **state)
{
    struct yq_db *db = NULL;
    char err[256] = "";
    int version = -1;

    (void)state;
    applied_by_fn = 0;
    assert_int_equal(yq_db_open(":memory:", YQ_DB_WAL, 100, &db, err, sizeof(err)), 0);
    assert_int_equal(yq_db_schema_version(db, &version, err, sizeof(err)), 0);
    assert_int_equal(version, 0); /* no track yet */
    assert_int_equal(yq_db_migrate(db, &schema, 100, err, sizeof(err)), 0);
    assert_int_equal(yq_db_schema_version(db, &version, err, sizeof(err)), 0);
    assert_int_equal(version, 3);
    assert_int_equal(sqlite_fixture_scalar(db, "SELECT group_concat(v, ',') = '1,2,3' FROM trail"),
                     1);
    assert_int_equal(
        sqlite_fixture_scalar(db, "SELECT count(*) FROM schema_version WHERE applied_at > 0"), 3);
    assert_int_equal(applied_by_fn, 1);

    /* idempotent: an up-to-date file is left alone */
    for (int i = 0; i < 3; i++) {
        assert_int_equal(yq_db_migrate(db, &schema, 100, err, sizeof(err)), 0);
    }
    assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM trail"), 3);
    assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM schema_version"), 3);
    assert_int_equal(applied_by_fn, 1);

    /* a missing version in the middle is applied again, alone */
    assert_int_equal(
        yq_db_exec_raw(db, "DELETE FROM schema_version WHERE version = 2"),
        YQ_DB_OK);
    assert_int_equal(yq_db_migrate(db, &schema, 100, err, sizeof(err)), 0);
    assert_int_equal(
        sqlite_fixture_scalar(db, "SELECT group_concat(v, ',') = '1,2,3,2' FROM trail"), 1);
    assert_int_equal(
        sqlite_fixture_scalar(db, "SELECT count(DISTINCT version) FROM schema_version"), 3);
    assert_int_equal(applied_by_fn, 1);
    assert_int_equal(yq_db_close(db), 0);
}

static void test_newer_file_is_refused_unchanged(void **state)
{
    struct yq_db *db = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(yq_db_open(":memory:", YQ_DB_WAL, 100, &db, err, sizeof(err)), 0);
    assert_int_equal(
        yq_db_exec_raw(db, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                     "applied_at INTEGER NOT NULL);"
                     "INSERT INTO schema_version VALUES (1, 1), (2, 1), (3, 1), (4, 1)"),
        YQ_DB_OK);
    assert_int_equal(yq_db_migrate(db, &schema, 100, err, sizeof(err)), ERR_BAD_STATE);
    assert_string_equal(err, "test db schema 4 is newer than this binary (3)");
    assert_int_equal(
        sqlite_fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'trail'"), 0);
    assert_int_equal(yq_db_close(db), 0);
}

static void test_failing_migration_rolls_back_alone(void **state)
{
    static const struct yq_db_migration bad_steps[] = {
        {1, "trail", "CREATE TABLE trail (v INTEGER, how TEXT)", NULL, NULL},
        {2, "half", "CREATE TABLE half (x); INSERT INTO nowhere VALUES (1)", NULL, NULL},
    };
    static const struct yq_db_schema bad = {"test db", bad_steps, 2};
    static const struct yq_db_migration gap_steps[] = {{1, "one", "SELECT 1", NULL, NULL},
                                                           {3, "three", "SELECT 3", NULL, NULL}};
    static const struct yq_db_schema gap = {"gap db", gap_steps, 2};
    struct yq_db *db = NULL;
    char err[256] = "";
    int version = -1;

    (void)state;
    assert_int_equal(yq_db_open(":memory:", YQ_DB_WAL, 100, &db, err, sizeof(err)), 0);
    assert_int_equal(yq_db_migrate(db, &bad, 100, err, sizeof(err)), ERR_IO);
    assert_non_null(strstr(err, "test db migration 2 (half) failed: "));
    assert_non_null(strstr(err, "no such table: nowhere"));
    assert_int_equal(yq_db_schema_version(db, &version, err, sizeof(err)), 0);
    assert_int_equal(version, 1); /* migration 1 stays */
    assert_int_equal(
        sqlite_fixture_scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'half'"), 0);
    assert_int_equal(!yq_db_in_transaction(db), 1); /* no transaction left open */

    /* a table numbered wrongly is a programmer's error, caught before anything runs */
    assert_int_equal(yq_db_migrate(db, &gap, 100, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "migration 2 is numbered 3"));
    assert_int_equal(yq_db_close(db), 0);
}

struct racer {
    const char *path;
    pthread_barrier_t *barrier;
    int err;
    char errbuf[256];
};

static int racing_fn(struct yq_db *db, char *errbuf, size_t errlen)
{
    /* not idempotent: a second run would fail on the primary key */
    return yq_db_exec(db, "INSERT INTO once VALUES (3)", "once", errbuf, errlen);
}

static const struct yq_db_migration race_steps[] = {
    {1, "once", "CREATE TABLE once (v INTEGER PRIMARY KEY); INSERT INTO once VALUES (1)", NULL, NULL},
    {2, "two", "INSERT INTO once VALUES (2)", NULL, NULL},
    {3, "three", NULL, racing_fn, NULL},
};

static const struct yq_db_schema race_schema = {"race db", race_steps, 3};

static void *racer_run(void *p)
{
    struct racer *r = p;
    struct yq_db *db = NULL;

    pthread_barrier_wait(r->barrier);
    r->err = yq_db_open(r->path, YQ_DB_CREATE | YQ_DB_WAL, 10000, &db, r->errbuf,
                            sizeof(r->errbuf));
    if (!r->err) {
        r->err = yq_db_migrate(db, &race_schema, 10000, r->errbuf, sizeof(r->errbuf));
    }
    yq_db_close(db);
    return NULL;
}

/*
 * Two or more processes starting at once on a new file (issue #10): each connection switches
 * it to WAL and migrates; the track is read inside the write transaction, so all succeed and
 * each migration runs once. Fresh files each round widen the race.
 */
static void test_concurrent_start_migrates_once(void **state)
{
    enum { N = 4 };

    (void)state;
    for (int round = 0; round < 8; round++) {
        struct tmp_db t;
        struct racer r[N];
        pthread_t th[N];
        pthread_barrier_t barrier;
        struct yq_db *db = NULL;
        char err[256] = "";

        tmp_db_make(&t);
        assert_int_equal(pthread_barrier_init(&barrier, NULL, N), 0);
        for (int i = 0; i < N; i++) {
            memset(&r[i], 0, sizeof(r[i]));
            r[i].path = t.path;
            r[i].barrier = &barrier;
            assert_int_equal(pthread_create(&th[i], NULL, racer_run, &r[i]), 0);
        }
        for (int i = 0; i < N; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
        }
        pthread_barrier_destroy(&barrier);
        for (int i = 0; i < N; i++) {
            if (r[i].err != 0) {
                fail_msg("round %d connection %d: %s", round, i, r[i].errbuf);
            }
        }
        assert_int_equal(yq_db_open(t.path, YQ_DB_READONLY_OPEN, 1000, &db, err, sizeof(err)),
                         0);
        sqlite_fixture_text_is(db, "PRAGMA journal_mode", "wal");
        assert_int_equal(
            sqlite_fixture_scalar(db, "SELECT group_concat(v, ',') = '1,2,3' FROM once"), 1);
        assert_int_equal(sqlite_fixture_scalar(db, "SELECT count(*) FROM schema_version"), 3);
        assert_int_equal(yq_db_close(db), 0);
        tmp_db_remove(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_sets_the_project_pragmas),
        cmocka_unit_test(test_memory_database_keeps_its_journal),
        cmocka_unit_test(test_error_mapping_table),
        cmocka_unit_test(test_file_that_is_not_a_database),
        cmocka_unit_test(test_readonly_open_of_a_missing_file),
        cmocka_unit_test(test_locked_write_is_retry_later),
        cmocka_unit_test(test_migrations_in_order_once),
        cmocka_unit_test(test_newer_file_is_refused_unchanged),
        cmocka_unit_test(test_failing_migration_rolls_back_alone),
        cmocka_unit_test(test_concurrent_start_migrates_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
