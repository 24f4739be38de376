/* The Containers panel: the engine's containers under their compose
 * project's heading (those outside compose under "other"), with state and
 * health, image, CPU and memory, uptime, restarts and ports; below them,
 * on a swarm manager, its services (replicas, image, the update's state)
 * with their tasks indented beneath (node, state, error; Enter folds
 * them).  The list is the core's live model (slipway/docker_watch.h): this
 * file only draws its snapshots and hands it the keys. */
#include "view_containers.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slipway/docker_watch.h"
#include "tui.h"
#include "view_log.h"

#define LOG_TAIL 1000

enum crow_kind { R_HEADING, R_CONTAINER, R_SERVICES, R_SERVICE, R_TASK };

/* A row: a project's heading, a container of the snapshot, the services'
 * heading, a service or one of its tasks. */
struct crow {
	enum crow_kind kind;
	long container;		/* index into the list; -1 for any other row */
	const char *project;	/* the heading's; NULL: outside compose */
	int running, total;	/* the headings' counts, filter applied */
	long service, task;	/* indices into the services and their tasks */
};

struct containers {
	struct sw_docker_watch *w;
	struct sw_docker_snapshot snap;
	unsigned note_seen;
	struct crow *rows;
	size_t nrows;
	char *filter;
	struct strlist folded;	/* ids of the services whose tasks are hidden */
};

static struct tui_view *view(struct tui *t)
{
	return &t->views[TUI_V_CONTAINERS];
}

static struct containers *state(struct tui *t)
{
	return view(t)->data;
}

/* The selected container, or NULL (a heading, nothing listed). */
static const struct sw_container *selected(struct tui *t)
{
	struct containers *c = state(t);
	int k = view(t)->selected;
	if (!c || k < 0 || (size_t)k >= c->nrows || c->rows[k].container < 0)
		return NULL;
	return &c->snap.list.items[c->rows[k].container];
}

/* ---- rows from a snapshot ---- */

