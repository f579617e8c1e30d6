// Files shared in messages: a link that is the whole body and is also XEP-0066 out-of-band data,
// as Conversations, Dino, Gajim and Monal send what they upload (XEP-0363). Pure helpers, used by
// chat.ts (receiving) and files.ts (sending).
import type { Message } from 'stanza/protocol/index.js';

export interface SharedFile {
  url: string;
  name: string;
  size?: number;
  type?: string;
}

const IMAGE = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

export function isImage(f: SharedFile): boolean {
  return f.type ? f.type.startsWith('image/') && f.type !== 'image/svg+xml' : IMAGE.test(new URL(f.url, 'https://x.invalid').pathname);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} kB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}

/** A shared file in a received message: an http(s) link in XEP-0066 that is the whole body (as Conversations sends it). */
export function fileOf(msg: Pick<Message, 'body' | 'links'>): SharedFile | undefined {
  const body = msg.body?.trim();
  const link = msg.links?.find((l) => l.url && l.url === body);
  if (!link?.url || !/^https?:\/\//i.test(link.url)) return undefined;
  let name = 'file';
  try {
    name = decodeURIComponent(new URL(link.url).pathname.split('/').pop() || 'file');
  } catch {
    /* keep the default name */
  }
  return { url: link.url, name };
}

export function tooLargeMessage(size: number, max: number): string {
  return `This file is ${formatBytes(size)}; your server accepts files up to ${formatBytes(max)}.`;
}

