/* The bottom line's prompt (a ':' command, the '/' filter or search) with
 * its history, and the questions asked before a cancel (y/N, or a
 * protected branch's name typed). */
#ifndef SLIPWAY_TUI_PROMPT_H
#define SLIPWAY_TUI_PROMPT_H

#include <stdbool.h>
#include <stddef.h>

struct tui;

enum tui_prompt_mode {
	TUI_PROMPT_NONE,
	TUI_PROMPT_COMMAND,	/* ':' a command line */
	TUI_PROMPT_FILTER,	/* '/' the branch filter, or in a log its search */
	TUI_PROMPT_TYPED,	/* the protected name, to confirm a cancel or a merge */
};

struct tui_prompt {
	enum tui_prompt_mode mode;
	char text[512];		/* what was typed, without the mode's ':' or '/' */
	size_t len;
	char *history[64];	/* command lines, oldest first */
	int nhistory, history_pos;
	bool asking;		/* a y/N question is on the status line */
	long run;		/* the run the question is about */
	char word[256];		/* the name a typed confirmation wants, or the container's */
	int container_act;	/* 1 + the container action asked about; 0: a cancel */
	char issue_status[16];	/* the Sentry status asked about ("resolved"); "": none */
	bool merging;		/* the question is about a merge of branch */
	char branch[256];
	char merge_text[640];	/* what the merge does, as the core planned it */
	int deploying;		/* the question is about a deploy (1) or a rollback (2); 0: not */
	char deploy_text[640];	/* what it does, from the core's plan */
};

struct sw_merge_plan;

unsigned tui_prompt_start(struct tui *t, enum tui_prompt_mode mode);
/* A key while the prompt is open; Enter acts on the line, Esc drops it. */
unsigned tui_prompt_key(struct tui *t, int key);
/* Asks before cancelling run id of branch: y/N, or with typed its name. */
unsigned tui_confirm_cancel(struct tui *t, long id, const char *branch, bool typed);
/* Asks before merging plan's branch: y/N, or with typed the name word. */
unsigned tui_confirm_merge(struct tui *t, const struct sw_merge_plan *plan, const char *word);
/* Asks before a deploy (or a rollback) that text describes: y/N, or with
 * word (the protected environment's name) that name typed. */
unsigned tui_confirm_deploy(struct tui *t, const char *text, bool rollback, const char *word);
/* Asks before starting, stopping or restarting container name: y/N. */
unsigned tui_confirm_container(struct tui *t, const char *name, int action);
/* Asks before marking Sentry issue short_id status ("resolved", "ignored"): y/N. */
unsigned tui_confirm_issue(struct tui *t, const char *short_id, const char *status);
/* The key answering a y/N question. */
unsigned tui_confirm_key(struct tui *t, int key);
/* Draws the open prompt on line y and puts the cursor after it. */
void tui_prompt_draw(struct tui *t, int y);
void tui_prompt_free(struct tui_prompt *p);

#endif
