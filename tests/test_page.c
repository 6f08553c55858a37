/*
 * Unit tests of the status page renderers (statuspage/page_*.c): the API v2
 * JSON documents, the HTML pages and the feeds, rendered from a fixed page.
 * With the shared data directory as argv[1], the JSON documents' keys and
 * types are also compared with real Statuspage captures.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "page_api.h"
#include "page_feed.h"
#include "page_html.h"

static const char *shared_dir;

#define EVIL "<script>alert(\"x\")</script> & 'q' caf\xc3\xa9"

static const unsigned char days3[PAGE_HISTORY_DAYS] = {[PAGE_HISTORY_DAYS - 1] = PAGE_RANK_PARTIAL};
static const struct page_component comps[] = {
    {1, "API", "Public REST API", "major_outage", 1, 1700000000000, NULL, NULL, -1},
    {2, "Web", NULL, "operational", 2, 1700000000000, NULL, NULL, -1},
    {3, EVIL, EVIL, "degraded_performance", 3, 1700000000000, "", days3, 997},
};
static const struct page_update open_updates[] = {
    {10, "investigating", "We are looking. " EVIL, 1700000100000, NULL},
    {11, "identified", "Found it.", 1700000200000, NULL},
    {12, "identified", "Still on it.", 1700000300000, NULL},
};
static const struct page_update old_updates[] = {
    {20, "investigating", "Slow logins.", 1699000000000, NULL},
    {21, "resolved", "Fixed.", 1699000500000, NULL},
};
static const char *const open_comps[] = {"API", EVIL};
static const struct page_incident incidents[] = {
    {7, "api-down", EVIL, "identified", "critical", 1700000000000, 1700000100000, 0,
     1700000300000, NULL, 0, 0, open_updates, 3, open_comps, 2},
    {3, NULL, "Slow logins", "closed", "minor", 1699000000000, 1699000000000, 1699000500000,
     1699000600000, "## Impact\n\nRoot cause: a **bad** <b>index</b>.\n\n- one\n- [two]"
     "(https://x.example/?a=1&b=2)\n\n<script>alert(1)</script>", 1699000600000,
     1699100000000, old_updates, 2, NULL, 0},
};

static struct page test_page(void)
{
    struct page p = {"Example Status", "https://status.example.com", 1700000400000,
                     comps, 3, incidents, 2};
    return p;
}

static char *render_api(enum page_api_doc doc)
{
    struct page p = test_page();
    struct buf out;
    buf_init(&out, PAGE_MAX_BODY);
    if (page_api_render(&p, doc, &out)) {
        buf_free(&out);
        return NULL;
    }
    return buf_take(&out);
}

static void test_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    CHECK(page_html_escape(&b, "a<b>&\"'", 7) == BOT_OK);
    CHECK_STR(buf_str(&b), "a&lt;b&gt;&amp;&quot;&#39;");
    buf_reset(&b);
    CHECK(page_xml_escape(&b, "x\x01y\tz\xc3\xa9", 7) == BOT_OK);
    CHECK_STR(buf_str(&b), "xy\tz\xc3\xa9");
    buf_free(&b);
}

static void test_ids(void)
{
    char id[PAGE_ID_LEN + 1], t[32];
    page_id(id, 'i', 36);
    CHECK_STR(id, "i00000000010");
    page_time_iso(t, 1669391404967);
    CHECK_STR(t, "2022-11-25T15:50:04.967Z");
    CHECK_STR(page_status_public("potential"), "investigating");
    CHECK_STR(page_status_public("closed"), "resolved");
    CHECK_STR(page_status_public("postmortem"), "resolved");
    CHECK_STR(page_incident_status(&incidents[1]), "postmortem");
    CHECK_STR(page_impact("critical"), "critical");
    struct page p = test_page();
    CHECK_STR(page_indicator(&p), "critical");
    p.nincidents = 0;
    CHECK_STR(page_indicator(&p), "major"); /* the component in major outage */
    p.ncomponents = 0;
    CHECK_STR(page_indicator(&p), "none");
    p = test_page();
    CHECK(page_incident_find(&p, "api-down") == &incidents[0]);
    CHECK(page_incident_find(&p, "INC-3") == &incidents[1]);
    CHECK(page_incident_find(&p, "i00000000003") == &incidents[1]);
    CHECK(page_incident_find(&p, "nope") == NULL);
}

