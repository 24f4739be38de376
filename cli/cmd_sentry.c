/* slipway issues, slipway issues resolve|ignore|unresolve, slipway sentry
 * release: the Sentry client's face on the command line, and the client
 * the other commands that ask Sentry share. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "slipway/config.h"
#include "slipway/deploy.h"
#include "slipway/run.h"
#include "slipway/sentry.h"

static void note(void *ud, const char *msg)
{
	(void)ud;
	cli_error(0, "%s", msg);
}

struct sw_sentry *cli_sentry_client(struct sw_repo *repo, char **why)
{
	struct sw_sentry_settings s;
	*why = NULL;
	if (sw_sentry_settings_load(repo, &s, why))
		return NULL;
	*why = sw_sentry_missing(&s);
	struct sw_sentry *c = *why ? NULL : sw_sentry_new(&s, note, NULL);
	sw_sentry_settings_free(&s);
	return c;
}

/* The settings of this repository (or of the environment alone outside
 * one); prints why they cannot be used and returns 2. */
static int open_sentry(struct sw_repo *repo, struct sw_sentry **out)
{
	char *why;
	*out = cli_sentry_client(repo, &why);
	if (*out)
		return 0;
	cli_error(2, "%s", why);
	free(why);
	return 2;
}

static struct sw_repo *open_repo_if_any(void)
{
	struct sw_repo *repo = NULL;
	char *err = NULL;
	if (sw_repo_open(&repo, ".", &err))
		repo = NULL;	/* outside a repository: the environment alone */
	free(err);
	return repo;
}

static int failed(int code, char *err)
{
	cli_error(code, "%s", err);
	free(err);
	return code;
}

/* ---- the table ---- */

static void print_issue(const struct sw_sentry_issue *i, bool tty)
{
	char age[32];
	sw_sentry_age(i->last_seen, age, sizeof age);
	cli_put_text(stdout, i->level, tty);
	for (size_t k = strlen(i->level); k < 8; k++)
		putchar(' ');
	printf(" %7lld %6lld %5s  ", i->count, i->user_count, age);
	cli_put_text(stdout, i->short_id, tty);
	putchar(' ');
	cli_put_text(stdout, i->title, tty);
	putchar('\n');
}

struct table {
	bool tty;
	bool header_done;
};

/* Each page as it comes: the first one shows while the rest are read. */
static int print_page(void *ud, const struct sw_sentry_issue *items, size_t n)
{
	struct table *t = ud;
	if (n && !t->header_done) {
		printf("LEVEL      COUNT  USERS  LAST  ISSUE\n");
		t->header_done = true;
	}
	for (size_t i = 0; i < n; i++)
		print_issue(&items[i], t->tty);
	fflush(stdout);
	return 0;
}

static void print_json(const struct sw_sentry_issue_list *l)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < l->n; i++)
		cJSON_AddItemToArray(arr, sw_sentry_issue_to_json(&l->items[i]));
	cli_print_json(arr);
	cJSON_Delete(arr);
}

static bool one_of(const char *s, const char *const *v)
{
	for (; *v; v++)
		if (!strcmp(s, *v))
			return true;
	return false;
}

static int list_issues(const struct sw_sentry_query *q, bool json)
{
	struct sw_repo *repo = open_repo_if_any();
	struct sw_sentry *c;
	int rc = open_sentry(repo, &c);
	sw_repo_close(repo);
	if (rc)
		return rc;
	struct table t = {isatty(STDOUT_FILENO), false};
	struct sw_sentry_issue_list l;
	char *err = NULL;
	rc = sw_sentry_issues(c, q, json ? NULL : print_page, &t, &l, &err);
	sw_sentry_free(c);
	if (rc)
		return failed(rc, err);
	if (json)
		print_json(&l);
	else if (!l.n)
		puts("no unresolved issues");
	else if (l.more)
		fprintf(stderr, "slipway: the first %zu issues; Sentry has more (--limit N)\n", l.n);
	sw_sentry_issue_list_free(&l);
	return 0;
}

static int triage(const char *verb, const char *ref)
{
	static const char *const verbs[] = {"resolve", "ignore", "unresolve"};
	static const char *const statuses[] = {"resolved", "ignored", "unresolved"};
	size_t k = 0;
	while (strcmp(verbs[k], verb))
		k++;
	struct sw_repo *repo = open_repo_if_any();
	struct sw_sentry *c;
	int rc = open_sentry(repo, &c);
	sw_repo_close(repo);
	if (rc)
		return rc;
	char *id = NULL, *err = NULL;
	rc = sw_sentry_issue_id(c, ref, &id, &err);
	if (!rc)
		rc = sw_sentry_issue_set_status(c, id, statuses[k], &err);
	sw_sentry_free(c);
	if (!rc) {
		printf("%s %s\n", statuses[k], ref);
	}
	free(id);
	return rc ? failed(rc, err) : 0;
}

static int parse_limit(const char *s, size_t *out)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*end || n <= 0 || n > 1000000)
		return cli_error(2, "--limit expects a number from 1 to 1000000, got \"%s\"", s);
	*out = (size_t)n;
	return 0;
}

/* --since-deploy: from the deploy of the release that serves (the core's
 * rule, as the panel's marks and status's count). */
