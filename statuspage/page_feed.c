/*
 * Atom and RSS history feeds (see page_feed.h). An entry's content is built
 * as HTML first (user text HTML-escaped, the postmortem's Markdown rendered
 * by page_md.h) and then XML-escaped as a whole, which is how Statuspage's
 * feeds carry it.
 */
#include "page_feed.h"

#include <string.h>
#include <time.h>

#include "page_html.h"
#include "page_md.h"

#define ADD(s)                                                                                     \
    do {                                                                                           \
        if (rc == BOT_OK)                                                                          \
            rc = buf_addstr(out, (s));                                                             \
    } while (0)
#define ADDF(...)                                                                                  \
    do {                                                                                           \
        if (rc == BOT_OK)                                                                          \
            rc = buf_addf(out, __VA_ARGS__);                                                       \
    } while (0)
#define XESC(s)                                                                                    \
    do {                                                                                           \
        if (rc == BOT_OK)                                                                          \
            rc = xesc(out, (s));                                                                   \
    } while (0)

static enum bot_rc xesc(struct buf *out, const char *s)
{
    return s ? page_xml_escape(out, s, strlen(s)) : BOT_OK;
}

/* f is always one of this file's literals. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void fmt(char out[48], int64_t ms, const char *f)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 48, f, &tm) == 0)
        memcpy(out, "?", 2);
}
#pragma GCC diagnostic pop

static const char *label(const char *status)
{
    static const char *const names[][2] = {
        {"investigating", "Investigating"}, {"identified", "Identified"},
        {"monitoring", "Monitoring"},       {"resolved", "Resolved"},
        {"postmortem", "Postmortem"},
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(status, names[i][0]) == 0)
            return names[i][1];
    return "Update";
}

static enum bot_rc one_update(struct buf *h, int64_t at, const char *lbl, const char *body)
{
    char mon[48], day[48], hm[48];
    enum bot_rc rc;
    fmt(mon, at, "%b");
    fmt(day, at, "%d");
    fmt(hm, at, "%H:%M");
    rc = buf_addf(h, "<p><small>%s <var data-var='date'>%s</var>, <var data-var='time'>%s</var>"
                     " UTC</small><br><strong>%s</strong> - ", mon, day[0] == '0' ? day + 1 : day,
                  hm, lbl);
    if (rc == BOT_OK)
        rc = page_html_escape(h, body ? body : "", body ? strlen(body) : 0);
    if (rc == BOT_OK)
        rc = buf_addstr(h, "</p>");
    return rc;
}

/* The postmortem, newest first as Statuspage's feeds put it: a dated label, then its HTML. */
static enum bot_rc postmortem(struct buf *h, const struct page_incident *inc)
{
    char mon[48], day[48], hm[48];
    int64_t at = page_postmortem_latest(inc);
    size_t n = strlen(inc->postmortem);
    enum bot_rc rc;
    fmt(mon, at, "%b");
    fmt(day, at, "%d");
    fmt(hm, at, "%H:%M");
    rc = buf_addf(h, "<p><small>%s <var data-var='date'>%s</var>, <var data-var='time'>%s</var>"
                     " UTC</small><br><strong>Postmortem</strong>%s</p>", mon,
                  day[0] == '0' ? day + 1 : day, hm,
                  inc->postmortem_updated_at > inc->postmortem_at ? " (updated)" : "");
    if (rc == BOT_OK && n <= PAGE_MD_MAX_INPUT)
        rc = page_md_render(h, inc->postmortem, n, 3);
    else if (rc == BOT_OK) /* longer than the plan ever writes: as text */
        rc = page_html_escape(h, inc->postmortem, n);
    return rc;
}

/* The entry's content as escaped HTML, appended to out. */
static enum bot_rc content(const struct page_incident *inc, struct buf *out)
{
    struct buf h;
    enum bot_rc rc = BOT_OK;
    buf_init(&h, out->max);
    if (page_postmortem_latest(inc) > 0)
        rc = postmortem(&h, inc);
    for (size_t i = inc->nupdates; i-- > 0 && rc == BOT_OK;) {
        const char *st = page_status_public(inc->updates[i].status);
        /* The status name when it changed, else "Update", as Statuspage labels them. */
        int changed = i == 0 || strcmp(st, page_status_public(inc->updates[i - 1].status)) != 0;
        rc = one_update(&h, inc->updates[i].at, changed ? label(st) : "Update",
                        inc->updates[i].body);
    }
    if (rc == BOT_OK)
        rc = page_xml_escape(out, buf_str(&h), h.len);
    buf_free(&h);
    return rc;
}

