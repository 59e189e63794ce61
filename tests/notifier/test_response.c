/*
 * Issue #15: responses found on official channels (docs/responses.md). The score's parts with
 * exact values (response_detect.h), the "responses:" keys, zero-match official alerts through
 * the decoder and intake, official posts, proposals in both orders, departments, thresholds,
 * idempotence, confirm / reject (roles, states, the response clock stopped at the post's time,
 * double decisions refused, auto confirmation) and hostile post text. Alerts are written as the
 * matcher's JSON and decoded with yq_alert_decode(); every time is injected.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include "yq_db.h"

#include "notifier_fixture.h"
#include "response_detect.h"
#include "response_store.h"
#include "ticket_api.h"
#include "ticket_text.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_utf8.h"

#define EPS 1e-9

/* --- alerts --------------------------------------------------------------------------------- */

/* What one test alert says; NULL strings are left out of the JSON. */
struct spec {
    const char *item_id;
    const char *event_key;   /* NULL: "ev:<item_id>" */
    bool official;
    const char *department;  /* item's (official) and rule's (matched) */
    const char *channel;     /* response_channel of an official item */
    const char *source;      /* "rss" when NULL */
    const char *title;
    const char *text;
    const char *published_at;
    const char *matched_at;
    const char *simhash;
    const char *const *terms; /* NULL-terminated; NULL or empty: zero matches */
    const char *url;          /* NULL: "https://example.cn/p/1.html" */
    const char *account;      /* the item's channel; NULL: 安康发布 / 安康论坛 */
};

static int make_alert(const struct spec *s, struct yq_alert *out, char *err, size_t errlen)
{
    json_t *item = json_pack("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "schema", 1, "id",
                             s->item_id, "source", s->source ? s->source : "rss", "source_id",
                             s->official ? "ak-fabu" : "ak-news", "channel",
                             s->account ? s->account : s->official ? "安康发布" : "安康论坛",
                             "url", s->url ? s->url : "https://example.cn/p/1.html", "title",
                             s->title ? s->title : "",
                             "text", s->text ? s->text : "", "fetched_at",
                             "2026-11-30T02:00:00Z");
    json_t *matches = json_array(), *terms = json_array(), *a;
    char key[200], *text;
    int rc;

    if (s->published_at) {
        json_object_set_new(item, "published_at", json_string(s->published_at));
    }
    if (s->official) {
        json_object_set_new(item, "official", json_true());
        json_object_set_new(item, "response_channel", json_string(s->channel ? s->channel : "政务微信"));
    }
    if (s->department) {
        json_object_set_new(item, "department", json_string(s->department));
    }
    for (size_t i = 0; s->terms && s->terms[i]; i++) {
        json_array_append_new(terms, json_pack("{s:s,s:s,s:i,s:i}", "term", s->terms[i], "field",
                                               "text", "start", 0, "end", 2));
    }
    if (json_array_size(terms) > 0) {
        json_array_append_new(matches,
                              json_pack("{s:s,s:s,s:s,s:s,s:O}", "rule_id", "land-01", "name",
                                        "征地补偿", "department",
                                        s->department ? s->department : "市自然资源局", "level",
                                        "III", "terms", terms));
    }
    json_decref(terms);
    snprintf(key, sizeof(key), "ev:%s", s->item_id);
    a = json_pack("{s:i,s:s,s:{s:b,s:i},s:i,s:s,s:f,s:s,s:s,s:o,s:o}", "schema", 1, "event_key",
                  s->event_key ? s->event_key : key, "event", "new", 1, "items", 1,
                  "rules_version", 3, "matched_at",
                  s->matched_at ? s->matched_at : "2026-11-30T02:00:00Z", "score", 40.0, "level",
                  "III", "department", s->department ? s->department : "市自然资源局", "matches",
                  matches, "item", item);
    if (s->simhash) {
        json_object_set_new(a, "simhash", json_string(s->simhash));
    }
    text = yq_json_dumps(a, JSON_COMPACT);
    json_decref(a);
    rc = yq_alert_decode(text, strlen(text), out, err, errlen);
    free(text);
    return rc;
}

static int take(struct ticket_store *store, const struct spec *s, int64_t now,
                struct ticket_intake_result *res)
{
    struct yq_alert a;
    char err[256] = "";
    struct ticket_intake_result r;
    int rc;

    if (make_alert(s, &a, err, sizeof(err)) != 0) {
        fail_msg("alert does not decode: %s", err);
    }
    rc = ticket_intake_alert(store, &a, now, res ? res : &r);
    yq_alert_release(&a);
    return rc;
}

static const char *const complaint_terms[] = {"征地", "补偿款", "拖欠", NULL};

/* The complaint (a ticket at once: the fixture's policy hands every level over). */
static const struct spec complaint = {
    .item_id = "rss:complaint-1",
    .department = "市自然资源局",
    .title = "汉滨区征地补偿款迟迟未发放",
    .text = "汉滨区某村征地补偿款迟迟未发放，村民多次反映无果",
    .published_at = "2026-11-30T01:00:00Z",
    .matched_at = "2026-11-30T02:00:00Z",
    .simhash = "00000000000000ff",
    .terms = complaint_terms,
};

/* The department's own 情况通报 answering it, published four hours later. */
static const struct spec answer = {
    .item_id = "wx:fabu:1:1",
    .official = true,
    .department = "市自然资源局",
    .channel = "政务微信",
    .source = "wechat",
    .title = "关于汉滨区征地补偿款发放情况的通报",
    .text = "近日，网民反映汉滨区某村征地补偿款未发放。经核查，补偿款已于本周全部拨付到户。",
    .published_at = "2026-11-30T05:00:00Z",
    .matched_at = "2026-11-30T05:10:00Z",
    .simhash = "0000000000000000",
};

static int64_t T(const char *iso)
{
    return notifier_ts(iso);
}

