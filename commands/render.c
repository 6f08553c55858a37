/*
 * Block Kit rendering of incidents (see render.h): the control message, the
 * announcement, update lines, topic and purpose, the declare modal and its
 * submission. Text is assembled in a struct txt that counts characters the
 * way Slack's limits do and cuts user text at a character boundary, so no
 * limit can be passed whatever a user types. cJSON allocation aborts on
 * out-of-memory (xmalloc hooks), so only bounded-buffer overflows (a bug in
 * the caps here) can make a renderer fail.
 */
#include "render.h"

#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "slack_text.h"
#include "xmalloc.h"
#include "utf8.h"

/* Caps of our own that keep several pieces of text inside one Slack limit. */
#define TITLE_IN_TEXT_MAX  500  /* a title inside a longer mrkdwn text */
#define COMPONENT_TEXT_MAX 200  /* one component name in the components list */
#define COMPONENTS_RESERVE 40   /* room kept for " … and N more" */
#define UPDATE_TEXT_MAX    2800 /* the user's words in an update line */
#define URL_MAX            2000 /* longest call or permalink URL shown as a link */
#define ID_TEXT_MAX        40   /* a malformed id shown as literal text */

static const char *const step_names[RENDER_STEPS] = {
    "Set up",     "Announce", "Support plan",           "Identify and fix", "Identified",
    "Monitoring", "Resolved", "Customer communication", "Follow-up",
};

static const char *const sev_emoji[SEV_COUNT] = {
    ":red_circle:", ":large_orange_circle:", ":large_yellow_circle:"};
static const char *const sev_label[SEV_COUNT] = {"Critical", "Major", "Minor"};

/* The next status after each one and the button that moves there. */
static const struct {
    enum inc_status next;
    const char *label;
} next_status[ST_COUNT] = {
    [ST_POTENTIAL] = {ST_INVESTIGATING, "Promote to incident"},
    [ST_INVESTIGATING] = {ST_IDENTIFIED, "Mark identified"},
    [ST_IDENTIFIED] = {ST_MONITORING, "Mark monitoring"},
    [ST_MONITORING] = {ST_RESOLVED, "Mark resolved"},
    [ST_RESOLVED] = {ST_POSTMORTEM, "Mark postmortem published"},
    [ST_POSTMORTEM] = {ST_CLOSED, "Close incident"},
    [ST_CLOSED] = {ST_CLOSED, NULL},
};

static const struct {
    enum render_scope scope;
    const char *value, *label;
} scopes[] = {
    {RENDER_SCOPE_MINOR_FEATURE, "minor_feature", "A minor feature"},
    {RENDER_SCOPE_MAJOR_FEATURE, "major_feature", "A major feature"},
    {RENDER_SCOPE_WHOLE_PRODUCT, "whole_product", "The whole product"},
};

const char *render_step_name(int step)
{
    return step >= 1 && step <= RENDER_STEPS ? step_names[step - 1] : "?";
}

const char *render_severity_emoji(enum severity sev)
{
    return (unsigned)sev < SEV_COUNT ? sev_emoji[sev] : ":grey_question:";
}

/* The status as shown: a cancelled incident is closed in the record, "cancelled" to readers. */
static const char *status_name(const struct render_incident *inc)
{
    return inc->cancelled ? "cancelled" : plan_status_name(inc->status);
}

const char *render_next_status_label(enum inc_status st)
{
    return (unsigned)st < ST_COUNT ? next_status[st].label : NULL;
}

/* ---- text with character-counted bounds ---- */

enum text_mode {
    TEXT_PLAIN,  /* plain_text: shown literally, not entity-escaped */
    TEXT_MRKDWN, /* a raw string inside mrkdwn: & < > escaped */
    TEXT_READY,  /* mrkdwn made by slack_text_user(): kept, its entities and <...> never split */
};

/* What one input character becomes in the output. */
struct piece {
    const char *p;
    size_t bytes, chars, adv;
};

static struct piece next_piece(const char *s, size_t n, size_t i, enum text_mode mode)
{
    unsigned char c = (unsigned char)s[i];
    size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
    if (l == 0)
        return (struct piece){"\xef\xbf\xbd", 3, 1, 1}; /* U+FFFD for a bad byte */
    if (l > 1) /* Slack counts UTF-16 units: an astral character is two */
        return (struct piece){s + i, l, l == 4 ? 2 : 1, l};
    if (mode == TEXT_READY && (c == '&' || c == '<')) {
        const char *end = memchr(s + i, c == '&' ? ';' : '>', n - i);
        if (end != NULL && end - (s + i) < 600) {
            size_t len = (size_t)(end - (s + i)) + 1;
            return (struct piece){s + i, len, len, len};
        }
    }
    if (mode == TEXT_MRKDWN) {
        if (c == '&')
            return (struct piece){"&amp;", 5, 5, 1};
        if (c == '<')
            return (struct piece){"&lt;", 4, 4, 1};
        if (c == '>')
            return (struct piece){"&gt;", 4, 4, 1};
    }
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
        return (struct piece){" ", 1, 1, 1};
    return (struct piece){s + i, 1, 1, 1};
}

/*
 * A text being assembled, with a bound in characters. Errors are sticky (as
 * in curl's dynbuf): the first one is kept in rc and later appends do
 * nothing, so a builder checks once at the end.
 */
struct txt {
    struct buf b;
    size_t chars, max;
    enum bot_rc rc;
};

static void txt_init(struct txt *t, size_t max_chars)
{
    buf_init(&t->b, max_chars * 4 + 16); /* a character is at most 4 bytes, "…" 3 */
    t->chars = 0;
    t->max = max_chars;
    t->rc = BOT_OK;
}

/*
 * Appends user text s (n bytes) in mode, taking at most cap characters and
 * never more than what is left; a cut text ends with "…" inside the bound.
 */
static void txt_user_n(struct txt *t, const char *s, size_t n, enum text_mode mode, size_t cap)
{
    size_t left = t->max - t->chars, total = 0;
    struct piece pc;
    if (t->rc)
        return;
    if (cap > left)
        cap = left;
    for (size_t i = 0; i < n; i += pc.adv) {
        pc = next_piece(s, n, i, mode);
        total += pc.chars;
    }
    bool cut = total > cap;
    size_t budget = cut ? (cap > 0 ? cap - 1 : 0) : total; /* room for "…" when cut */
    for (size_t i = 0; i < n && t->rc == BOT_OK; i += pc.adv) {
        pc = next_piece(s, n, i, mode);
        if (pc.chars > budget)
            break; /* an entity or character is never split */
        budget -= pc.chars;
        t->rc = buf_add(&t->b, pc.p, pc.bytes);
        t->chars += pc.chars;
    }
    if (cut && cap > 0 && t->rc == BOT_OK) {
        t->rc = buf_addstr(&t->b, "…");
        t->chars++;
    }
}

static void txt_user(struct txt *t, const char *s, enum text_mode mode, size_t cap)
{
    txt_user_n(t, s ? s : "", s ? strlen(s) : 0, mode, cap);
}

