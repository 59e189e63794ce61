/* Entry → item: id stability (design §2), canonical URLs, text fields, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_fixture.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "file_fixture.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_banned.h"

static struct feed *parse_str(const char *body)
{
    struct feed_input in = {.body = body, .len = strlen(body)};
    struct feed *f = NULL;
    char err[256];

    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), 0);
    return f;
}

static void test_id_from_guid_is_sha1_of_guid(void **state)
{
    struct feed_entry e = {.id = "tag:example.com,2020:1", .link = "http://other.example/"};
    char id[FEED_ITEM_ID_LEN];

    (void)state;
    assert_int_equal(feed_item_id(&e, id, sizeof(id)), 0);
    /* python3 -c "import hashlib; print(hashlib.sha1(b'tag:example.com,2020:1').hexdigest())" */
    assert_string_equal(id, "rss:7dd251babb0de442dc0343413ed2b25e8fe35e0d");
}

/*
 * Issue #10: the id was sha1(guid) whatever the site, so a second source's short guids
 * ("a1") were taken for the first one's and dropped as seen. A guid that is not globally
 * unique by form is hashed with the origin of the entry's link; URL/URN/tag guids keep
 * sha1(guid).
 */
static void test_issue_10_short_guid_scoped_by_link_origin(void **state)
{
    struct feed_entry a = {.id = "a1", .link = "http://A.example/news/1"};
    struct feed_entry a_again = {.id = "a1", .link = "http://a.example/other?x=1"};
    struct feed_entry b = {.id = "a1", .link = "http://b.example:8080/1"};
    struct feed_entry no_link = {.id = "a1"};
    struct feed_entry url = {.id = "http://a.example/news/1", .link = "http://b.example/1"};
    static const struct {
        const char *guid;
        bool global;
    } forms[] = {
        {"http://x.example/1", true},  {"HTTPS://x.example/1", true},
        {"urn:uuid:1", true},          {"TAG:example.com,2020:1", true},
        {"feed+x://y", true},          {"0f8fad5b-d9cb-469f-a165-70867728950e", true},
        {"a1", false},                 {"1234", false},
        {"news:123", false},           {"x://", false},
        {"://x", false},               {"0f8fad5b-d9cb-469f-a165-70867728950", false},
    };
    char ida[FEED_ITEM_ID_LEN], idaa[FEED_ITEM_ID_LEN], idb[FEED_ITEM_ID_LEN],
        idn[FEED_ITEM_ID_LEN], idu[FEED_ITEM_ID_LEN];

    (void)state;
    assert_int_equal(feed_item_id(&a, ida, sizeof(ida)), 0);
    assert_int_equal(feed_item_id(&a_again, idaa, sizeof(idaa)), 0);
    assert_int_equal(feed_item_id(&b, idb, sizeof(idb)), 0);
    assert_int_equal(feed_item_id(&no_link, idn, sizeof(idn)), 0);
    assert_int_equal(feed_item_id(&url, idu, sizeof(idu)), 0);
    /* sha1("a1\nhttp://a.example"), sha1("a1\nhttp://b.example:8080"), sha1("a1") */
    assert_string_equal(ida, "rss:7175b6e37afebbfd605fc87d1461cb73741dbef7");
    assert_string_equal(idaa, ida); /* one site: the same item whatever the path */
    assert_string_equal(idb, "rss:f33822ea70ceaa190f1539c970560582bdc74415");
    assert_string_equal(idn, "rss:f29bc91bbdab169fc0c0a326965953d11c7dff83");
    /* a URL guid keeps today's id: sha1 of the guid alone, whatever the link */
    {
        struct feed_entry alone = {.id = "http://a.example/news/1"};
        char want[FEED_ITEM_ID_LEN];
        assert_int_equal(feed_item_id(&alone, want, sizeof(want)), 0);
        assert_string_equal(idu, want);
    }
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        if (feed_guid_is_global(forms[i].guid) != forms[i].global) {
            print_error("guid '%s'\n", forms[i].guid);
        }
        assert_int_equal(feed_guid_is_global(forms[i].guid), forms[i].global);
    }
}

static void test_id_from_normalised_link(void **state)
{
    struct feed_entry a = {.link = "HTTP://Example.COM:80/a?utm_source=wx&b=1#comments"};
    struct feed_entry b = {.link = "  http://example.com/a?b=1  "};
    char ida[FEED_ITEM_ID_LEN], idb[FEED_ITEM_ID_LEN];

    (void)state;
    assert_int_equal(feed_item_id(&a, ida, sizeof(ida)), 0);
    assert_int_equal(feed_item_id(&b, idb, sizeof(idb)), 0);
    assert_string_equal(ida, "rss:be15c7257b875214d8077d19d0844745f306be33");
    assert_string_equal(ida, idb);
}

/*
 * An entry with neither guid nor link: sha1 of the title + "\n" + the plain item text, the
 * publication time left out (CMS feeds stamp pubDate with the time of the request: 3 such
 * entries became 81 items in 2 minutes). Only an entry without title and text uses the date.
 */
