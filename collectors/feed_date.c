#include "feed_date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* A zone name and its offset from UTC in minutes (east positive). */
struct zone {
    const char *name;
    int offset_min;
};

/*
 * Named zones. CST is China Standard Time here (FC-015): the feeds this system reads are
 * Chinese, and a Chinese site writing "CST" means Beijing time, never US Central.
 * The one-letter military zones follow RFC 822 §5 as written (A = -1 h ... M = -12 h,
 * N = +1 h ... Y = +12 h, J unused), as feedparser does; RFC 1123 §5.2.14 notes that the
 * signs were the reverse of military use, which is why RFC 2822 deprecates them.
 */
static const struct zone zones[] = {
    {"GMT", 0},      {"UT", 0},       {"UTC", 0},      {"UCT", 0},      {"Z", 0},
    {"CST", 480},    {"CCT", 480},    {"HKT", 480},    {"SGT", 480},    {"BJT", 480},
    {"JST", 540},    {"KST", 540},    {"EST", -300},   {"EDT", -240},   {"CDT", -300},
    {"MST", -420},   {"MDT", -360},   {"PST", -480},   {"PDT", -420},   {"AST", -240},
    {"ADT", -180},   {"AKST", -540},  {"AKDT", -480},  {"HST", -600},   {"BST", 60},
    {"WET", 0},      {"WEST", 60},    {"CET", 60},     {"CEST", 120},   {"MET", 60},
    {"MEST", 120},   {"MEZ", 60},     {"MESZ", 120},   {"EET", 120},    {"EEST", 180},
    {"MSK", 180},    {"IST", 330},    {"A", -60},      {"B", -120},     {"C", -180},
    {"D", -240},     {"E", -300},     {"F", -360},     {"G", -420},     {"H", -480},
    {"I", -540},     {"K", -600},     {"L", -660},     {"M", -720},     {"N", 60},
    {"O", 120},      {"P", 180},      {"Q", 240},      {"R", 300},      {"S", 360},
    {"T", 420},      {"U", 480},      {"V", 540},      {"W", 600},      {"X", 660},
    {"Y", 720},      {NULL, 0},
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

/* Offsets beyond ±14:00 exist nowhere (Pacific/Kiritimati is +14). */
#define ZONE_MAX_MIN (14 * 60)

/* A broken-down time as read; precision is static. */
struct when {
    int year, mon, day, h, mi, sec;
    int offset_min; /* east of UTC; Asia/Shanghai when the text names no zone (FC-015) */
    const char *precision;
};

static void skip_ws(const char **p)
{
    while (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n' || **p == ',') {
        (*p)++;
    }
}

static int num(const char **p, int min_digits, int max_digits, int *out)
{
    int v = 0, n = 0;
    while (n < max_digits && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    if (n < min_digits) {
        return ERR_PARSE;
    }
    *out = v;
    return 0;
}

/* The value of the n (1 or 2) ASCII digits at p. */
static int atoi_2(const char *p, size_t n)
{
    return n == 1 ? p[0] - '0' : (p[0] - '0') * 10 + (p[1] - '0');
}

static int word(const char **p, char *buf, size_t len)
{
    size_t n = 0;
    while (isalpha((unsigned char)**p)) {
        if (n + 1 < len) {
            buf[n++] = (char)tolower((unsigned char)**p);
        }
        (*p)++;
    }
    buf[n] = '\0';
    return n ? 0 : ERR_PARSE;
}

/* 1-12 for a month name or its 3-letter abbreviation ("jan", "january"), else -1. */
static int month_of(const char *w)
{
    for (int i = 0; i < 12; i++) {
        if (strncmp(w, months[i], 3) == 0) {
            return i + 1;
        }
    }
    return -1;
}

static bool is_day_name(const char *w)
{
    for (int i = 0; i < 7; i++) {
        if (strncmp(w, day_names[i], 3) == 0) {
            return true;
        }
    }
    return false;
}

/* "+0800", "+08:00", "+08" or "+8" at p (sign included) into *min. */
static int numeric_offset(const char **p, int *min)
{
    int sign = **p == '-' ? -1 : 1, oh, om = 0;
    const char *zs = ++*p;

    if (num(p, 1, 4, &oh)) {
        return ERR_PARSE;
    }
    if (*p - zs > 2) { /* +0800 */
        if (*p - zs != 4) {
            return ERR_PARSE;
        }
        om = oh % 100;
        oh /= 100;
    } else if (**p == ':') { /* +08:00 */
        (*p)++;
        if (num(p, 2, 2, &om)) {
            return ERR_PARSE;
        }
    }
    if (oh > 23 || om > 59 || oh * 60 + om > ZONE_MAX_MIN) {
        return ERR_PARSE;
    }
    *min = sign * (oh * 60 + om);
    return 0;
}

/*
 * A zone at p into *min: numeric ("+0800", "-05:00"), a name of zones[] optionally followed
 * by an offset ("GMT+0800", "GMT+8", "UTC-05:00": the name's offset plus that, the usual
 * reading), or a tz database name "Etc/GMT", "Etc/UTC", "Etc/GMT+8". The Etc/GMT±N names
 * keep the tz database's POSIX sign: Etc/GMT+8 is 8 hours *west* of Greenwich (-08:00) and
 * Etc/GMT-8 is +08:00 (Beijing); a bare "GMT+8" is +08:00.
 */
static int parse_zone(const char **p, int *min)
{
    char w[16];
    bool etc = false;
    int extra = 0;

    if (**p == '+' || **p == '-') {
        return numeric_offset(p, min);
    }
    if (word(p, w, sizeof(w))) {
        return ERR_PARSE;
    }
    if (strcmp(w, "etc") == 0 && **p == '/') {
        (*p)++;
        etc = true;
        if (word(p, w, sizeof(w)) || (strcmp(w, "gmt") != 0 && strcmp(w, "utc") != 0 &&
                                      strcmp(w, "uct") != 0 && strcmp(w, "zulu") != 0)) {
            return ERR_PARSE;
        }
        if (strcmp(w, "zulu") == 0) {
            snprintf(w, sizeof(w), "utc");
        }
    }
    *min = 0;
    {
        bool found = false;
        for (int i = 0; zones[i].name; i++) {
            if (strcasecmp(w, zones[i].name) == 0) {
                *min = zones[i].offset_min;
                found = true;
                break;
            }
        }
        if (!found) {
            return ERR_PARSE;
        }
    }
    if (**p == ' ' && ((*p)[1] == '+' || (*p)[1] == '-') && isdigit((unsigned char)(*p)[2])) {
        (*p)++; /* "GMT +0800" */
    }
    if ((**p == '+' || **p == '-') && isdigit((unsigned char)(*p)[1])) {
        if (numeric_offset(p, &extra)) {
            return ERR_PARSE;
        }
        if (etc) {
            if (extra % 60 != 0) {
                return ERR_PARSE; /* the tz database has whole hours only */
            }
            extra = -extra; /* POSIX sign: Etc/GMT+8 is UTC-8 */
        }
        *min += extra;
    }
    return 0;
}

/* "HH:MM[:SS]" at p into w (precision minute or second). */
static int parse_clock(const char **p, struct when *w)
{
    if (num(p, 1, 2, &w->h) || *(*p)++ != ':' || num(p, 2, 2, &w->mi)) {
        return ERR_PARSE;
    }
    w->precision = "minute";
    if (**p == ':') {
        (*p)++;
        if (num(p, 2, 2, &w->sec)) {
            return ERR_PARSE;
        }
        w->precision = "second";
    }
    return 0;
}

/* A year of 2 or 4 digits (RFC 2822 §4.3 for two: < 50 is 20xx). */
static int parse_year(const char **p, int *year)
{
    const char *ys = *p;
    if (num(p, 2, 4, year) || *p - ys == 3) {
        return ERR_PARSE;
    }
    if (*p - ys == 2) {
        *year += *year < 50 ? 2000 : 1900;
    }
    return 0;
}

/* An optional zone after white space: left at Asia/Shanghai when there is none. */
static int opt_zone(const char **p, struct when *w)
{
    skip_ws(p);
    if (**p == '+' || **p == '-' || isalpha((unsigned char)**p)) {
        return parse_zone(p, &w->offset_min);
    }
    return 0;
}

/* RFC 822/850/1123: "[Day[name],] DD[-]Mon[-]YY[YY] [HH:MM[:SS]] [zone]" */
static int parse_rfc822(const char *s, struct when *w)
{
    const char *p = s;
    char wd[16];

    skip_ws(&p);
    if (isalpha((unsigned char)*p)) {
        if (word(&p, wd, sizeof(wd))) {
            return ERR_PARSE; /* day name ("Sun", "Sunday"), ignored */
        }
        skip_ws(&p);
    }
    if (num(&p, 1, 2, &w->day)) {
        return ERR_PARSE;
    }
    while (*p == ' ' || *p == '-') {
        p++;
    }
    if (word(&p, wd, sizeof(wd)) || (w->mon = month_of(wd)) < 0) {
        return ERR_PARSE;
    }
    while (*p == ' ' || *p == '-') {
        p++;
    }
    if (parse_year(&p, &w->year)) {
        return ERR_PARSE;
    }
    skip_ws(&p);
    if (isdigit((unsigned char)*p)) {
        if (parse_clock(&p, w) || opt_zone(&p, w)) {
            return ERR_PARSE;
        }
    }
    skip_ws(&p);
    return *p == '\0' ? 0 : ERR_PARSE;
}

/*
 * Month first, after an optional day name:
 *   asctime              "Sun Jan  4 16:29:06 2004"
 *   Weibo/Twitter        "Sun Jul 15 01:16:00 +0800 2012"
 *   JavaScript toString  "Thu Aug 30 2012 17:26:16 GMT+0200" (the "(CEST)" comment is
 *                        removed before)
 *   and "Jan 4 2004", "Jan 4, 2004 16:29".
 */
static int parse_month_first(const char *s, struct when *w)
{
    const char *p = s;
    char wd[16];

    skip_ws(&p);
    if (word(&p, wd, sizeof(wd))) {
        return ERR_PARSE;
    }
    if (is_day_name(wd)) {
        skip_ws(&p);
        if (word(&p, wd, sizeof(wd))) {
            return ERR_PARSE;
        }
    }
    if ((w->mon = month_of(wd)) < 0) {
        return ERR_PARSE;
    }
    skip_ws(&p);
    if (num(&p, 1, 2, &w->day) || isdigit((unsigned char)*p)) {
        return ERR_PARSE;
    }
    skip_ws(&p);
    if (isdigit((unsigned char)*p) && (p[1] == ':' || p[2] == ':')) {
        /* asctime / Weibo: the time, an optional zone, then the year */
        if (parse_clock(&p, w) || opt_zone(&p, w)) {
            return ERR_PARSE;
        }
        skip_ws(&p);
        if (num(&p, 4, 4, &w->year)) {
            return ERR_PARSE;
        }
    } else {
        /* JavaScript: the year, then an optional time and zone */
        if (num(&p, 4, 4, &w->year)) {
            return ERR_PARSE;
        }
        skip_ws(&p);
        if (isdigit((unsigned char)*p) && (parse_clock(&p, w) || opt_zone(&p, w))) {
            return ERR_PARSE;
        }
    }
    skip_ws(&p);
    return *p == '\0' ? 0 : ERR_PARSE;
}

/* The civil date of day-of-year yday (1-366) of year into mon/day; false when out of range. */
static bool ordinal_to_civil(int year, int yday, int *mon, int *day)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (yday < 1 || yday > (leap ? 366 : 365)) {
        return false;
    }
    for (int m = 0; m < 12; m++) {
        int n = mdays[m] + (m == 1 && leap);
        if (yday <= n) {
            *mon = m + 1;
            *day = yday;
            return true;
        }
        yday -= n;
    }
    return false;
}

/*
 * ISO 8601 forms yq_time_parse_iso does not read, rewritten into iso as "YYYY-MM-DD" + the
 * rest (time and zone, read by yq_time_parse_iso): ordinal "2003-335[Thh:mm...]", week
 * "2003-W49[-1][T...]" (ISO week 1 holds the year's first Thursday) and basic
 * "20031201[T161245[Z]]". The reduced forms "2003" and "2003-12" are answered here
 * (*reduced set, precision "year"/"month", midnight Asia/Shanghai of the first day).
 * Returns true when s had one of these forms.
 */
static bool iso_other_form(const char *s, char *iso, size_t len, struct when *reduced,
                           bool *is_reduced)
{
    size_t n = strlen(s);
    int y, a, b;

    *is_reduced = false;
    if (n < 4 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
        !isdigit((unsigned char)s[2]) || !isdigit((unsigned char)s[3])) {
        return false;
    }
    y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    if (n == 4) {
        *reduced = (struct when){.year = y, .mon = 1, .day = 1, .precision = "year"};
        *is_reduced = true;
        return true;
    }
    if (n == 7 && s[4] == '-' && isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6])) {
        a = (s[5] - '0') * 10 + (s[6] - '0');
        if (a < 1 || a > 12) {
            return false;
        }
        *reduced = (struct when){.year = y, .mon = a, .day = 1, .precision = "month"};
        *is_reduced = true;
        return true;
    }
    if (n >= 8 && s[4] == '-' && isdigit((unsigned char)s[5]) && isdigit((unsigned char)s[6]) &&
        isdigit((unsigned char)s[7]) && !isdigit((unsigned char)s[8]) && s[8] != '-') {
        int mon, day;
        a = (s[5] - '0') * 100 + (s[6] - '0') * 10 + (s[7] - '0');
        if (!ordinal_to_civil(y, a, &mon, &day)) {
            return false;
        }
        snprintf(iso, len, "%04d-%02d-%02d%s", y, mon, day, s + 8);
        return true;
    }
    if (n >= 8 && s[4] == '-' && s[5] == 'W' && isdigit((unsigned char)s[6]) &&
        isdigit((unsigned char)s[7])) {
        /* Monday of week 1 is the Monday on or before January 4 */
        int64_t jan4 = yq_time_days_from_civil(y, 1, 4);
        int64_t wd = ((jan4 % 7) + 7 + 3) % 7; /* 1970-01-01 was a Thursday: Mon = 0 */
        int64_t days, cy;
        unsigned cm, cd;
        const char *rest = s + 8;

        a = (s[6] - '0') * 10 + (s[7] - '0');
        b = 1;
        if (rest[0] == '-' && isdigit((unsigned char)rest[1])) {
            b = rest[1] - '0';
            rest += 2;
        }
        if (a < 1 || a > 53 || b < 1 || b > 7) {
            return false;
        }
        days = jan4 - wd + (int64_t)(a - 1) * 7 + (b - 1);
        yq_time_civil_from_days(days, &cy, &cm, &cd);
        snprintf(iso, len, "%04d-%02u-%02u%s", (int)cy, cm, cd, rest);
        return true;
    }
    if (n >= 8 && isdigit((unsigned char)s[4]) && strspn(s, "0123456789") >= 8 &&
        (n == 8 || s[8] == 'T')) {
        /* basic format: YYYYMMDD[Thhmm[ss]][Z|±hhmm] */
        char t[40] = "";
        if (n > 8) {
            const char *q = s + 9;
            size_t digits = strspn(q, "0123456789");
            if (digits != 4 && digits != 6) {
                return false;
            }
            snprintf(t, sizeof(t), "T%.2s:%.2s%s%.2s%.20s", q, q + 2, digits == 6 ? ":" : "",
                     digits == 6 ? q + 4 : "", q + digits);
        }
        snprintf(iso, len, "%.4s-%.2s-%.2s%s", s, s + 4, s + 6, t);
        return true;
    }
    return false;
}

