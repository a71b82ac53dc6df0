/* config.c — the risk model's parameters: METHODS §5 defaults and the
 * "key = value" config file (format in risk.h).  Unknown keys and bad
 * values are errors naming file and line, so a typo never silently keeps a
 * default. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "risk/risk.h"

void cs_risk_config_default(struct cs_risk_config *c)
{
    memset(c, 0, sizeof *c);
    c->max_hops = 6;
    c->decay = 0.5;
    c->weight[CS_TAG_SANCTIONED] = 1.0;
    c->weight[CS_TAG_STOLEN_FUNDS] = 0.9;
    c->weight[CS_TAG_RANSOMWARE] = 0.9;
    c->weight[CS_TAG_HACKER_GROUP] = 0.9;
    c->weight[CS_TAG_DARKNET] = 0.8;
    c->weight[CS_TAG_MIXER] = 0.7;
    c->weight[CS_TAG_SCAM] = 0.7;
    c->weight[CS_TAG_P2P_OTC] = 0.4;
    c->weight[CS_TAG_GAMBLING] = 0.3;
    c->severe = 0.5;
    c->high = 0.2;
    c->medium = 0.05;
    c->severe_on_direct_sanctions = 1;
    c->walk_budget = 1000000;
    c->scan_budget = 1000;
}

const char *cs_risk_level_name(int level)
{
    static const char *const n[] = {"LOW", "MEDIUM", "HIGH", "SEVERE"};
    return level >= 0 && level < 4 ? n[level] : "?";
}

const char *cs_risk_dir_name(int dir)
{
    return dir == CS_RISK_OUT ? "out" : "in";
}

static int parse_frac(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d) || d < 0 || d > 1) return -1;
    *out = d;
    return 0;
}

static int parse_uint(const char *v, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (!*v) return -1;
    uint64_t x = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        if (x > (UINT64_MAX - 9) / 10) return -1;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x < lo || x > hi) return -1;
    *out = x;
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

int cs_risk_config_parse(struct cs_risk_config *c, const char *buf, size_t len, const char *name)
{
    struct cs_risk_config t = *c;
    unsigned line = 0;
    size_t pos = 0;
    char tmp[512];
    while (pos < len) {
        size_t e = pos;
        while (e < len && buf[e] != '\n') e++;
        line++;
        size_t n = e - pos;
        if (n >= sizeof tmp) return cs_error(CS_EFORMAT, "%s:%u: line too long", name, line);
        memcpy(tmp, buf + pos, n);
        tmp[n] = 0;
        pos = e + 1;
        if (memchr(tmp, 0, n)) return cs_error(CS_EFORMAT, "%s:%u: NUL byte", name, line);
        char *s = trim(tmp);
        if (!*s || *s == '#') continue;
        char *eq = strchr(s, '=');
        if (!eq) return cs_error(CS_EFORMAT, "%s:%u: expected 'key = value'", name, line);
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        uint64_t u;
        double d;
        const char *why = NULL;
        if (!strcmp(key, "max_hops")) {
            if (parse_uint(val, 1, CS_RISK_MAX_HOPS, &u)) why = "a whole number 1..32";
            else t.max_hops = (unsigned)u;
        } else if (!strcmp(key, "decay")) {
            if (parse_frac(val, &d)) why = "a number 0..1";
            else t.decay = d;
        } else if (!strncmp(key, "weight.", 7)) {
            int cat = cs_tag_category_parse(key + 7);
            if (cat < 0 || strcmp(cs_tag_category_name(cat), key + 7))
                return cs_error(CS_EFORMAT, "%s:%u: unknown key '%s' (no category '%s')", name,
                                line, key, key + 7);
            if (parse_frac(val, &d)) why = "a number 0..1";
            else t.weight[cat] = d;
        } else if (!strcmp(key, "level.severe") || !strcmp(key, "level.high") ||
                   !strcmp(key, "level.medium")) {
            if (parse_frac(val, &d)) why = "a number 0..1";
            else if (key[6] == 's') t.severe = d;
            else if (key[6] == 'h') t.high = d;
            else t.medium = d;
        } else if (!strcmp(key, "severe_on_direct_sanctions")) {
            if (!strcmp(val, "true")) t.severe_on_direct_sanctions = 1;
            else if (!strcmp(val, "false")) t.severe_on_direct_sanctions = 0;
            else why = "true or false";
        } else if (!strcmp(key, "walk_budget")) {
            if (parse_uint(val, 1, UINT64_C(1) << 40, &u)) why = "a whole number 1..2^40";
            else t.walk_budget = u;
        } else if (!strcmp(key, "scan_budget")) {
            if (parse_uint(val, 1, UINT64_C(1) << 40, &u)) why = "a whole number 1..2^40";
            else t.scan_budget = u;
        } else {
            return cs_error(CS_EFORMAT, "%s:%u: unknown key '%s'", name, line, key);
        }
        if (why)
            return cs_error(CS_EFORMAT, "%s:%u: %s: bad value '%s' (want %s)", name, line, key,
                            val, why);
    }
    if (!(t.severe >= t.high && t.high >= t.medium))
        return cs_error(CS_EFORMAT, "%s: level.severe >= level.high >= level.medium is required",
                        name);
    *c = t;
    return 0;
}

int cs_risk_config_load(struct cs_risk_config *c, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return cs_error(CS_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 20, n;
    char *buf = cs_xmalloc(cap + 1);
    n = fread(buf, 1, cap + 1, f);
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return cs_error(CS_EIO, "%s: read error", path);
    }
    if (n > cap) {
        free(buf);
        return cs_error(CS_ERANGE, "%s: config file over 1 MiB", path);
    }
    int rc = cs_risk_config_parse(c, buf, n, path);
    free(buf);
    return rc;
}
