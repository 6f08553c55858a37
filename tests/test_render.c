/*
 * Unit tests of commands/render: exact JSON of a typical control message,
 * announcement and modal; every Block Kit limit under hostile input (long,
 * multi-byte, invalid UTF-8, many components); mrkdwn escaping of user text;
 * buttons by status; the declare modal's submission read back, and bad
 * submissions. With the shared samples directory as argv[1], also checks our
 * shapes against Slack's published payloads.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "check.h"
#include "render.h"
#include "slack_text.h"
#include "xmalloc.h"

static const char *shared_dir;

/* ---- helpers ---- */

/* JSON written with ' for " (the expected texts contain no apostrophes). */
static cJSON *sq(const char *text)
{
    char *s = xstrdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(s);
    if (j == NULL)
        fprintf(stderr, "bad expected JSON near: %.60s\n", cJSON_GetErrorPtr());
    free(s);
    return j;
}

/* True when a equals the JSON text given in pieces (ending with NULL); prints both when not. */
static bool same_json(const cJSON *a, ...)
{
    struct buf all;
    va_list ap;
    const char *piece;
    bool fits = true;
    buf_init(&all, 1 << 16);
    va_start(ap, a);
    while ((piece = va_arg(ap, const char *)) != NULL)
        fits = fits && buf_addstr(&all, piece) == BOT_OK;
    va_end(ap);
    cJSON *e = fits ? sq(buf_str(&all)) : NULL;
    buf_free(&all);
    bool ok = e != NULL && cJSON_Compare(a, e, 1);
    if (!ok) {
        char *x = cJSON_Print(a), *y = e ? cJSON_Print(e) : NULL;
        fprintf(stderr, "got:\n%s\nexpected:\n%s\n", x, y ? y : "(unparseable)");
        free(x);
        free(y);
    }
    cJSON_Delete(e);
    return ok;
}

static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        size_t len;
        uint32_t cp, min;
        if (*p < 0x80) {
            p++;
            continue;
        } else if (*p >= 0xc2 && *p <= 0xdf) {
            len = 2, cp = *p & 0x1f, min = 0x80;
        } else if ((*p & 0xf0) == 0xe0) {
            len = 3, cp = *p & 0x0f, min = 0x800;
        } else if (*p >= 0xf0 && *p <= 0xf4) {
            len = 4, cp = *p & 0x07, min = 0x10000;
        } else {
            return false;
        }
        for (size_t i = 1; i < len; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += len;
    }
    return true;
}

/* Characters as Slack counts them: UTF-16 units. */
static size_t slack_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p & 0xc0) != 0x80)
            n += *p >= 0xf0 ? 2 : 1;
    }
    return n;
}

static const char *str(const cJSON *o, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static const char *text_of(const cJSON *o, const char *key)
{
    return str(cJSON_GetObjectItemCaseSensitive(o, key), "text");
}

/* The first problem with a Block Kit tree, or NULL: the limits of slack-protocol.md section 4. */
static char problem[2048];

#define FAIL_IF(cond, ...)                                                                         \
    do {                                                                                           \
        if (cond) {                                                                                \
            snprintf(problem, sizeof problem, __VA_ARGS__);                                        \
            return problem;                                                                        \
        }                                                                                          \
    } while (0)

static const char *check_text_obj(const cJSON *t, size_t max, const char *what)
{
    const char *type = str(t, "type"), *text = str(t, "text");
    FAIL_IF(type == NULL || text == NULL, "%s: not a text object", what);
    FAIL_IF(strcmp(type, "plain_text") != 0 && strcmp(type, "mrkdwn") != 0, "%s: type %s", what,
            type);
    FAIL_IF(slack_chars(text) > max, "%s: %zu chars > %zu", what, slack_chars(text), max);
    FAIL_IF(text[0] == '\0', "%s: empty text", what);
    return NULL;
}

static const char *check_element(const cJSON *e)
{
    const char *type = str(e, "type"), *r;
    const cJSON *o;
    FAIL_IF(type == NULL, "element without type");
    FAIL_IF(str(e, "action_id") == NULL || strlen(str(e, "action_id")) > 255, "bad action_id");
    if (strcmp(type, "button") == 0) {
        if ((r = check_text_obj(cJSON_GetObjectItem(e, "text"), RENDER_MAX_BUTTON_TEXT, "button")))
            return r;
        FAIL_IF(str(e, "value") && strlen(str(e, "value")) > RENDER_MAX_VALUE, "button value");
    }
    if ((o = cJSON_GetObjectItem(e, "placeholder")) &&
        (r = check_text_obj(o, RENDER_MAX_PLACEHOLDER, "placeholder")))
        return r;
    if ((o = cJSON_GetObjectItem(e, "options"))) {
        FAIL_IF(cJSON_GetArraySize(o) > RENDER_MAX_OPTIONS || cJSON_GetArraySize(o) < 1,
                "%d options", cJSON_GetArraySize(o));
        const cJSON *opt;
        cJSON_ArrayForEach(opt, o)
        {
            if ((r = check_text_obj(cJSON_GetObjectItem(opt, "text"), RENDER_MAX_OPTION_TEXT,
                                    "option")))
                return r;
            FAIL_IF(slack_chars(str(opt, "value")) > RENDER_MAX_OPTION_VALUE, "option value");
        }
    }
    return NULL;
}

static const char *check_blocks(const cJSON *blocks, int max_blocks)
{
    const cJSON *b, *o, *e;
    const char *r;
    FAIL_IF(!cJSON_IsArray(blocks), "blocks is not an array");
    FAIL_IF(cJSON_GetArraySize(blocks) > max_blocks, "%d blocks", cJSON_GetArraySize(blocks));
    cJSON_ArrayForEach(b, blocks)
    {
        const char *type = str(b, "type"), *bid = str(b, "block_id");
        FAIL_IF(type == NULL || bid == NULL || strlen(bid) > RENDER_MAX_BLOCK_ID, "block ids");
        for (const cJSON *c = blocks->child; c != b; c = c->next)
            FAIL_IF(strcmp(str(c, "block_id"), bid) == 0, "block_id %s twice", bid);
        if (strcmp(type, "header") == 0 &&
            (r = check_text_obj(cJSON_GetObjectItem(b, "text"), RENDER_MAX_HEADER_TEXT, bid)))
            return r;
        if (strcmp(type, "section") == 0) {
            if ((o = cJSON_GetObjectItem(b, "text")) &&
                (r = check_text_obj(o, RENDER_MAX_SECTION_TEXT, bid)))
                return r;
            if ((o = cJSON_GetObjectItem(b, "fields"))) {
                FAIL_IF(cJSON_GetArraySize(o) > RENDER_MAX_FIELDS, "%s: too many fields", bid);
                cJSON_ArrayForEach(
                    e, o) if ((r = check_text_obj(e, RENDER_MAX_FIELD_TEXT, bid))) return r;
            }
        }
        if (strcmp(type, "context") == 0) {
            o = cJSON_GetObjectItem(b, "elements");
            FAIL_IF(cJSON_GetArraySize(o) > RENDER_MAX_CONTEXT_ELEMS, "%s: context", bid);
            cJSON_ArrayForEach(
                e, o) if ((r = check_text_obj(e, RENDER_MAX_SECTION_TEXT, bid))) return r;
        }
        if (strcmp(type, "actions") == 0) {
            o = cJSON_GetObjectItem(b, "elements");
            FAIL_IF(cJSON_GetArraySize(o) > RENDER_MAX_ACTIONS_ELEMS, "%s: actions", bid);
            cJSON_ArrayForEach(e, o)
            {
                if ((r = check_element(e)))
                    return r;
                for (const cJSON *c = o->child; c != e; c = c->next)
                    FAIL_IF(strcmp(str(c, "action_id"), str(e, "action_id")) == 0,
                            "action_id twice in %s", bid);
            }
        }
        if (strcmp(type, "input") == 0) {
            if ((r = check_text_obj(cJSON_GetObjectItem(b, "label"), RENDER_MAX_LABEL, bid)) ||
                (r = check_element(cJSON_GetObjectItem(b, "element"))))
                return r;
        }
    }
    return NULL;
}

/* Every string in the tree is valid UTF-8. */
static bool all_utf8(const cJSON *j)
{
    if (cJSON_IsString(j) && !valid_utf8(j->valuestring))
        return false;
    for (const cJSON *c = j->child; c; c = c->next)
        if ((c->string && !valid_utf8(c->string)) || !all_utf8(c))
            return false;
    return true;
}

static const char *const forbidden[] = {"<!channel>", "<!here>", "<!everyone>", "<@UEVIL>",
                                        "<!subteam"};

/* No mrkdwn text object in the tree holds a raw special mention. */
static const char *no_raw_mentions(const cJSON *j)
{
    if (cJSON_IsObject(j) && str(j, "type") && strcmp(str(j, "type"), "mrkdwn") == 0) {
        for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
            FAIL_IF(strstr(str(j, "text"), forbidden[i]) != NULL, "raw %s in %s", forbidden[i],
                    str(j, "text"));
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        const char *r = no_raw_mentions(c);
        if (r)
            return r;
    }
    return NULL;
}

static bool text_clean(const char *s)
{
    for (size_t i = 0; i < sizeof forbidden / sizeof forbidden[0]; i++)
        if (strstr(s, forbidden[i]) != NULL)
            return false;
    return true;
}

/* The element with action_id in any actions block, or NULL. */
static const cJSON *find_action(const cJSON *blocks, const char *action_id)
{
    const cJSON *b, *e;
    cJSON_ArrayForEach(b, blocks)
    {
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(b, "elements"))
        {
            if (str(e, "action_id") && strcmp(str(e, "action_id"), action_id) == 0)
                return e;
        }
    }
    return NULL;
}

