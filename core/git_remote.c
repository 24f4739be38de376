/* What a push tells a remote about who we are, and what it checks about
 * the remote: ssh keys (the agent, then the usual key files) with the
 * host key checked against OpenSSH's known_hosts, and an HTTP(S) token
 * from the secrets. */
#include "git_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "slipway/secrets.h"
#include "slipway/util.h"
#include "command.h"

/* The keys ssh itself tries first, in its order. */
static const char *const key_files[] = {"id_ed25519", "id_ecdsa", "id_rsa"};
#define SSH_STEPS (1 + sizeof key_files / sizeof *key_files)	/* the agent, then the files */

static void set_why(struct sw_git_auth *a, char *why)
{
	free(a->why);
	a->why = why;
}

static char *home_of(const struct sw_git_auth *a)
{
	const char *home = a->env ? sw_env_lookup(a->env, "HOME") : NULL;
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	return xstrdup(home);
}

static char *login_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	return xstrdup(pw ? pw->pw_name : "git");
}

static int ssh_credential(git_credential **out, const char *user, struct sw_git_auth *a)
{
	char *home = home_of(a);
	while (a->ssh_step < SSH_STEPS) {
		size_t step = a->ssh_step++;
		if (step == 0) {
			if (a->env && sw_env_lookup(a->env, "SSH_AUTH_SOCK")) {
				free(home);
				return git_credential_ssh_key_from_agent(out, user);
			}
			continue;
		}
		char *key = xasprintf("%s/.ssh/%s", home, key_files[step - 1]), *pub = xasprintf("%s.pub", key);
		int r = 1;
		if (access(key, R_OK) == 0)
			r = git_credential_ssh_key_new(out, user, access(pub, R_OK) == 0 ? pub : NULL, key, NULL);
		free(key);
		free(pub);
		if (r <= 0) {
			free(home);
			return r;
		}
	}
	set_why(a, xasprintf("no ssh key was accepted for %s (tried the ssh-agent%s and %s/.ssh/id_ed25519, "
			     "id_ecdsa, id_rsa)", user,
			     a->env && sw_env_lookup(a->env, "SSH_AUTH_SOCK") ? "" : ", not running:  no SSH_AUTH_SOCK",
			     home));
	free(home);
	a->auth_failed = true;
	return GIT_EAUTH;
}

/* GIT_TOKEN, else GITHUB_TOKEN: from the environment, else the secrets file. */
static char *find_token(struct sw_git_auth *a, const char **name)
{
	static const char *const names[] = {"GIT_TOKEN", "GITHUB_TOKEN"};
	for (size_t i = 0; i < 2; i++) {
		const char *v = a->env ? sw_env_lookup(a->env, names[i]) : NULL;
		*name = names[i];
		if (v && *v)
			return xstrdup(v);
	}
	for (size_t i = 0; i < 2; i++) {
		char *v = NULL, *err = NULL;
		*name = names[i];
		if (sw_secrets_file_value(names[i], &v, &err)) {
			set_why(a, err);
			return NULL;
		}
		if (v && *v)
			return v;
		free(v);
	}
	return NULL;
}

static int token_credential(git_credential **out, const char *user, struct sw_git_auth *a)
{
	a->auth_failed = true;
	if (a->token_sent) {
		set_why(a, xasprintf("the remote refused the token (%s)", a->token_name));
		return GIT_EAUTH;
	}
	const char *name;
	char *token = find_token(a, &name);
	if (!token) {
		if (!a->why) {
			char *file = sw_secrets_file_path();
			set_why(a, xasprintf("the remote asks for credentials: put a token in GIT_TOKEN (the environment or "
					     "the secrets file %s)", file));
			free(file);
		}
		return GIT_EAUTH;
	}
	a->token_sent = true;
	a->token_name = name;
	/* A token is the password; GitHub and GitLab take any user name. */
	int r = git_credential_userpass_plaintext_new(out, user ? user : "x-access-token", token);
	memset(token, 0, strlen(token));
	free(token);
	return r;
}

static int credentials(git_credential **out, const char *url, const char *url_user, unsigned int allowed,
		       void *payload)
{
	struct sw_git_auth *a = payload;
	(void)url;
	char *login = url_user ? NULL : login_name();
	const char *user = url_user ? url_user : login;
	int r = GIT_EAUTH;
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		r = ssh_credential(out, user, a);
	else if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		r = token_credential(out, url_user, a);
	else if (allowed & GIT_CREDENTIAL_USERNAME)
		r = git_credential_username_new(out, user);
	free(login);
	if (r == GIT_EAUTH && a->why)
		git_error_set_str(GIT_ERROR_NET, a->why);
	return r;
}

/* host:port as known_hosts names it: a port other than 22 in brackets. */
static char *known_hosts_name(const char *url, const char *host)
{
	const char *at = strchr(url, '@'), *scheme = strstr(url, "://");
	const char *h = at ? at + 1 : scheme ? scheme + 3 : url;
	const char *colon = scheme ? strchr(h, ':') : NULL, *slash = strchr(h, '/');
	long port = colon && (!slash || colon < slash) ? strtol(colon + 1, NULL, 10) : 22;
	return port > 0 && port != 22 ? xasprintf("[%s]:%ld", host, port) : xstrdup(host);
}

/* What ssh-keygen -F NAME -f FILE prints: the file's lines for NAME,
 * hashed names included (as ssh reads them).  NULL when it cannot run. */
