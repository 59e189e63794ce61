#include "sources_cli.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_cli.h"
#include "fetch.h"
#include "source_kind.h"
#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

#define SOURCES_DEFAULT_CONFIG "config/sources.yaml"

static const char usage[] =
    "usage: yuqingctl sources check [--config FILE] [--source ID]\n"
    "  Fetch every enabled source of FILE (default " SOURCES_DEFAULT_CONFIG ") once with the\n"
    "  collector's HTTP settings, parse it and print one line per source: id, kind, HTTP\n"
    "  status, format, encoding, well-formed or not, entries, newest entry time and state.\n"
    "  Nothing is sent to Kafka or written to Redis. Exit status 0 when every source is ok,\n"
    "  1 otherwise, 2 on a usage or configuration error.\n";

struct transfer {
    struct yq_buf body;
    struct fetch_decoder dec;
    bool too_big;
    bool nomem;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
    struct transfer *t = userdata;
    int err;
    size_t done = fetch_decoder_write(&t->dec, data, size * nmemb, &t->body, NULL, NULL, &err);

    t->too_big = err == ERR_TOO_BIG;
    t->nomem = err == ERR_NOMEM;
    return done; /* 0 aborts the transfer (CURLE_WRITE_ERROR) */
}

static void sources_check_fail(struct source_check *out, enum source_state st,
                               const char *why)
{
    size_t n = strnlen(why, sizeof(out->error) - 1); /* a longer reason is cut, on purpose */

    out->state = st;
    memcpy(out->error, why, n);
    out->error[n] = '\0';
}

int sources_check_one(const struct collector_config *cfg, const struct source_cfg *src,
                      struct source_check *out)
{
    const struct collector_cfg *cc = &cfg->collector;
    struct transfer t = {.too_big = false};
    struct curl_slist *headers = NULL;
    char curl_err[CURL_ERROR_SIZE] = "", why[CURL_ERROR_SIZE + 64];
    char *cookie = NULL, *url = NULL, *content_type = NULL, *effective_url = NULL;
    const struct source_kind_ops *kind = source_kind_of(src->kind_id);
    CURL *easy = NULL;
    CURLcode rc;
    int err = 0;

    memset(out, 0, sizeof(*out));
    out->id = src->id;
    out->kind = src->kind;
    out->bozo = -1;
    out->entries = -1;
    out->state = SOURCE_NETWORK_ERROR;
    yq_buf_init(&t.body, (size_t)cc->max_body_bytes);
    url = kind->first_url(cfg, src);
    if (!url) {
        err = ERR_NOMEM;
        goto done;
    }
    if (fetch_read_cookie(src, &cookie) != 0) {
        sources_check_fail(out, SOURCE_AUTH_REQUIRED, "cookie_file unreadable or invalid");
        goto done;
    }
    if ((kind->src_headers && kind->src_headers(src, &headers) != 0) ||
        fetch_add_source_headers(src, &headers) != 0) {
        err = ERR_NOMEM;
        goto done;
    }
    easy = curl_easy_init();
    if (!easy) {
        err = ERR_NOMEM;
        goto done;
    }
    fetch_decoder_init(&t.dec, easy);
    /* no If-None-Match/If-Modified-Since: a check always looks at the whole body */
    rc = fetch_setopts(easy, cc, kind->user_agent(cc), url, cookie, headers, curl_err);
    if (rc == CURLE_OK) {
        rc = fetch_set_io(easy, on_body, NULL, &t);
    }
    if (rc != CURLE_OK) {
        sources_check_fail(out, SOURCE_NETWORK_ERROR, curl_easy_strerror(rc));
        goto done;
    }
    rc = curl_easy_perform(easy);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &out->http_status);
    if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(why, sizeof(why), "body exceeds max_body_bytes=%lld",
                 (long long)cc->max_body_bytes);
        sources_check_fail(out, SOURCE_TOO_BIG, why);
    } else if (t.nomem) {
        err = ERR_NOMEM;
    } else if (t.dec.error[0] || (rc == CURLE_OK && fetch_decoder_finish(&t.dec) != 0)) {
        enum source_state st = fetch_decoder_fault(&t.dec, out->http_status, why, sizeof(why));
        sources_check_fail(out, st, why); /* as the poller */
    } else if (rc != CURLE_OK) {
        sources_check_fail(out, SOURCE_NETWORK_ERROR,
                           curl_err[0] ? curl_err : curl_easy_strerror(rc));
    } else {
        curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
        curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective_url);
        char reason[256];
        struct source_check_input in = {
            .body = t.body.data ? t.body.data : "",
            .len = t.body.len,
            .http_status = out->http_status,
            .content_type = content_type,
            .effective_url = effective_url,
        };
        enum source_state st = kind->check(cfg, src, &in, out, reason, sizeof(reason));
        if (st == SOURCE_OK) {
            out->state = SOURCE_OK;
        } else {
            sources_check_fail(out, st, reason);
        }
    }
