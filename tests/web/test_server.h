/*
 * A libmicrohttpd daemon on 127.0.0.1 (ephemeral port, one thread per connection, as the
 * notifier's must be) that hands owned URLs to web_handle() and, when set, everything else
 * to extra (the browser-test server's fixture routes). For the web tests only.
 */
#ifndef TEST_WEB_TEST_SERVER_H
#define TEST_WEB_TEST_SERVER_H

#include <microhttpd.h>

#include "web.h"

typedef enum MHD_Result (*test_server_extra_fn)(void *cls, struct MHD_Connection *c,
                                                const char *url, const char *method,
                                                const char *body, size_t len);

struct test_server;

/* Start serving w (borrowed). port 0 = ephemeral. Returns NULL on failure. */
struct test_server *test_server_start(struct web *w, unsigned port, test_server_extra_fn extra,
                                      void *extra_cls);
/* The same with MHD_OPTION_CONNECTION_LIMIT = connection_limit (0: libmicrohttpd's default). */
struct test_server *test_server_start_limited(struct web *w, unsigned port,
                                              test_server_extra_fn extra, void *extra_cls,
                                              unsigned connection_limit);
unsigned test_server_port(const struct test_server *s);
void test_server_stop(struct test_server *s);

#endif
