import { z } from 'zod';

// In a browser the client runs under a CSP without 'unsafe-eval'. Zod probes for eval (a caught
// `new Function('')`) when it builds its first object schema, and the browser reports that probe
// as a CSP violation on every page: there, skip the probe and the eval-compiled fast path it
// guards (which the CSP forbids anyway). This module is the first of the package to load.
if ('window' in globalThis) z.config({ jitless: true });

export const Roles = ['admin', 'lead', 'member', 'liaison', 'staff'] as const;
export const Role = z.enum(Roles);
export type Role = z.infer<typeof Role>;

export const Sides = ['US', 'JP'] as const;
export const Side = z.enum(Sides);
export type Side = z.infer<typeof Side>;

export const Locales = ['en', 'ja'] as const;
export const Locale = z.enum(Locales);
export type Locale = z.infer<typeof Locale>;

export const Severities = ['critical', 'high', 'moderate', 'low'] as const;
export const Severity = z.enum(Severities);
export type Severity = z.infer<typeof Severity>;

/** FIRST Traffic Light Protocol 2.0 markings. */
export const TlpMarkings = ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT', 'RED'] as const;
export const Tlp = z.enum(TlpMarkings);
export type Tlp = z.infer<typeof Tlp>;

/** Opaque identifiers: URL-safe, short. */
export const Id = z.string().regex(/^[0-9A-Za-z_-]{1,64}$/, 'is not a valid id');
export type Id = z.infer<typeof Id>;

/** ISO 8601 time with an explicit offset; stored and returned in UTC. */
export const IsoTime = z.iso.datetime({ offset: true });

export const TIME_ZONES = { washington: 'America/New_York', tokyo: 'Asia/Tokyo' } as const;

/** An IANA time zone name the runtime knows. */
export const TimeZone = z
  .string()
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'is not a known IANA time zone', params: { code: 'unknown_time_zone' } },
  );

/** Short agency code such as DOE, METI, State, JOGMEC, MOFA. */
export const Agency = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9&.-]{0,15}$/, 'must be a short agency code such as DOE or METI (letters, digits, & . -)');
export type Agency = z.infer<typeof Agency>;

/** Query `limit` of list routes: default 100; more than 1000 is read as 1000. */
export const ListLimit = z.coerce
  .number()
  .int()
  .min(1)
  .transform((n) => Math.min(n, 1000))
  .default(100);

/** Query `before` of list routes: an ISO time; the list pages back from it. */
export const Before = z.iso.datetime({ offset: true }).optional();

/** The paging of every list: `limit` and `before`. */
export const ListQuery = z.object({ limit: ListLimit, before: Before });
export type ListQuery = z.infer<typeof ListQuery>;