/* Take the answer at 05:11 (a new official post); it proposes a response to n tickets. */
static void take_answer_proposing(struct ticket_store *store, int n)
{
    struct ticket_intake_result res;

    assert_int_equal(take(store, &answer, T("2026-11-30T05:11:00Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_OFFICIAL);
    assert_int_equal(res.proposals, n);
}

static char *number_of_first_ticket(struct ticket_store *store, char *buf, size_t len)
{
    struct yq_stmt *st = NULL;
    assert_int_equal(yq_stmt_prepare((struct yq_db *)ticket_store_db(store), "SELECT number FROM tickets ORDER BY id LIMIT 1", &st),
                     YQ_DB_OK);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    snprintf(buf, len, "%s", yq_stmt_column_text(st, 0));
    yq_stmt_finalize(st);
    return buf;
}

/* --- the score ------------------------------------------------------------------------------ */

static void test_simhash_similarity_values(void **state)
{
    (void)state;
    assert_float_equal(response_detect_simhash_similarity(0), 1.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(3), 1.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(4), 28.0 / 29.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(8), 24.0 / 29.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(31), 1.0 / 29.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(32), 0.0, EPS);
    assert_float_equal(response_detect_simhash_similarity(64), 0.0, EPS);
}

static void test_title_similarity_dice(void **state)
{
    double h = -1;
    (void)state;
    /* {征地,地补,补偿} vs {征地,地补,补助}: 2·2 / (3 + 3) */
    assert_int_equal(response_detect_title_similarity("征地补偿", "征地补助", &h), 0);
    assert_float_equal(h, 2.0 / 3.0, EPS);
    /* punctuation and spaces dropped, traditional and full-width normalised */
    assert_int_equal(response_detect_title_similarity("征地，补 偿", "征地補償", &h), 0);
    assert_float_equal(h, 1.0, EPS);
    assert_int_equal(response_detect_title_similarity("ＡＢＣ", "abc", &h), 0);
    assert_float_equal(h, 1.0, EPS);
    assert_int_equal(response_detect_title_similarity("征地补偿", "天气晴朗", &h), 0);
    assert_float_equal(h, 0.0, EPS);
    /* a single character has no bigram */
    assert_int_equal(response_detect_title_similarity("征", "征", &h), 0);
    assert_float_equal(h, 0.0, EPS);
    assert_int_equal(response_detect_title_similarity(NULL, "征地", &h), 0);
    assert_float_equal(h, 0.0, EPS);
}

/* The worked example of docs/responses.md, part by part. */
static void test_score_worked_example(void **state)
{
    const char *terms[] = {"征地", "补偿款", "拖欠", "补偿款"};
    const char *titles[] = {"汉滨区征地补偿款迟迟未发放"};
    uint64_t hashes[] = {0xffULL, 0xffff0000ffffULL};
    struct response_event_view ev = {terms, 4, hashes, 2, titles, 1};
    struct response_post_view post = {"关于汉滨区征地补偿款发放情况的通报",
                                      "经核查，补偿款已于本周全部拨付到户。", true, 0};
    struct response_score sc;
    bool found[4];
    (void)state;

    assert_int_equal(response_detect_score(NULL, &ev, &post, found, &sc), 0);
    assert_int_equal(sc.n_terms, 3); /* the repeated 补偿款 counts once */
    assert_int_equal(sc.n_terms_found, 2);
    assert_true(found[0] && found[1] && !found[2] && found[3]);
    assert_float_equal(sc.terms, 2.0 / 3.0, EPS);
    assert_int_equal(sc.simhash_distance, 8);
    assert_float_equal(sc.simhash, 24.0 / 29.0, EPS);
    /* 16 and 12 bigrams, 8 shared: 2·8 / 28 */
    assert_float_equal(sc.title, 4.0 / 7.0, EPS);
    assert_float_equal(sc.score, 0.5 * 2.0 / 3.0 + 0.2 * 24.0 / 29.0 + 0.3 * 4.0 / 7.0, EPS);
    assert_true(response_detect_proposes(NULL, &sc));
    assert_false(response_detect_auto_confirms(NULL, &sc)); /* 0 = never */

    /* no SimHash on the post: S is 0 and no distance */
    post.has_simhash = false;
    assert_int_equal(response_detect_score(NULL, &ev, &post, NULL, &sc), 0);
    assert_int_equal(sc.simhash_distance, -1);
    assert_float_equal(sc.simhash, 0.0, EPS);
}

static void test_score_requires_terms(void **state)
{
    const char *terms[] = {"拖欠"};
    const char *titles[] = {"汉滨区征地补偿款迟迟未发放"};
    uint64_t hashes[] = {0};
    struct response_event_view ev = {terms, 1, hashes, 1, titles, 1};
    struct response_post_view post = {"汉滨区征地补偿款迟迟未发放", "", true, 0};
    struct response_score sc;
    (void)state;

    /* same title and hash, none of the terms: 0.2 + 0.3 = 0.5 >= 0.35, but T = 0 */
    assert_int_equal(response_detect_score(NULL, &ev, &post, NULL, &sc), 0);
    assert_float_equal(sc.score, 0.5, EPS);
    assert_false(response_detect_proposes(NULL, &sc));
}

static void test_score_hostile_text(void **state)
{
    size_t n = 1024 * 1024;
    char *text = malloc(n + 1);
    const char *terms[] = {"征地", "\xff\xfe", ""};
    struct response_event_view ev = {terms, 3, NULL, 0, NULL, 0};
    struct response_post_view post = {"\x01\x02标题\x7f", NULL, false, 0};
    struct response_score sc;
    (void)state;

    for (size_t i = 0; i < n; i++) {
        text[i] = (char)(i % 7 == 0 ? 0x01 : i % 5 == 0 ? 0xc3 : 'a' + (int)(i % 26));
    }
    text[n] = '\0';
    memcpy(text + 100, "征地", strlen("征地"));
    post.text = text;
    assert_int_equal(response_detect_score(NULL, &ev, &post, NULL, &sc), 0);
    assert_int_equal(sc.n_terms, 1); /* invalid UTF-8 and empty terms are not terms */
    assert_int_equal(sc.n_terms_found, 1);
    /* a term only past the scored prefix is not seen */
    memset(text + 100, 'x', strlen("征地"));
    memcpy(text + n - 10, "征地", strlen("征地"));
    assert_int_equal(response_detect_score(NULL, &ev, &post, NULL, &sc), 0);
    assert_int_equal(sc.n_terms_found, 0);
    free(text);
}

static void test_cfg_defaults_and_checks(void **state)
{
    const struct response_cfg *d = response_cfg_defaults();
    struct response_cfg c;
    struct cfg_doc doc;
    char err[256] = "";
    const char *yaml = "responses:\n  office_departments: [安康市人民政府办公室, 安康市政府新闻办]\n";
    (void)state;

    assert_int_equal(d->terms_weight_percent, 50);
    assert_int_equal(d->simhash_weight_percent, 20);
    assert_int_equal(d->title_weight_percent, 30);
    assert_int_equal(d->propose_min_score_percent, 35);
    assert_true(d->require_terms);
    assert_int_equal(d->auto_confirm_min_score_percent, 0);
    assert_int_equal(d->lookback_ms, 72LL * 3600 * 1000);
    assert_int_equal(d->n_office_departments, 1);
    assert_string_equal(d->office_departments[0], "安康市人民政府办公室");
    assert_true(response_cfg_is_office(d, "安康市人民政府办公室"));
    assert_false(response_cfg_is_office(d, "市自然资源局"));

    c = *d;
    c.office_departments = NULL;
    c.n_office_departments = 0;
    c.title_weight_percent = 40;
    assert_int_equal(response_cfg_check(&c, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "must be 100"));
    c.title_weight_percent = 30;
    c.auto_confirm_min_score_percent = 20;
    assert_int_equal(response_cfg_check(&c, err, sizeof(err)), ERR_INVALID);
    c.auto_confirm_min_score_percent = 80;
    assert_int_equal(response_cfg_check(&c, err, sizeof(err)), 0);

    memset(&doc, 0, sizeof(doc));
    assert_int_equal(cfg_doc_load(&doc, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(response_cfg_parse_lists(&c, &doc,
                                              cfg_map_get(&doc, cfg_doc_root(&doc), "responses"),
                                              err, sizeof(err)),
                     0);
    assert_int_equal(c.n_office_departments, 2);
    assert_string_equal(c.office_departments[1], "安康市政府新闻办");
    response_cfg_release(&c);
    cfg_doc_release(&doc);

    yaml = "responses:\n  office_departments: 安康市人民政府办公室\n";
    assert_int_equal(cfg_doc_load(&doc, "t.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    assert_int_equal(response_cfg_parse_lists(&c, &doc,
                                              cfg_map_get(&doc, cfg_doc_root(&doc), "responses"),
                                              err, sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "t.yaml:2: responses.office_departments must be a list"));
    cfg_doc_release(&doc);
}

/* --- the alert ------------------------------------------------------------------------------- */

static void test_zero_match_alert_decodes_only_when_official(void **state)
{
    struct yq_alert a;
    struct spec s = answer;
    char err[256] = "", *json = NULL;
    (void)state;

    assert_int_equal(make_alert(&s, &a, err, sizeof(err)), 0);
    assert_int_equal(a.n_matches, 0);
    assert_true(a.has_simhash);
    assert_int_equal(a.simhash, 0);
    /* round trip: the simhash and the empty matches survive */
    a.simhash = 0x0123456789abcdefULL;
    assert_int_equal(yq_alert_encode(&a, &json, NULL), 0);
    assert_non_null(strstr(json, "\"simhash\":\"0123456789abcdef\""));
    assert_non_null(strstr(json, "\"matches\":[]"));
    yq_alert_release(&a);
    assert_int_equal(yq_alert_decode(json, strlen(json), &a, err, sizeof(err)), 0);
    assert_int_equal(a.simhash, 0x0123456789abcdefULL);
    yq_alert_release(&a);
    free(json);

    s.official = false;
    assert_int_equal(make_alert(&s, &a, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "empty only for an official item"));
    s = answer;
    s.simhash = "12345";
    assert_int_equal(make_alert(&s, &a, err, sizeof(err)), ERR_PARSE);
    assert_non_null(strstr(err, "simhash"));
    s.simhash = "zzzzzzzzzzzzzzzz";
    assert_int_equal(make_alert(&s, &a, err, sizeof(err)), ERR_PARSE);
}

/* --- intake --------------------------------------------------------------------------------- */

static int setup(void **state)
{
    *state = notifier_store_memory();
    return 0;
}

static int teardown(void **state)
{
    ticket_store_free(*state);
    return 0;
}

static void test_zero_match_official_alert_records_only_the_post(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;

    assert_int_equal(take(store, &answer, T("2026-11-30T05:11:00Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_OFFICIAL);
    assert_true(res.post_id > 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM events"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM held_items"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM silenced_alerts"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts WHERE "
                                           "response_channel = '政务微信' AND department = "
                                           "'市自然资源局' AND simhash = '0000000000000000' AND "
                                           "published_at = 1796014800 AND received_at = 1796015460"),
                     1);
    /* redelivered: nothing new */
    assert_int_equal(take(store, &answer, T("2026-11-30T05:12:00Z"), &res), 0);
    assert_int_equal(res.post_id, 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts"), 1);
}

static void test_matched_official_item_is_held_and_kept_as_post(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    struct spec s = answer;

    s.terms = complaint_terms;
    assert_int_equal(take(store, &s, T("2026-11-30T05:11:00Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_HELD);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM held_items WHERE reason = "
                                           "'official'"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts"), 1);
}

static void test_proposal_when_post_arrives_after_ticket(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    json_t *t = NULL, *p;
    char number[32];

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM event_items WHERE simhash = "
                                           "'00000000000000ff'"),
                     1);
    take_answer_proposing(store, 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE "
                                           "state = 'proposed' AND simhash_distance = 8"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'response_proposed' AND actor = 'system' AND note "
                                           "LIKE '政务微信“关于汉滨区征地补偿款%'"),
                     1);
    assert_int_equal(ticket_api_detail(store, number_of_first_ticket(store, number, sizeof(number)),
                                       &t),
                     0);
    assert_int_equal(json_array_size(json_object_get(t, "proposals")), 1);
    p = json_array_get(json_object_get(t, "proposals"), 0);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "proposed");
    assert_string_equal(json_string_value(json_object_get(p, "channel")), "政务微信");
    assert_string_equal(json_string_value(json_object_get(p, "published_at")),
                        "2026-11-30T05:00:00Z");
    /* T = 2/3 (征地, 补偿款; not 拖欠), S at 8 bits, H = 4/7 */
    assert_float_equal(json_real_value(json_object_get(json_object_get(p, "parts"), "terms")),
                       2.0 / 3.0, EPS);
    assert_float_equal(json_real_value(json_object_get(p, "score")),
                       0.5 * 2.0 / 3.0 + 0.2 * 24.0 / 29.0 + 0.3 * 4.0 / 7.0, EPS);
    assert_int_equal(json_array_size(json_object_get(p, "terms")), 2);
    assert_true(json_is_null(json_object_get(p, "decided_at")));
    /* the page's generic buttons never offer the per-proposal actions */
    json_t *next = json_object_get(t, "next_actions");
    for (size_t i = 0; i < json_array_size(next); i++) {
        assert_null(strstr(json_string_value(json_array_get(next, i)), "response"));
    }
    json_decref(t);
}

static void test_proposal_when_ticket_is_created_after_post(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;

    take_answer_proposing(store, 0);
    /* the complaint reaches the office later (published at 01:00, before the answer) */
    assert_int_equal(take(store, &complaint, T("2026-11-30T06:00:00Z"), &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
    /* redelivered post and a second handover change nothing */
    assert_int_equal(take(store, &answer, T("2026-11-30T06:10:00Z"), &res), 0);
    struct ticket_action a = {.kind = TICKET_ACT_ASSIGN, .actor = "值班员甲",
                              .role = "duty_officer", .department = "市自然资源局"};
    char number[32];
    a.number = number_of_first_ticket(store, number, sizeof(number));
    notifier_apply_ok(store, &a, T("2026-11-30T06:20:00Z"), NULL);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'response_proposed'"),
                     1);
}

static void test_handover_proposes_for_the_new_department(void **state)
{
    struct ticket_store *store = *state;
    struct spec post = answer;
    char number[32];

    post.department = "汉滨区人民政府";
    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(take(store, &post, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 0);
    struct ticket_action a = {.kind = TICKET_ACT_ASSIGN, .actor = "值班员甲",
                              .role = "duty_officer", .department = "汉滨区人民政府"};
    a.number = number_of_first_ticket(store, number, sizeof(number));
    notifier_apply_ok(store, &a, T("2026-11-30T05:30:00Z"), NULL);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
}

static void test_no_proposal_for_other_departments_early_posts_or_low_scores(void **state)
{
    struct ticket_store *store = *state;
    struct spec other = answer, early = answer, unrelated = answer;

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    other.item_id = "wx:fabu:2:1";
    other.department = "市教育局";
    assert_int_equal(take(store, &other, T("2026-11-30T05:11:00Z"), NULL), 0);
    /* published before the complaint's first post (01:00) less the 1 h slack */
    early.item_id = "wx:fabu:3:1";
    early.published_at = "2026-11-29T23:59:00Z";
    assert_int_equal(take(store, &early, T("2026-11-30T05:11:00Z"), NULL), 0);
    unrelated.item_id = "wx:fabu:4:1";
    unrelated.title = "安康市今冬明春供暖工作安排";
    unrelated.text = "市住建局部署今冬明春城区供暖工作。";
    unrelated.simhash = "ffffffffffffffff";
    assert_int_equal(take(store, &unrelated, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts"), 3);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 0);
    /* within the slack it counts */
    early.item_id = "wx:fabu:5:1";
    early.published_at = "2026-11-30T00:30:00Z";
    assert_int_equal(take(store, &early, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
}

/*
 * ctx: an int counting the posts taken. Take one more 市教育局 post like the answer (a new item
 * id each time) and give "take=<code> proposals=<n>" (n: proposals for 市教育局's posts),
 * without asserting (notifier_each_corrupt_json()).
 */
static void read_co_handler_post(struct ticket_store *store, void *ctx, char *got, size_t len)
{
    int *n_posts = ctx;
    char item_id[32];
    struct spec post = answer;
    int err;

    snprintf(item_id, sizeof(item_id), "wx:fabu:co:%d", ++*n_posts);
    post.item_id = item_id;
    post.department = "市教育局";
    err = take(store, &post, T("2026-11-30T05:11:00Z"), NULL);
    snprintf(got, len, "take=%d proposals=%lld", err,
             (long long)notifier_count(store, "SELECT count(*) FROM response_proposals r JOIN "
                                              "official_posts p ON p.id = r.post_id WHERE "
                                              "p.department = '市教育局'"));
}

/*
 * A co-handling department's post answers the ticket; with a corrupt stored co_departments the
 * post's intake failed on PostgreSQL (the proposal query's cast threw: the post was retried
 * for ever) and, on SQLite, a JSON object's or string's value counted as a co-handling
 * department. Now the ticket has none (a warning each time): the post is taken, no proposal.
 */
static void test_corrupt_co_departments_propose_nothing(void **state)
{
    struct ticket_store *store = *state;
    int n_posts = 0;
    char got[128];

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(yq_db_exec_raw(ticket_store_db(store),
                                    "UPDATE tickets SET co_departments = '[\"市教育局\"]'"),
                     YQ_DB_OK);
    read_co_handler_post(store, &n_posts, got, sizeof(got));
    assert_string_equal(got, "take=0 proposals=1"); /* as stored: 市教育局 co-handles it */
    notifier_each_corrupt_json(store, "UPDATE tickets SET co_departments = ?1", "市教育局",
                               "co_departments", -1, read_co_handler_post, &n_posts,
                               "take=0 proposals=1");
}

static void test_office_department_posts_meet_every_ticket(void **state)
{
    struct ticket_store *store = *state;
    struct spec post = answer;

    post.department = "安康市人民政府办公室";
    post.channel = "权威发布";
    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(take(store, &post, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
}

/* issue #12: one post answering 20 tickets makes 20 proposals (past the list's first capacity) */
static void test_issue_12_post_proposes_for_20_tickets(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_intake_result res;
    char item_id[32];

    for (int i = 0; i < 20; i++) {
        struct spec c = complaint;

        snprintf(item_id, sizeof(item_id), "rss:complaint-%02d", i);
        c.item_id = item_id;
        assert_int_equal(take(store, &c, T("2026-11-30T02:00:00Z"), &res), 0);
        assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    }
    take_answer_proposing(store, 20);
    assert_int_equal(notifier_count(store, "SELECT count(DISTINCT ticket_id) FROM "
                                           "response_proposals WHERE state = 'proposed'"),
                     20);
}

/* --- confirm / reject ----------------------------------------------------------------------- */

/* The complaint's ticket with the answer proposed; its number into number. */
static int64_t proposed(struct ticket_store *store, char *number, size_t len)
{
    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(take(store, &answer, T("2026-11-30T05:11:00Z"), NULL), 0);
    number_of_first_ticket(store, number, len);
    return notifier_count(store, "SELECT id FROM response_proposals");
}

static int decide(struct ticket_store *store, enum ticket_action_kind kind, const char *number,
                  const char *role, int64_t proposal_id, int64_t now, char *err, size_t errlen)
{
    struct ticket_action a = {.kind = kind, .number = number, .actor = "李联络", .role = role,
                              .proposal_id = proposal_id, .note = "与本事件无关"};
    return ticket_flow_apply(store, &a, now, NULL, err, errlen);
}

static void test_confirm_on_open_ticket_acks_and_stops_the_clock(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t id = proposed(store, number, sizeof(number)), now = T("2026-11-30T06:00:00Z");
    struct ticket t;
    json_t *j = NULL, *r;

    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", id, now, err,
                            sizeof(err)),
                     0);
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_RESPONDED);
    assert_int_equal(t.acknowledged_at, now);                       /* 签收 at the confirm */
    assert_int_equal(t.responded_at, T("2026-11-30T05:00:00Z")); /* the post's time */
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_responses WHERE channel = "
                                           "'政务微信' AND url = 'https://example.cn/p/1.html' AND "
                                           "recorded_by = '李联络' AND responded_at = 1796014800"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals p JOIN "
                                           "ticket_responses r ON r.id = p.response_id WHERE "
                                           "p.state = 'confirmed' AND p.decided_by = '李联络' AND "
                                           "p.auto = 0"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action IN "
                                           "('acknowledged', 'responded') AND actor = '李联络'"),
                     2);
    assert_int_equal(ticket_api_detail(store, number, &j), 0);
    r = json_array_get(json_object_get(j, "responses"), 0);
    assert_true(json_is_true(json_object_get(r, "detected")));
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "proposals"), 0),
                                          "state")),
        "confirmed");
    json_decref(j);
    /* decided once */
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "duty_officer", id,
                            now + 60, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "proposal_decided: 该疑似回应已确认"));
    assert_int_equal(decide(store, TICKET_ACT_REJECT_RESPONSE, number, "duty_officer", id,
                            now + 60, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_responses"), 1);
}

static void test_manual_response_is_not_detected(void **state)
{
    struct ticket_store *store = *state;
    char number[32];
    json_t *j = NULL;

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    number_of_first_ticket(store, number, sizeof(number));
    struct ticket_action ack = {.kind = TICKET_ACT_ACK, .number = number, .actor = "李联络",
                                .role = "liaison"};
    notifier_apply_ok(store, &ack, T("2026-11-30T02:10:00Z"), NULL);
    struct ticket_action resp = {.kind = TICKET_ACT_RESPOND, .number = number, .actor = "李联络",
                                 .role = "liaison", .channel = "答复"};
    notifier_apply_ok(store, &resp, T("2026-11-30T02:20:00Z"), NULL);
    assert_int_equal(ticket_api_detail(store, number, &j), 0);
    assert_true(json_is_false(
        json_object_get(json_array_get(json_object_get(j, "responses"), 0), "detected")));
    assert_int_equal(json_array_size(json_object_get(j, "proposals")), 0);
    json_decref(j);
}

static void test_reject_keeps_the_row_and_the_state(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t id = proposed(store, number, sizeof(number)), now = T("2026-11-30T06:00:00Z");
    struct ticket t;

    assert_int_equal(decide(store, TICKET_ACT_REJECT_RESPONSE, number, "head", id, now, err,
                            sizeof(err)),
                     0);
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_OPEN);
    assert_int_equal(t.responded_at, 0);
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'rejected' AND decided_by = '李联络' AND decided_note "
                                           "= '与本事件无关' AND decided_at = 1796018400 AND "
                                           "response_id IS NULL"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'response_rejected'"),
                     1);
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", id, now + 1,
                            err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "proposal_decided: 该疑似回应已驳回"));
}

static void test_decide_roles_states_and_foreign_proposals(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t id = proposed(store, number, sizeof(number)), now = T("2026-11-30T06:00:00Z");

    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "visitor", id, now, err,
                            sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "role_unknown"));
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", 0, now, err,
                            sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "proposal_required"));
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", id + 99, now,
                            err, sizeof(err)),
                     ERR_NOT_FOUND);
    assert_non_null(strstr(err, "proposal_not_found"));
    assert_true(ticket_action_role_may(TICKET_ACT_CONFIRM_RESPONSE, "head"));
    assert_true(ticket_action_role_may(TICKET_ACT_REJECT_RESPONSE, "duty_officer"));
    /* a returned ticket cannot be answered until handed over again */
    struct ticket_action ret = {.kind = TICKET_ACT_RETURN, .number = number, .actor = "李联络",
                                .role = "liaison", .reason = "不属于本部门职责"};
    notifier_apply_ok(store, &ret, now, NULL);
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "duty_officer", id,
                            now + 60, err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "state_not_allowed"));
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed'"),
                     1);
}

