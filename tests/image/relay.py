"""One connection of QEMU's guestfwd (cmd: form) relayed to a port on the host's loopback.

QEMU runs this for each connection the guest opens to the forwarded address, with the
connection on stdin/stdout: tests/image/central.sh forwards the board's https://10.0.2.100
(its WAN, on QEMU's restricted user network) to `ruji central` on 127.0.0.1:PORT. Nothing
leaves the host.
"""
import os
import socket
import sys
import threading

conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))


def upstream():
    while True:
        data = os.read(0, 65536)
        if not data:
            break
        conn.sendall(data)
    conn.shutdown(socket.SHUT_WR)


threading.Thread(target=upstream, daemon=True).start()
while True:
    data = conn.recv(65536)
    if not data:
        break
    os.write(1, data)
