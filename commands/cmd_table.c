/* The list of /incident subcommands; add a cmd_<name>.c and a line here. */
#include "cmd.h"

extern const struct cmd_entry cmd_declare_entry, cmd_promote_entry, cmd_role_entry,
    cmd_severity_entry, cmd_breach_entry, cmd_call_entry, cmd_list_entry, cmd_show_entry,
    cmd_help_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_declare_entry, &cmd_role_entry, &cmd_severity_entry, &cmd_breach_entry, &cmd_call_entry,
    &cmd_promote_entry, &cmd_list_entry, &cmd_show_entry, &cmd_help_entry, NULL,
};
