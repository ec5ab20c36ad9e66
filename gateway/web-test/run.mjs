// Serves the bundled page on a loopback port, opens it in headless Chromium and prints the
// page's result as one JSON line. Usage: node run.mjs <gateway-url> [extra query, `&a=b`]
import fs from "node:fs";
import http from "node:http";
import { chromium } from "playwright-core";

const gateway = process.argv[2];
const query = process.argv[3] ?? "";
if (!gateway) {
  console.error("usage: node run.mjs <gateway-url>");
  process.exit(2);
}

const page = `<!doctype html><html><head><meta charset="utf-8"></head>
<body><script type="module" src="/app.js"></script></body></html>`;
const server = http.createServer((request, response) => {
  if (request.url?.startsWith("/app.js")) {
    response.writeHead(200, { "content-type": "text/javascript" });
    response.end(fs.readFileSync(new URL("./dist/app.js", import.meta.url)));
  } else {
    response.writeHead(200, { "content-type": "text/html" });
    response.end(page);
  }
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
  ],
});
try {
  const tab = await browser.newPage();
  tab.on("console", (message) => console.error(`browser: ${message.text()}`));
  await tab.goto(`http://127.0.0.1:${port}/?gateway=${encodeURIComponent(gateway)}${query}`);
  await tab.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000 });
  const result = await tab.evaluate(() => window.__result);
  console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
} finally {
  await browser.close();
  server.close();
}
