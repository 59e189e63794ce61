/*
 * The copy of a whole ticket store between databases and its verification (store_migrate.h).
 */
#include "store_migrate.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ticket_store.h"
#include "yq_array.h"
#include "yq_db.h"
#include "yq_err.h"

/*
 * One table of the store. key: its ORDER BY (primary key); key_pg the same on PostgreSQL
 * (text keys compared bytewise, as SQLite does). paged: keyed by the integer id, read in pages.
 * self_ref: a column naming another row of the same table (written after every row is in).
 * lazy_sql: a table the store creates on first use rather than in a migration: its DDL, run on
 * the target when the source has the table.
 */
struct mig_table {
    const char *name;
    const char *key;
    const char *key_pg;
    bool paged;
    const char *self_ref;
    const char *lazy_sql;
};

#define ID_TABLE(n) {n, "id", "id", true, NULL, NULL}

/*
 * Every table of the ticket store's schema (migrations 1..TICKET_STORE_SCHEMA_VERSION of
 * notifier/ticket_store.c, the web tables of migration 8 and outbox.c's channel_faults), parents
 * before children. A migration that adds a table must add it here: until it does, the copy
 * refuses every store that has it (known_tables_check()).
 */
static const struct mig_table tables[] = {
    {"ticket_number_seq", "month", "month COLLATE \"C\"", false, NULL, NULL},
    ID_TABLE("tickets"),
    ID_TABLE("ticket_log"),
    ID_TABLE("ticket_items"),
    ID_TABLE("ticket_item_revisions"),
    ID_TABLE("ticket_responses"),
    ID_TABLE("ticket_escalations"),
    ID_TABLE("outbox"),
    ID_TABLE("held_items"),
    {"web_departments", "name", "name COLLATE \"C\"", false, NULL, NULL},
    ID_TABLE("web_users"),
    ID_TABLE("web_sessions"),
    ID_TABLE("web_api_tokens"),
    {"web_login_throttle", "key", "key COLLATE \"C\"", false, NULL, NULL},
    {"events", "id", "id", true, "merged_into", NULL},
    ID_TABLE("event_items"),
    ID_TABLE("event_log"),
    ID_TABLE("silences"),
    ID_TABLE("silenced_alerts"),
    {"rate_counts", "scope, key, hour", "scope COLLATE \"C\", key COLLATE \"C\", hour", false,
     NULL, NULL},
    ID_TABLE("spikes"),
    ID_TABLE("saved_searches"),
    ID_TABLE("reports"),
    ID_TABLE("official_posts"),
    ID_TABLE("response_proposals"),
    ID_TABLE("source_blind_windows"),
    ID_TABLE("ticket_clock_history"),
    ID_TABLE("stats_publications"),
    /* outbox.c creates it on the first channel fault (the same text as its FAULTS_TABLE_SQL) */
    {"channel_faults", "channel", "channel COLLATE \"C\"", false, NULL,
     "CREATE TABLE IF NOT EXISTS channel_faults ("
     "  channel TEXT PRIMARY KEY,"
     "  failing INTEGER NOT NULL DEFAULT 0 CHECK (failing IN (0, 1)),"
     "  faults INTEGER NOT NULL DEFAULT 0,"
     "  failing_since INTEGER,"
     "  last_error TEXT NOT NULL DEFAULT '',"
     "  recovered_at INTEGER"
     ")"},
};

#define N_TABLES (sizeof tables / sizeof tables[0])
#define MAX_COLUMNS 128

/*
 * Whether a table of a database is none of the store's business (not an unknown one).
 * store_probe (migration 16) holds only the write probe's counter: not data, not copied.
 */
static bool table_ignored(const char *name)
{
    return strcmp(name, "schema_version") == 0 || strcmp(name, "store_probe") == 0 ||
           strncmp(name, "archive_", 8) == 0 || strncmp(name, "sqlite_", 7) == 0;
}

static const struct mig_table *table_known(const char *name)
{
    for (size_t i = 0; i < N_TABLES; i++) {
        if (strcmp(tables[i].name, name) == 0) {
            return &tables[i];
        }
    }
    return NULL;
}

static bool is_pg(struct yq_db *db)
{
    return yq_db_backend(db) == YQ_DB_PG;
}

/* ------------------------------------------------------------------ catalog */

/* A list of names (tables or columns). */
struct names {
    char *v[MAX_COLUMNS * 2];
    size_t n;
};

static void names_release(struct names *n)
{
    for (size_t i = 0; i < n->n; i++) {
        free(n->v[i]);
    }
    n->n = 0;
}

