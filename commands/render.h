/*
 * Block Kit rendering of incidents: the pinned control message, the
 * announcement and its threaded update lines, the channel topic and purpose,
 * the declare modal and the decoding of its view_submission, and small reply
 * bodies. Pure code: no I/O and no clock reads (callers pass the time in).
 * Every Slack limit of ../shared/notes/slack-protocol.md section 4 is a named
 * cap below; text a user typed is cut at a character boundary (invalid UTF-8
 * becomes U+FFFD) and, wherever it is shown as mrkdwn, escaped (& < >) so it
 * can ping nobody. Trees are built with cJSON, which must be routed through
 * xmalloc (xmalloc_init_cjson()), so building cannot fail for lack of memory.
 *
 * Routing: every block_id of the control message is "inc<id>_<part>" and
 * every button value starts with the incident id ("42", or "42:identified"
 * for the next-status button), so a block_actions click finds its incident
 * with render_block_incident_id() or render_parse_action_value().
 */
#ifndef INCIDENTD_RENDER_H
#define INCIDENTD_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "incident.h"

/* Slack's Block Kit limits, counted in characters (an astral character counts as two). */
#define RENDER_MAX_BLOCKS        50  /* blocks in one message */
#define RENDER_MAX_MODAL_BLOCKS  100 /* blocks in one modal view */
#define RENDER_MAX_BLOCK_ID      255
#define RENDER_MAX_HEADER_TEXT   150  /* header block, plain_text */
#define RENDER_MAX_SECTION_TEXT  3000 /* section text */
#define RENDER_MAX_FIELDS        10   /* section fields */
#define RENDER_MAX_FIELD_TEXT    2000 /* each section field */
#define RENDER_MAX_CONTEXT_ELEMS 10   /* elements of a context block */
#define RENDER_MAX_ACTIONS_ELEMS 25   /* elements of an actions block */
#define RENDER_MAX_BUTTON_TEXT   75
#define RENDER_MAX_VALUE         2000 /* button value */
#define RENDER_MAX_CONFIRM_TITLE 100  /* a button's confirm dialog: title */
#define RENDER_MAX_CONFIRM_TEXT  300  /* ... its text */
#define RENDER_MAX_CONFIRM_BTN   30   /* ... its confirm and deny buttons */
#define RENDER_MAX_PLACEHOLDER   150
#define RENDER_MAX_LABEL         2000 /* input block label and hint */
#define RENDER_MAX_OPTIONS       100  /* options of a select */
#define RENDER_MAX_OPTION_TEXT   75
#define RENDER_MAX_OPTION_VALUE  150
#define RENDER_MAX_VIEW_TITLE    24 /* modal title, submit and close */
#define RENDER_MAX_PRIVATE_META  3000
#define RENDER_MAX_TOPIC         250  /* conversations.setTopic */
#define RENDER_MAX_PURPOSE       250  /* conversations.setPurpose */
#define RENDER_MAX_FALLBACK      3000 /* a message's top-level text (notifications) */
#define RENDER_MAX_USER_ID       32   /* longest Slack user or channel id taken as an id */
/* Our own bounds on what the declare modal accepts. */
#define RENDER_MAX_TITLE_INPUT    150  /* title field (max_length) */
#define RENDER_MAX_DESC_INPUT     3000 /* description field (max_length) */
#define RENDER_MAX_AFFECTED_USERS 1000000000LL
#define RENDER_STEPS              9 /* the steps of PLAN.md */

