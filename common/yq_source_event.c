/* The source event codec (yq_source_event.h, issue #15). */
#include "yq_source_event.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_item.h" /* yq_utf8_boundary */

static const char *const reason_names[YQ_BLIND_REASON_COUNT] = {
    [YQ_BLIND_FAILING] = "failing", [YQ_BLIND_WALLED] = "walled", [YQ_BLIND_STALE] = "stale",
    [YQ_BLIND_QUIET] = "quiet",     [YQ_BLIND_UNPOLLED] = "unpolled",
};

const char *yq_blind_reason_name(enum yq_blind_reason r)
{
    return (unsigned)r < YQ_BLIND_REASON_COUNT ? reason_names[r] : "?";
}

int yq_blind_reason_parse(const char *name, enum yq_blind_reason *out)
{
    for (int i = 0; name && i < YQ_BLIND_REASON_COUNT; i++) {
        if (strcmp(name, reason_names[i]) == 0) {
            *out = (enum yq_blind_reason)i;
            return 0;
        }
    }
    return ERR_NOT_FOUND;
}

/* Set key to s (NULL or "" = leave out), cut to at most max bytes at a character boundary. */
static int set_text(json_t *obj, const char *key, const char *s, size_t max)
{
    size_t len;

    if (!s || !s[0]) {
        return 0;
    }
    len = strlen(s);
    if (len > max) {
        len = yq_utf8_boundary(s, max);
    }
    return json_object_set_new(obj, key, json_stringn(s, len));
}

static int set_time(json_t *obj, const char *key, int64_t t)
{
    char ts[40];

    return json_object_set_new(obj, key, json_string(yq_time_format_utc(t, ts, sizeof(ts))));
}

int yq_source_event_encode(const struct yq_source_event *ev, char **out, size_t *out_len)
{
    json_t *obj;
    int rc = 0;

    *out = NULL; /* on every error too: a caller may free() it either way */
    if (!ev->source_id || !ev->source_id[0] || (unsigned)ev->reason >= YQ_BLIND_REASON_COUNT ||
        (!ev->open && ev->ended_at < ev->started_at)) {
        return ERR_INVALID;
    }
    obj = json_object();
    if (!obj) {
        return ERR_NOMEM;
    }
    rc |= json_object_set_new(obj, "schema", json_integer(YQ_SOURCE_EVENT_SCHEMA));
    rc |= set_text(obj, "source_id", ev->source_id, YQ_SOURCE_EVENT_TEXT_MAX);
    rc |= set_text(obj, "source_name", ev->source_name, YQ_SOURCE_EVENT_TEXT_MAX);
    rc |= set_text(obj, "source_kind", ev->source_kind, YQ_SOURCE_EVENT_TEXT_MAX);
    rc |= set_text(obj, "department", ev->department, YQ_SOURCE_EVENT_TEXT_MAX);
    rc |= json_object_set_new(obj, "event", json_string(ev->open ? "open" : "close"));
    rc |= json_object_set_new(obj, "reason", json_string(reason_names[ev->reason]));
    rc |= set_time(obj, "started_at", ev->started_at);
    if (!ev->open) {
        rc |= set_time(obj, "ended_at", ev->ended_at);
    }
    rc |= set_time(obj, "at", ev->at);
    rc |= set_text(obj, "detail", ev->detail, YQ_SOURCE_EVENT_TEXT_MAX);
    rc |= set_text(obj, "renew", ev->renew, YQ_SOURCE_EVENT_TEXT_MAX);
    if (rc) {
        json_decref(obj);
        return ERR_NOMEM;
    }
    return yq_json_dump(obj, JSON_COMPACT, out, out_len); /* obj handed over */
}

/* *dst = a copy of obj's string key (absent or null: NULL); required: must be non-empty. */
static int get_text(const json_t *obj, const char *key, bool required, char **dst,
                    char *errbuf, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);

    if (!v || json_is_null(v)) {
        if (required) {
            snprintf(errbuf, errlen, "source event needs '%s'", key);
            return ERR_PARSE;
        }
        return 0;
    }
    if (!json_is_string(v) || (required && json_string_length(v) == 0)) {
        snprintf(errbuf, errlen, "source event field '%s' must be a%s string", key,
                 required ? " non-empty" : "");
        return ERR_PARSE;
    }
    *dst = strndup(json_string_value(v), json_string_length(v));
    return *dst ? 0 : ERR_NOMEM;
}

