#include "collector_cfg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "yq_err.h"
#include "yq_item.h"
#include "yq_log.h"
#include "yq_banned.h"

static const struct cfg_key collector_metrics_keys[] = YQ_METRICS_HTTP_CFG_KEYS("9101");

#define CFG_KEYS_OF collector_cfg
const struct cfg_key collector_cfg_keys[] = {
    CFG_SIZE_KEY(max_body_bytes, "8M", 1024, 268435456, "larger (decoded) responses are rejected"),
    CFG_MS_KEY(connect_timeout_ms, "10s", 100, 300000, "TCP+TLS connect timeout"),
    CFG_MS_KEY(timeout_ms, "30s", 100, 600000, "whole-transfer timeout"),
    CFG_INT_KEY(max_redirects, "5", 0, 20, "redirects followed"),
    CFG_STRING_KEY(user_agent, "yuqing-collector/0.1 (+public opinion monitoring)",
                   "HTTP User-Agent"),
    CFG_INT_KEY(max_per_host, "2", 1, 64, "concurrent fetches per host"),
    CFG_INT_KEY(max_parallel, "32", 1, 1024, "concurrent fetches in all"),
    CFG_MS_KEY(
        host_slot_ms, "10s", 100, 600000,
        "a transfer running this long stops counting against max_per_host (slow drips do not "
        "hold their host); it still counts against max_parallel and ends at timeout_ms"),
    CFG_INT_KEY(
        parse_threads, "2", 1, 16,
        "threads parsing fetched feed bodies off the polling thread (one huge body leaves the "
        "others to the rest)"),
    CFG_SIZE_KEY(
        parse_queue_bytes, "16M", 1024, 4294967296,
        "fetched feed bodies waiting for a free parse thread; while they total this much, no new "
        "transfer starts (back-pressure, never dropping)"),
    CFG_SIZE_KEY(
        body_memory_bytes, "0", 0, 68719476736,
        "all feed body bytes held at once (downloading, queued, being parsed); transfers pause "
        "at it, never dropping; 0 = 2 x max_body_bytes; at least max_body_bytes"),
    CFG_MS_KEY(backoff_max_ms, "1h", 1000, 86400000,
               "cap of the exponential backoff after failures, and of a Retry-After"),
    CFG_MS_KEY(redis_retry_ms, "5s", 100, 600000,
               "after a Redis failure, Redis is not tried again for this long"),
    CFG_SIZE_KEY(max_text_bytes, CFG_QUOTE(YQ_ITEM_MAX_TEXT_BYTES), 1024, 67108864,
                 "bound for one item's extracted text; above the item's text cap (512 KiB) the cap "
                 "is used, with a warning at load"),
    CFG_STRING_KEY(weibo_api, "https://m.weibo.cn", "base URL of the m.weibo.cn container API"),
    CFG_STRING_KEY(weibo_user_agent,
                   "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
                   "(KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
                   "mobile User-Agent for Weibo requests"),
    CFG_FIELD_KEY(
        "weibo_first_crawl_window", CFG_MS, weibo_first_crawl_window_ms, "24h", 0, 315360000000,
        "a Weibo source's first crawl marks posts older than this as seen without producing them "
        "(a baseline), and pinned posts older than this are never new; 0 = off",
        NULL),
    CFG_GROUP_KEY("metrics", metrics, "the monitoring endpoint", collector_metrics_keys),
    CFG_MS_KEY(kafka_linger_ms, "0", 0, 60000,
               "producer linger.ms (0: an item is sent at once; under load items produced while a "
               "request is in flight share the next)"),
    CFG_STRING_KEY(
        spool_path, "collector-spool.jsonl",
        "items still undelivered at shutdown are written here and produced at the next start; "
        "empty = counted as lost (exit 1)"),
    CFG_INT_KEY(
        seen_cache_ids, "4096", 0, 1048576,
        "ids known seen kept in memory per source (two generations of this many at most, of "
        "twice a feed's entries + 16 once its size is known): a re-polled "
        "entry found there is not checked in Redis again; Redis stays the truth across restarts "
        "and collectors; 0 = off"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CFG_KEYS_OF source_cfg
const struct cfg_key source_cfg_keys[] = {
    CFG_STRING_KEY(id, NULL, "unique source id (required)"),
    CFG_STRING_KEY(kind, "rss", "rss | wechat_feed | weibo_user | weibo_search | weibo_hot"),
    CFG_STRING_KEY(name, NULL, "channel name; default: the feed title"),
    CFG_STRING_KEY(url, NULL, "feed URL (required)"),
    CFG_FIELD_KEY("interval", CFG_MS, interval_ms, "5m", 1000, 604800000, "poll interval", NULL),
    CFG_STRING_KEY(department, NULL,
                   "the source's department (required with official: true); carried on its items"),
    CFG_BOOL_KEY(
        official, "false",
        "the government's own account or site: items carry \"official\": true and never open "
        "a ticket by themselves (answers, not 舆情)"),
    CFG_STRING_KEY(
        response_channel, NULL,
        "official sources: the 回应 channel the source stands for (政务微博 | 政务微信 | 网站 | "
        "权威发布); default from the kind: weibo_* 政务微博, wechat_feed 政务微信, rss 网站"),
    CFG_BOOL_KEY(
        local, "false",
        "a local source: items carry \"local\": true, so rules marked local need no place name"),
    CFG_BOOL_KEY(enabled, "true", "false: not polled"),
    CFG_STRING_KEY(
        cookie_file, NULL,
        "file holding the Cookie header value (Weibo SUB=...); read at each poll, never logged"),
    CFG_FIELD_KEY("stale_after", CFG_MS, stale_after_ms, "0", 0, 31536000000,
                  "alert once when the newest item is older than this (e.g. 72h); 0 = off", NULL),
    CFG_STRING_KEY(uid, NULL, "weibo_user: numeric user id"),
    CFG_STRING_KEY(query, NULL, "weibo_search: keywords"),
    CFG_INT_KEY(max_pages, "3", 1, 50, "Weibo: at most this many pages per poll (since_id paging)"),
    CFG_EXTERNAL_KEY("headers", NULL,
                     "extra request headers, a mapping of name: value; values never logged"),
    CFG_EXTERNAL_KEY(
        "watch_terms", NULL,
        "weibo_hot: a list of terms; an entry containing one is alerted on even without a rule"),
    CFG_INT_KEY(rise_rank, "10", 0, 50,
                "weibo_hot: an entry that rises to this rank or better is produced again (trigger "
                "\"rose\"); 0 = off"),
    CFG_INT_KEY(
        quiet_factor, "4", 0, 1000,
        "blind spots: a source is quiet after this many of its usual intervals between new items "
        "without one (learnt from its own history); 0 = off"),
    CFG_FIELD_KEY("quiet_min", CFG_MS, quiet_min_ms, "1h", 0, 31536000000,
                  "blind spots: a source is never quiet before this long without a new item", NULL),
    CFG_INT_KEY(
        blind_after_failures, "3", 1, 1000,
        "blind spots: consecutive failed polls that open a \"failing\" window (dated from the "
        "first failure); a login wall opens a \"walled\" window at once"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CFG_KEYS_OF collector_config
const struct cfg_key collector_config_keys[] = {
    CFG_SECTION_KEY(kafka, "Kafka", yq_kafka_cfg_keys),
    CFG_SECTION_KEY(redis, "Redis", yq_redis_cfg_keys),
    CFG_SECTION_KEY(collector, "HTTP and polling", collector_cfg_keys),
    CFG_EXTERNAL_KEY("sources", NULL, "list of sources"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

static const struct {
    const char *name;
    enum source_kind kind;
    bool feed;
} kinds[] = {
    {"rss", SOURCE_RSS, true},
    {"wechat_feed", SOURCE_WECHAT_FEED, true},
    {"weibo_user", SOURCE_WEIBO_USER, false},
    {"weibo_search", SOURCE_WEIBO_SEARCH, false},
    {"weibo_hot", SOURCE_WEIBO_HOT, false},
    {NULL, 0, false},
};

static int check_source(struct source_cfg *s, const struct collector_config *cfg, size_t idx,
                        const char *file, size_t line, char *errbuf, size_t errlen)
{
    bool known = false;

    if (!s->id || !s->id[0]) {
        snprintf(errbuf, errlen, "%s:%zu: source needs 'id'", file, line);
        return ERR_INVALID;
    }
    for (const char *c = s->id; *c; c++) {
        if (*c <= ' ' || *c == ':' || *c == '/') {
            snprintf(errbuf, errlen, "%s:%zu: source id '%s': no spaces, ':' or '/'", file,
                     line, s->id);
            return ERR_INVALID;
        }
    }
    for (int i = 0; kinds[i].name; i++) {
        if (strcmp(s->kind, kinds[i].name) == 0) {
            s->kind_id = kinds[i].kind;
            s->feed = kinds[i].feed;
            known = true;
        }
    }
    if (!known) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': unknown kind '%s'", file, line, s->id,
                 s->kind);
        return ERR_INVALID;
    }
    if (s->url && strncasecmp(s->url, "http://", 7) != 0 &&
        strncasecmp(s->url, "https://", 8) != 0) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s' needs an http(s) 'url'", file, line,
                 s->id);
        return ERR_INVALID;
    }
    if (s->kind_id == SOURCE_WEIBO_USER && !s->url &&
        (!s->uid || !s->uid[0] || strspn(s->uid, "0123456789") != strlen(s->uid))) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s' (weibo_user) needs a numeric 'uid' or "
                 "a 'url'", file, line, s->id);
        return ERR_INVALID;
    }
    if (s->kind_id == SOURCE_WEIBO_SEARCH && !s->url && (!s->query || !s->query[0])) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s' (weibo_search) needs a 'query' or a "
                 "'url'", file, line, s->id);
        return ERR_INVALID;
    }
    if (s->feed && !s->url) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s' needs an http(s) 'url'", file, line, s->id);
        return ERR_INVALID;
    }
    if (s->response_channel && !s->official) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': response_channel needs official: true",
                 file, line, s->id);
        return ERR_INVALID;
    }
    if (s->response_channel && strcmp(s->response_channel, "政务微博") != 0 &&
        strcmp(s->response_channel, "政务微信") != 0 && strcmp(s->response_channel, "网站") != 0 &&
        strcmp(s->response_channel, "权威发布") != 0) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': response_channel must be 政务微博, "
                 "政务微信, 网站 or 权威发布", file, line, s->id);
        return ERR_INVALID;
    }
    if (s->official && !s->response_channel) {
        const char *ch = s->kind_id == SOURCE_WECHAT_FEED ? "政务微信"
                         : s->feed                         ? "网站"
                                                           : "政务微博";
        if (!(s->response_channel = strdup(ch))) {
            snprintf(errbuf, errlen, "out of memory");
            return ERR_NOMEM;
        }
    }
    if (s->official && (!s->department || !s->department[0])) {
        /* issue #15 routes a detected response to the department that runs the account */
        snprintf(errbuf, errlen, "%s:%zu: source '%s' (official: true) needs its 'department'",
                 file, line, s->id);
        return ERR_INVALID;
    }
    for (size_t i = 0; i < idx; i++) {
        if (strcmp(cfg->sources[i].id, s->id) == 0) {
            snprintf(errbuf, errlen, "%s:%zu: duplicate source id '%s'", file, line, s->id);
            return ERR_INVALID;
        }
    }
    return 0;
}

