/*
 * Silences (issue #13, notifier/silence.h, docs/desk.md "Silences"): what each kind covers
 * (a rule silence only when every rule of the alert is silenced), the exclusive expiry,
 * revocation, the idempotent record with its count, the JSON of the lists, the bounds, and
 * `yuqingctl silences` as an operator uses it. Times are fixed instants, never the clock.
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
#include <unistd.h>

#include "capture.h"
#include "notifier_fixture.h"
#include "silence.h"
#include "silences_cli.h"
#include "test_expect.h"
#include "ticket_store.h"
#include "ticket_store_int.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"

/* 2026-12-05 09:00 Beijing time. */
#define T0 ((int64_t)1796432400)
#define HOUR_S 3600
#define DAY_S 86400

/* What an alert of the tests differs in; NULL strings are left out of the item. */
struct spec {
    const char *source;    /* "weibo", "wechat", "rss" */
    const char *source_id; /* sources.yaml id */
    const char *channel;
    const char *author;
    const char *title;
    const char *text;
    const char *matches; /* the JSON array of matches */
    const char *item_id;
};

/* One match: rule id, group (NULL: none) and one term. */
#define MATCH(rule, group, term)                                                                   \
    "{\"rule_id\":\"" rule "\",\"name\":\"n\"," group "\"department\":\"市人社局\","              \
    "\"level\":\"III\",\"terms\":[{\"term\":\"" term "\",\"field\":\"text\",\"start\":0,"         \
    "\"end\":1}]}"
#define GROUP(g) "\"group\":\"" g "\","
#define NO_GROUP ""

static const struct spec base = {
    .source = "weibo",
    .source_id = "weibo-ankang",
    .channel = "安康发布",
    .author = "汉滨小李",
    .title = "汉滨区某企业拖欠工资",
    .text = "工人多次讨薪无果",
    .matches = "[" MATCH("wage-01", GROUP("劳动保障"), "讨薪") "]",
    .item_id = "weibo:1",
};

/* Decode the alert of s into a (release with yq_alert_release()). */
static void alert_of(const struct spec *s, struct yq_alert *a)
{
    json_t *item = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
                             "schema", 1, "id", s->item_id, "source", s->source, "source_id",
                             s->source_id, "channel", s->channel, "url",
                             "https://weibo.example.cn/1", "title", s->title, "text", s->text,
                             "author", s->author, "published_at", "2026-12-05T00:50:00Z",
                             "published_precision", "second", "fetched_at",
                             "2026-12-05T00:55:00Z");
    json_t *matches = json_loads(s->matches, 0, NULL);
    json_t *root;
    char *buf, err[256] = "";

    assert_non_null(item);
    assert_non_null(matches);
    root = json_pack("{s:i, s:s, s:{s:b, s:i}, s:i, s:s, s:f, s:s, s:s, s:o, s:o}", "schema", 1,
                     "event_key", "ev:silence-test", "event", "new", 1, "items", 1,
                     "rules_version", 3, "matched_at", "2026-12-05T01:00:00Z", "score", 42.0,
                     "level", "III", "department", "市人社局", "matches", matches, "item", item);
    assert_non_null(root);
    buf = yq_json_dumps(root, JSON_COMPACT);
    json_decref(root);
    assert_non_null(buf);
    if (yq_alert_decode(buf, strlen(buf), a, err, sizeof(err)) != 0) {
        fail_msg("decode: %s\n%s", err, buf);
    }
    free(buf);
}

static int64_t add_ok(struct ticket_store *st, enum silence_kind k, const char *value,
                      int64_t expires_at, int64_t now)
{
    int64_t id = 0;
    int err = silence_add(st, k, value, "测试原因", "王值班", expires_at, now, &id);
    if (err) {
        fail_msg("silence_add(%s): %d %s", value, err, ticket_store_errmsg(st));
    }
    assert_true(id > 0);
    return id;
}

/* The silence covering the alert of s at now (0: none). */
static int64_t check(struct ticket_store *st, const struct spec *s, int64_t now)
{
    struct yq_alert a;
    int64_t id = -1;

    alert_of(s, &a);
    assert_int_equal(silence_check(st, &a, now, &id), 0);
    yq_alert_release(&a);
    return id;
}

