/*
 * libFuzzer target for the status page renderers: the input is split at NUL
 * bytes into the user texts of a page (name, URL, titles, slugs, update
 * bodies, postmortem (Markdown), component names, groups, statuses, the
 * looked-up key).
 * Every document must render or fail with BOT_ETOOBIG, the JSON must parse,
 * and no HTML or feed may carry a raw "<script" (all user text is escaped).
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "page_api.h"
#include "page_feed.h"
#include "page_html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 16

static void check_out(const struct buf *b, int json)
{
    const char *s = buf_str(b);
    /* JSON carries text as it is (cJSON escapes what JSON needs); HTML and XML never raw. */
    if (!json && (memmem(s, b->len, "<script", 7) != NULL || memmem(s, b->len, "<SCRIPT", 7)))
        abort();
    if (json) {
        cJSON *j = cJSON_ParseWithLength(s, b->len);
        if (j == NULL)
            abort();
        cJSON_Delete(j);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), *f[NFIELDS];
    size_t nf = 0, start = 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (size_t i = 0; i <= size && nf < NFIELDS; i++)
        if (i == size || copy[i] == '\0') {
            copy[i] = '\0';
            f[nf++] = copy + start;
            start = i + 1;
        }
    while (nf < NFIELDS)
        f[nf++] = "";

    struct page_update ups[] = {
        {1, f[4], f[5], 1700000000000, NULL},
        {2, f[6], f[7], 1700000100000, NULL},
    };
    const char *names[] = {f[10], f[12]};
    unsigned char days[PAGE_HISTORY_DAYS] = {0};
    days[size % PAGE_HISTORY_DAYS] = (unsigned char)(size % 5);
    struct page_component comps[] = {
        {1, f[10], f[11], f[13], 1, 1700000000000, f[14], days, (int)(size % 1001)},
        {2, f[12], NULL, "major_outage", 2, 1700000000000, f[14], NULL, -1},
    };
    struct page_incident incs[] = {
        {7, f[2], f[3], f[8], f[9], 1700000000000, 1700000000000, 0, 1700000100000, f[15],
         size % 2 ? 1700000200000 : 0, size % 3 ? 1700000300000 : 0, ups, 2, names, 2},
        {8, NULL, f[3], "closed", "minor", 1699000000000, 1699000000000, 1699000500000,
         1699000500000, NULL, 0, 0, ups, 1, NULL, 0},
    };
    struct page p = {f[0], f[1], 1700000400000, comps, 2, incs, 2};
    struct buf b;

    for (int doc = PAGE_API_SUMMARY; doc <= PAGE_API_MAINTENANCES_ACTIVE; doc++) {
        buf_init(&b, PAGE_MAX_BODY);
        if (page_api_render(&p, (enum page_api_doc)doc, &b) == BOT_OK)
            check_out(&b, 1);
        buf_free(&b);
    }
    buf_init(&b, PAGE_MAX_BODY);
    if (page_html_render_index(&p, &b) == BOT_OK)
        check_out(&b, 0);
    buf_free(&b);
    const struct page_incident *inc = page_incident_find(&p, f[8]);
    buf_init(&b, PAGE_MAX_BODY);
    if (page_html_render_incident(&p, inc ? inc : &incs[0], &b) == BOT_OK)
        check_out(&b, 0);
    buf_free(&b);
    buf_init(&b, PAGE_MAX_BODY);
    if (page_feed_render_atom(&p, &b) == BOT_OK)
        check_out(&b, 0);
    buf_free(&b);
    buf_init(&b, PAGE_MAX_BODY);
    if (page_feed_render_rss(&p, &b) == BOT_OK)
        check_out(&b, 0);
    buf_free(&b);
    free(copy);
    return 0;
}
