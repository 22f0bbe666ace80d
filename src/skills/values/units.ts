/**
 * Quantities and unit conversion ("5 miles to km", "how many ounces in a pound", "72 F in
 * celsius"). User spellings map to mathjs unit names through one table; mathjs does the
 * conversion (temperatures with their offsets included). A private mathjs instance adds the few
 * units mathjs lacks (knots, nautical miles, imperial gallons, US spoons) without touching the
 * shared one.
 */
import { all, create } from 'mathjs';
import type { Parsed } from '../types.js';
import { clip, numberWordsToDigits } from './number.js';

export type UnitCategory = 'length' | 'mass' | 'volume' | 'temperature' | 'speed' | 'area' | 'data size' | 'time';

export interface Quantity {
  value: number;
  /** A mathjs unit name ("mi", "km", "degF", "km/h"). */
  unit: string;
}

export interface ConversionValue {
  from: Quantity;
  to: Quantity;
  /** "5 miles is 8.05 kilometres". */
  display: string;
}

interface UnitDef {
  unit: string;
  singular: string;
  plural: string;
  category: UnitCategory;
  /** Lower-case spellings. */
  aliases: string[];
  /** Spellings whose case matters ("MB" is megabytes, "Mb" megabits). */
  exact?: string[];
}

const math = create(all);
math.createUnit('knot', '1852 m/h');
math.createUnit('nmi', '1852 m');
math.createUnit('ukgallon', '4.54609 L');
math.createUnit('ukpint', '0.56826125 L');
// mathjs's cup and fluid ounce are US customary but its spoons are metric (15 and 5 ml): kitchen
// units here are all US customary, so that a cup is 16 tablespoons.
math.createUnit('ustbsp', '14.78676478125 mL');
math.createUnit('ustsp', '4.92892159375 mL');

const u = (unit: string, singular: string, plural: string, category: UnitCategory, aliases: string[], exact?: string[]): UnitDef => ({
  unit,
  singular,
  plural,
  category,
  aliases: [singular, plural, ...aliases],
  exact,
});

