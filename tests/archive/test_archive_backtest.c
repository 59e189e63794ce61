/*
 * Rules tried on history (archive_backtest.h, backtest_cli.h, issue #14): a draft and a live
 * rule set over a fixture archive of known items; per-rule hits, gained and lost with exact
 * item ids, event grouping (archived event keys, reposts, SimHash near-duplicates), samples,
 * narrowing, two threads, the JSON shape, and `yuqingctl rules backtest` with the push gate.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "archive_backtest.h"
#include "db_fixture.h"
#include "backtest_cli.h"
#include "capture.h"
#include "file_fixture.h"
#include "redis_fixture.h"
#include "rules.h"
#include "rules_cli.h"
#include "rules_digest.h"
#include "yq_err.h"
#include "yq_time.h"

static const char live_yaml[] =
    "group: 征地拆迁\n"
    "rules:\n"
    "  - {id: land-01, name: 征地补偿, department: 市自然资源局, expr: \"征地 & 补偿\"}\n"
    "  - {id: noise-01, name: 施工噪音, department: 市生态环境局, expr: \"噪音 & 施工\"}\n";

/* land-01 changed (拆迁 added, 信访 excluded), noise-01 dropped, water-01 new */
static const char draft_yaml[] =
    "group: 征地拆迁\n"
    "rules:\n"
    "  - {id: land-01, name: 征地补偿, department: 市自然资源局,\n"
    "     expr: \"(征地 | 拆迁) & !信访\"}\n"
    "  - {id: water-01, name: 停水, department: 市水务局, expr: 停水}\n";

static const char dup_text[] =
    "安康市汉滨区某村拆迁工作进展顺利，村民对安置方案表示满意，拆迁工作预计年底前完成，"
    "各项补贴及时发放到户。";

/* The fixture's items: id, title, text, hours before T, reply_to, archived event key. */
static const struct fixture_item {
    const char *id, *title, *text;
    int64_t hours_before;
    const char *reply_to, *event_key, *rule_id;
} items[] = {
    {"a1", "征地补偿标准公布", "汉滨区公布征地补偿标准", 1, NULL, "ev:a1", "land-01"},
    {"a2", "拆迁户反映安置问题", "旬阳拆迁户反映安置房迟迟未交付", 3, NULL, NULL, NULL},
    {"a3", "征地补偿信访", "村民就征地补偿问题到市信访局反映", 4, NULL, "ev:a3", "land-01"},
    {"a4", "城区明日停水", "因管网维修，城区明日停水八小时", 5, NULL, NULL, NULL},
    {"a5", "夜间施工噪音扰民", "居民反映工地夜间施工噪音扰民", 6, NULL, "ev:a5", "noise-01"},
    {"a6", "今日天气晴好", "全市晴，气温五到十五度", 7, NULL, NULL, NULL},
    {"a7", "征地补偿", "旧闻：征地补偿", 20 * 24, NULL, NULL, NULL}, /* before the range */
    {"a8", "村里拆迁进展", dup_text, 6 * 24 + 1, NULL, NULL, NULL},
    {"a9", "村里拆迁进展", dup_text, 6 * 24, NULL, NULL, NULL},
    {"a10", "汉滨征地补偿款发放", "征地补偿款本周发放", 0, NULL, "ev:a1", "land-01"},
    {"a12", "转发：拆迁户反映安置问题", "转发 旬阳拆迁户反映安置房迟迟未交付", 2, "a2", NULL, NULL},
};

#define N_ITEMS (sizeof(items) / sizeof(items[0]))

/* T: 2026-11-15 00:00 Beijing time (seconds UTC); the range is [T - 10 days, T + 1 day). */
static int64_t t0(void)
{
    return yq_time_days_from_civil(2026, 11, 15) * 86400 - 8 * 3600;
}

