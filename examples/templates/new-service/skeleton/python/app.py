"""${{ values.name }}: ${{ values.description }}"""
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

served = 0


def respond(path):
    """Status, content type and body of a GET of path."""
    global served
    if path == "/healthz":
        return 200, "text/plain", "ok\n"
    if path == "/metrics":
        return 200, "text/plain; version=0.0.4", (
            "# TYPE http_requests_total counter\n"
            'http_requests_total{code="200"} %d\n' % served
        )
    served += 1
    return 200, "text/plain", "${{ values.name }}\n"


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        code, ctype, body = respond(self.path)
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.end_headers()
        self.wfile.write(body.encode())


if __name__ == "__main__":
    HTTPServer(("", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
