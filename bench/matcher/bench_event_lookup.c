/*
 * Near-duplicate event lookup (pipeline/event.c, issue #16): the per-item cost of the
 * assignment script with 10^3 .. 10^6 events in the window, the script before issue #16
 * ("old": sorted sets per 16-bit band, trimmed on every call, up to 4 x 256 members read)
 * against the one in event.c ("new": exact band-pair buckets per time slice).
 *
 *   bench_event_lookup PORT [MAX_EVENTS [DUP_PERCENT [PROBES]]]
 *
 * against a private, empty redis-server on 127.0.0.1:PORT (bench/matcher/run_event_lookup.sh
 * starts one; everything in it is flushed). For each N in 10^3, 10^4, ... MAX_EVENTS and each
 * script: FLUSHALL, fill the window with N events, then assign PROBES fresh items one at a
 * time as the matcher does and report per item:
 *   server_us   the script's own time (INFO commandstats usec / calls: no network; wall
 *               time inside Redis, so it includes Redis being preempted on a busy machine)
 *   server_cpu_us  Redis's CPU time (INFO cpu) over the probes / probes: the script plus
 *               reading the request and writing the reply, not inflated by preemption
 *   client_p50/p99_us  round trip seen by the caller
 * and, for the new script, PROBES more fresh items sent as the matcher sends them since
 * issue #16, in pipelined batches of PIPE_BATCH (event_assign_batch()): "new-pipelined"
 * server_cpu_us and client_us per item (the window then holds N + PROBES events).
 * Items: random 64-bit SimHashes (splitmix64, fixed seed); DUP_PERCENT of them (default 50)
 * are near duplicates (0..3 bits flipped) of one of 1,000 stories, the rest unrelated, so
 * popular bands grow as they do with real news. Times are spread over 90% of the 72 h window.
 * The old script's window is filled with the members its script writes (ZADD, pipelined: its
 * script would take minutes at 10^6); the new one's by its own script (EVALSHA, pipelined).
 * Output: one line per (N, script), then "ratio" lines old/new server_us.
 */
#include <hiredis/hiredis.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "event_script.h"
#include "yq_banned.h"

/* The script in pipeline/event.c before issue #16 (commit 6a9ab4f), unchanged: the steps both
 * versions share come from event_script.h. */
static const char old_script[] =
    EVENT_LUA_HEAD
    "local limit = tonumber(ARGV[11])\n"
    EVENT_LUA_ORIGIN
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
    "        " EVENT_LUA_CLOSER("mek")
    "      end\n"
    "    end\n"
    "  end\n"
    EVENT_LUA_NEAREST_END
    EVENT_LUA_COUNT
    "if ARGV[6] == '1' then\n"
    "  local member = ARGV[4] .. ':' .. ARGV[5] .. ':' .. ek\n"
    "  for i = 1, 4 do\n"
    "    local bkey = p .. 'band:' .. i .. ':' .. bands[i]\n"
    "    redis.call('ZADD', bkey, now, member)\n"
    "    redis.call('EXPIRE', bkey, window)\n"
    "  end\n"
    "end\n"
    EVENT_LUA_TAIL;

#define N_STORIES 1000
#define PIPE_BATCH 100 /* the matcher's default batch_size */
#define FILL_CHUNK 1000
#define T_END 1796000000LL

static uint64_t rng_state = 0x2545F4914F6CDD1DULL;

static uint64_t splitmix64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static uint64_t stories[N_STORIES];

/* A SimHash: a near duplicate of a story (0..3 bits flipped) or an unrelated one. */
static uint64_t next_hash(int dup_percent)
{
    uint64_t r = splitmix64();
    if ((int)(r % 100) < dup_percent) {
        uint64_t h = stories[(r >> 8) % N_STORIES];
        int flips = (int)((r >> 20) % 4);
        for (int k = 0; k < flips; k++) {
            h ^= (uint64_t)1 << ((r >> (24 + 6 * k)) % 64);
        }
        return h;
    }
    return splitmix64();
}

static double mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static redisReply *cmd(redisContext *c, const char *fmt, const char *a)
{
    redisReply *r = a ? redisCommand(c, fmt, a) : redisCommand(c, fmt);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "redis: %s\n", r ? r->str : c->errstr);
        exit(1);
    }
    return r;
}

struct args {
    char s[24][32];
    const char *v[24];
    int n;
};