/* host of "https://host/..." for tag: URIs. */
static void url_host(const char *url, char out[256])
{
    const char *s = url ? strstr(url, "://") : NULL;
    size_t n;
    s = s ? s + 3 : (url ? url : "");
    n = strcspn(s, "/:");
    if (n == 0 || n > 255) {
        memcpy(out, "localhost", 10);
        return;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static void key_of(const struct page_incident *inc, char id[PAGE_ID_LEN + 1], const char **key)
{
    page_id(id, 'i', inc->id);
    *key = inc->slug && *inc->slug ? inc->slug : id;
}

enum bot_rc page_feed_render_atom(const struct page *p, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    char host[256], t[48], id[PAGE_ID_LEN + 1];
    int64_t upd = page_updated(p) > 0 ? page_updated(p) : p->now;
    url_host(p->url, host);
    fmt(t, upd, "%Y-%m-%dT%H:%M:%SZ");
    ADD("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<feed xml:lang=\"en-US\" xmlns=\"http://www.w3.org/2005/Atom\">\n  <id>tag:");
    XESC(host);
    ADD(",2005:/history</id>\n  <link rel=\"alternate\" type=\"text/html\" href=\"");
    XESC(p->url);
    ADD("\"/>\n  <link rel=\"self\" type=\"application/atom+xml\" href=\"");
    XESC(p->url);
    ADD("/history.atom\"/>\n  <title>");
    XESC(p->name);
    ADDF(" - Incident History</title>\n  <updated>%s</updated>\n  <author>\n    <name>", t);
    XESC(p->name);
    ADD("</name>\n  </author>\n");
    for (size_t i = 0; i < p->nincidents && i < PAGE_FEED_MAX_ENTRIES; i++) {
        const struct page_incident *inc = &p->incidents[i];
        const char *key;
        key_of(inc, id, &key);
        ADD("  <entry>\n    <id>tag:");
        XESC(host);
        ADDF(",2005:Incident/%lld", (long long)inc->id);
        if (page_postmortem_latest(inc) > 0) /* a new id: see page_feed.h */
            ADDF("/postmortem/%lld", (long long)page_postmortem_latest(inc));
        ADD("</id>\n");
        fmt(t, inc->published_at, "%Y-%m-%dT%H:%M:%SZ");
        ADDF("    <published>%s</published>\n", t);
        fmt(t, page_incident_updated(inc), "%Y-%m-%dT%H:%M:%SZ");
        ADDF("    <updated>%s</updated>\n    <link rel=\"alternate\" type=\"text/html\" href=\"", t);
        XESC(p->url);
        ADD("/incidents/");
        XESC(key);
        ADD("\"/>\n    <title>");
        XESC(inc->name);
        ADD("</title>\n    <content type=\"html\">");
        if (rc == BOT_OK)
            rc = content(inc, out);
        ADD("</content>\n  </entry>\n");
    }
    ADD("</feed>\n");
    return rc;
}

enum bot_rc page_feed_render_rss(const struct page *p, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    static const char rfc822[] = "%a, %d %b %Y %H:%M:%S +0000";
    char t[48], id[PAGE_ID_LEN + 1];
    fmt(t, page_updated(p) > 0 ? page_updated(p) : p->now, rfc822);
    ADD("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">\n  <channel>\n"
        "    <title>");
    XESC(p->name);
    ADD(" - Incident History</title>\n    <link>");
    XESC(p->url);
    ADDF("</link>\n    <description>Statuspage</description>\n    <pubDate>%s</pubDate>\n", t);
    for (size_t i = 0; i < p->nincidents && i < PAGE_FEED_MAX_ENTRIES; i++) {
        const struct page_incident *inc = &p->incidents[i];
        const char *key;
        key_of(inc, id, &key);
        ADD("    <item>\n      <title>");
        XESC(inc->name);
        ADD("</title>\n      <description>");
        if (rc == BOT_OK)
            rc = content(inc, out);
        fmt(t, page_incident_updated(inc), rfc822);
        ADDF("</description>\n      <pubDate>%s</pubDate>\n      <link>", t);
        XESC(p->url);
        ADD("/incidents/");
        XESC(key);
        ADD("</link>\n      <guid>");
        XESC(p->url);
        ADD("/incidents/");
        XESC(key);
        if (page_postmortem_latest(inc) > 0) /* a new guid: see page_feed.h */
            ADDF("#postmortem-%lld", (long long)page_postmortem_latest(inc));
        ADD("</guid>\n    </item>\n");
    }
    ADD("  </channel>\n</rss>\n");
    return rc;
}