/*
 * Auto confirmation records the 回应, never the department's 签收: on a ticket still 待签收 the
 * proposal waits for a person (nothing written); once the liaison has 签收, a post scoring
 * above the threshold is confirmed by 'system' and the 签收 stays the liaison's.
 */
static void test_auto_confirm_when_configured(void **state)
{
    struct ticket_store *store = *state;
    struct ticket_policy pol = *notifier_policy_hand_over_all();
    struct response_cfg cfg = *response_cfg_defaults();
    struct spec later = answer;
    char number[32];
    struct ticket t;

    cfg.auto_confirm_min_score_percent = 60; /* the example scores 0.670 */
    pol.responses = &cfg;
    ticket_store_set_policy(store, &pol);
    proposed(store, number, sizeof(number));
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_OPEN);
    assert_int_equal(t.acknowledged_at, 0);
    assert_int_equal(t.responded_at, 0);
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed' AND auto = 0 AND decided_at IS NULL"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action IN "
                                           "('acknowledged', 'responded')"),
                     0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_responses"), 0);

    struct ticket_action ack = {.kind = TICKET_ACT_ACK, .number = number, .actor = "李联络",
                                .role = "liaison"};
    notifier_apply_ok(store, &ack, T("2026-11-30T05:20:00Z"), NULL);
    later.item_id = "wx:fabu:1:2";
    later.published_at = "2026-11-30T05:30:00Z";
    assert_int_equal(take(store, &later, T("2026-11-30T05:40:00Z"), NULL), 0);
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_RESPONDED);
    assert_int_equal(t.acknowledged_at, T("2026-11-30T05:20:00Z")); /* the liaison's */
    assert_int_equal(t.responded_at, T("2026-11-30T05:30:00Z"));
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'confirmed' AND decided_by = 'system' AND auto = 1"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'responded' AND actor = 'system' AND note LIKE "
                                           "'%note=系统自动确认%'"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'acknowledged' AND actor = '李联络'"),
                     1);
    ticket_store_set_policy(store, notifier_policy_hand_over_all());
}