/* The EVALSHA arguments of one item for script `old` or the new one (event.c's layout). */
static void build(struct args *a, int old, const char *sha, const char *id, uint64_t h,
                  int64_t now)
{
    const char *fixed[] = {"EVALSHA", sha, "0", EVENT_KEY_PREFIX, id, ""};
    a->n = 0;
    for (size_t i = 0; i < 6; i++) {
        a->v[a->n++] = fixed[i];
    }
#define ARG(...)                                                                             \
    do {                                                                                     \
        snprintf(a->s[a->n], sizeof(a->s[a->n]), __VA_ARGS__);                              \
        a->v[a->n] = a->s[a->n];                                                             \
        a->n++;                                                                              \
    } while (0)
    ARG("%" PRIu32, (uint32_t)(h >> 32));
    ARG("%" PRIu32, (uint32_t)h);
    ARG("1");
    ARG("%" PRId64, now);
    ARG("%d", EVENT_WINDOW_S);
    ARG("%d", EVENT_TTL_S);
    ARG("%d", EVENT_MAX_DISTANCE);
    if (old) {
        ARG("256");
    } else {
        uint32_t pv[EVENT_N_PAIRS];
        ARG("%d", EVENT_BUCKET_CAP);
        event_pairs(h, pv);
        for (size_t i = 0; i < EVENT_N_PAIRS; i++) {
            ARG("%" PRIu32, pv[i]);
        }
    }
#undef ARG
}

static void drain(redisContext *c, int n)
{
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "fill: %s\n", r ? r->str : c->errstr);
            exit(1);
        }
        freeReplyObject(r);
    }
}

static void fill(redisContext *c, int old, const char *sha, long n, int dup_percent)
{
    const int64_t span = (int64_t)EVENT_WINDOW_S * 9 / 10;
    char id[48], member[96], score[24], key[64];
    int pending = 0;

    for (long k = 0; k < n; k++) {
        uint64_t h = next_hash(dup_percent);
        int64_t now = T_END - span + span * k / n;
        snprintf(id, sizeof(id), "fill:%ld", k);
        if (old) {
            uint32_t hi = (uint32_t)(h >> 32), lo = (uint32_t)h;
            uint32_t bands[4] = {hi >> 16, hi & 0xFFFF, lo >> 16, lo & 0xFFFF};
            snprintf(member, sizeof(member), "%" PRIu32 ":%" PRIu32 ":ev:%s", hi, lo, id);
            snprintf(score, sizeof(score), "%" PRId64, now);
            for (int i = 0; i < 4; i++) {
                const char *v[4] = {"ZADD", key, score, member};
                snprintf(key, sizeof(key), EVENT_KEY_PREFIX "band:%d:%" PRIu32, i + 1,
                         bands[i]);
                redisAppendCommandArgv(c, 4, v, NULL);
                pending++;
            }
        } else {
            struct args a;
            build(&a, 0, sha, id, h, now);
            redisAppendCommandArgv(c, a.n, a.v, NULL);
            pending++;
        }
        if (pending >= FILL_CHUNK) {
            drain(c, pending);
            pending = 0;
        }
    }
    drain(c, pending);
}

/*
 * probes fresh items (ids "pipe:K", hashes as the probes') in pipelined batches of
 * PIPE_BATCH against the new script; *client_us gets the caller's time per item. Returns
 * Redis's CPU microseconds per item.
 */
static double pipelined_probes(redisContext *c, const char *sha, int probes, int dup_percent,
                               double *client_us);

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Redis's own CPU time so far (INFO cpu: used_cpu_user + used_cpu_sys), in microseconds. */
static double server_cpu_us(redisContext *c)
{
    redisReply *r = cmd(c, "INFO cpu", NULL);
    const char *u = strstr(r->str, "used_cpu_user:"), *s = strstr(r->str, "used_cpu_sys:");
    double user = 0, sys = 0;
    if (u) {
        sscanf(u, "used_cpu_user:%lf", &user);
    }
    if (s) {
        sscanf(s, "used_cpu_sys:%lf", &sys);
    }
    freeReplyObject(r);
    return (user + sys) * 1e6;
}

/* Server-side usec per call of EVALSHA from INFO commandstats. */
static double server_us_per_call(redisContext *c, long *calls)
{
    redisReply *r = cmd(c, "INFO commandstats", NULL);
    const char *p = strstr(r->str, "cmdstat_evalsha:calls=");
    double us = -1;
    *calls = 0;
    if (p) {
        long long usec = 0;
        sscanf(p, "cmdstat_evalsha:calls=%ld,usec=%lld", calls, &usec);
        us = *calls ? (double)usec / (double)*calls : -1;
    }
    freeReplyObject(r);
    return us;
}