const UNITS: UnitDef[] = [
  // length
  u('m', 'metre', 'metres', 'length', ['m', 'meter', 'meters', 'mtr', 'mtrs']),
  u('km', 'kilometre', 'kilometres', 'length', ['km', 'kms', 'kilometer', 'kilometers', 'klick', 'klicks']),
  u('cm', 'centimetre', 'centimetres', 'length', ['cm', 'cms', 'centimeter', 'centimeters']),
  u('mm', 'millimetre', 'millimetres', 'length', ['mm', 'millimeter', 'millimeters']),
  u('mi', 'mile', 'miles', 'length', ['mi', 'mis']),
  u('yd', 'yard', 'yards', 'length', ['yd', 'yds']),
  u('ft', 'foot', 'feet', 'length', ['ft', 'foots', "'"]),
  u('inch', 'inch', 'inches', 'length', ['"', 'ins']),
  u('nmi', 'nautical mile', 'nautical miles', 'length', ['nmi', 'nm']),
  // mass
  u('g', 'gram', 'grams', 'mass', ['g', 'gr', 'gm', 'gms', 'gramme', 'grammes']),
  u('kg', 'kilogram', 'kilograms', 'mass', ['kg', 'kgs', 'kilo', 'kilos', 'kilogramme', 'kilogrammes']),
  u('mg', 'milligram', 'milligrams', 'mass', ['mg', 'mgs']),
  u('lb', 'pound', 'pounds', 'mass', ['lb', 'lbs', 'pound weight']),
  u('oz', 'ounce', 'ounces', 'mass', ['oz', 'ozs']),
  u('stone', 'stone', 'stone', 'mass', ['st', 'stones']),
  u('tonne', 'tonne', 'tonnes', 'mass', ['metric ton', 'metric tons', 't']),
  u('ton', 'US ton', 'US tons', 'mass', ['ton', 'tons', 'short ton', 'short tons']),
  // volume
  u('L', 'litre', 'litres', 'volume', ['l', 'liter', 'liters', 'ltr', 'ltrs']),
  u('mL', 'millilitre', 'millilitres', 'volume', ['ml', 'milliliter', 'milliliters', 'mls', 'cc']),
  u('gal', 'US gallon', 'US gallons', 'volume', ['gallon', 'gallons', 'gal', 'gals', 'us gallon', 'us gallons', 'gallon (us)', 'gallons (us)']),
  u('ukgallon', 'imperial gallon', 'imperial gallons', 'volume', ['uk gallon', 'uk gallons', 'gallon (uk)', 'gallons (uk)']),
  u('cup', 'cup', 'cups', 'volume', []),
  u('ustbsp', 'tablespoon', 'tablespoons', 'volume', ['tbsp', 'tbsps', 'tbs', 'tbl']),
  u('ustsp', 'teaspoon', 'teaspoons', 'volume', ['tsp', 'tsps']),
  u('floz', 'fluid ounce', 'fluid ounces', 'volume', ['fl oz', 'floz', 'fl. oz', 'fl. oz.', 'fluid oz']),
  u('pint', 'US pint', 'US pints', 'volume', ['pint', 'pints', 'pt', 'us pint', 'us pints']),
  u('ukpint', 'imperial pint', 'imperial pints', 'volume', ['uk pint', 'uk pints']),
  u('quart', 'US quart', 'US quarts', 'volume', ['quart', 'quarts', 'qt']),
  u('m3', 'cubic metre', 'cubic metres', 'volume', ['m3', 'm³', 'cubic meter', 'cubic meters']),
  u('cuft', 'cubic foot', 'cubic feet', 'volume', ['cu ft', 'cuft', 'ft3', 'ft³']),
  // temperature
  u('degC', 'degree Celsius', 'degrees Celsius', 'temperature', ['c', 'celsius', 'centigrade', '°c', 'degc'], ['C']),
  u('degF', 'degree Fahrenheit', 'degrees Fahrenheit', 'temperature', ['f', 'fahrenheit', '°f', 'degf'], ['F']),
  u('K', 'kelvin', 'kelvin', 'temperature', ['kelvins', '°k'], ['K']),
  // speed
  u('km/h', 'kilometre per hour', 'kilometres per hour', 'speed', ['km/h', 'kph', 'kmh', 'kmph', 'km/hr', 'kilometer per hour', 'kilometers per hour', 'km per hour', 'kilometres an hour', 'kilometers an hour']),
  u('mi/h', 'mile per hour', 'miles per hour', 'speed', ['mph', 'mi/h', 'miles an hour', 'mile an hour']),
  u('m/s', 'metre per second', 'metres per second', 'speed', ['m/s', 'mps', 'meter per second', 'meters per second', 'metres a second']),
  u('ft/s', 'foot per second', 'feet per second', 'speed', ['ft/s', 'fps']),
  u('knot', 'knot', 'knots', 'speed', ['kn', 'kt', 'kts']),
  // area
  u('m2', 'square metre', 'square metres', 'area', ['m2', 'm²', 'sq m', 'sqm', 'square meter', 'square meters', 'sq metres', 'sq meters']),
  u('km2', 'square kilometre', 'square kilometres', 'area', ['km2', 'km²', 'sq km', 'square kilometer', 'square kilometers']),
  u('sqft', 'square foot', 'square feet', 'area', ['sq ft', 'sqft', 'ft2', 'ft²', 'sq feet', 'sq foot', 'square ft']),
  u('sqin', 'square inch', 'square inches', 'area', ['sq in', 'sqin', 'in2', 'in²']),
  u('sqyd', 'square yard', 'square yards', 'area', ['sq yd', 'sqyd', 'yd2', 'yd²']),
  u('sqmi', 'square mile', 'square miles', 'area', ['sq mi', 'sqmi', 'mi2', 'mi²']),
  u('acre', 'acre', 'acres', 'area', ['ac']),
  u('hectare', 'hectare', 'hectares', 'area', ['ha']),
  // data size
  u('b', 'bit', 'bits', 'data size', [], ['b']),
  u('B', 'byte', 'bytes', 'data size', [], ['B']),
  u('kb', 'kilobit', 'kilobits', 'data size', ['kbit', 'kbits'], ['Kb']),
  u('Mb', 'megabit', 'megabits', 'data size', ['mbit', 'mbits'], ['Mb']),
  u('Gb', 'gigabit', 'gigabits', 'data size', ['gbit', 'gbits'], ['Gb']),
  u('kB', 'kilobyte', 'kilobytes', 'data size', ['kb', 'kbyte', 'kbytes'], ['KB', 'kB']),
  u('MB', 'megabyte', 'megabytes', 'data size', ['mb', 'meg', 'megs', 'mbyte', 'mbytes']),
  u('GB', 'gigabyte', 'gigabytes', 'data size', ['gb', 'gig', 'gigs', 'gbyte', 'gbytes']),
  u('TB', 'terabyte', 'terabytes', 'data size', ['tb', 'tbyte', 'tbytes']),
  u('PB', 'petabyte', 'petabytes', 'data size', ['pb']),
  u('KiB', 'kibibyte', 'kibibytes', 'data size', ['kib']),
  u('MiB', 'mebibyte', 'mebibytes', 'data size', ['mib']),
  u('GiB', 'gibibyte', 'gibibytes', 'data size', ['gib']),
  // time
  u('ms', 'millisecond', 'milliseconds', 'time', ['ms', 'msec', 'msecs']),
  u('s', 'second', 'seconds', 'time', ['s', 'sec', 'secs']),
  u('min', 'minute', 'minutes', 'time', ['min', 'mins']),
  u('h', 'hour', 'hours', 'time', ['h', 'hr', 'hrs']),
  u('day', 'day', 'days', 'time', ['d']),
  u('week', 'week', 'weeks', 'time', ['wk', 'wks']),
  u('month', 'month', 'months', 'time', ['mo', 'mos']),
  u('year', 'year', 'years', 'time', ['yr', 'yrs', 'y']),
  u('decade', 'decade', 'decades', 'time', []),
  u('century', 'century', 'centuries', 'time', []),
];

