/*
 * The checklist blocks and the public postmortem modal (see render_steps.h).
 * The bounded, character-counted text helpers of render.c are static there;
 * the few this file needs are repeated below in their simplest form (cut
 * user text at a character boundary with "…", invalid UTF-8 as U+FFFD,
 * control characters as blanks, & < > escaped in mrkdwn) rather than
 * widening render.h for them.
 */
#include "render_steps.h"

#include "slack_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "xmalloc.h"
#include "utf8.h"

/* ---- bounded text ---- */

enum mode {
    PLAIN,  /* shown literally */
    MRKDWN, /* user text inside mrkdwn: & < > escaped */
};

/* What the input character at s[i] becomes: bytes p[0..bytes), chars counted, adv consumed. */
struct piece {
    const char *p;
    size_t bytes, chars, adv;
};

static struct piece piece_at(const char *s, size_t n, size_t i, enum mode mode)
{
    unsigned char c = (unsigned char)s[i];
    size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
    if (l == 0)
        return (struct piece){"\xef\xbf\xbd", 3, 1, 1};
    if (l > 1)
        return (struct piece){s + i, l, l == 4 ? 2 : 1, l}; /* Slack counts UTF-16 units */
    if (mode == MRKDWN && c == '&')
        return (struct piece){"&amp;", 5, 5, 1};
    if (mode == MRKDWN && c == '<')
        return (struct piece){"&lt;", 4, 4, 1};
    if (mode == MRKDWN && c == '>')
        return (struct piece){"&gt;", 4, 4, 1};
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        return (struct piece){" ", 1, 1, 1};
    return (struct piece){s + i, 1, 1, 1};
}

/* Characters of s (our own text) as Slack counts them. */
static size_t count_chars(const char *s)
{
    size_t n = strlen(s), chars = 0;
    for (size_t i = 0; i < n;) {
        struct piece pc = piece_at(s, n, i, PLAIN);
        chars += pc.chars;
        i += pc.adv;
    }
    return chars;
}

/* Appends s in mode to b, at most cap characters (a cut text ends with "…"); returns chars. */
static size_t add_cut(struct buf *b, const char *s, enum mode mode, size_t cap, enum bot_rc *rc)
{
    size_t n = s ? strlen(s) : 0, total = 0, used = 0;
    struct piece pc;
    for (size_t i = 0; i < n; i += pc.adv) {
        pc = piece_at(s, n, i, mode);
        total += pc.chars;
    }
    bool cut = total > cap;
    size_t budget = cut ? (cap > 0 ? cap - 1 : 0) : total;
    for (size_t i = 0; i < n && *rc == BOT_OK; i += pc.adv) {
        pc = piece_at(s, n, i, mode);
        if (pc.chars > budget)
            break; /* an entity or a character is never split */
        budget -= pc.chars;
        used += pc.chars;
        *rc = buf_add(b, pc.p, pc.bytes);
    }
    if (cut && cap > 0 && *rc == BOT_OK) {
        *rc = buf_addstr(b, "…");
        used++;
    }
    return used;
}

/* A copy of s cut to max characters in mode; caller frees. */
static char *cut_dup(const char *s, enum mode mode, size_t max)
{
    struct buf b;
    enum bot_rc rc = BOT_OK;
    buf_init(&b, max * 5 + 16); /* "&amp;" is 5 bytes for one character */
    (void)add_cut(&b, s, mode, max, &rc);
    char *out = rc ? xstrdup("") : buf_take(&b);
    buf_free(&b);
    return out;
}

static cJSON *plain_text(const char *text, size_t max)
{
    char *s = cut_dup(text, PLAIN, max);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "plain_text");
    cJSON_AddStringToObject(o, "text", s);
    cJSON_AddBoolToObject(o, "emoji", 1);
    free(s);
    return o;
}

static cJSON *mrkdwn(const char *text)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "mrkdwn");
    cJSON_AddStringToObject(o, "text", text);
    return o;
}

