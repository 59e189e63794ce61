/*
 * The duty officer's desk over HTTP (issue #13; docs/api.md): the 研判 inbox's order and every
 * filter with exact ids, the event page's numbers (hourly buckets across an Asia/Shanghai day
 * boundary, platform mix, top accounts, sentiment, negative share, log, merged events, the
 * ticket), roles (liaisons 403, no CSRF 403), a hostile title as a literal JSON string, a
 * ticket's event_id, and the change marker of the event stream moving with event_log.
 * The store is the notifier's real one (migration 9) behind web_notifier_ops; events and
 * their items are written with SQL as the intake of issue #13 stores them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sqlite_fixture.h"
#include "yq_db.h"

#include "desk_policy.h"
#include "event_read.h"
#include "http_client.h"
#include "silence.h"
#include "test_server.h"
#include "web_fixture.h"
#include "ticket_fixture.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web.h"
#include "web_notifier_ops.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_time.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"
#define HOSTILE "<script>alert(1)</script>征地"

/* 2026-12-04T15:30:00Z = 23:30 in Asia/Shanghai: the base of every event's detection. */
#define T0 1796398200LL

struct fx {
    struct web_fixture fx; /* fx.ft: the store, its lock and the ops' context */
    struct yq_db *db;           /* the test's own connection, to write events as intake would */
    char number[32];
    int64_t ticket_id;
    /* event ids: e[1]..e[7] (see setup) */
    int64_t e[8];
};

static void exec_sql(struct fx *f, const char *sql)
{
    web_fixture_exec(&f->fx, f->db, sql);
}

/*
 * One events row as intake stores it; returns its id. state, level, heat, detected
 * (seconds), rule_groups and source_kinds (JSON text), region, title.
 */
static int64_t add_event(struct fx *f, const char *key, const char *state, const char *level,
                         int64_t heat, int64_t detected, const char *groups, const char *kinds,
                         const char *region, const char *title)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO events (event_key, state, title, level, department, rule_ids, rule_groups, "
        "source_kinds, region, detected_at, last_item_at, item_count, heat, judge_deadline, "
        "created_at, updated_at) VALUES (%Q, %Q, %Q, %Q, %Q, '[\"r-1\"]', %Q, %Q, %Q, %lld, "
        "%lld, 0, %lld, %lld, %lld, %lld)",
        key, state, title, level, DEPT_A, groups, kinds, region, (long long)detected,
        (long long)detected, (long long)heat, (long long)(detected + 1800), (long long)detected,
        (long long)detected);
    exec_sql(f, sql);
    sqlite3_free(sql);
    return sqlite_fixture_scalar(f->db, "SELECT max(id) FROM events");
}

/* One event_items row (matched at matched, seconds). */
static void add_item(struct fx *f, int64_t event, const char *item_id, const char *source,
                     const char *author, int64_t matched, int64_t heat, const char *sentiment)
{
    char *sql = sqlite3_mprintf(
        "INSERT INTO event_items (event_id, item_id, source, source_id, channel, url, title, "
        "excerpt, author, matched_at, reposts, heat, sentiment, added_at) VALUES (%lld, %Q, %Q, "
        "'src', '频道', 'https://example.org/x', '标题', '摘要', %Q, %lld, %lld, %lld, %Q, %lld)",
        (long long)event, item_id, source, author, (long long)matched, (long long)(heat - 1),
        (long long)heat, sentiment, (long long)matched);
    exec_sql(f, sql);
    sqlite3_free(sql);
}

/* One event_log row of event: actor (of role) moved it from from to to by action at at (s). */
static void add_event_log(struct fx *f, int64_t event, int64_t at, const char *actor,
                          const char *role, const char *action, const char *from, const char *to)
{
    char *sql = sqlite3_mprintf("INSERT INTO event_log (event_id, at, actor, actor_role, action, "
                                "from_state, to_state) VALUES (%lld, %lld, %Q, %Q, %Q, %Q, %Q)",
                                (long long)event, (long long)at, actor, role, action, from, to);

    exec_sql(f, sql);
    sqlite3_free(sql);
}

/*
 * An alert for item rss:<key> (event ev:<key>) of the real intake, handed over by the test's
 * policy: opens a ticket (its number into f->number), or with silence_id > 0 is kept under
 * that silence as intake keeps a silenced alert.
 */
