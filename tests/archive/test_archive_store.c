/*
 * The archive store (archive.h) over its embedded SQLite backend: layout, round trips,
 * idempotence, matches, scans with each filter, prune, stats, errors. Run again as
 * test_archive_store-pg over the PostgreSQL backend (a fresh schema per test, db_fixture.h);
 * the tests of month files (their names, corruption, a removed directory, a full disk) are
 * SQLite-only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "archive.h"
#include "archive_fixture.h"
#include "db_fixture.h"
#include "file_fixture.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_time.h"

/* 2026-11-15 00:00 Beijing time, seconds UTC */
static int64_t t_nov15(void)
{
    return yq_time_days_from_civil(2026, 11, 15) * 86400 - 8 * 3600;
}

/* First second of 2026-12 in Beijing time. */
static int64_t t_dec1(void)
{
    return yq_time_days_from_civil(2026, 12, 1) * 86400 - 8 * 3600;
}

/* Each test's cmocka setup and teardown: a fresh archive of its own (archive_fixture.h). */
static int (*const fx_setup)(void **state) = archive_fixture_setup;
static int (*const fx_teardown)(void **state) = archive_fixture_teardown;

static void rm_rf(const char *dir)
{
    assert_int_equal(file_fixture_remove_dir(dir), 0);
}

/* An item with every field set (strings owned by the item: yq_item_release()). */
static void make_item(struct yq_item *it, const char *id, const char *source, const char *title,
                      const char *text, int64_t published_at)
{
    char sid[32];

    snprintf(sid, sizeof sid, "%s-1", source);
    const struct yq_item borrowed = {
        .id = (char *)id, .source = (char *)source, .source_id = sid, .channel = "安康发布",
        .url = "https://example.invalid/p/1", .title = (char *)title, .text = (char *)text,
        .author = "网友甲", .has_published = true, .published_at = published_at,
        .precision = "minute", .fetched_at = published_at + 120};
    assert_int_equal(yq_item_copy(it, &borrowed), 0);
}

static int put_one(struct archive *a, const struct yq_item *it, struct archive_put_result *res)
{
    char err[256] = "";
    const struct yq_item *items[] = {it};
    int rc = archive_put(a, items, 1, NULL, 0, res, err, sizeof err);
    if (rc != 0) {
        print_error("put: %s\n", err);
    }
    return rc;
}

/* An alert of item it with one match. */
static void make_alert(struct yq_alert *al, const struct yq_item *it, const char *rule,
                       const char *dept, const char *event_key)
{
    memset(al, 0, sizeof *al);
    al->event_key = strdup(event_key);
    al->rules_version = 7;
    al->matched_at = it->fetched_at + 3;
    al->n_matches = 1;
    al->matches = calloc(1, sizeof *al->matches);
    al->matches[0].rule_id = strdup(rule);
    al->matches[0].name = strdup(rule);
    al->matches[0].group = strdup("征地拆迁");
    al->matches[0].department = strdup(dept);
    al->matches[0].level = YQ_LEVEL_III;
    assert_int_equal(yq_item_copy(&al->item, it), 0);
}

static void test_round_trip_every_field(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it;
    make_item(&it, "weibo:1001", "weibo", "汉滨区征地拆迁补偿不到位", "网友反映补偿款迟迟未发",
              t_nov15() + 3600);
    it.metrics.known = true;
    it.metrics.capped = true;
    it.metrics.reposts = 10;
    it.metrics.comments = 20;
    it.metrics.likes = 1000000;
    it.region = strdup("陕西 安康");
    it.reply_to = strdup("weibo:999");
    it.department = strdup("市自然资源局");
    it.truncated = true;
    it.truncated_fields = YQ_ITEM_F_TEXT | YQ_ITEM_F_URL;
    it.official = true;
    it.local = true;
    it.backlog = true;
    struct archive_put_result res;
    assert_int_equal(put_one(fx->a, &it, &res), 0);
    assert_int_equal(res.items_new, 1);
    assert_int_equal(res.items_dup, 0);

    struct archive_row row;
    char err[256] = "";
    assert_int_equal(archive_get(fx->a, "weibo:1001", &row, err, sizeof err), 0);
    assert_string_equal(row.item.id, "weibo:1001");
    assert_string_equal(row.item.source, "weibo");
    assert_string_equal(row.item.source_id, "weibo-1");
    assert_string_equal(row.item.channel, "安康发布");
    assert_string_equal(row.item.url, "https://example.invalid/p/1");
    assert_string_equal(row.item.title, "汉滨区征地拆迁补偿不到位");
    assert_string_equal(row.item.text, "网友反映补偿款迟迟未发");
    assert_string_equal(row.item.author, "网友甲");
    assert_true(row.item.has_published);
    assert_int_equal(row.item.published_at, t_nov15() + 3600);
    assert_string_equal(row.item.precision, "minute");
    assert_int_equal(row.item.fetched_at, t_nov15() + 3720);
    assert_true(row.item.metrics.known);
    assert_true(row.item.metrics.capped);
    assert_int_equal(row.item.metrics.reposts, 10);
    assert_int_equal(row.item.metrics.comments, 20);
    assert_int_equal(row.item.metrics.likes, 1000000);
    assert_string_equal(row.item.region, "陕西 安康");
    assert_string_equal(row.item.reply_to, "weibo:999");
    assert_string_equal(row.item.department, "市自然资源局");
    assert_true(row.item.truncated);
    assert_int_equal(row.item.truncated_fields, YQ_ITEM_F_TEXT | YQ_ITEM_F_URL);
    assert_false(row.item.future_timestamp);
    assert_true(row.item.official);
    assert_true(row.item.local);
    assert_true(row.item.backlog);
    assert_int_equal(row.time_s, t_nov15() + 3600);
    assert_true(row.archived_at > 0);
    assert_int_equal(row.heat, 3 * 10 + 2 * 20 + 1000000);
    assert_true(row.has_sentiment);
    assert_int_equal(row.sentiment, YQ_SENTIMENT_NEGATIVE);
    assert_true(row.sentiment_score < 0);
    assert_int_equal(row.n_matches, 0);
    archive_row_release(&row);

    /* an item without publication time: archive time is fetched_at; NULLs stay NULL */
    struct yq_item bare;
    make_item(&bare, "rss:abc", "rss", "通知", "", 0);
    bare.has_published = false;
    bare.precision = NULL;
    bare.fetched_at = t_nov15() + 50;
    assert_int_equal(put_one(fx->a, &bare, NULL), 0);
    assert_int_equal(archive_get(fx->a, "rss:abc", &row, err, sizeof err), 0);
    assert_false(row.item.has_published);
    assert_null(row.item.precision);
    assert_null(row.item.region);
    assert_null(row.item.reply_to);
    assert_null(row.item.department);
    assert_false(row.item.metrics.known);
    assert_int_equal(row.time_s, t_nov15() + 50);
    assert_int_equal(row.heat, 0);
    archive_row_release(&row);

    assert_int_equal(archive_get(fx->a, "weibo:nope", &row, err, sizeof err), ERR_NOT_FOUND);
    yq_item_release(&it);
    yq_item_release(&bare);
}

