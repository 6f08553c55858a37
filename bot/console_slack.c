/*
 * The console's workspace: a small, in-process Slack that answers the Web
 * API methods incidentd calls (the same answers in shape as Slack's, errors
 * included, so delivery takes the same paths it takes against Slack) and
 * prints what a person in the workspace would see: which channel, who,
 * ephemeral or not, an edit as the lines it changed, and every button or menu
 * with a number to click it by (kept across an edit of its message). Forms
 * opened with views.open wait here until the front end (console.c) asks them
 * as prompts.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "slack_api.h"
#include "store.h"
#include "xmalloc.h"

#define CS_MAX_MEMBERS    64           /* members of one channel */
#define CS_MAX_CHANNELS   4096         /* channels in the workspace */
#define CS_MAX_MESSAGES   2000         /* kept per channel; older ones are forgotten */
#define CS_MAX_CLICKS     4096         /* numbered elements remembered; older ones expire */
#define CS_MAX_MSG_CLICKS 256          /* numbers of one message that an edit can keep */
#define CS_MAX_DIFF_LINES 400          /* lines of a message an edit is diffed over */
#define CS_MAX_RESPONSES  4096         /* response_urls remembered */
#define CS_MAX_OUT        (256u << 10) /* one printed message */
#define CS_TOPIC_MAX      250          /* Slack's limit for topics and purposes */
#define CS_NAME_MAX       80           /* Slack's limit for channel names */

struct cuser {
    const char *id, *name, *real, *title;
    bool is_bot;
};

/* The default workspace: a few people with the parts they play in the plan. */
static const struct cuser users[] = {
    {"U0ALICE", "alice", "Alice Ng", "on-call engineer", false},
    {"U0BOB", "bob", "Bob Ruiz", "incident manager", false},
    {"U0CAROL", "carol", "Carol Diaz", "support lead", false},
    {"U0DAVE", "dave", "Dave Kim", "data protection officer", false},
    {"U0ERIN", "erin", "Erin Park", "engineer", false},
    {CONSOLE_BOT_USER, "incidentd", "incidentd", "the bot", true},
};
#define N_USERS      (sizeof(users) / sizeof(users[0]))
#define IRM_GROUP_ID "S0IRM"

struct cmsg {
    char ts[24];
    char thread_ts[24];
    char user[CONSOLE_ID_MAX];
    long eph; /* > 0: an ephemeral message, shown to eph_user only */
    char eph_user[CONSOLE_ID_MAX];
    cJSON *obj;  /* text, blocks as posted */
    char *shown; /* its body as last printed (owned; NULL before), what an edit is diffed with */
    bool deleted;
};

struct cchan {
    char id[CONSOLE_ID_MAX];
    char name[CONSOLE_NAME_MAX];
    bool is_private, is_im, archived;
    char creator[CONSOLE_ID_MAX];
    char topic[CS_TOPIC_MAX + 1], purpose[CS_TOPIC_MAX + 1];
    char members[CS_MAX_MEMBERS][CONSOLE_ID_MAX];
    size_t n_members;
    struct cmsg *msgs;
    size_t n_msgs;
};

struct cclick {
    long n;
    char channel[CONSOLE_ID_MAX];
    char ts[24]; /* the message; "" for an ephemeral one */
    long eph;
    char block_id[256];
    cJSON *element;
};

struct cresp {
    long id;
    char user[CONSOLE_ID_MAX], channel[CONSOLE_ID_MAX], ts[24];
    long eph;
};

struct cview {
    char id[CONSOLE_ID_MAX];
    char user[CONSOLE_ID_MAX];
    cJSON *view;
};

struct cslack {
    pthread_mutex_t lock;
    FILE *out;
    struct slack_api_local local;
    struct cchan *chans;
    size_t n_chans;
    struct cmsg *ephs; /* ephemeral messages, by eph id */
    size_t n_ephs;
    struct cclick clicks[CS_MAX_CLICKS]; /* ring, by n % CS_MAX_CLICKS */
    long next_click;
    struct cresp resps[CS_MAX_RESPONSES]; /* ring, by id % CS_MAX_RESPONSES */
    long next_resp;
    struct cview *views;
    size_t n_views;
    long next_trigger, next_chan, next_view, next_eph;
    char last_created[CONSOLE_ID_MAX]; /* the channel the bot created last */
    int64_t ts_last_us;
};

/* ---- small helpers ---------------------------------------------------------------------- */

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

static const char *jstr(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool jbool(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsTrue(v) || (cJSON_IsString(v) && strcmp(v->valuestring, "true") == 0);
}

static const struct cuser *user_by_id(const char *id)
{
    for (size_t i = 0; id && i < N_USERS; i++)
        if (strcmp(users[i].id, id) == 0)
            return &users[i];
    return NULL;
}

static struct cchan *chan_by_id(struct cslack *cs, const char *id)
{
    for (size_t i = 0; id && i < cs->n_chans; i++)
        if (strcmp(cs->chans[i].id, id) == 0)
            return &cs->chans[i];
    return NULL;
}

static struct cchan *chan_by_name(struct cslack *cs, const char *name)
{
    for (size_t i = 0; name && i < cs->n_chans; i++)
        if (!cs->chans[i].is_im && strcmp(cs->chans[i].name, name) == 0)
            return &cs->chans[i];
    return NULL;
}

static bool is_member(const struct cchan *c, const char *user)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (strcmp(c->members[i], user) == 0)
            return true;
    return false;
}

static bool add_member(struct cchan *c, const char *user)
{
    if (is_member(c, user) || c->n_members >= CS_MAX_MEMBERS)
        return false;
    copy(c->members[c->n_members++], CONSOLE_ID_MAX, user);
    return true;
}

static struct cchan *add_chan(struct cslack *cs, const char *id, const char *name, bool priv,
                              const char *creator)
{
    if (cs->n_chans >= CS_MAX_CHANNELS)
        return NULL;
    cs->chans = xreallocarray(cs->chans, cs->n_chans + 1, sizeof(*cs->chans));
    struct cchan *c = &cs->chans[cs->n_chans++];
    memset(c, 0, sizeof(*c));
    copy(c->id, sizeof(c->id), id);
    copy(c->name, sizeof(c->name), name);
    c->is_private = priv;
    copy(c->creator, sizeof(c->creator), creator);
    return c;
}

static void next_ts(struct cslack *cs, char out[24])
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    int64_t us = (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
    if (us <= cs->ts_last_us)
        us = cs->ts_last_us + 1;
    cs->ts_last_us = us;
    snprintf(out, 24, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
}

static cJSON *answer_ok(void)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddTrueToObject(a, "ok");
    return a;
}

static cJSON *answer_err(const char *code)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddFalseToObject(a, "ok");
    cJSON_AddStringToObject(a, "error", code);
    return a;
}

/* The DM channel with user, made on first use. */
static struct cchan *im_with(struct cslack *cs, const struct cuser *u)
{
    char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
    snprintf(id, sizeof(id), "D%s", u->id + 1);
    struct cchan *c = chan_by_id(cs, id);
    if (c != NULL)
        return c;
    snprintf(name, sizeof(name), "@%s", u->name);
    c = add_chan(cs, id, name, true, CONSOLE_BOT_USER);
    if (c != NULL) {
        c->is_im = true;
        add_member(c, u->id);
        add_member(c, CONSOLE_BOT_USER);
    }
    return c;
}

/* ---- rendering ---------------------------------------------------------------------------- */

static void out_add(struct buf *o, const char *s, size_t n)
{
    (void)!buf_add(o, s, n);
}

static void out_str(struct buf *o, const char *s)
{
    (void)!buf_addstr(o, s);
}

