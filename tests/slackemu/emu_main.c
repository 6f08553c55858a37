/*
 * slackemu's entry point: it owns the command line (--help and every option,
 * parsed strictly), signal handling, creating the modules and the one
 * lws_context (HTTP and WebSocket on one port), printing the parseable
 * "slackemu listening on http://HOST:PORT" line, the periodic housekeeping
 * tick, the service loop, and an orderly teardown so that valgrind and ASan
 * see no leaks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emu.h"
#include "xmalloc.h"

#define TICK_US 10000 /* housekeeping every 10 ms */

volatile sig_atomic_t emu_stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    emu_stop_requested = 1;
}

static void usage(FILE *f)
{
    fputs("usage: slackemu [options]\n"
          "\n"
          "A Slack emulator on loopback: the Web API at http://HOST:PORT/api/<method>,\n"
          "Socket Mode at ws://HOST:PORT/link/?ticket=..., and a control API for tests at\n"
          "http://HOST:PORT/_emu/. Prints 'slackemu listening on http://HOST:PORT' on\n"
          "stdout when ready and one log line per request on stderr.\n"
          "\n"
          "options:\n"
          "  -p, --port N              port to listen on; 0 (default) picks a free one\n"
          "      --host ADDR           address to bind (default 127.0.0.1)\n"
          "  -w, --workspace FILE      workspace JSON (users, bots, usergroups, channels,\n"
          "                            tokens); default: a built-in workspace\n"
          "      --conn-lifetime S     Socket Mode connection lifetime in seconds, sent as\n"
          "                            approximate_connection_time (default 18060)\n"
          "      --debug-lifetime S    lifetime with &debug_reconnects=true (default 360)\n"
          "      --warning-lead-ms MS  disconnect 'warning' this long before\n"
          "                            'refresh_requested' (default 10000, at most half\n"
          "                            the lifetime)\n"
          "      --refresh-grace-ms MS close this long after 'refresh_requested'\n"
          "                            (default 3000)\n"
          "      --ping-interval-ms MS server ping frames (default 10000; 0 = none)\n"
          "      --ack-timeout-ms MS   envelope ack deadline (default 3000)\n"
          "      --trigger-ttl-ms MS   trigger_id lifetime (default 3000)\n"
          "      --ticket-ttl-ms MS    unused Socket Mode ticket lifetime (default 60000)\n"
          "      --retry-delays-ms A,B,C\n"
          "                            events_api redelivery delays after an ack timeout\n"
          "                            (default 0,60000,300000, as Slack)\n"
          "      --max-connections N   Socket Mode connections per app (default 10)\n"
          "      --no-rate-limits      disable method tiers and chat.postMessage limits\n"
          "      --tls-cert FILE       serve https:// and wss:// with this PEM certificate\n"
          "      --tls-key FILE        and this PEM private key (both or neither)\n"
          "      --seed N              seed for ids (default: from the clock)\n"
          "  -q, --quiet               no per-request log lines\n"
          "  -h, --help                this text\n"
          "      --version             print the version\n",
          f);
}

/* Returns the option's value ("--opt=v" or the next argument), or NULL. */
static const char *opt_value(int argc, char **argv, int *i, const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "slackemu: %s needs a value\n", name);
        exit(2);
    }
    return argv[++*i];
}

static int num_opt(const char *name, const char *v, long min, long max)
{
    long out;
    if (!emu_parse_long(v, min, max, &out)) {
        fprintf(stderr, "slackemu: %s: '%s' is not a number in [%ld, %ld]\n", name, v, min, max);
        exit(2);
    }
    return (int)out;
}

