/*
 * Rule sets compiled off the matching thread (rules_loader.h, issue #16): while a load is in
 * progress (a fake load that blocks on a condition variable) items are matched with the old
 * version; after the result is taken and swapped, with the new one. A failed load hands over
 * its error and no set, so the old version stays. A real compile of 2,000 terms in the
 * loader's thread. No wall-clock waits: the test waits on the fake's own condition.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "pipeline_fixture.h"
#include "rules_loader.h"
#include "yq_err.h"
#include "yq_banned.h"

static const char v1_yaml[] = "group: 征地\n"
                              "rules:\n"
                              "  - id: land\n"
                              "    name: 征地纠纷\n"
                              "    department: 市自然资源局\n"
                              "    expr: 征地\n";
static const char v2_yaml[] = "group: 拆迁\n"
                              "rules:\n"
                              "  - id: demolition\n"
                              "    name: 强制拆迁\n"
                              "    department: 汉滨区人民政府\n"
                              "    expr: 拆迁\n";

/* A load that announces it started, then blocks until released. */
struct fake {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool entered, released;
    int rc;              /* what the load returns */
    const char *yaml;    /* compiled after the release when rc == 0 */
    int64_t seen_version;
};

static int fake_load(void *ctx, int64_t version, struct rule_set **out, char *errbuf,
                     size_t errlen)
{
    struct fake *f = ctx;

    pthread_mutex_lock(&f->mu);
    f->entered = true;
    f->seen_version = version;
    pthread_cond_broadcast(&f->cv);
    while (!f->released) {
        pthread_cond_wait(&f->cv, &f->mu);
    }
    pthread_mutex_unlock(&f->mu);
    if (f->rc != 0) {
        snprintf(errbuf, errlen, "x.yaml:3: rule 'bad' is local but no rule file lists 'places'");
        return f->rc;
    }
    *out = pipeline_rules_compile("v.yaml", f->yaml);
    (*out)->version = version;
    return 0;
}

static void fake_init(struct fake *f, int rc, const char *yaml)
{
    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->rc = rc;
    f->yaml = yaml;
}

static void fake_wait_entered(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    while (!f->entered) {
        pthread_cond_wait(&f->cv, &f->mu);
    }
    pthread_mutex_unlock(&f->mu);
}

static void fake_release(struct fake *f)
{
    pthread_mutex_lock(&f->mu);
    f->released = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void fake_destroy(struct fake *f)
{
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
}

/* The id of the one rule text fires with rs, or "" when none. */
static const char *fired(const struct rule_set *rs, struct match_scratch *ms, const char *text)
{
    static char id[64];
    struct yq_item it;
    struct match_result mr;

    memset(&it, 0, sizeof(it));
    it.id = (char *)"rss:1";
    it.source = (char *)"rss";
    it.source_id = (char *)"s";
    it.title = (char *)"";
    it.text = (char *)text;
    assert_int_equal(match_item(rs, ms, &it, &mr), 0);
    snprintf(id, sizeof(id), "%s", mr.n_rules == 1 ? rs->rules[mr.rules[0].rule].id : "");
    assert_true(mr.n_rules <= 1);
    match_result_release(&mr);
    return id;
}

/*
 * A loader over a fake compile (fake_init(rc, yaml)) while the caller matches with version 1
 * of the rules (in_use, v1_yaml) using ms.
 */
struct swap {
    struct fake f;
    struct rules_loader *l;
    struct rule_set *in_use;
    struct match_scratch *ms;
};

static void swap_setup(struct swap *w, int rc, const char *yaml)
{
    w->in_use = pipeline_rules_compile("v1.yaml", v1_yaml);
    w->ms = match_scratch_new();
    w->in_use->version = 1;
    fake_init(&w->f, rc, yaml);
    w->l = rules_loader_new(fake_load, &w->f);
    assert_non_null(w->l);
}

static void swap_teardown(struct swap *w)
{
    rules_loader_free(w->l);
    fake_destroy(&w->f);
    rule_set_free(w->in_use);
    match_scratch_free(w->ms);
}

static void test_old_version_matches_until_swap(void **state)
{
    struct swap w;
    struct rules_load_result r;
    struct fake *f = &w.f;
    struct rules_loader *l;
    struct match_scratch *ms;

    (void)state;
    swap_setup(&w, 0, v2_yaml);
    l = w.l;
    ms = w.ms;
    assert_int_equal(rules_loader_pending(l), 0);
    assert_false(rules_loader_take(l, &r));
    assert_int_equal(rules_loader_start(l, 2), 0);
    fake_wait_entered(f); /* the compile of version 2 is in progress in the loader's thread */
    assert_int_equal(f->seen_version, 2);
    assert_int_equal(rules_loader_pending(l), 2);
    assert_int_equal(rules_loader_start(l, 3), ERR_BAD_STATE); /* one load at a time */

    /* meanwhile this thread matches items with version 1, many times over */
    for (int k = 0; k < 100; k++) {
        assert_string_equal(fired(w.in_use, ms, "村民反映征地补偿"), "land");
        assert_string_equal(fired(w.in_use, ms, "夜间强行拆迁"), "");
        assert_false(rules_loader_take(l, &r));
    }

    fake_release(f);
    rules_loader_wait(l);
    assert_int_equal(rules_loader_pending(l), 2); /* finished, not taken yet */
    assert_true(rules_loader_take(l, &r));
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.version, 2);
    assert_non_null(r.rs);
    assert_int_equal(r.rs->version, 2);
    assert_int_equal(rules_loader_pending(l), 0);
    /* the swap, between two items: no match uses version 1 any more */
    rule_set_free(w.in_use);
    w.in_use = r.rs;
    assert_string_equal(fired(w.in_use, ms, "村民反映征地补偿"), "");
    assert_string_equal(fired(w.in_use, ms, "夜间强行拆迁"), "demolition");
    assert_false(rules_loader_take(l, &r));

    swap_teardown(&w);
}

