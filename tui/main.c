/* The dashboard's setup and teardown: arguments, the repository and run
 * store, settings, the terminal (or a headless screen for scripts), the
 * signals that must leave the terminal as it was; then the loop. */
#include "tui.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "slipway/run.h"
#include "prompt.h"
#include "script.h"
#include "view_branches.h"
#include "view_containers.h"
#include "view_deploys.h"
#include "view_sentry.h"
#include "view_help.h"
#include "view_history.h"
#include "view_log.h"
#include "view_pipeline.h"
#include "view_quality.h"

#define FRAME_MS 33

static volatile sig_atomic_t stop_signal;

/* Repaints are coalesced to at most one a frame: a log growing by
 * thousands of lines a second is drawn ~30 times, not thousands. */
static void run_interactive(struct tui *t)
{
	unsigned dirty = TUI_REDRAW_ALL;
	int64_t last_draw = 0;
	while (!t->quit && !stop_signal) {
		int64_t since = sw_mono_ms() - last_draw;
		if (dirty && since >= FRAME_MS) {
			tui_draw(t, dirty);
			last_draw = sw_mono_ms();
			dirty = 0;
		}
		int wait = dirty ? (int)(FRAME_MS - (sw_mono_ms() - last_draw)) : -1;
		dirty |= tui_wait_events(t, true, wait < 0 && dirty ? 0 : wait);
	}
}

/* Scripted screens are drawn after every step, so dumps never depend on timing. */
static int run_script(struct tui *t, struct tui_script *script)
{
	int r = 0;
	unsigned dirty = TUI_REDRAW_ALL;
	while (!t->quit && !stop_signal && !tui_script_done(script)) {
		if (dirty)
			tui_draw(t, dirty);
		dirty = tui_script_step(t, script, &r);
	}
	return r;
}

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

static void on_crash(int sig)
{
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void install_signals(void)
{
	struct sigaction sa = {0};
	sa.sa_handler = on_stop_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGABRT, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGFPE, &sa, NULL);
}

static int open_state(struct tui *t)
{
	char *err = NULL;
	if (sw_repo_open(&t->repo, ".", &err) || sw_store_open(&t->store, sw_repo_gitdir(t->repo), &err)) {
		fprintf(stderr, "slipway: %s\n", err);
		free(err);
		return 2;
	}
	t->have_cfg = sw_project_config(t->repo, &t->cfg, &t->cfg_error) == SW_OK;
	t->main_branch = xstrdup(t->have_cfg ? t->cfg.main_branch : "main");
	t->integration = xstrdup(t->have_cfg ? t->cfg.integration_branch : "development");
	char *runs = xasprintf("%s/runs", sw_store_root(t->store));
	t->runs_watch = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	inotify_add_watch(t->runs_watch, runs, IN_CREATE | IN_DELETE);
	free(runs);
	return 0;
}

static const struct tui_view_ops *const panel_ops[TUI_V_COUNT] = {
#define TUI_PANEL(id, ops) [TUI_V_##id] = &ops,
#include "panels.def"
#undef TUI_PANEL
};

static void init_views(struct tui *t)
{
	for (int i = 0; i < TUI_V_COUNT; i++)
		t->views[i].ops = panel_ops[i];
	t->focus = &t->views[TUI_V_BRANCHES];
	tui_branches_open(t);
	tui_pipeline_open(t);
	tui_reload_branches(t);
	/* The dashboard opens where the user is: on the checked-out branch. */
	tui_select_checked_out(t);
	tui_pipeline_sync(t);
	if (!t->have_cfg)
		tui_set_status(t, true, "%s", t->cfg_error ? t->cfg_error : "no slipway.json");
	else if (t->settings.warnings.len)
		tui_set_status(t, true, "%s%s", t->settings.warnings.items[0],
			       t->settings.warnings.len > 1 ? " (and more: slipway --check-keys)" : "");
	t->next_tick = sw_mono_ms() + TUI_TICK_MS;
}

