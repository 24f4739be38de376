/* Regular expressions (pcre2, JIT where built in) over UTF-8 text, for
 * the report parsers and the dashboard's log search. */
#ifndef SLIPWAY_REGEX_H
#define SLIPWAY_REGEX_H

#include <stdbool.h>
#include <stddef.h>

struct sw_regex;

/* With smart_case, a pattern without capitals matches either case.  NULL
 * with *err ("bad pattern \"x(\": missing closing parenthesis at offset 2"). */
struct sw_regex *sw_regex_new(const char *pattern, bool smart_case, char **err);
/* NULL when sw_regex_new(pattern, false, ...) would compile pattern, else
 * pcre2's message ("missing closing parenthesis", to be freed) and in
 * *offset where pcre2 stopped: for checking a configuration ahead of use. */
char *sw_regex_check(const char *pattern, size_t *offset);
/* The first match in s[from..len), s valid UTF-8.  With a capture group,
 * gs and ge give the first group's bounds (the whole match's otherwise). */
bool sw_regex_find(struct sw_regex *re, const char *s, size_t len, size_t from, size_t *start,
		   size_t *end, size_t *gs, size_t *ge);
/* Where the search resumes after a match [start, end): past an empty
 * match by one whole character. */
size_t sw_regex_next(const char *s, size_t len, size_t start, size_t end);
void sw_regex_free(struct sw_regex *re);

#endif
