/*
 * The server the browser tests drive: the web layer over the in-memory ticket store, with
 * seeded departments and users and one fixture route (POST /test/tickets adds a ticket, as a
 * new alert would). Prints "port N" on stdout when ready; stops on SIGTERM/SIGINT.
 * With --stats-fixture the same database also gets a real ticket store with the history of
 * stats_fixture.h in the previous Beijing-time month, for the statistics page (/stats), and
 * --calendar DIR loads the working-day calendar (config/calendar) the statistics use.
 * POST /test/desk seeds the duty officer's desk (issue #13) once: events through the real
 * intake with the default policy (level III/IV wait as 待研判, level II is handed over at once
 * as 交办待确认) and the officer's actions (event_flow.h: two 持续关注, one 不予处置, one 并入),
 * then a new item that brings one watched event back (重新浮现), with one item whose title and
 * author are hostile markup; it answers {"events":{name: id}}.
 * POST /test/intake {"kafka": bool, "store": bool, "since_ms": N} sets the notifier's intake
 * flags (notifier_dep_set(), either or both) as of since_ms, for the duty page's banner.
 * usage: web_test_server --db PATH [--port N] [--stats-fixture] [--calendar DIR]
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "yq_db.h"

#include "desk_policy.h"
#include "event_flow.h"
#include "stats.h"
#include "stats_fixture.h"
#include "test_server.h"
#include "ticket_fixture.h"
#include "ticket_intake.h"
#include "web.h"
#include "web_notifier_ctx.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_json.h"
#include "yq_sentiment.h"
#include "workcal.h"
#include "yq_log.h"
#include "yq_time.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                                             MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;
    MHD_add_response_header(r, "Content-Type", "application/json");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* ------------------------------------------------------------------ the desk's seed */

/* One item of a seeded event: when it was matched (seconds before the seed), where from. */
struct seed_item {
    const char *source, *source_id, *channel, *author, *title, *text, *url, *region;
    int64_t ago_s, reposts, comments, likes;
};

/* A seeded event: its name in the answer, the rule that matched and the items. */
struct seed_event {
    const char *name, *level, *department, *rule_id, *rule_name, *group;
    const struct seed_item *items;
    size_t n_items;
};

#define H 3600
#define HOSTILE_TITLE                                                                              \
    "业主晒出收费单<img src=x onerror=alert(1)><script>window.__yqPwned=1</script>"

