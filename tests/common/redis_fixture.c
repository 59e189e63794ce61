#include "redis_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "yq_banned.h"

int redis_fixture_free_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0) {
        port = ntohs(sa.sin_port);
    }
    close(fd);
    return port;
}

static void dump_name(int port, char *out, size_t outlen)
{
    snprintf(out, outlen, "yq-redis-fixture-%d.rdb", port);
}

static int launch(struct redis_fixture *f);

int redis_fixture_start(struct redis_fixture *f)
{
    char dump[64], path[128];

    f->pid = 0;
    if (access(REDIS_FIXTURE_BIN, X_OK) != 0) {
        return 1;
    }
    f->port = redis_fixture_free_port();
    if (f->port < 0) {
        return -1;
    }
    dump_name(f->port, dump, sizeof(dump));
    snprintf(path, sizeof(path), "/tmp/%s", dump);
    unlink(path); /* a fresh start never loads an older run's data */
    return launch(f);
}

int redis_fixture_restart(struct redis_fixture *f)
{
    return launch(f);
}

int redis_fixture_save(const struct redis_fixture *f)
{
    struct timeval tv = {2, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
    redisReply *r = NULL;
    int ok = 0;

    if (c && !c->err) {
        r = redisCommand(c, "SAVE");
        ok = r && r->type == REDIS_REPLY_STATUS;
    }
    if (r) {
        freeReplyObject(r);
    }
    if (c) {
        redisFree(c);
    }
    return ok ? 0 : -1;
}

static int launch(struct redis_fixture *f)
{
    char port[16], dump[64];

    snprintf(port, sizeof(port), "%d", f->port);
    dump_name(f->port, dump, sizeof(dump));
    f->pid = fork();
    if (f->pid < 0) {
        f->pid = 0;
        return -1;
    }
    if (f->pid == 0) {
        int null;
        /* a test that crashes or is killed by ctest's timeout takes its server with it (the
           redis-server processes left behind by aborted runs held ports and memory) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() == 1) {
            _exit(127); /* the test is already gone */
        }
        null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, 1);
            dup2(null, 2);
        }
        execl(REDIS_FIXTURE_BIN, "redis-server", "--port", port, "--bind", "127.0.0.1",
              "--save", "", "--appendonly", "no", "--dir", "/tmp", "--dbfilename", dump,
              (char *)NULL);
        _exit(127);
    }
    /* wait until it answers PING: a hang guard of 60 s (a loaded machine starts it slowly) */
    for (int64_t waited_ms = 0; waited_ms < 60000; waited_ms += 50) {
        struct timeval tv = {1, 0};
        struct timespec ts = {0, 50 * 1000000L};
        if (waitpid(f->pid, NULL, WNOHANG) == f->pid) {
            f->pid = 0; /* it exited (port taken, bad binary): no point waiting */
            break;
        }
        redisContext *c = redisConnectWithTimeout("127.0.0.1", f->port, tv);
        if (c && !c->err) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            if (r) {
                freeReplyObject(r);
            }
            redisFree(c);
            if (ok) {
                return 0;
            }
        } else if (c) {
            redisFree(c);
        }
        nanosleep(&ts, NULL);
    }
    redis_fixture_stop(f);
    return -1;
}

void redis_fixture_stop(struct redis_fixture *f)
{
    if (f->pid > 0) {
        kill(f->pid, SIGTERM);
        waitpid(f->pid, NULL, 0);
        f->pid = 0;
    }
}