static bool same_project(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool passes(const struct containers *c, const char *name)
{
	return !c->filter || (name && strstr(name, c->filter));
}

static void add_row(struct containers *c, struct crow r)
{
	c->rows = xrealloc(c->rows, (c->nrows + 1) * sizeof *c->rows);
	c->rows[c->nrows++] = r;
}

static bool service_whole(const struct sw_swarm_service *v)
{
	return v->running == v->desired;
}

/* Below the containers, as the core sorted them (by stack, then name). */
static void build_service_rows(struct containers *c)
{
	long heading = -1;
	for (size_t i = 0; i < c->snap.services.n; i++) {
		const struct sw_swarm_service *v = &c->snap.services.items[i];
		if (!passes(c, v->s.name))
			continue;
		if (heading < 0) {
			heading = (long)c->nrows;
			add_row(c, (struct crow){.kind = R_SERVICES, .container = -1});
		}
		c->rows[heading].total++;
		c->rows[heading].running += service_whole(v);
		add_row(c, (struct crow){.kind = R_SERVICE, .container = -1, .service = (long)i});
		for (size_t k = 0; !strlist_has(&c->folded, v->s.id) && k < v->ntasks; k++)
			add_row(c, (struct crow){.kind = R_TASK, .container = -1, .service = (long)i, .task = (long)k});
	}
}

/* The list comes sorted by project (those outside compose last), then name. */
static void build_rows(struct containers *c)
{
	free(c->rows);
	c->rows = NULL;
	c->nrows = 0;
	long heading = -1;
	for (size_t i = 0; i < c->snap.list.n; i++) {
		const struct sw_container *k = &c->snap.list.items[i];
		if (!passes(c, k->name))
			continue;
		if (heading < 0 || !same_project(c->rows[heading].project, k->project)) {
			heading = (long)c->nrows;
			add_row(c, (struct crow){.kind = R_HEADING, .container = -1, .project = k->project});
		}
		c->rows[heading].total++;
		c->rows[heading].running += k->state && !strcmp(k->state, "running");
		add_row(c, (struct crow){.kind = R_CONTAINER, .container = (long)i, .project = k->project});
	}
	build_service_rows(c);
}

#define ROW_KEY_MAX 160

/* What a row shows, to find it again in another snapshot. */
static void row_key(const struct containers *c, size_t row, char out[ROW_KEY_MAX])
{
	const struct crow *r = &c->rows[row];
	const struct sw_swarm_service *v = r->kind == R_SERVICE || r->kind == R_TASK
						   ? &c->snap.services.items[r->service] : NULL;
	switch (r->kind) {
	case R_HEADING: snprintf(out, ROW_KEY_MAX, "h %s", r->project ? r->project : ""); break;
	case R_CONTAINER: snprintf(out, ROW_KEY_MAX, "c %s", c->snap.list.items[r->container].id); break;
	case R_SERVICES: snprintf(out, ROW_KEY_MAX, "S"); break;
	case R_SERVICE: snprintf(out, ROW_KEY_MAX, "s %s", v->s.id); break;
	case R_TASK: snprintf(out, ROW_KEY_MAX, "t %s", v->tasks[r->task].id ? v->tasks[r->task].id : ""); break;
	}
}

static void selected_key(struct tui *t, char out[ROW_KEY_MAX])
{
	struct containers *c = state(t);
	int k = view(t)->selected;
	*out = '\0';
	if (c && k >= 0 && (size_t)k < c->nrows)
		row_key(c, (size_t)k, out);
}

/* The selection stays on the same row (a container, a service, a task)
 * when the list changes. */
static void reselect(struct tui *t, const char *key)
{
	struct containers *c = state(t);
	char k[ROW_KEY_MAX];
	for (size_t i = 0; *key && i < c->nrows; i++) {
		row_key(c, i, k);
		if (!strcmp(k, key)) {
			view(t)->selected = (int)i;
			return;
		}
	}
}

static void take_snapshot(struct tui *t)
{
	struct containers *c = state(t);
	char key[ROW_KEY_MAX];
	selected_key(t, key);
	sw_docker_snapshot_free(&c->snap);
	sw_docker_watch_snapshot(c->w, &c->snap);
	build_rows(c);
	reselect(t, key);
	if (c->snap.note && c->snap.note_generation != c->note_seen) {
		c->note_seen = c->snap.note_generation;
		tui_set_status(t, c->snap.note_error, "%s", c->snap.note);
	}
}

/* ---- opening ---- */

static struct containers *open_model(struct tui *t)
{
	struct containers *c = state(t);
	if (c)
		return c;
	c = xcalloc(1, sizeof *c);
	view(t)->data = c;
	/* DOCKER_HOST, else docker.host of main's slipway.json, as the CLI does. */
	c->w = sw_docker_watch_start(sw_docker_host_pick(t->have_cfg ? t->cfg.docker_host : NULL));
	take_snapshot(t);
	return c;
}

unsigned tui_containers_toggle(struct tui *t)
{
	open_model(t);
	return tui_panel_toggle(t, view(t));
}

bool tui_containers_current(struct tui *t)
{
	return tui_panel_current(t, view(t));
}

int tui_containers_fd(struct tui *t)
{
	return state(t) ? sw_docker_watch_fd(state(t)->w) : -1;
}

static bool log_is_ours(struct tui *t);

unsigned tui_containers_event(struct tui *t)
{
	struct containers *c = state(t);
	if (!c)
		return 0;
	sw_docker_watch_drain(c->w);
	unsigned r = 0;
	if (log_is_ours(t)) {
		tui_log_update(t);
		r |= TUI_REDRAW_BODY;
	}
	if (sw_docker_watch_generation(c->w) != c->snap.generation) {
		unsigned note = c->note_seen;
		take_snapshot(t);
		r |= TUI_REDRAW_ALL;
		if (note != c->note_seen)
			r |= TUI_REDRAW_STATUS;
	}
	return r;
}

void tui_containers_shown(struct tui *t, bool shown)
{
	if (state(t))
		sw_docker_watch_visible(state(t)->w, shown);
}

bool tui_containers_settled(struct tui *t)
{
	struct containers *c = state(t);
	if (!c)
		return true;
	if (sw_docker_watch_generation(c->w) != c->snap.generation)
		take_snapshot(t);
	return c->snap.loaded;
}

void tui_containers_filter(struct tui *t, const char *filter)
{
	struct containers *c = state(t);
	if (!c)
		return;
	char key[ROW_KEY_MAX];
	selected_key(t, key);
	free(c->filter);
	c->filter = filter && *filter ? xstrdup(filter) : NULL;
	build_rows(c);
	view(t)->selected = 0;
	reselect(t, key);
}

void tui_containers_refresh(struct tui *t)
{
	if (state(t))
		sw_docker_watch_refresh(state(t)->w);
}

/* The service of the selected row (a service's or one of its tasks), or NULL. */
static const struct sw_swarm_service *selected_service(struct tui *t)
{
	struct containers *c = state(t);
	int k = view(t)->selected;
	if (!c || k < 0 || (size_t)k >= c->nrows || (c->rows[k].kind != R_SERVICE && c->rows[k].kind != R_TASK))
		return NULL;
	return &c->snap.services.items[c->rows[k].service];
}

unsigned tui_containers_copy(struct tui *t)
{
	const struct sw_container *k = selected(t);
	const struct sw_swarm_service *v = selected_service(t);
	if (k)
		tui_copy(t, "container id", k->id);
	else if (v)
		tui_copy(t, "service id", v->s.id);
	return TUI_REDRAW_STATUS;
}

/* ---- actions ---- */

unsigned tui_containers_ask(struct tui *t, enum sw_docker_action a)
{
	const struct sw_container *k = tui_containers_current(t) ? selected(t) : NULL;
	if (!k && tui_containers_current(t) && selected_service(t)) {
		tui_set_status(t, true, "%s is for containers: Swarm runs a service's tasks (docker service update)",
			       sw_docker_action_name(a));
		return TUI_REDRAW_STATUS;
	}
	if (!k) {
		tui_set_status(t, true, "no container selected: C opens the Containers panel");
		return TUI_REDRAW_STATUS;
	}
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: %s is refused", sw_docker_action_name(a));
		return TUI_REDRAW_STATUS;
	}
	return tui_confirm_container(t, k->name, a);
}

