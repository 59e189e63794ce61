/*
 * yq_kafka_take_batch() (issue #16): how the consumer loops of the matcher and the notifier
 * take a batch, against a queue of the test's own (the injectable poll): which waits each
 * poll asks for, so that a lone message is never held back for a batch to fill and a burst
 * is taken as one batch. No wall time is measured: the fake queue records the timeouts.
 * Also, on the mock cluster: a new group's consumer starts at the earliest message and commits
 * only when told; which errors settle one message for good (yq_kafka_err_permanent()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yq_kafka.h"
#include "yq_kafka_mock.h"
#include "yq_banned.h"

#define QUEUE_MAX 16

/* The messages queued (err set: an error or partition end) and the waits asked for. */
struct queue {
    rd_kafka_message_t msgs[QUEUE_MAX];
    size_t n, next;
    int waits[QUEUE_MAX + 1];
    size_t n_waits;
    size_t n_errors;      /* error messages handed to on_error */
    bool end_on_error;    /* what on_error returns */
    volatile sig_atomic_t *stop_after_first; /* set by poll once it handed a message out */
};

/* The consumer's local queue: what is queued, never waiting (the test has no broker). */
static rd_kafka_message_t *fake_poll(void *ctx, int timeout_ms)
{
    struct queue *q = ctx;

    assert_true(q->n_waits < QUEUE_MAX + 1);
    q->waits[q->n_waits++] = timeout_ms;
    if (q->next >= q->n) {
        return NULL;
    }
    if (q->stop_after_first) {
        *q->stop_after_first = 1;
    }
    return &q->msgs[q->next++];
}

static bool fake_on_error(void *ctx, rd_kafka_message_t *msg)
{
    struct queue *q = ctx;

    assert_true(msg->err != RD_KAFKA_RESP_ERR_NO_ERROR);
    q->n_errors++;
    return q->end_on_error;
}

static void push(struct queue *q, int64_t offset, rd_kafka_resp_err_t err)
{
    memset(&q->msgs[q->n], 0, sizeof(q->msgs[q->n]));
    q->msgs[q->n].offset = offset;
    q->msgs[q->n].err = err;
    q->n++;
}

static const int waits_lone[] = {500, 0};

/* A lone message: taken after one poll that waits, then one that only looks (0 ms). */
static void test_lone_message_goes_at_once(void **state)
{
    struct queue q = {0};
    struct yq_kafka_take take = {.poll = fake_poll, .on_error = fake_on_error, .ctx = &q};
    rd_kafka_message_t *out[8];
    volatile sig_atomic_t stop = 0;

    (void)state;
    push(&q, 7, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, &stop, out), 1);
    assert_int_equal(out[0]->offset, 7);
    assert_int_equal(q.n_waits, 2);
    assert_memory_equal(q.waits, waits_lone, sizeof(waits_lone));
    /* nothing queued: one poll with the idle wait, an empty batch */
    q.n_waits = 0;
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, &stop, out), 0);
    assert_int_equal(q.n_waits, 1);
    assert_int_equal(q.waits[0], 500);
}

/* A burst: one batch of max, the rest in the next; later polls wait next_wait_ms. */
static void test_burst_fills_batches(void **state)
{
    struct queue q = {0};
    struct yq_kafka_take take = {.poll = fake_poll, .ctx = &q};
    rd_kafka_message_t *out[4];

    (void)state;
    for (int64_t i = 0; i < 6; i++) {
        push(&q, i, RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 100, 3, 4, NULL, out), 4);
    assert_int_equal(out[3]->offset, 3);
    assert_int_equal(q.n_waits, 4); /* max reached: no fifth poll */
    assert_int_equal(q.waits[0], 100);
    assert_int_equal(q.waits[1], 3);
    assert_int_equal(q.waits[3], 3);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 100, 3, 4, NULL, out), 2);
    assert_int_equal(out[0]->offset, 4);
    assert_int_equal(out[1]->offset, 5);
}

/*
 * Error messages (partition end, consume errors) go to on_error, never into the batch: the
 * matcher's goes on (false), the notifier's ends the batch there (true).
 */
