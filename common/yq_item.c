#include "yq_item.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* Names of enum yq_item_field_bits, in the order they are written. */
static const struct {
    unsigned bit;
    const char *name;
} field_names[] = {
    {YQ_ITEM_F_CHANNEL, "channel"}, {YQ_ITEM_F_URL, "url"},       {YQ_ITEM_F_TITLE, "title"},
    {YQ_ITEM_F_TEXT, "text"},       {YQ_ITEM_F_AUTHOR, "author"}, {YQ_ITEM_F_REGION, "region"},
    {YQ_ITEM_F_REPLY_TO, "reply_to"},
};
#define N_FIELD_NAMES (sizeof(field_names) / sizeof(field_names[0]))

bool yq_item_is_future(const struct yq_item *item)
{
    if (item->future_timestamp) {
        return true;
    }
    return item->has_published && item->fetched_at > 0 &&
           item->published_at > item->fetched_at + YQ_ITEM_FUTURE_SLACK_S;
}

int64_t yq_item_effective_time(const struct yq_item *item)
{
    if (item->has_published && !yq_item_is_future(item)) {
        return item->published_at;
    }
    return item->fetched_at;
}

int64_t yq_item_fetched_ms(const struct yq_item *item)
{
    if (item->fetched_at_ms > 0) {
        return item->fetched_at_ms;
    }
    return item->fetched_at > 0 && item->fetched_at <= YQ_TIME_MS_MAX / 1000
               ? item->fetched_at * 1000
               : 0;
}

int yq_time_ms_field(const json_t *obj, const char *name, const char *what, int64_t *out,
                     char *errbuf, size_t errlen)
{
    const json_t *v = json_object_get(obj, name);
    json_int_t n;

    *out = 0;
    if (!v || json_is_null(v)) {
        return 0;
    }
    if (!json_is_integer(v)) {
        snprintf(errbuf, errlen, "%s field '%s' must be an integer (milliseconds)", what, name);
        return ERR_PARSE;
    }
    n = json_integer_value(v);
    if (n < 0 || n > YQ_TIME_MS_MAX) {
        snprintf(errbuf, errlen, "%s field '%s' is out of range (0..%lld)", what, name,
                 (long long)YQ_TIME_MS_MAX);
        return ERR_PARSE;
    }
    *out = (int64_t)n;
    return 0;
}

/* How far back from a cut the start of its grapheme cluster is looked for. */
#define GRAPHEME_LOOKBACK_BYTES 256

/*
 * Whether a grapheme cluster can start at a character of boundclass c with no state carried
 * in: anything but what joins the character before it (marks, ZWJ, spacing marks, Hangul
 * vowels and finals) or pairs with its neighbours over any distance (regional indicators).
 */
static bool cluster_may_start(int c)
{
    return c != UTF8PROC_BOUNDCLASS_EXTEND && c != UTF8PROC_BOUNDCLASS_ZWJ &&
           c != UTF8PROC_BOUNDCLASS_SPACINGMARK && c != UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR &&
           c != UTF8PROC_BOUNDCLASS_V && c != UTF8PROC_BOUNDCLASS_T &&
           c != UTF8PROC_BOUNDCLASS_E_MODIFIER;
}

/*
 * The start of the grapheme cluster (user-perceived character) that holds the character at
 * s[n] (n a character boundary; s NUL-terminated, s[n] not NUL): a cut there never parts a
 * letter from its combining marks, a base from its variation selector or skin tone, an emoji
 * ZWJ sequence (👨‍👩‍👧) or a flag's two regional indicators. The scan starts at a
 * character that begins a cluster whatever came before it, at most GRAPHEME_LOOKBACK_BYTES back; a
 * run of regional indicators is paired from its own start, however long. A cluster longer than the
 * lookback (only made-up text has one) is cut at n.
 */
static size_t grapheme_start(const char *s, size_t n)
{
    size_t start =
        n > GRAPHEME_LOOKBACK_BYTES ? yq_utf8_boundary(s, n - GRAPHEME_LOOKBACK_BYTES) : 0;
    size_t i, cut, lim = n + strnlen(s + n, 4);
    utf8proc_int32_t prev = -1, state = 0;
    int32_t cp;

    yq_utf8_next(s + n, lim - n, &cp);
    if (utf8proc_get_property(cp)->boundclass == UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR) {
        /* flags: count the indicators before n back to the run's start; an odd count means
           s[n] is the second half of a flag, which starts 4 bytes before */
        size_t k = 0, p = n;
        while (p >= 4) {
            int32_t b;
            if (yq_utf8_next(s + p - 4, 4, &b) != 4 ||
                utf8proc_get_property(b)->boundclass != UTF8PROC_BOUNDCLASS_REGIONAL_INDICATOR) {
                break;
            }
            p -= 4;
            k++;
        }
        return k % 2 ? n - 4 : n;
    }
    while (start > 0 && start < n) {
        yq_utf8_next(s + start, lim - start, &cp);
        if (cluster_may_start(utf8proc_get_property(cp)->boundclass)) {
            break;
        }
        start += yq_utf8_next(s + start, lim - start, &cp);
    }
    i = start;
    cut = start == 0 || start == n ? start : n;
    while (i <= n) {
        size_t k = yq_utf8_next(s + i, lim - i, &cp);
        if (prev >= 0 && utf8proc_grapheme_break_stateful(prev, cp, &state)) {
            cut = i;
        }
        if (i == n) {
            break;
        }
        prev = cp;
        i += k;
    }
    return cut;
}