done:
    fetch_decoder_release(&t.dec);
    if (easy) {
        curl_easy_cleanup(easy);
    }
    curl_slist_free_all(headers);
    yq_buf_release(&t.body);
    free(cookie);
    free(url);
    return err;
}

/* CR, LF and tabs in s become spaces, so that one source stays one line (error is last). */
static void one_line(char *s)
{
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n' || *s == '\t') {
            *s = ' ';
        }
    }
}

void sources_check_print(FILE *out, const struct source_check *c)
{
    char status[24] = "-", entries[24] = "-", newest[32] = "-", error[sizeof(c->error)];

    if (c->http_status > 0) {
        snprintf(status, sizeof(status), "%ld", c->http_status);
    }
    if (c->entries >= 0) {
        snprintf(entries, sizeof(entries), "%ld", c->entries);
    }
    if (c->newest > 0) {
        yq_time_format_utc(c->newest, newest, sizeof(newest));
    }
    fprintf(out, "%s kind=%s http=%s format=%s encoding=%s well_formed=%s entries=%s newest=%s "
                 "state=%s",
            c->id, c->kind ? c->kind : "rss", status, c->format ? c->format : "-",
            c->encoding[0] ? c->encoding : "-",
            c->bozo < 0 ? "-" : (c->bozo ? "no" : "yes"), entries, newest,
            source_state_name(c->state));
    if (c->state != SOURCE_OK && c->error[0]) {
        snprintf(error, sizeof(error), "%s", c->error);
        one_line(error);
        fprintf(out, " error='%s'", error);
    }
    fputc('\n', out);
}

/* The options of `sources check`, borrowed from argv. */
struct sources_opts {
    const char *config, *only;
};

int sources_cli_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--config", struct sources_opts, config),
        YQ_CLI_VALUE("--source", struct sources_opts, only),
    };
    struct sources_opts o = {SOURCES_DEFAULT_CONFIG, NULL};
    const char *word = NULL;
    struct collector_config cfg;
    char errbuf[512] = "";
    size_t checked = 0;
    int rc = yq_cli_parse_cmd("yuqingctl sources", usage, argc, argv, 1, table,
                              sizeof(table) / sizeof(table[0]), &o, &word, 1);

    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    if (!word || strcmp(word, "check") != 0) {
        fputs(usage, stderr);
        return 2;
    }
    if (collector_config_load(&cfg, o.config, NULL, 0, errbuf, sizeof(errbuf)) != 0) {
        fprintf(stderr, "yuqingctl sources: %s\n", errbuf);
        return 2;
    }
    for (size_t i = 0; i < cfg.n_sources; i++) {
        const struct source_cfg *src = &cfg.sources[i];
        struct source_check c;

        if (o.only ? strcmp(src->id, o.only) != 0 : !src->enabled) {
            continue; /* --source checks the named one even when it is disabled */
        }
        checked++;
        if (sources_check_one(&cfg, src, &c) != 0) {
            fprintf(stderr, "yuqingctl sources: 检查来源 '%s' 时内存不足 (out of memory)\n",
                    src->id);
            rc = 1;
            continue;
        }
        sources_check_print(stdout, &c);
        if (c.state != SOURCE_OK) {
            rc = 1;
        }
    }
    fflush(stdout);
    if (o.only && checked == 0) {
        fprintf(stderr, "yuqingctl sources: %s 中没有来源 '%s' (no such source)\n", o.config,
                o.only);
        rc = 2;
    }
    collector_config_release(&cfg);
    return rc;
}
