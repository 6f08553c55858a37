/*
 * libFuzzer target for the /incident command line: splitting and dispatch
 * of arbitrary bytes must never crash, leak or produce an unescaped '<'
 * from user text. Built only with clang (tests/bot.cmake).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cmd_call call = {"/incident", "U1", "C1"};
    struct cmd_result r;
    cmd_result_init(&r);
    (void)!cmd_run(&call, (const char *)data, size, &r);
    /* Every '<' in a reply is either Slack entity text or none at all. */
    if (memchr(buf_str(&r.reply), '<', r.reply.len) != NULL)
        abort();
    cmd_result_free(&r);
    return 0;
}
