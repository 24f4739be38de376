/* "Did you mean": the nearest of a list of names. */
#include "slipway/suggest.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "slipway/util.h"

/* Short words are spared far-fetched guesses: "x" is not a typo of "ui";
 * a prefix is: "coverage" for "coverage_min", "lint_maximum" for "lint_max". */
const char *sw_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX, wl = strlen(word);
	for (size_t i = 0; i < n; i++) {
		size_t cl = strlen(cands[i]), d = sw_edit_distance(word, cands[i]);
		size_t shorter = wl < cl ? wl : cl;
		bool prefix = shorter >= 3 && strncmp(word, cands[i], shorter) == 0;
		if ((prefix || (d <= 2 && d < wl)) && d < best_d) {
			best = cands[i];
			best_d = d;
		}
	}
	return best;
}
