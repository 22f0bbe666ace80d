import { describe, expect, it } from 'vitest';
import { convertUnits, findConversion, formatAmount, parseQuantity, parseUnit } from './units.js';

describe('parseQuantity', () => {
  it.each([
    ['5 miles', 5, 'mi'],
    ['a pound', 1, 'lb'],
    ['72 F', 72, 'degF'],
    ['72°F', 72, 'degF'],
    ['72 degrees fahrenheit', 72, 'degF'],
    ['-40 C', -40, 'degC'],
    ['3.5 kg', 3.5, 'kg'],
    ['3.5kg', 3.5, 'kg'],
    ['one cup', 1, 'cup'],
    ['half a cup', 0.5, 'cup'],
    ['1/2 cup', 0.5, 'cup'],
    ['100 km/h', 100, 'km/h'],
    ['60 mph', 60, 'mi/h'],
    ['2 gigabytes', 2, 'GB'],
    ['10 KB', 10, 'kB'],
    ['5 Mb', 5, 'Mb'],
    ['1,000 feet', 1000, 'ft'],
    ['ten miles', 10, 'mi'],
    ['3 sq ft', 3, 'sqft'],
    ['2 acres', 2, 'acre'],
    ['4 tablespoons', 4, 'ustbsp'],
    ['3 weeks', 3, 'week'],
  ])('%j', (text, value, unit) => {
    expect(parseQuantity(text)).toEqual({ ok: true, value: { value, unit } });
  });

  it('asks for the missing part', () => {
    expect(parseQuantity('miles')).toMatchObject({ ok: false, reason: expect.stringContaining('How many miles?'), example: '5 miles' });
    expect(parseQuantity('5 bananas')).toMatchObject({ ok: false, reason: 'I don\'t know the unit "bananas".' });
    expect(parseQuantity('5')).toMatchObject({ ok: false, reason: expect.stringContaining('need a unit') });
  });
});

describe('parseUnit', () => {
  it.each([
    ['km', 'km'],
    ['kilometres', 'km'],
    ['kilometers', 'km'],
    ['mi', 'mi'],
    ['lbs', 'lb'],
    ['pounds', 'lb'],
    ['oz', 'oz'],
    ['F', 'degF'],
    ['fahrenheit', 'degF'],
    ['degrees f', 'degF'],
    ['C', 'degC'],
    ['celsius', 'degC'],
    ['kph', 'km/h'],
    ['km/h', 'km/h'],
    ['mph', 'mi/h'],
    ['m/s', 'm/s'],
    ['knots', 'knot'],
    ['acres', 'acre'],
    ['hectares', 'hectare'],
    ['square feet', 'sqft'],
    ['sq ft', 'sqft'],
    ['square metres', 'm2'],
    ['gallons', 'gal'],
    ['litres', 'L'],
    ['cups', 'cup'],
    ['tablespoons', 'ustbsp'],
    ['teaspoons', 'ustsp'],
    ['fluid ounces', 'floz'],
    ['bytes', 'B'],
    ['KB', 'kB'],
    ['MB', 'MB'],
    ['GB', 'GB'],
    ['TB', 'TB'],
    ['bits', 'b'],
    ['seconds', 's'],
    ['minutes', 'min'],
    ['hours', 'h'],
    ['days', 'day'],
    ['weeks', 'week'],
    ['years', 'year'],
    ['to km', 'km'],
  ])('%j → %s', (text, unit) => {
    expect(parseUnit(text)).toEqual({ ok: true, value: unit });
  });

  it('rejects unknown units', () => {
    expect(parseUnit('bananas')).toEqual({ ok: false, reason: 'I don\'t know the unit "bananas".', example: 'kilometres' });
  });
});

describe('convertUnits', () => {
  it.each([
    ['5 miles', 'km', '5 miles is 8.05 kilometres'],
    ['a pound', 'ounces', '1 pound is 16 ounces'],
    ['72 F', 'celsius', '72 degrees Fahrenheit is 22.22 degrees Celsius'],
    ['20 C', 'F', '20 degrees Celsius is 68 degrees Fahrenheit'],
    ['0 K', 'celsius', '0 kelvin is -273.15 degrees Celsius'],
    ['100 km/h', 'mph', '100 kilometres per hour is 62.14 miles per hour'],
    ['10 knots', 'km/h', '10 knots is 18.52 kilometres per hour'],
    ['1 acre', 'hectares', '1 acre is 0.405 hectares'],
    ['100 square metres', 'sq ft', '100 square metres is 1,076.39 square feet'],
    ['1 gallon', 'litres', '1 US gallon is 3.79 litres'],
    ['1 cup', 'tablespoons', '1 cup is 16 tablespoons'],
    ['1 tablespoon', 'teaspoons', '1 tablespoon is 3 teaspoons'],
    ['2 gigabytes', 'MB', '2 gigabytes is 2,000 megabytes'],
    ['1 byte', 'bits', '1 byte is 8 bits'],
    ['90 minutes', 'hours', '90 minutes is 1.5 hours'],
    ['2 weeks', 'days', '2 weeks is 14 days'],
  ])('%s to %s', (quantity, unit, display) => {
    const converted = convertUnits(quantity, unit);
    expect(converted).toMatchObject({ ok: true, value: { display } });
  });

  it('returns both quantities', () => {
    const converted = convertUnits('5 miles', 'km');
    expect(converted.ok && converted.value.from).toEqual({ value: 5, unit: 'mi' });
    expect(converted.ok && converted.value.to.value).toBeCloseTo(8.04672, 6);
    expect(converted.ok && converted.value.to.unit).toBe('km');
  });

  it('explains incompatible units and suggests a unit that works', () => {
    expect(convertUnits('5 kg', 'km')).toEqual({
      ok: false,
      reason: "I can't convert kilograms (a weight) to kilometres (a length). Pick a unit of weight, like grams.",
      example: 'grams',
    });
    expect(convertUnits('72 F', 'miles')).toMatchObject({ ok: false, reason: expect.stringContaining('(a temperature)') });
    expect(convertUnits('1 GB', 'hours')).toMatchObject({ ok: false, reason: expect.stringContaining('(a data size)') });
  });
});

describe('findConversion', () => {
  it.each([
    ['how many ounces in a pound', 'a pound', 'oz'],
    ['how many ounces are there in a pound?', 'a pound', 'oz'],
    ['how many km is 5 miles', '5 miles', 'km'],
    ['72 F in celsius', '72 F', 'degC'],
    ['convert 5 miles to km', '5 miles', 'km'],
    ['convert 5 miles to km please', '5 miles', 'km'],
    ['what is 5 miles in km?', '5 miles', 'km'],
    ["what's 2 GB in MB", '2 GB', 'MB'],
    ['can you tell me what 100 km/h is in mph', '100 km/h', 'mi/h'],
  ])('%j', (utterance, quantityText, unit) => {
    const found = findConversion(utterance);
    expect(found?.quantity.text).toBe(quantityText);
    expect(found?.unit.value).toBe(unit);
  });

  it('returns null when a sentence holds no conversion', () => {
    expect(findConversion('remind me to call mom at 5')).toBeNull();
    expect(findConversion('how many days until christmas')).toBeNull();
    expect(findConversion('5 '.repeat(5_000))).toBeNull();
  });
});

describe('formatAmount', () => {
  it('two decimals, three significant digits below 1, separators', () => {
    expect(formatAmount(8.04672)).toBe('8.05');
    expect(formatAmount(0.404686)).toBe('0.405');
    expect(formatAmount(1076.391)).toBe('1,076.39');
    expect(formatAmount(-273.15)).toBe('-273.15');
  });
});