/*
 * Header names a source may not set: Host and the framing headers would misroute or corrupt
 * the request; Accept-Encoding would ask for encodings libcurl may not decode (FC-017); the
 * validators belong to the poller's conditional GET (FC-019).
 */
static const char *const reserved_headers[] = {
    "Host",          "Content-Length",    "Transfer-Encoding", "Connection", "Accept-Encoding",
    "If-None-Match", "If-Modified-Since", NULL,
};

/* RFC 7230 §3.2.6 tchar */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* One "name: value" pair of a source's headers; messages never quote the value. */
static int check_header(const struct source_cfg *s, const yaml_node_t *kn, const yaml_node_t *vn,
                        const char *file, char *errbuf, size_t errlen)
{
    const char *name = cfg_scalar(kn);
    const char *value = cfg_scalar(vn);
    size_t line = kn->start_mark.line + 1;
    size_t name_len, value_len;

    if (!name || !name[0] || strlen(name) != kn->data.scalar.length) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': a header name must be text", file, line,
                 s->id);
        return ERR_INVALID;
    }
    name_len = strlen(name);
    for (size_t i = 0; i < name_len; i++) {
        if (!is_tchar((unsigned char)name[i])) {
            bool printable = true;
            for (size_t j = 0; j < name_len; j++) {
                printable = printable && (unsigned char)name[j] >= 0x20 && name[j] != 0x7f;
            }
            /* a name with CR/LF in it is not echoed: errbuf stays one line */
            snprintf(errbuf, errlen,
                     "%s:%zu: source '%s': header name '%.*s' may hold only letters, digits "
                     "and !#$%%&'*+-.^_`|~ (RFC 7230 token)",
                     file, line, s->id, SOURCE_HEADER_NAME_MAX, printable ? name : "?");
            return ERR_INVALID;
        }
    }
    if (name_len > SOURCE_HEADER_NAME_MAX) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': header name longer than %d bytes", file,
                 line, s->id, SOURCE_HEADER_NAME_MAX);
        return ERR_INVALID;
    }
    for (int i = 0; reserved_headers[i]; i++) {
        if (strcasecmp(name, reserved_headers[i]) == 0) {
            snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' is set by the collector "
                     "and cannot be configured", file, line, s->id, name);
            return ERR_INVALID;
        }
    }
    if (strcasecmp(name, "Cookie") == 0 && s->cookie_file) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': header 'Cookie' and 'cookie_file' "
                 "together; use one", file, line, s->id);
        return ERR_INVALID;
    }
    line = vn->start_mark.line + 1;
    if (!value) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' needs a text value, not a "
                 "list or mapping", file, line, s->id, name);
        return ERR_INVALID;
    }
    value_len = vn->data.scalar.length;
    if (value_len == 0) {
        /* libcurl would read "Name:" as "do not send Name" */
        snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' has an empty value", file,
                 line, s->id, name);
        return ERR_INVALID;
    }
    if (value_len > SOURCE_HEADER_VALUE_MAX) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' value longer than %d bytes",
                 file, line, s->id, name, SOURCE_HEADER_VALUE_MAX);
        return ERR_INVALID;
    }
    for (size_t i = 0; i < value_len; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            /* CR/LF would inject headers; NUL would cut the value short */
            snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' value holds %s", file,
                     line, s->id, name,
                     c == '\r' || c == '\n' ? "CR/LF (header injection)"
                                             : "a control character");
            return ERR_INVALID;
        }
    }
    for (size_t i = 0; i < s->n_headers; i++) {
        if (strcasecmp(s->headers[i].name, name) == 0) {
            snprintf(errbuf, errlen, "%s:%zu: source '%s': header '%s' given twice", file,
                     kn->start_mark.line + 1, s->id, name);
            return ERR_INVALID;
        }
    }
    return 0;
}

