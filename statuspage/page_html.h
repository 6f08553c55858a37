/*
 * HTML output for the built-in status page: the page itself (banner,
 * components, active incidents, 90 days of history) and one page per
 * incident (its postmortem in a section of its own, rendered from its
 * Markdown by page_md.h, then its updates). No JavaScript; one small
 * stylesheet that fits a phone. Every piece of text that came from a user
 * is escaped with page_html_escape() before it is written.
 */
#ifndef INCIDENTD_PAGE_HTML_H
#define INCIDENTD_PAGE_HTML_H

#include <stddef.h>

#include "buf.h"
#include "page_model.h"

/* Appends s (len bytes) to out with &, <, >, " and ' replaced by HTML entities. */
enum bot_rc page_html_escape(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;
/*
 * Like page_html_escape() for XML text: also drops the control characters
 * XML 1.0 forbids (all below 0x20 but tab, newline and return).
 */
enum bot_rc page_xml_escape(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;
/* The pages' stylesheet (served as /style.css; small, for phones first). Static. */
const char *page_html_css(void);
/* Appends the status page ("/"). */
enum bot_rc page_html_render_index(const struct page *p, struct buf *out) BOT_MUST_CHECK;
/* Appends the page of one incident (inc points into p->incidents). */
enum bot_rc page_html_render_incident(const struct page *p, const struct page_incident *inc,
                                      struct buf *out) BOT_MUST_CHECK;
/* Appends a small "not found" page. */
enum bot_rc page_html_render_not_found(const struct page *p, struct buf *out) BOT_MUST_CHECK;

#endif
