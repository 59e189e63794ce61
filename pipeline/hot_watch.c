#include "hot_watch.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "yq_array.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

bool hot_watch_applies(const struct yq_item *item)
{
    const json_t *w = item && item->hot ? json_object_get(item->hot, "watched") : NULL;
    size_t i;
    const json_t *t;

    if (!json_is_array(w)) {
        return false;
    }
    json_array_foreach(w, i, t)
    {
        if (json_is_string(t) && json_string_length(t) > 0) {
            return true;
        }
    }
    return false;
}

/* The first occurrence of term in the normalised title nt: code points [*start, *end). */
static bool find_in_title(const struct norm *n, const struct norm_text *nt, const char *term,
                          size_t *start, size_t *end)
{
    char *nterm = NULL;
    const char *at;
    bool found = false;

    if (!n || !nt->buf || norm_string(n, term, &nterm) != 0 || !nterm[0]) {
        free(nterm);
        return false;
    }
    at = strstr(nt->buf, nterm);
    if (at) {
        size_t b = (size_t)(at - nt->buf), e = b + strlen(nterm);
        *start = nt->orig_cp[b];
        *end = nt->orig_cp[e - 1] + 1;
        found = true;
    }
    free(nterm);
    return found;
}

/* The hot-watch match of item into m (zeroed storage). Returns 0 or ERR_NOMEM. */
static int watch_match(const struct yq_item *item, struct yq_alert_match *m)
{
    const json_t *w = json_object_get(item->hot, "watched"), *t;
    const struct norm *n = NULL;
    struct norm_text nt = NORM_TEXT_INIT;
    const char *title = item->title ? item->title : "";
    char err[128];
    size_t i;
    int rc = 0;

    m->rule_id = strdup(HOT_WATCH_RULE_ID);
    m->name = strdup(HOT_WATCH_NAME);
    m->group = strdup(HOT_WATCH_GROUP);
    m->department = strdup(item->department ? item->department : "");
    m->level = HOT_WATCH_LEVEL;
    m->terms = calloc(HOT_WATCH_MAX_TERMS, sizeof(*m->terms));
    if (!m->rule_id || !m->name || !m->group || !m->department || !m->terms) {
        return ERR_NOMEM;
    }
    if (norm_global(&n, err, sizeof(err)) != 0) {
        n = NULL; /* no offsets: the terms are still listed */
    }
    if (n && norm_apply(n, title, strlen(title), YQ_ITEM_MAX_TITLE_BYTES, &nt) == ERR_NOMEM) {
        return ERR_NOMEM;
    }
    json_array_foreach(w, i, t)
    {
        struct yq_alert_term *at;
        size_t start = 0, end = 0;

        if (!json_is_string(t) || json_string_length(t) == 0) {
            continue;
        }
        if (m->n_terms >= HOT_WATCH_MAX_TERMS) {
            m->terms_truncated = true;
            break;
        }
        at = &m->terms[m->n_terms++];
        at->term = strdup(json_string_value(t));
        at->field = match_field_name(MATCH_FIELD_TITLE);
        if (!at->term) {
            rc = ERR_NOMEM;
            break;
        }
        if (find_in_title(n, &nt, at->term, &start, &end)) {
            at->start = (int64_t)start;
            at->end = (int64_t)end;
            if (match_excerpt(title, start, end, &at->excerpt) != 0) {
                rc = ERR_NOMEM;
                break;
            }
        }
    }
    norm_text_release(&nt);
    return rc;
}

int hot_watch_build_alert(const struct rule_set *rs, const struct match_result *mr,
                          const struct yq_item *item, const struct match_weights *mw, int64_t now,
                          struct yq_alert *out)
{
    bool watched = hot_watch_applies(item);
    size_t cap;
    const char *id = item->id ? item->id : "";
    int err;

    memset(out, 0, sizeof(*out));
    if (mr->n_rules > 0) {
        err = match_build_alert_weighted(rs, mr, item, mw, now, out);
        if (err || !watched) {
            return err;
        }
    } else if (!watched) {
        return ERR_INVALID;
    } else {
        /* the term's key (reply_to "wbhot:<sha1>", weibo_hot.h) when there is one: every stay
           of the term is one event, as event_assign() makes it; else the item's own */
        const char *root = item->reply_to && item->reply_to[0] ? item->reply_to : id;
        size_t n = strlen(root) + 4;
        out->event_key = malloc(n);
        if (out->event_key) {
            snprintf(out->event_key, n, "ev:%s", root);
        }
        out->department = strdup(item->department ? item->department : "");
        if (!out->event_key || !out->department || yq_item_copy(&out->item, item) != 0) {
            goto nomem;
        }
        out->event_new = true;
        out->event_items = 1;
        out->rules_version = rs ? rs->version : 0;
        out->matched_at = now;
        out->matched_at_ms = yq_time_stamp_ms(now); /* issue #16 */
        out->level = HOT_WATCH_LEVEL;
        out->score = match_score_weighted(HOT_WATCH_LEVEL, 1, item, mw);
    }
    cap = out->n_matches; /* match_build_alert_weighted() allocates exactly n_matches */
    if (yq_array_reserve(&out->matches, &cap, out->n_matches + 1, sizeof(*out->matches)) != 0) {
        goto nomem;
    }
    memset(&out->matches[out->n_matches], 0, sizeof(*out->matches));
    out->n_matches++; /* released with the alert even when half-built */
    if (watch_match(item, &out->matches[out->n_matches - 1]) != 0) {
        goto nomem;
    }
    return 0;
nomem:
    yq_alert_release(out);
    return ERR_NOMEM;
}
