/** Time helpers: timestamps are ISO-8601 UTC strings; a Clock is injected where tests need to move time. */
import { DateTime } from "luxon";

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function iso(date: Date): string {
  return date.toISOString();
}

/** How a time says which zone it is in: "UTC", or the zone's name in brackets ("(Europe/Berlin)"). */
export function zoneLabel(zone: string): string {
  return zone === "UTC" || zone === "Etc/UTC" ? "UTC" : `(${zone})`;
}

/**
 * Formats a UTC timestamp for people, in the given zone and labelled with it: "24 Nov 2026, 14:05 (Europe/Berlin)",
 * "24 Nov 2026, 13:05:09 UTC". Every time the web shows goes through here, so none is without its zone.
 */
export function formatInZone(
  value: string | null | undefined,
  zone: string,
  options: { seconds?: boolean; locale?: string } = {},
): string {
  if (!value) return "—";
  // The month's name in the reader's language ("24 нояб. 2026"), when a locale is given.
  const zoned = DateTime.fromISO(value, { zone: "utc" }).setZone(zone);
  const dt = options.locale ? zoned.setLocale(options.locale) : zoned;
  if (!dt.isValid) return "—";
  return `${dt.toFormat(options.seconds ? "d LLL yyyy, HH:mm:ss" : "d LLL yyyy, HH:mm")} ${zoneLabel(zone)}`;
}

/** A UTC timestamp as the value of an <input type="datetime-local"> in the given zone. */
export function toLocalInput(value: string | null | undefined, zone: string): string {
  if (!value) return "";
  const dt = DateTime.fromISO(value, { zone: "utc" }).setZone(zone);
  return dt.isValid ? dt.toFormat("yyyy-LL-dd'T'HH:mm") : "";
}

/** Parses a datetime-local value as wall-clock time in a zone; null when it is not a date. */
export function fromLocalInput(value: string, zone: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return null;
  const dt = DateTime.fromISO(value, { zone });
  return dt.isValid ? dt.toUTC().toJSDate() : null;
}
