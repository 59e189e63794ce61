/* Item and alert JSON encoding (design §2, §4): exact field values survive a round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_alert.h"
#include "yq_err.h"
#include "file_fixture.h"
#include "test_expect.h"
#include "yq_item.h"
#include "yq_time.h"

static struct yq_item sample_item(void)
{
    struct yq_item it = {0};
    it.id = "rss:0123456789abcdef0123456789abcdef01234567";
    it.source = "rss";
    it.source_id = "ankang-news";
    it.channel = "安康新闻网";
    it.url = "https://news.example.cn/2026/1129/a1.html";
    it.title = "汉滨区征地补偿款\"迟迟未到位\"";
    it.text = "村民反映：补偿款\n尚未发放";
    it.author = "记者 张三";
    it.has_published = true;
    it.published_at = 1795939200; /* 2026-11-29T08:00:00Z */
    it.precision = "minute";
    it.fetched_at = 1795939260;
    it.metrics.known = true;
    it.metrics.capped = true;
    it.metrics.reposts = 1000000;
    it.metrics.comments = 72000;
    it.metrics.likes = 5;
    it.region = "陕西";
    return it;
}

static void test_item_round_trip_keeps_every_field(void **state)
{
    struct yq_item in = sample_item(), out;
    char *json = NULL, err[128] = "";
    size_t len = 0;

    (void)state;
    assert_int_equal(yq_item_encode(&in, &json, &len), 0);
    assert_int_equal(len, strlen(json));
    assert_non_null(strstr(json, "\"published_at\":\"2026-11-29T08:00:00Z\""));
    assert_non_null(strstr(json, "\"fetched_at\":\"2026-11-29T08:01:00Z\""));
    assert_non_null(strstr(json, "\"capped\":true"));
    assert_null(strstr(json, "reply_to"));
    assert_int_equal(yq_item_decode(json, len, &out, err, sizeof(err)), 0);
    assert_string_equal(out.id, in.id);
    assert_string_equal(out.channel, "安康新闻网");
    assert_string_equal(out.title, "汉滨区征地补偿款\"迟迟未到位\"");
    assert_string_equal(out.text, "村民反映：补偿款\n尚未发放");
    assert_true(out.has_published);
    assert_int_equal(out.published_at, 1795939200);
    assert_string_equal(out.precision, "minute");
    assert_int_equal(out.fetched_at, 1795939260);
    assert_true(out.metrics.known);
    assert_true(out.metrics.capped);
    assert_int_equal(out.metrics.reposts, 1000000);
    assert_int_equal(out.metrics.comments, 72000);
    assert_string_equal(out.region, "陕西");
    assert_null(out.reply_to);
    yq_item_release(&out);
    free(json);
}

