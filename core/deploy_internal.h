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
/* Starts the master connection in the background (ssh runs `true` and
 * leaves its master behind): the pid to wait for, -1 when it could not
 * start.  Whether it connected is for the first session to say. */
pid_t sw_ssh_connect(struct sw_ssh *s);
/* Ends s's master connection (ssh -O exit). */
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
/* Takes flock(1) on lock on the target (after mkdir -p dir) in a session
 * that holds it as long as the returned fd, its stdin, is open: closing
 * it, or dying, frees the lock.  From then on sw_ssh_run runs its scripts
 * in that session, one after the other, instead of a session each.  -1
 * with *code: 1 when another holds the lock, 127 when the target has no
 * flock, 255 when ssh failed (and *err says why, as sw_ssh_run does),
 * else ssh's exit code, or -1 with *err when it could not start. */
int sw_ssh_lock(struct sw_ssh *s, const char *dir, const char *lock, int *code, char **err);
/* s quoted for sh, appended to sb. */
void sw_sh_quote(struct sbuf *sb, const char *s);

#endif