bool yq_utf8_cut(char *s, size_t max_bytes)
{
    size_t n, cut;

    if (!s) {
        return false;
    }
    n = strnlen(s, max_bytes + 1);
    if (n <= max_bytes) {
        return false;
    }
    n = yq_utf8_boundary(s, max_bytes);
    cut = grapheme_start(s, n);
    /* a first cluster longer than max_bytes is cut inside it, never to nothing */
    s[cut > 0 ? cut : n] = '\0';
    return true;
}

size_t yq_utf8_boundary(const char *s, size_t n)
{
    /* back off continuation bytes (10xxxxxx): s[n] must start a character */
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80) {
        n--;
    }
    return n;
}

/*
 * Bytes of s as jansson writes it inside a JSON string ('"' and '\\' two bytes, \b \f \n \r
 * \t two, other control characters six, everything else one), counting at most limit bytes;
 * *raw (may be NULL) receives the length of the prefix of s that fits.
 */
static size_t escaped_len(const char *s, size_t limit, size_t *raw)
{
    size_t enc = 0, i = 0;

    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        size_t w = 1;
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
            c == '\t') {
            w = 2;
        } else if (c < 0x20) {
            w = 6;
        }
        if (enc + w > limit) {
            break;
        }
        enc += w;
    }
    if (raw) {
        *raw = i;
    }
    return enc;
}

/* The cuttable fields of item with their limits and bits. */
struct cut_field {
    char **s;
    size_t max;
    unsigned bit;
};

static size_t cut_fields(struct yq_item *item, struct cut_field *out)
{
    struct cut_field f[] = {
        {&item->text, YQ_ITEM_MAX_TEXT_BYTES, YQ_ITEM_F_TEXT},
        {&item->title, YQ_ITEM_MAX_TITLE_BYTES, YQ_ITEM_F_TITLE},
        {&item->url, YQ_ITEM_MAX_URL_BYTES, YQ_ITEM_F_URL},
        {&item->reply_to, YQ_ITEM_MAX_REPLY_TO_BYTES, YQ_ITEM_F_REPLY_TO},
        {&item->channel, YQ_ITEM_MAX_CHANNEL_BYTES, YQ_ITEM_F_CHANNEL},
        {&item->author, YQ_ITEM_MAX_AUTHOR_BYTES, YQ_ITEM_F_AUTHOR},
        {&item->region, YQ_ITEM_MAX_REGION_BYTES, YQ_ITEM_F_REGION},
    };
    memcpy(out, f, sizeof(f));
    return sizeof(f) / sizeof(f[0]);
}

int yq_item_bound(struct yq_item *item)
{
    struct cut_field f[8];
    size_t n = cut_fields(item, f);

    for (size_t i = 0; i < n; i++) {
        if (yq_utf8_cut(*f[i].s, f[i].max)) {
            item->truncated_fields |= f[i].bit;
        }
    }
    return 0;
}

