/* checkpoint.h: training state in one HDF5 file, written atomically.
 *
 * /params/NN/{w,m,v} float32 per parameter tensor (in the model's fixed
 * order), attributes: phasor_checkpoint (version), model, step, seed, config.
 * A checkpoint is only ever replaced by a complete one (NAME.partial, then
 * rename), so the last good one survives any failure. */
#ifndef PHASOR_CHECKPOINT_H
#define PHASOR_CHECKPOINT_H

#include "nn.h"

#include <stdint.h>

/* Rank 0 only. */
void ph_checkpoint_save(const char *path, ph_param *const *params, int np, const char *model,
                        int64_t step, uint32_t seed, const char *config_text);
/* Any rank.  Returns the step stored, after loading every tensor; fatal with
 * one line if the file is not a checkpoint of this model and shape. */
int64_t ph_checkpoint_load(const char *path, ph_param *const *params, int np, const char *model);

#endif
