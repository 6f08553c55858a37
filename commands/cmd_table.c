/* The list of /incident subcommands; add a cmd_<name>.c and a line here. */
#include "cmd.h"

extern const struct cmd_entry cmd_help_entry;

const struct cmd_entry *const cmd_table[] = {
    &cmd_help_entry,
    NULL,
};