static void test_item_unknown_date_is_null_not_now(void **state)
{
    struct yq_item in = sample_item(), out;
    char *json = NULL, err[128] = "";

    (void)state;
    in.has_published = false;
    assert_int_equal(yq_item_encode(&in, &json, NULL), 0);
    assert_non_null(strstr(json, "\"published_at\":null"));
    assert_int_equal(yq_item_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_false(out.has_published);
    yq_item_release(&out);
    free(json);
}

static void test_item_decode_rejects_bad_input(void **state)
{
    static const struct {
        const char *json;
        const char *msg;
    } cases[] = {
        {"not json", "not JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"schema\":2,\"id\":\"a\",\"source\":\"rss\",\"source_id\":\"s\"}", "schema"},
        {"{\"schema\":1,\"source\":\"rss\",\"source_id\":\"s\"}", "'id' is missing"},
        {"{\"schema\":1,\"id\":\"\",\"source\":\"rss\",\"source_id\":\"s\"}", "'id' must be"},
        {"{\"schema\":1,\"id\":\"a\",\"source\":\"rss\",\"source_id\":\"s\",\"title\":5}",
         "'title' must be"},
        {"{\"schema\":1,\"id\":\"a\",\"source\":\"rss\",\"source_id\":\"s\","
         "\"published_at\":\"yesterday\"}",
         "published_at"},
        /* year 10000 in UTC: the encoder could not write it back (found by fuzz_source_event) */
        {"{\"schema\":1,\"id\":\"a\",\"source\":\"rss\",\"source_id\":\"s\","
         "\"published_at\":\"9999-12-31T24:00:00Z\"}",
         "'published_at' is not RFC 3339"},
        {"{\"schema\":1,\"id\":\"a\",\"source\":\"rss\",\"source_id\":\"s\","
         "\"fetched_at\":\"9999-12-31T23:00:00-01:00\"}",
         "'fetched_at' is not RFC 3339"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct yq_item out;
        char err[128] = "";
        assert_int_equal(yq_item_decode(cases[i].json, strlen(cases[i].json), &out, err,
                                        sizeof(err)),
                         ERR_PARSE);
        assert_non_null(strstr(err, cases[i].msg));
        assert_null(out.id);
    }
}

/* An alert of sample_item() with the one match m (borrowed), level III, 市自然资源局. */
static struct yq_alert sample_alert(struct yq_alert_match *m)
{
    struct yq_alert a = {0};
    a.event_key = "ev:rss:01";
    a.matched_at = 1795939300;
    a.level = YQ_LEVEL_III;
    a.department = "市自然资源局";
    a.n_matches = 1;
    a.matches = m;
    a.item = sample_item();
    return a;
}

/* "{" + prefix + the rest of the encoded object json: the message with a key written twice. */
static char *with_key_twice(const char *json, const char *prefix)
{
    size_t n = strlen(prefix) + strlen(json) + 1;
    char *out = malloc(n);

    assert_non_null(out);
    assert_int_equal(json[0], '{');
    snprintf(out, n, "{%s%s", prefix, json + 1);
    return out;
}

/*
 * One message, two readers: a key written twice is refused with the shared message
 * (yq_json_decode_object()) by the item and the alert codec alike (the source event codec in
 * test_source_event.c), instead of being read as whichever value jansson keeps.
 */
static void test_duplicate_key_item_and_alert_are_refused(void **state)
{
    struct yq_alert_match m = {.rule_id = "land-01",
                               .name = "征地拆迁补偿",
                               .department = "市自然资源局",
                               .level = YQ_LEVEL_III};
    struct yq_item in = sample_item(), item;
    struct yq_alert alert = sample_alert(&m), out;
    char *json = NULL, *twice, err[160] = "";

    (void)state;
    assert_int_equal(yq_item_encode(&in, &json, NULL), 0);
    twice = with_key_twice(json, "\"id\":\"rss:forged\",");
    assert_int_equal(yq_item_decode(twice, strlen(twice), &item, err, sizeof(err)), ERR_PARSE);
    assert_string_equal(err, "item is not JSON: duplicate object key near '\"id\"' at line 1 "
                             "col 34");
    assert_null(item.id);
    free(twice);
    free(json);

    assert_int_equal(yq_alert_encode(&alert, &json, NULL), 0);
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    yq_alert_release(&out);
    twice = with_key_twice(json, "\"level\":\"I\",");
    assert_int_equal(yq_alert_decode(twice, strlen(twice), &out, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "alert is not JSON: duplicate object key near '\"level\"' at "
                                "line 1 col "));
    assert_null(out.event_key);
    free(twice);
    free(json);
}

static void test_alert_round_trip(void **state)
{
    struct yq_alert_term terms[] = {
        {.term = "征地", .field = "title", .start = 3, .end = 5, .excerpt = "征地"},
        {.term = "wifi", .field = "title", .start = 5, .end = 9, .excerpt = "ＷＩＦＩ"},
    };
    struct yq_alert_match m = {.rule_id = "land-01",
                               .name = "征地拆迁补偿",
                               .group = "征地拆迁",
                               .department = "市自然资源局",
                               .level = YQ_LEVEL_III,
                               .n_terms = 2,
                               .terms = terms};
    struct yq_alert in = sample_alert(&m), out;
    char *json = NULL, err[128] = "";

    (void)state;
    in.event_new = true;
    in.event_items = 1;
    in.rules_version = 7;
    in.score = 21.5;
    assert_int_equal(yq_alert_encode(&in, &json, NULL), 0);
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_string_equal(out.event_key, "ev:rss:01");
    assert_true(out.event_new);
    assert_int_equal(out.rules_version, 7);
    assert_int_equal(out.matched_at, 1795939300);
    assert_true(out.score > 21.49 && out.score < 21.51);
    assert_int_equal(out.level, YQ_LEVEL_III);
    assert_int_equal(out.n_matches, 1);
    assert_string_equal(out.matches[0].rule_id, "land-01");
    assert_string_equal(out.matches[0].group, "征地拆迁");
    assert_string_equal(out.matches[0].department, "市自然资源局");
    assert_int_equal(out.matches[0].n_terms, 2);
    assert_string_equal(out.matches[0].terms[1].term, "wifi");
    assert_string_equal(out.matches[0].terms[1].field, "title");
    assert_int_equal(out.matches[0].terms[1].start, 5);
    assert_int_equal(out.matches[0].terms[1].end, 9);
    assert_string_equal(out.matches[0].terms[0].excerpt, "征地");
    assert_string_equal(out.matches[0].terms[1].excerpt, "ＷＩＦＩ");
    assert_string_equal(out.item.id, in.item.id);
    yq_alert_release(&out);
    free(json);

    /* a rule without a group: no "group" key, and it decodes back to NULL */
    m.group = NULL;
    assert_int_equal(yq_alert_encode(&in, &json, NULL), 0);
    assert_null(strstr(json, "\"group\""));
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_null(out.matches[0].group);
    assert_string_equal(out.matches[0].name, "征地拆迁补偿");
    yq_alert_release(&out);
    free(json);
}

/*
 * Issue #10: rules_unverified / rules_checked_at survive a round trip, are written only when
 * the rules were unverified (rules_checked_at only when known), and a bad time is refused.
 */
static void test_issue_10_alert_rules_unverified(void **state)
{
    struct yq_alert_match m = {.rule_id = "land-01",
                               .name = "征地拆迁补偿",
                               .department = "市自然资源局",
                               .level = YQ_LEVEL_III};
    struct yq_alert in = sample_alert(&m), out;
    char *json = NULL, err[128] = "", *bad;
    const char *at;

    (void)state;
    in.rules_version = 7;

    /* verified (the normal case): neither key, even with a time set */
    in.rules_checked_at = 1795939000;
    assert_int_equal(yq_alert_encode(&in, &json, NULL), 0);
    assert_null(strstr(json, "rules_unverified"));
    assert_null(strstr(json, "rules_checked_at"));
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_false(out.rules_unverified);
    assert_int_equal(out.rules_checked_at, 0);
    yq_alert_release(&out);
    free(json);

    /* unverified with the last confirmation */
    in.rules_unverified = true;
    assert_int_equal(yq_alert_encode(&in, &json, NULL), 0);
    assert_non_null(strstr(json, "\"rules_unverified\":true"));
    assert_non_null(strstr(json, "\"rules_checked_at\":\"2026-11-29T07:56:40Z\""));
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_true(out.rules_unverified);
    assert_int_equal(out.rules_checked_at, 1795939000);
    yq_alert_release(&out);

    /* a rules_checked_at that is not RFC 3339 is refused, naming the field */
    at = strstr(json, "2026-11-29T07:56:40Z");
    assert_non_null(at);
    bad = strdup(json);
    assert_non_null(bad);
    memcpy(bad + (at - json), "yesterday, 7 pm.....", 20);
    assert_int_equal(yq_alert_decode(bad, strlen(bad), &out, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "rules_checked_at"));
    free(bad);
    free(json);

    /* unverified and never confirmed: no rules_checked_at */
    in.rules_checked_at = 0;
    assert_int_equal(yq_alert_encode(&in, &json, NULL), 0);
    assert_non_null(strstr(json, "\"rules_unverified\":true"));
    assert_null(strstr(json, "rules_checked_at"));
    assert_int_equal(yq_alert_decode(json, strlen(json), &out, err, sizeof(err)), 0);
    assert_true(out.rules_unverified);
    assert_int_equal(out.rules_checked_at, 0);
    yq_alert_release(&out);
    free(json);
}

/* An alert produced before matches carried "group" (still in Kafka) decodes with group NULL. */
static void test_alert_without_group_decodes(void **state)
{
    static const char old[] =
        "{\"schema\":1,\"event_key\":\"ev:rss:01\",\"event\":{\"new\":true,\"items\":1},"
        "\"rules_version\":3,\"matched_at\":\"2026-11-29T08:00:00Z\",\"score\":40.0,"
        "\"level\":\"III\",\"department\":\"市自然资源局\","
        "\"matches\":[{\"rule_id\":\"land-01\",\"name\":\"征地拆迁补偿\","
        "\"department\":\"市自然资源局\",\"level\":\"III\",\"terms\":[]},"
        "{\"rule_id\":\"env-01\",\"name\":\"环境污染\",\"group\":\"\","
        "\"department\":\"市生态环境局\",\"level\":\"IV\",\"terms\":[]}],"
        "\"item\":{\"schema\":1,\"id\":\"rss:01\",\"source\":\"rss\","
        "\"source_id\":\"ak-news\",\"channel\":\"安康新闻网\","
        "\"url\":\"https://news.example.cn/1\",\"title\":\"征地\",\"text\":\"\","
        "\"author\":\"\",\"published_at\":null,\"published_precision\":\"second\","
        "\"fetched_at\":\"2026-11-29T07:59:00Z\"}}";
    struct yq_alert out;
    char err[128] = "";

    (void)state;
    if (yq_alert_decode(old, strlen(old), &out, err, sizeof(err)) != 0) {
        fail_msg("decode: %s", err);
    }
    assert_int_equal(out.n_matches, 2);
    assert_string_equal(out.matches[0].rule_id, "land-01");
    assert_null(out.matches[0].group);
    assert_null(out.matches[1].group); /* "" is no group either */
    yq_alert_release(&out);
}

static void test_level_names(void **state)
{
    enum yq_level l;
    (void)state;
    assert_int_equal(yq_level_parse("II", &l), 0);
    assert_int_equal(l, YQ_LEVEL_II);
    assert_int_equal(yq_level_parse("一般", &l), 0);
    assert_int_equal(l, YQ_LEVEL_IV);
    assert_int_equal(yq_level_parse("V", &l), ERR_INVALID);
    assert_string_equal(yq_level_name(YQ_LEVEL_III), "III");
    assert_string_equal(yq_level_label(YQ_LEVEL_I), "特别重大");
}

static void test_time_parse_iso_zones(void **state)
{
    static const struct {
        const char *text;
        int64_t want;
        const char *precision;
    } cases[] = {
        {"2024-03-05T06:30:00Z", 1709620200, "second"},
        {"2024-03-05T14:30:00+08:00", 1709620200, "second"},
        {"2024-03-05T14:30:00+0800", 1709620200, "second"},
        {"2024-03-05 14:30:00", 1709620200, "second"}, /* no zone: Asia/Shanghai */
        {"2024-03-05T14:30", 1709620200, "minute"},
        {"2024-03-05T06:30:00.250Z", 1709620200, "second"},
        {"2024-03-05", 1709568000, "day"}, /* midnight in Shanghai = 16:00Z the day before */
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = 0;
        const char *p = NULL;
        assert_int_equal(yq_time_parse_iso(cases[i].text, &t, &p), 0);
        assert_int_equal(t, cases[i].want);
        assert_string_equal(p, cases[i].precision);
    }
    int64_t t;
    assert_int_equal(yq_time_parse_iso("2024-13-05", &t, NULL), ERR_PARSE);
    /* the edges of what yq_time_format_utc() can write (four-digit years) and one past each */
    assert_int_equal(yq_time_parse_iso("9999-12-31T23:59:59Z", &t, NULL), 0);
    assert_int_equal(t, YQ_TIME_MAX);
    assert_int_equal(yq_time_parse_iso("0000-01-01T00:00:00Z", &t, NULL), 0);
    assert_int_equal(t, YQ_TIME_MIN);
    assert_int_equal(yq_time_parse_iso("9999-12-31T24:00:00Z", &t, NULL), ERR_PARSE);
    assert_int_equal(yq_time_parse_iso("9999-12-31T23:59:59-00:01", &t, NULL), ERR_PARSE);
    assert_int_equal(yq_time_parse_iso("0000-01-01T00:00:00+00:01", &t, NULL), ERR_PARSE);
    assert_int_equal(yq_time_parse_iso("0000-01-01", &t, NULL), ERR_PARSE); /* Shanghai */
    assert_int_equal(yq_time_parse_iso("2024-03-05T14:30:00 CST", &t, NULL), ERR_PARSE);
    char buf[32];
    assert_string_equal(yq_time_format_shanghai(1709620200, buf, sizeof(buf)), "2024-03-05 14:30");
}

/*
 * Every time yq_time_parse_iso() accepts is one yq_time_format_utc() writes back as the same
 * instant (the codecs' decode(encode(x)) fixed point rests on it): the edges of the four-digit
 * years, the zones and hour 24 that push past them, a leap second.
 */
static void test_time_parse_iso_accepts_only_what_format_writes(void **state)
{
    static const char *const texts[] = {
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59+00:01",
        "9999-12-31T23:59:60Z",
        "9999-12-31T24:00:00Z",
        "9999-12-31T23:59:59-23:59",
        "9999-12-31",
        "9999-12-31T23:59",
        "0000-01-01T00:00:00Z",
        "0000-01-01T00:00:00-00:01",
        "0000-01-01T00:00:00+23:59",
        "0000-01-01",
        "0000-01-01T08:00:00",
        "1970-01-01T00:00:00Z",
        "2026-12-05T24:00:00+08:00",
    };
    int accepted = 0;

    (void)state;
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        int64_t t, back;
        char buf[40];

        if (yq_time_parse_iso(texts[i], &t, NULL) != 0) {
            continue;
        }
        accepted++;
        assert_true(yq_time_writable(t));
        yq_time_format_utc(t, buf, sizeof(buf));
        if (yq_time_parse_iso(buf, &back, NULL) != 0 || back != t) {
            fail_msg("'%s' parsed to %lld, written as '%s', which does not read back", texts[i],
                     (long long)t, buf);
        }
    }
    assert_int_equal(accepted, 10); /* the 4 that leave 0000..9999 in UTC are refused */
    assert_true(yq_time_writable(YQ_TIME_MIN));
    assert_true(yq_time_writable(YQ_TIME_MAX));
    assert_false(yq_time_writable(YQ_TIME_MIN - 1));
    assert_false(yq_time_writable(YQ_TIME_MAX + 1));
}

/* Issue #10: a 1.2 MB title and a 3 MB text are cut to their limits, never split a character,
   are marked, and the encoded item fits the message size. */
/* civil_from_days inverts days_from_civil: leap days, century rules, before the epoch */
static void test_time_civil_from_days_round_trip(void **state)
{
    static const struct {
        int64_t y;
        unsigned m, d;
        int64_t days;
    } cases[] = {
        {1970, 1, 1, 0},      {1969, 12, 31, -1},    {2000, 2, 29, 11016},
        {1900, 3, 1, -25508}, {2024, 12, 31, 20088}, {1600, 1, 1, -135140},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t y;
        unsigned m, d;
        assert_int_equal(yq_time_days_from_civil(cases[i].y, cases[i].m, cases[i].d),
                         cases[i].days);
        yq_time_civil_from_days(cases[i].days, &y, &m, &d);
        assert_int_equal(y, cases[i].y);
        assert_int_equal(m, cases[i].m);
        assert_int_equal(d, cases[i].d);
    }
    for (int64_t day = -800000; day <= 800000; day += 997) {
        int64_t y;
        unsigned m, d;
        yq_time_civil_from_days(day, &y, &m, &d);
        assert_int_equal(yq_time_days_from_civil(y, m, d), day);
    }
}

static void test_issue_10_fields_bounded_and_marked(void **state)
{
    struct yq_item it = sample_item(), back;
    char *title = file_fixture_repeat("标", 400000), *text = file_fixture_repeat("补偿", 500000), *json = NULL;
    char err[128] = "";
    size_t len = 0;

    (void)state;
    it.title = title;
    it.text = text;
    assert_int_equal(yq_item_encode_bounded(&it, 1000000, &json, &len), 0);
    assert_true(len <= 1000000);
    assert_int_equal(len, strlen(json));
    assert_true(strlen(title) <= YQ_ITEM_MAX_TITLE_BYTES);
    assert_int_equal(strlen(title) % 3, 0); /* whole characters only */
    assert_true(strlen(text) <= YQ_ITEM_MAX_TEXT_BYTES);
    assert_int_equal(strlen(text) % 3, 0);
    assert_non_null(strstr(json, "\"truncated_fields\":[\"title\",\"text\"]"));
    assert_null(strstr(json, "\"truncated\":true")); /* the Weibo preview mark is separate */
    assert_int_equal(yq_item_decode(json, len, &back, err, sizeof(err)), 0);
    assert_int_equal(back.truncated_fields, YQ_ITEM_F_TITLE | YQ_ITEM_F_TEXT);
    assert_string_equal(back.title, title);
    assert_false(back.truncated);
    yq_item_release(&back);
    free(json);
    free(title);
    free(text);
}

/* Escaping can grow a field six times (control characters): the encoder cuts further. */
static void test_issue_10_escaped_text_cut_to_fit(void **state)
{
    struct yq_item it = sample_item();
    char *text = file_fixture_repeat("\x01", 400000), *json = NULL;
    size_t len = 0;

    (void)state;
    it.text = text;
    assert_int_equal(yq_item_encode_bounded(&it, 100000, &json, &len), 0);
    assert_true(len <= 100000);
    assert_true(strlen(text) > 10000); /* cut, not emptied */
    assert_non_null(strstr(json, "\"truncated_fields\":[\"text\"]"));
    free(json);
    free(text);
    /* a limit no item can meet is an error, not a loop (fields are cut in place: copy them) */
    it = sample_item();
    struct yq_item heap;
    assert_int_equal(yq_item_copy(&heap, &it), 0);
    assert_int_equal(yq_item_encode_bounded(&heap, 100, &json, &len), ERR_TOO_BIG);
    assert_null(json);
    yq_item_release(&heap);
}

/*
 * Issue #10: an item the collector bounded (its JSON just under the message limit, the text
 * made of quotes that escaping doubles) with many matched terms made an alert larger than
 * Kafka's message.max.bytes. The bounded encoder cuts the terms and the item until the alert
 * fits, keeps every matched rule, marks what it cut, and the notifier still decodes it.
 */
static void test_issue_10_alert_bounded_to_message_limit(void **state)
{
    char unit[700], err[256] = "";
    char *text, *orig_text, *json = NULL, *item_json = NULL;
    size_t len = 0, item_len = 0;
    struct yq_item it = sample_item();
    struct yq_alert a = {0}, out;
    static const char *const rule_ids[] = {"lg-01", "lg-02", "land-01"};

    (void)state;
    memset(unit, '"', 600);
    memcpy(unit + 600, "岚皋", strlen("岚皋") + 1);
    text = file_fixture_repeat(unit, 900);
    /* as the collector sends it: bounded to its item limit */
    assert_int_equal(yq_item_copy(&a.item, &it), 0);
    free(a.item.text);
    a.item.text = text;
    assert_int_equal(
        yq_item_encode_bounded(&a.item, YQ_KAFKA_MESSAGE_MAX_BYTES - 4096, &item_json, &item_len),
        0);
    assert_true(item_len > YQ_ALERT_MAX_BYTES - 8192); /* close to the limit */
    free(item_json);
    orig_text = strdup(a.item.text);
    assert_non_null(orig_text);

    a.event_key = strdup("ev:1");
    a.event_items = 1;
    a.rules_version = 3;
    a.matched_at = 1795939200;
    a.level = YQ_LEVEL_III;
    a.department = strdup("市自然资源局");
    a.n_matches = 3;
    a.matches = calloc(3, sizeof(*a.matches));
    assert_non_null(a.matches);
    for (size_t i = 0; i < 3; i++) {
        struct yq_alert_match *m = &a.matches[i];
        m->rule_id = strdup(rule_ids[i]);
        m->name = strdup("岚皋舆情");
        m->department = strdup("市自然资源局");
        m->level = YQ_LEVEL_III;
        m->n_terms = i == 2 ? 2 : 900; /* one hit per 岚皋 in the text */
        m->terms = calloc(m->n_terms, sizeof(*m->terms));
        assert_non_null(m->terms);
        for (size_t j = 0; j < m->n_terms; j++) {
            m->terms[j].term = strdup("岚皋");
            m->terms[j].field = "text";
            m->terms[j].start = (int64_t)(j * 602 + 600); /* code points */
            m->terms[j].end = m->terms[j].start + 2;
            m->terms[j].excerpt = strdup(i == 0 ? unit : "岚皋"); /* 606 bytes, 1206 escaped */
        }
    }
    /* the plain encoding is over the broker's limit: what Kafka refused forever */
    assert_int_equal(yq_alert_encode(&a, &json, &len), 0);
    assert_true(len > YQ_KAFKA_MESSAGE_MAX_BYTES);
    free(json);

    assert_int_equal(yq_alert_encode_bounded(&a, YQ_ALERT_MAX_BYTES, &json, &len), 0);
    assert_true(len <= YQ_ALERT_MAX_BYTES);
    assert_int_equal(strlen(json), len);
    assert_int_equal(yq_alert_decode(json, len, &out, err, sizeof(err)), 0);
    assert_int_equal(out.n_matches, 3); /* every matched rule kept */
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(out.matches[i].rule_id, rule_ids[i]);
    }
    assert_true(out.matches[0].terms_truncated);
    assert_int_equal(out.matches[0].n_terms, YQ_ALERT_BOUNDED_TERMS);
    assert_int_equal(strlen(out.matches[0].terms[0].excerpt), YQ_ALERT_BOUNDED_EXCERPT_BYTES);
    assert_true(out.matches[1].terms_truncated);
    assert_int_equal(out.matches[1].n_terms, YQ_ALERT_BOUNDED_TERMS);
    assert_string_equal(out.matches[1].terms[15].excerpt, "岚皋");
    assert_false(out.matches[2].terms_truncated); /* nothing of it was cut */
    assert_int_equal(out.matches[2].n_terms, 2);
    assert_true(out.item.truncated_fields & YQ_ITEM_F_TEXT);
    assert_int_equal(out.item.truncated_fields & YQ_ITEM_F_TITLE, 0);
    assert_string_equal(out.item.title, it.title);
    assert_string_equal(out.item.id, it.id);
    /* a prefix of the text, cut at a character boundary */
    assert_true(strlen(out.item.text) > 100000 && strlen(out.item.text) < strlen(orig_text));
    assert_memory_equal(out.item.text, orig_text, strlen(out.item.text));
    assert_int_not_equal((unsigned char)orig_text[strlen(out.item.text)] & 0xC0, 0x80);
    yq_alert_release(&out);
    free(json);

    /* an alert that fits is encoded exactly as yq_alert_encode() does, nothing marked */
    {
        char *plain = NULL;
        assert_int_equal(yq_alert_encode(&a, &plain, NULL), 0);
        assert_int_equal(yq_alert_encode_bounded(&a, YQ_ALERT_MAX_BYTES, &json, &len), 0);
        assert_string_equal(json, plain);
        free(plain);
        free(json);
    }
    /* a limit no alert can meet is an error, not a loop */
    assert_int_equal(yq_alert_encode_bounded(&a, 200, &json, &len), ERR_TOO_BIG);
    assert_null(json);
    yq_alert_release(&a);
    free(orig_text);
}

