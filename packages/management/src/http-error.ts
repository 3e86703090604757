// Errors in RabbitMQ's management API shape: {"error": ..., "reason": ...} with its status codes.

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly reason: unknown,
    readonly headers: Record<string, string> = {},
    /** A body other than {error, reason} (health checks answer {status, reason}). */
    readonly body?: Record<string, unknown>,
  ) {
    super(typeof reason === 'string' ? reason : JSON.stringify(reason));
  }
}

/** 404 for a missing object, in RabbitMQ's words. */
export const notFound = (): HttpError => new HttpError(404, 'Object Not Found', 'Not Found');
export const badRequest = (reason: unknown): HttpError => new HttpError(400, 'bad_request', reason);
/** 401 for an authenticated user without the needed tag or vhost access. */
export const notAuthorised = (reason: string): HttpError => new HttpError(401, 'not_authorised', reason);
export const loginFailed = (): HttpError =>
  new HttpError(401, 'not_authorized', 'Login failed', { 'www-authenticate': 'Basic realm="RabbitMQ Management"' });
