/* op_table.c — the operation table's rows as data, and the public name lookups. */
#include "op_table.h"

#define ROW(op, name, family, kernel_op, inputs) [EINC_OP_##op] = {name, EINC__FAMILY_##family, kernel_op, inputs},
static const einc__op_info table[EINC_OP_COUNT_] = {EINC__OP_TABLE(ROW)};
#undef ROW

/* every enum value has exactly one row: as many rows as values (a row listed twice is
 * -Woverride-init, a missing one fails here) */
#define ONE(op, name, family, kernel_op, inputs) +1
_Static_assert(0 EINC__OP_TABLE(ONE) == EINC_OP_COUNT_, "op_table.h and einc_op differ in their operations");
#undef ONE

const einc__op_info *einc__op_info_of(einc_op op) { return &table[op]; }

const char *einc_op_name(einc_op op) { return (unsigned)op < EINC_OP_COUNT_ ? table[op].name : "invalid"; }

int einc_op_from_name(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < EINC_OP_COUNT_; i++)
        if (strcmp(table[i].name, name) == 0) return i;
    return -1;
}
