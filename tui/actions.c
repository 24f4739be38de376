/* The action table, key names and bindings, and what each action does:
 * always through the same core entry point as the CLI command. */
#include "tui.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/cmdline.h"
#include "slipway/merge.h"
#include "slipway/repo.h"
#include "slipway/run.h"
#include "slipway/store.h"
#include "slipway/suggest.h"
#include "view_containers.h"
#include "view_deploys.h"
#include "view_history.h"
#include "view_log.h"
#include "view_pipeline.h"
#include "view_quality.h"
#include "view_sentry.h"

extern char **environ;

const struct tui_action_info tui_actions[TUI_ACT_COUNT] = {
#define TUI_ACTION_ENUM(id, name, keys, help) {name, keys, help},
#include "actions.def"
#undef TUI_ACTION_ENUM
};

#define CTRL(c) ((c) & 0x1f)

static const struct {
	const char *name;
	int key;
} named_keys[] = {
	{"<Down>", KEY_DOWN}, {"<Up>", KEY_UP}, {"<Left>", KEY_LEFT}, {"<Right>", KEY_RIGHT},
	{"<Home>", KEY_HOME}, {"<End>", KEY_END}, {"<PgDn>", KEY_NPAGE}, {"<PgUp>", KEY_PPAGE},
	{"<Tab>", '\t'}, {"<BackTab>", KEY_BTAB}, {"<Enter>", '\n'}, {"<Esc>", 27},
	{"<Space>", ' '}, {"<Backspace>", KEY_BACKSPACE}, {"<Colon>", ':'},
};

int tui_key_parse(const char *name)
{
	if (name[0] && !name[1])
		return (unsigned char)name[0];
	for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++)
		if (!strcmp(named_keys[i].name, name))
			return named_keys[i].key;
	if (!strncmp(name, "<C-", 3) && name[3] && name[4] == '>' && !name[5])
		return CTRL(name[3]);
	int f;
	char end;
	if (sscanf(name, "<F%d%c", &f, &end) == 2 && end == '>' && f >= 1 && f <= 12)
		return KEY_F(f);
	return -1;
}

void tui_key_name(int key, char *out, size_t n)
{
	if (key > ' ' && key < 127) {
		snprintf(out, n, "%c", key);
		return;
	}
	for (size_t i = 0; i < sizeof named_keys / sizeof *named_keys; i++)
		if (named_keys[i].key == key) {
			snprintf(out, n, "%s", named_keys[i].name);
			return;
		}
	if (key >= KEY_F(1) && key <= KEY_F(12))
		snprintf(out, n, "<F%d>", key - KEY_F0);
	else if (key > 0 && key < 32)
		snprintf(out, n, "<C-%c>", key + 96);
	else if (key >= 32 && key < 127)
		snprintf(out, n, "%c", key);
	else
		snprintf(out, n, "<%d>", key);
}

int tui_key_action(struct tui *t, int key)
{
	/* Terminals send either for Enter. */
	if (key == '\r' || key == KEY_ENTER)
		key = '\n';
	return key >= 0 && key < TUI_KEY_SPACE ? t->settings.bindings[key] : -1;
}

/* ---- what actions do ---- */

static struct tui_view *current(struct tui *t)
{
	return t->overlay ? t->overlay : t->focus;
}

static unsigned move_sel(struct tui *t, int delta)
{
	return tui_view_move(t, current(t), delta);
}

static unsigned page(struct tui *t, int dir)
{
	return tui_view_page(t, current(t), dir);
}

static unsigned back(struct tui *t)
{
	if (tui_deploys_back(t))
		return TUI_REDRAW_ALL;
	if (t->overlay) {
		/* A container's log returns to the panel it was opened from. */
		struct tui_view *to = t->overlay == &t->views[TUI_V_LOG] ? tui_log_back_to(t) : NULL;
		tui_overlay_close(t);
		t->overlay = to;
		return TUI_REDRAW_ALL;
	}
	if (t->focus != &t->views[TUI_V_BRANCHES]) {
		t->focus = &t->views[TUI_V_BRANCHES];
		return TUI_REDRAW_ALL;
	}
	return 0;
}