/* "HH:MM[:SS]", "HH时MM分[SS秒]" or "HH点MM分[SS秒]" at p into w (minute or second). */
static int parse_clock_zh(const char **p, struct when *w)
{
    const char *q = *p;

    if (num(&q, 1, 2, &w->h)) {
        return ERR_PARSE;
    }
    if (*q == ':') {
        return parse_clock(p, w); /* the ASCII form, read from the start */
    }
    if (strncmp(q, "时", 3) != 0 && strncmp(q, "点", 3) != 0) {
        return ERR_PARSE;
    }
    q += 3;
    w->mi = 0;
    w->precision = "minute"; /* "10时" alone is 10:00 */
    if (isdigit((unsigned char)*q)) {
        if (num(&q, 1, 2, &w->mi) || strncmp(q, "分", 3) != 0) {
            return ERR_PARSE;
        }
        q += 3;
        if (isdigit((unsigned char)*q)) {
            if (num(&q, 1, 2, &w->sec) || strncmp(q, "秒", 3) != 0) {
                return ERR_PARSE;
            }
            q += 3;
            w->precision = "second";
        }
    }
    *p = q;
    return 0;
}

/* p starts with one of the day characters 一 ... 六, 日, 天 (3 bytes each in UTF-8). */
static bool zh_day_char(const char *p)
{
    static const char *const days[] = {"一", "二", "三", "四", "五", "六", "日", "天"};

    for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++) {
        if (strncmp(p, days[i], 3) == 0) {
            return true;
        }
    }
    return false;
}