/*
 * The number of entries of value node of doc (NULL: the key is absent), a list (type
 * YAML_SEQUENCE_NODE) or a mapping (YAML_MAPPING_NODE), into *n_out: 0 when cfg_value_empty().
 * When node is neither empty nor of that type: ERR_INVALID with "FILE:LINE: [source 'ID': ]RULE"
 * in errbuf, source_id (NULL for a top-level key) and rule ("'sources' must be a list")
 * borrowed.
 */
static int entries_of(const struct cfg_doc *doc, const yaml_node_t *node, yaml_node_type_t type,
                      const char *source_id, const char *rule, size_t *n_out, char *errbuf,
                      size_t errlen)
{
    *n_out = 0;
    if (cfg_value_empty(node)) {
        return 0;
    }
    if (node->type != type) {
        snprintf(errbuf, errlen, "%s:%zu: %s%s%s%s", doc->file, node->start_mark.line + 1,
                 source_id ? "source '" : "", source_id ? source_id : "", source_id ? "': " : "",
                 rule);
        return ERR_INVALID;
    }
    *n_out = type == YAML_SEQUENCE_NODE
                 ? (size_t)(node->data.sequence.items.top - node->data.sequence.items.start)
                 : (size_t)(node->data.mapping.pairs.top - node->data.mapping.pairs.start);
    return 0;
}

