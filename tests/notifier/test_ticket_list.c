/*
 * The queue read in SQL (issue #12): ticket_store_list() evaluates every filter of
 * GET /api/tickets (state, lead or co-handling department, level, source by id, kind, kind
 * label or display name, detection time, overdue) in one statement, in the queue's order, one
 * page at a time; ticket_store_list_items_of() reads a page's items in one statement. Real rows
 * from the real intake and transitions, on a SQLite :memory: store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "yq_db.h"

#include "notifier_fixture.h"
#include "ticket_api.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"
#define DEPT_C "市水利局"

/* One alert of the fixture. */
struct spec {
    const char *key;     /* event key; also the ticket's name in the tests */
    const char *item_id; /* "<kind>:<n>" */
    const char *kind;    /* the item's source kind */
    const char *source_id;
    const char *channel; /* the source's display name */
    const char *level;
    const char *dept;
    const char *co_dept; /* a second matched rule's department (co-handling), or NULL */
    const char *matched_at;
};

static const struct spec fixture[] = {
    {"t1", "rss:1", "rss", "ak-news", "安康新闻网", "II", DEPT_A, DEPT_B, "2026-11-29T08:00:00Z"},
    {"t2", "wechat:2", "wechat", "ak-fabu", "安康发布", "III", DEPT_B, NULL,
     "2026-11-29T09:00:00Z"},
    {"t3", "weibo:3", "weibo", "wb-hanbin", "汉滨微博", "IV", DEPT_C, DEPT_A,
     "2026-11-30T08:00:00Z"},
    {"t4", "rss:4", "rss", "other-news", "其他新闻", "I", DEPT_A, NULL, "2026-11-28T08:00:00Z"},
    {"t5", "atom:5", "atom", "blog", "某博客", "III", DEPT_B, NULL, "2026-11-29T10:00:00Z"},
    /* a second item on t5 from another source: the source filter looks at every item */
    {"t5", "wechat:6", "wechat", "ak-fabu", "安康发布", "III", DEPT_B, NULL,
     "2026-11-29T10:05:00Z"},
    {"t6", "rss:7", "rss", "ak-news", "安康新闻网", "III", DEPT_A, NULL, "2026-11-29T11:00:00Z"},
};

static void intake(struct ticket_store *store, const struct spec *s)
{
    char json[4096], co[512] = "", err[256];
    struct yq_alert alert;
    struct ticket_intake_result res;

    if (s->co_dept) {
        snprintf(co, sizeof(co),
                 ",{\"rule_id\":\"co-%s\",\"name\":\"协办规则\",\"department\":\"%s\","
                 "\"level\":\"%s\",\"terms\":[{\"term\":\"排污\",\"field\":\"text\","
                 "\"start\":0,\"end\":2}]}",
                 s->key, s->co_dept, s->level);
    }
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"ev:%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"score\":40.0,\"level\":\"%s\","
             "\"department\":\"%s\",\"matches\":[{\"rule_id\":\"r-%s\",\"name\":\"测试规则\","
             "\"department\":\"%s\",\"level\":\"%s\",\"terms\":[{\"term\":\"征地\","
             "\"field\":\"text\",\"start\":2,\"end\":4}]}%s],"
             "\"item\":{\"schema\":1,\"id\":\"%s\",\"source\":\"%s\",\"source_id\":\"%s\","
             "\"channel\":\"%s\",\"url\":\"http://news.example/%s\",\"title\":\"标题 %s\","
             "\"text\":\"汉滨征地补偿款迟迟未发放\",\"author\":\"\",\"published_at\":null,"
             "\"published_precision\":\"second\",\"fetched_at\":\"%s\"}}",
             s->key, s->matched_at, s->level, s->dept, s->key, s->dept, s->level, co,
             s->item_id, s->kind, s->source_id, s->channel, s->item_id, s->key, s->matched_at);
    assert_int_equal(yq_alert_decode(json, strlen(json), &alert, err, sizeof(err)), 0);
    assert_int_equal(ticket_intake_alert(store, &alert, notifier_ts(s->matched_at) + 60, &res), 0);
    yq_alert_release(&alert);
}