/* Collects the ids a scan returns, in order. */
struct ids {
    char ids[64][64];
    size_t n_matches[64]; /* each row's */
    size_t n;
    size_t stop_after;
};

static int collect(const struct archive_row *row, void *arg)
{
    struct ids *ids = arg;
    if (ids->n < 64) {
        snprintf(ids->ids[ids->n], sizeof ids->ids[0], "%s", row->item.id);
        ids->n_matches[ids->n] = row->n_matches;
    }
    ids->n++;
    return ids->stop_after && ids->n >= ids->stop_after ? 1 : 0;
}

static size_t scan_ids(struct archive *a, const struct archive_filter *f, struct ids *ids)
{
    memset(ids, 0, sizeof *ids);
    char err[256] = "";
    int rc = archive_scan(a, f, collect, ids, err, sizeof err);
    if (rc != 0) {
        fail_msg("scan: %s", err);
    }
    return ids->n;
}

static void test_scan_time_order_across_months(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[4];
    make_item(&it[0], "a", "rss", "一", "", t_nov15());
    make_item(&it[1], "b", "rss", "二", "", t_dec1() + 5 * 86400);
    make_item(&it[2], "c", "rss", "三", "", t_nov15() - 40 * 86400); /* October */
    make_item(&it[3], "d", "rss", "四", "", t_nov15()); /* same time as a */
    const struct yq_item *p[] = {&it[0], &it[1], &it[2], &it[3]};
    char err[256];
    assert_int_equal(archive_put(fx->a, p, 4, NULL, 0, NULL, err, sizeof err), 0);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 4);
    assert_string_equal(ids.ids[0], "b");
    assert_string_equal(ids.ids[1], "d");
    assert_string_equal(ids.ids[2], "a");
    assert_string_equal(ids.ids[3], "c");
    struct archive_filter f = {.order = ARCHIVE_OLDEST_FIRST};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 4);
    assert_string_equal(ids.ids[0], "c");
    assert_string_equal(ids.ids[1], "a");
    assert_string_equal(ids.ids[2], "d");
    assert_string_equal(ids.ids[3], "b");
    /* range: November only; since inclusive, until exclusive */
    f = (struct archive_filter){.since_s = t_nov15(), .until_s = t_dec1() + 5 * 86400};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 2);
    assert_string_equal(ids.ids[0], "d");
    assert_string_equal(ids.ids[1], "a");
    /* the callback stops the scan */
    memset(&ids, 0, sizeof ids);
    ids.stop_after = 1;
    assert_int_equal(archive_scan(fx->a, NULL, collect, &ids, err, sizeof err), 0);
    assert_int_equal(ids.n, 1);
    for (size_t i = 0; i < 4; i++) {
        yq_item_release(&it[i]);
    }
}


static void test_idempotent_same_batch_twice(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[3];
    make_item(&it[0], "x1", "weibo", "征地拆迁", "补偿", t_nov15());
    make_item(&it[1], "x2", "weibo", "乡村振兴", "", t_nov15() + 1);
    make_item(&it[2], "x1", "weibo", "征地拆迁", "补偿", t_nov15()); /* twice in one batch */
    const struct yq_item *p[] = {&it[0], &it[1], &it[2]};
    struct yq_alert al;
    make_alert(&al, &it[0], "land-01", "市自然资源局", "ev:1");
    const struct yq_alert *ap[] = {&al};
    char err[256];
    struct archive_put_result res;
    assert_int_equal(archive_put(fx->a, p, 3, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 2);
    assert_int_equal(res.items_dup, 1);
    assert_int_equal(res.matches_new, 1);
    assert_int_equal(res.matches_dup, 0);
    assert_int_equal(archive_put(fx->a, p, 3, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 0);
    assert_int_equal(res.items_dup, 3);
    assert_int_equal(res.matches_new, 0);
    assert_int_equal(res.matches_dup, 1);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "x1", &row, err, sizeof err), 0);
    assert_int_equal(row.n_matches, 1);
    assert_string_equal(row.matches[0].rule_id, "land-01");
    assert_string_equal(row.matches[0].rule_group, "征地拆迁");
    assert_string_equal(row.matches[0].department, "市自然资源局");
    assert_string_equal(row.matches[0].event_key, "ev:1");
    assert_int_equal(row.matches[0].level, YQ_LEVEL_III);
    assert_int_equal(row.matches[0].rules_version, 7);
    assert_int_equal(row.matches[0].matched_at, it[0].fetched_at + 3);
    archive_row_release(&row);
    /* an item without id is refused, the rest stored */
    struct yq_item noid;
    make_item(&noid, "", "rss", "无", "", t_nov15());
    const struct yq_item *np[] = {&noid};
    assert_int_equal(archive_put(fx->a, np, 1, NULL, 0, &res, err, sizeof err), 0);
    assert_int_equal(res.items_refused, 1);
    assert_int_equal(res.items_new, 0);
    yq_item_release(&noid);
    yq_alert_release(&al);
    for (size_t i = 0; i < 3; i++) {
        yq_item_release(&it[i]);
    }
}

/*
 * Issue #15: a zero-match official alert (yq_alert.h) goes through the decoder and the store:
 * the item is kept, matched by nothing (no match row, no event).
 */
