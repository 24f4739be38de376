/* The container client's arithmetic (core/docker.c): CPU % and memory as
 * the docker CLI computes them from a stats object (stats_helpers.go),
 * for the Docker Engine on cgroup v1 and v2 and for podman, whose stats
 * lack what the CLI subtracts. */
#include "unit.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "core/docker_internal.h"
#include "slipway/docker.h"

static struct sw_container compute(const char *cur, const char *pre)
{
	struct sw_container c = {0};
	cJSON *j = cJSON_Parse(cur), *p = pre ? cJSON_Parse(pre) : NULL;
	CHECK(j != NULL);
	sw_docker_stats_compute(j, p, &c);
	cJSON_Delete(j);
	cJSON_Delete(p);
	return c;
}

static bool near(double a, double b) { return fabs(a - b) < 1e-9; }

/* cpuDelta / systemDelta * onlineCPUs * 100, the earlier sample being the
 * object's own precpu_stats. */
static void cpu_from_precpu_as_docker_cli(void)
{
	struct sw_container c = compute(
		"{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 300}, \"system_cpu_usage\": 2000, \"online_cpus\": 2},"
		" \"precpu_stats\": {\"cpu_usage\": {\"total_usage\": 100}, \"system_cpu_usage\": 1000},"
		" \"memory_stats\": {\"usage\": 1000, \"limit\": 4000, \"stats\": {\"total_inactive_file\": 200}}}",
		NULL);
	CHECK(c.has_stats);
	CHECK(near(c.cpu_pct, 40.0));	/* 200/1000 * 2 * 100 */
	CHECK_INT(c.mem_used, 800);	/* cgroup v1: usage - total_inactive_file */
	CHECK_INT(c.mem_limit, 4000);
	CHECK(near(c.mem_pct, 20.0));
}

/* Podman's precpu_stats are zero and its online_cpus may be too: the
 * earlier sample is the stream's first object, the CPUs the per-CPU list. */
static void cpu_from_an_earlier_sample_and_percpu(void)
{
	struct sw_container c = compute(
		"{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 1500, \"percpu_usage\": [1, 2, 3, 4]},"
		" \"system_cpu_usage\": 20000, \"online_cpus\": 0},"
		" \"precpu_stats\": {\"cpu_usage\": {\"total_usage\": 0}, \"system_cpu_usage\": 0},"
		" \"memory_stats\": {\"usage\": 5000, \"limit\": 10000}}",
		"{\"cpu_usage\": {\"total_usage\": 1000}, \"system_cpu_usage\": 10000}");
	CHECK(near(c.cpu_pct, 20.0));	/* 500/10000 * 4 * 100 */
	CHECK_INT(c.mem_used, 5000);	/* no stats to subtract: usage as it is */
	CHECK(near(c.mem_pct, 50.0));
}

static void cgroup_v2_subtracts_inactive_file(void)
{
	struct sw_container c = compute("{\"cpu_stats\": {}, \"memory_stats\": {\"usage\": 1000, \"limit\": 0,"
					" \"stats\": {\"inactive_file\": 300}}}",
					NULL);
	CHECK_INT(c.mem_used, 700);
	CHECK(near(c.mem_pct, 0));	/* no limit: no percentage, no division by zero */
	/* What would go below zero is not subtracted, as the CLI does. */
	c = compute("{\"memory_stats\": {\"usage\": 100, \"stats\": {\"inactive_file\": 300}}}", NULL);
	CHECK_INT(c.mem_used, 100);
}

/* No progress on either counter (a first sample, an idle container, a
 * counter that went back after a restart) is 0 %, never a negative or a
 * division by zero. */
static void no_delta_is_zero_percent(void)
{
	struct sw_container c = compute("{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 100}, \"system_cpu_usage\": 1000,"
					" \"online_cpus\": 1}, \"precpu_stats\": {\"cpu_usage\": {\"total_usage\": 100},"
					" \"system_cpu_usage\": 1000}}",
					NULL);
	CHECK(near(c.cpu_pct, 0));
	c = compute("{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 50}, \"system_cpu_usage\": 2000, \"online_cpus\": 1},"
		    " \"precpu_stats\": {\"cpu_usage\": {\"total_usage\": 100}, \"system_cpu_usage\": 1000}}",
		    NULL);
	CHECK(near(c.cpu_pct, 0));
	c = compute("{}", NULL);
	CHECK(near(c.cpu_pct, 0));
	CHECK_INT(c.mem_used, 0);
}