/* Run sql (one text parameter when arg is not NULL) and collect column 0 of its rows. */
static int names_query(struct yq_db *db, const char *sql, const char *arg, struct names *out,
                       char *errbuf, size_t errlen)
{
    struct yq_stmt *st = NULL;
    int err = yq_db_prepare(db, sql, &st, "catalog", errbuf, errlen);
    int r = 0;
    if (err == 0 && arg) {
        yq_stmt_bind_text(st, 1, arg);
    }
    while (err == 0 && (r = yq_db_step(db, st, "catalog", errbuf, errlen)) == 1) {
        if (out->n == sizeof out->v / sizeof out->v[0]) {
            snprintf(errbuf, errlen, "more than %zu names in the catalog of %s",
                     sizeof out->v / sizeof out->v[0], yq_db_location(db));
            err = ERR_INVALID;
            break;
        }
        const char *s = yq_stmt_column_text(st, 0);
        if (!(out->v[out->n] = strdup(s ? s : ""))) {
            snprintf(errbuf, errlen, "out of memory");
            err = ERR_NOMEM;
            break;
        }
        out->n++;
    }
    if (err == 0 && r < 0) {
        err = r;
    }
    yq_stmt_finalize(st);
    return err;
}

/* The catalogue queries of each backend: its base tables, and the columns of table ?1. */
struct catalog_sql {
    const char *tables;
    const char *columns;
};

static const struct catalog_sql catalog_sqlite = {
    .tables = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1",
    .columns = "SELECT name FROM pragma_table_info(?) ORDER BY 1",
};

static const struct catalog_sql catalog_pg = {
    .tables = "SELECT table_name FROM information_schema.tables WHERE"
              " table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1",
    .columns = "SELECT column_name FROM information_schema.columns WHERE"
               " table_schema = current_schema() AND table_name = ? ORDER BY 1",
};

static const struct catalog_sql *catalog_of(struct yq_db *db)
{
    return is_pg(db) ? &catalog_pg : &catalog_sqlite;
}

static int list_tables(struct yq_db *db, struct names *out, char *errbuf, size_t errlen)
{
    return names_query(db, catalog_of(db)->tables, NULL, out, errbuf, errlen);
}

/* The columns of table, sorted by name (the canonical order of a row). */
static int list_columns(struct yq_db *db, const char *table, struct names *out, char *errbuf,
                        size_t errlen)
{
    return names_query(db, catalog_of(db)->columns, table, out, errbuf, errlen);
}

/* Every table of db is known or ignored: else ERR_BAD_STATE naming the first stranger. */
static int known_tables_check(struct yq_db *db, const char *side, char *errbuf, size_t errlen)
{
    struct names t = {.n = 0};
    int err = list_tables(db, &t, errbuf, errlen);
    for (size_t i = 0; err == 0 && i < t.n; i++) {
        if (!table_ignored(t.v[i]) && !table_known(t.v[i])) {
            snprintf(errbuf, errlen,
                     "table '%s' of the %s (%s) is unknown to this copy (a newer migration's?): "
                     "nothing copied; use the yuqingctl of the notifier that made it",
                     t.v[i], side, yq_db_location(db));
            err = ERR_BAD_STATE;
        }
    }
    names_release(&t);
    return err;
}

/* ------------------------------------------------------------------ reading rows */

/* The rows of one table in key order, a page at a time when it is keyed by id. */
struct row_iter {
    struct yq_db *db;
    const struct mig_table *t;
    char sql[8192];
    struct yq_stmt *st;
    int id_col; /* index of id among the columns (paged tables) */
    int64_t last_id;
    size_t in_page;
};

/* SELECT the columns cols (quoted) of t in key order into it->sql. */
static int iter_init(struct row_iter *it, struct yq_db *db, const struct mig_table *t,
                     const struct names *cols, char *errbuf, size_t errlen)
{
    memset(it, 0, sizeof *it);
    it->db = db;
    it->t = t;
    it->id_col = -1;
    it->last_id = INT64_MIN;
    size_t o = 0;
    int n = snprintf(it->sql, sizeof it->sql, "SELECT ");
    o = (size_t)n;
    for (size_t i = 0; i < cols->n && o < sizeof it->sql; i++) {
        if (strcmp(cols->v[i], "id") == 0) {
            it->id_col = (int)i;
        }
        n = snprintf(it->sql + o, sizeof it->sql - o, "%s\"%s\"", i ? ", " : "", cols->v[i]);
        o += n > 0 ? (size_t)n : 0;
    }
    if (o < sizeof it->sql) {
        if (t->paged) {
            n = snprintf(it->sql + o, sizeof it->sql - o,
                         " FROM %s WHERE id > ? ORDER BY id LIMIT %d", t->name,
                         STORE_MIGRATE_PAGE_ROWS);
        } else {
            n = snprintf(it->sql + o, sizeof it->sql - o, " FROM %s ORDER BY %s", t->name,
                         is_pg(db) ? t->key_pg : t->key);
        }
        o += n > 0 ? (size_t)n : 0;
    }
    if (o >= sizeof it->sql || (t->paged && it->id_col < 0)) {
        snprintf(errbuf, errlen, "table %s: %s", t->name,
                 o >= sizeof it->sql ? "too many columns" : "no id column");
        return ERR_INVALID;
    }
    return 0;
}

