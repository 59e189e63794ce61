/* Feed parser: inline fixtures per feature, dates, and the shared corpus (design §3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "capture.h"
#include "feed_date.h"
#include "feed_fixture.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "feed_prep.h"
#include "feed_text.h"
#include "feed_xml_errors.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_time.h"
#include "yq_banned.h"

static struct feed *parse_ok(const char *body, size_t len, const char *base_url,
                             const char *content_type)
{
    struct feed_input in = {.body = body, .len = len, .base_url = base_url,
                            .content_type = content_type};
    return ffx_parse(&in);
}

static struct feed *parse_str(const char *body)
{
    return parse_ok(body, strlen(body), NULL, NULL);
}

static const char *utc(int64_t t, char *buf)
{
    return ffx_utc(t, buf);
}

static void test_rss20_fields(void **state)
{
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
        "<channel><title>安康发布</title><link>https://example.com/</link>\n"
        "<item><title>汉滨区征地补偿公告</title><link>https://example.com/a/1</link>\n"
        "<guid isPermaLink=\"false\">ak-0001</guid><dc:creator>记者 张三</dc:creator>\n"
        "<pubDate>Mon, 06 Apr 2020 08:28:46 +0800</pubDate>\n"
        "<description>补偿款发放</description><category>政务</category>"
        "<category>汉滨</category></item>\n"
        "<item><title>second</title><link>https://example.com/a/2</link></item>\n"
        "</channel></rss>\n";
    struct feed *f = parse_str(body);
    char ts[32];

    (void)state;
    assert_string_equal(f->format, "rss20");
    assert_false(f->bozo);
    assert_string_equal(f->title, "安康发布");
    assert_string_equal(f->link, "https://example.com/");
    assert_string_equal(f->encoding, "utf-8");
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "汉滨区征地补偿公告");
    assert_string_equal(f->entries[0].link, "https://example.com/a/1");
    assert_string_equal(f->entries[0].id, "ak-0001");
    assert_string_equal(f->entries[0].author, "记者 张三");
    assert_true(f->entries[0].has_published);
    assert_string_equal(utc(f->entries[0].published, ts), "2020-04-06T00:28:46Z");
    assert_string_equal(f->entries[0].published_precision, "second");
    assert_string_equal(f->entries[0].summary, "补偿款发放");
    assert_null(f->entries[0].content);
    assert_int_equal(f->entries[0].n_categories, 2);
    assert_string_equal(f->entries[0].categories[1], "汉滨");
    assert_null(f->entries[1].id);
    assert_false(f->entries[1].has_published);
    feed_free(f);
}

static void test_rss092_and_rdf_formats(void **state)
{
    static const char rss092[] = "<rss version=\"0.92\"><channel><title>t</title>"
                                 "<item><title>a</title></item></channel></rss>";
    static const char rdf[] =
        "<?xml version=\"1.0\"?>"
        "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
        "xmlns=\"http://purl.org/rss/1.0/\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<channel rdf:about=\"http://example.org/\"><title>RDF 频道</title>"
        "<link>http://example.org/</link></channel>"
        "<item rdf:about=\"http://example.org/1\"><title>一</title><link>http://example.org/1</link>"
        "<dc:date>2020-08-25T10:00:00+08:00</dc:date></item>"
        "<item rdf:about=\"http://example.org/2\"><title>二</title></item></rdf:RDF>";
    struct feed *f = parse_str(rss092);
    char ts[32];

    (void)state;
    assert_string_equal(f->format, "rss092");
    assert_int_equal(f->n_entries, 1);
    feed_free(f);
    f = parse_str(rdf);
    assert_string_equal(f->format, "rss10");
    assert_string_equal(f->title, "RDF 频道");
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].id, "http://example.org/1");
    assert_string_equal(utc(f->entries[0].published, ts), "2020-08-25T02:00:00Z");
    assert_string_equal(f->entries[1].title, "二");
    feed_free(f);
}

static void test_atom10_fields_and_xml_base(void **state)
{
    static const char body[] =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://blog.example.com/\">\n"
        "<title type=\"html\">&lt;b&gt;博客&lt;/b&gt; 日志</title>\n"
        "<link rel=\"self\" href=\"http://blog.example.com/atom.xml\"/>\n"
        "<link rel=\"alternate\" href=\"/\"/>\n"
        "<author><name>站长</name></author>\n"
        "<entry><title>第 102 期</title>\n"
        "<link rel=\"alternate\" type=\"text/html\" href=\"2020/04/weekly-102.html\"/>\n"
        "<id>tag:example.com,2020:1</id>\n"
        "<published>2020-04-10T01:07:36Z</published><updated>2020-04-11T02:40:15Z</updated>\n"
        "<summary>摘要</summary><category term=\"Weekly\"/>\n"
        "<content type=\"html\" xml:base=\"http://blog.example.com/blog/\">\n"
        "<![CDATA[<p>第一段</p>]]>\n<![CDATA[<p>第二段</p>]]></content></entry>\n"
        "<entry><title type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">X <b>Y</b>"
        "</div></title><link href=\"http://other.example.com/z\"/>"
        "<author><name>客座</name></author><id>tag:example.com,2020:2</id>"
        "<updated>2020-04-01T00:00:00+08:00</updated></entry>\n"
        "</feed>\n";
    struct feed *f = parse_str(body);
    const struct feed_entry *e;
    char ts[32];

    (void)state;
    assert_string_equal(f->format, "atom10");
    assert_false(f->bozo);
    assert_string_equal(f->title, "博客 日志");
    assert_string_equal(f->link, "http://blog.example.com/");
    assert_int_equal(f->n_entries, 2);
    e = &f->entries[0];
    assert_string_equal(e->title, "第 102 期");
    assert_string_equal(e->link, "http://blog.example.com/2020/04/weekly-102.html");
    assert_string_equal(e->id, "tag:example.com,2020:1");
    assert_string_equal(e->author, "站长"); /* inherited from the feed */
    assert_string_equal(utc(e->published, ts), "2020-04-10T01:07:36Z");
    assert_true(e->has_updated);
    assert_string_equal(utc(e->updated, ts), "2020-04-11T02:40:15Z");
    assert_string_equal(e->summary, "摘要");
    assert_false(e->summary_html);
    assert_true(e->content_html);
    /* adjacent CDATA sections are concatenated */
    assert_non_null(strstr(e->content, "<p>第一段</p>"));
    assert_non_null(strstr(e->content, "<p>第二段</p>"));
    assert_int_equal(e->n_categories, 1);
    assert_string_equal(e->categories[0], "Weekly");
    e = &f->entries[1];
    assert_string_equal(e->title, "X Y");
    assert_string_equal(e->author, "客座");
    assert_string_equal(e->link, "http://other.example.com/z");
    /* only <updated>: it stands in for the publication time */
    assert_true(e->has_published);
    assert_string_equal(utc(e->published, ts), "2020-03-31T16:00:00Z");
    feed_free(f);
}

