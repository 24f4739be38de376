/* slipway containers, slipway container start|stop|restart|logs: the
 * container engine client's face on the command line. */
#include "cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/docker.h"
#include "slipway/suggest.h"

/* Opens the engine this repository names (or DOCKER_HOST, or docker's
 * default outside a repository); prints why not and returns 2. */
static int open_engine(struct sw_docker **d)
{
	struct sw_repo *repo = NULL;
	char *err = NULL;
	if (sw_repo_open(&repo, ".", &err)) {
		free(err);	/* outside a repository: no config to read */
		err = NULL;
	}
	int rc = sw_docker_open_repo(repo, d, &err);
	sw_repo_close(repo);
	if (rc) {
		cli_error(2, "%s", err);
		free(err);
		return 2;
	}
	return 0;
}

static void fmt_bytes(double b, char *out, size_t n)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;
	while (b >= 1024 && u < 4) {
		b /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f%s" : "%.0f%s", b, units[u]);
}

/* The columns of one container, as text (not yet neutralised). */
enum { C_NAME, C_STATE, C_HEALTH, C_CPU, C_MEM, C_UP, C_RESTARTS, C_IMAGE, C_PORTS, C_COUNT };

static void columns(const struct sw_container *c, char *col[C_COUNT])
{
	char buf[64];
	col[C_NAME] = xstrdup(c->name);
	if (!strcmp(c->state, "exited"))
		col[C_STATE] = xasprintf("exited(%d)", c->exit_code);
	else
		col[C_STATE] = xstrdup(c->state);
	col[C_HEALTH] = xstrdup(c->health == SW_HEALTH_NONE ? "-" : sw_health_name(c->health));
	if (c->has_stats) {
		col[C_CPU] = xasprintf("%.2f%%", c->cpu_pct);
		fmt_bytes((double)c->mem_used, buf, sizeof buf);
		col[C_MEM] = xstrdup(buf);
	} else {
		col[C_CPU] = xstrdup("-");
		col[C_MEM] = xstrdup("-");
	}
	if (!strcmp(c->state, "running") && c->started) {
		sw_format_age((time_t)c->started, buf, sizeof buf);
		col[C_UP] = xstrdup(buf);
	} else {
		col[C_UP] = xstrdup("-");
	}
	col[C_RESTARTS] = xasprintf("%d", c->restarts);
	col[C_IMAGE] = xstrdup(c->image);
	col[C_PORTS] = xstrdup(*c->ports ? c->ports : c->host_network ? "host" : "-");
}

/* Display width of neutralised text: its code points. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

static char *clean(const char *s, bool tty)
{
	if (!tty)
		return xstrdup(s);
	struct sbuf sb;
	sbuf_init(&sb);
	sw_term_clean(&sb, s, strlen(s));
	return sb.buf ? sbuf_detach(&sb) : xstrdup("");
}

static void pad(const char *s, size_t w)
{
	fputs(s, stdout);
	for (size_t k = width(s); k < w; k++)
		putchar(' ');
}

static void print_table(const struct sw_container_list *l)
{
	bool tty = isatty(STDOUT_FILENO);
	static const char *const head[C_COUNT] = {"NAME", "STATE", "HEALTH", "CPU", "MEM",
						  "UP", "RESTARTS", "IMAGE", "PORTS"};
	char *(*cells)[C_COUNT] = xcalloc(l->n ? l->n : 1, sizeof *cells);
	size_t w[C_COUNT];
	for (int k = 0; k < C_COUNT; k++)
		w[k] = strlen(head[k]);
	for (size_t i = 0; i < l->n; i++) {
		char *raw[C_COUNT];
		columns(&l->items[i], raw);
		for (int k = 0; k < C_COUNT; k++) {
			cells[i][k] = clean(raw[k], tty);
			free(raw[k]);
			if (width(cells[i][k]) > w[k])
				w[k] = width(cells[i][k]);
		}
	}
	const char *bold = cli_color(stdout, "\033[1m"), *off = cli_color(stdout, "\033[0m");
	const char *red = cli_color(stdout, "\033[31m"), *green = cli_color(stdout, "\033[32m");
	const char *yellow = cli_color(stdout, "\033[33m");
	fputs("  ", stdout);
	for (int k = 0; k < C_COUNT; k++) {
		pad(head[k], k == C_COUNT - 1 ? 0 : w[k] + 2);
	}
	putchar('\n');
	const char *group = NULL;
	bool first = true;
	for (size_t i = 0; i < l->n; i++) {
		const struct sw_container *c = &l->items[i];
		if (first || (c->project ? !group || strcmp(group, c->project) : group != NULL)) {
			size_t running = 0, total = 0;
			for (size_t j = i; j < l->n; j++) {
				const struct sw_container *o = &l->items[j];
				if ((o->project == NULL) != (c->project == NULL) ||
				    (c->project && strcmp(o->project, c->project)))
					break;
				total++;
				running += !strcmp(o->state, "running");
			}
			char *name = clean(c->project ? c->project : "(not in a compose project)", tty);
			printf("%s%s%s  %zu/%zu running\n", bold, name, off, running, total);
			free(name);
			group = c->project;
			first = false;
		}
		fputs("  ", stdout);
		for (int k = 0; k < C_COUNT; k++) {
			const char *col = "";
			if (k == C_STATE)
				col = !strcmp(c->state, "running") ? green : red;
			else if (k == C_HEALTH && c->health != SW_HEALTH_NONE)
				col = c->health == SW_HEALTH_HEALTHY ? green
				      : c->health == SW_HEALTH_UNHEALTHY ? red
									  : yellow;
			fputs(col, stdout);
			pad(cells[i][k], k == C_COUNT - 1 ? 0 : w[k]);
			fputs(*col ? off : "", stdout);
			if (k < C_COUNT - 1)
				fputs("  ", stdout);
			free(cells[i][k]);
		}
		putchar('\n');
	}
	free(cells);
}

/* ---- the swarm's services ---- */

