/*
 * The built-in HTTP server's routes, served from the loop thread by the
 * same libwebsockets context as the Slack links, on two listeners (two
 * vhosts of that context): the public one ([http] listen) serves only what
 * customers may see, the status page (/, the incident pages, the /api/v2
 * JSON documents, /history.atom, /history.rss); the internal one ([http]
 * internal_listen, loopback by default) serves /healthz and /metrics. Each
 * route names the listeners it is served on; on any other it is a 404.
 * Handlers must be quick: they read cached renders of the store, never wait
 * on the network. Each route names the methods it answers (today GET and
 * HEAD; 405 otherwise).
 *
 * The public listener is hardened against abuse (issue 15): plain HTTP only
 * (a WebSocket or other upgrade request gets a 400, never a 101); at most
 * [http] max_connections connections at once and max_connections_per_address
 * per client address, and never closer than HTTP_FD_RESERVE descriptors to
 * the process's open-file limit (a connection over a cap is closed as soon
 * as it is accepted); a request's headers must arrive within
 * header_timeout_seconds, an idle keep-alive connection or a client that
 * stopped reading its answer is closed after idle_timeout_seconds; when
 * accept() fails anyway (descriptors exhausted by something else) both
 * listeners pause for HTTP_ACCEPT_PAUSE_MS instead of spinning.
 */
#ifndef INCIDENTD_HTTP_H
#define INCIDENTD_HTTP_H

#include <libwebsockets.h>

#define HTTP_MAX_URI 1024          /* longest request path accepted (else 414) */
#define HTTP_MAX_HEADER 1024       /* longest If-None-Match considered */
#define HTTP_MAX_REQUEST_BODY 65536 /* larger request bodies: the connection is closed */
#define HTTP_MAX_KEY 128           /* longest incident id or slug in /incidents/<key> */
#define HTTP_MAX_BODY (1u << 20)   /* largest response body produced */
#define HTTP_WRITE_CHUNK 262144    /* bytes written per writable callback, in one send() */
#define HTTP_PAGE_TTL_MS 1000      /* a rendered page is reused this long before re-reading */
#define HTTP_CACHE_SLOTS 32        /* rendered documents kept */
#define HTTP_CACHE_CONTROL "public, max-age=10"
#define HTTP_PAGE_BUSY_MS 50       /* the page's reads wait this long for a lock, at most */
#define HTTP_FD_RESERVE 64          /* descriptors the public listener leaves to the rest */
#define HTTP_FD_RESERVE_INTERNAL 32 /* ... and the internal one: /healthz answers under a flood */
#define HTTP_ACCEPT_PAUSE_MS 250    /* listeners paused this long after accept() failed */
#define HTTP_MAX_PEERS 4096         /* client addresses counted at once (more: refused) */

/* The listeners, as bits: a route's set of listeners is an OR of them. */
enum http_listener {
    HTTP_PUBLIC = 1u << 0,   /* [http] listen: the status page, for everyone */
    HTTP_INTERNAL = 1u << 1, /* [http] internal_listen: health and metrics, for operators */
};

/* Request methods, as bits: a route's set of methods is an OR of them. */
enum http_method {
    HTTP_GET = 1u << 0,
    HTTP_HEAD = 1u << 1,
    HTTP_POST = 1u << 2,
};

/* The names of the listeners' vhosts: a request's vhost says which listener it came in on. */
#define HTTP_VHOST_PUBLIC "public"
#define HTTP_VHOST_INTERNAL "internal"

struct bot;

/* The lws protocol that serves HTTP; its user pointer is the struct bot. */
extern const struct lws_protocols http_protocol;

#endif
