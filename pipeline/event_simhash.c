/*
 * SimHash and Hamming distance of events (event.h), apart from the Redis assignment in event.c
 * so that a program that only groups near-duplicates (the backtest, archive_backtest.c) links
 * this without event_assign() (issue #14: the notifier has a function of that name too).
 */
#include "event.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "yq_err.h"
#include "yq_banned.h"

/* The longest normalised title + text that is hashed (the rest adds nothing to SimHash). */
#define SIMHASH_MAX_BYTES (256 * 1024)

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static uint64_t bigram_hash(int32_t a, int32_t b)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    uint32_t v[2] = {(uint32_t)a, (uint32_t)b};
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < 4; k++) {
            h ^= (v[i] >> (8 * k)) & 0xFF;
            h *= 0x100000001b3ULL;
        }
    }
    return mix64(h);
}

/*
 * Boilerplate that a site, an aggregator or a reposting account adds around a story and that
 * is no part of it: SimHash has no features from it, so the same story republished with
 * another header, footer, source or editor line stays within EVENT_MAX_DISTANCE, and two
 * stories under one site's long footer do not come close through the footer. Strings are in
 * normalised form (norm.h: NFKC, case folded, so "：" is ":" and "©" stays).
 *
 * A line (the text between line breaks, which the collectors keep at block elements and
 * <br>) is dropped whole when it has no letter at all (a date, a time, a page counter). Its
 * footer is dropped (footer_cut()) when it contains one of boiler_lines (copyright,
 * registration and navigation footers, share and print buttons) and looks like page
 * furniture, not like a sentence: the text after the line's last sentence mark (the whole line
 * when it has none, or when it is at most FURNITURE_SHORT_CP characters) is at most
 * FURNITURE_MAX_CP characters. A Weibo post or an RSS description is one line, so a footer word
 * inside one of its sentences keeps the post ("市司法局作为主办单位举行…，…。"), and a footer after
 * its last sentence ("…正在调查。版权所有 安康日报社") goes without the sentences.
 */
static const char *const boiler_lines[] = {
    "版权所有",   "copyright",  "©",        "icp备",    "icp证",    "公网安备", "网站标识码",
    "主办单位",   "承办单位",   "技术支持", "联系我们", "网站地图", "免责声明", "法律声明",
    "分享到",     "扫一扫",     "打印本页", "关闭窗口", "【打印】", "【关闭】", "[打印]",
    "[关闭]",     "转载请注明", "【广告】", "[广告]",   "点击蓝字", "扫码关注", "长按识别",
    "长按二维码", "往期推荐",   "阅读原文", "点个在看",
};

#define FURNITURE_MAX_CP 80   /* the longest footer, in characters, after a sentence mark */
#define FURNITURE_SHORT_CP 16 /* a line this short is furniture even with a sentence mark */
#define LABEL_VALUE_MAX_CP 30 /* the longest value of a page label, in characters */

/*
 * Page labels standing on their own (not the end of a longer word, so "事发时间:" is no
 * label: after the line's start, a character that is not a letter or digit, something skipped,
 * or where the original text had something normalisation dropped, such as a space between
 * two Chinese characters). A field (who wrote, edited or first published the page, when) goes
 * with its value only (field_len(): up to the original's white space, a sentence mark or a
 * closing bracket, at most LABEL_VALUE_MAX_CP characters) and the rest of the line stays, so
 * "来源:安康市应急管理局 12月5日,汉滨区…" keeps its story and "…起火 时间:昨晚八点" its sentence.
 */
static const char *const boiler_fields[] = {
    "来源:",   "来源于:",   "出处:",     "责任编辑:", "编辑:",     "作者:",     "记者:",
    "通讯员:", "摄影:",     "审核:",     "校对:",     "发布时间:", "发布日期:", "时间:",
    "日期:",   "浏览次数:", "阅读次数:", "点击数:",   "点击量:",   "阅读量:",
};

/*
 * A trailer (an advertisement, links to other articles, the original title, the font-size
 * buttons) standing on its own drops the label and the rest of its line: what follows it is
 * no part of the story ("广告:安康房产 江景大宅…", "推荐阅读:… …", "字号:大 中 小").
 */