/* Counters that are no uint64 (1e999 is infinite, 1e30 past 2^64, a
 * fraction of a nanosecond, a negative) are none: CPU % and memory stay
 * finite, and the byte counts are not cast out of range.  Found by
 * fuzz_docker. */
static void garbage_counters_are_none(void)
{
	struct sw_container c = compute(
		"{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 1e999}, \"system_cpu_usage\": 1e999, \"online_cpus\": 1},"
		" \"precpu_stats\": {\"cpu_usage\": {\"total_usage\": 0}, \"system_cpu_usage\": 0},"
		" \"memory_stats\": {\"usage\": 1e30, \"limit\": 1e-300, \"stats\": {\"inactive_file\": -1e300}}}",
		NULL);
	CHECK(near(c.cpu_pct, 0));
	CHECK_INT(c.mem_used, 0);
	CHECK_INT(c.mem_limit, 0);
	CHECK(near(c.mem_pct, 0));
	c = compute("{\"cpu_stats\": {\"cpu_usage\": {\"total_usage\": 2000}, \"system_cpu_usage\": 1e-300,"
		    " \"online_cpus\": 1}}",
		    NULL);
	CHECK(near(c.cpu_pct, 0));
}

/* A percentage too big to round in a long is printed as it is. */
static void huge_percentages_are_not_cast(void)
{
	char name[] = "web", image[] = "nginx", state[] = "running", ports[] = "";
	struct sw_container c = {.name = name, .image = image, .state = state, .ports = ports, .has_stats = true,
				 .cpu_pct = 1e300, .mem_pct = 12.5};
	cJSON *o = sw_container_to_json(&c);
	CHECK(near(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "cpu_pct")), 1e300));
	CHECK(near(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(o, "mem_pct")), 12.5));
	cJSON_Delete(o);
}

static void host_order_is_dockers(void)
{
	setenv("DOCKER_HOST", "tcp://127.0.0.1:2375", 1);
	CHECK_STR(sw_docker_host_pick("unix:///srv/docker.sock"), "tcp://127.0.0.1:2375");
	unsetenv("DOCKER_HOST");
	CHECK_STR(sw_docker_host_pick("unix:///srv/docker.sock"), "unix:///srv/docker.sock");
	CHECK_STR(sw_docker_host_pick(NULL), "unix:///var/run/docker.sock");
	setenv("DOCKER_HOST", "", 1);
	CHECK_STR(sw_docker_host_pick(NULL), "unix:///var/run/docker.sock");
	unsetenv("DOCKER_HOST");
}

static void bad_addresses_say_what_is_expected(void)
{
	struct sw_docker *d = NULL;
	char *err = NULL;
	CHECK_INT(sw_docker_open("unix://docker.sock", &d, &err), -1);
	CHECK(err && strstr(err, "absolute path"));
	free(err);
	err = NULL;
	CHECK_INT(sw_docker_open("npipe:////./pipe/docker_engine", &d, &err), -1);
	CHECK(err && strstr(err, "expected unix:///PATH or tcp://HOST:PORT"));
	free(err);
	err = NULL;
	CHECK_INT(sw_docker_open("unix:///nonexistent/docker.sock", &d, &err), -1);
	CHECK_STR(err, "cannot reach the container engine at unix:///nonexistent/docker.sock: No such file or directory");
	free(err);
	CHECK(d == NULL);
}

static void containers_are_found_by_name_or_id_prefix(void)
{
	char web[] = "web", proxy[] = "proxy";
	struct sw_container items[2] = {
		{.id = "3f2a1c9e00000000", .name = web},
		{.id = "3f2b000000000000", .name = proxy},
	};
	struct sw_container_list l = {items, 2};
	CHECK_INT(sw_container_find(&l, "proxy"), 1);
	CHECK_INT(sw_container_find(&l, "3f2a"), 0);
	CHECK_INT(sw_container_find(&l, "3f2"), -1);	/* too short to be an id */
	CHECK_INT(sw_container_find(&l, "3f2a1c9e"), 0);
	CHECK_INT(sw_container_find(&l, "3f20"), -1);
	CHECK_INT(sw_container_find(&l, "db"), -1);
}

