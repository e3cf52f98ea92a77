/* einc_suggest.h — "did you mean": the closest known name to a misspelled one. */
#ifndef EINC_SUGGEST_H
#define EINC_SUGGEST_H

#include <stddef.h>

/* Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent swaps). */
size_t einc_edit_distance(const char *a, const char *b);

/* The candidate closest to `word` when it is close enough to be a typo (distance at most 1 for
 * names up to 4 characters, 2 up to 8, else 3, and less than the word's length), else NULL. Ties
 * go to the first candidate. */
const char *einc_suggest(const char *word, const char *const *candidates, size_t n);

/* The same over every operation and command name of the tool. */
const char *einc_suggest_command(const char *word);

#endif /* EINC_SUGGEST_H */
