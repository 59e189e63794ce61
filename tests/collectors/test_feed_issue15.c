/*
 * Issue #15 "every feed read right": undeclared encodings (uchardet), UTF-16/32 with and
 * without BOM, declared encodings iconv knows, base64 Atom content, Dublin Core and
 * namespaces by URI, Atom persons, the date forms, and relative ids and links (xml:base,
 * Content-Location, the document URL, JSON Feed). Every input is written here; the encoded
 * bodies are made from UTF-8 text with iconv at run time (the parser decodes them back).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "feed_date.h"
#include "feed_fixture.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"
#include "yq_banned.h"

/* ---- helpers ---- */

static struct feed *parse_buf(const char *body, size_t len, const char *content_type)
{
    struct feed_input in = {.body = body, .len = len, .content_type = content_type};
    return ffx_parse(&in);
}

static struct feed *parse_url(const char *body, const char *url, const char *content_location)
{
    struct feed_input in = {.body = body, .len = strlen(body), .base_url = url,
                            .content_location = content_location};
    return ffx_parse(&in);
}

/* utf8 (NUL-terminated) written in enc (ffx_encode()), parsed with content_type (may be NULL) */
static struct feed *parse_encoded(const char *utf8, const char *enc, const char *content_type)
{
    size_t len;
    char *body = ffx_encode(utf8, enc, &len);
    struct feed *f = parse_buf(body, len, content_type);

    free(body);
    return f;
}

/* prefix (raw bytes, plen) + body, new buffer of *len bytes */
static char *prepend(const char *prefix, size_t plen, const char *body, size_t blen, size_t *len)
{
    char *out = malloc(plen + blen);
    assert_non_null(out);
    memcpy(out, prefix, plen);
    memcpy(out + plen, body, blen);
    *len = plen + blen;
    return out;
}

/* Fail the running test unless the field a equals want; want NULL: not checked. */
static void expect_field(const char *a, const char *want)
{
    if (want) {
        assert_string_equal(a, want);
    }
}

/* ---- encodings without a declaration (uchardet) ---- */

struct enc_case {
    const char *encoding;   /* what the bytes are written in */
    const char *expect;     /* feed->encoding the parser reports */
    const char *title;      /* channel title (UTF-8) */
    const char *item;       /* item title (UTF-8) */
    const char *text;       /* item description (UTF-8) */
};

/* the Japanese text, written in both Japanese encodings */
static const char ja_title[] = "東京都のニュース";
static const char ja_item[] = "東京都は新しい防災計画を発表しました";
static const char ja_text[] = "地震や台風に備えて、住民の皆様は避難場所を確認してください。"
                              "詳しくは区役所の窓口までお問い合わせください。";

static const struct enc_case undeclared[] = {
    {"BIG5", "big5", "臺北市政府新聞稿", "臺北市政府宣布新的交通管制措施",
     "市民朋友請多加利用大眾運輸工具，並注意行車安全，謝謝大家的配合。颱風期間請留意氣象局發布的"
     "最新消息，避免前往山區與海邊。"},
    {"GB2312", "gb18030", "安康市人民政府新闻", "汉滨区召开防汛工作会议部署安全度汛工作",
     "会议要求各镇办和部门要高度重视，落实责任，确保人民群众生命财产安全。汛期各地要加强值班值守，"
     "及时报告雨情水情。"},
    {"GBK", "gb18030", "安康市人民政府新闻", "朱镕基同志旧居修缮工作会议在汉阴县召开",
     "会议要求各镇办和部门要高度重视，落实责任，确保人民群众生命财产安全。汛期各地要加强值班值守，"
     "及时报告雨情水情，喆、堃等字照常显示。"},
    {"GB18030", "gb18030", "安康市人民政府新闻", "石泉县举办农产品产销对接会",
     "对接会现场签约项目十二个，涉及茶叶、魔芋、富硒食品等特色产业，带动农户增收。"},
    {"EUC-JP", "euc-jp", ja_title, ja_item, ja_text},
    {"SHIFT_JIS", "shift_jis", ja_title, ja_item, ja_text},
    /* EUC-KR is reported as UHC (CP949), its superset, as GB2312 is read as GB18030 */
    {"EUC-KR", "uhc", "서울시 뉴스", "서울시는 새로운 교통 정책을 발표했습니다",
     "시민 여러분께서는 대중교통을 이용해 주시기 바랍니다. 자세한 내용은 구청 홈페이지를 참고해 주시기 "
     "바랍니다. 감사합니다."},
    {"WINDOWS-1252", "windows-1252", "Café Zürich – Nachrichten",
     "Größere Straßenbauarbeiten in der Innenstadt geplant",
     "Die Bürger werden gebeten, die Umleitungen zu beachten. Über die Änderungen wird täglich "
     "berichtet; Geschäfte bleiben geöffnet."},
    {"WINDOWS-1251", "windows-1251", "Новости Москвы",
     "Мэрия объявила о новых правилах парковки в центре города",
     "Жителям рекомендуется пользоваться общественным транспортом в выходные дни. Подробности на "
     "сайте мэрии."},
    {"WINDOWS-1250", "windows-1250", "Wiadomości z Krakowa",
     "Władze miasta ogłosiły nowe zasady parkowania w centrum",
     "Mieszkańcy proszeni są o korzystanie z komunikacji miejskiej. Dziękujemy za wyrozumiałość i "
     "cierpliwość."},
};

