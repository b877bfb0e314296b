#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/: real frames, requests and files, so
every target starts from inputs the server meets in practice (README.md says what each covers).
Encodes the few protobuf messages it needs by hand (no protobuf package needed). Run it after a
change to the wire format: python3 tests/fuzz/make_corpus.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def varint(n):
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def zigzag(n):
    return (n << 1) ^ (n >> 63)


def vfield(num, value):  # varint field
    return varint(num << 3) + varint(value)


def lfield(num, data):  # length-delimited field
    if isinstance(data, str):
        data = data.encode()
    return varint(num << 3 | 2) + varint(len(data)) + data


def envelope(rid, num, body):
    return vfield(1, rid) + lfield(num, body)


def frame(env):  # TCP framing: u32 little-endian length, then the Envelope
    return struct.pack("<I", len(env)) + env


HELLO = envelope(1, 2, vfield(1, 1) + lfield(2, "fuzz-seed/1"))
GUEST = envelope(2, 4, lfield(1, lfield(1, "device-fuzz-seed-1")) + lfield(3, "Seedy"))
REGISTER = envelope(2, 4, lfield(2, lfield(1, "seeduser") + lfield(2, "seed-password") + vfield(3, 1)))
PASSWORD = envelope(2, 4, lfield(2, lfield(1, "seeduser") + lfield(2, "seed-password")))
TICKET = envelope(2, 4, lfield(4, "00112233445566778899aabbccddeeff"))
RECONNECT = envelope(2, 6, lfield(1, "ffeeddccbbaa99887766554433221100"))
LIST = envelope(3, 7, lfield(1, "spelltraction") + vfield(2, 1) + vfield(4, 10))
CREATE_RELAY = envelope(4, 9, lfield(1, "relay") + lfield(2, "seed room") + vfield(3, 4))
JOIN_ROOM = envelope(4, 10, vfield(1, 1))
JOIN_SPELL = envelope(5, 11, lfield(1, "spelltraction"))
MOVE = vfield(1, zigzag(120)) + vfield(2, zigzag(80))
INPUT_MOVE = envelope(0, 15, vfield(1, 1) + lfield(2, MOVE))
INPUT_RELAY = envelope(0, 15, vfield(1, 2) + lfield(2, b"hello relay"))
PING = envelope(6, 18, b"")
LEADERBOARD = envelope(7, 21, vfield(1, 10))
LEAVE = envelope(8, 13, b"")


def ws_frame(payload, opcode=2, fin=True, key=b"\x11\x22\x33\x44"):
    """A masked client frame, as browsers send them."""
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        head += bytes([0x80 | n])
    elif n <= 0xFFFF:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack(">Q", n)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


UPGRADE = (b"GET / HTTP/1.1\r\nHost: localhost:12123\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\nOrigin: http://localhost:12123\r\n\r\n")


def http(method, target, body=b"", auth=True, csrf=True, close=False, extra=b""):
    if isinstance(body, str):
        body = body.encode()
    head = f"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n".encode()
    if auth:
        head += b"Authorization: Bearer @TOKEN@\r\n"
    if csrf:
        head += b"X-CSRF-Token: @CSRF@\r\n"
    if body:
        head += b"Content-Type: application/json\r\n"
        head += f"Content-Length: {len(body)}\r\n".encode()
    if close:
        head += b"Connection: close\r\n"
    return head + extra + b"\r\n" + body