/* Slack mrkdwn as a person reads it: <@U..> as @name, <#C..> as #name, links, entities. */
static void mrkdwn(struct cslack *cs, struct buf *o, const char *t, const char *indent)
{
    while (*t) {
        if (*t == '\n') {
            out_str(o, "\n");
            out_str(o, indent);
            t++;
        } else if (*t == '<') {
            /* A reference is <@…>, <#…>, <!…> or a link, closed on the same line; any other
             * '<' is text (Slack is lenient there too). */
            size_t span = strcspn(t + 1, "<>\n");
            const char *end = t[1 + span] == '>' ? t + 1 + span : NULL;
            bool ref_like = t[1] == '@' || t[1] == '#' || t[1] == '!' ||
                            strncmp(t + 1, "http://", 7) == 0 ||
                            strncmp(t + 1, "https://", 8) == 0 || strncmp(t + 1, "mailto:", 7) == 0;
            if (end == NULL || !ref_like) {
                out_add(o, t++, 1);
                continue;
            }
            char ref[512];
            size_t n = (size_t)(end - t - 1);
            if (n >= sizeof(ref))
                n = sizeof(ref) - 1;
            memcpy(ref, t + 1, n);
            ref[n] = '\0';
            char *bar = strchr(ref, '|');
            const char *label = bar ? bar + 1 : NULL;
            if (bar)
                *bar = '\0';
            if (ref[0] == '@') {
                const struct cuser *u = user_by_id(ref + 1);
                (void)!buf_addf(o, "@%s", u ? u->name : label ? label : ref + 1);
            } else if (ref[0] == '#') {
                struct cchan *c = chan_by_id(cs, ref + 1);
                (void)!buf_addf(o, "#%s", c ? c->name : label ? label : ref + 1);
            } else if (ref[0] == '!') {
                if (strncmp(ref, "!subteam^", 9) == 0)
                    (void)!buf_addf(o, "@%s", label ? label : "group");
                else if (strncmp(ref, "!date^", 6) == 0) {
                    /* As Slack shows it: the time in the reader's zone (here, the bot's). */
                    char *num_end = NULL;
                    long long secs = strtoll(ref + 6, &num_end, 10);
                    char when[40];
                    struct tm tm;
                    time_t tt = (time_t)secs;
                    if (num_end != ref + 6 && localtime_r(&tt, &tm) != NULL &&
                        strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) > 0)
                        out_str(o, when);
                    else
                        out_str(o, label ? label : "(a date)");
                } else
                    (void)!buf_addf(o, "@%s", ref + 1);
            } else if (label) {
                (void)!buf_addf(o, "%s (%s)", label, ref);
            } else {
                out_str(o, ref);
            }
            t = end + 1;
        } else if (*t == '&') {
            if (strncmp(t, "&lt;", 4) == 0) {
                out_str(o, "<");
                t += 4;
            } else if (strncmp(t, "&gt;", 4) == 0) {
                out_str(o, ">");
                t += 4;
            } else if (strncmp(t, "&amp;", 5) == 0) {
                out_str(o, "&");
                t += 5;
            } else {
                out_add(o, t++, 1);
            }
        } else {
            size_t n = strcspn(t, "\n<&");
            out_add(o, t, n);
            t += n;
        }
    }
}

/* A text object ({type, text}) or a string. */
static void text_obj(struct cslack *cs, struct buf *o, const cJSON *t, const char *indent)
{
    const char *s = cJSON_IsString(t) ? t->valuestring : jstr(t, "text");
    if (s == NULL)
        return;
    const char *type = jstr(t, "type");
    if (type != NULL && strcmp(type, "plain_text") == 0) {
        for (const char *p = s; *p; p++) {
            out_add(o, p, 1);
            if (*p == '\n')
                out_str(o, indent);
        }
        return;
    }
    mrkdwn(cs, o, s, indent);
}

static bool interactive(const char *type)
{
    static const char *const kinds[] = {
        "button",          "static_select",       "users_select",
        "overflow",        "multi_static_select", "multi_users_select",
        "radio_buttons",   "checkboxes",          "conversations_select",
        "channels_select", "datepicker",          "timepicker",
        "datetimepicker",
    };
    for (size_t i = 0; type && i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i], type) == 0)
            return true;
    return false;
}

/*
 * The numbering of one rendering of a message: the numbers its elements had before, which an
 * element that is still there keeps, so "7" means the same button before and after an edit.
 */
struct numbering {
    const char *channel, *ts;
    long eph;
    long old[CS_MAX_MSG_CLICKS]; /* 0 once kept */
    size_t n_old;
};

static bool same_msg(const struct cclick *k, const char *channel, const char *ts, long eph)
{
    return eph > 0 ? k->eph == eph
                   : k->eph == 0 && strcmp(k->channel, channel) == 0 && strcmp(k->ts, ts) == 0;
}

static void forget_click(struct cclick *k)
{
    cJSON_Delete(k->element);
    memset(k, 0, sizeof(*k));
}

/* Forgets the numbers of the elements of a message that is deleted. */
static void forget_clicks(struct cslack *cs, const char *channel, const char *ts, long eph)
{
    for (size_t i = 0; i < CS_MAX_CLICKS; i++)
        if (cs->clicks[i].n != 0 && same_msg(&cs->clicks[i], channel, ts, eph))
            forget_click(&cs->clicks[i]);
}

/* Before a message is rendered: collects the numbers it has (beyond the bound, forgets them). */
static void numbering_begin(struct cslack *cs, struct numbering *nb, const char *channel,
                            const char *ts, long eph)
{
    nb->channel = channel;
    nb->ts = ts;
    nb->eph = eph;
    nb->n_old = 0;
    for (size_t i = 0; i < CS_MAX_CLICKS; i++) {
        struct cclick *k = &cs->clicks[i];
        if (k->n == 0 || !same_msg(k, channel, ts, eph))
            continue;
        if (nb->n_old < CS_MAX_MSG_CLICKS)
            nb->old[nb->n_old++] = k->n;
        else
            forget_click(k);
    }
}

/* After it is rendered: the old numbers no element kept are forgotten (a stale click fails). */
static void numbering_end(struct cslack *cs, struct numbering *nb)
{
    for (size_t i = 0; i < nb->n_old; i++) {
        struct cclick *k = &cs->clicks[nb->old[i] % CS_MAX_CLICKS];
        if (nb->old[i] != 0 && k->n == nb->old[i])
            forget_click(k);
    }
}

static bool same_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

/*
 * The old number of the message's element that e is again (same type, action_id, value and
 * block, so a click on it acts the same), or 0. A number from more than half the ring ago is not
 * kept: the ring would soon reuse its slot while the message is still on screen.
 */
static long keep_number(struct cslack *cs, struct numbering *nb, const cJSON *e,
                        const char *block_id)
{
    char bid[sizeof(cs->clicks[0].block_id)];
    copy(bid, sizeof(bid), block_id);
    for (size_t i = 0; i < nb->n_old; i++) {
        long n = nb->old[i];
        const struct cclick *k = &cs->clicks[n % CS_MAX_CLICKS];
        if (n == 0 || k->n != n || n <= cs->next_click - CS_MAX_CLICKS / 2)
            continue;
        if (same_str(jstr(k->element, "type"), jstr(e, "type")) &&
            same_str(jstr(k->element, "action_id"), jstr(e, "action_id")) &&
            same_str(jstr(k->element, "value"), jstr(e, "value")) &&
            strcmp(k->block_id, bid) == 0) {
            nb->old[i] = 0;
            return n;
        }
    }
    return 0;
}

/* Numbers an element and prints it: "[7] Take IRM", "[8] Severity: critical | major | minor". */
static void element(struct cslack *cs, struct buf *o, const cJSON *e, const char *block_id,
                    struct numbering *nb)
{
    const char *type = jstr(e, "type");
    if (!interactive(type))
        return;
    long n = keep_number(cs, nb, e, block_id);
    struct cclick *k;
    if (n == 0) {
        n = ++cs->next_click;
        k = &cs->clicks[n % CS_MAX_CLICKS];
        forget_click(k);
        k->n = n;
        copy(k->channel, sizeof(k->channel), nb->channel);
        copy(k->ts, sizeof(k->ts), nb->ts);
        k->eph = nb->eph;
    } else {
        k = &cs->clicks[n % CS_MAX_CLICKS];
        cJSON_Delete(k->element); /* the new version is what a click acts on */
    }
    copy(k->block_id, sizeof(k->block_id), block_id);
    k->element = cJSON_Duplicate(e, true);
    (void)!buf_addf(o, "[%ld] ", n);
    const cJSON *label = cJSON_GetObjectItemCaseSensitive(e, "text");
    if (label == NULL)
        label = cJSON_GetObjectItemCaseSensitive(e, "placeholder");
    if (label != NULL)
        text_obj(cs, o, label, "");
    else
        out_str(o, type);
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(e, "options");
    if (cJSON_IsArray(opts)) {
        const cJSON *opt;
        const char *sep = ": ";
        cJSON_ArrayForEach(opt, opts)
        {
            out_str(o, sep);
            text_obj(cs, o, cJSON_GetObjectItemCaseSensitive(opt, "text"), "");
            sep = " | ";
        }
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(e, "initial_option");
        if (init != NULL) {
            out_str(o, " (now ");
            text_obj(cs, o, cJSON_GetObjectItemCaseSensitive(init, "text"), "");
            out_str(o, ")");
        }
    } else if (strstr(type, "users_select")) {
        const char *init = jstr(e, "initial_user");
        const struct cuser *u = user_by_id(init);
        (void)!buf_addf(o, ": a person (@name)%s%s%s", u ? " (now @" : "", u ? u->name : "",
                        u ? ")" : "");
    } else if (strcmp(type, "button") != 0) {
        (void)!buf_addf(o, " (%s)", type);
    } else if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "confirm"))) {
        /* Slack asks first; the console has no dialog, so clicking it is the confirmation. */
        out_str(o, " (asks to confirm)");
    }
}