static void test_undeclared_encodings_detected(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(undeclared) / sizeof(undeclared[0]); i++) {
        const struct enc_case *c = &undeclared[i];
        char doc[2048];
        struct feed *f;

        /* no BOM, no charset, no XML declaration: nothing says what the bytes are */
        snprintf(doc, sizeof(doc),
                 "<rss version=\"2.0\"><channel><title>%s</title><link>http://a.example/</link>"
                 "<item><title>%s</title><link>http://a.example/1</link>"
                 "<description>%s</description></item></channel></rss>",
                 c->title, c->item, c->text);
        f = parse_encoded(doc, c->encoding, "application/rss+xml");
        if (strcmp(f->encoding, c->expect) != 0) {
            print_error("%s: read as %s\n", c->encoding, f->encoding);
        }
        assert_string_equal(f->encoding, c->expect);
        assert_string_equal(f->encoding_source, "detected");
        assert_true(f->bozo); /* a guess, however good, is flagged */
        assert_non_null(strstr(f->bozo_message, "detected"));
        assert_string_equal(f->title, c->title);
        assert_int_equal(f->n_entries, 1);
        assert_string_equal(f->entries[0].title, c->item);
        assert_string_equal(f->entries[0].summary, c->text);
        feed_free(f);
    }
}

/*
 * Review #15 item 12: a very short undeclared GB2312 feed (~100 bytes) that uchardet calls a
 * Latin single-byte charset is read as GB18030: its high bytes pair as common CJK characters.
 */
static void test_short_gb2312_not_read_as_latin(void **state)
{
    static const char *const docs[] = {
        "<rss><channel><title>征地补偿</title><item><title>征地补偿</title></item></channel></rss>",
        "<rss><channel><item><title>汉滨区征地补偿款发放</title></item></channel></rss>",
        "<rss><item><title>征地补偿标准公示</title></item></rss>",
    };

    (void)state;
    for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        struct feed *f = parse_encoded(docs[i], "GB2312", "application/rss+xml");

        if (strcmp(f->encoding, "gb18030") != 0) {
            print_error("%zu: read as %s\n", i, f->encoding);
        }
        assert_string_equal(f->encoding, "gb18030");
        assert_string_equal(f->encoding_source, "detected");
        assert_non_null(strstr(f->entries[0].title, "征地补偿"));
        feed_free(f);
    }
    /* short Latin and Cyrillic bodies keep uchardet's verdict: their high bytes do not pair
       as common Chinese characters */
    {
        static const struct {
            const char *doc, *enc;
        } latin[] = {
            {"<rss><channel><title>Café Zürich – Straße</title></channel></rss>", "WINDOWS-1252"},
            {"<rss><channel><title>Новости Москвы и области</title></channel></rss>",
             "WINDOWS-1251"},
        };
        for (size_t i = 0; i < sizeof(latin) / sizeof(latin[0]); i++) {
            struct feed *f = parse_encoded(latin[i].doc, latin[i].enc, "application/rss+xml");

            print_message("%s read as %s\n", latin[i].enc, f->encoding);
            assert_string_not_equal(f->encoding, "gb18030");
            feed_free(f);
        }
    }
}

static void test_utf8_undeclared_is_default_not_detected(void **state)
{
    static const char body[] = "<rss version=\"2.0\"><channel><title>安康发布</title></channel></rss>";
    struct feed *f = parse_buf(body, strlen(body), NULL);

    (void)state;
    assert_string_equal(f->encoding, "utf-8");
    assert_string_equal(f->encoding_source, "default");
    assert_false(f->bozo);
    feed_free(f);
}

static void test_undecodable_body_is_an_error(void **state)
{
    /* not UTF-8, nothing declared, and uchardet names nothing: an error, not mojibake */
    static const char body[] = "<rss><channel><title>\xFF\xFE\xFF\xFF\x81\x00\x01\xC0\xC1\xF5"
                               "\xFF\xFF</title></channel></rss>";
    struct feed_input in = {.body = body, .len = sizeof(body) - 1};
    struct feed *f = NULL;
    char err[256] = "";

    (void)state;
    assert_int_equal(feed_parse(&in, &f, err, sizeof(err)), ERR_PARSE);
    assert_null(f);
    assert_string_equal(err, "encoding not declared, not UTF-8 and not detected: body not "
                             "decodable");
}

/* ---- UTF-16 and UTF-32, with and without BOM ---- */

struct wide_case {
    const char *iconv_name; /* written in */
    const char *bom;        /* bytes, NULL: no BOM */
    size_t bom_len;
    const char *expect;
    const char *source;
};

static const struct wide_case wide[] = {
    {"UTF-16LE", "\xFF\xFE", 2, "utf-16le", "bom"},
    {"UTF-16BE", "\xFE\xFF", 2, "utf-16be", "bom"},
    {"UTF-32LE", "\xFF\xFE\x00\x00", 4, "utf-32le", "bom"},
    {"UTF-32BE", "\x00\x00\xFE\xFF", 4, "utf-32be", "bom"},
    {"UTF-16LE", NULL, 0, "utf-16le", "detected"},
    {"UTF-16BE", NULL, 0, "utf-16be", "detected"},
    {"UTF-32LE", NULL, 0, "utf-32le", "detected"},
    {"UTF-32BE", NULL, 0, "utf-32be", "detected"},
};

