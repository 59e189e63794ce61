#include "notifier.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "change_feed.h"
#include "source_blind.h"
#include "ticket_intake.h"
#include "web.h"
#include "yq_sentiment.h"
#include "yq_alert.h"
#include "yq_db.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_store_location.h"
#include "yq_time.h"
#include "yq_banned.h"

#define CFG_KEYS_OF notifier_consumer_cfg
static const struct cfg_key consumer_cfg_keys[] = {
    CFG_MS_KEY(poll_timeout_ms, "500", 10, 10000,
               "longest wait for a message (bounds shutdown latency)"),
    CFG_MS_KEY(retry_initial_ms, "250", 10, 60000, "first backoff after a ticket store failure"),
    CFG_MS_KEY(retry_max_ms, "30000", 100, 600000, "backoff ceiling for ticket store failures"),
    CFG_INT_KEY(batch_max, "500", 1, 10000,
                "most alerts stored in one transaction (issue #16: one commit per batch)"),
    /*
     * issue #16: 0, a batch is what is already queued when its first alert arrives (a lone
     * alert is stored at once; 5 ms before added that to every quiet alert); under load the
     * consumer's local queue holds many and batches still fill up to batch_max.
     */
    CFG_MS_KEY(
        batch_wait_ms, "0", 0, 1000,
        "how long a batch waits for its next alert once it has one (0: takes what is queued, so "
        "a lone alert is stored at once and batches form under load)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

#define CFG_KEYS_OF notifier_cfg
const struct cfg_key notifier_cfg_keys[] = {
    CFG_SECTION_KEY(kafka, "Kafka connection and topics", yq_kafka_cfg_keys),
    CFG_SECTION_KEY(store, "SQLite ticket store", ticket_store_cfg_keys),
    CFG_SECTION_KEY(http, "web UI, JSON API and /metrics", http_api_cfg_keys),
    CFG_SECTION_KEY(consumer, "alert consumer loop", consumer_cfg_keys),
    CFG_SECTION_KEY(clocks, "statutory deadlines and escalation", ticket_clock_cfg_keys),
    CFG_SECTION_KEY(notify, "notification delivery", notify_cfg_keys),
    CFG_SECTION_KEY(web, "web UI: users, sessions, Redis for sources/rules", web_cfg_keys),
    CFG_SECTION_KEY(spike, "spike (突增) alerts per rule group and open event (docs/desk.md)",
                    spike_cfg_keys),
    CFG_SECTION_KEY(
        briefing,
        "the daily briefing (舆情日报) and its summary to robot channels (docs/archive.md)",
        briefing_cfg_keys),
    CFG_SECTION_KEY(
        desk,
        "the duty officer's desk: what is handed over at once, the 研判 deadline (docs/desk.md)",
        desk_policy_cfg_keys),
    CFG_SECTION_KEY(responses,
                    "回应 found on official channels: scoring weights, thresholds, lookback "
                    "(docs/responses.md)",
                    response_cfg_keys),
    CFG_EXTERNAL_KEY("channels", NULL, "robots, mailboxes and webhooks"),
    CFG_EXTERNAL_KEY("duty_officer", NULL, "the duty officer's channels"),
    CFG_EXTERNAL_KEY(
        "administrator", NULL,
        "channels told once when another channel's key, secret or signature is refused"),
    CFG_EXTERNAL_KEY("departments", NULL, "each department's liaison and head channels"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

/*
 * The consumer loop asks a broker for metadata this often (issue #10: the consumer's own
 * "all brokers down" event only reaches the log, and an idle consumer gets no message that
 * would tell it Kafka is back): more often while Kafka is down, to see it return.
 */
#define KAFKA_PROBE_UP_MS 5000
#define KAFKA_PROBE_DOWN_MS 2000
/*
 * How often the loop probes the store (store_probe()) while no batch comes: a batch's commit
 * tells whether the store takes writes; an idle notifier learns it from the probe's own write
 * (a store it could not write coming back, a disk filling up while no alert comes).
 */
#define STORE_PROBE_IDLE_MS 5000
#define KAFKA_PROBE_TIMEOUT_MS 1000

struct notifier {
    const struct notifier_cfg *cfg;
    struct ticket_policy policy;
    struct ticket_store_lock *lock; /* the exclusive hold on a SQLite store */
    struct ticket_store *store;
    struct yq_sentiment *sentiment; /* item sentiment at intake (issue #13) */
    struct http_api *http;
    struct delivery *delivery;
    struct change_feed *feed; /* LISTEN yuqing_changes for the web UI (PostgreSQL, issue #16) */
    struct briefing_env briefing; /* the policy's: config, source health, archive (issue #14) */
    rd_kafka_t *consumer;
    struct notifier_metrics metrics;
};

/* The directory part of path ("." when none); new string or NULL. */
static char *dir_of(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash) {
        return strdup(".");
    }
    if (slash == path) {
        return strdup("/");
    }
    return strndup(path, (size_t)(slash - path));
}

int notifier_cfg_load(struct notifier_cfg *cfg, const char *path, const char *const *sets,
                      int n_sets, char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    char *dir = NULL;
    int err;

    memset(cfg, 0, sizeof(*cfg));
    dir = dir_of(path);
    if (!dir) {
        snprintf(errbuf, errlen, "out of memory");
        return ERR_NOMEM;
    }
    err = cfg_load(notifier_cfg_keys, cfg, path, NULL, 0, &doc, errbuf, errlen);
    if (!err && path) {
        err = notify_routes_parse(&cfg->routes, &doc, dir, errbuf, errlen);
    }
    if (!err) {
        err = spike_cfg_check(&cfg->spike, errbuf, errlen);
    }
    if (!err) {
        err = briefing_cfg_parse_channels(
            &cfg->briefing, path ? &doc : NULL,
            path ? cfg_map_get(&doc, cfg_doc_root(&doc), "briefing") : NULL, &cfg->routes, errbuf,
            errlen);
    }
    if (!err) {
        err = desk_policy_parse_lists(&cfg->desk, path ? &doc : NULL,
                                      path ? cfg_map_get(&doc, cfg_doc_root(&doc), "desk") : NULL,
                                      errbuf, errlen);
    }
    if (!err) {
        err = response_cfg_parse_lists(
            &cfg->responses, path ? &doc : NULL,
            path ? cfg_map_get(&doc, cfg_doc_root(&doc), "responses") : NULL, errbuf, errlen);
    }
    cfg_doc_release(&doc);
    if (!err) {
        err = cfg_set_all(notifier_cfg_keys, cfg, sets, n_sets, errbuf, errlen);
    }
    if (!err) {
        err = response_cfg_check(&cfg->responses, errbuf, errlen); /* as --set left it */
    }
    if (!err && !cfg->kafka.group_id) {
        cfg->kafka.group_id = strdup(NOTIFIER_DEFAULT_GROUP);
        if (!cfg->kafka.group_id) {
            snprintf(errbuf, errlen, "out of memory");
            err = ERR_NOMEM;
        }
    }
    if (!err) {
        int qs, qe;
        if (notify_quiet_parse(cfg->notify.quiet_hours, &qs, &qe)) {
            snprintf(errbuf, errlen, "notify.quiet_hours '%s' is not HH:MM-HH:MM",
                     cfg->notify.quiet_hours);
            err = ERR_INVALID;
        }
    }
    if (!err) {
        cfg->cal = workcal_new();
        if (!cfg->cal) {
            snprintf(errbuf, errlen, "out of memory");
            err = ERR_NOMEM;
        }
    }
    if (!err && path && cfg->clocks.calendar_dir && cfg->clocks.calendar_dir[0]) {
        char cal_dir[4096];
        if (cfg->clocks.calendar_dir[0] == '/') {
            snprintf(cal_dir, sizeof(cal_dir), "%s", cfg->clocks.calendar_dir);
        } else {
            snprintf(cal_dir, sizeof(cal_dir), "%s/%s", dir, cfg->clocks.calendar_dir);
        }
        err = workcal_load_dir(cfg->cal, cal_dir, errbuf, errlen);
    }
    free(dir);
    return err;
}

void notifier_cfg_release(struct notifier_cfg *cfg)
{
    if (cfg) {
        cfg_release(notifier_cfg_keys, cfg);
        notify_routes_release(&cfg->routes);
        desk_policy_release(&cfg->desk);
        response_cfg_release(&cfg->responses);
        briefing_cfg_release(&cfg->briefing);
        workcal_free(cfg->cal);
        cfg->cal = NULL;
    }
}

void notifier_cfg_print(FILE *out, const struct notifier_cfg *cfg)
{
    /* section by section, so that the lists each module keeps outside its table
     * (CFG_EXTERNAL) are printed inside their own section and the output reads back */
    for (const struct cfg_key *k = notifier_cfg_keys; k->name; k++) {
        if (k->type != CFG_SECTION) {
            continue; /* the routes' keys: notify_routes_print() below */
        }
        fprintf(out, "%s:\n", k->name);
        cfg_print(out, k->sub, (const char *)cfg + k->offset, 2);
        if (k->sub == desk_policy_cfg_keys) {
            desk_policy_print_lists(out, &cfg->desk, 2);
        } else if (k->sub == response_cfg_keys) {
            response_cfg_print_lists(out, &cfg->responses, 2);
        } else if (k->sub == briefing_cfg_keys) {
            fprintf(out, "  channels: [");
            for (size_t i = 0; i < cfg->briefing.n_channels; i++) {
                fprintf(out, "%s\"%s\"", i ? ", " : "", cfg->briefing.channels[i]);
            }
            fprintf(out, "]\n");
        }
    }
    notify_routes_print(out, &cfg->routes);
    fprintf(out, "# holiday calendar: %zu year(s) loaded\n", workcal_n_years(cfg->cal));
}

void notifier_cfg_policy(const struct notifier_cfg *cfg, struct ticket_policy *out)
{
    out->clock = &cfg->clocks;
    out->cal = cfg->cal;
    out->routes = &cfg->routes;
    out->link_base = cfg->notify.link_base;
    out->desk = &cfg->desk;
    out->sentiment = NULL; /* opened by notifier_open() (or a tool that takes alerts in) */
    out->spike = &cfg->spike;
    out->responses = &cfg->responses;
}

int notifier_cli_store_open(const char *prog, const struct yq_proc_args *args, const char *db,
                            struct notifier_cli_store *out)
{
    struct notifier_cfg *cfg = &out->cfg;
    char err[512] = "";

    memset(out, 0, sizeof(*out));
    if (notifier_cfg_load(cfg, args->config_path, args->sets, args->n_sets, err, sizeof(err))) {
        fprintf(stderr, "%s: 配置有误 (config): %s\n", prog, err);
        notifier_cli_store_release(out);
        return 2;
    }
    if (db) {
        /* --db (a file or a postgresql:// URL) replaces both store.url and store.path */
        char *path = strdup(db);
        if (!path) {
            fprintf(stderr, "%s: 内存不足 (out of memory)\n", prog);
            notifier_cli_store_release(out);
            return 1;
        }
        free(cfg->store.path);
        cfg->store.path = path;
        free(cfg->store.url);
        cfg->store.url = NULL;
    }
    if (yq_store_location_check(ticket_store_location(&cfg->store), NULL, 0) != 0) {
        /* a SQLite file only: a PostgreSQL store has no file to check (the connection tells) */
        fprintf(stderr,
                "%s: 交办单库 '%s' 不存在：请检查 --db 或 store.path（相对路径从当前目录算起；"
                "演示环境为 --db .demo/tickets.db；新库用 yuqingctl store init 创建） "
                "(ticket store '%s' does not exist)\n",
                prog, cfg->store.path, cfg->store.path);
        notifier_cli_store_release(out);
        return 1;
    }
    notifier_cfg_policy(cfg, &out->policy);
    if (ticket_store_open(&cfg->store, &out->store, err, sizeof(err))) {
        fprintf(stderr, "%s: %s\n", prog, err);
        notifier_cli_store_release(out);
        return 1;
    }
    ticket_store_set_policy(out->store, &out->policy);
    return 0;
}

void notifier_cli_store_release(struct notifier_cli_store *cli)
{
    ticket_store_free(cli->store);
    notifier_cfg_release(&cli->cfg);
    memset(cli, 0, sizeof(*cli));
}

/* ERR_INVALID, printed, unless words name one of cmds with the word it takes (and no other). */
static int check_cmd(const char *prog, const char *usage, const struct notifier_cli_cmd *cmds,
                     size_t n_cmds, const char *const *words)
{
    for (size_t i = 0; i < n_cmds; i++) {
        if (strcmp(words[0], cmds[i].name) != 0) {
            continue;
        }
        if (cmds[i].arg && !words[1]) {
            fprintf(stderr, "%s: %s 须给出 %s (%s needs %s)\n%s", prog, words[0], cmds[i].arg,
                    words[0], cmds[i].arg, usage);
            return ERR_INVALID;
        }
        if (!cmds[i].arg && words[1]) {
            fprintf(stderr, "%s: %s 多余的参数 '%s' (%s takes no argument: unexpected '%s')\n%s",
                    prog, words[0], words[1], words[0], words[1], usage);
            return ERR_INVALID;
        }
        return 0;
    }
    (void)yq_cli_unknown_command(prog, usage, words[0]);
    return ERR_INVALID;
}

int notifier_cli_parse(const char *prog, const char *usage, int argc, char **argv,
                       const struct yq_cli_opt *table, size_t n_opts, void *out,
                       struct yq_proc_args *args, const struct notifier_cli_cmd *cmds,
                       size_t n_cmds, const char **words)
{
    int rc = yq_proc_parse_cmd_args(prog, argc, argv, "config/notifier.yaml", usage, args);

    if (rc != 0) {
        return rc > 0 ? YQ_CLI_HELP : ERR_INVALID; /* printed */
    }
    rc = yq_cli_parse_cmd(prog, usage, args->n_rest, args->rest, 0, table, n_opts, out, words, 2);
    if (rc) {
        return rc; /* YQ_CLI_HELP or ERR_INVALID, printed */
    }
    if (!words[0]) {
        fputs(usage, stderr);
        return ERR_INVALID;
    }
    return check_cmd(prog, usage, cmds, n_cmds, words);
}

const char *notifier_cli_actor(const struct notifier_cli_opts *common)
{
    const char *actor = common->actor ? common->actor : getenv("USER");

    return actor ? actor : "cli";
}

size_t notifier_cli_limit(const struct notifier_cli_opts *common)
{
    return common->limit.set ? (size_t)common->limit.v : NOTIFIER_CLI_LIMIT_DEFAULT;
}

void notifier_cli_note_cut(const char *prog, const struct notifier_cli_opts *common, size_t n)
{
    size_t limit = notifier_cli_limit(common);

    if (n >= limit) {
        fprintf(stderr,
                "%s: 只列出了前 %zu 条，可能还有更多；--limit N 可列出更多（至多 %d） (the first "
                "%zu rows only; --limit N shows more, up to %d)\n",
                prog, limit, NOTIFIER_CLI_LIMIT_MAX, limit, NOTIFIER_CLI_LIMIT_MAX);
    }
}

/* Count one event on metrics (may be NULL); the short name of notifier_metrics.h's macro. */
#define BUMP(m, field) NOTIFIER_METRICS_BUMP(m, field)

/* Log and count what intake did with one alert (res: its result). */
static void intake_outcome(struct notifier_metrics *metrics, const struct yq_alert *alert,
                           const struct ticket_intake_result *res)
{
    switch (res->outcome) {
    case TICKET_INTAKE_CREATED:
        LOG_INFO("ticket created number=%s level=%s event_key=%s item_id=%s", res->number,
                 yq_level_name(alert->level), alert->event_key, alert->item.id);
        BUMP(metrics, tickets_created);
        break;
    case TICKET_INTAKE_ATTACHED:
        LOG_INFO("item attached number=%s item_count=%lld item_id=%s", res->number,
                 (long long)res->item_count, alert->item.id);
        BUMP(metrics, items_attached);
        break;
    case TICKET_INTAKE_REVISED:
        LOG_INFO("item revised number=%s item_id=%s reopened=%d", res->number, alert->item.id,
                 res->reopened ? 1 : 0);
        BUMP(metrics, items_attached);
        break;
    case TICKET_INTAKE_QUEUED:
        LOG_INFO("event waits for 研判 event_id=%lld item_count=%lld level=%s item_id=%s",
                 (long long)res->event_id, (long long)res->item_count,
                 yq_level_name(alert->level), alert->item.id);
        break;
    case TICKET_INTAKE_OFFICIAL:
        LOG_DEBUG("official post recorded item_id=%s post_id=%lld proposals=%d", alert->item.id,
                  (long long)res->post_id, res->proposals);
        break;
    case TICKET_INTAKE_NO_EVENT:
        LOG_DEBUG("repost without its event skipped event_key=%s item_id=%s", alert->event_key,
                  alert->item.id);
        break;
    case TICKET_INTAKE_SILENCED:
        LOG_INFO("alert silenced silence_id=%lld event_key=%s item_id=%s",
                 (long long)res->silence_id, alert->event_key, alert->item.id);
        break;
    case TICKET_INTAKE_DUPLICATE:
    default:
        LOG_DEBUG("duplicate alert number=%s item_id=%s", res->number, alert->item.id);
        BUMP(metrics, alerts_duplicate);
        break;
    }
}

/* The most messages notifier_intake_batch() takes at once (consumer.batch_max is lower). */
#define INTAKE_BATCH_LIMIT 100000

int notifier_intake_batch(struct ticket_store *store, struct notifier_metrics *metrics,
                          const struct notifier_payload *v, size_t n, int64_t now_ms)
{
    struct yq_alert *alerts;
    struct ticket_intake_entry *e;
    char (*why)[256];
    int err = 0;

    if (n > INTAKE_BATCH_LIMIT) {
        return ERR_INVALID;
    }
    if (n == 0) {
        return 0;
    }
    alerts = calloc(n, sizeof(*alerts));
    e = calloc(n, sizeof(*e));
    why = calloc(n, sizeof(*why));
    if (!alerts || !e || !why) {
        err = ERR_RETRY;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = yq_alert_decode(v[i].buf ? v[i].buf : "", v[i].buf ? v[i].len : 0, &alerts[i],
                                 why[i], sizeof(why[i]));
        if (rc == ERR_NOMEM) {
            err = ERR_RETRY;
            goto done;
        }
        e[i].alert = rc ? NULL : &alerts[i];
    }
    err = ticket_intake_batch(store, e, n, now_ms, NULL);
    /* a refused alert (ERR_INVALID) is the alert's fault: the store answered */
    notifier_dep_set(metrics ? &metrics->store_up : NULL, err == 0, now_ms);
    if (err) {
        LOG_WARN("ticket intake failed alerts=%zu first_partition=%d first_offset=%lld err='%s' "
                 "store='%s'",
                 n, (int)v[0].partition, (long long)v[0].offset, yq_strerror(err),
                 ticket_store_errmsg(store));
        err = ERR_RETRY;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        if (!e[i].alert) {
            LOG_WARN("malformed alert skipped partition=%d offset=%lld reason='%s'",
                     (int)v[i].partition, (long long)v[i].offset, why[i]);
            BUMP(metrics, alerts_malformed);
        } else if (e[i].err) {
            LOG_ERR("alert rejected by ticket store partition=%d offset=%lld event_key=%s "
                    "err='%s'",
                    (int)v[i].partition, (long long)v[i].offset, alerts[i].event_key,
                    yq_strerror(e[i].err));
            BUMP(metrics, alerts_rejected);
        } else {
            int64_t fetched = yq_item_fetched_ms(&alerts[i].item);
            intake_outcome(metrics, &alerts[i], &e[i].res);
            if (fetched > 0 && e[i].res.outcome != TICKET_INTAKE_DUPLICATE) {
                notifier_metrics_observe_latency(metrics, now_ms - fetched);
            }
        }
    }
done:
    for (size_t i = 0; alerts && i < n; i++) {
        yq_alert_release(&alerts[i]);
    }
    free(alerts);
    free(e);
    free(why);
    return err;
}

int notifier_intake_payload(struct ticket_store *store, struct notifier_metrics *metrics,
                            const char *buf, size_t len, int32_t partition, int64_t offset,
                            int64_t now)
{
    struct notifier_payload p = {.buf = buf, .len = len, .partition = partition, .offset = offset};

    return notifier_intake_batch(store, metrics, &p, 1, now * 1000);
}

int notifier_source_payload(struct ticket_store *store, struct notifier_metrics *metrics,
                            const char *buf, size_t len, int32_t partition, int64_t offset,
                            int64_t now)
{
    static const char *const outcomes[] = {"opened", "closed", "recorded closed", "unchanged"};
    struct yq_source_event ev;
    enum source_blind_outcome outcome = SOURCE_BLIND_UNCHANGED;
    char err_line[256] = "";
    int err, n_notices = 0;

    BUMP(metrics, source_events_consumed);
    err = yq_source_event_decode(buf ? buf : "", buf ? len : 0, &ev, err_line, sizeof(err_line));
    if (err == ERR_NOMEM) {
        return ERR_RETRY;
    }
    if (err) {
        LOG_WARN("malformed source event skipped partition=%d offset=%lld reason='%s'",
                 (int)partition, (long long)offset, err_line);
        BUMP(metrics, source_events_malformed);
        return 0;
    }
    err = source_blind_record(store, &ev, now, &outcome, &n_notices);
    /* the intake's store flag, as for alerts: a refused event is the event's fault */
    notifier_dep_set(metrics ? &metrics->store_up : NULL,
                     err == 0 || err == ERR_INVALID || err == ERR_TOO_BIG, now * 1000);
    if (err == ERR_INVALID || err == ERR_TOO_BIG) {
        LOG_ERR("source event rejected partition=%d offset=%lld source_id=%s err='%s'",
                (int)partition, (long long)offset, ev.source_id, yq_strerror(err));
        BUMP(metrics, source_events_rejected);
        err = 0;
    } else if (err) {
        LOG_WARN("source event not recorded partition=%d offset=%lld source_id=%s err='%s' "
                 "store='%s'",
                 (int)partition, (long long)offset, ev.source_id, yq_strerror(err),
                 ticket_store_errmsg(store));
        err = ERR_RETRY;
    } else {
        if (outcome == SOURCE_BLIND_OPENED) {
            BUMP(metrics, blind_windows_opened);
        }
        LOG_INFO("source blind window %s source_id=%s reason=%s started_at=%lld notices=%d",
                 outcomes[outcome], ev.source_id, yq_blind_reason_name(ev.reason),
                 (long long)ev.started_at, n_notices);
    }
    yq_source_event_release(&ev);
    return err;
}

/* The change feed's hooks (change_feed.h): wake this process's event streams. */
static void feed_changed(void *ctx, const char *payload)
{
    (void)ctx;
    (void)payload; /* {"table": ...}: any change moves the marker the streams compare */
    web_events_changed();
}

static void feed_live(void *ctx, bool live)
{
    (void)ctx;
    web_events_feed_live(live);
}

/*
 * Probe whether the store takes writes (ticket_store_write_probe(): one small commit) and set
 * the intake's store_up from the answer (busy: left as it is), logging each change once (the
 * outside review: a store the notifier cannot write, or a full disk, was reported down only
 * after its first failed batch). Called at start-up and from the loop every
 * STORE_PROBE_IDLE_MS without a batch (never while a batch is held: its retries tell).
 */
static void store_probe(struct notifier *n)
{
    int err = ticket_store_write_probe(n->store), was;

    if (err == ERR_RETRY) {
        return;
    }
    was = notifier_dep_set(&n->metrics.store_up, !err, yq_time_now_ms());
    if (err && was) {
        LOG_ERR("ticket store cannot be written store='%s': /healthz says store down; the web UI "
                "still reads, and no alert is stored nor any offset committed until a write "
                "succeeds",
                ticket_store_errmsg(n->store));
    } else if (!err && !was) {
        LOG_INFO("ticket store takes writes again");
    }
}

int notifier_open(const struct notifier_cfg *cfg, struct notifier **out, char *errbuf,
                  size_t errlen)
{
    struct notifier *n = calloc(1, sizeof(*n));
    const char *addr = cfg->http.bind_address ? cfg->http.bind_address : "127.0.0.1";
    int err;

    *out = NULL;
    if (!n) {
        snprintf(errbuf, errlen, "out of memory");
        return ERR_NOMEM;
    }
    n->cfg = cfg;
    notifier_metrics_init(&n->metrics, yq_time_now_ms());
    notifier_cfg_policy(cfg, &n->policy);
    /* the store first: a missing one must not leave a lock file in a wrong directory */
    err = ticket_store_open(&cfg->store, &n->store, errbuf, errlen);
    if (!err) {
        err = ticket_store_lock_acquire(&cfg->store, &n->lock, errbuf, errlen);
    }
    if (err) {
        goto fail;
    }
    /* a store it cannot write does not stop the notifier (the web UI reads): it says so */
    store_probe(n);
    /* the lexicon is embedded: a failure here is a broken build or missing OpenCC data */
    err = yq_sentiment_open(NULL, &n->sentiment, errbuf, errlen);
    if (err) {
        goto fail;
    }
    n->policy.sentiment = n->sentiment;
    n->briefing.cfg = &cfg->briefing;
    n->briefing.sources = cfg->web.sources_enabled ? briefing_sources_redis : NULL;
    n->briefing.sources_ctx = (void *)&cfg->web.redis;
    n->briefing.archive_dir = cfg->web.archive_dir;
    n->briefing.link_base = cfg->notify.link_base;
    n->policy.briefing = &n->briefing;
    LOG_INFO("sentiment lexicon terms=%zu", yq_sentiment_n_terms(n->sentiment));
    ticket_store_set_policy(n->store, &n->policy);
    /* a year without a holiday calendar is warned about by the delivery's first pass (at
       start, then once per such year): one place, so the start-up does not say it twice */
    {
        struct http_api_cfg hc = cfg->http;
        hc.web = cfg->web.enabled ? &cfg->web : NULL;
        n->http = http_api_new(&hc, &cfg->store, &n->policy, &n->metrics, errbuf, errlen);
    }
    if (!n->http) {
        err = ERR_IO;
        goto fail;
    }
    if (cfg->web.enabled && yq_db_backend_of(ticket_store_location(&cfg->store)) == YQ_DB_PG) {
        /* changes by the other notifiers of this store reach this one's live pages at once */
        static const struct change_feed_hooks hooks = {feed_changed, feed_live, NULL};
        err = change_feed_start(ticket_store_location(&cfg->store), &hooks, &n->feed);
        if (err) {
            snprintf(errbuf, errlen, "cannot start the change feed: %s", yq_strerror(err));
            goto fail;
        }
    }
    n->delivery = delivery_new(&cfg->notify, &cfg->store, &n->policy, &n->metrics, errbuf, errlen);
    if (!n->delivery) {
        err = ERR_IO;
        goto fail;
    }
    if (delivery_start(n->delivery)) {
        snprintf(errbuf, errlen, "cannot start the delivery thread");
        err = ERR_IO;
        goto fail;
    }
    {
        /* one group, both topics: alerts and the collectors' source events (issue #15) */
        const char *topics[2] = {cfg->kafka.alerts_topic, cfg->kafka.sources_topic};
        size_t n_topics = cfg->kafka.sources_topic && cfg->kafka.sources_topic[0] &&
                                  strcmp(cfg->kafka.sources_topic, cfg->kafka.alerts_topic) != 0
                              ? 2
                              : 1;
        n->consumer = yq_kafka_consumer_new_topics(&cfg->kafka, topics, n_topics, NULL, NULL,
                                                   errbuf, errlen);
    }
    if (!n->consumer) {
        err = ERR_INVALID;
        goto fail;
    }
    LOG_INFO("queue page at http://%s%s%s:%u/", strchr(addr, ':') ? "[" : "", addr,
             strchr(addr, ':') ? "]" : "", http_api_port(n->http));
    {
        char shown[512];
        LOG_INFO("consuming topic=%s sources_topic=%s group=%s store=%s", cfg->kafka.alerts_topic,
                 cfg->kafka.sources_topic ? cfg->kafka.sources_topic : "", cfg->kafka.group_id,
                 yq_db_redact(ticket_store_location(&cfg->store), shown, sizeof(shown)));
    }
    *out = n;
    return 0;
fail:
    notifier_free(n);
    return err;
}

struct notifier *notifier_new(const struct notifier_cfg *cfg, char *errbuf, size_t errlen)
{
    struct notifier *n = NULL;
    notifier_open(cfg, &n, errbuf, errlen);
    return n;
}

/* Sleep ms, in slices, returning early once *stop is set. */
static void sleep_unless_stopped(int64_t ms, volatile sig_atomic_t *stop)
{
    int64_t until = yq_time_mono_ms() + ms;
    while (!*stop) {
        int64_t left = until - yq_time_mono_ms();
        struct timespec ts;
        if (left <= 0) {
            return;
        }
        if (left > 100) {
            left = 100;
        }
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

/*
 * Whether msg came from the sources topic (issue #15: a source event, not an alert). A sources
 * topic configured as the alerts topic is not subscribed to (notifier_open()): its messages
 * are alerts.
 */
static bool is_source_event(const struct notifier *n, const rd_kafka_message_t *msg)
{
    const char *topic = msg->rkt ? rd_kafka_topic_name(msg->rkt) : NULL;
    const char *sources = n->cfg->kafka.sources_topic;

    return topic && sources && sources[0] && strcmp(topic, sources) == 0 &&
           strcmp(sources, n->cfg->kafka.alerts_topic) != 0;
}

/* Sleep before the next try of a failed store write and double *backoff (to retry_max_ms). */
static void backoff_sleep(struct notifier *n, int64_t *backoff, volatile sig_atomic_t *stop)
{
    BUMP(&n->metrics, intake_retries);
    sleep_unless_stopped(*backoff, stop);
    *backoff = *backoff * 2 > n->cfg->consumer.retry_max_ms ? n->cfg->consumer.retry_max_ms
                                                            : *backoff * 2;
}

/* Record the source event msg, retrying store failures until done (1) or stop is set (0). */
static int source_until_done(struct notifier *n, const rd_kafka_message_t *msg,
                             volatile sig_atomic_t *stop)
{
    int64_t backoff = n->cfg->consumer.retry_initial_ms;

    while (!*stop) {
        if (notifier_source_payload(n->store, &n->metrics, msg->payload, msg->len,
                                    msg->partition, msg->offset, yq_time_now()) == 0) {
            return 1;
        }
        LOG_DEBUG("retrying source event partition=%d offset=%lld backoff_ms=%lld",
                  (int)msg->partition, (long long)msg->offset, (long long)backoff);
        backoff_sleep(n, &backoff, stop);
    }
    return 0;
}

/*
 * Record the alert messages of msgs (n) as one batch, retrying the whole batch after a store
 * failure until it is recorded (1) or stop is set (0). p: n slots of caller storage.
 */
static int batch_until_done(struct notifier *n, rd_kafka_message_t **msgs, size_t n_msgs,
                            struct notifier_payload *p, volatile sig_atomic_t *stop)
{
    int64_t backoff = n->cfg->consumer.retry_initial_ms;

    for (size_t i = 0; i < n_msgs; i++) {
        p[i] = (struct notifier_payload){.buf = msgs[i]->payload,
                                         .len = msgs[i]->len,
                                         .partition = msgs[i]->partition,
                                         .offset = msgs[i]->offset};
    }
    while (!*stop) {
        if (notifier_intake_batch(n->store, &n->metrics, p, n_msgs, yq_time_now_ms()) == 0) {
            return 1;
        }
        LOG_DEBUG("retrying alert batch alerts=%zu backoff_ms=%lld", n_msgs, (long long)backoff);
        backoff_sleep(n, &backoff, stop);
    }
    return 0;
}

/*
 * Commit the offsets after the n messages of msgs (the highest offset + 1 of each topic and
 * partition), synchronously: after their batch is stored (the house rule). 0 or ERR_RETRY.
 */
static int commit_batch(struct notifier *n, rd_kafka_message_t **msgs, size_t n_msgs)
{
    rd_kafka_topic_partition_list_t *offsets = rd_kafka_topic_partition_list_new((int)n_msgs);
    rd_kafka_resp_err_t kres;

    if (!offsets) {
        return ERR_RETRY;
    }
    for (size_t i = 0; i < n_msgs; i++) {
        const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offsets, topic, msgs[i]->partition);
        if (!tp) {
            tp = rd_kafka_topic_partition_list_add(offsets, topic, msgs[i]->partition);
            tp->offset = msgs[i]->offset + 1;
        } else if (msgs[i]->offset + 1 > tp->offset) {
            tp->offset = msgs[i]->offset + 1;
        }
    }
    kres = rd_kafka_commit(n->consumer, offsets, 0 /* sync */);
    rd_kafka_topic_partition_list_destroy(offsets);
    if (kres) {
        LOG_WARN("offset commit failed messages=%zu err=%s", n_msgs, rd_kafka_err2str(kres));
        return ERR_RETRY;
    }
    return 0;
}

/* Set kafka_up, logging each change once. */
static void kafka_state(struct notifier *n, int up, const char *why)
{
    int was = notifier_dep_set(&n->metrics.kafka_up, up, yq_time_now_ms());
    if (was != (up ? 1 : 0)) {
        if (up) {
            LOG_INFO("kafka up reason='%s'", why);
        } else {
            LOG_WARN("kafka down reason='%s'", why);
        }
    }
}

/*
 * Ask a broker for metadata every KAFKA_PROBE_UP_MS (KAFKA_PROBE_DOWN_MS while down): the
 * answer, or its absence within KAFKA_PROBE_TIMEOUT_MS, is Kafka's state. Blocks the loop at
 * most KAFKA_PROBE_TIMEOUT_MS, and only when no broker answers (nothing is consumed then).
 */
static void kafka_probe(struct notifier *n, int64_t *next_probe_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t kerr;
    int64_t now = yq_time_mono_ms();
    int up;

    if (now < *next_probe_ms) {
        return;
    }
    kerr = rd_kafka_metadata(n->consumer, 0, NULL, &md, KAFKA_PROBE_TIMEOUT_MS);
    if (kerr == RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_metadata_destroy(md);
        kafka_state(n, 1, "metadata answered");
        up = 1;
    } else {
        kafka_state(n, 0, rd_kafka_err2str(kerr));
        up = 0;
    }
    *next_probe_ms = yq_time_mono_ms() + (up ? KAFKA_PROBE_UP_MS : KAFKA_PROBE_DOWN_MS);
}

/*
 * A consumer message that carries no payload to record (an error or partition end): handled
 * (state, log) and destroyed. Returns true when msg was such a message.
 */
static bool consume_event(struct notifier *n, rd_kafka_message_t *msg)
{
    if (!msg->err) {
        return false;
    }
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        kafka_state(n, 1, "partition end");
    } else {
        LOG_WARN("kafka consume error err=%s", rd_kafka_message_errstr(msg));
        if (msg->err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
            kafka_state(n, 0, rd_kafka_err2str(msg->err));
        }
    }
    rd_kafka_message_destroy(msg);
    return true;
}

/*
 * yq_kafka_take_batch()'s on_error: the error or partition end ends the batch; it is kept
 * (ctx: where, a rd_kafka_message_t *) for consume_event() after the batch's messages, in
 * the order they came.
 */
static bool keep_event(void *ctx, rd_kafka_message_t *msg)
{
    *(rd_kafka_message_t **)ctx = msg;
    return true;
}

/*
 * Store the batch msgs (n_msgs messages, alerts and source events): the alerts in one
 * transaction (batch_until_done()), each source event in its own; then, when everything is
 * stored, commit the offsets. alerts and p: n_msgs slots of scratch storage.
 */
static void store_batch(struct notifier *n, rd_kafka_message_t **msgs, size_t n_msgs,
                        rd_kafka_message_t **alerts, struct notifier_payload *p,
                        volatile sig_atomic_t *stop)
{
    size_t n_alerts = 0;
    int done = 1;

    for (size_t i = 0; i < n_msgs; i++) {
        if (!is_source_event(n, msgs[i])) {
            BUMP(&n->metrics, alerts_consumed);
            alerts[n_alerts++] = msgs[i];
        }
    }
    if (n_alerts > 0) {
        done = batch_until_done(n, alerts, n_alerts, p, stop);
    }
    for (size_t i = 0; done && i < n_msgs; i++) {
        if (is_source_event(n, msgs[i])) {
            done = source_until_done(n, msgs[i], stop);
        }
    }
    if (!done) {
        return; /* stopping: nothing committed, the batch is delivered again */
    }
    if (commit_batch(n, msgs, n_msgs) != 0) {
        /* the batch is recorded; a redelivery after this failure finds duplicates */
        BUMP(&n->metrics, commit_failures);
        kafka_state(n, 0, "offset commit failed");
    } else {
        kafka_state(n, 1, "offset committed");
    }
}

int notifier_run(struct notifier *n, volatile sig_atomic_t *stop)
{
    size_t max = (size_t)n->cfg->consumer.batch_max;
    rd_kafka_message_t **msgs, **alerts;
    struct notifier_payload *p;
    int64_t next_probe_ms = 0, next_store_probe_ms = yq_time_mono_ms() + STORE_PROBE_IDLE_MS;
    rd_kafka_message_t *event = NULL; /* the error or partition end that ended a batch */
    const struct yq_kafka_take take = {.on_error = keep_event, .ctx = &event};

    max = max < 1 ? 1 : max;
    msgs = calloc(max, sizeof(*msgs));
    alerts = calloc(max, sizeof(*alerts));
    p = calloc(max, sizeof(*p));
    if (!msgs || !alerts || !p) {
        LOG_ERR("out of memory for a batch of %zu alerts", max);
        free(msgs);
        free(alerts);
        free(p);
        return ERR_NOMEM;
    }
    while (!*stop) {
        size_t n_msgs;

        kafka_probe(n, &next_probe_ms);
        if (yq_time_mono_ms() >= next_store_probe_ms) {
            /* no batch for a while to tell whether the store takes writes */
            store_probe(n);
            next_store_probe_ms = yq_time_mono_ms() + STORE_PROBE_IDLE_MS;
        }
        /*
         * issue #16: up to batch_max messages: the first within poll_timeout_ms, the others
         * while each comes within batch_wait_ms (0: what is already queued, so a lone alert
         * is stored at once and batches form under load). A consume error or partition end
         * ends the batch: store what came so far, probe Kafka before waiting again.
         */
        n_msgs = yq_kafka_take_batch(n->consumer, &take, n->cfg->consumer.poll_timeout_ms,
                                     n->cfg->consumer.batch_wait_ms, max, stop, msgs);
        if (n_msgs > 0) {
            kafka_state(n, 1, "message");
        }
        if (event) {
            consume_event(n, event);
            event = NULL;
        }
        if (n_msgs > 0) {
            store_batch(n, msgs, n_msgs, alerts, p, stop);
            next_store_probe_ms = yq_time_mono_ms() + STORE_PROBE_IDLE_MS; /* it wrote */
        }
        for (size_t i = 0; i < n_msgs; i++) {
            rd_kafka_message_destroy(msgs[i]);
        }
    }
    free(msgs);
    free(alerts);
    free(p);
    LOG_INFO("stopping");
    return 0;
}

unsigned notifier_http_port(const struct notifier *n)
{
    return http_api_port(n->http);
}

struct notifier_metrics *notifier_metrics(struct notifier *n)
{
    return &n->metrics;
}

void notifier_free(struct notifier *n)
{
    if (!n) {
        return;
    }
    change_feed_stop(n->feed);
    http_api_free(n->http);
    delivery_free(n->delivery);
    if (n->consumer) {
        rd_kafka_resp_err_t kres = rd_kafka_consumer_close(n->consumer);
        if (kres) {
            LOG_WARN("kafka consumer close failed err=%s", rd_kafka_err2str(kres));
        }
        rd_kafka_destroy(n->consumer);
    }
    ticket_store_free(n->store);
    yq_sentiment_free(n->sentiment);
    ticket_store_lock_release(n->lock); /* last: no connection of this notifier is left */
    free(n);
}

/* Whether routes tell the liaison of department (NUL-terminated, borrowed) anything. */
static bool reaches(const struct notify_routes *routes, const char *department)
{
    const struct notify_department *d = notify_routes_department(routes, department);
    return d && d->n_liaison > 0;
}

const char *notifier_cli_unreached(const struct notify_routes *routes, const char *lead,
                                   const char *const *co, size_t n_co, bool duty)
{
    if (lead && lead[0] && !reaches(routes, lead)) {
        return lead;
    }
    for (size_t i = 0; co && i < n_co; i++) {
        if (co[i] && co[i][0] && !reaches(routes, co[i])) {
            return co[i];
        }
    }
    return duty && routes->n_duty == 0 ? "值班室" : NULL;
}

int notifier_cli_no_channel(const char *prog, const char *config, const char *who)
{
    fprintf(stderr,
            "%s: 配置 %s 中没有能通知到“%s”的渠道，执行后无人会收到通知；请用 "
            "--config 指定通知配置（演示环境为 --config .demo/notifier.yaml），或加 --no-notify "
            "明确不通知 (no channel of %s reaches %s: give --config FILE, e.g. "
            ".demo/notifier.yaml, or --no-notify)\n",
            prog, config, who, config, who);
    return 2;
}