static void test_api_content(void)
{
    char *s = render_api(PAGE_API_SUMMARY);
    CHECK(s != NULL);
    cJSON *j = cJSON_Parse(s);
    free(s);
    CHECK(j != NULL);
    cJSON *st = cJSON_GetObjectItem(j, "status");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(st, "indicator")), "critical");
    cJSON *incs = cJSON_GetObjectItem(j, "incidents");
    CHECK_INT(cJSON_GetArraySize(incs), 1); /* only the unresolved one */
    cJSON *inc = cJSON_GetArrayItem(incs, 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "name")), EVIL);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "impact")), "critical");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "status")), "identified");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "shortlink")),
              "https://status.example.com/incidents/api-down");
    CHECK(cJSON_IsNull(cJSON_GetObjectItem(inc, "resolved_at")));
    cJSON *ups = cJSON_GetObjectItem(inc, "incident_updates");
    CHECK_INT(cJSON_GetArraySize(ups), 3);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ups, 0), "body")),
              "Still on it."); /* newest first */
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(inc, "components")), 2);
    cJSON_Delete(j);

    s = render_api(PAGE_API_INCIDENTS);
    j = cJSON_Parse(s);
    free(s);
    CHECK(j != NULL);
    incs = cJSON_GetObjectItem(j, "incidents");
    CHECK_INT(cJSON_GetArraySize(incs), 2);
    inc = cJSON_GetArrayItem(incs, 1);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "status")), "postmortem");
    /* The postmortem is the incident's, as in Statuspage's Incident object, not an update. */
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "postmortem_body")),
              incidents[1].postmortem);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "postmortem_published_at")),
              "2023-11-03T08:36:40.000Z");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "postmortem_body_last_updated_at")),
              "2023-11-04T12:13:20.000Z");
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(inc, "updated_at")),
              "2023-11-04T12:13:20.000Z"); /* the amendment is its latest change */
    ups = cJSON_GetObjectItem(inc, "incident_updates");
    CHECK_INT(cJSON_GetArraySize(ups), 2);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(ups, 0), "status")),
              "resolved");
    /* Without a postmortem, none of its keys (as the captures of such incidents). */
    CHECK(!cJSON_HasObjectItem(cJSON_GetArrayItem(incs, 0), "postmortem_body"));
    cJSON_Delete(j);

    s = render_api(PAGE_API_MAINTENANCES_ACTIVE);
    j = cJSON_Parse(s);
    free(s);
    CHECK(j != NULL);
    CHECK_INT(cJSON_GetArraySize(cJSON_GetObjectItem(j, "scheduled_maintenances")), 0);
    cJSON_Delete(j);
}

/* ---- keys and types against the captures ---- */

static int same_shape(const cJSON *ours, const cJSON *ref, const char *path)
{
    if (cJSON_IsNull(ours) || cJSON_IsNull(ref))
        return 1; /* unset values: null on either side */
    if ((ours->type & 0xff) != (ref->type & 0xff) &&
        !(cJSON_IsBool(ours) && cJSON_IsBool(ref))) {
        fprintf(stderr, "%s: type %d, sample has %d\n", path, ours->type & 0xff, ref->type & 0xff);
        return 0;
    }
    if (cJSON_IsObject(ref)) {
        const cJSON *k;
        char sub[512];
        cJSON_ArrayForEach(k, ref) if (!cJSON_HasObjectItem(ours, k->string))
        {
            fprintf(stderr, "%s: missing key %s\n", path, k->string);
            return 0;
        }
        cJSON_ArrayForEach(k, ours)
        {
            if (!cJSON_HasObjectItem(ref, k->string)) {
                fprintf(stderr, "%s: extra key %s\n", path, k->string);
                return 0;
            }
            snprintf(sub, sizeof(sub), "%s.%s", path, k->string);
            if (!same_shape(k, cJSON_GetObjectItem(ref, k->string), sub))
                return 0;
        }
    }
    if (cJSON_IsArray(ref) && cJSON_GetArraySize(ref) > 0 && cJSON_GetArraySize(ours) > 0) {
        char sub[512];
        snprintf(sub, sizeof(sub), "%s[0]", path);
        return same_shape(cJSON_GetArrayItem(ours, 0), cJSON_GetArrayItem(ref, 0), sub);
    }
    return 1;
}