static void test_kind_names(void **state)
{
    static const char *const names[] = {"rule", "group", "source", "account", "term"};
    enum silence_kind k;

    (void)state;
    for (int i = 0; i < 5; i++) {
        assert_int_equal(silence_kind_parse(names[i], &k), 0);
        assert_int_equal(k, SILENCE_RULE + i);
        assert_string_equal(silence_kind_name(k), names[i]);
    }
    assert_int_equal(silence_kind_parse("author", &k), ERR_INVALID);
    assert_int_equal(silence_kind_parse(NULL, &k), ERR_INVALID);
    assert_null(silence_kind_name((enum silence_kind)0));
    assert_null(silence_kind_name((enum silence_kind)6));
}

/* A rule silence covers an alert only when every rule that raised it is silenced. */
static void test_rule_every_rule(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec two = base;
    int64_t wage, land;

    (void)state;
    two.matches = "[" MATCH("wage-01", GROUP("劳动保障"), "讨薪") "," MATCH(
        "land-01", GROUP("征地拆迁"), "征地") "]";
    wage = add_ok(st, SILENCE_RULE, "wage-01", T0 + DAY_S, T0);
    assert_int_equal(check(st, &base, T0 + 1), wage);
    assert_int_equal(check(st, &two, T0 + 1), 0); /* land-01 also raised it */
    land = add_ok(st, SILENCE_RULE, "land-01", T0 + DAY_S, T0);
    assert_int_equal(check(st, &two, T0 + 1), wage); /* the oldest of the covering silences */
    (void)land;
    ticket_store_free(st);
}

/* Group silences: the same rule; a match without a group is never covered by one; rule and
 * group silences combine match by match. */
static void test_group_and_combination(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec grouped = base, ungrouped = base, mixed = base;
    int64_t g, r;

    (void)state;
    grouped.matches = "[" MATCH("wage-01", GROUP("劳动保障"), "讨薪") "," MATCH(
        "wage-02", GROUP("劳动保障"), "欠薪") "]";
    ungrouped.matches = "[" MATCH("wage-01", GROUP("劳动保障"), "讨薪") "," MATCH(
        "misc-01", NO_GROUP, "工资") "]";
    mixed.matches = "[" MATCH("wage-01", GROUP("劳动保障"), "讨薪") "," MATCH(
        "land-01", GROUP("征地拆迁"), "征地") "]";
    g = add_ok(st, SILENCE_GROUP, "劳动保障", T0 + DAY_S, T0);
    assert_int_equal(check(st, &base, T0 + 1), g);
    assert_int_equal(check(st, &grouped, T0 + 1), g);
    assert_int_equal(check(st, &ungrouped, T0 + 1), 0); /* misc-01 has no group */
    assert_int_equal(check(st, &mixed, T0 + 1), 0);     /* land-01 is not silenced */
    r = add_ok(st, SILENCE_RULE, "land-01", T0 + DAY_S, T0);
    assert_int_equal(check(st, &mixed, T0 + 1), g); /* group covers wage-01, rule land-01 */
    assert_int_equal(check(st, &ungrouped, T0 + 1), 0);
    add_ok(st, SILENCE_RULE, "misc-01", T0 + DAY_S, T0);
    assert_int_equal(check(st, &ungrouped, T0 + 1), g);
    (void)r;
    ticket_store_free(st);
}

static void test_source(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec other = base;
    int64_t id;

    (void)state;
    other.source_id = "weibo-ankang-2";
    id = add_ok(st, SILENCE_SOURCE, "weibo-ankang", T0 + DAY_S, T0);
    assert_int_equal(check(st, &base, T0 + 1), id);
    assert_int_equal(check(st, &other, T0 + 1), 0); /* equality, not a prefix */
    ticket_store_free(st);
}

/* Accounts compare after trimming and NFKC with case folding; WeChat and news items also by
 * their channel, Weibo items only by their author. */
