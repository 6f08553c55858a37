/*
 * The daemon's life cycle (see bot.h): open the database, create the one
 * libwebsockets context that serves HTTP (and carries the Slack links),
 * service it until a signal asks to stop, then close everything in order
 * so that nothing is left half-written.
 */
#include "bot_internal.h"

#include <string.h>

#include "http.h"
#include "store.h"
#include "xmalloc.h"

#define BOT_TICK_US (200 * LWS_US_PER_MS) /* how often the loop checks the stop flag */

bool bot_db_ok(struct bot *b)
{
    struct bot_err err;
    return b->store != NULL && store_ping(b->store, &err) == BOT_OK;
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct bot *b = lws_container_of(sul, struct bot, tick);
    lws_sul_schedule(b->lws, 0, &b->tick, on_tick, BOT_TICK_US);
}

enum bot_rc bot_open(const struct config *cfg, struct bot **out, struct bot_err *err)
{
    enum bot_rc rc;
    struct bot *b = xcalloc(1, sizeof(*b));

    *out = NULL;
    b->cfg = cfg;
    struct store_opts so;
    store_opts_init(&so);
    so.busy_timeout_ms = cfg->store_busy_timeout_ms;
    rc = store_open_opts(cfg->store_path, &so, &b->store, err);
    if (rc)
        goto fail;

    b->protocols[0] = http_protocol; /* protocols[1] stays zero: lws 4.1's terminator */

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = cfg->http_port;
    info.iface = cfg->http_host;
    info.protocols = b->protocols;
    info.user = b;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
                   LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE;
    b->lws = lws_create_context(&info);
    if (b->lws == NULL) {
        rc = bot_err_set(err, BOT_EIO, "[http] listen %s: cannot listen (address in use, or not "
                         "an address of this machine?)", cfg->http_listen);
        goto fail;
    }
    b->vhost = lws_get_vhost_by_name(b->lws, "default");
    b->http_port = b->vhost ? lws_get_vhost_listen_port(b->vhost) : cfg->http_port;
    *out = b;
    return BOT_OK;
fail:
    bot_close(b);
    return rc;
}

enum bot_rc bot_run(struct bot *b, volatile sig_atomic_t *stop)
{
    b->stop = stop;
    lws_sul_schedule(b->lws, 0, &b->tick, on_tick, BOT_TICK_US);
    while (!*stop) {
        if (lws_service(b->lws, 0) < 0)
            return BOT_EIO;
    }
    return BOT_OK;
}

int bot_http_port(const struct bot *b)
{
    return b->http_port;
}

void bot_close(struct bot *b)
{
    if (b == NULL)
        return;
    if (b->lws)
        lws_context_destroy(b->lws);
    store_close(b->store);
    free(b);
}