/* 汉滨区 property fees: the event page's data (hours, platforms, accounts, the hostile item). */
static const struct seed_item property_items[] = {
    {"weibo", "weibo-hanbin", "安康身边事", "江北居民小王",
     "汉滨区江北街道某小区业主集中反映物业乱收费",
     "业主反映物业公司巧立名目收取电梯费、停车费，投诉多次无人处理，大家很气愤。",
     "https://weibo.example/ak/7001", "汉滨区", 5 * H, 120, 46, 310},
    {"weibo", "weibo-hanbin", "安康身边事", "江北居民小王",
     "物业乱收费追踪：业主代表今天再去物业办公室", "物业经理拒绝公开收费依据，业主不满。",
     "https://weibo.example/ak/7002", "汉滨区", 4 * H, 35, 12, 88},
    {"rss", "ankang-forum", "安康论坛 · 民生问政", "汉滨业主",
     "江北某小区物业费一年涨三次，谁来管？", "物业费上涨没有经过业主大会，质疑违规。",
     "http://forum.ankang.example/thread-990101-1-1.html", "汉滨区", 3 * H, 0, 27, 15},
    {"wechat", "ankang-life", "安康生活圈", "安康生活圈", "业主投诉物业乱收费 街道：已介入调查",
     "街道办表示已约谈物业公司。", "https://mp.weixin.example/s/pf01", "汉滨区", 2 * H, 64, 9, 120},
    {"weibo", "weibo-hanbin", "安康身边事", "<b>网友甲</b>", HOSTILE_TITLE,
     "收费单照片在网上流传，多名业主表示不满。", "https://weibo.example/ak/7003", "汉滨区", 1 * H,
     18, 7, 40},
    {"rss", "ankang-news", "安康新闻网", "记者 刘洋", "江北街道回应物业收费问题：将组织业主协商",
     "街道表示将依法核查收费项目。", "https://news.ankang.example/2026/pf.html", "汉滨区", 1800, 5,
     2, 9},
};
/* the same complaint seen earlier in another thread: merged into the event above */
static const struct seed_item property_dup_items[] = {
    {"rss", "ankang-forum", "安康论坛 · 民生问政", "老住户", "江北小区物业乱收费，业主群里炸锅了",
     "物业收费不透明，业主要求公示。", "http://forum.ankang.example/thread-990155-1-1.html",
     "汉滨区", 6 * H, 0, 14, 6},
};
static const struct seed_item canteen_items[] = {
    {"weibo", "weibo-xunyang", "旬阳微生活", "家长李女士", "旬阳市一学校食堂饭菜质量遭家长质疑",
     "家长晒出饭菜照片，称分量少、质量差，孩子吃不饱。", "https://weibo.example/xy/3301", "旬阳市",
     2 * H, 80, 41, 150},
    {"wechat", "xunyang-today", "今日旬阳", "今日旬阳", "家长反映学校食堂问题 教育局回应将调查",
     "教育局表示已派人核查。", "https://mp.weixin.example/s/st02", "旬阳市", 1 * H, 22, 5, 60},
};
/* a parents' group screenshot of the same canteen: 并入 the canteen's ticket in the browser test */
static const struct seed_item canteen_dup_items[] = {
    {"wechat", "xunyang-parents", "旬阳家长圈", "家长群", "学校食堂饭菜照片在家长群流传",
     "多位家长转发饭菜照片。", "https://mp.weixin.example/s/st09", "旬阳市", 30 * 60, 10, 3, 12},
};
static const struct seed_item scenic_items[] = {
    {"wechat", "shiquan-travel", "石泉旅游", "游客张先生", "石泉县某景区门票涨价引游客不满",
     "游客称门票由60元涨到98元，未见公示。", "https://mp.weixin.example/s/sq03", "石泉县", 40 * 60,
     12, 8, 30},
};
static const struct seed_item streetlight_items[] = {
    {"rss", "ankang-forum", "安康论坛 · 民生问政", "汉阴夜跑者", "汉阴县城南路段路灯不亮已一周",
     "夜间出行不便，存在安全隐患。", "http://forum.ankang.example/thread-990302-1-1.html", "汉阴县",
     3 * H, 0, 6, 3},
};
static const struct seed_item tea_items[] = {
    {"weibo", "weibo-pingli", "平利发布厅", "茶农老陈", "平利县部分茶农反映今年茶叶收购价偏低",
     "茶农担心收入下降。", "https://weibo.example/pl/5101", "平利县", 90 * 60, 9, 11, 25},
};
static const struct seed_item metro_items[] = {
    {"weibo", "weibo-hot", "微博热搜", "网友", "外地某市地铁早高峰故障 乘客滞留",
     "与本地无关的外地新闻被关键词命中。", "https://weibo.example/hot/8801", "", 50 * 60, 300, 120,
     900},
};
static const struct seed_item storm_items[] = {
    {"weibo", "weibo-langao", "岚皋发布", "岚皋网友", "岚皋县暴雨致道路塌方 多车被困",
     "网友称县道多处塌方，有车辆被困，请求救援。", "https://weibo.example/lg/6601", "岚皋县",
     25 * 60, 260, 88, 540},
    {"wechat", "langao-fabu", "岚皋发布", "岚皋发布", "关于县道塌方路段交通管制的通告",
     "已组织力量抢通。", "https://mp.weixin.example/s/lg04", "岚皋县", 10 * 60, 90, 20, 200},
};
static const struct seed_item wages_items[] = {
    {"rss", "ankang-forum", "安康论坛 · 民生问政", "白河务工人员", "白河县某企业拖欠农民工工资",
     "二十余名工人被拖欠工资三个月。", "http://forum.ankang.example/thread-990410-1-1.html",
     "白河县", 8 * H, 0, 33, 12},
};
/* watched 5 h ago with a 1 h quiet period; its late item (below) brings it back (重新浮现) */
static const struct seed_item bridge_items[] = {
    {"rss", "ankang-forum", "安康论坛 · 民生问政", "紫阳网友", "紫阳县汉江大桥桥面出现裂缝",
     "网友担心桥梁安全。", "http://forum.ankang.example/thread-990520-1-1.html", "紫阳县", 9 * H, 0,
     21, 9},
};
static const struct seed_item bridge_late_items[] = {
    {"weibo", "weibo-ziyang", "紫阳身边事", "紫阳网友乙", "汉江大桥裂缝又有新照片",
     "裂缝似乎变长了。", "https://weibo.example/zy/2201", "紫阳县", 15 * 60, 33, 17, 80},
};
static const struct seed_item rumor_items[] = {
    {"weibo", "weibo-hot", "微博同城", "匿名用户", "网传安康城区下月起单双号限行",
     "消息未注明来源。", "https://weibo.example/ak/9901", "汉滨区", 7 * H, 40, 15, 70},
};

