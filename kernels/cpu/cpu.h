/* cpu.h: the CPU backend's functions (reference implementations): ph_cpu_NAME
 * for every op NAME of kernels/ops.def, with the op's parameters. */
#ifndef PHASOR_KERNELS_CPU_H
#define PHASOR_KERNELS_CPU_H

#include "../kernels.h"

#define PH_OP(ret, op, params) ret ph_cpu_##op PH_OP_PARAMS(params);
#include "../ops.def"

#endif
