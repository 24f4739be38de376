/* The Deploys panel: the environment's current and previous release (read
 * from the target, as `slipway status` does), the journal's last deploys
 * newest first, one deploy's steps drawn as the Pipeline draws a run's
 * stages, and a deploy's release notes in the Log view.  The journal is the core's (slipway/deploy.h); the panel reads it
 * again every POLL_MS only while it is shown and a deploy runs. */
#include "view_deploys.h"

#include <curses.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/deploy.h"
#include "slipway/dora.h"
#include "slipway/release_notes.h"
#include "tui.h"
#include "view_log.h"
#include "view_sentry.h"

#define POLL_MS 500
#define HISTORY_LIMIT 50
#define HEADER_ROWS 4		/* the environment's two lines, the DORA line and a blank */
#define DORA_WINDOW_MS (30LL * 24 * 3600 * 1000)
#define STEPS_HEADER_ROWS 3	/* the deploy's line, its subject, its outcome */
#define STEP_NAME_W 18		/* "rollback-validate" whole */

struct deploys {
	struct sw_deploy_record *recs;
	size_t n;
	char current[41], previous[41];
	char *current_subject, *previous_subject;
	long steps_of;			/* the deploy whose steps are shown; 0: the list */
	struct sw_deploy_record rec;	/* that deploy, when loaded */
	bool loaded;
	int list_selected;		/* where the list was, for Esc */
	long fleet_of;			/* the fleet deploy a host's deploy was opened from; 0: none */
	int fleet_selected;		/* that host's row there, for Esc */
	bool taken;			/* the user moved in the steps: they stop following the running one */
	bool visible;
	bool log_open;			/* a step's log was opened from here */
	int64_t next_poll;
	char *dora;			/* the DORA line of the last 30 days */
	long dora_key;			/* the journal it was drawn from: newest id and status */
};

static struct tui_view *view(struct tui *t)
{
	return &t->views[TUI_V_DEPLOYS];
}

static struct deploys *state(struct tui *t)
{
	return view(t)->data;
}

static const struct sw_deploy_config *config(struct tui *t)
{
	return t->have_cfg ? t->cfg.deploy : NULL;
}

/* Deploys wear the run's glyphs and colours: one look for "it worked". */
static enum sw_run_status as_run(enum sw_deploy_status s)
{
	switch (s) {
	case SW_DEPLOY_RUNNING: return SW_RUN_RUNNING;
	case SW_DEPLOY_SUCCEEDED: return SW_RUN_PASSED;
	case SW_DEPLOY_INTERRUPTED: return SW_RUN_INTERRUPTED;
	case SW_DEPLOY_ROLLED_BACK:
	case SW_DEPLOY_FAILED: break;
	}
	return SW_RUN_FAILED;
}

/* ---- reading the journal and the target ---- */

static void unload(struct deploys *d)
{
	sw_deploy_records_free(d->recs, d->n);
	d->recs = NULL;
	d->n = 0;
	if (d->loaded)
		sw_deploy_record_free(&d->rec);
	d->loaded = false;
	free(d->current_subject);
	free(d->previous_subject);
	d->current_subject = d->previous_subject = NULL;
}

static bool running(const struct deploys *d)
{
	if (d->loaded && d->rec.status == SW_DEPLOY_RUNNING)
		return true;
	for (size_t i = 0; i < d->n; i++)
		if (d->recs[i].status == SW_DEPLOY_RUNNING)
			return true;
	return false;
}

/* Says so when the deploy shown has just ended, as the Pipeline does for a run. */
static void note_end(struct tui *t, const struct sw_deploy_record *rec, bool was_running)
{
	if (!was_running || rec->status == SW_DEPLOY_RUNNING)
		return;
	tui_set_status(t, rec->status != SW_DEPLOY_SUCCEEDED, "%s #%ld %s%s%s", rec->rollback ? "rollback" : "deploy",
		       rec->id, sw_deploy_status_name(rec->status), rec->reason ? ": " : "",
		       rec->reason ? rec->reason : "");
	if (t->settings.bell)
		beep();
}