static void test_utf16_utf32_with_and_without_bom(void **state)
{
    static const char xml[] =
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><rss version=\"2.0\"><channel>"
        "<title>汉江水位 𠀀</title><item><title>紫阳县</title></item></channel></rss>";
    static const char json[] =
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"汉江水位 𠀀\","
        "\"items\":[{\"id\":\"1\",\"title\":\"紫阳县\",\"content_text\":\"x\"}]}";

    (void)state;
    for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
        for (int k = 0; k < 2; k++) {
            size_t len, blen;
            char *enc = ffx_encode(k ? json : xml, wide[i].iconv_name, &len);
            char *body = wide[i].bom ? prepend(wide[i].bom, wide[i].bom_len, enc, len, &blen)
                                     : prepend("", 0, enc, len, &blen);
            struct feed *f = parse_buf(body, blen, NULL);

            free(enc);
            free(body);
            assert_string_equal(f->format, k ? "json" : "rss20");
            assert_string_equal(f->encoding, wide[i].expect);
            assert_string_equal(f->encoding_source, wide[i].source);
            assert_string_equal(f->title, "汉江水位 𠀀");
            assert_int_equal(f->n_entries, 1);
            assert_string_equal(f->entries[0].title, "紫阳县");
            feed_free(f);
        }
    }
}

static void test_wide_hostile_bytes(void **state)
{
    /* odd length UTF-16, a lone surrogate, a UTF-32 value above U+10FFFF: U+FFFD, no crash */
    static const char utf16_odd[] = "<\0r\0s\0s\0>\0<\0c\0h\0a\0n\0n\0e\0l\0>\0<\0t\0i\0t\0l\0e\0>\0"
                                    "\x00\xD8" "a\0<\0/\0t\0i\0t\0l\0e\0>\0<\0/\0r\0s\0s\0>\0X";
    static const char utf32_big[] = "<\0\0\0r\0\0\0s\0\0\0s\0\0\0>\0\0\0<\0\0\0t\0\0\0i\0\0\0t\0\0\0"
                                    "l\0\0\0e\0\0\0>\0\0\0\x00\x00\x11\x00" "a\0\0\0<\0\0\0/\0\0\0"
                                    "t\0\0\0i\0\0\0t\0\0\0l\0\0\0e\0\0\0>\0\0\0<\0\0\0/\0\0\0r\0\0\0"
                                    "s\0\0\0s\0\0\0>\0\0\0";
    struct feed *f = parse_buf(utf16_odd, sizeof(utf16_odd) - 1, NULL);

    (void)state;
    assert_string_equal(f->encoding, "utf-16le");
    assert_true(f->bozo);
    assert_string_equal(f->title, "\xEF\xBF\xBD" "a");
    feed_free(f);
    f = parse_buf(utf32_big, sizeof(utf32_big) - 1, NULL);
    assert_string_equal(f->encoding, "utf-32le");
    assert_true(f->bozo);
    assert_string_equal(f->title, "\xEF\xBF\xBD" "a");
    feed_free(f);
}

/* ---- declared encodings: any label iconv knows ---- */

static void test_declared_encodings_via_iconv(void **state)
{
    static const struct {
        const char *label;   /* in the declaration */
        const char *iconv_name;
        const char *title;
        const char *expect;
    } cases[] = {
        {"KOI8-R", "KOI8-R", "Новости", "koi8-r"},
        {"ISO-8859-15", "ISO-8859-15", "Prix 10 € à Zürich", "iso-8859-15"},
        {"windows-1256", "WINDOWS-1256", "أخبار المدينة", "windows-1256"},
        {"Shift_JIS", "SHIFT_JIS", "東京", "shift_jis"},
        {"Big5-HKSCS", "BIG5-HKSCS", "香港新聞", "big5-hkscs"},
        {"ISO-2022-JP", "ISO-2022-JP", "日本語", "iso-2022-jp"},
        {"gb2312", "GBK", "朱镕基", "gb18030"}, /* FC-009: GBK-only 镕 under a GB2312 label */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[512], content_type[128];
        struct feed *f;

        snprintf(doc, sizeof(doc),
                 "<?xml version=\"1.0\" encoding=\"%s\"?><rss version=\"2.0\"><channel>"
                 "<title>%s</title></channel></rss>",
                 cases[i].label, cases[i].title);
        f = parse_encoded(doc, cases[i].iconv_name, NULL);
        assert_string_equal(f->encoding, cases[i].expect);
        assert_string_equal(f->encoding_source, "declaration");
        assert_false(f->bozo);
        assert_string_equal(f->title, cases[i].title);
        feed_free(f);
        /* the same label as an HTTP charset (FC-011), the declaration removed */
        snprintf(doc, sizeof(doc),
                 "<rss version=\"2.0\"><channel><title>%s</title></channel></rss>",
                 cases[i].title);
        snprintf(content_type, sizeof(content_type), "application/rss+xml; charset=%s",
                 cases[i].label);
        f = parse_encoded(doc, cases[i].iconv_name, content_type);
        assert_string_equal(f->encoding, cases[i].expect);
        assert_string_equal(f->encoding_source, "http");
        assert_string_equal(f->title, cases[i].title);
        feed_free(f);
    }
}

