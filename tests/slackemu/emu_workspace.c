/*
 * The emulated workspace: team, app and bot identity, pinned tokens, scopes
 * and event subscriptions, users and bots, user groups, channels (members,
 * topic, purpose, privacy, archive, previous names), messages with edits,
 * threads, reactions, pins and bookmarks, ephemeral messages, views (modal
 * stacks and Home tabs), and calls counted per method. It loads the
 * built-in workspace or a JSON file, resets to it, and renders objects in
 * the exact key sets of Slack's published samples (one variant per
 * method where the samples differ), plus the whole state for /_emu/state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_WS_FILE (8u << 20) /* workspace file size */

/* The built-in workspace: a small ops team, realistic enough for demos. */
static const char default_workspace[] =
    "{"
    "\"team\":{\"id\":\"T0EMU0ACME1\",\"name\":\"Acme Operations\",\"domain\":\"acme-ops\"},"
    "\"app\":{\"app_id\":\"A0EMU1NCDNT\",\"bot_id\":\"B0EMU1NCDNT\",\"bot_user_id\":"
    "\"U0EMUB0TUSR\","
    "\"bot_name\":\"incidentd\","
    "\"scopes\":[\"chat:write\",\"chat:write.public\",\"channels:manage\",\"channels:read\","
    "\"channels:join\",\"groups:read\",\"groups:write\",\"im:write\",\"users:read\","
    "\"users:read.email\",\"usergroups:read\",\"bookmarks:write\",\"pins:write\","
    "\"reactions:write\",\"commands\"]},"
    "\"events\":[\"app_mention\",\"member_joined_channel\"],"
    "\"tokens\":{},"
    "\"users\":["
    "{\"id\":\"U0ALICE0001\",\"name\":\"alice\",\"real_name\":\"Alice Nakamura\","
    "\"email\":\"alice@acme-ops.example\",\"title\":\"Site Reliability Engineer\","
    "\"tz\":\"Europe/Berlin\",\"tz_label\":\"Central European Time\",\"tz_offset\":3600,"
    "\"is_admin\":true,\"color\":\"9f69e7\"},"
    "{\"id\":\"U0BOB000002\",\"name\":\"bob\",\"real_name\":\"Bob Okafor\","
    "\"email\":\"bob@acme-ops.example\",\"title\":\"Backend Engineer\","
    "\"tz\":\"America/New_York\",\"tz_label\":\"Eastern Standard Time\",\"tz_offset\":-18000,"
    "\"color\":\"4bbe2e\"},"
    "{\"id\":\"U0CAROL0003\",\"name\":\"carol\",\"real_name\":\"Carol Diaz\","
    "\"email\":\"carol@acme-ops.example\",\"title\":\"Engineering Manager\","
    "\"tz\":\"America/Los_Angeles\",\"tz_label\":\"Pacific Standard Time\",\"tz_offset\":-28800,"
    "\"color\":\"e7392d\"},"
    "{\"id\":\"U0DAVE00004\",\"name\":\"dave\",\"real_name\":\"Dave Lindqvist\","
    "\"email\":\"dave@acme-ops.example\",\"title\":\"CTO\",\"tz\":\"Europe/Stockholm\","
    "\"tz_label\":\"Central European Time\",\"tz_offset\":3600,\"is_admin\":true,"
    "\"is_owner\":true,\"is_primary_owner\":true,\"color\":\"3c989f\"},"
    "{\"id\":\"U0ERIN00005\",\"name\":\"erin\",\"real_name\":\"Erin Walsh\","
    "\"email\":\"erin@contractor.example\",\"title\":\"Contractor\",\"tz\":\"Europe/Dublin\","
    "\"tz_label\":\"Greenwich Mean Time\",\"tz_offset\":0,\"is_restricted\":true,"
    "\"color\":\"e0a729\"},"
    "{\"id\":\"U0FRANK0006\",\"name\":\"frank\",\"real_name\":\"Frank Moreau\","
    "\"email\":\"frank@acme-ops.example\",\"title\":\"\",\"tz\":\"Europe/Paris\","
    "\"tz_label\":\"Central European Time\",\"tz_offset\":3600,\"deleted\":true,"
    "\"color\":\"684b6c\"}"
    "],"
    "\"bots\":[{\"bot_id\":\"B0PAGERBOT1\",\"user_id\":\"U0PAGERBOT1\",\"name\":\"pagerbot\","
    "\"app_id\":\"A0PAGERAPP1\"}],"
    "\"usergroups\":["
    "{\"id\":\"S0ONCALL001\",\"handle\":\"oncall\",\"name\":\"On-call\","
    "\"description\":\"Whoever carries the pager this week\","
    "\"users\":[\"U0ALICE0001\",\"U0BOB000002\"]},"
    "{\"id\":\"S0SRETEAM01\",\"handle\":\"sre\",\"name\":\"SRE\","
    "\"description\":\"Site reliability engineering\","
    "\"users\":[\"U0ALICE0001\",\"U0BOB000002\",\"U0CAROL0003\"]}"
    "],"
    "\"channels\":["
    "{\"id\":\"C0GENERAL01\",\"name\":\"general\",\"is_general\":true,"
    "\"topic\":\"Company-wide announcements\",\"purpose\":\"This channel is for everyone\","
    "\"members\":[\"U0ALICE0001\",\"U0BOB000002\",\"U0CAROL0003\",\"U0DAVE00004\","
    "\"U0ERIN00005\"]},"
    "{\"id\":\"C0RANDOM001\",\"name\":\"random\",\"purpose\":\"Non-work banter\","
    "\"members\":[\"U0ALICE0001\",\"U0BOB000002\",\"U0CAROL0003\",\"U0DAVE00004\"]},"
    "{\"id\":\"C0INCIDENTS\",\"name\":\"incidents\",\"topic\":\"No open incidents\","
    "\"purpose\":\"Incident announcements and status\","
    "\"members\":[\"U0ALICE0001\",\"U0BOB000002\",\"U0CAROL0003\",\"U0DAVE00004\","
    "\"U0EMUB0TUSR\"]},"
    "{\"id\":\"C0ONCALL001\",\"name\":\"oncall-private\",\"is_private\":true,"
    "\"purpose\":\"On-call handovers\","
    "\"members\":[\"U0ALICE0001\",\"U0BOB000002\",\"U0EMUB0TUSR\"]},"
    "{\"id\":\"C0OLDINC001\",\"name\":\"inc-2023-01-12-db-failover\",\"is_archived\":true,"
    "\"members\":[\"U0ALICE0001\",\"U0CAROL0003\"]}"
    "]"
    "}";

struct emu_wk {
    cJSON *src; /* the loaded workspace, for reset */
    char team_id[EMU_ID_LEN], app_id[EMU_ID_LEN], bot_id[EMU_ID_LEN], bot_user[EMU_ID_LEN];
    char *team_name, *team_domain, *bot_name;
    cJSON *tokens_bot, *tokens_app; /* arrays of pinned tokens, or NULL */
    cJSON *scopes, *events;         /* arrays of strings */
    cJSON *users;                   /* array of full user objects */
    cJSON *usergroups;              /* array of full usergroup objects */
    struct emu_chan **chans;
    size_t nchans, capchans;
    cJSON *ephemeral; /* array */
    struct emu_view **views;
    size_t nviews, capviews;
    cJSON *calls; /* method -> count */
    unsigned bookmark_seq;
};

