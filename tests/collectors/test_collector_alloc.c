/*
 * Allocation failures in the collector's parsers (c-style.md §8): feed_parse() on RSS 2.0,
 * Atom and JSON Feed bodies, weibo_parse_page() on a timeline page, and the sources config
 * loader. Every allocation in turn fails (once, and from then on), ours through the linker's
 * --wrap and libxml2's and jansson's through their allocator hooks. Each call must return 0,
 * ERR_NOMEM or (when the library's own allocation failed and it reported a parse error)
 * ERR_PARSE, leave its output empty on failure, and never crash or leak. A success after a
 * failure in our own code must give the same result as a clean run (no silently dropped
 * field).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "alloc_fail.h"
#include "collector_cfg.h"
#include "feed_parse.h"
#include "fetch.h"
#include "weibo.h"
#include "weibo_hot.h"
#include "yq_err.h"
#include "yq_banned.h"

#define PRINT_MAX 8192

/*
 * libxml2's two parse entry points are one allocation point each: the call fails as a whole
 * (NULL; the context's errNo says XML_ERR_NO_MEMORY, as libxml2's own xmlErrMemory() sets
 * it) or runs with libxml2's allocations never failing; our code's still do. libxml2 2.9.14
 * (Debian 12) does not survive failures inside its parser. Found by this test: a NULL
 * dereference in xmlParseDocument after "growing input buffer" fails (input->cur NULL), a
 * leaked QName prefix in xmlSAX2StartElement (htmlReadMemory), and an endless "out of memory
 * error" loop in recover mode; upstream hardened these paths after 2.11. Everything else of
 * libxml2 we call (parser context, tree accessors, URIs, serialisation) fails normally. The
 * linker sends the two calls here (--wrap, CMakeLists.txt).
 */
xmlDocPtr __real_xmlCtxtReadIO(xmlParserCtxtPtr ctxt, xmlInputReadCallback ioread,
                               xmlInputCloseCallback ioclose, void *ioctx, const char *url,
                               const char *encoding, int options);
xmlDocPtr __wrap_xmlCtxtReadIO(xmlParserCtxtPtr ctxt, xmlInputReadCallback ioread,
                               xmlInputCloseCallback ioclose, void *ioctx, const char *url,
                               const char *encoding, int options);
htmlDocPtr __real_htmlReadMemory(const char *buffer, int size, const char *url,
                                 const char *encoding, int options);
htmlDocPtr __wrap_htmlReadMemory(const char *buffer, int size, const char *url,
                                 const char *encoding, int options);

xmlDocPtr __wrap_xmlCtxtReadIO(xmlParserCtxtPtr ctxt, xmlInputReadCallback ioread,
                               xmlInputCloseCallback ioclose, void *ioctx, const char *url,
                               const char *encoding, int options)
{
    xmlDocPtr doc;
    void *probe = alloc_fail_malloc(1); /* the hook: counted, may fail */

    if (!probe) {
        ctxt->errNo = XML_ERR_NO_MEMORY;
        ctxt->wellFormed = 0;
        return NULL;
    }
    alloc_fail_free(probe);
    alloc_fail_lib_suspend(true);
    doc = __real_xmlCtxtReadIO(ctxt, ioread, ioclose, ioctx, url, encoding, options);
    alloc_fail_lib_suspend(false);
    return doc;
}

htmlDocPtr __wrap_htmlReadMemory(const char *buffer, int size, const char *url,
                                 const char *encoding, int options)
{
    htmlDocPtr doc;
    void *probe = alloc_fail_malloc(1);

    if (!probe) {
        return NULL;
    }
    alloc_fail_free(probe);
    alloc_fail_lib_suspend(true);
    doc = __real_htmlReadMemory(buffer, size, url, encoding, options);
    alloc_fail_lib_suspend(false);
    return doc;
}

