/*
 * The incident plan of ../shared/PLAN.md as decisions: given the store (the
 * incidents as they are) and one event (a slash command, a click, a modal
 * submission, a reminder falling due), it writes the new state, the timeline
 * entries and the effects (outbox rows) of the decision. It makes no network
 * call and reads no clock: the caller opens the transaction (or savepoint)
 * that makes the decision all-or-nothing, passes the time in, and hands the
 * outbox to delivery. The same event decided twice (a crash before the
 * commit) produces the same idempotency keys, so nothing is doubled.
 *
 * Why the plan writes to the store itself instead of returning a list of
 * changes for the worker to apply: a decision needs to read what it just
 * wrote (the id of the incident it created goes into the channel name, the
 * block ids and every effect), and SQLite inside one transaction already
 * is that buffer. The decisions stay free of I/O other than the store, and
 * every rule is a unit test against a real database file.
 *
 * Effects and lanes: replies to the user (response_url) and views.open go
 * to the "fast" lane, which nothing else can hold up (Slack's trigger_id
 * lives 3 s); everything about an incident goes to the "slack" lane, in
 * order per incident. Views of an incident (control message, topic,
 * announcement) are enqueued as "incident.control" / "incident.topic" /
 * "incident.announce" and rendered by delivery from the state current when
 * it performs them (see bot/delivery.h).
 */
#ifndef INCIDENTD_PLAN_H
#define INCIDENTD_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "audience.h"
#include "declare.h"
#include "hook.h"
#include "hours.h"
#include "err.h"
#include "store.h"
#include "store_incident.h"
#include "store_reminder.h"

#define PLAN_CHANNEL_VARIANTS 5  /* names offered to slack.create_channel: base, -2 .. -5 */
#define PLAN_MAX_REASON 500      /* characters of a "why" kept on the timeline */
#define PLAN_LIAISON_REMIND_MIN 15 /* minutes after the IRM is named before reminding again */
#define PLAN_MAX_CALL_URL 1000   /* bytes of a video call link */
#define PLAN_MAX_LIST 50         /* incidents shown by /incident list */

/* An outgoing webhook as the plan sees it: its outbox lane and the events it wants. */
struct plan_webhook {
    const char *lane;  /* HOOK_LANE_PREFIX + its name */
    unsigned events;   /* bit (1u << enum hook_event) set: subscribed */
};

/* The configuration the plan reads; strings borrowed, "" for an unset one. */
struct plan_config {
    int64_t min_duration_minutes;
    int64_t min_affected_users;
    struct declare_sev_thresholds sev;
    const char *channel_template;
    const char *announce_channel;
    struct audience_config privacy; /* [privacy]: what the announcement channel may show */
    const char *irm_group;
    const char *const *irm_users;
    size_t n_irm_users;
    const char *dpo;
    const char *const *oncall;
    size_t n_oncall;
    int64_t breach_notify_hours;
    const int64_t *breach_remind_hours;
    size_t n_breach_remind_hours;
    const char *call_url_template;
    int64_t irm_unclaimed_minutes; /* remind while nobody took the IRM role; 0: never */
    int64_t public_update_minutes; /* remind when a public incident had no public update; 0: never */
    bool mirror;                   /* the Atlassian Statuspage mirror is configured */
    const struct plan_webhook *webhooks; /* [[webhooks]]; may be NULL when there are none */
    size_t n_webhooks;
    const char *statuspage_url;    /* "" or NULL, or the status page's base URL ending in '/' */
    const char *const *components; /* configured component names: [[statuspage.components]],
                                      then [statuspage.atlassian] components not among them */
    size_t n_components;
    /* Business hours and on call (PLAN.md "Business hours and the simplified plan") */
    struct hours hours;            /* disabled: always business hours */
    bool escalate[SEV_COUNT];      /* severities that page the IRMs out of hours */
    const char *oncall_group;      /* "" or a user group mentioned with the on-call engineers */
    const char *const *rotation;   /* weekly rotation of on-call engineers (may be empty) */
    size_t n_rotation;
    int64_t rotation_start_ms;     /* a moment in the rotation's first week */
    /* Permissions: who may change severity/status, publish, close (besides the bot) */
    bool declare_everyone;         /* else only declare_users may declare */
    const char *const *declare_users;
    size_t n_declare_users;
    bool manage_everyone, manage_team, manage_irms, manage_admins;
    const char *const *manage_users; /* named in [permissions] manage */
    size_t n_manage_users;
    const char *const *admins;
    size_t n_admins;
    /* Steps 4-7 (plan_status.c) */
    int64_t reassess_after_minutes;  /* prompt a severity re-assessment this long after the last
                                        change or declare; 0: only on status changes */
    const char *status_templates[3]; /* public message templates of identified, monitoring and
                                        resolved; NULL or "": the RENDER_STATUS_TEMPLATE_* */
    /* Steps 3, 8 and 9 (plan_steps.c) */
    const char *support_channel;     /* "" or NULL: no support channel; else a channel id */
    int64_t postmortem_due_hours;    /* internal postmortem due after resolving; 0: default */
    const int64_t *postmortem_remind_hours; /* reminders this many hours before that deadline */
    size_t n_postmortem_remind_hours;
    bool postmortem_optional[SEV_COUNT]; /* severities [postmortem] required_for leaves out: no
                                            internal postmortem deadline, no reminders */
};