/* Skip a Chinese day name ("星期五", "周五", "礼拜天", "(星期五)") and the white space after it. */
static void skip_zh_day_name(const char **p)
{
    static const char *const prefix[] = {"星期", "礼拜", "周"};
    const char *q = *p;
    bool paren = strncmp(q, "（", 3) == 0 || *q == '(';

    if (paren) {
        q += *q == '(' ? 1 : 3;
    }
    for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
        size_t k = strlen(prefix[i]);
        if (strncmp(q, prefix[i], k) == 0 && zh_day_char(q + k)) {
            q += k + 3;
            if (paren && (*q == ')' || strncmp(q, "）", 3) == 0)) {
                q += *q == ')' ? 1 : 3;
            } else if (paren) {
                return;
            }
            skip_ws(&q);
            *p = q;
            return;
        }
    }
}

/*
 * Chinese site forms into w: "2024年3月5日[ ]14:30[:00]" (also "14时30分[00秒]", "14点30分")
 * with an optional zone after the time, and gov.cn's "2024-03-05-14:30:00". Returns 0 when
 * s is one of them (the rest of s must be empty), else ERR_PARSE.
 */
static int chinese_form(const char *s, struct when *w)
{
    const char *p = s;

    if (num(&p, 4, 4, &w->year)) {
        return ERR_PARSE;
    }
    if (strncmp(p, "年", 3) == 0) {
        p += 3;
        if (num(&p, 1, 2, &w->mon) || strncmp(p, "月", 3) != 0) {
            return ERR_PARSE;
        }
        p += 3;
        if (num(&p, 1, 2, &w->day) || (strncmp(p, "日", 3) != 0 && strncmp(p, "号", 3) != 0)) {
            return ERR_PARSE;
        }
        p += 3;
        skip_ws(&p);
        skip_zh_day_name(&p); /* "2026年12月4日 星期五 10:00" */
        if (isdigit((unsigned char)*p) && (parse_clock_zh(&p, w) || opt_zone(&p, w))) {
            return ERR_PARSE;
        }
    } else if (*p == '-') {
        /* gov.cn firstpublishedtime "YYYY-MM-DD-HH:MM:SS" */
        p++;
        if (num(&p, 2, 2, &w->mon) || *p++ != '-' || num(&p, 2, 2, &w->day) || *p++ != '-' ||
            !isdigit((unsigned char)*p) || parse_clock(&p, w) || strcmp(w->precision, "second")) {
            return ERR_PARSE;
        }
    } else {
        return ERR_PARSE;
    }
    skip_ws(&p);
    return *p == '\0' ? 0 : ERR_PARSE;
}

