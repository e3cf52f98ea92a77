/* fuzz_safetensors_check.h — the property the safetensors fuzz target checks on every input,
 * shared with the corpus replay test (tests/test_fuzz_replay_safetensors.c).
 *
 * For any bytes: einc_safetensors_load_buffer either rejects them with EINC_EFORMAT or
 * EINC_EUNSUPPORTED and a message, or returns a state that saves, loads back to the same
 * names, dtypes, shapes, bytes and metadata, and saves again to the very same bytes. With
 * `allow_nomem`, EINC_ENOMEM at any step is also acceptable (the replay test's allocation sweep).
 * The sanitizers check the rest: no out-of-bounds access, no leak, no undefined behaviour.
 */
#ifndef EINC_FUZZ_SAFETENSORS_CHECK_H
#define EINC_FUZZ_SAFETENSORS_CHECK_H

#include <stdint.h>
#include <string.h>

#include "einc.h"

/* NULL if a and b hold the same tensors (looked up by name) and metadata; else what differs. */
static const char *fuzz_states_differ(const einc_state *a, const einc_state *b) {
    if (einc_state_count(a) != einc_state_count(b)) return "reloaded state has a different number of tensors";
    if (einc_state_metadata_count(a) != einc_state_metadata_count(b)) return "reloaded metadata count differs";
    for (int i = 0; i < einc_state_metadata_count(a); i++) {
        const char *key = einc_state_metadata_key(a, i);
        const char *va = einc_state_metadata(a, key), *vb = einc_state_metadata(b, key);
        if (!vb || strcmp(va, vb) != 0) return "reloaded metadata value differs";
    }
    for (int i = 0; i < einc_state_count(a); i++) {
        const char *name = einc_state_name(a, i);
        int j = einc_state_find(b, name);
        if (j < 0) return "a tensor name is missing after the reload";
        einc_tensor *x = einc_state_at(a, i), *y = einc_state_at(b, j);
        if (!x || !y) return NULL; /* out of memory: the caller sees the recorded error */
        einc_dtype dt = einc_tensor_dtype(x);
        int nd = einc_tensor_ndim(x);
        if (dt != einc_tensor_dtype(y) || nd != einc_tensor_ndim(y)) return "reloaded dtype or rank differs";
        if (nd && memcmp(einc_tensor_shape(x), einc_tensor_shape(y), sizeof(int64_t) * (size_t)nd) != 0)
            return "reloaded shape differs";
        if (!einc_tensor_is_contiguous(x) || !einc_tensor_is_contiguous(y)) return "loaded tensor is not contiguous";
        size_t nbytes = (size_t)einc_tensor_numel(x) * einc_dtype_size(dt);
        if (nbytes && memcmp(einc_tensor_data(x), einc_tensor_data(y), nbytes) != 0) return "reloaded bytes differ";
    }
    return NULL;
}

static const char *fuzz_safetensors_check(einc_ctx *ctx, const uint8_t *data, size_t size, int allow_nomem) {
    const char *bad = NULL;
    void *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    einc_state *r = NULL;
    einc_scope_begin(ctx);
    einc_state *s = einc_safetensors_load_buffer(ctx, data, size);
    if (!s) {
        einc_status code = einc_errcode(ctx);
        if (code == EINC_OK) bad = "load failed without recording an error";
        else if (code != EINC_EFORMAT && code != EINC_EUNSUPPORTED && !(allow_nomem && code == EINC_ENOMEM))
            bad = "load failed with an unexpected status";
        else if (!einc_errmsg(ctx)[0]) bad = "load failed without a message";
        goto done;
    }
    if (einc_errcode(ctx) != EINC_OK) {
        bad = "load succeeded but recorded an error";
        goto done;
    }
    if (einc_safetensors_save_buffer(ctx, s, &b1, &n1) != EINC_OK) goto nomem;
    uint64_t hlen = 0;
    for (int i = 7; n1 >= 8 && i >= 0; i--) hlen = (hlen << 8) | ((const uint8_t *)b1)[i];
    if (n1 < 8 || hlen % 8 != 0 || hlen > n1 - 8) {
        bad = "saved header length is not a multiple of 8 inside the file";
        goto done;
    }
    r = einc_safetensors_load_buffer(ctx, b1, n1);
    if (!r) goto nomem;
    bad = fuzz_states_differ(s, r);
    if (bad || einc_errcode(ctx) != EINC_OK) goto nomem;
    if (einc_safetensors_save_buffer(ctx, r, &b2, &n2) != EINC_OK) goto nomem;
    if (n1 != n2 || memcmp(b1, b2, n1) != 0) bad = "saving the reloaded state gives different bytes";
    goto done;
nomem:
    if (!bad && !(allow_nomem && einc_errcode(ctx) == EINC_ENOMEM))
        bad = einc_errcode(ctx) == EINC_ENOMEM ? "out of memory" : "saving or reloading a loaded state failed";
done:
    einc_buffer_free(ctx, b1, n1);
    einc_buffer_free(ctx, b2, n2);
    einc_state_free(r);
    einc_state_free(s);
    einc_scope_end(ctx);
    einc_clear_error(ctx);
    return bad;
}

#endif /* EINC_FUZZ_SAFETENSORS_CHECK_H */
