/*
 * `yuqingctl archive`: the archive's first-run and maintenance commands (docs/operations.md,
 * "The archiver").
 *
 *   archive init DIR       make the archive (archive_init(): the directory with its marker);
 *                          the archiver, the web's search and backtests never create it
 *   archive status [--dir DIR | --config FILE] [--recent N] [--json]
 *                          what it holds: items, matched and unmatched, bytes, per month
 *                          (archive_stats()), and the N newest items (default 5) with the
 *                          rules they matched; --json: archive_stats()'s object with
 *                          "recent": [{"id","time","source","channel","title","rules":[ids]}]
 *   archive prune [--dir DIR | --config FILE] [--retention-days N] [--now TIME] [--dry-run]
 *                          retention now (archive_prune()); --dry-run lists the month files
 *                          that would go and removes nothing
 *
 * The archive is DIR, else archive.dir of the archiver's config (--config FILE, default
 * config/archiver.yaml); prune's retention is --retention-days, else the config's
 * archive.retention_days (default ARCHIVE_DEFAULT_RETENTION_DAYS). status opens the archive
 * read-only. Exit codes: 0 done, 1 failed (reason on stderr), 2 usage or config error.
 */
#ifndef ARCHIVE_CLI_H
#define ARCHIVE_CLI_H

#include <stdbool.h>
#include <stdint.h>

/* Run "archive" with argv[0] = "archive". Returns the process exit code. */
int archive_cli_main(int argc, char **argv);

#endif
