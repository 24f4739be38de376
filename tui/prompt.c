/* The bottom line's prompt and confirmations.  The mode is a field, not a
 * character in front of the text: what was typed is only what was typed. */
#include "prompt.h"

#include <ctype.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slipway/merge.h"
#include "tui.h"
#include "view_containers.h"
#include "view_deploys.h"
#include "view_log.h"
#include "view_sentry.h"

unsigned tui_prompt_start(struct tui *t, enum tui_prompt_mode mode)
{
	struct tui_prompt *p = &t->prompt;
	p->mode = mode;
	p->text[0] = '\0';
	p->len = 0;
	p->history_pos = p->nhistory;
	return TUI_REDRAW_STATUS;
}

static void history_add(struct tui_prompt *p, const char *line)
{
	if (p->nhistory == (int)(sizeof p->history / sizeof *p->history)) {
		free(p->history[0]);
		memmove(p->history, p->history + 1, sizeof p->history - sizeof *p->history);
		p->nhistory--;
	}
	p->history[p->nhistory++] = xstrdup(line);
}

static void history_step(struct tui_prompt *p, int dir)
{
	int pos = p->history_pos + dir;
	if (p->mode != TUI_PROMPT_COMMAND || pos < 0 || pos > p->nhistory)
		return;
	p->history_pos = pos;
	snprintf(p->text, sizeof p->text, "%s", pos < p->nhistory ? p->history[pos] : "");
	p->len = strlen(p->text);
}

static bool in_log(struct tui *t)
{
	return t->overlay == &t->views[TUI_V_LOG];
}

static const char *nothing_done(const struct tui_prompt *p)
{
	if (p->deploying)
		return p->deploying == 2 ? "nothing rolled back" : "nothing deployed";
	return p->merging ? "nothing merged" : "nothing cancelled";
}

/* One question at a time: a new one, or its answer, forgets what the
 * last one asked about. */
static void forget_question(struct tui_prompt *p)
{
	p->deploying = 0;
	p->merging = false;
	p->container_act = 0;
	p->issue_status[0] = '\0';
}

/* The question as a name to type (a protected target's). */
static unsigned ask_typed(struct tui *t, const char *word)
{
	snprintf(t->prompt.word, sizeof t->prompt.word, "%s", word);
	free(t->status);
	t->status = NULL;
	return tui_prompt_start(t, TUI_PROMPT_TYPED);
}

/* The question answered yes: what it asked about is done. */
static unsigned confirmed(struct tui *t)
{
	struct tui_prompt *p = &t->prompt;
	int deploying = p->deploying;
	bool merging = p->merging;
	forget_question(p);
	if (deploying)
		return tui_deploys_start(t, deploying == 2);
	return merging ? tui_merge_branch(t, p->branch) : tui_cancel_run(t, p->run);
}

static unsigned typed_confirmation(struct tui *t, const char *typed)
{
	struct tui_prompt *p = &t->prompt;
	if (strcmp(typed, p->word)) {
		tui_set_status(t, false, "%s: \"%s\" is not \"%s\"", nothing_done(p), typed, p->word);
		forget_question(p);
		return TUI_REDRAW_ALL;
	}
	return confirmed(t);
}

static unsigned done(struct tui *t)
{
	struct tui_prompt *p = &t->prompt;
	enum tui_prompt_mode mode = p->mode;
	char line[sizeof p->text];
	snprintf(line, sizeof line, "%s", p->text);
	p->mode = TUI_PROMPT_NONE;
	if (mode == TUI_PROMPT_TYPED)
		return typed_confirmation(t, line);
	if (mode == TUI_PROMPT_FILTER && in_log(t))
		return tui_log_search(t, line);
	if (mode == TUI_PROMPT_FILTER && tui_containers_current(t)) {
		tui_containers_filter(t, line);
		return TUI_REDRAW_ALL;
	}
	if (mode == TUI_PROMPT_FILTER && tui_sentry_current(t)) {
		tui_sentry_filter(t, line);
		return TUI_REDRAW_ALL;
	}
	if (mode == TUI_PROMPT_FILTER) {
		tui_set_filter(t, line);
		return TUI_REDRAW_ALL;
	}
	if (line[0])
		history_add(p, line);
	free(t->status);
	t->status = NULL;
	return tui_command(t, line) | TUI_REDRAW_ALL;
}

