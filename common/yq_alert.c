#include "yq_alert.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

int yq_level_parse(const char *s, enum yq_level *out)
{
    static const struct {
        const char *name;
        enum yq_level level;
    } names[] = {
        {"I", YQ_LEVEL_I},         {"1", YQ_LEVEL_I},      {"特别重大", YQ_LEVEL_I},
        {"II", YQ_LEVEL_II},       {"2", YQ_LEVEL_II},     {"重大", YQ_LEVEL_II},
        {"III", YQ_LEVEL_III},     {"3", YQ_LEVEL_III},    {"较大", YQ_LEVEL_III},
        {"一般重要", YQ_LEVEL_III}, {"IV", YQ_LEVEL_IV},    {"4", YQ_LEVEL_IV},
        {"一般", YQ_LEVEL_IV},
    };
    for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return ERR_INVALID;
}

const char *yq_level_name(enum yq_level level)
{
    static const char *const n[] = {"?", "I", "II", "III", "IV"};
    return (level >= YQ_LEVEL_I && level <= YQ_LEVEL_IV) ? n[level] : "?";
}

const char *yq_level_label(enum yq_level level)
{
    static const char *const n[] = {"?", "特别重大", "重大", "较大", "一般"};
    return (level >= YQ_LEVEL_I && level <= YQ_LEVEL_IV) ? n[level] : "?";
}

bool yq_alert_is_repost_only(const struct yq_alert *alert)
{
    return alert->n_matches == 0 && !alert->item.official && alert->event_via &&
           strcmp(alert->event_via, "repost") == 0 && alert->item.reply_to &&
           alert->item.reply_to[0];
}

int64_t yq_alert_matched_ms(const struct yq_alert *alert)
{
    if (alert->matched_at_ms > 0) {
        return alert->matched_at_ms;
    }
    return alert->matched_at > 0 && alert->matched_at <= YQ_TIME_MS_MAX / 1000
               ? alert->matched_at * 1000
               : 0;
}

json_t *yq_alert_matches_json(const struct yq_alert *alert, bool full)
{
    json_t *matches = json_array();
    int rc = 0;

    if (!matches) {
        return NULL;
    }
    for (size_t i = 0; i < alert->n_matches; i++) {
        const struct yq_alert_match *m = &alert->matches[i];
        json_t *terms = json_array();
        json_t *jm;
        if (!terms) {
            goto nomem;
        }
        for (size_t j = 0; j < m->n_terms; j++) {
            const struct yq_alert_term *t = &m->terms[j];
            json_t *jt = json_pack("{s:s,s:s,s:I,s:I}", "term", t->term ? t->term : "", "field",
                                   t->field ? t->field : "text", "start", (json_int_t)t->start,
                                   "end", (json_int_t)t->end);
            if (jt && full && t->excerpt) {
                rc |= json_object_set_new(jt, "excerpt", json_string(t->excerpt));
            }
            rc |= json_array_append_new(terms, jt);
        }
        /* "s*": no "group" key at all for a rule without one (as older alerts) */
        jm =
            json_pack("{s:s,s:s,s:s*,s:s,s:s,s:o}", "rule_id", m->rule_id ? m->rule_id : "", "name",
                      m->name ? m->name : "", "group", (m->group && m->group[0]) ? m->group : NULL,
                      "department", m->department ? m->department : "", "level",
                      yq_level_name(m->level), "terms", terms);
        if (!jm) {
            goto nomem;
        }
        if (full && m->terms_truncated) {
            rc |= json_object_set_new(jm, "terms_truncated", json_true());
        }
        rc |= json_array_append_new(matches, jm);
    }
    if (rc) {
        goto nomem;
    }
    return matches;
nomem:
    json_decref(matches);
    return NULL;
}

