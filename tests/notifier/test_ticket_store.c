#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "yq_db.h"

#include "db_fixture.h"
#include "notifier_fixture.h"
#include "sqlite_fixture.h"
#include "test_alerts.h"
#include "ticket_api.h"
#include "ticket_held.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The primary result code of sql on db (the store enables extended codes). */
static int exec_rc(struct yq_db *db, const char *sql, const char **msg)
{
    int rc = yq_db_exec_raw(db, sql) & 0xff;
    if (msg) {
        *msg = rc == YQ_DB_OK ? NULL : yq_db_errmsg(db);
    }
    return rc;
}

static const struct test_alert_spec base = TEST_ALERT_LAND(
    "ev:aaaa", "rss:0001", "III", "2026-11-29T08:00:00Z", "2026-11-29T07:30:00Z", 42.0);

static void test_new_alert_creates_ticket(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct ticket t;
    int64_t logs = 0;
    int64_t detected = notifier_ts("2026-11-29T08:00:00Z");

    assert_int_equal(notifier_intake(store, &base, detected + 5, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_string_equal(res.number, "YQ-2026-11-0001");
    assert_int_equal(res.item_count, 1);

    assert_int_equal(ticket_store_get_by_number(store, "YQ-2026-11-0001", &t), 0);
    assert_int_equal(t.id, res.ticket_id);
    assert_string_equal(t.event_key, "ev:aaaa");
    assert_string_equal(t.title, "汉滨区征地补偿款迟迟未发放");
    assert_int_equal(t.level, YQ_LEVEL_III);
    assert_string_equal(t.department, "市自然资源局");
    assert_string_equal(ticket_state_name(t.state), "open");
    assert_true(t.has_first_post);
    assert_int_equal(t.first_post_at, notifier_ts("2026-11-29T07:30:00Z"));
    assert_int_equal(t.detected_at, detected);
    assert_int_equal(t.ack_deadline, detected + 3600);
    assert_int_equal(t.response_deadline, detected + 48 * 3600);
    assert_int_equal(t.item_count, 1);
    assert_true(t.score > 41.9 && t.score < 42.1);
    assert_int_equal(t.rules_version, 3);
    assert_string_equal(t.url, "https://news.example.cn/a/1.html");
    assert_int_equal(t.created_at, detected + 5);
    assert_int_equal(t.updated_at, detected + 5);
    ticket_release(&t);

    assert_int_equal(ticket_store_count_log(store, res.ticket_id, &logs), 0);
    assert_int_equal(logs, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE actor = 'system' "
                                           "AND action = 'created'"),
                     1);
    assert_int_equal(ticket_store_get_by_number(store, "YQ-2026-11-0002", &t), ERR_NOT_FOUND);
}

static void test_number_month_is_shanghai_month(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct test_alert_spec s = base;

    /* 2026-11-30T17:00Z is 2026-12-01 01:00 in Asia/Shanghai */
    s.event_key = "ev:dec1";
    s.matched_at = "2026-11-30T17:00:00Z";
    assert_int_equal(notifier_intake(store, &s, notifier_ts(s.matched_at), &res), 0);
    assert_string_equal(res.number, "YQ-2026-12-0001");

    /* 2026-11-30T15:59:59Z is still November (23:59:59 +08) */
    s.event_key = "ev:nov1";
    s.item_id = "rss:0002";
    s.matched_at = "2026-11-30T15:59:59Z";
    assert_int_equal(notifier_intake(store, &s, notifier_ts(s.matched_at), &res), 0);
    assert_string_equal(res.number, "YQ-2026-11-0001");

    s.event_key = "ev:dec2";
    s.item_id = "rss:0003";
    s.matched_at = "2026-11-30T16:00:00Z";
    assert_int_equal(notifier_intake(store, &s, notifier_ts(s.matched_at), &res), 0);
    assert_string_equal(res.number, "YQ-2026-12-0002");
}

static void test_same_event_new_item_attaches(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res1, res2;
    struct test_alert_spec s = base;
    struct ticket_item_list items;
    struct ticket t;
    int64_t logs = 0;

    assert_int_equal(notifier_intake(store, &base, 1000, &res1), 0);
    s.item_id = "rss:0002";
    s.title = "紫阳县拆迁补偿争议";
    s.url = "https://news.example.cn/a/2.html";
    s.published_at = "2026-11-29T06:00:00Z"; /* earlier than the first item */
    s.score = 50.0;
    s.level = "I"; /* a later alert does not change the level (issue #5: set level) */
    s.matched_at = "2026-11-29T09:00:00Z";
    assert_int_equal(notifier_intake(store, &s, 2000, &res2), 0);
    assert_int_equal(res2.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(res2.ticket_id, res1.ticket_id);
    assert_string_equal(res2.number, "YQ-2026-11-0001");
    assert_int_equal(res2.item_count, 2);

    assert_int_equal(ticket_store_get_by_number(store, "YQ-2026-11-0001", &t), 0);
    assert_int_equal(t.item_count, 2);
    assert_true(t.score > 49.9 && t.score < 50.1);
    assert_int_equal(t.first_post_at, notifier_ts("2026-11-29T06:00:00Z"));
    assert_int_equal(t.level, YQ_LEVEL_III);
    assert_int_equal(t.detected_at, notifier_ts("2026-11-29T08:00:00Z"));
    assert_int_equal(t.created_at, 1000);
    assert_int_equal(t.updated_at, 2000);
    ticket_release(&t);

    assert_int_equal(ticket_store_list_items(store, res1.ticket_id, 10, &items), 0);
    assert_int_equal(items.n, 2);
    assert_string_equal(items.v[0].item_id, "rss:0001");
    assert_string_equal(items.v[1].item_id, "rss:0002");
    assert_string_equal(items.v[1].title, "紫阳县拆迁补偿争议");
    assert_string_equal(items.v[1].channel, "安康新闻网");
    assert_string_equal(items.v[1].source, "rss");
    assert_string_equal(items.v[1].source_id, "ak-news");
    assert_string_equal(items.v[0].rule_ids, "[\"land-01\"]");
    assert_non_null(strstr(items.v[0].matches, "\"term\":\"征地\""));
    assert_string_equal(items.v[0].excerpt, "汉滨征地补偿款迟迟未发放，村民多次反映");
    assert_true(items.v[0].has_published);
    assert_int_equal(items.v[0].published_at, notifier_ts("2026-11-29T07:30:00Z"));
    assert_int_equal(items.v[1].added_at, 2000);
    ticket_item_list_release(&items);

    assert_int_equal(ticket_store_list_items(store, res1.ticket_id, 1, &items), 0);
    assert_int_equal(items.n, 1);
    ticket_item_list_release(&items);

    assert_int_equal(ticket_store_count_log(store, res1.ticket_id, &logs), 0);
    assert_int_equal(logs, 2);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'item_added' AND note = 'rss:0002'"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
}

static void test_redelivered_alert_changes_nothing(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct ticket t;
    int64_t logs = 0;

    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(notifier_intake(store, &base, 5000 + i, &res), 0);
        assert_int_equal(res.outcome, TICKET_INTAKE_DUPLICATE);
        assert_string_equal(res.number, "YQ-2026-11-0001");
        assert_int_equal(res.item_count, 1);
    }
    assert_int_equal(ticket_store_get_by_number(store, "YQ-2026-11-0001", &t), 0);
    assert_int_equal(t.item_count, 1);
    assert_int_equal(t.updated_at, 1000);
    ticket_release(&t);
    assert_int_equal(ticket_store_count_log(store, res.ticket_id, &logs), 0);
    assert_int_equal(logs, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_items"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
    /* the sequence was not advanced by the duplicates */
    assert_int_equal(notifier_count(store, "SELECT last_seq FROM ticket_number_seq"), 1);
}

static void test_deadlines_per_level(void **state)
{
    static const struct {
        const char *level, *detected, *response;
    } cases[] = {
        {"I", "2026-11-29T08:00:00Z", "2026-11-29T13:00:00Z"},
        {"II", "2026-11-29T22:30:00Z", "2026-11-30T03:30:00Z"},
        {"III", "2026-11-27T10:00:00Z", "2026-11-29T10:00:00Z"}, /* weekends count for III */
        /*
         * IV: 5 working days (Saturdays and Sundays in Asia/Shanghai skipped), counted from the
         * day after detection and ending at 24:00 (《民法典》第二百零一条、第二百零三条)
         */
        {"IV", "2026-11-26T02:00:00+08:00", "2026-12-04T00:00:00+08:00"}, /* Thu -> end Thu */
        {"IV", "2026-11-27T10:00:00+08:00", "2026-12-05T00:00:00+08:00"}, /* Fri -> end Fri */
        {"IV", "2026-11-28T10:00:00+08:00", "2026-12-05T00:00:00+08:00"}, /* Sat -> end Fri */
        {"IV", "2026-11-29T23:30:00+08:00", "2026-12-05T00:00:00+08:00"}, /* Sun -> end Fri */
        {"IV", "2026-11-30T09:00:00+08:00", "2026-12-08T00:00:00+08:00"}, /* Mon -> end Mon */
        /* Friday 23:30 Shanghai is Friday 15:30Z: the day is Shanghai's */
        {"IV", "2026-11-27T15:30:00Z", "2026-12-05T00:00:00+08:00"},
        /* Saturday 00:30 Shanghai is still Friday in UTC */
        {"IV", "2026-11-27T16:30:00Z", "2026-12-05T00:00:00+08:00"},
    };
    struct ticket_store *store = *state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum yq_level level;
        int64_t ack = 0, response = 0;
        struct ticket_intake_result res;
        struct test_alert_spec s = base;
        char key[32], item[32];
        struct ticket t;

        assert_int_equal(yq_level_parse(cases[i].level, &level), 0);
        struct ticket_deadline_set dl;
        ticket_clock_deadlines(NULL, NULL, level, notifier_ts(cases[i].detected),
                               notifier_ts(cases[i].detected), &dl);
        ack = dl.ack;
        response = dl.response;
        assert_int_equal(ack, notifier_ts(cases[i].detected) + 3600);
        if (response != notifier_ts(cases[i].response)) {
            char got[32];
            fail_msg("case %zu level %s: response %s, want %s", i, cases[i].level,
                     yq_time_format_utc(response, got, sizeof(got)), cases[i].response);
        }
        /* and the same values land in the row */
        snprintf(key, sizeof(key), "ev:dl%zu", i);
        snprintf(item, sizeof(item), "rss:dl%zu", i);
        s.event_key = key;
        s.item_id = item;
        s.level = cases[i].level;
        s.matched_at = cases[i].detected;
        assert_int_equal(notifier_intake(store, &s, 1, &res), 0);
        assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
        assert_int_equal(t.ack_deadline, ack);
        assert_int_equal(t.response_deadline, response);
        assert_int_equal(t.level, level);
        ticket_release(&t);
    }
}

static void test_ticket_log_is_append_only(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct yq_db *db = ticket_store_db(store);
    const char *msg = NULL;

    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(exec_rc(db, "UPDATE ticket_log SET note = 'x'", &msg), YQ_DB_CONSTRAINT);
    assert_non_null(strstr(msg, "append-only"));
    msg = NULL;
    assert_int_equal(exec_rc(db, "DELETE FROM ticket_log", &msg), YQ_DB_CONSTRAINT);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE note LIKE "
                                           "'level=III department=市自然资源局 item_id=rss:0001'"),
                     1);
    /* appending is allowed */
    assert_int_equal(yq_db_exec_raw(db, "INSERT INTO ticket_log (ticket_id, at, actor, action) "
                                  "VALUES (1, 2000, 'duty', 'note')"),
                     YQ_DB_OK);
    /* a log row for a missing ticket violates the foreign key */
    assert_int_equal(exec_rc(db,
                             "INSERT INTO ticket_log (ticket_id, at, actor, action) "
                             "VALUES (99, 2000, 'duty', 'note')",
                             NULL),
                     YQ_DB_CONSTRAINT);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log"), 2);
}

