/* family.c — the plan families' stages, one row per family (plan.h's einc__family_ops).
 *
 * storage_dtypes: the dtypes float16, bfloat16, uint8, int8, int16 and uint64 reach the operations
 * that move data (their kernels copy elements by size), elementwise operations (computed in
 * float32, int32 or uint64 and rounded or wrapped on store), reductions (accumulated as for float32 and the
 * integers) and dot; softmax refuses them before any work. argmax and the indexing operations
 * count the bracketed axes as written, so nothing inside brackets is merged there. */
#include "../notation/front.h"
#include "index.h"
#include "sorting.h"

#define STAGES(f) einc__lower_##f, einc__run_##f, einc__explain_##f

const einc__family_ops einc__families[] = {
    [EINC__FAMILY_ID] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(id), true},
    [EINC__FAMILY_DOT] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(dot), true},
    [EINC__FAMILY_REDUCE] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(reduce), true},
    [EINC__FAMILY_ELEMENTWISE] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(elementwise), true},
    [EINC__FAMILY_SOFTMAX] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(reduce), false},
    [EINC__FAMILY_ARGFIND] = {EINC__CSE, einc__argfind_expanded, STAGES(sorting), true},
    [EINC__FAMILY_SORT] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(sorting), true},
    [EINC__FAMILY_SHIFT] = {EINC__CSE | EINC__CSE_IN_BRACKETS, NULL, STAGES(sorting), true},
    [EINC__FAMILY_INDEX] = {EINC__CSE, einc__index_expanded, STAGES(index), true},
};
