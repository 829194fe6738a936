/*
 * fork() after the library's worker threads exist: a child gets the parent's results, bitwise,
 * with no call of its own first, whether the parent was idle at the fork or inside a large
 * call on another thread. Every child runs under a watchdog (alarm), so a hang fails the test
 * instead of stalling it; so does the parent.
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "softmargin.h"

#define N (1 << 20) /* far above the size that goes to the worker threads */
#define FORKS_WHILE_BUSY 12

static float *x, *y, *grad, *busy_grad;
static float want_mean, want_grad0, want_grad_last;
static volatile int stop_busy;


/* The MEAN loss and the MEAN gradient of the whole buffer; 0 when both match the parent's. */
static int same_as_parent(float *g) {
    float mean = 0.0f;
    if (softmargin_forward_f32(x, y, N, SOFTMARGIN_REDUCTION_MEAN, &mean) != 0) return 1;
    if (softmargin_forward_backward_f32(x, y, N, SOFTMARGIN_REDUCTION_MEAN, &mean, g) != 0)
        return 1;
    return memcmp(&mean, &want_mean, sizeof mean) != 0 || memcmp(&g[0], &want_grad0, 4) != 0 ||
           memcmp(&g[N - 1], &want_grad_last, 4) != 0;
}

/* Forks a child that computes and compares under a watchdog; 1 when it exited with 0. */
static int child_agrees(void) {
    pid_t pid = fork();
    if (pid < 0) return 0;
    if (pid == 0) {
        alarm(10);
        _exit(same_as_parent(grad) ? 1 : 0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) return 0;
    if (WIFSIGNALED(status)) printf("child killed by signal %d\n", WTERMSIG(status));
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void *busy(void *arg) {
    (void)arg;
    while (!stop_busy) {
        float mean;
        softmargin_forward_backward_f32(x, y, N, SOFTMARGIN_REDUCTION_MEAN, &mean, busy_grad);
    }
    return NULL;
}

int main(void) {
    alarm(300);
    x = malloc(N * sizeof *x);
    y = malloc(N * sizeof *y);
    grad = malloc(N * sizeof *grad);
    busy_grad = malloc(N * sizeof *busy_grad);
    if (!x || !y || !grad || !busy_grad) return 2;
    for (size_t i = 0; i < N; i++) {
        x[i] = (float)((double)(i % 2003) / 97.0 - 10.0);
        y[i] = (i % 3 == 0) ? -1.0f : 1.0f;
    }
    check(softmargin_set_num_threads(2) == SOFTMARGIN_STATUS_OK, "two threads");
    /* The parent's results, computed on its worker threads, which now exist. */
    check(softmargin_forward_backward_f32(x, y, N, SOFTMARGIN_REDUCTION_MEAN, &want_mean, grad) ==
              SOFTMARGIN_STATUS_OK,
          "parent call");
    want_grad0 = grad[0];
    want_grad_last = grad[N - 1];

    check(child_agrees(), "child of an idle parent");
    check(child_agrees(), "second child of an idle parent");

    pthread_t thread;
    check(pthread_create(&thread, NULL, busy, NULL) == 0, "busy thread starts");
    int agreed = 0;
    for (int i = 0; i < FORKS_WHILE_BUSY; i++) {
        struct timespec pause = {0, 1000000L * (i % 4)};
        nanosleep(&pause, NULL);
        agreed += child_agrees();
    }
    stop_busy = 1;
    pthread_join(thread, NULL);
    check(agreed == FORKS_WHILE_BUSY, "children of a parent inside a large call");

    /* The parent is unaffected: same results, same thread count. */
    check(same_as_parent(grad) == 0, "parent after the forks");
    check(softmargin_get_num_threads() == 2, "parent keeps its thread count");

    free(x);
    free(y);
    free(grad);
    free(busy_grad);
    return report();
}
