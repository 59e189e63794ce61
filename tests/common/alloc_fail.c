/* Counting, failing allocator for the allocation-failure tests (alloc_fail.h). */
#include "alloc_fail.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yq_err.h"
#include "yq_banned.h"

#define ALLOC_FAIL_DENSE 300 /* every allocation index up to here is tried */
#define ALLOC_FAIL_STRIDE 7  /* then every 7th */
#define ALLOC_FAIL_MAX_RUNS 2000

void *__real_malloc(size_t size);
void *__real_calloc(size_t nmemb, size_t size);
void *__real_realloc(void *ptr, size_t size);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t nmemb, size_t size);
void *__wrap_realloc(void *ptr, size_t size);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

/* LeakSanitizer's on-demand check; absent (NULL) without -fsanitize=address. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static atomic_bool counting;
static atomic_size_t seen;
static atomic_size_t fail_at; /* 0: never */
static atomic_int fail_mode;
static atomic_bool injected;
static atomic_bool injected_lib;
static atomic_int lib_suspended; /* nesting depth of alloc_fail_lib_suspend(true) */

static bool should_fail(void)
{
    size_t n, at;

    if (!atomic_load(&counting)) {
        return false;
    }
    n = atomic_fetch_add(&seen, 1) + 1;
    at = atomic_load(&fail_at);
    if (at == 0 || n < at || (n > at && atomic_load(&fail_mode) == ALLOC_FAIL_ONCE)) {
        return false;
    }
    atomic_store(&injected, true);
    return true;
}

void alloc_fail_after(size_t n, enum alloc_fail_mode mode)
{
    atomic_store(&counting, false);
    atomic_store(&seen, 0);
    atomic_store(&fail_at, n);
    atomic_store(&fail_mode, (int)mode);
    atomic_store(&injected, false);
    atomic_store(&injected_lib, false);
    atomic_store(&counting, true);
}

void alloc_fail_count_start(void)
{
    alloc_fail_after(0, ALLOC_FAIL_ONCE);
}

void alloc_fail_off(void)
{
    atomic_store(&counting, false);
}

size_t alloc_fail_count(void)
{
    return atomic_load(&seen);
}

bool alloc_fail_injected(void)
{
    return atomic_load(&injected);
}

bool alloc_fail_injected_in_lib(void)
{
    return atomic_load(&injected_lib);
}

void *__wrap_malloc(size_t size)
{
    return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t nmemb, size_t size)
{
    return should_fail() ? NULL : __real_calloc(nmemb, size);
}

void *__wrap_realloc(void *ptr, size_t size)
{
    return should_fail() ? NULL : __real_realloc(ptr, size);
}

char *__wrap_strdup(const char *s)
{
    return should_fail() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
    return should_fail() ? NULL : __real_strndup(s, n);
}

void alloc_fail_lib_suspend(bool on)
{
    atomic_fetch_add(&lib_suspended, on ? 1 : -1);
}

/* A library hook's allocation: counted and failed unless suspended, marked as the library's. */
static bool lib_should_fail(void)
{
    if (atomic_load(&lib_suspended) > 0 || !should_fail()) {
        return false;
    }
    atomic_store(&injected_lib, true);
    return true;
}

void *alloc_fail_malloc(size_t size)
{
    if (lib_should_fail()) {
        return NULL;
    }
    return __real_malloc(size);
}

void *alloc_fail_realloc(void *ptr, size_t size)
{
    if (lib_should_fail()) {
        return NULL;
    }
    return __real_realloc(ptr, size);
}

char *alloc_fail_strdup(const char *s)
{
    if (lib_should_fail()) {
        return NULL;
    }
    return __real_strdup(s);
}

void alloc_fail_free(void *ptr)
{
    free(ptr);
}

/*
 * json_loadb() as one allocation point: it fails as a whole (NULL, error "out of memory") or
 * runs with jansson's own allocations never failing. jansson 2.14 does not survive them
 * inside the parser: a wild write (SEGV) after a failed allocation, reproduced without this
 * project, and its lexer drops a byte of a token when growing its buffer fails, so a parse
 * may "succeed" with a shortened string.
 */
json_t *__real_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);
json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error);

json_t *__wrap_json_loadb(const char *buffer, size_t buflen, size_t flags, json_error_t *error)
{
    json_t *v;

    if (lib_should_fail()) {
        if (error) {
            memset(error, 0, sizeof(*error));
            error->line = -1;
            error->column = -1;
            snprintf(error->text, sizeof(error->text), "out of memory");
            error->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
        }
        return NULL;
    }
    alloc_fail_lib_suspend(true);
    v = __real_json_loadb(buffer, buflen, flags, error);
    alloc_fail_lib_suspend(false);
    return v;
}

void alloc_fail_install_jansson(void)
{
    json_set_alloc_funcs(alloc_fail_malloc, alloc_fail_free);
}

static size_t next_index(size_t n)
{
    return n < ALLOC_FAIL_DENSE ? n + 1 : n + ALLOC_FAIL_STRIDE;
}

size_t alloc_fail_run(const struct alloc_fail_case *c)
{
    const char *lc = getenv("ALLOC_FAIL_LEAKCHECK");
    const char *from = getenv("ALLOC_FAIL_FROM");
    size_t first = from ? strtoul(from, NULL, 10) : 1;
    bool leakcheck = lc && strcmp(lc, "1") == 0 && __lsan_do_recoverable_leak_check;
    size_t max_runs = c->max_runs ? c->max_runs : ALLOC_FAIL_MAX_RUNS;
    size_t total;
    int rc;

    alloc_fail_count_start();
    if (first == 0) {
        first = 1;
    }
    rc = c->run(c->arg);
    alloc_fail_off();
    total = alloc_fail_count();
    if (rc != 0) {
        fail_msg("%s: the run without failures returned %d", c->name, rc);
    }
    c->check(c->arg, rc, false);

    for (int mode = ALLOC_FAIL_ONCE; mode <= ALLOC_FAIL_ALL; mode++) {
        size_t runs = 0;
        for (size_t n = first; runs < max_runs; n = next_index(n), runs++) {
            bool inj;

            alloc_fail_after(n, (enum alloc_fail_mode)mode);
            rc = c->run(c->arg);
            alloc_fail_off();
            inj = alloc_fail_injected();
            if (leakcheck) {
                print_message("%s: mode %d n %zu rc %d\n", c->name, mode, n, rc);
            }
            c->check(c->arg, rc, inj);
            if (leakcheck && __lsan_do_recoverable_leak_check() != 0) {
                fail_msg("%s: leak with allocation %zu failing (mode %d)", c->name, n, mode);
            }
            if (!inj) {
                break;
            }
        }
        if (runs == max_runs) {
            print_message("%s: stopped after %zu failing runs (mode %d)\n", c->name, runs, mode);
        }
    }
    print_message("%s: %zu allocations in a clean run\n", c->name, total);
    return total;
}

void alloc_fail_assert_rc(const char *what, int rc, bool was_injected, bool lib_may_parse,
                          const char *err)
{
    if (rc == 0 || (was_injected && rc == ERR_NOMEM) ||
        (lib_may_parse && rc == ERR_PARSE && alloc_fail_injected_in_lib())) {
        return;
    }
    fail_msg("%s: rc %d (%s) err '%s' with%s an injected failure", what, rc, yq_strerror(rc), err,
             was_injected ? "" : "out");
}