static void test_id_from_title_and_text(void **state)
{
    struct feed_entry e = {.title = "无链接标题", .has_published = true, .published = 1586132926};
    struct feed_entry later = {
        .title = "无链接标题", .has_published = true, .published = 1586139999};
    struct feed_entry text = {
        .title = "无链接标题", .content = "<p>正文&nbsp; 一段</p>", .content_html = true};
    struct feed_entry text_noise = {.title = " 无链接标题\t", .summary = " 正文 \t  一段  "};
    struct feed_entry other_text = {.title = "无链接标题", .summary = "另一段正文"};
    struct feed_entry date_only = {.has_published = true, .published = 1586132926};
    struct feed_entry none = {0};
    char id[FEED_ITEM_ID_LEN], id2[FEED_ITEM_ID_LEN];

    (void)state;
    assert_int_equal(feed_item_id(&e, id, sizeof(id)), 0);
    /* sha1("无链接标题\n"): no text */
    assert_string_equal(id, "rss:c0e7b16dfb28f7d9694171eaad979f6dda6a85e6");
    assert_int_equal(feed_item_id(&later, id2, sizeof(id2)), 0);
    assert_string_equal(id2, id);
    assert_int_equal(feed_item_id(&text, id, sizeof(id)), 0);
    /* sha1("无链接标题\n正文 一段"): entity decoded, whitespace collapsed */
    assert_string_equal(id, "rss:4ef20acf1b92ee4d1464c835183f992fda19b273");
    assert_int_equal(feed_item_id(&text_noise, id2, sizeof(id2)), 0);
    assert_string_equal(id2, id);
    assert_int_equal(feed_item_id(&other_text, id2, sizeof(id2)), 0);
    assert_string_not_equal(id2, id);
    assert_int_equal(feed_item_id(&date_only, id, sizeof(id)), 0);
    /* sha1("2020-04-06T00:28:46Z") */
    assert_string_equal(id, "rss:2697a2cf2c358ce90e7aa1137eabcaa584f0a22e");
    assert_int_equal(feed_item_id(&none, id, sizeof(id)), ERR_INVALID);
}

/*
 * The same entries without guid and link fetched twice, the date stamped at each request:
 * the ids do not change, in every format; entries equal in title and different in text are
 * two items.
 */
static void test_id_without_guid_or_link_ignores_request_date(void **state)
{
    static const char *const formats[] = {
        "<rss version=\"2.0\"><channel><title>t</title>"
        "<item><title>通知</title><description>第一条</description>"
        "<pubDate>Sun, 06 Dec 2026 05:00:00 GMT</pubDate></item>"
        "<item><title>通知</title><description>第二条</description>"
        "<pubDate>Sun, 06 Dec 2026 05:00:00 GMT</pubDate></item></channel></rss>",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
        "<entry><title>通知</title><summary>第一条</summary>"
        "<updated>2026-12-06T05:00:00Z</updated></entry>"
        "<entry><title>通知</title><summary>第二条</summary>"
        "<updated>2026-12-06T05:00:00Z</updated></entry></feed>",
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<channel><title>t</title></channel>"
        "<item><title>通知</title><description>第一条</description>"
        "<dc:date>2026-12-06T05:00:00Z</dc:date></item>"
        "<item><title>通知</title><description>第二条</description>"
        "<dc:date>2026-12-06T05:00:00Z</dc:date></item></rdf:RDF>",
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":["
        "{\"title\":\"通知\",\"content_text\":\"第一条\","
        "\"date_published\":\"2026-12-06T05:00:00Z\"},"
        "{\"title\":\"通知\",\"content_text\":\"第二条\","
        "\"date_published\":\"2026-12-06T05:00:00Z\"}]}",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        const char *poll1 = formats[i];
        char *poll2 = strdup(poll1);
        struct feed *f1, *f2;
        char a1[FEED_ITEM_ID_LEN], b1[FEED_ITEM_ID_LEN], a2[FEED_ITEM_ID_LEN], b2[FEED_ITEM_ID_LEN];
        char *at;

        assert_non_null(poll2);
        /* the second request is stamped 2 s later: both entries' dates change */
        for (int k = 0; k < 2; k++) {
            at = strstr(poll2, "05:00:00");
            assert_non_null(at);
            memcpy(at, "05:00:02", 8);
        }
        f1 = parse_str(poll1);
        f2 = parse_str(poll2);
        if (f1->n_entries != 2 || f2->n_entries != 2) {
            print_error("format %zu\n", i);
        }
        assert_int_equal(f1->n_entries, 2);
        assert_int_equal(f2->n_entries, 2);
        assert_true(f1->entries[0].has_published && f2->entries[0].has_published);
        assert_int_equal(f2->entries[0].published - f1->entries[0].published, 2);
        assert_int_equal(feed_item_id(&f1->entries[0], a1, sizeof(a1)), 0);
        assert_int_equal(feed_item_id(&f1->entries[1], b1, sizeof(b1)), 0);
        assert_int_equal(feed_item_id(&f2->entries[0], a2, sizeof(a2)), 0);
        assert_int_equal(feed_item_id(&f2->entries[1], b2, sizeof(b2)), 0);
        assert_string_equal(a1, a2);
        assert_string_equal(b1, b2);
        assert_string_not_equal(a1, b1); /* same title, other text */
        /* sha1("通知\n第一条"), whatever the format */
        assert_string_equal(a1, "rss:c340a6cc850baea6140a3e4b34ff3cd5e9e1a98a");
        feed_free(f1);
        feed_free(f2);
        free(poll2);
    }
}