static const cJSON *find_block(const cJSON *blocks, const char *block_id)
{
    const cJSON *b;
    cJSON_ArrayForEach(b, blocks)
    {
        if (strcmp(str(b, "block_id"), block_id) == 0)
            return b;
    }
    return NULL;
}

#define T0 1714564800000LL /* 2024-05-01 12:00:00 UTC */

static const char *const two_components[] = {"api", "db"};

static struct render_incident typical(void)
{
    struct render_incident inc = {
        .id = 42,
        .title = "DB down & slow",
        .description = "Writes fail <sometimes>",
        .severity = SEV_MAJOR,
        .status = ST_INVESTIGATING,
        .started_at_ms = T0,
        .declared_at_ms = T0 + 5 * 60000,
        .step = 3,
        .irm = "U1",
        .call_url = "https://meet.example.com/inc-42?a=1&b=2",
        .channel_id = "C42",
        .components = two_components,
        .n_components = 2,
    };
    return inc;
}

/* A private incident's announcement names neither its subject nor its channel. */
static void test_announcement_redacted(void)
{
    struct render_incident inc = typical();
    inc.title = "Customer export SECRET-T leaked";
    inc.description = "SECRET-D";
    inc.channel_id = "C0PRIVATE1";
    inc.breach = true;
    inc.redacted = true;
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    char *json = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(json, "*INC-42*, a private incident");
    CHECK_CONTAINS(json, "*Severity:* major");
    CHECK_CONTAINS(json, "Ask <@U1>, its IRM, if you need access.");
    CHECK_CONTAINS(json, "\"block_id\":\"inc42_announce\""); /* found again after a lost answer */
    CHECK(strstr(json, "SECRET") == NULL);
    CHECK(strstr(json, "C0PRIVATE1") == NULL);
    CHECK(strstr(fb, "SECRET") == NULL && strstr(fb, "C0PRIVATE1") == NULL);
    CHECK_CONTAINS(fb, "INC-42, a private incident");
    free(json);
    free(fb);
    cJSON_Delete(blocks);
    /* No IRM yet: whoever declared it is asked. */
    inc.irm = NULL;
    inc.declarer = "U0DECL";
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    json = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(json, "Ask <@U0DECL>, who declared it, if you need access.");
    free(json);
    free(fb);
    cJSON_Delete(blocks);
    /* The same incident unredacted (a public one) shows its title and channel. */
    inc.redacted = false;
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    json = cJSON_PrintUnformatted(blocks);
    CHECK_CONTAINS(json, "SECRET-T");
    CHECK_CONTAINS(json, "<#C0PRIVATE1>");
    free(json);
    free(fb);
    cJSON_Delete(blocks);
}

/* ---- control message ---- */

static void test_control_golden(void)
{
    struct render_incident inc = typical();
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0 + 85 * 60000, &blocks, &fb), BOT_OK);
    bool ok = same_json(
        blocks,
        "[{'type':'header','block_id':'inc42_header',"
        "  'text':{'type':'plain_text','text':'INC-42: DB down & slow','emoji':true}},"
        " {'type':'section','block_id':'inc42_summary','fields':["
        "  {'type':'mrkdwn','text':'*Severity*\\n:large_orange_circle: major'},"
        "  {'type':'mrkdwn','text':'*Status*\\ninvestigating'},"
        "  {'type':'mrkdwn','text':'*Step*\\n3/9 Support plan'},"
        "  {'type':'mrkdwn','text':'*Started*\\n<!date^1714564800^{date_short_pretty} {time}|"
        "2024-05-01 12:00 UTC>'},"
        "  {'type':'mrkdwn','text':'*Age*\\n1 h 25 min'},"
        "  {'type':'mrkdwn','text':'*IRM*\\n<@U1>'},"
        "  {'type':'mrkdwn','text':'*Tech liaison*\\n_unassigned_'},"
        "  {'type':'mrkdwn','text':'*Support liaison*\\n_unassigned_'},"
        "  {'type':'mrkdwn','text':'*DPO*\\n_unassigned_'}]},"
        " {'type':'section','block_id':'inc42_description',"
        "  'text':{'type':'mrkdwn','text':'*Description*\\nWrites fail &lt;sometimes&gt;'}},"
        " {'type':'section','block_id':'inc42_components',"
        "  'text':{'type':'mrkdwn','text':'*Components:* api, db'}},"
        " {'type':'section','block_id':'inc42_call','text':{'type':'mrkdwn','text':"
        "  ':video_camera: *Call:* <https://meet.example.com/inc-42?a=1&amp;b=2|Join the call>'}},",
        " {'type':'actions','block_id':'inc42_actions','elements':["
        "  {'type':'button','action_id':'inc_take_irm','value':'42',"
        "   'text':{'type':'plain_text','text':'Take over IRM','emoji':true},"
        "   'confirm':{'title':{'type':'plain_text','text':'Take over IRM?','emoji':true},"
        "    'text':{'type':'plain_text','text':'INC-42 already has an IRM. Take the role over? "
        "They are told in the channel.','emoji':true},"
        "    'confirm':{'type':'plain_text','text':'Take over','emoji':true},"
        "    'deny':{'type':'plain_text','text':'Cancel','emoji':true}}},"
        "  {'type':'static_select','action_id':'inc_severity',"
        "   'placeholder':{'type':'plain_text','text':'Severity','emoji':true},"
        "   'options':["
        "    {'text':{'type':'plain_text','text':':red_circle: Critical','emoji':true},"
        "     'value':'critical'},"
        "    {'text':{'type':'plain_text','text':':large_orange_circle: Major','emoji':true},"
        "     'value':'major'},"
        "    {'text':{'type':'plain_text','text':':large_yellow_circle: Minor','emoji':true},"
        "     'value':'minor'}],"
        "   'initial_option':"
        "    {'text':{'type':'plain_text','text':':large_orange_circle: Major','emoji':true},"
        "     'value':'major'}},"
        "  {'type':'button','action_id':'inc_next_status','value':'42:identified',"
        "   'text':{'type':'plain_text','text':'Mark identified','emoji':true}},"
        "  {'type':'button','action_id':'inc_publish','value':'42',"
        "   'text':{'type':'plain_text','text':'Publish to status page','emoji':true}},"
        "  {'type':'button','action_id':'inc_checklist','value':'42',"
        "   'text':{'type':'plain_text','text':'Checklist','emoji':true}},"
        "  {'type':'button','action_id':'inc_components','value':'42',"
        "   'text':{'type':'plain_text','text':'Components','emoji':true}}]},",
        " {'type':'actions','block_id':'inc42_roles','elements':["
        "  {'type':'users_select','action_id':'inc_role_irm','initial_user':'U1',"
        "   'placeholder':{'type':'plain_text','text':'Assign IRM','emoji':true}},"
        "  {'type':'users_select','action_id':'inc_role_tech',"
        "   'placeholder':{'type':'plain_text','text':'Assign tech liaison','emoji':true}},"
        "  {'type':'users_select','action_id':'inc_role_support',"
        "   'placeholder':{'type':'plain_text','text':'Assign support liaison','emoji':true}},"
        "  {'type':'users_select','action_id':'inc_role_dpo',"
        "   'placeholder':{'type':'plain_text','text':'Assign DPO','emoji':true}}]},"
        " {'type':'context','block_id':'inc42_meta','elements':[{'type':'mrkdwn','text':"
        "  'Declared <!date^1714565100^{date_short_pretty} {time}|2024-05-01 12:05 UTC>'}]}]",
        NULL);
    bool fb_ok = strcmp(fb, ":large_orange_circle: INC-42: DB down &amp; slow (major, "
                            "investigating)") == 0;
    const char *lim = check_blocks(blocks, RENDER_MAX_BLOCKS);
    cJSON_Delete(blocks);
    CHECK_MSG(fb_ok, "fallback %s", fb);
    free(fb);
    CHECK(ok);
    CHECK_MSG(lim == NULL, "%s", lim);
}

