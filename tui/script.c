/* Scripted mode (in the manner of tig's): each line of the script is keys
 * separated by spaces ("j j <Enter>"), a ':' command as the prompt takes it,
 * or one of the script's own commands:
 *   :wait-run ID|latest   wait (watchdog: SLIPWAY_SCRIPT_TIMEOUT s) until the run ends
 *   :dump FILE            write the screen as text
 *   :wait-containers      wait (same watchdog) until the Containers panel's
 *                         model has answered: a list, or why there is none
 *   :wait-sentry          wait (same watchdog) until the Sentry panel's model
 *                         has every page, or why there is none, and the
 *                         latest event asked for (Enter) is in
 *   :wait-deploy          wait (same watchdog) until no deploy is running
 * Blank lines and lines starting with '#' are skipped. */
#include "script.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "tui.h"
#include "view_containers.h"
#include "view_deploys.h"
#include "view_sentry.h"

struct tui_script {
	struct strlist lines;
	size_t next;
	long waiting;		/* run id a :wait-run waits for; 0 when none */
	bool waiting_containers;
	bool waiting_sentry;
	bool waiting_deploy;
	int64_t deadline;
};

struct tui_script *tui_script_open(const char *path)
{
	char *text = sw_read_file(path, NULL);
	if (!text) {
		fprintf(stderr, "slipway: --script %s: cannot read it\n", path);
		return NULL;
	}
	struct tui_script *s = xcalloc(1, sizeof *s);
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		strlist_add(&s->lines, line);
	free(text);
	return s;
}

void tui_script_free(struct tui_script *s)
{
	if (!s)
		return;
	strlist_free(&s->lines);
	free(s);
}

bool tui_script_done(const struct tui_script *s)
{
	return s->next >= s->lines.len && !s->waiting && !s->waiting_containers && !s->waiting_sentry &&
	       !s->waiting_deploy;
}

int tui_dump(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	wchar_t *row = xcalloc((size_t)COLS + 1, sizeof *row);
	char *mb = xmalloc((size_t)COLS * MB_CUR_MAX + 1);
	for (int y = 0; y < LINES; y++) {
		int n = mvinnwstr(y, 0, row, COLS);
		row[n < 0 ? 0 : n] = 0;
		size_t len = wcstombs(mb, row, (size_t)COLS * MB_CUR_MAX);
		if (len == (size_t)-1)
			len = 0;
		while (len > 0 && mb[len - 1] == ' ')
			len--;
		fwrite(mb, 1, len, f);
		fputc('\n', f);
	}
	free(row);
	free(mb);
	return fclose(f);
}

static int64_t script_deadline(void)
{
	const char *limit = getenv("SLIPWAY_SCRIPT_TIMEOUT");
	return sw_mono_ms() + (limit ? atol(limit) : 600) * 1000;
}

/* Waits (*flag) until settled says the model answered; what names it in the timeout. */
static unsigned keep_waiting_model(struct tui *t, struct tui_script *s, bool *flag, bool (*settled)(struct tui *),
				   const char *what, int *exit_code)
{
	if (settled(t)) {
		*flag = false;
		return tui_wait_events(t, false, 0) | TUI_REDRAW_ALL;
	}
	if (sw_mono_ms() > s->deadline) {
		fprintf(stderr, "slipway: --script: %s gave no answer in time\n", what);
		*exit_code = 1;
		*flag = false;
		s->next = s->lines.len;
		return 0;
	}
	return tui_wait_events(t, false, 200);
}

static unsigned start_wait(struct tui *t, struct tui_script *s, const char *arg)
{
	char *err = NULL;
	/* No such run yet waits for nothing: the script goes on. */
	if (sw_store_parse_id(t->store, arg, &s->waiting, &err))
		s->waiting = 0;
	free(err);
	s->deadline = script_deadline();
	if (s->waiting <= 0)
		s->waiting = 0;
	return 0;
}

static bool run_final(struct tui *t, long id)
{
	struct sw_run_record rec;
	char *err = NULL;
	if (sw_store_load(t->store, id, &rec, &err)) {
		free(err);
		return true;
	}
	bool done = sw_run_status_final(rec.status);
	sw_run_record_free(&rec);
	return done;
}

static unsigned keep_waiting(struct tui *t, struct tui_script *s, int *exit_code)
{
	if (run_final(t, s->waiting)) {
		s->waiting = 0;
		/* Let the record's last change reach the panels before going on. */
		return tui_wait_events(t, false, 0) | TUI_REDRAW_ALL;
	}
	if (sw_mono_ms() > s->deadline) {
		fprintf(stderr, "slipway: --script: run %ld did not end in time\n", s->waiting);
		*exit_code = 1;
		s->waiting = 0;
		s->next = s->lines.len;
		return 0;
	}
	return tui_wait_events(t, false, 200);
}

static unsigned press_keys(struct tui *t, char *line, int *exit_code)
{
	unsigned dirty = 0;
	char *save = NULL;
	for (char *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		int key = tui_key_parse(tok);
		if (key < 0) {
			fprintf(stderr, "slipway: --script: unknown key \"%s\"\n", tok);
			*exit_code = 1;
			continue;
		}
		dirty |= tui_handle_key(t, key);
		/* A script reads what a key did: a merge it started, ended. */
		dirty |= tui_merge_settle(t);
	}
	return dirty;
}

unsigned tui_script_step(struct tui *t, struct tui_script *s, int *exit_code)
{
	if (s->waiting)
		return keep_waiting(t, s, exit_code);
	if (s->waiting_containers)
		return keep_waiting_model(t, s, &s->waiting_containers, tui_containers_settled, "the container engine",
					  exit_code);
	if (s->waiting_sentry)
		return keep_waiting_model(t, s, &s->waiting_sentry, tui_sentry_settled, "Sentry", exit_code);
	if (s->waiting_deploy)
		return keep_waiting_model(t, s, &s->waiting_deploy, tui_deploys_settled, "the deploy", exit_code);
	unsigned dirty = tui_wait_events(t, false, 0);
	if (s->next >= s->lines.len)
		return dirty;
	char *line = xstrdup(s->lines.items[s->next++]);
	if (line[0] == '#' || line[0] == '\0')
		;
	else if (!strncmp(line, ":wait-run ", 10))
		dirty |= start_wait(t, s, line + 10);
	else if (!strcmp(line, ":wait-containers")) {
		s->waiting_containers = true;
		s->deadline = script_deadline();
	} else if (!strcmp(line, ":wait-sentry")) {
		s->waiting_sentry = true;
		s->deadline = script_deadline();
	} else if (!strcmp(line, ":wait-deploy")) {
		s->waiting_deploy = true;
		s->deadline = script_deadline();
	}
	else if (!strncmp(line, ":dump ", 6)) {
		tui_dump(line + 6);
	} else if (line[0] == ':')
		dirty |= tui_command(t, line + 1) | TUI_REDRAW_ALL;
	else
		dirty |= press_keys(t, line, exit_code);
	free(line);
	return dirty | TUI_REDRAW_STATUS;
}
