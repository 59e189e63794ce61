#include "rules_digest.h"

#include <inttypes.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

static int str_cmp(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a), json_string_value(*(json_t *const *)b));
}

static int rule_cmp(const void *a, const void *b)
{
    const char *x = json_string_value(json_object_get(*(json_t *const *)a, "id"));
    const char *y = json_string_value(json_object_get(*(json_t *const *)b, "id"));
    return strcmp(x ? x : "", y ? y : "");
}

/* Replace array key of doc by a copy sorted with cmp. Returns 0 or ERR_NOMEM. */
static int sort_array(json_t *doc, const char *key, int (*cmp)(const void *, const void *))
{
    json_t *arr = json_object_get(doc, key), *sorted, **v;
    size_t n = json_array_size(arr);
    int rc = 0;

    if (n < 2) {
        return 0;
    }
    v = calloc(n, sizeof(*v));
    sorted = json_array();
    if (!v || !sorted) {
        free(v);
        json_decref(sorted);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = json_array_get(arr, i);
    }
    qsort(v, n, sizeof(*v), cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = json_array_append(sorted, v[i]) ? ERR_NOMEM : 0;
    }
    free(v);
    if (rc == 0 && json_object_set_new(doc, key, sorted) != 0) {
        return ERR_NOMEM;
    }
    if (rc) {
        json_decref(sorted);
    }
    return rc;
}

int rule_set_digest(const struct rule_set *rs, char out[RULES_DIGEST_HEX_LEN + 1])
{
    static const char *const dropped[] = {"version", "pushed_at", "pushed_by", "source"};
    unsigned char h[RULES_DIGEST_HEX_LEN / 2];
    char *text = NULL, *canon = NULL;
    json_t *doc = NULL;
    int rc = ERR_NOMEM;

    out[0] = '\0';
    if (sodium_init() < 0 || rule_set_encode(rs, &text, NULL) != 0) {
        goto done;
    }
    doc = json_loads(text, 0, NULL);
    if (!doc) {
        goto done;
    }
    for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++) {
        json_object_del(doc, dropped[i]);
    }
    if (sort_array(doc, "groups", str_cmp) || sort_array(doc, "exclude", str_cmp) ||
        sort_array(doc, "places", str_cmp) || sort_array(doc, "rules", rule_cmp)) {
        goto done;
    }
    canon = yq_json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    if (!canon) {
        goto done;
    }
    crypto_generichash(h, sizeof(h), (const unsigned char *)canon, strlen(canon), NULL, 0);
    sodium_bin2hex(out, RULES_DIGEST_HEX_LEN + 1, h, sizeof(h));
    rc = 0;
done:
    free(canon);
    json_decref(doc);
    free(text);
    return rc;
}

int rules_backtest_record_put(struct yq_redis *r, const char *digest, const char *summary_json,
                              int64_t ttl_s, char *errbuf, size_t errlen)
{
    redisReply *reply = yq_redis_command(r, "SET %s%s %s EX %" PRId64, RULES_KEY_BACKTEST_PREFIX,
                                         digest, summary_json, ttl_s);
    int rc = reply && reply->type == REDIS_REPLY_STATUS ? 0 : ERR_RETRY;

    if (rc) {
        snprintf(errbuf, errlen, "cannot record the backtest in Redis: %s",
                 reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "unreachable");
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return rc;
}

int rules_backtest_record_get(struct yq_redis *r, const char *digest, char **out)
{
    redisReply *reply = yq_redis_command(r, "GET %s%s", RULES_KEY_BACKTEST_PREFIX, digest);
    int rc = ERR_RETRY;

    if (reply && reply->type == REDIS_REPLY_NIL) {
        rc = ERR_NOT_FOUND;
    } else if (reply && reply->type == REDIS_REPLY_STRING) {
        *out = strndup(reply->str, reply->len);
        rc = *out ? 0 : ERR_NOMEM;
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return rc;
}

int rules_forced_push_record(struct yq_redis *r, int64_t version, const char *digest,
                             const char *by, int64_t now)
{
    char ts[32], *text;
    json_t *v = json_pack("{s:s, s:s, s:s}", "digest", digest, "by", by ? by : "", "at",
                          yq_time_format_utc(now, ts, sizeof(ts)));
    redisReply *reply = NULL;
    int rc = ERR_NOMEM;

    text = v ? yq_json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text) {
        reply = yq_redis_command(r, "HSET %s %" PRId64 " %s", RULES_KEY_FORCED, version, text);
        rc = reply && reply->type == REDIS_REPLY_INTEGER ? 0 : ERR_RETRY;
    }
    if (reply) {
        freeReplyObject(reply);
    }
    free(text);
    json_decref(v);
    return rc;
}
