/*
 * Shared error codes. A function that can fail returns 0 or one of these (negative) codes.
 * Callers branch on the code: ERR_RETRY means "try again later" (a dead service, a full
 * queue, a timeout); every other code is permanent for that input.
 */
#ifndef YQ_ERR_H
#define YQ_ERR_H

enum yq_err {
    YQ_OK = 0,
    ERR_NOMEM = -1,     /* allocation failed */
    ERR_NOT_FOUND = -2, /* key, file, row or element does not exist */
    ERR_PARSE = -3,     /* malformed input (XML, JSON, YAML, rule expression) */
    ERR_TOO_BIG = -4,   /* a configured maximum was reached */
    ERR_RETRY = -5,     /* transient failure: service down, timeout, queue full */
    ERR_INVALID = -6,   /* well-formed but not acceptable (bad value, unknown key) */
    ERR_IO = -7,        /* local I/O failed (file, socket set-up, SQLite) */
    ERR_EXISTS = -8,    /* already present; idempotent callers treat it as success */
    ERR_BAD_STATE = -9,     /* operation not allowed in the current state */
    ERR_NOT_A_FEED = -10,   /* a fetched body is not a feed at all (HTML page, login wall) */
};

/*
 * A static, lower-case, one-word-or-two description of err ("retry later", "parse error").
 * Returns "unknown error" for a code not listed above. Thread-safe.
 */
const char *yq_strerror(int err);

#endif
