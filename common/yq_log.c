#include "yq_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "yq_err.h"
#include "yq_banned.h"

int yq_log_level_cur = YQ_LOG_INFO;
static const char *log_process = "yuqing";

static const char *const level_names[] = {"ERR", "WARN", "INFO", "DEBUG"};

int yq_log_level_parse(const char *name, int *out)
{
    static const char *const names[] = {"err", "warn", "info", "debug"};
    for (int i = 0; i < 4; i++) {
        if (name && strcmp(name, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    return ERR_INVALID;
}

void yq_log_init(const char *process, int level)
{
    int env_level;
    const char *env = getenv("YQ_LOG_LEVEL");

    log_process = process ? process : "yuqing";
    yq_log_level_cur = level;
    if (env && yq_log_level_parse(env, &env_level) == 0) {
        yq_log_level_cur = env_level;
    }
}

void yq_log_write(int level, const char *module, const char *fmt, ...)
{
    char line[2048];
    struct timespec ts;
    struct tm tm;
    size_t n;
    va_list ap;
    int w;

    if (level < 0 || level > YQ_LOG_DEBUG) {
        level = YQ_LOG_ERR;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    w = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s %s: ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000L, level_names[level], log_process, module);
    n = (w < 0) ? 0 : (size_t)w;
    if (n >= sizeof(line)) {
        n = sizeof(line) - 1;
    }
    va_start(ap, fmt);
    w = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    va_end(ap);
    if (w > 0) {
        n += (size_t)w;
    }
    if (n > sizeof(line) - 2) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    /* one write per line keeps lines from different threads whole */
    if (write(STDERR_FILENO, line, n) < 0) {
        /* nowhere left to report it */
    }
}
