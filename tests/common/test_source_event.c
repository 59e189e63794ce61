/*
 * The source event codec (common/yq_source_event.h, issue #15): what the collector produces
 * to yuqing.sources and the notifier reads back. Round trip of every field and reason, the
 * open/close rules, hostile JSON refused with a reason, long text cut at a character boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "source_event_fixture.h"
#include "yq_source_event.h"

#define T_START 1796432400LL /* 2026-12-05T01:00:00Z */
#define T_END 1796439600LL   /* 2026-12-05T03:00:00Z */
#define T_AT 1796439605LL    /* 2026-12-05T03:00:05Z */

static struct yq_source_event sample(bool open, enum yq_blind_reason reason)
{
    return source_event_fixture(open, reason, T_START, open ? 0 : T_END, T_AT,
                                "http_error: http status 404", NULL);
}

static void test_reason_names_round_trip(void **state)
{
    static const char *const names[] = {"failing", "walled", "stale", "quiet", "unpolled"};
    enum yq_blind_reason r;

    (void)state;
    assert_int_equal(YQ_BLIND_REASON_COUNT, 5);
    for (int i = 0; i < YQ_BLIND_REASON_COUNT; i++) {
        assert_string_equal(yq_blind_reason_name((enum yq_blind_reason)i), names[i]);
        assert_int_equal(yq_blind_reason_parse(names[i], &r), 0);
        assert_int_equal(r, i);
    }
    assert_string_equal(yq_blind_reason_name(YQ_BLIND_REASON_COUNT), "?");
    assert_string_equal(yq_blind_reason_name((enum yq_blind_reason)-1), "?");
    assert_int_equal(yq_blind_reason_parse("Failing", &r), ERR_NOT_FOUND);
    assert_int_equal(yq_blind_reason_parse("", &r), ERR_NOT_FOUND);
    assert_int_equal(yq_blind_reason_parse(NULL, &r), ERR_NOT_FOUND);
}

static void test_open_encodes_exactly(void **state)
{
    struct yq_source_event ev = sample(true, YQ_BLIND_FAILING);
    char *json = NULL;
    size_t len = 0;

    (void)state;
    ev.ended_at = 12345; /* ignored for an open */
    assert_int_equal(yq_source_event_encode(&ev, &json, &len), 0);
    assert_string_equal(json,
                        "{\"schema\":1,\"source_id\":\"ankang-gov-news\",\"source_name\":"
                        "\"安康市人民政府 · 政务要闻\",\"source_kind\":\"rss\",\"department\":"
                        "\"安康市人民政府办公室\",\"event\":\"open\",\"reason\":\"failing\","
                        "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":"
                        "\"2026-12-05T03:00:05Z\",\"detail\":\"http_error: http status 404\"}");
    assert_int_equal(len, strlen(json));
    free(json);
}

static void test_every_reason_round_trips_open_and_close(void **state)
{
    (void)state;
    for (int r = 0; r < YQ_BLIND_REASON_COUNT; r++) {
        for (int open = 0; open < 2; open++) {
            struct yq_source_event ev = sample(open, (enum yq_blind_reason)r), back;
            char *json = NULL, err[128] = "";
            size_t len = 0;

            if (r == YQ_BLIND_WALLED) {
                ev.renew = "更新 cookie_file /etc/yuqing/weibo.cookie（微博登录 Cookie 已失效）";
            }
            assert_int_equal(yq_source_event_encode(&ev, &json, &len), 0);
            assert_int_equal(yq_source_event_decode(json, len, &back, err, sizeof(err)), 0);
            assert_string_equal(back.source_id, "ankang-gov-news");
            assert_string_equal(back.source_name, "安康市人民政府 · 政务要闻");
            assert_string_equal(back.source_kind, "rss");
            assert_string_equal(back.department, "安康市人民政府办公室");
            assert_int_equal(back.open, open);
            assert_int_equal(back.reason, r);
            assert_int_equal(back.started_at, T_START);
            assert_int_equal(back.ended_at, open ? 0 : T_END);
            assert_int_equal(back.at, T_AT);
            assert_string_equal(back.detail, "http_error: http status 404");
            if (r == YQ_BLIND_WALLED) {
                assert_string_equal(back.renew, ev.renew);
            } else {
                assert_null(back.renew);
            }
            assert_int_equal(strstr(json, "\"ended_at\"") != NULL, !open);
            yq_source_event_release(&back);
            free(json);
        }
    }
}

