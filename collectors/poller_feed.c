/*
 * The feed source kind (source_kind_feed; RSS, RDF, Atom, JSON Feed and WeChat bridges): one
 * conditional GET per cycle (the validators from Redis), the 2xx body parsed on a parse thread
 * (feed_parse()), the entries ingested back on the event loop; 304 is a success without a
 * body, in chunks of at most POLLER_INGEST_ENTRIES_PER_PASS entries per loop pass (feed_parsed()).
 * The validators of a fully ingested 200 are kept (source_run_keep_validators()). A 2xx
 * body byte for byte equal to the last one whose entries were all settled (seen or invalid)
 * is not parsed again (SHA-1 of the body, issue #16): servers without ETag/Last-Modified.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_parse.h"
#include "fetch.h"
#include "poller_internal.h"
#include "source_run.h"
#include "sources_cli.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_time.h"
#include "yq_banned.h"

static char *feed_first_url(const struct collector_config *cfg, const struct source_cfg *src)
{
    (void)cfg;
    return strdup(src->url);
}

static const char *feed_user_agent(const struct collector_cfg *cc)
{
    return cc->user_agent;
}

/* If-None-Match / If-Modified-Since from the validators stored for the source. */
static int feed_add_headers(struct source_run *r, struct curl_slist **headers)
{
    const char *etag = NULL, *last_modified = NULL;
    int err = 0;

    if (r->job == JOB_FEED && source_run_validators(r, &etag, &last_modified) == 0) {
        if (etag) {
            err = fetch_add_header(headers, "If-None-Match", etag);
        }
        if (!err && last_modified) {
            err = fetch_add_header(headers, "If-Modified-Since", last_modified);
        }
    }
    return err;
}

static void feed_begin(struct source_run *r)
{
    if (source_run_queue(r, r->first_url, JOB_FEED) != 0) {
        source_run_fail(r, 0, SOURCE_NETWORK_ERROR, "out of memory");
    }
}

/* 304 and other statuses end the cycle here; a 2xx body goes to a parse thread. */
static bool feed_done(struct source_run *r, long status, const char *content_type,
                      const char *effective_url)
{
    char err_msg[64];

    (void)content_type;
    (void)effective_url;
    free(r->content_location);
    /* the document's base URI when present (RFC 7231 §3.1.4.2), for the parse thread */
    r->content_location = fetch_content_location(r->easy);
    if (status == 304) {
        LOG_INFO("poll ok source_id=%s http_status=304 not modified", r->cfg->id);
        source_run_refresh_validators(r); /* a 304 may name new validators */
        source_run_ok(r, status, NULL);
        return false;
    }
    if (status < 200 || status >= 300) {
        snprintf(err_msg, sizeof(err_msg), "http status %ld", status);
        source_run_fail(r, status, source_state_from_http(status), err_msg);
        return false;
    }
    /* a server without validators sends the same body again: not parsed when its every entry
       was settled last time (seen or invalid), the result is that poll's (issue #16) */
    if (!feed_sha1_hex(r->body.data ? r->body.data : "", r->body.len, r->body_sha1)) {
        r->body_sha1[0] = '\0';
    }
    if (r->body_sha1[0] && strcmp(r->body_sha1, r->settled_sha1) == 0) {
        struct ingest_result res = r->settled_res;
        r->bodies_unchanged++;
        LOG_INFO("poll ok source_id=%s http_status=%ld body unchanged, not parsed entries=%zu",
                 r->cfg->id, status, res.entries);
        source_run_keep_validators(r);
        source_run_ok(r, status, &res);
        source_run_response_reset(r);
        return false;
    }
    return true;
}

static void feed_parse_job(struct parse_job *j, const struct collector_cfg *cc)
{
    struct feed_input in = {
        .body = j->body.data ? j->body.data : "",
        .len = j->body.len,
        .content_type = j->content_type,
        .base_url = j->effective_url ? j->effective_url : j->r->cfg->url,
        /* set by feed_done before the job was submitted, untouched until feed_reset */
        .content_location = j->r->content_location,
        .max_bytes = (size_t)cc->max_body_bytes * 4,
        .fetched_at = yq_time_now(), /* relative dates: the body arrived moments ago */
    };
    struct feed *f = NULL;

    j->err = feed_parse(&in, &f, j->err_msg, sizeof(j->err_msg));
    j->out = f;
}

static void feed_release_job(struct parse_job *j)
{
    feed_free(j->out);
    j->out = NULL;
}

/*
 * End of a cycle or poller_free(): the response's Content-Location and an ingest cut short
 * (poller_free() with a feed half ingested) are no longer needed.
 */
static void feed_reset(struct source_run *r)
{
    free(r->content_location);
    r->content_location = NULL;
    ingest_run_free(r->ingest);
    r->ingest = NULL;
}

/*
 * The parse's result back on the event loop: a parse error fails the poll; a feed begins its
 * ingest (r->ingest). Returns true when j is done with (failed), false when the ingest goes on.
 */