/* ---------- identity ---------- */

const char *emu_wk_team_id(struct emu *emu)
{
    return emu->wk->team_id;
}
const char *emu_wk_team_name(struct emu *emu)
{
    return emu->wk->team_name;
}
const char *emu_wk_team_domain(struct emu *emu)
{
    return emu->wk->team_domain;
}
const char *emu_wk_app_id(struct emu *emu)
{
    return emu->wk->app_id;
}
const char *emu_wk_bot_id(struct emu *emu)
{
    return emu->wk->bot_id;
}
const char *emu_wk_bot_user(struct emu *emu)
{
    return emu->wk->bot_user;
}
const char *emu_wk_bot_name(struct emu *emu)
{
    return emu->wk->bot_name;
}

static bool str_in_array(const cJSON *arr, const char *s)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, arr)
    {
        if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
            return true;
    }
    return false;
}

bool emu_wk_token_ok(struct emu *emu, const char *kind, const char *token, bool *pinned)
{
    const cJSON *list = strcmp(kind, "bot") == 0 ? emu->wk->tokens_bot : emu->wk->tokens_app;
    *pinned = cJSON_GetArraySize(list) > 0;
    if (*pinned)
        return str_in_array(list, token);
    return true;
}

bool emu_wk_has_scope(struct emu *emu, const char *scope)
{
    return str_in_array(emu->wk->scopes, scope);
}

bool emu_wk_subscribed(struct emu *emu, const char *event_type)
{
    return str_in_array(emu->wk->events, event_type);
}

/* ---------- users ---------- */

static void add_str(cJSON *o, const char *k, const char *v)
{
    cJSON_AddStringToObject(o, k, v ? v : "");
}

static bool jbool(const cJSON *o, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, k));
}

static double jnum(const cJSON *o, const char *k, double def)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, k);
    /* Bounded so that callers may store it in a long. */
    return cJSON_IsNumber(it) && it->valuedouble > -1e15 && it->valuedouble < 1e15 ? it->valuedouble
                                                                                   : def;
}

/* Expands a short user entry into Slack's user object (users.info sample). */
static cJSON *user_expand(struct emu_wk *wk, const cJSON *in, const char *bot_id,
                          const char *app_id)
{
    const char *id = emu_jstr(in, "id");
    const char *name = emu_jstr(in, "name") ? emu_jstr(in, "name") : id;
    const char *real = emu_jstr(in, "real_name") ? emu_jstr(in, "real_name") : name;
    const char *display = emu_jstr(in, "display_name") ? emu_jstr(in, "display_name") : name;
    char img[160];
    snprintf(img, sizeof img, "https://avatars.slack-edge.example/%s_512.png", id);
    cJSON *u = cJSON_CreateObject();
    add_str(u, "id", id);
    add_str(u, "team_id", wk->team_id);
    add_str(u, "name", name);
    cJSON_AddBoolToObject(u, "deleted", jbool(in, "deleted"));
    add_str(u, "color", emu_jstr(in, "color") ? emu_jstr(in, "color") : "757575");
    add_str(u, "real_name", real);
    add_str(u, "tz", emu_jstr(in, "tz") ? emu_jstr(in, "tz") : "America/Los_Angeles");
    add_str(u, "tz_label",
            emu_jstr(in, "tz_label") ? emu_jstr(in, "tz_label") : "Pacific Standard Time");
    cJSON_AddNumberToObject(u, "tz_offset", jnum(in, "tz_offset", -28800));
    cJSON *p = cJSON_AddObjectToObject(u, "profile");
    char hash[16];
    snprintf(hash, sizeof hash, "g%.11s", id);
    add_str(p, "avatar_hash", hash);
    add_str(p, "status_text", emu_jstr(in, "status_text"));
    add_str(p, "status_emoji", emu_jstr(in, "status_emoji"));
    add_str(p, "real_name", real);
    add_str(p, "display_name", display);
    add_str(p, "real_name_normalized", real);
    add_str(p, "display_name_normalized", display);
    if (!bot_id)
        add_str(p, "email", emu_jstr(in, "email"));
    add_str(p, "image_original", img);
    add_str(p, "image_24", img);
    add_str(p, "image_32", img);
    add_str(p, "image_48", img);
    add_str(p, "image_72", img);
    add_str(p, "image_192", img);
    add_str(p, "image_512", img);
    add_str(p, "team", wk->team_id);
    if (bot_id) {
        add_str(p, "bot_id", bot_id);
        add_str(p, "api_app_id", app_id);
        cJSON_AddBoolToObject(p, "always_active", 1);
    }
    cJSON_AddBoolToObject(u, "is_admin", jbool(in, "is_admin"));
    cJSON_AddBoolToObject(u, "is_owner", jbool(in, "is_owner"));
    cJSON_AddBoolToObject(u, "is_primary_owner", jbool(in, "is_primary_owner"));
    cJSON_AddBoolToObject(u, "is_restricted", jbool(in, "is_restricted"));
    cJSON_AddBoolToObject(u, "is_ultra_restricted", jbool(in, "is_ultra_restricted"));
    cJSON_AddBoolToObject(u, "is_bot", bot_id != NULL);
    cJSON_AddNumberToObject(u, "updated", jnum(in, "updated", 1700000000));
    cJSON_AddBoolToObject(u, "is_app_user", jbool(in, "is_app_user"));
    cJSON_AddBoolToObject(u, "has_2fa", jbool(in, "has_2fa"));
    return u;
}

const cJSON *emu_wk_user(struct emu *emu, const char *id)
{
    const cJSON *u;
    if (!id)
        return NULL;
    cJSON_ArrayForEach(u, emu->wk->users)
    {
        const char *uid = emu_jstr(u, "id");
        if (uid && strcmp(uid, id) == 0)
            return u;
    }
    return NULL;
}

const cJSON *emu_wk_user_by_email(struct emu *emu, const char *email)
{
    const cJSON *u;
    if (!email)
        return NULL;
    cJSON_ArrayForEach(u, emu->wk->users)
    {
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(u, "profile");
        const char *e = emu_jstr(p, "email");
        if (e && e[0] && strcasecmp(e, email) == 0)
            return u;
    }
    return NULL;
}

const char *emu_wk_user_name(struct emu *emu, const char *id)
{
    const cJSON *u = emu_wk_user(emu, id);
    const char *n = u ? emu_jstr(u, "name") : NULL;
    return n ? n : id;
}

cJSON *emu_wk_user_render(const cJSON *user, bool with_original)
{
    cJSON *u = cJSON_Duplicate(user, 1);
    if (!with_original) {
        cJSON *p = cJSON_GetObjectItemCaseSensitive(u, "profile");
        cJSON_DeleteItemFromObjectCaseSensitive(p, "image_original");
    }
    return u;
}

