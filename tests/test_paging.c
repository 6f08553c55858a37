/*
 * Unit tests of who is paged (plan_page_targets() in commands/plan_incident.c):
 * the table of time (in or out of business hours) x severity (escalates or
 * not, raised later) x page kind, and then each reminder as the worker runs
 * it against a real SQLite file, checking whom its message mentions.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "plan_fixture.h"

#define ALICE  "U0ALICE0001"
#define BOB    "U0BOB000002"
#define IRMS   PLAN_PAGE_IRMS
#define ONCALL PLAN_PAGE_ONCALL
#define HOLDER PLAN_PAGE_HOLDER

static const struct hours office = {
    .enabled = true,
    .days = {true, true, true, true, true, false, false},
    .start_min = 9 * 60,
    .end_min = 17 * 60,
};

/* fx_now is Monday 10:00 UTC: these are that day's 22:00 and the Saturday's 03:00. */
#define MON_1000 (fx_now)
#define MON_2200 (fx_now + 12LL * 3600000)
#define SAT_0300 (fx_now + 5LL * 24 * 3600000 - 7LL * 3600000)

static void use_office_hours(void)
{
    fx_cfg.hours = office;
    memset(fx_cfg.escalate, 0, sizeof(fx_cfg.escalate));
    fx_cfg.escalate[SEV_CRITICAL] = true;
}

static void test_table(void)
{
    static const struct {
        int when; /* 0: Monday 10:00, 1: Monday 22:00, 2: Saturday 03:00 */
        const char *severity;
        enum plan_page_kind kind;
        unsigned want;
    } rows[] = {
        /* In business hours: as always, whatever the severity. */
        {0, "minor", PLAN_PAGE_DECLARE, IRMS},
        {0, "critical", PLAN_PAGE_DECLARE, IRMS},
        {0, "major", PLAN_PAGE_IRM_UNCLAIMED, IRMS},
        {0, "critical", PLAN_PAGE_IRM_UNCLAIMED, IRMS},
        {0, "major", PLAN_PAGE_LIAISONS, HOLDER},
        {0, "critical", PLAN_PAGE_LIAISONS, HOLDER},
        {0, "major", PLAN_PAGE_PUBLIC_UPDATE, HOLDER},
        {0, "major", PLAN_PAGE_RAISE, 0},
        {0, "critical", PLAN_PAGE_RAISE, IRMS},
        /* Out of hours, a severity that does not escalate: only the on-call engineers. */
        {1, "major", PLAN_PAGE_DECLARE, ONCALL},
        {1, "minor", PLAN_PAGE_IRM_UNCLAIMED, ONCALL},
        {1, "major", PLAN_PAGE_IRM_UNCLAIMED, ONCALL},
        {2, "major", PLAN_PAGE_IRM_UNCLAIMED, ONCALL},
        {1, "major", PLAN_PAGE_LIAISONS, ONCALL},
        {2, "major", PLAN_PAGE_PUBLIC_UPDATE, ONCALL},
        {1, "major", PLAN_PAGE_RAISE, 0},
        /* Out of hours, one that escalates (declared so, or raised into it later). */
        {1, "critical", PLAN_PAGE_DECLARE, IRMS | ONCALL},
        {2, "critical", PLAN_PAGE_IRM_UNCLAIMED, IRMS | ONCALL},
        {1, "critical", PLAN_PAGE_LIAISONS, HOLDER},
        {2, "critical", PLAN_PAGE_PUBLIC_UPDATE, HOLDER},
        {1, "critical", PLAN_PAGE_RAISE, IRMS},
        /* A severity the plan does not know never escalates. */
        {1, "weird", PLAN_PAGE_IRM_UNCLAIMED, ONCALL},
    };
    struct plan_config saved = fx_cfg;
    use_office_hours();
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        int64_t at = rows[i].when == 0 ? MON_1000 : rows[i].when == 1 ? MON_2200 : SAT_0300;
        struct plan p = {.cfg = &fx_cfg, .now_ms = at, .tz_offset_min = 0};
        struct store_incident inc = {.severity = (char *)rows[i].severity};
        unsigned got = plan_page_targets(&p, &inc, rows[i].kind);
        CHECK_MSG(got == rows[i].want, "row %zu (%d, %s, kind %d): got %u, want %u", i,
                  rows[i].when, rows[i].severity, (int)rows[i].kind, got, rows[i].want);
    }
    /* Business hours off: always "in hours". */
    fx_cfg.hours.enabled = false;
    struct plan p = {.cfg = &fx_cfg, .now_ms = SAT_0300, .tz_offset_min = 0};
    struct store_incident inc = {.severity = (char *)"major"};
    CHECK_INT(plan_page_targets(&p, &inc, PLAN_PAGE_IRM_UNCLAIMED), IRMS);
    CHECK_INT(plan_page_targets(&p, &inc, PLAN_PAGE_LIAISONS), HOLDER);
    /* The zone counts: 22:00 UTC is 16:00 at UTC-6, inside business hours. */
    fx_cfg.hours.enabled = true;
    p.now_ms = MON_2200;
    p.tz_offset_min = -6 * 60;
    CHECK_INT(plan_page_targets(&p, &inc, PLAN_PAGE_IRM_UNCLAIMED), IRMS);
    fx_cfg = saved;
}


static long long irm_mentions(void)
{
    return fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%S0IRMGROUP1%%' OR payload "
                  "LIKE '%%U0IRMUSER01%%'");
}