static char dir[64];
/* the archive: DIR/archive, or a PostgreSQL schema in a -pg run (db_fixture.h) */
static char arch_loc[512];
static struct archive *arc;
static struct rule_set *live, *draft;
static struct redis_fixture rfx;
static int rfx_state = 1;

static void fill(void)
{
    const struct yq_item *ip[N_ITEMS];
    const struct yq_alert *ap[N_ITEMS];
    struct yq_item it[N_ITEMS];
    struct yq_alert al[N_ITEMS];
    struct yq_alert_match m[N_ITEMS];
    size_t n_al = 0;
    char err[256] = "";

    memset(it, 0, sizeof(it));
    memset(al, 0, sizeof(al));
    memset(m, 0, sizeof(m));
    for (size_t i = 0; i < N_ITEMS; i++) {
        it[i].id = (char *)items[i].id;
        it[i].source = "rss";
        it[i].source_id = "rss-1";
        it[i].channel = "安康发布";
        it[i].url = "https://example.invalid/p";
        it[i].title = (char *)items[i].title;
        it[i].text = (char *)items[i].text;
        it[i].reply_to = (char *)items[i].reply_to;
        it[i].has_published = true;
        it[i].published_at = t0() - items[i].hours_before * 3600;
        it[i].fetched_at = it[i].published_at + 60;
        it[i].precision = "second";
        ip[i] = &it[i];
        if (items[i].event_key) {
            m[n_al].rule_id = (char *)items[i].rule_id;
            m[n_al].name = "x";
            m[n_al].group = "征地拆迁";
            m[n_al].department = "市自然资源局";
            m[n_al].level = YQ_LEVEL_IV;
            al[n_al].event_key = (char *)items[i].event_key;
            al[n_al].event_via = "new";
            al[n_al].rules_version = 1;
            al[n_al].matched_at = it[i].fetched_at;
            al[n_al].level = YQ_LEVEL_IV;
            al[n_al].department = "市自然资源局";
            al[n_al].n_matches = 1;
            al[n_al].matches = &m[n_al];
            al[n_al].item = it[i];
            ap[n_al] = &al[n_al];
            n_al++;
        }
    }
    if (archive_put(arc, ip, N_ITEMS, ap, n_al, NULL, err, sizeof(err)) != 0) {
        fail_msg("put: %s", err);
    }
}

static int setup(void **state)
{
    char err[512] = "", path[160];
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-backtest-XXXXXX");
    if (!mkdtemp(dir)) {
        return -1;
    }
    snprintf(path, sizeof(path), "%s/archive", dir);
    db_fixture_new(arch_loc, sizeof(arch_loc), path);
    if (archive_init(arch_loc, err, sizeof(err)) != 0 ||
        archive_open(arch_loc, NULL, &arc, err, sizeof(err)) != 0) {
        fprintf(stderr, "archive: %s\n", err);
        return -1;
    }
    fill();
    snprintf(path, sizeof(path), "%s/live", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/draft", dir);
    mkdir(path, 0755);
    file_fixture_write(dir, "live/land.yaml", live_yaml);
    file_fixture_write(dir, "draft/land.yaml", draft_yaml);
    snprintf(path, sizeof(path), "%s/live", dir);
    if (rule_set_load_dir(path, &live, err, sizeof(err)) != 0) {
        fprintf(stderr, "live: %s\n", err);
        return -1;
    }
    snprintf(path, sizeof(path), "%s/draft", dir);
    if (rule_set_load_dir(path, &draft, err, sizeof(err)) != 0) {
        fprintf(stderr, "draft: %s\n", err);
        return -1;
    }
    rfx_state = redis_fixture_start(&rfx);
    return rfx_state < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&rfx);
    archive_close(arc);
    db_fixture_drop(arch_loc);
    rule_set_free(live);
    rule_set_free(draft);
    return file_fixture_remove_dir(dir) == 0 ? 0 : -1;
}