static cJSON *load_sample(const char *name)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/statuspage-samples/%s", shared_dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char data[1 << 20];
    size_t n = fread(data, 1, sizeof(data) - 1, f);
    fclose(f);
    data[n] = '\0';
    return cJSON_Parse(data);
}

static const struct {
    enum page_api_doc doc;
    const char *sample;
} shapes[] = {
    {PAGE_API_SUMMARY, "github-summary-2022-11-25.json"},
    {PAGE_API_SUMMARY, "discord-summary.json"},
    {PAGE_API_STATUS, "discord-status.json"},
    {PAGE_API_COMPONENTS, "github-components-2021.json"},
    {PAGE_API_COMPONENTS, "discord-components.json"},
    {PAGE_API_INCIDENTS, "discord-incidents.json"},
    {PAGE_API_UNRESOLVED, "discord-incidents-unresolved.json"},
    {PAGE_API_MAINTENANCES, "discord-scheduled-maintenances.json"},
    {PAGE_API_MAINTENANCES_UPCOMING, "discord-scheduled-maintenances-upcoming.json"},
    {PAGE_API_MAINTENANCES_ACTIVE, "discord-scheduled-maintenances-active.json"},
};

static void test_api_shapes(void)
{
    if (shared_dir == NULL)
        return;
    for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        cJSON *ref = load_sample(shapes[i].sample);
        CHECK_MSG(ref != NULL, "%s", shapes[i].sample);
        char *s = render_api(shapes[i].doc);
        cJSON *ours = cJSON_Parse(s);
        free(s);
        int ok = same_shape(ours, ref, shapes[i].sample);
        cJSON_Delete(ours);
        cJSON_Delete(ref);
        CHECK_MSG(ok, "%s", shapes[i].sample);
    }
}

/* Component groups: flat rows with group true and their members' ids, as Instructure's page. */
static const struct page_component grouped[] = {
    {1, "EU", NULL, "operational", 1, 1700000000000, "Regions <all>", NULL, -1},
    {2, "US", NULL, "partial_outage", 2, 1700000000000, "Regions <all>", NULL, -1},
    {3, "API", NULL, "operational", 3, 1700000000000, NULL, NULL, -1},
};