/* One decision in progress. */
struct plan {
    const struct plan_config *cfg;
    struct store *store;
    int64_t now_ms;
    int tz_offset_min;    /* the configured zone's offset from UTC now, minutes east */
    const char *event_id; /* the envelope id (or "reminder-N"): prefix of idempotency keys */
    unsigned seq;         /* effects enqueued so far */
};

/* Who acted and how to answer them; strings borrowed from the payload. */
struct plan_actor {
    const char *user_id;
    const char *channel_id;   /* where they acted; may be NULL (a modal) */
    const char *response_url; /* may be NULL */
    const char *trigger_id;   /* may be NULL */
};

/*
 * Return codes of the event functions: BOT_OK when the event was decided
 * (a user's mistake is decided too: answered, nothing else changed);
 * BOT_EPROTO when the payload lacks what Slack always sends (err says
 * what), with nothing written; other codes are store failures, after which
 * the caller rolls the decision back.
 */

/* A `/incident ...` slash command (payload of a slash_commands envelope). */
enum bot_rc plan_slash(struct plan *p, const cJSON *payload, struct bot_err *err) BOT_MUST_CHECK;
/* An interactive envelope: block_actions on our messages, view_submission of our modals. */
enum bot_rc plan_interactive(struct plan *p, const cJSON *payload,
                             struct bot_err *err) BOT_MUST_CHECK;