int yq_alert_encode(const struct yq_alert *alert, char **out, size_t *out_len)
{
    char ts[32];
    json_t *obj = NULL, *matches = NULL, *item = NULL;
    int rc = 0;

    *out = NULL;
    obj = json_object();
    matches = yq_alert_matches_json(alert, true);
    item = yq_item_to_json(&alert->item);
    if (!obj || !matches || !item) {
        goto nomem;
    }
    rc |= json_object_set_new(obj, "schema", json_integer(YQ_ALERT_SCHEMA));
    rc |= json_object_set_new(obj, "event_key", json_string(alert->event_key));
    json_t *ev = json_pack("{s:b,s:I}", "new", alert->event_new, "items",
                           (json_int_t)alert->event_items);
    if (ev && alert->event_via) {
        rc |= json_object_set_new(ev, "via", json_string(alert->event_via));
    }
    rc |= json_object_set_new(obj, "event", ev);
    rc |= json_object_set_new(obj, "rules_version", json_integer(alert->rules_version));
    rc |= json_object_set_new(obj, "matched_at",
                              json_string(yq_time_format_utc(alert->matched_at, ts, sizeof(ts))));
    if (alert->matched_at_ms > 0) {
        rc |= json_object_set_new(obj, "matched_at_ms", json_integer(alert->matched_at_ms));
    }
    if (alert->rules_unverified) {
        rc |= json_object_set_new(obj, "rules_unverified", json_true());
        if (alert->rules_checked_at > 0) {
            rc |= json_object_set_new(
                obj, "rules_checked_at",
                json_string(yq_time_format_utc(alert->rules_checked_at, ts, sizeof(ts))));
        }
    }
    rc |= json_object_set_new(obj, "score", json_real(alert->score));
    rc |= json_object_set_new(obj, "level", json_string(yq_level_name(alert->level)));
    rc |= json_object_set_new(obj, "department",
                              json_string(alert->department ? alert->department : ""));
    if (alert->has_simhash) {
        char hex[17];
        snprintf(hex, sizeof(hex), "%016" PRIx64, alert->simhash);
        rc |= json_object_set_new(obj, "simhash", json_string(hex));
    }
    rc |= json_object_set_new(obj, "matches", matches);
    matches = NULL;
    rc |= json_object_set_new(obj, "item", item);
    item = NULL;
    if (rc) {
        goto nomem;
    }
    return yq_json_dump(obj, JSON_COMPACT, out, out_len); /* obj handed over */
nomem:
    json_decref(obj);
    json_decref(matches);
    json_decref(item);
    return ERR_NOMEM;
}

/*
 * Keep at most max_terms terms of every match, their excerpts at most excerpt_bytes long;
 * mark the matches changed. Returns true when anything was cut.
 */
static bool cap_terms(struct yq_alert *alert, size_t max_terms, size_t excerpt_bytes)
{
    bool cut_any = false;

    for (size_t i = 0; i < alert->n_matches; i++) {
        struct yq_alert_match *m = &alert->matches[i];
        bool cut = false;
        while (m->n_terms > max_terms) {
            struct yq_alert_term *t = &m->terms[--m->n_terms];
            free(t->term);
            free(t->excerpt);
            memset(t, 0, sizeof(*t));
            cut = true;
        }
        for (size_t j = 0; j < m->n_terms; j++) {
            cut = yq_utf8_cut(m->terms[j].excerpt, excerpt_bytes) || cut;
        }
        if (cut) {
            m->terms_truncated = true;
            cut_any = true;
        }
    }
    return cut_any;
}

int yq_alert_encode_bounded(struct yq_alert *alert, size_t max_bytes, char **out,
                            size_t *out_len)
{
    char *json = NULL, *item_json = NULL;
    size_t len = 0, item_len = 0;
    int err;

    *out = NULL;
    for (int step = 0;; step++) {
        err = yq_alert_encode(alert, &json, &len);
        if (err) {
            return err;
        }
        if (len <= max_bytes) {
            break;
        }
        free(json);
        json = NULL;
        if (step == 0) {
            /* the terms first: a few hits and short quotes say which words matched */
            if (cap_terms(alert, YQ_ALERT_BOUNDED_TERMS, YQ_ALERT_BOUNDED_EXCERPT_BYTES)) {
                continue;
            }
        } else if (step == 1 || step == 2) {
            /* then the item: its JSON may take what the rest of the alert leaves */
            err = yq_item_encode(&alert->item, &item_json, &item_len);
            if (err) {
                return err;
            }
            free(item_json);
            item_json = NULL;
            if (len - max_bytes < item_len) {
                err = yq_item_encode_bounded(&alert->item, item_len - (len - max_bytes),
                                             &item_json, NULL);
                free(item_json);
                item_json = NULL;
                if (err == 0) {
                    continue;
                }
                if (err != ERR_TOO_BIG) {
                    return err;
                }
            }
            /* the item alone cannot make room: one term per match, then try once more */
            if (step == 1 && cap_terms(alert, 1, YQ_ALERT_BOUNDED_EXCERPT_BYTES)) {
                continue;
            }
            return ERR_TOO_BIG;
        } else {
            return ERR_TOO_BIG;
        }
    }
    *out = json;
    if (out_len) {
        *out_len = len;
    }
    return 0;
}