/* A Slack user id: upper-case letters and digits, at most RENDER_MAX_USER_ID. */
static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > RENDER_MAX_USER_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'A' && id[i] <= 'Z') || (id[i] >= '0' && id[i] <= '9')))
            return false;
    return true;
}

/* Slack's date token with a UTC fallback. */
static enum bot_rc add_date(struct buf *b, int64_t ms)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char when[64];
    if (ms <= 0 || gmtime_r(&secs, &tm) == NULL ||
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0)
        return buf_addstr(b, "_unknown_");
    return buf_addf(b, "<!date^%" PRId64 "^{date_short_pretty} {time}|%s>", ms / 1000, when);
}

/* ---- the checklist ---- */

static cJSON *add_block(cJSON *blocks, const char *type, int64_t id, const char *part)
{
    char bid[64];
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", type);
    int n = snprintf(bid, sizeof bid, "inc%" PRId64 "_%s", id, part);
    if (n > 0 && (size_t)n < sizeof bid)
        cJSON_AddStringToObject(b, "block_id", bid);
    cJSON_AddItemToArray(blocks, b);
    return b;
}

static cJSON *button(const char *text, const char *action_id, const char *value, const char *style)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "button");
    cJSON_AddStringToObject(o, "action_id", action_id);
    cJSON_AddItemToObject(o, "text", plain_text(text, RENDER_MAX_BUTTON_TEXT));
    cJSON_AddStringToObject(o, "value", value);
    if (style != NULL)
        cJSON_AddStringToObject(o, "style", style);
    return o;
}

/* One step's section text: its state, who and when, and the detail line. */
static enum bot_rc step_text(const struct render_checklist *c, int i, struct buf *b)
{
    const struct render_step *s = &c->steps[i];
    int step = i + 1;
    bool current = step == c->pointer && !s->done;
    const char *emoji = s->skipped ? ":fast_forward:" : s->done ? ":white_check_mark:"
                        : current ? ":arrow_right:" : ":white_circle:";
    enum bot_rc rc = buf_addf(b, "%s *%d. %s*", emoji, step, render_step_name(step));
    if (rc == BOT_OK && s->done) {
        rc = buf_addstr(b, s->skipped ? " — skipped by " : " — done by ");
        if (rc == BOT_OK)
            rc = s->by && valid_id(s->by) ? buf_addf(b, "<@%s>", s->by) : buf_addstr(b, "incidentd");
        if (rc == BOT_OK)
            rc = buf_addstr(b, ", ");
        if (rc == BOT_OK)
            rc = add_date(b, s->at_ms);
    } else if (rc == BOT_OK && current) {
        rc = buf_addstr(b, " — _the current step_");
    }
    if (rc == BOT_OK && s->detail && s->detail[0]) {
        if (count_chars(s->detail) > RENDER_STEP_DETAIL_MAX)
            return BOT_ETOOBIG;
        rc = buf_addf(b, "\n%s", s->detail);
    }
    if (rc == BOT_OK && count_chars(buf_str(b)) > RENDER_MAX_SECTION_TEXT)
        rc = BOT_ETOOBIG;
    return rc;
}

