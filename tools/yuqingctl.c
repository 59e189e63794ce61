/*
 * yuqingctl: the admin CLI. Each subcommand lives in the library of the stage it belongs to;
 * this file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include "archive_cli.h"
#include "backtest_cli.h"
#include "demo_history.h"
#include "events_cli.h"
#include "kafka_dev.h"
#include "kafka_dump.h"
#include "reports_cli.h"
#include "rules_cli.h"
#include "silences_cli.h"
#include "sources_cli.h"
#include "stats_cli.h"
#include "store_cli.h"
#include "tickets_cli.h"
#include "users_cli.h"
#include "yq_cli.h"
#include "yq_log.h"
#include "yq_proc.h"
#include "yq_banned.h"

static const char usage[] =
    "usage: yuqingctl COMMAND [ARGS]\n"
    "commands:\n"
    "  kafka-dev [--partitions N] [--bootstrap-file PATH]\n"
    "                      run librdkafka's mock Kafka cluster on loopback (demo/tests)\n"
    "  demo-history [--db PATH] [--now TIME] [--seed N] [--months N]\n"
    "                      settled tickets of the last months for the demo (first run)\n"
    "  kafka-dump --bootstrap HOST:PORT --topic NAME\n"
    "                      print a topic's messages from the beginning (tests/debugging)\n"
    "  rules push DIR [--by NAME] [--db PATH | --notifier-config F]\n"
    "                               validate DIR/*.yaml (departments against the registry)\n"
    "                               and store it as the next version\n"
    "  rules backtest DIR --archive DIR [--since 30d] [--json]\n"
    "                               try DIR's rules on the archive next to the live set\n"
    "                               (hits, events, gained, lost); recorded for rules push\n"
    "  rules list                   rule-set versions, who pushed them and when\n"
    "  rules test FILE|-            print every rule that fires for a text\n"
    "  rules validate DIR [--db PATH | --notifier-config F]\n"
    "                               check rule files without storing them (with a ticket\n"
    "                               store: departments against its registry)\n"
    "  archive init DIR | status [--dir DIR|--config F] | prune [--dry-run]\n"
    "                               the archive of every item (yuqing-archiver; search)\n"
    "  store init [--config F] [--db PATH]\n"
    "                               create the ticket store (0600) before the first start\n"
    "  tickets list|show|assign|ack|respond|close|dismiss|return|reopen|set-level|escalate|\n"
    "          outbox|redeliver ...\n"
    "                               ticket lifecycle (see 'yuqingctl tickets --help')\n"
    "  events list|show|assign|confirm|merge|watch|dismiss ...\n"
    "                               the 研判 inbox (see 'yuqingctl events --help')\n"
    "  reports daily [--day YYYY-MM-DD] [--out F] | event ID [--out F] | list\n"
    "                               舆情日报 and 专报 (see 'yuqingctl reports --help')\n"
    "  silences add|list|revoke|alerts ...\n"
    "                               silences of new alerts (see 'yuqingctl silences --help')\n"
    "  users add|passwd|disable|enable|list|token|dept-add|dept-list\n"
    "                      web UI users, departments and API tokens (first admin)\n"
    "  sources check [--config config/sources.yaml] [--source ID]\n"
    "                      fetch and parse each enabled source once, print its state\n"
    "  stats month [YYYY-MM] [--format text|html|csv|json] [--department NAME] [--out FILE]\n"
    "  stats year YYYY [--format ...]   monthly 通报 and annual-report figures\n"
    "Run 'yuqingctl COMMAND --help' for a command's options.\n";

/* The subcommands: adding one is one row here and one line of the usage above. */
static const struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand's name */
} subcommands[] = {
    {"kafka-dev", kafka_dev_main},   {"demo-history", demo_history_main},
    {"kafka-dump", kafka_dump_main}, {"stats", stats_cli_main},
    {"rules", rules_cli_main},       {"sources", sources_cli_main},
    {"store", store_cli_main},       {"tickets", tickets_cli_main},
    {"users", users_cli_main},       {"silences", silences_cli_main},
    {"events", events_cli_main},     {"archive", archive_cli_main},
    {"reports", reports_cli_main},
};

int main(int argc, char **argv)
{
    yq_log_init("yuqingctl", YQ_LOG_INFO);
    yq_proc_install_signals();
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (argc >= 3 && strcmp(argv[1], "rules") == 0 && strcmp(argv[2], "backtest") == 0) {
        return backtest_cli_main(argc - 1, argv + 1); /* issue #14: needs the archive */
    }
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
        if (strcmp(argv[1], subcommands[i].name) == 0) {
            return subcommands[i].run(argc - 1, argv + 1);
        }
    }
    return yq_cli_unknown_command("yuqingctl", usage, argv[1]);
}
