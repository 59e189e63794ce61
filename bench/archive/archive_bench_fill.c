/*
 * Synthetic archive contents (archive_bench_fill.h).
 */
#include "archive_bench_fill.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"

/* The places (地域词) of the example deployment. */
static const char *const places[] = {
    "安康市", "汉滨区", "汉阴县", "石泉县", "宁陕县", "紫阳县", "岚皋县", "平利县",
    "镇坪县", "旬阳市", "白河县", "高新区", "恒口示范区", "瀛湖",
};

/* Policy areas with the lead department a rule about them routes to. */
static const struct {
    const char *area;
    const char *department;
    const char *detail;
} areas[] = {
    {"征地拆迁", "市自然资源局", "补偿款迟迟没有到位，强制拆迁补偿标准不公开"},
    {"乡村振兴", "市乡村振兴局", "产业帮扶项目落地，村集体经济收入增加"},
    {"生态环保", "市生态环境局", "河道排污严重，夜间工厂偷排废水气味刺鼻"},
    {"疫情防控", "市卫生健康委员会", "核酸检测点排队时间长，防控措施调整通知"},
    {"复工复产", "市发展和改革委员会", "企业复工复产用工缺口，稳岗补贴申请流程"},
    {"招商引资", "市发展和改革委员会", "招商引资项目签约，新建产业园区开工"},
    {"行政许可", "市市场监督管理局", "营业执照办理窗口推诿，材料反复提交"},
    {"政府信息公开申请", "市司法局", "依申请公开答复超期，信息公开申请被驳回"},
    {"拖欠工资", "市人力资源和社会保障局", "工地农民工工资被拖欠半年，多次讨薪无果"},
    {"学校食堂", "市教育局", "学生家长反映学校食堂饭菜质量差，收费不透明"},
    {"道路施工", "市交通运输局", "道路施工占道没有围挡，早晚高峰拥堵严重"},
    {"物业纠纷", "市住房和城乡建设局", "小区物业乱收费，业主维权无门，电梯长期故障"},
};

static const char *const openings[] = {
    "网友反映", "有群众投诉", "记者从", "据了解，", "市民留言称", "近日，",
};
static const char *const tails[] = {
    "希望有关部门尽快处理。", "相关部门已介入调查。", "群众纷纷点赞。",
    "此事引发网友热议。", "目前已经整改到位。", "请领导关注！",
};
static const char *const channels_weibo[] = {
    "安康发布", "汉滨身边事", "安康热点", "陕南生活圈", "网友小王",
};
static const char *const channels_rss[] = {
    "安康市人民政府网", "安康日报", "安康新闻网", "华商网安康频道",
};
static const char *const channels_wechat[] = {
    "安康发布", "掌上安康", "汉阴微生活",
};

#define N_OF(x) (sizeof(x) / sizeof((x)[0]))

