/* challenge.h: what a stimulus challenge provides to phasor-generate.
 *
 * A challenge is one file plus one row in registry.c.  The stage never
 * switches on a challenge's name: it reads the key table, asks for the
 * parameters, the datasets (fields) and a condition string, then calls
 * generate() once per sample index.  generate() must be a pure function of
 * (params, seed, index): that is what makes outputs rank-count independent. */
#ifndef PHASOR_CHALLENGE_H
#define PHASOR_CHALLENGE_H

#include "core/config.h"
#include "io/h5samples.h"

#include <stddef.h>
#include <stdint.h>

typedef struct ph_challenge {
    const char *name;    /* also its config section */
    const char *summary; /* one line for --help */
    const cfg_section *section;
    /* Reads the validated config; cross-key errors are ph_usage_error. */
    void *(*params_load)(const cfg *c);
    void (*params_free)(void *params);
    /* Datasets of one sample; field 0 is "x" and field 1 is "y". */
    int (*fields)(const void *params, ph_field *out, int max);
    /* Short condition id stored as the file's "condition" attribute. */
    void (*condition)(const void *params, char *buf, size_t n);
    /* Writes sample `index` into out[f] (one sample slot per field, zeroed). */
    void (*generate)(const void *params, uint32_t seed, int64_t index, void *const *out);
    /* Optional: keys this challenge adds to every [split.NAME] section (setting
     * one under another challenge is an error), and the hook that reads them
     * into params before a split is generated (section = "split.NAME"). */
    const cfg_key *split_keys;
    int nsplit_keys;
    void (*split_load)(void *params, const cfg *c, const char *section);
} ph_challenge;

extern const ph_challenge *const ph_challenges[];
extern const int ph_challenge_count;

const ph_challenge *ph_challenge_find(const char *name);
/* "a|b|c" of all registered names, for the config enum. */
const char *ph_challenge_names(void);

#endif