static void test_migrations_idempotent_on_reopen(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    struct ticket_intake_result res;
    char err[256] = "";
    int version = -1;

    (void)state;
    notifier_tmp_store_init(&t, "run/tickets.db");
    /* issue #10: only init creates the store (run/ included); open refuses a missing one */
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    assert_non_null(strstr(err, "yuqingctl store init"));
    assert_int_equal(ticket_store_init(&t.cfg, NULL, err, sizeof(err)), 0);
    for (int round = 0; round < 3; round++) {
        assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
        ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
        assert_int_equal(ticket_store_schema_version(store, &version), 0);
        assert_int_equal(version, TICKET_STORE_SCHEMA_VERSION);
        assert_int_equal(notifier_count(store, "SELECT count(*) FROM schema_version"),
                         TICKET_STORE_SCHEMA_VERSION);
        if (!db_fixture_pg()) {
            assert_int_equal(notifier_count(store, "PRAGMA synchronous"), 2); /* FULL */
            assert_int_equal(notifier_count(store, "PRAGMA foreign_keys"), 1);
            assert_int_equal(notifier_count(store, "SELECT count(*) FROM pragma_journal_mode "
                                                   "WHERE journal_mode = 'wal'"),
                             1);
        }
        if (round > 0) {
            /*
             * An up-to-date store applies nothing and takes no write lock to open: another
             * connection holds the writers' lock meanwhile (the open would fail ERR_RETRY
             * after busy_timeout_ms if it wanted it).
             */
            struct ticket_store *again = NULL;
            struct yq_db *other = NULL;
            assert_int_equal(yq_db_open(t.path, 0, 1000, &other, err, sizeof(err)), 0);
            assert_int_equal(yq_db_begin_write(other), YQ_DB_OK);
            if (ticket_store_open(&t.cfg, &again, err, sizeof(err)) != 0) {
                fail_msg("second open: %s", err);
            }
            ticket_store_free(again);
            yq_db_rollback(other);
            yq_db_close(other);
        }
        assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
        assert_int_equal(res.outcome, round == 0 ? TICKET_INTAKE_CREATED : TICKET_INTAKE_DUPLICATE);
        assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
        ticket_store_free(store);
        store = NULL;
    }

    /* a database from a newer binary is refused, not migrated backwards */
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "INSERT INTO schema_version VALUES (99, 0)"),
                     YQ_DB_OK);
    ticket_store_free(store);
    store = NULL;
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_BAD_STATE);
    assert_null(store);
    assert_non_null(strstr(err, "newer"));

    notifier_tmp_store_remove(&t);
}

static void test_readonly_store_reads_but_cannot_intake(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *writer = NULL, *reader = NULL;
    struct ticket_intake_result res;
    struct ticket_list list;
    struct yq_alert alert;
    char err[256] = "";

    (void)state;
    notifier_tmp_store_init(&t, "t.db");
    /* before init created it there is nothing to read */
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &reader, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(reader);
    assert_int_equal(ticket_store_init(&t.cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_open(&t.cfg, &writer, err, sizeof(err)), 0);
    ticket_store_set_policy(writer, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &reader, err, sizeof(err)), 0);
    assert_int_equal(notifier_intake(writer, &base, 1000, &res), 0);
    assert_int_equal(ticket_store_list_open(reader, 10, &list), 0);
    assert_int_equal(list.n, 1);
    assert_string_equal(list.v[0].number, "YQ-2026-11-0001");
    ticket_list_release(&list);
    assert_int_equal(test_alert_make(&base, &alert), 0);
    assert_int_not_equal(ticket_intake_alert(reader, &alert, 1000, &res), 0);
    yq_alert_release(&alert);
    ticket_store_free(reader);
    ticket_store_free(writer);
    notifier_tmp_store_remove(&t);
}

