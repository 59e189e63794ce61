/*
 * The web layer over the notifier's real ticket store (web_notifier_ops: ticket_api.h and
 * ticket_flow.h of issue #5): tickets recorded from alerts, read and acted on over HTTP with
 * real sessions. A liaison of another department gets 403 for every action; the owning
 * liaison acknowledges and responds; the log names the authenticated user, never a name
 * from the request body. FC-033's hostile feed item, taken in by the real intake, comes back
 * in the API JSON verbatim (author included) with no markup that could be sniffed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "desk_policy.h"
#include "fc033.h"
#include "http_client.h"
#include "test_connect.h"
#include "test_expect_json.h"
#include "test_server.h"
#include "web_fixture.h"
#include "ticket_fixture.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web.h"
#include "web_notifier_ops.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"

#define DEPT_A "市自然资源局"
#define DEPT_B "市生态环境局"

struct fx {
    struct web_fixture fx; /* fx.ft: the store, its lock and the ops' context */
    char number_a[32], number_b[32];
};

/*
 * Take alert (decoded; borrowed) in through the real intake under the ops' lock, as the
 * notifier does; res gets the intake's answer.
 */
static void intake_alert(struct fx *f, const struct yq_alert *alert,
                         struct ticket_intake_result *res)
{
    pthread_mutex_lock(&f->fx.ft->lock);
    assert_int_equal(ticket_intake_alert(f->fx.ft->writer, alert, yq_time_now(), res), 0);
    pthread_mutex_unlock(&f->fx.ft->lock);
}

/* Decode json (an alert as the matcher sends it; borrowed) and take it in (intake_alert()). */
static void intake_json(struct fx *f, const char *json, struct ticket_intake_result *res)
{
    struct yq_alert alert;
    char err[256];

    if (yq_alert_decode(json, strlen(json), &alert, err, sizeof(err)) != 0) {
        fail_msg("decode: %s", err);
    }
    intake_alert(f, &alert, res);
    yq_alert_release(&alert);
}

/* A ticket of department dept for item id ("rss:a1"), titled title; its number into number. */
static void intake(struct fx *f, const char *id, const char *dept, const char *title, char *number)
{
    char rule[64], url[128];
    const struct web_fixture_alert_spec spec = {
        .key = id, .department = dept, .rule_id = rule, .item_id = id, .source_id = "ak-news",
        .url = url, .title = title, .text = "汉滨征地补偿款迟迟未发放"};
    struct ticket_intake_result res;
    struct yq_alert alert;

    snprintf(rule, sizeof(rule), "r-%s", id);
    snprintf(url, sizeof(url), "http://news.example/%s", id);
    web_fixture_alert(&spec, &alert);
    intake_alert(f, &alert, &res);
    yq_alert_release(&alert);
    snprintf(number, 32, "%s", res.number);
}

/*
 * A new state over a new store with two tickets, not served yet: number_a of DEPT_A (item
 * rss:a1) and number_b of dept_b (item id_b, titled title_b).
 */
static struct fx *fx_new(const char *id_b, const char *dept_b, const char *title_b)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->fx.ft = ticket_fixture_new();
    assert_non_null(f->fx.ft);
    intake(f, "rss:a1", DEPT_A, "征地补偿款迟迟未发放", f->number_a);
    intake(f, id_b, dept_b, title_b, f->number_b);
    return f;
}

static int setup(void **state)
{
    struct fx *f = fx_new("rss:b1", DEPT_B, "河道排污");

    web_fixture_serve_store(&f->fx, DEPT_A, DEPT_B, false);
    *state = f;
    return 0;
}

static void login(struct fx *f, const char *user, const char *pass, struct client *cl)
{
    http_login(f->fx.port, user, pass, cl);
}

static void test_liaison_sees_and_acts_on_real_tickets(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    static const char *const actions[] = {"ack", "respond", "return", "close",
                                          "assign", "dismiss", "reopen", "set_level"};
    struct client cl;
    struct resp r;
    json_t *v, *t;

    login(f, "liaison-a", "liaison-password-a", &cl);
    http_expect_body(port, &cl, "GET", "/api/tickets", NULL, 200,
                     (const char *const[]){f->number_a, "\"clocks\"", NULL},
                     (const char *const[]){f->number_b, NULL}, NULL);
    for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        /* another department's ticket */
        http_ticket_action(port, &cl, f->number_b, actions[i],
                           "{\"reason\":\"x\",\"result\":\"x\"}", 403, NULL);
    }
    http_ticket_action(port, &cl, f->number_a, "ack",
                       "{\"actor\":\"somebody-else\",\"role\":\"admin\"}", 200, &r);
    v = json_loads(r.body, 0, NULL);
    t = json_object_get(v, "ticket");
    assert_string_equal(json_string_value(json_object_get(t, "state")), "acknowledged");
    assert_non_null(strstr(r.body, "\"actor\":\"liaison-a\""));
    assert_null(strstr(r.body, "somebody-else"));
    assert_non_null(strstr(r.body, "\"terms\":[\"征地\"]"));
    json_decref(v);
    resp_release(&r);
    http_ticket_action(
        port, &cl, f->number_a, "respond",
        "{\"channel\":\"网站\",\"url\":\"https://gov.example/notice/1\",\"note\":\"已答复\"}", 200,
        &r);
    assert_non_null(strstr(r.body, "\"responded\""));
    resp_release(&r);
    /* a second ack is refused by the lifecycle: 409 */
    http_ticket_action(port, &cl, f->number_a, "ack", "{}", 409, NULL);
}

/*
 * Issue #15: an official post of DEPT_A (a zero-match official alert through the real intake)
 * is proposed as ticket A's 回应; the liaison of another department may not decide it (403);
 * the owning liaison confirms it over HTTP (CSRF session) with the body the page sends (app.js:
 * proposal_id and the shown ticket's version, 0 while unchanged since intake; another version is
 * 409 version_changed): the ticket is responded, the response detected; deciding again is 409
 * proposal_decided.
 */
