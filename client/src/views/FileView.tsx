import type { JSX } from 'preact';
import type { ChatMessage } from '../features/chat.js';
import { pageUrl } from '../features/own-links.js';
import { formatBytes, isImage } from '../features/shared-file.js';
import { Icon } from './icons.js';

/** A shared file in a message: an image inline (click opens it), anything else a download card. */
export function FileView({ m, onCancel }: { m: Pick<ChatMessage, 'file' | 'upload'>; onCancel?: () => void }): JSX.Element | null {
  const f = m.file;
  if (!f) return null;
  const up = m.upload;
  if (up) {
    return (
      <span class="file-card">
        <Icon name="file" />
        <span class="grow">
          <strong>{f.name}</strong>
          <small>{up.state === 'uploading' ? `Uploading… ${Math.round(up.progress * 100)} %` : up.state === 'cancelled' ? 'Upload cancelled' : 'Upload failed'}</small>
          {up.state === 'uploading' && <progress max={1} value={up.progress} aria-label={`Uploading ${f.name}`} />}
        </span>
        {up.state === 'uploading' && onCancel && <button type="button" class="small" aria-label={`Cancel ${f.name}`} onClick={onCancel}>Cancel</button>}
      </span>
    );
  }
  // the file as this page can load it (another port of its own server: own-links.ts)
  const href = pageUrl(f.url);
  if (isImage(f)) {
    return (
      <a class="file-image" href={href} target="_blank" rel="noopener noreferrer">
        <img src={href} alt={f.name} loading="lazy" decoding="async" />
      </a>
    );
  }
  return (
    <a class="file-card" href={href} target="_blank" rel="noopener noreferrer" download={f.name}>
      <Icon name="file" />
      <span class="grow">
        <strong>{f.name}</strong>
        <small>{f.size !== undefined ? `${formatBytes(f.size)} · ` : ''}Download</small>
      </span>
    </a>
  );
}
