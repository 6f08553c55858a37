/*
 * `incidentd console`: the prompt. A line is a slash command typed by the
 * current user in the current channel, a click of a numbered element, or a
 * console command (/as, /in, /users, ...). Each becomes the payload Slack
 * would send over Socket Mode and goes into the inbox, so the worker, the
 * plan and delivery do exactly what they do for Slack; the console then
 * waits until the bot has nothing due (store_queue_busy), so a script's
 * transcript reads in order. A form the bot opens is asked question by
 * question, checked like Slack's ack would check it, and submitted.
 */
#include "console.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "bot.h"
#include "bot_internal.h"
#include "log.h"
#include "slack_text.h"
#include "plan.h"
#include "store.h"
#include "store_inbox.h"
#include "store_incident.h"
#include "xmalloc.h"

#define CONSOLE_SETTLE_POLL_MS 20 /* how often the console looks whether the bot is done */
#define CONSOLE_FORM_TRIES     5  /* a form asked again at most this often after a mistake */

struct console {
    struct config *cfg;
    struct cslack *cs;
    struct bot *bot;
    struct store *store; /* the console's own connection: inbox inserts, lookups */
    pthread_t loop;
    bool loop_started;
    volatile sig_atomic_t stop;
    FILE *in, *out;
    bool tty;
    bool eof;
    int quiet_wait_ms;
    int64_t started_ms;
    long seq;
    char workspace[4096]; /* the workspace file, beside the database */
    char user[CONSOLE_ID_MAX], user_name[CONSOLE_NAME_MAX];
    char chan[CONSOLE_ID_MAX], chan_name[CONSOLE_NAME_MAX];
};

static volatile sig_atomic_t interrupted;
/* While a form is asked, Ctrl-C closes the form, not the console. */
static volatile sig_atomic_t in_form, form_interrupted;

static void on_sigint(int sig)
{
    if (sig == SIGINT && in_form)
        form_interrupted = 1;
    else
        interrupted = 1;
}

static void *loop_main(void *ud)
{
    struct console *c = ud;
    if (bot_run(c->bot, &c->stop) != BOT_OK)
        log_error("the console's bot loop stopped");
    return NULL;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR && !interrupted)
        ;
}

/* Waits until the bot has nothing due: what the last line caused is on screen. */
static void settle(struct console *c)
{
    struct bot_err err;
    int quiet = 0;
    for (int waited = 0; waited < c->quiet_wait_ms && !interrupted;
         waited += CONSOLE_SETTLE_POLL_MS) {
        int64_t busy = 0;
        if (store_queue_busy(c->store, store_now_ms(), &busy, &err) != BOT_OK)
            busy = 1; /* the database is busy: look again */
        quiet = busy == 0 ? quiet + 1 : 0;
        if (quiet >= 2)
            return;
        sleep_ms(CONSOLE_SETTLE_POLL_MS);
    }
}

/* Reads a line without its newline into line; false at the end of input. */
static bool read_line(struct console *c, const char *prompt, char *line, size_t n)
{
    if (c->tty && prompt) {
        fputs(prompt, c->out);
        fflush(c->out);
    }
    if (fgets(line, (int)n, c->in) == NULL) {
        if (c->tty && !interrupted)
            fputc('\n', c->out);
        return false;
    }
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] != '\n' && !feof(c->in)) {
        int ch; /* longer than the buffer: the rest is dropped, and said */
        while ((ch = fgetc(c->in)) != EOF && ch != '\n')
            ;
        fprintf(c->out, "(line cut to %zu bytes)\n", n - 1);
    }
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        line[--len] = '\0';
    if (!c->tty && prompt) /* a script: echo what was typed, so the transcript reads */
        fprintf(c->out, "%s%s\n", prompt, line);
    return true;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = '\0';
    return s;
}

/* Stores payload as an envelope of type, as the Socket Mode link would, and wakes the worker. */
static bool inject(struct console *c, const char *type, cJSON *payload)
{
    struct bot_err err;
    char envelope[64];
    char *json = cJSON_PrintUnformatted(payload);
    cJSON_Delete(payload);
    snprintf(envelope, sizeof(envelope), "console-%lld-%ld", (long long)c->started_ms, ++c->seq);
    enum bot_rc rc = bot_inject(c->bot, c->store, envelope, type, json, &err);
    free(json);
    if (rc != BOT_OK) {
        cslack_note(c->cs, "!! could not hand that to the bot: %s", err.msg);
        return false;
    }
    return true;
}

