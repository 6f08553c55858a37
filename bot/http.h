/*
 * The built-in HTTP server's routes, served from the loop thread by the
 * same libwebsockets context as the Slack links: the status page (/, the
 * incident pages, the /api/v2 JSON documents, /history.atom, /history.rss) and /healthz.
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

struct bot;

/* The lws protocol that serves HTTP; its user pointer is the struct bot. */
extern const struct lws_protocols http_protocol;

#endif