/* On the main screen Esc also drops the branch filter; q does not, it quits. */
static unsigned back_or_unfilter(struct tui *t)
{
	unsigned r = back(t);
	if (!r && tui_branches(t)->filter) {
		tui_set_filter(t, NULL);
		r = TUI_REDRAW_ALL;
	}
	return r | TUI_HANDLED;
}

static unsigned quit(struct tui *t)
{
	unsigned r = back(t);
	if (!r)
		t->quit = true;
	return r | TUI_HANDLED;
}

static unsigned run_selected(struct tui *t)
{
	struct tui_branch_row *b = tui_selected_branch(t);
	if (!b)
		return TUI_HANDLED;
	char cmd[600];
	snprintf(cmd, sizeof cmd, "run %s", b->b.name);
	return tui_command(t, cmd);
}

/* What "the thing at hand" is depends on where the user is. */
static unsigned copy(struct tui *t)
{
	const struct tui_run *shown = tui_shown_run(t);
	char id[32];
	if (t->overlay == &t->views[TUI_V_LOG])
		return tui_log_copy(t);
	if (t->focus == &t->views[TUI_V_PIPELINE] && shown->loaded && !t->overlay) {
		snprintf(id, sizeof id, "%ld", shown->id);
		tui_copy(t, "run id", id);
		return TUI_REDRAW_STATUS;
	}
	if (tui_containers_current(t))
		return tui_containers_copy(t);
	if (tui_sentry_current(t))
		return tui_sentry_copy(t);
	struct tui_branch_row *b = tui_selected_branch(t);
	if (b && !t->overlay)
		tui_copy(t, "commit", b->b.head);
	return TUI_REDRAW_STATUS;
}

/* Reloads everything and shows the selected branch's own last run again. */
static unsigned reload_all(struct tui *t)
{
	tui_reload_branches(t);
	tui_pipeline_pin(t, 0);
	tui_containers_refresh(t);
	tui_sentry_refresh(t);
	tui_deploys_refresh(t);
	return TUI_REDRAW_ALL;
}

static unsigned ask_cancel(struct tui *t)
{
	const struct tui_run *shown = tui_shown_run(t);
	if (!shown->loaded || sw_run_status_final(shown->rec.status)) {
		tui_set_status(t, true, "no run in progress to cancel");
		return TUI_REDRAW_STATUS;
	}
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: cancel is refused");
		return TUI_REDRAW_STATUS;
	}
	const char *branch = shown->rec.branch ? shown->rec.branch : "?";
	/* Protected targets: Enter alone is too easy to press by habit. */
	bool typed = t->settings.confirm_typed && tui_settings_protected(&t->settings, branch);
	return tui_confirm_cancel(t, shown->id, branch, typed);
}

/* The core decides whether the merge may go ahead (sw_merge_plan, the
 * checks sw_merge makes); the dashboard only shows its answer and asks. */
static unsigned ask_merge(struct tui *t)
{
	struct tui_branch_row *b = tui_selected_branch(t);
	if (!b)
		return TUI_HANDLED;
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: merge is refused");
		return TUI_REDRAW_STATUS;
	}
	struct sw_merge_options o = {.branch = b->b.name, .env = environ};
	struct sw_merge_plan plan;
	char *err = NULL;
	unsigned r = TUI_REDRAW_STATUS;
	if (sw_merge_plan(t->repo, t->store, &o, &plan, &err)) {
		tui_set_status(t, true, "%s", err);
	} else if (plan.action == SW_MERGE_NOTHING) {
		tui_set_status(t, false, "%s", plan.notes.len ? plan.notes.items[0] : "nothing to merge");
	} else {
		/* Main is the target: protected, it wants its name typed; a
		 * protected branch being merged wants its own. */
		const struct tui_settings *s = &t->settings;
		const char *word = !s->confirm_typed ? NULL
				   : tui_settings_protected(s, plan.main) ? plan.main
				   : tui_settings_protected(s, plan.branch) ? plan.branch : NULL;
		r = tui_confirm_merge(t, &plan, word);
	}
	free(err);
	sw_merge_plan_free(&plan);
	return r;
}

