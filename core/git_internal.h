/* libgit2 helpers the core's git users share (core-internal). */
#ifndef SLIPWAY_CORE_GIT_INTERNAL_H
#define SLIPWAY_CORE_GIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

/* As git names a committer; see sw_repo_who.  Allocated. */
char *sw_git_who(git_repository *git);

/* Who a push says it is, and what it checks of the remote (core/git_remote.c):
 * ssh keys from the agent (SSH_AUTH_SOCK), then ~/.ssh/id_ed25519, id_ecdsa,
 * id_rsa, with the host key checked against ~/.ssh/known_hosts and
 * /etc/ssh/ssh_known_hosts by ssh-keygen -F (hashed names too; unknown or
 * changed is refused); for HTTP(S), the token GIT_TOKEN, else GITHUB_TOKEN
 * (environment, else the secrets file) as the password, and a TLS
 * certificate libgit2 finds invalid refused. */
struct sw_git_auth {
	char *const *env;	/* HOME, SSH_AUTH_SOCK, the tokens */
	const char *url;	/* the remote's: the port known_hosts names */
	size_t ssh_step;	/* the next way to log in: the agent, then each key file */
	bool token_sent;
	const char *token_name;	/* the one sent */
	bool auth_failed, cert_failed;
	char *why;		/* what went wrong, for the user; allocated */
};

/* Sets cb's credentials and certificate_check, with auth as the payload
 * (a payload of the caller's own may begin with it). */
void sw_git_auth_callbacks(git_remote_callbacks *cb, struct sw_git_auth *auth);
void sw_git_auth_free(struct sw_git_auth *auth);

#endif