static void select_step(struct tui *t, struct deploys *d)
{
	size_t i = sw_deploy_default_step(&d->rec);
	view(t)->selected = i < d->rec.nsteps ? (int)i : 0;
}

static void load_steps(struct tui *t, struct deploys *d, bool was_running)
{
	char *err = NULL;
	if (sw_deploy_load(t->store, d->steps_of, &d->rec, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		return;
	}
	d->loaded = true;
	note_end(t, &d->rec, was_running);
	if (!d->taken)
		select_step(t, d);
}

static void reload(struct tui *t)
{
	struct deploys *d = state(t);
	bool was_running = d->loaded && d->rec.status == SW_DEPLOY_RUNNING;
	unload(d);
	d->n = sw_deploy_history(t->store, HISTORY_LIMIT, &d->recs, NULL);
	const struct sw_deploy_config *c = config(t);
	if (c)
		sw_deploy_serving(t->store, c, d->current, d->previous);
	else
		d->current[0] = d->previous[0] = '\0';
	if (*d->current)
		d->current_subject = sw_repo_subject(t->repo, d->current);
	if (*d->previous)
		d->previous_subject = sw_repo_subject(t->repo, d->previous);
	if (d->steps_of)
		load_steps(t, d, was_running);
	/* Drawn again only when the journal changed: it walks the commits. */
	long key = d->n ? d->recs[0].id * 8 + (long)d->recs[0].status + 1 : 0;
	if (!d->dora || key != d->dora_key) {
		struct sw_dora_report rep;
		int64_t now = sw_now_ms();
		sw_dora_from_store(t->repo, t->store, now - DORA_WINDOW_MS, now, c ? c->environment : NULL, &rep, NULL);
		free(d->dora);
		d->dora = sw_dora_summary(&rep, c ? c->environment : NULL, "30 days");
		sw_dora_report_free(&rep);
		d->dora_key = key;
	}
	d->next_poll = sw_mono_ms() + POLL_MS;
}

static struct deploys *open_model(struct tui *t)
{
	if (!state(t)) {
		view(t)->data = xcalloc(1, sizeof(struct deploys));
		reload(t);
	}
	return state(t);
}

/* Over the list, or on deploy id's steps when id is not 0. */
static void show(struct tui *t, long id)
{
	struct deploys *d = open_model(t);
	if (id && !d->steps_of)
		d->list_selected = view(t)->selected;
	d->steps_of = id;
	d->taken = false;
	reload(t);
	if (!id)
		view(t)->selected = d->list_selected;
	view(t)->top = 0;
}

unsigned tui_deploys_toggle(struct tui *t)
{
	if (state(t))
		reload(t);
	else
		open_model(t);
	return tui_panel_toggle(t, view(t));
}

bool tui_deploys_current(struct tui *t)
{
	return state(t) && tui_panel_current(t, view(t));
}

void tui_deploys_shown(struct tui *t, bool shown)
{
	if (state(t))
		state(t)->visible = shown;
}

/* One of this panel's step logs is open (it returns here, or to the tile). */
static bool step_log_shown(struct tui *t)
{
	return state(t)->log_open && t->overlay == &t->views[TUI_V_LOG] && !tui_log_source(t);
}

bool tui_deploys_active(struct tui *t)
{
	struct deploys *d = state(t);
	return d && running(d) && (d->visible || step_log_shown(t));
}

void tui_deploys_tick(struct tui *t)
{
	if (tui_deploys_active(t) && sw_mono_ms() >= state(t)->next_poll)
		reload(t);
}

void tui_deploys_refresh(struct tui *t)
{
	if (state(t))
		reload(t);
}

bool tui_deploys_settled(struct tui *t)
{
	struct sw_deploy_record *last;
	size_t n = sw_deploy_history(t->store, 1, &last, NULL);
	bool done = !n || sw_deploy_status_final(last[0].status);
	sw_deploy_records_free(last, n);
	if (done && state(t))
		reload(t);
	return done;
}

bool tui_deploys_back(struct tui *t)
{
	struct deploys *d = state(t);
	if (!d || !d->steps_of || !tui_deploys_current(t))
		return false;
	long fleet = d->fleet_of;
	d->fleet_of = 0;
	show(t, fleet);
	if (fleet) {
		d->taken = true;
		view(t)->selected = d->fleet_selected;
	}
	return true;
}

void tui_deploys_free(struct tui *t)
{
	struct deploys *d = state(t);
	if (!d)
		return;
	unload(d);
	free(d->dora);
	free(d);
	view(t)->data = NULL;
}

/* ---- deploying and rolling back ---- */

static void add_subject(struct tui *t, struct sbuf *sb, const char *sha)
{
	char *subject = sw_repo_subject(t->repo, sha);
	if (subject)
		sbuf_addf(sb, " (%.60s)", subject);
	free(subject);
}

/* What the confirmation names: the commit, where, what it replaces, and
 * what proved it; the plan's notes after it. */
static char *plan_text(struct tui *t, const struct sw_deploy_plan *plan, bool rollback)
{
	struct sbuf sb = {0};
	if (rollback) {
		sbuf_addf(&sb, "roll back %s from %.7s to %.7s", plan->environment, plan->current, plan->commit);
		add_subject(t, &sb, plan->commit);
	} else {
		sbuf_addf(&sb, "deploy %.7s", plan->commit);
		add_subject(t, &sb, plan->commit);
		sbuf_addf(&sb, " to %s", plan->environment);
		if (*plan->current)
			sbuf_addf(&sb, ", replacing %.7s", plan->current);
		else
			sbuf_adds(&sb, ", its first release");
		if (plan->run)
			sbuf_addf(&sb, ", proved by run #%ld", plan->run);
		else
			sbuf_adds(&sb, ", forced");
	}
	for (size_t i = 0; i < plan->notes.len; i++)
		sbuf_addf(&sb, " (%s)", plan->notes.items[i]);
	return sbuf_detach(&sb);
}

unsigned tui_deploys_ask(struct tui *t, bool rollback)
{
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: %s is refused", rollback ? "rollback" : "deploy");
		return TUI_REDRAW_STATUS;
	}
	/* No force from here: what the core refuses stays refused. */
	struct sw_deploy_options o = {.rollback = rollback};
	struct sw_deploy_plan plan;
	char *err = NULL;
	unsigned r = TUI_REDRAW_STATUS;
	if (sw_deploy_plan(t->repo, t->store, &o, &plan, &err)) {
		tui_set_status(t, true, "%s", err);
	} else {
		const struct tui_settings *s = &t->settings;
		bool typed = s->confirm_typed && tui_settings_protected(s, plan.environment);
		char *text = plan_text(t, &plan, rollback);
		r = tui_confirm_deploy(t, text, rollback, typed ? plan.environment : NULL);
		free(text);
	}
	free(err);
	sw_deploy_plan_free(&plan);
	return r;
}

