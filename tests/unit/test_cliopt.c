/* test_cliopt.c — the CLI option parser (src/cli/opt.h): spellings, positional
 * order, every usage error as exactly one stderr line with exit code 2, the
 * number ranges, enums, lists, and that the generated --help lists every
 * option of the table.  src/cli is not in the library, so opt.c is compiled
 * into this test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/opt.c"

/* the options every test parses against */
struct vals {
    const char *db;
    int json, verbose;
    uint64_t limit, small;
    int color;
    struct cli_strlist tx;
};

static const char *const COLORS[] = {"red", "green", "blue", NULL};

#define TABLE(v)                                                                                   \
    const struct cli_opt opts[] = {                                                                \
        CLI_STRING("db", 'd', &(v)->db, "DIR", "store directory"),                                 \
        CLI_FLAG("json", 0, &(v)->json, "print JSON"),                                             \
        CLI_FLAG("verbose", 'v', &(v)->verbose, "more output\nsecond help line"),                  \
        CLI_U64("limit", 'n', &(v)->limit, "N", 0, UINT64_MAX, "at most N"),                       \
        CLI_U64("small", 0, &(v)->small, "K", 1, 10, "between 1 and 10"),                          \
        CLI_ENUM("color", 0, &(v)->color, NULL, COLORS, "a color"),                                \
        CLI_LIST("tx", 0, &(v)->tx, "TXID", "repeatable"),                                         \
        CLI_OPT_TABLE_END,                                                                         \
    };                                                                                             \
    const struct cli_cmd cmd = {"demo",                                                            \
                                "usage: chainsleuth demo [options] ARG...\n",                      \
                                "A demonstration.\n",                                              \
                                opts,                                                              \
                                "Exit codes: 0 ok.\n",                                             \
                                NULL}

static char err_text[4096];
static int err_lines;

/* Runs the parser on a NULL-terminated argument list (argv[0] = "demo"),
 * capturing stderr into err_text / err_lines and stdout into out (if given). */
static int run(struct vals *v, int *npos, char **argv_out, char *out, size_t out_cap, ...)
{
    TABLE(v);
    static char *argv[32];
    va_list ap;
    int argc = 0;
    argv[argc++] = "demo";
    va_start(ap, out_cap);
    for (char *a; (a = va_arg(ap, char *));)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    fflush(stderr);
    fflush(stdout);
    FILE *ef = tmpfile(), *of = tmpfile();
    assert_non_null(ef);
    assert_non_null(of);
    int saved_err = dup(2), saved_out = dup(1);
    dup2(fileno(ef), 2);
    dup2(fileno(of), 1);
    int rc = cli_opt_parse(&cmd, argc, argv, npos);
    fflush(stderr);
    fflush(stdout);
    dup2(saved_err, 2);
    dup2(saved_out, 1);
    close(saved_err);
    close(saved_out);
    rewind(ef);
    size_t n = fread(err_text, 1, sizeof err_text - 1, ef);
    err_text[n] = 0;
    err_lines = 0;
    for (size_t i = 0; i < n; i++)
        err_lines += err_text[i] == '\n';
    if (out) {
        rewind(of);
        n = fread(out, 1, out_cap - 1, of);
        out[n] = 0;
    }
    fclose(ef);
    fclose(of);
    if (argv_out)
        for (int i = 0; i <= argc; i++)
            argv_out[i] = argv[i];
    return rc;
}

#define PARSE(v, npos, ...) run(v, npos, NULL, NULL, 0, __VA_ARGS__, (char *)NULL)

/* a usage error: exit 2, one line naming the bad text */
static void assert_usage_error(int rc, const char *must_contain)
{
    assert_int_equal(rc, 2);
    assert_int_equal(err_lines, 1);
    assert_non_null(strstr(err_text, must_contain));
    assert_non_null(strstr(err_text, "chainsleuth demo: "));
    assert_non_null(strstr(err_text, "(see chainsleuth demo --help)\n"));
}

