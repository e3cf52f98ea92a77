/* einc_args.c — splitting the tool's command line into options and positionals (einc_args.h). */
#include "einc_args.h"

#include <stdio.h>
#include <string.h>

#include "einc_suggest.h"

static const char *const long_options[] = {"--output", "--explain", "--no-sync", "--break-links",
                                           "--help",   "--version", "--einx"};

/* An option: "-" followed by a letter, or "--" followed by anything. "-", "-3" and "-.5" are not. */
static bool looks_like_option(const char *s) {
    if (s[0] != '-' || s[1] == '\0') return false;
    if (s[1] == '-') return true;
    return (s[1] >= 'a' && s[1] <= 'z') || (s[1] >= 'A' && s[1] <= 'Z');
}

static int unknown(const char *s) {
    char name[128];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(s, "="), s);
    const char *near = einc_suggest(name, long_options, sizeof long_options / sizeof long_options[0]);
    if (near) fprintf(stderr, "ValueError: unknown option '%s' (did you mean '%s'?)\n", s, near);
    else fprintf(stderr, "ValueError: unknown option '%s' (see einc --help; after '--' it would be an operand)\n", s);
    return 1;
}

static int add_output(einc_cli *cli, const char *file) {
    if (cli->nout == EINC_TOOL_MAX_ARGS) return fprintf(stderr, "ValueError: too many outputs\n"), 1;
    if (!file[0]) return fprintf(stderr, "ValueError: the output file name is empty\n"), 1;
    cli->outs[cli->nout++] = file;
    return 0;
}

int einc_cli_parse(int argc, char **argv, einc_cli *cli) {
    memset(cli, 0, sizeof *cli);
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (!options || !looks_like_option(s)) {
            if (cli->npos == EINC_TOOL_MAX_ARGS) return fprintf(stderr, "ValueError: too many arguments\n"), 1;
            cli->pos[cli->npos++] = s;
        } else if (strcmp(s, "--") == 0) {
            options = false;
        } else if (strcmp(s, "-o") == 0 || strcmp(s, "--output") == 0) {
            if (i + 1 >= argc) return fprintf(stderr, "ValueError: %s needs a file name\n", s), 1;
            if (add_output(cli, argv[++i])) return 1;
        } else if (strncmp(s, "--output=", 9) == 0) {
            if (add_output(cli, s + 9)) return 1;
        } else if (s[1] == 'o') { /* -oFILE */
            if (add_output(cli, s + 2)) return 1;
        } else if (strcmp(s, "--einx") == 0) {
            if (i + 1 >= argc) return fprintf(stderr, "ValueError: --einx needs a version (--einx 0.3)\n"), 1;
            cli->einx = argv[++i];
        } else if (strncmp(s, "--einx=", 7) == 0) {
            cli->einx = s + 7;
        } else if (strcmp(s, "--explain") == 0) {
            cli->explain = true;
        } else if (strcmp(s, "--no-sync") == 0) {
            cli->no_sync = true;
        } else if (strcmp(s, "--break-links") == 0) {
            cli->break_links = true;
        } else if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
            cli->help = true;
        } else if (strcmp(s, "--version") == 0) {
            cli->version = true;
        } else {
            return unknown(s);
        }
    }
    return 0;
}