static void test_account(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec wide = base, wx = base, wb_channel = base, news = base;
    int64_t id, wx_id;

    (void)state;
    wide.author = "  ＡｎＫａｎｇ小李\xe3\x80\x80"; /* full width, mixed case, spaces */
    wb_channel.author = "路人甲";
    wb_channel.channel = "AnKang小李";
    wx.source = "wechat";
    wx.author = "编辑部";
    wx.channel = "安康生活圈";
    news = wx;
    news.source = "rss";
    news.channel = "安康生活圈";
    id = add_ok(st, SILENCE_ACCOUNT, " ankang小李 ", T0 + DAY_S, T0);
    assert_int_equal(check(st, &wide, T0 + 1), id);
    assert_int_equal(check(st, &wb_channel, T0 + 1), 0); /* Weibo: the author only */
    assert_int_equal(check(st, &base, T0 + 1), 0);       /* 汉滨小李 is someone else */
    wx_id = add_ok(st, SILENCE_ACCOUNT, "安康生活圈", T0 + DAY_S, T0);
    assert_int_equal(check(st, &wx, T0 + 1), wx_id);
    assert_int_equal(check(st, &news, T0 + 1), wx_id);
    ticket_store_free(st);
}

/* Terms normalise as the matcher does and are looked for in the matched terms, the title and
 * the text. */
static void test_term(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec title = base, text = base, matched = base, none = base;
    int64_t wifi, zhaopin, taoxin;

    (void)state;
    title.title = "小区ＷｉＦｉ断网三天";
    text.text = "本公司长期招聘普工，待遇从优";
    matched.text = "工人多次讨要工钱"; /* the match's term 讨薪 is not in the text */
    matched.title = "某企业拖欠工钱";
    none.title = "汉滨区道路施工";
    none.text = "注意绕行";
    none.matches = "[" MATCH("road-01", NO_GROUP, "施工") "]";
    wifi = add_ok(st, SILENCE_TERM, "wifi", T0 + DAY_S, T0);
    zhaopin = add_ok(st, SILENCE_TERM, "招聘", T0 + DAY_S, T0);
    assert_int_equal(check(st, &title, T0 + 1), wifi);
    assert_int_equal(check(st, &text, T0 + 1), zhaopin);
    assert_int_equal(check(st, &matched, T0 + 1), 0);
    assert_int_equal(check(st, &none, T0 + 1), 0);
    taoxin = add_ok(st, SILENCE_TERM, "討薪", T0 + DAY_S, T0); /* traditional 討 -> 讨 */
    assert_int_equal(check(st, &matched, T0 + 1), taoxin);
    assert_int_equal(check(st, &none, T0 + 1), 0);
    ticket_store_free(st);
}

