/*
 * The C interface from C: version macros, statuses and the nothing-written rule for both
 * precisions, in-place use, that a small call runs on the calling thread while a large one
 * uses the pool, and sharded sums. Prints one line per check and "N passed, M failed".
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "softmargin.h"


#define STR2(x) #x
#define STR(x) STR2(x)

/* Threads of this process, from /proc (Linux); -1 when unavailable. */
static int thread_count(void) {
    FILE *f = fopen("/proc/self/status", "r");
    if (f == NULL) {
        return -1;
    }
    char line[256];
    int n = -1;
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "Threads:", 8) == 0) {
            n = atoi(line + 8);
        }
    }
    fclose(f);
    return n;
}

static void versions(void) {
    const char *v = softmargin_version();
    char expected[64];
    snprintf(expected, sizeof expected, "%d.%d.%d", SOFTMARGIN_VERSION_MAJOR,
             SOFTMARGIN_VERSION_MINOR, SOFTMARGIN_VERSION_PATCH);
    check(strcmp(v, expected) == 0, "MAJOR.MINOR.PATCH macros match softmargin_version()");
    check(strcmp(v, SOFTMARGIN_VERSION_STRING) == 0, "SOFTMARGIN_VERSION_STRING matches");
    check(strcmp(STR(SOFTMARGIN_VERSION_MAJOR), "") != 0, "version macros are defined");
    const char *isa = softmargin_isa();
    check(isa != NULL && (strcmp(isa, "avx512") == 0 || strcmp(isa, "avx2") == 0 ||
                          strcmp(isa, "portable") == 0),
          "softmargin_isa() names a path");
    printf("instruction-set path: %s\n", isa ? isa : "(null)");
}

static void rules_f32(void) {
    float x[3] = {1.0f, -100.0f, 2.0f}, y[3] = {1.0f, 1.0f, -1.0f};
    float out[4] = {7, 7, 7, 7};
    float g = 1.0f;
    int32_t bad[4] = {3, -1, 1 << 30, INT32_MIN};
    for (int i = 0; i < 4; i++) {
        check(softmargin_forward_f32(x, y, 3, bad[i], out) == SOFTMARGIN_STATUS_INVALID_REDUCTION,
              "f32 invalid reduction");
        check(softmargin_backward_f32(&g, x, y, 3, bad[i], out) ==
                  SOFTMARGIN_STATUS_INVALID_REDUCTION,
              "f32 backward invalid reduction");
    }
    check(softmargin_forward_f32(NULL, NULL, 0, SOFTMARGIN_REDUCTION_NONE, NULL) ==
              SOFTMARGIN_STATUS_OK,
          "len 0 with NULLs");
    check(softmargin_forward_f32(NULL, NULL, 0, SOFTMARGIN_REDUCTION_SUM, NULL) ==
              SOFTMARGIN_STATUS_NULL_POINTER,
          "NULL scalar output");
    check(softmargin_backward_f32(NULL, x, y, 3, SOFTMARGIN_REDUCTION_MEAN, out) ==
              SOFTMARGIN_STATUS_NULL_POINTER,
          "NULL scalar grad_output");
    check(softmargin_forward_f32(out, y, 3, SOFTMARGIN_REDUCTION_NONE, out + 1) ==
              SOFTMARGIN_STATUS_OVERLAP,
          "partial overlap");
    check(out[0] == 7 && out[1] == 7 && out[2] == 7 && out[3] == 7, "nothing written on error");

    float loss[3], grad[3];
    check(softmargin_forward_backward_f32(x, y, 3, SOFTMARGIN_REDUCTION_NONE, loss, grad) ==
              SOFTMARGIN_STATUS_OK,
          "fused call");
    check(loss[1] == 100.0f && grad[1] == -1.0f, "x = -100, y = 1 gives 100 and -1");
    float buf[3] = {1.0f, -100.0f, 2.0f};
    check(softmargin_forward_f32(buf, y, 3, SOFTMARGIN_REDUCTION_NONE, buf) ==
              SOFTMARGIN_STATUS_OK,
          "in place");
    check(memcmp(buf, loss, sizeof buf) == 0, "in place equals out of place");
    size_t idx = 99;
    float labels[3] = {1.0f, -1.0f, 0.0f};
    check(softmargin_check_target_f32(labels, 3, &idx) == SOFTMARGIN_STATUS_INVALID_TARGET &&
              idx == 2,
          "0 label found");
}

