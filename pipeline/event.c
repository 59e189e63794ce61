#include "event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

/*
 * ARGV: 1 key prefix, 2 item id, 3 reply_to or "", 4 hi32, 5 lo32, 6 "1" = use SimHash,
 * 7 now (s), 8 window (s), 9 ttl (s), 10 max distance, 11 members read per band.
 * Returns "<new>|<items>|<via>|<event key>".
 */
static const char assign_script[] =
    "local p = ARGV[1]\n"
    "local ikey = p .. 'item:' .. ARGV[2]\n"
    "local prev = redis.call('GET', ikey)\n"
    "if prev then return prev end\n"
    "local now = tonumber(ARGV[7])\n"
    "local window = tonumber(ARGV[8])\n"
    "local ttl = tonumber(ARGV[9])\n"
    "local maxd = tonumber(ARGV[10])\n"
    "local limit = tonumber(ARGV[11])\n"
    "local ek = nil\n"
    "local via = 'new'\n"
    "if ARGV[3] ~= '' then\n"
    "  local rkey = p .. 'root:' .. ARGV[3]\n"
    "  ek = redis.call('GET', rkey)\n"
    "  if not ek then\n"
    "    ek = 'ev:' .. ARGV[3]\n"
    "    redis.call('SET', rkey, ek, 'EX', ttl)\n"
    "  end\n"
    "  via = 'repost'\n"
    "end\n"
    "if not ek then\n"
    "  ek = redis.call('GET', p .. 'root:' .. ARGV[2])\n"
    "  if ek then via = 'repost' end\n"
    "end\n"
    "local hi = tonumber(ARGV[4])\n"
    "local lo = tonumber(ARGV[5])\n"
    "local bands = {math.floor(hi / 65536), hi % 65536, math.floor(lo / 65536), lo % 65536}\n"
    "local function popcount(x)\n"
    "  local c = 0\n"
    "  while x ~= 0 do\n"
    "    c = c + bit.band(x, 1)\n"
    "    x = bit.rshift(x, 1)\n"
    "  end\n"
    "  return c\n"
    "end\n"
    "if not ek and ARGV[6] == '1' then\n"
    "  local best = maxd + 1\n"
    "  for i = 1, 4 do\n"
    "    local bkey = p .. 'band:' .. i .. ':' .. bands[i]\n"
    "    redis.call('ZREMRANGEBYSCORE', bkey, '-inf', '(' .. (now - window))\n"
    "    local ms = redis.call('ZREVRANGEBYSCORE', bkey, '+inf', now - window, 'LIMIT', 0,"
    " limit)\n"
    "    for _, m in ipairs(ms) do\n"
    "      local mh, ml, mek = string.match(m, '^(%d+):(%d+):(.*)$')\n"
    "      if mh then\n"
    "        local d = popcount(bit.bxor(hi, tonumber(mh))) + popcount(bit.bxor(lo,"
    " tonumber(ml)))\n"
    "        if d < best then\n"
    "          best = d\n"
    "          ek = mek\n"
    "        end\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if ek then via = 'near_duplicate' end\n"
    "end\n"
    "if not ek then ek = 'ev:' .. ARGV[2] end\n"
    "local ckey = p .. 'count:' .. ek\n"
    "local n = redis.call('INCR', ckey)\n"
    "redis.call('EXPIRE', ckey, ttl)\n"
    "local isnew = 0\n"
    "if n == 1 then isnew = 1 end\n"
    "if ARGV[6] == '1' then\n"
    "  local member = ARGV[4] .. ':' .. ARGV[5] .. ':' .. ek\n"
    "  for i = 1, 4 do\n"
    "    local bkey = p .. 'band:' .. i .. ':' .. bands[i]\n"
    "    redis.call('ZADD', bkey, now, member)\n"
    "    redis.call('EXPIRE', bkey, window)\n"
    "  end\n"
    "end\n"
    "redis.call('SET', p .. 'root:' .. ARGV[2], ek, 'NX', 'EX', ttl)\n"
    "local val = isnew .. '|' .. n .. '|' .. via .. '|' .. ek\n"
    "redis.call('SET', ikey, val, 'EX', ttl)\n"
    "return val\n";

