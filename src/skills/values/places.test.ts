import { describe, expect, it } from 'vitest';
import { resolvePlace } from './places.js';

describe('resolvePlace', () => {
  it.each([
    ['Tokyo', 'Tokyo', 'Asia/Tokyo'],
    ['tokyo', 'Tokyo', 'Asia/Tokyo'],
    ['new york', 'New York', 'America/New_York'],
    ['NYC', 'New York', 'America/New_York'],
    ['London', 'London', 'Europe/London'],
    ['paris', 'Paris', 'Europe/Paris'],
    ['São Paulo', 'Sao Paulo', 'America/Sao_Paulo'],
    ['zurich', 'Zürich', 'Europe/Zurich'],
    ['St Petersburg', 'St. Petersburg', 'Europe/Moscow'],
    ['Tokyo time', 'Tokyo', 'Asia/Tokyo'],
    ['in Tokyo right now', 'Tokyo', 'Asia/Tokyo'],
    ['sydney pls', 'Sydney', 'Australia/Sydney'],
    ['new york rn', 'New York', 'America/New_York'],
  ])('city %j', (text, place, timeZone) => {
    expect(resolvePlace(text)).toEqual({ ok: true, value: { place, timeZone } });
  });

  it.each([
    ['Japan', 'Japan', 'Asia/Tokyo'],
    ['France', 'France', 'Europe/Paris'],
    ['the UK', 'United Kingdom', 'Europe/London'],
    ['India', 'India', 'Asia/Kolkata'],
    ['China', 'China', 'Asia/Shanghai'],
    ['California', 'California', 'America/Los_Angeles'],
    ['Texas', 'Texas', 'America/Chicago'],
    ['Hawaii', 'Hawaii', 'Pacific/Honolulu'],
  ])('country or US state %j', (text, place, timeZone) => {
    expect(resolvePlace(text)).toEqual({ ok: true, value: { place, timeZone } });
  });

  it.each([
    ['Europe/Paris', 'Paris', 'Europe/Paris'],
    ['europe/paris', 'Paris', 'Europe/Paris'],
    ['Asia/Kolkata', 'Kolkata', 'Asia/Kolkata'],
    ['UTC', 'UTC', 'UTC'],
    ['GMT', 'GMT', 'UTC'],
    ['PST', 'PST', 'America/Los_Angeles'],
    ['pdt', 'PDT', 'America/Los_Angeles'],
    ['EST', 'EST', 'America/New_York'],
    ['CST', 'CST', 'America/Chicago'],
    ['MST', 'MST', 'America/Denver'],
    ['CET', 'CET', 'Europe/Paris'],
    ['BST', 'BST', 'Europe/London'],
    ['IST', 'IST', 'Asia/Kolkata'],
    ['JST', 'JST', 'Asia/Tokyo'],
    ['AEST', 'AEST', 'Australia/Sydney'],
    ['UTC+2', 'UTC+2', 'UTC+2'],
    ['GMT-5:30', 'UTC-5:30', 'UTC-5:30'],
    ['eastern time', 'Eastern Time', 'America/New_York'],
  ])('zone %j', (text, place, timeZone) => {
    expect(resolvePlace(text)).toEqual({ ok: true, value: { place, timeZone } });
  });

  it('asks which city for a country with several zones', () => {
    expect(resolvePlace('USA')).toEqual({ ok: false, reason: 'The United States has several time zones. Which city do you mean?', example: 'New York' });
    expect(resolvePlace('Australia')).toMatchObject({ ok: false, example: 'Sydney' });
  });

  it('asks for a city when the place is unknown', () => {
    expect(resolvePlace('Narnia')).toEqual({
      ok: false,
      reason: 'I don\'t know a place called "Narnia". Which city, country or time zone do you mean?',
      example: 'Tokyo',
    });
    expect(resolvePlace('Mars/Olympus').ok).toBe(false);
    expect(resolvePlace('UTC+99').ok).toBe(false);
    expect(resolvePlace('').ok).toBe(false);
    expect(resolvePlace('Tokyo'.repeat(2_000)).ok).toBe(false);
  });
});