static void intake_alert(struct fx *f, const char *key, int64_t silence_id)
{
    char item_id[64];
    const struct web_fixture_alert_spec spec = {
        .key = key, .department = DEPT_A, .rule_id = "r-1", .item_id = item_id, .source_id = "ak",
        .url = "http://news.example/t1", .title = "征地", .text = "征地补偿"};
    struct ticket_intake_result res;
    struct yq_alert alert;

    snprintf(item_id, sizeof(item_id), "rss:%s", key);
    web_fixture_alert(&spec, &alert);
    pthread_mutex_lock(&f->fx.ft->lock);
    if (silence_id > 0) {
        /* as intake keeps a silenced alert (autocommit here: one test writer) */
        assert_int_equal(silence_record(f->fx.ft->writer, silence_id, &alert, yq_time_now()), 0);
    } else {
        assert_int_equal(ticket_intake_alert(f->fx.ft->writer, &alert, yq_time_now(), &res), 0);
        snprintf(f->number, sizeof(f->number), "%s", res.number);
    }
    pthread_mutex_unlock(&f->fx.ft->lock);
    yq_alert_release(&alert);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    char *sql;
    struct yq_stmt *st;

    assert_non_null(f);
    /* the ticket's alert is handed over at intake (its event auto_assigned, then assigned) */
    f->fx.ft = ticket_fixture_new();
    assert_non_null(f->fx.ft);
    assert_int_equal(yq_db_open(f->fx.ft->path, YQ_DB_CREATE, 2000, &f->db, NULL, 0), YQ_DB_OK);
    intake_alert(f, "t1", 0);

    f->e[1] = add_event(f, "ev:1", "pending", "III", 50, T0, "[\"征地拆迁\"]", "[\"weibo\"]",
                        "汉滨区", HOSTILE);
    f->e[2] = add_event(f, "ev:2", "pending", "I", 5, T0 + 100, "[\"生态环境\"]", "[\"rss\"]",
                        "汉阴县", "河道排污");
    f->e[3] = add_event(f, "ev:3", "auto_assigned", "III", 50, T0 - 100, "[\"征地拆迁\",\"信访\"]",
                        "[\"rss\",\"weibo\"]", "汉滨区", "拆迁上访");
    f->e[4] = add_event(f, "ev:4", "watching", "II", 10, T0 + 200, "[]", "[]", "", "持续关注");
    f->e[5] = add_event(f, "ev:5", "dismissed", "IV", 1, T0, "[]", "[]", "", "误报");
    f->e[7] = add_event(f, "ev:7", "merged", "III", 2, T0 + 400, "[]", "[]", "", "并入的事件");
    sql = sqlite3_mprintf(
        "UPDATE events SET state = 'assigned', title = '已交办', heat = 3, detected_at = %lld, "
        "source_kinds = '[\"rss\"]' WHERE ticket_id = (SELECT id FROM tickets WHERE number = %Q);"
        "UPDATE events SET merged_into = %lld WHERE id = %lld;"
        "UPDATE events SET watch_items = 30, watch_quiet_s = 3600 WHERE id = %lld;"
        "UPDATE events SET item_count = 4, negative_count = 2 WHERE id = %lld;",
        (long long)(T0 + 300), f->number, (long long)f->e[1], (long long)f->e[7],
        (long long)f->e[4], (long long)f->e[1]);
    exec_sql(f, sql);
    sqlite3_free(sql);
    assert_int_equal(
        yq_stmt_prepare(f->db, "SELECT id FROM tickets WHERE number = ?", &st),
        YQ_DB_OK);
    yq_stmt_bind_text(st, 1, f->number);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    f->ticket_id = yq_stmt_column_int64(st, 0);
    yq_stmt_finalize(st);
    assert_int_equal(
        yq_stmt_prepare(f->db, "SELECT id FROM events WHERE ticket_id = ?", &st),
        YQ_DB_OK);
    yq_stmt_bind_int64(st, 1, f->ticket_id);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW); /* intake made the ticket's event */
    f->e[6] = yq_stmt_column_int64(st, 0);
    yq_stmt_finalize(st);
    /* e1's items: 23:10, 23:50 (Shanghai, Dec 4), 00:05 and 02:40 (Dec 5): hour 01 is empty */
    add_item(f, f->e[1], "weibo:1", "weibo", "张三", T0 - 1200, 10, "negative");
    add_item(f, f->e[1], "weibo:2", "weibo", "张三", T0 + 1200, 20, "negative");
    add_item(f, f->e[1], "weibo:3", "weibo", "李四", T0 + 2100, 40, "neutral");
    add_item(f, f->e[1], "rss:4", "rss", "", T0 + 11400, 1, "");
    add_event_log(f, f->e[1], T0, "system", "system", "created", "", "pending");

    web_fixture_serve_store(&f->fx, DEPT_A, DEPT_B, true);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    yq_db_close(f->db);
    web_fixture_close(&f->fx);
    free(f);
    return 0;
}

static void login(struct fx *f, const char *user, const char *pass, struct client *cl)
{
    http_login(f->fx.port, user, pass, cl);
}

/* GET path as cl; the events' ids in answer order into ids (at most 8); returns their number. */
static size_t inbox_ids(struct fx *f, const struct client *cl, const char *path, int64_t *ids,
                        int64_t *total)
{
    json_t *v = http_get_json(f->fx.port, cl, path), *e;
    size_t i, n = 0;

    json_array_foreach(json_object_get(v, "events"), i, e)
    {
        assert_true(n < 8);
        ids[n++] = json_integer_value(json_object_get(e, "id"));
    }
    if (total) {
        *total = json_integer_value(json_object_get(v, "total"));
    }
    json_decref(v);
    return n;
}

/* Expect path to list exactly want[0..n) (event numbers of f->e) in that order. */
static void expect_ids(struct fx *f, const struct client *cl, const char *path, const int *want,
                       size_t n)
{
    int64_t ids[8];
    size_t got = inbox_ids(f, cl, path, ids, NULL);

    if (got != n) {
        fail_msg("%s: %zu events, want %zu", path, got, n);
    }
    for (size_t i = 0; i < n; i++) {
        if (ids[i] != f->e[want[i]]) {
            fail_msg("%s: event %zu is %lld, want e%d (%lld)", path, i, (long long)ids[i], want[i],
                     (long long)f->e[want[i]]);
        }
    }
}

#define EXPECT(path, ...)                                                                          \
    do {                                                                                           \
        static const int want_[] = {__VA_ARGS__};                                                  \
        expect_ids(f, &cl, path, want_, sizeof(want_) / sizeof(want_[0]));                         \
    } while (0)
#define EXPECT_NONE(path) expect_ids(f, &cl, path, NULL, 0)

