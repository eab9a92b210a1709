/**
 * A small streaming CSV reader (RFC 4180): UTF-8 with or without a BOM, comma, semicolon or tab separated
 * (decided from the header line), quoted fields with separators, doubled quotes and line breaks inside.
 * It holds one record at a time, never the file, and numbers every record by the physical line it starts on.
 * Hand-written rather than csv-parse: it is small, the separator has to be chosen from the header line before
 * parsing starts, and the import's messages need the physical line of each record.
 */

export interface CsvRecord {
  /** The physical line (1 = the header) the record starts on; quoted line breaks count. */
  line: number;
  fields: string[];
}

/** The file cannot be read on: the import stops here (rows before it stay imported). */
export class CsvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Bytes or text in pieces: a file or upload stream, or (in tests) an array. */
export type CsvSource = AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

export interface CsvOptions {
  /** A longer field is refused: it is almost always a quote left open, swallowing the rest of the file. */
  maxFieldChars?: number;
  maxFields?: number;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;

// Parser states.
const UNQUOTED = 0;
const QUOTED = 1;
const QUOTE_IN_QUOTED = 2; // saw a quote inside a quoted field: "" (a literal quote) or the closing one

/** The separator the header line uses most, outside quotes: semicolon, tab or (by default) comma. */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>([
    [",", 0],
    [";", 0],
    ["\t", 0],
  ]);
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ",";
  for (const [ch, n] of counts) if (n > counts.get(best)!) best = ch;
  return best;
}

class CsvParser {
  private delimiter = -1;
  private probe = "";
  private state = UNQUOTED;
  private atFieldStart = true;
  private field = "";
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private afterCR = false;
  private quotedCR = false;

  constructor(private readonly options: Required<CsvOptions>) {}

  /** The physical line the text pushed so far ends on. */
  get currentLine(): number {
    return this.line;
  }

  push(text: string, out: CsvRecord[]): void {
    if (this.delimiter < 0) {
      // Hold text until the header line is complete, to see which separator it uses.
      this.probe += text;
      const end = this.probe.search(/[\r\n]/);
      if (end < 0 && this.probe.length < 65_536) return;
      this.delimiter = detectDelimiter(end < 0 ? this.probe : this.probe.slice(0, end)).charCodeAt(0);
      text = this.probe;
      this.probe = "";
    }
    this.scan(text, out);
  }

  end(out: CsvRecord[]): void {
    if (this.delimiter < 0) {
      this.delimiter = detectDelimiter(this.probe).charCodeAt(0);
      this.scan(this.probe, out);
    }
    if (this.state === QUOTED)
      throw new CsvError(
        `Line ${this.recordLine}: a quoted field is never closed (a " is missing).`,
        this.recordLine,
      );
    if (!this.atFieldStart || this.fields.length > 0 || this.field !== "") this.endRecord(out);
  }

  private scan(text: string, out: CsvRecord[]): void {
    const delimiter = this.delimiter;
    let runStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.afterCR) {
        this.afterCR = false;
        if (c === LF) {
          runStart = i + 1;
          continue;
        }
      }
      if (this.state === QUOTED) {
        if (c === QUOTE) {
          this.field += text.slice(runStart, i);
          this.state = QUOTE_IN_QUOTED;
        } else if (c === LF) {
          if (!this.quotedCR) this.line++;
        } else if (c === CR) {
          this.line++;
        }
        // A CRLF inside quotes is one line break; both characters stay in the field.
        this.quotedCR = c === CR;
        continue;
      }
      if (this.state === QUOTE_IN_QUOTED) {
        if (c === QUOTE) {
          this.field += '"';
          this.state = QUOTED;
          runStart = i + 1;
          continue;
        }
        // The closing quote: anything up to the separator is kept as it is (lenient, like spreadsheets).
        this.state = UNQUOTED;
        this.atFieldStart = false;
        runStart = i;
      }
      if (c === delimiter) {
        this.endField(this.field + text.slice(runStart, i));
        runStart = i + 1;
      } else if (c === LF || c === CR) {
        this.field += text.slice(runStart, i);
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
        this.afterCR = c === CR;
        runStart = i + 1;
      } else if (c === QUOTE && this.atFieldStart) {
        this.state = QUOTED;
        this.atFieldStart = false;
        runStart = i + 1;
      } else {
        this.atFieldStart = false;
      }
    }
    if (this.state !== QUOTE_IN_QUOTED) this.field += text.slice(runStart);
    if (this.field.length > this.options.maxFieldChars)
      throw new CsvError(
        `Line ${this.recordLine}: a field is longer than ${this.options.maxFieldChars} characters (is a quote left open?).`,
        this.recordLine,
      );
  }

  private endField(value: string): void {
    if (value.length > this.options.maxFieldChars)
      throw new CsvError(
        `Line ${this.recordLine}: a field is longer than ${this.options.maxFieldChars} characters (is a quote left open?).`,
        this.recordLine,
      );
    this.fields.push(value);
    if (this.fields.length > this.options.maxFields)
      throw new CsvError(
        `Line ${this.recordLine}: more than ${this.options.maxFields} columns.`,
        this.recordLine,
      );
    this.field = "";
    this.atFieldStart = true;
    this.state = UNQUOTED;
  }

  private endRecord(out: CsvRecord[]): void {
    this.endField(this.field);
    const fields = this.fields;
    this.fields = [];
    // A blank line is no record.
    if (!(fields.length === 1 && fields[0] === "")) out.push({ line: this.recordLine, fields });
  }
}

