/* config.c: INI parsing (libinih), typed validation, overrides, help and effective text. */
#include "config.h"

#include "error.h"
#include "strbuf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <strings.h>

const char *const cfg_type_names[CFG_TYPE_COUNT] = {
    [CFG_INT] = "int", [CFG_REAL] = "real", [CFG_BOOL] = "bool",
    [CFG_STRING] = "string", [CFG_ENUM] = "choice",
};

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    PH_CHECK_ALLOC(d, "copying a config string");
    return d;
}

void cfg_init(cfg *c, const cfg_section *const *sections, int nsections)
{
    memset(c, 0, sizeof *c);
    c->sections = sections;
    c->nsections = nsections;
    snprintf(c->source, sizeof c->source, "(no file)");
}

void cfg_free(cfg *c)
{
    for (int i = 0; i < c->nentries; i++) {
        free(c->entries[i].section);
        free(c->entries[i].key);
        free(c->entries[i].value);
    }
    free(c->entries);
    c->entries = NULL;
    c->nentries = c->cap = 0;
}

static cfg_entry *entry_find(const cfg *c, const char *section, const char *key)
{
    for (int i = c->nentries - 1; i >= 0; i--)
        if (!strcmp(c->entries[i].section, section) && !strcmp(c->entries[i].key, key))
            return &c->entries[i];
    return NULL;
}

static void entry_add(cfg *c, const char *section, const char *key, const char *value,
                      const char *where)
{
    if (c->nentries == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 32;
        c->entries = realloc(c->entries, (size_t)c->cap * sizeof *c->entries);
        PH_CHECK_ALLOC(c->entries, "growing the config table");
    }
    cfg_entry *e = &c->entries[c->nentries++];
    e->section = xstrdup(section);
    e->key = xstrdup(key);
    e->value = xstrdup(value);
    snprintf(e->where, sizeof e->where, "%s", where);
}

/* ---- parsing ------------------------------------------------------------ */

typedef struct {
    cfg *c;
    const char *text; /* remaining text for the line reader */
    int line;         /* lines handed to inih so far = current line number */
    char err[512];
} parse_ctx;

static char *read_line(char *str, int num, void *stream)
{
    parse_ctx *p = stream;
    if (!*p->text) return NULL;
    int n = 0;
    while (p->text[n] && p->text[n] != '\n' && n < num - 2) {
        str[n] = p->text[n];
        n++;
    }
    size_t used = (size_t)n;
    p->line++;
    /* inih reads through a fixed buffer: the rest of a longer line would come
     * back as a line of its own, read as a key or refused at the wrong line. */
    if (p->text[used] && p->text[used] != '\n') {
        if (!p->err[0])
            snprintf(p->err, sizeof p->err, "config error at %s:%d: line longer than %d characters (shorten it)",
                     p->c->source, p->line, num - 2);
        while (p->text[used] && p->text[used] != '\n') used++;
    }
    if (p->text[used] == '\n') {
        str[n++] = '\n';
        used++;
    }
    str[n] = 0;
    p->text += used;
    return str;
}

static int on_pair(void *user, const char *section, const char *key, const char *value)
{
    parse_ctx *p = user;
    if (p->err[0]) return 1;
    char where[320];
    snprintf(where, sizeof where, "%s:%d", p->c->source, p->line);
    if (!section[0]) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: key '%s' is outside any [section] (put it under its section)",
                 where, key);
        return 1;
    }
    const cfg_entry *old = entry_find(p->c, section, key);
    if (old && strcmp(old->where, "--set") != 0) {
        snprintf(p->err, sizeof p->err,
                 "config error at %s: [%s] %s is given twice, first at %s (keep one)", where,
                 section, key, old->where);
        return 1;
    }
    entry_add(p->c, section, key, value, where);
    return 1;
}

void cfg_parse_text(cfg *c, const char *text, const char *source)
{
    snprintf(c->source, sizeof c->source, "%s", source);
    parse_ctx p = {.c = c, .text = text};
    int bad = ini_parse_stream(read_line, &p, on_pair, &p);
    if (p.err[0]) ph_usage_error("%s", p.err);
    if (bad > 0)
        ph_usage_error("config error at %s:%d: not an INI line (use [section] or key = value)",
                       source, bad);
    if (bad < 0) ph_usage_error("config error in %s: cannot parse (out of memory)", source);
}

void cfg_override(cfg *c, const char *assignment)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    /* The key is after the last dot before '=', so "split.train.n=5" works. */
    if (dot)
        for (const char *s = dot; s < eq; s++)
            if (*s == '.') dot = s;
    if (!eq || !dot || dot == assignment || dot + 1 == eq)
        ph_usage_error("bad --set '%s': expected section.key=value (for example "
                       "--set pathtracker.length=32)", assignment);
    char section[256], key[256];
    snprintf(section, sizeof section, "%.*s", (int)(dot - assignment), assignment);
    snprintf(key, sizeof key, "%.*s", (int)(eq - dot - 1), dot + 1);
    entry_add(c, section, key, eq + 1, "--set");
}