cJSON *emu_wk_users_array(struct emu *emu)
{
    return emu->wk->users;
}

const char *emu_wk_first_human(struct emu *emu)
{
    const cJSON *u;
    cJSON_ArrayForEach(u, emu->wk->users)
    {
        if (!jbool(u, "is_bot") && !jbool(u, "deleted"))
            return emu_jstr(u, "id");
    }
    return emu->wk->bot_user;
}

cJSON *emu_wk_usergroups(struct emu *emu)
{
    return emu->wk->usergroups;
}

const cJSON *emu_wk_usergroup(struct emu *emu, const char *id)
{
    const cJSON *g;
    if (!id)
        return NULL;
    cJSON_ArrayForEach(g, emu->wk->usergroups)
    {
        const char *gid = emu_jstr(g, "id");
        if (gid && strcmp(gid, id) == 0)
            return g;
    }
    return NULL;
}

/* ---------- channels ---------- */

static void chan_free(struct emu_chan *c)
{
    if (!c)
        return;
    free(c->name);
    free(c->topic);
    free(c->purpose);
    cJSON_Delete(c->previous_names);
    for (size_t i = 0; i < c->nmembers; i++)
        free(c->members[i]);
    free(c->members);
    for (size_t i = 0; i < c->nmsgs; i++) {
        cJSON_Delete(c->msgs[i]->obj);
        cJSON_Delete(c->msgs[i]->history);
        free(c->msgs[i]);
    }
    free(c->msgs);
    cJSON_Delete(c->pins);
    cJSON_Delete(c->bookmarks);
    free(c);
}

static struct emu_chan *chan_alloc(struct emu_wk *wk, const char *id, const char *name)
{
    struct emu_chan *c = xcalloc(1, sizeof *c);
    snprintf(c->id, sizeof c->id, "%s", id);
    c->name = xstrdup(name);
    c->topic = xstrdup("");
    c->purpose = xstrdup("");
    c->previous_names = cJSON_CreateArray();
    c->pins = cJSON_CreateArray();
    c->bookmarks = cJSON_CreateArray();
    if (wk->nchans == wk->capchans) {
        wk->capchans = wk->capchans ? wk->capchans * 2 : 16;
        wk->chans = xreallocarray(wk->chans, wk->capchans, sizeof *wk->chans);
    }
    wk->chans[wk->nchans++] = c;
    return c;
}

struct emu_chan *emu_wk_chan(struct emu *emu, const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < emu->wk->nchans; i++)
        if (strcmp(emu->wk->chans[i]->id, id) == 0)
            return emu->wk->chans[i];
    return NULL;
}

struct emu_chan *emu_wk_chan_by_name(struct emu *emu, const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < emu->wk->nchans; i++)
        if (!emu->wk->chans[i]->is_im && strcmp(emu->wk->chans[i]->name, name) == 0)
            return emu->wk->chans[i];
    return NULL;
}

struct emu_chan *emu_wk_chan_resolve(struct emu *emu, const char *arg)
{
    if (!arg || !arg[0])
        return NULL;
    struct emu_chan *c = emu_wk_chan(emu, arg);
    if (c)
        return c;
    if (arg[0] == '#')
        return emu_wk_chan_by_name(emu, arg + 1);
    if ((arg[0] == 'U' || arg[0] == 'W') && emu_wk_user(emu, arg)) {
        /* Posting to a user id goes to the IM with the bot, opened on first use. */
        for (size_t i = 0; i < emu->wk->nchans; i++) {
            struct emu_chan *im = emu->wk->chans[i];
            if (im->is_im && strcmp(im->im_user, arg) == 0)
                return im;
        }
        char id[EMU_ID_LEN];
        emu_rand_id(emu, "D0", 9, id, sizeof id);
        c = chan_alloc(emu->wk, id, arg);
        c->is_im = true;
        c->is_private = true;
        snprintf(c->im_user, sizeof c->im_user, "%s", arg);
        c->created = (long)(emu_wall_us() / 1000000);
        snprintf(c->creator, sizeof c->creator, "%s", emu->wk->bot_user);
        emu_wk_add_member(c, emu->wk->bot_user);
        emu_wk_add_member(c, arg);
        return c;
    }
    return emu_wk_chan_by_name(emu, arg);
}

size_t emu_wk_nchans(struct emu *emu)
{
    return emu->wk->nchans;
}

struct emu_chan *emu_wk_chan_at(struct emu *emu, size_t i)
{
    return i < emu->wk->nchans ? emu->wk->chans[i] : NULL;
}

struct emu_chan *emu_wk_chan_create(struct emu *emu, const char *name, bool is_private,
                                    const char *creator)
{
    char id[EMU_ID_LEN];
    do
        emu_rand_id(emu, "C0", 9, id, sizeof id);
    while (emu_wk_chan(emu, id));
    struct emu_chan *c = chan_alloc(emu->wk, id, name);
    c->is_private = is_private;
    c->created = (long)(emu_wall_us() / 1000000);
    snprintf(c->creator, sizeof c->creator, "%s", creator);
    emu_wk_add_member(c, creator);
    return c;
}

const char *emu_wk_check_name(struct emu *emu, const char *name, const struct emu_chan *self)
{
    if (!name || !name[0])
        return "invalid_name_required";
    size_t n = strlen(name);
    if (n > EMU_MAX_CHAN_NAME)
        return "invalid_name_maxlength";
    bool all_punct = true;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)name[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
        if (!ok)
            return "invalid_name_specials";
        if (ch != '-' && ch != '_')
            all_punct = false;
    }
    if (all_punct)
        return "invalid_name_punctuation";
    struct emu_chan *other = emu_wk_chan_by_name(emu, name);
    if (other && other != self)
        return "name_taken";
    return NULL;
}

bool emu_wk_is_member(const struct emu_chan *c, const char *user)
{
    if (!c || !user)
        return false;
    for (size_t i = 0; i < c->nmembers; i++)
        if (strcmp(c->members[i], user) == 0)
            return true;
    return false;
}

bool emu_wk_add_member(struct emu_chan *c, const char *user)
{
    if (emu_wk_is_member(c, user))
        return false;
    if (c->nmembers == c->capmembers) {
        c->capmembers = c->capmembers ? c->capmembers * 2 : 8;
        c->members = xreallocarray(c->members, c->capmembers, sizeof *c->members);
    }
    c->members[c->nmembers++] = xstrdup(user);
    return true;
}

bool emu_wk_remove_member(struct emu_chan *c, const char *user)
{
    for (size_t i = 0; i < c->nmembers; i++) {
        if (strcmp(c->members[i], user) == 0) {
            free(c->members[i]);
            memmove(c->members + i, c->members + i + 1, (c->nmembers - i - 1) * sizeof *c->members);
            c->nmembers--;
            return true;
        }
    }
    return false;
}

void emu_wk_chan_rename(struct emu_chan *c, const char *name)
{
    cJSON_AddItemToArray(c->previous_names, cJSON_CreateString(c->name));
    free(c->name);
    c->name = xstrdup(name);
}