static void test_groups(void)
{
    struct page p = test_page();
    struct buf b;
    p.components = grouped;
    p.ncomponents = 3;
    buf_init(&b, PAGE_MAX_BODY);
    CHECK(page_api_render(&p, PAGE_API_COMPONENTS, &b) == BOT_OK);
    cJSON *j = cJSON_Parse(buf_str(&b));
    buf_free(&b);
    CHECK(j != NULL);
    cJSON *arr = cJSON_GetObjectItem(j, "components");
    int n = cJSON_GetArraySize(arr);
    cJSON *g = cJSON_GetArrayItem(arr, 0), *eu = cJSON_GetArrayItem(arr, 1);
    int ok = n == 4 && cJSON_IsTrue(cJSON_GetObjectItem(g, "group")) &&
             strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(g, "status")), "partial_outage") == 0 &&
             cJSON_GetArraySize(cJSON_GetObjectItem(g, "components")) == 2 &&
             strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(eu, "group_id")),
                    cJSON_GetStringValue(cJSON_GetObjectItem(g, "id"))) == 0 &&
             cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 3), "group_id"));
    cJSON_Delete(j);
    CHECK(ok);
    if (shared_dir) { /* the group row and its first member against Instructure's capture */
        cJSON *ref = load_sample("instructure-summary-2021.json");
        CHECK(ref != NULL);
        buf_init(&b, PAGE_MAX_BODY);
        CHECK(page_api_render(&p, PAGE_API_SUMMARY, &b) == BOT_OK);
        cJSON *ours = cJSON_Parse(buf_str(&b));
        buf_free(&b);
        cJSON *oc = cJSON_GetObjectItem(ours, "components"),
              *rc = cJSON_GetObjectItem(ref, "components");
        int gi = 0; /* the capture's first group row; its first member follows it */
        while (gi < cJSON_GetArraySize(rc) &&
               !cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetArrayItem(rc, gi), "group")))
            gi++;
        ok = gi + 1 < cJSON_GetArraySize(rc) &&
             same_shape(cJSON_GetArrayItem(oc, 0), cJSON_GetArrayItem(rc, gi), "group") &&
             same_shape(cJSON_GetArrayItem(oc, 1), cJSON_GetArrayItem(rc, gi + 1), "member");
        cJSON_Delete(ours);
        cJSON_Delete(ref);
        CHECK(ok);
    }
    buf_init(&b, PAGE_MAX_BODY);
    CHECK(page_html_render_index(&p, &b) == BOT_OK);
    CHECK_CONTAINS(buf_str(&b), "<li class=\"grp\"><strong>Regions &lt;all&gt;</strong></li>");
    buf_free(&b);
}

