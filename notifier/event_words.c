#include "event_words.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "yq_db.h"

#include "event_read.h"
#include "ticket_store_int.h"
#include "yq_array.h"
#include "yq_embed.h"
#include "yq_err.h"
#include "yq_log.h"
#include "yq_utf8.h"
#include "yq_banned.h"

/* event_stopwords.txt, embedded at build time (common/embed_files.cmake). */
extern const struct yq_embedded_file event_stopword_files[];

/* The longest @name masked (code points after the @; Weibo allows 30). */
#define AT_NAME_MAX_CP 30

/* The sorted, unique stop words (pointers into stop_buf), built once. */
static char *stop_buf;
static char **stop_v;
static size_t stop_n;
static int stop_err;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void ascii_lower(char *s)
{
    for (; *s; s++) {
        if (*s >= 'A' && *s <= 'Z') {
            *s = (char)(*s - 'A' + 'a');
        }
    }
}

static void stop_build(void)
{
    size_t cap = 0;
    char *p;

    const struct yq_embedded_file *f = yq_embed_find(event_stopword_files, "event_stopwords.txt");

    if (!f) {
        stop_err = ERR_NOT_FOUND;
        return;
    }
    stop_buf = malloc(f->len + 1);
    if (!stop_buf) {
        stop_err = ERR_NOMEM;
        return;
    }
    memcpy(stop_buf, f->data, f->len);
    stop_buf[f->len] = '\0';
    p = stop_buf;
    while (*p) {
        char *end;

        if (*p == '#') { /* a comment line */
            end = strchr(p, '\n');
            p = end ? end + 1 : p + strlen(p);
            continue;
        }
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            p++;
            continue;
        }
        end = p + strcspn(p, " \t\r\n");
        stop_err = yq_array_reserve(&stop_v, &cap, stop_n + 1, sizeof(*stop_v));
        if (stop_err) {
            return;
        }
        stop_v[stop_n++] = p;
        p = *end ? end + 1 : end;
        *end = '\0';
        ascii_lower(stop_v[stop_n - 1]);
    }
    if (stop_n) {
        size_t w = 1;

        qsort(stop_v, stop_n, sizeof(*stop_v), cmp_str);
        for (size_t r = 1; r < stop_n; r++) {
            if (strcmp(stop_v[r], stop_v[w - 1]) != 0) {
                stop_v[w++] = stop_v[r];
            }
        }
        stop_n = w;
    }
}

static bool stop_has(const char *lower)
{
    return stop_n && bsearch(&lower, stop_v, stop_n, sizeof(*stop_v), cmp_str) != NULL;
}

int event_words_is_stopword(const char *word)
{
    char buf[EVENT_WORDS_MAX_WORD_BYTES + 1];
    size_t len;

    pthread_once(&stop_once, stop_build);
    if (!word || stop_err) {
        return 0;
    }
    len = strlen(word);
    if (len > EVENT_WORDS_MAX_WORD_BYTES) {
        return 0;
    }
    memcpy(buf, word, len + 1);
    ascii_lower(buf);
    return stop_has(buf);
}

/* Number units: a word of digits and these only is a number or a date (2026年, 万元). */
static bool is_unit(int32_t cp)
{
    static const int32_t units[] = {
        0x5E74 /* 年 */, 0x6708 /* 月 */, 0x65E5 /* 日 */, 0x53F7 /* 号 */, 0x65F6 /* 时 */,
        0x70B9 /* 点 */, 0x5206 /* 分 */, 0x79D2 /* 秒 */, 0x4E07 /* 万 */, 0x4EBF /* 亿 */,
        0x5143 /* 元 */, 0x4E2A /* 个 */, 0x5343 /* 千 */, 0x767E /* 百 */};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (units[i] == cp) {
            return true;
        }
    }
    return false;
}

static bool is_letter(int32_t cp)
{
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
        return true;
    default:
        return false;
    }
}

/*
 * Whether a word of the segmenter is worth counting: at least two code points, not longer than
 * EVENT_WORDS_MAX_WORD_BYTES, well-formed, at least one letter that is not a number unit
 * (numbers, dates, punctuation and symbols have none), and not a stop word.
 */
static bool word_keep(const char *w)
{
    size_t len = strlen(w);
    size_t n_cp = 0;
    bool letter = false;
    char buf[EVENT_WORDS_MAX_WORD_BYTES + 1];

    if (len < 2 || len > EVENT_WORDS_MAX_WORD_BYTES || !yq_utf8_valid(w, len, NULL)) {
        return false;
    }
    for (size_t i = 0; i < len;) {
        int32_t cp;

        i += yq_utf8_next(w + i, len - i, &cp);
        n_cp++;
        if (!letter && is_letter(cp) && !is_unit(cp)) {
            letter = true;
        }
    }
    if (n_cp < 2 || !letter) {
        return false;
    }
    memcpy(buf, w, len + 1);
    ascii_lower(buf);
    return !stop_has(buf);
}

