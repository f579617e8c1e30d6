// Styles of the rooms view and the group call, on the client's own custom properties
// (client/public/style.css), added to the document once when the rooms UI first renders.
// Mobile first (360 px); the rooms view covers the conversation pane from 760 px (the contact
// list stays), and shows the room list beside the open room from 1100 px.
const CSS = `
.rooms-toggle { display: inline-flex; align-items: center; gap: .35rem; position: relative; }
.rooms-toggle[aria-pressed="true"] { background: var(--accent-soft); border-color: var(--accent); }
.rooms-toggle .badge { position: absolute; top: -8px; right: -8px; min-width: 18px; height: 18px; font-size: .65rem; }
.rooms-view { position: fixed; z-index: 5; inset: 0; display: flex; flex-direction: column; background: var(--panel); }
@media (min-width: 760px) { .rooms-view { left: 340px; border-left: 1px solid var(--line); background: var(--bg); } }
.rooms-head { display: flex; align-items: center; gap: .6rem; padding: .6rem .75rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.rooms-head h2 { font-size: 1.1rem; }
.rooms-body { flex: 1; min-height: 0; display: flex; }
.rooms-list { flex: 1; min-width: 0; overflow-y: auto; padding: 1rem; display: flex; flex-direction: column; gap: 1rem; }
.rooms-list > * { width: 100%; max-width: 560px; margin-inline: auto; }
.rooms-view.has-room .rooms-list { display: none; }
.room { flex: 1; min-width: 0; min-height: 0; display: none; flex-direction: column; background: var(--panel); }
.rooms-view.has-room .room { display: flex; }
@media (min-width: 1100px) {
  .rooms-list, .rooms-view.has-room .rooms-list { display: flex; flex: none; width: 300px; border-right: 1px solid var(--line); }
  .room-back { display: none !important; }
  .rooms-view:not(.has-room) .rooms-empty { display: grid; }
}
.rooms-empty { display: none; flex: 1; place-items: center; padding: 2rem; text-align: center; }
.join-room { display: grid; gap: .7rem; padding: 1rem; border: 1px solid var(--line); border-radius: var(--radius); background: var(--panel); box-shadow: var(--shadow); }
.join-room h3, .rooms-list h3 { margin: 0; font-size: .8rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.join-room .hint { margin: -.35rem 0 0; font-size: .8rem; color: var(--muted); }
.room-entry { width: 100%; display: flex; align-items: center; gap: .75rem; text-align: left; padding: .6rem .75rem; border-radius: 12px; background: var(--panel); }
.room-entry.active { background: var(--accent-soft); border-color: var(--accent); }
.room-entry .grow small { color: var(--muted); }
.room-list-items { display: grid; gap: .4rem; }
.room-avatar { flex: none; display: inline-grid; place-items: center; width: 40px; height: 40px; border-radius: 12px; background: var(--accent-soft); color: var(--accent); font-weight: 700; }
.invite-card { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; padding: .7rem .8rem; border-radius: 12px; background: var(--accent-soft); }
.invite-card p { flex: 1 1 12rem; margin: 0; font-size: .9rem; }
.room-head { display: flex; align-items: center; gap: .6rem; padding: .6rem .75rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.room-head .actions { display: flex; gap: .4rem; align-items: center; }
.room-head button.primary { display: inline-flex; align-items: center; gap: .4rem; }
.room-status { padding: .5rem 1rem; font-size: .9rem; border-bottom: 1px solid var(--line); }
.room-status.error { background: #ffe3e3; color: #8a1c1c; margin: 0; }
.room-retry { display: flex; flex-wrap: wrap; align-items: flex-end; gap: .5rem; padding: 1rem; max-width: 560px; }
.room-retry label { flex: 1 1 12rem; }
.room-main { flex: 1; min-height: 0; display: flex; flex-direction: column; }
@media (min-width: 1100px) { .room-main { flex-direction: row; } }
.room-main .messages { flex: 1; min-height: 0; }
.room-chat { flex: 1; min-width: 0; min-height: 0; display: flex; flex-direction: column; }
.occupants { order: -1; display: flex; align-items: center; gap: .4rem; overflow-x: auto; padding: .5rem .75rem; border-bottom: 1px solid var(--line); background: var(--panel); }
@media (min-width: 1100px) { .occupants { order: 0; align-items: stretch; flex-direction: column; width: 220px; overflow-y: auto; border-bottom: 0; border-left: 1px solid var(--line); padding: .75rem; } }
.occupants h3 { margin: 0; font-size: .75rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); align-self: center; white-space: nowrap; }
@media (min-width: 1100px) { .occupants h3 { align-self: flex-start; } }
.occupant { flex: none; display: flex; align-items: center; gap: .45rem; padding: .25rem .6rem .25rem .25rem; border-radius: 999px; background: var(--bg); font-size: .85rem; }
.occupant .avatar { width: 28px; height: 28px; font-size: .7rem; }
.occupant .avatar .dot { width: 10px; height: 10px; }
.occupant .in-call { color: var(--ok); display: inline-flex; }
.occupant .role { color: var(--muted); font-size: .75rem; }
.bubble .who { display: block; font-size: .75rem; font-weight: 700; margin-bottom: .1rem; opacity: .85; }
.bubble.history { opacity: .85; }
.subject { font-size: .8rem; color: var(--muted); }

.group-call { padding: max(.75rem, env(safe-area-inset-top)) .75rem max(.75rem, env(safe-area-inset-bottom)); justify-content: flex-start; gap: .75rem; background: #0b0f19; }
.group-top { width: 100%; display: flex; align-items: center; gap: .6rem; }
.group-top h2 { font-size: 1rem; }
.group-top small { opacity: .75; }
.tiles { flex: 1; min-height: 0; width: 100%; display: grid; gap: .5rem; grid-template-columns: repeat(var(--cols-narrow), minmax(0, 1fr)); grid-auto-rows: minmax(0, 1fr); }
@media (min-width: 700px) { .tiles { grid-template-columns: repeat(var(--cols-wide), minmax(0, 1fr)); } }
.tile { position: relative; margin: 0; min-height: 0; overflow: hidden; border-radius: 14px; background: #1b2233; display: grid; place-items: center; }
.tile video { position: absolute; inset: 0; width: 100%; height: 100%; object-fit: cover; background: #1b2233; }
.tile video.mirror { transform: scaleX(-1); }
.tile.no-video video { opacity: 0; }
.tile .avatar { width: 72px; height: 72px; font-size: 1.5rem; }
.tile figcaption { position: absolute; left: .5rem; bottom: .5rem; display: inline-flex; align-items: center; gap: .35rem; max-width: calc(100% - 1rem);
  padding: .25rem .6rem; border-radius: 10px; background: rgba(0, 0, 0, .55); font-size: .85rem; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.tile figcaption .muted-icon { color: #ff8787; display: inline-flex; }
.tile.waiting { border: 2px dashed rgba(255, 255, 255, .2); background: transparent; color: rgba(255, 255, 255, .7); text-align: center; padding: 1rem; }
.group-call .call-controls { flex: none; }
@media (max-width: 420px) { .group-call .call-controls { gap: .4rem; padding: .5rem; } .group-call .round { min-width: 0; flex: 1; padding: .6rem .35rem; } }
.invite-panel { position: absolute; z-index: 3; left: 50%; bottom: 6.5rem; transform: translateX(-50%); width: min(380px, calc(100% - 1.5rem)); max-height: 60vh; overflow-y: auto;
  display: grid; gap: .6rem; padding: 1rem; border-radius: var(--radius); background: var(--panel); color: var(--text); box-shadow: 0 10px 40px rgba(0, 0, 0, .45); }
.invite-panel h3 { margin: 0; font-size: 1rem; }
.invite-panel form { display: flex; gap: .5rem; align-items: flex-end; }
.invite-panel .contact-row { display: flex; align-items: center; gap: .6rem; }
.invite-panel .sent { color: var(--ok); font-size: .85rem; }
`;

let added = false;
export function useRoomStyles(): void {
  if (added || typeof document === 'undefined') return;
  added = true;
  const style = document.createElement('style');
  style.dataset.carillon = 'rooms';
  style.textContent = CSS;
  document.head.append(style);
}