unsigned tui_deploys_start(struct tui *t, bool rollback)
{
	const char *kind = rollback ? "rollback" : "deploy";
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: %s is refused", kind);
		return TUI_REDRAW_STATUS;
	}
	struct sw_deploy_options o = {.rollback = rollback};
	struct strlist notes = {0};
	char *err = NULL;
	long id = 0;
	if (sw_deploy_start(t->repo, t->store, &o, &id, &notes, &err)) {
		tui_set_status(t, true, "%s", err);
	} else {
		tui_set_status(t, false, "%s #%ld started%s%s", kind, id, notes.len ? "; " : "",
			       notes.len ? notes.items[0] : "");
		open_model(t);
		if (!tui_deploys_current(t))
			tui_panel_toggle(t, view(t));
		show(t, id);
	}
	free(err);
	strlist_free(&notes);
	return TUI_REDRAW_ALL;
}

static const struct sw_deploy_record *selected_deploy(struct tui *t)
{
	struct deploys *d = state(t);
	int k = view(t)->selected;
	if (!d || d->steps_of || k < 0 || (size_t)k >= d->n)
		return NULL;
	return &d->recs[k];
}

static void open_step_log(struct tui *t, const struct sw_deploy_record *rec, size_t i)
{
	struct tui_view *v = view(t);
	char *path = sw_deploy_log_path(t->store, rec->id, rec->steps[i].name);
	char *title = xasprintf("%s %ld %s %s", rec->rollback ? "rollback" : "deploy", rec->id,
				tui_glyph(t, TUI_G_SEP), rec->steps[i].name);
	tui_log_open_file(t, path, title, t->overlay == v ? v : NULL);
	state(t)->log_open = true;
	free(title);
	free(path);
}

