/*
 * Moving a whole ticket store between databases (issue #16): `yuqingctl store migrate --from
 * LOCATION --to LOCATION`, SQLite -> PostgreSQL when an office moves to the server store, and
 * PostgreSQL -> SQLite when it leaves it (docs/operations.md, "PostgreSQL").
 *
 * What is copied: every table of the ticket store's schema, listed in store_migrate.c in the
 * order their foreign keys need (tickets, items, log, revisions, responses, escalations, outbox,
 * held items, web departments, users, sessions, API tokens, login throttle, events and their
 * items and log, silences, rate counts, spikes, saved searches, reports, official posts,
 * response proposals, blind windows, clock history, published statistics, channel faults). A
 * table in either database that the list does not know (a later migration's) stops the copy
 * before anything is written, naming it, so no table can be skipped silently. The schema's
 * track (schema_version) is not copied: the target gets its own from the migrations; the
 * archive's tables (archive_*), which may share a PostgreSQL database, are not the ticket
 * store's and are left alone.
 *
 * How: the source must be at TICKET_STORE_SCHEMA_VERSION (else "run the notifier once to migrate
 * it first"); the target is created with the store's migrations (ticket_store_init()) and must
 * hold no row in any table. The source is read in one read transaction (one snapshot); the
 * target is written in one write transaction, so a failure leaves it empty. Rows keep their ids;
 * on PostgreSQL each identity sequence is set to the highest id copied so new rows continue
 * after it. No trigger fires while copying: on PostgreSQL the copied tables' user triggers are
 * disabled inside the transaction (ALTER TABLE ... DISABLE TRIGGER USER, enabled again before
 * the commit), on SQLite the triggers are dropped and created again from their own text inside
 * the transaction. So the clock-history triggers add nothing and the history is the source's,
 * row for row (deleting what the triggers wrote instead would fight the history's append-only
 * guard). events.merged_into (a reference to another event) is written after the events.
 *
 * Verification: per table the row count and a SHA-256 over the rows in primary-key order, each
 * row's columns (by name, sorted) in a canonical text form that both databases give alike
 * (integers in decimal, reals as %.17g, text with its byte length, NULL marked), read back from
 * both sides after the commit.
 *
 * Threads: none shared; each call opens and closes its own connections.
 */
#ifndef NOTIFIER_STORE_MIGRATE_H
#define NOTIFIER_STORE_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Rows read per page from a table keyed by id (bounds the memory of a copy). */
#define STORE_MIGRATE_PAGE_ROWS 2000

/* One table's comparison. */
struct store_migrate_check {
    char table[64];
    int64_t rows_from;
    int64_t rows_to;
    char sum_from[65]; /* SHA-256, lower-case hex */
    char sum_to[65];
    bool ok; /* counts and checksums equal */
};

struct store_migrate_report {
    struct store_migrate_check *tables; /* n entries, in copy order; owned */
    size_t n;
    int64_t rows_copied; /* by store_migrate_copy(); 0 after a verification alone */
};

/* Free what report owns and zero it (NULL is a no-op). */
void store_migrate_report_release(struct store_migrate_report *report);

/* Whether every table of report matched. */
bool store_migrate_report_ok(const struct store_migrate_report *report);

/*
 * Copy the store at from into a new store at to (locations as yq_db.h reads them: a SQLite path
 * or sqlite:PATH, or postgresql://...; borrowed). progress: where to write a line per table and
 * per STORE_MIGRATE_PAGE_ROWS * 10 rows (stderr for the CLI; NULL: silent). busy_timeout_ms:
 * lock waits on both databases (0: 5000). *rows_copied (may be NULL): rows written.
 * A SQLite source or target is held as a notifier holds its store (ticket_store_lock_acquire())
 * from before the first read until the end, so a running notifier's store is refused and no
 * notifier starts on either during the copy.
 * Returns 0; ERR_BAD_STATE (source not at this binary's schema version, target not empty, a
 * table the copy does not know, source and target the same location, a notifier holds the
 * SQLite source or target: errbuf names its pid; nothing written);
 * ERR_NOT_FOUND (no source store); ERR_INVALID, ERR_RETRY, ERR_IO, ERR_NOMEM from either
 * database (the target's transaction rolled back: it stays empty). errbuf: one line.
 */
int store_migrate_copy(const char *from, const char *to, FILE *progress,
                       int64_t busy_timeout_ms, int64_t *rows_copied, char *errbuf,
                       size_t errlen);

/*
 * Compare from and to table by table (every known table present in from). out: filled
 * (store_migrate_report_release()), also when a table differs (that is not an error).
 * Returns 0, or an ERR_* code when either side cannot be read (a column of from missing in to
 * is ERR_BAD_STATE), one line in errbuf.
 */
int store_migrate_verify(const char *from, const char *to, int64_t busy_timeout_ms,
                         struct store_migrate_report *out, char *errbuf, size_t errlen);

/* Print report as a table (table  rows  checksum  ok) to f. */
void store_migrate_report_print(const struct store_migrate_report *report, FILE *f);

#endif
