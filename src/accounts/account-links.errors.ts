/** Errors of the emailed-link flows, which the pages turn into their own messages. */
import { DomainError, ValidationError } from "../shared/errors.js";

/** The password was right but the address is not confirmed yet; the login page offers a new link. */
export class EmailNotConfirmedError extends ValidationError {
  constructor() {
    super(
      {
        _form:
          "Your email address is not confirmed yet. Open the link we emailed you, or get a new one below.",
        _confirm: "resend",
      },
      "Your email address is not confirmed yet.",
    );
  }
}

export type TokenProblem = "invalid" | "expired" | "used";

/** A confirmation or reset link that cannot be used (never says whose it was). */
export class TokenError extends DomainError {
  constructor(readonly problem: TokenProblem) {
    super(
      problem === "expired"
        ? "This link has expired."
        : problem === "used"
          ? "This link has already been used."
          : "This link is not valid.",
    );
  }
}
