/* generate_config.c: phasor-generate's config tables (generate_config.h). */
#include "generate_config.h"

#include "core/error.h"
#include "challenge.h"

static cfg_key generate_keys[] = {
    {"challenge", CFG_ENUM, "pathtracker", 0, 0, NULL, "which challenge to generate"},
    {"out_dir", CFG_STRING, "data", 0, 0, NULL, "output folder (relative to the working directory); one SPLIT.h5 per split"},
    {"chunk", CFG_INT, "0", 0, 65536, NULL,
     "samples per HDF5 chunk (rank ranges are aligned to it); 0: groups of 16, each dataset's chunk the largest "
     "divisor of 16 holding at most 128 KiB, so that training streams batches from the file cheaply"},
    {"deflate", CFG_INT, "1", 0, 9, NULL, "deflate level, 0 = uncompressed (1 suits sparse videos)"},
    {"write_block", CFG_INT, "256", 1, 1 << 20, NULL, "samples per collective write (rounded up to whole chunks)"},
};
static const cfg_section generate_section = {
    "generate", "what to generate and how to write it", generate_keys,
    (int)(sizeof generate_keys / sizeof generate_keys[0]), 0};

/* The common split keys, then those that challenges add. */
#define MAX_SPLIT_KEYS 16
static cfg_key split_keys[MAX_SPLIT_KEYS] = {
    {"n", CFG_INT, NULL, 1, 1e12, NULL, "number of samples"},
    {"seed", CFG_INT, NULL, 0, 4294967295.0, NULL, "Philox seed of this split (use different seeds per split)"},
};
static cfg_section split_section = {
    "split.*", "one output file per [split.NAME] (for example train, val, test)", split_keys, 2, 1};

#define MAX_SECTIONS 16
static const cfg_section *sections[MAX_SECTIONS];
static int nsections;

const cfg_section *const *ph_generate_sections(int *n)
{
    if (!nsections) {
        generate_keys[0].choices = ph_challenge_names();
        sections[nsections++] = &generate_section;
        for (int i = 0; i < ph_challenge_count; i++) {
            if (nsections == MAX_SECTIONS - 1)
                PH_FAIL("listing the generate sections", "too many challenges", "raise MAX_SECTIONS");
            sections[nsections++] = ph_challenges[i]->section;
            for (int k = 0; k < ph_challenges[i]->nsplit_keys; k++) {
                if (split_section.nkeys == MAX_SPLIT_KEYS)
                    PH_FAIL("listing the split keys", "too many", "raise MAX_SPLIT_KEYS");
                split_keys[split_section.nkeys++] = ph_challenges[i]->split_keys[k];
            }
        }
        sections[nsections++] = &split_section;
    }
    *n = nsections;
    return sections;
}
