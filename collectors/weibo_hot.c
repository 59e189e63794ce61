#include "weibo_hot.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_sha1.h"
#include "weibo.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_time.h"
#include "yq_banned.h"

#define SEARCH_URL "https://s.weibo.com/weibo?q="
#define URL_MAX_BYTES 2048

static const char *jstr(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A JSON flag: true, a non-zero number, or a non-empty string other than "0". */
static bool jflag(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_true(v)) {
        return true;
    }
    if (json_is_integer(v)) {
        return json_integer_value(v) != 0;
    }
    if (json_is_string(v)) {
        return json_string_value(v)[0] && strcmp(json_string_value(v), "0") != 0;
    }
    return json_is_object(v) || (json_is_array(v) && json_array_size(v) > 0);
}

/*
 * A heat: a non-negative JSON integer or real, or a string whose last number (optionally with
 * 万/亿, weibo_parse_count()) is the heat ("剧集 123456", "1234567"). -1 when none.
 */
static int64_t jheat(const json_t *v)
{
    if (json_is_integer(v)) {
        return json_integer_value(v) >= 0 ? json_integer_value(v) : -1;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        return d >= 0 && d < 9.0e15 ? (int64_t)d : -1;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v), *last = strrchr(s, ' ');
        int64_t n = -1;
        bool capped = false;
        if (weibo_parse_count(last ? last + 1 : s, &n, &capped) == 0 && n >= 0) {
            return n;
        }
    }
    return -1;
}

/* The badge of a label ("新", "热", ...) or of a badge image URL; NULL when none. */
static const char *badge_of(const char *label, const char *icon)
{
    static const char *const labels[] = {"新", "热", "沸", "爆"};
    static const struct {
        const char *needle;
        const char *badge;
    } icons[] = {{"new", "新"},  {"boil", "沸"}, {"fei", "沸"},
                 {"boom", "爆"}, {"bao", "爆"},  {"hot", "热"}};

    for (size_t i = 0; label && i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (strcmp(label, labels[i]) == 0) {
            return labels[i];
        }
    }
    if (icon) {
        const char *file = strrchr(icon, '/');
        file = file ? file + 1 : icon;
        for (size_t i = 0; i < sizeof(icons) / sizeof(icons[0]); i++) {
            if (strstr(file, icons[i].needle)) {
                return icons[i].badge;
            }
        }
    }
    return NULL;
}

/* s without leading/trailing ASCII and ideographic spaces: a new string, or NULL. */
static char *trimmed(const char *s, size_t max_bytes, bool *bad)
{
    size_t n;
    *bad = false;
    for (;;) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            s++;
        } else if (strncmp(s, "\xe3\x80\x80", 3) == 0) {
            s += 3;
        } else {
            break;
        }
    }
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r')) {
        n--;
    }
    while (n >= 3 && strncmp(s + n - 3, "\xe3\x80\x80", 3) == 0) {
        n -= 3;
    }
    if (n == 0 || n > max_bytes) {
        *bad = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f) {
            *bad = true;
            return NULL;
        }
    }
    return strndup(s, n);
}

/* The search URL of term: scheme when it is http(s) and short enough, else s.weibo.com. */
static char *search_url(const char *term, const char *scheme)
{
    char *q, *hash, *url;
    size_t n;

    if (scheme && (strncmp(scheme, "https://", 8) == 0 || strncmp(scheme, "http://", 7) == 0) &&
        strlen(scheme) <= URL_MAX_BYTES) {
        bool ctl = false;
        for (const char *c = scheme; *c && !ctl; c++) {
            ctl = (unsigned char)*c <= ' ' || *c == 0x7f;
        }
        if (!ctl) {
            return strdup(scheme);
        }
    }
    n = strlen(term) + 3;
    hash = malloc(n);
    if (!hash) {
        return NULL;
    }
    snprintf(hash, n, "#%s#", term);
    q = curl_easy_escape(NULL, hash, 0);
    free(hash);
    if (!q) {
        return NULL;
    }
    n = strlen(SEARCH_URL) + strlen(q) + 1;
    url = malloc(n);
    if (url) {
        snprintf(url, n, "%s%s", SEARCH_URL, q);
    }
    curl_free(q);
    return url;
}

static void entry_release(struct weibo_hot_entry *e)
{
    free(e->term);
    free(e->note);
    free(e->category);
    free(e->url);
    memset(e, 0, sizeof(*e));
}