static void test_atom03(void **state)
{
    static const char body[] =
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>旧版</title>"
        "<entry><title>e</title><link rel=\"alternate\" href=\"http://x.example/1\"/>"
        "<id>x1</id><issued>2004-01-01T00:00:00Z</issued>"
        "<content mode=\"escaped\" type=\"text/html\">&lt;p&gt;hi&lt;/p&gt;</content></entry>"
        "</feed>";
    struct feed *f = parse_str(body);
    char ts[32];

    (void)state;
    assert_string_equal(f->format, "atom03");
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(utc(f->entries[0].published, ts), "2004-01-01T00:00:00Z");
    assert_true(f->entries[0].content_html);
    assert_string_equal(f->entries[0].content, "<p>hi</p>");
    feed_free(f);
}

static void test_cdata_and_entities(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\"><channel><title><![CDATA[时政频道]]></title>"
        "<item><title><![CDATA[文化和旅游部举办“研修班” & <更多>]]></title>"
        "<link>http://example.com/?a=1&amp;b=2</link></item>"
        "<item><title>药明康德股东&#34;偷偷&#34;减持 &amp; 国家电网 &lt;回应&gt;</title></item>"
        "</channel></rss>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_false(f->bozo);
    assert_string_equal(f->title, "时政频道");
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "文化和旅游部举办“研修班” & <更多>");
    assert_string_equal(f->entries[0].link, "http://example.com/?a=1&b=2");
    assert_string_equal(f->entries[1].title, "药明康德股东\"偷偷\"减持 & 国家电网 <回应>");
    feed_free(f);
}

static void test_raw_ampersand_recovered_bozo(void **state)
{
    /* the raw '&' makes the document not well-formed; later &amp; must survive recovery */
    static const char body[] =
        "<rss version=\"2.0\"><channel><title>OSCHINA</title>"
        "<item><title>a</title><link>https://mp.weixin.qq.com/s?__biz=MjM5&mid=26&idx=2#rd</link>"
        "</item><item><title>b &amp; c&nbsp;d</title><link>http://x.example/?p=1&amp;q=2</link>"
        "</item></channel></rss>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_true(f->bozo);
    assert_non_null(f->bozo_message);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].link, "https://mp.weixin.qq.com/s?__biz=MjM5&mid=26&idx=2#rd");
    assert_string_equal(f->entries[1].title, "b & c\xC2\xA0" "d");
    assert_string_equal(f->entries[1].link, "http://x.example/?p=1&q=2");
    feed_free(f);
}

static void test_raw_lt_in_title_recovered(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\"><channel><title>草根网</title>"
        "<item><title>转《<草根网>的前途与未来 》一文的评论</title><link>http://c.example/1</link>"
        "</item><item><title>下一篇</title><link>http://c.example/2</link></item>"
        "</channel></rss>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_true(f->bozo);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "转《<草根网>的前途与未来 》一文的评论");
    assert_string_equal(f->entries[0].link, "http://c.example/1");
    assert_string_equal(f->entries[1].title, "下一篇");
    feed_free(f);
}