static const char *const boiler_trailers[] = {
    "原标题:",   "字号:",     "广告:",   "推广:",   "推荐阅读:", "相关阅读:",
    "相关新闻:", "延伸阅读:", "上一篇:", "下一篇:", "原文链接:", "原文地址:",
};

/* Sentence marks (normalised: "，" is ","; a "," followed by a space is an English list's). */
static const char *const sentence_marks[] = {"。", "!", "?", ";", ","};

/* Where a label's value ends besides white space and sentence marks. */
static const char *const value_ends[] = {")", "]", "】", "」", "》"};

/*
 * Inside a kept line these are skipped: bracketed credits, 【…】 or […] naming a medium (its
 * content ends with one of media_suffixes: "【安康日报】", "[华商网讯]") and (…) naming a
 * reporter ("(记者 李华)", "(通讯员 王敏 摄)"); the words of credit_tokens ("本报讯"); dates
 * with their year and clock times (date_len()); and links (url_starts up to the next space
 * or non-ASCII character), which differ per site.
 */
static const char *const media_suffixes[] = {
    "报", "网", "讯", "台", "社", "新闻", "客户端", "融媒", "融媒体中心", "发布", "头条",
};
static const char *const credit_words[] = {"记者", "通讯员", "摄影", "编辑"};
static const char *const credit_tokens[] = {"本报讯", "本台讯", "本网讯", "本刊讯"};
static const char *const url_starts[] = {"http://", "https://", "www."};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The running sums of one SimHash. */
struct simhash_acc {
    int32_t v[64];
    int32_t prev; /* the previous word code point, -1 after a break */
    size_t n;     /* features added */
};

static bool has_any(const char *s, size_t len, const char *const *words, size_t n_words)
{
    for (size_t i = 0; i < n_words; i++) {
        if (memmem(s, len, words[i], strlen(words[i]))) {
            return true;
        }
    }
    return false;
}

static bool ends_with_any(const char *s, size_t len, const char *const *words, size_t n_words)
{
    for (size_t i = 0; i < n_words; i++) {
        size_t k = strlen(words[i]);
        if (k <= len && memcmp(s + len - k, words[i], k) == 0) {
            return true;
        }
    }
    return false;
}

/* Whether len bytes of UTF-8 hold a letter (Unicode L*). */
static bool has_letter(const char *s, size_t len)
{
    size_t i = 0;

    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k =
            utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        utf8proc_category_t c;
        if (k <= 0) {
            i++;
            continue;
        }
        i += (size_t)k;
        c = utf8proc_category(cp);
        if (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) {
            return true;
        }
    }
    return false;
}

/*
 * The length of what is skipped at s (len bytes left), or 0: a credit token, a date or time,
 * a link, or a bracketed credit ("【" or "[" up to the matching close naming a medium, "(" up to
 * ")" naming a reporter; at most 60 bytes).
 */
/* The number of ASCII digits at s (at most max of len bytes). */
static size_t digits(const char *s, size_t len, size_t max)
{
    size_t n = 0;

    while (n < len && n < max && s[n] >= '0' && s[n] <= '9') {
        n++;
    }
    return n;
}

/* The length of sep (one of seps, NUL-terminated strings) at s, or 0. */
static size_t sep_len(const char *s, size_t len, const char *const *seps, size_t n_seps)
{
    for (size_t i = 0; i < n_seps; i++) {
        size_t k = strlen(seps[i]);
        if (k <= len && memcmp(s, seps[i], k) == 0) {
            return k;
        }
    }
    return 0;
}

/*
 * The length of a publication date or clock time at s, or 0: YYYY-M-D (separators -, /, .
 * or 年 月 with an optional 日) and H:MM or H:MM:SS. A site stamps its own ("2026-12-06
 * 08:30"); a date the story tells without the year ("12月5日") is kept.
 */
