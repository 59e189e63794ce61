/*
 * Issue #15: the sources' blind windows (notifier/source_blind.h): recording is idempotent and
 * order-free, the administrator is told once per window (and once of its end), hostile source
 * events are skipped without blocking the next good one, and the lists the web page and the
 * briefing read (windows overlapping a range, windows open at an instant).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "briefing.h"
#include "notifier_metrics.h"
#include "briefing_html.h"
#include "capture.h"
#include "notifier.h"
#include "notifier_fixture.h"
#include "source_blind.h"
#include "source_event_fixture.h"
#include "test_expect.h"
#include "yq_err.h"

#define ADMIN_YAML                                                                                 \
    "channels:\n"                                                                                  \
    "  ops-hook: {type: webhook, url: 'http://127.0.0.1:9/ops'}\n"                                 \
    "  ops-hook2: {type: webhook, url: 'http://127.0.0.1:9/ops2'}\n"                               \
    "administrator: [ops-hook, ops-hook2, ops-hook]\n"

/* A store in memory whose policy routes administrator notices to two channels. */
struct world {
    struct ticket_store *store;
    struct notify_routes routes;
    struct ticket_policy policy;
};

static void world_open(struct world *w, bool admin)
{
    char err[256] = "";

    memset(w, 0, sizeof(*w));
    w->store = notifier_store_memory();
    w->policy = *notifier_policy_hand_over_all();
    if (admin) {
        if (notifier_routes_load(&w->routes, ADMIN_YAML, err, sizeof(err)) != 0) {
            fail_msg("routes: %s", err);
        }
        w->policy.routes = &w->routes;
    }
    w->policy.link_base = "https://yq.ankang.example";
    ticket_store_set_policy(w->store, &w->policy);
}

static void world_close(struct world *w)
{
    ticket_store_free(w->store);
    notify_routes_release(&w->routes);
}

/* A source event of 安康市人民政府 · 政务要闻. */
static struct yq_source_event event(bool open, enum yq_blind_reason reason, const char *start,
                                    const char *end)
{
    return source_event_fixture(
        open, reason, notifier_ts(start), end ? notifier_ts(end) : 0,
        notifier_ts(end ? end : start), "HTTP 404",
        reason == YQ_BLIND_WALLED ? "微博 Cookie（collectors.weibo.cookie_file）" : NULL);
}

static enum source_blind_outcome record(struct world *w, const struct yq_source_event *ev,
                                        const char *now, int *notices)
{
    enum source_blind_outcome o = SOURCE_BLIND_UNCHANGED;
    int n = -1;

    assert_int_equal(source_blind_record(w->store, ev, notifier_ts(now), &o, &n), 0);
    if (notices) {
        *notices = n;
    }
    return o;
}

/* record() ev at now: it must end in outcome, having queued `notices` administrator notices. */
static void expect_record(struct world *w, const struct yq_source_event *ev, const char *now,
                          enum source_blind_outcome outcome, int notices)
{
    int n = -1;

    assert_int_equal(record(w, ev, now, &n), outcome);
    assert_int_equal(n, notices);
}

/* expect_record() at first, then its redelivery at again: unchanged, no notice. */
static void expect_once(struct world *w, const struct yq_source_event *ev, const char *first,
                        const char *again, enum source_blind_outcome outcome, int notices)
{
    expect_record(w, ev, first, outcome, notices);
    expect_record(w, ev, again, SOURCE_BLIND_UNCHANGED, 0);
}

