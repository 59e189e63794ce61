/*
 * The 研判 inbox (issue #13, docs/desk.md): intake into events, the desk policy, the duty
 * officer's actions (交办, 确认交办, 并入, 持续关注, 不予处置) and their rejections, the
 * statutory clocks after a late 交办, watch thresholds, merges, the 研判 reminder and the
 * append-only event log. Every time is injected; nothing depends on the wall clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>
#include "yq_db.h"

#include "capture.h"
#include "desk_policy.h"
#include "event_flow.h"
#include "event_read.h"
#include "event_words.h"
#include "events_cli.h"
#include "notifier_fixture.h"
#include "silence.h"
#include "spike.h"
#include "ticket_clock.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "tickets_cli.h"
#include "yq_alert.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_labels.h"
#include "yq_sentiment.h"
#include "yq_time.h"
#include "file_fixture.h"

#define MIN 60
#define HOUR 3600

static const char routes_yaml[] = "channels:\n"
                                  "  duty-hook: {type: webhook, url: 'http://127.0.0.1:9/duty'}\n"
                                  "  zrzy-liaison: {type: webhook, url: 'http://127.0.0.1:9/zl'}\n"
                                  "  yj-liaison: {type: webhook, url: 'http://127.0.0.1:9/yl'}\n"
                                  "duty_officer: [duty-hook]\n"
                                  "departments:\n"
                                  "  市自然资源局: {liaison: [zrzy-liaison]}\n"
                                  "  市应急管理局: {liaison: yj-liaison}\n";

/* Each test's env (notifier_fixture.h): the routes above and the built-in desk policy. */
static const struct notifier_env_spec env_spec = {routes_yaml, NULL};

/* One alert: the fields a test varies; metrics < 0 = unknown. */
struct alert_in {
    const char *key, *item, *level, *matched, *group;
    int reposts, comments, likes;
    const char *region;
};

/* Take a in at now (seconds); returns intake's code, res may be NULL. */
static int take(struct notifier_env *e, const struct alert_in *a, int64_t now,
                struct ticket_intake_result *res)
{
    char json[4096], metrics[128] = "", group[96] = "", err[256] = "";
    struct yq_alert alert;
    int rc;

    if (a->reposts >= 0) {
        snprintf(metrics, sizeof(metrics),
                 ",\"metrics\":{\"reposts\":%d,\"comments\":%d,\"likes\":%d}", a->reposts,
                 a->comments, a->likes);
    }
    if (a->group) {
        snprintf(group, sizeof(group), "\"group\":\"%s\",", a->group);
    }
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"score\":40.0,\"level\":\"%s\","
             "\"department\":\"市自然资源局\",\"matches\":[{\"rule_id\":\"land-01\","
             "\"name\":\"征地拆迁补偿\",%s\"department\":\"市自然资源局\",\"level\":\"%s\","
             "\"terms\":[{\"term\":\"征地\",\"field\":\"text\",\"start\":2,\"end\":4}]}],"
             "\"item\":{\"schema\":1,\"id\":\"%s\",\"source\":\"weibo\",\"source_id\":\"wb-ak\","
             "\"channel\":\"安康发布\",\"url\":\"https://weibo.example/%s\","
             "\"title\":\"汉滨区征地补偿款迟迟未发放\",\"text\":\"汉滨征地补偿款迟迟未发放\","
             "\"author\":\"村民甲\",\"region\":\"%s\",\"published_at\":\"%s\","
             "\"fetched_at\":\"%s\"%s}}",
             a->key, a->matched, a->level, group, a->level, a->item, a->item,
             a->region ? a->region : "汉滨区", a->matched, a->matched, metrics);
    if (yq_alert_decode(json, strlen(json), &alert, err, sizeof(err)) != 0) {
        fail_msg("alert: %s", err);
    }
    rc = ticket_intake_alert(e->store, &alert, now, res);
    yq_alert_release(&alert);
    return rc;
}

/* The integer of sql (printf-formatted) on e's store. */
static int64_t count(struct notifier_env *e, const char *fmt, ...)
{
    char sql[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    return notifier_count(e->store, sql);
}

/* The text of sql's first column (into buf). */
static const char *text(struct notifier_env *e, char *buf, size_t len, const char *fmt, ...)
{
    char sql[1024];
    struct yq_stmt *st = NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    assert_int_equal(yq_stmt_prepare(ticket_store_db(e->store), sql, &st),
                     YQ_DB_OK);
    assert_int_equal(yq_stmt_step(st), YQ_DB_ROW);
    snprintf(buf, len, "%s", yq_stmt_column_text(st, 0) ? yq_stmt_column_text(st, 0) : "");
    yq_stmt_finalize(st);
    return buf;
}

/* Every row of sql (one column) joined by sep, into buf (notifier_rows_text()). */
static const char *rows(struct notifier_env *e, char *buf, size_t len, const char *sep,
                        const char *sql)
{
    char *s = notifier_rows_text(e->store, sql, "", sep);

    snprintf(buf, len, "%s", s);
    free(s);
    return buf;
}

static const struct event_actor duty = {.name = "王值班", .role = "duty"};

/* --- intake and policy -------------------------------------------------------------------- */

static void test_level_iii_waits_in_the_inbox(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:1", "wb:1", "III", "2026-11-29T08:00:00Z", NULL, 10, 5, 20, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z");
    char buf[256];

    assert_int_equal(take(e, &a, t0 + 5, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(res.ticket_id, 0);
    assert_true(res.event_id > 0);
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(count(e, "SELECT count(*) FROM outbox"), 0);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "pending");
    assert_int_equal(count(e, "SELECT item_count FROM events"), 1);
    assert_int_equal(count(e, "SELECT heat FROM events"), 36); /* 1 + 10 + 5 + 20 */
    assert_int_equal(count(e, "SELECT detected_at FROM events"), t0);
    assert_int_equal(count(e, "SELECT judge_deadline FROM events"), t0 + 30 * MIN);
    assert_int_equal(count(e, "SELECT ticket_id IS NULL AND judged_at IS NULL FROM events"), 1);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT source_kinds FROM events"),
                        "[\"weibo\"]");
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT rule_ids FROM events"), "[\"land-01\"]");
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT region FROM events"), "汉滨区");
    assert_int_equal(count(e, "SELECT reposts + comments + likes FROM event_items"), 35);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT action FROM event_log"), "created");
}

static void test_level_ii_is_handed_over_at_once(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:2", "wb:2", "II", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z");
    char buf[256];

    assert_int_equal(take(e, &a, t0 + 5, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_true(res.ticket_id > 0);
    assert_string_equal(res.number, "YQ-2026-11-0001");
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "auto_assigned");
    assert_int_equal(count(e, "SELECT ticket_id FROM events"), res.ticket_id);
    assert_int_equal(count(e, "SELECT judged_at IS NULL FROM events"), 1); /* until confirmed */
    assert_int_equal(count(e, "SELECT judge_deadline FROM events"), t0 + 10 * MIN);
    /* 交办 as intake always did: the lead's liaison and the duty officer */
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE kind = 'created'"), 2);
    assert_int_equal(count(e, "SELECT ack_deadline FROM tickets"), t0 + HOUR);
    assert_int_equal(count(e, "SELECT response_deadline FROM tickets"), t0 + 5 * HOUR);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'auto_assigned' "
                              "AND from_state = 'pending' AND to_state = 'auto_assigned'"),
                     1);
}

