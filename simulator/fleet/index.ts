/**
 * The event-level fleet simulator (`carewitness simulate`): a seeded plan of institutions, boxes and
 * patients, their signed traffic with labelled hostile messages, and a publisher that behaves like the
 * boxes' outboxes. Imports only protocol/.
 */
export { planFleet, type FleetPlan, type PlannedBox, type PlannedSite, type PlannedPerson, type PlannedStaff, type DialysisPatient, type Inpatient } from "./fleet-plan.js";
export { planTraffic, type PlannedMessage, type MessageTruth, type ValidTruth } from "./traffic-plan.js";
export { DEFECT_REASONS, ACKABLE_DEFECTS, type DefectReason, type DefectTruth } from "./hostile-messages.js";
export { runFleetSimulation, type SimulationProgress, type SimulationPhase, type ProgressListener } from "./fleet-simulation.js";
export { formatSimulationSummary, type SimulationSummary, type SimulationMismatch } from "./simulation-summary.js";
export {
  SimulationOptions,
  FleetOptions,
  TrafficOptions,
  PublisherOptions,
  simulationOptionDocs,
  type SimulationOptionsInput,
  type FleetOptionsInput,
  type TrafficOptionsInput,
  type OptionDoc,
} from "./simulation-options.js";
export { SimulationError, SIMULATION_ERROR_CODES, type SimulationErrorCode } from "./simulation-error.js";
export { registerBoxes, type RegistrationReport } from "./device-registration.js";
export { mod11_2CheckCharacter, hasValidCheckCharacter, isValidResidentIdNumber } from "./id-number-check.js";
