/* What a run measured: tests, lint findings, coverage and custom metrics,
 * filled by the report parsers and written into run.json. */
#ifndef SLIPWAY_METRICS_H
#define SLIPWAY_METRICS_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

struct sw_count {
	char *key;
	long n;
};

struct sw_failure {
	char *name;
	char *message;
};

struct sw_file_coverage {
	char *path;
	double percent;
};

struct sw_tests {
	bool known;
	long passed, failed, skipped, errors, xfail;
	struct sw_failure *failures;
	size_t nfailures;
};

struct sw_lint {
	bool known;
	long count;
	struct sw_count *by_code;	/* sorted by key */
	size_t ncodes;
	struct sw_count *by_file;	/* sorted by key */
	size_t nfiles;
};

struct sw_coverage {
	bool known;
	double percent;
	struct sw_file_coverage *files;	/* lowest percent first */
	size_t nfiles;
};

struct sw_custom_metric {
	char *name;
	double value;
};

struct sw_metrics {
	struct sw_tests tests;
	struct sw_lint lint;
	struct sw_coverage coverage;
	struct sw_custom_metric *custom;
	size_t ncustom;
};

/* Longest failure message kept, in bytes. */
#define SW_MAX_MESSAGE 4096

/* m must be zeroed or freed before sw_metrics_from_json fills it. */
void sw_metrics_free(struct sw_metrics *m);
/* dst becomes a deep copy of src (dst's old contents are not freed). */
void sw_metrics_copy(struct sw_metrics *dst, const struct sw_metrics *src);
/* A copy of valid UTF-8 text cut on a character boundary to SW_MAX_MESSAGE. */
char *sw_capped_text(const char *s, size_t len);
/* Sorts files lowest percent first (then by path). */
void sw_coverage_sort(struct sw_file_coverage *files, size_t n);
/* Adds n to the count of key (creating it), keeping the array sorted. */
void sw_count_add(struct sw_count **arr, size_t *len, const char *key, long n);
void sw_metrics_set_custom(struct sw_metrics *m, const char *name, double value);
/* May replace *text (freeing the old string; NULL may come); true when it did. */
typedef bool (*sw_text_rewrite)(char **text, void *ctx);
/* Passes every string the metrics hold (failure names and messages, lint
 * codes and files, coverage paths, custom names) to fn; afterwards lint
 * counts and custom metrics are sorted and unique again (two keys may have
 * become one), coverage files sorted. */
void sw_metrics_rewrite_strings(struct sw_metrics *m, sw_text_rewrite fn, void *ctx);
/* Looks a metric up by gate name: "coverage", "lint", "tests_failed" or a
 * custom name.  false when it was never measured. */
bool sw_metrics_get(const struct sw_metrics *m, const char *name, double *value);

/* The run.json form ("tests", "lint", "coverage", "custom"), and back. */
struct cJSON *sw_metrics_to_json(const struct sw_metrics *m);
void sw_metrics_from_json(struct sw_metrics *m, const struct cJSON *json);

#endif
