/*
 * incidentd's command line: `run`, `console`, `check-config`, `backup`,
 * `--version`, `--help`.
 * Start-up errors (bad configuration, missing secrets, a database that
 * cannot be opened) are printed as one line each and end the process with
 * a non-zero status; nothing is created or changed before they are checked.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bot.h"
#include "config.h"
#include "console.h"
#include "log.h"
#include "slack_api.h"
#include "store_backup.h"
#include "store_lock.h"
#include "xmalloc.h"

enum exit_code {
    EXIT_OK = 0,
    EXIT_FAIL = 1,  /* invalid configuration, missing secret, runtime failure */
    EXIT_USAGE = 2, /* unknown command or option */
};

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void usage(FILE *f)
{
    fputs("usage: incidentd <command> [options]\n"
          "\n"
          "Runs a company's incident response plan in Slack and mirrors it to a status page.\n"
          "\n"
          "commands:\n"
          "  run [-c FILE]          run the bot: Slack Socket Mode, the worker and the built-in\n"
          "                         status page. Without -c, the embedded defaults are used.\n"
          "                         Needs SLACK_BOT_TOKEN (xoxb-...) and SLACK_APP_TOKEN (xapp-...)\n"
          "                         in the environment; STATUSPAGE_API_KEY is optional; each\n"
          "                         [[webhooks]] needs the variable its secret_env names.\n"
          "  console [-c FILE] [-u NAME]\n"
          "                         try the plan without Slack: the terminal is the workspace\n"
          "                         (type /incident ..., click buttons by number). Same plan,\n"
          "                         database and status page as run; no tokens needed. Without\n"
          "                         -c: the embedded defaults with the database in\n"
          "                         var/console.db. Reads a script when stdin is not a terminal.\n"
          "  check-config FILE      check a configuration file alone (no secrets needed);\n"
          "                         prints \"ok\" or every error as FILE:LINE: message\n"
          "  config-reference       print every configuration key with its default and help\n"
          "  backup DEST [-c FILE]  copy the database ([store] path) to the file DEST while the\n"
          "                         bot runs: a consistent, verified copy, renamed into place\n"
          "\n"
          "options:\n"
          "  -c, --config FILE      configuration file (TOML) for run, console and backup\n"
          "  -u, --user NAME        console: who types first (alice, bob, carol, dave, erin)\n"
          "  -h, --help             show this help\n"
          "  -V, --version          show the version\n"
          "\n"
          "exit status:\n"
          "  0  success (run: stopped cleanly by SIGINT or SIGTERM)\n"
          "  1  invalid configuration, missing or malformed secret, or a runtime failure\n"
          "  2  usage error (unknown command or option)\n",
          f);
}

static void print_diag(const struct cfg_diag *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(stderr, "%s\n", d->lines[i]);
}

static int cmd_check_config(int argc, char **argv)
{
    struct cfg_diag d = {0};
    struct config *cfg = NULL;
    if (argc != 2) {
        fputs("usage: incidentd check-config FILE\n", stderr);
        return EXIT_USAGE;
    }
    if (cfg_load_file(argv[1], &cfg, &d) != BOT_OK) {
        print_diag(&d);
        cfg_diag_free(&d);
        return EXIT_FAIL;
    }
    cfg_free(cfg);
    puts("ok");
    return EXIT_OK;
}

/* `incidentd backup DEST [-c FILE]`: store_backup() of [store] path to DEST. */
static int cmd_backup(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct cfg_diag d = {0};
    struct config *cfg = NULL;
    struct bot_err err = {{0}};
    struct store_backup_info info = {0};
    int c, code = EXIT_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:", opts, NULL)) != -1) {
        if (c != 'c') {
            fputs("usage: incidentd backup DEST [-c FILE]\n", stderr);
            return EXIT_USAGE;
        }
        path = optarg;
    }
    if (optind != argc - 1) {
        fputs("usage: incidentd backup DEST [-c FILE]\n", stderr);
        return EXIT_USAGE;
    }
    if (path != NULL ? cfg_load_file(path, &cfg, &d) != BOT_OK : (cfg = cfg_defaults()) == NULL)
        goto out;
    if (store_backup(cfg->store_path, argv[optind], &info, &err) != BOT_OK) {
        fprintf(stderr, "incidentd backup: %s\n", err.msg);
        goto out;
    }
    printf("backed up %s to %s: schema version %d, %lld bytes, integrity ok\n", cfg->store_path,
           argv[optind], info.schema_version, (long long)info.bytes);
    code = EXIT_OK;