static bool service_whole(const struct sw_swarm_service *v)
{
	return v->running == v->desired;
}

static char *replicas_text(const struct sw_swarm_service *v)
{
	return xasprintf("%ld/%ld", v->running, v->desired);
}

static char *update_text(const struct sw_service *s)
{
	if (!s->update_state)
		return xstrdup("-");
	if (!s->update_message || !*s->update_message)
		return xstrdup(s->update_state);
	return xasprintf("%s (%s)", s->update_state, s->update_message);
}

/* "web.2" as docker service ps names a replica's task; a global one's by its node. */
static char *task_name(const struct sw_swarm_service *v, const struct sw_task *k)
{
	if (k->slot > 0)
		return xasprintf("%s.%d", v->s.name, k->slot);
	return xasprintf("%s@%s", v->s.name, k->node ? k->node : "?");
}

static const char *update_color(const char *state)
{
	if (!state || !strcmp(state, "completed"))
		return cli_color(stdout, "\033[32m");
	if (!strcmp(state, "updating") || !strcmp(state, "rollback_started"))
		return cli_color(stdout, "\033[33m");
	return cli_color(stdout, "\033[31m");
}

enum { S_NAME, S_MODE, S_REPLICAS, S_IMAGE, S_UPDATE, S_COUNT };
enum { T_NAME, T_NODE, T_STATE, T_ERROR, T_COUNT };

/* The cells of every service and of every task, neutralised, and the widths. */
struct service_cells {
	char *(*svc)[S_COUNT];
	char *(*task)[T_COUNT];
	size_t w[S_COUNT], tw[T_COUNT];
};

static void cell(char **slot, size_t *w, char *raw, bool tty)
{
	*slot = clean(raw, tty);
	free(raw);
	if (width(*slot) > *w)
		*w = width(*slot);
}