void weibo_hot_list_release(struct weibo_hot_list *out)
{
    if (!out) {
        return;
    }
    for (size_t i = 0; i < out->n; i++) {
        entry_release(&out->entries[i]);
    }
    free(out->entries);
    memset(out, 0, sizeof(*out));
}

/* What one raw entry says, before it is added. */
struct raw_entry {
    const char *term;
    const char *note;
    const char *category;
    const char *scheme;
    const char *label;
    const char *icon;
    int64_t heat;
    int64_t rank; /* 1-based from the body, or 0 = count it */
    bool pinned;
    int64_t onboard_time;
};

/* Add r to out unless its term is unusable or a duplicate. Returns 0 or ERR_NOMEM. */
static int add_entry(struct weibo_hot_list *out, const struct raw_entry *r, int64_t *next_rank)
{
    struct weibo_hot_entry *e;
    bool bad = false;
    char *term;

    if (!r->term || out->n >= WEIBO_HOT_MAX_ENTRIES) {
        out->skipped++;
        return 0;
    }
    term = trimmed(r->term, WEIBO_HOT_TERM_MAX_BYTES, &bad);
    if (!term) {
        out->skipped++;
        return bad ? 0 : ERR_NOMEM;
    }
    for (size_t i = 0; i < out->n; i++) {
        if (strcmp(out->entries[i].term, term) == 0) {
            free(term);
            out->skipped++;
            return 0;
        }
    }
    e = &out->entries[out->n];
    memset(e, 0, sizeof(*e));
    e->term = term;
    out->n++; /* released with the list even when half-built */
    e->pinned = r->pinned;
    if (r->pinned) {
        e->rank = 0;
    } else {
        e->rank = r->rank > 0 && r->rank <= 1000 ? r->rank : *next_rank;
        *next_rank = e->rank + 1;
    }
    e->heat = r->heat;
    e->badge = badge_of(r->label, r->icon);
    e->onboard_time = r->onboard_time > 0 ? r->onboard_time : 0;
    if (r->note && strcmp(r->note, r->term) != 0) {
        e->note = trimmed(r->note, WEIBO_HOT_NOTE_MAX_BYTES, &bad);
        if (!e->note && !bad) {
            return ERR_NOMEM;
        }
    }
    if (r->category) {
        e->category = trimmed(r->category, WEIBO_HOT_TERM_MAX_BYTES, &bad);
        if (!e->category && !bad) {
            return ERR_NOMEM;
        }
    }
    e->url = search_url(e->term, r->scheme);
    if (!e->url || !feed_sha1_hex(e->term, strlen(e->term), e->sha1)) {
        return ERR_NOMEM;
    }
    return 0;
}

/* data.cards[].card_group[] (the mobile container). */
static int parse_mobile(const json_t *cards, struct weibo_hot_list *out, char *errbuf,
                        size_t errlen)
{
    size_t i, j, seen = 0;
    const json_t *card, *el;
    int64_t next_rank = 1;

    if (!json_is_array(cards)) {
        snprintf(errbuf, errlen, "hot list: data.cards is not a list");
        return ERR_PARSE;
    }
    out->shape = "mobile";
    json_array_foreach(cards, i, card)
    {
        const json_t *group = json_object_get(card, "card_group");
        if (!json_is_array(group)) {
            continue;
        }
        json_array_foreach(group, j, el)
        {
            struct raw_entry r;
            const json_t *extr;
            int err;

            if (!json_is_object(el) || !jstr(el, "desc")) {
                continue;
            }
            memset(&r, 0, sizeof(r));
            extr = json_object_get(el, "desc_extr");
            r.term = jstr(el, "desc");
            r.icon = jstr(el, "icon");
            r.scheme = jstr(el, "scheme");
            r.heat = jheat(extr);
            if (json_is_string(extr) && r.heat < 0) {
                r.note = json_string_value(extr); /* a text with no number in it */
            }
            if (jflag(el, "promotion") || jflag(el, "is_ad") ||
                (seen > 0 && r.heat < 0 && !r.note)) {
                out->ads++;
                seen++;
                continue;
            }
            r.pinned = seen == 0 && r.heat < 0 && !r.note;
            seen++;
            err = add_entry(out, &r, &next_rank);
            if (err) {
                return err;
            }
        }
    }
    return 0;
}

