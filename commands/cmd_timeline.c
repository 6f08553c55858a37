/*
 * `/incident timeline [INC-N]`: the incident's record (time, actor, kind,
 * text), oldest first and newest last, for the one who asks. Slack takes at
 * most 3000 characters in a section and 12000 in a message, so the entries
 * are packed into sections under the first bound and, when they are more
 * than the second allows, the oldest are left out and counted
 * ("… N earlier entries"). Bytes are counted: never fewer than Slack's
 * characters.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmd.h"
#include "plan.h"
#include "render.h"
#include "slack_text.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define TIMELINE_ENTRY_MAX   700   /* bytes of one entry's text shown */
#define TIMELINE_SECTION_MAX 2900  /* bytes of a section (Slack: 3000 characters) */
#define TIMELINE_TOTAL_MAX   10500 /* bytes of every line together (Slack: 12000 a message) */
#define TIMELINE_TITLE_MAX   150   /* bytes of the title in the heading, before escaping */

/*
 * The first max bytes (or fewer) of mrkdwn s, never inside a character, a
 * <...> link or mention, or an &entity;, with "…" when cut and newlines
 * turned into blanks (one entry, one line). Caller frees.
 */
static char *cut_mrkdwn(const char *s, size_t max)
{
    size_t n = strlen(s);
    bool cut = n > max;
    if (cut) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
        for (size_t i = n; i-- > 0;) {
            if (s[i] == '>' || s[i] == ';')
                break;
            if (s[i] == '<' || s[i] == '&') {
                n = i;
                break;
            }
        }
    }
    char *out = xmalloc(n + sizeof("…"));
    memcpy(out, s, n);
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\n' || out[i] == '\r')
            out[i] = ' ';
    memcpy(out + n, cut ? "…" : "", cut ? sizeof("…") : 1);
    return out;
}

/* One entry as a line of mrkdwn; caller frees. */
static char *entry_line(const struct store_timeline_entry *e)
{
    char when[32] = "?";
    time_t secs = (time_t)(e->at / 1000);
    struct tm tm;
    if (gmtime_r(&secs, &tm) != NULL)
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M UTC", &tm);
    char *text = cut_mrkdwn(e->text ? e->text : "", TIMELINE_ENTRY_MAX);
    char *who = e->actor && e->actor[0] ? xasprintf("<@%s>", e->actor) : xstrdup("incidentd");
    char *kind = strcmp(e->kind, "status") == 0 && e->status
                     ? xasprintf("*status → %s*%s", e->status, e->public ? " (public)" : "")
                     : xasprintf("*%s*", e->kind);
    char *line = xasprintf("<!date^%lld^{date_short} {time}|%s> · %s · %s%s%s", (long long)secs,
                           when, who, kind, text[0] ? ": " : "", text);
    free(kind);
    free(who);
    free(text);
    return line;
}

static cJSON *section(const char *text)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON *t = cJSON_AddObjectToObject(b, "text");
    cJSON_AddStringToObject(t, "type", "mrkdwn");
    cJSON_AddStringToObject(t, "text", text);
    return b;
}

static enum bot_rc timeline_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                struct cmd_result *out)
{
    struct plan *p = call->plan;
    struct bot_err err = {{0}};
    struct store_incident inc;
    struct store_timeline_entry *rows = NULL;
    size_t n = 0;
    int argc = args->argc;
    if (p == NULL)
        return BOT_ESTATE;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, true, &inc, &out->reply, &err);
    if (rc == BOT_OK && argc > 1) {
        (void)!buf_addstr(&out->reply, ":warning: `");
        (void)!cmd_add_user_text(&out->reply, args->argv[1]);
        (void)!buf_addstr(&out->reply, "` is not an incident. Usage: `/incident timeline "
                                       "[INC-N]`");
        rc = BOT_EINVAL;
    }
    if (rc == BOT_OK)
        rc = store_timeline_list(p->store, inc.id, 0, &rows, &n, &err);
    if (rc == BOT_OK && n == 0) {
        (void)!buf_addf(&out->reply, "INC-%lld has nothing on its timeline yet.",
                        (long long)inc.id);
    } else if (rc == BOT_OK) {
        /* The newest entries that fit, counted from the end. */
        char **lines = xcalloc(n, sizeof(*lines));
        size_t first = n, total = 0;
        while (first > 0) {
            char *l = entry_line(&rows[first - 1]);
            if (total + strlen(l) + 1 > TIMELINE_TOTAL_MAX) {
                free(l);
                break;
            }
            total += strlen(l) + 1;
            lines[--first] = l;
        }
        struct buf b, title;
        buf_init(&b, TIMELINE_SECTION_MAX);
        buf_init(&title, TIMELINE_TITLE_MAX * 5);
        char *plain = slack_text_title_dup(inc.title, 4096); /* a label: pings nobody */
        char *t = cut_mrkdwn(plain, TIMELINE_TITLE_MAX);
        (void)!buf_addstr(&title, t);
        free(t);
        free(plain);
        cJSON *blocks = cJSON_CreateArray();
        (void)!buf_addf(&b, "*Timeline of INC-%lld: %s* · %zu entr%s", (long long)inc.id,
                        buf_str(&title), n, n == 1 ? "y" : "ies");
        if (first > 0)
            (void)!buf_addf(&b, "\n_… %zu earlier entr%s, left out to fit in Slack_", first,
                            first == 1 ? "y" : "ies");
        cJSON_AddItemToArray(blocks, section(buf_str(&b)));
        buf_reset(&b);
        for (size_t i = first; i < n; i++) {
            if (b.len > 0 && b.len + 1 + strlen(lines[i]) > TIMELINE_SECTION_MAX) {
                cJSON_AddItemToArray(blocks, section(buf_str(&b)));
                buf_reset(&b);
            }
            (void)!buf_addf(&b, "%s%s", b.len ? "\n" : "", lines[i]); /* a line < the bound */
        }
        if (b.len > 0)
            cJSON_AddItemToArray(blocks, section(buf_str(&b)));
        char *fallback = xasprintf("Timeline of INC-%lld: %zu entr%s", (long long)inc.id, n,
                                   n == 1 ? "y" : "ies");
        rc = plan_respond(p, call->response_url, fallback, blocks, false, &err);
        free(fallback);
        buf_free(&title);
        buf_free(&b);
        for (size_t i = first; i < n; i++)
            free(lines[i]);
        free(lines);
    }
    store_timeline_list_free(rows, n);
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_timeline_entry = {
    .name = "timeline",
    .args = "[INC-N]",
    .summary = "show the incident's record: who did what, when",
    .min_args = 0,
    .max_args = 1,
    .handler = timeline_cmd,
};