unsigned tui_deploys_log(struct tui *t)
{
	struct deploys *d = state(t);
	if (!tui_deploys_current(t))
		return 0;
	const struct sw_deploy_record *rec = d->steps_of ? (d->loaded ? &d->rec : NULL) : selected_deploy(t);
	size_t i = rec ? (d->steps_of ? (size_t)view(t)->selected : sw_deploy_default_step(rec)) : 0;
	if (!rec || i >= rec->nsteps) {
		tui_set_status(t, true, rec ? "deploy #%ld has not started a step yet" : "no deploy selected",
			       rec ? rec->id : 0L);
		return TUI_REDRAW_STATUS;
	}
	open_step_log(t, rec, i);
	return TUI_REDRAW_ALL;
}

/* ---- release notes ---- */

/* The notes closed: their Sentry part is no longer wanted. */
static void release_notes_log(struct tui *t)
{
	tui_sentry_read_cancel(t);
}

/* The core's notes, as `slipway release-notes --deploy ID` prints them:
 * the repository's part at once, Sentry's appended by the Sentry model's
 * reader (the Log view follows the file's growth). */
static void open_notes(struct tui *t, const struct sw_release_notes *n)
{
	struct tui_view *v = view(t);
	int fd = tui_log_scratch();
	if (fd < 0) {
		tui_set_status(t, true, "cannot make a file for the release notes of deploy #%ld: %m", n->deploy);
		return;
	}
	struct sbuf sb;
	sbuf_init(&sb);
	sw_release_notes_text(n, SW_NOTES_TEXT, &sb);
	int feed = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	sbuf_adds(&sb, feed >= 0 ? "sentry: asking Sentry...\n" : "sentry: not asked (no descriptor left)\n");
	bool written = write(fd, sb.buf, sb.len) == (ssize_t)sb.len;
	sbuf_free(&sb);
	char *title = xasprintf("release notes %s deploy #%ld", tui_glyph(t, TUI_G_SEP), n->deploy);
	tui_log_open_fd(t, fd, title, release_notes_log, t->overlay == v ? v : NULL);
	free(title);
	if (!written)
		tui_set_status(t, true, "the release notes of deploy #%ld could not be written whole", n->deploy);
	if (feed >= 0)
		tui_sentry_notes(t, n, feed);
}

