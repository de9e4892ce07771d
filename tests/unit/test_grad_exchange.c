/* test_grad_exchange.c: how the gradient exchange sums (common/nn/grad_exchange.h).
 *
 * On one rank: the path each backend takes, and that the CUDA backend's faster paths,
 * where they cannot be taken (no GPU, a build without NCCL, an MPI without CUDA),
 * fall back to the host buffer naming each reason.  On two ranks (this program again,
 * under mpirun): a packed model's gradients, given in a simulated backward pass (one
 * tensor in two additions, as a recurrence gives them), come out as the float sum of
 * both ranks' values bit for bit, with buckets started during the backward pass after
 * the first step; on the CPU (in place, and through the host buffer) everywhere, and
 * where a GPU is present on the CUDA backend through NCCL, CUDA-aware MPI and the host
 * buffer, against the same sums (two ranks: one addition per element, so any correct
 * reduction gives the same bits). */
#include "nn/grad_exchange.h"

#include <limits.h>
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

static char exe[PATH_MAX], why[1024];

/* ---- two ranks (run as `test_grad_exchange.t --ranks GPUS` under mpirun) ---- */

enum { NT = 7, SPLIT = 2, STEPS = 3 }; /* tensor SPLIT receives its gradient in two additions */
static const size_t counts[NT] = {1000, 17, 4096, 3, 2500, 64, 777};

/* Rank r's gradient of tensor i at step s, element k: values of mixed sign and size whose sums round. */
static float grad_value(int r, int s, int i, size_t k)
{
    const uint32_t h = (uint32_t)k * 2654435761u ^ (uint32_t)(i * 40503 + s * 7919 + r * 104729) * 2246822519u;
    return (float)((int)(h % 20001u) - 10000) / 997.0f;
}

/* Sums one model's gradients over the two ranks on be; 0 when every step's sums are exact and
 * the buckets behaved.  want_path: the path that must be taken, or PH_EXCHANGE_COUNT for any
 * (reported). */