static void add_topic(cJSON *o, const char *key, const char *value, const char *creator, long set)
{
    cJSON *t = cJSON_AddObjectToObject(o, key);
    add_str(t, "value", value);
    add_str(t, "creator", creator);
    cJSON_AddNumberToObject(t, "last_set", (double)set);
}

struct emu_msg *emu_wk_latest(struct emu_chan *c)
{
    for (size_t i = c->nmsgs; i-- > 0;)
        if (!c->msgs[i]->deleted && !c->msgs[i]->thread_ts[0])
            return c->msgs[i];
    return NULL;
}

cJSON *emu_wk_chan_render(struct emu *emu, const struct emu_chan *c, enum emu_chan_style st)
{
    struct emu_wk *wk = emu->wk;
    struct emu_msg *latest = emu_wk_latest((struct emu_chan *)c);
    const char *last_read = latest ? latest->ts : "0000000000.000000";
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", c->id);
    add_str(o, "name", c->is_im ? c->im_user : c->name);
    cJSON_AddBoolToObject(o, "is_channel", !c->is_im && !c->is_private);
    cJSON_AddBoolToObject(o, "is_group", !c->is_im && c->is_private);
    cJSON_AddBoolToObject(o, "is_im", c->is_im);
    if (c->is_im)
        add_str(o, "user", c->im_user);
    if (st == EMU_CHAN_FULL) {
        cJSON_AddBoolToObject(o, "is_mpim", 0);
        cJSON_AddBoolToObject(o, "is_private", c->is_private);
    }
    cJSON_AddNumberToObject(o, "created", (double)c->created);
    if (st != EMU_CHAN_FULL)
        add_str(o, "creator", c->creator);
    cJSON_AddBoolToObject(o, "is_archived", c->is_archived);
    cJSON_AddBoolToObject(o, "is_general", c->is_general);
    cJSON_AddNumberToObject(o, "unlinked", 0);
    add_str(o, "name_normalized", c->is_im ? c->im_user : c->name);
    if (st == EMU_CHAN_INVITE)
        cJSON_AddBoolToObject(o, "is_read_only", 0);
    cJSON_AddBoolToObject(o, "is_shared", 0);
    if (st == EMU_CHAN_FULL) {
        cJSON_AddBoolToObject(o, "is_frozen", 0);
        cJSON_AddBoolToObject(o, "is_org_shared", 0);
        cJSON_AddBoolToObject(o, "is_pending_ext_shared", 0);
        cJSON_AddArrayToObject(o, "pending_shared");
        cJSON_AddNullToObject(o, "parent_conversation");
        add_str(o, "creator", c->creator);
        cJSON_AddBoolToObject(o, "is_ext_shared", 0);
        cJSON *shared = cJSON_AddArrayToObject(o, "shared_team_ids");
        cJSON_AddItemToArray(shared, cJSON_CreateString(wk->team_id));
        cJSON_AddArrayToObject(o, "pending_connected_team_ids");
    } else {
        cJSON_AddBoolToObject(o, "is_ext_shared", 0);
        cJSON_AddBoolToObject(o, "is_org_shared", 0);
        cJSON_AddArrayToObject(o, "pending_shared");
        cJSON_AddBoolToObject(o, "is_pending_ext_shared", 0);
    }
    cJSON_AddBoolToObject(o, "is_member", emu_wk_is_member(c, wk->bot_user));
    if (st != EMU_CHAN_FULL) {
        cJSON_AddBoolToObject(o, "is_private", c->is_private);
        cJSON_AddBoolToObject(o, "is_mpim", 0);
    }
    if (st == EMU_CHAN_CREATE || st == EMU_CHAN_INVITE || st == EMU_CHAN_FULL)
        add_str(o, "last_read", last_read);
    if (st == EMU_CHAN_CREATE || st == EMU_CHAN_FULL) {
        if (latest)
            cJSON_AddItemToObject(o, "latest", cJSON_Duplicate(latest->obj, 1));
        else
            cJSON_AddNullToObject(o, "latest");
        cJSON_AddNumberToObject(o, "unread_count", 0);
        cJSON_AddNumberToObject(o, "unread_count_display", 0);
    }
    add_topic(o, "topic", c->topic, c->topic_creator, c->topic_set);
    if (st == EMU_CHAN_CREATE) {
        cJSON *props = cJSON_AddObjectToObject(o, "properties");
        cJSON *canvas = cJSON_AddObjectToObject(props, "canvas");
        char fid[EMU_ID_LEN];
        snprintf(fid, sizeof fid, "F%s", c->id + 1);
        add_str(canvas, "file_id", fid);
        cJSON_AddBoolToObject(canvas, "is_empty", 1);
        add_str(canvas, "quip_thread_id", c->id);
    }
    add_topic(o, "purpose", c->purpose, c->purpose_creator, c->purpose_set);
    cJSON_AddItemToObject(o, "previous_names", cJSON_Duplicate(c->previous_names, 1));
    if (st == EMU_CHAN_CREATE)
        cJSON_AddNumberToObject(o, "priority", 0);
    return o;
}

/* ---------- messages ---------- */

struct emu_msg *emu_wk_msg(struct emu_chan *c, const char *ts)
{
    if (!c || !ts)
        return NULL;
    for (size_t i = 0; i < c->nmsgs; i++)
        if (!c->msgs[i]->deleted && strcmp(c->msgs[i]->ts, ts) == 0)
            return c->msgs[i];
    return NULL;
}

struct emu_msg *emu_wk_msg_add(struct emu *emu, struct emu_chan *c, cJSON *obj,
                               const char *thread_ts, bool from_bot)
{
    struct emu_msg *m = xcalloc(1, sizeof *m);
    emu_next_ts(emu, m->ts);
    m->from_bot = from_bot;
    m->obj = obj;
    m->history = cJSON_CreateArray();
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "ts");
    cJSON_AddStringToObject(obj, "ts", m->ts);
    struct emu_msg *parent = thread_ts && thread_ts[0] ? emu_wk_msg(c, thread_ts) : NULL;
    if (parent && parent->thread_ts[0]) /* a reply to a reply joins the same thread */
        parent = emu_wk_msg(c, parent->thread_ts);
    if (parent) {
        snprintf(m->thread_ts, sizeof m->thread_ts, "%s", parent->ts);
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "thread_ts");
        cJSON_AddStringToObject(obj, "thread_ts", parent->ts);
        const char *puser = emu_jstr(parent->obj, "user");
        if (puser)
            cJSON_AddStringToObject(obj, "parent_user_id", puser);
        cJSON *po = parent->obj;
        double count = jnum(po, "reply_count", 0) + 1;
        cJSON_DeleteItemFromObjectCaseSensitive(po, "thread_ts");
        cJSON_AddStringToObject(po, "thread_ts", parent->ts);
        cJSON_DeleteItemFromObjectCaseSensitive(po, "reply_count");
        cJSON_AddNumberToObject(po, "reply_count", count);
        cJSON_DeleteItemFromObjectCaseSensitive(po, "latest_reply");
        cJSON_AddStringToObject(po, "latest_reply", m->ts);
        cJSON *ru = cJSON_GetObjectItemCaseSensitive(po, "reply_users");
        if (!ru)
            ru = cJSON_AddArrayToObject(po, "reply_users");
        const char *u = emu_jstr(obj, "user");
        if (u && !str_in_array(ru, u))
            cJSON_AddItemToArray(ru, cJSON_CreateString(u));
    } else {
        cJSON_DeleteItemFromObjectCaseSensitive(obj, "thread_ts");
    }
    if (c->nmsgs == c->capmsgs) {
        c->capmsgs = c->capmsgs ? c->capmsgs * 2 : 16;
        c->msgs = xreallocarray(c->msgs, c->capmsgs, sizeof *c->msgs);
    }
    c->msgs[c->nmsgs++] = m;
    return m;
}

