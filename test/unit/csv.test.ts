// The one CSV writer and the one formula escape (integrations/engine/csv.ts) that every CSV cell
// clipscope writes goes through: results.csv, the written-back posts table, the site's downloads.
import { describe, expect, it } from 'vitest';
import { csvText, escapeFormula } from '../../integrations/engine/csv.ts';
import { FORMULA_CASES } from '../fixtures/formula-cases.ts';
import { readRfc4180 } from '../fixtures/rfc4180.ts';

describe('escapeFormula', () => {
  it.each(FORMULA_CASES)('text starting with %s gets a leading quote', (_name, text) => {
    expect(escapeFormula(text)).toBe(`'${text}`);
  });

  it.each([['plain', 'photo.jpg'], ['space first', ' =1'], ['inner =', 'a=b'], ['LF first', '\n=1'], ['empty', ''], ['quote first', "'=1"]])('leaves %s text alone', (_name, text) => {
    expect(escapeFormula(text)).toBe(text);
  });

  it('never touches numbers or empty cells', () => {
    expect(escapeFormula(-1.5)).toBe(-1.5);
    expect(escapeFormula(null)).toBe(null);
  });
});

describe('csvText', () => {
  it('quotes CR, LF, the delimiter and quotes whatever the line end, and reads back whole', () => {
    const cells = ['a\nb', 'a\rb', 'a\r\nb', 'a,b', 'a;b', 'a\tb', 'say "hi"', '', 'plain'];
    for (const eol of ['\n', '\r\n'] as const) {
      for (const delimiter of [',', ';', '\t']) {
        const text = csvText([['h', 'v'], ...cells.map((c, i) => [String(i), c])], { eol, delimiter });
        expect(readRfc4180(text, delimiter)).toEqual([['h', 'v'], ...cells.map((c, i) => [String(i), c])]);
      }
    }
  });

  it('writes numbers as numbers, null as an empty cell, and a BOM when asked', () => {
    expect(csvText([['a', 'b', 'c'], [1.5, null, -2]], { bom: true })).toBe('\ufeffa,b,c\n1.5,,-2\n');
  });
});
