/* backend_select.h: the one place a stage turns its device setting into a backend. */
#ifndef PHASOR_BACKEND_SELECT_H
#define PHASOR_BACKEND_SELECT_H

#include "kernels.h"

/* device is "cpu", "cuda" or "auto" (the CUDA backend when a GPU is usable,
 * else the CPU).  "cuda" without a usable GPU is a usage error (exit 2) whose
 * line names the setting as the user wrote it: "--device" for an option,
 * "[train] device" for a config key. */
const ph_backend *ph_backend_select(const char *device, const char *setting);

#endif
