/*
 * Command-line options of the yuqingctl subcommands (yq_cli.c): one table of the options that
 * take a value, filled into the caller's struct by offset, so every subcommand reads its
 * arguments the same way and names a bad one in the same words.
 */
#ifndef YQ_CLI_H
#define YQ_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What the field at a row's offset is and how "--name VALUE" fills it (YQ_CLI_*() rows below).
 * A typed row converts and checks VALUE while yq_cli_parse() reads it, so a bad value is refused
 * with the same words by every command and the command reads the typed field only.
 */
enum yq_cli_kind {
    YQ_CLI_KIND_TEXT = 0, /* const char *: VALUE itself (borrowed from argv) */
    YQ_CLI_KIND_FLAG,     /* bool: set to true; the option takes no value */
    YQ_CLI_KIND_TIME,     /* struct yq_cli_time: RFC 3339 (yq_time_parse_iso()) */
    YQ_CLI_KIND_TIME_AGO, /* struct yq_cli_time: RFC 3339, or "Nd" / "Nh" before now */
    YQ_CLI_KIND_LONG,     /* struct yq_cli_long: a whole number in [min, max] */
    YQ_CLI_KIND_LIST,     /* struct yq_cli_list: each VALUE added (an option given again) */
};

/*
 * The typed fields. A row leaves its field as the caller set it when the option is not given
 * (so the caller puts its default in s or v before yq_cli_parse()) and, when it is given, stores
 * the value and sets set (a time also keeps its text as given); the last one given wins.
 */
struct yq_cli_time {
    int64_t s;        /* seconds since the epoch (UTC) */
    bool set;         /* the option was given */
    const char *text; /* when set: the value as given (borrowed from argv), for a message */
};

struct yq_cli_long {
    long v;   /* in the row's [min, max] when set */
    bool set; /* the option was given */
};

/* The most values a YQ_CLI_KIND_LIST option takes. */
#define YQ_CLI_LIST_MAX 16

struct yq_cli_list {
    const char *v[YQ_CLI_LIST_MAX]; /* the values in the order given, borrowed from argv */
    size_t n;                       /* how many; 0 when the option is not given */
};

/* The largest N of a YQ_CLI_KIND_TIME_AGO value: "3660d" (ten years), "87840h". */
#define YQ_CLI_AGO_MAX_DAYS 3660

/* An option of a command: its name, its field (by offset) and what the field is. */
struct yq_cli_opt {
    const char *name;      /* "--format" */
    size_t offset;         /* offsetof(struct my_opts, format) */
    enum yq_cli_kind kind; /* the field's type and how VALUE is read */
    long min, max;         /* YQ_CLI_KIND_LONG: the range of the number (inclusive) */
};

/* yq_cli_parse()'s answer to -h / --help (positive: not an error code). */
#define YQ_CLI_HELP 1

/*
 * Table rows of field in struct type: an option with a text value (const char *), a flag
 * (bool), a time (struct yq_cli_time; _AGO: also "Nd" / "Nh" before now), a number in
 * [min, max] (struct yq_cli_long), an option that may be given again (struct yq_cli_list, each
 * value added; the caller starts it empty). A typed row does not compile on a field of another
 * type: the offset adds 0 * the size of a member (s, v, n) only that type has.
 */
/* clang-format off */
#define YQ_CLI_ROW(name, off, kind, min, max) {(name), (off), (kind), (min), (max)}
#define YQ_CLI_VALUE(name, type, field) \
    YQ_CLI_ROW(name, offsetof(type, field), YQ_CLI_KIND_TEXT, 0, 0)
#define YQ_CLI_FLAG(name, type, field) \
    YQ_CLI_ROW(name, offsetof(type, field), YQ_CLI_KIND_FLAG, 0, 0)
#define YQ_CLI_TIME(name, type, field) \
    YQ_CLI_ROW(name, offsetof(type, field) + 0 * sizeof(((type *)0)->field.s), \
               YQ_CLI_KIND_TIME, 0, 0)
#define YQ_CLI_TIME_AGO(name, type, field) \
    YQ_CLI_ROW(name, offsetof(type, field) + 0 * sizeof(((type *)0)->field.s), \
               YQ_CLI_KIND_TIME_AGO, 0, 0)
#define YQ_CLI_LONG(name, type, field, min, max) \
    YQ_CLI_ROW(name, offsetof(type, field) + 0 * sizeof(((type *)0)->field.v), \
               YQ_CLI_KIND_LONG, (min), (max))
#define YQ_CLI_LIST(name, type, field) \
    YQ_CLI_ROW(name, offsetof(type, field) + 0 * sizeof(((type *)0)->field.n), \
               YQ_CLI_KIND_LIST, 0, 0)
/* clang-format on */

