/*
 * HTTP routes of the built-in server (see http.h): the status page (HTML,
 * Statuspage API v2 JSON, Atom/RSS feeds) on the public listener, /healthz
 * and /metrics (Prometheus text) on the internal one; routes[] says which.
 *
 * The page is rendered on the loop thread from a snapshot of the store read
 * in one read transaction on the page's own connection, whose busy timeout
 * is HTTP_PAGE_BUSY_MS (components, the published incidents of the last PAGE_HISTORY_DAYS,
 * their public timeline and components). The snapshot and every rendered
 * document are cached for HTTP_PAGE_TTL_MS, so a traffic spike costs one
 * render per document per TTL, not one per request; when the store is busy
 * at a refresh the cached ones are served (stale) and the loop does not
 * wait. ETag (a hash of the body) with If-None-Match answers 304 without a
 * body. Each route names its methods (405 with Allow otherwise).
 *
 * Abuse (see http.h): connection caps in FILTER_NETWORK_CONNECTION, counted
 * by descriptor; upgrades refused in HTTP_CONFIRM_UPGRADE; timeouts set with
 * lws_set_timeout; a failed accept() pauses the listeners (on_lws_log).
 * Each response is copied into a per-connection buffer and written when lws
 * says the socket is writable, so a slow reader never blocks the loop.
 */
#include "http.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include "audience.h"
#include "bot_internal.h"
#include "buf.h"
#include "config.h"
#include "log.h"
#include "page_api.h"
#include "page_feed.h"
#include "page_html.h"
#include "page_md.h"
#include "slack_text.h"
#include "store.h"
#include "store_component.h"
#include "store_incident.h"
#include "store_timeline.h"
#include "xmalloc.h"

#define HTTP_MAX_TEXT_HTML (512 * 1024) /* bytes of one converted public text */
#define CT_JSON "application/json"
#define CT_HTML "text/html; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"

#define GH (HTTP_GET | HTTP_HEAD) /* what every route answers today */

enum route_kind { R_HEALTHZ, R_METRICS, R_INDEX, R_CSS, R_API, R_ATOM, R_RSS, R_INCIDENT };

/*
 * Every route, with the listeners it is served on (enum http_listener bits):
 * what shows internal state (open incidents by severity, queue depths, the
 * Slack links) is internal only; the public listener serves the page alone.
 */
static const struct http_route {
    const char *path;
    enum route_kind kind;
    enum page_api_doc doc;
    const char *ctype;
    unsigned listeners;
    unsigned methods; /* enum http_method bits */
} routes[] = {
    {"/healthz", R_HEALTHZ, 0, CT_JSON, HTTP_INTERNAL, GH},
    {"/metrics", R_METRICS, 0, "text/plain; version=0.0.4; charset=utf-8", HTTP_INTERNAL, GH},
    {"/", R_INDEX, 0, CT_HTML, HTTP_PUBLIC, GH},
    {"/index.html", R_INDEX, 0, CT_HTML, HTTP_PUBLIC, GH},
    {"/style.css", R_CSS, 0, "text/css; charset=utf-8", HTTP_PUBLIC, GH},
    {"/api/v2/summary.json", R_API, PAGE_API_SUMMARY, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/status.json", R_API, PAGE_API_STATUS, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/components.json", R_API, PAGE_API_COMPONENTS, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/incidents.json", R_API, PAGE_API_INCIDENTS, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/incidents/unresolved.json", R_API, PAGE_API_UNRESOLVED, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/scheduled-maintenances.json", R_API, PAGE_API_MAINTENANCES, CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/scheduled-maintenances/upcoming.json", R_API, PAGE_API_MAINTENANCES_UPCOMING,
     CT_JSON, HTTP_PUBLIC, GH},
    {"/api/v2/scheduled-maintenances/active.json", R_API, PAGE_API_MAINTENANCES_ACTIVE, CT_JSON,
     HTTP_PUBLIC, GH},
    {"/history.atom", R_ATOM, 0, "application/atom+xml; charset=utf-8", HTTP_PUBLIC, GH},
    {"/history.rss", R_RSS, 0, "application/rss+xml; charset=utf-8", HTTP_PUBLIC, GH},
};

/* /incidents/<id or slug>: matched by prefix, after the exact paths of routes[]. */
static const struct http_route incident_route = {"/incidents/", R_INCIDENT, 0, CT_HTML,
                                                 HTTP_PUBLIC, GH};

/* The store rows a snapshot was built from, and the page structs pointing into them. */
struct http_snapshot {
    struct store_component *comps;
    size_t ncomps;
    struct store_incident *incs;
    size_t nincs;
    struct store_timeline_entry **tl;
    size_t *ntl;
    struct store_component_link **links;
    size_t *nlinks;
    struct page_component *pcomps;
    size_t npcomps;
    unsigned char (*days)[PAGE_HISTORY_DAYS]; /* the uptime bar of pcomps[i] */
    struct page_incident *pincs;
    struct page_update **pups;
    const char ***pnames;
    char **pm; /* each incident's postmortem as plain text (slack_text_plain), or NULL */
    char *url; /* [statuspage] url without its trailing '/' */
    char **owned; /* texts converted for the public (names, update bodies), freed with it */
    size_t nowned, capowned;
    struct page page;
};

struct http_entry {
    char *path; /* NULL: free slot */
    struct http_body *body; /* shared with the connections sending it */
    size_t len;
    const char *ctype;
    char etag[24];
    int64_t modified;
};

/* A client address (IPv4 as IPv4-mapped IPv6) and its open connections on a listener. */
struct http_peer {
    unsigned char addr[16];
    unsigned n;
};

struct http_conn_slot {
    unsigned char addr[16];
    bool used;
};

