/* cmd_completion.c — `chainsleuth completion bash|zsh` and `chainsleuth man`:
 * a shell completion script and the manual page, both made from the option
 * tables the commands parse with (cli/opt.h), so they list exactly the
 * options and enum words the parser accepts.
 *
 * How the tables are read: each command of main.c's table is run with
 * "--help" while cli_opt_spec_hook is set; the parser hands the hook the
 * command's interface instead of printing it, and the hook copies it.  A
 * command with subcommands ("tags import", "ingest evm") is probed once per
 * subcommand word its usage text names ("chainsleuth tags import ...").
 * Nothing else runs: a command returns from its parse before touching a
 * store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/chain.h"
#include "cli/cli.h"
#include "cli/opt.h"

#define MAX_SPECS 96

struct spec {
    char name[48]; /* "trace", "tags import" */
    const char *usage, *about, *epilog;
    struct cli_opt *opts;
    size_t nopts;
    char subs[16][24]; /* subcommand words ("import", "list"; "btc", "evm") */
    size_t nsubs;
};

static struct spec SPECS[MAX_SPECS];
static size_t NSPECS;

static void hook(const struct cli_cmd *cmd)
{
    if (NSPECS == MAX_SPECS) return;
    for (size_t i = 0; i < NSPECS; i++)
        if (!strcmp(SPECS[i].name, cmd->name)) return;
    struct spec *s = &SPECS[NSPECS++];
    snprintf(s->name, sizeof s->name, "%s", cmd->name);
    s->usage = cmd->usage;
    s->about = cmd->about;
    s->epilog = cmd->epilog;
    size_t n = 0;
    while (cmd->opts[n].kind != CLI_OPT_END)
        n++;
    s->opts = cs_xmalloc((n + 1) * sizeof *s->opts);
    memcpy(s->opts, cmd->opts, (n + 1) * sizeof *s->opts);
    s->nopts = n;
}

/* the subcommand words of a usage text: "chainsleuth NAME word" */
static size_t sub_words(const char *name, const char *usage, char words[][24], size_t cap)
{
    size_t n = 0;
    char pat[64];
    snprintf(pat, sizeof pat, "chainsleuth %s ", name);
    for (const char *p = usage ? strstr(usage, pat) : NULL; p && n < cap; p = strstr(p + 1, pat)) {
        const char *w = p + strlen(pat);
        size_t l = 0;
        while (w[l] >= 'a' && w[l] <= 'z')
            l++;
        if (!l || l >= 24 || (w[l] != ' ' && w[l] != '\n' && w[l] != 0)) continue;
        int dup = 0;
        for (size_t i = 0; i < n; i++)
            dup |= strlen(words[i]) == l && !memcmp(words[i], w, l);
        if (dup) continue;
        memcpy(words[n], w, l);
        words[n++][l] = 0;
    }
    return n;
}

static void collect(void)
{
    if (NSPECS) return;
    cli_opt_spec_hook = hook;
    FILE *null = fopen("/dev/null", "w");
    for (size_t i = 0; i < cli_command_count(); i++) {
        int (*fn)(int, char **);
        const char *nm = cli_command_name(i, &fn, NULL);
        if (!strcmp(nm, "completion") || !strcmp(nm, "man")) continue;
        char a0[48], a1[8] = "--help";
        snprintf(a0, sizeof a0, "%s", nm);
        char *argv[] = {a0, a1, NULL};
        size_t before = NSPECS;
        /* the help text, for commands whose top level prints it themselves */
        char *text = NULL;
        size_t tlen = 0;
        FILE *mem = open_memstream(&text, &tlen), *out = stdout;
        fflush(stdout);
        if (mem) stdout = mem;
        (void)fn(2, argv);
        if (mem) {
            fflush(mem);
            stdout = out;
            fclose(mem);
        }
        char words[16][24];
        size_t nw = sub_words(nm, NSPECS > before ? SPECS[before].usage : text, words, 16);
        free(text);
        for (size_t k = 0; k < nw; k++) {
            char b0[48], b1[24], b2[8] = "--help";
            snprintf(b0, sizeof b0, "%s", nm);
            snprintf(b1, sizeof b1, "%s", words[k]);
            char *bv[] = {b0, b1, b2, NULL};
            /* a subcommand that is no table of its own may print an error */
            FILE *err = stderr;
            stderr = null ? null : err;
            (void)fn(3, bv);
            stderr = err;
        }
        /* the top level: its own table, or a bare entry naming the subcommands */
        struct spec *top = NULL;
        for (size_t j = before; j < NSPECS; j++)
            if (!strcmp(SPECS[j].name, nm)) top = &SPECS[j];
        if (!top && NSPECS > before && NSPECS < MAX_SPECS) {
            top = &SPECS[NSPECS++];
            memset(top, 0, sizeof *top);
            snprintf(top->name, sizeof top->name, "%s", nm);
            top->usage = "";
            top->opts = cs_xcalloc(1, sizeof *top->opts);
        }
        if (top) {
            memcpy(top->subs, words, sizeof words);
            top->nsubs = nw;
        }
    }
    if (null) fclose(null);
    cli_opt_spec_hook = NULL;
}

