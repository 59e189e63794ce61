/*
 * Response detection (issue #15, docs/responses.md): how much an official post (an item of a
 * department's own 政务微博, 政务微信, website or 权威发布 account) reads like the public answer
 * to a ticket's event, and the "responses:" section of notifier.yaml. Pure: no SQL, no clock;
 * response_store.c reads the rows and writes the proposals.
 *
 * The score of a post P against the event E of a ticket, each part in [0, 1]:
 *   T  terms:   the share of E's distinct matched terms (the rules' terms of its items,
 *               normalised as the matcher does, pipeline/norm.h) found in P's normalised
 *               title + text;
 *   S  simhash: from the smallest Hamming distance d between P's SimHash and those of E's
 *               items (pipeline/event.h): 1 at d <= 3 (the matcher's own near-duplicate
 *               distance, EVENT_MAX_DISTANCE), 0 at d >= 32 (the expected distance of two
 *               unrelated 64-bit hashes: each bit differs with probability 1/2), linear in
 *               between, (32 - d) / 29; 0 when either side has no SimHash (too few features);
 *   H  title:   the Dice coefficient 2|A ∩ B| / (|A| + |B|) of the sets of code-point bigrams
 *               of the normalised titles (letters and digits only: punctuation and spaces are
 *               dropped first), P's title against the ticket's and each of E's items' titles,
 *               the largest; 0 when either title has fewer than two such code points.
 *   score = (wT·T + wS·S + wH·H) / 100 with the weights in per cent (they add up to 100).
 * A post is proposed as the ticket's 回应 when score >= propose_min_score_percent / 100 and,
 * with require_terms (the default), T > 0: a post sharing no matched term is not about the
 * complaint however similar its wording.
 *
 *   key                              default   meaning
 *   terms_weight_percent             50        wT
 *   simhash_weight_percent           20        wS
 *   title_weight_percent             30        wH (wT + wS + wH = 100)
 *   propose_min_score_percent        35        a proposal at or above this score
 *   require_terms                    true      and only with T > 0
 *   auto_confirm_min_score_percent   0         confirmed by 'system' at once at or above
 *                                              this score; 0 = never (a person confirms)
 *   lookback_ms                      72h       a new or handed-over ticket is compared with
 *                                              the official posts received this long before
 *   before_first_post_ms             1h        a post counts only when published after the
 *                                              ticket's first post (else its detection) less
 *                                              this slack (clock skew between sites)
 *   office_departments   [安康市人民政府办公室]   departments whose posts are compared with
 *                                              every open ticket (the office's own 发布)
 * The defaults are written once, in response_cfg_keys (the list's as YAML text).
 */
#ifndef NOTIFIER_RESPONSE_DETECT_H
#define NOTIFIER_RESPONSE_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "yq_cfg.h"

/* S is 1 at or below this distance (EVENT_MAX_DISTANCE) and 0 at or above the next. */
#define RESPONSE_SIMHASH_FULL_BITS 3
#define RESPONSE_SIMHASH_ZERO_BITS 32
/* At most this many distinct terms of an event are scored (the first ones). */
#define RESPONSE_MAX_TERMS 64
/* office_departments: at most this many names, each at most this many bytes. */
#define RESPONSE_MAX_OFFICE_DEPARTMENTS 16
#define RESPONSE_DEPARTMENT_MAX_BYTES 100
/* Text scored of a post (its title + text, bytes) and of a title (code points). */
#define RESPONSE_TEXT_MAX_BYTES (16 * 1024)
#define RESPONSE_TITLE_MAX_CP 400

struct response_cfg {
    int64_t terms_weight_percent;
    int64_t simhash_weight_percent;
    int64_t title_weight_percent;
    int64_t propose_min_score_percent;
    bool require_terms;
    int64_t auto_confirm_min_score_percent; /* 0 = never */
    int64_t lookback_ms;
    int64_t before_first_post_ms;
    char **office_departments; /* n_office_departments new strings (response_cfg_release()) */
    size_t n_office_departments;
};

/*
 * Keys of the "responses:" section. office_departments is a CFG_EXTERNAL row (its default is
 * YAML text in .def): cfg_fill() fills the numbers, response_cfg_parse_lists() the list.
 */
