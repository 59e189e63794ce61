/*
 * The notifier process (design §1, §5, §8): a consumer in group yuqing-notifier on the
 * alerts topic that records each alert in the ticket store and commits the message's offset
 * only after the SQLite transaction committed, plus the HTTP server of http_api.h.
 *
 * Config (config/notifier.yaml), one section per module:
 *   kafka:    yq_kafka_cfg_keys (group_id defaults to "yuqing-notifier")
 *   store:    ticket_store_cfg_keys (path, busy_timeout_ms)
 *   http:     http_api_cfg_keys (bind_address, port, ...)
 *   consumer: poll_timeout_ms, retry_initial_ms, retry_max_ms
 *   clocks:   ticket_clock_cfg_keys (deadlines, calendar_dir, remind_percent, reopen window)
 *   notify:   notify_cfg_keys (link_base, quiet hours, delivery pacing and retries)
 *   channels, duty_officer, administrator, departments: notify_cfg.h (notify_routes_parse())
 *   responses: response_cfg_keys (回应 found on official channels: weights, thresholds,
 *              lookback, office_departments; response_detect.h)
 *   briefing: briefing_cfg_keys (舆情日报: enabled, hour, channels, ...; briefing.h)
 * The holiday calendar files of clocks.calendar_dir (relative to the config file) are loaded
 * with the config, so --print-config checks them too.
 */
#ifndef NOTIFIER_NOTIFIER_H
#define NOTIFIER_NOTIFIER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "briefing.h"
#include "delivery.h"
#include "desk_policy.h"
#include "spike.h"
#include "http_api.h"
#include "notifier_metrics.h"
#include "notify_cfg.h"
#include "response_detect.h"
#include "ticket_clock.h"
#include "ticket_store.h"
#include "workcal.h"
#include "yq_cfg.h"
#include "yq_cli.h"
#include "yq_kafka.h"
#include "yq_proc.h"

#define NOTIFIER_DEFAULT_GROUP "yuqing-notifier"

struct notifier_consumer_cfg {
    int64_t poll_timeout_ms;  /* longest wait in rd_kafka_consumer_poll (stop latency) */
    int64_t retry_initial_ms; /* first backoff after a store failure; doubles each time */
    int64_t retry_max_ms;     /* backoff ceiling */
    int64_t batch_max;        /* issue #16: most alert messages stored in one transaction */
    int64_t batch_wait_ms;    /* how long a batch waits for its next message once it has one */
};

struct notifier_cfg {
    struct yq_kafka_cfg kafka;
    struct ticket_store_cfg store;
    struct http_api_cfg http;
    struct notifier_consumer_cfg consumer;
    struct ticket_clock_cfg clocks;
    struct notify_cfg notify;
    struct web_cfg web;
    struct desk_policy desk; /* 研判 inbox policy (desk_policy.h); lists filled by the loader */
    struct spike_cfg spike;  /* 突增 alerts (spike.h) */
    struct briefing_cfg briefing; /* the daily briefing (briefing.h); channels by the loader */
    struct response_cfg responses; /* response detection (response_detect.h, issue #15); its
                                      office_departments list filled by the loader */
    /* filled by notifier_cfg_load() beyond the key table */
    struct notify_routes routes; /* channels, duty officer, departments */
    struct workcal *cal;         /* the loaded holiday calendar (never NULL after a load) */
};

/* The whole notifier.yaml table (sections kafka, store, http, consumer, clocks, notify, web,
 * desk). */
extern const struct cfg_key notifier_cfg_keys[];

/*
 * Fill cfg (caller storage) from the YAML file at path (NULL: built-in defaults only), then
 * apply n_sets "dotted.key=value" overrides (borrowed strings), then default kafka.group_id
 * to NOTIFIER_DEFAULT_GROUP when still unset; parse the channels and routes and load the
 * holiday calendar (clocks.calendar_dir relative to the directory of path; with path NULL
 * the calendar is empty: weekends only).
 * Returns 0, ERR_NOT_FOUND (no such file or calendar directory), ERR_PARSE, ERR_INVALID
 * (unknown key, bad value, bad route, unreadable secret, bad calendar), ERR_IO or ERR_NOMEM
 * with one line in errbuf. Release cfg with notifier_cfg_release()
 * whatever the result.
 */
