/*
 * Unit tests of the postmortem's Markdown subset as HTML (statuspage/page_md.c):
 * each construct the bot writes, then that nothing a user types gets out as
 * markup: raw HTML, quotes in link targets, schemes other than http(s),
 * unmatched delimiters; and the bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "page_md.h"

static char *last; /* md()'s latest result */

/* The HTML of md with # as <h3>, as the status page asks for it; valid until the next call. */
static const char *md(const char *text)
{
    struct buf b;
    buf_init(&b, 1 << 20);
    enum bot_rc rc = page_md_render(&b, text, strlen(text), 3);
    free(last);
    last = rc == BOT_OK ? buf_take(&b) : NULL;
    buf_free(&b);
    return last ? last : "(failed)";
}

static void test_blocks(void)
{
    CHECK_STR(md(""), "");
    CHECK_STR(md("Hello"), "<p>Hello</p>\n");
    CHECK_STR(md("one\ntwo\r\n\n\nthree"), "<p>one<br>\ntwo</p>\n<p>three</p>\n");
    CHECK_STR(md("# Summary\n\n## What happened ##\nText"),
              "<h3>Summary</h3>\n<h4>What happened</h4>\n<p>Text</p>\n");
    CHECK_STR(md("###### six"), "<h6>six</h6>\n"); /* deeper than h6 stays h6 */
    CHECK_STR(md("####### seven"), "<p>####### seven</p>\n");
    CHECK_STR(md("#hashtag"), "<p>#hashtag</p>\n"); /* a heading needs its blank */
    CHECK_STR(md("- a\n- b\n  continued\n\n1. x\n2) y"),
              "<ul>\n<li>a</li>\n<li>b<br>\ncontinued</li>\n</ul>\n"
              "<ol>\n<li>x</li>\n<li>y</li>\n</ol>\n");
    CHECK_STR(md("Steps:\n* one\n+ two\n3. three"),
              "<p>Steps:</p>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n"
              "<ol start=\"3\">\n<li>three</li>\n</ol>\n");
    CHECK_STR(md("above\n---\n* * *\nbelow"), "<p>above</p>\n<hr>\n<hr>\n<p>below</p>\n");
    CHECK_STR(md("1.5 million requests"), "<p>1.5 million requests</p>\n"); /* not an item */
    CHECK_STR(md("-5 degrees"), "<p>-5 degrees</p>\n");
}

static void test_inline(void)
{
    CHECK_STR(md("a **bold** and *it* and _it_ x"),
              "<p>a <strong>bold</strong> and <em>it</em> and <em>it</em> x</p>\n");
    CHECK_STR(md("**bold with *em* inside**"),
              "<p><strong>bold with <em>em</em> inside</strong></p>\n");
    CHECK_STR(md("*em with **bold** inside*"),
              "<p><em>em with <strong>bold</strong> inside</em></p>\n");
    CHECK_STR(md("snake_case_name and 2 * 3 * 4"), "<p>snake_case_name and 2 * 3 * 4</p>\n");
    CHECK_STR(md("**not closed and *neither"), "<p>**not closed and *neither</p>\n");
    CHECK_STR(md("run `make <all>` now"), "<p>run <code>make &lt;all&gt;</code> now</p>\n");
    CHECK_STR(md("\\*not em\\* and \\# \\a"), "<p>*not em* and # \\a</p>\n");
    CHECK_STR(md("See [the docs](https://example.com/a?b=1&c=2)."),
              "<p>See <a href=\"https://example.com/a?b=1&amp;c=2\" rel=\"nofollow noopener\">"
              "the docs</a>.</p>\n");
    CHECK_STR(md("[**bold** label](HTTP://x.example)"),
              "<p><a href=\"HTTP://x.example\" rel=\"nofollow noopener\"><strong>bold</strong> "
              "label</a></p>\n");
    CHECK_STR(
        md("Details: https://status.example.com/incidents/x, and (http://a.example/b)."),
        "<p>Details: <a href=\"https://status.example.com/incidents/x\" rel=\"nofollow "
        "noopener\">https://status.example.com/incidents/x</a>, and (<a "
        "href=\"http://a.example/b\" rel=\"nofollow noopener\">http://a.example/b</a>).</p>\n");
    CHECK_STR(md("## Fixed in **v2** see https://x.example"),
              "<h4>Fixed in <strong>v2</strong> see <a href=\"https://x.example\" "
              "rel=\"nofollow noopener\">https://x.example</a></h4>\n");
    CHECK_STR(md("- [x](https://a.example) done"),
              "<ul>\n<li><a href=\"https://a.example\" rel=\"nofollow noopener\">x</a> done</li>\n"
              "</ul>\n");
    CHECK_STR(md("[no target] and [empty]() and [](https://e.example)"),
              "<p>[no target] and [empty]() and [](<a href=\"https://e.example\" "
              "rel=\"nofollow noopener\">https://e.example</a>)</p>\n");
}