static void slash(struct console *c, const char *command, const char *text)
{
    char url[CONSOLE_URL_MAX], trigger[CONSOLE_URL_MAX];
    cslack_response_url(c->cs, c->user, c->chan, NULL, 0, url);
    cslack_trigger_id(c->cs, c->user, trigger);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "token", "console");
    cJSON_AddStringToObject(p, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(p, "team_domain", CONSOLE_TEAM_DOMAIN);
    cJSON_AddStringToObject(p, "channel_id", c->chan);
    cJSON_AddStringToObject(p, "channel_name", c->chan_name);
    cJSON_AddStringToObject(p, "user_id", c->user);
    cJSON_AddStringToObject(p, "user_name", c->user_name);
    cJSON_AddStringToObject(p, "command", command);
    cJSON_AddStringToObject(p, "text", text);
    cJSON_AddStringToObject(p, "api_app_id", CONSOLE_APP_ID);
    cJSON_AddStringToObject(p, "is_enterprise_install", "false");
    cJSON_AddStringToObject(p, "response_url", url);
    cJSON_AddStringToObject(p, "trigger_id", trigger);
    inject(c, "slash_commands", p);
}

/*
 * Slack turns "@alice" and "#general" in a command's text into <@U…|alice>
 * and <#C…|general> for apps that ask for it (the manifest's should_escape),
 * "@channel", "@here" and "@everyone" into <!channel>…, a link into
 * <https://…>, and &, < and > into entities; the console does the same for the workspace's names, so the
 * plan reads the same text it reads from Slack.
 */
static char *escape_mentions(struct console *c, const char *text)
{
    struct buf o;
    buf_init(&o, CONSOLE_LINE_MAX * 4);
    for (const char *p = text; *p;) {
        bool start = p == text || p[-1] == ' ' || p[-1] == '\t' || p[-1] == '(' || p[-1] == ',';
        if (start && (strncmp(p, "https://", 8) == 0 || strncmp(p, "http://", 7) == 0)) {
            size_t n = strcspn(p, " \t\n<>\"");
            while (n > 8 && strchr(".,;:!?)", p[n - 1]) != NULL)
                n--; /* "see https://x.example/a." ends a sentence */
            (void)!buf_addstr(&o, "<");
            (void)!slack_text_escape(&o, p, n);
            (void)!buf_addstr(&o, ">");
            p += n;
            continue;
        }
        if (start && (*p == '@' || *p == '#')) {
            size_t n = 1 + strspn(p + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789-_.");
            char name[CONSOLE_NAME_MAX], id[CONSOLE_ID_MAX], real[CONSOLE_NAME_MAX];
            snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1), p);
            size_t nl = strlen(name);
            while (nl > 1 && name[nl - 1] == '.') /* "@bob." ends a sentence */
                name[--nl] = '\0';
            bool found = nl > 1 && (*p == '@' ? cslack_find_user(c->cs, name, id, real)
                                              : cslack_find_channel(c->cs, name, id, real));
            if (found) {
                (void)!buf_addf(&o, "<%c%s|%s>", *p, id, real);
                p += nl;
                continue;
            }
            static const char *const special[] = {"@channel", "@here", "@everyone"};
            for (size_t i = 0; !found && i < sizeof(special) / sizeof(special[0]); i++)
                if (strcmp(name, special[i]) == 0) {
                    (void)!buf_addf(&o, "<!%s>", special[i] + 1);
                    p += nl;
                    found = true;
                }
            if (found)
                continue;
        }
        (void)!slack_text_escape(&o, p, 1);
        p++;
    }
    return buf_take(&o);
}

