/* registry.c: the table of models.  Adding one = one file + one row. */
#include "cnn3d.h"
#include "cvrnn.h"
#include "frame.h"
#include "int.h"
#include "resnet.h"

#include <string.h>

const ph_model_def *const ph_models[] = {
    &ph_model_cnn3d,
    &ph_model_resnet,
    &ph_model_int,
    &ph_model_cvrnn,
    &ph_model_frame,
};
const int ph_model_count = (int)(sizeof ph_models / sizeof ph_models[0]);

const ph_model_def *ph_model_find(const char *name)
{
    for (int i = 0; i < ph_model_count; i++)
        if (!strcmp(ph_models[i]->name, name)) return ph_models[i];
    return NULL;
}

const char *ph_model_names(void)
{
    static char buf[256];
    if (!buf[0])
        for (int i = 0; i < ph_model_count; i++) {
            if (i) strncat(buf, "|", sizeof buf - strlen(buf) - 1);
            strncat(buf, ph_models[i]->name, sizeof buf - strlen(buf) - 1);
        }
    return buf;
}
