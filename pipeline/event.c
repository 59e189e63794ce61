#include "event.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event_script.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_banned.h"

/*
 * ARGV: 1 key prefix, 2 item id, 3 reply_to or "", 4 hi32, 5 lo32, 6 "1" = use SimHash,
 * 7 now (s), 8 window (s), 9 ttl (s), 10 max distance, 11 records kept per bucket,
 * 12..21 the ten band-pair values (event_pairs()), 22 "1" = join only (a repost that matched
 * no rule: it joins the event its original (ARGV 3) is known in, or nothing is recorded).
 * Returns "<new>|<items>|<via>|<event key>", or "none" for a join-only item whose original is
 * in no event.
 *
 * Cost per call: at most 20 HGETs of small fields (the ten pairs in this time slice and the
 * one before), 10 HSETs, each answer at most EVENT_BUCKET_CAP records, each bucket decoded
 * once (the current slice's records read for the search are reused for the write): nothing
 * in it grows with the number of events in the window (issue #16: the sorted sets per 16-bit
 * band it replaces were trimmed on every call and read up to 4 x 256 members). A bucket that
 * does not hold well-formed records (written by something else) counts as empty and is
 * rewritten. A batch of items sends its calls in one pipeline (event_assign_batch()).
 */
static const char assign_script[] = EVENT_LUA_HEAD
    "if ARGV[22] == '1' and not redis.call('GET', p .. 'root:' .. ARGV[3]) then\n"
    "  return 'none'\n"
    "end\n"
    "local cap = tonumber(ARGV[11])\n" EVENT_LUA_ORIGIN "local use = ARGV[6] == '1'\n"
    "local slice = math.floor(now / window)\n"
    "local band, rshift, bxor = bit.band, bit.rshift, bit.bxor\n"
    "local function popcount(x)\n"
    "  x = x - band(rshift(x, 1), 0x55555555)\n"
    "  x = band(x, 0x33333333) + band(rshift(x, 2), 0x33333333)\n"
    "  x = band(x + rshift(x, 4), 0x0F0F0F0F)\n"
    "  x = x + rshift(x, 8)\n"
    "  x = x + rshift(x, 16)\n"
    "  return band(x, 0x7F)\n"
    "end\n"
    "local function records(raw)\n"
    "  if not raw then return {} end\n"
    "  local ok, r = pcall(cmsgpack.unpack, raw)\n"
    "  if not ok or type(r) ~= 'table' then return {} end\n"
    "  return r\n"
    "end\n"
    "local function good(r, j)\n"
    "  return type(r[j]) == 'number' and type(r[j + 1]) == 'number' and\n"
    "         type(r[j + 2]) == 'number' and type(r[j + 3]) == 'string'\n"
    "end\n"
    "local keys, fields, cur = {}, {}, {}\n"
    "if use then\n"
    "  for i = 1, 10 do\n"
    "    local v = tonumber(ARGV[11 + i])\n"
    "    keys[i] = p .. 'nd:' .. i .. ':' .. math.floor(v / 1024) .. ':'\n"
    "    fields[i] = tostring(v % 1024)\n"
    "  end\n"
    "end\n"
    "if not ek and use then\n"
    "  local best = maxd + 1\n"
    "  for s = 0, 1 do\n"
    "    for i = 1, 10 do\n"
    "      local r = records(redis.call('HGET', keys[i] .. (slice - s), fields[i]))\n"
    "      if s == 0 then cur[i] = r end\n"
    "      for j = 1, #r - 3, 4 do\n"
    "        if good(r, j) and r[j + 2] >= now - window then\n"
    "          local d = popcount(bxor(hi, r[j])) + popcount(bxor(lo, r[j + 1]))\n"
    "          " EVENT_LUA_CLOSER(
        "r[j + 3]") "        end\n"
                    "      end\n"
                    "    end\n"
                    "  end\n" EVENT_LUA_NEAREST_END EVENT_LUA_COUNT "if use then\n"
                    "  local keep = (slice + 2) * window - now\n"
                    "  for i = 1, 10 do\n"
                    "    local key = keys[i] .. slice\n"
                    "    local r = cur[i]\n"
                    "    if r == nil then r = records(redis.call('HGET', key, fields[i])) end\n"
                    "    local out = {hi, lo, now, ek}\n"
                    "    for j = 1, #r - 3, 4 do\n"
                    "      if #out >= cap * 4 then break end\n"
                    "      if good(r, j) and (r[j] ~= hi or r[j + 1] ~= lo) then\n"
                    "        out[#out + 1] = r[j]\n"
                    "        out[#out + 1] = r[j + 1]\n"
                    "        out[#out + 1] = r[j + 2]\n"
                    "        out[#out + 1] = r[j + 3]\n"
                    "      end\n"
                    "    end\n"
                    "    if redis.call('HSET', key, fields[i], cmsgpack.pack(out)) == 1 then\n"
                    "      redis.call('EXPIRE', key, keep)\n"
                    "    end\n"
                    "  end\n"
                    "end\n" EVENT_LUA_TAIL;