static void test_policy_rule_groups_and_parse(void **state)
{
    struct desk_policy p;
    struct cfg_doc doc;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:g1", "wb:g1", "IV", "2026-11-29T08:00:00Z", "生态环境", -1, 0, 0,
                         NULL};
    struct alert_in b = {"ev:g2", "wb:g2", "IV", "2026-11-29T08:00:00Z", "城市管理", -1, 0, 0,
                         NULL};
    const char *yaml = "desk:\n  auto_assign_levels: [I]\n  auto_assign_groups: [生态环境]\n"
                       "  judge_deadline_ms: 20m\n";
    char err[256] = "";
    struct notifier_env e;

    (void)state;
    /* the built-in defaults, from the key table */
    assert_int_equal(desk_policy_defaults()->auto_assign_levels,
                     (1u << YQ_LEVEL_I) | (1u << YQ_LEVEL_II));
    assert_int_equal(desk_policy_defaults()->n_auto_assign_groups, 0);
    assert_int_equal(desk_policy_defaults()->judge_deadline_ms, 30 * 60000);
    assert_int_equal(desk_policy_defaults()->judge_deadline_urgent_ms, 10 * 60000);

    memset(&p, 0, sizeof(p));
    memset(&doc, 0, sizeof(doc));
    assert_int_equal(cfg_doc_load(&doc, "notifier.yaml", yaml, strlen(yaml), err, sizeof(err)), 0);
    {
        yaml_node_t *desk = cfg_map_get(&doc, cfg_doc_root(&doc), "desk");
        assert_int_equal(cfg_fill(desk_policy_cfg_keys, &p, &doc, desk, err, sizeof(err)), 0);
        assert_int_equal(desk_policy_parse_lists(&p, &doc, desk, err, sizeof(err)), 0);
    }
    cfg_doc_release(&doc);
    assert_int_equal(p.auto_assign_levels, 1u << YQ_LEVEL_I);
    assert_int_equal(p.n_auto_assign_groups, 1);
    assert_string_equal(p.auto_assign_groups[0], "生态环境");
    assert_int_equal(p.judge_deadline_ms, 20 * 60000);

    notifier_env_open(&e, routes_yaml, &p);
    assert_int_equal(take(&e, &a, 100, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED); /* its group is handed over */
    assert_int_equal(take(&e, &b, 100, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(count(&e, "SELECT judge_deadline - detected_at FROM events WHERE "
                               "event_key = 'ev:g2'"),
                     20 * MIN);
    notifier_env_close(&e);
    desk_policy_release(&p);

    /* wrong values are clear configuration errors */
    {
        const char *bad[] = {"desk:\n  auto_assign_levels: [I, V]\n",
                             "desk:\n  auto_assign_levels: II\n",
                             "desk:\n  auto_assign_groups: ['']\n"};
        const char *want[] = {"'V' is not a level", "must be a list", "rule group name"};
        for (size_t i = 0; i < 3; i++) {
            memset(&doc, 0, sizeof(doc));
            assert_int_equal(cfg_doc_load(&doc, "n.yaml", bad[i], strlen(bad[i]), err,
                                          sizeof(err)),
                             0);
            assert_int_equal(desk_policy_parse_lists(&p, &doc,
                                                     cfg_map_get(&doc, cfg_doc_root(&doc), "desk"),
                                                     err, sizeof(err)),
                             ERR_INVALID);
            assert_non_null(strstr(err, want[i]));
            assert_non_null(strstr(err, "n.yaml:2"));
            cfg_doc_release(&doc);
        }
        memset(&doc, 0, sizeof(doc));
        const char *short_deadline = "desk:\n  judge_deadline_ms: 10s\n";
        assert_int_equal(cfg_doc_load(&doc, "n.yaml", short_deadline, strlen(short_deadline), err,
                                      sizeof(err)),
                         0);
        assert_int_equal(cfg_fill(desk_policy_cfg_keys, &p, &doc,
                                  cfg_map_get(&doc, cfg_doc_root(&doc), "desk"), err,
                                  sizeof(err)),
                         ERR_INVALID);
        assert_non_null(strstr(err, "judge_deadline_ms"));
        cfg_doc_release(&doc);
    }
}

static void test_redelivered_alert_changes_nothing(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:r", "wb:r", "III", "2026-11-29T08:00:00Z", "征地拆迁", 3, 0, 0,
                         NULL};
    int64_t hour = notifier_ts("2026-11-29T08:00:00Z");

    assert_int_equal(take(e, &a, 100, &res), 0);
    /* the 突增 counts of the item's hour (spike.h): its group and its event */
    assert_int_equal(count(e,
                           "SELECT n FROM rate_counts WHERE scope = 'group' AND key = "
                           "'征地拆迁' AND hour = %lld",
                           (long long)hour),
                     1);
    assert_int_equal(count(e,
                           "SELECT n FROM rate_counts WHERE scope = 'event' AND key = "
                           "'%lld' AND hour = %lld",
                           (long long)res.event_id, (long long)hour),
                     1);
    assert_int_equal(take(e, &a, 200, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_DUPLICATE);
    assert_int_equal(count(e, "SELECT sum(n) FROM rate_counts"), 2); /* not counted again */
    assert_int_equal(count(e, "SELECT item_count FROM events"), 1);
    assert_int_equal(count(e, "SELECT heat FROM events"), 4);
    assert_int_equal(count(e, "SELECT version FROM events"), 0);
    assert_int_equal(count(e, "SELECT updated_at FROM events"), 100);
    assert_int_equal(count(e, "SELECT count(*) FROM event_items"), 1);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log"), 1);
}

/* --- 交办 ----------------------------------------------------------------------------------- */

static void test_assign_late_keeps_statutory_clocks_from_detection(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a1 = {"ev:a", "wb:a1", "III", "2026-11-29T08:00:00Z", NULL, 10, 0, 0, NULL};
    struct alert_in a2 = {"ev:a", "wb:a2", "III", "2026-11-29T08:05:00Z", NULL, 0, 4, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z"), now = t0 + 3 * HOUR;
    const char *co[] = {"市应急管理局", "市自然资源局", "市应急管理局"};
    struct ticket t;
    int64_t ticket_id = 0, ev;
    char number[32] = "", buf[512];

    assert_int_equal(take(e, &a1, t0 + 1, &res), 0);
    ev = res.event_id;
    assert_int_equal(take(e, &a2, t0 + 5 * MIN, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(res.item_count, 2);
    /* 研判 three hours later, raising the level to II */
    assert_int_equal(event_assign(e->store, ev, &duty, "市自然资源局", co, 3, YQ_LEVEL_II,
                                  "属实，涉及征地补偿，请自然资源局牵头", 0, now, &ticket_id,
                                  number),
                     0);
    assert_string_equal(number, "YQ-2026-11-0001");
    assert_int_equal(ticket_store_get_by_number(e->store, number, &t), 0);
    assert_int_equal(t.id, ticket_id);
    assert_int_equal(t.detected_at, t0);
    assert_int_equal(t.response_deadline, t0 + 5 * HOUR); /* from detection, not from 交办 */
    assert_int_equal(t.press_deadline, t0 + 24 * HOUR);
    assert_int_equal(t.assigned_at, now);
    assert_int_equal(t.ack_deadline, now + HOUR); /* the department's own clock */
    assert_int_equal(t.item_count, 2);
    assert_int_equal(t.heat, 11 + 5);
    assert_int_equal(t.level, YQ_LEVEL_II);
    assert_string_equal(t.department, "市自然资源局");
    assert_string_equal(t.co_departments, "[\"市应急管理局\"]");
    ticket_release(&t);
    assert_int_equal(
        count(e, "SELECT count(*) FROM ticket_items WHERE ticket_id = %lld", (long long)ticket_id),
        2);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT actor || '|' || actor_role || '|' || note FROM ticket_log "
                             "WHERE action = 'created'"),
                        "王值班|duty_officer|level=II department=市自然资源局 item_id=wb:a1 "
                        "note=属实，涉及征地补偿，请自然资源局牵头");
    /* the lead's and co-handling liaisons and the duty officer are told */
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE kind = 'created'"), 3);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || outcome || '|' || judged_by || '|' || "
                             "judged_at || '|' || version || '|' || level FROM events"),
                        "assigned|assigned|王值班|1795950000|1|II");
    assert_int_equal(now, 1795950000);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT actor_role || '|' || from_state || '|' || to_state FROM "
                             "event_log WHERE action = 'assign'"),
                        "duty|pending|assigned");
    /* a later item of the event goes to its ticket */
    a2.item = "wb:a3";
    a2.matched = "2026-11-29T11:30:00Z";
    assert_int_equal(take(e, &a2, now + 30 * MIN, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(res.ticket_id, ticket_id);
    assert_int_equal(count(e, "SELECT item_count FROM tickets"), 3);
    assert_int_equal(count(e, "SELECT item_count FROM events"), 3);
    /* a redelivered item handed over from the inbox is not a revision */
    a2.item = "wb:a1";
    a2.matched = "2026-11-29T08:00:00Z";
    assert_int_equal(take(e, &a2, now + 31 * MIN, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_DUPLICATE);
}

static void test_assign_rejections(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:x", "wb:x", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    const struct event_actor liaison = {.name = "李联络", .role = "liaison"};
    const struct event_actor nobody = {.name = "", .role = "duty"};
    const char *bad_co[] = {"市不存在局"};
    int64_t ev;

    assert_int_equal(take(e, &a, 100, &res), 0);
    ev = res.event_id;
    assert_int_equal(event_assign(e->store, ev + 99, &duty, "市自然资源局", NULL, 0, YQ_LEVEL_III,
                                  "", -1, 200, NULL, NULL),
                     ERR_NOT_FOUND);
    assert_int_equal(event_assign(e->store, ev, &liaison, "市自然资源局", NULL, 0, YQ_LEVEL_III, "",
                                  -1, 200, NULL, NULL),
                     ERR_INVALID);
    assert_int_equal(event_assign(e->store, ev, &nobody, "市自然资源局", NULL, 0, YQ_LEVEL_III, "",
                                  -1, 200, NULL, NULL),
                     ERR_INVALID);
    /* unknown departments: the routes name the departments there are */
    assert_int_equal(event_assign(e->store, ev, &duty, "市不存在局", NULL, 0, YQ_LEVEL_III, "", -1,
                                  200, NULL, NULL),
                     ERR_INVALID);
    assert_int_equal(event_assign(e->store, ev, &duty, "市自然资源局", bad_co, 1, YQ_LEVEL_III, "",
                                  -1, 200, NULL, NULL),
                     ERR_INVALID);
    assert_int_equal(
        event_assign(e->store, ev, &duty, "", NULL, 0, YQ_LEVEL_III, "", -1, 200, NULL, NULL),
        ERR_INVALID);
    assert_int_equal(event_assign(e->store, ev, &duty, "市自然资源局", NULL, 0, (enum yq_level)7,
                                  "", -1, 200, NULL, NULL),
                     ERR_INVALID);
    /* the registry (web_departments), when it has names, is the one that counts */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(e->store),
                                    "INSERT INTO web_departments (name, head, created_at) "
                                    "VALUES ('市应急管理局', '', 1)"),
                     YQ_DB_OK);
    assert_int_equal(event_assign(e->store, ev, &duty, "市自然资源局", NULL, 0, YQ_LEVEL_III, "",
                                  -1, 200, NULL, NULL),
                     ERR_INVALID);
    /* version mismatch: someone acted first */
    assert_int_equal(event_assign(e->store, ev, &duty, "市应急管理局", NULL, 0, YQ_LEVEL_III, "", 3,
                                  200, NULL, NULL),
                     ERR_BAD_STATE);
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log"), 1); /* nothing changed */
    assert_int_equal(event_assign(e->store, ev, &duty, "市应急管理局", NULL, 0, YQ_LEVEL_III, "", 0,
                                  200, NULL, NULL),
                     0);
    /* wrong state: an assigned event is not assigned again, watched or dismissed */
    assert_int_equal(event_assign(e->store, ev, &duty, "市应急管理局", NULL, 0, YQ_LEVEL_III, "",
                                  -1, 300, NULL, NULL),
                     ERR_BAD_STATE);
    assert_int_equal(event_watch(e->store, ev, &duty, 5, 0, 0, NULL, -1, 300), ERR_BAD_STATE);
    assert_int_equal(event_dismiss(e->store, ev, &duty, "irrelevant", NULL, -1, 300),
                     ERR_BAD_STATE);
    assert_int_equal(event_confirm(e->store, ev, &duty, NULL, -1, 300), ERR_BAD_STATE);
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 1);
}

static void test_confirm_auto_assigned(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:c", "wb:c", "I", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    struct alert_in p = {"ev:p", "wb:p", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    char buf[256];
    int64_t ev, pending;

    assert_int_equal(take(e, &a, 100, &res), 0);
    ev = res.event_id;
    assert_int_equal(take(e, &p, 100, &res), 0);
    pending = res.event_id;
    assert_int_equal(event_confirm(e->store, pending, &duty, NULL, -1, 400), ERR_BAD_STATE);
    assert_int_equal(event_confirm(e->store, ev, &duty, "确认", 0, 400), ERR_BAD_STATE); /* v1 */
    assert_int_equal(event_confirm(e->store, ev, &duty, "已核实，确认交办", 1, 400), 0);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || judged_at || '|' || outcome || '|' || "
                             "opinion || '|' || version FROM events WHERE id = %lld",
                             (long long)ev),
                        "assigned|400|assigned|已核实，确认交办|2");
    assert_int_equal(event_confirm(e->store, ev, &duty, NULL, -1, 500), ERR_BAD_STATE);
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 1);
}

/* --- 不予处置 ------------------------------------------------------------------------------ */

static void test_dismiss(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:d", "wb:d1", "IV", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    char buf[256];
    int64_t ev;

    assert_int_equal(take(e, &a, 100, &res), 0);
    ev = res.event_id;
    assert_int_equal(event_dismiss(e->store, ev, &duty, "other", NULL, -1, 200), ERR_INVALID);
    assert_int_equal(event_dismiss(e->store, ev, &duty, "other", "", -1, 200), ERR_INVALID);
    assert_int_equal(event_dismiss(e->store, ev, &duty, "boring", "x", -1, 200), ERR_INVALID);
    assert_int_equal(event_dismiss(e->store, ev, &duty, NULL, NULL, -1, 200), ERR_INVALID);
    assert_int_equal(event_dismiss(e->store, ev, &duty, "false_alarm", "关键词误命中", 0, 200), 0);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || dismiss_reason || '|' || dismiss_note || '|' "
                             "|| outcome || '|' || judged_at FROM events"),
                        "dismissed|false_alarm|关键词误命中|dismissed|200");
    assert_int_equal(event_dismiss(e->store, ev, &duty, "irrelevant", NULL, -1, 300),
                     ERR_BAD_STATE);
    /* a later item is recorded, nothing else happens */
    a.item = "wb:d2";
    assert_int_equal(take(e, &a, 400, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(count(e, "SELECT item_count FROM events"), 2);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "dismissed");
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
    assert_int_equal(count(e, "SELECT count(*) FROM outbox"), 0);
}

/* --- 持续关注 ------------------------------------------------------------------------------ */