static void service_cells(const struct sw_service_list *l, bool tty, struct service_cells *c)
{
	static const char *const head[S_COUNT] = {"NAME", "MODE", "REPLICAS", "IMAGE", "UPDATE"};
	size_t ntasks = 0;
	for (size_t i = 0; i < l->n; i++)
		ntasks += l->items[i].ntasks;
	c->svc = xcalloc(l->n ? l->n : 1, sizeof *c->svc);
	c->task = xcalloc(ntasks ? ntasks : 1, sizeof *c->task);
	memset(c->tw, 0, sizeof c->tw);
	for (int k = 0; k < S_COUNT; k++)
		c->w[k] = strlen(head[k]);
	for (size_t i = 0, t = 0; i < l->n; i++) {
		const struct sw_swarm_service *v = &l->items[i];
		cell(&c->svc[i][S_NAME], &c->w[S_NAME], xstrdup(v->s.name), tty);
		cell(&c->svc[i][S_MODE], &c->w[S_MODE], xstrdup(v->s.mode), tty);
		cell(&c->svc[i][S_REPLICAS], &c->w[S_REPLICAS], replicas_text(v), tty);
		cell(&c->svc[i][S_IMAGE], &c->w[S_IMAGE], sw_image_without_digest(v->s.image), tty);
		cell(&c->svc[i][S_UPDATE], &c->w[S_UPDATE], update_text(&v->s), tty);
		for (size_t k = 0; k < v->ntasks; k++, t++) {
			const struct sw_task *tk = &v->tasks[k];
			cell(&c->task[t][T_NAME], &c->tw[T_NAME], task_name(v, tk), tty);
			cell(&c->task[t][T_NODE], &c->tw[T_NODE], xstrdup(tk->node ? tk->node : "-"), tty);
			cell(&c->task[t][T_STATE], &c->tw[T_STATE],
			     tk->desired && tk->state && strcmp(tk->desired, tk->state) && strcmp(tk->desired, "running")
				     ? xasprintf("%s (desired %s)", tk->state, tk->desired)
				     : xstrdup(tk->state ? tk->state : "?"),
			     tty);
			cell(&c->task[t][T_ERROR], &c->tw[T_ERROR], xstrdup(tk->error ? tk->error : ""), tty);
		}
	}
}

static void print_task(const struct sw_task *k, char *cells[T_COUNT], const size_t tw[T_COUNT])
{
	bool ok = k->state && !strcmp(k->state, "running");
	bool bad = k->state && (!strcmp(k->state, "failed") || !strcmp(k->state, "rejected"));
	const char *col = cli_color(stdout, ok ? "\033[32m" : bad ? "\033[31m" : "\033[33m");
	const char *off = cli_color(stdout, "\033[0m");
	fputs("    ", stdout);
	pad(cells[T_NAME], tw[T_NAME] + 2);
	pad(cells[T_NODE], tw[T_NODE] + 2);
	fputs(col, stdout);
	pad(cells[T_STATE], *cells[T_ERROR] ? tw[T_STATE] : 0);
	fputs(*col ? off : "", stdout);
	if (*cells[T_ERROR]) {
		fputs("  ", stdout);
		fputs(cells[T_ERROR], stdout);
	}
	putchar('\n');
}

/* Below the containers: a heading, a row per service, its tasks indented
 * beneath (node, state, error), as docker service ls and ps would show. */
static void print_services(const struct sw_service_list *l)
{
	bool tty = isatty(STDOUT_FILENO);
	static const char *const head[S_COUNT] = {"NAME", "MODE", "REPLICAS", "IMAGE", "UPDATE"};
	struct service_cells c;
	service_cells(l, tty, &c);
	size_t whole = 0;
	for (size_t i = 0; i < l->n; i++)
		whole += service_whole(&l->items[i]);
	const char *bold = cli_color(stdout, "\033[1m"), *off = cli_color(stdout, "\033[0m");
	const char *red = cli_color(stdout, "\033[31m"), *green = cli_color(stdout, "\033[32m");
	printf("\n%sswarm services%s  %zu/%zu with every replica running\n  ", bold, off, whole, l->n);
	for (int k = 0; k < S_COUNT; k++)
		pad(head[k], k == S_COUNT - 1 ? 0 : c.w[k] + 2);
	putchar('\n');
	for (size_t i = 0, t = 0; i < l->n; i++) {
		const struct sw_swarm_service *v = &l->items[i];
		fputs("  ", stdout);
		for (int k = 0; k < S_COUNT; k++) {
			const char *col = k == S_REPLICAS ? (service_whole(v) ? green : red)
					  : k == S_UPDATE && v->s.update_state ? update_color(v->s.update_state)
									       : "";
			fputs(col, stdout);
			pad(c.svc[i][k], k == S_COUNT - 1 ? 0 : c.w[k]);
			fputs(*col ? off : "", stdout);
			if (k < S_COUNT - 1)
				fputs("  ", stdout);
			free(c.svc[i][k]);
		}
		putchar('\n');
		for (size_t k = 0; k < v->ntasks; k++, t++) {
			print_task(&v->tasks[k], c.task[t], c.tw);
			for (int j = 0; j < T_COUNT; j++)
				free(c.task[t][j]);
		}
	}
	free(c.svc);
	free(c.task);
}