static struct backtest_opts range_opts(void)
{
    struct backtest_opts o;
    memset(&o, 0, sizeof(o));
    o.since_s = t0() - 10 * 86400;
    o.until_s = t0() + 86400;
    o.samples = 5;
    return o;
}

static const struct backtest_rule *rule_of(const struct backtest_report *r, const char *id)
{
    for (size_t i = 0; i < r->n_rules; i++) {
        if (strcmp(r->rules[i].rule_id, id) == 0) {
            return &r->rules[i];
        }
    }
    fail_msg("no rule %s in the report", id);
    return NULL;
}

/* The ids of a rule's samples of one kind, comma-separated. */
static const char *sample_ids(const struct backtest_rule *x, enum backtest_kind k)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < x->n_samples[k]; i++) {
        strncat(buf, i ? "," : "", sizeof(buf) - strlen(buf) - 1);
        strncat(buf, x->samples[k][i].item_id, sizeof(buf) - strlen(buf) - 1);
    }
    return buf;
}

/* A rule's figures in a report: in which sets it is, its hits, gained, lost and events. */
struct rule_figures {
    bool in_draft, in_live;
    size_t draft_hits, live_hits, gained, lost, events;
};

/* Fail the running test unless rule x's figures are want's (x names the rule). */
static void expect_figures(const struct backtest_rule *x, struct rule_figures want)
{
    assert_true(x->in_draft == want.in_draft && x->in_live == want.in_live);
    assert_int_equal(x->draft_hits, want.draft_hits);
    assert_int_equal(x->live_hits, want.live_hits);
    assert_int_equal(x->gained, want.gained);
    assert_int_equal(x->lost, want.lost);
    assert_int_equal(x->events, want.events);
}

/* The report every variant (threads, narrowing) must give. */
static void check_report(const struct backtest_report *r)
{
    const struct backtest_rule *land = rule_of(r, "land-01");
    const struct backtest_rule *water = rule_of(r, "water-01");
    const struct backtest_rule *noise = rule_of(r, "noise-01");

    assert_int_equal(r->n_rules, 3);
    /* draft rules in draft order, then the live-only one */
    assert_string_equal(r->rules[0].rule_id, "land-01");
    assert_string_equal(r->rules[1].rule_id, "water-01");
    assert_string_equal(r->rules[2].rule_id, "noise-01");

    /*
     * draft hits a1 a2 a8 a9 a10 a12, live hits a1 a3 a10; events: ev:a1 (a1, a10: archived
     * key), ev:a2 (a2 and its repost a12), a8+a9 (SimHash)
     */
    expect_figures(land, (struct rule_figures){.in_draft = true, .in_live = true, .draft_hits = 6,
                                               .live_hits = 3, .gained = 4, .lost = 1,
                                               .events = 3});
    assert_string_equal(sample_ids(land, BACKTEST_HITS), "a10,a1,a12,a2,a9");
    assert_string_equal(sample_ids(land, BACKTEST_GAINED), "a12,a2,a9,a8");
    assert_string_equal(sample_ids(land, BACKTEST_LOST), "a3");
    assert_int_equal(land->samples[BACKTEST_GAINED][1].n_terms, 1);
    assert_string_equal(land->samples[BACKTEST_GAINED][1].terms[0], "拆迁");
    assert_string_equal(land->samples[BACKTEST_GAINED][1].title, "拆迁户反映安置问题");
    assert_int_equal(land->samples[BACKTEST_GAINED][1].time_s, t0() - 3 * 3600);
    /* a lost sample's terms are the live rule's */
    assert_int_equal(land->samples[BACKTEST_LOST][0].n_terms, 2);
    assert_string_equal(land->samples[BACKTEST_LOST][0].terms[0], "征地");
    assert_string_equal(land->samples[BACKTEST_LOST][0].terms[1], "补偿");

    expect_figures(water, (struct rule_figures){.in_draft = true, .draft_hits = 1, .gained = 1,
                                                .events = 1});
    assert_string_equal(sample_ids(water, BACKTEST_GAINED), "a4");

    expect_figures(noise, (struct rule_figures){.in_live = true, .live_hits = 1, .lost = 1});
    assert_string_equal(sample_ids(noise, BACKTEST_LOST), "a5");

    assert_int_equal(r->items_draft, 7);
    assert_int_equal(r->items_live, 4);
    assert_int_equal(r->draft_hits, 7);
    assert_int_equal(r->live_hits, 4);
    assert_int_equal(r->gained, 5);
    assert_int_equal(r->lost, 2);
    assert_int_equal(r->events, 4);
    assert_int_equal(r->since_s, t0() - 10 * 86400);
    assert_int_equal(r->until_s, t0() + 86400);
}

