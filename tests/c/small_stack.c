/*
 * Every exported function on a thread whose stack is 16 KiB, the size embedded and real-time
 * programs give their threads: lengths from 0 to past the parallel threshold, every reduction,
 * values from every class (zeros, subnormals, the largest finite, infinities, NaN, targets
 * other than +-1), so that the rare-result paths run too. Before each call the unused part of
 * the stack is painted; after it, the deepest byte the call touched gives its peak use, which
 * must stay within the bound the header states: 10 KiB for the release build. Prints each
 * function's peak in bytes, then "N passed, M failed". The path is the one SOFTMARGIN_ISA
 * selects.
 *
 *   small_stack [STACK_BYTES BOUND_BYTES]
 *
 * A build with debug assertions (cargo test's) needs more: the header's 12.5 KiB, run on a
 * 24 KiB stack. Each function is called once on the main thread first, so that the dynamic
 * loader's lazy binding (which the header accounts apart) is done before the measured calls.
 */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "softmargin.h"

#define PAINT 0xA5

/* The stack the thread gets, and the most a call may use of it (the header's figure). */
static size_t stack_size = 16384, bound = 10240;
static unsigned char *stack_low; /* the lowest usable byte of the thread's stack */
static int measuring = 0;        /* 0 on the main thread's first pass: calls only */

#define CHECK(cond) check((cond), #cond)

/* Paints the stack below the caller's frame; returns the address painting stopped at. */
static __attribute__((noinline)) unsigned char *paint(void) {
    unsigned char here;
    unsigned char *top = &here - 512; /* this frame and memset's own stay above */
    if (measuring) {
        memset(stack_low, PAINT, (size_t)(top - stack_low));
    }
    return top;
}

/* How many bytes below `top` the call since paint() touched. */
static size_t touched(const unsigned char *top) {
    if (!measuring) {
        return 0;
    }
    const unsigned char *p = stack_low;
    while (p < top && *p == PAINT) {
        p++;
    }
    return (size_t)(top - p);
}

/* The deepest use seen per function, printed at the end. */
struct peak {
    const char *name;
    size_t bytes;
};
static struct peak peaks[64];
static int n_peaks = 0;

static void record(const char *name, size_t bytes) {
    int i = 0;
    while (i < n_peaks && strcmp(peaks[i].name, name) != 0) {
        i++;
    }
    if (i == n_peaks) {
        peaks[n_peaks].name = name;
        peaks[n_peaks++].bytes = 0;
    }
    if (bytes > peaks[i].bytes) {
        peaks[i].bytes = bytes;
    }
}

/* Runs one call with the stack painted; checks its status and its peak. Painting is done in
 * this frame's caller's stead, so each call starts from the same depth. */
#define MEASURED(name, expected, call)                                                          \
    do {                                                                                        \
        unsigned char *top_ = paint();                                                          \
        int32_t status_ = (call);                                                               \
        size_t used_ = touched(top_);                                                           \
        record(name, used_);                                                                    \
        check(status_ == (expected), name);                                                     \
        if (used_ > bound) {                                                                    \
            printf("FAILED: %s used %zu bytes of stack\n", name, used_);                        \
            failed++;                                                                           \
        }                                                                                       \
    } while (0)

static const size_t lens[] = {0, 1, 15, 17, 1000, 4097, 9000, 70001};
#define MAX_LEN 70001

/* A value of every class at every index: i picks the class, the rest spreads the magnitude. */
static double value(size_t i) {
    switch (i % 16) {
    case 0: return 0.0;
    case 1: return -0.0;
    case 2: return INFINITY;
    case 3: return -INFINITY;
    case 4: return NAN;
    case 5: return 1e-310;
    case 6: return -1e300;
    case 7: return 1e300;
    default: return ((double)(i * 2654435761u % 100003) - 50000.0) / 500.0;
    }
}

static double target(size_t i) {
    switch (i % 23) {
    case 0: return 0.5;
    case 1: return 0.0;
    case 2: return -3.0;
    default: return (i * 7 % 3) ? 1.0 : -1.0;
    }
}

/* Every export of one element type T (suffix S) on data filled by FILL(i, x, y, g): the
 * inputs, the targets and an array grad_output (for NONE; its first value for MEAN and SUM). */
