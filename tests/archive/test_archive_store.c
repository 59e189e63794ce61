/*
 * The archive store (archive.h) over its embedded SQLite backend: layout, round trips,
 * idempotence, matches, scans with each filter, prune, stats, errors.
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

struct fx {
    char dir[64];
    struct archive *a;
};

static void rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static int fx_setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    snprintf(fx->dir, sizeof fx->dir, "/tmp/yq-archive-XXXXXX");
    assert_non_null(mkdtemp(fx->dir));
    char err[256] = "";
    int rc = archive_init(fx->dir, err, sizeof err);
    assert_int_equal(rc, 0);
    rc = archive_open(fx->dir, NULL, &fx->a, err, sizeof err);
    if (rc != 0) {
        fail_msg("open: %s", err);
    }
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *fx = *state;
    archive_close(fx->a);
    rm_rf(fx->dir);
    free(fx);
    return 0;
}

/* An item with every field set (strings owned by the item). */
static void make_item(struct yq_item *it, const char *id, const char *source, const char *title,
                      const char *text, int64_t published_at)
{
    memset(it, 0, sizeof *it);
    it->id = strdup(id);
    it->source = strdup(source);
    char sid[32];
    snprintf(sid, sizeof sid, "%s-1", source);
    it->source_id = strdup(sid);
    it->channel = strdup("安康发布");
    it->url = strdup("https://example.invalid/p/1");
    it->title = strdup(title);
    it->text = strdup(text);
    it->author = strdup("网友甲");
    it->has_published = true;
    it->published_at = published_at;
    it->precision = "minute";
    it->fetched_at = published_at + 120;
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
    struct fx *fx = *state;
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
    size_t n;
    size_t stop_after;
};

static int collect(const struct archive_row *row, void *arg)
{
    struct ids *ids = arg;
    if (ids->n < 64) {
        snprintf(ids->ids[ids->n], sizeof ids->ids[0], "%s", row->item.id);
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
    struct fx *fx = *state;
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
    struct fx *fx = *state;
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

/* A re-poll moved an item's time from 30 Nov into 1 Dec: still one row, in November. */
static void test_idempotent_across_month_boundary(void **state)
{
    struct fx *fx = *state;
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
    struct fx *fx = *state;
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
    struct fx *fx = *state;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip_every_field, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_scan_time_order_across_months, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_same_batch_twice, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_idempotent_across_month_boundary, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_matches_before_and_after_item, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_match_follows_item_into_neighbour_month, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