/*
 * 签收 is the department's clock (issue #17): a duty officer or an admin confirming on a
 * ticket still 待签收 is refused (ack_required) and nothing is written; the head of the lead
 * department records it; after the liaison's 签收 the duty officer confirms without a second.
 */
static void test_confirm_records_the_ack_only_for_the_department(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t id = proposed(store, number, sizeof(number)), now = T("2026-11-30T06:00:00Z");
    struct ticket t;

    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "duty_officer", id, now,
                            err, sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "ack_required: 交办单"));
    assert_non_null(strstr(err, "尚未签收"));
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "admin", id, now, err,
                            sizeof(err)),
                     ERR_BAD_STATE);
    assert_non_null(strstr(err, "ack_required"));
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_OPEN);
    assert_int_equal(t.acknowledged_at, 0);
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action IN "
                                           "('acknowledged', 'responded')"),
                     0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed'"),
                     1);
    /* the lead department's head */
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "head", id, now + 60, err,
                            sizeof(err)),
                     0);
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_RESPONDED);
    assert_int_equal(t.acknowledged_at, now + 60);
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'acknowledged' AND actor_role = 'head'"),
                     1);
}

static void test_duty_officer_confirms_after_the_departments_ack(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t id = proposed(store, number, sizeof(number)), now = T("2026-11-30T06:00:00Z");
    struct ticket t;

    struct ticket_action ack = {.kind = TICKET_ACT_ACK, .number = number, .actor = "王联络",
                                .role = "liaison"};
    notifier_apply_ok(store, &ack, T("2026-11-30T05:20:00Z"), NULL);
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "duty_officer", id, now,
                            err, sizeof(err)),
                     0);
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_RESPONDED);
    assert_int_equal(t.acknowledged_at, T("2026-11-30T05:20:00Z"));
    assert_int_equal(t.responded_at, T("2026-11-30T05:00:00Z"));
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'acknowledged'"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'responded' AND actor_role = 'duty_officer'"),
                     1);
}