/*
 * Dates with one-digit parts or other separators that yq_time_parse_iso does not read:
 * "2026/12/4 10:00", "2026.12.04 10:00:00", "2026-12-4", each with an optional time (after
 * white space or 'T') and zone. Returns 0 or ERR_PARSE.
 */
static int numeric_ymd(const char *s, struct when *w)
{
    const char *p = s;
    char sep;

    if (num(&p, 4, 4, &w->year) || (*p != '-' && *p != '/' && *p != '.')) {
        return ERR_PARSE;
    }
    sep = *p++;
    if (num(&p, 1, 2, &w->mon) || *p++ != sep || num(&p, 1, 2, &w->day)) {
        return ERR_PARSE;
    }
    if (*p == 'T' || *p == ' ') {
        p++;
        skip_ws(&p);
    }
    if (isdigit((unsigned char)*p) && (parse_clock(&p, w) || opt_zone(&p, w))) {
        return ERR_PARSE;
    }
    skip_ws(&p);
    return *p == '\0' ? 0 : ERR_PARSE;
}

/*
 * Unix time written as digits alone (bridges that copy WeChat's create_time or a JavaScript
 * timestamp): 9-10 digits are seconds (1973-2286), 12-13 digits milliseconds. Shorter runs
 * are ISO years and basic dates ("2003", "20031201"), never times. Returns 0 or ERR_PARSE.
 */
