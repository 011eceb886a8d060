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
/*
 * SIP latency probe: sends OPTIONS over UDP at a fixed rate and times each
 * answer with a microsecond clock (sipp's response times have millisecond
 * steps, too coarse for a proxy that answers in a fraction of one).
 *
 *   sip_probe -t 127.0.0.1:PORT -s SERVICE -r RATE -d SECONDS [-w WAIT] -o FILE
 *
 * FILE gets one line per request: "send_epoch_us rtt_us status", status 0
 * and rtt -1 when no answer came within WAIT seconds after the last send.
 * stdout gets one summary line: sent answered lost p50_us p99_us max_us.
 * No retransmissions: each request reaches the proxy once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQ 2000000

typedef struct req {
	int64_t sent_epoch_us;
	int64_t sent_mono_us;
	int64_t rtt_us;
	int status;
} req;

static int64_t now_us(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void usage(void)
{
	fprintf(stderr, "usage: sip_probe -t IP:PORT -s SERVICE -r RATE -d SECONDS"
			" [-w WAIT_SECONDS] -o FILE\n");
	exit(2);
}

/* Reads every pending answer; matches it to its request by Call-ID. */
static void drain(int fd, req *reqs, long nsent, long *answered, pid_t pid)
{
	char buf[4096], tag[64];
	int tlen = snprintf(tag, sizeof(tag), "Call-ID: probe-%d-", (int)pid);

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		char *p;
		long seq;
		int code;

		if (n < 0)
			return;
		buf[n] = '\0';
		if (n < 12 || strncmp(buf, "SIP/2.0 ", 8) != 0)
			continue;
		code = atoi(buf + 8);
		if (code < 200) /* provisional: wait for the final answer */
			continue;
		p = strstr(buf, tag);
		if (p == NULL)
			continue;
		seq = strtol(p + tlen, NULL, 10);
		if (seq < 0 || seq >= nsent || reqs[seq].status != 0)
			continue;
		reqs[seq].status = code;
		reqs[seq].rtt_us = now_us(CLOCK_MONOTONIC) - reqs[seq].sent_mono_us;
		(*answered)++;
	}
}

int main(int argc, char **argv)
{
	const char *target = NULL, *service = NULL, *out = NULL;
	double rate = 0, duration = 0, wait_s = 5;
	struct sockaddr_in dst, me;
	socklen_t melen = sizeof(me);
	char host[64], msg[1024];
	int opt, fd, port, rcvbuf = 4 << 20;
	long total, nsent = 0, answered = 0, i, k;
	int64_t t0, deadline;
	req *reqs;
	int64_t *rtts;
	pid_t pid = getpid();
	FILE *f;

	while ((opt = getopt(argc, argv, "t:s:r:d:w:o:")) != -1) {
		switch (opt) {
		case 't': target = optarg; break;
		case 's': service = optarg; break;
		case 'r': rate = atof(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'w': wait_s = atof(optarg); break;
		case 'o': out = optarg; break;
		default: usage();
		}
	}
	if (!target || !service || !out || rate <= 0 || duration <= 0 || wait_s < 0)
		usage();
	if (sscanf(target, "%63[^:]:%d", host, &port) != 2)
		usage();
	total = (long)(rate * duration);
	if (total < 1 || total > MAX_REQ) {
		fprintf(stderr, "sip_probe: rate * duration must be 1..%d\n", MAX_REQ);
		return 2;
	}
	reqs = calloc((size_t)total, sizeof(*reqs));
	rtts = calloc((size_t)total, sizeof(*rtts));
	if (!reqs || !rtts) {
		perror("calloc");
		return 1;
	}

	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &dst.sin_addr) != 1)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_addr = dst.sin_addr; /* local answers only: same address */
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0
			|| getsockname(fd, (struct sockaddr *)&me, &melen) < 0) {
		perror("socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));

	t0 = now_us(CLOCK_MONOTONIC);
	while (nsent < total) {
		int64_t now = now_us(CLOCK_MONOTONIC);
		int64_t next = t0 + (int64_t)((double)nsent * 1e6 / rate);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts;

		while (nsent < total && next <= now) {
			int len = snprintf(msg, sizeof(msg),
					"OPTIONS sip:%s@%s:%d SIP/2.0\r\n"
					"Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-p%d-%ld\r\n"
					"From: <sip:probe@%s>;tag=p%ld\r\n"
					"To: <sip:%s@%s>\r\n"
					"Call-ID: probe-%d-%ld\r\n"
					"CSeq: 1 OPTIONS\r\n"
					"Max-Forwards: 70\r\n"
					"Content-Length: 0\r\n\r\n",
					service, host, port, host, ntohs(me.sin_port), (int)pid,
					nsent, host, nsent, service, host, (int)pid, nsent);
			reqs[nsent].sent_epoch_us = now_us(CLOCK_REALTIME);
			reqs[nsent].sent_mono_us = now_us(CLOCK_MONOTONIC);
			reqs[nsent].rtt_us = -1;
			/* A send error is a lost request like any other. */
			(void)sendto(fd, msg, (size_t)len, 0, (struct sockaddr *)&dst,
					sizeof(dst));
			nsent++;
			next = t0 + (int64_t)((double)nsent * 1e6 / rate);
		}
		drain(fd, reqs, nsent, &answered, pid);
		now = now_us(CLOCK_MONOTONIC);
		if (next > now) {
			ts.tv_sec = (next - now) / 1000000;
			ts.tv_nsec = ((next - now) % 1000000) * 1000;
			(void)ppoll(&pfd, 1, &ts, NULL);
		}
	}
	deadline = now_us(CLOCK_MONOTONIC) + (int64_t)(wait_s * 1e6);
	while (answered < nsent) {
		int64_t left = deadline - now_us(CLOCK_MONOTONIC);
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		struct timespec ts;

		if (left <= 0)
			break;
		ts.tv_sec = left / 1000000;
		ts.tv_nsec = (left % 1000000) * 1000;
		(void)ppoll(&pfd, 1, &ts, NULL);
		drain(fd, reqs, nsent, &answered, pid);
	}

	f = fopen(out, "w");
	if (f == NULL) {
		perror(out);
		return 1;
	}
	for (i = 0, k = 0; i < nsent; i++) {
		fprintf(f, "%lld %lld %d\n", (long long)reqs[i].sent_epoch_us,
				(long long)reqs[i].rtt_us, reqs[i].status);
		if (reqs[i].status != 0)
			rtts[k++] = reqs[i].rtt_us;
	}
	fclose(f);
	qsort(rtts, (size_t)k, sizeof(*rtts), cmp_i64);
	printf("%ld %ld %ld %lld %lld %lld\n", nsent, answered, nsent - answered,
			k ? (long long)rtts[(k - 1) / 2] : -1LL,
			k ? (long long)rtts[(long)((double)(k - 1) * 0.99)] : -1LL,
			k ? (long long)rtts[k - 1] : -1LL);
	free(reqs);
	free(rtts);
	close(fd);
	return 0;
}
