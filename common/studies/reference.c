/* reference.c: the studies' reference tables (reference.h). */
#include "reference.h"

#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const ph_reference_file *reference_file_find(const char *name)
{
    for (int i = 0; i < ph_reference_file_count; i++)
        if (!strcmp(ph_reference_files[i].name, name)) return &ph_reference_files[i];
    return NULL;
}

/* Cuts line (NUL-terminated, no newline) at its tabs into out[0..max); the cell count. */
static int reference_split(char *line, char **out, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n < max) out[n] = p;
        n++;
        p = strchr(p, '\t');
        if (!p) return n;
        *p = '\0';
    }
}

void ph_reference_load(ph_reference *r, const char *name)
{
    memset(r, 0, sizeof *r);
    char what[256];
    snprintf(what, sizeof what, "reading the reference table %s", name);
    const ph_reference_file *f = reference_file_find(name);
    if (!f) PH_FAIL(what, "not built in", "rebuild phasor (make): common/studies/STUDY/NAME.tsv is embedded by the build");
    r->text = malloc(f->size + 1);
    PH_CHECK_ALLOC(r->text, what);
    memcpy(r->text, f->text, f->size);
    r->text[f->size] = '\0';
    size_t lines = 1;
    for (size_t i = 0; i < f->size; i++) lines += f->text[i] == '\n';
    char **line = malloc(lines * sizeof *line);
    PH_CHECK_ALLOC(line, what);
    int n = 0;
    for (char *save = NULL, *l = strtok_r(r->text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
        if (l[0] != '#') line[n++] = l;
    if (n < 2) PH_FAIL(what, "no header and rows", "fix the file in common/studies and rebuild");
    r->ncols = 1;
    for (const char *p = line[0]; *p; p++) r->ncols += *p == '\t';
    r->names = malloc((size_t)r->ncols * sizeof *r->names);
    r->nrows = n - 1;
    r->cells = malloc((size_t)r->nrows * (size_t)r->ncols * sizeof *r->cells);
    PH_CHECK_ALLOC(r->names, what);
    PH_CHECK_ALLOC(r->cells, what);
    reference_split(line[0], r->names, r->ncols);
    for (int i = 1; i < n; i++)
        if (reference_split(line[i], r->cells + (size_t)(i - 1) * (size_t)r->ncols, r->ncols) != r->ncols)
            PH_FAIL(what, "a row's cell count differs from the header's", "fix the file in common/studies and rebuild");
    free(line);
}

void ph_reference_free(ph_reference *r)
{
    free(r->text), free(r->names), free(r->cells);
    memset(r, 0, sizeof *r);
}

const char *ph_reference_cell(const ph_reference *r, int row, const char *col)
{
    for (int c = 0; c < r->ncols; c++)
        if (!strcmp(r->names[c], col)) return r->cells[(size_t)row * (size_t)r->ncols + (size_t)c];
    char what[128];
    snprintf(what, sizeof what, "reading column %s of a reference table", col);
    PH_FAIL(what, "no such column", "fix the file in common/studies or the report that reads it");
}

char *ph_reference_value(const char *name, const char *key)
{
    ph_reference r;
    ph_reference_load(&r, name);
    char *v = NULL;
    for (int i = 0; i < r.nrows && !v; i++)
        if (!strcmp(ph_reference_cell(&r, i, "key"), key)) v = strdup(ph_reference_cell(&r, i, "value"));
    ph_reference_free(&r);
    char what[256];
    snprintf(what, sizeof what, "reading %s from the reference table %s", key, name);
    if (!v) PH_FAIL(what, "no such key", "fix the file in common/studies and rebuild");
    return v;
}

double ph_reference_num(const ph_reference *r, int row, const char *col)
{
    const char *s = ph_reference_cell(r, row, col);
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) PH_FAIL("reading a reference table", "a cell is not a number", "fix the file in common/studies");
    return v;
}
