/** English: the source language. Its keyed texts; messages and labels need no translation. */
import type { Language } from "./index.js";

export const en: Language = {
  code: "en",
  name: "English",
  messages: {},
  labels: {},
  texts: {
    layout: {
      skip: "Skip to content",
      toggleNav: "Toggle navigation",
      mainNav: "Main",
      logout: "Log out",
      login: "Log in",
      close: "Close",
      footer: "PostPilot — self-hosted mailings",
      title: "{{title}} · PostPilot",
    },
    nav: {
      dashboard: "Dashboard",
      recipients: "Recipients",
      lists: "Lists",
      messages: "Messages",
      layouts: "Layouts",
      mailings: "Mailings",
      reports: "Reports",
      suppressions: "Suppressions",
      blog: "Blog",
      users: "Users",
      webhooks: "Webhooks",
    },
    common: {
      previous: "Previous",
      next: "Next",
      previousPage: "Previous page",
      nextPage: "Next page",
      pages: "Pages",
      inAll: "{{total}} in all",
      search: "Search",
      clear: "Clear",
      cancel: "Cancel",
      edit: "Edit {{label}}",
      delete: "Delete {{label}}",
      actions: "Actions",
      tryAnother: "Try another search, or <1>show them all</1>.",
      tryAnotherBefore: "Try another search, or ",
      showAll: "show them all",
      never: "Never",
      recipients_one: "{{count}} recipient",
      recipients_other: "{{count}} recipients",
    },
    errors: {
      home: "Go to the dashboard",
      notFound: "Page not found",
      notFoundText: "There is nothing here, or it belongs to someone else.",
      forbidden: "Not allowed",
      conflict: "That cannot be done",
      invalid: "Invalid input",
      tooMany: "Too many attempts",
      tooManyText: "Please wait a little and try again.",
      tooManyMinute: "Please wait a minute and try again.",
      expired: "The form expired",
      expiredText: "Go back, reload the page and try again.",
      badRequest: "Bad request",
      badRequestText: "The request could not be understood.",
      failed: "Something went wrong",
      failedText: "The error was logged. Please try again.",
      wait: "Too many attempts. Please wait {{wait}} and try again.",
      seconds_one: "a second",
      seconds_other: "{{count}} seconds",
      minutes_one: "a minute",
      minutes_other: "{{count}} minutes",
    },
    accounts: {
      yourName: "Your name",
      email: "Email",
      password: "Password",
      atLeast: "At least {{count}} characters.",
      setup: {
        title: "Set up PostPilot",
        intro: "Create the first administrator account. Other people can then register their own accounts.",
        submit: "Create admin account",
      },
      login: {
        title: "Log in",
        resend: "Send the confirmation link again",
        submit: "Log in",
        forgot: "Forgot your password?",
        newHere: "New here?",
        create: "Create an account",
      },
      register: {
        title: "Create an account",
        submit: "Create account",
        already: "Already have an account?",
        login: "Log in",
      },
      checkEmail: {
        title: "Check your email",
        text: "We have sent a message to the address you entered. Open the link in it within 24 hours to confirm your address and log in.",
        nothing: "Nothing arrived? Look in your spam folder, or ",
        newLink: "get a new link",
      },
      profile: {
        title: "Your profile",
        details: "Details",
        signedInAs: "Signed in as ",
        security: "Two-factor sign-in and sessions",
        name: "Name",
        timeZone: "Time zone",
        timeZoneHelp:
          "Mailing times are entered and shown in this time zone unless a mailing chooses its own.",
        language: "Language",
        languageAuto: "As the browser asks (Accept-Language)",
        languageHelp: "The language of pages and of the emails PostPilot sends you.",
        save: "Save profile",
        changePassword: "Change password",
        changePasswordSubmit: "Change password",
        currentPassword: "Current password",
        newPassword: "New password",
        newPasswordHelp: "At least {{count}} characters. Your other sessions will be logged out.",
        repeatPassword: "Repeat new password",
        deleteTitle: "Delete account",
        deleteText: "Deletes your account with all its recipients, messages and mailings.",
        deleteLink: "Delete my account…",
      },
      role: { admin: "admin", manager: "manager", user: "user" },
      delete: {
        title: "Delete your account",
        before: "This permanently deletes your account and ",
        strong: "all your recipients, messages, mailings and their send history",
        after: ". Planned sends stop. This cannot be undone.",
        password: "Your password",
        submit: "Delete my account",
      },
    },
    links: {
      backToLogin: "Back to log in",
      forgot: {
        title: "Forgot your password?",
        intro: "Enter the email address of your account. We will email you a link to choose a new password.",
        submit: "Email me a reset link",
      },
      resend: {
        title: "Get a new confirmation link",
        intro: "Enter the email address you registered with. We will email you a new link to confirm it.",
        submit: "Send the confirmation link",
      },
      sent: {
        reset:
          "If an account exists for that address, we have emailed it a link to choose a new password. The link works once, for 1 hour.",
        confirm:
          "If that address has an account waiting for confirmation, we have emailed it a new confirmation link. The link works once, for 24 hours.",
        nothing: "Nothing arrived after a few minutes? Look in your spam folder, or ",
        back: "go back to log in",
      },
      reset: {
        title: "Choose a new password",
        help: "At least {{count}} characters. Every session of your account will be logged out.",
        submit: "Set new password",
      },
      problem: {
        newReset: "Get a new reset link",
        expired: "This link has expired.",
        used: "This link has already been used.",
        invalid: "This link is not valid.",
        expired_confirm: "Confirmation links work for 24 hours.",
        expired_reset: "Password reset links work for 1 hour.",
        used_confirm:
          "Each link works once, and a newer link replaces the older ones. If you already confirmed your address, just log in.",
        used_reset: "Each link works once, and a newer link replaces the older ones.",
        invalid_confirm:
          "Check that you opened the whole link from the email, or use the newest email if you asked more than once.",
        invalid_reset:
          "Check that you opened the whole link from the email, or use the newest email if you asked more than once.",
      },
    },
    unsubscribe: {
      invalid: {
        title: "Link not valid",
        heading: "This unsubscribe link is not valid",
        text: "Nothing was changed. Please use the link from the email exactly as it was sent.",
      },
      used: {
        title: "Link already used",
        heading: "This link has already been used",
        text: "Nothing was changed: this address was unsubscribed from {{mailing}} with it.",
      },
      done: {
        title: "Unsubscribed",
        heading: "You are unsubscribed",
        text: "You will not receive {{mailing}} or other mailings from this sender again.",
      },
      ready: {
        title: "Unsubscribe",
        heading: "Unsubscribe?",
        text: "Stop receiving {{mailing}} and other mailings from this sender.",
        submit: "Unsubscribe",
      },
    },
    signup: {
      title: "Subscribe to {{list}}",
      honeypot: "Leave this empty",
      submit: "Subscribe",
      note: "We will send you an email to confirm. Until you confirm, you are not subscribed.",
      check: {
        title: "Check your inbox",
        text: "If the address can be subscribed, an email with a confirmation link is on its way. Open it to confirm your subscription.",
      },
      confirm: { title: "Confirm your subscription to {{list}}", submit: "Confirm my subscription" },
      done: { title: "You are subscribed", text: "Thank you: your subscription to {{list}} is confirmed." },
      broken: "This link does not work",
    },
    twoFactor: {
      title: "Security",
      mustEnable: "Admins must use two-factor sign-in on this server: turn it on to go on.",
      code: {
        title: "Two-factor sign-in",
        heading: "Enter your code",
        text: "Open your authenticator app and enter the 6-digit code for PostPilot, or one of your recovery codes.",
        again: "Start again",
      },
      codeLabel: "Code",
      isOn: "Two-factor sign-in is on.",
      keepCodes:
        "Keep these recovery codes somewhere safe: each logs you in once if you lose your phone. They are shown only now.",
      on: "On",
      since: "since {{when}}.",
      codesLeft_one: "{{count}} recovery code left.",
      codesLeft_other: "{{count}} recovery codes left.",
      passwordToOff: "Your password, to turn it off",
      turnOff: "Turn off two-factor sign-in",
      addKey: "In your authenticator app, add an account with this key:",
      orOpenBefore: "or open ",
      thisLink: "this link",
      orOpenAfter: " on your phone.",
      enterCode: "Enter the 6-digit code it shows.",
      turnOn: "Turn on",
      explain:
        "With two-factor sign-in, logging in also asks for a code from an authenticator app on your phone, so a stolen password is not enough.",
      setUp: "Set up two-factor sign-in",
      sessions: "Sessions",
      unknownBrowser: "Unknown browser",
      thisSession: "This session",
      unknownAddress: "unknown address",
      lastUsed: "last used {{when}}",
      logoutOthers: "Log out other sessions",
    },
    tokens: {
      title: "API tokens",
      introBefore: "A token lets another system use the ",
      introMiddle: " as you: send it as ",
      introAfter: ". Revoke a token you no longer use.",
      created: "Your new token. Copy it now: it is not shown again.",
      name: "Name",
      createdAt: "Created",
      lastUsed: "Last used",
      revoke: "Revoke",
      newName: "New token's name",
      newNameHelp: "What it is for, e.g. “Shop sign-ups”.",
      create: "Create token",
    },
    mail: {
      hello: "Hello,",
      confirm: {
        subject: "Confirm your email address for PostPilot",
        body: "Someone (hopefully you) created a PostPilot account with this email address.\nTo confirm the address and log in, open this link within 24 hours:",
        after:
          "The link works once. If you did not create an account, ignore this email:\nthe account stays unconfirmed and nobody can log in with it.",
      },
      reset: {
        subject: "Reset your PostPilot password",
        body: "Someone (hopefully you) asked to reset the password of the PostPilot account with this address.\nTo choose a new password, open this link within 1 hour:",
        after:
          "The link works once, and setting a new password logs out every session of the account.\nIf you did not ask for this, ignore this email: your password stays as it is.",
      },
      already: {
        subject: "Someone tried to register with your address on PostPilot",
        body: "Someone (perhaps you) tried to create a new PostPilot account with this email address,\nbut it already has an account. No new account was created and nothing was changed.",
        login: "To log in:",
        forgot: "If you forgot your password, reset it here:",
        after: "If this was not you, you can ignore this email.",
      },
      failed: {
        subject: "Failed attempts to log in to your PostPilot account",
        body_one:
          "Someone tried to log in to your PostPilot account with a wrong password {{count}} times in the last hour.",
        body_other:
          "Someone tried to log in to your PostPilot account with a wrong password {{count}} times in the last hour.",
        after:
          "Further attempts are slowed down; you can still log in with your password as usual.\n\nIf this was you, there is nothing to do. If not, your password held: consider making it longer,\nand turn on two-factor sign-in on your profile page.",
      },
    },
    cli: {
      usage: "Usage: postpilot <command> [options]",
      unknown: "Unknown command: {{command}}",
      error: "Error: {{message}}",
      done: "Done.",
    },
    // ── area mailings: begin (keys of this area go between these two lines)
    // ── area mailings: end
    // ── area audience: begin (keys of this area go between these two lines)
    // ── area audience: end
    // ── area content: begin (keys of this area go between these two lines)
    // ── area content: end
    // ── area admin: begin (keys of this area go between these two lines)
    // ── area admin: end
    // ── area outbox: begin (keys of this area go between these two lines)
    // ── area outbox: end
  },
};
