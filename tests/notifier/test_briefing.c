/*
 * The daily briefing (舆情日报) and the 专报 (issue #14, notifier/briefing.h): the period and its
 * edges, counts per level and rule group, new and continuing events with their trend and
 * negative share, the tickets' figures with the monthly statistics' definitions, blind sources
 * from a fake reader, the archive's counts per source kind (and its note when absent), the idempotent scheduler with its outbox rows
 * and catch-up, escaping, the 专报's content, who sees which report, and `yuqingctl reports`.
 *
 * The fixture (Beijing time; the briefing of 2026-12-05, period [12-04 08:00, 12-05 08:00)):
 *   E1 "ev-old"  III  items 12-03 10:00 and 12-04 09:00        continuing, 1 item in the period
 *   E2 "ev-new"  II   items 12-04 12:00, 12-05 07:59:59 (last second of the period) and
 *                     12-05 08:00:00 (the next period)          new, 2 items; title hostile
 *   E3 "ev-edge" IV   first item 12-05 08:00:00                 not in the period
 *   E4 "ev-start" IV  first item 12-04 08:00:00 (first second)  new, 1 item
 *   E5 "ev-late" III  detected 12-02 12:00, no item since       not an event of the period;
 *                     its 48 h response deadline (12-04 12:00) passes unmet: overdue
 * Tickets (every level handed over at intake): E1 签收 12-03 10:30, 回应 12-04 10:00, 办结
 * 12-04 11:00; E2 签收 12:30, 回应 15:00; E4 签收 08:30.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include "yq_db.h"

#include "archive.h"
#include "briefing.h"
#include "briefing_html.h"
#include "capture.h"
#include "db_fixture.h"
#include "event_flow.h"
#include "notifier_fixture.h"
#include "redis_fixture.h"
#include "reports_cli.h"
#include "sqlite_fixture.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "file_fixture.h"
#include "yq_redis.h"

#define HOSTILE "征地<script>alert(1)</script>&补偿"
#define HOSTILE_JSON "征地<script>alert(1)</script>&补偿"

struct fx {
    struct ticket_store *store;
    char num[6][32]; /* ticket numbers of E1..E5 (index 1..5) */
    int64_t ev[6];   /* event ids */
};

static void intake(struct fx *f, int idx, const char *key, const char *item, const char *level,
                   const char *at, const char *title)
{
    struct test_alert_spec s = TEST_ALERT_LAND(key, item, level, at, at, 7.0);
    struct ticket_intake_result res;
    if (title) {
        s.title = title;
    }
    assert_int_equal(notifier_intake(f->store, &s, notifier_ts(at), &res), 0);
    if (res.number[0]) {
        snprintf(f->num[idx], sizeof(f->num[idx]), "%s", res.number);
    }
    if (res.event_id) {
        f->ev[idx] = res.event_id;
    }
}

static void act(struct fx *f, int idx, enum ticket_action_kind kind, const char *at)
{
    struct ticket_action a;
    memset(&a, 0, sizeof(a));
    a.kind = kind;
    a.number = f->num[idx];
    a.actor = kind == TICKET_ACT_CLOSE ? "值班员张三" : "联络员李四";
    a.role = kind == TICKET_ACT_CLOSE ? "duty_officer" : "liaison";
    if (kind == TICKET_ACT_RESPOND) {
        a.channel = "政务微博";
        a.url = "https://weibo.example/ankang/1";
        a.responded_at = notifier_ts(at);
        a.note = "已在政务微博发布情况说明";
    }
    if (kind == TICKET_ACT_CLOSE) {
        a.note = "已回应，舆情平稳";
    }
    notifier_apply_ok(f->store, &a, notifier_ts(at), NULL);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->store = notifier_store_memory();
    intake(f, 5, "ev-late", "rss:e5a", "III", "2026-12-02T12:00:00+08:00", NULL);
    intake(f, 1, "ev-old", "rss:e1a", "III", "2026-12-03T10:00:00+08:00", "恒口示范区征地补偿争议");
    act(f, 1, TICKET_ACT_ACK, "2026-12-03T10:30:00+08:00");
    intake(f, 4, "ev-start", "rss:e4a", "IV", "2026-12-04T08:00:00+08:00", "旬阳市拆迁安置咨询");
    act(f, 4, TICKET_ACT_ACK, "2026-12-04T08:30:00+08:00");
    intake(f, 1, "ev-old", "rss:e1b", "III", "2026-12-04T09:00:00+08:00", "恒口示范区征地补偿争议");
    act(f, 1, TICKET_ACT_RESPOND, "2026-12-04T10:00:00+08:00");
    act(f, 1, TICKET_ACT_CLOSE, "2026-12-04T11:00:00+08:00");
    intake(f, 2, "ev-new", "rss:e2a", "II", "2026-12-04T12:00:00+08:00", HOSTILE_JSON);
    {
        const struct event_actor duty = {.name = "值班员张三", .role = "duty_officer"};
        assert_int_equal(event_confirm(f->store, f->ev[2], &duty, "请市自然资源局核实并回应",
                                       -1, notifier_ts("2026-12-04T12:10:00+08:00")),
                         0);
    }
    act(f, 2, TICKET_ACT_ACK, "2026-12-04T12:30:00+08:00");
    act(f, 2, TICKET_ACT_RESPOND, "2026-12-04T15:00:00+08:00");
    intake(f, 2, "ev-new", "rss:e2b", "II", "2026-12-05T07:59:59+08:00", HOSTILE_JSON);
    intake(f, 2, "ev-new", "rss:e2c", "II", "2026-12-05T08:00:00+08:00", HOSTILE_JSON);
    intake(f, 3, "ev-edge", "rss:e3a", "IV", "2026-12-05T08:00:00+08:00", "紫阳县道路塌方");
    /* rule groups and sentiment as the matcher and the lexicon would have stored them */
    notifier_exec(
        f->store,
        "UPDATE event_items SET rule_groups = '[\"环境污染\"]' WHERE item_id LIKE 'rss:e1%';"
        "UPDATE events SET rule_groups = '[\"环境污染\"]' WHERE event_key = 'ev-old';"
        "UPDATE event_items SET rule_groups = '[\"征地拆迁\"]' WHERE item_id LIKE 'rss:e2%';"
        "UPDATE events SET rule_groups = '[\"征地拆迁\"]' WHERE event_key = 'ev-new';"
        "UPDATE event_items SET sentiment = 'negative', heat = 50 WHERE item_id = 'rss:e2a';"
        "UPDATE event_items SET sentiment = 'neutral', heat = 90, "
        "url = 'javascript:alert(1)' WHERE item_id = 'rss:e2b';");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    ticket_store_free(f->store);
    free(f);
    return 0;
}