static void test_watch_thresholds_resurface_exactly(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:w", "wb:w1", "III", "2026-11-29T08:00:00Z", NULL, 0, 0, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z");
    char buf[256];
    int64_t ev;

    assert_int_equal(take(e, &a, t0, &res), 0);
    ev = res.event_id;
    assert_int_equal(event_watch(e->store, ev, &duty, 0, 0, 0, NULL, -1, t0), ERR_INVALID);
    assert_int_equal(event_watch(e->store, ev, &duty, -1, 5, 0, NULL, -1, t0), ERR_INVALID);
    {
        /*
         * a threshold the event has already reached (1 item, heat 1) would resurface it with
         * its next item: refused by its own code, naming the current value; nothing changes
         */
        char why[256] = "";
        struct event_actor w = {duty.name, duty.role, why, sizeof(why)};
        assert_int_equal(event_watch(e->store, ev, &w, 1, 0, 600, NULL, -1, t0), ERR_INVALID);
        assert_string_equal(
            why, "threshold_reached: 持续关注的条数阈值须大于事件当前的信息数 1（收到 1）");
        assert_int_equal(event_watch(e->store, ev, &w, 5, 1, 0, NULL, -1, t0), ERR_INVALID);
        assert_string_equal(
            why, "threshold_reached: 持续关注的热度阈值须大于事件当前的热度 1（收到 1）");
        assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "pending");
        assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'watch'"), 0);
    }
    /* items: back when the count reaches 3 */
    assert_int_equal(event_watch(e->store, ev, &duty, 3, 0, 0, "再看看", 0, t0 + 60), 0);
    a.item = "wb:w2";
    assert_int_equal(take(e, &a, t0 + 120, &res), 0);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "watching");
    a.item = "wb:w3";
    assert_int_equal(take(e, &a, t0 + 180, &res), 0);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || resurface_reason || '|' || resurfaced_at "
                             "FROM events"),
                        "pending|items|1795939380");
    assert_int_equal(t0, 1795939200);
    assert_int_equal(count(e, "SELECT judge_deadline FROM events"), t0 + 180 + 30 * MIN);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'resurfaced' AND "
                              "from_state = 'watching' AND to_state = 'pending'"),
                     1);
    /* the first decision keeps its time */
    assert_int_equal(count(e, "SELECT judged_at FROM events"), t0 + 60);

    /* heat: 3 + 40 = 43 < 45, then + 2 = 45 */
    assert_int_equal(event_watch(e->store, ev, &duty, 0, 45, 0, NULL, -1, t0 + 200), 0);
    a.item = "wb:w4";
    a.reposts = 39;
    assert_int_equal(take(e, &a, t0 + 210, &res), 0);
    assert_int_equal(count(e, "SELECT heat FROM events"), 43);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "watching");
    a.item = "wb:w5";
    a.reposts = 1;
    assert_int_equal(take(e, &a, t0 + 220, &res), 0);
    assert_string_equal(
        text(e, buf, sizeof(buf), "SELECT state || '|' || resurface_reason FROM events"),
        "pending|heat");

    /* quiet: a new item after at least 2 h without one */
    assert_int_equal(event_watch(e->store, ev, &duty, 0, 0, 2 * HOUR, NULL, -1, t0 + 300), 0);
    a.item = "wb:w6";
    a.reposts = 0;
    a.matched = "2026-11-29T09:59:59Z"; /* the last item was at 08:00:00: 7199 s */
    assert_int_equal(take(e, &a, t0 + 7200, &res), 0);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events"), "watching");
    a.item = "wb:w7";
    a.matched = "2026-11-29T11:59:59Z"; /* 7200 s after the last one */
    assert_int_equal(take(e, &a, t0 + 4 * HOUR, &res), 0);
    assert_string_equal(
        text(e, buf, sizeof(buf), "SELECT state || '|' || resurface_reason FROM events"),
        "pending|quiet");
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'resurfaced'"), 3);
}

/* --- 并入 ------------------------------------------------------------------------------------ */

