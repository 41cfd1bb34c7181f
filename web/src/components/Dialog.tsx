import { useEffect, useId, useRef } from 'react';

/**
 * A modal dialog on the native <dialog> element: the browser traps focus, closes it on Escape and
 * tells assistive technology it is modal. Focus returns to where it was when it closes.
 */
export function Dialog({ title, onClose, children, describedBy }: { title: string; onClose(): void; children: React.ReactNode; describedBy?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const d = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    if (!d.open) d.showModal();
    return () => {
      if (d.open) d.close();
      // Give focus back to the opener, unless something that opened meanwhile (the key prompt) took it.
      const active = document.activeElement;
      if (!active || active === document.body || d.contains(active)) opener?.focus?.();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      aria-describedby={describedBy}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      <div className="dialog-body">
        <h2 id={titleId}>{title}</h2>
        {children}
      </div>
    </dialog>
  );
}

export function ErrorMessage({ children }: { children?: React.ReactNode }) {
  if (!children) return null;
  return (
    <p className="error" role="alert">
      {children}
    </p>
  );
}

/** Asks before a destructive action; the confirm button is what Enter does. */
export function ConfirmDialog({ title, body, confirmLabel, onConfirm, onClose, busy, error }: { title: string; body: React.ReactNode; confirmLabel: string; onConfirm(): void; onClose(): void; busy?: boolean; error?: string }) {
  const descId = useId();
  return (
    <Dialog title={title} onClose={onClose} describedBy={descId}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <div id={descId}>{body}</div>
        <ErrorMessage>{error}</ErrorMessage>
        <div className="actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn danger" disabled={busy} autoFocus>
            {busy ? 'Working…' : confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** The action row of a dialog form: Cancel, and the submit button that shows `busyLabel` while working. */
export function FormActions({ onCancel, busy, label, busyLabel }: { onCancel(): void; busy?: boolean; label: string; busyLabel: string }) {
  return (
    <div className="actions">
      <button type="button" className="btn" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="btn primary" disabled={busy}>
        {busy ? busyLabel : label}
      </button>
    </div>
  );
}
