/** Small valid PNG pictures made in code (for the demo blog): 8-bit RGB, one IDAT chunk. Pure. */
import { crc32, deflateSync } from "node:zlib";

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A width × height PNG whose pixel colours come from `paint(x, y)` as [r, g, b]. */
export function makePng(
  width: number,
  height: number,
  paint: (x: number, y: number) => [number, number, number],
) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // bit depth 8, colour type RGB, deflate, no filter method, no interlace
  const rows = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3); // each row starts with filter type 0
    for (let x = 0; x < width; x++) rows.set(paint(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** A diagonal gradient between two colours with soft stripes: a believable header picture. */
export function gradientPng(
  from: [number, number, number],
  to: [number, number, number],
  width = 480,
  height = 240,
) {
  return makePng(width, height, (x, y) => {
    const t = (x / width + y / height) / 2;
    const stripe = Math.sin((x + y) / 18) * 10;
    return from.map((c, i) => Math.max(0, Math.min(255, Math.round(c + (to[i]! - c) * t + stripe)))) as [
      number,
      number,
      number,
    ];
  });
}