static void test_issue_15_zero_match_official_alert(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it;
    struct yq_alert al, back;
    struct archive_put_result res;
    struct archive_row row;
    char err[256] = "", *json = NULL;
    size_t len = 0;

    make_item(&it, "wx:fabu:1:1", "wechat", "关于汉滨区征地补偿款发放情况的通报", "已拨付",
              t_nov15());
    it.official = true;
    memset(&al, 0, sizeof al);
    al.event_key = strdup("ev:wx:fabu:1:1");
    al.department = strdup("市自然资源局");
    al.level = YQ_LEVEL_IV;
    al.matched_at = it.fetched_at + 3;
    al.has_simhash = true;
    al.simhash = 0x00ff00ff00ff00ffULL;
    assert_int_equal(yq_item_copy(&al.item, &it), 0);
    assert_int_equal(yq_alert_encode(&al, &json, &len), 0);
    assert_int_equal(yq_alert_decode(json, len, &back, err, sizeof err), 0);
    assert_int_equal(back.n_matches, 0);
    const struct yq_item *p[] = {&it};
    const struct yq_alert *ap[] = {&back};
    assert_int_equal(archive_put(fx->a, p, 1, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 1);
    assert_int_equal(res.matches_new, 0);
    assert_int_equal(archive_get(fx->a, "wx:fabu:1:1", &row, err, sizeof err), 0);
    assert_int_equal(row.n_matches, 0);
    archive_row_release(&row);
    free(json);
    yq_alert_release(&back);
    yq_alert_release(&al);
    yq_item_release(&it);
}

/* A re-poll moved an item's time from 30 Nov into 1 Dec: still one row, in November. */
static void test_idempotent_across_month_boundary(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item first;
    struct yq_item again;
    make_item(&first, "weibo:77", "weibo", "旬阳市道路施工", "", t_dec1() - 3600);
    make_item(&again, "weibo:77", "weibo", "旬阳市道路施工", "", t_dec1() + 3600);
    struct archive_put_result res;
    assert_int_equal(put_one(fx->a, &first, &res), 0);
    assert_int_equal(res.items_new, 1);
    assert_int_equal(put_one(fx->a, &again, &res), 0);
    assert_int_equal(res.items_new, 0);
    assert_int_equal(res.items_dup, 1);
    /* and the other way round: first in December, again in November */
    struct yq_item dec;
    struct yq_item nov;
    make_item(&dec, "weibo:78", "weibo", "白河县", "", t_dec1() + 47 * 3600);
    make_item(&nov, "weibo:78", "weibo", "白河县", "", t_dec1() - 3600);
    assert_int_equal(put_one(fx->a, &dec, &res), 0);
    assert_int_equal(put_one(fx->a, &nov, &res), 0);
    assert_int_equal(res.items_dup, 1);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);
    char err[256];
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "weibo:77", &row, err, sizeof err), 0);
    assert_int_equal(row.time_s, t_dec1() - 3600);
    archive_row_release(&row);
    /* an alert carrying the moved time puts its match where the item is */
    struct yq_alert al;
    make_alert(&al, &again, "road-01", "市交通运输局", "ev:road");
    const struct yq_alert *ap[] = {&al};
    assert_int_equal(archive_put(fx->a, NULL, 0, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.matches_new, 1);
    assert_int_equal(archive_get(fx->a, "weibo:77", &row, err, sizeof err), 0);
    assert_int_equal(row.n_matches, 1);
    assert_string_equal(row.matches[0].rule_id, "road-01");
    archive_row_release(&row);
    struct archive_filter f = {.matched = 1};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    assert_string_equal(ids.ids[0], "weibo:77");
    yq_alert_release(&al);
    yq_item_release(&first);
    yq_item_release(&again);
    yq_item_release(&dec);
    yq_item_release(&nov);
}

static void test_matches_before_and_after_item(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item early;
    struct yq_item late;
    make_item(&early, "wx:1", "wechat", "学校食堂", "饭菜质量差", t_nov15());
    make_item(&late, "wx:2", "wechat", "物业纠纷", "电梯故障", t_nov15() + 10);
    struct yq_alert a1;
    struct yq_alert a2;
    struct yq_alert a3;
    make_alert(&a1, &early, "edu-01", "市教育局", "ev:edu");
    make_alert(&a2, &late, "house-01", "市住房和城乡建设局", "ev:house");
    make_alert(&a3, &late, "house-02", "市住房和城乡建设局", "ev:house");
    char err[256];
    struct archive_put_result res;
    /* early's item first, then its alert; late's alerts first, then its item */
    assert_int_equal(put_one(fx->a, &early, &res), 0);
    const struct yq_alert *ap[] = {&a1, &a2, &a3};
    assert_int_equal(archive_put(fx->a, NULL, 0, ap, 3, &res, err, sizeof err), 0);
    assert_int_equal(res.matches_new, 3);
    struct archive_filter f = {.matched = 1};
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1); /* late not stored yet */
    assert_int_equal(put_one(fx->a, &late, &res), 0);
    assert_int_equal(scan_ids(fx->a, &f, &ids), 2);
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "wx:2", &row, err, sizeof err), 0);
    assert_int_equal(row.n_matches, 2);
    assert_string_equal(row.matches[0].rule_id, "house-01");
    assert_string_equal(row.matches[1].rule_id, "house-02");
    archive_row_release(&row);
    f = (struct archive_filter){.department = "市教育局"};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    assert_string_equal(ids.ids[0], "wx:1");
    f = (struct archive_filter){.matched = 2};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 0);
    yq_alert_release(&a1);
    yq_alert_release(&a2);
    yq_alert_release(&a3);
    yq_item_release(&early);
    yq_item_release(&late);
}

/* An alert stored before its item in November; the item's re-polled time is 1 December. */
static void test_match_follows_item_into_neighbour_month(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item nov;
    struct yq_item dec;
    make_item(&nov, "weibo:90", "weibo", "石泉县", "", t_dec1() - 600);
    make_item(&dec, "weibo:90", "weibo", "石泉县", "", t_dec1() + 600);
    struct yq_alert al;
    make_alert(&al, &nov, "r-1", "石泉县人民政府", "ev:sq");
    const struct yq_alert *ap[] = {&al};
    char err[256];
    struct archive_put_result res;
    assert_int_equal(archive_put(fx->a, NULL, 0, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(put_one(fx->a, &dec, &res), 0);
    assert_int_equal(res.items_new, 1);
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "weibo:90", &row, err, sizeof err), 0);
    assert_int_equal(row.time_s, t_dec1() + 600);
    assert_int_equal(row.n_matches, 1);
    archive_row_release(&row);
    struct archive_filter f = {.matched = 1};
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    yq_alert_release(&al);
    yq_item_release(&nov);
    yq_item_release(&dec);
}

static void write_file(const char *path, const char *data)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(data, f);
    fclose(f);
}