static void test_unknown_or_unfitting_label_ignored(void **state)
{
    static const char unknown[] = "<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?>"
                                  "<rss version=\"2.0\"><channel><title>安康</title></channel></rss>";
    static const char ascii_as_utf16[] = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>"
                                         "<rss version=\"2.0\"><channel><title>安康</title>"
                                         "</channel></rss>";
    struct feed *f = parse_buf(unknown, strlen(unknown), "text/xml; charset=bogus-1");

    (void)state;
    assert_string_equal(f->encoding, "utf-8");
    assert_string_equal(f->encoding_source, "default");
    assert_true(f->bozo);
    assert_string_equal(f->bozo_message, "HTTP encoding 'bogus-1' unknown: ignored");
    assert_string_equal(f->title, "安康");
    feed_free(f);
    /* a UTF-16 label on bytes that are plainly ASCII-compatible is a mislabel */
    f = parse_buf(ascii_as_utf16, strlen(ascii_as_utf16), NULL);
    assert_string_equal(f->encoding, "utf-8");
    assert_string_equal(f->bozo_message, "declared encoding 'utf-16' does not fit the bytes: ignored");
    assert_string_equal(f->title, "安康");
    feed_free(f);
}

/* ---- base64 content ---- */

static void test_atom_base64_content(void **state)
{
    /* "<p>汉江<b>水位</b></p>" and "纯文本 plain" in base64 */
    static const char atom03[] =
        "<feed version=\"0.3\" xmlns=\"http://purl.org/atom/ns#\"><title>t</title>"
        "<entry><title>a</title><id>urn:a</id>"
        "<content type=\"text/html\" mode=\"base64\">PHA+5rGJ5rGfPGI+5rC05L2NPC9i\nPjwvcD4=</content>"
        "<summary mode=\"base64\">57qv5paH5pysIHBsYWlu</summary></entry></feed>";
    static const char atom10[] =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
        "<entry><title>b</title><id>urn:b</id>"
        "<content type=\"application/json\">eyJhIjoi5rGJ5rGfIn0</content></entry>"
        "<entry><title>c</title><id>urn:c</id>"
        "<content type=\"image/png\">iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk</content>"
        "</entry>"
        "<entry><title>d</title><id>urn:d</id>"
        "<content type=\"application/octet-stream\">@@@ not base64 $$$</content></entry>"
        "<entry><title>e</title><id>urn:e</id>"
        "<content type=\"application/atom+xml\">inline, not base64</content></entry></feed>";
    struct feed *f = parse_buf(atom03, strlen(atom03), NULL);

    (void)state;
    assert_string_equal(f->format, "atom03");
    assert_string_equal(f->entries[0].content, "<p>汉江<b>水位</b></p>");
    assert_true(f->entries[0].content_html);
    assert_string_equal(f->entries[0].summary, "纯文本 plain");
    assert_false(f->entries[0].summary_html);
    assert_false(f->bozo);
    feed_free(f);

    f = parse_buf(atom10, strlen(atom10), NULL);
    assert_int_equal(f->n_entries, 4);
    assert_string_equal(f->entries[0].content, "{\"a\":\"汉江\"}"); /* no '=' padding */
    assert_false(f->entries[0].content_html);
    assert_null(f->entries[1].content); /* binary (a PNG): not text, nothing kept */
    assert_null(f->entries[2].content); /* not base64: nothing kept, marked */
    assert_string_equal(f->entries[3].content, "inline, not base64"); /* XML type: as is */
    assert_true(f->bozo);
    assert_string_equal(f->bozo_message, "base64 content that is not valid base64 text: dropped");
    assert_string_equal(f->entries[2].title, "d"); /* the entry itself is kept */
    feed_free(f);
}

/* ---- Dublin Core and namespaces ---- */

