#include "rules_store.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "yq_err.h"
#include "yq_fs.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

/*
 * KEYS[1] = current pointer, KEYS[2] = history list, KEYS[3] = epoch.
 * ARGV[1] = key prefix, ARGV[2] = rule set JSON after '{"version":0', ARGV[3] = history
 * JSON after '{"version":0', ARGV[4] = channel, ARGV[5] = the new epoch. The version is only
 * known inside the script, so the client sends each JSON object without its leading version
 * member (which the encoder always writes first) and the script puts the real one in front.
 * The epoch is drawn by the client: a script's randomness is not random (scripts replicate).
 */
static const char push_script[] =
    "local cur = redis.call('GET', KEYS[1])\n"
    "local v = 1\n"
    "if cur then\n"
    "  local n = tonumber(cur)\n"
    "  if not n then return redis.error_reply('yuqing:rules:current is not an integer') end\n"
    "  v = n + 1\n"
    "end\n"
    "redis.call('SET', ARGV[1] .. v, '{\"version\":' .. v .. ARGV[2])\n"
    "redis.call('SET', KEYS[1], v)\n"
    "redis.call('SET', KEYS[3], ARGV[5])\n"
    "redis.call('LPUSH', KEYS[2], '{\"version\":' .. v .. ARGV[3])\n"
    "redis.call('PUBLISH', ARGV[4], v)\n"
    "return v\n";

static const char version0[] = "{\"version\":0";

