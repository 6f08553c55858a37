/* Escaping of user text for Slack mrkdwn and HTML, and the plan's vocabulary. */
#include <stdlib.h>

#include "check.h"
#include "incident.h"
#include "page_html.h"
#include "slack_text.h"

static void test_mrkdwn_escape_blocks_mentions(void)
{
    struct buf b;
    buf_init(&b, 1024);
    const char *in = "db <!channel> & <@U123|bob> > 5";
    CHECK_INT(slack_text_escape(&b, in, strlen(in)), BOT_OK);
    CHECK_STR(buf_str(&b), "db &lt;!channel&gt; &amp; &lt;@U123|bob&gt; &gt; 5");
    buf_free(&b);
}

static void test_mrkdwn_escape_respects_bound(void)
{
    struct buf b;
    buf_init(&b, 6);
    CHECK_INT(slack_text_escape(&b, "<<", 2), BOT_ETOOBIG);
    buf_free(&b);
}

static void test_html_escape(void)
{
    struct buf b;
    buf_init(&b, 1024);
    const char *in = "<script>alert(\"x\")</script> & 'y'";
    CHECK_INT(page_html_escape(&b, in, strlen(in)), BOT_OK);
    CHECK_STR(buf_str(&b),
              "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;");
    buf_free(&b);
}

static void test_severity_and_status_names(void)
{
    enum severity s;
    enum inc_status st;
    CHECK(plan_severity_parse("MAJOR", 5, &s) && s == SEV_MAJOR);
    CHECK(!plan_severity_parse("majo", 4, &s));
    CHECK(!plan_severity_parse("majorx", 6, &s));
    CHECK_STR(plan_severity_name(SEV_CRITICAL), "critical");
    CHECK(plan_status_parse("monitoring", 10, &st) && st == ST_MONITORING);
    CHECK(!plan_status_parse("", 0, &st));
    CHECK_STR(plan_status_name(ST_CLOSED), "closed");
    CHECK_STR(plan_status_name((enum inc_status)99), "unknown");
}

int main(void)
{
    RUN(test_mrkdwn_escape_blocks_mentions);
    RUN(test_mrkdwn_escape_respects_bound);
    RUN(test_html_escape);
    RUN(test_severity_and_status_names);
    return CHECK_DONE();
}
