/**
 * The virtual resident-ID-card reader: a byte-exact GA 467 SAM reader for tests, scenarios and
 * benchmarks. `VirtualReader` answers request frames (decoded with the device's pure codec) from a
 * deck of generated cards of every type, takes "place card" / "remove card" from scripts and injects
 * faults (damaged checksum, truncated reply, noise, slow or no reply, card removed mid-read, SAM
 * failure codes, unauthorised SAM). Transports: `virtualReaderMockBinding` (serialport's mock
 * binding, in-process, with unplug/replug) and `attachVirtualReaderToPort` on one end of a socat
 * pseudo-terminal pair (`openPtyPair`), optionally paced at the line rate.
 */
export { VirtualReader, SAMPLE_SAM_ID, type ReaderFault, type SamCondition, type FindAfterRead, type VirtualReaderOptions, type ReaderLogEntry } from "./virtual-reader.js";
export { virtualCard, virtualCardDeck, type VirtualCard } from "./virtual-cards.js";
export { virtualReaderMockBinding, type VirtualReaderBinding } from "./mock-binding-transport.js";
export { attachVirtualReaderToPort, type ReaderPortTransport, type ReaderPortOptions } from "./serial-port-transport.js";
export { openPtyPair, makePtyDir, type PtyPair, type PtyPairOptions } from "./pty-pair.js";