/* One data.realtime[] element (the desktop ajax) into r; false for an ad. */
static bool desktop_entry(const json_t *el, struct raw_entry *r)
{
    const json_t *realpos = json_object_get(el, "realpos"), *rank = json_object_get(el, "rank");
    const json_t *onboard = json_object_get(el, "onboard_time");

    memset(r, 0, sizeof(*r));
    if (jflag(el, "is_ad") || jflag(el, "promotion")) {
        return false;
    }
    r->term = jstr(el, "word");
    r->note = jstr(el, "note");
    r->category = jstr(el, "category");
    r->label = jstr(el, "label_name");
    r->icon = jstr(el, "icon");
    r->scheme = jstr(el, "scheme") ? jstr(el, "scheme") : jstr(el, "url");
    r->heat = jheat(json_object_get(el, "num"));
    if (r->heat < 0) {
        r->heat = jheat(json_object_get(el, "raw_hot"));
    }
    if (json_is_integer(realpos) && json_integer_value(realpos) > 0) {
        r->rank = json_integer_value(realpos);
    } else if (json_is_integer(rank) && json_integer_value(rank) >= 0 &&
               json_integer_value(rank) < 1000) {
        r->rank = json_integer_value(rank) + 1;
    }
    if (json_is_integer(onboard)) {
        r->onboard_time = json_integer_value(onboard);
    }
    return true;
}

/* data.hotgov and data.realtime[] (the desktop ajax). */
static int parse_desktop(const json_t *data, struct weibo_hot_list *out, char *errbuf,
                         size_t errlen)
{
    const json_t *list = json_object_get(data, "realtime"), *gov = json_object_get(data, "hotgov");
    const json_t *el;
    struct raw_entry r;
    int64_t next_rank = 1;
    size_t i;
    int err;

    if (list && !json_is_array(list)) {
        snprintf(errbuf, errlen, "hot list: data.realtime is not a list");
        return ERR_PARSE;
    }
    out->shape = "desktop";
    if (json_is_object(gov) && desktop_entry(gov, &r) && r.term) {
        r.pinned = true;
        r.heat = -1; /* the pinned entry has no rank nor heat of its own */
        err = add_entry(out, &r, &next_rank);
        if (err) {
            return err;
        }
    }
    json_array_foreach(list, i, el)
    {
        if (!json_is_object(el)) {
            out->skipped++;
            continue;
        }
        if (!desktop_entry(el, &r)) {
            out->ads++;
            continue;
        }
        err = add_entry(out, &r, &next_rank);
        if (err) {
            return err;
        }
    }
    return 0;
}

int weibo_hot_parse(const char *body, size_t len, struct weibo_hot_list *out, char *errbuf,
                    size_t errlen)
{
    json_t *root;
    const json_t *data, *ok;
    int err;

    memset(out, 0, sizeof(*out));
    if (!body || len == 0) {
        snprintf(errbuf, errlen, "hot list: empty body");
        return ERR_PARSE;
    }
    /* the body is already bounded by the poller's max_body_bytes */
    err = yq_json_decode_object(body, len, 0, "hot list", &root, errbuf, errlen);
    if (err) {
        return err;
    }
    out->entries = calloc(WEIBO_HOT_MAX_ENTRIES, sizeof(*out->entries));
    if (!out->entries) {
        json_decref(root);
        return ERR_NOMEM;
    }
    data = json_object_get(root, "data");
    ok = json_object_get(root, "ok");
    if (json_is_object(data) && json_object_get(data, "cards")) {
        err = parse_mobile(json_object_get(data, "cards"), out, errbuf, errlen);
    } else if (json_is_object(data) &&
               (json_object_get(data, "realtime") || json_object_get(data, "hotgov"))) {
        err = parse_desktop(data, out, errbuf, errlen);
    } else if (json_is_integer(ok) && json_integer_value(ok) == 0) {
        out->shape = "mobile"; /* ok:0 "这里还没有内容": an empty list */
        err = 0;
    } else {
        snprintf(errbuf, errlen, "hot list: neither data.cards nor data.realtime");
        err = ERR_PARSE;
    }
    json_decref(root);
    if (err) {
        weibo_hot_list_release(out);
    }
    return err;
}

json_t *weibo_hot_watched(const struct weibo_hot_entry *e, char *const *watch, size_t n_watch)
{
    json_t *arr = json_array();
    char *term = NULL;
    int err;

    if (!arr) {
        return NULL;
    }
    if (n_watch == 0) {
        return arr;
    }
    err = yq_hot_fold(e->term, &term);
    if (err == ERR_NOMEM) {
        json_decref(arr);
        return NULL;
    }
    for (size_t i = 0; term && i < n_watch; i++) {
        char *w = NULL;
        err = yq_hot_fold(watch[i], &w);
        if (err == ERR_NOMEM) {
            free(term);
            json_decref(arr);
            return NULL;
        }
        if (w && w[0] && strstr(term, w) &&
            json_array_append_new(arr, json_string(watch[i])) != 0) {
            free(w);
            free(term);
            json_decref(arr);
            return NULL;
        }
        free(w);
    }
    free(term);
    return arr;
}