/**
 * Reads CSV records from a stream of bytes (or strings), one at a time. Throws a CsvError naming the line
 * when the text is not UTF-8, a quote is never closed, or a field is absurdly long.
 */
export async function* readCsv(input: CsvSource, options: CsvOptions = {}): AsyncGenerator<CsvRecord> {
  const parser = new CsvParser({ maxFieldChars: 100_000, maxFields: 1_000, ...options });
  const utf8 = new Utf8Pieces();
  const out: CsvRecord[] = [];
  let first = true;
  const feed = (text: string) => {
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text !== "") first = false;
    parser.push(text, out);
  };
  for await (const chunk of input) {
    const decoded = typeof chunk === "string" ? { text: chunk, valid: true } : utf8.decode(chunk, false);
    feed(decoded.text);
    yield* out.splice(0);
    if (!decoded.valid) throw notUtf8(parser.currentLine);
  }
  const rest = utf8.decode(new Uint8Array(0), true);
  feed(rest.text);
  if (!rest.valid) {
    yield* out.splice(0);
    throw notUtf8(parser.currentLine);
  }
  parser.end(out);
  yield* out;
}

function notUtf8(line: number): CsvError {
  return new CsvError(
    `Line ${line}: the file is not UTF-8 text. Save it as "CSV UTF-8" and try again.`,
    line,
  );
}

/**
 * UTF-8 bytes in pieces to text. A piece with an invalid sequence gives the text before that sequence and
 * `valid: false`, so the records before the bad byte are still read and the error names its own line
 * (a decoder that throws for the whole piece would lose up to 64 KiB of good rows and the line number).
 */
class Utf8Pieces {
  private carry = new Uint8Array(0);

  decode(piece: Uint8Array, final: boolean): { text: string; valid: boolean } {
    const bytes = this.carry.length === 0 ? piece : concat(this.carry, piece);
    const end = final ? bytes.length : completeEnd(bytes);
    this.carry = bytes.slice(end);
    const whole = bytes.subarray(0, end);
    try {
      return { text: strict().decode(whole), valid: true };
    } catch {
      // The longest prefix that is valid UTF-8 as far as it goes (validity of prefixes is monotone).
      let lo = 0;
      let hi = whole.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (validSoFar(whole.subarray(0, mid))) lo = mid;
        else hi = mid - 1;
      }
      return { text: strict().decode(whole.subarray(0, lo), { stream: true }), valid: false };
    }
  }
}

// ignoreBOM: true keeps a leading BOM in the text, where readCsv drops it (each piece has its own decoder).
const strict = () => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function validSoFar(bytes: Uint8Array): boolean {
  try {
    strict().decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** Where the last complete UTF-8 sequence ends: a sequence cut at the end of a piece waits for the next. */
function completeEnd(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 4); i--) {
    const b = bytes[i]!;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back for its lead
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return i + length > bytes.length ? i : bytes.length;
  }
  return bytes.length;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
