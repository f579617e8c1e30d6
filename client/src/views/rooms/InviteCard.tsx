// An invitation to a room (XEP-0045 §7.8, XEP-0249) or to a room's call (XEP-0482), as a card that
// can be acted on: in the rooms list, and as a notice over whatever view is open, so an invitation
// is never only a badge on the Rooms button.
import type { JSX } from 'preact';
import { localOf } from '../../protocol/jid.js';
import { useStore } from '../../state/use-store.js';
import type { AppWithRooms } from '../../rooms/app-with-rooms.js';
import type { PendingInvite } from '../../rooms/room-state.js';

const roomName = (jid: string) => localOf(jid) || jid;

export function InviteCard({ app, inv, onAccept }: { app: AppWithRooms; inv: PendingInvite; onAccept?: () => void }): JSX.Element {
  return (
    <div class="invite-card">
      <p><strong>{localOf(inv.from) || inv.from}</strong> invites you to {inv.call ? 'a call in ' : ''}<strong>{roomName(inv.room)}</strong>
        {inv.reason ? `: “${inv.reason}”` : ''}<small class="muted">{inv.room}</small></p>
      <button type="button" class="small primary" onClick={() => { app.rooms.acceptInvite(inv); onAccept?.(); }}>
        {inv.call ? `Join call in ${roomName(inv.room)}` : `Join ${roomName(inv.room)}`}
      </button>
      <button type="button" class="small" onClick={() => app.rooms.dismissInvite(inv.room)}>Dismiss</button>
    </div>
  );
}

/** The newest invitation over the open view while the rooms list is closed. */
export function InvitationNotice({ app }: { app: AppWithRooms }): JSX.Element | null {
  const shown = useStore(app.rooms.shown);
  const state = useStore(app.rooms.state);
  const inv = state.invites[state.invites.length - 1];
  if (shown || !inv) return null;
  const more = state.invites.length - 1;
  return (
    <section class="invite-notice" aria-label="Invitation">
      <InviteCard app={app} inv={inv} onAccept={() => app.rooms.show(true)} />
      {more > 0 && <button type="button" class="link-button small" onClick={() => app.rooms.show(true)}>{more} more in Rooms</button>}
    </section>
  );
}
