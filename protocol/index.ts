/** The wire contract shared by device, gateway and simulator. It imports none of them. */
export * from "./version.js";
export * from "./identifiers.js";
export * from "./pseudonym.js";
export * from "./canonical-form.js";
export * from "./event-signature.js";
export * from "./quarantine-reasons.js";
export * from "./decode-message.js";
export * from "./topics.js";
export * from "./alert-id.js";
export * from "./messages/event.js";
export * from "./messages/ack.js";
export * from "./messages/status.js";
export * from "./messages/config.js";
export * from "./messages/command.js";
export * from "./messages/alert.js";
export * from "./messages/box-rest.js";
export * from "./box-request-signature.js";
