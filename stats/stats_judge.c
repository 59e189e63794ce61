/*
 * The 研判 figures (stats_judge.h): one pass over the events, durations summarised with the
 * report's own stats_summarise(), rule groups in a growing array (a month has at most a few
 * dozen groups; the lookup is linear).
 */
#include "stats_judge.h"

#include <stdlib.h>
#include <string.h>

#include "yq_buf.h"
#include "yq_err.h"
#include "yq_banned.h"

int64_t stats_judge_noise_tenths(const struct stats_judge_tally *t)
{
    if (t->judged == 0) {
        return -1;
    }
    /* round half up, as stats_pct_tenths() */
    return (int64_t)((2000u * (uint64_t)t->noise + t->judged) / (2u * (uint64_t)t->judged));
}

int64_t stats_judge_precision_tenths(const struct stats_judge_tally *t)
{
    int64_t noise = stats_judge_noise_tenths(t);
    return noise < 0 ? -1 : 1000 - noise;
}

static void tally_add(struct stats_judge_tally *t, const struct stats_event *e)
{
    t->judged++;
    t->by_outcome[e->outcome]++;
    if (e->outcome == STATS_OUTCOME_DISMISSED) {
        t->by_reason[e->reason]++;
        if (e->reason == STATS_REASON_FALSE_ALARM || e->reason == STATS_REASON_IRRELEVANT) {
            t->noise++;
        }
    }
}

/* The row of key in groups (struct stats_judge_group), appended when new; NULL: no memory. */
static struct stats_judge_group *group_find(struct yq_buf *groups, const char *key)
{
    struct stats_judge_group *v = (struct stats_judge_group *)(void *)groups->data;
    size_t n = groups->len / sizeof(*v);
    struct stats_judge_group g = {0};

    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].key, key) == 0) {
            return &v[i];
        }
    }
    if (!(g.key = strdup(key))) {
        return NULL;
    }
    if (yq_buf_add(groups, &g, sizeof(g)) != 0) {
        free(g.key);
        return NULL;
    }
    return (struct stats_judge_group *)(void *)(groups->data + groups->len - sizeof(g));
}

static int cmp_groups(const void *pa, const void *pb)
{
    const struct stats_judge_group *a = pa, *b = pb;
    if (a->tally.judged != b->tally.judged) {
        return a->tally.judged > b->tally.judged ? -1 : 1;
    }
    return strcmp(a->key, b->key);
}

/* Durations of one summary: int64 seconds appended to a yq_buf, summarised at the end. */
static int sample(struct yq_buf *b, int64_t s)
{
    return yq_buf_add(b, &s, sizeof(s));
}

static void summarise(struct yq_buf *b, struct stats_summary *out)
{
    stats_summarise((int64_t *)(void *)b->data, b->len / sizeof(int64_t), out);
}

/* Whether e is already counted in group i of e (a group named twice counts once). */
static bool group_seen(const struct stats_event *e, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(e->groups[j], e->groups[i]) == 0) {
            return true;
        }
    }
    return false;
}

static bool outcome_valid(const struct stats_event *e)
{
    return (unsigned)e->outcome < STATS_OUTCOME_COUNT &&
           (e->outcome != STATS_OUTCOME_DISMISSED || (unsigned)e->reason < STATS_REASON_COUNT);
}

static int count_event(struct stats_judge *j, const struct stats_event *e, int64_t a, int64_t c,
                       struct yq_buf *groups, struct yq_buf *t_officer, struct yq_buf *t_auto,
                       struct yq_buf *t_spike)
{
    int64_t d = e->decided_at;
    int64_t took = d - e->detected_at;

    if (e->detected_at >= c) {
        return 0; /* not yet detected at the cut-off */
    }
    if (d <= 0 || d >= c) {
        j->pending += e->auto_assigned ? 0 : 1;
        j->awaiting_confirmation += e->auto_assigned ? 1 : 0;
        j->pending_spike += !e->auto_assigned && e->spike ? 1 : 0;
        j->pending_overdue +=
            !e->auto_assigned && e->judge_deadline > 0 && e->judge_deadline < c ? 1 : 0;
        return 0;
    }
    if (d < a || !outcome_valid(e)) {
        return 0; /* decided in an earlier window */
    }
    took = took > 0 ? took : 0;
    if (e->spike) {
        tally_add(&j->spike, e);
        return sample(t_spike, took) ? ERR_NOMEM : 0;
    }
    tally_add(&j->total, e);
    j->auto_confirmed += e->auto_assigned ? 1 : 0;
    if (sample(e->auto_assigned ? t_auto : t_officer, took)) {
        return ERR_NOMEM;
    }
    if (e->n_groups == 0) {
        struct stats_judge_group *g = group_find(groups, STATS_NO_RULE_GROUP);
        if (!g) {
            return ERR_NOMEM;
        }
        tally_add(&g->tally, e);
    }
    for (size_t i = 0; i < e->n_groups; i++) {
        const char *key = e->groups[i] && *e->groups[i] ? e->groups[i] : STATS_NO_RULE_GROUP;
        struct stats_judge_group *g;
        if (group_seen(e, i)) {
            continue;
        }
        if (!(g = group_find(groups, key))) {
            return ERR_NOMEM;
        }
        tally_add(&g->tally, e);
    }
    return 0;
}

int stats_judge_compute(struct stats_report *report, const struct stats_event *events, size_t n,
                        bool have_events)
{
    struct stats_judge *j;
    struct yq_buf groups, t_officer, t_auto, t_spike;
    size_t n_keys = 1; /* STATS_NO_RULE_GROUP */
    int err = 0;

    if (report->judge) {
        return ERR_BAD_STATE;
    }
    if (!(j = calloc(1, sizeof(*j)))) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        n_keys += events[i].n_groups;
    }
    /* bounds: one sample per event, one row per distinct group */
    yq_buf_init(&groups, n_keys * sizeof(struct stats_judge_group));
    yq_buf_init(&t_officer, (n + 1) * sizeof(int64_t));
    yq_buf_init(&t_auto, (n + 1) * sizeof(int64_t));
    yq_buf_init(&t_spike, (n + 1) * sizeof(int64_t));
    if (!have_events) {
        j->absent = STATS_JUDGE_NO_DATA;
    } else if (report->department) {
        j->absent = STATS_JUDGE_DEPARTMENT;
    } else {
        for (size_t i = 0; !err && i < n; i++) {
            err = count_event(j, &events[i], report->start, report->cutoff, &groups, &t_officer,
                              &t_auto, &t_spike);
        }
    }
    if (!err) {
        summarise(&t_officer, &j->time);
        summarise(&t_auto, &j->auto_time);
        summarise(&t_spike, &j->spike_time);
        j->n_groups = groups.len / sizeof(struct stats_judge_group);
        if (j->n_groups > 0) {
            j->groups = (struct stats_judge_group *)(void *)yq_buf_steal(&groups, NULL);
            if (!j->groups) {
                err = ERR_NOMEM;
                j->n_groups = 0;
            } else {
                qsort(j->groups, j->n_groups, sizeof(j->groups[0]), cmp_groups);
            }
        }
    }
    if (err) {
        struct stats_judge_group *v = (struct stats_judge_group *)(void *)groups.data;
        for (size_t i = 0; i < groups.len / sizeof(*v); i++) {
            free(v[i].key);
        }
        free(j); /* its groups were not stolen from the buffer */
    } else {
        report->judge = j;
    }
    yq_buf_release(&groups);
    yq_buf_release(&t_officer);
    yq_buf_release(&t_auto);
    yq_buf_release(&t_spike);
    return err;
}