static void test_gained_lost_events_one_thread(void **state)
{
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "", d[RULES_DIGEST_HEX_LEN + 1];
    (void)state;

    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)), 0);
    check_report(&r);
    assert_int_equal(r.items_scanned, 10); /* a7 is before the range */
    assert_string_equal(r.narrowing, "none");
    assert_int_equal(rule_set_digest(draft, d), 0);
    assert_string_equal(r.draft_digest, d);
    assert_int_equal(rule_set_digest(live, d), 0);
    assert_string_equal(r.live_digest, d);
    backtest_report_release(&r);
}

/* One day's figures: items scanned, draft, live; hits draft, live, gained, lost. */
struct day_figures {
    const char *day;
    size_t scanned, items_draft, items_live, draft_hits, live_hits, gained, lost;
};

static void expect_days(const struct backtest_report *r, const struct day_figures *want, size_t n)
{
    assert_int_equal(r->n_days, n);
    for (size_t i = 0; i < n; i++) {
        const struct backtest_day *d = &r->days[i];
        char day[32];
        yq_time_format_shanghai(d->start_s, day, sizeof(day));
        assert_string_equal(day + 11, "00:00"); /* a Beijing midnight */
        day[10] = '\0';
        assert_string_equal(day, want[i].day);
        assert_int_equal(d->items_scanned, want[i].scanned);
        assert_int_equal(d->items_draft, want[i].items_draft);
        assert_int_equal(d->items_live, want[i].items_live);
        assert_int_equal(d->draft_hits, want[i].draft_hits);
        assert_int_equal(d->live_hits, want[i].live_hits);
        assert_int_equal(d->gained, want[i].gained);
        assert_int_equal(d->lost, want[i].lost);
    }
}

/*
 * The range's Beijing days: a8 at 23:00 on the 8th and a9 at 00:00 on the 9th fall on two
 * days, a10 at 00:00 on the 15th is not the 14th's; 14 November: a1 a12 a2 a4 (draft), a1 a3
 * a5 (live), gained a12 a2 a4, lost a3 a5.
 */
static const struct day_figures range_days[] = {
    {"2026-11-08", 1, 1, 0, 1, 0, 1, 0},
    {"2026-11-09", 1, 1, 0, 1, 0, 1, 0},
    {"2026-11-14", 7, 4, 3, 4, 3, 3, 2},
    {"2026-11-15", 1, 1, 1, 1, 1, 0, 0},
};

/* A day cut by two threads' slices is one day of the report (the slice boundary 20:30). */
static void test_days_in_beijing_time(void **state)
{
    struct archive *two[2] = {arc, NULL};
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "";
    (void)state;

    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)), 0);
    expect_days(&r, range_days, sizeof(range_days) / sizeof(range_days[0]));
    backtest_report_release(&r);

    assert_int_equal(archive_open(arch_loc, NULL, &two[1], err, sizeof(err)), 0);
    o.until_s = t0() + 86400;
    o.since_s = o.until_s - 2 * (86400 + 12600); /* slices meet at 14 November 20:30 */
    assert_int_equal(archive_backtest_run(two, 2, draft, live, &o, &r, err, sizeof(err)), 0);
    expect_days(&r, &range_days[2], 2);
    backtest_report_release(&r);
    archive_close(two[1]);

    /* a range with no item has no day */
    o.since_s = t0() - 100 * 86400;
    o.until_s = o.since_s + 3600;
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)), 0);
    assert_int_equal(r.items_scanned, 0);
    assert_int_equal(r.n_days, 0);
    backtest_report_release(&r);
}

