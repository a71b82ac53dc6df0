/* opt.c — the option table parser and help writer (opt.h), and cli_usage, the
 * one place that formats a usage error.  Self-contained on purpose:
 * tests/unit/test_cliopt.c compiles this file into the test. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"

#define HELP_COLUMN 24 /* option help text starts here */

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "chainsleuth %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see chainsleuth %s --help)\n", cmd);
    return 2;
}

int cli_opt_u64(const char *cmd, const char *name, const char *text, uint64_t min, uint64_t max,
                uint64_t *out)
{
    uint64_t v = 0;
    int digits = 1, overflow = 0;
    if (!*text) digits = 0;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9') {
            digits = 0;
            break;
        }
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10)
            overflow = 1; /* keep scanning: trailing garbage is reported as such */
        else
            v = v * 10 + d;
    }
    if (!digits || overflow || v < min || v > max)
        return cli_usage(cmd, "%s: '%s' is not a whole number from %llu to %llu", name, text,
                         (unsigned long long)min, (unsigned long long)max);
    *out = v;
    return 0;
}

static const struct cli_opt *find_long(const struct cli_opt *opts, const char *name, size_t len)
{
    for (const struct cli_opt *o = opts; o->kind != CLI_OPT_END; o++)
        if (strlen(o->name) == len && !memcmp(o->name, name, len)) return o;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *opts, char c)
{
    for (const struct cli_opt *o = opts; o->kind != CLI_OPT_END; o++)
        if (o->short_name && o->short_name == c) return o;
    return NULL;
}

static void list_add(struct cli_strlist *l, const char *v)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = cs_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = v;
}

/* "--name" or "-x" as the user spelled it, for messages */
static const char *spelling(const struct cli_opt *o, int as_short, char buf[80])
{
    if (as_short)
        snprintf(buf, 80, "-%c", o->short_name);
    else
        snprintf(buf, 80, "--%s", o->name);
    return buf;
}

/* Stores value into o's target.  seen[] marks single-valued options given. */
static int apply(const struct cli_cmd *cmd, const struct cli_opt *o, int as_short,
                 const char *value, unsigned char *seen)
{
    char sp[80];
    spelling(o, as_short, sp);
    size_t idx = (size_t)(o - cmd->opts);
    if (o->kind != CLI_OPT_FLAG && o->kind != CLI_OPT_LIST) {
        if (seen[idx]) return cli_usage(cmd->name, "%s given twice", sp);
        seen[idx] = 1;
    }
    switch (o->kind) {
    case CLI_OPT_FLAG:
        *(int *)o->target = 1;
        return 0;
    case CLI_OPT_STRING:
        *(const char **)o->target = value;
        return 0;
    case CLI_OPT_U64:
        return cli_opt_u64(cmd->name, sp, value, o->min, o->max, (uint64_t *)o->target);
    case CLI_OPT_ENUM:
        for (int i = 0; o->words[i]; i++)
            if (!strcmp(o->words[i], value)) {
                *(int *)o->target = i;
                return 0;
            }
        {
            char words[400];
            size_t n = 0;
            words[0] = 0;
            for (int i = 0; o->words[i] && n < sizeof words; i++)
                n += (size_t)snprintf(words + n, sizeof words - n, "%s%s", i ? ", " : "",
                                      o->words[i]);
            return cli_usage(cmd->name, "%s: '%s' is not one of %s", sp, value, words);
        }
    case CLI_OPT_LIST:
        list_add((struct cli_strlist *)o->target, value);
        return 0;
    case CLI_OPT_END:
        break;
    }
    return 0;
}

void (*cli_opt_spec_hook)(const struct cli_cmd *cmd);

static void print_help(const struct cli_cmd *cmd)
{
    if (cli_opt_spec_hook) {
        cli_opt_spec_hook(cmd);
        return;
    }
    if (cmd->help)
        cmd->help(stdout);
    else
        cli_opt_help(stdout, cmd);
}

