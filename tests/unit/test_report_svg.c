/* test_report_svg.c — cs_report_svg runs Graphviz without process-wide side
 * effects: a fake `dot` on PATH that sleeps is killed at the timeout with a
 * clear message and reaped; one that exits without reading its input gives
 * an error, not a SIGPIPE death, and leaves no SIGPIPE pending or ignored;
 * the child sees no descriptor of ours but stdin, stdout and stderr; the
 * real Graphviz dot (when installed) gives an <svg> element. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report/report.h"

static char dir[256], saved_path[8192];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* PATH=dir with an executable `dot` of the given shell body */
static void fake_dot(const char *body)
{
    char p[300];
    snprintf(p, sizeof p, "%s/dot", dir);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, 0755), 0);
    assert_int_equal(setenv("PATH", dir, 1), 0);
}

static int setup(void **st)
{
    (void)st;
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cs-svg.XXXXXX", t && *t ? t : "/tmp");
    if (!mkdtemp(dir)) return -1;
    const char *p = getenv("PATH");
    snprintf(saved_path, sizeof saved_path, "%s", p ? p : "/usr/bin:/bin");
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    setenv("PATH", saved_path, 1);
    unsetenv("CHAINSLEUTH_DOT_TIMEOUT");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void assert_no_children(void)
{
    errno = 0;
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void test_timeout_kills(void **st)
{
    (void)st;
    fake_dot("exec /bin/sleep 30");
    char *svg = (char *)1;
    size_t len = 7;
    double t0 = now_s();
    assert_int_equal(cs_report_svg_timeout("digraph{a->b}", 13, 300, &svg, &len), CS_EIO);
    double took = now_s() - t0;
    assert_true(took >= 0.29 && took < 5);
    assert_null(svg);
    assert_int_equal(len, 0);
    assert_string_equal(cs_errmsg(), "Graphviz dot did not finish within 0.3 s and was killed "
                                     "(a larger limit: CHAINSLEUTH_DOT_TIMEOUT=SECONDS)");
    assert_no_children();
    /* the environment sets the default of cs_report_svg */
    setenv("CHAINSLEUTH_DOT_TIMEOUT", "0.2", 1);
    t0 = now_s();
    assert_int_equal(cs_report_svg("digraph{a->b}", 13, &svg, &len), CS_EIO);
    assert_true(now_s() - t0 < 5);
    assert_non_null(strstr(cs_errmsg(), "within 0.2 s"));
    assert_no_children();
}

static void test_early_exit_no_sigpipe(void **st)
{
    (void)st;
    fake_dot("exit 3");
    /* more than a pipe holds, so our write meets a closed pipe */
    size_t n = 4 << 20;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, ' ', n);
    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(cs_report_svg_timeout(big, n, 10000, &svg, &len), CS_EIO);
    free(big);
    assert_string_equal(cs_errmsg(), "Graphviz dot failed (exit status 3)");
    assert_no_children();
    /* nothing left behind: SIGPIPE neither pending nor ignored nor blocked */
    sigset_t set;
    sigpending(&set);
    assert_false(sigismember(&set, SIGPIPE));
    sigprocmask(SIG_BLOCK, NULL, &set);
    assert_false(sigismember(&set, SIGPIPE));
    struct sigaction sa;
    sigaction(SIGPIPE, NULL, &sa);
    assert_true(sa.sa_handler == SIG_DFL);
}

static void test_no_fd_leak(void **st)
{
    (void)st;
    /* the fake dot prints the descriptors it has, as an SVG element */
    /* exec: the shell's own descriptor for the script closes on exec */
    fake_dot("/bin/cat >/dev/null; printf '<svg>'; exec /bin/ls /proc/self/fd");
    /* descriptors this test process inherited from whoever started it are
     * not ours to judge: mark them close-on-exec first */
    for (int fd = 3; fd < 1024; fd++) {
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
    char p[300];
    snprintf(p, sizeof p, "%s/held", dir);
    int held = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644); /* a caller's descriptor */
    assert_true(held >= 0);
    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(cs_report_svg_timeout("digraph{}", 9, 10000, &svg, &len), 0);
    close(held);
    /* 0 1 2, and the fd of `ls` reading /proc/self/fd */
    assert_string_equal(svg, "<svg>0\n1\n2\n3\n");
    free(svg);
    assert_no_children();
}

static void test_real_dot(void **st)
{
    (void)st;
    if (system("command -v dot >/dev/null 2>&1") != 0) {
        print_message("skip: Graphviz dot is not installed (scripts/install-deps installs it)\n");
        skip();
    }
    const char *g = "digraph trace { rankdir=LR; seed -> exchange [label=\"1.5 BTC\"]; }";
    char *svg = NULL;
    size_t len = 0;
    assert_int_equal(cs_report_svg(g, strlen(g), &svg, &len), 0);
    assert_int_equal(strncmp(svg, "<svg", 4), 0);
    assert_int_equal(strlen(svg), len);
    assert_non_null(strstr(svg, ">exchange</text>"));
    assert_non_null(strstr(svg, ">1.5 BTC</text>"));
    assert_non_null(strstr(svg, "</svg>"));
    free(svg);
    assert_no_children();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_timeout_kills, setup, teardown),
        cmocka_unit_test_setup_teardown(test_early_exit_no_sigpipe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_fd_leak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_real_dot, NULL, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