int rules_store_push(struct yq_redis *r, struct rule_set *rs, const char *pushed_by, int64_t now,
                     int64_t *out, char *errbuf, size_t errlen)
{
    char *json = NULL, *hist = NULL, ts[32], epoch[2 * RULES_EPOCH_BYTES + 1];
    unsigned char raw[RULES_EPOCH_BYTES];
    char *old_by = rs->pushed_by;
    int64_t old_at = rs->pushed_at, old_version = rs->version;
    redisReply *reply = NULL;
    json_t *h = NULL;
    int err = ERR_NOMEM;

    rs->version = 0;
    rs->pushed_at = now;
    rs->pushed_by = pushed_by ? strdup(pushed_by) : NULL;
    if ((pushed_by && !rs->pushed_by) || rule_set_encode(rs, &json, NULL) != 0) {
        snprintf(errbuf, errlen, "out of memory encoding the rule set");
        goto done;
    }
    h = json_object();
    if (!h || json_object_set_new(h, "version", json_integer(0)) ||
        json_object_set_new(h, "pushed_at",
                            json_string(yq_time_format_utc(now, ts, sizeof(ts)))) ||
        json_object_set_new(h, "pushed_by", json_string(pushed_by ? pushed_by : "")) ||
        json_object_set_new(h, "rules", json_integer((json_int_t)rs->n_rules)) ||
        json_object_set_new(h, "source", json_string(rs->source ? rs->source : "")) ||
        !(hist = yq_json_dumps(h, JSON_COMPACT | JSON_PRESERVE_ORDER))) {
        snprintf(errbuf, errlen, "out of memory encoding the history entry");
        goto done;
    }
    if (strncmp(json, version0, sizeof(version0) - 1) != 0 ||
        strncmp(hist, version0, sizeof(version0) - 1) != 0) {
        snprintf(errbuf, errlen, "internal error: encoded JSON does not start with version");
        err = ERR_BAD_STATE;
        goto done;
    }
    if (sodium_init() < 0) {
        snprintf(errbuf, errlen, "libsodium failed to initialise");
        err = ERR_BAD_STATE;
        goto done;
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(epoch, sizeof(epoch), raw, sizeof(raw));
    reply = yq_redis_command(r, "EVAL %s 3 %s %s %s %s %s %s %s %s", push_script, RULES_KEY_CURRENT,
                             RULES_KEY_HISTORY, RULES_KEY_EPOCH, RULES_KEY_PREFIX,
                             json + sizeof(version0) - 1, hist + sizeof(version0) - 1,
                             RULES_CHANNEL, epoch);
    if (!reply) {
        snprintf(errbuf, errlen, "redis unreachable");
        err = ERR_RETRY;
        goto done;
    }
    if (reply->type != REDIS_REPLY_INTEGER) {
        snprintf(errbuf, errlen, "redis refused the push: %s",
                 reply->type == REDIS_REPLY_ERROR ? reply->str : "unexpected reply");
        err = ERR_BAD_STATE;
        goto done;
    }
    rs->version = reply->integer;
    *out = reply->integer;
    free(old_by);
    old_by = NULL;
    err = 0;
done:
    if (err) {
        free(rs->pushed_by);
        rs->pushed_by = old_by;
        rs->pushed_at = old_at;
        rs->version = old_version;
    }
    if (reply) {
        freeReplyObject(reply);
    }
    json_decref(h);
    free(json);
    free(hist);
    return err;
}

static int parse_version(const char *s, size_t len, int64_t *out)
{
    char buf[32], *end;
    long long v;

    if (len == 0 || len >= sizeof(buf)) {
        return ERR_PARSE;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    errno = 0;
    v = strtoll(buf, &end, 10);
    if (errno || *end || v < 0) {
        return ERR_PARSE;
    }
    *out = v;
    return 0;
}

/* A GET or MGET element of yuqing:rules:current into *out (0 when nil); 0 or ERR_PARSE. */
static int parse_current(const redisReply *e, int64_t *out)
{
    *out = 0;
    if (e->type == REDIS_REPLY_STRING) {
        return parse_version(e->str, e->len, out);
    }
    return e->type == REDIS_REPLY_NIL ? 0 : ERR_PARSE;
}

int rules_store_current(struct yq_redis *r, int64_t *out)
{
    redisReply *reply = yq_redis_command(r, "GET %s", RULES_KEY_CURRENT);
    int err;

    *out = 0;
    if (yq_redis_reply_wrongtype(reply)) {
        err = ERR_PARSE; /* not a string: as corrupt as one that is not an integer */
    } else if (!reply || reply->type == REDIS_REPLY_ERROR) {
        err = ERR_RETRY;
    } else {
        err = parse_current(reply, out);
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return err;
}

int rules_store_pointer(struct yq_redis *r, struct rules_pointer *out)
{
    redisReply *reply = yq_redis_command(r, "MGET %s %s", RULES_KEY_CURRENT, RULES_KEY_EPOCH);
    int err = 0;

    memset(out, 0, sizeof(*out));
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        err = ERR_RETRY;
    } else if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
        err = ERR_PARSE;
    } else {
        const redisReply *e = reply->element[1];

        err = parse_current(reply->element[0], &out->version);
        if (e->type == REDIS_REPLY_STRING && e->len <= RULES_EPOCH_MAX) {
            memcpy(out->epoch, e->str, e->len);
            out->epoch[e->len] = '\0';
        } else if (e->type != REDIS_REPLY_NIL) {
            err = ERR_PARSE;
        }
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return err;
}

bool rules_pointer_equal(const struct rules_pointer *a, const struct rules_pointer *b)
{
    return a->version == b->version && strcmp(a->epoch, b->epoch) == 0;
}

int rules_store_load(struct yq_redis *r, int64_t version, struct rule_set **out, char *errbuf,
                     size_t errlen)
{
    struct rule_set *rs = NULL;
    redisReply *reply = NULL;
    char key[64];
    int err;

    *out = NULL;
    if (version == 0) {
        err = rules_store_current(r, &version);
        if (err) {
            snprintf(errbuf, errlen, "cannot read '%s': %s", RULES_KEY_CURRENT,
                     err == ERR_RETRY ? "redis unreachable" : "not an integer");
            return err;
        }
        if (version == 0) {
            snprintf(errbuf, errlen, "no rule set in redis ('%s' is absent)", RULES_KEY_CURRENT);
            return ERR_NOT_FOUND;
        }
    }
    snprintf(key, sizeof(key), RULES_KEY_PREFIX "%" PRId64, version);
    reply = yq_redis_command(r, "GET %s", key);
    if (!reply || reply->type != REDIS_REPLY_STRING) {
        err = (reply && reply->type == REDIS_REPLY_NIL) ? ERR_NOT_FOUND
              : yq_redis_reply_wrongtype(reply)         ? ERR_INVALID
                                                        : ERR_RETRY;
        snprintf(errbuf, errlen, "cannot read rule set '%s': %s", key,
                 err == ERR_NOT_FOUND ? "no such key"
                 : err == ERR_INVALID ? "the key is not a string"
                                      : "redis unreachable");
        goto done;
    }
    err = rule_set_decode(reply->str, reply->len, &rs, errbuf, errlen);
    if (err) {
        goto done;
    }
    if (rs->version != version) {
        snprintf(errbuf, errlen, "rule set '%s' says version %" PRId64, key, rs->version);
        err = ERR_INVALID;
        goto done;
    }
    *out = rs;
    rs = NULL;
done:
    if (reply) {
        freeReplyObject(reply);
    }
    rule_set_free(rs);
    return err;
}

void rules_history_free(struct rules_history_entry *h, size_t n)
{
    for (size_t i = 0; h && i < n; i++) {
        free(h[i].pushed_at);
        free(h[i].pushed_by);
    }
    free(h);
}

int rules_store_history(struct yq_redis *r, size_t max, struct rules_history_entry **out,
                        size_t *n_out)
{
    redisReply *reply;
    struct rules_history_entry *h;
    size_t n = 0;

    *out = NULL;
    *n_out = 0;
    reply = yq_redis_command(r, "LRANGE %s 0 %lld", RULES_KEY_HISTORY,
                             (long long)(max ? max - 1 : 0));
    if (!reply || reply->type != REDIS_REPLY_ARRAY) {
        if (reply) {
            freeReplyObject(reply);
        }
        return ERR_RETRY;
    }
    h = calloc(reply->elements ? reply->elements : 1, sizeof(*h));
    if (!h) {
        freeReplyObject(reply);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < reply->elements; i++) {
        const redisReply *e = reply->element[i];
        json_t *obj;
        const char *at, *by;

        if (e->type != REDIS_REPLY_STRING) {
            continue;
        }
        if (yq_json_decode_object(e->str, e->len, 0, "rule history entry", &obj, NULL, 0) ||
            !json_is_integer(json_object_get(obj, "version"))) {
            json_decref(obj);
            continue;
        }
        at = json_string_value(json_object_get(obj, "pushed_at"));
        by = json_string_value(json_object_get(obj, "pushed_by"));
        h[n].version = json_integer_value(json_object_get(obj, "version"));
        h[n].n_rules = json_integer_value(json_object_get(obj, "rules"));
        h[n].pushed_at = strdup(at ? at : "");
        h[n].pushed_by = strdup(by ? by : "");
        json_decref(obj);
        n++;
        if (!h[n - 1].pushed_at || !h[n - 1].pushed_by) {
            rules_history_free(h, n);
            freeReplyObject(reply);
            return ERR_NOMEM;
        }
    }
    freeReplyObject(reply);
    *out = h;
    *n_out = n;
    return 0;
}

int rules_cache_save(const char *path, const struct rule_set *rs)
{
    char *json = NULL, *dir;
    size_t len;
    int err;

    err = rule_set_encode(rs, &json, &len);
    if (err) {
        return err;
    }
    dir = strdup(path);
    if (!dir) {
        free(json);
        return ERR_NOMEM;
    }
    char *slash = strrchr(dir, '/');
    if (slash && slash != dir) {
        *slash = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            LOG_DEBUG("cannot create directory path='%s' errno=%d", dir, errno);
        }
    }
    free(dir);
    err = yq_fs_write_file_atomic(path, json, len);
    free(json);
    return err;
}

int rules_cache_load(const char *path, struct rule_set **out, char *errbuf, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    int err;

    *out = NULL;
    err = yq_fs_read_file(path, RULE_SET_MAX_JSON_BYTES, &buf, &len);
    if (err) {
        snprintf(errbuf, errlen, "%s: cannot read: %s", path, yq_strerror(err));
        return err;
    }
    err = rule_set_decode(buf, len, out, errbuf, errlen);
    free(buf);
    return err;
}
