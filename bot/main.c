/* incidentd entry point (placeholder until the CLI lands). */
#include <stdio.h>
int main(void)
{
    puts("incidentd " INCIDENTD_VERSION);
    return 0;
}
