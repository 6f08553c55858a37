/*
 * restrict_af "AF_INET AF_INET6 AF_UNIX" COMMAND [ARG]...: runs COMMAND with
 * socket() and socketpair() refused (EAFNOSUPPORT) for every address family
 * not in the list, by a seccomp filter, the mechanism systemd uses for
 * RestrictAddressFamilies=, after setting no_new_privs as NoNewPrivileges=
 * does. tests/deploy_test.sh runs incidentd under it with the families of
 * deploy/incidentd.service, so the unit's list is checked against what the
 * binary really does (glibc's own netlink use included, which an LD_PRELOAD
 * shim would not see) without a running systemd.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_FAMILIES 16

static const struct {
    const char *name;
    unsigned family;
} names[] = {
    {"AF_UNIX", AF_UNIX},       {"AF_INET", AF_INET},     {"AF_INET6", AF_INET6},
    {"AF_NETLINK", AF_NETLINK}, {"AF_PACKET", AF_PACKET},
};

int main(int argc, char **argv)
{
    unsigned allowed[MAX_FAMILIES];
    size_t n = 0;

    if (argc < 3) {
        fputs("usage: restrict_af \"AF_INET AF_UNIX ...\" COMMAND [ARG]...\n", stderr);
        return 2;
    }
    for (const char *w = argv[1]; *w != '\0';) {
        size_t len = strcspn(w, " "), i;
        if (len == 0) {
            w++;
            continue;
        }
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strlen(names[i].name) == len && strncmp(w, names[i].name, len) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0]) || n == MAX_FAMILIES) {
            fprintf(stderr, "restrict_af: unknown or too many families: %.*s\n", (int)len, w);
            return 2;
        }
        allowed[n++] = names[i].family;
        w += len;
    }

    /* nr == socket or socketpair -> compare args[0] with each allowed family. */
    struct sock_filter f[8 + MAX_FAMILIES];
    size_t k = 0;
    f[k++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socket, 1, 0);
    f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_socketpair, 0,
                                          (unsigned char)(n + 2));
    f[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, args[0]));
    for (size_t i = 0; i < n; i++)
        f[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, allowed[i],
                                              (unsigned char)(n - i), 0);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAFNOSUPPORT);
    f[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    struct sock_fprog prog = {(unsigned short)k, f};

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("restrict_af: seccomp");
        return 1;
    }
    execvp(argv[2], argv + 2);
    perror("restrict_af: exec");
    return 127;
}
