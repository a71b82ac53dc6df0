/* report_html.c — the self-contained HTML case report, and the call to
 * Graphviz that turns the DOT flow graph into inline SVG.
 *
 * The page is meant to be mailed to an exchange's compliance desk: no
 * scripts, no external fonts, styles or images, nothing fetched.  Every
 * number comes from the trace result; the JSON itself is embedded (HTML
 * escaped, so copying it out of the page gives the exact bytes) together
 * with its SHA-256. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"
#include "tags/tags.h"
#include "util/codec.h"
#include "util/hash.h"
#include "util/json.h"
#include "util/timefmt.h"

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CHAINSLEUTH_DOT_TIMEOUT (seconds, decimals allowed) or the default */
static int default_timeout_ms(void)
{
    const char *e = getenv("CHAINSLEUTH_DOT_TIMEOUT");
    if (e && *e) {
        char *end;
        double v = strtod(e, &end);
        if (*end == 0 && v > 0 && v < 86400) return (int)(v * 1000 + 0.5);
    }
    return CS_REPORT_DOT_TIMEOUT_MS;
}

int cs_report_svg(const char *dot, size_t dot_len, char **svg, size_t *svg_len)
{
    return cs_report_svg_timeout(dot, dot_len, default_timeout_ms(), svg, svg_len);
}

/* Library code must not change process-wide state: instead of ignoring
 * SIGPIPE for the whole process, it is blocked in this thread only while we
 * write to dot; a SIGPIPE raised by our own write (dot exited early) is
 * consumed with sigtimedwait before the old mask comes back, unless one was
 * already pending before we started (that one belongs to the caller). */
