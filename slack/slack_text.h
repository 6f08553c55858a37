/*
 * Text in Slack's message format, in and out.
 *
 * Stored form: text a user typed is stored once, in Slack's message format,
 * the way a slash command carries it: `&amp;` `&lt;` `&gt;` for the three
 * control characters, people as `<@U123|name>`, channels as `<#C123|name>`,
 * groups as `<!subteam^S123|@handle>`, links as `<https://x|label>`, mass
 * mentions as `<!channel>`. Text Slack sends raw (a modal's input) is brought
 * into that form at intake with slack_text_escape(), and nothing else ever
 * changes it. Each output converts it once, for its own format:
 *
 * - slack_text_user(): back into Slack as mrkdwn. Mentions of people and
 *   channels and http(s)/mailto links work; mass mentions (`<!channel>`,
 *   `<!here>`, `<!everyone>`) and group mentions become plain words, so
 *   user text can never ping a crowd; anything else stays literal.
 * - slack_text_plain(): plain Unicode text for the public (JSON API, feeds,
 *   Atlassian Statuspage, webhooks, Markdown): entities decoded, people as
 *   "@name" (from the names callbacks, else the mention's own label),
 *   channels "#name", groups "@handle", `<url|label>` the label, mass
 *   mentions the plain words.
 * - slack_text_html(): the same as an HTML fragment, every character
 *   escaped; http and https links become <a> elements, no other scheme does.
 *
 * Templates never apply to such text: `{{...}}` in it is just characters.
 */
#ifndef INCIDENTD_SLACK_TEXT_H
#define INCIDENTD_SLACK_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SLACK_TEXT_MAX_NAME 128 /* bytes of a name a callback may write (with its NUL) */

/*
 * How ids are named in plain text and HTML. Each callback (any may be NULL)
 * writes the name without its '@' or '#' into out (outsz bytes, NUL-ended)
 * and returns true, or returns false when it does not know the id; then the
 * label Slack put in the mention is used, and failing that a neutral word
 * ("someone", "a channel", "a group"), never the bare id.
 */
struct slack_names {
    bool (*user)(void *ctx, const char *id, char *out, size_t outsz);
    bool (*channel)(void *ctx, const char *id, char *out, size_t outsz);
    bool (*group)(void *ctx, const char *id, char *out, size_t outsz);
    void *ctx;
    bool ids; /* internal documents: an unknown id with no label is shown as "@U123" */
};

/*
 * Appends raw text s (len bytes) to out in the stored form: &, < and >
 * replaced by Slack's entities. Also the way to show any raw string (a
 * name, a URL) literally in mrkdwn.
 */
enum bot_rc slack_text_escape(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;

/*
 * Appends stored user text s as mrkdwn that works in Slack and pings only
 * the people it names (see above). Converting its output again gives the
 * same output.
 */
enum bot_rc slack_text_user(struct buf *out, const char *s, size_t len) BOT_MUST_CHECK;

/* Appends stored user text s as plain text; names may be NULL. */
enum bot_rc slack_text_plain(struct buf *out, const char *s, size_t len,
                             const struct slack_names *names) BOT_MUST_CHECK;

/* Appends stored user text s as an escaped HTML fragment (links as <a>); names may be NULL. */
enum bot_rc slack_text_html(struct buf *out, const char *s, size_t len,
                            const struct slack_names *names) BOT_MUST_CHECK;

/* Convenience: the conversions of a NUL-terminated s (NULL: "") as a new string; caller frees.
 * Never fails (text beyond max bytes is cut at a character boundary). */
char *slack_text_user_dup(const char *s, size_t max);
char *slack_text_plain_dup(const char *s, size_t max, const struct slack_names *names);
char *slack_text_escape_dup(const char *s, size_t max);
/* A title (a label, never a message) for mrkdwn: its plain words, escaped; pings nobody. */
char *slack_text_title_dup(const char *s, size_t max);

#endif
