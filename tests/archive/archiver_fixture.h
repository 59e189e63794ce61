/*
 * What the archiver's tests share (header-only; include after cmocka.h): messages as the
 * producers write them (an item, an alert of one match) and a store in memory that fails on
 * demand (struct archiver_store), counting each item id and match it holds.
 */
#ifndef ARCHIVER_FIXTURE_H
#define ARCHIVER_FIXTURE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archiver.h"
#include "yq_alert.h"
#include "yq_err.h"
#include "yq_item.h"

#define FIX_MAX_IDS 256

/* An item of the collectors' wire format (schema 1) with id and title, into buf. */
static inline size_t fix_item_json(char *buf, size_t len, const char *id, const char *title)
{
    int n = snprintf(buf, len,
                     "{\"schema\":1,\"id\":\"%s\",\"source\":\"rss\",\"source_id\":\"ankang-gov\","
                     "\"channel\":\"安康市人民政府\",\"url\":\"https://www.ankang.gov.cn/%s\","
                     "\"title\":\"%s\",\"text\":\"岚皋县群众反映征地补偿问题\",\"author\":\"\","
                     "\"published_at\":\"2026-11-29T08:00:00Z\","
                     "\"fetched_at\":\"2026-11-29T08:05:00Z\"}",
                     id, id, title);
    assert_true(n > 0 && (size_t)n < len);
    return (size_t)n;
}

/* An alert (the matcher's wire format) of item id matching rule rule_id in event key; new text. */
static inline char *fix_alert_json(const char *id, const char *rule_id, const char *key,
                                   size_t *len)
{
    struct yq_alert al;
    struct yq_alert_match m;
    char item[1024], err[256] = "", *out = NULL;

    memset(&al, 0, sizeof(al));
    memset(&m, 0, sizeof(m));
    fix_item_json(item, sizeof(item), id, "岚皋县征地补偿款被截留");
    assert_int_equal(yq_item_decode(item, strlen(item), &al.item, err, sizeof(err)), 0);
    m.rule_id = (char *)rule_id;
    m.name = (char *)"征地补偿";
    m.group = (char *)"征地拆迁";
    m.department = (char *)"市自然资源局";
    m.level = YQ_LEVEL_III;
    al.event_key = (char *)key;
    al.rules_version = 3;
    al.matched_at = 1764403500;
    al.level = YQ_LEVEL_III;
    al.department = (char *)"市自然资源局";
    al.n_matches = 1;
    al.matches = &m;
    assert_int_equal(yq_alert_encode(&al, &out, len), 0);
    yq_item_release(&al.item);
    return out;
}

/*
 * A store in memory: put() fails with fail_rc while fail_rc is non-zero (counting the
 * failures), else adds each item id and (item, rule, event) match once, as the archive does;
 * check() answers check_rc.
 */
struct fix_store {
    pthread_mutex_t lock;
    atomic_int fail_rc;
    atomic_int check_rc; /* what check() answers (0: the store looks usable) */
    int puts_failed;
    int puts_ok;
    size_t n_ids;
    char ids[FIX_MAX_IDS][96];
    int id_count[FIX_MAX_IDS]; /* how often each id was delivered to a successful put */
    size_t n_matches;
    char matches[FIX_MAX_IDS][192];
    int prunes;
};

static inline int fix_store_put(void *state, const struct yq_item *const *items, size_t n_items,
                                const struct yq_alert *const *alerts, size_t n_alerts,
                                struct archive_put_result *res, char *errbuf, size_t errlen)
{
    struct fix_store *s = state;
    int rc = atomic_load(&s->fail_rc);

    pthread_mutex_lock(&s->lock);
    if (rc) {
        s->puts_failed++;
        pthread_mutex_unlock(&s->lock);
        snprintf(errbuf, errlen, "test store: failing on purpose");
        return rc;
    }
    s->puts_ok++;
    for (size_t i = 0; i < n_items; i++) {
        size_t j = 0;
        while (j < s->n_ids && strcmp(s->ids[j], items[i]->id) != 0) {
            j++;
        }
        if (j == s->n_ids) {
            assert_true(s->n_ids < FIX_MAX_IDS);
            snprintf(s->ids[s->n_ids++], sizeof(s->ids[0]), "%s", items[i]->id);
            res->items_new++;
        } else {
            res->items_dup++;
        }
        s->id_count[j]++;
    }
    for (size_t i = 0; i < n_alerts; i++) {
        for (size_t k = 0; k < alerts[i]->n_matches; k++) {
            char key[192];
            size_t j = 0;
            snprintf(key, sizeof(key), "%s|%s|%s", alerts[i]->item.id,
                     alerts[i]->matches[k].rule_id, alerts[i]->event_key);
            while (j < s->n_matches && strcmp(s->matches[j], key) != 0) {
                j++;
            }
            if (j == s->n_matches) {
                assert_true(s->n_matches < FIX_MAX_IDS);
                snprintf(s->matches[s->n_matches++], sizeof(s->matches[0]), "%s", key);
                res->matches_new++;
            } else {
                res->matches_dup++;
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return 0;
}

static inline int fix_store_prune(void *state, int64_t now_s, int64_t retention_days,
                                  size_t *n_removed, char *errbuf, size_t errlen)
{
    struct fix_store *s = state;

    (void)now_s;
    (void)retention_days;
    (void)errbuf;
    (void)errlen;
    pthread_mutex_lock(&s->lock);
    s->prunes++;
    pthread_mutex_unlock(&s->lock);
    *n_removed = 0;
    return 0;
}

static inline int fix_store_check(void *state)
{
    struct fix_store *s = state;
    return atomic_load(&s->check_rc);
}

static inline void fix_store_init(struct fix_store *s, struct archiver_store *st)
{
    memset(s, 0, sizeof(*s));
    pthread_mutex_init(&s->lock, NULL);
    atomic_store(&s->fail_rc, 0);
    atomic_store(&s->check_rc, 0);
    *st = (struct archiver_store){s, fix_store_put, fix_store_prune, fix_store_check};
}

/* How many distinct ids the store holds (under its lock). */
static inline size_t fix_store_n_ids(struct fix_store *s)
{
    size_t n;
    pthread_mutex_lock(&s->lock);
    n = s->n_ids;
    pthread_mutex_unlock(&s->lock);
    return n;
}

/* Whether the store holds id. */
static inline bool fix_store_has(struct fix_store *s, const char *id)
{
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (size_t j = 0; j < s->n_ids && !found; j++) {
        found = strcmp(s->ids[j], id) == 0;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

#endif
