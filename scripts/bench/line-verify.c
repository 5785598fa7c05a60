/* Load generator for the line protocol's VERIFY: N connections, each on its own thread, either
 * pipelined (keeps DEPTH requests outstanding) or request-response (DEPTH = 1). Prints the number
 * of replies per second over the measured interval. Loopback only; bounded in time.
 *
 *   line-verify PORT TOKEN CONNECTIONS DEPTH SECONDS
 *
 * TOKEN may be @FILE: one token per line, sent in turn (each connection starting elsewhere), so
 * that a run can cycle through more tokens than the server caches. Any reply but OK is counted,
 * and the program fails (exit 4) when there was one: a benchmark of refusals measures nothing.
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
static char **requests; /* "VERIFY\tb\t<token>\n" each */
static size_t *lengths, request_count;
static atomic_long replies, errors;
static atomic_int stop;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void load_tokens(const char *argument) {
    if (argument[0] != '@') {
        request_count = 1;
    } else {
        FILE *file = fopen(argument + 1, "r");
        if (!file) { perror(argument + 1); exit(3); }
        char line[16384];
        while (fgets(line, sizeof line, file)) request_count++;
        rewind(file);
    }
    requests = calloc(request_count, sizeof *requests);
    lengths = calloc(request_count, sizeof *lengths);
    FILE *file = argument[0] == '@' ? fopen(argument + 1, "r") : NULL;
    for (size_t i = 0; i < request_count; i++) {
        char line[16384];
        const char *token = argument;
        if (file) {
            if (!fgets(line, sizeof line, file)) { fprintf(stderr, "short token file\n"); exit(3); }
            line[strcspn(line, "\n")] = 0;
            token = line;
        }
        requests[i] = malloc(strlen(token) + 16);
        lengths[i] = (size_t)sprintf(requests[i], "VERIFY\tb\t%s\n", token);
    }
    if (file) fclose(file);
}

/* The next COUNT requests of this connection, from *next on, into out; returns the byte count. */
static size_t next_requests(char *out, int count, size_t *next) {
    size_t used = 0;
    for (int i = 0; i < count; i++) {
        memcpy(out + used, requests[*next], lengths[*next]);
        used += lengths[*next];
        *next = (*next + 1) % request_count;
    }
    return used;
}

static void *worker(void *arg) {
    size_t next = (size_t)(long)arg * 7919 % request_count;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        perror("connect");
        exit(2);
    }
    size_t longest = 0;
    for (size_t i = 0; i < request_count; i++) longest = lengths[i] > longest ? lengths[i] : longest;
    char *batch = malloc(longest * depth);

    char buffer[1 << 16];
    int greeting_lines = 2, outstanding = 0, line_start = 1;
    while (!atomic_load(&stop)) {
        if (outstanding == 0) {
            if (write(fd, batch, next_requests(batch, depth, &next)) < 0) break;
            outstanding = depth;
        }
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n <= 0) break;
        for (ssize_t i = 0; i < n; i++) {
            if (line_start && greeting_lines == 0 && buffer[i] != 'O') atomic_fetch_add(&errors, 1);
            line_start = buffer[i] == '\n';
            if (buffer[i] != '\n') continue;
            if (greeting_lines > 0) { greeting_lines--; continue; }
            outstanding--;
            atomic_fetch_add(&replies, 1);
        }
        /* Refill the pipeline half-way so it never drains completely. */
        if (depth > 1 && outstanding <= depth / 2) {
            int refill = depth - outstanding;
            if (write(fd, batch, next_requests(batch, refill, &next)) < 0) break;
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
    load_tokens(argv[2]);
    int connections = atoi(argv[3]);
    depth = atoi(argv[4]);
    seconds = atof(argv[5]);
    pthread_t *threads = calloc(connections, sizeof *threads);
    for (long i = 0; i < connections; i++) pthread_create(&threads[i], NULL, worker, (void *)i);
    usleep(500000); /* warm-up */
    long start_count = atomic_load(&replies);
    double start = now();
    usleep((useconds_t)(seconds * 1e6));
    long end_count = atomic_load(&replies);
    double elapsed = now() - start;
    atomic_store(&stop, 1);
    printf("%.0f\n", (end_count - start_count) / elapsed);
    fflush(stdout);
    if (atomic_load(&errors) > 0) {
        fprintf(stderr, "line-verify: %ld replies were not OK\n", atomic_load(&errors));
        _exit(4);
    }
    _exit(0); /* workers may be blocked in read; the process ends here */
}
