/* slipway release-notes: the core's notes of a release (slipway/
 * release_notes.h) as text, Markdown or JSON. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "slipway/release_notes.h"
#include "slipway/sentry.h"

static void print_part(void (*fn)(const struct sw_release_notes *, enum sw_notes_format, struct sbuf *),
		       const struct sw_release_notes *n, enum sw_notes_format f)
{
	struct sbuf sb;
	sbuf_init(&sb);
	fn(n, f, &sb);
	fwrite(sb.buf ? sb.buf : "", 1, sb.len, stdout);
	fflush(stdout);
	sbuf_free(&sb);
}

/* Sentry's part, or why there is none: never the notes' failure. */
static void ask_sentry(struct cli_ctx *ctx, struct sw_release_notes *n)
{
	char *why;
	struct sw_sentry *c = cli_sentry_client(ctx->repo, &why);
	if (c)
		sw_release_notes_sentry(c, n);
	else
		sw_release_notes_no_sentry(n, why);
	sw_sentry_free(c);
}

static int notes(const struct sw_notes_query *q, bool json, enum sw_notes_format f)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	struct sw_release_notes n;
	char *err = NULL;
	if (sw_release_notes_build(ctx.repo, ctx.store, q, &n, &err)) {
		cli_error(2, "%s", err);
		free(err);
		cli_close(&ctx);
		return 2;
	}
	/* The repository's part shows while Sentry is asked. */
	if (!json)
		print_part(sw_release_notes_text, &n, f);
	ask_sentry(&ctx, &n);
	if (json) {
		cJSON *o = sw_release_notes_to_json(&n);
		cli_print_json(o);
		cJSON_Delete(o);
	} else {
		print_part(sw_release_notes_sentry_text, &n, f);
	}
	sw_release_notes_free(&n);
	cli_close(&ctx);
	return 0;
}

int cmd_release_notes(int argc, char **argv)
{
	static const struct option opts[] = {{"deploy", required_argument, NULL, 'd'},
					     {"markdown", no_argument, NULL, 'm'},
					     {"json", no_argument, NULL, 'j'},
					     {NULL, 0, NULL, 0}};
	struct sw_notes_query q = {0};
	bool json = false, markdown = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'd')
			q.deploy = optarg;
		else if (c == 'm')
			markdown = true;
		else if (c == 'j')
			json = true;
		else
			return cli_usage("release-notes", false);
	}
	if (argc - optind > 1)
		return cli_usage("release-notes", false);
	q.range = optind < argc ? argv[optind] : NULL;
	if (q.range && q.deploy)
		return cli_error(2, "release-notes: give --deploy ID or FROM..TO, not both");
	if (json && markdown)
		return cli_error(2, "release-notes: --markdown or --json, not both");
	return notes(&q, json, markdown ? SW_NOTES_MARKDOWN : SW_NOTES_TEXT);
}
