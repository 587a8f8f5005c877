// An Express app with the `compression` middleware on, as its README sets it up, serving
// one SSE stream twice: /held writes each event with res.write() only, so the compressed
// stream keeps them until res.end(); /flushed calls res.flush() after each write, the
// middleware's documented way to send what was written: Node's zlib flush() at its default
// kind, Z_FULL_FLUSH for gzip (it also resets the dictionary, so each message costs about
// twice what a Z_SYNC_FLUSH would), BROTLI_OPERATION_FLUSH for br. The middleware picks br
// when the client accepts it; Brotli emits no byte before a flush, and Node sends the head
// with the first body bytes, so /held's head waits for the end too under br (not gzip,
// whose 10-byte header goes at once).
//
// Given an upstream port, it also relays that upstream's streams (an Express "backend for
// frontend" passing on an API's stream): /relay/MODE/PATH?QUERY fetches
// http://127.0.0.1:UPSTREAM/PATH?QUERY and writes each piece on as it comes, through the
// same middleware. MODE is `held` (res.write() only), `flushed` (res.flush() after each
// write) or `head-first` (res.flushHeaders() once the upstream answers, then res.write()
// only: the head leaves at once whatever the compressor holds).
//
//   node server.js PORT [UPSTREAM]        (loopback only)
//   GET /held?count=5&interval=200, /flushed?..., /relay/held/sse?..., /healthz
"use strict";

const http = require("node:http");
const compression = require("compression");
const express = require("express");

const port = Number(process.argv[2]);
const upstream = process.argv[3] === undefined ? null : Number(process.argv[3]);
if (!Number.isInteger(port) || port <= 0 || (upstream !== null && !Number.isInteger(upstream))) {
  throw new Error("usage: node server.js PORT [UPSTREAM]");
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

// The upstream's status and type, then each piece it sends written on as it comes; the
// upstream asked for no compression, so the middleware is the only one compressing.
function relay(mode) {
  return (req, res) => {
    const target = req.originalUrl.slice(`/relay/${mode}`.length);
    const outgoing = http.get({ host: "127.0.0.1", port: upstream, path: target }, (answer) => {
      res.status(answer.statusCode);
      res.set({ "Content-Type": answer.headers["content-type"] ?? "text/plain", "Cache-Control": "no-cache" });
      if (mode === "head-first") {
        res.flushHeaders();
      }
      answer.on("data", (piece) => {
        res.write(piece);
        if (mode === "flushed") {
          res.flush();
        }
      });
      answer.on("end", () => res.end());
      answer.on("error", () => res.destroy());
    });
    outgoing.on("error", () => res.status(502).end());
    res.on("close", () => outgoing.destroy());
  };
}

const app = express();
app.use(compression());
app.get("/healthz", (req, res) => res.type("text/plain").send("ok"));
app.get("/held", sse(false));
app.get("/flushed", sse(true));
if (upstream !== null) {
  for (const mode of ["held", "flushed", "head-first"]) {
    app.get(new RegExp(`^/relay/${mode}/`), relay(mode));
  }
}
app.listen(port, "127.0.0.1");
