/* config.h: typed INI configuration, one key table per section.
 *
 * Every key has a type, a default (NULL: required), a range and a one-line doc.
 * The same tables validate files, apply --set overrides, print --help and
 * write the effective config text that every output stores. */
#ifndef PHASOR_CONFIG_H
#define PHASOR_CONFIG_H

#include <stdint.h>
#include <stdio.h>

typedef enum { CFG_INT, CFG_REAL, CFG_BOOL, CFG_STRING, CFG_ENUM, CFG_TYPE_COUNT } cfg_type;
extern const char *const cfg_type_names[CFG_TYPE_COUNT];

typedef struct {
    const char *key;
    cfg_type type;
    const char *def;     /* default as text; NULL means the key is required */
    double min, max;     /* CFG_INT and CFG_REAL only */
    const char *choices; /* CFG_ENUM only: "a|b|c" */
    const char *doc;
} cfg_key;

/* A section table.  A name ending in ".*" (for example "split.*") matches
 * any number of sections "split.NAME"; at least min_count must be present. */
typedef struct {
    const char *name;
    const char *doc;
    const cfg_key *keys;
    int nkeys;
    int min_count; /* pattern sections only */
} cfg_section;

typedef struct {
    char *section, *key, *value;
    char where[320]; /* "file:line" or "--set" */
} cfg_entry;

typedef struct {
    const cfg_section *const *sections;
    int nsections;
    cfg_entry *entries;
    int nentries, cap;
    char source[256]; /* config file name, for messages */
} cfg;

void cfg_init(cfg *c, const cfg_section *const *sections, int nsections);
void cfg_free(cfg *c);

/* Parse INI text read from `source`; syntax errors are usage errors naming file:line.  Text that
 * is not a config file on disk (a checkpoint's stored config) includes nothing: an include line
 * is an error. */
void cfg_parse_text(cfg *c, const char *text, const char *source);

/* Includes.  A line `include = FILE` before the first section of a config file reads FILE there
 * (FILE relative to the including file's folder, unless absolute): the included file's sections
 * and keys come first, and the including file's keys replace the same keys of the same section
 * (in place) or add keys and sections.  A file may include several files, in order, each as if
 * read there; a key given twice in ONE file is an error, a later file's replaces an earlier
 * file's.  Includes nest up to CFG_INCLUDE_DEPTH files deep; a cycle, a missing file and an
 * include after a section are errors naming file:line.  slurm/expand.awk reads experiments by
 * the same rules. */
enum { CFG_INCLUDE_DEPTH = 8 };
/* The config file `path` and every file it includes, as one block of *size bytes (malloc'd) for
 * cfg_parse_files: read once (by rank 0) and shared.  NULL with errno set when `path` itself
 * cannot be read; an included file that cannot be read is reported by cfg_parse_files at its
 * include line. */
char *cfg_read_files(const char *path, size_t *size);
/* Parse the block cfg_read_files made (of any rank's copy), includes resolved as above; the
 * config's source is the file named.  Errors as cfg_parse_text's. */
void cfg_parse_files(cfg *c, const char *files, size_t size);
/* "section.key=value" from the command line; the last assignment wins. */
void cfg_override(cfg *c, const char *assignment);
/* Unknown sections/keys, wrong types, out-of-range values, missing required
 * keys and too few pattern sections: usage error naming file:line. */
void cfg_validate(const cfg *c);

int64_t cfg_int(const cfg *c, const char *section, const char *key);
double cfg_real(const cfg *c, const char *section, const char *key);
int cfg_bool(const cfg *c, const char *section, const char *key);
const char *cfg_str(const cfg *c, const char *section, const char *key);
/* Where a key's value came from: "file:line", "--set" or "default". */
const char *cfg_where(const cfg *c, const char *section, const char *key);

/* The first key of a's (non-pattern) sections whose effective value differs
 * in b (numbers compared as numbers), skipping "section.key" names in
 * `ignore` (NULL-terminated): 1 and its section and key, or 0 if none does. */
int cfg_diff(const cfg *a, const cfg *b, const char *const *ignore, const char **section, const char **key);

/* Where the first key of [section] was given ("file:line" or "--set"), or NULL when the
 * config gives none. */
const char *cfg_section_where(const cfg *c, const char *section);

/* Names (after the dot) of present sections matching "prefix.*", in file order. */
int cfg_section_names(const cfg *c, const char *prefix, const char **names, int max);

/* Canonical INI text of every key's effective value (malloc'd). */
char *cfg_effective_text(const cfg *c);
/* The lines of section [name] of INI text (a stored effective config), as "[name]\n..."
 * without comments (malloc'd): enough to rebuild a model from a checkpoint's config. */
char *cfg_section_text(const char *text, const char *name);
/* Key tables as --help text. */
void cfg_help(FILE *f, const cfg_section *const *sections, int nsections);

/* Reads a whole file into a malloc'd string; NULL with errno set on failure. */
char *cfg_read_file(const char *path);

#endif
