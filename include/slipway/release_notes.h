/* Release notes: what a release adds over the one it replaced.  The
 * commits between the two (subject, author) with the green runs that
 * proved them, the quality delta of the two releases' proving runs
 * (tests, lint, coverage), and Sentry's issues first seen while the
 * release served and those resolved since the previous one.  The core
 * builds them from the repository, the run store and the deploy journal
 * (sw_release_notes_build), then from Sentry (sw_release_notes_sentry, over
 * the network, which a face may do apart); the faces print the text or the
 * JSON both make. */
#ifndef SLIPWAY_RELEASE_NOTES_H
#define SLIPWAY_RELEASE_NOTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slipway/metrics.h"
#include "slipway/sentry.h"

struct cJSON;
struct sbuf;
struct sw_repo;
struct sw_store;

/* Commits listed at most; the count says when there were more. */
#define SW_NOTES_COMMITS_MAX 1000
/* Sentry issues of each kind read at most. */
#define SW_NOTES_ISSUES_MAX 1000

struct sw_notes_commit {
	char sha[41];
	char *subject, *author;	/* as git has them: untrusted text */
	time_t time;		/* committer time */
	long run;		/* the newest green run of this commit (any branch); 0: none */
};

/* A release's proving run and what it measured. */
struct sw_notes_quality {
	long run;		/* 0: no green run proved it */
	struct sw_metrics metrics;
};

struct sw_release_notes {
	long deploy;		/* the deploy the notes are of; 0 for FROM..TO */
	char *environment;	/* that deploy's (NULL for FROM..TO) */
	const char *status;	/* that deploy's status name (NULL for FROM..TO) */
	bool rollback;		/* that deploy was a rollback */
	char from[41], to[41];	/* from "": a first release, all of to's history */
	/* When the release was deployed (0: never), when the one before it
	 * was (0: unknown), and when a later one replaced it (0: it serves). */
	int64_t deployed_ms, previous_ms, replaced_ms;
	struct sw_notes_commit *commits;	/* newest first, as git log */
	size_t ncommits;
	bool commits_cut;
	size_t proved;		/* commits with a green run */
	struct sw_notes_quality now, before;
	/* Sentry's part: sentry_note says why there is none (not configured,
	 * not deployed, what failed), NULL when the lists are Sentry's answer. */
	bool sentry_read;
	char *sentry_note;
	struct sw_sentry_issue_list new_issues, resolved;
};

/* Which release: deploy ("3", "#3", "deploy:3", "latest") or range
 * ("FROM..TO", two commits or branches), at most one of them; neither:
 * the newest succeeded deploy (not a rollback). */
struct sw_notes_query {
	const char *deploy;
	const char *range;
};

/* The notes but Sentry's part.  SW_ERR_USAGE with *err naming what is
 * wrong: an unknown deploy, a FROM..TO that does not resolve (which side),
 * no succeeded deploy yet. */
int sw_release_notes_build(struct sw_repo *repo, struct sw_store *st, const struct sw_notes_query *q,
			   struct sw_release_notes *out, char **err);
/* Sentry's part with client c: the unresolved issues first seen while the
 * release served (sw_sentry_issue_new_since its deploy, not a later
 * one's), and the resolved ones last seen since the previous release was
 * deployed (this one's, for a first release): Sentry's list of issues
 * says when one was last seen, not when it was resolved.  Never fails: a
 * failure is the sentry_note. */
void sw_release_notes_sentry(struct sw_sentry *c, struct sw_release_notes *n);
/* Sentry's part without it: note says why (taken). */
void sw_release_notes_no_sentry(struct sw_release_notes *n, char *note);
void sw_release_notes_free(struct sw_release_notes *n);

/* The documented JSON (the README's "Release notes"). */
struct cJSON *sw_release_notes_to_json(const struct sw_release_notes *n);

enum sw_notes_format {
	SW_NOTES_TEXT,
	SW_NOTES_MARKDOWN,	/* a changelog's section; outside text escaped for Markdown */
};
/* The notes as people read them, outside text neutralised: all but
 * Sentry's part, then Sentry's part (what a face appends once read). */
void sw_release_notes_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out);
void sw_release_notes_sentry_text(const struct sw_release_notes *n, enum sw_notes_format f, struct sbuf *out);

#endif
