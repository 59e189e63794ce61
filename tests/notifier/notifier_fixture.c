#include "notifier_fixture.h"
#include "capture.h"
#include "db_fixture.h"
#include "sqlite_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "yq_db.h"

#include "yq_time.h"
#include "yq_banned.h"

int64_t notifier_ts(const char *iso)
{
    int64_t t = 0;

    if (yq_time_parse_iso(iso, &t, NULL) != 0) {
        fail_msg("bad time '%s'", iso);
    }
    return t;
}

struct web_auth_cfg notifier_fixture_auth_cfg(void)
{
    struct web_auth_cfg c = {
        .session_ttl_ms = 12 * 3600 * 1000LL,
        .session_idle_ms = 2 * 3600 * 1000LL,
        .login_max_failures = 3,
        .login_ip_max_failures = 10,
        .login_window_ms = 15 * 60 * 1000LL,
        .login_lockout_ms = 15 * 60 * 1000LL,
        .pwhash_opslimit = 1,
        .pwhash_memlimit = 8192, /* crypto_pwhash_MEMLIMIT_MIN: fast tests */
        .busy_timeout_ms = 1000,
        .login_max_concurrent = 2,
    };
    return c;
}

void notifier_tmp_store_init(struct notifier_tmp_store *t, const char *file)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/yq-ts-XXXXXX");
    assert_non_null(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/%s", t->dir, file);
    if (db_fixture_pg()) {
        char file_path[sizeof(t->path)];
        snprintf(file_path, sizeof(file_path), "%s", t->path);
        db_fixture_new(t->path, sizeof(t->path), file_path);
    }
    t->cfg.path = t->path;
    t->cfg.busy_timeout_ms = 1000;
}

void notifier_tmp_store_create(struct notifier_tmp_store *t, const char *file)
{
    char err[512] = "";

    notifier_tmp_store_init(t, file);
    if (ticket_store_init(&t->cfg, NULL, err, sizeof(err)) != 0) {
        fail_msg("store init %s: %s", t->path, err);
    }
}

void notifier_tmp_store_remove(struct notifier_tmp_store *t)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", ".lock"};
    char p[260];
    const char *slash = strrchr(t->path, '/');

    if (db_fixture_pg()) {
        db_fixture_drop(t->path);
        rmdir(t->dir);
        return;
    }

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
        unlink(p);
    }
    if (slash && (size_t)(slash - t->path) > strlen(t->dir)) {
        snprintf(p, sizeof(p), "%.*s", (int)(slash - t->path), t->path);
        rmdir(p); /* the subdirectory of file */
    }
    rmdir(t->dir);
}

const struct ticket_policy *notifier_policy_hand_over_all(void)
{
    static struct ticket_policy policy;

    policy.desk = desk_policy_hand_over_all();
    return &policy;
}

struct ticket_store *notifier_store_memory(void)
{
    static char location[256];
    struct ticket_store_cfg cfg = {.path = ":memory:", .busy_timeout_ms = 1000};
    struct ticket_store *store = NULL;
    char err[256] = "";

    if (db_fixture_pg()) {
        /* a fresh schema per store; left for the server's folder to take away */
        cfg.path = (char *)db_fixture_new(location, sizeof(location), ":memory:");
        if (ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0) {
            fail_msg("store init: %s", err);
        }
    }

    if (ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fail_msg("store: %s", err);
    }
    assert_non_null(store);
    /* these tests are about tickets: every alert is handed over at intake (issue #13) */
    ticket_store_set_policy(store, notifier_policy_hand_over_all());
    return store;
}

int notifier_memory_store_setup(void **state)
{
    *state = notifier_store_memory();
    return 0;
}

int notifier_memory_store_teardown(void **state)
{
    ticket_store_free(*state);
    return 0;
}