/* title and HTML text (UTF-8) written into a one-entry feed of format fmt (0 RSS, 1 Atom, 2 JSON)
 */
static char *one_entry_feed(int fmt, const char *title, const char *text)
{
    static const char *const head[] = {
        "<rss version=\"2.0\"><channel><title>t</title><item><title>",
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title type=\"html\">",
        "{\"version\":\"https://jsonfeed.org/version/"
        "1.1\",\"title\":\"t\",\"items\":[{\"title\":\""};
    static const char *const mid[] = {"</title><description>", "</title><summary type=\"html\">",
                                      "\",\"content_html\":\""};
    static const char *const tail[] = {"</description></item></channel></rss>",
                                       "</summary></entry></feed>", "\"}]}"};
    const char *parts[] = {head[fmt], title, mid[fmt], text, tail[fmt]};
    char *out = malloc(4096);
    size_t o = 0;

    assert_non_null(out);
    for (size_t p = 0; p < 5; p++) {
        for (const char *c = parts[p]; *c; c++) {
            char esc[8] = "";
            if (p % 2 == 1 && fmt < 2) { /* XML: the text of an element */
                snprintf(esc, sizeof(esc), "%s",
                         *c == '&'   ? "&amp;"
                         : *c == '<' ? "&lt;"
                         : *c == '>' ? "&gt;"
                                     : "");
            } else if (p % 2 == 1 && ((unsigned char)*c < 0x20 || *c == '"' || *c == '\\')) {
                snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)(unsigned char)*c); /* JSON */
            }
            if (esc[0]) {
                memcpy(out + o, esc, strlen(esc));
                o += strlen(esc);
            } else {
                out[o++] = *c;
            }
            assert_true(o < 4000);
        }
    }
    out[o] = '\0';
    return out;
}

/*
 * An entry with neither guid nor link that a site re-renders with other white space (U+3000,
 * NBSP, tabs, CR/LF, runs of spaces, line breaks of <p>/<br>), zero-width characters (U+200B,
 * U+FEFF), full-width digits or entity forms of them keeps its id, in RSS, Atom and JSON Feed
 * alike: the id is sha1 of the folded title + "\n" + folded text. A real character changed
 * (3 for 2, 告 for 知, 時 for 时) is another entry. The item keeps its text as it came.
 */
static void test_id_without_guid_or_link_folds_white_space(void **state)
{
    static const struct {
        const char *title, *text;
    } same[] = {
        {"安康 停水通知", "明日 停水 2小时 请储水"},
        {"安康\u3000停水通知", "明日\u3000停水\u3000"
                               "2小时\u3000请储水"},
        {" 安康\t停水通知 ", "<p>明日&nbsp;停水&#160;2小时</p>\r\n<p>请储水</p>"},
        {"安康&#12288;停水通知", "\t明日 \r\n 停水   2小时\n\n请储水 "},
        {"安康 \u200B停水通知", "明日&#8203; 停水 \uFF12小时\uFEFF 请储水"},
        {"安康\u00A0停水通知\u200B", "明日<br>停水 2小时<br/>请储水&#x200B;"},
        {"安康&#x3000;&#x3000;停水通知", "明日&#x2028;停水\u2029"
                                         "2小时\xC2\x85请储水"},
    };
    static const struct {
        const char *title, *text;
    } other[] = {
        {"安康 停水通知", "明日 停水 3小时 请储水"},
        {"安康 停水通告", "明日 停水 2小时 请储水"},
        {"安康 停水通知", "明日 停水 2小時 请储水"},
        {"安康 停水通知", "明日停水 2小时 请储水"},
    };
    char id[FEED_ITEM_ID_LEN];
    struct yq_item item;

    (void)state;
    for (int fmt = 0; fmt < 3; fmt++) {
        for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
            char *body = one_entry_feed(fmt, same[i].title, same[i].text);
            struct feed *f = parse_str(body);

            assert_int_equal(f->n_entries, 1);
            assert_int_equal(feed_item_id(&f->entries[0], id, sizeof(id)), 0);
            if (strcmp(id, "rss:cf347bd03d8a362492abb28848aa2debf552d73e") != 0) {
                print_error("format %d variant %zu: %s\n", fmt, i, id);
            }
            /* sha1("安康 停水通知\n明日 停水 2小时 请储水") */
            assert_string_equal(id, "rss:cf347bd03d8a362492abb28848aa2debf552d73e");
            if (i == 1) {
                /* only the id input is folded: the item's title and text are as they came */
                assert_int_equal(
                    feed_item_from_entry(f, &f->entries[0], "s", NULL, 1772352000, 0, &item), 0);
                assert_string_equal(item.id, id);
                assert_string_equal(item.title, "安康\u3000停水通知");
                assert_string_equal(item.text, "明日\u3000停水\u3000"
                                               "2小时\u3000请储水");
                yq_item_release(&item);
            }
            feed_free(f);
            free(body);
        }
        for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
            char *body = one_entry_feed(fmt, other[i].title, other[i].text);
            struct feed *f = parse_str(body);

            assert_int_equal(feed_item_id(&f->entries[0], id, sizeof(id)), 0);
            assert_string_not_equal(id, "rss:cf347bd03d8a362492abb28848aa2debf552d73e");
            feed_free(f);
            free(body);
        }
    }
}

