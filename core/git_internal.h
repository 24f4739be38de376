/* libgit2 helpers the core's git users share (core-internal). */
#ifndef SLIPWAY_CORE_GIT_INTERNAL_H
#define SLIPWAY_CORE_GIT_INTERNAL_H

#include <git2.h>

/* As git names a committer; see sw_repo_who.  Allocated. */
char *sw_git_who(git_repository *git);

#endif
