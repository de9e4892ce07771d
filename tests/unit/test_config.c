/* test_config.c: typed INI tables, overrides, effective text and error lines. */
#include "core/config.h"
#include "core/error.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static const cfg_key run_keys[] = {
    {"length", CFG_INT, "64", 2, 326, NULL, "frames"},
    {"rate", CFG_REAL, "0.5", 0, 1, NULL, "a rate"},
    {"deflate", CFG_BOOL, "true", 0, 0, NULL, "compress"},
    {"name", CFG_STRING, "demo", 0, 0, NULL, "a name"},
    {"mode", CFG_ENUM, "fast", 0, 0, "fast|slow", "a mode"},
};
static const cfg_section run_section = {"run", "test section", run_keys, 5, 0};
static const cfg_key split_keys[] = {
    {"n", CFG_INT, NULL, 1, 1e12, NULL, "samples"},
    {"seed", CFG_INT, "0", 0, 4294967295.0, NULL, "seed"},
};
static const cfg_section split_section = {"split.*", "splits", split_keys, 2, 1};
static const cfg_section *const sections[] = {&run_section, &split_section};

static void load(cfg *c, const char *text)
{
    cfg_init(c, sections, 2);
    cfg_parse_text(c, text, "t.ini");
    cfg_validate(c);
}

static void test_defaults_values_and_where(void **state)
{
    (void)state;
    cfg c;
    load(&c, "[run]\nlength = 32\n\n[split.train]\nn = 10\n[split.test]\nn = 5\nseed = 9\n");
    assert_int_equal(cfg_int(&c, "run", "length"), 32);
    assert_true(cfg_real(&c, "run", "rate") == 0.5);
    assert_int_equal(cfg_bool(&c, "run", "deflate"), 1);
    assert_string_equal(cfg_str(&c, "run", "mode"), "fast");
    assert_string_equal(cfg_where(&c, "run", "length"), "t.ini:2");
    assert_string_equal(cfg_where(&c, "run", "rate"), "default");
    assert_int_equal(cfg_int(&c, "split.test", "seed"), 9);
    const char *names[8];
    assert_int_equal(cfg_section_names(&c, "split", names, 8), 2);
    assert_string_equal(names[0], "train");
    assert_string_equal(names[1], "test");
    cfg_free(&c);
}

static void test_override_wins_and_effective_text_roundtrips(void **state)
{
    (void)state;
    cfg c;
    cfg_init(&c, sections, 2);
    cfg_parse_text(&c, "[run]\nlength = 32\n[split.train]\nn = 10\n", "t.ini");
    cfg_override(&c, "run.length=128");
    cfg_override(&c, "split.train.n=7");
    cfg_validate(&c);
    assert_int_equal(cfg_int(&c, "run", "length"), 128);
    assert_int_equal(cfg_int(&c, "split.train", "n"), 7);
    assert_string_equal(cfg_where(&c, "run", "length"), "--set");
    char *text = cfg_effective_text(&c);
    assert_non_null(strstr(text, "length = 128"));
    assert_non_null(strstr(text, "rate = 0.5"));
    assert_non_null(strstr(text, "[split.train]"));
    /* The effective text is itself a valid config giving the same values. */
    cfg d;
    load(&d, text);
    assert_int_equal(cfg_int(&d, "run", "length"), 128);
    assert_int_equal(cfg_int(&d, "split.train", "n"), 7);
    free(text);
    cfg_free(&c);
    cfg_free(&d);
}

/* Runs body(arg) in a child; returns its exit code and its stderr. */
static int in_child(void (*body)(const void *arg), const void *arg, char *err, size_t n)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        ph_error_init("test");
        body(arg);
        _exit(0);
    }
    close(fd[1]);
    size_t len = 0;
    for (ssize_t got; len < n - 1 && (got = read(fd[0], err + len, n - 1 - len)) > 0;)
        len += (size_t)got;
    err[len] = 0;
    close(fd[0]);
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct text_and_set {
    const char *text, *set;
};

