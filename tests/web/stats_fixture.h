/*
 * A small ticket history for the statistics page's tests (test_web_stats.c, web_test_server
 * --stats-fixture), written by the notifier's own code: ticket_intake_alert() for each
 * alert and ticket_flow_apply() for 签收, 回应, 办结 and 不予处置, with the working-day calendar
 * cal. For the tests only.
 *
 * The Asia/Shanghai month M = (year, month) gets (day numbers from 0 = the 1st, Beijing time):
 *   T0 III 市自然资源局  detected 3 days before M (carried in); ack, response, closed on day 2
 *   T1 II  市生态环境局  day 1 09:30; ack; 权威发布 3 h; 新闻发布会 20 h; closed day 7
 *   T2 III 市自然资源局  day 4 14:00; ack after 2 h (late); response 30 h; still responded
 *   T3 IV  市水务局      day 8 20:00; ack; no response (市水务局 is a zero-response department)
 *   T4 III 市生态环境局  day 12 10:00; dismissed 2 h later
 *   T5 IV  市自然资源局  day 15 11:00; ack; response 2 days; closed day 20
 *   T6 II  市自然资源局  day 20 16:00; ack; 权威发布 4 h; 新闻发布会 22 h; still responded
 *   T7 III 市生态环境局  day 25 08:00; ack; response 50 h (late: 48 h)
 *   T8 IV  市水务局      30 min before the month's end; never acknowledged (期末未签收)
 * so M's carry-over is 1 + 8 = 3 + 1 + 5 in total, and for 市自然资源局 1 + 3 = 2 + 0 + 2.
 * Issue #10: 办结用时 T0 5 d, T1 6 d, T5 5 d; T4 was dismissed without a 签收 (未签收即不予处置);
 * T8 is unacknowledged at the month's end.
 */
#ifndef TEST_WEB_STATS_FIXTURE_H
#define TEST_WEB_STATS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "ticket_flow.h"
#include "ticket_store.h"
#include "workcal.h"

#define STATS_FIXTURE_DEPT_A "市自然资源局"
#define STATS_FIXTURE_DEPT_B "市生态环境局"
#define STATS_FIXTURE_DEPT_ZERO "市水务局"

/*
 * Create (or open) the ticket store at path and add the history above for month (1..12) of
 * year. cal: borrowed, may be NULL (Monday..Friday). Every event must lie before now: pick a
 * past month. Returns 0 or an ERR_* code with one line in errbuf.
 */
int stats_fixture_build(const char *path, const struct workcal *cal, int year, int month,
                        char *errbuf, size_t errlen);

/*
 * One matched alert as the matcher sends it (one rule, one item from an RSS source of channel
 * 安康新闻网, text 安康), for the histories of the statistics tests (test_stats_load.c too).
 */
struct stats_fixture_alert {
    const char *event_key;
    const char *item_id;   /* "rss:..." */
    const char *source_id; /* "ak-news" */
    const char *level;     /* "I".."IV" */
    const char *department;
    const char *rule_id;
    const char *rule_name;
    const char *group; /* the rule's group, NULL for an alert from before groups */
    const char *title;
    const char *url;
    double score;
    int64_t at; /* matched, fetched and taken in (seconds UTC) */
};

/*
 * Take alert into store through ticket_intake_alert(); number (32 bytes, may be NULL)
 * gets the ticket's number. Returns 0 or an ERR_* code with one line in errbuf.
 */
int stats_fixture_intake(struct ticket_store *store, const struct stats_fixture_alert *alert,
                         char *number, char *errbuf, size_t errlen);

/*
 * Apply action kind to ticket number at `at` as an admin (ticket_flow_apply()); channel and
 * url for a response (NULL otherwise); a dismissal's reason is "irrelevant".
 * Returns 0 or an ERR_* code with one line in errbuf.
 */
int stats_fixture_act(struct ticket_store *store, enum ticket_action_kind kind, const char *number,
                      int64_t at, const char *channel, const char *url, char *errbuf,
                      size_t errlen);

/*
 * A ticket store for a statistics test (stats_fixture_env_open()): tickets.db in a new
 * temporary folder, the working-day calendar cal both as the store's policy (every alert
 * handed over at intake, desk_policy_hand_over_all()) and as stats_compute() takes it (scal).
 */
struct stats_fixture_env {
    char dir[64];   /* the folder (mkdtemp) */
    char path[256]; /* dir/tickets.db, or a PostgreSQL schema's URL (db_fixture.h) */
    struct workcal *cal;
    struct stats_calendar scal;
    struct ticket_policy policy;
    struct ticket_store *store;
};

/*
 * Fill e (caller storage): the folder from dir_template (mkdtemp's "...XXXXXX", at most 63
 * bytes), the calendar from the folder calendar_dir (e.g. config/calendar), the store
 * created and opened (busy timeout 2 s). Returns 0 or an ERR_* code with one line in errbuf
 * (e left for stats_fixture_env_close()).
 */
int stats_fixture_env_open(struct stats_fixture_env *e, const char *dir_template,
                           const char *calendar_dir, char *errbuf, size_t errlen);

/* Close e's store, free its calendar, delete tickets.db (with -wal, -shm) and the folder. */
void stats_fixture_env_close(struct stats_fixture_env *e);

#endif