/* A returned ticket is back with the duty officer: no proposal until it is handed over again. */
static void test_no_proposal_on_returned_ticket(void **state)
{
    struct ticket_store *store = *state;
    char number[32];

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    number_of_first_ticket(store, number, sizeof(number));
    struct ticket_action ret = {.kind = TICKET_ACT_RETURN, .number = number, .actor = "李联络",
                                .role = "liaison", .reason = "不属于本部门职责"};
    notifier_apply_ok(store, &ret, T("2026-11-30T03:00:00Z"), NULL);
    assert_int_equal(take(store, &answer, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM official_posts"), 1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 0);
    struct ticket_action a = {.kind = TICKET_ACT_ASSIGN, .number = number, .actor = "值班员甲",
                              .role = "duty_officer", .department = "市自然资源局"};
    notifier_apply_ok(store, &a, T("2026-11-30T05:30:00Z"), NULL);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed'"),
                     1);
}

/* A dismissed ticket reopened (open again) meets the posts made meanwhile. */
static void test_reopen_looks_for_proposals_again(void **state)
{
    struct ticket_store *store = *state;
    char number[32];

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    number_of_first_ticket(store, number, sizeof(number));
    struct ticket_action dis = {.kind = TICKET_ACT_DISMISS, .number = number, .actor = "值班员甲",
                                .role = "duty_officer", .reason = "false_alarm"};
    notifier_apply_ok(store, &dis, T("2026-11-30T03:00:00Z"), NULL);
    assert_int_equal(take(store, &answer, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 0);
    struct ticket_action re = {.kind = TICKET_ACT_REOPEN, .number = number, .actor = "值班员甲",
                               .role = "duty_officer", .note = "网民再次反映"};
    notifier_apply_ok(store, &re, T("2026-11-30T06:00:00Z"), NULL);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed' AND proposed_at = 1796018400"),
                     1);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'response_proposed' AND from_state = 'open'"),
                     1);
}