static void blocks(struct cslack *cs, struct buf *o, const cJSON *bl, struct numbering *nb)
{
    const char *in = "   ";
    const cJSON *b;
    cJSON_ArrayForEach(b, bl)
    {
        const char *type = jstr(b, "type");
        const char *block_id = jstr(b, "block_id");
        if (type == NULL)
            continue;
        out_str(o, in);
        if (strcmp(type, "header") == 0) {
            out_str(o, "== ");
            text_obj(cs, o, cJSON_GetObjectItemCaseSensitive(b, "text"), in);
            out_str(o, " ==");
        } else if (strcmp(type, "section") == 0) {
            text_obj(cs, o, cJSON_GetObjectItemCaseSensitive(b, "text"), in);
            const cJSON *f;
            cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(b, "fields"))
            {
                struct buf one; /* "*Severity*\ncritical" reads "*Severity* critical" */
                buf_init(&one, CS_MAX_OUT);
                text_obj(cs, &one, f, "");
                for (char *p = one.data; p && *p; p++)
                    if (*p == '\n')
                        *p = ' ';
                out_str(o, "\n");
                out_str(o, in);
                out_str(o, "  ");
                out_str(o, buf_str(&one));
                buf_free(&one);
            }
            const cJSON *acc = cJSON_GetObjectItemCaseSensitive(b, "accessory");
            if (acc != NULL && interactive(jstr(acc, "type"))) {
                out_str(o, "\n");
                out_str(o, in);
                element(cs, o, acc, block_id, nb);
            }
        } else if (strcmp(type, "context") == 0) {
            const cJSON *e;
            const char *sep = "";
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(b, "elements"))
            {
                if (jstr(e, "text") == NULL)
                    continue;
                out_str(o, sep);
                text_obj(cs, o, e, in);
                sep = "  ·  ";
            }
        } else if (strcmp(type, "divider") == 0) {
            out_str(o, "----");
        } else if (strcmp(type, "actions") == 0) {
            const cJSON *e;
            const char *sep = "";
            cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(b, "elements"))
            {
                out_str(o, sep);
                element(cs, o, e, block_id, nb);
                sep = "\n   ";
            }
        } else if (strcmp(type, "image") == 0) {
            (void)!buf_addf(o, "[image: %s]", jstr(b, "alt_text") ? jstr(b, "alt_text") : "");
        } else {
            (void)!buf_addf(o, "(a %s block)", type);
        }
        out_str(o, "\n");
    }
}

/* One line of a rendering (without its '\n'). */
struct line {
    const char *s;
    size_t n;
};

/* Splits text into at most max lines; false when it has more. */
static bool split_lines(const char *t, struct line *l, size_t max, size_t *n)
{
    *n = 0;
    while (*t) {
        if (*n >= max)
            return false;
        size_t len = strcspn(t, "\n");
        l[(*n)++] = (struct line){t, len};
        t += len + (t[len] == '\n');
    }
    return true;
}

static bool line_eq(const struct line *a, const struct line *b)
{
    return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
}

/* "   - text": the block indent the marker takes the place of is dropped, the rest is kept. */
static void diff_line(struct buf *o, char mark, const struct line *l)
{
    size_t skip = l->n >= 3 && strncmp(l->s, "   ", 3) == 0 ? 3 : 0;
    (void)!buf_addf(o, "   %c %.*s\n", mark, (int)(l->n - skip), l->s + skip);
}

/*
 * Appends to o the lines that differ between the renderings was and now: removed ones as
 * "   - …", added ones as "   + …", in order (a longest common subsequence of lines, so an
 * unchanged line is never printed). Returns the number of changed lines, or -1 when either
 * rendering is longer than CS_MAX_DIFF_LINES (the caller prints the whole message then).
 */
static int diff(struct buf *o, const char *was, const char *now)
{
    struct line *a = xcalloc(CS_MAX_DIFF_LINES, sizeof(*a));
    struct line *b = xcalloc(CS_MAX_DIFF_LINES, sizeof(*b));
    uint16_t *lcs = NULL;
    size_t na, nb, pre = 0, post = 0;
    int changed = -1;
    if (!split_lines(was, a, CS_MAX_DIFF_LINES, &na) ||
        !split_lines(now, b, CS_MAX_DIFF_LINES, &nb))
        goto out;
    /* The common head and tail need no table; an edit usually changes a line or two. */
    while (pre < na && pre < nb && line_eq(&a[pre], &b[pre]))
        pre++;
    while (post < na - pre && post < nb - pre && line_eq(&a[na - 1 - post], &b[nb - 1 - post]))
        post++;
    size_t ra = na - pre - post, rb = nb - pre - post, w = rb + 1;
    /* lcs[i * w + j]: the longest common subsequence of a[pre+i..] and b[pre+j..] */
    lcs = xcalloc((ra + 1) * w, sizeof(*lcs));
    for (size_t i = ra; i-- > 0;) {
        for (size_t j = rb; j-- > 0;) {
            uint16_t skip_a = lcs[(i + 1) * w + j], skip_b = lcs[i * w + j + 1];
            if (line_eq(&a[pre + i], &b[pre + j]))
                lcs[i * w + j] = (uint16_t)(lcs[(i + 1) * w + j + 1] + 1);
            else
                lcs[i * w + j] = skip_a >= skip_b ? skip_a : skip_b;
        }
    }
    changed = 0;
    size_t i = 0, j = 0;
    while (i < ra || j < rb) {
        if (i < ra && j < rb && line_eq(&a[pre + i], &b[pre + j])) {
            i++;
            j++;
        } else if (i < ra && (j == rb || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
            diff_line(o, '-', &a[pre + i++]);
            changed++;
        } else {
            diff_line(o, '+', &b[pre + j++]);
            changed++;
        }
    }
out:
    free(lcs);
    free(a);
    free(b);
    return changed;
}

enum show { SHOW_NEW, SHOW_EDIT, SHOW_DELETE };

/* The body of m as it reads (everything below its header line); numbers its elements. */
static void render_body(struct cslack *cs, const struct cchan *c, const struct cmsg *m,
                        struct buf *body)
{
    struct numbering nb;
    numbering_begin(cs, &nb, c->id, m->ts, m->eph);
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(m->obj, "blocks");
    if (cJSON_IsArray(bl) && cJSON_GetArraySize(bl) > 0) {
        blocks(cs, body, bl, &nb);
    } else {
        out_str(body, "   ");
        const char *t = jstr(m->obj, "text");
        mrkdwn(cs, body, t ? t : "", "   ");
        out_str(body, "\n");
    }
    numbering_end(cs, &nb);
}

/*
 * Prints a message the way the channel shows it and numbers its buttons; an edit (chat.update,
 * a response_url's replace_original) prints only the lines that changed, and nothing when none
 * did (the control message is refreshed often without a visible change). Lock held.
 */
static void show(struct cslack *cs, const struct cchan *c, struct cmsg *m, enum show how)
{
    struct buf o, body;
    buf_init(&o, CS_MAX_OUT);
    buf_init(&body, CS_MAX_OUT);
    const struct cuser *u = user_by_id(m->user);
    const struct cuser *to = user_by_id(m->eph_user);
    (void)!buf_addf(&o, "-- %s%s · %s%s%s%s%s\n", c->is_im ? "DM " : "#", c->name,
                    u ? u->name : m->user, m->thread_ts[0] ? " · in a thread" : "",
                    m->eph > 0 ? " · only @" : "", m->eph > 0 && to ? to->name : "",
                    m->eph > 0 ? " sees this" : "");
    if (how == SHOW_DELETE) {
        forget_clicks(cs, c->id, m->ts, m->eph);
        free(m->shown);
        m->shown = NULL;
        out_str(&o, "   (message deleted)\n");
    } else {
        render_body(cs, c, m, &body);
        if (how == SHOW_NEW) {
            out_str(&o, buf_str(&body));
        } else {
            struct buf changes;
            buf_init(&changes, CS_MAX_OUT);
            int n = diff(&changes, m->shown ? m->shown : "", buf_str(&body));
            if (n < 0) {
                out_str(&o, "   (edited: the message above now reads)\n");
                out_str(&o, buf_str(&body));
            } else if (n > 0) {
                out_str(&o, "   (edited)\n");
                out_str(&o, buf_str(&changes));
            } else {
                buf_reset(&o); /* nothing a person would see changed */
            }
            buf_free(&changes);
        }
        free(m->shown);
        m->shown = buf_take(&body);
    }
    fputs(buf_str(&o), cs->out);
    fflush(cs->out);
    buf_free(&body);
    buf_free(&o);
}

void cslack_note(struct cslack *cs, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&cs->lock);
    va_start(ap, fmt);
    vfprintf(cs->out, fmt, ap);
    va_end(ap);
    fputc('\n', cs->out);
    fflush(cs->out);
    pthread_mutex_unlock(&cs->lock);
}

/* Lock held. */
static void note(struct cslack *cs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct cslack *cs, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("-- ", cs->out);
    vfprintf(cs->out, fmt, ap);
    va_end(ap);
    fputc('\n', cs->out);
    fflush(cs->out);
}

/* ---- messages ----------------------------------------------------------------------------- */

/* The message's own copy: text and blocks (and thread_ts). */
static cJSON *message_obj(const cJSON *args)
{
    cJSON *m = cJSON_CreateObject();
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(args, "text");
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(args, "blocks");
    cJSON_AddStringToObject(m, "text", cJSON_IsString(t) ? t->valuestring : "");
    if (cJSON_IsString(bl)) {
        cJSON *parsed = cJSON_Parse(bl->valuestring);
        if (cJSON_IsArray(parsed))
            cJSON_AddItemToObject(m, "blocks", parsed);
        else
            cJSON_Delete(parsed);
    } else if (cJSON_IsArray(bl)) {
        cJSON_AddItemToObject(m, "blocks", cJSON_Duplicate(bl, true));
    }
    return m;
}

