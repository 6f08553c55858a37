/*
 * Text that goes to Slack. Anything a user typed is escaped before it is
 * shown in mrkdwn, so that "<!channel>" or "<@U123>" typed into a title
 * stays literal text and pings nobody.
 */
#ifndef INCIDENTD_SLACK_TEXT_H
#define INCIDENTD_SLACK_TEXT_H

#include <stddef.h>

#include "buf.h"

/* Appends s (len bytes) to out with &, < and > replaced by Slack's entities. */
enum bot_rc slack_text_escape(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;

#endif
