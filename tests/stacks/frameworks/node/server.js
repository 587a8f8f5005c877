// An Express app with the `compression` middleware on, as its README sets it up, serving
// one SSE stream twice: /held writes each event with res.write() only, so the gzip stream
// keeps them until res.end(); /flushed calls res.flush() after each write, the middleware's
// documented way to send what was written (a zlib Z_SYNC_FLUSH).
//
//   node server.js PORT        (loopback only)
//   GET /held?count=5&interval=200, /flushed?..., /healthz
"use strict";

const compression = require("compression");
const express = require("express");

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  throw new Error("usage: node server.js PORT");
}

function paced(query) {
  const count = Math.min(Number(query.count ?? 5), 1000);
  const interval = Math.min(Number(query.interval ?? 200), 5000);
  return { count, interval };
}

function sse(flush) {
  return (req, res) => {
    const { count, interval } = paced(req.query);
    res.set({ "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
    let sent = 0;
    const send = () => {
      res.write(`id: ${sent}\ndata: tick ${sent}\n\n`);
      if (flush) {
        res.flush();
      }
      sent += 1;
      if (sent === count) {
        res.end();
      } else {
        timer = setTimeout(send, interval);
      }
    };
    let timer = setTimeout(send, 0);
    req.on("close", () => clearTimeout(timer));
  };
}

const app = express();
app.use(compression());
app.get("/healthz", (req, res) => res.type("text/plain").send("ok"));
app.get("/held", sse(false));
app.get("/flushed", sse(true));
app.listen(port, "127.0.0.1");
