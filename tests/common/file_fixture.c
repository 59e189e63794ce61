#include "file_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void file_fixture_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    assert_true((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path));
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

char *file_fixture_repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * n + 1);

    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        memcpy(s + i * ul, unit, ul);
    }
    s[ul * n] = '\0';
    return s;
}

int file_fixture_remove_dir(const char *dir)
{
    char cmd[600];

    assert_true((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir) < sizeof(cmd));
    return system(cmd);
}
