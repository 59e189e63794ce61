#include "yq_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

int yq_cli_parse(int argc, char **argv, int first, const struct yq_cli_opt *opts, size_t n_opts,
                 void *out, const char **words, size_t n_words, char *errbuf, size_t errlen)
{
    size_t n_seen = 0;

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
        if (opt && opt->flag) {
            *(bool *)(void *)((char *)out + opt->offset) = true;
        } else if (opt) {
            if (i + 1 >= argc) {
                snprintf(errbuf, errlen, "选项 '%s' 缺少取值 (needs a value)", a);
                return ERR_INVALID;
            }
            *(const char **)(void *)((char *)out + opt->offset) = argv[++i];
        } else if (a[0] == '-' && a[1] != '\0') {
            snprintf(errbuf, errlen, "未知选项 '%s' (unknown option)", a);
            return ERR_INVALID;
        } else if (n_seen < n_words) {
            words[n_seen++] = a;
        } else {
            snprintf(errbuf, errlen, "多余的参数 '%s' (unexpected argument)", a);
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
        fprintf(stderr, "%s: %s\n%s", prog, why, usage);
    }
    return rc;
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
