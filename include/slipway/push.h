/* A push stage: the image a run built, tagged into a registry and pushed
 * through the container engine (slipway/docker.h).  The executor runs it as
 * a stage process of its own (`slipway __push`), so that timeouts, cancel,
 * masking and logs are those of every stage; the result reaches the stage's
 * record through a file the executor names. */
#ifndef SLIPWAY_PUSH_H
#define SLIPWAY_PUSH_H

#include "slipway/docker.h"

/* The hidden command that is a push stage's process, and the variable the
 * executor names its result file in. */
#define SW_PUSH_COMMAND "__push"

#define SW_PUSH_RESULT_ENV "SLIPWAY_PUSH_RESULT"

/* Expands $NAME, ${NAME} and ${NAME:-DEFAULT} (DEFAULT when NAME is unset
 * or empty, taken as it is) in s from env (NULL-terminated "NAME=value"),
 * without a shell: nothing else is special.  An unset variable, "${" left
 * open, or a '$' that starts no name is an error naming it.  0 with *out,
 * -1 with *err. */
int sw_expand_vars(const char *s, char *const *env, char **out, char **err);

/* What a push stage was asked: the image reference as written in
 * slipway.json, and the registry it is tagged into first (NULL: the image
 * is pushed under its own name); both may hold variables. */
struct sw_push_request {
	const char *image;
	const char *registry;
};

struct sw_push_result {
	char *image;		/* the name pushed: "127.0.0.1:5000/sample:3f2a1c9..." */
	char *digest;		/* "sha256:..."; NULL when the engine did not say */
};

/* The name an image is pushed as: with a registry, the image's path under
 * it (a registry the image named is replaced), else the image as it is.
 * Fills repo ("127.0.0.1:5000/sample") and tag ("3f2a1c9", "latest" when
 * none); -1 with *err for a reference docker would not take. */
int sw_push_target(const char *image, const char *registry, char **repo, char **tag, char **err);
/* The registry a name is pushed to, as X-Registry-Auth's serveraddress:
 * its first component when that is a host ("localhost", a '.' or a ':'),
 * else Docker Hub's. */
char *sw_push_server(const char *repo);

/* Runs the push: expands the image with env, opens the engine (DOCKER_HOST,
 * else docker's default), tags it when a registry is given, pushes it with
 * DOCKER_USERNAME and DOCKER_TOKEN from env when both are set, and tells
 * each step and the engine's progress to fn.  0 with *res filled, -1 with
 * *err readable (the credentials themselves never in it). */
int sw_push_run(const struct sw_push_request *req, char *const *env, sw_docker_progress_fn fn, void *ud,
		struct sw_push_result *res, char **err);
void sw_push_result_free(struct sw_push_result *res);

/* The result file, written atomically: {"image": ..., "digest": ...}.
 * 0 or -errno; reading gives -1 when the file is absent or not one. */
int sw_push_result_write(const char *path, const struct sw_push_result *res);
int sw_push_result_read(const char *path, struct sw_push_result *res);

#endif
