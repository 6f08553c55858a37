/*
 * Block Kit rendering for the later steps of the plan (plan_steps.c): the
 * nine-step checklist shown to one user with a "Mark done" button per open
 * step, and the public postmortem modal (step 8) with the decoding of its
 * view_submission and the preview of what it would publish. Pure code, no
 * I/O and no clock reads, under the limits
 * of render.h: text is counted in characters the way Slack counts them and
 * cut at a character boundary; user text shown as mrkdwn is escaped by the
 * caller (the checklist's lines are the plan's own mrkdwn) or here (plain
 * text fields of the modal are shown literally and only cut). cJSON
 * allocation aborts on out-of-memory (xmalloc_init_cjson()), so a renderer
 * fails only on malformed input or a bug in its caps.
 *
 * Routing: the checklist's buttons have action_id RENDER_STEP_DONE_ACTION
 * and value "<incident>:<step>" ("42:3"), so a click finds its incident with
 * render_parse_action_value() like the control message's buttons.
 */
#ifndef INCIDENTD_RENDER_STEPS_H
#define INCIDENTD_RENDER_STEPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "incident.h"
#include "render.h"

#define RENDER_STEP_DONE_ACTION     "inc_step_done" /* "Mark done" on the checklist */
#define RENDER_STEP_DETAIL_MAX      1200 /* characters of a step's detail line (mrkdwn) */
#define RENDER_POSTMORTEM_CALLBACK  "incident_postmortem"
#define RENDER_PM_INPUT_MAX         3000 /* plain_text_input max_length (Slack's own cap) */
#define RENDER_PM_BODY_MAX          (4 * RENDER_PM_INPUT_MAX * 5 + 200) /* bytes of the Markdown
                       body: 4 parts of at most 5 bytes a character ("&amp;" in stored form) */
#define RENDER_PM_PUBLISH_ACTION    "inc_pm_publish" /* the preview's buttons; value "<id>:<draft>" */
#define RENDER_PM_EDIT_ACTION       "inc_pm_edit"    /* value "<id>" */
#define RENDER_PM_CANCEL_ACTION     "inc_pm_cancel"  /* value "<id>" */
/*
 * A placeholder of the draft, which the team must replace with its own
 * words: "[[" ... "]]". A part still holding "[[" is refused.
 */
#define RENDER_PM_PLACEHOLDER       "[["

/* One step of the checklist as the renderer sees it; strings borrowed. */
struct render_step {
    bool done;           /* done or skipped */
    bool skipped;        /* passed over rather than done */
    const char *by;      /* Slack user id of who did or skipped it; NULL: the bot */
    int64_t at_ms;       /* when; 0 while open */
    const char *detail;  /* the plan's own mrkdwn (user text escaped), at most
                            RENDER_STEP_DETAIL_MAX characters; NULL for none */
};

struct render_checklist {
    int64_t id;         /* > 0 */
    const char *title;  /* the incident's title, escaped here */
    enum inc_status status;
    int pointer;        /* the step pointer, 1..RENDER_STEPS */
    struct render_step steps[RENDER_STEPS]; /* steps[0] is step 1 */
};

/*
 * The checklist as message blocks for an ephemeral reply. On success
 * *blocks_out (a JSON array) and *text_out (the fallback mrkdwn) are the
 * caller's, freed with cJSON_Delete() and free(). BOT_EINVAL on a malformed
 * checklist (id, status, pointer), BOT_ETOOBIG when a detail is over its
 * bound; both outputs NULL then.
 */
enum bot_rc render_checklist(const struct render_checklist *c, cJSON **blocks_out,
                             char **text_out) BOT_MUST_CHECK;

/* The postmortem's parts, in the order of the modal and of the Markdown body. */
enum render_pm_part {
    RENDER_PM_IMPACT,   /* impact and duration (required) */
    RENDER_PM_HAPPENED, /* what happened (required) */
    RENDER_PM_DONE,     /* what we did (required) */
    RENDER_PM_NEXT,     /* what we will do (optional) */
    RENDER_PM_PARTS
};

/* "pm_impact", ...: the part's block id (its input's action id is "<block>_input"). */
const char *render_pm_block(enum render_pm_part part);
/* "Impact", "What happened", ...: the part's heading. */
const char *render_pm_heading(enum render_pm_part part);
/*
 * The placeholder a draft holds for the part's prose ("[[Replace this: ...]]"),
 * or NULL for the impact, which is drafted from the public record. Static.
 */
