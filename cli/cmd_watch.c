/* slipway watch: the watcher's log, as lines a person reads or JSON lines. */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/run.h"
#include "slipway/watcher.h"

extern char **environ;

struct watch_out {
	bool json;
};

static void print_event(void *ud, const struct sw_watch_event *ev)
{
	struct watch_out *o = ud;
	char iso[32];
	sw_iso_time(time(NULL), iso);
	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "time", iso);
		cJSON_AddStringToObject(j, "event", ev->kind);
		sw_json_add_clean_string(j, "branch", ev->branch);
		sw_json_add_clean_string(j, "commit", ev->commit);
		if (ev->id)
			cJSON_AddNumberToObject(j, "id", (double)ev->id);
		else
			cJSON_AddNullToObject(j, "id");
		sw_json_add_clean_string(j, "message", ev->message);
		char *text = cJSON_PrintUnformatted(j);
		puts(text);
		free(text);
		cJSON_Delete(j);
	} else {
		printf("%s %-6s ", iso, ev->kind);
		cli_put_text(stdout, ev->message, isatty(STDOUT_FILENO));
		putchar('\n');
	}
	/* Read by a person tailing a file, or by journald, as it happens. */
	fflush(stdout);
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {{"once", no_argument, NULL, 'o'}, {"json", no_argument, NULL, 'j'},
					     {"listen", required_argument, NULL, 'l'}, {"path", required_argument, NULL, 'p'},
					     {NULL, 0, NULL, 0}};
	struct watch_out out = {0};
	struct sw_watcher_options wo = {.env = environ, .log = print_event, .ud = &out};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'o')
			wo.once = true;
		else if (c == 'j')
			out.json = true;
		else if (c == 'l')
			wo.listen = optarg;
		else if (c == 'p')
			wo.listen_path = optarg;
		else
			return cli_usage("watch", false);
	}
	if (optind < argc)
		return cli_usage("watch", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	char *err = NULL;
	int r = sw_watcher_run(ctx.repo, ctx.store, &wo, &err);
	if (r)
		cli_error(r, "%s", err);
	free(err);
	cli_close(&ctx);
	return r;
}
