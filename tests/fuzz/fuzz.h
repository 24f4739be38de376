/* What the fuzz harnesses share: a check whose failure is a crash (so
 * libFuzzer keeps the input), and the run.json form that every parsed
 * result ends in, which must read back as it was written. */
#ifndef SLIPWAY_TESTS_FUZZ_H
#define SLIPWAY_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/metrics.h"
#include "slipway/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                             \
	do {                                                                         \
		if (!(cond)) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#cond);                                              \
			abort();                                                     \
		}                                                                    \
	} while (0)

/* Messages and warnings are one line of valid UTF-8 wherever they go. */
static inline bool fuzz_one_line(const char *s)
{
	return s && !strchr(s, '\n') && sw_utf8_valid(s, strlen(s));
}

/* An exact copy of len bytes, so that reading past them is caught. */
static inline char *fuzz_copy(const uint8_t *data, size_t len)
{
	char *d = xmalloc(len);
	if (len)
		memcpy(d, data, len);
	return d;
}

/* The metrics gates read once a stage's output is parsed. */
static inline void fuzz_gates(const struct sw_metrics *m)
{
	static const char *const names[] = {"coverage", "lint", "tests_failed", "tests_passed",
					    "tests_skipped", "score"};
	double v;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (sw_metrics_get(m, names[i], &v))
			FUZZ_CHECK(v == v);
}

static inline char *fuzz_metrics_text(const struct sw_metrics *m)
{
	cJSON *json = sw_metrics_to_json(m);
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	FUZZ_CHECK(text != NULL);
	return text;
}

/* m as run.json keeps it, read back: a record must not change by being
 * saved and loaded. */
static inline void fuzz_metrics_round_trip(const struct sw_metrics *m)
{
	char *text = fuzz_metrics_text(m);
	cJSON *json = cJSON_Parse(text);
	FUZZ_CHECK(json != NULL);
	struct sw_metrics back;
	sw_metrics_from_json(&back, json);
	cJSON_Delete(json);
	char *again = fuzz_metrics_text(&back);
	if (strcmp(text, again) != 0)
		fprintf(stderr, "written: %s\nread back: %s\n", text, again);
	FUZZ_CHECK(strcmp(text, again) == 0);
	sw_metrics_free(&back);
	cJSON_free(text);
	cJSON_free(again);
}

#endif