static void load_text_body(const void *arg)
{
    const struct text_and_set *a = arg;
    cfg c;
    cfg_init(&c, sections, 2);
    cfg_parse_text(&c, a->text, "t.ini");
    if (a->set) cfg_override(&c, a->set);
    cfg_validate(&c);
}

/* Runs load(text) in a child; returns its exit code and its stderr. */
static int load_in_child(const char *text, const char *set, char *err, size_t n)
{
    struct text_and_set a = {text, set};
    return in_child(load_text_body, &a, err, n);
}

/* Exit code 2 and exactly one line holding every needle (NULLs skipped). */
static void expect_one_line(int rc, const char *err, const char *needle1, const char *needle2)
{
    print_message("# %s", err);
    assert_int_equal(rc, PH_EXIT_USAGE);
    assert_non_null(strstr(err, "phasor-test: "));
    assert_non_null(strstr(err, needle1));
    if (needle2) assert_non_null(strstr(err, needle2));
    assert_non_null(strchr(err, '\n'));
    assert_null(strchr(strchr(err, '\n') + 1, '\n'));
}

static void expect_error(const char *text, const char *set, const char *needle1, const char *needle2)
{
    char err[2048];
    int rc = load_in_child(text, set, err, sizeof err);
    expect_one_line(rc, err, needle1, needle2);
}