void notifier_env_open(struct notifier_env *e, const char *routes_yaml,
                       const struct desk_policy *desk)
{
    char err[256] = "";

    memset(e, 0, sizeof(*e));
    e->store = notifier_store_memory();
    if (notifier_routes_load(&e->routes, routes_yaml, err, sizeof(err)) != 0) {
        fail_msg("routes: %s", err);
    }
    e->policy.routes = &e->routes;
    e->policy.link_base = "https://duty.example/ticket?number=";
    e->policy.desk = desk;
    ticket_store_set_policy(e->store, &e->policy);
}

void notifier_env_close(struct notifier_env *e)
{
    ticket_store_free(e->store);
    notify_routes_release(&e->routes);
}

/*
 * cmocka setup and teardown of a test on its own env: the test's initial state is a const
 * struct notifier_env_spec * (borrowed), replaced by a new env opened with it (struct
 * notifier_env *), which the teardown closes and frees. Both return 0.
 */
static int notifier_env_setup(void **state)
{
    const struct notifier_env_spec *spec = *state;
    struct notifier_env *e = malloc(sizeof(*e));

    assert_non_null(e);
    notifier_env_open(e, spec->routes_yaml, spec->desk);
    *state = e;
    return 0;
}

static int notifier_env_teardown(void **state)
{
    notifier_env_close(*state);
    free(*state);
    return 0;
}

int notifier_env_run_tests(const char *group, struct CMUnitTest *tests, size_t n,
                           const struct notifier_env_spec *spec)
{
    for (size_t i = 0; i < n; i++) {
        tests[i].setup_func = notifier_env_setup;
        tests[i].teardown_func = notifier_env_teardown;
        tests[i].initial_state = (void *)spec; /* read only by notifier_env_setup() */
    }
    return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}

int notifier_intake(struct ticket_store *store, const struct test_alert_spec *spec, int64_t now,
                    struct ticket_intake_result *res)
{
    struct yq_alert alert;
    int err;

    assert_int_equal(test_alert_make(spec, &alert), 0);
    err = ticket_intake_alert(store, &alert, now, res);
    yq_alert_release(&alert);
    if (err) {
        print_message("intake: %s\n", ticket_store_errmsg(store)); /* for the failing test */
    }
    return err;
}

void notifier_exec(struct ticket_store *store, const char *sql)
{
    sqlite_fixture_exec(ticket_store_db(store), sql);
}

int64_t notifier_count(struct ticket_store *store, const char *sql)
{
    struct yq_stmt *st = NULL;
    int64_t n;

    if (yq_stmt_prepare(ticket_store_db(store), sql, &st) != YQ_DB_OK ||
        yq_stmt_step(st) != YQ_DB_ROW) {
        fail_msg("%s: %s", sql, yq_db_errmsg(ticket_store_db(store)));
    }
    n = yq_stmt_column_int64(st, 0);
    yq_stmt_finalize(st);
    return n;
}

/* Append s to *out (realloc'd), failing the test when memory runs out. */
static void append(char **out, size_t *len, const char *s)
{
    size_t n = strlen(s);
    char *grown = realloc(*out, *len + n + 1);

    assert_non_null(grown);
    memcpy(grown + *len, s, n + 1);
    *out = grown;
    *len += n;
}