int cs_report_svg_timeout(const char *dot, size_t dot_len, int timeout_ms, char **svg,
                          size_t *svg_len)
{
    *svg = NULL;
    *svg_len = 0;
    if (timeout_ms <= 0) timeout_ms = CS_REPORT_DOT_TIMEOUT_MS;
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC)) return cs_error(CS_EIO, "report: pipe: %s", strerror(errno));
    if (pipe2(out, O_CLOEXEC)) {
        close(in[0]);
        close(in[1]);
        return cs_error(CS_EIO, "report: pipe: %s", strerror(errno));
    }
    /* the child gets only stdin/stdout from us: dup2 clears O_CLOEXEC on
     * 0 and 1, every other descriptor of ours closes on exec */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    char *argv[] = {"dot", "-Tsvg", NULL};
    pid_t pid;
    int e = posix_spawnp(&pid, "dot", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (e) {
        close(in[1]);
        close(out[0]);
        return cs_error(e == ENOENT ? CS_ENOTFOUND : CS_EIO,
                        "Graphviz `dot` could not be run (%s); install graphviz for the flow graph",
                        strerror(e));
    }
    sigset_t pipe_set, old_mask, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
    sigpending(&pending);
    int pipe_was_pending = sigismember(&pending, SIGPIPE);

    /* Write the DOT and read the SVG at the same time (poll), so neither
     * side can block the other, and give up at the deadline. */
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
    size_t off = 0, cap = 1 << 16, n = 0;
    char *buf = cs_xmalloc(cap);
    int rc = 0, timed_out = 0, wfd = in[1];
    if (dot_len == 0) {
        close(wfd);
        wfd = -1;
    }
    double deadline = now_ms() + timeout_ms;
    for (;;) {
        double left = deadline - now_ms();
        if (left <= 0) {
            timed_out = 1;
            break;
        }
        struct pollfd pf[2] = {{out[0], POLLIN, 0}, {wfd, POLLOUT, 0}};
        int k = poll(pf, wfd >= 0 ? 2 : 1, (int)left + 1);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            rc = cs_error(CS_EIO, "report: poll on dot's pipes: %s", strerror(errno));
            break;
        }
        if (wfd >= 0 && pf[1].revents) {
            ssize_t w = write(wfd, dot + off, dot_len - off);
            if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            } else if (w < 0) {
                /* EPIPE: dot exited without reading everything; its exit
                 * status says why */
                if (errno != EPIPE)
                    rc = cs_error(CS_EIO, "report: writing to dot failed: %s", strerror(errno));
                close(wfd);
                wfd = -1;
            } else {
                off += (size_t)w;
                if (off == dot_len) {
                    close(wfd);
                    wfd = -1;
                }
            }
            if (rc) break;
        }
        if (pf[0].revents) {
            if (n + 1 >= cap) {
                if (cap >= CS_REPORT_SVG_MAX) {
                    rc = cs_error(CS_ERANGE, "report: dot produced more than %zu bytes",
                                  (size_t)CS_REPORT_SVG_MAX);
                    break;
                }
                cap *= 2;
                buf = cs_xrealloc(buf, cap);
            }
            ssize_t r = read(out[0], buf + n, cap - n - 1);
            if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
            if (r < 0) {
                rc = cs_error(CS_EIO, "report: reading from dot failed: %s", strerror(errno));
                break;
            }
            if (r == 0) break; /* dot closed its output */
            n += (size_t)r;
        }
    }
    if (wfd >= 0) close(wfd);
    close(out[0]);
    if (timed_out || rc) kill(pid, SIGKILL);
    /* always reap: dot has closed its stdout or was just killed, so this
     * returns promptly; a dot that closes stdout and keeps running is
     * bounded by the same deadline */
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, timed_out || rc ? 0 : WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) break;
        if (now_ms() >= deadline) {
            timed_out = 1;
            kill(pid, SIGKILL);
            continue;
        }
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!pipe_was_pending) {
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    buf[n] = 0;
    if (timed_out) {
        free(buf);
        return cs_error(CS_EIO,
                        "Graphviz dot did not finish within %.1f s and was killed (a larger "
                        "limit: CHAINSLEUTH_DOT_TIMEOUT=SECONDS)",
                        timeout_ms / 1000.0);
    }
    if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
        rc = cs_error(WIFEXITED(status) && WEXITSTATUS(status) == 127 ? CS_ENOTFOUND : CS_EIO,
                      "Graphviz dot failed (%s %d)", WIFEXITED(status) ? "exit status" : "signal",
                      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    char *start = rc ? NULL : strstr(buf, "<svg");
    if (!rc && !start) rc = cs_error(CS_EIO, "report: dot did not produce SVG");
    if (rc) {
        free(buf);
        return rc;
    }
    size_t len = n - (size_t)(start - buf);
    memmove(buf, start, len + 1);
    *svg = buf;
    *svg_len = len;
    return 0;
}

static void esc(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '&':
            fputs("&amp;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            fputc(s[i], f);
            break;
        }
    }
}

static void escs(FILE *f, const char *s)
{
    esc(f, s, strlen(s));
}

static const char *category_name(int cat)
{
    const char *n = cs_tag_category_name(cat);
    return n ? n : "unknown";
}

static void param_rows(FILE *f, const char *params)
{
    struct cs_json_doc doc = {0};
    if (cs_json_parse(&doc, params, strlen(params), NULL) || doc.root->type != CS_JSON_OBJECT) {
        cs_json_doc_free(&doc);
        return;
    }
    for (size_t i = 0; i < doc.root->len; i++) {
        const struct cs_json_member *m = &doc.root->u.members[i];
        fputs("<tr><th>", f);
        escs(f, m->key);
        fputs("</th><td>", f);
        struct cs_json_writer w;
        cs_json_writer_init_buf(&w, 0);
        cs_json_writer_node(&w, &m->value);
        char *t;
        size_t n;
        if (!cs_json_writer_finish(&w, &t, &n)) {
            if (m->value.type == CS_JSON_STRING)
                escs(f, m->value.u.str);
            else
                esc(f, t, n);
            free(t);
        }
        fputs("</td></tr>\n", f);
    }
    cs_json_doc_free(&doc);
}