static void close_state(struct tui *t)
{
	/* A merge is not cut halfway by quitting: it ends first. */
	tui_merge_settle(t);
	for (int i = 0; i < TUI_V_COUNT; i++)
		if (t->views[i].ops && t->views[i].ops->close)
			t->views[i].ops->close(t, &t->views[i]);
	/* After the Log view's close: a container's log is fed by the model. */
	tui_containers_free(t);
	tui_sentry_free(t);
	tui_deploys_free(t);
	tui_prompt_free(&t->prompt);
	if (t->runs_watch >= 0)
		close(t->runs_watch);
	free(t->status);
	free(t->cfg_error);
	free(t->main_branch);
	free(t->integration);
	sw_config_free(&t->cfg);
	tui_settings_free(&t->settings);
	sw_store_close(t->store);
	sw_repo_close(t->repo);
}

static void start_curses(struct tui *t, const struct tui_script *script)
{
	if (script) {
		/* Headless: ncurses keeps its screen in memory, the output goes nowhere. */
		FILE *out = fopen("/dev/null", "w");
		t->headless = true;
		newterm(getenv("TERM") ? NULL : "xterm", out, stdin);
	} else {
		initscr();
	}
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* Let ncurses scroll with insert/delete line: a following log moves by
	 * a few lines a frame, and redrawing every row would cost far more. */
	idlok(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	t->utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	tui_colors_init(t);
	if (t->settings.mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
}

struct tui_args {
	const char *script, *dump, *size, *theme;
	bool read_only;
};

static int parse_args(int argc, char **argv, struct tui_args *a)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--read-only"))
			a->read_only = true;
		else if (!strcmp(argv[i], "--script") && i + 1 < argc)
			a->script = argv[++i];
		else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
			a->dump = argv[++i];
		else if (!strcmp(argv[i], "--size") && i + 1 < argc)
			a->size = argv[++i];
		else if (!strcmp(argv[i], "--theme") && i + 1 < argc)
			a->theme = argv[++i];
		else {
			fprintf(stderr, "slipway: unknown dashboard option \"%s\"; see slipway --help\n", argv[i]);
			return 2;
		}
	}
	if (a->size) {
		int w, h;
		if (sscanf(a->size, "%dx%d", &w, &h) != 2 || w < 10 || h < 5) {
			fprintf(stderr, "slipway: --size: expected COLSxLINES, got \"%s\"\n", a->size);
			return 2;
		}
		char buf[16];
		snprintf(buf, sizeof buf, "%d", w);
		setenv("COLUMNS", buf, 1);
		snprintf(buf, sizeof buf, "%d", h);
		setenv("LINES", buf, 1);
	}
	return 0;
}

int tui_main(int argc, char **argv)
{
	struct tui_args args = {0};
	struct tui t = {.runs_watch = -1};
	int r = parse_args(argc, argv, &args);
	if (r)
		return r;
	struct tui_script *script = NULL;
	if (args.script && !(script = tui_script_open(args.script)))
		return 2;
	setlocale(LC_ALL, "");
	if ((r = open_state(&t))) {
		tui_script_free(script);
		return r;
	}
	char *err = NULL;
	if (tui_settings_load(&t.settings, t.have_cfg ? &t.cfg : NULL, args.theme, args.read_only, &err)) {
		fprintf(stderr, "slipway: %s\n", err);
		free(err);
		close_state(&t);
		tui_script_free(script);
		return 2;
	}
	install_signals();
	start_curses(&t, script);
	init_views(&t);
	/* Scripted screens must not depend on timing: count everything first. */
	while (script && tui_count_some(&t, 1000))
		;
	if (script)
		r = run_script(&t, script);
	else
		run_interactive(&t);
	if (script && args.dump) {
		tui_draw(&t, TUI_REDRAW_ALL);
		tui_dump(args.dump);
	}
	endwin();
	close_state(&t);
	tui_script_free(script);
	return r;
}