static void test_list_open_orders_by_response_deadline(void **state)
{
    static const struct {
        const char *key, *level;
    } tickets[] = {
        {"ev:iv", "IV"},     {"ev:iii", "III"},      {"ev:i", "I"},
        {"ev:closed", "II"}, {"ev:dismissed", "II"},
    };
    struct ticket_store *store = *state;
    struct ticket_list list;
    int64_t open_count = 0;

    for (size_t i = 0; i < sizeof(tickets) / sizeof(tickets[0]); i++) {
        struct test_alert_spec s = base;
        char item[32];
        snprintf(item, sizeof(item), "rss:%zu", i);
        s.event_key = tickets[i].key;
        s.item_id = item;
        s.level = tickets[i].level;
        assert_int_equal(notifier_intake(store, &s, 1000, NULL), 0);
    }
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "UPDATE tickets SET state = 'closed' WHERE event_key = "
                                  "'ev:closed';"
                                  "UPDATE tickets SET state = 'dismissed' WHERE event_key = "
                                  "'ev:dismissed';"
                                  "UPDATE tickets SET state = 'acknowledged' WHERE event_key = "
                                  "'ev:iii'"),
                     YQ_DB_OK);
    assert_int_equal(ticket_store_list_open(store, 100, &list), 0);
    assert_int_equal(list.n, 3);
    assert_string_equal(list.v[0].event_key, "ev:i");
    assert_string_equal(list.v[1].event_key, "ev:iii");
    assert_string_equal(ticket_state_name(list.v[1].state), "acknowledged");
    assert_string_equal(list.v[2].event_key, "ev:iv");
    assert_true(list.v[0].response_deadline < list.v[1].response_deadline);
    assert_true(list.v[1].response_deadline < list.v[2].response_deadline);
    ticket_list_release(&list);
    assert_int_equal(ticket_store_list_open(store, 2, &list), 0);
    assert_int_equal(list.n, 2);
    ticket_list_release(&list);
    assert_int_equal(ticket_store_count_open(store, &open_count), 0);
    assert_int_equal(open_count, 3);
    /* CHECK constraints keep states and levels to the known sets */
    assert_int_equal(exec_rc(ticket_store_db(store), "UPDATE tickets SET state = 'lost'", NULL),
                     YQ_DB_CONSTRAINT);
}

static void test_title_falls_back_to_text_and_is_bounded(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct test_alert_spec s = base;
    char long_title[2048] = "";
    struct ticket t;

    s.title = "";
    assert_int_equal(notifier_intake(store, &s, 1000, &res), 0);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_string_equal(t.title, "汉滨征地补偿款迟迟未发放，村民多次反映");
    ticket_release(&t);

    /* 300 three-byte code points: cut to 200 whole code points */
    for (int i = 0; i < 300; i++) {
        memcpy(long_title + strlen(long_title), "舆", sizeof("舆"));
    }
    s.event_key = "ev:long";
    s.item_id = "rss:long";
    s.title = long_title;
    assert_int_equal(notifier_intake(store, &s, 1000, &res), 0);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_int_equal(strlen(t.title), 200 * 3);
    ticket_release(&t);
}

static void test_missing_event_key_is_invalid(void **state)
{
    struct ticket_store *store = *state;
    struct yq_alert alert;

    assert_int_equal(test_alert_make(&base, &alert), 0);
    free(alert.item.id);
    alert.item.id = NULL;
    assert_int_equal(ticket_intake_alert(store, &alert, 1000, NULL), ERR_INVALID);
    yq_alert_release(&alert);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 0);
}

/* notifier_intake() with the item's author replaced by author (raw UTF-8, not JSON-escaped). */
static int intake_by(struct ticket_store *store, const struct test_alert_spec *spec,
                     const char *author, int64_t now, struct ticket_intake_result *res)
{
    struct yq_alert alert;
    int err;
    assert_int_equal(test_alert_make(spec, &alert), 0);
    free(alert.item.author);
    alert.item.author = strdup(author);
    assert_non_null(alert.item.author);
    err = ticket_intake_alert(store, &alert, now, res);
    yq_alert_release(&alert);
    return err;
}

/* FC-033's hostile dc:creator, an attribute break-out attempt. */
#define FC033_AUTHOR "\" onmouseover=\"alert('author')\" x=\""

/*
 * FC-033: the item's author is kept as the feed gave it (bounded to 100 code points) and
 * reaches the detail JSON verbatim; escaping is the renderer's job.
 */
static void test_issue_fc033_author_stored_and_in_detail(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct ticket_item_list items;
    struct test_alert_spec s = base;
    char long_author[1024] = "";
    json_t *d = NULL, *arr;

    assert_int_equal(intake_by(store, &base, FC033_AUTHOR, 1000, &res), 0);
    assert_int_equal(ticket_store_list_items(store, res.ticket_id, 10, &items), 0);
    assert_int_equal(items.n, 1);
    assert_string_equal(items.v[0].author, FC033_AUTHOR);
    ticket_item_list_release(&items);

    /* a second item of the event: 150 code points, cut to 100 whole ones */
    for (int i = 0; i < 150; i++) {
        memcpy(long_author + strlen(long_author), "网", sizeof("网"));
    }
    s.item_id = "rss:0002";
    assert_int_equal(intake_by(store, &s, long_author, 1001, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);

    assert_int_equal(ticket_api_detail(store, res.number, &d), 0);
    arr = json_object_get(d, "items");
    assert_int_equal(json_array_size(arr), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "author")),
                        FC033_AUTHOR);
    assert_int_equal(strlen(json_string_value(json_object_get(json_array_get(arr, 1), "author"))),
                     100 * 3);
    json_decref(d);
}

/*
 * A database written by a schema-2 binary (ticket_items without author) is migrated to 3 on
 * open: its tickets, items and log stay, old items read author "", and new items keep theirs.
 * The schema-2 file is made by undoing migration 3 on a fresh one (DROP COLUMN, SQLite 3.35+).
 */
