#include "stats_fixture.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "desk_policy.h"
#include "db_fixture.h"
#include "sqlite_fixture.h"
#include "stats.h"
#include "ticket_intake.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_time.h"

#define HOUR 3600
#define DAY 86400

struct fixture {
    struct ticket_store *store;
    int64_t start; /* 00:00 Asia/Shanghai of the month's 1st */
    char *errbuf;
    size_t errlen;
};

int stats_fixture_intake(struct ticket_store *store, const struct stats_fixture_alert *alert,
                         char *number, char *errbuf, size_t errlen)
{
    char json[2048], err[256] = "", utc[32], group_member[128] = "";
    struct yq_alert decoded;
    struct ticket_intake_result res;
    int rc;

    if (alert->group) {
        snprintf(group_member, sizeof(group_member), "\"group\":\"%s\",", alert->group);
    }
    yq_time_format_utc(alert->at, utc, sizeof(utc));
    snprintf(json, sizeof(json),
             "{\"schema\":1,\"event_key\":\"%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":1,\"matched_at\":\"%s\",\"score\":%.1f,\"level\":\"%s\","
             "\"department\":\"%s\",\"matches\":[{\"rule_id\":\"%s\",\"name\":\"%s\",%s"
             "\"department\":\"%s\",\"level\":\"%s\",\"terms\":[{\"term\":\"安康\","
             "\"field\":\"text\",\"start\":0,\"end\":2}]}],\"item\":{\"schema\":1,"
             "\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"%s\","
             "\"channel\":\"安康新闻网\",\"url\":\"%s\",\"title\":\"%s\","
             "\"text\":\"安康\",\"author\":\"\",\"published_at\":null,"
             "\"published_precision\":\"second\",\"fetched_at\":\"%s\"}}",
             alert->event_key, utc, alert->score, alert->level, alert->department, alert->rule_id,
             alert->rule_name, group_member, alert->department, alert->level, alert->item_id,
             alert->source_id, alert->url, alert->title, utc);
    rc = yq_alert_decode(json, strlen(json), &decoded, err, sizeof(err));
    if (rc) {
        snprintf(errbuf, errlen, "fixture alert %s: %s", alert->item_id, err);
        return rc;
    }
    rc = ticket_intake_alert(store, &decoded, alert->at, &res);
    yq_alert_release(&decoded);
    if (rc) {
        snprintf(errbuf, errlen, "fixture intake %s: %s", alert->item_id, yq_strerror(rc));
        return rc;
    }
    if (number) {
        snprintf(number, 32, "%s", res.number);
    }
    return 0;
}

int stats_fixture_act(struct ticket_store *store, enum ticket_action_kind kind, const char *number,
                      int64_t at, const char *channel, const char *url, char *errbuf,
                      size_t errlen)
{
    char err[256] = "";
    struct ticket_action a = {
        .kind = kind,
        .number = number,
        .actor = "fixture",
        .role = "admin",
        .channel = channel,
        .url = url,
        .responded_at = at,
        .reason = kind == TICKET_ACT_DISMISS ? "irrelevant" : NULL,
        .note = kind == TICKET_ACT_CLOSE ? "已处置，舆情平稳" : NULL, /* 办结 needs its 处置结果 */
    };
    int rc = ticket_flow_apply(store, &a, at, NULL, err, sizeof(err));
    if (rc) {
        snprintf(errbuf, errlen, "fixture %s %s: %s", ticket_action_name(kind), number, err);
    }
    return rc;
}

/* One alert of the month's history: ids, rule and URL derived from key. */
static int intake(struct fixture *f, const char *key, const char *level, const char *dept,
                  const char *title, int64_t at, char number[32])
{
    char event_key[64], item_id[64], rule_id[64], url[96];
    struct stats_fixture_alert alert = {
        .event_key = event_key, .item_id = item_id, .source_id = "ak-news", .level = level,
        .department = dept, .rule_id = rule_id, .rule_name = "统计测试", .title = title,
        .url = url, .score = 20.0, .at = at,
    };

    snprintf(event_key, sizeof(event_key), "ev:%s", key);
    snprintf(item_id, sizeof(item_id), "rss:%s", key);
    snprintf(rule_id, sizeof(rule_id), "r-%s", key);
    snprintf(url, sizeof(url), "https://news.example.cn/%s", key);
    return stats_fixture_intake(f->store, &alert, number, f->errbuf, f->errlen);
}

