#include "pipeline_fixture.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "rules.h"
#include "rules_store.h"
#include "test_http.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_kafka.h"
#include "yq_time.h"
#include "yq_banned.h"

#define MAX_EXTRA_SETS 8

const char pipeline_land_rules_yaml[] =
    PIPELINE_LAND_RULE_HEAD
    "    expr: \"(安康 | 汉滨) & (征地 | 拆迁)\"\n"
    "  - {id: land-02, name: 强拆, department: 汉滨区人民政府, expr: 强拆}\n";

const char pipeline_env_rules_yaml[] = "exclude:\n"
                                       "  - 广告\n"
                                       "  - 彩票\n"
                                       "rules:\n"
                                       "  - id: env-01\n"
                                       "    name: 化工厂泄漏\n"
                                       "    department: 市生态环境局\n"
                                       "    level: II\n"
                                       "    scope: title\n"
                                       "    expr: 化工厂 & (泄漏 | 爆炸)\n";

const char pipeline_rules_pushed_before_checks_json[] =
    "{\"version\":3,\"pushed_at\":null,\"pushed_by\":\"ops\",\"source\":null,"
    "\"groups\":[\"safety\"],\"exclude\":[\"招聘\",\" \"],\"places\":[\"安康\",\"\u3000\"],"
    "\"rules\":[{\"id\":\"gas-01\",\"name\":\"燃气泄漏\",\"group\":\"safety\","
    "\"department\":\"市应急管理局\",\"level\":\"II\",\"scope\":\"all\",\"sources\":[],"
    "\"expr\":\"燃气 & 泄漏\",\"local\":true},"
    "{\"id\":\"w1\",\"name\":\"n\",\"group\":\"safety\",\"department\":\"d\","
    "\"level\":\"IV\",\"scope\":\"all\",\"sources\":[],\"expr\":\"燃气 & \\\" \\\"\"},"
    "{\"id\":\"n1\",\"name\":\"n\",\"group\":\"safety\",\"department\":\"d\","
    "\"level\":\"IV\",\"scope\":\"all\",\"sources\":[],"
    "\"expr\":\"wifi & 断网 & !ＷＩＦＩ\"}]}";

struct rule_set *pipeline_rules_compile(const char *file, const char *yaml)
{
    struct rule_set *rs = rule_set_new();
    char err[512] = "";

    assert_non_null(rs);
    if (rule_set_add_yaml(rs, file, yaml, strlen(yaml), err, sizeof(err)) != 0 ||
        rule_set_compile(rs, err, sizeof(err)) != 0) {
        fail_msg("%s", err);
    }
    return rs;
}

void pipeline_write_file(const char *dir, const char *name, const char *text)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    assert_int_equal(yq_fs_write_file_atomic(path, text, strlen(text)), 0);
}

int pipeline_redirect_begin(int fd, const char *path)
{
    int saved, file;

    fflush(stdout);
    fflush(stderr);
    saved = dup(fd);
    file = fd == 0 ? open(path, O_RDONLY) : open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(saved >= 0 && file >= 0);
    assert_true(dup2(file, fd) >= 0);
    close(file);
    return saved;
}

void pipeline_redirect_end(int fd, int saved)
{
    fflush(stdout);
    fflush(stderr);
    assert_true(dup2(saved, fd) >= 0);
    close(saved);
}

void pipeline_sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void pipeline_cluster_start(struct pipeline_cluster *cl, int partitions)
{
    char err[256];

    cl->mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    assert_non_null(cl->mock_rk);
    cl->mc = yq_kafka_mock_cluster_new(cl->mock_rk, 1);
    assert_non_null(cl->mc);
    assert_int_equal(rd_kafka_mock_topic_create(cl->mc, "yuqing.items", partitions, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(cl->mc, "yuqing.alerts", partitions, 1), 0);
}

const char *pipeline_cluster_bootstraps(const struct pipeline_cluster *cl)
{
    return rd_kafka_mock_cluster_bootstraps(cl->mc);
}

void pipeline_cluster_stop(struct pipeline_cluster *cl)
{
    rd_kafka_mock_cluster_destroy(cl->mc);
    rd_kafka_destroy(cl->mock_rk);
}

void pipeline_cfg_load(struct matcher_cfg *cfg, const char *bootstrap, int redis_port,
                       const char *cache, const char *const *sets, size_t n_sets)
{
    char base[3][256], err[512] = "";
    const char *setv[4 + MAX_EXTRA_SETS];
    size_t n = 0;

    assert_true(n_sets <= MAX_EXTRA_SETS);
    snprintf(base[0], sizeof(base[0]), "kafka.bootstrap_servers=%s", bootstrap);
    snprintf(base[1], sizeof(base[1]), "redis.port=%d", redis_port);
    snprintf(base[2], sizeof(base[2]), "matcher.rules_cache_path=%s", cache ? cache : "");
    setv[n++] = base[0];
    setv[n++] = base[1];
    if (cache) {
        setv[n++] = base[2];
    }
    setv[n++] = "matcher.metrics_port=0";
    for (size_t i = 0; i < n_sets; i++) {
        setv[n++] = sets[i];
    }
    if (matcher_cfg_load(NULL, setv, (int)n, cfg, err, sizeof(err)) != 0) {
        fail_msg("config: %s", err);
    }
}

rd_kafka_t *pipeline_reader_new(const char *bootstrap, const char *group, struct matcher_cfg *rcfg)
{
    char bs[256], grp[128], err[512] = "";
    const char *sets[2] = {bs, grp};
    rd_kafka_t *c;

    snprintf(bs, sizeof(bs), "kafka.bootstrap_servers=%s", bootstrap);
    snprintf(grp, sizeof(grp), "kafka.group_id=%s", group);
    assert_int_equal(matcher_cfg_load(NULL, sets, 2, rcfg, err, sizeof(err)), 0);
    c = yq_kafka_consumer_new(&rcfg->kafka, "yuqing.alerts", err, sizeof(err));
    assert_non_null(c);
    return c;
}

int64_t pipeline_push_rules(struct yq_redis *r, const char *yaml, int attempts)
{
    struct rule_set *rs = pipeline_rules_compile("t.yaml", yaml);
    char err[512] = "";
    int64_t v = 0;
    int rc = ERR_RETRY;

    for (int attempt = 0; attempt < attempts && rc == ERR_RETRY; attempt++) {
        rc = rules_store_push(r, rs, "test", yq_time_now(), &v, err, sizeof(err));
    }
    assert_int_equal(rc, 0);
    rule_set_free(rs);
    return v;
}

void pipeline_produce_item(rd_kafka_t *p, const char *topic, const char *id, const char *url,
                           const char *title)
{
    char json[1024];

    snprintf(json, sizeof(json),
             "{\"schema\":1,\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"s1\","
             "\"channel\":\"c\",\"url\":\"%s\",\"title\":\"%s\",\"text\":\"\","
             "\"author\":\"\",\"published_at\":null,\"fetched_at\":\"2026-11-29T08:00:00Z\"}",
             id, url, title);
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(id, strlen(id)),
                                       RD_KAFKA_V_VALUE(json, strlen(json)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
}

void pipeline_produce_raw(rd_kafka_t *p, const char *topic, const char *payload)
{
    assert_int_equal(rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
                                       RD_KAFKA_V_VALUE((void *)payload, strlen(payload)),
                                       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END),
                     0);
}

int pipeline_read_alerts(rd_kafka_t *c, int n, int64_t timeout_ms, struct yq_alert *out,
                         size_t *lens)
{
    int got = 0;
    int64_t end = yq_time_mono_ms() + timeout_ms;

    while (got < n && yq_time_mono_ms() < end) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(c, 100);
        if (!msg) {
            continue;
        }
        if (!msg->err) {
            char err[256];
            assert_int_equal(yq_alert_decode(msg->payload, msg->len, &out[got], err, sizeof(err)),
                             0);
            if (lens) {
                lens[got] = msg->len;
            }
            got++;
        }
        rd_kafka_message_destroy(msg);
    }
    return got;
}