static void test_issue_15_proposed_response_over_http(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char json[2048], now[32], body[64], ui_body[96], stale_body[96];
    struct ticket_intake_result res;
    struct client cl, other;
    struct resp r;
    json_t *v, *p;
    long long id, version;

    yq_time_format_utc(yq_time_now() - 300, now, sizeof(now));
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"ev:wx:1\",\"event\":{\"new\":false,\"items\":0},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"score\":0,\"level\":\"IV\","
             "\"department\":\"" DEPT_A "\",\"matches\":[],\"item\":{\"schema\":1,"
             "\"id\":\"wx:1\",\"source\":\"wechat\",\"source_id\":\"zrzy-wx\","
             "\"channel\":\"安康自然资源\",\"url\":\"https://mp.example/s/1\","
             "\"title\":\"关于征地补偿款发放情况的说明\",\"text\":\"汉滨征地补偿款已全部发放。\","
             "\"author\":\"\",\"published_at\":\"%s\",\"fetched_at\":\"%s\","
             "\"official\":true,\"department\":\"" DEPT_A "\",\"response_channel\":\"政务微信\"}}",
             now, now, now);
    intake_json(f, json, &res);
    assert_int_equal(res.outcome, TICKET_INTAKE_OFFICIAL);
    assert_int_equal(res.proposals, 1);

    login(f, "liaison-a", "liaison-password-a", &cl);
    v = http_get_ticket(port, &cl, f->number_a);
    p = json_array_get(json_object_get(json_object_get(v, "ticket"), "proposals"), 0);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(p, "state")), "proposed");
    id = (long long)json_integer_value(json_object_get(p, "id"));
    version =
        (long long)json_integer_value(json_object_get(json_object_get(v, "ticket"), "version"));
    assert_int_equal(version, 0); /* unchanged since intake: the case the API refused (< 1) */
    snprintf(body, sizeof(body), "{\"proposal_id\":%lld}", id);
    /* what the page's 确认回应 sends (app.js): the id and the version of the ticket it shows */
    snprintf(ui_body, sizeof(ui_body), "{\"proposal_id\":%lld,\"expected_version\":%lld}", id,
             version);
    snprintf(stale_body, sizeof(stale_body), "{\"proposal_id\":%lld,\"expected_version\":%lld}", id,
             version + 1);
    json_decref(v);

    web_fixture_user(&f->fx, "liaison-b", "liaison", DEPT_B, "liaison-password-b");
    login(f, "liaison-b", "liaison-password-b", &other);
    http_ticket_action(port, &other, f->number_a, "confirm_response", body, 403, NULL);
    http_ticket_action(port, &other, f->number_a, "reject_response", body, 403, NULL);
    /* a proposal this ticket does not have: the flow's own code and message */
    http_ticket_action(port, &cl, f->number_a, "confirm_response", "{\"proposal_id\":9999}", 404,
                       &r);
    v = json_loads(r.body, 0, NULL);
    resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(v, "error")), "not_found");
    assert_string_equal(json_string_value(json_object_get(v, "code")), "proposal_not_found");
    assert_non_null(
        strstr(json_string_value(json_object_get(v, "message")), "没有编号为 9999 的疑似回应"));
    json_decref(v);

    /* a page showing another version than the ticket's: 409 version_changed, nothing decided */
    http_ticket_action(port, &cl, f->number_a, "confirm_response", stale_body, 409, &r);
    assert_non_null(strstr(r.body, "\"code\":\"version_changed\""));
    resp_release(&r);
    /* the page's own request on the ticket as shown (version 0 while unchanged) is taken */
    http_ticket_action(port, &cl, f->number_a, "confirm_response", ui_body, 200, &r);
    v = json_loads(r.body, 0, NULL);
    resp_release(&r);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "ticket"), "state")),
                        "responded");
    assert_true(json_is_true(json_object_get(
        json_array_get(json_object_get(json_object_get(v, "ticket"), "responses"), 0),
        "detected")));
    json_decref(v);
    http_ticket_action(port, &cl, f->number_a, "reject_response", body, 409, &r);
    assert_non_null(strstr(r.body, "proposal_decided"));
    resp_release(&r);
    http_ticket_action(port, &cl, f->number_a, "confirm_response", "{\"proposal_id\":\"1\"}",
                       400, NULL);
}

/* query with every byte outside [A-Za-z0-9._~=&?-] %-encoded, into out. */
static const char *url_encode(const char *query, char *out, size_t len)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)query; *p && n + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("._~=&?-:", *p)) {
            out[n++] = (char)*p;
        } else {
            n += (size_t)snprintf(out + n, len - n, "%%%02X", *p);
        }
    }
    out[n] = '\0';
    return out;
}

/*
 * Issue #12: GET /api/tickets filters in the store's SQL, over HTTP: the source by id, kind,
 * kind label or display name (issue #11 leftover), lead or co-handling department, level,
 * detection time, paging; a bad time or offset is 400.
 */