static const struct spec *find(const char *name)
{
    for (size_t i = 0; i < NSPECS; i++)
        if (!strcmp(SPECS[i].name, name)) return &SPECS[i];
    return NULL;
}

/* ---- bash (and zsh through bashcompinit) ---- */

static int is_path_arg(const struct cli_opt *o)
{
    const char *a = o->arg ? o->arg : "";
    return strstr(a, "DIR") || strstr(a, "FILE") || strstr(a, "PATH") || !strcmp(o->name, "db");
}

static void bash_script(FILE *f, int zsh)
{
    fputs("# chainsleuth completion (generated by `chainsleuth completion`, from the option\n"
          "# tables the commands parse with).\n",
          f);
    if (zsh)
        fputs("# zsh: load with  source <(chainsleuth completion zsh)\n"
              "autoload -U +X bashcompinit && bashcompinit\n",
              f);
    else
        fputs("# bash: source it, or install it as\n"
              "# /usr/share/bash-completion/completions/chainsleuth\n",
              f);
    fputs("_chainsleuth() {\n"
          "    local cur prev cmd sub words\n"
          "    cur=${COMP_WORDS[COMP_CWORD]}\n"
          "    prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W \"",
          f);
    for (size_t i = 0; i < cli_command_count(); i++)
        fprintf(f, "%s%s", i ? " " : "", cli_command_name(i, NULL, NULL));
    fputs(" help version\" -- \"$cur\"))\n        return 0\n    fi\n"
          "    cmd=${COMP_WORDS[1]}\n    sub=\n"
          "    [ \"$COMP_CWORD\" -ge 3 ] && case ${COMP_WORDS[2]} in -*) ;; *) "
          "sub=${COMP_WORDS[2]} ;; esac\n",
          f);
    /* values of options: enum words, chain names, paths */
    fputs("    case \"$prev\" in\n    --chain)\n        COMPREPLY=($(compgen -W \"", f);
    for (size_t i = 0; i < cs_chain_count(); i++)
        fprintf(f, "%s%s", i ? " " : "", cs_chain_at(i)->name);
    fputs("\" -- \"$cur\"))\n        return 0 ;;\n    esac\n", f);
    fputs("    case \"$cmd${sub:+ $sub}:$prev\" in\n", f);
    for (size_t i = 0; i < NSPECS; i++)
        for (size_t k = 0; k < SPECS[i].nopts; k++) {
            const struct cli_opt *o = &SPECS[i].opts[k];
            if (o->kind == CLI_OPT_ENUM) {
                fprintf(f, "    \"%s:--%s\")\n        COMPREPLY=($(compgen -W \"", SPECS[i].name,
                        o->name);
                for (int w = 0; o->words[w]; w++)
                    fprintf(f, "%s%s", w ? " " : "", o->words[w]);
                fputs("\" -- \"$cur\"))\n        return 0 ;;\n", f);
            } else if (o->kind != CLI_OPT_FLAG && is_path_arg(o)) {
                fprintf(f,
                        "    \"%s:--%s\")\n        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
                        "        return 0 ;;\n",
                        SPECS[i].name, o->name);
            } else if (o->kind != CLI_OPT_FLAG) {
                fprintf(f, "    \"%s:--%s\")\n        COMPREPLY=()\n        return 0 ;;\n",
                        SPECS[i].name, o->name);
            }
        }
    fputs("    esac\n    case \"$cmd${sub:+ $sub}\" in\n", f);
    for (size_t i = 0; i < NSPECS; i++) {
        fprintf(f, "    \"%s\") words=\"", SPECS[i].name);
        for (size_t k = 0; k < SPECS[i].nopts; k++)
            fprintf(f, "--%s ", SPECS[i].opts[k].name);
        fputs("--help", f);
        for (size_t j = 0; j < SPECS[i].nsubs; j++) /* a command's subcommand words */
            fprintf(f, " %s", SPECS[i].subs[j]);
        fputs("\" ;;\n", f);
    }
    fputs("    *) words=\"--help\" ;;\n    esac\n"
          "    case \"$cur\" in\n    -*) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\")) ;;\n"
          "    *) COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -f -- \"$cur\")) ;;\n"
          "    esac\n    return 0\n}\ncomplete -F _chainsleuth chainsleuth\n",
          f);
}

