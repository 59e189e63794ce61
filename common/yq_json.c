#include "yq_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/* The one loading policy of wire messages and stored columns (see yq_json.h). */
#define YQ_JSON_LOAD_FLAGS JSON_REJECT_DUPLICATES

/* json_dump_callback()'s sink: a buffer whose first failed append fails every later one. */
struct dump_sink {
    struct yq_buf buf;
    int err;
};

static int dump_to_sink(const char *chunk, size_t n, void *data)
{
    struct dump_sink *s = data;

    if (!s->err) {
        s->err = yq_buf_add(&s->buf, chunk, n);
    }
    return s->err ? -1 : 0;
}

char *yq_json_dumps(const json_t *v, size_t flags)
{
    struct dump_sink s = {.err = 0};
    char *text = NULL;

    yq_buf_init(&s.buf, SIZE_MAX - 1);
    if (v && json_dump_callback(v, dump_to_sink, &s, flags) == 0 && s.err == 0) {
        text = yq_buf_steal(&s.buf, NULL);
    }
    yq_buf_release(&s.buf);
    return text;
}

int yq_json_dump(json_t *obj, size_t flags, char **out, size_t *out_len)
{
    char *text = yq_json_dumps(obj, flags);

    json_decref(obj);
    *out = text;
    if (!text) {
        return ERR_NOMEM;
    }
    if (out_len) {
        *out_len = strlen(text);
    }
    return 0;
}

int yq_json_array_add_distinct(json_t *set, const json_t *from, bool strings_only)
{
    size_t i, j;
    json_t *v, *have;

    json_array_foreach(from, i, v)
    {
        bool seen = false;
        json_array_foreach(set, j, have)
        {
            seen = seen || json_equal(have, v);
        }
        if (!seen && (!strings_only || json_is_string(v)) && json_array_append(set, v) != 0) {
            return ERR_NOMEM;
        }
    }
    return 0;
}

int yq_json_decode_object(const char *buf, size_t len, size_t max_bytes, const char *what,
                          json_t **out, char *errbuf, size_t errlen)
{
    json_error_t jerr;
    json_t *obj;

    *out = NULL;
    if (!buf) {
        buf = "";
        len = 0;
    }
    if (max_bytes > 0 && len > max_bytes) {
        if (errbuf) {
            snprintf(errbuf, errlen, "%s is %zu bytes, more than %zu", what, len, max_bytes);
        }
        return ERR_TOO_BIG;
    }
    obj = json_loadb(buf, len, YQ_JSON_LOAD_FLAGS, &jerr);
    if (!obj) {
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            return ERR_NOMEM;
        }
        if (errbuf) {
            snprintf(errbuf, errlen, "%s is not JSON: %s at line %d col %d", what, jerr.text,
                     jerr.line, jerr.column);
        }
        return ERR_PARSE;
    }
    if (!json_is_object(obj)) {
        if (errbuf) {
            snprintf(errbuf, errlen, "%s is not a JSON object", what);
        }
        json_decref(obj);
        return ERR_PARSE;
    }
    *out = obj;
    return 0;
}

json_t *yq_json_column_array(const char *text, const char *column)
{
    json_t *arr = text && text[0] ? json_loads(text, YQ_JSON_LOAD_FLAGS, NULL) : json_array();

    if (json_is_array(arr)) {
        return arr;
    }
    json_decref(arr);
    LOG_WARN("stored json column corrupt column=%s", column);
    return json_array();
}