static char *keygen_find(const char *name, const char *file, bool *ran)
{
	int p[2];
	*ran = false;
	if (pipe2(p, O_CLOEXEC))
		return NULL;
	char *argv[] = {xstrdup("ssh-keygen"), xstrdup("-F"), xstrdup(name), xstrdup("-f"), xstrdup(file), NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	extern char **environ;
	pid_t pid;
	int e = posix_spawnp(&pid, "ssh-keygen", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	for (size_t i = 0; argv[i]; i++)
		free(argv[i]);
	close(p[1]);
	size_t len = 0;
	char *out = e ? NULL : sw_read_fd(p[0], &len);
	close(p[0]);
	int status = 0;
	while (!e && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* 0: found, 1: not found; anything else is ssh-keygen's own trouble. */
	*ran = !e && WIFEXITED(status) && WEXITSTATUS(status) <= 1;
	return out;
}

/* In the order of strength: a file's or a line's verdict wins over a weaker one. */
enum { KEY_UNKNOWN, KEY_DIFFERS, KEY_MATCHES, KEY_REVOKED };

/* The verdict of file's lines for the host on the key blob (base64). */
static int judge(const char *lines, const char *blob)
{
	int verdict = KEY_UNKNOWN;
	char *copy = xstrdup(lines), *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#')
			continue;
		char *f[4] = {0}, *s2 = NULL;
		size_t n = 0;
		for (char *tok = strtok_r(line, " \t", &s2); tok && n < 4; tok = strtok_r(NULL, " \t", &s2))
			f[n++] = tok;
		bool revoked = f[0] && !strcmp(f[0], "@revoked"), marker = f[0] && f[0][0] == '@';
		const char *key = marker ? f[3] : f[2];
		if (!key || (marker && !revoked))
			continue;	/* @cert-authority: certificates are not what libssh2 shows */
		/* A revoked key other than this one says nothing about it. */
		int v = !strcmp(key, blob) ? (revoked ? KEY_REVOKED : KEY_MATCHES) : revoked ? KEY_UNKNOWN : KEY_DIFFERS;
		if (v > verdict)
			verdict = v;
	}
	free(copy);
	return verdict;
}

/* libgit2 1.5 verifies no ssh host key itself: it is checked here against
 * the user's and the system's known_hosts, as ssh would, and a host that
 * is not in them is refused (BatchMode: never asked). */
static int check_host_key(const git_cert_hostkey *hk, const char *host, struct sw_git_auth *a)
{
	if (!(hk->type & GIT_CERT_SSH_RAW)) {
		set_why(a, xasprintf("libgit2 shows no host key of %s to check: not pushing there", host));
		return GIT_ECERTIFICATE;
	}
	char *name = known_hosts_name(a->url, host), *home = home_of(a);
	char *blob = sw_base64(hk->hostkey, hk->hostkey_len, false);
	char *files[] = {xasprintf("%s/.ssh/known_hosts", home), xstrdup("/etc/ssh/ssh_known_hosts")};
	int verdict = KEY_UNKNOWN;
	bool checked = false;
	for (size_t i = 0; i < 2 && verdict != KEY_REVOKED; i++) {
		if (access(files[i], R_OK))
			continue;
		bool ran;
		char *out = keygen_find(name, files[i], &ran);
		checked |= ran;
		int v = out ? judge(out, blob) : KEY_UNKNOWN;
		if (v > verdict)
			verdict = v;
		free(out);
	}
	int r = 0;
	if (verdict == KEY_MATCHES)
		r = 0;
	else if (verdict == KEY_REVOKED)
		set_why(a, xasprintf("the host key of %s is marked @revoked in known_hosts: not pushing there", name));
	else if (verdict == KEY_DIFFERS)
		set_why(a, xasprintf("the host key of %s is not the one known_hosts has for it (a changed server, or "
				     "someone in between): check it, and fix %s/.ssh/known_hosts if it is right",
				     name, home));
	else if (!checked && access(files[0], R_OK) == 0)
		set_why(a, xstrdup("ssh-keygen (Debian's openssh-client) is needed to check the host key"));
	else
		set_why(a, xasprintf("%s is not in %s/.ssh/known_hosts (nor /etc/ssh/ssh_known_hosts): connect once "
				     "with ssh to check its key and keep it, then push again", name, home));
	if (verdict != KEY_MATCHES)
		r = GIT_ECERTIFICATE;
	free(files[0]);
	free(files[1]);
	free(blob);
	free(home);
	free(name);
	return r;
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct sw_git_auth *a = payload;
	int r = 0;
	if (cert->cert_type == GIT_CERT_HOSTKEY_LIBSSH2)
		r = check_host_key((const git_cert_hostkey *)cert, host, a);
	else if (!valid) {
		set_why(a, xasprintf("the TLS certificate of %s is not valid for it", host));
		r = GIT_ECERTIFICATE;
	}
	if (r) {
		a->cert_failed = true;
		git_error_set_str(GIT_ERROR_NET, a->why);
	}
	return r;
}

void sw_git_auth_callbacks(git_remote_callbacks *cb, struct sw_git_auth *auth)
{
	cb->credentials = credentials;
	cb->certificate_check = certificate_check;
	cb->payload = auth;
}

void sw_git_auth_free(struct sw_git_auth *auth)
{
	free(auth->why);
	auth->why = NULL;
}
