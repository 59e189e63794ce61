/*
 * Issue #10: an item published 8 h after it was fetched (a bridge labelling Beijing time as
 * UTC) does not set a ticket's first-post time in the future: the intake takes the item's
 * effective time (yq_item_effective_time(): the fetch time for a future timestamp).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "notifier_fixture.h"
#include "test_alerts.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"
#include "yq_banned.h"

static void test_issue_10_future_timestamp_first_post_is_fetch_time(void **state)
{
    struct ticket_store *store = NULL;
    struct ticket_intake_result res;
    struct ticket t;
    /* test_alerts.h items are fetched at 2026-11-29T07:59:00Z */
    struct test_alert_spec future = {
        .event_key = "ev:future",
        .item_id = "rss:future",
        .title = "北京时间标成了UTC",
        .url = "https://news.example.cn/a/9.html",
        .level = "III",
        .matched_at = "2026-11-29T08:00:00Z",
        .published_at = "2026-11-29T15:59:00Z", /* 8 h ahead of the fetch */
        .score = 42.0,
    };
    struct test_alert_spec second = future;

    (void)state;
    store = notifier_store_memory(); /* every alert opens its ticket; PostgreSQL in a -pg run */
    assert_int_equal(notifier_intake(store, &future, notifier_ts("2026-11-29T08:00:05Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_true(t.has_first_post);
    assert_int_equal(t.first_post_at, notifier_ts("2026-11-29T07:59:00Z")); /* not 15:59 */
    ticket_release(&t);

    /* a later item of the same event, also 8 h ahead: first post stays the fetch time */
    second.item_id = "rss:future-2";
    second.published_at = "2026-11-29T16:30:00Z";
    assert_int_equal(notifier_intake(store, &second, notifier_ts("2026-11-29T08:01:00Z"), &res), 0);
    assert_int_equal(ticket_store_get_by_number(store, res.number, &t), 0);
    assert_int_equal(t.first_post_at, notifier_ts("2026-11-29T07:59:00Z"));
    assert_int_equal(t.item_count, 2);
    ticket_release(&t);
    ticket_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_10_future_timestamp_first_post_is_fetch_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
