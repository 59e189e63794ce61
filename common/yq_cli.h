/*
 * Command-line options of the yuqingctl subcommands (yq_cli.c): one table of the options that
 * take a value, filled into the caller's struct by offset, so every subcommand reads its
 * arguments the same way and names a bad one in the same words.
 */
#ifndef YQ_CLI_H
#define YQ_CLI_H

#include <stdbool.h>
#include <stddef.h>

/*
 * An option: "--name VALUE" stores VALUE in the const char * field at offset; a flag
 * ("--local", no value) sets the bool field at offset to true.
 */
struct yq_cli_opt {
    const char *name; /* "--format" */
    size_t offset;    /* offsetof(struct my_opts, format) */
    bool flag;        /* a flag without a value (a bool field) */
};

/* yq_cli_parse()'s answer to -h / --help (positive: not an error code). */
#define YQ_CLI_HELP 1

/* Table rows: an option with a value, and a flag, of field in struct type. */
#define YQ_CLI_VALUE(name, type, field) {(name), offsetof(type, field), false}
#define YQ_CLI_FLAG(name, type, field) {(name), offsetof(type, field), true}

/*
 * Read argv[first..argc) (argv borrowed; the values stored point into it). Each "--name
 * VALUE" of opts (n_opts entries) stores VALUE at (char *)out + offset, a later one winning,
 * and each flag sets its bool there to true;
 * each word that does not start with '-' (or is "-" alone) goes to words[] in order, at most
 * n_words of them (words: caller storage, unused places left as they were).
 * Returns 0; YQ_CLI_HELP when "-h" or "--help" stands among them (the caller prints its usage
 * to stdout and exits 0, as every yuqingctl command does for --help); or ERR_INVALID with one
 * line for a person in errbuf (errlen bytes, may be 0): "未知选项 '--x' (unknown option)",
 * "选项 '--x' 缺少取值 (needs a value)" or "多余的参数 'x' (unexpected argument)".
 */
int yq_cli_parse(int argc, char **argv, int first, const struct yq_cli_opt *opts, size_t n_opts,
                 void *out, const char **words, size_t n_words, char *errbuf, size_t errlen);

/*
 * yq_cli_parse() for a yuqingctl command that answers the way every one does: on -h or --help
 * the usage goes to stdout; on a bad argument one line "PROG: <yq_cli_parse()'s reason>" and
 * then the usage go to stderr. prog ("yuqingctl tickets") and usage: NUL-terminated, borrowed.
 * The other parameters are yq_cli_parse()'s. Thread-safe (it writes only through stdio).
 * Returns 0 (all read: go on), YQ_CLI_HELP (usage printed; the command exits 0) or ERR_INVALID
 * (printed; the command exits 2).
 */
int yq_cli_parse_cmd(const char *prog, const char *usage, int argc, char **argv, int first,
                     const struct yq_cli_opt *opts, size_t n_opts, void *out, const char **words,
                     size_t n_words);

/*
 * Split list ("D2,D3"; "," and full-width "，" both separate, empty parts skipped) into at most
 * max words, in order, in words[] (*n of them; parts beyond max dropped). The words point into
 * *copy, a copy of list the caller frees (NULL, with *n = 0, when list is NULL).
 * Returns 0 or ERR_NOMEM.
 */
int yq_cli_split_list(const char *list, char **copy, const char **words, size_t max, size_t *n);

/*
 * A whole decimal number in [min, max] from s (NUL-terminated, borrowed; an optional sign, no
 * other characters). Returns 0 with *out set, or ERR_INVALID (empty, not a number, trailing
 * characters, out of range or of long's range; *out then unchanged).
 */
int yq_cli_parse_long(const char *s, long min, long max, long *out);

#endif
