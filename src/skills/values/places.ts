/**
 * Places to time zones: a city (city-timezones: the most populous match, case- and
 * accent-insensitive), a country or US state that is (nearly) one zone, an IANA zone
 * ("Europe/Paris"), a UTC offset ("UTC+2") or a common abbreviation ("PST", "IST", "JST").
 */
import cityTimezones from 'city-timezones';
import { DateTime, IANAZone } from 'luxon';
import type { Parsed } from '../types.js';
import { clip } from './number.js';

export interface PlaceValue {
  /** The place as named in replies ("Tokyo", "New York", "France", "PST"). */
  place: string;
  /** An IANA zone ("Asia/Tokyo") or a fixed offset luxon reads ("UTC+2"). */
  timeZone: string;
}

const EXAMPLE = 'Tokyo';
const MAX_TEXT = 80;
/** Share of a country's (or state's) city population one UTC offset must hold to stand for it. */
const DOMINANT_SHARE = 0.9;

/** Abbreviations people use for zones; DST and standard names point to the same zone. */
const ABBREVIATIONS: Record<string, string> = {
  UTC: 'UTC', GMT: 'UTC', Z: 'UTC', ZULU: 'UTC', UT: 'UTC',
  PST: 'America/Los_Angeles', PDT: 'America/Los_Angeles', PT: 'America/Los_Angeles',
  MST: 'America/Denver', MDT: 'America/Denver', MT: 'America/Denver',
  CST: 'America/Chicago', CDT: 'America/Chicago', CT: 'America/Chicago',
  EST: 'America/New_York', EDT: 'America/New_York', ET: 'America/New_York',
  AKST: 'America/Anchorage', AKDT: 'America/Anchorage', HST: 'Pacific/Honolulu',
  AST: 'America/Halifax', ADT: 'America/Halifax', NST: 'America/St_Johns', NDT: 'America/St_Johns',
  WET: 'Europe/Lisbon', WEST: 'Europe/Lisbon', BST: 'Europe/London', IST: 'Asia/Kolkata',
  CET: 'Europe/Paris', CEST: 'Europe/Paris', EET: 'Europe/Athens', EEST: 'Europe/Athens', MSK: 'Europe/Moscow',
  JST: 'Asia/Tokyo', KST: 'Asia/Seoul', HKT: 'Asia/Hong_Kong', SGT: 'Asia/Singapore', PHT: 'Asia/Manila',
  PKT: 'Asia/Karachi', WIB: 'Asia/Jakarta', ICT: 'Asia/Bangkok',
  AEST: 'Australia/Sydney', AEDT: 'Australia/Sydney', ACST: 'Australia/Adelaide', ACDT: 'Australia/Adelaide',
  AWST: 'Australia/Perth', NZST: 'Pacific/Auckland', NZDT: 'Pacific/Auckland',
  SAST: 'Africa/Johannesburg', CAT: 'Africa/Maputo', EAT: 'Africa/Nairobi', WAT: 'Africa/Lagos',
  BRT: 'America/Sao_Paulo', ART: 'America/Argentina/Buenos_Aires',
};
const ZONE_NAMES: Record<string, string> = {
  pacific: 'America/Los_Angeles', mountain: 'America/Denver', central: 'America/Chicago', eastern: 'America/New_York',
};

/** Other names of cities and countries (normalised form → the name in the data). */
const CITY_ALIASES: Record<string, string> = {
  nyc: 'new york', 'new york city': 'new york', la: 'los angeles', sf: 'san francisco', dc: 'washington dc',
  'washington d c': 'washington dc', bombay: 'mumbai', calcutta: 'kolkata', madras: 'chennai', peking: 'beijing',
  kiev: 'kyiv', saigon: 'ho chi minh city', 'ho chi minh': 'ho chi minh city', munchen: 'munich', muenchen: 'munich', koln: 'cologne', roma: 'rome',
  'st petersburg': 'saint petersburg', lisboa: 'lisbon', praha: 'prague', wien: 'vienna', firenze: 'florence',
};
const COUNTRY_ALIASES: Record<string, string> = {
  uk: 'united kingdom', 'u k': 'united kingdom', britain: 'united kingdom', 'great britain': 'united kingdom',
  england: 'united kingdom', scotland: 'united kingdom', wales: 'united kingdom', 'northern ireland': 'united kingdom',
  us: 'united states of america', usa: 'united states of america', 'u s': 'united states of america',
  'u s a': 'united states of america', america: 'united states of america', 'united states': 'united states of america',
  'the states': 'united states of america', uae: 'united arab emirates', holland: 'netherlands',
  'the netherlands': 'netherlands', korea: 'south korea', czechia: 'czech republic', 'north macedonia': 'macedonia',
  burma: 'myanmar', "cote d'ivoire": 'ivory coast', 'cote divoire': 'ivory coast',
};

