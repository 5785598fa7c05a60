/* Load generator for the line protocol's VERIFY: N connections, each on its own thread, either
 * pipelined (keeps DEPTH requests outstanding) or request-response (DEPTH = 1). Prints the number
 * of replies per second over the measured interval. Loopback only; bounded in time.
 *
 *   line-verify PORT TOKEN CONNECTIONS DEPTH SECONDS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, depth;
static double seconds;
static const char *token;
static atomic_long replies, errors;
static atomic_int stop;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *worker(void *arg) {
    (void)arg;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        exit(2);
    }
    char request[16384];
    int length = snprintf(request, sizeof request, "VERIFY\tb\t%s\n", token);
    char *batch = malloc((size_t)length * depth);
    for (int i = 0; i < depth; i++) memcpy(batch + (size_t)i * length, request, length);

    char buffer[1 << 16];
    int greeting_lines = 2, outstanding = 0;
    while (!atomic_load(&stop)) {
        if (outstanding == 0) {
            if (write(fd, batch, (size_t)length * depth) < 0) break;
            outstanding = depth;
        }
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            if (buffer[i] != '\n') continue;
            if (greeting_lines > 0) { greeting_lines--; continue; }
            outstanding--;
            atomic_fetch_add(&replies, 1);
        }
        /* Refill the pipeline half-way so it never drains completely. */
        if (depth > 1 && outstanding <= depth / 2) {
            int refill = depth - outstanding;
            if (write(fd, batch, (size_t)length * refill) < 0) break;
            outstanding += refill;
        }
    }
    close(fd);
    free(batch);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s PORT TOKEN CONNECTIONS DEPTH SECONDS\n", argv[0]);
        return 3;
    }
    port = atoi(argv[1]);
    token = argv[2];
    int connections = atoi(argv[3]);
    depth = atoi(argv[4]);
    seconds = atof(argv[5]);
    pthread_t *threads = calloc(connections, sizeof *threads);
    for (int i = 0; i < connections; i++) pthread_create(&threads[i], NULL, worker, NULL);
    usleep(500000); /* warm-up */
    long start_count = atomic_load(&replies);
    double start = now();
    usleep((useconds_t)(seconds * 1e6));
    long end_count = atomic_load(&replies);
    double elapsed = now() - start;
    atomic_store(&stop, 1);
    printf("%.0f\n", (end_count - start_count) / elapsed);
    fflush(stdout);
    _exit(0); /* workers may be blocked in read; the process ends here */
}
