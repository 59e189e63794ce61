/*
 * The event stream (GET /api/events): server-sent events that tell open pages that tickets
 * changed, so the queue and a ticket page refresh without polling. Each stream holds one
 * connection thread; the caps below keep tabs left open from taking every connection.
 */
#include "web_events.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "web_guard.h"
#include "web_internal.h"
#include "web_reply.h"
#include "yq_err.h"
#include "yq_hot.h"
#include "yq_json.h"
#include "yq_labels.h"
#include "yq_log.h"
#include "yq_db.h"
#include "yq_time.h"
#include "yq_banned.h"

/*
 * Open event streams, so that tabs left open cannot take every connection of the server
 * (each stream holds one thread and one of http.connection_limit connections).
 */
#define SSE_USERS_MAX 256
static pthread_mutex_t sse_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t sse_total;
static struct {
    const struct web *w;
    int64_t user_id;
    int64_t n;
} sse_users[SSE_USERS_MAX];

/*
 * Count one more stream of user_id; false (nothing counted) when a limit is reached.
 * privileged: a duty officer or admin, who may also take the sse_reserved_streams places.
 */
static bool sse_admit(const struct web *w, int64_t user_id, bool privileged, bool *per_user_limit)
{
    int64_t cap = privileged ? w->cfg.sse_max_streams
                             : w->cfg.sse_max_streams - w->cfg.sse_reserved_streams;
    int free_slot = -1, slot = -1;
    bool ok = false;

    pthread_mutex_lock(&sse_lock);
    for (int i = 0; i < SSE_USERS_MAX; i++) {
        if (sse_users[i].n > 0 && sse_users[i].w == w && sse_users[i].user_id == user_id) {
            slot = i;
        } else if (sse_users[i].n == 0 && free_slot < 0) {
            free_slot = i;
        }
    }
    *per_user_limit = slot >= 0 && sse_users[slot].n >= w->cfg.sse_max_streams_per_user;
    if (!*per_user_limit && sse_total < cap && (slot >= 0 || free_slot >= 0)) {
        if (slot < 0) {
            slot = free_slot;
            sse_users[slot].w = w;
            sse_users[slot].user_id = user_id;
        }
        sse_users[slot].n++;
        sse_total++;
        ok = true;
    }
    pthread_mutex_unlock(&sse_lock);
    return ok;
}

static void sse_release(const struct web *w, int64_t user_id)
{
    pthread_mutex_lock(&sse_lock);
    for (int i = 0; i < SSE_USERS_MAX; i++) {
        if (sse_users[i].n > 0 && sse_users[i].w == w && sse_users[i].user_id == user_id) {
            sse_users[i].n--;
            sse_total--;
            break;
        }
    }
    pthread_mutex_unlock(&sse_lock);
}

/*
 * Live updates from other notifiers (issue #16): the notifier's change feed (LISTEN
 * yuqing_changes on a PostgreSQL store, notifier/change_feed.h) calls web_events_changed(),
 * which wakes every stream of the process at once; while the feed is live
 * (web_events_feed_live()) a stream reads the change marker only when woken, or every
 * SSE_FED_POLL_MS in case a notification was lost, instead of every sse_poll_ms.
 */
#define SSE_FED_POLL_MS 5000
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cond = PTHREAD_COND_INITIALIZER;
static uint64_t wake_gen;
static atomic_bool feed_live;

void web_events_changed(void)
{
    pthread_mutex_lock(&wake_lock);
    wake_gen++;
    pthread_cond_broadcast(&wake_cond);
    pthread_mutex_unlock(&wake_lock);
}

void web_events_feed_live(bool live)
{
    atomic_store(&feed_live, live);
    web_events_changed(); /* going down: poll from now on; going up: look once */
}

/* Wait up to ms for web_events_changed() after generation *seen; true when woken (*seen moves). */
static bool wait_for_change(uint64_t *seen, int64_t ms)
{
    struct timespec until;
    bool woken;

    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += (time_t)(ms / 1000);
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&wake_lock);
    while (wake_gen == *seen) {
        if (pthread_cond_timedwait(&wake_cond, &wake_lock, &until) != 0) {
            break; /* timed out (or an error: treated as a timeout, the loop polls) */
        }
    }
    woken = wake_gen != *seen;
    *seen = wake_gen;
    pthread_mutex_unlock(&wake_lock);
    return woken;
}

