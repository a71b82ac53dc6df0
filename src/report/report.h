/* report.h — case reports of a trace: JSON (the machine contract), a human
 * summary, CSV, Graphviz DOT, and one self-contained HTML file.
 *
 * Invariants:
 *  - Every writer is a pure function of (store snapshot, trace result,
 *    report context): no clock, no environment, no pointer values, so the
 *    same trace gives the same bytes.  The JSON is the reference; the other
 *    forms present the same numbers.
 *  - JSON layout (compact, one line, "\n" at the end; keys in this order):
 *      policy, direction, fee_convention, conservative, seed_amount,
 *      sinks[{entity, category, amount, hops, first_tx, height, time,
 *      timestamp, outputs, txs[][, source, confidence]}] (source and
 *      confidence of the tag chosen, when the context carries the attribution
 *      and the sink is not the CoinJoin pseudo-entity),
 *      frontier[{address, outpoint, amount, reason, hops, height, time,
 *      timestamp[, ranges]}],
 *      fees, dropped, txs_visited, tip{height, hash, time, timestamp},
 *      seeds[{outpoint, address, amount, height, time, timestamp}],
 *      per_hop[{hop, txs, amount_in, to_sinks, to_frontier, fees, dropped}],
 *      attribution{mode, tags_used, note}, parameters{...as given by the caller}
 *    Amounts are integer satoshi (base units); txids are in the usual
 *    (reversed) hex.  Every block-bound record carries its block's height,
 *    "time" (UTC ISO 8601, "2025-01-01T19:46:32Z", util/timefmt.h) and
 *    "timestamp" (the header's nTime, seconds since 1970): a sink's are
 *    those of its first_tx (null when it has none), a frontier output's and
 *    a seed's those of the transaction that created it, the tip's its own.
 *    "ranges" ([[offset, amount], ...], tainted satoshi positions) appears
 *    for the ordered policies on frontier outputs that are only partly
 *    tainted.  Order: as in the trace result (sinks by amount descending then
 *    name, frontier by amount descending then output id).
 *  - The HTML file embeds everything (CSS inline, the flow graph as inline
 *    SVG, the JSON as text) and loads no external resource; it states the
 *    SHA-256 of the JSON bytes so the result can be re-checked by rerunning
 *    the command with --json.
 *  - Sizes: JSON and CSV list every sink transaction and frontier output;
 *    the DOT graph shows at most CS_REPORT_GRAPH_NODES transaction nodes and
 *    collapses fan-outs above CS_REPORT_FANOUT (64 at the seed) into "N more"
 *    nodes; the HTML tables list at most CS_REPORT_HTML_ROWS rows each (the JSON has all). */
#ifndef CS_REPORT_REPORT_H
#define CS_REPORT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "btc/store.h"
#include "trace/trace.h"
#include "util/amount.h"
#include "util/error.h"
#include "util/json.h"
#include "util/timefmt.h"

#define CS_REPORT_GRAPH_NODES 300
#define CS_REPORT_FANOUT 8
#define CS_REPORT_HTML_ROWS 1000
#define CS_REPORT_SVG_MAX ((size_t)64 << 20) /* larger `dot` output is refused */

struct cs_report_ctx {
    const struct cs_store *s;
    const struct cs_trace_result *r;
    const char *parameters_json;  /* a JSON object with every option (required) */
    const char *attribution_mode; /* "cluster", "address", "none" */
    const char *attribution_note; /* one sentence, may be NULL */
    size_t tags_used;
    const struct cs_asset *asset; /* what amounts are in; NULL: cs_btc_asset() (a store
                                     holds one chain today) */
    const struct cs_attrib *attrib; /* the attribution the trace used (sink entity numbers
                                       index it): adds each sink's tag source and confidence;
                                       NULL: not shown */
    int unit_base; /* text, DOT and HTML amounts as integer base units (--unit base) */
    /* HTML case report header (each may be NULL: "not given" / omitted).  The
     * writer reads no clock: the caller passes the generation time. */
    const char *case_id, *case_title, *investigator;
    const char *generated;    /* UTC ISO 8601 time the report was made */
    const char *tool_version; /* "0.1.0" */
    const char *git_commit;   /* "1a2b3c4d5e6f" */
    /* The investigator's name of the cluster of address id addr ("" or NULL:
     * none), shown beside frontier addresses in text and HTML and as
     * "cluster_name" in JSON frontier rows that have one.  NULL: no names. */
    const char *(*cluster_name)(void *ctx, uint64_t addr, int64_t *cid);
    void *names_ctx;
};
/* The unit text amounts are shown in: the asset's symbol, or its base unit
 * with c->unit_base ("base" when it has no name). */
