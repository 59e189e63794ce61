#include "demo_history.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "yq_db.h"

#include "event_flow.h"
#include "notifier.h"
#include "outbox.h"
#include "ticket_flow.h"
#include "ticket_intake.h"
#include "ticket_store.h"
#include "web_auth.h"
#include "yq_alert.h"
#include "yq_array.h"
#include "yq_cli.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_log.h"
#include "yq_sentiment.h"
#include "yq_store_location.h"
#include "yq_time.h"
#include "yq_banned.h"

#define BEIJING_S (8 * 3600)
#define DAY_S 86400
#define HOUR_S 3600
#define MIN_S 60

static const char usage[] =
    "usage: yuqingctl demo-history [--config FILE] [--db PATH] [--now TIME] [--seed N]\n"
    "                              [--months N]\n"
    "  the 研判 inbox's settled history of the N (default 3) months before the month of TIME\n"
    "  and of that month up to TIME (RFC 3339, default now), through the notifier's intake,\n"
    "  the duty officer's 研判 (交办, 并入, 持续关注, 不予处置) and the tickets' actions;\n"
    "  --config: notifier config (default config/notifier.yaml); --db: the ticket store\n"
    "  (default store.url, else store.path; must exist: yuqingctl store init); --seed: default 11\n";

/*
 * One kind of post: the shipped rule (config/rules) that catches it and the department in
 * charge. Each title is "PREFIX PLACE TEMPLATE TAIL" (title_prefixes, places, titles,
 * title_tails); every title
 * fires the topic's rule in the shipped rule set (tests/integration/test_readme_commands.py).
 */
#define TOPIC_TITLES 8

struct topic {
    const char *rule_id, *rule_name, *group, *department;
    const char *titles[TOPIC_TITLES]; /* what follows the place */
    int level_ii_pct;                 /* share of II 重大 among the topic's tickets */
};

static const struct topic topics[] = {
    {"land-compensation",
     "征地拆迁补偿纠纷",
     "征地拆迁",
     "市自然资源局",
     {"某村征地补偿款迟迟未发放，村民多次反映", "棚户区改造拆迁安置房交付一再延期",
      "集体土地征收未公示即动工，补偿标准引质疑", "高速公路建设征地补偿标准不一，村民质疑",
      "拆迁户反映安置过渡费停发半年", "城区道路拓宽拆迁，商户称补偿偏低",
      "村民称夜间遭强拆，拆迁方未出示手续", "移民搬迁安置点房屋漏雨，征地补偿未到位"},
     0},
    {"eco-pollution",
     "偷排污染举报",
     "生态环保",
     "市生态环境局",
     {"一化工厂夜间偷排污水，河水发黑发臭", "汉江支流出现大量死鱼，村民怀疑上游排污",
      "一养猪场废水直排河道，周边异味刺鼻", "污水处理厂出水浑浊，居民担心饮水安全",
      "石材加工厂废水流入农田，秧苗枯死", "一小区化粪池污水外溢数日无人管",
      "垃圾填埋场渗滤液偷排，附近村民反映异味", "一家砖厂夜间偷排废水，鱼塘死鱼上千斤"},
     5},
    {"safety-gas",
     "燃气泄漏与爆炸",
     "突发事件",
     "市应急管理局",
     {"一餐馆燃气泄漏，消防紧急疏散周边群众", "一小区地下车库燃气泄漏，居民连夜疏散",
      "老旧小区天然气泄漏，一栋楼居民被疏散", "一烧烤店液化气罐爆炸，两人受伤送医",
      "施工挖断燃气管道致燃气泄漏，周边道路封闭", "一民房发生爆炸，原因正在调查",
      "集贸市场一商户燃气泄漏起火，周边商户疏散", "加油站附近传出爆炸声，网友称现场浓烟"},
     25},
    {"health-epidemic",
     "疫情防控措施投诉",
     "疫情防控",
     "市卫生健康委员会",
     {"一小学诺如病毒聚集性疫情，家长质疑通报迟缓", "一幼儿园手足口病聚集性疫情，家长投诉晨检走过场",
      "某卫生院传染病门诊乱收费，患者投诉", "一工地出现聚集性发热，工友担心传染病扩散",
      "流感疫情下医院发热门诊排长队，市民投诉", "一小学水痘疫情，家长称隔离安排不合理",
      "乡镇卫生院传染病报告不及时，村民投诉", "一中学因疫情一刀切停课，家长投诉未提前通知"},
     10},
};