/* Per-vhost state of the protocol (lws_protocol_vh_priv_zalloc). */
struct http_cache {
    int64_t loaded_at;
    struct http_snapshot *snap;
    struct http_entry e[HTTP_CACHE_SLOTS];
    size_t next; /* slot replaced next when all are taken */
    /*
     * The page's own read connection (busy timeout 0), so that a database locked by another
     * connection or process makes the page stale, never the loop thread wait; NULL until
     * first needed, or for an in-memory database (then the loop's connection is used).
     */
    struct store *page_store;
    bool stale; /* the snapshot is older than the TTL: the store was busy when it expired */
    /* Connection caps (see http.h); max_conns 0: uncapped (the internal listener). */
    unsigned nconns, max_conns, max_per_peer;
    int fd_limit; /* accepted descriptors at or above it are closed at once */
    struct http_peer *peers; /* distinct addresses with open connections, unordered */
    size_t npeers;
    /*
     * The address of each open connection, by descriptor (grown to the highest one seen):
     * lws tells of a closing connection by its descriptor alone, before any session data
     * exists when it never sent a request.
     */
    struct http_conn_slot *slots;
    size_t nslots;
    struct lws *listen_wsi; /* seen by FILTER_NETWORK_CONNECTION; paused after accept() fails */
    lws_sorted_usec_list_t resume; /* lifts that pause */
    lws_sorted_usec_list_t housekeep; /* once a second: the log's repeat counts */
    struct lws_context *ctx;
    unsigned long refused[3]; /* closed at once, by enum refusal, since the last log line */
};

/*
 * A response body after LWS_PRE bytes of room for lws, counted: a cached document is sent
 * from the cache's own copy by every connection that asks for it, instead of a copy each
 * (loop thread only, so a plain count).
 */
struct http_body {
    unsigned refs;
    size_t len;
    char data[]; /* LWS_PRE bytes of room, len bytes, NUL */
};

static struct http_body *body_new(const char *p, size_t len)
{
    struct http_body *b = xmalloc(sizeof(*b) + LWS_PRE + len + 1);
    b->refs = 1;
    b->len = len;
    memcpy(b->data + LWS_PRE, p, len);
    b->data[LWS_PRE + len] = '\0';
    return b;
}

static struct http_body *body_ref(struct http_body *b)
{
    b->refs++;
    return b;
}

static void body_unref(struct http_body *b)
{
    if (b != NULL && --b->refs == 0)
        free(b);
}

struct http_session {
    struct http_body *body; /* the response being sent; NULL when none */
    size_t len, sent;
    int close_after; /* close instead of keeping alive (after a 405) */
    int pending;     /* a 405 waits for the request body to be read */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void snapshot_free(struct http_snapshot *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->nincs; i++) {
        if (s->tl)
            store_timeline_list_free(s->tl[i], s->ntl[i]);
        if (s->links)
            store_component_links_free(s->links[i], s->nlinks[i]);
        if (s->pups)
            free(s->pups[i]);
        if (s->pnames)
            free(s->pnames[i]);
        if (s->pm)
            free(s->pm[i]);
    }
    store_component_list_free(s->comps, s->ncomps);
    store_incident_list_free(s->incs, s->nincs);
    free(s->tl);
    free(s->ntl);
    free(s->links);
    free(s->nlinks);
    free(s->pcomps);
    free(s->days);
    free(s->pincs);
    free(s->pups);
    free(s->pnames);
    free(s->pm);
    for (size_t i = 0; i < s->nowned; i++)
        free(s->owned[i]);
    free(s->owned);
    free(s->url);
    free(s);
}

/* Keeps str (owned) until the snapshot is freed; returns it. */
static const char *snapshot_keep(struct http_snapshot *s, char *str)
{
    if (s->nowned == s->capowned) {
        s->capowned = s->capowned ? s->capowned * 2 : 64;
        s->owned = xrealloc(s->owned, s->capowned * sizeof(*s->owned));
    }
    s->owned[s->nowned++] = str;
    return str;
}

/* Stored text (Slack's form) as an escaped HTML fragment with safe links, kept by s. */
static const char *snapshot_html(struct http_snapshot *s, const char *text,
                                 const struct slack_names *names)
{
    struct buf b;
    buf_init(&b, HTTP_MAX_TEXT_HTML);
    if (slack_text_html(&b, text ? text : "", text ? strlen(text) : 0, names) != BOT_OK) {
        buf_free(&b);
        return NULL; /* the page escapes the plain text instead */
    }
    return snapshot_keep(s, buf_take(&b));
}

/*
 * Fills days (the last PAGE_HISTORY_DAYS UTC days, today last) with the worst
 * rank each had, from the component's status changes h (oldest first, the
 * first one possibly before the window); returns the uptime in permille,
 * counting a major outage as down and a partial one as 30 % down, as
 * Statuspage does.
 */
static int uptime_days(const struct store_component_change *h, size_t n, int64_t now,
                       unsigned char days[PAGE_HISTORY_DAYS])
{
    const int64_t day = 86400000;
    int64_t since = now - now % day - (int64_t)(PAGE_HISTORY_DAYS - 1) * day;
    double down = 0;
    memset(days, PAGE_RANK_OPERATIONAL, PAGE_HISTORY_DAYS);
    for (size_t k = 0; k < n; k++) {
        int64_t from = h[k].at < since ? since : h[k].at;
        int64_t to = k + 1 < n ? h[k + 1].at : now;
        enum page_rank r = page_rank_of(h[k].status);
        if (to > now)
            to = now;
        if (to <= from || r == PAGE_RANK_OPERATIONAL)
            continue;
        down += (double)(to - from) * (r == PAGE_RANK_MAJOR ? 1.0 : r == PAGE_RANK_PARTIAL ? 0.3
                                                                                            : 0.0);
        for (int64_t d = (from - since) / day; d <= (to - 1 - since) / day; d++)
            if (d >= 0 && d < PAGE_HISTORY_DAYS && days[d] < r)
                days[d] = (unsigned char)r;
    }
    if (now <= since)
        return 1000;
    return 1000 - (int)(down * 1000.0 / (double)(now - since) + 0.5);
}

/* A stable id for a configured component the store does not know yet: a hash of its name. */
static int64_t name_id(const char *name)
{
    uint64_t h = 1469598103934665603ull;
    for (const char *q = name; *q; q++) {
        h ^= (unsigned char)*q;
        h *= 1099511628211ull;
    }
    return (int64_t)(h % 3656158440062976ull) + 3656158440062976ull; /* 36^10 .. 2*36^10 */
}

