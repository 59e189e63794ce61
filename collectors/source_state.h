/*
 * The outcome of one poll of one source, as recorded in its health record (Redis
 * yuqing:source:<id> field "state"), in /metrics and in logs. Each failure kind is its own
 * state so that an operator can tell "the site is down" from "we are blocked" from "the
 * cookie expired" (issue 3; cases FC-005, FC-018).
 */
#ifndef YQ_SOURCE_STATE_H
#define YQ_SOURCE_STATE_H

#include <stdbool.h>

enum source_state {
    SOURCE_OK = 0,        /* 200 with a feed or a Weibo page (0 items included), or 304 */
    SOURCE_NOT_A_FEED,    /* HTML page, login wall or error page served as a feed */
    SOURCE_AUTH_REQUIRED, /* Weibo ok:-100, HTTP 432, visitor/login page, captcha */
    SOURCE_RATE_LIMITED,  /* HTTP 418/429/414: backs off at least 2x the interval */
    SOURCE_BLOCKED,       /* HTTP 403 */
    SOURCE_HTTP_ERROR,    /* any other non-2xx status (5xx backs off) */
    SOURCE_NETWORK_ERROR, /* DNS, connect, TLS, timeout, bad content encoding, a body
                             still gzip-compressed after decoding */
    SOURCE_PARSE_ERROR,   /* body could not be parsed (bad JSON, no recoverable XML) */
    SOURCE_TOO_BIG,       /* body larger than max_body_bytes */
    SOURCE_STATE_COUNT,
};

/* Static lower-case name ("ok", "not_a_feed", "auth_required", ...). Thread-safe. */
const char *source_state_name(enum source_state s);

/* True for the states whose next attempt must wait at least 2x the interval (FC-005). */
bool source_state_backs_off_hard(enum source_state s);

/*
 * State for an HTTP status that is not 2xx/304: 418, 429, 414 rate_limited; 432 and 401
 * auth_required; 403 blocked; everything else http_error.
 */
enum source_state source_state_from_http(long http_status);

#endif
