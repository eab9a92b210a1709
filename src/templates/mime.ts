/**
 * A personalised copy's bytes: the headers every copy shares (From, Reply-To, Date, MIME-Version, List-*,
 * the multipart boundary) are encoded once per run; a copy adds its To, Subject, Message-ID and own headers,
 * and its rendered parts as quoted-printable (UTF-8). Plain-text messages are single-part. No I/O.
 */
import { randomBytes } from "node:crypto";
import * as mimeFuncs from "nodemailer/lib/mime-funcs";
import * as qp from "nodemailer/lib/qp";
import type { RenderedMessage } from "./compile.js";

export interface Skeleton {
  from: string;
  replyTo: string | null;
  date: Date;
  headers: Record<string, string>;
}

export interface CopyHeaders {
  to: string;
  messageId: string;
  /** Complete header lines of this copy only, each ending in CRLF. */
  extra: string;
}

export class MimeSkeleton {
  private readonly common: string;
  private readonly boundary = `=_pp_${randomBytes(12).toString("hex")}`;

  constructor(skeleton: Skeleton) {
    const lines = [header("From", encodeAddressList(skeleton.from))];
    if (skeleton.replyTo) lines.push(header("Reply-To", encodeAddressList(skeleton.replyTo)));
    lines.push(`Date: ${rfc2822(skeleton.date)}`, "MIME-Version: 1.0");
    for (const [name, value] of Object.entries(skeleton.headers)) lines.push(header(name, value));
    this.common = `${lines.join("\r\n")}\r\n`;
  }

  copy(headers: CopyHeaders, rendered: RenderedMessage): Buffer {
    if (/[\r\n]/.test(headers.to) || /[\r\n<>]/.test(headers.messageId))
      throw new Error("Invalid address or Message-ID");
    const head =
      `${header("To", headers.to)}\r\n${header("Subject", mimeFuncs.encodeWords(rendered.subject, "Q", 52))}\r\n` +
      `Message-ID: <${headers.messageId}>\r\n${headers.extra}${this.common}`;
    if (rendered.html === null) return Buffer.from(`${head}${part("text/plain", rendered.text)}`);
    const b = this.boundary;
    return Buffer.from(
      `${head}Content-Type: multipart/alternative; boundary="${b}"\r\n\r\n` +
        `--${b}\r\n${part("text/plain", rendered.text)}\r\n--${b}\r\n${part("text/html", rendered.html)}\r\n--${b}--\r\n`,
    );
  }
}

/** `"Name" <a@b.c>`, the name RFC 2047-encoded when it is not ASCII; the bare address without a name. */
export function formatAddress(name: string, email: string): string {
  const clean = name.replace(/[\r\n\t]+/g, " ").trim();
  if (!clean) return email;
  const display = /^[\x20-\x7e]*$/.test(clean)
    ? `"${clean.replace(/["\\]/g, (c) => `\\${c}`)}"`
    : mimeFuncs.encodeWord(clean, "Q", 52);
  return `${display} <${email}>`;
}

/** A From or Reply-To header value: display names encoded when not ASCII. */
function encodeAddressList(value: string): string {
  const match = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  return match ? formatAddress(match[1] ?? "", match[2]!) : value;
}

function part(type: string, content: string): string {
  const body = qp.wrap(qp.encode(content.replace(/\r?\n/g, "\r\n")), 76);
  return `Content-Type: ${type}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${body}`;
}

function header(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`Invalid ${name} header`);
  return mimeFuncs.foldLines(`${name}: ${value}`, 76);
}

function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT/, "+0000");
}
