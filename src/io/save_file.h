/* save_file.h — the one way the savers replace a user's file (temporary, sync, rename, sync dir). */
#ifndef EINC_SAVE_FILE_H
#define EINC_SAVE_FILE_H

#include <sys/types.h>

#include "../core/internal.h"

/* One replacement in progress. Begin creates the temporary; writes go through the I/O hooks;
 * end either removes the temporary (status != EINC_OK) or syncs it and renames it into place
 * (or, with EINC_SAVE_STAGE, hands its name to the caller). */
typedef struct einc__saver {
    einc_ctx *ctx;
    const char *fname; /* the public function, first word of every message */
    const char *path;  /* as the caller named it                                   */
    char *target;      /* [target_cap] path with symbolic links followed            */
    size_t target_cap;
    einc_save_options opt; /* a copy; flags 0 and no hooks when the caller gave none */
    int fd;
    char *tmp; /* [tmp_cap] the temporary's path */
    size_t tmp_cap;
    bool in_place; /* the destination is a device, FIFO or socket: written directly, no temporary */
    bool have_old; /* a regular file was replaced: its owner and mode go to the new one */
    uid_t old_uid;
    gid_t old_gid;
    mode_t old_mode;
} einc__saver;

/* Checks the destination (directory, hard links, symlink), creates the temporary with the old
 * file's mode and owner. A destination that exists and is neither a regular file nor a directory
 * (a character or block device, a FIFO, a socket; links followed) is opened and written in place
 * instead: it cannot be renamed over, and replacing it would destroy it. Staging one is EINC_EINVAL. On failure records
 * EINC_EIO / EINC_ENOMEM / EINC_EINVAL and nothing is left to clean. */
einc_status einc__save_begin(einc__saver *s, einc_ctx *ctx, const char *fname, const char *path,
                             const einc_save_options *options);
/* Writes all `n` bytes (short writes are continued; a write of 0 bytes counts as ENOSPC). */
einc_status einc__save_write(einc__saver *s, const void *p, size_t n);
/* Finishes: `status` is what the caller's writes gave. Returns the final status. */
einc_status einc__save_end(einc__saver *s, einc_status status);

/* The temporaries einc_save_remove_temporaries (a signal handler) may unlink: `tmp` must stay
 * valid until untracked. */
void einc__temp_track(const char *tmp);
void einc__temp_untrack(const char *tmp);

#endif /* EINC_SAVE_FILE_H */