int yq_item_encode_bounded(struct yq_item *item, size_t max_bytes, char **out,
                           size_t *out_len)
{
    struct cut_field f[8];
    size_t n = cut_fields(item, f), len = 0;
    int err;

    *out = NULL;
    yq_item_bound(item);
    for (;;) {
        size_t best = n, best_len = 0, excess;
        char *json = NULL;

        err = yq_item_encode(item, &json, &len);
        if (err) {
            return err;
        }
        if (len <= max_bytes) {
            *out = json;
            if (out_len) {
                *out_len = len;
            }
            return 0;
        }
        free(json);
        for (size_t i = 0; i < n; i++) {
            size_t l = *f[i].s ? strlen(*f[i].s) : 0;
            if (l > best_len) {
                best = i;
                best_len = l;
            }
        }
        if (best == n) {
            return ERR_TOO_BIG;
        }
        /* keep the prefix whose escaped form is the excess (and room for the marker) shorter */
        excess = len - max_bytes + 64;
        {
            size_t enc = escaped_len(*f[best].s, SIZE_MAX, NULL);
            size_t raw = 0;
            escaped_len(*f[best].s, enc > excess ? enc - excess : 0, &raw);
            yq_utf8_cut(*f[best].s, raw);
        }
        item->truncated_fields |= f[best].bit;
    }
}

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
    if (item->fetched_at_ms > 0) {
        rc |= json_object_set_new(obj, "fetched_at_ms", json_integer(item->fetched_at_ms));
    }
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
    if (item->truncated_fields) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < N_FIELD_NAMES; i++) {
            if (item->truncated_fields & field_names[i].bit) {
                rc |= json_array_append_new(arr, json_string(field_names[i].name));
            }
        }
        rc |= json_object_set_new(obj, "truncated_fields", arr);
    }
    if (yq_item_is_future(item)) {
        rc |= json_object_set_new(obj, "future_timestamp", json_true());
    }
    if (item->official) {
        rc |= json_object_set_new(obj, "official", json_true());
    }
    if (item->local) {
        rc |= json_object_set_new(obj, "local", json_true());
    }
    if (item->department) {
        rc |= set_str(obj, "department", item->department);
    }
    if (item->response_channel) {
        rc |= set_str(obj, "response_channel", item->response_channel);
    }
    if (item->hot) {
        rc |= json_object_set(obj, "hot", item->hot);
    }
    if (item->backlog) {
        rc |= json_object_set_new(obj, "backlog", json_true());
    }
    if (rc) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int yq_item_encode(const struct yq_item *item, char **out, size_t *out_len)
{
    return yq_json_dump(yq_item_to_json(item), JSON_COMPACT, out, out_len);
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
        (err = get_str(obj, "reply_to", false, &item->reply_to, errbuf, errlen)) ||
        (err = get_str(obj, "department", false, &item->department, errbuf, errlen)) ||
        (err = get_str(obj, "response_channel", false, &item->response_channel, errbuf,
                       errlen))) {
        goto fail;
    }
    v = json_object_get(obj, "hot");
    if (v && !json_is_object(v)) {
        snprintf(errbuf, errlen, "item field 'hot' must be an object");
        err = ERR_PARSE;
        goto fail;
    }
    if (v) {
        item->hot = json_incref((json_t *)v);
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
    err = yq_time_ms_field(obj, "fetched_at_ms", "item", &item->fetched_at_ms, errbuf, errlen);
    if (err) {
        goto fail;
    }
    item->truncated = json_is_true(json_object_get(obj, "truncated"));
    item->future_timestamp = json_is_true(json_object_get(obj, "future_timestamp"));
    item->official = json_is_true(json_object_get(obj, "official"));
    item->local = json_is_true(json_object_get(obj, "local"));
    item->backlog = json_is_true(json_object_get(obj, "backlog"));
    v = json_object_get(obj, "truncated_fields");
    if (json_is_array(v)) {
        size_t i;
        const json_t *name;
        json_array_foreach(v, i, name)
        {
            for (size_t k = 0; json_is_string(name) && k < N_FIELD_NAMES; k++) {
                if (strcmp(json_string_value(name), field_names[k].name) == 0) {
                    item->truncated_fields |= field_names[k].bit;
                }
            }
        }
    }
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
    json_t *obj;
    int err;

    memset(item, 0, sizeof(*item));
    err = yq_json_decode_object(buf, len, 0, "item", &obj, errbuf, errlen);
    if (err) {
        return err;
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
    free(item->department);
    free(item->response_channel);
    json_decref(item->hot);
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
        dup_field(&dst->region, src->region) || dup_field(&dst->reply_to, src->reply_to) ||
        dup_field(&dst->department, src->department) ||
        dup_field(&dst->response_channel, src->response_channel) ||
        (src->hot && !(dst->hot = json_deep_copy(src->hot)))) {
        /* fields after the failing one still alias src: clear them before releasing */
        char **fields[] = {&dst->id,     &dst->source,   &dst->source_id,  &dst->channel,
                           &dst->url,    &dst->title,    &dst->text,       &dst->author,
                           &dst->region, &dst->reply_to, &dst->department, &dst->response_channel};
        char *const srcs[] = {src->id,     src->source,   src->source_id,  src->channel,
                              src->url,    src->title,    src->text,       src->author,
                              src->region, src->reply_to, src->department, src->response_channel};
        for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
            if (*fields[i] == srcs[i]) {
                *fields[i] = NULL;
            }
        }
        if (dst->hot == src->hot) {
            dst->hot = NULL;
        }
        yq_item_release(dst);
        return ERR_NOMEM;
    }
    return 0;
}