static int act(struct fixture *f, enum ticket_action_kind kind, const char *number, int64_t at,
               const char *channel)
{
    return stats_fixture_act(f->store, kind, number, at, channel,
                             channel ? "https://www.ankang.gov.cn/xxgk/1" : NULL, f->errbuf,
                             f->errlen);
}

/*
 * One ticket: detected at; ack after ack_s (0: none); responses after r1_s (权威发布 or 答复) and
 * press_s (新闻发布会); closed after close_s or dismissed after dismiss_s (0: not).
 */
struct step {
    const char *key, *level, *dept, *title;
    int64_t at, ack_s, r1_s, press_s, close_s, dismiss_s;
};

static int ticket(struct fixture *f, const struct step *s)
{
    char number[32];
    int rc = intake(f, s->key, s->level, s->dept, s->title, s->at, number);

    if (!rc && s->dismiss_s) {
        return act(f, TICKET_ACT_DISMISS, number, s->at + s->dismiss_s, NULL);
    }
    if (!rc && s->ack_s) {
        rc = act(f, TICKET_ACT_ACK, number, s->at + s->ack_s, NULL);
    }
    if (!rc && s->r1_s) {
        rc = act(f, TICKET_ACT_RESPOND, number, s->at + s->r1_s,
                 strcmp(s->level, "IV") == 0 ? "答复" : "权威发布");
    }
    if (!rc && s->press_s) {
        rc = act(f, TICKET_ACT_RESPOND, number, s->at + s->press_s, "新闻发布会");
    }
    if (!rc && s->close_s) {
        rc = act(f, TICKET_ACT_CLOSE, number, s->at + s->close_s, NULL);
    }
    return rc;
}

int stats_fixture_build(const char *path, const struct workcal *cal, int year, int month,
                        char *errbuf, size_t errlen)
{
    char path_copy[4096];
    struct ticket_store_cfg cfg = {.path = path_copy, .busy_timeout_ms = 5000};
    /* a ticket history: every alert is handed over at intake (issue #13's inbox skipped) */
    struct ticket_policy policy = {.cal = cal, .desk = desk_policy_hand_over_all()};
    struct fixture f = {.errbuf = errbuf, .errlen = errlen};
    int64_t end;
    int rc;

    snprintf(path_copy, sizeof(path_copy), "%s", path); /* the store's cfg is not const */
    rc = stats_month_window(year, month, &f.start, &end);
    if (rc) {
        snprintf(errbuf, errlen, "fixture: bad month %04d-%02d", year, month);
        return rc;
    }
    {
        const int64_t s = f.start;
        const struct step steps[] = {
            {"t0", "III", STATS_FIXTURE_DEPT_A, "恒口示范区征地补偿标准引发议论", s - 3 * DAY + 10 * HOUR,
             HOUR / 2, 20 * HOUR, 0, 5 * DAY, 0},
            {"t1", "II", STATS_FIXTURE_DEPT_B, "汉江支流出现大面积死鱼 疑似上游排污",
             s + DAY + 9 * HOUR + HOUR / 2, HOUR / 3, 3 * HOUR, 20 * HOUR, 6 * DAY, 0},
            {"t2", "III", STATS_FIXTURE_DEPT_A, "紫阳县城关镇拆迁户补偿款拖欠", s + 4 * DAY + 14 * HOUR,
             2 * HOUR, 30 * HOUR, 0, 0, 0},
            {"t3", "IV", STATS_FIXTURE_DEPT_ZERO, "高新区部分小区夜间停水", s + 8 * DAY + 20 * HOUR,
             40 * 60, 0, 0, 0, 0},
            {"t4", "III", STATS_FIXTURE_DEPT_B, "网传化工厂夜间偷排（经核实为旧闻）",
             s + 12 * DAY + 10 * HOUR, 0, 0, 0, 0, 2 * HOUR},
            {"t5", "IV", STATS_FIXTURE_DEPT_A, "白河县宅基地审批进度咨询", s + 15 * DAY + 11 * HOUR,
             10 * 60, 2 * DAY, 0, 5 * DAY, 0},
            {"t6", "II", STATS_FIXTURE_DEPT_A, "岚皋县山体滑坡 一条村道中断", s + 20 * DAY + 16 * HOUR,
             15 * 60, 4 * HOUR, 22 * HOUR, 0, 0},
            {"t7", "III", STATS_FIXTURE_DEPT_B, "旬阳市河道采砂扰民", s + 25 * DAY + 8 * HOUR,
             50 * 60, 50 * HOUR, 0, 0, 0},
            /* its clocks fall due in the next month; open at the month's end (期末未签收) */
            {"t8", "IV", STATS_FIXTURE_DEPT_ZERO, "汉滨区夜间施工噪音扰民", end - HOUR / 2, 0, 0, 0, 0,
             0},
        };
        char key[48];

        rc = ticket_store_init(&cfg, NULL, errbuf, errlen); /* issue #10: open never creates */
        if (!rc) {
            rc = ticket_store_open(&cfg, &f.store, errbuf, errlen);
        }
        if (rc) {
            return rc;
        }
        ticket_store_set_policy(f.store, &policy);
        for (size_t i = 0; !rc && i < sizeof(steps) / sizeof(steps[0]); i++) {
            struct step st = steps[i];
            snprintf(key, sizeof(key), "%04d%02d-%s", year, month, steps[i].key);
            st.key = key; /* the same fixture may be built for several months */
            rc = ticket(&f, &st);
        }
        ticket_store_free(f.store);
    }
    return rc;
}