static void test_layout_errors(void **state)
{
    (void)state;
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/yq-archive-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char sub[128];
    char err[512] = "";
    struct archive *a = NULL;
    /* missing directory: not found, with the command to run; nothing created */
    snprintf(sub, sizeof sub, "%s/none", dir);
    assert_int_equal(archive_open(sub, NULL, &a, err, sizeof err), ERR_NOT_FOUND);
    assert_null(a);
    assert_non_null(strstr(err, "yuqingctl archive init"));
    struct archive_open_opts ro = {.flags = ARCHIVE_READONLY};
    assert_int_equal(archive_open(sub, &ro, &a, err, sizeof err), ERR_NOT_FOUND);
    assert_int_equal(access(sub, F_OK), -1);
    /* a directory without the marker */
    assert_int_equal(mkdir(sub, 0750), 0);
    assert_int_equal(archive_open(sub, NULL, &a, err, sizeof err), ERR_NOT_FOUND);
    assert_non_null(strstr(err, "ARCHIVE"));
    /* init of a non-empty directory without marker is refused */
    char path[192];
    snprintf(path, sizeof path, "%s/other.txt", sub);
    write_file(path, "x");
    assert_int_equal(archive_init(sub, err, sizeof err), ERR_BAD_STATE);
    /* init makes parents; twice is fine */
    snprintf(sub, sizeof sub, "%s/a/b/c", dir);
    assert_int_equal(archive_init(sub, err, sizeof err), 0);
    assert_int_equal(archive_init(sub, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/ARCHIVE", sub);
    char *marker = NULL;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[64] = "";
    assert_non_null(fgets(line, sizeof line, f));
    fclose(f);
    assert_string_equal(line, "yuqing-archive 1\n");
    free(marker);
    /* a newer layout */
    write_file(path, "yuqing-archive 2\n");
    assert_int_equal(archive_open(sub, NULL, &a, err, sizeof err), ERR_BAD_STATE);
    assert_non_null(strstr(err, "newer"));
    write_file(path, "garbage\n");
    assert_int_equal(archive_open(sub, NULL, &a, err, sizeof err), ERR_BAD_STATE);
    /* a location form with no backend */
    assert_int_equal(archive_open("redis://db/0", NULL, &a, err, sizeof err), ERR_INVALID);
    assert_int_equal(archive_init("redis://db/0", err, sizeof err), ERR_INVALID);
    /* a PostgreSQL server that is not there (port 1 on loopback refuses at once) */
    assert_int_equal(archive_open("postgresql://yq@127.0.0.1:1/yuqing", NULL, &a, err, sizeof err),
                     ERR_IO);
    assert_null(a);
    assert_int_equal(archive_open("", NULL, &a, err, sizeof err), ERR_INVALID);
    assert_int_equal(archive_open(NULL, NULL, &a, err, sizeof err), ERR_INVALID);
    rm_rf(dir);
}

static size_t count_files(const char *dir, const char *prefix)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '^%s.*\\.db$' || true", dir, prefix);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    int n = 0;
    assert_int_equal(fscanf(p, "%d", &n), 1);
    pclose(p);
    return (size_t)n;
}

static void test_readonly_handle(void **state)
{
    struct archive_fixture *fx = *state;
    struct archive_open_opts ro = {.flags = ARCHIVE_READONLY};
    struct archive *r = NULL;
    char err[256] = "";
    assert_int_equal(archive_open(fx->loc, &ro, &r, err, sizeof err), 0);
    struct yq_item it;
    make_item(&it, "ro:1", "rss", "安康", "", t_nov15());
    const struct yq_item *p[] = {&it};
    assert_int_equal(archive_put(r, p, 1, NULL, 0, NULL, err, sizeof err), ERR_BAD_STATE);
    assert_int_equal(archive_prune(r, t_nov15(), 1, NULL, err, sizeof err), ERR_BAD_STATE);
    if (!db_fixture_pg()) {
        assert_int_equal(count_files(fx->dir, "items-"), 0); /* nothing created */
    }
    struct ids ids;
    assert_int_equal(scan_ids(r, NULL, &ids), 0);
    struct archive_row row;
    assert_int_equal(archive_get(r, "ro:1", &row, err, sizeof err), ERR_NOT_FOUND);
    /* the writer stores, the reader sees it */
    assert_int_equal(put_one(fx->a, &it, NULL), 0);
    assert_int_equal(scan_ids(r, NULL, &ids), 1);
    assert_int_equal(archive_get(r, "ro:1", &row, err, sizeof err), 0);
    assert_string_equal(row.item.title, "安康");
    archive_row_release(&row);
    archive_close(r);
    yq_item_release(&it);
}

static void test_prune_whole_old_months(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[3];
    make_item(&it[0], "p-sep", "rss", "九月", "", t_nov15() - 60 * 86400);
    make_item(&it[1], "p-oct", "rss", "十月", "", t_nov15() - 30 * 86400);
    make_item(&it[2], "p-nov", "rss", "十一月", "", t_nov15());
    const struct yq_item *p[] = {&it[0], &it[1], &it[2]};
    char err[256];
    assert_int_equal(archive_put(fx->a, p, 3, NULL, 0, NULL, err, sizeof err), 0);
    if (!db_fixture_pg()) {
        assert_int_equal(count_files(fx->dir, "items-"), 3);
    }
    /* now: 10 days after the end of October (= 1 Nov Beijing): retention 10 days keeps October
       (its end is exactly 10 days ago), September ended 40 days ago and goes */
    int64_t oct_end = t_nov15() - 14 * 86400;
    size_t n = 0;
    assert_int_equal(archive_prune(fx->a, oct_end + 10 * 86400, 10, &n, err, sizeof err), 0);
    assert_int_equal(n, 1);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);
    assert_string_equal(ids.ids[1], "p-oct");
    assert_int_equal(archive_prune(fx->a, oct_end + 10 * 86400 + 1, 10, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 1);
    assert_string_equal(ids.ids[0], "p-nov");
    /* the pruned month takes new items again (a new file) */
    assert_int_equal(put_one(fx->a, &it[1], NULL), 0);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);
    for (size_t i = 0; i < 3; i++) {
        yq_item_release(&it[i]);
    }
}