static void test_issue_12_queue_filters_over_http(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char later[32], earlier[32], query[256], path[512];
    struct client cl;
    struct {
        const char *query; /* "?from=" and "?until=" get a time appended */
        bool time_later;   /* that time: an hour from now; else two hours ago */
        long status;
        int n;             /* tickets in the answer; -1: do not count */
        bool a, b;         /* number_a, number_b listed */
    } cases[] = {
        {"", false, 200, 2, true, true},
        {"?source=安康新闻网", false, 200, 2, true, true},
        {"?source=ak-news", false, 200, 2, true, true},
        {"?source=rss", false, 200, 2, true, true},
        {"?source=网站", false, 200, 2, true, true},
        {"?source=微博", false, 200, 0, false, false},
        {"?source=别的来源", false, 200, 0, false, false},
        {"?department=" DEPT_A, false, 200, 1, true, false},
        {"?department=" DEPT_B "&source=安康新闻网", false, 200, 1, false, true},
        {"?level=III", false, 200, 2, true, true},
        {"?level=II", false, 200, 0, false, false},
        {"?from=", true, 200, 0, false, false},
        {"?until=", true, 200, 2, true, true},
        {"?from=", false, 200, 2, true, true},
        {"?until=", false, 200, 0, false, false},
        {"?offset=1", false, 200, 1, false, true}, /* a is first: same deadline, lower id */
        {"?offset=2", false, 200, 0, false, false},
        {"?offset=-1", false, 400, -1, false, false},
        {"?offset=x", false, 400, -1, false, false},
        {"?from=yesterday", false, 400, -1, false, false},
    };

    yq_time_format_utc(yq_time_now() + 3600, later, sizeof(later));
    yq_time_format_utc(yq_time_now() - 7200, earlier, sizeof(earlier));
    login(f, "duty1", "duty-password-1", &cl);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct resp r;
        json_t *v, *list;

        bool timed = strstr(cases[i].query, "from=") || strstr(cases[i].query, "until=");
        snprintf(query, sizeof(query), "%s%s", cases[i].query,
                 !timed || strstr(cases[i].query, "yesterday") ? ""
                 : cases[i].time_later                         ? later
                                                               : earlier);
        snprintf(path, sizeof(path), "/api/tickets");
        url_encode(query, path + strlen(path), sizeof(path) - strlen(path));
        http_request(port, &cl, "GET", path, NULL, NULL, &r);
        if (r.status != cases[i].status) {
            fail_msg("case %zu %s: status %ld: %s", i, query, r.status, r.body);
        }
        v = json_loads(r.body, 0, NULL);
        list = json_object_get(v, "tickets");
        if (cases[i].n >= 0 && (int)json_array_size(list) != cases[i].n) {
            fail_msg("case %zu %s: %zu tickets, want %d", i, query, json_array_size(list),
                     cases[i].n);
        }
        if (cases[i].n > 0 && cases[i].a != (strstr(r.body, f->number_a) != NULL)) {
            fail_msg("case %zu %s: ticket a %s", i, query, cases[i].a ? "missing" : "listed");
        }
        if (cases[i].n > 0 && cases[i].b != (strstr(r.body, f->number_b) != NULL)) {
            fail_msg("case %zu %s: ticket b %s", i, query, cases[i].b ? "missing" : "listed");
        }
        json_decref(v);
        resp_release(&r);
    }
}

static void test_duty_officer_closes_with_result(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client cl;
    struct resp r;

    login(f, "duty1", "duty-password-1", &cl);
    http_ticket_action(port, &cl, f->number_b, "ack", "{}", 200, NULL);
    http_ticket_action(port, &cl, f->number_b, "respond", "{\"channel\":\"答复\"}", 200, NULL);
    /* the UI's 处置结果 is required: empty or white space only is 400 result_required */
    http_ticket_action(port, &cl, f->number_b, "close", "{\"result\":\"\"}", 400, &r);
    assert_non_null(strstr(r.body, "\"code\":\"result_required\""));
    assert_non_null(strstr(r.body, "办结须填写处置结果"));
    resp_release(&r);
    http_ticket_action(port, &cl, f->number_b, "close", "{\"result\":\" \u3000\"}", 400, NULL);
    http_ticket_action(port, &cl, f->number_b, "close", "{\"result\":\"排污口已封堵\"}", 200, &r);
    assert_non_null(strstr(r.body, "\"closed\""));
    assert_non_null(strstr(r.body, "排污口已封堵"));
    resp_release(&r);
}

/*
 * Bodies that are not one JSON object are refused before anything reads them (a truncated
 * '{"note":' once acknowledged the ticket as if it were empty), and a ticket is never handed
 * to a department nobody is registered for.
 */
static void test_bad_bodies_and_unknown_departments_change_nothing(void **state)
{
    static const char *const bad[] = {"{\"note\":", "[1,2]", "not json at all", "\"text\"",
                                      "{\"level\":\"II\",\"level\":\"I\"}"};
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client cl;
    char path[128];
    struct resp r;

    login(f, "duty1", "duty-password-1", &cl);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(path, sizeof(path), "/api/tickets/%s/ack", f->number_a);
        http_request(port, &cl, "POST", path, bad[i], NULL, &r);
        if (r.status != 400 || !strstr(r.body, "bad_json")) {
            fail_msg("body '%s': status %ld %s", bad[i], (long)r.status, r.body);
        }
        resp_release(&r);
    }
    http_ticket_action(port, &cl, f->number_a, "assign", "{\"department\":\"不存在的局\"}", 400,
                       &r);
    assert_non_null(strstr(r.body, "不存在"));
    resp_release(&r);
    http_ticket_action(port, &cl, f->number_a, "assign",
                       "{\"department\":\"" DEPT_B "\",\"co_departments\":[\"虚构办\"]}", 400, &r);
    assert_non_null(strstr(r.body, "虚构办"));
    resp_release(&r);
    /*
     * the one bound of every 交办 (TICKET_MAX_CO_DEPARTMENTS, 10), by one code and message:
     * 11 and 17 names alike (the message used to say 10 while the parser's bound was 16)
     */
    for (int n = 11; n <= 17; n += 6) {
        char body[1024];
        json_t *v;
        size_t at = (size_t)snprintf(body, sizeof(body),
                                     "{\"department\":\"" DEPT_B "\",\"co_departments\":[");
        for (int i = 0; i < n; i++) {
            at += (size_t)snprintf(body + at, sizeof(body) - at, "%s\"" DEPT_A "\"", i ? "," : "");
        }
        snprintf(body + at, sizeof(body) - at, "]}");
        http_ticket_action(port, &cl, f->number_a, "assign", body, 400, &r);
        v = json_loads(r.body, 0, NULL);
        assert_non_null(v);
        assert_string_equal(json_string_value(json_object_get(v, "code")),
                            "too_many_co_departments");
        assert_string_equal(json_string_value(json_object_get(v, "message")), "协办部门至多 10 个");
        json_decref(v);
        resp_release(&r);
    }
    /* nothing changed: still open, still the lead department it came with */
    snprintf(path, sizeof(path), "/api/tickets/%s", f->number_a);
    http_expect_body(port, &cl, "GET", path, NULL, 200,
                     (const char *const[]){"\"state\":\"open\"",
                                           "\"department\":\"" DEPT_A "\"", NULL},
                     NULL, NULL);
    /* a registered department is accepted */
    http_ticket_action(port, &cl, f->number_a, "assign", "{\"department\":\"" DEPT_B "\"}", 200,
                       NULL);
}

