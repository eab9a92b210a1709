/**
 * The texts of account emails (confirmation, password reset, "someone tried to register"). Pure. Links
 * carry the raw token; no email ever carries a password.
 */

export const CONFIRM_TTL_MS = 24 * 3600_000;
export const RESET_TTL_MS = 3600_000;

export interface EmailText {
  subject: string;
  body: string;
}

/** An absolute link on this site: `base` is PUBLIC_URL, or the origin the request came to. */
export function siteLink(base: string, path: string, token?: string): string {
  // Relative to the base's path, so a PUBLIC_URL under a folder (https://host/postpilot) keeps it.
  const url = new URL(path.replace(/^\//, ""), base.endsWith("/") ? base : `${base}/`);
  if (token !== undefined) url.searchParams.set("token", token);
  return url.toString();
}

export function confirmEmail(link: string): EmailText {
  return {
    subject: "Confirm your email address for PostPilot",
    body: [
      "Hello,",
      "",
      "Someone (hopefully you) created a PostPilot account with this email address.",
      "To confirm the address and log in, open this link within 24 hours:",
      "",
      link,
      "",
      "The link works once. If you did not create an account, ignore this email:",
      "the account stays unconfirmed and nobody can log in with it.",
    ].join("\n"),
  };
}

export function resetEmail(link: string): EmailText {
  return {
    subject: "Reset your PostPilot password",
    body: [
      "Hello,",
      "",
      "Someone (hopefully you) asked to reset the password of the PostPilot account with this address.",
      "To choose a new password, open this link within 1 hour:",
      "",
      link,
      "",
      "The link works once, and setting a new password logs out every session of the account.",
      "If you did not ask for this, ignore this email: your password stays as it is.",
    ].join("\n"),
  };
}

export function alreadyRegisteredEmail(loginLink: string, forgotLink: string): EmailText {
  return {
    subject: "Someone tried to register with your address on PostPilot",
    body: [
      "Hello,",
      "",
      "Someone (perhaps you) tried to create a new PostPilot account with this email address,",
      "but it already has an account. No new account was created and nothing was changed.",
      "",
      "To log in:",
      loginLink,
      "",
      "If you forgot your password, reset it here:",
      forgotLink,
      "",
      "If this was not you, you can ignore this email.",
    ].join("\n"),
  };
}

/** To the owner of an account someone keeps failing to log in to. */
export function failedLoginsEmail(failures: number): EmailText {
  return {
    subject: "Failed attempts to log in to your PostPilot account",
    body: [
      "Hello,",
      "",
      `Someone tried to log in to your PostPilot account with a wrong password ${failures} times in the last hour.`,
      "Further attempts are slowed down; you can still log in with your password as usual.",
      "",
      "If this was you, there is nothing to do. If not, your password held: consider making it longer,",
      "and turn on two-factor sign-in on your profile page.",
    ].join("\n"),
  };
}