static bool has_content(const cJSON *args)
{
    const char *t = jstr(args, "text");
    const cJSON *bl = cJSON_GetObjectItemCaseSensitive(args, "blocks");
    return (t != NULL && t[0] != '\0') || bl != NULL;
}

static struct cmsg *find_msg(struct cchan *c, const char *ts)
{
    for (size_t i = 0; ts && i < c->n_msgs; i++)
        if (!c->msgs[i].deleted && strcmp(c->msgs[i].ts, ts) == 0)
            return &c->msgs[i];
    return NULL;
}

static struct cmsg *find_eph(struct cslack *cs, long eph)
{
    for (size_t i = 0; i < cs->n_ephs; i++)
        if (cs->ephs[i].eph == eph && !cs->ephs[i].deleted)
            return &cs->ephs[i];
    return NULL;
}

static struct cmsg *post(struct cslack *cs, struct cchan *c, const char *user, cJSON *obj,
                         const char *thread_ts)
{
    if (c->n_msgs >= CS_MAX_MESSAGES) { /* forget the oldest half */
        size_t drop = CS_MAX_MESSAGES / 2;
        for (size_t i = 0; i < drop; i++) {
            cJSON_Delete(c->msgs[i].obj);
            free(c->msgs[i].shown);
        }
        memmove(c->msgs, c->msgs + drop, (c->n_msgs - drop) * sizeof(*c->msgs));
        c->n_msgs -= drop;
    }
    c->msgs = xreallocarray(c->msgs, c->n_msgs + 1, sizeof(*c->msgs));
    struct cmsg *m = &c->msgs[c->n_msgs++];
    memset(m, 0, sizeof(*m));
    next_ts(cs, m->ts);
    copy(m->user, sizeof(m->user), user);
    copy(m->thread_ts, sizeof(m->thread_ts), thread_ts);
    m->obj = obj;
    show(cs, c, m, SHOW_NEW);
    return m;
}

static struct cmsg *post_eph(struct cslack *cs, struct cchan *c, const char *to, cJSON *obj)
{
    cs->ephs = xreallocarray(cs->ephs, cs->n_ephs + 1, sizeof(*cs->ephs));
    struct cmsg *m = &cs->ephs[cs->n_ephs++];
    memset(m, 0, sizeof(*m));
    next_ts(cs, m->ts);
    copy(m->user, sizeof(m->user), CONSOLE_BOT_USER);
    m->eph = ++cs->next_eph;
    copy(m->eph_user, sizeof(m->eph_user), to);
    m->obj = obj;
    show(cs, c, m, SHOW_NEW);
    return m;
}

/* The message as conversations.history and block_actions carry it. */
static cJSON *msg_json(const struct cmsg *m)
{
    cJSON *j = cJSON_Duplicate(m->obj, true);
    cJSON_AddStringToObject(j, "type", "message");
    cJSON_AddStringToObject(j, "user", m->user);
    if (strcmp(m->user, CONSOLE_BOT_USER) == 0)
        cJSON_AddStringToObject(j, "bot_id", CONSOLE_BOT_ID);
    cJSON_AddStringToObject(j, "ts", m->ts);
    if (m->thread_ts[0])
        cJSON_AddStringToObject(j, "thread_ts", m->thread_ts);
    return j;
}

static cJSON *chan_json(const struct cchan *c)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", c->id);
    cJSON_AddStringToObject(j, "name", c->name);
    cJSON_AddBoolToObject(j, "is_channel", !c->is_im);
    cJSON_AddBoolToObject(j, "is_private", c->is_private);
    cJSON_AddBoolToObject(j, "is_im", c->is_im);
    cJSON_AddBoolToObject(j, "is_archived", c->archived);
    cJSON_AddBoolToObject(j, "is_member", is_member(c, CONSOLE_BOT_USER));
    cJSON_AddStringToObject(j, "creator", c->creator);
    cJSON_AddNumberToObject(j, "num_members", (double)c->n_members);
    cJSON *t = cJSON_AddObjectToObject(j, "topic");
    cJSON_AddStringToObject(t, "value", c->topic);
    cJSON *p = cJSON_AddObjectToObject(j, "purpose");
    cJSON_AddStringToObject(p, "value", c->purpose);
    return j;
}

static cJSON *user_json(const struct cuser *u)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "id", u->id);
    cJSON_AddStringToObject(j, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(j, "name", u->name);
    cJSON_AddStringToObject(j, "real_name", u->real);
    cJSON_AddFalseToObject(j, "deleted");
    cJSON_AddBoolToObject(j, "is_bot", u->is_bot);
    cJSON_AddFalseToObject(j, "is_restricted");
    cJSON_AddFalseToObject(j, "is_ultra_restricted");
    cJSON *p = cJSON_AddObjectToObject(j, "profile");
    cJSON_AddStringToObject(p, "real_name", u->real);
    cJSON_AddStringToObject(p, "display_name", u->name);
    cJSON_AddStringToObject(p, "title", u->title);
    return j;
}

/* The channel argument: an id, or a user id (a DM), as Slack accepts them. */
static struct cchan *target(struct cslack *cs, const char *ch, const char **error)
{
    struct cchan *c = NULL;
    const struct cuser *u = user_by_id(ch);
    if (ch == NULL || ch[0] == '\0')
        *error = "channel_not_found";
    else if (u != NULL && !u->is_bot)
        c = im_with(cs, u);
    else if ((c = chan_by_id(cs, ch)) == NULL)
        *error = "channel_not_found";
    else if (c->archived) {
        *error = "is_archived";
        c = NULL;
    }
    return c;
}

/* ---- the Web API ---------------------------------------------------------------------------- */