static void test_merge_moves_items_and_heat(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:m1", "wb:m1", "III", "2026-11-29T08:00:00Z", NULL, 4, 0, 0, NULL};
    struct alert_in b = {"ev:m2", "wb:m2", "III", "2026-11-29T07:00:00Z", "生态环境", 9, 0, 0,
                         NULL};
    struct alert_in c = {"ev:m3", "wb:m3", "II", "2026-11-29T09:00:00Z", NULL, 0, 0, 0, NULL};
    char buf[512];
    int64_t ea, eb, ec, tc;

    assert_int_equal(take(e, &a, 100, &res), 0);
    ea = res.event_id;
    a.item = "wb:m1b";
    assert_int_equal(take(e, &a, 110, &res), 0); /* A: 2 items, heat 10 */
    assert_int_equal(take(e, &b, 120, &res), 0);
    eb = res.event_id; /* B: 1 item, heat 10 */
    assert_int_equal(take(e, &c, 130, &res), 0);
    ec = res.event_id; /* C: level II, handed over: a ticket */
    tc = res.ticket_id;

    assert_int_equal(event_merge(e->store, ea, &duty, ea, 0, NULL, -1, 200), ERR_INVALID);
    assert_int_equal(event_merge(e->store, ea, &duty, 9999, 0, NULL, -1, 200), ERR_NOT_FOUND);
    assert_int_equal(event_merge(e->store, ea, &duty, 0, 0, NULL, -1, 200), ERR_INVALID);
    assert_int_equal(event_merge(e->store, ea, &duty, eb, 0, "同一事件", 0, 200), 0);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || merged_into || '|' || outcome || '|' || "
                             "item_count || '|' || heat FROM events WHERE id = %lld",
                             (long long)ea),
                        "merged|2|merged|0|0");
    assert_int_equal(eb, 2);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT item_count || '|' || heat || '|' || last_item_at || '|' || "
                             "first_post_at || '|' || rule_groups FROM events WHERE id = %lld",
                             (long long)eb),
                        "3|20|1795939200|1795935600|[\"生态环境\"]");
    assert_int_equal(
        count(e, "SELECT count(*) FROM event_items WHERE event_id = %lld", (long long)eb), 3);
    /* a cycle: B into A, whose root is B itself */
    assert_int_equal(event_merge(e->store, eb, &duty, ea, 0, NULL, -1, 210), ERR_INVALID);
    /* a later alert for the merged key goes to the target */
    a.item = "wb:m1c";
    assert_int_equal(take(e, &a, 220, &res), 0);
    assert_int_equal(res.event_id, eb);
    assert_int_equal(count(e, "SELECT item_count FROM events WHERE id = %lld", (long long)eb), 4);

    /* B into the ticket of C: its items become the ticket's, with count and heat */
    assert_int_equal(event_merge(e->store, eb, &duty, 0, tc, NULL, -1, 300), 0);
    assert_int_equal(count(e, "SELECT item_count FROM tickets WHERE id = %lld", (long long)tc), 5);
    assert_int_equal(count(e, "SELECT heat FROM tickets WHERE id = %lld", (long long)tc), 1 + 25);
    assert_int_equal(
        count(e, "SELECT count(*) FROM ticket_items WHERE ticket_id = %lld", (long long)tc), 5);
    assert_int_equal(count(e, "SELECT item_count FROM events WHERE id = %lld", (long long)ec), 5);
    assert_int_equal(count(e,
                           "SELECT count(*) FROM ticket_log WHERE action = 'merged' AND "
                           "ticket_id = %lld",
                           (long long)tc),
                     1);
    /* and the first merged event's key now reaches the ticket (two hops) */
    a.item = "wb:m1d";
    assert_int_equal(take(e, &a, 400, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(res.ticket_id, tc);
    assert_int_equal(count(e, "SELECT item_count FROM tickets WHERE id = %lld", (long long)tc), 6);
}

/*
 * Field review: a more serious or earlier-detected event merged into another without a ticket.
 * The target takes the more serious level (as a more serious item would: level_raised, back
 * to 待研判 from 持续关注) and the earlier detection, so the ticket opened from it later runs
 * its statutory clocks from the first item of the two (design §5) and its 研判 deadline is
 * the earlier one. Before, the target kept its own level IV and detection time.
 */
static void test_merge_takes_more_serious_level_and_earlier_detection(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in b = {"ev:mb", "wb:mb", "III", "2026-11-29T08:00:00Z", NULL, 0, 0, 0, NULL};
    struct alert_in a = {"ev:ma", "wb:ma", "IV", "2026-11-29T10:00:00Z", NULL, 0, 0, 0, NULL};
    struct alert_in c = {"ev:mc", "wb:mc", "IV", "2026-11-29T10:05:00Z", NULL, 0, 0, 0, NULL};
    struct alert_in d = {"ev:md", "wb:md", "III", "2026-11-29T10:06:00Z", NULL, 0, 0, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z"), now = t0 + 2 * HOUR + 10 * MIN;
    int64_t ea, eb, ec, ed, ticket_id = 0;
    char number[32] = "", buf[512];
    struct ticket t;

    assert_int_equal(take(e, &b, t0, &res), 0);
    eb = res.event_id;
    assert_int_equal(take(e, &a, t0 + 2 * HOUR, &res), 0);
    ea = res.event_id;
    assert_int_equal(event_merge(e->store, eb, &duty, ea, 0, NULL, -1, now), 0);
    snprintf(buf, sizeof(buf), "III|pending|%lld|%lld", (long long)t0, (long long)(t0 + 30 * MIN));
    {
        char got[512];
        assert_string_equal(text(e, got, sizeof(got),
                                 "SELECT level || '|' || state || '|' || detected_at || '|' || "
                                 "judge_deadline FROM events WHERE id = %lld",
                                 (long long)ea),
                            buf);
    }
    snprintf(buf, sizeof(buf), "system|pending|pending|level IV -> III merged_event=%lld",
             (long long)eb);
    {
        char got[512];
        assert_string_equal(text(e, got, sizeof(got),
                                 "SELECT actor || '|' || from_state || '|' || to_state || '|' || "
                                 "note FROM event_log WHERE action = 'level_raised' AND "
                                 "event_id = %lld",
                                 (long long)ea),
                            buf);
    }
    /* handed over later: the clocks run from the merged event's first item */
    assert_int_equal(event_assign(e->store, ea, &duty, "市自然资源局", NULL, 0, YQ_LEVEL_III,
                                  "同一事件", -1, now + MIN, &ticket_id, number),
                     0);
    assert_int_equal(ticket_store_get_by_number(e->store, number, &t), 0);
    assert_int_equal(t.detected_at, t0);
    assert_int_equal(t.response_deadline, t0 + 48 * HOUR);
    ticket_release(&t);

    /* a watched target comes back to 待研判 with the level */
    assert_int_equal(take(e, &c, t0 + 2 * HOUR + 5 * MIN, &res), 0);
    ec = res.event_id;
    assert_int_equal(take(e, &d, t0 + 2 * HOUR + 6 * MIN, &res), 0);
    ed = res.event_id;
    assert_int_equal(event_watch(e->store, ec, &duty, 50, 0, 0, NULL, -1, now), 0);
    assert_int_equal(event_merge(e->store, ed, &duty, ec, 0, NULL, -1, now + 2 * MIN), 0);
    snprintf(buf, sizeof(buf), "III|pending|level|%lld|%lld",
             (long long)notifier_ts("2026-11-29T10:05:00Z"), (long long)(now + 2 * MIN));
    {
        char got[512];
        assert_string_equal(text(e, got, sizeof(got),
                                 "SELECT level || '|' || state || '|' || resurface_reason || '|' "
                                 "|| detected_at || '|' || resurfaced_at FROM events WHERE id = "
                                 "%lld",
                                 (long long)ec),
                            buf);
    }
    /* a less serious event merged in changes no level */
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'level_raised'"), 2);
}

/* Take n items (ids "<prefix>:<i>") of event key at the time iso. */
static void take_n(struct notifier_env *e, const char *key, const char *prefix, const char *iso,
                   int n, int64_t now)
{
    for (int i = 0; i < n; i++) {
        char id[64];
        struct alert_in a = {key, id, "III", iso, NULL, 0, 0, 0, NULL};
        snprintf(id, sizeof(id), "%s:%d", prefix, i);
        assert_int_equal(take(e, &a, now, NULL), 0);
    }
}

/*
 * Field review: after 并入 the target takes the source's stream, so its 突增 baseline must hold
 * the source's hourly counts too. A (1 item an hour) and B (4 an hour) for three hours; B into
 * A; in hour H the two streams bring 6 + 6 = 12 items to A: against 5 an hour that is no spike
 * (12 < 3 x 5). Before, A's baseline was its own 1.0 and the merge alone raised a spike.
 */
static void test_merge_moves_spike_counts(void **state)
{
    struct notifier_env *e = *state;
    static const char *const hours[] = {"2026-11-29T07:00:00Z", "2026-11-29T08:00:00Z",
                                        "2026-11-29T09:00:00Z"};
    int64_t h = notifier_ts("2026-11-29T10:00:00Z"), ea, eb;
    size_t raised = 9;
    char prefix[32];

    for (int k = 0; k < 3; k++) {
        snprintf(prefix, sizeof(prefix), "wb:sa%d", k);
        take_n(e, "ev:sa", prefix, hours[k], 1, h - 3 * HOUR + k * HOUR);
        snprintf(prefix, sizeof(prefix), "wb:sb%d", k);
        take_n(e, "ev:sb", prefix, hours[k], 4, h - 3 * HOUR + k * HOUR);
    }
    ea = count(e, "SELECT id FROM events WHERE event_key = 'ev:sa'");
    eb = count(e, "SELECT id FROM events WHERE event_key = 'ev:sb'");
    assert_int_equal(event_merge(e->store, eb, &duty, ea, 0, NULL, -1, h - 10 * MIN), 0);
    assert_int_equal(count(e,
                           "SELECT sum(n) FROM rate_counts WHERE scope = 'event' AND key = "
                           "'%lld' AND hour = %lld",
                           (long long)ea, (long long)(h - 3 * HOUR)),
                     5);
    assert_int_equal(count(e,
                           "SELECT count(*) FROM rate_counts WHERE scope = 'event' AND key = "
                           "'%lld'",
                           (long long)eb),
                     0);
    take_n(e, "ev:sa", "wb:sah", "2026-11-29T10:10:00Z", 6, h + 10 * MIN);
    take_n(e, "ev:sb", "wb:sbh", "2026-11-29T10:20:00Z", 6, h + 20 * MIN);
    assert_int_equal(count(e, "SELECT item_count FROM events WHERE id = %lld", (long long)ea),
                     3 + 12 + 12);
    assert_int_equal(spike_scan(e->store, NULL, 1800, h + HOUR + MIN, &raised), 0);
    assert_int_equal(raised, 0);
    assert_int_equal(count(e, "SELECT count(*) FROM spikes WHERE scope = 'event'"), 0);
    /* a real rise on top of both streams still spikes: 15 more in the next hour */
    take_n(e, "ev:sb", "wb:sbj", "2026-11-29T11:05:00Z", 15, h + HOUR + 5 * MIN);
    assert_int_equal(spike_scan(e->store, NULL, 1800, h + 2 * HOUR + MIN, &raised), 0);
    assert_int_equal(raised, 0); /* 15 against (5 + 5 + 5 + 12) / 4 = 6.75: under 3x */
    take_n(e, "ev:sa", "wb:sak", "2026-11-29T12:05:00Z", 40, h + 2 * HOUR + 5 * MIN);
    assert_int_equal(spike_scan(e->store, NULL, 1800, h + 3 * HOUR + MIN, &raised), 0);
    assert_int_equal(raised, 1);
}

/* A zero-match repost alert (yq_alert.h) of item id, reposting reply_to, for event key. */
static int take_repost(struct notifier_env *e, const char *key, const char *id,
                       const char *reply_to, const char *via, int64_t now,
                       struct ticket_intake_result *res)
{
    char json[2048], err[256] = "";
    struct yq_alert alert;
    int rc;

    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"%s\",\"event\":{\"new\":false,\"items\":2,"
             "\"via\":\"%s\"},\"rules_version\":3,\"matched_at\":\"2026-11-29T08:30:00Z\","
             "\"score\":0,\"level\":\"IV\",\"department\":\"\",\"matches\":[],"
             "\"item\":{\"schema\":1,\"id\":\"%s\",\"source\":\"weibo\",\"source_id\":\"wb-ak\","
             "\"channel\":\"网友乙\",\"url\":\"https://weibo.example/%s\",\"title\":\"转发微博\","
             "\"text\":\"转发微博\",\"author\":\"网友乙\",\"reply_to\":\"%s\","
             "\"published_at\":\"2026-11-29T08:29:00Z\",\"fetched_at\":\"2026-11-29T08:30:00Z\"}}",
             key, via, id, id, reply_to);
    rc = yq_alert_decode(json, strlen(json), &alert, err, sizeof(err));
    if (rc != 0) {
        return rc;
    }
    rc = ticket_intake_alert(e->store, &alert, now, res);
    yq_alert_release(&alert);
    return rc;
}

/*
 * Field review: a repost that matched no rule reaches intake as a zero-match repost alert
 * (the matcher sends it only when its original is in an event): it is an item of that event
 * (count, heat; its ticket's items when it has one), raises no level, and opens nothing when
 * the event is unknown. A zero-match alert that is neither official nor a repost is refused.
 */
static void test_repost_without_match_is_an_item_of_its_event(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:wb:r1", "wb:r1", "III", "2026-11-29T08:00:00Z", NULL, 0, 0, 0, NULL};
    struct alert_in b = {"ev:wb:r5", "wb:r5", "II", "2026-11-29T08:00:00Z", NULL, 0, 0, 0, NULL};
    int64_t ev;

    assert_int_equal(take(e, &a, 100, &res), 0);
    ev = res.event_id;
    assert_int_equal(take_repost(e, "ev:wb:r1", "wb:r2", "wb:r1", "repost", 110, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(res.event_id, ev);
    assert_int_equal(count(e, "SELECT item_count FROM events WHERE id = %lld", (long long)ev), 2);
    {
        char buf[128];
        assert_string_equal(text(e, buf, sizeof(buf),
                                 "SELECT level || '|' || state FROM events WHERE id = %lld",
                                 (long long)ev),
                            "III|pending");
    }
    /* redelivered: nothing changes */
    assert_int_equal(take_repost(e, "ev:wb:r1", "wb:r2", "wb:r1", "repost", 120, &res), 0);
    assert_int_equal(count(e, "SELECT item_count FROM events WHERE id = %lld", (long long)ev), 2);
    /* no such event here: nothing recorded */
    assert_int_equal(take_repost(e, "ev:wb:r9", "wb:r3", "wb:r9", "repost", 130, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_NO_EVENT);
    assert_int_equal(count(e, "SELECT count(*) FROM events WHERE event_key = 'ev:wb:r9'"), 0);
    assert_int_equal(count(e, "SELECT count(*) FROM event_items WHERE item_id = 'wb:r3'"), 0);
    /* an event with a ticket (level II, handed over at once): the repost joins the ticket */
    assert_int_equal(take(e, &b, 140, &res), 0);
    assert_true(res.ticket_id > 0);
    assert_int_equal(take_repost(e, "ev:wb:r5", "wb:r6", "wb:r5", "repost", 150, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(
        count(e, "SELECT item_count FROM tickets WHERE id = %lld", (long long)res.ticket_id), 2);
    /* its ticket closed: a repost that says nothing new joins it but reopens nothing and tells
       nobody (an edited post that matches a rule may still reopen it once, FC-036) */
    {
        int64_t tid = res.ticket_id, rows;
        char sql[128];
        snprintf(sql, sizeof(sql),
                 "UPDATE tickets SET state = 'closed', closed_at = 155 WHERE id = %lld",
                 (long long)tid);
        notifier_exec(e->store, sql);
        rows = count(e, "SELECT count(*) FROM outbox");
        assert_int_equal(take_repost(e, "ev:wb:r5", "wb:r7", "wb:r5", "repost", 170, &res), 0);
        assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
        assert_false(res.reopened);
        assert_int_equal(count(e,
                               "SELECT count(*) FROM tickets WHERE id = %lld AND state = 'closed'",
                               (long long)tid),
                         1);
        assert_int_equal(count(e, "SELECT count(*) FROM outbox"), rows);
        assert_int_equal(count(e, "SELECT item_count FROM tickets WHERE id = %lld", (long long)tid),
                         3);
    }
    /* not a repost: refused at decoding */
    assert_int_equal(take_repost(e, "ev:wb:r1", "wb:r4", "wb:r1", "near_duplicate", 160, &res),
                     ERR_PARSE);
}

/* --- the 研判 reminder --------------------------------------------------------------------- */

static const char *judge_flags(struct notifier_env *e, int64_t id, int64_t now, char *buf,
                               size_t len);

static void test_judge_reminder_once(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:j", "wb:j", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    struct alert_in b = {"ev:k", "wb:k", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z"), j_id;
    char buf[256];
    int n = -1;

    assert_int_equal(take(e, &a, t0, &res), 0);
    j_id = res.event_id;
    assert_int_equal(take(e, &b, t0, &res), 0);
    assert_int_equal(event_dismiss(e->store, res.event_id, &duty, "duplicate", NULL, -1, t0 + 60),
                     0);
    /* the deadline's own second is still in time (as for every clock): reminded after it */
    assert_int_equal(event_flow_remind_judge(e->store, t0 + 30 * MIN, &n), 0);
    assert_int_equal(n, 0);
    assert_string_equal(judge_flags(e, j_id, t0 + 30 * MIN, buf, sizeof(buf)), "1:0");
    assert_string_equal(judge_flags(e, j_id, t0 + 30 * MIN + 1, buf, sizeof(buf)), "1:1");
    assert_int_equal(event_flow_remind_judge(e->store, t0 + 30 * MIN + 1, &n), 0);
    assert_int_equal(n, 1); /* the dismissed one is judged */
    assert_int_equal(count(e, "SELECT count(*) FROM outbox"), 1);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT kind || '|' || channel || '|' || role || '|' || "
                             "CASE WHEN ticket_id IS NULL THEN 1 ELSE 0 END FROM outbox"),
                        "judge_overdue|duty-hook|duty|1");
    assert_non_null(strstr(text(e, buf, sizeof(buf), "SELECT subject FROM outbox"), "研判超时"));
    assert_int_equal(count(e, "SELECT judge_reminded_at FROM events WHERE event_key = 'ev:j'"),
                     t0 + 30 * MIN + 1);
    assert_int_equal(event_flow_remind_judge(e->store, t0 + 5 * HOUR, &n), 0);
    assert_int_equal(n, 0); /* never twice */
    assert_int_equal(count(e, "SELECT count(*) FROM outbox"), 1);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'judge_reminded'"), 1);
}

/*
 * The inbox's totals (state all) for the rule groups 生态环境 and 城市管理, the source kind
 * weibo and no filter, as "a,b,c,d" ("err N" for a failed page), without asserting
 * (notifier_each_corrupt_json()).
 */
static void read_inbox_totals(struct ticket_store *store, void *ctx, char *got, size_t len)
{
    static const struct {
        const char *group, *kind;
    } filters[] = {{"生态环境", NULL}, {"城市管理", NULL}, {NULL, "weibo"}, {NULL, NULL}};
    size_t used = 0;

    (void)ctx;
    for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]) && used < len; i++) {
        struct event_inbox_query q = {
            .state = "all", .group = filters[i].group, .source_kind = filters[i].kind, .max = 100};
        json_t *page = NULL;
        int err = event_read_inbox(store, &q, notifier_ts("2026-11-29T09:00:00Z"), &page);

        used += (size_t)snprintf(got + used, len - used, "%s", i ? "," : "");
        if (err) {
            used += (size_t)snprintf(got + used, len - used, "err %d", err);
        } else {
            used += (size_t)snprintf(got + used, len - used, "%lld",
                                     (long long)json_integer_value(json_object_get(page, "total")));
        }
        json_decref(page);
    }
}