out:
    print_diag(&d);
    cfg_diag_free(&d);
    cfg_free(cfg);
    return code;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct cfg_diag d = {0};
    struct config *cfg = NULL;
    struct bot *bot = NULL;
    struct store_lock *lock = NULL;
    struct bot_err err = {{0}};
    int c, code = EXIT_FAIL;
    bool curl_ready = false;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "incidentd run: unexpected argument \"%s\"\n", argv[optind]);
        return EXIT_USAGE;
    }
    if (path != NULL) {
        if (cfg_load_file(path, &cfg, &d) != BOT_OK)
            goto out;
    } else {
        cfg = cfg_defaults();
    }
    if (cfg_load_secrets(cfg, env_get, &d) != BOT_OK)
        goto out;
    log_set_level(cfg->log_level);
    log_route_lws();

    /*
     * The incident clock (business hours, --started 14:05, {date} in channel
     * names) is in [incident] timezone: with TZ set, localtime_r() gives that
     * zone's offset, daylight saving included, on every thread. TZ is
     * process-global and setenv() is not thread-safe, so it is set once, here,
     * before any thread exists. The loader has checked that glibc will find
     * the zone (it would silently fall back to UTC otherwise).
     */
    if (setenv("TZ", cfg->incident_timezone, 1) != 0) {
        log_error("cannot set the time zone", "timezone", cfg->incident_timezone);
        goto out;
    }
    tzset();

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* libcurl's global state must be set up before the worker threads start. */
    if (slack_api_global_init(&err) != BOT_OK) {
        log_error("cannot start", "error", err.msg);
        goto out;
    }
    curl_ready = true;
    /* One process per database: a second daemon would send every effect twice. */
    if (store_lock_take(cfg->store_path, &lock, &err) != BOT_OK) {
        log_error("cannot start", "error", err.msg);
        goto out;
    }
    if (bot_open(cfg, &bot, &err) != BOT_OK) {
        log_error("cannot start", "error", err.msg);
        goto out;
    }
    log_info("incidentd started", "version", INCIDENTD_VERSION, "config",
             path ? path : "(defaults)", "timezone", cfg->incident_timezone);
    if (bot_run(bot, &stop_requested) != BOT_OK)
        goto out;
    log_info("incidentd stopped");
    code = EXIT_OK;
out:
    print_diag(&d);
    cfg_diag_free(&d);
    bot_close(bot);
    store_lock_release(lock);
    if (curl_ready)
        slack_api_global_cleanup();
    cfg_free(cfg);
    return code;
}

/* TZ from [incident] timezone, before any thread exists (see cmd_run). */
static bool set_zone(const struct config *cfg)
{
    if (setenv("TZ", cfg->incident_timezone, 1) != 0) {
        log_error("cannot set the time zone", "timezone", cfg->incident_timezone);
        return false;
    }
    tzset();
    return true;
}

static int cmd_console(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"user", required_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL;
    struct console_opts co = {0};
    struct cfg_diag d = {0};
    struct config *cfg = NULL;
    struct store_lock *lock = NULL;
    struct bot_err err = {{0}};
    int c, code = EXIT_FAIL;

    optind = 1;
    while ((c = getopt_long(argc, argv, "c:u:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': path = optarg; break;
        case 'u': co.user = optarg; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "incidentd console: unexpected argument \"%s\"\n", argv[optind]);
        return EXIT_USAGE;
    }
    char uid[CONSOLE_ID_MAX], uname[CONSOLE_NAME_MAX];
    if (co.user != NULL && (!cslack_find_user(NULL, co.user, uid, uname) ||
                            strcmp(uid, CONSOLE_BOT_USER) == 0)) {
        fprintf(stderr, "incidentd console: no person called %s in the console's workspace "
                "(alice, bob, carol, dave, erin)\n", co.user);
        return EXIT_USAGE; /* before anything is created */
    }
    if (path != NULL) {
        if (cfg_load_file(path, &cfg, &d) != BOT_OK)
            goto out;
    } else {
        cfg = cfg_defaults();
        free(cfg->store_path); /* kept apart from a real deployment's database */
        cfg->store_path = xstrdup("var/console.db");
        if (mkdir("var", 0750) != 0 && errno != EEXIST) {
            fprintf(stderr, "incidentd console: cannot create var/: %s\n", strerror(errno));
            goto out;
        }
    }
    /* Logs go to stderr; below warnings they would drown the conversation. */
    log_set_level(cfg->log_level > LOG_WARN ? cfg->log_level : LOG_WARN);
    log_route_lws();
    if (!set_zone(cfg))
        goto out;
    signal(SIGPIPE, SIG_IGN);
    if (slack_api_global_init(&err) != BOT_OK) {
        log_error("cannot start", "error", err.msg);
        goto out;
    }
    if (store_lock_take(cfg->store_path, &lock, &err) != BOT_OK) {
        log_error("cannot start", "error", err.msg);
        slack_api_global_cleanup();
        goto out;
    }
    code = console_run(cfg, &co);
    store_lock_release(lock);
    slack_api_global_cleanup();
out:
    print_diag(&d);
    cfg_diag_free(&d);
    cfg_free(cfg);
    return code;
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("incidentd %s\n", INCIDENTD_VERSION);
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "console") == 0)
        return cmd_console(argc - 1, argv + 1);
    if (strcmp(cmd, "check-config") == 0)
        return cmd_check_config(argc - 1, argv + 1);
    if (strcmp(cmd, "backup") == 0)
        return cmd_backup(argc - 1, argv + 1);
    if (strcmp(cmd, "config-reference") == 0) {
        cfg_print_reference(stdout);
        return EXIT_OK;
    }
    fprintf(stderr, "incidentd: unknown command \"%s\" (try incidentd --help)\n", cmd);
    return EXIT_USAGE;
}