/* the departments the seed routes to (registered at start, as 交办 needs known ones) */
static const char *const desk_departments[] = {
    "市住房和城乡建设局",     "市教育局",     "市文化和旅游局",
    "市农业农村局",           "市交通运输局", "市应急管理局",
    "市人力资源和社会保障局", "市公安局",     "市市场监督管理局",
};

#define SEED(name, level, dept, rule, rname, group, items)                                         \
    {                                                                                              \
        name, level, dept, rule, rname, group, items, sizeof(items) / sizeof(items[0])             \
    }

static const struct seed_event seed_events[] = {
    SEED("property", "III", "市住房和城乡建设局", "property-fee", "物业收费", "物业服务",
         property_items),
    SEED("property_dup", "IV", "市住房和城乡建设局", "property-fee", "物业收费", "物业服务",
         property_dup_items),
    SEED("canteen", "III", "市教育局", "school-food", "校园食品安全", "食品安全", canteen_items),
    SEED("canteen_dup", "IV", "市教育局", "school-food", "校园食品安全", "食品安全",
         canteen_dup_items),
    SEED("scenic", "IV", "市文化和旅游局", "ticket-price", "景区价格", "旅游市场", scenic_items),
    SEED("streetlight", "IV", "市住房和城乡建设局", "street-light", "市政设施", "城市管理",
         streetlight_items),
    SEED("tea", "IV", "市农业农村局", "farm-price", "农产品价格", "三农", tea_items),
    SEED("metro", "IV", "市交通运输局", "metro", "轨道交通", "交通出行", metro_items),
    SEED("storm", "II", "市应急管理局", "disaster-flood", "暴雨洪涝", "自然灾害", storm_items),
    SEED("wages", "III", "市人力资源和社会保障局", "wage-arrears", "拖欠工资", "劳动保障",
         wages_items),
    SEED("bridge", "IV", "市交通运输局", "bridge-safety", "桥梁安全", "城市管理", bridge_items),
    SEED("rumor", "IV", "市公安局", "traffic-rule", "交通管理", "交通出行", rumor_items),
};

/* Record one seeded item through the real intake (the alert as the matcher writes it). */
static int seed_intake(struct ticket_store *store, const struct seed_event *e,
                       const struct seed_item *it, int64_t now)
{
    int64_t at = now - it->ago_s;
    char key[64], item_id[64], matched[32], published[32];
    struct ticket_intake_result res;
    struct yq_alert a;
    char *buf, err[256];
    json_t *alert;
    int rc;

    snprintf(key, sizeof(key), "desk:%s", e->name);
    snprintf(item_id, sizeof(item_id), "%s:desk-%s-%lld", it->source, e->name,
             (long long)it->ago_s);
    yq_time_format_utc(at, matched, sizeof(matched));
    yq_time_format_utc(at - 300, published, sizeof(published));
    alert =
        json_pack("{s:i,s:s,s:{s:b,s:i},s:i,s:s,s:f,s:s,s:s,"
                  "s:[{s:s,s:s,s:s,s:s,s:s,s:[]}],"
                  "s:{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:I,s:I,s:I},s:s}}",
                  "schema", 1, "event_key", key, "event", "new", 1, "items", 1, "rules_version", 1,
                  "matched_at", matched, "score", 40.0, "level", e->level, "department",
                  e->department, "matches", "rule_id", e->rule_id, "name", e->rule_name, "group",
                  e->group, "department", e->department, "level", e->level, "terms", "item",
                  "schema", 1, "id", item_id, "source", it->source, "source_id", it->source_id,
                  "channel", it->channel, "url", it->url, "title", it->title, "text", it->text,
                  "author", it->author, "published_at", published, "published_precision", "second",
                  "fetched_at", matched, "metrics", "reposts", (json_int_t)it->reposts, "comments",
                  (json_int_t)it->comments, "likes", (json_int_t)it->likes, "region", it->region);
    buf = alert ? yq_json_dumps(alert, JSON_COMPACT) : NULL;
    json_decref(alert);
    if (!buf) {
        return ERR_NOMEM;
    }
    rc = yq_alert_decode(buf, strlen(buf), &a, err, sizeof(err));
    free(buf);
    if (rc) {
        fprintf(stderr, "web_test_server: seed alert: %s\n", err);
        return rc;
    }
    rc = ticket_intake_alert(store, &a, at, &res);
    yq_alert_release(&a);
    return rc;
}

