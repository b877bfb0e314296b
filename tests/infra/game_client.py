#!/usr/bin/env python3
"""A tiny Rookery game client for the infra checks (standard library only).

Speaks the raw TCP protocol of service/proto/rookery.proto: each frame is a u32 little-endian
length followed by one Envelope, encoded here by hand (the few fields needed).

  game_client.py login --port P [--host H]
      Hello, guest Login; prints "LoginOk player_id=N" and exits 0, or explains and exits 1.
  game_client.py hold --port P [--host H] --clients N --seconds S [--room-type relay]
      N players log in, join (or create) rooms, send a few inputs a second and read every
      state for S seconds, so the server's metrics move; then they leave. Exits 1 if any
      client failed to log in and join.
"""

import argparse
import os
import selectors
import socket
import struct
import sys
import time

# Envelope field numbers (rookery.proto).
REQUEST_ID, HELLO, WELCOME, LOGIN, LOGIN_OK = 1, 2, 3, 4, 5
JOIN_OR_CREATE, JOINED, INPUT, STATE, EVENT, PING, PONG, ERROR = 11, 12, 15, 16, 17, 18, 19, 20
NAMES = {WELCOME: "Welcome", LOGIN_OK: "LoginOk", JOINED: "Joined", STATE: "State",
         EVENT: "Event", PONG: "Pong", ERROR: "Error"}


def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint((number << 3) | 2) + varint(len(data)) + data


def envelope(request_id, number, body):
    msg = field_varint(REQUEST_ID, request_id) + field_bytes(number, body)
    return struct.pack("<I", len(msg)) + msg


def read_varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def decode(data):
    """Returns {field: [values]}; varints as int, length-delimited as bytes."""
    fields = {}
    pos = 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(data, pos)
        elif wire == 2:
            length, pos = read_varint(data, pos)
            value = data[pos:pos + length]
            pos += length
        elif wire == 1:
            value = data[pos:pos + 8]
            pos += 8
        elif wire == 5:
            value = data[pos:pos + 4]
            pos += 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def hello():
    return field_varint(1, 1) + field_bytes(2, "rookery-infra-check/1")


def guest_login(device_id):
    return field_bytes(1, field_bytes(1, device_id))


def describe_error(body):
    err = decode(body)
    code = err.get(1, [0])[0]
    text = err.get(2, [b""])[0].decode(errors="replace")
    return f"Error code={code} message={text!r}"


class Conn:
    """One blocking-then-polled connection with a frame reassembly buffer."""

    def __init__(self, host, port, timeout):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.frames_in = 0

    def send(self, frame):
        self.sock.sendall(frame)

    def frames(self):
        """Splits complete frames off the buffer; yields (field number, body)."""
        while len(self.buf) >= 4:
            (length,) = struct.unpack("<I", self.buf[:4])
            if len(self.buf) < 4 + length:
                return
            msg, self.buf = self.buf[4:4 + length], self.buf[4 + length:]
            self.frames_in += 1
            fields = decode(msg)
            for number, values in fields.items():
                if number != REQUEST_ID:
                    yield number, values[0]

    def expect(self, wanted, deadline):
        """Reads until a message of type `wanted`; raises on Error, close or timeout."""
        while True:
            for number, body in self.frames():
                if number == wanted:
                    return body
                if number == ERROR:
                    raise RuntimeError(describe_error(body))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {NAMES.get(wanted, wanted)} in time")
            self.sock.settimeout(remaining)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"server closed before {NAMES.get(wanted, wanted)}")
            self.buf += chunk


def login(conn, device_id, deadline):
    conn.send(envelope(1, HELLO, hello()))
    conn.expect(WELCOME, deadline)
    conn.send(envelope(2, LOGIN, guest_login(device_id)))
    ok = decode(conn.expect(LOGIN_OK, deadline))
    return ok.get(1, [0])[0], ok.get(2, [b""])[0].decode(errors="replace")


def cmd_login(args):
    deadline = time.monotonic() + args.timeout
    try:
        conn = Conn(args.host, args.port, args.timeout)
        player_id, name = login(conn, args.device_id, deadline)
    except (OSError, RuntimeError, ValueError) as e:
        print(f"login failed: {e}", file=sys.stderr)
        return 1
    print(f"LoginOk player_id={player_id} display_name={name}")
    conn.sock.close()
    return 0


def cmd_hold(args):
    conns = []
    failures = 0
    run = os.urandom(4).hex()
    for i in range(args.clients):
        deadline = time.monotonic() + args.timeout
        try:
            conn = Conn(args.host, args.port, args.timeout)
            login(conn, f"infra-{run}-{i:05d}", deadline)
            conn.send(envelope(3, JOIN_OR_CREATE, field_bytes(1, args.room_type)))
            conn.expect(JOINED, deadline)
            conns.append(conn)
        except (OSError, RuntimeError, ValueError) as e:
            failures += 1
            print(f"client {i}: {e}", file=sys.stderr)
    sel = selectors.DefaultSelector()
    for conn in conns:
        conn.sock.setblocking(False)
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    end = time.monotonic() + args.seconds
    next_input = time.monotonic()
    seq = 0
    closed = 0
    while time.monotonic() < end and conns:
        now = time.monotonic()
        if now >= next_input:
            seq += 1
            payload = field_varint(1, seq) + field_bytes(2, b"infra-check")
            for conn in conns:
                try:
                    conn.send(envelope(0, INPUT, payload))
                except OSError:
                    pass
            next_input = now + 1.0 / args.input_hz
        for key, _ in sel.select(timeout=min(0.05, max(0.0, end - now))):
            conn = key.data
            try:
                chunk = conn.sock.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                sel.unregister(conn.sock)
                conns.remove(conn)
                closed += 1
                continue
            conn.buf += chunk
            for number, body in conn.frames():
                if number == ERROR:
                    print(f"server error: {describe_error(body)}", file=sys.stderr)
    frames = sum(c.frames_in for c in conns)
    for conn in conns:
        conn.sock.close()
    print(f"held {len(conns)} clients for {args.seconds}s: {frames} frames received, "
          f"{failures} failed to join, {closed} closed by the server")
    return 0 if failures == 0 and closed == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("login", "hold"):
        p = sub.add_parser(name)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, required=True)
        p.add_argument("--timeout", type=float, default=10.0)
        if name == "login":
            p.add_argument("--device-id", default="infra-check-" + os.urandom(4).hex())
        else:
            p.add_argument("--clients", type=int, default=20)
            p.add_argument("--seconds", type=float, default=10.0)
            p.add_argument("--room-type", default="relay")
            p.add_argument("--input-hz", type=float, default=5.0)
    args = parser.parse_args()
    return cmd_login(args) if args.command == "login" else cmd_hold(args)


if __name__ == "__main__":
    sys.exit(main())