static void test_failed_compile_keeps_old(void **state)
{
    struct swap w;
    struct rules_load_result r;
    struct fake *f = &w.f;
    struct rules_loader *l;
    struct rule_set *in_use;
    struct match_scratch *ms;

    (void)state;
    swap_setup(&w, ERR_INVALID, NULL);
    l = w.l;
    in_use = w.in_use;
    ms = w.ms;
    assert_int_equal(rules_loader_start(l, 0), ERR_INVALID);
    assert_int_equal(rules_loader_start(l, 7), 0);
    fake_wait_entered(f);
    assert_string_equal(fired(in_use, ms, "征地"), "land");
    fake_release(f);
    rules_loader_wait(l);
    assert_true(rules_loader_take(l, &r));
    assert_int_equal(r.rc, ERR_INVALID);
    assert_int_equal(r.version, 7);
    assert_null(r.rs);
    assert_non_null(strstr(r.err, "is local but no rule file lists 'places'"));
    /* the caller keeps version 1; the loader is idle and takes the next version */
    assert_string_equal(fired(in_use, ms, "征地"), "land");
    assert_int_equal(rules_loader_pending(l), 0);
    swap_teardown(&w);
}

/* A result nobody took is freed with the loader (ASan/valgrind see no leak). */
static void test_free_with_result_pending(void **state)
{
    struct fake f;
    struct rules_loader *l;

    (void)state;
    fake_init(&f, 0, v2_yaml);
    l = rules_loader_new(fake_load, &f);
    assert_int_equal(rules_loader_start(l, 4), 0);
    fake_release(&f);
    rules_loader_free(l); /* waits for the thread, frees version 4 */
    fake_destroy(&f);
    rules_loader_free(NULL);
}

/* A real compile in the loader's thread: 2,000 generated terms, one rule each. */
static int compile_yaml(void *ctx, int64_t version, struct rule_set **out, char *errbuf,
                        size_t errlen)
{
    struct rule_set *rs = rule_set_new();
    const char *yaml = ctx;
    int rc;

    *out = NULL;
    if (!rs) {
        return ERR_NOMEM;
    }
    rc = rule_set_add_yaml(rs, "gen.yaml", yaml, strlen(yaml), errbuf, errlen);
    if (rc == 0) {
        rc = rule_set_compile(rs, errbuf, errlen);
    }
    if (rc != 0) {
        rule_set_free(rs);
        return rc;
    }
    rs->version = version;
    *out = rs;
    return 0;
}

static void test_real_compile_in_thread(void **state)
{
    size_t cap = 2000 * 128 + 64, len = 0;
    char *yaml = malloc(cap);
    struct rules_loader *l;
    struct rules_load_result r;
    struct match_scratch *ms = match_scratch_new();

    (void)state;
    len += (size_t)snprintf(yaml + len, cap - len, "group: gen\nrules:\n");
    for (int k = 0; k < 2000; k++) {
        len += (size_t)snprintf(yaml + len, cap - len,
                                "  - id: r%d\n    name: 规则%d\n    department: 市信访局\n"
                                "    expr: 词%05d\n",
                                k, k, k);
    }
    l = rules_loader_new(compile_yaml, yaml);
    assert_int_equal(rules_loader_start(l, 9), 0);
    rules_loader_wait(l);
    assert_true(rules_loader_take(l, &r));
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.rs->n_rules, 2000);
    assert_string_equal(fired(r.rs, ms, "今天出现了词01234和别的"), "r1234");
    rule_set_free(r.rs);
    rules_loader_free(l);
    match_scratch_free(ms);
    free(yaml);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_old_version_matches_until_swap),
        cmocka_unit_test(test_failed_compile_keeps_old),
        cmocka_unit_test(test_free_with_result_pending),
        cmocka_unit_test(test_real_compile_in_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