enum bot_rc render_checklist(const struct render_checklist *c, cJSON **blocks_out,
                             char **text_out)
{
    enum bot_rc rc = BOT_OK;
    struct buf b;
    *blocks_out = NULL;
    *text_out = NULL;
    if (c == NULL || c->id <= 0 || c->title == NULL || (unsigned)c->status >= ST_COUNT ||
        c->pointer < 1 || c->pointer > RENDER_STEPS)
        return BOT_EINVAL;

    cJSON *blocks = cJSON_CreateArray();
    char head[64];
    snprintf(head, sizeof head, "INC-%" PRId64 " checklist", c->id);
    cJSON_AddItemToObject(add_block(blocks, "header", c->id, "checklist"), "text",
                          plain_text(head, RENDER_MAX_HEADER_TEXT));

    buf_init(&b, RENDER_MAX_SECTION_TEXT * 5);
    rc = buf_addstr(&b, "*");
    (void)add_cut(&b, c->title, MRKDWN, 500, &rc);
    if (rc == BOT_OK)
        rc = buf_addf(&b, "* · %s · step %d of %d: %s", plan_status_name(c->status), c->pointer,
                      RENDER_STEPS, render_step_name(c->pointer));
    if (rc == BOT_OK)
        cJSON_AddItemToObject(add_block(blocks, "section", c->id, "summary"), "text",
                              mrkdwn(buf_str(&b)));

    for (int i = 0; rc == BOT_OK && i < RENDER_STEPS; i++) {
        char part[16], value[48];
        buf_reset(&b);
        rc = step_text(c, i, &b);
        if (rc)
            break;
        snprintf(part, sizeof part, "step%d", i + 1);
        cJSON *sec = add_block(blocks, "section", c->id, part);
        cJSON_AddItemToObject(sec, "text", mrkdwn(buf_str(&b)));
        if (!c->steps[i].done) {
            snprintf(value, sizeof value, "%" PRId64 ":%d", c->id, i + 1);
            cJSON_AddItemToObject(sec, "accessory", button("Mark done", RENDER_STEP_DONE_ACTION,
                                                           value, i + 1 == c->pointer ? "primary"
                                                                                      : NULL));
        }
    }
    if (rc == BOT_OK) {
        cJSON *ctx = add_block(blocks, "context", c->id, "checklist_help");
        cJSON *els = cJSON_AddArrayToObject(ctx, "elements");
        cJSON_AddItemToArray(els, mrkdwn("Mark a step done with its button or `/incident "
                                         "checklist done N`; steps the work shows done are "
                                         "marked by incidentd. The IRM may skip one (`/incident "
                                         "checklist skip N`) or open one again (`reopen N`)."));
        buf_reset(&b);
        rc = buf_addf(&b, "INC-%" PRId64 " checklist: step %d of %d (%s)", c->id, c->pointer,
                      RENDER_STEPS, render_step_name(c->pointer));
    }
    if (rc == BOT_OK && cJSON_GetArraySize(blocks) > RENDER_MAX_BLOCKS)
        rc = BOT_ETOOBIG;
    if (rc) {
        cJSON_Delete(blocks);
        buf_free(&b);
        return rc;
    }
    *text_out = buf_take(&b);
    buf_free(&b);
    *blocks_out = blocks;
    return BOT_OK;
}

/* ---- the public postmortem modal ---- */

static const struct {
    const char *block, *heading, *hint, *placeholder;
    bool optional;
} pm_parts[RENDER_PM_PARTS] = {
    [RENDER_PM_IMPACT] = {"pm_impact", "Impact",
                          "Who and what was affected, and for how long (drafted from the public "
                          "record: check it)", NULL, false},
    [RENDER_PM_HAPPENED] = {"pm_happened", "What happened",
                            "What customers saw, and why, in words for them; our published "
                            "updates are listed below the placeholder",
                            "[[Replace this: what happened, in words for your customers: what "
                            "they saw, and why]]", false},
    [RENDER_PM_DONE] = {"pm_done", "What we did", "How the service was restored",
                        "[[Replace this: what we did to restore the service]]", false},
    [RENDER_PM_NEXT] = {"pm_next", "What we will do",
                        "What prevents a recurrence (optional: delete the placeholder to leave "
                        "it out)",
                        "[[Replace this: what we will do so that it does not happen again]]",
                        true},
};

const char *render_pm_block(enum render_pm_part part)
{
    return (unsigned)part < RENDER_PM_PARTS ? pm_parts[part].block : "?";
}

const char *render_pm_heading(enum render_pm_part part)
{
    return (unsigned)part < RENDER_PM_PARTS ? pm_parts[part].heading : "?";
}

const char *render_pm_placeholder(enum render_pm_part part)
{
    return (unsigned)part < RENDER_PM_PARTS ? pm_parts[part].placeholder : NULL;
}

