#include "yq_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "yq_err.h"
#include "yq_banned.h"

int64_t yq_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

int64_t yq_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t yq_time_stamp_ms(int64_t at)
{
    int64_t now_ms = yq_time_now_ms(), now = now_ms / 1000;

    return at <= now && at >= now - YQ_TIME_STAMP_WINDOW_S ? now_ms : 0;
}

int64_t yq_time_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Howard Hinnant's days_from_civil: exact for the proleptic Gregorian calendar. */
int64_t yq_time_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

unsigned yq_time_days_in_month(int64_t y, unsigned m)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    if (m < 1 || m > 12) {
        return 0;
    }
    return mdays[m - 1] + (m == 2 && leap);
}

/* Howard Hinnant's civil_from_days, the inverse of the above. */
void yq_time_civil_from_days(int64_t days, int64_t *y_out, unsigned *m_out, unsigned *d_out)
{
    const int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;

    *d_out = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m_out = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y_out = yoe + era * 400 + (*m_out <= 2);
}

char *yq_time_format_utc(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    gmtime_r(&tt, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

char *yq_time_format_shanghai(int64_t t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)(t + YQ_SHANGHAI_OFFSET_S);
    gmtime_r(&tt, &tm);
    snprintf(buf, len, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min);
    return buf;
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) {
            return ERR_PARSE;
        }
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int yq_time_parse_iso(const char *s, int64_t *out, const char **precision_out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t offset = YQ_SHANGHAI_OFFSET_S, t;
    const char *precision = "day";
    const char *p = s;

    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d)) {
        return ERR_PARSE;
    }
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi)) {
            return ERR_PARSE;
        }
        precision = "minute";
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &sec)) {
                return ERR_PARSE;
            }
            precision = "second";
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p)) {
                    return ERR_PARSE;
                }
                while (isdigit((unsigned char)*p)) {
                    p++;
                }
            }
        }
        while (*p == ' ') {
            p++;
        }
        if (*p == 'Z' || *p == 'z') {
            offset = 0;
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p == '-' ? -1 : 1, oh, om = 0;
            p++;
            if (digits(&p, 2, &oh)) {
                return ERR_PARSE;
            }
            if (*p == ':') {
                p++;
            }
            if (isdigit((unsigned char)*p) && digits(&p, 2, &om)) {
                return ERR_PARSE;
            }
            if (oh > 23 || om > 59) {
                return ERR_PARSE;
            }
            offset = sign * (oh * 3600 + om * 60);
        }
    }
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
        p++;
    }
    if (*p != '\0') {
        return ERR_PARSE;
    }
    if (mo < 1 || mo > 12 || d < 1 || (unsigned)d > yq_time_days_in_month(y, (unsigned)mo) ||
        h > 24 || mi > 59 || sec > 60) {
        return ERR_PARSE;
    }
    if (sec == 60) {
        sec = 59; /* leap second: clamp, as time_t cannot hold it */
    }
    t = yq_time_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
        offset;
    if (!yq_time_writable(t)) {
        return ERR_PARSE; /* hour 24 or a zone past year 9999 or before year 0 */
    }
    *out = t;
    if (precision_out) {
        *precision_out = precision;
    }
    return 0;
}

int64_t yq_time_shanghai_day_start(int64_t t)
{
    int64_t local = t + YQ_SHANGHAI_OFFSET_S;
    int64_t sod = local % 86400;

    if (sod < 0) {
        sod += 86400;
    }
    return local - sod - YQ_SHANGHAI_OFFSET_S;
}

int yq_time_parse_until(const char *s, int64_t *out)
{
    const char *precision = NULL;
    int64_t t;

    if (yq_time_parse_iso(s, &t, &precision) != 0) {
        return ERR_PARSE;
    }
    *out = strcmp(precision, "day") == 0 ? t + 86400 : t;
    return 0;
}