/*
 * The page's components: [[statuspage.components]] when configured (in
 * file order, a group's members moved up to its first one, with status from
 * the store's row of the same name, operational without one), else every
 * row of the store's components table.
 */
static void page_components(const struct config *cfg, struct http_snapshot *s)
{
    size_t n = cfg->n_statuspage_components;
    if (n == 0) {
        if (s->ncomps > 0)
            s->pcomps = xcalloc(s->ncomps, sizeof(*s->pcomps));
        for (size_t i = 0; i < s->ncomps; i++) {
            const struct store_component *c = &s->comps[i];
            s->pcomps[i] = (struct page_component){
                .id = c->id,
                .name = c->name,
                .description = c->description,
                .status = c->status,
                .position = c->position,
                .updated_at = c->updated_at,
                .uptime_permille = -1,
            };
        }
        s->npcomps = s->ncomps;
        return;
    }
    bool *placed = xcalloc(n, sizeof(*placed));
    s->pcomps = xcalloc(n, sizeof(*s->pcomps));
    for (size_t i = 0; i < n; i++) {
        for (size_t j = i; j < n; j++) {
            const struct cfg_component *cc = &cfg->statuspage_components[j];
            const struct store_component *row = NULL;
            if (placed[j] || (j > i && (cc->group[0] == '\0' ||
                                        strcmp(cc->group, cfg->statuspage_components[i].group))))
                continue;
            for (size_t k = 0; k < s->ncomps && row == NULL; k++)
                if (strcmp(s->comps[k].name, cc->name) == 0)
                    row = &s->comps[k];
            placed[j] = true;
            s->pcomps[s->npcomps] = (struct page_component){
                .id = row ? row->id : name_id(cc->name),
                .name = cc->name,
                .description = cc->description,
                .status = row ? row->status : "operational",
                .position = (int64_t)s->npcomps + 1,
                .updated_at = row ? row->updated_at : 0,
                .group = cc->group,
                .uptime_permille = -1,
            };
            s->npcomps++;
        }
    }
    free(placed);
}

/*
 * Appends the published incidents still open that were published before the
 * history window: an incident stays on the page until it is resolved.
 */
static enum bot_rc add_old_open(struct store *st, int64_t now, struct http_snapshot *s,
                                struct bot_err *err)
{
    struct store_incident *open = NULL;
    size_t nopen = 0, keep = 0;
    int64_t since = now - (int64_t)PAGE_HISTORY_DAYS * 86400000;
    enum bot_rc rc = store_incident_list_open(st, &open, &nopen, err);
    if (rc)
        return rc;
    for (size_t i = 0; i < nopen; i++)
        if (open[i].published && open[i].published_at < since)
            keep++;
    if (keep > 0 && s->nincs + keep <= PAGE_MAX_INCIDENTS) {
        s->incs = xreallocarray(s->incs, s->nincs + keep, sizeof(*s->incs));
        for (size_t i = nopen; i-- > 0;) /* oldest first: newest of them goes first */
            if (open[i].published && open[i].published_at < since) {
                s->incs[s->nincs++] = open[i];
                store_incident_init(&open[i]); /* moved: not freed twice */
            }
    }
    store_incident_list_free(open, nopen);
    return BOT_OK;
}

/* Reads what the page shows in one read transaction; *out is the caller's (snapshot_free). */
static enum bot_rc snapshot_load(struct bot *b, struct store *st, int64_t now,
                                 struct http_snapshot **out, struct bot_err *err)
{
    struct http_snapshot *s = xcalloc(1, sizeof(*s));
    /* One read transaction: a consistent snapshot (on the loop's connection, used only for an
       in-memory database, inside its open group commit the reads join that instead). */
    int txn = !store_in_txn(st);
    enum bot_rc rc = BOT_OK;
    if (txn) {
        rc = store_begin_read(st, err);
        if (rc)
            goto out;
    }
    rc = store_component_list(st, &s->comps, &s->ncomps, err);
    if (rc)
        goto out;
    rc = store_incident_list_published(st, now - (int64_t)PAGE_HISTORY_DAYS * 86400000,
                                       PAGE_MAX_INCIDENTS, &s->incs, &s->nincs, err);
    if (rc)
        goto out;
    rc = add_old_open(st, now, s, err);
    if (rc)
        goto out;
    if (s->nincs > 0) {
        s->tl = xcalloc(s->nincs, sizeof(*s->tl));
        s->ntl = xcalloc(s->nincs, sizeof(*s->ntl));
        s->links = xcalloc(s->nincs, sizeof(*s->links));
        s->nlinks = xcalloc(s->nincs, sizeof(*s->nlinks));
        s->pups = xcalloc(s->nincs, sizeof(*s->pups));
        s->pnames = xcalloc(s->nincs, sizeof(*s->pnames));
        s->pm = xcalloc(s->nincs, sizeof(*s->pm));
        s->pincs = xcalloc(s->nincs, sizeof(*s->pincs));
    }
    for (size_t i = 0; i < s->nincs; i++) {
        rc = store_timeline_list(st, s->incs[i].id, 1, &s->tl[i], &s->ntl[i], err);
        if (rc)
            goto out;
        rc = store_incident_component_list(st, s->incs[i].id, &s->links[i], &s->nlinks[i],
                                           err);
        if (rc)
            goto out;
    }
    page_components(b->cfg, s);
    if (s->npcomps > 0)
        s->days = xcalloc(s->npcomps, sizeof(*s->days));
    for (size_t i = 0; i < s->npcomps; i++) {
        struct store_component_change *h = NULL;
        size_t nh = 0;
        rc = store_component_history(st, s->pcomps[i].name, now - now % 86400000 -
                                     (int64_t)(PAGE_HISTORY_DAYS - 1) * 86400000, &h, &nh, err);
        if (rc)
            goto out;
        s->pcomps[i].uptime_permille = uptime_days(h, nh, now, s->days[i]);
        s->pcomps[i].days = s->days[i];
        store_component_history_free(h, nh);
    }
    if (txn) {
        txn = 0;
        rc = store_commit(st, err);
        if (rc)
            goto out;
    }

