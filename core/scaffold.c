/* slipway init's starter configuration and slipway demo's repository. */
#include "slipway/scaffold.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "slipway/pyproject.h"

#ifndef SW_DATADIR
#define SW_DATADIR "/usr/local/share/slipway"
#endif

/* The interpreter the setup stage makes the venv from: init's own flake8
 * run uses it too, so that it finds what the lint stage will. */
#define STAGE_PYTHON "/usr/bin/python3"
#define FLAKE8_TIMEOUT_MS 120000

static bool exists_in(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static bool file_mentions(const char *dir, const char *name, const char *needle)
{
	char *p = xasprintf("%s/%s", dir, name);
	char *text = sw_read_file(p, NULL);
	free(p);
	bool r = text && strstr(text, needle);
	free(text);
	return r;
}

static void add_stage(struct sbuf *sb, int *count, const char *name, const char *run, const char *extra)
{
	sbuf_addf(sb, "%s    {\"name\": \"%s\", \"run\": \"%s\"%s%s}", (*count)++ ? ",\n" : "", name,
		  run, extra ? ", " : "", extra ? extra : "");
}

/* What the project has, as the starter pipeline goes by it. */
struct probe {
	bool django, reqs, flake8, pytest, docker, python;
};

static void probe_project(const char *dir, struct probe *p)
{
	p->django = exists_in(dir, "manage.py");
	p->reqs = exists_in(dir, "requirements.txt");
	p->flake8 = exists_in(dir, ".flake8") || file_mentions(dir, "setup.cfg", "[flake8]") ||
		    file_mentions(dir, "tox.ini", "[flake8]");
	p->pytest = exists_in(dir, "pytest.ini") || exists_in(dir, "conftest.py") || exists_in(dir, "tests") ||
		    file_mentions(dir, "setup.cfg", "[tool:pytest]") || file_mentions(dir, "pyproject.toml", "[tool.pytest") ||
		    p->django;
	p->docker = exists_in(dir, "Dockerfile");
	p->python = p->django || p->reqs || p->flake8 || p->pytest;
}

/* The venv is made inside the checkout (a fresh one per run, removed
 * with it), so every tool is told to keep out of it: a project's own
 * flake8 "exclude" replaces flake8's defaults, and may name venv but not
 * .venv.  coverage.py leaves what is installed in a venv out by itself. */
static void add_python_stages(struct sbuf *sb, int *n, const struct probe *p, struct strlist *found)
{
	strlist_add(found, p->reqs ? "Python project with requirements.txt" : "Python project");
	/* The venv is kept between runs while requirements.txt stays the same:
	 * making it (ensurepip, mostly) is most of a short pipeline's time, so
	 * a restored one is not made again. */
	add_stage(sb, n, "setup", p->reqs ? "test -x .venv/bin/python || " STAGE_PYTHON " -m venv "
					    "--system-site-packages .venv && "
					    ".venv/bin/pip install --no-index -r requirements.txt"
					  : STAGE_PYTHON " -m venv --system-site-packages .venv",
		  p->reqs ? "\"cache\": [{\"path\": \".venv\", \"key\": [\"requirements.txt\"]}]" : NULL);
	strlist_add(found, p->flake8 ? "flake8 configuration" : "no flake8 configuration (lint stage added anyway)");
	add_stage(sb, n, "lint", ".venv/bin/python -m flake8 --extend-exclude .venv", "\"parse\": \"flake8\"");
	if (!p->pytest)
		return;
	strlist_add(found, p->django ? "Django project (manage.py)" : "pytest tests");
	add_stage(sb, n, "test", ".venv/bin/python -m pytest --ignore=.venv --junitxml=$SLIPWAY_REPORTS/junit.xml "
				 "--cov=. --cov-report=term --cov-report=xml:$SLIPWAY_REPORTS/coverage.xml",
		  "\"parse\": \"pytest\", \"reports\": {\"junit\": \"junit.xml\", \"cobertura\": \"coverage.xml\"}, "
		  "\"timeout\": 600");
}

static void add_gate(struct sbuf *sb, const char *text)
{
	sbuf_addf(sb, "%s%s", sb->buf[sb->len - 1] == '{' ? "" : ", ", text);
}

/* A coverage gate only at the floor the project sets itself: a number
 * made up here would fail a project that never aimed at it. */
static void coverage_gate(struct sbuf *sb, const char *dir, struct strlist *chose)
{
	double floor;
	char *where = NULL;
	if (!sw_py_coverage_floor(dir, &floor, &where)) {
		strlist_add(chose, "no coverage gate: the project sets no floor (fail_under or --cov-fail-under); "
				   "add \"coverage_min\": N to \"gates\" to have one");
		return;
	}
	char *gate = xasprintf("\"coverage_min\": %g", floor);
	add_gate(sb, gate);
	strlist_addf(chose, "coverage_min %g, the project's own floor (%s)", floor, where);
	free(gate);
	free(where);
}

/* A lint gate only when flake8 passes today: one that fails the first run
 * says nothing the count does not. */
static void lint_gate(struct sbuf *sb, const char *dir, struct strlist *chose)
{
	char *why = NULL;
	int n = sw_py_flake8_findings(dir, STAGE_PYTHON, FLAKE8_TIMEOUT_MS, &why);
	if (n == 0) {
		add_gate(sb, "\"lint_max\": 0");
		strlist_add(chose, "lint_max 0: flake8 passes today");
	} else if (n > 0) {
		strlist_addf(chose, "no lint gate: flake8 finds %d problem%s today; once it passes, add \"lint_max\": 0 "
			     "to \"gates\"", n, n == 1 ? "" : "s");
	} else {
		strlist_addf(chose, "no lint gate: flake8 could not run here (%s); once it passes, add \"lint_max\": 0 "
			     "to \"gates\"", why);
	}
	free(why);
}

char *sw_init_config(const char *dir, struct strlist *found, struct strlist *chose)
{
	struct probe p;
	probe_project(dir, &p);
	struct sbuf sb;
	int nstages = 0;
	sbuf_init(&sb);
	sbuf_adds(&sb, "{\n  \"version\": 1,\n  \"main\": \"main\",\n  \"integration\": \"development\",\n"
		       "  \"secrets\": [],\n  \"stages\": [\n");
	if (p.python)
		add_python_stages(&sb, &nstages, &p, found);
	if (p.docker) {
		strlist_add(found, "Dockerfile");
		add_stage(&sb, &nstages, "image", "DOCKER_BUILDKIT=0 docker build -t $IMAGE:$SLIPWAY_COMMIT .",
			  "\"branches\": [\"development\"], \"env\": {\"IMAGE\": \"app\"}");
	}
	if (!p.python && !p.docker) {
		strlist_add(found, "nothing recognised: a placeholder stage");
		add_stage(&sb, &nstages, "build", "make", NULL);
	}
	sbuf_adds(&sb, "\n  ],\n  \"gates\": {");
	if (p.pytest) {
		add_gate(&sb, "\"tests_failed_max\": 0");
		coverage_gate(&sb, dir, chose);
	}
	if (p.python)
		lint_gate(&sb, dir, chose);
	sbuf_adds(&sb, "},\n  \"retention\": {\"runs\": 200}\n}\n");
	return sbuf_detach(&sb);
}

/* The sample beside the running binary (the build's slipway-sample
 * link), else the installed copy. */
char *sw_sample_dir(void)
{
	const char *env = getenv("SLIPWAY_SAMPLE");
	if (env && *env)
		return access(env, F_OK) == 0 ? xstrdup(env) : NULL;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		char *beside = xasprintf("%.*s/slipway-sample", slash ? (int)(slash - exe) : 0, exe);
		if (access(beside, F_OK) == 0)
			return beside;
		free(beside);
	}
	const char *installed = SW_DATADIR "/examples/sample";
	return access(installed, F_OK) == 0 ? xstrdup(installed) : NULL;
}

