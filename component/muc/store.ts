// Persistent rooms: a JSON file in the data directory, rewritten atomically on change.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistedRoom } from './room.js';

export interface RoomStore {
  load(): PersistedRoom[];
  save(rooms: PersistedRoom[]): void;
}

export function fileStore(dataDir: string): RoomStore {
  const file = join(dataDir, 'rooms.json');
  return {
    load() {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { rooms?: PersistedRoom[] };
        return parsed.rooms ?? [];
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw e;
      }
    },
    save(rooms) {
      mkdirSync(dataDir, { recursive: true });
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ version: 1, rooms }, null, 1));
      renameSync(tmp, file);
    },
  };
}

export const memoryStore = (): RoomStore => {
  let saved: PersistedRoom[] = [];
  return { load: () => saved, save: (r) => { saved = r; } };
};
