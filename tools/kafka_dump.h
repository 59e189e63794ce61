/*
 * `yuqingctl kafka-dump`: print every message of a topic from the beginning, one line each
 * ("PARTITION OFFSET KEY VALUE-BYTES"), until no message has arrived for --idle-ms. For
 * tests and debugging: it reads through a fresh consumer group and commits nothing.
 */
#ifndef YQ_KAFKA_DUMP_H
#define YQ_KAFKA_DUMP_H

/*
 * argv[0] = "kafka-dump"; options: --bootstrap HOST:PORT (required), --topic NAME
 * (required), --idle-ms N (default 3000), --values (print the value instead of its size).
 * Returns the exit code: 0, 1 on failure, 2 on bad usage.
 */
int kafka_dump_main(int argc, char **argv);

#endif
