/* einc_args.h — the tool's command line: options anywhere, operands in order.
 *
 *   -o FILE, -oFILE, --output FILE, --output=FILE   an output (repeatable, in order)
 *   --explain, --no-sync, --break-links, --help / -h, --version
 *   --einx VERSION, --einx=VERSION                  the einx version whose semantics to use
 *   --                                              every later argument is positional
 *
 * Everything else is positional, in order: the operation, the expression, then operands and
 * NAME=VALUE constraints (classified by the commands). "-" and negative numbers ("-3", "-.5")
 * are positional.
 */
#ifndef EINC_ARGS_H
#define EINC_ARGS_H

#include <stdbool.h>

#define EINC_TOOL_MAX_ARGS 64

typedef struct einc_cli {
    const char *pos[EINC_TOOL_MAX_ARGS]; /* positionals: [0] the operation, [1] the expression, ... */
    int npos;
    const char *outs[EINC_TOOL_MAX_ARGS]; /* the -o files, in order */
    int nout;
    bool explain, no_sync, break_links, help, version;
    const char *einx; /* --einx VERSION as given ("0.3"); NULL: not given */
} einc_cli;

/* Splits argv[1..]. Returns 0, or 1 after printing "ValueError: ..." (unknown option, with a
 * suggestion; -o or --einx without a value; too many arguments). */
int einc_cli_parse(int argc, char **argv, einc_cli *cli);

#endif /* EINC_ARGS_H */