static void test_errors(void **state)
{
    struct queue q = {0};
    struct yq_kafka_take take = {.poll = fake_poll, .on_error = fake_on_error, .ctx = &q};
    rd_kafka_message_t *out[8];

    (void)state;
    push(&q, 1, RD_KAFKA_RESP_ERR_NO_ERROR);
    push(&q, -1, RD_KAFKA_RESP_ERR__PARTITION_EOF);
    push(&q, 2, RD_KAFKA_RESP_ERR_NO_ERROR);
    push(&q, -1, RD_KAFKA_RESP_ERR__TRANSPORT);
    push(&q, 3, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, NULL, out), 3);
    assert_int_equal(q.n_errors, 2);
    assert_int_equal(out[1]->offset, 2);
    assert_int_equal(out[2]->offset, 3);

    memset(&q, 0, sizeof(q));
    q.end_on_error = true;
    push(&q, 1, RD_KAFKA_RESP_ERR_NO_ERROR);
    push(&q, -1, RD_KAFKA_RESP_ERR__PARTITION_EOF);
    push(&q, 2, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, NULL, out), 1);
    assert_int_equal(q.n_errors, 1);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, NULL, out), 1);
    assert_int_equal(out[0]->offset, 2);
    /* an error first: the batch ends empty, after one wait */
    memset(&q, 0, sizeof(q));
    q.end_on_error = true;
    push(&q, -1, RD_KAFKA_RESP_ERR__TRANSPORT);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, NULL, out), 0);
    assert_int_equal(q.n_waits, 1);
}

/* Once stop is set the batch ends with what it holds (shutdown is not held up). */
static void test_stop(void **state)
{
    volatile sig_atomic_t stop = 0;
    struct queue q = {.stop_after_first = &stop};
    struct yq_kafka_take take = {.poll = fake_poll, .ctx = &q};
    rd_kafka_message_t *out[8];

    (void)state;
    push(&q, 1, RD_KAFKA_RESP_ERR_NO_ERROR);
    push(&q, 2, RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(yq_kafka_take_batch(NULL, &take, 500, 0, 8, &stop, out), 1);
    assert_int_equal(q.n_waits, 1);
}

/* TCP_NODELAY of socket fd (0 or 1). */
static int nodelay_of(int fd)
{
    int v = -1;
    socklen_t len = sizeof(v);

    assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len), 0);
    return v != 0;
}

/* The fd of this process's listening socket on TCP port `port`, or -1. */
static int listener_on(unsigned port)
{
    for (int fd = 0; fd < 1024; fd++) {
        struct sockaddr_in a;
        socklen_t len = sizeof(a);
        int on = 0;
        socklen_t olen = sizeof(on);
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &olen) == 0 && on &&
            getsockname(fd, (struct sockaddr *)&a, &len) == 0 && a.sin_family == AF_INET &&
            ntohs(a.sin_port) == port) {
            return fd;
        }
    }
    return -1;
}

/*
 * The mock brokers' sockets get TCP_NODELAY (a real broker sets it; without it a batch
 * across partitions waits ~40 ms for delayed ACKs): on the listening socket before any client
 * connects, and so on every connection accepted from it. A listening socket whose port is not
 * in the list is left alone. Asserts socket options, not times.
 */
