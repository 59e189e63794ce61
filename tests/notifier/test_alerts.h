/*
 * Alert fixtures shared by the notifier tests: alerts are written as the JSON the matcher
 * produces and decoded with yq_alert_decode(), so the tests go through the real decoder.
 */
#ifndef TEST_NOTIFIER_ALERTS_H
#define TEST_NOTIFIER_ALERTS_H

#include <stdio.h>
#include <string.h>

#include "yq_alert.h"

struct test_alert_spec {
    const char *event_key;
    const char *item_id;
    const char *title; /* JSON-escaped already */
    const char *url;
    const char *level;        /* "I".."IV" */
    const char *matched_at;   /* RFC 3339 */
    const char *published_at; /* RFC 3339 or NULL */
    double score;
};

/*
 * The land-compensation alert most notifier tests start from (its title and URL), as a
 * struct test_alert_spec initialiser: event key, item id, level, matched_at, published_at
 * (NULL: none) and score as given.
 */
#define TEST_ALERT_LAND(key, item, lvl, matched, published, scr)                                   \
    {                                                                                              \
        .event_key = (key), .item_id = (item), .title = "汉滨区征地补偿款迟迟未发放",              \
        .url = "https://news.example.cn/a/1.html", .level = (lvl), .matched_at = (matched),        \
        .published_at = (published), .score = (scr),                                               \
    }

/* Write the alert JSON of s into buf (len bytes). Returns buf. */
static inline char *test_alert_json(const struct test_alert_spec *s, char *buf, size_t len)
{
    char published[64];
    if (s->published_at) {
        snprintf(published, sizeof(published), "\"%s\"", s->published_at);
    } else {
        snprintf(published, sizeof(published), "null");
    }
    snprintf(buf, len,
             "{\"schema\":1,\"event_key\":\"%s\",\"event\":{\"new\":true,\"items\":1},"
             "\"rules_version\":3,\"matched_at\":\"%s\",\"score\":%.1f,\"level\":\"%s\","
             "\"department\":\"市自然资源局\","
             "\"matches\":[{\"rule_id\":\"land-01\",\"name\":\"征地拆迁补偿\","
             "\"department\":\"市自然资源局\",\"level\":\"%s\",\"terms\":["
             "{\"term\":\"征地\",\"field\":\"text\",\"start\":2,\"end\":4}]}],"
             "\"item\":{\"schema\":1,\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"ak-news\","
             "\"channel\":\"安康新闻网\",\"url\":\"%s\",\"title\":\"%s\","
             "\"text\":\"汉滨征地补偿款迟迟未发放，村民多次反映\",\"author\":\"\","
             "\"published_at\":%s,\"published_precision\":\"second\","
             "\"fetched_at\":\"2026-11-29T07:59:00Z\"}}",
             s->event_key, s->matched_at, s->score, s->level, s->level, s->item_id, s->url,
             s->title, published);
    return buf;
}

/* Decode the alert of s into alert (caller storage). Returns yq_alert_decode()'s code. */
static inline int test_alert_make(const struct test_alert_spec *s, struct yq_alert *alert)
{
    char buf[4096], err[256];
    test_alert_json(s, buf, sizeof(buf));
    return yq_alert_decode(buf, strlen(buf), alert, err, sizeof(err));
}

#endif
