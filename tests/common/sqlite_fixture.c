#include "sqlite_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include "yq_db.h"

int64_t sqlite_fixture_scalar(struct yq_db *db, const char *sql)
{
    struct yq_stmt *st = NULL;
    int64_t v = -1;

    if (yq_stmt_prepare(db, sql, &st) != YQ_DB_OK) {
        fail_msg("'%s': %s", sql, yq_db_errmsg(db));
    }
    if (yq_stmt_step(st) == YQ_DB_ROW) {
        v = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    return v;
}

void sqlite_fixture_text_is(struct yq_db *db, const char *sql, const char *want)
{
    struct yq_stmt *st = NULL;

    if (yq_stmt_prepare(db, sql, &st) != YQ_DB_OK) {
        fail_msg("'%s': %s", sql, yq_db_errmsg(db));
    }
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    assert_string_equal(yq_stmt_column_text(st, 0), want);
    yq_stmt_finalize(st);
}

void sqlite_fixture_remove(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[512];

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}
