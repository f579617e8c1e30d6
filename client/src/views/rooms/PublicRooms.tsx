// "Public rooms": the rooms our server's room services list (room-directory.ts), with their
// occupant counts, joined with one click.
import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import type { PublicRoom } from '../../rooms/room-directory.js';

export function PublicRooms({ app }: { app: AppWithRooms }): JSX.Element {
  const [list, setList] = useState<Array<{ service: string; rooms: PublicRoom[] }> | undefined>();
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const browse = async () => {
    setLoading(true);
    setError('');
    try {
      setList(await app.rooms.browse());
    } catch {
      setError('Your server did not list its rooms.');
    } finally {
      setLoading(false);
    }
  };
  const rooms = list?.flatMap((s) => s.rooms) ?? [];
  return (
    <section class="room-list-items public-rooms" aria-label="Public rooms">
      <div class="section-row">
        <h3 class="grow">Public rooms</h3>
        <button type="button" class="small" disabled={loading} onClick={() => void browse()}>
          {loading ? 'Looking…' : list ? 'Refresh' : 'Browse public rooms'}
        </button>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {list && rooms.length === 0 && <p class="muted hint">{list.length ? 'No public rooms yet.' : 'Your server has no room service.'}</p>}
      {rooms.length > 0 && (
        <ul class="room-list-items">
          {rooms.map((r) => (
            <li key={r.jid}>
              <button type="button" class="room-entry" aria-label={`Join ${r.name}${r.occupants !== undefined ? `, ${r.occupants} ${r.occupants === 1 ? 'person' : 'people'}` : ''}`}
                onClick={() => app.rooms.join(r.jid, '')}>
                <span class="room-avatar" aria-hidden="true">#</span>
                <span class="grow">
                  <strong>{r.name}</strong>
                  <small>{[r.occupants !== undefined ? `${r.occupants} ${r.occupants === 1 ? 'person' : 'people'}` : '', r.description || r.subject || r.jid].filter(Boolean).join(' · ')}</small>
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