static unsigned open_log(struct tui *t)
{
	const struct tui_run *shown = tui_shown_run(t);
	if (tui_deploys_current(t))
		return tui_deploys_log(t);
	if (!shown->loaded) {
		tui_set_status(t, true, "this branch's head has no run yet: r runs it");
		return TUI_REDRAW_STATUS;
	}
	int sel = t->views[TUI_V_PIPELINE].selected;
	if (sel < 0 || (size_t)sel >= shown->rec.nstages)
		sel = 0;
	tui_log_open(t, shown->id, shown->rec.stages[sel].name);
	return TUI_REDRAW_ALL;
}

/* Branches, Pipeline, and the tiled panel (Containers, Sentry, Deploys, or History clicked). */
static unsigned next_panel(struct tui *t, int dir)
{
	if (t->overlay)
		return TUI_HANDLED;
	struct tui_view *ring[] = {&t->views[TUI_V_BRANCHES], &t->views[TUI_V_PIPELINE], t->tile};
	int n = t->tile && tui_layout_four() ? 3 : 2, at = 0;
	while (at < n && ring[at] != t->focus)
		at++;
	t->focus = ring[((at < n ? at : 0) + dir + n) % n];
	return TUI_REDRAW_ALL;
}

unsigned tui_do_action(struct tui *t, enum tui_action a)
{
	switch (a) {
	case TUI_ACT_QUIT: return quit(t);
	case TUI_ACT_QUIT_ALL: t->quit = true; return TUI_HANDLED;
	case TUI_ACT_DOWN: return move_sel(t, 1);
	case TUI_ACT_UP: return move_sel(t, -1);
	case TUI_ACT_FIRST: return move_sel(t, INT_MIN);
	case TUI_ACT_LAST: return move_sel(t, INT_MAX);
	case TUI_ACT_PAGE_DOWN: return page(t, 1);
	case TUI_ACT_PAGE_UP: return page(t, -1);
	case TUI_ACT_NEXT_PANEL: return next_panel(t, 1);
	case TUI_ACT_PREV_PANEL: return next_panel(t, -1);
	case TUI_ACT_ENTER: return current(t)->ops->enter ? current(t)->ops->enter(t, current(t)) : 0;
	case TUI_ACT_BACK: return back_or_unfilter(t);
	case TUI_ACT_LOG: return open_log(t);
	case TUI_ACT_RUN: return run_selected(t);
	case TUI_ACT_CANCEL: return ask_cancel(t);
	case TUI_ACT_MERGE: return ask_merge(t);
	case TUI_ACT_REFRESH: return reload_all(t);
	case TUI_ACT_FILTER: return tui_prompt_start(t, TUI_PROMPT_FILTER);
	case TUI_ACT_PROMPT: return tui_prompt_start(t, TUI_PROMPT_COMMAND);
	case TUI_ACT_HELP: t->overlay = &t->views[TUI_V_HELP]; t->views[TUI_V_HELP].top = 0; return TUI_REDRAW_ALL;
	case TUI_ACT_QUALITY: tui_quality_open(t); return TUI_REDRAW_ALL;
	case TUI_ACT_HISTORY: tui_history_open(t, false); return TUI_REDRAW_ALL;
	case TUI_ACT_HISTORY_ALL: tui_history_open(t, true); return TUI_REDRAW_ALL;
	case TUI_ACT_CONTAINERS: return tui_containers_toggle(t);
	case TUI_ACT_CONTAINER_START: return tui_containers_ask(t, SW_DOCKER_START);
	case TUI_ACT_CONTAINER_STOP: return tui_containers_ask(t, SW_DOCKER_STOP);
	case TUI_ACT_CONTAINER_RESTART: return tui_containers_ask(t, SW_DOCKER_RESTART);
	case TUI_ACT_SENTRY: return tui_sentry_toggle(t);
	case TUI_ACT_SENTRY_RESOLVE: return tui_sentry_ask(t, "resolved");
	case TUI_ACT_SENTRY_IGNORE: return tui_sentry_ask(t, "ignored");
	case TUI_ACT_SENTRY_SORT: return tui_sentry_toggle_sort(t);
	case TUI_ACT_DEPLOYS: return tui_deploys_toggle(t);
	case TUI_ACT_DEPLOY: return tui_deploys_ask(t, false);
	case TUI_ACT_ROLLBACK: return tui_deploys_ask(t, true);
	case TUI_ACT_RELEASE_NOTES: return tui_deploys_notes(t);
	case TUI_ACT_SEARCH_NEXT: return tui_log_search_step(t, 1);
	case TUI_ACT_SEARCH_PREV: return tui_log_search_step(t, -1);
	case TUI_ACT_WRAP: return tui_log_toggle_wrap(t);
	case TUI_ACT_SCROLL_LEFT: return tui_log_scroll(t, -1);
	case TUI_ACT_SCROLL_RIGHT: return tui_log_scroll(t, 1);
	case TUI_ACT_COPY: return copy(t);
	case TUI_ACT_COUNT: break;
	}
	return 0;
}