static void test_inbox_order_and_filters(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char path[256], when[40];
    struct client cl;
    int64_t ids[8], total = 0;
    json_t *v, *counts;

    login(f, "duty1", "duty-password-1", &cl);
    /* default: pending + auto_assigned; level I first, heat desc, detection asc */
    EXPECT("/api/inbox", 2, 3, 1);
    v = http_get_json(port, &cl, "/api/inbox");
    assert_int_equal(json_integer_value(json_object_get(v, "total")), 3);
    counts = json_object_get(v, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "pending")), 2);
    assert_int_equal(json_integer_value(json_object_get(counts, "auto_assigned")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "watching")), 1);
    json_decref(v);
    EXPECT("/api/inbox?state=pending", 2, 3, 1);
    EXPECT("/api/inbox?state=auto_assigned", 3);
    EXPECT("/api/inbox?state=watching", 4);
    EXPECT("/api/inbox?state=dismissed", 5);
    EXPECT("/api/inbox?state=merged", 7);
    EXPECT("/api/inbox?state=assigned", 6);
    EXPECT("/api/inbox?state=all", 2, 4, 3, 1, 6, 7, 5);
    EXPECT("/api/inbox?level=III", 3, 1);
    EXPECT("/api/inbox?state=all&level=III", 3, 1, 6, 7);
    EXPECT_NONE("/api/inbox?level=II");
    EXPECT("/api/inbox?group=%E5%BE%81%E5%9C%B0%E6%8B%86%E8%BF%81", 3, 1); /* 征地拆迁 */
    EXPECT("/api/inbox?group=%E4%BF%A1%E8%AE%BF", 3);                      /* 信访 */
    EXPECT("/api/inbox?source_kind=weibo", 3, 1);
    EXPECT("/api/inbox?source_kind=%E5%BE%AE%E5%8D%9A", 3, 1); /* 微博: the label */
    EXPECT("/api/inbox?source_kind=rss", 2, 3);
    EXPECT("/api/inbox?state=all&source_kind=rss", 2, 3, 6);
    EXPECT("/api/inbox?region=%E6%B1%89%E9%98%B4%E5%8E%BF", 2); /* 汉阴县 */
    EXPECT("/api/inbox?region=%E6%B1%89%E6%BB%A8%E5%8C%BA&source_kind=rss", 3);
    snprintf(path, sizeof(path), "/api/inbox?since=%s", yq_time_format_utc(T0, when, sizeof(when)));
    EXPECT(path, 2, 1);
    snprintf(path, sizeof(path), "/api/inbox?until=%s", when);
    EXPECT(path, 3);
    snprintf(path, sizeof(path), "/api/inbox?state=all&since=%s&until=",
             yq_time_format_utc(T0 + 100, when, sizeof(when)));
    snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s",
             yq_time_format_utc(T0 + 300, when, sizeof(when)));
    EXPECT(path, 2, 4); /* [T0+100, T0+300): e2 and e4, not e6 */
    /* paging: total is the filter's */
    assert_int_equal(inbox_ids(f, &cl, "/api/inbox?limit=1&offset=1", ids, &total), 1);
    assert_int_equal(ids[0], f->e[3]);
    assert_int_equal(total, 3);
    assert_int_equal(inbox_ids(f, &cl, "/api/inbox?offset=10", ids, &total), 0);
    assert_int_equal(total, 3);
    /* a limit above web.max_tickets is read as it, as limit_invalid's message says, also one
     * past what an integer holds (it was refused) */
    assert_int_equal(inbox_ids(f, &cl, "/api/inbox?limit=99999999999999999999", ids, &total), 3);
    assert_int_equal(inbox_ids(f, &cl, "/api/inbox?limit=1000000001", ids, &total), 3);
    assert_int_equal(inbox_ids(f, &cl, "/api/inbox?limit=0002", ids, &total), 2);
    /* counts follow the other filters */
    v = http_get_json(port, &cl, "/api/inbox?region=%E6%B1%89%E6%BB%A8%E5%8C%BA");
    counts = json_object_get(v, "counts");
    assert_int_equal(json_integer_value(json_object_get(counts, "pending")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "auto_assigned")), 1);
    assert_int_equal(json_integer_value(json_object_get(counts, "watching")), 0);
    json_decref(v);
    /*
     * bad filters: 400 with the parameter's code and a Chinese message; an unknown state,
     * level or source kind is not "no filter" nor an empty list (nor are the silences' all=)
     */
    static const struct {
        const char *path, *code;
    } bad[] = {
        {"/api/inbox?state=bogus", "state_invalid"},
        {"/api/inbox?state=%E5%BE%85%E5%8A%9E", "state_invalid"}, /* 待办: no event state */
        {"/api/inbox?level=V", "level_invalid"},
        {"/api/inbox?state=all&level=bogus", "level_invalid"},
        {"/api/inbox?source_kind=bogus", "source_kind_invalid"},
        {"/api/inbox?since=yesterday", "since_invalid"},
        {"/api/inbox?until=2026-13-01T00:00:00Z", "until_invalid"},
        {"/api/inbox?since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "range_invalid"},
        {"/api/inbox?offset=-1", "offset_invalid"},
        {"/api/inbox?limit=0", "limit_invalid"},
        {"/api/inbox?limit=x", "limit_invalid"},
        {"/api/inbox?limit=-5", "limit_invalid"},
        {"/api/inbox?limit=+5", "limit_invalid"},
        {"/api/inbox?limit=000", "limit_invalid"},
        {"/api/inbox?limit=5x", "limit_invalid"},
        {"/api/inbox?from=2026-12-01T00:00:00Z", "param_unknown"}, /* the inbox reads since */
        {"/api/inbox?stat=pending", "param_unknown"},
        {"/api/silences?all=bogus", "all_invalid"},
        {"/api/silences?all=2", "all_invalid"},
        {"/api/silences?al=1", "param_unknown"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_expect_invalid(port, &cl, bad[i].path, bad[i].code);
    }
    /* the values the pages send are served as before */
    static const char *const good[] = {"/api/silences?all=1", "/api/silences?all=0",
                                       "/api/silences", "/api/inbox?state=pending&limit=200",
                                       "/api/inbox?state=all&level=&group=&source_kind=&region=&"
                                       "since=2026-01-01T00:00:00Z&until=2100-01-01T00:00:00Z&"
                                       "offset=0&limit=5"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        http_expect_status(port, &cl, "GET", good[i], NULL, 200);
    }
}

/*
 * Fail unless the first n objects of array a (borrowed) are, in order, {key: names[i],
 * "count": counts[i]} (other members are not looked at).
 */
static void expect_counted(const json_t *a, const char *key, const char *const *names,
                           const int64_t *counts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const json_t *o = json_array_get(a, i);

        assert_string_equal(json_string_value(json_object_get(o, key)), names[i]);
        assert_int_equal(json_integer_value(json_object_get(o, "count")), counts[i]);
    }
}

