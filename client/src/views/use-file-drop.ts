// Sending files from a conversation or a room (Chat.tsx, rooms/RoomLog.tsx): the files attached or
// pasted in the composer, or dropped on the target's element (outlined while dragged over), each
// sent on its own; the last refusal is shown (a sentence from features/upload.ts).
import { useState } from 'preact/hooks';

export interface FileDrop {
  error: string;
  clearError(): void;
  dragging: boolean;
  sendFiles(files: File[]): void;
  /** The drop target's handlers, spread onto its element. */
  dropTarget: { onDragOver(e: DragEvent): void; onDragLeave(): void; onDrop(e: DragEvent): void };
}

/** `enabled` false: nothing is taken (a room not joined); `before` runs before each batch is sent. */
export function useFileDrop(send: (file: File) => Promise<void>, opts: { enabled?: boolean; before?: () => void } = {}): FileDrop {
  const [error, setError] = useState('');
  const [dragging, setDragging] = useState(false);
  const enabled = opts.enabled ?? true;
  const sendFiles = (files: File[]) => {
    setError('');
    opts.before?.();
    for (const f of files) send(f).catch((err: Error) => setError(err.message));
  };
  return {
    error, dragging, sendFiles,
    clearError: () => setError(''),
    dropTarget: {
      onDragOver: (e) => { if (enabled && e.dataTransfer?.types.includes('Files')) { e.preventDefault(); setDragging(true); } },
      onDragLeave: () => setDragging(false),
      onDrop: (e) => {
        const files = Array.from(e.dataTransfer?.files ?? []);
        setDragging(false);
        if (enabled && files.length) { e.preventDefault(); sendFiles(files); }
      },
    },
  };
}