static void test_control_breach_and_meta(void)
{
    struct render_incident inc = typical();
    inc.breach = true;
    inc.dpo = "U9";
    inc.tech_liaison = "U2";
    inc.support_liaison = "U3";
    inc.description = NULL;
    inc.n_components = 0;
    inc.call_url = NULL;
    inc.declared_at_ms = 0;
    inc.announcement_url = "https://example.slack.com/archives/C1/p1?x=1&y=2";
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    const cJSON *breach = find_block(blocks, "inc42_breach");
    const cJSON *meta = find_block(blocks, "inc42_meta");
    bool ok = breach &&
              strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(breach, "elements"), 0), "text"),
                     "breach") != NULL;
    bool meta_ok =
        meta && strcmp(str(cJSON_GetArrayItem(cJSON_GetObjectItem(meta, "elements"), 0), "text"),
                       "<https://example.slack.com/archives/C1/p1?x=1&amp;y=2|"
                       "Announcement>") == 0;
    bool none = !find_block(blocks, "inc42_description") && !find_block(blocks, "inc42_call") &&
                !find_block(blocks, "inc42_components");
    const cJSON *dpo = find_action(blocks, "inc_role_dpo");
    bool dpo_ok = dpo && str(dpo, "initial_user") && strcmp(str(dpo, "initial_user"), "U9") == 0;
    const cJSON *age =
        cJSON_GetArrayItem(cJSON_GetObjectItem(find_block(blocks, "inc42_summary"), "fields"), 4);
    bool age_ok = strcmp(str(age, "text"), "*Age*\n< 1 min") == 0;
    cJSON_Delete(blocks);
    CHECK(ok);
    CHECK(meta_ok);
    CHECK(none);
    CHECK(dpo_ok);
    CHECK(age_ok);
}

static void test_age_formats(void)
{
    static const struct {
        int64_t ms;
        const char *want;
    } cases[] = {
        {0, "*Age*\n< 1 min"},
        {59999, "*Age*\n< 1 min"},
        {25 * 60000, "*Age*\n25 min"},
        {120 * 60000, "*Age*\n2 h 0 min"},
        {(51LL * 60 + 7) * 60000, "*Age*\n2 d 3 h"},
        {-5 * 60000, "*Age*\n< 1 min"}, /* a clock behind the start */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct render_incident inc = typical();
        cJSON *blocks;
        char *fb;
        CHECK_INT(render_control_message(&inc, T0 + cases[i].ms, &blocks, &fb), BOT_OK);
        free(fb);
        const cJSON *f = cJSON_GetArrayItem(
            cJSON_GetObjectItem(find_block(blocks, "inc42_summary"), "fields"), 4);
        bool ok = strcmp(str(f, "text"), cases[i].want) == 0;
        if (!ok)
            fprintf(stderr, "age %lld: %s\n", (long long)cases[i].ms, str(f, "text"));
        cJSON_Delete(blocks);
        CHECK(ok);
    }
}

static void test_buttons_by_status(void)
{
    static const char *const next_value[ST_COUNT] = {
        "42:investigating",
        "42:identified",
        "42:monitoring",
        "42:resolved",
        "42:postmortem",
        "42:closed",
        NULL,
    };
    for (int st = 0; st < ST_COUNT; st++) {
        for (int pub = 0; pub < 2; pub++) {
            struct render_incident inc = typical();
            inc.status = (enum inc_status)st;
            inc.public_ = pub;
            cJSON *blocks;
            char *fb;
            CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
            free(fb);
            const cJSON *next = find_action(blocks, "inc_next_status");
            const cJSON *publish = find_action(blocks, "inc_publish");
            bool next_ok = next_value[st] == NULL
                               ? next == NULL
                               : next && strcmp(str(next, "value"), next_value[st]) == 0 &&
                                     strcmp(text_of(next, "text"),
                                            render_next_status_label((enum inc_status)st)) == 0;
            bool closed = st == ST_CLOSED;
            bool pub_ok = pub || closed ? publish == NULL : publish != NULL;
            /* Closed: only its record is left, the checklist; no hint that no longer applies. */
            bool always =
                closed ? find_action(blocks, "inc_checklist") && !find_action(blocks, "inc_take_irm") &&
                             !find_action(blocks, "inc_severity") &&
                             !find_action(blocks, "inc_role_support") &&
                             !find_action(blocks, "inc_components")
                       : find_action(blocks, "inc_take_irm") && find_action(blocks, "inc_checklist") &&
                             find_action(blocks, "inc_severity") &&
                             find_action(blocks, "inc_role_support") &&
                             find_action(blocks, "inc_components");
            cJSON_Delete(blocks);
            CHECK_MSG(next_ok, "status %d", st);
            CHECK_MSG(pub_ok, "status %d public %d", st, pub);
            CHECK(always);
        }
    }
    CHECK_STR(render_next_status_label(ST_INVESTIGATING), "Mark identified");
    CHECK(render_next_status_label(ST_CLOSED) == NULL);
}

static void test_take_irm_style(void)
{
    struct render_incident inc = typical();
    inc.irm = NULL;
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    const cJSON *b = find_action(blocks, "inc_take_irm");
    bool primary = str(b, "style") && strcmp(str(b, "style"), "primary") == 0;
    bool no_initial = cJSON_GetObjectItem(find_action(blocks, "inc_role_irm"), "initial_user") == 0;
    /* Nobody holds it: "Take IRM", no confirmation. */
    const cJSON *label = cJSON_GetObjectItem(b, "text");
    bool take = label && str(label, "text") && strcmp(str(label, "text"), "Take IRM") == 0;
    bool no_confirm = cJSON_GetObjectItem(b, "confirm") == NULL;
    cJSON_Delete(blocks);
    CHECK(primary);
    CHECK(no_initial);
    CHECK(take);
    CHECK(no_confirm);
    /* Someone holds it (a golden in test_control_golden): "Take over IRM", confirmed, not primary. */
    inc.irm = "U1";
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    b = find_action(blocks, "inc_take_irm");
    label = cJSON_GetObjectItem(b, "text");
    CHECK(label && str(label, "text") && strcmp(str(label, "text"), "Take over IRM") == 0);
    CHECK(str(b, "style") == NULL);
    CHECK(cJSON_IsObject(cJSON_GetObjectItem(b, "confirm")));
    cJSON_Delete(blocks);
}

/* The components menu: a menu per direction with options, long names named but not offered. */
static void test_components_menu(void)
{
    char longname[200];
    memset(longname, 'x', 160);
    longname[160] = '\0';
    const char *cur[] = {"API", longname};
    const char *others[] = {"Search"};
    cJSON *blocks = NULL;
    char *text = NULL;
    CHECK_INT(render_components_menu(42, cur, 2, others, 1, &blocks, &text), BOT_OK);
    CHECK_CONTAINS(text, "*INC-42* affects *API* and *xxxx");
    const cJSON *add = find_action(blocks, "inc_component_add");
    const cJSON *del = find_action(blocks, "inc_component_remove");
    CHECK(add && cJSON_GetArraySize(cJSON_GetObjectItem(add, "options")) == 1);
    CHECK(del && cJSON_GetArraySize(cJSON_GetObjectItem(del, "options")) == 1); /* not the long */
    int64_t id = 0;
    CHECK(render_block_incident_id(str(cJSON_GetArrayItem(blocks, 1), "block_id"), &id) &&
          id == 42);
    cJSON_Delete(blocks);
    free(text);
    /* Nothing to add and nothing to remove: no menus at all (Slack refuses empty ones). */
    CHECK_INT(render_components_menu(42, NULL, 0, NULL, 0, &blocks, &text), BOT_OK);
    CHECK_CONTAINS(text, "affects no component yet, and no other component is known");
    CHECK_INT(cJSON_GetArraySize(blocks), 1);
    cJSON_Delete(blocks);
    free(text);
    CHECK_INT(render_components_menu(0, NULL, 0, NULL, 0, &blocks, &text), BOT_EINVAL);
}

