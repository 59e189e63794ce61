/*
 * `yuqingctl kafka-dev`: librdkafka's mock cluster on loopback, for the demo and tests only
 * (design §1: no persistence, ~5 MB kept per partition, no admin API). Production points the
 * processes at a real Kafka cluster instead.
 */
#ifndef YQ_KAFKA_DEV_H
#define YQ_KAFKA_DEV_H

/*
 * argv[0] = "kafka-dev"; options: --brokers N (default 1), --partitions N (default 4),
 * --bootstrap-file PATH (the bootstrap servers are written there, atomically, once the
 * topics exist), --topic NAME (repeatable; default yuqing.items and yuqing.alerts).
 * Prints "bootstrap.servers=HOST:PORT,..." on stdout, then runs until SIGINT/SIGTERM.
 * Returns the process exit code: 0 after a signal, 1 on failure, 2 on bad usage.
 */
int kafka_dev_main(int argc, char **argv);

#endif
