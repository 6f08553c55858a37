/*
 * The status modal, its submission, the status templates and the severity
 * re-assessment prompt (see render_status.h). Limits follow render.c: every
 * text is counted in characters the way Slack counts them and cut at a
 * character boundary, so nothing a user or a template holds can push a
 * view past Slack's limits.
 */
#include "render_status.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "render.h"
#include "slack_text.h"
#include "xmalloc.h"
#include "utf8.h"

#define TITLE_IN_MODAL_MAX 300 /* the incident's title inside the modal's text */

size_t render_status_chars(const char *s)
{
    size_t n = s ? strlen(s) : 0, chars = 0;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        chars += l == 4 ? 2 : 1;
        i += l ? l : 1;
    }
    return chars;
}

/*
 * s as plain text of at most max characters: invalid bytes become U+FFFD,
 * control characters other than newline and tab a blank, and a cut text
 * ends with "…" inside the bound. Caller frees.
 */
static char *plain_cut(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0, chars = 0;
    struct buf b;
    buf_init(&b, max * 4 + 8);
    bool cut = render_status_chars(s) > max;
    size_t budget = cut ? (max > 0 ? max - 1 : 0) : max;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        const char *p = s + i;
        size_t bytes = l, w = l == 4 ? 2 : 1;
        if (l == 0) {
            p = "\xef\xbf\xbd", bytes = 3, w = 1, l = 1;
        } else if (l == 1 &&
                   (((unsigned char)*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)) {
            p = " ";
        }
        if (chars + w > budget)
            break;
        if (buf_add(&b, p, bytes) != BOT_OK)
            break; /* cannot happen: the buffer holds max characters of 4 bytes */
        chars += w;
        i += l;
    }
    if (cut && max > 0)
        (void)!buf_addstr(&b, "…");
    return buf_take(&b);
}

/* s escaped for mrkdwn after cutting it to max characters; caller frees. */
static char *mrkdwn_cut(const char *s, size_t max)
{
    char *plain = plain_cut(s, max);
    struct buf b;
    buf_init(&b, strlen(plain) * 5 + 1);
    if (slack_text_escape(&b, plain, strlen(plain)) != BOT_OK)
        buf_reset(&b);
    free(plain);
    return buf_take(&b);
}

static const char *const placeholders[] = {"{title}", "{severity}", "{id}"};

enum bot_rc render_status_check_template(const char *tmpl, struct bot_err *err)
{
    size_t n = strlen(tmpl);
    for (size_t i = 0, l; i < n; i += l)
        if ((l = utf8_seq_len((const unsigned char *)tmpl + i, n - i)) == 0)
            return bot_err_set(err, BOT_EINVAL, "not valid UTF-8");
    if (render_status_chars(tmpl) > RENDER_MAX_STATUS_TEMPLATE)
        return bot_err_set(err, BOT_EINVAL, "at most %d characters", RENDER_MAX_STATUS_TEMPLATE);
    for (const char *s = strchr(tmpl, '{'); s != NULL; s = strchr(s + 1, '{')) {
        bool known = false;
        for (size_t k = 0; k < sizeof placeholders / sizeof placeholders[0]; k++)
            known = known || strncmp(s, placeholders[k], strlen(placeholders[k])) == 0;
        if (!known) {
            const char *end = strchr(s, '}');
            int len = end && end - s < 40 ? (int)(end - s + 1) : 1;
            return bot_err_set(err, BOT_EINVAL,
                               "unknown placeholder \"%.*s\" (use {title}, "
                               "{severity} or {id})",
                               len, s);
        }
    }
    return BOT_OK;
}

char *render_status_fill(const char *tmpl, int64_t id, const char *title, enum severity sev)
{
    struct buf b;
    /* A template of 2000 characters with 4-byte characters, each {title} a 150-character title. */
    buf_init(&b, 1024 * 1024);
    for (const char *s = tmpl ? tmpl : ""; *s; s++) {
        enum bot_rc rc;
        if (strncmp(s, "{title}", 7) == 0) {
            rc = buf_addstr(&b, title ? title : "");
            s += 6;
        } else if (strncmp(s, "{severity}", 10) == 0) {
            rc = buf_addstr(&b, plan_severity_name(sev));
            s += 9;
        } else if (strncmp(s, "{id}", 4) == 0) {
            rc = buf_addf(&b, "%" PRId64, id);
            s += 3;
        } else {
            rc = buf_add(&b, s, 1);
        }
        if (rc != BOT_OK)
            break; /* over the bound: the cut below ends it with "…" anyway */
    }
    char *out = plain_cut(buf_str(&b), RENDER_MAX_STATUS_MESSAGE);
    buf_free(&b);
    return out;
}