/* Whether cp ends an @name: a space, control, or punctuation other than _ and -. */
static bool ends_at_name(int32_t cp)
{
    if (cp <= 0x20 || cp == 0x7F || cp == 0xFFFD) {
        return true;
    }
    if (cp == '_' || cp == '-') {
        return false;
    }
    if (cp < 0x80) {
        return !((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z'));
    }
    switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_ZS:
    case UTF8PROC_CATEGORY_PC:
    case UTF8PROC_CATEGORY_PD:
    case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE:
    case UTF8PROC_CATEGORY_PI:
    case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
    case UTF8PROC_CATEGORY_SM:
    case UTF8PROC_CATEGORY_SO:
        return true;
    default:
        return false;
    }
}

/*
 * Blank (with spaces, keeping the byte layout) URLs (http://, https://, www. up to the first
 * byte that is not printable ASCII) and @names (@ or ＠ and the name after it) in s[0..n).
 */
static void mask_urls_and_names(char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;

        if ((n - i >= 7 && strncasecmp(s + i, "http://", 7) == 0) ||
            (n - i >= 8 && strncasecmp(s + i, "https://", 8) == 0) ||
            (n - i >= 4 && strncasecmp(s + i, "www.", 4) == 0)) {
            while (j < n && (unsigned char)s[j] > 0x20 && (unsigned char)s[j] < 0x7F) {
                j++;
            }
        } else if (s[i] == '@' || (n - i >= 3 && memcmp(s + i, "\xEF\xBC\xA0", 3) == 0)) {
            size_t n_cp = 0;

            j += s[i] == '@' ? 1 : 3;
            while (j < n && n_cp < AT_NAME_MAX_CP) {
                int32_t cp;
                size_t step = yq_utf8_next(s + j, n - j, &cp);

                if (ends_at_name(cp)) {
                    break;
                }
                j += step;
                n_cp++;
            }
        } else {
            i++;
            continue;
        }
        memset(s + i, ' ', j - i);
        i = j;
    }
}

struct word_count {
    const char *word; /* a key of the counts object */
    json_int_t count;
};

static int cmp_count(const void *a, const void *b)
{
    const struct word_count *x = a;
    const struct word_count *y = b;

    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return strcmp(x->word, y->word);
}

/* Count the kept words of one text once each into counts. */
static int count_text(const struct yq_segment *seg, const char *text, json_t *counts)
{
    size_t len = strnlen(text, YQ_SEGMENT_MAX_INPUT_BYTES + 1);
    struct yq_segment_words words;
    json_t *seen;
    char *copy;
    int err;

    if (len == 0) {
        return 0;
    }
    copy = malloc(len + 1);
    if (!copy) {
        return ERR_NOMEM;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    mask_urls_and_names(copy, len);
    err = yq_segment_split(seg, copy, len, &words);
    free(copy);
    if (err) {
        return err;
    }
    seen = json_object();
    if (!seen) {
        yq_segment_words_release(&words);
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < words.n && !err; i++) {
        const char *w = words.v[i].text;
        json_t *c;

        if (!word_keep(w) || json_object_get(seen, w)) {
            continue;
        }
        if (json_object_set_new(seen, w, json_true()) != 0) {
            err = ERR_NOMEM;
            break;
        }
        c = json_object_get(counts, w);
        if (c) {
            json_integer_set(c, json_integer_value(c) + 1);
        } else if (json_object_size(counts) < EVENT_WORDS_MAX_DISTINCT &&
                   json_object_set_new(counts, w, json_integer(1)) != 0) {
            err = ERR_NOMEM;
        }
    }
    json_decref(seen);
    yq_segment_words_release(&words);
    return err;
}

int event_words_top(const struct yq_segment *seg, const char *const *texts, size_t n,
                    size_t max_words, json_t **out)
{
    struct word_count *v = NULL;
    json_t *counts;
    json_t *arr = NULL;
    const char *key;
    json_t *val;
    size_t nv = 0;
    int err = 0;

    if (!out) {
        return ERR_INVALID;
    }
    *out = NULL;
    if (!seg || (!texts && n > 0)) {
        return ERR_INVALID;
    }
    pthread_once(&stop_once, stop_build);
    if (stop_err) {
        return stop_err;
    }
    if (n > EVENT_WORDS_MAX_TEXTS) {
        n = EVENT_WORDS_MAX_TEXTS;
    }
    if (max_words > EVENT_WORDS_MAX_RESULT) {
        max_words = EVENT_WORDS_MAX_RESULT;
    }
    counts = json_object();
    if (!counts) {
        return ERR_NOMEM;
    }
    for (size_t i = 0; i < n && !err; i++) {
        if (texts[i]) {
            err = count_text(seg, texts[i], counts);
        }
    }
    if (!err && json_object_size(counts) > 0) {
        v = malloc(json_object_size(counts) * sizeof(*v));
        if (!v) {
            err = ERR_NOMEM;
        }
    }
    if (!err) {
        json_object_foreach(counts, key, val)
        {
            v[nv].word = key;
            v[nv].count = json_integer_value(val);
            nv++;
        }
        if (nv) {
            qsort(v, nv, sizeof(*v), cmp_count);
        }
        arr = json_array();
        if (!arr) {
            err = ERR_NOMEM;
        }
    }
    for (size_t i = 0; !err && i < nv && i < max_words; i++) {
        json_t *o = json_pack("{s:s, s:I}", "word", v[i].word, "count", v[i].count);

        if (!o || json_array_append_new(arr, o) != 0) {
            err = ERR_NOMEM;
        }
    }
    free(v);
    json_decref(counts);
    if (err) {
        json_decref(arr);
        return err;
    }
    *out = arr;
    return 0;
}

/* One text per row: title and excerpt of an event item, joined by a newline. */
struct texts {
    size_t n;
    char **v;
};

static void texts_release(struct texts *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i]);
    }
    free(t->v);
    t->n = 0;
    t->v = NULL;
}