static int unix_digits(const char *s, int64_t *out, const char **precision_out)
{
    size_t n = strlen(s);
    int64_t v = 0;

    if (strspn(s, "0123456789") != n || !((n >= 9 && n <= 10) || (n >= 12 && n <= 13))) {
        return ERR_PARSE;
    }
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (s[i] - '0');
    }
    *out = n >= 12 ? v / 1000 : v;
    if (precision_out) {
        *precision_out = "second";
    }
    return 0;
}

/*
 * RFC 822 dates written by a Chinese locale (PHP/strftime in zh_CN, .NET zh-CN): day names
 * "星期五", "周五", "礼拜五" or a bare "五" before the comma, month names "12月" or "十二月",
 * a full-width comma. Rewritten into out (len bytes) in English ("Fri, 04 Dec 2026 ...") for
 * the RFC 822 and month-first readers. Returns true when anything was rewritten.
 */
static bool chinese_names(const char *s, char *out, size_t len)
{
    static const char *const zh_days[] = {"一", "二", "三", "四", "五", "六", "日", "天"};
    static const char *const en_days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Sun"};
    static const char *const zh_months[] = {"十一月", "十二月", "一月", "二月", "三月", "四月",
                                            "五月",   "六月",   "七月", "八月", "九月", "十月"};
    static const int zh_month_no[] = {11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    static const char *const day_prefix[] = {"星期", "礼拜", "周"};
    static const char *const en_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    size_t o = 0;
    bool changed = false;
    const char *p = s;

    while (*p && o + 8 < len) {
        const char *en = NULL;
        size_t used = 0;
        for (size_t i = 0; !en && i < sizeof(zh_months) / sizeof(zh_months[0]); i++) {
            if (strncmp(p, zh_months[i], strlen(zh_months[i])) == 0) {
                en = en_months[zh_month_no[i] - 1];
                used = strlen(zh_months[i]);
            }
        }
        for (size_t i = 0; !en && i < sizeof(day_prefix) / sizeof(day_prefix[0]); i++) {
            size_t k = strlen(day_prefix[i]);
            for (size_t d = 0; strncmp(p, day_prefix[i], k) == 0 && !en && d < 8; d++) {
                if (strncmp(p + k, zh_days[d], 3) == 0) {
                    en = en_days[d];
                    used = k + 3;
                }
            }
        }
        for (size_t d = 0; !en && p == s && d < 8; d++) {
            /* a bare "五," at the start: %a of the zh_CN locale */
            if (strncmp(p, zh_days[d], 3) == 0 &&
                (p[3] == ',' || p[3] == ' ' || strncmp(p + 3, "，", 3) == 0)) {
                en = en_days[d];
                used = 3;
            }
        }
        if (!en && isdigit((unsigned char)*p)) {
            /* "12月": the month number; other digits are copied as they are */
            size_t k = strspn(p, "0123456789");
            int m = k <= 2 ? atoi_2(p, k) : 0;
            if (m >= 1 && m <= 12 && strncmp(p + k, "月", 3) == 0) {
                en = en_months[m - 1];
                used = k + 3;
            } else {
                size_t n = k < len - o - 1 ? k : len - o - 1;
                memcpy(out + o, p, n);
                o += n;
                p += k;
                continue;
            }
        }
        if (!en && strncmp(p, "，", 3) == 0) {
            en = ",";
            used = 3;
        }
        if (en) {
            size_t n = strlen(en);
            if (o + n + 1 >= len) {
                return false;
            }
            memcpy(out + o, en, n);
            o += n;
            p += used;
            changed = true;
        } else {
            out[o++] = *p++;
        }
    }
    if (*p) {
        return false; /* did not fit: longer than any date */
    }
    out[o] = '\0';
    return changed;
}

/* UTC seconds of w after range checks (a writable instant: yq_time_writable()). */
static int when_to_utc(const struct when *w, int64_t *out, const char **precision_out)
{
    int sec = w->sec;
    int64_t t;

    /* February 29 only in leap years: "29 Feb 2026" is no date, not March 1 */
    if (w->mon < 1 || w->mon > 12 || w->day < 1 ||
        (unsigned)w->day > yq_time_days_in_month(w->year, (unsigned)w->mon) || w->h > 23 ||
        w->mi > 59 || sec > 60 || w->year < 1) {
        return ERR_PARSE;
    }
    if (sec == 60) {
        sec = 59;
    }
    t = yq_time_days_from_civil(w->year, (unsigned)w->mon, (unsigned)w->day) * 86400 + w->h * 3600 +
        w->mi * 60 + sec - (int64_t)w->offset_min * 60;
    if (!yq_time_writable(t)) {
        return ERR_PARSE; /* a zone west of UTC on 9999-12-31: the item could not say it */
    }
    *out = t;
    if (precision_out) {
        *precision_out = w->precision;
    }
    return 0;
}

/* Remove a trailing RFC 822 comment "(CEST)" / "(Central European Summer Time)" from buf. */
static void drop_comment(char *buf)
{
    size_t n = strlen(buf);
    char *open;

    if (n == 0 || buf[n - 1] != ')' || !(open = strrchr(buf, '('))) {
        return;
    }
    *open = '\0';
    n = (size_t)(open - buf);
    while (n > 0 && isspace((unsigned char)buf[n - 1])) {
        buf[--n] = '\0';
    }
}

int feed_date_parse(const char *s, int64_t *out, const char **precision_out)
{
    char iso[160];
    char buf[128];
    size_t n;
    const char *p = s;
    struct when w = {0};
    bool reduced;

    if (!s) {
        return ERR_PARSE;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1])) {
        n--;
    }
    if (n == 0 || n >= sizeof(buf)) {
        return ERR_PARSE;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
    w = (struct when){.offset_min = YQ_SHANGHAI_OFFSET_S / 60, .precision = "day"};
    if (chinese_form(buf, &w) == 0) {
        return when_to_utc(&w, out, precision_out);
    }
    if (unix_digits(buf, out, precision_out) == 0) {
        return 0;
    }
    if (iso_other_form(buf, iso, sizeof(iso), &w, &reduced)) {
        if (reduced) {
            w.offset_min = YQ_SHANGHAI_OFFSET_S / 60;
            return when_to_utc(&w, out, precision_out);
        }
        return yq_time_parse_iso(iso, out, precision_out) == 0 ? 0 : ERR_PARSE;
    }
    if (isdigit((unsigned char)buf[0]) && n >= 8 && isdigit((unsigned char)buf[1]) &&
        isdigit((unsigned char)buf[2]) && isdigit((unsigned char)buf[3])) {
        /* ISO 8601; "2020/08/25 16:44" is read like "2020-08-25 16:44" */
        if (buf[4] == '/' && n > 7 && buf[7] == '/') {
            buf[4] = '-';
            buf[7] = '-';
        }
        if (yq_time_parse_iso(buf, out, precision_out) == 0) {
            return 0;
        }
        w = (struct when){.offset_min = YQ_SHANGHAI_OFFSET_S / 60, .precision = "day"};
        return numeric_ymd(buf, &w) == 0 ? when_to_utc(&w, out, precision_out) : ERR_PARSE;
    }
    if (chinese_names(buf, iso, sizeof(buf))) {
        memcpy(buf, iso, strlen(iso) + 1);
    }
    drop_comment(buf);
    w = (struct when){.offset_min = YQ_SHANGHAI_OFFSET_S / 60, .precision = "day"};
    if (parse_rfc822(buf, &w) == 0) {
        return when_to_utc(&w, out, precision_out);
    }
    w = (struct when){.offset_min = YQ_SHANGHAI_OFFSET_S / 60, .precision = "day"};
    if (parse_month_first(buf, &w) == 0) {
        return when_to_utc(&w, out, precision_out);
    }
    return ERR_PARSE;
}