unsigned tui_containers_act(struct tui *t, const char *name, enum sw_docker_action a)
{
	static const char *const doing[] = {"starting", "stopping", "restarting"};
	struct containers *c = state(t);
	char *err = NULL;
	if (!c)
		return TUI_REDRAW_STATUS;
	if (t->settings.read_only) {
		tui_set_status(t, true, "read-only: %s is refused", sw_docker_action_name(a));
	} else if (sw_docker_watch_act(c->w, name, a, &err)) {
		tui_set_status(t, true, "%s", err);
		free(err);
	} else {
		tui_set_status(t, false, "%s %s%s", doing[a], name, tui_glyph(t, TUI_G_ELLIPSIS));
	}
	return TUI_REDRAW_STATUS;
}

/* ---- its log, in the Log view ---- */

static void release_log(struct tui *t)
{
	if (state(t))
		sw_docker_watch_logs_stop(state(t)->w);
}

static bool log_is_ours(struct tui *t)
{
	return t->overlay == &t->views[TUI_V_LOG] && tui_log_source(t) == release_log;
}

/* Enter on a service (or its task) hides its tasks, or shows them again. */
static unsigned fold(struct tui *t, const struct sw_swarm_service *v)
{
	struct containers *c = state(t);
	struct strlist kept = {0};
	bool was = strlist_has(&c->folded, v->s.id);
	for (size_t i = 0; i < c->folded.len; i++)
		if (strcmp(c->folded.items[i], v->s.id))
			strlist_add(&kept, c->folded.items[i]);
	if (!was)
		strlist_add(&kept, v->s.id);
	strlist_free(&c->folded);
	c->folded = kept;
	char key[ROW_KEY_MAX];
	snprintf(key, sizeof key, "s %s", v->s.id);
	build_rows(c);
	reselect(t, key);
	return TUI_REDRAW_BODY;
}

static unsigned enter(struct tui *t, struct tui_view *v)
{
	const struct sw_container *k = selected(t);
	if (!k && selected_service(t))
		return fold(t, selected_service(t));
	if (!k)
		return TUI_HANDLED;
	int fd = tui_log_scratch();
	if (fd < 0) {
		tui_set_status(t, true, "cannot make a file for the log of %s: %m", k->name);
		return TUI_REDRAW_STATUS;
	}
	char *title = xasprintf("container %s", k->name);
	struct containers *c = state(t);
	/* Esc in the log comes back here when the panel was over the screen. */
	tui_log_open_fd(t, fd, title, release_log, t->overlay == v ? v : NULL);
	sw_docker_watch_logs(c->w, k->name, LOG_TAIL, fd);
	free(title);
	return TUI_REDRAW_ALL;
}