static void test_event_page_values(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char path[64];
    struct client cl;
    json_t *v, *a, *o;

    exec_sql(f, "UPDATE event_items SET excerpt = '', title = CASE source WHEN 'weibo' THEN "
                "'汉滨区征地拆迁补偿款拖欠' ELSE '村民反映征地补偿' END");
    login(f, "admin1", "admin-password-1", &cl);
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)f->e[1]);
    v = http_get_json(port, &cl, path);
    assert_int_equal(json_integer_value(json_object_get(v, "id")), f->e[1]);
    assert_string_equal(json_string_value(json_object_get(v, "state")), "pending");
    assert_string_equal(json_string_value(json_object_get(v, "state_label")), "待研判");
    assert_string_equal(json_string_value(json_object_get(v, "level_label")),
                        yq_level_label(YQ_LEVEL_III));
    assert_string_equal(json_string_value(json_object_get(v, "detected_at")),
                        "2026-12-04T23:30:00+08:00");
    assert_true(json_is_null(json_object_get(v, "ticket")));
    assert_true(json_is_null(json_object_get(v, "watch")));
    assert_true(json_is_null(json_object_get(v, "merged_into")));
    /* detected long ago with a 30 min deadline: overdue */
    assert_true(json_is_true(json_object_get(v, "judge_overdue")));
    assert_true(json_real_value(json_object_get(v, "negative_share")) == 0.5);
    /* items: newest matched first */
    a = json_object_get(v, "items");
    assert_int_equal(json_array_size(a), 4);
    assert_int_equal(json_integer_value(json_object_get(v, "items_total")), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "item_id")),
                        "rss:4");
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "source_label")),
                        "网站");
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "sentiment_label")),
                        "未知");
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 3), "item_id")),
                        "weibo:1");
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 3), "sentiment_label")),
                        "负面");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 3), "reposts")), 9);
    /* hourly across the day boundary: 23:00 2, 00:00 1, 01:00 0, 02:00 1 (Shanghai) */
    a = json_object_get(v, "hourly");
    assert_int_equal(json_array_size(a), 4);
    {
        static const char *const hours[] = {
            "2026-12-04T23:00:00+08:00", "2026-12-05T00:00:00+08:00", "2026-12-05T01:00:00+08:00",
            "2026-12-05T02:00:00+08:00"};
        static const int64_t counts[] = {2, 1, 0, 1};
        expect_counted(a, "hour", hours, counts, 4);
    }
    /* platforms: weibo 3, rss 1 */
    a = json_object_get(v, "platforms");
    assert_int_equal(json_array_size(a), 2);
    {
        static const char *const sources[] = {"weibo", "rss"};
        static const int64_t counts[] = {3, 1};
        expect_counted(a, "source", sources, counts, 2);
    }
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "label")), "微博");
    /* accounts: 张三 2 items heat 30, 李四 1 heat 40; no author left out */
    a = json_object_get(v, "accounts");
    assert_int_equal(json_array_size(a), 2);
    o = json_array_get(a, 0);
    assert_string_equal(json_string_value(json_object_get(o, "author")), "张三");
    assert_int_equal(json_integer_value(json_object_get(o, "count")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "heat")), 30);
    o = json_array_get(a, 1);
    assert_string_equal(json_string_value(json_object_get(o, "author")), "李四");
    assert_int_equal(json_integer_value(json_object_get(o, "heat")), 40);
    o = json_object_get(v, "sentiment_counts");
    assert_int_equal(json_integer_value(json_object_get(o, "negative")), 2);
    assert_int_equal(json_integer_value(json_object_get(o, "neutral")), 1);
    assert_int_equal(json_integer_value(json_object_get(o, "positive")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "unknown")), 1);
    /* hot words by document frequency (event_words.h), ties in byte order */
    a = json_object_get(v, "hot_words");
    {
        static const char *const words[] = {"征地", "补偿", "拆迁", "拖欠", "汉滨区"};
        static const int64_t counts[] = {4, 4, 3, 3, 3};
        assert_true(json_array_size(a) >= 5);
        expect_counted(a, "word", words, counts, 5);
    }
    a = json_object_get(v, "log");
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "to_state")),
                        "pending");
    a = json_object_get(v, "merged");
    assert_int_equal(json_array_size(a), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(a, 0), "id")), f->e[7]);
    assert_string_equal(json_string_value(json_object_get(json_array_get(a, 0), "title")),
                        "并入的事件");
    json_decref(v);

    /* the watching event's thresholds; the merged one's target */
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)f->e[4]);
    v = http_get_json(port, &cl, path);
    o = json_object_get(v, "watch");
    assert_int_equal(json_integer_value(json_object_get(o, "items")), 30);
    assert_true(json_is_null(json_object_get(o, "heat")));
    assert_int_equal(json_integer_value(json_object_get(o, "quiet_s")), 3600);
    assert_true(json_is_false(json_object_get(v, "judge_overdue"))); /* not pending */
    assert_int_equal(json_array_size(json_object_get(v, "hourly")), 0);
    json_decref(v);
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)f->e[7]);
    v = http_get_json(port, &cl, path);
    assert_int_equal(json_integer_value(json_object_get(v, "merged_into")), f->e[1]);
    json_decref(v);
}

