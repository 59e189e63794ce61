/*
 * Shared collector cases (../shared/cases, FC-xxx) that need no network: encodings, broken
 * XML, dates, not_a_feed, WeChat ids, staleness; plus JSON Feed fixtures. The HTTP-level
 * cases (FC-017, FC-018 through the poller, FC-019, FC-020) are in test_collector_http.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed_item.h"
#include "feed_parse.h"
#include "shared_input.h"
#include "source_health.h"
#include "wechat.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

static struct feed *parse_buf(const char *body, size_t len, const char *content_type)
{
    struct feed_input in = {.body = body, .len = len, .content_type = content_type,
                            .base_url = "http://cases.example/feed"};
    struct feed *f = NULL;
    char err[256] = "";
    int rc = feed_parse(&in, &f, err, sizeof(err));
    if (rc != 0) {
        print_error("feed_parse: %s\n", err);
    }
    assert_int_equal(rc, 0);
    return f;
}

static struct feed *parse_shared(const char *rel, const char *content_type)
{
    char *body = NULL;
    size_t len = 0;
    struct feed *f;

    SHARED_READ_OR_SKIP(rel, &body, &len);
    f = parse_buf(body, len, content_type);
    free(body);
    return f;
}

static char *plain_text(const struct feed *f, size_t i)
{
    struct yq_item item;
    char *t;
    assert_int_equal(feed_item_from_entry(f, &f->entries[i], "s", NULL, 0, 65536, &item), 0);
    t = item.text ? strdup(item.text) : strdup("");
    yq_item_release(&item);
    return t;
}

/* Entry i of f maps to an item whose plain text is want. */
static void assert_plain_text(const struct feed *f, size_t i, const char *want)
{
    char *t = plain_text(f, i);

    assert_string_equal(t, want);
    free(t);
}

static void test_fc_009_gbk_labelled_gb2312(void **state)
{
    struct feed *f = parse_shared("cases/inputs/FC-009.xml", NULL);

    (void)state;
    assert_string_equal(f->encoding, "gb18030");
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "喆堃科技园区昇平路段停电 镕钢小区供水中断");
    assert_plain_text(f, 0, "居民赟先生称，停电自下午两点开始。");
    assert_string_equal(f->entries[1].title, "市区今日天气晴");
    feed_free(f);
}

static void test_fc_011_charset_only_in_http_header(void **state)
{
    char *raw = NULL, ct[128];
    size_t len = 0, blen = 0;
    const char *body;
    struct feed *f;

    (void)state;
    SHARED_READ_OR_SKIP("cases/inputs/FC-011.http", &raw, &len);
    body = http_split(raw, len, "Content-Type", ct, sizeof(ct), &blen);
    assert_non_null(body);
    assert_string_equal(ct, "text/xml; charset=GB2312");
    f = parse_buf(body, blen, ct);
    assert_string_equal(f->encoding, "gb18030");
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].title, "区政府召开防汛工作会议");
    assert_plain_text(f, 0, "会议部署汛期值班工作。");
    feed_free(f);
    free(raw);
}

static void test_fc_013_html_entities_and_bare_ampersands(void **state)
{
    struct feed *f = parse_shared("cases/inputs/FC-013.xml", NULL);

    (void)state;
    assert_true(f->bozo); /* parsed with warnings */
    assert_int_equal(f->n_entries, 3);
    assert_string_equal(f->title, "某报网络版©测试");
    assert_string_equal(f->entries[0].title, "市政府\xC2\xA0发布通告—环城路临时封闭");
    assert_string_equal(f->entries[0].link, "https://news.example.cn/a?id=7&from=rss");
    assert_plain_text(f, 0, "据悉…请市民“绕行”·谢谢配合");
    assert_string_equal(f->entries[1].link, "https://news.example.cn/a?id=8&from=rss");
    feed_free(f);
}

