// CSV writing: the one place clipscope turns rows into CSV text (results.csv, the written-back posts
// table, the site's downloadable results), and the one formula escape for the cells it writes.
//
// Quoting: a cell is quoted when it holds the delimiter, a double quote, a CR or an LF — whatever line
// end the file itself uses. csv-stringify quotes a bare LF only while it picks the record delimiter
// itself; given "\r\n" (a CRLF posts table written back as it came), it would leave a multi-line
// caption's bare "\n" unquoted, and every reader (pandas, Python's csv, Excel) splits that row.
// `quote_record_delimiter: true` turns that back on for every record delimiter.
//
// Formula injection: a text cell that a spreadsheet would run as a formula — starting with = + - @,
// tab or CR, or the full-width ＝ ＋ － ＠ that some spreadsheets read the same way — gets a leading
// single quote, so a file named "=cmd|….jpg" or a category named "@SUM(…)" stays text. Numbers are
// never touched (a negative number is data, not a formula).
import { stringify } from 'csv-stringify/sync';

// The escape itself lives in core (browser-safe): the site's Explore page writes CSV in the browser.
export { escapeFormula } from '../core/format.ts';

interface CsvDialectOut {
  /** Default ",". */
  delimiter?: string;
  /** Default "\n". */
  eol?: '\n' | '\r\n';
  /** Start with a UTF-8 byte order mark. Default false. */
  bom?: boolean;
}

export type CsvCell = string | number | null;

/** CSV text of `rows` (the header is the first row): cells as given, null as an empty cell, quoted
 * where needed. Formula escaping is the caller's (escapeFormula), so original cells can stay as read. */
export function csvText(rows: readonly (readonly CsvCell[])[], dialect: CsvDialectOut = {}): string {
  return stringify(rows as CsvCell[][], {
    delimiter: dialect.delimiter ?? ',',
    record_delimiter: dialect.eol ?? '\n',
    quote_record_delimiter: true,
    bom: dialect.bom ?? false,
    escape_formulas: false,
  });
}
