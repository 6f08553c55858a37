/*
 * The status page's incident history feeds, /history.atom and /history.rss,
 * shaped like Statuspage's: one entry per published incident (newest first,
 * at most PAGE_FEED_MAX_ENTRIES) whose content is the escaped HTML of its
 * public updates, newest first. Pure: renders a struct page into a buffer.
 */
#ifndef INCIDENTD_PAGE_FEED_H
#define INCIDENTD_PAGE_FEED_H

#include "buf.h"
#include "page_model.h"

enum bot_rc page_feed_render_atom(const struct page *p, struct buf *out) BOT_MUST_CHECK;
enum bot_rc page_feed_render_rss(const struct page *p, struct buf *out) BOT_MUST_CHECK;

#endif