static void test_optional_fields_absent_when_empty(void **state)
{
    struct yq_source_event ev = {.source_id = "x", .open = false, .reason = YQ_BLIND_UNPOLLED,
                                 .started_at = T_START, .ended_at = T_START, .at = T_AT,
                                 .detail = ""};
    struct yq_source_event back;
    char *json = NULL, err[128] = "";
    size_t len;

    (void)state;
    assert_int_equal(yq_source_event_encode(&ev, &json, &len), 0);
    assert_string_equal(json, "{\"schema\":1,\"source_id\":\"x\",\"event\":\"close\",\"reason\":"
                              "\"unpolled\",\"started_at\":\"2026-12-05T01:00:00Z\","
                              "\"ended_at\":\"2026-12-05T01:00:00Z\",\"at\":"
                              "\"2026-12-05T03:00:05Z\"}");
    assert_int_equal(yq_source_event_decode(json, len, &back, err, sizeof(err)), 0);
    assert_null(back.source_name);
    assert_null(back.detail);
    assert_int_equal(back.ended_at, back.started_at); /* an empty window is allowed */
    yq_source_event_release(&back);
    free(json);
}

static void test_encode_refuses_what_breaks_the_rules(void **state)
{
    struct yq_source_event ev = sample(false, YQ_BLIND_FAILING);
    char *json = NULL;

    (void)state;
    ev.ended_at = T_START - 1; /* a close ending before it starts */
    assert_int_equal(yq_source_event_encode(&ev, &json, NULL), ERR_INVALID);
    ev = sample(true, YQ_BLIND_FAILING);
    ev.source_id = "";
    assert_int_equal(yq_source_event_encode(&ev, &json, NULL), ERR_INVALID);
    ev.source_id = NULL;
    assert_int_equal(yq_source_event_encode(&ev, &json, NULL), ERR_INVALID);
    ev = sample(true, YQ_BLIND_REASON_COUNT);
    assert_int_equal(yq_source_event_encode(&ev, &json, NULL), ERR_INVALID);
    assert_null(json);
}

static void test_long_text_cut_at_a_character_boundary(void **state)
{
    static char detail[3 * YQ_SOURCE_EVENT_TEXT_MAX + 8];
    struct yq_source_event ev = sample(true, YQ_BLIND_WALLED), back;
    char *json = NULL, err[128] = "";
    size_t len;

    (void)state;
    /* "盲" is 3 bytes: 1024 is not a multiple of 3, a byte cut would split a character */
    for (size_t off = 0; off + 3 < sizeof(detail); off += 3) {
        memcpy(detail + off, "盲", 3);
        detail[off + 3] = '\0';
    }
    ev.detail = detail;
    ev.renew = detail;
    assert_int_equal(yq_source_event_encode(&ev, &json, &len), 0);
    assert_int_equal(yq_source_event_decode(json, len, &back, err, sizeof(err)), 0);
    assert_int_equal(strlen(back.detail), 1023); /* 341 whole characters */
    assert_int_equal(strlen(back.renew), 1023);
    assert_memory_equal(back.detail, detail, 1023);
    yq_source_event_release(&back);
    free(json);
}

/* decode must refuse text with a reason naming what is wrong, leaving nothing to free */
static void expect_refused(const char *json, const char *needle)
{
    struct yq_source_event ev;
    char err[256] = "";

    assert_int_equal(yq_source_event_decode(json, strlen(json), &ev, err, sizeof(err)),
                     ERR_PARSE);
    if (!strstr(err, needle)) {
        fail_msg("'%s': error '%s' does not name '%s'", json, err, needle);
    }
    assert_null(ev.source_id);
    assert_null(ev.detail);
}

#define GOOD_TAIL "\"started_at\":\"2026-12-05T01:00:00Z\",\"at\":\"2026-12-05T03:00:05Z\"}"

