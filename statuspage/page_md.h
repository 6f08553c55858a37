/*
 * The small Markdown subset the bot writes for the public (the postmortem),
 * as HTML for the status page and its feeds. Input is plain text, already
 * out of Slack's format (slack_text_plain()); statuspage/ never sees Slack's.
 *
 * Blocks, one line at a time: ATX headings ("# " .. "###### "), paragraphs
 * (blank lines between them; a single newline is a line break), lists of
 * "- ", "* " or "+ " items and of "1. " or "1) " items (a line right after
 * an item continues it), and rules ("---", "***", "___"). Inline: **bold**,
 * *italic* and _italic_, `code`, [label](url), bare http(s) URLs, and "\"
 * before punctuation for the character itself.
 *
 * Safety is the point: every character of the text is HTML-escaped (& < > "
 * '), so raw HTML typed anywhere (<script>, <a href>) comes out as text;
 * only http:// and https:// targets become links (anything else, such as
 * javascript: or data:, stays text), their href escaped as an attribute
 * value, with rel="nofollow noopener". Pure, no I/O; linear in the input.
 */
#ifndef INCIDENTD_PAGE_MD_H
#define INCIDENTD_PAGE_MD_H

#include <stddef.h>

#include "buf.h"

#define PAGE_MD_MAX_INPUT (64u * 1024) /* bytes of Markdown one call renders; more: BOT_ETOOBIG */

/*
 * Appends the HTML of md (len bytes of UTF-8 Markdown) to out. A "#"
 * heading becomes <h{heading_base}>, "##" the level below and so on, at
 * most <h6>; heading_base is 1..6. BOT_EINVAL for a bad heading_base,
 * BOT_ETOOBIG when md is over PAGE_MD_MAX_INPUT or out's maximum is reached
 * (out then holds what fitted: sticky, like every buf).
 */
enum bot_rc page_md_render(struct buf *out, const char *md, size_t len,
                           int heading_base) BOT_MUST_CHECK;

#endif