const BY_UNIT = new Map(UNITS.map((d) => [d.unit, d]));
const BY_EXACT = new Map<string, UnitDef>();
const BY_ALIAS = new Map<string, UnitDef>();
for (const def of UNITS) {
  for (const e of def.exact ?? []) BY_EXACT.set(e, def);
  for (const a of def.aliases) if (!BY_ALIAS.has(a.toLowerCase())) BY_ALIAS.set(a.toLowerCase(), def);
}

/** Longest text read as a quantity or unit. */
const MAX_TEXT = 80;
/** How much of an utterance `findConversion` looks at. */
const MAX_SCAN = 300;
const EXAMPLE_QUANTITY = '5 miles';
const EXAMPLE_UNIT = 'kilometres';

function lookupUnit(text: string): UnitDef | null {
  let t = text.trim().replace(/[?!]+$/, '').replace(/\.$/, '').trim().replace(/\s+/g, ' ');
  t = t.replace(/^(?:(?:in|into|to|as)\s+)?(?:the\s+)?/i, '');
  if (!t || t.length > MAX_TEXT) return null;
  const exact = BY_EXACT.get(t);
  if (exact) return exact;
  let l = t.toLowerCase();
  // "degrees f", "° c", "deg celsius": the degree word only says it is a temperature.
  l = l.replace(/^(?:degrees?|deg|°)\s*(?=(?:c|f|k|celsius|centigrade|fahrenheit|kelvin)$)/, '');
  l = l.replace(/\s*\/\s*/g, '/');
  const found = BY_ALIAS.get(l) ?? BY_ALIAS.get(l.replace(/^(?:us|u\.s\.)\s+/, 'us '));
  if (found) return found;
  if (l.endsWith('s') && BY_ALIAS.has(l.slice(0, -1))) return BY_ALIAS.get(l.slice(0, -1))!;
  return null;
}

