#include "workcal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_array.h"
#include "yq_cfg.h"
#include "yq_err.h"
#include "yq_fs.h"
#include "yq_time.h"
#include "yq_banned.h"

#define WORKCAL_MAX_FILE_BYTES (256 * 1024)
#define WORKCAL_MAX_FILES 64

enum { DAY_OFF = 1, DAY_WORK = 2 };

struct day_entry {
    int64_t day;
    int kind;
};

struct workcal {
    struct day_entry *days; /* sorted by day, no repeats */
    size_t n_days, cap_days;
    int *years;
    size_t n_years, cap_years;
};

struct workcal *workcal_new(void)
{
    return calloc(1, sizeof(struct workcal));
}

void workcal_free(struct workcal *cal)
{
    if (!cal) {
        return;
    }
    free(cal->days);
    free(cal->years);
    free(cal);
}

size_t workcal_n_years(const struct workcal *cal)
{
    return cal ? cal->n_years : 0;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

int64_t workcal_day_of(int64_t t)
{
    return floor_div(t + YQ_SHANGHAI_OFFSET_S, 86400);
}

/* 0 = Sunday .. 6 = Saturday; day 0 (1970-01-01) was a Thursday. */
static int weekday(int64_t day)
{
    int64_t wd = (day + 4) % 7;
    return (int)(wd < 0 ? wd + 7 : wd);
}

static int cmp_day(const void *a, const void *b)
{
    const struct day_entry *x = a, *y = b;
    return (x->day > y->day) - (x->day < y->day);
}

static const struct day_entry *find_day(const struct workcal *cal, int64_t day)
{
    struct day_entry key = {.day = day, .kind = 0};
    if (!cal || cal->n_days == 0) {
        return NULL;
    }
    return bsearch(&key, cal->days, cal->n_days, sizeof(key), cmp_day);
}

bool workcal_covers_year(const struct workcal *cal, int year)
{
    for (size_t i = 0; cal && i < cal->n_years; i++) {
        if (cal->years[i] == year) {
            return true;
        }
    }
    return false;
}

int workcal_first_uncovered_year(const struct workcal *cal, int64_t from, int64_t until)
{
    int64_t y_from, y_to;
    unsigned m, d;

    if (until <= from) {
        return 0;
    }
    yq_time_civil_from_days(workcal_day_of(from), &y_from, &m, &d);
    yq_time_civil_from_days(workcal_day_of(until - 1), &y_to, &m, &d);
    for (int64_t y = y_from; y <= y_to; y++) {
        if (!workcal_covers_year(cal, (int)y)) {
            return (int)y;
        }
    }
    return 0;
}

bool workcal_is_working_day(const struct workcal *cal, int64_t day)
{
    const struct day_entry *e = find_day(cal, day);
    int wd;

    if (e) {
        return e->kind == DAY_WORK;
    }
    wd = weekday(day);
    return wd != 0 && wd != 6;
}

int64_t workcal_add_working_days(const struct workcal *cal, int64_t t, int n)
{
    int64_t day = workcal_day_of(t);
    /* the calendar spans years; 3660 days bounds a loop over a (broken) all-holiday table */
    for (int counted = 0, guard = 0; counted < n && guard < 3660; guard++) {
        day++;
        if (workcal_is_working_day(cal, day)) {
            counted++;
        }
    }
    return (day + 1) * 86400 - YQ_SHANGHAI_OFFSET_S;
}

/* Parse "YYYY-MM-DD" into a day number; the year must be want_year. */
static int parse_date(const char *s, int want_year, int64_t *out)
{
    unsigned y, m, d;
    char tail;
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    if (!s || sscanf(s, "%4u-%2u-%2u%c", &y, &m, &d, &tail) != 3 || strlen(s) != 10) {
        return ERR_INVALID;
    }
    if ((int)y != want_year || m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) {
        return ERR_INVALID;
    }
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return ERR_INVALID;
    }
    *out = yq_time_days_from_civil(y, m, d);
    return 0;
}

struct pending {
    struct day_entry *v;
    size_t n, cap;
};

static int pending_add(struct pending *p, int64_t day, int kind)
{
    int err;

    if (p->n >= 4096) {
        return ERR_TOO_BIG;
    }
    err = yq_array_reserve(&p->v, &p->cap, p->n + 1, sizeof(*p->v));
    if (err) {
        return err;
    }
    p->v[p->n].day = day;
    p->v[p->n].kind = kind;
    p->n++;
    return 0;
}

