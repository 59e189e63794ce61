#include "notifier_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sqlite3.h>

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

struct ticket_store *notifier_store_memory(void)
{
    struct ticket_store_cfg cfg = {.path = ":memory:", .busy_timeout_ms = 1000};
    struct ticket_store *store = NULL;
    char err[256] = "";

    if (ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fail_msg("store: %s", err);
    }
    assert_non_null(store);
    return store;
}

int notifier_intake(struct ticket_store *store, const struct test_alert_spec *spec, int64_t now,
                    struct ticket_intake_result *res)
{
    struct yq_alert alert;
    int err;

    assert_int_equal(test_alert_make(spec, &alert), 0);
    err = ticket_intake_alert(store, &alert, now, res);
    yq_alert_release(&alert);
    return err;
}

int64_t notifier_count(struct ticket_store *store, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t n;

    assert_int_equal(sqlite3_prepare_v2(ticket_store_db(store), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

void notifier_apply_ok(struct ticket_store *store, const struct ticket_action *a, int64_t now,
                       struct ticket_action_result *res)
{
    char err[256] = "";

    if (ticket_flow_apply(store, a, now, res, err, sizeof(err)) != 0) {
        fail_msg("%s on %s: %s", ticket_action_name(a->kind), a->number, err);
    }
}