/* ---- relative forms (Weibo, Chinese CMS lists) ---- */

/* a / b rounded towards minus infinity. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

/* Shanghai wall clock y-m-d h:mi → UTC seconds. */
static int64_t shanghai(int64_t y, unsigned m, unsigned d, int h, int mi)
{
    return yq_time_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 - YQ_SHANGHAI_OFFSET_S;
}

static bool read_int(const char **p, int max_digits, int *out)
{
    int v = 0, n = 0;
    while (n < max_digits && isdigit((unsigned char)**p)) {
        v = v * 10 + (**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n > 0;
}

static bool skip_lit(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) == 0) {
        *p += n;
        return true;
    }
    return false;
}

/* Optional " HH:MM" at *p; false when malformed. has_time tells whether it was there. */
static bool opt_time(const char **p, int *h, int *mi, bool *has_time)
{
    *has_time = false;
    *h = 0;
    *mi = 0;
    while (**p == ' ') {
        (*p)++;
    }
    if (!**p) {
        return true;
    }
    if (!read_int(p, 2, h) || !skip_lit(p, ":") || !read_int(p, 2, mi) || *h > 23 || *mi > 59) {
        return false;
    }
    if (**p == ':') { /* seconds: ignored beyond minute precision */
        int sec;
        (*p)++;
        if (!read_int(p, 2, &sec)) {
            return false;
        }
    }
    *has_time = true;
    return **p == '\0';
}