static cJSON *m_auth_test(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    (void)a;
    cJSON *r = answer_ok();
    cJSON_AddStringToObject(r, "url", "https://console.slack.invalid/");
    cJSON_AddStringToObject(r, "team", "Console");
    cJSON_AddStringToObject(r, "user", "incidentd");
    cJSON_AddStringToObject(r, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(r, "user_id", CONSOLE_BOT_USER);
    cJSON_AddStringToObject(r, "bot_id", CONSOLE_BOT_ID);
    return r;
}

static cJSON *m_post(struct cslack *cs, const cJSON *a)
{
    const char *error = NULL;
    struct cchan *c = target(cs, jstr(a, "channel"), &error);
    if (c == NULL)
        return answer_err(error);
    if (!has_content(a))
        return answer_err("no_text");
    const char *thread = jstr(a, "thread_ts");
    if (thread != NULL && thread[0] != '\0' && find_msg(c, thread) == NULL)
        return answer_err("thread_not_found");
    struct cmsg *m = post(cs, c, CONSOLE_BOT_USER, message_obj(a), thread);
    cJSON *r = answer_ok();
    cJSON_AddStringToObject(r, "channel", c->id);
    cJSON_AddStringToObject(r, "ts", m->ts);
    cJSON_AddItemToObject(r, "message", msg_json(m));
    return r;
}

static cJSON *m_ephemeral(struct cslack *cs, const cJSON *a)
{
    const char *error = NULL;
    struct cchan *c = target(cs, jstr(a, "channel"), &error);
    const struct cuser *u = user_by_id(jstr(a, "user"));
    if (c == NULL)
        return answer_err(error);
    if (u == NULL)
        return answer_err("user_not_found");
    if (!has_content(a))
        return answer_err("no_text");
    struct cmsg *m = post_eph(cs, c, u->id, message_obj(a));
    cJSON *r = answer_ok();
    cJSON_AddStringToObject(r, "message_ts", m->ts);
    return r;
}

/*
 * The message a call names by "channel" and ts_key ("ts" or "timestamp"): *c and *m, or
 * Slack's error code for the one not found.
 */
static const char *named_msg(struct cslack *cs, const cJSON *a, const char *ts_key,
                             struct cchan **c, struct cmsg **m)
{
    *m = NULL;
    if ((*c = chan_by_id(cs, jstr(a, "channel"))) == NULL)
        return "channel_not_found";
    if ((*m = find_msg(*c, jstr(a, ts_key))) == NULL)
        return "message_not_found";
    return NULL;
}

static cJSON *m_update(struct cslack *cs, const cJSON *a)
{
    struct cchan *c;
    struct cmsg *m;
    const char *error = named_msg(cs, a, "ts", &c, &m);
    if (error != NULL)
        return answer_err(error);
    if (strcmp(m->user, CONSOLE_BOT_USER) != 0)
        return answer_err("cant_update_message");
    if (!has_content(a))
        return answer_err("no_text");
    cJSON_Delete(m->obj);
    m->obj = message_obj(a);
    show(cs, c, m, SHOW_EDIT);
    cJSON *r = answer_ok();
    cJSON_AddStringToObject(r, "channel", c->id);
    cJSON_AddStringToObject(r, "ts", m->ts);
    return r;
}

static cJSON *m_delete(struct cslack *cs, const cJSON *a)
{
    struct cchan *c;
    struct cmsg *m;
    const char *error = named_msg(cs, a, "ts", &c, &m);
    if (error != NULL)
        return answer_err(error);
    show(cs, c, m, SHOW_DELETE);
    m->deleted = true;
    return answer_ok();
}

/* Slack's channel name rules: lower case letters, digits, '-', '_', at most 80. */
static const char *bad_name(const char *n)
{
    if (n == NULL || n[0] == '\0')
        return "invalid_name_required";
    if (strlen(n) > CS_NAME_MAX)
        return "invalid_name_maxlength";
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
            return "invalid_name_specials";
    return NULL;
}

static cJSON *m_create(struct cslack *cs, const cJSON *a)
{
    const char *name = jstr(a, "name"), *bad = bad_name(name);
    char id[CONSOLE_ID_MAX];
    if (bad != NULL)
        return answer_err(bad);
    if (chan_by_name(cs, name) != NULL)
        return answer_err("name_taken");
    snprintf(id, sizeof(id), "C0C%010ld", ++cs->next_chan);
    struct cchan *c = add_chan(cs, id, name, jbool(a, "is_private"), CONSOLE_BOT_USER);
    if (c == NULL)
        return answer_err("restricted_action");
    add_member(c, CONSOLE_BOT_USER);
    copy(cs->last_created, sizeof(cs->last_created), c->id);
    note(cs, "incidentd created the %s channel #%s", c->is_private ? "private" : "public", c->name);
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_invite(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    const char *list = jstr(a, "users");
    if (c == NULL)
        return answer_err("channel_not_found");
    if (list == NULL || list[0] == '\0')
        return answer_err("no_user");
    char joined[1024] = "";
    size_t added = 0, total = 0;
    for (const char *p = list; *p;) {
        char u[CONSOLE_ID_MAX];
        size_t ulen = strcspn(p, ",");
        snprintf(u, sizeof(u), "%.*s", (int)(ulen < sizeof(u) ? ulen : sizeof(u) - 1), p);
        p += ulen + (p[ulen] == ',');
        const struct cuser *cu = user_by_id(u);
        total++;
        if (cu == NULL)
            return answer_err("user_not_found");
        if (strcmp(cu->id, CONSOLE_BOT_USER) == 0)
            return answer_err("cant_invite_self");
        if (add_member(c, cu->id)) {
            size_t len = strlen(joined);
            snprintf(joined + len, sizeof(joined) - len, "%s@%s", added ? ", " : "", cu->name);
            added++;
        }
    }
    if (added == 0 && total == 1)
        return answer_err("already_in_channel");
    if (added > 0)
        note(cs, "%s joined #%s (invited by incidentd)", joined, c->name);
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_set(struct cslack *cs, const cJSON *a, bool topic)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    const char *v = jstr(a, topic ? "topic" : "purpose");
    if (c == NULL)
        return answer_err("channel_not_found");
    if (v == NULL)
        return answer_err("invalid_arguments");
    if (strlen(v) > CS_TOPIC_MAX)
        return answer_err("too_long");
    char *dst = topic ? c->topic : c->purpose;
    if (strcmp(dst, v) != 0) {
        copy(dst, CS_TOPIC_MAX + 1, v);
        struct buf o;
        buf_init(&o, CS_MAX_OUT);
        mrkdwn(cs, &o, v, "   ");
        note(cs, "#%s %s: %s", c->name, topic ? "topic" : "purpose", buf_str(&o));
        buf_free(&o);
    }
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_pin(struct cslack *cs, const cJSON *a)
{
    struct cchan *c;
    struct cmsg *m;
    const char *error = named_msg(cs, a, "timestamp", &c, &m);
    if (error != NULL)
        return answer_err(error);
    note(cs, "incidentd pinned a message in #%s", c->name);
    return answer_ok();
}

static cJSON *m_bookmark(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel_id"));
    const char *title = jstr(a, "title"), *link = jstr(a, "link");
    if (c == NULL)
        return answer_err("channel_not_found");
    if (title == NULL || title[0] == '\0')
        return answer_err("invalid_arguments");
    note(cs, "#%s bookmark: %s %s", c->name, title, link ? link : "");
    cJSON *r = answer_ok();
    cJSON *b = cJSON_AddObjectToObject(r, "bookmark");
    cJSON_AddStringToObject(b, "id", "Bk0CONSOLE");
    cJSON_AddStringToObject(b, "channel_id", c->id);
    cJSON_AddStringToObject(b, "title", title);
    cJSON_AddStringToObject(b, "link", link ? link : "");
    return r;
}

static cJSON *m_reaction(struct cslack *cs, const cJSON *a)
{
    struct cchan *c;
    struct cmsg *m;
    const char *error = named_msg(cs, a, "timestamp", &c, &m);
    if (error != NULL)
        return answer_err(error);
    note(cs, "incidentd reacted :%s: in #%s", jstr(a, "name") ? jstr(a, "name") : "?", c->name);
    return answer_ok();
}

static cJSON *m_views_open(struct cslack *cs, const cJSON *a)
{
    const char *trigger = jstr(a, "trigger_id");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "view");
    cJSON *view = cJSON_IsString(v) ? cJSON_Parse(v->valuestring) : cJSON_Duplicate(v, true);
    long user_n = 0;
    char user[CONSOLE_ID_MAX] = "";
    /* console.trigger.<n>.<user>: the trigger says whose screen the form opens on. */
    if (trigger == NULL || sscanf(trigger, "console.trigger.%ld.", &user_n) != 1 ||
        strrchr(trigger, '.') == NULL) {
        cJSON_Delete(view);
        return answer_err("invalid_trigger_id");
    }
    copy(user, sizeof(user), strrchr(trigger, '.') + 1);
    if (!cJSON_IsObject(view) || jstr(view, "type") == NULL) {
        cJSON_Delete(view);
        return answer_err("invalid_arguments");
    }
    cs->views = xreallocarray(cs->views, cs->n_views + 1, sizeof(*cs->views));
    struct cview *cv = &cs->views[cs->n_views++];
    memset(cv, 0, sizeof(*cv));
    snprintf(cv->id, sizeof(cv->id), "V0C%07ld", ++cs->next_view);
    copy(cv->user, sizeof(cv->user), user);
    cv->view = view;
    const cJSON *title = cJSON_GetObjectItemCaseSensitive(view, "title");
    const struct cuser *u = user_by_id(user);
    note(cs, "a form opens for @%s: \"%s\" (its questions follow at the prompt)",
         u ? u->name : user, jstr(title, "text") ? jstr(title, "text") : "form");
    cJSON *r = answer_ok();
    cJSON *rv = cJSON_Duplicate(view, true);
    cJSON_AddStringToObject(rv, "id", cv->id);
    cJSON_AddItemToObject(r, "view", rv);
    return r;
}

static cJSON *m_views_update(struct cslack *cs, const cJSON *a)
{
    const char *id = jstr(a, "view_id");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, "view");
    for (size_t i = 0; id && i < cs->n_views; i++) {
        if (strcmp(cs->views[i].id, id) == 0) {
            cJSON *view =
                cJSON_IsString(v) ? cJSON_Parse(v->valuestring) : cJSON_Duplicate(v, true);
            if (!cJSON_IsObject(view)) {
                cJSON_Delete(view);
                return answer_err("invalid_arguments");
            }
            cJSON_Delete(cs->views[i].view);
            cs->views[i].view = view;
            return answer_ok();
        }
    }
    return answer_err("not_found");
}

static cJSON *page(cJSON *r, const char *key, cJSON *items)
{
    cJSON_AddItemToObject(r, key, items);
    cJSON *md = cJSON_AddObjectToObject(r, "response_metadata");
    cJSON_AddStringToObject(md, "next_cursor", "");
    return r;
}

static cJSON *m_users_list(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    (void)a;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < N_USERS; i++)
        cJSON_AddItemToArray(arr, user_json(&users[i]));
    return page(answer_ok(), "members", arr);
}

static cJSON *m_users_info(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    const struct cuser *u = user_by_id(jstr(a, "user"));
    if (u == NULL)
        return answer_err("user_not_found");
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "user", user_json(u));
    return r;
}

static cJSON *m_group_users(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    const char *g = jstr(a, "usergroup");
    if (g == NULL || strcmp(g, IRM_GROUP_ID) != 0)
        return answer_err("no_such_subteam");
    cJSON *r = answer_ok();
    cJSON *arr = cJSON_AddArrayToObject(r, "users");
    cJSON_AddItemToArray(arr, cJSON_CreateString("U0BOB"));
    cJSON_AddItemToArray(arr, cJSON_CreateString("U0ERIN"));
    return r;
}

static cJSON *m_groups(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    (void)a;
    cJSON *r = answer_ok();
    cJSON *arr = cJSON_AddArrayToObject(r, "usergroups");
    cJSON *g = cJSON_CreateObject();
    cJSON_AddStringToObject(g, "id", IRM_GROUP_ID);
    cJSON_AddStringToObject(g, "handle", "irm");
    cJSON_AddStringToObject(g, "name", "Incident managers");
    cJSON_AddItemToArray(arr, g);
    return r;
}

static cJSON *m_conv_list(struct cslack *cs, const cJSON *a)
{
    (void)a;
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < cs->n_chans; i++)
        if (!cs->chans[i].is_im)
            cJSON_AddItemToArray(arr, chan_json(&cs->chans[i]));
    return page(answer_ok(), "channels", arr);
}