/*
 * The inbox's group and source-kind filters read the events' stored JSON arrays in SQL: a
 * corrupt one failed the page on PostgreSQL, failed it on SQLite too when not JSON, and an
 * object's or a string's value counted as a group there. Now it is no group or kind (one
 * warning per reading), on both databases, and the other event still matches.
 */
static void test_corrupt_rule_groups_and_source_kinds_match_nothing(void **state)
{
    struct notifier_env *e = *state;
    struct alert_in a = {"ev:g1", "wb:g1", "IV", "2026-11-29T08:00:00Z", "生态环境", -1, 0, 0,
                         NULL};
    struct alert_in b = {"ev:g2", "wb:g2", "IV", "2026-11-29T08:00:00Z", "城市管理", -1, 0, 0,
                         NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z");
    char got[128];

    assert_int_equal(take(e, &a, t0, NULL), 0);
    assert_int_equal(take(e, &b, t0, NULL), 0);
    read_inbox_totals(e->store, NULL, got, sizeof(got));
    assert_string_equal(got, "1,1,2,2"); /* as taken in */
    /* ev:g1 in no group (ev:g2 still in its own); then of no source kind either */
    notifier_each_corrupt_json(e->store,
                               "UPDATE events SET rule_groups = ?1 WHERE event_key = 'ev:g1'",
                               "生态环境", "rule_groups", -1, read_inbox_totals, NULL, "0,1,2,2");
    notifier_each_corrupt_json(e->store,
                               "UPDATE events SET source_kinds = ?1 WHERE event_key = 'ev:g1'",
                               "weibo", "source_kinds", -1, read_inbox_totals, NULL, "0,1,1,2");
}

/* The inbox's awaits_judgement and judge_overdue of event id at now, as "awaits:overdue". */
static const char *judge_flags(struct notifier_env *e, int64_t id, int64_t now, char *buf,
                               size_t len)
{
    struct event_inbox_query q = {.state = "all", .max = 100};
    json_t *page = NULL, *ev;
    size_t i;

    assert_int_equal(event_read_inbox(e->store, &q, now, &page), 0);
    snprintf(buf, len, "missing");
    json_array_foreach(json_object_get(page, "events"), i, ev)
    {
        if (json_integer_value(json_object_get(ev, "id")) == id) {
            snprintf(buf, len, "%d:%d", json_is_true(json_object_get(ev, "awaits_judgement")),
                     json_is_true(json_object_get(ev, "judge_overdue")));
        }
    }
    json_decref(page);
    return buf;
}

/*
 * The 研判 deadline is for events that await 研判 (pending): an auto_assigned event (its
 * ticket opened by policy) past it is neither overdue nor reminded, also once its ticket is
 * 已办结 (the demo's 【研判超时】事件 #72); a pending one past it still is (injected clock).
 */
static void test_judge_deadline_only_while_awaiting_judgement(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in urgent = {"ev:aa", "wb:aa", "II", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    struct alert_in waiting = {"ev:pp", "wb:pp", "III", "2026-11-29T08:00:00Z", NULL, -1,
                               0,       0,       NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z"), auto_id, pending_id;
    static const enum ticket_action_kind to_close[] = {TICKET_ACT_ACK, TICKET_ACT_RESPOND,
                                                       TICKET_ACT_CLOSE};
    struct ticket_action act = {.actor = "联络员",
                                .role = "liaison",
                                .channel = "答复",
                                .note = "已答复当事人，补偿款已发放"};
    char buf[64], number[32];
    int n = -1;

    assert_int_equal(take(e, &urgent, t0, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED); /* level II: handed over at once */
    auto_id = res.event_id;
    snprintf(number, sizeof(number), "%s", res.number);
    act.number = number;
    assert_int_equal(take(e, &waiting, t0, &res), 0);
    pending_id = res.event_id;
    assert_true(event_state_awaits_judgement(EVENT_PENDING));
    assert_false(event_state_awaits_judgement(EVENT_AUTO_ASSIGNED));

    /* past the auto_assigned event's 10 min deadline, before the pending one's 30 min */
    assert_string_equal(judge_flags(e, auto_id, t0 + 20 * MIN, buf, sizeof(buf)), "0:0");
    assert_string_equal(judge_flags(e, pending_id, t0 + 20 * MIN, buf, sizeof(buf)), "1:0");
    assert_int_equal(event_flow_remind_judge(e->store, t0 + 20 * MIN, &n), 0);
    assert_int_equal(n, 0);
    /* its ticket handled to 已办结: still nothing to judge */
    for (size_t i = 0; i < sizeof(to_close) / sizeof(to_close[0]); i++) {
        act.kind = to_close[i];
        notifier_apply_ok(e->store, &act, t0 + (int64_t)(21 + i) * MIN, NULL);
    }
    assert_string_equal(judge_flags(e, auto_id, t0 + HOUR, buf, sizeof(buf)), "0:0");
    /* the pending one past its deadline: overdue and reminded once, the other never */
    assert_string_equal(judge_flags(e, pending_id, t0 + HOUR, buf, sizeof(buf)), "1:1");
    assert_int_equal(event_flow_remind_judge(e->store, t0 + HOUR, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE kind = 'judge_overdue'"), 1);
    assert_int_equal(count(e,
                           "SELECT count(*) FROM outbox WHERE kind = 'judge_overdue' AND "
                           "idem_key LIKE 'e%lld:j%%'",
                           (long long)pending_id),
                     1);
    assert_int_equal(count(e,
                           "SELECT count(*) FROM events WHERE id = %lld AND judge_reminded_at "
                           "IS NULL",
                           (long long)auto_id),
                     1);
    assert_int_equal(count(e,
                           "SELECT count(*) FROM event_log WHERE action = 'judge_reminded' "
                           "AND event_id = %lld",
                           (long long)auto_id),
                     0);
}

/* --- the log, old tickets, names ------------------------------------------------------------ */

static void test_event_log_is_append_only(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:l", "wb:l", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};

    assert_int_equal(take(e, &a, 100, &res), 0);
    assert_int_equal(event_dismiss(e->store, res.event_id, &duty, "irrelevant", NULL, -1, 200), 0);
    assert_int_not_equal(
        yq_db_exec_raw(ticket_store_db(e->store), "UPDATE event_log SET note = 'x'"), YQ_DB_OK);
    assert_int_not_equal(yq_db_exec_raw(ticket_store_db(e->store), "DELETE FROM event_log"),
                         YQ_DB_OK);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log"), 2);
}

static void test_ticket_without_event_gets_one(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:old", "wb:o2", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    char buf[256];

    /* a ticket an older binary wrote after migration 9 */
    assert_int_equal(yq_db_exec_raw(ticket_store_db(e->store),
                                    "INSERT INTO tickets (number, event_key, title, level, "
                                    "department, detected_at, ack_deadline, response_deadline, "
                                    "item_count, created_at, updated_at, heat) VALUES "
                                    "('YQ-2026-11-0001', 'ev:old', '旧单', 'III', '市自然资源局', "
                                    "50, 3650, 172850, 1, 50, 50, 1);"
                                    "INSERT INTO ticket_items (ticket_id, item_id, added_at) "
                                    "VALUES (1, 'wb:o1', 50);"),
                     YQ_DB_OK);
    assert_int_equal(take(e, &a, 100, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_ATTACHED);
    assert_int_equal(res.ticket_id, 1);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || '|' || ticket_id || '|' || item_count FROM events"),
                        "assigned|1|2");
    assert_int_equal(count(e, "SELECT count(*) FROM event_items"), 2);
    assert_int_equal(count(e, "SELECT item_count FROM tickets"), 2);
}

/* Silences stop new events only; the alert is kept whole and counted (silence.h). */
static void test_silence_stops_new_events_only(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:s1", "wb:s1", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    int64_t sid = 0;

    assert_int_equal(take(e, &a, 100, &res), 0); /* an event before the silence */
    assert_int_equal(silence_add(e->store, SILENCE_RULE, "land-01", "演练期间的测试帖", "王值班",
                                 100 + 24 * HOUR, 150, &sid),
                     0);
    a.item = "wb:s2"; /* a new item of the existing event: taken, never silenced */
    assert_int_equal(take(e, &a, 200, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
    assert_int_equal(count(e, "SELECT item_count FROM events"), 2);
    a.key = "ev:s2"; /* a new event: silenced */
    a.item = "wb:s3";
    assert_int_equal(take(e, &a, 300, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_SILENCED);
    assert_int_equal(res.silence_id, sid);
    assert_int_equal(res.event_id, 0);
    assert_int_equal(count(e, "SELECT count(*) FROM events"), 1);
    assert_int_equal(count(e, "SELECT count(*) FROM silenced_alerts WHERE event_key = 'ev:s2'"), 1);
    assert_int_equal(take(e, &a, 400, &res), 0); /* redelivered: kept and counted once */
    assert_int_equal(count(e, "SELECT hit_count FROM silences"), 1);
    /* a level II alert is silenced too (no ticket, nobody told): the silence is the officer's */
    a.key = "ev:s3";
    a.item = "wb:s4";
    a.level = "II";
    assert_int_equal(take(e, &a, 500, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_SILENCED);
    assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
    /* after its expiry new events come in again */
    a.key = "ev:s4";
    a.item = "wb:s5";
    a.level = "III";
    assert_int_equal(take(e, &a, 100 + 24 * HOUR, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_QUEUED);
}

/* Each item's sentiment from the project's lexicon; the event counts its negative items and
 * weighs them twice in its heat. */
static void test_item_sentiment_and_negative_count(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:n", "wb:n1", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    struct yq_sentiment *lex = NULL;
    struct yq_sentiment_result want;
    char err[256] = "", buf[64];

    assert_int_equal(yq_sentiment_open(NULL, &lex, err, sizeof(err)), 0);
    /* what the lexicon says of take()'s title and text */
    assert_int_equal(yq_sentiment_score(lex, "汉滨区征地补偿款迟迟未发放",
                                        "汉滨征地补偿款迟迟未发放", &want),
                     0);
    assert_int_equal(want.label, YQ_SENTIMENT_NEGATIVE);
    e->policy.sentiment = lex;
    assert_int_equal(take(e, &a, 100, &res), 0);
    a.item = "wb:n2";
    assert_int_equal(take(e, &a, 110, &res), 0);
    assert_string_equal(rows(e, buf, sizeof(buf), ",",
                             "SELECT sentiment FROM event_items "
                             "ORDER BY id"),
                        "negative,negative");
    assert_int_equal(count(e, "SELECT negative_count FROM events"), 2);
    assert_int_equal(
        count(e, "SELECT count(*) FROM event_items WHERE sentiment_score = %.17g", want.score), 2);
    /* without a classifier the item is not scored ('' = unknown), nothing is counted */
    e->policy.sentiment = NULL;
    a.item = "wb:n3";
    assert_int_equal(take(e, &a, 120, &res), 0);
    assert_int_equal(count(e, "SELECT count(*) FROM event_items WHERE sentiment = ''"), 1);
    assert_int_equal(count(e, "SELECT CAST(negative_count AS TEXT) || CAST(item_count AS TEXT) "
                              "FROM events"),
                     23);
    /* sentiment adds to the heat: each negative item (no engagement: heat 1) counts twice */
    assert_string_equal(rows(e, buf, sizeof(buf), "", "SELECT heat FROM event_items ORDER BY id"),
                        "221");
    assert_int_equal(count(e, "SELECT heat FROM events"), 5);
    yq_sentiment_free(lex);
}

/* A store, a notifier config naming it (with the routes above) and a scratch file, for the CLI. */
struct cli_env {
    char dir[64], db[128], conf[128], out_path[160];
    struct notifier_env e;
};

/* Make c's directory, config and store; the default desk policy: III and IV wait. */
static void cli_env_open(struct cli_env *c)
{
    struct ticket_store_cfg cfg = {.busy_timeout_ms = 2000};
    char cal[128], err[256] = "";
    FILE *f;

    memset(c, 0, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/yq-events-cli-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    snprintf(c->db, sizeof(c->db), "%s/tickets.db", c->dir);
    snprintf(c->conf, sizeof(c->conf), "%s/notifier.yaml", c->dir);
    snprintf(c->out_path, sizeof(c->out_path), "%s/out.txt", c->dir);
    snprintf(cal, sizeof(cal), "%s/calendar", c->dir);
    assert_int_equal(mkdir(cal, 0700), 0);
    f = fopen(c->conf, "w");
    assert_non_null(f);
    fprintf(f, "store:\n  path: %s\nclocks:\n  calendar_dir: %s\n", c->db, cal);
    fputs(routes_yaml, f);
    fclose(f);
    cfg.path = c->db;
    assert_int_equal(ticket_store_init(&cfg, NULL, err, sizeof(err)), 0);
    assert_int_equal(ticket_store_open(&cfg, &c->e.store, err, sizeof(err)), 0);
    assert_int_equal(notifier_routes_load(&c->e.routes, routes_yaml, err, sizeof(err)), 0);
    c->e.policy.routes = &c->e.routes;
    ticket_store_set_policy(c->e.store, &c->e.policy);
}

/* Close c's store and remove its directory. */
static void cli_env_close(struct cli_env *c)
{
    notifier_env_close(&c->e);
    assert_int_equal(file_fixture_remove_dir(c->dir), 0);
}

/*
 * `yuqingctl events`: list the inbox, hand one over, dismiss one, refuse a bad reason; a 交办
 * whose config reaches nobody concerned is refused as `yuqingctl tickets assign` is, unless
 * --no-notify says so.
 */
static void test_events_cli(void **state)
{
    struct alert_in a = {"ev:cli1", "wb:cli1", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0,
                         NULL};
    struct alert_in b = {"ev:cli2", "wb:cli2", "IV", "2026-11-29T08:10:00Z", NULL, -1, 0, 0, NULL};
    struct alert_in d = {"ev:cli3", "wb:cli3", "IV", "2026-11-29T08:20:00Z", NULL, -1, 0, 0, NULL};
    char out[8192], buf[256], shipped[512];
    struct cli_env ce;
    char *const conf = ce.conf, *const db = ce.db, *const out_path = ce.out_path;
    struct notifier_env *const e = &ce.e;
    int saved;

    (void)state;
    cli_env_open(&ce);
    assert_int_equal(take(e, &a, 100, NULL), 0);
    assert_int_equal(take(e, &b, 100, NULL), 0);
    assert_int_equal(take(e, &d, 100, NULL), 0);
    {
        char *list[] = {"events", "list", "--config", conf, NULL};
        saved = capture_begin(STDOUT_FILENO, out_path);
        assert_int_equal(events_cli_main(4, list), 0);
        capture_end(STDOUT_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "待研判"));
        assert_non_null(strstr(out, "研判时限"));
    }
    {
        /* two events in the inbox: a list cut at --limit 1 says so on stderr */
        char *cut[] = {"events", "list", "--limit", "1", "--config", conf, NULL};
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(6, cut), 0);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_string_equal(out, "yuqingctl events: 只列出了前 1 条，可能还有更多；--limit N "
                                 "可列出更多（至多 100000） (the first 1 rows only; --limit N "
                                 "shows more, up to 100000)\n");
    }
    {
        /* a bad number: yq_cli's one form (option and value named), exit 2, nothing written */
        char *heat[] = {"events", "watch", "1", "--heat", "0", "--config", conf, NULL};
        char *version[] = {"events", "confirm", "1", "--version", "v2", "--config", conf, NULL};
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(7, heat), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out,
                               "yuqingctl events: 选项 '--heat' 的取值 '0' 须为不小于 1 的整数 "
                               "(needs a whole number >= 1)\n"));
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(7, version), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "yuqingctl events: 选项 '--version' 的取值 'v2' 须为不小于 0 "
                                    "的整数 (needs a whole number >= 0)\n"));
    }
    {
        /* a threshold the event has already reached (event 2 has 1 item): exit 2, its code */
        char *reached[] = {"events", "watch", "2", "--items", "1", "--config", conf, NULL};
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(7, reached), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_string_equal(out, "yuqingctl events: 事件 2 未持续关注：持续关注的条数阈值须大于事件"
                                 "当前的信息数 1（收到 1）（threshold_reached）\n");
        assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events WHERE id = 2"),
                            "pending");
    }
    {
        /*
         * the demo's 交办 with the shipped config (channels {}) opened a ticket nobody heard of:
         * refused, exit 2, naming --config and --no-notify; so is a co-handling department the
         * config does not reach. Nothing is written.
         */
        char *unheard[] = {"events",   "assign", "1",    "--lead", "市自然资源局",
                           "--config", shipped,  "--db", db,       NULL};
        char *far_co[] = {
            "events",   "assign", "1", "--lead", "市自然资源局", "--co", "市应急管理局，市水利局",
            "--config", conf,     NULL};
        snprintf(shipped, sizeof(shipped), "%s/config/notifier.yaml", YQ_SOURCE_DIR);
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(9, unheard), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "yuqingctl events: 配置 "));
        assert_non_null(strstr(out, "中没有能通知到“市自然资源局”的渠道"));
        assert_non_null(strstr(out, "--config .demo/notifier.yaml"));
        assert_non_null(strstr(out, "--no-notify"));
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(9, far_co), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "中没有能通知到“市水利局”的渠道"));
        assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
        assert_int_equal(count(e, "SELECT count(*) FROM outbox"), 0);
        assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'assign'"), 0);
        assert_string_equal(text(e, buf, sizeof(buf), "SELECT state FROM events WHERE id = 1"),
                            "pending");
    }
    {
        /*
         * an unregistered lead or co-handling department is named first, exit 2, not a missing
         * channel whose --no-notify only led to it (shipped config: channels {})
         */
        char *unknown[] = {"events",   "assign", "1",    "--lead", "不存在局",
                           "--config", shipped,  "--db", db,       NULL};
        char *unknown_co[] = {"events",       "assign", "1",        "--lead",
                              "市自然资源局", "--co",   "不存在局", "--config",
                              shipped,        "--db",   db,         NULL};
        assert_int_equal(yq_db_exec_raw(ticket_store_db(e->store),
                                        "INSERT INTO web_departments (name, head, created_at) "
                                        "VALUES ('市自然资源局', '', 1), ('市应急管理局', '', 1)"),
                         YQ_DB_OK);
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(9, unknown), 2);
        assert_int_equal(events_cli_main(11, unknown_co), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_string_equal(out,
                            "yuqingctl events: 事件 1 未交办：部门“不存在局”未登记（请先在管理页"
                            "或用 yuqingctl users dept-add 添加）（department_unknown）\n"
                            "yuqingctl events: 事件 1 未交办：部门“不存在局”未登记（请先在管理页"
                            "或用 yuqingctl users dept-add 添加）（department_unknown）\n");
        assert_int_equal(count(e, "SELECT count(*) FROM tickets"), 0);
    }
    {
        char *assign[] = {"events", "assign", "1", "--lead", "市自然资源局", "--co", "市应急管理局",
                          "--opinion", "属实，请核查", "--by", "王值班", "--config", conf, NULL};
        saved = capture_begin(STDOUT_FILENO, out_path);
        assert_int_equal(events_cli_main(13, assign), 0);
        capture_end(STDOUT_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "YQ-2026-11-0001"));
    }
    {
        char *bad[] = {"events", "dismiss", "2", "--reason", "无聊", "--config", conf, NULL};
        char *other[] = {"events", "dismiss", "2", "--reason", "其他", "--config", conf, NULL};
        char *ok[] = {"events", "dismiss", "2",        "--reason", "误报",
                      "--by",   "李值班",  "--config", conf,       NULL};
        char *nobody[] = {"events", "dismiss", "2",        "--reason", "误报",
                          "--by",   "",        "--config", conf,       NULL};
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(7, bad), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        /* 其他 without --note: the precise cause and the tickets' code, not a list of causes */
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(7, other), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_string_equal(out, "yuqingctl events: 事件 2 未不予处置：原因为“其他”时须填写说明"
                                 "（note_required）\n");
        /* an empty --by is refused by its name, not only by a list of other reasons */
        saved = capture_begin(STDERR_FILENO, out_path);
        assert_int_equal(events_cli_main(9, nobody), 2);
        capture_end(STDERR_FILENO, saved, out_path, out, sizeof(out));
        assert_string_equal(out, "yuqingctl events: 事件 2 未不予处置：操作人须为 1 至 64 "
                                 "字节的文字（actor_invalid）\n");
        saved = capture_begin(STDOUT_FILENO, out_path);
        assert_int_equal(events_cli_main(9, ok), 0);
        capture_end(STDOUT_FILENO, saved, out_path, out, sizeof(out));
    }
    {
        /* --no-notify: said explicitly, the 交办 is done and nobody is told */
        char *quiet[] = {"events",   "assign", "3",    "--lead", "市自然资源局", "--by", "赵值班",
                         "--config", shipped,  "--db", db,       "--no-notify",  NULL};
        saved = capture_begin(STDOUT_FILENO, out_path);
        assert_int_equal(events_cli_main(12, quiet), 0);
        capture_end(STDOUT_FILENO, saved, out_path, out, sizeof(out));
        assert_non_null(strstr(out, "事件 3 已交办：交办单 YQ-2026-11-0002"));
    }
    assert_string_equal(
        rows(e, buf, sizeof(buf), ",", "SELECT state || ':' || judged_by FROM events ORDER BY id"),
        "assigned:王值班,dismissed:李值班,assigned:赵值班");
    /* the lead, the co-handling liaison and the duty officer of event 1; none of event 3 */
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE kind = 'created'"), 3);
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE ticket_id = (SELECT ticket_id "
                              "FROM events WHERE id = 3)"),
                     0);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT dismiss_reason FROM events WHERE id = 2"),
                        "false_alarm");
    cli_env_close(&ce);
}

