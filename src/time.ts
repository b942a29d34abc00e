/**
 * Times as a person reads them: in one zone, the schedule's (TZ; the process's own zone, which
 * Node takes from TZ too), always with the offset, so "02:00" is never ambiguous across a DST change
 * or between the log, `status` and a notification.
 */

/** The zone every time a person reads is shown in (TZ, else the system's). */
export function displayTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/**
 * A date's wall-clock fields in `timeZone` (year, month, day, hour h23, minute, second,
 * fractionalSecond, timeZoneName as "GMT+01:00"), one cached formatter per zone.
 */
export function wallClockParts(date: Date, timeZone: string): Record<string, string> {
  let format = formatters.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      fractionalSecondDigits: 3,
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, format);
  }
  const result: Record<string, string> = {};
  for (const part of format.formatToParts(date)) result[part.type] = part.value;
  return result;
}

/** "+01:00" for "GMT+01:00", "+00:00" for "GMT". */
function offset(part: string | undefined): string {
  const value = (part ?? 'GMT').replace(/^GMT/, '');
  return value === '' ? '+00:00' : value;
}

/** ISO 8601 in the display zone with its offset: 2026-11-24T02:00:00.000+01:00 (for JSON and logs). */
export function localIso(date: Date | string | number, timeZone: string = displayTimeZone()): string {
  const value = new Date(date);
  if (Number.isNaN(value.getTime())) return String(date);
  const p = wallClockParts(value, timeZone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}.${p.fractionalSecond}${offset(p.timeZoneName)}`;
}

/** For people: 2026-11-24 02:00:00 +01:00. */
export function formatLocalTime(date: Date | string | number, timeZone: string = displayTimeZone()): string {
  const value = new Date(date);
  if (Number.isNaN(value.getTime())) return String(date);
  const p = wallClockParts(value, timeZone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${offset(p.timeZoneName)}`;
}