/*
 * An official post is cleaned when stored: a javascript: link is dropped (no link: never
 * proposed), bidi, C1, C0 and invisible format characters leave the title, text and account
 * (the text keeps its newline).
 */
static void test_hostile_post_is_cleaned_when_stored(void **state)
{
    struct ticket_store *store = *state;
    struct spec post = answer;
    struct yq_stmt *st = NULL;

    post.url = "javascript:alert(1)";
    post.title = "关于\xe2\x80\xae汉滨区征地补偿款\xc2\x9b" "发放\xe2\x80\x8b情况的通报";
    post.text = "补偿款已拨付\r\n到户\xe2\x81\xa6。\x7f";
    post.account = "安康\x1b[31m发布";
    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(take(store, &post, T("2026-11-30T05:11:00Z"), NULL), 0);
    assert_int_equal(yq_stmt_prepare((struct yq_db *)ticket_store_db(store), "SELECT url, title, text, channel FROM official_posts", &st),
                     YQ_DB_OK);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    assert_string_equal(yq_stmt_column_text(st, 0), "");
    assert_string_equal(yq_stmt_column_text(st, 1), "关于汉滨区征地补偿款发放情况的通报");
    assert_string_equal(yq_stmt_column_text(st, 2), "补偿款已拨付\n到户。");
    assert_string_equal(yq_stmt_column_text(st, 3), "安康[31m发布");
    yq_stmt_finalize(st);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 0);

    /* the same title with a good link: proposed and confirmed, the log holds the clean title */
    char number[32], err[256] = "";
    post.item_id = "wx:fabu:1:2";
    post.url = "https://mp.example/s/2";
    assert_int_equal(take(store, &post, T("2026-11-30T05:12:00Z"), NULL), 0);
    number_of_first_ticket(store, number, sizeof(number));
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison",
                            notifier_count(store, "SELECT id FROM response_proposals"),
                            T("2026-11-30T06:00:00Z"), err, sizeof(err)),
                     0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_log WHERE action = "
                                           "'responded' AND note LIKE '%：关于汉滨区征地补偿款发放"
                                           "情况的通报' AND instr(note, '\xe2\x80\xae') = 0 AND "
                                           "instr(note, '\xc2\x9b') = 0"),
                     1);
}

