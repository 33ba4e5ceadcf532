#define _GNU_SOURCE
#include "CEpoll.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

const uint32_t HG_EPOLLIN = EPOLLIN;
const uint32_t HG_EPOLLOUT = EPOLLOUT;
const uint32_t HG_EPOLLERR = EPOLLERR;
const uint32_t HG_EPOLLHUP = EPOLLHUP;
const uint32_t HG_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t HG_EPOLLET = EPOLLET;

int hg_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int control(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

int hg_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    return control(epfd, EPOLL_CTL_ADD, fd, events, token);
}

int hg_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    return control(epfd, EPOLL_CTL_MOD, fd, events, token);
}

int hg_epoll_remove(int epfd, int fd) {
    // A non-NULL event pointer keeps kernels older than 2.6.9 happy; it is ignored otherwise.
    struct epoll_event ev = {0};
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int hg_epoll_wait(int epfd, hg_epoll_event *out, int max, int timeout_ms) {
    enum { batch = 256 };
    struct epoll_event events[batch];
    if (max > batch) max = batch;
    int n;
    do {
        n = epoll_wait(epfd, events, max, timeout_ms);
    } while (n < 0 && errno == EINTR);
    for (int i = 0; i < n; i++) {
        out[i].token = events[i].data.u64;
        out[i].events = events[i].events;
    }
    return n;
}

int hg_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int hg_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do {
        n = write(fd, &one, sizeof one);
    } while (n < 0 && errno == EINTR);
    // EAGAIN means the counter is saturated: the loop is already due to wake up.
    return (n == sizeof one || (n < 0 && errno == EAGAIN)) ? 0 : -1;
}

int hg_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t n;
    do {
        n = read(fd, &value, sizeof value);
    } while (n < 0 && errno == EINTR);
    return n == sizeof value ? 0 : -1;
}

int hg_accept(int listener, void *address, unsigned int *length) {
    socklen_t size = *length;
    int fd;
    do {
        fd = accept4(listener, (struct sockaddr *)address, &size, SOCK_NONBLOCK | SOCK_CLOEXEC);
    } while (fd < 0 && errno == EINTR);
    *length = size;
    return fd;
}