#define TESTS(T, S, FILL)                                                                       \
    static void run_##S(void) {                                                                 \
        T *x = malloc(MAX_LEN * sizeof(T)), *y = malloc(MAX_LEN * sizeof(T));                   \
        T *a = malloc(MAX_LEN * sizeof(T)), *b = malloc(MAX_LEN * sizeof(T));                   \
        T *g = malloc(MAX_LEN * sizeof(T));                                                     \
        for (size_t i = 0; i < MAX_LEN; i++) {                                                  \
            FILL(i, x, y, g);                                                                   \
        }                                                                                       \
        for (size_t k = 0; k < sizeof lens / sizeof *lens; k++) {                               \
            size_t n = lens[k];                                                                 \
            size_t first;                                                                       \
            softmargin_partial p, q;                                                            \
            for (int32_t r = 0; r < 3; r++) {                                                   \
                MEASURED("forward_" #S, 0, softmargin_forward_##S(x, y, n, r, a));              \
                MEASURED("backward_" #S, 0, softmargin_backward_##S(g, x, y, n, r, a));         \
                MEASURED("forward_backward_" #S, 0,                                             \
                         softmargin_forward_backward_##S(x, y, n, r, a, b));                    \
                MEASURED("gradient_hessian_" #S, 0,                                             \
                         softmargin_gradient_hessian_##S(x, y, n, r, a, b));                    \
            }                                                                                   \
            MEASURED("check_target_" #S, n > 0 ? SOFTMARGIN_STATUS_INVALID_TARGET : 0,          \
                     softmargin_check_target_##S(y, n, &first));                                \
            MEASURED("forward_partial_" #S, 0, softmargin_forward_partial_##S(x, y, n, &p));    \
            for (int32_t r = 1; r < 3; r++) {                                                   \
                MEASURED("forward_backward_shard_" #S, 0,                                       \
                         softmargin_forward_backward_shard_##S(x, y, n, n + 5, r, &q, a));      \
                MEASURED("partial_merge", 0, softmargin_partial_merge(&q, &p));                 \
                MEASURED("partial_finish_" #S, 0, softmargin_partial_finish_##S(&q, r, a));     \
            }                                                                                   \
        }                                                                                       \
        free(x), free(y), free(a), free(b), free(g);                                            \
    }

/* float and double: values of every class; grad_output 1 and now and then -2.5. */
#define FILL_F32(i, x, y, g) (x[i] = (float)value(i), y[i] = (float)target(i),                  \
                              g[i] = (float)(i % 7 == 0 ? -2.5 : 1.0))
#define FILL_F64(i, x, y, g) (x[i] = value(i), y[i] = target(i), g[i] = (i % 7 == 0 ? -2.5 : 1.0))
/* The 16-bit types: bit patterns of every class; targets +-1 (ONE) and now and then 0. */
#define FILL_HALF(i, x, y, g, ONE)                                                              \
    (x[i] = (uint16_t)(i * 40503u),                                                             \
     y[i] = (uint16_t)(i % 23 == 0 ? 0 : (i * 7 % 3) ? (ONE) : ((ONE) | 0x8000)),               \
     g[i] = (uint16_t)(i % 7 == 0 ? ((ONE) | 0x8000) : (ONE)))
#define FILL_F16(i, x, y, g) FILL_HALF(i, x, y, g, 0x3C00)
#define FILL_BF16(i, x, y, g) FILL_HALF(i, x, y, g, 0x3F80)

TESTS(float, f32, FILL_F32)
TESTS(double, f64, FILL_F64)
TESTS(uint16_t, f16, FILL_F16)
TESTS(uint16_t, bf16, FILL_BF16)

static void *run_all(void *on_small_stack) {
    if (on_small_stack == NULL) {
        run_f32();
        run_f64();
        run_f16();
        run_bf16();
        CHECK(softmargin_status_str(3) != NULL && softmargin_version() != NULL &&
              softmargin_isa() != NULL &&
              softmargin_set_num_threads(softmargin_get_num_threads()) == 0);
        return NULL;
    }
    pthread_attr_t attr;
    void *addr;
    size_t size;
    /* The thread's own stack: its lowest byte, above the guard page. */
    if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
        pthread_attr_getstack(&attr, &addr, &size) != 0) {
        printf("FAILED: no stack bounds\n");
        failed++;
        return NULL;
    }
    pthread_attr_destroy(&attr);
    stack_low = addr;
    measuring = 1;
    unsigned char here;
    printf("usable stack below the test's frame: %zu bytes\n", (size_t)(&here - stack_low));
    fflush(stdout);
    run_f32();
    run_f64();
    run_f16();
    run_bf16();
    unsigned char *top = paint();
    const char *s = softmargin_status_str(3);
    const char *v = softmargin_version();
    const char *isa = softmargin_isa();
    size_t threads = softmargin_get_num_threads();
    record("status_str, version, isa, get_num_threads", touched(top));
    CHECK(s != NULL && v != NULL && isa != NULL && threads >= 1);
    MEASURED("set_num_threads", 0, softmargin_set_num_threads(threads));
    printf("path %s\n", isa);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc == 3) {
        stack_size = (size_t)strtoul(argv[1], NULL, 10);
        bound = (size_t)strtoul(argv[2], NULL, 10);
    }
    printf("stack %zu bytes, bound %zu bytes\n", stack_size, bound);
    /* Every function bound by the loader before the measured calls. */
    run_all(NULL);
    n_peaks = 0;
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    if (pthread_attr_setstacksize(&attr, stack_size) != 0 ||
        pthread_create(&thread, &attr, run_all, &stack_size) != 0) {
        printf("FAILED: no thread with a %zu-byte stack\n", stack_size);
        return 1;
    }
    pthread_join(thread, NULL);
    for (int i = 0; i < n_peaks; i++) {
        printf("%-45s %6zu bytes\n", peaks[i].name, peaks[i].bytes);
    }
    return report();
}