/*
 * Appends user text as stored (Slack's message format, see slack_text.h),
 * converted once, then bounded as txt_user_n(). A message (title false) in
 * mrkdwn pings only the people it names; a title is a label, not a message,
 * so it never mentions anyone: its plain words (people "@name", mass
 * mentions the words), escaped for mrkdwn. For plain_text both are plain.
 */
static void txt_conv(struct txt *t, const char *s, enum text_mode mode, size_t cap, bool title)
{
    struct buf conv;
    if (t->rc)
        return;
    buf_init(&conv, 256 * 1024);
    s = s ? s : "";
    bool plain = title || mode == TEXT_PLAIN;
    enum bot_rc rc = plain ? slack_text_plain(&conv, s, strlen(s), NULL)
                           : slack_text_user(&conv, s, strlen(s));
    if (rc != BOT_OK)
        t->rc = rc;
    else
        txt_user_n(t, buf_str(&conv), conv.len, plain ? mode : TEXT_READY, cap);
    buf_free(&conv);
}

static void txt_stored(struct txt *t, const char *s, enum text_mode mode, size_t cap)
{
    txt_conv(t, s, mode, cap, false);
}

static void txt_title(struct txt *t, const char *s, enum text_mode mode, size_t cap)
{
    txt_conv(t, s, mode, cap, true);
}

/* Appends our own text (it may hold mrkdwn syntax); it must fit whole, or it is a bug. */
static void txt_raw(struct txt *t, const char *s)
{
    size_t n = strlen(s), chars = 0;
    if (t->rc)
        return;
    for (size_t i = 0; i < n;) {
        size_t l = utf8_seq_len((const unsigned char *)s + i, n - i);
        l = l ? l : 1;
        chars += l == 4 ? 2 : 1;
        i += l;
    }
    if (t->chars + chars > t->max) {
        t->rc = BOT_ETOOBIG;
        return;
    }
    t->rc = buf_add(&t->b, s, n);
    t->chars += chars;
}

static void txt_rawf(struct txt *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void txt_rawf(struct txt *t, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        if (t->rc == BOT_OK)
            t->rc = BOT_ETOOBIG;
        return;
    }
    txt_raw(t, tmp);
}

/* Hands the text over (caller frees) and returns rc; *out is NULL on failure. */
static enum bot_rc txt_take(struct txt *t, char **out)
{
    enum bot_rc rc = t->rc;
    *out = rc ? NULL : buf_take(&t->b);
    buf_free(&t->b);
    return rc;
}

static void txt_free(struct txt *t)
{
    buf_free(&t->b);
}

/* A Slack user or channel id: 1..RENDER_MAX_USER_ID upper-case letters and digits. */
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

/* "<@U1>", "_unassigned_", or a malformed id as escaped literal text (never a mention). */
static void txt_mention(struct txt *t, const char *id)
{
    if (id == NULL || *id == '\0')
        txt_raw(t, "_unassigned_");
    else if (valid_id(id))
        txt_rawf(t, "<@%s>", id);
    else
        txt_user(t, id, TEXT_MRKDWN, ID_TEXT_MAX);
}

/* A URL we can put inside <url|label>: http(s), printable, none of < > | and bounded. */
static bool linkable_url(const char *url)
{
    size_t n = url ? strlen(url) : 0;
    if (n == 0 || n > URL_MAX)
        return false;
    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)url[i];
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '|')
            return false;
    }
    return true;
}

/* <url|label> with the URL's & escaped, or the URL as escaped text when it cannot be a link. */
static void txt_link(struct txt *t, const char *url, const char *label)
{
    size_t escaped = 0;
    for (const char *p = url; p && *p; p++)
        escaped += *p == '&' ? 5 : 1; /* a linkable URL is ASCII */
    if (!linkable_url(url) || escaped > URL_MAX ||
        t->chars + escaped + strlen(label) + 3 > t->max) {
        txt_user(t, url, TEXT_MRKDWN, URL_MAX);
        return;
    }
    txt_raw(t, "<");
    txt_user(t, url, TEXT_MRKDWN, escaped); /* fits whole: checked above */
    txt_raw(t, "|");
    txt_raw(t, label);
    txt_raw(t, ">");
}

/* Slack's date token with a UTC fallback, e.g. <!date^1714564800^{date_short_pretty} {time}|…>. */
static void txt_date(struct txt *t, int64_t ms)
{
    if (ms <= 0) {
        txt_raw(t, "_unknown_");
        return;
    }
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    char when[64];
    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm) == 0) {
        txt_raw(t, "_unknown_");
        return;
    }
    txt_rawf(t, "<!date^%" PRId64 "^{date_short_pretty} {time}|%s>", ms / 1000, when);
}

/* "< 1 min", "25 min", "1 h 25 min", "2 d 3 h". */
static void txt_age(struct txt *t, int64_t ms)
{
    if (ms < 60000) {
        txt_raw(t, "< 1 min");
        return;
    }
    int64_t mins = ms / 60000, d = mins / 1440, h = mins % 1440 / 60, m = mins % 60;
    if (d > 0)
        txt_rawf(t, "%" PRId64 " d %" PRId64 " h", d, h);
    else if (h > 0)
        txt_rawf(t, "%" PRId64 " h %" PRId64 " min", h, m);
    else
        txt_rawf(t, "%" PRId64 " min", m);
}

/* ---- Block Kit objects ---- */

/* A plain_text object with text cut to max characters. */
static cJSON *plain_text(const char *text, size_t max, enum bot_rc *rc)
{
    struct txt t;
    char *s;
    txt_init(&t, max);
    txt_user(&t, text, TEXT_PLAIN, max);
    if (txt_take(&t, &s) != BOT_OK) {
        *rc = *rc ? *rc : BOT_ETOOBIG;
        s = xstrdup("");
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "plain_text");
    cJSON_AddStringToObject(o, "text", s);
    cJSON_AddBoolToObject(o, "emoji", 1);
    free(s);
    return o;
}

/* A mrkdwn object taking the text of t (which is freed). */
static cJSON *mrkdwn_take(struct txt *t, enum bot_rc *rc)
{
    char *s;
    if (txt_take(t, &s) != BOT_OK) {
        *rc = *rc ? *rc : BOT_ETOOBIG;
        s = xstrdup("");
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "mrkdwn");
    cJSON_AddStringToObject(o, "text", s);
    free(s);
    return o;
}

/* Appends a block {type, block_id: "inc<id>_<part>"} to blocks. */
static cJSON *add_block(cJSON *blocks, const char *type, int64_t id, const char *part)
{
    char bid[64];
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", type);
    int n = snprintf(bid, sizeof bid, "inc%" PRId64 "_%s", id, part);
    if (n > 0 && (size_t)n < sizeof bid) /* parts are short literals: always true */
        cJSON_AddStringToObject(b, "block_id", bid);
    cJSON_AddItemToArray(blocks, b);
    return b;
}

static cJSON *button(const char *text, const char *action_id, const char *value, const char *style,
                     enum bot_rc *rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "button");
    cJSON_AddStringToObject(o, "action_id", action_id);
    cJSON_AddItemToObject(o, "text", plain_text(text, RENDER_MAX_BUTTON_TEXT, rc));
    if (strlen(value) > RENDER_MAX_VALUE)
        *rc = *rc ? *rc : BOT_ETOOBIG;
    cJSON_AddStringToObject(o, "value", value);
    if (style != NULL)
        cJSON_AddStringToObject(o, "style", style);
    return o;
}