int notifier_cfg_load(struct notifier_cfg *cfg, const char *path, const char *const *sets,
                      int n_sets, char *errbuf, size_t errlen);

/* Free the strings, routes and calendar cfg owns. */
void notifier_cfg_release(struct notifier_cfg *cfg);

/* Print cfg as YAML (--print-config): the key table, then the routes without secrets. */
void notifier_cfg_print(FILE *out, const struct notifier_cfg *cfg);

/* The ticket policy of cfg (borrowing its clocks, calendar, routes and link base). */
void notifier_cfg_policy(const struct notifier_cfg *cfg, struct ticket_policy *out);

/*
 * What a yuqingctl command over the ticket store holds (tickets, events, reports): its notifier
 * config, the ticket policy made of it and the open store. The store borrows the policy and the
 * policy the config, so the struct stays where notifier_cli_store_open() filled it.
 */
struct notifier_cli_store {
    struct notifier_cfg cfg;
    struct ticket_policy policy;
    struct ticket_store *store;
};

/*
 * Load the notifier config of args (its config path and --set values, borrowed) into
 * out->cfg and open the ticket store the command acts on: the config's store (store.url, else
 * store.path), replaced by db (a file or a postgresql:// URL) when db is non-NULL; a file that
 * does not exist is refused (an operator's typo must not create an empty store and report
 * "nothing there"); opened with the config's policy. prog ("yuqingctl tickets") starts each
 * message on stderr. Returns 0 (release with notifier_cli_store_release()), or an exit code
 * after one line on stderr with nothing left to release: 2 (the config is wrong) or 1 (the
 * store cannot be opened, out of memory).
 */
int notifier_cli_store_open(const char *prog, const struct yq_proc_args *args, const char *db,
                            struct notifier_cli_store *out);

/* Close the store and release the config of cli; a zeroed cli is a no-op. */
void notifier_cli_store_release(struct notifier_cli_store *cli);

/* The largest --limit of a command over the ticket store (NOTIFIER_CLI_OPTS()). */
#define NOTIFIER_CLI_LIMIT_MAX 100000
/* The rows a list shows without --limit (notifier_cli_limit()). */
#define NOTIFIER_CLI_LIMIT_DEFAULT 200

/*
 * The options every yuqingctl command that acts on the ticket store as a person (tickets,
 * events) takes, in one place: a member of the command's option struct, filled by the rows of
 * NOTIFIER_CLI_OPTS() in its yq_cli table (--limit read and checked there). The texts are
 * borrowed from argv; NULL when not given.
 */
struct notifier_cli_opts {
    const char *actor;        /* --as NAME: who acts (notifier_cli_actor()) */
    const char *role;         /* --role R: the command's roles and default */
    const char *db;           /* --db PATH: for notifier_cli_store_open() */
    struct yq_cli_long limit; /* --limit N (1..NOTIFIER_CLI_LIMIT_MAX): notifier_cli_limit() */
    bool json;                /* --json */
};

/* The yq_cli table rows of the struct notifier_cli_opts member of struct type (rows, commas). */
#define NOTIFIER_CLI_OPTS(type, member)                                                            \
    YQ_CLI_VALUE("--as", type, member.actor), YQ_CLI_VALUE("--role", type, member.role),           \
        YQ_CLI_VALUE("--db", type, member.db),                                                     \
        YQ_CLI_LONG("--limit", type, member.limit, 1, NOTIFIER_CLI_LIMIT_MAX),                     \
        YQ_CLI_FLAG("--json", type, member.json)