/* The day 2026-12-05 as a Beijing day number. */
static int64_t day_1205(void)
{
    int64_t d = 0;
    assert_int_equal(briefing_parse_day("2026-12-05", &d), 0);
    return d;
}

static void test_period(void **state)
{
    int64_t s, e, d = day_1205();
    (void)state;
    briefing_period_of_day(d, 8, &s, &e);
    assert_int_equal(s, notifier_ts("2026-12-04T08:00:00+08:00"));
    assert_int_equal(e, notifier_ts("2026-12-05T08:00:00+08:00"));
    briefing_period_of_day(d, 0, &s, &e);
    assert_int_equal(e, notifier_ts("2026-12-05T00:00:00+08:00"));
    assert_int_equal(briefing_latest_day(notifier_ts("2026-12-05T08:00:00+08:00"), 8), d);
    assert_int_equal(briefing_latest_day(notifier_ts("2026-12-05T07:59:59+08:00"), 8), d - 1);
    assert_int_equal(briefing_latest_day(notifier_ts("2026-12-05T23:59:59+08:00"), 8), d);
    /* 00:30 Beijing is still the previous UTC day: the Beijing day decides */
    assert_int_equal(briefing_latest_day(notifier_ts("2026-12-06T00:30:00+08:00"), 0), d + 1);
    assert_int_equal(briefing_parse_day("2026-02-30", &s), ERR_PARSE);
    assert_int_equal(briefing_parse_day("2026-1-05", &s), ERR_PARSE);
    assert_int_equal(briefing_parse_day("2026-12-05x", &s), ERR_PARSE);
    assert_int_equal(briefing_parse_day(NULL, &s), ERR_PARSE);
}

static void gather_1205(struct fx *f, const struct briefing_env *env, struct briefing *b)
{
    int64_t s, e;
    char err[256] = "";
    briefing_period_of_day(day_1205(), 8, &s, &e);
    assert_int_equal(briefing_gather(f->store, env, s, e, e + 60, b, err, sizeof(err)), 0);
}

static void test_counts(void **state)
{
    struct fx *f = *state;
    struct briefing b;

    gather_1205(f, NULL, &b);
    assert_int_equal(b.items, 4); /* e1b, e2a, e2b (07:59:59), e4a (08:00:00 of the start) */
    assert_int_equal(b.items_negative, 1);
    assert_int_equal(b.items_sentiment_known, 2);
    assert_int_equal(b.levels[0].items, 0);
    assert_int_equal(b.levels[0].events, 0);
    assert_int_equal(b.levels[1].items, 2);
    assert_int_equal(b.levels[1].events, 1);
    assert_int_equal(b.levels[2].items, 1);
    assert_int_equal(b.levels[2].events, 1); /* E1; E5 has no item in the period */
    assert_int_equal(b.levels[3].items, 1);
    assert_int_equal(b.levels[3].events, 1); /* E4; E3 starts at the end */
    assert_int_equal(b.events, 3);
    assert_int_equal(b.events_new, 2);
    assert_int_equal(b.events_continuing, 1);
    assert_int_equal(b.n_groups, 3);
    assert_string_equal(b.groups[0].key, "征地拆迁");
    assert_int_equal(b.groups[0].items, 2);
    assert_int_equal(b.groups[0].events, 1);
    assert_string_equal(b.groups[1].key, "环境污染");
    assert_int_equal(b.groups[1].items, 1);
    assert_int_equal(b.groups[1].events, 1);
    assert_string_equal(b.groups[2].key, "（无规则组）");
    assert_int_equal(b.groups[2].items, 1);
    assert_int_equal(b.groups[2].events, 1);
    /* listed by level: E2 (II), E1 (III), E4 (IV) */
    assert_int_equal(b.n_list, 3);
    assert_int_equal(b.list[0].id, f->ev[2]);
    assert_true(b.list[0].is_new);
    assert_int_equal(b.list[0].items, 2);
    assert_int_equal(b.list[0].negative, 1);
    assert_int_equal(b.list[0].sentiment_known, 2);
    assert_string_equal(b.list[0].ticket, f->num[2]);
    {
        const int64_t want[BRIEFING_TREND_BUCKETS] = {0, 1, 0, 0, 0, 1}; /* 12:00, 07:59:59 */
        assert_memory_equal(b.list[0].trend, want, sizeof(want));
    }
    assert_int_equal(b.list[1].id, f->ev[1]);
    assert_false(b.list[1].is_new);
    assert_int_equal(b.list[1].items, 1);
    assert_int_equal(b.list[1].trend[0], 1); /* 09:00: the first 4 hours */
    assert_int_equal(b.list[2].id, f->ev[4]);
    assert_true(b.list[2].is_new);
    /* tickets, the statistics' definitions */
    assert_int_equal(b.handed_over, 2); /* E4, E2 detected in the period */
    assert_int_equal(b.responded, 2);   /* E1 (48 h, on time), E2 (5 h, on time) */
    assert_int_equal(b.responses, 2);
    assert_int_equal(b.closed, 1); /* E1 */
    assert_int_equal(b.overdue, 1); /* E5: its 48 h response deadline passed unmet */
    assert_true(b.n_overdue_list >= 1);
    for (size_t i = 0; i < b.n_overdue_list; i++) {
        assert_string_equal(b.overdue_list[i].number, f->num[5]);
        assert_int_equal(b.overdue_list[i].met_at, 0);
    }
    assert_int_equal(b.overdue_list[0].deadline, notifier_ts("2026-12-04T12:00:00+08:00"));
    /* no reader, no archive */
    assert_false(b.sources_known);
    assert_int_equal(b.archive_state, 0);
    briefing_release(&b);
}

/* The fake source-health reader: three sources, one of them failing. */
static int fake_sources(void *ctx, struct briefing_source **out, size_t *n_out)
{
    static const char *const rows[3][4] = {
        {"ak-news", "安康新闻网", "rss", "ok"},
        {"ak-weibo", "<b>安康发布</b>", "weibo", "http_error"},
        {"hb-gov", "汉滨区政府网", "rss", "ok"},
    };
    struct briefing_source *v = calloc(3, sizeof(*v));
    (void)ctx;
    assert_non_null(v);
    for (int i = 0; i < 3; i++) {
        v[i].id = strdup(rows[i][0]);
        v[i].name = strdup(rows[i][1]);
        v[i].kind = strdup(rows[i][2]);
        v[i].state = strdup(rows[i][3]);
        v[i].last_success = strdup("2026-12-04T20:00:00Z");
        v[i].last_error = strdup("");
        v[i].consecutive_failures = i == 1 ? 7 : 0;
    }
    *out = v;
    *n_out = 3;
    return 0;
}

static int down_sources(void *ctx, struct briefing_source **out, size_t *n_out)
{
    (void)ctx;
    *out = NULL;
    *n_out = 0;
    return ERR_RETRY;
}