static uint64_t wake_generation(void)
{
    uint64_t g;
    pthread_mutex_lock(&wake_lock);
    g = wake_gen;
    pthread_mutex_unlock(&wake_lock);
    return g;
}

struct sse_state {
    struct web *w;
    int64_t user_id; /* counted in sse_users until sse_free() */
    int fd;          /* the connection's socket, to notice a closed peer; -1 unknown */
    char token[WEB_TOKEN_LEN + 8]; /* session cookie or API token, re-checked on change */
    bool via_token;
    int64_t marker;
    int64_t started_ms;
    int64_t last_write_ms;
    int64_t last_check_ms; /* the last read of the change marker */
    uint64_t seen_gen;     /* the wake-up generation last seen (wait_for_change()) */
    bool woken;            /* a wake-up came since the last read of the marker */
    bool hello_sent;
    char intake[WEB_INTAKE_JSON_MAX]; /* the last "intake" event's data; "" = none sent yet */
};

/*
 * The current change marker: the ops' own, else max(id) of ticket_log plus max(id) of
 * event_log (both append-only: the sum moves when a ticket or an event changes, issue #13).
 */
static int change_marker(struct web *w, int64_t *out)
{
    struct yq_stmt *st = NULL;
    int rc, err = 0;

    if (w->ops && w->ops->change_marker) {
        return w->ops->change_marker(w->ops_ctx, out);
    }
    *out = 0;
    web_auth_lock(w->auth);
    rc = yq_stmt_prepare(web_auth_db(w->auth), "SELECT (SELECT coalesce(max(id), 0) FROM ticket_log) + "
                            "(SELECT coalesce(max(id), 0) FROM event_log)", &st);
    if (rc == YQ_DB_OK) {
        rc = yq_stmt_step(st);
        if (rc == YQ_DB_ROW) {
            *out = yq_stmt_column_int64(st, 0);
        }
    }
    if (rc != YQ_DB_ROW) {
        err = rc == YQ_DB_DONE ? ERR_IO : yq_db_err(rc); /* an aggregate has one row */
    }
    yq_stmt_finalize(st);
    web_auth_unlock(w->auth);
    return err;
}

static bool sse_still_authed(struct sse_state *s)
{
    struct web_principal p;
    int64_t now = yq_time_now();
    int err = s->via_token ? web_token_lookup(s->w->auth, s->token, now, &p)
                           : web_session_lookup(s->w->auth, s->token, now, &p);
    return err != ERR_NOT_FOUND; /* a store hiccup does not end the stream */
}

static ssize_t sse_write(char *buf, size_t max, const char *text)
{
    size_t n = strlen(text);
    if (n > max) {
        n = max; /* block_size is far above any event we write */
    }
    memcpy(buf, text, n);
    return (ssize_t)n;
}

json_t *web_intake_json(struct web *w)
{
    struct web_intake_dep deps[WEB_INTAKE_DEPS_MAX];
    size_t n = w->ops && w->ops->intake ? w->ops->intake(w->ops_ctx, deps, WEB_INTAKE_DEPS_MAX) : 0;
    json_t *down = json_array();
    bool ok = true;

    for (size_t i = 0; down && i < n; i++) {
        char code[64], at[32];
        json_t *d;

        if (deps[i].dep.state == YQ_DEP_UP) {
            continue;
        }
        ok = false;
        snprintf(code, sizeof(code), "%s_%s", deps[i].dep.name,
                 yq_dep_state_name(deps[i].dep.state));
        d = json_pack("{s:s, s:s, s:s, s:s, s:o}", "dependency", deps[i].dep.name, "state",
                      yq_dep_state_name(deps[i].dep.state), "code", code, "label",
                      yq_label(YQ_LABEL_INTAKE_FAULT, code), "since",
                      deps[i].since_ms > 0
                          ? json_string(yq_time_format_utc(deps[i].since_ms / 1000, at, sizeof(at)))
                          : json_null());
        if (!d || json_array_append_new(down, d) != 0) {
            json_decref(down);
            down = NULL;
        }
    }
    if (!down) {
        return NULL;
    }
    return json_pack("{s:b, s:o}", "ok", ok, "down", down);
}

