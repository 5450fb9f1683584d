/*
 * tail.c — the 'tail' connector's descriptor and option table (issue 6, part
 * 4); the source is in tail_source.c, whose header documents file identity,
 * rotation handling and the position format.
 */
#include "connectors/tail/tail.h"

static const struct opt_def tail_options[] = {
    {"path", OPT_STRING, NULL, NULL, true,
     "glob of the files to follow ('/var/log/app/*.log'); plain path or file:// URI; "
     "files that start to match later are picked up"},
    {"format", OPT_STRING, NULL, NULL, true,
     "record format: raw, json, csv, regex, or a changelog: debezium-json, canal-json"},
    {"scan.startup.mode", OPT_ENUM, "earliest", "earliest|latest", false,
     "where files present at the first start are read from: their beginning, or their "
     "end (after the last complete line); files that appear later and restarts from a "
     "position are always read from where they must be"},
    {"scan.interval", OPT_DURATION, "1 s", NULL, false,
     "how often the glob is expanded and every file stat-ed; with inotify this is a "
     "safety net (changes are noticed within ~10 ms), without it the polling period"},
    {"scan.bounded", OPT_BOOL, "false", NULL, false,
     "end the table at the end each file has when the source opens (tests, backfills) "
     "instead of following the files"},
    {"multiline.pattern", OPT_STRING, NULL, NULL, false,
     "PCRE2 pattern of a record's first line ('^\\d{4}-\\d{2}-\\d{2} '); lines that do "
     "not match are appended to the previous record (stack traces); default: one "
     "record per line"},
    {"multiline.timeout", OPT_DURATION, "1 s", NULL, false,
     "a multi-line record is complete when no line was added to it for this long"},
    {"max-line-length", OPT_SIZE, "1mb", NULL, false,
     "longest record; a longer one goes to the dead-letter output (its first "
     "max-line-length bytes, its length and position) and reading goes on after it"},
    {"rotate-wait", OPT_DURATION, "5 s", NULL, false,
     "a file rotated out of the glob (renamed) is followed until it has not grown for "
     "this long, then closed; a deleted file is closed once read to its end"},
    {"position.file", OPT_STRING, NULL, NULL, false,
     "file the source writes its position to after each batch (atomically) and "
     "resumes from when it opens: at-least-once until checkpoints exist"},
    {NULL},
};

const struct connector_def conn_tail = {
    .name = "tail",
    .caps = CONN_SOURCE,
    .has_metadata = true,
    .options = tail_options,
    .needs_format = true,
    .description = "Follows files matching a glob as they grow, one record per line "
                   "(or per multi-line record), and picks up new files.  Files are "
                   "known by identity (device, inode and a fingerprint of their first "
                   "1 KiB), so rotation by rename-and-create and by copytruncate "
                   "neither loses nor repeats lines, and the position (every file's "
                   "identity, path and offset) resumes exactly after a restart, even "
                   "across rotations that happened meanwhile.  Records that cannot be "
                   "decoded or are too long go to the dead-letter output with "
                   "`path:offset`.  Metadata: `file.path`, `file.name`, `file.offset`.",
    .source_create = tail_source_create,
};