static void mark_published(long long id)
{
    struct store_incident inc;
    struct bot_err err;
    CHECK_INT(store_incident_get(fx_store, id, &inc, &err), BOT_OK);
    inc.published = 1;
    inc.published_at = fx_now;
    CHECK_INT(store_incident_update(fx_store, &inc, &err), BOT_OK);
    store_incident_clear(&inc);
}

/* Issue 14: two major incidents out of hours, escalate_severities = ["critical"]: the IRMs
 * are never mentioned all night, the on-call engineers are reminded instead. */
static void test_night_of_majors_never_pages_irms(void)
{
    static const char *const irm_users[] = {"U0IRMUSER01"};
    struct plan_config saved = fx_cfg;
    int64_t saved_now = fx_now;
    use_office_hours();
    fx_cfg.irm_users = irm_users;
    fx_cfg.n_irm_users = 1;
    fx_cfg.irm_unclaimed_minutes = 15;
    fx_cfg.public_update_minutes = 30;
    fx_now = MON_2200;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors --sev major"), BOT_OK);
    CHECK_INT(fx_slash(ALICE, "C1", "declare Search slow --sev major"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    fx_channel_created(2, "C0INC000002");
    /* Every 15 minutes until 06:00: each reminder goes to on call, never to the IRMs. */
    for (int m = 15; m <= 8 * 60; m += 15)
        CHECK_INT(fx_run_due(fx_now + m * 60000LL), 2);
    CHECK_INT(irm_mentions(), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%has had no IRM for 15 "
                     "minutes. <@U0ONCALL001> <@U0ONCALL002>: Outside business hours%%'"),
              2);
    CHECK_INT(fx_int("SELECT count(*) FROM timeline WHERE kind = 'reminder' AND text LIKE "
                     "'%%has had no IRM%%'"),
              64);
    /* Bob (an IRM by the synced group's absence) takes incident 1 at night; the liaisons
     * reminder goes to on call too; so does the public update cadence once it is public. */
    int64_t t = fx_now + 8 * 60 * 60000LL + 60000; /* 06:01 */
    fx_now = t;
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    mark_published(1);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "status identified The database is full"), BOT_OK);
    CHECK_INT(fx_run_due(t + 15 * 60000LL), 2); /* liaisons of 1, the IRM one of 2 */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@U0ONCALL001> "
                     "<@U0ONCALL002>, a reminder: this incident still has no technical "
                     "liaison%%Outside business hours this goes to the on-call engineers.%%'"),
              1);
    CHECK_INT(fx_run_due(t + 30 * 60000LL), 2); /* the public update of 1, the IRM one of 2 */
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%:loudspeaker: "
                     "<@U0ONCALL001> <@U0ONCALL002>: INC-1 is public%%'"),
              1);
    CHECK_INT(irm_mentions(), 0);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@" BOB ">, a "
                     "reminder%%'"),
              0);
    /* Incident 2 raised to critical: the IRMs are paged then, and its reminders reach them. */
    fx_now = t + 31 * 60000LL;
    CHECK_INT(fx_slash(ALICE, "C0INC000002", "severity critical"), BOT_OK);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE incident_id = 2 AND payload LIKE "
                     "'%%<!subteam^S0IRMGROUP1> <@U0IRMUSER01>: an IRM is needed to run the plan "
                     "(severity raised to critical)%%'"),
              1);
    CHECK_INT(fx_run_due(t + 45 * 60000LL), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE incident_id = 2 AND payload LIKE "
                     "'%%has had no IRM for %% minutes. <!subteam^S0IRMGROUP1> <@U0IRMUSER01> "
                     "<@U0ONCALL001> <@U0ONCALL002>: Press *Take IRM*%%'"),
              1);
    fx_close();
    fx_cfg = saved;
    fx_now = saved_now;
}

/* In business hours the reminders read as they always did. */
static void test_business_hours_unchanged(void)
{
    struct plan_config saved = fx_cfg;
    use_office_hours();
    fx_cfg.irm_unclaimed_minutes = 15;
    fx_cfg.public_update_minutes = 60;
    fx_open();
    CHECK_INT(fx_slash(ALICE, "C1", "declare API errors --sev minor"), BOT_OK);
    fx_channel_created(1, "C0INC000001");
    CHECK_INT(fx_run_due(fx_now + 15 * 60000LL), 1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%has had no IRM for 15 "
                     "minutes. <!subteam^S0IRMGROUP1>: Press *Take IRM*%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%U0ONCALL001>:%%'"), 0);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "role irm me"), BOT_OK);
    mark_published(1);
    CHECK_INT(fx_slash(BOB, "C0INC000001", "status identified The database is full"), BOT_OK);
    CHECK_INT(fx_run_due(fx_now + 60 * 60000LL), 2);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%<@" BOB ">, a reminder: "
                     "this incident still has no technical liaison and no support liaison. "
                     "Appoint them with the menus on the pinned message or `/incident role tech "
                     "@someone`.%%'"),
              1);
    CHECK_INT(fx_int("SELECT count(*) FROM outbox WHERE payload LIKE '%%:loudspeaker: <@" BOB
                     ">: INC-1 is public%%'"),
              1);
    fx_close();
    fx_cfg = saved;
}

int main(void)
{
    RUN(test_table);
    RUN(test_night_of_majors_never_pages_irms);
    RUN(test_business_hours_unchanged);
    return CHECK_DONE();
}
