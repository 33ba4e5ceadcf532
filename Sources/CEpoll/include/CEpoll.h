// A tiny C shim over epoll and eventfd. `struct epoll_event` is packed on x86_64 and does not
// import into Swift, so the event loop talks to epoll only through these functions and the
// plain `hg_epoll_event` struct below.
#ifndef HOURGLASS_CEPOLL_H
#define HOURGLASS_CEPOLL_H

#include <stdint.h>

/// One readiness report: the token given at registration and the ready event bits.
typedef struct {
    uint64_t token;
    uint32_t events;
} hg_epoll_event;

extern const uint32_t HG_EPOLLIN;
extern const uint32_t HG_EPOLLOUT;
extern const uint32_t HG_EPOLLERR;
extern const uint32_t HG_EPOLLHUP;
extern const uint32_t HG_EPOLLRDHUP;
extern const uint32_t HG_EPOLLET;

/// epoll_create1(EPOLL_CLOEXEC). Returns the fd or -1 (errno set).
int hg_epoll_create(void);
/// EPOLL_CTL_ADD / MOD / DEL. Return 0 or -1 (errno set).
int hg_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int hg_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
int hg_epoll_remove(int epfd, int fd);
/// epoll_wait into `out` (at most `max` entries). Returns the count, 0 on timeout, -1 on error.
int hg_epoll_wait(int epfd, hg_epoll_event *out, int max, int timeout_ms);

/// A non-blocking, close-on-exec eventfd used to wake an event loop from other threads.
int hg_eventfd_create(void);
/// Adds 1 to the eventfd counter. Returns 0 or -1.
int hg_eventfd_signal(int fd);
/// Reads and resets the counter. Returns 0 or -1 (EAGAIN when nothing was pending).
int hg_eventfd_drain(int fd);

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC (glibc declares it only under _GNU_SOURCE).
/// `address` must point to a struct sockaddr_storage of `*length` bytes.
int hg_accept(int listener, void *address, unsigned int *length);

#endif