/* The sentiment lexicon the seed's intake scores with (borrowed by the store's policy until
 * the server stops; freed in main()). */
static struct yq_sentiment *seed_lexicon;

/* The index in seed_events[] of the event called name (one of the table's names). */
static size_t seed_index(const char *name)
{
    size_t i = 0;

    while (i + 1 < sizeof(seed_events) / sizeof(seed_events[0]) &&
           strcmp(seed_events[i].name, name) != 0) {
        i++;
    }
    return i;
}

/* The id of the event with key "desk:<name>", or 0. */
static int64_t seed_event_id(struct ticket_store *store, const char *name)
{
    struct yq_stmt *st = NULL;
    char key[64];
    int64_t id = 0;

    snprintf(key, sizeof(key), "desk:%s", name);
    if (yq_stmt_prepare(ticket_store_db(store), "SELECT id FROM events WHERE event_key = ?", &st) == YQ_DB_OK &&
        yq_stmt_bind_text(st, 1, key) == YQ_DB_OK &&
        yq_stmt_step(st) == YQ_DB_ROW) {
        id = yq_stmt_column_int64(st, 0);
    }
    yq_stmt_finalize(st);
    return id;
}

/*
 * Seed the desk (once): every event's items through the intake, oldest first, then the
 * officer's decisions as the duty officer duty1 would take them. Answers {"events":{name:
 * id}} in *out (caller frees) or returns an error (ERR_BAD_STATE: seeded before).
 */
