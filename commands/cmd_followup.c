/*
 * `/incident followup add <text> [@owner] [due]`, `followup list`,
 * `followup done N`: plan step 9's follow-up actions, numbered per incident
 * (store_followup.h). The owner and the due date are the last words when
 * they look like one: an @mention, and YYYY-MM-DD, today, tomorrow, 3d or
 * 2w (plan_parse_due), in either order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "plan.h"
#include "slack_text.h"
#include "store_followup.h"
#include "xmalloc.h"

#define FOLLOWUP_USAGE                                                                             \
    "`/incident followup add <text> [@owner] [YYYY-MM-DD|tomorrow|3d] [INC-N]`, `/incident "     \
    "followup list [INC-N]` or `/incident followup done N [INC-N]`"

/* " · owner <@U1> · due <date>" (overdue marked) · done by. */
static void describe(struct buf *b, const struct store_followup *f, int64_t now)
{
    (void)!buf_addf(b, "%s *%d.* ", f->done_at ? ":white_check_mark:" : ":white_circle:", f->n);
    (void)!slack_text_user(b, f->text, strlen(f->text));
    if (f->owner)
        (void)!buf_addf(b, " · owner <@%s>", f->owner);
    if (f->due_at) {
        char when[40];
        plan_fmt_utc(f->due_at, when, sizeof(when));
        (void)!buf_addf(b, " · due <!date^%lld^{date_short}|%.10s>%s", (long long)(f->due_at / 1000),
                        when, !f->done_at && f->due_at < now ? " :warning: *overdue*" : "");
    }
    if (f->done_at)
        (void)!buf_addf(b, " · done by <@%s> <!date^%lld^{date_short}|then>",
                        f->done_by ? f->done_by : "?", (long long)(f->done_at / 1000));
}

static size_t chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

static enum bot_rc add(const struct cmd_call *call, const struct cmd_args *args, int argc,
                       const struct store_incident *inc, struct cmd_result *out,
                       struct bot_err *err)
{
    struct plan *p = call->plan;
    char owner[64] = "", why[400];
    int64_t due = 0;
    int end = argc;
    /* The last two words may be the owner and the due date, in either order. */
    for (int k = 0; k < 2 && end > 2; k++) {
        const char *w = args->argv[end - 1];
        if (!due) {
            enum plan_due_parse d = plan_parse_due(w, p->now_ms, p->tz_offset_min, &due, why,
                                                   sizeof(why));
            if (d == PLAN_DUE_BAD) {
                (void)!buf_addf(&out->reply, ":warning: %s; nothing changed. Usage: "
                                FOLLOWUP_USAGE, why);
                return BOT_EINVAL;
            }
            if (d == PLAN_DUE_OK) {
                end--;
                continue;
            }
        }
        if (!owner[0] && (w[0] == '@' || strncmp(w, "<@", 2) == 0)) {
            if (!plan_parse_user(w, call->user_id, owner, sizeof(owner), why, sizeof(why))) {
                (void)!buf_addf(&out->reply, ":warning: The owner: %s; nothing changed.", why);
                return BOT_EINVAL;
            }
            end--;
            continue;
        }
        break;
    }
    struct buf text;
    buf_init(&text, PLAN_MAX_FOLLOWUP_TEXT * 4 + 16);
    char *raw = cmd_args_raw(args, 2, end); /* as typed: quotes, spacing, lines */
    enum bot_rc rc = buf_addstr(&text, raw);
    free(raw);
    if (text.len == 0) {
        (void)!buf_addstr(&out->reply, ":warning: Say what should be done. Usage: "
                          FOLLOWUP_USAGE);
        buf_free(&text);
        return BOT_EINVAL;
    }
    if (rc || chars(buf_str(&text)) > PLAN_MAX_FOLLOWUP_TEXT) {
        (void)!buf_addf(&out->reply, ":warning: A follow-up is at most %d characters; nothing "
                        "changed.", PLAN_MAX_FOLLOWUP_TEXT);
        buf_free(&text);
        return BOT_EINVAL;
    }
    int64_t open = 0;
    struct store_followup *rows = NULL;
    size_t n = 0;
    rc = store_followup_list(p->store, inc->id, &rows, &n, err);
    store_followup_list_free(rows, n);
    if (rc == BOT_OK && n >= PLAN_MAX_FOLLOWUPS) {
        (void)!buf_addf(&out->reply, ":warning: INC-%lld has %d follow-ups, the most it can "
                        "have; nothing changed.", (long long)inc->id, PLAN_MAX_FOLLOWUPS);
        rc = BOT_EINVAL;
    }
    if (rc == BOT_OK && strcmp(inc->status, "closed") == 0) {
        (void)!buf_addf(&out->reply, ":warning: INC-%lld is closed; nothing changed. Track new "
                        "work where your team tracks it.", (long long)inc->id);
        rc = BOT_EINVAL;
    }
    int num = 0;
    if (rc == BOT_OK)
        rc = store_followup_add(p->store, inc->id, buf_str(&text), owner[0] ? owner : NULL, due,
                                call->user_id, p->now_ms, &num, err);
    struct buf rec;
    buf_init(&rec, PLAN_MAX_FOLLOWUP_TEXT * 8 + 400);
    (void)!buf_addf(&rec, "Follow-up %d added by <@%s>: ", num, call->user_id);
    (void)!slack_text_user(&rec, text.data, text.len);
    if (owner[0])
        (void)!buf_addf(&rec, " (owner <@%s>)", owner);
    if (due) {
        char when[40]; /* the fallback shows where Slack cannot render the date */
        plan_fmt_utc(due, when, sizeof(when));
        (void)!buf_addf(&rec, " (due <!date^%lld^{date_short}|%.10s>)", (long long)(due / 1000),
                        when);
    }
    if (rc == BOT_OK)
        rc = plan_record(p, inc, call->user_id, "followup", buf_str(&rec), err);
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0)
        rc = plan_say(p, inc, buf_str(&rec), err);
    if (rc == BOT_OK)
        rc = store_followup_count_open(p->store, inc->id, &open, err);
    if (rc == BOT_OK)
        (void)!buf_addf(&out->reply, "Added follow-up %d to INC-%lld (%lld open).", num,
                        (long long)inc->id, (long long)open);
    buf_free(&rec);
    buf_free(&text);
    return rc;
}

