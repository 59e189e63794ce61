/*
 * `yuqingctl kafka-dump`: print every message of a topic from the beginning, one line each
 * ("PARTITION OFFSET KEY VALUE-BYTES"), up to the end each partition had when the dump
 * started (its high watermark), then stop. For tests and debugging: partitions are assigned
 * directly (no group join) and nothing is committed. The stop is decided by offsets, never by
 * a quiet period, so a slow or loaded machine cannot cut a dump short (issue #10).
 */
#ifndef YQ_KAFKA_DUMP_H
#define YQ_KAFKA_DUMP_H

/*
 * argv[0] = "kafka-dump"; options: --bootstrap HOST:PORT (required), --topic NAME
 * (required), --timeout-ms N (100..3600000, default 120000: a hang guard; reaching it is a
 * failure, exit 1), --values (print the value instead of its size).
 * Returns the exit code: 0, 1 on failure (no broker, no such topic, timed out), 2 on bad usage.
 */
int kafka_dump_main(int argc, char **argv);

#endif