/* ---- forms -------------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *text_of(const cJSON *o, const char *k)
{
    const char *t = jstr(cJSON_GetObjectItemCaseSensitive(o, k), "text");
    return t ? t : "";
}

/* The value Slack would put in state.values for element e given answer; NULL: not acceptable. */
static cJSON *element_value(struct console *c, const cJSON *e, const char *answer, bool keep,
                            char *why, size_t whylen)
{
    const char *type = jstr(e, "type");
    cJSON *v = cJSON_CreateObject();
    cJSON_AddStringToObject(v, "type", type ? type : "");
    bool empty = answer[0] == '\0';
    if (type == NULL) {
        snprintf(why, whylen, "the form has an element without a type");
    } else if (strcmp(type, "plain_text_input") == 0 || strcmp(type, "number_input") == 0 ||
               strcmp(type, "url_text_input") == 0 || strcmp(type, "email_text_input") == 0) {
        const char *init = jstr(e, "initial_value");
        if (keep && init != NULL) {
            cJSON_AddStringToObject(v, "value", init);
        } else if (empty) {
            cJSON_AddNullToObject(v, "value");
        } else {
            /* "\n" typed as two characters is a line break (one line per answer here). */
            struct buf b;
            buf_init(&b, CONSOLE_LINE_MAX);
            for (const char *p = answer; *p; p++) {
                if (p[0] == '\\' && p[1] == 'n') {
                    (void)!buf_add(&b, "\n", 1);
                    p++;
                } else {
                    (void)!buf_add(&b, p, 1);
                }
            }
            cJSON_AddStringToObject(v, "value", buf_str(&b));
            buf_free(&b);
        }
        return v;
    } else if (strcmp(type, "static_select") == 0 || strcmp(type, "radio_buttons") == 0) {
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(e, "initial_option");
        const cJSON *o =
            keep    ? init
            : empty ? NULL
                    : cslack_pick_option(cJSON_GetObjectItemCaseSensitive(e, "options"), answer);
        if (!empty && !keep && o == NULL) {
            snprintf(why, whylen, "\"%s\" is not one of the options", answer);
        } else {
            cJSON_AddItemToObject(v, "selected_option",
                                  o ? cJSON_Duplicate(o, true) : cJSON_CreateNull());
            return v;
        }
    } else if (strcmp(type, "multi_static_select") == 0 || strcmp(type, "checkboxes") == 0) {
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(e, "initial_options");
        cJSON *arr = cJSON_AddArrayToObject(v, "selected_options");
        if (keep) {
            const cJSON *o;
            cJSON_ArrayForEach(o, init) cJSON_AddItemToArray(arr, cJSON_Duplicate(o, true));
            return v;
        }
        for (const char *p = answer; *p;) {
            char one[256];
            size_t n = strcspn(p, ",");
            snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
            p += n + (p[n] == ',');
            char *t = trim(one);
            if (*t == '\0')
                continue;
            const cJSON *o = cslack_pick_option(cJSON_GetObjectItemCaseSensitive(e, "options"), t);
            if (o == NULL) {
                snprintf(why, whylen, "\"%s\" is not one of the options", t);
                cJSON_Delete(v);
                return NULL;
            }
            cJSON_AddItemToArray(arr, cJSON_Duplicate(o, true));
        }
        return v;
    } else if (strcmp(type, "users_select") == 0 || strcmp(type, "multi_users_select") == 0) {
        bool multi = type[0] == 'm';
        char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
        if (!multi) {
            const char *init = jstr(e, "initial_user");
            if (keep) {
                cJSON_AddItemToObject(v, "selected_user",
                                      init ? cJSON_CreateString(init) : cJSON_CreateNull());
                return v;
            }
            if (empty) {
                cJSON_AddNullToObject(v, "selected_user");
                return v;
            }
            if (cslack_find_user(c->cs, answer, id, name)) {
                cJSON_AddStringToObject(v, "selected_user", id);
                return v;
            }
            snprintf(why, whylen, "nobody called %s here (/users lists them)", answer);
        } else {
            cJSON *arr = cJSON_AddArrayToObject(v, "selected_users");
            if (keep) {
                const cJSON *u;
                cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(e, "initial_users"))
                    cJSON_AddItemToArray(arr, cJSON_Duplicate(u, true));
                return v;
            }
            for (const char *p = answer; *p;) {
                char one[CONSOLE_NAME_MAX];
                size_t n = strcspn(p, ", ");
                snprintf(one, sizeof(one), "%.*s", (int)(n < sizeof(one) ? n : sizeof(one) - 1), p);
                p += n + (p[n] != '\0');
                if (one[0] == '\0')
                    continue;
                if (!cslack_find_user(c->cs, one, id, name)) {
                    snprintf(why, whylen, "nobody called %s here (/users lists them)", one);
                    cJSON_Delete(v);
                    return NULL;
                }
                cJSON_AddItemToArray(arr, cJSON_CreateString(id));
            }
            return v;
        }
    } else if (strcmp(type, "datetimepicker") == 0) {
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(e, "initial_date_time");
        if (keep || empty) {
            if (keep && cJSON_IsNumber(init))
                cJSON_AddNumberToObject(v, "selected_date_time", init->valuedouble);
            else
                cJSON_AddNullToObject(v, "selected_date_time");
            return v;
        }
        struct tm tm;
        char tail[2];
        memset(&tm, 0, sizeof(tm));
        if (sscanf(answer, "%d-%d-%d %d:%d%1s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                   &tm.tm_min, tail) == 5 &&
            tm.tm_mon >= 1 && tm.tm_mon <= 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
            tm.tm_hour >= 0 && tm.tm_hour <= 23 && tm.tm_min >= 0 && tm.tm_min <= 59) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            tm.tm_isdst = -1;
            time_t t = mktime(&tm); /* TZ is [incident] timezone (set at start) */
            cJSON_AddNumberToObject(v, "selected_date_time", (double)t);
            return v;
        }
        snprintf(why, whylen, "write a date and time as YYYY-MM-DD HH:MM");
    } else if (strcmp(type, "datepicker") == 0 || strcmp(type, "timepicker") == 0) {
        bool date = type[0] == 'd';
        const char *key = date ? "selected_date" : "selected_time";
        const char *init = jstr(e, date ? "initial_date" : "initial_time");
        if (keep || empty) {
            if (keep && init)
                cJSON_AddStringToObject(v, key, init);
            else
                cJSON_AddNullToObject(v, key);
            return v;
        }
        cJSON_AddStringToObject(v, key, answer);
        return v;
    } else {
        snprintf(why, whylen, "the console cannot fill in a %s", type);
    }
    cJSON_Delete(v);
    return NULL;
}

