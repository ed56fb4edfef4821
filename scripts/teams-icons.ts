/**
 * Draws the Teams app icons, manifests/teams/color.png and manifests/teams/outline.png,
 * with no image library: a five-pointed star, rasterized here and written as PNG with
 * node's zlib. Run it again after changing the drawing: `npx tsx scripts/teams-icons.ts`.
 *
 * - color.png: 192×192 RGB (so opaque everywhere), a white star on Plaudit blue, its
 *   edges smoothed by 4×4 supersampling.
 * - outline.png: 32×32 RGBA, the star in opaque white on a fully transparent background,
 *   with no partly transparent pixels: Teams accepts only white and transparent there.
 *
 * Every row is written with PNG filter type 0 (none); test/unit/teams-manifest.test.ts
 * relies on that to decode the files.
 */
import { writeFile } from 'node:fs/promises';
import { crc32, deflateSync } from 'node:zlib';

const OUT_DIR = new URL('../manifests/teams/', import.meta.url);

/** Plaudit blue, the accentColor of the manifest and the Slack app's background. */
const BLUE = [0x3a, 0x5b, 0xd9] as const;
const WHITE = [0xff, 0xff, 0xff] as const;

type Point = readonly [number, number];

/**
 * The corners of a five-pointed star pointing up, its outer radius `radius`, centred in a
 * `size`×`size` square (the star's bounding box, not its centre, sits in the middle).
 */
function star(size: number, radius: number): Point[] {
  const inner = radius * 0.45;
  // The top point reaches `radius` above the centre, the lower points only cos 36° below.
  const cy = size / 2 + (radius * (1 - Math.cos(Math.PI / 5))) / 2;
  const cx = size / 2;
  const corners: Point[] = [];
  for (let i = 0; i < 10; i += 1) {
    const r = i % 2 === 0 ? radius : inner;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    corners.push([cx + r * Math.cos(angle), cy + r * Math.sin(angle)]);
  }
  return corners;
}

/** Whether (x, y) lies inside the polygon (even-odd rule). */
function inside(polygon: readonly Point[], x: number, y: number): boolean {
  let result = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i, i += 1) {
    const [xi, yi] = polygon[i] as Point;
    const [xj, yj] = polygon[j] as Point;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) result = !result;
  }
  return result;
}

/** The share of pixel (px, py) the polygon covers, sampled on an n×n grid. */
function coverage(polygon: readonly Point[], px: number, py: number, n = 4): number {
  let hits = 0;
  for (let sy = 0; sy < n; sy += 1) {
    for (let sx = 0; sx < n; sx += 1) {
      if (inside(polygon, px + (sx + 0.5) / n, py + (sy + 0.5) / n)) hits += 1;
    }
  }
  return hits / (n * n);
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A PNG of 8-bit RGB (3 channels) or RGBA (4) pixels, row by row, each row filter type 0. */
function encodePng(width: number, height: number, channels: 3 | 4, pixels: Uint8Array): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 4 ? 6 : 2; // colour type: truecolour with alpha, or truecolour
  header[10] = 0; // compression: deflate
  header[11] = 0; // filter method 0
  header[12] = 0; // no interlace
  const stride = width * channels;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y += 1) {
    raw[y * (stride + 1)] = 0; // filter type 0: the row as is
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

function colorIcon(): Buffer {
  const size = 192;
  const shape = star(size, 70);
  const pixels = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const share = coverage(shape, x, y);
      for (let c = 0; c < 3; c += 1) {
        const blended = (BLUE[c] as number) * (1 - share) + (WHITE[c] as number) * share;
        pixels[(y * size + x) * 3 + c] = Math.round(blended);
      }
    }
  }
  return encodePng(size, size, 3, pixels);
}

function outlineIcon(): Buffer {
  const size = 32;
  const shape = star(size, 14);
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      const offset = (y * size + x) * 4;
      // Transparent pixels are white too, so no dark fringe appears when Teams scales it.
      pixels.set(WHITE, offset);
      pixels[offset + 3] = coverage(shape, x, y) >= 0.5 ? 0xff : 0;
    }
  }
  return encodePng(size, size, 4, pixels);
}

await writeFile(new URL('color.png', OUT_DIR), colorIcon());
await writeFile(new URL('outline.png', OUT_DIR), outlineIcon());
console.log(`wrote ${new URL('color.png', OUT_DIR).pathname} and outline.png`);