/* ---- the demo repository ---- */

static bool skip_name(const char *name)
{
	static const char *const skip[] = {".", "..", ".venv", "__pycache__", ".pytest_cache",
					   "db.sqlite3", ".coverage", "BRANCH", "BASE", "MESSAGE"};
	for (size_t i = 0; i < sizeof skip / sizeof *skip; i++)
		if (!strcmp(name, skip[i]))
			return true;
	size_t n = strlen(name);
	return n > 4 && !strcmp(name + n - 4, ".pyc");
}

static int copy_file(const char *from, const char *to, mode_t mode)
{
	size_t len;
	char *data = sw_read_file(from, &len);
	if (!data)
		return -errno;
	int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	int r = fd < 0 ? -errno : 0;
	if (fd >= 0 && write(fd, data, len) != (ssize_t)len)
		r = -EIO;
	if (fd >= 0)
		close(fd);
	free(data);
	return r;
}

static int copy_tree(const char *from, const char *to)
{
	DIR *d = opendir(from);
	if (!d)
		return -errno;
	sw_mkdirs(to, 0755);
	int r = 0;
	struct dirent *de;
	while (!r && (de = readdir(d))) {
		if (skip_name(de->d_name))
			continue;
		char *src = xasprintf("%s/%s", from, de->d_name), *dst = xasprintf("%s/%s", to, de->d_name);
		struct stat st;
		if (lstat(src, &st))
			r = -errno;
		else if (S_ISDIR(st.st_mode))
			r = copy_tree(src, dst);
		else if (S_ISREG(st.st_mode))
			r = copy_file(src, dst, st.st_mode);
		free(src);
		free(dst);
	}
	closedir(d);
	return r;
}

