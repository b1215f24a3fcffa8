import mineralsFile from '../reference/minerals.json' with { type: 'json' };
import provisionsFile from '../reference/provisions.json' with { type: 'json' };
import disruptionsFile from '../reference/disruptions.json' with { type: 'json' };
import type { Side } from './common.ts';

export interface Mineral {
  id: string;
  symbol?: string;
  name: { en: string; ja: string };
  group: string;
  lists: Side[];
}

export interface Provision {
  id: string;
  name: { en: string; ja: string };
  goal: { en: string; ja: string };
}

export interface Disruption {
  date: string;
  effective?: string;
  issuer: string;
  ref: string;
  minerals: string[];
  type: string;
  summary: string;
}

/** The union of the U.S. and Japanese critical-mineral lists (copied from the group's reference data). */
export const minerals: readonly Mineral[] = mineralsFile.minerals as Mineral[];
export const mineralSources: Readonly<Record<Side, string>> = mineralsFile.sources as Record<Side, string>;
export const mineralsById: ReadonlyMap<string, Mineral> = new Map(minerals.map((m) => [m.id, m]));

/** The seven provisions of the U.S.–Japan framework an action item can serve. */
export const provisions: readonly Provision[] = provisionsFile as Provision[];
export const provisionsById: ReadonlyMap<string, Provision> = new Map(provisions.map((p) => [p.id, p]));

/** Real export-control events, the seed of the demo scenario. */
export const disruptions: readonly Disruption[] = disruptionsFile.events as Disruption[];