static int ranks_check(const ph_backend *be, int pack, ph_exchange_path fastest, ph_exchange_path want_path,
                       const char *label)
{
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    ph_param p[NT], *pp[NT];
    for (int i = 0; i < NT; i++) ph_param_init(&p[i], be, counts[i], 0.1f, 5, (uint32_t)i), pp[i] = &p[i];
    if (pack) ph_params_pack(pp, NT);
    ph_grad_exchange x;
    ph_grad_exchange_init(&x, pp, NT, MPI_COMM_WORLD, 2048.0, 1, fastest); /* 512 floats: 17 buckets */
    float *mine = malloc(4096 * sizeof *mine), *got = malloc(4096 * sizeof *got);
    int bad = !mine || !got;
    for (int s = 1; s <= STEPS && !bad; s++) {
        ph_params_zero_grad(pp, NT);
        ph_grad_exchange_begin(&x);
        for (int i = NT - 1; i >= 0; i--) { /* backward: the last tensor first */
            if (i == SPLIT) {               /* a first, wrong part: a bucket started on it would sum it */
                for (size_t k = 0; k < counts[i]; k++) mine[k] = grad_value(rank, s, i, k) + 1.0f;
                ph_dev_upload(be, p[i].g, mine, counts[i]);
                ph_param_grad_added(&p[i]);
            }
            for (size_t k = 0; k < counts[i]; k++) mine[k] = grad_value(rank, s, i, k);
            ph_dev_upload(be, p[i].g, mine, counts[i]);
            ph_param_grad_added(&p[i]);
        }
        ph_grad_exchange_run(&x);
        for (int i = 0; i < NT && !bad; i++) {
            ph_dev_download(be, got, p[i].g, counts[i]);
            for (size_t k = 0; k < counts[i] && !bad; k++) {
                const float want = grad_value(0, s, i, k) + grad_value(1, s, i, k);
                if (memcmp(&got[k], &want, sizeof want)) {
                    printf("# rank %d, %s: step %d, tensor %d, element %zu: %.9g, want %.9g\n", rank, label, s, i, k,
                           got[k], want);
                    bad = 1;
                }
            }
        }
    }
    int paths[2] = {(int)x.path, -(int)x.path};
    MPI_Allreduce(MPI_IN_PLACE, paths, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (paths[0] != -paths[1]) bad = 1, printf("# rank %d, %s: the ranks took different paths\n", rank, label);
    if (want_path != PH_EXCHANGE_COUNT && x.path != want_path)
        bad = 1, printf("# rank %d, %s: summed %s, not %s (%s)\n", rank, label, ph_exchange_path_text[x.path],
                        ph_exchange_path_text[want_path], x.why);
    /* in place: every bucket of the steps after the first starts during the backward pass */
    const long long early = x.path == PH_EXCHANGE_HOST ? 0 : (long long)(STEPS - 1) * x.nbuckets;
    if (x.collectives != (long long)STEPS * x.nbuckets || x.early != early || x.nbuckets < 10)
        bad = 1, printf("# rank %d, %s: %lld collectives (want %lld), %lld during backward (want %lld), %d buckets\n",
                        rank, label, x.collectives, (long long)STEPS * x.nbuckets, x.early, early, x.nbuckets);
    if (x.path == PH_EXCHANGE_HOST && be == &ph_backend_cuda && !x.pinned)
        bad = 1, printf("# rank %d, %s: the host buffer is not page-locked\n", rank, label);
    if (rank == 0)
        printf("# %s: summed %s%s%s%s, %d buckets a step, %lld during the backward pass: %s\n", label,
               ph_exchange_path_text[x.path], x.why[0] ? " (" : "", x.why, x.why[0] ? ")" : "", x.nbuckets, x.early,
               bad ? "WRONG" : "the float sums of both ranks, bit for bit");
    ph_grad_exchange_free(&x);
    for (int i = 0; i < NT; i++) ph_param_free(&p[i]);
    free(mine), free(got);
    return bad;
}

/* Each rank its own GPU (NCCL refuses two ranks on one): the local rank's entry of the devices visible. */
static void ranks_gpu_pick(int gpus)
{
    const char *local = getenv("OMPI_COMM_WORLD_LOCAL_RANK"), *visible = getenv("CUDA_VISIBLE_DEVICES");
    if (!local || gpus < 2) return;
    const int r = atoi(local) % gpus;
    char pick[64] = "";
    if (visible && *visible) {
        const char *at = visible;
        for (int i = 0; i < r && strchr(at, ','); i++) at = strchr(at, ',') + 1;
        snprintf(pick, sizeof pick, "%.*s", (int)strcspn(at, ","), at);
    } else {
        snprintf(pick, sizeof pick, "%d", r);
    }
    setenv("CUDA_VISIBLE_DEVICES", pick, 1);
}

static int ranks_main(int gpus)
{
    int bad = ranks_check(&ph_backend_cpu, 1, PH_EXCHANGE_NCCL, PH_EXCHANGE_CPU, "CPU, packed");
    bad |= ranks_check(&ph_backend_cpu, 0, PH_EXCHANGE_NCCL, PH_EXCHANGE_HOST, "CPU, tensors apart");
    if (gpus) {
#if PHASOR_NCCL
        /* two GPUs or more: one each, and NCCL must work; on one GPU it refuses two ranks (named) */
        const ph_exchange_path nccl = gpus >= 2 ? PH_EXCHANGE_NCCL : PH_EXCHANGE_COUNT;
#else
        const ph_exchange_path nccl = PH_EXCHANGE_COUNT;
#endif
        bad |= ranks_check(&ph_backend_cuda, 1, PH_EXCHANGE_NCCL, nccl, "CUDA, fastest path");
        bad |= ranks_check(&ph_backend_cuda, 1, PH_EXCHANGE_MPI_DEVICE, PH_EXCHANGE_COUNT, "CUDA, NCCL left out");
        bad |= ranks_check(&ph_backend_cuda, 1, PH_EXCHANGE_HOST, PH_EXCHANGE_HOST, "CUDA, host buffer");
    }
    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return bad;
}

/* The two-rank runs, made before this process starts MPI (Open MPI's mpirun does not start
 * inside a singleton): their exit status (-1: not run) and their lines. */
static int ranks_rc[2] = {-1, -1};
static char ranks_out[2][16384], no_gpu[512];

/* Runs this program on two ranks (gpus: 0 for the CPU alone) into ranks_rc and ranks_out[k]. */
static void ranks_run(int k, int gpus)
{
    char log[PATH_MAX], cmd[3 * PATH_MAX];
    snprintf(log, sizeof log, "%s/phasor-exchange.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    const int fd = mkstemp(log);
    if (fd < 0) return;
    close(fd);
    snprintf(cmd, sizeof cmd, "mpirun --oversubscribe --bind-to none -np 2 %s --ranks %d >%s 2>&1", exe, gpus, log);
    const int rc = system(cmd);
    ranks_rc[k] = WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
    FILE *f = fopen(log, "r");
    if (f) ranks_out[k][fread(ranks_out[k], 1, sizeof ranks_out[k] - 1, f)] = 0, fclose(f);
    unlink(log);
}

/* The run's lines as diagnostics, and its exit status. */
static int ranks_report(int k)
{
    for (const char *at = ranks_out[k]; *at;) {
        const size_t len = strcspn(at, "\n");
        print_message("%s%.*s\n", at[0] == '#' ? "" : "# ", (int)len, at);
        at += len + (at[len] == '\n');
    }
    return ranks_rc[k];
}

/* ---- one rank ---- */

static void test_cpu_paths(void **state)
{
    (void)state;
    ph_nccl_comm *nccl = (ph_nccl_comm *)&nccl;
    assert_int_equal(
        ph_grad_exchange_path_choose(&ph_backend_cpu, 1, MPI_COMM_SELF, PH_EXCHANGE_NCCL, &nccl, why, sizeof why),
        PH_EXCHANGE_CPU);
    assert_null(nccl);
    assert_string_equal(why, "");
    assert_int_equal(
        ph_grad_exchange_path_choose(&ph_backend_cpu, 0, MPI_COMM_SELF, PH_EXCHANGE_NCCL, &nccl, why, sizeof why),
        PH_EXCHANGE_HOST);
    assert_string_equal(why, "");
}

/* Without a GPU the CUDA backend's arena cannot go to NCCL: the host buffer, each reason named. */
static void test_cuda_paths_without_gpu_fall_back_naming_why(void **state)
{
    (void)state;
    char none[512] = "";
    if (ph_cuda_device_count(none, sizeof none) > 0) { /* a pass: cmocka 1.1's TAP skip reads as a failure */
        print_message("# skipped: a GPU is present (the fallback is checked on machines without one)\n");
        return;
    }
    char reason[600];
#if PHASOR_NCCL
    snprintf(reason, sizeof reason, "not NCCL: %s", none); /* the device count's own reason */
#else
    snprintf(reason, sizeof reason, "not NCCL: not built with NCCL");
#endif
    assert_int_equal(ph_nccl_comm_usable(why, sizeof why), 0);
    assert_true(strncmp(why, reason + strlen("not NCCL: "), strlen(reason + strlen("not NCCL: "))) == 0);
    ph_nccl_comm *nccl = (ph_nccl_comm *)&nccl;
    const ph_exchange_path path =
        ph_grad_exchange_path_choose(&ph_backend_cuda, 1, MPI_COMM_SELF, PH_EXCHANGE_NCCL, &nccl, why, sizeof why);
    print_message("# CUDA backend without a GPU: summed %s (%s)\n", ph_exchange_path_text[path], why);
    assert_null(nccl);
    assert_true(strncmp(why, reason, strlen(reason)) == 0);
    if (path == PH_EXCHANGE_HOST) /* an MPI that takes device memory would be used; this one says why not */
        assert_non_null(strstr(why, "; not CUDA-aware MPI: "));
    else assert_int_equal(path, PH_EXCHANGE_MPI_DEVICE);
    assert_int_equal(
        ph_grad_exchange_path_choose(&ph_backend_cuda, 1, MPI_COMM_SELF, PH_EXCHANGE_HOST, &nccl, why, sizeof why),
        PH_EXCHANGE_HOST);
    assert_string_equal(why, "not NCCL: left out; not CUDA-aware MPI: left out");
    assert_int_equal(
        ph_grad_exchange_path_choose(&ph_backend_cuda, 0, MPI_COMM_SELF, PH_EXCHANGE_NCCL, &nccl, why, sizeof why),
        PH_EXCHANGE_HOST);
    assert_string_equal(why, "the gradients are not in one arena");
}

/* A build without NCCL has no communicator to give, and says so. */
static void test_nccl_comm_not_built(void **state)
{
    (void)state;
#if PHASOR_NCCL
    print_message("# skipped: built with NCCL\n");
#else
    unsigned char id[PH_NCCL_ID_BYTES] = {0};
    assert_int_equal(ph_nccl_comm_id(id, why, sizeof why), -1);
    assert_non_null(strstr(why, "not built with NCCL"));
    assert_null(ph_nccl_comm_init(id, 1, 0, why, sizeof why));
    assert_non_null(strstr(why, "not built with NCCL"));
#endif
}

static void test_one_rank_sums_nothing(void **state)
{
    (void)state;
    ph_param p[2], *pp[2] = {&p[0], &p[1]};
    ph_param_init(&p[0], &ph_backend_cpu, 10, 0.1f, 1, 0), ph_param_init(&p[1], &ph_backend_cpu, 20, 0.1f, 1, 1);
    ph_params_pack(pp, 2);
    for (int k = 0; k < 10; k++) p[0].g[k] = (float)k;
    ph_grad_exchange x;
    ph_grad_exchange_init(&x, pp, 2, MPI_COMM_SELF, 1e6, 1, PH_EXCHANGE_NCCL);
    assert_int_equal(x.path, PH_EXCHANGE_NONE);
    ph_grad_exchange_begin(&x);
    ph_grad_exchange_run(&x);
    for (int k = 0; k < 10; k++) assert_true(p[0].g[k] == (float)k);
    assert_int_equal(x.collectives, 0);
    ph_grad_exchange_free(&x);
    ph_param_free(&p[0]), ph_param_free(&p[1]);
}

static void test_two_ranks_on_the_cpu(void **state)
{
    (void)state;
    assert_int_equal(ranks_report(0), 0);
}

static void test_two_ranks_on_gpus_against_the_cpu(void **state)
{
    (void)state;
    if (ranks_rc[1] == -1) {
        print_message("# skipped: %s (NCCL, CUDA-aware MPI and the host buffer are compared with the CPU where a "
                      "GPU is present)\n",
                      no_gpu);
        return;
    }
    assert_int_equal(ranks_report(1), 0);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--ranks")) {
        ranks_gpu_pick(atoi(argv[2])); /* before MPI or CUDA starts */
        MPI_Init(&argc, &argv);
        const int bad = ranks_main(atoi(argv[2]));
        MPI_Finalize();
        return bad;
    }
    const ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return 1;
    exe[len] = 0;
    if (getuid() == 0) setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1), setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    ranks_run(0, 0);
    const int gpus = ph_cuda_device_count(no_gpu, sizeof no_gpu);
    if (gpus > 0) ranks_run(1, gpus);
    MPI_Init(&argc, &argv);
    cmocka_set_message_output(CM_OUTPUT_TAP);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_paths),
        cmocka_unit_test(test_cuda_paths_without_gpu_fall_back_naming_why),
        cmocka_unit_test(test_nccl_comm_not_built),
        cmocka_unit_test(test_one_rank_sums_nothing),
        cmocka_unit_test(test_two_ranks_on_the_cpu),
        cmocka_unit_test(test_two_ranks_on_gpus_against_the_cpu),
    };
    const int failed = cmocka_run_group_tests_name("grad_exchange", tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