static char *git_err(const char *what)
{
	const git_error *e = git_error_last();
	return xasprintf("%s: %s", what, e && e->message ? e->message : "git error");
}

/* Commits the whole work tree onto refs/heads/branch (created or moved). */
static int commit_all(git_repository *repo, const char *branch, const char *parent_branch,
		      const char *message, char **err)
{
	git_index *index = NULL;
	git_oid tree_id, commit_id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	int r = git_repository_index(&index, repo);
	if (!r)
		r = git_index_add_all(index, NULL, 0, NULL, NULL);
	if (!r)
		r = git_index_write(index) || git_index_write_tree(&tree_id, index);
	if (!r)
		r = git_tree_lookup(&tree, repo, &tree_id);
	if (!r && parent_branch) {
		git_object *obj;
		r = git_revparse_single(&obj, repo, parent_branch);
		parent = r ? NULL : (git_commit *)obj;
	}
	if (!r)
		r = git_signature_now(&sig, "slipway demo", "demo@slipway.invalid");
	if (!r) {
		char *ref = xasprintf("refs/heads/%s", branch);
		const git_commit *parents[] = {parent};
		r = git_commit_create(&commit_id, repo, NULL, sig, sig, NULL, message, tree, parent ? 1 : 0,
				      parents);
		if (!r) {
			git_reference *out;
			r = git_reference_create(&out, repo, ref, &commit_id, 1, "slipway demo");
			if (!r)
				git_reference_free(out);
		}
		if (!r)
			r = git_repository_set_head(repo, ref);
		free(ref);
	}
	if (r)
		*err = git_err("creating the demo commit");
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(index);
	return r ? -1 : 0;
}

static int checkout_branch(git_repository *repo, const char *branch, char **err)
{
	git_object *obj;
	char *ref = xasprintf("refs/heads/%s", branch);
	git_checkout_options opts;
	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
	int r = git_revparse_single(&obj, repo, ref);
	if (!r) {
		r = git_checkout_tree(repo, obj, &opts);
		git_object_free(obj);
	}
	if (!r)
		r = git_repository_set_head(repo, ref);
	free(ref);
	if (r)
		*err = git_err("checking out the demo branch");
	return r ? -1 : 0;
}

static char *overlay_field(const char *overlay, const char *name, const char *dflt)
{
	char *p = xasprintf("%s/%s", overlay, name);
	char *text = sw_read_file(p, NULL);
	free(p);
	if (!text)
		return dflt ? xstrdup(dflt) : NULL;
	size_t n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		text[--n] = '\0';
	return text;
}

/* Each directory of examples/demo-branches is one branch: BRANCH names it,
 * BASE is where it starts (default main), MESSAGE is the commit message,
 * and every other file is laid over the base's tree. */