const char *cs_report_unit(const struct cs_report_ctx *c);
/* The tag behind sink k (NULL for the CoinJoin pseudo-entity or without c->attrib). */
const struct cs_attrib_entity *cs_report_sink_tag(const struct cs_report_ctx *c,
                                                  const struct cs_trace_sink *k);

/* The JSON result.  *out is malloc'd, NUL-terminated, ends with "\n"; the
 * caller frees it.  Returns 0, CS_EFORMAT (parameters_json is not a JSON
 * object) or CS_ENOMEM.  Cost: O(size of the result) plus one O(log txs)
 * search per frontier item and seed (their creating tx). */
int cs_report_json(const struct cs_report_ctx *c, char **out, size_t *len) CS_MUST_CHECK;

/* Human summary: header, one row per sink with its share of the seed, the
 * frontier (largest first, at most `rows` listed), fees, dropped, counts.
 * Returns 0 or CS_EIO. */
int cs_report_text(FILE *f, const struct cs_report_ctx *c, size_t rows) CS_MUST_CHECK;

/* CSV, RFC 4180 quoting: header
 *   kind,entity,category,address,outpoint,amount,hops,reason,first_tx
 * then one row per sink (kind "sink") and per frontier output (kind
 * "frontier").  Returns 0 or CS_EIO. */
int cs_report_csv(FILE *f, const struct cs_report_ctx *c) CS_MUST_CHECK;

/* Graphviz DOT of the flow (needs the trace run with graph_max_edges > 0):
 * left to right, one rank per hop, value flowing along the arrows (also for
 * backward traces), sinks coloured by category, fan-outs above
 * CS_REPORT_FANOUT collapsed.  *out malloc'd.  Returns 0 or CS_ENOMEM.
 * Cost: O(edges log edges). */
int cs_report_dot(const struct cs_report_ctx *c, char **out, size_t *len) CS_MUST_CHECK;

/* Runs Graphviz `dot -Tsvg` (found on PATH) on the DOT text and returns the
 * <svg> element (XML prolog and DOCTYPE stripped) in a malloc'd buffer.
 * Returns 0; CS_ENOTFOUND when `dot` is not installed; CS_EIO when it fails,
 * its output is not SVG or it runs longer than the timeout (it is then
 * killed); CS_ERANGE above CS_REPORT_SVG_MAX.  The child is always reaped.
 * No process-wide side effects: no signal handlers are changed (SIGPIPE is
 * blocked in the calling thread only, for the duration of the call), and
 * no descriptor of the caller leaks into dot (pipes are O_CLOEXEC).
 * cs_report_svg's timeout is CS_REPORT_DOT_TIMEOUT_MS, or the environment's
 * CHAINSLEUTH_DOT_TIMEOUT in seconds; timeout_ms <= 0 means the default. */
#define CS_REPORT_DOT_TIMEOUT_MS 60000
int cs_report_svg(const char *dot, size_t dot_len, char **svg, size_t *svg_len) CS_MUST_CHECK;
int cs_report_svg_timeout(const char *dot, size_t dot_len, int timeout_ms, char **svg,
                          size_t *svg_len) CS_MUST_CHECK;