static bool env_is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

int stats_fixture_env_open(struct stats_fixture_env *e, const char *dir_template,
                           const char *calendar_dir, char *errbuf, size_t errlen)
{
    struct ticket_store_cfg cfg = {.path = e->path, .busy_timeout_ms = 2000};
    int rc;

    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "%s", dir_template);
    if (!mkdtemp(e->dir)) {
        e->dir[0] = '\0';
        snprintf(errbuf, errlen, "fixture: cannot make a folder from %s", dir_template);
        return ERR_IO;
    }
    snprintf(e->path, sizeof(e->path), "%s/tickets.db", e->dir);
    if (db_fixture_pg()) {
        /* a -pg run: a fresh schema of the test server instead of the file (db_fixture.h) */
        char file[sizeof(e->path)];
        snprintf(file, sizeof(file), "%s", e->path);
        db_fixture_new(e->path, sizeof(e->path), file);
    }
    e->cal = workcal_new();
    if (!e->cal) {
        snprintf(errbuf, errlen, "fixture: out of memory");
        return ERR_NOMEM;
    }
    rc = workcal_load_dir(e->cal, calendar_dir, errbuf, errlen);
    if (!rc) {
        rc = ticket_store_init(&cfg, NULL, errbuf, errlen);
    }
    if (!rc) {
        rc = ticket_store_open(&cfg, &e->store, errbuf, errlen);
    }
    if (rc) {
        return rc;
    }
    e->scal.is_working_day = env_is_working_day;
    e->scal.ctx = e->cal;
    e->policy.cal = e->cal;
    /* a ticket history: every alert is handed over at intake (issue #13's inbox skipped) */
    e->policy.desk = desk_policy_hand_over_all();
    ticket_store_set_policy(e->store, &e->policy);
    return 0;
}

void stats_fixture_env_close(struct stats_fixture_env *e)
{
    ticket_store_free(e->store);
    workcal_free(e->cal);
    if (e->dir[0]) {
        if (db_fixture_pg()) {
            db_fixture_drop(e->path);
        } else {
            sqlite_fixture_remove(e->path);
        }
        rmdir(e->dir);
    }
    memset(e, 0, sizeof(*e));
}
