/*
 * Which database the store tests run on (issue #16). The same test binaries run twice under
 * ctest: as NAME on SQLite and as NAME-pg on the private PostgreSQL that the ctest fixture
 * pg_server starts (scripts/pg-dev.sh) and names in the file $YQ_TEST_PG_FILE (or the URL in
 * $YQ_TEST_PG). Each store a test makes on PostgreSQL is a fresh schema of that server's
 * database "yuqing", so tests never see each other's rows.
 */
#ifndef TEST_DB_FIXTURE_H
#define TEST_DB_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>

/* Whether this run is on PostgreSQL (the server URL is known). */
bool db_fixture_pg(void);

/*
 * A location for a new, empty store: on PostgreSQL a new schema (URL with its search_path,
 * written into buf), else sqlite_location copied into buf (a file path or ":memory:").
 * Fails the test when the server cannot be reached. Returns buf.
 */
const char *db_fixture_new(char *buf, size_t len, const char *sqlite_location);

/* Drop what db_fixture_new made on PostgreSQL (the schema); nothing for SQLite locations. */
void db_fixture_drop(const char *location);

/* Skip the calling cmocka test on PostgreSQL (a test of SQLite files: modes, WAL, corruption). */
#define DB_FIXTURE_SQLITE_ONLY()                                                                   \
    do {                                                                                           \
        if (db_fixture_pg()) {                                                                     \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

#endif
