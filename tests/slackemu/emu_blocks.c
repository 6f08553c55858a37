/*
 * Block Kit knowledge: validation of message blocks and view definitions
 * against Slack's documented limits (counts, lengths, required fields,
 * element types), reported the way Slack does in
 * response_metadata.messages ("[ERROR] ... [json-pointer:/blocks/0/...]");
 * finding the interactive element a simulated click hits; and assigning
 * block_id/action_id to blocks that lack them, as Slack does when it
 * stores a message or view.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "xmalloc.h"

#define MAX_BLOCKS_MESSAGE 50
#define MAX_BLOCKS_VIEW    100
#define MAX_BLOCK_ID       255
#define MAX_ACTION_ID      255
#define MAX_SECTION_TEXT   3000
#define MAX_FIELDS         10
#define MAX_FIELD_TEXT     2000
#define MAX_HEADER_TEXT    150
#define MAX_CONTEXT_ELEMS  10
#define MAX_ACTION_ELEMS   25
#define MAX_BUTTON_TEXT    75
#define MAX_BUTTON_VALUE   2000
#define MAX_URL            3000
#define MAX_LABEL          2000
#define MAX_OPTIONS        100
#define MAX_VIEW_TEXT      24
#define MAX_PRIVATE_META   3000
#define MAX_CALLBACK_ID    255

struct chk {
    char *msg;     /* first error, xmalloc'd */
    char ptr[256]; /* current json-pointer */
};

static bool fail(struct chk *c, const char *suffix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(struct chk *c, const char *suffix, const char *fmt, ...)
{
    if (c->msg)
        return false;
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    c->msg = xasprintf("[ERROR] %s [json-pointer:%s%s]", what, c->ptr, suffix);
    return false;
}

/* Pushes "/key" or "/N" onto the pointer; returns the old length for pop(). */
static size_t push(struct chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct chk *c, const char *fmt, ...)
{
    size_t old = strlen(c->ptr);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->ptr + old, sizeof c->ptr - old, fmt, ap);
    va_end(ap);
    return old;
}

static void pop(struct chk *c, size_t old)
{
    c->ptr[old] = '\0';
}

static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

static bool check_text(struct chk *c, const cJSON *t, const char *key, bool plain_only, size_t max,
                       bool required)
{
    if (!t) {
        if (required)
            return fail(c, "", "missing required field: %s", key);
        return true;
    }
    size_t old = push(c, "/%s", key);
    bool ok = false;
    const char *type = emu_jstr(t, "type");
    const char *text = emu_jstr(t, "text");
    if (!cJSON_IsObject(t))
        fail(c, "", "must be an object");
    else if (!type)
        fail(c, "", "missing required field: type");
    else if (strcmp(type, "plain_text") != 0 && (plain_only || strcmp(type, "mrkdwn") != 0))
        fail(c, "/type", "must be %s", plain_only ? "plain_text" : "plain_text or mrkdwn");
    else if (!text)
        fail(c, "", "missing required field: text");
    else if (!text[0])
        fail(c, "/text", "must be more than 0 characters");
    else if (utf8_len(text) > max)
        fail(c, "/text", "must be less than %zu characters", max + 1);
    else
        ok = true;
    pop(c, old);
    return ok;
}

static bool check_len(struct chk *c, const cJSON *o, const char *key, size_t max)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!it)
        return true;
    if (!cJSON_IsString(it)) {
        size_t old = push(c, "/%s", key);
        fail(c, "", "must be a string");
        pop(c, old);
        return false;
    }
    if (utf8_len(it->valuestring) > max) {
        size_t old = push(c, "/%s", key);
        fail(c, "", "must be less than %zu characters", max + 1);
        pop(c, old);
        return false;
    }
    return true;
}

static const char *const element_types[] = {"button",
                                            "checkboxes",
                                            "datepicker",
                                            "datetimepicker",
                                            "email_text_input",
                                            "external_select",
                                            "file_input",
                                            "image",
                                            "multi_static_select",
                                            "multi_external_select",
                                            "multi_users_select",
                                            "multi_conversations_select",
                                            "multi_channels_select",
                                            "number_input",
                                            "overflow",
                                            "plain_text_input",
                                            "radio_buttons",
                                            "rich_text_input",
                                            "static_select",
                                            "users_select",
                                            "conversations_select",
                                            "channels_select",
                                            "timepicker",
                                            "url_text_input",
                                            "workflow_button",
                                            NULL};

static bool known(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0)
            return true;
    return false;
}

