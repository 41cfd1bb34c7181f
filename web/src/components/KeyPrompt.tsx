import { useEffect, useId, useRef } from 'react';
import { CopyField } from './CopyField';

/**
 * The one and only time a new API key is shown: a prompt at the bottom right, announced to screen
 * readers as an alert dialog, with focus on its Copy button. Closing it (or reloading the page)
 * forgets the key: it lives only in this component's props.
 */
export function KeyPrompt({ name, value, onClose, title, label = 'Your new API key' }: { name: string; value: string; onClose(): void; title?: string; label?: string }) {
  const titleId = useId();
  const descId = useId();
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    // Escape closes the prompt only from inside it: the Escape that cancels another dialog (a delete
    // confirmation opened meanwhile) must not throw away a key that is never shown again.
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && ref.current?.contains(document.activeElement)) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    <div ref={ref} className="key-prompt" role="alertdialog" aria-modal="false" aria-labelledby={titleId} aria-describedby={descId} data-testid="key-prompt">
      <div className="key-prompt-head">
        <h2 id={titleId}>{title ?? `API key “${name}” created`}</h2>
        <button type="button" className="icon-btn" aria-label="Close: the key will not be shown again" onClick={onClose}>
          ×
        </button>
      </div>
      <p id={descId}>Copy it now and store it somewhere safe. It will not be shown again: when you close this prompt or reload the page, it is gone.</p>
      <CopyField label={label} value={value} autoFocusButton />
      <div className="actions">
        <button type="button" className="btn" onClick={onClose}>
          I have copied it
        </button>
      </div>
    </div>
  );
}
