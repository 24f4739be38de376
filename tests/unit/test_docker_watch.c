/* The container model's pure parts (slipway/docker_watch.h): list copies,
 * stats kept over a re-list, and a model whose engine cannot be reached
 * (an error, then a clean stop). */
#include <poll.h>

#include "slipway/docker_watch.h"
#include "slipway/util.h"
#include "unit.h"

static char empty[] = "";

static struct sw_container box(const char *id, char *name, char *state)
{
	struct sw_container c = {0};
	snprintf(c.id, sizeof c.id, "%s", id);
	c.name = name;
	c.state = state;
	c.ports = empty;
	return c;
}

static char web[] = "web", db[] = "db", fresh[] = "new", running[] = "running", exited[] = "exited",
	    shop[] = "shop";

static void a_copy_owns_its_strings(void)
{
	struct sw_container items[] = {box("aaaa", web, running)};
	items[0].project = shop;
	struct sw_container_list src = {items, 1}, dst;
	sw_container_list_copy(&dst, &src);
	CHECK_INT(dst.n, 1);
	CHECK(dst.items[0].name != items[0].name);
	CHECK_STR(dst.items[0].name, "web");
	CHECK_STR(dst.items[0].project, "shop");
	CHECK(dst.items[0].service == NULL);
	sw_container_list_free(&dst);
	CHECK_INT(dst.n, 0);
}

static void stats_survive_a_relist_of_running_containers(void)
{
	struct sw_container old[] = {box("aaaa", web, running), box("bbbb", db, running)};
	old[0].has_stats = old[1].has_stats = true;
	old[0].cpu_pct = 12.5;
	old[0].mem_used = 4096;
	struct sw_container now[] = {box("aaaa", web, running), box("bbbb", db, exited),
				     box("cccc", fresh, running)};
	struct sw_container_list from = {old, 2}, to = {now, 3};
	sw_container_stats_carry(&to, &from);
	CHECK(now[0].has_stats);
	CHECK(now[0].cpu_pct == 12.5);
	CHECK_INT(now[0].mem_used, 4096);
	/* a stopped container has no CPU to show; a new one has none yet */
	CHECK(!now[1].has_stats);
	CHECK(!now[2].has_stats);
}

static void an_unreachable_engine_is_an_error_then_a_clean_stop(void)
{
	struct sw_docker_watch *w = sw_docker_watch_start("unix:///nonexistent/docker.sock");
	struct sw_docker_snapshot s = {0};
	int64_t deadline = sw_mono_ms() + 10000;
	while (!s.loaded && sw_mono_ms() < deadline) {
		struct pollfd p = {sw_docker_watch_fd(w), POLLIN, 0};
		poll(&p, 1, 200);
		sw_docker_watch_drain(w);
		sw_docker_snapshot_free(&s);
		sw_docker_watch_snapshot(w, &s);
	}
	CHECK(s.loaded);
	CHECK(s.error && strstr(s.error, "cannot reach the container engine at unix:///nonexistent/docker.sock"));
	CHECK_INT(s.list.n, 0);
	sw_docker_watch_visible(w, true);
	int64_t t0 = sw_mono_ms();
	sw_docker_watch_stop(w);
	CHECK(sw_mono_ms() - t0 < 2000);
	sw_docker_snapshot_free(&s);
}

int main(void)
{
	RUN_TEST(a_copy_owns_its_strings);
	RUN_TEST(stats_survive_a_relist_of_running_containers);
	RUN_TEST(an_unreachable_engine_is_an_error_then_a_clean_stop);
	UNIT_EXIT();
}