/* A source's "headers:" mapping (node may be NULL: none) into s->headers. */
static int load_headers(struct source_cfg *s, struct cfg_doc *doc, yaml_node_t *node, char *errbuf,
                        size_t errlen)
{
    yaml_node_pair_t *pair;
    size_t n = 0;
    int err = entries_of(doc, node, YAML_MAPPING_NODE, s->id,
                         "'headers' must be a mapping of name: value", &n, errbuf, errlen);

    if (err || n == 0) {
        return err;
    }
    s->headers = calloc(n, sizeof(*s->headers));
    if (!s->headers) {
        return ERR_NOMEM;
    }
    for (pair = node->data.mapping.pairs.start; pair < node->data.mapping.pairs.top; pair++) {
        yaml_node_t *kn = cfg_doc_node(doc, pair->key);
        yaml_node_t *vn = cfg_doc_node(doc, pair->value);
        struct source_header *h = &s->headers[s->n_headers];

        if (!kn || !vn) {
            snprintf(errbuf, errlen, "%s:%zu: source '%s': bad 'headers' entry", doc->file,
                     node->start_mark.line + 1, s->id);
            return ERR_INVALID;
        }
        err = check_header(s, kn, vn, doc->file, errbuf, errlen);
        if (err) {
            return err;
        }
        h->name = strdup(cfg_scalar(kn));
        h->value = strdup(cfg_scalar(vn));
        s->n_headers++; /* so that release frees a half-built entry too */
        if (!h->name || !h->value) {
            return ERR_NOMEM;
        }
    }
    return 0;
}

