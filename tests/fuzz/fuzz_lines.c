/* What a stage prints, fed line by line to a line parser: the first byte
 * picks flake8, pytest, coverage or a regex metric (a fixed pattern, as a
 * slipway.json might give); the rest is the output. */
#include "fuzz.h"

#include "slipway/report.h"

/* A pattern that can match an empty group, a number, a percentage or text. */
#define PATTERN "(?:score|size|total)[:=] *(\\S*)"

static struct sw_line_parser *parser_for(uint8_t selector)
{
	enum sw_parser_kind kinds[] = {SW_PARSE_FLAKE8, SW_PARSE_PYTEST, SW_PARSE_COVERAGE,
				       SW_PARSE_REGEX};
	enum sw_parser_kind kind = kinds[selector % 4];
	char *err = NULL;
	struct sw_line_parser *p =
		sw_line_parser_new(kind, kind == SW_PARSE_REGEX ? PATTERN : NULL, "score", &err);
	FUZZ_CHECK(p != NULL && err == NULL);
	return p;
}

/* Each line in a buffer of its own size, as the executor hands them over. */
static void feed_lines(struct sw_line_parser *p, const uint8_t *s, size_t len)
{
	while (len > 0) {
		const uint8_t *nl = memchr(s, '\n', len);
		size_t n = nl ? (size_t)(nl - s) : len;
		char *line = fuzz_copy(s, n);
		sw_line_parser_feed(p, line, n);
		free(line);
		s += n;
		len -= n;
		if (nl) {
			s++;
			len--;
		}
	}
}

static void check_metrics(const struct sw_metrics *m, const struct strlist *w)
{
	for (size_t i = 0; i < w->len; i++)
		FUZZ_CHECK(fuzz_one_line(w->items[i]));
	for (size_t i = 0; i < m->tests.nfailures; i++) {
		FUZZ_CHECK(strlen(m->tests.failures[i].name) <= SW_MAX_MESSAGE);
		FUZZ_CHECK(strlen(m->tests.failures[i].message) <= SW_MAX_MESSAGE);
	}
	for (size_t i = 1; i < m->coverage.nfiles; i++)
		FUZZ_CHECK(m->coverage.files[i - 1].percent <= m->coverage.files[i].percent);
	fuzz_gates(m);
	fuzz_metrics_round_trip(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct sw_line_parser *p = parser_for(data[0]);
	struct sw_metrics m = {0};
	struct strlist w = {0};
	feed_lines(p, data + 1, size - 1);
	sw_line_parser_finish(p, &m, &w);
	sw_line_parser_free(p);
	check_metrics(&m, &w);
	sw_metrics_free(&m);
	strlist_free(&w);
	return 0;
}
