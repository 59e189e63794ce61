/*
 * Ingest and the item producer against librdkafka's mock cluster and a loopback redis-server
 * (issue #10): an entry too large for a Kafka message is cut and produced, never deferred,
 * and does not hold back the other entries of its feed; a message librdkafka refuses for good
 * is settled (marked seen) with its true reason instead of "queue full", and the next item
 * still goes out. No wall-time assertion: delivery is awaited with a 60 s hang guard only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector_cfg.h"
#include "feed_item.h"
#include "feed_parse.h"
#include "ingest.h"
#include "item_producer.h"
#include "collector_fixture.h"
#include "collector_stack_fixture.h"
#include "redis_fixture.h"
#include "store.h"
#include "yq_err.h"
#include "yq_item.h"
#include "yq_time.h"
#include "yq_banned.h"

/* The group's services (collector_stack_fixture.h): sources big and fabu. */
struct fixture {
    struct cfx_ingest in;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx) {
        return -1;
    }
    *state = fx;
    return cfx_ingest_setup(&fx->in, "  - id: big\n    url: http://127.0.0.1:1/feed.xml\n"
                                     "  - id: fabu\n    url: http://127.0.0.1:1/fabu.xml\n"
                                     "    official: true\n    local: true\n"
                                     "    department: 市政府办公室\n");
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    cfx_ingest_teardown(&fx->in);
    free(fx);
    return 0;
}

/* The fixture of a test that needs redis-server: skips the running test when there is none. */
static struct fixture *need_redis(void **state)
{
    struct fixture *fx = *state;

    REDIS_FIXTURE_NEED(&fx->in.redis);
    return fx;
}

static bool seen(struct fixture *fx, const char *id)
{
    bool s = false;
    assert_int_equal(store_seen(fx->in.store, id, &s), 0);
    return s;
}

/*
 * Read every message of yuqing.items; returns how many, sets *max_len to the longest value and
 * *truncated to how many hold needle and also needle2 when not NULL (NUL-terminated).
 */