/* The ticket number of the fixture's event key ("t1"). */
static void number_of(struct ticket_store *store, const char *key, char *out, size_t len)
{
    struct yq_stmt *st = NULL;
    char ev[32];

    snprintf(ev, sizeof(ev), "ev:%s", key);
    assert_int_equal(yq_stmt_prepare(ticket_store_db(store), "SELECT number FROM tickets WHERE event_key = ?", &st),
                     YQ_DB_OK);
    yq_stmt_bind_text(st, 1, ev);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    snprintf(out, len, "%s", yq_stmt_column_text(st, 0));
    yq_stmt_finalize(st);
}

static void act(struct ticket_store *store, const char *key, enum ticket_action_kind kind,
                const char *role, const char *reason)
{
    struct ticket_action a;
    char number[32];

    number_of(store, key, number, sizeof(number));
    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.number = number;
    a.actor = "tester";
    a.role = role;
    a.reason = reason;
    notifier_apply_ok(store, &a, notifier_ts("2026-11-30T12:00:00Z"), NULL);
}

static int setup(void **state)
{
    struct ticket_store *store = notifier_store_memory();

    for (size_t i = 0; i < sizeof(fixture) / sizeof(fixture[0]); i++) {
        intake(store, &fixture[i]);
    }
    act(store, "t2", TICKET_ACT_ACK, "liaison", NULL);                  /* acknowledged */
    act(store, "t6", TICKET_ACT_DISMISS, "duty_officer", "duplicate"); /* settled */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "UPDATE tickets SET response_overdue = 1 "
                                  "WHERE event_key = 'ev:t3'"),
                     YQ_DB_OK);
    *state = store;
    return 0;
}

static int teardown(void **state)
{
    ticket_store_free(*state);
    return 0;
}

/* The fixture keys ("t1,t4") of list, in order, into buf. */
static const char *keys(const struct ticket_list *list, char *buf, size_t len)
{
    size_t used = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < list->n && used < len; i++) {
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "," : "",
                                 list->v[i].event_key + 3);
    }
    return buf;
}

/* The keys ticket_store_list() gives for f, in order. */
static const char *listed(struct ticket_store *store, const struct ticket_filter *f, size_t max,
                          char *buf, size_t len)
{
    struct ticket_list list;

    assert_int_equal(ticket_store_list(store, f, max, &list), 0);
    keys(&list, buf, len);
    ticket_list_release(&list);
    return buf;
}

/*
 * Each filter alone, as sets (sorted by key: the order has its own test). want: the keys in
 * key order.
 */
