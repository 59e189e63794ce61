/*
 * yq_redis against a scripted fake Redis server (case FC-022): a reply that arrives after the
 * client's command timeout must never be read as the answer to the next command; the context
 * is dropped and a new connection made, with the timeout applied again.
 *
 * No wall-time assertion (issue #10): a "late" reply is held by the fake until the test
 * releases it, after the client's call has returned, so the call can only have returned by
 * its timeout; were the timeout not applied, the call would block until the hang guard
 * (HOLD_GUARD_MS) and then return the reply, failing assert_null.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_redis.h"
#include "yq_time.h"
#include "yq_banned.h"

/*
 * The client's command timeout. Only the held replies need it to expire, and they are held
 * whatever its length; every other reply must come well within it, or the client would retry
 * on a new connection and the connection counts below would differ: so it is long enough for a
 * machine with every core busy, at the cost of about a second per held reply.
 */
#define TIMEOUT_MS 1000
#define HOLD_GUARD_MS 60000 /* a held reply goes out after this even if never released */

struct fake {
    int listen_fd;
    int port;
    bool variant_b;      /* close the first connection after its late reply (a Redis restart) */
    bool every_get_late; /* every connection answers GET late (timeout applies again) */
    atomic_int connections;
    atomic_int live;       /* connection threads still running */
    atomic_bool released;  /* held (late) replies may go out now */
    atomic_bool late_sent; /* the first connection's late reply was sent */
    pthread_t thread;
    atomic_bool stop;
};

/* Wait (hang guard: 60 s) until *flag is true. */
static void wait_flag(atomic_bool *flag)
{
    int64_t until = yq_time_mono_ms() + HOLD_GUARD_MS;
    while (!atomic_load(flag) && yq_time_mono_ms() < until) {
        usleep(1000);
    }
    assert_true(atomic_load(flag));
}

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n > 0) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

struct conn {
    struct fake *f;
    int fd;
    int index;
};

static void *serve_conn(void *arg)
{
    struct conn *c = arg;
    char buf[4096];

    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0) {
            break;
        }
        buf[n] = '\0';
        if (strstr(buf, "GET") && strstr(buf, "rules:version")) {
            if (c->index == 0 || c->f->every_get_late) {
                /* held until the test releases it: after the client's timeout, same socket */
                int64_t until = yq_time_mono_ms() + HOLD_GUARD_MS;
                while (!atomic_load(&c->f->released) && yq_time_mono_ms() < until) {
                    usleep(1000);
                }
                send_all(c->fd, "$2\r\n17\r\n");
                if (c->index == 0) {
                    atomic_store(&c->f->late_sent, true);
                }
                if (c->f->variant_b && c->index == 0) {
                    break; /* the server restarts */
                }
                continue;
            }
            send_all(c->fd, "$2\r\n17\r\n");
        } else if (strstr(buf, "pipe:dies")) {
            /* a pipeline of three: two replies, then the connection dies */
            send_all(c->fd, "+OK\r\n+OK\r\n");
            break;
        } else if (strstr(buf, "pipe:late")) {
            /* a pipeline of three: two replies, the third held past the client's timeout */
            int64_t until = yq_time_mono_ms() + HOLD_GUARD_MS;
            send_all(c->fd, "+OK\r\n+OK\r\n");
            while (!atomic_load(&c->f->released) && yq_time_mono_ms() < until) {
                usleep(1000);
            }
            send_all(c->fd, "*2\r\n$4\r\nlate\r\n$4\r\nlate\r\n");
            atomic_store(&c->f->late_sent, true);
        } else if (strstr(buf, "SMEMBERS")) {
            usleep(10 * 1000);
            send_all(c->fd, "*2\r\n$4\r\nr-01\r\n$4\r\nr-02\r\n");
        } else if (strstr(buf, "PING")) {
            send_all(c->fd, "+PONG\r\n");
        } else {
            send_all(c->fd, "-ERR unknown\r\n");
        }
    }
    close(c->fd);
    atomic_fetch_sub(&c->f->live, 1);
    free(c);
    return NULL;
}

