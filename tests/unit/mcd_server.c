/*
 * Copyright (C) 2026 Seed 29351211 maintainers
 *
 * This file is part of Kamailio, a free SIP server.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 *
 * Kamailio is free software; you can redistribute it and/or modify
 * it under the terms of the GNU General Public License as published by
 * the Free Software Foundation; either version 2 of the License, or
 * (at your option) any later version.
 *
 * Kamailio is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 * GNU General Public License for more details.
 */
#define _GNU_SOURCE
#include "mcd_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 2000

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The OS picks a free port; the short window until memcached binds it is
 * covered by the bounded retry of the caller. */
static int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, port = -1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0
			&& getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static int connect_port(int port, int timeout_ms)
{
	struct sockaddr_in sa;
	struct pollfd pfd;
	int fd, fl, err = 0, one = 1;
	socklen_t el = sizeof(err);

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1)
			goto fail;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			goto fail;
	}
	fcntl(fd, F_SETFL, fl);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
fail:
	close(fd);
	return -1;
}

static int send_all(int fd, const char *p, size_t n, long long deadline)
{
	struct pollfd pfd = { fd, POLLOUT, 0 };

	while (n > 0) {
		ssize_t w;
		long long left = deadline - mono_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
			return -1;
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* A tiny buffered reader: enough for lines and counted data blocks. */
typedef struct rd {
	int fd;
	long long deadline;
	char buf[8192];
	size_t beg, end;
} rd;

static int rd_fill(rd *r)
{
	struct pollfd pfd = { r->fd, POLLIN, 0 };
	long long left = r->deadline - mono_ms();
	ssize_t n;

	if (r->beg == r->end)
		r->beg = r->end = 0;
	if (r->end == sizeof(r->buf)) {
		memmove(r->buf, r->buf + r->beg, r->end - r->beg);
		r->end -= r->beg;
		r->beg = 0;
	}
	if (left <= 0 || poll(&pfd, 1, (int)left) != 1)
		return -1;
	n = recv(r->fd, r->buf + r->end, sizeof(r->buf) - r->end, 0);
	if (n <= 0)
		return -1;
	r->end += (size_t)n;
	return 0;
}

/* One line without its CRLF into line (NUL-terminated). */
static int rd_line(rd *r, char *line, size_t cap)
{
	for (int guard = 0; guard < 100000; guard++) {
		char *nl = memchr(r->buf + r->beg, '\n', r->end - r->beg);

		if (nl) {
			size_t n = (size_t)(nl - (r->buf + r->beg));
			size_t c = n;

			if (c > 0 && r->buf[r->beg + c - 1] == '\r')
				c--;
			if (c >= cap)
				return -1;
			memcpy(line, r->buf + r->beg, c);
			line[c] = '\0';
			r->beg += n + 1;
			return 0;
		}
		if (r->end - r->beg >= sizeof(r->buf))
			return -1;
		if (rd_fill(r) < 0)
			return -1;
	}
	return -1;
}

static int rd_bytes(rd *r, char *dst, size_t n)
{
	while (n > 0) {
		size_t have = r->end - r->beg;

		if (have == 0) {
			if (rd_fill(r) < 0)
				return -1;
			continue;
		}
		if (have > n)
			have = n;
		if (dst) {
			memcpy(dst, r->buf + r->beg, have);
			dst += have;
		}
		r->beg += have;
		n -= have;
	}
	return 0;
}

static int rd_open(rd *r, int port, int timeout_ms)
{
	r->deadline = mono_ms() + timeout_ms;
	r->beg = r->end = 0;
	r->fd = connect_port(port, timeout_ms);
	return r->fd < 0 ? -1 : 0;
}

/* Binary VERSION: the one request a SASL server answers unauthenticated. */
static int probe_binary(int port)
{
	unsigned char req[24] = { 0x80, 0x0b };
	unsigned char hdr[24];
	rd r;
	int ok;

	if (rd_open(&r, port, 500) < 0)
		return -1;
	ok = send_all(r.fd, (const char *)req, sizeof(req), r.deadline) == 0
		&& rd_bytes(&r, (char *)hdr, sizeof(hdr)) == 0 && hdr[0] == 0x81
		&& hdr[1] == 0x0b;
	close(r.fd);
	return ok ? 0 : -1;
}

/* Our memcached answers, and the one on the port is really ours. */
static int probe(const mcd_ts *s)
{
	uint64_t pid;

	if (s->sasl_dir[0])
		return probe_binary(s->port);
	if (mcd_ts_stat(s->port, "pid", &pid) < 0)
		return -1;
	return pid == (uint64_t)s->pid ? 0 : -2;
}

static pid_t spawn(const mcd_ts *s)
{
	char port[16];
	const char *argv[20];
	int n = 0;
	pid_t parent = getpid();
	pid_t pid;

	snprintf(port, sizeof(port), "%d", s->port);
	argv[n++] = "memcached";
	argv[n++] = "-l";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = port;
	argv[n++] = "-U";
	argv[n++] = "0";
	argv[n++] = "-t";
	argv[n++] = "2";
	argv[n++] = "-m";
	argv[n++] = "64";
	argv[n++] = "-c";
	argv[n++] = "256";
	if (geteuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "root";
	}
	if (s->sasl_dir[0])
		argv[n++] = "-S";
	argv[n] = NULL;

	pid = fork();
	if (pid != 0)
		return pid;
	/* A test that dies (assert in a forked test, timeout) must not leave
	 * a memcached behind. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	{
		int fd = open("/dev/null", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
	}
	/* Client sockets of the test must not live on in the server. */
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	if (s->sasl_dir[0])
		setenv("SASL_CONF_PATH", s->sasl_dir, 1);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	execvp("memcached", (char *const *)argv);
	_exit(127);
}

static void reap(mcd_ts *s)
{
	long long deadline;

	if (s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	kill(s->pid, SIGCONT); /* a stopped process only sees SIGTERM once woken */
	/* memcached acts on SIGTERM at its next clock tick (up to 1 s); it
	 * keeps no state worth the wait, so the grace time is short */
	deadline = mono_ms() + 150;
	while (mono_ms() < deadline) {
		pid_t r = waitpid(s->pid, NULL, WNOHANG);

		if (r == s->pid || (r < 0 && errno == ECHILD)) {
			s->pid = 0;
			s->frozen = 0;
			return;
		}
		sleep_ms(10);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	s->frozen = 0;
}

/* Starts on s->port; 0 ok, -1 the port was not ours or it did not come up. */
static int start_on_port(mcd_ts *s, int wait_ms)
{
	long long deadline = mono_ms() + wait_ms;

	s->pid = spawn(s);
	if (s->pid < 0) {
		s->pid = 0;
		return -1;
	}
	s->frozen = 0;
	while (mono_ms() < deadline) {
		int st;
		pid_t r = waitpid(s->pid, &st, WNOHANG);

		if (r == s->pid) { /* exited: port taken, bad option... */
			s->pid = 0;
			return -1;
		}
		if (probe(s) == 0) {
			/* Still alive a moment later: the one answering is ours. */
			sleep_ms(20);
			if (waitpid(s->pid, &st, WNOHANG) == 0)
				return 0;
			s->pid = 0;
			return -1;
		}
		sleep_ms(20);
	}
	reap(s);
	return -1;
}

int mcd_ts_start(mcd_ts *s, const char *sasl_dir)
{
	memset(s, 0, sizeof(*s));
	if (sasl_dir)
		snprintf(s->sasl_dir, sizeof(s->sasl_dir), "%s", sasl_dir);
	for (int attempt = 0; attempt < 8; attempt++) {
		s->port = free_port();
		if (s->port <= 0)
			continue;
		if (start_on_port(s, 5000) == 0)
			return 0;
	}
	return -1;
}

void mcd_ts_stop(mcd_ts *s)
{
	if (s)
		reap(s);
}

/* kill() returns before the target stops or resumes: wait until the
 * child's state really changed (flag WUNTRACED or WCONTINUED). */
static int wait_state(pid_t pid, int flag)
{
	long long deadline = mono_ms() + 3000;

	while (mono_ms() < deadline) {
		int st = 0;
		pid_t r = waitpid(pid, &st, flag | WNOHANG);

		if (r == pid && ((flag == WUNTRACED && WIFSTOPPED(st))
				|| (flag == WCONTINUED && WIFCONTINUED(st))))
			return 0;
		if (r == pid || r < 0) /* exited or not our child */
			return -1;
		sleep_ms(2);
	}
	return -1;
}

int mcd_ts_freeze(mcd_ts *s)
{
	if (s->pid <= 0 || kill(s->pid, SIGSTOP) < 0)
		return -1;
	s->frozen = 1;
	return wait_state(s->pid, WUNTRACED);
}

int mcd_ts_thaw(mcd_ts *s)
{
	if (s->pid <= 0 || kill(s->pid, SIGCONT) < 0)
		return -1;
	s->frozen = 0;
	return wait_state(s->pid, WCONTINUED);
}

int mcd_ts_restart(mcd_ts *s)
{
	reap(s);
	/* The port may be held a moment by the old process' sockets. */
	for (int attempt = 0; attempt < 20; attempt++) {
		if (start_on_port(s, 3000) == 0)
			return 0;
		sleep_ms(100);
	}
	return -1;
}

long mcd_ts_raw(int port, const char *req, size_t req_len, char *resp,
		size_t resp_cap, int timeout_ms)
{
	rd r;
	size_t used = 0;
	char line[4096];

	if (resp_cap == 0 || rd_open(&r, port, timeout_ms) < 0)
		return -1;
	if (send_all(r.fd, req, req_len, r.deadline) < 0)
		goto fail;
	/* Multi-line replies (VALUE/STAT) end with END; others are one line. */
	for (int i = 0; i < 100000; i++) {
		size_t l;

		if (rd_line(&r, line, sizeof(line)) < 0)
			goto fail;
		l = strlen(line);
		if (used + l + 3 > resp_cap)
			goto fail;
		memcpy(resp + used, line, l);
		memcpy(resp + used + l, "\r\n", 2);
		used += l + 2;
		resp[used] = '\0';
		if (strncmp(line, "VALUE ", 6) == 0) {
			unsigned long n;

			if (sscanf(line, "VALUE %*s %*u %lu", &n) != 1
					|| used + n + 3 > resp_cap
					|| rd_bytes(&r, resp + used, n + 2) < 0)
				goto fail;
			used += n + 2;
			resp[used] = '\0';
			continue;
		}
		if (strncmp(line, "STAT ", 5) == 0)
			continue;
		break;
	}
	close(r.fd);
	return (long)used;
fail:
	close(r.fd);
	return -1;
}

int mcd_ts_stat(int port, const char *name, uint64_t *val)
{
	rd r;
	char line[1024];
	int found = -1;

	if (rd_open(&r, port, IO_TIMEOUT_MS) < 0)
		return -1;
	if (send_all(r.fd, "stats\r\n", 7, r.deadline) < 0)
		goto out;
	for (int i = 0; i < 1000; i++) {
		char k[256];
		unsigned long long v;

		if (rd_line(&r, line, sizeof(line)) < 0)
			break;
		if (strcmp(line, "END") == 0)
			break;
		if (sscanf(line, "STAT %255s %llu", k, &v) == 2
				&& strcmp(k, name) == 0) {
			*val = v;
			found = 0;
		}
	}
out:
	close(r.fd);
	return found;
}

int mcd_ts_get(int port, const char *key, char *val, size_t cap, size_t *len,
		uint32_t *flags)
{
	rd r;
	char line[1024];
	char req[512];
	int ret = -1;
	int n;

	n = snprintf(req, sizeof(req), "get %s\r\n", key);
	if (n < 0 || (size_t)n >= sizeof(req))
		return -1;
	if (rd_open(&r, port, IO_TIMEOUT_MS) < 0)
		return -1;
	if (send_all(r.fd, req, (size_t)n, r.deadline) < 0
			|| rd_line(&r, line, sizeof(line)) < 0)
		goto out;
	if (strcmp(line, "END") == 0) {
		ret = 0;
	} else {
		unsigned f;
		unsigned long l;

		if (sscanf(line, "VALUE %*s %u %lu", &f, &l) != 2 || l > cap)
			goto out;
		if (rd_bytes(&r, val, l) < 0 || rd_bytes(&r, NULL, 2) < 0
				|| rd_line(&r, line, sizeof(line)) < 0
				|| strcmp(line, "END") != 0)
			goto out;
		*len = l;
		if (flags)
			*flags = f;
		ret = 1;
	}
out:
	close(r.fd);
	return ret;
}

int mcd_ts_set(int port, const char *key, const char *val, size_t len,
		uint32_t flags)
{
	rd r;
	char line[256];
	char hdr[512];
	int ret = -1;
	int n;

	n = snprintf(hdr, sizeof(hdr), "set %s %u 0 %zu\r\n", key, flags, len);
	if (n < 0 || (size_t)n >= sizeof(hdr))
		return -1;
	if (rd_open(&r, port, IO_TIMEOUT_MS) < 0)
		return -1;
	if (send_all(r.fd, hdr, (size_t)n, r.deadline) == 0
			&& send_all(r.fd, val, len, r.deadline) == 0
			&& send_all(r.fd, "\r\n", 2, r.deadline) == 0
			&& rd_line(&r, line, sizeof(line)) == 0
			&& strcmp(line, "STORED") == 0)
		ret = 0;
	close(r.fd);
	return ret;
}