static int get_time(const json_t *obj, const char *key, int64_t *out, char *errbuf,
                    size_t errlen)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_string(v) || yq_time_parse_iso(json_string_value(v), out, NULL) != 0) {
        snprintf(errbuf, errlen, "source event field '%s' must be an RFC 3339 time", key);
        return ERR_PARSE;
    }
    return 0;
}

/*
 * The times of a decoded event are plausible: none before YQ_SOURCE_EVENT_MIN_TIME (2000-01-01,
 * older than any source this system reads; year 0001 or epoch 0 is a broken clock or a forged
 * event), none more than YQ_SOURCE_EVENT_FUTURE_S after "at" (the collector reports windows
 * that started before it speaks; a day covers any clock skew between its hosts).
 */
static int time_sane(const struct yq_source_event *ev, char *errbuf, size_t errlen)
{
    const char *bad = NULL;

    if (ev->at < YQ_SOURCE_EVENT_MIN_TIME) {
        bad = "at";
    } else if (ev->started_at < YQ_SOURCE_EVENT_MIN_TIME ||
               ev->started_at > ev->at + YQ_SOURCE_EVENT_FUTURE_S) {
        bad = "started_at";
    } else if (!ev->open && ev->ended_at > ev->at + YQ_SOURCE_EVENT_FUTURE_S) {
        bad = "ended_at";
    }
    if (bad) {
        snprintf(errbuf, errlen, "source event field '%s' is before 2000-01-01 or more than a "
                 "day after 'at'", bad);
        return ERR_PARSE;
    }
    return 0;
}

int yq_source_event_decode(const char *buf, size_t len, struct yq_source_event *ev,
                           char *errbuf, size_t errlen)
{
    json_t *obj;
    const json_t *v;
    const char *event;
    int err;

    memset(ev, 0, sizeof(*ev));
    err = yq_json_decode_object(buf, len, 0, "source event", &obj, errbuf, errlen);
    if (err) {
        return err;
    }
    v = json_object_get(obj, "schema");
    if (!json_is_integer(v) || json_integer_value(v) != YQ_SOURCE_EVENT_SCHEMA) {
        snprintf(errbuf, errlen, "source event schema must be %d", YQ_SOURCE_EVENT_SCHEMA);
        err = ERR_PARSE;
        goto fail;
    }
    if ((err = get_text(obj, "source_id", true, &ev->source_id, errbuf, errlen)) ||
        (err = get_text(obj, "source_name", false, &ev->source_name, errbuf, errlen)) ||
        (err = get_text(obj, "source_kind", false, &ev->source_kind, errbuf, errlen)) ||
        (err = get_text(obj, "department", false, &ev->department, errbuf, errlen)) ||
        (err = get_text(obj, "detail", false, &ev->detail, errbuf, errlen)) ||
        (err = get_text(obj, "renew", false, &ev->renew, errbuf, errlen))) {
        goto fail;
    }
    event = json_string_value(json_object_get(obj, "event"));
    if (!event || (strcmp(event, "open") != 0 && strcmp(event, "close") != 0)) {
        snprintf(errbuf, errlen, "source event 'event' must be \"open\" or \"close\"");
        err = ERR_PARSE;
        goto fail;
    }
    ev->open = strcmp(event, "open") == 0;
    if (yq_blind_reason_parse(json_string_value(json_object_get(obj, "reason")), &ev->reason)) {
        snprintf(errbuf, errlen, "source event 'reason' must be failing, walled, stale, quiet "
                 "or unpolled");
        err = ERR_PARSE;
        goto fail;
    }
    if ((err = get_time(obj, "started_at", &ev->started_at, errbuf, errlen)) ||
        (err = get_time(obj, "at", &ev->at, errbuf, errlen)) ||
        (!ev->open && (err = get_time(obj, "ended_at", &ev->ended_at, errbuf, errlen)))) {
        goto fail;
    }
    if (!ev->open && ev->ended_at < ev->started_at) {
        snprintf(errbuf, errlen, "source event ends before it starts");
        err = ERR_PARSE;
        goto fail;
    }
    if ((err = time_sane(ev, errbuf, errlen))) {
        goto fail;
    }
    json_decref(obj);
    return 0;
fail:
    json_decref(obj);
    yq_source_event_release(ev);
    return err;
}

void yq_source_event_release(struct yq_source_event *ev)
{
    if (!ev) {
        return;
    }
    free(ev->source_id);
    free(ev->source_name);
    free(ev->source_kind);
    free(ev->department);
    free(ev->detail);
    free(ev->renew);
    memset(ev, 0, sizeof(*ev));
}