static void test_unclosed_tags_still_yield_entries(void **state)
{
    static const char body[] = "<rss version=\"2.0\"><channel><title>t</title>"
                               "<item><title>one</title><description>x</item>"
                               "<item><title>two</title></item>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_true(f->bozo);
    assert_int_equal(f->n_entries, 2);
    assert_string_equal(f->entries[0].title, "one");
    assert_string_equal(f->entries[1].title, "two");
    feed_free(f);
}

static void assert_not_a_feed(const char *body, size_t len)
{
    struct feed_input in = {.body = body, .len = len};
    struct feed *f = NULL;
    char err[256] = "";

    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_NOT_A_FEED);
    assert_null(f);
    assert_memory_equal(err, "not_a_feed: ", 12);
}

/*
 * UTF-8 validation (utf8proc): overlong forms, surrogates, values above U+10FFFF, stray
 * continuation bytes and truncated sequences end the valid prefix; each invalid byte of a
 * declared-UTF-8 feed becomes one U+FFFD and marks the feed bozo.
 */
static void test_invalid_utf8_is_replaced(void **state)
{
    static const struct {
        const char *s;
        size_t len, valid;
    } cases[] = {
        {"abc", 3, 3},
        {"a\xC3\xA9", 3, 3},
        {"\xE4\xB8\xAD\xE6\x96\x87", 6, 6},
        {"\xF0\x9F\x98\x80", 4, 4},
        {"\xC0\x80", 2, 0},             /* overlong NUL */
        {"\xC1\xBF", 2, 0},             /* overlong */
        {"a\xE0\x80\xAF", 4, 1},        /* overlong '/' */
        {"\xF0\x82\x82\xAC", 4, 0},     /* overlong euro sign */
        {"x\xED\xA0\x80", 4, 1},        /* surrogate U+D800 */
        {"\xED\xBF\xBF", 3, 0},         /* surrogate U+DFFF */
        {"\xF4\x90\x80\x80", 4, 0},     /* above U+10FFFF */
        {"\xF5\x80\x80\x80", 4, 0},
        {"\x80", 1, 0},                 /* stray continuation */
        {"ab\xE4\xB8", 4, 2},           /* truncated */
        {"\xEF\xBF\xBD", 3, 3},         /* U+FFFD itself is valid */
    };
    static const char body[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\">"
                               "<channel><title>a\xC0\xAF" "b\xED\xA0\x80" "c\xF4\x90\x80\x80"
                               "d\xE4\xB8</title></channel></rss>";
    struct feed_input in = {.body = body, .len = sizeof(body) - 1,
                            .content_type = "application/rss+xml; charset=utf-8"};
    struct feed *f = NULL;
    char err[256] = "";

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(feed_utf8_valid_prefix(cases[i].s, cases[i].len), cases[i].valid);
    }
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), 0);
    assert_string_equal(f->title, "a\xEF\xBF\xBD\xEF\xBF\xBD"
                                  "b\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                  "c\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"
                                  "d\xEF\xBF\xBD\xEF\xBF\xBD");
    assert_true(f->bozo);
    assert_string_equal(f->bozo_message, "invalid UTF-8");
    feed_free(f);
}

static void test_html_page_is_not_a_feed(void **state)
{
    static const char html[] = "\r\n<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.0 Transitional//EN\" >"
                               "\r\n<HTML><HEAD><title>系统维护中</title></HEAD><BODY>维护</BODY></HTML>";
    static const char xhtml[] = "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"
                                "<body><p>hi</p></body></html>";
    static const char other[] = "<?xml version=\"1.0\"?><sitemap><url/></sitemap>";
    struct feed_input in = {.body = "  \n ", .len = 4};
    struct feed *f = NULL;
    char err[256] = "";

    (void)state;
    assert_not_a_feed(html, strlen(html));
    assert_not_a_feed(xhtml, strlen(xhtml));
    assert_not_a_feed(other, strlen(other));
    /* an empty body is an error too, but not "not a feed" */
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_PARSE);
    assert_int_equal(strncmp(err, "not_a_feed", 10) != 0, 1);
}

static void test_bom_and_leading_blank_lines(void **state)
{
    static const char body[] = "\xEF\xBB\xBF\r\n\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<rss version=\"2.0\"><channel><title>PPTmall</title>"
                               "<item><title>素材</title></item></channel></rss>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_string_equal(f->title, "PPTmall");
    assert_string_equal(f->encoding, "utf-8");
    assert_int_equal(f->n_entries, 1);
    assert_string_equal(f->entries[0].title, "素材");
    feed_free(f);
}