static void test_ticket_link_both_ways(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char path[64];
    struct client cl;
    json_t *v, *t;

    login(f, "duty1", "duty-password-1", &cl);
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)f->e[6]);
    v = http_get_json(port, &cl, path);
    t = json_object_get(v, "ticket");
    assert_string_equal(json_string_value(json_object_get(t, "number")), f->number);
    assert_string_equal(json_string_value(json_object_get(t, "state")), "open");
    assert_string_equal(json_string_value(json_object_get(t, "department")), DEPT_A);
    assert_true(json_array_size(json_object_get(t, "log")) >= 1);
    assert_true(json_array_size(json_object_get(t, "clocks")) >= 2);
    json_decref(v);
    /* the list carries number and state */
    v = http_get_json(port, &cl, "/api/inbox?state=assigned");
    t = json_object_get(json_array_get(json_object_get(v, "events"), 0), "ticket");
    assert_string_equal(json_string_value(json_object_get(t, "number")), f->number);
    assert_string_equal(json_string_value(json_object_get(t, "state")), "open");
    json_decref(v);
    v = http_get_ticket(port, &cl, f->number);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(v, "ticket"), "event_id")),
                     f->e[6]);
    json_decref(v);
}

static void test_hostile_title_is_literal_json(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    const char *paths[2];
    char path[64];
    struct client cl;
    struct resp r;
    json_t *v;

    login(f, "duty1", "duty-password-1", &cl);
    snprintf(path, sizeof(path), "/api/inbox/%lld", (long long)f->e[1]);
    paths[0] = "/api/inbox";
    paths[1] = path;
    for (size_t i = 0; i < 2; i++) {
        http_request(port, &cl, "GET", paths[i], NULL, NULL, &r);
        assert_int_equal(r.status, 200);
        assert_null(strstr(r.body, "<script>")); /* no markup a browser could sniff */
        assert_non_null(strstr(r.content_type, "application/json"));
        v = json_loads(r.body, 0, NULL);
        assert_non_null(v);
        assert_string_equal(
            json_string_value(json_object_get(
                i == 0 ? json_array_get(json_object_get(v, "events"), 2) : v, "title")),
            HOSTILE);
        json_decref(v);
        resp_release(&r);
    }
}

static void test_roles_and_csrf(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    static const char *const gets[] = {"/api/inbox", "/api/inbox/1", "/api/silences",
                                       "/api/silences/1/alerts"};
    static const char *const posts[] = {"/api/inbox/1/dismiss", "/api/inbox/1/assign",
                                        "/api/silences", "/api/silences/1/revoke"};
    struct client cl, nocsrf;
    struct resp r;

    login(f, "liaison-a", "liaison-password-a", &cl);
    for (size_t i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
        http_request(port, &cl, "GET", gets[i], NULL, NULL, &r);
        if (r.status != 403) {
            fail_msg("liaison GET %s gave %ld", gets[i], r.status);
        }
        resp_release(&r);
    }
    for (size_t i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
        http_request(port, &cl, "POST", posts[i], "{\"reason\":\"irrelevant\"}", NULL, &r);
        if (r.status != 403) {
            fail_msg("liaison POST %s gave %ld", posts[i], r.status);
        }
        resp_release(&r);
    }
    /* a duty officer without the CSRF token: 403 before anything runs */
    login(f, "duty1", "duty-password-1", &nocsrf);
    nocsrf.csrf[0] = '\0';
    http_request(port, &nocsrf, "POST", "/api/inbox/1/dismiss", "{\"reason\":\"irrelevant\"}", NULL,
                 &r);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "\"code\":\"csrf\""));
    resp_release(&r);
    /* unknown event, id or action */
    http_expect_status(port, &nocsrf, "GET", "/api/inbox/999999", NULL, 404);
    http_expect_status(port, &nocsrf, "GET", "/api/inbox/abc", NULL, 404);
    http_expect_status(port, &nocsrf, "GET", "/api/inbox/0", NULL, 404);
    http_expect_status(port, &nocsrf, "DELETE", "/api/inbox", NULL,
                       403); /* a state change without CSRF is refused first */
    http_expect_status(port, &nocsrf, "POST", "/api/inbox/1/explode", NULL, 403);
}