static void test_id_stable_across_polls(void **state)
{
    /* same items, different order, changed titles and an added item: ids follow the guid */
    static const char poll1[] =
        "<rss version=\"2.0\"><channel><title>t</title>"
        "<item><title>a</title><guid>g-1</guid><link>http://x.example/1</link></item>"
        "<item><title>b</title><link>http://x.example/2#top</link></item></channel></rss>";
    static const char poll2[] =
        "<rss version=\"2.0\"><channel><title>t</title>"
        "<item><title>new</title><guid>g-3</guid></item>"
        "<item><title>b (edited)</title><link>http://x.example/2</link></item>"
        "<item><title>a (edited)</title><guid>g-1</guid><link>http://x.example/1?x</link></item>"
        "</channel></rss>";
    struct feed *f1 = parse_str(poll1), *f2 = parse_str(poll2);
    char a1[FEED_ITEM_ID_LEN], b1[FEED_ITEM_ID_LEN], a2[FEED_ITEM_ID_LEN], b2[FEED_ITEM_ID_LEN],
        n2[FEED_ITEM_ID_LEN];

    (void)state;
    assert_int_equal(feed_item_id(&f1->entries[0], a1, sizeof(a1)), 0);
    assert_int_equal(feed_item_id(&f1->entries[1], b1, sizeof(b1)), 0);
    assert_int_equal(feed_item_id(&f2->entries[0], n2, sizeof(n2)), 0);
    assert_int_equal(feed_item_id(&f2->entries[1], b2, sizeof(b2)), 0);
    assert_int_equal(feed_item_id(&f2->entries[2], a2, sizeof(a2)), 0);
    assert_string_equal(a1, a2);
    assert_string_equal(b1, b2);
    assert_string_not_equal(n2, a2);
    assert_string_not_equal(a1, b1);
    feed_free(f1);
    feed_free(f2);
}

static void test_url_normalize(void **state)
{
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"HTTP://Example.COM:80/a?utm_source=x&b=1#frag", "http://example.com/a?b=1"},
        {"https://example.com:443/p?spm=1.2&id=7", "https://example.com/p?id=7"},
        {"https://example.com:8443/p", "https://example.com:8443/p"},
        {"https://mp.weixin.qq.com/s?__biz=MjM5NzM0MjcyMQ==&mid=2650091036&idx=2&sn=ca35"
         "&chksm=beda&token=1682840778&lang=zh_CN#rd",
         "https://mp.weixin.qq.com/s?__biz=MjM5NzM0MjcyMQ==&mid=2650091036&idx=2&sn=ca35"},
        {"https://mp.weixin.qq.com/s/Yc8WAfJt5xVcYbA2D29Ncw",
         "https://mp.weixin.qq.com/s/Yc8WAfJt5xVcYbA2D29Ncw"},
        {"http://example.com/only-utm?utm_medium=rss", "http://example.com/only-utm"},
        {" /relative/path ", "/relative/path"},
        {"mailto:a@example.com", "mailto:a@example.com"},
        /* field review */
        /* an IDN host and its punycode form are one URL */
        {"http://新华网.中国/politics/a.htm", "http://xn--xkrr14bows.xn--fiqs8s/politics/a.htm"},
        {"http://xn--xkrr14bows.xn--fiqs8s/politics/a.htm",
         "http://xn--xkrr14bows.xn--fiqs8s/politics/a.htm"},
        {"https://例子.中国:443/a?x=1#top", "https://xn--fsqu00a.xn--fiqs8s/a?x=1"},
        /* trackers go, content parameters stay (FC-013 keeps from=rss) */
        {"https://news.example.cn/a?id=7&utm_source=wx&fbclid=AbC&from=rss&gclid=1&spm=a.b",
         "https://news.example.cn/a?id=7&from=rss"},
        {"https://news.example.cn/a?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&msclkid=5&yclid=6",
         "https://news.example.cn/a"},
        /* a raw Chinese path and query are percent-encoded and then read as the link written
           with upper-case escapes: curl writes a query's escapes in lower case */
        {"http://www.example.cn/新闻/1.html?q=汉江 水位",
         "http://www.example.cn/%E6%96%B0%E9%97%BB/"
         "1.html?q=%e6%b1%89%e6%b1%9f%20%e6%b0%b4%e4%bd%8d"},
        /* a plain-ASCII link reaches curl as written (its id is older than this step) */
        {"http://www.example.cn/%e6%96%b0%e9%97%bb/1.html?q=%E6%B1%89",
         "http://www.example.cn/%e6%96%b0%e9%97%bb/1.html?q=%e6%b1%89"},
        {"http://www.example.cn/a/100%.html", "http://www.example.cn/a/100%.html"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(feed_url_normalize(cases[i].in, &out), 0);
        assert_string_equal(out, cases[i].out);
        free(out);
    }
}