enum bot_rc render_postmortem_modal(const struct render_postmortem_defaults *d, cJSON **view_out)
{
    *view_out = NULL;
    if (d == NULL || d->id <= 0 || d->title == NULL ||
        (d->private_metadata && strlen(d->private_metadata) > RENDER_MAX_PRIVATE_META))
        return BOT_EINVAL;
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddStringToObject(view, "callback_id", RENDER_POSTMORTEM_CALLBACK);
    cJSON_AddItemToObject(view, "title", plain_text(d->amend ? "Amend postmortem" :
                                                    "Public postmortem", RENDER_MAX_VIEW_TITLE));
    /* Submitting only saves the draft and shows its preview: publishing is the preview's click. */
    cJSON_AddItemToObject(view, "submit", plain_text("Preview", RENDER_MAX_VIEW_TITLE));
    cJSON_AddItemToObject(view, "close", plain_text("Cancel", RENDER_MAX_VIEW_TITLE));
    if (d->private_metadata)
        cJSON_AddStringToObject(view, "private_metadata", d->private_metadata);
    cJSON *blocks = cJSON_AddArrayToObject(view, "blocks");

    struct buf b;
    enum bot_rc rc = BOT_OK;
    buf_init(&b, RENDER_MAX_SECTION_TEXT * 5);
    rc = buf_addf(&b, "*INC-%" PRId64 ": ", d->id);
    (void)add_cut(&b, d->title, MRKDWN, 500, &rc);
    if (rc == BOT_OK)
        rc = buf_addf(&b, "*\n%s %s *Preview* shows it; nothing is %s before you click "
                      "*%s* under the preview.",
                      d->draft   ? "Your saved draft, not published yet."
                      : d->amend ? "The postmortem as published: your changes amend it."
                                 : "Drafted from the public record only (the published updates, "
                                   "the impact, the duration and the components), never from "
                                   "notes: replace each `[[…]]` placeholder with your own words.",
                      d->public_ ? "It goes to the public status page." :
                                   "The incident is not public, so it is kept with the incident "
                                   "and not sent to the status page.",
                      d->public_ ? "published" : "recorded",
                      d->public_ ? "Publish postmortem" : "Record postmortem");
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON_AddItemToObject(sec, "text", mrkdwn(buf_str(&b)));
    cJSON_AddItemToArray(blocks, sec);
    buf_free(&b);

    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        char action[48];
        snprintf(action, sizeof action, "%s_input", pm_parts[i].block);
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", "plain_text_input");
        cJSON_AddStringToObject(e, "action_id", action);
        cJSON_AddBoolToObject(e, "multiline", 1);
        cJSON_AddNumberToObject(e, "max_length", RENDER_PM_INPUT_MAX);
        if (d->parts[i] && d->parts[i][0]) {
            char *s = cut_dup(d->parts[i], PLAIN, RENDER_PM_INPUT_MAX);
            cJSON_AddStringToObject(e, "initial_value", s);
            free(s);
        }
        cJSON *in = cJSON_CreateObject();
        cJSON_AddStringToObject(in, "type", "input");
        cJSON_AddStringToObject(in, "block_id", pm_parts[i].block);
        cJSON_AddItemToObject(in, "label", plain_text(pm_parts[i].heading, RENDER_MAX_LABEL));
        cJSON_AddBoolToObject(in, "optional", pm_parts[i].optional);
        cJSON_AddItemToObject(in, "element", e);
        cJSON_AddItemToObject(in, "hint", plain_text(pm_parts[i].hint, RENDER_MAX_LABEL));
        cJSON_AddItemToArray(blocks, in);
    }
    if (rc) {
        cJSON_Delete(view);
        return rc;
    }
    *view_out = view;
    return BOT_OK;
}

/* A copy of s without leading and trailing blanks; NULL when nothing is left. */
static char *trimmed_dup(const char *s)
{
    const char *end = s + strlen(s);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    return end > s ? xmemdup0(s, (size_t)(end - s)) : NULL;
}

