/*
 * Response detection (response_detect.h, docs/responses.md): the "responses:" keys and the
 * score of an official post against a ticket's event.
 */
#include "response_detect.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "event.h"
#include "norm.h"
#include "yq_err.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define CFG_KEYS_OF response_cfg
const struct cfg_key response_cfg_keys[] = {
    CFG_INT_KEY(terms_weight_percent, "50", 0, 100,
                "weight of T, the share of the event's matched terms found in the post"),
    CFG_INT_KEY(simhash_weight_percent, "20", 0, 100,
                "weight of S, SimHash closeness (1 at <= 3 bits, 0 at >= 32 bits)"),
    CFG_INT_KEY(
        title_weight_percent, "30", 0, 100,
        "weight of H, title similarity (Dice of code-point bigrams); the three add up to 100"),
    CFG_INT_KEY(
        propose_min_score_percent, "35", 1, 100,
        "an official post scoring at least this (per cent) is proposed as the ticket's 回应"),
    CFG_BOOL_KEY(require_terms, "true",
                 "propose only posts that contain at least one of the event's matched terms"),
    CFG_INT_KEY(auto_confirm_min_score_percent, "0", 0, 100,
                "a proposal scoring at least this is confirmed by 'system' at once; 0 = never"),
    CFG_MS_KEY(
        lookback_ms, "72h", 3600000, 2592000000,
        "a new or handed-over ticket is compared with official posts received this long before"),
    CFG_MS_KEY(
        before_first_post_ms, "1h", 0, 86400000,
        "a post counts only when published after the ticket's first post (else detection) less "
        "this slack"),
    CFG_EXTERNAL_KEY(
        "office_departments", "[安康市人民政府办公室]",
        "departments whose official posts are compared with every open ticket (the office's own "
        "发布 accounts)"),
    CFG_KEYS_END,
};
#undef CFG_KEYS_OF

void response_cfg_release(struct response_cfg *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_office_departments; i++) {
        free(cfg->office_departments[i]);
    }
    free(cfg->office_departments);
    cfg->office_departments = NULL;
    cfg->n_office_departments = 0;
}

/* office_departments: the list in map (a mapping of doc), else the table's default. */
static int parse_departments(struct response_cfg *cfg, struct cfg_doc *doc, yaml_node_t *map,
                             char *errbuf, size_t errlen)
{
    struct cfg_name_list names = {
        .v = &cfg->office_departments,
        .n = &cfg->n_office_departments,
        .max_n = RESPONSE_MAX_OFFICE_DEPARTMENTS,
        .max_bytes = RESPONSE_DEPARTMENT_MAX_BYTES,
        .key = "responses.office_departments",
        .what = "department name",
        .plural = "names",
    };

    return cfg_list_each(response_cfg_keys, "office_departments", doc, map, "responses",
                         "[安康市人民政府办公室]", cfg_name_list_take, &names, errbuf, errlen);
}

int response_cfg_parse_lists(struct response_cfg *cfg, struct cfg_doc *doc, yaml_node_t *map,
                             char *errbuf, size_t errlen)
{
    int err;

    response_cfg_release(cfg);
    err = parse_departments(cfg, doc, map, errbuf, errlen);
    if (!err) {
        err = response_cfg_check(cfg, errbuf, errlen);
    }
    if (err) {
        response_cfg_release(cfg);
    }
    return err;
}

int response_cfg_check(const struct response_cfg *cfg, char *errbuf, size_t errlen)
{
    int err = 0;

    if (cfg->terms_weight_percent + cfg->simhash_weight_percent +
                        cfg->title_weight_percent !=
                    100) {
        snprintf(errbuf, errlen,
                 "responses: terms_weight_percent + simhash_weight_percent + "
                 "title_weight_percent must be 100 (they are %lld + %lld + %lld)",
                 (long long)cfg->terms_weight_percent, (long long)cfg->simhash_weight_percent,
                 (long long)cfg->title_weight_percent);
        err = ERR_INVALID;
    }
    if (!err && cfg->auto_confirm_min_score_percent > 0 &&
        cfg->auto_confirm_min_score_percent < cfg->propose_min_score_percent) {
        snprintf(errbuf, errlen,
                 "responses: auto_confirm_min_score_percent (%lld) must be 0 (never) or at "
                 "least propose_min_score_percent (%lld)",
                 (long long)cfg->auto_confirm_min_score_percent,
                 (long long)cfg->propose_min_score_percent);
        err = ERR_INVALID;
    }
    return err;
}

/* The key table's defaults, then office_departments from its default text. */
static int defaults_lists(void *cfg, char *errbuf, size_t errlen)
{
    return response_cfg_parse_lists(cfg, NULL, NULL, errbuf, errlen);
}

static struct response_cfg defaults;
static struct cfg_defaults response_defaults = {
    .keys = response_cfg_keys, .base = &defaults, .fill_more = defaults_lists};

