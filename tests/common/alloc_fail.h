/*
 * Allocation-failure injection for the parsers' tests (c-style.md §8).
 *
 * A test executable linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * (yq_alloc_fail_test() in tests/CMakeLists.txt) sends every such call of its own objects and
 * of the project's static libraries through the counting allocator below; calls made inside
 * shared libraries are not wrapped, so jansson (json_set_alloc_funcs) and libxml2
 * (xmlMemSetup) are pointed at it explicitly. libyaml has no hook: only our code's calls fail.
 * json_loadb() is wrapped too and fails as a whole, never inside (jansson 2.14 crashes; see
 * alloc_fail.c).
 *
 * Not thread-safe in the sense of exact counts: the counters are atomic, but which thread
 * gets the failing allocation is a race. The tests are single-threaded.
 */
#ifndef YQ_TEST_ALLOC_FAIL_H
#define YQ_TEST_ALLOC_FAIL_H

#include <stdbool.h>
#include <stddef.h>

enum alloc_fail_mode {
    ALLOC_FAIL_ONCE = 0, /* only the n-th allocation fails; later ones succeed */
    ALLOC_FAIL_ALL = 1,  /* the n-th allocation and every one after it fail */
};

/* Make the n-th allocation from now (n >= 1) fail, as mode says; resets the counters. */
void alloc_fail_after(size_t n, enum alloc_fail_mode mode);

/* Stop failing allocations (counting stops too). */
void alloc_fail_off(void);

/* Allocations seen since the last alloc_fail_after() or alloc_fail_count_start(). */
size_t alloc_fail_count(void);

/* Count allocations from now without failing any. */
void alloc_fail_count_start(void);

/* True when a failure was injected since the last alloc_fail_after(). */
bool alloc_fail_injected(void);

/*
 * True when one of the injected failures was an allocation of a hooked library (jansson,
 * libxml2). Those libraries report some of them as syntax errors (jansson 2.14: "string or
 * '}' expected", libxml2: a truncated tree), so a parser may then answer ERR_PARSE.
 */
bool alloc_fail_injected_in_lib(void);

/* The counting allocator, for libraries with hooks. Same contracts as the libc functions. */
void *alloc_fail_malloc(size_t size);
void *alloc_fail_realloc(void *ptr, size_t size);
char *alloc_fail_strdup(const char *s);
void alloc_fail_free(void *ptr);

/*
 * Suspend (on = true) or resume failures and counting in the library hooks; calls nest. For a
 * library call that cannot survive a failed allocation of its own (libxml2 2.9.14's parser:
 * see test_collector_alloc.c), the wrapped calls of our code still fail.
 */
void alloc_fail_lib_suspend(bool on);

/* Point jansson's allocator at the counting one (call before any JSON value exists). */
void alloc_fail_install_jansson(void);

/*
 * One parser under test. run() makes the call whose allocations are counted and keeps its
 * results in arg; check() runs with failures off: it asserts on rc (injected: whether an
 * allocation failed during run()) and releases what run() produced.
 */
struct alloc_fail_case {
    const char *name;
    int (*run)(void *arg);
    void (*check)(void *arg, int rc, bool injected);
    void *arg;
    size_t max_runs; /* cap on failing runs per mode; 0 = 2000 */
};

/*
 * Run c once without failures (rc must be 0), then for n = 1, 2, ... with the n-th allocation
 * failing, in both modes, until a run completes with no failure injected. Every allocation is
 * tried for the first 300, then every 7th. With ALLOC_FAIL_LEAKCHECK=1 in the environment,
 * LeakSanitizer checks after each run and the failing n is printed (slow; for debugging);
 * ALLOC_FAIL_FROM=n starts at the n-th allocation instead of the first.
 * Returns the number of allocations of the clean run.
 */
size_t alloc_fail_run(const struct alloc_fail_case *c);

/*
 * Fail the test unless rc, the result of a run of the call named what (err: its message, may
 * be ""), is clean: 0, ERR_NOMEM when was_injected (a failure was injected during the run),
 * or, when lib_may_parse, ERR_PARSE after a hooked library's own allocation failed
 * (alloc_fail_injected_in_lib()).
 */
void alloc_fail_assert_rc(const char *what, int rc, bool was_injected, bool lib_may_parse,
                          const char *err);

#endif
