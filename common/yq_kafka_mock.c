#include "yq_kafka_mock.h"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "yq_log.h"
#include "yq_banned.h"

/* Whether port is the port of one host:port entry of the comma-separated list. */
static bool port_listed(const char *bootstraps, unsigned port)
{
    const char *p = bootstraps;

    while (p && *p) {
        const char *end = strchr(p, ',');
        const char *colon = NULL;
        for (const char *q = p; *q && q != end; q++) {
            colon = *q == ':' ? q : colon;
        }
        if (colon) {
            char *stop = NULL;
            unsigned long v = strtoul(colon + 1, &stop, 10);
            if (stop != colon + 1 && (stop == end || *stop == '\0') && v == port) {
                return true;
            }
        }
        p = end ? end + 1 : NULL;
    }
    return false;
}

/* The local TCP port of a listening socket fd, or 0 when fd is not one. */
static unsigned listening_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int listening = 0;
    socklen_t optlen = sizeof(listening);

    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &optlen) != 0 || !listening ||
        getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
        return 0;
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return 0;
}

int yq_kafka_mock_nodelay(const char *bootstraps)
{
    DIR *dir = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0;

    if (!dir) {
        return -1;
    }
    while ((de = readdir(dir)) != NULL) {
        char *stop = NULL;
        long fd = strtol(de->d_name, &stop, 10);
        unsigned port;
        int one = 1;

        if (stop == de->d_name || *stop != '\0' || fd < 0 || fd == dirfd(dir)) {
            continue;
        }
        port = listening_port((int)fd);
        if (port == 0 || !port_listed(bootstraps, port)) {
            continue;
        }
        if (setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) {
            n++;
        }
    }
    closedir(dir);
    return n;
}

rd_kafka_mock_cluster_t *yq_kafka_mock_cluster_new(rd_kafka_t *rk, int brokers)
{
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    int n;

    if (!mc) {
        return NULL;
    }
    n = yq_kafka_mock_nodelay(rd_kafka_mock_cluster_bootstraps(mc));
    if (n < 0) {
        LOG_WARN("mock kafka: /proc/self/fd unreadable, TCP_NODELAY not set on the broker "
                 "sockets (batches across partitions wait ~40 ms for delayed ACKs)%s",
                 "");
    } else if (n < brokers) {
        LOG_WARN("mock kafka: TCP_NODELAY set on %d of %d broker sockets (batches across "
                 "partitions wait ~40 ms for delayed ACKs)",
                 n, brokers);
    }
    return mc;
}
