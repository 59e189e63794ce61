#include "yq_err.h"

#include "yq_banned.h"

const char *yq_strerror(int err)
{
    switch (err) {
    case YQ_OK:
        return "ok";
    case ERR_NOMEM:
        return "out of memory";
    case ERR_NOT_FOUND:
        return "not found";
    case ERR_PARSE:
        return "parse error";
    case ERR_TOO_BIG:
        return "too big";
    case ERR_RETRY:
        return "retry later";
    case ERR_INVALID:
        return "invalid";
    case ERR_IO:
        return "i/o error";
    case ERR_EXISTS:
        return "already exists";
    case ERR_BAD_STATE:
        return "not allowed in this state";
    case ERR_NOT_A_FEED:
        return "not a feed";
    default:
        return "unknown error";
    }
}
