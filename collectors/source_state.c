#include "source_state.h"

#include "yq_banned.h"

static const char *const names[SOURCE_STATE_COUNT] = {
    [SOURCE_OK] = "ok",
    [SOURCE_NOT_A_FEED] = "not_a_feed",
    [SOURCE_AUTH_REQUIRED] = "auth_required",
    [SOURCE_RATE_LIMITED] = "rate_limited",
    [SOURCE_BLOCKED] = "blocked",
    [SOURCE_HTTP_ERROR] = "http_error",
    [SOURCE_NETWORK_ERROR] = "network_error",
    [SOURCE_PARSE_ERROR] = "parse_error",
    [SOURCE_TOO_BIG] = "too_big",
};

const char *source_state_name(enum source_state s)
{
    return (unsigned)s < SOURCE_STATE_COUNT ? names[s] : "unknown";
}

bool source_state_backs_off_hard(enum source_state s)
{
    return s == SOURCE_RATE_LIMITED || s == SOURCE_BLOCKED || s == SOURCE_AUTH_REQUIRED;
}

enum source_state source_state_from_http(long http_status)
{
    switch (http_status) {
    case 418: /* Weibo: too frequent */
    case 429:
    case 414: /* Weibo: IP limit */
        return SOURCE_RATE_LIMITED;
    case 401:
    case 432: /* Weibo 2025 risk control: no or bad cookie */
        return SOURCE_AUTH_REQUIRED;
    case 403:
        return SOURCE_BLOCKED;
    default:
        return SOURCE_HTTP_ERROR;
    }
}