/* SHA-1 of assign_script as the server reported it (SCRIPT LOAD), "" until known. */
static pthread_mutex_t script_lock = PTHREAD_MUTEX_INITIALIZER;
static char script_sha[41];

void event_pairs(uint64_t simhash, uint32_t out[EVENT_N_PAIRS])
{
    uint32_t b[EVENT_N_BANDS];
    size_t k = 0;

    b[0] = (uint32_t)(simhash >> 51) & 0x1FFF;
    b[1] = (uint32_t)(simhash >> 38) & 0x1FFF;
    b[2] = (uint32_t)(simhash >> 25) & 0x1FFF;
    b[3] = (uint32_t)(simhash >> 12) & 0x1FFF;
    b[4] = (uint32_t)simhash & 0xFFF;
    for (size_t i = 0; i < EVENT_N_BANDS; i++) {
        for (size_t j = i + 1; j < EVENT_N_BANDS; j++) {
            out[k++] = b[i] << 13 | b[j];
        }
    }
}

const char *event_assign_script(void)
{
    return assign_script;
}

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

/*
 * Parse "<new>|<items>|<via>|<event key>" or "none" (a join-only item's original is in no
 * event). Returns 0, ERR_NOT_FOUND ("none"), ERR_PARSE or ERR_NOMEM.
 */