/** Lower case, no accents, no punctuation, "st" spelled "saint". */
function normalise(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[.'’]/g, '')
    .replace(/[,()]/g, ' ')
    .replace(/-/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^st (?=\w)/, 'saint ');
}

type City = (typeof cityTimezones.cityMapping)[number];

interface Index {
  cities: Map<string, City>;
  /** IANA zone names by lower case (ICU's and the city data's spellings). */
  zones: Map<string, string>;
  /** Country or US state (normalised) → its dominant zone, or null when it has several. */
  regions: Map<string, { name: string; zone: string | null; biggest: City }>;
}

let index: Index | null = null;

const validZones = new Map<string, boolean>();
function validZone(zone: string): boolean {
  let valid = validZones.get(zone);
  if (valid === undefined) validZones.set(zone, (valid = IANAZone.isValidZone(zone)));
  return valid;
}

const zoneOffsets = new Map<string, string>();
/** A zone's offsets in January and July: zones that agree on both keep the same clock. */
function offsetsOf(zone: string): string {
  let offsets = zoneOffsets.get(zone);
  if (offsets === undefined) {
    const year = DateTime.utc().year;
    offsets = [1, 7].map((month) => DateTime.fromObject({ year, month, day: 15, hour: 12 }, { zone }).offset).join('/');
    zoneOffsets.set(zone, offsets);
  }
  return offsets;
}

function dominantZone(cities: City[]): string | null {
  const byOffset = new Map<string, { pop: number; zones: Map<string, number> }>();
  let total = 0;
  for (const c of cities) {
    if (!validZone(c.timezone)) continue;
    const key = offsetsOf(c.timezone);
    const entry = byOffset.get(key) ?? { pop: 0, zones: new Map() };
    entry.pop += c.pop;
    entry.zones.set(c.timezone, (entry.zones.get(c.timezone) ?? 0) + c.pop);
    byOffset.set(key, entry);
    total += c.pop;
  }
  const best = [...byOffset.values()].sort((a, b) => b.pop - a.pop)[0];
  if (!best || best.pop < DOMINANT_SHARE * total) return null;
  return [...best.zones.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function buildIndex(): Index {
  const cities = new Map<string, City>();
  const add = (name: string, city: City) => {
    const key = normalise(name);
    const known = cities.get(key);
    if (key && (!known || known.pop < city.pop)) cities.set(key, city);
  };
  const byCountry = new Map<string, City[]>();
  const byState = new Map<string, City[]>();
  // The data has a few rows without a zone or population; they cannot answer "what time is it".
  const usable = cityTimezones.cityMapping.filter((c) => typeof c.timezone === 'string' && typeof c.city === 'string' && Number.isFinite(c.pop));
  for (const city of usable) {
    for (const name of new Set([city.city, city.city_ascii].filter((n) => typeof n === 'string'))) {
      add(name, city);
      if (name.includes(',')) add(name.split(',')[0], city);
    }
    push(byCountry, city.country, city);
    if (city.iso2 === 'US' && city.province) push(byState, city.province, city);
  }
  const regions = new Map<string, { name: string; zone: string | null; biggest: City }>();
  // States first, so a country of the same name ("Georgia") wins.
  for (const [name, list] of [...byState, ...byCountry]) {
    const biggest = list.reduce((a, b) => (b.pop > a.pop ? b : a));
    regions.set(normalise(name), { name: name === 'United States of America' ? 'the United States' : name, zone: dominantZone(list), biggest });
  }
  const zones = new Map<string, string>();
  for (const zone of [...Intl.supportedValuesOf('timeZone'), ...usable.map((c) => c.timezone)]) zones.set(zone.toLowerCase(), zone);
  return { cities, regions, zones };
}

/** A zone name as written ("europe/paris") in its usual spelling, or null when it is no zone. */
function canonicalZone(zone: string): string | null {
  index ??= buildIndex();
  const known = index.zones.get(zone.toLowerCase());
  if (known) return known;
  const cased = zone.replace(/[a-z]+/gi, (w) => w[0].toUpperCase() + w.slice(1).toLowerCase());
  return IANAZone.isValidZone(cased) ? cased : null;
}

/** The last part of a zone name, readable ("America/New_York" → "New York"). */
export function zoneCity(zone: string): string {
  return zone.split('/').pop()!.replace(/_/g, ' ');
}

function notFound(text: string): { ok: false; reason: string; example: string } {
  return {
    ok: false,
    reason: `I don't know a place called "${clip(text)}". Which city, country or time zone do you mean?`,
    example: EXAMPLE,
  };
}

/** A place's time zone: a city, a one-zone country or US state, an IANA zone, an offset, or an abbreviation. */
export function resolvePlace(text: string): Parsed<PlaceValue> {
  if (text.length > MAX_TEXT) return notFound(text);
  const said = text
    .trim()
    .replace(/[?!.]+$/, '')
    .replace(/^(?:in|at|for)\s+/i, '')
    .replace(/(?:\s+(?:right\s+now|rn|now|currently|at\s+the\s+moment|please|pls|plz|thanks|thx|mate|then))+$/i, '')
    .replace(/\s+time(?:\s+zone)?$/i, '')
    .trim();
  if (!said) return notFound(text);
  // An IANA zone as written ("Europe/Paris", "america/new york").
  if (said.includes('/')) {
    const zone = canonicalZone(said.replace(/\s+/g, '_'));
    return zone ? { ok: true, value: { place: zoneCity(zone), timeZone: zone } } : notFound(said);
  }
  const offset = /^(?:utc|gmt)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$/i.exec(said);
  if (offset) {
    const hours = Number(offset[2]);
    const minutes = offset[3] ? Number(offset[3]) : 0;
    if (hours > 14 || minutes > 59) return notFound(said);
    const zone = `UTC${offset[1]}${hours}${minutes ? `:${String(minutes).padStart(2, '0')}` : ''}`;
    return { ok: true, value: { place: zone, timeZone: zone } };
  }
  const abbreviation = ABBREVIATIONS[said.toUpperCase()];
  if (abbreviation && /^[a-z]{1,5}$/i.test(said)) return { ok: true, value: { place: said.toUpperCase(), timeZone: abbreviation } };
  const key = normalise(said).replace(/^the /, '');
  const named = ZONE_NAMES[key.replace(/ (?:standard|daylight)$/, '')];
  if (named) return { ok: true, value: { place: `${key.replace(/ (?:standard|daylight)$/, '').replace(/^\w/, (c) => c.toUpperCase())} Time`, timeZone: named } };

  index ??= buildIndex();
  const city = index.cities.get(CITY_ALIASES[key] ?? key);
  if (city && validZone(city.timezone)) return { ok: true, value: { place: city.city, timeZone: city.timezone } };
  const region = index.regions.get(COUNTRY_ALIASES[key] ?? key);
  if (region) {
    if (region.zone) return { ok: true, value: { place: region.name, timeZone: region.zone } };
    return {
      ok: false,
      reason: `${region.name.replace(/^\w/, (c) => c.toUpperCase())} has several time zones. Which city do you mean?`,
      example: region.biggest.city,
    };
  }
  const cityAgain = index.cities.get(key.replace(/ city$/, ''));
  if (cityAgain && validZone(cityAgain.timezone)) return { ok: true, value: { place: cityAgain.city, timeZone: cityAgain.timezone } };
  // Finally an IANA zone's city part ("Kolkata" is a city anyway; "Bangkok" too): "Asia/<said>" and so on.
  for (const area of ['Europe', 'America', 'Asia', 'Africa', 'Australia', 'Pacific', 'Atlantic', 'Indian']) {
    const zone = canonicalZone(`${area}/${said.replace(/\s+/g, '_')}`);
    if (zone) return { ok: true, value: { place: zoneCity(zone), timeZone: zone } };
  }
  return notFound(said);
}