static void test_each_filter_in_sql(void **state)
{
    struct ticket_store *store = *state;
    struct {
        struct ticket_filter f;
        const char *want;
    } cases[] = {
        {{.state = NULL}, "t1,t2,t3,t4,t5,t6"},
        {{.state = "active"}, "t1,t2,t3,t4,t5"},
        {{.state = "open"}, "t1,t3,t4,t5"},
        {{.state = "acknowledged"}, "t2"},
        {{.state = "dismissed"}, "t6"},
        {{.state = "closed"}, ""},
        /* lead or co-handling: t3 is DEPT_C's with DEPT_A co-handling */
        {{.department = DEPT_A}, "t1,t3,t4,t6"},
        {{.department = DEPT_B}, "t1,t2,t5"},
        {{.department = DEPT_C}, "t3"},
        {{.department = "市不存在局"}, ""},
        {{.lead_department = DEPT_A}, "t1,t4,t6"},
        {{.level = "I"}, "t4"},
        {{.level = "III"}, "t2,t5,t6"},
        {{.level = "IV"}, "t3"},
        /* source: id, kind, the kind's label, the display name (issue #11 leftover) */
        {{.source = "ak-news"}, "t1,t6"},
        {{.source = "ak-fabu"}, "t2,t5"},
        {{.source = "wechat"}, "t2,t5"},
        {{.source = "微博"}, "t3"},
        {{.source = "网站"}, "t1,t4,t5,t6"},
        {{.source = "安康发布"}, "t2,t5"},
        {{.source = "汉滨微博"}, "t3"},
        {{.source = "某博客"}, "t5"},
        {{.source = "不存在的来源"}, ""},
        /* detection time: [from, until) */
        {{.detected_from = 1795939200 /* 2026-11-29T08:00:00Z */}, "t1,t2,t3,t5,t6"},
        {{.detected_until = 1795939200}, "t4"},
        {{.detected_from = 1795942800, .detected_until = 1795950000}, "t2,t5"},
        {{.overdue_only = true}, "t3"},
        /* combined */
        {{.state = "active", .department = DEPT_A, .source = "网站"}, "t1,t4"},
        {{.department = DEPT_B, .level = "III", .source = "安康发布"}, "t2,t5"},
    };
    char got[256];

    assert_int_equal(notifier_ts("2026-11-29T08:00:00Z"), 1795939200);
    assert_int_equal(notifier_ts("2026-11-29T09:00:00Z"), 1795942800);
    assert_int_equal(notifier_ts("2026-11-29T11:00:00Z"), 1795950000);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ticket_list list;
        char sorted[256] = "";
        size_t used = 0;

        assert_int_equal(ticket_store_list(store, &cases[i].f, 100, &list), 0);
        /* the keys are t1..t6: sort by picking them in key order */
        for (char k = '1'; k <= '9'; k++) {
            for (size_t j = 0; j < list.n; j++) {
                if (list.v[j].event_key[4] == k) {
                    used += (size_t)snprintf(sorted + used, sizeof(sorted) - used, "%s%s",
                                             used ? "," : "", list.v[j].event_key + 3);
                }
            }
        }
        if (strcmp(sorted, cases[i].want) != 0) {
            fail_msg("case %zu: got %s (in order %s), want %s", i, sorted,
                     keys(&list, got, sizeof(got)), cases[i].want);
        }
        ticket_list_release(&list);
    }
}

/*
 * The keys listed by department DEPT_A, DEPT_C and DEPT_B, as "A|C|B" ("err N" for a failed
 * list), without asserting (notifier_each_corrupt_json()).
 */
static void read_by_departments(struct ticket_store *store, void *ctx, char *got, size_t len)
{
    static const char *const depts[] = {DEPT_A, DEPT_C, DEPT_B};
    size_t used = 0;

    (void)ctx;
    for (size_t i = 0; i < 3 && used < len; i++) {
        struct ticket_filter f = {.department = depts[i]};
        struct ticket_list list;
        char keys_buf[128];
        int err = ticket_store_list(store, &f, 100, &list);

        used += (size_t)snprintf(got + used, len - used, "%s", i ? "|" : "");
        if (err) {
            used += (size_t)snprintf(got + used, len - used, "err %d", err);
            continue;
        }
        used += (size_t)snprintf(got + used, len - used, "%s",
                                 keys(&list, keys_buf, sizeof(keys_buf)));
        ticket_list_release(&list);
    }
}

/*
 * docs/status.md: with a corrupt stored co_departments, filtering the list by a co-handling
 * department failed on PostgreSQL (the cast to json threw) while SQLite skipped a text that is
 * not JSON, and took a JSON object's or string's value as a co-handling department. Now the
 * list succeeds on both, the row co-handled by no one (yq_json_array(): [] and one warning
 * each time a list reads it: by DEPT_A and by DEPT_B, not by its lead DEPT_C, which matches
 * before), still listed under its lead; the valid rows match as before.
 */