/* ---- ':' commands: the CLI's command lines, on the same core calls ---- */

#define MAX_ARGS 16

static unsigned cmd_run(struct tui *t, int argc, char **argv)
{
	const struct tui_run *shown = tui_shown_run(t);
	struct sw_run_args a;
	char *perr = NULL;
	if (sw_run_args_parse(argc, argv, &a, &perr)) {
		tui_set_status(t, true, "%s", perr);
		free(perr);
		return TUI_REDRAW_STATUS;
	}
	/* The Pipeline follows the run it shows: --follow is what it does anyway. */
	struct sw_run_options o = a.ro;
	o.env = environ;
	if (!o.trigger)
		o.trigger = "dashboard";
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: run is refused");
		return TUI_REDRAW_STATUS;
	}
	long id = 0;
	bool existing = false;
	char *err = NULL;
	if (sw_run_start(t->repo, t->store, &o, &id, &existing, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		return TUI_REDRAW_STATUS;
	}
	tui_set_status(t, false, existing ? "run %ld is already in progress on this commit"
					  : "started run %ld", id);
	tui_reload_branches(t);
	tui_pipeline_pin(t, id);
	if (shown->loaded)
		tui_select_branch_named(t, shown->rec.branch);
	return TUI_REDRAW_ALL;
}