/* How an element's question reads: its options, its current value. */
static void describe(struct console *c, const cJSON *e, char *cur, size_t curlen)
{
    const char *type = jstr(e, "type");
    cur[0] = '\0';
    if (type == NULL)
        return;
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(e, "options");
    if (cJSON_IsArray(opts)) {
        const cJSON *o;
        int i = 1;
        cJSON_ArrayForEach(o, opts) fprintf(c->out, "      %d) %s\n", i++, text_of(o, "text"));
    }
    const char *s = jstr(e, "initial_value");
    const cJSON *io = cJSON_GetObjectItemCaseSensitive(e, "initial_option");
    const char *iu = jstr(e, "initial_user");
    if (s != NULL)
        snprintf(cur, curlen, "%s", s);
    else if (io != NULL)
        snprintf(cur, curlen, "%s", text_of(io, "text"));
    else if (iu != NULL) {
        char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
        snprintf(cur, curlen, "@%s", cslack_find_user(c->cs, iu, id, name) ? name : iu);
    } else if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(e, "initial_options"))) {
        const cJSON *o;
        size_t len = 0;
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(e, "initial_options"))
        {
            int w = snprintf(cur + len, curlen - len, "%s%s", len ? ", " : "", text_of(o, "text"));
            if (w < 0 || (size_t)w >= curlen - len)
                break;
            len += (size_t)w;
        }
    } else if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "initial_date_time"))) {
        time_t t = (time_t)cJSON_GetObjectItemCaseSensitive(e, "initial_date_time")->valuedouble;
        struct tm tm;
        localtime_r(&t, &tm);
        strftime(cur, curlen, "%Y-%m-%d %H:%M", &tm);
    }
    if (strcmp(type, "users_select") == 0)
        fputs("      (a person: @name)\n", c->out);
    else if (strcmp(type, "multi_users_select") == 0)
        fputs("      (people: @name @name ...)\n", c->out);
    else if (strcmp(type, "multi_static_select") == 0 || strcmp(type, "checkboxes") == 0)
        fputs("      (any of them: numbers or names, comma-separated)\n", c->out);
    else if (strcmp(type, "datetimepicker") == 0)
        fputs("      (YYYY-MM-DD HH:MM)\n", c->out);
}

