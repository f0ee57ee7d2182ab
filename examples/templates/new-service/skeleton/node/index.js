// ${{ values.name }}: ${{ values.description }}
const http = require("node:http");

let served = 0;

function handler(req, res) {
  if (req.url === "/healthz") {
    res.end("ok\n");
  } else if (req.url === "/metrics") {
    res.setHeader("Content-Type", "text/plain; version=0.0.4");
    res.end(`# TYPE http_requests_total counter\nhttp_requests_total{code="200"} ${served}\n`);
  } else {
    served += 1;
    res.end("${{ values.name }}\n");
  }
}

if (require.main === module) {
  http.createServer(handler).listen(Number(process.env.PORT || 8080));
}

module.exports = { handler };