static void test_corrupt_co_departments_are_none(void **state)
{
    struct ticket_store *store = *state;

    char got[256];

    /* as taken in, in queue order: t3 is DEPT_C's with DEPT_A co-handling */
    read_by_departments(store, NULL, got, sizeof(got));
    assert_string_equal(got, "t4,t1,t3,t6|t3|t1,t5,t2");
    notifier_each_corrupt_json(store, "UPDATE tickets SET co_departments = ?1 "
                               "WHERE event_key = 'ev:t3'",
                               DEPT_A, "co_departments", 2, read_by_departments, NULL,
                               "t4,t1,t6|t3|t1,t5,t2");
}

/* The earliest deadline among t's running clocks (the queue's first key for active ones). */
static int64_t nearest(const struct ticket *t)
{
    int64_t n = INT64_MAX;
    if (t->state == TICKET_STATE_OPEN && t->department[0] && t->ack_deadline < n) {
        n = t->ack_deadline;
    }
    if (!t->responded_at && t->response_deadline < n) {
        n = t->response_deadline;
    }
    if (t->press_deadline && !t->press_held_at && t->press_deadline < n) {
        n = t->press_deadline;
    }
    if (t->close_deadline && t->close_deadline < n) {
        n = t->close_deadline;
    }
    return n;
}

static void test_queue_order(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_filter all = {.state = NULL};
    struct ticket_list list;
    char got[256];

    /*
     * Open before settled; then the nearest running deadline: every open ticket's is its
     * 签收 (matched_at + 1 h), t2 (acknowledged) runs its 回应 (III: 48 h).
     */
    assert_string_equal(listed(store, &all, 100, got, sizeof(got)), "t4,t1,t5,t3,t2,t6");
    assert_int_equal(ticket_store_list(store, &all, 100, &list), 0);
    for (size_t i = 1; i < list.n; i++) {
        const struct ticket *a = &list.v[i - 1], *b = &list.v[i];
        bool a_settled = a->state == TICKET_STATE_DISMISSED || a->state == TICKET_STATE_CLOSED;
        bool b_settled = b->state == TICKET_STATE_DISMISSED || b->state == TICKET_STATE_CLOSED;
        assert_true(a_settled <= b_settled);
        if (!a_settled && !b_settled) {
            assert_true(nearest(a) <= nearest(b));
        }
    }
    ticket_list_release(&list);

    /* equal deadlines: level (I first), then heat, then detection time */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "UPDATE tickets SET ack_deadline = 2000000000, "
                                  "response_deadline = 2000000000, press_deadline = NULL, "
                                  "close_deadline = NULL, heat = 1 "
                                  "WHERE state NOT IN ('closed','dismissed');"
                                  "UPDATE tickets SET heat = 9 WHERE event_key = 'ev:t2';"),
                     YQ_DB_OK);
    /* t4 I, t1 II; III: t2 (heat 9) before t5; IV: t3 */
    assert_string_equal(listed(store, &all, 100, got, sizeof(got)), "t4,t1,t2,t5,t3,t6");
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store), "UPDATE tickets SET heat = 1, level = 'III' "
                                  "WHERE state NOT IN ('closed','dismissed')"),
                     YQ_DB_OK);
    /* everything equal but the detection time (t4 28th, t1 08:00, t2 09:00, t5 10:00, t3 30th) */
    assert_string_equal(listed(store, &all, 100, got, sizeof(got)), "t4,t1,t2,t5,t3,t6");
}

static void test_paging(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_filter f = {.state = NULL};
    char got[256];

    assert_string_equal(listed(store, &f, 2, got, sizeof(got)), "t4,t1");
    f.offset = 2;
    assert_string_equal(listed(store, &f, 2, got, sizeof(got)), "t5,t3");
    f.offset = 4;
    assert_string_equal(listed(store, &f, 2, got, sizeof(got)), "t2,t6");
    f.offset = 6;
    assert_string_equal(listed(store, &f, 2, got, sizeof(got)), "");
    f.offset = 1;
    f.department = DEPT_A; /* t4,t1,t3,t6 */
    assert_string_equal(listed(store, &f, 2, got, sizeof(got)), "t1,t3");
    f.offset = 0;
    assert_string_equal(listed(store, &f, 0, got, sizeof(got)), "");
}

