"""The local servers the sample outlets and the test sites run on (crawler/samples/server.py)."""

from http.server import BaseHTTPRequestHandler
import socket
import threading
import time

from crawler.samples.server import LocalServer


class Late(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/fails":
            raise RuntimeError("a real fault in the handler")
        time.sleep(0.5)  # the client has hung up by then
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"x" * 1_000_000)

    def log_message(self, *args):
        pass


def ask_and_hang_up(port: int, path: str) -> None:
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # reset


def test_a_client_that_hangs_up_is_no_traceback_but_a_fault_in_a_handler_is(capfd):
    server = LocalServer(Late)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        ask_and_hang_up(port, "/late")
        time.sleep(1.5)
        assert capfd.readouterr().err == ""  # the answer met a closed connection: nothing printed
        ask_and_hang_up(port, "/fails")
        time.sleep(1.0)
        assert "RuntimeError: a real fault in the handler" in capfd.readouterr().err
    finally:
        server.shutdown()
        server.server_close()