/** The name of a unit for replies, singular for exactly 1 ("1 mile", "5 miles"). */
export function unitName(unit: string, value: number): string {
  const def = BY_UNIT.get(unit);
  if (!def) return unit;
  return Math.abs(value) === 1 ? def.singular : def.plural;
}

/** Reads a target unit ("km", "degrees fahrenheit", "sq ft") as its mathjs name. */
export function parseUnit(text: string): Parsed<string> {
  const def = lookupUnit(text);
  if (def) return { ok: true, value: def.unit };
  return { ok: false, reason: `I don't know the unit "${clip(text)}".`, example: EXAMPLE_UNIT };
}

const NUMBER = String.raw`[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+`;

/** Reads an amount with its unit ("5 miles", "a pound", "72°F", "1/2 cup", "100 km/h"). */
export function parseQuantity(text: string): Parsed<Quantity> {
  const fail = (reason = `I couldn't read "${clip(text)}" as an amount with a unit.`): Parsed<Quantity> => ({ ok: false, reason, example: EXAMPLE_QUANTITY });
  if (text.length > MAX_TEXT || !text.trim()) return fail();
  const t = numberWordsToDigits(text.trim().replace(/[?!]+$/, '').trim());
  let value: number | null = null;
  let rest = '';
  let m: RegExpExecArray | null;
  if ((m = new RegExp(String.raw`^(\d+)\s*/\s*(\d+)\s*(.*)$`).exec(t)) && Number(m[2]) !== 0) {
    value = Number(m[1]) / Number(m[2]);
    rest = m[3];
  } else if ((m = new RegExp(`^(${NUMBER})\\s*(.*)$`).exec(t))) {
    value = Number(m[1].replace(/,/g, ''));
    rest = m[2];
  } else if ((m = /^(?:a|an|one|per)\s+(.*)$/i.exec(t))) {
    value = 1;
    rest = m[1];
  } else if ((m = /^half\s+(?:a|an)\s+(.*)$/i.exec(t))) {
    value = 0.5;
    rest = m[1];
  } else if ((m = /^(?:a\s+)?quarter\s+(?:of\s+)?(?:a|an)\s+(.*)$/i.exec(t))) {
    value = 0.25;
    rest = m[1];
  }
  if (value === null) {
    const bare = lookupUnit(t);
    return fail(bare ? `How many ${bare.plural}? I need an amount as well as a unit.` : undefined);
  }
  if (!Number.isFinite(value)) return fail();
  const def = lookupUnit(rest);
  if (!def) return fail(rest.trim() ? `I don't know the unit "${clip(rest)}".` : `I need a unit as well as the number (like "${value} miles").`);
  return { ok: true, value: { value, unit: def.unit } };
}

// Made once: building a number format per call (what toLocaleString does) costs more than the rest of a turn's formatting.
const AMOUNT_FORMAT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 12 });

/** "8.05", "1,000", "0.0254", "22.22": two decimals, or three significant digits below 1. */
export function formatAmount(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e15 || abs < 1e-9) return Number(value.toPrecision(4)).toExponential().replace(/\.?0+e/, 'e');
  const rounded = abs >= 1 ? Math.round(value * 100) / 100 : Number(value.toPrecision(3));
  return AMOUNT_FORMAT.format(rounded);
}

const ARTICLE: Record<UnitCategory, string> = {
  length: 'a length',
  mass: 'a weight',
  volume: 'a volume',
  temperature: 'a temperature',
  speed: 'a speed',
  area: 'an area',
  'data size': 'a data size',
  time: 'a time',
};

