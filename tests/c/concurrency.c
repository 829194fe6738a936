/*
 * Many threads calling every function at once, on shared read-only inputs and on buffers of
 * their own (in place), at sizes below and above the thread pool's threshold, while another
 * thread keeps changing the pool's thread count. Every result must equal, bit for bit, the
 * result computed beforehand on one thread. Prints "N passed, M failed".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "softmargin.h"

#define WORKERS 6
#define ROUNDS 12
#define LARGE 100003
#define SMALL 1000

/* Shared inputs (read-only once the workers start) and the single-threaded results. */
static float xf[LARGE], yf[LARGE], gf[LARGE];
static double xd[LARGE], yd[LARGE], gd[LARGE];
static float loss_f[LARGE], grad_f[LARGE], fused_f[LARGE], mean_f[2], sum_f[2];
static double loss_d[LARGE], grad_d[LARGE], fused_d[LARGE], mean_d[2], sum_d[2];
static size_t sizes[2] = {SMALL, LARGE};

static int stop_switching = 0; /* under count_lock */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static int passed = 0, failed = 0;

static void record(int ok, const char *what, int worker) {
    pthread_mutex_lock(&count_lock);
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAILED (worker %d): %s\n", worker, what);
    }
    pthread_mutex_unlock(&count_lock);
}

/* The expected values, on one thread. */
static void reference(void) {
    softmargin_set_num_threads(1);
    for (int s = 0; s < 2; s++) {
        size_t n = sizes[s];
        softmargin_forward_f32(xf, yf, n, SOFTMARGIN_REDUCTION_MEAN, &mean_f[s]);
        softmargin_forward_f32(xf, yf, n, SOFTMARGIN_REDUCTION_SUM, &sum_f[s]);
        softmargin_forward_f64(xd, yd, n, SOFTMARGIN_REDUCTION_MEAN, &mean_d[s]);
        softmargin_forward_f64(xd, yd, n, SOFTMARGIN_REDUCTION_SUM, &sum_d[s]);
    }
    softmargin_forward_f32(xf, yf, LARGE, SOFTMARGIN_REDUCTION_NONE, loss_f);
    softmargin_backward_f32(gf, xf, yf, LARGE, SOFTMARGIN_REDUCTION_NONE, grad_f);
    float m;
    softmargin_forward_backward_f32(xf, yf, LARGE, SOFTMARGIN_REDUCTION_MEAN, &m, fused_f);
    softmargin_forward_f64(xd, yd, LARGE, SOFTMARGIN_REDUCTION_NONE, loss_d);
    softmargin_backward_f64(gd, xd, yd, LARGE, SOFTMARGIN_REDUCTION_NONE, grad_d);
    double md;
    softmargin_forward_backward_f64(xd, yd, LARGE, SOFTMARGIN_REDUCTION_MEAN, &md, fused_d);
    softmargin_set_num_threads(0);
}

static void *worker(void *arg) {
    int id = (int)(size_t)arg;
    float *of = malloc(LARGE * sizeof *of), *pf = malloc(LARGE * sizeof *pf);
    double *od = malloc(LARGE * sizeof *od), *pd = malloc(LARGE * sizeof *pd);
    for (int round = 0; round < ROUNDS; round++) {
        int s = (round + id) % 2;
        size_t n = sizes[s];
        float vf;
        double vd;
        record(softmargin_forward_f32(xf, yf, n, SOFTMARGIN_REDUCTION_MEAN, &vf) == 0 &&
                   memcmp(&vf, &mean_f[s], sizeof vf) == 0,
               "f32 mean", id);
        record(softmargin_forward_f64(xd, yd, n, SOFTMARGIN_REDUCTION_SUM, &vd) == 0 &&
                   memcmp(&vd, &sum_d[s], sizeof vd) == 0,
               "f64 sum", id);
        record(softmargin_forward_f32(xf, yf, n, SOFTMARGIN_REDUCTION_NONE, of) == 0 &&
                   memcmp(of, loss_f, n * sizeof *of) == 0,
               "f32 losses", id);
        record(softmargin_backward_f64(gd, xd, yd, n, SOFTMARGIN_REDUCTION_NONE, od) == 0 &&
                   memcmp(od, grad_d, n * sizeof *od) == 0,
               "f64 gradients", id);
        /* In place, on buffers of this thread's own. */
        memcpy(pf, gf, n * sizeof *pf);
        record(softmargin_backward_f32(pf, xf, yf, n, SOFTMARGIN_REDUCTION_NONE, pf) == 0 &&
                   memcmp(pf, grad_f, n * sizeof *pf) == 0,
               "f32 gradients in place", id);
        memcpy(pd, xd, n * sizeof *pd);
        record(softmargin_forward_f64(pd, yd, n, SOFTMARGIN_REDUCTION_NONE, pd) == 0 &&
                   memcmp(pd, loss_d, n * sizeof *pd) == 0,
               "f64 losses in place", id);
        if (n == LARGE) {
            record(softmargin_forward_backward_f32(xf, yf, n, SOFTMARGIN_REDUCTION_MEAN, &vf,
                                                   of) == 0 &&
                       memcmp(&vf, &mean_f[s], sizeof vf) == 0 &&
                       memcmp(of, fused_f, n * sizeof *of) == 0,
                   "f32 fused", id);
            record(softmargin_forward_backward_f64(xd, yd, n, SOFTMARGIN_REDUCTION_MEAN, &vd,
                                                   od) == 0 &&
                       memcmp(&vd, &mean_d[s], sizeof vd) == 0 &&
                       memcmp(od, fused_d, n * sizeof *od) == 0,
                   "f64 fused", id);
        }
        size_t idx = 0;
        record(softmargin_check_target_f32(yf, n, &idx) == 0 && idx == n, "targets", id);
    }
    free(of), free(pf), free(od), free(pd);
    return NULL;
}

/* Changes the thread count until the workers are done. */
static void *switcher(void *arg) {
    (void)arg;
    size_t counts[] = {1, 2, 3, 0, 4, 1, 8};
    for (size_t i = 0;; i++) {
        pthread_mutex_lock(&count_lock);
        int stop = stop_switching;
        pthread_mutex_unlock(&count_lock);
        if (stop) {
            return NULL;
        }
        record(softmargin_set_num_threads(counts[i % 7]) == 0, "set_num_threads", -1);
        (void)softmargin_get_num_threads();
    }
}

int main(void) {
    for (size_t i = 0; i < LARGE; i++) {
        xf[i] = (float)((double)(i % 2003) * 0.05 - 50.0);
        yf[i] = i % 3 == 0 ? 1.0f : -1.0f;
        gf[i] = (float)(i % 7) * 0.25f;
        xd[i] = (double)xf[i] * 1.0000001;
        yd[i] = (double)yf[i];
        gd[i] = (double)gf[i];
    }
    reference();
    pthread_t workers[WORKERS], switching;
    pthread_create(&switching, NULL, switcher, NULL);
    for (int i = 0; i < WORKERS; i++) {
        pthread_create(&workers[i], NULL, worker, (void *)(size_t)i);
    }
    for (int i = 0; i < WORKERS; i++) {
        pthread_join(workers[i], NULL);
    }
    pthread_mutex_lock(&count_lock);
    stop_switching = 1;
    pthread_mutex_unlock(&count_lock);
    pthread_join(switching, NULL);
    softmargin_set_num_threads(0);
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
