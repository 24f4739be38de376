/* The container engine client: the Docker Engine API over a unix socket or
 * TCP, one code path for the Docker Engine and podman's compatible service
 * (facts in docs/containers.md).  libcurl and cJSON; no terminal here.
 *
 * Every call that fails returns non-zero and sets *err to one line that
 * says what failed and where (the engine's address, the container, the
 * engine's own message).  Text from the engine (names, images, log lines)
 * is kept as it came: the faces neutralise it. */
#ifndef SLIPWAY_DOCKER_H
#define SLIPWAY_DOCKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/util.h"

struct sw_docker;

/* Where the engine is, in docker's order: DOCKER_HOST, else the config's
 * docker.host (config_host, may be NULL), else unix:///var/run/docker.sock.
 * The returned string is one of those three; do not free. */
const char *sw_docker_host_pick(const char *config_host);

/* Connects to host ("unix:///PATH", "tcp://HOST:PORT") and negotiates the
 * API version from /version: the engine's own, capped at the newest this
 * client speaks, never below the engine's minimum.  Errors name the host:
 * "cannot reach the container engine at unix:///run/docker.sock: No such
 * file or directory", permission denied with the docker-group hint, a
 * host that is not an engine. */
int sw_docker_open(const char *host, struct sw_docker **out, char **err);
/* The engine of this repository's containers: DOCKER_HOST, else docker.host
 * of the configuration with main's policy (see sw_project_config), else
 * docker's default; repo NULL outside a repository.  A slipway.json that
 * cannot be read is an error (its message), an absent one is not. */
struct sw_repo;
int sw_docker_open_repo(struct sw_repo *repo, struct sw_docker **out, char **err);
void sw_docker_close(struct sw_docker *d);
const char *sw_docker_host(const struct sw_docker *d);
/* "Docker Engine 20.10.24" or "Podman Engine 4.3.1" */
const char *sw_docker_engine(const struct sw_docker *d);
/* The version the requests use, "1.41". */
const char *sw_docker_api(const struct sw_docker *d);
bool sw_docker_is_podman(const struct sw_docker *d);

enum sw_health {
	SW_HEALTH_NONE,		/* no health check */
	SW_HEALTH_STARTING,
	SW_HEALTH_HEALTHY,
	SW_HEALTH_UNHEALTHY,
};
const char *sw_health_name(enum sw_health h);	/* "", "starting", "healthy", "unhealthy" */

struct sw_container {
	char id[65];
	char *name;		/* without docker's leading "/" */
	char *image;
	char *project;		/* com.docker.compose.project; NULL outside compose */
	char *service;		/* com.docker.compose.service */
	char *state;		/* created, running, paused, restarting, removing, exited, dead */
	enum sw_health health;
	int exit_code;		/* of an exited container */
	int restarts;		/* RestartCount */
	int64_t created;	/* unix seconds */
	int64_t started;	/* unix seconds of the last start; 0 unknown */
	int64_t finished;	/* unix seconds of the last stop; 0 unknown */
	char *ports;		/* "127.0.0.1:8080->80/tcp, 443/tcp"; "" none */
	bool host_network;	/* NetworkMode host: its ports are the host's */
	/* Filled by sw_docker_stats, as the docker CLI computes them. */
	bool has_stats;
	double cpu_pct;
	uint64_t mem_used, mem_limit;
	double mem_pct;
};

struct sw_container_list {
	struct sw_container *items;
	size_t n;
};

/* The containers (only running ones unless all; of one compose project
 * when project is not NULL), inspected for health, restarts and start
 * time, sorted by project (those outside compose last) then name. */
int sw_docker_list(struct sw_docker *d, const char *project, bool all, struct sw_container_list *out,
		   char **err);
void sw_container_list_free(struct sw_container_list *l);
/* The same with CPU % and memory (see sw_docker_stats), the first samples
 * taken beside the inspections: what slipway containers shows. */
int sw_docker_list_stats(struct sw_docker *d, const char *project, bool all, struct sw_container_list *out,
			 char **err);
/* The index of the container named name (or whose id starts with it, at
 * least 4 hex digits); -1 when none. */
long sw_container_find(const struct sw_container_list *l, const char *name);

/* CPU % and memory of every running container of l: two one-shot samples
 * of each, 300 ms apart (dockerd: a collection tick apart), read in parallel; CPU % from the two
 * (podman's one-shot stats have no earlier sample of their own).  A
 * container that went away meanwhile keeps has_stats false. */
int sw_docker_stats(struct sw_docker *d, struct sw_container_list *l, char **err);

