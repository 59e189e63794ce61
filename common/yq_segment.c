#include "yq_segment.h"

#include <friso.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "yq_array.h"
#include "yq_err.h"
#include "yq_utf8.h"
#include "yq_banned.h"

#define DICT_DIR_MAX_BYTES 4000
#define LEX_INI_NAME "friso.lex.ini"

struct yq_segment {
    friso_t friso;
    friso_config_t config;
};

/*
 * The configuration, in code (the values of Debian's /etc/friso/friso.ini except synonyms,
 * which would add words the text does not hold, and unrecognised words, which the archive's
 * index wants kept).
 */
static void config_set(friso_config_t c)
{
    friso_init_config(c);
    c->max_len = 5;
    c->r_name = 1;
    c->mix_len = 2;
    c->lna_len = 1;
    c->add_syn = 0;
    c->clr_stw = 0;
    c->keep_urec = 1;
    c->spx_out = 0;
    c->en_sseg = 1;
    c->st_minl = 2;
    c->nthreshold = 2000000;
    friso_set_mode(c, __FRISO_COMPLEX_MODE__);
}

int yq_segment_open(const char *dict_dir, struct yq_segment **out, char *errbuf, size_t errlen)
{
    char dir[DICT_DIR_MAX_BYTES + 2];
    char ini[DICT_DIR_MAX_BYTES + sizeof(LEX_INI_NAME) + 2];
    struct yq_segment *seg;
    size_t dlen;

    if (!out) {
        return ERR_INVALID;
    }
    *out = NULL;
    if (!dict_dir || !*dict_dir) {
        dict_dir = YQ_SEGMENT_DEFAULT_DICT_DIR;
    }
    dlen = strlen(dict_dir);
    if (dlen > DICT_DIR_MAX_BYTES) {
        snprintf(errbuf, errlen, "segmenter dictionary directory is longer than %d bytes",
                 DICT_DIR_MAX_BYTES);
        return ERR_INVALID;
    }
    /* friso joins the directory and the file name as they are: the directory ends with '/' */
    snprintf(dir, sizeof(dir), "%s%s", dict_dir, dict_dir[dlen - 1] == '/' ? "" : "/");
    snprintf(ini, sizeof(ini), "%s%s", dir, LEX_INI_NAME);
    if (access(ini, R_OK) != 0) {
        snprintf(errbuf, errlen,
                 "segmenter dictionary %s is missing or unreadable (install friso-dict)", ini);
        return ERR_NOT_FOUND;
    }
    seg = calloc(1, sizeof(*seg));
    if (!seg) {
        return ERR_NOMEM;
    }
    /* friso aborts the process itself when its own allocations fail (___ALLOCATION_ERROR___) */
    seg->friso = friso_new();
    seg->config = friso_new_config();
    if (!seg->friso || !seg->config) {
        yq_segment_close(seg);
        return ERR_NOMEM;
    }
    config_set(seg->config);
    seg->friso->charset = FRISO_UTF8;
    seg->friso->dic = friso_dic_new();
    if (!seg->friso->dic) {
        yq_segment_close(seg);
        return ERR_NOMEM;
    }
    friso_dic_load_from_ifile(seg->friso, seg->config, dir, seg->config->max_len * 3);
    if (friso_spec_dic_size(seg->friso->dic, __LEX_CJK_WORDS__) == 0) {
        snprintf(errbuf, errlen,
                 "segmenter dictionary %s loaded no words (check its lexicon files; install "
                 "friso-dict)",
                 ini);
        yq_segment_close(seg);
        return ERR_NOT_FOUND;
    }
    *out = seg;
    return 0;
}

void yq_segment_close(struct yq_segment *seg)
{
    if (!seg) {
        return;
    }
    if (seg->config) {
        friso_free_config(seg->config);
    }
    if (seg->friso) {
        friso_free(seg->friso); /* frees its dictionary */
    }
    free(seg);
}