static void test_gb2312_declared_read_as_gb18030(void **state)
{
    /* 朱镕基 in GBK: 镕 (0xE946) is not in GB2312, which iconv GB2312 would reject */
    static const char body[] = "<?xml version=\"1.0\" encoding=\"gb2312\"?><rss version=\"2.0\">"
                               "<channel><title>\xD6\xEC\xE9\x46\xBB\xF9</title></channel></rss>";
    static const char utf8_decl[] = "<?xml version=\"1.0\" encoding=\"utf-8\"?><rss version=\"2.0\">"
                                    "<channel><title>\xD6\xEC\xE9\x46\xBB\xF9</title></channel></rss>";
    struct feed *f = parse_ok(body, strlen(body), NULL, NULL);

    (void)state;
    assert_string_equal(f->encoding, "gb18030");
    assert_string_equal(f->title, "朱镕基");
    feed_free(f);
    /* the HTTP charset beats the declaration */
    f = parse_ok(utf8_decl, strlen(utf8_decl), NULL, "application/rss+xml; charset=GBK");
    assert_string_equal(f->encoding, "gb18030");
    assert_string_equal(f->title, "朱镕基");
    feed_free(f);
}

static void test_relative_links(void **state)
{
    static const char with_channel_link[] =
        "<rss version=\"2.0\"><channel><title>t</title><link>http://example.com/news/</link>"
        "<item><title>a</title><link>../a/1.html</link></item>"
        "<item xml:base=\"http://base.example.org/x/\"><title>b</title><link>b.html</link></item>"
        "</channel></rss>";
    static const char without_channel_link[] =
        "<rss version=\"2.0\"><channel><title>t</title>"
        "<item><title>a</title><link>/p/2</link></item></channel></rss>";
    struct feed *f = parse_ok(with_channel_link, strlen(with_channel_link),
                              "http://feeds.example.net/rss.xml", NULL);

    (void)state;
    assert_string_equal(f->entries[0].link, "http://example.com/a/1.html");
    assert_string_equal(f->entries[1].link, "http://base.example.org/x/b.html");
    feed_free(f);
    f = parse_ok(without_channel_link, strlen(without_channel_link),
                 "http://feeds.example.net/dir/rss.xml", NULL);
    assert_string_equal(f->entries[0].link, "http://feeds.example.net/p/2");
    feed_free(f);
}

static void test_content_encoded_preferred(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\">"
        "<channel><title>上海发布 | wechat-feeds</title><item><title>标题</title>"
        "<link>https://mp.weixin.qq.com/s/Yc8WAfJt5xVcYbA2D29Ncw</link>"
        "<description>短摘要</description>"
        "<content:encoded><![CDATA[<p>全文&nbsp;第一段</p><p>第二段<br/>下一行</p>"
        "<script>alert(1)</script><img alt=\"[微笑]\" src=\"x.png\">]]></content:encoded>"
        "</item></channel></rss>";
    struct feed *f = parse_str(body);
    struct yq_item item;

    (void)state;
    assert_string_equal(f->entries[0].summary, "短摘要");
    assert_true(f->entries[0].content_html);
    assert_int_equal(feed_item_from_entry(f, &f->entries[0], "shfb", NULL, 1700000000, 65536,
                                          &item),
                     0);
    assert_string_equal(item.text, "全文\xC2\xA0第一段\n第二段\n下一行\n[微笑]");
    assert_string_equal(item.channel, "上海发布");
    yq_item_release(&item);
    feed_free(f);
}

static void test_undefined_html_entities(void **state)
{
    static const char body[] = "<rss version=\"2.0\"><channel><title>a&mdash;b&hellip;</title>"
                               "<item><title>x&copy;&foo;</title></item></channel></rss>";
    struct feed *f = parse_str(body);

    (void)state;
    assert_true(f->bozo);
    assert_string_equal(f->title, "a—b…");
    assert_string_equal(f->entries[0].title, "x©&foo;");
    feed_free(f);
}