/* The one text rule (ticket_text.h): each class at its edges, and the response link. */
static void test_ticket_text_rules(void **state)
{
    static const struct {
        int32_t cp;
        bool multiline;
        const char *why; /* NULL: allowed */
    } cases[] = {
        {'\n', true, NULL},           {'\n', false, "含有控制字符"}, {'\t', true, NULL},
        {'\r', true, "含有控制字符"}, {0x1b, true, "含有控制字符"},  {0x7f, false, "含有控制字符"},
        {0x80, false, "含有控制字符"}, {0x9b, false, "含有控制字符"}, {0x9f, false, "含有控制字符"},
        {0xa0, false, NULL},           {0x2028, true, "含有控制字符"}, {0x200d, false, NULL},
        {0x200f, false, "含有双向文字控制字符"}, {0x202e, false, "含有双向文字控制字符"},
        {0x2069, false, "含有双向文字控制字符"}, {0x206a, false, NULL}, {0x56de, false, NULL},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *why = ticket_text_char_problem(cases[i].cp, cases[i].multiline);
        if (cases[i].why) {
            assert_non_null(why);
            assert_string_equal(why, cases[i].why);
        } else {
            assert_null(why);
        }
    }
    assert_null(ticket_text_problem("回应\n说明", 100, true));
    assert_string_equal(ticket_text_problem("回应说明", 6, false), "过长");
    assert_string_equal(ticket_text_problem("\xff", 10, false), "不是有效的 UTF-8 文字");
    assert_true(ticket_text_url_ok("https://mp.example/s/1"));
    assert_true(ticket_text_url_ok("HTTP://www.ankang.gov.cn/a.html"));
    assert_false(ticket_text_url_ok("javascript:alert(1)"));
    assert_false(ticket_text_url_ok("data:text/html,<b>"));
    assert_false(ticket_text_url_ok("https://"));
    assert_false(ticket_text_url_ok("https://a.example/\xc2\x9b"));
    assert_false(ticket_text_url_ok("https://a.example/\"x"));
    assert_false(ticket_text_url_ok(NULL));
}

/* Insert official post id (url, title) of 市自然资源局 and its proposal on the first ticket. */
static void legacy_proposal(struct ticket_store *store, int id, const char *url, const char *title)
{
    struct yq_stmt *st = NULL;
    assert_int_equal(yq_stmt_prepare((struct yq_db *)ticket_store_db(store), "INSERT INTO official_posts (id, item_id, source_id, "
                                        "department, response_channel, url, title, published_at, "
                                        "fetched_at, received_at) VALUES (?1, 'legacy:' || ?1, "
                                        "'ak-fabu', '市自然资源局', '政务微信', ?2, ?3, 1796014800, "
                                        "1796014800, 1796015460)", &st),
                     YQ_DB_OK);
    yq_stmt_bind_int(st, 1, id);
    yq_stmt_bind_text(st, 2, url);
    yq_stmt_bind_text(st, 3, title);
    assert_int_equal(yq_stmt_step(st), YQ_DB_DONE);
    yq_stmt_finalize(st);
    assert_int_equal(yq_stmt_prepare((struct yq_db *)ticket_store_db(store), "INSERT INTO response_proposals (id, ticket_id, post_id, "
                                        "score, proposed_at) SELECT ?1, min(id), ?1, 0.67, "
                                        "1796015460 FROM tickets", &st),
                     YQ_DB_OK);
    yq_stmt_bind_int(st, 1, id);
    assert_int_equal(yq_stmt_step(st), YQ_DB_DONE);
    yq_stmt_finalize(st);
}