int cli_opt_parse(const struct cli_cmd *cmd, int argc, char **argv, int *npos)
{
    size_t nopts = 0;
    while (cmd->opts[nopts].kind != CLI_OPT_END)
        nopts++;
    unsigned char seen_small[64];
    unsigned char *seen = nopts <= sizeof seen_small ? seen_small : cs_xmalloc(nopts);
    memset(seen, 0, nopts <= sizeof seen_small ? sizeof seen_small : nopts);
    int pos = 0, rc = CLI_OPT_OK, only_pos = 0;
    for (int i = 1; i < argc && rc == CLI_OPT_OK; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || !a[1]) {
            argv[++pos] = a; /* pos < i: the slot was read already */
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (a[1] == '-') { /* --name[=value] */
            const char *name = a + 2, *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            if (len == 4 && !memcmp(name, "help", 4) && !eq) {
                print_help(cmd);
                rc = 0;
                break;
            }
            const struct cli_opt *o = find_long(cmd->opts, name, len);
            if (!o) {
                rc = cli_usage(cmd->name, "unknown option '--%.*s'", (int)len, name);
                break;
            }
            if (o->kind == CLI_OPT_FLAG) {
                if (eq) {
                    rc = cli_usage(cmd->name, "--%s takes no value (got '%s')", o->name, eq + 1);
                    break;
                }
                rc = apply(cmd, o, 0, NULL, seen);
            } else if (eq) {
                rc = apply(cmd, o, 0, eq + 1, seen);
            } else if (i + 1 < argc) {
                rc = apply(cmd, o, 0, argv[++i], seen);
            } else {
                rc = cli_usage(cmd->name, "--%s needs a value (%s)", o->name,
                               o->arg ? o->arg : "VALUE");
            }
            if (rc == 0) rc = CLI_OPT_OK;
            continue;
        }
        /* -x, -xVALUE, -abc (bundled flags) */
        for (const char *p = a + 1; *p && rc == CLI_OPT_OK; p++) {
            if (*p == 'h') {
                print_help(cmd);
                rc = 0;
                break;
            }
            const struct cli_opt *o = find_short(cmd->opts, *p);
            if (!o) {
                rc = cli_usage(cmd->name, "unknown option '-%c'", *p);
                break;
            }
            if (o->kind == CLI_OPT_FLAG) {
                rc = apply(cmd, o, 1, NULL, seen);
            } else if (p[1]) {
                rc = apply(cmd, o, 1, p + 1, seen);
                if (rc == 0) rc = CLI_OPT_OK;
                break;
            } else if (i + 1 < argc) {
                rc = apply(cmd, o, 1, argv[++i], seen);
            } else {
                rc = cli_usage(cmd->name, "-%c needs a value (%s)", *p, o->arg ? o->arg : "VALUE");
            }
            if (rc == 0) rc = CLI_OPT_OK;
        }
    }
    if (seen != seen_small) free(seen);
    if (rc == CLI_OPT_OK) *npos = pos;
    return rc;
}

static void help_row(FILE *f, const char *left, const char *help)
{
    int n = fprintf(f, "  %s", left);
    if (!help || !*help) {
        fputc('\n', f);
        return;
    }
    if (n >= HELP_COLUMN) {
        fputc('\n', f);
        n = 0;
    }
    fprintf(f, "%*s", HELP_COLUMN - n, "");
    for (const char *p = help; *p; p++) {
        fputc(*p, f);
        if (*p == '\n' && p[1]) fprintf(f, "%*s", HELP_COLUMN, "");
    }
    if (help[strlen(help) - 1] != '\n') fputc('\n', f);
}

void cli_opt_help_table(FILE *f, const struct cli_opt *opts)
{
    for (const struct cli_opt *o = opts; o->kind != CLI_OPT_END; o++) {
        char left[200], arg[160];
        size_t n = 0;
        arg[0] = 0;
        if (o->kind != CLI_OPT_FLAG) {
            if (o->arg)
                snprintf(arg, sizeof arg, " %s", o->arg);
            else if (o->kind == CLI_OPT_ENUM) {
                for (int i = 0; o->words[i] && n + 1 < sizeof arg; i++)
                    n += (size_t)snprintf(arg + n, sizeof arg - n, "%c%s", i ? '|' : ' ',
                                          o->words[i]);
            } else
                snprintf(arg, sizeof arg, " %s", o->kind == CLI_OPT_U64 ? "N" : "VALUE");
        }
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s", o->short_name, o->name, arg);
        else
            snprintf(left, sizeof left, "--%s%s", o->name, arg);
        help_row(f, left, o->help);
    }
    help_row(f, "-h, --help", "print this help and exit");
}

void cli_opt_help(FILE *f, const struct cli_cmd *cmd)
{
    fputs(cmd->usage, f);
    if (cmd->about) {
        fputc('\n', f);
        fputs(cmd->about, f);
    }
    fputs("\noptions:\n", f);
    cli_opt_help_table(f, cmd->opts);
    if (cmd->epilog) {
        fputc('\n', f);
        fputs(cmd->epilog, f);
    }
}