static cJSON *parse(const char *text)
{
	cJSON *j = cJSON_Parse(text);
	CHECK(j != NULL);
	return j;
}

/* An engine's numbers are not checked: one out of an integer's range
 * (casting it is undefined behaviour) is read as absent.  Found by
 * fuzz_docker. */
static void numbers_out_of_range_are_absent(void)
{
	cJSON *s = parse("{\"Id\": \"3f2a\", \"Names\": [\"/web\"], \"Created\": 1e300, \"Ports\": "
			 "[{\"PrivatePort\": 1e25, \"PublicPort\": 8080, \"Type\": \"tcp\"}, {\"PrivatePort\": 80, "
			 "\"PublicPort\": -1e30}]}");
	cJSON *in = parse("{\"State\": {\"Status\": \"exited\", \"ExitCode\": -1e30}, \"RestartCount\": 1e19}");
	struct sw_container_list l = {xcalloc(1, sizeof *l.items), 1};
	docker_container_summary(&l.items[0], s);
	docker_container_inspect(&l.items[0], in);
	CHECK_INT(l.items[0].created, 0);
	CHECK_STR(l.items[0].ports, "8080->0/tcp, 80/tcp");
	CHECK_INT(l.items[0].exit_code, 0);
	CHECK_INT(l.items[0].restarts, 0);
	sw_container_list_free(&l);
	cJSON_Delete(s);
	cJSON_Delete(in);
}

static int64_t event_time;

static int on_event(void *ud, const struct sw_docker_event *ev)
{
	(void)ud;
	event_time = ev->time;
	return 0;
}

static void event_times_out_of_range_are_absent(void)
{
	char text[] = "{\"Type\": \"container\", \"Action\": \"start\", \"Actor\": {\"ID\": \"3f2a\"}, "
		      "\"time\": 1e300}\n";
	struct stream s = {.ev_fn = on_event};
	sbuf_init(&s.ev);
	event_time = -1;
	CHECK_INT(docker_events_write(text, 1, strlen(text), &s), strlen(text));
	CHECK_INT(event_time, 0);
	sbuf_free(&s.ev);
}

struct line_count {
	size_t lines, longest, bytes;
};

static int count_line(void *ud, int stream, const char *line, size_t len)
{
	struct line_count *c = ud;
	(void)stream;
	(void)line;
	c->lines++;
	c->bytes += len;
	if (len > c->longest)
		c->longest = len;
	return 0;
}

/* A TTY container printing 200 KiB without a newline: handed out in cut
 * lines of at most 64 KiB, nothing lost, and not grown without bound. */
static void endless_line_is_cut(void)
{
	struct stream s = {.tty = true, .line_fn = count_line};
	struct line_count c = {0};
	s.ud = &c;
	char chunk[4096];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 50; i++)
		CHECK_INT(docker_logs_write(chunk, 1, sizeof chunk, &s), sizeof chunk);
	docker_logs_flush(&s);
	CHECK_INT(c.bytes, 50 * sizeof chunk);
	CHECK_INT(c.longest, 64 * 1024);
	CHECK_INT(c.lines, 4);
}

