/* A GitHub Actions workflow as a repository may hold it, through
 * `slipway init --from-actions`: sw_actions_translate, then the loader on
 * what it wrote, which must be a configuration slipway accepts. */
#include "fuzz.h"

#include "slipway/actions.h"
#include "slipway/config.h"

static void check_notes(const struct strlist *notes)
{
	for (size_t i = 0; i < notes->len; i++)
		FUZZ_CHECK(notes->items[i] && sw_utf8_valid(notes->items[i], strlen(notes->items[i])));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *yaml = fuzz_copy(data, size);
	char *json = NULL, *err = NULL;
	struct strlist notes = {0};
	if (sw_actions_translate(yaml, size, "ci.yml", &json, &notes, &err) == 0) {
		FUZZ_CHECK(json && !err);
		check_notes(&notes);
		struct sw_config cfg = {0};
		char *cerr = NULL;
		int r = sw_config_parse(&cfg, json, strlen(json), "slipway.json", &cerr);
		if (r)
			fprintf(stderr, "the translation is refused: %s\n%s\n", cerr, json);
		FUZZ_CHECK(r == 0);
		sw_config_free(&cfg);
		free(cerr);
	} else {
		FUZZ_CHECK(!json && fuzz_one_line(err));
	}
	free(json);
	free(err);
	strlist_free(&notes);
	free(yaml);
	return 0;
}