/* The incident as the renderers see it. Strings are borrowed; any may be NULL except title. */
struct render_incident {
    int64_t id; /* > 0 */
    const char *title;
    const char *description;
    enum severity severity;
    enum inc_status status;
    bool breach;            /* a data or security breach is suspected */
    bool public_;           /* published to the status page */
    bool cancelled;         /* closed by /incident cancel: shown "cancelled", no buttons */
    int64_t started_at_ms;  /* when the problem started (Unix ms) */
    int64_t declared_at_ms; /* when it was declared */
    int step;               /* 1..RENDER_STEPS, the plan's step pointer */
    const char *irm, *tech_liaison, *support_liaison, *dpo; /* Slack user ids */
    const char *call_url;
    const char *channel_id;       /* the incident's channel */
    const char *announcement_url; /* permalink of the announcement */
    const char *mirror_state;     /* the status-page mirror: "synced", "retrying since …",
                                     "failed: why"; NULL when not mirrored (bot text, escaped) */
    const char *const *components;
    size_t n_components;
    const char *declarer;   /* Slack user id; may be NULL */
    bool redacted;          /* the announcement of a private incident (see audience.h): its
                               number, severity, status and whom to ask, nothing else */
};

/* Name of a plan step ("Support plan" for 3), "?" when out of range. */
const char *render_step_name(int step);
/* Emoji shortcode for a severity, e.g. ":red_circle:". */
const char *render_severity_emoji(enum severity sev);
/* Label of the next-status button for st ("Mark identified"), NULL when st has no next. */
const char *render_next_status_label(enum inc_status st);

/*
 * The pinned control message of the incident channel. On success *blocks_out
 * (a JSON array for chat.postMessage/chat.update "blocks") and
 * *fallback_text_out (mrkdwn for "text", escaped) belong to the caller, who
 * frees them with cJSON_Delete() and free(). now_ms is the current time,
 * used for the age. BOT_EINVAL on a malformed incident (id, enum, step),
 * with both outputs left NULL.
 */
enum bot_rc render_control_message(const struct render_incident *inc, int64_t now_ms,
                                   cJSON **blocks_out, char **fallback_text_out) BOT_MUST_CHECK;

/*
 * The message in the announcement channel; outputs and ownership as
 * render_control_message(). When inc->redacted it names neither the title
 * nor the channel: "INC-7, a private incident (major, investigating): ask
 * <@IRM> for access", the declarer when there is no IRM yet.
 */
enum bot_rc render_announcement(const struct render_incident *inc, cJSON **blocks_out,
                                char **fallback_text_out) BOT_MUST_CHECK;

enum render_update_kind {
    RENDER_UPDATE_STATUS,   /* "Status changed to identified by <@U1>: text" */
    RENDER_UPDATE_SEVERITY, /* "Severity changed to major by <@U1>: text" */
    RENDER_UPDATE_NOTE,     /* "Note by <@U1>: text" */
    RENDER_UPDATE_CANCELLED, /* "Cancelled, not an incident after all, by <@U1>: why" */
};

/* One threaded update under the announcement. Strings borrowed; actor and text may be NULL. */
struct render_update {
    enum render_update_kind kind;
    enum inc_status status; /* RENDER_UPDATE_STATUS: the new status */
    enum severity severity; /* RENDER_UPDATE_SEVERITY: the new severity */
    const char *actor;      /* Slack user id */
    const char *text;       /* what the user wrote; escaped here */
};

/*
 * The components menu of the control message's *Components* button: which
 * components incident id affects (current, in order) and two menus,
 * "inc_component_add" with others (the known components it does not
 * affect) and "inc_component_remove" with current, each option's value the
 * name. Names that cannot be an option value (over RENDER_MAX_OPTION_VALUE
 * characters, invalid UTF-8) and any beyond RENDER_MAX_OPTIONS are left out
 * of the menus (the text still names them; the command changes them); a
 * menu with no option is left out. *text_out is the mrkdwn fallback.
 */
enum bot_rc render_components_menu(int64_t id, const char *const *current, size_t n_current,
                                   const char *const *others, size_t n_others,
                                   cJSON **blocks_out, char **text_out) BOT_MUST_CHECK;

/* The update's mrkdwn text (≤ RENDER_MAX_FALLBACK characters); *text_out is the caller's to free.
 */
enum bot_rc render_update_line(const struct render_update *u, char **text_out) BOT_MUST_CHECK;