static void test_dublin_core_fallbacks(void **state)
{
    static const char rss20[] =
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel>"
        "<dc:title>安康市应急管理局</dc:title><dc:description>应急 &amp; 防汛</dc:description>"
        "<dc:creator>市应急局办公室</dc:creator><dc:date>2024-03-05T14:30:00+08:00</dc:date>"
        "<link>http://yjj.example.cn/</link>"
        "<item><dc:title>汉滨区防汛演练</dc:title><dc:creator>张三</dc:creator>"
        "<dc:date>2024-03-05T10:00:00+08:00</dc:date><dc:description>演练内容</dc:description>"
        "<dc:subject>防汛</dc:subject><link>http://yjj.example.cn/1</link></item>"
        "<item><title>核心标题</title><dc:title>DC 标题</dc:title>"
        "<pubDate>Tue, 05 Mar 2024 12:00:00 +0800</pubDate><dc:date>2020-01-01</dc:date>"
        "<description>核心描述</description><dc:description>DC 描述</dc:description>"
        "<link>http://yjj.example.cn/2</link></item></channel></rss>";
    struct feed *f = parse_buf(rss20, strlen(rss20), NULL);
    char ts[32];

    (void)state;
    assert_string_equal(f->title, "安康市应急管理局");
    assert_string_equal(f->subtitle, "应急 & 防汛");
    assert_string_equal(f->author, "市应急局办公室");
    assert_true(f->has_updated);
    assert_string_equal(ffx_utc(f->updated, ts), "2024-03-05T06:30:00Z");
    assert_string_equal(f->entries[0].title, "汉滨区防汛演练");
    assert_string_equal(f->entries[0].author, "张三");
    assert_string_equal(ffx_utc(f->entries[0].published, ts), "2024-03-05T02:00:00Z");
    assert_string_equal(f->entries[0].summary, "演练内容");
    assert_int_equal(f->entries[0].n_categories, 1);
    assert_string_equal(f->entries[0].categories[0], "防汛");
    /* the core elements win over their Dublin Core stand-ins, whatever the order */
    assert_string_equal(f->entries[1].title, "核心标题");
    assert_string_equal(ffx_utc(f->entries[1].published, ts), "2024-03-05T04:00:00Z");
    assert_string_equal(f->entries[1].summary, "核心描述");
    feed_free(f);
}

/*
 * A document whose elements carry namespace prefixes, and what the parser must read from it;
 * NULL (n_entries 0): not checked. Every case has an entry; its fields are the first entry's.
 */
struct ns_case {
    const char *what; /* names the case in a failure */
    const char *body;
    const char *format, *title, *author;
    size_t n_entries;
    struct {
        const char *title, *author, *published, *id, *link;
    } entry;
};

static const struct ns_case ns_cases[] = {
    {"RSS 1.0 with every prefix unusual, Dublin Core under foo:",
     "<r:RDF xmlns:r=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\" "
     "xmlns:x=\"http://purl.org/rss/1.0/\" xmlns:foo=\"http://purl.org/dc/elements/1.1/\">"
     "<x:channel r:about=\"http://a.example/\"><foo:title>频道</foo:title>"
     "<x:link>http://a.example/</x:link></x:channel>"
     "<x:item r:about=\"http://a.example/1\"><foo:title>条目一</foo:title>"
     "<x:link>http://a.example/1</x:link><foo:creator>李四</foo:creator>"
     "<foo:date>2003-12-13T18:30:02Z</foo:date></x:item></r:RDF>",
     "rss10",
     "频道",
     NULL,
     1,
     {"条目一", "李四", "2003-12-13T18:30:02Z", "http://a.example/1", NULL}},
    /* the entry's author is inherited from the feed's */
    {"Atom 1.0 with a prefix",
     "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:title>前缀</a:title>"
     "<a:author><a:name>王五</a:name><a:email>ww@example.cn</a:email></a:author>"
     "<a:entry><a:title>条目</a:title><a:id>urn:x</a:id>"
     "<a:updated>2003-12-13T18:30:02Z</a:updated></a:entry></a:feed>",
     "atom10",
     "前缀",
     "王五 (ww@example.cn)",
     0,
     {"条目", "王五 (ww@example.cn)", NULL, NULL, NULL}},
    /* an element named like a core one in a foreign namespace is not the core one */
    {"title in a foreign namespace",
     "<rss version=\"2.0\"><channel><title>t</title><item>"
     "<z:title xmlns:z=\"http://example.com/other\">不是标题</z:title>"
     "<foo:title xmlns:foo=\"http://purl.org/dc/elements/1.1/\">DC 标题</foo:title>"
     "</item></channel></rss>",
     NULL,
     NULL,
     NULL,
     0,
     {"DC 标题", NULL, NULL, NULL, NULL}},
    {"RSS 2.0 in UserLand's namespace, with a prefix",
     "<r2:rss version=\"2.0\" xmlns:r2=\"http://backend.userland.com/rss2\"><r2:channel>"
     "<r2:title>命名空间</r2:title><r2:item><r2:title>条目</r2:title>"
     "<r2:link>http://a.example/2</r2:link></r2:item></r2:channel></r2:rss>",
     "rss20",
     "命名空间",
     NULL,
     1,
     {"条目", NULL, NULL, NULL, "http://a.example/2"}},
};

static void test_namespaces_by_uri_not_prefix(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(ns_cases) / sizeof(ns_cases[0]); i++) {
        const struct ns_case *c = &ns_cases[i];
        struct feed *f = parse_buf(c->body, strlen(c->body), NULL);
        char ts[32];

        print_message("%s\n", c->what);
        expect_field(f->format, c->format);
        expect_field(f->title, c->title);
        expect_field(f->author, c->author);
        if (c->n_entries) {
            assert_int_equal(f->n_entries, c->n_entries);
        }
        assert_true(f->n_entries > 0);
        expect_field(f->entries[0].title, c->entry.title);
        expect_field(f->entries[0].author, c->entry.author);
        if (c->entry.published) {
            assert_string_equal(ffx_utc(f->entries[0].published, ts), c->entry.published);
        }
        expect_field(f->entries[0].id, c->entry.id);
        expect_field(f->entries[0].link, c->entry.link);
        feed_free(f);
    }
}

