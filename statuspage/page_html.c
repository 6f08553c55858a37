/* HTML escaping for the status page (see page_html.h). */
#include "page_html.h"

enum bot_rc page_html_escape(struct buf *out, const char *s, size_t len)
{
    enum bot_rc rc = BOT_OK;
    size_t start = 0;
    for (size_t i = 0; i < len && rc == BOT_OK; i++) {
        const char *ent = NULL;
        switch (s[i]) {
        case '&': ent = "&amp;"; break;
        case '<': ent = "&lt;"; break;
        case '>': ent = "&gt;"; break;
        case '"': ent = "&quot;"; break;
        case '\'': ent = "&#39;"; break;
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
