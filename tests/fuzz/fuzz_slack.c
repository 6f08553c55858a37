/*
 * libFuzzer target for what slack/ decodes from the network: a Socket Mode
 * frame (slack_envelope_parse, and the ack built for it) and a Web API
 * answer (slack_api_result_parse). Arbitrary bytes must never crash, leak
 * or hand back a half-filled struct. Built only with clang (tests/slack.cmake);
 * seeds: shared/slack-samples/socket-mode and web-api.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack_api.h"
#include "slack_envelope.h"
#include "xmalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int inited;
    if (!inited) {
        xmalloc_init_cjson();
        inited = 1;
    }
    const char *text = (const char *)data;
    struct slack_envelope env;
    struct bot_err err;
    if (slack_envelope_parse(text, size, &env, &err) == BOT_OK) {
        if (env.type_name == NULL || env.root == NULL)
            abort();
        if (slack_envelope_needs_ack(&env)) {
            struct buf b;
            buf_init(&b, SLACK_ACK_MAX);
            const cJSON *p = cJSON_IsObject(env.payload) ? env.payload : NULL;
            if (slack_envelope_ack(&b, env.envelope_id, p, &err) == BOT_OK) {
                cJSON *back = cJSON_Parse(buf_str(&b));
                if (back == NULL)
                    abort(); /* an ack we build must be JSON */
                cJSON_Delete(back);
            }
            buf_free(&b);
        }
        slack_envelope_free(&env);
    } else if (env.root != NULL) {
        abort();
    }

    struct slack_api_result res = {0};
    enum bot_rc rc = slack_api_result_parse("fuzz.method", 200, text, size, &res, &err);
    if (rc == BOT_OK && !res.ok)
        abort();
    if (strlen(res.error) >= sizeof(res.error))
        abort();
    slack_api_result_free(&res);
    return 0;
}