/* Active = created_at <= now < expires_at and not revoked: at expires_at it no longer applies. */
static void test_expiry_boundaries(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    json_t *list = NULL;
    int64_t id;

    (void)state;
    id = add_ok(st, SILENCE_SOURCE, "weibo-ankang", T0 + 2 * HOUR_S, T0);
    assert_int_equal(check(st, &base, T0 - 1), 0); /* before it was made */
    assert_int_equal(check(st, &base, T0), id);
    assert_int_equal(check(st, &base, T0 + 2 * HOUR_S - 1), id);
    assert_int_equal(check(st, &base, T0 + 2 * HOUR_S), 0);
    assert_int_equal(silence_list(st, false, T0 + 2 * HOUR_S - 1, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(silence_list(st, false, T0 + 2 * HOUR_S, &list), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(silence_list(st, true, T0 + 2 * HOUR_S, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    assert_true(json_is_false(json_object_get(json_array_get(list, 0), "active")));
    json_decref(list);
    /* an expired silence cannot be revoked */
    assert_int_equal(silence_revoke(st, id, "李主任", T0 + 2 * HOUR_S), ERR_BAD_STATE);
    ticket_store_free(st);
}

static void test_revoke(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    json_t *list = NULL, *s;
    int64_t id;

    (void)state;
    id = add_ok(st, SILENCE_SOURCE, "weibo-ankang", T0 + DAY_S, T0);
    assert_int_equal(silence_revoke(st, id + 7, "李主任", T0 + HOUR_S), ERR_NOT_FOUND);
    assert_int_equal(silence_revoke(st, id, "", T0 + HOUR_S), ERR_INVALID);
    assert_int_equal(check(st, &base, T0 + HOUR_S), id);
    assert_int_equal(silence_revoke(st, id, "李主任", T0 + HOUR_S), 0);
    assert_int_equal(check(st, &base, T0 + HOUR_S), 0);
    assert_int_equal(check(st, &base, T0 + HOUR_S + 1), 0);
    assert_int_equal(silence_revoke(st, id, "李主任", T0 + HOUR_S + 5), ERR_BAD_STATE);
    assert_int_equal(silence_list(st, true, T0 + HOUR_S, &list), 0);
    s = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(s, "revoked_at")),
                        "2026-12-05T10:00:00+08:00");
    assert_string_equal(json_string_value(json_object_get(s, "revoked_by")), "李主任");
    assert_true(json_is_false(json_object_get(s, "active")));
    json_decref(list);
    ticket_store_free(st);
}

/* Record inside a transaction as intake does. */
static int record(struct ticket_store *st, int64_t silence_id, const struct spec *s, int64_t now)
{
    struct yq_alert a;
    int err;

    alert_of(s, &a);
    assert_int_equal(ticket_store_begin(st, "test"), 0);
    err = silence_record(st, silence_id, &a, now);
    if (err) {
        ticket_store_rollback(st);
    } else {
        assert_int_equal(ticket_store_exec(st, "COMMIT", "test"), 0);
    }
    yq_alert_release(&a);
    return err;
}

static void test_record_idempotent_and_alerts_json(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    struct spec second = base;
    json_t *list = NULL, *a, *want;
    char *raw = NULL;
    struct yq_alert back;
    char err[128];
    int64_t id, other;

    (void)state;
    second.item_id = "weibo:2";
    id = add_ok(st, SILENCE_SOURCE, "weibo-ankang", T0 + DAY_S, T0);
    other = add_ok(st, SILENCE_RULE, "wage-01", T0 + DAY_S, T0);
    assert_int_equal(record(st, id, &base, T0 + 60), 0);
    assert_int_equal(record(st, id, &base, T0 + 120), 0);   /* redelivered */
    assert_int_equal(record(st, other, &base, T0 + 180), 0); /* kept once, whichever silence */
    assert_int_equal(record(st, id, &second, T0 + 240), 0);
    assert_int_equal(record(st, id + 99, &second, T0 + 240), ERR_NOT_FOUND);
    assert_int_equal(notifier_count(st, "SELECT count(*) FROM silenced_alerts"), 2);
    assert_int_equal(notifier_count(st, "SELECT hit_count FROM silences WHERE id = 1"), 2);
    assert_int_equal(notifier_count(st, "SELECT hit_count FROM silences WHERE id = 2"), 0);

    assert_int_equal(silence_list(st, false, T0 + 300, &list), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 1), "hit_count")), 2);
    json_decref(list);

    assert_int_equal(silence_alerts_list(st, id, 10, &list), 0);
    assert_int_equal(json_array_size(list), 2);
    a = json_array_get(list, 0); /* newest first: weibo:2 */
    /* the newest row's id: 2 on SQLite; PostgreSQL's identity also spends a number on the
       redelivery that ON CONFLICT DO NOTHING dropped */
    want = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:s, s:s}", "id",
                     (json_int_t)notifier_count(st, "SELECT max(id) FROM silenced_alerts"),
                     "silence_id", (json_int_t)id, "event_key", "ev:silence-test",
                     "item_id", "weibo:2", "level", "III", "title", "汉滨区某企业拖欠工资",
                     "source_id", "weibo-ankang", "author", "汉滨小李", "rule_ids", "wage-01",
                     "matched_at", "2026-12-05T09:00:00+08:00", "at",
                     "2026-12-05T09:04:00+08:00");
    assert_true(json_equal(a, want));
    json_decref(want);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "at")),
                        "2026-12-05T09:01:00+08:00");
    json_decref(list);
    assert_int_equal(silence_alerts_list(st, 0, 1, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    json_decref(list);
    assert_int_equal(silence_alerts_list(st, other, 10, &list), 0);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    assert_int_equal(silence_alerts_list(st, 99, 10, &list), ERR_NOT_FOUND);
    assert_int_equal(silence_alerts_list(st, 0, 0, &list), ERR_INVALID);

    /* the alert is kept whole: it decodes to what was silenced */
    assert_int_equal(silence_alert_json(st, 1, &raw), 0);
    assert_int_equal(yq_alert_decode(raw, strlen(raw), &back, err, sizeof(err)), 0);
    assert_string_equal(back.item.id, "weibo:1");
    assert_string_equal(back.item.text, "工人多次讨薪无果");
    assert_string_equal(back.matches[0].group, "劳动保障");
    yq_alert_release(&back);
    free(raw);
    assert_int_equal(silence_alert_json(st, 9, &raw), ERR_NOT_FOUND);
    ticket_store_free(st);
}

static void test_list_json(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    json_t *list = NULL, *want;

    (void)state;
    assert_int_equal(silence_add(st, SILENCE_TERM, "  招聘 ", " 招聘广告，与舆情无关 ", "王值班",
                                 T0 + DAY_S, T0, NULL),
                     0);
    add_ok(st, SILENCE_SOURCE, "weibo-ankang", T0 + HOUR_S, T0 + 60);
    assert_int_equal(silence_list(st, false, T0 + 120, &list), 0);
    assert_int_equal(json_array_size(list), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "id")), 2);
    want = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:s, s:I, s:b}", "id",
                     (json_int_t)1, "kind", "term", "value", "招聘", "reason",
                     "招聘广告，与舆情无关", "created_by", "王值班", "created_at",
                     "2026-12-05T09:00:00+08:00", "expires_at", "2026-12-06T09:00:00+08:00",
                     "revoked_at", "revoked_by", "", "hit_count", (json_int_t)0, "active", 1);
    assert_true(json_equal(json_array_get(list, 1), want));
    json_decref(want);
    json_decref(list);
    ticket_store_free(st);
}

