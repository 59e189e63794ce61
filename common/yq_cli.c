#include "yq_cli.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_time.h"
#include "yq_banned.h"

/* yq_cli_parse()'s and yq_cli_extra_argument()'s one wording */
#define EXTRA_ARGUMENT "多余的参数 '%s' (unexpected argument)"
/* yq_cli_parse()'s and yq_cli_missing_value()'s one wording */
#define MISSING_VALUE "选项 '%s' 缺少取值 (needs a value)"

/*
 * Store value (borrowed from argv) in the field of opt (a row with a value) in out; *now is
 * read from the clock the first time a "Nd" / "Nh" time needs it (0: not yet). Returns 0 or
 * ERR_INVALID with the one message of the row's kind in errbuf.
 */
static int store_value(const struct yq_cli_opt *opt, const char *value, int64_t *now, void *out,
                       char *errbuf, size_t errlen)
{
    void *field = (char *)out + opt->offset;
    struct yq_cli_time *t = field;
    struct yq_cli_long *n = field;
    struct yq_cli_list *list = field;
    bool ago = opt->kind == YQ_CLI_KIND_TIME_AGO;

    switch (opt->kind) {
    case YQ_CLI_KIND_TIME:
    case YQ_CLI_KIND_TIME_AGO:
        if (ago && *now == 0) {
            *now = yq_time_now();
        }
        if (yq_cli_parse_time(value, ago, *now, &t->s) != 0) {
            snprintf(errbuf, errlen,
                     "选项 '%s' 的取值 '%s' 不是 RFC 3339 时间%s (not an RFC 3339 time%s)",
                     opt->name, value, ago ? "或 Nd/Nh" : "", ago ? " or Nd/Nh" : "");
            return ERR_INVALID;
        }
        t->set = true;
        t->text = value;
        return 0;
    case YQ_CLI_KIND_LONG:
        if (yq_cli_parse_long(value, opt->min, opt->max, &n->v) == 0) {
            n->set = true;
            return 0;
        }
        if (opt->max == LONG_MAX) {
            snprintf(errbuf, errlen,
                     "选项 '%s' 的取值 '%s' 须为不小于 %ld 的整数 (needs a whole number >= %ld)",
                     opt->name, value, opt->min, opt->min);
        } else {
            snprintf(errbuf, errlen,
                     "选项 '%s' 的取值 '%s' 须为 %ld..%ld 的整数 (needs a whole number in "
                     "%ld..%ld)",
                     opt->name, value, opt->min, opt->max, opt->min, opt->max);
        }
        return ERR_INVALID;
    case YQ_CLI_KIND_LIST:
        if (list->n >= YQ_CLI_LIST_MAX) {
            snprintf(errbuf, errlen, "选项 '%s' 至多给出 %d 次 (at most %d times)", opt->name,
                     YQ_CLI_LIST_MAX, YQ_CLI_LIST_MAX);
            return ERR_INVALID;
        }
        list->v[list->n++] = value;
        return 0;
    default:
        *(const char **)field = value;
        return 0;
    }
}

int yq_cli_parse(int argc, char **argv, int first, const struct yq_cli_opt *opts, size_t n_opts,
                 void *out, const char **words, size_t n_words, char *errbuf, size_t errlen)
{
    size_t n_seen = 0;
    int64_t now = 0; /* read once, by the first "Nd" / "Nh" time */

    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        const struct yq_cli_opt *opt = NULL;

        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            return YQ_CLI_HELP;
        }

        for (size_t k = 0; k < n_opts && !opt; k++) {
            if (strcmp(a, opts[k].name) == 0) {
                opt = &opts[k];
            }
        }
        if (opt && opt->kind == YQ_CLI_KIND_FLAG) {
            *(bool *)(void *)((char *)out + opt->offset) = true;
        } else if (opt) {
            if (i + 1 >= argc) {
                snprintf(errbuf, errlen, MISSING_VALUE, a);
                return ERR_INVALID;
            }
            if (store_value(opt, argv[++i], &now, out, errbuf, errlen) != 0) {
                return ERR_INVALID;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            snprintf(errbuf, errlen, "未知选项 '%s' (unknown option)", a);
            return ERR_INVALID;
        } else if (n_seen < n_words) {
            words[n_seen++] = a;
        } else {
            snprintf(errbuf, errlen, EXTRA_ARGUMENT, a);
            return ERR_INVALID;
        }
    }
    return 0;
}

