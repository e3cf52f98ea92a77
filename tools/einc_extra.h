/* einc_extra.h — the tool's commands beyond the einx operations: the solvers (solve, solve_axes,
 * solve_shapes, matches, check) and einx 0.3's functions (reduce, elementwise, vmap_with_axis
 * with op=NAME, arange). tools/einc.c hands these names to einc_tool_extra_main.
 */
#ifndef EINC_TOOL_EXTRA_H
#define EINC_TOOL_EXTRA_H

#include <stdbool.h>

#include "einc_args.h"

/* True if `name` is one of these commands. */
bool einc_tool_extra_has(const char *name);
/* Runs `einc NAME 'EXPR' ...` (cli->pos[0] is the command); returns the exit status. */
int einc_tool_extra_main(const einc_cli *cli);
/* Prints `einc NAME --help` to stdout. */
void einc_tool_extra_help(const char *name);
/* The commands' names, NULL-terminated (for "did you mean"). */
extern const char *const einc_tool_extra_names[];
/* The usage lines for `einc --help`. */
extern const char *const einc_tool_extra_usage;

#endif /* EINC_TOOL_EXTRA_H */
