/* report_evm.h — amounts of EVM assets in their units, and the HTML case
 * report of an account-model trace (trace/account.h).
 *
 * Amounts are exact: text shows the asset's whole units (ETH with 18
 * decimals, a token with its own decimals and symbol; a token whose decimals
 * are unknown as raw units and its contract).  The report is one
 * self-contained HTML file: a title page (case id, investigator, generation
 * time, tool version and commit, chain tip, the result's SHA-256), a
 * plain-language summary, each asset's flow (seed, swapped in and out,
 * sinks, frontier, fees, burned, dropped, adding up), the sinks, the swaps,
 * the frontier, the poisoning warning, the parameters and the command that
 * reruns it. */
#ifndef CS_REPORT_REPORT_EVM_H
#define CS_REPORT_REPORT_EVM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evm/store.h"
#include "trace/account.h"
#include "util/amount.h"
#include "util/error.h"

#define CS_REPORT_EVM_AMOUNT_MAX (CS_AMOUNT_STR_MAX + 48)

/* The asset of a transfer (0 = the chain's native coin) as a descriptor; a
 * token symbol the descriptor refuses (spaces, non-ASCII: a look-alike)
 * shows as "token". */
void cs_report_evm_asset(const struct cs_evm *s, uint64_t asset, struct cs_asset *out);
/* v of asset in its unit ("1.5 ETH", "12 USDC", "7 units of 0x…"). */
const char *cs_report_evm_amount(const struct cs_evm *s, uint64_t asset, const struct cs_u256 *v,
                                 char out[CS_REPORT_EVM_AMOUNT_MAX]);

struct cs_report_evm_ctx {
    const struct cs_evm *s;
    const struct cs_acct_result *r;
    /* label and source of sink entity e */
    const char *(*entity_label)(void *ctx, int32_t e);
    void *entity_ctx;
    const char *attribution_note;
    const char *case_id, *case_title, *investigator; /* NULL: "not given" */
    const char *generated, *tool_version, *git_commit;
    const char *command_line; /* the rerun command (with --json) */
    const char *json;         /* the --json result, hashed on the title page */
    size_t json_len;
    const char *params; /* one line per option, "name: value" separated by "\n" */
};

/* Writes the report.  Returns 0 or CS_EIO. */
int cs_report_evm_html(FILE *f, const struct cs_report_evm_ctx *c) CS_MUST_CHECK;

#endif
