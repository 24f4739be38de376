/* A live model of the container engine for a face that must not block:
 * the container list kept fresh by the engine's events (never by polling),
 * CPU and memory refreshed every 2 s while someone looks, a swarm
 * manager's services and tasks kept fresh by the service, node and
 * container events (and by the stats' timer while someone looks, for the
 * tasks of other nodes, which no event here tells of), actions and a
 * followed log run on threads of their own.  The face reads snapshots
 * (copies, under the model's mutex) when the model's fd becomes readable.
 * No terminal here. */
#ifndef SLIPWAY_DOCKER_WATCH_H
#define SLIPWAY_DOCKER_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "slipway/docker.h"

struct sw_docker_watch;

/* What the face draws: a copy it owns. */
struct sw_docker_snapshot {
	struct sw_container_list list;
	/* The swarm's services (none when the engine is no swarm manager);
	 * services_error says why the last listing of them failed, the list
	 * then being the one before. */
	struct sw_service_list services;
	char *services_error;
	char *host;		/* where the engine is looked for */
	char *engine;		/* "Podman Engine 4.3.1"; NULL until reached */
	char *error;		/* why the engine cannot be used now; NULL when it can */
	bool loaded;		/* a first answer came: a list or an error */
	unsigned generation;	/* bumped by every change */
	/* The last action's or log's outcome, for the status line. */
	char *note;
	bool note_error;
	unsigned note_generation;
};

/* Starts the threads; host as sw_docker_host_pick returns it.  Never fails:
 * an engine that cannot be reached is the snapshot's error, retried every
 * few seconds. */
struct sw_docker_watch *sw_docker_watch_start(const char *host);
/* Stops and joins every thread (each within a fraction of a second). */
void sw_docker_watch_stop(struct sw_docker_watch *w);

/* Readable when something changed; drain it with sw_docker_watch_drain. */
int sw_docker_watch_fd(const struct sw_docker_watch *w);
void sw_docker_watch_drain(struct sw_docker_watch *w);
/* The generation now, cheaply: a face copies only when it moved. */
unsigned sw_docker_watch_generation(struct sw_docker_watch *w);
void sw_docker_watch_snapshot(struct sw_docker_watch *w, struct sw_docker_snapshot *out);
void sw_docker_snapshot_free(struct sw_docker_snapshot *s);

/* Stats are read only while the list is visible. */
void sw_docker_watch_visible(struct sw_docker_watch *w, bool visible);
/* Lists again now, the services too (and retries a lost engine now). */
void sw_docker_watch_refresh(struct sw_docker_watch *w);

/* Starts, stops or restarts a container on a thread; the outcome becomes
 * the snapshot's note.  Non-zero (and *err) when another action is still
 * under way. */
int sw_docker_watch_act(struct sw_docker_watch *w, const char *name, enum sw_docker_action a, char **err);

/* Follows name's log (its last tail lines, then what comes), appending each
 * line and a newline to fd, until sw_docker_watch_logs_stop or the
 * container stops.  One log at a time: a new one stops the last.  fd stays
 * the caller's, but must stay open until the log is stopped. */
void sw_docker_watch_logs(struct sw_docker_watch *w, const char *name, long tail, int fd);
void sw_docker_watch_logs_stop(struct sw_docker_watch *w);

/* The copy a snapshot holds (freed with sw_container_list_free); exposed
 * for the unit tests. */
void sw_container_list_copy(struct sw_container_list *dst, const struct sw_container_list *src);
/* Keeps the CPU and memory read earlier (in from) for the containers of to
 * that are still running, matched by id: a re-list does not blank them. */
void sw_container_stats_carry(struct sw_container_list *to, const struct sw_container_list *from);

#endif
