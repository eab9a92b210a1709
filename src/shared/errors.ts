/**
 * Domain errors thrown by services. One error handler (web/errors.ts) maps them to HTTP statuses; the CLI
 * prints their messages.
 */
export type FieldErrors = Record<string, string>;

export class DomainError extends Error {}

/** The thing does not exist, or belongs to someone else (never tell which). */
export class NotFoundError extends DomainError {
  constructor(what = "Not found") {
    super(what);
  }
}

/** Input is well-formed but breaks a rule; fieldErrors point at the form fields to fix. */
export class ValidationError extends DomainError {
  constructor(
    readonly fieldErrors: FieldErrors,
    message = "Please correct the highlighted fields.",
  ) {
    super(message);
  }
}

/** The change conflicts with existing data (a duplicate, a row still in use). */
export class ConflictError extends DomainError {
  constructor(
    message: string,
    readonly field?: string,
    readonly link?: { href: string; text: string },
    /** The existing row the change collides with (the API names it). */
    readonly existingId?: number,
  ) {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = "You are not allowed to do that.") {
    super(message);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = "Please log in.") {
    super(message);
  }
}

/** Too many attempts (a throttled login): try again after `retryAfterSeconds`. */
export class TooManyAttemptsError extends DomainError {
  constructor(
    readonly retryAfterSeconds: number,
    message = "Too many attempts.",
  ) {
    super(message);
  }
}
