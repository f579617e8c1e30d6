import type { JSX } from 'preact';
import { linkify } from '../features/linkify.js';

/** A message's text with its web and XMPP addresses as links that open in a new tab, safely. */
export function MessageBody({ body }: { body: string }): JSX.Element {
  return (
    <span class="body">
      {linkify(body).map((s, i) =>
        'href' in s ? (
          <a key={i} href={s.href} target="_blank" rel="noopener noreferrer nofollow">{s.text}</a>
        ) : (
          s.text
        ),
      )}
    </span>
  );
}