/* The self-contained HTML case report.  json/json_len: the exact bytes of
 * cs_report_json (their SHA-256 is printed); svg may be NULL, in which case
 * svg_note (e.g. "Graphviz dot is not installed") is shown instead of the
 * graph; command_line (may be NULL) is shown so the trace can be rerun (the
 * caller gives the --json form, with --db, whose output has that SHA-256).
 * Layout, in order:
 *  - a title page: case title, case id, investigator, generation time (UTC),
 *    tool version and git commit, chain tip (height, hash, UTC time), seed,
 *    policy, the JSON's SHA-256 (a page break follows it in print);
 *  - a plain-language summary paragraph (what left or fed the seed, where it
 *    went or came from, what is still held), then the summary table;
 *  - the entities table, each row pointing at its exhibit;
 *  - the flow graph, per-hop and frontier tables, seed, parameters, the
 *    rerunnable command;
 *  - numbered exhibits: "Exhibit N: ENTITY", its transactions as a numbered
 *    list (txid, height, UTC time), one per line, wrapping inside the page;
 *  - the embedded JSON and a footer citing docs/METHODS.md.
 * Print: a stylesheet for paper (margins that fit both A4 and Letter, no
 * forced page size; title page alone on page 1; headings kept with their
 * tables; long hashes break instead of overflowing).
 * Returns 0 or CS_EIO. */
int cs_report_html(FILE *f, const struct cs_report_ctx *c, const char *json, size_t json_len,
                   const char *svg, size_t svg_len, const char *svg_note,
                   const char *command_line) CS_MUST_CHECK;

/* The asset of c's amounts: c->asset, else the store chain's native asset. */
const struct cs_asset *cs_report_asset(const struct cs_report_ctx *c);
/* amount (base units) in whole units with every decimal, through the one
 * formatter cs_amount_format_u64: "12.34567890"; with unit != 0 the symbol
 * follows: "12.34567890 BTC".  With c->unit_base the base-unit count
 * instead: "1234567890", "1234567890 sat".  Returns buf. */
const char *cs_report_amount(const struct cs_report_ctx *c, uint64_t amount, int unit,
                             char buf[CS_AMOUNT_STR_MAX]);
/* The "share" column of the text and HTML reports: part of the seed, in
 * percent, floored to two decimals ("40.00%"; "-" for an empty seed).
 *  - Conservative policies (haircut, FIFO, LIFO, TIHO): part / seed_amount.
 *    Sinks, frontier, fees and dropped add up to 100% (less the flooring).
 *  - Poison is not conservative: a sink's amount is the whole value of the
 *    entity's outputs the poison touched (forward: paid to it; backward: the
 *    outputs it funded the path with), which can be many times the seed.
 *    What the target's own value can owe to that entity is at most
 *    min(amount, seed_amount) under any conservative split, so for poison
 *    the column is min(part, seed) / seed: an upper bound, at most 100%,
 *    titled "max share" (cs_report_share_title).  The amount column keeps
 *    the touched value.  Rows of a poison report do not add up to 100%.
 * Worked example (METHODS.md): target output 590 sat, backward poison, its
 * inputs 300 and 700 sat: max shares 50.84% and 100.00%. */
const char *cs_report_share(const struct cs_report_ctx *c, uint64_t part, char buf[16]);
/* "share" or, for poison, "max share". Static. */
const char *cs_report_share_title(const struct cs_report_ctx *c);
/* nTime of the block at height (which must exist), from its stored header. */
uint32_t cs_report_block_time(const struct cs_store *s, uint64_t height);
/* cs_time_iso of that block's time; returns buf. */
const char *cs_report_height_time(const struct cs_store *s, uint64_t height,
                                  char buf[CS_TIME_ISO_MAX]);
/* Writes the two members "time": ISO string, "timestamp": t into the open
 * object of w (the convention of every --json document for a block time). */
void cs_report_json_time(struct cs_json_writer *w, uint32_t t);
/* "txid:vout" of output id out into buf (80 bytes); returns buf. */
const char *cs_report_outpoint(const struct cs_store *s, uint64_t out, char buf[80]);

/* The case reports' stylesheet (screen and print), and HTML escaping of a
 * NUL-terminated string, for the other report writers. */
const char *cs_report_css(void);
void cs_report_html_escape(FILE *f, const char *s);

#endif
