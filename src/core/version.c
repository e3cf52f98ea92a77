/* einc_version: the library's version string, from the generated einc/version.h. */
#include "einc.h"

const char *einc_version(void) { return EINC_VERSION_STRING; }