/* Asks one input block; false when the form is given up (end of input, /cancel). */
static bool ask(struct console *c, const cJSON *block, cJSON *values, const char *error)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(block, "element");
    const char *block_id = jstr(block, "block_id");
    const char *action_id = jstr(e, "action_id");
    bool optional = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(block, "optional"));
    char line[CONSOLE_LINE_MAX], cur[1024], why[256], prompt[1100];
    if (block_id == NULL || action_id == NULL) {
        fputs("   (a question without block_id or action_id is skipped)\n", c->out);
        return true;
    }
    for (int tries = 0; tries < CONSOLE_FORM_TRIES; tries++) {
        fprintf(c->out, "   %s%s\n", text_of(block, "label"), optional ? " (optional)" : "");
        const char *hint = text_of(block, "hint");
        if (hint[0])
            fprintf(c->out, "      %s\n", hint);
        if (error != NULL) {
            fprintf(c->out, "      !! %s\n", error);
            error = NULL;
        }
        describe(c, e, cur, sizeof(cur));
        if (strchr(cur, '\n') != NULL || strlen(cur) > 60) {
            fputs("      now:\n", c->out);
            for (const char *p = cur; *p;) {
                size_t n = strcspn(p, "\n");
                fprintf(c->out, "      | %.*s\n", (int)n, p);
                p += n + (p[n] == '\n');
            }
            snprintf(prompt, sizeof(prompt), "   [Enter keeps it, - clears it] > ");
        } else {
            snprintf(prompt, sizeof(prompt), "   %s%s%s> ", cur[0] ? "[" : "", cur,
                     cur[0] ? "; Enter keeps it, - clears it] " : "");
        }
        fflush(c->out);
        if (!read_line(c, prompt, line, sizeof(line))) {
            if (form_interrupted) { /* Ctrl-C: the read was cut; the terminal goes on */
                form_interrupted = 0;
                clearerr(c->in);
                fputs("   (Ctrl-C)\n", c->out);
            }
            return false;
        }
        char *a = trim(line);
        if (strcmp(a, "/cancel") == 0)
            return false;
        if (a[0] == '/') { /* a command typed into a form is not an answer */
            error = "that looks like a command, not an answer: finish the form first, or "
                    "/cancel it";
            continue;
        }
        bool keep = a[0] == '\0' && cur[0] != '\0';
        if (strcmp(a, "-") == 0)
            a[0] = '\0';
        if (!optional && !keep && a[0] == '\0') { /* Slack's form does not send it empty */
            error = "this question needs an answer (/cancel closes the form)";
            continue;
        }
        why[0] = '\0';
        cJSON *v = element_value(c, e, a, keep, why, sizeof(why));
        if (v == NULL) {
            error = why;
            continue;
        }
        cJSON *blk = cJSON_GetObjectItemCaseSensitive(values, block_id);
        if (blk == NULL)
            blk = cJSON_AddObjectToObject(values, block_id);
        cJSON_DeleteItemFromObjectCaseSensitive(blk, action_id);
        cJSON_AddItemToObject(blk, action_id, v);
        return true;
    }
    fputs("   !! too many tries\n", c->out);
    return false;
}

static cJSON *submission(struct console *c, const cJSON *view, cJSON *values)
{
    char trigger[CONSOLE_URL_MAX];
    cslack_trigger_id(c->cs, c->user, trigger);
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "view_submission");
    cJSON *team = cJSON_AddObjectToObject(p, "team");
    cJSON_AddStringToObject(team, "id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(team, "domain", CONSOLE_TEAM_DOMAIN);
    cJSON *u = cJSON_AddObjectToObject(p, "user");
    cJSON_AddStringToObject(u, "id", c->user);
    cJSON_AddStringToObject(u, "username", c->user_name);
    cJSON_AddStringToObject(u, "name", c->user_name);
    cJSON_AddStringToObject(u, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(p, "api_app_id", CONSOLE_APP_ID);
    cJSON_AddStringToObject(p, "token", "console");
    cJSON_AddStringToObject(p, "trigger_id", trigger);
    cJSON *v = cJSON_Duplicate(view, true);
    cJSON_DeleteItemFromObjectCaseSensitive(v, "state");
    cJSON_AddStringToObject(v, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(v, "app_id", CONSOLE_APP_ID);
    cJSON_AddStringToObject(v, "bot_id", CONSOLE_BOT_ID);
    if (jstr(v, "private_metadata") == NULL)
        cJSON_AddStringToObject(v, "private_metadata", "");
    cJSON_AddItemToObject(cJSON_AddObjectToObject(v, "state"), "values",
                          cJSON_Duplicate(values, true));
    cJSON_AddItemToObject(p, "view", v);
    cJSON_AddItemToObject(p, "response_urls", cJSON_CreateArray());
    return p;
}

/* Asks the form's questions, checks the answers as Slack's ack would, and submits. */
static void run_form(struct console *c, cJSON *view)
{
    cJSON *values = cJSON_CreateObject();
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(view, "blocks");
    const cJSON *errors = NULL;
    cJSON *check = NULL;
    bool ok = true;
    fprintf(c->out,
            "== form: %s (answer each question; Enter keeps what is shown in [ ], "
            "/cancel or Ctrl-C closes the form) ==\n",
            text_of(view, "title"));
    in_form = 1;
    form_interrupted = 0;
    for (int round = 0; ok && round < CONSOLE_FORM_TRIES; round++) {
        const cJSON *b;
        cJSON_ArrayForEach(b, blocks)
        {
            const char *type = jstr(b, "type");
            if (type == NULL || !ok)
                continue;
            if (strcmp(type, "input") != 0) {
                const cJSON *t =
                    strcmp(type, "context") == 0
                        ? cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "elements"), 0)
                        : cJSON_GetObjectItemCaseSensitive(b, "text");
                for (const char *p = round == 0 ? jstr(t, "text") : NULL; p && *p;) {
                    size_t n = strcspn(p, "\n");
                    fprintf(c->out, "   %.*s\n", (int)n, p);
                    p += n + (p[n] == '\n');
                }
                continue;
            }
            const char *id = jstr(b, "block_id");
            const char *error = errors && id ? jstr(errors, id) : NULL;
            if (errors != NULL && error == NULL)
                continue; /* a second round asks only what was wrong */
            ok = ask(c, b, values, error);
        }
        if (!ok)
            break;
        cJSON *p = submission(c, view, values);
        cJSON_Delete(check);
        check = NULL;
        plan_check_submission(p, &check);
        errors = check ? cJSON_GetObjectItemCaseSensitive(check, "errors") : NULL;
        if (errors == NULL) {
            fprintf(c->out, "   (%s)\n",
                    text_of(view, "submit")[0] ? text_of(view, "submit") : "Submit");
            inject(c, "interactive", p);
            cJSON_Delete(values);
            in_form = 0;
            return;
        }
        cJSON_Delete(p);
        fputs("   The form stays open: Slack shows these under their fields.\n", c->out);
        const cJSON *e;
        cJSON_ArrayForEach(e, errors)
        {
            if (cJSON_IsString(e))
                fprintf(c->out, "      !! %s\n", e->valuestring);
        }
    }
    cJSON_Delete(check);
    cJSON_Delete(values);
    in_form = 0;
    fputs("-- form closed; nothing was sent and nothing changed\n", c->out);
    fflush(c->out);
}