/* Step to the next row: 1 (a row in it->st), 0 (no more) or an ERR_* code. */
static int iter_next(struct row_iter *it, char *errbuf, size_t errlen)
{
    for (;;) {
        if (!it->st) {
            int err = yq_db_prepare(it->db, it->sql, &it->st, it->t->name, errbuf, errlen);
            if (err != 0) {
                return err;
            }
            if (it->t->paged) {
                yq_stmt_bind_int64(it->st, 1, it->last_id);
            }
            it->in_page = 0;
        }
        int r = yq_db_step(it->db, it->st, it->t->name, errbuf, errlen);
        if (r == 1) {
            it->in_page++;
            if (it->t->paged) {
                it->last_id = yq_stmt_column_int64(it->st, it->id_col);
            }
            return 1;
        }
        yq_stmt_finalize(it->st);
        it->st = NULL;
        if (r < 0) {
            return r;
        }
        if (!it->t->paged || it->in_page < STORE_MIGRATE_PAGE_ROWS) {
            return 0;
        }
    }
}

static void iter_release(struct row_iter *it)
{
    yq_stmt_finalize(it->st);
    it->st = NULL;
}

/* ------------------------------------------------------------------ checksum */

/* Feed column col of st's row to h in the canonical form (store_migrate.h). */
static void hash_column(crypto_hash_sha256_state *h, struct yq_stmt *st, int col)
{
    char buf[64];
    int n;
    switch (yq_stmt_column_type(st, col)) {
    case YQ_DB_NULL:
        n = snprintf(buf, sizeof buf, "N;");
        crypto_hash_sha256_update(h, (const unsigned char *)buf, (unsigned long long)n);
        return;
    case YQ_DB_INTEGER:
        n = snprintf(buf, sizeof buf, "I%" PRId64 ";", yq_stmt_column_int64(st, col));
        crypto_hash_sha256_update(h, (const unsigned char *)buf, (unsigned long long)n);
        return;
    case YQ_DB_FLOAT:
        n = snprintf(buf, sizeof buf, "R%.17g;", yq_stmt_column_double(st, col));
        crypto_hash_sha256_update(h, (const unsigned char *)buf, (unsigned long long)n);
        return;
    default: {
        const char *s = yq_stmt_column_text(st, col);
        int len = yq_stmt_column_bytes(st, col);
        n = snprintf(buf, sizeof buf, "T%d:", len);
        crypto_hash_sha256_update(h, (const unsigned char *)buf, (unsigned long long)n);
        if (s && len > 0) {
            crypto_hash_sha256_update(h, (const unsigned char *)s, (unsigned long long)len);
        }
        crypto_hash_sha256_update(h, (const unsigned char *)";", 1);
        return;
    }
    }
}

/* Count and hash the rows of t in db, reading the columns cols. hex: 65 bytes. */
static int table_checksum(struct yq_db *db, const struct mig_table *t, const struct names *cols,
                          int64_t *rows, char hex[65], char *errbuf, size_t errlen)
{
    struct row_iter it;
    crypto_hash_sha256_state h;
    unsigned char sum[crypto_hash_sha256_BYTES];
    *rows = 0;
    crypto_hash_sha256_init(&h);
    int err = iter_init(&it, db, t, cols, errbuf, errlen);
    int r = 0;
    while (err == 0 && (r = iter_next(&it, errbuf, errlen)) == 1) {
        for (size_t c = 0; c < cols->n; c++) {
            hash_column(&h, it.st, (int)c);
        }
        crypto_hash_sha256_update(&h, (const unsigned char *)"\n", 1);
        (*rows)++;
    }
    iter_release(&it);
    if (err == 0 && r < 0) {
        err = r;
    }
    crypto_hash_sha256_final(&h, sum);
    sodium_bin2hex(hex, 65, sum, sizeof sum);
    return err;
}