static size_t date_len(const char *s, size_t len)
{
    static const char *const date_seps[] = {"-", "/", ".", "年", "月"};
    size_t n = digits(s, len, 4), k, m;

    if (n == 4 && (k = sep_len(s + n, len - n, date_seps, NELEMS(date_seps))) > 0 &&
        (m = digits(s + n + k, len - n - k, 2)) > 0) {
        n += k + m;
        if ((k = sep_len(s + n, len - n, date_seps, NELEMS(date_seps))) > 0 &&
            (m = digits(s + n + k, len - n - k, 2)) > 0) {
            n += k + m;
            n += sep_len(s + n, len - n, (const char *const[]){"日"}, 1);
            return n;
        }
        return 0;
    }
    if (n >= 1 && n <= 2 && n < len && s[n] == ':' && digits(s + n + 1, len - n - 1, 2) == 2) {
        n += 3;
        if (n < len && s[n] == ':' && digits(s + n + 1, len - n - 1, 2) == 2) {
            n += 3;
        }
        return n;
    }
    return 0;
}

static size_t skip_len(const char *s, size_t len)
{
    static const struct {
        const char *open, *close;
        bool medium;
    } pairs[] = {{"【", "】", true}, {"[", "]", true}, {"(", ")", false}};
    size_t max = len < 60 ? len : 60;

    size_t k = sep_len(s, len, credit_tokens, NELEMS(credit_tokens));

    if (k > 0) {
        return k;
    }
    k = date_len(s, len);
    if (k > 0) {
        return k;
    }
    for (size_t i = 0; i < NELEMS(url_starts); i++) {
        size_t u = strlen(url_starts[i]);
        if (u <= len && memcmp(s, url_starts[i], u) == 0) {
            while (u < len && (unsigned char)s[u] > ' ' && (unsigned char)s[u] < 0x80) {
                u++;
            }
            return u;
        }
    }
    for (size_t i = 0; i < NELEMS(pairs); i++) {
        size_t ol = strlen(pairs[i].open), cl = strlen(pairs[i].close);
        const char *end;
        size_t inner;
        if (max < ol + cl || memcmp(s, pairs[i].open, ol) != 0) {
            continue;
        }
        end = memmem(s + ol, max - ol, pairs[i].close, cl);
        if (!end) {
            continue;
        }
        inner = (size_t)(end - s) - ol;
        if (pairs[i].medium ? ends_with_any(s + ol, inner, media_suffixes, NELEMS(media_suffixes))
                            : has_any(s + ol, inner, credit_words, NELEMS(credit_words))) {
            return (size_t)(end - s) + cl;
        }
    }
    return 0;
}

/* The length of a sentence mark at s (len bytes left), or 0. */
static size_t sentence_mark_len(const char *s, size_t len)
{
    size_t k = sep_len(s, len, sentence_marks, NELEMS(sentence_marks));

    if (k == 1 && s[0] == ',' && len > 1 && s[1] == ' ') {
        return 0;
    }
    return k;
}

/* The number of UTF-8 characters in len bytes (continuation bytes not counted). */
static size_t count_cp(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    }
    return n;
}

/*
 * The bytes of line (len bytes) to hash: len, or where its footer starts (above: a footer
 * word in the text after the last sentence mark, that text at most FURNITURE_MAX_CP
 * characters; 0 drops the line).
 */
static size_t footer_cut(const char *line, size_t len)
{
    size_t tail = 0, i = 0;

    while (i < len) {
        size_t k = sentence_mark_len(line + i, len - i);
        i += k > 0 ? k : 1;
        tail = k > 0 ? i : tail;
    }
    if (count_cp(line, len) <= FURNITURE_SHORT_CP) {
        tail = 0;
    }
    if (count_cp(line + tail, len - tail) <= FURNITURE_MAX_CP &&
        has_any(line + tail, len - tail, boiler_lines, NELEMS(boiler_lines))) {
        return tail;
    }
    return len;
}

/* Whether the original text had something between byte i - 1 and byte i (i > 0). */
static bool orig_gap(const uint32_t *orig_cp, size_t i)
{
    return orig_cp && orig_cp[i] > orig_cp[i - 1] + 1;
}

/*
 * The length of a page field at s (len bytes left) with its value, or 0 (boiler_fields
 * above). orig_cp: the offset map from s on, or NULL (then the value ends only at white space
 * or a mark of the normalised text).
 */
