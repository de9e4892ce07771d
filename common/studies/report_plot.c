/* svrt_plot.c: one gnuplot run per figure (svrt_plot.h).  The script goes to a
 * temporary file, kept only when gnuplot fails, so the failure can be read. */
#include "report_plot.h"

#include "core/error.h"
#include "core/fsutil.h"
#include "core/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void report_plot(const char *body, const char *png, int width, int height)
{
    char partial[4200], script[4200], what[4400];
    ph_partial_path(png, partial, sizeof partial);
    snprintf(what, sizeof what, "drawing %s with gnuplot", png);
    const char *tmp = getenv("TMPDIR");
    snprintf(script, sizeof script, "%s/phasor-plot.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(script);
    PH_CHECK_LIBC(fd >= 0, "creating a gnuplot script", "check that TMPDIR (or /tmp) is writable");
    ph_strbuf b = {0};
    /* Quotes in paths are not expected; refuse them rather than mis-quote. */
    if (strchr(partial, '\'')) PH_FAIL(what, "the output path contains a quote", "choose another --out");
    ph_sb_printf(&b, "set terminal pngcairo size %d,%d font 'Sans,10' noenhanced\nset output '%s'\n%s\nunset output\n",
                 width, height, partial, body);
    FILE *f = fdopen(fd, "w");
    PH_CHECK_LIBC(f != NULL, "opening the gnuplot script", "check TMPDIR");
    int bad = fputs(b.s, f) == EOF;
    bad |= fclose(f) != 0;
    free(b.s);
    PH_CHECK_LIBC(!bad, "writing the gnuplot script", "check free space in TMPDIR");
    ph_partial_register(partial);
    fflush(stdout), fflush(stderr);
    pid_t pid = fork();
    PH_CHECK_LIBC(pid >= 0, "starting gnuplot", "too many processes? try again");
    if (pid == 0) {
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR) {}
    PH_CHECK_LIBC(w == pid, "waiting for gnuplot", "try again");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char why[4400];
        if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
            snprintf(why, sizeof why, "gnuplot could not be started");
        else
            snprintf(why, sizeof why, "gnuplot failed (status %d) on the script kept at %s", status, script);
        PH_FAIL(what, why, "install gnuplot-nox (scripts/deps.sh install), or read gnuplot's message above");
    }
    unlink(script);
    if (!ph_exists(partial)) PH_FAIL(what, "gnuplot wrote no image", "check the pngcairo terminal: gnuplot -e 'set terminal'");
    ph_publish(partial, png);
    ph_partial_forget(partial);
}