/* A command word of a yuqingctl command over the ticket store and the one word it takes. */
struct notifier_cli_cmd {
    const char *name; /* "list", "set-level" */
    const char *arg;  /* what the word after it is ("NUMBER", "ID"); NULL: it takes none */
};

/*
 * Read the arguments of a yuqingctl command over the ticket store, as every such command does:
 * yq_proc_parse_cmd_args() (--config, default config/notifier.yaml, and --set) into args, then
 * yq_cli_parse_cmd() of its options (table: n_opts rows, NOTIFIER_CLI_OPTS() among them, into
 * out) and of at most two words (the command and its argument) into
 * words[0..1] (caller storage, NULL when not given); then a
 * command (words[0]) must be given, be one of cmds (n_cmds rows) and come with the word it
 * takes and no other: all before any store is opened, so the message names the command.
 * prog ("yuqingctl tickets") starts each message; usage goes to stdout for --help, to stderr
 * after the reason of an error. Everything borrowed. Returns 0 (go on), YQ_CLI_HELP (usage
 * printed: exit 0) or ERR_INVALID (printed: exit 2).
 */
int notifier_cli_parse(const char *prog, const char *usage, int argc, char **argv,
                       const struct yq_cli_opt *table, size_t n_opts, void *out,
                       struct yq_proc_args *args, const struct notifier_cli_cmd *cmds,
                       size_t n_cmds, const char **words);

/* Who acts, as the commands log it: --as (common->actor), else $USER, else "cli". */
const char *notifier_cli_actor(const struct notifier_cli_opts *common);

/* The rows a list of the command reads at most: --limit, else NOTIFIER_CLI_LIMIT_DEFAULT. */
size_t notifier_cli_limit(const struct notifier_cli_opts *common);

/*
 * After a list of n rows read with notifier_cli_limit(common) rows at most: when n reached that
 * limit, one line on stderr (prog starts it) saying the list may be cut and --limit shows more,
 * so that a list is never cut silently; stdout (a table or JSON) is left as it is.
 */
void notifier_cli_note_cut(const char *prog, const struct notifier_cli_opts *common, size_t n);

/*
 * Who of those a command's notifications are for routes (borrowed) reach nobody of: the
 * liaison of lead and of each of the n_co departments in co (NUL-terminated, borrowed; NULL or
 * "" skipped, co may be NULL when n_co is 0) and, when duty is true, the duty officer. Returns
 * NULL when each of them is reached, else the first one not reached: lead, an entry of co
 * (borrowed from the caller) or the static "值班室". The one rule of every yuqingctl command that
 * notifies (tickets assign/set-level/dismiss/reopen/return/escalate, events assign: issue #11,
 * a command run with the default config, channels: {}, queued notifications nobody gets).
 * Pure; thread-safe.
 */
const char *notifier_cli_unreached(const struct notify_routes *routes, const char *lead,
                                   const char *const *co, size_t n_co, bool duty);

/*
 * The refusal of a command (prog, "yuqingctl events") whose config (config, its path) reaches
 * nobody of who (notifier_cli_unreached()): one line on stderr naming --config (the demo's
 * .demo/notifier.yaml) and --no-notify. Returns the exit code, 2.
 */
int notifier_cli_no_channel(const char *prog, const char *config, const char *who);

/*
 * Record one message payload (len bytes, need not be NUL-terminated) in store:
 *  - not a valid alert: logged with partition/offset, counted as malformed, returns 0 (the
 *    caller commits: a bad message must not block the partition);
 *  - refused by the store as invalid: logged, counted as rejected, returns 0;
 *  - recorded (created, attached or duplicate): counted, returns 0;
 *  - the store failed transiently (busy, I/O, memory): returns ERR_RETRY and the caller must
 *    not commit; retrying is safe because intake is idempotent.
 * metrics may be NULL. partition/offset are only for log lines. now: seconds, UTC.
 * Same thread-safety as the store.
 */
int notifier_intake_payload(struct ticket_store *store, struct notifier_metrics *metrics,
                            const char *buf, size_t len, int32_t partition, int64_t offset,
                            int64_t now);