/* Run cli (a yuqingctl subcommand's main) on argv (NULL-ended) with fd captured into out. */
static int run_cli(int (*cli)(int, char **), char **argv, int fd, const char *path, char *out,
                   size_t len)
{
    int argc = 0, saved, rc;

    while (argv[argc]) {
        argc++;
    }
    saved = capture_begin(fd, path);
    rc = cli(argc, argv);
    capture_end(fd, saved, path, out, len);
    return rc;
}

/*
 * The display text of every event_log action (event_read_log_text()): the stored note, kept as
 * it is, read into Chinese by the one label table (codes and key=value notes never show).
 */
static void test_event_log_text_of_each_action(void **state)
{
    static const struct {
        const char *actor, *action, *note, *want;
    } cases[] = {
        {"system", "created", "level=III department=市应急管理局 item_id=rss:feed1:abc",
         "系统 发现：级别 III 较大，市应急管理局，来源 网站"},
        {"system", "created", "level=II department= item_id=weibo:9",
         "系统 发现：级别 II 重大，待分派，来源 微博"},
        {"system", "created", "event of an existing ticket (created by an older notifier)",
         "系统 发现：由已有交办单生成"},
        {"system", "created", "【突增】征地拆迁 近1小时 23 条，基线 2.3 条/小时",
         "系统 发现：【突增】征地拆迁 近1小时 23 条，基线 2.3 条/小时"},
        {"system", "spike", "【突增】近1小时 12 条，基线 2.0 条/小时",
         "系统 突增：【突增】近1小时 12 条，基线 2.0 条/小时"},
        {"cli", "dismiss", "false_alarm", "cli 不予处置：原因 误报"},
        {"duty", "dismiss", "irrelevant：外地", "duty 不予处置：原因 与本地无关；外地"},
        {"duty", "dismiss", "other：重复报送", "duty 不予处置：原因 其他；重复报送"},
        {"王值班", "watch", "items=30 heat=0 quiet_s=3600；再看看",
         "王值班 持续关注：重新研判条件：信息达 30 条 沉寂 3600 秒后有新信息；再看看"},
        {"王值班", "watch", "items=0 heat=500 quiet_s=0",
         "王值班 持续关注：重新研判条件：热度达 500"},
        {"system", "resurfaced", "item_count 30 >= 30",
         "系统 重新提醒：信息量达到阈值（30 条，阈值 30 条）"},
        {"system", "resurfaced", "heat 612 >= 500",
         "系统 重新提醒：热度达到阈值（热度 612，阈值 500）"},
        {"system", "resurfaced", "new item after 7300 s quiet >= 7200 s",
         "系统 重新提醒：沉寂后出现新信息（沉寂 7300 秒，阈值 7200 秒）"},
        {"system", "level_raised", "level III -> II item_id=rss:f:1",
         "系统 级别升高：级别由 III 较大 升为 II 重大"},
        {"system", "auto_assigned", "desk policy: level II; ticket YQ-2026-12-0007",
         "系统 按规定直接交办：按研判策略自动交办 YQ-2026-12-0007（级别 II 重大）"},
        {"王值班", "assign", "YQ-2026-12-0008 → III 市应急管理局；研判意见：核实",
         "王值班 交办：YQ-2026-12-0008 → III 市应急管理局；研判意见：核实"},
        {"王值班", "confirm", "", "王值班 确认交办"},
        {"王值班", "merge", "→ 事件 #3：2 条信息", "王值班 并入：→ 事件 #3：2 条信息"},
        {"王值班", "merged_in", "← 事件 #4 并入：2 条信息",
         "王值班 被并入：← 事件 #4 并入：2 条信息"},
        {"system", "judge_reminded", "研判超时：已提醒值班室",
         "系统 研判超时提醒：研判超时：已提醒值班室"},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *t = event_read_log_text(cases[i].actor, cases[i].action, cases[i].note);
        if (!json_is_string(t) || strcmp(json_string_value(t), cases[i].want) != 0) {
            fail_msg("%s %s: %s, want %s", cases[i].action, cases[i].note,
                     json_is_string(t) ? json_string_value(t) : "(none)", cases[i].want);
        }
        json_decref(t);
    }
}