static void test_fc_014_control_characters(void **state)
{
    static const char *const titles[] = {"化工厂泄漏 周边居民紧急疏散", "学校食堂检查结果公布",
                                         "周末音乐节交通管制"};
    static const char *const descs[] = {"现场消防已到达处置中", "抽检合格", "正常条目"};
    struct feed *f = parse_shared("cases/inputs/FC-014.xml", NULL);

    (void)state;
    assert_int_equal(f->n_entries, 3);
    for (size_t i = 0; i < 3; i++) {
        char *d = plain_text(f, i);
        const char *t = f->entries[i].title;
        /* control characters removed; VT/FF may become one space (the case allows it) */
        if (strcmp(t, titles[i]) != 0) {
            print_error("title %zu: '%s'\n", i, t);
        }
        assert_string_equal(t, titles[i]);
        for (const char *c = d; *c; c++) {
            assert_true((unsigned char)*c >= 0x20 || *c == '\n');
        }
        {
            /* compare with spaces dropped: a removed control may have left one */
            char a[256] = "";
            size_t n = 0;
            for (const char *c = d; *c && n + 1 < sizeof(a); c++) {
                if (*c != ' ') {
                    a[n++] = *c;
                }
            }
            a[n] = '\0';
            assert_string_equal(a, descs[i]);
        }
        free(d);
    }
    assert_non_null(strstr(f->entries[0].title, "化工厂泄漏")); /* a rule 化工厂泄漏 matches */
    feed_free(f);
}

static void test_fc_015_zoneless_and_cst_dates(void **state)
{
    struct feed *f = parse_shared("cases/inputs/FC-015.xml", NULL);
    char ts[32];

    (void)state;
    assert_int_equal(f->n_entries, 8);
    for (size_t i = 0; i < 8; i++) {
        assert_true(f->entries[i].has_published);
        if (strcmp(yq_time_format_utc(f->entries[i].published, ts, sizeof(ts)),
                   "2024-03-05T06:30:00Z") != 0) {
            print_error("%s: %s\n", f->entries[i].title, ts);
        }
        assert_string_equal(ts, "2024-03-05T06:30:00Z");
    }
    feed_free(f);
}

static void test_fc_018_login_page_is_not_a_feed(void **state)
{
    char *raw = NULL, ct[128], err[256] = "";
    size_t len = 0, blen = 0;
    const char *body;
    struct feed_input in = {0};
    struct feed *f = NULL;

    (void)state;
    SHARED_READ_OR_SKIP("cases/inputs/FC-018.http", &raw, &len);
    body = http_split(raw, len, "Content-Type", ct, sizeof(ct), &blen);
    in.body = body;
    in.len = blen;
    in.content_type = ct;
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_NOT_A_FEED);
    assert_null(f);
    assert_memory_equal(err, "not_a_feed: ", 12);
    free(raw);
}

/* FC-006: 5 items → 3 articles; stable against new temporary links */
static void test_fc_006_wechat_temporary_links_one_item(void **state)
{
    struct feed *f = parse_shared("cases/inputs/FC-006.xml", NULL);
    char ids[5][WECHAT_ID_MAX];
    size_t unique = 0;
    struct yq_item item;
    struct wechat_ref ref;

    (void)state;
    assert_int_equal(f->n_entries, 5);
    for (size_t i = 0; i < 5; i++) {
        bool dup = false;
        assert_int_equal(wechat_item_from_entry(f, &f->entries[i], "wx-07", NULL, 0, 65536,
                                                &item, NULL),
                         0);
        assert_string_equal(item.source, "wechat");
        snprintf(ids[i], sizeof(ids[i]), "%s", item.id);
        for (size_t j = 0; j < i; j++) {
            dup = dup || strcmp(ids[j], ids[i]) == 0;
        }
        unique += !dup;
        if (i == 2) {
            assert_string_equal(item.id, "wx:MzA5FAKEFAKE==:2650000001:1");
            assert_string_equal(item.url, "https://mp.weixin.qq.com/s?__biz=MzA5FAKEFAKE==&"
                                          "mid=2650000001&idx=1&sn=0123456789abcdef0123456789abcdef");
        }
        yq_item_release(&item);
    }
    assert_int_equal(unique, 3);
    assert_string_equal(ids[0], ids[1]); /* gas inspection: fallback key */
    assert_memory_equal(ids[0], "wx:h:", 5);
    assert_string_equal(ids[2], ids[3]);
    /* a third temporary URL for the same article: the same id → 0 new items */
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?src=11&amp;timestamp=1709790000&amp;"
                                     "ver=5124&amp;signature=NEWsig3&amp;new=1",
                                     f->title, "关于开展燃气安全隐患排查的通知", true,
                                     1709686800, &ref),
                     0);
    assert_string_equal(ref.id, ids[0]);
    free(ref.url);
    feed_free(f);
}

