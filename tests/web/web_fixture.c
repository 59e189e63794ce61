#include "web_fixture.h"
#include "yq_db.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notifier_fixture.h"
#include "rules.h"
#include "rules_store.h"
#include "sqlite_fixture.h"
#include "yq_redis.h"
#include "yq_time.h"

void web_fixture_cfg(struct web_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->max_body_bytes = 65536;
    cfg->max_tickets = 100;
    cfg->sse_poll_ms = 100;
    cfg->sse_max_stream_ms = 10000;
    cfg->sse_max_streams = 48;
    cfg->sse_max_streams_per_user = 4;
    /* the auth tests' login settings, but hour-long sessions and 50 failures per address */
    cfg->auth = notifier_fixture_auth_cfg();
    cfg->auth.session_ttl_ms = 3600000;
    cfg->auth.session_idle_ms = 3600000;
    cfg->auth.login_ip_max_failures = 50;
}

void web_fixture_shipped_cfg(struct web_cfg *cfg)
{
    char err[256] = "";

    memset(cfg, 0, sizeof(*cfg));
    if (cfg_fill(web_cfg_keys, cfg, NULL, NULL, err, sizeof(err)) != 0) {
        fail_msg("web defaults: %s", err);
    }
    cfg->sources_enabled = false;
    cfg->rules_enabled = false;
    cfg->auth.pwhash_opslimit = 1;
    cfg->auth.pwhash_memlimit = 8192;
}

void web_fixture_redis_cfg(struct yq_redis_cfg *rcfg, int redis_port)
{
    rcfg->host = (char *)"127.0.0.1";
    rcfg->port = redis_port;
    rcfg->connect_timeout_ms = 10000;
    rcfg->command_timeout_ms = 10000;
}

int64_t web_fixture_push_rules(int redis_port, const char *file, const char *yaml)
{
    struct yq_redis_cfg rcfg;
    struct yq_redis *r;
    struct rule_set *rs = rule_set_new();
    char err[256] = "";
    int64_t version = 0;

    assert_non_null(rs);
    if (rule_set_add_yaml(rs, file, yaml, strlen(yaml), err, sizeof(err)) != 0 ||
        rule_set_compile(rs, err, sizeof(err)) != 0) {
        fail_msg("rules %s: %s", file, err);
    }
    memset(&rcfg, 0, sizeof(rcfg));
    web_fixture_redis_cfg(&rcfg, redis_port);
    r = yq_redis_new(&rcfg);
    assert_non_null(r);
    if (rules_store_push(r, rs, "test", yq_time_now(), &version, err, sizeof(err)) != 0) {
        fail_msg("rules_store_push: %s", err);
    }
    yq_redis_free(r);
    rule_set_free(rs);
    return version;
}

void web_fixture_open(struct web_fixture *f, const struct web_cfg *cfg, const char *prefix)
{
    char err[256] = "";
    int fd;

    memset(f, 0, sizeof(*f));
    snprintf(f->dbpath, sizeof(f->dbpath), "/tmp/%sXXXXXX", prefix);
    fd = mkstemp(f->dbpath);
    assert_true(fd >= 0);
    close(fd);
    f->ft = ticket_fixture_new();
    assert_non_null(f->ft);
    f->w = web_new(cfg, f->dbpath, ticket_fixture_ops, ticket_fixture_ctx(f->ft), err, sizeof(err));
    if (!f->w) {
        fail_msg("web_new: %s", err);
    }
}

void web_fixture_user(struct web_fixture *f, const char *name, const char *role,
                      const char *department, const char *password)
{
    enum web_role r;
    char err[256] = "";

    assert_int_equal(web_role_parse(role, &r), 0);
    if (web_user_add(web_get_auth(f->w), name, NULL, r, department, password, false,
                     yq_time_now(), NULL, err, sizeof(err)) != 0) {
        fail_msg("web_user_add %s: %s", name, err);
    }
}

void web_fixture_serve(struct web_fixture *f, unsigned connection_limit)
{
    f->srv = test_server_start_limited(f->w, 0, NULL, NULL, connection_limit);
    assert_non_null(f->srv);
    f->port = test_server_port(f->srv);
}