/* Adds Slack's confirmation dialog to a button (Block Kit "confirm" object, all plain_text). */
static void button_confirm(cJSON *b, const char *title, const char *text, const char *yes,
                           const char *no, enum bot_rc *rc)
{
    cJSON *c = cJSON_AddObjectToObject(b, "confirm");
    cJSON_AddItemToObject(c, "title", plain_text(title, RENDER_MAX_CONFIRM_TITLE, rc));
    cJSON_AddItemToObject(c, "text", plain_text(text, RENDER_MAX_CONFIRM_TEXT, rc));
    cJSON_AddItemToObject(c, "confirm", plain_text(yes, RENDER_MAX_CONFIRM_BTN, rc));
    cJSON_AddItemToObject(c, "deny", plain_text(no, RENDER_MAX_CONFIRM_BTN, rc));
}

static cJSON *option(const char *text, const char *value, enum bot_rc *rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "text", plain_text(text, RENDER_MAX_OPTION_TEXT, rc));
    cJSON_AddStringToObject(o, "value", value);
    return o;
}

static cJSON *severity_option(enum severity sev, enum bot_rc *rc)
{
    char text[64];
    int n = snprintf(text, sizeof text, "%s %s", sev_emoji[sev], sev_label[sev]);
    if (n < 0 || (size_t)n >= sizeof text)
        *rc = *rc ? *rc : BOT_ETOOBIG;
    return option(text, plan_severity_name(sev), rc);
}

/* A static_select of the three severities with sev chosen. */
static cJSON *severity_select(const char *action_id, enum severity sev, enum bot_rc *rc)
{
    cJSON *sel = cJSON_CreateObject();
    cJSON_AddStringToObject(sel, "type", "static_select");
    cJSON_AddStringToObject(sel, "action_id", action_id);
    cJSON_AddItemToObject(sel, "placeholder", plain_text("Severity", RENDER_MAX_PLACEHOLDER, rc));
    cJSON *opts = cJSON_AddArrayToObject(sel, "options");
    for (int s = 0; s < SEV_COUNT; s++)
        cJSON_AddItemToArray(opts, severity_option((enum severity)s, rc));
    cJSON_AddItemToObject(sel, "initial_option", severity_option(sev, rc));
    return sel;
}

static enum bot_rc check_incident(const struct render_incident *inc)
{
    if (inc == NULL || inc->id <= 0 || inc->title == NULL || (unsigned)inc->severity >= SEV_COUNT ||
        (unsigned)inc->status >= ST_COUNT || inc->step < 1 || inc->step > RENDER_STEPS ||
        (inc->n_components > 0 && inc->components == NULL))
        return BOT_EINVAL;
    return BOT_OK;
}

/* Fails with BOT_ETOOBIG when a tree breaks a block or element count (a bug in this file). */
static enum bot_rc check_counts(const cJSON *blocks, int max_blocks)
{
    if (cJSON_GetArraySize(blocks) > max_blocks)
        return BOT_ETOOBIG;
    const cJSON *b;
    cJSON_ArrayForEach(b, blocks)
    {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(b, "elements");
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(b, "fields");
        const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(b, "type"));
        int cap = type && strcmp(type, "context") == 0 ? RENDER_MAX_CONTEXT_ELEMS
                                                       : RENDER_MAX_ACTIONS_ELEMS;
        if ((e && cJSON_GetArraySize(e) > cap) || (f && cJSON_GetArraySize(f) > RENDER_MAX_FIELDS))
            return BOT_ETOOBIG;
    }
    return BOT_OK;
}

/* A section field "*Label*\n" followed by what add() appends. */
static void field_begin(struct txt *t, const char *label)
{
    txt_init(t, RENDER_MAX_FIELD_TEXT);
    txt_rawf(t, "*%s*\n", label);
}

static void add_field(cJSON *fields, struct txt *t, enum bot_rc *rc)
{
    cJSON_AddItemToArray(fields, mrkdwn_take(t, rc));
}

static void add_role_field(cJSON *fields, const char *label, const char *id, enum bot_rc *rc)
{
    struct txt t;
    field_begin(&t, label);
    txt_mention(&t, id);
    add_field(fields, &t, rc);
}

/* "*Components:* a, b, c … and N more", bounded by the section text limit. */
static void components_text(struct txt *t, const struct render_incident *inc)
{
    txt_raw(t, "*Components:* ");
    for (size_t i = 0; i < inc->n_components && t->rc == BOT_OK; i++) {
        struct txt one;
        txt_init(&one, COMPONENT_TEXT_MAX);
        txt_user(&one, inc->components[i], TEXT_MRKDWN, COMPONENT_TEXT_MAX);
        if (t->chars + 2 + one.chars > t->max - COMPONENTS_RESERVE) {
            txt_free(&one);
            txt_rawf(t, "… and %zu more", inc->n_components - i);
            break;
        }
        if (i > 0)
            txt_raw(t, ", ");
        if (one.rc == BOT_OK)
            txt_raw(t, buf_str(&one.b)); /* already escaped and bounded */
        else
            t->rc = one.rc;
        txt_free(&one);
    }
}

static void section_take(cJSON *blocks, int64_t id, const char *part, struct txt *t,
                         enum bot_rc *rc)
{
    cJSON *b = add_block(blocks, "section", id, part);
    cJSON_AddItemToObject(b, "text", mrkdwn_take(t, rc));
}

static void context_take(cJSON *blocks, int64_t id, const char *part, struct txt *t,
                         enum bot_rc *rc)
{
    cJSON *b = add_block(blocks, "context", id, part);
    cJSON *els = cJSON_AddArrayToObject(b, "elements");
    cJSON_AddItemToArray(els, mrkdwn_take(t, rc));
}

static cJSON *users_select(const char *action_id, const char *placeholder, const char *user,
                           enum bot_rc *rc)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "users_select");
    cJSON_AddStringToObject(o, "action_id", action_id);
    cJSON_AddItemToObject(o, "placeholder", plain_text(placeholder, RENDER_MAX_PLACEHOLDER, rc));
    if (valid_id(user))
        cJSON_AddStringToObject(o, "initial_user", user);
    return o;
}

/* The fallback "text": ":red_circle: INC-42: title (critical, investigating)". */
static enum bot_rc fallback_text(const struct render_incident *inc, const char *sep, char **out)
{
    struct txt t;
    txt_init(&t, RENDER_MAX_FALLBACK);
    txt_rawf(&t, "%s INC-%" PRId64 "%s", sev_emoji[inc->severity], inc->id, sep);
    txt_title(&t, inc->title, TEXT_MRKDWN, TITLE_IN_TEXT_MAX);
    txt_rawf(&t, " (%s, %s)", plan_severity_name(inc->severity), status_name(inc));
    return txt_take(&t, out);
}