static void test_v2_database_upgrades_to_v3_keeping_rows(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    struct ticket_intake_result res;
    struct ticket_item_list items;
    struct test_alert_spec s = base;
    char err[256] = "";
    int version = 0;
    struct yq_db *db = NULL;

    (void)state;
    notifier_tmp_store_create(&t, "t.db");
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    ticket_store_free(store);
    store = NULL;

    assert_int_equal(yq_db_open(t.path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
#define V2_COLUMNS_DROP                                                                            \
    "ALTER TABLE ticket_items DROP COLUMN author;"                                                 \
    "ALTER TABLE tickets DROP COLUMN rules_unverified;"                                            \
    "ALTER TABLE tickets DROP COLUMN rules_checked_at;"                                            \
    "DROP TABLE held_items;"
    assert_int_equal(exec_rc(db,
                             db_fixture_pg() ? V2_COLUMNS_DROP SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9_PG
                                               "DELETE FROM schema_version WHERE version >= 3"
                                             : V2_COLUMNS_DROP SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9
                                               "DELETE FROM schema_version WHERE version >= 3",
                             NULL),
                     YQ_DB_OK);
#undef V2_COLUMNS_DROP
    yq_db_close(db);

    /* a reader does not migrate: it refuses the old schema */
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &store, err, sizeof(err)), ERR_BAD_STATE);
    assert_null(store);

    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);

    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(ticket_store_schema_version(store, &version), 0);
    assert_int_equal(version, TICKET_STORE_SCHEMA_VERSION);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_items"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_item_revisions"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_items WHERE author = ''"),
                     1);

    /* the old item is still known (a redelivery changes nothing); a new one keeps its author */
    assert_int_equal(notifier_intake(store, &base, 2000, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_DUPLICATE);
    s.item_id = "rss:0002";
    assert_int_equal(intake_by(store, &s, "安康网友", 2000, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(ticket_store_list_items(store, res.ticket_id, 10, &items), 0);
    assert_int_equal(items.n, 2);
    assert_string_equal(items.v[0].item_id, "rss:0001");
    assert_string_equal(items.v[0].author, "");
    assert_string_equal(items.v[0].title, "汉滨区征地补偿款迟迟未发放");
    assert_string_equal(items.v[1].author, "安康网友");
    ticket_item_list_release(&items);
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

/* --- issue #10 ------------------------------------------------------------------------- */

static unsigned file_mode(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fail_msg("stat '%s' failed", path);
    }
    return (unsigned)(sb.st_mode & 0777);
}

/*
 * A store on a moved or unmounted disk was silently replaced by a new empty one. Only
 * ticket_store_init() creates; every open of a missing file is ERR_NOT_FOUND naming the path
 * and the command, and creates nothing (not even the directory).
 */
static void test_issue_10_open_never_creates_the_store(void **state)
{
    struct notifier_tmp_store t;
    char sub[128];
    struct ticket_store *store = NULL;
    struct ticket_intake_result res;
    bool created = false;
    struct stat sb;
    char err[512] = "";

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* files, modes and the lock file */
    notifier_tmp_store_init(&t, "unmounted/tickets.db");
    snprintf(sub, sizeof(sub), "%s/unmounted", t.dir);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    assert_non_null(strstr(err, t.path));
    assert_non_null(strstr(err, "yuqingctl store init"));
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_int_not_equal(stat(sub, &sb), 0); /* no directory, no file */

    /* the directory exists, the file does not: still refused */
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_int_not_equal(stat(t.path, &sb), 0);
    rmdir(sub);

    /* init creates the directories and the schema; open then works */
    assert_int_equal(ticket_store_init(&t.cfg, &created, err, sizeof(err)), 0);
    assert_true(created);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    ticket_store_free(store);
    store = NULL;
    /* a second init keeps the data */
    assert_int_equal(ticket_store_init(&t.cfg, &created, err, sizeof(err)), 0);
    assert_false(created);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
    ticket_store_free(store);

    /* ":memory:" stays usable for tests */
    t.cfg.path = (char *)":memory:";
    store = notifier_store_memory();
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

/*
 * The database with its -wal/-shm was created 0644 and holds Argon2 hashes and session tokens:
 * init creates the file 0600 before SQLite opens it, so -wal/-shm get 0600 too, and tightens
 * an older store's modes.
 */
static void test_issue_10_state_files_are_0600(void **state)
{
    struct notifier_tmp_store t;
    char side[300];
    struct ticket_store *store = NULL, *reader = NULL;
    struct ticket_store_lock *lock = NULL;
    struct ticket_intake_result res;
    mode_t old_mask = umask(022);
    char err[512] = "";

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* files, modes and the lock file */
    notifier_tmp_store_create(&t, "tickets.db");
    assert_int_equal(file_mode(t.path), 0600);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &reader, err, sizeof(err)), 0);
    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0); /* -wal and -shm exist now */
    snprintf(side, sizeof(side), "%s-wal", t.path);
    assert_int_equal(file_mode(side), 0600);
    snprintf(side, sizeof(side), "%s-shm", t.path);
    assert_int_equal(file_mode(side), 0600);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &lock, err, sizeof(err)), 0);
    snprintf(side, sizeof(side), "%s.lock", t.path);
    assert_int_equal(file_mode(side), 0600);
    ticket_store_lock_release(lock);

    /* a store made 0644 by an older binary: init sets 0600 on the file and its -wal/-shm */
    assert_int_equal(chmod(t.path, 0644), 0);
    snprintf(side, sizeof(side), "%s-wal", t.path);
    assert_int_equal(chmod(side, 0644), 0);
    assert_int_equal(ticket_store_init(&t.cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(file_mode(t.path), 0600);
    assert_int_equal(file_mode(side), 0600);
    ticket_store_free(reader);
    ticket_store_free(store);
    umask(old_mask);
    notifier_tmp_store_remove(&t);
}

struct migrate_arg {
    const char *path;
    pthread_barrier_t *barrier;
    int err;
    char errbuf[512];
};

static void *migrate_thread(void *p)
{
    struct migrate_arg *a = p;
    struct ticket_store_cfg cfg = {.path = (char *)a->path, .busy_timeout_ms = 30000};
    struct ticket_store *store = NULL;

    (void)store;
    pthread_barrier_wait(a->barrier);
    a->err = ticket_store_init(&cfg, NULL, a->errbuf, sizeof(a->errbuf));
    return NULL;
}

/*
 * Two notifiers started at once on a new store: one died with "database is locked" or
 * "migration 1 failed: table ticket_number_seq already exists". The version is now read in the
 * write transaction that applies the migration, and the loser waits (busy_timeout): three
 * initialisations of one empty file at once all succeed and each migration is recorded once
 * (a plain open refuses a file without the schema, see the next test). Rounds on fresh files
 * widen the race.
 */
static void test_issue_10_concurrent_migrations_both_succeed(void **state)
{
    struct notifier_tmp_store t;

    (void)state;
    notifier_tmp_store_init(&t, "tickets.db");
    /* PostgreSQL builds a schema in about a second: fewer rounds there */
    for (int round = 0; round < (db_fixture_pg() ? 4 : 12); round++) {
        struct migrate_arg args[3];
        pthread_t th[3];
        pthread_barrier_t barrier;
        struct ticket_store *store = NULL;
        char err[512] = "";
        int fd;

        if (db_fixture_pg()) {
            /* an empty schema: three notifiers started at once on a new PostgreSQL store */
            if (round > 0) {
                db_fixture_new(t.path, sizeof(t.path), t.path);
            }
        } else {
            /* an empty file, as left by a first start that died before migrating */
            fd = open(t.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
            assert_true(fd >= 0);
            close(fd);
        }
        assert_int_equal(pthread_barrier_init(&barrier, NULL, 3), 0);
        for (int i = 0; i < 3; i++) {
            memset(&args[i], 0, sizeof(args[i]));
            args[i].path = t.path;
            args[i].barrier = &barrier;
            assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &args[i]), 0);
        }
        for (int i = 0; i < 3; i++) {
            assert_int_equal(pthread_join(th[i], NULL), 0);
        }
        pthread_barrier_destroy(&barrier);
        for (int i = 0; i < 3; i++) {
            if (args[i].err != 0) {
                fail_msg("round %d thread %d: %s", round, i, args[i].errbuf);
            }
        }
        assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
        ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
        assert_int_equal(notifier_count(store, "SELECT count(*) FROM schema_version"),
                         TICKET_STORE_SCHEMA_VERSION);
        assert_int_equal(
            notifier_count(store, "SELECT count(DISTINCT version) FROM schema_version"),
            TICKET_STORE_SCHEMA_VERSION);
        ticket_store_free(store);
        notifier_tmp_store_remove(&t);
        assert_int_equal(mkdir(t.dir, 0700), 0);
    }
    rmdir(t.dir);
}

/*
 * Review of issue #10: a notifier started on an existing empty file migrated it from nothing,
 * took alerts and delivered notifications: an implicit store again. Every open refuses a file
 * without the schema, naming it and the command, and leaves it as it was.
 */
