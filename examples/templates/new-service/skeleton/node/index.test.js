const test = require("node:test");
const assert = require("node:assert");
const { handler } = require("./index.js");

test("GET /healthz answers ok", () => {
  let body = "";
  handler({ url: "/healthz" }, { setHeader() {}, end(b) { body = b; } });
  assert.strictEqual(body, "ok\n");
});