enum bot_rc render_control_message(const struct render_incident *inc, int64_t now_ms,
                                   cJSON **blocks_out, char **fallback_text_out)
{
    enum bot_rc rc = check_incident(inc);
    struct txt t;
    char value[32], next_value[64];
    *blocks_out = NULL;
    *fallback_text_out = NULL;
    if (rc)
        return rc;
    int64_t id = inc->id;
    cJSON *blocks = cJSON_CreateArray();

    /* Header: plain text, so the title is shown literally; only its length is bounded. */
    txt_init(&t, RENDER_MAX_HEADER_TEXT);
    txt_rawf(&t, "INC-%" PRId64 ": ", id);
    txt_title(&t, inc->title, TEXT_PLAIN, RENDER_MAX_HEADER_TEXT);
    char *header = NULL;
    if (txt_take(&t, &header) != BOT_OK)
        rc = BOT_ETOOBIG;
    cJSON *hb = add_block(blocks, "header", id, "header");
    cJSON_AddItemToObject(hb, "text",
                          plain_text(header ? header : "", RENDER_MAX_HEADER_TEXT, &rc));
    free(header);

    cJSON *summary = add_block(blocks, "section", id, "summary");
    cJSON *fields = cJSON_AddArrayToObject(summary, "fields");
    field_begin(&t, "Severity");
    txt_rawf(&t, "%s %s", sev_emoji[inc->severity], plan_severity_name(inc->severity));
    add_field(fields, &t, &rc);
    field_begin(&t, "Status");
    txt_raw(&t, status_name(inc));
    add_field(fields, &t, &rc);
    field_begin(&t, "Step");
    txt_rawf(&t, "%d/%d %s", inc->step, RENDER_STEPS, render_step_name(inc->step));
    add_field(fields, &t, &rc);
    field_begin(&t, "Started");
    txt_date(&t, inc->started_at_ms);
    add_field(fields, &t, &rc);
    field_begin(&t, "Age");
    txt_age(&t, inc->started_at_ms > 0 ? now_ms - inc->started_at_ms : 0);
    add_field(fields, &t, &rc);
    add_role_field(fields, "IRM", inc->irm, &rc);
    add_role_field(fields, "Tech liaison", inc->tech_liaison, &rc);
    add_role_field(fields, "Support liaison", inc->support_liaison, &rc);
    add_role_field(fields, "DPO", inc->dpo, &rc);

    if (inc->description != NULL && inc->description[0] != '\0') {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        txt_raw(&t, "*Description*\n");
        txt_stored(&t, inc->description, TEXT_MRKDWN, RENDER_MAX_SECTION_TEXT);
        section_take(blocks, id, "description", &t, &rc);
    }
    if (inc->n_components > 0) {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        components_text(&t, inc);
        section_take(blocks, id, "components", &t, &rc);
    }
    if (inc->breach) {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        txt_raw(&t, ":warning: *Suspected data or security breach.* Keep this channel private "
                    "and involve the DPO before anything is said in public.");
        context_take(blocks, id, "breach", &t, &rc);
    }
    if (inc->call_url != NULL && inc->call_url[0] != '\0') {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        txt_raw(&t, ":video_camera: *Call:* ");
        txt_link(&t, inc->call_url, "Join the call");
        section_take(blocks, id, "call", &t, &rc);
    }

    int vn = snprintf(value, sizeof value, "%" PRId64, id); /* 20 digits at most */
    if (vn < 0 || (size_t)vn >= sizeof value)
        rc = BOT_ETOOBIG;
    /* A cancelled incident has nothing left to do on it: no buttons, no role menus; a closed
     * one only its record (the checklist). */
    if (!inc->cancelled && inc->status == ST_CLOSED) {
        cJSON *acts = add_block(blocks, "actions", id, "actions");
        cJSON *els = cJSON_AddArrayToObject(acts, "elements");
        cJSON_AddItemToArray(els, button("Checklist", "inc_checklist", value, NULL, &rc));
    } else if (!inc->cancelled) {
        cJSON *acts = add_block(blocks, "actions", id, "actions");
        cJSON *els = cJSON_AddArrayToObject(acts, "elements");
        /* Once someone holds IRM, taking it is taking it over: said so, and confirmed first. */
        if (valid_id(inc->irm)) {
            char ask[200];
            int an = snprintf(ask, sizeof ask,
                              "INC-%" PRId64 " already has an IRM. Take the role "
                              "over? They are told in the channel.",
                              id);
            if (an < 0 || (size_t)an >= sizeof ask)
                rc = BOT_ETOOBIG;
            cJSON *b = button("Take over IRM", "inc_take_irm", value, NULL, &rc);
            button_confirm(b, "Take over IRM?", ask, "Take over", "Cancel", &rc);
            cJSON_AddItemToArray(els, b);
        } else {
            cJSON_AddItemToArray(els, button("Take IRM", "inc_take_irm", value, "primary", &rc));
        }
        cJSON_AddItemToArray(els, severity_select("inc_severity", inc->severity, &rc));
        if (next_status[inc->status].label != NULL) {
            int nn = snprintf(next_value, sizeof next_value, "%" PRId64 ":%s", id,
                              plan_status_name(next_status[inc->status].next));
            if (nn < 0 || (size_t)nn >= sizeof next_value)
                rc = BOT_ETOOBIG;
            cJSON_AddItemToArray(els, button(next_status[inc->status].label, "inc_next_status",
                                             next_value, NULL, &rc));
        }
        if (!inc->public_)
            cJSON_AddItemToArray(els,
                                 button("Publish to status page", "inc_publish", value, NULL, &rc));
        cJSON_AddItemToArray(els, button("Checklist", "inc_checklist", value, NULL, &rc));
        cJSON_AddItemToArray(els, button("Components", "inc_components", value, NULL, &rc));

        cJSON *roles = add_block(blocks, "actions", id, "roles");
        els = cJSON_AddArrayToObject(roles, "elements");
        cJSON_AddItemToArray(els, users_select("inc_role_irm", "Assign IRM", inc->irm, &rc));
        cJSON_AddItemToArray(
            els, users_select("inc_role_tech", "Assign tech liaison", inc->tech_liaison, &rc));
        cJSON_AddItemToArray(els, users_select("inc_role_support", "Assign support liaison",
                                               inc->support_liaison, &rc));
        cJSON_AddItemToArray(els, users_select("inc_role_dpo", "Assign DPO", inc->dpo, &rc));
    }

    if (inc->declared_at_ms > 0 || (inc->announcement_url && inc->announcement_url[0])) {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        if (inc->declared_at_ms > 0) {
            txt_raw(&t, "Declared ");
            txt_date(&t, inc->declared_at_ms);
        }
        if (inc->announcement_url && inc->announcement_url[0]) {
            txt_raw(&t, inc->declared_at_ms > 0 ? " · " : "");
            txt_link(&t, inc->announcement_url, "Announcement");
        }
        context_take(blocks, id, "meta", &t, &rc);
    }

    if (inc->mirror_state && inc->mirror_state[0]) {
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        txt_raw(&t, ":satellite_antenna: Status page mirror: ");
        txt_user(&t, inc->mirror_state, TEXT_MRKDWN, 500);
        context_take(blocks, id, "mirror", &t, &rc);
    }

    if (rc == BOT_OK)
        rc = check_counts(blocks, RENDER_MAX_BLOCKS);
    if (rc == BOT_OK)
        rc = fallback_text(inc, ": ", fallback_text_out);
    if (rc) {
        cJSON_Delete(blocks);
        return rc;
    }
    *blocks_out = blocks;
    return BOT_OK;
}