static void test_issue_10_empty_file_is_not_a_store(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    struct stat sb;
    char err[512] = "";
    int fd;

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* files, modes and the lock file */
    notifier_tmp_store_init(&t, "tickets.db");
    fd = open(t.path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    assert_non_null(strstr(err, "not an initialised ticket store"));
    assert_non_null(strstr(err, "yuqingctl store init"));
    assert_non_null(strstr(err, t.path));
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    assert_int_equal(stat(t.path, &sb), 0);
    assert_int_equal(sb.st_size, 0); /* nothing was written into it */
    /* store init makes it a store; then it opens */
    assert_int_equal(ticket_store_init(&t.cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

/*
 * Review of issue #10: the lock was found by path, so a second notifier reaching the same
 * database through a symlink or a hard link started. The database file itself is locked too.
 */
static void test_issue_10_one_notifier_whatever_the_path(void **state)
{
    struct notifier_tmp_store t;
    char sym[160], hard[160];
    struct ticket_store_cfg other_cfg = {.busy_timeout_ms = 1000};
    struct ticket_store_lock *first = NULL, *second = NULL;
    char err[512] = "";

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* files, modes and the lock file */
    notifier_tmp_store_init(&t, "tickets.db");
    snprintf(sym, sizeof(sym), "%s/link.db", t.dir);
    snprintf(hard, sizeof(hard), "%s/hard.db", t.dir);
    assert_int_equal(ticket_store_init(&t.cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(symlink(t.path, sym), 0);
    assert_int_equal(link(t.path, hard), 0);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &first, err, sizeof(err)), 0);
    other_cfg.path = sym;
    assert_int_equal(ticket_store_lock_acquire(&other_cfg, &second, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_null(second);
    assert_non_null(strstr(err, "in use by another notifier"));
    other_cfg.path = hard;
    assert_int_equal(ticket_store_lock_acquire(&other_cfg, &second, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_null(second);
    ticket_store_lock_release(first);
    /* released: the other t.path may take it */
    assert_int_equal(ticket_store_lock_acquire(&other_cfg, &second, err, sizeof(err)), 0);
    ticket_store_lock_release(second);
    unlink(sym);
    unlink(hard);
    {
        char p[200];
        snprintf(p, sizeof(p), "%s.lock", sym);
        unlink(p);
        snprintf(p, sizeof(p), "%s.lock", hard);
        unlink(p);
    }
    notifier_tmp_store_remove(&t);
}

/*
 * Two notifiers on one SQLite store both delivered the same outbox rows. The notifier's lock
 * on "<db>.lock" is exclusive: the second is refused with a message naming the store and the
 * holder; after release (or the holder's exit) it can be taken again. Other openers (web,
 * CLI) do not take it.
 */
static void test_issue_10_one_notifier_per_store(void **state)
{
    struct notifier_tmp_store t;
    char pid[32];
    struct ticket_store_lock *first = NULL, *second = NULL;
    struct ticket_store *other = NULL;
    char err[512] = "";

    (void)state;
    DB_FIXTURE_SQLITE_ONLY(); /* files, modes and the lock file */
    notifier_tmp_store_create(&t, "tickets.db");
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &first, err, sizeof(err)), 0);
    assert_non_null(first);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &second, err, sizeof(err)), ERR_BAD_STATE);
    assert_null(second);
    assert_non_null(strstr(err, "in use by another notifier"));
    assert_non_null(strstr(err, t.path));
    snprintf(pid, sizeof(pid), "pid %ld", (long)getpid());
    assert_non_null(strstr(err, pid));
    /* the web UI and the CLI still open the store */
    assert_int_equal(ticket_store_open(&t.cfg, &other, err, sizeof(err)), 0);
    ticket_store_set_policy(other, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    ticket_store_free(other);
    ticket_store_lock_release(first);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &second, err, sizeof(err)), 0);
    ticket_store_lock_release(second);

    /* in-memory stores need no lock */
    t.cfg.path = (char *)":memory:";
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &first, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &second, err, sizeof(err)), 0);
    ticket_store_lock_release(first);
    ticket_store_lock_release(second);
    notifier_tmp_store_remove(&t);
}

static int intake_unverified(struct ticket_store *store, const struct test_alert_spec *spec,
                             bool unverified, int64_t checked_at, struct ticket_intake_result *res)
{
    struct yq_alert alert;
    int err;
    assert_int_equal(test_alert_make(spec, &alert), 0);
    alert.rules_unverified = unverified;
    alert.rules_checked_at = checked_at;
    err = ticket_intake_alert(store, &alert, 1000, res);
    yq_alert_release(&alert);
    return err;
}

/*
 * Alerts made while the matcher could not check its rule version carry rules_unverified and
 * rules_checked_at; the ticket keeps the mark (migration 4) and the detail JSON shows it.
 */
static void test_issue_10_rules_unverified_on_ticket(void **state)
{
    struct ticket_store *store = *state;
    struct test_alert_spec s = base, other = base;
    struct ticket_intake_result res;
    struct ticket t;
    json_t *d = NULL;

    /* a verified alert: no mark */
    assert_int_equal(intake_unverified(store, &base, false, 0, &res), 0);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_false(t.rules_unverified);
    assert_int_equal(t.rules_checked_at, 0);
    ticket_release(&t);
    assert_int_equal(ticket_api_detail(store, res.number, &d), 0);
    assert_true(json_is_false(json_object_get(d, "rules_unverified")));
    assert_true(json_is_null(json_object_get(d, "rules_checked_at")));
    json_decref(d);

    /* a later item matched on unverified rules marks the ticket, with its last check */
    s.item_id = "rss:0002";
    assert_int_equal(intake_unverified(store, &s, true, notifier_ts("2026-11-29T07:58:00Z"), &res),
                     0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_true(t.rules_unverified);
    assert_int_equal(t.rules_checked_at, notifier_ts("2026-11-29T07:58:00Z"));
    ticket_release(&t);
    /* the oldest known check is kept; a later verified alert does not clear the mark */
    s.item_id = "rss:0003";
    assert_int_equal(intake_unverified(store, &s, true, notifier_ts("2026-11-29T06:00:00Z"), &res),
                     0);
    s.item_id = "rss:0004";
    assert_int_equal(intake_unverified(store, &s, true, notifier_ts("2026-11-29T07:59:00Z"), &res),
                     0);
    s.item_id = "rss:0005";
    assert_int_equal(intake_unverified(store, &s, false, 0, &res), 0);
    assert_int_equal(ticket_api_detail(store, res.number, &d), 0);
    assert_true(json_is_true(json_object_get(d, "rules_unverified")));
    assert_string_equal(json_string_value(json_object_get(d, "rules_checked_at")),
                        "2026-11-29T06:00:00Z");
    json_decref(d);

    /* a new ticket from an alert never checked: marked, time unknown */
    other.event_key = "ev:bbbb";
    other.item_id = "rss:0100";
    assert_int_equal(intake_unverified(store, &other, true, 0, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(ticket_api_detail(store, res.number, &d), 0);
    assert_true(json_is_true(json_object_get(d, "rules_unverified")));
    assert_true(json_is_null(json_object_get(d, "rules_checked_at")));
    json_decref(d);
}

/* Intake of spec's alert, with the item marked official and/or of day precision first. */
static int intake_marked(struct ticket_store *store, const struct test_alert_spec *spec,
                         bool official, bool day, struct ticket_intake_result *res)
{
    struct yq_alert alert;
    int err;
    assert_int_equal(test_alert_make(spec, &alert), 0);
    alert.item.official = official;
    if (day) {
        alert.item.precision = "day";
    }
    err = ticket_intake_alert(store, &alert, notifier_ts("2026-11-29T08:00:05Z"), res);
    yq_alert_release(&alert);
    return err;
}

/* An alert of base with these fields and marks, and the outcome its intake must have. */
struct marked_case {
    const char *event_key, *item_id;
    const char *published_at; /* NULL: undated */
    bool official, day;       /* the item's marks (intake_marked()) */
    enum ticket_intake_outcome outcome;
    const char *title, *level; /* NULL: base's */
};

/*
 * Take the n cases' alerts through intake_marked() in order: each must have its outcome, a held
 * one no ticket. A failure names the case's item id.
 */
static void intake_marked_cases(struct ticket_store *store, const struct marked_case *cases,
                                size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const struct marked_case *c = &cases[i];
        struct test_alert_spec spec = base;
        struct ticket_intake_result res;

        spec.event_key = c->event_key;
        spec.item_id = c->item_id;
        spec.published_at = c->published_at;
        spec.title = c->title ? c->title : base.title;
        spec.level = c->level ? c->level : base.level;
        assert_int_equal(intake_marked(store, &spec, c->official, c->day, &res), 0);
        if (res.outcome != c->outcome || (c->outcome == TICKET_INTAKE_HELD && res.ticket_id != 0)) {
            print_error("case %s: outcome %d ticket_id %lld\n", c->item_id, (int)res.outcome,
                        (long long)res.ticket_id);
        }
        assert_int_equal(res.outcome, c->outcome);
        if (c->outcome == TICKET_INTAKE_HELD) {
            assert_int_equal(res.ticket_id, 0);
        }
    }
}

/*
 * Issue #11: a post published in 2020 (fetched 2026-11-29) and the office's own announcement
 * open no ticket (no clocks, no 交办 notification): both are recorded in held_items with their
 * reason and listed for the duty officer; a post 71 h old, and a date-only post of three days
 * ago, still open tickets; an old item of an event that already has a ticket joins it.
 */
static void test_issue_11_old_and_official_items_are_held(void **state)
{
    static const struct marked_case held_cases[] = {
        {"ev:old", "rss:old", "2020-06-01T00:00:00Z", false, false, TICKET_INTAKE_HELD,
         "宇宙大爆炸理论", "II"},
        /* redelivered: still one row, no ticket */
        {"ev:old", "rss:old", "2020-06-01T00:00:00Z", false, false, TICKET_INTAKE_DUPLICATE,
         "宇宙大爆炸理论", "II"},
        {"ev:official", "wx:fabu:1", "2026-11-29T07:30:00Z", true, false, TICKET_INTAKE_HELD,
         "权威发布｜关于石泉县山体滑坡应急处置情况的通报", NULL},
    };
    static const struct marked_case fresh_cases[] = {
        /* 71 h before the fetch: fresh */
        {"ev:fresh", "rss:fresh", "2026-11-26T08:59:00Z", false, false, TICKET_INTAKE_CREATED, NULL,
         NULL},
        /* a date alone three days back counts as the end of that day: fresh */
        {"ev:dated", "rss:dated", "2026-11-26T00:00:00Z", false, true, TICKET_INTAKE_CREATED, NULL,
         NULL},
        /* the same date with second precision is more than 72 h back: old */
        {"ev:dated-2", "rss:dated-2", "2026-11-26T00:00:00Z", false, false, TICKET_INTAKE_HELD,
         NULL, NULL},
        /* an old item of an event with a ticket joins that ticket */
        {"ev:fresh", "rss:late-old", "2020-01-01T00:00:00Z", false, false, TICKET_INTAKE_ATTACHED,
         NULL, NULL},
    };
    struct ticket_store *store = *state;
    struct ticket_held_list held;

    intake_marked_cases(store, held_cases, sizeof(held_cases) / sizeof(held_cases[0]));

    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM outbox"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM held_items"), 2);

    assert_int_equal(ticket_store_list_held(store, NULL, NULL, 10, &held), 0);
    assert_int_equal(held.n, 2);
    assert_string_equal(held.v[0].item_id, "wx:fabu:1"); /* same detection: newest row first */
    ticket_held_list_release(&held);
    assert_int_equal(ticket_store_list_held(store, "old", NULL, 10, &held), 0);
    assert_int_equal(held.n, 1);
    assert_string_equal(held.v[0].item_id, "rss:old");
    assert_string_equal(held.v[0].reason, "old");
    assert_string_equal(held.v[0].title, "宇宙大爆炸理论");
    assert_string_equal(held.v[0].level, "II");
    assert_true(held.v[0].has_published);
    assert_int_equal(held.v[0].published_at, notifier_ts("2020-06-01T00:00:00Z"));
    assert_int_equal(held.v[0].fetched_at, notifier_ts("2026-11-29T07:59:00Z"));
    assert_string_equal(held.v[0].rule_ids, "[\"land-01\"]");
    ticket_held_list_release(&held);
    assert_int_equal(ticket_store_list_held(store, "official", NULL, 10, &held), 0);
    assert_int_equal(held.n, 1);
    assert_string_equal(held.v[0].reason, "official");
    ticket_held_list_release(&held);
    /* searchable: text of the title, excerpt, channel, author or URL */
    assert_int_equal(ticket_store_list_held(store, NULL, "大爆炸", 10, &held), 0);
    assert_int_equal(held.n, 1);
    assert_string_equal(held.v[0].item_id, "rss:old");
    ticket_held_list_release(&held);
    assert_int_equal(ticket_store_list_held(store, NULL, "补偿款", 10, &held), 0);
    assert_int_equal(held.n, 2); /* both excerpts (the fixture's text) */
    ticket_held_list_release(&held);
    assert_int_equal(ticket_store_list_held(store, "old", "山体滑坡", 10, &held), 0);
    assert_int_equal(held.n, 0);
    ticket_held_list_release(&held);

    intake_marked_cases(store, fresh_cases, sizeof(fresh_cases) / sizeof(fresh_cases[0]));
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 2);
}