static cJSON *m_conv_info(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    if (c == NULL)
        return answer_err("channel_not_found");
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_history(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    if (c == NULL)
        return answer_err("channel_not_found");
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = c->n_msgs; i-- > 0;)
        if (!c->msgs[i].deleted)
            cJSON_AddItemToArray(arr, msg_json(&c->msgs[i]));
    cJSON *r = page(answer_ok(), "messages", arr);
    cJSON_AddFalseToObject(r, "has_more");
    return r;
}

static cJSON *m_members(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    if (c == NULL)
        return answer_err("channel_not_found");
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < c->n_members; i++)
        cJSON_AddItemToArray(arr, cJSON_CreateString(c->members[i]));
    return page(answer_ok(), "members", arr);
}

static cJSON *m_join(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    if (c == NULL)
        return answer_err("channel_not_found");
    if (c->archived)
        return answer_err("is_archived");
    bool added = add_member(c, CONSOLE_BOT_USER);
    cJSON *r = answer_ok();
    if (!added)
        cJSON_AddStringToObject(r, "warning", "already_in_channel");
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_archive(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    if (c == NULL)
        return answer_err("channel_not_found");
    if (c->archived)
        return answer_err("already_archived");
    c->archived = true;
    note(cs, "incidentd archived #%s", c->name);
    return answer_ok();
}

static cJSON *m_rename(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    const char *name = jstr(a, "name"), *bad = bad_name(name);
    if (c == NULL)
        return answer_err("channel_not_found");
    if (bad != NULL || name == NULL)
        return answer_err(bad ? bad : "invalid_name_required");
    if (chan_by_name(cs, name) != NULL)
        return answer_err("name_taken");
    note(cs, "incidentd renamed #%s to #%s", c->name, name);
    copy(c->name, sizeof(c->name), name);
    cJSON *r = answer_ok();
    cJSON_AddItemToObject(r, "channel", chan_json(c));
    return r;
}

static cJSON *m_permalink(struct cslack *cs, const cJSON *a)
{
    struct cchan *c = chan_by_id(cs, jstr(a, "channel"));
    const char *ts = jstr(a, "message_ts");
    if (c == NULL)
        return answer_err("channel_not_found");
    if (find_msg(c, ts) == NULL)
        return answer_err("message_not_found");
    cJSON *r = answer_ok();
    char link[256];
    snprintf(link, sizeof(link), "https://console.slack.invalid/archives/%s/p%s", c->id, ts);
    cJSON_AddStringToObject(r, "channel", c->id);
    cJSON_AddStringToObject(r, "permalink", link);
    return r;
}

static cJSON *m_team(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    (void)a;
    cJSON *r = answer_ok();
    cJSON *t = cJSON_AddObjectToObject(r, "team");
    cJSON_AddStringToObject(t, "id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(t, "name", "Console");
    cJSON_AddStringToObject(t, "domain", CONSOLE_TEAM_DOMAIN);
    return r;
}

static cJSON *m_noop(struct cslack *cs, const cJSON *a)
{
    (void)cs;
    (void)a;
    return answer_ok();
}

static const struct {
    const char *method;
    cJSON *(*fn)(struct cslack *cs, const cJSON *a);
} methods[] = {
    {"auth.test", m_auth_test},
    {"chat.postMessage", m_post},
    {"chat.postEphemeral", m_ephemeral},
    {"chat.update", m_update},
    {"chat.delete", m_delete},
    {"chat.getPermalink", m_permalink},
    {"conversations.create", m_create},
    {"conversations.invite", m_invite},
    {"conversations.list", m_conv_list},
    {"conversations.info", m_conv_info},
    {"conversations.history", m_history},
    {"conversations.members", m_members},
    {"conversations.join", m_join},
    {"conversations.archive", m_archive},
    {"conversations.rename", m_rename},
    {"pins.add", m_pin},
    {"bookmarks.add", m_bookmark},
    {"reactions.add", m_reaction},
    {"views.open", m_views_open},
    {"views.push", m_views_open},
    {"views.update", m_views_update},
    {"views.publish", m_noop},
    {"users.list", m_users_list},
    {"users.info", m_users_info},
    {"usergroups.list", m_groups},
    {"usergroups.users.list", m_group_users},
    {"team.info", m_team},
};

/* conversations.setTopic / setPurpose share one handler. */
static cJSON *call_method(struct cslack *cs, const char *method, const cJSON *a)
{
    if (strcmp(method, "conversations.setTopic") == 0)
        return m_set(cs, a, true);
    if (strcmp(method, "conversations.setPurpose") == 0)
        return m_set(cs, a, false);
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (strcmp(methods[i].method, method) == 0)
            return methods[i].fn(cs, a);
    note(cs, "(the console's workspace does not know the Web API method %s)", method);
    return answer_err("unknown_method");
}

/* A post to a response_url: an ephemeral reply, or a replacement of the message clicked. */
static long respond(struct cslack *cs, const char *url, const cJSON *msg, cJSON **answer)
{
    long id = 0;
    char tail[8];
    if (sscanf(url, "console://response/%ld%7s", &id, tail) != 1 || id <= 0 || id > cs->next_resp ||
        id <= cs->next_resp - CS_MAX_RESPONSES) {
        *answer = answer_err("expired_url");
        return 404;
    }
    struct cresp *r = &cs->resps[id % CS_MAX_RESPONSES];
    struct cchan *c = chan_by_id(cs, r->channel);
    if (c == NULL) {
        *answer = answer_err("channel_not_found");
        return 404;
    }
    const char *type = jstr(msg, "response_type");
    bool in_channel = type != NULL && strcmp(type, "in_channel") == 0;
    bool replace = jbool(msg, "replace_original"), del = jbool(msg, "delete_original");
    struct cmsg *old = r->eph > 0 ? find_eph(cs, r->eph) : find_msg(c, r->ts);
    if ((replace || del) && old != NULL) {
        if (del) {
            show(cs, c, old, SHOW_DELETE);
            old->deleted = true;
        } else {
            cJSON_Delete(old->obj);
            old->obj = message_obj(msg);
            show(cs, c, old, SHOW_EDIT);
        }
    } else if (del) {
        /* Nothing of that kind to delete: Slack answers ok all the same. */
    } else if (in_channel) {
        post(cs, c, CONSOLE_BOT_USER, message_obj(msg), NULL);
    } else {
        post_eph(cs, c, r->user, message_obj(msg));
    }
    *answer = answer_ok();
    return 200;
}

static long local_call(void *ud, const char *method, const char *url, const cJSON *args,
                       char **body)
{
    struct cslack *cs = ud;
    cJSON *answer = NULL;
    long status = 200;
    pthread_mutex_lock(&cs->lock);
    if (method != NULL)
        answer = call_method(cs, method, args);
    else
        status = respond(cs, url ? url : "", args, &answer);
    pthread_mutex_unlock(&cs->lock);
    *body = cJSON_PrintUnformatted(answer);
    cJSON_Delete(answer);
    return status;
}

/* ---- the front end's side ----------------------------------------------------------------------
 */

struct cslack *cslack_new(FILE *out)
{
    struct cslack *cs = xcalloc(1, sizeof(*cs));
    pthread_mutex_init(&cs->lock, NULL);
    cs->out = out;
    cs->local.call = local_call;
    cs->local.ud = cs;
    /* Channel ids stay unique even if the saved workspace is lost between runs. */
    cs->next_chan = (long)(time(NULL) % 1000000000L) * 10;
    static const char *const chans[][2] = {
        {"C0GENERAL", "general"}, {"C0INCIDENTS", "incidents"}, {"C0SUPPORT", "support"}};
    for (size_t i = 0; i < 3; i++) {
        struct cchan *c = add_chan(cs, chans[i][0], chans[i][1], false, "U0BOB");
        for (size_t j = 0; c && j < N_USERS; j++)
            add_member(c, users[j].id);
    }
    return cs;
}

void cslack_free(struct cslack *cs)
{
    if (cs == NULL)
        return;
    for (size_t i = 0; i < cs->n_chans; i++) {
        for (size_t j = 0; j < cs->chans[i].n_msgs; j++) {
            cJSON_Delete(cs->chans[i].msgs[j].obj);
            free(cs->chans[i].msgs[j].shown);
        }
        free(cs->chans[i].msgs);
    }
    free(cs->chans);
    for (size_t i = 0; i < cs->n_ephs; i++) {
        cJSON_Delete(cs->ephs[i].obj);
        free(cs->ephs[i].shown);
    }
    free(cs->ephs);
    for (size_t i = 0; i < CS_MAX_CLICKS; i++)
        cJSON_Delete(cs->clicks[i].element);
    for (size_t i = 0; i < cs->n_views; i++)
        cJSON_Delete(cs->views[i].view);
    free(cs->views);
    pthread_mutex_destroy(&cs->lock);
    free(cs);
}

const struct slack_api_local *cslack_local(struct cslack *cs)
{
    return &cs->local;
}

bool cslack_find_channel(struct cslack *cs, const char *q, char id[CONSOLE_ID_MAX],
                         char name[CONSOLE_NAME_MAX])
{
    pthread_mutex_lock(&cs->lock);
    const char *n = q[0] == '#' ? q + 1 : q;
    struct cchan *c = chan_by_name(cs, n);
    if (c == NULL)
        c = chan_by_id(cs, strcmp(n, "last") == 0 ? cs->last_created : n);
    if (c != NULL) {
        copy(id, CONSOLE_ID_MAX, c->id);
        copy(name, CONSOLE_NAME_MAX, c->name);
    }
    pthread_mutex_unlock(&cs->lock);
    return c != NULL;
}

bool cslack_find_user(struct cslack *cs, const char *q, char id[CONSOLE_ID_MAX],
                      char name[CONSOLE_NAME_MAX])
{
    const char *n = q[0] == '@' ? q + 1 : q;
    for (size_t i = 0; i < N_USERS; i++) {
        if (strcasecmp(users[i].name, n) == 0 || strcmp(users[i].id, n) == 0) {
            copy(id, CONSOLE_ID_MAX, users[i].id);
            copy(name, CONSOLE_NAME_MAX, users[i].name);
            return true;
        }
    }
    (void)cs;
    return false;
}

void cslack_list_users(struct cslack *cs)
{
    pthread_mutex_lock(&cs->lock);
    for (size_t i = 0; i < N_USERS; i++)
        fprintf(cs->out, "   @%-10s %-12s %s\n", users[i].name, users[i].real, users[i].title);
    fflush(cs->out);
    pthread_mutex_unlock(&cs->lock);
}

void cslack_list_channels(struct cslack *cs)
{
    pthread_mutex_lock(&cs->lock);
    for (size_t i = 0; i < cs->n_chans; i++) {
        const struct cchan *c = &cs->chans[i];
        if (c->is_im)
            continue;
        struct buf topic;
        buf_init(&topic, CS_MAX_OUT);
        mrkdwn(cs, &topic, c->topic, "");
        fprintf(cs->out, "   #%-40s %s%s%zu members%s%s\n", c->name,
                c->is_private ? "private, " : "", c->archived ? "archived, " : "", c->n_members,
                c->topic[0] ? " · topic: " : "", buf_str(&topic));
        buf_free(&topic);
    }
    fflush(cs->out);
    pthread_mutex_unlock(&cs->lock);
}

void cslack_show_channel(struct cslack *cs, const char *channel_id, int last_n)
{
    pthread_mutex_lock(&cs->lock);
    struct cchan *c = chan_by_id(cs, channel_id);
    if (c != NULL) {
        size_t shown = 0, from = c->n_msgs;
        while (from > 0 && shown < (size_t)last_n) {
            from--;
            if (!c->msgs[from].deleted)
                shown++;
        }
        if (shown == 0)
            note(cs, "no messages in #%s yet", c->name);
        for (size_t i = from; i < c->n_msgs; i++)
            if (!c->msgs[i].deleted)
                show(cs, c, &c->msgs[i], SHOW_NEW);
    }
    pthread_mutex_unlock(&cs->lock);
}

void cslack_response_url(struct cslack *cs, const char *user, const char *channel,
                         const char *msg_ts, long eph, char out[CONSOLE_URL_MAX])
{
    pthread_mutex_lock(&cs->lock);
    long id = ++cs->next_resp;
    struct cresp *r = &cs->resps[id % CS_MAX_RESPONSES];
    memset(r, 0, sizeof(*r));
    r->id = id;
    copy(r->user, sizeof(r->user), user);
    copy(r->channel, sizeof(r->channel), channel);
    copy(r->ts, sizeof(r->ts), msg_ts);
    r->eph = eph;
    pthread_mutex_unlock(&cs->lock);
    snprintf(out, CONSOLE_URL_MAX, "console://response/%ld", id);
}

void cslack_trigger_id(struct cslack *cs, const char *user, char out[CONSOLE_URL_MAX])
{
    pthread_mutex_lock(&cs->lock);
    long n = ++cs->next_trigger;
    pthread_mutex_unlock(&cs->lock);
    snprintf(out, CONSOLE_URL_MAX, "console.trigger.%ld.%s", n, user);
}

const cJSON *cslack_pick_option(const cJSON *opts, const char *arg)
{
    const cJSON *o;
    char *end = NULL;
    long k = strtol(arg, &end, 10);
    int i = 1;
    cJSON_ArrayForEach(o, opts)
    {
        const char *v = jstr(o, "value");
        const char *t = jstr(cJSON_GetObjectItemCaseSensitive(o, "text"), "text");
        if ((v && strcasecmp(v, arg) == 0) || (t && strcasecmp(t, arg) == 0) ||
            (end && *end == '\0' && end != arg && k == i))
            return o;
        i++;
    }
    return NULL;
}

enum bot_rc cslack_click(struct cslack *cs, long n, const char *arg, const char *user,
                         cJSON **payload, char *why, size_t whylen)
{
    enum bot_rc rc = BOT_OK;
    *payload = NULL;
    pthread_mutex_lock(&cs->lock);
    struct cclick *k = n > 0 ? &cs->clicks[n % CS_MAX_CLICKS] : NULL;
    const struct cuser *u = user_by_id(user);
    struct cchan *c = k && k->n == n ? chan_by_id(cs, k->channel) : NULL;
    struct cmsg *m = c == NULL ? NULL : k->eph > 0 ? find_eph(cs, k->eph) : find_msg(c, k->ts);
    if (k == NULL || k->n != n || c == NULL || m == NULL) {
        snprintf(why, whylen,
                 "there is no button or menu [%ld] on screen (it may belong to a "
                 "message that has been replaced since; use the newest numbers)",
                 n);
        rc = BOT_ENOTFOUND;
        goto out;
    }
    if (m->eph > 0 && strcmp(m->eph_user, user) != 0) {
        snprintf(why, whylen, "[%ld] is on a message only @%s sees", n,
                 user_by_id(m->eph_user) ? user_by_id(m->eph_user)->name : m->eph_user);
        rc = BOT_ENOTFOUND;
        goto out;
    }
    const char *type = jstr(k->element, "type");
    cJSON *action = cJSON_CreateObject();
    cJSON_AddStringToObject(action, "type", type);
    cJSON_AddStringToObject(action, "action_id",
                            jstr(k->element, "action_id") ? jstr(k->element, "action_id") : "");
    cJSON_AddStringToObject(action, "block_id", k->block_id);
    char ats[24];
    next_ts(cs, ats);
    cJSON_AddStringToObject(action, "action_ts", ats);
    if (strcmp(type, "button") == 0) {
        cJSON_AddItemToObject(
            action, "text",
            cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(k->element, "text"), true));
        if (jstr(k->element, "value"))
            cJSON_AddStringToObject(action, "value", jstr(k->element, "value"));
    } else if (strcmp(type, "users_select") == 0) {
        char id[CONSOLE_ID_MAX], name[CONSOLE_NAME_MAX];
        if (arg[0] == '\0' || !cslack_find_user(cs, arg, id, name)) {
            snprintf(why, whylen,
                     "[%ld] picks a person: add a name, e.g. \"%ld @bob\" (/users "
                     "lists them)",
                     n, n);
            rc = BOT_EINVAL;
        } else {
            cJSON_AddStringToObject(action, "selected_user", id);
        }
    } else if (strcmp(type, "static_select") == 0 || strcmp(type, "overflow") == 0 ||
               strcmp(type, "radio_buttons") == 0) {
        const cJSON *o =
            cslack_pick_option(cJSON_GetObjectItemCaseSensitive(k->element, "options"), arg);
        if (o == NULL) {
            snprintf(why, whylen,
                     "[%ld] is a menu: add one of its options, e.g. \"%ld 1\" for "
                     "the first",
                     n, n);
            rc = BOT_EINVAL;
        } else {
            cJSON_AddItemToObject(action, "selected_option", cJSON_Duplicate(o, true));
        }
    } else {
        snprintf(why, whylen, "[%ld] is a %s, which the console cannot click", n, type);
        rc = BOT_EINVAL;
    }
    if (rc != BOT_OK) {
        cJSON_Delete(action);
        goto out;
    }
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "type", "block_actions");
    cJSON *pu = cJSON_AddObjectToObject(p, "user");
    cJSON_AddStringToObject(pu, "id", user);
    cJSON_AddStringToObject(pu, "username", u ? u->name : user);
    cJSON_AddStringToObject(pu, "name", u ? u->name : user);
    cJSON_AddStringToObject(pu, "team_id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(p, "api_app_id", CONSOLE_APP_ID);
    cJSON_AddStringToObject(p, "token", "console");
    cJSON *ct = cJSON_AddObjectToObject(p, "container");
    cJSON_AddStringToObject(ct, "type", "message");
    cJSON_AddStringToObject(ct, "message_ts", m->ts);
    cJSON_AddStringToObject(ct, "channel_id", c->id);
    cJSON_AddBoolToObject(ct, "is_ephemeral", m->eph > 0);
    char trig[CONSOLE_URL_MAX];
    snprintf(trig, sizeof(trig), "console.trigger.%ld.%s", ++cs->next_trigger, user);
    cJSON_AddStringToObject(p, "trigger_id", trig);
    cJSON *team = cJSON_AddObjectToObject(p, "team");
    cJSON_AddStringToObject(team, "id", CONSOLE_TEAM_ID);
    cJSON_AddStringToObject(team, "domain", CONSOLE_TEAM_DOMAIN);
    cJSON_AddFalseToObject(p, "is_enterprise_install");
    cJSON *ch = cJSON_AddObjectToObject(p, "channel");
    cJSON_AddStringToObject(ch, "id", c->id);
    cJSON_AddStringToObject(ch, "name", c->name);
    if (m->eph == 0)
        cJSON_AddItemToObject(p, "message", msg_json(m));
    cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "state"), "values", cJSON_CreateObject());
    /* The response_url of a click answers in (or replaces) the message clicked. */
    long id = ++cs->next_resp;
    struct cresp *r = &cs->resps[id % CS_MAX_RESPONSES];
    memset(r, 0, sizeof(*r));
    r->id = id;
    copy(r->user, sizeof(r->user), user);
    copy(r->channel, sizeof(r->channel), c->id);
    copy(r->ts, sizeof(r->ts), m->eph > 0 ? "" : m->ts);
    r->eph = m->eph;
    char url[CONSOLE_URL_MAX];
    snprintf(url, sizeof(url), "console://response/%ld", id);
    cJSON_AddStringToObject(p, "response_url", url);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(p, "actions"), action);
    *payload = p;