/* The services of stack project only, when one is named. */
static void services_of(struct sw_service_list *l, const char *project)
{
	if (!project)
		return;
	size_t kept = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->items[i].s.stack && !strcmp(l->items[i].s.stack, project)) {
			l->items[kept++] = l->items[i];
			continue;
		}
		sw_service_free(&l->items[i].s);
		sw_tasks_free(l->items[i].tasks, l->items[i].ntasks);
	}
	l->n = kept;
}

int cmd_containers(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"project", required_argument, NULL, 'p'},
					     {"all", no_argument, NULL, 'a'},
					     {"no-stats", no_argument, NULL, 'n'},
					     {NULL, 0, NULL, 0}};
	bool json = false, all = false, stats = true;
	const char *project = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'j')
			json = true;
		else if (c == 'p')
			project = optarg;
		else if (c == 'a')
			all = true;
		else if (c == 'n')
			stats = false;
		else
			return cli_usage("containers", false);
	}
	if (optind != argc)
		return cli_usage("containers", false);
	struct sw_docker *d;
	if (open_engine(&d))
		return 2;
	struct sw_container_list l;
	char *err = NULL;
	int rc = stats ? sw_docker_list_stats(d, project, all, &l, &err) : sw_docker_list(d, project, all, &l, &err);
	struct sw_service_list sl = {0};
	if (!rc)
		rc = sw_swarm_services(d, &sl, &err);
	if (rc) {
		cli_error(2, "%s", err);
		free(err);
		sw_container_list_free(&l);
		sw_docker_close(d);
		return 2;
	}
	services_of(&sl, project);
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "engine", sw_docker_engine(d));
		cJSON_AddStringToObject(o, "host", sw_docker_host(d));
		cJSON_AddStringToObject(o, "api", sw_docker_api(d));
		cJSON *arr = cJSON_AddArrayToObject(o, "containers");
		for (size_t i = 0; i < l.n; i++)
			cJSON_AddItemToArray(arr, sw_container_to_json(&l.items[i]));
		cJSON_AddItemToObject(o, "projects", sw_container_summary_json(&l));
		cJSON *svcs = cJSON_AddArrayToObject(o, "services");
		for (size_t i = 0; i < sl.n; i++)
			cJSON_AddItemToArray(svcs, sw_service_to_json(&sl.items[i]));
		cli_print_json(o);
		cJSON_Delete(o);
	} else {
		if (l.n == 0)
			printf("no %scontainers%s%s on %s\n", all ? "" : "running ", project ? " in project " : "",
			       project ? project : "", sw_docker_host(d));
		else
			print_table(&l);
		if (sl.n)
			print_services(&sl);
	}
	sw_container_list_free(&l);
	sw_service_list_free(&sl);
	sw_docker_close(d);
	return 0;
}

/* "no container named X" with the nearest name when there is one. */
static int no_such(struct sw_docker *d, const char *name, const char *engine_err)
{
	struct sw_container_list l;
	char *err = NULL;
	const char *near = NULL;
	const char **names = NULL;
	if (sw_docker_list(d, NULL, true, &l, &err) == 0) {
		names = xcalloc(l.n ? l.n : 1, sizeof *names);
		for (size_t i = 0; i < l.n; i++)
			names[i] = l.items[i].name;
		near = sw_suggest(name, names, l.n);
	} else {
		l = (struct sw_container_list){0};
	}
	if (near)
		cli_error(1, "no container named \"%s\" on %s; did you mean \"%s\"?", name, sw_docker_host(d), near);
	else
		cli_error(1, "%s", engine_err);
	free(names);
	free(err);
	sw_container_list_free(&l);
	return 1;
}

static volatile int interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

struct log_out {
	bool tty_out, tty_err;
	struct sbuf sb;
};

static int put_line(void *ud, int stream, const char *line, size_t len)
{
	struct log_out *o = ud;
	FILE *f = stream == 2 ? stderr : stdout;
	bool tty = stream == 2 ? o->tty_err : o->tty_out;
	if (tty) {
		sbuf_reset(&o->sb);
		sw_term_clean(&o->sb, line, len);
		if (o->sb.len)
			fwrite(o->sb.buf, 1, o->sb.len, f);
	} else {
		fwrite(line, 1, len, f);
	}
	fputc('\n', f);
	fflush(f);
	return 0;
}

