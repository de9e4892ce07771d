/* fuzz_config.c: libFuzzer harness of the INI config parser and validator.
 *
 * The input is a config file's text, read as phasor-generate reads one: parsed
 * (cfg_parse_text) and validated (cfg_validate) against generate's tables (the
 * [generate] section, every challenge's section, [split.NAME] with the keys the
 * challenges add) plus every model's section; the chosen challenge then loads
 * its parameters and each split's keys (cross-key checks).  A config that
 * validates must survive its own effective text: that text (what every output
 * stores, and what a resumed run compares) parses, validates and gives the same
 * values, or the harness aborts.  Refusals are returns (fuzz_common.h). */
#include "fuzz_common.h"

#include "challenges/challenge.h"
#include "challenges/generate_config.h"
#include "core/config.h"
#include "models/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECTIONS 32
static const cfg_section *sections[MAX_SECTIONS];
static int nsections;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    fuzz_setup("fuzz-config", "config.ini");
    /* phasor-generate's tables, then the models' sections (phasor-train's). */
    int ng;
    const cfg_section *const *gen = ph_generate_sections(&ng);
    for (int i = 0; i < ng && nsections < MAX_SECTIONS; i++) sections[nsections++] = gen[i];
    for (int i = 0; i < ph_model_count && nsections < MAX_SECTIONS; i++) sections[nsections++] = ph_models[i]->section;
    return 0;
}

/* The effective text of a valid config is itself valid and means the same. */
static void roundtrip(const cfg *c)
{
    char *text = cfg_effective_text(c);
    cfg d;
    cfg_init(&d, sections, nsections);
    cfg_parse_text(&d, text, "effective");
    cfg_validate(&d);
    const char *sec, *key;
    if (cfg_diff(c, &d, NULL, &sec, &key) || cfg_diff(&d, c, NULL, &sec, &key)) {
        fprintf(stderr, "fuzz_config: [%s] %s changed through the effective text\n", sec, key);
        abort();
    }
    const char *na[256], *nb[256];
    int n = cfg_section_names(c, "split", na, 256);
    if (cfg_section_names(&d, "split", nb, 256) != n) {
        fprintf(stderr, "fuzz_config: the effective text has another number of splits\n");
        abort();
    }
    cfg_free(&d);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The text as cfg_read_file gives it: NUL-terminated (an embedded NUL ends it). */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    /* volatile: kept across the jump back from a refusal */
    cfg *volatile c = malloc(sizeof *c);
    void *volatile params = NULL;
    const ph_challenge *volatile ch = NULL;
    if (!c) {
        free(text);
        return 0;
    }
    fuzz_armed = 1;
    if (setjmp(fuzz_back) == 0) {
        cfg_init(c, sections, nsections);
        cfg_parse_text(c, text, "fuzz.ini");
        cfg_validate(c);
        /* The validator's second half: the challenge's cross-key checks. */
        ch = ph_challenge_find(cfg_str(c, "generate", "challenge"));
        params = ch->params_load(c);
        ph_field fields[PH_MAX_FIELDS];
        ch->fields(params, fields, PH_MAX_FIELDS);
        const char *splits[256];
        int ns = cfg_section_names(c, "split", splits, 256);
        for (int s = 0; s < ns && ch->split_load; s++) {
            char section[256];
            snprintf(section, sizeof section, "split.%s", splits[s]);
            ch->split_load(params, c, section);
        }
        fuzz_armed = 0;
        roundtrip(c);
    }
    fuzz_armed = 0;
    if (params) ch->params_free(params);
    cfg_free(c);
    free(c);
    free(text);
    return 0;
}