/* ---- commands ---------------------------------------------------------------------------------
 */

static void help(struct console *c)
{
    fputs("Type what you would type in Slack, as the user and in the channel shown:\n"
          "  /incident ...          the bot's command (/incident help lists it)\n"
          "  N [choice]             click button or menu [N] (a menu needs a choice: its\n"
          "                         number, value or name; a person menu needs @name)\n"
          "  /click LABEL[: choice] the same by label, newest first (for scripts)\n"
          "Console commands:\n"
          "  /as @name              act as someone else (/users lists the workspace)\n"
          "  /in #channel | INC-N   go to a channel (INC-N: that incident's channel;\n"
          "                         last: the channel the bot created last)\n"
          "  /users  /channels      the workspace's people and channels\n"
          "  /show [N]              the last N messages of the current channel (10)\n"
          "  /wait SECONDS          let time pass (reminders that fall due appear)\n"
          "  /page                  where the status page (and /healthz, /metrics) is\n"
          "  /help                  this; /quit (or Ctrl-D) leaves\n"
          "In a form, each question is asked in turn; /cancel closes it.\n",
          c->out);
    fflush(c->out);
}

static bool go_to(struct console *c, const char *where)
{
    char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
    long long n = 0;
    char tail[4];
    if (sscanf(where, "INC-%lld%3s", &n, tail) == 1 ||
        sscanf(where, "inc-%lld%3s", &n, tail) == 1) {
        struct store_incident inc;
        struct bot_err err;
        store_incident_init(&inc);
        enum bot_rc rc = store_incident_get(c->store, n, &inc, &err);
        bool have = rc == BOT_OK && inc.channel_id != NULL &&
                    cslack_find_channel(c->cs, inc.channel_id, id, name);
        store_incident_clear(&inc);
        if (!have) {
            fprintf(c->out, "!! INC-%lld %s\n", n,
                    rc == BOT_OK ? "has no channel (yet)" : "does not exist");
            return false;
        }
    } else if (!cslack_find_channel(c->cs, where, id, name)) {
        fprintf(c->out, "!! no channel %s (/channels lists them)\n", where);
        return false;
    }
    snprintf(c->chan, sizeof(c->chan), "%s", id);
    snprintf(c->chan_name, sizeof(c->chan_name), "%s", name);
    fprintf(c->out, "-- you are in #%s\n", c->chan_name);
    return true;
}

/* A host to connect to for a listening one: a wildcard is reached on loopback. */
static const char *reach(const char *host)
{
    return strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" : host;
}

static void page_url(struct console *c)
{
    fprintf(c->out, "-- status page: http://%s:%d/  (JSON: /api/v2/summary.json)\n",
            reach(c->cfg->http_host), bot_http_port(c->bot));
    fprintf(c->out, "-- health and metrics (internal): http://%s:%d/healthz and /metrics\n",
            reach(c->cfg->http_internal_host), bot_internal_port(c->bot));
}