static void test_utf8_cut_never_splits_a_character(void **state)
{
    char s[] = "a标b"; /* 'a', 3 bytes, 'b' */
    (void)state;
    assert_false(yq_utf8_cut(s, 10));
    assert_true(yq_utf8_cut(s, 3));
    assert_string_equal(s, "a");
    assert_false(yq_utf8_cut(NULL, 3));
}

/*
 * A cut never parts what reads as one character: an emoji ZWJ sequence, a skin tone, a
 * variation selector, a combining mark, a flag's two regional indicators.
 */
static void test_utf8_cut_on_grapheme_boundary(void **state)
{
    static const struct {
        const char *in;
        size_t max;
        const char *want;
    } cases[] = {
        /* 气 (3) + 👨‍👩‍👧 (4+3+4+3+4 = 18): any cut inside the family keeps 气 alone
         */
        {"气\U0001F468\u200D\U0001F469\u200D\U0001F467", 7, "气"},
        {"气\U0001F468\u200D\U0001F469\u200D\U0001F467", 10, "气"},
        {"气\U0001F468\u200D\U0001F469\u200D\U0001F467", 20, "气"},
        {"气\U0001F468\u200D\U0001F469\u200D\U0001F467!", 21,
         "气\U0001F468\u200D\U0001F469\u200D\U0001F467"},
        {"赞\U0001F44D\U0001F3FD", 7, "赞"}, /* skin tone */
        {"我\u2764\uFE0F了", 6, "我"},       /* ❤ + VS16 */
        {"Cafe\u0301s", 5, "Caf"},           /* e + combining acute */
        {"安\U0001F1E8\U0001F1F3", 7, "安"}, /* flag 🇨🇳 */
        {"安\U0001F1E8\U0001F1F3\U0001F1E8\U0001F1F3", 11, "安\U0001F1E8\U0001F1F3"},
        {"燃气泄漏", 7, "燃气"}, /* plain: as before */
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[64];
        snprintf(buf, sizeof(buf), "%s", cases[i].in);
        assert_true(yq_utf8_cut(buf, cases[i].max));
        if (strcmp(buf, cases[i].want) != 0) {
            fail_msg("case %zu: cut to %zu gave '%s', want '%s'", i, cases[i].max, buf,
                     cases[i].want);
        }
    }
    /* a long run of flags (Weibo posts have them): every cut keeps whole flags, however far
       the run reaches back (8 bytes a flag, 4 a regional indicator) */
    {
        char flags[2048] = "安";
        size_t base = strlen(flags);
        for (int i = 0; i < 200; i++) {
            strcat(flags, "\U0001F1E8\U0001F1F3"); /* 🇨🇳 */
        }
        for (size_t max = base; max < strlen(flags); max++) {
            char buf[2048];
            size_t len;
            memcpy(buf, flags, sizeof(flags));
            assert_true(yq_utf8_cut(buf, max));
            len = strlen(buf);
            if ((len - base) % 8 != 0 || len > max || len + 8 <= max) {
                fail_msg("flags cut to %zu gave %zu bytes", max, len);
            }
        }
    }
    /* a first cluster longer than the limit is cut inside, never to nothing */
    {
        char buf[512] = "Z";
        for (int i = 0; i < 100; i++) {
            strcat(buf, "\u0301");
        }
        assert_true(yq_utf8_cut(buf, 100));
        assert_int_equal(strlen(buf), 99); /* Z and 49 marks of 2 bytes */
        assert_int_equal(buf[0], 'Z');
    }
}