/* The CPU % and memory from one stats object, as docker's CLI computes
 * them (stats_helpers.go); pre is the earlier sample's cpu_stats, or NULL
 * for the one inside cur (precpu_stats).  Exposed for the unit tests. */
struct cJSON;
void sw_docker_stats_compute(const struct cJSON *cur, const struct cJSON *pre_cpu, struct sw_container *c);

enum sw_docker_action {
	SW_DOCKER_START,
	SW_DOCKER_STOP,
	SW_DOCKER_RESTART,
};
const char *sw_docker_action_name(enum sw_docker_action a);	/* "start", ... */
/* Starts, stops or restarts one container by name or id.  *already is set
 * when the engine answered 304 (already started or stopped): not an error. */
int sw_docker_act(struct sw_docker *d, const char *name, enum sw_docker_action a, bool *already, char **err);

/* What an action did, in words for a status line: "stopped web", "web was
 * already stopped" (name as given: the faces neutralise it). */
char *sw_docker_act_outcome(const char *name, enum sw_docker_action a, bool already);

/* One line of a container's log, without its newline; stream 1 stdout,
 * 2 stderr.  Return non-zero to stop reading. */
typedef int (*sw_docker_line_fn)(void *ud, int stream, const char *line, size_t len);
/* The log of one container (the last tail lines, all when tail < 0), the
 * multiplexed stream decoded (or the raw one of a TTY container), handed
 * out a line at a time; with follow, until the container stops, the
 * callback says stop, or *stop becomes true (checked a few times a
 * second; may be NULL).  An engine that goes away mid-stream is an error. */
int sw_docker_logs(struct sw_docker *d, const char *name, long tail, bool follow, sw_docker_line_fn fn, void *ud,
		   volatile int *stop, char **err);

/* An event: its type ("container", or "service" and "node" when asked
 * for), the action ("start", "die", "health_status: healthy", "update",
 * ...), the object's id and name, and a container's compose project if any. */
struct sw_docker_event {
	const char *type;
	const char *action;
	const char *id;
	const char *name;
	const char *project;
	int64_t time;
};
typedef int (*sw_docker_event_fn)(void *ud, const struct sw_docker_event *ev);
/* Follows /events for containers (of one project when not NULL) until fn
 * returns non-zero or *stop becomes true; an engine that stops is an
 * error.  Blocks: the dashboard runs it on a thread of its own. */
int sw_docker_events(struct sw_docker *d, const char *project, sw_docker_event_fn fn, void *ud,
		     volatile int *stop, char **err);
/* The same with the swarm's service and node events too, on a Docker
 * Engine (podman has no swarm: its containers' only), for a face that
 * shows the services. */
int sw_docker_events_swarm(struct sw_docker *d, sw_docker_event_fn fn, void *ud, volatile int *stop, char **err);

/* Images. */

/* Gives image (a name, name:tag or id) the name repo:tag as well, as docker
 * tag does. */
int sw_docker_tag(struct sw_docker *d, const char *image, const char *repo, const char *tag, char **err);

struct sw_registry_auth {
	const char *username, *password;	/* NULL: push without credentials */
	const char *server;			/* "127.0.0.1:5000", no scheme */
};
/* One line of a push's progress, as a log shows it ("3f2a1c9e: Pushed"). */
typedef void (*sw_docker_progress_fn)(void *ud, const char *line);
/* Pushes name ("REGISTRY/repo:tag") through the engine.  Failures the
 * engine reports inside its 200 stream are errors too, made readable:
 * credentials refused, registry down, unknown image.  *digest gets the
 * pushed manifest's digest ("sha256:..."), when the engine told it. */
int sw_docker_push(struct sw_docker *d, const char *name, const struct sw_registry_auth *auth,
		   sw_docker_progress_fn fn, void *ud, char **digest, char **err);
/* The X-Registry-Auth value for auth: base64url of its JSON (exposed for
 * the unit tests).  Never logged. */
char *sw_registry_auth_header(const struct sw_registry_auth *auth);

/* Per compose project (containers outside compose under ""), running and
 * total counts and the names of the unhealthy ones, for status --json. */
struct cJSON *sw_container_summary_json(const struct sw_container_list *l);
struct cJSON *sw_container_to_json(const struct sw_container *c);

/* Swarm services (core/docker_swarm.c): the Docker Engine's own
 * orchestrator, what "target": "swarm" deploys through.  Podman has none. */

/* 0 when the engine is a swarm manager; else an error saying what it is
 * ("... is not a swarm manager (`docker swarm init` makes it one)"). */