static bool feed_ingest_begin(struct source_run *r, struct parse_job *j)
{
    struct feed *f = j->out;
    struct ingest_ctx ctx;
    int err = j->err;

    source_run_response_reset(r);
    r->resp_etag = j->etag; /* given back for source_run_keep_validators() */
    r->resp_last_modified = j->last_modified;
    j->etag = NULL;
    j->last_modified = NULL;
    if (err) {
        r->settled_sha1[0] = '\0';
        /* an HTML page or login wall: an error, never an empty feed (FC-018) */
        source_run_fail(r, j->status,
                        err == ERR_NOT_A_FEED ? SOURCE_NOT_A_FEED : SOURCE_PARSE_ERROR,
                        j->err_msg[0] ? j->err_msg : yq_strerror(err));
        source_run_response_reset(r);
        return true;
    }
    if (f->bozo) {
        LOG_INFO("feed not well-formed, recovered source_id=%s reason='%s'", r->cfg->id,
                 f->bozo_message ? f->bozo_message : "");
    }
    ctx = source_run_ingest_ctx(r, yq_time_now());
    err = ingest_run_new(f, &ctx, &r->ingest);
    if (err) {
        source_run_fail(r, j->status, SOURCE_PARSE_ERROR, yq_strerror(err));
        source_run_response_reset(r);
        return true;
    }
    return false;
}

/*
 * The ingest of a parsed feed, on the event loop's thread, at most *budget entries per call
 * (the loop drives the transfers between the calls); the poll ends with the last chunk.
 */
static bool feed_parsed(struct source_run *r, struct parse_job *j, size_t *budget)
{
    struct feed *f = j->out;
    struct ingest_result res;
    long status = j->status;
    size_t used = 0;
    bool done = false;
    int err;

    if (!r->ingest && feed_ingest_begin(r, j)) {
        return true;
    }
    err = ingest_run_step(r->ingest, *budget, &used, &done);
    *budget -= used;
    if (!err && !done) {
        return false;
    }
    res = *ingest_run_result(r->ingest);
    ingest_run_free(r->ingest);
    r->ingest = NULL;
    if (err && err != ERR_RETRY) {
        source_run_fail(r, status, SOURCE_PARSE_ERROR, yq_strerror(err));
        source_run_response_reset(r);
        return true;
    }
    LOG_INFO("poll ok source_id=%s http_status=%ld entries=%zu produced=%zu seen=%zu "
             "in_flight=%zu deferred=%zu invalid=%zu",
             r->cfg->id, status, res.entries, res.produced, res.seen, res.in_flight,
             res.deferred, res.invalid);
    if (err == 0) {
        source_run_keep_validators(r);
    }
    /* settled: nothing produced, in flight, deferred or refused; the next equal body is not
       parsed (feed_done) */
    if (err == 0 && res.produced == 0 && res.in_flight == 0 && res.deferred == 0 &&
        res.rejected == 0 && !f->bozo) {
        snprintf(r->settled_sha1, sizeof(r->settled_sha1), "%s", r->body_sha1);
        r->settled_res = res;
    } else {
        r->settled_sha1[0] = '\0';
    }
    source_run_ok(r, status, &res);
    source_run_response_reset(r);
    return true;
}

/* `yuqingctl sources check`: a 2xx body parsed as a feed. */
static enum source_state feed_check(const struct collector_config *cfg,
                                    const struct source_cfg *src,
                                    const struct source_check_input *resp,
                                    struct source_check *out, char *why, size_t why_len)
{
    struct feed_input in = {
        .body = resp->body,
        .len = resp->len,
        .content_type = resp->content_type,
        .base_url = resp->effective_url ? resp->effective_url : src->url,
        .max_bytes = (size_t)cfg->collector.max_body_bytes * 4,
        .fetched_at = yq_time_now(),
    };
    struct feed *f = NULL;
    int err;

    if (resp->http_status < 200 || resp->http_status >= 300) {
        snprintf(why, why_len, "http status %ld", resp->http_status);
        return source_state_from_http(resp->http_status);
    }
    why[0] = '\0';
    err = feed_parse(&in, &f, why, why_len);
    if (err) {
        return source_check_failed(
            err, err == ERR_NOT_A_FEED ? SOURCE_NOT_A_FEED : SOURCE_PARSE_ERROR, why, why_len);
    }
    out->format = f->format;
    snprintf(out->encoding, sizeof(out->encoding), "%s", f->encoding ? f->encoding : "");
    out->bozo = f->bozo ? 1 : 0;
    out->entries = (long)f->n_entries;
    for (size_t i = 0; i < f->n_entries; i++) {
        if (f->entries[i].has_published && f->entries[i].published > out->newest) {
            out->newest = f->entries[i].published;
        }
    }
    feed_free(f);
    return SOURCE_OK;
}

const struct source_kind_ops source_kind_feed = {
    .name = "feed",
    .first_url = feed_first_url,
    .user_agent = feed_user_agent,
    /* .src_headers: a feed sends only the source's own "headers:" */
    .add_headers = feed_add_headers,
    .begin = feed_begin,
    .done = feed_done,
    .parse = feed_parse_job,
    .parsed = feed_parsed,
    .release_job = feed_release_job,
    .reset = feed_reset,
    .check = feed_check,
};