static double pipelined_probes(redisContext *c, const char *sha, int probes, int dup_percent,
                               double *client_us)
{
    static struct args a[PIPE_BATCH];
    char id[48];
    double cpu0 = server_cpu_us(c), t0 = mono_us();

    for (int k = 0; k < probes; k += PIPE_BATCH) {
        int n = probes - k < PIPE_BATCH ? probes - k : PIPE_BATCH;
        for (int i = 0; i < n; i++) {
            snprintf(id, sizeof(id), "pipe:%d", k + i);
            build(&a[i], 0, sha, id, next_hash(dup_percent), T_END);
            redisAppendCommandArgv(c, a[i].n, a[i].v, NULL);
        }
        drain(c, n);
    }
    *client_us = (mono_us() - t0) / probes;
    return (server_cpu_us(c) - cpu0) / probes;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 0;
    long max_events = argc > 2 ? strtol(argv[2], NULL, 10) : 1000000;
    int dup_percent = argc > 3 ? (int)strtol(argv[3], NULL, 10) : 50;
    int probes = argc > 4 ? (int)strtol(argv[4], NULL, 10) : 2000;
    double result[2][8];
    int n_sizes = 0;
    redisContext *c;

    if (port <= 0 || max_events < 1000 || dup_percent < 0 || dup_percent > 100 || probes < 10) {
        fprintf(stderr, "usage: bench_event_lookup PORT [MAX_EVENTS [DUP_PERCENT [PROBES]]]\n");
        return 2;
    }
    c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        fprintf(stderr, "cannot connect to redis on port %d\n", port);
        return 1;
    }
    for (int s = 0; s < N_STORIES; s++) {
        stories[s] = splitmix64();
    }
    printf("# events=N dup_percent=%d probes=%d window_s=%d\n", dup_percent, probes,
           EVENT_WINDOW_S);
    for (long n = 1000; n <= max_events; n *= 10, n_sizes++) {
        for (int old = 1; old >= 0; old--) {
            const char *src = old ? old_script : event_assign_script();
            double *lat = malloc((size_t)probes * sizeof(*lat)), t0, t1, server, cpu0, cpu;
            char sha[41], id[48];
            long calls;
            redisReply *r;

            freeReplyObject(cmd(c, "FLUSHALL", NULL));
            freeReplyObject(cmd(c, "SCRIPT FLUSH", NULL));
            r = cmd(c, "SCRIPT LOAD %s", src);
            snprintf(sha, sizeof(sha), "%s", r->str);
            freeReplyObject(r);
            rng_state = 0x2545F4914F6CDD1DULL + (uint64_t)n; /* same items for both */
            t0 = mono_us();
            fill(c, old, sha, n, dup_percent);
            t1 = mono_us();
            freeReplyObject(cmd(c, "CONFIG RESETSTAT", NULL));
            cpu0 = server_cpu_us(c);
            for (int k = 0; k < probes; k++) {
                struct args a;
                uint64_t h = next_hash(dup_percent);
                double q0;
                snprintf(id, sizeof(id), "probe:%d", k);
                build(&a, old, sha, id, h, T_END);
                q0 = mono_us();
                r = redisCommandArgv(c, a.n, a.v, NULL);
                lat[k] = mono_us() - q0;
                if (!r || r->type != REDIS_REPLY_STRING) {
                    fprintf(stderr, "probe: %s\n", r && r->str ? r->str : c->errstr);
                    return 1;
                }
                freeReplyObject(r);
            }
            cpu = (server_cpu_us(c) - cpu0) / probes;
            server = server_us_per_call(c, &calls);
            qsort(lat, (size_t)probes, sizeof(*lat), cmp_double);
            r = cmd(c, "INFO memory", NULL);
            const char *mem = strstr(r->str, "used_memory_human:");
            char memv[32] = "?";
            if (mem) {
                sscanf(mem, "used_memory_human:%31s", memv);
            }
            printf("script=%s events=%ld fill_s=%.1f server_us=%.1f server_cpu_us=%.1f "
                   "client_p50_us=%.1f client_p99_us=%.1f redis_memory=%s calls=%ld\n",
                   old ? "old" : "new", n, (t1 - t0) / 1e6, server, cpu, lat[probes / 2],
                   lat[probes * 99 / 100], memv, calls);
            fflush(stdout);
            freeReplyObject(r);
            result[old][n_sizes] = cpu;
            free(lat);
            if (!old) {
                double client, pcpu = pipelined_probes(c, sha, probes, dup_percent, &client);
                printf("script=new-pipelined events=%ld batch=%d server_cpu_us=%.1f "
                       "client_us_per_item=%.1f one_by_one/pipelined server_cpu_us=%.2f\n",
                       n, PIPE_BATCH, pcpu, client, cpu / pcpu);
                fflush(stdout);
            }
        }
    }
    for (int i = 0; i < n_sizes; i++) {
        printf("ratio events=10^%d old/new server_cpu_us=%.1f\n", i + 3,
               result[1][i] / result[0][i]);
    }
    printf("flatness server_cpu_us 10^%d/10^3 new=%.2f old=%.2f\n", n_sizes + 2,
           result[0][n_sizes - 1] / result[0][0], result[1][n_sizes - 1] / result[1][0]);
    freeReplyObject(cmd(c, "FLUSHALL", NULL));
    redisFree(c);
    return 0;
}
