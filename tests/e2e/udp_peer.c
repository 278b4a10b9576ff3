// SPDX-License-Identifier: Apache-2.0
// udp_peer.c — a UDP server for the Docker e2e image (busybox has none): answers each datagram
// with "<data> peer=<client address>". Built static by the suite: udp_peer PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char** argv) {
    if (argc != 2)
        return 2;
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    int zero = 0;
    setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)atoi(argv[1]))};
    if (bind(s, (struct sockaddr*)&a, sizeof a) != 0)
        return 1;
    for (;;) {
        char buf[1024], out[1200], ip[INET6_ADDRSTRLEN];
        struct sockaddr_in6 from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(s, buf, sizeof buf - 1, 0, (struct sockaddr*)&from, &len);
        if (n < 0)
            continue;
        buf[n] = 0;
        inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
        int m = snprintf(out, sizeof out, "%s peer=%s", buf, ip);
        sendto(s, out, (size_t)m, 0, (struct sockaddr*)&from, len);
    }
}