static void test_spellings(void **state)
{
    (void)state;
    struct vals v = {.limit = 7};
    int npos = -1;
    char *av[32];
    assert_int_equal(run(&v, &npos, av, NULL, 0, "a1", "--db=x", "--limit", "12", "a2", "--json",
                         "-v", "--", "--not-an-option", "-", (char *)NULL),
                     CLI_OPT_OK);
    assert_int_equal(err_lines, 0);
    assert_string_equal(v.db, "x");
    assert_int_equal(v.limit, 12);
    assert_int_equal(v.json, 1);
    assert_int_equal(v.verbose, 1);
    assert_int_equal(npos, 4); /* positionals in order, wherever they stood */
    assert_string_equal(av[1], "a1");
    assert_string_equal(av[2], "a2");
    assert_string_equal(av[3], "--not-an-option");
    assert_string_equal(av[4], "-");

    struct vals w = {0};
    assert_int_equal(PARSE(&w, &npos, "--db", "y", "--limit=3"), CLI_OPT_OK);
    assert_string_equal(w.db, "y");
    assert_int_equal(w.limit, 3);
    assert_int_equal(npos, 0);
    /* short forms: -d VALUE, -nVALUE, bundled flags ending in a valued one */
    struct vals s = {0};
    assert_int_equal(PARSE(&s, &npos, "-d", "z", "-n5"), CLI_OPT_OK);
    assert_string_equal(s.db, "z");
    assert_int_equal(s.limit, 5);
    struct vals b = {0};
    assert_int_equal(PARSE(&b, &npos, "-vn", "9"), CLI_OPT_OK);
    assert_int_equal(b.verbose, 1);
    assert_int_equal(b.limit, 9);
    /* an option's value may start with '-' (here: the empty-looking "--") */
    struct vals d = {0};
    assert_int_equal(PARSE(&d, &npos, "--db", "--json"), CLI_OPT_OK);
    assert_string_equal(d.db, "--json");
    assert_int_equal(d.json, 0);
    /* not given: the default stays */
    struct vals k = {.limit = 100};
    assert_int_equal(PARSE(&k, &npos, "pos"), CLI_OPT_OK);
    assert_int_equal(k.limit, 100);
    assert_null(k.db);
    assert_int_equal(npos, 1);
}

static void test_errors_one_line(void **state)
{
    (void)state;
    struct vals v = {0};
    int npos;
    assert_usage_error(PARSE(&v, &npos, "--bogus"), "unknown option '--bogus'");
    assert_string_equal(err_text, "chainsleuth demo: unknown option '--bogus' (see chainsleuth "
                                  "demo --help)\n");
    assert_usage_error(PARSE(&v, &npos, "--bogus=1"), "unknown option '--bogus'");
    assert_usage_error(PARSE(&v, &npos, "-x"), "unknown option '-x'");
    assert_usage_error(PARSE(&v, &npos, "--js"), "unknown option '--js'"); /* no abbreviations */
    assert_usage_error(PARSE(&v, &npos, "--db"), "--db needs a value");
    assert_usage_error(PARSE(&v, &npos, "-d"), "-d needs a value");
    assert_usage_error(PARSE(&v, &npos, "--json=1"), "--json takes no value");
    assert_usage_error(PARSE(&v, &npos, "--db", "a", "--db", "b"), "--db given twice");
    assert_usage_error(PARSE(&v, &npos, "--color", "purple"),
                       "--color: 'purple' is not one of red, green, blue");
    /* flags may repeat */
    struct vals f = {0};
    assert_int_equal(PARSE(&f, &npos, "--json", "--json"), CLI_OPT_OK);
    assert_int_equal(f.json, 1);
}

