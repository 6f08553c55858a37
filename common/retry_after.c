#include "retry_after.h"

#include <strings.h>

bool retry_after_header(const char *line, size_t len, int64_t *ms)
{
    static const char name[] = "retry-after:";
    const size_t nl = sizeof(name) - 1;
    if (len <= nl || strncasecmp(line, name, nl) != 0)
        return false;
    size_t i = nl;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    int64_t secs = 0;
    size_t digits = 0;
    for (; i < len && line[i] >= '0' && line[i] <= '9'; i++, digits++) {
        secs = secs * 10 + (line[i] - '0');
        if (secs > RETRY_AFTER_MAX_S)
            return false;
    }
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n'))
        i++;
    if (digits == 0 || i != len)
        return false; /* an HTTP-date, or junk after the number */
    *ms = secs * 1000;
    return true;
}