enum bot_rc render_announcement(const struct render_incident *inc, cJSON **blocks_out,
                                char **fallback_text_out)
{
    enum bot_rc rc = check_incident(inc);
    struct txt t;
    *blocks_out = NULL;
    *fallback_text_out = NULL;
    if (rc)
        return rc;
    cJSON *blocks = cJSON_CreateArray();
    bool over = inc->status >= ST_RESOLVED;

    if (inc->redacted) {
        const char *ask = valid_id(inc->irm) ? inc->irm : inc->declarer;
        txt_init(&t, RENDER_MAX_SECTION_TEXT);
        txt_rawf(&t, "%s *INC-%" PRId64 "*, a private incident\n*Severity:* %s  ·  *Status:* %s\n"
                 "Its details stay in its private channel. ",
                 over ? ":white_check_mark:" : ":lock:", inc->id,
                 plan_severity_name(inc->severity), status_name(inc));
        if (valid_id(ask)) {
            txt_raw(&t, "Ask ");
            txt_mention(&t, ask);
            txt_raw(&t, valid_id(inc->irm) ? ", its IRM, " : ", who declared it, ");
            txt_raw(&t, "if you need access.");
        }
        section_take(blocks, inc->id, "announce", &t, &rc);
        if (rc == BOT_OK)
            rc = check_counts(blocks, RENDER_MAX_BLOCKS);
        if (rc == BOT_OK) {
            txt_init(&t, RENDER_MAX_FALLBACK);
            txt_rawf(&t, "INC-%" PRId64 ", a private incident — %s, %s", inc->id,
                     plan_severity_name(inc->severity), status_name(inc));
            rc = txt_take(&t, fallback_text_out);
        }
        if (rc) {
            cJSON_Delete(blocks);
            return rc;
        }
        *blocks_out = blocks;
        return BOT_OK;
    }

    txt_init(&t, RENDER_MAX_SECTION_TEXT);
    txt_rawf(&t, "%s *INC-%" PRId64 "* ", over ? ":white_check_mark:" : sev_emoji[inc->severity],
             inc->id);
    txt_title(&t, inc->title, TEXT_MRKDWN, TITLE_IN_TEXT_MAX);
    txt_rawf(&t, "\n*Severity:* %s  ·  *Status:* %s  ·  *Channel:* ",
             plan_severity_name(inc->severity), status_name(inc));
    if (valid_id(inc->channel_id))
        txt_rawf(&t, "<#%s>", inc->channel_id);
    else
        txt_raw(&t, "_being created_");
    txt_raw(&t, "  ·  *IRM:* ");
    txt_mention(&t, inc->irm);
    section_take(blocks, inc->id, "announce", &t, &rc);

    txt_init(&t, RENDER_MAX_SECTION_TEXT);
    txt_raw(&t, "Started ");
    txt_date(&t, inc->started_at_ms);
    if (inc->public_)
        txt_raw(&t, " · on the public status page");
    context_take(blocks, inc->id, "announce_meta", &t, &rc);

    if (rc == BOT_OK)
        rc = check_counts(blocks, RENDER_MAX_BLOCKS);
    if (rc == BOT_OK) {
        txt_init(&t, RENDER_MAX_FALLBACK);
        txt_rawf(&t, "%s INC-%" PRId64 " ", over ? ":white_check_mark:" : sev_emoji[inc->severity],
                 inc->id);
        txt_title(&t, inc->title, TEXT_MRKDWN, TITLE_IN_TEXT_MAX);
        txt_rawf(&t, " — %s, %s", plan_severity_name(inc->severity), status_name(inc));
        rc = txt_take(&t, fallback_text_out);
    }
    if (rc) {
        cJSON_Delete(blocks);
        return rc;
    }
    *blocks_out = blocks;
    return BOT_OK;
}

enum bot_rc render_update_line(const struct render_update *u, char **text_out)
{
    struct txt t;
    *text_out = NULL;
    if (u == NULL)
        return BOT_EINVAL;
    txt_init(&t, RENDER_MAX_FALLBACK);
    switch (u->kind) {
    case RENDER_UPDATE_STATUS:
        if ((unsigned)u->status >= ST_COUNT)
            goto bad;
        txt_rawf(&t, "Status changed to %s", plan_status_name(u->status));
        break;
    case RENDER_UPDATE_SEVERITY:
        if ((unsigned)u->severity >= SEV_COUNT)
            goto bad;
        txt_rawf(&t, "Severity changed to %s", plan_severity_name(u->severity));
        break;
    case RENDER_UPDATE_NOTE:
        txt_raw(&t, "Note");
        break;
    case RENDER_UPDATE_CANCELLED:
        txt_raw(&t, "Cancelled, not an incident after all,");
        break;
    default:
        goto bad;
    }
    if (u->actor != NULL && u->actor[0] != '\0') {
        txt_raw(&t, " by ");
        txt_mention(&t, u->actor);
    }
    if (u->text != NULL && u->text[0] != '\0') {
        txt_raw(&t, ": ");
        txt_stored(&t, u->text, TEXT_MRKDWN, UPDATE_TEXT_MAX);
    }
    return txt_take(&t, text_out);
bad:
    txt_free(&t);
    return BOT_EINVAL;
}

enum bot_rc render_topic(const struct render_incident *inc, char **topic_out)
{
    struct txt t;
    *topic_out = NULL;
    if (check_incident(inc))
        return BOT_EINVAL;
    txt_init(&t, RENDER_MAX_TOPIC);
    txt_rawf(&t, "SEV %s | %s | IRM ", plan_severity_name(inc->severity),
             status_name(inc));
    if (valid_id(inc->irm))
        txt_rawf(&t, "<@%s>", inc->irm);
    else
        txt_raw(&t, "unassigned");
    if (inc->breach)
        txt_raw(&t, " | breach suspected");
    return txt_take(&t, topic_out);
}

enum bot_rc render_purpose(const struct render_incident *inc, char **purpose_out)
{
    struct txt t;
    *purpose_out = NULL;
    if (check_incident(inc))
        return BOT_EINVAL;
    txt_init(&t, RENDER_MAX_PURPOSE);
    txt_title(&t, inc->title, TEXT_MRKDWN, RENDER_MAX_PURPOSE);
    return txt_take(&t, purpose_out);
}

/* ---- the declare modal ---- */

static cJSON *input_block(cJSON *blocks, const char *block_id, const char *label, bool optional,
                          cJSON *element, const char *hint, enum bot_rc *rc)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "type", "input");
    cJSON_AddStringToObject(b, "block_id", block_id);
    cJSON_AddItemToObject(b, "label", plain_text(label, RENDER_MAX_LABEL, rc));
    cJSON_AddBoolToObject(b, "optional", optional);
    cJSON_AddItemToObject(b, "element", element);
    if (hint != NULL)
        cJSON_AddItemToObject(b, "hint", plain_text(hint, RENDER_MAX_LABEL, rc));
    cJSON_AddItemToArray(blocks, b);
    return b;
}