SEEDS = {
    # A byte stream, then (FuzzedDataProvider reads integers from the end) the cut points and
    # their count: a trailing 0 feeds the stream in one piece.
    "fuzz_frame_decoder": {
        "hello_login": frame(HELLO) + frame(GUEST) + b"\x00",
        "hello_login_cut": frame(HELLO) + frame(GUEST) + b"\x03\x01\x05\x03",
        "partial_tail": frame(HELLO) + frame(LIST)[:7] + b"\x00",
        "empty_frame": frame(HELLO) + b"\x00\x00\x00\x00" + b"\x00",
        "oversize_frame": struct.pack("<I", 5000) + b"x" * 16 + b"\x00",
    },
    "fuzz_ws_frames": {
        "one_message": ws_frame(HELLO) + b"\x00",
        "fragmented": ws_frame(HELLO[:3], 2, False) + ws_frame(HELLO[3:], 0) + b"\x00",
        "ping_close": ws_frame(b"hi", 9) + ws_frame(b"\x03\xe8", 8) + b"\x00",
        "lengths": ws_frame(b"x" * 200) + ws_frame(b"y" * 70000)[:40] + b"\x02\x07\x09\x02",
        "unmasked": b"\x82\x02hi" + b"\x00",
        "fragmented_ping": ws_frame(b"ab", 2, False) + ws_frame(b"", 9) + ws_frame(b"cd", 0) + b"\x00",
    },
    "fuzz_ws_upgrade": {
        "upgrade_hello": UPGRADE + ws_frame(HELLO) + ws_frame(GUEST),
        "upgrade_close": UPGRADE + ws_frame(b"\x03\xe8", 8),
        "upgrade_server_close": UPGRADE + ws_frame(b"abc") + ws_frame(b"q"),
        "upgrade_ping_fragments": UPGRADE + ws_frame(b"p", 9) + ws_frame(b"ab", 2, False)
        + ws_frame(b"cd", 0),
        "plain_get": b"GET /index.html HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "bad_version": UPGRADE.replace(b"Version: 13", b"Version: 8"),
        "no_key": UPGRADE.replace(b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", b""),
        "chunked_body": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5\r\nhello\r\n0\r\n\r\n",
    },
    "fuzz_session": {
        "guest_spelltraction": b"".join(frame(e) for e in (
            HELLO, GUEST, LIST, JOIN_SPELL, INPUT_MOVE, INPUT_MOVE, PING, LEADERBOARD, LEAVE)),
        "guest_relay": b"".join(frame(e) for e in (
            HELLO, GUEST, CREATE_RELAY, INPUT_RELAY, LEAVE, JOIN_ROOM)),
        "register_then_login": b"".join(frame(e) for e in (HELLO, REGISTER, PASSWORD, LIST)),
        "reconnect_and_ticket": b"".join(frame(e) for e in (HELLO, RECONNECT, TICKET, GUEST)),
        "before_hello": b"".join(frame(e) for e in (LIST, GUEST, HELLO, HELLO)),
        "bad_envelope": frame(HELLO) + frame(b"\xff\xff\xff\x0f") + frame(b"\x08\x01"),
        "wrong_version": frame(envelope(1, 2, vfield(1, 99))),
    },
    "fuzz_side_port": {
        "healthz_metrics": http("GET", "/healthz", auth=False, csrf=False)
        + http("GET", "/metrics", auth=False, csrf=False)
        + http("GET", "/readyz", auth=False, csrf=False, close=True),
        "overview_rooms": http("GET", "/api/v1/overview") + http("GET", "/api/v1/auth/me")
        + http("GET", "/api/v1/rooms?type=relay&sort=id&order=asc&offset=0&limit=5&q=a%20b", close=True),
        "room_create_action": http("POST", "/api/v1/rooms",
                                   '{"type":"relay","name":"fuzz","max_players":4}')
        + http("GET", "/api/v1/rooms/1") + http("POST", "/api/v1/rooms/1/lock", '{}')
        + http("POST", "/api/v1/rooms/1/close", '{"reason":"seed"}', close=True),
        "players": http("GET", "/api/v1/players?q=guest&limit=10")
        + http("GET", "/api/v1/players/1")
        + http("POST", "/api/v1/players/1/ban", '{"duration_s":60,"reason":"seed"}')
        + http("POST", "/api/v1/players/1/unban", '{}')
        + http("POST", "/api/v1/players/1/kick", '{"reason":"seed"}', close=True),
        "audit_config": http("GET", "/api/v1/audit?limit=5") + http("GET", "/api/v1/admin-users")
        + http("GET", "/api/v1/server/config") + http("GET", "/api/v1/cluster", close=True),
        "login": http("POST", "/api/v1/auth/login",
                      '{"username":"fuzz-admin","password":"wrong-password"}', auth=False,
                      csrf=False, close=True),
        "malformed_json": http("POST", "/api/v1/rooms", '{"type":') + http(
            "POST", "/api/v1/rooms", '[1,2,3]', close=True),
        "no_csrf": http("POST", "/api/v1/rooms", '{"type":"relay"}', csrf=False, close=True),
        "console_files": http("GET", "/admin", auth=False, csrf=False)
        + http("GET", "/admin/", auth=False, csrf=False)
        + http("GET", "/admin/assets/app.js", auth=False, csrf=False)
        + http("GET", "/admin/../secret.txt", auth=False, csrf=False)
        + http("GET", "/admin/%2e%2e/secret.txt", auth=False, csrf=False, close=True),
        "cookie_auth": b"GET /api/v1/overview HTTP/1.1\r\nHost: x\r\n"
        b"Cookie: a=b; rookery_session=@TOKEN@\r\nConnection: close\r\n\r\n",
        "stream": http("GET", "/api/v1/stream", close=True),
        "big_header": b"GET / HTTP/1.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
    },
    "fuzz_config": {
        "typical": b"# rookery.conf\ntcp_port = 12122\nws_port = 12123\nthreads = 2\n"
        b"max_frame_bytes = 65536\ndb = \"data/#1.db\"  # quoted\nlog_format = json\n"
        b"log_level = warn\nserver_name = \"seed server\"\nsynchronous = normal\n",
        "limits": b"msg_rate = 60\nmsg_burst = 120\nhandshake_timeout_ms = 10000\n"
        b"idle_timeout_ms = 60000\noutbound_queue_bytes = 262144\nmax_errors = 10\n"
        b"reconnect_grace_ms = 30000\ninput_queue = 32\nspelltraction_tick_hz = 20\n",
        "cluster": b"redis = redis://127.0.0.1:6379\nnode_id = a\nadvertise_host = game-a\n"
        b"cluster_name = rookery\nlease_ms = 3000\nticket_ttl_ms = 10000\n",
        "bad": b"tcp_port = 70000\nno_such_key = 1\n",
        "escapes": b"server_name = \"a \\\"quoted\\\" \\\\ name\"\nweb_root = \"\"\n",
    },
}

# Game inputs: operation bytes are read from the end (FuzzedDataProvider), strings from the front.
# A Move's bytes up front, then ops: add seats, moves, ticks across the hold time, a snapshot.
GAME_OPS = bytes([0, 0, 1, 0, 3, 1, 1, 3, 5, 0xFF, 0xFF, 3, 1, 5, 0xFF, 0xFF, 6, 2, 1, 7])
SEEDS["fuzz_spelltraction"] = {
    "moves_and_ticks": b"\x00" * 8 + (MOVE + b"\x00") * 4 + GAME_OPS[::-1],
    "seed_only": b"\x01\x02\x03\x04\x05\x06\x07\x08",
}
SEEDS["fuzz_relay"] = {
    "inputs_and_ticks": (b"relay-bytes\x00") * 4 + GAME_OPS[::-1],
}


def main():
    for target, seeds in SEEDS.items():
        folder = os.path.join(HERE, "corpus", target)
        os.makedirs(folder, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
    print(f"wrote {sum(len(s) for s in SEEDS.values())} seeds for {len(SEEDS)} targets")


if __name__ == "__main__":
    main()