static enum bot_rc list(const struct cmd_call *call, const struct store_incident *inc,
                        struct cmd_result *out, struct bot_err *err)
{
    struct plan *p = call->plan;
    struct store_followup *rows = NULL;
    size_t n = 0;
    enum bot_rc rc = store_followup_list(p->store, inc->id, &rows, &n, err);
    if (rc)
        return rc;
    if (n == 0)
        (void)!buf_addf(&out->reply, "INC-%lld has no follow-ups yet. Add one with `/incident "
                        "followup add <text> [@owner] [due]`.", (long long)inc->id);
    else
        (void)!buf_addf(&out->reply, "*Follow-ups of INC-%lld:*", (long long)inc->id);
    for (size_t i = 0; i < n; i++) {
        size_t before = out->reply.len;
        (void)!buf_addstr(&out->reply, "\n");
        describe(&out->reply, &rows[i], p->now_ms);
        if (out->reply.len + 200 > out->reply.max) { /* keep room to say so */
            out->reply.len = before;
            out->reply.data[before] = '\0';
            (void)!buf_addf(&out->reply, "\n… and %zu more", n - i);
            break;
        }
    }
    store_followup_list_free(rows, n);
    return BOT_OK;
}

static enum bot_rc done(const struct cmd_call *call, const struct cmd_args *args, int argc,
                        const struct store_incident *inc, struct cmd_result *out,
                        struct bot_err *err)
{
    struct plan *p = call->plan;
    const char *w = argc == 3 ? args->argv[2] : "";
    char *end;
    long num = strtol(w, &end, 10);
    if (argc != 3 || *w < '1' || *w > '9' || *end != '\0' || num > PLAN_MAX_FOLLOWUPS * 100) {
        (void)!buf_addstr(&out->reply, ":warning: `followup done` takes the follow-up's number "
                          "(`/incident followup list` shows them). Usage: " FOLLOWUP_USAGE);
        return BOT_EINVAL;
    }
    struct store_followup *rows = NULL;
    size_t n = 0;
    enum bot_rc rc = store_followup_list(p->store, inc->id, &rows, &n, err);
    const struct store_followup *f = NULL;
    for (size_t i = 0; rc == BOT_OK && i < n; i++)
        if (rows[i].n == num)
            f = &rows[i];
    if (rc == BOT_OK && f == NULL) {
        (void)!buf_addf(&out->reply, ":warning: INC-%lld has no follow-up %ld (it has %zu; "
                        "`/incident followup list`). Nothing changed.", (long long)inc->id, num,
                        n);
        rc = BOT_EINVAL;
    } else if (rc == BOT_OK && f->done_at) {
        (void)!buf_addf(&out->reply, ":information_source: Follow-up %ld was done already: ",
                        num);
        describe(&out->reply, f, p->now_ms);
        (void)!buf_addstr(&out->reply, ". Nothing changed.");
        rc = BOT_EINVAL;
    }
    struct buf rec;
    buf_init(&rec, PLAN_MAX_FOLLOWUP_TEXT * 8 + 400);
    if (rc == BOT_OK) {
        (void)!buf_addf(&rec, "Follow-up %ld done by <@%s>: ", num, call->user_id);
        (void)!slack_text_user(&rec, f->text, strlen(f->text));
        rc = store_followup_done(p->store, inc->id, (int)num, call->user_id, p->now_ms, err);
    }
    int64_t open = 0;
    if (rc == BOT_OK)
        rc = plan_record(p, inc, call->user_id, "followup", buf_str(&rec), err);
    if (rc == BOT_OK)
        rc = store_followup_count_open(p->store, inc->id, &open, err);
    /* The hint only while it applies: over (resolved or postmortem) and not closed yet. */
    if (rc == BOT_OK && open == 0 && plan_is_over(inc) && strcmp(inc->status, "closed") != 0)
        (void)!buf_addstr(&rec, "\nEvery follow-up is done: `/incident close` closes the "
                          "incident.");
    if (rc == BOT_OK && strcmp(inc->status, "potential") != 0)
        rc = plan_say(p, inc, buf_str(&rec), err);
    if (rc == BOT_OK)
        (void)!buf_addf(&out->reply, "Done: follow-up %ld of INC-%lld (%lld still open).", num,
                        (long long)inc->id, (long long)open);
    buf_free(&rec);
    store_followup_list_free(rows, n);
    return rc;
}

