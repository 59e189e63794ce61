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

/*
 * Chinese site forms rewritten as ISO 8601 into iso: "2024年3月5日 14:30[:00]" and gov.cn's
 * "2024-03-05-14:30:00". Returns true when s had such a form.
 */
static bool chinese_form(const char *s, char *iso, size_t len)
{
    int y, mo, d, h = -1, mi = 0, sec = -1, n = 0;

    if (sscanf(s, "%4d年%2d月%2d日%n", &y, &mo, &d, &n) == 3 && n > 0) {
        const char *p = s + n;
        while (*p == ' ') {
            p++;
        }
        if (*p && sscanf(p, "%2d:%2d%n", &h, &mi, &n) == 2) {
            p += n;
            if (*p == ':' && sscanf(p + 1, "%2d%n", &sec, &n) == 1) {
                p += 1 + n;
            }
        }
        if (*p != '\0') {
            return false;
        }
    } else if (sscanf(s, "%4d-%2d-%2d-%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 &&
               s[n] == '\0') {
        /* gov.cn firstpublishedtime */
    } else {
        return false;
    }
    if (h < 0) {
        snprintf(iso, len, "%04d-%02d-%02d", y, mo, d);
    } else if (sec < 0) {
        snprintf(iso, len, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
    } else {
        snprintf(iso, len, "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, sec);
    }
    return true;
}

/* UTC seconds of w after range checks. */
static int when_to_utc(const struct when *w, int64_t *out, const char **precision_out)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int sec = w->sec;

    if (w->mon < 1 || w->mon > 12 || w->day < 1 || w->day > mdays[w->mon - 1] || w->h > 23 ||
        w->mi > 59 || sec > 60 || w->year < 1) {
        return ERR_PARSE;
    }
    if (sec == 60) {
        sec = 59;
    }
    *out = yq_time_days_from_civil(w->year, (unsigned)w->mon, (unsigned)w->day) * 86400 +
           w->h * 3600 + w->mi * 60 + sec - (int64_t)w->offset_min * 60;
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
    if (chinese_form(buf, iso, sizeof(iso))) {
        return yq_time_parse_iso(iso, out, precision_out) == 0 ? 0 : ERR_PARSE;
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
        return yq_time_parse_iso(buf, out, precision_out) == 0 ? 0 : ERR_PARSE;
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

const char *feed_date_item_precision(const char *precision)
{
    if (precision && (strcmp(precision, "month") == 0 || strcmp(precision, "year") == 0)) {
        return "day";
    }
    return precision;
}