/* One Kafka message's payload and place, for notifier_intake_batch(). All borrowed. */
struct notifier_payload {
    const char *buf; /* len bytes, need not be NUL-terminated; NULL reads as empty */
    size_t len;
    int32_t partition; /* for log lines */
    int64_t offset;    /* for log lines */
};

/*
 * Record n alert message payloads in store in one write transaction (ticket_intake_batch();
 * issue #16), each as notifier_intake_payload() would: a malformed message is counted
 * (alerts_malformed) and skipped, an alert the store refuses is counted (alerts_rejected) and
 * skipped, the others are recorded without being blocked by those; each recorded alert that
 * changed something adds its fetch -> store latency (now_ms - the item's fetch time) to the
 * histogram in metrics. Returns 0 (the caller commits the offsets of all n), or ERR_RETRY:
 * the store failed (busy, I/O, server down, memory), nothing is counted and the caller
 * commits nothing and retries the batch (idempotent). n: at most 100000 (more is ERR_INVALID).
 * metrics may be NULL. now_ms: milliseconds since the epoch, UTC.
 */
int notifier_intake_batch(struct ticket_store *store, struct notifier_metrics *metrics,
                          const struct notifier_payload *v, size_t n, int64_t now_ms);

/*
 * Record one message of the sources topic (kafka.sources_topic, a source event:
 * common/yq_source_event.h) in store (notifier/source_blind.h), with the same contract as
 * notifier_intake_payload(): not a valid source event, or refused by the store as invalid:
 * logged with partition/offset, returns 0 (committed, never blocking the partition); recorded
 * or a redelivery: returns 0; a transient store failure: ERR_RETRY (the caller retries and
 * does not commit; recording is idempotent). metrics may be NULL (not counted yet: no source
 * counters). now: seconds, UTC (the receipt time).
 */
int notifier_source_payload(struct ticket_store *store, struct notifier_metrics *metrics,
                            const char *buf, size_t len, int32_t partition, int64_t offset,
                            int64_t now);

struct notifier;

/*
 * Open the existing ticket store (running pending migrations; it is never created here, see
 * ticket_store_init()), take the store's notifier lock (ticket_store_lock_acquire(): one
 * notifier per SQLite store), start the HTTP server, start the delivery worker (outbox and
 * escalation, delivery.h) and join the consumer group. Logs "queue page at
 * http://ADDR:PORT/". cfg is borrowed and must outlive the notifier.
 * out: on success a new notifier (notifier_free()).
 * Returns 0; ERR_NOT_FOUND (the store does not exist: errbuf says to run 'yuqingctl store
 * init'); ERR_BAD_STATE (another notifier holds the store, or its schema is newer); ERR_IO,
 * ERR_INVALID, ERR_RETRY or ERR_NOMEM for other start-up failures, with one line in errbuf.
 */
int notifier_open(const struct notifier_cfg *cfg, struct notifier **out, char *errbuf,
                  size_t errlen);

/* notifier_open() returning the notifier or NULL (the reason in errbuf). */
struct notifier *notifier_new(const struct notifier_cfg *cfg, char *errbuf, size_t errlen);

/*
 * Consume until *stop becomes non-zero: decode, intake, then commit each message's offset
 * (yq_kafka_commit_message) only after its transaction committed. Store failures are retried
 * in place with exponential backoff (the next message is not read meanwhile, so no later
 * offset can be committed past an unrecorded alert). Returns 0.
 */
int notifier_run(struct notifier *n, volatile sig_atomic_t *stop);

/* The HTTP server's real port. */
unsigned notifier_http_port(const struct notifier *n);

/* The process counters and dependency states (borrowed from n). */
struct notifier_metrics *notifier_metrics(struct notifier *n);

/*
 * Shut down in order: stop the HTTP server, stop the delivery worker, close the consumer
 * (leaves the group), close the store, free. NULL is a no-op.
 */
void notifier_free(struct notifier *n);

#endif