static void test_wechat_id_forms(void **state)
{
    struct wechat_ref a, b, c, d;

    (void)state;
    /* &amp; decoded once, \x26amp;, %3D%3D in __biz, aliases, extra params, fragment */
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?__biz=MzA4%3D%3D&amp;appmsgid=26"
                                     "&amp;itemidx=2&amp;sign=abc&amp;chksm=1&amp;scene=27#rd",
                                     "acct", "t", false, 0, &a),
                     0);
    assert_string_equal(a.id, "wx:MzA4==:26:2");
    assert_string_equal(a.url, "https://mp.weixin.qq.com/s?__biz=MzA4==&mid=26&idx=2&sn=abc");
    assert_int_equal(wechat_ref_from("http://mp.weixin.qq.com/s?__biz=MzA4==\\x26amp;mid=26"
                                     "\\x26amp;idx=2",
                                     "acct", "other", false, 0, &b),
                     0);
    assert_string_equal(b.id, a.id);
    /* short link; the same article as a long link shares the alias key */
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s/Yc8WAfJt5xVcYbA2D29Ncw",
                                     "上海发布", " 标题 A ", true, 1623900030, &c),
                     0);
    assert_string_equal(c.id, "wxs:Yc8WAfJt5xVcYbA2D29Ncw");
    assert_string_equal(c.url, "https://mp.weixin.qq.com/s/Yc8WAfJt5xVcYbA2D29Ncw");
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?__biz=X==&mid=1&idx=1",
                                     "上海发布", "标题a", true, 1623900010, &d),
                     0);
    assert_string_equal(c.alias, d.alias); /* same account, title, minute */
    assert_string_not_equal(c.id, d.id);
    free(a.url);
    free(b.url);
    free(c.url);
    free(d.url);
    /* sn only */
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?sn=ffee&scene=1", "a", "t",
                                     false, 0, &a),
                     0);
    assert_string_equal(a.id, "wx:sn:ffee");
    free(a.url);
    /* hostile parameters cannot inject into the id: fall back to the article key */
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?__biz=a:b c&mid=1&idx=1", "a",
                                     "t", false, 0, &a),
                     0);
    assert_memory_equal(a.id, "wx:h:", 5);
    free(a.url);
    assert_int_equal(wechat_ref_from(NULL, "a", NULL, false, 0, &a), ERR_INVALID);
    assert_int_equal(wechat_ref_from("https://mp.weixin.qq.com/s?src=11&signature=x", "a", "",
                                     false, 0, &a),
                     ERR_INVALID);
}

/* FC-008: one stale alert per state change, one recovery notice */
static void test_fc_008_stale_source_alerts_once(void **state)
{
    json_t *in;
    char *raw = NULL;
    size_t len = 0, i;
    const json_t *poll;
    struct staleness st = {0};
    int alerts = 0, recoveries = 0;
    int64_t stale_after;

    (void)state;
    SHARED_READ_OR_SKIP("cases/inputs/FC-008.json", &raw, &len);
    in = json_loadb(raw, len, 0, NULL);
    free(raw);
    assert_non_null(in);
    stale_after = json_integer_value(
                      json_object_get(json_object_get(in, "source"), "stale_after_hours")) *
                  3600;
    assert_int_equal(stale_after, 72 * 3600);
    json_array_foreach(json_object_get(in, "polls"), i, poll) {
        int64_t at = 0, newest = 0;
        enum stale_event ev;
        assert_int_equal(yq_time_parse_iso(json_string_value(json_object_get(poll, "at")), &at,
                                           NULL),
                         0);
        assert_int_equal(yq_time_parse_iso(json_string_value(
                                               json_object_get(poll, "newest_item_published")),
                                           &newest, NULL),
                         0);
        ev = staleness_update(&st, stale_after, true, newest, at);
        switch (i) {
        case 3: /* 2024-03-04T08:30: 71 h 50 m */
            assert_int_equal(ev, STALE_NONE);
            break;
        case 4: /* 09:00: 72 h 20 m */
            assert_int_equal(ev, STALE_ALERT);
            break;
        case 7: /* 2024-03-05T10:00, a newer item */
            assert_int_equal(ev, STALE_RECOVERED);
            break;
        default:
            assert_int_equal(ev, STALE_NONE);
        }
        alerts += ev == STALE_ALERT;
        recoveries += ev == STALE_RECOVERED;
    }
    assert_int_equal(alerts, 1);
    assert_int_equal(recoveries, 1);
    json_decref(in);
    /* disabled: never an alert */
    memset(&st, 0, sizeof(st));
    assert_int_equal(staleness_update(&st, 0, true, 0, 1000000000), STALE_NONE);
}

/* ---- JSON Feed ---- */

