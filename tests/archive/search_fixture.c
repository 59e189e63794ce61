#include "search_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_alert.h"
#include "yq_item.h"

struct sample {
    const char *id, *source, *source_id, *channel, *title, *text;
    int64_t hours;                    /* published at BASE + hours * 3600 */
    int64_t reposts, comments, likes; /* metrics; all 0 = none */
    const char *rule, *group, *department, *event;
};

static const struct sample samples[SEARCH_FIXTURE_ITEMS] = {
    {"weibo:1001", "weibo", "wb-hanbin", "汉滨区网友", "",
     "安康市汉滨区征地补偿款迟迟未发放，村民多次反映", -1, 50, 20, 100, "land-01", "征地拆迁",
     "市自然资源局", "ev:E1"},
    {"rss:a2", "rss", "rss-ankang-news", "安康新闻网", "旬阳：拆迁户反映补偿标准偏低",
     "记者走访发现，部分拆迁户对征地补偿标准有意见。", -2, 0, 0, 0, NULL, NULL, NULL, NULL},
    {"wx:b:1:1", "wechat", "wx-xunyang", "旬陽生活", "旬陽縣徵地補償爭議持續",
     "多名村民就徵地補償問題向有關部門反映。", -3, 5, 5, 5, NULL, NULL, NULL, NULL},
    {"rss:a4", "rss", "rss-ankang-news", "安康新闻网", "全市征地工作会议召开",
     "会议强调依法依规推进征地工作，做好群众工作，各项安置与补偿政策另行公布。", -4, 0, 0, 0, NULL,
     NULL, NULL, NULL},
    {"weibo:1005", "weibo", "wb-ads", "招聘小助手", "", "招聘：征地补偿政策咨询专员，月薪面议", -5,
     0, 0, 1, NULL, NULL, NULL, NULL},
    {"rss:a6", "rss", "rss-ankang-news", "安康新闻网", "=HYPERLINK(\"http://evil\")",
     "含逗号,和\"引号\"的正文\n第二行 征地补偿", -6, 0, 0, 0, NULL, NULL, NULL, NULL},
    {"weibo:1007", "weibo", "wb-hanbin", "汉滨区网友", "", "小区ＷｉＦｉ信号差，物业不管", -7, 0, 0,
     0, "prop-01", "物业", "市住建局", "ev:E7"},
    {"rss:a8", "rss", "rss-ankang-news", "安康新闻网", "去年征地补偿纠纷回顾",
     "回顾去年征地补偿纠纷的处理。", -960, 0, 0, 0, NULL, NULL, NULL, NULL},
};

static char *sdup(const char *s)
{
    char *d = s ? strdup(s) : NULL;
    assert_true(!s || d);
    return d;
}

static void make_item(const struct sample *s, struct yq_item *it)
{
    const int64_t published_at = SEARCH_FIXTURE_BASE + s->hours * 3600;
    const struct yq_item borrowed = {
        .id = (char *)s->id, .source = (char *)s->source, .source_id = (char *)s->source_id,
        .channel = (char *)s->channel, .url = "https://example.org/post",
        .title = (char *)s->title, .text = (char *)s->text, .author = (char *)s->channel,
        .has_published = true, .published_at = published_at, .precision = "second",
        .fetched_at = published_at + 60,
        .metrics = {.known = s->reposts || s->comments || s->likes, .reposts = s->reposts,
                    .comments = s->comments, .likes = s->likes}};

    assert_int_equal(yq_item_copy(it, &borrowed), 0);
}

static void make_alert(const struct sample *s, struct yq_alert *al)
{
    memset(al, 0, sizeof(*al));
    make_item(s, &al->item);
    al->event_key = sdup(s->event);
    al->event_new = true;
    al->event_items = 1;
    al->rules_version = 3;
    al->matched_at = al->item.fetched_at + 5;
    al->level = strcmp(s->rule, "land-01") == 0 ? YQ_LEVEL_III : YQ_LEVEL_IV;
    al->department = sdup(s->department);
    al->n_matches = 1;
    al->matches = calloc(1, sizeof(*al->matches));
    assert_non_null(al->matches);
    al->matches[0].rule_id = sdup(s->rule);
    al->matches[0].name = sdup(s->rule);
    al->matches[0].group = sdup(s->group);
    al->matches[0].department = sdup(s->department);
    al->matches[0].level = al->level;
}

void search_fixture_open(struct archive_fixture *f)
{
    struct yq_item items[SEARCH_FIXTURE_ITEMS];
    struct yq_alert alerts[SEARCH_FIXTURE_ITEMS];
    const struct yq_item *ip[SEARCH_FIXTURE_ITEMS];
    const struct yq_alert *ap[SEARCH_FIXTURE_ITEMS];
    struct archive_put_result res;
    size_t n_alerts = 0;
    char err[512] = "";

    archive_fixture_open(f);
    for (size_t i = 0; i < SEARCH_FIXTURE_ITEMS; i++) {
        make_item(&samples[i], &items[i]);
        ip[i] = &items[i];
        if (samples[i].rule) {
            make_alert(&samples[i], &alerts[n_alerts]);
            ap[n_alerts] = &alerts[n_alerts];
            n_alerts++;
        }
    }
    memset(&res, 0, sizeof(res));
    if (archive_put(f->a, ip, SEARCH_FIXTURE_ITEMS, ap, n_alerts, &res, err, sizeof(err)) != 0) {
        fail_msg("archive_put: %s", err);
    }
    assert_int_equal(res.items_new, SEARCH_FIXTURE_ITEMS);
    assert_int_equal(res.matches_new, n_alerts);
    for (size_t i = 0; i < SEARCH_FIXTURE_ITEMS; i++) {
        yq_item_release(&items[i]);
    }
    for (size_t i = 0; i < n_alerts; i++) {
        yq_alert_release(&alerts[i]);
    }
}
