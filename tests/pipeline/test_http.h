/*
 * A minimal HTTP/1.0 GET for the matcher's /metrics and /healthz, header-only and without
 * cmocka, so that the matcher tests (pipeline_fixture.h waits on it) and bench/matcher share it.
 */
#ifndef TEST_HTTP_H
#define TEST_HTTP_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * GET path from 127.0.0.1:port: the status in *status and the body, NUL-terminated, in body
 * (len bytes; cut if longer). Returns 0 or -1 (no connection, no HTTP answer).
 */
static inline int test_http_get(int port, const char *path, int *status, char *body,
                                size_t len)
{
    static char resp[131072];
    struct sockaddr_in sa;
    char req[256];
    size_t got = 0;
    ssize_t n;
    const char *sep;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        return -1;
    }
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return -1;
    }
    while (got + 1 < sizeof(resp) && (n = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0) {
        got += (size_t)n;
    }
    close(fd);
    resp[got] = '\0';
    sep = strstr(resp, "\r\n\r\n");
    if (!sep || sscanf(resp, "HTTP/1.%*d %d", status) != 1) {
        return -1;
    }
    snprintf(body, len, "%s", sep + 4);
    return 0;
}

#endif
