/* backend_select.c: device setting -> backend, with one error line for a missing GPU. */
#include "backend_select.h"

#include "core/error.h"

#include <string.h>

const ph_backend *ph_backend_select(const char *device, const char *setting)
{
    char why[256] = "";
    const int gpus = ph_cuda_device_count(why, sizeof why);
    const char *eq = setting[0] == '-' ? " " : " = "; /* "--device cuda", "[train] device = cuda" */
    if (!strcmp(device, "cuda") && gpus == 0)
        ph_usage_error("%s%scuda, but %s (use %s%scpu or auto)", setting, eq, why, setting, eq);
    return !strcmp(device, "cpu") || gpus == 0 ? &ph_backend_cpu : &ph_backend_cuda;
}