static void test_dates(void **state)
{
    static const struct ffx_date_case cases[] = {
        {"Mon, 06 Apr 2020 08:28:46 +0800", "2020-04-06T00:28:46Z", "second"},
        {"Fri, 03 Apr 2020 04:02:23 GMT", "2020-04-03T04:02:23Z", "second"},
        {"Fri, 03 Apr 2020 04:02:23 UTC", "2020-04-03T04:02:23Z", "second"},
        {"Fri, 03 Apr 2020 04:02:23 Z", "2020-04-03T04:02:23Z", "second"},
        {"Fri, 03 Apr 2020 12:02:23 CST", "2020-04-03T04:02:23Z", "second"}, /* China, not US */
        {"Thu, 27 Feb 2020 15:40:26 EST", "2020-02-27T20:40:26Z", "second"},
        {"Thu, 27 Feb 2020 15:40:26 -0500", "2020-02-27T20:40:26Z", "second"},
        {"03 Apr 2020 12:02:23 +0800", "2020-04-03T04:02:23Z", "second"},     /* no day name */
        {"Fri, 03 Apr 20 12:02:23 +0800", "2020-04-03T04:02:23Z", "second"},  /* 2-digit year */
        {"Sat, 03 Apr 99 12:02 GMT", "1999-04-03T12:02:00Z", "minute"},
        {"Fri, 3 Apr 2020 12:02:23", "2020-04-03T04:02:23Z", "second"},       /* zone-less */
        {"Fri, 03 Apr 2020", "2020-04-02T16:00:00Z", "day"},
        {"Sat, 15 Jun 2019 11:44:46 GMT+0800", "2019-06-15T03:44:46Z", "second"},
        {"2020-08-25 16:44:16", "2020-08-25T08:44:16Z", "second"},             /* zone-less */
        {"2020-08-25", "2020-08-24T16:00:00Z", "day"},                         /* date-only */
        {"2020-04-10T01:07:36Z", "2020-04-10T01:07:36Z", "second"},
        {"2020-04-10T09:07:36.123+08:00", "2020-04-10T01:07:36Z", "second"},
        {"2019-12-31 21:34:22 +08:00", "2019-12-31T13:34:22Z", "second"},
        {"2020/08/25 16:44", "2020-08-25T08:44:00Z", "minute"},
        {"2024年3月5日 14:30", "2024-03-05T06:30:00Z", "minute"},
        {"2024年03月05日", "2024-03-04T16:00:00Z", "day"},
        {"2024-03-05-14:30:00", "2024-03-05T06:30:00Z", "second"},
        {"2024年3月5日 14:30 晚", NULL, NULL},
        {"  \n ", NULL, NULL},
        {"", NULL, NULL},
        {"yesterday", NULL, NULL},
        {"刚刚", NULL, NULL},
        {"Mon, 06 Foo 2020 08:28:46 +0800", NULL, NULL},
        {"Mon, 06 Apr 2020 08:28:46 XYZ", NULL, NULL},
        {"Mon, 36 Apr 2020 08:28:46 +0800", NULL, NULL},
        {"2020-13-01", NULL, NULL},
        /* past the last instant RFC 3339 can write the item's encoding would not decode */
        {"Fri, 31 Dec 9999 23:59:59 GMT", "9999-12-31T23:59:59Z", "second"},
        {"Fri, 31 Dec 9999 23:00:00 -0100", NULL, NULL},
        {"Fri, 31 Dec 9999 23:00:00 -1200", NULL, NULL},
        {"9999-12-31T24:00:00Z", NULL, NULL},
        {"Mon, 01 Jan 0001 00:00:00 +1400", "0000-12-31T10:00:00Z", "second"},
    };
    (void)state;
    ffx_check_dates(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_entry_dates_unknown_never_now(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\"><channel><title>t</title><pubDate>  </pubDate>"
        "<item><title>a</title><pubDate>  </pubDate></item>"
        "<item><title>b</title><pubDate>前天</pubDate></item>"
        "<item><title>c</title><pubDate>2020-08-25</pubDate></item></channel></rss>";
    struct feed *f = parse_str(body);
    char ts[32];

    (void)state;
    assert_false(f->entries[0].has_published);
    assert_false(f->entries[1].has_published);
    assert_true(f->entries[2].has_published);
    assert_string_equal(f->entries[2].published_precision, "day");
    assert_string_equal(utc(f->entries[2].published, ts), "2020-08-24T16:00:00Z");
    feed_free(f);
}

static void test_html_to_text(void **state)
{
    static const struct {
        const char *html;
        const char *text;
    } cases[] = {
        {"<p style=\"text-indent: 2em;\">\xE3\x80\x80\xE3\x80\x80人民网北京8月25日电</p>"
         "<p>第二段&amp;引号&ldquo;x&rdquo;</p>",
         "人民网北京8月25日电\n第二段&引号“x”"},
        {"a  b\t\tc", "a b c"},
        {"<ul><li>一</li><li>二</li></ul>尾", "一\n二\n尾"},
        {"<style>p{}</style><div>x</div>", "x"},
        {"", ""},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(feed_text_from_html(cases[i].html, strlen(cases[i].html), 65536, &out), 0);
        assert_string_equal(out, cases[i].text);
        free(out);
    }
}

/* ---- corpus ---- */

struct corpus_case {
    const char *file;        /* relative to YQ_SHARED_DIR/corpus */
    int n_entries;           /* -1: must be not_a_feed */
    const char *first_title; /* exact */
    const char *format;
    bool bozo;
};

/* Counted and read by eye from the files (grep '<item'/'<entry', first <title> of an item). */
static const struct corpus_case corpus[] = {
    {"rss/caogen_rss_utf8_bom_empty_pubdate.xml", 22, "疫情之后形势预判", "rss20", true},
    {"rss/gb2312_no_declaration_fixture.xml", 1, "信息交换用汉字编码字符集·基本集，通常简称GB",
     "rss", true},
    {"rss/hexun_rss_url_returns_html_gb2312.xml", -1, NULL, NULL, false},
    {"rss/oschina_news_rss_0800.xml", 50, "Chrome OS 的 Linux 终端迎来一系列新功能，运行更轻松",
     "rss20", true},
    {"rss/people_com_cn_politics_rss_2020-08-25_excerpt.xml", 4,
     "文化和旅游部为尼日利亚举办“后疫情时代文化和旅游产业融合发展研修班”", "rss20", false},
    {"rss/pptmall_rss_leading_blank_lines.xml", 20,
     "起跑线上的女生视频素材背景标题左侧进入PPT动画模板素材下载", "rss20", false},
    {"rss/ruanyifeng_blog_atom.xml", 3, "科技爱好者周刊：第 102 期", "atom10", false},
    {"wechat/wechat-feeds_shanghaifabu_MjM5NTA5NzYyMA.xml", 20,
     "人均健康预期寿命≥71岁、成人吸烟率＜19%…沪推进爱国卫生运动，提出这些目标！", "rss20", false},
    {"wechat/wechat-feeds_shijie_MTA3NDI5ODU0MQ.xml", 16, "潘石屹成功大撤退", "rss20", false},
    {"wechat/wechat-feeds_zhongguozhengfuwang_MzA4MDA0MzcwMA.xml", 12,
     "截至6月16日24时新型冠状病毒肺炎疫情最新情况", "rss20", false},
    /* GBK bytes, no declaration possible in JSON: sniffed, read as GB18030 (bozo) */
    {"rss/jsonfeed_gbk_encoded_fixture.json", 2, NULL, "json", true},
    {"rss/v2ex_jsonfeed_1.0.json", 1, "什么插件可以做到 JSON 格式化/压缩/还原/转 2JZ 的？", "json",
     false},
};

static const struct corpus_case *corpus_find(const char *dir, const char *name)
{
    char rel[512];
    snprintf(rel, sizeof(rel), "%s/%s", dir, name);
    for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++) {
        if (strcmp(corpus[i].file, rel) == 0) {
            return &corpus[i];
        }
    }
    return NULL;
}

static void check_corpus_file(const char *path, const struct corpus_case *c)
{
    struct feed_input in = {0};
    struct feed *f = NULL;
    char *body = NULL, err[256] = "";
    size_t len = 0;
    int rc;

    assert_int_equal(yq_fs_read_file(path, 16 * 1024 * 1024, &body, &len), 0);
    in.body = body;
    in.len = len;
    in.base_url = "http://corpus.example/feed";
    rc = feed_parse(&in, &f, err, sizeof(err));
    free(body);
    if (c->n_entries < 0) {
        assert_int_equal(rc, ERR_NOT_A_FEED);
        assert_memory_equal(err, "not_a_feed: ", 12);
        return;
    }
    if (rc != 0) {
        print_error("%s: %s\n", path, err);
    }
    assert_int_equal(rc, 0);
    if ((int)f->n_entries != c->n_entries) {
        print_error("%s: %zu entries, expected %d\n", path, f->n_entries, c->n_entries);
    }
    assert_int_equal(f->n_entries, c->n_entries);
    if (c->first_title) {
        assert_string_equal(f->entries[0].title, c->first_title);
    } else {
        assert_null(f->entries[0].title); /* JSON Feed titles are optional */
    }
    assert_string_equal(f->format, c->format);
    assert_int_equal(f->bozo, c->bozo);
    for (size_t i = 0; i < f->n_entries; i++) {
        char id[FEED_ITEM_ID_LEN];
        if (strcmp(c->format, "json") != 0) {
            assert_non_null(f->entries[i].title);
        }
        assert_int_equal(feed_item_id(&f->entries[i], id, sizeof(id)), 0);
    }
    feed_free(f);
}

static void test_corpus_json_feed_values(void **state)
{
    char path[1024], *body = NULL;
    size_t len = 0;
    struct feed_input in = {0};
    struct feed *f = NULL;
    char err[256], ts[32];
    struct stat st;

    (void)state;
    snprintf(path, sizeof(path), "%s/corpus/rss/jsonfeed_gbk_encoded_fixture.json", YQ_SHARED_DIR);
    if (stat(path, &st) != 0) {
        print_message("shared corpus not found at %s: skipping\n", path);
        skip();
    }
    assert_int_equal(yq_fs_read_file(path, 1 << 20, &body, &len), 0);
    in.body = body;
    in.len = len;
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), 0);
    free(body);
    assert_string_equal(f->encoding, "gb18030");
    assert_string_equal(f->title, "中国国家标准简体中文字符集，全称《信息交换用汉字编码字符集·基本集》");
    assert_string_equal(f->entries[0].id, "2");
    assert_string_equal(f->entries[0].link, "https://example.org/second-item");
    assert_string_equal(f->entries[0].content, "This is a second item.");
    assert_false(f->entries[0].content_html);
    assert_string_equal(f->entries[1].content, "<p>Hello, world!</p>");
    assert_true(f->entries[1].content_html);
    feed_free(f);
    snprintf(path, sizeof(path), "%s/corpus/rss/v2ex_jsonfeed_1.0.json", YQ_SHARED_DIR);
    assert_int_equal(yq_fs_read_file(path, 1 << 20, &body, &len), 0);
    in.body = body;
    in.len = len;
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), 0);
    free(body);
    assert_string_equal(f->encoding, "utf-8");
    assert_string_equal(f->entries[0].id, "https://www.v2ex.com/t/641290");
    assert_string_equal(f->entries[0].author, "testuser");
    assert_string_equal(utc(f->entries[0].published, ts), "2020-01-31T15:05:16Z");
    assert_null(f->entries[0].content); /* empty content_html */
    feed_free(f);
}