static void test_two_threads_and_narrowing_agree(void **state)
{
    struct archive *two[2] = {arc, NULL};
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "";
    (void)state;

    assert_int_equal(archive_open(arch_loc, NULL, &two[1], err, sizeof(err)), 0);
    /* a8 and a9 (6 days before T) fall in the second thread's slice */
    assert_int_equal(archive_backtest_run(two, 2, draft, live, &o, &r, err, sizeof(err)), 0);
    check_report(&r);
    assert_int_equal(r.items_scanned, 10);
    expect_days(&r, range_days, sizeof(range_days) / sizeof(range_days[0]));
    backtest_report_release(&r);

    o.narrowing = BACKTEST_NARROW_TERMS;
    assert_int_equal(archive_backtest_run(two, 2, draft, live, &o, &r, err, sizeof(err)), 0);
    check_report(&r);
    assert_string_equal(r.narrowing, "terms");
    assert_true(r.items_scanned <= 10); /* a6 holds no term: the index may leave it out */
    assert_true(r.items_scanned >= 9);
    backtest_report_release(&r);
    archive_close(two[1]);
}

/* A live set with another exclude list cannot share one match: each set is matched alone. */
static void test_two_matches_when_excludes_differ(void **state)
{
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    struct rule_set *live2 = rule_set_new();
    char err[256] = "";
    static const char excl[] = "exclude: [招聘广告]\nrules: []\n";
    (void)state;

    assert_int_equal(rule_set_add_yaml(live2, "land.yaml", live_yaml, strlen(live_yaml), err,
                                       sizeof(err)),
                     0);
    assert_int_equal(rule_set_add_yaml(live2, "00.yaml", excl, strlen(excl), err, sizeof(err)),
                     0);
    assert_int_equal(rule_set_compile(live2, err, sizeof(err)), 0);
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live2, &o, &r, err, sizeof(err)), 0);
    assert_false(r.combined);
    check_report(&r);
    backtest_report_release(&r);
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)), 0);
    assert_true(r.combined);
    backtest_report_release(&r);
    rule_set_free(live2);
}

static void test_without_live_set_every_hit_is_gained(void **state)
{
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "";
    (void)state;

    o.samples = 0;
    assert_int_equal(archive_backtest_run(&arc, 1, draft, NULL, &o, &r, err, sizeof(err)), 0);
    assert_int_equal(r.n_rules, 2);
    assert_int_equal(r.rules[0].draft_hits, 6);
    assert_int_equal(r.rules[0].gained, 6);
    assert_int_equal(r.rules[0].lost, 0);
    assert_int_equal(r.rules[0].n_samples[BACKTEST_HITS], 0);
    assert_int_equal(r.gained, 7);
    assert_string_equal(r.live_digest, "");
    assert_int_equal(r.live_version, 0);
    backtest_report_release(&r);
}

static void test_bad_options_and_bounds(void **state)
{
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "";
    (void)state;

    o.until_s = o.since_s;
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)),
                     ERR_INVALID);
    o = range_opts();
    o.samples = BACKTEST_MAX_SAMPLES + 1;
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)),
                     ERR_INVALID);
    o = range_opts();
    assert_int_equal(archive_backtest_run(&arc, 0, draft, live, &o, &r, err, sizeof(err)),
                     ERR_INVALID);
    o.max_items = 3;
    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)),
                     ERR_TOO_BIG);
    assert_string_equal(err, "more than 3 items in the range");
    assert_int_equal(r.n_rules, 0); /* released */
}

