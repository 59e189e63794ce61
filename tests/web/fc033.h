/*
 * FC-033 (../shared/cases/inputs/FC-033.xml): an RSS item whose channel, title, link, author
 * and description are each an attempt at markup or script, for the tests that the web layer
 * gives them back as text and never as markup. For the web tests only (cmocka).
 */
#ifndef TEST_WEB_FC033_H
#define TEST_WEB_FC033_H

/* The hostile item's fields as the feed has them (each new, NUL-terminated; fc033_release()). */
struct fc033_item {
    char *channel;
    char *title;
    char *link;
    char *author;
    char *desc;
};

/*
 * Read the item from YQ_SHARED_DIR/cases/inputs/FC-033.xml into out (caller storage); every
 * field is present and the title is the <img onerror> one. Skips the test when ../shared is
 * absent.
 */
void fc033_load(struct fc033_item *out);

/* Free out's fields. */
void fc033_release(struct fc033_item *out);

#endif