void yq_segment_words_release(struct yq_segment_words *words)
{
    if (!words) {
        return;
    }
    for (size_t i = 0; i < words->n; i++) {
        free(words->v[i].text);
    }
    free(words->v);
    memset(words, 0, sizeof(*words));
}

/*
 * Copy at most YQ_SEGMENT_MAX_INPUT_BYTES of text (up to a NUL) into a new NUL-terminated
 * buffer of the same byte layout, every byte of an ill-formed sequence replaced by a space.
 * *n_out: bytes copied; *cut: the input went on beyond them.
 */
static char *sanitize(const char *text, size_t len, size_t *n_out, int *cut)
{
    const char *nul = len ? memchr(text, '\0', len) : NULL;
    size_t n = nul ? (size_t)(nul - text) : len;
    char *copy;

    *cut = 0;
    if (n > YQ_SEGMENT_MAX_INPUT_BYTES) {
        n = YQ_SEGMENT_MAX_INPUT_BYTES;
        /* cut before a character that would be split (at most 3 continuation bytes back) */
        for (int k = 0; k < 3 && n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80; k++) {
            n--;
        }
        *cut = 1;
    }
    copy = malloc(n + 1);
    if (!copy) {
        return NULL;
    }
    for (size_t i = 0; i < n;) {
        int32_t cp;
        size_t step = yq_utf8_next(text + i, n - i, &cp);

        if (cp == 0xFFFD || cp < 0x20 || cp == 0x7F) {
            memset(copy + i, ' ', step); /* ill-formed or control: a separator */
        } else {
            memcpy(copy + i, text + i, step);
        }
        i += step;
    }
    copy[n] = '\0';
    *n_out = n;
    return copy;
}

static int words_push(struct yq_segment_words *w, size_t *cap, const char *word, size_t offset,
                      size_t len)
{
    char *text;
    int err = yq_array_reserve(&w->v, cap, w->n + 1, sizeof(*w->v));

    if (err) {
        return err;
    }
    text = strdup(word);
    if (!text) {
        return ERR_NOMEM;
    }
    w->v[w->n].text = text;
    w->v[w->n].offset = offset;
    w->v[w->n].len = len;
    w->n++;
    return 0;
}

int yq_segment_split(const struct yq_segment *seg, const char *text, size_t len,
                     struct yq_segment_words *out)
{
    friso_task_t task;
    char *copy;
    size_t n = 0;
    size_t cap = 0;
    int cut = 0;
    int err = 0;

    if (!out) {
        return ERR_INVALID;
    }
    memset(out, 0, sizeof(*out));
    if (!seg || (!text && len > 0)) {
        return ERR_INVALID;
    }
    if (len == 0) {
        return 0;
    }
    copy = sanitize(text, len, &n, &cut);
    if (!copy) {
        return ERR_NOMEM;
    }
    task = friso_new_task();
    if (!task) {
        free(copy);
        return ERR_NOMEM;
    }
    friso_set_text(task, copy);
    while (seg->config->next_token(seg->friso, seg->config, task) != NULL) {
        friso_token_t tok = task->token;
        size_t off = tok->offset < 0 ? 0 : (size_t)tok->offset;
        size_t wlen;

        if (tok->type == __LEX_PUNC_WORDS__ || tok->word[0] == '\0' || off >= n) {
            continue; /* punctuation: its rlen is not reliable and no caller wants it */
        }
        if (out->n == YQ_SEGMENT_MAX_WORDS) {
            cut = 1;
            break;
        }
        /* rlen: the bytes in the input (full-width letters become half-width in the word) */
        wlen = tok->rlen ? tok->rlen : strlen(tok->word);
        if (wlen > n - off) {
            wlen = n - off;
        }
        err = words_push(out, &cap, tok->word, off, wlen);
        if (err) {
            break;
        }
    }
    friso_free_task(task);
    free(copy);
    if (err) {
        yq_segment_words_release(out);
        return err;
    }
    out->truncated = cut;
    return 0;
}