static int seed_desk(struct ticket_fixture *ft, char **out)
{
    struct web_notifier_ctx *ctx = ticket_fixture_ctx(ft);
    static const struct event_actor duty = {.name = "duty1", .role = "duty"};
    static struct ticket_policy desk_default, fixture_policy;
    char err[256];
    static bool seeded;
    int64_t now = yq_time_now(), ids[sizeof(seed_events) / sizeof(seed_events[0])];
    json_t *answer, *events;
    int rc = 0;

    pthread_mutex_lock(ctx->lock);
    if (seeded) {
        pthread_mutex_unlock(ctx->lock);
        return ERR_BAD_STATE;
    }
    seeded = true;
    /* the desk's default policy for the seed's intake (levels I and II handed over at once),
     * then back to the fixture's (every level handed over: the other tests' alerts are
     * tickets); both borrowed by the store, hence static */
    desk_default.desk = desk_policy_defaults();
    fixture_policy.desk = desk_policy_hand_over_all();
    /* items scored with the shipped lexicon, as the notifier does (the event page's 负面占比) */
    if (!seed_lexicon && yq_sentiment_open(NULL, &seed_lexicon, err, sizeof(err)) != 0) {
        fprintf(stderr, "web_test_server: sentiment: %s\n", err);
    }
    desk_default.sentiment = seed_lexicon;
    ticket_store_set_policy(ctx->writer, &desk_default);
    for (size_t i = 0; i < sizeof(seed_events) / sizeof(seed_events[0]) && !rc; i++) {
        const struct seed_event *e = &seed_events[i];
        for (size_t k = 0; k < e->n_items && !rc; k++) {
            rc = seed_intake(ctx->writer, e, &e->items[k], now);
        }
        ids[i] = rc ? 0 : seed_event_id(ctx->writer, e->name);
        if (!rc && ids[i] == 0) {
            fprintf(stderr, "web_test_server: seed: no event for %s\n", e->name);
            rc = ERR_INVALID;
        }
    }
    ticket_store_set_policy(ctx->writer, &fixture_policy);
    if (!rc) {
        rc = event_merge(ctx->writer, ids[seed_index("property_dup")], &duty,
                         ids[seed_index("property")], 0, "同一小区的物业收费问题", -1,
                         now - 20 * 60);
    }
    if (!rc) {
        rc = event_watch(ctx->writer, ids[seed_index("wages")], &duty, 20, 0, 2 * H,
                         "等待人社部门核实，量大再交办", -1, now - 6 * H);
    }
    if (!rc) {
        rc = event_dismiss(ctx->writer, ids[seed_index("rumor")], &duty, "false_alarm",
                           "交警部门已辟谣，无限行计划", -1, now - 5 * H);
    }
    if (!rc) {
        rc = event_watch(ctx->writer, ids[seed_index("bridge")], &duty, 0, 0, H,
                         "等待交通部门检测结论", -1, now - 5 * H);
    }
    if (!rc) { /* a new item after the quiet period: back to 待研判 (重新浮现) */
        ticket_store_set_policy(ctx->writer, &desk_default);
        rc = seed_intake(ctx->writer, &seed_events[seed_index("bridge")], &bridge_late_items[0],
                         now);
        ticket_store_set_policy(ctx->writer, &fixture_policy);
    }
    pthread_mutex_unlock(ctx->lock);
    if (rc) {
        fprintf(stderr, "web_test_server: seed: error %d\n", rc);
        return rc;
    }
    answer = json_object();
    events = json_object();
    for (size_t i = 0; i < sizeof(seed_events) / sizeof(seed_events[0]); i++) {
        json_object_set_new(events, seed_events[i].name, json_integer(ids[i]));
    }
    json_object_set_new(answer, "events", events);
    *out = yq_json_dumps(answer, JSON_COMPACT);
    json_decref(answer);
    return *out ? 0 : ERR_NOMEM;
}

static enum MHD_Result fixture(void *cls, struct MHD_Connection *c, const char *url,
                               const char *method, const char *body, size_t len)
{
    struct ticket_fixture *ft = cls;
    char number[32], out[64];
    json_t *spec;

    if (strcmp(url, "/test/desk") == 0 && strcmp(method, "POST") == 0) {
        char *answer = NULL;
        enum MHD_Result ret;
        int rc = seed_desk(ft, &answer);

        if (rc) {
            return reply(c, rc == ERR_BAD_STATE ? 409 : 500, "{\"error\":\"seed\"}");
        }
        ret = reply(c, 201, answer);
        free(answer);
        return ret;
    }
    if (strcmp(url, "/test/intake") == 0 && strcmp(method, "POST") == 0) {
        /* {"kafka"|"store": true|false, "since_ms": N}: the notifier's flags, as its threads set
         * them */
        json_t *v = body ? json_loadb(body, len, 0, NULL) : NULL;
        json_int_t since = json_integer_value(json_object_get(v, "since_ms"));
        json_t *k = json_object_get(v, "kafka"), *s = json_object_get(v, "store");

        if (!json_is_object(v) || since <= 0 || (k && !json_is_boolean(k)) ||
            (s && !json_is_boolean(s))) {
            json_decref(v);
            return reply(c, 400, "{\"error\":\"invalid\"}");
        }
        if (k) {
            notifier_dep_set(&ft->metrics.kafka_up, json_is_true(k), since);
        }
        if (s) {
            notifier_dep_set(&ft->metrics.store_up, json_is_true(s), since);
        }
        json_decref(v);
        return reply(c, 200, "{}");
    }
    if (strcmp(url, "/test/tickets") != 0 || strcmp(method, "POST") != 0) {
        return reply(c, 404, "{\"error\":\"not_found\"}");
    }
    spec = body ? json_loadb(body, len, 0, NULL) : NULL;
    if (!json_is_object(spec) || ticket_fixture_add(ft, spec, number) != 0) {
        json_decref(spec);
        return reply(c, 400, "{\"error\":\"invalid\"}");
    }
    json_decref(spec);
    snprintf(out, sizeof(out), "{\"number\":\"%s\"}", number);
    return reply(c, 201, out);
}

