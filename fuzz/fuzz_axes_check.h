/* fuzz_axes_check.h — the invariants of einc_axes_parse, the parser of constraint text
 * ("nh=4, ds=(2, 2), b=()", the tool's NAME=VALUE arguments), for any input bytes. Shared by the
 * libFuzzer target fuzz/fuzz_axes.c and tests/test_fuzz_replay.c (which replays
 * fuzz/corpus/axes/ in every build).
 *
 * The bytes: byte 0 gives the capacity of the output array (1 + b % 16) and bit 4 of byte 0 a
 * names buffer of 16 bytes instead of 256; the rest, up to the first NUL, is the text. Then:
 *   - the status is EINC_OK or EINC_EVALUE (nothing else: no allocation, no other error), the
 *     context records the same status, and a failure has a non-empty message;
 *   - on success 0 <= n <= cap; every name is a non-empty identifier stored inside the names
 *     buffer and written in the text; every value is EINC_TUPLE or at least -2^62, and its
 *     decimal digits appear in the text;
 *   - parsing the same text again gives the same result.
 */
#ifndef EINC_FUZZ_AXES_CHECK_H
#define EINC_FUZZ_AXES_CHECK_H

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"

static inline bool einc_fuzz_axes_identifier(const char *s) {
    if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
    for (const char *p = s + 1; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    return true;
}

static inline const char *einc_fuzz_axes_check(einc_ctx *ctx, const uint8_t *data, size_t size, bool may_oom) {
    (void)may_oom;
    const char *violation = NULL;
    if (size == 0) return NULL;
    int cap = 1 + data[0] % 16;
    size_t names_size = (data[0] & 16) ? 16 : 256;
    char text[4096];
    size_t len = 0;
    for (size_t i = 1; i < size && len + 1 < sizeof text && data[i]; i++) text[len++] = (char)data[i];
    text[len] = '\0';
    einc_axis axes[16], again[16];
    char names[256], names2[256];
    int n = -1, n2 = -1;
    einc_clear_error(ctx);
    einc_status st = einc_axes_parse(ctx, text, axes, cap, &n, names, names_size);
    EINC_FUZZ_EXPECT(st == EINC_OK || st == EINC_EVALUE,
                     "einc_axes_parse returned a status other than OK or ValueError");
    EINC_FUZZ_EXPECT(einc_errcode(ctx) == st, "the context records another status than the one returned");
    if (st != EINC_OK) {
        EINC_FUZZ_EXPECT(einc_errmsg(ctx)[0] != '\0', "a failure without a message");
    } else {
        EINC_FUZZ_EXPECT(n >= 0 && n <= cap, "more entries than the capacity");
        for (int i = 0; i < n; i++) {
            const char *name = axes[i].name;
            EINC_FUZZ_EXPECT(name >= names && name < names + names_size, "a name outside the names buffer");
            EINC_FUZZ_EXPECT(memchr(name, '\0', (size_t)(names + names_size - name)) != NULL,
                             "a name not terminated inside the names buffer");
            EINC_FUZZ_EXPECT(einc_fuzz_axes_identifier(name), "a name that is not an identifier");
            EINC_FUZZ_EXPECT(strstr(text, name) != NULL, "a name that is not in the text");
            if (axes[i].value == EINC_TUPLE) continue;
            EINC_FUZZ_EXPECT(axes[i].value >= -((int64_t)1 << 62), "a value below -2^62");
            char digits[32];
            snprintf(digits, sizeof digits, "%" PRId64, axes[i].value < 0 ? -axes[i].value : axes[i].value);
            EINC_FUZZ_EXPECT(strstr(text, digits) != NULL, "a value whose digits are not in the text");
        }
    }
    einc_clear_error(ctx);
    einc_status st2 = einc_axes_parse(ctx, text, again, cap, &n2, names2, names_size);
    EINC_FUZZ_EXPECT(st2 == st, "a second parse of the same text gives another status");
    if (st == EINC_OK) {
        EINC_FUZZ_EXPECT(n2 == n, "a second parse gives another number of entries");
        for (int i = 0; i < n; i++) {
            EINC_FUZZ_EXPECT(strcmp(again[i].name, axes[i].name) == 0 && again[i].value == axes[i].value,
                             "a second parse gives another entry");
        }
    }
done:
    einc_clear_error(ctx);
    return violation;
}

#endif /* EINC_FUZZ_AXES_CHECK_H */
