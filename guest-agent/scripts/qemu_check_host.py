#!/usr/bin/python3
"""Host side of scripts/qemu-check.sh: talks to kvm-guest-agent over the QEMU socket of its
virtio-serial port, as the app's client will (stdlib only)."""
import base64, hashlib, json, os, socket, sys, time

V = sys.argv[1]
CHUNK = 1 << 20

class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX); self.s.connect(path)
        self.buf = b""; self.id = 0
        self.s.sendall(b"\n")  # resync rule
    def send(self, method, params=None):
        self.id += 1
        self.s.sendall(json.dumps({"jsonrpc": "2.0", "id": self.id, "method": method, "params": params or {}}).encode() + b"\n")
        return self.id
    def recv(self):
        while b"\n" not in self.buf:
            d = self.s.recv(1 << 20)
            if not d: raise EOFError
            self.buf += d
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)
    def call(self, method, params=None, want_ok=True):
        i = self.send(method, params)
        while True:
            r = self.recv()
            if r.get("id") == i: break
        if want_ok and "error" in r: raise RuntimeError(r["error"])
        return r

def connect_and_ping(timeout=60):
    t0 = time.time()
    while True:
        try:
            c = Conn(f"{V}/agent.sock"); c.s.settimeout(2)
            r = c.call("ping"); c.s.settimeout(120); return c, time.time() - t0
        except (socket.timeout, ConnectionError, EOFError, FileNotFoundError):
            if time.time() - t0 > timeout: raise
            time.sleep(0.5)

c, waited = connect_and_ping()
print(f"first ping after {waited:.1f} s")
info = c.call("get_agent_info")["result"]; print("agent", info["version"], info["protocol"], "methods", len(info["methods"]))
si = c.call("get_system_info")["result"]; print("hostname", si["hostname"], "kernel", si["kernel"]["release"], "cpu", si["cpu"], "mem", si["memory_total_bytes"])
assert si["hostname"] == "kvmm-guest"
ex = c.call("exec_command", {"argv": ["/bin/uname", "-r"]})["result"]
print("exec uname -r:", base64.b64decode(ex["stdout"]).decode().strip())
assert base64.b64decode(ex["stdout"]).decode().strip() == si["kernel"]["release"]
n = 50
t0 = time.time()
for _ in range(n): c.call("ping")
rtt = (time.time() - t0) / n * 1000
print(f"ping round trip {rtt:.2f} ms (mean of {n})")

size = int(sys.argv[2]) << 20 if len(sys.argv) > 2 else 8 << 20
window = int(sys.argv[3]) if len(sys.argv) > 3 else 8
data = os.urandom(size); digest = hashlib.sha256(data).hexdigest()
# in
t0 = time.time()
r = c.call("file_write", {"path": "/tmp/copy.bin", "data": base64.b64encode(data[:CHUNK]).decode(), "overwrite": True})["result"]
t = r["transfer"]; offs = list(range(CHUNK, size, CHUNK)); sent = got = 0
while got < len(offs):
    while sent < len(offs) and sent - got < window:
        o = offs[sent]; c.send("file_write", {"transfer": t, "offset": o, "data": base64.b64encode(data[o:o+CHUNK]).decode()}); sent += 1
    r = c.recv(); assert "result" in r, r; got += 1
r = c.call("file_write", {"transfer": t, "sha256": digest, "size": size})["result"]; assert r["done"]
tin = time.time() - t0
# out
t0 = time.time(); back = bytearray(size)
r = c.call("file_read", {"path": "/tmp/copy.bin", "length": CHUNK})["result"]; t = r["transfer"]
b = base64.b64decode(r["data"]); back[:len(b)] = b; sent = got = 0
while got < len(offs):
    while sent < len(offs) and sent - got < window:
        c.send("file_read", {"transfer": t, "offset": offs[sent], "length": CHUNK}); sent += 1
    r = c.recv()["result"]; b = base64.b64decode(r["data"]); back[r["offset"]:r["offset"]+len(b)] = b; got += 1
r = c.call("file_read", {"transfer": t, "finish": True})["result"]
tout = time.time() - t0
assert r["sha256"] == digest and hashlib.sha256(back).hexdigest() == digest
# raw echo on the second port, same size
rs = socket.socket(socket.AF_UNIX); rs.connect(f"{V}/raw.sock"); time.sleep(0.5)
import threading
t0 = time.time()
def writer():
    for o in range(0, size, 65536): rs.sendall(data[o:o+65536])
th = threading.Thread(target=writer); th.start(); n = 0
while n < size:
    d = rs.recv(1 << 20)
    if not d: break
    n += len(d)
th.join(); traw = time.time() - t0; rs.close()
mb = size / 1e6
print(f"{size>>20} MiB, window {window}: in {mb/tin:.2f} MB/s, out {mb/tout:.2f} MB/s, raw echo {mb/traw:.2f} MB/s (both directions at once); SHA-256 matched both ways")
print(f"ratios: in {traw/tin*100:.0f} %, out {traw/tout*100:.0f} % of the raw echo")
# reconnect: the guest sees EOF/HUP, reopens the port, and serves the next host
c.s.close(); time.sleep(1)
c, waited = connect_and_ping()
print(f"after reconnect: ping answered in {waited:.2f} s")
# a half line left by a host that went away, then the resync newline of the next host
c.s.sendall(b'{"jsonrpc":"2.0","id":99,"meth'); c.s.close(); time.sleep(0.5)
c, waited = connect_and_ping()
print(f"after a half line and reconnect: ping answered in {waited:.2f} s")
if "--reboot" in sys.argv:
    r = c.call("reboot")["result"]; print("reboot accepted, delay", r["delay_ms"], "ms")