static char *render_daily(const struct briefing *b)
{
    struct yq_buf out;
    yq_buf_init(&out, BRIEFING_HTML_MAX_BYTES);
    assert_int_equal(briefing_html_daily(b, "舆情日报（2026年12月5日）", "/static/stats/", &out), 0);
    return yq_buf_steal(&out, NULL);
}

static void test_sources_and_archive(void **state)
{
    struct fx *f = *state;
    struct briefing_env env = {.sources = fake_sources, .archive_dir = "/nonexistent/yq-archive"};
    struct briefing b;
    char *html, *sum = NULL;

    gather_1205(f, &env, &b);
    assert_true(b.sources_known);
    assert_int_equal(b.n_sources, 3);
    assert_int_equal(b.n_blind, 1);
    assert_string_equal(b.blind[0].id, "ak-weibo");
    assert_int_equal(b.blind[0].consecutive_failures, 7);
    assert_int_equal(b.archive_state, -1); /* no archive there: the section is a note */
    html = render_daily(&b);
    assert_non_null(strstr(html, "&lt;b&gt;安康发布&lt;/b&gt;"));
    assert_null(strstr(html, "<b>安康发布"));
    assert_non_null(strstr(html, "归档库不可用"));
    assert_null(strstr(html, "来源状态未知"));
    assert_int_equal(briefing_summary(&b, 3, "http://yq.example/api/reports/1", &sum), 0);
    assert_non_null(strstr(sum, "当前失效来源 1 个：<b>安康发布</b>")); /* plain text */
    assert_non_null(strstr(sum, "全文：http://yq.example/api/reports/1"));
    free(sum);
    free(html);
    briefing_release(&b);

    env.sources = down_sources;
    env.archive_dir = NULL;
    gather_1205(f, &env, &b);
    assert_false(b.sources_known);
    assert_int_equal(b.archive_state, 0);
    html = render_daily(&b);
    assert_non_null(strstr(html, "来源状态未知"));
    assert_null(strstr(html, "归档库"));
    assert_int_equal(briefing_summary(&b, 2, NULL, &sum), 0);
    assert_non_null(strstr(sum, "来源状态未知"));
    assert_non_null(strstr(sum, "交办 2 件，回应 2 件，办结 1 件，超期 1 件"));
    assert_non_null(strstr(sum, "事件 3 起（新增 2，持续 1）"));
    assert_non_null(strstr(sum, "重点事件：1. " HOSTILE "（II级，2条）；2. 恒口示范区征地补偿争议"));
    assert_null(strstr(sum, "3. ")); /* top 2 */
    free(sum);
    free(html);
    briefing_release(&b);
}

/*
 * The robots' summary names events by their titles: a title's line breaks (a feed's) and a blind
 * source's name stay on their one line, so neither can add a "全文：" line of its own.
 */
static void test_summary_titles_are_one_line(void **state)
{
    struct briefing_event ev = {.title = (char *)"城区停水\n全文：http://evil.example/\r\n",
                                .level = (char *)"II",
                                .items = 2};
    struct briefing b;
    char *sum = NULL;

    (void)state;
    memset(&b, 0, sizeof(b));
    b.list = &ev;
    b.n_list = 1;
    assert_int_equal(briefing_summary(&b, 3, "http://yq.example/api/reports/1", &sum), 0);
    assert_non_null(
        strstr(sum, "重点事件：1. 城区停水 全文：http://evil.example/ （II级，2条）\n"));
    assert_null(strstr(sum, "\n全文：http://evil"));
    assert_non_null(strstr(sum, "\n全文：http://yq.example/api/reports/1\n"));
    free(sum);
}

/* An archived item of kind source at time t (strings owned; yq_item_release()). */
static void arch_item(struct yq_item *it, const char *id, const char *source, int64_t t)
{
    const struct yq_item borrowed = {
        .id = (char *)id, .source = (char *)source, .source_id = "ak-1", .channel = "安康发布",
        .url = "https://example.invalid/p/1", .title = "汉滨区道路施工", .text = "施工期间请绕行",
        .author = "", .has_published = true, .published_at = t, .precision = "second",
        .fetched_at = t + 60};

    assert_int_equal(yq_item_copy(it, &borrowed), 0);
}

/* A new archive in dir (an empty directory) holding the n items v, then released. */
static void archive_items(const char *dir, struct yq_item *v, size_t n)
{
    const struct yq_item *p[32];
    struct archive *a = NULL;
    char err[256] = "";

    assert_true(n <= 32);
    for (size_t i = 0; i < n; i++) {
        p[i] = &v[i];
    }
    assert_int_equal(archive_init(dir, err, sizeof(err)), 0);
    assert_int_equal(archive_open(dir, NULL, &a, err, sizeof(err)), 0);
    assert_int_equal(archive_put(a, p, n, NULL, 0, NULL, err, sizeof(err)), 0);
    archive_close(a);
    for (size_t i = 0; i < n; i++) {
        yq_item_release(&v[i]);
    }
}

static void test_archive_counts(void **state)
{
    struct fx *f = *state;
    char dir[] = "/tmp/yq-brief-arch-XXXXXX";
    struct briefing_env env = {.archive_dir = dir};
    struct yq_item v[4];
    struct briefing b;
    char *html;

    assert_non_null(mkdtemp(dir));
    arch_item(&v[0], "rss:a1", "rss", notifier_ts("2026-12-04T08:00:00+08:00"));
    arch_item(&v[1], "rss:a2", "rss", notifier_ts("2026-12-05T07:59:59+08:00"));
    arch_item(&v[2], "weibo:a3", "weibo", notifier_ts("2026-12-04T20:00:00+08:00"));
    arch_item(&v[3], "rss:a4", "rss", notifier_ts("2026-12-05T08:00:00+08:00")); /* next day */
    archive_items(dir, v, 4);
    gather_1205(f, &env, &b);
    assert_int_equal(b.archive_state, 1);
    assert_int_equal(b.archive_items, 3);
    assert_int_equal(b.n_kinds, 2);
    for (size_t i = 0; i < b.n_kinds; i++) {
        assert_int_equal(b.kinds[i].items, strcmp(b.kinds[i].kind, "rss") == 0 ? 2 : 1);
    }
    html = render_daily(&b);
    assert_non_null(strstr(html, "本时段归档采集信息 3 条"));
    free(html);
    briefing_release(&b);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

static void test_html_escapes(void **state)
{
    struct fx *f = *state;
    struct briefing b;
    struct briefing_event_report r;
    struct yq_buf out;
    char *html, err[256];

    gather_1205(f, NULL, &b);
    html = render_daily(&b);
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "征地&lt;script&gt;alert(1)&lt;/script&gt;&amp;补偿"));
    assert_non_null(strstr(html, "href=\"/static/stats/stats-report.css\""));
    assert_null(strstr(html, "style=")); /* no inline style: the CSP */
    assert_non_null(strstr(html, "<svg class=\"trend\""));
    free(html);
    briefing_release(&b);

    assert_int_equal(briefing_event_gather(f->store, f->ev[2], notifier_ts("2026-12-05T09:00:00+08:00"),
                                           &r, err, sizeof(err)), 0);
    yq_buf_init(&out, BRIEFING_HTML_MAX_BYTES);
    assert_int_equal(briefing_html_event(&r, "", &out), 0);
    html = yq_buf_steal(&out, NULL);
    assert_null(strstr(html, "<script"));
    assert_non_null(strstr(html, "<title>专报：征地&lt;script&gt;"));
    assert_non_null(strstr(html, "2026-12-04 12:00 起 21 小时，峰值 1 条/小时（2026-12-04 12:00 起）"));
    assert_null(strstr(html, "javascript:")); /* a non-http URL is never a link */
    assert_null(strstr(html, "style="));
    free(html);
    briefing_event_report_release(&r);
}

