/* opt.h — table-driven option parsing for the chainsleuth commands (src/cli
 * only), in the spirit of git's parse-options.
 *
 * Each command describes its options once, in a table of struct cli_opt; the
 * same table drives the parser and the generated `--help`, so help can never
 * list an option the parser does not accept, nor omit one it does.
 *
 * Invariants:
 *  - Accepted spellings: `--name VALUE`, `--name=VALUE`, `-x VALUE`, `-xVALUE`,
 *    bundled short flags (`-ab`), `--` ending the options.  A value is taken
 *    from the next argument even when it starts with '-' (so `--limit -1` is a
 *    range error, not a missing value).  Long names are matched exactly (no
 *    abbreviations).  `-h` and `--help` are always accepted and print the help
 *    on stdout.  A lone "-" is a positional argument.
 *  - Positional arguments are returned in order, wherever they stand among the
 *    options: argv[1..*npos] after the call (argv is rearranged in place).
 *  - Every error — unknown option, missing value, a value for a flag, a
 *    repeated single-valued option, a number out of range or with trailing
 *    garbage, a word not in an enum — is a usage error: exactly one line on
 *    stderr, "chainsleuth CMD: MESSAGE (see chainsleuth CMD --help)", naming
 *    the option and the bad text, and exit code 2.
 *  - Numbers are decimal digits only: no sign, no spaces, no "0x", no empty
 *    string; the value must lie within [min, max] (both inclusive).
 *  - No hidden allocation except CLI_OPT_LIST, whose array the caller frees.
 */
#ifndef CS_CLI_OPT_H
#define CS_CLI_OPT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum cli_opt_kind {
    CLI_OPT_END = 0, /* terminates a table */
    CLI_OPT_FLAG,    /* int *: set to 1; no value; may be repeated */
    CLI_OPT_STRING,  /* const char **: the value (borrowed from argv) */
    CLI_OPT_U64,     /* uint64_t *: decimal in [min, max] */
    CLI_OPT_ENUM,    /* int *: index of the value in words (exact match) */
    CLI_OPT_LIST,    /* struct cli_strlist *: every value, in order (repeatable) */
};

/* Values of a repeatable option; v is malloc'd by the parser (free it). */
struct cli_strlist {
    const char **v;
    size_t n, cap;
};

struct cli_opt {
    enum cli_opt_kind kind;
    const char *name;         /* long name without "--" */
    char short_name;          /* 0: none */
    void *target;             /* see enum cli_opt_kind */
    const char *arg;          /* value name in help ("DIR", "N"); NULL: derived from the kind */
    const char *help;         /* may hold '\n': continuation lines are indented */
    uint64_t min, max;        /* CLI_OPT_U64 */
    const char *const *words; /* CLI_OPT_ENUM: NULL-terminated */
};

#define CLI_FLAG(n, s, t, h)                                                                       \
    {                                                                                              \
        CLI_OPT_FLAG, n, s, t, NULL, h, 0, 0, NULL                                                 \
    }
#define CLI_STRING(n, s, t, a, h)                                                                  \
    {                                                                                              \
        CLI_OPT_STRING, n, s, t, a, h, 0, 0, NULL                                                  \
    }
#define CLI_U64(n, s, t, a, lo, hi, h)                                                             \
    {                                                                                              \
        CLI_OPT_U64, n, s, t, a, h, lo, hi, NULL                                                   \
    }
#define CLI_ENUM(n, s, t, a, w, h)                                                                 \
    {                                                                                              \
        CLI_OPT_ENUM, n, s, t, a, h, 0, 0, w                                                       \
    }
#define CLI_LIST(n, s, t, a, h)                                                                    \
    {                                                                                              \
        CLI_OPT_LIST, n, s, t, a, h, 0, 0, NULL                                                    \
    }
#define CLI_OPT_TABLE_END                                                                          \
    {                                                                                              \
        CLI_OPT_END, NULL, 0, NULL, NULL, NULL, 0, 0, NULL                                         \
    }

/* A command's interface: what --help prints, in this order. */
struct cli_cmd {
    const char *name;  /* "info", "tags list": used in messages */
    const char *usage; /* "usage: chainsleuth info [--db DIR] [--json]\n" */
    const char *about; /* description before the options (NULL: none) */
    const struct cli_opt *opts;
    const char *epilog; /* text after the options (NULL: none) */
    /* NULL: --help prints cli_opt_help(); else this (a command with
     * subcommands prints all their tables, each from cli_opt_help_table) */
    void (*help)(FILE *f);
};

#define CLI_OPT_OK (-1)

/* Parses argv[1..argc) (argv[0] is the command name) against cmd->opts,
 * filling the targets.  Returns CLI_OPT_OK with the positional arguments in
 * argv[1..*npos]; 0 after printing the help on stdout (-h, --help); 2 after
 * printing one usage error line on stderr.  Targets of options not given are
 * left untouched (so they keep the caller's defaults).  Cost: O(argc * table
 * size). */
int cli_opt_parse(const struct cli_cmd *cmd, int argc, char **argv, int *npos);

/* When set, -h/--help calls it with the command's interface instead of
 * printing the help (cli_opt_parse still returns 0).  `chainsleuth
 * completion` and `chainsleuth man` set it to read every command's table;
 * the table and its strings must be copied inside the call (the table may
 * live on the command's stack). */
extern void (*cli_opt_spec_hook)(const struct cli_cmd *cmd);

/* Writes cmd's help: usage, about, "options:" with one entry per table row
 * (plus -h, --help), epilog. */
void cli_opt_help(FILE *f, const struct cli_cmd *cmd);
/* Writes only the option list of a table (for commands with subcommands). */
void cli_opt_help_table(FILE *f, const struct cli_opt *opts);

/* Converts text, the value of option `name` ("--limit") of command `cmd`, to
 * a number in [min, max].  Returns 0 with *out set, or 2 after printing one
 * usage error line naming the option and the text (*out untouched).  Meant
 * for any option parser (cmd_ingest's getopt loop can call it as is). */
int cli_opt_u64(const char *cmd, const char *name, const char *text, uint64_t min, uint64_t max,
                uint64_t *out);

#endif