static void test_atom_person_keeps_email(void **state)
{
    static const char atom[] =
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
        "<entry><id>urn:1</id><title>a</title><author><name>张三</name>"
        "<email>zs@ankang.example.cn</email><uri>http://x/</uri></author></entry>"
        "<entry><id>urn:2</id><title>b</title><author><email>only@example.cn</email></author>"
        "</entry>"
        "<entry><id>urn:3</id><title>c</title><author><name>李四</name></author></entry>"
        "</feed>";
    struct feed *f = parse_buf(atom, strlen(atom), NULL);

    (void)state;
    assert_string_equal(f->entries[0].author, "张三 (zs@ankang.example.cn)");
    assert_string_equal(f->entries[1].author, "only@example.cn");
    assert_string_equal(f->entries[2].author, "李四");
    assert_null(f->author);
    feed_free(f);
}

/* ---- dates ---- */

static void test_issue15_dates(void **state)
{
    static const struct ffx_date_case cases[] = {
        /* asctime: zone-less, so Asia/Shanghai (FC-015) */
        {"Sun Jan  4 16:29:06 2004", "2004-01-04T08:29:06Z", "second"},
        {"Sun Jan 4 16:29:06 2004", "2004-01-04T08:29:06Z", "second"},
        /* Weibo / Twitter */
        {"Sun Jul 15 01:16:00 +0800 2012", "2012-07-14T17:16:00Z", "second"},
        {"Tue Mar 05 09:12:44 +0800 2024", "2024-03-05T01:12:44Z", "second"},
        /* JavaScript Date.prototype.toString, with and without the comment */
        {"Thu Aug 30 2012 17:26:16 +0200", "2012-08-30T15:26:16Z", "second"},
        {"Thu Aug 30 2012 17:26:16 +0200 (CEST)", "2012-08-30T15:26:16Z", "second"},
        {"Thu Aug 30 2012 17:26:16 GMT+0200 (Central European Summer Time)",
         "2012-08-30T15:26:16Z", "second"},
        /* RFC 822 / 850 / 1123 */
        {"Sun, 04 Jan 2004 16:29:06 GMT", "2004-01-04T16:29:06Z", "second"},
        {"Sunday, 04-Jan-04 16:29:06 GMT", "2004-01-04T16:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 +0000 (UTC)", "2004-01-04T16:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 Etc/GMT", "2004-01-04T16:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 Etc/UTC", "2004-01-04T16:29:06Z", "second"},
        /* tz database sign: Etc/GMT+8 is eight hours west, Etc/GMT-8 is Beijing */
        {"Sun, 04 Jan 2004 16:29:06 Etc/GMT+8", "2004-01-05T00:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 Etc/GMT-8", "2004-01-04T08:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 GMT+8", "2004-01-04T08:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 GMT+08:00", "2004-01-04T08:29:06Z", "second"},
        /* named zones */
        {"Sun, 04 Jan 2004 16:29:06 MET", "2004-01-04T15:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 MEST", "2004-07-04T14:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 CET", "2004-01-04T15:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 CEST", "2004-07-04T14:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 EST", "2004-01-04T21:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 EDT", "2004-07-04T20:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 CDT", "2004-07-04T21:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 MST", "2004-01-04T23:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 MDT", "2004-07-04T22:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 PST", "2004-01-05T00:29:06Z", "second"},
        {"Sun, 04 Jul 2004 16:29:06 PDT", "2004-07-04T23:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 UT", "2004-01-04T16:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 UTC", "2004-01-04T16:29:06Z", "second"},
        /* CST stays China Standard Time (FC-015), never US Central */
        {"Sun, 04 Jan 2004 16:29:06 CST", "2004-01-04T08:29:06Z", "second"},
        /* RFC 822 §5 military zones as written there */
        {"Sun, 04 Jan 2004 16:29:06 Z", "2004-01-04T16:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 A", "2004-01-04T17:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 I", "2004-01-05T01:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 K", "2004-01-05T02:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 M", "2004-01-05T04:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 N", "2004-01-04T15:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 Y", "2004-01-04T04:29:06Z", "second"},
        {"Sun, 04 Jan 2004 16:29:06 J", NULL, NULL}, /* J is not a zone */
        /* ISO 8601 ordinal, week, basic and reduced forms */
        {"2003-335", "2003-11-30T16:00:00Z", "day"},
        {"2003-335T16:12:45Z", "2003-12-01T16:12:45Z", "second"},
        {"2004-366", "2004-12-30T16:00:00Z", "day"},
        {"2003-366", NULL, NULL},
        {"2003-W49-1", "2003-11-30T16:00:00Z", "day"},
        {"2004-W01", "2003-12-28T16:00:00Z", "day"},
        {"20031201T161245Z", "2003-12-01T16:12:45Z", "second"},
        {"20031201", "2003-11-30T16:00:00Z", "day"},
        {"2003-12", "2003-11-30T16:00:00Z", "month"},
        {"2003", "2002-12-31T16:00:00Z", "year"},
        {"2003-13", NULL, NULL},
        /* zone-less month-first and day-first forms stay Asia/Shanghai */
        {"Jan 4 2004", "2004-01-03T16:00:00Z", "day"},
        {"Sun Jan 4 2004 16:29", "2004-01-04T08:29:00Z", "minute"},
        /* hostile */
        {"Sun Jan 32 16:29:06 2004", NULL, NULL},
        {"Sun, 04 Jan 2004 16:29:06 +9999", NULL, NULL},
        {"Sun, 04 Jan 2004 16:29:06 Etc/GMT+8:30", NULL, NULL},
        {"Thu Aug 30 2012 17:26:16 +0200 (CEST) trailing", NULL, NULL},
    };
    (void)state;
    ffx_check_dates(cases, sizeof(cases) / sizeof(cases[0]));
}