/* ---- Block Kit ---- */

static cJSON *plain_text(const char *text, size_t max)
{
    char *s = plain_cut(text, max);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "plain_text");
    cJSON_AddStringToObject(o, "text", s);
    cJSON_AddBoolToObject(o, "emoji", 1);
    free(s);
    return o;
}

/* A mrkdwn object of our own text, which is cut (never split inside a character) to max. */
static cJSON *mrkdwn(const char *text, size_t max)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "mrkdwn");
    if (render_status_chars(text) > max) {
        char *s = plain_cut(text, max);
        cJSON_AddStringToObject(o, "text", s);
        free(s);
    } else {
        cJSON_AddStringToObject(o, "text", text);
    }
    return o;
}

/* A Slack user id (upper-case letters and digits), to be shown as a mention. */
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

static const char *modal_title(enum inc_status to)
{
    switch (to) {
    case ST_IDENTIFIED:
        return "Mark identified";
    case ST_MONITORING:
        return "Mark monitoring";
    case ST_RESOLVED:
        return "Mark resolved";
    default:
        return "Change status";
    }
}

enum bot_rc render_status_modal(const struct render_status_modal *m, cJSON **view_out)
{
    *view_out = NULL;
    if (m == NULL || m->id <= 0 || (unsigned)m->from >= ST_COUNT || (unsigned)m->to >= ST_COUNT ||
        (m->private_metadata && strlen(m->private_metadata) > RENDER_MAX_PRIVATE_META))
        return BOT_EINVAL;
    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddStringToObject(view, "callback_id", RENDER_STATUS_CALLBACK);
    cJSON_AddItemToObject(view, "title", plain_text(modal_title(m->to), RENDER_MAX_VIEW_TITLE));
    cJSON_AddItemToObject(view, "submit", plain_text("Post update", RENDER_MAX_VIEW_TITLE));
    cJSON_AddItemToObject(view, "close", plain_text("Cancel", RENDER_MAX_VIEW_TITLE));
    if (m->private_metadata != NULL)
        cJSON_AddStringToObject(view, "private_metadata", m->private_metadata);
    cJSON *blocks = cJSON_AddArrayToObject(view, "blocks");

    /* What changes: "INC-42: title" and "investigating → identified". */
    char *title = mrkdwn_cut(m->title, TITLE_IN_MODAL_MAX);
    char *text = xasprintf("*INC-%" PRId64 ": %s*\n%s → *%s*%s", m->id, title,
                           plan_status_name(m->from), plan_status_name(m->to),
                           m->to > m->from + 1 ? " (skipping a status: recorded as a skip)" : "");
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON_AddItemToObject(b, "text", mrkdwn(text, RENDER_MAX_SECTION_TEXT));
    cJSON_AddItemToArray(blocks, b);
    free(text);
    free(title);

    /* Who the plan asks: the support liaison owns customer communication. */
    if (valid_id(m->support) && m->actor && strcmp(m->support, m->actor) == 0)
        text = xstrdup("As the support liaison, you announce this status change.");
    else if (valid_id(m->support))
        text = xasprintf("<@%s>, the support liaison, announces status changes; you may do it "
                         "in their place, and the record says you did.",
                         m->support);
    else
        text = xstrdup("No support liaison is appointed: you write the announcement.");
    b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "context");
    cJSON *els = cJSON_AddArrayToObject(b, "elements");
    cJSON_AddItemToArray(els, mrkdwn(text, RENDER_MAX_SECTION_TEXT));
    cJSON_AddItemToArray(blocks, b);
    free(text);

    /* The message itself, pre-filled. */
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", "plain_text_input");
    cJSON_AddStringToObject(e, "action_id", RENDER_STATUS_ACTION);
    cJSON_AddBoolToObject(e, "multiline", 1);
    cJSON_AddNumberToObject(e, "max_length", RENDER_MAX_STATUS_MESSAGE);
    if (m->initial != NULL && m->initial[0] != '\0') {
        char *init = plain_cut(m->initial, RENDER_MAX_STATUS_MESSAGE);
        cJSON_AddStringToObject(e, "initial_value", init);
        free(init);
    }
    b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "input");
    cJSON_AddStringToObject(b, "block_id", RENDER_STATUS_BLOCK);
    cJSON_AddItemToObject(b, "label", plain_text("Public message", RENDER_MAX_LABEL));
    cJSON_AddItemToObject(b, "element", e);
    cJSON_AddItemToObject(
        b, "hint",
        plain_text(m->public_ ? "Posted in the incident's channel, under the announcement and on "
                                "the public status page."
                              : "Posted in the incident's channel and under the announcement. "
                                "The incident is not on the status page (yet).",
                   RENDER_MAX_LABEL));
    cJSON_AddItemToArray(blocks, b);
    *view_out = view;
    return BOT_OK;
}