    /* Texts leave Slack's stored form here, once: plain for the API and feeds, HTML for the
     * page, people named from the workspace directory (read on this connection). */
    struct slack_names names;
    audience_public_names(&names, st);
    for (size_t i = 0; i < s->nincs; i++) {
        const struct store_incident *inc = &s->incs[i];
        struct page_incident *p = &s->pincs[i];
        if (s->ntl[i] > 0)
            s->pups[i] = xcalloc(s->ntl[i], sizeof(**s->pups));
        for (size_t j = 0; j < s->ntl[i]; j++) {
            const struct store_timeline_entry *e = &s->tl[i][j];
            const char *plain =
                snapshot_keep(s, slack_text_plain_dup(e->text, HTTP_MAX_TEXT_HTML, &names));
            s->pups[i][j] = (struct page_update){e->id, e->status, plain, e->at,
                                                 snapshot_html(s, e->text, &names)};
        }
        if (s->nlinks[i] > 0)
            s->pnames[i] = xcalloc(s->nlinks[i], sizeof(**s->pnames));
        for (size_t j = 0; j < s->nlinks[i]; j++)
            s->pnames[i][j] = s->links[i][j].component;
        /* The postmortem leaves Slack's stored form here: the page renders plain Markdown. */
        if (inc->postmortem && *inc->postmortem && inc->postmortem_published_at > 0)
            s->pm[i] = slack_text_plain_dup(inc->postmortem, PAGE_MD_MAX_INPUT, &names);
        *p = (struct page_incident){
            .id = inc->id,
            .slug = inc->slug,
            .name = snapshot_keep(s, slack_text_plain_dup(inc->public_title && *inc->public_title
                                                              ? inc->public_title
                                                              : inc->title,
                                                          HTTP_MAX_TEXT_HTML, &names)),
            .status = inc->status,
            .severity = inc->severity,
            .started_at = inc->started_at > 0 ? inc->started_at : inc->declared_at,
            .published_at = inc->published_at,
            .resolved_at = inc->resolved_at,
            .updated_at = inc->updated_at,
            .postmortem = s->pm[i],
            .postmortem_at = s->pm[i] ? inc->postmortem_published_at : 0,
            .postmortem_updated_at = s->pm[i] ? inc->postmortem_updated_at : 0,
            .updates = s->pups[i],
            .nupdates = s->ntl[i],
            .components = s->pnames[i],
            .ncomponents = s->nlinks[i],
        };
    }
    s->url = xstrdup(b->cfg->statuspage_url ? b->cfg->statuspage_url : "");
    for (size_t n = strlen(s->url); n > 0 && s->url[n - 1] == '/'; n--)
        s->url[n - 1] = '\0';
    s->page = (struct page){
        .name = b->cfg->statuspage_title ? b->cfg->statuspage_title : "Status",
        .url = s->url,
        .now = now,
        .components = s->pcomps,
        .ncomponents = s->npcomps,
        .incidents = s->pincs,
        .nincidents = s->nincs,
    };
out:
    if (txn)
        store_rollback(st);
    if (rc) {
        snapshot_free(s);
        s = NULL;
    }
    *out = s;
    return rc;
}

static void cache_clear(struct http_cache *c)
{
    for (size_t i = 0; i < HTTP_CACHE_SLOTS; i++) {
        free(c->e[i].path);
        body_unref(c->e[i].body);
        memset(&c->e[i], 0, sizeof(c->e[i]));
    }
    snapshot_free(c->snap);
    c->snap = NULL;
    c->next = 0;
}

/* FNV-1a 64: the ETag of a body (an identity tag, not a security measure). */
static void etag_of(const char *body, size_t len, char out[24])
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)body[i];
        h *= 1099511628211ull;
    }
    snprintf(out, 24, "\"%016llx\"", (unsigned long long)h);
}

/* A status page path is printable ASCII without spaces; anything else is not ours. */
static int incident_key_ok(const char *key)
{
    size_t n = strlen(key);
    if (n == 0 || n > HTTP_MAX_KEY)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char ch = key[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_'))
            return 0;
    }
    return 1;
}

/*
 * The connection the page reads through: its own, opened at start (or at the first read
 * after that failed) with a busy timeout of HTTP_PAGE_BUSY_MS (a lock held elsewhere fails
 * the read almost at once: the page goes stale, the loop waits 50 ms at most per TTL; not
 * 0, because opening takes the write lock for a moment to check migrations, and the bot's
 * own writers hold it for milliseconds all the time); the loop's own for an in-memory
 * database, which has no second connection. NULL with err set when it cannot be opened.
 */
static struct store *page_store(struct bot *b, struct http_cache *c, struct bot_err *err)
{
    const char *path = store_path(b->store);
    struct store_opts opts;
    if (c->page_store)
        return c->page_store;
    if (path == NULL || path[0] == '\0' || strcmp(path, ":memory:") == 0)
        return b->store;
    store_opts_init(&opts);
    opts.busy_timeout_ms = HTTP_PAGE_BUSY_MS;
    opts.autocheckpoint = 0; /* it never writes; the loop's checkpointing connection does */
    if (store_open_opts(path, &opts, &c->page_store, err) != BOT_OK) {
        c->page_store = NULL;
        return NULL;
    }
    return c->page_store;
}

/*
 * The cached document for uri, rendering it when needed; NULL with *status
 * set (404, 500, 503) when there is none to serve.
 */
