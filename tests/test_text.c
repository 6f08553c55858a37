/* Escaping of user text for Slack mrkdwn and HTML, and the plan's vocabulary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- the converter of Slack's message format (slack_text.h) ---- */

static bool names_user(void *ctx, const char *id, char *out, size_t outsz)
{
    (void)ctx;
    if (strcmp(id, "U0BOB") == 0) {
        snprintf(out, outsz, "Bob Smith");
        return true;
    }
    if (strcmp(id, "U0EVIL") == 0) {
        snprintf(out, outsz, "<b>Eve & co</b>");
        return true;
    }
    return false;
}

static bool names_channel(void *ctx, const char *id, char *out, size_t outsz)
{
    (void)ctx;
    if (strcmp(id, "C0SUPPORT") == 0) {
        snprintf(out, outsz, "support");
        return true;
    }
    return false;
}

static const struct slack_names names = {.user = names_user, .channel = names_channel};

/* The three outputs of one stored text. */
static void conv(const char *in, const char *user, const char *plain, const char *html)
{
    struct buf b;
    buf_init(&b, 4096);
    CHECK_INT(slack_text_user(&b, in, strlen(in)), BOT_OK);
    CHECK_STR(buf_str(&b), user);
    /* idempotent: converting mrkdwn output again changes nothing */
    char *once = buf_take(&b);
    buf_init(&b, 4096);
    CHECK_INT(slack_text_user(&b, once, strlen(once)), BOT_OK);
    CHECK_STR(buf_str(&b), user);
    free(once);
    buf_reset(&b);
    CHECK_INT(slack_text_plain(&b, in, strlen(in), &names), BOT_OK);
    CHECK_STR(buf_str(&b), plain);
    buf_reset(&b);
    CHECK_INT(slack_text_html(&b, in, strlen(in), &names), BOT_OK);
    CHECK_STR(buf_str(&b), html);
    buf_free(&b);
}

static void test_convert_mentions(void)
{
    conv("ask <@U0BOB|bob>", "ask <@U0BOB>", "ask @Bob Smith", "ask @Bob Smith");
    conv("ask <@U0BOB>", "ask <@U0BOB>", "ask @Bob Smith", "ask @Bob Smith");
    /* unknown to the directory: the label Slack wrote, else a neutral word, never the id */
    conv("<@U0X|carol> and <@U0Y>", "<@U0X> and <@U0Y>", "@carol and someone",
         "@carol and someone");
    /* a name from the directory is data too */
    conv("<@U0EVIL>", "<@U0EVIL>", "@<b>Eve & co</b>", "@&lt;b&gt;Eve &amp; co&lt;/b&gt;");
    conv("see <#C0SUPPORT|support> and <#C0PRIV|>", "see <#C0SUPPORT> and <#C0PRIV>",
         "see #support and a channel", "see #support and a channel");
    conv("<!subteam^S0DB|@db-team> look", "@db-team look", "@db-team look", "@db-team look");
}

static void test_convert_mass_mentions_never_ping(void)
{
    conv("<!channel> <!here> <!everyone>", "@channel @here @everyone", "@channel @here @everyone",
         "@channel @here @everyone");
    conv("<!here|@here> now", "@here now", "@here now", "@here now");
    conv("at <!date^1700000000^{date}|Nov 14>", "at Nov 14", "at Nov 14", "at Nov 14");
}

static void test_convert_links(void)
{
    conv("<https://example.com/x|our docs>", "<https://example.com/x|our docs>", "our docs",
         "<a href=\"https://example.com/x\" rel=\"nofollow noopener\">our docs</a>");
    conv("<http://a.test/?q=1&amp;r=2>", "<http://a.test/?q=1&amp;r=2>", "http://a.test/?q=1&r=2",
         "<a href=\"http://a.test/?q=1&amp;r=2\" rel=\"nofollow noopener\">"
         "http://a.test/?q=1&amp;r=2</a>");
    conv("<mailto:ops@example.com|ops@example.com>", "<mailto:ops@example.com|ops@example.com>",
         "ops@example.com", "ops@example.com");
    /* other schemes are never links, anywhere */
    conv("<javascript:alert(1)|click>", "click", "click", "click");
    conv("<javascript:alert(1)>", "javascript:alert(1)", "javascript:alert(1)",
         "javascript:alert(1)");
    conv("<https://x.test/\"onmouseover=\"a|x>", "<https://x.test/\"onmouseover=\"a|x>", "x",
         "<a href=\"https://x.test/&quot;onmouseover=&quot;a\" rel=\"nofollow noopener\">x</a>");
}

static void test_convert_entities_and_stray_marks(void)
{
    conv("R&amp;D &lt;3 A &amp; B (&gt;50%)", "R&amp;D &lt;3 A &amp; B (&gt;50%)",
         "R&D <3 A & B (>50%)", "R&amp;D &lt;3 A &amp; B (&gt;50%)");
    /* raw marks (never sent by Slack, but possible in old rows) are escaped, not markup */
    conv("a < b & c > d", "a &lt; b &amp; c &gt; d", "a < b & c > d",
         "a &lt; b &amp; c &gt; d");
    conv("<!-->", "&lt;!--&gt;", "<!-->", "&lt;!--&gt;");
    conv("<!foo|the label> <!foo>", "the label &lt;!foo&gt;", "the label <!foo>",
         "the label &lt;!foo&gt;");
    conv("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;");
    conv("<", "&lt;", "<", "&lt;");
    conv("<>", "&lt;&gt;", "<>", "&lt;&gt;");
    conv("<@U0BOB\n>", "&lt;@U0BOB\n&gt;", "<@U0BOB\n>", "&lt;@U0BOB\n&gt;");
    conv("&amp;lt;", "&amp;lt;", "&lt;", "&amp;lt;");
    conv("&quot; \"q\" 'a'", "&amp;quot; \"q\" 'a'", "&quot; \"q\" 'a'",
         "&amp;quot; &quot;q&quot; &#39;a&#39;");
}

static void test_convert_templates_are_text(void)
{
    const char *t = "leak: {{incident.channel_id}} {{incident.declarer}} {{x";
    conv(t, t, t, t);
}

static void test_convert_bounds(void)
{
    struct buf b;
    buf_init(&b, 8);
    CHECK_INT(slack_text_plain(&b, "<!everyone> is here", 19, NULL), BOT_ETOOBIG);
    buf_free(&b);
    char *d = slack_text_plain_dup(NULL, 16, NULL);
    CHECK_STR(d, "");
    free(d);
    d = slack_text_escape_dup("a<b", 64);
    CHECK_STR(d, "a&lt;b");
    free(d);
}

int main(void)
{
    RUN(test_convert_mentions);
    RUN(test_convert_mass_mentions_never_ping);
    RUN(test_convert_links);
    RUN(test_convert_entities_and_stray_marks);
    RUN(test_convert_templates_are_text);
    RUN(test_convert_bounds);
    RUN(test_mrkdwn_escape_blocks_mentions);
    RUN(test_mrkdwn_escape_respects_bound);
    RUN(test_html_escape);
    RUN(test_severity_and_status_names);
    return CHECK_DONE();
}