/* One line of input; false to stop. */
static bool handle(struct console *c, char *line)
{
    char *s = trim(line);
    char word[64];
    if (s[0] == '\0' || s[0] == '#')
        return true; /* blank, or a comment of a script */
    size_t wl = strcspn(s, " \t");
    snprintf(word, sizeof(word), "%.*s", (int)(wl < sizeof(word) ? wl : sizeof(word) - 1), s);
    char *rest = trim(s + wl);

    if ((word[0] >= '0' && word[0] <= '9') || strcmp(word, "/click") == 0) {
        char *end = NULL;
        long n = 0;
        char why[256];
        cJSON *p = NULL;
        if (word[0] == '/') { /* /click LABEL[: choice] */
            char *colon = strchr(rest, ':');
            if (colon != NULL)
                *colon = '\0';
            n = cslack_find_click(c->cs, trim(rest), c->user);
            if (n == 0) {
                fprintf(c->out, "!! no button or menu labelled \"%s\" on your screen\n", rest);
                return true;
            }
            rest = colon ? trim(colon + 1) : rest + strlen(rest);
        } else if ((n = strtol(word, &end, 10)), *end != '\0') {
            fprintf(c->out, "!! \"%s\" is not a number; type /help\n", word);
            return true;
        }
        if (cslack_click(c->cs, n, rest, c->user, &p, why, sizeof(why)) != BOT_OK) {
            fprintf(c->out, "!! %s\n", why);
            return true;
        }
        inject(c, "interactive", p);
        return true;
    }
    if (strcmp(word, "/incident") == 0) {
        char *text = escape_mentions(c, rest);
        slash(c, "/incident", text);
        free(text);
        return true;
    }
    if (strcmp(word, "/quit") == 0 || strcmp(word, "/exit") == 0)
        return false;
    if (strcmp(word, "/help") == 0) {
        help(c);
    } else if (strcmp(word, "/as") == 0) {
        char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
        if (rest[0] == '\0' || !cslack_find_user(c->cs, rest, id, name) ||
            strcmp(id, CONSOLE_BOT_USER) == 0) {
            fprintf(c->out, "!! /as needs a person of the workspace, e.g. /as @bob (/users)\n");
        } else {
            snprintf(c->user, sizeof(c->user), "%s", id);
            snprintf(c->user_name, sizeof(c->user_name), "%s", name);
            fprintf(c->out, "-- you are @%s\n", c->user_name);
        }
    } else if (strcmp(word, "/in") == 0 || strcmp(word, "/channel") == 0) {
        if (rest[0] == '\0')
            fprintf(c->out, "!! /in needs a channel, e.g. /in #general or /in INC-1\n");
        else
            go_to(c, rest);
    } else if (strcmp(word, "/users") == 0) {
        cslack_list_users(c->cs);
    } else if (strcmp(word, "/channels") == 0) {
        cslack_list_channels(c->cs);
    } else if (strcmp(word, "/show") == 0) {
        long n = rest[0] ? strtol(rest, NULL, 10) : 10;
        cslack_show_channel(c->cs, c->chan, n > 0 && n <= 1000 ? (int)n : 10);
    } else if (strcmp(word, "/wait") == 0) {
        char *end;
        long secs = strtol(rest, &end, 10);
        if (rest[0] == '\0' || *end != '\0' || secs < 0 || secs > 3600) {
            fprintf(c->out, "!! /wait needs seconds, 0 to 3600\n");
        } else {
            for (long i = 0; i < secs * 10 && !interrupted; i++)
                sleep_ms(100);
        }
    } else if (strcmp(word, "/page") == 0) {
        page_url(c);
    } else if (word[0] == '/') {
        fprintf(c->out,
                "!! unknown command %s: the bot's command is /incident; /help lists "
                "the console's\n",
                word);
    } else {
        fprintf(c->out, "!! the console does not post chat messages; type /incident ..., a "
                        "number to click, or /help\n");
    }
    fflush(c->out);
    return true;
}

static void save(struct console *c)
{
    struct bot_err err;
    if (cslack_save(c->cs, c->workspace, &err) != BOT_OK)
        cslack_note(c->cs, "!! cannot keep the workspace for the next run: %s", err.msg);
}

/* Forms that opened for the current user are asked now, oldest first. */
static void forms(struct console *c)
{
    cJSON *view;
    while (!c->eof && !interrupted && (view = cslack_take_view(c->cs, c->user)) != NULL) {
        run_form(c, view);
        cJSON_Delete(view);
        if (feof(c->in) && c->tty)
            clearerr(c->in); /* Ctrl-D closed the form; the prompt goes on */
        else if (feof(c->in))
            c->eof = true; /* a script ended inside a form */
        settle(c);
    }
}