static long parse_id(struct tui *t, const char *s)
{
	long id = 0;
	char *err = NULL;
	if (sw_store_parse_id(t->store, s, &id, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		return -1;
	}
	return id;
}

unsigned tui_cancel_run(struct tui *t, long id)
{
	char *err = NULL;
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: cancel is refused");
		return TUI_REDRAW_STATUS;
	}
	if (sw_run_cancel(t->store, id, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
	} else {
		tui_set_status(t, false, "run %ld cancelled", id);
	}
	tui_reload_branches(t);
	tui_pipeline_sync(t);
	return TUI_REDRAW_ALL;
}

static void merged_status(struct tui *t, const struct sw_merge_result *res)
{
	const struct sw_merge_record *rec = &res->rec;
	char proof[32] = "forced", push[300] = "not pushed";
	if (rec->run)
		snprintf(proof, sizeof proof, "proved by run #%ld", rec->run);
	if (rec->via == SW_MERGE_VIA_COMMIT)
		snprintf(proof, sizeof proof, "merge commit tested by run #%ld", rec->run);
	if (rec->pushed)
		snprintf(push, sizeof push, "pushed to %s", rec->remote);
	if (rec->via == SW_MERGE_VIA_PULL_REQUEST)
		snprintf(push, sizeof push, "pull request #%ld merged on GitHub as %.7s", rec->pull_request, rec->to);
	tui_set_status(t, false, "merged %s@%.7s into %s, %s; %s%s%s", rec->branch, rec->head, rec->main, proof, push,
		       res->notes.len ? "; " : "", res->notes.len ? res->notes.items[0] : "");
}

/* A merge runs in a thread of its own, so that a push (an ssh or HTTP
 * remote, one that does not answer until its connect timeout) or GitHub in
 * pull-request mode (a rate limit up to 60 s) never holds the keys; the
 * screen hears of its end through a pipe, as it hears of containers. */
struct tui_merge {
	pthread_t th;
	int wake[2];
	char *path, *branch;
	int r;
	struct sw_merge_result res;
	char *err;
};

static void *merge_main(void *arg)
{
	struct tui_merge *m = arg;
	struct sw_repo *repo = NULL;
	struct sw_store *st = NULL;
	/* Handles of its own: libgit2's are not to be shared between threads. */
	if (sw_repo_open(&repo, m->path, &m->err) || sw_store_open(&st, sw_repo_gitdir(repo), &m->err)) {
		m->r = -1;
	} else {
		struct sw_merge_options o = {.branch = m->branch, .env = environ};
		m->r = sw_merge(repo, st, &o, &m->res, &m->err);
	}
	sw_store_close(st);
	sw_repo_close(repo);
	ssize_t w = write(m->wake[1], "m", 1);
	(void)w;
	return NULL;
}

/* The merge's end on the screen: what it did, or why not. */
static unsigned merge_done(struct tui *t)
{
	struct tui_merge *m = t->merging;
	pthread_join(m->th, NULL);
	t->merging = NULL;
	const struct sw_merge_result *res = &m->res;
	if (m->r) {
		tui_set_status(t, true, "%s", m->err ? m->err : "the merge failed");
	} else if (res->testing) {
		/* The merge's own process moves main when the run passes; the
		 * Pipeline shows the run, History the merge once it has ended. */
		tui_set_status(t, false, "%s has moved: merge commit %.7s is tested by run %ld; %s moves to it only if "
			       "that passes", res->rec.main, res->commit, res->testing, res->rec.main);
		tui_pipeline_pin(t, res->testing);
	} else if (res->merged) {
		merged_status(t, res);
	} else {
		tui_set_status(t, false, "%s", res->notes.len ? res->notes.items[0] : "nothing to merge");
	}
	free(m->err);
	sw_merge_result_free(&m->res);
	close(m->wake[0]);
	close(m->wake[1]);
	free(m->path);
	free(m->branch);
	free(m);
	t->generation++;
	tui_reload_branches(t);
	tui_pipeline_sync(t);
	return TUI_REDRAW_ALL;
}

int tui_merge_fd(const struct tui *t)
{
	return t->merging ? t->merging->wake[0] : -1;
}

unsigned tui_merge_event(struct tui *t)
{
	char b[16];
	return t->merging && read(t->merging->wake[0], b, sizeof b) > 0 ? merge_done(t) : 0;
}

unsigned tui_merge_settle(struct tui *t)
{
	return t->merging ? merge_done(t) : 0;
}

unsigned tui_merge_branch(struct tui *t, const char *branch)
{
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: merge is refused");
		return TUI_REDRAW_STATUS;
	}
	if (t->merging) {
		tui_set_status(t, true, "the merge of %s is still under way", t->merging->branch);
		return TUI_REDRAW_STATUS;
	}
	struct tui_merge *m = xcalloc(1, sizeof *m);
	const char *wd = sw_repo_workdir(t->repo);
	m->path = xstrdup(wd ? wd : sw_repo_gitdir(t->repo));
	m->branch = xstrdup(branch);
	int e = pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) ? errno : 0;
	bool piped = !e;
	if (piped)
		e = pthread_create(&m->th, NULL, merge_main, m);
	if (e) {
		tui_set_status(t, true, "cannot start the merge: %s", strerror(e));
		if (piped) {
			close(m->wake[0]);
			close(m->wake[1]);
		}
		free(m->path);
		free(m->branch);
		free(m);
		return TUI_REDRAW_STATUS;
	}
	t->merging = m;
	tui_set_status(t, false, "merging %s into %s", branch, t->main_branch ? t->main_branch : "main");
	return TUI_REDRAW_STATUS;
}