static const struct http_entry *page_doc(struct bot *b, struct http_cache *c,
                                         const struct http_route *r, const char *uri, int *status)
{
    int64_t now = now_ms();
    struct http_entry *e = NULL;
    struct buf out;
    enum bot_rc rc;
    const struct page_incident *inc = NULL;

    if (c->snap == NULL || now - c->loaded_at >= HTTP_PAGE_TTL_MS) {
        /*
         * Read a new snapshot before dropping the old one: when the store is busy (another
         * process holds its lock) the page is served stale from what is cached, and the read
         * is tried again a TTL later, instead of the loop thread waiting or the page failing.
         */
        struct bot_err err;
        struct http_snapshot *fresh = NULL;
        struct store *st = page_store(b, c, &err);
        rc = st ? snapshot_load(b, st, now, &fresh, &err) : BOT_EBUSY;
        if (rc == BOT_OK) {
            cache_clear(c);
            c->snap = fresh;
            if (c->stale)
                log_info("status page: store readable again, page fresh");
            c->stale = false;
        } else {
            if (!c->stale)
                log_warn("status page: cannot read the store, serving the cached page", "error",
                         err.msg);
            c->stale = c->snap != NULL;
            if (c->snap == NULL) {
                *status = 503;
                return NULL;
            }
        }
        c->loaded_at = now;
    }
    for (size_t i = 0; i < HTTP_CACHE_SLOTS; i++)
        if (c->e[i].path && strcmp(c->e[i].path, uri) == 0)
            return &c->e[i];
    if (r->kind == R_INCIDENT) {
        inc = page_incident_find(&c->snap->page, uri + strlen("/incidents/"));
        if (inc == NULL) {
            *status = 404;
            return NULL;
        }
    }
    buf_init(&out, PAGE_MAX_BODY);
    switch (r->kind) {
    case R_INDEX: rc = page_html_render_index(&c->snap->page, &out); break;
    case R_CSS: rc = buf_addstr(&out, page_html_css()); break;
    case R_API: rc = page_api_render(&c->snap->page, r->doc, &out); break;
    case R_ATOM: rc = page_feed_render_atom(&c->snap->page, &out); break;
    case R_RSS: rc = page_feed_render_rss(&c->snap->page, &out); break;
    case R_INCIDENT: rc = page_html_render_incident(&c->snap->page, inc, &out); break;
    default: rc = BOT_EINVAL; break;
    }
    if (rc) {
        log_warn("status page: cannot render", "path", uri, "error", bot_strerror(rc));
        buf_free(&out);
        *status = 500;
        return NULL;
    }
    for (size_t i = 0; i < HTTP_CACHE_SLOTS && e == NULL; i++)
        if (c->e[i].path == NULL)
            e = &c->e[i];
    if (e == NULL) {
        e = &c->e[c->next];
        c->next = (c->next + 1) % HTTP_CACHE_SLOTS;
        free(e->path);
        body_unref(e->body);
    }
    e->path = xstrdup(uri);
    e->len = out.len;
    e->body = body_new(out.data ? out.data : "", out.len);
    buf_free(&out);
    e->ctype = r->ctype;
    etag_of(e->body->data + LWS_PRE, e->len, e->etag);
    e->modified = page_updated(&c->snap->page);
    if (e->modified <= 0)
        e->modified = c->loaded_at;
    *status = 200;
    return e;
}

/* True when the If-None-Match header names etag (or is "*"). */
static int not_modified(struct lws *wsi, const char *etag)
{
    char inm[HTTP_MAX_HEADER];
    int n = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_IF_NONE_MATCH);
    if (n <= 0 || n >= (int)sizeof(inm))
        return 0;
    if (lws_hdr_copy(wsi, inm, sizeof(inm), WSI_TOKEN_HTTP_IF_NONE_MATCH) < 0)
        return 0;
    return strstr(inm, etag) != NULL || strcmp(inm, "*") == 0;
}

static int add_header(struct lws *wsi, const char *name, const char *value, uint8_t **p,
                      uint8_t *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

/* Sets s to a copy of body (an answer of its own, not a cached document). */
static void session_set(struct http_session *s, const char *body, size_t len)
{
    body_unref(s->body);
    s->body = body_new(body, len);
    s->len = len;
    s->sent = 0;
}

static void healthz(struct bot *b, struct http_session *s, int *status)
{
    struct buf out;
    buf_init(&out, HTTP_MAX_BODY);
    *status = bot_healthz(b, &out); /* the database's commits and the Slack links (bot.c) */
    session_set(s, *status == 500 ? "" : buf_str(&out), *status == 500 ? 0 : out.len);
    buf_free(&out);
}

/* The listener a request came in on, by its vhost's name; public when in doubt (serves less). */
static enum http_listener listener_of(struct lws *wsi)
{
    struct lws_vhost *vh = lws_get_vhost(wsi);
    const char *name = vh ? lws_get_vhost_name(vh) : NULL;
    return name && strcmp(name, HTTP_VHOST_INTERNAL) == 0 ? HTTP_INTERNAL : HTTP_PUBLIC;
}

/* The route of uri on listener l; NULL (a 404) when there is none there. */
static const struct http_route *route_find(const char *uri, enum http_listener l)
{
    const struct http_route *r = NULL;
    for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && r == NULL; i++)
        if (strcmp(uri, routes[i].path) == 0)
            r = &routes[i];
    if (r == NULL && strncmp(uri, incident_route.path, strlen(incident_route.path)) == 0 &&
        incident_key_ok(uri + strlen(incident_route.path)))
        r = &incident_route;
    return r != NULL && (r->listeners & l) ? r : NULL;
}

/* [http] header_timeout_seconds (header) or idle_timeout_seconds, for lws_set_timeout(). */
static int seconds_cfg(struct lws *wsi, int header)
{
    const struct bot *b = lws_context_user(lws_get_context(wsi));
    return (int)(header ? b->cfg->http_header_timeout_seconds : b->cfg->http_idle_timeout_seconds);
}

/* The Allow header's value for the methods bits m ("GET, HEAD"). */
static void methods_text(unsigned m, char *out, size_t outsz)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{HTTP_GET, "GET"}, {HTTP_HEAD, "HEAD"}, {HTTP_POST, "POST"}};
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(m & names[i].bit))
            continue;
        int k = snprintf(out + n, outsz - n, "%s%s", n ? ", " : "", names[i].name);
        if (k < 0 || (size_t)k >= outsz - n)
            return; /* cannot happen with outsz >= 64: the list stops where it fits */
        n += (size_t)k;
    }
}