static void test_html(void)
{
    struct page p = test_page();
    struct buf b;
    buf_init(&b, PAGE_MAX_BODY);
    CHECK(page_html_render_index(&p, &b) == BOT_OK);
    const char *s = buf_str(&b);
    CHECK(strstr(s, "<script") == NULL);
    CHECK_CONTAINS(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39; caf\xc3\xa9");
    CHECK_CONTAINS(s, "Major System Outage");
    CHECK_CONTAINS(s, "href=\"/incidents/api-down\"");
    CHECK_CONTAINS(s, "name=\"viewport\"");
    CHECK_CONTAINS(s, "href=\"/style.css\"");
    CHECK_CONTAINS(s, "<span class=\"r0\"></span><span class=\"r3\"></span></div>");
    CHECK_CONTAINS(s, "99.7 % uptime");
    CHECK(strstr(page_html_css(), "max-width") != NULL);
    CHECK_CONTAINS(s, "Still on it.");
    CHECK_CONTAINS(s, "Slow logins"); /* history, though not active */
    CHECK(strstr(s, "Root cause") == NULL); /* a postmortem is on its incident's page */
    buf_reset(&b);
    CHECK(page_html_render_incident(&p, &incidents[1], &b) == BOT_OK);
    s = buf_str(&b);
    /* Its own section, before the updates, rendered from its Markdown, every character escaped. */
    CHECK_CONTAINS(s, "<section class=\"pm\" id=\"postmortem\">\n<h2>Postmortem</h2>\n"
                      "<p><small>Postmortem published Nov 03, 2023 08:36 UTC, updated Nov 04, "
                      "2023 12:13 UTC</small></p>\n<h4>Impact</h4>\n"
                      "<p>Root cause: a <strong>bad</strong> &lt;b&gt;index&lt;/b&gt;.</p>\n"
                      "<ul>\n<li>one</li>\n<li><a href=\"https://x.example/?a=1&amp;b=2\" "
                      "rel=\"nofollow noopener\">two</a></li>\n</ul>\n"
                      "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n</section>\n"
                      "<h2>Updates</h2>\n");
    CHECK(strstr(s, "<b>") == NULL && strstr(s, "<script") == NULL);
    CHECK(strstr(s, "<strong>Postmortem</strong>") == NULL); /* no longer one more update */
    buf_free(&b);
    /* Published once, never amended: no "updated". */
    struct page_incident once = incidents[1];
    once.postmortem_updated_at = 0;
    buf_init(&b, PAGE_MAX_BODY);
    CHECK(page_html_render_incident(&p, &once, &b) == BOT_OK);
    CHECK_CONTAINS(buf_str(&b), "<p><small>Postmortem published Nov 03, 2023 08:36 UTC</small>");
    buf_free(&b);
}

static void test_feeds(void)
{
    struct page p = test_page();
    struct buf b;
    buf_init(&b, PAGE_MAX_BODY);
    CHECK(page_feed_render_atom(&p, &b) == BOT_OK);
    const char *s = buf_str(&b);
    CHECK_CONTAINS(s, "<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">");
    CHECK_CONTAINS(s, "<id>tag:status.example.com,2005:Incident/7</id>");
    CHECK_CONTAINS(s, "href=\"https://status.example.com/incidents/api-down\"");
    CHECK(strstr(s, "<script") == NULL);
    /* user text: HTML-escaped inside the content, then XML-escaped with it */
    CHECK_CONTAINS(s, "&amp;lt;script&amp;gt;");
    CHECK_CONTAINS(s, "&lt;strong&gt;Identified&lt;/strong&gt; - Found it.");
    CHECK_CONTAINS(s, "&lt;strong&gt;Update&lt;/strong&gt; - Still on it.");
    CHECK_CONTAINS(s, "<title>&lt;script&gt;");
    buf_reset(&b);
    CHECK(page_feed_render_rss(&p, &b) == BOT_OK);
    s = buf_str(&b);
    CHECK_CONTAINS(s, "<rss version=\"2.0\"");
    /* An incident with a postmortem: a new guid for each publication, so readers show it. */
    CHECK_CONTAINS(s, "<guid>https://status.example.com/incidents/i00000000003#postmortem-"
                      "1699100000000</guid>");
    CHECK_CONTAINS(s, "&lt;strong&gt;Postmortem&lt;/strong&gt; (updated)&lt;/p&gt;&lt;h4&gt;"
                      "Impact&lt;/h4&gt;");
    CHECK_CONTAINS(s, "&lt;strong&gt;bad&lt;/strong&gt; &amp;lt;b&amp;gt;index");
    CHECK_CONTAINS(s, "<pubDate>Sat, 04 Nov 2023 12:13:20 +0000</pubDate>");
    CHECK(strstr(s, "<script") == NULL);
    buf_reset(&b);
    CHECK(page_feed_render_atom(&p, &b) == BOT_OK);
    s = buf_str(&b);
    CHECK_CONTAINS(s, "<id>tag:status.example.com,2005:Incident/3/postmortem/1699100000000</id>");
    CHECK_CONTAINS(s, "<updated>2023-11-04T12:13:20Z</updated>");
    /* Amended again: another id; the incident without one keeps its plain id. */
    struct page_incident again[2] = {incidents[0], incidents[1]};
    again[1].postmortem_updated_at += 3600000;
    p.incidents = again;
    buf_reset(&b);
    CHECK(page_feed_render_atom(&p, &b) == BOT_OK);
    s = buf_str(&b);
    CHECK_CONTAINS(s, "<id>tag:status.example.com,2005:Incident/3/postmortem/1699103600000</id>");
    CHECK_CONTAINS(s, "<id>tag:status.example.com,2005:Incident/7</id>");
    buf_free(&b);
}

static void test_bounded(void)
{
    struct page p = test_page();
    struct buf b;
    buf_init(&b, 100);
    CHECK(page_html_render_index(&p, &b) == BOT_ETOOBIG);
    buf_free(&b);
    buf_init(&b, 100);
    CHECK(page_api_render(&p, PAGE_API_SUMMARY, &b) == BOT_ETOOBIG);
    buf_free(&b);
}

int main(int argc, char **argv)
{
    shared_dir = argc > 1 ? argv[1] : NULL;
    RUN(test_escape);
    RUN(test_ids);
    RUN(test_api_content);
    RUN(test_api_shapes);
    RUN(test_groups);
    RUN(test_html);
    RUN(test_feeds);
    RUN(test_bounded);
    return CHECK_DONE();
}