static void test_mock_cluster_sockets_nodelay(void **state)
{
    (void)state;
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    rd_kafka_mock_cluster_t *mc;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int other = socket(AF_INET, SOCK_STREAM, 0), client = socket(AF_INET, SOCK_STREAM, 0);
    int accepted, n_listed = 0;
    const char *bs;
    char list[300];

    assert_non_null(rk);
    /* an unrelated listening socket of the same process */
    assert_true(other >= 0 && client >= 0);
    assert_int_equal(bind(other, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(other, 4), 0);
    assert_int_equal(getsockname(other, (struct sockaddr *)&sa, &sl), 0);

    mc = yq_kafka_mock_cluster_new(rk, 2);
    assert_non_null(mc);
    bs = rd_kafka_mock_cluster_bootstraps(mc);
    for (const char *p = bs; *p; p++) {
        n_listed += *p == ',';
    }
    assert_int_equal(n_listed, 1); /* two brokers */
    /* each broker's listening socket has it from yq_kafka_mock_cluster_new() */
    for (const char *p = bs; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        int fd = listener_on((unsigned)strtoul(strchr(p, ':') + 1, NULL, 10));
        assert_true(fd >= 0);
        assert_int_equal(nodelay_of(fd), 1);
    }
    assert_int_equal(nodelay_of(other), 0);
    assert_int_equal(yq_kafka_mock_nodelay(bs), 2); /* both brokers', again; not `other` */
    assert_int_equal(nodelay_of(other), 0);

    /* the list's first port is a live broker */
    snprintf(list, sizeof(list), "%s", bs);
    char *colon = strchr(list, ':'), *comma = strchr(list, ',');
    assert_non_null(colon);
    assert_non_null(comma);
    *comma = '\0';
    struct sockaddr_in b = {.sin_family = AF_INET,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
                            .sin_port = htons((uint16_t)strtoul(colon + 1, NULL, 10))};
    assert_int_equal(connect(client, (struct sockaddr *)&b, sizeof(b)), 0);

    /* the same shapes against our own listener: set only when its port is listed */
    char own[64];
    snprintf(own, sizeof(own), "127.0.0.1:1,127.0.0.1:%u", (unsigned)ntohs(sa.sin_port));
    assert_int_equal(yq_kafka_mock_nodelay("127.0.0.1:1, nothing:, :x"), 0);
    assert_int_equal(yq_kafka_mock_nodelay(own), 1);
    assert_int_equal(nodelay_of(other), 1);
    int c2 = socket(AF_INET, SOCK_STREAM, 0);
    assert_int_equal(connect(c2, (struct sockaddr *)&sa, sizeof(sa)), 0);
    accepted = accept(other, NULL, NULL);
    assert_true(accepted >= 0);
    assert_int_equal(nodelay_of(accepted), 1); /* Linux copies it from the listener */

    close(accepted);
    close(c2);
    close(client);
    close(other);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
}

/* Whether the cluster behind probe (a client on it) lists topic, from all-topics metadata. */
static bool cluster_has_topic(rd_kafka_t *probe, const char *topic)
{
    const struct rd_kafka_metadata *md = NULL;
    bool found = false;

    if (rd_kafka_metadata(probe, 1, NULL, &md, 2000) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    for (int i = 0; i < md->topic_cnt; i++) {
        found = found || strcmp(md->topics[i].topic, topic) == 0;
    }
    rd_kafka_metadata_destroy(md);
    return found;
}

/*
 * A producer asks for the metadata of the topics it names at once, without producing (the
 * first produce after an idle start no longer waits for librdkafka's 1 s topic scan). The
 * mock cluster creates a topic when a client asks for it, which makes the request visible:
 * the named topic appears, one never named does not. The wait is a hang guard (up to 20 s),
 * not a measure.
 */
static void test_producer_names_its_topics(void **state)
{
    (void)state;
    char err[256], bs[256];
    rd_kafka_t *mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    rd_kafka_mock_cluster_t *mc = mock_rk ? yq_kafka_mock_cluster_new(mock_rk, 1) : NULL;
    rd_kafka_conf_t *pconf = rd_kafka_conf_new();
    rd_kafka_t *probe, *producer;
    const char *const topics[] = {"yq.test.named", NULL};
    struct yq_kafka_producer_opts opts = {.client_id = "yq-test", .topics = topics};
    struct yq_kafka_cfg cfg = {.bootstrap_servers = bs, .flush_timeout_ms = 1000};
    bool named = false;

    assert_non_null(mc);
    snprintf(bs, sizeof(bs), "%s", rd_kafka_mock_cluster_bootstraps(mc));
    assert_int_equal(rd_kafka_conf_set(pconf, "bootstrap.servers", bs, err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(
        rd_kafka_conf_set(pconf, "allow.auto.create.topics", "false", err, sizeof(err)),
        RD_KAFKA_CONF_OK);
    probe = rd_kafka_new(RD_KAFKA_CONSUMER, pconf, err, sizeof(err));
    assert_non_null(probe);
    assert_false(cluster_has_topic(probe, "yq.test.named"));

    producer = yq_kafka_producer_new_opts(&cfg, &opts, err, sizeof(err));
    assert_non_null(producer);
    for (int i = 0; i < 200 && !named; i++) {
        rd_kafka_poll(producer, 100);
        named = cluster_has_topic(probe, "yq.test.named");
    }
    assert_true(named);
    assert_false(cluster_has_topic(probe, "yq.test.unnamed"));

    rd_kafka_destroy(producer);
    rd_kafka_destroy(probe);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
}

/*
 * The consumer every process uses (yq_kafka_consumer_new()): a group with no committed offset
 * starts at the earliest message (auto.offset.reset=earliest, yq_kafka.h and
 * architecture.md), so what was produced before the first start of a stage is read, not
 * skipped; and nothing is committed until the caller commits (enable.auto.commit=false): a
 * crash before the caller's commit redelivers. Waits are hang guards, not measures.
 */
static void test_new_group_reads_from_earliest_and_commits_only_when_told(void **state)
{
    char err[256], bs[256], group[] = "yq-test-fresh";
    rd_kafka_t *mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, rd_kafka_conf_new(), err, sizeof(err));
    rd_kafka_mock_cluster_t *mc = mock_rk ? yq_kafka_mock_cluster_new(mock_rk, 1) : NULL;
    struct yq_kafka_cfg cfg = {.bootstrap_servers = bs,
                               .group_id = group,
                               .flush_timeout_ms = 10000,
                               .fetch_wait_max_ms = 10,
                               .session_timeout_ms = 6000};
    static const char *const payloads[] = {"m0", "m1", "m2"};
    rd_kafka_message_t *got[3] = {NULL, NULL, NULL};
    rd_kafka_topic_partition_list_t *parts;
    rd_kafka_t *producer, *consumer;
    size_t n = 0;

    (void)state;
    assert_non_null(mc);
    snprintf(bs, sizeof(bs), "%s", rd_kafka_mock_cluster_bootstraps(mc));
    assert_int_equal(rd_kafka_mock_topic_create(mc, "yq.test.fresh", 1, 1), 0);
    producer = yq_kafka_producer_new(&cfg, NULL, NULL, err, sizeof(err));
    assert_non_null(producer);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(rd_kafka_producev(producer, RD_KAFKA_V_TOPIC("yq.test.fresh"),
                                           RD_KAFKA_V_VALUE((void *)payloads[i], 2),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_END),
                         0);
    }
    assert_int_equal(yq_kafka_flush(producer, 30000), 0);

    consumer = yq_kafka_consumer_new(&cfg, "yq.test.fresh", err, sizeof(err));
    assert_non_null(consumer);
    for (int i = 0; i < 600 && n < 3; i++) { /* hang guard: 600 polls of at most 100 ms */
        rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
        if (m && !m->err) {
            got[n++] = m;
        } else if (m) {
            rd_kafka_message_destroy(m);
        }
    }
    assert_int_equal(n, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(got[i]->offset, (int64_t)i); /* from the first message on */
        assert_memory_equal(got[i]->payload, payloads[i], 2);
    }
    parts = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(parts, "yq.test.fresh", 0);
    assert_int_equal(rd_kafka_committed(consumer, parts, 10000), 0);
    assert_int_equal(parts->elems[0].offset, RD_KAFKA_OFFSET_INVALID); /* nothing committed */
    assert_int_equal(yq_kafka_commit_message(consumer, got[1]), 0);
    assert_int_equal(rd_kafka_committed(consumer, parts, 10000), 0);
    assert_int_equal(parts->elems[0].offset, 2); /* the next one to read */
    rd_kafka_topic_partition_list_destroy(parts);
    for (size_t i = 0; i < 3; i++) {
        rd_kafka_message_destroy(got[i]);
    }
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(mock_rk);
}

/* Which errors refuse one message for good (settled), and which are worth a retry. */
static void test_err_permanent(void **state)
{
    static const struct {
        rd_kafka_resp_err_t err;
        bool permanent;
    } cases[] = {
        {RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, true},
        {RD_KAFKA_RESP_ERR_INVALID_RECORD, true},
        {RD_KAFKA_RESP_ERR__INVALID_ARG, true},
        {RD_KAFKA_RESP_ERR__QUEUE_FULL, false},
        {RD_KAFKA_RESP_ERR__MSG_TIMED_OUT, false},
        {RD_KAFKA_RESP_ERR__TRANSPORT, false},
        {RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, false},
        {RD_KAFKA_RESP_ERR__PURGE_QUEUE, false},
        {RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, false},
    };

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (yq_kafka_err_permanent(cases[i].err) != cases[i].permanent) {
            fail_msg("%s: permanent should be %d", rd_kafka_err2name(cases[i].err),
                     cases[i].permanent);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_message_goes_at_once),
        cmocka_unit_test(test_burst_fills_batches),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_mock_cluster_sockets_nodelay),
        cmocka_unit_test(test_producer_names_its_topics),
        cmocka_unit_test(test_new_group_reads_from_earliest_and_commits_only_when_told),
        cmocka_unit_test(test_err_permanent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
