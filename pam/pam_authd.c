/*
 * pam_authd: a PAM auth module that asks authd through `authctl pam`, holding the whole PAM
 * conversation itself: the password (PAM_AUTHTOK, prompted if no earlier module set it) and, with
 * the `otp` argument, a one-time code prompted with echo off ("One-time code: "), for stacks with
 * `totp`. pam_exec cannot prompt for a second item; this module can, and stays this small.
 *
 *   auth required pam_authd.so [otp] authctl=/usr/bin/authctl [authctl pam options...]
 *
 * Every argument other than `otp` and `authctl=` is passed to `authctl pam` (e.g. --addr, --client,
 * --key-file, --service). The password and the code go to authctl on its standard input, never on
 * a command line. authctl's exit status decides: 0 PAM_SUCCESS, 1 PAM_AUTH_ERR, anything else
 * PAM_AUTHINFO_UNAVAIL (authd unreachable: never a success).
 *
 * Build: cc -shared -fPIC -Wall -Wextra -Werror -o pam_authd.so pam_authd.c -lpam (make pam).
 */
#define PAM_SM_AUTH
#include <errno.h>
#include <security/pam_appl.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#define MAX_ARGS 32

static int write_all(int fd, const char *data, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, data, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return -1;
        data += written;
        length -= (size_t)written;
    }
    return 0;
}

/* Runs authctl pam with PAM_USER, PAM_SERVICE and PAM_RHOST set, the password and the code on its
   standard input (one line each), and returns its exit status (-1 if it could not run). The
   arguments and environment are built before fork: the caller (sshd, sudo) may have threads, and
   between fork and exec the child makes only async-signal-safe calls (dup2, close, execve, _exit). */
static int run_authctl(pam_handle_t *pamh, const char *authctl, const char **extra, int extras, const char *user,
                       const char *password, const char *otp) {
    const char *service = NULL, *rhost = NULL;
    pam_get_item(pamh, PAM_SERVICE, (const void **)&service);
    pam_get_item(pamh, PAM_RHOST, (const void **)&rhost);
    const char *argv[MAX_ARGS + 4];
    int argc = 0;
    argv[argc++] = authctl;
    argv[argc++] = "pam";
    if (otp != NULL) argv[argc++] = "--otp-line";
    for (int i = 0; i < extras; i++) argv[argc++] = extra[i];
    argv[argc] = NULL;
    size_t size = strlen(user) + strlen(service ? service : "") + strlen(rhost ? rhost : "") + 64;
    char *buffer = malloc(size * 3);
    if (buffer == NULL) return -1;
    char *environment[5];
    int envc = 0;
    char *cursor = buffer;
    environment[envc++] = cursor;
    cursor += 1 + snprintf(cursor, size, "PAM_USER=%s", user);
    environment[envc++] = cursor;
    cursor += 1 + snprintf(cursor, size, "PAM_SERVICE=%s", service ? service : "");
    environment[envc++] = cursor;
    snprintf(cursor, size, "PAM_RHOST=%s", rhost ? rhost : "");
    environment[envc++] = "PAM_TYPE=auth";
    environment[envc] = NULL;
    int input[2];
    if (pipe(input) != 0) {
        free(buffer);
        return -1;
    }
    pid_t child = fork();
    if (child == 0) {
        if (dup2(input[0], STDIN_FILENO) < 0) _exit(111);
        close(input[0]);
        close(input[1]);
        execve(authctl, (char *const *)argv, environment);
        _exit(111);
    }
    free(buffer);
    if (child < 0) {
        close(input[0]);
        close(input[1]);
        return -1;
    }
    close(input[0]);
    /* A child that exits early must not kill the caller (sshd, sudo) with SIGPIPE. */
    struct sigaction ignore = {.sa_handler = SIG_IGN}, previous;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &previous);
    int failed = write_all(input[1], password, strlen(password)) || write_all(input[1], "\n", 1)
                 || (otp != NULL && (write_all(input[1], otp, strlen(otp)) || write_all(input[1], "\n", 1)));
    close(input[1]);
    sigaction(SIGPIPE, &previous, NULL);
    int status = 0;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    if (failed) pam_syslog(pamh, LOG_WARNING, "authctl did not read the credentials");
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

PAM_EXTERN int pam_sm_authenticate(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    (void)flags;
    const char *authctl = "/usr/bin/authctl", *extra[MAX_ARGS];
    int extras = 0, want_otp = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "otp") == 0) {
            want_otp = 1;
        } else if (strncmp(argv[i], "authctl=", 8) == 0) {
            authctl = argv[i] + 8;
        } else if (extras < MAX_ARGS) {
            extra[extras++] = argv[i];
        } else {
            pam_syslog(pamh, LOG_ERR, "too many arguments");
            return PAM_SERVICE_ERR;
        }
    }
    const char *user = NULL, *password = NULL;
    if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || user == NULL || *user == '\0') return PAM_USER_UNKNOWN;
    if (pam_get_authtok(pamh, PAM_AUTHTOK, &password, NULL) != PAM_SUCCESS || password == NULL) return PAM_AUTH_ERR;
    if (strchr(password, '\n') != NULL) return PAM_AUTH_ERR;
    char *otp = NULL;
    if (want_otp && (pam_prompt(pamh, PAM_PROMPT_ECHO_OFF, &otp, "One-time code: ") != PAM_SUCCESS || otp == NULL)) {
        return PAM_AUTH_ERR;
    }
    if (otp != NULL && strchr(otp, '\n') != NULL) {
        free(otp);
        return PAM_AUTH_ERR;
    }
    int status = run_authctl(pamh, authctl, extra, extras, user, password, otp);
    if (otp != NULL) {
        explicit_bzero(otp, strlen(otp));
        free(otp);
    }
    switch (status) {
    case 0: return PAM_SUCCESS;
    case 1: return PAM_AUTH_ERR;
    default:
        pam_syslog(pamh, LOG_ERR, "authctl pam failed (status %d): authd unreachable or misconfigured", status);
        return PAM_AUTHINFO_UNAVAIL;
    }
}

PAM_EXTERN int pam_sm_setcred(pam_handle_t *pamh, int flags, int argc, const char **argv) {
    (void)pamh;
    (void)flags;
    (void)argc;
    (void)argv;
    return PAM_SUCCESS;
}