static void replace_item(cJSON *o, const char *key, cJSON *val)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (val)
        cJSON_AddItemToObject(o, key, val);
}

void emu_wk_msg_edit(struct emu *emu, struct emu_msg *m, const char *editor, const char *text,
                     cJSON *blocks, cJSON *attachments)
{
    cJSON *prev = cJSON_Duplicate(m->obj, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(prev, "history");
    cJSON_AddItemToArray(m->history, prev);
    if (text)
        replace_item(m->obj, "text", cJSON_CreateString(text));
    if (blocks)
        replace_item(m->obj, "blocks", blocks);
    if (attachments)
        replace_item(m->obj, "attachments", attachments);
    char ts[EMU_TS_LEN];
    emu_next_ts(emu, ts);
    cJSON *ed = cJSON_CreateObject();
    add_str(ed, "user", editor);
    add_str(ed, "ts", ts);
    replace_item(m->obj, "edited", ed);
}

void emu_wk_msg_delete(struct emu_chan *c, struct emu_msg *m)
{
    (void)c;
    m->deleted = true;
}

static void copy_key(cJSON *dst, const cJSON *src, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(src, key);
    if (it)
        cJSON_AddItemToObject(dst, key, cJSON_Duplicate(it, 1));
}

cJSON *emu_wk_msg_render(struct emu *emu, const struct emu_msg *m, enum emu_msg_style st)
{
    const cJSON *o = m->obj;
    if (st == EMU_MSG_STATE) {
        cJSON *r = cJSON_Duplicate(o, 1);
        if (cJSON_GetArraySize(m->history) > 0)
            cJSON_AddItemToObject(r, "history", cJSON_Duplicate(m->history, 1));
        if (m->deleted)
            cJSON_AddBoolToObject(r, "deleted", 1);
        return r;
    }
    cJSON *r = cJSON_CreateObject();
    if (st == EMU_MSG_POST) {
        /* chat.postMessage's documented answer (web-api/chat.postMessage.ok.json). */
        copy_key(r, o, "text");
        add_str(r, "username", emu->wk->bot_name);
        copy_key(r, o, "bot_id");
        copy_key(r, o, "attachments");
        copy_key(r, o, "blocks");
        add_str(r, "type", "message");
        add_str(r, "subtype", "bot_message");
        add_str(r, "ts", m->ts);
        copy_key(r, o, "thread_ts");
        return r;
    }
    /* The "message" of a block_actions payload (interactive_block_actions.java-slack-sdk). */
    copy_key(r, o, "bot_id");
    add_str(r, "type", "message");
    copy_key(r, o, "text");
    copy_key(r, o, "user");
    add_str(r, "ts", m->ts);
    copy_key(r, o, "team");
    copy_key(r, o, "blocks");
    copy_key(r, o, "attachments");
    copy_key(r, o, "thread_ts");
    copy_key(r, o, "edited");
    return r;
}

/* ---------- ephemeral messages ---------- */

void emu_wk_ephemeral_add(struct emu *emu, const char *channel, const char *user, cJSON *obj,
                          char ts_out[EMU_TS_LEN])
{
    emu_next_ts(emu, ts_out);
    replace_item(obj, "ts", cJSON_CreateString(ts_out));
    replace_item(obj, "channel", cJSON_CreateString(channel));
    replace_item(obj, "recipient", cJSON_CreateString(user));
    cJSON_AddItemToArray(emu->wk->ephemeral, obj);
}

cJSON *emu_wk_ephemeral_find(struct emu *emu, const char *ts)
{
    cJSON *e;
    cJSON_ArrayForEach(e, emu->wk->ephemeral)
    {
        const char *ets = emu_jstr(e, "ts");
        if (ets && ts && strcmp(ets, ts) == 0 && !jbool(e, "deleted"))
            return e;
    }
    return NULL;
}

void emu_wk_ephemeral_delete(struct emu *emu, const char *ts)
{
    cJSON *e = emu_wk_ephemeral_find(emu, ts);
    if (e)
        replace_item(e, "deleted", cJSON_CreateTrue());
}

/* ---------- views ---------- */

static void view_hash(struct emu *emu, char out[48])
{
    char hex[9];
    emu_rand_hex(emu, 8, hex, sizeof hex);
    snprintf(out, 48, "%lld.%s", (long long)(emu_wall_us() / 1000000), hex);
}

struct emu_view *emu_wk_view_new(struct emu *emu, const char *user, cJSON *def, const char *root_id,
                                 const char *previous_id)
{
    struct emu_wk *wk = emu->wk;
    struct emu_view *v = xcalloc(1, sizeof *v);
    do
        emu_rand_id(emu, "V0", 9, v->id, sizeof v->id);
    while (emu_wk_view(emu, v->id));
    snprintf(v->root_id, sizeof v->root_id, "%s", root_id && root_id[0] ? root_id : v->id);
    snprintf(v->previous_id, sizeof v->previous_id, "%s", previous_id ? previous_id : "");
    snprintf(v->user, sizeof v->user, "%s", user ? user : "");
    view_hash(emu, v->hash);
    const char *ext = emu_jstr(def, "external_id");
    v->external_id = xstrdup(ext ? ext : "");
    emu_blk_assign_ids(emu, cJSON_GetObjectItemCaseSensitive(def, "blocks"));
    v->def = def;
    v->values = cJSON_CreateObject();
    v->state = EMU_VIEW_OPEN;
    v->opened_us = emu_mono_us();
    if (wk->nviews == wk->capviews) {
        wk->capviews = wk->capviews ? wk->capviews * 2 : 16;
        wk->views = xreallocarray(wk->views, wk->capviews, sizeof *wk->views);
    }
    wk->views[wk->nviews++] = v;
    return v;
}

struct emu_view *emu_wk_view(struct emu *emu, const char *id)
{
    if (!id)
        return NULL;
    for (size_t i = 0; i < emu->wk->nviews; i++)
        if (strcmp(emu->wk->views[i]->id, id) == 0)
            return emu->wk->views[i];
    return NULL;
}

struct emu_view *emu_wk_view_by_external(struct emu *emu, const char *external_id)
{
    if (!external_id || !external_id[0])
        return NULL;
    for (size_t i = emu->wk->nviews; i-- > 0;)
        if (strcmp(emu->wk->views[i]->external_id, external_id) == 0)
            return emu->wk->views[i];
    return NULL;
}

struct emu_view *emu_wk_view_top(struct emu *emu, const char *root_id, int *depth)
{
    struct emu_view *top = NULL;
    int d = 0;
    for (size_t i = 0; i < emu->wk->nviews; i++) {
        struct emu_view *v = emu->wk->views[i];
        if (v->state == EMU_VIEW_OPEN && strcmp(v->root_id, root_id) == 0) {
            top = v;
            d++;
        }
    }
    if (depth)
        *depth = d;
    return top;
}

struct emu_view *emu_wk_view_user_top(struct emu *emu, const char *user)
{
    for (size_t i = emu->wk->nviews; i-- > 0;) {
        struct emu_view *v = emu->wk->views[i];
        if (v->state == EMU_VIEW_OPEN && strcmp(v->user, user) == 0)
            return v;
    }
    return NULL;
}

struct emu_view *emu_wk_view_user_home(struct emu *emu, const char *user)
{
    for (size_t i = emu->wk->nviews; i-- > 0;) {
        struct emu_view *v = emu->wk->views[i];
        if (v->state == EMU_VIEW_PUBLISHED && strcmp(v->user, user) == 0)
            return v;
    }
    return NULL;
}

void emu_wk_view_replace(struct emu *emu, struct emu_view *v, cJSON *def)
{
    emu_blk_assign_ids(emu, cJSON_GetObjectItemCaseSensitive(def, "blocks"));
    cJSON_Delete(v->def);
    v->def = def;
    const char *ext = emu_jstr(def, "external_id");
    if (ext) {
        free(v->external_id);
        v->external_id = xstrdup(ext);
    }
    cJSON_Delete(v->errors);
    v->errors = NULL;
    view_hash(emu, v->hash);
}

void emu_wk_view_close_stack(struct emu *emu, const char *root_id)
{
    for (size_t i = 0; i < emu->wk->nviews; i++) {
        struct emu_view *v = emu->wk->views[i];
        if (v->state == EMU_VIEW_OPEN && strcmp(v->root_id, root_id) == 0)
            v->state = EMU_VIEW_CLOSED;
    }
}

static void add_def(cJSON *o, const cJSON *def, const char *key, bool null_if_absent)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(def, key);
    if (it)
        cJSON_AddItemToObject(o, key, cJSON_Duplicate(it, 1));
    else if (null_if_absent)
        cJSON_AddNullToObject(o, key);
}