unsigned tui_deploys_notes(struct tui *t)
{
	struct deploys *d = state(t);
	if (!tui_deploys_current(t)) {
		tui_set_status(t, true, "release notes are a deploy's: P opens the Deploys panel");
		return TUI_REDRAW_STATUS;
	}
	const struct sw_deploy_record *rec = d->steps_of ? (d->loaded ? &d->rec : NULL) : selected_deploy(t);
	if (!rec) {
		tui_set_status(t, true, "no deploy selected");
		return TUI_REDRAW_STATUS;
	}
	char id[32];
	snprintf(id, sizeof id, "%ld", rec->id);
	struct sw_notes_query q = {.deploy = id};
	struct sw_release_notes n;
	char *err = NULL;
	if (sw_release_notes_build(t->repo, t->store, &q, &n, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
		return TUI_REDRAW_STATUS;
	}
	open_notes(t, &n);
	sw_release_notes_free(&n);
	return TUI_REDRAW_ALL;
}

/* ---- drawing ---- */

static void draw_release(struct tui *t, int y, struct tui_rect r, const char *label, const char *env,
			 const char *sha, const char *subject)
{
	char buf[96];
	snprintf(buf, sizeof buf, " %-12.12s %-9s ", env, label);
	int x = r.x + tui_put(t, y, r.x, r.w, TUI_C_NORMAL, buf);
	if (!*sha) {
		tui_put(t, y, x, r.x + r.w - x, TUI_C_DIM, "none");
		return;
	}
	snprintf(buf, sizeof buf, "%.7s ", sha);
	x += tui_put(t, y, x, r.x + r.w - x, TUI_C_PASSED, buf);
	tui_put_cut(t, y, x, r.x + r.w - x - 1, TUI_C_DIM, subject ? subject : "");
}

static void draw_environment(struct tui *t, struct deploys *d, struct tui_rect r)
{
	const struct sw_deploy_config *c = config(t);
	if (!t->have_cfg) {
		tui_put_cut(t, r.y, r.x + 1, r.w - 2, TUI_C_FAILED, t->cfg_error ? t->cfg_error : "no slipway.json");
		return;
	}
	if (!c) {
		tui_put_cut(t, r.y, r.x + 1, r.w - 2, TUI_C_DIM,
			    "main's slipway.json has no \"deploy\" section: add one (see slipway.json(5)) to deploy");
		return;
	}
	char env[64];
	snprintf(env, sizeof env, "%s", c->environment);
	draw_release(t, r.y, r, "current", env, d->current, d->current_subject);
	draw_release(t, r.y + 1, r, "previous", "", d->previous, d->previous_subject);
	if (d->dora)
		tui_put_cut(t, r.y + 2, r.x + 1, r.w - 2, TUI_C_DIM, d->dora);
}

static void proof_of(const struct sw_deploy_record *rec, char *out, size_t n)
{
	if (rec->run)
		snprintf(out, n, "run #%ld", rec->run);
	else
		snprintf(out, n, "%s", rec->forced ? "forced" : rec->rollback ? "-" : "?");
}

static void draw_deploy_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	const struct sw_deploy_record *rec = &((struct deploys *)v->data)->recs[row];
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	enum sw_run_status look = as_run(rec->status);
	tui_put(t, y, r.x + 1, 1, sel ? base : tui_run_color(look), tui_run_glyph(t, look));
	char age[16] = "", proof[24], buf[160];
	if (rec->started_ms)
		sw_format_age((time_t)(rec->started_ms / 1000), age, sizeof age);
	proof_of(rec, proof, sizeof proof);
	snprintf(buf, sizeof buf, "#%-4ld %-11s %-8s %.7s %4s %-11.11s %-8s ", rec->id, sw_deploy_status_name(rec->status),
		 rec->rollback ? "rollback" : "deploy", rec->commit, age, rec->environment ? rec->environment : "",
		 proof);
	int x = r.x + 3;
	x += tui_put(t, y, x, r.x + r.w - x, base, buf);
	bool failed = rec->status != SW_DEPLOY_SUCCEEDED && rec->reason;
	tui_put_cut(t, y, x, r.x + r.w - x, sel ? base : failed ? TUI_C_FAILED : TUI_C_DIM,
		    failed ? rec->reason : rec->subject ? rec->subject : "");
}

static void draw_step_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	const struct sw_deploy_step *s = &((struct deploys *)v->data)->rec.steps[row];
	struct tui_step step = {
		.name = s->name,
		.name_w = STEP_NAME_W,
		.status = s->status,
		.started_ms = s->started_ms,
		.duration_ms = s->finished_ms > s->started_ms ? s->finished_ms - s->started_ms : 0,
		.reason = s->reason,
	};
	tui_draw_step(t, y, r, sel, &step);
}

static void draw_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	if (((struct deploys *)v->data)->steps_of)
		draw_step_row(t, v, row, y, r, sel);
	else
		draw_deploy_row(t, v, row, y, r, sel);
}

/* The deploy's own lines above its steps: what, how it went, and what the
 * target is left in. */