static bool check_options(struct chk *c, const cJSON *el, const char *key)
{
    const cJSON *opts = cJSON_GetObjectItemCaseSensitive(el, key);
    if (!opts)
        return true;
    size_t old = push(c, "/%s", key);
    bool ok = true;
    if (!cJSON_IsArray(opts)) {
        ok = fail(c, "", "must be an array");
    } else if (cJSON_GetArraySize(opts) > MAX_OPTIONS) {
        ok = fail(c, "", "must have at most %d items", MAX_OPTIONS);
    } else {
        int i = 0;
        const cJSON *o;
        cJSON_ArrayForEach(o, opts)
        {
            size_t o2 = push(c, "/%d", i++);
            if (!cJSON_IsObject(o) || !check_text(c, cJSON_GetObjectItemCaseSensitive(o, "text"),
                                                  "text", false, 75, true))
                ok = fail(c, "", "must be an option object");
            pop(c, o2);
            if (!ok)
                break;
        }
    }
    pop(c, old);
    return ok;
}

static bool check_element(struct chk *c, const cJSON *el, bool input_context)
{
    if (!cJSON_IsObject(el))
        return fail(c, "", "must be an object");
    const char *type = emu_jstr(el, "type");
    if (!type)
        return fail(c, "", "missing required field: type");
    if (!known(element_types, type))
        return fail(c, "/type", "value must be one of the supported element types");
    if (!check_len(c, el, "action_id", MAX_ACTION_ID))
        return false;
    if (!strcmp(type, "button")) {
        if (!check_text(c, cJSON_GetObjectItemCaseSensitive(el, "text"), "text", true,
                        MAX_BUTTON_TEXT, true))
            return false;
        if (!check_len(c, el, "value", MAX_BUTTON_VALUE) || !check_len(c, el, "url", MAX_URL))
            return false;
        const char *style = emu_jstr(el, "style");
        if (style && strcmp(style, "primary") != 0 && strcmp(style, "danger") != 0)
            return fail(c, "/style", "must be one of: primary, danger");
    } else if (!strcmp(type, "image")) {
        if (!emu_jstr(el, "alt_text"))
            return fail(c, "", "missing required field: alt_text");
    } else if (!strcmp(type, "overflow")) {
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(el, "options");
        int n = cJSON_GetArraySize(opts);
        if (!cJSON_IsArray(opts) || n < 1 || n > 5)
            return fail(c, "/options", "must have between 1 and 5 items");
    }
    if (!strcmp(type, "plain_text_input") && !input_context)
        return fail(c, "/type", "plain_text_input is only allowed in input blocks");
    return check_options(c, el, "options");
}

static const char *const block_types[] = {"actions", "context", "divider",  "file",      "header",
                                          "image",   "input",   "markdown", "rich_text", "section",
                                          "video",   "call",    "table",    NULL};