/* Answers the request: headers now, the body (if any) when writable. */
static int serve(struct lws *wsi, struct http_session *s, const char *in, size_t len)
{
    struct bot *b = lws_context_user(lws_get_context(wsi));
    struct http_cache *c = lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi));
    uint8_t hdr[LWS_PRE + 2048], *start = &hdr[LWS_PRE], *p = start, *end = &hdr[sizeof(hdr) - 1];
    int head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    int get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    const char *ctype = CT_TEXT, *cache_control = "no-store", *err_text = NULL;
    const struct http_entry *e = NULL;
    const struct http_route *r = NULL;
    char uri[HTTP_MAX_URI];
    int status = 200, body = 1;

    unsigned method = get ? HTTP_GET : head ? HTTP_HEAD : 0, allow = GH;

    body_unref(s->body);
    s->body = NULL;
    s->len = s->sent = 0;
    if (len < sizeof(uri) && len > 0) {
        memcpy(uri, in, len);
        uri[len] = '\0';
        r = route_find(uri, listener_of(wsi));
        if (r)
            allow = r->methods;
    }
    if (!(method & allow)) {
        status = 405;
        err_text = "method not allowed\n";
        s->close_after = 1;
    } else if (len >= sizeof(uri)) {
        status = 414;
        err_text = "request URI too long\n";
    } else {
        if (r == NULL) {
            status = 404;
            err_text = "not found\n";
        } else if (r->kind == R_HEALTHZ) {
            healthz(b, s, &status);
            ctype = r->ctype;
        } else if (r->kind == R_METRICS) {
            struct buf m;
            buf_init(&m, HTTP_MAX_BODY);
            bot_metrics(b, &m);
            session_set(s, buf_str(&m), m.len);
            buf_free(&m);
            ctype = r->ctype;
        } else if (c == NULL) {
            status = 503;
            err_text = "status page not ready\n";
        } else {
            e = page_doc(b, c, r, uri, &status);
            if (e == NULL && status == 404 && r->kind == R_INCIDENT)
                err_text = "no such incident\n";
            else if (e == NULL)
                err_text = status == 503 ? "status page unavailable: database\n"
                                         : "status page failed to render\n";
        }
    }
    if (e) {
        ctype = e->ctype;
        cache_control = HTTP_CACHE_CONTROL;
        if (not_modified(wsi, e->etag)) {
            status = 304;
            body = 0;
        } else {
            s->body = body_ref(e->body);
            s->len = e->len;
            s->sent = 0;
        }
    } else if (err_text) {
        session_set(s, err_text, strlen(err_text));
    }
    if (head)
        body = 0;
    /* HEAD and 304 announce the length they would have had; lws must not wait for a body. */
    if (lws_add_http_common_headers(wsi, (unsigned)status, ctype,
                                    status == 304 ? LWS_ILLEGAL_HTTP_CONTENT_LEN : s->len, &p,
                                    end))
        return 1;
    if (add_header(wsi, "cache-control:", cache_control, &p, end))
        return 1;
    if (status == 405) {
        char methods[64];
        methods_text(allow, methods, sizeof(methods));
        if (add_header(wsi, "allow:", methods, &p, end))
            return 1;
    }
    if (e) {
        char lm[64];
        time_t t = (time_t)(e->modified / 1000);
        struct tm tm;
        if (add_header(wsi, "etag:", e->etag, &p, end))
            return 1;
        if (gmtime_r(&t, &tm) && strftime(lm, sizeof(lm), "%a, %d %b %Y %H:%M:%S GMT", &tm) &&
            add_header(wsi, "last-modified:", lm, &p, end))
            return 1;
        if (strcmp(ctype, CT_JSON) == 0 &&
            add_header(wsi, "access-control-allow-origin:", "*", &p, end))
            return 1;
    }
    if (s->close_after && add_header(wsi, "connection:", "close", &p, end))
        return 1;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        return 1;
    if (!body || s->len == 0) {
        body_unref(s->body);
        s->body = NULL;
        if (s->close_after)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    /* A client that stops reading its answer is closed after the idle timeout. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, seconds_cfg(wsi, 0));
    lws_callback_on_writable(wsi);
    return 0;
}

/*
 * Answers an upgrade request with a 400 and nothing else (the caller hangs up): a client
 * that asks for a WebSocket gets a plain HTTP error, never a 101.
 */
static void refuse_upgrade(struct lws *wsi)
{
    static const char text[] = "upgrade refused: this server speaks plain HTTP only\n";
    uint8_t buf[LWS_PRE + 512 + sizeof(text)];
    uint8_t *start = &buf[LWS_PRE], *p = start;
    uint8_t *end = &buf[sizeof(buf) - sizeof(text) - 1]; /* room left for the text */
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_BAD_REQUEST, CT_TEXT, sizeof(text) - 1, &p,
                                    end))
        return;
    if (add_header(wsi, "connection:", "close", &p, end) || lws_finalize_http_header(wsi, &p, end))
        return;
    memcpy(p, text, sizeof(text) - 1);
    p += sizeof(text) - 1;
    lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL);
}

static struct http_cache *cache_of_vhost(struct lws_vhost *vh)
{
    const struct lws_protocols *pr = vh ? lws_vhost_name_to_protocol(vh, "http") : NULL;
    return pr ? lws_protocol_vh_priv_get(vh, pr) : NULL;
}

/* The address of socket fd's peer, IPv4 as IPv4-mapped IPv6; false when it has none. */
static bool peer_of(int fd, unsigned char addr[16])
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    memset(addr, 0, 16);
    if (getpeername(fd, (struct sockaddr *)&ss, &sl) != 0)
        return false;
    if (ss.ss_family == AF_INET) {
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &((struct sockaddr_in *)&ss)->sin_addr, 4);
    } else if (ss.ss_family == AF_INET6) {
        memcpy(addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
    }
    return true; /* AF_UNIX and the like: all one "address" */
}

static struct http_peer *peer_find(struct http_cache *c, const unsigned char addr[16])
{
    for (size_t i = 0; i < c->npeers; i++)
        if (memcmp(c->peers[i].addr, addr, 16) == 0)
            return &c->peers[i];
    return NULL;
}

/* Why a connection was closed as soon as accepted (counted, logged once a second). */
enum refusal { REFUSE_FDS, REFUSE_TOTAL, REFUSE_PEER, REFUSE_NONE };
static const char *const refusal_names[] = {"near the open-file limit", "max_connections",
                                            "max_connections_per_address"};

