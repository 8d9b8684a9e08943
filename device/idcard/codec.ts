/**
 * The ID-card reader's pure protocol layer: frames, commands, responses, card text. No I/O; the
 * simulator may import this module (never the driver).
 */
export * from "./frame-layout.js";
export * from "./frame-encoder.js";
export * from "./frame-decoder.js";
export * from "./sam-status.js";
export * from "./sam-id.js";
export * from "./reader-commands.js";
export * from "./reader-responses.js";
export * from "../../protocol/id-number-check.js";
export * from "./card-code-tables.js";
export * from "./card-text-layout.js";
export * from "./id-card.js";
export * from "./card-text-parser.js";
export * from "./card-text-encoder.js";