static bool check_block(struct chk *c, const cJSON *b)
{
    if (!cJSON_IsObject(b))
        return fail(c, "", "must be an object");
    const char *type = emu_jstr(b, "type");
    if (!type)
        return fail(c, "", "missing required field: type");
    if (!known(block_types, type))
        return fail(c, "/type", "value must be one of the supported block types");
    if (!check_len(c, b, "block_id", MAX_BLOCK_ID))
        return false;
    if (!strcmp(type, "section")) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(b, "text");
        const cJSON *fields = cJSON_GetObjectItemCaseSensitive(b, "fields");
        if (!text && !fields)
            return fail(c, "", "must provide either text or fields");
        if (!check_text(c, text, "text", false, MAX_SECTION_TEXT, false))
            return false;
        if (fields) {
            if (!cJSON_IsArray(fields) || cJSON_GetArraySize(fields) > MAX_FIELDS)
                return fail(c, "/fields", "must be an array of at most %d items", MAX_FIELDS);
            int i = 0;
            const cJSON *f;
            cJSON_ArrayForEach(f, fields)
            {
                size_t old = push(c, "/fields/%d", i++);
                bool ok = cJSON_IsObject(f);
                if (ok) {
                    const char *ft = emu_jstr(f, "text");
                    ok = ft && ft[0] && utf8_len(ft) <= MAX_FIELD_TEXT;
                }
                if (!ok)
                    fail(c, "", "must be a text object of 1 to %d characters", MAX_FIELD_TEXT);
                pop(c, old);
                if (!ok)
                    return false;
            }
        }
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(b, "accessory");
        if (acc) {
            size_t old = push(c, "/accessory");
            bool ok = check_element(c, acc, false);
            pop(c, old);
            if (!ok)
                return false;
        }
    } else if (!strcmp(type, "header")) {
        return check_text(c, cJSON_GetObjectItemCaseSensitive(b, "text"), "text", true,
                          MAX_HEADER_TEXT, true);
    } else if (!strcmp(type, "image")) {
        if (!emu_jstr(b, "image_url") && !cJSON_GetObjectItemCaseSensitive(b, "slack_file"))
            return fail(c, "", "missing required field: image_url");
        if (!emu_jstr(b, "alt_text"))
            return fail(c, "", "missing required field: alt_text");
    } else if (!strcmp(type, "context") || !strcmp(type, "actions")) {
        bool actions = !strcmp(type, "actions");
        int max = actions ? MAX_ACTION_ELEMS : MAX_CONTEXT_ELEMS;
        const cJSON *els = cJSON_GetObjectItemCaseSensitive(b, "elements");
        int n = cJSON_GetArraySize(els);
        if (!cJSON_IsArray(els) || n < 1)
            return fail(c, "/elements", "must have at least 1 item");
        if (n > max)
            return fail(c, "/elements", "must have at most %d items", max);
        int i = 0;
        const cJSON *el;
        cJSON_ArrayForEach(el, els)
        {
            size_t old = push(c, "/elements/%d", i++);
            bool ok;
            if (actions) {
                ok = check_element(c, el, false);
                const char *aid = emu_jstr(el, "action_id");
                for (const cJSON *prev = els->child; ok && aid && prev != el; prev = prev->next) {
                    const char *paid = emu_jstr(prev, "action_id");
                    if (paid && strcmp(paid, aid) == 0)
                        ok = fail(c, "/action_id", "action_id must be unique within the block");
                }
            } else {
                const char *et = emu_jstr(el, "type");
                ok = et &&
                     (!strcmp(et, "image") || !strcmp(et, "plain_text") || !strcmp(et, "mrkdwn"));
                if (!ok)
                    fail(c, "", "must be an image element or a text object");
            }
            pop(c, old);
            if (!ok)
                return false;
        }
    } else if (!strcmp(type, "input")) {
        if (!check_text(c, cJSON_GetObjectItemCaseSensitive(b, "label"), "label", true, MAX_LABEL,
                        true))
            return false;
        const cJSON *el = cJSON_GetObjectItemCaseSensitive(b, "element");
        if (!el)
            return fail(c, "", "missing required field: element");
        size_t old = push(c, "/element");
        bool ok = check_element(c, el, true);
        pop(c, old);
        return ok;
    } else if (!strcmp(type, "rich_text")) {
        if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(b, "elements")))
            return fail(c, "", "missing required field: elements");
    } else if (!strcmp(type, "markdown")) {
        if (!emu_jstr(b, "text"))
            return fail(c, "", "missing required field: text");
    }
    return true;
}

static char *check_blocks(const cJSON *blocks, int max, const char *base)
{
    struct chk c = {0};
    snprintf(c.ptr, sizeof c.ptr, "%s", base);
    if (!cJSON_IsArray(blocks)) {
        fail(&c, "", "must be an array");
        return c.msg;
    }
    int n = cJSON_GetArraySize(blocks);
    if (n > max) {
        fail(&c, "", "no more than %d items allowed", max);
        return c.msg;
    }
    int i = 0;
    const cJSON *b;
    cJSON_ArrayForEach(b, blocks)
    {
        size_t old = push(&c, "/%d", i++);
        bool ok = check_block(&c, b);
        const char *bid = emu_jstr(b, "block_id");
        for (const cJSON *prev = blocks->child; ok && bid && prev != b; prev = prev->next) {
            const char *pbid = emu_jstr(prev, "block_id");
            if (pbid && strcmp(pbid, bid) == 0)
                ok = fail(&c, "/block_id", "block_id must be unique");
        }
        pop(&c, old);
        if (!ok)
            break;
    }
    return c.msg;
}

char *emu_blk_check(const cJSON *blocks, enum emu_blk_surface surface)
{
    return check_blocks(blocks, surface == EMU_BLK_MESSAGE ? MAX_BLOCKS_MESSAGE : MAX_BLOCKS_VIEW,
                        "/blocks");
}

