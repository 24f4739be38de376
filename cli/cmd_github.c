/* slipway github status [RUN] and the hidden __github-status: the GitHub
 * client's face on the command line. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "slipway/github.h"
#include "slipway/secrets.h"
#include "slipway/util.h"

extern char **environ;

static void posted(void *ud, const struct sw_github_status *st, const char *err)
{
	(void)ud;
	if (err)
		return;	/* said once, by the caller */
	printf("posted %s %s: ", st->context, sw_github_state_name(st->state));
	cli_put_text(stdout, st->description, isatty(STDOUT_FILENO));
	putchar('\n');
}

/* slipway github status [RUN]: posts the run's statuses again, as they
 * are now (after a GitHub outage, say). */
static int github_status(int argc, char **argv)
{
	if (argc > 2)
		return cli_usage("github", false);
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	long id = cli_run_id(&ctx, argc == 2 ? argv[1] : "latest");
	char *token = NULL, *err = NULL;
	const char *from = NULL;
	int r = id ? SW_GITHUB_OK : SW_GITHUB_UNUSABLE;
	if (id && sw_github_token(environ, "GITHUB_TOKEN in the environment", &token, &from, &err))
		r = SW_GITHUB_UNUSABLE;
	if (id && !r)
		r = sw_github_post_run(ctx.repo, ctx.store, id, token, from, posted, NULL, &err);
	if (err)
		cli_error(r ? r : 2, "%s", err);
	if (token)
		memset(token, 0, strlen(token));
	free(token);
	free(err);
	cli_close(&ctx);
	return r;
}

int cmd_github(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "status"))
		return github_status(argc - 1, argv + 1);
	return cli_usage("github", false);
}

/* The token sw_run_start wrote into stdin, at most one secret's length. */
static char *read_token(void)
{
	struct sbuf sb;
	sbuf_init(&sb);
	char buf[4096];
	ssize_t n;
	while (sb.len <= SW_SECRET_MAX && (n = read(STDIN_FILENO, buf, sizeof buf)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			sbuf_add(&sb, buf, (size_t)n);
	}
	memset(buf, 0, sizeof buf);
	close(STDIN_FILENO);
	if (!sb.len || sb.len > SW_SECRET_MAX) {
		sbuf_free(&sb);
		return NULL;
	}
	return sbuf_detach(&sb);
}

/* slipway __github-status --token-from WORDS GITDIR RUN (started by
 * sw_run_start; stdout and stderr are the run's github.log). */
int cmd_github_poster(int argc, char **argv)
{
	if (argc != 5 || strcmp(argv[1], "--token-from")) {
		fprintf(stderr, "usage: slipway %s --token-from WORDS GITDIR RUN (started by slipway run)\n",
			SW_GITHUB_STATUS_COMMAND);
		return 2;
	}
	/* The token is in this process's memory: no other process of the
	 * user (a stage) may read it through /proc/PID/mem or ptrace. */
	prctl(PR_SET_DUMPABLE, 0);
	char *token = read_token(), *err = NULL;
	struct sw_repo *repo = NULL;
	struct sw_store *st = NULL;
	long id = strtol(argv[4], NULL, 10);
	int r = 2;
	if (sw_repo_open(&repo, argv[3], &err) || sw_store_open(&st, sw_repo_gitdir(repo), &err))
		fprintf(stderr, "not posted: %s\n", err);
	else
		r = sw_github_watch_run(repo, st, id, token, argv[2]);
	if (token)
		memset(token, 0, strlen(token));
	free(token);
	free(err);
	sw_store_close(st);
	sw_repo_close(repo);
	return r;
}
