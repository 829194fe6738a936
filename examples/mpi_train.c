/*
 * Data-parallel training over MPI: train.c's linear classifier (10 features, targets -1 and +1)
 * on one fixed synthetic data set of 12 blocks (12 * SOFTMARGIN_BLOCK samples), the blocks split
 * evenly over 1, 2, 3 or 4 ranks. Each rank computes its shard's gradient of the global mean
 * loss and its exact partial loss sum with softmargin_forward_backward_shard_f32; the partials
 * are all-reduced with softmargin_partial_merge as the MPI operation and finished once; the
 * weight gradients are summed block by block in block order. So every number printed (the
 * mean loss of each epoch and the final weights, as hex floats) is the same bits for any rank
 * count, and rank 0 checks them against one process computing over all the data.
 *
 * Built and run from the repository's root, after `cargo build --release`:
 *
 *   mpicc -std=c99 -Iinclude examples/mpi_train.c -Ltarget/release -lsoftmargin -Wl,-rpath,"$PWD/target/release" -lm -o mpi_train && mpirun -np 4 ./mpi_train
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "softmargin.h"

#define FEATURES 10
#define BLOCKS 12
#define SAMPLES (BLOCKS * SOFTMARGIN_BLOCK)
#define EPOCHS 20
#define LEARNING_RATE 0.5f
/* Per block: the weight gradients and the bias gradient. */
#define GRADS (FEATURES + 1)

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static double uniform(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return ((rng_state * 0x2545f4914f6cdd1du) >> 11) * (1.0 / 9007199254740992.0);
}

static float normal(void) {
    double u = uniform(), v = uniform();
    return (float)(sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v));
}

static float x[SAMPLES][FEATURES], y[SAMPLES];

/* The scores w . x + b of samples [lo, hi). */
static void scores_of(const float *w, float b, size_t lo, size_t hi, float *scores) {
    for (size_t i = lo; i < hi; i++) {
        float s = b;
        for (int j = 0; j < FEATURES; j++) {
            s += w[j] * x[i][j];
        }
        scores[i - lo] = s;
    }
}

/* The weight and bias gradients of each block of samples [lo, hi) (block-aligned), summed in
 * sample order within the block, in double: out[k][j] for the k-th block. */
static void block_grads(const float *dscores, size_t lo, size_t hi, double (*out)[GRADS]) {
    for (size_t k = 0; k < (hi - lo) / SOFTMARGIN_BLOCK; k++) {
        for (int j = 0; j < GRADS; j++) {
            out[k][j] = 0.0;
        }
        for (size_t i = lo + k * SOFTMARGIN_BLOCK; i < lo + (k + 1) * SOFTMARGIN_BLOCK; i++) {
            double d = dscores[i - lo];
            for (int j = 0; j < FEATURES; j++) {
                out[k][j] += d * x[i][j];
            }
            out[k][FEATURES] += d;
        }
    }
}

/* One gradient-descent step from every block's gradients, added in block order. */
static void step(float *w, float *b, double (*all)[GRADS]) {
    for (int j = 0; j < GRADS; j++) {
        double g = 0.0;
        for (int k = 0; k < BLOCKS; k++) {
            g += all[k][j];
        }
        if (j < FEATURES) {
            w[j] -= LEARNING_RATE * (float)g;
        } else {
            *b -= LEARNING_RATE * (float)g;
        }
    }
}

/* The MPI operation. It cannot return an error: a refused merge (a partial corrupted on the
 * way) zeroes the result, which softmargin_partial_finish_f32 then refuses, rather than let
 * the damage pass as a smaller sum. */
static void merge(void *in, void *inout, int *n, MPI_Datatype *type) {
    (void)type;
    softmargin_partial *to = inout;
    const softmargin_partial *from = in;
    for (int i = 0; i < *n; i++) {
        if (softmargin_partial_merge(&to[i], &from[i]) != SOFTMARGIN_STATUS_OK) {
            memset(&to[i], 0, sizeof to[i]);
        }
    }
}