static void add_def_str(cJSON *o, const cJSON *def, const char *key)
{
    const char *s = emu_jstr(def, key);
    add_str(o, key, s ? s : "");
}

cJSON *emu_wk_view_render(struct emu *emu, const struct emu_view *v, enum emu_view_style st)
{
    struct emu_wk *wk = emu->wk;
    const cJSON *def = v->def;
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", v->id);
    add_str(o, "team_id", wk->team_id);
    add_def_str(o, def, "type");
    cJSON *state = cJSON_CreateObject();
    cJSON_AddItemToObject(state, "values", cJSON_Duplicate(v->values, 1));
    if (st == EMU_VIEW_PAYLOAD) {
        add_def(o, def, "blocks", false);
        add_def_str(o, def, "private_metadata");
        add_def_str(o, def, "callback_id");
        cJSON_AddItemToObject(o, "state", state);
        add_str(o, "hash", v->hash);
        add_def(o, def, "title", true);
        cJSON_AddBoolToObject(o, "clear_on_close", jbool(def, "clear_on_close"));
        cJSON_AddBoolToObject(o, "notify_on_close", jbool(def, "notify_on_close"));
        add_def(o, def, "close", true);
        add_def(o, def, "submit", true);
        if (v->previous_id[0])
            add_str(o, "previous_view_id", v->previous_id);
        else
            cJSON_AddNullToObject(o, "previous_view_id");
        add_str(o, "root_view_id", v->root_id);
        add_str(o, "app_id", wk->app_id);
        add_str(o, "external_id", v->external_id);
        add_str(o, "app_installed_team_id", wk->team_id);
        add_str(o, "bot_id", wk->bot_id);
        return o;
    }
    add_def(o, def, "title", true);
    add_def(o, def, "close", false);
    add_def(o, def, "submit", true);
    add_def(o, def, "blocks", false);
    add_def_str(o, def, "private_metadata");
    add_def_str(o, def, "callback_id");
    add_str(o, "external_id", v->external_id);
    cJSON_AddItemToObject(o, "state", state);
    add_str(o, "hash", v->hash);
    cJSON_AddBoolToObject(o, "clear_on_close", jbool(def, "clear_on_close"));
    cJSON_AddBoolToObject(o, "notify_on_close", jbool(def, "notify_on_close"));
    add_str(o, "root_view_id", v->root_id);
    if (st == EMU_VIEW_API_UPDATE) {
        if (v->previous_id[0])
            add_str(o, "previous_view_id", v->previous_id);
        else
            cJSON_AddNullToObject(o, "previous_view_id");
    }
    add_str(o, "app_id", wk->app_id);
    add_str(o, "bot_id", wk->bot_id);
    return o;
}

static void view_free(struct emu_view *v)
{
    cJSON_Delete(v->def);
    cJSON_Delete(v->values);
    cJSON_Delete(v->errors);
    free(v->external_id);
    free(v);
}

/* ---------- bookkeeping ---------- */

void emu_wk_count_call(struct emu *emu, const char *method)
{
    cJSON *it = cJSON_GetObjectItemCaseSensitive(emu->wk->calls, method);
    if (it)
        cJSON_SetNumberValue(it, it->valuedouble + 1);
    else
        cJSON_AddNumberToObject(emu->wk->calls, method, 1);
}

void emu_wk_new_bookmark_id(struct emu *emu, char out[EMU_ID_LEN])
{
    emu_rand_id(emu, "Bk0", 9, out, EMU_ID_LEN);
}