void render_postmortem_values_free(struct render_postmortem_values *v)
{
    for (int i = 0; i < RENDER_PM_PARTS; i++) {
        free(v->parts[i]);
        v->parts[i] = NULL;
    }
}

enum bot_rc render_parse_postmortem_submission(const cJSON *values,
                                               struct render_postmortem_values *out,
                                               struct bot_err *err)
{
    enum bot_rc rc = BOT_OK;
    memset(out, 0, sizeof(*out));
    for (int i = 0; rc == BOT_OK && i < RENDER_PM_PARTS; i++) {
        char action[48];
        const char *block = pm_parts[i].block;
        snprintf(action, sizeof action, "%s_input", block);
        const cJSON *b = cJSON_GetObjectItemCaseSensitive(values, block);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(b, action);
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, "value");
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
        if (b != NULL && (!cJSON_IsObject(e) || type == NULL ||
                          strcmp(type, "plain_text_input") != 0 ||
                          (val != NULL && !cJSON_IsNull(val) && !cJSON_IsString(val)))) {
            out->error_block = block;
            rc = bot_err_set(err, BOT_EPROTO, "%s: expected a plain_text_input", block);
            break;
        }
        out->parts[i] = cJSON_IsString(val) ? trimmed_dup(val->valuestring) : NULL;
        if (out->parts[i] == NULL && !pm_parts[i].optional) {
            out->error_block = block;
            rc = bot_err_set(err, BOT_EINVAL, "Write the %s part: the postmortem needs it.",
                             i == RENDER_PM_IMPACT ? "impact" : i == RENDER_PM_HAPPENED ?
                             "\"what happened\"" : "\"what we did\"");
        } else if (out->parts[i] && strstr(out->parts[i], RENDER_PM_PLACEHOLDER) != NULL) {
            /* Enter alone must never publish a draft nobody wrote. */
            out->error_block = block;
            rc = bot_err_set(err, BOT_EINVAL, "Replace the [[…]] placeholder with your own words "
                             "(or delete it): it would be published as it is.");
        } else if (out->parts[i] && count_chars(out->parts[i]) > RENDER_PM_INPUT_MAX) {
            out->error_block = block;
            rc = bot_err_set(err, BOT_EINVAL, "At most %d characters.", RENDER_PM_INPUT_MAX);
        }
    }
    if (rc) {
        const char *block = out->error_block;
        render_postmortem_values_free(out);
        out->error_block = block;
    }
    return rc;
}

char *render_postmortem_body(const char *const parts[RENDER_PM_PARTS])
{
    struct buf b;
    enum bot_rc rc = BOT_OK;
    buf_init(&b, RENDER_PM_BODY_MAX);
    for (int i = 0; i < RENDER_PM_PARTS && rc == BOT_OK; i++) {
        if (parts[i] == NULL || parts[i][0] == '\0')
            continue;
        rc = buf_addf(&b, "%s## %s\n\n", b.len ? "\n\n" : "", pm_parts[i].heading);
        /* In stored form one character may take 5 ("&amp;"): the cap only cleans, never cuts. */
        if (rc == BOT_OK)
            (void)add_cut(&b, parts[i], PLAIN, RENDER_PM_INPUT_MAX * 5, &rc);
    }
    return buf_take(&b); /* the parts are bounded: the body always fits */
}

/* ---- the preview of a draft ---- */

static cJSON *section(const char *mrkdwn_text)
{
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddStringToObject(sec, "type", "section");
    cJSON_AddItemToObject(sec, "text", mrkdwn(mrkdwn_text));
    return sec;
}