/*
 * The districts, counties and zones of 安康 (docs/example-deployment.md), each in its full
 * form, so the shipped rules' places count (pipeline/place.h).
 */
static const char *const places[] = {"汉滨区",   "汉阴县",   "石泉县",     "宁陕县",
                                     "紫阳县",   "岚皋县",   "平利县",     "镇坪县",
                                     "旬阳市",   "白河县",   "恒口示范区", "安康高新区",
                                     "瀛湖镇"};

/* How posts begin ("" = straight with the place) and end. */
static const char *const title_prefixes[] = {"", "网友反映：", "有群众称", "求助："};
static const char *const title_tails[] = {"", "", "，多名网友转发", "，现场视频在网上流传",
                                          "，网友呼吁尽快处理"};

static const struct {
    const char *source, *source_id, *channel;
} outlets[] = {
    {"rss", "ankang-news", "安康新闻网"},
    {"rss", "hsw-ankang", "华商网·安康"},
    {"rss", "sxtt", "陕西头条"},
    {"weibo", "weibo-ankang", "微博·安康同城"},
    {"wechat", "wx-ankang-life", "安康生活圈"},
};

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

/* splitmix64: a small, fixed generator so a seed always gives the same history. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t rnd(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(next_rand(s) % (uint64_t)(hi - lo + 1));
}

/* Seconds UTC of 00:00 Beijing time on the first day of month (y, m); m may be <= 0. */
static int64_t month_start(int y, int m)
{
    while (m <= 0) {
        m += 12;
        y--;
    }
    return yq_time_days_from_civil(y, (unsigned)m, 1) * DAY_S - BEIJING_S;
}

/* The Beijing-time year and month of t. */
static void beijing_month(int64_t t, int *y, int *m)
{
    struct tm tm;
    time_t tt = (time_t)(t + BEIJING_S);
    gmtime_r(&tt, &tm);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
}

/* What the duty officer decided at 研判 (issue #13). */
enum judge_outcome {
    JUDGE_ASSIGN = 0, /* 交办 (II: confirmed after the policy handed it over) */
    JUDGE_DISMISS,    /* 不予处置 */
    JUDGE_MERGE,      /* 并入 the topic's previous event */
    JUDGE_WATCH,      /* 持续关注, then 不予处置 when it did not grow */
};

/* One planned event: what the office did and when (seconds UTC; 0 = not done). */
struct plan {
    const struct topic *topic;
    int place;   /* first choice of the title's place (places[]) */
    int outlet;
    int variant; /* first choice of the title's template (topic->titles[]) */
    enum yq_level level;
    enum judge_outcome outcome;
    int64_t detected, judge, ack, respond, press, close, dismiss;
    const char *channel, *reason, *note;
};