static void test_stats_counts(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[3];
    make_item(&it[0], "s1", "rss", "一", "", t_nov15());
    make_item(&it[1], "s2", "rss", "二", "", t_nov15() + 5);
    make_item(&it[2], "s3", "rss", "三", "", t_dec1() + 5);
    struct yq_alert al;
    make_alert(&al, &it[1], "r1", "市教育局", "ev:s");
    const struct yq_item *p[] = {&it[0], &it[1], &it[2]};
    const struct yq_alert *ap[] = {&al};
    char err[256];
    assert_int_equal(archive_put(fx->a, p, 3, ap, 1, NULL, err, sizeof err), 0);
    json_t *st = NULL;
    assert_int_equal(archive_stats(fx->a, &st, err, sizeof err), 0);
    if (db_fixture_pg()) {
        assert_string_equal(json_string_value(json_object_get(st, "backend")), "postgresql");
        assert_non_null(strstr(json_string_value(json_object_get(st, "location")),
                               "postgresql://"));
    } else {
        assert_string_equal(json_string_value(json_object_get(st, "backend")), "sqlite");
        assert_string_equal(json_string_value(json_object_get(st, "location")), fx->dir);
    }
    assert_int_equal(json_integer_value(json_object_get(st, "items")), 3);
    assert_int_equal(json_integer_value(json_object_get(st, "matched")), 1);
    assert_true(json_integer_value(json_object_get(st, "bytes")) > 0);
    json_t *months = json_object_get(st, "months");
    assert_int_equal(json_array_size(months), 2);
    json_t *m0 = json_array_get(months, 0);
    json_t *m1 = json_array_get(months, 1);
    assert_string_equal(json_string_value(json_object_get(m0, "month")), "2026-12");
    assert_int_equal(json_integer_value(json_object_get(m0, "items")), 1);
    assert_int_equal(json_integer_value(json_object_get(m0, "matched")), 0);
    assert_string_equal(json_string_value(json_object_get(m1, "month")), "2026-11");
    assert_int_equal(json_integer_value(json_object_get(m1, "items")), 2);
    assert_int_equal(json_integer_value(json_object_get(m1, "matched")), 1);
    json_decref(st);
    yq_alert_release(&al);
    for (size_t i = 0; i < 3; i++) {
        yq_item_release(&it[i]);
    }
}

/* Beijing month boundaries: 2026-11-30 23:59 Beijing is November, 00:00 is December. */
static void test_month_of_archive_time(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[2];
    make_item(&it[0], "m1", "rss", "一", "", t_dec1() - 1);
    make_item(&it[1], "m2", "rss", "二", "", t_dec1());
    /* a future publication time is not the archive time: fetched_at is */
    it[1].published_at = t_dec1() + 86400;
    it[1].fetched_at = t_dec1() - 7200;
    it[1].future_timestamp = true;
    const struct yq_item *p[] = {&it[0], &it[1]};
    char err[256];
    assert_int_equal(archive_put(fx->a, p, 2, NULL, 0, NULL, err, sizeof err), 0);
    if (!db_fixture_pg()) {
        char path[128];
        snprintf(path, sizeof path, "%s/items-2026-11.db", fx->dir);
        assert_int_equal(access(path, F_OK), 0);
        snprintf(path, sizeof path, "%s/items-2026-12.db", fx->dir);
        assert_int_equal(access(path, F_OK), -1);
    } else {
        json_t *st = NULL;
        assert_int_equal(archive_stats(fx->a, &st, err, sizeof err), 0);
        json_t *months = json_object_get(st, "months");
        assert_int_equal(json_array_size(months), 1);
        assert_string_equal(json_string_value(json_object_get(json_array_get(months, 0), "month")),
                            "2026-11");
        json_decref(st);
    }
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "m2", &row, err, sizeof err), 0);
    assert_int_equal(row.time_s, t_dec1() - 7200);
    assert_true(row.item.future_timestamp);
    assert_int_equal(row.item.published_at, t_dec1() + 86400);
    archive_row_release(&row);
    for (size_t i = 0; i < 2; i++) {
        yq_item_release(&it[i]);
    }
}

/*
 * A corrupt month file: a scan reaching it fails with ERR_PARSE naming it (rows of newer months
 * were delivered first); scans whose range excludes it still work, and so do puts near its
 * boundary into the next month. A put into that month fails
 * and leaves nothing of the batch in the other month (one transaction per file, committed only
 * when every file's part succeeded); once the file is replaced the retry stores everything.
 */
static void test_corrupt_month_file(void **state)
{
    DB_FIXTURE_SQLITE_ONLY(); /* month files */
    struct archive_fixture *fx = *state;
    struct yq_item nov;
    struct yq_item oct;
    make_item(&nov, "c-nov", "rss", "十一月", "", t_nov15());
    make_item(&oct, "c-oct", "rss", "十月", "", t_nov15() - 30 * 86400);
    char path[128];
    snprintf(path, sizeof path, "%s/items-2026-10.db", fx->dir);
    write_file(path, "this is not an SQLite database, but it is long enough to look like a header "
                     "of one, and longer still: the first page of a database file is 4096 bytes");
    char err[512] = "";
    const struct yq_item *p[] = {&nov, &oct};
    assert_int_not_equal(archive_put(fx->a, p, 2, NULL, 0, NULL, err, sizeof err), 0);
    assert_non_null(strstr(err, "items-2026-10.db"));
    struct ids ids;
    struct archive_filter f = {.since_s = t_nov15() - 86400};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 0); /* November holds nothing of the batch */
    assert_int_equal(put_one(fx->a, &nov, NULL), 0);
    memset(&ids, 0, sizeof ids);
    int rc = archive_scan(fx->a, NULL, collect, &ids, err, sizeof err);
    assert_int_equal(rc, ERR_PARSE);
    assert_non_null(strstr(err, "items-2026-10.db"));
    assert_int_equal(ids.n, 1); /* November came first */
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    /* an item near the boundary with the corrupt month is stored all the same (the neighbour
       look-up skips the unreadable file) */
    int64_t nov1 = t_nov15() - 14 * 86400;
    struct yq_item edge;
    make_item(&edge, "c-edge", "rss", "月初", "", nov1 + 3600);
    assert_int_equal(put_one(fx->a, &edge, NULL), 0);
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    f.since_s = nov1;
    assert_int_equal(scan_ids(fx->a, &f, &ids), 2);
    yq_item_release(&edge);
    /* replace the file: the retry stores the batch */
    assert_int_equal(unlink(path), 0);
    struct archive_put_result res;
    assert_int_equal(archive_put(fx->a, p, 2, NULL, 0, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 1);
    assert_int_equal(res.items_dup, 1);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 3);
    yq_item_release(&nov);
    yq_item_release(&oct);
}

/* The directory vanished under a writer: ERR_IO, nothing recreated. */
static void test_missing_directory_on_put(void **state)
{
    DB_FIXTURE_SQLITE_ONLY(); /* month files */
    struct archive_fixture *fx = *state;
    struct yq_item it;
    make_item(&it, "gone", "rss", "一", "", t_nov15());
    rm_rf(fx->dir);
    char err[256] = "";
    const struct yq_item *p[] = {&it};
    assert_int_equal(archive_put(fx->a, p, 1, NULL, 0, NULL, err, sizeof err), ERR_IO);
    assert_non_null(strstr(err, "missing"));
    assert_int_equal(access(fx->dir, F_OK), -1);
    struct ids ids;
    memset(&ids, 0, sizeof ids);
    assert_int_equal(archive_scan(fx->a, NULL, collect, &ids, err, sizeof err), ERR_IO);
    assert_int_equal(mkdir(fx->dir, 0750), 0); /* for the teardown */
    yq_item_release(&it);
}