static void test_hostile_json_is_refused_with_a_reason(void **state)
{
    (void)state;
    expect_refused("", "source event is not JSON: ");
    expect_refused("{\"schema\":1", "source event is not JSON: ");
    expect_refused("[1,2]", "not a JSON object");
    expect_refused("\"open\"", "source event is not JSON: '[' or '{' expected");
    expect_refused("{\"schema\":2,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"failing\","
                   GOOD_TAIL, "schema must be 1");
    expect_refused("{\"schema\":\"1\",\"source_id\":\"a\",\"event\":\"open\",\"reason\":"
                   "\"failing\"," GOOD_TAIL, "schema must be 1");
    expect_refused("{\"schema\":1,\"event\":\"open\",\"reason\":\"failing\"," GOOD_TAIL,
                   "needs 'source_id'");
    expect_refused("{\"schema\":1,\"source_id\":\"\",\"event\":\"open\",\"reason\":\"failing\","
                   GOOD_TAIL, "'source_id' must be a non-empty string");
    expect_refused("{\"schema\":1,\"source_id\":7,\"event\":\"open\",\"reason\":\"failing\","
                   GOOD_TAIL, "'source_id' must be a non-empty string");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"source_name\":[\"x\"],\"event\":\"open\","
                   "\"reason\":\"failing\"," GOOD_TAIL, "'source_name' must be a string");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"opened\",\"reason\":"
                   "\"failing\"," GOOD_TAIL, "'event' must be");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"down\","
                   GOOD_TAIL, "'reason' must be");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"failing\","
                   "\"started_at\":\"yesterday\",\"at\":\"2026-12-05T03:00:05Z\"}",
                   "'started_at' must be an RFC 3339 time");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"open\",\"reason\":\"failing\","
                   "\"started_at\":\"2026-12-05T01:00:00Z\"}",
                   "'at' must be an RFC 3339 time");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"close\",\"reason\":\"failing\","
                   GOOD_TAIL, "'ended_at' must be an RFC 3339 time");
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"event\":\"close\",\"reason\":\"failing\","
                   "\"ended_at\":\"2026-12-05T00:59:59Z\"," GOOD_TAIL, "ends before it starts");
    /* a key twice could smuggle a second value past a reader that takes the first */
    expect_refused("{\"schema\":1,\"source_id\":\"a\",\"source_id\":\"b\",\"event\":\"open\","
                   "\"reason\":\"failing\"," GOOD_TAIL,
                   "source event is not JSON: duplicate object key");
}

#define EV_HEAD "{\"schema\":1,\"source_id\":\"fake\",\"reason\":\"failing\","

/* Review #15 item 9: times of a broken clock or a forged event are refused at the codec. */
static void test_implausible_times_are_refused(void **state)
{
    struct yq_source_event ev;
    char err[256] = "";
    const char *edge = EV_HEAD "\"event\":\"close\",\"started_at\":\"2000-01-01T00:00:00Z\","
                               "\"ended_at\":\"2026-12-06T03:00:05Z\","
                               "\"at\":\"2026-12-05T03:00:05Z\"}";

    (void)state;
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"0001-01-01T00:00:00Z\","
                   "\"at\":\"2026-12-05T03:00:05Z\"}", "'started_at' is before 2000-01-01");
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"1970-01-01T00:00:00Z\","
                   "\"at\":\"2026-12-05T03:00:05Z\"}", "'started_at' is before 2000-01-01");
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"2999-01-01T00:00:00Z\","
                   "\"at\":\"2026-12-05T03:00:05Z\"}", "'started_at'");
    expect_refused(EV_HEAD "\"event\":\"close\",\"started_at\":\"2026-12-05T01:00:00Z\","
                   "\"ended_at\":\"9999-12-31T23:59:59Z\",\"at\":\"2026-12-05T03:00:05Z\"}",
                   "'ended_at'");
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"2026-12-05T01:00:00Z\","
                   "\"at\":\"1999-12-31T23:59:59Z\"}", "'at' is before 2000-01-01");
    /* the edges themselves pass: 2000-01-01 exactly, an end one day after at */
    assert_int_equal(yq_source_event_decode(edge, strlen(edge), &ev, err, sizeof(err)), 0);
    assert_int_equal(ev.started_at, 946684800);
    assert_int_equal(ev.ended_at, T_AT + 86400);
    yq_source_event_release(&ev);
}

