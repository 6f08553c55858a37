/*
 * The checklist blocks and the public postmortem modal (see render_steps.h).
 * The bounded, character-counted text helpers of render.c are static there;
 * the few this file needs are repeated below in their simplest form (cut
 * user text at a character boundary with "…", invalid UTF-8 as U+FFFD,
 * control characters as blanks, & < > escaped in mrkdwn) rather than
 * widening render.h for them.
 */
#include "render_steps.h"

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
                                         "checklist done N`. The IRM may skip one: `/incident "
                                         "checklist skip N`; `reopen N` undoes either."));
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
    const char *block, *heading, *hint;
    bool optional;
} pm_parts[RENDER_PM_PARTS] = {
    [RENDER_PM_IMPACT] = {"pm_impact", "Impact", "Who and what was affected, and for how long",
                          false},
    [RENDER_PM_HAPPENED] = {"pm_happened", "What happened", "In the order it happened", false},
    [RENDER_PM_DONE] = {"pm_done", "What we did", "How the service was restored", false},
    [RENDER_PM_NEXT] = {"pm_next", "What comes next", "What prevents a recurrence", true},
};

const char *render_pm_block(enum render_pm_part part)
{
    return (unsigned)part < RENDER_PM_PARTS ? pm_parts[part].block : "?";
}

const char *render_pm_heading(enum render_pm_part part)
{
    return (unsigned)part < RENDER_PM_PARTS ? pm_parts[part].heading : "?";
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
    cJSON_AddItemToObject(view, "submit", plain_text(d->amend ? "Update" : "Publish",
                                                     RENDER_MAX_VIEW_TITLE));
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
        rc = buf_addf(&b, "*\n%s %s", d->amend ? "This updates the postmortem published before."
                                               : "Drafted from the timeline: edit it before "
                                                 "publishing.",
                      d->public_ ? "It goes to the public status page." :
                                   "The incident is not public, so it is kept with the incident "
                                   "and not sent to the status page.");
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
        if (rc == BOT_OK)
            (void)add_cut(&b, parts[i], PLAIN, RENDER_PM_INPUT_MAX, &rc);
    }
    return buf_take(&b); /* the parts are bounded: the body always fits */
}

/* ---- mrkdwn back to text ---- */

/* &amp; &lt; &gt; decoded in place (the text only shrinks). */
static void decode_entities(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (strncmp(r, "&amp;", 5) == 0)
            *w++ = '&', r += 5;
        else if (strncmp(r, "&lt;", 4) == 0)
            *w++ = '<', r += 4;
        else if (strncmp(r, "&gt;", 4) == 0)
            *w++ = '>', r += 4;
        else
            *w++ = *r++;
    }
    *w = '\0';
}

char *render_mrkdwn_to_text(const char *s, bool decode)
{
    struct buf b;
    size_t n = s ? strlen(s) : 0;
    buf_init(&b, 2 * n + 16);
    for (size_t i = 0; i < n;) {
        enum bot_rc rc = BOT_OK;
        const char *close = s[i] == '<' ? memchr(s + i, '>', n - i) : NULL;
        if (close != NULL) {
            const char *in = s + i + 1, *bar = memchr(in, '|', (size_t)(close - in));
            size_t len = (size_t)((bar ? bar : close) - in);
            const char *label = bar ? bar + 1 : NULL;
            size_t llen = bar ? (size_t)(close - label) : 0;
            if (in[0] == '@' || in[0] == '#')
                rc = label ? buf_addf(&b, "%c%.*s", in[0], (int)llen, label)
                           : buf_add(&b, in, len);
            else if (in[0] == '!' && strncmp(in, "!date^", 6) == 0 && label)
                rc = buf_add(&b, label, llen);
            else if (in[0] == '!')
                rc = buf_addf(&b, "@%.*s", (int)(len - 1), in + 1);
            else if (label)
                rc = buf_addf(&b, "%.*s (%.*s)", (int)llen, label, (int)len, in);
            else
                rc = buf_add(&b, in, len);
            i = (size_t)(close - s) + 1;
        } else {
            rc = buf_add(&b, s + i, 1);
            i++;
        }
        if (rc)
            break; /* cannot happen: the output is never twice the input */
    }
    char *out = buf_take(&b);
    if (decode) /* after the markup: entities inside links are decoded too, and only once */
        decode_entities(out);
    return out;
}
