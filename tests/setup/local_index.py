"""A package index served by a test itself (no network), for the set-up's index readers.

serve(root) starts a threaded HTTP server over root and returns it; its simple API is
http://127.0.0.1:<server.server_port>/simple/. A project directory that holds index.json
answers in PEP 691 JSON, any other file as a static file (a PEP 503 index.html page, the
archives). Stop it with server.shutdown().
"""
import functools
import http.server
import os
import threading


class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        page = os.path.join(self.directory, self.path.strip("/"), "index.json")
        if os.path.exists(page):
            body = open(page, "rb").read()
            self.send_response(200)
            self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            super().do_GET()

    def log_message(self, *a):
        pass


def serve(root):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