/*
 * FC-033 through the real store: the hostile channel, title, link, author and description
 * of inputs/FC-033.xml go through alert decoding and ticket intake; the detail and the queue
 * summary give them back as the same strings, and the answers contain no '<', '>' or
 * unescaped quote that a page could mistake for markup or an attribute.
 */
static void test_fc033_hostile_item_through_real_store(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char path[512], now[32], *text;
    const char *channel, *title, *link, *author, *desc;
    struct ticket_intake_result res;
    struct fc033_item fc;
    json_t *spec, *v, *item, *summary = NULL, *t;
    struct client cl;
    struct resp r;
    size_t i;

    fc033_load(&fc); /* skips when ../shared is absent */
    channel = fc.channel;
    title = fc.title;
    link = fc.link;
    author = fc.author;
    desc = fc.desc;
    assert_string_equal(author, "\" onmouseover=\"alert('author')\" x=\"");

    /* the alert the matcher would send for this item (the description kept raw on purpose) */
    yq_time_format_utc(yq_time_now() - 600, now, sizeof(now));
    spec = json_pack(
        "{s:i, s:s, s:{s:b, s:i}, s:i, s:s, s:f, s:s, s:s, "
        "s:[{s:s, s:s, s:s, s:s, s:[]}], "
        "s:{s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
        "schema", 1, "event_key", "ev:fc033", "event", "new", 1, "items", 1, "rules_version", 3,
        "matched_at", now, "score", 20.0, "level", "IV", "department", DEPT_A, "matches", "rule_id",
        "water-01", "name", "停水", "department", DEPT_A, "level", "IV", "terms", "item", "schema",
        1, "id", "rss:hostile-0001", "source", "rss", "source_id", "hostile", "channel", channel,
        "url", link, "title", title, "text", desc, "author", author, "published_at",
        now, /* recent: an item years old opens no ticket (issue #11) */
        "published_precision", "second", "fetched_at", now);
    assert_non_null(spec);
    text = yq_json_dumps(spec, JSON_COMPACT);
    json_decref(spec);
    assert_non_null(text);
    intake_json(f, text, &res);
    free(text);

    login(f, "duty1", "duty-password-1", &cl);
    snprintf(path, sizeof(path), "/api/tickets/%s", res.number);
    http_request(port, &cl, "GET", path, NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    /* nothing to sniff as markup, and every quote of the author is a JSON escape */
    assert_null(strchr(r.body, '<'));
    assert_null(strchr(r.body, '>'));
    assert_null(strstr(r.body, "onmouseover=\""));
    assert_non_null(strstr(r.body, "\"author\":\"\\\" onmouseover=\\\"alert('author')"
                                   "\\\" x=\\\"\""));
    v = json_loads(r.body, 0, NULL);
    assert_non_null(v);
    item = json_array_get(json_object_get(json_object_get(v, "ticket"), "items"), 0);
    assert_string_equal(json_string_value(json_object_get(item, "author")), author);
    assert_string_equal(json_string_value(json_object_get(item, "title")), title);
    assert_string_equal(json_string_value(json_object_get(item, "channel")), channel);
    assert_string_equal(json_string_value(json_object_get(item, "url")), link);
    json_decref(v);
    resp_release(&r);

    /* the queue's summary carries the first item's author too */
    http_request(port, &cl, "GET", "/api/tickets", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_null(strchr(r.body, '<'));
    assert_null(strstr(r.body, "onmouseover=\""));
    v = json_loads(r.body, 0, NULL);
    json_array_foreach(json_object_get(v, "tickets"), i, t)
    {
        const char *n = json_string_value(json_object_get(t, "number"));
        if (n && strcmp(n, res.number) == 0) {
            summary = t;
        }
    }
    assert_non_null(summary);
    assert_string_equal(json_string_value(json_object_get(summary, "author")), author);
    assert_string_equal(json_string_value(json_object_get(summary, "title")), title);
    json_decref(v);
    resp_release(&r);
    fc033_release(&fc);
}

/*
 * Issue #10: an alert matched while the matcher could not check its rule version
 * (rules_unverified, rules_checked_at in the alert JSON) marks its ticket, and the web API's
 * ticket detail says so; a verified ticket says false / null.
 */
static void test_issue_10_rules_unverified_in_ticket_api(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    const struct web_fixture_alert_spec spec = {
        .key = "unverified", .department = DEPT_A, .rule_id = "r-u", .item_id = "rss:u1",
        .source_id = "ak-news", .url = "http://news.example/u1", .title = "征地", .text = "征地",
        .extra = ",\"rules_unverified\":true,\"rules_checked_at\":\"2026-11-29T07:58:00Z\""};
    struct ticket_intake_result res;
    struct yq_alert alert;
    struct client cl;
    json_t *v, *t;

    web_fixture_alert(&spec, &alert);
    assert_true(alert.rules_unverified);
    intake_alert(f, &alert, &res);
    yq_alert_release(&alert);

    login(f, "duty1", "duty-password-1", &cl);
    v = http_get_ticket(port, &cl, res.number);
    t = json_object_get(v, "ticket");
    assert_true(json_is_true(json_object_get(t, "rules_unverified")));
    assert_string_equal(json_string_value(json_object_get(t, "rules_checked_at")),
                        "2026-11-29T07:58:00Z");
    json_decref(v);

    v = http_get_ticket(port, &cl, f->number_a);
    t = json_object_get(v, "ticket");
    assert_true(json_is_false(json_object_get(t, "rules_unverified")));
    assert_true(json_is_null(json_object_get(t, "rules_checked_at")));
    json_decref(v);
}

/*
 * Issue #11: a refused action reaches the user in Chinese with the English machine code apart
 * ({"error":"invalid","code":"response_time_out_of_range","message":"回应时间须在…"}); the
 * label tables are served once for the UI (one list of dismiss reasons), and the ticket JSON
 * carries the display fields.
 */
static void test_issue_11_chinese_errors_labels_and_display_fields(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client cl;
    struct resp r;
    json_t *v, *arr, *t;

    login(f, "duty1", "duty-password-1", &cl);
    http_ticket_action(port, &cl, f->number_a, "ack", "{}", 200, NULL);
    http_ticket_action(port, &cl, f->number_a, "respond",
                       "{\"channel\":\"答复\",\"responded_at\":\"2099-01-01T00:00:00Z\"}", 400, &r);
    v = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "error")), "invalid");
    assert_string_equal(json_string_value(json_object_get(v, "code")),
                        "response_time_out_of_range");
    assert_non_null(strstr(json_string_value(json_object_get(v, "message")),
                           "回应时间须在发现时间（"));
    assert_null(strstr(json_string_value(json_object_get(v, "message")), "respond:"));
    json_decref(v);
    resp_release(&r);
    /* a state refusal: 409 with its code, the states named in Chinese */
    http_ticket_action(port, &cl, f->number_a, "ack", "{}", 409, &r);
    v = json_loads(r.body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(v, "code")), "state_not_allowed");
    assert_non_null(strstr(json_string_value(json_object_get(v, "message")), "“已签收”"));
    json_decref(v);
    resp_release(&r);
    /* the labels, one list of dismiss reasons */
    http_request(port, &cl, "GET", "/api/meta/labels", NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    v = json_loads(r.body, 0, NULL);
    arr = json_object_get(json_object_get(v, "labels"), "dismiss_reasons");
    assert_int_equal(json_array_size(arr), 5);
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 3), "code")),
                        "out_of_scope");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 3), "label")),
                        "超出职责范围");
    arr = json_object_get(json_object_get(v, "labels"), "rule_scopes");
    assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "label")),
                        "标题和正文");
    json_decref(v);
    resp_release(&r);
    /* the detail: display fields */
    v = http_get_ticket(port, &cl, f->number_a);
    t = json_object_get(v, "ticket");
    assert_string_equal(json_string_value(json_object_get(t, "state_label")), "已签收");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(t, "items"), 0),
                                          "source_label")),
        "网站");
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(json_array_get(json_object_get(t, "items"), 0), "rule_names"), 0)),
        "测试规则");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(t, "log"), 1), "text")),
        "duty1 签收");
    json_decref(v);
}

