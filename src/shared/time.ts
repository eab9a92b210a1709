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

/**
 * A calendar day ("2026-11-04") or month ("2026-11") as a chart's axis names it, in the reader's language:
 * "4 Nov" / "4 нояб." for a day, "Nov 2026" / "нояб. 2026" for a month; the value itself when it is no date.
 */
export function calendarLabel(value: string, locale: string): string {
  const dt = DateTime.fromISO(value, { zone: "utc" }).setLocale(locale);
  if (!dt.isValid) return value;
  return dt.toFormat(/^\d{4}-\d{2}$/.test(value) ? "LLL yyyy" : "d LLL");
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

/**
 * Old spellings that Node 20's ICU still lists (Intl.supportedValuesOf) and resolves zones to, with the names
 * the time-zone database uses now. The picker offers the current ones, and a zone is stored by its current name.
 */
export const CURRENT_ZONE_NAMES: Readonly<Record<string, string>> = {
  "Africa/Asmera": "Africa/Asmara",
  "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
  "America/Catamarca": "America/Argentina/Catamarca",
  "America/Cordoba": "America/Argentina/Cordoba",
  "America/Jujuy": "America/Argentina/Jujuy",
  "America/Mendoza": "America/Argentina/Mendoza",
  "America/Godthab": "America/Nuuk",
  "America/Indianapolis": "America/Indiana/Indianapolis",
  "America/Louisville": "America/Kentucky/Louisville",
  "Asia/Calcutta": "Asia/Kolkata",
  "Asia/Katmandu": "Asia/Kathmandu",
  "Asia/Rangoon": "Asia/Yangon",
  "Asia/Saigon": "Asia/Ho_Chi_Minh",
  "Atlantic/Faeroe": "Atlantic/Faroe",
  "Europe/Kiev": "Europe/Kyiv",
  "Pacific/Enderbury": "Pacific/Kanton",
  "Pacific/Ponape": "Pacific/Pohnpei",
  "Pacific/Truk": "Pacific/Chuuk",
};

export function currentZoneName(zone: string): string {
  return CURRENT_ZONE_NAMES[zone] ?? zone;
}

/** Zones by region ("Europe", "America"…; UTC first, on its own), each region's zones sorted. */
export function zoneGroups(zones: readonly string[]): { region: string; zones: string[] }[] {
  const byRegion = new Map<string, Set<string>>();
  for (const zone of zones) {
    const name = currentZoneName(zone);
    const region = name.includes("/") ? name.slice(0, name.indexOf("/")) : "UTC";
    const group = byRegion.get(region) ?? new Set<string>();
    group.add(name);
    byRegion.set(region, group);
  }
  return [...byRegion.entries()]
    .sort(([a], [b]) => (a === "UTC" ? -1 : b === "UTC" ? 1 : a.localeCompare(b)))
    .map(([region, names]) => ({ region, zones: [...names].sort() }));
}
