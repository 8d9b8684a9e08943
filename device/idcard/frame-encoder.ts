import { HEADER_BYTES, MAX_LEN, PREAMBLE, PREAMBLE_BYTES, xorChecksum } from "./frame-layout.js";

/**
 * One frame around `body` (the bytes between LEN and CHK): preamble, big-endian LEN = body + 1,
 * body, XOR checksum. Throws only on a body the protocol cannot carry, which is a programming error
 * on our side, never input from the wire.
 */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const len = body.length + 1;
  if (len > MAX_LEN) throw new RangeError(`frame body of ${body.length} bytes exceeds LEN ${MAX_LEN}`);
  const frame = new Uint8Array(HEADER_BYTES + len);
  frame.set(PREAMBLE, 0);
  frame[PREAMBLE_BYTES] = len >> 8;
  frame[PREAMBLE_BYTES + 1] = len & 0xff;
  frame.set(body, HEADER_BYTES);
  frame[frame.length - 1] = xorChecksum(frame, PREAMBLE_BYTES, frame.length - 1);
  return frame;
}

/** A request frame: CMD PARA DATA (idcard-protocol.md, "Frames"). */
export function encodeRequestFrame(cmd: number, para: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const body = new Uint8Array(2 + data.length);
  body[0] = cmd;
  body[1] = para;
  body.set(data, 2);
  return encodeFrame(body);
}

/** A response frame: SW1 SW2 SW3 DATA. */
export function encodeResponseFrame(sw3: number, data: Uint8Array = new Uint8Array(0), sw1 = 0, sw2 = 0): Uint8Array {
  const body = new Uint8Array(3 + data.length);
  body[0] = sw1;
  body[1] = sw2;
  body[2] = sw3;
  body.set(data, 3);
  return encodeFrame(body);
}
