// A chosen picture made into an avatar: scaled in a canvas to at most 192 px on its longer side
// (XEP-0084 §6.1 suggests 32–96 px shown, 192 px covers high-density screens), as PNG, or as
// JPEG when the PNG is too big to also fit in the account's vCard (XEP-0398 mirrors it there;
// Carillon's vCards hold 64 KiB, base64 included).
import type { AvatarImage } from './avatars.js';

export const AVATAR_SIDE = 192;
/** Raw bytes that still fit a 64 KiB vCard once base64-encoded, with room for the XML around them. */
export const AVATAR_MAX_BYTES = 44 * 1024;

function blobOf(canvas: HTMLCanvasElement, type: string, quality?: number): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('This picture cannot be encoded.'))), type, quality));
}

export async function scaleAvatar(file: Blob, side = AVATAR_SIDE): Promise<AvatarImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new Error('This file is not a picture the browser can read.');
  }
  const scale = Math.min(1, side / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('This browser cannot draw the picture.');
  g.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  let blob = await blobOf(canvas, 'image/png');
  for (const q of [0.9, 0.8, 0.65, 0.5]) {
    if (blob.size <= AVATAR_MAX_BYTES) break;
    blob = await blobOf(canvas, 'image/jpeg', q);
  }
  if (blob.size > AVATAR_MAX_BYTES) throw new Error('This picture stays too large once scaled. Choose a simpler one.');
  return { bytes: new Uint8Array(await blob.arrayBuffer()), type: blob.type, width, height };
}