/*
 * The directory removed or moved under a writer that already holds the month file open (review
 * of #14: the cached connection kept storing into the deleted file and the archiver committed
 * the offsets): the put fails with ERR_IO and nothing lands where no reader looks; after a new
 * `archive init` the same path takes the items again, in a new file.
 */
static void test_directory_removed_or_moved_after_puts(void **state)
{
    DB_FIXTURE_SQLITE_ONLY(); /* month files */
    struct archive_fixture *fx = *state;
    struct yq_item a, b;
    char err[256] = "", moved[4096];
    make_item(&a, "before", "rss", "征地补偿", "", t_nov15());
    make_item(&b, "after", "rss", "拆迁安置", "", t_nov15() + 60);
    const struct yq_item *pa[] = {&a}, *pb[] = {&b};
    struct archive_put_result r;
    struct ids ids;

    assert_int_equal(archive_put(fx->a, pa, 1, NULL, 0, NULL, err, sizeof err), 0);
    /* moved: the original path has no archive any more; the moved files are not written */
    snprintf(moved, sizeof moved, "%s.moved", fx->dir);
    assert_int_equal(rename(fx->dir, moved), 0);
    assert_int_equal(archive_put(fx->a, pb, 1, NULL, 0, NULL, err, sizeof err), ERR_IO);
    assert_non_null(strstr(err, "missing"));
    /* the archiver's log line says why (it used to end in an empty "()") */
    assert_non_null(strstr(err, "(no ARCHIVE file): nothing stored"));
    assert_int_equal(rename(moved, fx->dir), 0);
    /* moved back: the same file again, the put goes on and "after" is stored once */
    memset(&r, 0, sizeof r);
    assert_int_equal(archive_put(fx->a, pb, 1, NULL, 0, &r, err, sizeof err), 0);
    assert_int_equal(r.items_new, 1);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);

    /* removed: refused, and not recreated */
    rm_rf(fx->dir);
    assert_int_equal(archive_put(fx->a, pb, 1, NULL, 0, NULL, err, sizeof err), ERR_IO);
    assert_int_equal(access(fx->dir, F_OK), -1);
    /* initialised again: a new, empty archive at the path takes the item into a new file */
    assert_int_equal(archive_init(fx->dir, err, sizeof err), 0);
    memset(&r, 0, sizeof r);
    assert_int_equal(archive_put(fx->a, pb, 1, NULL, 0, &r, err, sizeof err), 0);
    assert_int_equal(r.items_new, 1);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 1);
    assert_string_equal(ids.ids[0], "after");
    yq_item_release(&a);
    yq_item_release(&b);
}

/* Each exact filter field of a scan. */
static void test_scan_filters(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[4];
    make_item(&it[0], "f0", "weibo", "满意 点赞 好评", "", t_nov15());
    make_item(&it[1], "f1", "rss", "投诉 不满 拖欠", "愤怒", t_nov15() + 1);
    make_item(&it[2], "f2", "wechat", "通知", "", t_nov15() + 2);
    make_item(&it[3], "f3", "weibo", "通报", "", t_nov15() + 3);
    free(it[3].channel);
    it[3].channel = strdup("汉滨身边事");
    free(it[3].source_id);
    it[3].source_id = strdup("weibo-2");
    const struct yq_item *p[] = {&it[0], &it[1], &it[2], &it[3]};
    char err[256];
    assert_int_equal(archive_put(fx->a, p, 4, NULL, 0, NULL, err, sizeof err), 0);
    struct ids ids;
    struct archive_filter f = {.source = "weibo"};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 2);
    f = (struct archive_filter){.source_id = "weibo-2"};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    assert_string_equal(ids.ids[0], "f3");
    f = (struct archive_filter){.channel = "汉滨身边事"};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    f = (struct archive_filter){.channel = "汉滨"}; /* exact, not a prefix */
    assert_int_equal(scan_ids(fx->a, &f, &ids), 0);
    f = (struct archive_filter){.source = "", .channel = ""}; /* "" = any */
    assert_int_equal(scan_ids(fx->a, &f, &ids), 4);
    f = (struct archive_filter){.has_sentiment = true, .sentiment = YQ_SENTIMENT_NEGATIVE};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    assert_string_equal(ids.ids[0], "f1");
    f = (struct archive_filter){.has_sentiment = true, .sentiment = YQ_SENTIMENT_POSITIVE};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 1);
    assert_string_equal(ids.ids[0], "f0");
    f = (struct archive_filter){.matched = 2};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 4);
    f = (struct archive_filter){.matched = -1};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 4);
    f = (struct archive_filter){.since_s = t_nov15() + 1, .until_s = t_nov15() + 3};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 2);
    f = (struct archive_filter){.since_s = t_nov15() + 3, .until_s = t_nov15() + 3};
    assert_int_equal(scan_ids(fx->a, &f, &ids), 0);
    for (size_t i = 0; i < 4; i++) {
        yq_item_release(&it[i]);
    }
}

struct writer {
    struct archive *a;
    int first; /* ids first .. first + 299; the two writers share 100 of them */
    size_t items_new;
    int rc;
};

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int b = 0; b < 15 && w->rc == 0; b++) {
        struct yq_item it[20];
        const struct yq_item *p[20];
        for (int k = 0; k < 20; k++) {
            char id[32];
            snprintf(id, sizeof id, "t:%d", w->first + b * 20 + k);
            make_item(&it[k], id, "weibo", "紫阳县道路施工", "占道", t_nov15() + b * 20 + k);
            p[k] = &it[k];
        }
        char err[256];
        struct archive_put_result res;
        w->rc = archive_put(w->a, p, 20, NULL, 0, &res, err, sizeof err);
        w->items_new += res.items_new;
        for (int k = 0; k < 20; k++) {
            yq_item_release(&it[k]);
        }
    }
    return NULL;
}

struct reader {
    struct archive *a;
    volatile int *stop;
    int rc;
    size_t scans;
};

/* A scan callback that calls the same handle again (get). */
static int get_again(const struct archive_row *row, void *arg)
{
    struct reader *r = arg;
    struct archive_row again;
    char err[256];
    int rc = archive_get(r->a, row->item.id, &again, err, sizeof err);
    if (rc == 0) {
        archive_row_release(&again);
    }
    return rc == 0 ? 0 : rc;
}

