/*
 * SQLite helpers for tests: read one value back from a connection. For the tests only.
 */
#ifndef TEST_SQLITE_FIXTURE_H
#define TEST_SQLITE_FIXTURE_H

#include <stdint.h>

struct yq_db;

/*
 * The first column of the first row of sql (NUL-terminated) on db as an integer, or -1 when
 * there is no row. A statement that does not prepare fails the test.
 */
int64_t sqlite_fixture_scalar(struct yq_db *db, const char *sql);

/* Fail the test unless the first column of the first row of sql is the text want. */
void sqlite_fixture_text_is(struct yq_db *db, const char *sql, const char *want);

/* Remove the SQLite file at path with its -wal and -shm files (missing ones are fine). */
void sqlite_fixture_remove(const char *path);

/*
 * SQL that takes a ticket store back to before migrations 9 (issue #13), 10 (issue #14), 11
 * (issue #15), 12 (issue #17) and 13 (issue #16: the item times in ms): tests that
 * rebuild an older file drop the tables it adds, so that the migration runs again.
 */
#define SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9                                                    \
    "ALTER TABLE ticket_items DROP COLUMN fetched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN matched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN stored_at_ms;"                                           \
    "DROP TRIGGER ticket_clock_history_insert; DROP TRIGGER ticket_clock_history_update;"      \
    "DROP TABLE ticket_clock_history; DROP TABLE stats_publications;"                              \
    "DROP TABLE source_blind_windows; DROP TABLE response_proposals; DROP TABLE official_posts;" \
    "DROP TABLE reports; DROP TABLE saved_searches;"                                               \
    "DROP TABLE event_log; DROP TABLE event_items; DROP TABLE silenced_alerts;"                   \
    "DROP TABLE silences; DROP TABLE spikes; DROP TABLE rate_counts; DROP TABLE events;"

/* The same on PostgreSQL: migration 12's trigger function goes, with its triggers on tickets. */
#define SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9_PG                                                 \
    "DROP FUNCTION ticket_clock_history_add() CASCADE;"                                            \
    "DROP TABLE ticket_clock_history; DROP TABLE stats_publications;"                              \
    "DROP TABLE source_blind_windows; DROP TABLE response_proposals; DROP TABLE official_posts;" \
    "DROP TABLE reports; DROP TABLE saved_searches;"                                               \
    "DROP TABLE event_log; DROP TABLE event_items; DROP TABLE silenced_alerts;"                   \
    "DROP TABLE silences; DROP TABLE spikes; DROP TABLE rate_counts; DROP TABLE events;"

#endif
