/*
 * Sentiment of one item (负面 / 中性 / 正面) from the project's own lexicon (docs/sentiment.md,
 * docs/desk.md "Sentiment and heat"): short Chinese posts about local government affairs.
 *
 * The lexicon is six word lists in common/sentiment/ (embedded into the binary at build time
 * by common/embed_files.cmake, so no path must be configured): polar words with a weight
 * (negative.txt, positive.txt), degree words with a multiplier (degree.txt), negation words
 * (negation.txt), words that carry no sentiment but must not be read as shorter words inside
 * them (neutral.txt: 不断 is not 不 + 断, 特别是 is not 别), and clause markers (structure.txt:
 * question 吗, rhetoric 难道, adversative 但是). An override folder may replace any of them.
 *
 * Text and terms are normalised alike (pipeline/norm.h: NFKC with case folding, traditional
 * -> simplified by OpenCC, invisible characters removed) and the terms are found by one
 * Vectorscan literal database (pipeline/term_find.h); overlapping finds are resolved
 * leftmost-longest, so 不满意 is one negative word, not 不 + 满意.
 *
 * Scoring, per clause (a clause ends at , . ; : ! ? 。、… or a line break):
 *   word = weight * product(degree words before it) * negation factor;
 *   negation factor: an odd number of negation words before the word (within
 *   YQ_SENTIMENT_NEG_WINDOW_CP characters, same clause) gives YQ_SENTIMENT_NEG_FLIP, an even
 *   number >= 2 (double negation) YQ_SENTIMENT_NEG_DOUBLE; a degree word after a negation
 *   (不是很满意) softens instead of stressing: it counts YQ_SENTIMENT_NEG_DEGREE;
 *   a clause ending in ! weighs YQ_SENTIMENT_EXCLAIM times; in a question (ends in ? or has
 *   吗/呢) positive words weigh YQ_SENTIMENT_QUESTION_POS; a rhetorical clause (难道/岂/
 *   凭什么 ...) counts as a reproach: -(|clause| + YQ_SENTIMENT_RHETORIC);
 *   an adversative word (但是/可是/然而/不过 ...) multiplies what came before it by
 *   YQ_SENTIMENT_BUT_BEFORE;
 *   score = YQ_SENTIMENT_TITLE_WEIGHT * title score + text score;
 *   label: score <= -YQ_SENTIMENT_THRESHOLD negative, >= +YQ_SENTIMENT_THRESHOLD positive,
 *   neutral between.
 *
 * Thread-safety: a struct yq_sentiment is read-only after yq_sentiment_open(); any number of
 * threads may call yq_sentiment_score() on it at once (each thread keeps its own scratch,
 * freed when the thread ends).
 */
#ifndef COMMON_YQ_SENTIMENT_H
#define COMMON_YQ_SENTIMENT_H

#include <stddef.h>

/* Only this many bytes of the title / of the text are scored (cut at a character boundary). */
#define YQ_SENTIMENT_MAX_TITLE_BYTES 1024
#define YQ_SENTIMENT_MAX_TEXT_BYTES (16 * 1024)
/* Largest lexicon file accepted from an override folder. */
#define YQ_SENTIMENT_MAX_FILE_BYTES (1024 * 1024)

/* The numbers of the method (see the top of this file and docs/sentiment.md). */
#define YQ_SENTIMENT_TITLE_WEIGHT 1.5
#define YQ_SENTIMENT_THRESHOLD 0.5
#define YQ_SENTIMENT_NEG_WINDOW_CP 4
#define YQ_SENTIMENT_NEG_FLIP (-0.8)
#define YQ_SENTIMENT_NEG_DOUBLE 0.8
#define YQ_SENTIMENT_NEG_DEGREE 0.5
#define YQ_SENTIMENT_EXCLAIM 1.3
#define YQ_SENTIMENT_QUESTION_POS 0.25
#define YQ_SENTIMENT_RHETORIC 0.5
#define YQ_SENTIMENT_BUT_BEFORE 0.5

enum yq_sentiment_label {
    YQ_SENTIMENT_NEGATIVE = -1,
    YQ_SENTIMENT_NEUTRAL = 0,
    YQ_SENTIMENT_POSITIVE = 1,
};

struct yq_sentiment;

struct yq_sentiment_result {
    enum yq_sentiment_label label;
    double score;        /* sign = polarity; 0 without polar words */
    unsigned n_negative; /* negative-list words found (before negation) */
    unsigned n_positive; /* positive-list words found (before negation) */
    unsigned n_negation; /* negation words found */
    unsigned n_degree;   /* degree words found */
    int truncated;       /* 1 when the title or text was longer than its bound */
    /* the normalised word that added most to |score| ("" without one), for "why" in the UI */
    char strongest[64];
};

/*
 * Build the classifier. override_dir: NULL, or a folder (borrowed) in which each of
 * negative.txt, positive.txt, degree.txt, negation.txt, neutral.txt, structure.txt that exists
 * replaces the embedded list of that name (one term a line, then TAB and a weight or kind
 * where the list has one, '#' comments; UTF-8;
 * at most YQ_SENTIMENT_MAX_FILE_BYTES).
 * out: a new classifier (yq_sentiment_free()), read-only afterwards.
 * errbuf: one line naming the file and line on failure (may be NULL when errlen is 0).
 * Returns 0, ERR_PARSE (a malformed line or weight), ERR_INVALID (a term that cannot match,
 * or one listed twice), ERR_TOO_BIG, ERR_IO, ERR_NOT_FOUND (override_dir is not a folder, or
 * the OpenCC data is missing) or ERR_NOMEM.
 * Takes about 100 ms on first use in a process (the normalisation tables are built once).
 */
int yq_sentiment_open(const char *override_dir, struct yq_sentiment **out, char *errbuf,
                      size_t errlen);

/* Free s (NULL is a no-op). */
void yq_sentiment_free(struct yq_sentiment *s);

/*
 * Score one item. title, text: NUL-terminated UTF-8 (borrowed); either may be NULL or empty.
 * Invalid UTF-8 bytes are read as U+FFFD (they match nothing). Only the first
 * YQ_SENTIMENT_MAX_TITLE_BYTES / YQ_SENTIMENT_MAX_TEXT_BYTES are scored.
 * out: filled on success; on failure it says neutral with score 0.
 * Returns 0, ERR_NOMEM or ERR_RETRY (Vectorscan failed). Thread-safe (see above).
 */
int yq_sentiment_score(const struct yq_sentiment *s, const char *title, const char *text,
                       struct yq_sentiment_result *out);

/* "negative", "neutral", "positive" (codes, JSON, the database); "neutral" for any other value. */
const char *yq_sentiment_name(enum yq_sentiment_label label);

/* 负面, 中性, 正面 (the UI); 中性 for any other value. */
const char *yq_sentiment_label(enum yq_sentiment_label label);

/*
 * Parse a name of yq_sentiment_name() into *out. Returns 0 or ERR_INVALID (NULL or unknown).
 */
int yq_sentiment_parse(const char *name, enum yq_sentiment_label *out);

/* Number of terms in the lexicon, all lists together (for the start-up log). */
size_t yq_sentiment_n_terms(const struct yq_sentiment *s);

#endif
