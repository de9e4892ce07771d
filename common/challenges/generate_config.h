/* generate_config.h: the config tables of phasor-generate ([generate], every
 * registered challenge's section, [split.*] with the keys challenges add), in
 * one place for the stage and for whatever reads its configs (the config fuzzer). */
#ifndef PHASOR_GENERATE_CONFIG_H
#define PHASOR_GENERATE_CONFIG_H

#include "core/config.h"

/* The sections, [generate] first and [split.*] last; built on the first call. */
const cfg_section *const *ph_generate_sections(int *n);

#endif
