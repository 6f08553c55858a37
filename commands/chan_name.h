/*
 * Names of incident channels: rendering `[slack] channel_name` templates
 * such as "inc-{date}-{id}-{slug}" into a name Slack accepts, the slug of a
 * title (common Latin accents transliterated, everything else a hyphen),
 * the "-2", "-3"... variants tried after `name_taken`, and the check of a
 * template at config-check time. Pure code: no I/O, no clock reads.
 * Every output goes into a buffer the caller owns.
 *
 * Slack's rule as enforced here: 1 to CHAN_NAME_MAX characters, each a
 * lowercase ASCII letter, a digit, '-' or '_'; no '-' at either end and no
 * "--".
 */
#ifndef INCIDENTD_CHAN_NAME_H
#define INCIDENTD_CHAN_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "incident.h"

#define CHAN_NAME_MAX 80           /* Slack's longest channel name */
#define CHAN_NAME_MAX_TEMPLATE 200 /* longest template accepted */
#define CHAN_NAME_FALLBACK_SLUG "incident" /* slug of a title with no Latin letters or digits */

/* True when name (len bytes) is a channel name Slack accepts, by the rule above. */
bool chan_name_valid(const char *name, size_t len);

/*
 * Writes the slug of title into out (outsz bytes, at least 2): ASCII
 * letters lowercased, digits kept, common Latin accented letters
 * transliterated (é→e, ü→u, ß→ss, ø→o, å→a, æ→ae, œ→oe, þ→th...), combining
 * accents dropped, every run of anything else one '-', no '-' at the ends;
 * CHAN_NAME_FALLBACK_SLUG when nothing is left. Cut to fit outsz - 1
 * bytes: after a whole word when that keeps at least half of them, else
 * mid-word; never ending in '-'. Never fails.
 */
void chan_name_slug(const char *title, char *out, size_t outsz);

/*
 * Renders template into out (outsz bytes; CHAN_NAME_MAX + 1 always fits).
 * Placeholders: {date} the YYYY-MM-DD of start_ms in the zone tz_offset_min
 * minutes east of UTC, {id} the decimal id, {slug} the title's slug,
 * {severity} sev's name. Literal text may use a-z, 0-9, '-' and '_'
 * (A-Z are lowercased). The slug is shortened, at a '-' when possible, so
 * that the whole name fits CHAN_NAME_MAX; nothing else is ever cut.
 * BOT_EINVAL with a message in err for an unknown placeholder (named), a
 * bad character, a name that cannot fit or is not valid; BOT_ETOOBIG when
 * outsz is too small.
 */
enum bot_rc chan_name_render(const char *tmpl, int64_t id, const char *title,
                             enum severity sev, int64_t start_ms, int tz_offset_min, char *out,
                             size_t outsz, struct bot_err *err) BOT_MUST_CHECK;

/*
 * Like chan_name_render(), with "-n" appended (n >= 2) for a retry after
 * `name_taken`; the room for it is taken from the slug, so {id} is never
 * cut. n < 2 renders the plain name.
 */
enum bot_rc chan_name_render_variant(const char *tmpl, int64_t id, const char *title,
                                     enum severity sev, int64_t start_ms, int tz_offset_min,
                                     int n, char *out, size_t outsz, struct bot_err *err)
    BOT_MUST_CHECK;

/*
 * Writes base + "-n" (n >= 2) into out (outsz bytes), keeping the result
 * within CHAN_NAME_MAX: when it would be longer, base loses whole
 * '-'-separated words from its end when that keeps at least half of it,
 * characters otherwise, so with "inc-{date}-{id}-{slug}" the slug shrinks
 * and the id stays. A template with {id} last should use chan_name_render_variant()
 * instead. BOT_EINVAL when base is not valid or n < 2, BOT_ETOOBIG when out
 * is too small.
 */
enum bot_rc chan_name_variant(const char *base, int n, char *out, size_t outsz) BOT_MUST_CHECK;

/*
 * Checks a channel_name template at config-check time: known placeholders,
 * allowed characters, at most CHAN_NAME_MAX_TEMPLATE bytes, and that it
 * renders a valid name for sample incidents (ids 1 and 999999999999, short,
 * long, punctuation-only and non-Latin titles, every severity, dates in
 * several years). BOT_ECONFIG with a message in err when it does not.
 */
enum bot_rc chan_name_check_template(const char *tmpl, struct bot_err *err) BOT_MUST_CHECK;

#endif