/*
 * Issue #11: a post published in 2020 and an item of an official source open no ticket; the
 * duty officer finds them in GET /api/held-items (reason, label, times, rules); a liaison may
 * not list them; a bad reason filter is named.
 */
static void test_issue_11_held_items_api(void **state)
{
    static const struct test_json_str want_old[] = {
        {"reason", "old"},
        {"reason_label", "旧帖（发布已久）"},
        {"title", "宇宙大爆炸理论"},
        {"published_at", "2020-06-01T00:00:00Z"},
        {"published_at_bj", "2020-06-01 08:00"},
        {"level", "II"},
    };
    static const struct test_json_str want_official[] = {
        {"reason", "official"},
        {"reason_label", "政务发布"},
        {"source_department", "市政府办公室"},
    };
    struct fx *f = *state;
    unsigned port = f->fx.port;
    char key[16], item_id[16], url[32];
    struct web_fixture_alert_spec spec = {
        .key = key, .department = DEPT_A, .rule_id = "safety-gas", .item_id = item_id,
        .source_id = "blog", .url = url, .text = "", .level = "II", .rule_name = "燃气泄漏与爆炸"};
    struct ticket_intake_result res;
    struct yq_alert alert;
    struct client cl;
    json_t *v, *items, *it;

    for (int k = 0; k < 2; k++) {
        /* a post of 2020, then an official source's item */
        snprintf(key, sizeof(key), "held%d", k);
        snprintf(item_id, sizeof(item_id), "rss:held%d", k);
        snprintf(url, sizeof(url), "http://news.example/h%d", k);
        spec.title = k == 0 ? "宇宙大爆炸理论" : "权威发布｜通报";
        spec.published_at = k == 0 ? "\"2020-06-01T00:00:00Z\"" : NULL;
        spec.item_extra = k == 0 ? NULL : ",\"official\":true,\"department\":\"市政府办公室\"";
        web_fixture_alert(&spec, &alert);
        intake_alert(f, &alert, &res);
        yq_alert_release(&alert);
        assert_int_equal(res.outcome, TICKET_INTAKE_HELD);
    }

    login(f, "duty1", "duty-password-1", &cl);
    v = http_get_json(port, &cl, "/api/held-items?reason=old");
    items = json_object_get(v, "items");
    assert_int_equal(json_array_size(items), 1);
    it = json_array_get(items, 0);
    test_expect_json_strings("the old post", it, want_old, sizeof(want_old) / sizeof(want_old[0]));
    assert_true(json_is_true(json_object_get(it, "old")));
    assert_string_equal(json_string_value(test_json_at(it, "rule_ids.0")), "safety-gas");
    json_decref(v);

    v = http_get_json(port, &cl, "/api/held-items");
    items = json_object_get(v, "items");
    assert_int_equal(json_array_size(items), 2);
    it = json_array_get(items, 0); /* same detection time: the later row first */
    test_expect_json_strings("the official item", it, want_official,
                             sizeof(want_official) / sizeof(want_official[0]));
    assert_true(json_is_null(json_object_get(it, "published_at")));
    json_decref(v);

    /* searchable (q, URL-encoded 通报) */
    v = http_get_json(port, &cl, "/api/held-items?q=%E9%80%9A%E6%8A%A5");
    items = json_object_get(v, "items");
    assert_int_equal(json_array_size(items), 1);
    assert_string_equal(json_string_value(test_json_at(items, "0.reason")), "official");
    json_decref(v);

    http_expect_status(port, &cl, "GET", "/api/held-items?reason=x", NULL, 400);

    login(f, "liaison-a", "liaison-password-a", &cl);
    http_expect_status(port, &cl, "GET", "/api/held-items", NULL, 403);
}