enum bot_rc render_postmortem_preview(const struct render_pm_preview *pv, cJSON **blocks_out,
                                      char **text_out)
{
    struct buf b;
    enum bot_rc rc = BOT_OK;
    char value[64];
    *blocks_out = NULL;
    *text_out = NULL;
    if (pv == NULL || pv->id <= 0 || pv->title == NULL)
        return BOT_EINVAL;
    cJSON *blocks = cJSON_CreateArray();
    buf_init(&b, RENDER_MAX_SECTION_TEXT * 5);
    rc = buf_addf(&b, "*Preview: the postmortem of INC-%" PRId64 "%s*\n*", pv->id,
                  pv->public_ ? " on the public status page" : "");
    (void)add_cut(&b, pv->title, MRKDWN, 500, &rc);
    if (rc == BOT_OK && !pv->public_)
        rc = buf_addstr(&b, "*\nThe incident is not public: the postmortem is kept with it and "
                            "sent nowhere.");
    else if (rc == BOT_OK && pv->published_at > 0) {
        rc = buf_addstr(&b, "*\nThis *amends* the postmortem published ");
        if (rc == BOT_OK)
            rc = add_date(&b, pv->published_at);
        if (rc == BOT_OK)
            rc = buf_addstr(&b, ": the status page shows it as updated, and the Statuspage "
                                "mirror, the feeds and the webhooks get it again.");
    } else if (rc == BOT_OK)
        rc = buf_addstr(&b, "*\nNothing is public yet: the click below publishes it to the "
                            "status page, the Statuspage mirror, the feeds and the webhooks.");
    cJSON_AddItemToArray(blocks, section(buf_str(&b)));
    for (int i = 0; rc == BOT_OK && i < RENDER_PM_PARTS; i++) {
        if (pv->parts[i] == NULL || pv->parts[i][0] == '\0')
            continue;
        size_t cap = RENDER_MAX_SECTION_TEXT - (count_chars(pm_parts[i].heading) + 3) - 60, n = 0;
        const char *t = pv->parts[i];
        struct piece pc;
        for (size_t k = 0, len = strlen(t); k < len; k += pc.adv) {
            pc = piece_at(t, len, k, MRKDWN);
            n += pc.chars;
        }
        buf_reset(&b);
        rc = buf_addf(&b, "*%s*\n", pm_parts[i].heading);
        (void)add_cut(&b, t, MRKDWN, cap, &rc);
        if (rc == BOT_OK && n > cap)
            rc = buf_addstr(&b, "\n_(cut in this preview only: it is published whole)_");
        cJSON_AddItemToArray(blocks, section(buf_str(&b)));
    }
    buf_free(&b);
    if (rc) {
        cJSON_Delete(blocks);
        return rc;
    }
    cJSON *acts = cJSON_CreateObject();
    cJSON_AddStringToObject(acts, "type", "actions");
    cJSON *els = cJSON_AddArrayToObject(acts, "elements");
    snprintf(value, sizeof(value), "%" PRId64 ":%" PRId64, pv->id, pv->draft_at);
    cJSON_AddItemToArray(els, button(pv->public_ ? "Publish postmortem" : "Record postmortem",
                                     RENDER_PM_PUBLISH_ACTION, value, "primary"));
    snprintf(value, sizeof(value), "%" PRId64, pv->id);
    cJSON_AddItemToArray(els, button("Edit", RENDER_PM_EDIT_ACTION, value, NULL));
    cJSON_AddItemToArray(els, button("Not yet", RENDER_PM_CANCEL_ACTION, value, NULL));
    cJSON_AddItemToArray(blocks, acts);
    *blocks_out = blocks;
    *text_out = xasprintf("Preview of the postmortem of INC-%" PRId64 ": publish it?", pv->id);
    return BOT_OK;
}

/* ---- mrkdwn back to text ---- */

char *render_mrkdwn_to_text(const char *s, bool decode)
{
    static const struct slack_names ids = {.ids = true};
    char *plain = slack_text_plain_dup(s, 4 * (s ? strlen(s) : 0) + 16, &ids);
    if (decode)
        return plain;
    char *out = slack_text_escape_dup(plain, 5 * strlen(plain) + 16);
    free(plain);
    return out;
}