int console_run(struct config *cfg, const struct console_opts *o)
{
    struct console con;
    struct console *c = &con;
    struct bot_err err;
    struct store_opts so;
    int code = 1;
    char line[CONSOLE_LINE_MAX], prompt[CONSOLE_NAME_MAX * 2 + 160];

    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->in = o->in ? o->in : stdin;
    c->out = o->out ? o->out : stdout;
    c->tty = isatty(fileno(c->in)) && isatty(fileno(c->out));
    c->quiet_wait_ms = o->quiet_wait_ms > 0 ? o->quiet_wait_ms : 15000;
    c->started_ms = store_now_ms();
    c->cs = cslack_new(c->out);
    const char *who = o->user ? o->user : "alice";
    char name[CONSOLE_NAME_MAX];
    if (!cslack_find_user(c->cs, who, c->user, c->user_name) ||
        strcmp(c->user, CONSOLE_BOT_USER) == 0) {
        fprintf(stderr,
                "incidentd console: no person called %s in the console's workspace "
                "(alice, bob, carol, dave, erin)\n",
                who);
        cslack_free(c->cs);
        return 2;
    }
    if (!cslack_find_channel(c->cs, "general", c->chan, name))
        abort(); /* the default workspace has it */
    snprintf(c->chan_name, sizeof(c->chan_name), "%s", name);

    /* The workspace's channels where the configuration names none. */
    char id[CONSOLE_ID_MAX];
    if (cfg->slack_announce_channel[0] == '\0' &&
        cslack_find_channel(c->cs, "incidents", id, name)) {
        free(cfg->slack_announce_channel);
        cfg->slack_announce_channel = xstrdup(id);
    }
    if (cfg->slack_support_channel[0] == '\0' && cslack_find_channel(c->cs, "support", id, name)) {
        free(cfg->slack_support_channel);
        cfg->slack_support_channel = xstrdup(id);
    }
    if (snprintf(c->workspace, sizeof(c->workspace), "%s.workspace.json", cfg->store_path) >=
        (int)sizeof(c->workspace)) {
        fprintf(stderr, "incidentd console: [store] path is too long\n");
        goto out;
    }
    if (cslack_load(c->cs, c->workspace, &err) != BOT_OK) {
        fprintf(stderr, "incidentd console: %s\n", err.msg);
        goto out;
    }
    cfg->slack_local = cslack_local(c->cs);
    if (cfg->slack_bot_token == NULL) /* the workspace asks for none; the client wants one */
        cfg->slack_bot_token = xstrdup("xoxb-console");

    if (bot_open(cfg, &c->bot, &err) != BOT_OK) {
        fprintf(stderr, "incidentd console: cannot start: %s\n", err.msg);
        goto out;
    }
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    if (store_open_opts(cfg->store_path, &so, &c->store, &err) != BOT_OK) {
        fprintf(stderr, "incidentd console: cannot open the database: %s\n", err.msg);
        goto out;
    }
    if (pthread_create(&c->loop, NULL, loop_main, c) != 0) {
        fprintf(stderr, "incidentd console: cannot start the bot's loop\n");
        goto out;
    }
    c->loop_started = true;

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint; /* no SA_RESTART: Ctrl-C ends a waiting read */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    fprintf(c->out,
            "incidentd %s console: the terminal is the Slack workspace.\n"
            "database: %s\n",
            INCIDENTD_VERSION, cfg->store_path);
    page_url(c);
    fprintf(c->out,
            "-- you are @%s in #%s; /help lists what you can type; try "
            "/incident declare\n",
            c->user_name, c->chan_name);
    fflush(c->out);
    settle(c); /* the directory sync and whatever a previous run left due */

    while (!interrupted) {
        snprintf(prompt, sizeof(prompt), "%s in #%s> ", c->user_name, c->chan_name);
        if (!read_line(c, prompt, line, sizeof(line))) {
            c->eof = true;
            break;
        }
        if (!handle(c, line))
            break;
        settle(c);
        forms(c);
        save(c);
        if (c->eof)
            break;
    }
    if (cslack_has_view(c->cs, c->user))
        fputs("-- a form was left open; nothing of it was sent\n", c->out);
    fputs("-- bye\n", c->out);
    fflush(c->out);
    code = 0;
out:
    c->stop = 1;
    if (c->loop_started)
        pthread_join(c->loop, NULL);
    store_close(c->store);
    bot_close(c->bot); /* delivery has stopped: the workspace changes no more */
    if (c->bot != NULL)
        save(c);
    cslack_free(c->cs);
    cfg->slack_local = NULL;
    return code;
}