int cmd_completion(int argc, char **argv)
{
    static const char USAGE[] = "usage: chainsleuth completion bash|zsh\n";
    const struct cli_opt opts[] = {CLI_OPT_TABLE_END};
    const struct cli_cmd cmd = {
        "completion",
        USAGE,
        "Prints a completion script for bash or zsh made from every command's option\n"
        "table: commands, subcommands, options, enum values (--unit, --direction ...),\n"
        "chain names for --chain, file names for DIR/FILE options.\n"
        "  bash:  chainsleuth completion bash > ~/.local/share/bash-completion/completions/"
        "chainsleuth\n"
        "  zsh:   source <(chainsleuth completion zsh)\n",
        opts,
        NULL,
        NULL};
    int npos = 0, rc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (npos != 1 || (strcmp(argv[1], "bash") && strcmp(argv[1], "zsh")))
        return cli_usage("completion", "give the shell: bash or zsh");
    collect();
    bash_script(stdout, !strcmp(argv[1], "zsh"));
    return fflush(stdout) ? cli_fail("completion", "write failed") : 0;
}

/* ---- man ---- */

/* roff-escaped text: backslashes, and lines starting with '.' or '\'' */
static void roff(FILE *f, const char *s)
{
    int bol = 1;
    for (; s && *s; s++) {
        if (bol && (*s == '.' || *s == '\'')) fputs("\\&", f);
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '-')
            fputs("\\-", f);
        else
            fputc(*s, f);
        bol = *s == '\n';
    }
}

static void man_spec(FILE *f, const struct spec *s)
{
    fputs(".SS ", f);
    roff(f, s->name);
    fputs("\n.nf\n", f);
    const char *u = s->usage;
    if (u && !strncmp(u, "usage: ", 7)) u += 7;
    if (!u || !*u) {
        fputs(".fi\nsubcommands:", f);
        for (size_t j = 0; j < s->nsubs; j++)
            fprintf(f, " \\fB%s\\fR", s->subs[j]);
        fputs("\n", f);
        return;
    }
    roff(f, u);
    fputs(".fi\n", f);
    if (s->about) {
        fputs(".PP\n", f);
        roff(f, s->about);
    }
    for (size_t k = 0; k < s->nopts; k++) {
        const struct cli_opt *o = &s->opts[k];
        fputs(".TP\n\\fB", f);
        if (o->short_name) fprintf(f, "\\-%c\\fR, \\fB", o->short_name);
        fputs("\\-\\-", f);
        roff(f, o->name);
        fputs("\\fR", f);
        if (o->kind == CLI_OPT_ENUM) {
            fputs(" ", f);
            for (int w = 0; o->words[w]; w++) {
                if (w) fputs("|", f);
                roff(f, o->words[w]);
            }
        } else if (o->kind != CLI_OPT_FLAG) {
            fputs(" \\fI", f);
            roff(f, o->arg ? o->arg : o->kind == CLI_OPT_U64 ? "N" : "VALUE");
            fputs("\\fR", f);
        }
        fputs("\n", f);
        roff(f, o->help ? o->help : "");
        fputs("\n", f);
    }
    if (s->epilog) {
        fputs(".PP\n", f);
        roff(f, s->epilog);
    }
}

int cmd_man(int argc, char **argv)
{
    static const char USAGE[] = "usage: chainsleuth man\n";
    const struct cli_opt opts[] = {CLI_OPT_TABLE_END};
    const struct cli_cmd cmd = {
        "man",
        USAGE,
        "Prints the manual page chainsleuth(1) in roff, made from the same tables\n"
        "as every command's --help.  Read it with  chainsleuth man | man -l -\n"
        "(make install puts it in share/man/man1).\n",
        opts,
        NULL,
        NULL};
    int npos = 0, rc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (npos) return cli_usage("man", "no arguments");
    collect();
    FILE *f = stdout;
    fprintf(f, ".TH CHAINSLEUTH 1 \"\" \"chainsleuth %s\" \"User Commands\"\n", cli_version());
    fputs(".SH NAME\nchainsleuth \\- blockchain forensics on one machine, offline\n"
          ".SH SYNOPSIS\n\\fBchainsleuth\\fR \\fIcommand\\fR [\\fIoptions\\fR]\n"
          ".SH DESCRIPTION\nchainsleuth ingests Bitcoin blocks and EVM chains into a local "
          "store, groups addresses into entities, attributes them with public intelligence, "
          "traces stolen funds under several taint policies, screens addresses for exposure and "
          "writes case reports. The methods are in docs/METHODS.md (share/doc/chainsleuth).\n"
          ".SH COMMANDS\n",
          f);
    for (size_t i = 0; i < cli_command_count(); i++) {
        const char *help;
        const char *nm = cli_command_name(i, NULL, &help);
        fputs(".TP\n\\fB", f);
        roff(f, nm);
        fputs("\\fR\n", f);
        roff(f, help);
        fputs("\n", f);
    }
    fputs(".SH OPTIONS BY COMMAND\n", f);
    for (size_t i = 0; i < NSPECS; i++)
        man_spec(f, &SPECS[i]);
    fputs(".SH EXIT STATUS\n0 ok, 1 error, 2 usage error.\n"
          ".SH SEE ALSO\nchainsleuth\\-gen(1), the README and docs/METHODS.md.\n",
          f);
    (void)find;
    return fflush(f) ? cli_fail("man", "write failed") : 0;
}
