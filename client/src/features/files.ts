// Sending files in a conversation: XEP-0363 HTTP File Upload (upload.ts: a slot from the server's
// upload service, an HTTP PUT with progress that can be cancelled), then a message whose body is
// the link and which carries it as XEP-0066 out-of-band data — how Conversations, Dino, Gajim and
// Monal send files, so they show it inline too. The server's size limit (XEP-0363 §4
// max-file-size) is told before uploading.
import type { Agent } from 'stanza';
import type { Store } from '../state/store.js';
import { addMessage, updateOwnMessage, type ChatMessage, type ChatState } from './chat.js';
import { startUpload, uploadDiscovery, type Upload } from './upload.js';

export interface FileActions {
  /** Uploads and sends; resolves when sent, rejects with a sentence when it cannot. */
  send(peer: string, file: File): Promise<void>;
  cancel(peer: string, id: string): void;
  /** The server's limit, once known (undefined: no upload service). */
  limit(): Promise<number | undefined>;
}

export function bindFiles(client: Agent, store: Store<ChatState>): FileActions {
  const discover = uploadDiscovery(client);
  const uploads = new Map<string, Upload>();
  const patch = (peer: string, id: string, fn: (m: ChatMessage) => ChatMessage) => store.set((s) => updateOwnMessage(s, peer, id, fn));

  return {
    async limit() {
      return (await discover())?.maxSize;
    },
    async send(peer, file) {
      const id = client.nextId();
      const up = await startUpload(client, await discover(), file, (progress) => patch(peer, id, (m) => ({ ...m, upload: { progress, state: 'uploading' } })));
      const url = up.file.url;
      uploads.set(id, up);
      store.set((s) => addMessage(s, peer, { id, dir: 'out', body: url, at: Date.now(), file: up.file, upload: { progress: 0, state: 'uploading' } }, true));
      try {
        await up.done;
      } catch (err) {
        uploads.delete(id);
        const cancelled = (err as Error).message === 'cancelled';
        patch(peer, id, (m) => ({ ...m, upload: { progress: m.upload?.progress ?? 0, state: cancelled ? 'cancelled' : 'failed' } }));
        if (!cancelled) throw err;
        return;
      }
      uploads.delete(id);
      client.sendMessage({ to: peer, type: 'chat', id, body: url, links: [{ url }], receipt: { type: 'request' } });
      patch(peer, id, (m) => {
        const { upload: _done, ...rest } = m;
        return { ...rest, status: 'sent' };
      });
    },
    cancel(_peer, id) {
      uploads.get(id)?.cancel();
    },
  };
}