/* Issue #10: published 8 h after the fetch (Beijing time labelled UTC) */
static void test_issue_10_future_timestamp(void **state)
{
    struct yq_item it = sample_item(), back;
    char *json = NULL, err[128] = "";
    size_t len = 0;

    (void)state;
    it.fetched_at = 1795939200;
    it.published_at = it.fetched_at + 8 * 3600;
    assert_true(yq_item_is_future(&it));
    assert_int_equal(yq_item_effective_time(&it), it.fetched_at);
    assert_int_equal(yq_item_encode(&it, &json, &len), 0);
    assert_non_null(strstr(json, "\"future_timestamp\":true"));
    assert_non_null(strstr(json, "\"published_at\":\"2026-11-29T16:00:00Z\"")); /* raw kept */
    assert_int_equal(yq_item_decode(json, len, &back, err, sizeof(err)), 0);
    assert_true(back.future_timestamp);
    assert_int_equal(back.published_at, it.published_at);
    assert_int_equal(yq_item_effective_time(&back), it.fetched_at);
    yq_item_release(&back);
    free(json);

    /* within ten minutes: taken as given */
    it.published_at = it.fetched_at + YQ_ITEM_FUTURE_SLACK_S;
    assert_false(yq_item_is_future(&it));
    assert_int_equal(yq_item_effective_time(&it), it.published_at);
    assert_int_equal(yq_item_encode(&it, &json, &len), 0);
    assert_null(strstr(json, "future_timestamp"));
    free(json);
    /* unknown publication time: the fetch time */
    it.has_published = false;
    assert_int_equal(yq_item_effective_time(&it), it.fetched_at);
}