static void test_errors_name_file_line_and_cause(void **state)
{
    (void)state;
    const char *ok_split = "[split.a]\nn = 1\n";
    char text[512];
    snprintf(text, sizeof text, "[run]\nlenght = 3\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "unknown key 'lenght'");
    snprintf(text, sizeof text, "[runn]\nlength = 3\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "unknown section [runn]");
    snprintf(text, sizeof text, "[run]\nlength = abc\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "not an integer");
    snprintf(text, sizeof text, "[run]\n\nlength = 0\n%s", ok_split);
    expect_error(text, NULL, "t.ini:3", "out of range [2, 326]");
    snprintf(text, sizeof text, "[run]\nrate = 1.5\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "out of range");
    snprintf(text, sizeof text, "[run]\ndeflate = maybe\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "not a boolean");
    snprintf(text, sizeof text, "[run]\nmode = medium\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "not one of {fast|slow}");
    snprintf(text, sizeof text, "[run]\nlength 5\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "not an INI line");
    snprintf(text, sizeof text, "[run]\nlength = 5\nlength = 6\n%s", ok_split);
    expect_error(text, NULL, "t.ini:3", "given twice");
    expect_error("[run]\n[split.a]\nseed = 3\n", NULL, "[split.a] lacks required key 'n'", NULL);
    expect_error("[run]\nlength = 5\n", NULL, "no [split.NAME] section", NULL);
    expect_error(ok_split, "run.length=1", "--set", "out of range");
    expect_error(ok_split, "runlength", "bad --set", NULL);
    expect_error(ok_split, "split.a.n=-5", "--set", "out of range [1,");
}

/* What the effective text cannot give back is refused when validating, not
 * when a resumed run reads the stored config (make fuzz found the ';' case). */
static void test_values_that_the_effective_text_would_change(void **state)
{
    (void)state;
    const char *ok_split = "[split.a]\nn = 1\n";
    char text[1024];
    snprintf(text, sizeof text, "[run]\nname =;x\n%s", ok_split);
    expect_error(text, NULL, "t.ini:2", "starts with ';'");
    expect_error(ok_split, "run.name=a ;b", "--set", "holds ' ;'");
    expect_error(ok_split, "run.name= a", "--set", "white space");
    /* 'name=' and 193 characters fit a line (198); 'name = ' and them do not */
    snprintf(text, sizeof text, "[run]\nname=%0193d\n%s", 0, ok_split);
    expect_error(text, NULL, "t.ini:2", "too long");
    /* a longer line is refused at its own line, not read on as a second one */
    snprintf(text, sizeof text, "[run]\n;%0250d\nlength = 5\n%s", 0, ok_split);
    expect_error(text, NULL, "t.ini:2", "longer than 198 characters");
    /* a number with a leading space reads back as the same number */
    char err[2048];
    assert_int_equal(load_in_child(ok_split, "run.length= 32", err, sizeof err), 0);
}

/* ---- includes: config files read with cfg_read_files and cfg_parse_files ---- */

static char dir[256]; /* a fresh folder per test run */

static void put_file(const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void load_file(cfg *c, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t size = 0;
    char *files = cfg_read_files(path, &size);
    assert_non_null(files);
    cfg_init(c, sections, 2);
    cfg_parse_files(c, files, size);
    cfg_validate(c);
    free(files);
}

static int setup_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "%s/test_config.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(dir)) return -1;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    return mkdir(sub, 0755);
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

/* where(c, s, k) without the folder: "sub/base.ini:3" */
static const char *where_in(const cfg *c, const char *section, const char *key)
{
    const char *w = cfg_where(c, section, key);
    return strncmp(w, dir, strlen(dir)) ? w : w + strlen(dir) + 1;
}

static void test_include_comes_first_and_is_overridden(void **state)
{
    (void)state;
    /* the included file includes another, relative to its own folder */
    put_file("sub/base.ini", "; base\ninclude = deeper.ini\n[run]\nlength = 8\nrate = 0.25\n"
                             "[split.train]\nn = 4\nseed = 1\n");
    put_file("sub/deeper.ini", "[run]\nname = deep\nmode = slow\n");
    put_file("a.ini", "; what differs\ninclude = sub/base.ini\n\n[run]\nlength = 16 ; longer\n"
                      "[split.test]\nn = 2\n[split.train]\nn = 5\n");
    cfg c;
    load_file(&c, "a.ini");
    assert_int_equal(cfg_int(&c, "run", "length"), 16);
    assert_string_equal(where_in(&c, "run", "length"), "a.ini:5");
    assert_true(cfg_real(&c, "run", "rate") == 0.25);
    assert_string_equal(where_in(&c, "run", "rate"), "sub/base.ini:5");
    assert_string_equal(cfg_str(&c, "run", "name"), "deep");
    assert_string_equal(where_in(&c, "run", "name"), "sub/deeper.ini:2");
    assert_string_equal(cfg_str(&c, "run", "mode"), "slow");
    assert_int_equal(cfg_int(&c, "split.train", "n"), 5);
    assert_int_equal(cfg_int(&c, "split.train", "seed"), 1);
    /* the included file's sections come first, new ones follow */
    const char *names[8];
    assert_int_equal(cfg_section_names(&c, "split", names, 8), 2);
    assert_string_equal(names[0], "train");
    assert_string_equal(names[1], "test");
    assert_string_equal(c.source + strlen(dir) + 1, "a.ini");
    cfg_free(&c);

    /* several includes, in order: a later file replaces an earlier file's key */
    put_file("sub/more.ini", "[run]\nrate = 0.75\n");
    put_file("b.ini", "include = sub/base.ini\ninclude = sub/more.ini\n[run]\nmode = fast\n");
    load_file(&c, "b.ini");
    assert_true(cfg_real(&c, "run", "rate") == 0.75);
    assert_string_equal(where_in(&c, "run", "rate"), "sub/more.ini:2");
    assert_int_equal(cfg_int(&c, "run", "length"), 8);
    assert_string_equal(cfg_str(&c, "run", "mode"), "fast");
    cfg_free(&c);
}

static void load_file_body(const void *arg)
{
    cfg c;
    load_file(&c, arg);
}

static void expect_file_error(const char *name, const char *needle1, const char *needle2)
{
    char err[2048];
    expect_one_line(in_child(load_file_body, name, err, sizeof err), err, needle1, needle2);
}

static void test_include_errors(void **state)
{
    (void)state;
    put_file("sub/base.ini", "[run]\nlength = 8\n[split.train]\nn = 4\n");
    /* a key the including file gives twice stays an error; one it overrides does not */
    put_file("dup.ini", "include = sub/base.ini\n[run]\nlength = 16\nlength = 17\n");
    expect_file_error("dup.ini", "dup.ini:4: [run] length is given twice, first at", "dup.ini:3");
    /* ... and so does a key given twice in the included file */
    put_file("sub/dup.ini", "[run]\nrate = 0.1\nrate = 0.2\n[split.a]\nn = 1\n");
    put_file("dup2.ini", "include = sub/dup.ini\n[run]\nrate = 0.3\n");
    expect_file_error("dup2.ini", "sub/dup.ini:3: [run] rate is given twice", NULL);
    put_file("missing.ini", "; a comment\ninclude = nope.ini\n[run]\nlength = 9\n");
    expect_file_error("missing.ini", "missing.ini:2: include = nope.ini: no such file",
                      "(check the path; it is relative to");
    put_file("cycle1.ini", "include = sub/cycle2.ini\n");
    put_file("sub/cycle2.ini", "include = ../cycle1.ini\n");
    expect_file_error("cycle1.ini", "cycle2.ini:1: include = ../cycle1.ini: a cycle", "remove one of the includes");
    put_file("self.ini", "include = ./self.ini\n");
    expect_file_error("self.ini", "self.ini:1: include = ./self.ini: a cycle", NULL);
    put_file("late.ini", "[run]\nlength = 9\ninclude = sub/base.ini\n");
    expect_file_error("late.ini", "late.ini:3: include = sub/base.ini inside [run]", "before the first section");
    put_file("indented.ini", "include = sub/base.ini\n  sub/more.ini\n");
    expect_file_error("indented.ini", "indented.ini:2: an indented line continues the value above", NULL);
    put_file("empty.ini", "include =\n");
    expect_file_error("empty.ini", "empty.ini:1: include needs a file name", NULL);
    put_file("folder.ini", "include = sub\n");
    expect_file_error("folder.ini", "folder.ini:1: include = sub: cannot be read", NULL);
    /* nine files deep: deep0 includes deep1 ... includes deep9 */
    for (int i = 0; i < 9; i++) {
        char name[32], text[64];
        snprintf(name, sizeof name, "deep%d.ini", i);
        snprintf(text, sizeof text, "include = deep%d.ini\n", i + 1);
        put_file(name, text);
    }
    put_file("deep9.ini", "[split.a]\nn = 1\n");
    cfg c;
    load_file(&c, "deep1.ini"); /* eight deep: fine */
    cfg_free(&c);
    expect_file_error("deep0.ini", "deep8.ini:1: include = deep9.ini: includes nest more than 8 files deep", NULL);
    /* an error in an included file names that file's line */
    put_file("sub/bad.ini", "[run]\nlength = 1000\n[split.a]\nn = 1\n");
    put_file("bad.ini", "include = sub/bad.ini\n");
    expect_file_error("bad.ini", "sub/bad.ini:2: [run] length = 1000 is out of range", NULL);
    /* text that is not a config file on disk includes nothing */
    expect_error("include = a.ini\n[split.a]\nn = 1\n", NULL, "t.ini:1: include = a.ini: only a config file", NULL);
}

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_values_and_where),
        cmocka_unit_test(test_override_wins_and_effective_text_roundtrips),
        cmocka_unit_test(test_errors_name_file_line_and_cause),
        cmocka_unit_test(test_values_that_the_effective_text_would_change),
        cmocka_unit_test_setup_teardown(test_include_comes_first_and_is_overridden, setup_dir, remove_dir),
        cmocka_unit_test_setup_teardown(test_include_errors, setup_dir, remove_dir),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
