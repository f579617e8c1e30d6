// Sharing files in a room, as Conversations, Dino and Converse.js do: the file is uploaded to our
// own server (XEP-0363, features/upload.ts) and the room gets a groupchat message whose body is the
// link, carried as XEP-0066 out-of-band data too, so that every client shows it as a file. While
// it uploads, the room shows it with its progress and a Cancel button; the message itself appears
// in the log when the room reflects it (XEP-0045 §7.4), like any other.
import type { Agent } from 'stanza';
import { Store } from '../state/store.js';
import { startUpload, uploadDiscovery, type Upload, type UploadService } from '../features/upload.js';
import type { SharedFile } from '../features/shared-file.js';

export interface RoomUpload {
  id: string;
  file: SharedFile;
  /** 'sent': shared, until the room reflects the message (then it is in the log). */
  upload: { progress: number; state: 'uploading' | 'failed' | 'sent' };
}

/** Uploads under way (or just failed) in each room, by room JID. */
export type RoomUploads = Record<string, RoomUpload[]>;

export class RoomFiles {
  readonly state = new Store<RoomUploads>({});
  readonly #pending = new Map<string, Upload>();
  #client?: Agent;
  #discover?: () => Promise<UploadService | undefined>;

  attach(client: Agent): void {
    this.#client = client;
    this.#discover = uploadDiscovery(client);
    this.state.set(() => ({}));
  }

  #patch(room: string, id: string, fn: (u: RoomUpload) => RoomUpload | undefined): void {
    this.state.set((s) => {
      const list = (s[room] ?? []).map((u) => (u.id === id ? fn(u) : u));
      return { ...s, [room]: list.filter((u): u is RoomUpload => u !== undefined) };
    });
  }

  /** Uploads and shares one file; rejects with a sentence when it cannot (nothing is sent then). */
  async send(room: string, file: File): Promise<void> {
    const client = this.#client;
    if (!client || !this.#discover) throw new Error('Not signed in.');
    const id = client.nextId();
    const up = await startUpload(client, await this.#discover(), file, (progress) => this.#patch(room, id, (u) => ({ ...u, upload: { progress, state: 'uploading' } })));
    this.#pending.set(id, up);
    this.state.set((s) => ({ ...s, [room]: [...(s[room] ?? []), { id, file: up.file, upload: { progress: 0, state: 'uploading' } }] }));
    try {
      await up.done;
    } catch (err) {
      const cancelled = (err as Error).message === 'cancelled';
      this.#pending.delete(id);
      // a cancelled one goes away; a failed one stays, saying so, until the next upload in the room
      this.#patch(room, id, (u) => (cancelled ? undefined : { ...u, upload: { ...u.upload, state: 'failed' } }));
      if (!cancelled) throw err;
      return;
    }
    this.#pending.delete(id);
    const url = up.file.url;
    if (this.#client !== client) return;
    client.sendMessage({ to: room, type: 'groupchat', id, body: url, links: [{ url }] });
    this.#patch(room, id, (u) => ({ ...u, upload: { progress: 1, state: 'sent' } }));
  }

  /** The room reflected one of our messages (XEP-0045 §7.4): a shared file is in its log now. */
  reflected(room: string, id: string | undefined): void {
    if (id && this.state.value[room]?.some((u) => u.id === id)) this.#patch(room, id, () => undefined);
  }

  cancel(id: string): void {
    this.#pending.get(id)?.cancel();
  }

  /** Forgets the failed uploads of a room (shown until then). */
  dismissFailed(room: string): void {
    this.state.set((s) => ({ ...s, [room]: (s[room] ?? []).filter((u) => u.upload.state !== 'failed') }));
  }
}
