#include "feed_date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

struct zone {
    const char *name;
    int offset_min;
};

/* CST is China Standard Time here: the feeds this system reads are Chinese. */
static const struct zone zones[] = {
    {"GMT", 0},        {"UT", 0},         {"UTC", 0},        {"Z", 0},          {"CST", 480},
    {"CCT", 480},      {"HKT", 480},      {"SGT", 480},      {"BJT", 480},      {"JST", 540},
    {"KST", 540},      {"EST", -300},     {"EDT", -240},     {"CDT", -300},     {"MST", -420},
    {"MDT", -360},     {"PST", -480},     {"PDT", -420},     {"BST", 60},       {"CET", 60},
    {"CEST", 120},     {"IST", 330},      {NULL, 0},
};

static const char *const months[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                     "jul", "aug", "sep", "oct", "nov", "dec"};

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

/* "[Day,] DD Mon YYYY [HH:MM[:SS]] [zone]" */
static int parse_rfc822(const char *s, int64_t *out, const char **precision_out)
{
    const char *p = s;
    char w[16];
    int day, mon = -1, year, h = 0, mi = 0, sec = 0;
    int offset_min = YQ_SHANGHAI_OFFSET_S / 60;
    const char *precision = "day";

    skip_ws(&p);
    if (isalpha((unsigned char)*p)) {
        if (word(&p, w, sizeof(w))) {
            return ERR_PARSE; /* day name, ignored */
        }
        skip_ws(&p);
    }
    if (num(&p, 1, 2, &day)) {
        return ERR_PARSE;
    }
    while (*p == ' ' || *p == '-') {
        p++;
    }
    if (word(&p, w, sizeof(w))) {
        return ERR_PARSE;
    }
    for (int i = 0; i < 12; i++) {
        if (strncmp(w, months[i], 3) == 0) {
            mon = i + 1;
            break;
        }
    }
    if (mon < 0) {
        return ERR_PARSE;
    }
    while (*p == ' ' || *p == '-') {
        p++;
    }
    {
        const char *ys = p;
        if (num(&p, 2, 4, &year) || (p - ys) == 3) {
            return ERR_PARSE;
        }
        if (p - ys == 2) {
            year += year < 50 ? 2000 : 1900; /* RFC 2822 §4.3 */
        }
    }
    skip_ws(&p);
    if (isdigit((unsigned char)*p)) {
        if (num(&p, 1, 2, &h) || *p++ != ':' || num(&p, 2, 2, &mi)) {
            return ERR_PARSE;
        }
        precision = "minute";
        if (*p == ':') {
            p++;
            if (num(&p, 2, 2, &sec)) {
                return ERR_PARSE;
            }
            precision = "second";
        }
        skip_ws(&p);
        if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            const char *zs = ++p;
            if (num(&p, 1, 4, &oh)) {
                return ERR_PARSE;
            }
            if (p - zs > 2) { /* +0800 */
                om = oh % 100;
                oh /= 100;
            } else if (*p == ':') { /* +08:00 */
                p++;
                if (num(&p, 2, 2, &om)) {
                    return ERR_PARSE;
                }
            }
            if (oh > 23 || om > 59) {
                return ERR_PARSE;
            }
            offset_min = sign * (oh * 60 + om);
        } else if (isalpha((unsigned char)*p)) {
            bool found = false;
            if (word(&p, w, sizeof(w))) {
                return ERR_PARSE;
            }
            for (int i = 0; zones[i].name; i++) {
                if (strcasecmp(w, zones[i].name) == 0) {
                    offset_min = zones[i].offset_min;
                    found = true;
                    break;
                }
            }
            if (!found) {
                return ERR_PARSE;
            }
            skip_ws(&p);
            if (*p == '+' || *p == '-') { /* "GMT+0800" */
                int sign = *p == '-' ? -1 : 1, hm;
                p++;
                if (num(&p, 4, 4, &hm) || hm / 100 > 23 || hm % 100 > 59) {
                    return ERR_PARSE;
                }
                offset_min += sign * ((hm / 100) * 60 + hm % 100);
            }
        }
    }
    skip_ws(&p);
    if (*p != '\0') {
        return ERR_PARSE;
    }
    if (day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60) {
        return ERR_PARSE;
    }
    if (sec == 60) {
        sec = 59;
    }
    *out = yq_time_days_from_civil(year, (unsigned)mon, (unsigned)day) * 86400 + h * 3600 +
           mi * 60 + sec - (int64_t)offset_min * 60;
    if (precision_out) {
        *precision_out = precision;
    }
    return 0;
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

int feed_date_parse(const char *s, int64_t *out, const char **precision_out)
{
    char iso[64];
    char buf[64];
    size_t n;
    const char *p = s;

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
    if (isdigit((unsigned char)buf[0]) && n >= 8 && isdigit((unsigned char)buf[1]) &&
        isdigit((unsigned char)buf[2]) && isdigit((unsigned char)buf[3])) {
        /* ISO 8601; "2020/08/25 16:44" is read like "2020-08-25 16:44" */
        if (buf[4] == '/' && n > 7 && buf[7] == '/') {
            buf[4] = '-';
            buf[7] = '-';
        }
        return yq_time_parse_iso(buf, out, precision_out) == 0 ? 0 : ERR_PARSE;
    }
    return parse_rfc822(buf, out, precision_out);
}
