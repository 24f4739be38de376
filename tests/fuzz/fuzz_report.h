/* One XML report harness for JUnit and Cobertura: parse the input into
 * metrics a line parser had already filled, as the executor does. */
#ifndef SLIPWAY_TESTS_FUZZ_REPORT_H
#define SLIPWAY_TESTS_FUZZ_REPORT_H

#include "fuzz.h"

#include "slipway/report.h"

typedef int (*fuzz_report_fn)(const char *text, size_t len, const char *name,
			      struct sw_metrics *m, struct strlist *warnings);

static inline void fuzz_report_prefill(struct sw_metrics *m)
{
	m->tests.known = true;
	m->tests.passed = 1;
	m->tests.failed = 1;
	m->tests.failures = xcalloc(1, sizeof *m->tests.failures);
	m->tests.failures[0] = (struct sw_failure){xstrdup("t::a"), xstrdup("boom")};
	m->tests.nfailures = 1;
	m->coverage.known = true;
	m->coverage.percent = 50;
	m->coverage.files = xcalloc(1, sizeof *m->coverage.files);
	m->coverage.files[0] = (struct sw_file_coverage){xstrdup("a.py"), 50};
	m->coverage.nfiles = 1;
}

/* Still what fuzz_report_prefill made. */
static inline bool fuzz_report_unchanged(const struct sw_metrics *m)
{
	const struct sw_tests *t = &m->tests;
	return t->known && t->passed == 1 && t->failed == 1 && t->nfailures == 1 &&
	       strcmp(t->failures[0].name, "t::a") == 0 && m->coverage.known &&
	       m->coverage.percent == 50 && m->coverage.nfiles == 1 &&
	       strcmp(m->coverage.files[0].path, "a.py") == 0;
}

static inline void fuzz_report_check(const struct sw_metrics *m)
{
	const struct sw_tests *t = &m->tests;
	FUZZ_CHECK(t->passed >= 0 && t->failed >= 0 && t->errors >= 0 && t->skipped >= 0);
	FUZZ_CHECK(t->nfailures <= 200 && t->nfailures <= (size_t)(t->failed + t->errors));
	for (size_t i = 0; i < t->nfailures; i++) {
		FUZZ_CHECK(strlen(t->failures[i].name) <= SW_MAX_MESSAGE);
		FUZZ_CHECK(strlen(t->failures[i].message) <= SW_MAX_MESSAGE);
	}
	const struct sw_coverage *c = &m->coverage;
	FUZZ_CHECK(c->percent >= 0 && c->percent <= 100);
	for (size_t i = 0; i < c->nfiles; i++) {
		FUZZ_CHECK(c->files[i].percent >= 0 && c->files[i].percent <= 100);
		FUZZ_CHECK(i == 0 || c->files[i - 1].percent <= c->files[i].percent);
	}
}

/* A report that does not parse says so in one warning and changes nothing. */
static inline void fuzz_report(fuzz_report_fn report, const char *name, const uint8_t *data,
			       size_t size)
{
	struct sw_metrics m = {0};
	struct strlist w = {0};
	fuzz_report_prefill(&m);
	char *text = fuzz_copy(data, size);
	int r = report(text, size, name, &m, &w);
	free(text);
	if (r == 0) {
		FUZZ_CHECK(w.len == 0);
		fuzz_report_check(&m);
		fuzz_gates(&m);
		fuzz_metrics_round_trip(&m);
	} else {
		FUZZ_CHECK(r == -1 && w.len == 1 && fuzz_one_line(w.items[0]) &&
			   fuzz_report_unchanged(&m));
	}
	sw_metrics_free(&m);
	strlist_free(&w);
}

#endif