/*
 * Found by fuzz_source_event: an "at" past 9999-12-31T23:59:59Z (hour 24, or a zone west of
 * UTC) decoded, and its encoding ("10000-01-01T...") did not decode again. Such times are
 * refused as not RFC 3339; the last instant that can be written round-trips.
 */
static void test_fuzz_time_past_year_9999_is_refused(void **state)
{
    struct yq_source_event ev, back;
    char err[256] = "", *json = NULL;
    size_t len = 0;
    const char *last = EV_HEAD "\"event\":\"open\",\"started_at\":\"9999-12-31T23:59:59Z\","
                               "\"at\":\"9999-12-31T23:59:59Z\"}";

    (void)state;
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"2026-12-05T01:00:00Z\","
                           "\"at\":\"9999-12-31T24:00:00Z\"}",
                   "'at' must be an RFC 3339 time");
    expect_refused(EV_HEAD "\"event\":\"open\",\"started_at\":\"2026-12-05T01:00:00Z\","
                           "\"at\":\"9999-12-31T23:00:00-01:00\"}",
                   "'at' must be an RFC 3339 time");
    expect_refused(EV_HEAD
                   "\"event\":\"close\",\"started_at\":\"9999-12-31T23:00:00Z\","
                   "\"ended_at\":\"9999-12-31T23:59:59-00:01\",\"at\":\"9999-12-31T23:00:00Z\"}",
                   "'ended_at' must be an RFC 3339 time");
    assert_int_equal(yq_source_event_decode(last, strlen(last), &ev, err, sizeof(err)), 0);
    assert_int_equal(ev.at, INT64_C(253402300799));
    assert_int_equal(yq_source_event_encode(&ev, &json, &len), 0);
    assert_non_null(strstr(json, "\"at\":\"9999-12-31T23:59:59Z\""));
    assert_int_equal(yq_source_event_decode(json, len, &back, err, sizeof(err)), 0);
    assert_int_equal(back.at, ev.at);
    assert_int_equal(back.started_at, ev.started_at);
    yq_source_event_release(&back);
    yq_source_event_release(&ev);
    free(json);
}

static void test_hostile_bytes_never_crash(void **state)
{
    static char huge[1 << 20];
    struct yq_source_event ev;
    char err[256];
    const char nul_inside[] = "{\"schema\":1,\"source_id\":\"a\0b\",\"event\":\"open\"}";

    (void)state;
    /* a megabyte of nesting: refused, not a stack overflow */
    memset(huge, '[', sizeof(huge) - 1);
    assert_int_equal(yq_source_event_decode(huge, sizeof(huge) - 1, &ev, err, sizeof(err)),
                     ERR_PARSE);
    /* a NUL inside the text */
    assert_int_equal(yq_source_event_decode(nul_inside, sizeof(nul_inside) - 1, &ev, err,
                                            sizeof(err)),
                     ERR_PARSE);
    /* control characters in a string are JSON-escaped by the encoder and come back as sent */
    {
        struct yq_source_event in = sample(true, YQ_BLIND_FAILING), back;
        char *json = NULL;
        size_t len;
        in.detail = "line one\nline two\x01";
        assert_int_equal(yq_source_event_encode(&in, &json, &len), 0);
        assert_null(memchr(json, '\n', len));
        assert_int_equal(yq_source_event_decode(json, len, &back, err, sizeof(err)), 0);
        assert_string_equal(back.detail, "line one\nline two\x01");
        yq_source_event_release(&back);
        free(json);
    }
    yq_source_event_release(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reason_names_round_trip),
        cmocka_unit_test(test_open_encodes_exactly),
        cmocka_unit_test(test_every_reason_round_trips_open_and_close),
        cmocka_unit_test(test_optional_fields_absent_when_empty),
        cmocka_unit_test(test_encode_refuses_what_breaks_the_rules),
        cmocka_unit_test(test_long_text_cut_at_a_character_boundary),
        cmocka_unit_test(test_hostile_json_is_refused_with_a_reason),
        cmocka_unit_test(test_implausible_times_are_refused),
        cmocka_unit_test(test_fuzz_time_past_year_9999_is_refused),
        cmocka_unit_test(test_hostile_bytes_never_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
