/*
 * Search over the archive in the rule language (issue #14, docs/archive.md "Search").
 *
 * A query is compiled by the matcher's own code into a one-rule set (rules.h: scope all, the
 * query as the rule's expression, rule_set_compile()), so normalisation (width, case,
 * traditional -> simplified, invisible characters) and NEAR are exactly the matcher's. From the
 * expression's narrowing formula (rule_expr_narrow()) with its terms normalised (norm_string())
 * the search builds the struct archive_narrow the index answers with a superset of the hits;
 * each candidate is then decided by match_item() (match.h): only true hits are returned, so a
 * search and a rule never disagree on the same text. An empty query admits every item in the
 * filters' range.
 *
 * Sorting:
 *   time  newest first, the scan's own order: the scan stops once the page is filled and, for
 *         the total, ARCHIVE_SEARCH_COUNT_CAP hits have been counted (total_exact says whether
 *         the count reached the end of the range);
 *   heat  every hit in range is verified, up to ARCHIVE_SEARCH_HEAT_CAP hits (newest first;
 *         heat_capped says the cap was hit and the ranking covers only those), then sorted by
 *         heat descending, then time descending, then id.
 * In both, at most ARCHIVE_SEARCH_SCAN_CAP candidates are examined (a query the index cannot
 * narrow, e.g. one-character terms, over a long range): scan_capped says so, total_exact is
 * then false.
 *
 * Plans (time sort): the index answers a MATCH by reading every posting of the query's bigrams
 * in the month, which costs about the same for a common pair of words as for a rare one, while
 * a walk of the range in time order (no narrowing) stops as soon as the page is filled. So a
 * time-sorted search with terms first walks: every candidate decided by the matcher, at most
 * ARCHIVE_SEARCH_PROBE_ROWS candidates; once the page is filled and that budget spent it stops
 * (the total is then "at least", total_exact false). When the hits seen so far show that the
 * budget will not fill the page (checked every 250 candidates), the walk is abandoned and the
 * search starts again with the index (walked false). Both plans decide every hit with the
 * matcher, so they return the same hits; only the count's reach differs. Heat sort and CSV
 * always use the index.
 *
 * Highlights: for each hit the occurrences of the query's positive terms (rule_expr.h) in the
 * title and text as code-point spans [start, end) into the ORIGINAL fields (match_hit), sorted,
 * overlapping ones merged.
 */
#ifndef ARCHIVE_QUERY_H
#define ARCHIVE_QUERY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "archive.h"

#define ARCHIVE_SEARCH_MAX_LIMIT 200 /* hits per page (API limit) */
#define ARCHIVE_SEARCH_DEFAULT_LIMIT 20
#define ARCHIVE_SEARCH_MAX_OFFSET 100000  /* deeper paging: narrow the time range */
#define ARCHIVE_SEARCH_COUNT_CAP 1000     /* time sort: hits counted for the total */
#define ARCHIVE_SEARCH_HEAT_CAP 20000     /* heat sort: hits ranked */
#define ARCHIVE_SEARCH_SCAN_CAP 300000    /* candidates examined by one search */
#define ARCHIVE_SEARCH_CSV_MAX_ROWS 10000 /* rows of one CSV export */
#define ARCHIVE_SEARCH_MAX_SPANS 256      /* highlight spans per field */
#define ARCHIVE_SEARCH_PROBE_ROWS 4000    /* time sort: candidates of the walk before the index */

/* A compiled query (immutable; threads may share it). */
struct archive_query;

/*
 * Compile text (NUL-terminated UTF-8, borrowed; "" or only white space = every item).
 * out: a new query (archive_query_free()). errbuf: for a bad query the matcher's message
 * "column N: reason" (rule_expr.h), or "term N of the query has only invisible characters".
 * Returns 0, ERR_PARSE (syntax, bad UTF-8), ERR_INVALID (true with no positive term, never
 * true, an invisible-only term), ERR_TOO_BIG (over RULE_EXPR_MAX_BYTES and the other
 * rule_expr.h limits), ERR_NOT_FOUND (the normalisation tables could not be built) or
 * ERR_NOMEM.
 */
int archive_query_compile(const char *text, struct archive_query **out, char *errbuf,
                          size_t errlen);

/* Free q (NULL is a no-op). */
void archive_query_free(struct archive_query *q);

/* The query's narrowing formula (borrowed from q; NULL: narrows nothing, e.g. empty query). */
const struct archive_narrow *archive_query_narrow(const struct archive_query *q);

/* The query text as given (borrowed from q). */
const char *archive_query_text(const struct archive_query *q);