static void rules_f64(void) {
    double x[2] = {0.0, -1000.0}, y[2] = {1.0, 1.0}, out[2] = {7, 7}, mean = 7;
    check(softmargin_forward_f64(x, y, 2, 5, out) == SOFTMARGIN_STATUS_INVALID_REDUCTION,
          "f64 invalid reduction");
    double *odd = (double *)(uintptr_t)((char *)out + 4);
    check(softmargin_forward_f64(x, y, 2, SOFTMARGIN_REDUCTION_NONE, odd) ==
              SOFTMARGIN_STATUS_MISALIGNED,
          "f64 misaligned");
    check(out[0] == 7 && out[1] == 7, "f64 nothing written");
    check(softmargin_forward_f64(x, y, 2, SOFTMARGIN_REDUCTION_MEAN, &mean) ==
              SOFTMARGIN_STATUS_OK,
          "f64 mean");
    check(fabs(mean - (log(2.0) + 1000.0) / 2) < 1e-12, "f64 mean value");
}

static void threads(void) {
    int before = thread_count();
    float x[32], y[32], mean;
    for (int i = 0; i < 32; i++) {
        x[i] = (float)i / 8.0f - 2.0f;
        y[i] = i % 2 ? 1.0f : -1.0f;
    }
    check(softmargin_forward_f32(x, y, 32, SOFTMARGIN_REDUCTION_MEAN, &mean) ==
              SOFTMARGIN_STATUS_OK,
          "small call");
    if (before > 0) {
        check(thread_count() == before, "a 32-element call starts no thread");
    }
    check(softmargin_set_num_threads(2) == SOFTMARGIN_STATUS_OK, "set 2 threads");
    check(softmargin_get_num_threads() == 2, "get 2 threads");
    size_t n = 1u << 20;
    float *big = malloc(n * sizeof *big), *t = malloc(n * sizeof *t);
    if (big == NULL || t == NULL) {
        check(0, "allocation");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        big[i] = (float)(i % 1000) / 100.0f - 5.0f;
        t[i] = 1.0f;
    }
    float two, one;
    check(softmargin_forward_f32(big, t, n, SOFTMARGIN_REDUCTION_SUM, &two) == 0, "large call");
    if (before > 0) {
        check(thread_count() > before, "a large call uses the pool");
    }
    softmargin_set_num_threads(1);
    check(softmargin_forward_f32(big, t, n, SOFTMARGIN_REDUCTION_SUM, &one) == 0, "one thread");
    check(memcmp(&one, &two, sizeof one) == 0, "same bits on 1 and 2 threads");
    softmargin_set_num_threads(0);
    free(big);
    free(t);
}

/* Shards from C: the partial is bytes of the documented size, a partial of no elements is the
 * empty sum and zeroed bytes are refused, shards at a block boundary merge (in either order) to
 * the one call's MEAN and gradient bit for bit, and refusals write nothing. */