#define FAIL(code, node, ...)                                                                      \
    do {                                                                                           \
        char msg_[200];                                                                            \
        snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                                 \
        snprintf(errbuf, errlen, "%s:%zu: %s", name, (node) ? (node)->start_mark.line + 1 : 0,     \
                 msg_);                                                                            \
        err = (code);                                                                              \
        goto done;                                                                                 \
    } while (0)

/* The dates of a sequence node (1 or 2 for "off", any number for "work"). */
static int seq_dates(struct cfg_doc *doc, yaml_node_t *seq, int year, int64_t *out, size_t max,
                     size_t *n_out)
{
    size_t n = 0;
    if (!seq || seq->type != YAML_SEQUENCE_NODE) {
        return ERR_PARSE;
    }
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        if (n == max) {
            return ERR_TOO_BIG;
        }
        if (parse_date(cfg_scalar(cfg_doc_node(doc, *it)), year, &out[n])) {
            return ERR_INVALID;
        }
        n++;
    }
    *n_out = n;
    return 0;
}

int workcal_add_text(struct workcal *cal, const char *name, const char *text, size_t len,
                     char *errbuf, size_t errlen)
{
    struct cfg_doc doc;
    struct pending p = {NULL, 0, 0};
    yaml_node_t *root, *yn, *hol;
    const char *ys;
    char *end = NULL;
    long year;
    int err;

    memset(&doc, 0, sizeof(doc));
    err = cfg_doc_load(&doc, name, text, len, errbuf, errlen);
    if (err) {
        goto done;
    }
    root = cfg_doc_root(&doc);
    if (!root || root->type != YAML_MAPPING_NODE) {
        FAIL(ERR_PARSE, root, "a calendar must be a mapping with year and holidays");
    }
    for (yaml_node_pair_t *kp = root->data.mapping.pairs.start; kp < root->data.mapping.pairs.top;
         kp++) {
        const char *k = cfg_scalar(cfg_doc_node(&doc, kp->key));
        if (!k || (strcmp(k, "year") && strcmp(k, "source") && strcmp(k, "holidays"))) {
            FAIL(ERR_INVALID, cfg_doc_node(&doc, kp->key), "unknown key '%s'", k ? k : "?");
        }
    }
    yn = cfg_map_get(&doc, root, "year");
    ys = yn ? cfg_scalar(yn) : NULL;
    errno = 0;
    year = ys ? strtol(ys, &end, 10) : 0;
    if (!ys || errno || end == ys || *end || year < 1970 || year > 2200) {
        FAIL(ERR_INVALID, yn ? yn : root, "'year' must be a year such as 2026");
    }
    if (workcal_covers_year(cal, (int)year)) {
        FAIL(ERR_EXISTS, yn, "year %ld is already loaded", year);
    }
    hol = cfg_map_get(&doc, root, "holidays");
    if (!hol || hol->type != YAML_SEQUENCE_NODE) {
        FAIL(ERR_PARSE, hol ? hol : root, "'holidays' must be a list");
    }
    for (yaml_node_item_t *it = hol->data.sequence.items.start; it < hol->data.sequence.items.top;
         it++) {
        yaml_node_t *h = cfg_doc_node(&doc, *it), *off, *work;
        int64_t dates[64];
        size_t n = 0;

        if (!h || h->type != YAML_MAPPING_NODE) {
            FAIL(ERR_PARSE, h, "each holiday must be a mapping (name, off, work)");
        }
        for (yaml_node_pair_t *kp = h->data.mapping.pairs.start; kp < h->data.mapping.pairs.top;
             kp++) {
            const char *k = cfg_scalar(cfg_doc_node(&doc, kp->key));
            if (!k || (strcmp(k, "name") && strcmp(k, "off") && strcmp(k, "work"))) {
                FAIL(ERR_INVALID, cfg_doc_node(&doc, kp->key), "unknown holiday key '%s'",
                     k ? k : "?");
            }
        }
        off = cfg_map_get(&doc, h, "off");
        work = cfg_map_get(&doc, h, "work");
        if (!off) {
            FAIL(ERR_INVALID, h, "a holiday needs 'off: [first, last]'");
        }
        err = seq_dates(&doc, off, (int)year, dates, 2, &n);
        if (err || n == 0 || (n == 2 && dates[1] < dates[0]) ||
            (n == 2 && dates[1] - dates[0] > 31)) {
            FAIL(err == ERR_PARSE ? ERR_PARSE : ERR_INVALID, off,
                 "'off' must be [first, last] dates of %ld in order, at most a month apart", year);
        }
        for (int64_t d = dates[0]; d <= dates[n - 1]; d++) {
            err = pending_add(&p, d, DAY_OFF);
            if (err) {
                FAIL(err, off, "too many dates");
            }
        }
        if (work) {
            err = seq_dates(&doc, work, (int)year, dates, 64, &n);
            if (err) {
                FAIL(err == ERR_PARSE ? ERR_PARSE : ERR_INVALID, work,
                     "'work' must be a list of dates of %ld", year);
            }
            for (size_t i = 0; i < n; i++) {
                int wd = weekday(dates[i]);
                if (wd != 0 && wd != 6) {
                    FAIL(ERR_INVALID, work, "调休 working day %s is not a Saturday or Sunday",
                         cfg_scalar(cfg_doc_node(&doc, work->data.sequence.items.start[i])));
                }
                err = pending_add(&p, dates[i], DAY_WORK);
                if (err) {
                    FAIL(err, work, "too many dates");
                }
            }
        }
    }
    if (p.n > 1) {
        qsort(p.v, p.n, sizeof(*p.v), cmp_day); /* p.v is NULL for a year without dates */
    }
    for (size_t i = 0; i + 1 < p.n; i++) {
        if (p.v[i].day == p.v[i + 1].day) {
            FAIL(ERR_INVALID, hol, "a date is listed twice (day %lld)", (long long)p.v[i].day);
        }
    }
    {
        /* + 1 as before: days is allocated even while no year lists a date */
        err =
            yq_array_reserve(&cal->days, &cal->cap_days, cal->n_days + p.n + 1, sizeof(*cal->days));
        if (!err) {
            err = yq_array_reserve(&cal->years, &cal->cap_years, cal->n_years + 1,
                                   sizeof(*cal->years));
        }
        if (err) {
            FAIL(err, root, "out of memory");
        }
        if (p.n) {
            memcpy(cal->days + cal->n_days, p.v, p.n * sizeof(*p.v));
        }
        cal->n_days += p.n;
        qsort(cal->days, cal->n_days, sizeof(*cal->days), cmp_day);
        cal->years[cal->n_years++] = (int)year;
    }
    err = 0;
done:
    free(p.v);
    cfg_doc_release(&doc);
    return err;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int workcal_load_dir(struct workcal *cal, const char *dir, char *errbuf, size_t errlen)
{
    char *names[WORKCAL_MAX_FILES];
    size_t n = 0;
    struct dirent *de;
    DIR *d = opendir(dir);
    int err = 0;

    if (!d) {
        snprintf(errbuf, errlen, "cannot open calendar directory '%s': %s", dir, strerror(errno));
        return errno == ENOENT ? ERR_NOT_FOUND : ERR_IO;
    }
    while ((de = readdir(d)) != NULL) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".yaml") != 0) {
            continue;
        }
        if (n == WORKCAL_MAX_FILES) {
            snprintf(errbuf, errlen, "calendar directory '%s' has more than %d files", dir,
                     WORKCAL_MAX_FILES);
            err = ERR_TOO_BIG;
            break;
        }
        names[n] = strdup(de->d_name);
        if (!names[n]) {
            err = ERR_NOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (!err) {
        qsort(names, n, sizeof(names[0]), cmp_str);
    }
    for (size_t i = 0; !err && i < n; i++) {
        char path[4096], *text = NULL;
        size_t len = 0;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        err = yq_fs_read_file(path, WORKCAL_MAX_FILE_BYTES, &text, &len);
        if (err) {
            snprintf(errbuf, errlen, "cannot read calendar '%s': %s", path, yq_strerror(err));
        } else {
            err = workcal_add_text(cal, path, text, len, errbuf, errlen);
        }
        free(text);
    }
    for (size_t i = 0; i < n; i++) {
        free(names[i]);
    }
    return err;
}
