/*
 * scratch.h — the scratch directory of a unit-test binary that works with
 * real files: /tmp/weir-test-<tag>-<pid>, made empty by SCRATCH_FIXTURES'
 * setup and removed by its teardown (cmocka group fixtures).  `root` holds
 * its path.  Header-only: each test binary is one translation unit.
 */
#ifndef WEIR_TESTS_SCRATCH_H
#define WEIR_TESTS_SCRATCH_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char root[128];

static inline int scratch_make(const char *tag)
{
    snprintf(root, sizeof(root), "/tmp/weir-test-%s-%d", tag, (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", root, root);
    return system(cmd);
}

static inline int scratch_remove(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
    return system(cmd);
}

/* Defines setup() and teardown() for cmocka_run_group_tests. */
#define SCRATCH_FIXTURES(tag)                                                                \
    static int setup(void **state)                                                           \
    {                                                                                        \
        (void)state;                                                                         \
        return scratch_make(tag);                                                            \
    }                                                                                        \
    static int teardown(void **state)                                                        \
    {                                                                                        \
        (void)state;                                                                         \
        return scratch_remove();                                                             \
    }

#endif
