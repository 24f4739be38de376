/* slipway.json as a branch may commit it: sw_config_parse, then the line
 * parsers its stages ask for, as the executor makes them. */
#include "fuzz.h"

#include "slipway/config.h"
#include "slipway/report.h"

static bool is_empty(const struct sw_config *cfg)
{
	static const struct sw_config zero;
	return memcmp(cfg, &zero, sizeof zero) == 0;
}

/* A pattern the file names may still not compile: that is told at run
 * time, in a warning (cleaned where it is shown, so any text will do). */
static void make_parsers(const struct sw_stage_config *st)
{
	for (size_t i = 0; i < st->nparse; i++) {
		const struct sw_parse_spec *ps = &st->parse[i];
		char *err = NULL;
		struct sw_line_parser *p = sw_line_parser_new(ps->kind, ps->pattern, ps->metric, &err);
		FUZZ_CHECK((p != NULL) != (err != NULL));
		sw_line_parser_free(p);
		free(err);
	}
}

static void check_config(const struct sw_config *cfg)
{
	FUZZ_CHECK(cfg->nstages > 0 && cfg->main_branch && cfg->integration_branch);
	for (size_t i = 0; i < cfg->nstages; i++) {
		const struct sw_stage_config *st = &cfg->stages[i];
		FUZZ_CHECK(st->name && st->run && st->timeout > 0);
		sw_stage_matches(st, "main");
		make_parsers(st);
	}
	for (size_t i = 0; i < cfg->ngates; i++)
		FUZZ_CHECK(cfg->gates[i].name && cfg->gates[i].metric);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_config cfg;
	char *err = NULL;
	int r = sw_config_parse(&cfg, (const char *)data, size, "slipway.json", &err);
	if (r == 0) {
		FUZZ_CHECK(err == NULL);
		check_config(&cfg);
		sw_config_free(&cfg);
		return 0;
	}
	/* config.h: one line naming the file, and nothing to free. */
	FUZZ_CHECK(r == -1 && is_empty(&cfg));
	FUZZ_CHECK(err && !strchr(err, '\n') && strncmp(err, "slipway.json:", 13) == 0);
	FUZZ_CHECK(sw_utf8_valid(err, strlen(err)));
	free(err);
	return 0;
}
