/* What the deploy's modules share (core-internal): the journal's layout. */
#ifndef SLIPWAY_CORE_DEPLOY_INTERNAL_H
#define SLIPWAY_CORE_DEPLOY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "slipway/deploy.h"

#define DEPLOYS_DIR "deploys"		/* under the store's root */
#define DEPLOY_FILE "deploy.json"
#define DEPLOY_LOCK "lock"		/* held by the deploy's process while it lives */

/* Replaces deploy.json atomically (durable: fsync'ed). 0 or -errno. */
int sw_deploy_save(struct sw_store *st, const struct sw_deploy_record *rec, bool durable);
/* The ids in the journal, newest first. */
long *sw_deploy_ids(struct sw_store *st, size_t *n);

/* ---- an ssh:// target (core/deploy_ssh.c) ---- */
struct sbuf;
struct sw_ssh;
/* A private directory (0700, under /tmp: a socket's path is short) for
 * master connections' sockets.  NULL with *err. */
char *sw_ssh_dir(char **err);
/* Parses ssh://[user@]host[:port]; nothing is connected yet.  dir: a
 * directory of sw_ssh_dir() that its caller owns and ends (a fleet's, for
 * all its hosts' deploys), or NULL for one of this connection's own.  -1
 * with *err. */
int sw_ssh_open(const char *url, const char *dir, struct sw_ssh **out, char **err);
/* Ends s's master connection (ssh -O exit), and reaps the ssh of a lock
 * this process took and let go of (sw_ssh_unlock). */
void sw_ssh_disconnect(struct sw_ssh *s);
/* end_master: also end the connection and remove its directory, unless
 * the directory is the caller's (the deploy's process does; the process
 * that started it does not). */
void sw_ssh_close(struct sw_ssh *s, bool end_master);
const char *sw_ssh_url(const struct sw_ssh *s);
/* A local shell command line running remote (shell text) on the target;
 * its stdin goes there.  Allocated. */
char *sw_ssh_line(const struct sw_ssh *s, const char *remote);
/* Runs script with sh on the target (the script on ssh's stdin), for at
 * most timeout_s; its stdout in *out (out may be NULL).  -1 with *err:
 * "cannot reach URL: <ssh's reason> (hint)" when ssh itself failed, else
 * "on URL: <the script's last stderr line> (exit code N)". */
int sw_ssh_run(struct sw_ssh *s, const char *script, int timeout_s, char **out, char **err);
/* As sw_ssh_run with data[0, len) on the script's stdin, in the lock's
 * session (sw_ssh_lock): 1, with nothing run, when there is none.  The
 * data goes in base64 through the session's shell, which holds it whole:
 * for what is small.  On a failure, *out (out may be NULL) holds what it
 * said too, for the step's log. */
int sw_ssh_run_input(struct sw_ssh *s, const char *script, const void *data, size_t len, int timeout_s, char **out,
		     char **err);
/* Takes flock(1) on lock on the target (after mkdir -p dir) in a session
 * that holds it as long as the returned fd, its stdin, is open: closing
 * it, or dying, frees the lock.  From then on sw_ssh_run runs its scripts
 * in that session, one after the other, instead of a session each.  -1
 * with *code: 1 when another holds the lock, 127 when the target has no
 * flock, 255 when ssh failed (and *err says why, as sw_ssh_run does),
 * else ssh's exit code, or -1 with *err when it could not start. */
int sw_ssh_lock(struct sw_ssh *s, const char *dir, const char *lock, int *code, char **err);
/* sw_ssh_lock in two halves, so that a fleet asks all its hosts at once:
 * begin starts the session (the host's master connection when it is the
 * first; -1 with *err when it could not start), wait says what
 * sw_ssh_lock says. */
int sw_ssh_lock_begin(struct sw_ssh *s, const char *dir, const char *lock, char **err);
int sw_ssh_lock_wait(struct sw_ssh *s, int *code, char **err);
/* The lock's session's stdin and stdout (-1 when none), for a child
 * process to go on with (sw_ssh_adopt): a fleet's process holds its
 * hosts' locks, and each host's deploy, its child, runs in the session. */
void sw_ssh_shell(const struct sw_ssh *s, int *in, int *out);
void sw_ssh_adopt(struct sw_ssh *s, int in, int out);
/* Lets go of the lock's session in this process (and of one still being
 * opened): the lock is freed once no process holds it. */
void sw_ssh_unlock(struct sw_ssh *s);
/* s quoted for sh, appended to sb. */
void sw_sh_quote(struct sbuf *sb, const char *s);

#endif
