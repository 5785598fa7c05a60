/* LD_PRELOAD for authctl.sh: a process that calls malloc between fork and exec (not
   async-signal-safe: another thread of the parent may have held the allocator's lock at fork)
   exits 97 at once, so a PAM module that does so fails its login in the test. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stddef.h>
#include <unistd.h>

extern void *__libc_malloc(size_t size);
static volatile int forked_child;

static void in_child(void) { forked_child = 1; }

__attribute__((constructor)) static void install(void) { pthread_atfork(NULL, NULL, in_child); }

void *malloc(size_t size) {
    if (forked_child) {
        static const char message[] = "forkcheck: malloc between fork and exec\n";
        write(STDERR_FILENO, message, sizeof message - 1);
        _exit(97);
    }
    return __libc_malloc(size);
}