static void test_numbers(void **state)
{
    (void)state;
    int npos;
    static const char *const bad[] = {"-1",
                                      "18446744073709551616",
                                      "99999999999999999999999",
                                      "12abc",
                                      "",
                                      " 1",
                                      "1 ",
                                      "+1",
                                      "0x10",
                                      "1e3",
                                      "1.0",
                                      NULL};
    for (int i = 0; bad[i]; i++) {
        struct vals v = {.limit = 42};
        char want[128];
        snprintf(want, sizeof want,
                 "--limit: '%s' is not a whole number from 0 to "
                 "18446744073709551615",
                 bad[i]);
        assert_usage_error(PARSE(&v, &npos, "--limit", bad[i]), want);
        assert_int_equal(v.limit, 42); /* untouched */
    }
    struct vals v = {0};
    assert_int_equal(PARSE(&v, &npos, "--limit", "18446744073709551615"), CLI_OPT_OK);
    assert_true(v.limit == UINT64_MAX);
    assert_int_equal(PARSE(&v, &npos, "--limit=0007"), CLI_OPT_OK);
    assert_int_equal(v.limit, 7);
    /* bounds inclusive, both sides */
    assert_int_equal(PARSE(&v, &npos, "--small", "1"), CLI_OPT_OK);
    assert_int_equal(v.small, 1);
    assert_int_equal(PARSE(&v, &npos, "--small", "10"), CLI_OPT_OK);
    assert_int_equal(v.small, 10);
    assert_usage_error(PARSE(&v, &npos, "--small", "0"), "--small: '0' is not a whole number from "
                                                         "1 to 10");
    assert_usage_error(PARSE(&v, &npos, "--small", "11"), "'11'");
    /* the API for other parsers (cmd_ingest's --max-reorg) */
    uint64_t out = 5;
    fflush(stderr);
    int saved = dup(2);
    FILE *null = fopen("/dev/null", "w");
    dup2(fileno(null), 2);
    assert_int_equal(cli_opt_u64("ingest", "--max-reorg", "99999999999999", 0, UINT32_MAX, &out),
                     2);
    assert_int_equal(out, 5);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(null);
    assert_int_equal(cli_opt_u64("ingest", "--max-reorg", "4294967295", 0, UINT32_MAX, &out), 0);
    assert_true(out == UINT32_MAX);
}

static void test_enum_and_list(void **state)
{
    (void)state;
    struct vals v = {.color = -1};
    int npos;
    assert_int_equal(PARSE(&v, &npos, "--color", "blue", "--tx", "a", "--tx=b", "--tx", "c"),
                     CLI_OPT_OK);
    assert_int_equal(v.color, 2);
    assert_int_equal(v.tx.n, 3);
    assert_string_equal(v.tx.v[0], "a");
    assert_string_equal(v.tx.v[1], "b");
    assert_string_equal(v.tx.v[2], "c");
    free(v.tx.v);
    struct vals w = {0};
    assert_usage_error(PARSE(&w, &npos, "--color", "Blue"), "'Blue'"); /* exact words */
}

static void test_help(void **state)
{
    (void)state;
    struct vals v = {0};
    int npos;
    char out[8192];
    assert_int_equal(run(&v, &npos, NULL, out, sizeof out, "x", "--help", "--bogus", (char *)NULL),
                     0);
    assert_int_equal(err_lines, 0); /* --help wins over what follows it */
    assert_int_equal(run(&v, &npos, NULL, out, sizeof out, "-h", (char *)NULL), 0);
    assert_non_null(strstr(out, "usage: chainsleuth demo [options] ARG...\n"));
    assert_non_null(strstr(out, "A demonstration.\n"));
    assert_non_null(strstr(out, "Exit codes: 0 ok.\n"));
    /* every option of the table, with its value name, and nothing else */
    TABLE(&v);
    size_t listed = 0;
    for (const struct cli_opt *o = opts; o->kind != CLI_OPT_END; o++) {
        char want[64];
        snprintf(want, sizeof want, "--%s", o->name);
        const char *at = strstr(out, want);
        assert_non_null(at);
        listed++;
        (void)cmd;
    }
    assert_non_null(strstr(out, "-d, --db DIR "));
    assert_non_null(strstr(out, "--limit N "));
    assert_non_null(strstr(out, "  --color red|green|blue\n"));
    assert_non_null(strstr(out, "-h, --help "));
    /* continuation lines of a help text are indented to the help column */
    assert_non_null(strstr(out, "more output\n                        second help line\n"));
    size_t dashes = 0;
    for (const char *p = out; (p = strstr(p, "\n  -")); p++)
        dashes++;
    assert_int_equal(dashes, listed + 1); /* + -h, --help */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spellings), cmocka_unit_test(test_errors_one_line),
        cmocka_unit_test(test_numbers),   cmocka_unit_test(test_enum_and_list),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