/* next_actions joined with ',' (the ticket answer v, borrowed) into buf. */
static const char *joined_next_actions(json_t *v, char *buf, size_t len)
{
    json_t *a;
    size_t i;

    buf[0] = '\0';
    json_array_foreach(json_object_get(json_object_get(v, "ticket"), "next_actions"), i, a)
    {
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%s", i ? "," : "",
                 json_string_value(a));
    }
    return buf;
}

/*
 * issue #12: a ticket's next_actions is what its state allows (the transition table) AND what
 * the caller's role may do (the same table's roles): the page offers no button the server
 * would refuse. An open ticket: the duty officer may hand over, acknowledge, dismiss and change
 * the level but not return it; the department's liaison may acknowledge or return it; its head
 * only return it.
 */
static void test_issue_12_next_actions_for_the_callers_role(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client duty, liaison, head;
    char err[256], buf[256];
    json_t *v, *t, *a;
    size_t i, k;
    bool seen = false;

    assert_int_equal(web_user_add(web_get_auth(f->fx.w), "head-a", NULL, WEB_ROLE_HEAD, DEPT_A,
                                  "head-password-a", false, yq_time_now(), NULL, err, sizeof(err)),
                     0);
    login(f, "duty1", "duty-password-1", &duty);
    login(f, "liaison-a", "liaison-password-a", &liaison);
    login(f, "head-a", "head-password-a", &head);

    v = http_get_ticket(port, &duty, f->number_a);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "ticket"), "state")),
                        "open");
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "assign,ack,dismiss,set_level");
    json_decref(v);
    v = http_get_ticket(port, &liaison, f->number_a);
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "ack,return");
    json_decref(v);
    v = http_get_ticket(port, &head, f->number_a);
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "return");
    json_decref(v);

    /* the queue says the same */
    v = http_get_json(port, &head, "/api/tickets");
    json_array_foreach(json_object_get(v, "tickets"), i, t)
    {
        if (strcmp(json_string_value(json_object_get(t, "number")), f->number_a) == 0) {
            seen = true;
            assert_int_equal(json_array_size(json_object_get(t, "next_actions")), 1);
            json_array_foreach(json_object_get(t, "next_actions"), k, a)
            {
                assert_string_equal(json_string_value(a), "return");
            }
        }
    }
    assert_true(seen);
    json_decref(v);
}

/*
 * An action's answer carries the ticket as GET /api/tickets/{n} gives it to the same caller:
 * the liaison's 签收 once answered next_actions with the duty officer's dismiss and set_level
 * (the page then offered buttons the server refuses). Checked after 签收 and after 回应.
 */
static void test_action_answer_next_actions_for_the_caller(void **state)
{
    /* action, body, the liaison's next_actions after it (ticket_flow.c's transition table) */
    static const char *const steps[][3] = {
        {"ack", "{}", "respond,return"},
        {"respond", "{\"channel\":\"政务微博\",\"url\":\"https://weibo.example/1\"}",
         "respond,close"},
    };
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client liaison;
    char got[256], want[256];
    struct resp r;
    json_t *v;

    login(f, "liaison-a", "liaison-password-a", &liaison);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        http_ticket_action(port, &liaison, f->number_a, steps[i][0], steps[i][1], 200, &r);
        v = json_loads(r.body ? r.body : "", 0, NULL);
        resp_release(&r);
        assert_non_null(v);
        joined_next_actions(v, got, sizeof(got));
        json_decref(v);
        v = http_get_ticket(port, &liaison, f->number_a);
        joined_next_actions(v, want, sizeof(want));
        json_decref(v);
        if (strcmp(got, steps[i][2]) != 0 || strcmp(want, steps[i][2]) != 0) {
            fail_msg("%s answered next_actions [%s], GET gives [%s], want [%s]", steps[i][0], got,
                     want, steps[i][2]);
        }
    }
}

/*
 * A co-handling (协办) department sees the ticket and may record its own 回应, but 签收, 退回
 * and 办结 are the lead department's: its liaison once acknowledged, returned or closed the
 * lead's ticket (the 签收 clock counted for the lead). 403 for each, the page offers none of
 * them, and the ticket stays as it was.
 */
static void test_co_handling_liaison_cannot_take_the_leads_actions(void **state)
{
    struct fx *f = *state;
    unsigned port = f->fx.port;
    struct client duty, liaison;
    char buf[256];
    struct resp r;
    json_t *v;

    login(f, "duty1", "duty-password-1", &duty);
    login(f, "liaison-a", "liaison-password-a", &liaison);
    http_ticket_action(port, &duty, f->number_b, "assign",
                       "{\"department\":\"" DEPT_B "\",\"co_departments\":[\"" DEPT_A "\"]}", 200,
                       NULL);
    v = http_get_ticket(port, &liaison, f->number_b);
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "");
    json_decref(v);
    http_ticket_action(port, &liaison, f->number_b, "ack", "{}", 403, &r);
    assert_non_null(strstr(r.body, "\"code\":\"lead_department_only\""));
    resp_release(&r);
    http_ticket_action(port, &liaison, f->number_b, "return", "{\"reason\":\"不归我们\"}", 403,
                       NULL);
    v = http_get_ticket(port, &duty, f->number_b);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "ticket"), "state")),
                        "open");
    json_decref(v);

    http_ticket_action(port, &duty, f->number_b, "ack", "{}", 200, NULL);
    v = http_get_ticket(port, &liaison, f->number_b);
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "respond");
    json_decref(v);
    http_ticket_action(port, &liaison, f->number_b, "respond",
                       "{\"channel\":\"网站\",\"url\":\"https://gov.example/notice/2\"}", 200,
                       NULL);
    v = http_get_ticket(port, &liaison, f->number_b);
    assert_string_equal(joined_next_actions(v, buf, sizeof(buf)), "respond");
    json_decref(v);
    http_ticket_action(port, &liaison, f->number_b, "close", "{\"result\":\"已处置\"}", 403, NULL);
    v = http_get_ticket(port, &duty, f->number_b);
    assert_string_equal(json_string_value(json_object_get(json_object_get(v, "ticket"), "state")),
                        "responded");
    json_decref(v);
}

