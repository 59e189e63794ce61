#include "ticket_fixture.h"
#include "db_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "desk_policy.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web_notifier_ops.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"

const struct web_ticket_ops *const ticket_fixture_ops = &web_notifier_ops;

struct ticket_fixture *ticket_fixture_new(void)
{
    struct ticket_fixture *tf = calloc(1, sizeof(*tf));
    struct ticket_store_cfg cfg;
    char err[256] = "";
    int fd;

    if (!tf) {
        return NULL;
    }
    snprintf(tf->path, sizeof(tf->path), "/tmp/yq-web-tickets-XXXXXX");
    fd = mkstemp(tf->path);
    if (fd < 0) {
        free(tf);
        return NULL;
    }
    close(fd);
    unlink(tf->path); /* ticket_store_init() creates it with its own mode */
    if (db_fixture_pg()) {
        char file_path[sizeof(tf->path)];
        snprintf(file_path, sizeof(file_path), "%s", tf->path);
        db_fixture_new(tf->path, sizeof(tf->path), file_path);
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.path = tf->path;
    cfg.busy_timeout_ms = 5000;
    if (ticket_store_init(&cfg, NULL, err, sizeof(err)) != 0 ||
        ticket_store_open(&cfg, &tf->writer, err, sizeof(err)) != 0 ||
        ticket_store_open_readonly(&cfg, &tf->reader, err, sizeof(err)) != 0) {
        fprintf(stderr, "ticket fixture: %s\n", err);
        ticket_fixture_free(tf);
        return NULL;
    }
    /* the fixture's alerts are tickets: every level is handed over at intake (issue #13) */
    tf->policy.desk = desk_policy_hand_over_all();
    ticket_store_set_policy(tf->writer, &tf->policy);
    pthread_mutex_init(&tf->lock, NULL);
    tf->ctx.reader = tf->reader;
    tf->ctx.writer = tf->writer;
    tf->ctx.lock = &tf->lock;
    tf->ctx.max_items = 20;
    /* the intake's flags as a notifier whose consumer reached Kafka: every dependency up */
    notifier_metrics_init(&tf->metrics, yq_time_now_ms());
    notifier_dep_set(&tf->metrics.kafka_up, 1, yq_time_now_ms());
    tf->ctx.metrics = &tf->metrics;
    return tf;
}

void ticket_fixture_free(struct ticket_fixture *tf)
{
    if (!tf) {
        return;
    }
    if (tf->ctx.lock) {
        pthread_mutex_destroy(&tf->lock);
    }
    ticket_store_free(tf->reader);
    ticket_store_free(tf->writer);
    ticket_fixture_remove_db(tf->path);
    free(tf);
}

void ticket_fixture_remove_db(const char *path)
{
    if (db_fixture_pg()) {
        db_fixture_drop(path);
        return;
    }
    static const char *const suffix[] = {"", "-wal", "-shm"};
    char p[160];

    for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", path, suffix[i]);
        unlink(p);
    }
}

void *ticket_fixture_ctx(struct ticket_fixture *tf)
{
    return &tf->ctx;
}

static const char *sget(json_t *o, const char *key, const char *def)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : def;
}