/* Every button value and block_id leads back to the incident. */
static void test_routing(void)
{
    struct render_incident inc = typical();
    inc.id = 9007199254740993LL; /* beyond a double's integers: must survive as text */
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    const cJSON *b, *e;
    int buttons = 0;
    bool ok = true;
    cJSON_ArrayForEach(b, blocks)
    {
        int64_t id = 0;
        ok = ok && render_block_incident_id(str(b, "block_id"), &id) && id == inc.id;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(b, "elements"))
        {
            const char *arg;
            if (str(e, "type") && strcmp(str(e, "type"), "button") == 0) {
                buttons++;
                ok = ok && render_parse_action_value(str(e, "value"), &id, &arg) && id == inc.id;
            }
        }
    }
    cJSON_Delete(blocks);
    CHECK(ok);
    CHECK_INT(buttons, 5); /* take IRM, next status, publish, checklist, components */

    int64_t id;
    const char *arg;
    CHECK(render_block_incident_id("inc42_actions", &id));
    CHECK_INT(id, 42);
    CHECK(!render_block_incident_id("inc_actions", &id));
    CHECK(!render_block_incident_id("inc42", &id));
    CHECK(!render_block_incident_id("inc042_x", &id));
    CHECK(!render_block_incident_id("inc99999999999999999999_x", &id));
    CHECK(!render_block_incident_id(NULL, &id));
    CHECK(render_parse_action_value("42", &id, &arg));
    CHECK_INT(id, 42);
    CHECK_STR(arg, "");
    CHECK(render_parse_action_value("7:identified", &id, &arg));
    CHECK_INT(id, 7);
    CHECK_STR(arg, "identified");
    CHECK(!render_parse_action_value("0", &id, &arg));
    CHECK(!render_parse_action_value("-4", &id, &arg));
    CHECK(!render_parse_action_value("4x", &id, &arg));
    CHECK(!render_parse_action_value("", &id, &arg));
}

static void test_bad_incident(void)
{
    struct render_incident inc = typical();
    cJSON *blocks = (cJSON *)1;
    char *fb = (char *)1, *s = (char *)1;
    inc.step = 10;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_EINVAL);
    CHECK(blocks == NULL && fb == NULL);
    inc = typical();
    inc.id = 0;
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_EINVAL);
    inc = typical();
    inc.title = NULL;
    CHECK_INT(render_topic(&inc, &s), BOT_EINVAL);
    CHECK(s == NULL);
    inc = typical();
    inc.severity = SEV_COUNT;
    CHECK_INT(render_purpose(&inc, &s), BOT_EINVAL);
    inc = typical();
    inc.status = ST_COUNT;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_EINVAL);
    CHECK_INT(render_control_message(NULL, T0, &blocks, &fb), BOT_EINVAL);
}

/* ---- limits ---- */

static char *repeat(const char *unit, size_t times)
{
    size_t n = strlen(unit);
    char *s = xmalloc(n * times + 1);
    for (size_t i = 0; i < times; i++)
        memcpy(s + i * n, unit, n);
    s[n * times] = '\0';
    return s;
}

static void test_long_title_and_description(void)
{
    /* 5,000 characters: two-byte, three-byte and astral ones mixed, so any cut could split one. */
    char *title = repeat("é€😀a", 1250);
    char *desc = repeat("&<>x", 1250);
    struct render_incident inc = typical();
    inc.title = title;
    inc.description = desc;
    inc.call_url = "https://x.example/&&&&";
    cJSON *blocks;
    char *fb, *purpose, *topic;
    enum bot_rc rc = render_control_message(&inc, T0, &blocks, &fb);
    free(title);
    CHECK_INT(rc, BOT_OK);
    const char *lim = check_blocks(blocks, RENDER_MAX_BLOCKS);
    bool utf8 = all_utf8(blocks) && valid_utf8(fb);
    const char *header = text_of(find_block(blocks, "inc42_header"), "text");
    bool header_ok = slack_chars(header) <= RENDER_MAX_HEADER_TEXT && slack_chars(header) >= 145 &&
                     strncmp(header, "INC-42: é€😀a", strlen("INC-42: é€😀a")) == 0 &&
                     strcmp(header + strlen(header) - 3, "…") == 0;
    const char *d = text_of(find_block(blocks, "inc42_description"), "text");
    /* Cut between entities, never inside one: the text before "…" ends a whole unit. */
    size_t dl = strlen(d);
    bool desc_ok = slack_chars(d) <= RENDER_MAX_SECTION_TEXT && slack_chars(d) >= 2990 &&
                   strcmp(d + dl - 3, "…") == 0 && (d[dl - 4] == ';' || d[dl - 4] == 'x');
    bool fb_ok = slack_chars(fb) <= RENDER_MAX_FALLBACK;
    cJSON_Delete(blocks);
    free(fb);
    inc.title = desc;
    CHECK_INT(render_purpose(&inc, &purpose), BOT_OK);
    CHECK_INT(render_topic(&inc, &topic), BOT_OK);
    bool purpose_ok = slack_chars(purpose) <= RENDER_MAX_PURPOSE && slack_chars(purpose) >= 240 &&
                      strchr(purpose, '<') == NULL;
    free(purpose);
    free(topic);
    free(desc);
    CHECK_MSG(lim == NULL, "%s", lim);
    CHECK(utf8);
    CHECK_MSG(header_ok, "%s", header);
    CHECK(desc_ok);
    CHECK(fb_ok);
    CHECK(purpose_ok);
}

static void test_invalid_utf8_input(void)
{
    struct render_incident inc = typical();
    inc.title = "bad \xff\xfe \xc0\x80 \xed\xa0\x80 cut \xe2\x82";
    inc.description = "ctl \x01\x1b[31m";
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    bool ok = all_utf8(blocks) && valid_utf8(fb);
    const char *h = text_of(find_block(blocks, "inc42_header"), "text");
    bool header_ok = strstr(h, "bad \xef\xbf\xbd\xef\xbf\xbd ") != NULL;
    const char *d = text_of(find_block(blocks, "inc42_description"), "text");
    bool ctl_ok = strchr(d, '\x01') == NULL && strchr(d, '\x1b') == NULL;
    cJSON_Delete(blocks);
    free(fb);
    CHECK(ok);
    CHECK_MSG(header_ok, "%s", h);
    CHECK(ctl_ok);
}

static void test_many_components(void)
{
    const char *names[60];
    char *owned[60];
    for (int i = 0; i < 60; i++) {
        owned[i] = xasprintf("component-%02d-%s", i, i % 2 ? "a<b>&c" : "plain");
        names[i] = owned[i];
    }
    char *long_one = repeat("y", 2500);
    names[7] = long_one;
    struct render_incident inc = typical();
    inc.components = names;
    inc.n_components = 60;
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    const char *lim = check_blocks(blocks, RENDER_MAX_BLOCKS);
    const char *c = text_of(find_block(blocks, "inc42_components"), "text");
    bool shown = strstr(c, "component-59-a&lt;b&gt;&amp;c") != NULL && strstr(c, "<b>") == NULL;
    int nblocks = cJSON_GetArraySize(blocks);
    cJSON_Delete(blocks);

    /* Many long names: the list is cut with a count of the rest. */
    for (int i = 0; i < 60; i++)
        names[i] = long_one;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    const char *lim2 = check_blocks(blocks, RENDER_MAX_BLOCKS);
    c = text_of(find_block(blocks, "inc42_components"), "text");
    bool more = strstr(c, "more") != NULL;
    cJSON_Delete(blocks);
    for (int i = 0; i < 60; i++)
        free(owned[i]);
    free(long_one);
    CHECK_MSG(lim == NULL, "%s", lim);
    CHECK_MSG(lim2 == NULL, "%s", lim2);
    CHECK(nblocks <= RENDER_MAX_BLOCKS);
    CHECK(shown);
    CHECK(more);
}

/* ---- escaping ---- */

static void test_escaping_everywhere(void)
{
    static const char *const comps[] = {"<!everyone>", "ok & fine"};
    struct render_incident inc = typical();
    inc.title = "<!channel> payments & <@UEVIL> <!subteam^S1>";
    inc.description = "<!here> please";
    inc.components = comps;
    inc.tech_liaison = "U2><!channel"; /* a corrupted id is shown as text, never as syntax */
    inc.call_url = "https://x.example/|<!channel>";
    inc.announcement_url = "javascript:<!here>";
    inc.channel_id = "C1><!channel";
    cJSON *blocks;
    char *fb, *s;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    const char *r = no_raw_mentions(blocks);
    bool fb_ok = text_clean(fb);
    /* plain_text is shown literally by Slack: the title's markup is shown as plain words. */
    bool header_literal = strcmp(text_of(find_block(blocks, "inc42_header"), "text"),
                                 "INC-42: @channel payments & someone a group") == 0;
    cJSON_Delete(blocks);
    free(fb);
    CHECK_MSG(r == NULL, "%s", r);
    CHECK(fb_ok);
    CHECK(header_literal);

    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    r = no_raw_mentions(blocks);
    fb_ok = text_clean(fb);
    cJSON_Delete(blocks);
    free(fb);
    CHECK_MSG(r == NULL, "%s", r);
    CHECK(fb_ok);

    CHECK_INT(render_purpose(&inc, &s), BOT_OK);
    bool purpose_ok = text_clean(s);
    free(s);
    CHECK(purpose_ok);
    inc.irm = "U1|<!here>";
    CHECK_INT(render_topic(&inc, &s), BOT_OK);
    bool topic_ok = text_clean(s) && strcmp(s, "SEV major | investigating | IRM unassigned") == 0;
    free(s);
    CHECK(topic_ok);

    struct render_update u = {RENDER_UPDATE_NOTE, 0, 0, "UEVIL><!channel", "<!channel> fixed"};
    CHECK_INT(render_update_line(&u, &s), BOT_OK);
    bool upd_ok = text_clean(s);
    free(s);
    CHECK(upd_ok);
}

