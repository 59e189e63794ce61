/*
 * The event page's hot-search ranks (issue #15): GET /api/inbox/{id} of an event holding
 * weibo_hot items gains "hot", one object per term with its polls read from a real
 * redis-server (the keys the collector writes, common/yq_hot.h); items of other kinds, and
 * weibo_hot items with ids not of the wbhot form, add nothing; with Redis gone the terms are
 * still listed, without points, and the event says the ranks are unavailable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_fixture.h"
#include "http_client.h"
#include "redis_fixture.h"
#include "ticket_fixture.h"
#include "web.h"
#include "web_fixture.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_hot.h"
#include "yq_redis.h"
#include "yq_time.h"
#include "yq_db.h"

#define SHA_A "96a6b15d805cc5696a79301767ab3d2894bb6898" /* 汉江安康段水位回落 */
#define SHA_B "74850a4eed30d75b0ba38c2d4721c315d569130d"
/* 2026-12-04T15:30:00Z */
#define T0 1796398200LL

struct fx {
    struct redis_fixture redis;
    struct web_fixture fx;
    struct yq_db *db;
    struct web_cfg cfg; /* borrowed by the web: released after it */
    bool cfg_filled;
    int64_t ev, ev_plain;
};

static void exec_sql(struct fx *f, const char *sql)
{
    web_fixture_exec(&f->fx, f->db, sql);
}

static int64_t add_event(struct fx *f, const char *key, const char *title)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO events (event_key, state, title, level, department, rule_ids, rule_groups, "
        "source_kinds, region, detected_at, last_item_at, item_count, heat, judge_deadline, "
        "created_at, updated_at) VALUES (%Q, 'pending', %Q, 'IV', '', '[\"hot-watch\"]', "
        "'[\"热搜\"]', '[\"weibo_hot\"]', '', %lld, %lld, 1, 1, %lld, %lld, %lld)",
        key, title, T0, T0, T0 + 1800, T0, T0);
    exec_sql(f, sql);
    sqlite3_free(sql);
    return sqlite_fixture_scalar(f->db, "SELECT max(id) FROM events");
}

static void add_item(struct fx *f, int64_t event, const char *item_id, const char *source,
                     const char *title, int64_t matched)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO event_items (event_id, item_id, source, source_id, channel, url, title, "
        "excerpt, author, matched_at, reposts, heat, sentiment, added_at) VALUES (%lld, %Q, %Q, "
        "'hot1', '微博热搜', 'https://s.weibo.com/weibo?q=x', %Q, %Q, '', %lld, 0, 0, '', %lld)",
        (long long)event, item_id, source, title, title, (long long)matched, (long long)matched);
    exec_sql(f, sql);
    sqlite3_free(sql);
}

/* A web over the fixture's store with Redis on the fixture's redis-server. */
static void serve(struct fx *f)
{
    struct web_cfg *cfg = &f->cfg;
    char err[256] = "";

    web_fixture_shipped_cfg(cfg);
    f->cfg_filled = true;
    cfg->sources_enabled = true;
    cfg->sse_poll_ms = 100;
    free(cfg->redis.host);
    cfg->redis.host = strdup("127.0.0.1");
    assert_non_null(cfg->redis.host);
    cfg->redis.port = f->redis.port;
    cfg->redis.connect_timeout_ms = 10000; /* a loaded machine is not "Redis down" */
    cfg->redis.command_timeout_ms = 10000;
    f->fx.w = web_new(cfg, f->fx.ft->path, ticket_fixture_ops, ticket_fixture_ctx(f->fx.ft), err,
                      sizeof(err));
    if (!f->fx.w) {
        fail_msg("web_new: %s", err);
    }
    assert_int_equal(web_user_add(web_get_auth(f->fx.w), "duty1", NULL, WEB_ROLE_DUTY, NULL,
                                  "duty-password-1", false, yq_time_now(), NULL, err, sizeof(err)),
                     0);
    web_fixture_serve(&f->fx, 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    *state = f;
    if (redis_fixture_start(&f->redis) != 0) {
        return 0; /* the tests skip */
    }
    f->fx.ft = ticket_fixture_new();
    assert_non_null(f->fx.ft);
    assert_int_equal(yq_db_open(f->fx.ft->path, YQ_DB_CREATE, 2000, &f->db, NULL, 0), YQ_DB_OK);
        f->ev = add_event(f, "ev:wbhot:" SHA_A ":1796398000:entered", "汉江安康段水位回落");
    add_item(f, f->ev, "wbhot:" SHA_A ":1796398000:entered", "weibo_hot", "汉江安康段水位回落", T0);
    add_item(f, f->ev, "wbhot:" SHA_A ":1796398000:rose10", "weibo_hot", "汉江安康段水位回落",
             T0 + 120);
    add_item(f, f->ev, "wbhot:" SHA_B ":1796398100:entered", "weibo_hot", "安康段汛情", T0 + 60);
    add_item(f, f->ev, "wbhot:zzzz:1:entered", "weibo_hot", "不合规的编号", T0 + 61);
    add_item(f, f->ev, "weibo:4990000000000123", "weibo", "汉江水位", T0 + 62);
    f->ev_plain = add_event(f, "ev:rss:1", "普通事件");
    add_item(f, f->ev_plain, "rss:1", "rss", "普通事件", T0);
    serve(f);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;

    if (f->db) {
        yq_db_close(f->db);
        web_fixture_close(&f->fx);
    }
    if (f->cfg_filled) {
        cfg_release(web_cfg_keys, &f->cfg);
    }
    redis_fixture_stop(&f->redis);
    free(f);
    return 0;
}

static json_t *get_event(struct fx *f, int64_t id)
{
    struct client cl;
    char path[64];

    http_login(f->fx.port, "duty1", "duty-password-1", &cl);
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)id);
    return http_get_json(f->fx.port, &cl, path);
}

