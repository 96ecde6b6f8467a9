#ifndef EDGESYNC_CSPAWN_H
#define EDGESYNC_CSPAWN_H

#include <spawn.h>

/// Closes every descriptor from `from` up in the child of a `posix_spawn`: glibc's
/// `posix_spawn_file_actions_addclosefrom_np`, which its header declares only for _GNU_SOURCE.
int edgesync_spawn_close_from(posix_spawn_file_actions_t *actions, int from);

#endif