static void make_plan(uint64_t *s, int64_t day, struct plan *p)
{
    int64_t late_roll;

    memset(p, 0, sizeof(*p));
    p->topic = &topics[rnd(s, 0, (int64_t)N_OF(topics) - 1)];
    p->place = (int)rnd(s, 0, (int64_t)N_OF(places) - 1);
    p->outlet = (int)rnd(s, 0, (int64_t)N_OF(outlets) - 1);
    p->variant = (int)rnd(s, 0, TOPIC_TITLES - 1);
    p->detected = day + rnd(s, 7, 22) * HOUR_S + rnd(s, 0, 59) * MIN_S;
    p->level = rnd(s, 1, 100) <= p->topic->level_ii_pct ? YQ_LEVEL_II
               : rnd(s, 1, 100) <= 65                   ? YQ_LEVEL_III
                                                        : YQ_LEVEL_IV;
    /* 研判: II is handed over by the policy at intake and confirmed in minutes; the others
       are judged a few minutes after detection, one in ten after the 30 min deadline */
    p->judge = p->detected + (p->level == YQ_LEVEL_II ? rnd(s, 2, 8)
                              : rnd(s, 1, 100) <= 10  ? rnd(s, 35, 90)
                                                      : rnd(s, 3, 25)) *
                                 MIN_S;
    if (p->level != YQ_LEVEL_II) {
        int64_t roll = rnd(s, 1, 100);
        if (roll <= 14) {
            /* 不予处置 at 研判: the reasons of docs/desk.md, 其他 with its note */
            static const struct {
                const char *reason, *note;
            } why[] = {{"irrelevant", NULL},
                       {"false_alarm", "关键词误命中，与事件无关"},
                       {"duplicate", NULL},
                       {"out_of_scope", "属省级部门职责"},
                       {"false_alarm", NULL},
                       {"other", "网友调侃，非真实诉求"}};
            int w = (int)rnd(s, 0, (int64_t)N_OF(why) - 1);
            p->outcome = JUDGE_DISMISS;
            p->dismiss = p->judge;
            p->reason = why[w].reason;
            p->note = why[w].note;
            return;
        }
        if (roll <= 18) {
            p->outcome = JUDGE_MERGE; /* the same matter as the topic's last event */
            return;
        }
        if (roll <= 22) {
            p->outcome = JUDGE_WATCH; /* watched for a day, then set aside */
            p->dismiss = p->judge + rnd(s, 6, 30) * HOUR_S;
            p->reason = "other";
            p->note = "持续关注期间未再发酵";
            return;
        }
        if (roll <= 28) {
            /* handed over, then the ticket is withdrawn: the department finds it a repeat of
               one it handles, or another authority's */
            p->dismiss = p->judge + rnd(s, 10, 50) * MIN_S; /* within the 签收 hour */
            p->reason = rnd(s, 0, 1) ? "duplicate" : "out_of_scope";
            return;
        }
    }
    late_roll = rnd(s, 1, 100);
    p->ack = p->judge + (late_roll <= 10 ? rnd(s, 70, 200) : rnd(s, 4, 50)) * MIN_S;
    late_roll = rnd(s, 1, 100);
    if (p->level == YQ_LEVEL_II) {
        /* 权威信息 within 5 h, 新闻发布会 within 24 h */
        p->respond = p->ack + (late_roll <= 15 ? rnd(s, 300, 600) : rnd(s, 40, 240)) * MIN_S;
        p->channel = "权威发布";
        p->press = p->detected + (rnd(s, 1, 100) <= 15 ? rnd(s, 25, 30) : rnd(s, 8, 22)) * HOUR_S;
        p->close = p->press + rnd(s, 1, 4) * DAY_S + rnd(s, 0, 8) * HOUR_S;
    } else {
        static const char *const channels[] = {"政务微博", "政务微信", "网站", "答复"};
        int64_t max_h = p->level == YQ_LEVEL_III ? 40 : 90;
        p->respond = p->ack + (late_roll <= 10 ? rnd(s, 50, 120) : rnd(s, 2, max_h)) * HOUR_S +
                     rnd(s, 0, 59) * MIN_S;
        p->channel = channels[rnd(s, 0, 3)];
        p->close = p->respond + rnd(s, 1, 6) * DAY_S + rnd(s, 0, 8) * HOUR_S;
    }
}

