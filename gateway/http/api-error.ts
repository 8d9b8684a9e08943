/** Errors the REST API answers with: an HTTP status, a stable code and a message for people. */
export const API_ERROR_CODES = ["bad_request", "unauthenticated", "forbidden", "not_found", "conflict", "unavailable", "internal"] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}