static int container_logs(struct sw_docker *d, int argc, char **argv)
{
	static const struct option opts[] = {{"follow", no_argument, NULL, 'f'},
					     {"tail", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	bool follow = false;
	long tail = -1;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'f') {
			follow = true;
		} else if (c == 't') {
			char *end;
			tail = strtol(optarg, &end, 10);
			if (*end || tail < 0)
				return cli_error(2, "--tail %s: expected a number of lines (0 or more)", optarg);
		} else {
			return cli_usage("container", false);
		}
	}
	if (argc - optind != 1)
		return cli_usage("container", false);
	const char *name = argv[optind];
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	struct log_out o = {.tty_out = isatty(STDOUT_FILENO), .tty_err = isatty(STDERR_FILENO)};
	sbuf_init(&o.sb);
	char *err = NULL;
	int rc = sw_docker_logs(d, name, tail, follow, put_line, &o, &interrupted, &err);
	sbuf_free(&o.sb);
	if (rc) {
		int code = strstr(err, "no container named") ? no_such(d, name, err) : cli_error(1, "%s", err);
		free(err);
		return code;
	}
	return interrupted ? 130 : 0;
}

static int put_event(void *ud, const struct sw_docker_event *ev)
{
	bool tty = *(bool *)ud;
	char t[32];
	sw_iso_time((time_t)ev->time, t);
	printf("%s ", t);
	cli_put_text(stdout, ev->action, tty);
	putchar(' ');
	cli_put_text(stdout, *ev->name ? ev->name : ev->id, tty);
	if (ev->project) {
		fputs(" project=", stdout);
		cli_put_text(stdout, ev->project, tty);
	}
	putchar('\n');
	fflush(stdout);
	return 0;
}

/* What the dashboard follows, for scripts: one line an event, until Ctrl-C. */
static int container_events(struct sw_docker *d, int argc, char **argv)
{
	static const struct option opts[] = {{"project", required_argument, NULL, 'p'}, {NULL, 0, NULL, 0}};
	const char *project = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'p')
			project = optarg;
		else
			return cli_usage("container", false);
	}
	if (optind != argc)
		return cli_usage("container", false);
	struct sigaction sa = {.sa_handler = on_sigint};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	bool tty = isatty(STDOUT_FILENO);
	char *err = NULL;
	if (sw_docker_events(d, project, put_event, &tty, &interrupted, &err)) {
		int code = cli_error(1, "%s", err);
		free(err);
		return code;
	}
	return interrupted ? 130 : 0;
}

int cmd_container(int argc, char **argv)
{
	if (argc < 2)
		return cli_usage("container", false);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cli_usage("container", true);
	static const char *const verbs[] = {"start", "stop", "restart", "logs", "events"};
	int verb = -1;
	for (int i = 0; i < 5; i++)
		if (!strcmp(argv[1], verbs[i]))
			verb = i;
	if (verb < 0) {
		const char *near = sw_suggest(argv[1], verbs, 5);
		if (near)
			return cli_error(2, "unknown container action \"%s\"; did you mean \"%s\"?", argv[1], near);
		return cli_error(2, "unknown container action \"%s\" (start, stop, restart, logs or events)", argv[1]);
	}
	if (verb < 3 && argc != 3)
		return cli_usage("container", false);
	struct sw_docker *d;
	if (open_engine(&d))
		return 2;
	int code = 0;
	if (verb == 3) {
		code = container_logs(d, argc - 1, argv + 1);
	} else if (verb == 4) {
		code = container_events(d, argc - 1, argv + 1);
	} else {
		enum sw_docker_action a = (enum sw_docker_action)verb;
		bool already = false;
		char *err = NULL;
		const char *name = argv[2];
		bool tty = isatty(STDOUT_FILENO);
		if (sw_docker_act(d, name, a, &already, &err)) {
			code = strstr(err, "No such container") || strstr(err, "no such container")
				       ? no_such(d, name, err)
				       : cli_error(1, "%s", err);
			free(err);
		} else {
			char *msg = sw_docker_act_outcome(name, a, already);
			cli_put_text(stdout, msg, tty);
			free(msg);
			putchar('\n');
		}
	}
	sw_docker_close(d);
	return code;
}