out:
    pthread_mutex_unlock(&cs->lock);
    return rc;
}

/* The visible label of an element: its text or placeholder. */
static const char *label_of(const cJSON *e)
{
    const cJSON *l = cJSON_GetObjectItemCaseSensitive(e, "text");
    if (l == NULL)
        l = cJSON_GetObjectItemCaseSensitive(e, "placeholder");
    const char *t = jstr(l, "text");
    return t ? t : "";
}

long cslack_find_click(struct cslack *cs, const char *label, const char *user)
{
    long best = 0, prefix = 0;
    size_t n = strlen(label);
    pthread_mutex_lock(&cs->lock);
    for (size_t i = 0; n > 0 && i < CS_MAX_CLICKS; i++) {
        const struct cclick *k = &cs->clicks[i];
        struct cchan *c = k->n ? chan_by_id(cs, k->channel) : NULL;
        struct cmsg *m = c == NULL ? NULL : k->eph > 0 ? find_eph(cs, k->eph) : find_msg(c, k->ts);
        if (m == NULL || (m->eph > 0 && strcmp(m->eph_user, user) != 0))
            continue;
        const char *l = label_of(k->element);
        if (strcasecmp(l, label) == 0 && k->n > best)
            best = k->n;
        else if (strncasecmp(l, label, n) == 0 && k->n > prefix)
            prefix = k->n;
    }
    pthread_mutex_unlock(&cs->lock);
    return best ? best : prefix;
}