static int apply_overlay(git_repository *repo, const char *workdir, const char *overlay, char **err)
{
	char *branch = overlay_field(overlay, "BRANCH", NULL);
	char *base = overlay_field(overlay, "BASE", "main");
	char *msg = overlay_field(overlay, "MESSAGE", "Demo change");
	int r = branch ? 0 : -1;
	if (!branch)
		*err = xasprintf("%s/BRANCH: missing", overlay);
	if (!r)
		r = checkout_branch(repo, base, err);
	if (!r && copy_tree(overlay, workdir)) {
		*err = xasprintf("%s: cannot copy: %s", overlay, strerror(errno));
		r = -1;
	}
	if (!r)
		r = commit_all(repo, branch, base, msg, err);
	free(branch);
	free(base);
	free(msg);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int apply_overlays(git_repository *repo, const char *workdir, const char *overlays,
			  struct strlist *branches, char **err)
{
	struct strlist names = {0};
	DIR *d = opendir(overlays);
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			strlist_add(&names, de->d_name);
	if (d)
		closedir(d);
	if (names.len > 1)
		qsort(names.items, names.len, sizeof *names.items, cmp_str);
	int r = 0;
	for (size_t i = 0; i < names.len && !r; i++) {
		char *dir = xasprintf("%s/%s", overlays, names.items[i]);
		r = apply_overlay(repo, workdir, dir, err);
		char *branch = overlay_field(dir, "BRANCH", NULL);
		if (branch)
			strlist_add(branches, branch);
		free(branch);
		free(dir);
	}
	strlist_free(&names);
	return r;
}

static int push_all(git_repository *repo, const char *origin, const struct strlist *branches, char **err)
{
	git_remote *remote = NULL;
	git_repository *bare = NULL;
	int r = git_repository_init(&bare, origin, 1);
	git_repository_free(bare);
	if (!r)
		r = git_remote_create(&remote, repo, "origin", origin);
	struct strlist specs = {0};
	for (size_t i = 0; i < branches->len; i++)
		strlist_addf(&specs, "refs/heads/%s:refs/heads/%s", branches->items[i], branches->items[i]);
	git_strarray arr = {specs.items, specs.len};
	if (!r)
		r = git_remote_push(remote, &arr, NULL);
	for (size_t i = 0; !r && i < branches->len; i++) {
		git_reference *ref;
		char *up = xasprintf("origin/%s", branches->items[i]);
		if (git_branch_lookup(&ref, repo, branches->items[i], GIT_BRANCH_LOCAL) == 0) {
			git_branch_set_upstream(ref, up);
			git_reference_free(ref);
		}
		free(up);
	}
	if (r)
		*err = git_err("pushing the demo to its origin");
	strlist_free(&specs);
	git_remote_free(remote);
	return r ? -1 : 0;
}

static int build_demo(const char *dir, const char *sample, void (*note)(const char *, void *),
		      void *arg, char **err)
{
	char *workdir = xasprintf("%s/sample", dir), *origin = xasprintf("%s/origin.git", dir);
	char *overlays = xasprintf("%s/../demo-branches", sample);
	git_repository *repo = NULL;
	git_repository_init_options opts;
	git_repository_init_options_init(&opts, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	opts.flags = GIT_REPOSITORY_INIT_MKPATH;
	opts.initial_head = "main";
	struct strlist branches = {0};
	strlist_add(&branches, "main");
	int r = copy_tree(sample, workdir) ? -1 : 0;
	if (r)
		*err = xasprintf("%s: cannot copy the sample project: %s", sample, strerror(errno));
	if (!r && git_repository_init_ext(&repo, workdir, &opts)) {
		*err = git_err("creating the demo repository");
		r = -1;
	}
	if (!r)
		r = commit_all(repo, "main", NULL, "Import the sample Django site", err);
	if (!r)
		r = apply_overlays(repo, workdir, overlays, &branches, err);
	if (!r && strlist_has(&branches, "development"))
		r = checkout_branch(repo, "development", err);
	if (!r) {
		note("pushing every branch to the bare origin", arg);
		r = push_all(repo, origin, &branches, err);
	}
	git_repository_free(repo);
	strlist_free(&branches);
	free(workdir);
	free(origin);
	free(overlays);
	return r;
}

int sw_demo_create(const char *dir, const char *sample, bool *reused,
		   void (*note)(const char *line, void *arg), void *arg, char **err)
{
	char *gitdir = xasprintf("%s/sample/.git", dir);
	*reused = access(gitdir, F_OK) == 0;
	free(gitdir);
	if (*reused)
		return 0;
	char *tmp = xasprintf("%s/sample", dir);
	sw_remove_tree(tmp);
	free(tmp);
	tmp = xasprintf("%s/origin.git", dir);
	sw_remove_tree(tmp);
	free(tmp);
	if (sw_mkdirs(dir, 0755)) {
		*err = xasprintf("%s: cannot create: %s", dir, strerror(errno));
		return -1;
	}
	git_libgit2_init();
	note("creating the demo repository from the sample project", arg);
	int r = build_demo(dir, sample, note, arg, err);
	git_libgit2_shutdown();
	return r;
}