static int check(int32_t status, const char *what) {
    if (status != SOFTMARGIN_STATUS_OK) {
        fprintf(stderr, "%s: %s\n", what, softmargin_status_str(status));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    return 0;
}

/* The whole training in this process alone, with the one-call functions: the losses of each
 * epoch and the final weights. */
static void train_alone(float *losses, float *w, float *b) {
    static float scores[SAMPLES], dscores[SAMPLES];
    static double all[BLOCKS][GRADS];
    memset(w, 0, FEATURES * sizeof *w);
    *b = 0.0f;
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        scores_of(w, *b, 0, SAMPLES, scores);
        check(softmargin_forward_backward_f32(scores, y, SAMPLES, SOFTMARGIN_REDUCTION_MEAN,
                                              &losses[epoch], dscores),
              "forward_backward");
        block_grads(dscores, 0, SAMPLES, all);
        step(w, b, all);
    }
}

int main(int argc, char **argv) {
    MPI_Init(&argc, &argv);
    int rank, ranks;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ranks);
    if (BLOCKS % ranks != 0) {
        if (rank == 0) {
            fprintf(stderr, "the %d blocks do not split evenly over %d ranks\n", BLOCKS, ranks);
        }
        MPI_Finalize();
        return 1;
    }

    /* Every rank makes the same data set and keeps to its blocks of it. */
    for (int i = 0; i < SAMPLES; i++) {
        y[i] = (i % 2 == 0) ? 1.0f : -1.0f;
        for (int j = 0; j < FEATURES; j++) {
            x[i][j] = 0.5f * y[i] + 1.5f * normal();
        }
    }
    size_t per_rank = (size_t)(BLOCKS / ranks) * SOFTMARGIN_BLOCK;
    size_t lo = (size_t)rank * per_rank, hi = lo + per_rank;

    MPI_Datatype partial_type;
    MPI_Op partial_merge;
    MPI_Type_contiguous((int)sizeof(softmargin_partial), MPI_BYTE, &partial_type);
    MPI_Type_commit(&partial_type);
    MPI_Op_create(merge, 1, &partial_merge);

    float w[FEATURES] = {0}, b = 0.0f, losses[EPOCHS];
    float *scores = malloc(per_rank * sizeof *scores);
    float *dscores = malloc(per_rank * sizeof *dscores);
    double (*mine)[GRADS] = malloc((size_t)(BLOCKS / ranks) * sizeof *mine);
    double (*all)[GRADS] = malloc(BLOCKS * sizeof *all);
    if (!scores || !dscores || !mine || !all) {
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (int epoch = 0; epoch < EPOCHS; epoch++) {
        softmargin_partial part, total;
        scores_of(w, b, lo, hi, scores);
        check(softmargin_forward_backward_shard_f32(scores, y + lo, per_rank, SAMPLES,
                                                    SOFTMARGIN_REDUCTION_MEAN, &part, dscores),
              "forward_backward_shard");
        MPI_Allreduce(&part, &total, 1, partial_type, partial_merge, MPI_COMM_WORLD);
        check(softmargin_partial_finish_f32(&total, SOFTMARGIN_REDUCTION_MEAN, &losses[epoch]),
              "partial_finish");
        block_grads(dscores, lo, hi, mine);
        MPI_Allgather(mine, (BLOCKS / ranks) * GRADS, MPI_DOUBLE, all, (BLOCKS / ranks) * GRADS,
                      MPI_DOUBLE, MPI_COMM_WORLD);
        step(w, &b, all);
        if (rank == 0) {
            printf("epoch %2d  mean loss %a (%.6f)\n", epoch, losses[epoch], losses[epoch]);
        }
    }

    int failures = 0;
    if (rank == 0) {
        printf("weights");
        for (int j = 0; j < FEATURES; j++) {
            printf(" %a", w[j]);
        }
        printf("\nbias %a\n", b);
        float alone_losses[EPOCHS], alone_w[FEATURES], alone_b;
        train_alone(alone_losses, alone_w, &alone_b);
        failures = memcmp(alone_losses, losses, sizeof losses) != 0 ||
                   memcmp(alone_w, w, sizeof w) != 0 || memcmp(&alone_b, &b, sizeof b) != 0;
        printf("%s\n", failures ? "DIFFERS from one process over all the data"
                                : "the same bits as one process over all the data");
    }
    MPI_Bcast(&failures, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(scores);
    free(dscores);
    free(mine);
    free(all);
    MPI_Op_free(&partial_merge);
    MPI_Type_free(&partial_type);
    MPI_Finalize();
    return failures;
}
