/* category.c — the category taxonomy, GraphSense/INTERPOL concept words and
 * confidence words.  The tables here are the ones documented in tags.h. */
#include <string.h>
#include <strings.h>

#include "tags/tags.h"

static const struct {
    const char *name, *describe;
} cats[CS_TAG_NCATEGORIES] = {
    [CS_TAG_EXCHANGE] = {"exchange", "centralised exchange or its hot, cold or deposit wallets"},
    [CS_TAG_MIXER] = {"mixer",
                      "mixing service, CoinJoin coordinator or participant, Tornado-style pool"},
    [CS_TAG_BRIDGE] = {"bridge", "cross-chain bridge contract or custodian"},
    [CS_TAG_DEFI] = {"defi", "DeFi protocol: DEX, lending, derivatives"},
    [CS_TAG_SANCTIONED] = {"sanctioned", "on a sanctions list (OFAC SDN)"},
    [CS_TAG_STOLEN_FUNDS] = {"stolen_funds", "proceeds of a hack or theft, exploiter wallets"},
    [CS_TAG_HACKER_GROUP] = {"hacker_group", "wallets of a named hacking actor (Lazarus Group)"},
    [CS_TAG_RANSOMWARE] = {"ransomware", "ransom payment addresses"},
    [CS_TAG_SCAM] = {"scam", "scam, phishing, extortion, Ponzi or pyramid scheme"},
    [CS_TAG_DARKNET] = {"darknet", "darknet market or dark-web service"},
    [CS_TAG_GAMBLING] = {"gambling", "gambling service"},
    [CS_TAG_MINER] = {"miner", "mining pool or miner payout addresses"},
    [CS_TAG_P2P_OTC] = {"p2p_otc", "peer-to-peer or OTC trading desk"},
    [CS_TAG_OTHER] = {"other", "anything else (users, organisations, wallets, services)"},
};

const char *cs_tag_category_name(int category)
{
    return category >= 0 && category < CS_TAG_NCATEGORIES ? cats[category].name : NULL;
}

const char *cs_tag_category_describe(int category)
{
    return category >= 0 && category < CS_TAG_NCATEGORIES ? cats[category].describe : NULL;
}

int cs_tag_category_parse(const char *name)
{
    if (!name) return -1;
    for (int i = 0; i < CS_TAG_NCATEGORIES; i++)
        if (!strcasecmp(name, cats[i].name)) return i;
    return -1;
}

static const struct {
    const char *word;
    int category;
} concepts[] = {
    {"mixing_service", CS_TAG_MIXER},
    {"coinjoin", CS_TAG_MIXER},
    {"tumbler", CS_TAG_MIXER},
    {"sanction", CS_TAG_SANCTIONED},
    {"sanctions", CS_TAG_SANCTIONED},
    {"service_hack", CS_TAG_STOLEN_FUNDS},
    {"hack", CS_TAG_STOLEN_FUNDS},
    {"theft", CS_TAG_STOLEN_FUNDS},
    {"exploit", CS_TAG_STOLEN_FUNDS},
    {"hacker", CS_TAG_HACKER_GROUP},
    {"perpetrator", CS_TAG_HACKER_GROUP},
    {"phishing", CS_TAG_SCAM},
    {"sextortion", CS_TAG_SCAM},
    {"extortion", CS_TAG_SCAM},
    {"ponzi_scheme", CS_TAG_SCAM},
    {"pyramid_scheme", CS_TAG_SCAM},
    {"investment_fraud", CS_TAG_SCAM},
    {"fraud", CS_TAG_SCAM},
    {"dark_web", CS_TAG_DARKNET},
    {"darkweb", CS_TAG_DARKNET},
    {"darknet_market", CS_TAG_DARKNET},
    {"mining_service", CS_TAG_MINER},
    {"mining_pool", CS_TAG_MINER},
    {"mining", CS_TAG_MINER},
    {"otc", CS_TAG_P2P_OTC},
    {"p2p", CS_TAG_P2P_OTC},
    {"p2p_exchange", CS_TAG_P2P_OTC},
    /* INTERPOL entity and abuse words with no category of their own */
    {"user", CS_TAG_OTHER},
    {"organization", CS_TAG_OTHER},
    {"entity", CS_TAG_OTHER},
    {"service", CS_TAG_OTHER},
    {"wallet_service", CS_TAG_OTHER},
    {"escrow_wallet", CS_TAG_OTHER},
    {"ico_wallet", CS_TAG_OTHER},
    {"cold_wallet", CS_TAG_OTHER},
    {"filesharing", CS_TAG_OTHER},
    {"index", CS_TAG_OTHER},
    {"messaging_service", CS_TAG_OTHER},
    {"search_engine", CS_TAG_OTHER},
    {"shop", CS_TAG_OTHER},
    {"faucet", CS_TAG_OTHER},
    {"payment_processor", CS_TAG_OTHER},
    {"atm", CS_TAG_OTHER},
    {"hosting", CS_TAG_OTHER},
    {"vpn", CS_TAG_OTHER},
    {"item", CS_TAG_OTHER},
    {"collectible", CS_TAG_OTHER},
    {"donation", CS_TAG_OTHER},
    {"victim", CS_TAG_OTHER},
    {"black_list", CS_TAG_OTHER},
    {"terrorism", CS_TAG_OTHER},
    {"extremism", CS_TAG_OTHER},
};

int cs_tag_category_from_concept(const char *word, const char *chain)
{
    if (!word || !*word) return -1;
    if (!strcasecmp(word, "market"))
        return chain && cs_tag_chain_is_evm(chain) ? CS_TAG_OTHER : CS_TAG_DARKNET;
    int c = cs_tag_category_parse(word);
    if (c >= 0) return c;
    if (!strncasecmp(word, "defi_", 5)) return CS_TAG_DEFI;
    for (size_t i = 0; i < sizeof concepts / sizeof concepts[0]; i++)
        if (!strcasecmp(word, concepts[i].word)) return concepts[i].category;
    return -1;
}

int cs_tag_confidence_from_word(const char *word)
{
    /* GraphSense tagpack-tool confidence.csv levels */
    static const struct {
        const char *word;
        int level;
    } levels[] = {
        {"override", 100},        {"ownership", 100},
        {"ledger_immanent", 100}, {"manual_transaction", 90},
        {"service_api", 70},      {"authority_data", 60},
        {"trusted_provider", 50}, {"service_data", 50},
        {"forensic", 50},         {"untrusted_transaction", 40},
        {"web_crawl", 20},        {"heuristic", 10},
        {"unknown", 5},
    };
    if (!word) return -1;
    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++)
        if (!strcasecmp(word, levels[i].word)) return levels[i].level;
    return -1;
}

const char *cs_tag_format_name(int format)
{
    switch (format) {
    case CS_TAGFMT_AUTO:
        return "auto";
    case CS_TAGFMT_CSV:
        return "csv";
    case CS_TAGFMT_OFAC_LIST:
        return "ofac-list";
    case CS_TAGFMT_OFAC_SDN_CSV:
        return "ofac-sdn-csv";
    case CS_TAGFMT_TAGPACK:
        return "tagpack";
    }
    return NULL;
}

int cs_tag_format_parse(const char *name)
{
    for (int f = CS_TAGFMT_AUTO; f <= CS_TAGFMT_TAGPACK; f++)
        if (name && !strcmp(name, cs_tag_format_name(f))) return f;
    return -1;
}
