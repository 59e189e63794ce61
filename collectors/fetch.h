/*
 * The HTTP request every collector transfer makes, shared by the poller (curl multi) and
 * `yuqingctl sources check` (one easy transfer per source), so that both fetch alike:
 * http/https only, redirects up to max_redirects (from an https URL to https only),
 * connect_timeout_ms/timeout_ms, gzip and deflate asked for and decoded here, each checked to
 * its end (FC-017; struct fetch_decoder), the max_body_bytes cap on the decoded bytes, the user
 * agent, for Weibo sources the m.weibo.cn headers, and the source's cookie file and own "headers:".
 */
#ifndef YQ_FETCH_H
#define YQ_FETCH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zlib.h>

#include "collector_cfg.h"
#include "source_state.h"
#include "yq_buf.h"

/* The Accept-Encoding the collector sends: only the codings fetch_decoder checks to their end. */
#define FETCH_ACCEPT_ENCODING "gzip, deflate"

/*
 * The cookie file of src (borrowed), read at every request: *out is a new string (free()) or
 * NULL when src has no cookie_file. Returns 0 or ERR_INVALID (unreadable, empty, or holding
 * CR/LF/NUL: it would inject headers).
 */
int fetch_read_cookie(const struct source_cfg *src, char **out);

/*
 * Append "name: value" (both NUL-terminated, value at most 1024 bytes) to *headers.
 * Returns 0 or ERR_NOMEM (*headers unchanged).
 */
int fetch_add_header(struct curl_slist **headers, const char *name, const char *value);

/*
 * Append the m.weibo.cn request headers for src (borrowed), except those src configures
 * itself in "headers:" (which fetch_add_source_headers() sends instead).
 * Returns 0 or ERR_NOMEM (what was appended stays in *headers).
 */
int fetch_add_weibo_headers(const struct source_cfg *src, struct curl_slist **headers);

/*
 * Append the source's own "headers:" (src borrowed; names and values validated at config
 * load). A User-Agent or Accept among them replaces libcurl's. Values are never logged.
 * Returns 0 or ERR_NOMEM (what was appended stays in *headers).
 */
int fetch_add_source_headers(const struct source_cfg *src, struct curl_slist **headers);

/*
 * Set the shared transfer options on easy for url (copied by libcurl): protocols, redirects,
 * timeouts, Accept-Encoding, body cap per cc (borrowed), user_agent (the source kind's,
 * source_kind.h; copied); cookie (may be NULL,
 * copied) and headers (may be NULL; borrowed, must outlive the transfer); errbuf (at least
 * CURL_ERROR_SIZE bytes, must outlive the transfer). The body and header callbacks are the
 * caller's. Returns the first failing CURLcode or CURLE_OK.
 */
CURLcode fetch_setopts(CURL *easy, const struct collector_cfg *cc, const char *user_agent,
                       const char *url, const char *cookie, struct curl_slist *headers,
                       char *errbuf);

/*
 * Hand the transfer's body to on_body and, when on_header is not NULL, its header lines to
 * on_header, both with arg (borrowed; also CURLOPT_PRIVATE, for curl_multi_info_read()).
 * Returns the first failing CURLcode or CURLE_OK.
 */
CURLcode fetch_set_io(CURL *easy, curl_write_callback on_body, curl_write_callback on_header,
                      void *arg);

/*
 * The delay a Retry-After header value asks for (RFC 9110 §10.2.3), in ms: delay-seconds
 * ("120") or an HTTP-date ("Fri, 31 Dec 2027 23:59:59 GMT", the obsolete RFC 850 and asctime
 * forms too; libcurl's curl_getdate()) less now_s (UTC seconds). v: len bytes, not
 * NUL-terminated, white space around allowed. Returns the delay (>= 0; a date in the past is 0)
 * or -1 when v is neither form. Thread-safe.
 */
int64_t fetch_retry_after_ms(const char *v, size_t len, int64_t now_s);

/*
 * The body of one transfer, decoded by the collector itself (libcurl's decoding is off,
 * CURLOPT_HTTP_CONTENT_DECODING 0): libcurl ends a gzip or deflate stream cut short, or with a
 * bad CRC, silently, and the half document would pass as a whole feed. The Content-Encoding
 * of the response (curl_easy_header(), at its first body byte) picks the decoding: none or
 * "identity" (bytes as they come), "gzip"/"x-gzip" (RFC 1952: CRC-32 and length checked by
 * zlib), "deflate" (zlib format, RFC 1950, or raw deflate as some servers send it). Any other
 * coding, or two stacked, is refused. A decoded stream must reach its end (Z_STREAM_END) and
 * nothing may follow it. Caller storage; one transfer at a time; not thread-safe.
 */