/*
 * Whether a connection just accepted on fd may stay (FILTER_NETWORK_CONNECTION, before lws
 * makes anything of it): REFUSE_NONE when it may, else why not. Closing it at once costs less
 * than anything lws would do with it, and leaves the descriptors to the Slack links.
 */
static enum refusal conn_refusal(struct http_cache *c, int fd)
{
    unsigned char addr[16];
    struct http_peer *p;
    if (fd >= c->fd_limit)
        return REFUSE_FDS;
    if (c->max_conns == 0)
        return REFUSE_NONE;
    if (c->nconns >= c->max_conns)
        return REFUSE_TOTAL;
    if (!peer_of(fd, addr))
        return REFUSE_NONE;
    p = peer_find(c, addr);
    if (p ? p->n >= c->max_per_peer : c->npeers >= HTTP_MAX_PEERS)
        return REFUSE_PEER;
    return REFUSE_NONE;
}

static void conn_remove(struct http_cache *c, int fd);

/*
 * Counts the connection just accepted on fd (SERVER_NEW_CLIENT_INSTANTIATED) under its
 * address, until conn_remove(fd) (CLOSED_HTTP, which lws sends for every server
 * connection it closes). A slot still taken is a close we missed: that descriptor was
 * closed before the kernel could hand it out again, so it is uncounted first.
 */
static void conn_add(struct http_cache *c, int fd)
{
    struct http_peer *p;
    if (fd < 0)
        return;
    if ((size_t)fd >= c->nslots) {
        size_t n = c->nslots ? c->nslots : 64;
        while (n <= (size_t)fd)
            n *= 2;
        c->slots = xreallocarray(c->slots, n, sizeof(*c->slots));
        memset(c->slots + c->nslots, 0, (n - c->nslots) * sizeof(*c->slots));
        c->nslots = n;
    }
    conn_remove(c, fd);
    peer_of(fd, c->slots[fd].addr);
    p = peer_find(c, c->slots[fd].addr);
    if (p == NULL) {
        c->peers = xreallocarray(c->peers, c->npeers + 1, sizeof(*c->peers));
        p = &c->peers[c->npeers++];
        memcpy(p->addr, c->slots[fd].addr, 16);
        p->n = 0;
    }
    p->n++;
    c->nconns++;
    c->slots[fd].used = true;
}

static void conn_remove(struct http_cache *c, int fd)
{
    struct http_peer *p;
    if (c == NULL || fd < 0 || (size_t)fd >= c->nslots || !c->slots[fd].used)
        return;
    c->slots[fd].used = false;
    c->nconns--;
    p = peer_find(c, c->slots[fd].addr);
    if (p && --p->n == 0)
        *p = c->peers[--c->npeers];
}

/* Sets the listener's caps from [http] and the process's open-file limit. */
static void caps_init(struct bot *b, struct http_cache *c, enum http_listener l)
{
    struct rlimit rl;
    rlim_t soft = 1024;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        soft = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 30 ? 1u << 30 : rl.rlim_cur;
    unsigned reserve = l == HTTP_PUBLIC ? HTTP_FD_RESERVE : HTTP_FD_RESERVE_INTERNAL;
    c->fd_limit = soft > reserve * 2 ? (int)(soft - reserve) : (int)(soft / 2);
    if (l != HTTP_PUBLIC)
        return;
    c->max_conns = (unsigned)b->cfg->http_max_connections;
    c->max_per_peer = (unsigned)b->cfg->http_max_connections_per_address;
    char lim[24], mc[24], mp[24];
    snprintf(lim, sizeof(lim), "%llu", (unsigned long long)soft);
    snprintf(mc, sizeof(mc), "%u", c->max_conns);
    snprintf(mp, sizeof(mp), "%u", c->max_per_peer);
    log_info("http: public listener limits", "max_connections", mc, "max_connections_per_address",
             mp, "open_file_limit", lim);
    if ((rlim_t)c->max_conns + reserve > soft)
        log_warn("http: max_connections is above what the open-file limit leaves (raise "
                 "LimitNOFILE): connections are refused near the limit instead",
                 "open_file_limit", lim);
}

/* Logs the connections c's listener refused since the last call, one line per reason. */
static void log_refused(struct http_cache *c, const char *listener)
{
    for (size_t i = 0; i < sizeof(c->refused) / sizeof(c->refused[0]); i++) {
        char n[24];
        if (c->refused[i] == 0)
            continue;
        snprintf(n, sizeof(n), "%lu", c->refused[i]);
        c->refused[i] = 0;
        log_warn("http: connections refused", "listener", listener, "reason", refusal_names[i],
                 "count", n);
    }
}

static void on_housekeep(lws_sorted_usec_list_t *sul)
{
    struct http_cache *c = lws_container_of(sul, struct http_cache, housekeep);
    struct http_cache *in = cache_of_vhost(lws_get_vhost_by_name(c->ctx, HTTP_VHOST_INTERNAL));
    log_refused(c, HTTP_VHOST_PUBLIC);
    if (in)
        log_refused(in, HTTP_VHOST_INTERNAL);
    log_flush_repeats();
    lws_sul_schedule(c->ctx, 0, &c->housekeep, on_housekeep, LWS_US_PER_SEC);
}

static void accept_resume(lws_sorted_usec_list_t *sul)
{
    struct http_cache *c = lws_container_of(sul, struct http_cache, resume);
    if (c->listen_wsi)
        lws_rx_flow_control(c->listen_wsi, 1);
}

/*
 * lws 4.1 logs "accept: errno N" and returns when accept() fails (EMFILE, ENFILE), and
 * its listener stays readable, so the loop would spin on it: each listener it has shown
 * us stops polling for HTTP_ACCEPT_PAUSE_MS instead, leaving the loop to the Slack links
 * and the connections already open (which close and free descriptors).
 */
