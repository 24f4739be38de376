/* "Did you mean": the one rule behind every suggestion slipway makes, for
 * configuration keys, stage and job names, commands and branches alike. */
#ifndef SLIPWAY_SUGGEST_H
#define SLIPWAY_SUGGEST_H

#include <stddef.h>

/* The candidate nearest to word when it is near enough to be a typo (edit
 * distance at most 2 and below word's length, or either a prefix of the
 * other from 3 characters on), else NULL.  Ties go to the earlier one. */
const char *sw_suggest(const char *word, const char *const *cands, size_t n);

#endif