static void test_silences_over_http(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client cl;
    struct resp r;
    json_t *v, *s;
    int64_t id;

    login(f, "duty1", "duty-password-1", &cl);
    http_request(port, &cl, "POST", "/api/silences",
                 "{\"kind\":\"account\",\"value\":\"某营销号\",\"reason\":\"广告刷屏\","
                 "\"duration_s\":86400}",
                 NULL, &r);
    assert_int_equal(r.status, 201);
    v = json_loads(r.body, 0, NULL);
    id = json_integer_value(json_object_get(v, "id"));
    assert_true(id > 0);
    json_decref(v);
    resp_release(&r);
    v = http_get_json(port, &cl, "/api/silences");
    assert_int_equal(json_array_size(json_object_get(v, "silences")), 1);
    s = json_array_get(json_object_get(v, "silences"), 0);
    assert_int_equal(json_integer_value(json_object_get(s, "id")), id);
    assert_string_equal(json_string_value(json_object_get(s, "kind")), "account");
    assert_string_equal(json_string_value(json_object_get(s, "value")), "某营销号");
    assert_string_equal(json_string_value(json_object_get(s, "created_by")), "duty1");
    assert_true(json_is_true(json_object_get(s, "active")));
    json_decref(v);
    /* an alert it kept shows under it */
    intake_alert(f, "t1", id);
    {
        char path[64];
        snprintf(path, sizeof(path), "/api/silences/%lld/alerts", (long long)id);
        v = http_get_json(port, &cl, path);
        assert_int_equal(json_array_size(json_object_get(v, "alerts")), 1);
        s = json_array_get(json_object_get(v, "alerts"), 0);
        assert_string_equal(json_string_value(json_object_get(s, "item_id")), "rss:t1");
        assert_int_equal(json_integer_value(json_object_get(s, "silence_id")), id);
        json_decref(v);
        snprintf(path, sizeof(path), "/api/silences/%lld/revoke", (long long)id);
        http_expect_status(port, &cl, "POST", path, NULL, 200);
        http_request(port, &cl, "POST", path, NULL, NULL, &r); /* already revoked */
        assert_int_equal(r.status, 409);
        assert_non_null(strstr(r.body, "\"code\":\"state_not_allowed\""));
        resp_release(&r);
    }
    v = http_get_json(port, &cl, "/api/silences");
    assert_int_equal(json_array_size(json_object_get(v, "silences")), 0); /* only active */
    json_decref(v);
    v = http_get_json(port, &cl, "/api/silences?all=1");
    assert_int_equal(json_array_size(json_object_get(v, "silences")), 1);
    assert_true(json_is_false(
        json_object_get(json_array_get(json_object_get(v, "silences"), 0), "active")));
    json_decref(v);
    /* unknown ids: 404; bad bodies: 400 with their codes */
    http_expect_status(port, &cl, "POST", "/api/silences/999/revoke", NULL, 404);
    http_expect_status(port, &cl, "GET", "/api/silences/999/alerts", NULL, 404);
    {
        static const struct {
            const char *body, *code, *message; /* message: NULL = not checked */
        } bad[] = {
            {"{\"kind\":\"person\",\"value\":\"x\",\"reason\":\"y\",\"duration_s\":60}",
             "kind_invalid", NULL},
            {"{\"kind\":\"term\",\"value\":\"\",\"reason\":\"y\",\"duration_s\":60}",
             "value_required", NULL},
            {"{\"kind\":\"term\",\"value\":\"x\",\"reason\":\"y\"}", "expires_required", NULL},
            {"{\"kind\":\"term\",\"value\":\"x\",\"reason\":\"y\",\"duration_s\":0}",
             "expires_required", NULL},
            {"{\"kind\":\"term\",\"value\":\"x\",\"reason\":\"y\","
             "\"expires_at\":\"2020-01-01T00:00:00Z\"}",
             "expires_invalid", NULL},
            /* the store's own reason, not a length message for every refusal */
            {"{\"kind\":\"term\",\"value\":\"的\",\"reason\":\"y\",\"duration_s\":60}",
             "silence_invalid", "屏蔽词至少 2 个汉字或 3 个字母数字"},
            {"{\"kind\":\"account\",\"value\":\"x\",\"reason\":\"a\\u0007b\",\"duration_s\":60}",
             "silence_invalid", "原因含控制字符"},
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            char want[64];
            http_request(port, &cl, "POST", "/api/silences", bad[i].body, NULL, &r);
            snprintf(want, sizeof(want), "\"code\":\"%s\"", bad[i].code);
            if (r.status != 400 || !strstr(r.body, want) ||
                (bad[i].message && !strstr(r.body, bad[i].message))) {
                fail_msg("%s gave %ld %s", bad[i].body, r.status, r.body);
            }
            resp_release(&r);
        }
    }
}

/* POST body to /api/inbox/<id>/<action> as cl; expects want; the answer's JSON (new) or NULL. */
static json_t *act(struct fx *f, const struct client *cl, int64_t id, const char *action,
                   const char *body, long want, const char *want_code)
{
    char path[96];
    struct resp r;
    json_t *v;

    snprintf(path, sizeof(path), "/api/inbox/%lld/%s", (long long)id, action);
    http_request(f->fx.port, cl, "POST", path, body, NULL, &r);
    if (r.status != want) {
        fail_msg("%s %s gave %ld, want %ld: %s", path, body, r.status, want, r.body);
    }
    v = json_loads(r.body, 0, NULL);
    assert_non_null(v);
    if (want_code) {
        if (!json_is_string(json_object_get(v, "code")) ||
            strcmp(json_string_value(json_object_get(v, "code")), want_code) != 0) {
            fail_msg("%s %s: code %s, want %s", path, body, r.body, want_code);
        }
        /* a Chinese message for people */
        assert_true(strlen(json_string_value(json_object_get(v, "message"))) > 0);
    }
    resp_release(&r);
    return v;
}

static const char *ev_str(json_t *answer, const char *key)
{
    return json_string_value(json_object_get(json_object_get(answer, "event"), key));
}

