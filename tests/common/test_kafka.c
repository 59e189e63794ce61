/*
 * yq_kafka_take_batch() (issue #16): how the consumer loops of the matcher and the notifier
 * take a batch, against a queue of the test's own (the injectable poll): which waits each
 * poll asks for, so that a lone message is never held back for a batch to fill and a burst
 * is taken as one batch. No wall time is measured: the fake queue records the timeouts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "yq_kafka.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_message_goes_at_once),
        cmocka_unit_test(test_burst_fills_batches),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
