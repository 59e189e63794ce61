/*
 * FC-020: the real yuqing-collector process, linger.ms=5000, a feed of 500 items, SIGTERM
 * within a second of the poll. A: the broker is up: all 500 are in the topic (flush on
 * shutdown). B: the broker is down: the process spools exactly the 500 undelivered items,
 * says so in its log and exits 0; the next start (broker up) produces them from the spool.
 * C: SIGTERM while a feed of 3 ingest chunks + 1 entries is ingested (poller.h): nothing is
 * lost or produced twice, over that run and the next.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "yq_buf.h"
#include "collector_fixture.h"
#include "poller.h"
#include "redis_fixture.h"
#include "yq_fs.h"
#include "file_fixture.h"
#include "yq_banned.h"

#define N_ITEMS 500
#define N_CHUNKED (3 * POLLER_INGEST_ENTRIES_PER_PASS + 1)

static char feed[N_CHUNKED * 128 + 256];
static volatile int feed_hits;

static enum MHD_Result handler(struct MHD_Connection *c, const char *url, void *arg)
{
    (void)url;
    (void)arg;
    __atomic_add_fetch(&feed_hits, 1, __ATOMIC_SEQ_CST);
    return cfx_reply(c, 200, feed, strlen(feed), "application/rss+xml", NULL);
}

static void make_feed_of(const char *prefix, int n)
{
    int off = snprintf(feed, sizeof(feed), "<rss version=\"2.0\"><channel><title>t</title>");
    for (int i = 0; i < n; i++) {
        off += snprintf(feed + off, sizeof(feed) - (size_t)off,
                        "<item><guid>%s-%d</guid><title>%s-%d 条目</title></item>", prefix, i,
                        prefix, i);
    }
    snprintf(feed + off, sizeof(feed) - (size_t)off, "</channel></rss>");
}

static void make_feed(const char *prefix)
{
    make_feed_of(prefix, N_ITEMS);
}

struct env {
    struct redis_fixture redis;
    struct cfx_http http;
    rd_kafka_t *mock_rk;
    rd_kafka_mock_cluster_t *mc;
    char bootstraps[256];
    char dir[256];
    char conf[512];
    char spool[512];
    char log[512];
};

static struct env env;

static int setup(void **state)
{
    char err[256], text[2048];
    FILE *f;

    (void)state;
    snprintf(env.dir, sizeof(env.dir), "/tmp/yq-fc020-XXXXXX");
    if (!mkdtemp(env.dir)) {
        return -1;
    }
    if (redis_fixture_start(&env.redis) != 0) {
        return 0; /* the tests skip */
    }
    assert_int_equal(cfx_http_start(&env.http, handler, NULL, 0), 0);
    env.mock_rk = cfx_kafka_mock(env.bootstraps, sizeof(env.bootstraps), err, sizeof(err));
    assert_non_null(env.mock_rk);
    env.mc = rd_kafka_handle_mock_cluster(env.mock_rk);
    snprintf(env.spool, sizeof(env.spool), "%s/spool.jsonl", env.dir);
    snprintf(env.conf, sizeof(env.conf), "%s/sources.yaml", env.dir);
    snprintf(env.log, sizeof(env.log), "%s/collector.log", env.dir);
    snprintf(text, sizeof(text),
             "kafka:\n  bootstrap_servers: %s\n  flush_timeout_ms: 2s\n"
             "redis:\n  port: %d\n"
             "collector:\n  kafka_linger_ms: 5000\n  spool_path: %s\n  metrics_address: \"\"\n"
             "sources:\n  - id: fc020\n    url: http://127.0.0.1:%d/feed.xml\n    interval: 1h\n",
             env.bootstraps, env.redis.port, env.spool, env.http.port);
    f = fopen(env.conf, "w");
    fputs(text, f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_fixture_stop(&env.redis);
    cfx_http_stop(&env.http);
    if (env.mock_rk) {
        rd_kafka_destroy(env.mock_rk);
    }
    if (file_fixture_remove_dir(env.dir) != 0) {
        return 0;
    }
    return 0;
}

/* Occurrences of needle in the collector's log so far. */
static int count_in_log(const char *needle)
{
    char *s = NULL;
    size_t len = 0;
    int n = 0;

    if (yq_fs_read_file(env.log, 64 << 20, &s, &len) != 0) {
        return 0;
    }
    for (const char *at = s; (at = strstr(at, needle)) != NULL; at += strlen(needle)) {
        n++;
    }
    free(s);
    return n;
}

/*
 * Start the collector; SIGTERM it once its poll was ingested (mid_feed: once the server has
 * served the feed, while it is on its way or being ingested); its exit status.
 */