/*
 * The ids of plain-ASCII links are a contract: Redis seen-sets, tickets and the archive hold
 * them. Each expected id below was computed by the collector of commit c8ae440, before links
 * were percent-encoded (yuqing-collector parse --format items --url
 * https://base.example.cn/dir/feed.xml); upper-casing every escape gave ankang.gov.cn's
 * ?kw=%E5%AE%89..., WeChat's __biz=...%3D%3D and ?t=%2F new ids. Links with "&" are written
 * "&amp;" in the document. Only links the old code could not normalise (raw non-ASCII, IDN
 * hosts, white space) and those carrying a click tracker it did not drop (fbclid, gclid ...)
 * got new ids (collectors.md).
 */
static void test_ascii_link_ids_as_before_percent_encoding(void **state)
{
    static const struct {
        const char *link, *id;
    } cases[] = {
        {"http://www.ankang.gov.cn/Content-2511234.html?kw=%E5%AE%89%E5%BA%B7",
         "rss:ae5136a6da711cd06eef81b538c07bd8408de456"},
        {"http://www.ankang.gov.cn/Content-2511234.html?kw=%e5%ae%89%e5%ba%b7",
         "rss:ae5136a6da711cd06eef81b538c07bd8408de456"},
        {"https://mp.weixin.qq.com/s?__biz=MzA5FAKE%3D%3D&mid=1&idx=1&sn=abc",
         "rss:f3bfd761d8f091f1bb6135b137cdbe3cdc0f8569"},
        {"https://mp.weixin.qq.com/s?__biz=MzA5FAKE%3d%3d&mid=1&idx=1&sn=abc&chksm=x#rd",
         "rss:f3bfd761d8f091f1bb6135b137cdbe3cdc0f8569"},
        {"https://a.example.cn/list?id=5&t=%2F", "rss:eeb4aa89f5256a023755eb2c239363126ecd9be3"},
        {"https://a.example.cn/list?id=5&t=%2f", "rss:eeb4aa89f5256a023755eb2c239363126ecd9be3"},
        {"https://a.example.cn/%E6%96%B0%E9%97%BB/1.html",
         "rss:235e5d675932f874645c27056d30160c75aa770e"},
        {"https://a.example.cn/%e6%96%b0%e9%97%bb/1.html",
         "rss:a342c94abbf9c597819fdae198fce8e14053b2db"},
        {"https://a.example.cn/%e6%96%b0%e9%97%bb/1.html?q=%E6%96%B0",
         "rss:272f795b316be035bd4c739ad2992445f7efe708"},
        {"https://A.Example.CN:443/a/b.html?x=1&y=2",
         "rss:d72a9a5a2c7269326b7f384c49cf3abbd2b3e9e1"},
        {"http://a.example.cn:80/a?x=1&y=%20z", "rss:4f33eb15401257c10dccc462423526bc367b1022"},
        {"http://a.example.cn:8080/a?x=1#frag", "rss:14fb076680e3df23d913a98da5c8d4889e798220"},
        {"https://a.example.cn/a?utm_source=x&id=3&spm=1.2",
         "rss:d8c14f70ca507e7668594b619d33fce7026d0b87"},
        {"https://a.example.cn/path%2Fwith%2fslash?x=%7e",
         "rss:59a31d0fe701ed868bd2008b2d3d104a46894d05"},
        {"https://a.example.cn/a+b?q=a+b&r=%2B", "rss:ae5a91209e6ecd70b7afd23374ccbe21d259de59"},
        {"https://a.example.cn/a?q=100%25", "rss:2272486accef1b7f1538b01f298ee9f743933b1f"},
        {"https://a.example.cn/~user/%7Euser", "rss:539f15275370a558786d24828b3f322385f45625"},
        {"https://a.example.cn/a?x=%41%42", "rss:42ae9452c00fbb478b3a0d86ce8ea0aea8f59cf3"},
        {"/n1/2026/1204/c1-1.html", "rss:f3c99f97366309e3356ad09e512ca1ecf9394a2e"},
        {"../x/%e4%b8%ad.html?a=%E4", "rss:9945c77815ea7e61229451e0dd94f47a2dc082c0"},
        {"https://a.example.cn/a?q=%E4%B8%AD&q2=%e4%b8%ad",
         "rss:857061b567511c5ed1051633d37c89670eee3a6a"},
        {"https://a.example.cn/a?x=[1]", "rss:f209692873f5d6d1e28416e00696aff6c2bde365"},
        {"https://a.example.cn/a|b?x=^", "rss:c578c4a76109d534615e007f5f732172e44c05c8"},
        {"https://a.example.cn/a?x=%zz", "rss:f9e44c27c1ecb10b01493f1644239ef82fab7966"},
        {"https://a.example.cn/a?x=50%", "rss:c53433f2e8605924402c505681a11d58f774176b"},
        {"HTTPS://A.EXAMPLE.CN/A?Q=%E4", "rss:6a806da8583842ef8a6249856542c585a1f09da9"},
        {"https://user@a.example.cn/a?x=%3d", "rss:9ffe349a22ef2fffadfd49e5ee088a21d5dffae8"},
        {"https://a.example.cn/a/./b/../c?x=%3d", "rss:b5b5a3f2596d0cb058eb7fcfd9b296e574a4df69"},
        {"https://a.example.cn?x=%3d", "rss:b04a6f5f1e3215141e52b11f2b8b181c85bbd7f1"},
        {"https://a.example.cn/a?", "rss:7c3d303a7227fa144f4372fe35e98190b6fa1326"},
        {"https://a.example.cn/a?&&x=%3d&&", "rss:739cd7643cb8fd85799c40fdcb749988206d0f80"},
        {"http://www.example.cn/%e6%96%b0%e9%97%bb/1.html?q=%e6%b1%89",
         "rss:0e943d65de09b657d3fced659e22187bd97a06bf"},
        {"http://www.example.cn/a/100%.html", "rss:e9e027820df3f1572e617dff146f0e0f156f1f27"},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]), len = 0, cap = 16384;
    char *doc = malloc(cap);
    struct feed *f;
    (void)state;

    assert_non_null(doc);
    len += (size_t)snprintf(doc, cap, "<rss version=\"2.0\"><channel><title>x</title>");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(doc + len, cap - len, "<item><title>t%zu</title><link>", i);
        for (const char *c = cases[i].link; *c; c++) {
            len += (size_t)snprintf(doc + len, cap - len, "%s",
                                    *c == '&' ? "&amp;" : (char[2]){*c, 0});
        }
        len += (size_t)snprintf(doc + len, cap - len, "</link></item>");
        assert_true(len < cap);
    }
    len += (size_t)snprintf(doc + len, cap - len, "</channel></rss>");
    assert_true(len < cap);
    {
        struct feed_input in = {
            .body = doc, .len = len, .base_url = "https://base.example.cn/dir/feed.xml"};
        f = ffx_parse(&in);
    }
    assert_int_equal(f->n_entries, n);
    for (size_t i = 0; i < n; i++) {
        char id[FEED_ITEM_ID_LEN];
        assert_int_equal(feed_item_id(&f->entries[i], id, sizeof(id)), 0);
        if (strcmp(id, cases[i].id) != 0) {
            print_error("link %s\n", cases[i].link);
        }
        assert_string_equal(id, cases[i].id);
    }
    feed_free(f);
    free(doc);
}