/* ---- drawing ---- */

struct cell {
	const char *glyph;
	enum tui_color color;
	char text[24];
};

static void health_cell(struct tui *t, const struct sw_container *k, struct cell *c)
{
	switch (k->health) {
	case SW_HEALTH_HEALTHY: *c = (struct cell){tui_glyph(t, TUI_G_PASSED), TUI_C_PASSED, "healthy"}; break;
	case SW_HEALTH_UNHEALTHY: *c = (struct cell){tui_glyph(t, TUI_G_FAILED), TUI_C_FAILED, "unhealthy"}; break;
	case SW_HEALTH_STARTING: *c = (struct cell){tui_glyph(t, TUI_G_QUEUED), TUI_C_RUNNING, "starting"}; break;
	case SW_HEALTH_NONE: *c = (struct cell){tui_glyph(t, TUI_G_PASSED), TUI_C_PASSED, "running"}; break;
	}
}

/* State and health in one cell: a glyph with an ASCII form and a word, so
 * that mono, NO_COLOR and ASCII screens say as much as colour does. */
static void state_cell(struct tui *t, const struct sw_container *k, struct cell *c)
{
	const char *s = k->state ? k->state : "?";
	*c = (struct cell){"?", TUI_C_DIM, ""};
	snprintf(c->text, sizeof c->text, "%s", s);
	if (!strcmp(s, "running"))
		health_cell(t, k, c);
	else if (!strcmp(s, "exited")) {
		*c = (struct cell){tui_glyph(t, k->exit_code ? TUI_G_FAILED : TUI_G_CANCELLED),
				   k->exit_code ? TUI_C_FAILED : TUI_C_DIM, ""};
		snprintf(c->text, sizeof c->text, "exited %d", k->exit_code);
	} else if (!strcmp(s, "dead"))
		*c = (struct cell){tui_glyph(t, TUI_G_FAILED), TUI_C_FAILED, "dead"};
	else if (!strcmp(s, "restarting"))
		*c = (struct cell){tui_glyph(t, TUI_G_QUEUED), TUI_C_RUNNING, "restarting"};
	else if (!strcmp(s, "paused"))
		*c = (struct cell){tui_glyph(t, TUI_G_PAUSED), TUI_C_DIM, "paused"};
	else if (!strcmp(s, "created"))
		c->glyph = tui_glyph(t, TUI_G_PENDING);
}

static void format_mem(uint64_t b, char *out, size_t n)
{
	if (b >= 1000ull << 20)
		snprintf(out, n, "%.1fG", (double)b / (1 << 30));
	else if (b >= 1000ull << 10)
		snprintf(out, n, "%.1fM", (double)b / (1 << 20));
	else
		snprintf(out, n, "%.0fK", (double)b / (1 << 10));
}

/* Column starts, the same for the header and the rows. */
struct cols {
	int state, name, image, cpu, mem, up, rst, ports, name_w, image_w;
};

static struct cols columns(struct tui_rect r)
{
	struct cols c;
	/* Name and image share what the fixed columns and ports leave. */
	int rest = r.w - 38 - (r.w >= 120 ? 24 : 12) - 1;
	c.name_w = rest * 11 / 20 > 40 ? 40 : rest * 11 / 20;
	c.image_w = rest - c.name_w - 1 > 40 ? 40 : rest - c.name_w - 1;
	c.state = r.x + 3;
	c.name = c.state + 11;
	c.image = c.name + c.name_w + 1;
	c.cpu = c.image + c.image_w + 1;
	c.mem = c.cpu + 7;
	c.up = c.mem + 8;
	c.rst = c.up + 5;
	c.ports = c.rst + 4;
	return c;
}

static enum tui_color sel_or(enum tui_color base, enum tui_color c)
{
	return base == TUI_C_SELECTED ? base : c;
}

static void heading_row(struct tui *t, const struct crow *h, int y, struct tui_rect r, enum tui_color base)
{
	char counts[64];
	int x = r.x + 1;
	x += tui_put(t, y, x, r.w - 2, sel_or(base, TUI_C_TITLE), h->project ? h->project : "other");
	snprintf(counts, sizeof counts, " %s %d/%d running", tui_glyph(t, TUI_G_SEP), h->running, h->total);
	tui_put(t, y, x, r.x + r.w - x, sel_or(base, TUI_C_DIM), counts);
}