/*
 * The hook of race_ops (race_setup()): when pending, the next act first hands the ticket over
 * (转办) to DEPT_B as duty1, through the real ops, between the web layer's department check
 * and the act itself; assign_err keeps that handover's answer for the test to check (no
 * cmocka assertion runs on the server's thread).
 */
static struct {
    bool pending;
    int assign_err;
} race;

static struct web_ticket_ops race_ops;

static int race_act(void *ctx, const char *number, const char *action,
                    const struct web_actor *actor, json_t *args, char *errbuf, size_t errlen)
{
    if (race.pending) {
        const struct web_actor duty = {
            .username = "duty1", .role = "duty_officer", .department = ""};
        json_t *a = json_pack("{s:s}", "department", DEPT_B);

        race.pending = false;
        race.assign_err =
            a ? web_notifier_ops.act(ctx, number, "assign", &duty, a, errbuf, errlen) : ERR_NOMEM;
        json_decref(a);
    }
    return web_notifier_ops.act(ctx, number, action, actor, args, errbuf, errlen);
}

/* Both tickets of DEPT_A, served through race_ops: the real ops with race_act() as their act. */
static int race_setup(void **state)
{
    struct fx *f = fx_new("rss:a2", DEPT_A, "安置房迟迟未交付");

    race_ops = web_notifier_ops;
    race_ops.act = race_act;
    race.pending = false;
    f->fx.w = web_fixture_web_over(f->fx.ft->path, &race_ops, ticket_fixture_ctx(f->fx.ft), DEPT_A,
                                   DEPT_B, false);
    web_fixture_serve(&f->fx, 0);
    *state = f;
    return 0;
}

/*
 * The outside review: the department check read the ticket, the act ran in a transaction of
 * its own, and a 转办 landing in between let the liaison of the former lead department 签收 or
 * 退回 a ticket no longer theirs. Now the act expects the version the check read: 409
 * version_changed, and nothing but the handover is written (both of DEPT_A's tickets, one per
 * action).
 */
static void test_reassignment_between_check_and_act_is_a_conflict(void **state)
{
    struct fx *f = *state;
    const struct {
        const char *number, *action, *body;
    } cases[] = {
        {f->number_a, "ack", "{}"},
        {f->number_b, "return", "{\"reason\":\"不归我们\"}"},
    };
    struct client liaison, duty;
    struct resp r;
    json_t *v, *t;

    login(f, "liaison-a", "liaison-password-a", &liaison);
    login(f, "duty1", "duty-password-1", &duty);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        race.pending = true;
        race.assign_err = -1;
        http_ticket_action(f->fx.port, &liaison, cases[i].number, cases[i].action, cases[i].body,
                           409, &r);
        assert_false(race.pending);
        assert_int_equal(race.assign_err, 0);
        assert_non_null(strstr(r.body, "\"code\":\"version_changed\""));
        resp_release(&r);
        assert_int_equal(ticket_fixture_changes(f->fx.ft), (int64_t)i + 1);
        v = http_get_ticket(f->fx.port, &duty, cases[i].number);
        t = json_object_get(v, "ticket");
        assert_string_equal(json_string_value(json_object_get(t, "state")), "open");
        assert_string_equal(json_string_value(json_object_get(t, "department")), DEPT_B);
        json_decref(v);
    }
    /* the client's own expected_version is held to the checked one, too */
    intake(f, "rss:a3", DEPT_A, "拆迁款迟迟未发放", f->number_b);
    http_ticket_action(f->fx.port, &liaison, f->number_b, "ack", "{\"expected_version\":5}", 409,
                       &r);
    assert_non_null(strstr(r.body, "\"code\":\"version_changed\""));
    resp_release(&r);
    http_ticket_action(f->fx.port, &liaison, f->number_b, "ack", "{\"expected_version\":-1}", 400,
                       &r);
    assert_non_null(strstr(r.body, "\"code\":\"expected_version_invalid\""));
    resp_release(&r);
    /* 0: the version of a ticket not changed since intake */
    http_ticket_action(f->fx.port, &liaison, f->number_b, "ack", "{\"expected_version\":0}", 200,
                       NULL);
    assert_int_equal(ticket_fixture_changes(f->fx.ft), 3);
}

/*
 * The duty page showed nothing while intake was down (Kafka unreachable, the store refusing
 * writes: /healthz 503, the page silent). GET /api/meta/intake and the event stream's "intake"
 * event now follow the notifier's own flags (notifier_health_deps(), the ones /healthz reads):
 * each dependency not up, with its label and since when, and ok again once every one is up.
 */
#define T1_MS 1765000000000LL /* 2025-12-06T05:46:40Z */
#define T2_MS 1765003600000LL /* 2025-12-06T06:46:40Z */
#define T3_MS 1765007200000LL /* 2025-12-06T07:46:40Z */

/* GET /api/meta/intake as cl: the "down" entries' "code@since" joined by ",", and ok. */
static void intake_state(struct fx *f, const struct client *cl, bool *ok, char *out, size_t len)
{
    json_t *v = http_get_json(f->fx.port, cl, "/api/meta/intake"), *d;
    size_t i, used = 0;

    assert_non_null(v);
    assert_true(json_is_string(json_object_get(v, "now")));
    *ok = json_is_true(json_object_get(v, "ok"));
    out[0] = '\0';
    json_array_foreach(json_object_get(v, "down"), i, d)
    {
        const char *since = json_string_value(json_object_get(d, "since"));
        const char *code = json_string_value(json_object_get(d, "code"));
        char want_code[64];

        snprintf(want_code, sizeof(want_code), "%s_%s",
                 json_string_value(json_object_get(d, "dependency")),
                 json_string_value(json_object_get(d, "state")));
        assert_string_equal(code, want_code);
        used += (size_t)snprintf(out + used, len - used, "%s%s@%s", i ? "," : "", code,
                                 since ? since : "null");
        assert_true(used < len);
    }
    json_decref(v);
}

