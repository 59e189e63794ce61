/*
 * libFuzzer target for the rule parser: arbitrary bytes as an expression
 * (rule_expr_compile) and as a YAML rule file (rule_set_add_yaml + rule_set_compile, which
 * normalises the terms and builds the Vectorscan database). Invariants checked: no crash,
 * no leak, a compiled expression evaluates with any flags, its narrowing formula
 * (rule_expr_narrow(), issue #14) holds whenever the expression does, and an error leaves no
 * object.
 * Built with -DYQ_FUZZ=ON (clang); run as ctest fuzz_rule_parser (20 s) or by hand:
 *   build-fuzz/fuzz/pipeline/fuzz_rule_expr -max_total_time=60 fuzz/pipeline/corpus
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rule_expr.h"
#include "rules.h"
#include "fuzz_common.h"
#include "yq_banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool narrow_holds(const struct rule_narrow *n, const bool *occ)
{
    bool all = true, any = false;
    if (n->kind == RULE_NARROW_TRUE) {
        return true;
    }
    if (n->kind == RULE_NARROW_TERM) {
        return occ[n->term];
    }
    for (size_t i = 0; i < n->n_kids; i++) {
        bool v = narrow_holds(n->kids[i], occ);
        all = all && v;
        any = any || v;
    }
    return n->kind == RULE_NARROW_AND ? all : any;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rule_expr *e = NULL;
    struct rule_set *rs;
    char err[512], *text;

    if (!fuzz_begin(size, 8192)) {
        return 0;
    }
    text = malloc(size + 1);
    if (!text) {
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    if (rule_expr_compile(text, &e, err, sizeof(err)) == 0) {
        size_t n = rule_expr_n_terms(e) + rule_expr_n_near(e);
        bool *occ = calloc(n ? n : 1, sizeof(*occ));
        for (size_t i = 0; occ && i < n; i++) {
            occ[i] = (data[i % size] & 1) != 0;
        }
        if (occ) {
            struct rule_narrow *nr = NULL;
            size_t nt = rule_expr_n_terms(e);
            /* a NEAR atom can hold only where both its terms occur */
            for (size_t k = 0; k < rule_expr_n_near(e); k++) {
                size_t a, b, d;
                rule_expr_near(e, k, &a, &b, &d);
                occ[nt + k] = occ[nt + k] && occ[a] && occ[b];
            }
            if (rule_expr_narrow(e, &nr) == 0) {
                if (rule_expr_eval(e, occ) && !narrow_holds(nr, occ)) {
                    abort(); /* the narrowing must be a necessary condition */
                }
                rule_narrow_free(nr);
            }
        }
        free(occ);
        rule_expr_free(e);
    } else if (e) {
        abort(); /* an error must leave no object */
    }
    rs = rule_set_new();
    if (rs) {
        if (rule_set_add_yaml(rs, "fuzz.yaml", text, size, err, sizeof(err)) == 0 &&
            rs->n_rules > 0) {
            (void)rule_set_compile(rs, err, sizeof(err));
        }
        rule_set_free(rs);
    }
    free(text);
    return 0;
}