/* Code points of s before byte offset n. */
static size_t cp_count(const char *s, size_t n)
{
    size_t cp = 0;
    for (size_t i = 0; i < n; i++) {
        cp += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return cp;
}

/* The matcher's "terms" of a match: each term of terms with its place in text (or title). */
static json_t *term_list(json_t *terms, const char *title, const char *text)
{
    json_t *out = json_array(), *t;
    size_t i;

    json_array_foreach(terms, i, t)
    {
        const char *term = json_string_value(t), *in_text, *in_title;
        if (!term || !term[0]) {
            continue;
        }
        in_text = strstr(text, term);
        in_title = in_text ? NULL : strstr(title, term);
        json_array_append_new(
            out, json_pack("{s:s,s:s,s:I,s:I}", "term", term, "field", in_text ? "text" : "title",
                           "start",
                           (json_int_t)(in_text    ? cp_count(text, (size_t)(in_text - text))
                                        : in_title ? cp_count(title, (size_t)(in_title - title))
                                                   : 0),
                           "end",
                           (json_int_t)((in_text    ? cp_count(text, (size_t)(in_text - text))
                                         : in_title ? cp_count(title, (size_t)(in_title - title))
                                                    : 0) +
                                        cp_count(term, strlen(term)))));
    }
    return out;
}

/* One alert of spec for item (both borrowed) into the store. Lock held. */
static int add_item(struct ticket_fixture *tf, json_t *spec, json_t *item, const char *event_key,
                    int64_t detected, struct ticket_intake_result *res)
{
    const char *level = sget(spec, "level", "IV"), *dept = sget(spec, "department", "");
    const char *title = sget(item, "title", sget(spec, "title", "")), *kind;
    const char *text = sget(item, "excerpt", sget(spec, "excerpt", ""));
    const char *published = sget(item, "published_at", NULL);
    char item_id[96], matched[32], fetched[32], err[256];
    json_t *alert, *matches, *co, *d, *rules, *terms = json_object_get(item, "terms");
    int64_t fetched_at = detected, pub = 0;
    struct yq_alert a;
    char *buf;
    size_t i;
    int rc;

    kind = sget(item, "source", sget(spec, "source", "rss"));
    snprintf(item_id, sizeof(item_id), "%s", sget(item, "item_id", ""));
    if (!item_id[0]) {
        snprintf(item_id, sizeof(item_id), "%s:fixture-%lld", kind, (long long)tf->seq);
    }
    /* a post published long before it was fetched is held, not ticketed: fetch it then */
    if (published && yq_time_parse_iso(published, &pub, NULL) == 0 && pub < fetched_at - 3600) {
        fetched_at = pub + 60;
    }
    rules = json_object_get(item, "rules") ? json_object_get(item, "rules")
                                           : json_object_get(spec, "rules");
    matches = json_array();
    json_array_append_new(
        matches,
        json_pack("{s:s,s:s,s:s,s:s,s:o}", "rule_id",
                  json_string_value(json_array_get(rules, 0))
                      ? json_string_value(json_array_get(rules, 0))
                      : "fixture-rule",
                  "name",
                  json_string_value(json_array_get(json_object_get(item, "rule_names"), 0))
                      ? json_string_value(json_array_get(json_object_get(item, "rule_names"), 0))
                      : "测试规则",
                  "department", dept, "level", level, "terms",
                  term_list(terms ? terms : json_object_get(spec, "terms"), title, text)));
    co = json_object_get(spec, "co_departments");
    json_array_foreach(co, i, d)
    {
        if (json_is_string(d)) {
            json_array_append_new(matches,
                                  json_pack("{s:s,s:s,s:s,s:s,s:[]}", "rule_id", "fixture-co",
                                            "name", "协办规则", "department", json_string_value(d),
                                            "level", level, "terms"));
        }
    }
    alert = json_pack(
        "{s:i,s:s,s:{s:b,s:i},s:i,s:s,s:f,s:s,s:s,s:o,"
        "s:{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s*,s:s,s:s}}",
        "schema", 1, "event_key", event_key, "event", "new", 1, "items", 1, "rules_version", 1,
        "matched_at", yq_time_format_utc(detected, matched, sizeof(matched)), "score", 40.0,
        "level", level, "department", dept, "matches", matches, "item", "schema", 1, "id", item_id,
        "source", kind, "source_id", sget(item, "source_id", sget(spec, "source_id", "fixture")),
        "channel", sget(item, "channel", sget(spec, "channel", "")), "url",
        sget(item, "url", sget(spec, "url", "")), "title", title, "text", text, "author",
        sget(item, "author", sget(spec, "author", "")), "published_at", published,
        "published_precision", "second", "fetched_at",
        yq_time_format_utc(fetched_at, fetched, sizeof(fetched)));
    buf = alert ? yq_json_dumps(alert, JSON_COMPACT) : NULL;
    json_decref(alert);
    if (!buf) {
        return ERR_INVALID;
    }
    rc = yq_alert_decode(buf, strlen(buf), &a, err, sizeof(err));
    free(buf);
    if (rc) {
        fprintf(stderr, "ticket fixture: %s\n", err);
        return rc;
    }
    rc = ticket_intake_alert(tf->writer, &a, detected, res);
    yq_alert_release(&a);
    return rc;
}

int ticket_fixture_add(struct ticket_fixture *tf, json_t *spec, char *number_out)
{
    json_t *det = json_object_get(spec, "detected_at"), *items = json_object_get(spec, "items");
    int64_t detected = json_is_integer(det) ? json_integer_value(det) : yq_time_now();
    struct ticket_intake_result res;
    char event_key[48];
    size_t i;
    json_t *item;
    int err = 0;

    if (!json_is_object(spec)) {
        return ERR_INVALID;
    }
    memset(&res, 0, sizeof(res));
    pthread_mutex_lock(&tf->lock);
    snprintf(event_key, sizeof(event_key), "fixture:%lld", (long long)++tf->seq);
    if (json_array_size(items) == 0) {
        err = add_item(tf, spec, spec, event_key, detected, &res);
    }
    json_array_foreach(items, i, item)
    {
        if (!err) {
            tf->seq++;
            err = add_item(tf, spec, item, event_key, detected, &res);
        }
    }
    pthread_mutex_unlock(&tf->lock);
    if (!err && res.outcome != TICKET_INTAKE_CREATED && res.outcome != TICKET_INTAKE_ATTACHED) {
        err = ERR_INVALID; /* held or a duplicate item: no ticket to show */
    }
    if (!err && number_out) {
        snprintf(number_out, 32, "%s", res.number);
    }
    return err;
}

int64_t ticket_fixture_changes(struct ticket_fixture *tf)
{
    struct yq_stmt *st = NULL;
    int64_t n = -1;

    pthread_mutex_lock(&tf->lock);
    if (yq_stmt_prepare(ticket_store_db(tf->writer), "SELECT count(*) FROM ticket_log WHERE actor <> 'system'", &st) == YQ_DB_OK &&
        yq_stmt_step(st) == YQ_DB_ROW) {
        n = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    pthread_mutex_unlock(&tf->lock);
    return n;
}
