#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright (C) 2026 Seed 29351211 maintainers
"""A memcached that speaks broken protocol on demand (suite 55-broken).

Listens on 127.0.0.1:PORT and, in mode "good", passes every byte to the
real memcached at UPSTREAM (text and binary protocol alike). In any other
mode each request chunk is answered with that mode's broken reply instead
(nothing is forwarded). The mode is the first word of MODEFILE, read for
every chunk, so a test switches modes while connections stay open.

usage: mcd-hostile-proxy.py PORT UPSTREAM_PORT MODEFILE
"""
import socket
import sys
import threading

# Broken replies; {k} is the first key of the request (text protocol).
REPLIES = {
    # the reply of another command: a store answered "END" trips
    # libmemcached's assertion in memcached_send_ascii
    "end": b"END\r\n",
    "deleted": b"DELETED\r\n",
    "ok": b"OK\r\n",
    "stat": b"STAT pid 1\r\n",
    "version": b"VERSION 1.6.0\r\n",
    "value": b"VALUE {k} 0 1\r\nx\r\nEND\r\n",
    # a value cut short, then the connection closed
    "truncated": b"VALUE {k} 0 10\r\nabc",
    # a length that does not match the bytes
    "wronglen": b"VALUE {k} 0 3\r\nabcdefgh\r\nEND\r\n",
    "shortlen": b"VALUE {k} 0 9\r\nabc\r\nEND\r\n",
    # a complete answer, then more answers nobody asked for
    "after_end": b"VALUE {k} 0 3\r\nabc\r\nEND\r\nEND\r\nSTORED\r\n"
                 b"VALUE zz 0 1\r\nz\r\nEND\r\n",
    "stored_twice": b"STORED\r\nSTORED\r\nEND\r\n",
    # a length no server would send
    "huge": b"VALUE {k} 0 4294967295\r\nabc\r\n",
    "negative": b"VALUE {k} 0 -5\r\nabc\r\nEND\r\n",
    "badflags": b"VALUE {k} notanumber 3\r\nabc\r\nEND\r\n",
    "incr_text": b"not-a-number\r\n",
    "empty_line": b"\r\n",
    "garbage": b"\x00\xff\xfe garbage \x01\x02\r\n\xc3\x28\r\n",
    "error": b"ERROR\r\n",
    "server_error": b"SERVER_ERROR out of memory storing object\r\n",
    # binary protocol: a response header with a body length of 4 GB,
    # one with a bad magic, one with a wrong opaque, and short headers
    "bin_huge": b"\x81\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff"
                b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    "bin_magic": b"\x42" * 24,
    "bin_opaque": b"\x81\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00\x05"
                  b"\xde\xad\xbe\xef\x00\x00\x00\x00\x00\x00\x00\x00"
                  b"\x00\x00\x00\x01x",
    "bin_short": b"\x81\x0c\x00",
    "bin_extlen": b"\x81\x00\x00\x00\xf0\x00\x00\x00\x00\x00\x00\x02"
                  b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ab",
}
CLOSE_AFTER = {"truncated", "bin_short"}
# sent as soon as a connection opens, before any request
UNSOLICITED = b"END\r\nSTORED\r\nVALUE ghost 0 1\r\ng\r\nEND\r\n"


def mode_of(path):
    try:
        with open(path, encoding="ascii") as f:
            return (f.read().split() or ["good"])[0]
    except OSError:
        return "good"


def first_key(chunk):
    words = chunk.split(b"\r\n", 1)[0].split()
    return words[1] if len(words) > 1 and chunk[:1] != b"\x80" else b"k"


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(conn, upstream_port, modefile):
    up = socket.create_connection(("127.0.0.1", upstream_port))
    threading.Thread(target=pump, args=(up, conn), daemon=True).start()
    if mode_of(modefile) == "unsolicited":
        conn.sendall(UNSOLICITED)
    try:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            mode = mode_of(modefile)
            if mode == "good":
                up.sendall(data)
                continue
            if mode == "unsolicited":
                # answers to requests never sent, then the real answer
                conn.sendall(UNSOLICITED)
                up.sendall(data)
                continue
            if mode == "silent":
                continue
            reply = REPLIES.get(mode, REPLIES["garbage"])
            conn.sendall(reply.replace(b"{k}", first_key(data)))
            if mode in CLOSE_AFTER:
                break
    except OSError:
        pass
    for s in (conn, up):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def main():
    port, upstream_port, modefile = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", port))
    lsock.listen(64)
    while True:
        conn, _ = lsock.accept()
        threading.Thread(target=serve, args=(conn, upstream_port, modefile),
                         daemon=True).start()


if __name__ == "__main__":
    main()