static cJSON *element(const char *type, const char *action_id, const char *placeholder,
                      enum bot_rc *rc)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", type);
    cJSON_AddStringToObject(e, "action_id", action_id);
    if (placeholder != NULL)
        cJSON_AddItemToObject(e, "placeholder",
                              plain_text(placeholder, RENDER_MAX_PLACEHOLDER, rc));
    return e;
}

/* True when all of s is valid UTF-8. */
static bool utf8_valid(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0, l; i < n; i += l)
        if ((l = utf8_seq_len((const unsigned char *)s + i, n - i)) == 0)
            return false;
    return true;
}

/* Characters of s as Slack counts them (astral = 2, a bad byte = 1). */
static size_t count_chars(const char *s)
{
    size_t n = strlen(s), chars = 0;
    for (size_t i = 0; i < n;) {
        struct piece pc = next_piece(s, n, i, TEXT_PLAIN);
        chars += pc.chars;
        i += pc.adv;
    }
    return chars;
}

/* A static_select of names (those that can be an option value that comes back unchanged). */
static cJSON *names_select(const char *action_id, const char *placeholder,
                           const char *const *names, size_t n, enum bot_rc *rc)
{
    cJSON *opts = cJSON_CreateArray();
    size_t shown = 0;
    for (size_t i = 0; i < n && shown < RENDER_MAX_OPTIONS; i++) {
        const char *c = names[i];
        if (c == NULL || c[0] == '\0' || count_chars(c) > RENDER_MAX_OPTION_VALUE || !utf8_valid(c))
            continue;
        cJSON_AddItemToArray(opts, option(c, c, rc));
        shown++;
    }
    if (shown == 0) {
        cJSON_Delete(opts);
        return NULL; /* Slack refuses a menu without options */
    }
    cJSON *e = element("static_select", action_id, placeholder, rc);
    cJSON_AddItemToObject(e, "options", opts);
    return e;
}

enum bot_rc render_components_menu(int64_t id, const char *const *current, size_t n_current,
                                   const char *const *others, size_t n_others,
                                   cJSON **blocks_out, char **text_out)
{
    enum bot_rc rc = BOT_OK;
    struct txt t;
    *blocks_out = NULL;
    *text_out = NULL;
    if (id <= 0)
        return BOT_EINVAL;
    txt_init(&t, RENDER_MAX_SECTION_TEXT);
    txt_rawf(&t, "*INC-%" PRId64 "* affects ", id);
    if (n_current == 0)
        txt_raw(&t, "no component yet");
    for (size_t i = 0; i < n_current; i++) {
        txt_raw(&t, i == 0 ? "" : i + 1 == n_current ? " and " : ", ");
        txt_raw(&t, "*");
        txt_user(&t, current[i], TEXT_MRKDWN, COMPONENT_TEXT_MAX);
        txt_raw(&t, "*");
    }
    cJSON *add = names_select("inc_component_add", "Add a component", others, n_others, &rc);
    cJSON *del = names_select("inc_component_remove", "Remove a component", current, n_current,
                              &rc);
    if (add != NULL || del != NULL)
        txt_raw(&t, ". Choose one to add or remove; the status page follows when it is public. "
                    "By command: `/incident component add|remove <name>`.");
    else
        txt_raw(&t, ", and no other component is known: configure them in "
                    "`[[statuspage.components]]`.");
    char *text = NULL;
    if (txt_take(&t, &text) != BOT_OK) {
        cJSON_Delete(add);
        cJSON_Delete(del);
        return BOT_ETOOBIG;
    }
    cJSON *blocks = cJSON_CreateArray();
    cJSON *sec = add_block(blocks, "section", id, "components_menu");
    cJSON *st = cJSON_AddObjectToObject(sec, "text");
    cJSON_AddStringToObject(st, "type", "mrkdwn");
    cJSON_AddStringToObject(st, "text", text);
    if (add != NULL || del != NULL) {
        cJSON *acts = add_block(blocks, "actions", id, "components_change");
        cJSON *els = cJSON_AddArrayToObject(acts, "elements");
        if (add != NULL)
            cJSON_AddItemToArray(els, add);
        if (del != NULL)
            cJSON_AddItemToArray(els, del);
    }
    if (rc == BOT_OK)
        rc = check_counts(blocks, RENDER_MAX_BLOCKS);
    if (rc) {
        cJSON_Delete(blocks);
        free(text);
        return rc;
    }
    *blocks_out = blocks;
    *text_out = text;
    return BOT_OK;
}

enum bot_rc render_declare_modal(const struct render_declare_defaults *d, cJSON **view_out)
{
    enum bot_rc rc = BOT_OK;
    *view_out = NULL;
    if (d == NULL || (d->n_components > 0 && d->components == NULL) ||
        (d->private_metadata && strlen(d->private_metadata) > RENDER_MAX_PRIVATE_META))
        return BOT_EINVAL;

    cJSON *view = cJSON_CreateObject();
    cJSON_AddStringToObject(view, "type", "modal");
    cJSON_AddStringToObject(view, "callback_id", RENDER_DECLARE_CALLBACK);
    cJSON_AddItemToObject(view, "title",
                          plain_text("Declare incident", RENDER_MAX_VIEW_TITLE, &rc));
    cJSON_AddItemToObject(view, "submit", plain_text("Declare", RENDER_MAX_VIEW_TITLE, &rc));
    cJSON_AddItemToObject(view, "close", plain_text("Cancel", RENDER_MAX_VIEW_TITLE, &rc));
    if (d->private_metadata != NULL)
        cJSON_AddStringToObject(view, "private_metadata", d->private_metadata);
    cJSON *blocks = cJSON_AddArrayToObject(view, "blocks");
    cJSON *e;

    e = element("plain_text_input", "title_input", "What is broken, in a few words", &rc);
    cJSON_AddNumberToObject(e, "max_length", RENDER_MAX_TITLE_INPUT);
    if (d->title != NULL && d->title[0] != '\0') {
        struct txt t;
        char *s;
        txt_init(&t, RENDER_MAX_TITLE_INPUT);
        txt_title(&t, d->title, TEXT_PLAIN, RENDER_MAX_TITLE_INPUT);
        if (txt_take(&t, &s) == BOT_OK) {
            cJSON_AddStringToObject(e, "initial_value", s);
            free(s);
        } else {
            rc = BOT_ETOOBIG;
        }
    }
    input_block(blocks, "title", "Title", false, e, NULL, &rc);

    e = element("plain_text_input", "description_input", "What do users see? What is known?", &rc);
    cJSON_AddBoolToObject(e, "multiline", 1);
    cJSON_AddNumberToObject(e, "max_length", RENDER_MAX_DESC_INPUT);
    input_block(blocks, "description", "Description", true, e, NULL, &rc);

