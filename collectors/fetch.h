/*
 * The HTTP request every collector transfer makes, shared by the poller (curl multi) and
 * `yuqingctl sources check` (one easy transfer per source), so that both fetch alike:
 * http/https only, redirects up to max_redirects (from an https URL to https only),
 * connect_timeout_ms/timeout_ms, every Content-Encoding libcurl decodes (FC-017), the
 * max_body_bytes cap, the user agent, for Weibo sources the m.weibo.cn headers, and the source's
 * cookie file and own "headers:".
 */
#ifndef YQ_FETCH_H
#define YQ_FETCH_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collector_cfg.h"

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
