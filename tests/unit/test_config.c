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

/* Runs load(text) in a child; returns its exit code and its stderr. */
static int load_in_child(const char *text, const char *set, char *err, size_t n)
{
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], STDERR_FILENO);
        close(fd[0]);
        ph_error_init("test");
        cfg c;
        cfg_init(&c, sections, 2);
        cfg_parse_text(&c, text, "t.ini");
        if (set) cfg_override(&c, set);
        cfg_validate(&c);
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

static void expect_error(const char *text, const char *set, const char *needle1, const char *needle2)
{
    char err[2048];
    int rc = load_in_child(text, set, err, sizeof err);
    print_message("# %s", err);
    assert_int_equal(rc, PH_EXIT_USAGE);
    assert_non_null(strstr(err, "phasor-test: "));
    assert_non_null(strstr(err, needle1));
    if (needle2) assert_non_null(strstr(err, needle2));
    /* exactly one line */
    assert_non_null(strchr(err, '\n'));
    assert_null(strchr(strchr(err, '\n') + 1, '\n'));
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

int main(void)
{
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_values_and_where),
        cmocka_unit_test(test_override_wins_and_effective_text_roundtrips),
        cmocka_unit_test(test_errors_name_file_line_and_cause),
        cmocka_unit_test(test_values_that_the_effective_text_would_change),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