static void draw_steps_header(struct tui *t, const struct sw_deploy_record *rec, struct tui_rect r)
{
	enum sw_run_status look = as_run(rec->status);
	char dur[32] = "", proof[24], buf[256];
	int64_t end = rec->finished_ms ? rec->finished_ms : sw_now_ms();
	if (rec->started_ms)
		sw_format_duration(end - rec->started_ms, dur, sizeof dur);
	proof_of(rec, proof, sizeof proof);
	int x = r.x + 1;
	x += tui_put(t, r.y, x, 2, tui_run_color(look), tui_run_glyph(t, look)) + 1;
	snprintf(buf, sizeof buf, "%s #%ld %s %s", rec->rollback ? "rollback" : "deploy", rec->id,
		 sw_deploy_status_name(rec->status), dur);
	x += tui_put(t, r.y, x, r.x + r.w - x, tui_run_color(look), buf) + 2;
	snprintf(buf, sizeof buf, "%.7s · %s · %s · ", rec->commit, rec->environment ? rec->environment : "", proof);
	x += tui_put(t, r.y, x, r.x + r.w - x, TUI_C_DIM, buf);
	tui_put(t, r.y, x, r.x + r.w - x, TUI_C_NORMAL, rec->who ? rec->who : "");
	tui_put_cut(t, r.y + 1, r.x + 3, r.w - 4, TUI_C_DIM, rec->subject ? rec->subject : "");
	const char *outcome = rec->reason ? rec->reason : rec->state;
	if (outcome)
		tui_put_cut(t, r.y + 2, r.x + 3, r.w - 4, rec->reason ? TUI_C_FAILED : TUI_C_NORMAL, outcome);
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct deploys *d = v->data;
	bool focus = tui_deploys_current(t);
	const char *sep = tui_glyph(t, TUI_G_SEP);
	char title[200];
	if (d && d->steps_of)
		snprintf(title, sizeof title, "Deploys %s #%ld %s Esc: %s", sep, d->steps_of, sep,
			 d->fleet_of ? "the fleet" : "the list");
	else
		snprintf(title, sizeof title, "Deploys %zu%s%s", d ? d->n : 0, t->overlay == v ? " · " : "",
			 t->overlay == v ? "Esc returns" : "");
	tui_box_title(t, r, title, focus);
	for (int i = 1; i < r.h; i++)
		tui_fill(r.y + i, r.x, r.w, TUI_C_NORMAL);
	if (!d)
		return;
	draw_environment(t, d, (struct tui_rect){r.y + 1, r.x, 3, r.w});
	struct tui_rect body = {r.y + 1 + HEADER_ROWS, r.x, r.h - 1 - HEADER_ROWS, r.w};
	if (d->steps_of && d->loaded) {
		draw_steps_header(t, &d->rec, body);
		body.y += STEPS_HEADER_ROWS + 1;
		body.h -= STEPS_HEADER_ROWS + 1;
	} else if (!d->steps_of && !d->n) {
		tui_put(t, body.y, r.x + 2, r.w - 3, TUI_C_DIM,
			config(t) ? "No deploy yet: D deploys main's tested head." : "No deploy yet.");
		return;
	}
	tui_view_draw_rows(t, v, body, focus);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct deploys *d = v->data;
	if (!d)
		return 0;
	if (d->steps_of)
		return d->loaded ? (long)d->rec.nsteps : 0;
	return (long)d->n;
}

static unsigned moved(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct deploys *d = v->data;
	if (d && d->steps_of)
		d->taken = true;
	return 0;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	struct deploys *d = v->data;
	/* A fleet's host row opens that host's own deploy, as k9s opens a
	 * resource's children. */
	if (d && d->steps_of && d->loaded && !d->fleet_of && v->selected >= 0 && (size_t)v->selected < d->rec.nsteps &&
	    d->rec.steps[v->selected].deploy) {
		d->fleet_of = d->steps_of;
		d->fleet_selected = v->selected;
		show(t, d->rec.steps[v->selected].deploy);
		return TUI_REDRAW_ALL;
	}
	if (d && d->steps_of)
		return tui_deploys_log(t);
	const struct sw_deploy_record *rec = selected_deploy(t);
	if (!rec)
		return TUI_HANDLED;
	show(t, rec->id);
	return TUI_REDRAW_ALL;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_ENTER, "open", false}, {TUI_ACT_LOG, "log", false}, {TUI_ACT_RELEASE_NOTES, "notes", false},
	{TUI_ACT_DEPLOY, "deploy", false},
	{TUI_ACT_ROLLBACK, "rollback", false}, {TUI_ACT_REFRESH, "reload", false}, {TUI_ACT_QUIT, "back", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_deploys_ops = {
	.name = "deploys",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.moved = moved,
	.enter = enter,
};