/* The alert the matcher would have written for p (new JSON string, free()). */
static char *alert_json(const struct plan *p, long n, const char *title)
{
    char key[64], id[64], url[128], matched[40], published[40], fetched[40];
    const char *level = yq_level_name(p->level);
    json_t *j;
    char *s;

    snprintf(key, sizeof(key), "demo-history:%ld", n);
    snprintf(id, sizeof(id), "%s:demo-history-%ld", outlets[p->outlet].source, n);
    snprintf(url, sizeof(url), "https://news.example.cn/ankang/%ld.html", 100000 + n);
    yq_time_format_utc(p->detected, matched, sizeof(matched));
    yq_time_format_utc(p->detected - 25 * MIN_S, published, sizeof(published));
    yq_time_format_utc(p->detected - 2 * MIN_S, fetched, sizeof(fetched));
    j = json_pack("{s:i,s:s,s:{s:b,s:i},s:i,s:s,s:f,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:s,s:[]}],"
                  "s:{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}}",
                  "schema", 1, "event_key", key, "event", "new", 1, "items", 1, "rules_version", 1,
                  "matched_at", matched, "score", 60.0 + (double)(n % 30), "level", level,
                  "department", p->topic->department, "matches", "rule_id", p->topic->rule_id,
                  "name", p->topic->rule_name, "group", p->topic->group, "department",
                  p->topic->department, "level", level, "terms", "item", "schema", 1, "id", id,
                  "source", outlets[p->outlet].source, "source_id", outlets[p->outlet].source_id,
                  "channel", outlets[p->outlet].channel, "url", url, "title", title, "text", title,
                  "author", "网友", "published_at", published, "published_precision", "minute",
                  "fetched_at", fetched);
    if (!j) {
        return NULL;
    }
    s = yq_json_dumps(j, JSON_COMPACT);
    json_decref(j);
    return s;
}

/*
 * What the office's clocks do before an action at t: 催办/督办 for what was missed, then
 * every queued notification counts as delivered when it was queued.
 */
static int settle_before(struct ticket_store *store, int64_t t)
{
    struct outbox_batch b = {0};
    int err = ticket_flow_escalate(store, t, NULL);

    if (!err) {
        err = event_flow_remind_judge(store, t, NULL); /* 研判 deadlines missed */
    }
    if (err) {
        return err;
    }
    for (size_t got = 1; !err && got > 0;) {
        err = outbox_due(store, t, 200, &b);
        got = err ? 0 : b.n;
        for (size_t i = 0; !err && i < b.n; i++) {
            err = outbox_mark_delivered(store, b.v[i].id, t);
        }
        outbox_batch_release(&b);
    }
    return err;
}

static int act(struct ticket_store *store, struct ticket_action *a, int64_t t, long *n_actions)
{
    char err[512] = "";
    int rc = settle_before(store, t);

    if (!rc) {
        rc = ticket_flow_apply(store, a, t, NULL, err, sizeof(err));
    }
    if (!rc) {
        rc = settle_before(store, t);
    }
    if (rc) {
        fprintf(stderr, "demo-history: %s %s at %lld failed: %s (%s)\n",
                ticket_action_name(a->kind), a->number, (long long)t, err, yq_strerror(rc));
        return rc;
    }
    (*n_actions)++;
    return 0;
}

/*
 * The title of ticket n (1-based) into out: a prefix, the plan's place and template and a
 * tail, or, when
 * that place and template were used already (with any prefix), another combination of the
 * topic's, drawn from a generator seeded with (seed, n) so the plans' own draws stay as they
 * are. used/n_used: the titles so far without their prefix (a new copy is appended; *used
 * grows, *cap_used is its capacity). Returns 0 or ERR_NOMEM.
 */
static int make_title(const struct plan *p, uint64_t seed, long n, char ***used, size_t *n_used,
                      size_t *cap_used, char *out, size_t outlen)
{
    uint64_t ts = seed * 0x2545F4914F6CDD1DULL + (uint64_t)n;
    int place = p->place, tpl = p->variant, prefix = (int)rnd(&ts, 0, N_OF(title_prefixes) - 1);
    char body[256];

    for (int attempt = 0;; attempt++) {
        bool taken = false;
        snprintf(body, sizeof(body), "%s%s", places[place], p->topic->titles[tpl]);
        if (attempt >= 1000) {
            /* every combination drawn is taken (far more tickets than a year's): number it */
            size_t len = strlen(body);
            snprintf(body + len, sizeof(body) - len, "（第%ld起）", n);
        }
        for (size_t i = 0; i < *n_used && !taken; i++) {
            taken = strcmp((*used)[i], body) == 0;
        }
        if (!taken) {
            break;
        }
        place = (int)rnd(&ts, 0, N_OF(places) - 1);
        tpl = (int)rnd(&ts, 0, TOPIC_TITLES - 1);
        prefix = (int)rnd(&ts, 0, N_OF(title_prefixes) - 1);
    }
    snprintf(out, outlen, "%s%s%s", title_prefixes[prefix], body,
             title_tails[rnd(&ts, 0, N_OF(title_tails) - 1)]);
    if (yq_array_reserve(used, cap_used, *n_used + 1, sizeof(**used)) != 0) {
        return ERR_NOMEM; /* one title per ticket: far from ERR_TOO_BIG */
    }
    (*used)[*n_used] = strdup(body);
    if (!(*used)[*n_used]) {
        return ERR_NOMEM;
    }
    (*n_used)++;
    return 0;
}