/* A description as stored is shown as slack_text_user() converts it: escaped once, not twice. */
static void test_escape_matches_slack_text(void)
{
    const char *d = "a & b < c > d &amp; é";
    struct buf want;
    buf_init(&want, 1024);
    CHECK_INT(buf_addstr(&want, "*Description*\n"), BOT_OK);
    CHECK_INT(slack_text_user(&want, d, strlen(d)), BOT_OK); /* stored text: entities once */
    struct render_incident inc = typical();
    inc.description = d;
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_control_message(&inc, T0, &blocks, &fb), BOT_OK);
    free(fb);
    bool same =
        strcmp(text_of(find_block(blocks, "inc42_description"), "text"), buf_str(&want)) == 0;
    cJSON_Delete(blocks);
    buf_free(&want);
    CHECK(same);
}

/* ---- announcement, updates, topic, purpose ---- */

static void test_announcement_golden(void)
{
    struct render_incident inc = typical();
    cJSON *blocks;
    char *fb;
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    bool ok = same_json(
        blocks,
        "[{'type':'section','block_id':'inc42_announce','text':{'type':'mrkdwn','text':"
        "  ':large_orange_circle: *INC-42* DB down &amp; slow\\n*Severity:* major  \xc2\xb7  "
        "*Status:* investigating  \xc2\xb7  *Channel:* <#C42>  \xc2\xb7  *IRM:* <@U1>'}},"
        " {'type':'context','block_id':'inc42_announce_meta','elements':[{'type':'mrkdwn','text':"
        "  'Started <!date^1714564800^{date_short_pretty} {time}|2024-05-01 12:00 UTC>'}]}]",
        NULL);
    bool fb_ok = strcmp(fb, ":large_orange_circle: INC-42 DB down &amp; slow — major, "
                            "investigating") == 0;
    cJSON_Delete(blocks);
    free(fb);
    CHECK(ok);
    CHECK(fb_ok);

    inc.status = ST_RESOLVED;
    inc.public_ = true;
    inc.channel_id = NULL;
    inc.irm = NULL;
    CHECK_INT(render_announcement(&inc, &blocks, &fb), BOT_OK);
    const char *t = text_of(find_block(blocks, "inc42_announce"), "text");
    bool resolved = strncmp(t, ":white_check_mark: *INC-42*", 27) == 0 &&
                    strstr(t, "_being created_") && strstr(t, "*IRM:* _unassigned_");
    const cJSON *meta = find_block(blocks, "inc42_announce_meta");
    bool pub = strstr(str(cJSON_GetArrayItem(cJSON_GetObjectItem(meta, "elements"), 0), "text"),
                      "public status page") != NULL;
    cJSON_Delete(blocks);
    free(fb);
    CHECK_MSG(resolved, "%s", t);
    CHECK(pub);
}

static void test_update_lines(void)
{
    char *s;
    struct render_update u = {RENDER_UPDATE_STATUS, ST_IDENTIFIED, SEV_MINOR, "U7",
                              "cause: bad deploy <v2> & rollback"};
    CHECK_INT(render_update_line(&u, &s), BOT_OK);
    CHECK_STR(s, "Status changed to identified by <@U7>: cause: bad deploy &lt;v2&gt; &amp; "
                 "rollback");
    free(s);
    u = (struct render_update){RENDER_UPDATE_SEVERITY, 0, SEV_CRITICAL, "U7", NULL};
    CHECK_INT(render_update_line(&u, &s), BOT_OK);
    CHECK_STR(s, "Severity changed to critical by <@U7>");
    free(s);
    u = (struct render_update){RENDER_UPDATE_NOTE, 0, 0, NULL, "restarted db"};
    CHECK_INT(render_update_line(&u, &s), BOT_OK);
    CHECK_STR(s, "Note: restarted db");
    free(s);
    char *big = repeat("\xf0\x9f\x94\xa5", 4000);
    u = (struct render_update){RENDER_UPDATE_NOTE, 0, 0, "U7", big};
    CHECK_INT(render_update_line(&u, &s), BOT_OK);
    bool bounded = slack_chars(s) <= RENDER_MAX_FALLBACK && valid_utf8(s);
    free(s);
    free(big);
    CHECK(bounded);
    u = (struct render_update){RENDER_UPDATE_STATUS, ST_COUNT, 0, NULL, NULL};
    CHECK_INT(render_update_line(&u, &s), BOT_EINVAL);
    CHECK(s == NULL);
    u = (struct render_update){(enum render_update_kind)99, 0, 0, NULL, NULL};
    CHECK_INT(render_update_line(&u, &s), BOT_EINVAL);
}

static void test_topic_and_purpose(void)
{
    struct render_incident inc = typical();
    char *s;
    CHECK_INT(render_topic(&inc, &s), BOT_OK);
    CHECK_STR(s, "SEV major | investigating | IRM <@U1>");
    free(s);
    inc.breach = true;
    inc.irm = NULL;
    inc.status = ST_MONITORING;
    CHECK_INT(render_topic(&inc, &s), BOT_OK);
    CHECK_STR(s, "SEV major | monitoring | IRM unassigned | breach suspected");
    free(s);
    CHECK_INT(render_purpose(&inc, &s), BOT_OK);
    CHECK_STR(s, "DB down &amp; slow");
    free(s);
}

static void test_small_replies(void)
{
    cJSON *j = render_ephemeral_error(":warning: No such incident.");
    bool ok =
        same_json(j, "{'response_type':'ephemeral','text':':warning: No such incident.'}", NULL);
    cJSON_Delete(j);
    CHECK(ok);
    char *big = repeat("z", 5000);
    j = render_ephemeral_error(big);
    free(big);
    bool bounded = slack_chars(str(j, "text")) <= RENDER_MAX_FALLBACK;
    cJSON_Delete(j);
    CHECK(bounded);
    j = render_view_errors("percent", "From 0 to 100.");
    ok = same_json(j, "{'response_action':'errors','errors':{'percent':'From 0 to 100.'}}", NULL);
    cJSON_Delete(j);
    CHECK(ok);
    CHECK_STR(render_step_name(1), "Set up");
    CHECK_STR(render_step_name(9), "Follow-up");
    CHECK_STR(render_step_name(0), "?");
    CHECK_STR(render_severity_emoji(SEV_CRITICAL), ":red_circle:");
}

/* ---- the declare modal ---- */

static const char *const comp_list[] = {"api", "billing & invoices", "web"};

static cJSON *default_modal(void)
{
    struct render_declare_defaults d = {
        .title = "Checkout fails",
        .private_metadata = "C123",
        .components = comp_list,
        .n_components = 3,
    };
    cJSON *view = NULL;
    if (render_declare_modal(&d, &view) != BOT_OK)
        return NULL;
    return view;
}