/*
 * The confirm path runs the checks of a respond typed by hand (rows stored before posts were
 * cleaned): a javascript: link is url_invalid, a bidi control in the title note_invalid; the
 * 签收 step is undone with it. A hand-typed note with a C1 character is refused too.
 */
static void test_confirm_runs_the_respond_checks(void **state)
{
    struct ticket_store *store = *state;
    char number[32], err[256] = "";
    int64_t now = T("2026-11-30T06:00:00Z");
    struct ticket t;

    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    number_of_first_ticket(store, number, sizeof(number));
    legacy_proposal(store, 101, "javascript:alert(1)", "关于征地补偿款的通报");
    legacy_proposal(store, 102, "https://mp.example/s/102", "关于\xe2\x80\xae征地补偿款的通报");
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", 101, now, err,
                            sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "url_invalid"));
    assert_int_equal(decide(store, TICKET_ACT_CONFIRM_RESPONSE, number, "liaison", 102, now, err,
                            sizeof(err)),
                     ERR_INVALID);
    assert_non_null(strstr(err, "note_invalid: 备注含有双向文字控制字符"));
    assert_int_equal(ticket_store_get_by_number(store, number, &t), 0);
    assert_int_equal(t.state, TICKET_STATE_OPEN);
    assert_int_equal(t.acknowledged_at, 0);
    ticket_release(&t);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM ticket_responses"), 0);
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals WHERE state = "
                                           "'proposed'"),
                     2);
    /* a hand-typed note with U+009B (a terminal's CSI) */
    struct ticket_action ack = {.kind = TICKET_ACT_ACK, .number = number, .actor = "李联络",
                                .role = "liaison", .note = "已收到\xc2\x9b" "2J"};
    assert_int_equal(ticket_flow_apply(store, &ack, now, NULL, err, sizeof(err)), ERR_INVALID);
    assert_non_null(strstr(err, "note_invalid: 备注含有控制字符"));
}

static void test_hostile_post_text_is_bounded(void **state)
{
    struct ticket_store *store = *state;
    struct spec post = answer;
    size_t n = 3 * 68000;
    char *text = malloc(n + 1);

    for (size_t i = 0; i < n; i += 3) {
        memcpy(text + i, i % 9 == 0 ? "\x01\x02\x03" : "补偿款", 3);
    }
    text[n] = '\0';
    post.text = text; /* JSON-escaped by jansson: control characters arrive as such */
    assert_int_equal(take(store, &complaint, T("2026-11-30T02:00:00Z"), NULL), 0);
    assert_int_equal(take(store, &post, T("2026-11-30T05:11:00Z"), NULL), 0);
    {
        /* bytes counted here: SQLite's length() of a BLOB and PostgreSQL's octet_length() */
        char *stored = notifier_rows_text(store, "SELECT text FROM official_posts", "", "");
        assert_true(strlen(stored) <= RESPONSE_POST_TEXT_MAX_BYTES);
        assert_true(strlen(stored) >= RESPONSE_POST_TEXT_MAX_BYTES - 2);
        free(stored);
    }
    {
        /* cut at a character: still valid UTF-8 */
        struct yq_stmt *st = NULL;
        assert_int_equal(yq_stmt_prepare((struct yq_db *)ticket_store_db(store), "SELECT text FROM official_posts", &st),
                         YQ_DB_OK);
        assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
        assert_true(yq_utf8_valid(yq_stmt_column_text(st, 0),
                                  (size_t)yq_stmt_column_bytes(st, 0), NULL));
        yq_stmt_finalize(st);
    }
    assert_int_equal(notifier_count(store, "SELECT count(*) FROM response_proposals"), 1);
    free(text);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simhash_similarity_values),
        cmocka_unit_test(test_title_similarity_dice),
        cmocka_unit_test(test_score_worked_example),
        cmocka_unit_test(test_score_requires_terms),
        cmocka_unit_test(test_score_hostile_text),
        cmocka_unit_test(test_cfg_defaults_and_checks),
        cmocka_unit_test(test_zero_match_alert_decodes_only_when_official),
        FX(test_zero_match_official_alert_records_only_the_post),
        FX(test_matched_official_item_is_held_and_kept_as_post),
        FX(test_proposal_when_post_arrives_after_ticket),
        FX(test_proposal_when_ticket_is_created_after_post),
        FX(test_handover_proposes_for_the_new_department),
        FX(test_no_proposal_for_other_departments_early_posts_or_low_scores),
        FX(test_corrupt_co_departments_propose_nothing),
        FX(test_office_department_posts_meet_every_ticket),
        FX(test_issue_12_post_proposes_for_20_tickets),
        FX(test_confirm_on_open_ticket_acks_and_stops_the_clock),
        FX(test_manual_response_is_not_detected),
        FX(test_reject_keeps_the_row_and_the_state),
        FX(test_decide_roles_states_and_foreign_proposals),
        FX(test_auto_confirm_when_configured),
        FX(test_hostile_post_text_is_bounded),
        FX(test_confirm_records_the_ack_only_for_the_department),
        FX(test_duty_officer_confirms_after_the_departments_ack),
        FX(test_no_proposal_on_returned_ticket),
        FX(test_reopen_looks_for_proposals_again),
        FX(test_hostile_post_is_cleaned_when_stored),
        FX(test_confirm_runs_the_respond_checks),
        cmocka_unit_test(test_ticket_text_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
