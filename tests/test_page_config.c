/*
 * Unit tests of the status page's configuration: [statuspage] title and url,
 * and the [[statuspage.components]] array of tables (bot/config.c).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"

static struct config *load(const char *text, struct cfg_diag *d)
{
    struct config *c = NULL;
    if (cfg_load_buf("t.toml", text, strlen(text), &c, d) != BOT_OK)
        return NULL;
    return c;
}

static int diag_has(const struct cfg_diag *d, const char *needle)
{
    for (size_t i = 0; i < d->n; i++)
        if (strstr(d->lines[i], needle))
            return 1;
    return 0;
}

static void test_defaults(void)
{
    struct config *c = cfg_defaults();
    CHECK_STR(c->statuspage_title, "Status");
    CHECK_STR(c->statuspage_url, "http://127.0.0.1:8080/");
    CHECK_INT(c->n_statuspage_components, 0);
    cfg_free(c);
}

static void test_components(void)
{
    struct cfg_diag d = {0};
    struct config *c = load("[statuspage]\ntitle = \"Acme Status\"\n"
                            "url = \"https://status.acme.test\"\n"
                            "[[statuspage.components]]\nname = \"API\"\n"
                            "description = \"REST <API>\"\n"
                            "[[statuspage.components]]\nname = \"EU\"\ngroup = \"Regions\"\n",
                            &d);
    CHECK_MSG(c != NULL, "%s", d.n ? d.lines[0] : "");
    CHECK_STR(c->statuspage_title, "Acme Status");
    CHECK_STR(c->statuspage_url, "https://status.acme.test/");
    CHECK_INT(c->n_statuspage_components, 2);
    CHECK_STR(c->statuspage_components[0].name, "API");
    CHECK_STR(c->statuspage_components[0].description, "REST <API>");
    CHECK_STR(c->statuspage_components[0].group, "");
    CHECK_STR(c->statuspage_components[1].group, "Regions");
    cfg_free(c);
    cfg_diag_free(&d);
}

static void test_component_errors(void)
{
    static const struct {
        const char *text, *error;
    } bad[] = {
        {"[[statuspage.components]]\ndescription = \"x\"\n", "\"name\" is required"},
        {"[[statuspage.components]]\nname = \"\"\n", "\"name\" must be 1 to"},
        {"[[statuspage.components]]\nname = 5\n", "must be a string"},
        {"[[statuspage.components]]\nname = \"A\"\ncolour = \"red\"\n", "unknown key \"colour\""},
        {"[[statuspage.components]]\nname = \"A\"\n[[statuspage.components]]\nname = \"A\"\n",
         "given twice"},
        {"[statuspage]\ncomponents = \"API\"\n", "must be an array of tables"},
        {"[statuspage]\ncomponents = [1]\n", "must be a table"},
        {"[statuspage]\ntitle = \"\"\n", "title"},
        {"[statuspage]\nurl = \"ftp://x.test/\"\n", "url"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cfg_diag d = {0};
        struct config *c = load(bad[i].text, &d);
        int ok = c == NULL && diag_has(&d, bad[i].error) && diag_has(&d, "t.toml:");
        if (!ok)
            for (size_t j = 0; j < d.n; j++)
                fprintf(stderr, "  got: %s\n", d.lines[j]);
        cfg_free(c);
        cfg_diag_free(&d);
        CHECK_MSG(ok, "case %zu: expected \"%s\"", i, bad[i].error);
    }
}

int main(void)
{
    RUN(test_defaults);
    RUN(test_components);
    RUN(test_component_errors);
    return CHECK_DONE();
}