static void test_bounds(void **state)
{
    struct ticket_store *st = notifier_store_memory();
    char v[SILENCE_VALUE_MAX_BYTES + 2], r[SILENCE_REASON_MAX_BYTES + 2], name[16];

    (void)state;
    memset(v, 'a', sizeof(v) - 1);
    v[sizeof(v) - 1] = '\0';
    memset(r, 'b', sizeof(r) - 1);
    r[sizeof(r) - 1] = '\0';
    assert_int_equal(silence_add(st, SILENCE_TERM, v, "x", "王", T0 + 1, T0, NULL), ERR_INVALID);
    assert_non_null(strstr(ticket_store_errmsg(st), "200"));
    v[SILENCE_VALUE_MAX_BYTES] = '\0';
    assert_int_equal(silence_add(st, SILENCE_TERM, v, "x", "王", T0 + 1, T0, NULL), 0);
    assert_int_equal(silence_add(st, SILENCE_TERM, "xyz", r, "王", T0 + 1, T0, NULL), ERR_INVALID);
    r[SILENCE_REASON_MAX_BYTES] = '\0';
    assert_int_equal(silence_add(st, SILENCE_TERM, "xyz", r, "王", T0 + 1, T0, NULL), 0);
    assert_int_equal(silence_add(st, SILENCE_TERM, " \t\xe3\x80\x80", "x", "王", T0 + 1, T0, NULL),
                     ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_TERM, "x", "", "王", T0 + 1, T0, NULL), ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_TERM, "x", "y", "", T0 + 1, T0, NULL), ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_TERM, "\xe2\x80\x8b", "y", "王", T0 + 1, T0, NULL),
                     ERR_INVALID); /* a zero-width space normalises to nothing */
    assert_int_equal(silence_add(st, SILENCE_TERM, "\xff\xfe", "y", "王", T0 + 1, T0, NULL),
                     ERR_INVALID);
    assert_int_equal(silence_add(st, (enum silence_kind)9, "x", "y", "王", T0 + 1, T0, NULL),
                     ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_TERM, "x", "y", "王", T0, T0, NULL), ERR_INVALID);
    assert_int_equal(
        silence_add(st, SILENCE_TERM, "x", "y", "王", T0 + SILENCE_MAX_DURATION_S + 1, T0, NULL),
        ERR_INVALID);
    assert_int_equal(
        silence_add(st, SILENCE_TERM, "xyz", "y", "王", T0 + SILENCE_MAX_DURATION_S, T0, NULL), 0);
    assert_int_equal(notifier_count(st, "SELECT count(*) FROM silences"), 3);
    /* a term is found as a substring: one CJK character or fewer than 3 ASCII ones is refused
       (after normalisation: the full-width ＡＢ is "ab"); control characters are refused in
       every text (they would reach a terminal through `silences list`) */
    assert_int_equal(silence_add(st, SILENCE_TERM, "的", "y", "王", T0 + 1, T0, NULL), ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_TERM, "ＡＢ", "y", "王", T0 + 1, T0, NULL), ERR_INVALID);
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "src", "x\033[2J", "王", T0 + 1, T0,
                                 NULL),
                     ERR_INVALID);
    assert_non_null(strstr(ticket_store_errmsg(st), "control characters"));
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "a\tb", "y", "王", T0 + 1, T0, NULL),
                     ERR_INVALID);
    assert_int_equal(notifier_count(st, "SELECT count(*) FROM silences"), 3);

    /* at most SILENCE_ACTIVE_MAX active: expired and revoked ones do not count */
    for (int i = 3; i < SILENCE_ACTIVE_MAX; i++) {
        snprintf(name, sizeof(name), "s%d", i);
        assert_int_equal(silence_add(st, SILENCE_SOURCE, name, "y", "王", T0 + DAY_S, T0, NULL), 0);
    }
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "one-more", "y", "王", T0 + DAY_S, T0, NULL),
                     ERR_TOO_BIG);
    assert_int_equal(silence_revoke(st, 10, "王", T0), 0);
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "one-more", "y", "王", T0 + DAY_S, T0, NULL),
                     0);
    /* two silences expired at T0 + 1 (the first two), so two more fit then */
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "later", "y", "王", T0 + DAY_S, T0 + 1, NULL),
                     0);
    assert_int_equal(silence_add(st, SILENCE_SOURCE, "later2", "y", "王", T0 + DAY_S, T0 + 1, NULL),
                     0);
    assert_int_equal(
        silence_add(st, SILENCE_SOURCE, "later3", "y", "王", T0 + DAY_S, T0 + 1, NULL),
        ERR_TOO_BIG);
    ticket_store_free(st);
}