static void shards(void) {
    check(sizeof(softmargin_partial) == SOFTMARGIN_PARTIAL_SIZE && SOFTMARGIN_PARTIAL_SIZE == 312,
          "softmargin_partial is 312 bytes");
    size_t n = 2 * SOFTMARGIN_BLOCK + 100, cut = SOFTMARGIN_BLOCK;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    float *g = malloc(n * sizeof *g), *g1 = malloc(n * sizeof *g1);
    if (x == NULL || y == NULL || g == NULL || g1 == NULL) {
        check(0, "allocation");
        return;
    }
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)((i * 7919) % 2001) / 50.0f - 20.0f;
        y[i] = i % 3 ? 1.0f : -1.0f;
    }
    float one, mean = 0.0f, sum = 0.0f;
    check(softmargin_forward_backward_f32(x, y, n, SOFTMARGIN_REDUCTION_MEAN, &one, g1) == 0,
          "one call");
    softmargin_partial a, b, empty, both, zeroed;
    memset(&zeroed, 0, sizeof zeroed);
    check(softmargin_forward_partial_f32(NULL, NULL, 0, &empty) == 0, "the empty partial");
    check(softmargin_forward_backward_shard_f32(x, y, cut, n, SOFTMARGIN_REDUCTION_MEAN, &a, g) ==
              0, "first shard");
    check(softmargin_forward_backward_shard_f32(x + cut, y + cut, n - cut, n,
                                                SOFTMARGIN_REDUCTION_MEAN, &b, g + cut) == 0,
          "second shard");
    check(memcmp(g, g1, n * sizeof *g) == 0, "the shards' gradients are the one call's");
    both = b;
    check(softmargin_partial_merge(&both, &a) == 0 && softmargin_partial_merge(&a, &b) == 0,
          "merges");
    check(memcmp(&a, &both, sizeof a) == 0, "merging in either order gives the same bytes");
    check(softmargin_partial_merge(&a, &empty) == 0 && memcmp(&a, &both, sizeof a) == 0,
          "the partial of no elements is the empty sum");
    check(softmargin_partial_merge(&a, &zeroed) == SOFTMARGIN_STATUS_INVALID_PARTIAL &&
              memcmp(&a, &both, sizeof a) == 0,
          "zeroed bytes are refused");
    check(softmargin_partial_finish_f32(&a, SOFTMARGIN_REDUCTION_MEAN, &mean) == 0 &&
              memcmp(&mean, &one, sizeof one) == 0,
          "the merged MEAN is the one call's bits");
    float whole_sum;
    check(softmargin_forward_f32(x, y, n, SOFTMARGIN_REDUCTION_SUM, &whole_sum) == 0 &&
              softmargin_partial_finish_f32(&a, SOFTMARGIN_REDUCTION_SUM, &sum) == 0 &&
              memcmp(&sum, &whole_sum, sizeof sum) == 0,
          "the merged SUM is the one call's bits");
    softmargin_partial before = a;
    float kept = 3.0f;
    check(softmargin_forward_backward_shard_f32(x, y, 4, 3, SOFTMARGIN_REDUCTION_MEAN, &a, g) ==
              SOFTMARGIN_STATUS_INVALID_ARGUMENT,
          "a shard longer than the total is refused");
    check(softmargin_forward_backward_shard_f32(x, y, 4, 4, SOFTMARGIN_REDUCTION_NONE, &a, g) ==
              SOFTMARGIN_STATUS_INVALID_REDUCTION,
          "NONE has no partial");
    check(softmargin_forward_partial_f32(x, y, 4, (softmargin_partial *)(void *)x) ==
              SOFTMARGIN_STATUS_OVERLAP,
          "a partial over an input is refused");
    check(softmargin_partial_finish_f32(&a, SOFTMARGIN_REDUCTION_NONE, &kept) ==
              SOFTMARGIN_STATUS_INVALID_REDUCTION,
          "finishing NONE is refused");
    check(softmargin_partial_merge(NULL, &a) == SOFTMARGIN_STATUS_NULL_POINTER,
          "merging into NULL is refused");
    check(memcmp(&a, &before, sizeof a) == 0 && kept == 3.0f &&
              memcmp(g, g1, n * sizeof *g) == 0,
          "refusals write nothing");
    free(x);
    free(y);
    free(g);
    free(g1);
}

int main(void) {
    versions();
    rules_f32();
    rules_f64();
    threads();
    shards();
    return report();
}