/*
 * A weibo_hot source's "watch_terms:" list (node may be NULL: none) into s->watch_terms: at
 * most SOURCE_WATCH_TERMS_MAX non-empty strings of at most SOURCE_WATCH_TERM_MAX_BYTES bytes
 * each, without control characters; duplicates kept once. Other kinds may not set it.
 */
static int load_watch_terms(struct source_cfg *s, struct cfg_doc *doc, yaml_node_t *node,
                            char *errbuf, size_t errlen)
{
    size_t n = 0;
    int err;

    if (!cfg_value_empty(node) && s->kind_id != SOURCE_WEIBO_HOT) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': 'watch_terms' is for kind weibo_hot",
                 doc->file, node->start_mark.line + 1, s->id);
        return ERR_INVALID;
    }
    err = entries_of(doc, node, YAML_SEQUENCE_NODE, s->id, "'watch_terms' must be a list of terms",
                     &n, errbuf, errlen);
    if (err) {
        return err;
    }
    if (n > SOURCE_WATCH_TERMS_MAX) {
        snprintf(errbuf, errlen, "%s:%zu: source '%s': at most %d 'watch_terms' (%zu given)",
                 doc->file, node->start_mark.line + 1, s->id, SOURCE_WATCH_TERMS_MAX, n);
        return ERR_INVALID;
    }
    if (n == 0) {
        return 0;
    }
    s->watch_terms = calloc(n, sizeof(*s->watch_terms));
    if (!s->watch_terms) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *el = cfg_doc_node(doc, node->data.sequence.items.start[i]);
        size_t line = el ? el->start_mark.line + 1 : node->start_mark.line + 1;
        const char *t = el && el->type == YAML_SCALAR_NODE ? cfg_scalar(el) : NULL;
        bool dup = false;

        if (!t || !t[0] || strspn(t, " \t") == strlen(t)) {
            snprintf(errbuf, errlen, "%s:%zu: source '%s': each of 'watch_terms' must be a "
                     "non-empty term", doc->file, line, s->id);
            return ERR_INVALID;
        }
        if (strlen(t) > SOURCE_WATCH_TERM_MAX_BYTES) {
            snprintf(errbuf, errlen, "%s:%zu: source '%s': a watch term is longer than %d "
                     "bytes", doc->file, line, s->id, SOURCE_WATCH_TERM_MAX_BYTES);
            return ERR_INVALID;
        }
        for (const char *c = t; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                snprintf(errbuf, errlen, "%s:%zu: source '%s': a watch term has a control "
                         "character", doc->file, line, s->id);
                return ERR_INVALID;
            }
        }
        for (size_t j = 0; j < s->n_watch_terms && !dup; j++) {
            dup = strcmp(s->watch_terms[j], t) == 0;
        }
        if (dup) {
            continue;
        }
        s->watch_terms[s->n_watch_terms] = strdup(t);
        if (!s->watch_terms[s->n_watch_terms]) {
            return ERR_NOMEM;
        }
        s->n_watch_terms++;
    }
    return 0;
}

