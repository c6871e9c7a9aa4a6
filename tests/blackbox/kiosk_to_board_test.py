#!/usr/bin/python3
"""Black-box test from another language: a ticket walks from kiosk to board.

Starts a real qcalld, generates Python stubs with protoc and
grpc_python_plugin, issues a ticket on a kiosk token, calls it at a counter,
and checks that a display board watching the hall receives the call with its
announcement. Uses Debian's python3-grpcio; run by ctest.

Usage: kiosk_to_board_test.py <qcalld> <proto dir>
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

QCALLD, PROTO_DIR = sys.argv[1], sys.argv[2]
WORK = tempfile.mkdtemp(prefix="qcall-blackbox-")
STUBS = os.path.join(WORK, "stubs")
os.makedirs(STUBS)
protos = [os.path.join(root, f) for root, _, files in os.walk(PROTO_DIR)
          for f in files if f.endswith(".proto")]
subprocess.run(["protoc", f"-I{PROTO_DIR}", f"--python_out={STUBS}",
                f"--grpc_out={STUBS}",
                "--plugin=protoc-gen-grpc=" + shutil.which("grpc_python_plugin")]
               + protos, check=True)
sys.path.insert(0, STUBS)

import grpc  # noqa: E402
from qcall.v1 import api_pb2, api_pb2_grpc  # noqa: E402

CONFIG = """
halls {
  hall_id: "py-hall" name: "Python hall" time_zone: "Asia/Shanghai"
  language: LANGUAGE_ZH
  services { code: "BILL" name: "话费缴纳" ticket_prefix: "A" }
  windows { number: 3 name: "3号窗口" serves { service_code: "BILL" } }
  hours { weekday: 1 open_minute: 0 close_minute: 1440 }
}
tokens { token: "py-kiosk-token" role: ROLE_KIOSK halls: "py-hall" name: "kiosk" }
tokens { token: "py-counter-token" role: ROLE_COUNTER halls: "py-hall" name: "counter" }
tokens { token: "py-display-token" role: ROLE_DISPLAY halls: "py-hall" name: "board" }
"""


def auth(token):
    return [("authorization", "Bearer " + token)]


class KioskToBoard(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        config = os.path.join(WORK, "halls.textproto")
        with open(config, "w") as f:
            f.write(CONFIG)
        port_file = os.path.join(WORK, "port")
        # A new installation: the journal is made once, explicitly.
        subprocess.run([QCALLD, "--config", config, "--data",
                        os.path.join(WORK, "data"), "--init-store"],
                       check=True, stdout=subprocess.DEVNULL)
        # The phone the kiosk gives is kept encrypted under this key, which
        # lives outside the data folder.
        key_file = os.path.join(WORK, "private.key")
        with open(os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600),
                  "wb") as f:
            f.write(os.urandom(32))
        cls.server = subprocess.Popen(
            [QCALLD, "--config", config, "--data", os.path.join(WORK, "data"),
             "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0",
             "--private-key-file", key_file, "--port-file", port_file])
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if time.time() > deadline or cls.server.poll() is not None:
                raise RuntimeError("qcalld did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            port, cls.http_port = (int(p) for p in f.read().split())
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.server.terminate()
        cls.server.wait(timeout=10)
        shutil.rmtree(WORK, ignore_errors=True)

    def test_ticket_reaches_the_board(self):
        kiosk = api_pb2_grpc.KioskStub(self.channel)
        counter = api_pb2_grpc.CounterStub(self.channel)
        display = api_pb2_grpc.DisplayStub(self.channel)

        issued = kiosk.IssueTicket(
            api_pb2.IssueTicketRequest(hall_id="py-hall", service_code="BILL",
                                       phone="13900001234", request_id="py-1"),
            metadata=auth("py-kiosk-token"), timeout=10)
        self.assertEqual(issued.ticket.number, "A001")
        self.assertEqual(issued.people_ahead, 0)

        board = display.Watch(api_pb2.WatchRequest(hall_id="py-hall"),
                              metadata=auth("py-display-token"), timeout=20)
        first = next(board)
        self.assertTrue(first.HasField("snapshot"))
        snapshot_seq = first.snapshot.last_seq

        counter.OpenWindow(api_pb2.OpenWindowRequest(
            hall_id="py-hall", window=3, clerk_id="li"),
            metadata=auth("py-counter-token"), timeout=10)
        called = counter.CallNext(api_pb2.WindowRequest(hall_id="py-hall",
                                                        window=3),
                                  metadata=auth("py-counter-token"), timeout=10)
        self.assertEqual(called.ticket.number, "A001")

        seqs, call = [], None
        for response in board:
            event = response.event
            seqs.append(event.seq)
            if event.WhichOneof("kind") == "ticket_called":
                call = event.ticket_called
                break
        self.assertEqual(seqs, list(range(snapshot_seq + 1,
                                          snapshot_seq + 1 + len(seqs))))
        self.assertEqual(call.ticket.number, "A001")
        self.assertEqual(call.window, 3)
        self.assertEqual(call.announcement, "请 A001 号到 3 号窗口办理")
        self.assertNotIn("13900001234", str(call))
        board.cancel()

    def test_health_and_metrics_over_http(self):
        base = f"http://127.0.0.1:{self.http_port}"
        with urllib.request.urlopen(base + "/healthz", timeout=10) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.read(), b"ok\n")
        with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
            text = r.read().decode()
        self.assertIn("qcall_journal_healthy 1", text)
        self.assertIn('qcall_open_windows{hall="py-hall"}', text)
        self.assertIn("# TYPE qcall_command_durable_seconds histogram", text)

    def test_wrong_token_is_unauthenticated(self):
        kiosk = api_pb2_grpc.KioskStub(self.channel)
        with self.assertRaises(grpc.RpcError) as caught:
            kiosk.IssueTicket(api_pb2.IssueTicketRequest(
                hall_id="py-hall", service_code="BILL"),
                metadata=auth("not-a-token"), timeout=10)
        self.assertEqual(caught.exception.code(),
                         grpc.StatusCode.UNAUTHENTICATED)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