static void *run_thread(void *arg)
{
    struct pipeline_run *run = arg;
    run->rc = matcher_run(run->m, &run->stop);
    return NULL;
}

int pipeline_run_start(struct pipeline_run *run, const struct matcher_cfg *cfg)
{
    char err[512] = "";

    memset(run, 0, sizeof(*run));
    run->m = matcher_new(cfg, err, sizeof(err));
    if (!run->m) {
        fail_msg("matcher_new: %s", err);
    }
    assert_int_equal(pthread_create(&run->th, NULL, run_thread, run), 0);
    return matcher_metrics_port(run->m);
}

int pipeline_run_stop(struct pipeline_run *run)
{
    run->stop = 1;
    pthread_join(run->th, NULL);
    matcher_free(run->m);
    run->m = NULL;
    return run->rc;
}

bool pipeline_wait_version(struct matcher *m, int64_t v)
{
    int64_t end = yq_time_mono_ms() + PIPELINE_HANG_GUARD_MS;

    while (yq_time_mono_ms() < end) {
        if (matcher_rules_version(m) == v) {
            return true;
        }
        pipeline_sleep_ms(10);
    }
    return false;
}

void pipeline_http_wait(int port, const char *path, const char *const *needles, size_t n,
                        int64_t hang_guard_ms, int *status, char *body, size_t len)
{
    int64_t end = yq_time_mono_ms() + hang_guard_ms;

    body[0] = '\0';
    for (;;) {
        size_t found = 0;
        if (test_http_get(port, path, status, body, len) == 0) {
            while (found < n && strstr(body, needles[found])) {
                found++;
            }
            if (found == n) {
                return;
            }
        }
        if (yq_time_mono_ms() > end) {
            fail_msg("%s never showed '%s'; last:\n%s", path, found < n ? needles[found] : "",
                     body);
        }
        pipeline_sleep_ms(50);
    }
}

bool pipeline_env_start(struct pipeline_env *e, const char *name, int partitions,
                        const char *const *sets, size_t n_sets, const char *reader_group)
{
    char err[512] = "";

    memset(e, 0, sizeof(*e));
    if (redis_fixture_start(&e->fx) != 0) {
        return false;
    }
    pipeline_cluster_start(&e->cl, partitions);
    snprintf(e->cache, sizeof(e->cache), "/tmp/yq-test-%s-%d.json", name, (int)getpid());
    pipeline_cfg_load(&e->cfg, pipeline_cluster_bootstraps(&e->cl), e->fx.port, e->cache, sets,
                      n_sets);
    e->r = yq_redis_new(&e->cfg.redis);
    assert_non_null(e->r);
    e->p = yq_kafka_producer_new(&e->cfg.kafka, NULL, NULL, err, sizeof(err));
    assert_non_null(e->p);
    e->c = pipeline_reader_new(pipeline_cluster_bootstraps(&e->cl), reader_group, &e->rcfg);
    return true;
}

void pipeline_env_stop(struct pipeline_env *e)
{
    rd_kafka_consumer_close(e->c);
    rd_kafka_destroy(e->c);
    rd_kafka_destroy(e->p);
    pipeline_cluster_stop(&e->cl);
    yq_redis_free(e->r);
    matcher_cfg_release(&e->cfg);
    matcher_cfg_release(&e->rcfg);
    redis_fixture_stop(&e->fx);
    unlink(e->cache);
}