static void test_open_close_idempotent_and_order_free(void **state)
{
    struct world w;
    struct yq_source_event open = event(true, YQ_BLIND_FAILING, "2026-12-05T01:00:00Z", NULL);
    struct yq_source_event close =
        event(false, YQ_BLIND_FAILING, "2026-12-05T01:00:00Z", "2026-12-05T03:30:00Z");

    (void)state;
    world_open(&w, false);
    /* no administrator channel: logged only */
    expect_record(&w, &open, "2026-12-05T01:00:05Z", SOURCE_BLIND_OPENED, 0);
    assert_int_equal(record(&w, &open, "2026-12-05T01:10:00Z", NULL), SOURCE_BLIND_UNCHANGED);
    {
        char sql[160];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM source_blind_windows WHERE ended_at IS NULL AND "
                 "opened_at = %lld",
                 (long long)notifier_ts("2026-12-05T01:00:05Z"));
        assert_int_equal(notifier_count(w.store, sql), 1);
    }
    assert_int_equal(record(&w, &close, "2026-12-05T03:30:10Z", NULL), SOURCE_BLIND_CLOSED);
    assert_int_equal(record(&w, &close, "2026-12-05T03:40:00Z", NULL), SOURCE_BLIND_UNCHANGED);
    /* a redelivered open after the close changes nothing: the window stays closed */
    assert_int_equal(record(&w, &open, "2026-12-05T03:50:00Z", NULL), SOURCE_BLIND_UNCHANGED);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows"), 1);
    assert_int_equal(notifier_count(w.store, "SELECT ended_at - started_at FROM "
                                             "source_blind_windows"),
                     9000);
    assert_int_equal(notifier_count(w.store, "SELECT closed_at FROM source_blind_windows"),
                     notifier_ts("2026-12-05T03:30:10Z"));

    /* a close before its open: recorded closed; the late open is a no-op */
    {
        struct yq_source_event c2 =
            event(false, YQ_BLIND_WALLED, "2026-12-05T05:00:00Z", "2026-12-05T06:00:00Z");
        struct yq_source_event o2 = event(true, YQ_BLIND_WALLED, "2026-12-05T05:00:00Z", NULL);
        assert_int_equal(record(&w, &c2, "2026-12-05T06:00:01Z", NULL), SOURCE_BLIND_PAST);
        assert_int_equal(record(&w, &o2, "2026-12-05T06:00:02Z", NULL), SOURCE_BLIND_UNCHANGED);
        assert_int_equal(record(&w, &c2, "2026-12-05T06:00:03Z", NULL), SOURCE_BLIND_UNCHANGED);
        assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows "
                                                 "WHERE reason = 'walled' AND ended_at IS NOT "
                                                 "NULL"),
                         1);
    }
    /* same source and start, another reason: another window */
    {
        struct yq_source_event q = event(true, YQ_BLIND_QUIET, "2026-12-05T01:00:00Z", NULL);
        assert_int_equal(record(&w, &q, "2026-12-05T07:00:00Z", NULL), SOURCE_BLIND_OPENED);
        assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows"), 3);
    }
    /* invalid: nothing recorded */
    {
        struct yq_source_event bad = close;
        bad.ended_at = bad.started_at - 1;
        assert_int_equal(source_blind_record(w.store, &bad, 0, NULL, NULL), ERR_INVALID);
        bad = open;
        bad.source_id = "";
        assert_int_equal(source_blind_record(w.store, &bad, 0, NULL, NULL), ERR_INVALID);
        bad = open;
        bad.reason = YQ_BLIND_REASON_COUNT;
        assert_int_equal(source_blind_record(w.store, &bad, 0, NULL, NULL), ERR_INVALID);
        assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows"), 3);
    }
    world_close(&w);
}