static void test_item_from_entry_and_json(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\"><channel><title>中国政府网 | wechat-feeds</title>"
        "<item><title>截至6月16日24时疫情最新情况</title>"
        "<link>https://mp.weixin.qq.com/s/XyhhckJ-iDLxqktV2UXM7w</link>"
        "<author>国务院客户端</author>"
        "<description>&lt;p&gt;摘要&lt;/p&gt;</description>"
        "<pubDate>Thu, 17 Jun 2021 09:06:27 +0800</pubDate></item>"
        "<item><title>无日期</title><link>http://x.example/2</link></item>"
        "</channel></rss>";
    struct feed *f = parse_str(body);
    struct yq_item item, back;
    char *json = NULL, err[128];

    (void)state;
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "gov-cn-wx", NULL, 1623900000,
                                          65536, &item),
                     0);
    assert_memory_equal(item.id, "rss:", 4);
    assert_int_equal(strlen(item.id), 44);
    assert_string_equal(item.source, "rss");
    assert_string_equal(item.source_id, "gov-cn-wx");
    assert_string_equal(item.channel, "中国政府网");
    assert_string_equal(item.url, "https://mp.weixin.qq.com/s/XyhhckJ-iDLxqktV2UXM7w");
    assert_string_equal(item.title, "截至6月16日24时疫情最新情况");
    assert_string_equal(item.text, "摘要");
    assert_string_equal(item.author, "国务院客户端");
    assert_true(item.has_published);
    assert_int_equal(item.published_at, 1623891987);
    assert_string_equal(item.precision, "second");
    assert_int_equal(yq_item_encode(&item, &json, NULL), 0);
    assert_non_null(strstr(json, "\"published_at\":\"2021-06-17T01:06:27Z\""));
    assert_non_null(strstr(json, "\"fetched_at\":\"2021-06-17T03:20:00Z\""));
    assert_int_equal(yq_item_decode(json, strlen(json), &back, err, sizeof(err)), 0);
    assert_string_equal(back.id, item.id);
    assert_string_equal(back.channel, "中国政府网");
    yq_item_release(&back);
    free(json);
    yq_item_release(&item);

    /* configured name wins; unknown date stays unknown (never "now") */
    assert_int_equal(feed_item_from_entry(f, &f->entries[1], "gov-cn-wx", "中国政府网微信", 1623900000,
                                          65536, &item),
                     0);
    assert_string_equal(item.channel, "中国政府网微信");
    assert_false(item.has_published);
    assert_int_equal(yq_item_encode(&item, &json, NULL), 0);
    assert_non_null(strstr(json, "\"published_at\":null"));
    free(json);
    yq_item_release(&item);
    feed_free(f);
}

