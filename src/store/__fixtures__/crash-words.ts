/** The crash writer's item names: a number as letters (zqa, zqb, …), since digits would be read as times or quantities. */
export function itemWord(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26);
  } while (n > 0);
  return `zq${out}`;
}
