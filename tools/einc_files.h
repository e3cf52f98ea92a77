/* einc_files.h — the tool's tensors in and out of files.
 *
 * Operands: "-" is a .npy read from standard input (once); FILE.safetensors:NAME is the tensor
 * NAME of a safetensors file (each file is read once however many of its tensors are named);
 * anything else is a .npy file.
 *
 * Outputs, all-or-nothing as far as the kinds allow: "-" is a .npy written to standard output;
 * FILE.safetensors:NAME stores the tensor under NAME in FILE, keeping the other tensors and the
 * metadata of an existing FILE (the whole file is rewritten and replaced atomically; several
 * outputs naming one FILE make one rewrite); anything else is a .npy file. Regular files are
 * staged first (written and synced under temporaries, stale temporaries of dead processes
 * removed), then the streams are written (standard output, devices, FIFOs: in place), and only
 * then are the staged files renamed into place, so a failure before the renames replaces nothing.
 */
#ifndef EINC_FILES_H
#define EINC_FILES_H

#include <stdbool.h>

#include "einc.h"

/* The save flags for every output (EINC_SAVE_NO_SYNC, EINC_SAVE_BREAK_LINKS). For tests,
 * EINC_TOOL_TEST_STALL_WRITE=N in the environment makes the writes of regular outputs stop for
 * good once N bytes (counted over all of them) are written: the process then waits for a
 * signal, so a test can kill it mid-write. */
void einc_tool_files_init(unsigned save_flags);

/* An operand as above; NULL with the error recorded in ctx. */
einc_tensor *einc_tool_load(einc_ctx *ctx, const char *arg);

/* True for "-" and FILE.safetensors:NAME: operands that are never a shape or a number. */
bool einc_tool_is_tensor_ref(const char *arg);

/* Writes results[i] to outs[i] for i < n as above. EINC_OK or the status recorded in ctx. */
einc_status einc_tool_write(einc_ctx *ctx, int n, const char *const *outs, einc_tensor *const *results);

/* Ends the run: prints ctx's error as "Class: message" (fail), frees what the operands loaded
 * and the context. Returns 1 (fail) or rc (done). */
int einc_tool_fail(einc_ctx *ctx);
int einc_tool_done(einc_ctx *ctx, int rc);

#endif /* EINC_FILES_H */
