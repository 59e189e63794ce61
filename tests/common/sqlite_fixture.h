/*
 * Database helpers for tests (SQLite and PostgreSQL through yq_db): run SQL, read one value
 * back from a connection. For the tests only.
 */
#ifndef TEST_SQLITE_FIXTURE_H
#define TEST_SQLITE_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>

struct yq_db;

/*
 * The first column of the first row of sql (NUL-terminated) on db as an integer, or -1 when
 * there is no row. A statement that does not prepare fails the test.
 */
int64_t sqlite_fixture_scalar(struct yq_db *db, const char *sql);

/*
 * Run sql (NUL-terminated; one or more statements, no result wanted) on db; fail the test
 * naming sql and the database's message unless it succeeds.
 */
void sqlite_fixture_exec(struct yq_db *db, const char *sql);

/*
 * sqlite_fixture_exec() on a connection of its own to the database at location (a SQLite path,
 * made when missing, or a postgresql:// URL; 5 s busy timeout), closed again; a failed open
 * fails the test too.
 */
void sqlite_fixture_exec_at(const char *location, const char *sql);

/* Fail the test unless the first column of the first row of sql is the text want. */
void sqlite_fixture_text_is(struct yq_db *db, const char *sql, const char *want);

/*
 * A full disk without root: the SQLite VFS "yq_full_disk" (registered by the first call) is
 * the default one, except that while full is true a write that would make a file longer
 * fails with SQLITE_FULL, as the kernel's ENOSPC would (a write into a file's existing bytes
 * still succeeds, as on a real full disk). Open a store on it with the location
 * "file:PATH?vfs=yq_full_disk". Sets the state for every connection on it; not thread-safe
 * against a call that changes it, which tests make between phases.
 */
void sqlite_fixture_disk_full(bool full);

/* Remove the SQLite file at path with its -wal and -shm files (missing ones are fine). */
void sqlite_fixture_remove(const char *path);

/*
 * SQL that takes a ticket store back to before migrations 9 (issue #13), 10 (issue #14), 11
 * (issue #15), 12 (issue #17) 13 (issue #16: outbox claims, change triggers), 14 (issue #16: the
 * item times in ms) and 16 (the write probe's table; 15 adds nothing on SQLite and replaces its
 * function on PostgreSQL): tests that rebuild an older file drop the tables it adds, so that the
 * migration runs again.
 */
#define SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9                                                     \
    "DROP TABLE store_probe;"                                                                      \
    "ALTER TABLE outbox DROP COLUMN claimed_by; ALTER TABLE outbox DROP COLUMN claimed_until;"     \
    "ALTER TABLE ticket_items DROP COLUMN fetched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN matched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN stored_at_ms;"                                           \
    "DROP TRIGGER ticket_clock_history_insert; DROP TRIGGER ticket_clock_history_update;"          \
    "DROP TABLE ticket_clock_history; DROP TABLE stats_publications;"                              \
    "DROP TABLE source_blind_windows; DROP TABLE response_proposals; DROP TABLE official_posts;"   \
    "DROP TABLE reports; DROP TABLE saved_searches;"                                               \
    "DROP TABLE event_log; DROP TABLE event_items; DROP TABLE silenced_alerts;"                    \
    "DROP TABLE silences; DROP TABLE spikes; DROP TABLE rate_counts; DROP TABLE events;"

/* The same on PostgreSQL: migration 12's trigger function goes, with its triggers on tickets. */
#define SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9_PG                                                  \
    "DROP TABLE store_probe;"                                                                      \
    "ALTER TABLE outbox DROP COLUMN claimed_by; ALTER TABLE outbox DROP COLUMN claimed_until;"     \
    "ALTER TABLE ticket_items DROP COLUMN fetched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN matched_at_ms;"                                          \
    "ALTER TABLE ticket_items DROP COLUMN stored_at_ms;"                                           \
    "DROP FUNCTION yq_notify_changes() CASCADE;"                                                   \
    "DROP FUNCTION ticket_clock_history_add() CASCADE;"                                            \
    "DROP TABLE ticket_clock_history; DROP TABLE stats_publications;"                              \
    "DROP TABLE source_blind_windows; DROP TABLE response_proposals; DROP TABLE official_posts;"   \
    "DROP TABLE reports; DROP TABLE saved_searches;"                                               \
    "DROP TABLE event_log; DROP TABLE event_items; DROP TABLE silenced_alerts;"                    \
    "DROP TABLE silences; DROP TABLE spikes; DROP TABLE rate_counts; DROP TABLE events;"

#endif