int feed_date_parse_relative(const char *s, int64_t fetched_at, int64_t *out,
                             const char **precision)
{
    int64_t local_day = floor_div(fetched_at + YQ_SHANGHAI_OFFSET_S, 86400), y;
    unsigned cm, cd;
    const char *p = s;
    int n, h, mi, a, b, c;
    bool has_time;

    if (!s) {
        return ERR_PARSE;
    }
    while (isspace((unsigned char)*p)) {
        p++;
    }
    yq_time_civil_from_days(local_day, &y, &cm, &cd);
    if (strcmp(p, "刚刚") == 0) {
        *out = fetched_at;
        *precision = "minute";
        return 0;
    }
    if (read_int(&p, 4, &n)) {
        const char *q = p;
        if (skip_lit(&q, "分钟前") && *q == '\0') {
            *out = fetched_at - (int64_t)n * 60;
            *precision = "minute";
            return 0;
        }
        q = p;
        if (skip_lit(&q, "秒前") && *q == '\0') {
            *out = fetched_at - n;
            *precision = "second";
            return 0;
        }
        q = p;
        if (skip_lit(&q, "小时前") && *q == '\0') {
            *out = fetched_at - (int64_t)n * 3600;
            *precision = "minute";
            return 0;
        }
        /* YYYY-MM-DD [HH:MM], MM-DD [HH:MM], MM月DD日 [HH:MM], YYYY年MM月DD日 [HH:MM] */
        a = n;
        if (skip_lit(&p, "-") || skip_lit(&p, "/")) {
            if (!read_int(&p, 2, &b)) {
                return ERR_PARSE;
            }
            if (skip_lit(&p, "-") || skip_lit(&p, "/")) {
                if (!read_int(&p, 2, &c)) {
                    return ERR_PARSE;
                }
                y = a;
                a = b;
                b = c;
            } else {
                c = -1; /* MM-DD */
            }
        } else if (skip_lit(&p, "年")) {
            y = a;
            if (!read_int(&p, 2, &a) || !skip_lit(&p, "月") || !read_int(&p, 2, &b) ||
                !skip_lit(&p, "日")) {
                return ERR_PARSE;
            }
            c = 0;
        } else if (skip_lit(&p, "月")) {
            if (!read_int(&p, 2, &b) || !skip_lit(&p, "日")) {
                return ERR_PARSE;
            }
            c = -1;
        } else {
            return ERR_PARSE;
        }
        if (a < 1 || a > 12 || b < 1 || (unsigned)b > yq_time_days_in_month(y, (unsigned)a) ||
            !opt_time(&p, &h, &mi, &has_time)) {
            return ERR_PARSE;
        }
        *out = shanghai(y, (unsigned)a, (unsigned)b, h, mi);
        if (c < 0 && *out > fetched_at + 86400) {
            *out = shanghai(y - 1, (unsigned)a, (unsigned)b, h, mi); /* "12-31" read in January */
        }
        *precision = has_time ? "minute" : "day";
        return 0;
    }
    {
        int back = -1;
        if (skip_lit(&p, "今天")) {
            back = 0;
        } else if (skip_lit(&p, "昨天")) {
            back = 1;
        } else if (skip_lit(&p, "前天")) {
            back = 2;
        }
        if (back < 0 || !opt_time(&p, &h, &mi, &has_time)) {
            return ERR_PARSE;
        }
        yq_time_civil_from_days(local_day - back, &y, &cm, &cd);
        *out = shanghai(y, cm, cd, h, mi);
        *precision = has_time ? "minute" : "day";
        return 0;
    }
}