/*
 * Review of issue #11: undated backlog items were stored as 'old' without a publication time
 * (migration 5's CHECK). Migration 6 allows 'undated' and converts such rows; an old row with
 * a publication time stays 'old'.
 */
static void test_issue_11_migration_6_undated_reason(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    char err[512] = "";
    struct yq_db *db = NULL;
    struct yq_stmt *st = NULL;
/* migration 5's held_items and three rows; the backend gives its id column, types and CHECK */
#define HELD_V5(ID, INT, CHECK, REAL)                                                              \
    "DROP TABLE held_items;"                                                                       \
    "CREATE TABLE held_items (id " ID ", item_id TEXT NOT NULL UNIQUE, event_key TEXT NOT NULL,"   \
    " reason TEXT NOT NULL " CHECK " (reason IN ('old','official')),"                              \
    " source TEXT NOT NULL DEFAULT '', source_id TEXT NOT NULL DEFAULT '',"                        \
    " channel TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '',"                             \
    " title TEXT NOT NULL DEFAULT '', excerpt TEXT NOT NULL DEFAULT '',"                           \
    " author TEXT NOT NULL DEFAULT '', published_at " INT ", published_precision TEXT,"            \
    " fetched_at " INT " NOT NULL, detected_at " INT " NOT NULL, level TEXT NOT NULL,"             \
    " department TEXT NOT NULL DEFAULT '', source_department TEXT NOT NULL DEFAULT '',"            \
    " rule_ids TEXT NOT NULL DEFAULT '[]', matches TEXT NOT NULL DEFAULT '[]',"                    \
    " score " REAL " NOT NULL DEFAULT 0, held_at " INT " NOT NULL);"                               \
    "CREATE INDEX held_items_detected ON held_items (detected_at DESC, id DESC);"                  \
    "INSERT INTO held_items (item_id, event_key, reason, published_at, fetched_at,"                \
    " detected_at, level, held_at) VALUES"                                                         \
    " ('rss:undated', 'ev:1', 'old', NULL, 100, 100, 'III', 100),"                                 \
    " ('rss:old', 'ev:2', 'old', 50, 400000, 400000, 'III', 400000),"                              \
    " ('rss:own', 'ev:3', 'official', 90, 100, 100, 'II', 100);"
    const char *v5 = HELD_V5("INTEGER PRIMARY KEY", "INTEGER", "CHECK", "REAL")
        SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9 "DELETE FROM schema_version WHERE version >= 6;";
    /* the same state on PostgreSQL: migration 5's table with its named CHECK */
    const char *v5_pg = HELD_V5("BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", "BIGINT",
                                "CONSTRAINT held_items_reason_check CHECK", "DOUBLE PRECISION")
        SQLITE_FIXTURE_DROP_TICKET_MIGRATION_9_PG "DELETE FROM schema_version WHERE version >= 6;";
#undef HELD_V5
    const char *want[][2] = {{"rss:old", "old"}, {"rss:own", "official"}, {"rss:undated", "undated"}};
    int n = 0;

    (void)state;
    notifier_tmp_store_create(&t, "tickets.db");
    assert_int_equal(yq_db_open(t.path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
    if (yq_db_exec_raw(db, db_fixture_pg() ? v5_pg : v5) != YQ_DB_OK) {
        fail_msg("back to schema 5: %s", yq_db_errmsg(db));
    }
    yq_db_close(db);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0); /* runs migration 6 */
    ticket_store_set_policy(store, notifier_policy_hand_over_all()); /* every alert opens its ticket */
    assert_int_equal(yq_stmt_prepare(ticket_store_db(store), "SELECT item_id, reason FROM held_items ORDER BY item_id", &st),
                     YQ_DB_OK);
    while (yq_stmt_step(st) == YQ_DB_ROW) {
        assert_true(n < 3);
        assert_string_equal(yq_stmt_column_text(st, 0), want[n][0]);
        assert_string_equal(yq_stmt_column_text(st, 1), want[n][1]);
        n++;
    }
    yq_stmt_finalize(st);
    assert_int_equal(n, 3);
    /* the new CHECK takes 'undated' and still refuses anything else */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "INSERT INTO held_items (item_id, event_key, reason, fetched_at,"
                                  " detected_at, level, held_at) VALUES ('rss:x', 'ev:4', 'lost',"
                                  " 1, 1, 'IV', 1)") & 0xff,
                     YQ_DB_CONSTRAINT);
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