static void test_actions_and_their_errors(void **state)
{
    struct fx *f = *state;
    char body[1024];
    struct client cl;
    json_t *v, *t;
    int64_t m0 = 0, m1 = 0;

    login(f, "duty1", "duty-password-1", &cl);
    json_decref(act(f, &cl, 999999, "dismiss", "{\"reason\":\"irrelevant\"}", 404, "not_found"));
    /*
     * an unknown action word: on an existing event 400 unknown_action naming it (docs/api.md;
     * it was 404 not_found), on a missing one 404 naming the event
     */
    {
        static const struct {
            int64_t id; /* 0: f->e[1] */
            const char *word;
            long status;
            const char *code, *message;
        } unknown[] = {
            {0, "frob", 400, "unknown_action", "未知的操作“frob”"},
            {999999, "frob", 404, "not_found", "没有事件 999999"},
            {999999, "dismiss", 404, "not_found", NULL}, /* the desk's own reason */
        };
        for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
            v = act(f, &cl, unknown[i].id ? unknown[i].id : f->e[1], unknown[i].word, "{}",
                    unknown[i].status, unknown[i].code);
            if (unknown[i].message) {
                assert_string_equal(json_string_value(json_object_get(v, "message")),
                                    unknown[i].message);
            }
            json_decref(v);
        }
    }
    /* 不予处置 with a label; the change marker of the event stream moves */
    assert_int_equal(web_notifier_ops.change_marker(&f->fx.ft->ctx, &m0), 0);
    v = act(f, &cl, f->e[2], "dismiss", "{\"reason\":\"误报\",\"version\":0}", 200, NULL);
    assert_true(json_is_true(json_object_get(v, "ok")));
    assert_string_equal(ev_str(v, "state"), "dismissed");
    assert_string_equal(ev_str(v, "dismiss_reason"), "false_alarm");
    assert_string_equal(ev_str(v, "judged_by"), "duty1");
    t = json_array_get(json_object_get(json_object_get(v, "event"), "log"), 0);
    assert_string_equal(json_string_value(json_object_get(t, "action")), "dismiss");
    assert_string_equal(json_string_value(json_object_get(t, "actor")), "duty1");
    assert_string_equal(json_string_value(json_object_get(t, "actor_role")), "duty_officer");
    assert_string_equal(json_string_value(json_object_get(t, "action_label")), "不予处置");
    /* the entry's display text by the label table; the stored note stays the code */
    assert_string_equal(json_string_value(json_object_get(t, "note")), "false_alarm");
    assert_string_equal(json_string_value(json_object_get(t, "text")), "duty1 不予处置：原因 误报");
    assert_string_equal(ev_str(v, "dismiss_reason_label"), "误报");
    assert_string_equal(ev_str(v, "outcome_label"), "不予处置");
    json_decref(v);
    assert_int_equal(web_notifier_ops.change_marker(&f->fx.ft->ctx, &m1), 0);
    assert_true(m1 > m0);
    /* refusals: state, version, arguments */
    json_decref(
        act(f, &cl, f->e[2], "dismiss", "{\"reason\":\"irrelevant\"}", 409, "state_not_allowed"));
    /* each refused argument its own code and message, as the tickets' dismiss gives them: 其他
       without a note is note_required, not reason_invalid */
    v = act(f, &cl, f->e[1], "dismiss", "{\"reason\":\"other\"}", 400, "note_required");
    assert_string_equal(json_string_value(json_object_get(v, "message")),
                        "原因为“其他”时须填写说明");
    json_decref(v);
    v = act(f, &cl, f->e[1], "dismiss", "{\"reason\":\"其他\",\"note\":\"\"}", 400,
            "note_required");
    json_decref(v);
    /* issue #11: the refusal names the one table of tickets and events (与本地无关, 超出职责范围)
     */
    v = act(f, &cl, f->e[1], "dismiss", "{\"reason\":\"无聊\"}", 400, "reason_invalid");
    assert_string_equal(json_string_value(json_object_get(v, "message")),
                        "不予处置原因须为与本地无关、重复、误报、超出职责范围或其他之一");
    json_decref(v);
    json_decref(act(f, &cl, f->e[1], "dismiss", "{\"reason\":\"irrelevant\",\"version\":99}", 409,
                    "version_changed"));
    json_decref(act(f, &cl, f->e[1], "dismiss", "{\"reason\":\"irrelevant\",\"version\":\"0\"}",
                    400, "expected_version_invalid"));
    json_decref(act(f, &cl, f->e[1], "confirm", "{}", 409, "state_not_allowed"));
    json_decref(act(f, &cl, f->e[1], "watch", "{}", 400, "threshold_required"));
    json_decref(act(f, &cl, f->e[1], "watch", "{\"items\":-1}", 400, "argument_type"));
    /* a threshold at or below the event's count now would resurface it at once */
    v = act(f, &cl, f->e[1], "watch", "{\"items\":1}", 400, "threshold_reached");
    assert_non_null(strstr(json_string_value(json_object_get(v, "message")),
                           "持续关注的条数阈值须大于事件当前的信息数"));
    json_decref(v);
    /* 持续关注 */
    v = act(f, &cl, f->e[1], "watch", "{\"items\":10,\"quiet_s\":600,\"note\":\"观察\"}", 200,
            NULL);
    assert_string_equal(ev_str(v, "state"), "watching");
    t = json_object_get(json_object_get(v, "event"), "watch");
    assert_int_equal(json_integer_value(json_object_get(t, "items")), 10);
    assert_int_equal(json_integer_value(json_object_get(t, "quiet_s")), 600);
    json_decref(v);
    /* 并入 */
    json_decref(act(f, &cl, f->e[1], "merge", "{}", 400, "target_required"));
    snprintf(body, sizeof(body), "{\"into_event\":%lld}", (long long)f->e[1]);
    json_decref(act(f, &cl, f->e[1], "merge", body, 400, "merge_cycle"));
    json_decref(act(f, &cl, f->e[1], "merge", "{\"into_event\":999999}", 404, "not_found"));
    json_decref(
        act(f, &cl, f->e[1], "merge", "{\"into_ticket\":\"YQ-1900-01-0001\"}", 404, "not_found"));
    snprintf(body, sizeof(body), "{\"into_ticket\":\"%s\",\"note\":\"同一事件\"}", f->number);
    v = act(f, &cl, f->e[1], "merge", body, 200, NULL);
    assert_string_equal(ev_str(v, "state"), "merged");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(v, "event"), "merged_into")), f->e[6]);
    json_decref(v);
    snprintf(body, sizeof(body), "/api/inbox/%lld", (long long)f->e[6]);
    v = http_get_json(f->fx.port, &cl, body);
    t = json_object_get(v, "merged");
    assert_int_equal(json_array_size(t), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(t, 0), "id")), f->e[1]);
    /* e1's 4 items moved to the ticket's event, which had its own 1 */
    assert_int_equal(json_integer_value(json_object_get(v, "items_total")), 5);
    json_decref(v);
    /* 交办 */
    json_decref(
        act(f, &cl, f->e[4], "assign", "{\"lead\":\"不存在的局\"}", 400, "department_unknown"));
    json_decref(act(f, &cl, f->e[4], "assign", "{}", 400, "department_required"));
    json_decref(act(f, &cl, f->e[4], "assign", "{\"lead\":\"" DEPT_B "\",\"level\":\"V\"}", 400,
                    "level_invalid"));
    json_decref(act(f, &cl, f->e[4], "assign", "{\"lead\":\"" DEPT_B "\",\"co\":\"x\"}", 400,
                    "co_department_invalid"));
    /*
     * the one bound of the tickets' assign (TICKET_MAX_CO_DEPARTMENTS, 10), by its one code:
     * 11 and 17 names alike (17 was co_department_invalid, the desk's own bound of 16)
     */
    for (int n = 11; n <= 17; n += 6) {
        size_t at = (size_t)snprintf(body, sizeof(body), "{\"lead\":\"" DEPT_B "\",\"co\":[");
        for (int i = 0; i < n; i++) {
            at += (size_t)snprintf(body + at, sizeof(body) - at, "%s\"" DEPT_A "\"", i ? "," : "");
        }
        snprintf(body + at, sizeof(body) - at, "]}");
        v = act(f, &cl, f->e[4], "assign", body, 400, "too_many_co_departments");
        assert_string_equal(json_string_value(json_object_get(v, "message")), "协办部门至多 10 个");
        json_decref(v);
    }
    v = act(f, &cl, f->e[4], "assign",
            "{\"lead\":\"" DEPT_B "\",\"co\":[\"" DEPT_A "\"],\"level\":\"II\","
            "\"opinion\":\"请核实并回应\",\"version\":0}",
            200, NULL);
    assert_string_equal(ev_str(v, "state"), "assigned");
    assert_string_equal(ev_str(v, "opinion"), "请核实并回应");
    t = json_object_get(v, "ticket");
    assert_non_null(json_string_value(json_object_get(t, "number")));
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_object_get(v, "event"), "ticket"), "number")),
                        json_string_value(json_object_get(t, "number")));
    {
        json_t *tk =
            http_get_ticket(f->fx.port, &cl, json_string_value(json_object_get(t, "number")));
        json_t *o = json_object_get(tk, "ticket");
        assert_int_equal(json_integer_value(json_object_get(o, "event_id")), f->e[4]);
        assert_string_equal(json_string_value(json_object_get(o, "department")), DEPT_B);
        assert_string_equal(json_string_value(json_object_get(o, "level")), "II");
        /* the ticket's 'created' entry shows the officer's 研判意见 */
        assert_non_null(strstr(json_string_value(json_object_get(
                                   json_array_get(json_object_get(o, "log"), 0), "text")),
                               "研判意见：请核实并回应"));
        json_decref(tk);
    }
    json_decref(v);
    json_decref(
        act(f, &cl, f->e[4], "assign", "{\"lead\":\"" DEPT_B "\"}", 409, "state_not_allowed"));
    /* 确认交办 of an event the policy handed over at intake */
    intake_alert(f, "t2", 0);
    v = http_get_json(f->fx.port, &cl, "/api/inbox?state=auto_assigned");
    t = json_object_get(v, "events");
    assert_int_equal(json_array_size(t), 2); /* e3 and the new one (level III, heat 1: last) */
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(t, 1), "ticket"), "number")),
                        f->number);
    m0 = json_integer_value(json_object_get(json_array_get(t, 1), "id"));
    json_decref(v);
    v = act(f, &cl, m0, "confirm", "{\"opinion\":\"同意交办\"}", 200, NULL);
    assert_string_equal(ev_str(v, "state"), "assigned");
    assert_string_equal(ev_str(v, "state_label"), "已交办");
    json_decref(v);
    json_decref(act(f, &cl, m0, "confirm", "{}", 409, "state_not_allowed"));
}