char *notifier_rows_text(struct ticket_store *store, const char *sql, const char *colsep,
                         const char *rowsep)
{
    struct yq_db *db = ticket_store_db(store);
    struct yq_stmt *st = NULL;
    char *out = NULL;
    size_t len = 0;
    int rc, rows = 0;

    append(&out, &len, "");
    if (yq_stmt_prepare(db, sql, &st) != YQ_DB_OK) {
        fail_msg("%s: %s", sql, yq_db_errmsg(db));
    }
    while ((rc = yq_stmt_step(st)) == YQ_DB_ROW) {
        append(&out, &len, rows++ ? rowsep : "");
        for (int c = 0; c < yq_stmt_column_count(st); c++) {
            char num[64];
            const char *v = num;
            double d;
            switch (yq_stmt_column_type(st, c)) {
            case YQ_DB_NULL:
                v = "";
                break;
            case YQ_DB_INTEGER:
                snprintf(num, sizeof(num), "%lld", (long long)yq_stmt_column_int64(st, c));
                break;
            case YQ_DB_FLOAT: /* as SQLite prints a REAL: 7.0, 2.28571428571429 */
                d = yq_stmt_column_double(st, c);
                snprintf(num, sizeof(num), d == (double)(long long)d ? "%.1f" : "%.15g", d);
                break;
            default:
                v = yq_stmt_column_text(st, c) ? yq_stmt_column_text(st, c) : "";
                break;
            }
            append(&out, &len, c ? colsep : "");
            append(&out, &len, v);
        }
    }
    if (rc != YQ_DB_DONE) {
        fail_msg("%s: %s", sql, yq_db_errmsg(db));
    }
    yq_stmt_finalize(st);
    return out;
}

int notifier_routes_load(struct notify_routes *r, const char *yaml, char *err, size_t errlen)
{
    struct cfg_doc doc;
    int rc;

    memset(&doc, 0, sizeof(doc));
    if (cfg_doc_load(&doc, "routes.yaml", yaml, strlen(yaml), err, errlen) != 0) {
        fail_msg("routes YAML: %s", err);
    }
    rc = notify_routes_parse(r, &doc, NULL, err, errlen);
    cfg_doc_release(&doc);
    return rc;
}

void notifier_apply_ok(struct ticket_store *store, const struct ticket_action *a, int64_t now,
                       struct ticket_action_result *res)
{
    char err[256] = "";

    if (ticket_flow_apply(store, a, now, res, err, sizeof(err)) != 0) {
        fail_msg("%s on %s: %s (store: %s)", ticket_action_name(a->kind), a->number, err,
                 ticket_store_errmsg(store));
    }
}

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

void notifier_each_corrupt_json(struct ticket_store *store, const char *set_sql, const char *name,
                                const char *column, int warnings,
                                void (*read_fn)(struct ticket_store *store, void *ctx, char *got,
                                                size_t len),
                                void *ctx, const char *want)
{
    /* what comes before and after name: not JSON, an object, a string, a cut array */
    static const char *const shapes[][2] = {
        {"", ""}, {"{\"a\":\"", "\"}"}, {"\"", "\""}, {"[\"", "\""}};
    char needle[128];

    snprintf(needle, sizeof(needle), "stored json column corrupt column=%s", column);
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        char text[256], path[] = "/tmp/notifier_corrupt_XXXXXX", log[8192] = "", got[512] = "";
        struct yq_stmt *st = NULL;
        int fd = mkstemp(path), saved, n_warnings;

        snprintf(text, sizeof(text), "%s%s%s", shapes[i][0], name, shapes[i][1]);
        assert_int_equal(yq_stmt_prepare(ticket_store_db(store), set_sql, &st), YQ_DB_OK);
        yq_stmt_bind_text(st, 1, text);
        assert_int_equal(yq_stmt_step(st), YQ_DB_DONE);
        yq_stmt_finalize(st);
        assert_true(fd >= 0);
        close(fd);
        saved = capture_begin(STDERR_FILENO, path);
        read_fn(store, ctx, got, sizeof(got));
        capture_end(STDERR_FILENO, saved, path, log, sizeof(log));
        unlink(path);
        if (strcmp(got, want) != 0) {
            fail_msg("stored %s: read %s, want %s", text, got, want);
        }
        n_warnings = occurrences(log, needle);
        if (warnings >= 0 ? n_warnings != warnings : n_warnings < 1) {
            fail_msg("stored %s: %d warnings for column %s, want %d; log: %s", text, n_warnings,
                     column, warnings, log);
        }
        assert_null(strstr(log, name)); /* never the value */
    }
}
