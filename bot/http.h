/*
 * The built-in HTTP server's routes, served from the loop thread by the
 * same libwebsockets context as the Slack links. Handlers must be quick:
 * they read cached state, never wait on the network.
 */
#ifndef INCIDENTD_HTTP_H
#define INCIDENTD_HTTP_H

#include <libwebsockets.h>

#define HTTP_MAX_URI 1024      /* longest request path accepted */
#define HTTP_MAX_BODY (1u << 20) /* largest response body produced */

struct bot;

/* The lws protocol that serves HTTP; its user pointer is the struct bot. */
extern const struct lws_protocols http_protocol;

#endif