void web_fixture_close(struct web_fixture *f)
{
    test_server_stop(f->srv);
    web_free(f->w);
    ticket_fixture_free(f->ft);
    if (f->dbpath[0]) {
        ticket_fixture_remove_db(f->dbpath);
    }
    memset(f, 0, sizeof(*f));
}

void web_fixture_alert(const struct web_fixture_alert_spec *spec, struct yq_alert *out)
{
    char json[4096], now[32], err[256] = "";
    const char *level = spec->level ? spec->level : "III";

    yq_time_format_utc(yq_time_now() - 600, now, sizeof(now));
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"ev:%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"score\":40.0,\"level\":\"%s\","
             "\"department\":\"%s\",\"matches\":[{\"rule_id\":\"%s\",\"name\":\"%s\","
             "\"department\":\"%s\",\"level\":\"%s\",\"terms\":[{\"term\":\"征地\","
             "\"field\":\"text\",\"start\":2,\"end\":4}]}],"
             "\"item\":{\"schema\":1,\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"%s\","
             "\"channel\":\"安康新闻网\",\"url\":\"%s\",\"title\":\"%s\","
             "\"text\":\"%s\",\"author\":\"\",\"published_at\":%s,"
             "\"published_precision\":\"second\",\"fetched_at\":\"%s\"%s}%s}",
             spec->key, now, level, spec->department, spec->rule_id,
             spec->rule_name ? spec->rule_name : "测试规则", spec->department, level, spec->item_id,
             spec->source_id, spec->url, spec->title, spec->text,
             spec->published_at ? spec->published_at : "null", now,
             spec->item_extra ? spec->item_extra : "", spec->extra ? spec->extra : "");
    if (yq_alert_decode(json, strlen(json), out, err, sizeof(err)) != 0) {
        fail_msg("decode: %s\n%s", err, json);
    }
}

void web_fixture_exec(struct web_fixture *f, struct yq_db *db, const char *sql)
{
    pthread_mutex_lock(&f->ft->lock);
    sqlite_fixture_exec(db, sql);
    pthread_mutex_unlock(&f->ft->lock);
}

int web_fixture_teardown(void **state)
{
    struct web_fixture *f = *state;

    web_fixture_close(f);
    free(f);
    return 0;
}

struct web *web_fixture_web_over(const char *dbpath, const struct web_ticket_ops *ops, void *ctx,
                                 const char *dept_a, const char *dept_b, bool admin)
{
    struct web_cfg cfg;
    struct web *w;
    char err[256] = "";

    web_fixture_shipped_cfg(&cfg);
    cfg.sse_poll_ms = 100;
    w = web_new(&cfg, dbpath, ops, ctx, err, sizeof(err));
    if (!w) {
        fail_msg("web_new: %s", err);
    }
    cfg_release(web_cfg_keys, &cfg);
    assert_int_equal(web_department_add(web_get_auth(w), dept_a, NULL, 0), 0);
    assert_int_equal(web_department_add(web_get_auth(w), dept_b, NULL, 0), 0);
    assert_int_equal(web_user_add(web_get_auth(w), "duty1", NULL, WEB_ROLE_DUTY, NULL,
                                  "duty-password-1", false, yq_time_now(), NULL, err, sizeof(err)),
                     0);
    if (admin) {
        assert_int_equal(web_user_add(web_get_auth(w), "admin1", NULL, WEB_ROLE_ADMIN, NULL,
                                      "admin-password-1", false, yq_time_now(), NULL, err,
                                      sizeof(err)),
                         0);
    }
    assert_int_equal(web_user_add(web_get_auth(w), "liaison-a", NULL, WEB_ROLE_LIAISON, dept_a,
                                  "liaison-password-a", false, yq_time_now(), NULL, err,
                                  sizeof(err)),
                     0);
    return w;
}

void web_fixture_serve_store(struct web_fixture *f, const char *dept_a, const char *dept_b,
                             bool admin)
{
    f->w = web_fixture_web_over(f->ft->path, ticket_fixture_ops, ticket_fixture_ctx(f->ft), dept_a,
                                dept_b, admin);
    web_fixture_serve(f, 0);
}
