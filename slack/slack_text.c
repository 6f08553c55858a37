/* Slack mrkdwn escaping (see slack_text.h). Slack asks for exactly three entities. */
#include "slack_text.h"

enum bot_rc slack_text_escape(struct buf *out, const char *s, size_t len)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0;
    for (size_t i = 0; i < len && rc == BOT_OK; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        default: continue;
        }
        rc = buf_add(out, s + start, i - start);
        if (rc == BOT_OK)
            rc = buf_addstr(out, ent);
        start = i + 1;
    }
    if (rc == BOT_OK)
        rc = buf_add(out, s + start, len - start);
    return rc;
}
