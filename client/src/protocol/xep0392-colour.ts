// XEP-0392 (Consistent Color Generation, v1.0): the colour of a name, the same in Dino, Gajim,
// Conversations and here. §5.1: the angle is the first two bytes of SHA-1(UTF-8 input), read
// little-endian, over 65536 turns; §5.2: that hue in HSLuv with saturation 100 and lightness 50.
import { sha1 } from './sha1.js';

export function colourAngle(text: string): number {
  const h = sha1(new TextEncoder().encode(text));
  return ((h[0]! | (h[1]! << 8)) / 65536) * 360;
}

// HSLuv (hsluv.org, revision 4): CIE LCh(uv) with the chroma scaled to the sRGB gamut.
const M = [
  [3.240969941904521, -1.537383177570093, -0.498610760293],
  [-0.96924363628087, 1.87596750150772, 0.041555057407175],
  [0.055630079696993, -0.20397695888897, 1.056971514242878],
] as const;
const REF_U = 0.19783000664283, REF_V = 0.46831999493879;
const KAPPA = 903.2962962, EPSILON = 0.0088564516;

function maxChroma(l: number, hDeg: number): number {
  const hrad = (hDeg / 360) * 2 * Math.PI;
  const sub1 = (l + 16) ** 3 / 1560896;
  const sub2 = sub1 > EPSILON ? sub1 : l / KAPPA;
  let min = Infinity;
  for (const [m1, m2, m3] of M) {
    for (const t of [0, 1]) {
      const top1 = (284517 * m1 - 94839 * m3) * sub2;
      const top2 = (838422 * m3 + 769860 * m2 + 731718 * m1) * l * sub2 - 769860 * t * l;
      const bottom = (632260 * m3 - 126452 * m2) * sub2 + 126452 * t;
      const slope = top1 / bottom, intercept = top2 / bottom;
      const len = intercept / (Math.sin(hrad) - slope * Math.cos(hrad));
      if (len >= 0) min = Math.min(min, len);
    }
  }
  return min;
}

function fromLinear(c: number): number {
  return c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055;
}

/** HSLuv (h 0–360, s and l 0–100) to sRGB components 0–1. */
export function hsluvToRgb(h: number, s: number, l: number): [number, number, number] {
  if (l > 99.9999999) return [1, 1, 1];
  if (l < 0.00000001) return [0, 0, 0];
  const c = (maxChroma(l, h) / 100) * s;
  const hrad = (h / 360) * 2 * Math.PI;
  const u = Math.cos(hrad) * c, v = Math.sin(hrad) * c;
  const varU = u / (13 * l) + REF_U, varV = v / (13 * l) + REF_V;
  const y = l <= 8 ? l / KAPPA : ((l + 16) / 116) ** 3;
  const x = 0 - (9 * y * varU) / ((varU - 4) * varV - varU * varV);
  const z = (9 * y - 15 * varV * y - varV * x) / (3 * varV);
  const rgb = M.map(([a, b, cc]) => fromLinear(a * x + b * y + cc * z));
  return rgb.map((k) => Math.min(1, Math.max(0, k))) as [number, number, number];
}

/** The XEP-0392 colour of `text` as a CSS colour. */
export function consistentColour(text: string): string {
  const [r, g, b] = hsluvToRgb(colourAngle(text), 100, 50);
  const hex = (k: number) => Math.round(k * 255).toString(16).padStart(2, '0');
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}