int yq_cli_parse_cmd(const char *prog, const char *usage, int argc, char **argv, int first,
                     const struct yq_cli_opt *opts, size_t n_opts, void *out, const char **words,
                     size_t n_words)
{
    char why[512] = "";
    int rc = yq_cli_parse(argc, argv, first, opts, n_opts, out, words, n_words, why, sizeof(why));

    if (rc == YQ_CLI_HELP) {
        fputs(usage, stdout);
    } else if (rc) {
        (void)yq_cli_usage_error(prog, usage, "%s", why);
    }
    return rc;
}

int yq_cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (usage) {
        fputs(usage, stderr);
    }
    return YQ_CLI_EXIT_USAGE;
}

int yq_cli_unknown_command(const char *prog, const char *usage, const char *word)
{
    return yq_cli_usage_error(prog, usage, "未知命令 '%s' (unknown command)", word);
}

int yq_cli_extra_argument(const char *prog, const char *usage, const char *word)
{
    return yq_cli_usage_error(prog, usage, EXTRA_ARGUMENT, word);
}

int yq_cli_missing_value(const char *prog, const char *usage, const char *option)
{
    return yq_cli_usage_error(prog, usage, MISSING_VALUE, option);
}

int yq_cli_cannot_read(const char *prog, const char *path, int err)
{
    const char *why = err == ERR_NOT_FOUND ? "文件不存在"
                      : err == ERR_TOO_BIG ? "文件过大"
                                           : "读取出错";

    fprintf(stderr, "%s: 无法读取 '%s'（%s） (cannot read: %s)\n", prog, path, why,
            yq_strerror(err));
    return 1;
}

void yq_cli_note_written(const char *path, const char *detail)
{
    fprintf(stderr, "已写入 %s%s%s%s\n", path, detail ? "（" : "", detail ? detail : "",
            detail ? "）" : "");
}

int yq_cli_split_list(const char *list, char **copy, const char **words, size_t max, size_t *n)
{
    char *save = NULL;

    *n = 0;
    *copy = NULL;
    if (!list) {
        return 0;
    }
    *copy = strdup(list);
    if (!*copy) {
        return ERR_NOMEM;
    }
    for (char *d = strtok_r(*copy, ",，", &save); d && *n < max; d = strtok_r(NULL, ",，", &save)) {
        words[(*n)++] = d;
    }
    return 0;
}

int yq_cli_parse_time(const char *s, bool ago, int64_t now, int64_t *out)
{
    size_t n = strlen(s);
    char unit = n >= 2 ? s[n - 1] : '\0';

    if (ago && (unit == 'd' || unit == 'h')) {
        long max = unit == 'd' ? YQ_CLI_AGO_MAX_DAYS : YQ_CLI_AGO_MAX_DAYS * 24L, v;
        char num[16];

        if (n - 1 >= sizeof(num)) {
            return ERR_INVALID;
        }
        memcpy(num, s, n - 1);
        num[n - 1] = '\0';
        if (yq_cli_parse_long(num, 0, max, &v) != 0) {
            return ERR_INVALID;
        }
        *out = now - (int64_t)v * (unit == 'd' ? 86400 : 3600);
        return 0;
    }
    return yq_time_parse_iso(s, out, NULL) == 0 ? 0 : ERR_INVALID;
}

int yq_cli_parse_long(const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        return ERR_INVALID;
    }
    *out = v;
    return 0;
}