/*
 * `yuqingctl events show --json` prints the API's event JSON (event_read_detail(), GET
 * /api/inbox/ID): dismiss_reason_label, dismiss_note, outcome_label, log entries with RFC 3339
 * "at", from_state/to_state and text (it printed its own shape: display "at", from/to), and
 * the page's hot words as the web counts them (it printed "hot_words": [], looking like an event
 * without any: the CLI did not load the segmenter).
 */
static void test_events_show_json_is_the_api_event(void **state)
{
    struct alert_in a = {"ev:json1", "weibo:json1", "IV", "2026-11-29T08:00:00Z", NULL, -1, 0,
                         0,          NULL};
    char out[65536], id[16];
    struct cli_env ce;
    char *const conf = ce.conf, *const path = ce.out_path;
    json_t *cli, *api, *log, *last;
    char *dismiss[] = {"events", "dismiss", id,       "--reason", "与本地无关", "--note",
                       "外地",   "--by",    "李值班", "--config", conf,         NULL};
    char *show[] = {"events", "show", id, "--json", "--config", conf, NULL};

    (void)state;
    cli_env_open(&ce);
    assert_int_equal(take(&ce.e, &a, 100, NULL), 0);
    snprintf(id, sizeof(id), "%lld",
             (long long)count(&ce.e, "SELECT id FROM events WHERE event_key = 'ev:json1'"));
    assert_int_equal(run_cli(events_cli_main, dismiss, STDOUT_FILENO, path, out, sizeof(out)), 0);
    assert_int_equal(run_cli(events_cli_main, show, STDOUT_FILENO, path, out, sizeof(out)), 0);
    cli = json_loads(out, 0, NULL);
    assert_non_null(cli);
    assert_int_equal(event_read_detail(ce.e.store, strtoll(id, NULL, 10), yq_time_now(), &api), 0);
    {
        /* the web's hot words: event_read_texts() under its lock, then event_words_fill_page() */
        char **texts = NULL;
        size_t n = 0;
        assert_int_equal(event_read_texts(ce.e.store, strtoll(id, NULL, 10),
                                          EVENT_READ_MAX_WORD_TEXTS, &texts, &n),
                         0);
        assert_int_equal(n, 1);
        assert_int_equal(event_words_fill_page(api, texts, n), 0);
        event_read_texts_release(texts, n);
    }
    /* one encoder: the same JSON, hot words included */
    assert_true(json_equal(cli, api));
    {
        char words[256] = "";
        size_t i, at = 0;
        json_t *w;
        json_array_foreach(json_object_get(cli, "hot_words"), i, w)
        {
            at += (size_t)snprintf(words + at, sizeof(words) - at, "%s%s:%lld", i ? "," : "",
                                   json_string_value(json_object_get(w, "word")),
                                   (long long)json_integer_value(json_object_get(w, "count")));
        }
        /* the item's title, 汉滨区征地补偿款迟迟未发放, in friso's words */
        assert_string_equal(words, "征地:1,未发:1,汉滨:1,汉滨区:1,补偿:1,迟迟:1");
    }
    {
        /* and in words without --json */
        char *text[] = {"events", "show", id, "--config", conf, NULL};
        char page[65536];
        assert_int_equal(run_cli(events_cli_main, text, STDOUT_FILENO, path, page, sizeof(page)),
                         0);
        assert_non_null(strstr(page, "\n热词 征地 1、未发 1、汉滨 1、汉滨区 1、补偿 1、迟迟 1\n"));
    }
    assert_string_equal(json_string_value(json_object_get(cli, "dismiss_reason")), "irrelevant");
    assert_string_equal(json_string_value(json_object_get(cli, "dismiss_reason_label")),
                        "与本地无关");
    assert_string_equal(json_string_value(json_object_get(cli, "dismiss_note")), "外地");
    assert_string_equal(json_string_value(json_object_get(cli, "outcome_label")), "不予处置");
    log = json_object_get(cli, "log");
    assert_int_equal(json_array_size(log), 2);
    last = json_array_get(log, 1);
    assert_non_null(strstr(json_string_value(json_object_get(last, "at")), "+08:00"));
    assert_int_equal(json_string_length(json_object_get(last, "at")), 25);
    assert_string_equal(json_string_value(json_object_get(last, "from_state")), "pending");
    assert_string_equal(json_string_value(json_object_get(last, "to_state")), "dismissed");
    assert_null(json_object_get(last, "from"));
    assert_string_equal(json_string_value(json_object_get(last, "note")), "irrelevant：外地");
    assert_string_equal(json_string_value(json_object_get(last, "text")),
                        "李值班 不予处置：原因 与本地无关；外地");
    assert_string_equal(json_string_value(json_object_get(json_array_get(log, 0), "text")),
                        "系统 发现：级别 IV 一般，市自然资源局，来源 微博");
    json_decref(cli);
    json_decref(api);
    cli_env_close(&ce);
}

/*
 * Issue #11: one label per dismiss reason for tickets and 研判 events (与本地无关 was 与我无关
 * for events, 超出职责范围 was 不属管辖). For every reason of the one table, an event dismissed
 * with `yuqingctl events` and its ticket dismissed with `yuqingctl tickets`, each given the
 * label, print the table's label, as the event's JSON does (dismiss_reason_label); a refused
 * reason lists the same labels; the desk's former labels are still read.
 */
