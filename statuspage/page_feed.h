/*
 * The status page's incident history feeds, /history.atom and /history.rss,
 * shaped like Statuspage's: one entry per published incident (newest first,
 * at most PAGE_FEED_MAX_ENTRIES) whose content is the escaped HTML of its
 * public updates, newest first, after its postmortem once published.
 *
 * Publishing the postmortem, and each amendment of it, is news for the
 * subscribers, but feed readers show an entry again only when its id is new
 * (most ignore a changed <updated>, and RSS readers key on the guid). So the
 * entry of an incident with a postmortem carries the time of the latest
 * publication in its id ("tag:host,2005:Incident/42/postmortem/<unix ms>")
 * and guid ("<url>/incidents/<key>#postmortem-<unix ms>", the anchor of the
 * postmortem's section): each publication is a new entry in a reader, with
 * the whole story in it, while the feed keeps one entry per incident, as
 * Statuspage's do. Pure: renders a struct page into a buffer.
 */
#ifndef INCIDENTD_PAGE_FEED_H
#define INCIDENTD_PAGE_FEED_H

#include "buf.h"
#include "page_model.h"

enum bot_rc page_feed_render_atom(const struct page *p, struct buf *out) BOT_MUST_CHECK;
enum bot_rc page_feed_render_rss(const struct page *p, struct buf *out) BOT_MUST_CHECK;

#endif