enum archive_sort {
    ARCHIVE_SORT_TIME = 0, /* newest first */
    ARCHIVE_SORT_HEAT = 1, /* heat descending */
};

/* What to search; zeroed = every item, newest first, first ARCHIVE_SEARCH_DEFAULT_LIMIT. */
struct archive_search_opts {
    struct archive_filter filter; /* borrowed strings; narrow and order are set by the search */
    enum archive_sort sort;
    size_t offset; /* hits skipped, at most ARCHIVE_SEARCH_MAX_OFFSET */
    size_t limit;  /* hits returned: 1..ARCHIVE_SEARCH_MAX_LIMIT, 0 = default */
    /* caps (0 = the defaults above; tests set small ones) */
    size_t count_cap;
    size_t heat_cap;
    size_t scan_cap;
    size_t probe_rows; /* the walk's budget (0 = ARCHIVE_SEARCH_PROBE_ROWS) */
    bool index_only;   /* never walk: always narrow with the index (tests, benchmarks) */
};

/* A highlight: code points [start, end) of the original field. */
struct archive_span {
    size_t start;
    size_t end;
};

/* One hit: the stored row and its highlights. All owned. */
struct archive_hit {
    struct archive_row row;
    struct archive_span *title; /* n_title spans, sorted, disjoint */
    size_t n_title;
    struct archive_span *text;
    size_t n_text;
};

/* Result of archive_search(). Caller storage; archive_search_result_release(). */
struct archive_search_result {
    size_t total;      /* hits counted (exact when total_exact) */
    bool total_exact;  /* false: at least total hits, the count stopped at a cap */
    bool heat_capped;  /* heat sort ranked only the newest heat_cap hits */
    bool scan_capped;  /* scan_cap candidates were examined and the scan stopped */
    size_t candidates; /* rows the scans returned and the matcher examined */
    bool walked;       /* answered by the walk in time order, not the index (see Plans) */
    struct archive_hit *hits;
    size_t n_hits;
};

/*
 * Run q (borrowed) over a (borrowed) with o (borrowed; NULL = defaults). out: caller storage,
 * zeroed first, released with archive_search_result_release() whatever the result.
 * Returns 0, ERR_INVALID (limit or offset out of range), archive_scan()'s and archive_get()'s
 * errors (ERR_RETRY, ERR_IO, ERR_PARSE, ERR_NOMEM) and match_item()'s (ERR_RETRY, ERR_NOMEM),
 * one line in errbuf. Thread-safe for a shared a and q.
 */
int archive_search(struct archive *a, const struct archive_query *q,
                   const struct archive_search_opts *o, struct archive_search_result *out,
                   char *errbuf, size_t errlen);

/* Free what r owns and zero it (NULL is a no-op). */
void archive_search_result_release(struct archive_search_result *r);

/*
 * One hit as the API returns it: the item's fields (yq_item_to_json()), "time" (archive time,
 * RFC 3339 UTC), "heat", "sentiment" ("positive"|"neutral"|"negative"|null),
 * "matches":[{"rule_id","rule_group","department","level","event_key"}],
 * "highlights":{"title":[[s,e]...],"text":[[s,e]...]}. NULL on ERR_NOMEM (new reference).
 */
json_t *archive_hit_json(const struct archive_hit *h);

/*
 * The search as CSV (RFC 4180: CRLF line ends, fields with '"', ',', CR or LF quoted, '"'
 * doubled; a field starting with '=', '+', '-', '@', TAB or CR gets a leading '\'' so that a
 * spreadsheet does not run it as a formula). Header row:
 *   时间,来源类型,来源,账号,作者,标题,正文,链接,热度,情感,命中规则,事件
 * then at most max_rows hits (0 or more than ARCHIVE_SEARCH_CSV_MAX_ROWS: that many) in o's
 * order from o->offset. out: new NUL-terminated text (free()), *out_len its length; *n_rows
 * (may be NULL) rows written. Returns what archive_search() returns.
 */
int archive_search_csv(struct archive *a, const struct archive_query *q,
                       const struct archive_search_opts *o, size_t max_rows, char **out,
                       size_t *out_len, size_t *n_rows, char *errbuf, size_t errlen);

/*
 * Append s (may be NULL: empty) to b as one CSV field, quoted when needed and guarded
 * against formula injection as above. Returns 0 or ERR_NOMEM / ERR_TOO_BIG (yq_buf_add()).
 */
struct yq_buf;
int archive_csv_field(struct yq_buf *b, const char *s);

#endif