static int run_and_term_at(bool once, bool mid_feed)
{
    pid_t pid;
    int status = 0, start_ok = count_in_log("poll ok source_id=fc020");
    int start_hits = __atomic_load_n(&feed_hits, __ATOMIC_SEQ_CST);

    pid = fork();
    if (pid == 0) {
        int fd = open(env.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(fd, STDERR_FILENO);
        if (once) {
            execl(YQ_COLLECTOR_BIN, YQ_COLLECTOR_BIN, "--config", env.conf, "--once",
                  (char *)NULL);
        } else {
            execl(YQ_COLLECTOR_BIN, YQ_COLLECTOR_BIN, "--config", env.conf, (char *)NULL);
        }
        _exit(127);
    }
    if (mid_feed) {
        /* hang guard 60 s */
        for (int i = 0; i < 3000 && __atomic_load_n(&feed_hits, __ATOMIC_SEQ_CST) == start_hits;
             i++) {
            usleep(20000);
        }
        kill(pid, SIGTERM);
    } else if (!once) {
        /* SIGTERM once the poll was parsed and produced (all waiting for linger.ms): wait
         * for its "poll ok" line, not for some wall time (issue #10); 60 s is a hang guard */
        for (int i = 0; i < 3000 && count_in_log("poll ok source_id=fc020") == start_ok; i++) {
            usleep(20000);
        }
        kill(pid, SIGTERM);
    }
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_and_term(bool once)
{
    return run_and_term_at(once, false);
}

/*
 * Distinct keys with prefix in the topic, reading until want are there (or 3 s without a new
 * message); *total (may be NULL): all messages with prefix, repeated ones included.
 */
static int count_in_topic_of(const char *key_prefix, int want, int *total)
{
    rd_kafka_t *rk = cfx_kafka_consumer(env.bootstraps, "fc020-check");
    char **seen = calloc(4 * (size_t)want, sizeof(char *));
    int n = 0, all = 0;

    assert_non_null(rk);
    assert_non_null(seen);
    /* until 3 s pass without a new message (EOF can come before the first fetch) */
    for (int idle = 0; idle < 30 && n < want;) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        bool dup = false;
        if (!m) {
            idle++;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            idle++;
            continue;
        }
        if (m->err) {
            print_message("consumer: %s\n", rd_kafka_message_errstr(m));
        }
        if (!m->err && m->payload &&
            memmem(m->payload, m->len, key_prefix, strlen(key_prefix))) {
            char *k = strndup((const char *)m->key, m->key_len);
            all++;
            for (int j = 0; j < n && !dup; j++) {
                dup = strcmp(seen[j], k) == 0;
            }
            if (!dup && n < 4 * want) {
                seen[n++] = k;
            } else {
                free(k);
            }
        }
        rd_kafka_message_destroy(m);
        idle = 0;
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    for (int j = 0; j < n; j++) {
        free(seen[j]);
    }
    free(seen);
    if (total) {
        *total = all;
    }
    return n;
}

static int count_in_topic(const char *key_prefix)
{
    return count_in_topic_of(key_prefix, N_ITEMS, NULL);
}

static int count_lines(const char *path)
{
    char *s = NULL;
    size_t len = 0;
    int n = 0;
    if (yq_fs_read_file(path, 64 << 20, &s, &len) != 0) {
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        n += s[i] == '\n';
    }
    free(s);
    return n;
}

static bool log_has(const char *needle)
{
    char *s = NULL;
    size_t len = 0;
    bool found;
    if (yq_fs_read_file(env.log, 64 << 20, &s, &len) != 0) {
        return false;
    }
    found = strstr(s, needle) != NULL;
    free(s);
    return found;
}

static void test_fc_020_sigterm_flushes_all_500(void **state)
{
    (void)state;
    REDIS_FIXTURE_NEED(&env.redis);
    make_feed("fc020a");
    assert_int_equal(run_and_term(false), 0);
    assert_int_equal(count_in_topic("fc020a-"), N_ITEMS);
    assert_int_equal(access(env.spool, F_OK), -1); /* nothing left over */
}

static void test_fc_020_broker_down_spools_exactly_the_missing(void **state)
{
    char replay[600];

    (void)state;
    REDIS_FIXTURE_NEED(&env.redis);
    make_feed("fc020b");
    assert_int_equal(rd_kafka_mock_broker_set_down(env.mc, 1), 0);
    assert_int_equal(run_and_term(false), 0);
    assert_int_equal(count_lines(env.spool), N_ITEMS);
    assert_true(log_has("undelivered items spooled count=500"));
    /* restart with the broker back: the spool is produced, then removed */
    assert_int_equal(rd_kafka_mock_broker_set_up(env.mc, 1), 0);
    assert_int_equal(run_and_term(true), 0);
    assert_int_equal(count_in_topic("fc020b-"), N_ITEMS);
    snprintf(replay, sizeof(replay), "%s.replay", env.spool);
    assert_int_equal(access(env.spool, F_OK), -1);
    assert_int_equal(access(replay, F_OK), -1);
}

/*
 * A feed ingested in chunks (POLLER_INGEST_ENTRIES_PER_PASS per loop pass), SIGTERM as soon
 * as it was served: a feed half ingested is ingested to its end before the flush, so that run
 * produces every item (or none, when the signal came before the body was in); with the next
 * run each item is in the topic exactly once.
 */
static void test_sigterm_mid_feed_loses_and_doubles_nothing(void **state)
{
    int total = 0;

    (void)state;
    REDIS_FIXTURE_NEED(&env.redis);
    make_feed_of("fc020c", N_CHUNKED);
    assert_int_equal(run_and_term_at(false, true), 0);
    assert_int_equal(run_and_term(true), 0);
    assert_int_equal(count_in_topic_of("fc020c-", N_CHUNKED, &total), N_CHUNKED);
    assert_int_equal(total, N_CHUNKED);
    assert_int_equal(access(env.spool, F_OK), -1); /* nothing left over */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_020_sigterm_flushes_all_500),
        cmocka_unit_test(test_fc_020_broker_down_spools_exactly_the_missing),
        cmocka_unit_test(test_sigterm_mid_feed_loses_and_doubles_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