/*
 * What the office did runs under the demo's own accounts (web_users, issue #11): the duty
 * officer dismisses, the liaison of the ticket's department 签收, answers and closes.
 */
struct actors {
    struct web_user duty;
    struct web_user liaison[N_OF(topics)]; /* of topics[i].department */
};

/*
 * Pick, from the users of the store (web_user_list: by user name), the first enabled duty
 * officer and the first enabled liaison of each topic's department. Returns 0, ERR_NOT_FOUND
 * (one is missing: a line on stderr says which and how to add it) or the list's error.
 */
static int find_actors(struct web_auth *auth, struct actors *out)
{
    json_t *list = NULL, *u;
    size_t i;
    bool duty = false, liaison[N_OF(topics)] = {false};
    int err = web_user_list(auth, &list);

    if (err) {
        fprintf(stderr, "demo-history: 无法读取用户 (cannot list users): %s\n", yq_strerror(err));
        return err;
    }
    memset(out, 0, sizeof(*out));
    json_array_foreach(list, i, u)
    {
        const char *name = json_string_value(json_object_get(u, "username"));
        const char *role = json_string_value(json_object_get(u, "role"));
        const char *dept = json_string_value(json_object_get(u, "department"));
        if (!name || !role || json_is_true(json_object_get(u, "disabled"))) {
            continue;
        }
        if (!duty && strcmp(role, "duty_officer") == 0) {
            duty = web_user_get(auth, name, &out->duty) == 0;
        }
        for (size_t t = 0; dept && t < N_OF(topics); t++) {
            if (!liaison[t] && strcmp(role, "liaison") == 0 &&
                strcmp(dept, topics[t].department) == 0) {
                liaison[t] = web_user_get(auth, name, &out->liaison[t]) == 0;
            }
        }
    }
    json_decref(list);
    err = 0;
    if (!duty) {
        fprintf(stderr, "demo-history: 没有可用的值班员账号，请先添加 (no duty officer): yuqingctl "
                        "users add --username duty --role duty_officer\n");
        err = ERR_NOT_FOUND;
    }
    for (size_t t = 0; t < N_OF(topics); t++) {
        if (!liaison[t]) {
            fprintf(stderr, "demo-history: %s 没有可用的联络员账号，请先添加 (no liaison of the "
                            "department): yuqingctl users add --role liaison --department %s "
                            "--username NAME\n",
                    topics[t].department, topics[t].department);
            err = ERR_NOT_FOUND;
        }
    }
    return err;
}

/* The number of the ticket event_id was handed over to (into buf). */
static int event_number(struct ticket_store *store, int64_t event_id, char *buf, size_t len)
{
    struct yq_stmt *st = NULL;
    int rc = yq_stmt_prepare(ticket_store_db(store), "SELECT t.number FROM events e JOIN tickets t ON "
                                "t.id = e.ticket_id WHERE e.id = ?", &st);
    if (rc != YQ_DB_OK) {
        return ERR_IO;
    }
    yq_stmt_bind_int64(st, 1, event_id);
    rc = yq_stmt_step(st);
    if (rc == YQ_DB_ROW) {
        snprintf(buf, len, "%s", yq_stmt_column_text(st, 0));
    }
    yq_stmt_finalize(st);
    return rc == YQ_DB_ROW ? 0 : ERR_NOT_FOUND;
}

/*
 * The duty officer's 研判 of event_id as p planned it (merge_into: the topic's previous event,
 * 0 = none: then it is handed over instead).
 */
