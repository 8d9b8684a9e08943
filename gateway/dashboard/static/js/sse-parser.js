/**
 * A server-sent-events parser for fetch streaming (EventSource cannot send an Authorization header).
 * Follows the WHATWG event-stream interpretation: lines end in CRLF, LF or CR; `:` starts a comment;
 * `data` lines join with "\n"; a blank line dispatches; an event without data is not dispatched.
 */
export function createSseParser(onEvent) {
  let buffer = "";
  let eventType = "";
  let data = [];
  let lastEventId = "";

  function line(text) {
    if (text === "") {
      if (data.length > 0) onEvent({ type: eventType === "" ? "message" : eventType, data: data.join("\n"), id: lastEventId });
      eventType = "";
      data = [];
      return;
    }
    if (text.startsWith(":")) return;
    const colon = text.indexOf(":");
    const field = colon < 0 ? text : text.slice(0, colon);
    let value = colon < 0 ? "" : text.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") eventType = value;
    else if (field === "data") data.push(value);
    else if (field === "id" && !value.includes("\u0000")) lastEventId = value;
  }

  return {
    push(chunk) {
      buffer += chunk;
      for (;;) {
        const match = /\r\n|\r|\n/.exec(buffer);
        if (match === null) return;
        // A lone CR at the end may be the first half of a CRLF split across chunks: wait for more.
        if (match[0] === "\r" && match.index === buffer.length - 1) return;
        line(buffer.slice(0, match.index));
        buffer = buffer.slice(match.index + match[0].length);
      }
    },
    lastEventId() {
      return lastEventId;
    },
  };
}