/* ---- lookup ------------------------------------------------------------- */

static int is_pattern(const cfg_section *s)
{
    size_t n = strlen(s->name);
    return n > 2 && !strcmp(s->name + n - 2, ".*");
}

static const cfg_section *section_spec(const cfg *c, const char *section)
{
    for (int i = 0; i < c->nsections; i++) {
        const cfg_section *s = c->sections[i];
        if (is_pattern(s)) {
            size_t n = strlen(s->name) - 1; /* keep the dot */
            if (!strncmp(section, s->name, n) && section[n]) return s;
        } else if (!strcmp(section, s->name)) {
            return s;
        }
    }
    return NULL;
}

static const cfg_key *key_spec(const cfg_section *s, const char *key)
{
    for (int i = 0; s && i < s->nkeys; i++)
        if (!strcmp(s->keys[i].key, key)) return &s->keys[i];
    return NULL;
}

static const char *value_of(const cfg *c, const char *section, const char *key)
{
    const cfg_entry *e = entry_find(c, section, key);
    if (e) return e->value;
    const cfg_key *k = key_spec(section_spec(c, section), key);
    if (!k) PH_FAIL("looking up a config key", key, "this is a bug: the key has no table entry");
    return k->def ? k->def : "";
}

/* ---- typed values --------------------------------------------------------- */

static int parse_int(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end) return 0;
    *out = v;
    return 1;
}

static int parse_real(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static int parse_bool(const char *s, int *out)
{
    static const char *yes[] = {"1", "true", "yes", "on"}, *no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (!strcasecmp(s, yes[i])) return *out = 1, 1;
        if (!strcasecmp(s, no[i])) return *out = 0, 1;
    }
    return 0;
}

static int enum_has(const char *choices, const char *s)
{
    size_t n = strlen(s);
    for (const char *p = choices; p && *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && !strncmp(p, s, n)) return 1;
        p = bar ? bar + 1 : NULL;
    }
    return 0;
}

static void range_text(const cfg_key *k, char *buf, size_t n)
{
    if (k->type == CFG_INT)
        snprintf(buf, n, "[%.0f, %.0f]", k->min, k->max);
    else if (k->type == CFG_REAL)
        snprintf(buf, n, "[%g, %g]", k->min, k->max);
    else if (k->type == CFG_ENUM)
        snprintf(buf, n, "{%s}", k->choices);
    else if (k->type == CFG_BOOL)
        snprintf(buf, n, "{true, false}");
    else
        snprintf(buf, n, "text");
}

/* Why the line "key = value" of the effective text (cfg_effective_text, which
 * outputs store and a resumed run reads back) would not give back this value,
 * or NULL.  A file can hold long lines and a string starting with ';', --set
 * anything; a number with a leading space reads back as the same number. */
static const char *ini_unsafe(const cfg_key *k, const char *value)
{
    size_t n = strlen(value);
    /* inih's line buffer holds INI_MAX_LINE - 2 characters and the newline (read_line) */
    if (strlen(k->key) + 3 + n > INI_MAX_LINE - 2) return "is too long: 'key = value' must fit one config line";
    if (k->type != CFG_STRING) return NULL;
    if (value[0] == ';') return "starts with ';', which the stored config would read as a comment";
    if (n && (isspace((unsigned char)value[0]) || isspace((unsigned char)value[n - 1])))
        return "starts or ends with white space, which a config file cannot keep";
    for (size_t i = 0; i < n; i++) {
        if (value[i] == '\n') return "holds a line break";
        if (value[i] == ';' && i && isspace((unsigned char)value[i - 1]))
            return "holds ' ;', which starts a comment in a config file";
    }
    return NULL;
}