char *emu_blk_check_view(const cJSON *view)
{
    struct chk c = {0};
    snprintf(c.ptr, sizeof c.ptr, "/view");
    if (!cJSON_IsObject(view)) {
        fail(&c, "", "must be an object");
        return c.msg;
    }
    const char *type = emu_jstr(view, "type");
    if (!type) {
        fail(&c, "", "missing required field: type");
        return c.msg;
    }
    bool modal = !strcmp(type, "modal");
    if (!modal && strcmp(type, "home") != 0) {
        fail(&c, "/type", "must be one of: modal, home");
        return c.msg;
    }
    const cJSON *blocks = cJSON_GetObjectItemCaseSensitive(view, "blocks");
    if (!blocks) {
        fail(&c, "", "missing required field: blocks");
        return c.msg;
    }
    if (modal) {
        if (!check_text(&c, cJSON_GetObjectItemCaseSensitive(view, "title"), "title", true,
                        MAX_VIEW_TEXT, true) ||
            !check_text(&c, cJSON_GetObjectItemCaseSensitive(view, "close"), "close", true,
                        MAX_VIEW_TEXT, false) ||
            !check_text(&c, cJSON_GetObjectItemCaseSensitive(view, "submit"), "submit", true,
                        MAX_VIEW_TEXT, false))
            return c.msg;
        bool has_input = false;
        const cJSON *b;
        cJSON_ArrayForEach(b, blocks)
        {
            const char *bt = emu_jstr(b, "type");
            if (bt && !strcmp(bt, "input"))
                has_input = true;
        }
        if (has_input && !cJSON_GetObjectItemCaseSensitive(view, "submit")) {
            fail(&c, "", "missing required field: submit");
            return c.msg;
        }
    }
    if (!check_len(&c, view, "private_metadata", MAX_PRIVATE_META) ||
        !check_len(&c, view, "callback_id", MAX_CALLBACK_ID) ||
        !check_len(&c, view, "external_id", MAX_CALLBACK_ID))
        return c.msg;
    return check_blocks(blocks, MAX_BLOCKS_VIEW, "/view/blocks");
}

static const cJSON *match(const cJSON *el, const cJSON *block, const char *action_id,
                          const char *block_id)
{
    const char *aid = emu_jstr(el, "action_id");
    const char *bid = emu_jstr(block, "block_id");
    if (!aid || strcmp(aid, action_id) != 0)
        return NULL;
    if (block_id && (!bid || strcmp(bid, block_id) != 0))
        return NULL;
    return el;
}

const cJSON *emu_blk_find_action(const cJSON *blocks, const char *action_id, const char *block_id,
                                 const cJSON **block_out)
{
    const cJSON *b;
    if (!action_id)
        return NULL;
    cJSON_ArrayForEach(b, blocks)
    {
        const cJSON *found = NULL, *el;
        cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(b, "elements"))
        {
            if (!found && cJSON_IsObject(el))
                found = match(el, b, action_id, block_id);
        }
        const cJSON *acc = cJSON_GetObjectItemCaseSensitive(b, "accessory");
        if (!found && acc)
            found = match(acc, b, action_id, block_id);
        const cJSON *inp = cJSON_GetObjectItemCaseSensitive(b, "element");
        if (!found && inp)
            found = match(inp, b, action_id, block_id);
        if (found) {
            *block_out = b;
            return found;
        }
    }
    return NULL;
}

static void assign_action_id(struct emu *emu, cJSON *el)
{
    if (cJSON_IsObject(el) && emu_jstr(el, "type") && !emu_jstr(el, "action_id")) {
        const char *t = emu_jstr(el, "type");
        if (strcmp(t, "image") != 0 && strcmp(t, "plain_text") != 0 && strcmp(t, "mrkdwn") != 0) {
            char id[8];
            emu_rand_id(emu, "", 4, id, sizeof id);
            cJSON_AddStringToObject(el, "action_id", id);
        }
    }
}

void emu_blk_assign_ids(struct emu *emu, cJSON *blocks)
{
    cJSON *b;
    cJSON_ArrayForEach(b, blocks)
    {
        if (!cJSON_IsObject(b))
            continue;
        if (!emu_jstr(b, "block_id")) {
            char id[8];
            emu_rand_id(emu, "", 4, id, sizeof id);
            cJSON_DeleteItemFromObjectCaseSensitive(b, "block_id");
            cJSON_AddStringToObject(b, "block_id", id);
        }
        const char *t = emu_jstr(b, "type");
        if (t && !strcmp(t, "actions")) {
            cJSON *el;
            cJSON_ArrayForEach(el, cJSON_GetObjectItemCaseSensitive(b, "elements"))
                assign_action_id(emu, el);
        }
        assign_action_id(emu, cJSON_GetObjectItemCaseSensitive(b, "accessory"));
        assign_action_id(emu, cJSON_GetObjectItemCaseSensitive(b, "element"));
    }
}

const char *emu_blk_text(const cJSON *textobj)
{
    const char *t = emu_jstr(textobj, "text");
    return t ? t : "";
}
