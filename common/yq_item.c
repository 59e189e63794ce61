#include "yq_item.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

static int set_str(json_t *obj, const char *key, const char *val)
{
    json_t *s = json_string(val ? val : "");
    if (!s) {
        /* jansson rejects invalid UTF-8; producers guarantee UTF-8, so this is a bug there */
        s = json_string("");
    }
    return json_object_set_new(obj, key, s);
}

json_t *yq_item_to_json(const struct yq_item *item)
{
    char ts[32];
    json_t *obj = json_object();
    int rc = 0;

    if (!obj) {
        return NULL;
    }
    rc |= json_object_set_new(obj, "schema", json_integer(YQ_ITEM_SCHEMA));
    rc |= set_str(obj, "id", item->id);
    rc |= set_str(obj, "source", item->source);
    rc |= set_str(obj, "source_id", item->source_id);
    rc |= set_str(obj, "channel", item->channel);
    rc |= set_str(obj, "url", item->url);
    rc |= set_str(obj, "title", item->title);
    rc |= set_str(obj, "text", item->text);
    rc |= set_str(obj, "author", item->author);
    if (item->has_published) {
        rc |= set_str(obj, "published_at", yq_time_format_utc(item->published_at, ts, sizeof(ts)));
        rc |= set_str(obj, "published_precision", item->precision ? item->precision : "second");
    } else {
        rc |= json_object_set_new(obj, "published_at", json_null());
    }
    rc |= set_str(obj, "fetched_at", yq_time_format_utc(item->fetched_at, ts, sizeof(ts)));
    if (item->metrics.known) {
        json_t *m = json_pack("{s:I,s:I,s:I}", "reposts", (json_int_t)item->metrics.reposts,
                              "comments", (json_int_t)item->metrics.comments, "likes",
                              (json_int_t)item->metrics.likes);
        if (m && item->metrics.capped) {
            rc |= json_object_set_new(m, "capped", json_true());
        }
        rc |= json_object_set_new(obj, "metrics", m);
    }
    if (item->region) {
        rc |= set_str(obj, "region", item->region);
    }
    if (item->reply_to) {
        rc |= set_str(obj, "reply_to", item->reply_to);
    }
    if (item->truncated) {
        rc |= json_object_set_new(obj, "truncated", json_true());
    }
    if (rc) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int yq_item_encode(const struct yq_item *item, char **out, size_t *out_len)
{
    json_t *obj = yq_item_to_json(item);
    char *s;

    *out = NULL;
    if (!obj) {
        return ERR_NOMEM;
    }
    s = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!s) {
        return ERR_NOMEM;
    }
    *out = s;
    if (out_len) {
        *out_len = strlen(s);
    }
    return 0;
}

/* Copy string field key into *dst; required fields must be non-empty strings. */
static int get_str(const json_t *obj, const char *key, bool required, char **dst, char *errbuf,
                   size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        if (required) {
            snprintf(errbuf, errlen, "item field '%s' is missing", key);
            return ERR_PARSE;
        }
        return 0;
    }
    if (!json_is_string(v) || (required && json_string_length(v) == 0)) {
        snprintf(errbuf, errlen, "item field '%s' must be a%s string", key,
                 required ? " non-empty" : "");
        return ERR_PARSE;
    }
    *dst = strdup(json_string_value(v));
    return *dst ? 0 : ERR_NOMEM;
}

static int get_count(const json_t *m, const char *key, int64_t *dst)
{
    const json_t *v = json_object_get(m, key);
    if (!v) {
        *dst = 0;
        return 0;
    }
    if (!json_is_integer(v)) {
        return ERR_PARSE;
    }
    *dst = (int64_t)json_integer_value(v);
    return 0;
}

