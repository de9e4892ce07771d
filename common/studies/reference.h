/* reference.h: the published and human numbers a study compares with, as data.
 *
 * Each study keeps its reference numbers in TSV files beside its code
 * (common/studies/STUDY/NAME.tsv): lines starting with '#' say where the numbers
 * come from, the first other line names the columns, each further line is a
 * row.  The build embeds every such file in the library (scripts/embed_data.sh),
 * so a binary needs no data folder; the numbers are parsed when a report runs. */
#ifndef PHASOR_REFERENCE_H
#define PHASOR_REFERENCE_H

#include <stddef.h>

typedef struct {
    const char *name; /* "STUDY/NAME.tsv" */
    size_t size;
    const char *text;
} ph_reference_file;

/* Made by the build from common/studies/STUDY/NAME.tsv. */
extern const ph_reference_file ph_reference_files[];
extern const int ph_reference_file_count;

typedef struct {
    char *text;    /* the file's copy, cut into cells */
    int ncols, nrows;
    char **names;  /* [ncols] */
    char **cells;  /* [nrows * ncols], row-major */
} ph_reference;

/* Parses STUDY/NAME.tsv; a missing file, a row of another width or an empty
 * table is fatal (the build embedded a broken file). */
void ph_reference_load(ph_reference *r, const char *name);
void ph_reference_free(ph_reference *r);

/* The "value" cell of the row whose "key" cell is key, in the table `name`
 * (malloc'd); a missing table, column or key is fatal. */
char *ph_reference_value(const char *name, const char *key);

/* The cell of row `row` (0-based) in column `col`; a missing column is fatal. */
const char *ph_reference_cell(const ph_reference *r, int row, const char *col);
/* The same as a number; fatal if it is not one. */
double ph_reference_num(const ph_reference *r, int row, const char *col);

#endif