/*
 * Issue #11: a post without a publication time from a source's first poll (the collector marks
 * it "backlog", like the 2020 posts with empty <pubDate> of caogen_rss_utf8_bom_empty_pubdate)
 * opens no ticket and no clock: held as "undated" with its label; an undated post that is new
 * in a later poll (no mark) still opens a ticket whose clocks run from its fetch.
 */
static void test_issue_11_undated_backlog_is_held(void **state)
{
    static const char backlog_item[] =
        "{\"schema\":1,\"id\":\"rss:b\",\"source\":\"rss\",\"source_id\":\"caogen\","
        "\"published_at\":null,\"fetched_at\":\"2026-11-29T07:59:00Z\",\"backlog\":true}";
    /* undated but new in a later poll: a ticket, its clocks from the fetch */
    static const struct marked_case undated_new = {
        "ev:undated-new", "rss:caogen-new", NULL, false, false, TICKET_INTAKE_CREATED, NULL, NULL};
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct ticket_held_list held;
    struct test_alert_spec undated = base;
    struct yq_alert alert;
    struct yq_item item;
    json_t *j;
    char err[128] = "";

    assert_int_equal(yq_item_decode(backlog_item, strlen(backlog_item), &item, err, sizeof(err)),
                     0);
    assert_true(item.backlog);
    assert_false(item.has_published);
    yq_item_release(&item);

    undated.event_key = "ev:undated";
    undated.item_id = "rss:caogen-2020";
    undated.title = "宇宙大爆炸理论";
    undated.level = "II";
    undated.published_at = NULL;
    assert_int_equal(test_alert_make(&undated, &alert), 0);
    alert.item.backlog = true;
    assert_int_equal(ticket_intake_alert(store, &alert, notifier_ts("2026-11-29T08:00:05Z"), &res),
                     0);
    yq_alert_release(&alert);
    assert_int_equal(res.outcome, TICKET_INTAKE_HELD);
    assert_int_equal(res.ticket_id, 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM outbox"), 0);

    assert_int_equal(ticket_store_list_held(store, "undated", NULL, 10, &held), 0);
    assert_int_equal(held.n, 1);
    assert_string_equal(held.v[0].item_id, "rss:caogen-2020");
    assert_string_equal(held.v[0].reason, "undated");
    assert_false(held.v[0].has_published);
    j = ticket_held_json(&held.v[0]);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "undated");
    assert_string_equal(json_string_value(json_object_get(j, "reason_label")),
                        "未标注发布时间（首次采集的存量）");
    assert_true(json_is_true(json_object_get(j, "undated")));
    assert_true(json_is_false(json_object_get(j, "old")));
    assert_true(json_is_false(json_object_get(j, "official")));
    assert_true(json_is_null(json_object_get(j, "published_at")));
    assert_true(json_is_null(json_object_get(j, "age_hours")));
    json_decref(j);
    ticket_held_list_release(&held);
    assert_int_equal(ticket_store_list_held(store, "old", NULL, 10, &held), 0);
    assert_int_equal(held.n, 0); /* not an old post: its age is unknown */
    ticket_held_list_release(&held);

    intake_marked_cases(store, &undated_new, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM held_items"), 1);
}

/* --- issue #16: the store on PostgreSQL ---------------------------------------------------- */

/*
 * A PostgreSQL database (here: a new schema) without the store's tables is not a store: open
 * and the reader refuse it naming the location and the command, and write nothing; init makes
 * it one (created), a second init keeps it. No lock file: several notifiers share the store.
 */
static void test_issue_16_pg_schema_refused_until_init(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store *store = NULL;
    struct ticket_store_lock *first = NULL, *second = NULL;
    struct ticket_intake_result res;
    bool created = false;
    char err[512] = "";
    int version = 0;

    (void)state;
    if (!db_fixture_pg()) {
        skip(); /* the SQLite file's cases are test_issue_10_* */
    }
    notifier_tmp_store_init(&t, "tickets.db");
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    assert_non_null(strstr(err, "not an initialised ticket store"));
    assert_non_null(strstr(err, "yuqingctl store init"));
    assert_non_null(strstr(err, "postgresql://"));
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &store, err, sizeof(err)), ERR_NOT_FOUND);
    assert_null(store);
    {
        struct yq_db *db = NULL;
        bool has = true;
        assert_int_equal(yq_db_open(t.path, 0, 1000, &db, err, sizeof(err)), 0);
        assert_int_equal(yq_db_has_table(db, "schema_version", &has, err, sizeof(err)), 0);
        assert_false(has); /* nothing was written */
        yq_db_close(db);
    }
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &first, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_lock_acquire(&t.cfg, &second, err, sizeof(err)), 0);
    ticket_store_lock_release(first);
    ticket_store_lock_release(second);

    assert_int_equal(ticket_store_init(&t.cfg, &created, err, sizeof(err)), 0);
    assert_true(created);
    assert_int_equal(ticket_store_open(&t.cfg, &store, err, sizeof(err)), 0);
    ticket_store_set_policy(store, notifier_policy_hand_over_all());
    assert_int_equal(ticket_store_schema_version(store, &version), 0);
    assert_int_equal(version, TICKET_STORE_SCHEMA_VERSION);
    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    ticket_store_free(store);
    store = NULL;
    assert_int_equal(ticket_store_init(&t.cfg, &created, err, sizeof(err)), 0);
    assert_false(created);
    assert_int_equal(ticket_store_open_readonly(&t.cfg, &store, err, sizeof(err)), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 1);
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

/*
 * The immutable records are enforced by the database on both backends: UPDATE and DELETE of
 * ticket_log, event_log, ticket_clock_history and stats_publications fail with
 * YQ_DB_CONSTRAINT and the table's message (PostgreSQL: TRUNCATE too); appending works.
 */