int yq_item_from_json(const json_t *obj, struct yq_item *item, char *errbuf, size_t errlen)
{
    const json_t *v;
    int err = 0;

    memset(item, 0, sizeof(*item));
    if (!json_is_object(obj)) {
        snprintf(errbuf, errlen, "item is not a JSON object");
        return ERR_PARSE;
    }
    v = json_object_get(obj, "schema");
    if (!json_is_integer(v) || json_integer_value(v) != YQ_ITEM_SCHEMA) {
        snprintf(errbuf, errlen, "item schema must be %d", YQ_ITEM_SCHEMA);
        return ERR_PARSE;
    }
    if ((err = get_str(obj, "id", true, &item->id, errbuf, errlen)) ||
        (err = get_str(obj, "source", true, &item->source, errbuf, errlen)) ||
        (err = get_str(obj, "source_id", true, &item->source_id, errbuf, errlen)) ||
        (err = get_str(obj, "channel", false, &item->channel, errbuf, errlen)) ||
        (err = get_str(obj, "url", false, &item->url, errbuf, errlen)) ||
        (err = get_str(obj, "title", false, &item->title, errbuf, errlen)) ||
        (err = get_str(obj, "text", false, &item->text, errbuf, errlen)) ||
        (err = get_str(obj, "author", false, &item->author, errbuf, errlen)) ||
        (err = get_str(obj, "region", false, &item->region, errbuf, errlen)) ||
        (err = get_str(obj, "reply_to", false, &item->reply_to, errbuf, errlen))) {
        goto fail;
    }
    v = json_object_get(obj, "published_at");
    if (json_is_string(v)) {
        const char *prec = "second";
        if (yq_time_parse_iso(json_string_value(v), &item->published_at, &prec) != 0) {
            snprintf(errbuf, errlen, "item field 'published_at' is not RFC 3339");
            err = ERR_PARSE;
            goto fail;
        }
        item->has_published = true;
        item->precision = prec;
        v = json_object_get(obj, "published_precision");
        if (json_is_string(v)) {
            const char *p = json_string_value(v);
            item->precision = strcmp(p, "day") == 0      ? "day"
                              : strcmp(p, "minute") == 0 ? "minute"
                                                         : "second";
        }
    } else if (v && !json_is_null(v)) {
        snprintf(errbuf, errlen, "item field 'published_at' must be a string or null");
        err = ERR_PARSE;
        goto fail;
    }
    v = json_object_get(obj, "fetched_at");
    if (json_is_string(v) && yq_time_parse_iso(json_string_value(v), &item->fetched_at, NULL)) {
        snprintf(errbuf, errlen, "item field 'fetched_at' is not RFC 3339");
        err = ERR_PARSE;
        goto fail;
    }
    item->truncated = json_is_true(json_object_get(obj, "truncated"));
    v = json_object_get(obj, "metrics");
    if (json_is_object(v)) {
        item->metrics.known = true;
        item->metrics.capped = json_is_true(json_object_get(v, "capped"));
        if (get_count(v, "reposts", &item->metrics.reposts) ||
            get_count(v, "comments", &item->metrics.comments) ||
            get_count(v, "likes", &item->metrics.likes)) {
            snprintf(errbuf, errlen, "item metrics must be integers");
            err = ERR_PARSE;
            goto fail;
        }
    }
    return 0;
fail:
    yq_item_release(item);
    return err;
}

int yq_item_decode(const char *buf, size_t len, struct yq_item *item, char *errbuf,
                   size_t errlen)
{
    json_error_t jerr;
    json_t *obj = json_loadb(buf, len, 0, &jerr);
    int err;

    memset(item, 0, sizeof(*item));
    if (!obj) {
        snprintf(errbuf, errlen, "item is not JSON: %s at column %d", jerr.text, jerr.column);
        return ERR_PARSE;
    }
    err = yq_item_from_json(obj, item, errbuf, errlen);
    json_decref(obj);
    return err;
}

void yq_item_release(struct yq_item *item)
{
    if (!item) {
        return;
    }
    free(item->id);
    free(item->source);
    free(item->source_id);
    free(item->channel);
    free(item->url);
    free(item->title);
    free(item->text);
    free(item->author);
    free(item->region);
    free(item->reply_to);
    memset(item, 0, sizeof(*item));
}

static int dup_field(char **dst, const char *src)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    *dst = strdup(src);
    return *dst ? 0 : ERR_NOMEM;
}

int yq_item_copy(struct yq_item *dst, const struct yq_item *src)
{
    *dst = *src;
    if (dup_field(&dst->id, src->id) || dup_field(&dst->source, src->source) ||
        dup_field(&dst->source_id, src->source_id) || dup_field(&dst->channel, src->channel) ||
        dup_field(&dst->url, src->url) || dup_field(&dst->title, src->title) ||
        dup_field(&dst->text, src->text) || dup_field(&dst->author, src->author) ||
        dup_field(&dst->region, src->region) || dup_field(&dst->reply_to, src->reply_to)) {
        /* fields after the failing one still alias src: clear them before releasing */
        char **fields[] = {&dst->id,   &dst->source, &dst->source_id, &dst->channel,
                           &dst->url,  &dst->title,  &dst->text,      &dst->author,
                           &dst->region, &dst->reply_to};
        char *const srcs[] = {src->id,   src->source, src->source_id, src->channel,
                              src->url,  src->title,  src->text,      src->author,
                              src->region, src->reply_to};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (*fields[i] == srcs[i]) {
                *fields[i] = NULL;
            }
        }
        yq_item_release(dst);
        return ERR_NOMEM;
    }
    return 0;
}