    e = element("static_select", "scope_input", "Choose the scope", &rc);
    cJSON *opts = cJSON_AddArrayToObject(e, "options");
    for (size_t i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
        cJSON_AddItemToArray(opts, option(scopes[i].label, scopes[i].value, &rc));
    input_block(blocks, "scope", "How much of the product is affected?", true, e, NULL, &rc);

    e = element("number_input", "percent_input", "0 to 100", &rc);
    cJSON_AddBoolToObject(e, "is_decimal_allowed", 0);
    cJSON_AddStringToObject(e, "min_value", "0");
    cJSON_AddStringToObject(e, "max_value", "100");
    input_block(blocks, "percent", "Customers affected (%)", true, e, NULL, &rc);

    e = element("checkboxes", "breach_input", NULL, &rc);
    opts = cJSON_AddArrayToObject(e, "options");
    cJSON *o = option("Suspected data or security breach", "breach", &rc);
    cJSON_AddItemToObject(o, "description",
                          plain_text("The channel is made private and the DPO is asked to join",
                                     RENDER_MAX_LABEL, &rc));
    cJSON_AddItemToArray(opts, o);
    input_block(blocks, "breach", "Data security", true, e, NULL, &rc);

    /* Nothing chosen: left empty, plan.c applies declare_suggest_severity() to the answers. */
    e = element("static_select", "severity_input", "Use the suggestion", &rc);
    opts = cJSON_AddArrayToObject(e, "options");
    for (int s = 0; s < SEV_COUNT; s++)
        cJSON_AddItemToArray(opts, severity_option((enum severity)s, &rc));
    input_block(blocks, "severity", "Severity", true, e,
                "Leave empty to use the suggestion from scope, share of customers and breach "
                "(major when none of them is given)",
                &rc);

    /* No initial time: unknown is not now, and only a given start is judged (declare.h). */
    e = element("datetimepicker", "started_input", NULL, &rc);
    input_block(blocks, "started", "When did it start?", true, e, "Leave empty when unknown", &rc);

    e = element("number_input", "users_input", "How many users are affected?", &rc);
    cJSON_AddBoolToObject(e, "is_decimal_allowed", 0);
    cJSON_AddStringToObject(e, "min_value", "0");
    input_block(blocks, "users", "Affected users", true, e, NULL, &rc);

    size_t shown = 0;
    cJSON *copts = cJSON_CreateArray();
    for (size_t i = 0; i < d->n_components && shown < RENDER_MAX_OPTIONS; i++) {
        const char *c = d->components[i];
        if (c == NULL || c[0] == '\0' || count_chars(c) > RENDER_MAX_OPTION_VALUE || !utf8_valid(c))
            continue; /* cannot be an option value that comes back unchanged */
        cJSON_AddItemToArray(copts, option(c, c, &rc));
        shown++;
    }
    if (shown > 0) {
        e = element("multi_static_select", "components_input", "Choose components", &rc);
        cJSON_AddItemToObject(e, "options", copts);
        input_block(blocks, "components", "Affected components", true, e, NULL, &rc);
    } else {
        cJSON_Delete(copts);
    }

    if (rc == BOT_OK)
        rc = check_counts(blocks, RENDER_MAX_MODAL_BLOCKS);
    if (rc) {
        cJSON_Delete(view);
        return rc;
    }
    *view_out = view;
    return BOT_OK;
}

/* ---- reading the submission ---- */

static enum bot_rc bad(struct render_declare_values *v, const char *block, struct bot_err *err,
                       enum bot_rc rc, const char *msg)
{
    v->error_block = block;
    return bot_err_set(err, rc, "%s", msg);
}

/*
 * values[block][action] into *out, or NULL when the block is absent (an
 * optional input Slack left out). A present entry must be an object of type.
 */
static enum bot_rc state_entry(const cJSON *values, const char *block, const char *action,
                               const char *type, const cJSON **out, struct render_declare_values *v,
                               struct bot_err *err)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(values, block);
    *out = NULL;
    if (b == NULL)
        return BOT_OK;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(b, action);
    const char *t = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e, "type"));
    if (!cJSON_IsObject(b) || !cJSON_IsObject(e) || t == NULL || strcmp(t, type) != 0) {
        v->error_block = block;
        return bot_err_set(err, BOT_EPROTO, "%s: expected a %s element", block, type);
    }
    *out = e;
    return BOT_OK;
}

/* The "value" string of an entry: NULL when absent or null, EPROTO when another type. */
static enum bot_rc entry_value(const cJSON *e, const char *block, const char **out,
                               struct render_declare_values *v, struct bot_err *err)
{
    const cJSON *val = cJSON_GetObjectItemCaseSensitive(e, "value");
    *out = NULL;
    if (val == NULL || cJSON_IsNull(val))
        return BOT_OK;
    if (!cJSON_IsString(val)) {
        v->error_block = block;
        return bot_err_set(err, BOT_EPROTO, "%s: value is not a string", block);
    }
    *out = val->valuestring;
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

/* A whole number in decimal, as number_input sends it ("42"), within [min, max]. */
static bool parse_int(const char *s, long long min, long long max, long long *out)
{
    char *end;
    if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '-'))
        return false;
    errno = 0;
    long long n = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || n < min || n > max)
        return false;
    *out = n;
    return true;
}

/* The value of an entry's selected_option; NULL when none; EPROTO when malformed. */
static enum bot_rc selected_value(const cJSON *e, const char *block, const char **out,
                                  struct render_declare_values *v, struct bot_err *err)
{
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(e, "selected_option");
    *out = NULL;
    if (so == NULL || cJSON_IsNull(so))
        return BOT_OK;
    *out = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(so, "value"));
    if (*out == NULL)
        return bad(v, block, err, BOT_EPROTO, "selected option has no value");
    return BOT_OK;
}

/* The selected_options array of an entry (NULL when absent or null), EPROTO when not an array. */
static enum bot_rc selected_values(const cJSON *e, const char *block, const cJSON **out,
                                   struct render_declare_values *v, struct bot_err *err)
{
    const cJSON *so = cJSON_GetObjectItemCaseSensitive(e, "selected_options");
    *out = NULL;
    if (so == NULL || cJSON_IsNull(so))
        return BOT_OK;
    if (!cJSON_IsArray(so))
        return bad(v, block, err, BOT_EPROTO, "selected options are not a list");
    const cJSON *o;
    cJSON_ArrayForEach(o, so)
    {
        if (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value")) == NULL)
            return bad(v, block, err, BOT_EPROTO, "a selected option has no value");
    }
    *out = so;
    return BOT_OK;
}

void render_declare_values_free(struct render_declare_values *v)
{
    if (v == NULL)
        return;
    free(v->title);
    free(v->description);
    for (size_t i = 0; i < v->n_components; i++)
        free(v->components[i]);
    free(v->components);
    v->title = v->description = NULL;
    v->components = NULL;
    v->n_components = 0;
}

static enum bot_rc parse_fields(const cJSON *values, struct render_declare_values *v,
                                struct bot_err *err)
{
    const cJSON *e, *list;
    const char *s;
    long long n;
    enum bot_rc rc;

    if ((rc = state_entry(values, "title", "title_input", "plain_text_input", &e, v, err)) ||
        (e && (rc = entry_value(e, "title", &s, v, err))))
        return rc;
    v->title = e && s ? trimmed_dup(s) : NULL;
    if (v->title == NULL)
        return bad(v, "title", err, BOT_EINVAL, "Give the incident a title.");
    if (count_chars(v->title) > RENDER_MAX_TITLE_INPUT)
        return bad(v, "title", err, BOT_EINVAL, "The title is too long: at most 150 characters.");