cJSON *emu_wk_state(struct emu *emu)
{
    struct emu_wk *wk = emu->wk;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", 1);
    cJSON *team = cJSON_AddObjectToObject(o, "team");
    add_str(team, "id", wk->team_id);
    add_str(team, "name", wk->team_name);
    add_str(team, "domain", wk->team_domain);
    cJSON *app = cJSON_AddObjectToObject(o, "app");
    add_str(app, "app_id", wk->app_id);
    add_str(app, "bot_id", wk->bot_id);
    add_str(app, "bot_user_id", wk->bot_user);
    add_str(app, "bot_name", wk->bot_name);
    cJSON_AddItemToObject(o, "users", cJSON_Duplicate(wk->users, 1));
    cJSON_AddItemToObject(o, "usergroups", cJSON_Duplicate(wk->usergroups, 1));
    cJSON *chans = cJSON_AddArrayToObject(o, "channels");
    for (size_t i = 0; i < wk->nchans; i++) {
        struct emu_chan *c = wk->chans[i];
        cJSON *co = cJSON_CreateObject();
        add_str(co, "id", c->id);
        add_str(co, "name", c->name);
        cJSON_AddBoolToObject(co, "is_private", c->is_private);
        cJSON_AddBoolToObject(co, "is_archived", c->is_archived);
        cJSON_AddBoolToObject(co, "is_general", c->is_general);
        cJSON_AddBoolToObject(co, "is_im", c->is_im);
        add_str(co, "creator", c->creator);
        cJSON_AddNumberToObject(co, "created", (double)c->created);
        add_topic(co, "topic", c->topic, c->topic_creator, c->topic_set);
        add_topic(co, "purpose", c->purpose, c->purpose_creator, c->purpose_set);
        cJSON_AddItemToObject(co, "previous_names", cJSON_Duplicate(c->previous_names, 1));
        cJSON *mem = cJSON_AddArrayToObject(co, "members");
        for (size_t k = 0; k < c->nmembers; k++)
            cJSON_AddItemToArray(mem, cJSON_CreateString(c->members[k]));
        cJSON *msgs = cJSON_AddArrayToObject(co, "messages");
        for (size_t k = 0; k < c->nmsgs; k++)
            cJSON_AddItemToArray(msgs, emu_wk_msg_render(emu, c->msgs[k], EMU_MSG_STATE));
        cJSON_AddItemToObject(co, "pins", cJSON_Duplicate(c->pins, 1));
        cJSON_AddItemToObject(co, "bookmarks", cJSON_Duplicate(c->bookmarks, 1));
        cJSON_AddItemToArray(chans, co);
    }
    cJSON_AddItemToObject(o, "ephemeral", cJSON_Duplicate(wk->ephemeral, 1));
    cJSON *views = cJSON_AddArrayToObject(o, "views");
    for (size_t i = 0; i < wk->nviews; i++) {
        struct emu_view *v = wk->views[i];
        cJSON *vo = emu_wk_view_render(emu, v, EMU_VIEW_PAYLOAD);
        add_str(vo, "user", v->user);
        add_str(vo, "status",
                v->state == EMU_VIEW_OPEN        ? "open"
                : v->state == EMU_VIEW_PUBLISHED ? "published"
                                                 : "closed");
        if (v->errors)
            cJSON_AddItemToObject(vo, "errors", cJSON_Duplicate(v->errors, 1));
        cJSON_AddItemToArray(views, vo);
    }
    cJSON_AddItemToObject(o, "calls", cJSON_Duplicate(wk->calls, 1));
    return o;
}

/* ---------- loading ---------- */

static bool bad(const char *file, const char *what)
{
    fprintf(stderr, "slackemu: %s: %s\n", file ? file : "built-in workspace", what);
    return false;
}

static bool load_ids(const cJSON *obj, const char *key, char *dst, const char *def)
{
    const char *s = emu_jstr(obj, key);
    if (!s)
        s = def;
    if (strlen(s) >= EMU_ID_LEN)
        return false;
    snprintf(dst, EMU_ID_LEN, "%s", s);
    return true;
}

static cJSON *token_list(const cJSON *tokens, const char *key)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(tokens, key);
    cJSON *arr = cJSON_CreateArray();
    if (cJSON_IsString(t)) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(t->valuestring));
    } else if (cJSON_IsArray(t)) {
        const cJSON *it;
        cJSON_ArrayForEach(it, t)
        {
            if (cJSON_IsString(it))
                cJSON_AddItemToArray(arr, cJSON_CreateString(it->valuestring));
        }
    }
    return arr;
}

