/* A live model of the Sentry project's unresolved issues for a face that
 * must not block: listed on a thread (the first page published at once,
 * the rest as they come), again every minute while someone looks, triage
 * and what else is read (an issue's latest event, release notes' Sentry
 * part) each on a thread of its own.  The face reads snapshots (copies, under the
 * model's mutex) when the model's fd becomes readable.  No terminal here. */
#ifndef SLIPWAY_SENTRY_WATCH_H
#define SLIPWAY_SENTRY_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "slipway/sentry.h"

struct sw_repo;
struct sw_sentry_watch;

/* What the face draws: a copy it owns. */
struct sw_sentry_snapshot {
	struct sw_sentry_issue_list list;	/* in Sentry's order: last seen first */
	char *project;		/* "org/project"; NULL when not configured */
	char *missing;		/* "Sentry is not configured: ..."; NULL when it is */
	char *error;		/* why the last listing failed; NULL when it worked */
	bool loaded;		/* a first answer came: a page, an error, or missing */
	bool complete;		/* every page of the last listing has come */
	unsigned generation;	/* bumped by every change */
	/* The last triage's outcome (or a rate limit's wait), for the status line. */
	char *note;
	bool note_error;
	unsigned note_generation;
};

/* Loads the settings (repo NULL outside a repository) and, when they are
 * complete, starts listing.  Never fails: missing settings are the
 * snapshot's missing, a Sentry that cannot be used its error, retried. */
struct sw_sentry_watch *sw_sentry_watch_start(struct sw_repo *repo);
/* Stops and joins every thread (a request under way is abandoned). */
void sw_sentry_watch_stop(struct sw_sentry_watch *w);

/* Readable when something changed; drain it with sw_sentry_watch_drain. */
int sw_sentry_watch_fd(const struct sw_sentry_watch *w);
void sw_sentry_watch_drain(struct sw_sentry_watch *w);
unsigned sw_sentry_watch_generation(struct sw_sentry_watch *w);
void sw_sentry_watch_snapshot(struct sw_sentry_watch *w, struct sw_sentry_snapshot *out);
void sw_sentry_snapshot_free(struct sw_sentry_snapshot *s);

/* The list is read again every minute only while it is visible. */
void sw_sentry_watch_visible(struct sw_sentry_watch *w, bool visible);
/* Lists again now (unless a listing is under way). */
void sw_sentry_watch_refresh(struct sw_sentry_watch *w);

/* Sets issue id's status ("resolved", "ignored") on a thread; short_id
 * names it in the outcome, which becomes the snapshot's note (and a
 * resolved or ignored issue leaves the list).  Non-zero (and *err) when
 * Sentry is not configured or another triage is still under way. */
int sw_sentry_watch_triage(struct sw_sentry_watch *w, const char *id, const char *short_id, const char *status,
			   char **err);

/* The reader, a thread of its own for one request at a time: it writes
 * the answer to fd (which it owns, and closes), and the face is woken
 * then.  A new request replaces one not answered yet, whose fd is closed
 * unwritten.  Issue id's latest event: what sw_sentry_event_text says of
 * its stack frames, or one line saying why it could not be read. */
void sw_sentry_watch_event(struct sw_sentry_watch *w, const char *id, int fd);
/* Release notes' Sentry part (sw_release_notes_sentry, then its text), of
 * the release and times n has. */
struct sw_release_notes;
void sw_sentry_watch_notes(struct sw_sentry_watch *w, const struct sw_release_notes *n, int fd);
/* Gives up the request waiting or under way (its fd closed unwritten). */
void sw_sentry_watch_read_cancel(struct sw_sentry_watch *w);
/* A request is waiting or under way. */
bool sw_sentry_watch_read_busy(struct sw_sentry_watch *w);

/* The pure parts, exposed for the unit tests. */

enum sw_sentry_order {
	SW_SENTRY_BY_LAST_SEEN,	/* the most recently seen first */
	SW_SENTRY_BY_COUNT,	/* the most events first */
};
/* idx (n entries, indices into items) in order o; ties keep idx's order. */
void sw_sentry_issues_order(size_t *idx, size_t n, const struct sw_sentry_issue *items, enum sw_sentry_order o);
/* Appends copies of items to l. */
void sw_sentry_issues_append(struct sw_sentry_issue_list *l, const struct sw_sentry_issue *items, size_t n);
/* Takes issue id out of l; false when it is not there. */
bool sw_sentry_issues_drop(struct sw_sentry_issue_list *l, const char *id);

#endif