/* An RSS document of n items, item i given as (guid, link, title, description, pubDate). */
struct gen_item {
    const char *guid, *link, *title, *desc, *pub;
};

static char *gen_rss(const struct gen_item *items, size_t n)
{
    size_t cap = 256;
    char *s, *p;

    for (size_t i = 0; i < n; i++) {
        cap += 256 + strlen(items[i].title) + strlen(items[i].desc);
    }
    s = malloc(cap);
    assert_non_null(s);
    p = s + snprintf(s, cap, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\">"
                             "<channel><title>测试</title><link>http://e.example/</link>");
    for (size_t i = 0; i < n; i++) {
        p += snprintf(p, cap - (size_t)(p - s), "<item>");
        if (items[i].guid) {
            p += snprintf(p, cap - (size_t)(p - s), "<guid>%s</guid>", items[i].guid);
        }
        if (items[i].link) {
            p += snprintf(p, cap - (size_t)(p - s), "<link>%s</link>", items[i].link);
        }
        p += snprintf(p, cap - (size_t)(p - s),
                      "<title>%s</title><description>%s</description><pubDate>%s</pubDate>"
                      "</item>",
                      items[i].title, items[i].desc,
                      items[i].pub ? items[i].pub : "Sun, 01 Mar 2026 08:00:00 +0000");
    }
    snprintf(p, cap - (size_t)(p - s), "</channel></rss>");
    return s;
}

/* Issue #10: a > 1 MB title is cut to its limit and marked; the other entry is untouched. */
static void test_issue_10_big_title_bounded(void **state)
{
    char *title = file_fixture_repeat("标", 400000); /* 1.2 MB */
    struct gen_item items[] = {{"g1", "http://e.example/1", title, "一", NULL},
                               {"g2", "http://e.example/2", "正常", "二", NULL}};
    char *doc = gen_rss(items, 2), *json = NULL;
    struct feed *f = parse_str(doc);
    struct yq_item it;
    size_t len = 0;

    (void)state;
    assert_int_equal(f->n_entries, 2);
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "s", NULL, 1772352000, 1 << 20,
                                          &it),
                     0);
    assert_true(strlen(it.title) <= YQ_ITEM_MAX_TITLE_BYTES);
    assert_int_equal(strlen(it.title) % 3, 0);
    assert_int_equal(it.truncated_fields, YQ_ITEM_F_TITLE);
    assert_int_equal(yq_item_encode(&it, &json, &len), 0);
    assert_true(len < 1000000);
    assert_non_null(strstr(json, "\"truncated_fields\":[\"title\"]"));
    free(json);
    yq_item_release(&it);
    assert_int_equal(feed_item_from_entry(f, &f->entries[1], "s", NULL, 1772352000, 1 << 20,
                                          &it),
                     0);
    assert_string_equal(it.title, "正常");
    assert_int_equal(it.truncated_fields, 0);
    yq_item_release(&it);
    feed_free(f);
    free(doc);
    free(title);
}

/* Issue #10: a description over 1 MB (and over max_text_bytes) is cut, not an error. */
static void test_issue_10_big_description_cut_not_failed(void **state)
{
    char *desc = file_fixture_repeat("&lt;p&gt;征地补偿&lt;/p&gt;", 100000); /* HTML, 2.5 MB escaped */
    struct gen_item items[] = {{"g1", "http://e.example/1", "大", desc, NULL},
                               {"g2", "http://e.example/2", "小", "二", NULL}};
    char *doc = gen_rss(items, 2);
    struct feed *f = parse_str(doc);
    struct yq_item it;

    (void)state;
    assert_int_equal(f->n_entries, 2);
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "s", NULL, 1772352000, 1 << 20,
                                          &it),
                     0);
    assert_non_null(it.text);
    assert_true(strlen(it.text) <= YQ_ITEM_MAX_TEXT_BYTES);
    assert_true(strlen(it.text) > YQ_ITEM_MAX_TEXT_BYTES / 2);
    assert_non_null(strstr(it.text, "征地补偿"));
    assert_int_equal(it.truncated_fields, YQ_ITEM_F_TEXT);
    {
        /* the cut never leaves half a character: the JSON text is the item's text */
        char *json = NULL;
        size_t tl = strlen(it.text);
        assert_int_equal(yq_item_encode(&it, &json, NULL), 0);
        assert_non_null(strstr(json, it.text + tl - 12));
        free(json);
    }
    yq_item_release(&it);
    /* a small configured max_text_bytes is honoured the same way */
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "s", NULL, 1772352000, 1000, &it),
                     0);
    assert_true(strlen(it.text) <= 1000);
    assert_int_equal(it.truncated_fields, YQ_ITEM_F_TEXT);
    yq_item_release(&it);
    feed_free(f);
    free(doc);
    free(desc);
}

static char *id_of(const struct feed *f, size_t i)
{
    char id[FEED_ITEM_ID_LEN];
    assert_int_equal(feed_item_id(&f->entries[i], id, sizeof(id)), 0);
    return strdup(id);
}

