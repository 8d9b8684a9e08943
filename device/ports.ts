/**
 * The box's seams: small interfaces that production wires to real parts (serial reader, camera,
 * MQTT) and tests and the simulator wire to virtual ones, so both run the same flows.
 */

/** Publishes with QoS 1; resolves once the broker has the message (PUBACK), which deletes nothing. */
export interface EventPublisher {
  publish(topic: string, payload: Buffer): Promise<void>;
}

export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