enum fetch_coding {
    FETCH_CODING_UNKNOWN, /* not read yet */
    FETCH_CODING_IDENTITY,
    FETCH_CODING_GZIP,
    FETCH_CODING_DEFLATE,
    FETCH_CODING_REFUSED, /* any other coding, or codings stacked */
};

struct fetch_decoder {
    CURL *easy;               /* borrowed: the transfer whose Content-Encoding is read */
    z_stream z;               /* live while z_live */
    enum fetch_coding coding; /* FETCH_CODING_UNKNOWN before the first body byte */
    bool started;             /* decoding started (the coding is known) */
    bool holding;             /* deflate: the first byte, alone in its delivery, is held */
    unsigned char held;       /* that byte: zlib or raw deflate is told by two */
    bool z_live;              /* inflateInit2() done: inflateEnd() owed */
    bool ended;               /* the compressed stream reached its end */
    bool more_out;            /* the last inflate() filled its output: more may be pending */
    size_t skip;              /* bytes of a delivery already consumed when the transfer paused */
    char error[160];          /* why the body is refused ("" while none) */
};

/*
 * Whether out may grow by n more bytes now (the poller's body memory budget), asked before
 * each append that fits max_len; false pauses the transfer (CURL_WRITEFUNC_PAUSE).
 */
typedef bool (*fetch_room_fn)(void *arg, const struct yq_buf *out, size_t n);

/* Make d ready for a transfer on easy (borrowed). Never fails. */
void fetch_decoder_init(struct fetch_decoder *d, CURL *easy);

/*
 * Make d ready for a body whose coding is known without a response (tests, the fuzz target):
 * FETCH_CODING_IDENTITY, _GZIP or _DEFLATE (zlib format or raw, told at the first bytes).
 * Never fails.
 */
void fetch_decoder_init_coding(struct fetch_decoder *d, enum fetch_coding coding);

/*
 * Decode n bytes of the body (a curl write callback's data) and append them to out (bounded
 * by its max_len: the cap counts decoded bytes). room (may be NULL: always room) with arg is
 * asked before appending. Returns what the write callback returns: n, CURL_WRITEFUNC_PAUSE
 * (no room; the same bytes come again on resume, those already decoded are skipped), or 0
 * with *err ERR_TOO_BIG, ERR_NOMEM or ERR_PARSE (the coding: d->error names it, e.g. "gzip
 * stream corrupt: incorrect data check", "data after the end of the gzip stream").
 */
size_t fetch_decoder_write(struct fetch_decoder *d, const char *data, size_t n, struct yq_buf *out,
                           fetch_room_fn room, void *arg, int *err);

/*
 * The transfer ended without error: returns 0, or ERR_PARSE when a compressed body did not
 * reach its end (d->error e.g. "gzip stream truncated: the body ended before the end of the
 * compressed data").
 */
int fetch_decoder_finish(struct fetch_decoder *d);

/*
 * The state and reason (written to why, whylen bytes, NUL-terminated) of a transfer whose
 * body d refused (d->error set, by a write or by fetch_decoder_finish()), answered with
 * status: a 2xx is SOURCE_NETWORK_ERROR with d->error as the reason; an error status keeps
 * its own state (source_state_from_http(): a 429 stays rate_limited), "http status N (...)".
 */
enum source_state fetch_decoder_fault(const struct fetch_decoder *d, long status, char *why,
                                      size_t whylen);

/* Free d's zlib state (d may be reused after fetch_decoder_init()). Never fails. */
void fetch_decoder_release(struct fetch_decoder *d);

/* Longest Content-Location value kept, bytes; a longer one is ignored. */
#define FETCH_CONTENT_LOCATION_MAX 2048

/*
 * The Content-Location header of the last response of easy's finished transfer (after
 * redirects; libcurl's curl_easy_header(), read on the thread that ran the transfer), as a
 * new string (free()), or NULL when absent, empty, longer than FETCH_CONTENT_LOCATION_MAX or
 * holding control characters. It may be relative (to the effective URL). Never fails.
 */
char *fetch_content_location(CURL *easy);

#endif