/* ------------------------------------------------------------------ verify */

void store_migrate_report_release(struct store_migrate_report *report)
{
    if (!report) {
        return;
    }
    free(report->tables);
    memset(report, 0, sizeof *report);
}

bool store_migrate_report_ok(const struct store_migrate_report *report)
{
    for (size_t i = 0; i < report->n; i++) {
        if (!report->tables[i].ok) {
            return false;
        }
    }
    return true;
}

void store_migrate_report_print(const struct store_migrate_report *report, FILE *f)
{
    fprintf(f, "%-24s %12s %-16s %s\n", "table", "rows", "checksum", "ok");
    for (size_t i = 0; i < report->n; i++) {
        const struct store_migrate_check *c = &report->tables[i];
        char rows[48];
        if (c->rows_from == c->rows_to) {
            snprintf(rows, sizeof rows, "%" PRId64, c->rows_from);
        } else {
            snprintf(rows, sizeof rows, "%" PRId64 "/%" PRId64, c->rows_from, c->rows_to);
        }
        fprintf(f, "%-24s %12s %.16s %s", c->table, rows, c->sum_from, c->ok ? "ok" : "MISMATCH");
        if (!c->ok && strcmp(c->sum_from, c->sum_to) != 0) {
            fprintf(f, " (target %.16s)", c->sum_to);
        }
        fputc('\n', f);
    }
}

/* Whether name is among cols. */
static bool names_has(const struct names *cols, const char *name)
{
    for (size_t i = 0; i < cols->n; i++) {
        if (strcmp(cols->v[i], name) == 0) {
            return true;
        }
    }
    return false;
}

/* The columns of t in src, each present in dst (else ERR_BAD_STATE naming it). */
static int common_columns(struct yq_db *src, struct yq_db *dst, const struct mig_table *t,
                          struct names *cols, char *errbuf, size_t errlen)
{
    struct names theirs = {.n = 0};
    int err = list_columns(src, t->name, cols, errbuf, errlen);
    if (err == 0) {
        err = list_columns(dst, t->name, &theirs, errbuf, errlen);
    }
    for (size_t i = 0; err == 0 && i < cols->n; i++) {
        if (!names_has(&theirs, cols->v[i])) {
            snprintf(errbuf, errlen, "column %s.%s of %s is missing in %s", t->name, cols->v[i],
                     yq_db_location(src), yq_db_location(dst));
            err = ERR_BAD_STATE;
        }
    }
    names_release(&theirs);
    return err;
}

static int verify_dbs(struct yq_db *src, struct yq_db *dst, struct store_migrate_report *out,
                      char *errbuf, size_t errlen)
{
    int err = 0;
    memset(out, 0, sizeof *out);
    out->tables = calloc(N_TABLES, sizeof *out->tables);
    if (!out->tables) {
        snprintf(errbuf, errlen, "out of memory");
        return ERR_NOMEM;
    }
    for (size_t i = 0; err == 0 && i < N_TABLES; i++) {
        const struct mig_table *t = &tables[i];
        bool has_src = false, has_dst = false;
        err = yq_db_has_table(src, t->name, &has_src, errbuf, errlen);
        if (err == 0) {
            err = yq_db_has_table(dst, t->name, &has_dst, errbuf, errlen);
        }
        if (err != 0 || !has_src) {
            continue; /* a lazy table the source never made */
        }
        struct store_migrate_check *c = &out->tables[out->n++];
        snprintf(c->table, sizeof c->table, "%s", t->name);
        if (!has_dst) {
            snprintf(errbuf, errlen, "table %s is missing in %s", t->name, yq_db_location(dst));
            err = ERR_BAD_STATE;
            break;
        }
        struct names cols = {.n = 0};
        err = common_columns(src, dst, t, &cols, errbuf, errlen);
        if (err == 0) {
            err = table_checksum(src, t, &cols, &c->rows_from, c->sum_from, errbuf, errlen);
        }
        if (err == 0) {
            err = table_checksum(dst, t, &cols, &c->rows_to, c->sum_to, errbuf, errlen);
        }
        names_release(&cols);
        c->ok = err == 0 && c->rows_from == c->rows_to && strcmp(c->sum_from, c->sum_to) == 0;
    }
    if (err != 0) {
        store_migrate_report_release(out);
    }
    return err;
}

