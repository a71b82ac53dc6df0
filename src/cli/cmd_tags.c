/* cmd_tags.c — `chainsleuth tags`: import attribution tags, list them, show
 * the category taxonomy.  The table and the importers are src/tags/tags.h. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tags/tags.h"

#define SHOW_REJECTS 20

static const char USAGE[] =
    "usage: chainsleuth tags import FILE... [--db DIR] [--format F] [--chain C]\n"
    "                                   [--category C] [--source S] [--json]\n"
    "       chainsleuth tags list [--db DIR] [--category C] [--label L] [--address A]\n"
    "                             [--chain C] [--source S] [--limit N] [--json]\n"
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
    "categories  prints the 14 categories.\n"
    "\n"
    "Addresses are checked before they are stored: Base58Check, Bech32/Bech32m,\n"
    "CashAddr, EIP-55 (mixed-case EVM), Monero checksums.  Chains: btc ltc bch bsv\n"
    "btg dash doge xvg zec trx xrp xmr and EVM eth etc bsc arb polygon avax ftm op\n"
    "base; others are rejected as \"unknown chain\".  Rejection reasons: bad checksum,\n"
    "bad address, unknown chain, missing field, unknown category, bad confidence,\n"
    "bad entry.\n"
    "Exit codes: 0 ok (also when rows were rejected), 1 error, 2 usage.\n";

static void json_tag(const struct cs_tag *t)
{
    printf("{\"chain\":");
    cli_json_str(stdout, t->chain);
    printf(",\"address\":");
    cli_json_str(stdout, t->address);
    printf(",\"label\":");
    cli_json_str(stdout, t->label);
    printf(",\"category\":\"%s\",\"confidence\":%d,\"source\":", cs_tag_category_name(t->category),
           t->confidence);
    cli_json_str(stdout, t->source);
    printf(",\"context\":");
    cli_json_str(stdout, t->context);
    putchar('}');
}

/* label/source for a table cell: control characters shown as spaces */
static void print_cell(const char *s)
{
    for (; *s; s++)
        putchar((unsigned char)*s < 0x20 ? ' ' : *s);
}

enum { O_DB = 1000, O_FORMAT, O_CHAIN, O_CATEGORY, O_SOURCE, O_LABEL, O_ADDRESS, O_LIMIT, O_JSON };

static const struct option LONGOPTS[] = {
    {"db", required_argument, 0, O_DB},
    {"format", required_argument, 0, O_FORMAT},
    {"chain", required_argument, 0, O_CHAIN},
    {"category", required_argument, 0, O_CATEGORY},
    {"source", required_argument, 0, O_SOURCE},
    {"label", required_argument, 0, O_LABEL},
    {"address", required_argument, 0, O_ADDRESS},
    {"limit", required_argument, 0, O_LIMIT},
    {"json", no_argument, 0, O_JSON},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

struct args {
    const char *db, *format, *chain, *category, *source, *label, *address;
    long limit;
    int json;
};

/* Parses options of a subcommand (argv[0] is the subcommand). Returns -1 on
 * success, else the exit code to return. */
static int parse(int argc, char **argv, struct args *a, const char *allowed)
{
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", LONGOPTS, NULL)) != -1) {
        if (c == 'h') {
            fputs(USAGE, stdout);
            return 0;
        }
        if (c == '?' || c == ':') {
            const char *bad = argv[optind - 1] ? argv[optind - 1] : "?";
            return cli_usage("tags", "%s: unknown option or missing value: %s", argv[0], bad);
        }
        if (!strchr(allowed, c - O_DB + 'a'))
            return cli_usage("tags", "%s does not take --%s", argv[0], LONGOPTS[c - O_DB].name);
        switch (c) {
        case O_DB:
            a->db = optarg;
            break;
        case O_FORMAT:
            a->format = optarg;
            break;
        case O_CHAIN:
            a->chain = optarg;
            break;
        case O_CATEGORY:
            a->category = optarg;
            break;
        case O_SOURCE:
            a->source = optarg;
            break;
        case O_LABEL:
            a->label = optarg;
            break;
        case O_ADDRESS:
            a->address = optarg;
            break;
        case O_LIMIT: {
            char *end;
            a->limit = strtol(optarg, &end, 10);
            if (*end || a->limit < 0) return cli_usage("tags", "--limit needs a number >= 0");
            break;
        }
        case O_JSON:
            a->json = 1;
            break;
        }
    }
    return -1;
}