static void test_reduced_precision_on_the_item(void **state)
{
    static const char body[] =
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><title>t</title>"
        "<item><title>a</title><link>http://a.example/1</link><dc:date>2003-12</dc:date></item>"
        "<item><title>b</title><link>http://a.example/2</link><dc:date>2003</dc:date></item>"
        "</channel></rss>";
    struct feed *f = parse_buf(body, strlen(body), NULL);
    struct yq_item item;

    (void)state;
    assert_string_equal(f->entries[0].published_precision, "month");
    assert_string_equal(f->entries[1].published_precision, "year");
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(feed_item_from_entry(f, &f->entries[i], "s", NULL, 1700000000, 1 << 20,
                                              &item),
                         0);
        assert_string_equal(item.precision, "day"); /* the coarsest an item says */
        assert_int_equal(item.published_at, f->entries[i].published);
        yq_item_release(&item);
    }
    assert_string_equal(feed_date_item_precision("second"), "second");
    assert_null(feed_date_item_precision(NULL));
    feed_free(f);
}

/* ---- relative ids and links ---- */

/*
 * A document read from url (NULL: unknown) with Content-Location content_location (NULL:
 * none) and the links and ids it must give; NULL: not checked. An entry's enclosure is then
 * its only one.
 */
struct link_case {
    const char *what; /* names the case in a failure */
    const char *body, *url, *content_location;
    const char *feed_link, *subtitle;
    struct {
        const char *link, *id, *enclosure;
    } entries[3];
};

static const char rel_atom[] = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
                               "<entry><title>a</title><id>urn:a</id><link href=\"a.html\"/>"
                               "</entry></feed>";
static const char rel_rss[] = "<rss version=\"2.0\"><channel><title>t</title><item><title>a"
                              "</title><link>p/1.html</link><enclosure url=\"m/1.mp3\" "
                              "type=\"audio/mpeg\" length=\"1\"/></item></channel></rss>";

static const struct link_case link_cases[] = {
    /* entry base "2024/" is relative to the feed's: RFC 3986 §5.2 at each level; absolute ids
       stay as they are */
    {"xml:base nested",
     "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:base=\"http://ak.example.cn/news/\">"
     "<title>t</title><link href=\"index.html\"/>"
     "<entry xml:base=\"2024/\"><title>a</title><id>posts/1</id>"
     "<link href=\"03/a.html\"/><link rel=\"enclosure\" href=\"../media/a.mp3\"/></entry>"
     "<entry><title>b</title><id>tag:ak.example.cn,2024:2</id>"
     "<link xml:base=\"/other/\" href=\"b.html\"/></entry>"
     "<entry><title>c</title><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id>"
     "<link href=\"//cdn.example.cn/c.html\"/></entry></feed>",
     "http://feeds.example.net/ak.xml",
     NULL,
     "http://ak.example.cn/news/index.html",
     NULL,
     {{"http://ak.example.cn/news/2024/03/a.html", "http://ak.example.cn/news/2024/posts/1",
       "http://ak.example.cn/news/media/a.mp3"},
      {"http://ak.example.cn/other/b.html", "tag:ak.example.cn,2024:2", NULL},
      {"http://cdn.example.cn/c.html", "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", NULL}}},
    /* no xml:base: an id is kept as written (ids stay stable when the feed's URL changes) */
    {"relative id without xml:base",
     "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>t</title>"
     "<entry><title>a</title><id>12345</id><link href=\"a\"/></entry></feed>",
     "http://feeds.example.net/x/ak.xml",
     NULL,
     NULL,
     NULL,
     {{"http://feeds.example.net/x/a", "12345", NULL}}},
    /* a relative Content-Location: against the URL the body came from */
    {"relative Content-Location",
     rel_atom,
     "http://ak.example.cn/feeds/atom",
     "/zh/news/atom.xml",
     NULL,
     NULL,
     {{"http://ak.example.cn/zh/news/a.html", NULL, NULL}}},
    {"absolute Content-Location",
     rel_atom,
     "http://ak.example.cn/feeds/atom",
     "https://mirror.example.cn/n/",
     NULL,
     NULL,
     {{"https://mirror.example.cn/n/a.html", NULL, NULL}}},
    {"Content-Location, RSS with an enclosure",
     rel_rss,
     "http://ak.example.cn/rss",
     "/zh/rss.xml",
     NULL,
     NULL,
     {{"http://ak.example.cn/zh/p/1.html", NULL, "http://ak.example.cn/zh/m/1.mp3"}}},
    /* without Content-Location the document URL */
    {"no Content-Location",
     rel_rss,
     "http://ak.example.cn/a/rss",
     NULL,
     NULL,
     NULL,
     {{"http://ak.example.cn/a/p/1.html", NULL, "http://ak.example.cn/a/m/1.mp3"}}},
    /* JSON Feed: home page, item URLs and attachments (a non-object one ignored) */
    {"JSON Feed",
     "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\","
     "\"home_page_url\":\"../home/\",\"description\":\"安康 JSON\","
     "\"items\":[{\"id\":\"1\",\"url\":\"posts/1\",\"content_text\":\"x\","
     "\"attachments\":[{\"url\":\"media/1.mp3\",\"mime_type\":\"audio/mpeg\"},7]},"
     "{\"id\":\"2\",\"external_url\":\"/ext/2\",\"content_text\":\"y\"}]}",
     "https://feeds.example.cn/ak/feed.json",
     NULL,
     "https://feeds.example.cn/home/",
     "安康 JSON",
     {{"https://feeds.example.cn/ak/posts/1", NULL, "https://feeds.example.cn/ak/media/1.mp3"},
      {"https://feeds.example.cn/ext/2", NULL, NULL}}},
    /* no feed URL known: against the home page */
    {"JSON Feed without a URL",
     "{\"version\":\"https://jsonfeed.org/version/1\",\"title\":\"t\","
     "\"home_page_url\":\"https://ak.example.cn/\",\"items\":[{\"id\":\"1\","
     "\"url\":\"/p/1\",\"content_text\":\"x\"}]}",
     NULL,
     NULL,
     NULL,
     NULL,
     {{"https://ak.example.cn/p/1", NULL, NULL}}},
};

