/**
 * What every page knows about the request: the signed-in user, the CSRF token, flash messages. Route
 * handlers build a ViewContext with viewContext(req, reply) and pass it to the layout.
 */
import type {} from "@fastify/cookie";
import type {} from "@fastify/csrf-protection";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { User } from "../db/schema.js";
import { chooseLocale, type Locale, type Translate, translateMessage, translator } from "../i18n/index.js";
import { UnauthorizedError } from "../shared/errors.js";
import { hasControlCharacter, id } from "../shared/fields.js";

export type FlashKind = "success" | "danger" | "warning" | "info";
export interface Notice {
  text: string;
  link?: { href: string; text: string } | undefined;
}

export interface Flash {
  kind: FlashKind;
  text: string;
}

declare module "fastify" {
  interface FastifyRequest {
    user: User | null;
    sessionIdHash: string | null;
    flashes: Flash[];
    notices: Notice[];
    /** The language of the answer: the profile's, else Accept-Language's best, else English. */
    locale: Locale;
  }
}

export interface ViewContext {
  user: User | null;
  csrfToken: string;
  flashes: Flash[];
  path: string;
  /** Shown on every page: mail not leaving the machine, sending paused. */
  notices: Notice[];
  /** The page's language and its translator. */
  locale: Locale;
  t: Translate;
}

/** The context of a page with nobody signed in (public pages, error pages that failed to read the request). */
export function anonymousContext(req: FastifyRequest | null, flashes: Flash[] = []): ViewContext {
  const locale = req ? requestLocale(req) : "en";
  return {
    user: null,
    csrfToken: "",
    flashes,
    path: req ? (req.url.split("?")[0] ?? "/") : "/",
    notices: [],
    locale,
    t: translator(locale),
  };
}

/** The request's language (set by the onRequest hook; chosen again if a route runs before it). */
export function requestLocale(req: FastifyRequest): Locale {
  return req.locale ?? chooseLocale(req.user?.locale, req.headers["accept-language"]);
}

const FLASH_COOKIE = "pp_flash";
export const SESSION_COOKIE = "pp_session";

export function viewContext(req: FastifyRequest, reply: FastifyReply): ViewContext {
  return {
    user: req.user,
    csrfToken: reply.generateCsrf(),
    flashes: req.flashes,
    path: req.url.split("?")[0] ?? "/",
    notices: req.user ? req.notices : [],
    locale: requestLocale(req),
    t: translator(requestLocale(req)),
  };
}

/** The signed-in user, or an UnauthorizedError (which the error handler turns into the login page). */
export function requireUser(req: FastifyRequest): User {
  if (!req.user) throw new UnauthorizedError();
  return req.user;
}

/** The :id of a route as a positive integer; anything else is 0, which no row has (so: a 404, never a 500). */
export function idParam(params: unknown): number {
  return id.catch(0).parse((params as { id?: string }).id);
}

// Any origin we own will do: only "is it still this origin?" matters, never the Host header.
const OUR_ORIGIN = "http://postpilot.invalid";

/**
 * Only a path on this site is a safe place to go after login. The target is resolved as a browser would
 * (`new URL(next, origin)`, which also turns "\\" into "/") and kept only when it stays on our origin and
 * holds no control character or whitespace (browsers drop tabs and line breaks, so "/\t/evil.example" is
 * "//evil.example" to them, and a line break would be an invalid Location header). Anything else: home.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || value.length > 2000 || !value.startsWith("/")) return "/";
  if (/\s/.test(value) || hasControlCharacter(value)) return "/";
  let url: URL;
  try {
    url = new URL(value, OUR_ORIGIN);
  } catch {
    return "/";
  }
  if (url.origin !== OUR_ORIGIN) return "/";
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith("//") ? "/" : path;
}

/** Reads and clears the flash cookie (set by redirectWith on the previous response). */
export function takeFlashes(req: FastifyRequest, reply: FastifyReply): Flash[] {
  const raw = req.cookies[FLASH_COOKIE];
  if (!raw) return [];
  reply.clearCookie(FLASH_COOKIE, { path: "/" });
  const unsigned = req.unsignCookie(raw);
  if (!unsigned.valid || !unsigned.value) return [];
  try {
    const parsed = JSON.parse(unsigned.value) as Flash[];
    return Array.isArray(parsed) ? parsed.slice(0, 5) : [];
  } catch {
    return [];
  }
}

/** Redirects (303, so a POST becomes a GET) with a message shown on the next page. */
export function redirectWith(
  reply: FastifyReply,
  location: string,
  kind: FlashKind,
  text: string,
): FastifyReply {
  // Translated here, once: the text is English (services and routes speak English), the reader may not be.
  const shown = translateMessage(requestLocale(reply.request), text);
  reply.setCookie(FLASH_COOKIE, JSON.stringify([{ kind, text: shown }]), {
    path: "/",
    httpOnly: true,
    sameSite: "lax",
    signed: true,
  });
  return reply.redirect(location, 303);
}

export function sendPage(reply: FastifyReply, html: string, status = 200): FastifyReply {
  return reply.code(status).type("text/html; charset=utf-8").header("cache-control", "no-store").send(html);
}
