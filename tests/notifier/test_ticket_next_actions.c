/*
 * The ticket JSON's next_actions (issue #12): the web UI shows a button only for the actions the
 * transition table of notifier/ticket_flow.c allows from the ticket's state, so this checks the
 * list after each step of a real ticket's life against the table, state by state; and that the
 * texts of an action are decoded through common/yq_utf8 (a surrogate, once let through by the
 * hand-written decoder, is refused now).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "notifier_fixture.h"
#include "ticket_api.h"
#include "yq_err.h"
#include "yq_labels.h"

/* The ticket's next_actions joined with ',' into buf. */
static const char *next_actions(struct ticket_store *store, const char *number, char *buf,
                                size_t len)
{
    json_t *d = NULL, *a;
    size_t i;

    assert_int_equal(ticket_api_detail(store, number, &d), 0);
    buf[0] = '\0';
    json_array_foreach(json_object_get(d, "next_actions"), i, a)
    {
        if (i) {
            strncat(buf, ",", len - strlen(buf) - 1);
        }
        strncat(buf, json_string_value(a), len - strlen(buf) - 1);
    }
    assert_non_null(json_object_get(d, "next_actions"));
    json_decref(d);
    return buf;
}

/* The alert both tests take in: 汉滨区征地补偿款迟迟未发放, level III, matched 09:00 Beijing time. */
static struct test_alert_spec land_alert(const char *event_key, const char *item_id,
                                         const char *url)
{
    struct test_alert_spec s = {
        .event_key = event_key,
        .item_id = item_id,
        .title = "汉滨区征地补偿款迟迟未发放",
        .url = url,
        .level = "III",
        .matched_at = "2026-11-30T09:00:00+08:00",
        .published_at = "2026-11-30T08:30:00+08:00",
        .score = 42.0,
    };
    return s;
}

static void test_next_actions_follow_the_state(void **unused)
{
    (void)unused;
    struct ticket_store *store = notifier_store_memory();
    struct test_alert_spec s = land_alert("ev:next", "rss:next1", "https://news.example.cn/a/9.html");
    struct ticket_intake_result res;
    struct ticket_action_result ar;
    int64_t now = notifier_ts("2026-11-30T09:05:00+08:00");
    char buf[256];

    assert_int_equal(notifier_intake(store, &s, now, &res), 0);
    /* open: 交办/改派, 签收, 不予处置, 退回, 调整级别 */
    assert_string_equal(next_actions(store, res.number, buf, sizeof(buf)),
                        "assign,ack,dismiss,return,set_level");

    notifier_apply_ok(store,
                      &(struct ticket_action){.kind = TICKET_ACT_ACK, .number = res.number,
                                              .actor = "市自然资源局联络员", .role = "liaison"},
                      now + 60, &ar);
    assert_string_equal(next_actions(store, res.number, buf, sizeof(buf)),
                        "respond,dismiss,return,set_level");

    notifier_apply_ok(store,
                      &(struct ticket_action){.kind = TICKET_ACT_RESPOND,
                                              .number = res.number,
                                              .actor = "市自然资源局联络员",
                                              .role = "liaison",
                                              .channel = "网站",
                                              .url = "https://www.ankang.gov.cn/a/1.html",
                                              .responded_at = now + 120},
                      now + 180, &ar);
    /* responded: no 不予处置 any more (the table refuses it), 办结 now possible */
    assert_string_equal(next_actions(store, res.number, buf, sizeof(buf)),
                        "respond,close,set_level");

    notifier_apply_ok(store,
                      &(struct ticket_action){.kind = TICKET_ACT_CLOSE, .number = res.number,
                                              .actor = "市自然资源局联络员", .role = "liaison",
                                              .note = "补偿款已发放到户"},
                      now + 240, &ar);
    assert_string_equal(next_actions(store, res.number, buf, sizeof(buf)), "reopen");
    ticket_store_free(store);
}

/*
 * Text fields are decoded by common/yq_utf8 (utf8proc): malformed UTF-8 (a stray byte, an
 * overlong form, a surrogate, a truncated sequence), control characters and bidi controls are
 * refused with their reason; valid Chinese, a 4-byte character and U+FFFD itself pass.
 */
static void test_action_text_is_checked_as_utf8(void **unused)
{
    (void)unused;
    static const struct {
        const char *note;
        const char *why; /* NULL = accepted */
    } cases[] = {
        {"补偿款已发放", NULL},
        {"见附件\xf0\x9f\x93\x8e", NULL},      /* U+1F4CE, 4 bytes */
        {"替换符\xef\xbf\xbd照常", NULL},       /* U+FFFD typed by a person */
        {"坏字节\xff", "不是有效的 UTF-8 文字"},
        {"过长形式\xc0\xaf", "不是有效的 UTF-8 文字"},
        {"代理项\xed\xa0\x80", "不是有效的 UTF-8 文字"},
        {"截断\xe5\xae", "不是有效的 UTF-8 文字"},
        {"响铃\a", "含有控制字符"},
        {"已核实\xe2\x80\xaeLTR", "含有双向文字控制字符"},
    };
    struct ticket_store *store = notifier_store_memory();
    struct test_alert_spec s = land_alert("ev:utf8", "rss:utf8", "https://news.example.cn/a/8.html");
    struct ticket_intake_result res;
    int64_t now = notifier_ts("2026-11-30T09:05:00+08:00");
    enum yq_level level = YQ_LEVEL_III; /* the ticket's, as intake made it */

    assert_int_equal(notifier_intake(store, &s, now, &res), 0);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct ticket_action_result ar;
        char err[256] = "";
        /* set_level between II and III, again and again (the level it has is refused), note checked
         */
        struct ticket_action a = {.kind = TICKET_ACT_SET_LEVEL,
                                  .number = res.number,
                                  .actor = "值班员",
                                  .note = cases[i].note,
                                  .level = level == YQ_LEVEL_III ? YQ_LEVEL_II : YQ_LEVEL_III};
        int rc = ticket_flow_apply(store, &a, now + 60 + (int64_t)i, &ar, err, sizeof(err));
        if (!cases[i].why) {
            if (rc != 0) {
                fail_msg("case %zu refused: %s", i, err);
            }
            level = a.level;
        } else {
            assert_int_equal(rc, ERR_INVALID);
            if (!strstr(err, cases[i].why)) {
                fail_msg("case %zu: '%s' does not say '%s'", i, err, cases[i].why);
            }
        }
    }
    ticket_store_free(store);
}

/* The action labels (buttons, messages, /api/actions) are one table naming exactly the
 * transition table's actions. */
static void test_action_labels_are_the_flow_actions(void **unused)
{
    (void)unused;
    size_t n = 0;
    const struct yq_label *v = yq_label_table(YQ_LABEL_ACTION, &n);
    enum ticket_action_kind k;

    assert_int_equal(n, TICKET_ACT_COUNT);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(ticket_action_parse(v[i].code, &k), 0);
        assert_string_not_equal(v[i].label, v[i].code);
    }
    assert_string_equal(yq_label(YQ_LABEL_ACTION, "ack"), "签收");
    assert_string_equal(yq_label(YQ_LABEL_ACTION, "assign"), "交办/改派");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_actions_follow_the_state),
        cmocka_unit_test(test_action_text_is_checked_as_utf8),
        cmocka_unit_test(test_action_labels_are_the_flow_actions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