static void test_bad_level_is_invalid(void **state)
{
    struct ticket_filter f = {.level = "V"};
    struct ticket_list list;

    assert_int_equal(ticket_store_list(*state, &f, 10, &list), ERR_INVALID);
    assert_int_equal(list.n, 0);
    assert_null(list.v);
}

/* The page's items in one query, grouped per ticket in page order, capped per ticket. */
static void test_items_of_page(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_filter f = {.state = NULL};
    struct ticket_list list;
    struct ticket_item_list items;
    size_t pos = 0, n = 0;
    const struct ticket_item *run;

    assert_int_equal(ticket_store_list(store, &f, 100, &list), 0); /* t4,t1,t5,t3,t2,t6 */
    assert_int_equal(ticket_store_list_items_of(store, &list, 10, &items), 0);
    assert_int_equal(items.n, 7);
    run = ticket_item_run(&items, list.v[0].id, &pos, &n); /* t4 */
    assert_int_equal(n, 1);
    assert_string_equal(run->item_id, "rss:4");
    run = ticket_item_run(&items, list.v[1].id, &pos, &n); /* t1 */
    assert_int_equal(n, 1);
    assert_string_equal(run->channel, "安康新闻网");
    run = ticket_item_run(&items, list.v[2].id, &pos, &n); /* t5: two items, attachment order */
    assert_int_equal(n, 2);
    assert_string_equal(run[0].item_id, "atom:5");
    assert_string_equal(run[1].item_id, "wechat:6");
    assert_string_equal(run[1].source_id, "ak-fabu");
    ticket_item_list_release(&items);

    /* at most one per ticket */
    assert_int_equal(ticket_store_list_items_of(store, &list, 1, &items), 0);
    assert_int_equal(items.n, 6);
    pos = 0;
    for (size_t i = 0; i < list.n; i++) {
        run = ticket_item_run(&items, list.v[i].id, &pos, &n);
        assert_int_equal(n, 1);
        assert_int_equal(run->ticket_id, list.v[i].id);
    }
    ticket_item_list_release(&items);
    ticket_list_release(&list);
}

/* ticket_api_summary(): the queue's JSON from the page's rows, no further reads. */
static void test_summary_json(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_filter f = {.source = "某博客"};
    struct ticket_list list;
    struct ticket_item_list items;
    size_t pos = 0, n = 0;
    const struct ticket_item *run;
    json_t *j;

    assert_int_equal(ticket_store_list(store, &f, 10, &list), 0);
    assert_int_equal(list.n, 1);
    assert_int_equal(ticket_store_list_items_of(store, &list, 20, &items), 0);
    run = ticket_item_run(&items, list.v[0].id, &pos, &n);
    j = ticket_api_summary(&list.v[0], run, n);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "source")), "atom");
    assert_string_equal(json_string_value(json_object_get(j, "channel")), "某博客");
    assert_string_equal(json_string_value(json_object_get(j, "state_label")), "待签收");
    assert_int_equal(json_array_size(json_object_get(j, "terms")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "terms"), 0)),
                        "征地");
    assert_int_equal(json_array_size(json_object_get(j, "rules")), 1);
    assert_null(json_object_get(j, "items"));
    assert_null(json_object_get(j, "log"));
    json_decref(j);
    ticket_item_list_release(&items);
    ticket_list_release(&list);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_each_filter_in_sql),   FX(test_queue_order),   FX(test_paging),
        FX(test_bad_level_is_invalid), FX(test_items_of_page), FX(test_summary_json),
        FX(test_corrupt_co_departments_are_none),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