/* ---- yuqingctl silences ---- */

struct cli {
    struct notifier_tmp_store store;
    char out_path[64], err_path[64];
    char out[8192], err[4096];
};

/* Run `silences ARGS... --db <store>`; stdout and stderr captured in c. */
static int run(struct cli *c, const char *const *args)
{
    char *argv[24];
    int argc = 0, so, se, rc;

    argv[argc++] = "silences";
    for (; *args && argc < 20; args++) {
        argv[argc++] = (char *)*args;
    }
    argv[argc++] = "--db";
    argv[argc++] = c->store.path;
    argv[argc] = NULL;
    so = capture_begin(STDOUT_FILENO, c->out_path);
    se = capture_begin(STDERR_FILENO, c->err_path);
    rc = silences_cli_main(argc, argv);
    capture_end(STDERR_FILENO, se, c->err_path, c->err, sizeof(c->err));
    capture_end(STDOUT_FILENO, so, c->out_path, c->out, sizeof(c->out));
    return rc;
}

static void test_cli(void **state)
{
    struct cli *c = calloc(1, sizeof(*c));
    struct ticket_store *st = NULL;
    json_t *list = NULL, *s;
    char err[256] = "";

    (void)state;
    assert_non_null(c);
    notifier_tmp_store_create(&c->store, "tickets.db");
    snprintf(c->out_path, sizeof(c->out_path), "%s/out", c->store.dir);
    snprintf(c->err_path, sizeof(c->err_path), "%s/err", c->store.dir);

    assert_int_equal(run(c, (const char *const[]){"--help", NULL}), 0);
    test_expect_text("help", c->out, (const char *const[]){"add --kind", "--until"}, 2, NULL, 0);

    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "term", "--value", "招聘",
                                                  "--reason", "招聘广告", "--for", "24h", "--by",
                                                  "王值班", NULL}),
                     0);
    test_expect_text("add", c->out, (const char *const[]){"已添加屏蔽 1"}, 1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "source", "--value",
                                                  "weibo-ankang", "--reason", "测试源",
                                                  "--until", "2099-01-01T00:00+08:00", "--by",
                                                  "王值班", NULL}),
                     2); /* more than 90 days ahead */
    test_expect_text("far", c->err, (const char *const[]){"90"}, 1, NULL, 0);

    assert_int_equal(ticket_store_open(&c->store.cfg, &st, err, sizeof(err)), 0);
    assert_int_equal(silence_list(st, true, 0, &list), 0);
    assert_int_equal(json_array_size(list), 1);
    s = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(s, "value")), "招聘");
    assert_string_equal(json_string_value(json_object_get(s, "created_by")), "王值班");
    assert_int_equal(notifier_count(st, "SELECT expires_at - created_at FROM silences"), DAY_S);
    json_decref(list);

    assert_int_equal(run(c, (const char *const[]){"list", "--json", NULL}), 0);
    list = json_loads(c->out, 0, NULL);
    assert_int_equal(json_array_size(list), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "kind")),
                        "term");
    json_decref(list);
    assert_int_equal(run(c, (const char *const[]){"list", NULL}), 0);
    test_expect_text("list", c->out, (const char *const[]){"招聘", "生效", "王值班"}, 3, NULL, 0);

    assert_int_equal(run(c, (const char *const[]){"alerts", "1", NULL}), 0);
    test_expect_text("alerts", c->out, (const char *const[]){"没有被屏蔽的告警"}, 1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"alerts", "5", NULL}), 1);

    assert_int_equal(run(c, (const char *const[]){"revoke", "1", "--by", "李主任", NULL}), 0);
    assert_int_equal(notifier_count(st, "SELECT revoked_by = '李主任' FROM silences"), 1);
    assert_int_equal(run(c, (const char *const[]){"revoke", "1", "--by", "李主任", NULL}), 1);
    test_expect_text("revoke again", c->err, (const char *const[]){"已撤销"}, 1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"revoke", "9", "--by", "李主任", NULL}), 1);
    assert_int_equal(run(c, (const char *const[]){"list", NULL}), 0);
    test_expect_text("list after", c->out, (const char *const[]){"没有生效的屏蔽"}, 1, NULL, 0);

    /* usage errors: exit 2, named on stderr */
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "author", "--value", "x",
                                                  "--reason", "y", "--for", "1h", "--by", "王",
                                                  NULL}),
                     2);
    test_expect_text("kind", c->err, (const char *const[]){"--kind"}, 1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "term", "--value", "x",
                                                  "--reason", "y", "--for", "1w", "--by", "王",
                                                  NULL}),
                     2);
    test_expect_text("for", c->err, (const char *const[]){"--for '1w'"}, 1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "term", "--value", "x",
                                                  "--reason", "y", "--for", "1h", "--until",
                                                  "2026-12-31", "--by", "王", NULL}),
                     2);
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "term", "--value", "x",
                                                  "--reason", "y", "--until", "someday", "--by",
                                                  "王", NULL}),
                     2);
    /* a bad time or number: yq_cli's one form (option and value named), then the usage */
    test_expect_text("until", c->err,
                     (const char *const[]){"yuqingctl silences: 选项 '--until' 的取值 'someday' "
                                           "不是 RFC 3339 时间 (not an RFC 3339 time)\nusage:"},
                     1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"alerts", "--limit", "10001", NULL}), 2);
    test_expect_text("limit", c->err,
                     (const char *const[]){"yuqingctl silences: 选项 '--limit' 的取值 '10001' 须为 "
                                           "1..10000 的整数 (needs a whole number in 1..10000)\n"},
                     1, NULL, 0);
    assert_int_equal(run(c, (const char *const[]){"add", "--kind", "term", "--value", "x",
                                                  "--for", "1h", "--by", "王", NULL}),
                     2);
    assert_int_equal(run(c, (const char *const[]){"revoke", "x", "--by", "王", NULL}), 2);
    assert_int_equal(run(c, (const char *const[]){"revoke", "1", NULL}), 2);
    assert_int_equal(run(c, (const char *const[]){"list", "--frob", NULL}), 2);
    assert_int_equal(run(c, (const char *const[]){"mute", NULL}), 2);
    assert_int_equal(run(c, (const char *const[]){NULL}), 2);
    assert_int_equal(notifier_count(st, "SELECT count(*) FROM silences"), 1);

    ticket_store_free(st);
    unlink(c->out_path);
    unlink(c->err_path);
    notifier_tmp_store_remove(&c->store);
    free(c);
}

/* A store that does not exist is never created: exit 1. */
static void test_cli_missing_store(void **state)
{
    char *argv[] = {"silences", "list", "--db", "/nonexistent/yq-silence.db", NULL};

    (void)state;
    assert_int_equal(silences_cli_main(4, argv), 1);
    assert_int_equal(access("/nonexistent/yq-silence.db", F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_rule_every_rule),
        cmocka_unit_test(test_group_and_combination),
        cmocka_unit_test(test_source),
        cmocka_unit_test(test_account),
        cmocka_unit_test(test_term),
        cmocka_unit_test(test_expiry_boundaries),
        cmocka_unit_test(test_revoke),
        cmocka_unit_test(test_record_idempotent_and_alerts_json),
        cmocka_unit_test(test_list_json),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_cli_missing_store),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
