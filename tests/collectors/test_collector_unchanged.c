/*
 * Issue #16: a 2xx body equal to the last one whose every entry was settled (seen) is not
 * parsed again (servers that send no ETag/Last-Modified), and a changed body is. Run against
 * the loopback HTTP server, redis-server and librdkafka's mock cluster on a virtual clock
 * (1 s per finished poll): counts of polls, parses and Redis calls, never durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector_stack_fixture.h"
#include "item_producer.h"
#include "poller.h"
#include "store.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char doc_a[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>s</title>"
    "<item><guid>u1</guid><title>一</title><link>http://e.example/1</link></item>"
    "<item><guid>u2</guid><title>二</title><link>http://e.example/2</link></item>"
    "</channel></rss>";
static const char doc_b[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>s</title>"
    "<item><guid>u3</guid><title>三</title><link>http://e.example/3</link></item>"
    "<item><guid>u1</guid><title>一</title><link>http://e.example/1</link></item>"
    "<item><guid>u2</guid><title>二</title><link>http://e.example/2</link></item>"
    "</channel></rss>";

static int requests;          /* answered so far (libmicrohttpd's thread) */
static int b_from_request;    /* from this request on, doc_b (0: never) */

static enum MHD_Result answer(struct MHD_Connection *c, const char *url, void *arg)
{
    int n = __atomic_add_fetch(&requests, 1, __ATOMIC_SEQ_CST);
    const char *doc = b_from_request && n >= b_from_request ? doc_b : doc_a;

    (void)url;
    (void)arg;
    return cfx_reply(c, 200, doc, strlen(doc), "application/rss+xml", NULL); /* no ETag */
}

static struct cfx_stack fx;

static int group_setup(void **state)
{
    (void)state;
    return cfx_stack_setup(&fx, answer, 0);
}

static int group_teardown(void **state)
{
    (void)state;
    return cfx_stack_teardown(&fx);
}

struct vclock {
    struct poller *p;
    int64_t stop_after_polls;
    int64_t idle_ms; /* 10 ms per reading while no poll runs */
};

/*
 * 1 s per finished poll, and 10 ms per reading while none runs (a source is due at its own
 * phase of the interval, issue #16, not always one interval after the last poll's end);
 * stops the run after stop_after_polls.
 */
static int64_t vclock_now(void *arg)
{
    struct vclock *c = arg;
    const struct poller_stats *st = c->p ? poller_get_stats(c->p) : NULL;

    if (!st) {
        return 0;
    }
    if (st->polls >= c->stop_after_polls) {
        yq_proc_stop = 1;
    }
    if (st->cycles == st->polls) {
        c->idle_ms += 10;
    }
    return 1000 * st->polls + c->idle_ms;
}

/* Run a poller over cfg (once, or on the virtual clock until polls); its stats into out. */
static void run(const struct collector_config *cfg, bool once, int64_t polls,
                struct poller_stats *out)
{
    struct vclock c = {.stop_after_polls = polls};
    struct poller_opts opts = {.clock = {.now_ms = vclock_now, .arg = &c}};
    struct cfx_run r;

    cfx_run_new(&r, cfg, once ? NULL : &opts);
    c.p = r.p;
    yq_proc_stop = 0;
    assert_int_equal(poller_run(r.p, once, NULL), 0); /* flushes Kafka and marks at the end */
    yq_proc_stop = 0;
    *out = *poller_get_stats(r.p);
    cfx_run_free(&r);
}

static long long zcard(const char *key)
{
    return cfx_redis_int(fx.rc, "ZCARD %s", key);
}

static long long redis_calls(const char *command)
{
    long long v = cfx_redis_calls(fx.rc, command);
    assert_true(v >= 0);
    return v;
}

static void assert_field(const char *key, const char *field, const char *want)
{
    char *v = cfx_hget(fx.rc, key, field);
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

static void test_issue_16_unchanged_body_is_not_parsed_again(void **state)
{
    struct collector_config cfg;
    struct poller_stats st;
    char src[256];
    long long hmget0;

    (void)state;
    CFX_STACK_NEED(&fx);
    freeReplyObject(redisCommand(fx.rc, "FLUSHALL"));
    snprintf(src, sizeof(src), "  - id: same\n    url: http://127.0.0.1:%d/same\n"
                               "    interval: 1s\n",
             fx.http.port);
    cfx_stack_load_cfg(&fx, &cfg, "10s", NULL, src);

    run(&cfg, true, 0, &st); /* produces u1 and u2, delivered and marked */
    assert_int_equal(st.parsed, 1);
    assert_int_equal(zcard("yuqing:source:same:recent"), 2);

    /* a new process: the first body is parsed (both seen: settled), the equal ones are not */
    hmget0 = redis_calls("hmget");
    run(&cfg, false, 5, &st);
    assert_true(st.polls >= 5);
    assert_int_equal(st.parsed, 1);
    /* per process, not per poll: the validators, the blind fields, the first-poll check */
    assert_true(redis_calls("hmget") - hmget0 <= 3);
    assert_field("yuqing:source:same", "state", "ok");
    assert_field("yuqing:source:same", "items_last_seen", "2");
    assert_int_equal(zcard("yuqing:source:same:recent"), 2); /* nothing produced again */

    /* the body changes at the third request: parsed, its new entry produced */
    requests = 0;
    b_from_request = 3;
    run(&cfg, false, 6, &st);
    assert_true(st.parsed >= 2);      /* the first body and the changed one */
    assert_true(st.parsed < st.polls); /* the second (unchanged) was skipped */
    assert_int_equal(zcard("yuqing:source:same:recent"), 3);
    assert_field("yuqing:source:same", "items_last_seen", "3");
    b_from_request = 0;
    collector_config_release(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_16_unchanged_body_is_not_parsed_again),
    };
    if (cfx_curl_init() != 0) {
        return 1;
    }
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
