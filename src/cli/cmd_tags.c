/* cmd_tags.c — `chainsleuth tags`: import attribution tags, list them, show
 * the category taxonomy.  The table and the importers are src/tags/tags.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "tags/tags.h"

#define SHOW_REJECTS 20

static const char USAGE[] =
    "usage: chainsleuth tags import FILE... [--db DIR] [--format F] [--chain C]\n"
    "                                   [--category C] [--source S] [--json]\n"
    "       chainsleuth tags list [--db DIR] [--category C] [--label L] [--address A]\n"
    "                             [--chain C] [--source S] [--limit N] [--json]\n"
    "       chainsleuth tags history PATH... [--db DIR] [--json]\n"
    "       chainsleuth tags categories [--json]\n"
    "\n"
    "Attribution tags: chain, address, label, category, source, confidence (0..100)\n"
    "and a context note.  The table is DIR/tags/tags.tsv; DIR is --db, else\n"
    "$CHAINSLEUTH_DB, else ./chainsleuth.db.\n"
    "\n"
    "import   adds the tags of each FILE, creating DIR if needed, and prints per file\n"
    "         the rows added, updated (confidence raised or context filled in),\n"
    "         unchanged (already present: importing a file twice changes nothing)\n"
    "         and rejected, with the first 20 rejected rows (line, address, reason)\n"
    "         on stderr; --json lists them all.  If any FILE cannot be read as a\n"
    "         whole, nothing is saved.  Formats, guessed from the content unless\n"
    "         --format is given:\n"
    "           csv           header address,label,category,source[,confidence][,chain];\n"
    "                         confidence 0..100, 0.0..1.0 or a GraphSense level word\n"
    "                         (default 50); chain a code or currency (btc, ETH, XBT);\n"
    "                         without one, --chain or the address's shape decides\n"
    "           ofac-list     OFAC sanctioned_addresses_<ASSET>.txt or .json, one\n"
    "                         address per line; the chain comes from <ASSET> or --chain\n"
    "           ofac-sdn-csv  OFAC sdn.csv: each \"Digital Currency Address - ASSET addr\"\n"
    "                         in the remarks, labelled with the SDN name; the program\n"
    "                         goes into the context\n"
    "           tagpack       GraphSense TagPack YAML; tags inherit the pack's fields\n"
    "         OFAC rows get category sanctioned, source OFAC, confidence 100.\n"
    "         --chain C     chain or currency for rows that name none\n"
    "         --category C  csv: category for rows (or a file) without one\n"
    "         --source S    csv: source for rows (or a file) without one\n"
    "list     prints the tags that match every filter given: --category C (exact),\n"
    "         --label L and --source S (case-insensitive substrings), --address A\n"
    "         (on any chain; EVM and Bech32 addresses in any case), --chain C;\n"
    "         --limit N prints at most N.\n"
    "history  imports dated sanctions lists (PATH: a list file or a directory of them;\n"
    "         the date from the file name, 2022-08-08_sanctioned_addresses_ETH.txt, or\n"
    "         from a directory name ending in it, ofac-latest-2025-06-20/) as sanctioned\n"
    "         tags, and writes each address's listing intervals to DIR/tags/validity.tsv\n"
    "         (replacing it): listed from the first list that has it, delisted at the\n"
    "         first later list of its asset without it.  `screen --as-of D` then counts\n"
    "         a sanctioned tag only if it was listed on D.\n"
    "categories  prints the 14 categories.\n"
    "\n"
    "Addresses are checked before they are stored: Base58Check, Bech32/Bech32m,\n"
    "CashAddr, EIP-55 (mixed-case EVM), Monero checksums.  Chains: btc ltc bch bsv\n"
    "btg dash doge xvg zec trx xrp xmr and EVM eth etc bsc arb polygon avax ftm op\n"
    "base; others are rejected as \"unknown chain\".  Rejection reasons: bad checksum,\n"
    "bad address, unknown chain, missing field, unknown category, bad confidence,\n"
    "bad entry.\n"
    "Exit codes: 0 ok (also when rows were rejected), 1 error, 2 usage.\n";

static void json_tag(struct cs_json_writer *w, const struct cs_tag *t)
{
    cs_json_writer_begin_object(w);
    cs_json_writer_key(w, "chain");
    cs_json_writer_string(w, t->chain);
    cs_json_writer_key(w, "address");
    cs_json_writer_string(w, t->address);
    cs_json_writer_key(w, "label");
    cs_json_writer_string(w, t->label);
    cs_json_writer_key(w, "category");
    cs_json_writer_string(w, cs_tag_category_name(t->category));
    cs_json_writer_key(w, "confidence");
    cs_json_writer_i64(w, t->confidence);
    cs_json_writer_key(w, "source");
    cs_json_writer_string(w, t->source);
    cs_json_writer_key(w, "context");
    cs_json_writer_string(w, t->context);
    cs_json_writer_end_object(w);
}

/* label/source for a table cell: control characters shown as spaces */
static void print_cell(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

struct args {
    const char *db, *format, *chain, *category, *source, *label, *address;
    uint64_t limit; /* UINT64_MAX: no limit */
    int json;
};

/* The options of each subcommand; every one of them reads into struct args. */
#define OPT_DB(a)                                                                                  \
    CLI_STRING("db", 0, &(a)->db, "DIR",                                                           \
               "tag table directory (default $CHAINSLEUTH_DB or ./chainsleuth.db)")
#define OPT_JSON(a) CLI_FLAG("json", 0, &(a)->json, "print the result as JSON")
#define OPT_CHAIN(a, h) CLI_STRING("chain", 0, &(a)->chain, "C", h)
#define OPT_CATEGORY(a, h) CLI_STRING("category", 0, &(a)->category, "C", h)
#define OPT_SOURCE(a, h) CLI_STRING("source", 0, &(a)->source, "S", h)

static void import_opts(struct cli_opt *o, struct args *a)
{
    const struct cli_opt t[] = {
        OPT_DB(a),
        CLI_STRING("format", 0, &a->format, "F",
                   "csv, ofac-list, ofac-sdn-csv, tagpack or auto (default)"),
        OPT_CHAIN(a, "chain or currency for rows that name none"),
        OPT_CATEGORY(a, "csv: category for rows (or a file) without one"),
        OPT_SOURCE(a, "csv: source for rows (or a file) without one"),
        OPT_JSON(a),
        CLI_OPT_TABLE_END,
    };
    memcpy(o, t, sizeof t);
}

static void list_opts(struct cli_opt *o, struct args *a)
{
    const struct cli_opt t[] = {
        OPT_DB(a),
        OPT_CATEGORY(a, "only tags of this category (exact)"),
        CLI_STRING("label", 0, &a->label, "L", "only labels containing L (case-insensitive)"),
        CLI_STRING("address", 0, &a->address, "A",
                   "only tags of address A (any chain; EVM and Bech32 in any case)"),
        OPT_CHAIN(a, "only tags of chain C"),
        OPT_SOURCE(a, "only sources containing S (case-insensitive)"),
        CLI_U64("limit", 0, &a->limit, "N", 0, INT64_MAX, "print at most N tags"),
        OPT_JSON(a),
        CLI_OPT_TABLE_END,
    };
    memcpy(o, t, sizeof t);
}

static void history_opts(struct cli_opt *o, struct args *a)
{
    const struct cli_opt t[] = {OPT_DB(a), OPT_JSON(a), CLI_OPT_TABLE_END};
    memcpy(o, t, sizeof t);
}

static void categories_opts(struct cli_opt *o, struct args *a)
{
    const struct cli_opt t[] = {OPT_JSON(a), CLI_OPT_TABLE_END};
    memcpy(o, t, sizeof t);
}

#define MAX_SUB_OPTS 16

static void tags_help(FILE *f)
{
    struct args a;
    struct cli_opt o[MAX_SUB_OPTS];
    fputs(USAGE, f);
    fputs("\nimport options:\n", f);
    import_opts(o, &a);
    cli_opt_help_table(f, o);
    fputs("\nlist options:\n", f);
    list_opts(o, &a);
    cli_opt_help_table(f, o);
    fputs("\nhistory options:\n", f);
    history_opts(o, &a);
    cli_opt_help_table(f, o);
    fputs("\ncategories options:\n", f);
    categories_opts(o, &a);
    cli_opt_help_table(f, o);
}

/* Parses the options of a subcommand (argv[0] is the subcommand) with the
 * table `fill` writes.  Returns CLI_OPT_OK with the positional arguments in
 * argv[1..*npos], else the exit code. */
static int parse(int argc, char **argv, struct args *a,
                 void (*fill)(struct cli_opt *, struct args *), const char *name, int *npos)
{
    struct cli_opt o[MAX_SUB_OPTS];
    fill(o, a);
    const struct cli_cmd cmd = {name, USAGE, NULL, o, NULL, tags_help};
    return cli_opt_parse(&cmd, argc, argv, npos);
}

static int do_import(int argc, char **argv)
{
    struct args a = {.db = cli_default_db(), .limit = UINT64_MAX};
    int npos, rc = parse(argc, argv, &a, import_opts, "tags import", &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (!npos) return cli_usage("tags", "import needs a FILE");
    struct cs_tag_import_opts o = {0};
    if (a.format && (o.format = cs_tag_format_parse(a.format)) < 0)
        return cli_usage("tags", "--format must be csv, ofac-list, ofac-sdn-csv, tagpack or auto");
    if (a.category && cs_tag_category_from_concept(a.category, NULL) < 0)
        return cli_usage("tags", "'%s' is not a category (chainsleuth tags categories)",
                         a.category);
    if (a.chain && !cs_tag_chain_from_name(a.chain, NULL) &&
        !cs_tag_chain_from_name(a.chain, "0x0000000000000000000000000000000000000000"))
        return cli_usage("tags", "'%s' is not a chain or currency we support", a.chain);
    o.chain = a.chain;
    o.category = a.category;
    o.source = a.source;

    struct cs_tagdb *db;
    if ((rc = cs_tagdb_open(a.db, CS_TAGDB_WRITE, &db))) return cli_fail_err("tags", rc);
    int nfiles = npos;
    char **files = argv + 1;
    struct cs_tag_import_result *res = calloc((size_t)nfiles, sizeof *res);
    if (!res) {
        cs_tagdb_close(db);
        return cli_fail("tags", "out of memory");
    }
    int failed = 0;
    for (int i = 0; i < nfiles && !failed; i++) {
        if ((rc = cs_tagdb_import_file(db, files[i], &o, &res[i]))) {
            cli_fail_err("tags", rc);
            failed = 1;
        }
    }
    if (!failed && (rc = cs_tagdb_commit(db))) {
        cli_fail_err("tags", rc);
        failed = 1;
    }
    if (failed) {
        if (nfiles > 1) fprintf(stderr, "chainsleuth tags: nothing was saved\n");
    } else if (a.json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "db");
        cs_json_writer_string(&w, a.db);
        cs_json_writer_key(&w, "tags");
        cs_json_writer_u64(&w, cs_tagdb_count(db));
        cs_json_writer_key(&w, "files");
        cs_json_writer_begin_array(&w);
        for (int i = 0; i < nfiles; i++) {
            const struct cs_tag_import_result *r = &res[i];
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "file");
            cs_json_writer_string(&w, files[i]);
            cs_json_writer_key(&w, "format");
            cs_json_writer_string(&w, cs_tag_format_name(r->format));
            const struct {
                const char *key;
                size_t v;
            } nums[] = {{"rows", r->rows},
                        {"added", r->added},
                        {"updated", r->updated},
                        {"unchanged", r->unchanged},
                        {"rejected", r->rejected}};
            for (size_t k = 0; k < sizeof nums / sizeof nums[0]; k++) {
                cs_json_writer_key(&w, nums[k].key);
                cs_json_writer_u64(&w, nums[k].v);
            }
            cs_json_writer_key(&w, "rejects");
            cs_json_writer_begin_array(&w);
            for (size_t k = 0; k < r->nrejects; k++) {
                const struct cs_tag_reject_row *j = &r->rejects[k];
                cs_json_writer_begin_object(&w);
                cs_json_writer_key(&w, "line");
                cs_json_writer_u64(&w, j->line);
                cs_json_writer_key(&w, "address");
                cs_json_writer_string(&w, j->address);
                cs_json_writer_key(&w, "reason");
                cs_json_writer_string(&w, cs_tag_reject_name(j->reason));
                cs_json_writer_key(&w, "detail");
                cs_json_writer_string(&w, j->detail);
                cs_json_writer_end_object(&w);
            }
            cs_json_writer_end_array(&w);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        cs_json_writer_end_object(&w);
        failed = cli_json_end("tags", &w);
    } else {
        for (int i = 0; i < nfiles; i++) {
            const struct cs_tag_import_result *r = &res[i];
            const char *file = files[i];
            printf("%s: %s: added %zu, updated %zu, unchanged %zu, rejected %zu\n", file,
                   cs_tag_format_name(r->format), r->added, r->updated, r->unchanged, r->rejected);
            for (size_t k = 0; k < r->nrejects && k < SHOW_REJECTS; k++) {
                const struct cs_tag_reject_row *j = &r->rejects[k];
                fprintf(stderr, "  %s:%u: %s: %s (%s)\n", file, j->line,
                        *j->address ? j->address : "-", cs_tag_reject_name(j->reason), j->detail);
            }
            if (r->rejected > SHOW_REJECTS)
                fprintf(stderr, "  ... and %zu more rejected rows (--json lists them)\n",
                        r->rejected - SHOW_REJECTS);
        }
        printf("%zu tags in %s/tags\n", cs_tagdb_count(db), a.db);
    }
    for (int i = 0; i < nfiles; i++)
        cs_tag_import_result_free(&res[i]);
    free(res);
    cs_tagdb_close(db);
    return failed;
}

static int do_history(int argc, char **argv)
{
    struct args a = {.db = cli_default_db(), .limit = UINT64_MAX};
    int npos, rc = parse(argc, argv, &a, history_opts, "tags history", &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (!npos) return cli_usage("tags", "history needs a list file or directory");
    struct cs_tagdb *db;
    if ((rc = cs_tagdb_open(a.db, CS_TAGDB_WRITE, &db))) return cli_fail_err("tags", rc);
    struct cs_tag_history_result res;
    rc = cs_tag_history_import(db, a.db, (const char *const *)(argv + 1), (size_t)npos, &res);
    if (!rc) rc = cs_tagdb_commit(db);
    if (rc) {
        cs_tag_history_result_free(&res);
        cs_tagdb_close(db);
        return cli_fail_err("tags", rc);
    }
    char d[11];
    int ret = 0;
    if (a.json) {
        struct cs_json_writer w;
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "lists");
        cs_json_writer_begin_array(&w);
        for (size_t i = 0; i < res.n_lists; i++) {
            cs_json_writer_begin_object(&w);
            cs_json_writer_key(&w, "file");
            cs_json_writer_string(&w, res.lists[i].path);
            cs_json_writer_key(&w, "asset");
            cs_json_writer_string(&w, res.lists[i].asset);
            cs_tag_date_format(res.lists[i].day, d);
            cs_json_writer_key(&w, "date");
            cs_json_writer_string(&w, d);
            cs_json_writer_key(&w, "addresses");
            cs_json_writer_u64(&w, res.lists[i].addresses);
            cs_json_writer_end_object(&w);
        }
        cs_json_writer_end_array(&w);
        const struct {
            const char *k;
            size_t v;
        } nums[] = {{"skipped_files", res.skipped_files}, {"addresses", res.addresses},
                    {"intervals", res.intervals},         {"listed_now", res.listed_now},
                    {"delisted_now", res.delisted_now},   {"tags_added", res.imported.added},
                    {"tags_rejected", res.imported.rejected}};
        for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++) {
            cs_json_writer_key(&w, nums[i].k);
            cs_json_writer_u64(&w, nums[i].v);
        }
        cs_json_writer_end_object(&w);
        ret = cli_json_end("tags", &w);
    } else {
        for (size_t i = 0; i < res.n_lists; i++) {
            cs_tag_date_format(res.lists[i].day, d);
            printf("%s %-5s %6zu addresses  %s\n", d, res.lists[i].asset, res.lists[i].addresses,
                   res.lists[i].path);
        }
        printf("%zu lists (%zu other files skipped): %zu addresses, %zu listing intervals; "
               "%zu on their asset's newest list, %zu delisted; %zu tags added, %zu rejected\n",
               res.n_lists, res.skipped_files, res.addresses, res.intervals, res.listed_now,
               res.delisted_now, res.imported.added, res.imported.rejected);
    }
    cs_tag_history_result_free(&res);
    cs_tagdb_close(db);
    return ret;
}