/* The hot object of yq_item.h for e and ctx; NULL on ERR_NOMEM. */
static json_t *hot_object(const struct weibo_hot_entry *e, const struct weibo_hot_ctx *ctx)
{
    char ts[32];
    json_t *o = json_object();
    int rc = 0;

    if (!o) {
        return NULL;
    }
    rc |= json_object_set_new(o, "board", json_string("realtime"));
    rc |= json_object_set_new(o, "rank", json_integer(e->rank));
    if (e->heat >= 0) {
        rc |= json_object_set_new(o, "heat", json_integer(e->heat));
    }
    if (e->badge) {
        rc |= json_object_set_new(o, "badge", json_string(e->badge));
    }
    rc |= json_object_set_new(o, "trigger",
                              json_string(ctx->trigger == YQ_HOT_ROSE ? "rose" : "entered"));
    rc |= json_object_set_new(o, "entered_at",
                              json_string(yq_time_format_utc(ctx->entered_at, ts, sizeof(ts))));
    if (ctx->trigger == YQ_HOT_ROSE) {
        rc |= json_object_set_new(o, "rise_rank", json_integer(ctx->rise_rank));
    }
    if (ctx->watched && json_array_size(ctx->watched) > 0) {
        rc |= json_object_set_new(o, "watched", json_deep_copy(ctx->watched));
    }
    if (rc) {
        json_decref(o);
        return NULL;
    }
    return o;
}

bool weibo_hot_onboard_plausible(int64_t onboard_time, int64_t now)
{
    return onboard_time > 0 && onboard_time >= now - WEIBO_HOT_ONBOARD_PAST_S &&
           onboard_time <= now + WEIBO_HOT_ONBOARD_FUTURE_S;
}

int weibo_hot_item(const struct weibo_hot_entry *e, const struct weibo_hot_ctx *ctx,
                   struct yq_item *out)
{
    char id[128];
    size_t n;

    memset(out, 0, sizeof(*out));
    if (ctx->trigger == YQ_HOT_ENTERED) {
        snprintf(id, sizeof(id), "wbhot:%s:%lld:entered", e->sha1, (long long)ctx->entered_at);
    } else if (ctx->trigger == YQ_HOT_ROSE) {
        snprintf(id, sizeof(id), "wbhot:%s:%lld:rose%lld", e->sha1, (long long)ctx->entered_at,
                 (long long)ctx->rise_rank);
    } else {
        return ERR_INVALID;
    }
    out->id = strdup(id);
    /* the term's stays join one 研判 event (pipeline/event.c: reposts join "ev:<reply_to>") */
    snprintf(id, sizeof(id), "wbhot:%s", e->sha1);
    out->reply_to = strdup(id);
    out->source = strdup("weibo_hot");
    out->source_id = strdup(ctx->source_id ? ctx->source_id : "");
    out->channel = strdup(ctx->channel && ctx->channel[0] ? ctx->channel : "微博热搜");
    out->url = strdup(e->url);
    out->title = strdup(e->term);
    n = (e->note ? strlen(e->note) : strlen(e->term)) +
        (e->category ? strlen(e->category) + 8 : 0) + 1;
    out->text = malloc(n);
    if (out->text) {
        if (e->category) {
            snprintf(out->text, n, "%s（%s）", e->note ? e->note : e->term, e->category);
        } else {
            snprintf(out->text, n, "%s", e->note ? e->note : e->term);
        }
    }
    out->hot = hot_object(e, ctx);
    if (!out->id || !out->reply_to || !out->source || !out->source_id || !out->channel || !out->url || !out->title ||
        !out->text || !out->hot) {
        yq_item_release(out);
        return ERR_NOMEM;
    }
    out->has_published = true;
    out->published_at = weibo_hot_onboard_plausible(e->onboard_time, ctx->fetched_at)
                             ? e->onboard_time
                             : ctx->entered_at;
    out->precision = "second";
    out->fetched_at = ctx->fetched_at; /* the heat is in hot.heat: no metrics */
    out->fetched_at_ms = yq_time_stamp_ms(ctx->fetched_at); /* issue #16 */
    return 0;
}