static int since_deploy(struct sw_sentry_query *q)
{
	struct cli_ctx ctx;
	if (cli_open(&ctx))
		return 2;
	char *env = NULL;
	time_t at = sw_deploy_regressions_since(ctx.repo, ctx.store, &env);
	int rc = 0;
	if (!at)
		rc = cli_error(2, "no succeeded deploy%s%s yet: --since-deploy counts from the last one", env ? " to " : "",
			       env ? env : "");
	else
		q->first_seen_after = at;
	free(env);
	cli_close(&ctx);
	return rc;
}

int cmd_issues(int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'}, {"level", required_argument, NULL, 'L'},
		{"sort", required_argument, NULL, 's'}, {"limit", required_argument, NULL, 'n'},
		{"since-deploy", no_argument, NULL, 'D'}, {0}};
	static const char *const sorts[] = {"date", "freq", "new", NULL};
	static const char *const verbs[] = {"resolve", "ignore", "unresolve", NULL};
	struct sw_sentry_query q = {0};
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'j')
			json = true;
		else if (ch == 'L')
			q.level = optarg;
		else if (ch == 's' && one_of(optarg, sorts))
			q.sort = optarg;
		else if (ch == 's')
			return cli_error(2, "--sort is date, freq or new, not \"%s\"", optarg);
		else if (ch == 'n' && parse_limit(optarg, &q.limit))
			return 2;
		else if (ch == 'D' && since_deploy(&q))
			return 2;
		else if (ch == '?')
			return cli_usage("issues", false);
	}
	if (optind < argc && one_of(argv[optind], verbs)) {
		if (argc - optind != 2)
			return cli_usage("issues", false);
		return triage(argv[optind], argv[optind + 1]);
	}
	if (optind < argc)
		return cli_usage("issues", false);
	return list_issues(&q, json);
}

/* ---- releases ---- */

/* Main's head: the commit a release is of.  40 hex into sha. */
static int main_head(struct sw_repo *repo, char sha[41])
{
	struct sw_config cfg = {0};
	char *err = NULL;
	bool have = sw_project_config(repo, &cfg, &err) == SW_OK;
	free(err);
	err = NULL;
	const char *main = have && cfg.main_branch ? cfg.main_branch : "main";
	int rc = sw_repo_resolve(repo, main, sha, &err);
	if (rc)
		cli_error(2, "%s", err);
	free(err);
	sw_config_free(&cfg);
	return rc ? 2 : 0;
}

static int release(const char *deploy_env)
{
	struct sw_repo *repo = NULL;
	char *err = NULL;
	if (sw_repo_open(&repo, ".", &err))
		return failed(2, err);
	char sha[41];
	struct sw_sentry *c = NULL;
	int rc = main_head(repo, sha);
	if (!rc)
		rc = open_sentry(repo, &c);
	sw_repo_close(repo);
	bool existed = false;
	if (!rc && !(rc = sw_sentry_release(c, sha, &existed, &err)))
		printf(existed ? "release %s was already in Sentry\n" : "created release %s in Sentry\n", sha);
	time_t now = time(NULL);
	if (!rc && deploy_env && !(rc = sw_sentry_deploy(c, sha, deploy_env, now, now, &err))) {
		fputs("marked a deploy of it to ", stdout);
		cli_put_text(stdout, deploy_env, isatty(STDOUT_FILENO));
		putchar('\n');
	}
	sw_sentry_free(c);
	return rc && err ? failed(rc, err) : rc;
}

int cmd_sentry(int argc, char **argv)
{
	static const struct option opts[] = {{"deploy-env", required_argument, NULL, 'e'}, {0}};
	const char *env = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'e' && *optarg)
			env = optarg;
		else
			return cli_usage("sentry", false);
	}
	if (argc - optind != 1 || strcmp(argv[optind], "release"))
		return cli_usage("sentry", false);
	return release(env);
}

/* ---- status ---- */

/* One page sorted by first seen: the unresolved count is the page's, and
 * the regressions, the newest, are all on it unless there are 100 or more. */
cJSON *cli_sentry_status_json(struct cli_ctx *ctx)
{
	struct sw_sentry_settings s;
	char *err = NULL;
	if (sw_sentry_settings_load(ctx->repo, &s, &err)) {
		free(err);
		return cJSON_CreateNull();
	}
	char *missing = sw_sentry_missing(&s);
	cJSON *o = NULL;
	if (!missing) {
		struct sw_sentry *c = sw_sentry_new(&s, NULL, NULL);
		sw_sentry_set_quick(c, true);
		struct sw_sentry_query q = {.one_page = true, .limit = 100, .sort = "new"};
		struct sw_sentry_issue_list l;
		if (sw_sentry_issues(c, &q, NULL, NULL, &l, &err) == 0) {
			time_t since = sw_deploy_regressions_since(ctx->repo, ctx->store, NULL);
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "unresolved", (double)l.n);
			cJSON_AddBoolToObject(o, "more", l.more);
			if (since)
				cJSON_AddNumberToObject(o, "regressions",
							(double)sw_sentry_count_new_since(l.items, l.n, since));
			else
				cJSON_AddNullToObject(o, "regressions");
			sw_sentry_issue_list_free(&l);
		}
		sw_sentry_free(c);
	}
	free(missing);
	free(err);
	sw_sentry_settings_free(&s);
	return o ? o : cJSON_CreateNull();
}