static void *accept_loop(void *arg)
{
    struct fake *f = arg;
    while (!f->stop) {
        struct conn *c;
        pthread_t t;
        int fd = accept(f->listen_fd, NULL, NULL);
        if (fd < 0) {
            break;
        }
        c = calloc(1, sizeof(*c));
        c->f = f;
        c->fd = fd;
        c->index = atomic_fetch_add(&f->connections, 1);
        atomic_fetch_add(&f->live, 1);
        pthread_create(&t, NULL, serve_conn, c);
        pthread_detach(t);
    }
    return NULL;
}

static void fake_start(struct fake *f)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof(sa);
    int one = 1;

    f->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(f->listen_fd >= 0);
    setsockopt(f->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(f->listen_fd, 16), 0);
    assert_int_equal(getsockname(f->listen_fd, (struct sockaddr *)&sa, &len), 0);
    f->port = ntohs(sa.sin_port);
    assert_int_equal(pthread_create(&f->thread, NULL, accept_loop, f), 0);
}

static void fake_stop(struct fake *f)
{
    int64_t until = yq_time_mono_ms() + HOLD_GUARD_MS;

    atomic_store(&f->released, true);
    atomic_store(&f->stop, true);
    shutdown(f->listen_fd, SHUT_RDWR);
    close(f->listen_fd);
    pthread_join(f->thread, NULL);
    /* the client closed its connections: their threads end (hang guard 60 s) */
    while (atomic_load(&f->live) > 0 && yq_time_mono_ms() < until) {
        usleep(1000);
    }
    assert_int_equal(atomic_load(&f->live), 0);
}

static struct yq_redis_cfg cfg_for(int port)
{
    struct yq_redis_cfg c = {
        .host = "127.0.0.1",
        .port = port,
        .connect_timeout_ms = 5000,
        .command_timeout_ms = TIMEOUT_MS,
        .seen_ttl_s = 60,
    };
    return c;
}

/* Start f and a client of it; cfg (caller storage) is filled for its port and must outlive r. */
static struct yq_redis *fake_client(struct fake *f, struct yq_redis_cfg *cfg)
{
    struct yq_redis *r;

    fake_start(f);
    *cfg = cfg_for(f->port);
    r = yq_redis_new(cfg);
    assert_non_null(r);
    return r;
}

static void assert_members(redisReply *r)
{
    assert_non_null(r);
    /* the late "17" is never returned for SMEMBERS */
    assert_int_equal(r->type, REDIS_REPLY_ARRAY);
    assert_int_equal(r->elements, 2);
    assert_string_equal(r->element[0]->str, "r-01");
    assert_string_equal(r->element[1]->str, "r-02");
    freeReplyObject(r);
}

static void run_script(bool variant_b)
{
    struct fake f = {.variant_b = variant_b};
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
    const char *smembers[] = {"SMEMBERS", "rules:active"};
    redisReply *reply;

    r = fake_client(&f, &cfg);
    /* GET times out (its reply is held): reported as a failure (NULL) */
    reply = yq_redis_command(r, "GET %s", "rules:version");
    assert_null(reply);
    /* now the late "17" arrives on the old socket (variant b: and the server closes it) */
    atomic_store(&f.released, true);
    wait_flag(&f.late_sent);
    /* SMEMBERS must get its own array, not the late "17" */
    assert_members(yq_redis_read_argv(r, 2, smembers, NULL, REDIS_REPLY_ARRAY));
    assert_int_equal(atomic_load(&f.connections), 2); /* the timed-out context was not reused */
    /* the idempotent read retried on a new connection returns 17 */
    {
        const char *get[] = {"GET", "rules:version"};
        reply = yq_redis_read_argv(r, 2, get, NULL, REDIS_REPLY_STRING);
        assert_non_null(reply);
        assert_int_equal(reply->type, REDIS_REPLY_STRING);
        assert_string_equal(reply->str, "17");
        freeReplyObject(reply);
    }
    yq_redis_free(r);
    fake_stop(&f);
}

static void test_fc_022_late_reply_never_read_as_next_answer(void **state)
{
    (void)state;
    run_script(false);
}

static void test_fc_022_variant_b_server_restart(void **state)
{
    (void)state;
    run_script(true);
}

