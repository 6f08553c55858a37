/* The list of /incident subcommands; add a cmd_<name>.c and a line here. */
#include "cmd.h"

extern const struct cmd_entry cmd_declare_entry, cmd_promote_entry, cmd_role_entry,
    cmd_severity_entry, cmd_breach_entry, cmd_call_entry, cmd_list_entry, cmd_show_entry,
    cmd_help_entry;
extern const struct cmd_entry cmd_note_entry, cmd_status_entry, cmd_reopen_entry,
    cmd_timeline_entry; /* steps 4-7 */
extern const struct cmd_entry cmd_checklist_entry, cmd_support_entry, cmd_followup_entry,
    cmd_postmortem_entry, cmd_close_entry; /* the checklist, steps 3, 8, 9 */
extern const struct cmd_entry cmd_cancel_entry; /* not an incident after all */
extern const struct cmd_entry cmd_publish_entry, cmd_update_entry; /* the public status page */
extern const struct cmd_entry cmd_component_entry, cmd_title_entry,
    cmd_description_entry; /* edits after declaring */

const struct cmd_entry *const cmd_table[] = {
    &cmd_declare_entry, &cmd_role_entry, &cmd_severity_entry, &cmd_breach_entry, &cmd_call_entry,
    &cmd_component_entry, &cmd_title_entry, &cmd_description_entry,
    &cmd_note_entry, &cmd_status_entry, &cmd_reopen_entry, &cmd_publish_entry, &cmd_update_entry,
    &cmd_timeline_entry,
    &cmd_checklist_entry, &cmd_support_entry, &cmd_postmortem_entry, &cmd_followup_entry,
    &cmd_close_entry, &cmd_cancel_entry,
    &cmd_promote_entry, &cmd_list_entry, &cmd_show_entry, &cmd_help_entry, NULL,
};