static void *reader_main(void *arg)
{
    struct reader *r = arg;
    while (!*r->stop && r->rc == 0) {
        char err[256];
        struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM, .term = "施工"};
        struct archive_filter f = {.narrow = &nw};
        r->rc = archive_scan(r->a, &f, get_again, r, err, sizeof err);
        if (r->rc != 0) {
            print_error("reader: %s\n", err);
        }
        r->scans++;
    }
    return NULL;
}

/* Two writers and a reader on one handle: every id stored once, readers never fail. */
static void test_threads_share_a_handle(void **state)
{
    struct archive_fixture *fx = *state;
    struct writer w1 = {.a = fx->a, .first = 0};
    struct writer w2 = {.a = fx->a, .first = 200};
    volatile int stop = 0;
    struct reader r = {.a = fx->a, .stop = &stop};
    pthread_t t1, t2, t3;
    assert_int_equal(pthread_create(&t3, NULL, reader_main, &r), 0);
    assert_int_equal(pthread_create(&t1, NULL, writer_main, &w1), 0);
    assert_int_equal(pthread_create(&t2, NULL, writer_main, &w2), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    stop = 1;
    pthread_join(t3, NULL);
    assert_int_equal(w1.rc, 0);
    assert_int_equal(w2.rc, 0);
    assert_int_equal(r.rc, 0);
    assert_true(r.scans >= 1);
    assert_int_equal(w1.items_new + w2.items_new, 500); /* ids 0..499 */
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 500);
}

/* A classifier given in the options is used (borrowed), and read-only handles need none. */
static void test_borrowed_classifier(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_sentiment *sent = NULL;
    char err[256] = "";
    assert_int_equal(yq_sentiment_open(NULL, &sent, err, sizeof err), 0);
    struct archive_open_opts opts = {.sentiment = sent, .busy_timeout_ms = 1000};
    struct archive *a = NULL;
    assert_int_equal(archive_open(fx->loc, &opts, &a, err, sizeof err), 0);
    struct yq_item it;
    make_item(&it, "s:1", "weibo", "服务很好，群众满意", "点赞", t_nov15());
    assert_int_equal(put_one(a, &it, NULL), 0);
    archive_close(a);
    yq_sentiment_free(sent);
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "s:1", &row, err, sizeof err), 0);
    assert_true(row.has_sentiment);
    assert_int_equal(row.sentiment, YQ_SENTIMENT_POSITIVE);
    assert_true(row.sentiment_score > 0);
    archive_row_release(&row);
    yq_item_release(&it);
}

/*
 * Disk full (a file size limit stands in for it): the put fails with ERR_IO and leaves nothing
 * of the batch; the same batch later stores everything.
 */
static void test_disk_full_then_retry(void **state)
{
    DB_FIXTURE_SQLITE_ONLY(); /* month files */
    struct archive_fixture *fx = *state;
    enum { N = 300 };
    static struct yq_item it[N];
    const struct yq_item *p[N];
    char text[2048];
    size_t len = 0;
    while (len + 3 < sizeof text - 1) {
        memcpy(text + len, "拆", 3);
        len += 3;
    }
    text[len] = '\0';
    for (int i = 0; i < N; i++) {
        char id[32];
        snprintf(id, sizeof id, "full:%d", i);
        make_item(&it[i], id, "rss", "征地拆迁补偿", text, t_nov15() + i);
        p[i] = &it[i];
    }
    char err[256] = "";
    assert_int_equal(put_one(fx->a, &it[0], NULL), 0); /* the month file exists */
    struct rlimit old;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*old_sig)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit small = {.rlim_cur = 256 * 1024, .rlim_max = old.rlim_max};
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    int rc = archive_put(fx->a, p, N, NULL, 0, NULL, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_sig);
    assert_int_equal(rc, ERR_IO);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 1); /* only the first put's item */
    struct archive_put_result res;
    assert_int_equal(archive_put(fx->a, p, N, NULL, 0, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, N - 1);
    assert_int_equal(res.items_dup, 1);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), N);
    struct archive_narrow nw = {.kind = ARCHIVE_NARROW_TERM, .term = "征地"};
    struct archive_filter f = {.narrow = &nw};
    assert_int_equal(scan_ids(fx->a, &f, &ids), N);
    for (int i = 0; i < N; i++) {
        yq_item_release(&it[i]);
    }
}

