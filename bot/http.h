/*
 * The built-in HTTP server's routes, served from the loop thread by the
 * same libwebsockets context as the Slack links, on two listeners (two
 * vhosts of that context): the public one ([http] listen) serves only what
 * customers may see, the status page (/, the incident pages, the /api/v2
 * JSON documents, /history.atom, /history.rss); the internal one ([http]
 * internal_listen, loopback by default) serves /healthz and /metrics. Each
 * route names the listeners it is served on; on any other it is a 404.
 * Handlers must be quick: they read cached renders of the store, never wait
 * on the network. GET and HEAD only.
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

/* The listeners, as bits: a route's set of listeners is an OR of them. */
enum http_listener {
    HTTP_PUBLIC = 1u << 0,   /* [http] listen: the status page, for everyone */
    HTTP_INTERNAL = 1u << 1, /* [http] internal_listen: health and metrics, for operators */
};

/* The names of the listeners' vhosts: a request's vhost says which listener it came in on. */
#define HTTP_VHOST_PUBLIC "public"
#define HTTP_VHOST_INTERNAL "internal"

struct bot;

/* The lws protocol that serves HTTP; its user pointer is the struct bot. */
extern const struct lws_protocols http_protocol;

#endif