static void test_relative_ids_and_links(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(link_cases) / sizeof(link_cases[0]); i++) {
        const struct link_case *c = &link_cases[i];
        struct feed *f = parse_url(c->body, c->url, c->content_location);

        print_message("%s\n", c->what);
        expect_field(f->link, c->feed_link);
        expect_field(f->subtitle, c->subtitle);
        for (size_t k = 0; k < 3 && c->entries[k].link; k++) {
            assert_true(k < f->n_entries);
            assert_string_equal(f->entries[k].link, c->entries[k].link);
            expect_field(f->entries[k].id, c->entries[k].id);
            if (c->entries[k].enclosure) {
                assert_int_equal(f->entries[k].n_enclosures, 1);
                assert_string_equal(f->entries[k].enclosures[0], c->entries[k].enclosure);
            }
        }
        feed_free(f);
    }
}

/* ---- `yuqing-collector parse` ---- */

static void test_cli_parse_reports_encoding(void **state)
{
    char path[] = "/tmp/yq-test-feed15-XXXXXX";
    char cmd[1024], out[8192] = "";
    size_t len, got;
    char *body;
    FILE *fp;
    int fd, status;

    (void)state;
    body = ffx_encode(
        "<rss version=\"2.0\"><channel><title>臺北市政府新聞稿</title><item><title>"
        "臺北市政府宣布新的交通管制措施</title><link>item/1</link><pubDate>Sun Jul 15 "
        "01:16:00 +0800 2012</pubDate><description>市民朋友請多加利用大眾運輸工具，並注意"
        "行車安全，謝謝大家的配合。</description></item></channel></rss>",
        "BIG5", &len);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, body, len), (ssize_t)len);
    close(fd);
    free(body);
    snprintf(cmd, sizeof(cmd), "%s parse %s --url http://tp.example/rss --content-location /zh/ 2>&1",
             YQ_COLLECTOR_BIN, path);
    fp = popen(cmd, "r");
    assert_non_null(fp);
    got = fread(out, 1, sizeof(out) - 1, fp);
    out[got] = '\0';
    status = pclose(fp);
    unlink(path);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_non_null(strstr(out, "\"encoding\":\"big5\""));
    assert_non_null(strstr(out, "\"encoding_source\":\"detected\""));
    assert_non_null(strstr(out, "\"title\":\"臺北市政府宣布新的交通管制措施\""));
    assert_non_null(strstr(out, "\"link\":\"http://tp.example/zh/item/1\""));
    assert_non_null(strstr(out, "\"published\":\"2012-07-14T17:16:00Z\""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undeclared_encodings_detected),
        cmocka_unit_test(test_short_gb2312_not_read_as_latin),
        cmocka_unit_test(test_utf8_undeclared_is_default_not_detected),
        cmocka_unit_test(test_undecodable_body_is_an_error),
        cmocka_unit_test(test_utf16_utf32_with_and_without_bom),
        cmocka_unit_test(test_wide_hostile_bytes),
        cmocka_unit_test(test_declared_encodings_via_iconv),
        cmocka_unit_test(test_unknown_or_unfitting_label_ignored),
        cmocka_unit_test(test_atom_base64_content),
        cmocka_unit_test(test_dublin_core_fallbacks),
        cmocka_unit_test(test_namespaces_by_uri_not_prefix),
        cmocka_unit_test(test_atom_person_keeps_email),
        cmocka_unit_test(test_issue15_dates),
        cmocka_unit_test(test_reduced_precision_on_the_item),
        cmocka_unit_test(test_relative_ids_and_links),
        cmocka_unit_test(test_cli_parse_reports_encoding),
    };
    int rc;

    xmlInitParser();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    xmlCleanupParser();
    return rc;
}