static void test_issue_11_one_dismiss_label_for_tickets_and_events(void **state)
{
    const struct yq_label *reasons;
    size_t n_reasons;
    char out[8192], buf[256], want[256], ticket[64], id_a[16], id_b[16];
    struct cli_env ce;
    char *const conf = ce.conf, *const path = ce.out_path;
    struct notifier_env *const e = &ce.e;

    (void)state;
    reasons = yq_label_table(YQ_LABEL_DISMISS_REASON, &n_reasons);
    assert_int_equal(n_reasons, 5);
    cli_env_open(&ce);
    {
        /* a refused reason names the table's labels */
        char *bad[] = {"events", "dismiss", "1", "--reason", "无聊", "--config", conf, NULL};
        assert_int_equal(run_cli(events_cli_main, bad, STDERR_FILENO, path, out, sizeof(out)), 2);
        assert_string_equal(out,
                            "yuqingctl events: --reason 须为 与本地无关、重复、误报、超出职责范围、"
                            "其他 (irrelevant, duplicate, false_alarm, out_of_scope, other)\n");
    }
    for (size_t i = 0; i < n_reasons; i++) {
        struct alert_in a = {NULL, NULL, "IV", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
        char key[32], item[32];
        char *note = strcmp(reasons[i].code, "other") == 0 ? "见说明" : "";
        char *ev_dismiss[] = {"events", "dismiss", id_a,   "--reason", (char *)reasons[i].label,
                              "--note", note,      "--by", "李值班",   "--config",
                              conf,     NULL};
        char *ev_show[] = {"events", "show", id_a, "--config", conf, NULL};
        char *assign[] = {"events", "assign", id_b,       "--lead", "市自然资源局",
                          "--by",   "王值班", "--config", conf,     NULL};
        char *tk_dismiss[] = {"tickets", "dismiss", ticket, "--reason", (char *)reasons[i].label,
                              "--note",  note,      "--as", "李值班",   "--config",
                              conf,      NULL};
        char *tk_show[] = {"tickets", "show", ticket, "--config", conf, NULL};

        for (int k = 0; k < 2; k++) {
            snprintf(key, sizeof(key), "ev:lbl%zu%c", i, "ab"[k]);
            snprintf(item, sizeof(item), "wb:lbl%zu%c", i, "ab"[k]);
            a.key = key;
            a.item = item;
            assert_int_equal(take(e, &a, 100, NULL), 0);
            snprintf(k ? id_b : id_a, sizeof(id_a), "%lld",
                     (long long)count(e, "SELECT id FROM events WHERE event_key = '%s'", key));
        }
        /* the event: dismissed by its label, shown with it */
        assert_int_equal(
            run_cli(events_cli_main, ev_dismiss, STDOUT_FILENO, path, out, sizeof(out)), 0);
        snprintf(want, sizeof(want), "事件 %s 不予处置（%s）\n", id_a, reasons[i].label);
        assert_string_equal(out, want);
        assert_string_equal(
            text(e, buf, sizeof(buf), "SELECT dismiss_reason FROM events WHERE id = %s", id_a),
            reasons[i].code);
        assert_int_equal(run_cli(events_cli_main, ev_show, STDOUT_FILENO, path, out, sizeof(out)),
                         0);
        snprintf(want, sizeof(want), "不予处置原因 %s\n", reasons[i].label);
        assert_non_null(strstr(out, want));
        /* its log entry by the label too (was the stored code: "李值班  不予处置  false_alarm") */
        snprintf(want, sizeof(want), " 李值班 不予处置：原因 %s%s%s\n", reasons[i].label,
                 note[0] ? "；" : "", note);
        assert_non_null(strstr(out, want));
        assert_null(strstr(out, reasons[i].code));
        snprintf(want, sizeof(want), "不予处置原因 %s\n", reasons[i].label);
        /* the ticket of the other event: the same label in, the same label out */
        assert_int_equal(run_cli(events_cli_main, assign, STDOUT_FILENO, path, out, sizeof(out)),
                         0);
        text(e, ticket, sizeof(ticket),
             "SELECT t.number FROM tickets t JOIN events v ON v.ticket_id = t.id WHERE v.id = %s",
             id_b);
        assert_int_equal(
            run_cli(tickets_cli_main, tk_dismiss, STDOUT_FILENO, path, out, sizeof(out)), 0);
        assert_int_equal(run_cli(tickets_cli_main, tk_show, STDOUT_FILENO, path, out, sizeof(out)),
                         0);
        assert_non_null(strstr(out, want));
        assert_string_equal(text(e, buf, sizeof(buf),
                                 "SELECT dismiss_reason FROM tickets WHERE number = '%s'", ticket),
                            reasons[i].code);
    }
    /* the desk's former labels are still read, and never shown */
    assert_string_equal(yq_label_code(YQ_LABEL_DISMISS_REASON, "与我无关"), "irrelevant");
    assert_string_equal(yq_label_code(YQ_LABEL_DISMISS_REASON, "不属管辖"), "out_of_scope");
    assert_string_equal(yq_label(YQ_LABEL_DISMISS_REASON, "irrelevant"), "与本地无关");
    assert_false(yq_label_known_code(YQ_LABEL_DISMISS_REASON, "与我无关"));
    cli_env_close(&ce);
}

/*
 * `yuqingctl events`: an unknown command, a word too many or an ID missing is refused by the
 * command's name (exit 2) before the store is opened: this store does not exist.
 */
static void test_events_cli_bad_commands_before_store(void **state)
{
    static const struct {
        char *argv[6];
        const char *first_line;
    } cases[] = {
        {{"events", "frobnicate", "--db", "/nonexistent/tickets.db"},
         "未知命令 'frobnicate' (unknown command)"},
        {{"events", "frobnicate", "3", "--db", "/nonexistent/tickets.db"},
         "未知命令 'frobnicate' (unknown command)"},
        {{"events", "list", "extra", "--db", "/nonexistent/tickets.db"},
         "list 多余的参数 'extra' (list takes no argument: unexpected 'extra')"},
        {{"events", "show", "--db", "/nonexistent/tickets.db"}, "show 须给出 ID (show needs ID)"},
        {{"events", "dismiss", "--reason", "误报"}, "dismiss 须给出 ID (dismiss needs ID)"},
    };
    char dir[64], path[160], err[4096], want[256];

    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/yq-events-cli-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/err.txt", dir);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(
            capture_run(events_cli_main, cases[i].argv, 6, STDERR_FILENO, path, err, sizeof(err)),
            2);
        snprintf(want, sizeof(want), "yuqingctl events: %s\n", cases[i].first_line);
        if (strncmp(err, want, strlen(want)) != 0) {
            fail_msg("case %zu: '%s', want '%s'", i, err, want);
        }
    }
    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void test_state_names_and_labels(void **state)
{
    enum event_state s;
    static const char *const labels[] = {"", "待研判", "交办待确认", "已交办",
                                         "持续关注", "已并入", "不予处置"};

    (void)state;
    for (int i = EVENT_PENDING; i <= EVENT_DISMISSED; i++) {
        assert_int_equal(event_state_parse(event_state_name((enum event_state)i), &s), 0);
        assert_int_equal(s, i);
        assert_string_equal(event_state_label((enum event_state)i), labels[i]);
    }
    assert_null(event_state_name((enum event_state)0));
    assert_null(event_state_label((enum event_state)9));
    assert_int_equal(event_state_parse("open", &s), ERR_INVALID);
    assert_int_equal(event_state_parse(NULL, &s), ERR_INVALID);
    assert_string_equal(yq_label(YQ_LABEL_NOTIFY_KIND, "judge_overdue"), "研判超时");
    assert_string_equal(yq_label_kind_name(YQ_LABEL_EVENT_STATE), "event_states");
}

/*
 * Review of issue #13: a more serious alert for an event waiting in the inbox, or dismissed,
 * raises its level and brings it back; when the policy hands the new level over at once the
 * ticket opens, its statutory clocks from the event's detection, 签收 from the handover.
 * Nothing is merged into a dismissed event.
 */
static void test_more_serious_alert_raises_the_event(void **state)
{
    struct notifier_env *e = *state;
    struct ticket_intake_result res;
    struct alert_in a = {"ev:r", "wb:r1", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    struct alert_in b = {"ev:d", "wb:d1", "III", "2026-11-29T08:00:00Z", NULL, -1, 0, 0, NULL};
    int64_t t0 = notifier_ts("2026-11-29T08:00:00Z");
    int64_t ev_r, ev_d, ev_x;
    char buf[256];

    assert_int_equal(take(e, &a, t0 + 5, &res), 0);
    ev_r = res.event_id;
    /* a level I item on the same event two hours later */
    a.item = "wb:r2";
    a.level = "I";
    a.matched = "2026-11-29T10:00:00Z";
    assert_int_equal(take(e, &a, t0 + 2 * HOUR + 5, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_int_equal(res.event_id, ev_r);
    assert_string_equal(text(e, buf, sizeof(buf),
                             "SELECT state || level FROM events WHERE id = %lld", (long long)ev_r),
                        "auto_assignedI");
    assert_int_equal(count(e, "SELECT detected_at FROM tickets"), t0);
    assert_int_equal(count(e, "SELECT response_deadline FROM tickets"), t0 + 5 * HOUR);
    assert_int_equal(count(e, "SELECT ack_deadline FROM tickets"), t0 + 3 * HOUR);
    assert_string_equal(text(e, buf, sizeof(buf), "SELECT event_key FROM tickets"), "ev:r");
    assert_int_equal(count(e, "SELECT count(*) FROM outbox WHERE kind = 'created'"), 2);
    assert_int_equal(count(e, "SELECT count(*) FROM event_log WHERE action = 'level_raised' AND "
                              "from_state = 'pending' AND note LIKE 'level III -> I %%'"),
                     1);

    /* a dismissed event comes back when a more serious item arrives */
    assert_int_equal(take(e, &b, t0 + 5, &res), 0);
    ev_d = res.event_id;
    assert_int_equal(event_dismiss(e->store, ev_d, &duty, "false_alarm", NULL, -1, t0 + 60), 0);
    /* nothing is merged into it */
    b.key = "ev:x";
    b.item = "wb:x1";
    assert_int_equal(take(e, &b, t0 + 70, &res), 0);
    ev_x = res.event_id;
    assert_int_equal(event_merge(e->store, ev_x, &duty, ev_d, 0, NULL, -1, t0 + 80), ERR_BAD_STATE);
    assert_string_equal(
        text(e, buf, sizeof(buf), "SELECT state FROM events WHERE id = %lld", (long long)ev_x),
        "pending");
    /* a level III item changes nothing on the dismissed event; a level II one brings it back */
    b.key = "ev:d";
    b.item = "wb:d2";
    assert_int_equal(take(e, &b, t0 + 90, &res), 0);
    assert_string_equal(
        text(e, buf, sizeof(buf), "SELECT state FROM events WHERE id = %lld", (long long)ev_d),
        "dismissed");
    b.item = "wb:d3";
    b.level = "II";
    assert_int_equal(take(e, &b, t0 + 100, &res), 0);
    assert_int_equal(res.outcome, TICKET_INTAKE_CREATED);
    assert_string_equal(
        text(e, buf, sizeof(buf),
             "SELECT state || level || resurface_reason FROM events WHERE id = %lld",
             (long long)ev_d),
        "auto_assignedIIlevel");
    assert_int_equal(count(e,
                           "SELECT count(*) FROM event_log WHERE event_id = %lld AND action = "
                           "'level_raised' AND from_state = 'dismissed'",
                           (long long)ev_d),
                     1);
}

int main(void)
{
    /* each on an env of its own (notifier_env_run_tests()) */
    struct CMUnitTest env_tests[] = {
        cmocka_unit_test(test_level_iii_waits_in_the_inbox),
        cmocka_unit_test(test_level_ii_is_handed_over_at_once),
        cmocka_unit_test(test_redelivered_alert_changes_nothing),
        cmocka_unit_test(test_assign_late_keeps_statutory_clocks_from_detection),
        cmocka_unit_test(test_assign_rejections),
        cmocka_unit_test(test_confirm_auto_assigned),
        cmocka_unit_test(test_dismiss),
        cmocka_unit_test(test_watch_thresholds_resurface_exactly),
        cmocka_unit_test(test_merge_moves_items_and_heat),
        cmocka_unit_test(test_merge_takes_more_serious_level_and_earlier_detection),
        cmocka_unit_test(test_merge_moves_spike_counts),
        cmocka_unit_test(test_repost_without_match_is_an_item_of_its_event),
        cmocka_unit_test(test_judge_reminder_once),
        cmocka_unit_test(test_judge_deadline_only_while_awaiting_judgement),
        cmocka_unit_test(test_event_log_is_append_only),
        cmocka_unit_test(test_ticket_without_event_gets_one),
        cmocka_unit_test(test_silence_stops_new_events_only),
        cmocka_unit_test(test_item_sentiment_and_negative_count),
        cmocka_unit_test(test_more_serious_alert_raises_the_event),
        cmocka_unit_test(test_corrupt_rule_groups_and_source_kinds_match_nothing),
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_rule_groups_and_parse),
        cmocka_unit_test(test_events_cli),
        cmocka_unit_test(test_issue_11_one_dismiss_label_for_tickets_and_events),
        cmocka_unit_test(test_event_log_text_of_each_action),
        cmocka_unit_test(test_events_show_json_is_the_api_event),
        cmocka_unit_test(test_events_cli_bad_commands_before_store),
        cmocka_unit_test(test_state_names_and_labels),
    };

    return notifier_env_run_tests("event_flow_env", env_tests,
                                  sizeof(env_tests) / sizeof(env_tests[0]), &env_spec) +
           cmocka_run_group_tests_name("event_flow", tests, NULL, NULL);
}