static void numbers(struct tui *t, const struct sw_container *k, const struct cols *c, int y, struct tui_rect r,
		    enum tui_color base)
{
	char buf[32] = "-";
	bool running = k->state && !strcmp(k->state, "running");
	if (k->has_stats && running)
		snprintf(buf, sizeof buf, "%5.1f%%", k->cpu_pct);
	tui_put(t, y, c->cpu, 6, base, buf);
	snprintf(buf, sizeof buf, "-");
	if (k->has_stats && running)
		format_mem(k->mem_used, buf, sizeof buf);
	tui_put(t, y, c->mem, 7, base, buf);
	snprintf(buf, sizeof buf, "-");
	if (running && k->started > 0)
		sw_format_age((time_t)k->started, buf, sizeof buf);
	tui_put(t, y, c->up, 4, base, buf);
	snprintf(buf, sizeof buf, "%3d", k->restarts);
	tui_put(t, y, c->rst, 3, base, buf);
	tui_put_cut(t, y, c->ports, r.x + r.w - c->ports - 1, base, k->ports ? k->ports : "");
}

/* ---- the swarm's services ---- */

static void services_heading(struct tui *t, const struct containers *cs, const struct crow *h, int y,
			     struct tui_rect r, enum tui_color base)
{
	char counts[96];
	int x = r.x + 1;
	x += tui_put(t, y, x, r.w - 2, sel_or(base, TUI_C_TITLE), "swarm services");
	snprintf(counts, sizeof counts, " %s %d/%d with every replica running", tui_glyph(t, TUI_G_SEP), h->running,
		 h->total);
	x += tui_put(t, y, x, r.x + r.w - x, sel_or(base, TUI_C_DIM), counts);
	if (cs->snap.services_error) {
		x += tui_put(t, y, x, r.x + r.w - x, sel_or(base, TUI_C_DIM), " · ");
		tui_put_cut(t, y, x, r.x + r.w - x - 1, sel_or(base, TUI_C_FAILED), cs->snap.services_error);
	}
}

/* The replicas' cell: whole, still moving (an update, a task starting), or short. */
static void service_cell(struct tui *t, const struct sw_swarm_service *v, struct cell *c)
{
	const char *u = v->s.update_state ? v->s.update_state : "";
	bool moving = !strcmp(u, "updating") || !strcmp(u, "rollback_started");
	if (moving)
		*c = (struct cell){tui_glyph(t, TUI_G_QUEUED), TUI_C_RUNNING, ""};
	else if (!service_whole(v) || !strncmp(u, "rollback", 8) || strstr(u, "paused"))
		*c = (struct cell){tui_glyph(t, TUI_G_FAILED), TUI_C_FAILED, ""};
	else
		*c = (struct cell){tui_glyph(t, TUI_G_PASSED), TUI_C_PASSED, ""};
	if (!strcmp(v->s.mode, "replicated"))
		snprintf(c->text, sizeof c->text, "%ld/%ld", v->running, v->desired);
	else
		snprintf(c->text, sizeof c->text, "%ld/%ld %s", v->running, v->desired, v->s.mode);
}

static void service_row(struct tui *t, const struct sw_swarm_service *v, int y, struct tui_rect r, enum tui_color base)
{
	struct cols c = columns(r);
	struct cell st;
	service_cell(t, v, &st);
	bool sel = base == TUI_C_SELECTED;
	tui_put(t, y, r.x + 1, 1, sel ? base : st.color, st.glyph);
	tui_put(t, y, c.state, 10, sel ? base : st.color, st.text);
	tui_put_cut(t, y, c.name, c.name_w, base, v->s.name);
	char *image = sw_image_without_digest(v->s.image);
	tui_put_cut(t, y, c.image, c.image_w, base, image);
	free(image);
	if (!v->s.update_state)
		return;
	char *u = v->s.update_message && *v->s.update_message
			  ? xasprintf("%s: %s", v->s.update_state, v->s.update_message)
			  : xstrdup(v->s.update_state);
	tui_put_cut(t, y, c.cpu, r.x + r.w - c.cpu - 1, sel_or(base, TUI_C_DIM), u);
	free(u);
}

