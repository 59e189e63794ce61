/*
 * Test helper shared by the collector tests and bench/collectors/bench_poll_rounds.c: a
 * libmicrohttpd server on an ephemeral loopback port, librdkafka's mock cluster with the items
 * topic, a hiredis connection and a consumer of the mock cluster. No cmocka in here (the bench
 * links it too): failures are returned, the caller asserts.
 */
#ifndef YQ_COLLECTOR_FIXTURE_H
#define YQ_COLLECTOR_FIXTURE_H

#include <hiredis/hiredis.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <stddef.h>

/*
 * Answer one request for url (NUL-terminated, borrowed) on connection c, e.g. with
 * cfx_reply(); arg is the one given to cfx_http_start(). Called on libmicrohttpd's threads.
 */
typedef enum MHD_Result (*cfx_answer_fn)(struct MHD_Connection *c, const char *url, void *arg);

struct cfx_http {
    struct MHD_Daemon *daemon; /* NULL when not started */
    int port;                  /* the ephemeral port it listens on */
    cfx_answer_fn answer;
    void *arg;
    long completed; /* responses sent to their last byte (cfx_http_completed()) */
};

/*
 * Start h (caller storage, zeroed) answering with answer(arg) (borrowed, must outlive h).
 * max_connections 0: one polling thread; otherwise a thread per connection with that many
 * connections at most (and twice that listen backlog). Returns 0 or -1.
 */
int cfx_http_start(struct cfx_http *h, cfx_answer_fn answer, void *arg,
                   unsigned max_connections);

/*
 * As cfx_http_start() with one polling thread, but speaking TLS (libmicrohttpd with GnuTLS)
 * with the PEM certificate cert_pem and its key key_pem (NUL-terminated, borrowed, must
 * outlive h). Returns 0 or -1 (also when libmicrohttpd has no TLS).
 */
int cfx_https_start(struct cfx_http *h, cfx_answer_fn answer, void *arg, const char *cert_pem,
                    const char *key_pem);

/*
 * How many responses h has sent to their last byte since it started (libmicrohttpd's
 * request-completed notice, MHD_REQUEST_TERMINATED_COMPLETED_OK): on loopback the client can
 * then read all of it, so a test can wait for this instead of sleeping. Thread-safe.
 */
long cfx_http_completed(struct cfx_http *h);

/* Stop h's server (no-op when not started). */
void cfx_http_stop(struct cfx_http *h);

/*
 * Queue a response of len bytes of body (copied) with status, Content-Type ctype and ETag etag
 * (each NULL = none). Returns libmicrohttpd's result.
 */
enum MHD_Result cfx_reply(struct MHD_Connection *c, unsigned status, const char *body,
                          size_t len, const char *ctype, const char *etag);

/*
 * librdkafka's mock cluster (one broker) with the topics yuqing.items and yuqing.sources
 * (one partition each).
 * Returns the handle owning it (rd_kafka_destroy()) or NULL with the reason in errbuf;
 * bootstraps (len bytes) receives its bootstrap servers.
 */
rd_kafka_t *cfx_kafka_mock(char *bootstraps, size_t len, char *errbuf, size_t errlen);

/*
 * A consumer of yuqing.items partition 0 from its beginning on the cluster at bootstraps
 * (group group), reporting the partition's end (enable.partition.eof), with messages up to
 * 4 MB and a 10 ms fetch wait. Returns a new handle (rd_kafka_destroy()) or NULL.
 */
rd_kafka_t *cfx_kafka_consumer(const char *bootstraps, const char *group);

/* cfx_kafka_consumer() of topic (borrowed, NUL-terminated) partition 0 instead. */
rd_kafka_t *cfx_kafka_consumer_topic(const char *bootstraps, const char *group,
                                     const char *topic);

/* A connection to redis-server on 127.0.0.1:port (1 s timeout), or NULL. */
redisContext *cfx_redis_connect(int port);

/*
 * curl_global_init() once for the process, before any thread starts, with
 * curl_global_cleanup() at exit. Returns 0 or -1.
 */
int cfx_curl_init(void);

/*
 * One command over c (fmt: a hiredis format with one %s, filled with arg) that answers an
 * integer (EXISTS, ZCARD, TTL...): that integer, or -1 when Redis gave no integer answer (a TTL
 * of a key without expiry is -1 too: the caller asserts the value it wants).
 */
long long cfx_redis_int(redisContext *c, const char *fmt, const char *arg);

/* HGET key field over c: the value (new, free()) or NULL (no field, no answer). */
char *cfx_hget(redisContext *c, const char *key, const char *field);

/*
 * Calls of command (lower case, e.g. "mget") Redis counted so far (INFO commandstats) over c:
 * >= 0, 0 when never called, -1 when Redis did not answer. Counts, for tests that assert how
 * many Redis calls a behaviour makes (issue #16), never durations.
 */
long long cfx_redis_calls(redisContext *c, const char *command);

#endif