static bool is_working_day(const void *ctx, int64_t day)
{
    return workcal_is_working_day(ctx, day);
}

int main(int argc, char **argv)
{
    const char *db = NULL, *calendar_dir = NULL;
    bool stats_fixture = false;
    struct workcal *cal = NULL;
    struct stats_calendar stats_cal = {is_working_day, NULL};
    unsigned port = 0;
    struct web_cfg cfg;
    struct ticket_fixture *ft;
    struct test_server *srv;
    struct web_auth *a;
    struct web *w;
    char err[256] = "";
    static const struct {
        const char *name, *display, *dept, *pass;
        enum web_role role;
    } users[] = {
        {"admin", "管理员", NULL, "admin-password-1", WEB_ROLE_ADMIN},
        {"duty1", "值班员甲", NULL, "duty-password-1", WEB_ROLE_DUTY},
        {"liaison-a", "自然资源局联络员", "市自然资源局", "liaison-password-a", WEB_ROLE_LIAISON},
        {"liaison-b", "生态环境局联络员", "市生态环境局", "liaison-password-b", WEB_ROLE_LIAISON},
    };

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            db = argv[++i];
        } else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
            port = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--calendar") == 0 && i + 1 < argc) {
            calendar_dir = argv[++i];
        } else if (strcmp(argv[i], "--stats-fixture") == 0) {
            stats_fixture = true;
        } else {
            fprintf(stderr, "usage: web_test_server --db PATH [--port N] [--stats-fixture] "
                            "[--calendar DIR]\n");
            return 2;
        }
    }
    if (!db) {
        fprintf(stderr, "web_test_server: --db is required\n");
        return 2;
    }
    yq_log_init("web_test_server", YQ_LOG_INFO);
    cal = workcal_new();
    if (!cal || (calendar_dir && workcal_load_dir(cal, calendar_dir, err, sizeof(err)) != 0)) {
        fprintf(stderr, "web_test_server: calendar: %s\n", err);
        workcal_free(cal);
        return 1;
    }
    stats_cal.ctx = cal;
    if (stats_fixture) {
        int y, m;
        stats_previous_month(yq_time_now(), &y, &m);
        if (stats_fixture_build(db, cal, y, m, err, sizeof(err)) != 0) {
            fprintf(stderr, "web_test_server: %s\n", err);
            workcal_free(cal);
            return 1;
        }
    }
    memset(&cfg, 0, sizeof(cfg));
    if (cfg_fill(web_cfg_keys, &cfg, NULL, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "web_test_server: %s\n", err);
        return 1;
    }
    cfg.sources_enabled = false;
    cfg.rules_enabled = false;
    cfg.sse_poll_ms = 200;
    cfg.auth.pwhash_opslimit = 1;
    cfg.auth.pwhash_memlimit = 8192;
    cfg.auth.login_max_failures = 5;
    cfg.calendar = &stats_cal;
    ft = ticket_fixture_new();
    w = web_new(&cfg, db, ticket_fixture_ops, ticket_fixture_ctx(ft), err, sizeof(err));
    if (!w) {
        fprintf(stderr, "web_test_server: %s\n", err);
        return 1;
    }
    a = web_get_auth(w);
    web_department_add(a, "市自然资源局", "张局长", yq_time_now());
    web_department_add(a, "市生态环境局", "李局长", yq_time_now());
    web_department_add(a, "市水务局", "", yq_time_now());
    for (size_t i = 0; i < sizeof(desk_departments) / sizeof(desk_departments[0]); i++) {
        web_department_add(a, desk_departments[i], "", yq_time_now());
    }
    for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
        web_user_add(a, users[i].name, users[i].display, users[i].role, users[i].dept,
                     users[i].pass, false, yq_time_now(), NULL, err, sizeof(err));
    }
    srv = test_server_start(w, port, fixture, ft);
    if (!srv) {
        fprintf(stderr, "web_test_server: cannot listen\n");
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("port %u\n", test_server_port(srv));
    fflush(stdout);
    while (!stop) {
        usleep(100 * 1000);
    }
    test_server_stop(srv);
    web_free(w);
    ticket_fixture_free(ft);
    yq_sentiment_free(seed_lexicon);
    cfg_release(web_cfg_keys, &cfg);
    workcal_free(cal);
    return 0;
}