/* The polls the collector would have recorded: A 15 -> 8 -> 5, B 30 -> 0 (pinned). */
static void record_polls(struct fx *f)
{
    struct yq_redis_cfg rc = {.host = (char *)"127.0.0.1",
                              .port = f->redis.port,
                              .connect_timeout_ms = 5000,
                              .command_timeout_ms = 5000};
    struct yq_redis *r = yq_redis_new(&rc);
    const struct yq_hot_point a[] = {{1796397940, 20, 1000}, /* before the stay: not shown */
                                     {1796398000, 15, 985000},
                                     {1796398060, 8, 992000},
                                     {1796398120, 5, -1}};
    const struct yq_hot_point b[] = {{1796398100, 30, 970000}, {1796398160, 0, -1}};

    assert_non_null(r);
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
        assert_int_equal(yq_hot_record(r, "hot1", SHA_A, &a[i]), 0);
    }
    /* B's two polls as one pipeline (yq_hot_record_all(), the collector's way) */
    {
        const char *const sha1[] = {SHA_B, SHA_B};
        const char *const bad[] = {SHA_B, "not-a-sha1"};
        assert_int_equal(yq_hot_record_all(r, "hot1", bad, b, 2), ERR_INVALID); /* none sent */
        assert_int_equal(yq_hot_record_all(r, "hot1", sha1, b, 2), 0);
        assert_int_equal(yq_hot_record_all(r, "hot1", sha1, b, 0), 0);
    }
    assert_int_equal(yq_hot_record(r, "hot1", "not-a-sha1", &a[0]), ERR_INVALID);
    yq_redis_free(r);
}

static void test_event_json_has_the_ranks(void **state)
{
    struct fx *f = *state;
    json_t *ev, *hot, *a, *b, *pts;

    REDIS_FIXTURE_NEED(&f->redis);
    record_polls(f);
    ev = get_event(f, f->ev);
    hot = json_object_get(ev, "hot");
    assert_true(json_is_array(hot));
    assert_int_equal(json_array_size(hot), 2); /* A once (two items), B; the bad id skipped */
    assert_null(json_object_get(ev, "hot_ranks_unavailable"));
    a = json_array_get(hot, 0);
    b = json_array_get(hot, 1);
    if (strcmp(json_string_value(json_object_get(a, "term")), "汉江安康段水位回落") != 0) {
        json_t *t = a;
        a = b;
        b = t;
    }
    assert_string_equal(json_string_value(json_object_get(a, "term")), "汉江安康段水位回落");
    assert_string_equal(json_string_value(json_object_get(a, "source_id")), "hot1");
    assert_string_equal(json_string_value(json_object_get(a, "entered_at")),
                        "2026-12-04T15:26:40Z");
    assert_int_equal(json_integer_value(json_object_get(a, "best_rank")), 5);
    pts = json_object_get(a, "points");
    assert_int_equal(json_array_size(pts), 3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(pts, 0), "at")),
                        "2026-12-04T15:26:40Z");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 0), "rank")), 15);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 1), "heat")), 992000);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(pts, 2), "rank")), 5);
    assert_true(json_is_null(json_object_get(json_array_get(pts, 2), "heat")));
    assert_string_equal(json_string_value(json_object_get(b, "term")), "安康段汛情");
    assert_int_equal(json_integer_value(json_object_get(b, "best_rank")), 30);
    assert_int_equal(json_array_size(json_object_get(b, "points")), 2);
    assert_int_equal(json_integer_value(
                         json_object_get(json_array_get(json_object_get(b, "points"), 1), "rank")),
                     0);
    json_decref(ev);
    /* an event without weibo_hot items has no "hot" */
    ev = get_event(f, f->ev_plain);
    assert_null(json_object_get(ev, "hot"));
    json_decref(ev);
    /* Redis gone: the terms are listed without points, and the page is told why */
    redis_fixture_stop(&f->redis);
    ev = get_event(f, f->ev);
    hot = json_object_get(ev, "hot");
    assert_int_equal(json_array_size(hot), 2);
    assert_int_equal(json_array_size(json_object_get(json_array_get(hot, 0), "points")), 0);
    assert_true(json_is_null(json_object_get(json_array_get(hot, 0), "best_rank")));
    assert_true(json_is_true(json_object_get(ev, "hot_ranks_unavailable")));
    json_decref(ev);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_event_json_has_the_ranks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