/*
 * Read argv[first..argc) (argv borrowed; the text values stored point into it). Each
 * "--name VALUE" of opts (n_opts entries) fills the field at (char *)out + offset as its kind
 * says (enum yq_cli_kind), a later one winning (a list keeps each), and each flag sets its bool
 * there to true; a "Nd" / "Nh" time counts back from yq_time_now() read once per call; each word
 * that does not start with '-' (or is "-" alone) goes to words[] in order, at most n_words of them
 * (words: caller storage, unused places left as they were). Returns 0; YQ_CLI_HELP when "-h" or
 * "--help" stands among them (the caller prints its usage to stdout and exits 0, as every yuqingctl
 * command does for --help); or ERR_INVALID with one line for a person in errbuf (errlen bytes, may
 * be 0): "未知选项 '--x' (unknown option)", "选项 '--x' 缺少取值 (needs a value)", "多余的参数 'x'
 * (unexpected argument)", or for a typed row's bad value "选项 '--now' 的取值 'x' 不是 RFC 3339
 * 时间 (not an RFC 3339 time)", "选项 '--since' 的取值 'x' 不是 RFC 3339 时间或 Nd/Nh (not an RFC
 * 3339 time or Nd/Nh)", "选项 '--limit' 的取值 'x' 须为 1..1000 的整数 (needs a whole number
 * in 1..1000)" (a row without an upper bound, max LONG_MAX: "须为不小于 1 的整数 (needs a whole
 * number >= 1)"), or a list option given more than YQ_CLI_LIST_MAX times "选项 '--topic' 至多给出
 * 16 次 (at most 16 times)"; the fields of the options read before the bad one are filled, the rest
 * left as they were.
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

/* The exit code of a yuqingctl command's usage error (a bad or missing argument). */
#define YQ_CLI_EXIT_USAGE 2

/*
 * Say a yuqingctl command's usage error the way yq_cli_parse_cmd() says its own: one line
 * "PROG: <fmt, ...>" and then usage (when not NULL) on stderr. prog ("yuqingctl rules"), usage
 * and fmt: NUL-terminated, borrowed. Thread-safe (stdio only). Returns YQ_CLI_EXIT_USAGE.
 */
int yq_cli_usage_error(const char *prog, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The house form of the usage errors every command (yuqingctl's and the services') says alike,
 * by yq_cli_usage_error(): "PROG: 未知命令 'WORD' (unknown command)" and "PROG: 多余的参数 'WORD'
 * (unexpected argument)", then usage (when not NULL). prog, usage, word: NUL-terminated,
 * borrowed. Thread-safe (stdio only). Return YQ_CLI_EXIT_USAGE.
 */
int yq_cli_unknown_command(const char *prog, const char *usage, const char *word);
int yq_cli_extra_argument(const char *prog, const char *usage, const char *word);
/* The same for an option given last without its value: "PROG: 选项 '--config' 缺少取值 (needs a
 * value)". */
int yq_cli_missing_value(const char *prog, const char *usage, const char *option);

/*
 * Say on stderr that a command could not read the file at path: "PROG: 无法读取 'PATH'（原因）
 * (cannot read: <yq_strerror(err)>)", the reason in Chinese for ERR_NOT_FOUND (文件不存在),
 * ERR_TOO_BIG (文件过大) and others (读取出错). prog, path: NUL-terminated, borrowed.
 * Thread-safe (stdio only). Returns 1, the exit code of a command whose input failed.
 */
int yq_cli_cannot_read(const char *prog, const char *path, int err);

/*
 * Tell the user a yuqingctl command's --out file is written: one line "已写入 PATH" on stderr,
 * then "（DETAIL）" when detail is not NULL (stdout stays the command's output alone).
 * path and detail: NUL-terminated, borrowed. Thread-safe (stdio only).
 */
void yq_cli_note_written(const char *path, const char *detail);

/*
 * Split list ("D2,D3"; "," and full-width "，" both separate, empty parts skipped) into at most
 * max words, in order, in words[] (*n of them; parts beyond max dropped). The words point into
 * *copy, a copy of list the caller frees (NULL, with *n = 0, when list is NULL).
 * Returns 0 or ERR_NOMEM.
 */
int yq_cli_split_list(const char *list, char **copy, const char **words, size_t max, size_t *n);

/*
 * A time from s (NUL-terminated, borrowed): RFC 3339 (yq_time_parse_iso(); without a zone,
 * Beijing time) or, when ago is true, also "Nd" / "Nh" (0 <= N, at most YQ_CLI_AGO_MAX_DAYS
 * days) before now (seconds since the epoch). Returns 0 with *out set (seconds since the
 * epoch), or ERR_INVALID (*out then unchanged).
 */
int yq_cli_parse_time(const char *s, bool ago, int64_t now, int64_t *out);

/*
 * A whole decimal number in [min, max] from s (NUL-terminated, borrowed; an optional sign, no
 * other characters). Returns 0 with *out set, or ERR_INVALID (empty, not a number, trailing
 * characters, out of range or of long's range; *out then unchanged).
 */
int yq_cli_parse_long(const char *s, long min, long max, long *out);

#endif