/* Builds the live workspace from wk->src (after a load or on reset). */
static bool build(struct emu *emu, struct emu_wk *wk, const char *file)
{
    cJSON *dflt = cJSON_Parse(default_workspace);
    const cJSON *src = wk->src;
#define SECTION(k)                                                                                 \
    (cJSON_GetObjectItemCaseSensitive(src, k) ? cJSON_GetObjectItemCaseSensitive(src, k)           \
                                              : cJSON_GetObjectItemCaseSensitive(dflt, k))
    const cJSON *team = SECTION("team"), *app = SECTION("app");
    bool ok = true;
    const cJSON *dteam = cJSON_GetObjectItemCaseSensitive(dflt, "team");
    const cJSON *dapp = cJSON_GetObjectItemCaseSensitive(dflt, "app");
    if (!load_ids(team, "id", wk->team_id, emu_jstr(dteam, "id")) ||
        !load_ids(app, "app_id", wk->app_id, emu_jstr(dapp, "app_id")) ||
        !load_ids(app, "bot_id", wk->bot_id, emu_jstr(dapp, "bot_id")) ||
        !load_ids(app, "bot_user_id", wk->bot_user, emu_jstr(dapp, "bot_user_id"))) {
        ok = bad(file, "team/app ids must be strings shorter than 24 characters");
        goto out;
    }
    wk->team_name = xstrdup(emu_jstr(team, "name") ? emu_jstr(team, "name") : "Workspace");
    wk->team_domain = xstrdup(emu_jstr(team, "domain") ? emu_jstr(team, "domain") : "workspace");
    wk->bot_name = xstrdup(emu_jstr(app, "bot_name") ? emu_jstr(app, "bot_name") : "bot");
    const cJSON *scopes = cJSON_GetObjectItemCaseSensitive(app, "scopes");
    if (!scopes)
        scopes = cJSON_GetObjectItemCaseSensitive(dapp, "scopes");
    wk->scopes = cJSON_Duplicate(scopes, 1);
    wk->events = cJSON_Duplicate(SECTION("events"), 1);
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(src, "tokens");
    wk->tokens_bot = token_list(tokens, "bot");
    wk->tokens_app = token_list(tokens, "app");
    wk->ephemeral = cJSON_CreateArray();
    wk->calls = cJSON_CreateObject();

    wk->users = cJSON_CreateArray();
    const cJSON *u;
    cJSON_ArrayForEach(u, SECTION("users"))
    {
        const char *id = emu_jstr(u, "id");
        if (!id || strlen(id) >= EMU_ID_LEN) {
            ok = bad(file, "every user needs an \"id\" string shorter than 24 characters");
            goto out;
        }
        cJSON_AddItemToArray(wk->users, user_expand(wk, u, NULL, NULL));
    }
    cJSON *botu = cJSON_CreateObject();
    cJSON_AddStringToObject(botu, "id", wk->bot_user);
    cJSON_AddStringToObject(botu, "name", wk->bot_name);
    cJSON_AddStringToObject(botu, "real_name", wk->bot_name);
    cJSON_AddItemToArray(wk->users, user_expand(wk, botu, wk->bot_id, wk->app_id));
    cJSON_Delete(botu);
    const cJSON *b;
    cJSON_ArrayForEach(b, SECTION("bots"))
    {
        const char *bid = emu_jstr(b, "bot_id"), *uid = emu_jstr(b, "user_id");
        if (!bid || !uid || strlen(uid) >= EMU_ID_LEN) {
            ok = bad(file, "every bot needs \"bot_id\" and \"user_id\" strings");
            goto out;
        }
        cJSON *bu = cJSON_CreateObject();
        cJSON_AddStringToObject(bu, "id", uid);
        cJSON_AddStringToObject(bu, "name", emu_jstr(b, "name") ? emu_jstr(b, "name") : uid);
        cJSON_AddItemToArray(
            wk->users,
            user_expand(wk, bu, bid, emu_jstr(b, "app_id") ? emu_jstr(b, "app_id") : ""));
        cJSON_Delete(bu);
    }

    wk->usergroups = cJSON_CreateArray();
    const cJSON *g;
    cJSON_ArrayForEach(g, SECTION("usergroups"))
    {
        const char *id = emu_jstr(g, "id");
        if (!id) {
            ok = bad(file, "every usergroup needs an \"id\"");
            goto out;
        }
        const char *handle = emu_jstr(g, "handle") ? emu_jstr(g, "handle") : id;
        cJSON *o = cJSON_CreateObject();
        add_str(o, "id", id);
        add_str(o, "team_id", wk->team_id);
        cJSON_AddBoolToObject(o, "is_usergroup", 1);
        cJSON_AddBoolToObject(o, "is_subteam", 1);
        add_str(o, "name", emu_jstr(g, "name") ? emu_jstr(g, "name") : handle);
        add_str(o, "description", emu_jstr(g, "description"));
        add_str(o, "handle", handle);
        cJSON_AddBoolToObject(o, "is_external", 0);
        cJSON_AddNumberToObject(o, "date_create", 1650000000);
        cJSON_AddNumberToObject(o, "date_update", 1650000000);
        cJSON_AddNumberToObject(o, "date_delete", 0);
        cJSON_AddNullToObject(o, "auto_type");
        cJSON_AddBoolToObject(o, "auto_provision", 0);
        add_str(o, "enterprise_subteam_id", "");
        add_str(o, "created_by", emu_wk_first_human(emu));
        add_str(o, "updated_by", emu_wk_first_human(emu));
        cJSON_AddNullToObject(o, "deleted_by");
        cJSON *prefs = cJSON_AddObjectToObject(o, "prefs");
        cJSON_AddArrayToObject(prefs, "channels");
        cJSON_AddArrayToObject(prefs, "groups");
        cJSON *users = cJSON_AddArrayToObject(o, "users");
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(g, "users"))
        {
            if (cJSON_IsString(m))
                cJSON_AddItemToArray(users, cJSON_CreateString(m->valuestring));
        }
        cJSON_AddNumberToObject(o, "user_count", cJSON_GetArraySize(users));
        cJSON_AddItemToArray(wk->usergroups, o);
    }

    const cJSON *c;
    cJSON_ArrayForEach(c, SECTION("channels"))
    {
        const char *id = emu_jstr(c, "id"), *name = emu_jstr(c, "name");
        if (!id || !name || strlen(id) >= EMU_ID_LEN) {
            ok = bad(file, "every channel needs \"id\" and \"name\" strings");
            goto out;
        }
        if (emu_wk_chan(emu, id)) {
            ok = bad(file, "duplicate channel id");
            goto out;
        }
        struct emu_chan *ch = chan_alloc(wk, id, name);
        ch->is_private = jbool(c, "is_private");
        ch->is_archived = jbool(c, "is_archived");
        ch->is_general = jbool(c, "is_general");
        ch->created = (long)jnum(c, "created", 1650000000);
        const char *creator = emu_jstr(c, "creator");
        snprintf(ch->creator, sizeof ch->creator, "%s",
                 creator ? creator : emu_wk_first_human(emu));
        if (emu_jstr(c, "topic")) {
            free(ch->topic);
            ch->topic = xstrdup(emu_jstr(c, "topic"));
            snprintf(ch->topic_creator, sizeof ch->topic_creator, "%s", ch->creator);
            ch->topic_set = ch->created;
        }
        if (emu_jstr(c, "purpose")) {
            free(ch->purpose);
            ch->purpose = xstrdup(emu_jstr(c, "purpose"));
            snprintf(ch->purpose_creator, sizeof ch->purpose_creator, "%s", ch->creator);
            ch->purpose_set = ch->created;
        }
        const cJSON *m;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "members"))
        {
            if (cJSON_IsString(m) && strlen(m->valuestring) < EMU_ID_LEN)
                emu_wk_add_member(ch, m->valuestring);
        }
    }
out:
#undef SECTION
    cJSON_Delete(dflt);
    return ok;
}

static void teardown(struct emu_wk *wk)
{
    free(wk->team_name);
    free(wk->team_domain);
    free(wk->bot_name);
    cJSON_Delete(wk->tokens_bot);
    cJSON_Delete(wk->tokens_app);
    cJSON_Delete(wk->scopes);
    cJSON_Delete(wk->events);
    cJSON_Delete(wk->users);
    cJSON_Delete(wk->usergroups);
    for (size_t i = 0; i < wk->nchans; i++)
        chan_free(wk->chans[i]);
    free(wk->chans);
    cJSON_Delete(wk->ephemeral);
    for (size_t i = 0; i < wk->nviews; i++)
        view_free(wk->views[i]);
    free(wk->views);
    cJSON_Delete(wk->calls);
    cJSON *src = wk->src;
    memset(wk, 0, sizeof *wk);
    wk->src = src;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct buf b;
    buf_init(&b, MAX_WS_FILE);
    char chunk[8192];
    size_t n;
    bool ok = true;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (buf_add(&b, chunk, n) != BOT_OK) {
            ok = false;
            break;
        }
    if (ferror(f))
        ok = false;
    fclose(f);
    if (!ok) {
        buf_free(&b);
        return NULL;
    }
    return buf_take(&b);
}

struct emu_wk *emu_wk_new(struct emu *emu, const char *file)
{
    struct emu_wk *wk = xcalloc(1, sizeof *wk);
    if (file) {
        char *text = read_file(file);
        if (!text) {
            fprintf(stderr, "slackemu: %s: cannot read (missing, unreadable or over %u bytes)\n",
                    file, MAX_WS_FILE);
            free(wk);
            return NULL;
        }
        wk->src = cJSON_Parse(text);
        free(text);
        if (!cJSON_IsObject(wk->src)) {
            fprintf(stderr, "slackemu: %s: not a JSON object\n", file);
            cJSON_Delete(wk->src);
            free(wk);
            return NULL;
        }
    } else {
        wk->src = cJSON_Parse(default_workspace);
    }
    emu->wk = wk;
    if (!build(emu, wk, file)) {
        emu_wk_free(wk);
        emu->wk = NULL;
        return NULL;
    }
    return wk;
}

void emu_wk_reset(struct emu *emu)
{
    teardown(emu->wk);
    if (!build(emu, emu->wk, "workspace"))
        emu_log(emu, "reset: workspace rebuild failed");
}

void emu_wk_free(struct emu_wk *wk)
{
    if (!wk)
        return;
    teardown(wk);
    cJSON_Delete(wk->src);
    free(wk);
}