static int load_sources(struct collector_config *cfg, struct cfg_doc *doc, yaml_node_t *list,
                        char *errbuf, size_t errlen)
{
    size_t n = 0;
    int err = entries_of(doc, list, YAML_SEQUENCE_NODE, NULL, "'sources' must be a list", &n,
                         errbuf, errlen);

    if (err || n == 0) {
        return err; /* no sources: cfg->sources stays NULL */
    }
    cfg->sources = calloc(n, sizeof(*cfg->sources));
    if (!cfg->sources) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *el = cfg_doc_node(doc, list->data.sequence.items.start[i]);
        struct source_cfg *s = &cfg->sources[i];
        size_t line = el ? el->start_mark.line + 1 : 0;

        if (!el || el->type != YAML_MAPPING_NODE) {
            snprintf(errbuf, errlen, "%s:%zu: each source must be a mapping", doc->file, line);
            return ERR_INVALID;
        }
        cfg->n_sources = i + 1; /* so that release frees this one too */
        err = cfg_fill(source_cfg_keys, s, doc, el, errbuf, errlen);
        if (err) {
            return err;
        }
        err = check_source(s, cfg, i, doc->file, line, errbuf, errlen);
        if (err) {
            return err;
        }
        err = load_headers(s, doc, cfg_map_get(doc, el, "headers"), errbuf, errlen);
        if (err) {
            return err;
        }
        err = load_watch_terms(s, doc, cfg_map_get(doc, el, "watch_terms"), errbuf, errlen);
        if (err) {
            return err;
        }
    }
    return 0;
}

/*
 * collector.max_text_bytes above the item's text cap is the cap: configurations written before
 * 2026-12-06 hold values up to 64 MiB (1 MiB was the documented default), and an item cannot
 * carry more text anyway. where names the file or "--set"; one warning when it is lowered.
 */
static void clamp_max_text_bytes(struct collector_cfg *c, const char *where)
{
    if (c->max_text_bytes > YQ_ITEM_MAX_TEXT_BYTES) {
        LOG_WARN("config value above the item text cap lowered file='%s' "
                 "key=collector.max_text_bytes value=%" PRId64 " used=%d",
                 where, c->max_text_bytes, YQ_ITEM_MAX_TEXT_BYTES);
        c->max_text_bytes = YQ_ITEM_MAX_TEXT_BYTES;
    }
}

int collector_config_load(struct collector_config *cfg, const char *file, const char *text,
                          size_t text_len, char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    int err;

    memset(cfg, 0, sizeof(*cfg));
    err = cfg_load(collector_config_keys, cfg, file, text, text_len, &doc, errbuf, errlen);
    if (!err && cfg->collector.body_memory_bytes != 0 &&
        cfg->collector.body_memory_bytes < cfg->collector.max_body_bytes) {
        snprintf(errbuf, errlen,
                 "%s: collector.body_memory_bytes (%" PRId64 ") must be at least "
                 "collector.max_body_bytes (%" PRId64 ") or 0",
                 file, cfg->collector.body_memory_bytes, cfg->collector.max_body_bytes);
        err = ERR_INVALID;
    }
    if (!err) {
        clamp_max_text_bytes(&cfg->collector, file);
        err = load_sources(cfg, &doc, cfg_map_get(&doc, cfg_doc_root(&doc), "sources"), errbuf,
                           errlen);
    }
    cfg_doc_release(&doc);
    if (err) {
        collector_config_release(cfg);
    }
    return err;
}