static void test_modal_golden(void)
{
    cJSON *view = default_modal();
    CHECK(view != NULL);
    bool ok = same_json(
        view,
        "{'type':'modal','callback_id':'incident_declare','private_metadata':'C123',"
        " 'title':{'type':'plain_text','text':'Declare incident','emoji':true},"
        " 'submit':{'type':'plain_text','text':'Declare','emoji':true},"
        " 'close':{'type':'plain_text','text':'Cancel','emoji':true},"
        " 'blocks':["
        "  {'type':'input','block_id':'title','optional':false,"
        "   'label':{'type':'plain_text','text':'Title','emoji':true},"
        "   'element':{'type':'plain_text_input','action_id':'title_input','max_length':150,"
        "    'initial_value':'Checkout fails',"
        "    'placeholder':{'type':'plain_text','text':'What is broken, in a few words',"
        "                   'emoji':true}}},"
        "  {'type':'input','block_id':'description','optional':true,"
        "   'label':{'type':'plain_text','text':'Description','emoji':true},"
        "   'element':{'type':'plain_text_input','action_id':'description_input',"
        "    'multiline':true,'max_length':3000,"
        "    'placeholder':{'type':'plain_text','text':'What do users see? What is known?',"
        "                   'emoji':true}}},"
        "  {'type':'input','block_id':'scope','optional':true,"
        "   'label':{'type':'plain_text','text':'How much of the product is affected?',"
        "            'emoji':true},"
        "   'element':{'type':'static_select','action_id':'scope_input',"
        "    'placeholder':{'type':'plain_text','text':'Choose the scope','emoji':true},"
        "    'options':["
        "     {'text':{'type':'plain_text','text':'A minor feature','emoji':true},"
        "      'value':'minor_feature'},"
        "     {'text':{'type':'plain_text','text':'A major feature','emoji':true},"
        "      'value':'major_feature'},"
        "     {'text':{'type':'plain_text','text':'The whole product','emoji':true},"
        "      'value':'whole_product'}]}},",
        "  {'type':'input','block_id':'percent','optional':true,"
        "   'label':{'type':'plain_text','text':'Customers affected (%)','emoji':true},"
        "   'element':{'type':'number_input','action_id':'percent_input',"
        "    'is_decimal_allowed':false,'min_value':'0','max_value':'100',"
        "    'placeholder':{'type':'plain_text','text':'0 to 100','emoji':true}}},"
        "  {'type':'input','block_id':'breach','optional':true,"
        "   'label':{'type':'plain_text','text':'Data security','emoji':true},"
        "   'element':{'type':'checkboxes','action_id':'breach_input','options':["
        "    {'text':{'type':'plain_text','text':'Suspected data or security breach',"
        "             'emoji':true},'value':'breach',"
        "     'description':{'type':'plain_text','emoji':true,"
        "      'text':'The channel is made private and the DPO is asked to join'}}]}},",
        "  {'type':'input','block_id':'severity','optional':true,"
        "   'label':{'type':'plain_text','text':'Severity','emoji':true},"
        "   'hint':{'type':'plain_text','emoji':true,"
        "    'text':'Leave empty to use the suggestion from scope, share of customers and "
        "breach (major when none of them is given)'},"
        "   'element':{'type':'static_select','action_id':'severity_input',"
        "    'placeholder':{'type':'plain_text','text':'Use the suggestion','emoji':true},"
        "    'options':["
        "     {'text':{'type':'plain_text','text':':red_circle: Critical','emoji':true},"
        "      'value':'critical'},"
        "     {'text':{'type':'plain_text','text':':large_orange_circle: Major','emoji':true},"
        "      'value':'major'},"
        "     {'text':{'type':'plain_text','text':':large_yellow_circle: Minor','emoji':true},"
        "      'value':'minor'}]}},"
        "  {'type':'input','block_id':'started','optional':true,"
        "   'label':{'type':'plain_text','text':'When did it start?','emoji':true},"
        "   'hint':{'type':'plain_text','text':'Leave empty when unknown','emoji':true},"
        "   'element':{'type':'datetimepicker','action_id':'started_input'}},"
        "  {'type':'input','block_id':'users','optional':true,"
        "   'label':{'type':'plain_text','text':'Affected users','emoji':true},"
        "   'element':{'type':'number_input','action_id':'users_input',"
        "    'is_decimal_allowed':false,'min_value':'0',"
        "    'placeholder':{'type':'plain_text','text':'How many users are affected?',"
        "                   'emoji':true}}},"
        "  {'type':'input','block_id':'components','optional':true,"
        "   'label':{'type':'plain_text','text':'Affected components','emoji':true},"
        "   'element':{'type':'multi_static_select','action_id':'components_input',"
        "    'placeholder':{'type':'plain_text','text':'Choose components','emoji':true},"
        "    'options':["
        "     {'text':{'type':'plain_text','text':'api','emoji':true},'value':'api'},"
        "     {'text':{'type':'plain_text','text':'billing & invoices','emoji':true},"
        "      'value':'billing & invoices'},"
        "     {'text':{'type':'plain_text','text':'web','emoji':true},'value':'web'}]}}]}",
        NULL);
    const char *lim = check_blocks(cJSON_GetObjectItem(view, "blocks"), RENDER_MAX_MODAL_BLOCKS);
    cJSON_Delete(view);
    CHECK(ok);
    CHECK_MSG(lim == NULL, "%s", lim);
}

static void test_modal_limits(void)
{
    const char *names[150];
    char *owned[150];
    for (int i = 0; i < 150; i++) {
        owned[i] = xasprintf("c%03d-%s", i, i == 3 ? "" : "ok");
        names[i] = owned[i];
    }
    char *too_long = repeat("w", 151), *title = repeat("ü", 400);
    names[5] = too_long;
    names[6] = "";
    names[8] = "bad \xff utf-8"; /* would not come back unchanged: left out */
    struct render_declare_defaults d = {.title = title,
                                        .components = names,
                                        .n_components = 150};
    cJSON *view;
    CHECK_INT(render_declare_modal(&d, &view), BOT_OK);
    const cJSON *blocks = cJSON_GetObjectItem(view, "blocks");
    const char *lim = check_blocks(blocks, RENDER_MAX_MODAL_BLOCKS);
    const cJSON *comp = cJSON_GetObjectItem(find_block(blocks, "components"), "element");
    const cJSON *opts = cJSON_GetObjectItem(comp, "options");
    bool hundred = cJSON_GetArraySize(opts) == RENDER_MAX_OPTIONS &&
                   strcmp(str(cJSON_GetArrayItem(opts, 5), "value"), "c007-ok") == 0;
    const char *iv =
        str(cJSON_GetObjectItem(find_block(blocks, "title"), "element"), "initial_value");
    bool title_ok = slack_chars(iv) <= RENDER_MAX_TITLE_INPUT && valid_utf8(iv);
    bool no_meta = cJSON_GetObjectItem(view, "private_metadata") == NULL;
    bool utf8 = all_utf8(view);
    cJSON_Delete(view);
    for (int i = 0; i < 150; i++)
        free(owned[i]);
    free(too_long);
    free(title);
    CHECK_MSG(lim == NULL, "%s", lim);
    CHECK(hundred);
    CHECK(title_ok);
    CHECK(no_meta);
    CHECK(utf8);

    /* No components configured: no components block (an empty select is invalid). */
    d = (struct render_declare_defaults){0};
    CHECK_INT(render_declare_modal(&d, &view), BOT_OK);
    bool absent = find_block(cJSON_GetObjectItem(view, "blocks"), "components") == NULL &&
                  cJSON_GetArraySize(cJSON_GetObjectItem(view, "blocks")) == 8;
    cJSON_Delete(view);
    CHECK(absent);

    d.n_components = 2; /* and no list */
    CHECK_INT(render_declare_modal(&d, &view), BOT_EINVAL);
    CHECK(view == NULL);
    char *meta = repeat("m", RENDER_MAX_PRIVATE_META + 1);
    d = (struct render_declare_defaults){
        .private_metadata = meta};
    enum bot_rc rc = render_declare_modal(&d, &view);
    free(meta);
    CHECK_INT(rc, BOT_EINVAL);
}

/*
 * The state.values Slack sends for our modal, element by element, as in a
 * real view_submission: optional inputs left empty come back as null.
 */
static cJSON *state_values(const char *title, const char *percent, bool breach,
                           const char *severity, double started, const char *users,
                           const char *const *components, int ncomp)
{
    cJSON *v = cJSON_CreateObject(), *e, *o;
#define ENTRY(block, action, type)                                                                 \
    (e = cJSON_AddObjectToObject(cJSON_AddObjectToObject(v, block), action),                       \
     cJSON_AddStringToObject(e, "type", type), e)
#define OPTION(parent, key, text, value)                                                           \
    (o = cJSON_CreateObject(), cJSON_AddItemToObject(o, "text", cJSON_CreateObject()),             \
     cJSON_AddStringToObject(cJSON_GetObjectItem(o, "text"), "type", "plain_text"),                \
     cJSON_AddStringToObject(cJSON_GetObjectItem(o, "text"), "text", text),                        \
     cJSON_AddStringToObject(o, "value", value), o)
    e = ENTRY("title", "title_input", "plain_text_input");
    if (title)
        cJSON_AddStringToObject(e, "value", title);
    else
        cJSON_AddNullToObject(e, "value");
    e = ENTRY("description", "description_input", "plain_text_input");
    cJSON_AddStringToObject(e, "value", "  Cart page 500s\nfor EU users  ");
    e = ENTRY("scope", "scope_input", "static_select");
    cJSON_AddItemToObject(e, "selected_option", OPTION(e, 0, "The whole product", "whole_product"));
    e = ENTRY("percent", "percent_input", "number_input");
    if (percent)
        cJSON_AddStringToObject(e, "value", percent);
    else
        cJSON_AddNullToObject(e, "value");
    e = ENTRY("breach", "breach_input", "checkboxes");
    cJSON *arr = cJSON_AddArrayToObject(e, "selected_options");
    if (breach)
        cJSON_AddItemToArray(arr, OPTION(e, 0, "Suspected data or security breach", "breach"));
    e = ENTRY("severity", "severity_input", "static_select");
    if (severity)
        cJSON_AddItemToObject(e, "selected_option", OPTION(e, 0, "x", severity));
    else
        cJSON_AddNullToObject(e, "selected_option");
    e = ENTRY("started", "started_input", "datetimepicker");
    if (started >= 0)
        cJSON_AddNumberToObject(e, "selected_date_time", started);
    else
        cJSON_AddNullToObject(e, "selected_date_time");
    e = ENTRY("users", "users_input", "number_input");
    if (users)
        cJSON_AddStringToObject(e, "value", users);
    else
        cJSON_AddNullToObject(e, "value");
    e = ENTRY("components", "components_input", "multi_static_select");
    arr = cJSON_AddArrayToObject(e, "selected_options");
    for (int i = 0; i < ncomp; i++)
        cJSON_AddItemToArray(arr, OPTION(e, 0, components[i], components[i]));
#undef ENTRY
#undef OPTION
    return v;
}