int sw_swarm_check(struct sw_docker *d, char **err);

struct sw_service {
	char *id, *name;
	char *image;			/* the spec's */
	char *previous_image;		/* PreviousSpec's; NULL when there is none */
	long version;			/* Version.Index: what an update must name */
	char *update_state;		/* UpdateStatus.State ("updating", "completed", "rollback_completed",
					 * ...); NULL before the first update */
	char *update_message;
	char *update_started;		/* UpdateStatus.StartedAt as the engine wrote it */
	bool global;
	long desired;			/* replicas, for a replicated service */
	char *stack;			/* com.docker.stack.namespace; NULL outside a stack */
	const char *mode;		/* "replicated", "global", "replicated-job" or "global-job" */
};
/* The service named name (or its id); "no service NAME on the swarm at
 * HOST" when there is none. */
int sw_service_inspect(struct sw_docker *d, const char *name, struct sw_service *s, char **err);
void sw_service_free(struct sw_service *s);
/* A rolling update of name to image, with FailureAction rollback and a
 * monitor window of monitor_s (force: tasks are replaced even when the
 * image is the same), under the version read just before; auth (may be
 * NULL) is what the nodes pull with. */
int sw_service_update(struct sw_docker *d, const char *name, const char *image, int monitor_s, bool force,
		      const struct sw_registry_auth *auth, char **err);
/* The registry an image name is pulled from ("127.0.0.1:5000", or
 * "docker.io" for one without), as docker reads a name.  Allocated. */
char *sw_image_registry(const char *image);
/* Asks the manager to go back to the service's previous spec. */
int sw_service_rollback(struct sw_docker *d, const char *name, char **err);

/* A state of the update (and its message, may be NULL) as it changes. */
typedef void (*sw_service_note_fn)(void *ud, const char *state, const char *message);
/* Follows name's UpdateStatus until an update that began after before
 * (the StartedAt read before asking; NULL: none was) ends: *state gets
 * "completed", "rollback_completed", "paused" or "rollback_paused".  -1
 * with *err when the engine fails or after timeout_s. */
int sw_service_follow(struct sw_docker *d, const char *name, const char *before, int timeout_s,
		      sw_service_note_fn note, void *ud, char **state, char **err);

struct sw_task {
	char *id, *node;
	char *state, *desired;		/* Status.State and DesiredState: "running", "failed", "shutdown", ... */
	char *error;			/* Status.Err; NULL when none */
	char *image;
	int slot;
	char *updated;			/* UpdatedAt */
};
int sw_service_tasks(struct sw_docker *d, const char *name, struct sw_task **out, size_t *n, char **err);
void sw_tasks_free(struct sw_task *t, size_t n);
/* A service as slipway containers and the Containers panel show it: the
 * service, how many of its tasks run, and its tasks on their nodes. */
struct sw_swarm_service {
	struct sw_service s;
	long running;			/* tasks running that should be */
	long desired;			/* the replicas, or the tasks that should run (global, jobs) */
	/* Those meant to run, by slot then node, then the newest few that
	 * failed (their error says why a service is short); node is the
	 * node's hostname, NULL before the task has one. */
	struct sw_task *tasks;
	size_t ntasks;
};
struct sw_service_list {
	struct sw_swarm_service *items;
	size_t n;
};
/* Every service of the swarm with its tasks, from GET /services, /tasks
 * and /nodes (three requests whatever the count), sorted by stack (those
 * outside a stack last) then name.  An engine that is no swarm manager,
 * or podman, has none: 0 and an empty list, not an error. */
int sw_swarm_services(struct sw_docker *d, struct sw_service_list *out, char **err);
void sw_service_list_free(struct sw_service_list *l);
/* A copy that owns its strings (the live model's snapshots). */
void sw_service_list_copy(struct sw_service_list *dst, const struct sw_service_list *src);
/* {name, stack, image, mode, replicas_running, replicas_desired,
 * update_state, update_message, tasks: [{id, node, state, desired, error,
 * image}]}, for --json. */
struct cJSON *sw_service_to_json(const struct sw_swarm_service *s);

/* An image as docker service ls shows it: without the digest Swarm pinned
 * ("name:tag@sha256:..." is "name:tag").  Allocated; "" for NULL. */
char *sw_image_without_digest(const char *image);

/* The newest distinct task errors of name (of those running image, when
 * not NULL), "task ID (failed): ERR; ...", or NULL when there are none. */
char *sw_service_task_errors(struct sw_docker *d, const char *name, const char *image);

#endif