static void test_json_shape(void **state)
{
    struct backtest_opts o = range_opts();
    struct backtest_report r;
    char err[256] = "";
    json_t *j = NULL, *land, *s;
    (void)state;

    assert_int_equal(archive_backtest_run(&arc, 1, draft, live, &o, &r, err, sizeof(err)), 0);
    assert_int_equal(backtest_report_json(&r, true, &j), 0);
    assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-11-04T16:00:00Z");
    assert_string_equal(json_string_value(json_object_get(j, "until")), "2026-11-15T16:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j, "items_scanned")), 10);
    assert_true(json_is_null(json_object_get(j, "live_version")));
    assert_true(json_is_true(json_object_get(j, "combined")));
    assert_string_equal(json_string_value(json_object_get(j, "draft_digest")), r.draft_digest);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "gained")),
                     5);
    land = json_array_get(json_object_get(j, "rules"), 0);
    assert_string_equal(json_string_value(json_object_get(land, "rule_id")), "land-01");
    assert_string_equal(json_string_value(json_object_get(land, "group")), "征地拆迁");
    assert_int_equal(json_integer_value(json_object_get(land, "events")), 3);
    s = json_array_get(json_object_get(json_object_get(land, "samples"), "lost"), 0);
    assert_string_equal(json_string_value(json_object_get(s, "item_id")), "a3");
    assert_string_equal(json_string_value(json_object_get(s, "time")), "2026-11-14T12:00:00Z");
    assert_string_equal(json_string_value(json_object_get(s, "url")), "https://example.invalid/p");
    assert_string_equal(json_string_value(json_array_get(json_object_get(s, "terms"), 1)), "补偿");
    /* 14 November (range_days[2]) */
    s = json_array_get(json_object_get(j, "days"), 2);
    assert_int_equal(json_array_size(json_object_get(j, "days")), 4);
    assert_string_equal(json_string_value(json_object_get(s, "day")), "2026-11-14");
    {
        static const char *const keys[] = {"items_scanned", "items_draft", "items_live",
                                           "draft_hits",    "live_hits",   "gained",
                                           "lost"};
        static const json_int_t want[] = {7, 4, 3, 4, 3, 3, 2};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            assert_int_equal(json_integer_value(json_object_get(s, keys[k])), want[k]);
        }
    }
    json_decref(j);
    /* the summary recorded in Redis has no samples */
    assert_int_equal(backtest_report_json(&r, false, &j), 0);
    assert_null(json_object_get(json_array_get(json_object_get(j, "rules"), 0), "samples"));
    json_decref(j);
    backtest_report_release(&r);
}

/* --- the CLI and the push gate ------------------------------------------------------- */

static char out[65536], err_out[8192];

static int run(int (*fn)(int, char **), ...)
{
    char *argv[40], op[160], ep[160];
    int argc = 0, so, se, rc;
    va_list ap;

    va_start(ap, fn);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL && argc < 39;) {
        argv[argc++] = (char *)a;
    }
    va_end(ap);
    argv[argc] = NULL;
    snprintf(op, sizeof(op), "%s/stdout", dir);
    snprintf(ep, sizeof(ep), "%s/stderr", dir);
    so = capture_begin(1, op);
    se = capture_begin(2, ep);
    rc = fn(argc, argv);
    capture_end(1, so, op, out, sizeof(out));
    capture_end(2, se, ep, err_out, sizeof(err_out));
    return rc;
}

