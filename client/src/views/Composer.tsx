import { useLayoutEffect, useRef } from 'preact/hooks';
import type { JSX } from 'preact';
import { Icon } from './icons.js';

/**
 * The message input of a conversation or a room: several lines (Shift+Enter breaks a line, Enter
 * sends, as in Conversations, Dino and Converse.js), growing with its text up to a few lines.
 */
export function Composer(props: {
  label: string;
  placeholder: string;
  sendLabel: string;
  value: string;
  disabled?: boolean;
  onInput(value: string): void;
  onSend(): void;
  /** Files attached with the button or pasted; without it there is no attach button. */
  onFiles?(files: File[]): void;
  /** Up arrow in an empty input: correct the last message sent (as Conversations, Dino, Gajim). */
  onEditLast?(): void;
  /** Escape: give up a correction or a reply being written. */
  onCancel?(): void;
}): JSX.Element {
  const ref = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [props.value]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (props.value.trim() && !props.disabled) props.onSend();
  };
  return (
    <form class="composer" onSubmit={submit}>
      {props.onFiles && (
        <>
          <button type="button" class="icon-button" aria-label="Attach a file" title="Attach a file" disabled={props.disabled}
            onClick={() => picker.current?.click()}><Icon name="clip" /></button>
          <input ref={picker} type="file" multiple hidden aria-hidden="true" tabIndex={-1} onChange={(e) => {
            const files = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = '';
            if (files.length) props.onFiles!(files);
          }} />
        </>
      )}
      <label class="grow">
        <span class="sr-only">{props.label}</span>
        <textarea ref={ref} rows={1} placeholder={props.placeholder} value={props.value} autocomplete="off" disabled={props.disabled}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onPaste={(e) => {
            const files = Array.from(e.clipboardData?.files ?? []);
            if (files.length && props.onFiles) {
              e.preventDefault();
              props.onFiles(files);
            }
          }}
          onKeyDown={(e) => {
            // Enter sends; Shift+Enter (and Enter while an input method composes) is a line break
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e);
            else if (e.key === 'ArrowUp' && !props.value && props.onEditLast) { e.preventDefault(); props.onEditLast(); }
            else if (e.key === 'Escape' && props.onCancel) props.onCancel();
          }} />
      </label>
      <button type="submit" class="icon-button primary" aria-label={props.sendLabel} disabled={!props.value.trim() || props.disabled}><Icon name="send" /></button>
    </form>
  );
}
