#include "fc033.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The text of the first node of xpath in ctx (new, free()), or NULL. */
static char *xpath_text(xmlXPathContextPtr ctx, const char *xpath)
{
    xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)xpath, ctx);
    char *out = NULL;
    if (o && o->nodesetval && o->nodesetval->nodeNr > 0) {
        xmlChar *s = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
        out = strdup((const char *)s);
        xmlFree(s);
    }
    xmlXPathFreeObject(o);
    return out;
}

void fc033_load(struct fc033_item *out)
{
    char path[512];
    xmlXPathContextPtr ctx;
    xmlDocPtr doc;

    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "%s/cases/inputs/FC-033.xml", YQ_SHARED_DIR);
    if (access(path, R_OK) != 0) {
        skip(); /* ../shared is absent: nothing to check against */
    }
    doc = xmlReadFile(path, NULL, XML_PARSE_NONET);
    assert_non_null(doc);
    ctx = xmlXPathNewContext(doc);
    assert_non_null(ctx);
    xmlXPathRegisterNs(ctx, (const xmlChar *)"dc",
                       (const xmlChar *)"http://purl.org/dc/elements/1.1/");
    out->channel = xpath_text(ctx, "/rss/channel/title");
    out->title = xpath_text(ctx, "/rss/channel/item/title");
    out->link = xpath_text(ctx, "/rss/channel/item/link");
    out->author = xpath_text(ctx, "/rss/channel/item/dc:creator");
    out->desc = xpath_text(ctx, "/rss/channel/item/description");
    xmlXPathFreeContext(ctx);
    xmlFreeDoc(doc);
    assert_non_null(out->channel);
    assert_non_null(out->link);
    assert_non_null(out->author);
    assert_non_null(out->desc);
    assert_non_null(out->title);
    assert_string_equal(out->title, "<img src=x onerror=alert(document.cookie)>停水通知");
}

void fc033_release(struct fc033_item *out)
{
    free(out->channel);
    free(out->title);
    free(out->link);
    free(out->author);
    free(out->desc);
    memset(out, 0, sizeof(*out));
}