static char *dup_str(const json_t *v)
{
    return strdup(json_is_string(v) ? json_string_value(v) : "");
}

/* "simhash": exactly 16 hex digits into *out. Returns 0 or ERR_PARSE. */
static int simhash_parse(const json_t *v, uint64_t *out)
{
    const char *s = json_string_value(v);
    uint64_t h = 0;

    if (!s || json_string_length(v) != 16) {
        return ERR_PARSE;
    }
    for (size_t i = 0; i < 16; i++) {
        int d = (s[i] >= '0' && s[i] <= '9')   ? s[i] - '0'
                : (s[i] >= 'a' && s[i] <= 'f') ? s[i] - 'a' + 10
                : (s[i] >= 'A' && s[i] <= 'F') ? s[i] - 'A' + 10
                                               : -1;
        if (d < 0) {
            return ERR_PARSE;
        }
        h = (h << 4) | (uint64_t)d;
    }
    *out = h;
    return 0;
}

int yq_alert_decode(const char *buf, size_t len, struct yq_alert *alert, char *errbuf,
                    size_t errlen)
{
    json_t *obj;
    const json_t *v, *matches;
    int err;

    memset(alert, 0, sizeof(*alert));
    err = yq_json_decode_object(buf, len, 0, "alert", &obj, errbuf, errlen);
    if (err) {
        return err;
    }
    err = ERR_PARSE;
    v = json_object_get(obj, "schema");
    if (!json_is_integer(v) || json_integer_value(v) != YQ_ALERT_SCHEMA) {
        snprintf(errbuf, errlen, "alert schema must be %d", YQ_ALERT_SCHEMA);
        goto fail;
    }
    v = json_object_get(obj, "event_key");
    if (!json_is_string(v) || json_string_length(v) == 0) {
        snprintf(errbuf, errlen, "alert field 'event_key' must be a non-empty string");
        goto fail;
    }
    alert->event_key = strdup(json_string_value(v));
    v = json_object_get(obj, "event");
    alert->event_new = json_is_true(json_object_get(v, "new"));
    alert->event_items = json_integer_value(json_object_get(v, "items"));
    if (json_is_string(json_object_get(v, "via"))) {
        alert->event_via = dup_str(json_object_get(v, "via"));
        if (!alert->event_via) {
            err = ERR_NOMEM;
            goto fail;
        }
    }
    alert->rules_version = json_integer_value(json_object_get(obj, "rules_version"));
    v = json_object_get(obj, "matched_at");
    if (!json_is_string(v) || yq_time_parse_iso(json_string_value(v), &alert->matched_at, NULL)) {
        snprintf(errbuf, errlen, "alert field 'matched_at' must be RFC 3339");
        goto fail;
    }
    if (yq_time_ms_field(obj, "matched_at_ms", "alert", &alert->matched_at_ms, errbuf, errlen)) {
        goto fail;
    }
    alert->rules_unverified = json_is_true(json_object_get(obj, "rules_unverified"));
    v = json_object_get(obj, "rules_checked_at");
    if (alert->rules_unverified && json_is_string(v) &&
        yq_time_parse_iso(json_string_value(v), &alert->rules_checked_at, NULL)) {
        snprintf(errbuf, errlen, "alert field 'rules_checked_at' must be RFC 3339");
        goto fail;
    }
    alert->score = json_number_value(json_object_get(obj, "score"));
    if (yq_level_parse(json_string_value(json_object_get(obj, "level")), &alert->level)) {
        snprintf(errbuf, errlen, "alert field 'level' must be I, II, III or IV");
        goto fail;
    }
    alert->department = dup_str(json_object_get(obj, "department"));
    v = json_object_get(obj, "simhash");
    if (v) {
        if (simhash_parse(v, &alert->simhash) != 0) {
            snprintf(errbuf, errlen, "alert field 'simhash' must be 16 hex digits");
            goto fail;
        }
        alert->has_simhash = true;
    }
    matches = json_object_get(obj, "matches");
    if (!json_is_array(matches) ||
        (json_array_size(matches) == 0 &&
         !json_is_true(json_object_get(json_object_get(obj, "item"), "official")) &&
         !(alert->event_via && strcmp(alert->event_via, "repost") == 0 &&
           json_is_string(json_object_get(json_object_get(obj, "item"), "reply_to")) &&
           json_string_length(json_object_get(json_object_get(obj, "item"), "reply_to")) > 0))) {
        snprintf(errbuf, errlen,
                 "alert field 'matches' must be a non-empty array (empty only for an official "
                 "item or a repost joining its original's event)");
        goto fail;
    }
    if (json_array_size(matches) > 0) {
        alert->matches = calloc(json_array_size(matches), sizeof(*alert->matches));
    }
    if (!alert->event_key || !alert->department ||
        (json_array_size(matches) > 0 && !alert->matches)) {
        err = ERR_NOMEM;
        goto fail;
    }
    for (size_t i = 0; i < json_array_size(matches); i++) {
        const json_t *jm = json_array_get(matches, i);
        const json_t *terms = json_object_get(jm, "terms");
        struct yq_alert_match *m = &alert->matches[i];
        alert->n_matches = i + 1;
        if (!json_is_object(jm) || !json_is_string(json_object_get(jm, "rule_id"))) {
            snprintf(errbuf, errlen, "alert match %zu has no rule_id", i);
            goto fail;
        }
        m->rule_id = dup_str(json_object_get(jm, "rule_id"));
        m->name = dup_str(json_object_get(jm, "name"));
        m->department = dup_str(json_object_get(jm, "department"));
        if (!m->rule_id || !m->name || !m->department) {
            err = ERR_NOMEM;
            goto fail;
        }
        v = json_object_get(jm, "group");
        if (json_is_string(v) && json_string_length(v) > 0) {
            m->group = strdup(json_string_value(v));
            if (!m->group) {
                err = ERR_NOMEM;
                goto fail;
            }
        }
        m->terms_truncated = json_is_true(json_object_get(jm, "terms_truncated"));
        if (yq_level_parse(json_string_value(json_object_get(jm, "level")), &m->level)) {
            snprintf(errbuf, errlen, "alert match '%s' has a bad level", m->rule_id);
            goto fail;
        }
        if (json_is_array(terms) && json_array_size(terms) > 0) {
            m->terms = calloc(json_array_size(terms), sizeof(*m->terms));
            if (!m->terms) {
                err = ERR_NOMEM;
                goto fail;
            }
            for (size_t j = 0; j < json_array_size(terms); j++) {
                const json_t *jt = json_array_get(terms, j);
                const char *field = json_string_value(json_object_get(jt, "field"));
                m->n_terms = j + 1;
                m->terms[j].term = dup_str(json_object_get(jt, "term"));
                if (!m->terms[j].term) {
                    err = ERR_NOMEM;
                    goto fail;
                }
                m->terms[j].field = (field && strcmp(field, "title") == 0) ? "title" : "text";
                m->terms[j].start = json_integer_value(json_object_get(jt, "start"));
                m->terms[j].end = json_integer_value(json_object_get(jt, "end"));
                if (json_is_string(json_object_get(jt, "excerpt"))) {
                    m->terms[j].excerpt = strdup(json_string_value(json_object_get(jt, "excerpt")));
                    if (!m->terms[j].excerpt) {
                        err = ERR_NOMEM;
                        goto fail;
                    }
                }
            }
        }
    }
    err = yq_item_from_json(json_object_get(obj, "item"), &alert->item, errbuf, errlen);
    if (err) {
        goto fail;
    }
    json_decref(obj);
    return 0;
fail:
    json_decref(obj);
    yq_alert_release(alert);
    return err;
}

void yq_alert_release(struct yq_alert *alert)
{
    if (!alert) {
        return;
    }
    for (size_t i = 0; i < alert->n_matches; i++) {
        struct yq_alert_match *m = &alert->matches[i];
        for (size_t j = 0; j < m->n_terms; j++) {
            free(m->terms[j].term);
            free(m->terms[j].excerpt);
        }
        free(m->terms);
        free(m->rule_id);
        free(m->name);
        free(m->group);
        free(m->department);
    }
    free(alert->matches);
    free(alert->event_key);
    free(alert->event_via);
    free(alert->department);
    yq_item_release(&alert->item);
    memset(alert, 0, sizeof(*alert));
}