/* A task beneath its service: its state where a container's is, "└ web.2"
 * under the name, its node under the image, then its error. */
static void task_row(struct tui *t, const struct sw_swarm_service *v, const struct sw_task *k, int y,
		     struct tui_rect r, enum tui_color base)
{
	struct cols c = columns(r);
	const char *st = k->state ? k->state : "?";
	bool ok = !strcmp(st, "running"), bad = !strcmp(st, "failed") || !strcmp(st, "rejected");
	enum tui_color col = ok ? TUI_C_PASSED : bad ? TUI_C_FAILED : TUI_C_RUNNING;
	if (k->desired && strcmp(k->desired, "running") && !bad)
		col = TUI_C_DIM;
	tui_put(t, y, c.state, 10, sel_or(base, col), st);
	int x = c.name + tui_put(t, y, c.name, c.name_w, sel_or(base, TUI_C_DIM), tui_glyph(t, TUI_G_TREE));
	char *name = k->slot > 0 ? xasprintf(" %s.%d", v->s.name, k->slot) : xasprintf(" %s", v->s.name);
	tui_put_cut(t, y, x, c.name + c.name_w - x, base, name);
	free(name);
	tui_put_cut(t, y, c.image, c.image_w, sel_or(base, TUI_C_DIM), k->node ? k->node : "-");
	if (k->error && *k->error)
		tui_put_cut(t, y, c.cpu, r.x + r.w - c.cpu - 1, sel_or(base, TUI_C_FAILED), k->error);
}

static void draw_row(struct tui *t, struct tui_view *v, long row, int y, struct tui_rect r, bool sel)
{
	struct containers *cs = v->data;
	const struct crow *w = &cs->rows[row];
	enum tui_color base = sel ? TUI_C_SELECTED : TUI_C_NORMAL;
	tui_fill(y, r.x, r.w, base);
	if (sel)
		tui_mark_selected(t, y, r.x, true);
	const struct sw_swarm_service *svc = w->kind == R_SERVICE || w->kind == R_TASK
						     ? &cs->snap.services.items[w->service] : NULL;
	switch (w->kind) {
	case R_HEADING: heading_row(t, w, y, r, base); return;
	case R_SERVICES: services_heading(t, cs, w, y, r, base); return;
	case R_SERVICE: service_row(t, svc, y, r, base); return;
	case R_TASK: task_row(t, svc, &svc->tasks[w->task], y, r, base); return;
	case R_CONTAINER: break;
	}
	const struct sw_container *k = &cs->snap.list.items[w->container];
	struct cols c = columns(r);
	struct cell st;
	state_cell(t, k, &st);
	tui_put(t, y, r.x + 1, 1, sel ? base : st.color, st.glyph);
	tui_put(t, y, c.state, 10, sel ? base : st.color, st.text);
	tui_put_cut(t, y, c.name, c.name_w, base, k->name ? k->name : "");
	tui_put_cut(t, y, c.image, c.image_w, base, k->image ? k->image : "");
	numbers(t, k, &c, y, r, base);
}

static void header(struct tui *t, int y, struct tui_rect r)
{
	struct cols c = columns(r);
	tui_fill(y, r.x, r.w, TUI_C_NORMAL);
	tui_put(t, y, c.state, 10, TUI_C_DIM, "STATE");
	tui_put(t, y, c.name, c.name_w, TUI_C_DIM, "NAME");
	tui_put(t, y, c.image, c.image_w, TUI_C_DIM, "IMAGE");
	tui_put(t, y, c.cpu + 3, 3, TUI_C_DIM, "CPU");
	tui_put(t, y, c.mem, 7, TUI_C_DIM, "MEM");
	tui_put(t, y, c.up, 4, TUI_C_DIM, "UP");
	tui_put(t, y, c.rst, 3, TUI_C_DIM, "RST");
	tui_put(t, y, c.ports, r.x + r.w - c.ports, TUI_C_DIM, "PORTS");
}

/* What to do about an engine that cannot be used. */
static const char *fix_for(const char *error)
{
	if (strstr(error, "ermission denied"))
		return "Add yourself to the docker group (sudo usermod -aG docker $USER), then log in again.";
	return "Start the engine, or set DOCKER_HOST (unix:///PATH or tcp://HOST:PORT).";
}

