/*
 * Weibo: response classification, page reading, long text, HTML to text, counts, dates, ids
 * (weibo.h), with the shared cases FC-001, FC-002, FC-005 and the weibo corpus.
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

#include "shared_input.h"
#include "weibo.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

/* 2024-03-05T10:30:00+08:00 */
#define FETCHED_AT 1709605800LL

static const struct weibo_ctx ctx = {
    .source_id = "wb",
    .channel = NULL,
    .fetched_at = FETCHED_AT,
    .max_text_bytes = 1 << 20,
};

static char *dump(const json_t *v)
{
    char *s = yq_json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    assert_non_null(s);
    return s;
}

static json_t *load_shared_json(const char *rel)
{
    char *body = NULL;
    size_t len = 0;
    json_t *j;

    SHARED_READ_OR_SKIP(rel, &body, &len);
    j = json_loadb(body, len, 0, NULL);
    free(body);
    assert_non_null(j);
    return j;
}

static size_t cps(const char *s)
{
    size_t n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

static void test_fc_001_long_text_replaces_truncated_preview(void **state)
{
    json_t *in = load_shared_json("cases/inputs/FC-001.json");
    char *page_s = dump(json_object_get(in, "timeline_getIndex"));
    char *ext_s = dump(json_object_get(in, "statuses_extend_4990000000000123"));
    const char *want_html = json_string_value(json_object_get(
        json_object_get(json_object_get(in, "statuses_extend_4990000000000123"), "data"),
        "longTextContent"));
    struct weibo_page page;
    struct weibo_post *p;
    char err[256];

    (void)state;
    assert_int_equal(weibo_parse_page(page_s, strlen(page_s), &ctx, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_posts, 1);
    p = &page.posts[0];
    assert_string_equal(p->item.id, "weibo:4990000000000123");
    assert_string_equal(p->mid, "4990000000000123");
    assert_true(p->needs_long_text);
    assert_true(p->item.truncated); /* until the long text is in */
    assert_null(strstr(p->item.text, "全文"));
    assert_string_equal(page.since_id, "4990000000000100");
    /* a failed long-text fetch (no body, wrong body) leaves it truncated */
    assert_int_equal(weibo_apply_long_text(p, "{\"ok\":0}", 8, 1 << 20), ERR_PARSE);
    assert_int_equal(weibo_apply_long_text(p, "<html>", 6, 1 << 20), ERR_PARSE);
    assert_true(p->item.truncated);
    /* the extend body completes it */
    assert_int_equal(weibo_apply_long_text(p, ext_s, strlen(ext_s), 1 << 20), 0);
    assert_false(p->item.truncated);
    assert_false(p->needs_long_text);
    assert_string_equal(p->item.text, want_html); /* no markup in this body */
    assert_int_equal(cps(p->item.text), 140);
    assert_non_null(strstr(p->item.text, "疑似燃气泄漏"));
    assert_null(strstr(p->item.text, "全文"));
    assert_null(strstr(p->item.text, "..."));
    assert_int_equal(p->item.metrics.reposts, 3);
    assert_int_equal(p->item.metrics.comments, 17);
    assert_int_equal(p->item.metrics.likes, 40);
    weibo_page_release(&page);
    free(page_s);
    free(ext_s);
    json_decref(in);
}

static void test_long_text_flag_from_status_link_only(void **state)
{
    /* isLongText absent, but the text ends in the /status/<id> 全文 link */
    static const char body[] =
        "{\"ok\":1,\"data\":{\"cards\":[{\"card_type\":9,\"mblog\":{\"id\":\"5000000000000001\","
        "\"created_at\":\"刚刚\",\"text\":\"前半段 ...<a href=\\\"/status/5000000000000001\\\">"
        "全文</a>\",\"user\":{\"id\":1,\"screen_name\":\"u\"}}}]}}";
    struct weibo_page page;
    char err[256];

    (void)state;
    assert_int_equal(weibo_parse_page(body, strlen(body), &ctx, &page, err, sizeof(err)), 0);
    assert_true(page.posts[0].needs_long_text);
    assert_true(page.posts[0].item.truncated);
    assert_string_equal(page.posts[0].item.text, "前半段");
    assert_int_equal(page.posts[0].item.published_at, FETCHED_AT);
    assert_string_equal(page.posts[0].item.precision, "minute");
    weibo_page_release(&page);
}

/*
 * Issue #10: one oversized post must not cost its item. A timeline post and a long text
 * (statuses/extend) over max_text_bytes are cut at a character boundary and marked in
 * truncated_fields; the post's other fields and the page's other post are kept.
 */
static void test_issue_10_oversized_post_text_is_cut_not_refused(void **state)
{
    struct weibo_ctx small = ctx;
    size_t n_chars = 3000; /* 9,000 bytes of 汉 (3 bytes each) against a 4,000-byte limit */
    json_t *page_j, *ext_j;
    char *big = NULL, *body = NULL, *ext = NULL, err[256];
    struct weibo_page page;

    (void)state;
    small.max_text_bytes = 4000;
    big = malloc(n_chars * 3 + 1);
    assert_non_null(big);
    for (size_t i = 0; i < n_chars; i++) {
        memcpy(big + i * 3, "\xE6\xB1\x89", 3);
    }
    big[n_chars * 3] = '\0';
    page_j = json_pack("{s:i,s:{s:[{s:i,s:{s:s,s:s,s:s,s:{s:i,s:s}}},"
                       "{s:i,s:{s:s,s:s,s:s,s:{s:i,s:s}}}]}}",
                       "ok", 1, "data", "cards", "card_type", 9, "mblog", "id", "5000000000000011",
                       "created_at", "刚刚", "text", big, "user", "id", 1, "screen_name", "u",
                       "card_type", 9, "mblog", "id", "5000000000000012", "created_at", "刚刚",
                       "text", "安康 正常的一条", "user", "id", 1, "screen_name", "u");
    assert_non_null(page_j);
    body = dump(page_j);
    assert_int_equal(weibo_parse_page(body, strlen(body), &small, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_posts, 2);
    assert_string_equal(page.posts[0].item.id, "weibo:5000000000000011");
    assert_true(strlen(page.posts[0].item.text) <= small.max_text_bytes);
    assert_true(strlen(page.posts[0].item.text) >= small.max_text_bytes - 3);
    assert_int_equal(strlen(page.posts[0].item.text) % 3, 0); /* whole characters only */
    assert_true(page.posts[0].item.truncated_fields & YQ_ITEM_F_TEXT);
    assert_string_equal(page.posts[1].item.text, "安康 正常的一条");
    assert_false(page.posts[1].item.truncated_fields & YQ_ITEM_F_TEXT);
    /* the long text of the second post is as big: cut and marked, not ERR_TOO_BIG */
    ext_j = json_pack("{s:i,s:{s:s}}", "ok", 1, "data", "longTextContent", big);
    assert_non_null(ext_j);
    ext = dump(ext_j);
    page.posts[1].needs_long_text = true;
    assert_int_equal(weibo_apply_long_text(&page.posts[1], ext, strlen(ext), small.max_text_bytes),
                     0);
    assert_true(strlen(page.posts[1].item.text) <= small.max_text_bytes);
    assert_true(page.posts[1].item.truncated_fields & YQ_ITEM_F_TEXT);
    assert_false(page.posts[1].needs_long_text);
    weibo_page_release(&page);
    json_decref(page_j);
    json_decref(ext_j);
    free(body);
    free(ext);
    free(big);
}

static void test_fc_002_emoticons_alt_text_and_title_never_empty(void **state)
{
    json_t *in = load_shared_json("cases/inputs/FC-002.json");
    json_t *cards = json_array(), *wrap;
    const json_t *mb;
    size_t i;
    struct weibo_page page;
    char *s, err[256];

    (void)state;
    json_array_foreach(json_object_get(in, "mblogs"), i, mb) {
        json_array_append_new(cards, json_pack("{s:i,s:O}", "card_type", 9, "mblog", mb));
    }
    wrap = json_pack("{s:i,s:{s:o}}", "ok", 1, "data", "cards", cards);
    s = dump(wrap);
    assert_int_equal(weibo_parse_page(s, strlen(s), &ctx, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_posts, 2);
    assert_string_equal(page.posts[0].item.id, "weibo:4990000000000201");
    assert_string_equal(page.posts[0].item.text,
                        "地铁2号线停运[怒][怒]，#地铁停运#有没有人知道原因\n求转发网页链接");
    for (size_t k = 0; k < 2; k++) {
        const struct yq_item *it = &page.posts[k].item;
        assert_null(strchr(it->text, '<'));
        assert_null(strstr(it->text, "src="));
        assert_null(strstr(it->text, "style="));
        assert_null(strchr(it->title, '<'));
        assert_true(it->title[0] != '\0');
    }
    assert_string_equal(page.posts[1].item.text, "[doge]");
    assert_string_equal(page.posts[1].item.title, "[doge]");
    weibo_page_release(&page);
    free(s);
    json_decref(wrap);
    json_decref(in);
}

static void test_fc_005_responses_classified(void **state)
{
    static const enum source_state want[] = {
        SOURCE_RATE_LIMITED, SOURCE_AUTH_REQUIRED, SOURCE_AUTH_REQUIRED,
        SOURCE_OK,           SOURCE_BLOCKED,       SOURCE_AUTH_REQUIRED,
    };
    json_t *in = load_shared_json("cases/inputs/FC-005.json");
    const json_t *r;
    size_t i;

    (void)state;
    assert_int_equal(json_array_size(json_object_get(in, "responses")), 6);
    json_array_foreach(json_object_get(in, "responses"), i, r) {
        const json_t *b = json_object_get(r, "body");
        char *body = json_is_string(b) ? strdup(json_string_value(b)) : dump(b);
        const char *ct =
            json_string_value(json_object_get(json_object_get(r, "headers"), "Content-Type"));
        char why[128] = "";
        enum source_state st = weibo_classify((long)json_integer_value(
                                                  json_object_get(r, "status")),
                                              ct, NULL, body, strlen(body), why, sizeof(why));
        if (st != want[i]) {
            print_error("response %zu: %s (%s), want %s\n", i + 1, source_state_name(st), why,
                        source_state_name(want[i]));
        }
        assert_int_equal(st, want[i]);
        if (i == 3) { /* n=4: success with 0 items, end of list */
            struct weibo_page page;
            char err[128];
            assert_int_equal(weibo_parse_page(body, strlen(body), &ctx, &page, err, sizeof(err)),
                             0);
            assert_true(page.empty);
            assert_int_equal(page.n_posts, 0);
            weibo_page_release(&page);
        }
        free(body);
    }
    json_decref(in);
    /* and the neighbours: captcha body, passport redirect, 414, 5xx */
    assert_int_equal(weibo_classify(200, "application/json", NULL, "{\"url\":\"https://x\"}",
                                    strlen("{\"url\":\"https://x\"}"),
                                    NULL, 0),
                     SOURCE_AUTH_REQUIRED);
    assert_int_equal(weibo_classify(200, "text/html", "https://passport.weibo.cn/visitor", "<html>",
                                    6, NULL, 0),
                     SOURCE_AUTH_REQUIRED);
    assert_int_equal(weibo_classify(414, NULL, NULL, "", 0, NULL, 0), SOURCE_RATE_LIMITED);
    assert_int_equal(weibo_classify(502, NULL, NULL, "", 0, NULL, 0), SOURCE_HTTP_ERROR);
    assert_int_equal(weibo_classify(200, "application/json", NULL, "{\"ok\":1,\"data\":{}}",
                                    strlen("{\"ok\":1,\"data\":{}}"),
                                    NULL, 0),
                     SOURCE_OK);
    assert_int_equal(weibo_classify(200, "application/json", NULL, "garbage", 7, NULL, 0),
                     SOURCE_PARSE_ERROR);
}

static void test_counts(void **state)
{
    static const struct {
        const char *in;
        int64_t v;
        bool capped;
        int rc;
    } cases[] = {
        {"12345", 12345, false, 0},   {"1,234", 1234, false, 0},
        {"7.2万", 72000, false, 0},   {"3.2万", 32000, false, 0},
        {"100万+", 1000000, true, 0}, {"1亿", 100000000, false, 0},
        {"7164.8万", 71648000, false, 0}, {"0", 0, false, 0},
        {"", 0, false, ERR_PARSE},    {"万", 0, false, ERR_PARSE},
        {"12x", 0, false, ERR_PARSE}, {"99999999999999999999", 0, false, ERR_PARSE},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t v = -1;
        bool capped = false;
        assert_int_equal(weibo_parse_count(cases[i].in, &v, &capped), cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(v, cases[i].v);
            assert_int_equal(capped, cases[i].capped);
        }
    }
}

static void test_created_at_forms(void **state)
{
    static const struct {
        const char *in;
        const char *utc; /* NULL: ERR_PARSE */
        const char *precision;
    } cases[] = {
        /* fetched at 2024-03-05 10:30 Asia/Shanghai = 02:30Z */
        {"Tue Mar 05 09:12:44 +0800 2024", "2024-03-05T01:12:44Z", "second"},
        {"Sat Jun 15 11:44:46 +0800 2019", "2019-06-15T03:44:46Z", "second"},
        {"刚刚", "2024-03-05T02:30:00Z", "minute"},
        {"5分钟前", "2024-03-05T02:25:00Z", "minute"},
        {"3小时前", "2024-03-04T23:30:00Z", "minute"},
        {"今天 08:05", "2024-03-05T00:05:00Z", "minute"},
        {"昨天 23:59", "2024-03-04T15:59:00Z", "minute"},
        {"前天 00:01", "2024-03-02T16:01:00Z", "minute"},
        {"03-01", "2024-02-29T16:00:00Z", "day"},
        {"12-31", "2023-12-30T16:00:00Z", "day"}, /* a future MM-DD is last year's */
        {"2019-06-14", "2019-06-13T16:00:00Z", "day"},
        {"3月4日 18:00", "2024-03-04T10:00:00Z", "minute"},
        {"2023年12月1日 08:00", "2023-12-01T00:00:00Z", "minute"},
        {"", NULL, NULL},
        {"yesterday", NULL, NULL},
        {"13-40", NULL, NULL},
        {"Tue Foo 05 09:12:44 +0800 2024", NULL, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = 0;
        const char *prec = NULL;
        char ts[32];
        int rc = weibo_parse_created_at(cases[i].in, FETCHED_AT, &t, &prec);
        if (!cases[i].utc) {
            assert_int_equal(rc, ERR_PARSE);
            continue;
        }
        if (rc != 0) {
            print_error("'%s' did not parse\n", cases[i].in);
        }
        assert_int_equal(rc, 0);
        assert_string_equal(yq_time_format_utc(t, ts, sizeof(ts)), cases[i].utc);
        assert_string_equal(prec, cases[i].precision);
    }
}

static void test_bid_to_mid(void **state)
{
    char mid[WEIBO_MID_MAX];
    (void)state;
    /* pairs from the 2019 corpus (bid, mid of the same post) */
    assert_int_equal(weibo_bid_to_mid("HyTZc60ew", mid, sizeof(mid)), 0);
    assert_string_equal(mid, "4383183661430868");
    assert_int_equal(weibo_bid_to_mid("M1VT3jzNX", mid, sizeof(mid)), 0);
    assert_string_equal(mid, "4804608494665869");
    assert_int_equal(weibo_bid_to_mid("", mid, sizeof(mid)), ERR_PARSE);
    assert_int_equal(weibo_bid_to_mid("ab$d", mid, sizeof(mid)), ERR_PARSE);
}

static void test_mid_never_through_double_and_pinned_reposts(void **state)
{
    /* a numeric id above 2^53, a pinned card, a repost with a deleted original, a search group */
    static const char body[] =
        "{\"ok\":1,\"data\":{\"cardlistInfo\":{\"since_id\":\"9007199254740993\"},\"cards\":["
        "{\"card_type\":9,\"profile_type_id\":\"proweibotop_1\",\"mblog\":{\"id\":9007199254740993,"
        "\"created_at\":\"01-02\",\"text\":\"置顶\",\"user\":{\"id\":2,\"screen_name\":\"a\"},"
        "\"reposts_count\":\"100万+\",\"comments_count\":\"7.2万\",\"attitudes_count\":5,"
        "\"region_name\":\"发布于 陕西\"}},"
        "{\"card_type\":9,\"mblog\":{\"mid\":\"5000000000000002\",\"text\":\"转发//@b:原话\","
        "\"created_at\":\"Tue Mar 05 09:00:00 +0800 2024\",\"user\":{\"id\":2,\"screen_name\":\"a\"},"
        "\"retweeted_status\":{\"id\":\"5000000000000001\",\"deleted\":\"1\",\"user\":null,"
        "\"text\":\"抱歉，此微博已被作者删除\"}}},"
        "{\"card_type\":11,\"card_group\":[{\"card_type\":9,\"mblog\":{\"id\":\"5000000000000003\","
        "\"text\":\"搜索结果\",\"user\":{\"id\":3,\"screen_name\":\"c\"},\"bid\":\"\","
        "\"retweeted_status\":{\"id\":\"5000000000000004\",\"text\":\"原微博\",\"isLongText\":true,"
        "\"user\":{\"id\":4,\"screen_name\":\"d\"}}}}]},"
        "{\"card_type\":9,\"mblog\":{\"text\":\"no id\"}}]}}";
    struct weibo_page page;
    char err[256];

    (void)state;
    assert_int_equal(weibo_parse_page(body, strlen(body), &ctx, &page, err, sizeof(err)), 0);
    assert_int_equal(page.n_posts, 4);
    assert_string_equal(page.since_id, "9007199254740993");
    assert_string_equal(page.posts[0].item.id, "weibo:9007199254740993");
    assert_true(page.posts[0].pinned);
    assert_true(page.posts[0].item.metrics.known);
    assert_true(page.posts[0].item.metrics.capped);
    assert_int_equal(page.posts[0].item.metrics.reposts, 1000000);
    assert_int_equal(page.posts[0].item.metrics.comments, 72000);
    assert_int_equal(page.posts[0].item.metrics.likes, 5);
    assert_string_equal(page.posts[0].item.region, "陕西");
    assert_string_equal(page.posts[0].item.precision, "day");
    /* a repost of a deleted original: reply_to kept, no item for the original */
    assert_string_equal(page.posts[1].item.id, "weibo:5000000000000002");
    assert_string_equal(page.posts[1].item.reply_to, "weibo:5000000000000001");
    assert_false(page.posts[1].item.metrics.known);
    assert_null(page.posts[1].item.region);
    /* search card_group; repost with its original as its own item, needing long text */
    assert_string_equal(page.posts[2].item.id, "weibo:5000000000000003");
    assert_string_equal(page.posts[2].item.url, "https://m.weibo.cn/status/5000000000000003");
    assert_string_equal(page.posts[2].item.reply_to, "weibo:5000000000000004");
    assert_string_equal(page.posts[3].item.id, "weibo:5000000000000004");
    assert_true(page.posts[3].is_original);
    assert_true(page.posts[3].needs_long_text);
    assert_string_equal(page.posts[3].item.channel, "d");
    assert_null(page.posts[3].item.reply_to);
    weibo_page_release(&page);
    /* not JSON, no cards */
    assert_int_equal(weibo_parse_page("<html>", 6, &ctx, &page, err, sizeof(err)), ERR_PARSE);
    assert_int_equal(weibo_parse_page("{\"ok\":1}", 8, &ctx, &page, err, sizeof(err)),
                     ERR_PARSE);
    assert_non_null(strstr(err, "cards"));
}

/* ---- corpus ---- */

static struct weibo_page parse_corpus(const char *rel)
{
    char *body = NULL, err[256] = "";
    size_t len = 0;
    struct weibo_page page;

    SHARED_READ_OR_SKIP(rel, &body, &len);
    if (weibo_parse_page(body, len, &ctx, &page, err, sizeof(err)) != 0) {
        print_error("%s: %s\n", rel, err);
        fail();
    }
    free(body);
    return page;
}

static void test_corpus_timeline_2019(void **state)
{
    struct weibo_page page =
        parse_corpus("corpus/weibo/m_weibo_cn_getIndex_107603_timeline_page2_2019.json");
    size_t originals = 0;
    char ts[32];

    (void)state;
    for (size_t i = 0; i < page.n_posts; i++) {
        const struct yq_item *it = &page.posts[i].item;
        originals += page.posts[i].is_original;
        assert_memory_equal(it->id, "weibo:", 6);
        assert_true(it->title[0] != '\0');
        assert_null(strstr(it->text, "<span"));
        assert_null(strstr(it->text, "<img"));
        assert_true(it->has_published);
    }
    assert_int_equal(page.n_posts - originals, 10); /* 10 card_type 9 cards */
    assert_int_equal(page.page, 2);
    assert_string_equal(page.since_id, "");
    assert_string_equal(page.posts[0].item.id, "weibo:4383183661430868");
    assert_string_equal(page.posts[0].item.url, "https://weibo.com/1669879400/HyTZc60ew");
    assert_string_equal(page.posts[0].item.text, "搬完这块砖，就可以吃好吃的了[偷笑][偷笑][偷笑]");
    /* "06-14" read against 2024-03-05: the coming June is in the future, so last year */
    assert_string_equal(yq_time_format_utc(page.posts[0].item.published_at, ts, sizeof(ts)),
                        "2023-06-13T16:00:00Z");
    assert_string_equal(page.posts[0].item.precision, "day");
    assert_int_equal(page.posts[0].item.metrics.reposts, 240492);
    assert_int_equal(page.posts[0].item.metrics.comments, 95535);
    assert_int_equal(page.posts[0].item.metrics.likes, 348872);
    assert_true(page.posts[0].item.metrics.capped); /* number_display_strategy "100万+" */
    assert_string_equal(page.posts[1].item.id, "weibo:4383180406740606");
    assert_non_null(page.posts[1].item.reply_to);
    assert_true(page.posts[2].is_original);
    assert_string_equal(page.posts[1].item.reply_to, page.posts[2].item.id);
    weibo_page_release(&page);
}

static void test_corpus_timeline_2022(void **state)
{
    struct weibo_page page =
        parse_corpus("corpus/weibo/m_weibo_cn_getIndex_107603_timeline_2022_readme_excerpt.json");
    char ts[32];

    (void)state;
    assert_int_equal(page.n_posts, 2);
    assert_string_equal(page.since_id, "4781413147084961");
    assert_string_equal(page.posts[0].item.id, "weibo:4804608494665869");
    assert_string_equal(page.posts[0].item.region, "北京");
    assert_string_equal(page.posts[0].item.reply_to, "weibo:4804268794315521");
    assert_false(page.posts[0].pinned);
    assert_string_equal(yq_time_format_utc(page.posts[0].item.published_at, ts, sizeof(ts)),
                        "2022-08-20T10:29:52Z");
    assert_string_equal(page.posts[1].item.id, "weibo:4804268794315521");
    assert_string_equal(page.posts[1].item.channel, "万科公益基金会");
    assert_int_equal(page.posts[1].item.metrics.reposts, 30125);
    assert_int_equal(page.posts[1].item.metrics.comments, 668);
    assert_int_equal(page.posts[1].item.metrics.likes, 6533);
    weibo_page_release(&page);
}

static void test_corpus_extend_show_comments_profile(void **state)
{
    char *body = NULL, err[256];
    size_t len = 0;
    struct weibo_post post;
    struct weibo_page page;

    (void)state;
    SHARED_READ_OR_SKIP("corpus/weibo/m_weibo_cn_statuses_extend_2019.json", &body, &len);
    memset(&post, 0, sizeof(post));
    post.item.text = strdup("preview");
    post.item.truncated = true;
    post.needs_long_text = true;
    assert_int_equal(weibo_apply_long_text(&post, body, len, 1 << 20), 0);
    assert_false(post.item.truncated);
    assert_null(strstr(post.item.text, "<br"));
    assert_non_null(strchr(post.item.text, '\n'));
    assert_non_null(strstr(post.item.text, "\xF0\x9F")); /* astral emoji kept as UTF-8 */
    yq_item_release(&post.item);
    free(body);
    /* statuses/show, comments, profile: not getIndex pages → a clear parse error */
    SHARED_READ_OR_SKIP("corpus/weibo/m_weibo_cn_statuses_show_repost_2019.json", &body, &len);
    assert_int_equal(weibo_parse_page(body, len, &ctx, &page, err, sizeof(err)), ERR_PARSE);
    assert_int_equal(weibo_classify(200, "application/json", NULL, body, len, NULL, 0), SOURCE_OK);
    free(body);
    SHARED_READ_OR_SKIP("corpus/weibo/m_weibo_cn_comments_show_2019.json", &body, &len);
    assert_int_equal(weibo_parse_page(body, len, &ctx, &page, err, sizeof(err)), ERR_PARSE);
    free(body);
    SHARED_READ_OR_SKIP("corpus/weibo/m_weibo_cn_getIndex_type-uid_profile_2019.json", &body,
                        &len);
    assert_int_equal(weibo_parse_page(body, len, &ctx, &page, err, sizeof(err)), ERR_PARSE);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_001_long_text_replaces_truncated_preview),
        cmocka_unit_test(test_long_text_flag_from_status_link_only),
        cmocka_unit_test(test_issue_10_oversized_post_text_is_cut_not_refused),
        cmocka_unit_test(test_fc_002_emoticons_alt_text_and_title_never_empty),
        cmocka_unit_test(test_fc_005_responses_classified),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_created_at_forms),
        cmocka_unit_test(test_bid_to_mid),
        cmocka_unit_test(test_mid_never_through_double_and_pinned_reposts),
        cmocka_unit_test(test_corpus_timeline_2019),
        cmocka_unit_test(test_corpus_timeline_2022),
        cmocka_unit_test(test_corpus_extend_show_comments_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
