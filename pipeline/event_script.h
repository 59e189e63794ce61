/*
 * The pieces of the event assignment script (event.c) that every version of it shares, as
 * string literals to concatenate, so that bench/matcher/bench_event_lookup.c can rebuild the
 * script before issue #16 around the same redelivery, repost and counting steps. ARGV layout
 * as in event.c. Internal to event.c and the benchmark.
 *
 * EVENT_LUA_HEAD: p, ikey, the redelivery answer, now, window, ttl, maxd (ARGV 1..10).
 * EVENT_LUA_ORIGIN: ek and via from reply_to or this item's own root; hi, lo (ARGV 3..5).
 * EVENT_LUA_CLOSER(key): keep key (a Lua expression) as ek when the candidate's distance d
 * is below best; EVENT_LUA_NEAREST_END: via after the near-duplicate search, closing its
 * "if not ek and ..." block.
 * EVENT_LUA_COUNT: the event key when none was found, its item count n and isnew.
 * EVENT_LUA_TAIL: this item's root, its answer stored and returned.
 */
#ifndef EVENT_SCRIPT_H
#define EVENT_SCRIPT_H

#define EVENT_LUA_HEAD                                                                       \
    "local p = ARGV[1]\n"                                                                    \
    "local ikey = p .. 'item:' .. ARGV[2]\n"                                                 \
    "local prev = redis.call('GET', ikey)\n"                                                 \
    "if prev then return prev end\n"                                                         \
    "local now = tonumber(ARGV[7])\n"                                                        \
    "local window = tonumber(ARGV[8])\n"                                                     \
    "local ttl = tonumber(ARGV[9])\n"                                                        \
    "local maxd = tonumber(ARGV[10])\n"

#define EVENT_LUA_ORIGIN                                                                     \
    "local ek = nil\n"                                                                       \
    "local via = 'new'\n"                                                                    \
    "if ARGV[3] ~= '' then\n"                                                                \
    "  local rkey = p .. 'root:' .. ARGV[3]\n"                                               \
    "  ek = redis.call('GET', rkey)\n"                                                       \
    "  if not ek then\n"                                                                     \
    "    ek = 'ev:' .. ARGV[3]\n"                                                            \
    "    redis.call('SET', rkey, ek, 'EX', ttl)\n"                                           \
    "  end\n"                                                                                \
    "  via = 'repost'\n"                                                                     \
    "end\n"                                                                                  \
    "if not ek then\n"                                                                       \
    "  ek = redis.call('GET', p .. 'root:' .. ARGV[2])\n"                                    \
    "  if ek then via = 'repost' end\n"                                                      \
    "end\n"                                                                                  \
    "local hi = tonumber(ARGV[4])\n"                                                         \
    "local lo = tonumber(ARGV[5])\n"

#define EVENT_LUA_CLOSER(key) "if d < best then best = d; ek = " key " end\n"

#define EVENT_LUA_NEAREST_END                                                                \
    "  if ek then via = 'near_duplicate' end\n"                                              \
    "end\n"

#define EVENT_LUA_COUNT                                                                      \
    "if not ek then ek = 'ev:' .. ARGV[2] end\n"                                             \
    "local ckey = p .. 'count:' .. ek\n"                                                     \
    "local n = redis.call('INCR', ckey)\n"                                                   \
    "redis.call('EXPIRE', ckey, ttl)\n"                                                      \
    "local isnew = 0\n"                                                                      \
    "if n == 1 then isnew = 1 end\n"

#define EVENT_LUA_TAIL                                                                       \
    "redis.call('SET', p .. 'root:' .. ARGV[2], ek, 'NX', 'EX', ttl)\n"                      \
    "local val = isnew .. '|' .. n .. '|' .. via .. '|' .. ek\n"                             \
    "redis.call('SET', ikey, val, 'EX', ttl)\n"                                              \
    "return val\n"

#endif