static enum bot_rc followup_cmd(const struct cmd_call *call, const struct cmd_args *args,
                                struct cmd_result *out)
{
    struct bot_err err = {{0}};
    struct store_incident inc;
    int argc = args->argc;
    if (call->plan == NULL)
        return BOT_ESTATE;
    const char *verb = args->argv[1];
    /* "followup list 42" names an incident; "done 3" and a text's last number do not. */
    bool bare = strcmp(verb, "list") == 0 && argc == 3;
    enum bot_rc rc = plan_cmd_incident(call, args, &argc, bare, &inc, &out->reply, &err);
    if (rc == BOT_OK && strcmp(verb, "add") == 0) {
        if (argc < 3) {
            (void)!buf_addstr(&out->reply, ":warning: Say what should be done. Usage: "
                              FOLLOWUP_USAGE);
            rc = BOT_EINVAL;
        } else {
            rc = add(call, args, argc, &inc, out, &err);
        }
    } else if (rc == BOT_OK && strcmp(verb, "list") == 0 && argc == 2) {
        rc = list(call, &inc, out, &err);
    } else if (rc == BOT_OK && strcmp(verb, "done") == 0) {
        rc = done(call, args, argc, &inc, out, &err);
    } else if (rc == BOT_OK) {
        (void)!buf_addstr(&out->reply, ":warning: Unexpected `");
        (void)!cmd_add_user_text(&out->reply, argc > 2 && strcmp(verb, "list") == 0
                                                  ? args->argv[2] : verb);
        (void)!buf_addstr(&out->reply, "`. Usage: " FOLLOWUP_USAGE);
        rc = BOT_EINVAL;
    }
    store_incident_clear(&inc);
    return rc == BOT_ENOTFOUND ? BOT_EINVAL : rc;
}

const struct cmd_entry cmd_followup_entry = {
    .name = "followup",
    .args = "add <text> [@owner] [due] | list | done N [INC-N]",
    .summary = "step 9: follow-up actions with an owner and a due date (YYYY-MM-DD, tomorrow, 3d)",
    .min_args = 1,
    .max_args = -1,
    .handler = followup_cmd,
};