static int parse_answer(const char *s, size_t len, struct event_assignment *out)
{
    const char *end = s + len, *p1, *p2, *p3;
    char num[24];
    char *e;
    long long items;

    if (len == 4 && memcmp(s, "none", 4) == 0) {
        return ERR_NOT_FOUND;
    }
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

/* One item's script arguments (event.c's ARGV layout above); argv[0..2] are the command. */
struct script_args {
    char hi[16], lo[16];
    char pairs[EVENT_N_PAIRS][12];
    const char *argv[15 + EVENT_N_PAIRS];
};

#define SCRIPT_ARGC (15 + EVENT_N_PAIRS)

/* The script's SHA-1, learnt once with SCRIPT LOAD; "" while Redis has not told it. */
static void script_sha_get(struct yq_redis *r, char sha[41])
{
    redisReply *reply;

    pthread_mutex_lock(&script_lock);
    memcpy(sha, script_sha, 41);
    pthread_mutex_unlock(&script_lock);
    if (sha[0]) {
        return;
    }
    reply = yq_redis_command(r, "SCRIPT LOAD %s", assign_script);
    if (reply && reply->type == REDIS_REPLY_STRING && reply->len == 40) {
        memcpy(sha, reply->str, 40);
        sha[40] = '\0';
        pthread_mutex_lock(&script_lock);
        memcpy(script_sha, sha, 41);
        pthread_mutex_unlock(&script_lock);
    }
    if (reply) {
        freeReplyObject(reply);
    }
}

static bool is_noscript(const redisReply *reply)
{
    return reply && reply->type == REDIS_REPLY_ERROR && reply->str &&
           strncmp(reply->str, "NOSCRIPT", 8) == 0;
}

/*
 * Send the n commands of a (argv[0..2] set by the caller) in one pipeline; replies[i] gets
 * command i's reply or NULL. With want (may be NULL) only the commands with want[i] are sent
 * and only their slots touched. Returns 0 or ERR_RETRY (Redis unreachable or the connection
 * failed part-way: those slots NULL) or ERR_NOMEM.
 */
static int pipeline_args(struct yq_redis *r, struct script_args *a, size_t n, const bool *want,
                         redisReply **replies)
{
    int *argc = calloc(n ? n : 1, sizeof(*argc)); /* zeroed: gcc -O2 cannot see m <= n */
    const char ***argv = calloc(n ? n : 1, sizeof(*argv));
    redisReply **got = malloc(n * sizeof(*got));
    size_t m = 0;
    int rc = ERR_NOMEM;

    if (argc && argv && got) {
        for (size_t i = 0; i < n; i++) {
            if (!want || want[i]) {
                argc[m] = SCRIPT_ARGC;
                argv[m++] = a[i].argv;
            }
        }
        rc = yq_redis_pipeline(r, m, argc, (const char **const *)argv, got);
        m = 0;
        for (size_t i = 0; i < n; i++) {
            if (!want || want[i]) {
                replies[i] = rc == 0 ? got[m] : NULL;
                m++;
            }
        }
    }
    free(argc);
    free(argv);
    free(got);
    return rc;
}

/*
 * Run the script for the n items of a by its SHA-1, all in one round trip (EVALSHA: the
 * server neither receives nor hashes the 5 kB body again); learn the SHA-1 once with SCRIPT
 * LOAD; the items a server that lost its script cache (restart, SCRIPT FLUSH) answered
 * NOSCRIPT are sent again with EVAL, which runs and caches it again. replies[i]: a new reply
 * or NULL (Redis unreachable). Returns 0 or ERR_NOMEM (every slot NULL).
 */
static int run_script(struct yq_redis *r, struct script_args *a, size_t n, redisReply **replies)
{
    char sha[41];
    bool *again = calloc(n, sizeof(*again));
    size_t n_again = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        replies[i] = NULL;
    }
    if (n == 0 || !again) {
        free(again);
        return n == 0 ? 0 : ERR_NOMEM;
    }
    script_sha_get(r, sha);
    if (sha[0]) {
        for (size_t i = 0; i < n; i++) {
            a[i].argv[0] = "EVALSHA";
            a[i].argv[1] = sha;
            a[i].argv[2] = "0";
        }
        rc = pipeline_args(r, a, n, NULL, replies);
        for (size_t i = 0; rc == 0 && i < n; i++) {
            if (is_noscript(replies[i])) {
                freeReplyObject(replies[i]);
                replies[i] = NULL;
                again[i] = true;
                n_again++;
            }
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            again[i] = true;
        }
        n_again = n;
    }
    if (rc == 0 && n_again > 0) {
        for (size_t i = 0; i < n; i++) {
            a[i].argv[0] = "EVAL";
            a[i].argv[1] = assign_script;
            a[i].argv[2] = "0";
        }
        rc = pipeline_args(r, a, n, again, replies);
    }
    free(again);
    return rc == ERR_NOMEM ? ERR_NOMEM : 0;
}

/*
 * Whether an error reply says Redis cannot serve anyone for now (loading its data set, a
 * script running too long, a replica in failover, memory full): the same call may succeed
 * later. Any other error (a script error such as WRONGTYPE on one item's keys) belongs to
 * the call itself: sending it again gets the same answer.
 */
