/*
 * Functions banned in this project (after git's banned.h): they overflow buffers, keep hidden
 * state or hide errors. Every project .c file includes it after all other headers.
 * Use snprintf, checked strtol/strtoul, gmtime_r/localtime_r, yq_json_dumps() instead.
 */
#ifndef YQ_BANNED_H
#define YQ_BANNED_H

/* the declarations of what is banned, before the macros rename them (any include order) */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) BANNED(strcpy)
#undef strcat
#define strcat(x, y) BANNED(strcat)
#undef sprintf
#define sprintf(...) BANNED(sprintf)
#undef strtok
#define strtok(x, y) BANNED(strtok)
#undef gmtime
#define gmtime(t) BANNED(gmtime)
#undef localtime
#define localtime(t) BANNED(localtime)
#undef atoi
#define atoi(x) BANNED(atoi)
/* json_dumps() may cut a key out after a failed allocation: yq_json_dumps() (yq_json.h) */
#undef json_dumps
#define json_dumps(v, flags) BANNED(json_dumps)

#endif