static int consume_both(struct fixture *fx, const char *needle, const char *needle2,
                        size_t *max_len, int *truncated)
{
    rd_kafka_t *c = cfx_kafka_consumer(fx->in.bootstraps, "t");
    int n = 0, empty = 0;

    assert_non_null(c);
    *max_len = 0;
    *truncated = 0;
    /* hang guard: at most 600 polls of 100 ms; stops at the partition end */
    for (int i = 0; i < 600 && empty == 0; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
        if (!m) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            empty = 1;
        } else if (!m->err) {
            n++;
            if (m->len > *max_len) {
                *max_len = m->len;
            }
            if (memmem(m->payload, m->len, needle, strlen(needle)) &&
                (!needle2 || memmem(m->payload, m->len, needle2, strlen(needle2)))) {
                (*truncated)++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(c);
    rd_kafka_destroy(c);
    return n;
}

static int consume_all(struct fixture *fx, const char *needle, size_t *max_len, int *truncated)
{
    return consume_both(fx, needle, NULL, max_len, truncated);
}

static char *big_title_feed(void)
{
    static const char head[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\">"
                               "<channel><title>大</title><item><guid>big-1</guid><title>";
    static const char tail[] = "</title><link>http://e.example/1</link></item>"
                               "<item><guid>small-2</guid><title>小</title>"
                               "<link>http://e.example/2</link></item></channel></rss>";
    size_t n = 400000, unit = strlen("标");
    char *doc = malloc(sizeof(head) + n * unit + sizeof(tail)), *p = doc;

    assert_non_null(doc);
    memcpy(p, head, sizeof(head) - 1);
    p += sizeof(head) - 1;
    for (size_t i = 0; i < n; i++, p += unit) {
        memcpy(p, "标", unit);
    }
    memcpy(p, tail, sizeof(tail));
    return doc;
}

/*
 * Parse doc (a feed document, NUL-terminated) and ingest its entries as source src of the
 * fixture's config, fetched now; res gets the counts. Fails the test on an error.
 */
static void ingest_doc(struct fixture *fx, size_t src, const char *doc, struct ingest_result *res)
{
    struct feed_input in = {.body = doc, .len = strlen(doc)};
    struct ingest_ctx ctx = {.src = &fx->in.cfg.sources[src], .fetched_at = yq_time_now(),
                             .max_text_bytes = 1 << 20, .store = fx->in.store,
                             .producer = fx->in.prod};
    struct feed *f = NULL;
    char ferr[256] = "";

    assert_int_equal(feed_parse(&in, &f, ferr, sizeof(ferr)), 0);
    assert_int_equal(ingest_feed(f, &ctx, res), 0);
    feed_free(f);
}

/* Issue #10: a 1.2 MB title and a normal entry: both produced, the big one cut to fit. */
static void test_issue_10_oversized_entry_does_not_hold_back_the_other(void **state)
{
    struct fixture *fx = need_redis(state);
    char *doc, ferr[256] = "", big_id[FEED_ITEM_ID_LEN], small_id[FEED_ITEM_ID_LEN];
    struct feed_input in = {0};
    struct feed *f = NULL;
    struct ingest_result res;
    struct ingest_ctx ctx;
    size_t max_len = 0;
    int truncated = 0;

    doc = big_title_feed();
    in.body = doc;
    in.len = strlen(doc);
    assert_int_equal(feed_parse(&in, &f, ferr, sizeof(ferr)), 0);
    assert_int_equal(f->n_entries, 2);
    assert_int_equal(feed_item_id(&f->entries[0], big_id, sizeof(big_id)), 0);
    assert_int_equal(feed_item_id(&f->entries[1], small_id, sizeof(small_id)), 0);
    ctx = (struct ingest_ctx){.src = &fx->in.cfg.sources[0], .fetched_at = yq_time_now(),
                              .max_text_bytes = 1 << 20, .store = fx->in.store,
                              .producer = fx->in.prod};
    assert_int_equal(ingest_feed(f, &ctx, &res), 0);
    assert_int_equal(res.produced, 2);
    assert_int_equal(res.deferred, 0);
    assert_int_equal(res.rejected, 0);
    cfx_wait_delivered(fx->in.prod);
    assert_true(seen(fx, big_id));
    assert_true(seen(fx, small_id));
    assert_int_equal(consume_all(fx, "\"truncated_fields\":[\"title\"]", &max_len, &truncated),
                     2);
    assert_true(max_len <= ITEM_PRODUCER_MAX_ITEM_BYTES);
    assert_int_equal(truncated, 1);
    /* the next poll: both seen, nothing deferred */
    assert_int_equal(ingest_feed(f, &ctx, &res), 0);
    assert_int_equal(res.seen, 2);
    feed_free(f);
    free(doc);
}

/*
 * A feed of 3 chunks + 1 entries ingested in steps of CHUNK (ingest_run_step()), as the poller
 * does between its loop passes: 4 steps, each producing exactly the next entries in document
 * order (the later ones are untouched until their step), every item produced once; the next
 * poll finds all of them seen.
 */
#define CHUNK 5
static void test_ingest_in_chunks_keeps_order_and_produces_once(void **state)
{
    struct fixture *fx = need_redis(state);
    enum { N = 3 * CHUNK + 1 };
    char doc[8192], ids[N][FEED_ITEM_ID_LEN], ferr[256] = "";
    struct feed_input in = {0};
    struct feed *f = NULL;
    struct ingest_ctx ctx;
    struct ingest_run *run = NULL;
    struct ingest_result res;
    size_t len, used, max_len = 0, taken = 0;
    int steps = 0, truncated = 0, rc = 0;
    bool done = false;

    len = (size_t)snprintf(doc, sizeof(doc), "<rss version=\"2.0\"><channel><title>c</title>");
    for (int i = 0; i < N; i++) {
        len +=
            (size_t)snprintf(doc + len, sizeof(doc) - len,
                             "<item><guid>tag:chunk,2026:%d</guid><title>t%d</title></item>", i, i);
    }
    snprintf(doc + len, sizeof(doc) - len, "</channel></rss>");
    in.body = doc;
    in.len = strlen(doc);
    assert_int_equal(feed_parse(&in, &f, ferr, sizeof(ferr)), 0);
    assert_int_equal(f->n_entries, N);
    for (int i = 0; i < N; i++) {
        assert_int_equal(feed_item_id(&f->entries[i], ids[i], sizeof(ids[i])), 0);
    }
    ctx = (struct ingest_ctx){.src = &fx->in.cfg.sources[0],
                              .fetched_at = yq_time_now(),
                              .max_text_bytes = 1 << 20,
                              .store = fx->in.store,
                              .producer = fx->in.prod};
    assert_int_equal(ingest_run_new(f, &ctx, &run), 0);
    while (!done) {
        rc = ingest_run_step(run, CHUNK, &used, &done);
        steps++;
        taken += used;
        assert_int_equal(used, steps < 4 ? CHUNK : 1);
        assert_int_equal(ingest_run_result(run)->produced, taken);
        /* no delivery report served in between: produced = in flight */
        for (size_t i = 0; i < N; i++) {
            assert_int_equal(item_producer_in_flight(fx->in.prod, ids[i]), i < taken);
        }
        assert_true(steps <= 4);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(steps, 4);
    res = *ingest_run_result(run);
    assert_int_equal(res.entries, N);
    assert_int_equal(res.produced, N);
    assert_int_equal(res.deferred + res.seen + res.in_flight + res.invalid, 0);
    ingest_run_free(run);
    cfx_wait_delivered(fx->in.prod);
    for (int i = 0; i < N; i++) {
        assert_true(seen(fx, ids[i]));
    }
    assert_int_equal(consume_all(fx, "\"title\":\"t", &max_len, &truncated), N);
    assert_int_equal(truncated, N);
    /* the next poll, whole: every entry seen, nothing produced again */
    assert_int_equal(ingest_feed(f, &ctx, &res), 0);
    assert_int_equal(res.seen, N);
    assert_int_equal(res.produced, 0);
    feed_free(f);
}

/* Issue #10: a message librdkafka refuses for good settles that item, with its reason. */
static void test_issue_10_permanent_produce_error_settles_the_item(void **state)
{
    struct fixture *fx = need_redis(state);
    size_t big = ITEM_PRODUCER_MESSAGE_MAX_BYTES + 1000;
    char *json;
    static const char small[] = "{\"schema\":1,\"id\":\"rss:small\"}";

    json = malloc(big);
    assert_non_null(json);
    memset(json, 'x', big);
    assert_int_equal(item_producer_send(fx->in.prod, "rss:huge", NULL, "big", yq_time_now(), json,
                                        big, NULL),
                     ERR_TOO_BIG);
    assert_non_null(strstr(item_producer_last_error(fx->in.prod), "too large"));
    assert_int_equal(item_producer_rejected_count(fx->in.prod), 1); /* counted for /metrics */
    assert_false(item_producer_in_flight(fx->in.prod, "rss:huge"));
    assert_true(seen(fx, "rss:huge")); /* settled: later polls skip it */
    /* the next item is not held back */
    assert_int_equal(item_producer_send(fx->in.prod, "rss:small", NULL, "big", yq_time_now(), small,
                                        sizeof(small) - 1, NULL),
                     0);
    cfx_wait_delivered(fx->in.prod);
    assert_true(seen(fx, "rss:small"));
    free(json);
}

/* Issue #10: the broker refuses a message for good (delivery report): settled, not retried */
static void test_issue_10_permanent_delivery_error_settles_the_item(void **state)
{
    struct fixture *fx = need_redis(state);
    static const char json[] = "{\"schema\":1,\"id\":\"rss:refused\"}";
    static const char next[] = "{\"schema\":1,\"id\":\"rss:next\"}";
    struct delivery_tally tally = {0};

    rd_kafka_mock_push_request_errors(
        (rd_kafka_mock_cluster_t *)rd_kafka_handle_mock_cluster(fx->in.mock_rk), 0 /* Produce */, 1,
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    assert_int_equal(item_producer_send(fx->in.prod, "rss:refused", NULL, "big", yq_time_now(), json,
                                        sizeof(json) - 1, &tally),
                     0);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(tally.failed, 1);
    assert_int_equal(item_producer_delivery_errors(fx->in.prod), 1);
    assert_int_equal(item_producer_rejected_count(fx->in.prod), 1);
    assert_true(seen(fx, "rss:refused")); /* settled: the next poll skips it */
    assert_int_equal(item_producer_send(fx->in.prod, "rss:next", NULL, "big", yq_time_now(), next,
                                        sizeof(next) - 1, &tally),
                     0);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(tally.delivered, 1);
    assert_true(seen(fx, "rss:next"));
}

/*
 * Delivery-report errors are counted per item (yuqing_collector_delivery_errors_total): three
 * items refused by the broker are three errors, three settled items, whether librdkafka sent
 * them in one request or in three.
 */
static void test_delivery_errors_counted_per_item(void **state)
{
    struct fixture *fx = need_redis(state);
    static const char *const ids[] = {"rss:e1", "rss:e2", "rss:e3"};
    struct delivery_tally tally = {0};
    char json[64];

    rd_kafka_mock_push_request_errors(
        (rd_kafka_mock_cluster_t *)rd_kafka_handle_mock_cluster(fx->in.mock_rk), 0 /* Produce */, 3,
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    for (size_t i = 0; i < 3; i++) {
        int n = snprintf(json, sizeof(json), "{\"schema\":1,\"id\":\"%s\"}", ids[i]);
        assert_int_equal(item_producer_send(fx->in.prod, ids[i], NULL, "big", yq_time_now(), json,
                                            (size_t)n, &tally),
                         0);
    }
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(tally.failed, 3);
    assert_int_equal(item_producer_delivery_errors(fx->in.prod), 3);
    assert_int_equal(item_producer_rejected_count(fx->in.prod), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_true(seen(fx, ids[i]));
    }
}

/* Lines of the file at path; -1 when it does not exist. */
static int spool_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, c;

    if (!f) {
        return -1;
    }
    while ((c = fgetc(f)) != EOF) {
        n += c == '\n';
    }
    fclose(f);
    return n;
}

/*
 * FC-020's neighbour: a spooled item the broker refuses for good when it is replayed
 * (MSG_SIZE_TOO_LARGE: the broker's message.max.bytes is below ours) is settled like a live
 * one (marked seen, counted as rejected). It used to be spooled anew: refused again at every
 * start, for ever, and never marked seen.
 */
static void test_fc_020_replayed_item_refused_for_good_is_settled(void **state)
{
    struct fixture *fx = need_redis(state);
    char dir[] = "/tmp/yq-replay-XXXXXX", spool[64], replay[80], err[256];
    struct item_producer_opts opts = {.spool_path = spool};
    struct item_producer *prod;
    FILE *f;
    int64_t give_up;

    assert_non_null(mkdtemp(dir));
    snprintf(spool, sizeof(spool), "%s/spool.jsonl", dir);
    snprintf(replay, sizeof(replay), "%s.replay", spool);
    f = fopen(spool, "w");
    assert_non_null(f);
    fputs("{\"schema\":1,\"id\":\"rss:refused-again\"}\n", f);
    assert_int_equal(fclose(f), 0);
    prod = item_producer_new(&fx->in.cfg.kafka, fx->in.store, &opts, err, sizeof(err));
    assert_non_null(prod);
    /* the replayed line's Produce request is refused for good */
    rd_kafka_mock_push_request_errors(
        (rd_kafka_mock_cluster_t *)rd_kafka_handle_mock_cluster(fx->in.mock_rk), 0 /* Produce */, 1,
        RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
    assert_int_equal(item_producer_replay_spool(prod), 1);
    give_up = yq_time_mono_ms() + 60000; /* hang guard, not a measure */
    while (item_producer_in_flight_count(prod) > 0 && yq_time_mono_ms() < give_up) {
        item_producer_poll(prod, 100);
    }
    assert_int_equal(item_producer_in_flight_count(prod), 0);
    assert_int_equal(item_producer_rejected_count(prod), 1);
    assert_true(seen(fx, "rss:refused-again"));
    assert_int_equal(spool_lines(spool), -1);  /* nothing spooled anew */
    assert_int_equal(spool_lines(replay), -1); /* the replay is done */
    item_producer_free(prod);
    rmdir(dir);
}

/*
 * Issue #11: the items of a source marked official and local in sources.yaml carry the marks
 * and the source's department (the notifier then opens no ticket for them); the items of an
 * unmarked source carry none.
 */
static void test_issue_11_official_local_source_marks_its_items(void **state)
{
    static const char doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
        "<title>安康发布</title><item><guid>fabu-1</guid>"
        "<title>权威发布｜关于石泉县山体滑坡应急处置情况的通报</title>"
        "<link>http://e.example/f1</link></item></channel></rss>";
    static const char plain_doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
        "<title>论坛</title><item><guid>forum-1</guid><title>民房爆炸</title>"
        "<link>http://e.example/p1</link></item></channel></rss>";
    struct fixture *fx = need_redis(state);
    struct ingest_result res;
    size_t max_len = 0;
    int marked = 0;

    assert_true(fx->in.cfg.sources[1].official);
    assert_true(fx->in.cfg.sources[1].local);
    assert_false(fx->in.cfg.sources[0].official);
    ingest_doc(fx, 1, doc, &res);
    assert_int_equal(res.produced, 1);
    ingest_doc(fx, 0, plain_doc, &res);
    assert_int_equal(res.produced, 1);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(consume_all(fx, "\"official\":true,\"local\":true,\"department\":"
                                     "\"市政府办公室\"",
                                 &max_len, &marked),
                     2);
    assert_int_equal(marked, 1);
    assert_int_equal(consume_all(fx, "\"official\"", &max_len, &marked), 2);
    assert_int_equal(marked, 1); /* the forum's item has no mark */
}

/*
 * Issue #11: a new source's first successful poll is its backlog: its items are marked
 * "backlog": true (the notifier holds those without a date); an entry that appears in a later
 * poll (after last_success) is news and carries no mark. Both entries lack <pubDate>, like
 * the 2020 posts of corpus/rss/caogen_rss_utf8_bom_empty_pubdate.xml.
 */
static void test_issue_11_first_poll_marks_backlog(void **state)
{
    static const char first_doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
        "<title>草根</title><item><guid>old-1</guid><title>宇宙大爆炸理论</title>"
        "<link>http://e.example/o1</link><pubDate></pubDate></item></channel></rss>";
    static const char later_doc[] =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel>"
        "<title>草根</title><item><guid>old-1</guid><title>宇宙大爆炸理论</title>"
        "<link>http://e.example/o1</link></item><item><guid>new-2</guid>"
        "<title>民房燃气爆炸</title><link>http://e.example/n2</link></item></channel></rss>";
    struct fixture *fx = need_redis(state);
    struct ingest_result res;
    size_t max_len = 0;
    int marked = 0;
    bool before = true;

    assert_int_equal(store_crawled_before(fx->in.store, "big", &before), 0);
    assert_false(before);
    ingest_doc(fx, 0, first_doc, &res);
    assert_int_equal(res.produced, 1);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(store_health_ok(fx->in.store, "big", yq_time_now(), 200, 1), 0);
    ingest_doc(fx, 0, later_doc, &res);
    assert_int_equal(res.produced, 1);
    assert_int_equal(res.seen, 1);
    cfx_wait_delivered(fx->in.prod);
    assert_int_equal(consume_all(fx, "\"backlog\":true", &max_len, &marked), 2);
    assert_int_equal(marked, 1);
    assert_int_equal(consume_both(fx, "\"title\":\"宇宙大爆炸理论\"", "\"backlog\":true",
                                  &max_len, &marked),
                     2);
    assert_int_equal(marked, 1); /* the first poll's entry is the one marked */
    assert_int_equal(consume_both(fx, "\"title\":\"民房燃气爆炸\"", "\"published_at\":null",
                                  &max_len, &marked),
                     2);
    assert_int_equal(marked, 1); /* undated, but new in a later poll: no mark */
}

/* Issue #11: official: true without the department that runs the account is refused. */
static void test_issue_11_official_source_needs_department(void **state)
{
    static const char text[] = "sources:\n  - id: fabu\n    url: http://e.example/f.xml\n"
                               "    official: true\n";
    struct collector_config cfg;
    char err[256] = "";

    (void)state;
    assert_int_equal(collector_config_load(&cfg, "s.yaml", text, strlen(text), err, sizeof(err)),
                     ERR_INVALID);
    assert_string_equal(err, "s.yaml:2: source 'fabu' (official: true) needs its 'department'");
    collector_config_release(&cfg);
}

/* FX(test): test with a fixture of its own: setup() before it, teardown() after it */
#define FX(test) cmocka_unit_test_setup_teardown(test, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX(test_issue_10_oversized_entry_does_not_hold_back_the_other),
        FX(test_ingest_in_chunks_keeps_order_and_produces_once),
        FX(test_issue_10_permanent_produce_error_settles_the_item),
        FX(test_issue_10_permanent_delivery_error_settles_the_item),
        FX(test_fc_020_replayed_item_refused_for_good_is_settled),
        FX(test_delivery_errors_counted_per_item),
        FX(test_issue_11_official_local_source_marks_its_items),
        FX(test_issue_11_first_poll_marks_backlog),
        cmocka_unit_test(test_issue_11_official_source_needs_department),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
