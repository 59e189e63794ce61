#include "yq_redis.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_fs.h"
#include "yq_log.h"
#include "yq_banned.h"

#define CFG_KEYS_OF yq_redis_cfg
const struct cfg_key yq_redis_cfg_keys[] = {
    CFG_STRING_KEY(host, "127.0.0.1", "Redis host"),
    CFG_INT_KEY(port, "6379", 1, 65535, "Redis port"),
    CFG_STRING_KEY(password_file, NULL, "file holding the AUTH password (never logged)"),
    CFG_MS_KEY(connect_timeout_ms, "1000", 10, 60000, "TCP connect timeout"),
    CFG_MS_KEY(command_timeout_ms, "2000", 10, 60000,
               "per-command timeout; a late reply drops the connection"),
    CFG_INT_KEY(seen_ttl_s, "2592000", 60, 31622400,
                "TTL of yuqing:seen:<id> keys in seconds (design §2: 30 days)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

struct yq_redis {
    const struct yq_redis_cfg *cfg;
    redisContext *ctx;
    int up;
    int64_t failures;
};

struct yq_redis *yq_redis_new(const struct yq_redis_cfg *cfg)
{
    struct yq_redis *r = calloc(1, sizeof(*r));
    if (r) {
        r->cfg = cfg;
    }
    return r;
}

static void drop(struct yq_redis *r)
{
    if (r->ctx) {
        redisFree(r->ctx);
        r->ctx = NULL;
    }
    r->up = 0;
}

void yq_redis_free(struct yq_redis *r)
{
    if (!r) {
        return;
    }
    drop(r);
    free(r);
}

static struct timeval tv_ms(int64_t ms)
{
    struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
    return tv;
}

static int ensure(struct yq_redis *r)
{
    redisReply *reply;

    if (r->ctx) {
        return 0;
    }
    r->ctx = redisConnectWithTimeout(r->cfg->host, (int)r->cfg->port,
                                     tv_ms(r->cfg->connect_timeout_ms));
    if (!r->ctx || r->ctx->err) {
        if (r->up || r->failures == 0) {
            LOG_WARN("redis connect failed host=%s port=%lld err=%s", r->cfg->host,
                     (long long)r->cfg->port, r->ctx ? r->ctx->errstr : "out of memory");
        }
        r->failures++;
        drop(r);
        return ERR_RETRY;
    }
    /* re-applied on every new connection */
    if (redisSetTimeout(r->ctx, tv_ms(r->cfg->command_timeout_ms)) != REDIS_OK ||
        redisEnableKeepAlive(r->ctx) != REDIS_OK) {
        drop(r);
        return ERR_RETRY;
    }
    if (r->cfg->password_file) {
        char *pw = NULL;
        size_t len = 0;
        char why[256] = "";
        int rerr = yq_fs_read_secret(r->cfg->password_file, 4096, &pw, &len, why, sizeof(why));
        if (rerr != 0) {
            /* a world-readable password file is refused (issue #10) */
            LOG_ERR("cannot read redis password file path='%s' reason='%s'",
                    r->cfg->password_file, why[0] ? why : yq_strerror(rerr));
            drop(r);
            return ERR_RETRY;
        }
        while (len > 0 && (pw[len - 1] == '\n' || pw[len - 1] == '\r')) {
            pw[--len] = '\0';
        }
        reply = redisCommand(r->ctx, "AUTH %b", pw, len);
        memset(pw, 0, len);
        free(pw);
        if (!reply || reply->type == REDIS_REPLY_ERROR) {
            LOG_ERR("redis AUTH failed host=%s", r->cfg->host);
            if (reply) {
                freeReplyObject(reply);
            }
            drop(r);
            return ERR_RETRY;
        }
        freeReplyObject(reply);
    }
    if (!r->up && r->failures > 0) {
        LOG_INFO("redis reconnected host=%s port=%lld", r->cfg->host, (long long)r->cfg->port);
    }
    r->failures = 0;
    r->up = 1;
    return 0;
}

static redisReply *after(struct yq_redis *r, redisReply *reply)
{
    if (!reply || r->ctx->err) {
        LOG_WARN("redis command failed host=%s err=%s", r->cfg->host,
                 r->ctx->err ? r->ctx->errstr : "no reply");
        if (reply) {
            freeReplyObject(reply);
        }
        drop(r); /* never reuse a context that may hold a late reply */
        r->failures++;
        return NULL;
    }
    return reply;
}

redisReply *yq_redis_command(struct yq_redis *r, const char *fmt, ...)
{
    va_list ap;
    redisReply *reply;

    if (ensure(r) != 0) {
        return NULL;
    }
    va_start(ap, fmt);
    reply = redisvCommand(r->ctx, fmt, ap);
    va_end(ap);
    return after(r, reply);
}

redisReply *yq_redis_command_argv(struct yq_redis *r, int argc, const char **argv,
                                  const size_t *argvlen)
{
    if (ensure(r) != 0) {
        return NULL;
    }
    return after(r, redisCommandArgv(r->ctx, argc, argv, argvlen));
}

redisReply *yq_redis_read_argv(struct yq_redis *r, int argc, const char **argv,
                               const size_t *argvlen, int expected_type)
{
    redisReply *reply = NULL;

    for (int attempt = 0; attempt < 2 && !reply; attempt++) {
        if (ensure(r) != 0) {
            return NULL; /* cannot connect: no point in a second try now */
        }
        reply = after(r, redisCommandArgv(r->ctx, argc, argv, argvlen));
    }
    if (reply && expected_type >= 0 && reply->type != expected_type &&
        reply->type != REDIS_REPLY_NIL && reply->type != REDIS_REPLY_ERROR) {
        LOG_WARN("redis reply of unexpected type command=%s type=%d: connection dropped",
                 argv[0], reply->type);
        freeReplyObject(reply);
        drop(r);
        return NULL;
    }
    return reply;
}

int yq_redis_pipeline(struct yq_redis *r, size_t n, const int *argc, const char **const *argv,
                      redisReply **replies)
{
    size_t got = 0;

    for (size_t i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    if (n == 0) {
        return 0;
    }
    if (ensure(r) != 0) {
        return ERR_RETRY;
    }
    for (size_t i = 0; i < n; i++) {
        if (redisAppendCommandArgv(r->ctx, argc[i], argv[i], NULL) != REDIS_OK) {
            goto fail;
        }
    }
    for (; got < n; got++) {
        void *rep = NULL;
        if (redisGetReply(r->ctx, &rep) != REDIS_OK || !rep) {
            goto fail;
        }
        replies[got] = rep;
    }
    return 0;
fail:
    LOG_WARN("redis pipeline failed host=%s commands=%zu replies=%zu err=%s", r->cfg->host, n,
             got, r->ctx->err ? r->ctx->errstr : "no reply");
    for (size_t i = 0; i < got; i++) {
        freeReplyObject(replies[i]);
        replies[i] = NULL;
    }
    drop(r); /* the replies still to come must never answer a later command */
    r->failures++;
    return ERR_RETRY;
}

int yq_redis_is_up(const struct yq_redis *r)
{
    return r->up;
}

bool yq_redis_reply_wrongtype(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && reply->str &&
           strncmp(reply->str, "WRONGTYPE", 9) == 0;
}