static void parse_delays(const char *v, int out[EMU_RETRIES])
{
    char tmp[128];
    if (snprintf(tmp, sizeof tmp, "%s", v) >= (int)sizeof tmp)
        goto bad;
    char *p = tmp;
    for (int i = 0; i < EMU_RETRIES; i++) {
        char *comma = strchr(p, ',');
        if ((i < EMU_RETRIES - 1) != (comma != NULL))
            goto bad;
        if (comma)
            *comma = '\0';
        long ms;
        if (!emu_parse_long(p, 0, 24L * 3600 * 1000, &ms))
            goto bad;
        out[i] = (int)ms;
        p = comma ? comma + 1 : p;
    }
    return;
bad:
    fprintf(stderr, "slackemu: --retry-delays-ms: expected three numbers like 0,60000,300000\n");
    exit(2);
}

static void parse_args(int argc, char **argv, struct emu_cfg *cfg)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (!strcmp(a, "--version")) {
            printf("slackemu %s\n", INCIDENTD_VERSION);
            exit(0);
        } else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
            cfg->quiet = true;
        } else if (!strcmp(a, "--no-rate-limits")) {
            cfg->rate_limits = false;
        } else if ((v = opt_value(argc, argv, &i, a, "--port")) ||
                   (v = opt_value(argc, argv, &i, a, "-p"))) {
            cfg->port = num_opt("--port", v, 0, 65535);
        } else if ((v = opt_value(argc, argv, &i, a, "--host"))) {
            cfg->host = v;
        } else if ((v = opt_value(argc, argv, &i, a, "--tls-cert"))) {
            cfg->tls_cert = v;
        } else if ((v = opt_value(argc, argv, &i, a, "--tls-key"))) {
            cfg->tls_key = v;
        } else if ((v = opt_value(argc, argv, &i, a, "--workspace")) ||
                   (v = opt_value(argc, argv, &i, a, "-w"))) {
            cfg->workspace_file = v;
        } else if ((v = opt_value(argc, argv, &i, a, "--conn-lifetime"))) {
            cfg->conn_lifetime_s = num_opt(a, v, 1, 7 * 24 * 3600);
        } else if ((v = opt_value(argc, argv, &i, a, "--debug-lifetime"))) {
            cfg->debug_lifetime_s = num_opt(a, v, 1, 7 * 24 * 3600);
        } else if ((v = opt_value(argc, argv, &i, a, "--warning-lead-ms"))) {
            cfg->warning_lead_ms = num_opt(a, v, 0, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--refresh-grace-ms"))) {
            cfg->refresh_grace_ms = num_opt(a, v, 0, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--ping-interval-ms"))) {
            cfg->ping_interval_ms = num_opt(a, v, 0, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--ack-timeout-ms"))) {
            cfg->ack_timeout_ms = num_opt(a, v, 1, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--trigger-ttl-ms"))) {
            cfg->trigger_ttl_ms = num_opt(a, v, 1, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--ticket-ttl-ms"))) {
            cfg->ticket_ttl_ms = num_opt(a, v, 1, 3600 * 1000);
        } else if ((v = opt_value(argc, argv, &i, a, "--retry-delays-ms"))) {
            parse_delays(v, cfg->retry_delays_ms);
        } else if ((v = opt_value(argc, argv, &i, a, "--max-connections"))) {
            cfg->max_conns = num_opt(a, v, 1, EMU_MAX_CONNS_LIMIT);
        } else if ((v = opt_value(argc, argv, &i, a, "--seed"))) {
            cfg->seed = (uint64_t)num_opt(a, v, 1, 0x7fffffff);
        } else {
            fprintf(stderr, "slackemu: unknown option '%s' (try --help)\n", a);
            exit(2);
        }
    }
}

static void lws_log_emit(int level, const char *line)
{
    (void)level;
    fprintf(stderr, "slackemu: lws: %s", line);
    size_t n = strlen(line);
    if (n == 0 || line[n - 1] != '\n')
        fputc('\n', stderr);
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
    struct emu *emu = lws_container_of(sul, struct emu, sul_tick);
    emu_sock_tick(emu);
    emu_env_tick(emu);
    emu_ctl_tick(emu);
    if (!emu_stop_requested)
        lws_sul_schedule(emu->lws, 0, &emu->sul_tick, tick_cb, TICK_US);
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    struct emu *emu = xcalloc(1, sizeof *emu);
    struct emu_cfg *cfg = &emu->cfg;
    cfg->host = "127.0.0.1";
    cfg->conn_lifetime_s = 18060;
    cfg->debug_lifetime_s = 360;
    cfg->warning_lead_ms = 10000;
    cfg->refresh_grace_ms = 3000;
    cfg->ping_interval_ms = 10000;
    cfg->ack_timeout_ms = 3000;
    cfg->trigger_ttl_ms = 3000;
    cfg->ticket_ttl_ms = 60000;
    cfg->retry_delays_ms[0] = 0;
    cfg->retry_delays_ms[1] = 60000;
    cfg->retry_delays_ms[2] = 300000;
    cfg->max_conns = 10;
    cfg->rate_limits = true;
    parse_args(argc, argv, cfg);
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL)) {
        fprintf(stderr, "slackemu: --tls-cert and --tls-key go together\n");
        free(emu);
        return 2;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    emu->rng = cfg->seed ? cfg->seed * 0x9E3779B97F4A7C15ULL
                         : (uint64_t)emu_wall_us() ^ ((uint64_t)getpid() << 32);
    if (!emu->rng)
        emu->rng = 0x9E3779B97F4A7C15ULL;
    emu->started_us = emu_wall_us();
    emu->build_number = 1000 + (unsigned)(emu_rand(emu) % 9000);

    int rc = 1;
    emu->wk = emu_wk_new(emu, cfg->workspace_file);
    if (!emu->wk)
        goto out;
    emu->sock = emu_sock_new();
    emu->env = emu_env_new();
    emu->ix = emu_ix_new();
    emu->ctl = emu_ctl_new();
    emu->rate = emu_rate_new();
    emu->fault = emu_fault_new();
    emu->api = emu_api_new();

    lws_set_log_level(LLL_ERR | LLL_WARN, lws_log_emit);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = cfg->port;
    info.iface = cfg->host;
    info.protocols = emu_http_protocols;
    info.user = emu;
    info.max_http_header_data = 16384;
    info.keepalive_timeout = 65; /* longer than clients' idle timeouts: they close first */
    info.timeout_secs = 30;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    if (cfg->tls_cert) {
        /* TLS on the one port: the bot's https:// and wss:// paths, verified against a CA. */
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    emu->lws = lws_create_context(&info);
    if (!emu->lws) {
        fprintf(stderr, "slackemu: cannot listen on %s:%d\n", cfg->host, cfg->port);
        goto out;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(emu->lws, "default");
    emu->port = vh ? lws_get_vhost_listen_port(vh) : cfg->port;
    snprintf(emu->base_url, sizeof emu->base_url, "%s://%s:%d", cfg->tls_cert ? "https" : "http",
             cfg->host, emu->port);
    snprintf(emu->ws_base, sizeof emu->ws_base, "%s://%s:%d", cfg->tls_cert ? "wss" : "ws",
             cfg->host, emu->port);
    printf("slackemu listening on %s\n", emu->base_url);
    fflush(stdout);
    emu_log(emu, "listening on %s (team %s, app %s, bot user %s)", emu->base_url,
            emu_wk_team_id(emu), emu_wk_app_id(emu), emu_wk_bot_user(emu));

    lws_sul_schedule(emu->lws, 0, &emu->sul_tick, tick_cb, TICK_US);
    while (!emu_stop_requested) {
        if (lws_service(emu->lws, 0) < 0)
            break;
    }
    emu_log(emu, "shutting down");
    rc = 0;
out:
    if (emu->lws) {
        lws_sul_cancel(&emu->sul_tick);
        emu_env_stop(emu);
        lws_context_destroy(emu->lws);
    }
    emu_api_free(emu->api);
    emu_fault_free(emu->fault);
    emu_rate_free(emu->rate);
    emu_ctl_free(emu->ctl);
    emu_ix_free(emu->ix);
    emu_env_free(emu->env);
    emu_sock_free(emu->sock);
    emu_wk_free(emu->wk);
    free(emu);
    return rc;
}
