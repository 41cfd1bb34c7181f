import { useId, useRef, useState } from 'react';

/** A read-only value with a Copy button; the result is announced politely. */
export function CopyField({ label, value, autoFocusButton }: { label: string; value: string; autoFocusButton?: boolean }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [status, setStatus] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setStatus('Copied to the clipboard.');
    } catch {
      // No clipboard permission (or an insecure origin): select the text so Ctrl+C works.
      input.current?.select();
      const ok = document.execCommand?.('copy');
      setStatus(ok ? 'Copied to the clipboard.' : 'Press Ctrl+C (or ⌘C) to copy the selected text.');
    }
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} ref={input} readOnly value={value} spellCheck={false} onFocus={(e) => e.currentTarget.select()} className="mono" />
        <button type="button" className="btn primary" onClick={copy} autoFocus={autoFocusButton}>
          Copy
        </button>
      </div>
      <p className="hint" role="status" aria-live="polite">
        {status}
      </p>
    </div>
  );
}
