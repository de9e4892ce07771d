/* preprocess.h: what phasor-preprocess's tasks share: the parsed options and the
 * task table's row type.  One task per file (spectrum in main.c, import.c). */
#ifndef PHASOR_PREPROCESS_H
#define PHASOR_PREPROCESS_H

typedef struct {
    char **inputs;
    int ninputs;
    const char *out_dir, *device;
    int size, block, force, quiet;
    /* import */
    const char *labels, *maps, *split, *bad, *map_form;
    int classes, seed, chunk, channels;
    char *command; /* the arguments, for the provenance attribute */
} options;

typedef struct {
    const char *name, *summary, *output;
    void (*run)(const options *o);
} task;

void preprocess_import(const options *o);

#endif