extern const struct cfg_key response_cfg_keys[];

/*
 * Fill cfg's office_departments from the "responses:" mapping map (NULL: the default) of doc
 * (borrowed; may be NULL), then check the weights add up to 100 and auto confirmation (when
 * on) is not below the proposal threshold. Returns 0, ERR_INVALID ("FILE:LINE:
 * responses.office_departments: ..." or "responses: ...") or ERR_NOMEM, one line in errbuf.
 */
int response_cfg_parse_lists(struct response_cfg *cfg, struct cfg_doc *doc, yaml_node_t *map,
                             char *errbuf, size_t errlen);

/*
 * Check cfg's numbers together: the weights add up to 100; auto confirmation, when on, not
 * below the proposal threshold. Returns 0 or ERR_INVALID with one line in errbuf.
 */
int response_cfg_check(const struct response_cfg *cfg, char *errbuf, size_t errlen);

/* Free cfg's list (the rest is plain data). NULL is a no-op. */
void response_cfg_release(struct response_cfg *cfg);

/* The built-in configuration (the key table's defaults). Static; thread-safe. */
const struct response_cfg *response_cfg_defaults(void);

/* Print office_departments as YAML at indent (for --print-config). */
void response_cfg_print_lists(FILE *out, const struct response_cfg *cfg, int indent);

/* True when department (may be NULL) is one of cfg's office_departments. */
bool response_cfg_is_office(const struct response_cfg *cfg, const char *department);

/* What the score sees of a ticket's event. Every pointer borrowed; arrays may be NULL when
   their count is 0. */
struct response_event_view {
    const char *const *terms; /* matched terms as the rules wrote them (repeats allowed) */
    size_t n_terms;
    const uint64_t *simhashes; /* of the event's items that have one */
    size_t n_simhashes;
    const char *const *titles; /* the ticket's title and its items' titles */
    size_t n_titles;
};

/* What the score sees of an official post. Strings borrowed, may be NULL (empty). */
struct response_post_view {
    const char *title;
    const char *text;
    bool has_simhash;
    uint64_t simhash;
};

struct response_score {
    double terms;          /* T */
    double simhash;        /* S */
    double title;          /* H */
    double score;          /* (wT·T + wS·S + wH·H) / 100 */
    int simhash_distance;  /* the smallest Hamming distance; -1 when not computed */
    size_t n_terms;        /* distinct normalised terms scored (the denominator of T) */
    size_t n_terms_found;  /* of which found in the post */
};

/*
 * Score post against ev with cfg's weights (NULL: the defaults). found: may be NULL, else
 * ev->n_terms entries set true for each term (as given) whose normalised form occurs in the
 * post (the repeats of a found term too). Texts are normalised with the matcher's tables
 * (norm_global()); at most RESPONSE_TEXT_MAX_BYTES of the post and RESPONSE_TITLE_MAX_CP code
 * points of each title are read (untrusted feed text: bounded, any bytes accepted).
 * Returns 0, ERR_NOT_FOUND (normalisation tables missing) or ERR_NOMEM. Thread-safe.
 */
int response_detect_score(const struct response_cfg *cfg, const struct response_event_view *ev,
                          const struct response_post_view *post, bool *found,
                          struct response_score *out);

/* S for a Hamming distance d (0..64): 1 at d <= 3, 0 at d >= 32, (32 - d) / 29 between. */
double response_detect_simhash_similarity(int d);

/*
 * H of two titles (NUL-terminated UTF-8, borrowed; NULL is empty): the Dice coefficient of
 * their normalised letter/digit code-point bigram sets. Returns 0 (with *out) or
 * ERR_NOT_FOUND / ERR_NOMEM.
 */
int response_detect_title_similarity(const char *a, const char *b, double *out);

/* True when score is a proposal under cfg (score >= propose_min, T > 0 when required). */
bool response_detect_proposes(const struct response_cfg *cfg, const struct response_score *s);

/* True when a proposal of score s is confirmed at once by 'system' under cfg. */
bool response_detect_auto_confirms(const struct response_cfg *cfg,
                                   const struct response_score *s);

#endif
