/*
 * The Statuspage public API v2 documents of the built-in page
 * (/api/v2/summary.json, status.json, ...), with the same keys, nesting and
 * types as Statuspage's own. Pure: renders a struct page into a buffer.
 */
#ifndef INCIDENTD_PAGE_API_H
#define INCIDENTD_PAGE_API_H

#include "buf.h"
#include "page_model.h"

enum page_api_doc {
    PAGE_API_SUMMARY,
    PAGE_API_STATUS,
    PAGE_API_COMPONENTS,
    PAGE_API_INCIDENTS,            /* up to PAGE_API_MAX_INCIDENTS, newest first */
    PAGE_API_UNRESOLVED,           /* incidents not resolved */
    PAGE_API_MAINTENANCES,         /* we schedule none: empty lists */
    PAGE_API_MAINTENANCES_UPCOMING,
    PAGE_API_MAINTENANCES_ACTIVE,
};

/* Appends the document as compact JSON with a final newline. BOT_ETOOBIG past out's max. */
enum bot_rc page_api_render(const struct page *p, enum page_api_doc doc,
                            struct buf *out) BOT_MUST_CHECK;

#endif
