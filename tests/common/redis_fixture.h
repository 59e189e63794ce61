/*
 * A throw-away redis-server on a free loopback port, for the Redis-backed tests of every
 * process (library yq_test_redis). Not thread-safe; one fixture per server.
 */
#ifndef REDIS_FIXTURE_H
#define REDIS_FIXTURE_H

#include <sys/types.h>

#define REDIS_FIXTURE_BIN "/usr/bin/redis-server"

struct redis_fixture {
    pid_t pid; /* > 0 while the server runs, 0 otherwise */
    int port;  /* its TCP port on 127.0.0.1 */
};

/*
 * Start REDIS_FIXTURE_BIN --port <free> --save '' --appendonly no (output to /dev/null) and
 * wait until it answers PING. f: caller-owned storage, filled in.
 * Returns 0, 1 when the binary is absent (the caller skips), -1 when it did not come up;
 * on 1 and -1 f->pid is 0 and nothing is left running.
 */
int redis_fixture_start(struct redis_fixture *f);

/*
 * Start on f->port again (after redis_fixture_save() and redis_fixture_stop()), loading the
 * saved data: a Redis restart. Returns 0 or -1.
 */
int redis_fixture_restart(struct redis_fixture *f);

/* SAVE the data set to the fixture's dump file. Returns 0 or -1. */
int redis_fixture_save(const struct redis_fixture *f);

/*
 * Skip the calling cmocka test, saying why, when the server of f (a struct redis_fixture * that
 * redis_fixture_start() filled) is not running: REDIS_FIXTURE_BIN is absent or did not come up.
 * The caller includes cmocka.h.
 */
#define REDIS_FIXTURE_NEED(f)                                                                      \
    do {                                                                                           \
        if ((f)->pid <= 0) {                                                                       \
            print_message("redis-server not available: skipping\n");                               \
            skip();                                                                                \
        }                                                                                          \
    } while (0)

/* Stop the server (SIGTERM, wait). Safe on a fixture that did not start. */
void redis_fixture_stop(struct redis_fixture *f);

/*
 * A free TCP port on 127.0.0.1 (bind port 0, read it back, close), or -1; for any local test
 * server, not only Redis.
 */
int redis_fixture_free_port(void);

#endif
