/*
 * Takeover after a kill -9 (issue #10; docs/operations.md#the-matcher). Two yuqing-matcher
 * processes share the items topic (2 partitions) of librdkafka's mock cluster (run in this
 * process) and a throw-away redis-server; once each holds one partition, one is killed with
 * SIGKILL and the time until the other reports both partitions on its /metrics is printed,
 * for each session timeout given. A measurement, not a test (it times the group protocol).
 *   bench_takeover MATCHER_BIN [SESSION_TIMEOUT_MS ...]     (default: 10000 6000)
 * bench/matcher/takeover.sh builds it and yuqing-matcher (Release) and runs it.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include "yq_kafka_mock.h"

#include "rules.h"
#include "rules_store.h"
#include "test_http.h"
#include "yq_redis.h"
#include "yq_time.h"
#include "yq_banned.h"

#define GUARD_MS 180000

static int free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    if (fd >= 0) {
        close(fd);
    }
    return port;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* The value of metric line "name " in GET /metrics of 127.0.0.1:port, or -1. */
static long metric(int port, const char *name)
{
    static char body[131072];
    char needle[128];
    const char *p;
    int status = 0;

    if (test_http_get(port, "/metrics", &status, body, sizeof(body)) != 0) {
        return -1;
    }
    snprintf(needle, sizeof(needle), "\n%s ", name);
    p = strstr(body, needle);
    return p ? strtol(p + strlen(needle), NULL, 10) : -1;
}

static pid_t spawn(char *const argv[], const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_CREAT | O_TRUNC | O_WRONLY, 0600);
        int nul = open("/dev/null", O_WRONLY);
        if (fd >= 0) {
            dup2(fd, STDERR_FILENO);
        }
        if (nul >= 0) {
            dup2(nul, STDOUT_FILENO);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

static pid_t start_matcher(const char *bin, const char *bootstrap, int redis_port,
                           const char *group, long session_ms, int metrics_port, const char *tag)
{
    static char a[7][256];
    char log[128];
    snprintf(a[0], 256, "kafka.bootstrap_servers=%s", bootstrap);
    snprintf(a[1], 256, "redis.port=%d", redis_port);
    snprintf(a[2], 256, "kafka.group_id=%s", group);
    snprintf(a[3], 256, "kafka.session_timeout_ms=%ld", session_ms);
    snprintf(a[4], 256, "matcher.metrics_port=%d", metrics_port);
    snprintf(a[5], 256, "matcher.rules_cache_path=/tmp/yq-takeover-%s-%d.json", tag, (int)getpid());
    snprintf(log, sizeof(log), "/tmp/yq-takeover-%s-%d.log", tag, (int)getpid());
    char *argv[] = {(char *)bin, "--set", a[0], "--set", a[1], "--set", a[2], "--set", a[3],
                    "--set", a[4], "--set", a[5], NULL};
    return spawn(argv, log);
}

/* Wait until /metrics of port shows assigned_partitions == want; elapsed ms or -1. */
static long wait_assigned(int port, long want)
{
    int64_t start = yq_time_mono_ms();
    while (yq_time_mono_ms() - start < GUARD_MS) {
        if (metric(port, "yuqing_matcher_assigned_partitions") == want) {
            return (long)(yq_time_mono_ms() - start);
        }
        sleep_ms(20);
    }
    return -1;
}

int main(int argc, char **argv)
{
    char err[512], port_s[16];
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    struct yq_redis_cfg rcfg = {.host = "127.0.0.1", .connect_timeout_ms = 500,
                                .command_timeout_ms = 1000, .seen_ttl_s = 60};
    struct yq_redis *r;
    struct rule_set *rs;
    static const char yaml[] = "rules:\n  - {id: t, name: t, department: d, expr: 事件}\n";
    int64_t version;
    pid_t redis;
    int redis_port = free_port();

    if (argc < 2) {
        fprintf(stderr, "usage: bench_takeover MATCHER_BIN [SESSION_TIMEOUT_MS ...]\n");
        return 2;
    }
    snprintf(port_s, sizeof(port_s), "%d", redis_port);
    char *rargv[] = {"/usr/bin/redis-server", "--port", port_s, "--bind", "127.0.0.1",
                     "--save", "", "--appendonly", "no", NULL};
    redis = spawn(rargv, "/dev/null");
    rcfg.port = redis_port;
    r = yq_redis_new(&rcfg);
    rs = rule_set_new();
    if (!r || !rs || rule_set_add_yaml(rs, "t.yaml", yaml, strlen(yaml), err, sizeof(err)) ||
        rule_set_compile(rs, err, sizeof(err))) {
        fprintf(stderr, "setup failed: %s\n", err);
        return 1;
    }
    for (int i = 0; rules_store_push(r, rs, "bench", yq_time_now(), &version, err,
                                     sizeof(err)) != 0; i++) {
        if (i > 100) {
            fprintf(stderr, "redis did not come up\n");
            return 1;
        }
        sleep_ms(100);
    }
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    mc = mock_rk ? yq_kafka_mock_cluster_new(mock_rk, 1) : NULL;
    if (!mc || rd_kafka_mock_topic_create(mc, "yuqing.items", 2, 1) ||
        rd_kafka_mock_topic_create(mc, "yuqing.alerts", 2, 1)) {
        fprintf(stderr, "mock cluster failed\n");
        return 1;
    }
    for (int i = argc > 2 ? 2 : 0; i < (argc > 2 ? argc : 2); i++) {
        long session_ms = argc > 2 ? strtol(argv[i], NULL, 10) : (i == 0 ? 10000 : 6000);
        char group[64];
        int pa = free_port(), pb = free_port();
        pid_t a, b;
        long took;
        int status;

        snprintf(group, sizeof(group), "takeover-%ld", session_ms);
        a = start_matcher(argv[1], rd_kafka_mock_cluster_bootstraps(mc), redis_port, group,
                          session_ms, pa, "a");
        if (wait_assigned(pa, 2) < 0) {
            fprintf(stderr, "matcher a never held the partitions\n");
            return 1;
        }
        b = start_matcher(argv[1], rd_kafka_mock_cluster_bootstraps(mc), redis_port, group,
                          session_ms, pb, "b");
        if (wait_assigned(pb, 1) < 0 || wait_assigned(pa, 1) < 0) {
            fprintf(stderr, "the partitions were never shared\n");
            return 1;
        }
        kill(a, SIGKILL);
        waitpid(a, &status, 0);
        took = wait_assigned(pb, 2);
        printf("session_timeout_ms=%ld takeover_ms=%ld (kill -9 of one of two matchers until "
               "the other held both partitions)\n", session_ms, took);
        fflush(stdout);
        kill(b, SIGTERM);
        waitpid(b, &status, 0);
    }
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
    rule_set_free(rs);
    yq_redis_free(r);
    kill(redis, SIGTERM);
    waitpid(redis, NULL, 0);
    return 0;
}
