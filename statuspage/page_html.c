/*
 * HTML of the built-in status page (see page_html.h). Text from users is
 * only ever written through esc() or, for the postmortem's Markdown,
 * page_md_render(), which escapes every character too; everything else is
 * fixed markup.
 */
#include "page_html.h"

#include <string.h>
#include <time.h>

#include "page_md.h"

static enum bot_rc escape(struct buf *out, const char *s, size_t len, int xml)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0;
    for (size_t i = 0; i < len && rc == BOT_OK; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *ent = NULL;
        switch (c) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
        default:
            if (xml && c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
                ent = ""; /* not allowed in XML 1.0 at all */
                break;
            }
            continue;
        }
        rc = buf_add(out, s + start, i - start);
        if (rc == BOT_OK)
            rc = buf_addstr(out, ent);
        start = i + 1;
    }
    if (rc == BOT_OK)
        rc = buf_add(out, s + start, len - start);
    return rc;
}

enum bot_rc page_html_escape(struct buf *out, const char *s, size_t len)
{
    return escape(out, s, len, 0);
}

enum bot_rc page_xml_escape(struct buf *out, const char *s, size_t len)
{
    return escape(out, s, len, 1);
}

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
#define ESC(s)                                                                                     \
    do {                                                                                           \
        if (rc == BOT_OK)                                                                          \
            rc = esc(out, (s));                                                                    \
    } while (0)

static enum bot_rc esc(struct buf *out, const char *s)
{
    return s ? page_html_escape(out, s, strlen(s)) : BOT_OK;
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;"
    "max-width:52rem;padding:1rem;color:#222;line-height:1.45}"
    "h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}"
    ".banner{padding:1rem;border-radius:6px;color:#fff;font-weight:600;font-size:1.1rem}"
    ".none{background:#2e8540}.minor{background:#c7a000}.major{background:#e8710a}"
    ".critical{background:#c62828}"
    "ul.comps{list-style:none;padding:0}ul.comps li{display:flex;justify-content:space-between;"
    "flex-wrap:wrap;padding:.6rem 0;border-bottom:1px solid #eee}"
    ".st{font-size:.9rem}.operational{color:#2e8540}.degraded_performance{color:#a08000}"
    ".partial_outage{color:#e8710a}.major_outage{color:#c62828}.under_maintenance{color:#1565c0}"
    ".desc{display:block;color:#666;font-size:.85rem}"
    ".upd{margin:.5rem 0}.upd p{margin:.2rem 0;white-space:pre-wrap;overflow-wrap:anywhere}"
    "small,.day{color:#666}.day{font-weight:600;margin-top:1rem}"
    "li.grp{border-bottom:none;padding-bottom:0}li.member{padding-left:1rem}"
    ".bar{display:flex;gap:1px;height:1.5rem;width:100%;margin-top:.3rem}.bar span{flex:1}"
    ".r0{background:#2e8540}.r1{background:#1565c0}.r2{background:#c7a000}"
    ".r3{background:#e8710a}.r4{background:#c62828}.up{display:block;width:100%;color:#666}"
    "a{color:#1565c0}"
    ".pm h3,.pm h4,.pm h5,.pm h6{font-size:1rem;margin:1rem 0 .3rem}"
    ".pm p,.pm li{overflow-wrap:anywhere}.pm .raw{white-space:pre-wrap}"
    "code{font-size:.9em;background:#f3f3f3;padding:0 .2em}";

const char *page_html_css(void)
{
    return css;
}

static void fmt_time(char out[40], int64_t ms, int with_time)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, 40, with_time ? "%b %d, %Y %H:%M UTC" :
                                             "%b %d, %Y", &tm) == 0)
        memcpy(out, "?", 2);
}

static const char *component_label(const char *status)
{
    static const struct { const char *status, *label; } labels[] = {
        {"operational", "Operational"},
        {"degraded_performance", "Degraded Performance"},
        {"partial_outage", "Partial Outage"},
        {"major_outage", "Major Outage"},
        {"under_maintenance", "Under Maintenance"},
    };
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (status && strcmp(status, labels[i].status) == 0)
            return labels[i].label;
    return "Operational";
}