static void test_administrator_told_once_per_window(void **state)
{
    struct world w;
    struct yq_source_event open = event(true, YQ_BLIND_WALLED, "2026-12-05T01:00:00Z", NULL);
    struct yq_source_event close =
        event(false, YQ_BLIND_WALLED, "2026-12-05T01:00:00Z", "2026-12-05T03:30:00Z");
    struct yq_source_event past =
        event(false, YQ_BLIND_UNPOLLED, "2026-12-04T16:00:00Z", "2026-12-04T22:00:00Z");
    char *body;

    (void)state;
    world_open(&w, true);
    /* two distinct administrator channels (one listed twice) */
    expect_once(&w, &open, "2026-12-05T01:00:05Z", "2026-12-05T01:05:00Z", SOURCE_BLIND_OPENED, 2);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE kind = "
                                             "'source_blind' AND role = 'administrator' AND "
                                             "ticket_id IS NULL AND urgent = 0"),
                     2);
    {
        struct yq_stmt *st = NULL;
        assert_int_equal(yq_stmt_prepare(ticket_store_db(w.store), "SELECT subject, body FROM outbox WHERE channel = "
                                            "'ops-hook'", &st),
                         YQ_DB_OK);
        assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
        assert_string_equal(yq_stmt_column_text(st, 0),
                            "【信息源告警】安康市人民政府 · 政务要闻 监测盲区（需要重新登录）");
        body = strdup(yq_stmt_column_text(st, 1));
        yq_stmt_finalize(st);
    }
    {
        static const char *const says[] = {
            "信息源告警：安康市人民政府 · 政务要闻 监测盲区（需要重新登录），"
            "自 2026-12-05 09:00（北京时间）起。",
            "需要更新：微博 Cookie（collectors.weibo.cookie_file）",
            "所属单位：安康市人民政府办公室",
            "https://yq.ankang.example/sources",
        };
        test_expect_text("the notice", body, says, sizeof(says) / sizeof(says[0]), NULL, 0);
    }
    free(body);

    /* the close: one 恢复 notice per channel, once */
    expect_once(&w, &close, "2026-12-05T03:30:05Z", "2026-12-05T03:31:00Z", SOURCE_BLIND_CLOSED, 2);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE kind = "
                                             "'source_recovered' AND body LIKE '%2026-12-05 "
                                             "09:00 至 2026-12-05 11:30%共 2 小时 30 分钟%'"),
                     2);

    /* an unpolled window arrives closed: one notice, none on redelivery */
    expect_once(&w, &past, "2026-12-05T04:00:00Z", "2026-12-05T04:01:00Z", SOURCE_BLIND_PAST, 2);
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE subject = "
                                    "'【信息源告警】安康市人民政府 · 政务要闻 监测盲区（未采集）'"),
                     2);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox"), 6);
    world_close(&w);
}

/* Review #15 item 9: at most one open window per (source, reason); implausible starts refused. */
static void test_one_open_window_per_source_and_reason(void **state)
{
    struct world w;
    static const char *const starts[] = {"2026-12-05T01:00:00Z", "2026-12-05T02:00:00Z",
                                         "2026-12-05T03:00:00Z", "2026-12-05T00:30:00Z",
                                         "2026-12-05T04:00:00Z"};
    struct yq_source_event ev;

    (void)state;
    world_open(&w, true);
    for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
        ev = event(true, YQ_BLIND_FAILING, starts[i], NULL);
        assert_int_equal(record(&w, &ev, "2026-12-05T05:00:00Z", NULL),
                         i == 0 ? SOURCE_BLIND_OPENED : SOURCE_BLIND_UNCHANGED);
    }
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows WHERE "
                                             "ended_at IS NULL"),
                     1);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox"), 2); /* one open */
    /* another reason of the same source is its own window */
    ev = event(true, YQ_BLIND_QUIET, "2026-12-05T02:00:00Z", NULL);
    assert_int_equal(record(&w, &ev, "2026-12-05T05:00:00Z", NULL), SOURCE_BLIND_OPENED);
    /* once closed, the next failing run opens a new window */
    ev = event(false, YQ_BLIND_FAILING, "2026-12-05T01:00:00Z", "2026-12-05T06:00:00Z");
    assert_int_equal(record(&w, &ev, "2026-12-05T06:00:01Z", NULL), SOURCE_BLIND_CLOSED);
    ev = event(true, YQ_BLIND_FAILING, "2026-12-05T07:00:00Z", NULL);
    assert_int_equal(record(&w, &ev, "2026-12-05T07:00:01Z", NULL), SOURCE_BLIND_OPENED);
    /* a start of epoch 0 (a broken clock) is refused, nothing recorded */
    ev = event(true, YQ_BLIND_STALE, "2026-12-05T07:00:00Z", NULL);
    ev.started_at = 0;
    assert_int_equal(source_blind_record(w.store, &ev, 0, NULL, NULL), ERR_INVALID);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows"), 3);
    world_close(&w);
}