/* The texts the hot words are counted from: the newest items first, bounded by max. */
static void test_event_texts_for_hot_words(void **state)
{
    struct fx *f = *state;
    char **texts = NULL;
    size_t n = 0;

    exec_sql(f, "UPDATE event_items SET title = item_id");
    pthread_mutex_lock(&f->fx.ft->lock);
    assert_int_equal(event_read_texts(f->fx.ft->reader, f->e[1], 3, &texts, &n), 0);
    pthread_mutex_unlock(&f->fx.ft->lock);
    assert_int_equal(n, 3);
    assert_string_equal(texts[0], "rss:4\n摘要");
    assert_string_equal(texts[1], "weibo:3\n摘要");
    assert_string_equal(texts[2], "weibo:2\n摘要");
    event_read_texts_release(texts, n);
    pthread_mutex_lock(&f->fx.ft->lock);
    assert_int_equal(event_read_texts(f->fx.ft->reader, 999999, 10, &texts, &n), 0);
    pthread_mutex_unlock(&f->fx.ft->lock);
    assert_int_equal(n, 0);
    event_read_texts_release(texts, n);
}

/* The event stream's change marker covers event_log as well as ticket_log. */
static void test_change_marker_moves_with_event_log(void **state)
{
    struct fx *f = *state;
    int64_t before = 0, after = 0, after_ticket = 0;

    assert_int_equal(web_notifier_ops.change_marker(&f->fx.ft->ctx, &before), 0);
    add_event_log(f, f->e[2], T0, "duty1", "duty_officer", "watch", "pending", "watching");
    assert_int_equal(web_notifier_ops.change_marker(&f->fx.ft->ctx, &after), 0);
    assert_int_equal(after, before + 1); /* e1's row was 1, this is 2 */
    exec_sql(f, "INSERT INTO ticket_log (ticket_id, at, actor, action) "
                "SELECT id, 0, 'x', 'note' FROM tickets LIMIT 1");
    assert_int_equal(web_notifier_ops.change_marker(&f->fx.ft->ctx, &after_ticket), 0);
    assert_int_equal(after_ticket, after + 1);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_inbox_order_and_filters),
        FX(test_event_page_values),
        FX(test_ticket_link_both_ways),
        FX(test_hostile_title_is_literal_json),
        FX(test_roles_and_csrf),
        FX(test_silences_over_http),
        FX(test_actions_and_their_errors),
        FX(test_event_texts_for_hot_words),
        FX(test_change_marker_moves_with_event_log),
    };
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