static const char css[] =
    "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2em auto;"
    "max-width:1200px;color:#212529;line-height:1.4}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:2em;"
    "border-bottom:1px solid #dee2e6;padding-bottom:.2em}"
    "table{border-collapse:collapse;margin:.5em 0;font-size:.9em}"
    "th,td{border:1px solid #dee2e6;padding:.25em .6em;text-align:left;vertical-align:top}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
    "th{background:#f1f3f5}code,.mono{font-family:SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:.85em;word-break:break-all}"
    ".cat-exchange{background:#cfe2ff}.cat-mixer{background:#ffe0b3}"
    ".cat-bridge{background:#e5d4ff}.cat-sanctioned{background:#ffc9c9}"
    ".note{color:#6c757d;font-size:.9em}.graph{overflow:auto;border:1px solid #dee2e6;"
    "padding:.5em}.graph svg{max-width:none}pre{white-space:pre-wrap;word-break:break-all;"
    "font-size:.75em;background:#f8f9fa;padding:.5em}.hash{font-size:1.05em;font-weight:600}"
    ".title-page h1{font-size:2em}.title-page table th{width:12em}"
    ".summary{font-size:1.05em;max-width:60em}"
    "ol.txs{font-family:SFMono-Regular,Menlo,Consolas,monospace;font-size:.8em;padding-left:4em}"
    "ol.txs li{word-break:break-all;margin:.1em 0}ol.txs .when{color:#6c757d;margin-left:1em;"
    "word-break:normal;white-space:nowrap}"
    "pre.cmd{font-size:.85em;white-space:pre-wrap;word-break:break-all}"
    "footer{margin-top:3em;border-top:1px solid #dee2e6;padding-top:.5em}"
    /* paper: no forced size, so the same margins fit A4 (210 mm) and Letter
     * (216 mm); the title page is page 1 alone */
    "@page{margin:16mm 14mm}"
    "@media print{body{max-width:none;margin:0;font-size:10pt;color:#000}"
    ".title-page{break-after:page;page-break-after:always}"
    "h2,h3{break-after:avoid;page-break-after:avoid}tr,li{break-inside:avoid;"
    "page-break-inside:avoid}.graph{overflow:visible;border:0}.graph svg{max-width:100%;"
    "height:auto}details.json{display:none}.noprint{display:none}"
    "a{color:#000;text-decoration:none}table{width:100%}}";

const char *cs_report_css(void)
{
    return css;
}

void cs_report_html_escape(FILE *f, const char *s)
{
    escs(f, s);
}