/* ---- keeping the workspace between runs ---- */

enum bot_rc cslack_save(struct cslack *cs, const char *path, struct bot_err *err)
{
    char tmp[4200];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return bot_err_set(err, BOT_EINVAL, "workspace file name too long");
    pthread_mutex_lock(&cs->lock);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "version", 1);
    cJSON_AddNumberToObject(root, "next_chan", (double)cs->next_chan);
    cJSON_AddStringToObject(root, "last_created", cs->last_created);
    cJSON *arr = cJSON_AddArrayToObject(root, "channels");
    for (size_t i = 0; i < cs->n_chans; i++) {
        const struct cchan *c = &cs->chans[i];
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "id", c->id);
        cJSON_AddStringToObject(j, "name", c->name);
        cJSON_AddBoolToObject(j, "is_private", c->is_private);
        cJSON_AddBoolToObject(j, "is_im", c->is_im);
        cJSON_AddBoolToObject(j, "archived", c->archived);
        cJSON_AddStringToObject(j, "creator", c->creator);
        cJSON_AddStringToObject(j, "topic", c->topic);
        cJSON_AddStringToObject(j, "purpose", c->purpose);
        cJSON *mem = cJSON_AddArrayToObject(j, "members");
        for (size_t k = 0; k < c->n_members; k++)
            cJSON_AddItemToArray(mem, cJSON_CreateString(c->members[k]));
        cJSON *msgs = cJSON_AddArrayToObject(j, "messages");
        for (size_t k = 0; k < c->n_msgs; k++)
            if (!c->msgs[k].deleted)
                cJSON_AddItemToArray(msgs, msg_json(&c->msgs[k]));
        cJSON_AddItemToArray(arr, j);
    }
    pthread_mutex_unlock(&cs->lock);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    /*
     * The owner's only, like the database it goes with: it holds private channels and
     * their messages. fchmod: a file left by a crash keeps its mode through O_TRUNC.
     */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, STORE_FILE_MODE);
    FILE *f = NULL;
    if (fd >= 0 && fchmod(fd, STORE_FILE_MODE) == 0)
        f = fdopen(fd, "w");
    enum bot_rc rc = BOT_OK;
    if (f == NULL) {
        rc = bot_err_set(err, BOT_EIO, "%s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
    } else {
        bool ok = fputs(text, f) >= 0;
        ok = fflush(f) == 0 && ok;
        ok = fclose(f) == 0 && ok;
        if (!ok || rename(tmp, path) != 0) {
            rc = bot_err_set(err, BOT_EIO, "%s: %s", path, strerror(errno));
            remove(tmp);
        }
    }
    free(text);
    return rc;
}

enum bot_rc cslack_load(struct cslack *cs, const char *path, struct bot_err *err)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return errno == ENOENT ? BOT_OK
                               : bot_err_set(err, BOT_EIO, "%s: %s", path, strerror(errno));
    struct buf b;
    buf_init(&b, 64u << 20);
    char chunk[8192];
    size_t n;
    enum bot_rc rc = BOT_OK;
    while (rc == BOT_OK && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = buf_add(&b, chunk, n);
    fclose(f);
    cJSON *root = rc == BOT_OK ? cJSON_Parse(buf_str(&b)) : NULL;
    buf_free(&b);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "channels");
    if (!cJSON_IsArray(arr)) {
        cJSON_Delete(root);
        return bot_err_set(err, BOT_EPROTO,
                           "%s: not a console workspace (delete it to start "
                           "afresh)",
                           path);
    }
    pthread_mutex_lock(&cs->lock);
    const cJSON *nc = cJSON_GetObjectItemCaseSensitive(root, "next_chan");
    if (cJSON_IsNumber(nc) && (long)nc->valuedouble > cs->next_chan)
        cs->next_chan = (long)nc->valuedouble;
    copy(cs->last_created, sizeof(cs->last_created), jstr(root, "last_created"));
    const cJSON *j;
    cJSON_ArrayForEach(j, arr)
    {
        const char *id = jstr(j, "id"), *name = jstr(j, "name");
        if (id == NULL || name == NULL)
            continue;
        struct cchan *c = chan_by_id(cs, id);
        if (c == NULL)
            c = add_chan(cs, id, name, jbool(j, "is_private"), jstr(j, "creator"));
        if (c == NULL)
            break;
        c->is_im = jbool(j, "is_im");
        c->archived = jbool(j, "archived");
        copy(c->topic, sizeof(c->topic), jstr(j, "topic"));
        copy(c->purpose, sizeof(c->purpose), jstr(j, "purpose"));
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "members")) if (cJSON_IsString(m))
            add_member(c, m->valuestring);
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(j, "messages"))
        {
            const char *ts = jstr(m, "ts");
            if (ts == NULL || c->n_msgs >= CS_MAX_MESSAGES)
                continue;
            c->msgs = xreallocarray(c->msgs, c->n_msgs + 1, sizeof(*c->msgs));
            struct cmsg *cm = &c->msgs[c->n_msgs++];
            memset(cm, 0, sizeof(*cm));
            copy(cm->ts, sizeof(cm->ts), ts);
            copy(cm->thread_ts, sizeof(cm->thread_ts), jstr(m, "thread_ts"));
            copy(cm->user, sizeof(cm->user), jstr(m, "user"));
            cm->obj = message_obj(m);
        }
    }
    pthread_mutex_unlock(&cs->lock);
    cJSON_Delete(root);
    return BOT_OK;
}

cJSON *cslack_take_view(struct cslack *cs, const char *user)
{
    cJSON *v = NULL;
    pthread_mutex_lock(&cs->lock);
    for (size_t i = 0; i < cs->n_views; i++) {
        if (strcmp(cs->views[i].user, user) == 0) {
            v = cs->views[i].view;
            cJSON_DeleteItemFromObjectCaseSensitive(v, "id");
            cJSON_AddStringToObject(v, "id", cs->views[i].id);
            memmove(&cs->views[i], &cs->views[i + 1], (cs->n_views - i - 1) * sizeof(*cs->views));
            cs->n_views--;
            break;
        }
    }
    pthread_mutex_unlock(&cs->lock);
    return v;
}

bool cslack_has_view(struct cslack *cs, const char *user)
{
    bool has = false;
    pthread_mutex_lock(&cs->lock);
    for (size_t i = 0; i < cs->n_views && !has; i++)
        has = strcmp(cs->views[i].user, user) == 0;
    pthread_mutex_unlock(&cs->lock);
    return has;
}