enum bot_rc render_parse_status_submission(const cJSON *values, char **message_out,
                                           struct bot_err *err)
{
    *message_out = NULL;
    if (!cJSON_IsObject(values))
        return bot_err_set(err, BOT_EPROTO, "view.state.values is not an object");
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(values, RENDER_STATUS_BLOCK);
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(block, RENDER_STATUS_ACTION);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value");
    if (block != NULL &&
        (!cJSON_IsObject(e) || (v != NULL && !cJSON_IsNull(v) && !cJSON_IsString(v))))
        return bot_err_set(err, BOT_EPROTO, "%s: expected a plain_text_input with a string value",
                           RENDER_STATUS_BLOCK);
    const char *s = cJSON_IsString(v) ? v->valuestring : "";
    const char *end = s + strlen(s);
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (end == s)
        return bot_err_set(err, BOT_EINVAL,
                           "Write the public message: it is what users read "
                           "about this status change.");
    char *msg = xmemdup0(s, (size_t)(end - s));
    size_t chars = render_status_chars(msg);
    if (chars > RENDER_MAX_STATUS_MESSAGE) {
        free(msg);
        return bot_err_set(err, BOT_EINVAL,
                           "The message is %zu characters long; at most %d are "
                           "allowed.",
                           chars, RENDER_MAX_STATUS_MESSAGE);
    }
    *message_out = msg;
    return BOT_OK;
}

static cJSON *severity_option(enum severity sev)
{
    static const char *const labels[SEV_COUNT] = {"Critical", "Major", "Minor"};
    char text[64];
    snprintf(text, sizeof text, "%s %s", render_severity_emoji(sev), labels[sev]);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "text", plain_text(text, RENDER_MAX_OPTION_TEXT));
    cJSON_AddStringToObject(o, "value", plan_severity_name(sev));
    return o;
}

enum bot_rc render_reassess_blocks(int64_t id, enum severity sev, const char *text,
                                   cJSON **blocks_out)
{
    char bid[64];
    *blocks_out = NULL;
    if (id <= 0 || (unsigned)sev >= SEV_COUNT || text == NULL)
        return BOT_EINVAL;
    snprintf(bid, sizeof bid, "inc%" PRId64 "_reassess", id); /* 20 digits at most: fits */
    cJSON *blocks = cJSON_CreateArray();
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "section");
    cJSON_AddStringToObject(b, "block_id", bid);
    cJSON_AddItemToObject(b, "text", mrkdwn(text, RENDER_MAX_SECTION_TEXT));
    cJSON *sel = cJSON_CreateObject();
    cJSON_AddStringToObject(sel, "type", "static_select");
    cJSON_AddStringToObject(sel, "action_id", "inc_severity");
    cJSON_AddItemToObject(sel, "placeholder", plain_text("Severity", RENDER_MAX_PLACEHOLDER));
    cJSON *opts = cJSON_AddArrayToObject(sel, "options");
    for (int s = 0; s < SEV_COUNT; s++)
        cJSON_AddItemToArray(opts, severity_option((enum severity)s));
    cJSON_AddItemToObject(sel, "initial_option", severity_option(sev));
    cJSON_AddItemToObject(b, "accessory", sel);
    cJSON_AddItemToArray(blocks, b);
    *blocks_out = blocks;
    return BOT_OK;
}