static unsigned cmd_log(struct tui *t, int argc, char **argv)
{
	const struct tui_run *shown = tui_shown_run(t);
	struct sw_log_args a;
	char *perr = NULL;
	if (sw_log_args_parse(argc, argv, &a, &perr)) {
		tui_set_status(t, true, "%s", perr);
		free(perr);
		return TUI_REDRAW_STATUS;
	}
	long id = a.run ? parse_id(t, a.run) : shown->id;
	if (id <= 0)
		return TUI_REDRAW_STATUS;
	tui_pipeline_pin(t, id);
	if (!shown->loaded)
		return TUI_REDRAW_ALL;
	const char *stage = a.stage;
	if (stage && !sw_run_find_stage(&shown->rec, stage)) {
		tui_set_status(t, true, "run %ld has no stage \"%s\"", id, stage);
		return TUI_REDRAW_STATUS;
	}
	size_t dflt = sw_run_default_stage(&shown->rec);
	if (!stage && dflt < shown->rec.nstages)
		stage = shown->rec.stages[dflt].name;
	if (stage)
		tui_log_open(t, id, stage);
	return TUI_REDRAW_ALL;
}

/* The prompt's own commands; every action's name is one too. */
static const char *const prompt_commands[] = {"run", "cancel", "log", "show", NULL};

static unsigned run_action_by_name(struct tui *t, const char *name)
{
	for (int a = 0; a < TUI_ACT_COUNT; a++)
		if (!strcmp(tui_actions[a].name, name))
			return tui_do_action(t, (enum tui_action)a) | TUI_HANDLED;
	struct strlist names = {0};
	strlist_add_all(&names, prompt_commands);
	for (int a = 0; a < TUI_ACT_COUNT; a++)
		strlist_add(&names, tui_actions[a].name);
	const char *near = sw_suggest(name, (const char *const *)names.items, names.len);
	if (near)
		tui_set_status(t, true, "unknown command \"%s\"; did you mean \"%s\"? (? lists them)", name, near);
	else
		tui_set_status(t, true, "unknown command \"%s\" (? lists them)", name);
	strlist_free(&names);
	return TUI_REDRAW_STATUS;
}

unsigned tui_command(struct tui *t, const char *line)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", line);
	char *argv[MAX_ARGS];
	int argc = sw_split_words(buf, argv, MAX_ARGS);
	if (argc == 0)
		return TUI_HANDLED;
	if (!strcmp(argv[0], "run"))
		return cmd_run(t, argc, argv);
	if (!strcmp(argv[0], "cancel") && argc == 2) {
		long id = parse_id(t, argv[1]);
		return id > 0 ? tui_cancel_run(t, id) : TUI_REDRAW_STATUS;
	}
	if (!strcmp(argv[0], "log"))
		return cmd_log(t, argc, argv);
	if (!strcmp(argv[0], "show") && argc == 2) {
		long id = parse_id(t, argv[1]);
		if (id > 0)
			tui_pipeline_pin(t, id);
		return TUI_REDRAW_ALL;
	}
	return run_action_by_name(t, argv[0]);
}

/* ---- Tab completion in the ':' prompt ---- */

static void add_candidate(struct strlist *c, const char *word, const char *prefix)
{
	if (!strncmp(word, prefix, strlen(prefix)) && !strlist_has(c, word))
		strlist_add(c, word);
}

static size_t common_prefix(const struct strlist *c)
{
	size_t n = strlen(c->items[0]);
	for (size_t i = 1; i < c->len; i++) {
		size_t k = 0;
		while (k < n && c->items[i][k] == c->items[0][k])
			k++;
		n = k;
	}
	return n;
}

void tui_complete(struct tui *t)
{
	struct tui_prompt *p = &t->prompt;
	char *word = strrchr(p->text, ' ');
	bool first = word == NULL;
	word = word ? word + 1 : p->text;
	struct strlist c = {0};
	if (first) {
		for (const char *const *pc = prompt_commands; *pc; pc++)
			add_candidate(&c, *pc, word);
		for (int a = 0; a < TUI_ACT_COUNT; a++)
			add_candidate(&c, tui_actions[a].name, word);
	} else {
		const struct tui_branches *l = tui_branches(t);
		for (size_t i = 0; i < l->n; i++)
			add_candidate(&c, l->rows[i].b.name, word);
	}
	if (c.len) {
		size_t keep = c.len == 1 ? strlen(c.items[0]) : common_prefix(&c);
		size_t at = (size_t)(word - p->text);
		snprintf(word, sizeof p->text - at, "%.*s%s", (int)keep, c.items[0], c.len == 1 ? " " : "");
		p->len = strlen(p->text);
	}
	strlist_free(&c);
}