static void test_json_feed_11_and_10(void **state)
{
    static const char v11[] =
        "  {\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"安康&lt;测试&gt;\","
        "\"home_page_url\":\"https://ak.example/\",\"language\":\"zh-CN\","
        "\"authors\":[{\"name\":\"编辑部\"}],\"items\":["
        "{\"id\":\"a1\",\"url\":\"/posts/1\",\"title\":\"汉江水位\",\"content_html\":"
        "\"<p>第一段</p><p>第二段</p>\",\"summary\":\"摘要\",\"date_published\":"
        "\"2024-03-05T14:30:00+08:00\",\"date_modified\":\"2024-03-05T15:00:00Z\","
        "\"tags\":[\"防汛\",7],\"authors\":[{\"name\":\"张三\"},{\"name\":\"李四\"}]},"
        "{\"id\":12345678901234567,\"external_url\":\"https://x.example/e\",\"content_text\":"
        "\"纯文本\",\"date_published\":\"2024-03-05\"},"
        "{\"id\":\"bad-date\",\"content_text\":\"x\",\"date_published\":\"yesterday\"},"
        "\"not an object\"]}";
    static const char v10_author[] =
        "{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"t\",\"author\":{\"name\":\"站长\"},"
        "\"items\":[{\"id\":\"1\",\"content_text\":\"x\"}]}";
    struct feed *f = parse_buf(v11, strlen(v11), "application/feed+json");
    char ts[32];

    (void)state;
    assert_string_equal(f->format, "json");
    assert_false(f->bozo);
    assert_string_equal(f->title, "安康<测试>");
    assert_string_equal(f->link, "https://ak.example/");
    assert_int_equal(f->n_entries, 3);
    assert_string_equal(f->entries[0].id, "a1");
    /* relative to the feed's own URL (issue #15), not to home_page_url */
    assert_string_equal(f->entries[0].link, "http://cases.example/posts/1");
    assert_string_equal(f->entries[0].author, "张三");
    assert_true(f->entries[0].content_html);
    assert_string_equal(f->entries[0].summary, "摘要");
    assert_string_equal(yq_time_format_utc(f->entries[0].published, ts, sizeof(ts)),
                        "2024-03-05T06:30:00Z");
    assert_true(f->entries[0].has_updated);
    assert_int_equal(f->entries[0].n_categories, 1);
    assert_string_equal(f->entries[1].id, "12345678901234567"); /* exact, not via double */
    assert_string_equal(f->entries[1].link, "https://x.example/e");
    assert_string_equal(f->entries[1].author, "编辑部"); /* the feed's */
    assert_false(f->entries[1].content_html);
    assert_string_equal(f->entries[1].published_precision, "day");
    assert_false(f->entries[2].has_published); /* unparseable: unknown, never now */
    assert_plain_text(f, 0, "第一段\n第二段");
    feed_free(f);
    f = parse_buf(v10_author, strlen(v10_author), NULL);
    assert_string_equal(f->entries[0].author, "站长");
    feed_free(f);
}

static void test_json_not_a_feed_and_broken(void **state)
{
    static const char weibo[] = "{\"ok\":-100,\"url\":\"https://passport.weibo.cn/\"}";
    static const char broken[] = "{\"version\":\"https://jsonfeed.org/version/1\",\"items\":[";
    struct feed_input in = {.body = weibo, .len = strlen(weibo)};
    struct feed *f = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_NOT_A_FEED);
    assert_memory_equal(err, "not_a_feed: ", 12);
    in.body = broken;
    in.len = strlen(broken);
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_PARSE);
    assert_int_equal(strncmp(err, "not_a_feed", 10) != 0, 1);
    assert_non_null(strstr(err, "JSON"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_009_gbk_labelled_gb2312),
        cmocka_unit_test(test_fc_011_charset_only_in_http_header),
        cmocka_unit_test(test_fc_013_html_entities_and_bare_ampersands),
        cmocka_unit_test(test_fc_014_control_characters),
        cmocka_unit_test(test_fc_015_zoneless_and_cst_dates),
        cmocka_unit_test(test_fc_018_login_page_is_not_a_feed),
        cmocka_unit_test(test_fc_006_wechat_temporary_links_one_item),
        cmocka_unit_test(test_wechat_id_forms),
        cmocka_unit_test(test_fc_008_stale_source_alerts_once),
        cmocka_unit_test(test_json_feed_11_and_10),
        cmocka_unit_test(test_json_not_a_feed_and_broken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