static bool is_transient_error(const redisReply *reply)
{
    static const char *const prefixes[] = {"LOADING",  "BUSY",        "MASTERDOWN", "READONLY",
                                           "TRYAGAIN", "CLUSTERDOWN", "OOM",        "NOSCRIPT"};

    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (reply->str && strncmp(reply->str, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * One reply of the script for item_id into out: 0, ERR_RETRY (none: Redis unreachable; or a
 * transient error reply), ERR_INVALID (an error reply for this call itself, logged with the
 * item id and Redis's text), ERR_NOT_FOUND (a join-only item's original is in no event) or
 * ERR_PARSE.
 */
static int take_reply(const redisReply *reply, const char *item_id, struct event_assignment *out)
{
    if (!reply) {
        return ERR_RETRY;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        if (is_transient_error(reply)) {
            return ERR_RETRY;
        }
        LOG_WARN("event assignment refused by redis item_id=%s err=%.200s", item_id,
                 reply->str ? reply->str : "");
        return ERR_INVALID;
    }
    if (reply->type != REDIS_REPLY_STRING) {
        return ERR_PARSE;
    }
    return parse_answer(reply->str, reply->len, out);
}

int event_assign_batch(struct yq_redis *r, const struct event_request *reqs, size_t n,
                       int64_t now, const struct event_opts *opts, struct event_assignment *out,
                       int *rcs)
{
    char snow[24], win[24], ttl[24], maxd[8], cap[8];
    struct script_args *a = NULL;
    redisReply **replies = NULL;
    size_t *slot = NULL; /* a's index of request i, or n when it is not sent */
    size_t m = 0;
    int err = 0;

    for (size_t i = 0; i < n; i++) {
        memset(&out[i], 0, sizeof(out[i]));
        rcs[i] = ERR_PARSE; /* no id: nothing to ask Redis */
    }
    if (n == 0) {
        return 0;
    }
    a = calloc(n, sizeof(*a));
    replies = calloc(n, sizeof(*replies));
    slot = calloc(n, sizeof(*slot));
    if (!a || !replies || !slot) {
        err = ERR_NOMEM;
        goto done;
    }
    snprintf(snow, sizeof(snow), "%" PRId64, now);
    snprintf(win, sizeof(win), "%" PRId64, opts && opts->window_s > 0 ? opts->window_s
                                                                      : (int64_t)EVENT_WINDOW_S);
    snprintf(ttl, sizeof(ttl), "%" PRId64,
             opts && opts->ttl_s > 0 ? opts->ttl_s : (int64_t)EVENT_TTL_S);
    snprintf(maxd, sizeof(maxd), "%d", EVENT_MAX_DISTANCE);
    snprintf(cap, sizeof(cap), "%d", EVENT_BUCKET_CAP);
    for (size_t i = 0; i < n; i++) {
        const struct yq_item *item = reqs[i].item;
        struct script_args *s = &a[m];
        uint32_t pv[EVENT_N_PAIRS];

        slot[i] = n;
        if (!item->id || !item->id[0]) {
            continue;
        }
        snprintf(s->hi, sizeof(s->hi), "%" PRIu32, (uint32_t)(reqs[i].simhash >> 32));
        snprintf(s->lo, sizeof(s->lo), "%" PRIu32, (uint32_t)reqs[i].simhash);
        event_pairs(reqs[i].simhash, pv);
        s->argv[3] = EVENT_KEY_PREFIX;
        s->argv[4] = item->id;
        s->argv[5] = item->reply_to ? item->reply_to : "";
        s->argv[6] = s->hi;
        s->argv[7] = s->lo;
        s->argv[8] = reqs[i].n_features >= EVENT_MIN_FEATURES ? "1" : "0";
        s->argv[9] = snow;
        s->argv[10] = win;
        s->argv[11] = ttl;
        s->argv[12] = maxd;
        s->argv[13] = cap;
        for (size_t k = 0; k < EVENT_N_PAIRS; k++) {
            snprintf(s->pairs[k], sizeof(s->pairs[k]), "%" PRIu32, pv[k]);
            s->argv[14 + k] = s->pairs[k];
        }
        s->argv[14 + EVENT_N_PAIRS] = reqs[i].join_only && item->reply_to ? "1" : "0";
        slot[i] = m++;
    }
    err = run_script(r, a, m, replies);
    if (err) {
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (slot[i] < n) {
            rcs[i] = take_reply(replies[slot[i]], reqs[i].item->id, &out[i]);
        }
    }
done:
    for (size_t i = 0; err && i < n; i++) {
        rcs[i] = err;
    }
    for (size_t i = 0; replies && i < m; i++) {
        if (replies[i]) {
            freeReplyObject(replies[i]);
        }
    }
    free(replies);
    free(slot);
    free(a);
    return err;
}

int event_assign(struct yq_redis *r, const struct yq_item *item, uint64_t simhash,
                 size_t n_features, int64_t now, const struct event_opts *opts,
                 struct event_assignment *out)
{
    struct event_request req = {.item = item, .simhash = simhash, .n_features = n_features};
    int rc = 0;
    int err = event_assign_batch(r, &req, 1, now, opts, out, &rc);

    return err ? err : rc;
}

void event_assignment_release(struct event_assignment *a)
{
    if (!a) {
        return;
    }
    free(a->event_key);
    memset(a, 0, sizeof(*a));
}