static int64_t busy_of(int64_t busy_timeout_ms)
{
    return busy_timeout_ms > 0 ? busy_timeout_ms : 5000;
}

int store_migrate_verify(const char *from, const char *to, int64_t busy_timeout_ms,
                         struct store_migrate_report *out, char *errbuf, size_t errlen)
{
    struct yq_db *src = NULL, *dst = NULL;
    memset(out, 0, sizeof *out);
    if (sodium_init() < 0) {
        snprintf(errbuf, errlen, "libsodium failed to initialise");
        return ERR_IO;
    }
    int err = yq_db_open(from, YQ_DB_READONLY_OPEN, busy_of(busy_timeout_ms), &src, errbuf,
                         errlen);
    if (err == 0) {
        err = yq_db_open(to, YQ_DB_READONLY_OPEN, busy_of(busy_timeout_ms), &dst, errbuf, errlen);
    }
    if (err == 0) {
        err = verify_dbs(src, dst, out, errbuf, errlen);
    }
    yq_db_close(dst);
    yq_db_close(src);
    return err;
}

/* ------------------------------------------------------------------ copy */

/* A trigger of a SQLite target, dropped for the copy and created again from its text. */
struct saved_trigger {
    char *name;
    char *sql;
};

struct copy_ctx {
    struct yq_db *src;
    struct yq_db *dst;
    FILE *progress;
    int64_t rows;
    struct saved_trigger *triggers;
    size_t n_triggers, cap_triggers;
    char *errbuf;
    size_t errlen;
};

/* The target holds no row in any known table: else ERR_BAD_STATE naming the first that does. */
static int target_empty(struct yq_db *dst, char *errbuf, size_t errlen)
{
    int err = 0;
    for (size_t i = 0; err == 0 && i < N_TABLES; i++) {
        bool has = false;
        err = yq_db_has_table(dst, tables[i].name, &has, errbuf, errlen);
        if (err != 0 || !has) {
            continue;
        }
        char sql[160];
        struct yq_stmt *st = NULL;
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s LIMIT 1", tables[i].name);
        err = yq_db_prepare(dst, sql, &st, "target check", errbuf, errlen);
        int r = err == 0 ? yq_db_step(dst, st, "target check", errbuf, errlen) : 0;
        yq_stmt_finalize(st);
        if (r < 0) {
            err = r;
        } else if (r == 1) {
            snprintf(errbuf, errlen,
                     "the target %s is not empty (table %s holds rows): refusing to copy into it",
                     yq_db_location(dst), tables[i].name);
            err = ERR_BAD_STATE;
        }
    }
    return err;
}

/* No trigger fires while copying (store_migrate.h); enable: put them back. */
static int triggers_off(struct copy_ctx *cx, bool enable)
{
    char sql[256];
    int err = 0;
    if (is_pg(cx->dst)) {
        for (size_t i = 0; err == 0 && i < N_TABLES; i++) {
            bool has = false;
            err = yq_db_has_table(cx->dst, tables[i].name, &has, cx->errbuf, cx->errlen);
            if (err == 0 && has) {
                snprintf(sql, sizeof sql, "ALTER TABLE %s %s TRIGGER USER", tables[i].name,
                         enable ? "ENABLE" : "DISABLE");
                err = yq_db_exec(cx->dst, sql, "triggers", cx->errbuf, cx->errlen);
            }
        }
        return err;
    }
    if (enable) {
        for (size_t i = 0; err == 0 && i < cx->n_triggers; i++) {
            err = yq_db_exec(cx->dst, cx->triggers[i].sql, "trigger restore", cx->errbuf,
                             cx->errlen);
        }
        return err;
    }
    struct yq_stmt *st = NULL;
    err = yq_db_prepare(cx->dst,
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND"
                        " sql IS NOT NULL ORDER BY name",
                        &st, "triggers", cx->errbuf, cx->errlen);
    int r = 0;
    while (err == 0 && (r = yq_db_step(cx->dst, st, "triggers", cx->errbuf, cx->errlen)) == 1) {
        err = yq_array_reserve(&cx->triggers, &cx->cap_triggers, cx->n_triggers + 1,
                               sizeof *cx->triggers);
        if (err) {
            break;
        }
        struct saved_trigger *t = &cx->triggers[cx->n_triggers];
        t->name = strdup(yq_stmt_column_text(st, 0));
        t->sql = strdup(yq_stmt_column_text(st, 1));
        cx->n_triggers++;
        if (!t->name || !t->sql) {
            err = ERR_NOMEM;
        }
    }
    yq_stmt_finalize(st);
    if (err == 0 && r < 0) {
        err = r;
    }
    if (err == ERR_NOMEM) {
        snprintf(cx->errbuf, cx->errlen, "out of memory");
    }
    for (size_t i = 0; err == 0 && i < cx->n_triggers; i++) {
        snprintf(sql, sizeof sql, "DROP TRIGGER \"%s\"", cx->triggers[i].name);
        err = yq_db_exec(cx->dst, sql, "trigger drop", cx->errbuf, cx->errlen);
    }
    return err;
}

