/* cmd_serve.c — `chainsleuth serve`: the screening HTTP API
 * (src/server/server.h), until SIGINT or SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/opt.h"
#include "server/server.h"

/* docs/openapi.json, compiled in by the Makefile (build/MODE/gen/openapi.c) */
extern const char cs_openapi_json[];
extern const size_t cs_openapi_json_len;

static const char USAGE[] =
    "usage: chainsleuth serve [--db DIR] [--listen HOST:PORT] [--config FILE] [--threads N]\n"
    "                         [--max-connections N] [--timeout S] [--max-body BYTES]\n";

static const char ABOUT[] =
    "Serves the screening API over HTTP/1.1 (JSON, under /v1; the OpenAPI 3.1\n"
    "document is docs/openapi.json, also at GET /v1/openapi.json):\n"
    "  GET  /v1/health                          liveness\n"
    "  GET  /v1/info                            chain, tip, counts, snapshot, index state\n"
    "  GET  /v1/address/btc/ADDR                address summary, entity, cluster, tags, risk\n"
    "  GET  /v1/address/btc/ADDR/risk           its screen alone\n"
    "  GET  /v1/tx/btc/TXID                     a transaction\n"
    "  POST /v1/screen {\"chain\":\"btc\",\"items\":[...]}   up to 1,000 addresses or txids,\n"
    "                                           each answered as `screen --json` answers it\n"
    "Every request is answered from one store snapshot; `chainsleuth ingest` may\n"
    "write the store meanwhile, and the next request moves to the new commit.\n"
    "Errors are {\"error\":{\"code\",\"message\"}} with a 4xx/5xx status.  Once\n"
    "listening, one line goes to stdout: \"listening on http://HOST:PORT\".\n"
    "SIGINT or SIGTERM stops accepting, lets requests in flight finish and exits 0.\n";

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_ready(void *ctx, unsigned port)
{
    const char *host = ctx;
    if (strchr(host, ':'))
        printf("listening on http://[%s]:%u\n", host, port);
    else
        printf("listening on http://%s:%u\n", host, port);
    fflush(stdout);
}

int cmd_serve(int argc, char **argv)
{
    struct cs_server_opts o;
    cs_server_opts_default(&o);
    const char *db = cli_default_db(), *listen = "127.0.0.1:8080", *config = NULL;
    uint64_t threads = o.threads, maxconn = o.max_connections, timeout = o.timeout_s,
             maxbody = o.max_body;
    const struct cli_opt opts[] = {
        CLI_STRING("db", 0, &db, "DIR", CLI_HELP_DB),
        CLI_STRING("listen", 0, &listen, "HOST:PORT",
                   "numeric address and port to listen on (default 127.0.0.1:8080;\n"
                   "port 0: any free port; IPv6 as [::1]:8080)"),
        CLI_STRING("config", 0, &config, "FILE",
                   "risk model parameters (see chainsleuth screen --help)"),
        CLI_U64("threads", 0, &threads, "N", 1, 64,
                "serving threads, each with its own store snapshot (default 2)"),
        CLI_U64("max-connections", 0, &maxconn, "N", 1, 100000,
                "open connections at most (default 256; 64 per client address)"),
        CLI_U64("timeout", 0, &timeout, "S", 1, 3600,
                "seconds a connection may be idle or slow (default 30)"),
        CLI_U64("max-body", 0, &maxbody, "BYTES", 1024, 64u << 20,
                "largest request body (default 1048576); more is 413"),
        CLI_OPT_TABLE_END,
    };
    const struct cli_cmd cmd = {"serve", USAGE, ABOUT, opts, NULL, NULL};
    int npos, rc = cli_opt_parse(&cmd, argc, argv, &npos);
    if (rc != CLI_OPT_OK) return rc;
    if (npos) return cli_usage("serve", "unexpected argument '%s'", argv[1]);
    /* HOST:PORT, [V6]:PORT */
    char host[128];
    const char *colon = strrchr(listen, ':');
    size_t hl;
    const char *hs = listen;
    if (listen[0] == '[') {
        const char *rb = strchr(listen, ']');
        if (!rb || rb[1] != ':')
            return cli_usage("serve", "--listen: '%s' is not [IPV6]:PORT", listen);
        hs = listen + 1;
        hl = (size_t)(rb - hs);
        colon = rb + 1;
    } else {
        if (!colon) return cli_usage("serve", "--listen: '%s' is not HOST:PORT", listen);
        hl = (size_t)(colon - listen);
    }
    if (!hl || hl >= sizeof host) return cli_usage("serve", "--listen: no host in '%s'", listen);
    memcpy(host, hs, hl);
    host[hl] = 0;
    const char *ps = colon + 1;
    unsigned long port = 0;
    if (!*ps || strlen(ps) > 5) return cli_usage("serve", "--listen: bad port in '%s'", listen);
    for (const char *p = ps; *p; p++) {
        if (*p < '0' || *p > '9') return cli_usage("serve", "--listen: bad port in '%s'", listen);
        port = port * 10 + (unsigned long)(*p - '0');
    }
    if (port > 65535) return cli_usage("serve", "--listen: port %lu above 65535", port);
    o.dbdir = db;
    o.host = host;
    o.port = (unsigned)port;
    o.config = config;
    o.threads = (unsigned)threads;
    o.max_connections = (unsigned)maxconn;
    if (o.per_ip_connections > o.max_connections) o.per_ip_connections = o.max_connections;
    o.timeout_s = (unsigned)timeout;
    o.max_body = (size_t)maxbody;
    o.openapi = cs_openapi_json;
    o.openapi_len = cs_openapi_json_len;
    o.version = cli_version();

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN; /* a client that hangs up is not a reason to die */
    sigaction(SIGPIPE, &sa, NULL);
    rc = cs_server_run(&o, &stop_flag, on_ready, host);
    if (rc) return cli_fail_err("serve", rc);
    fprintf(stderr, "chainsleuth serve: stopped\n");
    return 0;
}