static int do_list(int argc, char **argv)
{
    struct args a = {.db = cli_default_db(), .limit = UINT64_MAX};
    int npos, rc = parse(argc, argv, &a, list_opts, "tags list", &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (npos) return cli_usage("tags", "list: unexpected argument '%s'", argv[1]);
    struct cs_tag_filter f = {.category = -1};
    if (a.category && (f.category = cs_tag_category_parse(a.category)) < 0)
        return cli_usage("tags", "'%s' is not a category (chainsleuth tags categories)",
                         a.category);
    if (a.chain && !(f.chain = cs_tag_chain_from_name(a.chain, NULL)))
        return cli_usage("tags", "'%s' is not a chain we support", a.chain);
    f.label = a.label;
    f.source = a.source;
    f.address = a.address;
    struct cs_tagdb *db;
    if ((rc = cs_tagdb_open(a.db, 0, &db))) return cli_fail_err("tags", rc);
    struct cs_tag t;
    size_t cur = 0, n = 0;
    struct cs_json_writer w;
    if (a.json) {
        cli_json_begin(&w);
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "tags");
        cs_json_writer_begin_array(&w);
    }
    while ((a.limit == UINT64_MAX || n < a.limit) && cs_tagdb_find(db, &f, &cur, &t)) {
        if (a.json) {
            json_tag(&w, &t);
        } else {
            if (!n)
                printf("%-7s %-42s %-12s %4s  %s  |  %s\n", "CHAIN", "ADDRESS", "CATEGORY", "CONF",
                       "LABEL", "SOURCE");
            printf("%-7s %-42s %-12s %4d  ", t.chain, t.address, cs_tag_category_name(t.category),
                   t.confidence);
            print_cell(t.label);
            printf("  |  ");
            print_cell(t.source);
            putchar('\n');
        }
        n++;
    }
    if (a.json) {
        cs_json_writer_end_array(&w);
        cs_json_writer_key(&w, "count");
        cs_json_writer_u64(&w, n);
        cs_json_writer_end_object(&w);
        rc = cli_json_end("tags", &w);
    } else {
        fprintf(stderr, "%zu tag%s\n", n, n == 1 ? "" : "s");
    }
    cs_tagdb_close(db);
    return rc;
}

