/* Who may read what (see audience.h): one table, read by everything that sends text out. */
#include "audience.h"

#include <stdio.h>
#include <string.h>

#include "store_directory.h"

bool audience_parse_private_announcement(const char *s, enum aud_private_announcement *out)
{
    static const char *const names[] = {"redacted", "none", "full"};
    for (size_t i = 0; s != NULL && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(s, names[i]) == 0) {
            *out = (enum aud_private_announcement)i;
            return true;
        }
    return false;
}

bool audience_private(const struct store_incident *inc)
{
    return inc->breach != 0;
}

/* Marks in the table: what depends on configuration or on being published. */
enum {
    N = AUD_SHOW_NOTHING,
    F = AUD_SHOW_FULL,
    R = AUD_SHOW_REDACTED,
    C = 10, /* a private incident: as [privacy] says */
    P = 11, /* only once published */
};

/*
 * [audience][text][private?]. The incident channel sees all of its own
 * incident; a person only gets what they asked for (ephemeral replies and
 * direct messages are built for them: FULL); the support channel only the
 * summary sent on purpose; the public only what was published, and never a
 * note.
 */
static const unsigned char rules[AUD_COUNT][AUD_TEXT_COUNT][2] = {
    [AUD_INCIDENT_CHANNEL] = {{F, F}, {F, F}, {F, F}, {F, F}, {F, F}},
    [AUD_ANNOUNCE] = {
        [AUD_TEXT_ANNOUNCEMENT] = {F, C},
        [AUD_TEXT_THREAD_UPDATE] = {F, C},
        [AUD_TEXT_SUPPORT_SUMMARY] = {N, N},
        [AUD_TEXT_PUBLIC_UPDATE] = {F, C},
        [AUD_TEXT_NOTE] = {F, C},
    },
    [AUD_SUPPORT] = {
        [AUD_TEXT_ANNOUNCEMENT] = {N, N},
        [AUD_TEXT_THREAD_UPDATE] = {N, N},
        [AUD_TEXT_SUPPORT_SUMMARY] = {F, R}, /* a private one: no title, no channel */
        [AUD_TEXT_PUBLIC_UPDATE] = {N, N},
        [AUD_TEXT_NOTE] = {N, N},
    },
    [AUD_PERSON] = {{F, F}, {F, F}, {F, F}, {F, F}, {F, F}},
    [AUD_PUBLIC] = {
        [AUD_TEXT_ANNOUNCEMENT] = {N, N},
        [AUD_TEXT_THREAD_UPDATE] = {N, N},
        [AUD_TEXT_SUPPORT_SUMMARY] = {N, N},
        [AUD_TEXT_PUBLIC_UPDATE] = {P, P},
        [AUD_TEXT_NOTE] = {N, N},
    },
};

enum aud_show audience_show(const struct audience_config *cfg, const struct store_incident *inc,
                            enum audience a, enum aud_text t)
{
    static const struct audience_config defaults = {AUD_PRIVATE_REDACTED, false};
    if (cfg == NULL)
        cfg = &defaults;
    if ((unsigned)a >= AUD_COUNT || (unsigned)t >= AUD_TEXT_COUNT || inc == NULL)
        return AUD_SHOW_NOTHING;
    unsigned rule = rules[a][t][audience_private(inc) ? 1 : 0];
    if (rule == P)
        return inc->published ? AUD_SHOW_FULL : AUD_SHOW_NOTHING;
    if (rule != C)
        return (enum aud_show)rule;
    /* A private incident in the announcement channel. */
    if (cfg->private_announcement == AUD_PRIVATE_FULL)
        return AUD_SHOW_FULL;
    if (t == AUD_TEXT_ANNOUNCEMENT) /* "none" still redacts one posted before it became private */
        return cfg->private_announcement == AUD_PRIVATE_NONE ? AUD_SHOW_NOTHING
                                                              : AUD_SHOW_REDACTED;
    return cfg->private_thread_updates ? AUD_SHOW_FULL : AUD_SHOW_NOTHING;
}

static bool directory_user(void *ctx, const char *id, char *out, size_t outsz)
{
    struct store_directory_user u;
    struct bot_err err;
    bool found = false;
    if (store_directory_user(ctx, id, &u, &err) == BOT_OK) {
        if (u.name != NULL && *u.name) {
            int n = snprintf(out, outsz, "%s", u.name);
            found = n > 0 && (size_t)n < outsz;
        }
        store_directory_user_clear(&u);
    }
    return found;
}

void audience_public_names(struct slack_names *out, struct store *s)
{
    *out = (struct slack_names){.user = directory_user, .ctx = s};
}
