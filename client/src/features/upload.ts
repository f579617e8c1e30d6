// XEP-0363 HTTP File Upload, the part shared by conversations (files.ts) and rooms
// (rooms/room-files.ts): find the server's upload service and its size limit (§4 max-file-size),
// ask for a slot (§5), PUT the file with progress (§6), cancellable. The message that shares the
// link is the caller's (a chat or a groupchat message).
import type { Agent } from 'stanza';
import { pageUrl } from './own-links.js';
import { tooLargeMessage, type SharedFile } from './shared-file.js';

export interface UploadService { jid: string; maxSize?: number }

/** The server's upload service, looked up once per session (undefined: it has none). */
export function uploadDiscovery(client: Agent): () => Promise<UploadService | undefined> {
  let service: Promise<UploadService | undefined> | undefined;
  client.on('session:started', () => { service = undefined; });
  return () => (service ??= client.getUploadService().catch(() => undefined));
}

export interface Upload {
  /** What the message will share. */
  file: SharedFile;
  /** Resolves once the file is stored; rejects with a sentence, or with 'cancelled'. */
  done: Promise<void>;
  cancel(): void;
}

/**
 * Gets a slot and starts the PUT. Refused before anything is sent when the file is over the
 * service's limit; a slot refused for its size (§5, file-too-large) says the limit too.
 */
export async function startUpload(client: Agent, svc: UploadService | undefined, file: File, onProgress: (fraction: number) => void): Promise<Upload> {
  if (!svc) throw new Error('Your server does not offer file uploads.');
  if (svc.maxSize !== undefined && file.size > svc.maxSize) throw new Error(tooLargeMessage(file.size, svc.maxSize));
  let slot;
  try {
    slot = await client.getUploadSlot(svc.jid, { name: file.name, size: file.size, ...(file.type ? { mediaType: file.type } : {}) });
  } catch (err) {
    const e = (err as { error?: { condition?: string; text?: string; httpUploadMaxFileSize?: number } }).error;
    if (e?.httpUploadMaxFileSize) throw new Error(tooLargeMessage(file.size, e.httpUploadMaxFileSize));
    throw new Error(e?.text ? `The upload was refused: ${e.text}.` : 'Your server refused the upload.');
  }
  const xhr = new XMLHttpRequest();
  const done = new Promise<void>((resolve, reject) => {
    // through this page's own origin when the slot names another of its server's (own-links.ts)
    xhr.open('PUT', pageUrl(slot.upload.url));
    for (const h of slot.upload.headers ?? []) xhr.setRequestHeader(h.name, h.value);
    if (file.type) xhr.setRequestHeader('Content-Type', file.type);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`The upload failed (HTTP ${xhr.status}).`)));
    xhr.onerror = () => reject(new Error('The upload failed: the connection broke.'));
    xhr.onabort = () => reject(new Error('cancelled'));
    xhr.send(file);
  });
  return {
    file: { url: slot.download, name: file.name, size: file.size, ...(file.type ? { type: file.type } : {}) },
    done,
    cancel: () => xhr.abort(),
  };
}