/* A reminder that fell due (the caller marks it done in the same transaction). */
enum bot_rc plan_reminder(struct plan *p, const struct store_reminder *r,
                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Checks a view_submission before it is acked: *errors_out is set to a
 * {"response_action":"errors",...} object (caller frees) when the modal's
 * values are not acceptable, so Slack shows the message under the field and
 * keeps the modal open; NULL when it is fine or not ours. Every form's text
 * values are first checked for characters no user text may contain
 * (cmd_check_text: controls, NUL, bidirectional overrides); then the
 * modal's own rules. plan_interactive() makes the same checks and changes
 * nothing when one fails. Pure.
 */
void plan_check_submission(const cJSON *payload, cJSON **errors_out);

/* ---- used by the cmd_*.c handlers (commands/plan_*.c) ---- */

/* Enqueues an effect of kind with payload (consumed) in lane target for incident id (0: none). */
enum bot_rc plan_effect(struct plan *p, int64_t incident_id, const char *target, const char *kind,
                        cJSON *payload, struct bot_err *err) BOT_MUST_CHECK;
/* A Web API call in the incident's lane; args consumed. */
enum bot_rc plan_call(struct plan *p, int64_t incident_id, const char *method, cJSON *args,
                      struct bot_err *err) BOT_MUST_CHECK;
/*
 * plan_call() whose args "text" is the plan's own string holding
 * "{{incident.FIELD}}" placeholders (a direct message linking the channel
 * before it exists), filled when the call is made. Only for text with no
 * user text in it: user text is never a template (see delivery_fill()).
 */
enum bot_rc plan_call_linking(struct plan *p, int64_t incident_id, const char *method,
                              cJSON *args, struct bot_err *err) BOT_MUST_CHECK;
/* A message (mrkdwn, the caller escaped user text) in the incident's channel. */
enum bot_rc plan_say(struct plan *p, const struct store_incident *inc, const char *text,
                     struct bot_err *err) BOT_MUST_CHECK;
/* An ephemeral answer through url (replace: replace the message clicked); blocks consumed. */
enum bot_rc plan_respond(struct plan *p, const char *url, const char *text, cJSON *blocks,
                         bool replace, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Re-renders the control message and topic, and the announcement when there
 * is an announcement channel and the audience rules let it show inc (a
 * private incident's is redacted; with [privacy] private_announcement =
 * "none" it is not posted, but one posted before is redacted).
 */
enum bot_rc plan_refresh(struct plan *p, const struct store_incident *inc,
                         struct bot_err *err) BOT_MUST_CHECK;
/*
 * One line under the incident's announcement (a note, a status, severity
 * or close), only when there is an announcement channel and the audience
 * rules let the whole company read it (never for a private incident by
 * default, never for a potential one).
 */
struct render_update;
enum bot_rc plan_announce_update(struct plan *p, const struct store_incident *inc,
                                 const struct render_update *u,
                                 struct bot_err *err) BOT_MUST_CHECK;
/*
 * A timeline entry by actor (NULL: the bot) of kind with text. A "declare",
 * "promote" or "severity" entry also restarts the incident's severity
 * re-assessment clock (plan_reassess_schedule).
 */
enum bot_rc plan_record(struct plan *p, const struct store_incident *inc, const char *actor,
                        const char *kind, const char *text, struct bot_err *err) BOT_MUST_CHECK;

/*
 * Creates the incident req describes, declared by actor: below the incident
 * definition it is recorded as potential and the declarer is asked (buttons)
 * to declare it anyway or keep it as potential; otherwise it is set up (see
 * plan_setup). Answers the declarer through a->response_url.
 */
enum bot_rc plan_declare(struct plan *p, const struct plan_actor *a, const struct declare_req *req,
                         const char *description, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Sets up a declared incident in Slack: its channel (private on a suspected
 * breach), invitations, purpose, topic, the pinned control message, the
 * call link, the DPO on a breach, the welcome message and the announcement.
 */
enum bot_rc plan_setup(struct plan *p, struct store_incident *inc, const char *actor,
                       struct bot_err *err) BOT_MUST_CHECK;
/* Turns a potential incident into a declared one (investigating) and sets it up. */
enum bot_rc plan_promote(struct plan *p, const struct plan_actor *a, int64_t id,
                         struct bot_err *err) BOT_MUST_CHECK;

/* Role names as commands take them: "irm", "tech", "support", "dpo"; false otherwise. */
bool plan_role_parse(const char *s, const char **role_out);
/* "IRM", "technical liaison", ...; never NULL. */
const char *plan_role_title(const char *role);

/*
 * Makes user the holder of role, by actor; answers through url (may be
 * NULL). Already holding it is answered, not an error.
 */
enum bot_rc plan_assign(struct plan *p, struct store_incident *inc, const char *role,
                        const char *user, const char *actor, const char *url,
                        struct bot_err *err) BOT_MUST_CHECK;
/* Changes the severity, with who and why on the timeline. */
enum bot_rc plan_set_severity(struct plan *p, struct store_incident *inc, enum severity sev,
                              const char *actor, const char *why, const char *url,
                              struct bot_err *err) BOT_MUST_CHECK;
/* Marks a suspected breach: DPO, privacy advice, the regulator clock. */
enum bot_rc plan_breach(struct plan *p, struct store_incident *inc, const char *actor,
                        const char *url, struct bot_err *err) BOT_MUST_CHECK;
/* Sets the video call link (a bookmark and the control message). */
enum bot_rc plan_set_call(struct plan *p, struct store_incident *inc, const char *url_,
                          const char *actor, const char *reply_url,
                          struct bot_err *err) BOT_MUST_CHECK;

/*
 * Parses a user reference typed in a command: "<@U123>" or "<@U123|name>"
 * (what Slack sends for a mention), or "me". On failure returns false with
 * a sentence in why (escaped user text), e.g. for a plain "@bob".
 */
bool plan_parse_user(const char *word, const char *self, char *id_out, size_t idsz, char *why,
                     size_t whysz);
/* "INC-42", "inc-42", "#42" or "42" -> 42; false otherwise. */
bool plan_parse_incident_ref(const char *word, int64_t *id_out);

/* The call link of template for incident id and channel name ("" when no template). */
enum bot_rc plan_call_url(const char *tmpl, int64_t id, const char *channel, char *out,
                          size_t outsz) BOT_MUST_CHECK;

struct cmd_call;
struct cmd_args;
struct buf;

/*
 * The incident a command is about: its last word (before index *argc) when
 * that is a reference ("INC-42", "#42", or, when bare_ok, "42"), and then
 * *argc is one less; else the incident whose channel the command was typed
 * in. BOT_ENOTFOUND with the reason in reply when there is none (it says
 * how to name one); store failures otherwise. inc is the caller's to clear.
 */
enum bot_rc plan_cmd_incident(const struct cmd_call *call, const struct cmd_args *args, int *argc,
                              bool bare_ok, struct store_incident *inc, struct buf *reply,
                              struct bot_err *err) BOT_MUST_CHECK;

/*
 * Whether user may change the incident's severity or status, publish it or
 * close it ([permissions] manage: everyone, the incident's response team
 * (its role holders and declarer), the IRMs, the admins, named users).
 * When not, why (whysz bytes) says who may.
 */
enum bot_rc plan_may_manage(struct plan *p, const struct store_incident *inc, const char *user,
                            bool *allowed, char *why, size_t whysz) BOT_MUST_CHECK;
/*
 * Whether user, acting in channel (may be NULL), may see or address inc: any
 * incident that is not private; a private one (audience_private) only in its
 * own channel, or for its declarer, its current role holders, the DPO, the
 * admins and the IRMs ([roles] irm_users, or irm_group as last synced: a
 * group never synced counts nobody).
 * plan_cmd_incident() answers the others that the incident is private, and
 * `/incident list` shows them its number only.
 */
enum bot_rc plan_may_read(struct plan *p, const struct store_incident *inc, const char *user,
                          const char *channel, bool *allowed, struct bot_err *err) BOT_MUST_CHECK;
/* Whether user may declare ([permissions] declare); why says who may when not. */
bool plan_may_declare(const struct plan_config *cfg, const char *user, char *why, size_t whysz);
/* True when user is one of the IRMs (list, or the group as last synced; unknown counts as yes). */
enum bot_rc plan_is_irm(struct plan *p, const char *user, bool *irm,
                        struct bot_err *err) BOT_MUST_CHECK;

/*
 * Who is paged (README "Business hours and paging"): every page and reminder of
 * an open incident asks plan_page_targets() whom to mention, so [business_hours]
 * and escalate_severities hold everywhere. In business hours, or when the
 * incident's severity (as it is now, so a later raise counts) is one of
 * escalate_severities, the IRMs or the role holder are addressed as they
 * always were; outside business hours for any other severity only the on-call
 * engineers are:
 *
 *   kind           in hours   out of hours, escalates   out of hours, does not
 *   DECLARE        IRMS       IRMS | ONCALL             ONCALL
 *   RAISE          IRMS (1)   IRMS (1)                  0
 *   IRM_UNCLAIMED  IRMS       IRMS | ONCALL             ONCALL
 *   LIAISONS       HOLDER     HOLDER                    ONCALL
 *   PUBLIC_UPDATE  HOLDER     HOLDER                    ONCALL
 *
 * (1) only when the new severity escalates; 0 otherwise. Pure over p->cfg,
 * p->now_ms, p->tz_offset_min and inc->severity (an unknown severity does
 * not escalate).
 */
enum plan_page_kind {
    PLAN_PAGE_DECLARE,       /* an incident was just declared (or promoted) */
    PLAN_PAGE_RAISE,         /* its severity was just raised */
    PLAN_PAGE_IRM_UNCLAIMED, /* reminder: nobody took the IRM role */
    PLAN_PAGE_LIAISONS,      /* reminder: the IRM has not appointed both liaisons */
    PLAN_PAGE_PUBLIC_UPDATE, /* reminder: a public incident's page had no update */
};
#define PLAN_PAGE_IRMS 1u   /* [roles] irm_group and irm_users */
#define PLAN_PAGE_ONCALL 2u /* [oncall] group, users and this week's rotation engineer */
#define PLAN_PAGE_HOLDER 4u /* the holder of the role the reminder is about */
unsigned plan_page_targets(const struct plan *p, const struct store_incident *inc,
                           enum plan_page_kind kind);

/* A reminder found the incident without an IRM: ping whom plan_page_targets() says, schedule
 * the next. */
enum bot_rc plan_irm_unclaimed(struct plan *p, const struct store_incident *inc,
                               struct bot_err *err) BOT_MUST_CHECK;
/* A reminder found the IRM without both liaisons: remind whom plan_page_targets() says. */
enum bot_rc plan_liaisons_remind(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err) BOT_MUST_CHECK;

/*
 * A public update went out (or the incident was just published): restarts
 * the "no public update for [reminders] public_update_minutes" clock of a
 * published incident that is not resolved yet; stops it otherwise.
 */
enum bot_rc plan_public_update_schedule(struct plan *p, const struct store_incident *inc,
                                        struct bot_err *err) BOT_MUST_CHECK;
/* That clock ran out: remind the support liaison (or the IRM; out of hours for a severity that
 * does not escalate, the on-call engineers) in the channel, and restart it. */
enum bot_rc plan_public_update_remind(struct plan *p, const struct store_incident *inc,
                                      struct bot_err *err) BOT_MUST_CHECK;

/* ==== Publishing (commands/plan_publish.c) ==== */

#define PLAN_MAX_PUBLIC_MESSAGE 2000 /* characters of a public message */

/* The component status an open incident of this severity gives its components. */
const char *plan_component_status(const char *severity);
/*
 * Sets the status of each component of inc on the built-in page: the worst
 * status the published, unresolved incidents holding it give it (their
 * impact for it, else one from their severity), operational when none.
 * Called for every public change (plan_mirror) and severity change.
 */
enum bot_rc plan_sync_components(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err) BOT_MUST_CHECK;
/* The same for one component by name (one just detached from an incident). */
enum bot_rc plan_sync_component(struct plan *p, const char *name,
                                struct bot_err *err) BOT_MUST_CHECK;
/*
 * The components a user may name: the configured ones (cfg->components, in
 * order), then the store's rows not among them. *names (n strings) is the
 * caller's to free with plan_components_free().
 */
enum bot_rc plan_components_known(struct plan *p, char ***names, size_t *n,
                                  struct bot_err *err) BOT_MUST_CHECK;
void plan_components_free(char **names, size_t n);
/* The known name matching name regardless of ASCII case (borrowed from names), or NULL. */
const char *plan_component_match(char *const *names, size_t n, const char *name);
/*
 * The name to use for name: the known one matching it; NULL (refused) when
 * it matches none and components are configured. With none configured the
 * page shows whatever the store has, so a new name is taken as typed.
 */
const char *plan_component_resolve(const struct plan_config *cfg, char *const *names, size_t n,
                                   const char *name);
/* Appends ":warning: There is no component `name`. Known components: `A`, `B`." to out. */
void plan_component_unknown(struct buf *out, const char *name, char *const *names, size_t n);
/* Attaches the known component name to incident id, creating its store row when missing. */
/*
 * The control message's *Components* button: answers through url with which
 * components inc affects and menus to add one of the known ones or remove
 * one (render_components_menu); their picks ("inc_component_add|remove")
 * go through plan_set_component() and show the menu again, replacing it.
 */
enum bot_rc plan_components_menu(struct plan *p, const struct store_incident *inc,
                                 const char *url, bool replace,
                                 struct bot_err *err) BOT_MUST_CHECK;
enum bot_rc plan_component_attach(struct plan *p, int64_t id, const char *name,
                                  struct bot_err *err) BOT_MUST_CHECK;
/*
 * `/incident component add|remove`: attaches or detaches component name
 * (a known one) by actor, on the timeline and the control message; when
 * published the built-in page follows at once and the mirror gets a
 * "statuspage.update" {components: [names now], removed: [name]} (webhooks:
 * incident.updated). Answers through url.
 */
enum bot_rc plan_set_component(struct plan *p, struct store_incident *inc, bool add,
                               const char *name, const char *actor, const char *url,
                               struct bot_err *err) BOT_MUST_CHECK;

/*
 * `/incident title [--public] <title>` (commands/plan_edit.c): checked as
 * declare checks titles; by someone plan_may_manage() allows. The internal
 * title is on the timeline, topic and control message; the public one on
 * the page, the mirror ("statuspage.update" {name}) and the webhooks
 * (incident.updated), at once when published. Renaming a published incident
 * that has no public title keeps the old title as its public one.
 */
enum bot_rc plan_set_title(struct plan *p, struct store_incident *inc, bool public,
                           const char *text, const char *actor, const char *url,
                           struct bot_err *err) BOT_MUST_CHECK;
/* `/incident description <text>`: stored as typed, shown on the control message. */
enum bot_rc plan_set_description(struct plan *p, struct store_incident *inc, const char *text,
                                 const char *actor, const char *url,
                                 struct bot_err *err) BOT_MUST_CHECK;

/*
 * A public change of inc, event ev. Nothing when inc is not published
 * (payload only freed). Otherwise: the built-in page's components follow
 * (plan_sync_components), a "statuspage" effect of kind with
 * payload (consumed) when the Atlassian mirror is configured, and one
 * HOOK_KIND effect in the lane of every webhook subscribed to ev, whose
 * body (hook_payload) is built now from payload's "status", "body" and
 * "impact" and the incident as stored. Statuspage kinds:
 * "statuspage.create" {name, status, impact, body, components: [names]},
 * "statuspage.update" {status, body, impact} (any of them, or {name}: a new
 * public title, or {components: [names now], removed: [names]}: the
 * incident's components changed), "statuspage.postmortem" {body}.
 */
enum bot_rc plan_mirror(struct plan *p, const struct store_incident *inc, enum hook_event ev,
                        const char *kind, cJSON *payload, struct bot_err *err) BOT_MUST_CHECK;
/*
 * `/incident publish [message]` or the control message's button: a preview of
 * the public text (the given message, or a default for the status) with
 * Publish / Not yet buttons; the draft is kept in the incident's attributes.
 */
enum bot_rc plan_publish_preview(struct plan *p, const struct plan_actor *a,
                                 const struct store_incident *inc, const char *message,
                                 struct bot_err *err) BOT_MUST_CHECK;
/* The Publish button of the preview: public from now on (timeline, mirror, control message). */
enum bot_rc plan_publish(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                         struct bot_err *err) BOT_MUST_CHECK;
/*
 * `/incident publish --internal <why>`: the response team decided not to
 * publish (step 2's public half decided; PLAN_ATTR_KEPT_INTERNAL, timeline,
 * channel). Publishing later stays possible. Refused like publishing.
 */
enum bot_rc plan_keep_internal(struct plan *p, const struct plan_actor *a,
                               struct store_incident *inc, const char *why,
                               struct bot_err *err) BOT_MUST_CHECK;
/* `/incident update <message>`: a public update of a published incident. */
enum bot_rc plan_public_update(struct plan *p, const struct plan_actor *a,
                               struct store_incident *inc, const char *message,
                               struct bot_err *err) BOT_MUST_CHECK;

/* True when severity a is more severe than b. */
bool plan_severity_higher(enum severity a, enum severity b);

/* ==== Steps 4-7: notes, status changes, severity re-assessment (commands/plan_status.c) ====
 *
 * Timeline entries written here: "note" (the finding), "status" (public = 1:
 * the public message; its status column is the new status), "skip" (the IRM
 * skipped a status), "status_back" (a correction to an earlier status),
 * "reopen" (a resolved incident reopened: who and why) and "reminder" (a
 * re-assessment prompt); like every
 * entry, their text is mrkdwn with user text escaped. The public message
 * goes as typed to the status page, as the body of a "statuspage.update"
 * effect (lane "statuspage", payload {"status", "body", "impact"}), when the
 * incident is published.
 */

#define PLAN_MAX_NOTE 2000               /* characters of a note */
/* The pre-filled public message of a step back (a status correction or a reopen). */
#define PLAN_STATUS_TEMPLATE_BACK_IDENTIFIED                                                       \
    "The fix for the issue affecting {title} did not work as expected. We are working on it " \
    "again and will post an update soon."
#define PLAN_STATUS_TEMPLATE_BACK_INVESTIGATING                                                    \
    "The issue affecting {title} is not resolved yet. We are investigating it further and will " \
    "post an update soon."
#define PLAN_REMINDER_REASSESS "reassess" /* store_reminder kind of the re-assessment prompt */

/*
 * Records a finding or mitigation by actor on the timeline (kind "note"),
 * posts it in the incident's channel and under the announcement (not for a
 * potential incident, which has neither). Answers through url (may be NULL).
 * An empty or over-long note is answered and changes nothing.
 */
enum bot_rc plan_note(struct plan *p, const struct store_incident *inc, const char *actor,
                      const char *text, const char *url, struct bot_err *err) BOT_MUST_CHECK;

/*
 * A request by a->user_id to move inc to status to (identified, monitoring
 * or resolved), from the command or the control message's button. Checks
 * the rules first and answers a refusal through a->response_url with
 * nothing changed: a potential incident must be promoted; a status moves
 * forward (skipping one only by the incident's IRM) or, as a correction,
 * from identified or monitoring back to an earlier one (investigating or
 * identified); a resolved incident is reopened with plan_reopen() instead,
 * and a postmortem or closed one no longer changes; [permissions]
 * manage (plan_may_manage); a message of at most RENDER_MAX_STATUS_MESSAGE
 * characters. With a message the status changes at once (plan_set_status);
 * without, the status modal opens (views.open with a->trigger_id, fast
 * lane), pre-filled from the status's template.
 */
enum bot_rc plan_status_request(struct plan *p, const struct plan_actor *a,
                                struct store_incident *inc, enum inc_status to,
                                const char *message, struct bot_err *err) BOT_MUST_CHECK;
/*
 * Moves inc to status to with the public message (plain text, as typed) by
 * actor, after checking the rules of plan_status_request again: the row
 * (status, identified_at, resolved_at), the timeline (a step back adds a
 * "status_back" entry), the checklist (step 5, 6 or 7 done, a skipped
 * status's step skipped, with plan_step_set(), so the pointer moves on; a
 * step back reopens the steps of the statuses undone and the pointer moves
 * back to the first of them), the control message,
 * topic and announcement, a line in the channel and one under the
 * announcement, plan_on_resolved() when resolved, the status-page effect
 * when published, and the re-assessment prompt. Answers through url (may
 * be NULL).
 */
enum bot_rc plan_set_status(struct plan *p, struct store_incident *inc, enum inc_status to,
                            const char *actor, const char *message, const char *url,
                            struct bot_err *err) BOT_MUST_CHECK;
/*
 * `/incident reopen <why>` by a->user_id: a resolved incident goes back to
 * identified (the cause was known; the fix did not hold). Refused (answered
 * through a->response_url, nothing changed) unless inc is resolved (a
 * postmortem or closed incident is not reopened: a new incident is
 * declared), without [permissions] manage (plan_may_manage), or with an
 * empty why or one over RENDER_MAX_STATUS_MESSAGE characters. Then: the row
 * (status, resolved_at 0), the timeline ("reopen" with who and why, and a
 * public "status" entry whose text is the why), the internal postmortem no
 * longer due (its PLAN_REMINDER_POSTMORTEM reminders cancelled,
 * "postmortem.due_at" and "postmortem.overdue" "0"), steps 7 and 6 reopened
 * (the pointer moves back), the views, the channel, the announcement's
 * thread, for a published incident the why as the public message
 * (plan_mirror: HOOK_STATUS_CHANGED and "statuspage.update", components
 * degraded again) and the public-update clock, and the severity
 * re-assessment prompt and clock.
 */
enum bot_rc plan_reopen(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                        const char *why, struct bot_err *err) BOT_MUST_CHECK;
/* A view_submission of the status modal (RENDER_STATUS_CALLBACK) by user_id. */
enum bot_rc plan_status_submission(struct plan *p, const cJSON *payload, const char *user_id,
                                   struct bot_err *err) BOT_MUST_CHECK;
/* plan_check_submission() of the status modal: *errors_out when the message is not acceptable. */
void plan_status_check_submission(const cJSON *payload, cJSON **errors_out);

/*
 * (Re)starts the severity re-assessment clock of inc: its pending
 * PLAN_REMINDER_REASSESS reminder is replaced by one due
 * reassess_after_minutes from now (none when that is 0, or when inc is not
 * being worked on: potential, resolved and later).
 */
enum bot_rc plan_reassess_schedule(struct plan *p, const struct store_incident *inc,
                                   struct bot_err *err) BOT_MUST_CHECK;
/* The PLAN_REMINDER_REASSESS reminder fell due: prompts in the channel and restarts the clock. */
enum bot_rc plan_reassess_remind(struct plan *p, const struct store_incident *inc,
                                 struct bot_err *err) BOT_MUST_CHECK;

/* ==== The checklist and steps 3, 8, 9 (commands/plan_steps.c and cmd_checklist.c,
 * cmd_support.c, cmd_followup.c, cmd_postmortem.c, cmd_close.c) ====
 *
 * The checklist (store_checklist.h) records which of the nine steps were
 * done or skipped, by whom and when; the incident's step pointer moves to
 * the first open step after one marked done, never backwards. Timeline
 * entries written here: "checklist" (a step done, skipped or reopened),
 * "support" (the support plan), "followup", "postmortem" (the public one
 * published or amended), "postmortem_due", "postmortem_optional", "postmortem_draft",
 * "postmortem_held", "reminder" and "status" (closed). Incident attributes:
 * "support.summary|plan|docs|contact|done" ({"by","at"[,"value"]} JSON),
 * "postmortem.due_at" (Unix ms), "postmortem.held" ({"by","at"}),
 * "postmortem.overdue" (Unix ms), "postmortem.draft" (a submitted draft
 * waiting for its preview's click: {"parts","at","by"}; "" once published)
 * and "postmortem.parts" (the published postmortem's parts, JSON, to amend
 * it); parts in Slack's stored text form. The public postmortem goes to the
 * status page as a "statuspage.postmortem" effect (lane "statuspage",
 * payload {"body": Markdown}) when the incident is published, on its first
 * publication and again on each amendment.
 */

#define PLAN_POSTMORTEM_DUE_HOURS 24     /* default of [postmortem] due_hours */
#define PLAN_REMINDER_POSTMORTEM "postmortem_due" /* reminder kind: payload {"hours_left": N} */
#define PLAN_MAX_FOLLOWUP_TEXT 500       /* characters of a follow-up */
#define PLAN_MAX_FOLLOWUPS 200           /* follow-ups of one incident */
#define PLAN_MAX_DUE_DAYS 366            /* furthest due date of a follow-up, in days */
#define PLAN_MAX_SUMMARY 2000            /* characters of a customer-facing summary */
#define PLAN_MAX_DOCS_URL 1000           /* bytes of the user documentation link */
#define PLAN_MAX_INTERNAL_PM 38000       /* bytes of the internal postmortem message (Slack
                                            cuts a message's text at 40,000 characters) */

/*
 * `/incident close` or the control message's "Close incident" by a->user_id
 * (cmd_close.c): refusals and answers in reply (BOT_EINVAL when refused,
 * nothing changed). With checklist steps still open it only asks, through
 * a->response_url, with a "Close anyway" button (PLAN_CLOSE_ANYWAY_ACTION,
 * value "<id>") that calls it again with anyway set.
 */
enum bot_rc plan_close(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                       bool anyway, struct buf *reply, struct bot_err *err) BOT_MUST_CHECK;
#define PLAN_CLOSE_ANYWAY_ACTION "inc_close_anyway"
/*
 * `/incident cancel <why>` (cmd_cancel.c), and the definition prompt's
 * "Dismiss" of a potential incident: not an incident after all. Refusals and
 * the answer in reply (BOT_EINVAL when refused, nothing changed).
 */
enum bot_rc plan_cancel(struct plan *p, const struct plan_actor *a, struct store_incident *inc,
                        const char *why, struct buf *reply, struct bot_err *err) BOT_MUST_CHECK;

enum plan_step_how {
    PLAN_STEP_DONE,
    PLAN_STEP_SKIP,
    PLAN_STEP_REOPEN,
};

/*
 * Marks step (1..9) of inc done or skipped, or opens it again, by actor
 * (NULL: the bot), with a "checklist" timeline entry; the step pointer then
 * moves (done/skip: to the first open step after it if that is further on;
 * reopen: back to the step if it is earlier), written with
 * store_incident_update(inc) and shown on the control message. BOT_EEXISTS
 * when the step is already done (or skipped) and BOT_ENOTFOUND when a step
 * to reopen is open: nothing written. BOT_EINVAL for a step outside 1..9.
 */
enum bot_rc plan_step_set(struct plan *p, struct store_incident *inc, int step,
                          enum plan_step_how how, const char *actor,
                          struct bot_err *err) BOT_MUST_CHECK;
/*
 * The checklist follows the work (issue 14): marks done, by incidentd, the
 * steps the incident's state shows done and nobody marked: 1 when its
 * channel exists and the IRM and both liaisons are appointed, 2 when it was
 * announced (or there is nothing to announce it in) and is published or was
 * kept internal on purpose (PLAN_ATTR_KEPT_INTERNAL), 4 once identified.
 * Each mark goes on the timeline with its reason; the pointer leaves a step
 * done but never passes an open one. Nothing for potential or closed
 * incidents. Called where those facts change and before the checklist is
 * shown or the incident closed, since the channel and the announcement are
 * saved by delivery, which decides nothing.
 */
enum bot_rc plan_checklist_follow(struct plan *p, struct store_incident *inc,
                                  struct bot_err *err) BOT_MUST_CHECK;
/*
 * The steps close would leave open, in order, into open[0..*n): steps 1-8
 * not done or skipped, without step 8 when inc was never public (its
 * customer communication does not apply); step 9 is the close itself.
 */
enum bot_rc plan_checklist_open(struct plan *p, const struct store_incident *inc,
                                int open[9], int *n,
                                struct bot_err *err) BOT_MUST_CHECK;
/* The attribute recording that the team decided not to publish ({"by","at","why"}). */
#define PLAN_ATTR_KEPT_INTERNAL "publish.kept_internal"
/* plan_step_set(PLAN_STEP_DONE) where a step already done is fine (nothing written). */
enum bot_rc plan_step_done(struct plan *p, struct store_incident *inc, int step,
                           const char *actor, struct bot_err *err) BOT_MUST_CHECK;

/*
 * Called once each time inc becomes resolved (status "resolved", after the
 * row was written; inc as stored): step 7 is marked done if it is not and
 * the pointer moves on, and the internal postmortem falls due
 * postmortem_due_hours after inc->resolved_at (now when unset): its
 * reminders (PLAN_REMINDER_POSTMORTEM, before the deadline and at it, the
 * overdue flag) replace any pending ones, so a second resolve after a
 * reopen starts a new deadline; nothing is scheduled once the internal
 * postmortem was recorded as held. When it is not required for inc's
 * severity (plan_postmortem_required), nothing falls due instead: pending
 * reminders are cancelled, "postmortem.due_at" and "postmortem.overdue" are
 * "0", and the timeline ("postmortem_optional") and the channel say it is
 * optional. Tells the channel.
 */
enum bot_rc plan_on_resolved(struct plan *p, struct store_incident *inc, const char *actor,
                             struct bot_err *err) BOT_MUST_CHECK;
/*
 * False when [postmortem] required_for leaves out inc's severity
 * (cfg->postmortem_optional): its internal postmortem has no deadline and no
 * reminders; it can still be drafted and recorded as held.
 */
bool plan_postmortem_required(const struct plan *p, const struct store_incident *inc);

/* Answers through url with the checklist (replace: replacing the message clicked). */
enum bot_rc plan_checklist_show(struct plan *p, const struct store_incident *inc, const char *url,
                                bool replace, struct bot_err *err) BOT_MUST_CHECK;
/*
 * A click of this file's buttons ("inc_checklist" on the control message,
 * RENDER_STEP_DONE_ACTION on the checklist) on inc, arg being the value
 * after "<id>:". *handled is false (and nothing done) for other actions.
 */
enum bot_rc plan_steps_action(struct plan *p, struct store_incident *inc, const char *action_id,
                              const char *arg, const char *user, const char *url, bool *handled,
                              struct bot_err *err) BOT_MUST_CHECK;
/* A reminder of this file's kinds; *handled is false for other kinds. */
enum bot_rc plan_steps_reminder(struct plan *p, struct store_incident *inc,
                                const struct store_reminder *r, bool *handled,
                                struct bot_err *err) BOT_MUST_CHECK;
/* plan_check_submission() of this file's modals; false when the payload is not one of them. */
bool plan_steps_check_submission(const cJSON *payload, cJSON **errors_out);
/* A view_submission of this file's modals by user; *handled is false for others. */
enum bot_rc plan_steps_submission(struct plan *p, const cJSON *payload, const char *user,
                                  bool *handled, struct bot_err *err) BOT_MUST_CHECK;

/* True when user holds the IRM role of inc now. */
enum bot_rc plan_is_incident_irm(struct plan *p, const struct store_incident *inc,
                                 const char *user, bool *irm, struct bot_err *err) BOT_MUST_CHECK;
/* True for resolved, postmortem and closed: the incident is over. */
bool plan_is_over(const struct store_incident *inc);

/*
 * Opens the public postmortem modal for a (a->trigger_id, fast lane): the
 * draft saved by an earlier submission if one waits, else the published
 * text to amend it, else a new draft from the public record only (the
 * public timeline entries with their times, the impact, the duration, the
 * components; never notes), its prose left as RENDER_PM_PLACEHOLDERs that
 * a submission must replace. Refused (answered, nothing changed) before the
 * incident is resolved. Submitting the modal publishes nothing: the draft
 * is kept in the incident's attributes ("postmortem.draft") and its author
 * gets a preview whose click publishes it (plan_postmortem_action()).
 */
enum bot_rc plan_postmortem_open(struct plan *p, const struct plan_actor *a,
                                 const struct store_incident *inc,
                                 struct bot_err *err) BOT_MUST_CHECK;
/*
 * A click on the postmortem preview's buttons (action_id RENDER_PM_*_ACTION,
 * arg the value after "<id>:"): Publish postmortem publishes the draft the
 * preview showed (refused when a newer draft replaced it or none waits):
 * the incident's postmortem, status postmortem, step 8, and for a published
 * incident the status page effect and webhooks; a first publication sets
 * postmortem_published_at, an amendment postmortem_updated_at. Edit opens
 * the modal again with the draft; Not yet keeps it. Other actions: nothing.
 */
enum bot_rc plan_postmortem_action(struct plan *p, const struct plan_actor *a,
                                   struct store_incident *inc, const char *action_id,
                                   const char *arg, struct bot_err *err) BOT_MUST_CHECK;
/* Posts the internal postmortem draft (Markdown: timeline, roles, durations, follow-ups). */
enum bot_rc plan_postmortem_internal(struct plan *p, const struct store_incident *inc,
                                     const char *actor, const char *url,
                                     struct bot_err *err) BOT_MUST_CHECK;
/* Records that the internal postmortem was held; stops its reminders. */
enum bot_rc plan_postmortem_held(struct plan *p, const struct store_incident *inc,
                                 const char *actor, const char *url,
                                 struct bot_err *err) BOT_MUST_CHECK;

enum plan_due_parse {
    PLAN_DUE_NONE, /* not a due date: part of the text */
    PLAN_DUE_OK,
    PLAN_DUE_BAD,  /* meant as one but not acceptable: why says so */
};
/*
 * A follow-up's due date as typed: "YYYY-MM-DD" (the end of that day in the
 * configured zone, tz_offset_min east of UTC), "today", "tomorrow", "3d" or
 * "2w" (from now). Dates in the past or further than PLAN_MAX_DUE_DAYS are
 * PLAN_DUE_BAD; words that do not look like a date are PLAN_DUE_NONE.
 */
enum plan_due_parse plan_parse_due(const char *word, int64_t now_ms, int tz_offset_min,
                                   int64_t *due_ms, char *why, size_t whysz);
/* "2026-11-23 10:00 UTC" for ms into out (at least 32 bytes). */
void plan_fmt_utc(int64_t ms, char *out, size_t outsz);
/* "2 h 5 min", "< 1 min", "3 d 2 h" for a duration into out. */
void plan_fmt_duration(int64_t ms, char *out, size_t outsz);

#endif
