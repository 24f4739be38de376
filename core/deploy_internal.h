/* What the deploy's modules share (core-internal): the journal's layout. */
#ifndef SLIPWAY_CORE_DEPLOY_INTERNAL_H
#define SLIPWAY_CORE_DEPLOY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

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
/* Parses ssh://[user@]host[:port]; nothing is connected yet.  -1 with *err. */
int sw_ssh_open(const char *url, struct sw_ssh **out, char **err);
/* end_master: also end the shared connection and remove its directory
 * (the deploy's process does; the process that started it does not). */
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
/* s quoted for sh, appended to sb. */
void sw_sh_quote(struct sbuf *sb, const char *s);

#endif
