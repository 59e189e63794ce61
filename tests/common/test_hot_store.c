/*
 * The hot-search list's Redis records (common/yq_hot.h) against a throw-away redis-server
 * (redis_fixture.h; the tests skip without it): the stays of a source saved and loaded back,
 * an empty save deleting them, the polls of an entry recorded and read from a time on, and
 * hostile members and fields that a reader skips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis_fixture.h"
#include "yq_err.h"
#include "yq_hot.h"
#include "yq_redis.h"
#include "yq_banned.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

struct fx {
    struct redis_fixture redis;
    struct yq_redis_cfg rc; /* borrowed by r */
    struct yq_redis *r;
    redisContext *raw; /* for what the module never writes */
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    *state = f;
    if (redis_fixture_start(&f->redis) != 0) {
        return 0; /* the tests skip */
    }
    f->rc.host = (char *)"127.0.0.1";
    f->rc.port = f->redis.port;
    f->rc.connect_timeout_ms = 5000;
    f->rc.command_timeout_ms = 5000;
    f->r = yq_redis_new(&f->rc);
    assert_non_null(f->r);
    f->raw = redisConnect("127.0.0.1", f->redis.port);
    assert_true(f->raw && !f->raw->err);
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    if (f->raw) {
        redisFree(f->raw);
    }
    yq_redis_free(f->r);
    redis_fixture_stop(&f->redis);
    free(f);
    return 0;
}

static void raw(struct fx *f, const char *fmt, const char *a, const char *b, const char *c)
{
    redisReply *rep = redisCommand(f->raw, fmt, a, b, c);
    assert_non_null(rep);
    assert_int_not_equal(rep->type, REDIS_REPLY_ERROR);
    freeReplyObject(rep);
}

static void test_stays_round_trip_and_empty_save(void **state)
{
    struct fx *f = *state;
    const struct yq_hot_stay in[2] = {
        {SHA_A, 1796398200, 3, 1796398260, true, true},
        {SHA_B, 1796398000, 0, 1796398100, false, false},
    };
    struct yq_hot_stay *out = NULL;
    size_t n = 0;

    if (!f->r) {
        skip();
    }
    assert_int_equal(yq_hot_stays_save(f->r, "hot1", in, 2), 0);
    /* a field that is not a stay is skipped by the reader */
    raw(f, "HSET %s %s %s", "yuqing:hot:hot1:current", "not-a-sha1", "{}");
    raw(f, "HSET %s %s %s", "yuqing:hot:hot1:current", SHA_B "x", "{\"entered_at\":1}");
    assert_int_equal(yq_hot_stays_load(f->r, "hot1", &out, &n), 0);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < 2; i++) {
        const struct yq_hot_stay *want = strcmp(out[i].sha1, SHA_A) == 0 ? &in[0] : &in[1];
        assert_string_equal(out[i].sha1, want->sha1);
        assert_int_equal(out[i].entered_at, want->entered_at);
        assert_int_equal(out[i].best_rank, want->best_rank);
        assert_int_equal(out[i].last_seen, want->last_seen);
        assert_int_equal(out[i].rose, want->rose);
        assert_int_equal(out[i].on, want->on);
    }
    assert_string_not_equal(out[0].sha1, out[1].sha1);
    free(out);
    /* nothing to keep: the hash goes */
    assert_int_equal(yq_hot_stays_save(f->r, "hot1", NULL, 0), 0);
    out = (struct yq_hot_stay *)1;
    assert_int_equal(yq_hot_stays_load(f->r, "hot1", &out, &n), 0);
    assert_null(out);
    assert_int_equal(n, 0);
    assert_int_equal(yq_hot_stays_load(f->r, "", &out, &n), ERR_INVALID);
}

static void test_points_from_a_time_with_hostile_members(void **state)
{
    struct fx *f = *state;
    const struct yq_hot_point p[] = {
        {1796398000, 15, 985000}, {1796398060, 8, 992000}, {1796398120, 0, -1}};
    struct yq_hot_point *out = NULL;
    size_t n = 0;

    if (!f->r) {
        skip();
    }
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(yq_hot_record(f->r, "hot1", SHA_A, &p[i]), 0);
    }
    assert_int_equal(yq_hot_record(f->r, "hot1", "not-a-sha1", &p[0]), ERR_INVALID);
    /* members the module never writes: skipped, not read as points */
    raw(f, "ZADD %s %s %s", "yuqing:hot:hot1:" SHA_A, "1796398070", "1796398070 -2 5");
    raw(f, "ZADD %s %s %s", "yuqing:hot:hot1:" SHA_A, "1796398080", "1796398080 3 4 trailing");
    assert_int_equal(yq_hot_points(f->r, "hot1", SHA_A, 1796398060, 100, &out, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(out[0].at, 1796398060);
    assert_int_equal(out[0].rank, 8);
    assert_int_equal(out[0].heat, 992000);
    assert_int_equal(out[1].at, 1796398120);
    assert_int_equal(out[1].rank, 0);
    assert_int_equal(out[1].heat, -1);
    free(out);
    /* at most max */
    assert_int_equal(yq_hot_points(f->r, "hot1", SHA_A, 0, 1, &out, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].at, 1796398000);
    free(out);
    /* an entry never seen: none */
    out = (struct yq_hot_point *)1;
    assert_int_equal(yq_hot_points(f->r, "hot1", SHA_B, 0, 100, &out, &n), 0);
    assert_null(out);
    assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stays_round_trip_and_empty_save, setup, teardown),
        cmocka_unit_test_setup_teardown(test_points_from_a_time_with_hostile_members, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