/* splitmix64: a well-mixed 64-bit value of (seed, i, k). */
static uint64_t mix(uint64_t seed, uint64_t i, uint64_t k)
{
    uint64_t z = seed * 0x9E3779B97F4A7C15ULL + i * 0xBF58476D1CE4E5B9ULL + k * 0x94D049BB133111EBULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static size_t area_of(uint64_t seed, size_t i)
{
    return (size_t)(mix(seed, i, 1) % N_OF(areas));
}

/* Item i of seed published at published_at (the two public forms differ only in that). */
static int make_item(uint64_t seed, size_t i, int64_t published_at, struct yq_item *out)
{
    memset(out, 0, sizeof *out);
    size_t area = area_of(seed, i);
    const char *place = places[mix(seed, i, 2) % N_OF(places)];
    const char *open = openings[mix(seed, i, 3) % N_OF(openings)];
    const char *tail = tails[mix(seed, i, 4) % N_OF(tails)];
    const char *place2 = places[mix(seed, i, 5) % N_OF(places)];
    uint64_t kind = mix(seed, i, 6) % 10;
    const char *source = kind < 3 ? "rss" : kind < 8 ? "weibo" : "wechat";
    const char *channel = kind < 3   ? channels_rss[mix(seed, i, 7) % N_OF(channels_rss)]
                          : kind < 8 ? channels_weibo[mix(seed, i, 7) % N_OF(channels_weibo)]
                                     : channels_wechat[mix(seed, i, 7) % N_OF(channels_wechat)];
    char id[96];
    char url[160];
    char title[512];
    char text[2048];
    char source_id[32];
    if (kind < 3) {
        snprintf(id, sizeof id, "rss:%016" PRIx64 "%016" PRIx64 "%08zx", mix(seed, i, 18),
                 seed, i);
    } else if (kind < 8) {
        snprintf(id, sizeof id, "weibo:%" PRIu64 "%010zu", seed % 100000, i);
    } else {
        snprintf(id, sizeof id, "wx:MzA4MDA0Mz%" PRIu64 ":%zu:1", seed % 1000, i);
    }
    snprintf(url, sizeof url, "https://example.invalid/%s/%zu", source, i);
    snprintf(source_id, sizeof source_id, "%s-%u", source, (unsigned)(mix(seed, i, 8) % 4));
    snprintf(title, sizeof title, "%s%s：%s问题", place, areas[area].area,
             mix(seed, i, 9) % 2 ? "群众关心的" : "");
    snprintf(text, sizeof text, "%s%s%s方面，%s。%s一带也有类似情况，第%zu号诉求。%s", open,
             place, areas[area].area, areas[area].detail, place2, i % 1000, tail);
    out->id = strdup(id);
    out->source = strdup(source);
    out->source_id = strdup(source_id);
    out->channel = strdup(channel);
    out->url = strdup(url);
    out->title = strdup(title);
    out->text = strdup(text);
    out->author = strdup(kind < 3 ? "" : channel);
    if (!out->id || !out->source || !out->source_id || !out->channel || !out->url ||
        !out->title || !out->text || !out->author) {
        yq_item_release(out);
        return ERR_NOMEM;
    }
    out->published_at = published_at;
    out->has_published = true;
    out->precision = "second";
    out->fetched_at = out->published_at + (int64_t)(mix(seed, i, 11) % 3600);
    if (kind >= 3 && kind < 8) {
        out->metrics.known = true;
        out->metrics.reposts = (int64_t)(mix(seed, i, 12) % 500);
        out->metrics.comments = (int64_t)(mix(seed, i, 13) % 300);
        out->metrics.likes = (int64_t)(mix(seed, i, 14) % 2000);
        if (mix(seed, i, 15) % 50 == 0) {
            out->metrics.capped = true;
            out->metrics.likes = 1000000;
        }
    }
    out->local = true;
    return 0;
}

int archive_bench_item_stream(uint64_t seed, size_t i, size_t n_items, int64_t start_s,
                              int64_t days, struct yq_item *out)
{
    int64_t span_s = (days < 1 ? 1 : days) * 86400;
    if (n_items <= i) {
        n_items = i + 1;
    }
    int64_t t = start_s + (int64_t)((double)span_s * (double)i / (double)n_items) +
                (int64_t)(mix(seed, i, 10) % 3600);
    if (t >= start_s + span_s) {
        t = start_s + span_s - 1;
    }
    return make_item(seed, i, t, out);
}

int archive_bench_item_uniform(uint64_t seed, size_t i, int64_t start_s, int64_t days,
                               struct yq_item *out)
{
    int64_t span_s = (days < 1 ? 1 : days) * 86400;
    return make_item(seed, i, start_s + (int64_t)(mix(seed, i, 10) % (uint64_t)span_s), out);
}

/* The alert of item it (area: its policy area): one match of rule bench-<area>. */
static int make_alert(const struct yq_item *it, size_t area, uint64_t seed, size_t i,
                      struct yq_alert *al)
{
    memset(al, 0, sizeof *al);
    char key[96];
    char rule[64];
    snprintf(key, sizeof key, "ev:bench-%zu-%lld", area, (long long)(it->published_at / 86400));
    snprintf(rule, sizeof rule, "bench-%zu", area);
    al->event_key = strdup(key);
    al->matches = calloc(1, sizeof *al->matches);
    if (!al->event_key || !al->matches) {
        yq_alert_release(al);
        return ERR_NOMEM;
    }
    al->n_matches = 1;
    struct yq_alert_match *m = &al->matches[0];
    m->rule_id = strdup(rule);
    m->name = strdup(areas[area].area);
    m->group = strdup(areas[area].area);
    m->department = strdup(areas[area].department);
    m->level = (enum yq_level)(2 + mix(seed, i, 16) % 3);
    al->level = m->level;
    al->department = strdup(areas[area].department);
    al->rules_version = 1;
    al->matched_at = it->fetched_at + 5;
    al->event_new = true;
    al->event_items = 1;
    if (!m->rule_id || !m->name || !m->group || !m->department || !al->department ||
        yq_item_copy(&al->item, it) != 0) {
        yq_alert_release(al);
        return ERR_NOMEM;
    }
    return 0;
}

int archive_bench_fill(struct archive *a, size_t n_items, int64_t start_s, int64_t days,
                       uint64_t seed, char *errbuf, size_t errlen)
{
    struct yq_item *items = calloc(ARCHIVE_BENCH_BATCH, sizeof *items);
    struct yq_alert *alerts = calloc(ARCHIVE_BENCH_BATCH, sizeof *alerts);
    const struct yq_item **ip = calloc(ARCHIVE_BENCH_BATCH, sizeof *ip);
    const struct yq_alert **ap = calloc(ARCHIVE_BENCH_BATCH, sizeof *ap);
    int err = items && alerts && ip && ap ? 0 : ERR_NOMEM;
    for (size_t base = 0; err == 0 && base < n_items; base += ARCHIVE_BENCH_BATCH) {
        size_t n = n_items - base < ARCHIVE_BENCH_BATCH ? n_items - base : ARCHIVE_BENCH_BATCH;
        size_t n_al = 0;
        size_t made = 0;
        for (; err == 0 && made < n; made++) {
            size_t i = base + made;
            err = archive_bench_item_stream(seed, i, n_items, start_s, days, &items[made]);
            ip[made] = &items[made];
            if (err == 0 && mix(seed, i, 17) % 5 == 0) {
                err = make_alert(&items[made], area_of(seed, i), seed, i, &alerts[n_al]);
                if (err == 0) {
                    ap[n_al] = &alerts[n_al];
                    n_al++;
                }
            }
        }
        if (err == 0) {
            err = archive_put(a, (const struct yq_item *const *)ip, n,
                              (const struct yq_alert *const *)ap, n_al, NULL, errbuf, errlen);
        } else if (errbuf && errlen) {
            snprintf(errbuf, errlen, "bench fill: out of memory");
        }
        for (size_t k = 0; k < made; k++) {
            yq_item_release(&items[k]);
        }
        for (size_t k = 0; k < n_al; k++) {
            yq_alert_release(&alerts[k]);
        }
    }
    if (err == ERR_NOMEM && !(items && alerts && ip && ap) && errbuf && errlen) {
        snprintf(errbuf, errlen, "bench fill: out of memory");
    }
    free(items);
    free(alerts);
    free(ip);
    free(ap);
    return err;
}
