// A contact's roster groups (RFC 6121 §2.1.2.2): tick the existing ones, add a new one, save. The
// roster push that follows (§2.1.6) updates every view, this one's list included.
import { useState } from 'preact/hooks';
import type { JSX } from 'preact';
import type { App } from '../app.js';
import { groupNames, type Contact } from '../features/roster.js';
import { useStore } from '../state/use-store.js';

export function GroupsEditor({ app, contact, onDone }: { app: App; contact: Contact; onDone: () => void }): JSX.Element {
  const roster = useStore(app.roster);
  const [chosen, setChosen] = useState<Set<string>>(new Set(contact.groups ?? []));
  const [fresh, setFresh] = useState('');
  const [error, setError] = useState('');
  const all = [...new Set([...groupNames(roster), ...chosen])].sort((a, b) => a.localeCompare(b));
  const save = async (e: Event) => {
    e.preventDefault();
    const groups = [...chosen, ...(fresh.trim() ? [fresh.trim()] : [])];
    try {
      await app.contacts?.setGroups(contact.jid, groups);
      onDone();
    } catch {
      setError('Your server did not save the groups.');
    }
  };
  return (
    <form class="confirm rename groups-editor" aria-label="Edit groups" onSubmit={save}>
      <fieldset class="grow">
        <legend>Groups</legend>
        {all.length === 0 && <p class="muted hint">No groups yet: name one below.</p>}
        <div class="group-choices">
          {all.map((g) => (
            <label key={g} class="check">
              <input type="checkbox" checked={chosen.has(g)} onChange={(e) => {
                const next = new Set(chosen);
                if (e.currentTarget.checked) next.add(g); else next.delete(g);
                setChosen(next);
              }} />
              <span>{g}</span>
            </label>
          ))}
        </div>
        <label>
          <span>New group</span>
          <input type="text" value={fresh} maxLength={100} placeholder="Family" onInput={(e) => setFresh(e.currentTarget.value)} />
        </label>
      </fieldset>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" class="small primary">Save groups</button>
      <button type="button" class="small" onClick={onDone}>Cancel</button>
    </form>
  );
}
