/* Parsers for what CI tools print and write: flake8, pytest, coverage.py
 * output line by line as a stage runs, JUnit and Cobertura XML files after. */
#ifndef SLIPWAY_REPORT_H
#define SLIPWAY_REPORT_H

#include <stddef.h>

#include "slipway/metrics.h"
#include "slipway/util.h"

enum sw_parser_kind {
	SW_PARSE_FLAKE8,	/* path:line:col: CODE message */
	SW_PARSE_PYTEST,	/* closing "=== 3 passed, 1 failed in 0.1s ===" and FAILED lines */
	SW_PARSE_COVERAGE,	/* coverage.py's TOTAL line and per-file rows */
	SW_PARSE_REGEX,		/* a user pcre2 pattern; the first group (or whole match) is the value */
};

/* A parser reads a stage's output one line at a time (without the newline),
 * as the stage writes it, so a huge log is never read twice or held whole. */
struct sw_line_parser;

/* For SW_PARSE_REGEX, pattern and metric name are required; NULL with a
 * message in *err (caller frees) when the pattern does not compile. */
struct sw_line_parser *sw_line_parser_new(enum sw_parser_kind kind, const char *pattern,
					  const char *metric, char **err);
void sw_line_parser_feed(struct sw_line_parser *p, const char *line, size_t len);
/* Merges what was seen into m; warnings (malformed input) go to warnings. */
void sw_line_parser_finish(struct sw_line_parser *p, struct sw_metrics *m,
			   struct strlist *warnings);
void sw_line_parser_free(struct sw_line_parser *p);
/* "flake8" -> SW_PARSE_FLAKE8 ...; -1 when unknown. */
int sw_parser_kind_from_name(const char *name);

/* XML reports.  They fill m->tests / m->coverage (replacing what the
 * line parsers found, being more precise).  A missing, malformed or
 * truncated file adds a warning naming the file and, where known, the line;
 * it never aborts.  0 on success, -1 on a warning. */
int sw_report_junit(const char *path, struct sw_metrics *m, struct strlist *warnings);
int sw_report_cobertura(const char *path, struct sw_metrics *m, struct strlist *warnings);
/* The same for a report already in memory (len bytes, no NUL needed);
 * name stands for the path in warnings. */
int sw_report_junit_text(const char *text, size_t len, const char *name, struct sw_metrics *m,
			 struct strlist *warnings);
int sw_report_cobertura_text(const char *text, size_t len, const char *name,
			     struct sw_metrics *m, struct strlist *warnings);

#endif
