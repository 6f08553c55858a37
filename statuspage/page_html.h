/*
 * HTML output for the built-in status page. Every piece of text that came
 * from a user is escaped with page_html_escape() before it is written.
 */
#ifndef INCIDENTD_PAGE_HTML_H
#define INCIDENTD_PAGE_HTML_H

#include <stddef.h>

#include "buf.h"

/* Appends s (len bytes) to out with &, <, >, " and ' replaced by HTML entities. */
enum bot_rc page_html_escape(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;

#endif