/* Review #15 item 10: C1 and bidi controls never reach a stored name or a notice's subject. */
static void test_c1_and_bidi_controls_cleaned(void **state)
{
    struct world w;
    struct yq_source_event ev = event(true, YQ_BLIND_WALLED, "2026-12-05T01:00:00Z", NULL);

    (void)state;
    world_open(&w, true);
    ev.source_name = "安康发布\xc2\x85\xe2\x80\xae" "gpj.exe";
    ev.detail = "ok:-100\xe2\x81\xa6x\xe2\x81\xa9";
    assert_int_equal(record(&w, &ev, "2026-12-05T01:00:05Z", NULL), SOURCE_BLIND_OPENED);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM source_blind_windows WHERE "
                                             "source_name = '安康发布\xef\xbf\xbd\xef\xbf\xbd"
                                             "gpj.exe' AND detail = 'ok:-100\xef\xbf\xbdx"
                                             "\xef\xbf\xbd'"),
                     1);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE subject LIKE "
                                             "'%\xc2\x85%' OR subject LIKE '%\xe2\x80\xae%' OR "
                                             "body LIKE '%\xe2\x81\xa6%'"),
                     0);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE subject = "
                                             "'【信息源告警】安康发布\xef\xbf\xbd\xef\xbf\xbd"
                                             "gpj.exe 监测盲区（需要重新登录）'"),
                     2);
    world_close(&w);
}

/* Review #15 item 5: the close of a source no longer polled says it stopped, not recovered. */
static void test_retired_close_is_not_a_recovery(void **state)
{
    struct world w;
    struct yq_source_event open = event(true, YQ_BLIND_FAILING, "2026-12-05T01:00:00Z", NULL);
    struct yq_source_event close =
        event(false, YQ_BLIND_FAILING, "2026-12-05T01:00:00Z", "2026-12-05T06:00:00Z");
    int n = 0;

    (void)state;
    world_open(&w, true);
    close.detail = YQ_SOURCE_EVENT_RETIRED "信息源已停用（enabled: false）";
    assert_int_equal(record(&w, &open, "2026-12-05T01:00:05Z", NULL), SOURCE_BLIND_OPENED);
    assert_int_equal(record(&w, &close, "2026-12-05T06:00:01Z", &n), SOURCE_BLIND_CLOSED);
    assert_int_equal(n, 2);
    assert_int_equal(notifier_count(w.store,
                                    "SELECT count(*) FROM outbox WHERE subject = "
                                    "'【信息源停用】安康市人民政府 · 政务要闻 停止采集（无法访问 "
                                    "盲区结束）' AND body LIKE '%共 5 小时 0 分钟，该信息源已停止"
                                    "采集，不再监测。%' AND body LIKE '%详情：信息源已停用（enabled: "
                                    "false）%' AND body NOT LIKE '%恢复%'"),
                     2);
    /* a close for a window never recorded open is fine: recorded closed (past), told once,
       as stopped too */
    close.started_at = notifier_ts("2026-12-04T01:00:00Z");
    assert_int_equal(record(&w, &close, "2026-12-05T06:00:02Z", NULL), SOURCE_BLIND_PAST);
    assert_int_equal(notifier_count(w.store, "SELECT count(*) FROM outbox WHERE subject LIKE "
                                             "'【信息源停用】%'"),
                     4);
    world_close(&w);
}

/* Review #15 item 9: a time is null in the JSON only when it is absent. */
static void test_row_json_null_only_when_absent(void **state)
{
    struct source_blind_row row = {.id = 1, .source_id = "a", .source_name = "", .source_kind = "",
                                   .department = "", .reason = "failing", .detail = "",
                                   .renew = "", .started_at = 0, .ended_at = 0};
    json_t *o;

    (void)state;
    o = source_blind_row_json(&row, 3600);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "started_at")),
                        "1970-01-01T00:00:00Z");
    assert_true(json_is_null(json_object_get(o, "ended_at")));
    assert_true(json_is_true(json_object_get(o, "open")));
    assert_int_equal(json_integer_value(json_object_get(o, "duration_s")), 3600);
    json_decref(o);
    row.started_at = 1796432400; /* 2026-12-05T01:00:00Z */
    row.ended_at = 1796439600;
    o = source_blind_row_json(&row, 0);
    assert_string_equal(json_string_value(json_object_get(o, "ended_at")),
                        "2026-12-05T03:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(o, "duration_s")), 7200);
    json_decref(o);
}

