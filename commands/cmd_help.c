/* `/incident help [command]`: the usage of every command, generated from cmd_table[]. */
#include <string.h>

#include "cmd.h"

static enum bot_rc help(const struct cmd_call *call, const struct cmd_args *args,
                        struct cmd_result *out)
{
    const char *command = call->command ? call->command : "/incident";
    if (args->argc == 2) {
        const struct cmd_entry *e = cmd_find(args->argv[1]);
        if (e == NULL) {
            enum bot_rc rc = buf_addf(&out->reply, ":warning: There is no command `%s ", command);
            if (rc == BOT_OK)
                rc = cmd_add_user_text(&out->reply, args->argv[1]);
            if (rc == BOT_OK)
                rc = buf_addstr(&out->reply, "`. These are the commands:\n");
            if (rc == BOT_OK)
                rc = cmd_usage(command, NULL, &out->reply);
            return rc ? rc : BOT_EINVAL;
        }
        return cmd_usage(command, e, &out->reply);
    }
    enum bot_rc rc = buf_addf(&out->reply, "*incidentd* runs the incident response plan. "
                              "Commands:\n");
    if (rc == BOT_OK)
        rc = cmd_usage(command, NULL, &out->reply);
    return rc;
}

const struct cmd_entry cmd_help_entry = {
    .name = "help",
    .args = "[command]",
    .summary = "show the commands, or how to use one of them",
    .min_args = 0,
    .max_args = 1,
    .handler = help,
};
