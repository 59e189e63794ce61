#ifndef YQ_KAFKA_MOCK_H
#define YQ_KAFKA_MOCK_H

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/*
 * librdkafka's mock cluster as the project starts it: for `yuqingctl kafka-dev` (the demo,
 * bench/e2e), the tests and the benches. The one place that creates one from scratch; test
 * fixtures whose client starts one itself (test.mock.num.brokers) call
 * yq_kafka_mock_nodelay() after it (that client's own first connection may predate it).
 *
 * Why not rd_kafka_mock_cluster_new() alone: the mock brokers' sockets keep Nagle's algorithm
 * on (librdkafka 2.0.2), where a real Kafka broker sets TCP_NODELAY on every connection. A
 * producer with several requests in flight (one ProduceRequest a partition) then gets its
 * second answer only after its delayed ACK of the first: ~40 ms on Linux for every batch that
 * spans partitions (measured: 16 partitions, 64 messages, 44 ms to the last delivery report
 * instead of 0.4 ms). Linux copies TCP_NODELAY from a listening socket to the sockets it
 * accepts, so the brokers' listening sockets get it before any client connects.
 */

/*
 * Create a mock cluster of `brokers` (>= 1) brokers inside rk (the caller's client handle,
 * which must outlive the cluster) and set TCP_NODELAY on its brokers' listening sockets.
 * Returns the cluster (destroy it with rd_kafka_mock_cluster_destroy()) or NULL when librdkafka
 * could not start it. A socket option that cannot be set is logged (WARN) and the cluster
 * returned anyway: it works, only slower.
 */
rd_kafka_mock_cluster_t *yq_kafka_mock_cluster_new(rd_kafka_t *rk, int brokers);

/*
 * Set TCP_NODELAY on every listening TCP socket of this process whose port is one of the
 * host:port entries of bootstraps (a comma-separated list, as
 * rd_kafka_mock_cluster_bootstraps() gives). Returns how many sockets were set (0 when none
 * matched), or -1 when /proc/self/fd cannot be read.
 */
int yq_kafka_mock_nodelay(const char *bootstraps);

#endif