/* Payloads of the sources topic: each hostile one is skipped (0: commit) and logged. */
static void test_payload_hostile_skipped_then_good_stored(void **state)
{
    static const char *const bad[] = {
        "",
        "not json",
        "[1,2,3]",
        "{\"schema\":2,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"failing\","
        "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":7,\"event\":\"open\",\"reason\":\"failing\","
        "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":\"a\",\"event\":\"shut\",\"reason\":\"failing\","
        "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"bored\","
        "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":\"a\",\"event\":\"close\",\"reason\":\"failing\","
        "\"started_at\":\"2026-12-05T01:00:00Z\",\"ended_at\":\"2026-12-05T00:00:00Z\","
        "\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"failing\","
        "\"started_at\":\"yesterday\",\"at\":\"2026-12-05T01:00:00Z\"}",
        "{\"schema\":1,\"source_id\":\"a\",\"source_id\":\"b\"}",
    };
    char path[] = "/tmp/yq-blind-log-XXXXXX", log[16384];
    struct ticket_store *store = notifier_store_memory();
    const char *good = "{\"schema\":1,\"source_id\":\"ankang-weibo\",\"source_name\":\"安康发布\","
                       "\"event\":\"open\",\"reason\":\"walled\",\"started_at\":"
                       "\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T01:00:01Z\","
                       "\"detail\":\"ok:-100\\u0007\\u001b[31m\",\"renew\":\"cookie\"}";
    char *huge;
    size_t huge_len = 4 * 1024 * 1024;
    struct notifier_metrics m = {0};
    int fd, saved;

    (void)state;
    fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    saved = capture_begin(STDERR_FILENO, path);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(notifier_source_payload(store, &m, bad[i], strlen(bad[i]), 0, (int64_t)i,
                                                 notifier_ts("2026-12-05T02:00:00Z")),
                         0);
    }
    assert_int_equal(notifier_source_payload(store, &m, NULL, 0, 0, 98, 0), 0);
    /* a huge field (4 MiB of "x" as the name) is not a failure of the store either */
    huge = malloc(huge_len + 512);
    assert_non_null(huge);
    {
        int k = snprintf(huge, 512,
                         "{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":"
                         "\"failing\",\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":"
                         "\"2026-12-05T01:00:00Z\",\"source_name\":\"");
        memset(huge + k, 'x', huge_len);
        snprintf(huge + k + huge_len, 512 - (size_t)k, "\"}");
    }
    assert_int_equal(notifier_source_payload(store, &m, huge, strlen(huge), 0, 99,
                                             notifier_ts("2026-12-05T02:00:00Z")),
                     0);
    free(huge);
    assert_int_equal(notifier_source_payload(store, &m, good, strlen(good), 0, 100,
                                             notifier_ts("2026-12-05T02:00:00Z")),
                     0);
    /* the /metrics counters (every message read; each bad one skipped; the two good opened) */
    assert_int_equal(atomic_load(&m.source_events_consumed),
                     (long long)(sizeof(bad) / sizeof(bad[0])) + 3);
    assert_int_equal(atomic_load(&m.source_events_malformed) +
                         atomic_load(&m.source_events_rejected),
                     (long long)(sizeof(bad) / sizeof(bad[0])) + 1);
    assert_int_equal(atomic_load(&m.blind_windows_opened), 2);
    capture_end(STDERR_FILENO, saved, path, log, sizeof(log));
    unlink(path);
    {
        static const char *const says[] = {
            "malformed source event skipped partition=0 offset=1 "
            "reason='source event is not JSON: ",
            "offset=3 reason='source event schema must be 1'",
            "offset=6 reason='source event 'reason' must be failing",
            "offset=7 reason='source event ends before it starts'",
            "offset=9 reason='source event is not JSON: duplicate object key near",
        };
        test_expect_text("the log", log, says, sizeof(says) / sizeof(says[0]), NULL, 0);
    }
    /* the good one after them is stored (the huge one too: its name is kept as given) */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM source_blind_windows WHERE "
                                           "source_id = 'ankang-weibo' AND reason = 'walled' "
                                           "AND ended_at IS NULL"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM source_blind_windows"), 2);
    /* the terminal escape and the bell of the detail are U+FFFD (yq_text_printable) */
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM source_blind_windows WHERE "
                                           "detail = 'ok:-100\xef\xbf\xbd\xef\xbf\xbd[31m'"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT max(length(source_name)) FROM "
                                           "source_blind_windows"),
                     YQ_SOURCE_EVENT_TEXT_MAX);
    ticket_store_free(store);
}