/* The rows of one self reference, written after the table's rows. */
struct ref_pair {
    int64_t id;
    int64_t ref;
};

static int copy_refs(struct copy_ctx *cx, const struct mig_table *t, const struct ref_pair *v,
                     size_t n)
{
    char sql[256];
    struct yq_stmt *st = NULL;
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ? WHERE id = ?", t->name, t->self_ref);
    int err = yq_db_prepare(cx->dst, sql, &st, t->name, cx->errbuf, cx->errlen);
    for (size_t i = 0; err == 0 && i < n; i++) {
        yq_stmt_reset(st);
        yq_stmt_bind_int64(st, 1, v[i].ref);
        yq_stmt_bind_int64(st, 2, v[i].id);
        int r = yq_db_step(cx->dst, st, t->name, cx->errbuf, cx->errlen);
        err = r < 0 ? r : 0;
    }
    yq_stmt_finalize(st);
    return err;
}

static int copy_table(struct copy_ctx *cx, const struct mig_table *t)
{
    bool has_src = false, has_dst = false;
    int err = yq_db_has_table(cx->src, t->name, &has_src, cx->errbuf, cx->errlen);
    if (err != 0 || !has_src) {
        return err;
    }
    err = yq_db_has_table(cx->dst, t->name, &has_dst, cx->errbuf, cx->errlen);
    if (err == 0 && !has_dst && t->lazy_sql) {
        err = yq_db_exec(cx->dst, t->lazy_sql, t->name, cx->errbuf, cx->errlen);
        has_dst = err == 0;
    }
    if (err == 0 && !has_dst) {
        snprintf(cx->errbuf, cx->errlen, "table %s is missing in the target %s", t->name,
                 yq_db_location(cx->dst));
        return ERR_BAD_STATE;
    }
    struct names cols = {.n = 0};
    if (err == 0) {
        err = common_columns(cx->src, cx->dst, t, &cols, cx->errbuf, cx->errlen);
    }
    /* the INSERT of every column; the self reference bound NULL for now */
    char sql[8192];
    size_t o = 0;
    int self_col = -1;
    if (err == 0) {
        o = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (", t->name);
        for (size_t i = 0; i < cols.n && o < sizeof sql; i++) {
            int n = snprintf(sql + o, sizeof sql - o, "%s\"%s\"", i ? ", " : "", cols.v[i]);
            o += n > 0 ? (size_t)n : 0;
            if (t->self_ref && strcmp(cols.v[i], t->self_ref) == 0) {
                self_col = (int)i;
            }
        }
        for (size_t i = 0; i < cols.n && o < sizeof sql; i++) {
            int n = snprintf(sql + o, sizeof sql - o, "%s", i ? ", ?" : ") VALUES (?");
            o += n > 0 ? (size_t)n : 0;
        }
        if (o + 2 >= sizeof sql) {
            snprintf(cx->errbuf, cx->errlen, "table %s: too many columns", t->name);
            err = ERR_INVALID;
        } else {
            snprintf(sql + o, sizeof sql - o, ")");
        }
    }
    struct yq_stmt *ins = NULL;
    if (err == 0) {
        err = yq_db_prepare(cx->dst, sql, &ins, t->name, cx->errbuf, cx->errlen);
    }
    struct row_iter it;
    memset(&it, 0, sizeof it);
    if (err == 0) {
        err = iter_init(&it, cx->src, t, &cols, cx->errbuf, cx->errlen);
    }
    struct ref_pair *refs = NULL;
    size_t n_refs = 0, cap_refs = 0;
    int64_t rows = 0;
    int r = 0;
    while (err == 0 && (r = iter_next(&it, cx->errbuf, cx->errlen)) == 1) {
        yq_stmt_reset(ins);
        for (size_t c = 0; c < cols.n; c++) {
            if ((int)c == self_col) {
                yq_stmt_bind_null(ins, (int)c + 1);
                if (yq_stmt_column_type(it.st, (int)c) != YQ_DB_NULL) {
                    err = yq_array_reserve(&refs, &cap_refs, n_refs + 1, sizeof *refs);
                    if (err) {
                        snprintf(cx->errbuf, cx->errlen, "out of memory");
                        break;
                    }
                    refs[n_refs++] = (struct ref_pair){yq_stmt_column_int64(it.st, it.id_col),
                                                       yq_stmt_column_int64(it.st, (int)c)};
                }
                continue;
            }
            if (yq_stmt_bind_column(ins, (int)c + 1, it.st, (int)c) != YQ_DB_OK) {
                snprintf(cx->errbuf, cx->errlen, "table %s: cannot bind column %s", t->name,
                         cols.v[c]);
                err = ERR_NOMEM;
                break;
            }
        }
        if (err == 0) {
            int w = yq_db_step(cx->dst, ins, t->name, cx->errbuf, cx->errlen);
            err = w < 0 ? w : 0;
        }
        rows++;
        if (err == 0 && cx->progress && rows % (STORE_MIGRATE_PAGE_ROWS * 10) == 0) {
            fprintf(cx->progress, "  %s: %" PRId64 " rows\n", t->name, rows);
        }
    }
    if (err == 0 && r < 0) {
        err = r;
    }
    iter_release(&it);
    yq_stmt_finalize(ins);
    if (err == 0 && n_refs > 0) {
        err = copy_refs(cx, t, refs, n_refs);
    }
    free(refs);
    names_release(&cols);
    if (err == 0 && is_pg(cx->dst) && t->paged && rows > 0) {
        /* new rows continue after the highest id copied */
        struct yq_stmt *st = NULL;
        snprintf(sql, sizeof sql,
                 "SELECT setval(pg_get_serial_sequence('%s', 'id'), max(id)) FROM %s", t->name,
                 t->name);
        err = yq_db_prepare(cx->dst, sql, &st, "sequence", cx->errbuf, cx->errlen);
        if (err == 0) {
            err = yq_db_run(cx->dst, st, "sequence", cx->errbuf, cx->errlen);
        }
    }
    if (err == 0) {
        cx->rows += rows;
        if (cx->progress) {
            fprintf(cx->progress, "copied %-24s %" PRId64 " rows\n", t->name, rows);
        }
    } else {
        size_t used = strlen(cx->errbuf);
        if (used + 1 < cx->errlen && !strstr(cx->errbuf, t->name)) {
            snprintf(cx->errbuf + used, cx->errlen - used, " (table %s)", t->name);
        }
    }
    return err;
}

/* The schema version of db must be this binary's. */
static int source_version_check(struct yq_db *src, char *errbuf, size_t errlen)
{
    int version = 0;
    int err = yq_db_schema_version(src, &version, errbuf, errlen);
    if (err != 0) {
        return err;
    }
    if (version == 0) {
        snprintf(errbuf, errlen, "%s is not a ticket store (no schema)", yq_db_location(src));
        return ERR_NOT_FOUND;
    }
    if (version != TICKET_STORE_SCHEMA_VERSION) {
        snprintf(errbuf, errlen,
                 "the source %s is at schema %d, this yuqingctl at %d: %s",
                 yq_db_location(src), version, TICKET_STORE_SCHEMA_VERSION,
                 version < TICKET_STORE_SCHEMA_VERSION
                     ? "run the notifier once to migrate it first"
                     : "use the yuqingctl of the notifier that wrote it");
        return ERR_BAD_STATE;
    }
    return 0;
}

/*
 * Take the notifier's hold on a SQLite store at location (ticket_store_lock_acquire(); nothing
 * on PostgreSQL, where notifiers share the store), so no notifier writes to it during the copy
 * and none starts on it before the copy ends. side: "source" or "target", for the message.
 * *out: the hold, released by the caller. Returns 0 or the lock's code (ERR_BAD_STATE: a
 * notifier holds the store), errbuf naming the side and what to do.
 */
static int store_hold(const char *location, const char *side, struct ticket_store_lock **out,
                      char *errbuf, size_t errlen)
{
    struct ticket_store_cfg cfg = {.path = (char *)location};
    char why[512] = "";
    int err = ticket_store_lock_acquire(&cfg, out, why, sizeof(why));

    if (err == ERR_BAD_STATE) {
        snprintf(errbuf, errlen,
                 "the %s is in use: %s; stop that notifier before 'store migrate' (nothing "
                 "copied)",
                 side, why);
    } else if (err) {
        snprintf(errbuf, errlen, "cannot lock the %s: %s", side, why);
    }
    return err;
}

int store_migrate_copy(const char *from, const char *to, FILE *progress,
                       int64_t busy_timeout_ms, int64_t *rows_copied, char *errbuf,
                       size_t errlen)
{
    struct copy_ctx cx = {.progress = progress, .errbuf = errbuf, .errlen = errlen};
    struct ticket_store_lock *src_lock = NULL, *dst_lock = NULL;
    int64_t busy = busy_of(busy_timeout_ms);
    int err = 0;
    if (rows_copied) {
        *rows_copied = 0;
    }
    if (!from || !to || !from[0] || !to[0]) {
        snprintf(errbuf, errlen, "both --from and --to are needed");
        return ERR_INVALID;
    }
    if (strcmp(from, to) == 0 ||
        (yq_db_sqlite_path(from) && yq_db_sqlite_path(to) &&
         strcmp(yq_db_sqlite_path(from), yq_db_sqlite_path(to)) == 0)) {
        snprintf(errbuf, errlen, "--from and --to name the same store");
        return ERR_BAD_STATE;
    }
    if (yq_db_is_memory(from) || yq_db_is_memory(to)) {
        snprintf(errbuf, errlen, "an in-memory database cannot be migrated from or to");
        return ERR_INVALID;
    }
    err = yq_db_open(from, YQ_DB_READONLY_OPEN, busy, &cx.src, errbuf, errlen);
    if (err == 0) {
        err = store_hold(from, "source", &src_lock, errbuf, errlen);
    }
    if (err == 0) {
        err = source_version_check(cx.src, errbuf, errlen);
    }
    if (err == 0) {
        err = known_tables_check(cx.src, "source", errbuf, errlen);
    }
    /* the target: held first (a running notifier's store gets no migration applied), then
       created with the store's migrations (a new SQLite file gets mode 0600); a SQLite file
       that does not exist yet has no notifier and is held as soon as it is made */
    if (err == 0) {
        err = store_hold(to, "target", &dst_lock, errbuf, errlen);
        if (err == ERR_NOT_FOUND) {
            err = 0;
            errbuf[0] = '\0';
        }
    }
    if (err == 0) {
        struct ticket_store_cfg cfg = {.path = (char *)to, .busy_timeout_ms = busy};
        bool created = false;
        err = ticket_store_init(&cfg, &created, errbuf, errlen);
    }
    if (err == 0 && !dst_lock) {
        err = store_hold(to, "target", &dst_lock, errbuf, errlen);
    }
    if (err == 0) {
        err = yq_db_open(to, 0, busy, &cx.dst, errbuf, errlen);
    }
    if (err == 0) {
        err = known_tables_check(cx.dst, "target", errbuf, errlen);
    }
    if (err == 0) {
        err = target_empty(cx.dst, errbuf, errlen);
    }
    /* one snapshot of the source; one write transaction on the target */
    if (err == 0) {
        err = yq_db_exec(cx.src, "BEGIN", "source snapshot", errbuf, errlen);
        if (err == 0 && is_pg(cx.src)) {
            err = yq_db_exec(cx.src, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ",
                             "source snapshot", errbuf, errlen);
        }
    }
    if (err == 0) {
        int rc = yq_db_begin_write(cx.dst);
        err = rc == YQ_DB_OK ? 0 : yq_db_fail(cx.dst, rc, "target begin", errbuf, errlen);
    }
    if (err == 0 && !is_pg(cx.dst)) {
        err = yq_db_exec(cx.dst, "PRAGMA defer_foreign_keys = ON", "target", errbuf, errlen);
    }
    if (err == 0) {
        err = triggers_off(&cx, false);
    }
    for (size_t i = 0; err == 0 && i < N_TABLES; i++) {
        err = copy_table(&cx, &tables[i]);
    }
    if (err == 0) {
        err = triggers_off(&cx, true);
    }
    if (err == 0) {
        err = yq_db_exec(cx.dst, "COMMIT", "target commit", errbuf, errlen);
    }
    if (cx.dst) {
        yq_db_rollback(cx.dst);
    }
    if (cx.src) {
        yq_db_rollback(cx.src);
    }
    for (size_t i = 0; i < cx.n_triggers; i++) {
        free(cx.triggers[i].name);
        free(cx.triggers[i].sql);
    }
    free(cx.triggers);
    yq_db_close(cx.dst);
    yq_db_close(cx.src);
    ticket_store_lock_release(dst_lock);
    ticket_store_lock_release(src_lock);
    if (err == 0 && rows_copied) {
        *rows_copied = cx.rows;
    }
    return err;
}
