// Sending files: XEP-0363 HTTP File Upload (a slot from the server's upload service, an HTTP PUT
// with progress that can be cancelled), then a message whose body is the link and which carries
// it as XEP-0066 out-of-band data — how Conversations, Dino, Gajim and Monal send files, so they
// show it inline too. The server's size limit (XEP-0363 §4 max-file-size) is told before uploading.
import type { Agent } from 'stanza';
import type { Store } from '../state/store.js';
import { addMessage, updateOwnMessage, type ChatMessage, type ChatState } from './chat.js';
import { tooLargeMessage, type SharedFile } from './shared-file.js';

export interface FileActions {
  /** Uploads and sends; resolves when sent, rejects with a sentence when it cannot. */
  send(peer: string, file: File): Promise<void>;
  cancel(peer: string, id: string): void;
  /** The server's limit, once known (undefined: no upload service). */
  limit(): Promise<number | undefined>;
}

export function bindFiles(client: Agent, store: Store<ChatState>): FileActions {
  let service: Promise<{ jid: string; maxSize?: number } | undefined> | undefined;
  const discover = () => (service ??= client.getUploadService().catch(() => undefined));
  client.on('session:started', () => {
    service = undefined;
  });
  const uploads = new Map<string, XMLHttpRequest>();
  const patch = (peer: string, id: string, fn: (m: ChatMessage) => ChatMessage) => store.set((s) => updateOwnMessage(s, peer, id, fn));

  return {
    async limit() {
      return (await discover())?.maxSize;
    },
    async send(peer, file) {
      const svc = await discover();
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
      const id = client.nextId();
      const shared: SharedFile = { url: slot.download, name: file.name, size: file.size, ...(file.type ? { type: file.type } : {}) };
      store.set((s) => addMessage(s, peer, { id, dir: 'out', body: slot.download, at: Date.now(), file: shared, upload: { progress: 0, state: 'uploading' } }, true));
      const xhr = new XMLHttpRequest();
      uploads.set(id, xhr);
      await new Promise<void>((resolve, reject) => {
        xhr.open('PUT', slot.upload.url);
        for (const h of slot.upload.headers ?? []) xhr.setRequestHeader(h.name, h.value);
        if (file.type) xhr.setRequestHeader('Content-Type', file.type);
        xhr.upload.onprogress = (e) => {
          if (e.lengthComputable) patch(peer, id, (m) => ({ ...m, upload: { progress: e.loaded / e.total, state: 'uploading' } }));
        };
        xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`The upload failed (HTTP ${xhr.status}).`)));
        xhr.onerror = () => reject(new Error('The upload failed: the connection broke.'));
        xhr.onabort = () => reject(new Error('cancelled'));
        xhr.send(file);
      }).catch((err: Error) => {
        uploads.delete(id);
        patch(peer, id, (m) => ({ ...m, upload: { progress: m.upload?.progress ?? 0, state: err.message === 'cancelled' ? 'cancelled' : 'failed' } }));
        if (err.message !== 'cancelled') throw err;
      });
      if (!uploads.delete(id)) return; // cancelled
      client.sendMessage({ to: peer, type: 'chat', id, body: slot.download, links: [{ url: slot.download }], receipt: { type: 'request' } });
      patch(peer, id, (m) => {
        const { upload: _done, ...rest } = m;
        return { ...rest, status: 'sent' };
      });
    },
    cancel(_peer, id) {
      uploads.get(id)?.abort();
    },
  };
}