static size_t field_len(const char *s, size_t len, const uint32_t *orig_cp)
{
    size_t i = sep_len(s, len, boiler_fields, NELEMS(boiler_fields)), n = 0;

    if (i == 0) {
        return 0;
    }
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r')) {
        i++;
    }
    for (size_t start = i; i < len && n < LABEL_VALUE_MAX_CP; n++) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;
        if ((i > start && orig_gap(orig_cp, i)) || sentence_mark_len(s + i, len - i) > 0 ||
            sep_len(s + i, len - i, value_ends, NELEMS(value_ends)) > 0) {
            break;
        }
        k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            break;
        }
        if (cp == '\t' || cp == '\r' || utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS) {
            break;
        }
        i += (size_t)k;
    }
    return i;
}

static bool word_cp(int32_t cp)
{
    utf8proc_category_t c = utf8proc_category(cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO);
}

/*
 * The features of len bytes of one kept line into a, skipping bracketed credits, dates, links
 * and page fields, and stopping at a trailer. orig_cp: the offset map from s on, or NULL.
 */
static void acc_line(struct simhash_acc *a, const char *s, size_t len, const uint32_t *orig_cp)
{
    size_t i = 0;

    a->prev = -1;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k;
        size_t skip = skip_len(s + i, len - i);
        if (skip == 0 && (a->prev < 0 || (i > 0 && orig_gap(orig_cp, i)))) {
            /* a label standing on its own */
            if (sep_len(s + i, len - i, boiler_trailers, NELEMS(boiler_trailers)) > 0) {
                return;
            }
            skip = field_len(s + i, len - i, orig_cp ? orig_cp + i : NULL);
        }
        if (skip > 0) {
            i += skip;
            a->prev = -1;
            continue;
        }
        k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(len - i), &cp);
        if (k <= 0) {
            i++;
            a->prev = -1;
            continue;
        }
        i += (size_t)k;
        if (!word_cp(cp)) {
            a->prev = -1;
            continue;
        }
        if (a->prev >= 0) {
            uint64_t h = bigram_hash(a->prev, cp);
            for (int b = 0; b < 64; b++) {
                a->v[b] += ((h >> b) & 1u) ? 1 : -1;
            }
            a->n++;
        }
        a->prev = cp;
    }
}

uint64_t event_simhash_normalised(const struct norm_text *t, size_t *n_features)
{
    struct simhash_acc a;
    const char *s = t->buf ? t->buf : "", *p = s, *end = s + t->len;
    uint64_t out = 0;

    memset(&a, 0, sizeof(a));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t line = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (has_letter(p, line)) {
            acc_line(&a, p, footer_cut(p, line), t->orig_cp ? t->orig_cp + (p - s) : NULL);
        }
        p += line + 1;
    }
    for (int b = 0; b < 64; b++) {
        if (a.v[b] > 0) {
            out |= (uint64_t)1 << b;
        }
    }
    *n_features = a.n;
    return out;
}

int event_simhash(const struct yq_item *item, struct norm_text *buf, uint64_t *out,
                  size_t *n_features)
{
    const struct norm *nm;
    const char *title = item->title ? item->title : "", *text = item->text ? item->text : "";
    size_t tl = strlen(title), xl = strlen(text);
    char *joined;
    int err;

    *out = 0;
    *n_features = 0;
    err = norm_global(&nm, NULL, 0);
    if (err) {
        return err;
    }
    /* title, a separator that is not a word character, text: one feature stream */
    joined = malloc(tl + xl + 2);
    if (!joined) {
        return ERR_NOMEM;
    }
    memcpy(joined, title, tl);
    joined[tl] = '\n';
    memcpy(joined + tl + 1, text, xl);
    joined[tl + 1 + xl] = '\0';
    err = norm_apply(nm, joined, tl + 1 + xl, SIMHASH_MAX_BYTES, buf);
    free(joined);
    if (err == ERR_NOMEM) {
        return err;
    }
    *out = event_simhash_normalised(buf, n_features);
    return 0;
}

int event_hamming(uint64_t a, uint64_t b)
{
    return __builtin_popcountll(a ^ b);
}
