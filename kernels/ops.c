/* ops.c: the op names and what a backend has, from the op list (kernels/ops.def). */
#include "kernels.h"

#include <stdio.h>

const char *const ph_op_names[PH_OP_COUNT] = {
#define PH_OP(ret, op, params) [PH_OP_##op] = #op,
#include "ops.def"
};

int ph_backend_supports(const ph_backend *be, ph_op op)
{
    switch (op) {
#define PH_OP(ret, op, params) \
    case PH_OP_##op: return be->op != NULL;
#include "ops.def"
    case PH_OP_COUNT: break;
    }
    return 0;
}

int ph_backend_missing(const ph_backend *be, ph_op op, char *why, size_t n)
{
    if (be->missing)
        snprintf(why, n, "%s", be->missing);
    else
        snprintf(why, n, "the %s backend has no op %s", be->name,
                 (unsigned)op < PH_OP_COUNT ? ph_op_names[op] : "(unknown)");
    return -1;
}