/* Where a swarm's nodes pull an image from: docker's reading of a name. */
static void image_registry_as_docker_reads_it(void)
{
	static const char *const cases[][2] = {
		{"127.0.0.1:5000/site:abc", "127.0.0.1:5000"},
		{"registry.example.com/team/site:1", "registry.example.com"},
		{"localhost/site", "localhost"},
		{"localhost:5000/site", "localhost:5000"},
		{"team/site:1", "docker.io"},
		{"site:1", "docker.io"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *r = sw_image_registry(cases[i][0]);
		CHECK_STR(r, cases[i][1]);
		free(r);
	}
}

/* GET /services, /tasks and /nodes as a one-node swarm answers them (cut
 * to the fields read): stacks first, by stack then name; the tasks meant
 * to run by slot with their node's hostname, then the two newest
 * failures; the replicas counted from the tasks. */
static const char services_json[] =
	"[{\"ID\": \"s-zeta\", \"Spec\": {\"Name\": \"zeta\", \"Mode\": {\"Replicated\": {\"Replicas\": 1}},"
	"  \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"busybox:1@sha256:abcd\"}}}},"
	" {\"ID\": \"s-web\", \"Spec\": {\"Name\": \"oc_web\", \"Labels\": {\"com.docker.stack.namespace\": \"oc\"},"
	"  \"Mode\": {\"Replicated\": {\"Replicas\": 2}}, \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"app:2\"}}},"
	"  \"UpdateStatus\": {\"State\": \"rollback_completed\", \"Message\": \"rollback completed\"}},"
	" {\"ID\": \"s-proxy\", \"Spec\": {\"Name\": \"oc_proxy\", \"Labels\": {\"com.docker.stack.namespace\": \"oc\"},"
	"  \"Mode\": {\"Replicated\": {\"Replicas\": 1}}, \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"proxy:2\"}}}},"
	" {\"ID\": \"s-db\", \"Spec\": {\"Name\": \"ab_db\", \"Labels\": {\"com.docker.stack.namespace\": \"ab\"},"
	"  \"Mode\": {\"Replicated\": {\"Replicas\": 0}}, \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"db\"}}}},"
	" {\"ID\": \"s-mon\", \"Spec\": {\"Name\": \"mon\", \"Mode\": {\"Global\": {}},"
	"  \"TaskTemplate\": {\"ContainerSpec\": {\"Image\": \"mon\"}}}},"
	" {\"Spec\": {\"Name\": \"no-id\"}}]";
static const char tasks_json[] =
	"[{\"ID\": \"t-w2\", \"ServiceID\": \"s-web\", \"Slot\": 2, \"NodeID\": \"n1\", \"DesiredState\": \"running\","
	"  \"Status\": {\"State\": \"running\"}, \"Spec\": {\"ContainerSpec\": {\"Image\": \"app:1\"}},"
	"  \"UpdatedAt\": \"2026-12-01T10:00:05Z\"},"
	" {\"ID\": \"t-w1\", \"ServiceID\": \"s-web\", \"Slot\": 1, \"NodeID\": \"n2\", \"DesiredState\": \"running\","
	"  \"Status\": {\"State\": \"starting\"}, \"UpdatedAt\": \"2026-12-01T10:00:06Z\"},"
	" {\"ID\": \"t-old\", \"ServiceID\": \"s-web\", \"Slot\": 1, \"NodeID\": \"n1\", \"DesiredState\": \"shutdown\","
	"  \"Status\": {\"State\": \"failed\", \"Err\": \"oldest failure\"}, \"UpdatedAt\": \"2026-12-01T09:00:00Z\"},"
	" {\"ID\": \"t-new\", \"ServiceID\": \"s-web\", \"Slot\": 1, \"NodeID\": \"n1\", \"DesiredState\": \"shutdown\","
	"  \"Status\": {\"State\": \"failed\", \"Err\": \"task: non-zero exit (1)\"}, \"UpdatedAt\": \"2026-12-01T09:59:00Z\"},"
	" {\"ID\": \"t-mid\", \"ServiceID\": \"s-web\", \"Slot\": 2, \"NodeID\": \"gone\", \"DesiredState\": \"shutdown\","
	"  \"Status\": {\"State\": \"rejected\", \"Err\": \"no such image\"}, \"UpdatedAt\": \"2026-12-01T09:30:00Z\"},"
	" {\"ID\": \"t-done\", \"ServiceID\": \"s-web\", \"Slot\": 2, \"NodeID\": \"n1\", \"DesiredState\": \"shutdown\","
	"  \"Status\": {\"State\": \"shutdown\"}, \"UpdatedAt\": \"2026-12-01T09:59:30Z\"},"
	" {\"ID\": \"t-m1\", \"ServiceID\": \"s-mon\", \"NodeID\": \"n2\", \"DesiredState\": \"running\","
	"  \"Status\": {\"State\": \"running\"}},"
	" {\"ID\": \"t-m2\", \"ServiceID\": \"s-mon\", \"NodeID\": \"n1\", \"DesiredState\": \"running\","
	"  \"Status\": {\"State\": \"preparing\"}},"
	" {\"ID\": \"t-p\", \"ServiceID\": \"s-proxy\", \"Slot\": 1, \"NodeID\": \"\", \"DesiredState\": \"running\","
	"  \"Status\": {\"State\": \"pending\", \"Err\": \"no suitable node\"}}]";
static const char nodes_json[] =
	"[{\"ID\": \"n1\", \"Description\": {\"Hostname\": \"alpha\"}}, {\"ID\": \"n2\", \"Description\": {\"Hostname\": \"beta\"}}]";

static void read_services(struct sw_service_list *l)
{
	cJSON *s = parse(services_json), *t = parse(tasks_json), *n = parse(nodes_json);
	docker_services_read(s, t, n, l);
	cJSON_Delete(s);
	cJSON_Delete(t);
	cJSON_Delete(n);
}

static void services_sorted_by_stack_then_name(void)
{
	struct sw_service_list l;
	read_services(&l);
	CHECK_INT(l.n, 5);	/* the one without an id is no service */
	if (l.n != 5)
		return;
	CHECK_STR(l.items[0].s.name, "ab_db");
	CHECK_STR(l.items[1].s.name, "oc_proxy");
	CHECK_STR(l.items[2].s.name, "oc_web");
	CHECK_STR(l.items[3].s.name, "mon");
	CHECK_STR(l.items[4].s.name, "zeta");
	CHECK(l.items[3].s.stack == NULL);
	CHECK_STR(l.items[2].s.stack, "oc");
	CHECK_INT(l.items[4].ntasks, 0);
	sw_service_list_free(&l);
	CHECK_INT(l.n, 0);
}

static void tasks_by_slot_then_the_newest_failures(void)
{
	struct sw_service_list l;
	read_services(&l);
	const struct sw_swarm_service *web = &l.items[2];
	CHECK_STR(web->s.mode, "replicated");
	CHECK_INT(web->desired, 2);
	CHECK_INT(web->running, 1);	/* slot 1 is only starting */
	CHECK_STR(web->s.update_state, "rollback_completed");
	CHECK_INT(web->ntasks, 4);
	if (web->ntasks == 4) {
		CHECK_STR(web->tasks[0].id, "t-w1");
		CHECK_STR(web->tasks[0].node, "beta");
		CHECK_STR(web->tasks[1].id, "t-w2");
		CHECK_STR(web->tasks[1].node, "alpha");
		CHECK_STR(web->tasks[1].image, "app:1");
		CHECK_STR(web->tasks[2].id, "t-new");
		CHECK_STR(web->tasks[2].error, "task: non-zero exit (1)");
		CHECK_STR(web->tasks[3].id, "t-mid");
		CHECK_STR(web->tasks[3].node, "gone");	/* a node no longer listed: its id */
	}
	/* Not yet on a node: no node rather than "". */
	const struct sw_swarm_service *proxy = &l.items[1];
	CHECK_INT(proxy->ntasks, 1);
	CHECK(proxy->tasks[0].node == NULL);
	CHECK_STR(proxy->tasks[0].error, "no suitable node");
	CHECK_INT(proxy->running, 0);
	CHECK_INT(proxy->desired, 1);
	sw_service_list_free(&l);
}

/* A global service wants a task per node: its count is the tasks meant to run. */
static void global_replicas_are_its_tasks(void)
{
	struct sw_service_list l;
	read_services(&l);
	const struct sw_swarm_service *mon = &l.items[3];
	CHECK_STR(mon->s.mode, "global");
	CHECK_INT(mon->desired, 2);
	CHECK_INT(mon->running, 1);
	sw_service_list_free(&l);
}

static void services_as_json_and_copied(void)
{
	struct sw_service_list l, c;
	read_services(&l);
	sw_service_list_copy(&c, &l);
	sw_service_list_free(&l);
	cJSON *j = sw_service_to_json(&c.items[2]);
	char *text = cJSON_PrintUnformatted(j);
	CHECK(strstr(text, "\"name\":\"oc_web\",\"stack\":\"oc\",\"image\":\"app:2\",\"mode\":\"replicated\","
			   "\"replicas_running\":1,\"replicas_desired\":2,\"update_state\":\"rollback_completed\","
			   "\"update_message\":\"rollback completed\",\"tasks\":[{\"id\":\"t-w1\"") != NULL);
	CHECK(strstr(text, "\"node\":\"beta\",\"state\":\"starting\",\"desired\":\"running\",\"error\":null") != NULL);
	free(text);
	cJSON_Delete(j);
	j = sw_service_to_json(&c.items[3]);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "stack")));
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(j, "update_state")));	/* never updated */
	cJSON_Delete(j);
	char *shown = sw_image_without_digest(c.items[4].s.image);
	CHECK_STR(shown, "busybox:1");
	free(shown);
	sw_service_list_free(&c);
}