static void test_nothing_gets_out_as_markup(void)
{
    const char *s = md("<script>alert(1)</script>\n# <script>x</script>\n- <img src=x "
                       "onerror=alert(1)>\n**<b>b</b>** `<i>` [<script>](https://e.example/)");
    CHECK(strstr(s, "<script") == NULL && strstr(s, "<img") == NULL && strstr(s, "<b>") == NULL &&
          strstr(s, "<i>") == NULL);
    CHECK_CONTAINS(s, "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    CHECK_CONTAINS(s, "<h3>&lt;script&gt;x&lt;/script&gt;</h3>");
    CHECK_CONTAINS(s, "<li>&lt;img src=x onerror=alert(1)&gt;<br>");
    CHECK_CONTAINS(s, "<strong>&lt;b&gt;b&lt;/b&gt;</strong>");
    CHECK_CONTAINS(s, "<code>&lt;i&gt;</code>");
    CHECK_CONTAINS(s, ">&lt;script&gt;</a>");
    /* Other schemes are text; a raw <a> is text; entities typed stay what was typed. */
    CHECK_STR(md("[click](javascript:alert(1)) [d](data:text/html,x) <a href=\"x\">y</a> &amp;"),
              "<p>[click](javascript:alert(1)) [d](data:text/html,x) &lt;a href=&quot;x&quot;&gt;"
              "y&lt;/a&gt; &amp;amp;</p>\n");
    CHECK_STR(md("javascript:alert(1) and ftp://x.example"),
              "<p>javascript:alert(1) and ftp://x.example</p>\n");
    /* A quote cannot leave the href: a target with one is no link, a bare URL stops at it. */
    CHECK_STR(md("[x](https://e.example/\"onmouseover=\"alert(1))"),
              "<p>[x](<a href=\"https://e.example/\" rel=\"nofollow noopener\">"
              "https://e.example/</a>&quot;onmouseover=&quot;alert(1))</p>\n");
    CHECK_STR(md("https://e.example/a\"onmouseover='x'"),
              "<p><a href=\"https://e.example/a\" rel=\"nofollow noopener\">https://e.example/a"
              "</a>&quot;onmouseover=&#39;x&#39;</p>\n");
    CHECK_STR(md("[x](https://e.example/it's)"),
              "<p><a href=\"https://e.example/it&#39;s\" rel=\"nofollow noopener\">x</a></p>\n");
    CHECK_STR(md("https://"), "<p>https://</p>\n"); /* a scheme alone is no link */
}

static void test_bounds(void)
{
    struct buf b;
    /* Thousands of unmatched delimiters render (as text) without a scan per delimiter. */
    size_t n = 60000;
    char *big = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        big[i] = "*[_`](x"[i % 7];
    big[n] = '\0';
    buf_init(&b, 1 << 20);
    CHECK_INT(page_md_render(&b, big, n, 1), BOT_OK);
    CHECK(strstr(buf_str(&b), "<a ") == NULL);
    buf_free(&b);
    buf_init(&b, 1 << 20);
    CHECK_INT(page_md_render(&b, big, n, 0), BOT_EINVAL);
    CHECK_INT(page_md_render(&b, big, n, 7), BOT_EINVAL);
    free(big);
    big = calloc(PAGE_MD_MAX_INPUT + 2, 1);
    memset(big, 'a', PAGE_MD_MAX_INPUT + 1);
    CHECK_INT(page_md_render(&b, big, PAGE_MD_MAX_INPUT + 1, 1), BOT_ETOOBIG);
    free(big);
    buf_free(&b);
    /* The output's bound is kept: sticky failure, never past max. */
    buf_init(&b, 16);
    CHECK_INT(page_md_render(&b, "# A long heading that does not fit", 34, 1), BOT_ETOOBIG);
    CHECK(b.len <= 16);
    buf_free(&b);
    /* The heading base: # is <h1> with 1, ## deeper. */
    buf_init(&b, 1024);
    CHECK_INT(page_md_render(&b, "# a\n## b", 8, 1), BOT_OK);
    CHECK_STR(buf_str(&b), "<h1>a</h1>\n<h2>b</h2>\n");
    buf_free(&b);
}

int main(void)
{
    RUN(test_blocks);
    RUN(test_inline);
    RUN(test_nothing_gets_out_as_markup);
    RUN(test_bounds);
    free(last);
    return CHECK_DONE();
}