static void test_corpus(void **state)
{
    static const char *const dirs[] = {"rss", "wechat"};
    char base[1024];
    struct stat st;
    size_t checked = 0;

    (void)state;
    snprintf(base, sizeof(base), "%s/corpus", YQ_SHARED_DIR);
    if (stat(base, &st) != 0) {
        print_message("shared corpus not found at %s: skipping\n", base);
        skip();
    }
    for (size_t d = 0; d < 2; d++) {
        char dir[1200];
        DIR *dh;
        struct dirent *de;

        snprintf(dir, sizeof(dir), "%s/%s", base, dirs[d]);
        dh = opendir(dir);
        assert_non_null(dh);
        while ((de = readdir(dh)) != NULL) {
            const struct corpus_case *c;
            char path[1600];
            size_t n = strlen(de->d_name);
            if (de->d_name[0] == '.' || n == 0) {
                continue;
            }
            c = corpus_find(dirs[d], de->d_name);
            if (!c) {
                print_error("corpus file %s/%s has no expectation in the table\n", dirs[d],
                            de->d_name);
            }
            assert_non_null(c);
            snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
            check_corpus_file(path, c);
            checked++;
        }
        closedir(dh);
    }
    assert_int_equal(checked, sizeof(corpus) / sizeof(corpus[0]));
}

