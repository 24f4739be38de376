/* The receiver of GitHub's push webhooks (issue 7), for slipway watch.
 * This far: what a push delivery's body says.  No terminal here. */
#ifndef SLIPWAY_WEBHOOK_H
#define SLIPWAY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

/* What slipway watch needs of a push. */
struct sw_webhook_push {
	char *delivery;		/* X-GitHub-Delivery */
	char *repository;	/* repository.full_name: "owner/name" */
	char *ref;		/* "refs/heads/development" */
	char *after;		/* the commit the ref now names: 40 hex digits, lower case */
	bool deleted;		/* the ref was deleted (after is then all zeros) */
};

/* A push's body as content_type (NULL: none) says it is sent: JSON
 * (application/json) or a form whose payload field is the JSON
 * (application/x-www-form-urlencoded).  Into *out (to free with
 * sw_webhook_push_free; delivery left NULL).  0, or the status to answer
 * (400, 415) with *err: one line naming the field or what is wrong, safe
 * for a terminal. */
int sw_webhook_read_push(const char *content_type, const char *body, size_t len, struct sw_webhook_push *out,
			 char **err);
void sw_webhook_push_free(struct sw_webhook_push *p);

#endif
