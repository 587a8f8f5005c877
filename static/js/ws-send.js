// The WebSocket column's send box: text typed here goes over the stream's own open socket
// (page -> worker -> the reader's socket.send), and the server's echo comes back on it,
// beside the stream's messages but never counted as one of them.

import { el, setText } from "./dom.js";
import { SETTLED } from "./run.js";
import { formatMs } from "./stats.js";

/** Kept far below the server's 64 KiB per message (app/server/transports/ws.py): a line of text, not a payload test. */
export const MAX_SEND_CHARS = 1000;
const MAX_ECHOES_SHOWN = 20;
const BOUND = `at most ${MAX_SEND_CHARS.toLocaleString("en-US")} characters`;
const QUOTED_CHARS = 40;

const quoted = (text) => `“${text.length > QUOTED_CHARS ? `${text.slice(0, QUOTED_CHARS)}…` : text}”`;

/** Why the box is closed, or null when the socket is open to send on. */
function closedReason(record, expected) {
  if (!record) return "Run opens the socket; while it is open, text sent here comes back as the server's echo.";
  if (record.state === "aborted") return "The socket was closed by Stop: Run to open it again.";
  if (record.state === "error") return "The socket failed: Run to open it again.";
  if (SETTLED.has(record.state)) return "The socket closed when the stream ended: Run to open it again.";
  if (record.openT === null) return "Waiting for the socket to open…";
  // The server closes right after its last message: a text sent then would race that close.
  if (expected !== null && record.count >= expected) return "The stream has sent everything; the server is closing the socket.";
  return null;
}

/** `form`: the column's [data-role=ws-send]; `send(text)`: hands it to the worker, true if sent. */
export function createSendBox(form, send) {
  const input = form.querySelector("input");
  const button = form.querySelector("button");
  const why = form.querySelector('[data-role="send-why"]');
  const said = form.querySelector('[data-role="send-status"]');
  const list = form.querySelector('[data-role="echoes"]');
  input.maxLength = MAX_SEND_CHARS;
  let current = null;
  let shown = 0;

  function setOpen(open, reason) {
    input.disabled = !open;
    button.disabled = !open;
    form.dataset.open = String(open);
    setText(why, open ? `Sent over the stream's own socket; the server echoes each text (${BOUND}).` : reason);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value;
    if (!text) return setText(said, "Type some text to send.");
    if (text.length > MAX_SEND_CHARS) return setText(said, `Not sent: ${BOUND}, this is ${text.length.toLocaleString("en-US")}.`);
    if (!send(text)) return setText(said, "Not sent: the socket is not open.");
    input.value = "";
    setText(said, `Sent ${quoted(text)}, waiting for its echo…`);
  });

  return {
    /** Before a run, or for a new one: no echoes, closed until its socket opens. */
    reset(record = null) {
      current = record;
      shown = 0;
      list.replaceChildren();
      list.hidden = true;
      setText(said, "");
      setOpen(false, closedReason(record, null));
    },
    render(record, expected) {
      const reason = closedReason(record, expected);
      setOpen(reason === null, reason);
      const echoes = record.echoes ?? [];
      if (record !== current || echoes.length === shown) return;
      for (const echo of echoes.slice(shown)) {
        const item = el("li", "echo");
        item.append(el("span", "echo-text", echo.text), el("span", "echo-rtt", formatMs(echo.ms)));
        item.title = `echoed at ${formatMs(echo.t)} since Run, ${formatMs(echo.ms)} after it was sent`;
        list.append(item);
      }
      while (list.childElementCount > MAX_ECHOES_SHOWN) list.firstElementChild.remove();
      shown = echoes.length;
      list.hidden = false;
      form.dataset.echoes = String(shown);
      const last = echoes.at(-1);
      setText(said, `Echo of ${quoted(last.text)} after ${formatMs(last.ms)}.`);
    },
  };
}