int cs_report_html(FILE *f, const struct cs_report_ctx *c, const char *json, size_t json_len,
                   const char *svg, size_t svg_len, const char *svg_note, const char *command_line)
{
    const struct cs_trace_result *r = c->r;
    const struct cs_store *s = c->s;
    char b[CS_AMOUNT_STR_MAX], p[16], op[80], addr[96], id[65];
    const char *sym = cs_report_unit(c);
    uint8_t digest[32];
    char hex[65];
    cs_sha256(json, json_len, digest);
    cs_hex(hex, digest, 32);
    int64_t h = cs_store_height(s);
    char tip[65] = "-", tipt[CS_TIME_ISO_MAX] = "-", t1[CS_TIME_ISO_MAX];
    if (h >= 0) {
        cs_hex_rev(tip, cs_store_block(s, (uint64_t)h)->hash);
        cs_report_height_time(s, (uint64_t)h, tipt);
    }

    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<title>",
          f);
    escs(f, c->case_title && *c->case_title ? c->case_title : "chainsleuth trace report");
    fprintf(f, "</title>\n<style>%s</style></head><body>\n", css);

    /* title page */
    fputs("<section class=\"title-page\">\n<p class=\"note\">chainsleuth case report</p>\n<h1>", f);
    escs(f, c->case_title && *c->case_title ? c->case_title : "Trace report");
    fprintf(f, "</h1>\n<p>%s</p>\n<table>\n",
            r->backward ? "Where the funds came from (backward trace)"
                        : "Where the funds went (forward trace)");
    const struct {
        const char *k, *v;
    } hdr[] = {{"Case ID", c->case_id},
               {"Investigator", c->investigator},
               {"Generated (UTC)", c->generated}};
    for (size_t i = 0; i < sizeof hdr / sizeof hdr[0]; i++) {
        fprintf(f, "<tr><th>%s</th><td>", hdr[i].k);
        escs(f, hdr[i].v && *hdr[i].v ? hdr[i].v : "not given");
        fputs("</td></tr>\n", f);
    }
    fputs("<tr><th>Tool</th><td>chainsleuth ", f);
    escs(f, c->tool_version ? c->tool_version : "?");
    fputs(", git commit <code>", f);
    escs(f, c->git_commit ? c->git_commit : "unknown");
    fputs("</code></td></tr>\n", f);
    fprintf(f,
            "<tr><th>Chain</th><td>Bitcoin, tip height %lld, mined %s<br><code>%s</code></td>"
            "</tr>\n",
            (long long)h, tipt, tip);
    fprintf(f, "<tr><th>Seed</th><td>%s in %zu output%s</td></tr>\n",
            cs_report_amount(c, r->seed_amount, 1, b), r->n_seeds, r->n_seeds == 1 ? "" : "s");
    fprintf(f, "<tr><th>Method</th><td>%s policy, %s, fees %s (docs/METHODS.md)</td></tr>\n",
            cs_policy_name(r->policy), r->backward ? "backward" : "forward",
            cs_feeconv_name(r->feeconv));
    fprintf(f, "<tr><th>Result SHA-256</th><td><code>%s</code></td></tr>\n</table>\n", hex);
    fprintf(f,
            "<p class=\"note\">Produced by chainsleuth from its own copy of the Bitcoin chain. "
            "Times are UTC (ISO 8601). Amounts are exact counts of the smallest unit (%s), "
            "shown in %s. Anyone can re-check the result: run the command in the section "
            "&ldquo;Rerun&rdquo; on a store holding the same chain and compare the SHA-256 of "
            "its output with the one above.</p>\n</section>\n",
            cs_report_asset(c)->base_unit, sym);

    /* the plain-language summary */
    {
        uint64_t held = 0, cut = 0, to_sinks = 0;
        size_t n_held = 0;
        for (size_t i = 0; i < r->n_frontier; i++) {
            if (r->frontier[i].reason == CS_TRACE_UNSPENT) {
                held += r->frontier[i].amount;
                n_held++;
            } else {
                cut += r->frontier[i].amount;
            }
        }
        for (size_t i = 0; i < r->n_sinks; i++)
            to_sinks += r->sinks[i].amount;
        char b2[CS_AMOUNT_STR_MAX], when[CS_TIME_ISO_MAX] = "-";
        if (r->n_seeds) {
            uint32_t sh = cs_store_tx(s, cs_store_out_tx(s, r->seeds[0].out))->height;
            cs_report_height_time(s, sh, when);
        }
        fputs("<h2>Summary</h2>\n<p class=\"summary\">", f);
        if (!r->backward)
            fprintf(f, "The seed is %s in %zu output%s (the earliest created %s). Followed "
                       "forward through %zu hop%s and %llu transactions under the %s policy, ",
                    cs_report_amount(c, r->seed_amount, 1, b), r->n_seeds,
                    r->n_seeds == 1 ? "" : "s", when, r->n_hops ? r->n_hops - 1 : 0,
                    r->n_hops == 2 ? "" : "s", (unsigned long long)r->txs_visited,
                    cs_policy_name(r->policy));
        else
            fprintf(f, "The target is %s in %zu output%s (the earliest created %s). Followed "
                       "backward through %zu hop%s and %llu transactions under the %s policy, ",
                    cs_report_amount(c, r->seed_amount, 1, b), r->n_seeds,
                    r->n_seeds == 1 ? "" : "s", when, r->n_hops ? r->n_hops - 1 : 0,
                    r->n_hops == 2 ? "" : "s", (unsigned long long)r->txs_visited,
                    cs_policy_name(r->policy));
        if (r->n_sinks) {
            fprintf(f, "%s (%s) %s %zu known entit%s: ", cs_report_amount(c, to_sinks, 1, b),
                    cs_report_share(c, to_sinks, p), r->backward ? "came from" : "reached",
                    r->n_sinks, r->n_sinks == 1 ? "y" : "ies");
            size_t show = r->n_sinks < 5 ? r->n_sinks : 5;
            for (size_t i = 0; i < show; i++) {
                escs(f, r->sinks[i].label);
                fprintf(f, " (%s, %s)%s", category_name(r->sinks[i].category),
                        cs_report_amount(c, r->sinks[i].amount, 1, b2),
                        i + 1 < show ? "; " : "");
            }
            if (r->n_sinks > show) fprintf(f, "; and %zu more", r->n_sinks - show);
            fputs(". ", f);
        } else {
            fprintf(f, "no known entity was %s. ", r->backward ? "found as a source" : "reached");
        }
        if (!r->backward)
            fprintf(f, "%s (%s) is still held in %zu unspent output%s. ",
                    cs_report_amount(c, held, 1, b), cs_report_share(c, held, p), n_held,
                    n_held == 1 ? "" : "s");
        else if (held)
            fprintf(f, "%s (%s) traces back to outputs still unspent. ",
                    cs_report_amount(c, held, 1, b), cs_report_share(c, held, p));
        if (cut)
            fprintf(f, "%s was not followed further (%s). ", cs_report_amount(c, cut, 1, b),
                    r->backward ? "newly mined coins, or the hop or height limit"
                                : "the hop or height limit");
        if (r->fees) fprintf(f, "%s was paid as miners' fees. ", cs_report_amount(c, r->fees, 1, b));
        if (r->dropped)
            fprintf(f, "%s was dropped below the minimum amount. ",
                    cs_report_amount(c, r->dropped, 1, b));
        if (!r->conservative)
            fputs("Poison counts every touched output in full, so these amounts overlap and "
                  "can exceed the seed; the shares are upper bounds. ",
                  f);
        fputs("Each entity's transactions are listed as numbered exhibits at the end.</p>\n", f);
    }

    /* summary table */
    fputs("<table>\n", f);
    fprintf(f, "<tr><th>Policy</th><td>%s (%s)%s</td></tr>\n", cs_policy_name(r->policy),
            cs_feeconv_name(r->feeconv),
            r->conservative ? ""
                            : " &mdash; poison is not conservative: every output touched by "
                              "taint counts in full, so totals can exceed the seed; each share shown is the "
                              "upper bound min(amount, seed) / seed");
    fprintf(f, "<tr><th>Seed</th><td class=\"n\">%s in %zu output%s</td></tr>\n",
            cs_report_amount(c, r->seed_amount, 1, b), r->n_seeds, r->n_seeds == 1 ? "" : "s");
    uint64_t cat_amount[CS_TAG_NCATEGORIES] = {0};
    for (size_t i = 0; i < r->n_sinks; i++)
        if (r->sinks[i].category >= 0 && r->sinks[i].category < CS_TAG_NCATEGORIES)
            cat_amount[r->sinks[i].category] += r->sinks[i].amount;
    for (int k = 0; k < CS_TAG_NCATEGORIES; k++)
        if (cat_amount[k])
            fprintf(f, "<tr class=\"cat-%s\"><th>%s %s</th><td class=\"n\">%s (%s)</td></tr>\n",
                    category_name(k), r->backward ? "Came from" : "Reached", category_name(k),
                    cs_report_amount(c, cat_amount[k], 1, b),
                    cs_report_share(c, cat_amount[k], p));
    uint64_t unspent = 0, other = 0;
    for (size_t i = 0; i < r->n_frontier; i++) {
        if (r->frontier[i].reason == CS_TRACE_UNSPENT)
            unspent += r->frontier[i].amount;
        else
            other += r->frontier[i].amount;
    }
    if (!r->backward)
        fprintf(f, "<tr><th>Unspent (still held)</th><td class=\"n\">%s (%s)</td></tr>\n",
                cs_report_amount(c, unspent, 1, b), cs_report_share(c, unspent, p));
    fprintf(f, "<tr><th>%s</th><td class=\"n\">%s (%s)</td></tr>\n",
            r->backward ? "Not followed further (coinbase, hop or height limit)"
                        : "Not followed further (hop or height limit)",
            cs_report_amount(c, other, 1, b), cs_report_share(c, other, p));
    fprintf(f, "<tr><th>Paid as fees (not followed)</th><td class=\"n\">%s (%s)</td></tr>\n",
            cs_report_amount(c, r->fees, 1, b), cs_report_share(c, r->fees, p));
    fprintf(f, "<tr><th>Dropped (below the minimum)</th><td class=\"n\">%s (%s)</td></tr>\n",
            cs_report_amount(c, r->dropped, 1, b), cs_report_share(c, r->dropped, p));
    fprintf(f, "<tr><th>Transactions examined</th><td class=\"n\">%llu</td></tr>\n",
            (unsigned long long)r->txs_visited);
    fputs("<tr><th>Attribution</th><td>", f);
    escs(f, c->attribution_mode ? c->attribution_mode : "none");
    fprintf(f, " (%zu tags used)", c->tags_used);
    if (c->attribution_note && *c->attribution_note) {
        fputs(": ", f);
        escs(f, c->attribution_note);
    }
    fputs("</td></tr>\n</table>\n", f);

    /* sinks */
    fprintf(f, "<h2>%s</h2>\n", r->backward ? "Entities the funds came from" : "Entities reached");
    if (!r->n_sinks) {
        fputs("<p>No attributed entity was reached.</p>\n", f);
    } else {
        fprintf(f,
                "<table><tr><th>Entity</th><th>Category</th><th>Amount (%s)</th><th>%s</th>"
                "<th>First hop</th><th>%s (UTC)</th><th>Outputs</th><th>Transactions</th></tr>\n",
                sym, r->conservative ? "Share" : "Max share", r->backward ? "Latest" : "First");
        for (size_t i = 0; i < r->n_sinks; i++) {
            const struct cs_trace_sink *k = &r->sinks[i];
            fprintf(f, "<tr class=\"cat-%s\"><td>", category_name(k->category));
            escs(f, k->label);
            const struct cs_attrib_entity *tag = cs_report_sink_tag(c, k);
            if (tag) {
                fprintf(f, "<br><span class=\"note\">tag confidence %d, source ", tag->confidence);
                escs(f, tag->source && *tag->source ? tag->source : "-");
                fputs("</span>", f);
            }
            fprintf(f,
                    "</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
                    "class=\"n\">%u</td><td class=\"n\">%s</td><td class=\"n\">%llu</td><td>",
                    category_name(k->category), cs_report_amount(c, k->amount, 0, b),
                    cs_report_share(c, k->amount, p), k->hops,
                    k->first_tx == CS_NONE64
                        ? "-"
                        : cs_report_height_time(s, cs_store_tx(s, k->first_tx)->height, t1),
                    (unsigned long long)k->outputs);
            fprintf(f, "<a href=\"#exhibit-%zu\">Exhibit %zu</a>: %zu transaction%s", i + 1,
                    i + 1, k->n_txs, k->n_txs == 1 ? "" : "s");
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }

    /* graph */
    fputs("<h2>Flow graph</h2>\n", f);
    if (svg) {
        fprintf(f,
                "<p class=\"note\">Left to right, one column per hop; arrows follow the "
                "money. Large fan-outs are folded into &ldquo;N more&rdquo; nodes and at most "
                "%d transactions are drawn; the tables below are complete.</p>\n"
                "<div class=\"graph\">\n",
                CS_REPORT_GRAPH_NODES);
        fwrite(svg, 1, svg_len, f);
        fputs("\n</div>\n", f);
    } else {
        fputs("<p class=\"note\">No flow graph: ", f);
        escs(f, svg_note ? svg_note : "not available");
        fputs("</p>\n", f);
    }

    /* per hop */
    fprintf(f,
            "<h2>Per hop</h2>\n<table><tr><th>Hop</th><th>Transactions</th><th>Tainted in "
            "(%s)</th><th>To entities</th><th>Left on frontier</th><th>Fees</th><th>Dropped</th>"
            "</tr>\n",
            sym);
    for (size_t i = 0; i < r->n_hops && i < CS_REPORT_HTML_ROWS; i++) {
        const struct cs_trace_hop *hp = &r->hops[i];
        char b2[CS_AMOUNT_STR_MAX], b3[CS_AMOUNT_STR_MAX], b4[CS_AMOUNT_STR_MAX],
            b5[CS_AMOUNT_STR_MAX];
        fprintf(f,
                "<tr><td class=\"n\">%zu</td><td class=\"n\">%llu</td><td class=\"n\">%s</td>"
                "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td "
                "class=\"n\">%s</td></tr>\n",
                i, (unsigned long long)hp->txs, cs_report_amount(c, hp->amount_in, 0, b),
                cs_report_amount(c, hp->to_sinks, 0, b2),
                cs_report_amount(c, hp->to_frontier, 0, b3), cs_report_amount(c, hp->fees, 0, b4),
                cs_report_amount(c, hp->dropped, 0, b5));
    }
    fputs("</table>\n", f);

    /* frontier */
    fprintf(f, "<h2>%s (%zu outputs)</h2>\n",
            r->backward ? "Origins and open ends" : "Where the rest sits", r->n_frontier);
    if (r->n_frontier) {
        fprintf(f,
                "<table><tr><th>Address</th><th>Outpoint</th><th>Amount (%s)</th><th>Reason</th>"
                "<th>Hops</th><th>Height</th><th>Created (UTC)</th></tr>\n",
                sym);
        for (size_t i = 0; i < r->n_frontier && i < CS_REPORT_HTML_ROWS; i++) {
            const struct cs_trace_front *fr = &r->frontier[i];
            uint32_t ht = cs_store_tx(s, cs_store_out_tx(s, fr->out))->height;
            cs_addr_format(cs_store_addr(s, cs_store_out(s, fr->out)->addr), cs_store_net(s), addr);
            fputs("<tr><td class=\"mono\">", f);
            escs(f, addr);
            int64_t cid = -1;
            const char *nm = c->cluster_name
                                 ? c->cluster_name(c->names_ctx, cs_store_out(s, fr->out)->addr, &cid)
                                 : NULL;
            if (nm && *nm) {
                fprintf(f, "<br><span class=\"note\">cluster %lld &ldquo;", (long long)cid);
                escs(f, nm);
                fputs("&rdquo;</span>", f);
            }
            fprintf(f,
                    "</td><td class=\"mono\">%s</td><td class=\"n\">%s</td><td>%s</td><td "
                    "class=\"n\">%u</td><td class=\"n\">%u</td><td class=\"n\">%s</td></tr>\n",
                    cs_report_outpoint(s, fr->out, op), cs_report_amount(c, fr->amount, 0, b),
                    cs_trace_reason_name(fr->reason), fr->hops, ht, cs_report_height_time(s, ht, t1));
        }
        fputs("</table>\n", f);
        if (r->n_frontier > CS_REPORT_HTML_ROWS)
            fprintf(f, "<p class=\"note\">%zu more in the JSON.</p>\n",
                    r->n_frontier - (size_t)CS_REPORT_HTML_ROWS);
    }

    /* seed and parameters */
    fprintf(f,
            "<h2>Seed</h2>\n<table><tr><th>Outpoint</th><th>Address</th><th>Amount (%s)</th>"
            "</tr>\n",
            sym);
    for (size_t i = 0; i < r->n_seeds && i < CS_REPORT_HTML_ROWS; i++) {
        cs_addr_format(cs_store_addr(s, cs_store_out(s, r->seeds[i].out)->addr), cs_store_net(s),
                       addr);
        fprintf(f, "<tr><td class=\"mono\">%s</td><td class=\"mono\">",
                cs_report_outpoint(s, r->seeds[i].out, op));
        escs(f, addr);
        fprintf(f, "</td><td class=\"n\">%s</td></tr>\n",
                cs_report_amount(c, r->seeds[i].amount, 0, b));
    }
    fputs("</table>\n<h2>Parameters</h2>\n<table>\n", f);
    param_rows(f, c->parameters_json ? c->parameters_json : "{}");
    fputs("</table>\n", f);

    /* rerun */
    if (command_line) {
        fputs("<h2>Rerun</h2>\n<p>This command, run on a store of the same chain, prints the JSON "
              "result whose SHA-256 is on the title page:</p>\n<pre class=\"cmd\">",
              f);
        escs(f, command_line);
        fputs("</pre>\n", f);
    }

    /* exhibits */
    if (r->n_sinks) {
        fprintf(f, "<h2>Exhibits</h2>\n<p class=\"note\">One exhibit per entity of the table "
                   "above: %s, ascending.</p>\n",
                r->backward ? "the entity's transactions whose outputs the traced coins came from"
                            : "the transactions that paid the entity");
        for (size_t i = 0; i < r->n_sinks; i++) {
            const struct cs_trace_sink *k = &r->sinks[i];
            fprintf(f, "<section class=\"exhibit\" id=\"exhibit-%zu\">\n<h3>Exhibit %zu: ", i + 1,
                    i + 1);
            escs(f, k->label);
            fprintf(f, " (%s, %s, %zu transaction%s)</h3>\n<ol class=\"txs\">\n",
                    category_name(k->category), cs_report_amount(c, k->amount, 1, b), k->n_txs,
                    k->n_txs == 1 ? "" : "s");
            for (size_t q = 0; q < k->n_txs && q < CS_REPORT_HTML_ROWS; q++) {
                cs_hex_rev(id, cs_store_txid(s, k->txs[q]));
                uint32_t ht = cs_store_tx(s, k->txs[q])->height;
                fprintf(f, "<li>%s<span class=\"when\">height %u, %s</span></li>\n", id, ht,
                        cs_report_height_time(s, ht, t1));
            }
            fputs("</ol>\n", f);
            if (k->n_txs > CS_REPORT_HTML_ROWS)
                fprintf(f, "<p class=\"note\">&hellip; and %zu more (see the JSON).</p>\n",
                        k->n_txs - (size_t)CS_REPORT_HTML_ROWS);
            fputs("</section>\n", f);
        }
    }

    /* the JSON */
    fprintf(f,
            "<h2>JSON result</h2>\n<p>SHA-256 <code>%s</code> over the %zu bytes below "
            "(including the final newline).</p>\n",
            hex, json_len);
    if (json_len <= (size_t)4 << 20) {
        fputs("<details class=\"json\"><summary>show</summary><pre>", f);
        esc(f, json, json_len);
        fputs("</pre></details>\n", f);
    } else {
        fputs("<p class=\"note\">Too large to embed; rerun with --json.</p>\n", f);
    }
    fputs("<footer class=\"note\">Method: docs/METHODS.md of chainsleuth (installed as "
          "share/doc/chainsleuth/METHODS.md): the taint policies, fee conventions, rounding, "
          "attribution and the share columns. Fees are not followed into the miners' "
          "coinbases; transactions are processed in chain order.</footer>\n</body></html>\n",
          f);
    if (fflush(f) || ferror(f)) return cs_error(CS_EIO, "report: write failed");
    return 0;
}