int collector_config_set(struct collector_config *cfg, const char *assignment, char *errbuf,
                         size_t errlen)
{
    int err = cfg_set(collector_config_keys, cfg, assignment, errbuf, errlen);

    if (!err) {
        clamp_max_text_bytes(&cfg->collector, "--set");
    }
    return err;
}

char *collector_weibo_url(const struct collector_config *cfg, const struct source_cfg *src)
{
    const char *api = cfg->collector.weibo_api ? cfg->collector.weibo_api : "https://m.weibo.cn";
    char *q = NULL, *url;
    size_t n;

    if (src->url) {
        return strdup(src->url);
    }
    if (src->kind_id == SOURCE_WEIBO_USER) {
        n = strlen(api) + 2 * strlen(src->uid) + 96;
        url = malloc(n);
        if (url) {
            snprintf(url, n, "%s/api/container/getIndex?type=uid&value=%s&containerid=107603%s",
                     api, src->uid, src->uid);
        }
        return url;
    }
    {
        const char *kw = src->query ? src->query : "";
        size_t in_n = strlen(kw) + 32;
        char *inner = malloc(in_n);
        if (!inner) {
            return NULL;
        }
        /* containerid=100103type=1&q=<kw>, itself URL-encoded as one parameter value */
        snprintf(inner, in_n, "100103type=1&q=%s", kw);
        q = curl_easy_escape(NULL, inner, 0);
        free(inner);
    }
    if (!q) {
        return NULL;
    }
    n = strlen(api) + strlen(q) + 96;
    url = malloc(n);
    if (url) {
        snprintf(url, n, "%s/api/container/getIndex?containerid=%s&page_type=searchall", api, q);
    }
    curl_free(q);
    return url;
}

void collector_config_print(FILE *out, const struct collector_config *cfg)
{
    cfg_print(out, collector_config_keys, cfg, 0);
    fputs(cfg->n_sources ? "sources:\n" : "sources: []\n", out);
    for (size_t i = 0; i < cfg->n_sources; i++) {
        /* a list element: the first key's line starts with "  - " */
        cfg_print_list_item(out, source_cfg_keys, &cfg->sources[i], 4);
        if (cfg->sources[i].n_headers) {
            /* names only: values may be secrets (tokens), never printed or logged */
            fputs("    # headers (values not printed):", out);
            for (size_t h = 0; h < cfg->sources[i].n_headers; h++) {
                fprintf(out, "%s %s", h ? "," : "", cfg->sources[i].headers[h].name);
            }
            fputc('\n', out);
        }
        if (cfg->sources[i].n_watch_terms) {
            /* a YAML flow list of double-quoted terms (no control characters in them) */
            fputs("    watch_terms: [", out);
            for (size_t w = 0; w < cfg->sources[i].n_watch_terms; w++) {
                fputs(w ? ", \"" : "\"", out);
                for (const char *c = cfg->sources[i].watch_terms[w]; *c; c++) {
                    if (*c == '"' || *c == '\\') {
                        fputc('\\', out);
                    }
                    fputc(*c, out);
                }
                fputc('"', out);
            }
            fputs("]\n", out);
        }
    }
}

void collector_config_release(struct collector_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        struct source_cfg *s = &cfg->sources[i];

        for (size_t h = 0; h < s->n_headers; h++) {
            free(s->headers[h].name);
            free(s->headers[h].value);
        }
        free(s->headers);
        for (size_t w = 0; w < s->n_watch_terms; w++) {
            free(s->watch_terms[w]);
        }
        free(s->watch_terms);
        cfg_release(source_cfg_keys, s);
    }
    free(cfg->sources);
    cfg_release(collector_config_keys, cfg);
    memset(cfg, 0, sizeof(*cfg));
}
