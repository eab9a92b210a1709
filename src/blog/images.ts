/**
 * Blog images: the type is decided by the file's first bytes (never by its name or the browser's claim),
 * and files are stored under a random name, so an upload can neither be HTML served as an image nor
 * choose where it lands.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

export const IMAGE_TYPES = {
  png: "image/png",
  jpg: "image/jpeg",
  webp: "image/webp",
} as const;
export type ImageExt = keyof typeof IMAGE_TYPES;

/** The image type from the magic bytes, or null when the content is not a JPEG, PNG or WebP. */
export function detectImageType(data: Uint8Array): ImageExt | null {
  const starts = (bytes: number[], offset = 0) => bytes.every((b, i) => data[offset + i] === b);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "png";
  if (starts([0xff, 0xd8, 0xff])) return "jpg";
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  return null;
}

/** A stored name is 32 hex characters and one of our extensions; anything else is not ours to serve. */
const STORED_NAME = /^[a-f0-9]{32}\.(png|jpg|webp)$/;

export function contentTypeOf(name: string): string | null {
  const match = STORED_NAME.exec(name);
  return match ? IMAGE_TYPES[match[1] as ImageExt] : null;
}

export interface ImageStore {
  /** Stores the bytes under a new random name and returns the name. */
  save(data: Uint8Array, ext: ImageExt): Promise<string>;
  /** The stored file and its size, or null when there is none by that name. */
  open(name: string): Promise<{ stream: ReadStream; size: number; contentType: string } | null>;
  read(name: string): Promise<Buffer | null>;
  remove(name: string): Promise<void>;
}

export class FileImageStore implements ImageStore {
  constructor(readonly dir: string) {}

  async save(data: Uint8Array, ext: ImageExt): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    const name = `${randomBytes(16).toString("hex")}.${ext}`;
    await writeFile(path.join(this.dir, name), data, { flag: "wx", mode: 0o644 });
    return name;
  }

  async open(name: string) {
    const contentType = contentTypeOf(name);
    if (!contentType) return null;
    const file = path.join(this.dir, name);
    try {
      const info = await stat(file);
      return { stream: createReadStream(file), size: info.size, contentType };
    } catch {
      return null;
    }
  }

  async read(name: string): Promise<Buffer | null> {
    const opened = await this.open(name);
    if (!opened) return null;
    const chunks: Buffer[] = [];
    for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async remove(name: string): Promise<void> {
    if (contentTypeOf(name)) await rm(path.join(this.dir, name), { force: true });
  }
}