/* Issue #10: a 10.5 MB text node (beyond libxml2's 10 MB default) and the next entry */
static void test_issue_10_huge_text_node_keeps_next_entry(void **state)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\">"
                               "<channel><title>大</title><item><guid>g1</guid><title>一</title>"
                               "<description>";
    static const char tail[] = "</description></item><item><guid>g2</guid><title>二</title>"
                               "<description>短</description></item></channel></rss>";
    size_t big = 10500000, len = sizeof(head) - 1 + big + sizeof(tail) - 1;
    char *doc = malloc(len + 1), err_text[4096];
    struct feed *f;
    struct capture_tmp cap;

    (void)state;
    assert_non_null(doc);
    memcpy(doc, head, sizeof(head) - 1);
    memset(doc + sizeof(head) - 1, 'y', big);
    memcpy(doc + sizeof(head) - 1 + big, tail, sizeof(tail));
    capture_tmp_begin(&cap, STDERR_FILENO);
    f = parse_ok(doc, len, NULL, NULL);
    capture_tmp_end(&cap, err_text, sizeof(err_text));
    assert_string_equal(err_text, ""); /* nothing raw on stderr */
    assert_int_equal(f->n_entries, 2);
    assert_false(f->bozo);
    /* kept up to the field bound (memory), marked cut; the next entry intact */
    assert_int_equal(strlen(f->entries[0].summary), FEED_MAX_FIELD_BYTES);
    assert_true(f->entries[0].text_cut);
    assert_false(f->entries[1].text_cut);
    assert_string_equal(f->entries[1].title, "二");
    assert_string_equal(f->entries[1].summary, "短");
    feed_free(f);
    free(doc);
}

/* Issue #10: libxml2's own error reports reach the logger as one line, never stderr. */
static void test_issue_10_libxml2_errors_not_on_stderr(void **state)
{
    static const char bad[] = "<rss><channel><title>x</titel>\n<item>&bogus;</item></rss>";
    struct feed_xml_errors xe;
    xmlDocPtr doc;
    struct capture_tmp cap;
    char err_text[4096];

    (void)state;
    capture_tmp_begin(&cap, STDERR_FILENO);
    feed_xml_errors_begin(&xe, "test", true);
    /* without XML_PARSE_NOERROR libxml2 would print a multi-line report to stderr */
    doc = xmlReadMemory(bad, (int)sizeof(bad) - 1, NULL, "UTF-8", XML_PARSE_RECOVER);
    feed_xml_errors_end(&xe);
    capture_tmp_end(&cap, err_text, sizeof(err_text));
    assert_string_equal(err_text, "");
    assert_true(xe.count >= 2);
    assert_true(xe.first_line >= 1);
    assert_non_null(strstr(xe.first, "titel"));
    assert_null(strchr(xe.first, '\n'));
    xmlFreeDoc(doc);
}

/* Issue #10: entries sharing a guid are told apart in the parse result */
static void test_issue_10_shared_guid_marked(void **state)
{
    struct feed *f = parse_str(
        "<rss version=\"2.0\"><channel><title>t</title>"
        "<item><guid>same</guid><link>http://e.example/1</link><title>a</title></item>"
        "<item><guid>same</guid><link>http://e.example/2</link><title>b</title></item>"
        "<item><guid>own</guid><link>http://e.example/3</link><title>c</title></item>"
        "</channel></rss>");

    (void)state;
    assert_int_equal(f->n_entries, 3);
    assert_int_equal(f->entries[0].id_rule, FEED_ID_LINK);
    assert_int_equal(f->entries[1].id_rule, FEED_ID_LINK);
    assert_int_equal(f->entries[2].id_rule, FEED_ID_GUID);
    feed_free(f);
}