/* Channel topic "SEV major | investigating | IRM <@U1>" (≤ RENDER_MAX_TOPIC); caller frees. */
enum bot_rc render_topic(const struct render_incident *inc, char **topic_out) BOT_MUST_CHECK;
/* Channel purpose: the title, escaped, ≤ RENDER_MAX_PURPOSE characters; caller frees. */
enum bot_rc render_purpose(const struct render_incident *inc, char **purpose_out) BOT_MUST_CHECK;

/* How much of the product is affected: the declare modal's "scope". */
enum render_scope {
    RENDER_SCOPE_NONE, /* not given */
    RENDER_SCOPE_MINOR_FEATURE,
    RENDER_SCOPE_MAJOR_FEATURE,
    RENDER_SCOPE_WHOLE_PRODUCT,
};

/*
 * What the declare modal starts with. Strings borrowed; all optional. The
 * start time and the severity start empty: an unknown start is not "now"
 * (which the incident definition would judge as under a minute), and an
 * empty severity means the suggestion from scope, customers and breach.
 */
struct render_declare_defaults {
    const char *title;             /* pre-filled title, e.g. typed after `/incident declare` */
    const char *private_metadata;  /* handed back in the submission, ≤ RENDER_MAX_PRIVATE_META */
    const char *const *components; /* choices; those with a name over RENDER_MAX_OPTION_VALUE
                                      characters, and any beyond RENDER_MAX_OPTIONS, are left out */
    size_t n_components;
};

/* The modal's callback_id and the block ids of its inputs (action ids are <block>_input). */
#define RENDER_DECLARE_CALLBACK "incident_declare"

/*
 * The declare modal, a view object for views.open's "view". *view_out is the
 * caller's, freed with cJSON_Delete(). BOT_EINVAL on bad defaults.
 */
enum bot_rc render_declare_modal(const struct render_declare_defaults *d,
                                 cJSON **view_out) BOT_MUST_CHECK;

/* The declare modal's answers. Strings are owned; free with render_declare_values_free(). */
struct render_declare_values {
    char *title;       /* trimmed, never empty */
    char *description; /* NULL when not given */
    enum render_scope scope;
    int percent; /* customers affected, 0..100, or -1 when not given */
    bool breach;
    bool has_severity;
    enum severity severity;
    int64_t started_at_ms;  /* 0 when not given */
    int64_t affected_users; /* -1 when not given */
    char **components;
    size_t n_components;
    const char *error_block; /* on failure: the block_id at fault (static), else NULL */
};

/*
 * Reads a view_submission's view.state.values (values[block_id][action_id] =
 * {type, value | selected_option | selected_options | selected_date_time})
 * into out. A missing or blank title, a percentage outside 0..100, a bad
 * number return BOT_EINVAL; an element of the wrong type or shape returns
 * BOT_EPROTO. On failure out holds nothing to free, out->error_block names
 * the block, and err says what was wrong in words for the user, fit for
 * render_view_errors(). On success free out with render_declare_values_free().
 */
enum bot_rc render_parse_declare_submission(const cJSON *view_state_values,
                                            struct render_declare_values *out,
                                            struct bot_err *err) BOT_MUST_CHECK;
void render_declare_values_free(struct render_declare_values *v);

/* payload.view.state.values of a view_submission payload, or NULL; borrowed from payload. */
const cJSON *render_view_state_values(const cJSON *payload);

/* {"response_type":"ephemeral","text":text}: text is the bot's mrkdwn, cut to RENDER_MAX_FALLBACK.
 * The caller owns the result (cJSON_Delete). */
cJSON *render_ephemeral_error(const char *text);

/* {"response_action":"errors","errors":{block_id: message}} for a view_submission ack; caller owns.
 */
cJSON *render_view_errors(const char *block_id, const char *message);

/* The incident id of a control-message block_id ("inc42_actions" -> 42); false when not one. */
bool render_block_incident_id(const char *block_id, int64_t *id_out);

/*
 * Splits a button value "42" or "42:identified": *id_out = 42 and *arg_out
 * points into value after the colon ("" when there is none). False when the
 * value does not start with a positive id.
 */
bool render_parse_action_value(const char *value, int64_t *id_out, const char **arg_out);

#endif