static void test_event_report(void **state)
{
    struct fx *f = *state;
    struct briefing_event_report r;
    char err[256] = "";

    assert_int_equal(briefing_event_gather(f->store, f->ev[2], notifier_ts("2026-12-05T09:00:00+08:00"),
                                           &r, err, sizeof(err)), 0);
    assert_string_equal(r.ev.title, HOSTILE);
    assert_string_equal(r.ev.level, "II");
    assert_string_equal(r.ev.department, "市自然资源局");
    assert_string_equal(r.ev.ticket, f->num[2]);
    assert_int_equal(r.ev.items, 3);
    assert_int_equal(r.ev.negative, 1);
    assert_int_equal(r.ev.sentiment_known, 2);
    /* hours: 12-04 12:00 .. 12-05 08:00 Beijing = 21 bars; 1 at the first, 1 at 07:00, 1 at 08:00 */
    assert_int_equal(r.n_hours, 21);
    assert_int_equal(r.hours_start, notifier_ts("2026-12-04T12:00:00+08:00"));
    assert_int_equal(r.hourly[0], 1);
    assert_int_equal(r.hourly[19], 1);
    assert_int_equal(r.hourly[20], 1);
    assert_int_equal(r.hourly[10], 0);
    /* key posts, highest heat first */
    assert_int_equal(r.n_posts, 3);
    assert_int_equal(r.posts[0].heat, 90);
    assert_int_equal(r.posts[1].heat, 50);
    assert_string_equal(r.posts[1].sentiment, "negative");
    /* responses of its ticket */
    assert_int_equal(r.n_responses, 1);
    assert_string_equal(r.responses[0].channel, "政务微博");
    assert_int_equal(r.responses[0].at, notifier_ts("2026-12-04T15:00:00+08:00"));
    assert_string_equal(r.responses[0].note, "已在政务微博发布情况说明");
    /* 研判: handed over by policy at intake, confirmed by the duty officer */
    assert_string_equal(r.judged_by, "值班员张三");
    assert_int_equal(r.judged_at, notifier_ts("2026-12-04T12:10:00+08:00"));
    assert_string_equal(r.opinion, "请市自然资源局核实并回应");
    assert_true(r.outcome[0] != '\0');
    /* timeline: the event's log and the ticket's, in time order */
    assert_true(r.n_log >= 4);
    {
        bool ev_row = false, ack = false, respond = false;
        for (size_t i = 0; i < r.n_log; i++) {
            if (i > 0) {
                assert_true(r.log[i - 1].at <= r.log[i].at);
            }
            ev_row |= !r.log[i].ticket;
            /* the notes for a person, as the event and ticket pages show them: no stored
               key=value words (the 发现 rows were "level=IV department=… item_id=…") */
            if (strstr(r.log[i].note, "level=") || strstr(r.log[i].note, "item_id=")) {
                fail_msg("raw note in the 专报: %s %s", r.log[i].action, r.log[i].note);
            }
            if (!r.log[i].ticket && strcmp(r.log[i].action, "发现") == 0) {
                assert_non_null(strstr(r.log[i].note, "级别 "));
            }
            ack |= r.log[i].ticket && r.log[i].at == notifier_ts("2026-12-04T12:30:00+08:00");
            respond |= r.log[i].ticket && r.log[i].at == notifier_ts("2026-12-04T15:00:00+08:00");
        }
        assert_true(ev_row);
        assert_true(ack);
        assert_true(respond);
    }
    briefing_event_report_release(&r);
    assert_int_equal(briefing_event_gather(f->store, 9999, 0, &r, err, sizeof(err)),
                     ERR_NOT_FOUND);
    briefing_event_report_release(&r);
}

static void test_scheduler(void **state)
{
    struct fx *f = *state;
    char *names[2] = {"duty-robot", "ops-mail"};
    struct briefing_cfg cfg = *briefing_cfg_defaults();
    struct briefing_env env = {.cfg = &cfg, .link_base = "http://yq.example:8080/ticket?number="};
    int64_t id = 0, again = 0, day = day_1205();
    bool created = true;
    char err[256] = "";

    cfg.channels = names;
    cfg.n_channels = 2;
    /* before the hour: the 12-04 briefing is due (its period ended 12-04 08:00) */
    assert_int_equal(briefing_tick(f->store, &env, notifier_ts("2026-12-05T07:59:59+08:00"), &id,
                                   err, sizeof(err)), 0);
    assert_true(id > 0);
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(notifier_count(f->store, "SELECT period_end FROM reports"),
                     notifier_ts("2026-12-04T08:00:00+08:00"));
    /* at the hour: the 12-05 one, once, with one outbox row per channel */
    assert_int_equal(briefing_tick(f->store, &env, notifier_ts("2026-12-05T08:00:00+08:00"), &id,
                                   err, sizeof(err)), 0);
    assert_true(id > 0);
    assert_int_equal(briefing_tick(f->store, &env, notifier_ts("2026-12-05T08:01:00+08:00"), &again,
                                   err, sizeof(err)), 0);
    assert_int_equal(again, 0);
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM reports WHERE kind = 'daily'"),
                     2);
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM outbox WHERE kind = 'briefing'"),
                     4);
    {
        char sql[200];
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM outbox WHERE kind = 'briefing' AND idem_key IN "
                 "('r%lld:duty-robot', 'r%lld:ops-mail') AND link = "
                 "'http://yq.example:8080/api/reports/%lld' AND role = 'duty'",
                 (long long)id, (long long)id, (long long)id);
        assert_int_equal(notifier_count(f->store, sql), 2);
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM reports WHERE id = %lld AND summary LIKE "
                 "'%%交办 2 件，回应 2 件，办结 1 件，超期 1 件%%' AND created_by = 'system' AND "
                 "title = '舆情日报（2026年12月5日）'",
                 (long long)id);
        assert_int_equal(notifier_count(f->store, sql), 1);
    }
    /* a second writer (a click, another notifier) gets the stored one */
    assert_int_equal(briefing_daily_ensure(f->store, &env, day, "duty1",
                                           notifier_ts("2026-12-05T10:00:00+08:00"), &again,
                                           &created, err, sizeof(err)), 0);
    assert_int_equal(again, id);
    assert_false(created);
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM outbox WHERE kind = 'briefing'"),
                     4);
    /* a period not yet ended is refused */
    assert_int_equal(briefing_daily_ensure(f->store, &env, day + 1, "duty1",
                                           notifier_ts("2026-12-05T10:00:00+08:00"), &again,
                                           &created, err, sizeof(err)), ERR_INVALID);
    /* disabled: nothing */
    cfg.enabled = false;
    assert_int_equal(briefing_tick(f->store, &env, notifier_ts("2026-12-07T09:00:00+08:00"), &id,
                                   err, sizeof(err)), 0);
    assert_int_equal(id, 0);
}