static void draw_message(struct tui *t, struct containers *c, struct tui_rect r)
{
	for (int y = r.y; y < r.y + r.h; y++)
		tui_fill(y, r.x, r.w, TUI_C_NORMAL);
	if (!c->snap.loaded) {
		char *s = xasprintf("connecting to the container engine at %s%s", c->snap.host,
				    tui_glyph(t, TUI_G_ELLIPSIS));
		tui_put_cut(t, r.y, r.x + 1, r.w - 2, TUI_C_DIM, s);
		free(s);
		return;
	}
	/* The error is one long line: wrap it rather than cut the reason off. */
	const char *e = c->snap.error;
	int y = r.y, w = r.w - 2;
	for (size_t len = strlen(e), off = 0; off < len && y < r.y + r.h - 3; y++) {
		size_t take = len - off > (size_t)w ? (size_t)w : len - off;
		while (off + take < len && take > (size_t)w / 2 && e[off + take] != ' ')
			take--;
		char *piece = xstrndup(e + off, take);
		tui_put(t, y, r.x + 1, w, TUI_C_FAILED, piece);
		free(piece);
		off += take;
		while (off < len && e[off] == ' ')
			off++;
	}
	tui_put_cut(t, y + 1, r.x + 1, w, TUI_C_NORMAL, fix_for(e));
	tui_put_cut(t, y + 2, r.x + 1, w, TUI_C_DIM, "Tried again every few seconds; R tries now. Other keys work as ever.");
}

static void draw(struct tui *t, struct tui_view *v, struct tui_rect r)
{
	struct containers *c = v->data;
	bool focus = tui_containers_current(t);
	char title[300], services[48] = "";
	size_t n = c ? c->snap.list.n : 0;
	if (c && c->snap.services.n)
		snprintf(services, sizeof services, " · %zu service%s", c->snap.services.n,
			 c->snap.services.n == 1 ? "" : "s");
	snprintf(title, sizeof title, "Containers %zu%s%s%s%s%s%s", n, services, c && c->snap.engine ? " · " : "",
		 c && c->snap.engine ? c->snap.engine : "", c && c->filter ? " · filter: " : "",
		 c && c->filter ? c->filter : "", t->overlay == v ? " · Esc returns" : "");
	tui_box_title(t, r, title, focus);
	struct tui_rect body = {r.y + 1, r.x, r.h - 1, r.w};
	if (!c || !c->snap.loaded || c->snap.error) {
		if (c)
			draw_message(t, c, body);
		return;
	}
	header(t, body.y, body);
	if (c->nrows == 0) {
		tui_fill(body.y + 1, r.x, r.w, TUI_C_NORMAL);
		tui_put(t, body.y + 1, r.x + 1, r.w - 2, TUI_C_DIM,
			c->filter ? "no container's name matches the filter" : "no containers");
	}
	tui_view_draw_rows(t, v, (struct tui_rect){body.y + 1 + (c->nrows == 0), r.x, body.h - 1 - (c->nrows == 0), r.w},
			   focus);
}

static long nrows(struct tui *t, struct tui_view *v)
{
	(void)t;
	struct containers *c = v->data;
	return c && !c->snap.error ? (long)c->nrows : 0;
}

void tui_containers_free(struct tui *t)
{
	struct containers *c = state(t);
	if (!c)
		return;
	sw_docker_watch_stop(c->w);
	sw_docker_snapshot_free(&c->snap);
	free(c->rows);
	free(c->filter);
	strlist_free(&c->folded);
	free(c);
	view(t)->data = NULL;
}

static const struct tui_hint hints[] = {
	{TUI_ACT_ENTER, "log", false}, {TUI_ACT_CONTAINER_START, "start", false},
	{TUI_ACT_CONTAINER_STOP, "stop", false}, {TUI_ACT_CONTAINER_RESTART, "restart", false},
	{TUI_ACT_FILTER, "filter", false}, {TUI_ACT_DOWN, "move", true}, {TUI_ACT_QUIT, "back", false},
	{0, NULL, false},
};

const struct tui_view_ops tui_containers_ops = {
	.name = "containers",
	.hints = hints,
	.draw = draw,
	.nrows = nrows,
	.draw_row = draw_row,
	.enter = enter,
};