/* No answer that is a list: no services, nothing read out of bounds. */
static void services_of_garbage_are_none(void)
{
	struct sw_service_list l;
	cJSON *o = parse("{\"message\": \"not a list\"}"), *t = parse("[{\"ServiceID\": 3}, 7]");
	docker_services_read(o, t, NULL, &l);
	CHECK_INT(l.n, 0);
	sw_service_list_free(&l);
	cJSON *s = parse("[{\"ID\": \"a\", \"Spec\": {\"Name\": \"a\", \"Mode\": {\"Replicated\": {\"Replicas\": 1e300}}}}]");
	docker_services_read(s, o, o, &l);
	CHECK_INT(l.n, 1);
	CHECK_INT(l.items[0].desired, 0);
	CHECK_INT(l.items[0].ntasks, 0);
	sw_service_list_free(&l);
	cJSON_Delete(s);
	cJSON_Delete(o);
	cJSON_Delete(t);
}

static char event_type[16];

/* The event's text lives only as long as the call. */
static int on_typed_event(void *ud, const struct sw_docker_event *ev)
{
	(void)ud;
	snprintf(event_type, sizeof event_type, "%s", ev->type);
	return 0;
}

/* Service events reach only a follower that asked for the swarm's. */
static void service_events_only_when_asked(void)
{
	char text[] = "{\"Type\": \"service\", \"Action\": \"update\", \"Actor\": {\"ID\": \"s1\", "
		      "\"Attributes\": {\"name\": \"web\", \"updatestate.new\": \"completed\"}}, \"time\": 5}\n";
	struct stream s = {.ev_fn = on_typed_event};
	sbuf_init(&s.ev);
	event_type[0] = '\0';
	docker_events_write(text, 1, strlen(text), &s);
	CHECK_STR(event_type, "");
	s.swarm_events = true;
	docker_events_write(text, 1, strlen(text), &s);
	CHECK_STR(event_type, "service");
	char box[] = "{\"Action\": \"start\", \"Actor\": {\"ID\": \"c1\"}}\n";
	docker_events_write(box, 1, strlen(box), &s);
	CHECK_STR(event_type, "container");	/* an old engine's event without a Type */
	sbuf_free(&s.ev);
}

int main(void)
{
	RUN_TEST(cpu_from_precpu_as_docker_cli);
	RUN_TEST(cpu_from_an_earlier_sample_and_percpu);
	RUN_TEST(cgroup_v2_subtracts_inactive_file);
	RUN_TEST(no_delta_is_zero_percent);
	RUN_TEST(garbage_counters_are_none);
	RUN_TEST(huge_percentages_are_not_cast);
	RUN_TEST(host_order_is_dockers);
	RUN_TEST(bad_addresses_say_what_is_expected);
	RUN_TEST(containers_are_found_by_name_or_id_prefix);
	RUN_TEST(numbers_out_of_range_are_absent);
	RUN_TEST(event_times_out_of_range_are_absent);
	RUN_TEST(endless_line_is_cut);
	RUN_TEST(image_registry_as_docker_reads_it);
	RUN_TEST(services_sorted_by_stack_then_name);
	RUN_TEST(tasks_by_slot_then_the_newest_failures);
	RUN_TEST(global_replicas_are_its_tasks);
	RUN_TEST(services_as_json_and_copied);
	RUN_TEST(services_of_garbage_are_none);
	RUN_TEST(service_events_only_when_asked);
	UNIT_EXIT();
}