/** Converts a quantity to another unit (both mathjs names); a helpful failure when they don't match. */
export function convertQuantity(from: Quantity, targetUnit: string): Parsed<ConversionValue> {
  const a = BY_UNIT.get(from.unit);
  const b = BY_UNIT.get(targetUnit);
  if (!a || !b) return { ok: false, reason: `I don't know the unit "${clip(a ? targetUnit : from.unit)}".`, example: EXAMPLE_UNIT };
  if (a.category !== b.category) {
    const same = UNITS.find((d) => d.category === a.category && d.unit !== a.unit)!;
    return {
      ok: false,
      reason: `I can't convert ${a.plural} (${ARTICLE[a.category]}) to ${b.plural} (${ARTICLE[b.category]}). Pick a unit of ${a.category === 'mass' ? 'weight' : a.category}, like ${same.plural}.`,
      example: same.plural,
    };
  }
  let value: number;
  try {
    value = math.unit(from.value, a.unit).toNumber(b.unit);
  } catch {
    return { ok: false, reason: `I couldn't convert ${a.plural} to ${b.plural}.`, example: EXAMPLE_UNIT };
  }
  if (!Number.isFinite(value)) return { ok: false, reason: 'That number is too big to convert.', example: EXAMPLE_QUANTITY };
  const to = { value: Number(value.toPrecision(12)), unit: b.unit };
  const display = `${formatAmount(from.value)} ${unitName(a.unit, from.value)} is ${formatAmount(to.value)} ${unitName(b.unit, Number(formatAmount(to.value).replace(/,/g, '')))}`;
  return { ok: true, value: { from: { ...from }, to, display } };
}

/** Converts "5 miles" to "km": both parts read from text. */
export function convertUnits(quantityText: string, targetUnitText: string): Parsed<ConversionValue> {
  const quantity = parseQuantity(quantityText);
  if (!quantity.ok) return quantity;
  const unit = parseUnit(targetUnitText);
  if (!unit.ok) return unit;
  return convertQuantity(quantity.value, unit.value);
}

export interface FoundConversion {
  quantity: { value: Quantity; text: string };
  unit: { value: string; text: string };
}

const TRAILING = /(?:\s+(?:please|for me|thanks|thank you|now))+$|[\s?.!]+$/i;

/** Reads the target unit at the start of a text, dropping trailing words ("km for me please" → km). */
function leadingUnit(text: string): { value: string; text: string } | null {
  const words = text.replace(TRAILING, '').trim().split(/\s+/);
  for (let n = Math.min(words.length, 5); n >= 1; n--) {
    const candidate = words.slice(0, n).join(' ').replace(/[?.!,]+$/, '');
    const def = lookupUnit(candidate);
    if (def) return { value: def.unit, text: candidate };
  }
  return null;
}

/** Both parts of a conversion in a whole sentence ("how many ounces in a pound", "convert 5 miles to km"). */
export function findConversion(utterance: string): FoundConversion | null {
  const text = utterance.slice(0, MAX_SCAN).replace(TRAILING, '');
  const howMany = /\bhow\s+(?:many|much)\s+(.+?)\s+(?:(?:are|is)\s+(?:there\s+)?)?(?:in|is|are|make|makes|equals?|to)\s+(.+)$/i.exec(text);
  if (howMany) {
    const unit = leadingUnit(howMany[1]);
    const quantityText = howMany[2].trim();
    const quantity = parseQuantity(quantityText);
    if (unit && unit.text.length === howMany[1].trim().length && quantity.ok) return { quantity: { value: quantity.value, text: quantityText }, unit };
  }
  // "convert 5 miles to km", "72 F in celsius", "what is 5 miles in km": try each start and each "to"/"in".
  const words = [...text.matchAll(/\S+/g)].slice(0, 60);
  for (let i = 0; i < words.length; i++) {
    for (let j = i + 1; j < words.length - 1; j++) {
      if (!/^(?:in|into|to|as)$/i.test(words[j][0])) continue;
      const quantityText = text.slice(words[i].index, words[j].index).trim().replace(/\s+(?:is|are)$/i, '');
      const quantity = parseQuantity(quantityText);
      if (!quantity.ok) continue;
      const unit = leadingUnit(text.slice(words[j + 1].index));
      if (unit) return { quantity: { value: quantity.value, text: quantityText }, unit };
    }
  }
  return null;
}