static const char *via_name(const char *s, size_t len)
{
    static const char *const names[] = {"new", "repost", "near_duplicate"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            return names[i];
        }
    }
    return NULL;
}

/* Parse "<new>|<items>|<via>|<event key>". Returns 0, ERR_PARSE or ERR_NOMEM. */
static int parse_answer(const char *s, size_t len, struct event_assignment *out)
{
    const char *end = s + len, *p1, *p2, *p3;
    char num[24];
    char *e;
    long long items;

    p1 = memchr(s, '|', len);
    p2 = p1 ? memchr(p1 + 1, '|', (size_t)(end - p1 - 1)) : NULL;
    p3 = p2 ? memchr(p2 + 1, '|', (size_t)(end - p2 - 1)) : NULL;
    if (!p3 || p1 - s != 1 || (s[0] != '0' && s[0] != '1') || p3 + 1 >= end ||
        (size_t)(p2 - p1 - 1) >= sizeof(num) || p2 - p1 - 1 == 0) {
        return ERR_PARSE;
    }
    memcpy(num, p1 + 1, (size_t)(p2 - p1 - 1));
    num[p2 - p1 - 1] = '\0';
    items = strtoll(num, &e, 10);
    if (*e || items < 1) {
        return ERR_PARSE;
    }
    out->via = via_name(p2 + 1, (size_t)(p3 - p2 - 1));
    if (!out->via) {
        return ERR_PARSE;
    }
    out->is_new = s[0] == '1';
    out->items = items;
    out->event_key = strndup(p3 + 1, (size_t)(end - p3 - 1));
    return out->event_key ? 0 : ERR_NOMEM;
}

int event_assign(struct yq_redis *r, const struct yq_item *item, uint64_t simhash,
                 size_t n_features, int64_t now, const struct event_opts *opts,
                 struct event_assignment *out)
{
    char hi[16], lo[16], snow[24], win[24], ttl[24], maxd[8], lim[8];
    const char *argv[14];
    redisReply *reply;
    int err;

    memset(out, 0, sizeof(*out));
    if (!item->id || !item->id[0]) {
        return ERR_PARSE;
    }
    snprintf(hi, sizeof(hi), "%" PRIu32, (uint32_t)(simhash >> 32));
    snprintf(lo, sizeof(lo), "%" PRIu32, (uint32_t)simhash);
    snprintf(snow, sizeof(snow), "%" PRId64, now);
    snprintf(win, sizeof(win), "%" PRId64, opts && opts->window_s > 0 ? opts->window_s
                                                                      : (int64_t)EVENT_WINDOW_S);
    snprintf(ttl, sizeof(ttl), "%" PRId64,
             opts && opts->ttl_s > 0 ? opts->ttl_s : (int64_t)EVENT_TTL_S);
    snprintf(maxd, sizeof(maxd), "%d", EVENT_MAX_DISTANCE);
    snprintf(lim, sizeof(lim), "%d", EVENT_BAND_LIMIT);
    argv[0] = "EVAL";
    argv[1] = assign_script;
    argv[2] = "0";
    argv[3] = EVENT_KEY_PREFIX;
    argv[4] = item->id;
    argv[5] = item->reply_to ? item->reply_to : "";
    argv[6] = hi;
    argv[7] = lo;
    argv[8] = n_features >= EVENT_MIN_FEATURES ? "1" : "0";
    argv[9] = snow;
    argv[10] = win;
    argv[11] = ttl;
    argv[12] = maxd;
    argv[13] = lim;
    reply = yq_redis_command_argv(r, 14, argv, NULL);
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
        err = ERR_RETRY;
    } else if (reply->type != REDIS_REPLY_STRING) {
        err = ERR_PARSE;
    } else {
        err = parse_answer(reply->str, reply->len, out);
    }
    if (reply) {
        freeReplyObject(reply);
    }
    return err;
}

void event_assignment_release(struct event_assignment *a)
{
    if (!a) {
        return;
    }
    free(a->event_key);
    memset(a, 0, sizeof(*a));
}
