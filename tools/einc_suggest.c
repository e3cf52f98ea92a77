/* einc_suggest.c — "did you mean" for misspelled operation names and options (einc_suggest.h). */
#include "einc_suggest.h"

#include <stdlib.h>
#include <string.h>

#include "einc.h"
#include "einc_extra.h"

size_t einc_edit_distance(const char *a, const char *b) {
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) return (size_t)-1; /* not a typo of any name here */
    size_t d[65][65];
    for (size_t i = 0; i <= n; i++) d[i][0] = i;
    for (size_t j = 0; j <= m; j++) d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best) best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[n][m];
}

const char *einc_suggest(const char *word, const char *const *candidates, size_t n) {
    size_t len = strlen(word);
    size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
    if (limit >= len) limit = len ? len - 1 : 0;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = einc_edit_distance(word, candidates[i]);
        if (d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

const char *einc_suggest_command(const char *word) {
    const char *names[EINC_OP_COUNT_ + 16];
    size_t n = 0;
    for (int op = 0; op < EINC_OP_COUNT_; op++) names[n++] = einc_op_name((einc_op)op);
    for (const char *const *c = einc_tool_extra_names; *c; c++) names[n++] = *c;
    return einc_suggest(word, names, n);
}