static void test_issue_16_append_only_tables(void **state)
{
    static const struct {
        const char *table, *message;
    } tables[] = {
        {"ticket_log", "ticket_log is append-only"},
        {"event_log", "event_log is append-only"},
        {"ticket_clock_history", "ticket_clock_history is append-only"},
        {"stats_publications", "a published report does not change"},
    };
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct yq_db *db = ticket_store_db(store);
    const char *msg = NULL;
    char sql[160];

    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(yq_db_exec_raw(db, "INSERT INTO event_log (event_id, at, actor, action) "
                                        "SELECT id, 1000, 'duty', 'note' FROM events"),
                     YQ_DB_OK);
    assert_int_equal(
        yq_db_exec_raw(db, "INSERT INTO stats_publications (period, window_start, cutoff, "
                           "published_at, published_by, role, report_json, report_text, "
                           "report_csv, report_html) VALUES ('2026-11', 0, 10, 20, 'head', "
                           "'head', '{}', '', '', '')"),
        YQ_DB_OK);
    /* the period's form is checked on both (GLOB on SQLite, SIMILAR TO on PostgreSQL) */
    assert_int_equal(
        exec_rc(db,
                "INSERT INTO stats_publications (period, window_start, cutoff, published_at, "
                "published_by, role, report_json, report_text, report_csv, report_html) VALUES "
                "('2026-1', 0, 10, 20, 'head', 'head', '{}', '', '', '')",
                NULL),
        YQ_DB_CONSTRAINT);
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].table);
        assert_true(notifier_count(store, sql) >= 1);
        snprintf(sql, sizeof(sql), "UPDATE %s SET id = id", tables[i].table);
        assert_int_equal(exec_rc(db, sql, &msg), YQ_DB_CONSTRAINT);
        assert_non_null(strstr(msg, tables[i].message));
        snprintf(sql, sizeof(sql), "DELETE FROM %s", tables[i].table);
        assert_int_equal(exec_rc(db, sql, &msg), YQ_DB_CONSTRAINT);
        assert_non_null(strstr(msg, tables[i].message));
        if (db_fixture_pg()) {
            snprintf(sql, sizeof(sql), "TRUNCATE %s CASCADE", tables[i].table);
            assert_int_equal(exec_rc(db, sql, &msg), YQ_DB_CONSTRAINT);
            assert_non_null(strstr(msg, tables[i].message));
        }
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i].table);
        assert_true(notifier_count(store, sql) >= 1);
    }
}

/*
 * ticket_clock_history is written by triggers on both backends: one row when a ticket is made
 * (at created_at), one when its department, level, assignment or a deadline changes (at
 * updated_at), none for other changes or a change to the same value.
 */
static void test_issue_16_clock_history_triggers(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct yq_db *db = ticket_store_db(store);
    struct yq_stmt *st = NULL;

    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_clock_history"), 1);
    assert_int_equal(notifier_count(store, "SELECT at FROM ticket_clock_history"),
                     notifier_count(store, "SELECT created_at FROM tickets"));
    assert_int_equal(yq_db_exec_raw(db, "UPDATE tickets SET heat = heat + 5, updated_at = 5000"),
                     YQ_DB_OK);
    assert_int_equal(yq_db_exec_raw(db, "UPDATE tickets SET department = department, "
                                        "updated_at = 5500"),
                     YQ_DB_OK);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_clock_history"), 1);
    assert_int_equal(yq_db_exec_raw(db, "UPDATE tickets SET department = '市住建局', "
                                        "close_deadline = 90000, updated_at = 6000"),
                     YQ_DB_OK);
    assert_int_equal(yq_db_exec_raw(db, "UPDATE tickets SET press_deadline = NULL, "
                                        "updated_at = 7000 WHERE press_deadline IS NOT NULL"),
                     YQ_DB_OK);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_clock_history"), 2);
    assert_int_equal(yq_stmt_prepare(db,
                                     "SELECT at, department, close_deadline FROM "
                                     "ticket_clock_history ORDER BY id DESC",
                                     &st),
                     YQ_DB_OK);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    assert_int_equal(yq_stmt_column_int64(st, 0), 6000);
    assert_string_equal(yq_stmt_column_text(st, 1), "市住建局");
    assert_int_equal(yq_stmt_column_int64(st, 2), 90000);
    yq_stmt_finalize(st);
}

/*
 * Rows written with explicit ids (as a copy from another store does): once yq_db_sync_ids()
 * ran, the store's own inserts take ids above them on both backends (identity columns on
 * PostgreSQL do not look at the rows by themselves).
 */
static void test_issue_16_ids_increase_after_explicit_ids(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct test_alert_spec other = base;
    struct yq_db *db = ticket_store_db(store);
    char err[256] = "";

    assert_int_equal(notifier_intake(store, &base, 1000, &res), 0);
    assert_int_equal(yq_db_exec_raw(db, "INSERT INTO ticket_log (id, ticket_id, at, actor, action) "
                                        "SELECT 1000, id, 1500, 'import', 'note' FROM tickets"),
                     YQ_DB_OK);
    assert_int_equal(yq_db_sync_ids(db, err, sizeof(err)), 0);
    other.event_key = "ev:bbbb";
    other.item_id = "rss:0002";
    assert_int_equal(notifier_intake(store, &other, 2000, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE id > 1000"), 1);
    assert_int_equal(notifier_count(store, "SELECT min(ticket_id) FROM ticket_log WHERE id > 1000"),
                     res.ticket_id);
}

/*
 * The write probe writes (docs/status.md: it wrote nothing): each call commits one more count
 * on store_probe's one row (migration 16), and touches neither tickets nor the schema version;
 * on both databases.
 */
static void test_write_probe_commits_its_own_row(void **state)
{
    struct ticket_store *store = *state;
    int64_t versions = notifier_count(store, "SELECT count(*) FROM schema_version");

    assert_int_equal(notifier_count(store, "SELECT count(*) FROM store_probe"), 0);
    assert_int_equal(ticket_store_write_probe(store), 0);
    assert_int_equal(notifier_count(store, "SELECT writes FROM store_probe WHERE id = 1"), 1);
    assert_int_equal(ticket_store_write_probe(store), 0);
    assert_int_equal(ticket_store_write_probe(store), 0);
    assert_int_equal(notifier_count(store, "SELECT writes FROM store_probe WHERE id = 1"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM store_probe"), 1);
    assert_false(yq_db_in_transaction(ticket_store_db(store))); /* committed, not left open */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM schema_version"), versions);
    assert_int_equal(notifier_count(store, "SELECT max(version) FROM schema_version"),
                     TICKET_STORE_SCHEMA_VERSION);
}

/*
 * FX(test): test with a fixture of its own: notifier_memory_store_setup() before it,
 * notifier_memory_store_teardown() after it
 */
#define FX(test)                                                                                   \
    cmocka_unit_test_setup_teardown(test, notifier_memory_store_setup,                             \
                                    notifier_memory_store_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_new_alert_creates_ticket),
        FX(test_number_month_is_shanghai_month),
        FX(test_same_event_new_item_attaches),
        FX(test_redelivered_alert_changes_nothing),
        FX(test_deadlines_per_level),
        FX(test_ticket_log_is_append_only),
        cmocka_unit_test(test_migrations_idempotent_on_reopen),
        cmocka_unit_test(test_readonly_store_reads_but_cannot_intake),
        FX(test_list_open_orders_by_response_deadline),
        FX(test_title_falls_back_to_text_and_is_bounded),
        FX(test_missing_event_key_is_invalid),
        FX(test_issue_fc033_author_stored_and_in_detail),
        cmocka_unit_test(test_v2_database_upgrades_to_v3_keeping_rows),
        cmocka_unit_test(test_issue_10_open_never_creates_the_store),
        cmocka_unit_test(test_issue_10_state_files_are_0600),
        cmocka_unit_test(test_issue_10_concurrent_migrations_both_succeed),
        cmocka_unit_test(test_issue_10_one_notifier_per_store),
        cmocka_unit_test(test_issue_10_empty_file_is_not_a_store),
        cmocka_unit_test(test_issue_10_one_notifier_whatever_the_path),
        FX(test_issue_10_rules_unverified_on_ticket),
        FX(test_issue_11_old_and_official_items_are_held),
        FX(test_issue_11_undated_backlog_is_held),
        cmocka_unit_test(test_issue_11_migration_6_undated_reason),
        cmocka_unit_test(test_issue_16_pg_schema_refused_until_init),
        FX(test_issue_16_append_only_tables),
        FX(test_issue_16_clock_history_triggers),
        FX(test_issue_16_ids_increase_after_explicit_ids),
        FX(test_write_probe_commits_its_own_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
