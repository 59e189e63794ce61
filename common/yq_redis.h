/*
 * A Redis connection that never reuses a broken context: after a NULL reply or c->err the
 * context is freed and the next command reconnects, re-applying timeouts and keepalive
 * (a late reply after a timeout must never be read as the answer to the next command).
 */
#ifndef YQ_REDIS_H
#define YQ_REDIS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "yq_cfg.h"

struct yq_redis_cfg {
    char *host;
    int64_t port;
    char *password_file; /* file holding the AUTH password, or NULL */
    int64_t connect_timeout_ms;
    int64_t command_timeout_ms;
    int64_t seen_ttl_s; /* TTL of yuqing:seen:<id> keys (design §2: default 30 days) */
};

extern const struct cfg_key yq_redis_cfg_keys[];

struct yq_redis;

/* A handle for cfg (borrowed; must outlive the handle). Connects lazily. NULL on ERR_NOMEM. */
struct yq_redis *yq_redis_new(const struct yq_redis_cfg *cfg);
void yq_redis_free(struct yq_redis *r);

/*
 * Run one command (hiredis format). Connects first if needed.
 * Returns a new reply (freeReplyObject()) that may be REDIS_REPLY_ERROR, or NULL when Redis
 * is unreachable or the command failed on the wire (the context is dropped; retry later).
 * Not thread-safe: one handle per thread.
 */
redisReply *yq_redis_command(struct yq_redis *r, const char *fmt, ...);

/* As yq_redis_command() with an argument vector (argvlen may be NULL for C strings). */
redisReply *yq_redis_command_argv(struct yq_redis *r, int argc, const char **argv,
                                  const size_t *argvlen);

/*
 * An idempotent read (GET, HGET, SMEMBERS, EXISTS ...) as yq_redis_command_argv(), retried
 * once on a fresh connection when the first attempt got no reply (timeout, reset): the
 * late reply of the first attempt can never be read as the answer (case FC-022).
 * expected_type: REDIS_REPLY_* the caller needs, or -1 for any; a reply of another type
 * (other than NIL and ERROR, returned as they are) is treated as a protocol desync: the
 * context is dropped and NULL returned. Returns a new reply or NULL. Not thread-safe.
 */
redisReply *yq_redis_read_argv(struct yq_redis *r, int argc, const char **argv,
                               const size_t *argvlen, int expected_type);

/*
 * Send n commands at once and read their n replies (hiredis redisAppendCommandArgv, then
 * redisGetReply): one round trip instead of n, for a batch that would otherwise block the
 * caller's event loop n times (the hot-search list writes ~3 commands per entry). Command i
 * is argc[i] NUL-terminated strings argv[i] (borrowed). replies (caller storage, n slots) get
 * a new reply each (freeReplyObject(); any may be REDIS_REPLY_ERROR). Not atomic: a command's
 * error reply does not stop the others. Returns 0, or ERR_RETRY when Redis is unreachable or
 * the connection failed part-way (every slot NULL, the context dropped so that no late reply
 * is ever read as another command's). Not thread-safe.
 */
int yq_redis_pipeline(struct yq_redis *r, size_t n, const int *argc, const char **const *argv,
                      redisReply **replies);

/* Non-zero when the last command reached Redis. */
int yq_redis_is_up(const struct yq_redis *r);

/*
 * Whether reply (may be NULL) is Redis's WRONGTYPE error: the key holds another type (bad data
 * written by something else, the same at every try: skip or refuse it), unlike the other error
 * replies (LOADING, BUSY, NOPERM, OOM ...: Redis cannot answer now, try again later).
 */
bool yq_redis_reply_wrongtype(const redisReply *reply);

#endif