static void test_cli_usage_errors(void **state)
{
    char arch[512], d[160];
    (void)state;
    snprintf(arch, sizeof(arch), "%s", arch_loc);
    snprintf(d, sizeof(d), "%s/draft", dir);
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", NULL), 2);
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, NULL), 2); /* no archive */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "yesterday", NULL),
                     2);
    /* yq_cli's one form for a bad time or number: option and value named, then the usage */
    assert_non_null(strstr(err_out, "yuqingctl rules backtest: 选项 '--since' 的取值 'yesterday' "
                                    "不是 RFC 3339 时间或 Nd/Nh (not an RFC 3339 time or Nd/Nh)\n"
                                    "usage: yuqingctl rules backtest"));
    assert_int_equal(
        run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--until", "3661d", NULL),
        2);
    assert_non_null(strstr(err_out, "选项 '--until' 的取值 '3661d' 不是 RFC 3339 时间或 Nd/Nh"));
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch,
                         "--samples", "51", NULL),
                     2);
    assert_non_null(strstr(err_out, "选项 '--samples' 的取值 '51' 须为 0..50 的整数 (needs a whole "
                                    "number in 0..50)"));
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-15T00:00:00Z", "--until", "2026-11-14T00:00:00Z", NULL),
                     2);
    /* Nd counts back from now, not from --until: reversed, a usage error */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "1d", "--until", "2000-01-01T00:00:00Z", NULL),
                     2);
    assert_non_null(strstr(err_out, "时间范围为空"));
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", "--help", NULL), 0);
    assert_non_null(strstr(out, "usage: yuqingctl rules backtest DIR"));
}