static void test_parse_full(void)
{
    static const char *const chosen[] = {"api", "billing & invoices"};
    cJSON *v =
        state_values("  Checkout fails  ", "35", true, "major", 1714564800, "1200", chosen, 2);
    struct render_declare_values out;
    struct bot_err err;
    enum bot_rc rc = render_parse_declare_submission(v, &out, &err);
    cJSON_Delete(v);
    CHECK_INT(rc, BOT_OK);
    bool ok = strcmp(out.title, "Checkout fails") == 0 &&
              strcmp(out.description, "Cart page 500s\nfor EU users") == 0 &&
              out.scope == RENDER_SCOPE_WHOLE_PRODUCT && out.percent == 35 && out.breach &&
              out.has_severity && out.severity == SEV_MAJOR && out.started_at_ms == T0 &&
              out.affected_users == 1200 && out.n_components == 2 &&
              strcmp(out.components[1], "billing & invoices") == 0 && out.error_block == NULL;
    render_declare_values_free(&out);
    CHECK(ok);
}

static void test_parse_minimal(void)
{
    /* Only the title: every optional input comes back empty, and blocks may be absent. */
    cJSON *v = state_values("Search slow", NULL, false, NULL, -1, NULL, NULL, 0);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(v, "description"), "description_input");
    cJSON_AddItemToObject(cJSON_GetObjectItem(v, "description"), "description_input",
                          sq("{'type':'plain_text_input','value':'   '}"));
    cJSON_DeleteItemFromObject(v, "scope");
    cJSON_DeleteItemFromObject(v, "components");
    struct render_declare_values out;
    struct bot_err err;
    enum bot_rc rc = render_parse_declare_submission(v, &out, &err);
    cJSON_Delete(v);
    CHECK_INT(rc, BOT_OK);
    bool ok = strcmp(out.title, "Search slow") == 0 && out.description == NULL &&
              out.scope == RENDER_SCOPE_NONE && out.percent == -1 && !out.breach &&
              !out.has_severity && out.started_at_ms == 0 && out.affected_users == -1 &&
              out.n_components == 0 && out.components == NULL;
    render_declare_values_free(&out);
    CHECK(ok);

    /* A modal built by render_declare_modal() reads back through its own ids. */
    cJSON *view = default_modal();
    const cJSON *b;
    bool ids = true;
    v = state_values("x", "0", false, "minor", 0, "0", NULL, 0);
    cJSON_ArrayForEach(b, cJSON_GetObjectItem(view, "blocks"))
    {
        const cJSON *el = cJSON_GetObjectItem(b, "element");
        const cJSON *entry =
            cJSON_GetObjectItem(cJSON_GetObjectItem(v, str(b, "block_id")), str(el, "action_id"));
        ids = ids && entry && strcmp(str(entry, "type"), str(el, "type")) == 0;
    }
    rc = render_parse_declare_submission(v, &out, &err);
    cJSON_Delete(view);
    cJSON_Delete(v);
    CHECK(ids);
    CHECK_INT(rc, BOT_OK);
    ok = out.percent == 0 && out.affected_users == 0 && out.severity == SEV_MINOR &&
         out.started_at_ms == 0;
    render_declare_values_free(&out);
    CHECK(ok);
}

/* Runs a submission that must fail with rc at block, with msg in the error. */
static const char *expect_bad(cJSON *v, enum bot_rc want, const char *block, const char *msg)
{
    struct render_declare_values out;
    struct bot_err err = {{0}};
    enum bot_rc rc = render_parse_declare_submission(v, &out, &err);
    cJSON_Delete(v);
    if (rc == BOT_OK)
        render_declare_values_free(&out);
    FAIL_IF(rc != want, "rc %d, want %d (%s)", rc, want, err.msg);
    if (rc == BOT_OK)
        return NULL;
    FAIL_IF(block && (out.error_block == NULL || strcmp(out.error_block, block) != 0),
            "block %s, want %s", out.error_block ? out.error_block : "(null)", block);
    FAIL_IF(msg && strstr(err.msg, msg) == NULL, "message \"%s\" lacks \"%s\"", err.msg, msg);
    FAIL_IF(out.title || out.description || out.components, "output not empty after failure");
    return NULL;
}

#define BAD(v, rc, block, msg)                                                                     \
    do {                                                                                           \
        const char *r_ = expect_bad((v), (rc), (block), (msg));                                    \
        CHECK_MSG(r_ == NULL, "%s", r_);                                                           \
    } while (0)

static cJSON *with_entry(cJSON *v, const char *block, const char *action, const char *json)
{
    cJSON *b = cJSON_GetObjectItem(v, block);
    if (b == NULL)
        b = cJSON_AddObjectToObject(v, block);
    cJSON_DeleteItemFromObject(b, action);
    cJSON_AddItemToObject(b, action, sq(json));
    return v;
}

static cJSON *good(void)
{
    return state_values("Outage", "50", false, "major", 1714564800, "10", NULL, 0);
}