static int do_import(int argc, char **argv)
{
    struct args a = {.db = cli_default_db(), .limit = -1};
    int rc = parse(argc, argv, &a, "abcdei"); /* db format chain category source json */
    if (rc >= 0) return rc;
    if (optind >= argc) return cli_usage("tags", "import needs a FILE");
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
    int nfiles = argc - optind;
    struct cs_tag_import_result *res = calloc((size_t)nfiles, sizeof *res);
    if (!res) {
        cs_tagdb_close(db);
        return cli_fail("tags", "out of memory");
    }
    int failed = 0;
    for (int i = 0; i < nfiles && !failed; i++) {
        if ((rc = cs_tagdb_import_file(db, argv[optind + i], &o, &res[i]))) {
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
        printf("{\"db\":");
        cli_json_str(stdout, a.db);
        printf(",\"tags\":%zu,\"files\":[", cs_tagdb_count(db));
        for (int i = 0; i < nfiles; i++) {
            const struct cs_tag_import_result *r = &res[i];
            printf("%s{\"file\":", i ? "," : "");
            cli_json_str(stdout, argv[optind + i]);
            printf(",\"format\":\"%s\",\"rows\":%zu,\"added\":%zu,\"updated\":%zu,"
                   "\"unchanged\":%zu,\"rejected\":%zu,\"rejects\":[",
                   cs_tag_format_name(r->format), r->rows, r->added, r->updated, r->unchanged,
                   r->rejected);
            for (size_t k = 0; k < r->nrejects; k++) {
                const struct cs_tag_reject_row *j = &r->rejects[k];
                printf("%s{\"line\":%u,\"address\":", k ? "," : "", j->line);
                cli_json_str(stdout, j->address);
                printf(",\"reason\":\"%s\",\"detail\":", cs_tag_reject_name(j->reason));
                cli_json_str(stdout, j->detail);
                putchar('}');
            }
            printf("]}");
        }
        printf("]}\n");
    } else {
        for (int i = 0; i < nfiles; i++) {
            const struct cs_tag_import_result *r = &res[i];
            const char *file = argv[optind + i];
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

static int do_list(int argc, char **argv)
{
    struct args a = {.db = cli_default_db(), .limit = -1};
    int rc =
        parse(argc, argv, &a, "acdefghi"); /* db chain category source label address limit json */
    if (rc >= 0) return rc;
    if (optind < argc) return cli_usage("tags", "list: unexpected argument '%s'", argv[optind]);
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
    if (a.json) printf("{\"tags\":[");
    while ((a.limit < 0 || (long)n < a.limit) && cs_tagdb_find(db, &f, &cur, &t)) {
        if (a.json) {
            if (n) putchar(',');
            json_tag(&t);
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
    if (a.json)
        printf("],\"count\":%zu}\n", n);
    else
        fprintf(stderr, "%zu tag%s\n", n, n == 1 ? "" : "s");
    cs_tagdb_close(db);
    return 0;
}

static int do_categories(int argc, char **argv)
{
    struct args a = {.limit = -1};
    int rc = parse(argc, argv, &a, "i");
    if (rc >= 0) return rc;
    if (optind < argc)
        return cli_usage("tags", "categories: unexpected argument '%s'", argv[optind]);
    if (a.json) printf("[");
    for (int c = 0; c < CS_TAG_NCATEGORIES; c++) {
        if (a.json) {
            printf("%s{\"name\":\"%s\",\"description\":", c ? "," : "", cs_tag_category_name(c));
            cli_json_str(stdout, cs_tag_category_describe(c));
            putchar('}');
        } else {
            printf("%-13s %s\n", cs_tag_category_name(c), cs_tag_category_describe(c));
        }
    }
    if (a.json) printf("]\n");
    return 0;
}

int cmd_tags(int argc, char **argv)
{
    if (argc < 2) {
        fputs(USAGE, stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "--help") || !strcmp(sub, "-h") || !strcmp(sub, "help")) {
        fputs(USAGE, stdout);
        return 0;
    }
    if (!strcmp(sub, "import")) return do_import(argc - 1, argv + 1);
    if (!strcmp(sub, "list")) return do_list(argc - 1, argv + 1);
    if (!strcmp(sub, "categories")) return do_categories(argc - 1, argv + 1);
    return cli_usage("tags", "'%s' is not a tags subcommand (import, list, categories)", sub);
}