static int do_categories(int argc, char **argv)
{
    struct args a = {.limit = UINT64_MAX};
    int npos, rc = parse(argc, argv, &a, categories_opts, "tags categories", &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (npos) return cli_usage("tags", "categories: unexpected argument '%s'", argv[1]);
    if (!a.json) {
        for (int c = 0; c < CS_TAG_NCATEGORIES; c++)
            printf("%-13s %s\n", cs_tag_category_name(c), cs_tag_category_describe(c));
        return 0;
    }
    struct cs_json_writer w;
    cli_json_begin(&w);
    cs_json_writer_begin_array(&w);
    for (int c = 0; c < CS_TAG_NCATEGORIES; c++) {
        cs_json_writer_begin_object(&w);
        cs_json_writer_key(&w, "name");
        cs_json_writer_string(&w, cs_tag_category_name(c));
        cs_json_writer_key(&w, "description");
        cs_json_writer_string(&w, cs_tag_category_describe(c));
        cs_json_writer_end_object(&w);
    }
    cs_json_writer_end_array(&w);
    return cli_json_end("tags", &w);
}

int cmd_tags(int argc, char **argv)
{
    if (argc < 2) {
        tags_help(stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        tags_help(stdout);
        return 0;
    }
    if (!strcmp(sub, "import")) return do_import(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return do_list(argc - 1, argv + 1);
    if (!strcmp(sub, "history")) return do_history(argc - 1, argv + 1);
    if (!strcmp(sub, "categories")) return do_categories(argc - 1, argv + 1);
    return cli_usage("tags", "'%s' is not a tags subcommand (import, list, history, categories)",
                     sub);
}