static void check_value(const cfg_key *k, const char *section, const char *value,
                        const char *where)
{
    const char *unsafe = ini_unsafe(k, value);
    if (unsafe)
        ph_usage_error("config error at %s: [%s] %s = '%s' %s (change the value)", where, section, k->key, value,
                       unsafe);
    char range[256];
    range_text(k, range, sizeof range);
    int64_t iv;
    double rv;
    int bv;
    switch (k->type) {
    case CFG_INT:
        if (!parse_int(value, &iv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not an integer (give a whole "
                           "number in %s)", where, section, k->key, value, range);
        if (iv < k->min || iv > k->max)
            ph_usage_error("config error at %s: [%s] %s = %s is out of range %s (choose a value "
                           "in range)", where, section, k->key, value, range);
        break;
    case CFG_REAL:
        if (!parse_real(value, &rv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not a number (give a number "
                           "in %s)", where, section, k->key, value, range);
        if (rv < k->min || rv > k->max)
            ph_usage_error("config error at %s: [%s] %s = %s is out of range %s (choose a value "
                           "in range)", where, section, k->key, value, range);
        break;
    case CFG_BOOL:
        if (!parse_bool(value, &bv))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not a boolean (use true or "
                           "false)", where, section, k->key, value);
        break;
    case CFG_ENUM:
        if (!enum_has(k->choices, value))
            ph_usage_error("config error at %s: [%s] %s = '%s' is not one of %s (pick one of "
                           "them)", where, section, k->key, value, range);
        break;
    case CFG_STRING:
    case CFG_TYPE_COUNT:
        break;
    }
}

void cfg_validate(const cfg *c)
{
    for (int i = 0; i < c->nentries; i++) {
        const cfg_entry *e = &c->entries[i];
        const cfg_section *s = section_spec(c, e->section);
        if (!s) {
            char known[512] = "";
            for (int j = 0; j < c->nsections; j++) {
                size_t n = strlen(known);
                snprintf(known + n, sizeof known - n, "%s%s", j ? ", " : "", c->sections[j]->name);
            }
            ph_usage_error("config error at %s: unknown section [%s] (known sections: %s)",
                           e->where, e->section, known);
        }
        const cfg_key *k = key_spec(s, e->key);
        if (!k) {
            char known[1024] = "";
            for (int j = 0; j < s->nkeys; j++) {
                size_t n = strlen(known);
                snprintf(known + n, sizeof known - n, "%s%s", j ? ", " : "", s->keys[j].key);
            }
            ph_usage_error("config error at %s: unknown key '%s' in [%s] (known keys: %s)",
                           e->where, e->key, e->section, known);
        }
        /* a value a later assignment replaces (--set over the file) is never used */
        if (entry_find(c, e->section, e->key) == e) check_value(k, e->section, e->value, e->where);
    }
    for (int j = 0; j < c->nsections; j++) {
        const cfg_section *s = c->sections[j];
        if (is_pattern(s)) {
            char prefix[128];
            snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(s->name) - 2, s->name);
            const char *names[256];
            int n = cfg_section_names(c, prefix, names, 256);
            if (n < s->min_count)
                ph_usage_error("config error in %s: no [%s.NAME] section (add at least one, for "
                               "example [%s.train])", c->source, prefix, prefix);
            for (int m = 0; m < n; m++)
                for (int i = 0; i < s->nkeys; i++)
                    if (!s->keys[i].def) {
                        char sec[256];
                        snprintf(sec, sizeof sec, "%s.%s", prefix, names[m]);
                        if (!entry_find(c, sec, s->keys[i].key))
                            ph_usage_error("config error in %s: [%s] lacks required key '%s' (%s)",
                                           c->source, sec, s->keys[i].key, s->keys[i].doc);
                    }
        } else {
            for (int i = 0; i < s->nkeys; i++)
                if (!s->keys[i].def && !entry_find(c, s->name, s->keys[i].key))
                    ph_usage_error("config error in %s: [%s] lacks required key '%s' (%s)",
                                   c->source, s->name, s->keys[i].key, s->keys[i].doc);
        }
    }
}

int64_t cfg_int(const cfg *c, const char *section, const char *key)
{
    int64_t v = 0;
    if (!parse_int(value_of(c, section, key), &v))
        PH_FAIL("reading an integer config key", key, "validate the config before reading it");
    return v;
}

double cfg_real(const cfg *c, const char *section, const char *key)
{
    double v = 0;
    if (!parse_real(value_of(c, section, key), &v))
        PH_FAIL("reading a real config key", key, "validate the config before reading it");
    return v;
}

int cfg_bool(const cfg *c, const char *section, const char *key)
{
    int v = 0;
    if (!parse_bool(value_of(c, section, key), &v))
        PH_FAIL("reading a boolean config key", key, "validate the config before reading it");
    return v;
}

const char *cfg_str(const cfg *c, const char *section, const char *key)
{
    return value_of(c, section, key);
}

const char *cfg_where(const cfg *c, const char *section, const char *key)
{
    const cfg_entry *e = entry_find(c, section, key);
    return e ? e->where : "default";
}

static int values_equal(const cfg_key *k, const char *x, const char *y)
{
    int64_t i, j;
    double u, v;
    int p, q;
    switch (k->type) {
    case CFG_INT: return parse_int(x, &i) && parse_int(y, &j) ? i == j : !strcmp(x, y);
    case CFG_REAL: return parse_real(x, &u) && parse_real(y, &v) ? u == v : !strcmp(x, y);
    case CFG_BOOL: return parse_bool(x, &p) && parse_bool(y, &q) ? p == q : !strcmp(x, y);
    default: return !strcmp(x, y);
    }
}

int cfg_diff(const cfg *a, const cfg *b, const char *const *ignore, const char **section, const char **key)
{
    for (int j = 0; j < a->nsections; j++) {
        const cfg_section *s = a->sections[j];
        if (is_pattern(s)) continue;
        for (int i = 0; i < s->nkeys; i++) {
            char name[256];
            snprintf(name, sizeof name, "%s.%s", s->name, s->keys[i].key);
            int skip = 0;
            for (const char *const *g = ignore; g && *g && !skip; g++) skip = !strcmp(*g, name);
            if (skip || values_equal(&s->keys[i], value_of(a, s->name, s->keys[i].key),
                                     value_of(b, s->name, s->keys[i].key)))
                continue;
            *section = s->name, *key = s->keys[i].key;
            return 1;
        }
    }
    return 0;
}

const char *cfg_section_where(const cfg *c, const char *section)
{
    for (int i = 0; i < c->nentries; i++)
        if (!strcmp(c->entries[i].section, section)) return c->entries[i].where;
    return NULL;
}

int cfg_section_names(const cfg *c, const char *prefix, const char **names, int max)
{
    int n = 0;
    size_t len = strlen(prefix);
    for (int i = 0; i < c->nentries; i++) {
        const char *s = c->entries[i].section;
        if (strncmp(s, prefix, len) || s[len] != '.' || !s[len + 1]) continue;
        int seen = 0;
        for (int j = 0; j < n; j++) seen |= !strcmp(names[j], s + len + 1);
        if (!seen && n < max) names[n++] = s + len + 1;
    }
    return n;
}

/* ---- output ------------------------------------------------------------- */

static void section_text(const cfg *c, ph_strbuf *b, const cfg_section *s, const char *name)
{
    ph_sb_printf(b, "[%s]\n", name);
    for (int i = 0; i < s->nkeys; i++)
        ph_sb_printf(b, "%s = %s\n", s->keys[i].key, value_of(c, name, s->keys[i].key));
    ph_sb_printf(b, "\n");
}

char *cfg_effective_text(const cfg *c)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "; effective configuration (defaults filled in) from %s\n", c->source);
    for (int j = 0; j < c->nsections; j++) {
        const cfg_section *s = c->sections[j];
        if (!is_pattern(s)) {
            section_text(c, &b, s, s->name);
            continue;
        }
        char prefix[128];
        snprintf(prefix, sizeof prefix, "%.*s", (int)strlen(s->name) - 2, s->name);
        const char *names[256];
        int n = cfg_section_names(c, prefix, names, 256);
        for (int m = 0; m < n; m++) {
            char sec[256];
            snprintf(sec, sizeof sec, "%s.%s", prefix, names[m]);
            section_text(c, &b, s, sec);
        }
    }
    return b.s;
}

void cfg_help(FILE *f, const cfg_section *const *sections, int nsections)
{
    for (int j = 0; j < nsections; j++) {
        const cfg_section *s = sections[j];
        fprintf(f, "\n[%s]  %s\n", s->name, s->doc);
        for (int i = 0; i < s->nkeys; i++) {
            const cfg_key *k = &s->keys[i];
            char range[256];
            range_text(k, range, sizeof range);
            fprintf(f, "  %-18s %-6s %-14s %-22s %s\n", k->key, cfg_type_names[k->type],
                    k->def ? k->def : "(required)", range, k->doc);
        }
    }
}

char *cfg_read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    PH_CHECK_ALLOC(buf, "reading the config file");
    for (size_t n; (n = fread(buf + len, 1, cap - len - 1, f)) > 0;) {
        len += n;
        if (len + 1 == cap) {
            buf = realloc(buf, cap *= 2);
            PH_CHECK_ALLOC(buf, "reading the config file");
        }
    }
    int bad = ferror(f), saved = errno;
    fclose(f);
    if (bad) {
        free(buf);
        errno = saved ? saved : EIO; /* keep the real cause, e.g. "Is a directory" */
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

char *cfg_section_text(const char *text, const char *name)
{
    ph_strbuf b = {0};
    ph_sb_printf(&b, "[%s]\n", name);
    const size_t hl = strlen(name) + 2;
    int in = 0;
    for (const char *p = text; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len && p[0] == '[')
            in = len == hl && !strncmp(p + 1, name, hl - 2) && p[hl - 1] == ']';
        else if (in && len && p[0] != ';' && p[0] != '#')
            ph_sb_printf(&b, "%.*s\n", (int)len, p);
        p += len + (e ? 1 : 0);
    }
    return b.s;
}