static void test_cli_backtest_then_push(void **state)
{
    char arch[512], d[160], l[160], addr[64], bad[160];
    json_t *j;
    (void)state;
    if (rfx_state != 0) {
        skip();
    }
    snprintf(arch, sizeof(arch), "%s", arch_loc);
    snprintf(d, sizeof(d), "%s/draft", dir);
    snprintf(l, sizeof(l), "%s/live", dir);
    snprintf(bad, sizeof(bad), "%s/nothing", dir);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", rfx.port);

    /* the live set is pushed first (no live set yet: no backtest needed) */
    assert_int_equal(run(rules_cli_main, "rules", "push", l, "--redis", addr, NULL), 0);
    /* the draft changes it: refused */
    assert_int_equal(run(rules_cli_main, "rules", "push", d, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, "规则集未经回测: run yuqingctl rules backtest"));

    /* errors: no such archive, an invalid draft */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", bad, "--redis",
                         addr, NULL),
                     1);
    assert_non_null(strstr(err_out, "无法打开归档"));
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", bad, "--archive", arch,
                         "--redis", addr, NULL),
                     1);

    /* a range with no archived item: not recorded, exit 1, and the push is still refused */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2020-01-01T00:00:00Z", "--until", "2020-01-01T00:00:01Z", "--redis",
                         addr, NULL),
                     1);
    assert_non_null(strstr(err_out, "时段内归档没有任何条目，回测未记录"));
    assert_int_equal(run(rules_cli_main, "rules", "push", d, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, "规则集未经回测"));

    /* JSON against the live set in Redis (version 1) */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-04T16:00:00Z", "--until", "2026-11-15T16:00:00Z", "--json",
                         "--redis", addr, NULL),
                     0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_integer_value(json_object_get(j, "live_version")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "totals"), "lost")), 2);
    assert_int_equal(json_array_size(json_object_get(j, "rules")), 3);
    json_decref(j);
    assert_non_null(strstr(err_out, "回测已记录"));

    /* dates are Beijing days and --until counts to the end of its day: 14 November alone is
       its seven items from 17:00 to 23:00, not a10 at 00:00 on the 15th (was: an empty range,
       --until 2026-11-14 meaning the start of that day) */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-14", "--until", "2026-11-14", "--json", "--redis", addr, NULL),
                     0);
    j = json_loads(out, 0, NULL);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-11-13T16:00:00Z");
    assert_string_equal(json_string_value(json_object_get(j, "until")), "2026-11-14T16:00:00Z");
    assert_int_equal(json_integer_value(json_object_get(j, "items_scanned")), 7);
    json_decref(j);

    /* --config: the archiver's config names the archive (archive.dir) and here Redis */
    {
        char cfg[800], path[160];
        snprintf(cfg, sizeof(cfg), "archive:\n  dir: %s\n  retention_days: 180\nredis:\n  port: %d\n",
                 arch, rfx.port);
        file_fixture_write(dir, "archiver.yaml", cfg);
        snprintf(path, sizeof(path), "%s/archiver.yaml", dir);
        assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--config", path,
                             "--since", "2026-11-04T16:00:00Z", "--until", "2026-11-15T16:00:00Z",
                             NULL),
                         0);
        assert_non_null(strstr(out, "扫描 10 条，草案命中 7 条，现行命中 4 条"));
        file_fixture_write(dir, "archiver.yaml", "kafka:\n  group_id: x\n");
        assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--config", path, NULL), 1);
        assert_non_null(strstr(err_out, "没有 archive.dir"));
    }

    /* a report made against another live set (here --live DIR = the draft itself) replaces the
       record and does not unlock the push: the gate wants the set live now */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-04T16:00:00Z", "--until", "2026-11-15T16:00:00Z", "--live", d,
                         "--redis", addr, NULL),
                     0);
    assert_int_equal(run(rules_cli_main, "rules", "push", d, "--redis", addr, NULL), 1);
    assert_non_null(strstr(err_out, "规则集的回测基于旧的线上版本: run the backtest again"));
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-04T16:00:00Z", "--until", "2026-11-15T16:00:00Z", "--redis",
                         addr, NULL),
                     0);

    /* now the push goes through */
    assert_int_equal(run(rules_cli_main, "rules", "push", d, "--redis", addr, NULL), 0);
    assert_non_null(strstr(out, "已推送规则集第 2 版（2 条规则）"));

    /* the table, with --live DIR: land-01 against the old live rules */
    assert_int_equal(run(backtest_cli_main, "rules", "backtest", d, "--archive", arch, "--since",
                         "2026-11-04T16:00:00Z", "--until", "2026-11-15T16:00:00Z", "--live", l, "--redis", addr,
                         "--samples", "1", "--threads", "1", NULL),
                     0);
    assert_non_null(strstr(out, "规则             名称                     草案命中  现行命中"
                                "      新增      减少      事件\n"
                                "land-01          征地补偿                        6         3"
                                "         4         1         3\n"
                                "    + 2026-11-14 22:00 a12  转发：拆迁户反映安置问题  [拆迁]\n"
                                "    - 2026-11-14 20:00 a3  征地补偿信访  [征地, 补偿]\n"));
    assert_non_null(strstr(out, "water-01         停水（新）"));
    assert_non_null(strstr(out, "noise-01         施工噪音（删）"));
    assert_non_null(strstr(out, "扫描 10 条，草案命中 7 条，现行命中 4 条"));
    assert_non_null(strstr(out, "合计                                             7         4"
                                "         5         2         4\n"));
    /* per Beijing day: scanned, draft hits, live hits, gained, lost */
    assert_non_null(strstr(out, "\n\n按日（北京时间）      扫描  草案命中  现行命中      新增"
                                "      减少\n"
                                "2026-11-08               1         1         0         1"
                                "         0\n"
                                "2026-11-09               1         1         0         1"
                                "         0\n"
                                "2026-11-14               7         4         3         3"
                                "         2\n"
                                "2026-11-15               1         1         1         0"
                                "         0\n"));
    snprintf(l, sizeof(l), "对比 '%s/live'（摘要 ", dir);
    assert_non_null(strstr(out, l));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gained_lost_events_one_thread),
        cmocka_unit_test(test_days_in_beijing_time),
        cmocka_unit_test(test_two_threads_and_narrowing_agree),
        cmocka_unit_test(test_two_matches_when_excludes_differ),
        cmocka_unit_test(test_without_live_set_every_hit_is_gained),
        cmocka_unit_test(test_bad_options_and_bounds),
        cmocka_unit_test(test_json_shape),
        cmocka_unit_test(test_cli_usage_errors),
        cmocka_unit_test(test_cli_backtest_then_push),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