static unsigned dropped(struct tui *t)
{
	enum tui_prompt_mode mode = t->prompt.mode;
	t->prompt.mode = TUI_PROMPT_NONE;
	if (mode == TUI_PROMPT_TYPED)
		tui_set_status(t, false, "%s", nothing_done(&t->prompt));
	forget_question(&t->prompt);
	if (mode == TUI_PROMPT_FILTER && tui_containers_current(t))
		tui_containers_filter(t, NULL);
	else if (mode == TUI_PROMPT_FILTER && tui_sentry_current(t))
		tui_sentry_filter(t, NULL);
	else if (mode == TUI_PROMPT_FILTER && !t->overlay)
		tui_set_filter(t, NULL);
	return TUI_REDRAW_ALL;
}

unsigned tui_prompt_key(struct tui *t, int key)
{
	struct tui_prompt *p = &t->prompt;
	if (key == 27)
		return dropped(t);
	if (key == '\n' || key == '\r' || key == KEY_ENTER)
		return done(t);
	if ((key == KEY_BACKSPACE || key == 127 || key == 8) && p->len > 0)
		p->text[--p->len] = '\0';
	else if (key == KEY_UP || key == KEY_DOWN)
		history_step(p, key == KEY_UP ? -1 : 1);
	else if (key == '\t' && p->mode == TUI_PROMPT_COMMAND)
		tui_complete(t);
	else if (key >= 32 && key < 256 && key != 127 && p->len + 1 < sizeof p->text) {
		p->text[p->len++] = (char)key;
		p->text[p->len] = '\0';
	}
	/* Branches, containers and issues filter as one types; a log is searched on Enter. */
	if (p->mode == TUI_PROMPT_FILTER && tui_containers_current(t)) {
		tui_containers_filter(t, p->text);
		return TUI_REDRAW_ALL;
	}
	if (p->mode == TUI_PROMPT_FILTER && tui_sentry_current(t)) {
		tui_sentry_filter(t, p->text);
		return TUI_REDRAW_ALL;
	}
	if (p->mode == TUI_PROMPT_FILTER && !t->overlay) {
		tui_set_filter(t, p->text);
		return TUI_REDRAW_ALL;
	}
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_cancel(struct tui *t, long id, const char *branch, bool typed)
{
	struct tui_prompt *p = &t->prompt;
	forget_question(p);
	p->run = id;
	if (typed)
		return ask_typed(t, branch);
	p->asking = true;
	tui_set_status(t, false, "Cancel run %ld on %s? Its running stage is stopped. [y/N]", id, branch);
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_merge(struct tui *t, const struct sw_merge_plan *plan, const char *word)
{
	struct tui_prompt *p = &t->prompt;
	forget_question(p);
	p->merging = true;
	snprintf(p->branch, sizeof p->branch, "%s", plan->branch);
	/* The subject is drawn neutralised, as every status line is. */
	char proof[40] = "forced";
	if (plan->run)
		snprintf(proof, sizeof proof, "proved by run #%ld", plan->run);
	if (plan->action == SW_MERGE_PULL_REQUEST)
		snprintf(p->merge_text, sizeof p->merge_text,
			 "%s@%.7s \"%.60s\", %s, into %s via pull request on GitHub (%s): push %s to %s, then GitHub "
			 "merges it while its head is %.7s", plan->branch, plan->head, plan->subject ? plan->subject : "",
			 proof, plan->main, plan->github_repo, plan->branch, plan->remote, plan->head);
	else if (plan->action == SW_MERGE_TEST_COMMIT)
		snprintf(p->merge_text, sizeof p->merge_text,
			 "%s@%.7s \"%.60s\", %s: %s moved (%.7s), so a merge commit is tested first and %s moves "
			 "only if it passes, %s%s", plan->branch, plan->head,
			 plan->subject ? plan->subject : "", proof, plan->main, plan->from, plan->main,
			 plan->remote ? "then push to " : "no push (--no-push)", plan->remote ? plan->remote : "");
	else
		snprintf(p->merge_text, sizeof p->merge_text,
			 "%s@%.7s \"%.60s\", %s: fast-forward %s %.7s → %.7s, %s%s", plan->branch, plan->head,
			 plan->subject ? plan->subject : "", proof, plan->main, plan->from, plan->head,
			 plan->remote ? "then push to " : "no push (--no-push)", plan->remote ? plan->remote : "");
	if (word)
		return ask_typed(t, word);
	p->asking = true;
	tui_set_status(t, false, "Merge %s? [y/N]", p->merge_text);
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_deploy(struct tui *t, const char *text, bool rollback, const char *word)
{
	struct tui_prompt *p = &t->prompt;
	forget_question(p);
	p->deploying = rollback ? 2 : 1;
	snprintf(p->deploy_text, sizeof p->deploy_text, "%s", text);
	if (word)
		return ask_typed(t, word);
	p->asking = true;
	/* The text holds a subject: drawn neutralised, as every status line is. */
	tui_set_status(t, false, "%c%s? [y/N]", toupper((unsigned char)text[0]), text + 1);
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_container(struct tui *t, const char *name, int action)
{
	static const char *const verbs[] = {"Start", "Stop", "Restart"};
	struct tui_prompt *p = &t->prompt;
	forget_question(p);
	snprintf(p->word, sizeof p->word, "%s", name);
	p->container_act = action + 1;
	p->asking = true;
	tui_set_status(t, false, "%s container %s? [y/N]", verbs[action], name);
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_issue(struct tui *t, const char *short_id, const char *status)
{
	struct tui_prompt *p = &t->prompt;
	forget_question(p);
	snprintf(p->word, sizeof p->word, "%s", short_id);
	snprintf(p->issue_status, sizeof p->issue_status, "%s", status);
	p->asking = true;
	tui_set_status(t, false, "Mark Sentry issue %s %s? [y/N]", short_id, status);
	return TUI_REDRAW_STATUS;
}

unsigned tui_confirm_key(struct tui *t, int key)
{
	struct tui_prompt *p = &t->prompt;
	p->asking = false;
	bool yes = key == 'y' || key == 'Y';
	if (p->issue_status[0]) {
		char status[sizeof p->issue_status];
		snprintf(status, sizeof status, "%s", p->issue_status);
		p->issue_status[0] = '\0';
		if (yes)
			return tui_sentry_triage(t, p->word, status);
		tui_set_status(t, false, "nothing done: %s left as it is", p->word);
		return TUI_REDRAW_STATUS;
	}
	if (p->container_act) {
		enum sw_docker_action a = (enum sw_docker_action)(p->container_act - 1);
		p->container_act = 0;
		if (yes)
			return tui_containers_act(t, p->word, a);
		tui_set_status(t, false, "nothing done: %s left as it is", p->word);
		return TUI_REDRAW_STATUS;
	}
	if (yes)
		return confirmed(t);
	tui_set_status(t, false, "%s", nothing_done(p));
	forget_question(p);
	return TUI_REDRAW_STATUS;
}

void tui_prompt_draw(struct tui *t, int y)
{
	struct tui_prompt *p = &t->prompt;
	int x = 0;
	if (p->mode == TUI_PROMPT_TYPED) {
		char q[1024];
		if (p->deploying)
			snprintf(q, sizeof q, "%s is protected: type its name to %s: ", p->word, p->deploy_text);
		else if (p->merging)
			snprintf(q, sizeof q, "%s is protected: type its name to merge %s: ", p->word, p->merge_text);
		else
			snprintf(q, sizeof q, "%s is protected: type its name to cancel run %ld: ", p->word, p->run);
		x = tui_put(t, y, 0, COLS, TUI_C_ERROR, q);
	} else {
		x = tui_put(t, y, 0, COLS, TUI_C_STATUS, p->mode == TUI_PROMPT_COMMAND ? ":" : "/");
	}
	int w = tui_put(t, y, x, COLS - x, TUI_C_STATUS, p->text);
	curs_set(1);
	move(y, x + w < COLS ? x + w : COLS - 1);
}

void tui_prompt_free(struct tui_prompt *p)
{
	for (int i = 0; i < p->nhistory; i++)
		free(p->history[i]);
	p->nhistory = 0;
}