static void test_catch_up(void **state)
{
    struct fx *f = *state;
    int64_t id = 0;
    char err[256] = "";

    /* the notifier was down from 12-05 until 12-08 09:00: only 12-08's briefing is written */
    assert_int_equal(briefing_tick(f->store, NULL, notifier_ts("2026-12-08T09:00:00+08:00"), &id,
                                   err, sizeof(err)), 0);
    assert_true(id > 0);
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM reports"), 1);
    assert_int_equal(notifier_count(f->store, "SELECT period_start FROM reports"),
                     notifier_ts("2026-12-07T08:00:00+08:00"));
    assert_int_equal(notifier_count(f->store, "SELECT count(*) FROM outbox WHERE kind = 'briefing'"),
                     0); /* no channels configured */
}

static void test_event_reports_and_visibility(void **state)
{
    struct fx *f = *state;
    struct briefing_report *v = NULL;
    struct briefing_report row;
    int64_t a = 0, b = 0, d = 0;
    size_t n = 0;
    char err[256] = "", *html = NULL;
    bool created;

    assert_int_equal(briefing_event_create(f->store, NULL, f->ev[2], "duty1",
                                           notifier_ts("2026-12-05T09:00:00+08:00"), &a, err,
                                           sizeof(err)), 0);
    assert_int_equal(briefing_event_create(f->store, NULL, f->ev[2], "duty1",
                                           notifier_ts("2026-12-05T09:05:00+08:00"), &b, err,
                                           sizeof(err)), 0);
    assert_true(b > a); /* each generation is a new row */
    assert_int_equal(briefing_event_create(f->store, NULL, 9999, "duty1",
                                           notifier_ts("2026-12-05T09:05:00+08:00"), &b, err,
                                           sizeof(err)), ERR_NOT_FOUND);
    assert_int_equal(briefing_daily_ensure(f->store, NULL, day_1205(), "duty1",
                                           notifier_ts("2026-12-05T09:10:00+08:00"), &d, &created,
                                           err, sizeof(err)), 0);
    assert_true(created);
    /* the duty desk sees all three, newest first */
    assert_int_equal(briefing_reports_list(f->store, NULL, NULL, 10, &v, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].id, d);
    assert_string_equal(v[0].kind, "daily");
    assert_int_equal(v[0].event_id, 0);
    assert_string_equal(v[1].kind, "event");
    assert_int_equal(v[1].event_id, f->ev[2]);
    assert_string_equal(v[1].title, "专报：" HOSTILE);
    briefing_reports_free(v, n);
    /* the ticket's department: everything; another department: only the daily one */
    assert_int_equal(briefing_reports_list(f->store, "event", "市自然资源局", 10, &v, &n), 0);
    assert_int_equal(n, 2);
    briefing_reports_free(v, n);
    assert_int_equal(briefing_reports_list(f->store, NULL, "市生态环境局", 10, &v, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(v[0].id, d);
    briefing_reports_free(v, n);
    assert_int_equal(briefing_report_get(f->store, a, "市生态环境局", &html, NULL), ERR_BAD_STATE);
    assert_null(html);
    assert_int_equal(briefing_report_get(f->store, d, "市生态环境局", &html, &row), 0);
    assert_non_null(strstr(html, "<h1>舆情日报（2026年12月5日）</h1>"));
    assert_int_equal(row.period_start, notifier_ts("2026-12-04T08:00:00+08:00"));
    free(html);
    briefing_report_release(&row);
    assert_int_equal(briefing_report_get(f->store, 12345, NULL, &html, NULL), ERR_NOT_FOUND);
}

/*
 * ctx: the struct fx. The briefing of 2026-12-05's rule groups as "key:items:events;..." and
 * the event reports on E2 listed for and visible to 市生态环境局 and 市自然资源局 (E2's ticket
 * lead) as "|eco:N:V|nat:N:V" ("err N" for a failure), without asserting
 * (notifier_each_corrupt_json()).
 */
static void read_groups_and_visibility(struct ticket_store *store, void *ctx, char *got, size_t len)
{
    static const char *const depts[][2] = {{"eco", "市生态环境局"}, {"nat", "市自然资源局"}};
    struct fx *f = ctx;
    struct briefing b;
    int64_t s, e;
    char err_line[256] = "";
    size_t used = 0;
    int err;

    briefing_period_of_day(day_1205(), 8, &s, &e);
    err = briefing_gather(store, NULL, s, e, e + 60, &b, err_line, sizeof(err_line));
    if (err) {
        used += (size_t)snprintf(got, len, "err %d", err);
    }
    for (size_t i = 0; !err && i < b.n_groups && used < len; i++) {
        used += (size_t)snprintf(got + used, len - used, "%s%s:%lld:%lld", i ? ";" : "",
                                 b.groups[i].key, (long long)b.groups[i].items,
                                 (long long)b.groups[i].events);
    }
    if (!err) {
        briefing_release(&b);
    }
    for (size_t i = 0; i < 2 && used < len; i++) {
        struct briefing_report *v = NULL;
        size_t n = 0;
        bool seen = false;

        err = briefing_reports_list(store, "event", depts[i][1], 10, &v, &n);
        briefing_reports_free(v, err ? 0 : n);
        if (!err) {
            err = briefing_event_visible(store, f->ev[2], depts[i][1], &seen);
        }
        if (err) {
            used += (size_t)snprintf(got + used, len - used, "|%s:err %d", depts[i][0], err);
        } else {
            used += (size_t)snprintf(got + used, len - used, "|%s:%zu:%d", depts[i][0], n, seen);
        }
    }
}

/*
 * The briefing's rule groups (event_items and events rule_groups) and the reports' department
 * visibility (tickets.co_departments) read stored JSON arrays in SQL: a corrupt one failed the
 * briefing and the report list on PostgreSQL, failed the briefing on SQLite too when not JSON,
 * and made an object's or a string's value a group or a co-handling department there. Now it
 * is none, with a warning, on both databases.
 */
static void test_corrupt_json_columns_are_empty(void **state)
{
    struct fx *f = *state;
    int64_t id = 0;
    char err[256] = "", got[512];

    assert_int_equal(briefing_event_create(f->store, NULL, f->ev[2], "duty1",
                                           notifier_ts("2026-12-05T09:00:00+08:00"), &id, err,
                                           sizeof(err)),
                     0);
    /* as stored: E2's ticket co-handled by 市生态环境局 too */
    notifier_exec(f->store, "UPDATE tickets SET co_departments = '[\"市生态环境局\"]' WHERE id = "
                            "(SELECT ticket_id FROM events WHERE event_key = 'ev-new')");
    read_groups_and_visibility(f->store, f, got, sizeof(got));
    assert_string_equal(got, "征地拆迁:2:1;环境污染:1:1;（无规则组）:1:1|eco:1:1|nat:1:1");
    /* E2's items in no group (E2 itself still 征地拆迁); then E2 in none either */
    notifier_each_corrupt_json(f->store,
                               "UPDATE event_items SET rule_groups = ?1 WHERE item_id LIKE "
                               "'rss:e2%'",
                               "征地拆迁", "rule_groups", -1, read_groups_and_visibility, f,
                               "（无规则组）:3:1;环境污染:1:1;征地拆迁:0:1|eco:1:1|nat:1:1");
    notifier_each_corrupt_json(f->store,
                               "UPDATE events SET rule_groups = ?1 WHERE event_key = 'ev-new'",
                               "征地拆迁", "rule_groups", -1, read_groups_and_visibility, f,
                               "（无规则组）:3:2;环境污染:1:1|eco:1:1|nat:1:1");
    /* the ticket co-handled by no one: 市生态环境局 no longer sees the 专报, its lead does */
    notifier_each_corrupt_json(f->store,
                               "UPDATE tickets SET co_departments = ?1 WHERE id = (SELECT "
                               "ticket_id FROM events WHERE event_key = 'ev-new')",
                               "市生态环境局", "co_departments", -1, read_groups_and_visibility, f,
                               "（无规则组）:3:2;环境污染:1:1|eco:0:0|nat:1:1");
}

/*
 * A briefing or 专报 whose commit fails (a full disk, sqlite_fixture_disk_full()) says why: the
 * notifier logged "briefing failed err='i/o error' reason=''" (the COMMIT's reason never
 * reached errbuf). SQLite only.
 */
static void test_failed_commit_names_its_reason(void **state)
{
    struct notifier_tmp_store t;
    struct ticket_store_cfg cfg;
    struct ticket_store *store = NULL;
    char location[320], err[256] = "";
    int64_t id = -1;
    bool created = true;

    (void)state;
    DB_FIXTURE_SQLITE_ONLY();
    notifier_tmp_store_create(&t, "briefing.db");
    snprintf(location, sizeof(location), "file:%s?vfs=yq_full_disk", t.path);
    cfg = t.cfg;
    cfg.path = location;
    sqlite_fixture_disk_full(false); /* registers the VFS */
    if (ticket_store_open(&cfg, &store, err, sizeof(err)) != 0) {
        fail_msg("open %s: %s", location, err);
    }
    sqlite_fixture_disk_full(true);
    assert_int_equal(briefing_daily_ensure(store, NULL, day_1205(), "duty1",
                                           notifier_ts("2026-12-05T09:00:00+08:00"), &id, &created,
                                           err, sizeof(err)),
                     ERR_IO);
    sqlite_fixture_disk_full(false);
    assert_string_equal(err, "briefing commit: database or disk is full (rc=13)");
    assert_int_equal(id, 0);
    assert_false(created);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM reports"), 0);
    ticket_store_free(store);
    notifier_tmp_store_remove(&t);
}

static void test_cfg_channels(void **state)
{
    static const char yaml[] = "channels:\n"
                               "  duty-robot: {type: webhook, url: \"https://hooks.example/x\"}\n"
                               "briefing:\n"
                               "  hour: 7\n"
                               "  channels: [duty-robot]\n";
    static const char bad[] = "briefing:\n  channels: [nobody]\n";
    struct notify_routes routes;
    struct briefing_cfg cfg;
    struct cfg_doc doc;
    char err[256] = "";
    (void)state;

    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(notifier_routes_load(&routes, yaml, err, sizeof(err)), 0);
    assert_int_equal(cfg_doc_load(&doc, "notifier.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(briefing_cfg_parse_channels(&cfg, &doc,
                                                 cfg_map_get(&doc, cfg_doc_root(&doc), "briefing"),
                                                 &routes, err, sizeof(err)), 0);
    assert_int_equal(cfg.n_channels, 1);
    assert_string_equal(cfg.channels[0], "duty-robot");
    briefing_cfg_release(&cfg);
    cfg_doc_release(&doc);
    assert_int_equal(cfg_doc_load(&doc, "notifier.yaml", bad, strlen(bad), err, sizeof(err)), 0);
    assert_int_equal(briefing_cfg_parse_channels(&cfg, &doc,
                                                 cfg_map_get(&doc, cfg_doc_root(&doc), "briefing"),
                                                 &routes, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "unknown channel 'nobody'"));
    assert_int_equal(cfg.n_channels, 0);
    cfg_doc_release(&doc);
    notify_routes_release(&routes);
    /* the key table's defaults */
    assert_true(briefing_cfg_defaults()->enabled);
    assert_int_equal(briefing_cfg_defaults()->hour, 8);
    assert_int_equal(briefing_cfg_defaults()->n_channels, 0);
}

/* yuqingctl reports: args (NULL-terminated) with stderr captured into err; the exit code. */
static int run_cli(const char *const *args, char *err, size_t errlen)
{
    char *argv[24], path[] = "/tmp/yq-brief-cli-err-XXXXXX";
    int argc = 0, fd = mkstemp(path), saved, rc;

    assert_true(fd >= 0);
    close(fd);
    for (; args[argc] && argc < 23; argc++) {
        argv[argc] = (char *)args[argc];
    }
    argv[argc] = NULL;
    saved = capture_begin(STDERR_FILENO, path);
    rc = reports_cli_main(argc, argv);
    capture_end(STDERR_FILENO, saved, path, err, errlen);
    unlink(path);
    return rc;
}

static void test_cli(void **state)
{
    struct notifier_tmp_store t;
    char cfg[160], out[160], css[160], err[2048];
    FILE *f;
    (void)state;

    notifier_tmp_store_create(&t, "tickets.db");
    snprintf(cfg, sizeof(cfg), "%s/notifier.yaml", t.dir);
    snprintf(out, sizeof(out), "%s/daily.html", t.dir);
    snprintf(css, sizeof(css), "%s/stats-report.css", t.dir);
    f = fopen(cfg, "w");
    assert_non_null(f);
    fputs("clocks:\n  calendar_dir: \"\"\nweb:\n  sources_enabled: false\n", f);
    fclose(f);
    {
        const char *const a[] = {"reports", "daily", "--config", cfg, "--db", t.path, "--day",
                                 "2026-12-01", "--out", out, "--by", "值班员张三", "--now",
                                 "2026-12-05T09:00:00+08:00", NULL};
        if (run_cli(a, err, sizeof(err)) != 0) {
            fail_msg("reports daily: %s", err);
        }
        assert_non_null(strstr(err, "已生成日报 1"));
        {
            char said[512];
            snprintf(said, sizeof(said), "已写入 %s（报告 1）\n", out);
            assert_non_null(strstr(err, said));
        }
        assert_int_equal(run_cli(a, err, sizeof(err)), 0);
        assert_non_null(strstr(err, "已存在日报 1"));
    }
    {
        char html[4096] = "";
        f = fopen(out, "r");
        assert_non_null(f);
        assert_true(fread(html, 1, sizeof(html) - 1, f) > 0);
        fclose(f);
        assert_non_null(strstr(html, "href=\"stats-report.css\"")); /* beside the file */
        assert_non_null(strstr(html, "舆情日报（2026年12月1日）"));
        assert_non_null(strstr(html, "来源状态未知"));
        f = fopen(css, "r");
        assert_non_null(f); /* the stylesheet written beside it */
        fclose(f);
    }
    {
        const char *const a[] = {"reports", "daily", "--config", cfg, "--db", t.path, "--day",
                                 "2026-12-06", "--now", "2026-12-05T09:00:00+08:00", NULL};
        assert_int_equal(run_cli(a, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "尚未结束"));
    }
    {
        const char *const a[] = {"reports", "daily", "--config", cfg, "--db", t.path, "--day",
                                 "2026-12-32", NULL};
        assert_int_equal(run_cli(a, err, sizeof(err)), 2);
    }
    {
        /* 366 days before 2026-12-05 is 2025-12-04: still allowed; the day before is not */
        const char *const a[] = {"reports", "daily", "--config", cfg, "--db", t.path, "--day",
                                 "2025-12-03", "--now", "2026-12-05T09:00:00+08:00", NULL};
        const char *const b[] = {"reports", "daily", "--config", cfg, "--db", t.path, "--day",
                                 "2025-12-04", "--now", "2026-12-05T09:00:00+08:00", NULL};
        assert_int_equal(run_cli(a, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "--day '2025-12-03' 早于 366 天前"));
        assert_null(strstr(err, "尚未结束"));
        assert_int_equal(run_cli(b, err, sizeof(err)), 0);
        assert_non_null(strstr(err, "已生成日报 2"));
    }
    {
        /* reports list prints titles and names without their control characters */
        const char *const a[] = {"reports", "list", "--config", cfg, "--db", t.path, NULL};
        char listed[4096] = "", path[] = "/tmp/yq-brief-cli-out-XXXXXX";
        int fd = mkstemp(path), saved;
        struct yq_db *db = NULL;

        assert_true(fd >= 0);
        close(fd);
        assert_int_equal(yq_db_open(t.path, YQ_DB_CREATE, 5000, &db, NULL, 0), YQ_DB_OK);
        {
            /* bound, not char(): PostgreSQL has chr() instead (ESC, U+0085 and TAB) */
            struct yq_stmt *ins = NULL;
            assert_int_equal(yq_stmt_prepare(db, "INSERT INTO reports (kind, period_start, "
                                                 "period_end, title, html, created_by, "
                                                 "created_at) VALUES ('daily', 100, 200, ?, "
                                                 "'<p></p>', ?, 1764900000)",
                                             &ins),
                             YQ_DB_OK);
            yq_stmt_bind_text(ins, 1, "舆情\x1b[2J日报\xc2\x85");
            yq_stmt_bind_text(ins, 2, "张\t三");
            assert_int_equal(yq_stmt_step(ins), YQ_DB_DONE);
            yq_stmt_finalize(ins);
        }
        yq_db_close(db);
        saved = capture_begin(STDOUT_FILENO, path);
        assert_int_equal(run_cli(a, err, sizeof(err)), 0);
        capture_end(STDOUT_FILENO, saved, path, listed, sizeof(listed));
        unlink(path);
        /* a heading, and the kind by its label (yq_labels), not the stored code */
        assert_true(strncmp(listed, "编号\t类型\t生成时间（北京时间）\t生成人\t标题\n",
                            strlen("编号\t类型\t生成时间（北京时间）\t生成人\t标题\n")) == 0);
        assert_non_null(strstr(listed, "\n1\t日报\t"));
        assert_null(strstr(listed, "\tdaily\t"));
        assert_non_null(strstr(listed, "\t张\xEF\xBF\xBD三\t舆情\xEF\xBF\xBD[2J日报\xEF\xBF\xBD\n"));
        assert_null(strstr(listed, "\x1b"));
        assert_null(strstr(listed, "\xC2\x85"));
    }
    {
        const char *const a[] = {"reports", "event", "77", "--config", cfg, "--db", t.path, NULL};
        assert_int_equal(run_cli(a, err, sizeof(err)), 1);
        assert_non_null(strstr(err, "事件 77 不存在"));
    }
    {
        const char *const a[] = {"reports", "event", "x7", "--config", cfg, "--db", t.path, NULL};
        assert_int_equal(run_cli(a, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "yuqingctl reports: event 需要事件编号 ID\n用法 (usage)"));
    }
    {
        /* yq_cli's one form for a bad time or number (option and value named), exit 2 */
        const char *const now[] = {"reports", "daily", "--config", cfg, "--db",
                                   t.path,    "--now", "12/05",    NULL};
        const char *const limit[] = {"reports", "list",    "--config", cfg, "--db",
                                     t.path,    "--limit", "1001",     NULL};
        const char *const print[] = {"reports", "list", "--print-config", NULL};
        assert_int_equal(run_cli(now, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "yuqingctl reports: 选项 '--now' 的取值 '12/05' 不是 RFC 3339 "
                                    "时间 (not an RFC 3339 time)\n"));
        assert_int_equal(run_cli(limit, err, sizeof(err)), 2);
        assert_non_null(strstr(err, "yuqingctl reports: 选项 '--limit' 的取值 '1001' 须为 1..1000 "
                                    "的整数 (needs a whole number in 1..1000)\n"));
        assert_int_equal(run_cli(print, err, sizeof(err)), 2); /* it prints no config */
        assert_non_null(strstr(err, "yuqingctl reports: 选项 '--print-config' 只用于服务进程"));
    }
    unlink(out);
    unlink(css);
    unlink(cfg);
    notifier_tmp_store_remove(&t);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

/*
 * issue #12: past the first capacity (16) of each array the briefing grows: 20 more rule groups
 * (on one item), 20 kinds of archived items, 20 responses in an event report.
 */
static void test_issue_12_lists_past_16(void **state)
{
    struct fx *f = *state;
    char dir[] = "/tmp/yq-brief-many-XXXXXX", err[256] = "", sql[512] = "", name[24];
    const int64_t t0 = notifier_ts("2026-12-04T15:00:00+08:00"); /* E2's one response */
    struct briefing_env env = {.archive_dir = dir};
    struct briefing_event_report r;
    struct yq_item v[20];
    struct briefing b;

    snprintf(sql, sizeof(sql), "UPDATE event_items SET rule_groups = '[");
    for (int i = 0; i < 20; i++) {
        size_t n = strlen(sql);
        snprintf(sql + n, sizeof(sql) - n, "%s\"g%02d\"", i ? "," : "", i);
    }
    snprintf(sql + strlen(sql), sizeof(sql) - strlen(sql), "]' WHERE item_id = 'rss:e2a'");
    notifier_exec(f->store, sql);
    for (int i = 1; i < 20; i++) {
        snprintf(sql, sizeof(sql),
                 "INSERT INTO ticket_responses (ticket_id, channel, url, responded_at, "
                 "recorded_at, recorded_by, note, log_id) SELECT ticket_id, channel, url, "
                 "responded_at + %d, recorded_at, recorded_by, 'n%02d', log_id FROM "
                 "ticket_responses WHERE responded_at = %lld",
                 i, i, (long long)t0);
        notifier_exec(f->store, sql);
    }
    assert_non_null(mkdtemp(dir));
    for (int i = 0; i < 20; i++) {
        char id[24];

        snprintf(id, sizeof(id), "k%02d:a", i);
        snprintf(name, sizeof(name), "k%02d", i);
        arch_item(&v[i], id, name, notifier_ts("2026-12-04T09:00:00+08:00") + i);
    }
    archive_items(dir, v, 20);

    gather_1205(f, &env, &b);
    assert_int_equal(b.n_groups, 23); /* g00..g19, 征地拆迁 (e2b), 环境污染, none */
    for (int i = 0; i < 20; i++) {
        size_t k = 0;

        snprintf(name, sizeof(name), "g%02d", i);
        while (k < b.n_groups && strcmp(b.groups[k].key, name) != 0) {
            k++;
        }
        assert_true(k < b.n_groups);
        assert_int_equal(b.groups[k].items, 1);
        assert_int_equal(b.groups[k].events, 0); /* the event keeps its own groups */
    }
    assert_int_equal(b.archive_state, 1);
    assert_int_equal(b.archive_items, 20);
    assert_int_equal(b.n_kinds, 20);
    for (size_t i = 0; i < b.n_kinds; i++) {
        snprintf(name, sizeof(name), "k%02zu", 19 - i); /* in scan order: newest first */
        assert_string_equal(b.kinds[i].kind, name);
        assert_int_equal(b.kinds[i].items, 1);
    }
    briefing_release(&b);

    assert_int_equal(briefing_event_gather(f->store, f->ev[2],
                                           notifier_ts("2026-12-05T09:00:00+08:00"), &r, err,
                                           sizeof(err)),
                     0);
    assert_int_equal(r.n_responses, 20);
    assert_string_equal(r.responses[0].note, "已在政务微博发布情况说明");
    for (int i = 1; i < 20; i++) {
        snprintf(name, sizeof(name), "n%02d", i);
        assert_string_equal(r.responses[i].note, name);
        assert_int_equal(r.responses[i].at, t0 + i);
    }
    briefing_event_report_release(&r);
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

/*
 * The Redis reader of the briefing's blind sources: a yuqing:source:<id> key that is not a hash
 * (HGETALL answers WRONGTYPE) is no source and Redis is up. It used to fail the whole read
 * (ERR_RETRY: the briefing said the sources' state was unknown).
 */
static void test_sources_redis_skips_a_wrong_type_key(void **state)
{
    struct redis_fixture rf = {0};
    char host[] = "127.0.0.1";
    struct yq_redis_cfg rcfg = {
        .host = host, .connect_timeout_ms = 1000, .command_timeout_ms = 2000, .seen_ttl_s = 60};
    static const char *cmds[][5] = {
        {"SET", "yuqing:source:aaa", "not-a-hash", NULL, NULL},
        {"HSET", "yuqing:source:alpha", "state", "ok", NULL},
        {"HSET", "yuqing:source:beta", "state", "http_error", NULL},
    };
    struct briefing_source *v = NULL;
    struct yq_redis *r;
    size_t n = 0;

    (void)state;
    if (redis_fixture_start(&rf) != 0) {
        skip();
    }
    rcfg.port = rf.port;
    r = yq_redis_new(&rcfg);
    assert_non_null(r);
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        redisReply *rep = yq_redis_command_argv(r, cmds[i][3] ? 4 : 3, cmds[i], NULL);
        assert_non_null(rep);
        assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
        freeReplyObject(rep);
    }
    yq_redis_free(r);
    assert_int_equal(briefing_sources_redis(&rcfg, &v, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(v[0].id, "alpha");
    assert_string_equal(v[0].state, "ok");
    assert_string_equal(v[1].id, "beta");
    assert_string_equal(v[1].state, "http_error");
    briefing_sources_free(v, n);
    /* any other error reply (here NOPERM: the user may no longer read hashes) is no skipped
       source: the sources' state is unknown, as when Redis is down */
    {
        static const char *acl[] = {"ACL", "SETUSER", "default", "-hgetall"};
        redisReply *rep;
        r = yq_redis_new(&rcfg);
        assert_non_null(r);
        rep = yq_redis_command_argv(r, 4, acl, NULL);
        assert_non_null(rep);
        assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
        freeReplyObject(rep);
        yq_redis_free(r);
        v = NULL;
        n = 0;
        assert_int_equal(briefing_sources_redis(&rcfg, &v, &n), ERR_RETRY);
        briefing_sources_free(v, n);
    }
    redis_fixture_stop(&rf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_period),
        cmocka_unit_test(test_sources_redis_skips_a_wrong_type_key),
        cmocka_unit_test(test_summary_titles_are_one_line),
        cmocka_unit_test(test_cfg_channels),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_failed_commit_names_its_reason),
        FX(test_counts),
        FX(test_sources_and_archive),
        FX(test_archive_counts),
        FX(test_html_escapes),
        FX(test_event_report),
        FX(test_scheduler),
        FX(test_catch_up),
        FX(test_event_reports_and_visibility),
        FX(test_issue_12_lists_past_16),
        FX(test_corrupt_json_columns_are_empty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