static void test_parse_bad(void)
{
    BAD(state_values(NULL, "5", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "title",
        "Give the incident a title");
    BAD(state_values(" \t ", "5", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "title", "title");
    cJSON *v = good();
    cJSON_DeleteItemFromObject(v, "title");
    BAD(v, BOT_EINVAL, "title", "title");
    char *long_title = repeat("t", 151);
    v = state_values(long_title, "5", false, "major", 0, NULL, NULL, 0);
    free(long_title);
    BAD(v, BOT_EINVAL, "title", "too long");
    BAD(state_values("x", "150", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "percent",
        "0 to 100");
    BAD(state_values("x", "-1", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "percent", NULL);
    BAD(state_values("x", "12.5", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "percent", NULL);
    BAD(state_values("x", "abc", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "percent", NULL);
    BAD(state_values("x", " 7", false, "major", 0, NULL, NULL, 0), BOT_EINVAL, "percent", NULL);
    BAD(state_values("x", "99999999999999999999", false, "major", 0, NULL, NULL, 0), BOT_EINVAL,
        "percent", NULL);
    BAD(state_values("x", NULL, false, "major", 0, "-3", NULL, 0), BOT_EINVAL, "users", NULL);
    BAD(state_values("x", NULL, false, "huge", 0, NULL, NULL, 0), BOT_EPROTO, "severity", NULL);
    BAD(state_values("x", NULL, false, "major", 1.5, NULL, NULL, 0), BOT_EINVAL, "started", NULL);
    BAD(with_entry(good(), "started", "started_input",
                   "{'type':'datetimepicker','selected_date_time':-5}"),
        BOT_EINVAL, "started", NULL);
    BAD(state_values("x", NULL, false, "major", 1e300, NULL, NULL, 0), BOT_EINVAL, "started", NULL);

    /* Wrong types and shapes. */
    BAD(with_entry(good(), "title", "title_input", "{'type':'number_input','value':'5'}"),
        BOT_EPROTO, "title", "plain_text_input");
    BAD(with_entry(good(), "title", "title_input", "{'type':'plain_text_input','value':5}"),
        BOT_EPROTO, "title", NULL);
    BAD(with_entry(good(), "title", "title_input", "'just a string'"), BOT_EPROTO, "title", NULL);
    BAD(with_entry(good(), "title", "other_action", "{'type':'plain_text_input','value':'x'}"),
        BOT_OK, NULL, NULL); /* an unknown action beside ours is ignored */
    v = good();
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(v, "title"), "title_input");
    BAD(v, BOT_EPROTO, "title", NULL);
    BAD(with_entry(good(), "percent", "percent_input", "{'type':'number_input','value':50}"),
        BOT_EPROTO, "percent", NULL);
    BAD(with_entry(good(), "breach", "breach_input",
                   "{'type':'checkboxes','selected_options':{'value':'breach'}}"),
        BOT_EPROTO, "breach", NULL);
    BAD(with_entry(good(), "breach", "breach_input",
                   "{'type':'checkboxes','selected_options':[{'text':{}}]}"),
        BOT_EPROTO, "breach", NULL);
    BAD(with_entry(good(), "severity", "severity_input",
                   "{'type':'static_select','selected_option':{'value':7}}"),
        BOT_EPROTO, "severity", NULL);
    BAD(with_entry(good(), "scope", "scope_input",
                   "{'type':'static_select','selected_option':{'value':'galaxy'}}"),
        BOT_EPROTO, "scope", NULL);
    BAD(with_entry(good(), "started", "started_input",
                   "{'type':'datetimepicker','selected_date_time':'1714564800'}"),
        BOT_EPROTO, "started", NULL);
    BAD(with_entry(good(), "components", "components_input",
                   "{'type':'multi_static_select','selected_options':'api'}"),
        BOT_EPROTO, "components", NULL);
    v = good();
    cJSON_ReplaceItemInObject(v, "users", cJSON_CreateString("10"));
    BAD(v, BOT_EPROTO, "users", NULL);
    BAD(cJSON_CreateArray(), BOT_EPROTO, NULL, "not an object");
    BAD(NULL, BOT_EPROTO, NULL, NULL);

    /* An error after components were copied frees them (valgrind checks). */
    static const char *const chosen[] = {"api", "web"};
    v = state_values("x", "5", false, "major", 0, "1", chosen, 2);
    cJSON_AddItemToObject(v, "zzz", cJSON_CreateNull());
    with_entry(v, "users", "users_input", "{'type':'number_input','value':'x'}");
    BAD(v, BOT_EINVAL, "users", NULL);
}

/* ---- against Slack's published payloads (argv[1] = shared dir) ---- */

static cJSON *load_sample(const char *rel)
{
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/slack-samples/%s", shared_dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    struct buf b;
    char chunk[4096];
    size_t got;
    buf_init(&b, 1 << 20);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_add(&b, chunk, got) != BOT_OK)
            break;
    fclose(f);
    cJSON *j = cJSON_ParseWithLength(buf_str(&b), b.len);
    buf_free(&b);
    return j;
}

/* Every key of sample is in ours, with the same JSON type (recursing into objects). */
static bool has_keys_of(const cJSON *ours, const cJSON *sample)
{
    const cJSON *k;
    cJSON_ArrayForEach(k, sample)
    {
        const cJSON *o = cJSON_GetObjectItemCaseSensitive(ours, k->string);
        if (o == NULL || (o->type & 0xff) != (k->type & 0xff)) {
            fprintf(stderr, "key %s missing or of another type\n", k->string);
            return false;
        }
        if (cJSON_IsObject(k) && !has_keys_of(o, k))
            return false;
    }
    return true;
}

static void test_sample_view_submission(void)
{
    cJSON *p =
        load_sample("socket-mode/interactive_view_submission.payload-only.java-slack-sdk.json");
    CHECK(p != NULL);
    const cJSON *values = render_view_state_values(p);
    bool found = values != NULL && cJSON_GetObjectItem(values, "Cuw") != NULL;
    struct render_declare_values out;
    struct bot_err err;
    /* Slack's sample is another app's form: no title block, so "title" is reported missing. */
    enum bot_rc rc = render_parse_declare_submission(values, &out, &err);
    const char *eb = out.error_block;

    /* The same payload carrying our modal's answers decodes through the same path. */
    const cJSON *view = cJSON_GetObjectItem(p, "view");
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(view, "state"), "values",
                              state_values("From sample", "1", false, "minor", 0, NULL, NULL, 0));
    enum bot_rc rc2 = render_parse_declare_submission(render_view_state_values(p), &out, &err);
    bool ok2 = rc2 == BOT_OK && strcmp(out.title, "From sample") == 0;
    if (rc2 == BOT_OK)
        render_declare_values_free(&out);

    /* Our modal's input blocks have every key the sample's view has, with the same types. */
    cJSON *ours = default_modal();
    const cJSON *sample_block = cJSON_GetArrayItem(cJSON_GetObjectItem(view, "blocks"), 0);
    cJSON *sample_shape = cJSON_Duplicate(sample_block, 1);
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(sample_shape, "element"),
                               "response_url_enabled");
    bool shape =
        has_keys_of(cJSON_GetArrayItem(cJSON_GetObjectItem(ours, "blocks"), 0), sample_shape);
    cJSON *view_shape = cJSON_CreateObject();
    static const char *const view_keys[] = {"type",   "title",       "close",
                                            "submit", "callback_id", "private_metadata"};
    for (size_t i = 0; i < sizeof view_keys / sizeof view_keys[0]; i++)
        cJSON_AddItemToObject(view_shape, view_keys[i],
                              cJSON_Duplicate(cJSON_GetObjectItem(view, view_keys[i]), 1));
    bool vshape = has_keys_of(ours, view_shape);
    cJSON_Delete(view_shape);
    cJSON_Delete(sample_shape);
    cJSON_Delete(ours);
    cJSON_Delete(p);
    CHECK(found);
    CHECK_INT(rc, BOT_EINVAL);
    CHECK_STR(eb, "title");
    CHECK(ok2);
    CHECK(shape);
    CHECK(vshape);
}

static void test_sample_block_actions(void)
{
    /* The button Slack echoes back in block_actions has the keys of ours. */
    cJSON *env = load_sample("socket-mode/interactive_block_actions.java-slack-sdk.json");
    CHECK(env != NULL);
    const cJSON *msg = cJSON_GetObjectItem(cJSON_GetObjectItem(env, "payload"), "message");
    const cJSON *sample_btn = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "blocks"), 0), "elements"),
        0);
    const cJSON *sample_block = cJSON_GetArrayItem(cJSON_GetObjectItem(msg, "blocks"), 0);
    struct render_incident inc = typical();
    cJSON *blocks;
    char *fb;
    enum bot_rc rc = render_control_message(&inc, T0, &blocks, &fb);
    bool ok = false, bshape = false;
    if (rc == BOT_OK) {
        ok = has_keys_of(find_action(blocks, "inc_checklist"), sample_btn);
        cJSON *shape = cJSON_Duplicate(sample_block, 0); /* type and block_id, not elements */
        cJSON_AddItemToObject(shape, "elements", cJSON_CreateArray());
        bshape = has_keys_of(find_block(blocks, "inc42_actions"), shape);
        cJSON_Delete(shape);
        cJSON_Delete(blocks);
        free(fb);
    }
    cJSON_Delete(env);
    CHECK_INT(rc, BOT_OK);
    CHECK(ok);
    CHECK(bshape);
}

static void test_sample_views_open(void)
{
    /* views.open answers with the view as stored: an input block of the same shape as ours. */
    cJSON *ans = load_sample("web-api/views.open.ok.json");
    CHECK(ans != NULL);
    const cJSON *v = cJSON_GetObjectItem(ans, "view");
    const cJSON *sample_block = cJSON_GetArrayItem(cJSON_GetObjectItem(v, "blocks"), 0);
    cJSON *ours = default_modal();
    bool ok =
        has_keys_of(cJSON_GetArrayItem(cJSON_GetObjectItem(ours, "blocks"), 0), sample_block) &&
        cJSON_IsString(cJSON_GetObjectItem(ours, "callback_id")) &&
        strcmp(str(v, "type"), str(ours, "type")) == 0;
    cJSON_Delete(ours);
    cJSON_Delete(ans);
    CHECK(ok);
}

int main(int argc, char **argv)
{
    xmalloc_init_cjson();
    RUN(test_control_golden);
    RUN(test_announcement_redacted);
    RUN(test_control_breach_and_meta);
    RUN(test_age_formats);
    RUN(test_buttons_by_status);
    RUN(test_take_irm_style);
    RUN(test_routing);
    RUN(test_components_menu);
    RUN(test_bad_incident);
    RUN(test_long_title_and_description);
    RUN(test_invalid_utf8_input);
    RUN(test_many_components);
    RUN(test_escaping_everywhere);
    RUN(test_escape_matches_slack_text);
    RUN(test_announcement_golden);
    RUN(test_update_lines);
    RUN(test_topic_and_purpose);
    RUN(test_small_replies);
    RUN(test_modal_golden);
    RUN(test_modal_limits);
    RUN(test_parse_full);
    RUN(test_parse_minimal);
    RUN(test_parse_bad);
    if (argc > 1) {
        shared_dir = argv[1];
        RUN(test_sample_view_submission);
        RUN(test_sample_block_actions);
        RUN(test_sample_views_open);
    }
    return CHECK_DONE();
}