static int judge(struct ticket_store *store, const struct actors *who, const struct plan *p,
                 int64_t event_id, int64_t merge_into, long *n_actions)
{
    const struct event_actor duty = {.name = who->duty.username, .role = "duty"};
    const char *what = "assign";
    int err = settle_before(store, p->judge);

    if (err) {
        return err;
    }
    if (p->level == YQ_LEVEL_II) {
        what = "confirm";
        err = event_confirm(store, event_id, &duty, "情况属实，确认交办", -1, p->judge);
    } else if (p->outcome == JUDGE_DISMISS) {
        what = "dismiss";
        err = event_dismiss(store, event_id, &duty, p->reason, p->note, -1, p->judge);
    } else if (p->outcome == JUDGE_MERGE && merge_into > 0) {
        what = "merge";
        err = event_merge(store, event_id, &duty, merge_into, 0, "同一事件的后续报道", -1,
                          p->judge);
    } else if (p->outcome == JUDGE_WATCH) {
        what = "watch";
        err = event_watch(store, event_id, &duty, 5, 500, 0, "暂不交办，观察是否发酵", -1,
                          p->judge);
        if (!err) {
            (*n_actions)++;
            what = "dismiss";
            err = settle_before(store, p->dismiss);
        }
        if (!err) {
            err = event_dismiss(store, event_id, &duty, p->reason, p->note, -1, p->dismiss);
        }
    } else {
        err = event_assign(store, event_id, &duty, p->topic->department, NULL, 0, p->level,
                           "情况属实，请牵头核查并按时回应", -1, p->judge, NULL, NULL);
    }
    if (!err) {
        err = settle_before(store, p->judge);
    }
    if (err) {
        fprintf(stderr, "demo-history: %s of event %lld failed: %s\n", what,
                (long long)event_id, yq_strerror(err));
        return err;
    }
    (*n_actions)++;
    return 0;
}

/* Take p through intake, 研判 and the ticket's actions; *event_id: its event. */
static int play(struct ticket_store *store, const struct actors *who, struct plan *p,
                const char *title, long n, int64_t merge_into, int64_t *event_id, long *n_actions)
{
    const struct web_user *liaison = &who->liaison[p->topic - topics];
    struct yq_alert alert;
    struct ticket_intake_result res;
    struct ticket_action a;
    char errbuf[256], number[32], url[128], result[160];
    char *json = alert_json(p, n, title);
    int err;

    if (!json) {
        return ERR_NOMEM;
    }
    err = yq_alert_decode(json, strlen(json), &alert, errbuf, sizeof(errbuf));
    free(json);
    if (err) {
        fprintf(stderr, "demo-history: alert: %s\n", errbuf);
        return err;
    }
    err = settle_before(store, p->detected);
    if (!err) {
        err = ticket_intake_alert(store, &alert, p->detected, &res);
    }
    yq_alert_release(&alert);
    if (!err) {
        err = settle_before(store, p->detected);
    }
    if (err) {
        fprintf(stderr, "demo-history: intake failed: %s\n", yq_strerror(err));
        return err;
    }
    *event_id = res.event_id;
    err = judge(store, who, p, res.event_id, merge_into, n_actions);
    if (err || p->outcome != JUDGE_ASSIGN) {
        return err;
    }
    if (p->level == YQ_LEVEL_II) {
        snprintf(number, sizeof(number), "%s", res.number); /* handed over at intake */
    } else if ((err = event_number(store, res.event_id, number, sizeof(number))) != 0) {
        return err;
    }
    memset(&a, 0, sizeof(a));
    a.number = number;
    if (p->dismiss) {
        a.kind = TICKET_ACT_DISMISS;
        a.actor = who->duty.username;
        a.role = web_role_name(who->duty.role);
        a.reason = p->reason;
        return act(store, &a, p->dismiss, n_actions);
    }
    a.kind = TICKET_ACT_ACK;
    a.actor = liaison->username;
    a.role = web_role_name(liaison->role);
    if ((err = act(store, &a, p->ack, n_actions))) {
        return err;
    }
    a.kind = TICKET_ACT_RESPOND;
    a.channel = p->channel;
    snprintf(url, sizeof(url), "https://www.ankang.gov.cn/Content-%ld.html", 900000 + n);
    a.url = strcmp(p->channel, "答复") == 0 ? NULL : url;
    a.responded_at = p->respond;
    if ((err = act(store, &a, p->respond, n_actions))) {
        return err;
    }
    if (p->press) {
        a.channel = "新闻发布会";
        a.url = NULL;
        a.responded_at = p->press;
        if ((err = act(store, &a, p->press, n_actions))) {
            return err;
        }
    }
    memset(&a, 0, sizeof(a));
    a.number = number;
    a.kind = TICKET_ACT_CLOSE;
    a.actor = liaison->username;
    a.role = web_role_name(liaison->role);
    /* 办结 needs its 处置结果 (the 办结 record) */
    snprintf(result, sizeof(result), "经核查已处置，已通过%s回应，舆情平稳", p->channel);
    a.note = result;
    return act(store, &a, p->close, n_actions);
}

