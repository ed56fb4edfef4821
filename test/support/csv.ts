/**
 * A strict RFC 4180 reader, for checking what Plaudit writes: records end in CRLF (the last
 * one may not), fields are separated by commas, a field holding a comma, a quote or a line
 * break is quoted, and a quote inside one is doubled. Anything else — a bare LF or CR
 * outside quotes, a quote inside an unquoted field, text after a closing quote, records of
 * different lengths — is an error, so a writer that gets the rules nearly right fails.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  if (text.length === 0) return records;
  let record: string[] = [];
  let at = 0;
  for (;;) {
    const [field, end] = text[at] === '"' ? quotedField(text, at) : plainField(text, at);
    record.push(field);
    at = end;
    if (at === text.length) {
      records.push(record);
      break;
    }
    if (text[at] === ',') {
      at += 1;
      continue;
    }
    if (text.startsWith('\r\n', at)) {
      records.push(record);
      record = [];
      at += 2;
      if (at === text.length) break;
      continue;
    }
    throw new CsvError(`unexpected ${JSON.stringify(text[at])}`, at);
  }
  const width = records[0]?.length;
  records.forEach((fields, index) => {
    if (fields.length !== width) {
      throw new CsvError(`record ${index + 1} has ${fields.length} fields, not ${width}`, 0);
    }
  });
  return records;
}

export class CsvError extends Error {
  constructor(problem: string, at: number) {
    super(`CSV: ${problem} at character ${at}`);
    this.name = 'CsvError';
  }
}

function quotedField(text: string, start: number): [string, number] {
  let field = '';
  let at = start + 1;
  for (;;) {
    if (at >= text.length) throw new CsvError('a quoted field is not closed', start);
    const char = text[at] as string;
    if (char === '"') {
      if (text[at + 1] !== '"') return [field, at + 1];
      field += '"';
      at += 2;
    } else {
      field += char;
      at += 1;
    }
  }
}

function plainField(text: string, start: number): [string, number] {
  let at = start;
  while (at < text.length && text[at] !== ',' && !text.startsWith('\r\n', at)) {
    const char = text[at];
    if (char === '"' || char === '\r' || char === '\n') {
      throw new CsvError(`${JSON.stringify(char)} in an unquoted field`, at);
    }
    at += 1;
  }
  return [text.slice(start, at), at];
}