static const char *status_label(const char *status)
{
    static const struct { const char *status, *label; } labels[] = {
        {"investigating", "Investigating"}, {"identified", "Identified"},
        {"monitoring", "Monitoring"},       {"resolved", "Resolved"},
        {"postmortem", "Postmortem"},
    };
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
        if (strcmp(status, labels[i].status) == 0)
            return labels[i].label;
    return "Update";
}

/* The path of the incident's page: /incidents/<slug or public id>. */
static void incident_key(const struct page_incident *inc, char id[PAGE_ID_LEN + 1],
                         const char **key)
{
    page_id(id, 'i', inc->id);
    *key = inc->slug && *inc->slug ? inc->slug : id;
}

static enum bot_rc head(const struct page *p, const char *title, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    ADD("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>");
    if (title) {
        ESC(title);
        ADD(" - ");
    }
    ESC(p->name);
    /* The stylesheet is its own document: lws's security headers forbid inline styles. */
    ADD("</title><link rel=\"alternate\" type=\"application/atom+xml\" href=\"/history.atom\">"
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n");
    return rc;
}

/*
 * The postmortem as Statuspage shows it: a section of its own on the
 * incident's page (not one more update), its Markdown rendered, with when
 * it was published and, once amended, when it was updated.
 */
static enum bot_rc postmortem(const struct page_incident *inc, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    char when[40];
    if (page_postmortem_latest(inc) == 0)
        return BOT_OK;
    fmt_time(when, inc->postmortem_at, 1);
    ADDF("<section class=\"pm\" id=\"postmortem\">\n<h2>Postmortem</h2>\n"
         "<p><small>Postmortem published %s", when);
    if (inc->postmortem_updated_at > inc->postmortem_at) {
        fmt_time(when, inc->postmortem_updated_at, 1);
        ADDF(", updated %s", when);
    }
    ADD("</small></p>\n");
    size_t n = strlen(inc->postmortem);
    if (n <= PAGE_MD_MAX_INPUT) {
        if (rc == BOT_OK)
            rc = page_md_render(out, inc->postmortem, n, 3);
    } else { /* longer than the plan ever writes: shown, as text */
        ADD("<p class=\"raw\">");
        ESC(inc->postmortem);
        ADD("</p>\n");
    }
    ADD("</section>\n");
    return rc;
}

static enum bot_rc updates(const struct page_incident *inc, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    char when[40];
    for (size_t i = inc->nupdates; i-- > 0;) {
        const struct page_update *u = &inc->updates[i];
        fmt_time(when, u->at, 1);
        ADDF("<div class=\"upd\"><p><strong>%s</strong> - ",
             status_label(page_status_public(u->status)));
        if (u->html != NULL)
            ADD(u->html);
        else
            ESC(u->body);
        ADDF("</p><small>%s</small></div>\n", when);
    }
    return rc;
}

static enum bot_rc incident_link(const struct page_incident *inc, struct buf *out)
{
    enum bot_rc rc = BOT_OK;
    char id[PAGE_ID_LEN + 1];
    const char *key;
    incident_key(inc, id, &key);
    ADD("<a href=\"/incidents/");
    ESC(key);
    ADD("\">");
    ESC(inc->name);
    ADD("</a>");
    return rc;
}

enum bot_rc page_html_render_index(const struct page *p, struct buf *out)
{
    enum bot_rc rc = head(p, NULL, out);
    const char *ind = page_indicator(p);
    int64_t day0 = p->now - p->now % 86400000;
    size_t open = 0;
    ADD("<h1>");
    ESC(p->name);
    ADDF("</h1>\n<div class=\"banner %s\">%s</div>\n", ind, page_indicator_text(ind));
    for (size_t i = 0; i < p->nincidents; i++) {
        const struct page_incident *inc = &p->incidents[i];
        if (!page_incident_open(inc))
            continue;
        if (open++ == 0)
            ADD("<h2>Active incidents</h2>\n");
        ADDF("<h3 class=\"inc\">");
        if (rc == BOT_OK)
            rc = incident_link(inc, out);
        ADDF(" <small>(%s impact)</small></h3>\n", page_impact(inc->severity));
        if (rc == BOT_OK)
            rc = updates(inc, out);
    }
    if (p->ncomponents > 0) {
        ADD("<h2>Components</h2>\n<ul class=\"comps\">\n");
        for (size_t i = 0; i < p->ncomponents; i++) {
            const struct page_component *c = &p->components[i];
            const char *st = c->status ? c->status : "operational";
            if (c->group && *c->group &&
                (i == 0 || !p->components[i - 1].group ||
                 strcmp(p->components[i - 1].group, c->group) != 0)) {
                ADD("<li class=\"grp\"><strong>");
                ESC(c->group);
                ADD("</strong></li>\n");
            }
            ADD(c->group && *c->group ? "<li class=\"member\"><span>" : "<li><span>");
            ESC(c->name);
            if (c->description && *c->description) {
                ADD("<span class=\"desc\">");
                ESC(c->description);
                ADD("</span>");
            }
            ADD("</span><span class=\"st ");
            ESC(st);
            ADDF("\">%s</span>", component_label(st));
            if (c->days) {
                /* The 90-day bar: one cell per day, coloured by that day's worst status. */
                ADD("<div class=\"bar\">");
                for (int d = 0; d < PAGE_HISTORY_DAYS; d++)
                    ADDF("<span class=\"r%d\"></span>", c->days[d] <= PAGE_RANK_MAJOR ?
                                                            c->days[d] : 0);
                ADD("</div>");
                if (c->uptime_permille >= 0)
                    ADDF("<small class=\"up\">%d days ago &middot; %d.%d %% uptime &middot; "
                         "today</small>", PAGE_HISTORY_DAYS, c->uptime_permille / 10,
                         c->uptime_permille % 10);
            }
            ADD("</li>\n");
        }
        ADD("</ul>\n");
    }
    ADDF("<h2>Past incidents</h2>\n");
    for (int d = 0; d < PAGE_HISTORY_DAYS && rc == BOT_OK; d++) {
        int64_t from = day0 - (int64_t)d * 86400000, to = from + 86400000;
        char when[40];
        size_t shown = 0;
        fmt_time(when, from, 0);
        ADDF("<div class=\"day\">%s</div>\n", when);
        for (size_t i = 0; i < p->nincidents; i++) {
            const struct page_incident *inc = &p->incidents[i];
            int64_t at = inc->started_at > 0 ? inc->started_at : inc->published_at;
            if (at < from || at >= to)
                continue;
            shown++;
            ADD("<p>");
            if (rc == BOT_OK)
                rc = incident_link(inc, out);
            ADDF(" <small>%s</small></p>\n", status_label(page_incident_status(inc)));
        }
        if (shown == 0)
            ADD("<p><small>No incidents reported.</small></p>\n");
    }
    ADD("<p><small><a href=\"/history.atom\">Atom</a> · <a href=\"/history.rss\">RSS</a> · "
        "<a href=\"/api/v2/summary.json\">JSON</a></small></p>\n</body></html>\n");
    return rc;
}

enum bot_rc page_html_render_incident(const struct page *p, const struct page_incident *inc,
                                      struct buf *out)
{
    enum bot_rc rc = head(p, inc->name, out);
    ADD("<p><a href=\"/\">&larr; ");
    ESC(p->name);
    ADD("</a></p>\n<h1>");
    ESC(inc->name);
    ADDF("</h1>\n<p class=\"banner %s\">%s &middot; %s impact</p>\n", page_impact(inc->severity),
         status_label(page_incident_status(inc)), page_impact(inc->severity));
    if (inc->ncomponents > 0) {
        ADD("<p>Affected: ");
        for (size_t i = 0; i < inc->ncomponents; i++) {
            if (i > 0)
                ADD(", ");
            ESC(inc->components[i]);
        }
        ADD("</p>\n");
    }
    if (rc == BOT_OK)
        rc = postmortem(inc, out);
    ADD("<h2>Updates</h2>\n");
    if (rc == BOT_OK)
        rc = updates(inc, out);
    ADD("</body></html>\n");
    return rc;
}

enum bot_rc page_html_render_not_found(const struct page *p, struct buf *out)
{
    enum bot_rc rc = head(p, "Not found", out);
    ADD("<h1>Not found</h1><p><a href=\"/\">Back to the status page</a></p></body></html>\n");
    return rc;
}
