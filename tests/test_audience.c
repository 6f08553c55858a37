/*
 * The audience rules (commands/audience.h) as a table: every kind of text
 * the bot sends outside the incident channel, for a public and a private
 * incident, published or not, under each [privacy] setting.
 */
#include <stdio.h>
#include <string.h>

#include "audience.h"
#include "check.h"

enum { NOTHING = AUD_SHOW_NOTHING, REDACTED = AUD_SHOW_REDACTED, FULL = AUD_SHOW_FULL };

static void test_table_with_defaults(void)
{
    /* audience, text, [public unpublished, public published, private unpublished, private published] */
    static const struct {
        enum audience a;
        enum aud_text t;
        int want[4];
    } rows[] = {
        {AUD_INCIDENT_CHANNEL, AUD_TEXT_NOTE, {FULL, FULL, FULL, FULL}},
        {AUD_INCIDENT_CHANNEL, AUD_TEXT_THREAD_UPDATE, {FULL, FULL, FULL, FULL}},
        {AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT, {FULL, FULL, REDACTED, REDACTED}},
        {AUD_ANNOUNCE, AUD_TEXT_THREAD_UPDATE, {FULL, FULL, NOTHING, NOTHING}},
        {AUD_ANNOUNCE, AUD_TEXT_NOTE, {FULL, FULL, NOTHING, NOTHING}},
        {AUD_ANNOUNCE, AUD_TEXT_PUBLIC_UPDATE, {FULL, FULL, NOTHING, NOTHING}},
        {AUD_ANNOUNCE, AUD_TEXT_SUPPORT_SUMMARY, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_SUPPORT, AUD_TEXT_SUPPORT_SUMMARY, {FULL, FULL, REDACTED, REDACTED}},
        {AUD_SUPPORT, AUD_TEXT_ANNOUNCEMENT, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_SUPPORT, AUD_TEXT_THREAD_UPDATE, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_SUPPORT, AUD_TEXT_NOTE, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_SUPPORT, AUD_TEXT_PUBLIC_UPDATE, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_PERSON, AUD_TEXT_NOTE, {FULL, FULL, FULL, FULL}},
        {AUD_PUBLIC, AUD_TEXT_PUBLIC_UPDATE, {NOTHING, FULL, NOTHING, FULL}},
        {AUD_PUBLIC, AUD_TEXT_NOTE, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_PUBLIC, AUD_TEXT_ANNOUNCEMENT, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_PUBLIC, AUD_TEXT_THREAD_UPDATE, {NOTHING, NOTHING, NOTHING, NOTHING}},
        {AUD_PUBLIC, AUD_TEXT_SUPPORT_SUMMARY, {NOTHING, NOTHING, NOTHING, NOTHING}},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        for (int c = 0; c < 4; c++) {
            struct store_incident inc;
            memset(&inc, 0, sizeof(inc));
            inc.breach = c >= 2;
            inc.published = c % 2;
            int got = (int)audience_show(NULL, &inc, rows[i].a, rows[i].t);
            CHECK_MSG(got == rows[i].want[c], "row %zu case %d: %d, want %d", i, c, got,
                      rows[i].want[c]);
        }
}

static void test_privacy_settings(void)
{
    struct store_incident priv;
    memset(&priv, 0, sizeof(priv));
    priv.breach = 1;
    struct audience_config none = {AUD_PRIVATE_NONE, false};
    struct audience_config full = {AUD_PRIVATE_FULL, false};
    struct audience_config threads = {AUD_PRIVATE_REDACTED, true};
    CHECK_INT(audience_show(&none, &priv, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT), NOTHING);
    CHECK_INT(audience_show(&none, &priv, AUD_ANNOUNCE, AUD_TEXT_THREAD_UPDATE), NOTHING);
    CHECK_INT(audience_show(&full, &priv, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT), FULL);
    CHECK_INT(audience_show(&full, &priv, AUD_ANNOUNCE, AUD_TEXT_NOTE), FULL);
    CHECK_INT(audience_show(&threads, &priv, AUD_ANNOUNCE, AUD_TEXT_ANNOUNCEMENT), REDACTED);
    CHECK_INT(audience_show(&threads, &priv, AUD_ANNOUNCE, AUD_TEXT_THREAD_UPDATE), FULL);
    /* No setting ever opens the support channel or the public to more. */
    CHECK_INT(audience_show(&full, &priv, AUD_PUBLIC, AUD_TEXT_NOTE), NOTHING);
    CHECK_INT(audience_show(&full, &priv, AUD_SUPPORT, AUD_TEXT_NOTE), NOTHING);
    /* Out-of-range input shows nothing. */
    CHECK_INT(audience_show(NULL, &priv, AUD_COUNT, AUD_TEXT_NOTE), NOTHING);
    CHECK_INT(audience_show(NULL, NULL, AUD_ANNOUNCE, AUD_TEXT_NOTE), NOTHING);

    enum aud_private_announcement v;
    CHECK(audience_parse_private_announcement("none", &v) && v == AUD_PRIVATE_NONE);
    CHECK(audience_parse_private_announcement("redacted", &v) && v == AUD_PRIVATE_REDACTED);
    CHECK(audience_parse_private_announcement("full", &v) && v == AUD_PRIVATE_FULL);
    CHECK(!audience_parse_private_announcement("Full", &v));
    CHECK(!audience_parse_private_announcement(NULL, &v));
}

int main(void)
{
    RUN(test_table_with_defaults);
    RUN(test_privacy_settings);
    return CHECK_DONE();
}