/*
 * issue #12: an entry's categories grow past the first capacity (16); enclosures stop at
 * FEED_MAX_ENCLOSURES, the later ones dropped.
 */
static void test_issue_12_many_categories_and_enclosures(void **state)
{
    char body[4096] = "<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>";
    struct feed *f;
    char want[64];

    (void)state;
    for (int i = 0; i < 20; i++) {
        size_t n = strlen(body);
        snprintf(body + n, sizeof(body) - n,
                 "<category>c%d</category><enclosure url=\"http://e.example/%d.mp3\"/>", i, i);
    }
    snprintf(body + strlen(body), sizeof(body) - strlen(body), "</item></channel></rss>");
    f = parse_str(body);
    assert_int_equal(f->n_entries, 1);
    assert_int_equal(f->entries[0].n_categories, 20);
    assert_int_equal(f->entries[0].n_enclosures, FEED_MAX_ENCLOSURES);
    for (int i = 0; i < 20; i++) {
        snprintf(want, sizeof(want), "c%d", i);
        assert_string_equal(f->entries[0].categories[i], want);
        if (i < FEED_MAX_ENCLOSURES) {
            snprintf(want, sizeof(want), "http://e.example/%d.mp3", i);
            assert_string_equal(f->entries[0].enclosures[i], want);
        }
    }
    feed_free(f);
}

/*
 * An entry's categories stop at FEED_MAX_CATEGORIES, the first ones kept, in each format that
 * has them (RSS <category>, Atom <category term>, JSON Feed tags).
 */
static void test_categories_capped_in_every_format(void **state)
{
    static const struct {
        const char *head, *open, *close, *sep, *tail; /* category i: open "c<i>" close */
    } cases[] = {
        {"<rss version=\"2.0\"><channel><title>t</title><item><title>a</title>", "<category>",
         "</category>", "", "</item></channel></rss>"},
        {"<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title><entry><title>a</title>"
         "<id>urn:a</id>",
         "<category term=\"", "\"/>", "", "</entry></feed>"},
        {"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{\"id\":"
         "\"1\",\"title\":\"a\",\"tags\":[",
         "\"", "\"", ",", "]}]}"},
    };
    const int n_sent = FEED_MAX_CATEGORIES + 6;
    char body[8192];
    char want[32];

    (void)state;
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct feed *f;
        size_t n = (size_t)snprintf(body, sizeof(body), "%s", cases[k].head);

        for (int i = 0; i < n_sent; i++) {
            n += (size_t)snprintf(body + n, sizeof(body) - n, "%s%sc%d%s", i ? cases[k].sep : "",
                                  cases[k].open, i, cases[k].close);
        }
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s", cases[k].tail);
        assert_true(n < sizeof(body));
        f = parse_str(body);
        assert_int_equal(f->n_entries, 1);
        assert_int_equal(f->entries[0].n_categories, FEED_MAX_CATEGORIES);
        for (int i = 0; i < FEED_MAX_CATEGORIES; i++) {
            snprintf(want, sizeof(want), "c%d", i);
            assert_string_equal(f->entries[0].categories[i], want);
        }
        feed_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rss20_fields),
        cmocka_unit_test(test_rss092_and_rdf_formats),
        cmocka_unit_test(test_atom10_fields_and_xml_base),
        cmocka_unit_test(test_atom03),
        cmocka_unit_test(test_cdata_and_entities),
        cmocka_unit_test(test_raw_ampersand_recovered_bozo),
        cmocka_unit_test(test_raw_lt_in_title_recovered),
        cmocka_unit_test(test_unclosed_tags_still_yield_entries),
        cmocka_unit_test(test_html_page_is_not_a_feed),
        cmocka_unit_test(test_invalid_utf8_is_replaced),
        cmocka_unit_test(test_bom_and_leading_blank_lines),
        cmocka_unit_test(test_gb2312_declared_read_as_gb18030),
        cmocka_unit_test(test_relative_links),
        cmocka_unit_test(test_content_encoded_preferred),
        cmocka_unit_test(test_undefined_html_entities),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_entry_dates_unknown_never_now),
        cmocka_unit_test(test_html_to_text),
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_corpus_json_feed_values),
        cmocka_unit_test(test_issue_10_huge_text_node_keeps_next_entry),
        cmocka_unit_test(test_issue_10_libxml2_errors_not_on_stderr),
        cmocka_unit_test(test_issue_10_shared_guid_marked),
        cmocka_unit_test(test_issue_12_many_categories_and_enclosures),
        cmocka_unit_test(test_categories_capped_in_every_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