static void test_list_ranges_and_open_at(void **state)
{
    struct world w;
    struct source_blind_list l;
    struct yq_source_event a =
        event(false, YQ_BLIND_FAILING, "2026-11-30T10:00:00Z", "2026-11-30T12:00:00Z");
    struct yq_source_event b = event(true, YQ_BLIND_STALE, "2026-12-01T00:00:00Z", NULL);
    struct yq_source_event c =
        event(false, YQ_BLIND_QUIET, "2026-12-02T00:00:00Z", "2026-12-02T06:00:00Z");
    json_t *j;

    (void)state;
    world_open(&w, false);
    c.source_id = "ankang-wechat";
    record(&w, &a, "2026-11-30T12:00:01Z", NULL);
    record(&w, &b, "2026-12-01T00:00:01Z", NULL);
    record(&w, &c, "2026-12-02T06:00:01Z", NULL);

    /* overlapping [12-01T00, 12-03T00): b and c, newest first */
    assert_int_equal(source_blind_list(w.store, NULL, notifier_ts("2026-12-01T00:00:00Z"),
                                       notifier_ts("2026-12-03T00:00:00Z"), 10, &l),
                     0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0].source_id, "ankang-wechat");
    assert_string_equal(l.v[1].reason, "stale");
    assert_int_equal(l.v[1].ended_at, 0);
    source_blind_list_release(&l);
    /* one source; a range ending as a window starts does not hold it */
    assert_int_equal(source_blind_list(w.store, "ankang-gov-news",
                                       notifier_ts("2026-11-30T11:00:00Z"),
                                       notifier_ts("2026-12-01T00:00:00Z"), 10, &l),
                     0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].reason, "failing");
    source_blind_list_release(&l);
    /* open at 12-02T03: b (open) and c (until 06) */
    assert_int_equal(source_blind_list(w.store, NULL, notifier_ts("2026-12-02T03:00:00Z"),
                                       notifier_ts("2026-12-02T03:00:00Z"), 10, &l),
                     0);
    assert_int_equal(l.n, 2);
    source_blind_list_release(&l);
    /* open at 12-02T06 (c ended then): b only; max 0 gives nothing */
    assert_int_equal(source_blind_list(w.store, NULL, notifier_ts("2026-12-02T06:00:00Z"),
                                       notifier_ts("2026-12-02T06:00:00Z"), 10, &l),
                     0);
    assert_int_equal(l.n, 1);
    j = source_blind_row_json(&l.v[0], notifier_ts("2026-12-02T06:00:00Z"));
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "reason_label")), "内容陈旧");
    assert_string_equal(json_string_value(json_object_get(j, "started_at")),
                        "2026-12-01T00:00:00Z");
    assert_string_equal(json_string_value(json_object_get(j, "started_at_display")),
                        "2026-12-01 08:00");
    assert_true(json_is_null(json_object_get(j, "ended_at")));
    assert_true(json_is_true(json_object_get(j, "open")));
    assert_int_equal(json_integer_value(json_object_get(j, "duration_s")), 30 * 3600);
    json_decref(j);
    source_blind_list_release(&l);
    assert_int_equal(source_blind_list(w.store, NULL, 10, 5, 10, &l), ERR_INVALID);
    assert_int_equal(source_blind_list(w.store, NULL, 0, INT64_MAX / 2, 0, &l), 0);
    assert_int_equal(l.n, 0);
    source_blind_list_release(&l);
    world_close(&w);
}