/*
 * Issue #11: the source's marks survive the round trip and a copy; an unmarked item writes
 * none of them ("official", "local", "department" only when set).
 */
static void test_issue_11_official_local_department(void **state)
{
    static const char *const unmarked_absent[] = {"official", "\"local\"", "department"};
    struct yq_item in = sample_item(), out, copy;
    char *json = NULL, err[128] = "";
    size_t len = 0;

    (void)state;
    assert_int_equal(yq_item_encode(&in, &json, &len), 0);
    test_expect_text("an unmarked item", json, NULL, 0, unmarked_absent,
                     sizeof(unmarked_absent) / sizeof(unmarked_absent[0]));
    free(json);
    in.official = true;
    in.local = true;
    in.department = "安康市人民政府办公室";
    assert_int_equal(yq_item_encode(&in, &json, &len), 0);
    assert_non_null(strstr(json, "\"official\":true,\"local\":true,"
                                 "\"department\":\"安康市人民政府办公室\""));
    assert_int_equal(yq_item_decode(json, len, &out, err, sizeof(err)), 0);
    assert_true(out.official);
    assert_true(out.local);
    assert_string_equal(out.department, "安康市人民政府办公室");
    assert_int_equal(yq_item_copy(&copy, &out), 0);
    assert_true(copy.official);
    assert_string_equal(copy.department, "安康市人民政府办公室");
    assert_ptr_not_equal(copy.department, out.department);
    yq_item_release(&copy);
    yq_item_release(&out);
    free(json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item_round_trip_keeps_every_field),
        cmocka_unit_test(test_item_unknown_date_is_null_not_now),
        cmocka_unit_test(test_item_decode_rejects_bad_input),
        cmocka_unit_test(test_alert_round_trip),
        cmocka_unit_test(test_alert_without_group_decodes),
        cmocka_unit_test(test_issue_10_alert_rules_unverified),
        cmocka_unit_test(test_level_names),
        cmocka_unit_test(test_time_parse_iso_zones),
        cmocka_unit_test(test_time_parse_iso_accepts_only_what_format_writes),
        cmocka_unit_test(test_time_civil_from_days_round_trip),
        cmocka_unit_test(test_issue_10_fields_bounded_and_marked),
        cmocka_unit_test(test_issue_10_escaped_text_cut_to_fit),
        cmocka_unit_test(test_utf8_cut_never_splits_a_character),
        cmocka_unit_test(test_utf8_cut_on_grapheme_boundary),
        cmocka_unit_test(test_issue_10_alert_bounded_to_message_limit),
        cmocka_unit_test(test_issue_10_future_timestamp),
        cmocka_unit_test(test_issue_11_official_local_department),
        cmocka_unit_test(test_duplicate_key_item_and_alert_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