static void test_fc_022_timeout_applies_after_reconnect(void **state)
{
    struct fake f = {.every_get_late = true};
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
    const char *get[] = {"GET", "rules:version"};

    (void)state;
    r = fake_client(&f, &cfg);
    /*
     * Every GET reply is held until the end: both attempts of the retried read can only end by
     * the command timeout, on two connections (the timeout applies to the reconnected one too)
     */
    assert_null(yq_redis_read_argv(r, 2, get, NULL, REDIS_REPLY_STRING));
    assert_int_equal(atomic_load(&f.connections), 2);
    /* and again on a third connection */
    assert_null(yq_redis_command(r, "GET %s", "rules:version"));
    assert_int_equal(atomic_load(&f.connections), 3);
    yq_redis_free(r);
    fake_stop(&f);
}

static void test_wrong_reply_type_drops_the_connection(void **state)
{
    struct fake f = {0};
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
    const char *get[] = {"GET", "rules:version"};

    (void)state;
    r = fake_client(&f, &cfg);
    /* connection 0 answers GET late; ask as if an array were expected from a fresh one */
    assert_null(yq_redis_command(r, "GET %s", "rules:version"));
    assert_null(yq_redis_read_argv(r, 2, get, NULL, REDIS_REPLY_ARRAY));
    assert_false(yq_redis_is_up(r));
    yq_redis_free(r);
    fake_stop(&f);
}

/*
 * FC-022 in a pipeline of three commands whose connection dies (dies true) or whose third
 * reply comes late (after the client's timeout) once two replies were read: ERR_RETRY with
 * every slot NULL (the two replies read are not handed out as if the batch had run), and the
 * next command gets its own answer on a new connection, never the late reply.
 */
static void run_pipeline_cut(bool dies)
{
    struct fake f = {0};
    struct yq_redis_cfg cfg;
    struct yq_redis *r;
    const char *set[] = {"SET", "k", dies ? "pipe:dies" : "pipe:late"};
    const char *smembers[] = {"SMEMBERS", "rules:active"};
    const char **cmds[] = {set, set, set};
    int argc[] = {3, 3, 3};
    redisReply *rep[3] = {(redisReply *)1, (redisReply *)1, (redisReply *)1};

    r = fake_client(&f, &cfg);
    assert_int_equal(yq_redis_pipeline(r, 3, argc, cmds, rep), ERR_RETRY);
    assert_null(rep[0]);
    assert_null(rep[1]);
    assert_null(rep[2]);
    assert_false(yq_redis_is_up(r));
    if (!dies) {
        /* the late third reply goes out on the old socket: it must answer nothing */
        atomic_store(&f.released, true);
        wait_flag(&f.late_sent);
    }
    assert_members(yq_redis_read_argv(r, 2, smembers, NULL, REDIS_REPLY_ARRAY));
    assert_int_equal(atomic_load(&f.connections), 2);
    yq_redis_free(r);
    fake_stop(&f);
}

static void test_fc_022_pipeline_connection_dies_after_two_replies(void **state)
{
    (void)state;
    run_pipeline_cut(true);
}

static void test_fc_022_pipeline_third_reply_late(void **state)
{
    (void)state;
    run_pipeline_cut(false);
}

static void test_unreachable_is_null_not_crash(void **state)
{
    struct yq_redis_cfg cfg = cfg_for(1); /* nothing listens on port 1 */
    struct yq_redis *r = yq_redis_new(&cfg);
    const char *get[] = {"GET", "x"};

    (void)state;
    assert_null(yq_redis_command(r, "PING"));
    assert_null(yq_redis_read_argv(r, 2, get, NULL, -1));
    assert_false(yq_redis_is_up(r));
    {
        const char **cmds[] = {get, get};
        int argc[] = {2, 2};
        redisReply *rep[2] = {(redisReply *)1, (redisReply *)1};
        assert_int_equal(yq_redis_pipeline(r, 2, argc, cmds, rep), ERR_RETRY);
        assert_null(rep[0]);
        assert_null(rep[1]);
    }
    yq_redis_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fc_022_late_reply_never_read_as_next_answer),
        cmocka_unit_test(test_fc_022_variant_b_server_restart),
        cmocka_unit_test(test_fc_022_timeout_applies_after_reconnect),
        cmocka_unit_test(test_wrong_reply_type_drops_the_connection),
        cmocka_unit_test(test_fc_022_pipeline_connection_dies_after_two_replies),
        cmocka_unit_test(test_fc_022_pipeline_third_reply_late),
        cmocka_unit_test(test_unreachable_is_null_not_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