const char *render_pm_placeholder(enum render_pm_part part);

/* What the postmortem modal starts with; strings borrowed. */
struct render_postmortem_defaults {
    int64_t id;                 /* > 0 */
    const char *title;          /* the incident's title (shown plain, cut) */
    bool public_;               /* published: the text goes to the status page */
    bool amend;                 /* a postmortem was published before: this amends it */
    bool draft;                 /* the parts are a draft saved earlier, not yet published */
    const char *private_metadata; /* handed back, at most RENDER_MAX_PRIVATE_META bytes */
    const char *parts[RENDER_PM_PARTS]; /* initial values (cut to RENDER_PM_INPUT_MAX); NULL: empty */
};

/* The modal, a view for views.open; *view_out is the caller's. BOT_EINVAL on bad defaults. */
enum bot_rc render_postmortem_modal(const struct render_postmortem_defaults *d,
                                    cJSON **view_out) BOT_MUST_CHECK;

/* The modal's answers: each part trimmed, owned, NULL when blank (only NEXT may be). */
struct render_postmortem_values {
    char *parts[RENDER_PM_PARTS];
    const char *error_block; /* on failure: the block at fault (static) */
};

/*
 * Reads view.state.values of the postmortem modal (raw text, as Slack sends
 * a modal's input). A required part blank or missing, or any part still
 * holding a RENDER_PM_PLACEHOLDER: BOT_EINVAL; an element of the wrong shape
 * or a part over RENDER_PM_INPUT_MAX characters: BOT_EPROTO / BOT_EINVAL.
 * On failure out
 * holds nothing to free, out->error_block names the block and err says
 * what is wrong in words for the user (fit for render_view_errors()).
 */
enum bot_rc render_parse_postmortem_submission(const cJSON *view_state_values,
                                               struct render_postmortem_values *out,
                                               struct bot_err *err) BOT_MUST_CHECK;
void render_postmortem_values_free(struct render_postmortem_values *v);

/*
 * The public postmortem's Markdown body from its parts ("## Impact\n\n...",
 * blank parts left out), at most RENDER_PM_BODY_MAX bytes; caller frees.
 * The parts are in Slack's stored form (slack_text.h) and so is the body.
 */
char *render_postmortem_body(const char *const parts[RENDER_PM_PARTS]);

/* What the preview of a postmortem draft shows; strings borrowed. */
struct render_pm_preview {
    int64_t id;                   /* > 0 */
    const char *title;            /* the incident's public title, raw (escaped here) */
    bool public_;                 /* published: the click sends it to the status page */
    int64_t published_at;         /* the postmortem's first publication (Unix ms); 0: none yet */
    int64_t draft_at;             /* the draft's time: the Publish button's value carries it */
    const char *parts[RENDER_PM_PARTS]; /* as typed (raw); NULL or "" left out */
};

/*
 * The preview of a postmortem draft, for an ephemeral reply: the parts as
 * they would be published (each cut to fit a section, saying so), what the
 * click does (a first publication, an amendment, or kept with an internal
 * incident), and the buttons RENDER_PM_PUBLISH_ACTION ("Publish postmortem",
 * or "Record postmortem" for an internal incident; value "<id>:<draft_at>"),
 * RENDER_PM_EDIT_ACTION ("Edit") and RENDER_PM_CANCEL_ACTION ("Not yet").
 * On success *blocks_out and *text_out (the fallback) are the caller's;
 * BOT_EINVAL on a bad id or title.
 */
enum bot_rc render_postmortem_preview(const struct render_pm_preview *pv, cJSON **blocks_out,
                                      char **text_out) BOT_MUST_CHECK;

/*
 * Plain text of mrkdwn the plan wrote (timeline entries) for internal
 * documents, by slack_text_plain(): "<@U1>" -> "@U1" (the id when the
 * mention has no label), "<url|label>" -> "label", "<!date^...|fallback>"
 * -> "fallback", mass mentions the plain words; with decode unset the
 * result is escaped again (& < >) for text that goes back into a Slack
 * message. Caller frees.
 */
char *render_mrkdwn_to_text(const char *mrkdwn, bool decode);

#endif