    if ((rc = state_entry(values, "description", "description_input", "plain_text_input", &e, v,
                          err)) ||
        (e && (rc = entry_value(e, "description", &s, v, err))))
        return rc;
    v->description = e && s ? trimmed_dup(s) : NULL;
    if (v->description && count_chars(v->description) > RENDER_MAX_DESC_INPUT)
        return bad(v, "description", err, BOT_EINVAL,
                   "The description is too long: at most 3000 characters.");

    if ((rc = state_entry(values, "scope", "scope_input", "static_select", &e, v, err)) ||
        (e && (rc = selected_value(e, "scope", &s, v, err))))
        return rc;
    if (e && s) {
        size_t i;
        for (i = 0; i < sizeof scopes / sizeof scopes[0]; i++)
            if (strcmp(s, scopes[i].value) == 0)
                break;
        if (i == sizeof scopes / sizeof scopes[0])
            return bad(v, "scope", err, BOT_EPROTO, "unknown scope");
        v->scope = scopes[i].scope;
    }

    if ((rc = state_entry(values, "percent", "percent_input", "number_input", &e, v, err)) ||
        (e && (rc = entry_value(e, "percent", &s, v, err))))
        return rc;
    if (e && s && s[0] != '\0') {
        if (!parse_int(s, 0, 100, &n))
            return bad(
                v, "percent", err, BOT_EINVAL,
                "Give the percentage of customers affected as a whole number from 0 to 100.");
        v->percent = (int)n;
    }

    if ((rc = state_entry(values, "breach", "breach_input", "checkboxes", &e, v, err)) ||
        (e && (rc = selected_values(e, "breach", &list, v, err))))
        return rc;
    if (e && list) {
        const cJSON *o;
        cJSON_ArrayForEach(o, list)
        {
            s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value"));
            if (strcmp(s, "breach") == 0)
                v->breach = true;
        }
    }

    if ((rc = state_entry(values, "severity", "severity_input", "static_select", &e, v, err)) ||
        (e && (rc = selected_value(e, "severity", &s, v, err))))
        return rc;
    if (e && s) {
        if (!plan_severity_parse(s, strlen(s), &v->severity))
            return bad(v, "severity", err, BOT_EPROTO, "unknown severity");
        v->has_severity = true;
    }

    if ((rc = state_entry(values, "started", "started_input", "datetimepicker", &e, v, err)))
        return rc;
    const cJSON *dt = e ? cJSON_GetObjectItemCaseSensitive(e, "selected_date_time") : NULL;
    if (dt != NULL && !cJSON_IsNull(dt)) {
        double secs = dt->valuedouble;
        /* Whole seconds between 1970 and the year 10000, the picker's range. */
        if (!cJSON_IsNumber(dt))
            return bad(v, "started", err, BOT_EPROTO, "the start time is not a number");
        if (!(secs >= 0 && secs <= 253402300799.0) || secs != (double)(int64_t)secs)
            return bad(v, "started", err, BOT_EINVAL, "Give a valid start time.");
        v->started_at_ms = (int64_t)secs * 1000;
    }

    if ((rc = state_entry(values, "users", "users_input", "number_input", &e, v, err)) ||
        (e && (rc = entry_value(e, "users", &s, v, err))))
        return rc;
    if (e && s && s[0] != '\0') {
        if (!parse_int(s, 0, RENDER_MAX_AFFECTED_USERS, &n))
            return bad(v, "users", err, BOT_EINVAL,
                       "Give the number of affected users as a whole number, 0 or more.");
        v->affected_users = n;
    }

    if ((rc = state_entry(values, "components", "components_input", "multi_static_select", &e, v,
                          err)) ||
        (e && (rc = selected_values(e, "components", &list, v, err))))
        return rc;
    if (e && list) {
        int count = cJSON_GetArraySize(list);
        if (count > RENDER_MAX_OPTIONS)
            return bad(v, "components", err, BOT_EINVAL, "Too many components chosen.");
        v->components = xcalloc((size_t)count + 1, sizeof *v->components);
        const cJSON *o;
        cJSON_ArrayForEach(o, list)
        {
            s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "value"));
            v->components[v->n_components++] = xstrdup(s);
        }
    }
    return BOT_OK;
}

enum bot_rc render_parse_declare_submission(const cJSON *view_state_values,
                                            struct render_declare_values *out, struct bot_err *err)
{
    memset(out, 0, sizeof *out);
    out->percent = -1;
    out->affected_users = -1;
    if (!cJSON_IsObject(view_state_values))
        return bot_err_set(err, BOT_EPROTO, "view.state.values is not an object");
    enum bot_rc rc = parse_fields(view_state_values, out, err);
    if (rc) {
        const char *block = out->error_block;
        render_declare_values_free(out);
        memset(out, 0, sizeof *out);
        out->percent = -1;
        out->affected_users = -1;
        out->error_block = block;
    }
    return rc;
}

const cJSON *render_view_state_values(const cJSON *payload)
{
    const cJSON *view = cJSON_GetObjectItemCaseSensitive(payload, "view");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(view, "state");
    const cJSON *values = cJSON_GetObjectItemCaseSensitive(state, "values");
    return cJSON_IsObject(values) ? values : NULL;
}

/* ---- small replies and routing ---- */

static char *bounded_copy(const char *s, enum text_mode mode, size_t max)
{
    struct txt t;
    char *out;
    txt_init(&t, max);
    txt_user(&t, s, mode, max);
    if (txt_take(&t, &out) != BOT_OK)
        out = xstrdup("");
    return out;
}

cJSON *render_ephemeral_error(const char *text)
{
    /* The bot's own mrkdwn: cut and made valid UTF-8, but not escaped. Callers escape user text. */
    char *s = bounded_copy(text ? text : "", TEXT_PLAIN, RENDER_MAX_FALLBACK);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "response_type", "ephemeral");
    cJSON_AddStringToObject(o, "text", s);
    free(s);
    return o;
}

cJSON *render_view_errors(const char *block_id, const char *message)
{
    char *s = bounded_copy(message ? message : "", TEXT_PLAIN, RENDER_MAX_LABEL);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "response_action", "errors");
    cJSON *errs = cJSON_AddObjectToObject(o, "errors");
    cJSON_AddStringToObject(errs, block_id ? block_id : "", s);
    free(s);
    return o;
}

/* Parses the positive decimal id at s; *end points after it. */
static bool parse_id(const char *s, int64_t *id, const char **end)
{
    int64_t n = 0;
    const char *p = s;
    if (*p < '1' || *p > '9')
        return false;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - (*p - '0')) / 10)
            return false;
        n = n * 10 + (*p - '0');
    }
    *id = n;
    *end = p;
    return true;
}

bool render_block_incident_id(const char *block_id, int64_t *id_out)
{
    const char *end;
    int64_t id;
    if (block_id == NULL || strncmp(block_id, "inc", 3) != 0 ||
        !parse_id(block_id + 3, &id, &end) || *end != '_')
        return false;
    *id_out = id;
    return true;
}

bool render_parse_action_value(const char *value, int64_t *id_out, const char **arg_out)
{
    const char *end;
    int64_t id;
    if (value == NULL || !parse_id(value, &id, &end) || (*end != '\0' && *end != ':'))
        return false;
    *id_out = id;
    *arg_out = *end == ':' ? end + 1 : end;
    return true;
}
