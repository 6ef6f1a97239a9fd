/**
 * A request the server refuses, with the HTTP status the Open Inference Protocol gives it
 * (400 bad request, 404 unknown model, 503 not ready / no capacity). Sent as `{"error": message}`.
 */
export class ProtocolError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

/** 400 with `message`. */
export function badRequest(message: string): ProtocolError {
  return new ProtocolError(400, message);
}
