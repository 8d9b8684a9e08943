/**
 * Why a simulation could not run at all. Bad gateway answers to individual events are not errors:
 * they are what the summary reports.
 */
export const SIMULATION_ERROR_CODES = ["invalid_options", "registration_failed", "broker_unreachable", "subscribe_failed"] as const;
export type SimulationErrorCode = (typeof SIMULATION_ERROR_CODES)[number];

export class SimulationError extends Error {
  override readonly name = "SimulationError";

  constructor(
    readonly code: SimulationErrorCode,
    message: string,
    readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}
