/*
 * libFuzzer target for what slack/ decodes from the network: a Socket Mode
 * frame (slack_envelope_parse, and the ack built for it) and a Web API
 * answer (slack_api_result_parse), and user text in Slack's message format
 * converted for each output (slack_text.h). Arbitrary bytes must never crash, leak
 * or hand back a half-filled struct. Built only with clang (tests/slack.cmake);
 * seeds: shared/slack-samples/socket-mode and web-api.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slack_api.h"
#include "slack_envelope.h"
#include "slack_text.h"
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

    /* The converters: bounded, and mrkdwn converted twice reads the same. */
    struct buf a, b2;
    buf_init(&a, 8 * size + 64);
    buf_init(&b2, 8 * size + 64);
    if (slack_text_user(&a, text, size) != BOT_OK ||
        slack_text_user(&b2, buf_str(&a), a.len) != BOT_OK || a.len != b2.len ||
        (a.len && memcmp(a.data, b2.data, a.len) != 0))
        abort();
    for (size_t i = 0; i < a.len; i++)
        if (a.data[i] == '<' && a.data[i + 1] == '!')
            abort(); /* user text never pings a crowd */
    buf_reset(&a);
    if (slack_text_plain(&a, text, size, NULL) != BOT_OK)
        abort();
    buf_reset(&a);
    if (slack_text_html(&a, text, size, NULL) != BOT_OK)
        abort();
    /* The only markup in the HTML is a link to http(s), and its end. */
    for (size_t i = 0; i < a.len; i++)
        if (a.data[i] == '<' && strncmp(a.data + i, "<a href=\"http", 13) != 0 &&
            strncmp(a.data + i, "</a>", 4) != 0)
            abort();
    buf_free(&a);
    buf_free(&b2);
    return 0;
}