static int already_seeded(struct ticket_store *store, bool *out)
{
    struct yq_stmt *st = NULL;
    int rc = yq_stmt_prepare(ticket_store_db(store), "SELECT EXISTS (SELECT 1 FROM events WHERE event_key LIKE "
                                "'demo-history:%')", &st);
    if (rc != YQ_DB_OK) {
        return ERR_IO;
    }
    rc = yq_stmt_step(st);
    *out = rc == YQ_DB_ROW && yq_stmt_column_int(st, 0) != 0;
    yq_stmt_finalize(st);
    return rc == YQ_DB_ROW ? 0 : ERR_IO;
}

/* The options of demo-history (yq_cli rows), with their defaults. */
struct demo_opts {
    const char *config, *db;
    struct yq_cli_time now;
    struct yq_cli_long seed, months;
};

int demo_history_main(int argc, char **argv)
{
    static const struct yq_cli_opt table[] = {
        YQ_CLI_VALUE("--config", struct demo_opts, config),
        YQ_CLI_VALUE("--db", struct demo_opts, db),
        YQ_CLI_TIME("--now", struct demo_opts, now),
        YQ_CLI_LONG("--seed", struct demo_opts, seed, 0, 0x7fffffffL),
        YQ_CLI_LONG("--months", struct demo_opts, months, 1, 12),
    };
    struct demo_opts o = {.config = "config/notifier.yaml",
                          .now = {.s = yq_time_now()},
                          .seed = {.v = 11},
                          .months = {.v = 3}};
    long n = 0, n_actions = 0, n_outcome[4] = {0, 0, 0, 0};
    int64_t last_event[N_OF(topics)] = {0};
    long n_withdrawn = 0;
    struct notifier_cfg cfg;
    struct ticket_policy policy;
    struct ticket_store *store = NULL;
    struct web_auth *auth = NULL;
    struct yq_sentiment *lex = NULL;
    struct actors who;
    char **titles = NULL, title[256];
    size_t n_titles = 0, cap_titles = 0;
    int64_t now, start, day;
    uint64_t rs;
    char err[512] = "", where[512] = "";
    const char *location = NULL;
    bool seeded = false;
    int y, m, rc = 1;

    rc = yq_cli_parse_cmd("yuqingctl demo-history", usage, argc, argv, 1, table,
                          sizeof(table) / sizeof(table[0]), &o, NULL, 0);
    if (rc) {
        return rc == YQ_CLI_HELP ? 0 : 2;
    }
    rc = 1;
    now = o.now.s;
    if (!getenv("YQ_LOG_LEVEL") && yq_log_level_cur > YQ_LOG_WARN) {
        /* the history's 催办 and migrations are expected: one summary line instead */
        yq_log_level_cur = YQ_LOG_WARN;
    }
    memset(&cfg, 0, sizeof(cfg));
    if (notifier_cfg_load(&cfg, o.config, NULL, 0, err, sizeof(err)) != 0) {
        fprintf(stderr, "demo-history: config: %s\n", err);
        notifier_cfg_release(&cfg);
        return 2;
    }
    if (o.db) {
        char *copy = strdup(o.db);
        if (!copy) {
            goto done;
        }
        free(cfg.store.path);
        cfg.store.path = copy;
        free(cfg.store.url); /* --db replaces store.url too */
        cfg.store.url = NULL;
    }
    location = ticket_store_location(&cfg.store);
    yq_db_redact(location, where, sizeof(where));
    if (yq_store_location_check(location, NULL, 0) != 0) {
        fprintf(stderr, "demo-history: ticket store '%s' does not exist (yuqingctl store init)\n",
                where);
        goto done;
    }
    notifier_cfg_policy(&cfg, &policy);
    /* the plans model the default desk policy: II handed over at intake, the rest judged */
    policy.desk = desk_policy_defaults();
    /* the items' sentiment, as the notifier scores them at intake */
    if (yq_sentiment_open(NULL, &lex, err, sizeof(err)) != 0) {
        fprintf(stderr, "demo-history: sentiment: %s\n", err);
        goto done;
    }
    policy.sentiment = lex;
    if (ticket_store_open(&cfg.store, &store, err, sizeof(err))) {
        fprintf(stderr, "demo-history: %s\n", err);
        goto done;
    }
    ticket_store_set_policy(store, &policy);
    if (already_seeded(store, &seeded) != 0) {
        fprintf(stderr, "demo-history: cannot read the ticket store\n");
        goto done;
    }
    if (seeded) {
        printf("demo history: '%s' already holds it; nothing added\n", where);
        rc = 0;
        goto done;
    }
    if (web_auth_open(&cfg.web.auth, location, &auth, err, sizeof(err)) != 0) {
        fprintf(stderr, "demo-history: %s\n", err);
        goto done;
    }
    if (find_actors(auth, &who) != 0) {
        goto done;
    }
    beijing_month(now, &y, &m);
    start = month_start(y, m - (int)o.months.v);
    rs = (uint64_t)o.seed.v;
    for (day = start; day < now; day += DAY_S) {
        /* about 0.7 posts a day: 0, 1 or 2 */
        int64_t k = rnd(&rs, 0, 9);
        int count = k < 4 ? 0 : k < 9 ? 1 : 2;
        for (int i = 0; i < count; i++) {
            struct plan p;
            int64_t last;
            make_plan(&rs, day, &p);
            if (p.outcome == JUDGE_MERGE && !last_event[p.topic - topics]) {
                p.outcome = JUDGE_DISMISS; /* nothing to merge into yet: a repeat */
                p.dismiss = p.judge;
                p.reason = "duplicate";
            }
            last = p.outcome == JUDGE_MERGE ? p.judge : p.dismiss ? p.dismiss : p.close;
            if (last >= now) {
                continue; /* would still be open: the history holds settled events only */
            }
            n++;
            if (make_title(&p, (uint64_t)o.seed.v, n, &titles, &n_titles, &cap_titles, title,
                           sizeof(title)) != 0 ||
                play(store, &who, &p, title, n, last_event[p.topic - topics],
                     &last_event[p.topic - topics], &n_actions) != 0) {
                goto done;
            }
            n_outcome[p.outcome]++;
            n_withdrawn += p.outcome == JUDGE_ASSIGN && p.dismiss ? 1 : 0;
        }
    }
    printf("demo history: %ld events (%ld handed over: %ld closed, %ld withdrawn; %ld "
           "dismissed, %ld merged, %ld watched), %ld actions\n",
           n, n_outcome[JUDGE_ASSIGN], n_outcome[JUDGE_ASSIGN] - n_withdrawn, n_withdrawn,
           n_outcome[JUDGE_DISMISS], n_outcome[JUDGE_MERGE], n_outcome[JUDGE_WATCH], n_actions);
    rc = 0;
done:
    for (size_t i = 0; i < n_titles; i++) {
        free(titles[i]);
    }
    free(titles);
    web_auth_free(auth);
    ticket_store_free(store);
    yq_sentiment_free(lex);
    notifier_cfg_release(&cfg);
    return rc;
}
