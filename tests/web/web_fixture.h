/*
 * The web tests' common fixture: a web layer on a fresh temporary database over the notifier's
 * real ticket store (ticket_fixture.h), served on an ephemeral loopback port (test_server.h),
 * and removed with its database files afterwards. Failures end the test (cmocka).
 */
#ifndef TEST_WEB_WEB_FIXTURE_H
#define TEST_WEB_WEB_FIXTURE_H

#include <stdbool.h>
#include <stddef.h>


#include "ticket_fixture.h"
#include "test_server.h"
#include "web.h"
#include "yq_alert.h"

struct web_fixture {
    struct web *w;
    struct ticket_fixture *ft;
    struct test_server *srv;
    unsigned port; /* the server's, once web_fixture_serve() ran */
    char dbpath[64];
};

/*
 * The settings the API tests run with (cfg: caller storage, zeroed first): quick password
 * hashing, hour-long sessions, 3 failed logins per user and 50 per address in 15 minutes,
 * 2 concurrent logins, 64 KiB bodies, 100 tickets a list, 100 ms event polls; no Redis and
 * none of the connection guards (0 = no cap).
 */
void web_fixture_cfg(struct web_cfg *cfg);

/*
 * The shipped settings (web_cfg_keys' defaults; cfg: caller storage, zeroed first) with
 * sources and rules off and the cheapest password hash (opslimit 1, memlimit 8192): what the
 * tests that start from the defaults share. Release with cfg_release(web_cfg_keys, cfg).
 */
void web_fixture_shipped_cfg(struct web_cfg *cfg);

/*
 * Point rcfg (a web_cfg's redis, or a test's own connection) at a Redis on
 * 127.0.0.1:redis_port (a redis_fixture's), with 10 s connect and command timeouts: a loaded
 * machine must not make a slow answer read as "Redis down" (issue #10). The host is a static
 * string; the other fields are left as they are.
 */
void web_fixture_redis_cfg(struct yq_redis_cfg *rcfg, int redis_port);

/*
 * Compile yaml (NUL-terminated, borrowed; the rule file named file) into a rule set and push
 * it, by "test", as the current rule set of the Redis on 127.0.0.1:redis_port. Fails the
 * test on error. Returns the version pushed.
 */
int64_t web_fixture_push_rules(int redis_port, const char *file, const char *yaml);

/*
 * Open a web with cfg (borrowed) on a new database /tmp/<prefix>XXXXXX over a new ticket store
 * (ticket_fixture_new()). f: caller storage (zeroed first).
 */
void web_fixture_open(struct web_fixture *f, const struct web_cfg *cfg, const char *prefix);

/* Add a user (role "admin", "duty_officer", "liaison", "head"; department may be NULL). */
void web_fixture_user(struct web_fixture *f, const char *name, const char *role,
                      const char *department, const char *password);

/* Serve f->w; connection_limit 0 = libmicrohttpd's default. Sets f->port. */
void web_fixture_serve(struct web_fixture *f, unsigned connection_limit);

/*
 * A web over the caller's own ticket store seam (ops and ctx borrowed, e.g. the notifier's
 * web_notifier_ops), on the database dbpath, with the settings the notifier tests use (quick
 * password hashing, no Redis, 100 ms event polls), the departments dept_a and dept_b, and the
 * users duty1 (duty-password-1), liaison-a of dept_a (liaison-password-a) and, when admin,
 * admin1 (admin-password-1). Fails the test on error. New web: web_free().
 */
struct web *web_fixture_web_over(const char *dbpath, const struct web_ticket_ops *ops, void *ctx,
                                 const char *dept_a, const char *dept_b, bool admin);

/*
 * Serve f->ft (the caller's ticket_fixture_new(), filled as the test needs) through its
 * ops, exactly as the notifier serves it: web_fixture_web_over() on the store's own database
 * file, then web_fixture_serve(). Sets f->w, f->srv and f->port; web_fixture_close() ends it
 * all. Fails the test on error.
 */
void web_fixture_serve_store(struct web_fixture *f, const char *dept_a, const char *dept_b,
                             bool admin);

/* Stop the server, free the web and the ticket store, remove the database files. */
void web_fixture_close(struct web_fixture *f);

/* What differs between the test alerts of web_fixture_alert(). */
struct web_fixture_alert_spec {
    const char *key;        /* the event is ev:<key> */
    const char *department; /* the alert's and its rule's */
    const char *rule_id;
    const char *item_id;   /* "rss:a1" */
    const char *source_id; /* "ak-news" */
    const char *url;
    const char *title;
    const char *text;
    /* optional (NULL: the default named at web_fixture_alert()) */
    const char *level;        /* the alert's and its match's: "III" */
    const char *rule_name;    /* "测试规则" */
    const char *published_at; /* the item's, as JSON: null */
    const char *extra;        /* more members of the alert, each after a comma: none */
    const char *item_extra;   /* more members of the item, each after a comma: none */
};

/*
 * Into out (released with yq_alert_release()): an alert as the matcher sends it, decoded with
 * yq_alert_decode(): level III, score 40, rules version 3, one match of rule spec->rule_id
 * ("测试规则", level III, the term 征地 at text 2..4), a new event of one item: an rss item of
 * channel 安康新闻网 without author or date, matched and fetched 10 minutes ago; spec's
 * optional fields change the level, the rule's name and the date, or add members (e.g.
 * ",\"official\":true"). Fails the test when it does not decode.
 */
void web_fixture_alert(const struct web_fixture_alert_spec *spec, struct yq_alert *out);

/*
 * Run sql (one or more statements) on db, a test's own connection to f's store, holding the
 * store's writer lock as the notifier does; an error fails the test with the SQL.
 */
void web_fixture_exec(struct web_fixture *f, struct yq_db *db, const char *sql);

/*
 * A cmocka teardown for a test state (*state, calloc'ed) whose first member is a struct
 * web_fixture: web_fixture_close() it, then free the state. Returns 0.
 */
int web_fixture_teardown(void **state);

#endif
