/*
 * A raw TCP client connection for the tests of every process that hold connections open
 * against a server's limits (header-only; include after cmocka.h).
 */
#ifndef TEST_CONNECT_H
#define TEST_CONNECT_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/*
 * A TCP connection to 127.0.0.1:port from source address from ("127.0.0.1", "127.0.0.2"),
 * reads on it timing out after hang_guard_s seconds (a hang guard, not a measure). Returns the
 * descriptor (the caller closes it); a failure fails the running test.
 */
static inline int test_connect_from(unsigned port, const char *from, long hang_guard_s)
{
    struct sockaddr_in sa, src;
    struct timeval tv = {.tv_sec = hang_guard_s};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;
    assert_int_equal(inet_pton(AF_INET, from, &src.sin_addr), 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&src, sizeof(src)), 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
    return fd;
}

/*
 * Send req (a whole raw request, NUL-terminated) on fd and read the status of the answer: the
 * HTTP status, 0 when the server closed the connection without an answer, -1 when nothing
 * came within the connection's read timeout (test_connect_from()'s hang guard).
 */
static inline int test_request_status(int fd, const char *req)
{
    char buf[512];
    ssize_t n;

    if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        return 0;
    }
    n = recv(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return -1;
    }
    if (n <= 12) {
        return 0; /* closed (or reset) without an answer */
    }
    buf[n] = '\0';
    return (int)strtol(buf + 9, NULL, 10); /* "HTTP/1.1 401 ..." */
}

/* One raw request (NUL-terminated) and the HTTP status it must get. */
struct test_raw_case {
    const char *req;
    int status;
};

/*
 * Send each of the n cases on a connection of its own from 127.0.0.1 to port; a case answered
 * with another status fails the running test, naming what (the server) and the case's index.
 */
static inline void test_raw_cases(unsigned port, const struct test_raw_case *cases, size_t n,
                                  const char *what, long hang_guard_s)
{
    for (size_t i = 0; i < n; i++) {
        int fd = test_connect_from(port, "127.0.0.1", hang_guard_s);
        int st = test_request_status(fd, cases[i].req);

        close(fd);
        if (st != cases[i].status) {
            fail_msg("%s, case %zu: %d, want %d", what, i, st, cases[i].status);
        }
    }
}

#endif