/* Bogus times (before 1970, far future) and a huge retention: stored, found, no overflow. */
static void test_extreme_times(void **state)
{
    struct archive_fixture *fx = *state;
    struct yq_item it[2];
    make_item(&it[0], "old", "rss", "一", "", -86400 * 400);
    make_item(&it[1], "far", "rss", "二", "", INT64_MAX - 2000);
    it[1].fetched_at = INT64_MAX - 1000; /* yq_item_is_future() adds its slack to it */
    const struct yq_item *p[] = {&it[0], &it[1]};
    char err[256];
    struct archive_put_result res;
    assert_int_equal(archive_put(fx->a, p, 2, NULL, 0, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 2);
    assert_int_equal(archive_put(fx->a, p, 2, NULL, 0, &res, err, sizeof err), 0);
    assert_int_equal(res.items_dup, 2);
    struct ids ids;
    assert_int_equal(scan_ids(fx->a, NULL, &ids), 2);
    assert_string_equal(ids.ids[0], "far");
    struct archive_row row;
    assert_int_equal(archive_get(fx->a, "old", &row, err, sizeof err), 0);
    assert_int_equal(row.time_s, -86400 * 400);
    archive_row_release(&row);
    size_t n = 9;
    assert_int_equal(archive_prune(fx->a, t_nov15(), INT64_MAX, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(archive_prune(fx->a, INT64_MIN, 1, &n, err, sizeof err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(archive_prune(fx->a, t_nov15(), -1, &n, err, sizeof err), ERR_INVALID);
    for (size_t i = 0; i < 2; i++) {
        yq_item_release(&it[i]);
    }
}

/*
 * The PostgreSQL backend's own layout: a database without the archive's tables is not an
 * archive (ERR_NOT_FOUND naming `archive init`), init is idempotent, a newer schema is refused,
 * and the archive shares a database with a ticket store's tables (its own track).
 */
static void test_pg_layout(void **state)
{
    (void)state;
    if (!db_fixture_pg()) {
        skip();
    }
    char loc[512], err[512] = "";
    db_fixture_new(loc, sizeof loc, "");
    struct archive *a = NULL;
    assert_int_equal(archive_open(loc, NULL, &a, err, sizeof err), ERR_NOT_FOUND);
    assert_non_null(strstr(err, "archive init"));
    assert_null(strstr(err, "password"));
    struct yq_db *db = NULL;
    assert_int_equal(yq_db_open(loc, 0, 5000, &db, err, sizeof err), 0);
    /* a ticket store's track in the same schema is not the archive's */
    assert_int_equal(yq_db_exec(db, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY,"
                                    " applied_at BIGINT NOT NULL);"
                                    "INSERT INTO schema_version VALUES (99, 0)",
                                "ticket track", err, sizeof err),
                     0);
    assert_int_equal(archive_init(loc, err, sizeof err), 0);
    assert_int_equal(archive_init(loc, err, sizeof err), 0);
    assert_int_equal(archive_open(loc, NULL, &a, err, sizeof err), 0);
    archive_close(a);
    assert_int_equal(yq_db_exec(db, "INSERT INTO archive_schema_version VALUES (2, 0)", "newer",
                                err, sizeof err),
                     0);
    a = NULL;
    assert_int_equal(archive_open(loc, NULL, &a, err, sizeof err), ERR_BAD_STATE);
    assert_non_null(strstr(err, "newer"));
    yq_db_close(db);
    db_fixture_drop(loc);
}

/*
 * Issue #16: a put larger than one multi-row statement of the server backend (64 items, 256
 * matches a statement) keeps the results of one row at a time: duplicates within a statement
 * and across statements counted as such, every row stored once, a second put all duplicates.
 */
static void test_issue_16_large_put_counts_like_row_by_row(void **state)
{
    enum { N_UNIQUE = 100, N_ITEMS = 150, N_MATCHES = 300 };
    struct archive_fixture *fx = *state;
    struct yq_item *it = calloc(N_ITEMS, sizeof *it);
    const struct yq_item **p = calloc(N_ITEMS, sizeof *p);
    struct yq_alert al;
    char id[32], title[64], err[256] = "";
    struct archive_put_result res;
    struct archive_row row;
    struct ids ids;

    assert_non_null(it);
    assert_non_null(p);
    for (int i = 0; i < N_ITEMS; i++) {
        int k = i < N_UNIQUE ? i : (i - N_UNIQUE) * 2; /* 50 repeats of earlier ids */
        snprintf(id, sizeof id, "big:%03d", k);
        snprintf(title, sizeof title, "征地拆迁 第%d条", k);
        make_item(&it[i], id, "rss", title, "补偿款", t_nov15() + k);
        p[i] = &it[i];
    }
    make_alert(&al, &it[7], "land-000", "市自然资源局", "ev:big");
    al.matches = realloc(al.matches, N_MATCHES * sizeof *al.matches);
    assert_non_null(al.matches);
    memset(al.matches + 1, 0, (N_MATCHES - 1) * sizeof *al.matches);
    al.n_matches = N_MATCHES;
    for (int m = 1; m < N_MATCHES; m++) {
        char rule[32];
        snprintf(rule, sizeof rule, "land-%03d", m % 200); /* 100 repeats */
        al.matches[m].rule_id = strdup(rule);
        al.matches[m].name = strdup(rule);
        al.matches[m].group = strdup("征地拆迁");
        al.matches[m].department = strdup("市自然资源局");
        al.matches[m].level = YQ_LEVEL_II;
    }
    const struct yq_alert *ap[] = {&al};

    assert_int_equal(archive_put(fx->a, p, N_ITEMS, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, N_UNIQUE);
    assert_int_equal(res.items_dup, N_ITEMS - N_UNIQUE);
    assert_int_equal(res.matches_new, 200);
    assert_int_equal(res.matches_dup, N_MATCHES - 200);
    assert_int_equal(res.items_refused, 0);
    assert_int_equal(archive_put(fx->a, p, N_ITEMS, ap, 1, &res, err, sizeof err), 0);
    assert_int_equal(res.items_new, 0);
    assert_int_equal(res.items_dup, N_ITEMS);
    assert_int_equal(res.matches_new, 0);
    assert_int_equal(res.matches_dup, N_MATCHES);
    assert_int_equal(scan_ids(fx->a, NULL, &ids), N_UNIQUE);
    struct archive_filter matched = {.matched = 1};
    assert_int_equal(scan_ids(fx->a, &matched, &ids), 1);
    assert_string_equal(ids.ids[0], "big:007");
    assert_int_equal(ids.n_matches[0], 200); /* a scan grows the row's matches past 16 (#12) */
    for (int k = 0; k < N_UNIQUE; k += 33) {
        snprintf(id, sizeof id, "big:%03d", k);
        snprintf(title, sizeof title, "征地拆迁 第%d条", k);
        assert_int_equal(archive_get(fx->a, id, &row, err, sizeof err), 0);
        assert_string_equal(row.item.title, title);
        assert_int_equal(row.item.published_at, t_nov15() + k);
        assert_int_equal(row.n_matches, k == 7 ? 200 : 0);
        archive_row_release(&row);
    }
    assert_int_equal(archive_get(fx->a, "big:007", &row, err, sizeof err), 0);
    assert_int_equal(row.n_matches, 200);
    assert_int_equal(row.matches[199].level, YQ_LEVEL_II);
    archive_row_release(&row);
    yq_alert_release(&al);
    for (int i = 0; i < N_ITEMS; i++) {
        yq_item_release(&it[i]);
    }
    free(p);
    free(it);
}

/* FX(test): test with a fixture of its own: fx_setup() before it, fx_teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_round_trip_every_field),
        FX(test_scan_time_order_across_months),
        FX(test_idempotent_same_batch_twice),
        FX(test_issue_15_zero_match_official_alert),
        FX(test_idempotent_across_month_boundary),
        FX(test_matches_before_and_after_item),
        FX(test_match_follows_item_into_neighbour_month),
        cmocka_unit_test(test_layout_errors),
        cmocka_unit_test(test_pg_layout),
        FX(test_readonly_handle),
        FX(test_prune_whole_old_months),
        FX(test_stats_counts),
        FX(test_month_of_archive_time),
        FX(test_corrupt_month_file),
        FX(test_directory_removed_or_moved_after_puts),
        FX(test_missing_directory_on_put),
        FX(test_scan_filters),
        FX(test_threads_share_a_handle),
        FX(test_borrowed_classifier),
        FX(test_disk_full_then_retry),
        FX(test_extreme_times),
        FX(test_issue_16_large_put_counts_like_row_by_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