/* The daily briefing lists the sources blind at its cut-off, with reason and since when. */
static void test_briefing_lists_sources_blind_now(void **state)
{
    struct world w;
    struct briefing b;
    struct yq_buf html;
    char err[256] = "", *summary = NULL, *page;
    /* the period [12-04 08:00, 12-05 08:00) Beijing time */
    int64_t start = notifier_ts("2026-12-04T00:00:00Z"), end = notifier_ts("2026-12-05T00:00:00Z");
    struct yq_source_event walled = event(true, YQ_BLIND_WALLED, "2026-12-04T20:00:00Z", NULL);
    struct yq_source_event ended =
        event(false, YQ_BLIND_FAILING, "2026-12-04T02:00:00Z", "2026-12-04T05:00:00Z");
    struct yq_source_event later = event(true, YQ_BLIND_QUIET, "2026-12-05T03:00:00Z", NULL);
    struct yq_source_event quiet = event(true, YQ_BLIND_QUIET, "2026-12-03T16:00:00Z", NULL);

    (void)state;
    world_open(&w, false);
    quiet.source_id = "ankang-jyj";
    quiet.source_name = "安康市教育局 <微信>";
    record(&w, &walled, "2026-12-04T20:00:01Z", NULL);
    record(&w, &ended, "2026-12-04T05:00:01Z", NULL);
    record(&w, &later, "2026-12-05T03:00:01Z", NULL);
    record(&w, &quiet, "2026-12-03T16:00:01Z", NULL);

    /* made at 12-05 10:00 Beijing: the cut-off is the period's end (08:00) */
    if (briefing_gather(w.store, NULL, start, end, notifier_ts("2026-12-05T02:00:00Z"), &b, err,
                        sizeof(err)) != 0) {
        fail_msg("briefing_gather: %s", err);
    }
    assert_int_equal(b.blind_windows.n, 2); /* not the ended one, not the one after 08:00 */
    assert_string_equal(b.blind_windows.v[0].reason, "walled");
    assert_string_equal(b.blind_windows.v[1].source_id, "ankang-jyj");
    assert_int_equal(briefing_summary(&b, 5, NULL, &summary), 0);
    assert_non_null(strstr(summary, "监测盲区 2 处：安康市人民政府 · 政务要闻（需要重新登录，自 "
                                    "2026-12-05 04:00）、安康市教育局 <微信>（异常沉寂，自 "
                                    "2026-12-04 00:00）\n"));
    free(summary);
    yq_buf_init(&html, 4 * 1024 * 1024);
    assert_int_equal(briefing_html_daily(&b, "舆情日报", "", &html), 0);
    page = yq_buf_steal(&html, NULL);
    yq_buf_release(&html);
    assert_non_null(page);
    assert_non_null(strstr(page, "截至 2026-12-05 08:00 处于监测盲区的信息源 2 处"));
    assert_non_null(strstr(page,
                           "<tr><th scope=\"row\">安康市人民政府 · 政务要闻</th><td>需要重新登录"
                           "</td><td>2026-12-05 04:00</td><td>4小时00分</td><td>需要更新：微博 "
                           "Cookie（collectors.weibo.cookie_file）</td></tr>"));
    assert_non_null(strstr(page, "安康市教育局 &lt;微信&gt;"));
    free(page);
    briefing_release(&b);

    /* nothing blind at another cut-off: one line says so */
    assert_int_equal(briefing_gather(w.store, NULL, notifier_ts("2026-12-02T00:00:00Z"),
                                     notifier_ts("2026-12-03T00:00:00Z"),
                                     notifier_ts("2026-12-05T02:00:00Z"), &b, err, sizeof(err)),
                     0);
    assert_int_equal(b.blind_windows.n, 0);
    yq_buf_init(&html, 4 * 1024 * 1024);
    assert_int_equal(briefing_html_daily(&b, "舆情日报", "", &html), 0);
    page = yq_buf_steal(&html, NULL);
    yq_buf_release(&html);
    assert_non_null(strstr(page, "截至统计截止无监测盲区。"));
    free(page);
    briefing_release(&b);
    world_close(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_close_idempotent_and_order_free),
        cmocka_unit_test(test_administrator_told_once_per_window),
        cmocka_unit_test(test_payload_hostile_skipped_then_good_stored),
        cmocka_unit_test(test_list_ranges_and_open_at),
        cmocka_unit_test(test_one_open_window_per_source_and_reason),
        cmocka_unit_test(test_c1_and_bidi_controls_cleaned),
        cmocka_unit_test(test_row_json_null_only_when_absent),
        cmocka_unit_test(test_retired_close_is_not_a_recovery),
        cmocka_unit_test(test_briefing_lists_sources_blind_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