static void on_lws_log(void *arg, int level, const char *line)
{
    static const char *const names[] = {HTTP_VHOST_PUBLIC, HTTP_VHOST_INTERNAL};
    struct lws_context *ctx = arg;
    if (!(level & LLL_ERR) || strncmp(line, "accept:", 7) != 0)
        return;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        struct http_cache *c = cache_of_vhost(lws_get_vhost_by_name(ctx, names[i]));
        if (c == NULL || c->listen_wsi == NULL || lws_dll2_is_detached(&c->resume.list) == 0)
            continue;
        lws_rx_flow_control(c->listen_wsi, 0);
        lws_sul_schedule(ctx, 0, &c->resume, accept_resume,
                         (lws_usec_t)HTTP_ACCEPT_PAUSE_MS * LWS_US_PER_MS);
    }
}

static int http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                   size_t len)
{
    struct http_session *s = user;

    switch (reason) {
    case LWS_CALLBACK_PROTOCOL_INIT: {
        struct http_cache *c;
        if (lws_get_vhost(wsi) == NULL)
            break;
        c = lws_protocol_vh_priv_zalloc(lws_get_vhost(wsi), lws_get_protocol(wsi),
                                        sizeof(struct http_cache));
        if (c == NULL)
            return -1;
        caps_init(lws_context_user(lws_get_context(wsi)), c, listener_of(wsi));
        log_set_lws_hook(on_lws_log, lws_get_context(wsi));
        c->ctx = lws_get_context(wsi);
        if (listener_of(wsi) == HTTP_PUBLIC) {
            struct bot_err err;
            lws_sul_schedule(c->ctx, 0, &c->housekeep, on_housekeep, LWS_US_PER_SEC);
            if (page_store(lws_context_user(c->ctx), c, &err) == NULL) /* tried again later */
                log_warn("status page: cannot open its connection yet", "error", err.msg);
        }
        break;
    }
    case LWS_CALLBACK_PROTOCOL_DESTROY: {
        struct http_cache *c =
            lws_get_vhost(wsi)
                ? lws_protocol_vh_priv_get(lws_get_vhost(wsi), lws_get_protocol(wsi))
                : NULL;
        log_set_lws_hook(NULL, NULL);
        if (c) {
            lws_sul_cancel(&c->resume);
            lws_sul_cancel(&c->housekeep);
            cache_clear(c);
            store_close(c->page_store);
            c->page_store = NULL;
            free(c->peers);
            c->peers = NULL;
            c->npeers = 0;
            free(c->slots);
            c->slots = NULL;
            c->nslots = 0;
        }
        break;
    }
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: {
        struct http_cache *c = cache_of_vhost(lws_get_vhost(wsi));
        enum refusal why;
        if (c == NULL)
            break;
        c->listen_wsi = wsi; /* FILTER is issued on the listening socket's wsi */
        why = conn_refusal(c, (int)(lws_intptr_t)in);
        if (why == REFUSE_NONE)
            return 0;
        c->refused[why]++; /* said by on_housekeep: one line a second, whatever the flood */
        return 1;          /* lws closes it */
    }
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: {
        struct http_cache *c = cache_of_vhost(lws_get_vhost(wsi));
        if (c) {
            conn_add(c, lws_get_socket_fd(wsi));
            /* The request's headers are due within the header timeout from now. */
            lws_set_timeout(wsi, PENDING_TIMEOUT_HOLDING_AH, seconds_cfg(wsi, 1));
        }
        break;
    }
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
        /* Plain HTTP only: no WebSocket (or h2c) here, whatever protocol is asked for. */
        log_debug("http: upgrade refused", "to", in ? (const char *)in : "");
        refuse_upgrade(wsi);
        return -1; /* closed: the answer is already on its way */
    case LWS_CALLBACK_HTTP:
        s->close_after = 0;
        s->pending = 0;
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) <= 0 &&
            lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) <= 0 &&
            lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
            /* A request with a body is answered once lws has read it (discarded, bounded). */
            char cl[24];
            char *endp = NULL;
            long long n = -1;
            if (lws_hdr_copy(wsi, cl, sizeof(cl), WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
                n = strtoll(cl, &endp, 10);
            if (n < 0 || n > HTTP_MAX_REQUEST_BODY || endp == NULL || *endp != '\0')
                return -1;
            s->pending = 1;
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, seconds_cfg(wsi, 0));
            return 0;
        }
        return serve(wsi, s, in, len);
    case LWS_CALLBACK_HTTP_BODY:
        if (s->pending)
            return 0; /* discarded */
        break;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (s->pending) {
            s->pending = 0;
            return serve(wsi, s, "", 0);
        }
        break;
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        if (s->body == NULL)
            return -1;
        size_t chunk = s->len - s->sent;
        if (chunk > HTTP_WRITE_CHUNK)
            chunk = HTTP_WRITE_CHUNK;
        /*
         * Written in place: lws may overwrite the LWS_PRE bytes before what it sends. For the
         * first chunk they are the body's room; for a later one they are bytes already sent,
         * which is fine for a body of this connection's own but not for one it shares with
         * the cache: that one is copied first (only pages over HTTP_WRITE_CHUNK come here).
         */
        if (s->sent > 0 && s->body->refs > 1) {
            struct http_body *own = body_new(s->body->data + LWS_PRE, s->len);
            body_unref(s->body);
            s->body = own;
        }
        bool last = s->sent + chunk == s->len;
        int n = lws_write(wsi, (unsigned char *)s->body->data + LWS_PRE + s->sent, chunk,
                          last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
        if (n < (int)chunk)
            return -1;
        s->sent += chunk;
        if (!last) {
            lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, seconds_cfg(wsi, 0));
            lws_callback_on_writable(wsi);
            return 0;
        }
        body_unref(s->body);
        s->body = NULL;
        if (s->close_after || lws_http_transaction_completed(wsi))
            return -1;
        return 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (reason == LWS_CALLBACK_CLOSED_HTTP)
            conn_remove(cache_of_vhost(lws_get_vhost(wsi)), lws_get_socket_fd(wsi));
        if (s) {
            body_unref(s->body);
            s->body = NULL;
        }
        break;
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

const struct lws_protocols http_protocol = {
    .name = "http",
    .callback = http_cb,
    .per_session_data_size = sizeof(struct http_session),
    /* 0 would make lws send() at most its 4 KiB service buffer at a time and buffer the rest
       (a 70 KB page took 18 send()s, each waking the reader): one send() per chunk. */
    .tx_packet_size = HTTP_WRITE_CHUNK,
};