/* Issue #10: three entries, two share a GUID: three ids, stable across polls and order. */
static void test_issue_10_shared_guid_falls_back_to_link(void **state)
{
    struct gen_item items[] = {{"same", "http://e.example/a", "甲", "一", NULL},
                               {"same", "http://e.example/b", "乙", "二", NULL},
                               {"own", "http://e.example/c", "丙", "三", NULL}};
    struct gen_item reordered[] = {items[2], items[1], items[0]};
    char *doc = gen_rss(items, 3), *doc2 = gen_rss(reordered, 3);
    struct feed *f = parse_str(doc), *g = parse_str(doc2);
    struct feed_entry by_link = {.link = "http://e.example/a"},
                      by_guid = {.id = "own", .link = "http://e.example/c"};
    char *a = id_of(f, 0), *b = id_of(f, 1), *c = id_of(f, 2);
    char want[FEED_ITEM_ID_LEN];

    (void)state;
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(b, c);
    assert_int_equal(feed_item_id(&by_link, want, sizeof(want)), 0);
    assert_string_equal(a, want); /* the shared guid is not used: the link is */
    assert_int_equal(feed_item_id(&by_guid, want, sizeof(want)), 0);
    assert_string_equal(c, want); /* a guid of its own still gives the id */
    /* the next poll, even with the entries in another order, gives the same ids */
    char *a2 = id_of(g, 2), *b2 = id_of(g, 1), *c2 = id_of(g, 0);
    assert_string_equal(a, a2);
    assert_string_equal(b, b2);
    assert_string_equal(c, c2);
    free(a2);
    free(b2);
    free(c2);
    free(a);
    free(b);
    free(c);
    feed_free(f);
    feed_free(g);
    free(doc);
    free(doc2);
}

/* A shared guid with a shared (or missing) link: guid + link + title tells them apart. */
static void test_issue_10_shared_guid_and_link_use_title(void **state)
{
    struct gen_item items[] = {{"same", "http://e.example/x", "甲", "一", NULL},
                               {"same", "http://e.example/x", "乙", "二", NULL},
                               {"same", NULL, "丙", "三", NULL}};
    char *doc = gen_rss(items, 3);
    struct feed *f = parse_str(doc);
    char *a = id_of(f, 0), *b = id_of(f, 1), *c = id_of(f, 2);

    (void)state;
    assert_int_equal(f->entries[0].id_rule, FEED_ID_LINK_TITLE);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, c);
    assert_string_not_equal(b, c);
    free(a);
    free(b);
    free(c);
    feed_free(f);
    free(doc);
}

/* Issue #10: published 8 h after the fetch: flagged, raw value kept, fetch time effective. */
static void test_issue_10_future_timestamp_flagged(void **state)
{
    struct gen_item items[] = {
        {"g1", "http://e.example/1", "北京时间", "一", "Sun, 01 Mar 2026 16:00:00 +0000"},
        {"g2", "http://e.example/2", "正常", "二", "Sun, 01 Mar 2026 08:05:00 +0000"}};
    char *doc = gen_rss(items, 2), *json = NULL;
    struct feed *f = parse_str(doc);
    int64_t fetched = 1772352000; /* 2026-03-01T08:00:00Z */
    struct yq_item it;

    (void)state;
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "s", NULL, fetched, 0, &it), 0);
    assert_true(it.future_timestamp);
    assert_int_equal(it.published_at, fetched + 8 * 3600);
    assert_int_equal(yq_item_effective_time(&it), fetched);
    assert_int_equal(yq_item_encode(&it, &json, NULL), 0);
    assert_non_null(strstr(json, "\"published_at\":\"2026-03-01T16:00:00Z\""));
    assert_non_null(strstr(json, "\"future_timestamp\":true"));
    free(json);
    yq_item_release(&it);
    assert_int_equal(feed_item_from_entry(f, &f->entries[1], "s", NULL, fetched, 0, &it), 0);
    assert_false(it.future_timestamp); /* five minutes ahead: clock skew, taken as given */
    assert_int_equal(yq_item_effective_time(&it), fetched + 300);
    yq_item_release(&it);
    feed_free(f);
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_id_from_guid_is_sha1_of_guid),
        cmocka_unit_test(test_issue_10_short_guid_scoped_by_link_origin),
        cmocka_unit_test(test_id_from_normalised_link),
        cmocka_unit_test(test_id_from_title_and_text),
        cmocka_unit_test(test_id_without_guid_or_link_ignores_request_date),
        cmocka_unit_test(test_id_without_guid_or_link_folds_white_space),
        cmocka_unit_test(test_id_stable_across_polls),
        cmocka_unit_test(test_url_normalize),
        cmocka_unit_test(test_ascii_link_ids_as_before_percent_encoding),
        cmocka_unit_test(test_item_from_entry_and_json),
        cmocka_unit_test(test_issue_10_big_title_bounded),
        cmocka_unit_test(test_issue_10_big_description_cut_not_failed),
        cmocka_unit_test(test_issue_10_shared_guid_falls_back_to_link),
        cmocka_unit_test(test_issue_10_shared_guid_and_link_use_title),
        cmocka_unit_test(test_issue_10_future_timestamp_flagged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
