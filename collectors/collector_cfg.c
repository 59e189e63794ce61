#include "collector_cfg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "yq_err.h"
#include "yq_banned.h"

#define COFF(f) offsetof(struct collector_cfg, f)
#define SOFF(f) offsetof(struct source_cfg, f)
#define TOFF(f) offsetof(struct collector_config, f)

const struct cfg_key collector_cfg_keys[] = {
    {"max_body_bytes", CFG_SIZE, "8M", 1024, 268435456, COFF(max_body_bytes),
     "larger (decoded) responses are rejected", NULL},
    {"connect_timeout_ms", CFG_MS, "10s", 100, 300000, COFF(connect_timeout_ms),
     "TCP+TLS connect timeout", NULL},
    {"timeout_ms", CFG_MS, "30s", 100, 600000, COFF(timeout_ms), "whole-transfer timeout", NULL},
    {"max_redirects", CFG_INT, "5", 0, 20, COFF(max_redirects), "redirects followed", NULL},
    {"user_agent", CFG_STRING, "yuqing-collector/0.1 (+public opinion monitoring)", 0, 0,
     COFF(user_agent), "HTTP User-Agent", NULL},
    {"max_per_host", CFG_INT, "2", 1, 64, COFF(max_per_host),
     "concurrent fetches per host", NULL},
    {"max_parallel", CFG_INT, "32", 1, 1024, COFF(max_parallel), "concurrent fetches in all",
     NULL},
    {"backoff_max_ms", CFG_MS, "1h", 1000, 86400000, COFF(backoff_max_ms),
     "cap of the exponential backoff after failures", NULL},
    {"redis_retry_ms", CFG_MS, "5s", 100, 600000, COFF(redis_retry_ms),
     "after a Redis failure, Redis is not tried again for this long", NULL},
    {"max_text_bytes", CFG_SIZE, "1M", 1024, 67108864, COFF(max_text_bytes),
     "bound for one item's extracted text", NULL},
    {"weibo_api", CFG_STRING, "https://m.weibo.cn", 0, 0, COFF(weibo_api),
     "base URL of the m.weibo.cn container API", NULL},
    {"weibo_user_agent", CFG_STRING,
     "Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) AppleWebKit/605.1.15 "
     "(KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1",
     0, 0, COFF(weibo_user_agent), "mobile User-Agent for Weibo requests", NULL},
    {"metrics_address", CFG_STRING, "127.0.0.1", 0, 0, COFF(metrics_address),
     "listen address of GET /metrics; empty = no endpoint", NULL},
    {"metrics_port", CFG_INT, "9101", 0, 65535, COFF(metrics_port),
     "port of GET /metrics; 0 = any free port (logged)", NULL},
    {"kafka_linger_ms", CFG_MS, "5", 0, 60000, COFF(kafka_linger_ms),
     "producer linger.ms", NULL},
    {"spool_path", CFG_STRING, "collector-spool.jsonl", 0, 0, COFF(spool_path),
     "items still undelivered at shutdown are written here and produced at the next start; "
     "empty = counted as lost (exit 1)",
     NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct cfg_key source_cfg_keys[] = {
    {"id", CFG_STRING, NULL, 0, 0, SOFF(id), "unique source id (required)", NULL},
    {"kind", CFG_STRING, "rss", 0, 0, SOFF(kind),
     "rss | wechat_feed | weibo_user | weibo_search", NULL},
    {"name", CFG_STRING, NULL, 0, 0, SOFF(name), "channel name; default: the feed title", NULL},
    {"url", CFG_STRING, NULL, 0, 0, SOFF(url), "feed URL (required)", NULL},
    {"interval", CFG_MS, "5m", 1000, 604800000, SOFF(interval_ms), "poll interval", NULL},
    {"department", CFG_STRING, NULL, 0, 0, SOFF(department), "department hint", NULL},
    {"enabled", CFG_BOOL, "true", 0, 0, SOFF(enabled), "false: not polled", NULL},
    {"cookie_file", CFG_STRING, NULL, 0, 0, SOFF(cookie_file),
     "file holding the Cookie header value (Weibo SUB=...); read at each poll, never logged",
     NULL},
    {"stale_after", CFG_MS, "0", 0, 31536000000, SOFF(stale_after_ms),
     "alert once when the newest item is older than this (e.g. 72h); 0 = off", NULL},
    {"uid", CFG_STRING, NULL, 0, 0, SOFF(uid), "weibo_user: numeric user id", NULL},
    {"query", CFG_STRING, NULL, 0, 0, SOFF(query), "weibo_search: keywords", NULL},
    {"max_pages", CFG_INT, "3", 1, 50, SOFF(max_pages),
     "Weibo: at most this many pages per poll (since_id paging)", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

const struct cfg_key collector_config_keys[] = {
    {"kafka", CFG_SECTION, NULL, 0, 0, TOFF(kafka), "Kafka", yq_kafka_cfg_keys},
    {"redis", CFG_SECTION, NULL, 0, 0, TOFF(redis), "Redis", yq_redis_cfg_keys},
    {"collector", CFG_SECTION, NULL, 0, 0, TOFF(collector), "HTTP and polling",
     collector_cfg_keys},
    {"sources", CFG_EXTERNAL, NULL, 0, 0, 0, "list of sources", NULL},
    {NULL, 0, NULL, 0, 0, 0, NULL, NULL},
};

static const struct {
    const char *name;
    enum source_kind kind;
    bool feed;
} kinds[] = {
    {"rss", SOURCE_RSS, true},
    {"wechat_feed", SOURCE_WECHAT_FEED, true},
    {"weibo_user", SOURCE_WEIBO_USER, false},
    {"weibo_search", SOURCE_WEIBO_SEARCH, false},
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
    for (size_t i = 0; i < idx; i++) {
        if (strcmp(cfg->sources[i].id, s->id) == 0) {
            snprintf(errbuf, errlen, "%s:%zu: duplicate source id '%s'", file, line, s->id);
            return ERR_INVALID;
        }
    }
    return 0;
}

static int load_sources(struct collector_config *cfg, struct cfg_doc *doc, yaml_node_t *list,
                        char *errbuf, size_t errlen)
{
    size_t n;

    if (!list || (list->type == YAML_SCALAR_NODE && cfg_scalar(list)[0] == '\0')) {
        return 0;
    }
    if (list->type != YAML_SEQUENCE_NODE) {
        snprintf(errbuf, errlen, "%s:%zu: 'sources' must be a list", doc->file,
                 list->start_mark.line + 1);
        return ERR_INVALID;
    }
    n = (size_t)(list->data.sequence.items.top - list->data.sequence.items.start);
    cfg->sources = calloc(n ? n : 1, sizeof(*cfg->sources));
    if (!cfg->sources) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        yaml_node_t *el = cfg_doc_node(doc, list->data.sequence.items.start[i]);
        struct source_cfg *s = &cfg->sources[i];
        size_t line = el ? el->start_mark.line + 1 : 0;
        int err;

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
    }
    return 0;
}

int collector_config_load(struct collector_config *cfg, const char *file, const char *text,
                          size_t text_len, char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    yaml_node_t *root;
    int err;

    memset(cfg, 0, sizeof(*cfg));
    err = cfg_doc_load(&doc, file, text, text_len, errbuf, errlen);
    if (err) {
        cfg_doc_release(&doc);
        return err;
    }
    root = cfg_doc_root(&doc);
    err = cfg_fill(collector_config_keys, cfg, &doc, root, errbuf, errlen);
    if (!err) {
        err = load_sources(cfg, &doc, cfg_map_get(&doc, root, "sources"), errbuf, errlen);
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
    return cfg_set(collector_config_keys, cfg, assignment, errbuf, errlen);
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
        char *text = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&text, &len);

        if (!mem) {
            return;
        }
        cfg_print(mem, source_cfg_keys, &cfg->sources[i], 4);
        fclose(mem);
        /* a list element: the first key's indent becomes "  - " */
        if (len >= 4) {
            memcpy(text, "  - ", 4);
        }
        fputs(text, out);
        free(text);
    }
}

void collector_config_release(struct collector_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_sources; i++) {
        cfg_release(source_cfg_keys, &cfg->sources[i]);
    }
    free(cfg->sources);
    cfg_release(collector_config_keys, cfg);
    memset(cfg, 0, sizeof(*cfg));
}