/* libxml2 prints "Memory allocation failed" through the generic handler: keep the log quiet. */
static void quiet(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static const char rss_body[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
    "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\""
    " xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n"
    "<channel><title>安康新闻网</title><link>/</link>\n"
    "<item><title>汉滨区征地补偿款&lt;迟迟&gt;未到位</title><link>/2024/0305/a1.html</link>"
    "<guid isPermaLink=\"false\">ak-1</guid><dc:creator>记者 张三</dc:creator>"
    "<pubDate>Tue, 05 Mar 2024 09:12:44 +0800</pubDate><category>民生</category>"
    "<category>征地</category><description>&lt;p&gt;村民反映&lt;/p&gt;</description>"
    "<content:encoded><![CDATA[<p>补偿款<br/>尚未发放</p>]]></content:encoded></item>\n"
    "<item><title>第二条</title><link>https://news.example.cn/2</link>"
    "<pubDate>2024-03-05</pubDate><description>text only</description></item>\n"
    "</channel></rss>\n";

static const char atom_body[] =
    "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://b.example/\">"
    "<title type=\"html\">&lt;b&gt;站点</title><link href=\"/\"/>"
    "<entry><id>urn:1</id><title>e</title><link href=\"a/1\"/><author><name>作者</name>"
    "</author><updated>2024-03-05T14:30:00</updated><published>2024-03-05T14:00:00Z"
    "</published><category term=\"c1\"/><summary>概要</summary>"
    "<content type=\"xhtml\"><div xmlns=\"http://www.w3.org/1999/xhtml\">x<br/>y</div>"
    "</content></entry>"
    "<entry><id>urn:2</id><title type=\"html\">&lt;i&gt;二&lt;/i&gt;</title>"
    "<link rel=\"alternate\" href=\"http://c.example/2\"/><updated>2024-03-06T00:00:00Z"
    "</updated></entry></feed>";

static const char json_feed_body[] =
    "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"JSON 站\","
    "\"home_page_url\":\"https://j.example/\",\"items\":[{\"id\":\"1\",\"url\":\"/p/1\","
    "\"title\":\"标题\",\"content_html\":\"<p>正文</p>\",\"summary\":\"概要\","
    "\"date_published\":\"2024-03-05T09:12:44+08:00\",\"tags\":[\"a\",\"b\"],"
    "\"authors\":[{\"name\":\"作者\"}]},{\"id\":\"2\",\"content_text\":\"纯文本\","
    "\"date_modified\":\"2024-03-06T00:00:00Z\"}]}";

static const char weibo_body[] =
    "{\"ok\":1,\"data\":{\"cardlistInfo\":{\"since_id\":4990000000000100,\"page\":2},"
    "\"cards\":[{\"card_type\":9,\"mblog\":{\"id\":\"4990000000000123\",\"bid\":\"NfAkE1x2y\","
    "\"created_at\":\"Tue Mar 05 09:12:44 +0800 2024\",\"isLongText\":true,"
    "\"text\":\"a<span class=\\\"url-icon\\\"><img alt=[doge] src=\\\"x\\\"></span> "
    "...<a href=\\\"/status/1\\\">全文</a>\",\"user\":{\"id\":1,\"screen_name\":\"u\"},"
    "\"reposts_count\":\"100万+\",\"comments_count\":\"7.2万\",\"attitudes_count\":3,"
    "\"region_name\":\"发布于 北京\",\"retweeted_status\":{\"id\":\"1\",\"text\":\"o<br/>p\","
    "\"created_at\":\"5分钟前\",\"user\":{\"id\":2,\"screen_name\":\"原作者\"}}}},"
    "{\"card_type\":11,\"card_group\":[{\"card_type\":9,\"mblog\":{\"mid\":\"2\","
    "\"created_at\":\"昨天 10:00\",\"text\":\"x\",\"user\":{\"id\":3,"
    "\"screen_name\":\"v\"}}}]}]}}";

static const char sources_yaml[] = "kafka:\n"
                                   "  bootstrap_servers: 127.0.0.1:39092\n"
                                   "redis:\n"
                                   "  port: 6380\n"
                                   "collector:\n"
                                   "  max_body_bytes: 2M\n"
                                   "  user_agent: yuqing-test\n"
                                   "sources:\n"
                                   "  - id: people-politics\n"
                                   "    url: http://www.people.com.cn/rss/politics.xml\n"
                                   "    name: 人民网时政\n"
                                   "    interval: 10m\n"
                                   "    department: 网信办\n"
                                   "    headers:\n"
                                   "      X-Api-Key: token\n"
                                   "      Accept-Language: zh-CN\n"
                                   "  - id: shfb\n"
                                   "    kind: wechat_feed\n"
                                   "    url: https://rsshub.example/wechat/shfb\n"
                                   "    enabled: false\n"
                                   "  - id: weibo-ak\n"
                                   "    kind: weibo_user\n"
                                   "    uid: '1234567890'\n"
                                   "    cookie_file: /etc/yuqing/weibo.cookie\n"
                                   "  - id: weibo-q\n"
                                   "    kind: weibo_search\n"
                                   "    query: 安康 征地\n";

/*
 * After a success, the result must be the clean run's unless a library's allocation failed
 * (libxml2 in recover mode may then build a shorter tree; jansson may drop a byte).
 */
static void assert_same_print(const char *what, const char *want, const char *got)
{
    if (alloc_fail_injected_in_lib() || strcmp(want, got) == 0) {
        return;
    }
    fail_msg("%s: a success after an injected failure differs from the clean run:\n"
             "want: %s\ngot:  %s",
             what, want, got);
}

static void put(char *buf, size_t *off, const char *key, const char *val)
{
    int n = snprintf(buf + *off, PRINT_MAX - *off, "%s=%s;", key, val ? val : "(null)");
    if (n > 0) {
        *off += (size_t)n < PRINT_MAX - *off ? (size_t)n : PRINT_MAX - *off - 1;
    }
}

/* ---- feed_parse ---- */

struct feed_arg {
    const char *name;
    const char *body;
    const char *content_type;
    struct feed *feed;
    char err[256];
    char want[PRINT_MAX];
    bool have_want;
};

static void feed_print(const struct feed *f, char *buf)
{
    size_t off = 0;
    char num[64];

    buf[0] = '\0';
    put(buf, &off, "title", f->title);
    put(buf, &off, "link", f->link);
    put(buf, &off, "encoding", f->encoding);
    put(buf, &off, "format", f->format);
    put(buf, &off, "bozo_message", f->bozo_message);
    for (size_t i = 0; i < f->n_entries; i++) {
        const struct feed_entry *e = &f->entries[i];
        put(buf, &off, "e.title", e->title);
        put(buf, &off, "e.link", e->link);
        put(buf, &off, "e.id", e->id);
        put(buf, &off, "e.author", e->author);
        put(buf, &off, "e.summary", e->summary);
        put(buf, &off, "e.content", e->content);
        snprintf(num, sizeof(num), "%d/%lld/%d/%lld", e->has_published, (long long)e->published,
                 e->has_updated, (long long)e->updated);
        put(buf, &off, "e.dates", num);
        for (size_t k = 0; k < e->n_categories; k++) {
            put(buf, &off, "e.category", e->categories[k]);
        }
    }
}

static int feed_run(void *p)
{
    struct feed_arg *a = p;
    struct feed_input in = {
        .body = a->body,
        .len = strlen(a->body),
        .content_type = a->content_type,
        .base_url = "https://news.example.cn/rss.xml",
    };

    a->err[0] = '\0';
    a->feed = (struct feed *)(uintptr_t)1; /* must be replaced: NULL on failure */
    return feed_parse(&in, &a->feed, a->err, sizeof(a->err));
}

static void feed_check(void *p, int rc, bool injected)
{
    struct feed_arg *a = p;
    char got[PRINT_MAX];

    alloc_fail_assert_rc(a->name, rc, injected, true, a->err);
    if (rc != 0) {
        /* a valid feed is never called "not a feed" because memory ran out */
        if (rc == ERR_NOT_A_FEED) {
            fail_msg("%s: rc %d err '%s' after an injected failure", a->name, rc, a->err);
        }
        assert_null(a->feed);
        return;
    }
    assert_non_null(a->feed);
    feed_print(a->feed, got);
    if (!a->have_want) {
        assert_true(a->feed->n_entries == 2);
        memcpy(a->want, got, sizeof(got));
        a->have_want = true;
    } else {
        assert_same_print(a->name, a->want, got);
    }
    feed_free(a->feed);
    a->feed = NULL;
}

static void run_feed(const char *name, const char *body, const char *content_type)
{
    struct feed_arg a = {.name = name, .body = body, .content_type = content_type};
    struct alloc_fail_case c = {name, feed_run, feed_check, &a, 0};

    assert_true(alloc_fail_run(&c) > 10);
}

static void test_feed_rss(void **state)
{
    (void)state;
    run_feed("feed_parse rss", rss_body, "application/rss+xml; charset=utf-8");
}

static void test_feed_atom(void **state)
{
    (void)state;
    run_feed("feed_parse atom", atom_body, NULL);
}

static void test_feed_json(void **state)
{
    (void)state;
    run_feed("feed_parse json", json_feed_body, "application/feed+json");
}

/* ---- weibo_parse_page ---- */

struct weibo_arg {
    struct weibo_page page;
    char err[256];
    char want[PRINT_MAX];
    bool have_want;
};

static const struct weibo_ctx wctx = {
    .source_id = "wb",
    .channel = NULL,
    .fetched_at = 1709605800, /* 2024-03-05T10:30:00+08:00 */
    .max_text_bytes = 1 << 20,
};

static void weibo_print(const struct weibo_page *pg, char *buf)
{
    size_t off = 0;
    char num[96];

    buf[0] = '\0';
    put(buf, &off, "since_id", pg->since_id);
    for (size_t i = 0; i < pg->n_posts; i++) {
        const struct weibo_post *w = &pg->posts[i];
        put(buf, &off, "mid", w->mid);
        put(buf, &off, "id", w->item.id);
        put(buf, &off, "source", w->item.source);
        put(buf, &off, "source_id", w->item.source_id);
        put(buf, &off, "channel", w->item.channel);
        put(buf, &off, "url", w->item.url);
        put(buf, &off, "title", w->item.title);
        put(buf, &off, "text", w->item.text);
        put(buf, &off, "author", w->item.author);
        put(buf, &off, "region", w->item.region);
        put(buf, &off, "reply_to", w->item.reply_to);
        snprintf(num, sizeof(num), "%d/%lld/%lld/%lld/%lld/%d%d%d", w->item.has_published,
                 (long long)w->item.published_at, (long long)w->item.metrics.reposts,
                 (long long)w->item.metrics.comments, (long long)w->item.metrics.likes,
                 w->needs_long_text, w->is_original, w->item.truncated);
        put(buf, &off, "n", num);
    }
}

static int weibo_run(void *p)
{
    struct weibo_arg *a = p;

    a->err[0] = '\0';
    memset(&a->page, 0xA5, sizeof(a->page)); /* caller storage: the callee fills all of it */
    return weibo_parse_page(weibo_body, strlen(weibo_body), &wctx, &a->page, a->err,
                            sizeof(a->err));
}

static void weibo_check(void *p, int rc, bool injected)
{
    struct weibo_arg *a = p;
    char got[PRINT_MAX];

    alloc_fail_assert_rc("weibo_parse_page", rc, injected, true, a->err);
    if (rc != 0) {
        assert_null(a->page.posts);
        assert_int_equal(a->page.n_posts, 0);
        return;
    }
    weibo_print(&a->page, got);
    if (!a->have_want) {
        assert_int_equal(a->page.n_posts, 3);
        memcpy(a->want, got, sizeof(got));
        a->have_want = true;
    } else {
        assert_same_print("weibo_parse_page", a->want, got);
    }
    weibo_page_release(&a->page);
}

static void test_weibo_page(void **state)
{
    struct weibo_arg a = {.have_want = false};
    struct alloc_fail_case c = {"weibo_parse_page", weibo_run, weibo_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 10);
}


/* ---- weibo_hot_parse (issue #15) ---- */

struct hot_arg {
    struct weibo_hot_list list;
    char *body;
    size_t len;
    char err[256];
    char want[PRINT_MAX];
    bool have_want;
};

static void hot_print(const struct weibo_hot_list *l, char *buf)
{
    size_t off = 0;
    char num[96];

    buf[0] = '\0';
    for (size_t i = 0; i < l->n; i++) {
        const struct weibo_hot_entry *e = &l->entries[i];
        put(buf, &off, "term", e->term);
        put(buf, &off, "note", e->note);
        put(buf, &off, "category", e->category);
        put(buf, &off, "url", e->url);
        put(buf, &off, "sha1", e->sha1);
        put(buf, &off, "badge", e->badge);
        snprintf(num, sizeof(num), "%lld/%lld/%d", (long long)e->rank, (long long)e->heat,
                 e->pinned);
        put(buf, &off, "n", num);
    }
}

static int hot_run(void *p)
{
    struct hot_arg *a = p;

    a->err[0] = '\0';
    memset(&a->list, 0xA5, sizeof(a->list)); /* caller storage: the callee fills all of it */
    return weibo_hot_parse(a->body, a->len, &a->list, a->err, sizeof(a->err));
}

static void hot_check(void *p, int rc, bool injected)
{
    struct hot_arg *a = p;
    char got[PRINT_MAX];

    alloc_fail_assert_rc("weibo_hot_parse", rc, injected, true, a->err);
    if (rc != 0) {
        assert_null(a->list.entries);
        assert_int_equal(a->list.n, 0);
        return;
    }
    hot_print(&a->list, got);
    if (!a->have_want) {
        assert_int_equal(a->list.n, 9);
        memcpy(a->want, got, sizeof(got));
        a->have_want = true;
    } else {
        assert_same_print("weibo_hot_parse", a->want, got);
    }
    weibo_hot_list_release(&a->list);
}

static void test_weibo_hot_list(void **state)
{
    struct hot_arg a = {.have_want = false};
    struct alloc_fail_case c = {"weibo_hot_parse", hot_run, hot_check, &a, 0};
    FILE *f = fopen(YQ_SOURCE_DIR "/tests/collectors/fixtures/weibo_hot_mobile.json", "rb");
    long n;

    (void)state;
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    a.body = malloc((size_t)n);
    assert_non_null(a.body);
    assert_int_equal(fread(a.body, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    a.len = (size_t)n;
    assert_true(alloc_fail_run(&c) > 10);
    free(a.body);
}

/* ---- collector_config_load ---- */

struct cfg_arg {
    struct collector_config cfg;
    char err[256];
};

static int cfg_run(void *p)
{
    struct cfg_arg *a = p;

    a->err[0] = '\0';
    memset(&a->cfg, 0xA5, sizeof(a->cfg)); /* zeroed by the callee */
    return collector_config_load(&a->cfg, "sources.yaml", sources_yaml, strlen(sources_yaml),
                                 a->err, sizeof(a->err));
}

static void cfg_check(void *p, int rc, bool injected)
{
    struct cfg_arg *a = p;

    alloc_fail_assert_rc("collector_config_load", rc, injected, true, a->err);
    if (rc != 0) {
        /* "on failure cfg holds nothing to release" */
        assert_null(a->cfg.sources);
        assert_int_equal(a->cfg.n_sources, 0);
        assert_null(a->cfg.collector.user_agent);
        assert_null(a->cfg.collector.weibo_api);
        assert_null(a->cfg.kafka.bootstrap_servers);
        collector_config_release(&a->cfg);
        return;
    }
    assert_int_equal(a->cfg.n_sources, 4);
    assert_string_equal(a->cfg.sources[0].name, "人民网时政");
    assert_string_equal(a->cfg.sources[2].uid, "1234567890");
    assert_string_equal(a->cfg.sources[3].query, "安康 征地");
    assert_string_equal(a->cfg.collector.user_agent, "yuqing-test");
    collector_config_release(&a->cfg);
}

static void test_sources_config(void **state)
{
    struct cfg_arg a;
    struct alloc_fail_case c = {"collector_config_load", cfg_run, cfg_check, &a, 0};

    (void)state;
    assert_true(alloc_fail_run(&c) > 10);
}

/* ---- the content decoder (fetch.c): zlib's allocations and the body buffer's ---- */

static char plain_body[6000];
static unsigned char gz_body[sizeof(plain_body) + 64];
static size_t gz_len;

struct decode_arg {
    struct yq_buf out;
    struct fetch_decoder d;
};

static int decode_run(void *p)
{
    struct decode_arg *a = p;
    int err = 0;

    fetch_decoder_init_coding(&a->d, FETCH_CODING_GZIP);
    yq_buf_init(&a->out, 1 << 16);
    for (size_t at = 0; at < gz_len && err == 0; at += 512) {
        size_t n = gz_len - at < 512 ? gz_len - at : 512;
        if (fetch_decoder_write(&a->d, (const char *)gz_body + at, n, &a->out, NULL, NULL, &err) !=
            n) {
            return err;
        }
    }
    return fetch_decoder_finish(&a->d);
}

static void decode_check(void *p, int rc, bool injected)
{
    struct decode_arg *a = p;

    alloc_fail_assert_rc("fetch_decoder_write", rc, injected, false, a->d.error);
    if (rc == 0) {
        /* a success after a failure decodes the same bytes */
        assert_int_equal(a->out.len, sizeof(plain_body) - 1);
        assert_memory_equal(a->out.data, plain_body, sizeof(plain_body) - 1);
    }
    fetch_decoder_release(&a->d);
    yq_buf_release(&a->out);
}

static void test_fetch_decoder(void **state)
{
    struct decode_arg a;
    struct alloc_fail_case c = {"fetch_decoder_write", decode_run, decode_check, &a, 0};
    z_stream z = {0};
    uint32_t x = 7;

    (void)state;
    for (size_t i = 0; i < sizeof(plain_body) - 1; i++) {
        x = x * 1103515245u + 12345u;
        plain_body[i] = (char)('a' + (x >> 16) % 26);
    }
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)plain_body;
    z.avail_in = sizeof(plain_body) - 1;
    z.next_out = gz_body;
    z.avail_out = sizeof(gz_body);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    gz_len = z.total_out;
    deflateEnd(&z);
    assert_true(alloc_fail_run(&c) >= 3); /* inflate's state, its window, the body buffer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed_rss),       cmocka_unit_test(test_feed_atom),
        cmocka_unit_test(test_feed_json),      cmocka_unit_test(test_weibo_page),
        cmocka_unit_test(test_sources_config), cmocka_unit_test(test_weibo_hot_list),
        cmocka_unit_test(test_fetch_decoder),
    };
    int rc;

    alloc_fail_install_jansson();
    xmlMemSetup(alloc_fail_free, alloc_fail_malloc, alloc_fail_realloc, alloc_fail_strdup);
    xmlInitParser(); /* its one-time set-up is not under test */
    xmlSetGenericErrorFunc(NULL, quiet);
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