/*
 * The "intake" event when the intake's state differs from the one s sent last (always once,
 * right after hello), into buf (max bytes); 0 when there is nothing to send.
 */
static ssize_t sse_intake(struct sse_state *s, char *buf, size_t max)
{
    json_t *o = web_intake_json(s->w);
    char *text = o ? yq_json_dumps(o, JSON_COMPACT) : NULL;
    char line[WEB_INTAKE_JSON_MAX + 32];
    ssize_t n = 0;

    json_decref(o);
    if (text && strlen(text) < sizeof(s->intake) && strcmp(text, s->intake) != 0) {
        snprintf(s->intake, sizeof(s->intake), "%s", text);
        snprintf(line, sizeof(line), "event: intake\ndata: %s\n\n", text);
        n = sse_write(buf, max, line);
    }
    free(text);
    return n;
}

/*
 * Whether the client closed its end (a closed tab): a stream otherwise notices only at its
 * next write, up to 15 s later, and would keep its connection and its place meanwhile.
 */
static bool sse_peer_gone(int fd)
{
    char c;
    ssize_t n;
    if (fd < 0) {
        return false;
    }
    n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct sse_state *s = cls;
    char line[128];
    int64_t marker;

    (void)pos;
    if (!s->hello_sent) {
        s->hello_sent = true;
        s->last_write_ms = yq_time_mono_ms();
        snprintf(line, sizeof(line), "retry: 1000\nevent: hello\ndata: {\"marker\":%lld}\n\n",
                 (long long)s->marker);
        return sse_write(buf, max, line);
    }
    for (;;) {
        int64_t now_ms = yq_time_mono_ms();
        bool look;

        if (atomic_load(&s->w->stopping) ||
            now_ms - s->started_ms >= s->w->cfg.sse_max_stream_ms) {
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        if (sse_peer_gone(s->fd)) {
            /*
             * closed tab: free its place now. A closed stream is the normal end of a live
             * update, not an error: END_WITH_ERROR made libmicrohttpd log "Closing connection
             * (application error generating response)" as a WARN for every closed tab
             * (issue #11); ending the stream is quiet and frees the place as well.
             */
            LOG_DEBUG("event stream closed by the client user_id=%lld", (long long)s->user_id);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        /* the intake banner: the notifier's flags, read at every poll (atomic reads) */
        ssize_t intake = sse_intake(s, buf, max);
        if (intake > 0) {
            if (!sse_still_authed(s)) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            s->last_write_ms = now_ms;
            return intake;
        }
        /* fed: read the marker when woken (or now and then); else at every poll */
        look = !atomic_load(&feed_live) || s->woken ||
               now_ms - s->last_check_ms >= SSE_FED_POLL_MS;
        if (look) {
            s->woken = false;
            s->last_check_ms = now_ms;
        }
        if (look && change_marker(s->w, &marker) == 0 && marker != s->marker) {
            if (!sse_still_authed(s)) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            s->marker = marker;
            s->last_write_ms = now_ms;
            snprintf(line, sizeof(line), "event: tickets\ndata: {\"marker\":%lld}\n\n",
                     (long long)marker);
            return sse_write(buf, max, line);
        }
        if (now_ms - s->last_write_ms >= 15000) {
            s->last_write_ms = now_ms;
            if (!sse_still_authed(s)) {
                return MHD_CONTENT_READER_END_OF_STREAM;
            }
            return sse_write(buf, max, ": keep-alive\n\n");
        }
        /* one thread per connection: blocking here is expected */
        if (wait_for_change(&s->seen_gen, s->w->cfg.sse_poll_ms)) {
            s->woken = true;
        }
    }
}

static void sse_free(void *cls)
{
    struct sse_state *s = cls;
    if (s) {
        sse_release(s->w, s->user_id);
        sodium_memzero(s->token, sizeof(s->token));
        free(s);
    }
}

enum MHD_Result web_route_events(struct web_call *call)
{
    const char *authz = MHD_lookup_connection_value(call->c, MHD_HEADER_KIND, "Authorization");
    const char *cookie = MHD_lookup_connection_value(call->c, MHD_COOKIE_KIND, WEB_COOKIE_NAME);
    struct MHD_Response *r;
    struct sse_state *s;

    if (!call->authed) {
        return web_reply_unauthorized(call);
    }
    if (!web_auth_allows(&call->p, WEB_PERM_VIEW_QUEUE)) {
        return web_reply_error(call, MHD_HTTP_FORBIDDEN, "forbidden", "无权访问");
    }
    bool per_user;
    if (!sse_admit(call->w, call->p.user.id,
                   call->p.user.role == WEB_ROLE_ADMIN || call->p.user.role == WEB_ROLE_DUTY,
                   &per_user)) {
        LOG_WARN("event stream refused user=%s reason=%s", YQ_Q(call->p.user.username),
                 per_user ? "per-user limit" : "server limit");
        snprintf(call->retry_after, sizeof(call->retry_after), "30");
        return per_user ? web_reply_error(call, MHD_HTTP_TOO_MANY_REQUESTS, "too_many_streams",
                                          "打开的实时页面过多，请关闭部分标签页")
                        : web_reply_error(call, MHD_HTTP_SERVICE_UNAVAILABLE, "busy",
                                          "实时更新连接已满，请稍后重试");
    }
    s = calloc(1, sizeof(*s));
    if (!s) {
        sse_release(call->w, call->p.user.id);
        return MHD_NO;
    }
    web_conn_exempt(call->w, call->c); /* a stream has its own end (sse_max_stream_ms) */
    s->w = call->w;
    s->user_id = call->p.user.id;
    {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(call->c, MHD_CONNECTION_INFO_CONNECTION_FD);
        s->fd = ci ? (int)ci->connect_fd : -1;
    }
    s->via_token = call->p.via_token;
    snprintf(s->token, sizeof(s->token), "%s", s->via_token ? authz + 7 : cookie);
    s->started_ms = yq_time_mono_ms();
    s->last_check_ms = s->started_ms;
    s->seen_gen = wake_generation();
    if (change_marker(call->w, &s->marker) != 0) {
        s->marker = -1; /* unknown: the first successful read sends an event */
    }
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, &sse_read, s, &sse_free);
    if (!r) {
        sse_free(s);
        return MHD_NO;
    }
    if (MHD_add_response_header(r, "X-Accel-Buffering", "no") != MHD_YES) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    return web_reply_response(call->c, MHD_HTTP_OK, r, "text/event-stream", "no-store", NULL, NULL,
                              NULL);
}

/* ---- the hot-search ranks of an event's weibo_hot items (issue #15) ---- */

/* One term of the event: its source, key and earliest stay among the event's items. */
struct hot_term {
    const char *source_id; /* borrowed from the event JSON */
    const char *term;      /* the item's title (the term as shown), borrowed */
    char sha1[YQ_HOT_SHA1_HEX + 1];
    int64_t entered_at;
};

/* "wbhot:<sha1>:<entered_at>:<trigger>" into t; false when id is not of that form. */
static bool hot_id_parse(const char *id, struct hot_term *t)
{
    char sha1[YQ_HOT_SHA1_HEX + 1];
    long long at = 0;
    int used = 0;

    if (!id || strncmp(id, "wbhot:", 6) != 0 || strlen(id) < 6 + YQ_HOT_SHA1_HEX + 2) {
        return false;
    }
    memcpy(sha1, id + 6, YQ_HOT_SHA1_HEX);
    sha1[YQ_HOT_SHA1_HEX] = '\0';
    if (!yq_hot_sha1_valid(sha1) || id[6 + YQ_HOT_SHA1_HEX] != ':' ||
        sscanf(id + 7 + YQ_HOT_SHA1_HEX, "%lld:%n", &at, &used) != 1 || used == 0 || at <= 0) {
        return false;
    }
    memcpy(t->sha1, sha1, sizeof(sha1));
    t->entered_at = at;
    return true;
}

/* The hot object of one term: {"term","source_id","entered_at","best_rank","points"}. */
static json_t *hot_term_json(struct web *w, const struct hot_term *t, bool *redis_failed)
{
    struct yq_hot_point *pts = NULL;
    size_t n = 0;
    int64_t best = 0;
    char ts[32];
    json_t *o, *arr = json_array();
    int err = ERR_RETRY;

    if (!arr) {
        return NULL;
    }
    if (w->redis && !*redis_failed) {
        pthread_mutex_lock(&w->redis_lock);
        err = yq_hot_points(w->redis, t->source_id, t->sha1, t->entered_at, WEB_HOT_POINTS_MAX,
                            &pts, &n);
        pthread_mutex_unlock(&w->redis_lock);
        if (err == ERR_NOMEM) {
            json_decref(arr);
            return NULL;
        }
        *redis_failed = err == ERR_RETRY;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object();
        if (!p || json_array_append_new(arr, p) != 0 ||
            json_object_set_new(p, "at", json_string(yq_time_format_utc(pts[i].at, ts,
                                                                        sizeof(ts)))) != 0 ||
            json_object_set_new(p, "rank", json_integer(pts[i].rank)) != 0 ||
            json_object_set_new(p, "heat", pts[i].heat >= 0 ? json_integer(pts[i].heat)
                                                            : json_null()) != 0) {
            free(pts);
            json_decref(arr);
            return NULL;
        }
        if (pts[i].rank > 0 && (best == 0 || pts[i].rank < best)) {
            best = pts[i].rank;
        }
    }
    free(pts);
    o = json_pack("{s:s, s:s, s:s, s:o, s:o}", "term", t->term, "source_id", t->source_id,
                  "entered_at", yq_time_format_utc(t->entered_at, ts, sizeof(ts)), "best_rank",
                  best > 0 ? json_integer(best) : json_null(), "points", arr);
    return o;
}

int web_events_add_hot(struct web *w, json_t *ev)
{
    struct hot_term terms[WEB_HOT_TERMS_MAX];
    const json_t *items = json_object_get(ev, "items"), *it;
    size_t n = 0, i;
    bool redis_failed = false;
    json_t *arr;

    json_array_foreach(items, i, it) {
        struct hot_term t;
        const char *source = json_string_value(json_object_get(it, "source"));
        size_t j;

        memset(&t, 0, sizeof(t));
        t.source_id = json_string_value(json_object_get(it, "source_id"));
        t.term = json_string_value(json_object_get(it, "title"));
        if (!source || strcmp(source, "weibo_hot") != 0 || !t.source_id || !t.term ||
            !hot_id_parse(json_string_value(json_object_get(it, "item_id")), &t)) {
            continue;
        }
        for (j = 0; j < n; j++) {
            if (strcmp(terms[j].sha1, t.sha1) == 0 && strcmp(terms[j].source_id, t.source_id) == 0) {
                if (t.entered_at < terms[j].entered_at) {
                    terms[j].entered_at = t.entered_at; /* the earliest stay in the event */
                }
                break;
            }
        }
        if (j == n && n < WEB_HOT_TERMS_MAX) {
            terms[n++] = t;
        }
    }
    if (n == 0) {
        return 0;
    }
    arr = json_array();
    if (!arr || json_object_set_new(ev, "hot", arr) != 0) {
        return ERR_NOMEM;
    }
    for (i = 0; i < n; i++) {
        json_t *o = hot_term_json(w, &terms[i], &redis_failed);
        if (!o || json_array_append_new(arr, o) != 0) {
            return ERR_NOMEM;
        }
    }
    if (redis_failed || !w->redis) {
        /* the ranks could not be read: the page says so instead of drawing an empty chart */
        if (json_object_set_new(ev, "hot_ranks_unavailable", json_true()) != 0) {
            return ERR_NOMEM;
        }
    }
    return 0;
}
