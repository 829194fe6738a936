/*
 * check.h: the counting check of the C test programs, which print "N passed, M failed" last.
 */
#ifndef SOFTMARGIN_TEST_CHECK_H
#define SOFTMARGIN_TEST_CHECK_H

#include <stdio.h>

static int passed = 0, failed = 0;

/* Counts one check; prints what failed. */
static void check(int ok, const char *what) {
    if (ok) {
        passed++;
    } else {
        failed++;
        printf("FAILED: %s\n", what);
    }
}

/* Prints the closing line; the program's exit status. */
static int report(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

#endif