static void test_intake_field_follows_the_health_flags(void **state)
{
    struct fx *f = *state;
    struct notifier_metrics *m = &f->fx.ft->metrics;
    struct client duty;
    char got[512];
    bool ok;
    json_t *v;

    login(f, "duty1", "duty-password-1", &duty);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_true(ok);
    assert_string_equal(got, "");
    /* Kafka unreachable since T1: named, with its label and time */
    notifier_dep_set(&m->kafka_up, 0, T1_MS);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_false(ok);
    assert_string_equal(got, "kafka_down@2025-12-06T05:46:40Z");
    v = http_get_json(f->fx.port, &duty, "/api/meta/intake");
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(v, "down"), 0), "label")),
        "Kafka 不可达");
    json_decref(v);
    /* and the store refusing the intake's writes since T2: both, in the flags' order */
    notifier_dep_set(&m->store_up, 0, T2_MS);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_false(ok);
    assert_string_equal(got, "kafka_down@2025-12-06T05:46:40Z,store_down@2025-12-06T06:46:40Z");
    /* Kafka back; the delivery worker's writes failing too since T3: the store's earlier fall */
    notifier_dep_set(&m->kafka_up, 1, T3_MS);
    notifier_dep_set(&m->worker_store_up, 0, T3_MS);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_string_equal(got, "store_down@2025-12-06T06:46:40Z");
    /* the intake's writes commit again: still down while the worker's fail */
    notifier_dep_set(&m->store_up, 1, T3_MS);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_string_equal(got, "store_down@2025-12-06T07:46:40Z");
    notifier_dep_set(&m->worker_store_up, 1, T3_MS);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_true(ok);
    assert_string_equal(got, "");
    /* Kafka not reached yet (the start-up state) and a time not known */
    atomic_store(&m->kafka_up.since_ms, 0);
    atomic_store(&m->kafka_up.up, -1);
    intake_state(f, &duty, &ok, got, sizeof(got));
    assert_false(ok);
    assert_string_equal(got, "kafka_unknown@null");
    notifier_dep_set(&m->kafka_up, 1, T3_MS);
    /* logged out: 401 */
    http_expect_status(f->fx.port, NULL, "GET", "/api/meta/intake", NULL, 401);
}

/*
 * Read from fd into buf (len bytes; *used of them filled) until text arrives at or after *pos,
 * which then moves past it; fails when the stream ends first.
 */
static void stream_until(int fd, char *buf, size_t len, size_t *used, size_t *pos, const char *text)
{
    const char *at;

    while (!(at = strstr(buf + *pos, text))) {
        ssize_t n = recv(fd, buf + *used, len - 1 - *used, 0); /* SO_RCVTIMEO: hang guard */
        if (n <= 0) {
            fail_msg("stream closed before '%s'; got: %s", text, buf);
        }
        *used += (size_t)n;
        buf[*used] = '\0';
        assert_true(*used < len - 1);
    }
    *pos = (size_t)(at - buf) + strlen(text);
}

static void test_intake_event_on_the_stream(void **state)
{
    struct fx *f = *state;
    struct notifier_metrics *m = &f->fx.ft->metrics;
    struct client duty;
    char req[512], buf[16384] = "";
    size_t used = 0, pos = 0;
    int fd;

    login(f, "duty1", "duty-password-1", &duty);
    fd = test_connect_from(f->fx.port, "127.0.0.1", 60);
    snprintf(req, sizeof(req),
             "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: yq_session=%s\r\n\r\n",
             duty.cookie);
    assert_true(send(fd, req, strlen(req), MSG_NOSIGNAL) > 0);
    /* the state at once after hello, then each change */
    stream_until(fd, buf, sizeof(buf), &used, &pos, "event: hello");
    stream_until(fd, buf, sizeof(buf), &used, &pos,
                 "event: intake\ndata: {\"ok\":true,\"down\":[]}\n\n");
    notifier_dep_set(&m->kafka_up, 0, T1_MS);
    stream_until(fd, buf, sizeof(buf), &used, &pos,
                 "event: intake\ndata: {\"ok\":false,\"down\":[{\"dependency\":\"kafka\","
                 "\"state\":\"down\",\"code\":\"kafka_down\",\"label\":\"Kafka 不可达\","
                 "\"since\":\"2025-12-06T05:46:40Z\"}]}\n\n");
    notifier_dep_set(&m->kafka_up, 1, T2_MS);
    stream_until(fd, buf, sizeof(buf), &used, &pos,
                 "event: intake\ndata: {\"ok\":true,\"down\":[]}\n\n");
    close(fd);
}

/* FX(test): test with a fixture of its own: setup() before it, web_fixture_teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, web_fixture_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_issue_15_proposed_response_over_http),
        FX(test_liaison_sees_and_acts_on_real_tickets),
        FX(test_issue_12_next_actions_for_the_callers_role),
        FX(test_action_answer_next_actions_for_the_caller),
        FX(test_co_handling_liaison_cannot_take_the_leads_actions),
        FX(test_duty_officer_closes_with_result),
        FX(test_issue_12_queue_filters_over_http),
        FX(test_bad_bodies_and_unknown_departments_change_nothing),
        FX(test_fc033_hostile_item_through_real_store),
        FX(test_issue_11_chinese_errors_labels_and_display_fields),
        FX(test_issue_11_held_items_api),
        FX(test_issue_10_rules_unverified_in_ticket_api),
        FX(test_intake_field_follows_the_health_flags),
        FX(test_intake_event_on_the_stream),
        cmocka_unit_test_setup_teardown(test_reassignment_between_check_and_act_is_a_conflict,
                                        race_setup, web_fixture_teardown),
    };
    curl_global_init(CURL_GLOBAL_ALL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