int feed_date_parse_at(const char *s, int64_t now, int64_t *out, const char **precision_out)
{
    const char *p = NULL;
    int64_t t;

    if (feed_date_parse(s, &t, &p) != 0 &&
        (now <= 0 || !s || feed_date_parse_relative(s, now, &t, &p) != 0)) {
        return ERR_PARSE;
    }
    if (t < FEED_DATE_MIN_S) {
        return ERR_PARSE; /* a CMS's empty-date placeholder, not when the entry appeared */
    }
    *out = t;
    if (precision_out) {
        *precision_out = p;
    }
    return 0;
}

/* ---- dates in article URLs ---- */

/* Whether the n bytes at p are all ASCII digits. */
static bool all_digits(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i])) {
            return false;
        }
    }
    return true;
}

static int digits_value(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

/* y-m-d as 00:00 Asia/Shanghai into *out when it is a real day of 1990-2100. */
static int url_day(int y, int m, int d, int64_t *out)
{
    if (y < 1990 || y > 2100 || m < 1 || m > 12 || d < 1 ||
        (unsigned)d > yq_time_days_in_month(y, (unsigned)m)) {
        return ERR_PARSE;
    }
    *out = yq_time_days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 - YQ_SHANGHAI_OFFSET_S;
    return 0;
}

/* One segment of a URL path: its first byte and length. */
struct seg {
    const char *p;
    size_t n;
};

#define URL_MAX_SEGS 32

int feed_date_from_url_path(const char *url, int64_t *out)
{
    struct seg segs[URL_MAX_SEGS];
    size_t n_segs = 0;
    const char *p = url, *end;

    if (!url) {
        return ERR_PARSE;
    }
    if ((end = strstr(url, "://")) != NULL) {
        p = strchr(end + 3, '/'); /* past the authority */
        if (!p) {
            return ERR_PARSE;
        }
    }
    end = p + strcspn(p, "?#");
    while (p < end && n_segs < URL_MAX_SEGS) {
        const char *q;
        while (p < end && *p == '/') {
            p++;
        }
        q = p;
        while (q < end && *q != '/') {
            q++;
        }
        if (q > p) {
            segs[n_segs++] = (struct seg){p, (size_t)(q - p)};
        }
        p = q;
    }
    for (size_t i = 0; i < n_segs; i++) {
        const struct seg *a = &segs[i], *b = i + 1 < n_segs ? &segs[i + 1] : NULL;
        const struct seg *c = i + 2 < n_segs ? &segs[i + 2] : NULL;
        bool year = a->n == 4 && all_digits(a->p, 4);
        int y = year ? digits_value(a->p, 4) : 0;

        if (year && b && b->n == 4 && all_digits(b->p, 4) &&
            url_day(y, digits_value(b->p, 2), digits_value(b->p + 2, 2), out) == 0) {
            return 0; /* /2020/0823/ */
        }
        if (year && b && b->n == 5 && all_digits(b->p, 2) && b->p[2] == '-' &&
            all_digits(b->p + 3, 2) &&
            url_day(y, digits_value(b->p, 2), digits_value(b->p + 3, 2), out) == 0) {
            return 0; /* /2020/08-23/ */
        }
        if (year && b && c && b->n == 2 && all_digits(b->p, 2) && c->n == 2 &&
            all_digits(c->p, 2) &&
            url_day(y, digits_value(b->p, 2), digits_value(c->p, 2), out) == 0) {
            return 0; /* /2020/08/23/ */
        }
        if (a->n == 7 && all_digits(a->p, 4) && a->p[4] == '-' && all_digits(a->p + 5, 2) && b &&
            b->n == 2 && all_digits(b->p, 2) &&
            url_day(digits_value(a->p, 4), digits_value(a->p + 5, 2), digits_value(b->p, 2), out) ==
                0) {
            return 0; /* /2020-08/23/ */
        }
        if (a->n == 10 && all_digits(a->p, 4) && a->p[4] == '-' && all_digits(a->p + 5, 2) &&
            a->p[7] == '-' && all_digits(a->p + 8, 2) &&
            url_day(digits_value(a->p, 4), digits_value(a->p + 5, 2), digits_value(a->p + 8, 2),
                    out) == 0) {
            return 0; /* /2020-08-23/ */
        }
        if (a->n == 8 && all_digits(a->p, 8) &&
            url_day(digits_value(a->p, 4), digits_value(a->p + 4, 2), digits_value(a->p + 6, 2),
                    out) == 0) {
            return 0; /* /20200823/ */
        }
        if (a->n > 10 && a->p[0] == 't' && all_digits(a->p + 1, 8) && a->p[9] == '_' &&
            url_day(digits_value(a->p + 1, 4), digits_value(a->p + 5, 2), digits_value(a->p + 7, 2),
                    out) == 0) {
            return 0; /* /t20200823_123456.html */
        }
    }
    return ERR_PARSE;
}

const char *feed_date_item_precision(const char *precision)
{
    if (precision && (strcmp(precision, "month") == 0 || strcmp(precision, "year") == 0)) {
        return "day";
    }
    return precision;
}
