/* run.json as a reader finds it: written by any version, hand-edited,
 * cut short.  A record read is listed (history --json) and cached (a
 * copy), and saving it again must give what reading that back gives. */
#include "fuzz.h"

#include "slipway/store.h"

/* What store.h promises of a text that is not a record: id and commit may
 * be set, nothing is allocated. */
static bool nothing_to_free(const struct sw_run_record *rec)
{
	static const struct sw_metrics zero;
	return !rec->branch && !rec->trigger && !rec->subject && !rec->stages && !rec->nstages &&
	       !rec->gates && !rec->ngates && !rec->missing_secrets.items && !rec->warnings.items &&
	       memcmp(&rec->metrics, &zero, sizeof zero) == 0;
}

static char *record_text(const struct sw_run_record *rec)
{
	cJSON *json = sw_run_record_to_json(rec);
	char *text = cJSON_PrintUnformatted(json);
	cJSON_Delete(json);
	FUZZ_CHECK(text != NULL);
	return text;
}

static void check_record(const struct sw_run_record *rec)
{
	FUZZ_CHECK(rec->id > 0 && strlen(rec->commit) == 40);
	for (size_t i = 0; i < rec->nstages; i++)
		FUZZ_CHECK(rec->stages[i].name != NULL);
	sw_run_status_name(rec->status);
	sw_run_find_stage(rec, "test");
	fuzz_gates(&rec->metrics);
}

/* The text of the record that text reads as. */
static char *saved_again(const char *text)
{
	struct sw_run_record back;
	FUZZ_CHECK(sw_run_record_parse(text, strlen(text), &back) == 0);
	char *again = record_text(&back);
	sw_run_record_free(&back);
	return again;
}

/* Saved once, a record reads back as itself. */
static void check_round_trip(const struct sw_run_record *rec)
{
	char *text = record_text(rec);
	char *again = saved_again(text);
	if (strcmp(text, again) != 0)
		fprintf(stderr, "written: %s\nread back: %s\n", text, again);
	FUZZ_CHECK(strcmp(text, again) == 0);
	cJSON_free(text);
	cJSON_free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sw_run_record rec, copy;
	char *text = fuzz_copy(data, size);
	int r = sw_run_record_parse(text, size, &rec);
	free(text);
	if (r) {
		FUZZ_CHECK(r == -1 && nothing_to_free(&rec));
		return 0;
	}
	check_record(&rec);
	sw_run_record_copy(&copy, &rec);
	check_round_trip(&copy);
	sw_run_record_free(&copy);
	sw_run_record_free(&rec);
	return 0;
}