const struct response_cfg *response_cfg_defaults(void)
{
    return cfg_defaults_get(&response_defaults);
}

void response_cfg_print_lists(FILE *out, const struct response_cfg *cfg, int indent)
{
    fprintf(out, "%*soffice_departments: [", indent, "");
    for (size_t i = 0; i < cfg->n_office_departments; i++) {
        fprintf(out, "%s\"%s\"", i ? ", " : "", cfg->office_departments[i]);
    }
    fprintf(out, "]\n");
}

bool response_cfg_is_office(const struct response_cfg *cfg, const char *department)
{
    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    for (size_t i = 0; department && i < cfg->n_office_departments; i++) {
        if (strcmp(cfg->office_departments[i], department) == 0) {
            return true;
        }
    }
    return false;
}

/* --- the parts ----------------------------------------------------------------------------- */

double response_detect_simhash_similarity(int d)
{
    if (d <= RESPONSE_SIMHASH_FULL_BITS) {
        return 1.0;
    }
    if (d >= RESPONSE_SIMHASH_ZERO_BITS) {
        return 0.0;
    }
    return (double)(RESPONSE_SIMHASH_ZERO_BITS - d) /
           (double)(RESPONSE_SIMHASH_ZERO_BITS - RESPONSE_SIMHASH_FULL_BITS);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * The distinct letter/digit code-point bigrams of the normalised title s (at most
 * RESPONSE_TITLE_MAX_CP code points read) into out (RESPONSE_TITLE_MAX_CP entries), sorted.
 */
static int title_bigrams(const struct norm *nm, const char *s, uint64_t *out, size_t *n_out)
{
    struct norm_text nt = NORM_TEXT_INIT;
    size_t len = s ? strlen(s) : 0, i = 0, n = 0, n_cp = 0;
    int32_t prev = -1;
    int err;

    *n_out = 0;
    len = yq_utf8_boundary(s ? s : "", len < RESPONSE_TITLE_MAX_CP * 4 ? len
                                                                        : RESPONSE_TITLE_MAX_CP * 4);
    err = norm_apply(nm, s ? s : "", len, RESPONSE_TITLE_MAX_CP * 8, &nt);
    if (err && err != ERR_TOO_BIG) {
        norm_text_release(&nt);
        return err;
    }
    while (i < nt.len && n_cp < RESPONSE_TITLE_MAX_CP) {
        int32_t cp;
        i += yq_utf8_next(nt.buf + i, nt.len - i, &cp);
        n_cp++;
        utf8proc_category_t c = utf8proc_category(cp);
        bool word = (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
                    (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
        if (!word) {
            continue; /* punctuation and spaces are dropped: the letters around them meet */
        }
        if (prev >= 0 && n < RESPONSE_TITLE_MAX_CP) {
            out[n++] = ((uint64_t)(uint32_t)prev << 32) | (uint32_t)cp;
        }
        prev = cp;
    }
    norm_text_release(&nt);
    qsort(out, n, sizeof(*out), cmp_u64);
    size_t u = 0;
    for (size_t k = 0; k < n; k++) {
        if (u == 0 || out[u - 1] != out[k]) {
            out[u++] = out[k];
        }
    }
    *n_out = u;
    return 0;
}

/* Dice of two sorted distinct bigram sets. */
static double dice(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0, j = 0, common = 0;

    if (na == 0 || nb == 0) {
        return 0.0;
    }
    while (i < na && j < nb) {
        if (a[i] == b[j]) {
            common++;
            i++;
            j++;
        } else if (a[i] < b[j]) {
            i++;
        } else {
            j++;
        }
    }
    return 2.0 * (double)common / (double)(na + nb);
}

static int tables(const struct norm **out)
{
    char err[160];
    return norm_global(out, err, sizeof(err)) == 0 ? 0 : ERR_NOT_FOUND;
}

int response_detect_title_similarity(const char *a, const char *b, double *out)
{
    const struct norm *nm = NULL;
    uint64_t *ba = NULL, *bb = NULL;
    size_t na = 0, nb = 0;
    int err = tables(&nm);

    *out = 0.0;
    if (err) {
        return err;
    }
    ba = malloc(RESPONSE_TITLE_MAX_CP * sizeof(*ba));
    bb = malloc(RESPONSE_TITLE_MAX_CP * sizeof(*bb));
    err = !ba || !bb ? ERR_NOMEM : title_bigrams(nm, a, ba, &na);
    if (!err) {
        err = title_bigrams(nm, b, bb, &nb);
    }
    if (!err) {
        *out = dice(ba, na, bb, nb);
    }
    free(ba);
    free(bb);
    return err;
}

/* T: the distinct normalised terms of ev found in the normalised post text. */
static int score_terms(const struct norm *nm, const struct response_event_view *ev,
                       const char *post_norm, bool *found, struct response_score *out)
{
    char *norms[RESPONSE_MAX_TERMS];
    size_t n = 0;
    int err = 0;

    for (size_t i = 0; i < ev->n_terms && !err; i++) {
        char *t = NULL;
        bool hit = false, dup = false;
        int rc = ev->terms[i] && ev->terms[i][0] ? norm_string(nm, ev->terms[i], &t) : ERR_INVALID;
        if (rc == ERR_NOMEM) {
            err = rc;
            break;
        }
        if (rc || !t[0]) {
            free(t);
            continue; /* not UTF-8 or nothing left: not a term */
        }
        hit = strstr(post_norm, t) != NULL;
        if (found) {
            found[i] = hit;
        }
        for (size_t k = 0; k < n && !dup; k++) {
            dup = strcmp(norms[k], t) == 0;
        }
        if (dup || n >= RESPONSE_MAX_TERMS) {
            free(t);
            continue;
        }
        norms[n++] = t;
        out->n_terms_found += hit ? 1 : 0;
    }
    out->n_terms = n;
    out->terms = n ? (double)out->n_terms_found / (double)n : 0.0;
    for (size_t k = 0; k < n; k++) {
        free(norms[k]);
    }
    return err;
}

int response_detect_score(const struct response_cfg *cfg, const struct response_event_view *ev,
                          const struct response_post_view *post, bool *found,
                          struct response_score *out)
{
    const struct norm *nm = NULL;
    struct norm_text nt = NORM_TEXT_INIT;
    char *joined = NULL;
    size_t lt, lx;
    int err;

    memset(out, 0, sizeof(*out));
    out->simhash_distance = -1;
    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    if (found) {
        memset(found, 0, ev->n_terms * sizeof(*found));
    }
    err = tables(&nm);
    if (err) {
        return err;
    }
    /* title and text joined by a newline, so a term cannot span the two */
    lt = post->title ? strlen(post->title) : 0;
    lx = post->text ? strlen(post->text) : 0;
    lt = yq_utf8_boundary(post->title ? post->title : "",
                          lt < RESPONSE_TEXT_MAX_BYTES ? lt : RESPONSE_TEXT_MAX_BYTES);
    lx = yq_utf8_boundary(post->text ? post->text : "",
                          lx < RESPONSE_TEXT_MAX_BYTES - lt ? lx : RESPONSE_TEXT_MAX_BYTES - lt);
    joined = malloc(lt + lx + 2);
    if (!joined) {
        return ERR_NOMEM;
    }
    memcpy(joined, post->title ? post->title : "", lt);
    joined[lt] = '\n';
    memcpy(joined + lt + 1, post->text ? post->text : "", lx);
    joined[lt + 1 + lx] = '\0';
    err = norm_apply(nm, joined, lt + 1 + lx, 4 * RESPONSE_TEXT_MAX_BYTES, &nt);
    free(joined);
    if (err == ERR_TOO_BIG) {
        err = 0; /* the prefix is scored */
    }
    if (!err) {
        err = score_terms(nm, ev, nt.buf ? nt.buf : "", found, out);
    }
    norm_text_release(&nt);
    if (err) {
        return err;
    }
    if (post->has_simhash) {
        for (size_t i = 0; i < ev->n_simhashes; i++) {
            int d = event_hamming(post->simhash, ev->simhashes[i]);
            if (out->simhash_distance < 0 || d < out->simhash_distance) {
                out->simhash_distance = d;
            }
        }
    }
    out->simhash = out->simhash_distance >= 0
                       ? response_detect_simhash_similarity(out->simhash_distance)
                       : 0.0;
    for (size_t i = 0; i < ev->n_titles; i++) {
        double h = 0.0;
        err = response_detect_title_similarity(post->title, ev->titles[i], &h);
        if (err) {
            return err;
        }
        out->title = h > out->title ? h : out->title;
    }
    out->score = ((double)cfg->terms_weight_percent * out->terms +
                  (double)cfg->simhash_weight_percent * out->simhash +
                  (double)cfg->title_weight_percent * out->title) /
                 100.0;
    return 0;
}

bool response_detect_proposes(const struct response_cfg *cfg, const struct response_score *s)
{
    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    /* compared in per cent with a little room, so 0.35 computed as 0.34999... still counts */
    return s->score * 100.0 + 1e-9 >= (double)cfg->propose_min_score_percent &&
           (!cfg->require_terms || s->n_terms_found > 0);
}

bool response_detect_auto_confirms(const struct response_cfg *cfg,
                                   const struct response_score *s)
{
    if (!cfg) {
        cfg = response_cfg_defaults();
    }
    return cfg->auto_confirm_min_score_percent > 0 && response_detect_proposes(cfg, s) &&
           s->score * 100.0 + 1e-9 >= (double)cfg->auto_confirm_min_score_percent;
}
