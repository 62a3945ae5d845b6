// Reading CSV files into tables of text cells, through csv-parse (a well-kept parser: quoted fields
// with commas and newlines, doubled quotes, \r\n, a byte-order mark). What it cannot know is what
// we expect of the file, so this module checks that: text rather than binary, a header, rows as long
// as the header. Every problem is one line naming the file, the row and the column.
import { readFileSync, statSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import type { Table } from '../tabular/preprocess.js';
import { UserError } from './common.js';

/**
 * Parse CSV text (a UTF-8 file's contents) into a Table. `source` names it in messages.
 * @example parseCsv('a,b\n1,"x, y"\n', 'f.csv')   // { columns: ['a', 'b'], rows: [['1', 'x, y']], lines: [2] }
 */
export function parseCsv(text: string, source: string): Table {
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new UserError(`${source}: the file is empty; expected a header row, then one row per example`);
  let records: Array<{ record: string[]; info: { lines: number; empty_lines: number } }>;
  try {
    records = parse(text, { bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true }) as unknown as typeof records;
  } catch (e) {
    // csv-parse's own errors (an unclosed quote) say the line; keep them on one line.
    throw new UserError(`${source}: not a valid CSV file: ${(e as Error).message.replace(/\s+/g, ' ')}`);
  }
  if (records.length === 0) throw new UserError(`${source}: the file is empty; expected a header row, then one row per example`);
  const header = records[0].record.map((h, j) => h.trim() || `column_${j + 1}`);
  const seen = new Map<string, number>();
  header.forEach((h, j) => {
    if (seen.has(h)) throw new UserError(`${source}: the header names column '${h}' twice (columns ${seen.get(h)! + 1} and ${j + 1}); expected unique names`);
    seen.set(h, j);
  });
  if (records.length === 1) throw new UserError(`${source}: only a header (${header.length} columns), no data rows`);
  const rows: string[][] = [];
  const lines: number[] = [];
  let prevEnd = records[0].info.lines, prevEmpty = records[0].info.empty_lines;
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i];
    // info.lines is the line a record ends on; it starts after the previous record and any empty lines.
    const line = prevEnd + 1 + (info.empty_lines - prevEmpty);
    prevEnd = info.lines;
    prevEmpty = info.empty_lines;
    if (record.length !== header.length) {
      const where = `${source}: row ${i} (line ${line}) has ${record.length} cell${record.length === 1 ? '' : 's'}, expected ${header.length} like the header`;
      throw new UserError(record.length < header.length
        ? `${where}: column '${header[record.length]}' is missing`
        : `${where}: an extra cell '${record[header.length]}' after the last column '${header[header.length - 1]}'`);
    }
    rows.push(record);
    lines.push(line);
  }
  return { columns: header, rows, source, lines };
}

/**
 * Read a CSV file. A binary file (a NUL byte, or bytes that are not UTF-8: a spreadsheet, an image,
 * a zip) is refused before parsing, naming the offset of the first bad byte.
 */
export function readCsvFile(path: string, flag = '--csv'): Table {
  let bytes: Buffer;
  try {
    if (statSync(path).isDirectory()) throw new UserError(`${flag} ${path}: is a folder; expected a CSV file`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${flag} ${path}: cannot read the file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a readable CSV file`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new UserError(`${path}: not a text file (a zero byte at offset ${nul}); expected a CSV file in UTF-8 text`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new UserError(`${path}: not UTF-8 text (byte 0x${bytes[bad].toString(16).padStart(2, '0')} at offset ${bad}); expected a CSV file in UTF-8 (save it as "CSV UTF-8")`);
  }
  return parseCsv(text, path);
}

/**
 * The offset of the first byte that starts no valid UTF-8 character: a lead byte 0xxxxxxx (1 byte),
 * 110xxxxx (2), 1110xxxx (3) or 11110xxx (4), followed by that many − 1 bytes 10xxxxxx.
 * (Overlong forms and surrogates, which the decoder also refuses, are rare enough in real files to
 * be reported at their lead byte only when the count is wrong.)
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i];
    const n = b < 0x80 ? 1 : b >> 5 === 6 ? 2 : b >> 4 === 14 ? 3 : b >> 3 === 30 ? 4 : 0;
    if (n === 0 || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if (bytes[i + k] >> 6 !== 2) return i;
    i += n;
  }
  return 0;
}

/** Quote a CSV cell when it needs it (a comma, a quote, a line break, or spaces at either end). */
export function csvCell(v: string | number): string {
  const s = String(v);
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