int event_words_for_event(struct ticket_store *store, const struct yq_segment *seg,
                          int64_t event_id, size_t max_words, json_t **out)
{
    struct texts t = {0, NULL};
    struct yq_stmt *st = NULL;
    int err, rc;

    if (!out) {
        return ERR_INVALID;
    }
    *out = NULL;
    if (!store || !seg) {
        return ERR_INVALID;
    }
    t.v = calloc(EVENT_WORDS_MAX_TEXTS, sizeof(*t.v));
    if (!t.v) {
        return ERR_NOMEM;
    }
    err = ticket_store_prepare(store,
                               "SELECT title, excerpt FROM event_items WHERE event_id = ? "
                               "ORDER BY matched_at DESC, id DESC LIMIT 5000",
                               &st, "event words");
    if (!err) {
        yq_stmt_bind_int64(st, 1, event_id);
        while ((rc = yq_stmt_step(st)) == YQ_DB_ROW && t.n < EVENT_WORDS_MAX_TEXTS) {
            const char *title = yq_stmt_column_text(st, 0);
            const char *excerpt = yq_stmt_column_text(st, 1);
            char *s = NULL;

            if (asprintf(&s, "%s\n%s", title ? title : "", excerpt ? excerpt : "") < 0) {
                err = ERR_NOMEM;
                break;
            }
            t.v[t.n++] = s;
        }
        if (!err && rc != YQ_DB_DONE && rc != YQ_DB_ROW) {
            err = ticket_store_fail(store, rc, "event words");
        }
        yq_stmt_finalize(st);
    }
    if (!err) {
        err = event_words_top(seg, (const char *const *)t.v, t.n, max_words, out);
    }
    texts_release(&t);
    return err;
}

static pthread_once_t page_seg_once = PTHREAD_ONCE_INIT;
static struct yq_segment *page_seg;

static void page_seg_load(void)
{
    char why[256] = "";

    if (yq_segment_open(NULL, &page_seg, why, sizeof(why)) != 0) {
        LOG_WARN("event page without hot words: %s", why);
        page_seg = NULL;
    }
}

const struct yq_segment *event_words_segmenter(void)
{
    pthread_once(&page_seg_once, page_seg_load);
    return page_seg;
}

int event_words_fill_page(json_t *page, char *const *texts, size_t n)
{
    const struct yq_segment *seg;
    json_t *words = NULL;
    int err;

    if (!page || (!texts && n > 0)) {
        return ERR_INVALID;
    }
    if (n == 0 || !(seg = event_words_segmenter())) {
        return 0;
    }
    err = event_words_top(seg, (const char *const *)texts, n, EVENT_READ_MAX_HOT_WORDS, &words);
    if (!err && json_object_set_new(page, "hot_words", words) != 0) {
        err = ERR_NOMEM;
    }
    return err;
}
